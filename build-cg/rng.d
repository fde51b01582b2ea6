build-cg/rng.o: src/rng.c include/rng.h
include/rng.h:
