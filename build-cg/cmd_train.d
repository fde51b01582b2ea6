build-cg/cmd_train.o: src/cmd_train.c include/args.h include/bp_error.h \
 include/atomic_file.h include/cli.h include/args.h include/config.h \
 include/dataset.h include/config.h include/dist.h include/early_stop.h \
 include/network.h include/kernels.h include/kernel_math.h \
 include/trainer.h include/dataset.h include/json_writer.h \
 include/file_text.h include/network.h include/normalize.h \
 include/optim.h include/progress.h include/trainer.h include/weights.h
include/args.h:
include/bp_error.h:
include/atomic_file.h:
include/cli.h:
include/args.h:
include/config.h:
include/dataset.h:
include/config.h:
include/dist.h:
include/early_stop.h:
include/network.h:
include/kernels.h:
include/kernel_math.h:
include/trainer.h:
include/dataset.h:
include/json_writer.h:
include/file_text.h:
include/network.h:
include/normalize.h:
include/optim.h:
include/progress.h:
include/trainer.h:
include/weights.h:
