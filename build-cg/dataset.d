build-cg/dataset.o: src/dataset.c include/dataset.h include/bp_error.h \
 include/config.h include/columns.h include/table.h include/rng.h \
 include/table.h
include/dataset.h:
include/bp_error.h:
include/config.h:
include/columns.h:
include/table.h:
include/rng.h:
include/table.h:
