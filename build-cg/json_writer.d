build-cg/json_writer.o: src/json_writer.c include/json_writer.h \
 include/bp_error.h
include/json_writer.h:
include/bp_error.h:
