build-cg/gradcheck.o: src/gradcheck.c include/gradcheck.h \
 include/bp_error.h include/network.h include/config.h include/kernels.h \
 include/kernel_math.h include/rng.h
include/gradcheck.h:
include/bp_error.h:
include/network.h:
include/config.h:
include/kernels.h:
include/kernel_math.h:
include/rng.h:
