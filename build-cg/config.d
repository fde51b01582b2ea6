build-cg/config.o: src/config.c include/config.h include/bp_error.h \
 src/config_json.h include/bp_error.h src/config_override.h \
 src/config_sections.h include/file_text.h include/jsonscan.h
include/config.h:
include/bp_error.h:
src/config_json.h:
include/bp_error.h:
src/config_override.h:
src/config_sections.h:
include/file_text.h:
include/jsonscan.h:
