build-cg/bp_error.o: src/bp_error.c include/bp_error.h
include/bp_error.h:
