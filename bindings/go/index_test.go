package metaldb

import (
	"testing"
)

func TestMapPutGetDeleteClearAndIterateFromKey(t *testing.T) {
	_, fork := tempFork(t)
	m, err := fork.Map(Address{Name: "balances"})
	must(t, err)
	defer m.Close()

	must(t, m.Put(b("bob"), b("75")))
	must(t, m.Put(b("alice"), b("100")))
	must(t, m.Put(b("carol"), b("11")))
	must(t, m.Put(b("empty"), nil))
	v, found, err := m.Get(b("alice"))
	wantValue(t, v, found, err, "100")
	v, found, err = m.Get(b("empty"))
	wantValue(t, v, found, err, "")
	if v == nil {
		t.Fatal("an empty value that is present must be a non-nil empty slice")
	}
	v, found, err = m.Get(b("nobody"))
	wantAbsent(t, v, found, err)
	ok, err := m.Contains(b("bob"))
	must(t, err)
	if !ok {
		t.Fatal("Contains(bob) = false after Put")
	}

	it, err := m.Iter(nil)
	wantStrings(t, entries(t, it, err, false), "alice=100", "bob=75", "carol=11", "empty=")
	it, err = m.Iter(b("bz"))
	wantStrings(t, entries(t, it, err, false), "carol=11", "empty=")

	must(t, m.Delete(b("bob")))
	must(t, m.Delete(b("bob"))) // absent: nothing to do, not an error
	ok, err = m.Contains(b("bob"))
	must(t, err)
	if ok {
		t.Fatal("Contains(bob) = true after Delete")
	}
	must(t, m.Clear())
	it, err = m.Iter(nil)
	wantStrings(t, entries(t, it, err, false))
}

func TestListOperationsAndIterationByPosition(t *testing.T) {
	_, fork := tempFork(t)
	l, err := fork.List(Address{Name: "events"})
	must(t, err)
	defer l.Close()

	must(t, l.Push(b("a")))
	must(t, l.Extend(b("b"), b("c"), b("d")))
	n, err := l.Len()
	must(t, err)
	if n != 4 {
		t.Fatalf("Len = %d, want 4", n)
	}
	v, found, err := l.Get(2)
	wantValue(t, v, found, err, "c")
	v, found, err = l.Get(4)
	wantAbsent(t, v, found, err)
	v, found, err = l.Last()
	wantValue(t, v, found, err, "d")

	must(t, l.Set(0, b("A")))
	mustIs(t, l.Set(4, b("x")), ErrOutOfRange)
	it, err := l.Iter(1)
	wantStrings(t, entries(t, it, err, true), "1=b", "2=c", "3=d")

	v, found, err = l.Pop()
	wantValue(t, v, found, err, "d")
	must(t, l.Truncate(2))
	it, err = l.Iter(0)
	wantStrings(t, entries(t, it, err, true), "0=A", "1=b")
	must(t, l.Clear())
	v, found, err = l.Pop()
	wantAbsent(t, v, found, err)
	v, found, err = l.Last()
	wantAbsent(t, v, found, err)
}

func TestSparseListKeepsGapsAndPopsTheFirstValue(t *testing.T) {
	_, fork := tempFork(t)
	l, err := fork.SparseList(Address{Name: "slots"})
	must(t, err)
	defer l.Close()

	must(t, l.Push(b("zero")))
	old, replaced, err := l.Set(5, b("five"))
	wantAbsent(t, old, replaced, err)
	old, replaced, err = l.Set(5, b("FIVE"))
	wantValue(t, old, replaced, err, "five")
	must(t, l.Push(b("six")))
	n, err := l.Len()
	must(t, err)
	c, err := l.Capacity()
	must(t, err)
	if n != 3 || c != 7 {
		t.Fatalf("Len, Capacity = %d, %d, want 3, 7", n, c)
	}
	v, found, err := l.Get(3)
	wantAbsent(t, v, found, err)
	it, err := l.Iter(1)
	wantStrings(t, entries(t, it, err, true), "5=FIVE", "6=six")

	v, found, err = l.Remove(6)
	wantValue(t, v, found, err, "six")
	v, found, err = l.Pop()
	wantValue(t, v, found, err, "zero")
	c, err = l.Capacity()
	must(t, err)
	if c != 7 {
		t.Fatalf("Capacity after Remove and Pop = %d, want 7", c)
	}
	must(t, l.Clear())
	c, err = l.Capacity()
	must(t, err)
	if c != 0 {
		t.Fatalf("Capacity after Clear = %d, want 0", c)
	}
}

func TestEntrySetSwapTakeRemoveAndExists(t *testing.T) {
	_, fork := tempFork(t)
	e, err := fork.Entry(Address{Name: "config"})
	must(t, err)
	defer e.Close()

	v, found, err := e.Get()
	wantAbsent(t, v, found, err)
	must(t, e.Set(nil))
	ok, err := e.Exists()
	must(t, err)
	if !ok {
		t.Fatal("an entry set to an empty value must exist")
	}
	old, found, err := e.Swap(b("v2"))
	wantValue(t, old, found, err, "")
	v, found, err = e.Take()
	wantValue(t, v, found, err, "v2")
	v, found, err = e.Get()
	wantAbsent(t, v, found, err)
	must(t, e.Set(b("v3")))
	must(t, e.Remove())
	ok, err = e.Exists()
	must(t, err)
	if ok {
		t.Fatal("entry exists after Remove")
	}
}

func TestKeySetInsertRemoveAndIterateFromKey(t *testing.T) {
	_, fork := tempFork(t)
	s, err := fork.KeySet(Address{Name: "tags"})
	must(t, err)
	defer s.Close()

	for _, k := range []string{"go", "c", "rust", "c"} {
		must(t, s.Insert(b(k)))
	}
	ok, err := s.Contains(b("rust"))
	must(t, err)
	if !ok {
		t.Fatal("Contains(rust) = false after Insert")
	}
	it, err := s.Iter(b("d"))
	wantStrings(t, entries(t, it, err, false), "go=", "rust=")
	must(t, s.Remove(b("go")))
	it, err = s.Iter(nil)
	wantStrings(t, entries(t, it, err, false), "c=", "rust=")
	must(t, s.Clear())
	ok, err = s.Contains(b("c"))
	must(t, err)
	if ok {
		t.Fatal("Contains(c) = true after Clear")
	}
}

func TestNilAndEmptyGroupKeysAddressDifferentIndexes(t *testing.T) {
	db := tempDB(t)
	write(t, db, func(fork *Fork) {
		for _, c := range []struct {
			addr  Address
			value string
		}{
			{Address{Name: "accounts"}, "outside any group"},
			{Address{Name: "accounts", Group: []byte{}}, "empty key"},
			{Address{Name: "accounts", Group: b("alice")}, "alice"},
		} {
			e, err := fork.Entry(c.addr)
			must(t, err)
			must(t, e.Set(b(c.value)))
			must(t, e.Close())
		}
	})
	snap, err := db.Snapshot()
	must(t, err)
	defer snap.Close()
	for addr, want := range map[*Address]string{
		{Name: "accounts"}:                     "outside any group",
		{Name: "accounts", Group: []byte{}}:    "empty key",
		{Name: "accounts", Group: b("alice")}:  "alice",
		{Name: "accounts", Group: b("nobody")}: "",
	} {
		e, err := snap.Entry(*addr)
		must(t, err)
		v, found, err := e.Get()
		if want == "" {
			wantAbsent(t, v, found, err)
		} else {
			wantValue(t, v, found, err, want)
		}
		e.Close()
	}
}

func TestIteratorViewsAndCopies(t *testing.T) {
	_, fork := tempFork(t)
	m, err := fork.Map(Address{Name: "m"})
	must(t, err)
	defer m.Close()
	must(t, m.Put(b("k1"), b("v1")))
	must(t, m.Put(b("k2"), b("v2")))
	it, err := m.Iter(nil)
	must(t, err)
	defer it.Close()
	if it.Key() != nil || it.KeyView() != nil {
		t.Fatal("Key before Next must be nil")
	}
	if !it.Next() {
		t.Fatal(it.Err())
	}
	key := it.Key()
	if string(it.KeyView()) != "k1" || string(it.ValueView()) != "v1" {
		t.Fatalf("views %q=%q, want k1=v1", it.KeyView(), it.ValueView())
	}
	if !it.Next() {
		t.Fatal(it.Err())
	}
	if string(key) != "k1" {
		t.Fatalf("a copy from Key changed after Next: %q", key)
	}
	if it.Next() || it.Err() != nil {
		t.Fatalf("Next after the last entry: want false and no error, got %v", it.Err())
	}
	if it.Key() != nil || it.Next() {
		t.Fatal("an ended iterator must stay ended")
	}
	// The ended iterator closed itself, so the map takes writes again.
	must(t, m.Put(b("k3"), b("v3")))
}

func TestIndexTypeReportsTheTypeWithoutCreating(t *testing.T) {
	_, fork := tempFork(t)
	_, found, err := fork.IndexType(Address{Name: "l"})
	must(t, err)
	if found {
		t.Fatal("IndexType found an index that was never opened")
	}
	l, err := fork.List(Address{Name: "l"})
	must(t, err)
	l.Close()
	typ, found, err := fork.IndexType(Address{Name: "l"})
	must(t, err)
	if !found || typ != IndexList {
		t.Fatalf("IndexType = %v, %v; want list", typ, found)
	}
	_, err = fork.Map(Address{Name: "l"})
	mustIs(t, err, ErrWrongIndexType)
}
