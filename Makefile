# winnow -- plain Makefile. Sources are discovered, so adding a stage means
# adding stages/winnow-NAME.c (and its library module under lib/, tokenizer/
# or filters/); nothing here changes.
#
#   make            build every binary into bin/
#   make check      deps if missing, build, unit + golden + e2e tests, unit tests under ASan/UBSan
#   make demo       run the default pipeline on tests/data
#   make bench      benchmarks side by side with peers (see bench/)
#   make fuzz       build libFuzzer targets with clang and run each briefly
#   make install PREFIX=/usr/local
#   make SANITIZE=address,undefined   sanitizer build (objects in build/san)

PREFIX    ?= /usr/local
CC        ?= cc
VERSION   := 0.1.0
COMMIT    := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)

# Libraries found by pkg-config; bzip2 ships no .pc file on Debian 12.
PKGS      := libxml-2.0 libzstd libpcre2-8 libarchive zlib liblzma yaml-0.1 libcurl jansson libcrypto libbrotlidec libbrotlienc libxxhash
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lbz2 -lpthread -lm

WARN      := -Wall -Wextra -Wshadow -Wno-unused-parameter -Wstrict-prototypes -Wmissing-prototypes
ifneq ($(CI),)
WARN      += -Werror
endif
OPT       ?= -O2
CFLAGS    ?= $(OPT) -g
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE $(WARN) $(CFLAGS) $(PKG_CFLAGS) \
             -Ilib -Itokenizer -Ifilters -DWN_VERSION='"$(VERSION)"' -DWN_COMMIT='"$(COMMIT)"' -MMD -MP
LDFLAGS   ?=
ALL_LDFLAGS = -Wl,--as-needed $(LDFLAGS)

ifneq ($(SANITIZE),)
BUILD     ?= build/san
ALL_CFLAGS += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
ALL_LDFLAGS += -fsanitize=$(SANITIZE)
BIN       ?= $(BUILD)/bin
else
BUILD     ?= build/rel
BIN       ?= bin
endif

LIB_SRC   := $(wildcard lib/*.c) $(wildcard tokenizer/*.c) $(wildcard filters/*.c)
LIB_OBJ   := $(LIB_SRC:%.c=$(BUILD)/%.o)
LIBA      := $(BUILD)/libwinnow.a
STAGE_SRC := $(wildcard stages/*.c)
STAGES    := $(STAGE_SRC:stages/%.c=$(BIN)/%)
UNIT_SRC  := $(wildcard tests/unit/test_*.c)
UNITS     := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
FUZZ_SRC  := $(wildcard tests/fuzz/fuzz_*.c)

.PHONY: all check test unit deps deps-ok demo bench fuzz install clean
all: deps-ok $(STAGES)

# V=1 shows the full commands
Q := $(if $(V),,@)
$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

$(LIBA): $(LIB_OBJ)
	@rm -f $@
	$(Q)ar rcs $@ $^

$(BIN)/%: $(BUILD)/stages/%.o $(LIBA)
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  LINK    $@")
	$(Q)$(CC) $(ALL_CFLAGS) $< $(LIBA) -o $@ $(ALL_LDFLAGS) $(PKG_LIBS)

# Unit tests link the same libraries; jansson serves them as an oracle.
$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(LIBA)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CFLAGS) $< $(LIBA) -o $@ $(ALL_LDFLAGS) $(PKG_LIBS)

unit: $(UNITS)

# deps-ok: run scripts/deps.sh only when something is missing (fast no-op otherwise).
deps-ok:
	@scripts/deps.sh --check 2>/dev/null || scripts/deps.sh
deps:
	@scripts/deps.sh

check: deps-ok
	@$(MAKE) --no-print-directory all unit
	@$(MAKE) --no-print-directory SANITIZE=address,undefined unit stages-san
	@tests/run.sh

stages-san: $(STAGES)

demo: deps-ok
	@$(MAKE) --no-print-directory all
	@scripts/demo.sh

bench: deps-ok
	@$(MAKE) --no-print-directory all
	@bench/run.sh

FUZZ_CFLAGS = -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined $(PKG_CFLAGS) -Ilib -Itokenizer -Ifilters -DWN_VERSION='"$(VERSION)"' -DWN_COMMIT='"fuzz"'
FUZZ_SECONDS ?= 30
fuzz: deps-ok
	@mkdir -p build/fuzz
	@set -e; for f in $(FUZZ_SRC); do n=$$(basename $$f .c); \
	  echo "fuzz: building $$n"; \
	  clang $(FUZZ_CFLAGS) $$f $(LIB_SRC) -o build/fuzz/$$n $(PKG_LIBS); done
	@set -e; for f in $(FUZZ_SRC); do n=$$(basename $$f .c); mkdir -p build/fuzz/corpus-$$n; \
	  seeds=tests/fuzz/seeds/$$n; [ -d $$seeds ] || seeds=; \
	  echo "fuzz: running $$n for $(FUZZ_SECONDS)s"; \
	  build/fuzz/$$n -max_total_time=$(FUZZ_SECONDS) -max_len=65536 build/fuzz/corpus-$$n $$seeds 2>build/fuzz/$$n.log \
	    || { tail -n 40 build/fuzz/$$n.log; exit 1; }; \
	  tail -n 1 build/fuzz/$$n.log; done

install: all
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(STAGES) $(DESTDIR)$(PREFIX)/bin/

clean:
	rm -rf build bin out

-include $(LIB_OBJ:.o=.d) $(STAGE_SRC:%.c=$(BUILD)/%.d) $(UNIT_SRC:%.c=$(BUILD)/%.d)
