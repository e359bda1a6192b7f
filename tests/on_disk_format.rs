//! Golden bytes of the on-disk format (spec §7 and §20.2), checked with the raw `rocksdb`
//! crate in both directions: what metaldb writes, and what metaldb reads.

use std::{collections::BTreeSet, path::Path};

use ::rocksdb::{IteratorMode, Options, DB};
use metaldb::{
    access::{AccessExt, CopyAccessExt, FromAccess},
    migration::{Migration, Scratchpad},
    DBOptions, Database, Group, IndexType, MapIndex, RocksDB,
};

const DB_METADATA: &str = "__DB_METADATA__";
const INDEXES_POOL: &str = "__INDEXES_POOL__";

fn le64(value: u64) -> Vec<u8> {
    value.to_le_bytes().to_vec()
}

fn be64(value: u64) -> Vec<u8> {
    value.to_be_bytes().to_vec()
}

fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

/// Metadata bytes: id LE u64 | type LE u32 | optional TLV (tag 0, length, state).
fn metadata(id: u64, type_code: u32, state: Option<Vec<u8>>) -> Vec<u8> {
    let mut bytes = cat(&[&le64(id), &type_code.to_le_bytes()]);
    if let Some(state) = state {
        bytes.extend_from_slice(&0_u32.to_le_bytes());
        bytes.extend_from_slice(&(state.len() as u32).to_le_bytes());
        bytes.extend_from_slice(&state);
    }
    bytes
}

fn column_families(path: &Path) -> BTreeSet<String> {
    DB::list_cf(&Options::default(), path)
        .expect("list column families")
        .into_iter()
        .collect()
}

fn open_raw(path: &Path) -> DB {
    let names = DB::list_cf(&Options::default(), path).expect("list column families");
    DB::open_cf(&Options::default(), path, &names).expect("open raw RocksDB")
}

fn cf_entries(db: &DB, name: &str) -> Vec<(Vec<u8>, Vec<u8>)> {
    let cf = db
        .cf_handle(name)
        .unwrap_or_else(|| panic!("no column family {name}"));
    db.iterator_cf(&cf, IteratorMode::Start)
        .map(|item| {
            let (key, value) = item.expect("read RocksDB");
            (key.to_vec(), value.to_vec())
        })
        .collect()
}

fn set_of(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|name| (*name).to_owned()).collect()
}

#[test]
fn fresh_database_holds_only_the_version_record() {
    let dir = tempfile::tempdir().unwrap();
    drop(RocksDB::open(dir.path(), &DBOptions::default()).unwrap());

    assert_eq!(
        column_families(dir.path()),
        set_of(&["default", DB_METADATA])
    );
    let raw = open_raw(dir.path());
    assert_eq!(
        cf_entries(&raw, DB_METADATA),
        vec![(b"version".to_vec(), vec![0])]
    );
    assert!(cf_entries(&raw, "default").is_empty());
}

/// The column families a database keeps for itself. RocksDB's `default` is the only one a
/// valid index name can name: the others start with `__` and have no dot, which makes them
/// reserved names (`bad_input.rs` checks that they are refused).
const KEPT_COLUMN_FAMILIES: [&str; 4] = ["default", DB_METADATA, INDEXES_POOL, "__scratchpad__"];

#[test]
fn an_index_named_default_lives_in_rocksdbs_default_column_family() {
    let dir = tempfile::tempdir().unwrap();
    {
        // The first merge of a new database, with no reopen in between.
        let db = RocksDB::open(dir.path(), &DBOptions::default()).unwrap();
        let fork = db.fork();
        fork.get_map::<_, u8, u8>("default").put(&1, 10);
        fork.get_entry(("default", &2_u8)).set(20_u8);
        db.merge(fork.into_patch()).unwrap();
        let snapshot = db.snapshot();
        assert_eq!(snapshot.get_map::<_, u8, u8>("default").get(&1), Some(10));
        assert_eq!(snapshot.get_entry(("default", &2_u8)).get(), Some(20_u8));
    }

    let raw = open_raw(dir.path());
    assert_eq!(
        cf_entries(&raw, "default"),
        vec![(cat(&[&le64(1), &[1]]), vec![10]), (le64(2), vec![20])]
    );
    drop(raw);
    let db = RocksDB::open(dir.path(), &DBOptions::default()).unwrap();
    let fork = db.fork();
    fork.get_map::<_, u8, u8>("default").put(&3, 30);
    db.merge(fork.into_patch()).unwrap();
    let snapshot = db.snapshot();
    let map = snapshot.get_map::<_, u8, u8>("default");
    assert_eq!(map.iter().collect::<Vec<_>>(), vec![(1, 10), (3, 30)]);
    assert_eq!(
        column_families(dir.path()),
        set_of(&["default", DB_METADATA, INDEXES_POOL])
    );
}

#[test]
fn only_default_among_the_kept_column_families_is_a_valid_index_name() {
    let db = metaldb::TemporaryDB::new();
    let fork = db.fork();
    for name in KEPT_COLUMN_FAMILIES {
        let valid = metaldb::MapIndex::<_, u8, u8>::from_access(&fork, name.into()).is_ok();
        assert_eq!(valid, name == "default", "{name}");
    }
}

#[test]
fn metaldb_writes_the_documented_layout() {
    let dir = tempfile::tempdir().unwrap();
    {
        let db = RocksDB::open(dir.path(), &DBOptions::default()).unwrap();
        let fork = db.fork();
        // Identifiers are allocated in creation order: 1, 2, 3, 4, 5, 6.
        fork.get_list("a.b").extend(vec![1_u32, 2, 0x0102_0304]);
        fork.get_map::<_, u16, u64>(("g", &3_u32)).put(&0x0102, 7);
        fork.get_entry("e").set("hi".to_owned());
        fork.get_sparse_list("s").set(42, 1_u8);
        fork.get_key_set::<_, i32>("k").insert(&-1);
        // Obtained through the fork but never written: its column family is still created.
        fork.get_list::<_, u8>("touched");
        db.merge(fork.into_patch()).unwrap();
    }

    assert_eq!(
        column_families(dir.path()),
        set_of(&[
            "default",
            DB_METADATA,
            INDEXES_POOL,
            "a.b",
            "g",
            "e",
            "s",
            "k",
            "touched"
        ])
    );

    let raw = open_raw(dir.path());
    assert_eq!(
        cf_entries(&raw, DB_METADATA),
        vec![(b"version".to_vec(), vec![0])]
    );
    assert!(cf_entries(&raw, "default").is_empty());

    // The pool: the counter under the empty key, then the metadata under each FQN, all in
    // byte order.
    assert_eq!(
        cf_entries(&raw, INDEXES_POOL),
        vec![
            (vec![], le64(6)),
            (b"a.b".to_vec(), metadata(1, 2, Some(le64(3)))),
            (b"e".to_vec(), metadata(3, 3, None)),
            (b"g\x00\x00\x00\x00\x03".to_vec(), metadata(2, 1, None)),
            (b"k".to_vec(), metadata(5, 5, None)),
            (
                b"s".to_vec(),
                metadata(4, 6, Some(cat(&[&le64(43), &le64(1)]))),
            ),
            (b"touched".to_vec(), metadata(6, 2, None)),
        ]
    );
    // The worked example of spec §7.4, byte by byte.
    assert_eq!(
        metadata(1, 2, Some(le64(3))),
        [1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0]
    );

    // Data: LE64(id) ++ encoded key; list positions are big-endian, values little-endian.
    assert_eq!(
        cf_entries(&raw, "a.b"),
        vec![
            (cat(&[&le64(1), &be64(0)]), vec![1, 0, 0, 0]),
            (cat(&[&le64(1), &be64(1)]), vec![2, 0, 0, 0]),
            (cat(&[&le64(1), &be64(2)]), vec![4, 3, 2, 1]),
        ]
    );
    assert_eq!(
        cf_entries(&raw, "g"),
        vec![(cat(&[&le64(2), &[1, 2]]), le64(7))]
    );
    assert_eq!(cf_entries(&raw, "e"), vec![(le64(3), b"hi".to_vec())]);
    assert_eq!(
        cf_entries(&raw, "s"),
        vec![(cat(&[&le64(4), &be64(42)]), vec![1])]
    );
    // Signed keys are big-endian with the sign bit flipped; key sets store empty values.
    assert_eq!(
        cf_entries(&raw, "k"),
        vec![(cat(&[&le64(5), &[0x7F, 0xFF, 0xFF, 0xFF]]), vec![])]
    );
    assert!(cf_entries(&raw, "touched").is_empty());
}

#[test]
fn migrated_and_scratchpad_indexes_use_the_documented_names() {
    let dir = tempfile::tempdir().unwrap();
    {
        let db = RocksDB::open(dir.path(), &DBOptions::default()).unwrap();
        let fork = db.fork();
        Migration::new("ns", &fork).get_entry("x").set(1_u8);
        Scratchpad::new("ns", &fork).get_entry("y").set(2_u8);
        Migration::new("ns", &fork).create_tombstone("z");
        db.merge(fork.into_patch()).unwrap();
    }

    let names = column_families(dir.path());
    assert!(names.contains("ns.x"), "{names:?}");
    assert!(names.contains("__scratchpad__"), "{names:?}");
    assert!(!names.contains("^ns.x"), "{names:?}");

    let raw = open_raw(dir.path());
    assert_eq!(
        cf_entries(&raw, INDEXES_POOL),
        vec![
            (vec![], le64(3)),
            (b"^ns.x".to_vec(), metadata(1, 3, None)),
            (b"^ns.z".to_vec(), metadata(3, 254, None)),
            (b"__scratchpad__\x00ns.y".to_vec(), metadata(2, 3, None)),
        ]
    );
    assert_eq!(cf_entries(&raw, "ns.x"), vec![(le64(1), vec![1])]);
    assert_eq!(cf_entries(&raw, "__scratchpad__"), vec![(le64(2), vec![2])]);
}

#[test]
fn cleared_index_is_range_deleted_by_identifier_only() {
    let dir = tempfile::tempdir().unwrap();
    {
        let db = RocksDB::open(dir.path(), &DBOptions::default()).unwrap();
        let fork = db.fork();
        fork.get_list(("fam", &1_u8)).extend(vec![1_u8, 2]);
        fork.get_list(("fam", &2_u8)).extend(vec![3_u8, 4]);
        fork.get_list("fam").push(5_u8);
        db.merge(fork.into_patch()).unwrap();
        let fork = db.fork();
        fork.get_list::<_, u8>(("fam", &1_u8)).clear();
        db.merge(fork.into_patch()).unwrap();
    }
    let raw = open_raw(dir.path());
    assert_eq!(
        cf_entries(&raw, "fam"),
        vec![
            (cat(&[&le64(2), &be64(0)]), vec![3]),
            (cat(&[&le64(2), &be64(1)]), vec![4]),
            (cat(&[&le64(3), &be64(0)]), vec![5]),
        ]
    );
    // The cleared list keeps its metadata, without state.
    let pool = cf_entries(&raw, INDEXES_POOL);
    let member = pool
        .iter()
        .find(|(key, _)| key.as_slice() == b"fam\x00\x01")
        .expect("metadata of the cleared member");
    assert_eq!(member.1, metadata(1, 2, None));
}

/// Writes, with the raw crate, a database in the documented layout.
fn write_by_hand(path: &Path, version: u8) {
    let mut options = Options::default();
    options.create_if_missing(true);
    options.create_missing_column_families(true);
    let raw = DB::open_cf(
        &options,
        path,
        [DB_METADATA, INDEXES_POOL, "list", "grp", "ent", "sparse"],
    )
    .unwrap();
    let put = |cf: &str, key: &[u8], value: &[u8]| {
        let cf = raw.cf_handle(cf).unwrap();
        raw.put_cf(&cf, key, value).unwrap();
    };

    put(DB_METADATA, b"version", &[version]);
    put(INDEXES_POOL, &[], &le64(4));
    put(INDEXES_POOL, b"list", &metadata(1, 2, Some(le64(2))));
    put(INDEXES_POOL, b"grp\x00\x05", &metadata(2, 1, None));
    put(INDEXES_POOL, b"ent", &metadata(3, 3, None));
    put(
        INDEXES_POOL,
        b"sparse",
        &metadata(4, 6, Some(cat(&[&le64(5), &le64(2)]))),
    );

    put("list", &cat(&[&le64(1), &be64(0)]), &100_u32.to_le_bytes());
    put("list", &cat(&[&le64(1), &be64(1)]), &200_u32.to_le_bytes());
    // Another identifier's data in the same column family stays out of the list.
    put("list", &cat(&[&le64(9), &be64(0)]), &[0xFF]);
    put("list", &le64(0), &[0xFF]);
    put("grp", &cat(&[&le64(2), b"x"]), &le64(9));
    put("ent", &le64(3), b"hello");
    put("sparse", &cat(&[&le64(4), &be64(1)]), &[11]);
    put("sparse", &cat(&[&le64(4), &be64(4)]), &[44]);
}

#[test]
fn metaldb_reads_a_database_written_by_hand_in_the_documented_layout() {
    let dir = tempfile::tempdir().unwrap();
    write_by_hand(dir.path(), 0);

    let db = RocksDB::open(dir.path(), &DBOptions::default()).unwrap();
    let snapshot = db.snapshot();
    assert_eq!(snapshot.index_type("list"), Some(IndexType::List));
    assert_eq!(snapshot.index_type(("grp", &5_u8)), Some(IndexType::Map));
    assert_eq!(snapshot.index_type("ent"), Some(IndexType::Entry));
    assert_eq!(snapshot.index_type("sparse"), Some(IndexType::SparseList));

    let list = snapshot.get_list::<_, u32>("list");
    assert_eq!(list.len(), 2);
    assert_eq!(list.iter().collect::<Vec<_>>(), vec![100, 200]);

    let group: Group<_, u8, MapIndex<_, str, u64>> = snapshot.get_group("grp");
    assert_eq!(group.keys().collect::<Vec<_>>(), vec![5]);
    assert_eq!(group.get(&5).get("x"), Some(9));
    assert_eq!(
        group.get(&5).iter().collect::<Vec<_>>(),
        vec![("x".to_owned(), 9)]
    );

    assert_eq!(
        snapshot.get_entry::<_, String>("ent").get(),
        Some("hello".to_owned())
    );

    let sparse = snapshot.get_sparse_list::<_, u8>("sparse");
    assert_eq!(sparse.capacity(), 5);
    assert_eq!(sparse.len(), 2);
    assert_eq!(sparse.iter().collect::<Vec<_>>(), vec![(1, 11), (4, 44)]);

    // Writing continues from the stored counter and length.
    let fork = db.fork();
    fork.get_list("list").push(300_u32);
    fork.get_entry("new").set(1_u8);
    db.merge(fork.into_patch()).unwrap();
    drop(snapshot);
    drop(db);

    let raw = open_raw(dir.path());
    let pool = cf_entries(&raw, INDEXES_POOL);
    assert_eq!(pool[0], (vec![], le64(5)));
    assert!(pool.contains(&(b"new".to_vec(), metadata(5, 3, None))));
    assert!(pool.contains(&(b"list".to_vec(), metadata(1, 2, Some(le64(3))))));
    assert_eq!(cf_entries(&raw, "new"), vec![(le64(5), vec![1])]);
    assert!(cf_entries(&raw, "list")
        .contains(&(cat(&[&le64(1), &be64(2)]), 300_u32.to_le_bytes().to_vec())));
}

#[test]
fn opening_a_database_of_another_version_fails() {
    let dir = tempfile::tempdir().unwrap();
    write_by_hand(dir.path(), 2);
    let err = RocksDB::open(dir.path(), &DBOptions::default()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "Database version doesn't match: actual 2, expected 0"
    );
}

#[test]
#[should_panic(expected = "actual 2, expected 0")]
fn test_database_check_incorrect_version() {
    let dir = tempfile::tempdir().unwrap();
    write_by_hand(dir.path(), 2);
    RocksDB::open(&dir, &DBOptions::default()).unwrap();
}
