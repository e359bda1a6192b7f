package metaldb

import (
	"reflect"
	"testing"
)

// fillCatalogueDB writes one index of each kind, two members of a group (one with an empty
// key) and a pending migration with a tombstone.
func fillCatalogueDB(t *testing.T, db *DB) {
	t.Helper()
	write(t, db, func(f *Fork) {
		m, err := f.Map(Address{Name: "app.users"})
		must(t, err)
		must(t, m.Put([]byte("alice"), []byte("admin")))
		m.Close()
		l, err := f.List(Address{Name: "app.log"})
		must(t, err)
		must(t, l.Push([]byte("one")))
		must(t, l.Push([]byte("two")))
		l.Close()
		s, err := f.SparseList(Address{Name: "sparse"})
		must(t, err)
		_, _, err = s.Set(4, []byte("four"))
		must(t, err)
		s.Close()
		e, err := f.Entry(Address{Name: "config"})
		must(t, err)
		must(t, e.Set([]byte("debug")))
		e.Close()
		for _, group := range [][]byte{{0xAB, 0x00}, {}} {
			k, err := f.KeySet(Address{Name: "tags", Group: group})
			must(t, err)
			must(t, k.Insert([]byte("x")))
			k.Close()
		}
	})
	write(t, db, func(f *Fork) {
		migration, err := f.Migration("app")
		must(t, err)
		defer migration.Close()
		l, err := migration.List(Address{Name: "log"})
		must(t, err)
		must(t, l.Push([]byte("migrated")))
		l.Close()
		must(t, migration.CreateTombstone(Address{Name: "users"}))
	})
}

func TestCatalogueListsEveryIndexWithItsAddressTypeAndLength(t *testing.T) {
	db := tempDB(t)
	fillCatalogueDB(t, db)
	records, err := db.Catalogue()
	must(t, err)
	ids := map[uint64]bool{}
	for i := range records {
		if records[i].ID == 0 || ids[records[i].ID] {
			t.Errorf("record %d: identifier %d is zero or shared", i, records[i].ID)
		}
		ids[records[i].ID] = true
		if records[i].SizeOnDisk != 0 {
			t.Errorf("record %d: a temporary database has no size on disk, got %d", i, records[i].SizeOnDisk)
		}
		records[i].ID = 0
	}
	want := []CatalogueRecord{
		{FullName: []byte("^app.log"), Address: Address{Name: "app.log"}, Namespace: "app", InMigration: true, Type: IndexList, Len: 1, HasLen: true},
		{FullName: []byte("^app.users"), Address: Address{Name: "app.users"}, Namespace: "app", InMigration: true, Type: IndexTombstone},
		{FullName: []byte("app.log"), Address: Address{Name: "app.log"}, Namespace: "app", Type: IndexList, Len: 2, HasLen: true},
		{FullName: []byte("app.users"), Address: Address{Name: "app.users"}, Namespace: "app", Type: IndexMap},
		{FullName: []byte("config"), Address: Address{Name: "config"}, Type: IndexEntry},
		{FullName: []byte("sparse"), Address: Address{Name: "sparse"}, Type: IndexSparseList, Len: 1, HasLen: true},
		{FullName: []byte("tags\x00"), Address: Address{Name: "tags", Group: []byte{}}, Type: IndexKeySet},
		{FullName: []byte("tags\x00\xab\x00"), Address: Address{Name: "tags", Group: []byte{0xAB, 0x00}}, Type: IndexKeySet},
	}
	if !reflect.DeepEqual(records, want) {
		t.Errorf("catalogue:\n got %+v\nwant %+v", records, want)
	}
}

func TestCatalogueOfAnEmptyDatabaseIsEmptyAndOfAClosedOneIsErrClosed(t *testing.T) {
	db := tempDB(t)
	records, err := db.Catalogue()
	must(t, err)
	if len(records) != 0 {
		t.Errorf("an empty database lists %+v", records)
	}
	must(t, db.Close())
	_, err = db.Catalogue()
	mustIs(t, err, ErrClosed)
}

func TestCatalogueReportsTheSizeOnDiskOfFlushedData(t *testing.T) {
	path := t.TempDir() + "/db"
	db, err := Open(path, nil)
	must(t, err)
	big := make([]byte, 64<<10)
	for i := range big {
		big[i] = byte(i % 251)
	}
	write(t, db, func(f *Fork) {
		m, err := f.Map(Address{Name: "big"})
		must(t, err)
		must(t, m.Put([]byte("k"), big))
		m.Close()
	})
	must(t, db.Close())
	// Opening again writes the recovered write-ahead log to a table file: flushed data.
	db, err = Open(path, nil)
	must(t, err)
	defer db.Close()
	records, err := db.Catalogue()
	must(t, err)
	if len(records) != 1 || records[0].SizeOnDisk < 60<<10 || records[0].SizeOnDisk > 1<<20 {
		t.Fatalf("want one record of about 64 KiB on disk, got %+v", records)
	}
}
