build-cg/weights.o: src/weights.c include/weights.h include/bp_error.h \
 include/config.h include/network.h include/kernels.h \
 include/kernel_math.h include/atomic_file.h include/json_writer.h
include/weights.h:
include/bp_error.h:
include/config.h:
include/network.h:
include/kernels.h:
include/kernel_math.h:
include/atomic_file.h:
include/json_writer.h:
