build-cg/config_override.o: src/config_override.c src/config_override.h \
 include/bp_error.h include/config.h include/bp_error.h src/config_json.h \
 src/config_sections.h include/jsonscan.h
src/config_override.h:
include/bp_error.h:
include/config.h:
include/bp_error.h:
src/config_json.h:
src/config_sections.h:
include/jsonscan.h:
