package metaldb

// The stress and finalizer tests (TestStress*, TestFinalizer*) also run under
// GODEBUG=cgocheck=2 (make go-test), which checks every pointer this package passes to C.

import (
	"errors"
	"fmt"
	"math/rand"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestStressConcurrentFailuresEachGetTheirOwnMessage fails different calls from many
// goroutines at once: each error must carry the message of its own call, although goroutines
// move between OS threads and the library keeps one message per thread.
func TestStressConcurrentFailuresEachGetTheirOwnMessage(t *testing.T) {
	const goroutines, rounds = 32, 200
	db := tempDB(t)
	inGoroutines(t, goroutines, func(g int) error { return failRepeatedly(db, g, rounds) })
}

// inGoroutines runs f(0) to f(n-1) in n goroutines at once, and fails the test with their
// errors.
func inGoroutines(t *testing.T, n int, f func(g int) error) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for g := 0; g < n; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			errs <- f(g)
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
}

// failRepeatedly makes calls that fail with a message naming goroutine g: a second writable
// handle on the goroutine's own map, and a list position of its own out of range.
func failRepeatedly(db *DB, g, rounds int) error {
	fork, err := db.Fork()
	if err != nil {
		return err
	}
	defer fork.Close()
	name := fmt.Sprintf("map_of_goroutine_%d", g)
	m, err := fork.Map(Address{Name: name})
	if err != nil {
		return err
	}
	defer m.Close()
	l, err := fork.List(Address{Name: fmt.Sprintf("list_%d", g)})
	if err != nil {
		return err
	}
	defer l.Close()
	position := uint64(1000 + g)
	for i := 0; i < rounds; i++ {
		_, err := fork.Map(Address{Name: name})
		if !errors.Is(err, ErrBorrowed) || !strings.Contains(err.Error(), `"`+name+`"`) {
			return fmt.Errorf("goroutine %d: opening its map twice gave %v", g, err)
		}
		err = l.Set(position, nil)
		if !errors.Is(err, ErrOutOfRange) || !strings.Contains(err.Error(), fmt.Sprintf("position %d ", position)) {
			return fmt.Errorf("goroutine %d: setting position %d gave %v", g, position, err)
		}
		if i%16 == 0 {
			runtime.Gosched()
		}
	}
	return nil
}

// TestStressConcurrentMergesFromManyGoroutines merges forks from many goroutines into one
// database: every write must land.
func TestStressConcurrentMergesFromManyGoroutines(t *testing.T) {
	const goroutines, merges = 24, 20
	db := tempDB(t)
	inGoroutines(t, goroutines, func(g int) error {
		for i := 0; i < merges; i++ {
			if err := mergeOne(db, g, i); err != nil {
				return err
			}
		}
		return nil
	})
	snap, err := db.Snapshot()
	must(t, err)
	defer snap.Close()
	m, err := snap.Map(Address{Name: "shared"})
	must(t, err)
	defer m.Close()
	it, err := m.Iter(nil)
	if n := len(entries(t, it, err, false)); n != goroutines*merges {
		t.Fatalf("%d keys after concurrent merges, want %d", n, goroutines*merges)
	}
	l, err := snap.List(Address{Name: "log"})
	must(t, err)
	defer l.Close()
	n, err := l.Len()
	must(t, err)
	if n == 0 {
		t.Fatal("no merge reached the shared list")
	}
}

func mergeOne(db *DB, g, i int) error {
	fork, err := db.Fork()
	if err != nil {
		return err
	}
	defer fork.Close()
	m, err := fork.Map(Address{Name: "shared"})
	if err != nil {
		return err
	}
	if err := m.Put([]byte(fmt.Sprintf("g%02d-%03d", g, i)), []byte("v")); err != nil {
		return err
	}
	m.Close()
	l, err := fork.List(Address{Name: "log"})
	if err != nil {
		return err
	}
	if err := l.Push([]byte("x")); err != nil {
		return err
	}
	l.Close()
	patch, err := fork.IntoPatch()
	if err != nil {
		return err
	}
	if i%2 == 0 {
		return db.Merge(patch)
	}
	return db.MergeSync(patch)
}

// TestStressCloseRacesWithCallsWithoutCrashing closes handles while other goroutines use
// them: every call either works or fails with ErrClosed.
func TestStressCloseRacesWithCallsWithoutCrashing(t *testing.T) {
	db := tempDB(t)
	for round := 0; round < 50; round++ {
		fork, err := db.Fork()
		must(t, err)
		m, err := fork.Map(Address{Name: "m"})
		must(t, err)
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for g := 0; g < 8; g++ {
			wg.Add(1)
			go func(g int) {
				defer wg.Done()
				for i := 0; i < 50; i++ {
					key := []byte(fmt.Sprintf("%d-%d", g, i))
					if err := m.Put(key, key); err != nil && !errors.Is(err, ErrClosed) {
						errs <- err
						return
					}
					if _, _, err := m.Get(key); err != nil && !errors.Is(err, ErrClosed) {
						errs <- err
						return
					}
					if g == 0 && i == 25 {
						// Close from several goroutines at once, while the others call.
						go m.Close()
						go fork.Close()
						m.Close()
					}
				}
			}(g)
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		mustIs(t, m.Put(b("k"), b("v")), ErrClosed)
	}
}

// TestStressIteratorClosedWhileIterating closes iterators from other goroutines while their
// owner iterates and copies keys: the iteration ends with ErrClosed, never with freed memory.
func TestStressIteratorClosedWhileIterating(t *testing.T) {
	db := tempDB(t)
	write(t, db, func(f *Fork) {
		m, err := f.Map(Address{Name: "m"})
		must(t, err)
		defer m.Close()
		for i := 0; i < 500; i++ {
			must(t, m.Put([]byte(fmt.Sprintf("key%04d", i)), []byte("value")))
		}
	})
	snap, err := db.Snapshot()
	must(t, err)
	defer snap.Close()
	m, err := snap.Map(Address{Name: "m"})
	must(t, err)
	defer m.Close()
	inGoroutines(t, 8, func(g int) error {
		for round := 0; round < 20; round++ {
			it, err := m.Iter(nil)
			if err != nil {
				return err
			}
			seen := 0
			for it.Next() {
				if k := it.Key(); k != nil && !strings.HasPrefix(string(k), "key") {
					return fmt.Errorf("iterator returned key %q", k)
				}
				if seen++; seen == 10*(g+1) {
					go it.Close()
				}
			}
			if err := it.Err(); err != nil && !errors.Is(err, ErrClosed) {
				return err
			}
		}
		return nil
	})
}

// TestStressCloseInRandomOrderReleasesTheDatabase closes every kind of handle in random
// orders; the library then closes the database, which a second Open of its directory proves.
func TestStressCloseInRandomOrderReleasesTheDatabase(t *testing.T) {
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewSource(seed))
	path := filepath.Join(t.TempDir(), "db")
	for round := 0; round < 20; round++ {
		handles := openOneOfEach(t, path)
		rng.Shuffle(len(handles), func(i, j int) { handles[i], handles[j] = handles[j], handles[i] })
		for _, h := range handles {
			must(t, h.Close())
		}
		// Every handle is freed, so the database is closed and its lock released.
		db, err := Open(path, nil)
		must(t, err)
		must(t, db.Close())
	}
}

// openOneOfEach opens a database and one handle of every kind from it.
func openOneOfEach(t testing.TB, path string) []interface{ Close() error } {
	db, err := Open(path, nil)
	must(t, err)
	fork, err := db.Fork()
	must(t, err)
	m, err := fork.Map(Address{Name: "m"})
	must(t, err)
	must(t, m.Put(b("k"), b("v")))
	it, err := m.Iter(nil)
	must(t, err)
	l, err := fork.List(Address{Name: "l"})
	must(t, err)
	sl, err := fork.SparseList(Address{Name: "s"})
	must(t, err)
	e, err := fork.Entry(Address{Name: "e"})
	must(t, err)
	ks, err := fork.KeySet(Address{Name: "k"})
	must(t, err)
	pre, err := fork.Prefixed("p")
	must(t, err)
	ro, err := fork.Readonly()
	must(t, err)
	snap, err := db.Snapshot()
	must(t, err)
	sm, err := snap.Map(Address{Name: "m"})
	must(t, err)
	fork2, err := db.Fork()
	must(t, err)
	patch, err := fork2.IntoPatch()
	must(t, err)
	helper, abort, err := NewMigration(db, "ns")
	must(t, err)
	nd, err := helper.NewData()
	must(t, err)
	return []interface{ Close() error }{db, fork, m, it, l, sl, e, ks, pre, ro, snap, sm, fork2, patch, helper, abort, nd}
}

// TestFinalizerFreesForgottenHandles drops handles of every kind without closing them: the
// finalizers must free them all (the live-handle count returns to zero) and the library must
// then close the database (a second Open of its directory succeeds).
func TestFinalizerFreesForgottenHandles(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	for round := 0; round < 5; round++ {
		openOneOfEach(t, path)
		waitUntil(t, "every forgotten handle is freed", func() bool { return liveHandles.Load() == 0 })
		db, err := Open(path, nil)
		must(t, err)
		must(t, db.Close())
	}
}

// TestFinalizerStressManyShortLivedHandles opens and forgets many handles from several
// goroutines while the collector runs.
func TestFinalizerStressManyShortLivedHandles(t *testing.T) {
	db := tempDB(t)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				fork, err := db.Fork()
				if err != nil {
					t.Error(err)
					return
				}
				m, err := fork.Map(Address{Name: "m", Group: []byte{byte(g)}})
				if err != nil {
					t.Error(err)
					return
				}
				if err := m.Put([]byte{byte(i)}, []byte{byte(g)}); err != nil {
					t.Error(err)
					return
				}
				if i%50 == 0 {
					runtime.GC()
				}
			}
		}(g)
	}
	wg.Wait()
	waitUntil(t, "every forgotten handle is freed", func() bool { return liveHandles.Load() == 1 })
}

// TestStressForksCreatingGroupMembersKeepTheirDataApart creates a new member of one group in
// every fork, from many goroutines at once: each member must hold its own value only, although
// the forks were made from the same state.
func TestStressForksCreatingGroupMembersKeepTheirDataApart(t *testing.T) {
	const goroutines, rounds = 12, 10
	db := tempDB(t)
	inGoroutines(t, goroutines, func(g int) error {
		for i := 0; i < rounds; i++ {
			if err := putInMember(db, fmt.Sprintf("g%02d-%02d", g, i)); err != nil {
				return err
			}
		}
		return nil
	})
	snap, err := db.Snapshot()
	must(t, err)
	defer snap.Close()
	for g := 0; g < goroutines; g++ {
		for i := 0; i < rounds; i++ {
			member := fmt.Sprintf("g%02d-%02d", g, i)
			m, err := snap.Map(Address{Name: "members", Group: []byte(member)})
			must(t, err)
			it, err := m.Iter(nil)
			got := entries(t, it, err, false)
			m.Close()
			if len(got) != 1 || got[0] != "k="+member {
				t.Fatalf("member %s holds %q, want only k=%s", member, got, member)
			}
		}
	}
}

func putInMember(db *DB, member string) error {
	fork, err := db.Fork()
	if err != nil {
		return err
	}
	defer fork.Close()
	m, err := fork.Map(Address{Name: "members", Group: []byte(member)})
	if err != nil {
		return err
	}
	if err := m.Put([]byte("k"), []byte(member)); err != nil {
		return err
	}
	m.Close()
	patch, err := fork.IntoPatch()
	if err != nil {
		return err
	}
	return db.Merge(patch)
}

// TestMergeOfAnIndexCreatedWithAnotherTypeIsErrConflict creates one index with two types in
// two forks: the second merge is refused, and nothing of it is written.
func TestMergeOfAnIndexCreatedWithAnotherTypeIsErrConflict(t *testing.T) {
	db := tempDB(t)
	first, err := db.Fork()
	must(t, err)
	defer first.Close()
	second, err := db.Fork()
	must(t, err)
	defer second.Close()
	m, err := first.Map(Address{Name: "name"})
	must(t, err)
	must(t, m.Put([]byte("k"), []byte("v")))
	m.Close()
	l, err := second.List(Address{Name: "name"})
	must(t, err)
	must(t, l.Push([]byte("x")))
	l.Close()
	patch, err := first.IntoPatch()
	must(t, err)
	must(t, db.Merge(patch))
	patch, err = second.IntoPatch()
	must(t, err)
	err = db.Merge(patch)
	mustIs(t, err, ErrConflict)
	if !strings.Contains(err.Error(), `"name"`) {
		t.Fatalf("the error does not name the index: %v", err)
	}
}
