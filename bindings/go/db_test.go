package metaldb

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestForkIntoPatchMergeMakesChangesVisible(t *testing.T) {
	db := tempDB(t)
	fork, err := db.Fork()
	must(t, err)
	m, err := fork.Map(Address{Name: "balances"})
	must(t, err)
	must(t, m.Put(b("alice"), b("100")))
	must(t, m.Close())

	before, err := db.Snapshot()
	must(t, err)
	defer before.Close()
	patch, err := fork.IntoPatch()
	must(t, err)
	// A patch reads as the fork's base with the changes applied.
	pm, err := patch.Map(Address{Name: "balances"})
	must(t, err)
	v, found, err := pm.Get(b("alice"))
	wantValue(t, v, found, err, "100")
	mustIs(t, pm.Put(b("x"), b("y")), ErrReadOnly)
	pm.Close()
	must(t, db.MergeSync(patch))
	mustIs(t, db.Merge(patch), ErrStaleHandle)

	after, err := db.Snapshot()
	must(t, err)
	defer after.Close()
	am, err := after.Map(Address{Name: "balances"})
	must(t, err)
	defer am.Close()
	v, found, err = am.Get(b("alice"))
	wantValue(t, v, found, err, "100")

	// Snapshot isolation: the snapshot taken before the merge does not see it.
	bm, err := before.Map(Address{Name: "balances"})
	must(t, err)
	defer bm.Close()
	v, found, err = bm.Get(b("alice"))
	wantAbsent(t, v, found, err)
}

func TestSnapshotIsIsolatedFromLaterMergesAndReadOnly(t *testing.T) {
	db := tempDB(t)
	write(t, db, func(f *Fork) {
		l, err := f.List(Address{Name: "log"})
		must(t, err)
		must(t, l.Push(b("first")))
		l.Close()
	})
	snap, err := db.Snapshot()
	must(t, err)
	defer snap.Close()
	write(t, db, func(f *Fork) {
		l, err := f.List(Address{Name: "log"})
		must(t, err)
		must(t, l.Push(b("second")))
		l.Close()
	})
	l, err := snap.List(Address{Name: "log"})
	must(t, err)
	defer l.Close()
	n, err := l.Len()
	must(t, err)
	if n != 1 {
		t.Fatalf("snapshot list Len = %d, want 1 (taken before the second merge)", n)
	}
	mustIs(t, l.Push(b("x")), ErrReadOnly)
	// A missing index reads as empty through a read-only view.
	m, err := snap.Map(Address{Name: "missing"})
	must(t, err)
	defer m.Close()
	v, found, err := m.Get(b("k"))
	wantAbsent(t, v, found, err)
}

func TestIntoPatchMakesTheForkAndItsIndexesStale(t *testing.T) {
	db := tempDB(t)
	fork, err := db.Fork()
	must(t, err)
	m, err := fork.Map(Address{Name: "m"})
	must(t, err)
	defer m.Close()
	it, err := m.Iter(nil)
	must(t, err)
	defer it.Close()
	patch, err := fork.IntoPatch()
	must(t, err)
	defer patch.Close()

	mustIs(t, m.Put(b("k"), b("v")), ErrStaleHandle)
	_, _, err = m.Get(b("k"))
	mustIs(t, err, ErrStaleHandle)
	if it.Next() {
		t.Fatal("Next on a stale iterator returned true")
	}
	mustIs(t, it.Err(), ErrStaleHandle)
	_, err = fork.Map(Address{Name: "other"})
	mustIs(t, err, ErrStaleHandle)
	_, err = fork.IntoPatch()
	mustIs(t, err, ErrStaleHandle)
	must(t, fork.Close())
}

func TestSecondWritableHandleAndWritesDuringIterationAreBorrowed(t *testing.T) {
	_, fork := tempFork(t)
	m, err := fork.Map(Address{Name: "balances"})
	must(t, err)
	defer m.Close()
	_, err = fork.Map(Address{Name: "balances"})
	mustIs(t, err, ErrBorrowed)
	var e *Error
	if !errors.As(err, &e) || e.Op != "Fork.Map" || e.Index != "balances" || !strings.Contains(e.Message, "balances") {
		t.Fatalf("error %#v: want Op Fork.Map, Index balances and the library's message naming it", e)
	}
	_, err = fork.ReadonlyMap(Address{Name: "balances"})
	mustIs(t, err, ErrBorrowed)
	if !errors.As(err, &e) || e.Op != "Fork.ReadonlyMap" {
		t.Fatalf("error %#v: want Op Fork.ReadonlyMap", e)
	}

	it, err := m.Iter(nil)
	must(t, err)
	mustIs(t, m.Put(b("k"), b("v")), ErrBorrowed)
	must(t, it.Close())
	must(t, m.Put(b("k"), b("v")))
}

func TestReadonlyViewsOfAForkSeeItsChangesAndRefuseWrites(t *testing.T) {
	_, fork := tempFork(t)
	m, err := fork.Map(Address{Name: "m"})
	must(t, err)
	must(t, m.Put(b("k"), b("v")))
	must(t, m.Close())

	r1, err := fork.ReadonlyMap(Address{Name: "m"})
	must(t, err)
	defer r1.Close()
	ro, err := fork.Readonly()
	must(t, err)
	r2, err := ro.Map(Address{Name: "m"})
	must(t, err)
	defer r2.Close()
	must(t, ro.Close()) // the index keeps working without its view
	v, found, err := r2.Get(b("k"))
	wantValue(t, v, found, err, "v")
	mustIs(t, r1.Put(b("k"), b("w")), ErrReadOnly)
	_, err = fork.Map(Address{Name: "m"})
	mustIs(t, err, ErrBorrowed)

	for _, open := range []func() (interface{ Close() error }, error){
		func() (interface{ Close() error }, error) { return fork.ReadonlyList(Address{Name: "l"}) },
		func() (interface{ Close() error }, error) { return fork.ReadonlySparseList(Address{Name: "s"}) },
		func() (interface{ Close() error }, error) { return fork.ReadonlyEntry(Address{Name: "e"}) },
		func() (interface{ Close() error }, error) { return fork.ReadonlyKeySet(Address{Name: "k"}) },
	} {
		h, err := open()
		must(t, err)
		h.Close()
	}
}

func TestRollbackDiscardsChangesSinceFlushAndMakesHandlesStale(t *testing.T) {
	_, fork := tempFork(t)
	m, err := fork.Map(Address{Name: "m"})
	must(t, err)
	must(t, m.Put(b("kept"), b("1")))
	must(t, fork.Flush())
	must(t, m.Put(b("dropped"), b("2")))
	must(t, fork.Rollback())
	mustIs(t, m.Put(b("x"), b("y")), ErrStaleHandle)
	m.Close()

	m, err = fork.Map(Address{Name: "m"})
	must(t, err)
	defer m.Close()
	it, err := m.Iter(nil)
	wantStrings(t, entries(t, it, err, false), "kept=1")
}

func TestPrefixedViewsOpenIndexesUnderThePrefix(t *testing.T) {
	db := tempDB(t)
	write(t, db, func(f *Fork) {
		p, err := f.Prefixed("bank")
		must(t, err)
		defer p.Close()
		e, err := p.Entry(Address{Name: "owner"})
		must(t, err)
		must(t, e.Set(b("alice")))
		e.Close()
		_, err = p.Prefixed("nested")
		mustIs(t, err, ErrInvalidArgument)
	})
	snap, err := db.Snapshot()
	must(t, err)
	defer snap.Close()
	e, err := snap.Entry(Address{Name: "bank.owner"})
	must(t, err)
	defer e.Close()
	v, found, err := e.Get()
	wantValue(t, v, found, err, "alice")
	_, err = snap.Prefixed("not a prefix")
	mustIs(t, err, ErrInvalidArgument)
}

func TestPatchIntoForkKeepsThePatchAsFlushedChanges(t *testing.T) {
	db := tempDB(t)
	fork, err := db.Fork()
	must(t, err)
	e, err := fork.Entry(Address{Name: "e"})
	must(t, err)
	must(t, e.Set(b("from patch")))
	e.Close()
	patch, err := fork.IntoPatch()
	must(t, err)
	fork2, err := patch.IntoFork()
	must(t, err)
	defer fork2.Close()
	_, err = patch.Entry(Address{Name: "e"})
	mustIs(t, err, ErrStaleHandle)
	must(t, fork2.Rollback()) // back to the flushed state: the patch's changes
	commit(t, db, fork2)
	snap, err := db.Snapshot()
	must(t, err)
	defer snap.Close()
	e, err = snap.Entry(Address{Name: "e"})
	must(t, err)
	defer e.Close()
	v, found, err := e.Get()
	wantValue(t, v, found, err, "from patch")
}

func TestOpenOptionsCheckpointAndLockedDatabase(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "db")
	_, err := Open(path, &Options{MustExist: true})
	mustIs(t, err, ErrStorage)

	db, err := Open(path, &Options{Compression: CompressionSnappy, MaxOpenFiles: 64, MaxCacheSize: 1 << 20})
	must(t, err)
	write(t, db, func(f *Fork) {
		e, err := f.Entry(Address{Name: "e"})
		must(t, err)
		must(t, e.Set(b("durable")))
		e.Close()
	})
	_, err = Open(path, nil)
	mustIs(t, err, ErrStorage) // locked by the open handle
	must(t, db.Checkpoint(filepath.Join(dir, "copy")))
	mustIs(t, db.Checkpoint(filepath.Join(dir, "copy")), ErrStorage)
	must(t, db.Close())

	for _, p := range []string{path, filepath.Join(dir, "copy")} {
		db, err := Open(p, &Options{MustExist: true})
		must(t, err)
		snap, err := db.Snapshot()
		must(t, err)
		e, err := snap.Entry(Address{Name: "e"})
		must(t, err)
		v, found, err := e.Get()
		wantValue(t, v, found, err, "durable")
		e.Close()
		snap.Close()
		db.Close()
	}

	tmp := tempDB(t)
	mustIs(t, tmp.Checkpoint(filepath.Join(dir, "tmp-copy")), ErrInvalidArgument)
	if _, err := os.Stat(filepath.Join(dir, "tmp-copy")); !os.IsNotExist(err) {
		t.Fatalf("a refused checkpoint left %s behind: %v", filepath.Join(dir, "tmp-copy"), err)
	}
}

func TestReadOnlyOpenWorksBesideAWriterAndRefusesMergesAndCheckpoints(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "db")
	_, err := Open(path, &Options{ReadOnly: true})
	mustIs(t, err, ErrStorage) // a read-only open never creates the database
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("a refused read-only open left %s behind: %v", path, err)
	}

	writer, err := Open(path, nil)
	must(t, err)
	defer writer.Close()
	setEntry := func(value string) {
		write(t, writer, func(f *Fork) {
			e, err := f.Entry(Address{Name: "e"})
			must(t, err)
			must(t, e.Set(b(value)))
			e.Close()
		})
	}
	setEntry("first")

	reader, err := Open(path, &Options{ReadOnly: true})
	must(t, err)
	defer reader.Close()
	setEntry("second")
	snap, err := reader.Snapshot()
	must(t, err)
	e, err := snap.Entry(Address{Name: "e"})
	must(t, err)
	v, found, err := e.Get()
	wantValue(t, v, found, err, "first") // as it was when opened
	e.Close()
	snap.Close()

	fork, err := reader.Fork()
	must(t, err)
	patch, err := fork.IntoPatch()
	must(t, err)
	err = reader.Merge(patch)
	mustIs(t, err, ErrStorage)
	if !strings.Contains(err.Error(), "read-only") {
		t.Fatalf("the refused merge does not name the read-only mode: %v", err)
	}
	copyDir := filepath.Join(dir, "copy")
	mustIs(t, reader.Checkpoint(copyDir), ErrStorage)
	if _, err := os.Stat(copyDir); !os.IsNotExist(err) {
		t.Fatalf("a refused checkpoint left %s behind: %v", copyDir, err)
	}
}

func TestUseAfterCloseIsErrClosedForEveryHandle(t *testing.T) {
	db, err := OpenTemporary()
	must(t, err)
	fork, err := db.Fork()
	must(t, err)
	m, err := fork.Map(Address{Name: "m"})
	must(t, err)
	it, err := m.Iter(nil)
	must(t, err)
	snap, err := db.Snapshot()
	must(t, err)

	for _, c := range []interface{ Close() error }{it, m, fork, snap, db} {
		must(t, c.Close())
		must(t, c.Close()) // idempotent
	}
	_, err = db.Fork()
	mustIs(t, err, ErrClosed)
	_, err = db.Snapshot()
	mustIs(t, err, ErrClosed)
	_, err = fork.Map(Address{Name: "m"})
	mustIs(t, err, ErrClosed)
	_, err = snap.Map(Address{Name: "m"})
	mustIs(t, err, ErrClosed)
	err = m.Put(b("k"), b("v"))
	mustIs(t, err, ErrClosed)
	if !strings.Contains(err.Error(), "Map.Put on m") {
		t.Fatalf("error %q does not name the call and the index", err)
	}
	if it.Next() {
		t.Fatal("Next on a closed iterator returned true")
	}
	mustIs(t, it.Err(), ErrClosed)
	_, _, err = NewMigration(db, "ns")
	mustIs(t, err, ErrClosed)
}

func TestErrorsMatchTheirSentinelOnlyAndFormatWithContext(t *testing.T) {
	err := error(&Error{Code: CodeBorrowed, Op: "Fork.Map", Message: `index "m" is already open`, Index: "m"})
	if !errors.Is(err, ErrBorrowed) || errors.Is(err, ErrStaleHandle) {
		t.Fatal("errors.Is must match the code's sentinel and no other")
	}
	want := `metaldb: Fork.Map on m: index is borrowed: index "m" is already open`
	if err.Error() != want {
		t.Fatalf("Error() = %q, want %q", err.Error(), want)
	}
	if ErrClosed.Error() != "metaldb: handle closed" {
		t.Fatalf("ErrClosed = %q", ErrClosed.Error())
	}
	if s := Code(999).String(); s != "unknown status code" {
		t.Fatalf("an unknown code reads %q", s)
	}
}

func TestLibraryVersionMustMatchTheHeadersMajorAndAtLeastItsMinor(t *testing.T) {
	for _, c := range []struct {
		header, lib uint32
		ok          bool
	}{
		{1000000, 1000000, true},
		{1000000, 1002003, true},  // a newer 1.x library serves an older header
		{1002000, 1001009, false}, // an older minor may lack the header's functions
		{1000000, 2000000, false},
		{2000000, 1009009, false},
	} {
		err := compatibleVersions(c.header, c.lib)
		if (err == nil) != c.ok {
			t.Errorf("header %d, library %d: got %v, want ok=%v", c.header, c.lib, err, c.ok)
		}
		if err != nil && !errors.Is(err, ErrLibraryVersion) {
			t.Errorf("mismatch error %v is not ErrLibraryVersion", err)
		}
	}
	if Version() != HeaderVersion {
		t.Fatalf("tests run against library %s but the header is %s", Version(), HeaderVersion)
	}
	if Features()&FeatureSnappy == 0 {
		t.Fatal("the library reports no Snappy, which is built in by default")
	}
}
