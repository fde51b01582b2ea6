build-cg/cli_common.o: src/cli_common.c include/cli.h include/args.h \
 include/bp_error.h include/trainer.h include/config.h include/dataset.h \
 include/network.h include/kernels.h include/kernel_math.h
include/cli.h:
include/args.h:
include/bp_error.h:
include/trainer.h:
include/config.h:
include/dataset.h:
include/network.h:
include/kernels.h:
include/kernel_math.h:
