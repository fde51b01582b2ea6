build-cg/optim.o: src/optim.c include/optim.h include/config.h \
 include/bp_error.h include/kernels.h include/kernel_math.h \
 include/kernels.h
include/optim.h:
include/config.h:
include/bp_error.h:
include/kernels.h:
include/kernel_math.h:
include/kernels.h:
