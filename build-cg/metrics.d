build-cg/metrics.o: src/metrics.c include/metrics.h include/bp_error.h
include/metrics.h:
include/bp_error.h:
