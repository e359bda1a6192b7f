package metaldb

// #include "mdbgo.h"
import "C"

// KeySet is a key set index: a set of byte keys, iterated in the byte order of the keys.
//
// Threads and lifetime as for Map.
type KeySet struct {
	h *handle[C.mdb_key_set]
}

// Contains tells whether key is in the set.
func (s *KeySet) Contains(key []byte) (bool, error) {
	return test(s.h, "KeySet.Contains", func(p *C.mdb_key_set) C.mdbgo_out {
		k, kn := bytesArg(key)
		return C.mdbgo_key_set_contains(p, k, kn)
	})
}

// Insert adds key to the set; adding a key that is there changes nothing. The bytes are
// copied. Fails with ErrReadOnly through a read-only view, with ErrBorrowed while an iterator
// over the set is open.
func (s *KeySet) Insert(key []byte) error {
	return call(s.h, "KeySet.Insert", func(p *C.mdb_key_set) C.mdbgo_result {
		k, kn := bytesArg(key)
		return C.mdbgo_key_set_insert(p, k, kn)
	})
}

// Remove removes key from the set, if it is there. Errors as Insert.
func (s *KeySet) Remove(key []byte) error {
	return call(s.h, "KeySet.Remove", func(p *C.mdb_key_set) C.mdbgo_result {
		k, kn := bytesArg(key)
		return C.mdbgo_key_set_remove(p, k, kn)
	})
}

// Clear removes every key; the set itself stays. Errors as Insert.
func (s *KeySet) Clear() error {
	return call(s.h, "KeySet.Clear", func(p *C.mdb_key_set) C.mdbgo_result { return C.mdbgo_key_set_clear(p) })
}

// Iter iterates over the keys in byte order, from the first key >= from (nil: from the
// start); values are empty. While the iterator is open, writes to the set fail with
// ErrBorrowed.
func (s *KeySet) Iter(from []byte) (*Iter, error) {
	return iterate(s.h, "KeySet.Iter", func(p *C.mdb_key_set, out **C.mdb_iter) C.mdbgo_result {
		k, kn := bytesArg(from)
		return C.mdbgo_key_set_iter(p, k, kn, out)
	})
}

// Close frees the handle and releases its borrow of the set. Closing twice, or concurrently
// with other calls, is safe.
func (s *KeySet) Close() error {
	s.h.close(nil)
	return nil
}

func (s *KeySet) index() indexHandle { return s.h }
