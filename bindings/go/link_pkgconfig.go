//go:build !metaldb_static && !metaldb_nopkgconfig

package metaldb

// The default: pkg-config finds metaldb.h and the shared library (set PKG_CONFIG_PATH for a
// prefix outside pkg-config's search path, and LD_LIBRARY_PATH or an rpath to run).

// #cgo pkg-config: metaldb
import "C"
