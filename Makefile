# metaldb: build, quick start and tests. `make help` lists the targets.
#
# Cargo's target directory lives outside the work tree, so that RocksDB (a 20+ minute C++
# build) is compiled once per machine and reused by every checkout and CI run.
export CARGO_TARGET_DIR ?= $(HOME)/.cache/metaldb-target
CARGO ?= cargo
# The chrono, uuid and rust_decimal encodings are optional; the tests cover them too.
FEATURES ?= chrono,uuid,rust_decimal
LIBDIR := $(CARGO_TARGET_DIR)/debug
BUILD := $(CARGO_TARGET_DIR)/c-build
CFLAGS ?= -std=c99 -g -O1 -Wall -Wextra -Werror -pedantic
C_LINK := -L$(LIBDIR) -lmetaldb -Wl,-rpath,$(LIBDIR) -lpthread -ldl -lm

# `make install`: where, and the version that names the shared library's files.
PREFIX ?= /usr/local
DESTDIR ?=
INSTALL ?= install
VERSION := $(shell sed -n 's/^version = "\([^"]*\)"/\1/p' Cargo.toml | head -n 1)
MAJOR := $(firstword $(subst ., ,$(VERSION)))

.PHONY: help lib quickstart migration-example install test rust-test fmt-check lint cli-test fuzz-build fuzz-smoke fuzz go-test abi-check abi-baseline bench bench-c bench-cli

help:
	@echo "make quickstart  build the library and run examples-c/quickstart.c against it"
	@echo "make migration-example  build the library and run examples-c/migration.c against it"
	@echo "make install     install the header, libraries and metaldb.pc under PREFIX (/usr/local)"
	@echo "make test        run every test: formatting, clippy, Rust tests, C tests (plain, ASan+UBSan, valgrind), a fuzz run"
	@echo "make lint        formatting and clippy"
	@echo "make go-test     the Go binding (bindings/go): vet, tests under -race and cgocheck=2, against a staged install"
	@echo "make abi-check   compare the built library and header with the 1.x ABI baseline (abi/metaldb-1.abi)"
	@echo "make abi-baseline  regenerate abi/metaldb-1.abi from the built library (README, \"ABI stability\")"
	@echo "make wheel       build the Python binding's wheel, bundling the library, into dist/"
	@echo "make py-test     build the wheel, install it into a fresh venv and run the Python tests"
	@echo "make fuzz        fuzz the C ABI for FUZZ_SECONDS (3600), growing fuzz/corpus/c_abi"
	@echo "make bench       metaldb against raw RocksDB (benches/engine.rs), with the ratio table"
	@echo "make bench-c     the C ABI against the Rust API (benches/c_abi.rs); BENCH_C_ARGS=--items 1000"

# The same flags as `make test` and the C tests: another set would rebuild RocksDB. The
# library's SONAME is libmetaldb.so.$(MAJOR), the name programs linked with -lmetaldb load,
# which cargo does not create.
lib:
	$(CARGO) build --lib --tests --features $(FEATURES)
	ln -sf libmetaldb.so $(LIBDIR)/libmetaldb.so.$(MAJOR)

quickstart: lib
	@mkdir -p $(BUILD)
	$(CC) $(CFLAGS) -Iinclude examples-c/quickstart.c -o $(BUILD)/quickstart $(C_LINK)
	rm -rf $(BUILD)/quickstart.db
	$(BUILD)/quickstart $(BUILD)/quickstart.db

migration-example: lib
	@mkdir -p $(BUILD)
	$(CC) $(CFLAGS) -Iinclude examples-c/migration.c -o $(BUILD)/migration $(C_LINK)
	$(BUILD)/migration $(BUILD)/migration.db

# Installs include/metaldb.h, libmetaldb.so.$(VERSION) with its libmetaldb.so.$(MAJOR) (the
# SONAME) and libmetaldb.so links, libmetaldb.a, and lib/pkgconfig/metaldb.pc, under
# $(DESTDIR)$(PREFIX). The libraries are the debug build in $(LIBDIR).
install: lib
	$(INSTALL) -d $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/lib/pkgconfig
	$(INSTALL) -m 644 include/metaldb.h $(DESTDIR)$(PREFIX)/include/metaldb.h
	$(INSTALL) -m 755 $(LIBDIR)/libmetaldb.so $(DESTDIR)$(PREFIX)/lib/libmetaldb.so.$(VERSION)
	ln -sf libmetaldb.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/libmetaldb.so.$(MAJOR)
	ln -sf libmetaldb.so.$(MAJOR) $(DESTDIR)$(PREFIX)/lib/libmetaldb.so
	$(INSTALL) -m 644 $(LIBDIR)/libmetaldb.a $(DESTDIR)$(PREFIX)/lib/libmetaldb.a
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(VERSION)|g' metaldb.pc.in \
		> $(DESTDIR)$(PREFIX)/lib/pkgconfig/metaldb.pc

fmt-check:
	$(CARGO) fmt --all -- --check
	$(CARGO) fmt --manifest-path fuzz/Cargo.toml -- --check

# The RocksDB that `make lib` built (librocksdb-sys's out directory), or the prebuilt one that
# ROCKSDB_LIB_DIR names: a shell expression for recipes. Builds in other configurations (clippy,
# fuzzing) link it through ROCKSDB_LIB_DIR instead of compiling RocksDB again (25 minutes).
TEST_BUILD_ROCKSDB := $${ROCKSDB_LIB_DIR:-$$(dirname "$$(ls $(CARGO_TARGET_DIR)/debug/build/librocksdb-sys-*/out/librocksdb.a | head -n 1)")}

# Clippy runs in check mode, another configuration: it checks against the test build's RocksDB,
# in a target directory of its own so that it never invalidates the test build. The
# fault-injection feature is checked too, since only the C tests build it.
lint: fmt-check lib
	rocksdb="$(TEST_BUILD_ROCKSDB)" && \
	ROCKSDB_LIB_DIR="$$rocksdb" ROCKSDB_STATIC=1 SNAPPY_LIB_DIR="$$rocksdb" SNAPPY_STATIC=1 \
		CARGO_TARGET_DIR=$(CARGO_TARGET_DIR)/lint \
		$(CARGO) clippy --all-targets --features $(FEATURES),fault-injection -- -D warnings
	rocksdb="$(TEST_BUILD_ROCKSDB)" && \
	ROCKSDB_LIB_DIR="$$rocksdb" ROCKSDB_STATIC=1 SNAPPY_LIB_DIR="$$rocksdb" SNAPPY_STATIC=1 \
		CARGO_TARGET_DIR=$(CARGO_TARGET_DIR)/lint \
		$(CARGO) clippy -p metaldb-cli --all-targets -- -D warnings

# The command-line tool (cli/README.md), run as a user runs it. Like `lint`, it links the
# RocksDB of the test build (or the prebuilt one ROCKSDB_LIB_DIR names) in a target directory
# of its own, so that the tool's feature set never causes a second RocksDB compile.
cli-test:
	rocksdb="$(TEST_BUILD_ROCKSDB)" && \
	ROCKSDB_LIB_DIR="$$rocksdb" ROCKSDB_STATIC=1 SNAPPY_LIB_DIR="$$rocksdb" SNAPPY_STATIC=1 \
		CARGO_TARGET_DIR=$(CARGO_TARGET_DIR)/lint \
		$(CARGO) test -p metaldb-cli

rust-test:
	$(CARGO) test --features $(FEATURES)

# Fuzzing of the C ABI (RELIABILITY.md, "Fuzzing"): the libFuzzer target fuzz/fuzz_targets/c_abi.rs,
# built by cargo-fuzz with AddressSanitizer. The stable toolchain accepts cargo-fuzz's nightly
# flags (-Zsanitizer) under RUSTC_BOOTSTRAP=1. Like `lint`, the build links the RocksDB of the
# test build (or the prebuilt one ROCKSDB_LIB_DIR names), in a target directory of its own.
FUZZ_SECONDS ?= 3600
FUZZ_SMOKE_SECONDS ?= 60
FUZZ_DIR := $(CARGO_TARGET_DIR)/fuzz
FUZZ_BIN := $(FUZZ_DIR)/x86_64-unknown-linux-gnu/release/c_abi
FUZZ_RUN := $(FUZZ_BIN) \
	-timeout=30 -len_control=0 -max_len=1024 -artifact_prefix=$(FUZZ_DIR)/artifacts/

fuzz-build: lib
	rocksdb="$(TEST_BUILD_ROCKSDB)" && \
	ROCKSDB_LIB_DIR="$$rocksdb" ROCKSDB_STATIC=1 SNAPPY_LIB_DIR="$$rocksdb" SNAPPY_STATIC=1 RUSTC_BOOTSTRAP=1 \
		$(CARGO) fuzz build -O --target-dir $(FUZZ_DIR) c_abi
	mkdir -p $(FUZZ_DIR)/artifacts

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

# The 1.x ABI (README, "ABI stability"): the header's prototypes, struct layouts, typedefs and
# constants and the library's versioned exports, as abi/abi.py extracts them, against the
# committed baseline. Additions pass; a removal or a change fails with a report.
ABI_BASELINE := abi/metaldb-$(MAJOR).abi
ABI_LIBRARY := $(LIBDIR)/libmetaldb.so

abi-check: lib
	python3 abi/test_abi.py
	python3 abi/abi.py check $(ABI_BASELINE) include/metaldb.h $(ABI_LIBRARY)

abi-baseline: lib
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

go-test:
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
	rocksdb="$${ROCKSDB_LIB_DIR:-$(TEST_BUILD_ROCKSDB)}" && \
	ROCKSDB_LIB_DIR="$$rocksdb" ROCKSDB_STATIC=1 SNAPPY_LIB_DIR="$$rocksdb" SNAPPY_STATIC=1 \
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

test: fmt-check rust-test lint cli-test fuzz-smoke abi-check go-test py-test

# The benchmarks of BENCHMARKS.md, in an optimized build, which needs RocksDB built with
# optimizations: the first run compiles it (25 minutes) unless ROCKSDB_LIB_DIR points at an
# optimized build of it.
bench:
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

bench-c:
	$(CARGO) bench --bench c_abi -- $(BENCH_C_ARGS)
