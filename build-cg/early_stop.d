build-cg/early_stop.o: src/early_stop.c include/early_stop.h \
 include/bp_error.h include/config.h include/network.h include/kernels.h \
 include/kernel_math.h include/trainer.h include/dataset.h
include/early_stop.h:
include/bp_error.h:
include/config.h:
include/network.h:
include/kernels.h:
include/kernel_math.h:
include/trainer.h:
include/dataset.h:
