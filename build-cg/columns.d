build-cg/columns.o: src/columns.c include/columns.h include/bp_error.h \
 include/config.h include/table.h include/suggest.h
include/columns.h:
include/bp_error.h:
include/config.h:
include/table.h:
include/suggest.h:
