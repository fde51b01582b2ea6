build-cg/atomic_file.o: src/atomic_file.c include/atomic_file.h \
 include/bp_error.h
include/atomic_file.h:
include/bp_error.h:
