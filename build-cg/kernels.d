build-cg/kernels.o: src/kernels.c include/kernels.h include/kernel_math.h \
 include/kernel_math.h
include/kernels.h:
include/kernel_math.h:
include/kernel_math.h:
