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

.PHONY: help lib quickstart install test rust-test fmt-check lint bench bench-c

help:
	@echo "make quickstart  build the library and run examples-c/quickstart.c against it"
	@echo "make install     install the header, libraries and metaldb.pc under PREFIX (/usr/local)"
	@echo "make test        run every test: formatting, Rust tests, C tests (plain, ASan+UBSan, valgrind), clippy"
	@echo "make lint        formatting and clippy"
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

# Clippy runs in check mode, which would build RocksDB once more in another configuration (25
# minutes). It checks against the RocksDB that `make lib` built instead (librocksdb-sys takes
# a prebuilt library from ROCKSDB_LIB_DIR), in a target directory of its own so that it never
# invalidates the test build.
lint: fmt-check lib
	rocksdb=$$(ls $(CARGO_TARGET_DIR)/debug/build/librocksdb-sys-*/out/librocksdb.a | head -n 1) && \
	ROCKSDB_LIB_DIR=$$(dirname "$$rocksdb") ROCKSDB_STATIC=1 CARGO_TARGET_DIR=$(CARGO_TARGET_DIR)/lint \
		$(CARGO) clippy --all-targets --features $(FEATURES) -- -D warnings

rust-test:
	$(CARGO) test --features $(FEATURES)

test: fmt-check rust-test lint

# The benchmarks of BENCHMARKS.md, in an optimized build, which needs RocksDB built with
# optimizations: the first run compiles it (25 minutes) unless ROCKSDB_LIB_DIR points at an
# optimized build of it.
bench:
	$(CARGO) bench --bench engine --features long_benchmarks
	python3 benches/ratios.py

bench-c:
	$(CARGO) bench --bench c_abi -- $(BENCH_C_ARGS)
