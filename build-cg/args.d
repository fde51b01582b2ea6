build-cg/args.o: src/args.c include/args.h include/bp_error.h
include/args.h:
include/bp_error.h:
