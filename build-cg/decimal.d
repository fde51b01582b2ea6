build-cg/decimal.o: src/decimal.c include/decimal.h
include/decimal.h:
