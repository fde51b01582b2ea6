build-cg/config_sections.o: src/config_sections.c src/config_sections.h \
 include/config.h include/bp_error.h src/config_json.h include/bp_error.h
src/config_sections.h:
include/config.h:
include/bp_error.h:
src/config_json.h:
include/bp_error.h:
