build-cg/suggest.o: src/suggest.c include/suggest.h
include/suggest.h:
