build-cg/jsonscan.o: src/jsonscan.c include/jsonscan.h
include/jsonscan.h:
