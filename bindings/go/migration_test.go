package metaldb

import (
	"encoding/binary"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"testing"
)

// seedBank writes n balances as decimal text into "bank.balances".
func seedBank(t testing.TB, db *DB, n int) {
	t.Helper()
	write(t, db, func(f *Fork) {
		m, err := f.Map(Address{Name: "bank.balances"})
		must(t, err)
		defer m.Close()
		for i := 0; i < n; i++ {
			must(t, m.Put([]byte(fmt.Sprintf("acct%02d", i)), []byte(strconv.Itoa(i*10))))
		}
	})
}

// moveChunk is a migration step: it moves up to chunk balances from the old layout (text) to
// the new one (8-byte big-endian), through a persistent iterator, and counts them.
func moveChunk(t testing.TB, helper *MigrationHelper, r *MigrationRound, chunk int, moved *int) error {
	old, err := helper.OldData()
	if err != nil {
		return err
	}
	defer old.Close()
	nu, err := helper.NewData()
	if err != nil {
		return err
	}
	defer nu.Close()
	oldMap, err := old.Map(Address{Name: "balances"})
	if err != nil {
		return err
	}
	defer oldMap.Close()
	newMap, err := nu.Map(Address{Name: "balances"})
	if err != nil {
		return err
	}
	defer newMap.Close()
	it, err := r.PersistentIter("balances", oldMap)
	if err != nil {
		return err
	}
	defer it.Close()
	for i := 0; i < chunk && it.Next(); i++ {
		amount, err := strconv.ParseUint(string(it.Value()), 10, 64)
		if err != nil {
			t.Errorf("old balance %q: %v", it.Value(), err)
		}
		var enc [8]byte
		binary.BigEndian.PutUint64(enc[:], amount)
		if err := newMap.Put(it.Key(), enc[:]); err != nil {
			return err
		}
		*moved++
	}
	return it.Err()
}

func TestMigrationAbortedFromAnotherGoroutineResumesWithANewHelper(t *testing.T) {
	const accounts, chunk = 10, 3
	db := tempDB(t)
	seedBank(t, db, accounts)

	helper, abort, err := NewMigration(db, "bank")
	must(t, err)
	rounds, moved := 0, 0
	err = helper.IterLoop(func(r *MigrationRound) error {
		rounds++
		if err := moveChunk(t, helper, r, chunk, &moved); err != nil {
			return err
		}
		if rounds == 3 {
			done := make(chan error)
			go func() { done <- abort.Abort() }()
			return <-done
		}
		return nil
	})
	mustIs(t, err, ErrAborted)
	if rounds != 3 {
		t.Fatalf("the aborted loop ran %d rounds, want 3", rounds)
	}
	finished, err := abort.Finished()
	must(t, err)
	if finished {
		t.Fatal("the helper is reported gone before it is closed")
	}
	must(t, helper.Close())
	finished, err = abort.Finished()
	must(t, err)
	if !finished {
		t.Fatal("the helper is not reported gone after Close")
	}
	must(t, abort.Close())

	// Rounds 1 and 2 were merged; round 3's merge was aborted and wrote nothing.
	if n := countMigrated(t, db); n != 2*chunk {
		t.Fatalf("%d balances merged before the abort, want %d", n, 2*chunk)
	}

	helper, err = NewMigrationHelper(db, "bank")
	must(t, err)
	resumed := 0
	must(t, helper.IterLoop(func(r *MigrationRound) error { return moveChunk(t, helper, r, chunk, &resumed) }))
	must(t, helper.Finish())
	mustIs(t, helper.Merge(), ErrStaleHandle)
	must(t, helper.Close())
	if 2*chunk+resumed != accounts {
		t.Fatalf("resumed run moved %d balances after %d, want %d in all: none twice", resumed, 2*chunk, accounts)
	}

	write(t, db, func(f *Fork) { must(t, f.FlushMigration("bank")) })
	snap, err := db.Snapshot()
	must(t, err)
	defer snap.Close()
	m, err := snap.Map(Address{Name: "bank.balances"})
	must(t, err)
	defer m.Close()
	for i := 0; i < accounts; i++ {
		v, found, err := m.Get([]byte(fmt.Sprintf("acct%02d", i)))
		must(t, err)
		if !found || len(v) != 8 || binary.BigEndian.Uint64(v) != uint64(i*10) {
			t.Fatalf("acct%02d = %x (found %v), want %d as 8 big-endian bytes", i, v, found, i*10)
		}
	}
}

// countMigrated counts the entries of the migrated "bank.balances": merged, not flushed.
func countMigrated(t testing.TB, db *DB) int {
	t.Helper()
	snap, err := db.Snapshot()
	must(t, err)
	defer snap.Close()
	mig, err := snap.Migration("bank")
	must(t, err)
	defer mig.Close()
	m, err := mig.Map(Address{Name: "balances"})
	must(t, err)
	defer m.Close()
	it, err := m.Iter(nil)
	return len(entries(t, it, err, false))
}

func TestAbortHandleCloseAndCollectionDoNotAbortTheMigration(t *testing.T) {
	db := tempDB(t)
	seedBank(t, db, 4)
	for _, forget := range []struct {
		name string
		f    func(a *AbortHandle)
	}{
		{"Close", func(a *AbortHandle) { must(t, a.Close()) }},
		{"finalizer", func(a *AbortHandle) {}},
	} {
		t.Run(forget.name, func(t *testing.T) {
			helper, abort, err := NewMigration(db, "bank")
			must(t, err)
			defer helper.Close()
			forget.f(abort)
			abort = nil
			waitUntil(t, "the abort handle is freed", func() bool { return abortKind.live.Load() == 0 })
			nu, err := helper.NewData()
			must(t, err)
			e, err := nu.Entry(Address{Name: "marker"})
			must(t, err)
			must(t, e.Set(b("written")))
			e.Close()
			nu.Close()
			must(t, helper.Merge()) // not ErrAborted
		})
	}
}

func TestHelperCollectedWithoutCloseIsReportedGone(t *testing.T) {
	db := tempDB(t)
	abort := openForgottenHelper(t, db)
	defer abort.Close()
	waitUntil(t, "the collected helper is reported gone", func() bool {
		finished, err := abort.Finished()
		must(t, err)
		return finished
	})
}

// openForgottenHelper opens a helper with views and indexes and drops them all unclosed.
func openForgottenHelper(t testing.TB, db *DB) *AbortHandle {
	helper, abort, err := NewMigration(db, "bank")
	must(t, err)
	nu, err := helper.NewData()
	must(t, err)
	m, err := nu.Map(Address{Name: "balances"})
	must(t, err)
	must(t, m.Put(b("k"), b("v")))
	return abort
}

func TestStepErrorStopsTheLoopAndIsReturned(t *testing.T) {
	db := tempDB(t)
	seedBank(t, db, 4)
	helper, err := NewMigrationHelper(db, "bank")
	must(t, err)
	defer helper.Close()
	errStop := errors.New("stop here")
	rounds := 0
	err = helper.IterLoop(func(r *MigrationRound) error {
		rounds++
		return errStop
	})
	if !errors.Is(err, errStop) || rounds != 1 {
		t.Fatalf("IterLoop = %v after %d rounds, want the step's error after 1", err, rounds)
	}

	// A library error from the step keeps its code.
	err = helper.IterLoop(func(r *MigrationRound) error {
		_, err := r.PersistentIter("not a valid name", nil)
		return err
	})
	if err == nil {
		t.Fatal("a persistent iterator over nil was accepted")
	}
	err = helper.IterLoop(func(r *MigrationRound) error {
		old, err := helper.OldData()
		if err != nil {
			return err
		}
		defer old.Close()
		m, err := old.Map(Address{Name: "balances"})
		if err != nil {
			return err
		}
		defer m.Close()
		_, err = r.PersistentIter("bad name!", m)
		return err
	})
	mustIs(t, err, ErrInvalidArgument)
}

func TestStepCannotMergeOrFinishItsHelperAndRoundExpires(t *testing.T) {
	db := tempDB(t)
	helper, err := NewMigrationHelper(db, "bank")
	must(t, err)
	defer helper.Close()
	var kept *MigrationRound
	must(t, helper.IterLoop(func(r *MigrationRound) error {
		kept = r
		mustIs(t, helper.Merge(), ErrInvalidArgument)
		mustIs(t, helper.Finish(), ErrInvalidArgument)
		mustIs(t, helper.IterLoop(func(*MigrationRound) error { return nil }), ErrInvalidArgument)
		return nil
	}))
	_, err = kept.PersistentIter("x", nil)
	mustIs(t, err, ErrStaleHandle)
}

func TestPanicInStepIsReraisedAfterTheLibraryReturns(t *testing.T) {
	db := tempDB(t)
	helper, err := NewMigrationHelper(db, "bank")
	must(t, err)
	defer helper.Close()
	defer func() {
		if p := recover(); p != "step panic" {
			t.Fatalf("recovered %v, want the step's panic", p)
		}
		// The helper is usable: the panic did not cross the library.
		must(t, helper.Merge())
	}()
	_ = helper.IterLoop(func(*MigrationRound) error { panic("step panic") })
	t.Fatal("IterLoop returned after a panicking step")
}

func TestGoexitInStepEndsTheCallerAndLeavesTheHelperUsable(t *testing.T) {
	db := tempDB(t)
	helper, err := NewMigrationHelper(db, "bank")
	must(t, err)
	defer helper.Close()
	returned := make(chan bool, 1)
	go func() {
		defer close(returned)
		_ = helper.IterLoop(func(*MigrationRound) error {
			runtime.Goexit()
			return nil
		})
		returned <- true
	}()
	if <-returned {
		t.Fatal("IterLoop returned after its step called runtime.Goexit")
	}
	must(t, helper.Merge())
}

func TestTombstoneRemovesTheOldIndexOnFlush(t *testing.T) {
	db := tempDB(t)
	seedBank(t, db, 2)
	helper, err := NewMigrationHelper(db, "bank")
	must(t, err)
	nu, err := helper.NewData()
	must(t, err)
	must(t, nu.CreateTombstone(Address{Name: "balances"}))
	nu.Close()
	must(t, helper.Finish())
	helper.Close()
	write(t, db, func(f *Fork) {
		mustIs(t, f.CreateTombstone(Address{Name: "x"}), ErrInvalidArgument) // not a migration view
		must(t, f.FlushMigration("bank"))
	})
	snap, err := db.Snapshot()
	must(t, err)
	defer snap.Close()
	_, found, err := snap.IndexType(Address{Name: "bank.balances"})
	must(t, err)
	if found {
		t.Fatal("bank.balances survived its tombstone")
	}
}

func TestRollbackMigrationKeepsTheOldData(t *testing.T) {
	db := tempDB(t)
	seedBank(t, db, 3)
	helper, err := NewMigrationHelper(db, "bank")
	must(t, err)
	nu, err := helper.NewData()
	must(t, err)
	m, err := nu.Map(Address{Name: "balances"})
	must(t, err)
	must(t, m.Clear())
	m.Close()
	nu.Close()
	must(t, helper.Finish())
	helper.Close()
	write(t, db, func(f *Fork) { must(t, f.RollbackMigration("bank")) })
	snap, err := db.Snapshot()
	must(t, err)
	defer snap.Close()
	om, err := snap.Map(Address{Name: "bank.balances"})
	must(t, err)
	defer om.Close()
	it, err := om.Iter(nil)
	if n := len(entries(t, it, err, false)); n != 3 {
		t.Fatalf("%d balances after the rollback, want 3", n)
	}
}

func TestPersistentIterOverAForkResumesAfterMerge(t *testing.T) {
	db := tempDB(t)
	write(t, db, func(f *Fork) {
		l, err := f.List(Address{Name: "jobs"})
		must(t, err)
		must(t, l.Extend(b("a"), b("b"), b("c")))
		l.Close()
		s, err := f.SparseList(Address{Name: "slots"})
		must(t, err)
		must(t, s.Push(b("x")))
		s.Close()
		k, err := f.KeySet(Address{Name: "keys"})
		must(t, err)
		must(t, k.Insert(b("k")))
		k.Close()
	})
	take := func(n int) []string {
		var got []string
		write(t, db, func(f *Fork) {
			pad, err := f.Scratchpad("work")
			must(t, err)
			defer pad.Close()
			l, err := f.List(Address{Name: "jobs"})
			must(t, err)
			defer l.Close()
			it, err := pad.PersistentIter("jobs_pos", l)
			must(t, err)
			defer it.Close()
			for i := 0; i < n && it.Next(); i++ {
				got = append(got, fmt.Sprintf("%d=%s", it.Position(), it.Value()))
			}
			must(t, it.Err())
		})
		return got
	}
	wantStrings(t, take(2), "0=a", "1=b")
	wantStrings(t, take(5), "2=c")
	wantStrings(t, take(5))

	// Every iterable kind has a persistent iterator.
	fork, err := db.Fork()
	must(t, err)
	defer fork.Close()
	s, err := fork.SparseList(Address{Name: "slots"})
	must(t, err)
	defer s.Close()
	k, err := fork.KeySet(Address{Name: "keys"})
	must(t, err)
	defer k.Close()
	m, err := fork.Map(Address{Name: "m"})
	must(t, err)
	defer m.Close()
	for i, index := range []Iterable{s, k, m} {
		it, err := fork.PersistentIter(fmt.Sprintf("pos%d", i), index)
		must(t, err)
		it.Close()
	}
}
