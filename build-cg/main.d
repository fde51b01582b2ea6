build-cg/main.o: src/main.c include/cli.h include/args.h \
 include/bp_error.h
include/cli.h:
include/args.h:
include/bp_error.h:
