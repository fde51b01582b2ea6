build-cg/table_parts.o: src/table_parts.c include/table.h \
 include/bp_error.h src/table_reader.h include/bp_error.h
include/table.h:
include/bp_error.h:
src/table_reader.h:
include/bp_error.h:
