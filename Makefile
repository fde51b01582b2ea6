# backprop: a command-line neural-network trainer.
#
#   make          build ./backprop
#   make demo     install what is missing, build, train iris
#   make check    install what is missing, build, run every test
#   make asan     the tests again under AddressSanitizer + UBSan
#
# WERROR=1 turns warnings into errors (CI does).

CC       ?= cc
OPT      ?= -O2
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

ALL_CFLAGS = -std=c11 -D_XOPEN_SOURCE=700 -fopenmp $(OPT) $(WARN) \
             $(SAN) -Iinclude $(PKG_CFLAGS) -MMD -MP $(CFLAGS)
ALL_LDFLAGS = -fopenmp $(SAN) $(LDFLAGS)
LIBS = $(PKG_LIBS) -lcsv -lm

SRC      := $(filter-out src/main.c,$(wildcard src/*.c))
OBJ      := $(SRC:src/%.c=$(BUILD)/%.o)
TEST_SRC := $(wildcard tests/test_*.c)
TEST_OBJ := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%.o)

.PHONY: all deps demo check test unit cli asan clean install
.DEFAULT_GOAL := all

all: $(BIN)

$(BIN): $(BUILD)/main.o $(BUILD)/libbackprop.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/libbackprop.a: $(OBJ)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/%.o: src/%.c | $(BUILD)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/tests/%.o: tests/%.c | $(BUILD)/tests
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
	@$(MAKE) --no-print-directory test

test: unit cli

unit: $(BUILD)/check_backprop
	cd tests && ../$(BUILD)/check_backprop

# A small JSON reader the command-line tests use instead of python or jq.
$(BUILD)/jsonpath: tests/cli/jsonpath.c | $(BUILD)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(PKG_LIBS)

cli: $(BIN) $(BUILD)/jsonpath
	bash tests/cli/run.sh ./$(BIN) $(BUILD)/jsonpath

# Sanitizer build in its own folder, tests run against it.
asan: deps
	@$(MAKE) --no-print-directory BUILD=build/asan BIN=build/asan/backprop \
	  OPT="-O1 -g -fno-omit-frame-pointer" \
	  SAN="-fsanitize=address,undefined,float-cast-overflow -fno-sanitize-recover=all" \
	  test

install: $(BIN)
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 755 $(BIN) $(DESTDIR)$(PREFIX)/bin/backprop

clean:
	rm -rf build $(BIN)

-include $(OBJ:.o=.d) $(BUILD)/main.d $(TEST_OBJ:.o=.d) $(BUILD)/tests/check_main.d
