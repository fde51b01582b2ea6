build-cg/cmd_info.o: src/cmd_info.c include/args.h include/bp_error.h \
 include/cli.h include/args.h include/model.h include/config.h \
 include/dataset.h include/network.h include/kernels.h \
 include/kernel_math.h include/table.h
include/args.h:
include/bp_error.h:
include/cli.h:
include/args.h:
include/model.h:
include/config.h:
include/dataset.h:
include/network.h:
include/kernels.h:
include/kernel_math.h:
include/table.h:
