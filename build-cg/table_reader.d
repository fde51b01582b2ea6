build-cg/table_reader.o: src/table_reader.c src/table_reader.h \
 include/bp_error.h include/table.h include/bp_error.h include/decimal.h
src/table_reader.h:
include/bp_error.h:
include/table.h:
include/bp_error.h:
include/decimal.h:
