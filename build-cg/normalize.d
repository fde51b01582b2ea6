build-cg/normalize.o: src/normalize.c include/normalize.h \
 include/bp_error.h include/config.h include/dataset.h
include/normalize.h:
include/bp_error.h:
include/config.h:
include/dataset.h:
