# newsd — plain Makefile, pkg-config for flags, one build directory per variant.
#   make            build newsd and newsq (build/release)
#   make run        deps + build + demo corpus + index + serve on 127.0.0.1:8088
#   make test       deps + build + unit tests (Check) + end-to-end tests (real newsd over HTTP)
#   make asan       the same suite under AddressSanitizer + UBSan (build/asan)
#   make valgrind   unit tests under valgrind (build/release)
#   make bench      benchmarks in bench/ (ratios against baselines measured in the same run)
#   make bench-scale  newsd at 1M articles against Sphinx 2.2 (bench/scale.sh; SCALE_* variables)
#   make eval       entity extraction quality against Reuters editor tags
#   make dedup-eval wire-copy detection: precision/recall of planted copies on Reuters
#   make crashtest  SIGKILL durability test, 100 kills of newsd serve during writes and 20 of
#                   newsd index during a bulk load (CRASH_KILLS=N, CRASH_BULK_KILLS=N)
#   make fuzz       libFuzzer targets in tests/fuzz, FUZZ_SECONDS each (clang)
#   make soak       mixed search + ingest load for SOAK_SECONDS (default 600)
VARIANT ?= release
BUILD   := build/$(VARIANT)
CC      ?= cc
PKGS    := libevent libevent_pthreads sqlite3 zlib jansson inih
WARN    := -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wformat=2 -Wvla -Werror
OPT_release := -O2
OPT_asan    := -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
OPT_fuzz    := -O1 -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
CFLAGS  ?=
CFLAGS  += -std=c11 -D_GNU_SOURCE -g $(OPT_$(VARIANT)) $(WARN) -Iindex -I$(BUILD)/gen \
           $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDFLAGS += $(filter -fsanitize=%,$(OPT_$(VARIANT)))
LDLIBS  += $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread -lm
VERSION := $(shell git describe --always --dirty 2>/dev/null || echo unknown)

INDEX_SRC  := $(sort $(wildcard index/*.c))
SERVER_SRC := $(sort $(wildcard server/*.c))
CLIENT_SRC := $(sort $(wildcard client/*.c))
UNIT_SRC   := $(sort $(wildcard tests/unit/test_*.c))
EMBED_IN   := $(sort $(wildcard data/*/*.tsv data/*.tsv server/www/*))

INDEX_OBJ  := $(INDEX_SRC:%.c=$(BUILD)/%.o) $(BUILD)/gen/embed_data.o
SERVER_OBJ := $(SERVER_SRC:%.c=$(BUILD)/%.o)
CLIENT_OBJ := $(CLIENT_SRC:%.c=$(BUILD)/%.o)
UNIT_BIN   := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

DEPS_PKGS  := build-essential pkg-config libevent-dev libsqlite3-dev sqlite3 zlib1g-dev \
              libjansson-dev libinih-dev check python3 curl
BENCH_PKGS := wrk hyperfine sphinxsearch python3-pymysql
# The search page's end-to-end test drives a real headless browser (it skips without one).
BROWSER_PKGS := chromium
FUZZ_PKGS  := clang libclang-rt-14-dev
SUDO       := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all deps bench-deps run demo test unit e2e asan valgrind bench eval dedup-eval clean \
        crashtest fuzz fuzz-deps soak bench-scale
all: $(BUILD)/newsd $(BUILD)/newsq $(UNIT_BIN)

deps:
	@dpkg -s $(DEPS_PKGS) $(BROWSER_PKGS) >/dev/null 2>&1 || { echo "installing build dependencies (apt-get)"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(DEPS_PKGS) $(BROWSER_PKGS); }

bench-deps: deps
	@dpkg -s $(BENCH_PKGS) >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(BENCH_PKGS); }

$(BUILD)/libnewsd.a: $(INDEX_OBJ)
	@mkdir -p $(@D)
	@rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/newsd: $(SERVER_OBJ) $(BUILD)/libnewsd.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/newsq: $(CLIENT_OBJ) $(BUILD)/libnewsd.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Objects before the archive, so extra objects a test names (below) can use libnewsd.a.
$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libnewsd.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(shell pkg-config --cflags check) $(LDFLAGS) -o $@ $(filter-out %.a,$^) \
	  $(filter %.a,$^) $(LDLIBS) $(shell pkg-config --libs check)
$(BUILD)/tests/test_newsq_render: $(BUILD)/client/render.o

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -DNEWSD_VERSION='"$(VERSION)"' -MMD -MP -c -o $@ $<

# The objects that print the version are rebuilt when it changes (a stamp file, rewritten
# only when `git describe` says something new).
VERSION_STAMP := $(BUILD)/gen/version
$(shell mkdir -p $(BUILD)/gen && (echo '$(VERSION)' | cmp -s - $(VERSION_STAMP) 2>/dev/null || \
        echo '$(VERSION)' > $(VERSION_STAMP)))
$(BUILD)/server/main.o $(BUILD)/server/api.o: $(VERSION_STAMP)

# Data files (gazetteers, the search page) are compiled into the binary: one small tool,
# our own, turns them into a C array table (see index/embed.h).
$(BUILD)/tools/embed: tools/embed.c
	@mkdir -p $(@D)
	$(CC) -std=c11 -O2 -Wall -Wextra -Werror -o $@ $<
$(BUILD)/gen/embed_data.c: $(BUILD)/tools/embed $(EMBED_IN)
	@mkdir -p $(@D)
	$(BUILD)/tools/embed $@ $(EMBED_IN)
$(BUILD)/gen/embed_data.o: $(BUILD)/gen/embed_data.c
	$(CC) $(CFLAGS) -c -o $@ $<

demo: deps $(BUILD)/newsd
	@mkdir -p demo
	@[ -s demo/demo.jsonl ] || python3 tools/gen_demo.py --count 3000 --seed 7 demo/demo.jsonl
	$(BUILD)/newsd index --db demo/demo.db demo/demo.jsonl

run: deps
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory demo
	@echo
	@echo "newsd is serving the demo corpus on http://127.0.0.1:8088/  (Ctrl-C stops it)"
	@echo "  curl 'http://127.0.0.1:8088/search?q=election+minister&limit=3'"
	@echo "  curl 'http://127.0.0.1:8088/search?q=%22central+bank%22&from=2025-01-01&to=2025-06-30&sort=newest'"
	@echo "  $(BUILD)/newsq search 'storm OR flood' --limit 5"
	@echo
	$(BUILD)/newsd serve --db demo/demo.db --listen 127.0.0.1:8088

unit: $(UNIT_BIN)
	@fail=0; for t in $(UNIT_BIN); do echo "== $$t"; CK_FORK=yes $$t || fail=1; done; exit $$fail

e2e: $(BUILD)/newsd $(BUILD)/newsq
	python3 tests/e2e/run.py --build $(BUILD)

test: deps
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory unit
	@$(MAKE) --no-print-directory e2e

asan: deps
	@$(MAKE) --no-print-directory VARIANT=asan all
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	  $(MAKE) --no-print-directory VARIANT=asan unit e2e

valgrind: all
	@for t in $(UNIT_BIN); do CK_FORK=no valgrind -q --error-exitcode=1 --leak-check=full $$t || exit 1; done

bench: bench-deps all
	bash bench/run.sh $(BUILD)

# archive scale: a 1M-article corpus made by ../shared/corpus/scale.py (kept in SCALE_DIR,
# default /var/tmp/newsd-scale), newsd against Sphinx 2.2 on it; about 30 minutes
bench-scale: bench-deps all
	bash bench/scale.sh $(BUILD)

EVAL_CORPUS ?= ../shared/corpus/reuters21578.jsonl.gz
$(BUILD)/bench/entity_eval: bench/entity_eval.c $(BUILD)/libnewsd.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

eval: $(BUILD)/bench/entity_eval
	@if [ -f $(EVAL_CORPUS) ]; then $(BUILD)/bench/entity_eval $(EVAL_CORPUS); \
	else echo "eval: $(EVAL_CORPUS) is absent, skipping"; fi

# wire-copy detection: precision, recall and cost on Reuters (bench/dedup_eval.c)
dedup-eval: $(BUILD)/bench/dedup_eval
	$(BUILD)/bench/dedup_eval

$(BUILD)/bench/dedup_eval: bench/dedup_eval.c $(BUILD)/libnewsd.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

CRASH_KILLS ?= 100
CRASH_BULK_KILLS ?= 20
crashtest: $(BUILD)/newsd
	python3 tests/crash/crashtest.py --build $(BUILD) --kills $(CRASH_KILLS) \
	  --bulk-kills $(CRASH_BULK_KILLS)

# libFuzzer: the index sources are compiled with clang for fuzzing (VARIANT=fuzz), each target
# in tests/fuzz links them with the fuzzer runtime. New inputs go to build/fuzz/corpus/<target>,
# crashes to build/fuzz/crashes/; the seeds are tests/fuzz/corpus/<target>.
FUZZ_TARGETS := query date parse snippet
FUZZ_SECONDS ?= 60
fuzz-deps:
	@dpkg -s $(FUZZ_PKGS) >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(FUZZ_PKGS); }

fuzz: deps fuzz-deps
	@$(MAKE) --no-print-directory VARIANT=fuzz CC=clang $(FUZZ_TARGETS:%=build/fuzz/fuzzers/%)
	@mkdir -p build/fuzz/crashes
	@fail=0; for t in $(FUZZ_TARGETS); do mkdir -p build/fuzz/corpus/$$t; \
	  echo "== fuzz $$t ($(FUZZ_SECONDS) s)"; \
	  build/fuzz/fuzzers/$$t -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 \
	    -max_len=65536 -print_final_stats=1 -artifact_prefix=build/fuzz/crashes/$$t- \
	    build/fuzz/corpus/$$t tests/fuzz/corpus/$$t 2>build/fuzz/$$t.log || fail=1; \
	  grep -E "^stat::number_of_executed_units|^stat::peak_rss|^Done|ERROR|SUMMARY" build/fuzz/$$t.log; \
	done; exit $$fail

$(BUILD)/fuzzers/%: tests/fuzz/fuzz_%.c $(BUILD)/libnewsd.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -fsanitize=fuzzer,address,undefined -o $@ $^ $(LDLIBS)

SOAK_SECONDS ?= 600
soak: $(BUILD)/newsd
	python3 bench/soak.py --build $(BUILD) --seconds $(SOAK_SECONDS)

clean:
	rm -rf build

-include $(shell find $(BUILD) -name "*.d" 2>/dev/null)
