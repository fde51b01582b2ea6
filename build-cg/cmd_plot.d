build-cg/cmd_plot.o: src/cmd_plot.c /usr/include/cjson/cJSON.h \
 include/args.h include/bp_error.h include/atomic_file.h include/cli.h \
 include/args.h include/file_text.h include/jsonscan.h include/svg_plot.h
/usr/include/cjson/cJSON.h:
include/args.h:
include/bp_error.h:
include/atomic_file.h:
include/cli.h:
include/args.h:
include/file_text.h:
include/jsonscan.h:
include/svg_plot.h:
