//! The catalogue of a RocksDB database, and read-only opens.

use metaldb::{
    access::{AccessExt, CopyAccessExt},
    catalogue::Catalogue,
    migration::{flush_migration, Migration},
    DBOptions, Database, IndexType, RocksDB,
};
use tempfile::TempDir;

fn filled_db(dir: &TempDir) -> RocksDB {
    let db = RocksDB::open(dir.path(), &DBOptions::default()).unwrap();
    let fork = db.fork();
    fork.get_list("app.logs")
        .extend((0..1_000_u32).map(|i| vec![i as u8; 100]));
    fork.get_sparse_list("app.sparse").set(7, 1_u8);
    fork.get_map(("app.group", &[1_u8, 2][..])).put(&3_u8, 4_u8);
    fork.get_entry("single").set(5_u8);
    fork.get_key_set("set").insert(&9_u8);
    let migration = Migration::new("app", &fork);
    migration.get_entry("new").set(1_u8);
    migration.create_tombstone("old");
    Migration::new("other", &fork).get_entry("x").set(1_u8);
    db.merge(fork.into_patch()).unwrap();
    db
}

#[test]
fn catalogue_lists_every_index_with_its_parts_type_and_length() {
    let dir = TempDir::new().unwrap();
    let db = filled_db(&dir);
    let catalogue = Catalogue::read(&db).unwrap();
    let summary: Vec<_> = catalogue
        .records()
        .iter()
        .map(|r| {
            (
                r.name.as_str(),
                r.namespace.as_deref(),
                r.in_migration,
                r.group_key.clone(),
                r.index_type,
                r.len,
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            ("app.new", Some("app"), true, None, IndexType::Entry, None),
            (
                "app.old",
                Some("app"),
                true,
                None,
                IndexType::Tombstone,
                None
            ),
            ("other.x", Some("other"), true, None, IndexType::Entry, None),
            (
                "app.group",
                Some("app"),
                false,
                Some(vec![1, 2]),
                IndexType::Map,
                None
            ),
            (
                "app.logs",
                Some("app"),
                false,
                None,
                IndexType::List,
                Some(1000)
            ),
            (
                "app.sparse",
                Some("app"),
                false,
                None,
                IndexType::SparseList,
                Some(1)
            ),
            ("set", None, false, None, IndexType::KeySet, None),
            ("single", None, false, None, IndexType::Entry, None),
        ]
    );
    assert_eq!(catalogue.pending_migrations(), vec!["app", "other"]);
    let mut ids: Vec<u64> = catalogue.records().iter().map(|r| r.identifier).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), catalogue.records().len());
    assert!(ids.iter().all(|&id| id <= catalogue.identifier_counter()));
    assert_eq!(
        catalogue.find("app.sparse", None).unwrap().capacity,
        Some(8)
    );
}

#[test]
fn catalogue_estimates_the_size_on_disk_of_flushed_indexes() {
    let dir = TempDir::new().unwrap();
    let db = filled_db(&dir);
    let rocksdb = db.get_db_lock_guard();
    for cf in ["app.logs", "single"] {
        rocksdb.flush_cf(&rocksdb.cf_handle(cf).unwrap()).unwrap();
    }
    drop(rocksdb);
    let catalogue = Catalogue::read(&db).unwrap();
    let logs = catalogue
        .find("app.logs", None)
        .unwrap()
        .size_on_disk
        .unwrap();
    // 1,000 values of 100 bytes, uncompressed.
    assert!(logs >= 50_000, "the list takes {} bytes", logs);
    let single = catalogue
        .find("single", None)
        .unwrap()
        .size_on_disk
        .unwrap();
    assert!(single < logs, "an entry takes {} bytes", single);
}

#[test]
fn read_only_open_refuses_merges_naming_the_mode_and_writes_nothing() {
    let dir = TempDir::new().unwrap();
    drop(filled_db(&dir));
    let db = RocksDB::open_read_only(dir.path(), &DBOptions::default()).unwrap();
    assert!(db.is_read_only());
    let fork = db.fork();
    fork.get_entry("single").set(6_u8);
    let err = db.merge(fork.into_patch()).unwrap_err();
    assert!(err.to_string().contains("read-only"), "{}", err);
    assert_eq!(db.snapshot().get_entry::<_, u8>("single").get(), Some(5));
    drop(db);
    let db = RocksDB::open(dir.path(), &DBOptions::default()).unwrap();
    assert_eq!(db.snapshot().get_entry::<_, u8>("single").get(), Some(5));
}

#[test]
fn read_only_open_refuses_a_checkpoint_that_would_miss_the_write_ahead_log() {
    let dir = TempDir::new().unwrap();
    drop(filled_db(&dir));
    let db = RocksDB::open_read_only(dir.path(), &DBOptions::default()).unwrap();
    let checkpoint = dir.path().join("checkpoint");
    let err = db.create_checkpoint(&checkpoint).unwrap_err();
    assert!(
        err.to_string().contains("read-only mode") && err.to_string().contains("write-ahead log"),
        "{}",
        err
    );
    assert!(!checkpoint.exists());
}

#[test]
fn read_only_open_works_beside_a_writer_and_sees_its_merged_data() {
    let dir = TempDir::new().unwrap();
    let writer = filled_db(&dir);
    // A second writable open fails on RocksDB's lock; a read-only one takes none.
    assert!(RocksDB::open(dir.path(), &DBOptions::default()).is_err());
    let reader = RocksDB::open_read_only(dir.path(), &DBOptions::default()).unwrap();
    assert_eq!(
        reader.snapshot().get_list::<_, Vec<u8>>("app.logs").len(),
        1000
    );
    assert_eq!(
        Catalogue::read(&reader).unwrap().records().len(),
        Catalogue::read(&writer).unwrap().records().len()
    );
    let fork = writer.fork();
    fork.get_entry("single").set(7_u8);
    writer.merge(fork.into_patch()).unwrap();
}

#[test]
fn read_only_open_of_a_missing_database_fails_and_creates_nothing() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("missing");
    let err = RocksDB::open_read_only(&path, &DBOptions::default()).unwrap_err();
    assert!(err.to_string().contains("holds no database"), "{}", err);
    assert!(!path.exists());
}

#[test]
fn catalogue_after_a_flushed_migration_has_no_migration_entries() {
    let dir = TempDir::new().unwrap();
    let db = filled_db(&dir);
    let mut fork = db.fork();
    flush_migration(&mut fork, "app");
    db.merge(fork.into_patch()).unwrap();
    let catalogue = Catalogue::read(&db).unwrap();
    assert_eq!(catalogue.pending_migrations(), vec!["other"]);
    assert_eq!(
        catalogue.find("app.new", None).unwrap().index_type,
        IndexType::Entry
    );
}
