package metaldb

import (
	"bytes"
	"encoding/binary"
	"testing"
)

// mapEntry is entry i of the maps these tests fill: a 4-byte big-endian key (empty for entry
// 0) and a value of 0 to 40 bytes, so that batches end at varied places in their buffer.
func mapEntry(i int) (key, value []byte) {
	if i > 0 {
		key = binary.BigEndian.AppendUint32(nil, uint32(i))
	}
	return key, bytes.Repeat([]byte{byte(i)}, i%41)
}

// filledMap opens the map "m" of fork, holding entries 0 to n-1 of mapEntry.
func filledMap(t testing.TB, fork *Fork, n int) *Map {
	t.Helper()
	m, err := fork.Map(Address{Name: "m"})
	must(t, err)
	t.Cleanup(func() { m.Close() })
	for i := 0; i < n; i++ {
		must(t, m.Put(mapEntry(i)))
	}
	return m
}

// wantMapEntries checks that got holds entries from..from+len(got)-1 of mapEntry, in order.
func wantMapEntries(t testing.TB, got [][2][]byte, from int) {
	t.Helper()
	for i, e := range got {
		key, value := mapEntry(from + i)
		if !bytes.Equal(e[0], key) || !bytes.Equal(e[1], value) {
			t.Fatalf("entry %d is %x=%x, want entry %d, %x=%x", i, e[0], e[1], from+i, key, value)
		}
	}
}

// collect copies up to n entries of it (n < 0: all of them).
func collect(it *Iter, n int) [][2][]byte {
	var got [][2][]byte
	for n != 0 && it.Next() {
		got = append(got, [2][]byte{it.Key(), it.Value()})
		n--
	}
	return got
}

func TestIterReturnsEveryEntryOnceInOrderAcrossManyBatches(t *testing.T) {
	const n = 3000
	_, fork := tempFork(t)
	m := filledMap(t, fork, n)
	l, err := fork.List(Address{Name: "l"})
	must(t, err)
	defer l.Close()
	s, err := fork.SparseList(Address{Name: "s"})
	must(t, err)
	defer s.Close()
	k, err := fork.KeySet(Address{Name: "k"})
	must(t, err)
	defer k.Close()
	for i := 0; i < n; i++ {
		key, value := mapEntry(i)
		must(t, l.Push(value))
		_, _, err := s.Set(uint64(3*i), value)
		must(t, err)
		must(t, k.Insert(key))
	}

	it, err := m.Iter(nil)
	must(t, err)
	got := collect(it, -1)
	must(t, it.Err())
	if len(got) != n {
		t.Fatalf("the map iterator returned %d entries, want %d", len(got), n)
	}
	wantMapEntries(t, got, 0)

	for _, c := range []struct {
		kind string
		iter func() (*Iter, error)
		step uint64 // between positions
	}{
		{"list", func() (*Iter, error) { return l.Iter(0) }, 1},
		{"sparse list", func() (*Iter, error) { return s.Iter(0) }, 3},
	} {
		it, err := c.iter()
		must(t, err)
		i := 0
		for ; it.Next(); i++ {
			_, value := mapEntry(i)
			if it.Position() != c.step*uint64(i) || !bytes.Equal(it.ValueView(), value) {
				t.Fatalf("%s entry %d is %d=%x, want %d=%x", c.kind, i, it.Position(), it.ValueView(), c.step*uint64(i), value)
			}
		}
		must(t, it.Err())
		if i != n {
			t.Fatalf("the %s iterator returned %d entries, want %d", c.kind, i, n)
		}
	}

	// Key sets iterate in key order: the empty key, then 1, 2, ... big-endian.
	it, err = k.Iter(nil)
	must(t, err)
	i := 0
	for ; it.Next(); i++ {
		key, _ := mapEntry(i)
		if !bytes.Equal(it.KeyView(), key) || len(it.ValueView()) != 0 {
			t.Fatalf("key set entry %d is %x=%x, want %x and no value", i, it.KeyView(), it.ValueView(), key)
		}
	}
	must(t, it.Err())
	if i != n {
		t.Fatalf("the key set iterator returned %d keys, want %d", i, n)
	}
}

func TestIterReturnsAnEntryLargerThanItsBufferWhole(t *testing.T) {
	_, fork := tempFork(t)
	m, err := fork.Map(Address{Name: "m"})
	must(t, err)
	defer m.Close()
	// Small entries around a value of 1 MiB, and a larger one after it, each of bytes that
	// differ from one offset to the next, so that a truncated or shifted copy shows.
	large := func(size int) []byte {
		v := make([]byte, size)
		for i := range v {
			v[i] = byte(i * 7 % 251)
		}
		return v
	}
	want := [][2][]byte{
		{b("a"), b("1")},
		{b("b"), large(1 << 20)},
		{b("c"), b("3")},
		{b("d"), large(5 << 20)},
		{b("e"), nil},
	}
	for _, e := range want {
		must(t, m.Put(e[0], e[1]))
	}
	it, err := m.Iter(nil)
	must(t, err)
	got := collect(it, -1)
	must(t, it.Err())
	if len(got) != len(want) {
		t.Fatalf("the iterator returned %d entries, want %d", len(got), len(want))
	}
	for i := range want {
		if !bytes.Equal(got[i][0], want[i][0]) || !bytes.Equal(got[i][1], want[i][1]) {
			t.Fatalf("entry %d is %q with a value of %d bytes, want %q with %d bytes (or its bytes differ)",
				i, got[i][0], len(got[i][1]), want[i][0], len(want[i][1]))
		}
	}
}

func TestNextAfterCloseIsErrClosedThoughEntriesWereReadAhead(t *testing.T) {
	_, fork := tempFork(t)
	m := filledMap(t, fork, 10)
	it, err := m.Iter(nil)
	must(t, err)
	if !it.Next() {
		t.Fatal(it.Err())
	}
	must(t, it.Close())
	if it.Next() {
		t.Fatalf("Next after Close returned true, with key %x", it.KeyView())
	}
	mustIs(t, it.Err(), ErrClosed)
	if it.Key() != nil || it.KeyView() != nil {
		t.Fatal("an iterator ended by Close still has a current entry")
	}
}

func TestIterOverAnIndexGoneStaleReturnsWhatItReadAheadThenErrStaleHandle(t *testing.T) {
	db := tempDB(t)
	fork, err := db.Fork()
	must(t, err)
	defer fork.Close()
	m := filledMap(t, fork, 1000)
	it, err := m.Iter(nil)
	must(t, err)
	defer it.Close()
	got := collect(it, 1)
	patch, err := fork.IntoPatch()
	must(t, err)
	defer patch.Close()
	got = append(got, collect(it, -1)...)
	mustIs(t, it.Err(), ErrStaleHandle)
	if len(got) == 1000 {
		t.Fatal("an iterator over a consumed fork returned all of its entries")
	}
	wantMapEntries(t, got, 0)
}

func TestPersistentIterStoppedEarlyResumesAtTheFirstEntryItDidNotReturn(t *testing.T) {
	_, fork := tempFork(t)
	m := filledMap(t, fork, 1000)
	pad, err := fork.Scratchpad("work")
	must(t, err)
	defer pad.Close()
	// Three iterators in turn take three entries each and stop: each resumes where the one
	// before stopped, as a program that breaks out of its loop, or crashes, resumes.
	for from := 0; from < 9; from += 3 {
		it, err := pad.PersistentIter("pos", m)
		must(t, err)
		got := collect(it, 3)
		must(t, it.Err())
		must(t, it.Close())
		if len(got) != 3 {
			t.Fatalf("took %d entries, want 3", len(got))
		}
		wantMapEntries(t, got, from)
	}
}
