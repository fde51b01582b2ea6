build-cg/cmd_eval.o: src/cmd_eval.c include/args.h include/bp_error.h \
 include/cli.h include/args.h include/json_writer.h include/metrics.h \
 include/model.h include/config.h include/dataset.h include/network.h \
 include/kernels.h include/kernel_math.h include/table.h \
 include/trainer.h
include/args.h:
include/bp_error.h:
include/cli.h:
include/args.h:
include/json_writer.h:
include/metrics.h:
include/model.h:
include/config.h:
include/dataset.h:
include/network.h:
include/kernels.h:
include/kernel_math.h:
include/table.h:
include/trainer.h:
