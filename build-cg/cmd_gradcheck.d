build-cg/cmd_gradcheck.o: src/cmd_gradcheck.c include/args.h \
 include/bp_error.h include/cli.h include/args.h include/gradcheck.h \
 include/network.h include/config.h include/kernels.h \
 include/kernel_math.h include/json_writer.h include/model.h \
 include/dataset.h include/table.h include/normalize.h include/rng.h \
 include/trainer.h
include/args.h:
include/bp_error.h:
include/cli.h:
include/args.h:
include/gradcheck.h:
include/network.h:
include/config.h:
include/kernels.h:
include/kernel_math.h:
include/json_writer.h:
include/model.h:
include/dataset.h:
include/table.h:
include/normalize.h:
include/rng.h:
include/trainer.h:
