//go:build metaldb_nopkgconfig

package metaldb

// Build tag metaldb_nopkgconfig adds no flags: CGO_CFLAGS must let the compiler find
// metaldb.h and CGO_LDFLAGS must link the library, for example
//
//	CGO_CFLAGS=-I/opt/metaldb/include CGO_LDFLAGS="-L/opt/metaldb/lib -lmetaldb" go build -tags metaldb_nopkgconfig
