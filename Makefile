# Slate — build, run and check. See README.md.
#
#   make          release build: build/slate
#   make run      bootstrap, build, init ./slate-data once, serve https://localhost:8443
#   make check    bootstrap, then every test: unit, API, browser, sanitizers, valgrind, lint, fuzz, format
#   make browser  the web app's browser tests (Playwright, Debian's Chromium)
#   make asan     ASan+UBSan build: build/asan/slate
#   make tsan     ThreadSanitizer build: build/tsan/slate (make api-tsan runs the API suite on it)
#   make fuzz     libFuzzer harnesses, FUZZ_SECONDS each (default 20; 10 in make check)
#   make fmt      apply .clang-format
#   make bench    benchmarks (bench/run)

VERSION      := 0.1.0
CC           ?= cc
PKGS         := libevent libevent_openssl libevent_pthreads openssl libsodium sqlite3 jansson inih \
                libqrencode pwquality libcurl libical libarchive zlib pangocairo cairo-pdf
PKG_CFLAGS   := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS     := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lm

WARN         := -std=c17 -Wall -Wextra -Wshadow -Wconversion -Wformat=2 -Wvla -Werror
HARDEN       := -D_FORTIFY_SOURCE=3 -fstack-protector-strong -fstack-clash-protection \
                -fcf-protection -fPIE
BASE_CFLAGS  := $(WARN) -D_GNU_SOURCE -DSLATE_VERSION='"$(VERSION)"' -Isrc -Ibuild/gen $(PKG_CFLAGS)
# assert() checks the invariants the file essays state: on in the unit-test, sanitizer and fuzz
# builds, compiled out of the release build (NDEBUG)
REL_CFLAGS   := $(BASE_CFLAGS) -O2 -g $(HARDEN) -DNDEBUG
TEST_CFLAGS  := $(BASE_CFLAGS) -O2 -g $(HARDEN)
REL_LDFLAGS  := -pie -Wl,-z,relro,-z,now -Wl,-z,noexecstack
SAN          := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
ASAN_CFLAGS  := $(BASE_CFLAGS) -O1 -g $(SAN)
TSAN_CFLAGS  := $(BASE_CFLAGS) -O1 -g -fsanitize=thread -fno-omit-frame-pointer

SRC          := $(shell find src -name '*.c' | sort)
LIB_SRC      := $(filter-out src/main.c,$(SRC))
MIGRATIONS   := $(sort $(wildcard src/store/migrations/*.sql))
GEN          := build/gen/migrations.c build/gen/security_md.c build/gen/factors.c build/gen/web.c
# the browser app (web/): a file added, changed or removed rebuilds build/gen/web.c
WEB          := $(shell find web -type f) $(shell find web -type d)
FACTORS      := data/factors/uk-desnz-2024.csv data/factors/us-epa-2025.csv
UNIT_SRC     := $(shell find tests/unit -name 'test_*.c' 2>/dev/null | sort)
FUZZ_SRC     := $(wildcard fuzz/fuzz_*.c)
FUZZ_SECONDS ?= 20
# make check's share (fuzzing ends its second lane)
CHECK_FUZZ_SECONDS ?= 10

REL_OBJ      := $(patsubst %.c,build/obj/%.o,$(LIB_SRC) $(GEN))
TEST_OBJ     := $(patsubst %.c,build/test/obj/%.o,$(LIB_SRC) $(GEN))
ASAN_OBJ     := $(patsubst %.c,build/asan/obj/%.o,$(LIB_SRC) $(GEN))
TSAN_OBJ     := $(patsubst %.c,build/tsan/obj/%.o,$(LIB_SRC) $(GEN))
# built only for the unit tests (through a pattern rule): keep them between runs
.SECONDARY: $(TEST_OBJ)

.PHONY: all run check asan tsan unit unit-asan unit-tsan api api-asan api-tsan browser check-lane-valgrind check-lane-rest valgrind lint fuzz fuzz-build fmt fmt-check bench clean deps deps-check

all: build/slate

deps:
	@scripts/bootstrap run
deps-check:
	@scripts/bootstrap check

build/gen/migrations.c: $(MIGRATIONS) scripts/embed
	@mkdir -p $(@D)
	scripts/embed migrations $(MIGRATIONS) > $@.tmp && mv $@.tmp $@
build/gen/security_md.c: docs/SECURITY.md scripts/embed
	@mkdir -p $(@D)
	scripts/embed text embedded_security_md docs/SECURITY.md > $@.tmp && mv $@.tmp $@

build/gen/web.c: $(WEB) scripts/embed
	@mkdir -p $(@D)
	scripts/embed web web > $@.tmp && mv $@.tmp $@

build/gen/factors.c: $(FACTORS) scripts/embed
	@mkdir -p $(@D)
	for f in $(FACTORS); do n=$$(basename $$f .csv | tr -- - _); \
	  scripts/embed text embedded_factors_$$n $$f || exit 1; done > $@.tmp && mv $@.tmp $@

build/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(REL_CFLAGS) -MMD -MP -c $< -o $@
build/test/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) -MMD -MP -c $< -o $@
build/asan/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ASAN_CFLAGS) -MMD -MP -c $< -o $@
build/tsan/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(TSAN_CFLAGS) -MMD -MP -c $< -o $@

build/slate: build/obj/src/main.o $(REL_OBJ)
	$(CC) $(REL_CFLAGS) $(REL_LDFLAGS) $^ $(PKG_LIBS) -o $@
build/asan/slate: build/asan/obj/src/main.o $(ASAN_OBJ)
	$(CC) $(ASAN_CFLAGS) $^ $(PKG_LIBS) -o $@
build/tsan/slate: build/tsan/obj/src/main.o $(TSAN_OBJ)
	$(CC) $(TSAN_CFLAGS) $^ $(PKG_LIBS) -o $@

# ---- the backup destinations' test driver (tests/tools/destctl.c), for tests/api/s3_dest.test.mjs;
# built over the same objects as the binary the API lane tests (nothing more to compile)
build/destctl: tests/tools/destctl.c $(REL_OBJ)
	$(CC) $(REL_CFLAGS) $(REL_LDFLAGS) $(filter-out %.h,$^) $(PKG_LIBS) -o $@
build/asan/destctl: tests/tools/destctl.c $(ASAN_OBJ)
	$(CC) $(ASAN_CFLAGS) $(filter-out %.h,$^) $(PKG_LIBS) -o $@
build/tsan/destctl: tests/tools/destctl.c $(TSAN_OBJ)
	$(CC) $(TSAN_CFLAGS) $(filter-out %.h,$^) $(PKG_LIBS) -o $@

asan: build/asan/slate
tsan: build/tsan/slate

# ---- unit tests (cmocka), once over optimised objects with assertions on and once under ASan+UBSan
UNIT_BINS      := $(patsubst tests/unit/%.c,build/unit/%,$(UNIT_SRC))
UNIT_ASAN_BINS := $(patsubst tests/unit/%.c,build/asan/unit/%,$(UNIT_SRC))
UNIT_TSAN_BINS := $(patsubst tests/unit/%.c,build/tsan/unit/%,$(UNIT_SRC))
build/unit/%: tests/unit/%.c $(TEST_OBJ)
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) -Itests/unit $(filter-out %.h,$^) $(PKG_LIBS) -lcmocka -o $@
build/asan/unit/%: tests/unit/%.c $(ASAN_OBJ)
	@mkdir -p $(@D)
	$(CC) $(ASAN_CFLAGS) -Itests/unit $(filter-out %.h,$^) $(PKG_LIBS) -lcmocka -o $@
build/tsan/unit/%: tests/unit/%.c $(TSAN_OBJ)
	@mkdir -p $(@D)
	$(CC) $(TSAN_CFLAGS) -Itests/unit $(filter-out %.h,$^) $(PKG_LIBS) -lcmocka -o $@
$(UNIT_BINS) $(UNIT_ASAN_BINS) $(UNIT_TSAN_BINS): $(wildcard tests/unit/*.h)

unit: $(UNIT_BINS)
	@set -e; for t in $(UNIT_BINS); do echo "== $$t"; $$t; done
unit-asan: $(UNIT_ASAN_BINS)
	@set -e; for t in $(UNIT_ASAN_BINS); do echo "== $$t"; LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp $$t; done
unit-tsan: $(UNIT_TSAN_BINS)
	@set -e; for t in $(UNIT_TSAN_BINS); do echo "== $$t"; TSAN_OPTIONS=halt_on_error=1:suppressions=$(CURDIR)/tests/tsan.supp $$t; done

# ---- black-box API tests against a real server (node:test)
api: build/slate build/destctl
	SLATE_BIN=build/slate node --test --test-concurrency=1 tests/api/
api-asan: build/asan/slate build/asan/destctl
	SLATE_BIN=build/asan/slate ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp \
	  UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	  node --test --test-concurrency=1 tests/api/

# ---- and under ThreadSanitizer: any data race between the loop threads, the worker
# pool and the notifier stops the server (exitcode 66), which fails the test that ran it
api-tsan: build/tsan/slate build/tsan/destctl
	SLATE_BIN=build/tsan/slate TSAN_OPTIONS=halt_on_error=1:exitcode=66:second_deadlock_stack=1:suppressions=$(CURDIR)/tests/tsan.supp \
	  node --test --test-concurrency=1 tests/api/

# ---- the API suite again with the release binary under valgrind: no error, no leak. The
# tests' setup helpers (init a data directory, add an account, read the database) run the
# release binary itself (tests/api/lib/harness.mjs, SETUP_BIN): ~500 process starts a run
# that test nothing and cost half an hour under valgrind; every command a test is about
# still runs under valgrind
valgrind: build/slate build/destctl
	SLATE_BIN=tests/valgrind/slate SLATE_SETUP_BIN=build/slate node --test --test-concurrency=1 tests/api/

# ---- the web app in Debian's Chromium (Playwright): every page walked, axe-clean, screenshots
# in build/web/screenshots (docs/WEB.md)
browser: build/slate
	SLATE_BIN=build/slate npx --no-install playwright test -c tests/web/playwright.config.mjs

# ---- static analysis: zero findings
lint: $(GEN)
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability,performance \
	  --std=c11 --inline-suppr --suppressions-list=.cppcheck-suppressions \
	  -D_GNU_SOURCE -Isrc -Ibuild/gen src
	clang-tidy --quiet $(LIB_SRC) src/main.c -- -std=c17 -D_GNU_SOURCE -Isrc -Ibuild/gen $(PKG_CFLAGS)

# ---- fuzzing (clang + libFuzzer), bounded
FUZZ_BINS := $(patsubst fuzz/%.c,build/fuzz/%,$(FUZZ_SRC))
FUZZ_CFLAGS := $(BASE_CFLAGS) -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -Wno-unknown-warning-option
# the library is compiled once for every harness (instrumented, without libFuzzer's main);
# each harness links it with its own entry point
FUZZ_OBJ := $(patsubst %.c,build/fuzz/obj/%.o,$(LIB_SRC) $(GEN))
build/fuzz/obj/%.o: %.c
	@mkdir -p $(@D)
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@
build/fuzz/%: fuzz/%.c fuzz/fuzz_common.h $(FUZZ_OBJ)
	@mkdir -p $(@D)
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer -Ifuzz $< $(FUZZ_OBJ) $(PKG_LIBS) -o $@
fuzz-build: $(FUZZ_BINS)
fuzz: $(FUZZ_BINS)
	@set -e; for f in $(FUZZ_BINS); do \
	  n=$$(basename $$f); mkdir -p build/fuzz/corpus/$$n; \
	  echo "== $$n for $(FUZZ_SECONDS)s"; \
	  $$f -max_total_time=$(FUZZ_SECONDS) -artifact_prefix=build/fuzz/$$n- build/fuzz/corpus/$$n fuzz/corpus/$$n > build/fuzz/$$n.log 2>&1 \
	    || { tail -n 40 build/fuzz/$$n.log; echo "fuzz: $$n failed; the input is in build/fuzz/$$n-*"; exit 1; }; \
	  tail -n 1 build/fuzz/$$n.log; \
	done

# ---- formatting
FMT_SRC := $(shell find src tests/unit tests/tools fuzz -name '*.[ch]' 2>/dev/null)
fmt:
	clang-format -i $(FMT_SRC)
fmt-check:
	clang-format --dry-run --Werror $(FMT_SRC)

# ---- the two README commands
run: deps build/slate
	@if [ ! -d slate-data ]; then build/slate init --data slate-data; fi
	build/slate serve --data slate-data

check: deps-check
	$(MAKE) -j2 build/slate
	@# two lanes, one per core (each API test starts its own server on a free port): the API
	@# suite under valgrind (about 50 min: valgrind runs every thread on one core), then lint
	@# (3 min); beside, everything else in turn (about 46 min), then fuzz (build and run, about
	@# 7 min). Measured 2026-12-05: 56 min with fuzz in the first lane, which then ended 10 min
	@# after the second
	$(MAKE) -j2 --output-sync=target check-lane-valgrind check-lane-rest
	@echo "make check: every suite passed"

# the two lanes of make check
check-lane-valgrind:
	$(MAKE) valgrind
	$(MAKE) lint
check-lane-rest:
	$(MAKE) build/asan/slate build/tsan/slate
	$(MAKE) unit
	$(MAKE) fmt-check
	$(MAKE) api
	$(MAKE) browser
	$(MAKE) unit-asan
	$(MAKE) unit-tsan
	$(MAKE) api-asan
	$(MAKE) api-tsan
	$(MAKE) fuzz FUZZ_SECONDS=$(CHECK_FUZZ_SECONDS)

build/bench/stream_bench: bench/stream_bench.c $(REL_OBJ)
	@mkdir -p $(@D)
	$(CC) $(REL_CFLAGS) $^ $(PKG_LIBS) -o $@

build/bench/carbon_bench: bench/carbon_bench.c $(REL_OBJ)
	@mkdir -p $(@D)
	$(CC) $(REL_CFLAGS) $^ $(PKG_LIBS) -o $@

build/bench/pagecrypt_bench: bench/pagecrypt_bench.c $(REL_OBJ)
	@mkdir -p $(@D)
	$(CC) $(REL_CFLAGS) $^ $(PKG_LIBS) -o $@

build/bench/sheetpdf_bench: bench/sheetpdf_bench.c $(REL_OBJ)
	@mkdir -p $(@D)
	$(CC) $(REL_CFLAGS) $^ $(PKG_LIBS) -o $@

# The people_audit scenario's baseline: build/slate without the audit of personal-data reads.
build/bench/slate-audit-off: bench/audit_off.c build/obj/src/main.o $(filter-out build/obj/src/api/audit_read.o,$(REL_OBJ))
	@mkdir -p $(@D)
	$(CC) $(REL_CFLAGS) $(REL_LDFLAGS) $^ $(PKG_LIBS) -o $@

bench: deps-check build/slate build/bench/slate-audit-off build/bench/stream_bench build/bench/carbon_bench build/bench/pagecrypt_bench \
       build/bench/sheetpdf_bench
	bench/run
	node bench/pageweight.mjs
	node bench/office.mjs
	node bench/ship.mjs

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
