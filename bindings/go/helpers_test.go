package metaldb

import (
	"errors"
	"fmt"
	"runtime"
	"testing"
	"time"
)

// must fails the test at once on an error.
func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// mustIs fails the test unless err matches target.
func mustIs(t testing.TB, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("got error %v, want %v", err, target)
	}
}

// tempDB opens a temporary database, closed at the end of the test.
func tempDB(t testing.TB) *DB {
	t.Helper()
	db, err := OpenTemporary()
	must(t, err)
	t.Cleanup(func() { db.Close() })
	return db
}

// tempFork opens a temporary database and a fork of it, closed at the end of the test.
func tempFork(t testing.TB) (*DB, *Fork) {
	t.Helper()
	db := tempDB(t)
	fork, err := db.Fork()
	must(t, err)
	t.Cleanup(func() { fork.Close() })
	return db, fork
}

// commit merges a fork into db.
func commit(t testing.TB, db *DB, fork *Fork) {
	t.Helper()
	patch, err := fork.IntoPatch()
	must(t, err)
	must(t, db.Merge(patch))
}

// write runs f on a fork of db and merges it.
func write(t testing.TB, db *DB, f func(fork *Fork)) {
	t.Helper()
	fork, err := db.Fork()
	must(t, err)
	defer fork.Close()
	f(fork)
	commit(t, db, fork)
}

// wantValue checks the result of a lookup.
func wantValue(t testing.TB, got []byte, found bool, err error, want string) {
	t.Helper()
	must(t, err)
	if !found {
		t.Fatalf("got no value, want %q", want)
	}
	if string(got) != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

// wantAbsent checks that a lookup found nothing, without an error.
func wantAbsent(t testing.TB, got []byte, found bool, err error) {
	t.Helper()
	must(t, err)
	if found || got != nil {
		t.Fatalf("got %q (found %v), want nothing", got, found)
	}
}

// entries collects an iterator's entries as "key=value" strings (keys of lists as positions),
// and checks that it ended without an error.
func entries(t testing.TB, it *Iter, err error, positions bool) []string {
	t.Helper()
	must(t, err)
	defer it.Close()
	var out []string
	for it.Next() {
		if positions {
			out = append(out, fmt.Sprintf("%d=%s", it.Position(), it.Value()))
		} else {
			out = append(out, fmt.Sprintf("%s=%s", it.Key(), it.Value()))
		}
	}
	must(t, it.Err())
	return out
}

func wantStrings(t testing.TB, got []string, want ...string) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func b(s string) []byte { return []byte(s) }

// waitUntil runs the garbage collector until cond holds, or fails after 10 seconds.
func waitUntil(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		runtime.GC()
		time.Sleep(5 * time.Millisecond)
	}
}
