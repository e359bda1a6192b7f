//! RocksDB persistence: data, metadata and groups survive closing and reopening the
//! directory; checkpoints are independent databases (spec §10.1, §10.2).

mod common;

use std::path::Path;

use metaldb::{
    access::{Access, AccessExt, AsReadonly, CopyAccessExt, Prefixed, RawAccess},
    DBOptions, Database, Group, IndexType, ListIndex, RocksDB,
};

use common::pool_counter;

fn open(path: &Path) -> RocksDB {
    RocksDB::open(path, &DBOptions::default()).expect("open RocksDB")
}

/// Writes one index of every kind, a group, a prefixed index, and a cleared list.
fn write_everything(db: &RocksDB) {
    let fork = db.fork();
    fork.get_entry("entry").set("hello".to_owned());
    fork.get_list("list").extend(vec![1_u32, 2, 3]);
    {
        let mut sparse = fork.get_sparse_list("sparse");
        sparse.extend(vec![10_u64, 11, 12]);
        sparse.remove(1);
        sparse.set(9, 19);
    }
    {
        let mut map = fork.get_map::<_, str, i64>("map");
        map.put("one", 1);
        map.put("minus", -1);
    }
    {
        let mut set = fork.get_key_set::<_, i32>("set");
        set.insert(&-5);
        set.insert(&5);
    }
    {
        let group: Group<_, str, ListIndex<_, u8>> = fork.get_group("group");
        group.get("a").push(1);
        group.get("b").extend(vec![2, 3]);
    }
    Prefixed::new("ns", &fork).get_entry("inner").set(42_u8);
    fork.get_list::<_, u8>("cleared").push(1);
    db.merge_sync(fork.into_patch()).unwrap();

    // A second merge that clears and rewrites, so that the range delete is persisted too.
    let fork = db.fork();
    {
        let mut cleared = fork.get_list::<_, u8>("cleared");
        cleared.clear();
        cleared.push(7);
    }
    fork.get_list::<_, u32>("list").push(4);
    db.merge(fork.into_patch()).unwrap();
}

fn check_everything<T>(access: T)
where
    T: RawAccess + AsReadonly<Readonly = T> + Copy,
{
    assert_eq!(
        access.get_entry::<_, String>("entry").get(),
        Some("hello".to_owned())
    );

    let list = access.get_list::<_, u32>("list");
    assert_eq!(list.len(), 4);
    assert_eq!(list.iter().collect::<Vec<_>>(), vec![1, 2, 3, 4]);

    let sparse = access.get_sparse_list::<_, u64>("sparse");
    assert_eq!(sparse.capacity(), 10);
    assert_eq!(sparse.len(), 3);
    assert_eq!(
        sparse.iter().collect::<Vec<_>>(),
        vec![(0, 10), (2, 12), (9, 19)]
    );

    let map = access.get_map::<_, str, i64>("map");
    assert_eq!(
        map.iter().collect::<Vec<_>>(),
        vec![("minus".to_owned(), -1), ("one".to_owned(), 1)]
    );

    let set = access.get_key_set::<_, i32>("set");
    assert_eq!(set.iter().collect::<Vec<_>>(), vec![-5, 5]);

    let group: Group<_, str, ListIndex<_, u8>> = access.get_group("group");
    assert_eq!(group.keys().collect::<Vec<_>>(), vec!["a", "b"]);
    assert_eq!(group.get("b").iter().collect::<Vec<_>>(), vec![2, 3]);

    assert_eq!(access.get_entry::<_, u8>("ns.inner").get(), Some(42));

    let cleared = access.get_list::<_, u8>("cleared");
    assert_eq!(cleared.len(), 1);
    assert_eq!(cleared.iter().collect::<Vec<_>>(), vec![7]);

    for (name, index_type) in [
        ("entry", IndexType::Entry),
        ("list", IndexType::List),
        ("sparse", IndexType::SparseList),
        ("map", IndexType::Map),
        ("set", IndexType::KeySet),
        ("ns.inner", IndexType::Entry),
        ("cleared", IndexType::List),
    ] {
        assert_eq!(access.index_type(name), Some(index_type), "{name}");
    }
    assert_eq!(access.index_type(("group", "a")), Some(IndexType::List));
    assert_eq!(access.index_type("group"), None);
}

#[test]
fn everything_written_is_found_after_reopening_the_directory() {
    let dir = tempfile::tempdir().unwrap();
    let ids_before;
    {
        let db = open(dir.path());
        write_everything(&db);
        let snapshot = db.snapshot();
        check_everything(&snapshot);
        ids_before = ["entry", "list", "sparse", "map", "set", "cleared"].map(|name| {
            snapshot
                .as_ref()
                .get_index_metadata(name.into())
                .unwrap()
                .unwrap()
                .identifier()
        });
    }

    let db = open(dir.path());
    let snapshot = db.snapshot();
    check_everything(&snapshot);
    let ids_after = ["entry", "list", "sparse", "map", "set", "cleared"].map(|name| {
        snapshot
            .as_ref()
            .get_index_metadata(name.into())
            .unwrap()
            .unwrap()
            .identifier()
    });
    assert_eq!(ids_before, ids_after);
    // 9 indexes: six named ones, two group members and the prefixed entry.
    assert_eq!(pool_counter(snapshot.as_ref()), 9);

    // A new index after reopening gets the next identifier.
    let fork = db.fork();
    fork.get_entry("new").set(1_u8);
    let id = fork
        .get_index_metadata("new".into())
        .unwrap()
        .unwrap()
        .identifier();
    assert_eq!(id.get(), 10);
    check_everything(fork.readonly());
    db.merge(fork.into_patch()).unwrap();
    drop(snapshot);
    drop(db);

    let db = open(dir.path());
    assert_eq!(db.snapshot().get_entry::<_, u8>("new").get(), Some(1));
    assert_eq!(pool_counter(db.snapshot().as_ref()), 10);
}

#[test]
fn reopening_with_create_if_missing_off_works_for_an_existing_database() {
    let dir = tempfile::tempdir().unwrap();
    {
        let db = open(dir.path());
        let fork = db.fork();
        fork.get_entry("entry").set(1_u8);
        db.merge(fork.into_patch()).unwrap();
    }
    let mut options = DBOptions::default();
    options.create_if_missing = false;
    let db = RocksDB::open(dir.path(), &options).unwrap();
    assert_eq!(db.snapshot().get_entry::<_, u8>("entry").get(), Some(1));
}

#[test]
fn opening_a_missing_database_with_create_if_missing_off_fails() {
    let dir = tempfile::tempdir().unwrap();
    let mut options = DBOptions::default();
    options.create_if_missing = false;
    assert!(RocksDB::open(dir.path().join("missing"), &options).is_err());
}

#[test]
fn unmerged_forks_leave_nothing_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    {
        let db = open(dir.path());
        let fork = db.fork();
        fork.get_entry("entry").set(1_u8);
        drop(fork);
    }
    let db = open(dir.path());
    let snapshot = db.snapshot();
    assert_eq!(snapshot.index_type("entry"), None);
    assert_eq!(pool_counter(snapshot.as_ref()), 0);
}

#[test]
fn checkpoint_is_a_complete_and_independent_database() {
    let root = tempfile::tempdir().unwrap();
    let source_path = root.path().join("source");
    let checkpoint_path = root.path().join("checkpoint");
    {
        let source = open(&source_path);
        write_everything(&source);
        source.create_checkpoint(&checkpoint_path).unwrap();

        // Written to the source after the checkpoint: invisible in it.
        let fork = source.fork();
        fork.get_entry("entry").set("after".to_owned());
        fork.get_list("list").push(5_u32);
        fork.get_entry("source_only").set(1_u8);
        source.merge(fork.into_patch()).unwrap();

        let checkpoint = open(&checkpoint_path);
        check_everything(&checkpoint.snapshot());
        assert_eq!(checkpoint.snapshot().index_type("source_only"), None);

        // Written to the checkpoint: invisible in the source.
        let fork = checkpoint.fork();
        fork.get_entry("checkpoint_only").set(2_u8);
        fork.get_list("list").push(6_u32);
        checkpoint.merge(fork.into_patch()).unwrap();

        let snapshot = source.snapshot();
        assert_eq!(snapshot.index_type("checkpoint_only"), None);
        assert_eq!(
            snapshot
                .get_list::<_, u32>("list")
                .iter()
                .collect::<Vec<_>>(),
            vec![1, 2, 3, 4, 5]
        );
        assert_eq!(
            snapshot.get_entry::<_, String>("entry").get(),
            Some("after".to_owned())
        );
    }

    // The checkpoint survives the deletion of its source.
    std::fs::remove_dir_all(&source_path).unwrap();
    let checkpoint = open(&checkpoint_path);
    let snapshot = checkpoint.snapshot();
    assert_eq!(
        snapshot
            .get_list::<_, u32>("list")
            .iter()
            .collect::<Vec<_>>(),
        vec![1, 2, 3, 4, 6]
    );
    assert_eq!(
        snapshot.get_entry::<_, u8>("checkpoint_only").get(),
        Some(2)
    );
    assert_eq!(
        snapshot.get_entry::<_, String>("entry").get(),
        Some("hello".to_owned())
    );
}

#[test]
fn checkpoint_into_an_existing_path_fails() {
    let root = tempfile::tempdir().unwrap();
    let db = open(&root.path().join("db"));
    let existing = root.path().join("existing");
    std::fs::create_dir(&existing).unwrap();
    let result = db.create_checkpoint(&existing);
    assert!(result.is_err(), "checkpoint into an existing directory");
    // Also into the database's own directory.
    assert!(db.create_checkpoint(root.path().join("db")).is_err());
    // The database keeps working.
    let fork = db.fork();
    fork.get_entry("entry").set(1_u8);
    db.merge(fork.into_patch()).unwrap();
}

#[test]
fn clones_of_a_rocksdb_share_one_database() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(dir.path());
    let clone = db.clone();
    let fork = clone.fork();
    fork.get_entry("entry").set(1_u8);
    clone.merge(fork.into_patch()).unwrap();
    assert_eq!(db.snapshot().get_entry::<_, u8>("entry").get(), Some(1));
    assert_eq!(format!("{db:?}"), "RocksDB");
}

#[test]
fn snapshot_keeps_its_state_after_later_merges_and_a_clone_drop() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(dir.path());
    let fork = db.fork();
    fork.get_entry("entry").set(1_u8);
    db.merge(fork.into_patch()).unwrap();
    let snapshot = db.snapshot();
    let fork = db.fork();
    fork.get_entry("entry").set(2_u8);
    db.merge(fork.into_patch()).unwrap();
    assert_eq!(snapshot.get_entry::<_, u8>("entry").get(), Some(1));
    assert_eq!(db.snapshot().get_entry::<_, u8>("entry").get(), Some(2));
}
