package metaldb

// #include "mdbgo.h"
import "C"

// Entry is an entry index: one byte value, or none. Entries cannot be iterated.
//
// Threads and lifetime as for Map.
type Entry struct {
	h *handle[C.mdb_entry]
}

// Get returns a copy of the value; found is false if the entry holds none.
func (e *Entry) Get() (value []byte, found bool, err error) {
	return lookup(e.h, "Entry.Get", func(p *C.mdb_entry) C.mdbgo_out {
		return C.mdbgo_entry_get(p)
	})
}

// Exists tells whether the entry holds a value (an empty value counts).
func (e *Entry) Exists() (bool, error) {
	return test(e.h, "Entry.Exists", func(p *C.mdb_entry) C.mdbgo_out {
		return C.mdbgo_entry_exists(p)
	})
}

// Set sets the value, replacing any previous one. The bytes are copied. Fails with
// ErrReadOnly through a read-only view.
func (e *Entry) Set(value []byte) error {
	return call(e.h, "Entry.Set", func(p *C.mdb_entry) C.mdbgo_result {
		v, vn := bytesArg(value)
		return C.mdbgo_entry_set(p, v, vn)
	})
}

// Swap sets the value and returns the previous one, if any. Errors as Set.
func (e *Entry) Swap(value []byte) (old []byte, found bool, err error) {
	return lookup(e.h, "Entry.Swap", func(p *C.mdb_entry) C.mdbgo_out {
		v, vn := bytesArg(value)
		return C.mdbgo_entry_swap(p, v, vn)
	})
}

// Take unsets the entry and returns the value it held, if any. Errors as Set.
func (e *Entry) Take() (value []byte, found bool, err error) {
	return lookup(e.h, "Entry.Take", func(p *C.mdb_entry) C.mdbgo_out {
		return C.mdbgo_entry_take(p)
	})
}

// Remove unsets the entry, if it holds a value. Errors as Set.
func (e *Entry) Remove() error {
	return call(e.h, "Entry.Remove", func(p *C.mdb_entry) C.mdbgo_result { return C.mdbgo_entry_remove(p) })
}

// Close frees the handle and releases its borrow of the entry. Closing twice, or concurrently
// with other calls, is safe.
func (e *Entry) Close() error {
	e.h.close(nil)
	return nil
}
