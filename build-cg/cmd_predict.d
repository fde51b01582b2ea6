build-cg/cmd_predict.o: src/cmd_predict.c include/args.h \
 include/bp_error.h include/columns.h include/config.h include/table.h \
 include/cli.h include/args.h include/metrics.h include/model.h \
 include/dataset.h include/network.h include/kernels.h \
 include/kernel_math.h include/trainer.h
include/args.h:
include/bp_error.h:
include/columns.h:
include/config.h:
include/table.h:
include/cli.h:
include/args.h:
include/metrics.h:
include/model.h:
include/dataset.h:
include/network.h:
include/kernels.h:
include/kernel_math.h:
include/trainer.h:
