package metaldb_test

import (
	"encoding/binary"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strconv"

	metaldb "github.com/metaldb/metaldb/bindings/go"
)

// check stops the example on an error.
func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}

// The quick start of examples-c/quickstart.c: open a database, write a map and a list in a
// fork, merge it, then read from a snapshot and iterate.
func Example_quickStart() {
	dir, err := os.MkdirTemp("", "metaldb-quickstart")
	check(err)
	defer os.RemoveAll(dir)
	db, err := metaldb.Open(filepath.Join(dir, "quickstart.db"), nil)
	check(err)
	defer db.Close()

	// Write: a fork buffers changes until it is merged.
	fork, err := db.Fork()
	check(err)
	defer fork.Close()
	balances, err := fork.Map(metaldb.Address{Name: "balances"})
	check(err)
	check(balances.Put([]byte("alice"), []byte("100")))
	check(balances.Put([]byte("bob"), []byte("75")))
	check(balances.Put([]byte("carol"), []byte("11")))
	events, err := fork.List(metaldb.Address{Name: "events"})
	check(err)
	check(events.Extend([]byte("opened alice"), []byte("opened bob")))

	// Errors are values: a second writable handle on the same map is refused.
	_, err = fork.Map(metaldb.Address{Name: "balances"})
	fmt.Println("opening balances twice is refused:", errors.Is(err, metaldb.ErrBorrowed))

	// Index handles go before the fork is consumed; they would be stale after.
	balances.Close()
	events.Close()
	patch, err := fork.IntoPatch()
	check(err)
	check(db.MergeSync(patch))

	// Read: a snapshot is an isolated view of the database.
	snapshot, err := db.Snapshot()
	check(err)
	defer snapshot.Close()
	balances, err = snapshot.Map(metaldb.Address{Name: "balances"})
	check(err)
	defer balances.Close()
	if value, found, err := balances.Get([]byte("bob")); err == nil && found {
		fmt.Printf("bob: %s\n", value)
	}
	it, err := balances.Iter(nil)
	check(err)
	defer it.Close()
	for it.Next() {
		fmt.Printf("  %s = %s\n", it.Key(), it.Value())
	}
	check(it.Err())

	events, err = snapshot.List(metaldb.Address{Name: "events"})
	check(err)
	defer events.Close()
	n, err := events.Len()
	check(err)
	fmt.Println("events:", n)
	// Output:
	// opening balances twice is refused: true
	// bob: 75
	//   alice = 100
	//   bob = 75
	//   carol = 11
	// events: 2
}

// The migration of examples-c/migration.c: move the map "bank.balances" from decimal text to
// 8-byte big-endian integers in rounds, abort the migration from another goroutine, resume it
// with a new helper, and swap the new data in.
func Example_migration() {
	accounts := []struct{ name, balance string }{
		{"alice", "100"}, {"bob", "75"}, {"carol", "11"}, {"dave", "99"}, {"erin", "42"},
		{"frank", "7"}, {"grace", "1000"}, {"heidi", "0"}, {"ivan", "23"}, {"judy", "58"},
	}
	const chunk = 3 // balances moved per round: few, to show several rounds

	db, err := metaldb.OpenTemporary()
	check(err)
	defer db.Close()
	fork, err := db.Fork()
	check(err)
	old, err := fork.Map(metaldb.Address{Name: "bank.balances"})
	check(err)
	for _, a := range accounts {
		check(old.Put([]byte(a.name), []byte(a.balance)))
	}
	old.Close()
	patch, err := fork.IntoPatch()
	check(err)
	check(db.Merge(patch))

	// One round: move up to chunk balances to the new layout. A persistent iterator keeps its
	// position in the migration's scratchpad, merged with the round, so the next round, or a
	// new helper after an abort, resumes after the last merged balance.
	migrateChunk := func(helper *metaldb.MigrationHelper, round *metaldb.MigrationRound) (moved int, err error) {
		oldData, err := helper.OldData()
		if err != nil {
			return 0, err
		}
		defer oldData.Close()
		newData, err := helper.NewData()
		if err != nil {
			return 0, err
		}
		defer newData.Close()
		oldBalances, err := oldData.Map(metaldb.Address{Name: "balances"})
		if err != nil {
			return 0, err
		}
		defer oldBalances.Close()
		newBalances, err := newData.Map(metaldb.Address{Name: "balances"})
		if err != nil {
			return 0, err
		}
		defer newBalances.Close()
		it, err := round.PersistentIter("balances", oldBalances)
		if err != nil {
			return 0, err
		}
		defer it.Close()
		for ; moved < chunk && it.Next(); moved++ {
			amount, err := strconv.ParseUint(string(it.Value()), 10, 64)
			if err != nil {
				return moved, err
			}
			if err := newBalances.Put(it.Key(), binary.BigEndian.AppendUint64(nil, amount)); err != nil {
				return moved, err
			}
		}
		return moved, it.Err()
	}

	// First run: aborted from another goroutine during round 3, as an operator's "cancel"
	// would. Rounds 1 and 2 are merged; round 3's merge writes nothing.
	helper, abort, err := metaldb.NewMigration(db, "bank")
	check(err)
	rounds := 0
	err = helper.IterLoop(func(round *metaldb.MigrationRound) error {
		rounds++
		if _, err := migrateChunk(helper, round); err != nil {
			return err
		}
		if rounds == 3 {
			done := make(chan error)
			go func() { done <- abort.Abort() }()
			return <-done
		}
		return nil
	})
	fmt.Printf("first run: aborted=%v in round %d\n", errors.Is(err, metaldb.ErrAborted), rounds)
	helper.Close()
	abort.Close() // releases the handle; it would not abort anything

	// Second run, with a new helper: it resumes after the last merged balance.
	helper, err = metaldb.NewMigrationHelper(db, "bank")
	check(err)
	moved := 0
	check(helper.IterLoop(func(round *metaldb.MigrationRound) error {
		n, err := migrateChunk(helper, round)
		moved += n
		return err
	}))
	check(helper.Finish())
	helper.Close()
	fmt.Printf("second run: %d balances moved\n", moved)

	// Swap the new data in: flush the migration in a fork made after its last merge.
	fork, err = db.Fork()
	check(err)
	check(fork.FlushMigration("bank"))
	patch, err = fork.IntoPatch()
	check(err)
	check(db.Merge(patch))

	snapshot, err := db.Snapshot()
	check(err)
	defer snapshot.Close()
	balances, err := snapshot.Map(metaldb.Address{Name: "bank.balances"})
	check(err)
	defer balances.Close()
	value, _, err := balances.Get([]byte("grace"))
	check(err)
	fmt.Printf("grace: %d\n", binary.BigEndian.Uint64(value))
	// Output:
	// first run: aborted=true in round 3
	// second run: 4 balances moved
	// grace: 1000
}
