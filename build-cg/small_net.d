build-cg/small_net.o: src/small_net.c include/small_net.h \
 include/network.h include/bp_error.h include/config.h include/kernels.h \
 include/kernel_math.h include/kernel_math.h
include/small_net.h:
include/network.h:
include/bp_error.h:
include/config.h:
include/kernels.h:
include/kernel_math.h:
include/kernel_math.h:
