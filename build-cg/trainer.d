build-cg/trainer.o: src/trainer.c include/trainer.h include/bp_error.h \
 include/config.h include/dataset.h include/network.h include/kernels.h \
 include/kernel_math.h include/dist.h include/kernels.h include/metrics.h \
 include/optim.h include/rng.h include/small_net.h
include/trainer.h:
include/bp_error.h:
include/config.h:
include/dataset.h:
include/network.h:
include/kernels.h:
include/kernel_math.h:
include/dist.h:
include/kernels.h:
include/metrics.h:
include/optim.h:
include/rng.h:
include/small_net.h:
