//! The library on a database written by metaldb 1.0.0 as published: the fixture
//! `tests/fixtures/metaldb-1.0.0/db`, made by the generator beside it (its README says how,
//! with which versions). These tests know what the generator wrote; the command-line tool's
//! tests on the same fixture are in `cli/tests/metaldb_1_0_0.rs`.

use std::path::{Path, PathBuf};

use metaldb::{
    access::{AccessExt, CopyAccessExt},
    catalogue::Catalogue,
    migration::{flush_migration, Migration, Scratchpad},
    DBOptions, Database, IndexType, RocksDB,
};
use tempfile::TempDir;

/// A copy of the fixture in a temporary directory: opening a database writes to it.
fn copy_of_fixture(dir: &TempDir) -> PathBuf {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/metaldb-1.0.0/db");
    let db = dir.path().join("db");
    std::fs::create_dir(&db).unwrap();
    for file in std::fs::read_dir(fixture).unwrap() {
        let file = file.unwrap();
        std::fs::copy(file.path(), db.join(file.file_name())).unwrap();
    }
    db
}

/// The generator's large value: 64 KiB holding every byte value.
fn big_value() -> Vec<u8> {
    (0..64 * 1024).map(|i: u32| (i % 251) as u8).collect()
}

#[test]
fn every_index_metaldb_1_0_0_wrote_reads_back_through_the_typed_api() {
    let dir = TempDir::new().unwrap();
    let db = RocksDB::open(copy_of_fixture(&dir), &DBOptions::default()).unwrap();
    let snapshot = db.snapshot();

    assert_eq!(
        snapshot.get_entry::<_, String>("app.config").get(),
        Some("debug".to_owned())
    );
    let log = snapshot.get_list::<_, Vec<u8>>("app.log");
    assert_eq!(
        log.iter().collect::<Vec<_>>(),
        vec![b"one".to_vec(), vec![0, 1, 2], big_value()]
    );
    let sparse = snapshot.get_sparse_list::<_, String>("app.sparse");
    assert_eq!((sparse.len(), sparse.capacity()), (1, 10));
    assert_eq!(sparse.get(2), Some("two".to_owned()));
    assert_eq!(sparse.get(9), None);
    let users = snapshot.get_map::<_, [u8], Vec<u8>>("users");
    assert_eq!(
        users.iter().collect::<Vec<_>>(),
        vec![
            (b"alice".to_vec(), b"admin".to_vec()),
            (b"big".to_vec(), big_value()),
            (vec![0xFF, 0x00, 0x7F], vec![0xFF, 0xAD]),
        ]
    );
    let tags = snapshot.get_key_set::<_, [u8]>("tags");
    assert_eq!(
        tags.iter().collect::<Vec<_>>(),
        vec![vec![0x01, 0x02], b"rust".to_vec()]
    );
    let member = snapshot.get_map::<_, String, u64>(("balances", &[0xAB_u8, 0x00][..]));
    assert_eq!(member.get(&"x".to_owned()), Some(1));
    let member = snapshot.get_map::<_, String, u64>(("balances", "bob"));
    assert_eq!(member.get(&"y".to_owned()), Some(2));
    assert_eq!(snapshot.get_entry::<_, u8>("done.new").get(), Some(2));
    assert_eq!(snapshot.index_type("done.old"), None, "flushed away");

    let migration = Migration::new("app", &snapshot);
    assert_eq!(
        migration
            .get_list::<_, Vec<u8>>("log")
            .iter()
            .collect::<Vec<_>>(),
        vec![b"migrated".to_vec()]
    );
    assert_eq!(migration.index_type("config"), Some(IndexType::Tombstone));
    assert_eq!(
        Scratchpad::new("app", &snapshot)
            .get_entry::<_, Vec<u8>>("position")
            .get(),
        Some(b"resume".to_vec())
    );
}

#[test]
fn the_catalogue_of_the_1_0_0_database_lists_every_index_once() {
    let dir = TempDir::new().unwrap();
    let db = RocksDB::open_read_only(copy_of_fixture(&dir), &DBOptions::default()).unwrap();
    let catalogue = Catalogue::read(&db).unwrap();
    let records = catalogue.records();
    assert_eq!(records.len(), 11);
    let mut identifiers: Vec<u64> = records.iter().map(|r| r.identifier).collect();
    identifiers.sort_unstable();
    identifiers.dedup();
    assert_eq!(identifiers.len(), records.len(), "identifiers are unique");
    assert!(identifiers
        .iter()
        .all(|&id| id <= catalogue.identifier_counter()));
    let log = catalogue.find("app.log", None).unwrap();
    assert_eq!((log.index_type, log.len), (IndexType::List, Some(3)));
    let sparse = catalogue.find("app.sparse", None).unwrap();
    assert_eq!((sparse.len, sparse.capacity), (Some(1), Some(10)));
    assert_eq!(catalogue.pending_migrations(), vec!["app".to_owned()]);
}

#[test]
fn the_1_0_0_database_takes_new_writes_and_a_migration_flush() {
    let dir = TempDir::new().unwrap();
    let path = copy_of_fixture(&dir);
    {
        let db = RocksDB::open(&path, &DBOptions::default()).unwrap();
        let mut fork = db.fork();
        fork.get_map::<_, [u8], Vec<u8>>("users")
            .put(b"carol", b"guest".to_vec());
        fork.get_map("fresh").put(&1_u8, 1_u8);
        flush_migration(&mut fork, "app");
        db.merge_sync(fork.into_patch()).unwrap();
    }
    let db = RocksDB::open(&path, &DBOptions::default()).unwrap();
    let snapshot = db.snapshot();
    assert_eq!(
        snapshot.get_map::<_, [u8], Vec<u8>>("users").get(b"carol"),
        Some(b"guest".to_vec())
    );
    // The migration's list replaced the old one.
    assert_eq!(
        snapshot
            .get_list::<_, Vec<u8>>("app.log")
            .iter()
            .collect::<Vec<_>>(),
        vec![b"migrated".to_vec()]
    );
    assert_eq!(snapshot.index_type("app.config"), None);
    assert_eq!(snapshot.get_map::<_, u8, u8>("fresh").get(&1), Some(1));
    let catalogue = Catalogue::read(&db).unwrap();
    assert!(catalogue.pending_migrations().is_empty());
    let fresh = catalogue.find("fresh", None).unwrap();
    assert_eq!(
        fresh.identifier,
        catalogue.identifier_counter(),
        "the new index takes the next identifier after 1.0.0's"
    );
}
