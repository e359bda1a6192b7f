package metaldb

// #include "mdbgo.h"
import "C"

// List is a list index: byte values at positions 0 to Len()-1, appended at the end.
//
// Threads and lifetime as for Map.
type List struct {
	h *handle[C.mdb_list]
}

// Len is the number of values.
func (l *List) Len() (uint64, error) {
	return count(l.h, "List.Len", func(p *C.mdb_list) C.mdbgo_out { return C.mdbgo_list_len(p) })
}

// Get returns a copy of the value at position i; found is false if i >= Len().
func (l *List) Get(i uint64) (value []byte, found bool, err error) {
	return lookup(l.h, "List.Get", func(p *C.mdb_list) C.mdbgo_out {
		return C.mdbgo_list_get(p, C.uint64_t(i))
	})
}

// Last returns a copy of the last value; found is false if the list is empty.
func (l *List) Last() (value []byte, found bool, err error) {
	return lookup(l.h, "List.Last", func(p *C.mdb_list) C.mdbgo_out {
		return C.mdbgo_list_last(p)
	})
}

// Push appends a value. The bytes are copied. Fails with ErrReadOnly through a read-only view,
// and with ErrBorrowed while an iterator over the list is open.
func (l *List) Push(value []byte) error {
	return call(l.h, "List.Push", func(p *C.mdb_list) C.mdbgo_result {
		v, vn := bytesArg(value)
		return C.mdbgo_list_push(p, v, vn)
	})
}

// Extend appends values in order; on an error, the values before the failing one stay
// appended (a fork's changes are undone with Fork.Rollback).
func (l *List) Extend(values ...[]byte) error {
	const op = "List.Extend"
	p, err := l.h.acquire(op)
	if err != nil {
		return err
	}
	defer l.h.release()
	for _, value := range values {
		v, vn := bytesArg(value)
		if err := C.mdbgo_list_push(p, v, vn).err(op, l.h.addr); err != nil {
			return err
		}
	}
	return nil
}

// Pop removes the last value and returns it; found is false if the list was empty. Errors as
// Push.
func (l *List) Pop() (value []byte, found bool, err error) {
	return lookup(l.h, "List.Pop", func(p *C.mdb_list) C.mdbgo_out {
		return C.mdbgo_list_pop(p)
	})
}

// Set replaces the value at position i, which must be below Len() (else ErrOutOfRange).
// Errors as Push.
func (l *List) Set(i uint64, value []byte) error {
	return call(l.h, "List.Set", func(p *C.mdb_list) C.mdbgo_result {
		v, vn := bytesArg(value)
		return C.mdbgo_list_set(p, C.uint64_t(i), v, vn)
	})
}

// Truncate shortens the list to n values; it does nothing if the list is not longer. Errors
// as Push.
func (l *List) Truncate(n uint64) error {
	return call(l.h, "List.Truncate", func(p *C.mdb_list) C.mdbgo_result {
		return C.mdbgo_list_truncate(p, C.uint64_t(n))
	})
}

// Clear removes every value; the list itself stays. Errors as Push.
func (l *List) Clear() error {
	return call(l.h, "List.Clear", func(p *C.mdb_list) C.mdbgo_result { return C.mdbgo_list_clear(p) })
}

// Iter iterates over the values in order of position, from position from on. Iter.Position
// gives each value's position. While the iterator is open, writes to the list fail with
// ErrBorrowed.
func (l *List) Iter(from uint64) (*Iter, error) {
	return iterate(l.h, "List.Iter", func(p *C.mdb_list, out **C.mdb_iter) C.mdbgo_result {
		return C.mdbgo_list_iter(p, C.uint64_t(from), out)
	})
}

// Close frees the handle and releases its borrow of the list. Closing twice, or concurrently
// with other calls, is safe.
func (l *List) Close() error {
	l.h.close(nil)
	return nil
}

func (l *List) index() indexHandle { return l.h }
