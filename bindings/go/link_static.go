//go:build metaldb_static && !metaldb_nopkgconfig

package metaldb

// Build tag metaldb_static links libmetaldb.a into the program, which then needs no
// libmetaldb.so at run time. pkg-config --static adds the archive's dependencies (RocksDB's
// C++ runtime, threads, libdl). pkg-config's -lmetaldb would pick the shared library, which
// sits next to the archive, so the archive is named first (-l: takes a file name; -L options
// apply to every -l wherever they appear) and --as-needed drops the shared library, whose
// symbols the archive already defined.

// #cgo pkg-config: --static metaldb
// #cgo LDFLAGS: -l:libmetaldb.a -Wl,--as-needed
import "C"
