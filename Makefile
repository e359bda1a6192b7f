# metaldb: build, quick start and tests. `make help` lists the targets.
#
# Cargo's target directory lives outside the work tree, so that RocksDB (a 20+ minute C++
# build) is compiled once per machine and reused by every checkout and CI run.
export CARGO_TARGET_DIR ?= $(HOME)/.cache/metaldb-target
CARGO ?= cargo
# The chrono, uuid and rust_decimal encodings are optional; the tests cover them too.
FEATURES ?= chrono,uuid,rust_decimal
# The test build (`make lib`), and the optimized build that `make install` ships.
DEBUG_LIB := $(CARGO_TARGET_DIR)/debug
RELEASE_LIB := $(CARGO_TARGET_DIR)/release
BUILD := $(CARGO_TARGET_DIR)/c-build
CFLAGS ?= -std=c99 -g -O1 -Wall -Wextra -Werror -pedantic
C_LINK := -L$(DEBUG_LIB) -lmetaldb -Wl,-rpath,$(DEBUG_LIB) -lpthread -ldl -lm

# `make install`: where, and the version that names the shared library's files. LIBDIR may be
# a multiarch directory ($(PREFIX)/lib/x86_64-linux-gnu, as the Debian packages use).
PREFIX ?= /usr/local
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
# Where the shared library's debug info goes, by build ID, as gdb looks for it
# (`/usr/lib/debug/.build-id/xx/yyyy.debug` for PREFIX=/usr).
DEBUGDIR ?= $(PREFIX)/lib/debug
# yes: the installed libraries are stripped and the shared library's debug info is installed
# apart, under DEBUGDIR. no: installed as built, for packaging tools that strip themselves
# (debian/rules: dh_strip makes the -dbgsym package).
SPLIT_DEBUG ?= yes
DESTDIR ?=
INSTALL ?= install
OBJCOPY ?= objcopy
STRIP ?= strip
VERSION := $(shell sed -n 's/^version = "\([^"]*\)"/\1/p' Cargo.toml | head -n 1)
MAJOR := $(firstword $(subst ., ,$(VERSION)))

# RocksDB is compiled once per target directory, optimized, by `make rocksdb`; every build
# (the test build, clippy, the fuzz target, the shipped library, the benchmarks) links that
# librocksdb.a and libsnappy.a through librocksdb-sys's ROCKSDB_LIB_DIR and SNAPPY_LIB_DIR,
# so that no configuration compiles RocksDB again (25+ minutes on two cores). Setting
# ROCKSDB_LIB_DIR in the environment (or on the command line) uses that build instead.
#
# RocksDB's perf and I/O-stats contexts are compiled out: nothing in metaldb reads them, and each
# iterator step and read updates them through thread-local variables, which a shared library
# reaches through __tls_get_addr (about 6% of the instructions of an iteration through
# libmetaldb.so). The directory is named after the flags, so that new flags make a new build,
# and a new ROCKSDB_LIB_DIR makes every cargo profile link it (librocksdb-sys watches the
# variable, not the archive); the flags are also written beside the archives, where build.rs
# reads them.
ROCKSDB_CXXFLAGS := -DNPERF_CONTEXT -DNIOSTATS_CONTEXT
ROCKSDB_DIR := $(CARGO_TARGET_DIR)/rocksdb-$(firstword $(shell printf '%s' '$(ROCKSDB_CXXFLAGS)' | cksum))
ifeq ($(origin ROCKSDB_LIB_DIR),undefined)
ROCKSDB_LIB_DIR := $(ROCKSDB_DIR)
OWN_ROCKSDB := yes
endif
ROCKSDB_STATIC ?= 1
SNAPPY_LIB_DIR ?= $(ROCKSDB_LIB_DIR)
SNAPPY_STATIC ?= 1
export ROCKSDB_LIB_DIR ROCKSDB_STATIC SNAPPY_LIB_DIR SNAPPY_STATIC

.PHONY: help rocksdb rocksdb-env lib release tools quickstart migration-example install install-tools uninstall deb deb-symbols \
	test rust-test derive-test c-test-release deb-test fmt-check lint cli-test fuzz-build fuzz-test fuzz-smoke fuzz go-test \
	abi-check abi-baseline bench bench-c bench-cli bench-instructions bench-memory bench-smoke tsan-test

help:
	@echo "make quickstart  build the library and run examples-c/quickstart.c against it"
	@echo "make migration-example  build the library and run examples-c/migration.c against it"
	@echo "make install     install the optimized library, header, module map and metaldb.pc under PREFIX (/usr/local)"
	@echo "make install-tools  install the metaldb command-line tool (optimized) as BINDIR/metaldb, its manual pages in MANDIR/man1"
	@echo "make uninstall   remove what make install and make install-tools installed (same PREFIX, LIBDIR, DESTDIR)"
	@echo "make deb         build the Debian packages libmetaldb1, libmetaldb-dev and metaldb-tools into dist/"
	@echo "make test        run every test: formatting, clippy, Rust tests, C tests (plain, ASan+UBSan, valgrind, ThreadSanitizer), a fuzz run, a benchmark smoke run, the Debian packages"
	@echo "make lint        formatting and clippy"
	@echo "make rocksdb     compile RocksDB (optimized) once into $(ROCKSDB_DIR), for every other build"
	@echo "make rocksdb-env the variables that point cargo at it: eval \"\$$(make -s rocksdb-env)\""
	@echo "make derive-test the metaldb-derive crate's compile-fail tests (no RocksDB; the derive tests that use metaldb run in rust-test)"
	@echo "make tsan-test   the concurrency tests and the C programs that start threads under ThreadSanitizer"
	@echo "make go-test     the Go binding (bindings/go): vet, tests under -race and cgocheck=2, against a staged install"
	@echo "make abi-check   compare the built library and header with the 1.x ABI baseline (abi/metaldb-1.abi)"
	@echo "make abi-baseline  regenerate abi/metaldb-1.abi from the built library (README, \"ABI stability\")"
	@echo "make wheel       build the Python binding's wheel, bundling the library, into dist/"
	@echo "make py-test     build the wheel, install it into a fresh venv and run the Python tests"
	@echo "make fuzz        fuzz the C ABI for FUZZ_SECONDS (3600), growing fuzz/corpus/c_abi"
	@echo "make bench       metaldb against raw RocksDB (benches/engine.rs), with the ratio table"
	@echo "make bench-c     the C ABI (the library make install ships) against the Rust API; BENCH_C_ARGS=--items 1000"
	@echo "make bench-instructions  instructions (callgrind) and wall clock of the Rust API and the C ABI against raw RocksDB; BENCH_INSTRUCTIONS_ARGS=--items 1000"
	@echo "make bench-memory  peak heap of a fork holding 100k and 1M changes, against their bytes"
	@echo "make bench-smoke the instruction-count mode at 200 items: every side and workload runs (no figure checked)"

# librocksdb-sys compiles RocksDB and Snappy (opt-level 3, so -O3, plus ROCKSDB_CXXFLAGS through
# the cc crate's CXXFLAGS) when ROCKSDB_LIB_DIR is not set; the release build of the library with
# the project's features does that, and the two archives are copied out of its out directory,
# with the flags in `cxxflags`. The copy goes through a temporary directory renamed into place,
# so that an interrupted run leaves no half-copied RocksDB behind.
ifdef OWN_ROCKSDB
rocksdb: $(ROCKSDB_DIR)/librocksdb.a

$(ROCKSDB_DIR)/librocksdb.a:
	env -u ROCKSDB_LIB_DIR -u ROCKSDB_STATIC -u SNAPPY_LIB_DIR -u SNAPPY_STATIC \
		CXXFLAGS="$(ROCKSDB_CXXFLAGS)" $(CARGO) build --release --lib --features $(FEATURES)
	out="$$(dirname "$$(ls -t $(RELEASE_LIB)/build/librocksdb-sys-*/out/librocksdb.a | head -n 1)")" && \
	tmp="$(ROCKSDB_DIR).tmp-$$$$" && rm -rf "$$tmp" && mkdir -p "$$tmp" && \
	cp "$$out/librocksdb.a" "$$out/libsnappy.a" "$$tmp/" && \
	echo "$(ROCKSDB_CXXFLAGS)" > "$$tmp/cxxflags" && \
	{ mv -T "$$tmp" $(ROCKSDB_DIR) 2>/dev/null || rm -rf "$$tmp"; }
	test -f $@
else
rocksdb:
	@test -f "$(ROCKSDB_LIB_DIR)/librocksdb.a" || test -f "$(ROCKSDB_LIB_DIR)/librocksdb.so" || \
		{ echo "ROCKSDB_LIB_DIR=$(ROCKSDB_LIB_DIR) holds no librocksdb.a or librocksdb.so" >&2; exit 1; }
endif

# The variables that point cargo at that RocksDB, for running cargo by hand:
# `eval "$(make -s rocksdb-env)"`.
rocksdb-env:
	@echo "export CARGO_TARGET_DIR=$(CARGO_TARGET_DIR) ROCKSDB_LIB_DIR=$(ROCKSDB_LIB_DIR)" \
		"ROCKSDB_STATIC=$(ROCKSDB_STATIC) SNAPPY_LIB_DIR=$(SNAPPY_LIB_DIR) SNAPPY_STATIC=$(SNAPPY_STATIC)"

# The test build, with the flags of `make test` and the C tests. The library's SONAME is
# libmetaldb.so.$(MAJOR), the name programs linked with -lmetaldb load, which cargo does not
# create.
lib: rocksdb
	$(CARGO) build --lib --tests --features $(FEATURES)
	ln -sf libmetaldb.so $(DEBUG_LIB)/libmetaldb.so.$(MAJOR)

# The optimized library that `make install` and the packages ship (Cargo.toml's release
# profile: opt-level 3, with debug info for the split debug file).
release: rocksdb
	$(CARGO) build --release --lib --features $(FEATURES)
	ln -sf libmetaldb.so $(RELEASE_LIB)/libmetaldb.so.$(MAJOR)

# The `metaldb` command-line tool (cli/), optimized, as `make install-tools` and the
# metaldb-tools package ship it. It links metaldb and RocksDB statically, with the same features
# as `make release`, so the two builds share every artifact.
tools: rocksdb
	$(CARGO) build --release -p metaldb-cli --bin metaldb

quickstart: lib
	@mkdir -p $(BUILD)
	$(CC) $(CFLAGS) -Iinclude examples-c/quickstart.c -o $(BUILD)/quickstart $(C_LINK)
	rm -rf $(BUILD)/quickstart.db
	$(BUILD)/quickstart $(BUILD)/quickstart.db

migration-example: lib
	@mkdir -p $(BUILD)
	$(CC) $(CFLAGS) -Iinclude examples-c/migration.c -o $(BUILD)/migration $(C_LINK)
	$(BUILD)/migration $(BUILD)/migration.db

# The files `make install` installs under $(DESTDIR), which `make uninstall` removes; the
# debug file, named by the library's build ID, is handled apart.
INSTALLED := $(INCLUDEDIR)/metaldb.h $(INCLUDEDIR)/metaldb/module.modulemap \
	$(LIBDIR)/libmetaldb.so.$(VERSION) $(LIBDIR)/libmetaldb.so.$(MAJOR) $(LIBDIR)/libmetaldb.so \
	$(LIBDIR)/libmetaldb.a $(PKGCONFIGDIR)/metaldb.pc
INSTALLED_SO := $(DESTDIR)$(LIBDIR)/libmetaldb.so.$(VERSION)
# A shell expression: where the debug file of the installed shared library goes, from its
# build ID (`.build-id/` + the first two hex digits + `/` + the rest + `.debug`).
DEBUG_FILE := $(DESTDIR)$(DEBUGDIR)/.build-id/$$(readelf -n $(INSTALLED_SO) | \
	sed -n 's/^ *Build ID: \([0-9a-f]\{2\}\)\([0-9a-f]*\)$$/\1\/\2/p').debug
# metaldb.pc names the directories relative to its prefix where they are under it.
pc_dir = $(patsubst $(PREFIX)/%,$${prefix}/%,$(1))

# Installs include/metaldb.h, the module map include/metaldb/module.modulemap (the module
# CMetalDB, for Clang modules and Swift), libmetaldb.so.$(VERSION) with its libmetaldb.so.$(MAJOR)
# (the SONAME) and libmetaldb.so links, libmetaldb.a, and metaldb.pc, under $(DESTDIR): the
# optimized build of $(RELEASE_LIB). With SPLIT_DEBUG=yes the shared library's debug info
# goes to a file of its own under $(DEBUGDIR) (objcopy --only-keep-debug, as Debian's dh_strip
# does) that the stripped library names (--add-gnu-debuglink).
install: release
	$(INSTALL) -d $(DESTDIR)$(INCLUDEDIR)/metaldb $(DESTDIR)$(LIBDIR) $(DESTDIR)$(PKGCONFIGDIR)
	$(INSTALL) -m 644 include/metaldb.h $(DESTDIR)$(INCLUDEDIR)/metaldb.h
	$(INSTALL) -m 644 include/metaldb/module.modulemap $(DESTDIR)$(INCLUDEDIR)/metaldb/module.modulemap
	$(INSTALL) -m 755 $(RELEASE_LIB)/libmetaldb.so $(INSTALLED_SO)
	ln -sf libmetaldb.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libmetaldb.so.$(MAJOR)
	ln -sf libmetaldb.so.$(MAJOR) $(DESTDIR)$(LIBDIR)/libmetaldb.so
	$(INSTALL) -m 644 $(RELEASE_LIB)/libmetaldb.a $(DESTDIR)$(LIBDIR)/libmetaldb.a
	sed -e '/^# pkg-config template/d' -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(call pc_dir,$(LIBDIR))|g' \
		-e 's|@INCLUDEDIR@|$(call pc_dir,$(INCLUDEDIR))|g' -e 's|@VERSION@|$(VERSION)|g' \
		metaldb.pc.in > $(DESTDIR)$(PKGCONFIGDIR)/metaldb.pc
ifeq ($(SPLIT_DEBUG),yes)
	debug="$(DEBUG_FILE)" && \
	case "$$debug" in */.build-id/.debug) echo "$(INSTALLED_SO) has no build ID" >&2; exit 1;; esac && \
	$(INSTALL) -d "$$(dirname "$$debug")" && \
	$(OBJCOPY) --only-keep-debug --compress-debug-sections $(INSTALLED_SO) "$$debug" && \
	chmod 644 "$$debug" && \
	$(STRIP) --remove-section=.comment --remove-section=.note --strip-unneeded $(INSTALLED_SO) && \
	$(OBJCOPY) --add-gnu-debuglink="$$debug" $(INSTALLED_SO)
	$(STRIP) --strip-debug --remove-section=.comment --remove-section=.note \
		--enable-deterministic-archives $(DESTDIR)$(LIBDIR)/libmetaldb.a
endif

# Installs the `metaldb` tool as $(BINDIR)/metaldb. The release profile gives it no debug info
# to split out, so SPLIT_DEBUG=yes only strips its symbol table; SPLIT_DEBUG=no installs it as
# built, for packaging tools that strip themselves. Its manual pages (metaldb.1 and one per
# command) are written by the tool itself, from the definitions its parser uses, so the built
# tool must run on this machine.
install-tools: tools
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1
	$(INSTALL) -m 755 $(RELEASE_LIB)/metaldb $(DESTDIR)$(BINDIR)/metaldb
	$(RELEASE_LIB)/metaldb manpages $(DESTDIR)$(MANDIR)/man1
ifeq ($(SPLIT_DEBUG),yes)
	$(STRIP) --remove-section=.comment --remove-section=.note $(DESTDIR)$(BINDIR)/metaldb
endif

# Removes what `make install` and `make install-tools` installed with the same variables, and
# the directories that are metaldb's own once empty; shared directories (lib/, include/,
# pkgconfig/, bin/) stay.
uninstall:
	if [ -f $(INSTALLED_SO) ]; then \
		debug="$(DEBUG_FILE)" && rm -f "$$debug" && dir="$$(dirname "$$debug")" && \
		{ [ ! -d "$$dir" ] || rmdir --ignore-fail-on-non-empty "$$dir"; }; \
	fi
	rm -f $(addprefix $(DESTDIR),$(INSTALLED)) $(DESTDIR)$(BINDIR)/metaldb
	rm -f $(DESTDIR)$(MANDIR)/man1/metaldb.1 $(DESTDIR)$(MANDIR)/man1/metaldb-*.1
	rmdir --ignore-fail-on-non-empty $(DESTDIR)$(INCLUDEDIR)/metaldb 2>/dev/null || true

# The Debian packages libmetaldb1 (the shared library), libmetaldb-dev (header, static library,
# pkg-config file, module map), libmetaldb1-dbgsym (the debug info) and metaldb-tools (the
# `metaldb` command-line tool), built by
# dpkg-buildpackage from debian/ (debhelper: see debian/rules), into dist/ with their
# .buildinfo and .changes. The package version is debian/changelog's, which must be Cargo.toml's.
DEB_ARCH = $(shell dpkg-architecture -qDEB_HOST_ARCH)
deb: rocksdb
	@test "$$(dpkg-parsechangelog -SVersion)" = "$(VERSION)" || \
		{ echo "debian/changelog's version is not Cargo.toml's ($(VERSION)): add an entry" >&2; exit 1; }
	mkdir -p dist
	rm -f dist/libmetaldb*.deb dist/metaldb-tools*.deb dist/metaldb_*.buildinfo dist/metaldb_*.changes
	DEB_OUTPUT_DIR=dist dpkg-buildpackage -b -us -uc \
		--buildinfo-option=-udist --buildinfo-file=dist/metaldb_$(VERSION)_$(DEB_ARCH).buildinfo \
		--changes-option=-udist --changes-file=dist/metaldb_$(VERSION)_$(DEB_ARCH).changes

# Installs the packages of `make deb` into this machine (root only), builds and runs the quick
# start from them, and purges them; lintian first. See tests/deb_install.sh.
deb-test: deb
	tests/deb_install.sh

# debian/libmetaldb1.symbols lists every exported symbol with the first version that has it;
# dpkg-shlibdeps computes from it the dependency of programs linked with the library, and once
# a version has shipped a symbol, the package build of a later version fails if it disappears.
# This rewrites the file from the optimized library: a new symbol gets version $(VERSION).
deb-symbols: release
	debian/update-symbols $(RELEASE_LIB)/libmetaldb.so $(VERSION)

fmt-check:
	$(CARGO) fmt --all -- --check
	$(CARGO) fmt --manifest-path fuzz/Cargo.toml -- --check

# Clippy runs in check mode, another configuration, in a target directory of its own so that
# it never invalidates the test build. The fault-injection feature is checked too, since only
# the C tests build it. The workspace is the library and metaldb-derive; the fuzz crate, a
# workspace of its own, gets a target directory of its own too.
lint: fmt-check rocksdb
	CARGO_TARGET_DIR=$(CARGO_TARGET_DIR)/lint \
		$(CARGO) clippy --workspace --all-targets --features $(FEATURES),fault-injection -- -D warnings
	CARGO_TARGET_DIR=$(CARGO_TARGET_DIR)/fuzz-lint \
		$(CARGO) clippy --manifest-path fuzz/Cargo.toml --all-targets -- -D warnings

# The command-line tool (cli/README.md), run as a user runs it, linking the RocksDB of
# `make rocksdb` (exported above) in the lint target directory, which already holds the tool's
# dependencies.
cli-test: rocksdb
	CARGO_TARGET_DIR=$(CARGO_TARGET_DIR)/lint $(CARGO) test -p metaldb-cli

# The root package's tests include the derives' behaviour tests (tests/derive_*.rs), the
# migration examples written with them, and the compile-fail cases that need metaldb
# (tests/derive_compile_fail.rs: trybuild builds them in a target directory of its own,
# linking the RocksDB of `make rocksdb`, which the Makefile exports; see that file).
rust-test: rocksdb
	$(CARGO) test --features $(FEATURES)

# The metaldb-derive crate alone: its compile-fail cases (derive/tests/ui) need no metaldb,
# so they build without RocksDB.
derive-test:
	$(CARGO) test -p metaldb-derive

# The C programs of ffi-tests/ and examples-c/, plain, against the optimized library that
# `make install` ships (rust-test runs them against the test build, also under the sanitizers
# and valgrind).
c-test-release: release
	METALDB_TEST_LIB_DIR=$(RELEASE_LIB) $(CARGO) test --features $(FEATURES) --test ffi_c -- \
		c_programs_pass_plain header_and_lmdb_share_no_names_and_link_together

# Fuzzing of the C ABI (RELIABILITY.md, "Fuzzing"): the libFuzzer target fuzz/fuzz_targets/c_abi.rs,
# built by cargo-fuzz with AddressSanitizer. The stable toolchain accepts cargo-fuzz's nightly
# flags (-Zsanitizer) under RUSTC_BOOTSTRAP=1. The build links the RocksDB of `make rocksdb`,
# in a target directory of its own.
FUZZ_SECONDS ?= 3600
FUZZ_SMOKE_SECONDS ?= 60
FUZZ_DIR := $(CARGO_TARGET_DIR)/fuzz
# The target is this machine's (rustc's host), named to cargo-fuzz so that the binary's path,
# which contains it, is known here.
RUSTC ?= rustc
FUZZ_TARGET ?= $(shell $(RUSTC) -vV | sed -n 's/^host: //p')
FUZZ_BIN := $(FUZZ_DIR)/$(FUZZ_TARGET)/release/c_abi
FUZZ_RUN := $(FUZZ_BIN) \
	-timeout=30 -len_control=0 -max_len=1024 -artifact_prefix=$(FUZZ_DIR)/artifacts/

fuzz-build: rocksdb
	test -n "$(FUZZ_TARGET)" || { echo "cannot tell the host target from \`$(RUSTC) -vV\`" >&2; exit 1; }
	RUSTC_BOOTSTRAP=1 $(CARGO) fuzz build -O --target $(FUZZ_TARGET) --target-dir $(FUZZ_DIR) c_abi
	test -x $(FUZZ_BIN) || { echo "cargo fuzz built no $(FUZZ_BIN)" >&2; exit 1; }
	mkdir -p $(FUZZ_DIR)/artifacts

# The fuzz harness's own tests (fuzz/tests): inputs written by hand that must pass the model's
# checks, such as a migration loop over each kind of index. A plain (not sanitized) build, in a
# target directory of its own, linking the test build's RocksDB like `lint`.
fuzz-test: lib
	CARGO_TARGET_DIR=$(CARGO_TARGET_DIR)/fuzz-test $(CARGO) test --manifest-path fuzz/Cargo.toml

# Replays every input of fuzz/regressions/c_abi once, then fuzzes for FUZZ_SMOKE_SECONDS from
# the committed corpus (new inputs go to a scratch directory, not into the work tree).
fuzz-smoke: fuzz-build
	$(FUZZ_RUN) -runs=0 fuzz/regressions/c_abi
	rm -rf $(FUZZ_DIR)/smoke-corpus && mkdir -p $(FUZZ_DIR)/smoke-corpus
	$(FUZZ_RUN) -max_total_time=$(FUZZ_SMOKE_SECONDS) $(FUZZ_DIR)/smoke-corpus fuzz/corpus/c_abi

# The long run: adds what it finds to fuzz/corpus/c_abi. Minimize before committing:
# `cargo fuzz cmin` (see RELIABILITY.md).
fuzz: fuzz-build
	$(FUZZ_RUN) -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 fuzz/corpus/c_abi

# Race detection (RELIABILITY.md, "Races"): the Rust concurrency tests, and the C programs that
# start threads (tests/ffi_c.rs, in its ThreadSanitizer mode), against the library built with
# ThreadSanitizer. The stable toolchain accepts -Zsanitizer and -Zbuild-std under
# RUSTC_BOOTSTRAP=1, as for the fuzz build; the standard library is rebuilt instrumented
# (the rust-src component: `rustup component add rust-src`), since a lock of an uninstrumented
# one looks like no synchronization at all. RocksDB, the archive of `make rocksdb`, is not
# instrumented, so ThreadSanitizer cannot see the atomics it synchronizes its threads with: here
# it is relinked as a shared library, which tests/tsan.supp tells ThreadSanitizer to ignore the
# intercepted calls of (memcpy, memcmp, free: `called_from_lib`). TSAN_ROUNDS scales the
# concurrency tests (METALDB_STRESS_ROUNDS), which run 5-15 times slower under ThreadSanitizer.
TSAN_ROUNDS ?= 30
TSAN_DIR := $(CARGO_TARGET_DIR)/tsan
TSAN_TRIPLE := $(shell rustc -vV | sed -n 's/^host: //p')
TSAN_LIB := $(TSAN_DIR)/$(TSAN_TRIPLE)/debug
TSAN_ROCKSDB := $(TSAN_DIR)/rocksdb
TSAN_CARGO := env -u ROCKSDB_STATIC ROCKSDB_LIB_DIR=$(TSAN_ROCKSDB) RUSTC_BOOTSTRAP=1 \
	RUSTFLAGS="-Zsanitizer=thread -Clink-arg=-Wl,-rpath,$(TSAN_ROCKSDB)" \
	CARGO_TARGET_DIR=$(TSAN_DIR) \
	TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$(CURDIR)/tests/tsan.supp" \
	$(CARGO)
TSAN_BUILD := -Zbuild-std --target $(TSAN_TRIPLE) --features $(FEATURES)

# A ROCKSDB_LIB_DIR that holds a shared RocksDB already is used as it is.
$(TSAN_ROCKSDB)/librocksdb.so: rocksdb
	mkdir -p $(TSAN_ROCKSDB)
	if test -f $(ROCKSDB_LIB_DIR)/librocksdb.a; then \
		$(CXX) -shared -o $@.tmp -Wl,--whole-archive $(ROCKSDB_LIB_DIR)/librocksdb.a \
			-Wl,--no-whole-archive -L$(SNAPPY_LIB_DIR) -lsnappy -lpthread -ldl && mv $@.tmp $@; \
	else ln -sf $(ROCKSDB_LIB_DIR)/librocksdb.so $@; fi

tsan-test: $(TSAN_ROCKSDB)/librocksdb.so
	METALDB_STRESS_ROUNDS=$(TSAN_ROUNDS) $(TSAN_CARGO) test $(TSAN_BUILD) \
		--test concurrency --test concurrent_forks -- --skip forks_merged_in_any_order
	$(TSAN_CARGO) build $(TSAN_BUILD) --lib
	ln -sf libmetaldb.so $(TSAN_LIB)/libmetaldb.so.$(MAJOR)
	METALDB_TEST_LIB_DIR=$(TSAN_LIB) $(CARGO) test --features $(FEATURES) --test ffi_c -- \
		--ignored c_programs_with_threads_pass_under_thread_sanitizer

# The 1.x ABI (README, "ABI stability"): the header's prototypes, struct layouts, typedefs and
# constants and the library's versioned exports, as abi/abi.py extracts them, against the
# committed baseline. Additions pass; a removal or a change fails with a report. The library
# checked is the one `make install` ships.
ABI_BASELINE := abi/metaldb-$(MAJOR).abi
ABI_LIBRARY := $(RELEASE_LIB)/libmetaldb.so

abi-check: release
	python3 abi/test_abi.py
	python3 abi/abi.py check $(ABI_BASELINE) include/metaldb.h $(ABI_LIBRARY)

abi-baseline: release
	python3 abi/abi.py dump include/metaldb.h $(ABI_LIBRARY) > $(ABI_BASELINE).new
	mv $(ABI_BASELINE).new $(ABI_BASELINE)

# The Go binding (bindings/go/README.md), tested against the library as `make install` lays it
# out, in a staging prefix found through pkg-config alone: go vet, the tests under the race
# detector, the stress and finalizer tests again under cgocheck=2 (which checks every pointer
# passed to C), a -tags metaldb_static build that must run without libmetaldb.so, a
# -tags metaldb_nopkgconfig build linked through CGO_CFLAGS/CGO_LDFLAGS alone, and a panic
# inside the library (the fault-injection build) seen from Go.
GO ?= go
GO_STAGE := $(CARGO_TARGET_DIR)/go-stage
GO_ENV := PKG_CONFIG_PATH=$(GO_STAGE)/lib/pkgconfig LD_LIBRARY_PATH=$(GO_STAGE)/lib
# The library with the test-only cargo feature fault-injection, as the C tests build it (the
# same directory and arguments as tests/c_support's fault_injection_lib_dir, so that one build
# serves both).
GO_FAULT_INJECTION_TARGET := $(CARGO_TARGET_DIR)/fault-injection
GO_FAULT_INJECTION := $(GO_FAULT_INJECTION_TARGET)/debug

go-test: rocksdb
	rm -rf $(GO_STAGE)
	$(MAKE) install PREFIX=$(GO_STAGE) DESTDIR=
	cd bindings/go && $(GO_ENV) $(GO) vet ./...
	cd bindings/go && $(GO_ENV) $(GO) test -race -count=1 ./...
	cd bindings/go && $(GO_ENV) GODEBUG=cgocheck=2 $(GO) test -count=1 -run 'Stress|Finalizer' ./...
	cd bindings/go && PKG_CONFIG_PATH=$(GO_STAGE)/lib/pkgconfig \
		$(GO) test -tags metaldb_static -c -o $(GO_STAGE)/static.test .
	! readelf -d $(GO_STAGE)/static.test | grep -q libmetaldb
	cd bindings/go && env -u LD_LIBRARY_PATH $(GO_STAGE)/static.test -test.count=1 \
		-test.run 'TestLibraryVersion|TestForkIntoPatchMerge|Example'
	cd bindings/go && CGO_CFLAGS=-I$(GO_STAGE)/include CGO_LDFLAGS="-L$(GO_STAGE)/lib -lmetaldb" \
		LD_LIBRARY_PATH=$(GO_STAGE)/lib PKG_CONFIG_PATH=/nonexistent \
		$(GO) test -tags metaldb_nopkgconfig -count=1 -run 'TestLibraryVersion|TestForkIntoPatchMerge' .
	CARGO_TARGET_DIR=$(GO_FAULT_INJECTION_TARGET) $(CARGO) rustc --lib --crate-type=cdylib \
		--no-default-features --features rocksdb_snappy,fault-injection --quiet
	ln -sf libmetaldb.so $(GO_FAULT_INJECTION)/libmetaldb.so.$(MAJOR)
	cd bindings/go && CGO_CFLAGS="-I$(CURDIR)/include -DMETALDB_FAULT_INJECTION" \
		CGO_LDFLAGS="-L$(GO_FAULT_INJECTION) -lmetaldb" LD_LIBRARY_PATH=$(GO_FAULT_INJECTION) \
		$(GO) test -tags metaldb_nopkgconfig,metaldb_fault_injection -count=1 -v -run TestPanicInTheLibrary . \
		> $(GO_STAGE)/fault-injection.log; status=$$?; cat $(GO_STAGE)/fault-injection.log; \
		test $$status -eq 0 && grep -q '^--- PASS: TestPanicInTheLibrary' $(GO_STAGE)/fault-injection.log

# The Python binding (bindings/python). `make wheel` stages `make install` and bundles the
# shared library it installs into a platform wheel in dist/, built in a venv of its own (the
# system python3 may lack pip); `make py-test` installs that wheel into a fresh venv and runs
# the tests against it (-P: the current directory is not on sys.path), mypy checking the
# shipped type hints among them.
.PHONY: py-ffi wheel py-test
PYTHON ?= python3
PY_BUILD := $(CARGO_TARGET_DIR)/python
PY_VENV := $(CARGO_TARGET_DIR)/py-venv
PYTEST_VERSION ?= 8.3.4
MYPY_VERSION ?= 2.4.1
PIP := PIP_ROOT_USER_ACTION=ignore PIP_DISABLE_PIP_VERSION_CHECK=1

# Regenerates the ctypes declarations from include/metaldb.h (a test fails when they are stale).
py-ffi:
	$(PYTHON) bindings/python/tools/gen_ctypes.py

wheel:
	rm -rf $(PY_BUILD) && mkdir -p $(PY_BUILD)/src
	$(MAKE) install DESTDIR=$(PY_BUILD)/stage PREFIX=/usr
	cp -R bindings/python/pyproject.toml bindings/python/setup.py bindings/python/README.md \
		bindings/python/metaldb $(PY_BUILD)/src/
	mkdir -p $(PY_BUILD)/src/metaldb/_native
	lib="$$(find $(PY_BUILD)/stage -name 'libmetaldb.so.$(VERSION)' | head -n 1)" && \
		test -n "$$lib" && cp "$$lib" $(PY_BUILD)/src/metaldb/_native/libmetaldb.so
	$(PYTHON) -m venv $(PY_BUILD)/venv
	rm -f dist/metaldb-*.whl
	$(PIP) $(PY_BUILD)/venv/bin/pip wheel --quiet --no-deps --wheel-dir dist $(PY_BUILD)/src
	@ls -l dist/metaldb-*.whl

py-test: wheel
	rm -rf $(PY_VENV)
	$(PYTHON) -m venv $(PY_VENV)
	$(PIP) $(PY_VENV)/bin/pip install --quiet pytest==$(PYTEST_VERSION) mypy==$(MYPY_VERSION) \
		dist/metaldb-*.whl
	PYTHONDONTWRITEBYTECODE=1 $(PY_VENV)/bin/python -X dev -P -W error::ResourceWarning \
		-m pytest -c bindings/python/pyproject.toml --rootdir bindings/python bindings/python/tests

# RocksDB first, so that it is compiled once, before anything links it; the optimized library
# next, which the install tests of rust-test and c-test-release use.
test: rocksdb fmt-check release rust-test derive-test c-test-release lint cli-test fuzz-test fuzz-smoke abi-check \
	tsan-test bench-smoke go-test py-test deb-test

# The benchmarks of BENCHMARKS.md, in an optimized build that links the optimized RocksDB of
# `make rocksdb`.
bench: rocksdb
	$(CARGO) bench --bench engine --features long_benchmarks
	python3 benches/ratios.py

# The dump/load round trip of the command-line tool on BENCH_CLI_ENTRIES map entries, with the
# time and peak memory (maximum resident set size) of each (BENCHMARKS.md, "Command-line tool").
BENCH_CLI_ENTRIES ?= 1000000
BENCH_CLI_DIR ?= $(CARGO_TARGET_DIR)/bench-cli
bench-cli:
	$(CARGO) build --release -p metaldb-cli --bin metaldb --example fill_bench_db
	rm -rf $(BENCH_CLI_DIR) && mkdir -p $(BENCH_CLI_DIR)
	$(CARGO_TARGET_DIR)/release/examples/fill_bench_db $(BENCH_CLI_DIR)/db $(BENCH_CLI_ENTRIES)
	/usr/bin/time -f 'dump: %e s, peak RSS %M KiB' \
		$(CARGO_TARGET_DIR)/release/metaldb dump $(BENCH_CLI_DIR)/db -o $(BENCH_CLI_DIR)/dump
	/usr/bin/time -f 'load: %e s, peak RSS %M KiB' \
		$(CARGO_TARGET_DIR)/release/metaldb load $(BENCH_CLI_DIR)/copy $(BENCH_CLI_DIR)/dump
	ls -l $(BENCH_CLI_DIR)/dump
	$(CARGO_TARGET_DIR)/release/metaldb verify $(BENCH_CLI_DIR)/copy

# The C side is built against the library `make install` ships ($(RELEASE_LIB)).
bench-c: release
	METALDB_BENCH_LIB_DIR=$(RELEASE_LIB) $(CARGO) bench --bench c_abi -- $(BENCH_C_ARGS)

# The instruction-count mode (BENCHMARKS.md, "Instructions"): benches/callgrind.py runs
# benches/instructions.rs and benches/c_abi.c (against the optimized library of `make release`)
# under valgrind's callgrind, then natively, and prints the table at 1k, 10k and 100k items.
bench-instructions: release
	METALDB_BENCH_LIB_DIR=$(RELEASE_LIB) python3 benches/callgrind.py $(BENCH_INSTRUCTIONS_ARGS)

# The same at 200 items, once: checks that every side runs every workload and yields a count,
# and asserts no figure (part of `make test`; a few seconds once built).
bench-smoke: release
	METALDB_BENCH_LIB_DIR=$(RELEASE_LIB) python3 benches/callgrind.py --smoke

# Peak heap of a fork holding 100 000 and 1 000 000 changes (BENCHMARKS.md, "Memory").
bench-memory: rocksdb
	$(CARGO) bench --bench fork_memory
