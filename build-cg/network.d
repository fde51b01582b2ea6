build-cg/network.o: src/network.c include/network.h include/bp_error.h \
 include/config.h include/kernels.h include/kernel_math.h \
 include/kernels.h include/rng.h
include/network.h:
include/bp_error.h:
include/config.h:
include/kernels.h:
include/kernel_math.h:
include/kernels.h:
include/rng.h:
