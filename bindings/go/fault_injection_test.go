//go:build metaldb_fault_injection

package metaldb

import (
	"errors"
	"runtime"
	"testing"
)

func TestPanicInTheLibraryIsErrPanicAndPoisonsOnlyItsFamily(t *testing.T) {
	db, fork := tempFork(t)
	m, err := fork.Map(Address{Name: "m"})
	must(t, err)
	defer m.Close()
	must(t, m.Put(b("k"), b("v")))

	runtime.LockOSThread()
	armPanic()
	err = m.Put(b("k2"), b("v2"))
	runtime.UnlockOSThread()
	mustIs(t, err, ErrPanic)
	var e *Error
	if !errors.As(err, &e) || e.Message == "" {
		t.Fatalf("the caught panic %#v carries no message", err)
	}

	_, _, err = m.Get(b("k"))
	mustIs(t, err, ErrPoisoned)
	_, err = fork.List(Address{Name: "l"})
	mustIs(t, err, ErrPoisoned)
	_, err = fork.IntoPatch()
	mustIs(t, err, ErrPoisoned)
	must(t, m.Close())
	must(t, fork.Close())

	// Other families of the database work on.
	write(t, db, func(f *Fork) {
		e, err := f.Entry(Address{Name: "after"})
		must(t, err)
		must(t, e.Set(b("fine")))
		e.Close()
	})
}
