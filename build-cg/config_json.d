build-cg/config_json.o: src/config_json.c src/config_json.h \
 include/bp_error.h include/suggest.h
src/config_json.h:
include/bp_error.h:
include/suggest.h:
