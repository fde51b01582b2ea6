build-cg/svg_plot.o: src/svg_plot.c include/svg_plot.h include/bp_error.h
include/svg_plot.h:
include/bp_error.h:
