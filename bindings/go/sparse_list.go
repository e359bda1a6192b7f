package metaldb

// #include "mdbgo.h"
import "C"

// SparseList is a sparse list index: byte values at positions that may have gaps. Its
// capacity is one past the highest position ever used, where Push stores; its length is the
// number of values present.
//
// Threads and lifetime as for Map.
type SparseList struct {
	h *handle[C.mdb_sparse_list]
}

// Len is the number of values present.
func (l *SparseList) Len() (uint64, error) {
	return count(l.h, "SparseList.Len", func(p *C.mdb_sparse_list) C.mdbgo_out {
		return C.mdbgo_sparse_list_len(p)
	})
}

// Capacity is one past the highest position ever used: where the next Push stores. Removing
// values never lowers it; Clear resets it to 0.
func (l *SparseList) Capacity() (uint64, error) {
	return count(l.h, "SparseList.Capacity", func(p *C.mdb_sparse_list) C.mdbgo_out {
		return C.mdbgo_sparse_list_capacity(p)
	})
}

// Get returns a copy of the value at position i; found is false if there is none.
func (l *SparseList) Get(i uint64) (value []byte, found bool, err error) {
	return lookup(l.h, "SparseList.Get", func(p *C.mdb_sparse_list) C.mdbgo_out {
		return C.mdbgo_sparse_list_get(p, C.uint64_t(i))
	})
}

// Push stores a value at position Capacity(), growing the capacity and the length by one. The
// bytes are copied. Fails with ErrReadOnly through a read-only view, with ErrBorrowed while an
// iterator over the list is open.
func (l *SparseList) Push(value []byte) error {
	return call(l.h, "SparseList.Push", func(p *C.mdb_sparse_list) C.mdbgo_result {
		v, vn := bytesArg(value)
		return C.mdbgo_sparse_list_push(p, v, vn)
	})
}

// Set stores a value at position i and returns the value it replaced, if any (replaced is
// false for an empty position). Errors as Push.
func (l *SparseList) Set(i uint64, value []byte) (old []byte, replaced bool, err error) {
	return lookup(l.h, "SparseList.Set", func(p *C.mdb_sparse_list) C.mdbgo_out {
		v, vn := bytesArg(value)
		return C.mdbgo_sparse_list_set(p, C.uint64_t(i), v, vn)
	})
}

// Remove removes the value at position i, if any, and returns it. The capacity is unchanged.
// Errors as Push.
func (l *SparseList) Remove(i uint64) (value []byte, found bool, err error) {
	return lookup(l.h, "SparseList.Remove", func(p *C.mdb_sparse_list) C.mdbgo_out {
		return C.mdbgo_sparse_list_remove(p, C.uint64_t(i))
	})
}

// Pop removes the FIRST value (at the lowest position), not the last, and returns it; found
// is false if the list is empty. Errors as Push.
func (l *SparseList) Pop() (value []byte, found bool, err error) {
	return lookup(l.h, "SparseList.Pop", func(p *C.mdb_sparse_list) C.mdbgo_out {
		return C.mdbgo_sparse_list_pop(p)
	})
}

// Clear removes every value; capacity and length go back to 0. Errors as Push.
func (l *SparseList) Clear() error {
	return call(l.h, "SparseList.Clear", func(p *C.mdb_sparse_list) C.mdbgo_result {
		return C.mdbgo_sparse_list_clear(p)
	})
}

// Iter iterates over the values present in order of position, from position from on.
// Iter.Position gives each value's position. While the iterator is open, writes to the list
// fail with ErrBorrowed.
func (l *SparseList) Iter(from uint64) (*Iter, error) {
	return iterate(l.h, "SparseList.Iter", func(p *C.mdb_sparse_list, out **C.mdb_iter) C.mdbgo_result {
		return C.mdbgo_sparse_list_iter(p, C.uint64_t(from), out)
	})
}

// Close frees the handle and releases its borrow of the list. Closing twice, or concurrently
// with other calls, is safe.
func (l *SparseList) Close() error {
	l.h.close(nil)
	return nil
}

func (l *SparseList) index() indexHandle { return l.h }
