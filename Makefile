# newsd — plain Makefile, pkg-config for flags, one build directory per variant.
#   make            build newsd and newsq (build/release)
#   make run        deps + build + demo corpus + index + serve on 127.0.0.1:8088
#   make test       deps + build + unit tests (Check) + end-to-end tests (real newsd over HTTP)
#   make npm-deps   the OpenAPI validator of the e2e suite, from npm into build/npm (make test runs it)
#   make asan       the same suite under AddressSanitizer + UBSan (build/asan)
#   make valgrind   unit tests under valgrind (build/release)
#   make bench      benchmarks in bench/ (ratios against baselines measured in the same run)
#   make bench-scale  newsd at 1M articles against Sphinx 2.2 (bench/scale.sh; SCALE_* variables)
#   make eval       language detection on Debian's translated manual pages (make lang-eval);
#                   entity extraction against Reuters editor tags; did-you-mean and similar articles
#   make dedup-eval wire-copy detection: precision/recall of planted copies on Reuters
#   make crashtest  SIGKILL durability test, 100 kills of newsd serve during writes and 20 of
#                   newsd index during a bulk load (CRASH_KILLS=N, CRASH_BULK_KILLS=N)
#   make fuzz       libFuzzer targets in tests/fuzz, FUZZ_SECONDS each (clang)
#   make soak       mixed search + ingest load for SOAK_SECONDS (default 600)
#   make install    newsd, newsq, config, systemd unit + sysusers.d + tmpfiles.d, man pages,
#                   bash completion under DESTDIR + PREFIX (default /usr/local); make uninstall
#   make deb        Debian package (debhelper) in build/deb/; make deb-test builds it and checks
#                   it (contents, maintainer scripts, lintian)
VARIANT ?= release
BUILD   := build/$(VARIANT)
CC      ?= cc
# libcrypto (OpenSSL): HMAC-SHA256 of webhook bodies (docs/DESIGN.md, "Watches")
PKGS    := libevent libevent_pthreads sqlite3 zlib jansson inih libcrypto
WARN    := -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wformat=2 -Wvla -Werror
OPT_release := -O2
OPT_asan    := -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
OPT_fuzz    := -O1 -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
CFLAGS  ?=
CFLAGS  += -std=c11 -D_GNU_SOURCE -g $(OPT_$(VARIANT)) $(WARN) -Iindex -I$(BUILD)/gen \
           $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDFLAGS += $(filter -fsanitize=%,$(OPT_$(VARIANT)))
# libstemmer (Snowball stemmers, Debian libstemmer-dev) ships no pkg-config file
LDLIBS  += $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lstemmer -lpthread -lm
VERSION := $(shell git describe --always --dirty 2>/dev/null || echo unknown)

INDEX_SRC  := $(sort $(wildcard index/*.c))
SERVER_SRC := $(sort $(wildcard server/*.c))
CLIENT_SRC := $(sort $(wildcard client/*.c))
UNIT_SRC   := $(sort $(wildcard tests/unit/test_*.c))
EMBED_IN   := $(sort $(wildcard data/*/*.tsv data/*.tsv server/www/* server/openapi/*.json))

INDEX_OBJ  := $(INDEX_SRC:%.c=$(BUILD)/%.o) $(BUILD)/gen/embed_data.o
SERVER_OBJ := $(SERVER_SRC:%.c=$(BUILD)/%.o)
CLIENT_OBJ := $(CLIENT_SRC:%.c=$(BUILD)/%.o)
UNIT_BIN   := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

# man-db: make test renders the man pages (tests/e2e/test_install.py).
DEPS_PKGS  := build-essential pkg-config libevent-dev libsqlite3-dev sqlite3 zlib1g-dev \
              libjansson-dev libinih-dev libssl-dev libstemmer-dev check python3 curl man-db
# The OpenAPI validator of tests/e2e/test_openapi.py runs on node; npm installs it (make
# npm-deps). Installed only when there is no npm command: a nodejs from elsewhere (with its
# own npm) conflicts with Debian's npm package.
NODE_PKGS  := nodejs npm
BENCH_PKGS := wrk hyperfine sphinxsearch python3-pymysql
# The search page's end-to-end test drives a real headless browser (it skips without one).
BROWSER_PKGS := chromium
FUZZ_PKGS  := clang libclang-rt-14-dev
# make deb and its checks
PKG_PKGS   := debhelper dpkg-dev fakeroot lintian
SUDO       := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all deps npm-deps bench-deps run demo test unit e2e asan valgrind bench eval lang-eval dedup-eval clean \
        crashtest fuzz fuzz-deps soak bench-scale man install uninstall pkg-deps deb deb-test
all: $(BUILD)/newsd $(BUILD)/newsq $(UNIT_BIN)

deps:
	@dpkg -s $(DEPS_PKGS) $(BROWSER_PKGS) >/dev/null 2>&1 || { echo "installing build dependencies (apt-get)"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(DEPS_PKGS) $(BROWSER_PKGS); }

# The OpenAPI validator (tests/openapi/package.json, exact version) from the npm registry into
# build/npm, outside the tree; reinstalled when package.json changes. Without npm the test
# that needs it skips and says why.
NPM_DIR := build/npm
npm-deps:
	@command -v npm >/dev/null 2>&1 || { echo "installing node and npm (apt-get)"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq \
	  $(NODE_PKGS) || true; }
	@if ! command -v npm >/dev/null 2>&1; then \
	  echo "npm is absent: tests/e2e/test_openapi.py will skip the validator (apt-get install npm)"; \
	elif ! cmp -s tests/openapi/package.json $(NPM_DIR)/package.json || \
	     [ ! -d $(NPM_DIR)/node_modules/@apidevtools/swagger-parser ]; then \
	  echo "installing the OpenAPI validator (npm) into $(NPM_DIR)"; \
	  mkdir -p $(NPM_DIR) && cp tests/openapi/package.json $(NPM_DIR)/package.json && \
	  cd $(NPM_DIR) && npm install --no-audit --no-fund --omit=dev --loglevel=error; \
	fi

bench-deps: deps
	@dpkg -s $(BENCH_PKGS) >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(BENCH_PKGS); }

pkg-deps: deps
	@dpkg -s $(PKG_PKGS) >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(PKG_PKGS); }

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
	$(CC) $(CPPFLAGS) $(CFLAGS) -DNEWSD_VERSION='"$(VERSION)"' -MMD -MP -c -o $@ $<

# $(call stamp,FILE,TEXT): FILE holds TEXT and is rewritten only when TEXT changes, so what is
# made from TEXT is remade exactly then.
stamp = $(shell mkdir -p $(dir $(1)) && (echo '$(2)' | cmp -s - $(1) 2>/dev/null || \
        echo '$(2)' > $(1)))
# The objects that print the version are rebuilt when it changes (when `git describe` says
# something new).
VERSION_STAMP := $(BUILD)/gen/version
$(call stamp,$(VERSION_STAMP),$(VERSION))
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
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

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
	@$(MAKE) --no-print-directory npm-deps
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory unit
	@$(MAKE) --no-print-directory e2e

asan: deps
	@$(MAKE) --no-print-directory npm-deps
	@$(MAKE) --no-print-directory VARIANT=asan all
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	  CK_TIMEOUT_MULTIPLIER=5 $(MAKE) --no-print-directory VARIANT=asan unit e2e

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

$(BUILD)/bench/discovery_eval: bench/discovery_eval.c $(BUILD)/libnewsd.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# entity extraction, then did-you-mean and similar articles on Reuters indexed by newsd itself
# (build/<variant>/eval/reuters.db, made again when newsd changes)
EVAL_DB := $(BUILD)/eval/reuters.db
$(EVAL_DB): $(BUILD)/newsd
	@mkdir -p $(@D)
	rm -f $@ $@-wal $@-shm
	$(BUILD)/newsd index --db $@ $(EVAL_CORPUS) >/dev/null

$(BUILD)/bench/lang_eval: bench/lang_eval.c $(BUILD)/libnewsd.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# language detection on paragraphs of the translated manual pages installed on this machine
# (bench/lang_eval_set.py makes the labelled set; nothing of it is kept in the tree)
lang-eval: $(BUILD)/bench/lang_eval
	python3 bench/lang_eval_set.py 2>/dev/null | $(BUILD)/bench/lang_eval

eval: $(BUILD)/bench/entity_eval $(BUILD)/bench/discovery_eval $(BUILD)/newsd
	@$(MAKE) --no-print-directory lang-eval
	@if [ -f $(EVAL_CORPUS) ]; then $(BUILD)/bench/entity_eval $(EVAL_CORPUS) && \
	  $(MAKE) --no-print-directory $(EVAL_DB) && \
	  $(BUILD)/bench/discovery_eval $(EVAL_DB) $(EVAL_CORPUS); \
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

# ---- install and the Debian package ----
# `make install PREFIX=/usr DESTDIR=/tmp/root`. The configuration stays in /etc and the state in
# /var/lib/newsd whatever the prefix; units, sysusers.d and tmpfiles.d go under PREFIX/lib
# (systemd reads /usr/local/lib/... too). Man pages and the completion are generated from
# templates by tools/confdoc, which lists config_keys[] (index/config.c) in them.
PREFIX         ?= /usr/local
BINDIR         ?= $(PREFIX)/bin
MANDIR         ?= $(PREFIX)/share/man
SYSCONFDIR     ?= /etc
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR    ?= $(PREFIX)/lib/sysusers.d
TMPFILESDIR    ?= $(PREFIX)/lib/tmpfiles.d
BASHCOMPDIR    ?= $(PREFIX)/share/bash-completion/completions
INSTALL        ?= install
PKG            := $(BUILD)/pkg
MAN_PAGES      := $(PKG)/newsd.8 $(PKG)/newsd.conf.5 $(PKG)/newsq.1
# the date of the commit (or SOURCE_DATE_EPOCH, set by dpkg-buildpackage)
MAN_DATE        = $(shell date -u -d @$${SOURCE_DATE_EPOCH:-$$(git log -1 --format=%ct 2>/dev/null || \
                  date +%s)} +%Y-%m-%d)
PATHS_STAMP    := $(BUILD)/gen/paths
$(call stamp,$(PATHS_STAMP),$(BINDIR) $(SYSCONFDIR))
CONF_FILE      := $(DESTDIR)$(SYSCONFDIR)/newsd/newsd.conf

$(BUILD)/tools/confdoc: tools/confdoc.c $(BUILD)/libnewsd.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(PKG)/%: man/%.in $(BUILD)/tools/confdoc $(VERSION_STAMP) $(PATHS_STAMP)
	@mkdir -p $(@D)
	$(BUILD)/tools/confdoc < $< | sed -e 's|@VERSION@|$(VERSION)|g' -e 's|@DATE@|$(MAN_DATE)|g' \
	  -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' > $@.tmp && mv $@.tmp $@
$(PKG)/newsd.bash: completion/newsd.bash.in $(BUILD)/tools/confdoc
	@mkdir -p $(@D)
	$(BUILD)/tools/confdoc < $< > $@.tmp && mv $@.tmp $@
$(PKG)/newsd.service: systemd/newsd.service.in $(PATHS_STAMP)
	@mkdir -p $(@D)
	sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' $< > $@
# conf/newsd.conf with the database and the spool in the service's state directory
$(PKG)/newsd.conf: conf/newsd.conf
	@mkdir -p $(@D)
	sed -e 's|^db = newsd\.db$$|# Installed: in the state directory of the service (built-in default: newsd.db).\ndb = /var/lib/newsd/newsd.db|' \
	  -e 's|^spool_dir =$$|# Installed: the spool of the service (built-in default: none).\nspool_dir = /var/lib/newsd/spool|' \
	  $< > $@.tmp
	@grep -q '^db = /var/lib/newsd/newsd.db$$' $@.tmp && grep -q '^spool_dir = /var/lib/newsd/spool$$' $@.tmp \
	  || { echo "$<: no 'db = newsd.db' or 'spool_dir =' line to set for the service" >&2; exit 1; }
	@mv $@.tmp $@

man: $(MAN_PAGES)

# An edited configuration file is never overwritten: the new default goes beside it as .new.
install: $(BUILD)/newsd $(BUILD)/newsq $(MAN_PAGES) $(PKG)/newsd.bash $(PKG)/newsd.service \
         $(PKG)/newsd.conf
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
	  $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(SYSCONFDIR)/newsd $(DESTDIR)$(SYSTEMDUNITDIR) \
	  $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(TMPFILESDIR) $(DESTDIR)$(BASHCOMPDIR)
	$(INSTALL) -m 0755 $(BUILD)/newsd $(BUILD)/newsq $(DESTDIR)$(BINDIR)/
	$(INSTALL) -m 0644 $(PKG)/newsq.1 $(DESTDIR)$(MANDIR)/man1/
	$(INSTALL) -m 0644 $(PKG)/newsd.conf.5 $(DESTDIR)$(MANDIR)/man5/
	$(INSTALL) -m 0644 $(PKG)/newsd.8 $(DESTDIR)$(MANDIR)/man8/
	$(INSTALL) -m 0644 $(PKG)/newsd.service $(DESTDIR)$(SYSTEMDUNITDIR)/newsd.service
	$(INSTALL) -m 0644 systemd/newsd.sysusers $(DESTDIR)$(SYSUSERSDIR)/newsd.conf
	$(INSTALL) -m 0644 systemd/newsd.tmpfiles $(DESTDIR)$(TMPFILESDIR)/newsd.conf
	$(INSTALL) -m 0644 $(PKG)/newsd.bash $(DESTDIR)$(BASHCOMPDIR)/newsd
	$(INSTALL) -m 0644 completion/newsq.bash $(DESTDIR)$(BASHCOMPDIR)/newsq
	@if [ ! -e $(CONF_FILE) ]; then \
	  echo "$(INSTALL) -m 0644 $(PKG)/newsd.conf $(CONF_FILE)"; \
	  $(INSTALL) -m 0644 $(PKG)/newsd.conf $(CONF_FILE); \
	elif cmp -s $(PKG)/newsd.conf $(CONF_FILE); then \
	  rm -f $(CONF_FILE).new; \
	else \
	  $(INSTALL) -m 0644 $(PKG)/newsd.conf $(CONF_FILE).new; \
	  echo "kept your edited $(CONF_FILE); the new default is $(CONF_FILE).new"; \
	fi
	@[ -n "$(DESTDIR)" ] || { echo; echo "installed; to run the service:"; \
	  echo "  systemd-sysusers && systemd-tmpfiles --create && systemctl daemon-reload"; \
	  echo "  systemctl enable --now newsd"; }

# Leaves an edited configuration file, the newsd user and /var/lib/newsd (the database).
uninstall: $(PKG)/newsd.conf
	rm -f $(DESTDIR)$(BINDIR)/newsd $(DESTDIR)$(BINDIR)/newsq \
	  $(DESTDIR)$(MANDIR)/man1/newsq.1 $(DESTDIR)$(MANDIR)/man5/newsd.conf.5 \
	  $(DESTDIR)$(MANDIR)/man8/newsd.8 $(DESTDIR)$(SYSTEMDUNITDIR)/newsd.service \
	  $(DESTDIR)$(SYSUSERSDIR)/newsd.conf $(DESTDIR)$(TMPFILESDIR)/newsd.conf \
	  $(DESTDIR)$(BASHCOMPDIR)/newsd $(DESTDIR)$(BASHCOMPDIR)/newsq $(CONF_FILE).new
	@if cmp -s $(PKG)/newsd.conf $(CONF_FILE); then rm -f $(CONF_FILE); \
	elif [ -e $(CONF_FILE) ]; then echo "kept your edited $(CONF_FILE)"; fi
	@rmdir $(DESTDIR)$(SYSCONFDIR)/newsd 2>/dev/null || true
	@[ -n "$(DESTDIR)" ] || echo "left the newsd user and /var/lib/newsd (the database) in place"

# The package is built by dpkg-buildpackage from a copy of the tree's files (tracked or not
# ignored) in build/deb/src, so nothing of the build lands in the tree; the .deb ends in
# build/deb/. The version is debian/changelog's plus the commit: 0.1.0+git20261130120000.b348dab.
DEB_DIR      := build/deb
DEB_SNAPSHOT  = $(shell git log -1 --date=format:%Y%m%d%H%M%S --format=+git%cd.%h)$(shell \
                [ -z "$$(git status --porcelain)" ] || echo .dirty)
deb: pkg-deps
	@git rev-parse --git-dir >/dev/null 2>&1 || { echo "make deb: needs the git tree" >&2; exit 1; }
	rm -rf $(DEB_DIR) && mkdir -p $(DEB_DIR)/src/newsd
	git ls-files -z -co --exclude-standard | tar --null -T - -cf - | tar -xf - -C $(DEB_DIR)/src/newsd
	sed -i '1s/(\([^)]*\))/(\1$(DEB_SNAPSHOT))/' $(DEB_DIR)/src/newsd/debian/changelog
	cd $(DEB_DIR)/src/newsd && DEB_BUILD_OPTIONS="parallel=2 $(DEB_BUILD_OPTIONS)" \
	  dpkg-buildpackage -b -us -uc
	mv $(DEB_DIR)/src/*.*deb $(DEB_DIR)/src/*.changes $(DEB_DIR)/src/*.buildinfo $(DEB_DIR)/
	@ls -l $(DEB_DIR)/*.deb

deb-test: deb
	NEWSD_DEB_DIR=$(DEB_DIR) python3 tests/e2e/run.py --build $(BUILD) --dir tests/pkg

clean:
	rm -rf build

-include $(shell find $(BUILD) -name "*.d" 2>/dev/null)
