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
// An iterator reads entries ahead, many per call into the library, except a persistent one
// (PersistentIter), which reads one per Next so that the position it saves is always just
// after the entries Next returned. Entries read ahead are still returned after the index is
// closed or goes stale (its fork turned into a patch, say); Next then ends with ErrStaleHandle.
//
// An Iter is for one goroutine at a time, like bufio.Scanner; only Close may be called
// concurrently with the other methods.
type Iter struct {
	h *handle[C.mdb_iter]
	// batch holds the entries a plain iterator has read ahead; nil for a persistent iterator,
	// which steps one entry per call, and once the iteration has ended.
	batch *iterBatch
	// key and value are the current entry: in batch, or lent by the library until its next
	// call on the iterator.
	key, value []byte
	valid      bool // key and value hold the current entry
	done       bool // Next returned false
	err        error
}

// newIter makes the Iter of a plain iterator, which reads entries ahead in batches: one cgo
// call for many entries.
func newIter(p *C.mdb_iter) *Iter {
	return &Iter{h: newHandle(&iterKind, p, nil), batch: &iterBatch{}}
}

// newPersistentIter makes the Iter of a persistent iterator, which takes one entry per Next.
// The library saves its position after each call; a batch would save a position past entries
// not yet returned by Next, and a caller who stops early would skip them when it resumes.
func newPersistentIter(p *C.mdb_iter) *Iter {
	return &Iter{h: newHandle(&iterKind, p, nil)}
}

// Next advances to the next entry, and tells whether there is one. At the end, or on an error
// (see Err), it returns false and closes the iterator.
func (it *Iter) Next() bool {
	it.valid = false
	if it.done {
		return false
	}
	found, err := it.advance("Iter.Next")
	if err != nil || !found {
		it.err, it.done = err, true
		it.key, it.value, it.batch = nil, nil, nil
		it.h.close(nil)
		return false
	}
	it.valid = true
	return true
}

// advance moves key and value to the next entry, holding a use of the iterator so that it
// fails after Close even when the entry was read ahead. found is false at the end.
func (it *Iter) advance(op string) (found bool, err error) {
	p, err := it.h.acquire(op)
	if err != nil {
		return false, err
	}
	defer it.h.release()
	if it.batch != nil {
		it.key, it.value, found, err = it.batch.next(p, op)
	} else {
		it.key, it.value, found, err = step(p, op)
	}
	return found, err
}

// step takes one entry, which the library lends until its next call on the iterator.
func step(p *C.mdb_iter, op string) (key, value []byte, found bool, err error) {
	n := C.mdbgo_iter_next(p)
	if err := n.result.err(op, nil); err != nil || !bool(n.found) {
		return nil, nil, false, err
	}
	return borrowed(n.key, n.key_len), borrowed(n.value, n.value_len), true, nil
}

// A plain iterator's first batch takes up to firstBatchEntries entries, in room for
// batchBytesPerEntry bytes each; each batch after takes twice as many, in twice the room, up to
// C.MDBGO_BATCH_ENTRIES entries in 64 KiB. An iteration that stops after a few entries copies
// few, and a long one makes one cgo call per 256 entries. The room grows further for an entry
// that does not fit.
const (
	firstBatchEntries  = 4
	batchBytesPerEntry = 256
)

// An iterBatch holds the entries a plain iterator read ahead with mdb_iter_next_batch: their
// bytes, copied whole into buf, and where each one is. Its memory belongs to the Go side:
// nothing the library does after the call changes it.
type iterBatch struct {
	buf     []byte
	entries []C.mdbgo_entry // as many as the next batch may take
	count   int             // entries read into buf
	taken   int             // entries returned by next
}

// next returns the next entry read ahead, reading a batch first once every entry read is
// taken. Its key and value are in buf until the batch after. found is false at the end; a
// failed read leaves the iterator where it was.
func (b *iterBatch) next(p *C.mdb_iter, op string) (key, value []byte, found bool, err error) {
	for b.taken == b.count {
		b.enlarge()
		r := C.mdbgo_iter_next_batch(p, (*C.uint8_t)(&b.buf[0]), C.size_t(len(b.buf)),
			&b.entries[0], C.size_t(len(b.entries)))
		if err := r.result.err(op, nil); err != nil {
			return nil, nil, false, err
		}
		switch {
		case r.count > 0:
			b.count, b.taken = int(r.count), 0
		case r.needed > 0:
			// The next entry alone is larger than buf; the iterator has not moved.
			b.buf = make([]byte, int(r.needed))
		default:
			return nil, nil, false, nil
		}
	}
	e := &b.entries[b.taken]
	b.taken++
	return b.slice(e.key, e.key_len), b.slice(e.value, e.value_len), true, nil
}

// enlarge makes room for twice as many entries as the batch before, in twice the bytes (unless
// buf has grown larger for a large entry), up to C.MDBGO_BATCH_ENTRIES.
func (b *iterBatch) enlarge() {
	n := 2 * len(b.entries)
	switch {
	case n == 0:
		n = firstBatchEntries
	case n > C.MDBGO_BATCH_ENTRIES:
		return
	}
	b.entries = make([]C.mdbgo_entry, n)
	if size := n * batchBytesPerEntry; size > len(b.buf) {
		b.buf = make([]byte, size)
	}
}

// slice is the bytes of buf at offset off, of length n, with no room to grow into the bytes
// after them.
func (b *iterBatch) slice(off, n C.size_t) []byte {
	start, end := int(off), int(off)+int(n)
	return b.buf[start:end:end]
}

// Err is the error that ended the iteration, or nil if it ran to its end. Calling Next after
// Close ends it with ErrClosed.
func (it *Iter) Err() error { return it.err }

// Key returns a copy of the current entry's key, or nil if Next did not return true.
func (it *Iter) Key() []byte { return it.copyOf(it.key) }

// Value returns a copy of the current entry's value, or nil if Next did not return true.
func (it *Iter) Value() []byte { return it.copyOf(it.value) }

// copyOf copies bytes of the current entry, while holding a use of the iterator so that a
// concurrent Close cannot free what the library lends during the copy.
func (it *Iter) copyOf(b []byte) []byte {
	if !it.valid {
		return nil
	}
	if _, err := it.h.acquire("Iter.Key"); err != nil {
		return nil
	}
	defer it.h.release()
	return append([]byte{}, b...)
}

// KeyView returns the current key without copying it: the bytes are lent, valid only until the
// next call of Next or Close, and must not be modified. Use Key to keep them.
func (it *Iter) KeyView() []byte {
	if !it.valid {
		return nil
	}
	return it.key
}

// ValueView returns the current value without copying it, valid as KeyView's key is.
func (it *Iter) ValueView() []byte {
	if !it.valid {
		return nil
	}
	return it.value
}

// Position decodes the current key of an iterator over a list or a sparse list: the position
// of the value. It is 0 if Next did not return true or the key is not a position.
func (it *Iter) Position() uint64 {
	if !it.valid || len(it.key) != 8 {
		return 0
	}
	if _, err := it.h.acquire("Iter.Position"); err != nil {
		return 0
	}
	defer it.h.release()
	return binary.BigEndian.Uint64(it.key)
}

// Close frees the iterator, which lets its index accept writes again. Closing twice, after
// the end, or concurrently with the other methods, is safe.
func (it *Iter) Close() error {
	it.h.close(nil)
	return nil
}
