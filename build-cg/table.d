build-cg/table.o: src/table.c include/table.h include/bp_error.h \
 include/decimal.h src/table_reader.h include/bp_error.h
include/table.h:
include/bp_error.h:
include/decimal.h:
src/table_reader.h:
include/bp_error.h:
