//! Databases, forks, patches and backups (spec §9 and the `db.rs`, `generic.rs`,
//! `views/metadata.rs` and `views/tests.rs` tests of §18).

mod common;

use std::rc::Rc;

use metaldb::{
    access::{Access, AccessExt, CopyAccessExt, Prefixed},
    generic::{ErasedAccess, GenericRawAccess, IntoErased},
    migration::{Migration, Scratchpad},
    AsReadonly, Database, DatabaseExt, Entry, Fork, IndexType, OwnedReadonlyFork, ResolvedAddress,
    Snapshot, TemporaryDB,
};

use common::{backends, pool_counter, raw_entries, system_address, DB_METADATA};

/// The resolved address of an existing index, read through `access`.
fn resolved<T: Access>(access: T, name: &str) -> ResolvedAddress {
    let metadata = access
        .get_index_metadata(name.into())
        .unwrap()
        .expect("index exists");
    ResolvedAddress {
        name: name.to_owned(),
        id: Some(metadata.identifier()),
    }
}

fn be(position: u64) -> [u8; 8] {
    position.to_be_bytes()
}

/// Runs a test body on a `TemporaryDB` and on a RocksDB (with its directory kept alive).
macro_rules! on_both_backends {
    ($body:ident) => {{
        $body(TemporaryDB::new());
        let (db, _dir) = common::rocksdb();
        $body(db);
    }};
}

// ---- Backups (`DatabaseExt::merge_with_backup`) ------------------------------------------

fn check_backup_data<D: Database>(db: D) {
    let fork = db.fork();
    fork.get_list("list").extend(vec![1_u32, 2]);
    fork.get_map::<_, u8, u8>("map").put(&1, 1);
    db.merge(fork.into_patch()).unwrap();
    let list_addr = resolved(db.snapshot().as_ref(), "list");
    let map_addr = resolved(db.snapshot().as_ref(), "map");

    let fork = db.fork();
    {
        let mut list = fork.get_list::<_, u32>("list");
        list.push(3);
        list.set(0, 10);
        let mut map = fork.get_map::<_, u8, u8>("map");
        map.put(&1, 2);
        map.put(&2, 2);
        map.remove(&3);
    }
    let backup = db.merge_with_backup(fork.into_patch()).unwrap();

    // Changed keys are put back to their old values, new keys deleted, untouched keys fall
    // through to the (post-merge) database.
    assert_eq!(
        backup.get(&list_addr, &be(0)),
        Some(1_u32.to_le_bytes().to_vec())
    );
    assert_eq!(
        backup.get(&list_addr, &be(1)),
        Some(2_u32.to_le_bytes().to_vec())
    );
    assert_eq!(backup.get(&list_addr, &be(2)), None);
    assert!(!backup.contains(&list_addr, &be(2)));
    assert_eq!(backup.get(&map_addr, &[1]), Some(vec![1]));
    assert_eq!(backup.get(&map_addr, &[2]), None);
    assert_eq!(backup.get(&map_addr, &[3]), None);
    assert_eq!(raw_entries(&backup, &map_addr), vec![(vec![1], vec![1])]);

    // As a snapshot, the backup shows the old state, list length included.
    let list = (&backup).get_list::<_, u32>("list");
    assert_eq!(list.len(), 2);
    assert_eq!(list.iter().collect::<Vec<_>>(), vec![1, 2]);
    assert_eq!(
        (&backup)
            .get_map::<_, u8, u8>("map")
            .iter()
            .collect::<Vec<_>>(),
        vec![(1, 1)]
    );

    // The database holds the new state.
    let snapshot = db.snapshot();
    assert_eq!(
        snapshot
            .get_list::<_, u32>("list")
            .iter()
            .collect::<Vec<_>>(),
        vec![10, 2, 3]
    );
    assert_eq!(
        snapshot
            .get_map::<_, u8, u8>("map")
            .iter()
            .collect::<Vec<_>>(),
        vec![(1, 2), (2, 2)]
    );

    db.merge(backup).unwrap();
    let snapshot = db.snapshot();
    let list = snapshot.get_list::<_, u32>("list");
    assert_eq!(list.len(), 2);
    assert_eq!(list.iter().collect::<Vec<_>>(), vec![1, 2]);
    assert_eq!(
        snapshot
            .get_map::<_, u8, u8>("map")
            .iter()
            .collect::<Vec<_>>(),
        vec![(1, 1)]
    );
}

#[test]
fn backup_data_is_correct() {
    on_both_backends!(check_backup_data);
}

fn map_state(snapshot: &dyn Snapshot) -> Vec<(u8, u64)> {
    snapshot.get_map::<_, u8, u64>("map").iter().collect()
}

fn check_rollback_via_backups<D: Database>(db: D) {
    let mut states = vec![map_state(db.snapshot().as_ref())];
    let mut backups = Vec::new();
    for round in 1..=3_u64 {
        let fork = db.fork();
        {
            let mut map = fork.get_map::<_, u8, u64>("map");
            map.put(&(round as u8), round);
            map.put(&0, round * 10);
            if round == 3 {
                map.remove(&1);
            }
            fork.get_list("list").push(round);
        }
        backups.push(db.merge_with_backup(fork.into_patch()).unwrap());
        states.push(map_state(db.snapshot().as_ref()));
    }
    assert_eq!(states[3], vec![(0, 30), (2, 2), (3, 3)]);

    // Backup `i` reads as the state before merge `i`.
    for (index, backup) in backups.iter().enumerate() {
        assert_eq!(map_state(backup), states[index], "backup {index}");
        let map = backup.get_map::<_, u8, u64>("map");
        let expected: Vec<Option<u64>> = (0..4_u8)
            .map(|key| {
                states[index]
                    .iter()
                    .find(|(k, _)| *k == key)
                    .map(|(_, value)| *value)
            })
            .collect();
        assert_eq!(
            map.multi_get(0..4_u8),
            expected,
            "multi_get of backup {index}"
        );
        assert_eq!(backup.get_list::<_, u64>("list").len(), index as u64);
    }

    // Applied in reverse order, the backups restore each state in turn.
    while let Some(backup) = backups.pop() {
        db.merge(backup).unwrap();
        assert_eq!(map_state(db.snapshot().as_ref()), states[backups.len()]);
    }
    let snapshot = db.snapshot();
    assert_eq!(snapshot.index_type("map"), None);
    assert_eq!(snapshot.index_type("list"), None);
    assert_eq!(pool_counter(snapshot.as_ref()), 0);
}

#[test]
fn rollback_via_backup_patches() {
    on_both_backends!(check_rollback_via_backups);
}

fn check_backup_after_clearing<D: Database>(db: D) {
    let fork = db.fork();
    {
        let mut map = fork.get_map::<_, u8, u8>("map");
        for key in 1..=5 {
            map.put(&key, key);
        }
        fork.get_list("list").extend(vec![1_u8, 2, 3]);
    }
    db.merge(fork.into_patch()).unwrap();

    let fork = db.fork();
    {
        let mut map = fork.get_map::<_, u8, u8>("map");
        map.clear();
        map.put(&7, 7);
        map.put(&2, 20);
        let mut list = fork.get_list::<_, u8>("list");
        list.clear();
        list.push(9);
    }
    let backup = db.merge_with_backup(fork.into_patch()).unwrap();
    let snapshot = db.snapshot();
    assert_eq!(
        snapshot
            .get_map::<_, u8, u8>("map")
            .iter()
            .collect::<Vec<_>>(),
        vec![(2, 20), (7, 7)]
    );
    let old_map: Vec<(u8, u8)> = (1..=5).map(|key| (key, key)).collect();
    assert_eq!(
        (&backup)
            .get_map::<_, u8, u8>("map")
            .iter()
            .collect::<Vec<_>>(),
        old_map
    );

    db.merge(backup).unwrap();
    let snapshot = db.snapshot();
    assert_eq!(
        snapshot
            .get_map::<_, u8, u8>("map")
            .iter()
            .collect::<Vec<_>>(),
        old_map
    );
    let list = snapshot.get_list::<_, u8>("list");
    assert_eq!(list.len(), 3);
    assert_eq!(list.iter().collect::<Vec<_>>(), vec![1, 2, 3]);
}

#[test]
fn backup_after_clearing_view() {
    on_both_backends!(check_backup_after_clearing);
}

fn check_backup_reverting_index_creation<D: Database>(db: D) {
    let fork = db.fork();
    fork.get_entry("old").set(1_u8);
    db.merge(fork.into_patch()).unwrap();
    let counter = pool_counter(db.snapshot().as_ref());

    let fork = db.fork();
    fork.get_list("new").extend(vec![1_u32, 2]);
    fork.get_entry(("new_group", &1_u8)).set(1_u8);
    let backup = db.merge_with_backup(fork.into_patch()).unwrap();
    assert_eq!(db.snapshot().index_type("new"), Some(IndexType::List));

    assert_eq!((&backup).index_type("new"), None);
    assert_eq!((&backup).index_type(("new_group", &1_u8)), None);
    assert!((&backup).get_list::<_, u32>("new").is_empty());
    assert_eq!((&backup).get_list::<_, u32>("new").iter().count(), 0);
    assert_eq!(pool_counter(&backup), counter);
    assert_eq!((&backup).index_type("old"), Some(IndexType::Entry));

    db.merge(backup).unwrap();
    let snapshot = db.snapshot();
    assert_eq!(snapshot.index_type("new"), None);
    assert_eq!(pool_counter(snapshot.as_ref()), counter);
    assert_eq!(snapshot.get_entry::<_, u8>("old").get(), Some(1));
}

#[test]
fn backup_reverting_index_creation() {
    on_both_backends!(check_backup_reverting_index_creation);
}

// ---- Borrows within a fork --------------------------------------------------------------

#[test]
fn borrows_from_owned_forks() {
    let db = TemporaryDB::new();
    let fork = Rc::new(db.fork());
    {
        let mut entry: Entry<Rc<Fork>, _> = fork.get_entry("entry");
        entry.set(1_u8);
        let mut other: Entry<Rc<Fork>, u8> = fork.get_entry(("entry", &1_u8));
        other.set(2);
    }
    let readonly: OwnedReadonlyFork = fork.as_readonly();
    let first = readonly.get_entry::<_, u8>("entry");
    let second = readonly.get_entry::<_, u8>("entry");
    assert_eq!(first.get(), Some(1));
    assert_eq!(second.get(), Some(1));

    // The read-only fork and its indexes keep the fork shared.
    let fork = Rc::try_unwrap(fork).expect_err("read-only indexes hold the fork");
    drop((first, second, readonly));
    let fork = Rc::try_unwrap(fork).expect("every index is dropped");
    db.merge(fork.into_patch()).unwrap();
    let snapshot = db.snapshot();
    assert_eq!(snapshot.get_entry::<_, u8>("entry").get(), Some(1));
    assert_eq!(snapshot.get_entry::<_, u8>(("entry", &1_u8)).get(), Some(2));
}

#[test]
fn views_based_on_rc_fork_are_static() {
    fn keep_static<T: 'static>(value: T) -> T {
        value
    }

    let db = TemporaryDB::new();
    let fork = Rc::new(db.fork());
    let mut list = keep_static(fork.get_list::<_, u8>("list"));
    list.push(1);
    drop(list);
    let readonly = keep_static(fork.as_readonly().get_list::<_, u8>("list"));
    assert_eq!(readonly.len(), 1);
}

#[test]
fn concurrent_borrow_from_fork_and_readonly_fork() {
    let db = TemporaryDB::new();
    let fork = db.fork();
    // The entry does not exist: the read-only index is phantom and borrows nothing.
    let phantom = fork.readonly().get_entry::<_, u8>(("entry", &1_u8));
    let mut entry = fork.get_entry::<_, u8>(("entry", &1_u8));
    entry.set(1);
    let mut plain = fork.get_entry::<_, u8>("entry");
    plain.set(2);
    assert_eq!(entry.get(), Some(1));
    drop((entry, plain, phantom));
}

#[test]
fn stale_read_from_phantom_index() {
    let db = TemporaryDB::new();
    let fork = db.fork();
    let phantom = fork.readonly().get_entry::<_, u8>("entry");
    fork.get_entry("entry").set(1_u8);
    assert_eq!(phantom.get(), None);
    assert!(!phantom.exists());
    drop(phantom);
    assert_eq!(fork.readonly().get_entry::<_, u8>("entry").get(), Some(1));
}

#[test]
#[should_panic(expected = "immutably while it's borrowed mutably")]
fn borrow_from_readonly_fork_after_index_is_created() {
    let db = TemporaryDB::new();
    let fork = db.fork();
    let mut entry = fork.get_entry::<_, u8>("entry");
    entry.set(1);
    let _readonly = fork.readonly().get_entry::<_, u8>("entry");
}

#[test]
#[should_panic(expected = "Multiple mutable borrows of an index at")]
fn two_mutable_borrows() {
    let db = TemporaryDB::new();
    let fork = db.fork();
    let _first = fork.get_list::<_, u8>("list");
    let _second = fork.get_list::<_, u8>("list");
}

#[test]
#[should_panic(expected = "mutably while it's borrowed immutably")]
fn mutable_and_immutable_borrows() {
    let db = TemporaryDB::new();
    let fork = db.fork();
    fork.get_list::<_, u8>("list");
    let _readonly = fork.readonly().get_list::<_, u8>("list");
    let _mutable = fork.get_list::<_, u8>("list");
}

#[test]
#[should_panic(expected = "Multiple mutable borrows of an index at")]
fn two_mutable_prefixed_borrows() {
    let db = TemporaryDB::new();
    let fork = db.fork();
    let prefixed = Prefixed::new("p", &fork);
    let _first = prefixed.get_map::<_, u8, u8>("map");
    let _second = prefixed.get_map::<_, u8, u8>("map");
}

#[test]
fn multiple_immutable_borrows_and_different_views_coexist() {
    let db = TemporaryDB::new();
    let fork = db.fork();
    fork.get_list("list").push(1_u8);
    let first = fork.readonly().get_list::<_, u8>("list");
    let second = fork.readonly().get_list::<_, u8>("list");
    let mut other = fork.get_list::<_, u8>("other");
    other.push(2);
    let mut member = fork.get_list::<_, u8>(("list", &1_u8));
    member.push(3);
    assert_eq!(first.get(0), second.get(0));
    drop((first, second, other, member));
}

#[test]
fn readonly_indexes_are_timely_dropped() {
    let db = TemporaryDB::new();
    let mut fork = db.fork();
    fork.get_list("list").push(1_u8);
    {
        let readonly = fork.readonly().get_list::<_, u8>("list");
        assert_eq!(readonly.len(), 1);
    }
    // Compiles only because the read-only index is out of scope.
    fork.flush();
    let erased: ErasedAccess<'_> = (&fork).into_erased();
    assert!(erased.is_mutable());
    // An unused erased access may stay in scope across a flush.
    fork.flush();
}

#[test]
fn immutable_view_from_fork_sees_unflushed_changes_and_the_database() {
    let db = TemporaryDB::new();
    let fork = db.fork();
    fork.get_map::<_, u8, u8>("map").put(&1, 1);
    db.merge(fork.into_patch()).unwrap();

    let mut fork = db.fork();
    fork.get_map::<_, u8, u8>("map").put(&2, 2);
    fork.flush();
    fork.get_map::<_, u8, u8>("map").put(&3, 3);
    let readonly = fork.readonly().get_map::<_, u8, u8>("map");
    assert_eq!(
        readonly.iter().collect::<Vec<_>>(),
        vec![(1, 1), (2, 2), (3, 3)]
    );
}

// ---- Fork layers, flush and rollback ---------------------------------------------------

fn check_fork_iter<D: Database>(db: D) {
    let fork = db.fork();
    {
        let mut map = fork.get_map::<_, u8, u8>("map");
        for key in [10, 20, 30] {
            map.put(&key, key);
        }
    }
    db.merge(fork.into_patch()).unwrap();

    let mut fork = db.fork();
    {
        let mut map = fork.get_map::<_, u8, u8>("map");
        map.put(&5, 5); // inserted before the stored keys
        map.put(&20, 21); // replaced
        map.remove(&30); // deleted
        map.remove(&25); // missing, deleted
        map.put(&40, 40); // inserted after
        assert_eq!(
            map.iter().collect::<Vec<_>>(),
            vec![(5, 5), (10, 10), (20, 21), (40, 40)]
        );
        assert_eq!(
            map.iter_from(&11).collect::<Vec<_>>(),
            vec![(20, 21), (40, 40)]
        );
    }
    fork.flush();
    {
        // A second layer over the flushed one.
        let mut map = fork.get_map::<_, u8, u8>("map");
        map.remove(&5);
        map.put(&30, 31);
        map.put(&10, 11);
        assert_eq!(
            map.iter().collect::<Vec<_>>(),
            vec![(10, 11), (20, 21), (30, 31), (40, 40)]
        );
    }
    let patch = fork.into_patch();
    assert_eq!(
        (&patch)
            .get_map::<_, u8, u8>("map")
            .iter()
            .collect::<Vec<_>>(),
        vec![(10, 11), (20, 21), (30, 31), (40, 40)]
    );
    db.merge(patch).unwrap();
    assert_eq!(
        db.snapshot()
            .get_map::<_, u8, u8>("map")
            .iter()
            .collect::<Vec<_>>(),
        vec![(10, 11), (20, 21), (30, 31), (40, 40)]
    );
}

#[test]
fn fork_iter_merges_every_kind_of_change() {
    on_both_backends!(check_fork_iter);
}

#[test]
fn rollback_discards_changes_after_last_flush() {
    for db in backends() {
        let db = db.db();
        let mut fork = db.fork();
        fork.get_list("list").push(1_u8);
        fork.get_entry("flushed").set(1_u8);
        fork.flush();
        fork.get_list("list").push(2_u8);
        fork.get_entry("unflushed").set(2_u8);
        fork.get_list::<_, u8>("list").clear();
        fork.rollback();

        let list = fork.get_list::<_, u8>("list");
        assert_eq!(list.iter().collect::<Vec<_>>(), vec![1]);
        assert_eq!(list.len(), 1);
        drop(list);
        // Index creation is rolled back too.
        assert_eq!(fork.index_type("unflushed"), None);
        assert_eq!(fork.index_type("flushed"), Some(IndexType::Entry));
        fork.rollback();
        db.merge(fork.into_patch()).unwrap();

        let snapshot = db.snapshot();
        assert_eq!(snapshot.get_list::<_, u8>("list").len(), 1);
        assert_eq!(snapshot.index_type("unflushed"), None);
        assert_eq!(pool_counter(snapshot.as_ref()), 2);
    }
}

#[test]
fn clear_of_one_view_leaves_sibling_views_alone() {
    for db in backends() {
        let db = db.db();
        let fork = db.fork();
        fork.get_map::<_, u8, u8>("map").put(&1, 1);
        fork.get_map::<_, u8, u8>(("map", &1_u8)).put(&1, 2);
        fork.get_map::<_, u8, u8>(("map", &2_u8)).put(&1, 3);
        fork.get_map::<_, u8, u8>("map_").put(&1, 4);
        db.merge(fork.into_patch()).unwrap();

        let mut fork = db.fork();
        fork.get_map::<_, u8, u8>(("map", &1_u8)).clear();
        fork.flush();
        fork.get_map::<_, u8, u8>("map").clear();
        fork.rollback();
        db.merge(fork.into_patch()).unwrap();
        let snapshot = db.snapshot();
        assert_eq!(snapshot.get_map::<_, u8, u8>("map").get(&1), Some(1));
        assert_eq!(snapshot.get_map::<_, u8, u8>(("map", &1_u8)).get(&1), None);
        assert_eq!(
            snapshot.get_map::<_, u8, u8>(("map", &2_u8)).get(&1),
            Some(3)
        );
        assert_eq!(snapshot.get_map::<_, u8, u8>("map_").get(&1), Some(4));
    }
}

#[test]
fn fork_from_patch_keeps_the_patch_changes() {
    let db = TemporaryDB::new();
    let fork = db.fork();
    fork.get_entry("entry").set(1_u8);
    let patch = fork.into_patch();
    let mut fork = Fork::from(patch);
    assert_eq!(fork.get_entry::<_, u8>("entry").get(), Some(1));
    fork.get_entry("other").set(2_u8);
    fork.rollback();
    assert_eq!(fork.index_type("other"), None);
    db.merge(fork.into_patch()).unwrap();
    assert_eq!(db.snapshot().get_entry::<_, u8>("entry").get(), Some(1));
}

#[test]
fn snapshots_are_isolated_from_later_merges() {
    for db in backends() {
        let db = db.db();
        let before = db.snapshot();
        let fork = db.fork();
        fork.get_entry("entry").set(1_u8);
        db.merge(fork.into_patch()).unwrap();
        assert_eq!(before.index_type("entry"), None);
        assert_eq!(before.get_entry::<_, u8>("entry").get(), None);
        assert_eq!(db.snapshot().get_entry::<_, u8>("entry").get(), Some(1));
    }
}

// ---- Metadata -------------------------------------------------------------------------

#[test]
fn test_metadata_index_identifiers() {
    for db in backends() {
        let db = db.db();
        let fork = db.fork();
        let id = |name: &str| {
            (&fork)
                .get_index_metadata(name.into())
                .unwrap()
                .unwrap()
                .identifier()
                .get()
        };
        fork.get_list::<_, u8>("first");
        assert_eq!(id("first"), 1);
        fork.get_map::<_, u8, u8>(("second", &1_u8));
        assert_eq!(id("first"), 1);
        let second = (&fork)
            .get_index_metadata(("second", &1_u8).into())
            .unwrap()
            .unwrap();
        assert_eq!(second.identifier().get(), 2);
        assert_eq!(second.index_type(), IndexType::Map);
        // Reopening returns the same identifier.
        fork.get_list::<_, u8>("first");
        assert_eq!(id("first"), 1);
        db.merge(fork.into_patch()).unwrap();

        let fork = db.fork();
        fork.get_entry::<_, u8>("third");
        let third = (&fork).get_index_metadata("third".into()).unwrap().unwrap();
        assert_eq!(third.identifier().get(), 3);
    }
}

#[test]
fn test_metadata_simple() {
    for db in backends() {
        let db = db.db();
        let fork = db.fork();
        fork.get_list("simple").push(1_u8);
        {
            let snapshot = db.snapshot();
            assert!(snapshot
                .as_ref()
                .get_or_create_view("simple".into(), IndexType::List)
                .unwrap()
                .is_phantom());
        }
        assert!(!fork
            .readonly()
            .get_or_create_view("simple".into(), IndexType::List)
            .unwrap()
            .is_phantom());
        db.merge(fork.into_patch()).unwrap();
        let snapshot = db.snapshot();
        let view = snapshot
            .as_ref()
            .get_or_create_view("simple".into(), IndexType::List)
            .unwrap();
        assert!(!view.is_phantom());
        assert_eq!(view.index_type(), IndexType::List);
    }
}

#[test]
fn test_metadata_index_wrong_type_through_get_or_create_view() {
    let db = TemporaryDB::new();
    let fork = db.fork();
    fork.get_entry("entry").set(1_u8);
    let err = (&fork)
        .get_or_create_view("entry".into(), IndexType::KeySet)
        .unwrap_err();
    assert!(matches!(
        err.kind,
        metaldb::access::AccessErrorKind::WrongIndexType {
            expected: IndexType::KeySet,
            actual: IndexType::Entry
        }
    ));
}

#[test]
fn index_metadata_bytes_round_trip() {
    use metaldb::BinaryValue;

    let db = TemporaryDB::new();
    let fork = db.fork();
    fork.get_list("list").extend(vec![1_u8, 2, 3]);
    let metadata = (&fork).get_index_metadata("list".into()).unwrap().unwrap();
    let bytes = metadata.to_bytes();
    assert_eq!(
        bytes,
        [1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0]
    );
    // The metadata type is unnameable: decode into the type of a value we have.
    fn decode_like<T: BinaryValue>(_: &T, bytes: Vec<u8>) -> T {
        T::from_bytes(bytes.into()).unwrap()
    }
    let decoded = decode_like(&metadata, bytes);
    assert_eq!(metadata, decoded);
}

#[test]
fn test_database_check_correct_version() {
    for db in backends() {
        let snapshot = db.db().snapshot();
        assert_eq!(
            snapshot.get(&system_address(DB_METADATA), b"version"),
            Some(vec![0])
        );
    }
}

#[test]
fn clearing_temporary_database() {
    let db = TemporaryDB::new();
    let fork = db.fork();
    fork.get_list("list").extend(vec![1_u8, 2, 3]);
    fork.get_entry("entry").set(1_u8);
    db.merge(fork.into_patch()).unwrap();
    let before = db.snapshot();

    db.clear().unwrap();
    let snapshot = db.snapshot();
    assert_eq!(snapshot.index_type("list"), None);
    assert_eq!(snapshot.index_type("entry"), None);
    assert_eq!(pool_counter(snapshot.as_ref()), 0);
    assert_eq!(snapshot.get(&system_address(DB_METADATA), b"version"), None);
    // Snapshots taken before keep their view.
    assert_eq!(before.get_list::<_, u8>("list").len(), 3);

    let fork = db.fork();
    fork.get_list("list").push(5_u8);
    db.merge(fork.into_patch()).unwrap();
    let snapshot = db.snapshot();
    let list = snapshot.get_list::<_, u8>("list");
    assert_eq!(list.len(), 1);
    assert_eq!(list.iter().collect::<Vec<_>>(), vec![5]);
    assert_eq!(pool_counter(snapshot.as_ref()), 1);
}

#[test]
fn debug_forms_of_trait_objects() {
    let db: Box<dyn Database> = Box::new(TemporaryDB::new());
    assert_eq!(format!("{db:?}"), "Database");
    let snapshot = db.snapshot();
    assert_eq!(format!("{snapshot:?}"), "Snapshot");
}

// ---- Generic accesses ------------------------------------------------------------------

#[test]
fn generic_raw_access() {
    let db = TemporaryDB::new();
    let fork = db.fork();
    {
        let access = GenericRawAccess::from(&fork);
        assert!(access.is_mutable());
        access.get_list("list").extend(vec![1_u32, 2, 3]);
        access.get_entry("entry").set("!".to_owned());
    }
    {
        let access = GenericRawAccess::from(fork.readonly());
        assert!(!access.is_mutable());
        assert_eq!(access.get_list::<_, u32>("list").len(), 3);
    }
    db.merge(fork.into_patch()).unwrap();

    let snapshot = db.snapshot();
    let access = GenericRawAccess::from(snapshot.as_ref());
    assert!(!access.is_mutable());
    assert_eq!(
        access.get_list::<_, u32>("list").iter().collect::<Vec<_>>(),
        vec![1, 2, 3]
    );
    assert_eq!(
        access.get_entry::<_, String>("entry").get(),
        Some("!".to_owned())
    );
    // Missing indexes read as empty instead of panicking.
    assert!(access.get_list::<_, u32>("missing").is_empty());
    assert_eq!(access.index_type("missing"), None);
}

#[test]
fn generic_raw_owned_access() {
    let db = TemporaryDB::new();
    let access = GenericRawAccess::from(db.fork());
    assert!(access.is_mutable());
    access.get_list("list").extend(vec![1_u32, 2]);
    {
        let readonly = access.as_readonly();
        assert!(!readonly.is_mutable());
        assert_eq!(readonly.get_list::<_, u32>("list").len(), 2);
    }
    let fork = match access {
        GenericRawAccess::OwnedFork(fork) => Rc::try_unwrap(fork).expect("no index is alive"),
        _ => unreachable!("a fork gives an owned fork"),
    };
    db.merge(fork.into_patch()).unwrap();

    let access = GenericRawAccess::from(db.snapshot());
    assert!(matches!(access, GenericRawAccess::OwnedSnapshot(_)));
    assert_eq!(
        access.get_list::<_, u32>("list").iter().collect::<Vec<_>>(),
        vec![1, 2]
    );
    assert!(access
        .get_map::<_, u8, u8>("missing")
        .iter()
        .next()
        .is_none());
}

#[test]
#[should_panic(expected = "Attempt to modify a readonly view of the database")]
fn generic_raw_access_panic_on_non_existing_index() {
    let db = TemporaryDB::new();
    let snapshot = db.snapshot();
    let access = GenericRawAccess::from(snapshot.as_ref());
    access.get_list("list").push(1_u8);
}

#[test]
#[should_panic(expected = "Attempt to modify a readonly view of the database")]
fn generic_raw_access_panic_on_existing_index() {
    let db = TemporaryDB::new();
    let fork = db.fork();
    fork.get_list("list").push(1_u8);
    db.merge(fork.into_patch()).unwrap();
    let snapshot = db.snapshot();
    let access = GenericRawAccess::from(snapshot.as_ref());
    access.get_list("list").push(2_u8);
}

#[test]
#[should_panic(expected = "Attempt to modify a readonly view of the database")]
fn generic_raw_access_as_readonly() {
    let db = TemporaryDB::new();
    let fork = db.fork();
    fork.get_list("list").push(1_u8);
    let access = GenericRawAccess::from(&fork).as_readonly();
    assert!(matches!(access, GenericRawAccess::ReadonlyFork(_)));
    access.get_list("list").push(2_u8);
}

#[test]
#[should_panic(expected = "Attempt to modify a readonly view of the database")]
fn generic_raw_access_as_static_readonly() {
    let db = TemporaryDB::new();
    let access = GenericRawAccess::from(db.fork());
    access.get_map::<_, u8, u8>("map").put(&1, 1);
    let readonly = access.as_readonly();
    assert!(matches!(readonly, GenericRawAccess::OwnedReadonlyFork(_)));
    readonly.get_map::<_, u8, u8>("map").put(&2, 2);
}

#[test]
#[should_panic(expected = "Attempt to modify a readonly view of the database")]
fn clearing_through_a_readonly_erased_access_panics() {
    let db = TemporaryDB::new();
    let fork = db.fork();
    fork.get_key_set::<_, u8>("set").insert(&1);
    let erased = fork.readonly().into_erased();
    erased.get_key_set::<_, u8>("set").clear();
}

fn write_through_erased(access: &ErasedAccess<'_>, value: u8) {
    assert!(access.is_mutable());
    access.get_list("list").push(value);
    access.get_entry("entry").set(value);
}

fn read_through_erased(access: &ErasedAccess<'_>) -> (Vec<u8>, Option<u8>) {
    (
        access.get_list::<_, u8>("list").iter().collect(),
        access.get_entry::<_, u8>("entry").get(),
    )
}

#[test]
fn generic_access_workflow() {
    let db = TemporaryDB::new();
    let fork = db.fork();
    write_through_erased(&(&fork).into_erased(), 1);
    write_through_erased(&Prefixed::new("prefixed", &fork).into_erased(), 2);
    write_through_erased(&Migration::new("migration", &fork).into_erased(), 3);
    write_through_erased(&Scratchpad::new("scratchpad", &fork).into_erased(), 4);

    let readonly = Prefixed::new("prefixed", fork.readonly()).into_erased();
    assert!(!readonly.is_mutable());
    assert_eq!(read_through_erased(&readonly), (vec![2], Some(2)));
    assert_eq!(
        fork.readonly().index_type("prefixed.list"),
        Some(IndexType::List)
    );
    assert_eq!(
        read_through_erased(&Migration::new("migration", fork.readonly()).into_erased()),
        (vec![3], Some(3))
    );
    drop(readonly);
    // A migrated index is not visible at its target address before the migration is flushed.
    assert_eq!(fork.index_type("migration.list"), None);

    let patch = fork.into_patch();
    let patch_snapshot: &dyn Snapshot = &patch;
    let erased = patch_snapshot.into_erased();
    assert!(!erased.is_mutable());
    assert_eq!(read_through_erased(&erased), (vec![1], Some(1)));
    assert_eq!(
        read_through_erased(&Prefixed::new("prefixed", patch_snapshot).into_erased()),
        (vec![2], Some(2))
    );
    assert_eq!(
        read_through_erased(&Migration::new("migration", patch_snapshot).into_erased()),
        (vec![3], Some(3))
    );
    assert_eq!(
        read_through_erased(&Scratchpad::new("scratchpad", patch_snapshot).into_erased()),
        (vec![4], Some(4))
    );
    // Missing indexes through a read-only erased access are empty.
    assert_eq!(
        read_through_erased(&Prefixed::new("missing", patch_snapshot).into_erased()),
        (vec![], None)
    );
}
