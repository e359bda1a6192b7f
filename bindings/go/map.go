package metaldb

// #include "mdbgo.h"
import "C"

// Map is a map index: byte keys to byte values, iterated in the byte order of the keys.
//
// It belongs to the family of the fork, snapshot, patch or migration helper it was opened
// from: any goroutine may use it, and the library serialises calls on one family. Close it to
// release its borrow of the index in the fork (a forgotten one is freed when collected).
type Map struct {
	h *handle[C.mdb_map]
}

// Get returns a copy of the value of key; found is false if key is absent.
func (m *Map) Get(key []byte) (value []byte, found bool, err error) {
	return lookup(m.h, "Map.Get", func(p *C.mdb_map) C.mdbgo_out {
		k, kn := bytesArg(key)
		return C.mdbgo_map_get(p, k, kn)
	})
}

// Contains tells whether key is present.
func (m *Map) Contains(key []byte) (bool, error) {
	return test(m.h, "Map.Contains", func(p *C.mdb_map) C.mdbgo_out {
		k, kn := bytesArg(key)
		return C.mdbgo_map_contains(p, k, kn)
	})
}

// Put sets the value of key, replacing any previous value. The bytes are copied. Fails with
// ErrReadOnly through a read-only view, and with ErrBorrowed while an iterator over the map is
// open.
func (m *Map) Put(key, value []byte) error {
	return call(m.h, "Map.Put", func(p *C.mdb_map) C.mdbgo_result {
		k, kn := bytesArg(key)
		v, vn := bytesArg(value)
		return C.mdbgo_map_put(p, k, kn, v, vn)
	})
}

// Delete removes key if it is present; errors as Put.
func (m *Map) Delete(key []byte) error {
	return call(m.h, "Map.Delete", func(p *C.mdb_map) C.mdbgo_result {
		k, kn := bytesArg(key)
		return C.mdbgo_map_remove(p, k, kn)
	})
}

// Clear removes every entry; the map itself stays. Errors as Put.
func (m *Map) Clear() error {
	return call(m.h, "Map.Clear", func(p *C.mdb_map) C.mdbgo_result { return C.mdbgo_map_clear(p) })
}

// Iter iterates over the entries in key order, from the first key >= from (nil: from the
// start). While the iterator is open, writes to the map fail with ErrBorrowed.
func (m *Map) Iter(from []byte) (*Iter, error) {
	return iterate(m.h, "Map.Iter", func(p *C.mdb_map, out **C.mdb_iter) C.mdbgo_result {
		k, kn := bytesArg(from)
		return C.mdbgo_map_iter(p, k, kn, out)
	})
}

// Close frees the handle and releases its borrow of the map. Closing twice, or concurrently
// with other calls, is safe.
func (m *Map) Close() error {
	m.h.close(nil)
	return nil
}

func (m *Map) index() indexHandle { return m.h }
