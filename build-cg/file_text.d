build-cg/file_text.o: src/file_text.c include/file_text.h \
 include/bp_error.h
include/file_text.h:
include/bp_error.h:
