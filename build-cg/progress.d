build-cg/progress.o: src/progress.c include/progress.h include/bp_error.h \
 include/trainer.h include/config.h include/dataset.h include/network.h \
 include/kernels.h include/kernel_math.h
include/progress.h:
include/bp_error.h:
include/trainer.h:
include/config.h:
include/dataset.h:
include/network.h:
include/kernels.h:
include/kernel_math.h:
