# backprop: a command-line neural-network trainer.
#
#   make          build ./backprop
#   make demo     install what is missing, build, train iris
#   make check    install what is missing, build, run every test
#   make asan     the tests again under AddressSanitizer + UBSan
#
# WERROR=1 turns warnings into errors (CI does).

CC       ?= cc
OPT      ?= -O3
# The dense kernels use AVX2 + FMA when the target has them; `make ARCH=`
# builds the portable C kernels instead.
ARCH     ?= -march=native
BUILD    ?= build
BIN      ?= backprop
PREFIX   ?= /usr/local

WARN = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
       -Wformat=2 -Wvla -Wundef
ifeq ($(WERROR),1)
WARN += -Werror
endif

# cJSON and Check ship pkg-config files; libcsv does not.
PKG_CFLAGS := $(shell pkg-config --cflags libcjson 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs libcjson 2>/dev/null)
CHECK_CFLAGS := $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS   := $(shell pkg-config --libs check 2>/dev/null)

ALL_CFLAGS = -std=c11 -D_XOPEN_SOURCE=700 -fopenmp $(OPT) $(ARCH) $(WARN) \
             $(SAN) -Iinclude $(PKG_CFLAGS) -MMD -MP $(CFLAGS)
ALL_LDFLAGS = -fopenmp $(SAN) $(LDFLAGS)
LIBS = $(PKG_LIBS) -lcsv -lm

SRC      := $(filter-out src/main.c,$(wildcard src/*.c))
OBJ      := $(SRC:src/%.c=$(BUILD)/%.o)
TEST_SRC := $(wildcard tests/test_*.c)
TEST_OBJ := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%.o)

.PHONY: all deps demo check check-kernels test unit cli asan tsan valgrind clean install docs kernel-isa FORCE
.DEFAULT_GOAL := all

all: $(BIN)

$(BIN): $(BUILD)/main.o $(BUILD)/libbackprop.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/libbackprop.a: $(OBJ)
	rm -f $@
	ar rcs $@ $^

# Objects depend on the flags they were built with: the stamp is rewritten
# only when the flags change (WERROR=1 after a plain build rebuilds all).
FLAGS_STAMP = $(BUILD)/.flags
$(FLAGS_STAMP): FORCE | $(BUILD)
	@echo '$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS)' | cmp -s - $@ || \
	  echo '$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS)' > $@
FORCE:

$(BUILD)/%.o: src/%.c $(FLAGS_STAMP) | $(BUILD)
	$(CC) $(ALL_CFLAGS) $(FILE_CFLAGS) -c -o $@ $<

# small_net's loops run a handful of times per sample: vectorised, their
# run-time checks and tails cost more than the arithmetic (a 1-1-1 step
# took 0.10 us vectorised, 0.064 us not).
$(BUILD)/small_net.o: FILE_CFLAGS = -fno-tree-vectorize
# So do the trainer's per-step copies of a small row (a hundred
# instructions of checks around the 1-1-1 network's two floats); its
# large copies are memcpy's, its arithmetic is in the kernels.
$(BUILD)/trainer.o: FILE_CFLAGS = -fno-tree-vectorize

# The optimizers' rules call sqrtf, correctly rounded with or without
# errno; without it the loops vectorise (not -ffast-math: no result moves).
$(BUILD)/optim.o: FILE_CFLAGS = -fno-math-errno

$(BUILD)/tests/%.o: tests/%.c $(FLAGS_STAMP) | $(BUILD)/tests
	$(CC) $(ALL_CFLAGS) $(CHECK_CFLAGS) -Wno-missing-prototypes -Itests \
	  -I$(BUILD)/tests -c -o $@ $<

# Every tests/test_NAME.c defines `Suite *NAME_suite(void)`; the runner's
# list of suites is generated from the file names.
$(BUILD)/tests/suites.inc: $(TEST_SRC) | $(BUILD)/tests
	for f in $(sort $(TEST_SRC)); do \
	  n=$${f#tests/test_}; echo "SUITE($${n%.c})"; done > $@.tmp
	mv $@.tmp $@

$(BUILD)/tests/check_main.o: $(BUILD)/tests/suites.inc

$(BUILD)/check_backprop: $(BUILD)/tests/check_main.o $(TEST_OBJ) \
                         $(BUILD)/libbackprop.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS) $(CHECK_LIBS)

$(BUILD) $(BUILD)/tests:
	mkdir -p $@

deps:
	@sh scripts/install-deps.sh

# The README's two commands install what is missing first, then run make
# again so that pkg-config sees the freshly installed packages.
demo: deps
	@$(MAKE) --no-print-directory all
	@sh scripts/demo.sh ./$(BIN)

check: deps
	@$(MAKE) --no-print-directory test mpi-if-installed

test: unit cli

unit: $(BUILD)/check_backprop
	cd tests && ../$(BUILD)/check_backprop

# A small JSON reader the command-line tests use instead of python or jq.
$(BUILD)/jsonpath: tests/cli/jsonpath.c | $(BUILD)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(PKG_LIBS)

cli: $(BIN) $(BUILD)/jsonpath
	bash tests/cli/run.sh ./$(BIN) $(BUILD)/jsonpath

# docs/bad-input.md is generated from the command-line tests.
docs: $(BIN) $(BUILD)/jsonpath
	BP_UPDATE_DOCS=1 bash tests/cli/run.sh ./$(BIN) $(BUILD)/jsonpath

# The unit and command-line tests against the other kernel builds: AVX2
# (what a machine without AVX-512 gets) and portable C.
check-kernels:
	@$(MAKE) --no-print-directory BUILD=build/avx2 BIN=build/avx2/backprop \
	  ARCH="-mavx2 -mfma" test
	@$(MAKE) --no-print-directory BUILD=build/portable \
	  BIN=build/portable/backprop ARCH= test

# The widest vector instructions this build's kernels use, decided as
# kernel_math.h and kernels.c decide: the compiler's target macros under
# $(ARCH). Prints avx512, avx2 (with FMA) or portable; bench/run.sh labels
# its FMA peak with it.
kernel-isa:
	@m=$$($(CC) $(ARCH) -dM -E -x c /dev/null); \
	if echo "$$m" | grep -q '^#define __AVX512F__ '; then echo avx512; \
	elif echo "$$m" | grep -q '^#define __AVX2__ ' && \
	     echo "$$m" | grep -q '^#define __FMA__ '; then echo avx2; \
	else echo portable; fi

# vmath's exp, tanh and sigmoid over all 2^32 floats against libm's and
# their own scalar forms (bench/vmath_sweep.c; minutes), for the kernel
# build ARCH selects.
.PHONY: vmath-sweep
vmath-sweep: | $(BUILD)
	$(CC) $(ALL_CFLAGS) -Itests -o $(BUILD)/vmath_sweep bench/vmath_sweep.c \
	  src/vmath.c -lm
	$(BUILD)/vmath_sweep

# Sanitizer build in its own folder, tests run against it.
asan: deps
	@$(MAKE) --no-print-directory BUILD=build/asan BIN=build/asan/backprop \
	  OPT="-O1 -g -fno-omit-frame-pointer" \
	  SAN="-fsanitize=address,undefined,float-cast-overflow -fno-sanitize-recover=all" \
	  test

# The binary, the man page, the bash completion, and the example configs
# with the datasets they name (side by side, as the configs' relative
# paths expect). DESTDIR stages the tree for packaging.
# ThreadSanitizer needs LLVM's OpenMP runtime and its Archer tool, which
# tells TSan about OpenMP's own synchronisation (with libgomp it would
# report the runtime's internals). Runs the suites that start OpenMP teams
# (trainer, kernels, and table's reads in parts) and the CLI tests.
ARCHER = /usr/lib/llvm-14/lib/libarcher.so
TSAN_ENV = OMP_TOOL_LIBRARIES=$(ARCHER) \
           TSAN_OPTIONS="halt_on_error=1 ignore_noninstrumented_modules=1"
tsan:
	@sh scripts/install-deps.sh tsan
	@$(MAKE) --no-print-directory BUILD=build/tsan BIN=build/tsan/backprop \
	  CC=clang OPT="-O1 -g" SAN="-fsanitize=thread" \
	  build/tsan/backprop build/tsan/check_backprop build/tsan/jsonpath
	cd tests && env $(TSAN_ENV) CK_RUN_SUITE=trainer ../build/tsan/check_backprop
	cd tests && env $(TSAN_ENV) CK_RUN_SUITE=kernels ../build/tsan/check_backprop
	cd tests && env $(TSAN_ENV) CK_RUN_SUITE=table ../build/tsan/check_backprop
	cd tests && env $(TSAN_ENV) CK_RUN_SUITE=workers ../build/tsan/check_backprop
	env $(TSAN_ENV) bash tests/cli/run.sh build/tsan/backprop build/tsan/jsonpath

# Memcheck over the seed and iris examples: train, predict, eval. Built for
# AVX2 at most, since valgrind does not decode AVX-512. libgomp's thread
# pool (8 bytes) is still reachable at exit by design; any other leak or
# error fails.
VALGRIND = valgrind --quiet --error-exitcode=9 --leak-check=full \
           --errors-for-leak-kinds=definite,indirect,possible \
           --show-leak-kinds=definite,indirect,possible
valgrind:
	@sh scripts/install-deps.sh valgrind
	@$(MAKE) --no-print-directory BUILD=build/valgrind \
	  BIN=build/valgrind/backprop OPT="-O1 -g" ARCH="-mavx2 -mfma" \
	  build/valgrind/backprop
	$(VALGRIND) build/valgrind/backprop train configs/seed-example.json \
	  -o build/valgrind/seed.json --quiet
	$(VALGRIND) build/valgrind/backprop train configs/iris.json \
	  -o build/valgrind/iris.json --quiet
	$(VALGRIND) build/valgrind/backprop predict build/valgrind/iris.json \
	  datasets/iris.csv >/dev/null
	$(VALGRIND) build/valgrind/backprop eval build/valgrind/iris.json \
	  datasets/iris.csv >/dev/null
	$(VALGRIND) build/valgrind/backprop train configs/penguins.json \
	  -o build/valgrind/penguins.json --quiet
	$(VALGRIND) build/valgrind/backprop predict build/valgrind/penguins.json \
	  datasets/penguins.csv --keep island,bill_length_mm >/dev/null
	$(VALGRIND) build/valgrind/backprop eval build/valgrind/penguins.json \
	  datasets/penguins.csv >/dev/null
	rm -rf build/valgrind/sweep
	$(VALGRIND) build/valgrind/backprop sweep configs/xor.json \
	  --grid training.epochs=5,10 --folds 2 -o build/valgrind/sweep \
	  --quiet >/dev/null
	@echo "valgrind: no errors, no leaks"

install: $(BIN)
	install -d "$(DESTDIR)$(PREFIX)/bin" "$(DESTDIR)$(PREFIX)/share/man/man1" \
	  "$(DESTDIR)$(PREFIX)/share/backprop/configs" \
	  "$(DESTDIR)$(PREFIX)/share/backprop/datasets" \
	  "$(DESTDIR)$(PREFIX)/share/bash-completion/completions"
	install -m 755 $(BIN) "$(DESTDIR)$(PREFIX)/bin/backprop"
	install -m 644 docs/backprop.1 "$(DESTDIR)$(PREFIX)/share/man/man1/backprop.1"
	install -m 644 configs/*.json "$(DESTDIR)$(PREFIX)/share/backprop/configs"
	install -m 644 datasets/*.csv datasets/README.md \
	  "$(DESTDIR)$(PREFIX)/share/backprop/datasets"
	install -m 644 completions/backprop.bash \
	  "$(DESTDIR)$(PREFIX)/share/bash-completion/completions/backprop"

clean:
	rm -rf build $(BIN)

-include $(OBJ:.o=.d) $(BUILD)/main.d $(TEST_OBJ:.o=.d) $(BUILD)/tests/check_main.d

# ---- fuzz (see tests/fuzz/README.md) ----
# `make fuzz` builds the libFuzzer targets with clang into build/fuzz/ and
# runs each for FUZZ_SECONDS; it fails if any target finds a crash, leak,
# undefined behaviour, timeout or out-of-memory (saved under
# build/fuzz/artifacts/). New inputs go to build/fuzz/corpus/NAME; the
# seeds in tests/fuzz/corpus/NAME are only read.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_FLAGS   ?=
FUZZ_DIR     := build/fuzz
FUZZ_TARGETS := config csv weights
FUZZ_SAN     := -fsanitize=address,undefined,float-cast-overflow \
                -fno-sanitize-recover=all
FUZZ_CFLAGS   = -std=c11 -D_XOPEN_SOURCE=700 -fopenmp -O1 -g \
                -fno-omit-frame-pointer $(WARN) -Iinclude $(PKG_CFLAGS) \
                -MMD -MP $(CFLAGS)
# Only the modules the parsers and the weights writer need.
FUZZ_OBJ     := $(addprefix $(FUZZ_DIR)/,config.o config_json.o \
                  config_sections.o config_override.o jsonscan.o suggest.o \
                  table.o table_reader.o table_parts.o decimal.o \
                  dataset.o rng.o weights.o json_writer.o \
                  atomic_file.o network.o kernels.o bp_error.o file_text.o \
                  columns.o float_text.o json_floats.o gemm.o vmath.o)
FUZZ_BIN     := $(FUZZ_TARGETS:%=$(FUZZ_DIR)/fuzz_%)
# Per target: longest input tried, and its dictionary.
FUZZ_MAX_LEN_config  := 8192
FUZZ_MAX_LEN_csv     := 4096
FUZZ_MAX_LEN_weights := 32768
FUZZ_DICT_config     := tests/fuzz/json.dict
FUZZ_DICT_csv        := tests/fuzz/csv.dict
FUZZ_DICT_weights    := tests/fuzz/json.dict

.PHONY: fuzz fuzz-build
.SECONDARY: $(FUZZ_OBJ)

$(FUZZ_DIR)/%.o: src/%.c
	@mkdir -p $(FUZZ_DIR)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer-no-link \
	  -c -o $@ $<

$(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_common.h $(FUZZ_OBJ)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -Wno-missing-prototypes $(FUZZ_SAN) \
	  -fsanitize=fuzzer -o $@ $< $(FUZZ_OBJ) $(PKG_LIBS) -lcsv -lm

fuzz-build: $(FUZZ_BIN)

fuzz: $(FUZZ_BIN)
	@mkdir -p $(FUZZ_DIR)/artifacts; failed=; \
	for t in $(FUZZ_TARGETS); do \
	  case $$t in \
	    config) len=$(FUZZ_MAX_LEN_config); dict=$(FUZZ_DICT_config);; \
	    csv) len=$(FUZZ_MAX_LEN_csv); dict=$(FUZZ_DICT_csv);; \
	    *) len=$(FUZZ_MAX_LEN_weights); dict=$(FUZZ_DICT_weights);; \
	  esac; \
	  mkdir -p $(FUZZ_DIR)/corpus/$$t; \
	  echo "fuzz_$$t: $(FUZZ_SECONDS) s"; \
	  $(FUZZ_DIR)/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -timeout=10 \
	    -rss_limit_mb=2048 -max_len=$$len -dict=$$dict \
	    -print_final_stats=1 \
	    -artifact_prefix=$(FUZZ_DIR)/artifacts/$$t- $(FUZZ_FLAGS) \
	    $(FUZZ_DIR)/corpus/$$t tests/fuzz/corpus/$$t \
	    > $(FUZZ_DIR)/fuzz_$$t.log 2>&1 \
	    || failed="$$failed $$t"; \
	  grep -E '^#[0-9]+[[:space:]]+DONE|^stat::peak_rss_mb' \
	    $(FUZZ_DIR)/fuzz_$$t.log | sed 's/^/  /'; \
	done; \
	if [ -n "$$failed" ]; then \
	  for t in $$failed; do \
	    echo "fuzz_$$t FOUND A PROBLEM (log: $(FUZZ_DIR)/fuzz_$$t.log):"; \
	    grep -E '^==[0-9]+==ERROR|SUMMARY|fuzz check failed|Test unit written' \
	      $(FUZZ_DIR)/fuzz_$$t.log | head -5 | sed 's/^/  /'; \
	  done; exit 1; \
	fi; echo "fuzz: no findings"

-include $(FUZZ_OBJ:.o=.d) $(FUZZ_BIN:=.d)

# ---- bench (see bench/README.md) ----
# Speed against PyTorch and FANN; installs what it needs, prepares
# Fashion-MNIST into build/bench/, prints Markdown tables. Not part of
# `make check`. BENCH_QUICK=1 make bench is a quick smoke run.
.PHONY: bench
bench:
	@bash bench/run.sh

# Only the sweep row (24 iris runs, default scheduling against --jobs 1).
.PHONY: bench-sweep
bench-sweep: $(BIN)
	@bash bench/sweep.sh ./$(BIN) build/bench/results

# Only the weights files' row: read and write of a 784-1024-1024-10 file
# against Python's json (bench/weights.sh makes the file once).
.PHONY: bench-weights
bench-weights: $(BIN)
	@bash bench/weights.sh ./$(BIN) build/bench/results

# The float <-> text conversions of weights files against printf and
# strtof over all 2^32 floats (about 1,700 CPU seconds).
.PHONY: float-text-all
float-text-all: | $(BUILD)
	mkdir -p build/bench
	$(CC) -std=c11 -D_XOPEN_SOURCE=700 -O2 $(ARCH) -fopenmp $(WARN) -Iinclude \
	  -o build/bench/float_text_all bench/float_text_all.c src/float_text.c -lm
	build/bench/float_text_all

# Only the shapes table (backprop against PyTorch on eight shapes); it
# makes its own synthetic data and measures the FMA peak itself.
.PHONY: bench-shapes
bench-shapes: $(BIN)
	@bash bench/shapes.sh ./$(BIN) build/bench/results

# Only the optimizers' row (Adam and dropout against SGD + momentum), on
# the training CSV a `make bench` prepared.
.PHONY: bench-optim
bench-optim: $(BIN)
	@test -s build/bench/fashion-mnist-train.csv || \
	  { echo "run make bench first (it prepares the data)" >&2; exit 1; }
	@bash bench/optim.sh ./$(BIN) bench/fashion-mnist.json \
	  build/bench/fashion-mnist-train.csv build/bench/results

# ---- MPI (see docs/mpi.md) ----
# `make MPI=1` builds ./backprop with mpicc and BP_MPI for
# `mpirun -np N backprop train ...`; started without mpirun it is the
# ordinary single-process program. Only an explicit MPI=1 selects it (no
# detection): the default build needs no MPI package and does not change
# when one is installed. `make mpi-check` builds build/mpi/backprop and runs
# tests/mpi/run.sh; `make check` runs it too when mpicc and mpirun are
# installed, and says SKIPPED (not passed) otherwise; MPI_REQUIRED=1 (CI)
# makes their absence a failure.
ifeq ($(MPI),1)
CC := mpicc
ALL_CFLAGS += -DBP_MPI
endif
MPI_BUILD := build/mpi

.PHONY: mpi mpi-check mpi-cost mpi-if-installed
mpi:
	@$(MAKE) --no-print-directory MPI=1 BUILD=$(MPI_BUILD) \
	  BIN=$(MPI_BUILD)/backprop $(MPI_BUILD)/backprop $(MPI_BUILD)/numdiff \
	  $(MPI_BUILD)/allreduce_bench

# Compares two JSON files number by number within a relative tolerance.
$(BUILD)/numdiff: tests/mpi/numdiff.c | $(BUILD)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(PKG_LIBS) -lm

# Times one all-reduce of N floats (tests/mpi/cost-model.sh runs it).
$(BUILD)/allreduce_bench: tests/mpi/allreduce_bench.c src/dist.c | $(BUILD)
	$(CC) $(ALL_CFLAGS) -o $@ $^

# The cost-model table of docs/mpi.md (a minute; asserts nothing).
mpi-cost: mpi
	bash tests/mpi/cost-model.sh $(MPI_BUILD)/backprop

mpi-check: mpi
	bash tests/mpi/run.sh $(MPI_BUILD)/backprop $(MPI_BUILD)/numdiff

mpi-if-installed:
	@if command -v mpicc >/dev/null 2>&1 && \
	    command -v mpirun >/dev/null 2>&1; then \
	  $(MAKE) --no-print-directory mpi-check; \
	elif [ "$(MPI_REQUIRED)" = 1 ]; then \
	  echo "mpi: FAILED: mpicc/mpirun not installed and MPI_REQUIRED=1"; \
	  exit 1; \
	else \
	  echo "mpi: SKIPPED, NOT TESTED: mpicc/mpirun not installed" \
	    "(sh scripts/install-deps.sh mpi)"; \
	fi

# The dense kernels alone and a whole step on issue 14's shapes, in
# GFLOP/s and % of the FMA peak, with Debian's OpenBLAS and BLIS sgemm on
# the same products when installed (bench/README.md). Asserts nothing.
GEMM_BLAS ?= openblas=/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0 \
             blis=/usr/lib/x86_64-linux-gnu/blis-openmp/libblis.so.4
GEMM_FLAGS ?=
.PHONY: bench-gemm
$(BUILD)/bench/gemm: bench/gemm.c $(BUILD)/libbackprop.a
	@mkdir -p $(BUILD)/bench
	$(CC) $(ALL_CFLAGS) -o $@ $< $(BUILD)/libbackprop.a $(ALL_LDFLAGS) $(LIBS) -ldl
$(BUILD)/bench/fma_peak: bench/fma_peak.c
	@mkdir -p $(BUILD)/bench
	$(CC) -std=c11 -O2 -mavx2 -mfma -fopenmp -o $@ $<
bench-gemm: $(BUILD)/bench/gemm $(BUILD)/bench/fma_peak
	$(BUILD)/bench/fma_peak 5 > $(BUILD)/bench/fma_peak.txt
	@cat $(BUILD)/bench/fma_peak.txt
	$(BUILD)/bench/gemm --peak $(BUILD)/bench/fma_peak.txt \
	  $(foreach b,$(GEMM_BLAS),--blas $(b)) $(GEMM_FLAGS)
