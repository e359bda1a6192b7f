package metaldb

// #include "mdbgo.h"
import "C"

import (
	"encoding/binary"
)

// Iter iterates over the entries of an index in key order, in the shape of database/sql's
// Rows:
//
//	it, err := m.Iter(nil)
//	if err != nil { ... }
//	defer it.Close()
//	for it.Next() {
//		use(it.Key(), it.Value())
//	}
//	if err := it.Err(); err != nil { ... }
//
// Keys of lists and sparse lists are positions as 8-byte big-endian integers (Position decodes
// them); values of key sets are empty.
//
// While an iterator is open, its index refuses writes (ErrBorrowed). Next closes the iterator
// when it returns false, so an iteration run to its end needs no Close; Close is still safe.
//
// An Iter is for one goroutine at a time, like bufio.Scanner; only Close may be called
// concurrently with the other methods.
type Iter struct {
	h          *handle[C.mdb_iter]
	key, value *C.uint8_t // borrowed from the library until the next call on the iterator
	keyLen     C.size_t
	valueLen   C.size_t
	valid      bool // key and value hold the current entry
	done       bool // Next returned false
	err        error
}

func newIter(p *C.mdb_iter) *Iter {
	return &Iter{h: newHandle(&iterKind, p, nil)}
}

// Next advances to the next entry, and tells whether there is one. At the end, or on an error
// (see Err), it returns false and closes the iterator.
func (it *Iter) Next() bool {
	const op = "Iter.Next"
	it.valid = false
	if it.done {
		return false
	}
	p, err := it.h.acquire(op)
	if err != nil {
		it.err, it.done = err, true
		return false
	}
	n := C.mdbgo_iter_next(p)
	it.h.release()
	if err := n.result.err(op, nil); err != nil {
		it.err = err
	}
	if it.err != nil || !bool(n.found) {
		it.done = true
		it.h.close(nil)
		return false
	}
	it.key, it.keyLen, it.value, it.valueLen = n.key, n.key_len, n.value, n.value_len
	it.valid = true
	return true
}

// Err is the error that ended the iteration, or nil if it ran to its end. Calling Next after
// Close ends it with ErrClosed.
func (it *Iter) Err() error { return it.err }

// Key returns a copy of the current entry's key, or nil if Next did not return true.
func (it *Iter) Key() []byte { return it.copyOf(it.key, it.keyLen) }

// Value returns a copy of the current entry's value, or nil if Next did not return true.
func (it *Iter) Value() []byte { return it.copyOf(it.value, it.valueLen) }

// copyOf copies bytes the library lent for the current entry, while holding a use of the
// iterator so that a concurrent Close cannot free them during the copy.
func (it *Iter) copyOf(p *C.uint8_t, n C.size_t) []byte {
	if !it.valid {
		return nil
	}
	if _, err := it.h.acquire("Iter.Key"); err != nil {
		return nil
	}
	defer it.h.release()
	return append([]byte{}, borrowed(p, n)...)
}

// KeyView returns the current key without copying it: the bytes belong to the library and are
// valid only until the next call of Next or Close, and must not be modified. Use Key to keep
// them.
func (it *Iter) KeyView() []byte {
	if !it.valid {
		return nil
	}
	return borrowed(it.key, it.keyLen)
}

// ValueView returns the current value without copying it, valid as KeyView's key is.
func (it *Iter) ValueView() []byte {
	if !it.valid {
		return nil
	}
	return borrowed(it.value, it.valueLen)
}

// Position decodes the current key of an iterator over a list or a sparse list: the position
// of the value. It is 0 if Next did not return true or the key is not a position.
func (it *Iter) Position() uint64 {
	if !it.valid || it.keyLen != 8 {
		return 0
	}
	if _, err := it.h.acquire("Iter.Position"); err != nil {
		return 0
	}
	defer it.h.release()
	return binary.BigEndian.Uint64(borrowed(it.key, it.keyLen))
}

// Close frees the iterator, which lets its index accept writes again. Closing twice, after
// the end, or concurrently with the other methods, is safe.
func (it *Iter) Close() error {
	it.h.close(nil)
	return nil
}
