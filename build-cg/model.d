build-cg/model.o: src/model.c include/model.h include/bp_error.h \
 include/config.h include/dataset.h include/network.h include/kernels.h \
 include/kernel_math.h include/table.h include/columns.h \
 include/normalize.h include/trainer.h
include/model.h:
include/bp_error.h:
include/config.h:
include/dataset.h:
include/network.h:
include/kernels.h:
include/kernel_math.h:
include/table.h:
include/columns.h:
include/normalize.h:
include/trainer.h:
