build-cg/dist.o: src/dist.c include/dist.h
include/dist.h:
