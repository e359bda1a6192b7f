//! Migrations (spec §13.1–13.5 and the `migration.rs` tests of §18): `Migration`, `Scratchpad`,
//! `flush_migration`, `rollback_migration`, `MigrationHelper` and `AbortHandle`.
//!
//! Everything goes through the public API. Where the seed's unit tests peek at internal views,
//! these tests read the index pool and raw storage through `Snapshot` instead.

mod common;

use std::{
    collections::{BTreeMap, HashMap},
    panic::{self, AssertUnwindSafe},
    sync::{
        atomic::{AtomicBool, Ordering},
        mpsc, Arc,
    },
    thread,
};

use assert_matches::assert_matches;
use metaldb::{
    access::{Access, AccessExt, CopyAccessExt, Prefixed, RawAccess},
    migration::{
        flush_migration, rollback_migration, Migration, MigrationError, MigrationHelper, Scratchpad,
    },
    Database, IndexType, ResolvedAddress, Snapshot, TemporaryDB,
};

use common::{backends, pool_keys, raw_entries};

/// The column family holding every scratchpad index.
const SCRATCHPAD_CF: &str = "__scratchpad__";

/// The resolved address of the index at `name` (relative to `access`), whose column family is
/// `cf`.
fn resolved_in<T: Access>(access: T, name: &str, cf: &str) -> ResolvedAddress {
    let metadata = access
        .get_index_metadata(name.into())
        .unwrap()
        .expect("index exists");
    ResolvedAddress {
        name: cf.to_owned(),
        id: Some(metadata.identifier()),
    }
}

fn merge(db: &dyn Database, fork: metaldb::Fork) {
    db.merge(fork.into_patch()).expect("merge");
}

// ---- Flushing ------------------------------------------------------------------------------

/// The state every view must show once migration `name` of `flush_replaces_*` is flushed.
fn check_flushed_in_memory_migration<T: RawAccess + Copy>(view: T) {
    // Replaced: the list keeps its type but gets new items of a new value type.
    let list = view.get_list::<_, u64>("name.list");
    assert_eq!(list.len(), 2);
    assert_eq!(list.get(0), Some(4));
    assert_eq!(list.get(1), Some(5));
    assert_eq!(list.get(2), None);
    assert_eq!(list.iter().collect::<Vec<_>>(), vec![4, 5]);

    // Replaced with a different value type.
    let map = view.get_map::<_, u64, i32>("name.map");
    assert_eq!(map.get(&1), Some(42));
    assert_eq!(map.iter().count(), 1);

    // Created by the migration.
    let set = view.get_key_set::<_, u8>("name.new");
    assert!(set.contains(&3));
    assert_eq!(set.iter().collect::<Vec<_>>(), vec![3]);

    // Cleared inside the migration, then refilled.
    let cleared = view.get_map::<_, u8, u8>("name.cleared");
    assert_eq!(cleared.iter().collect::<Vec<_>>(), vec![(9, 9)]);

    // Not touched by the migration.
    let untouched = view.get_list::<_, u64>("name.untouched");
    assert_eq!(untouched.len(), 2);
    assert_eq!(untouched.iter().collect::<Vec<_>>(), vec![77, 88]);

    // Outside the namespace.
    assert_eq!(view.get_entry("unrelated").get(), Some(1_u64));
    assert_eq!(view.get_entry("name1.unrelated").get(), Some(2_u64));

    // Tombstoned: gone, with its data.
    assert_eq!(view.index_type("name.removed"), None);
    let removed = view.get_key_set::<_, String>("name.removed");
    assert_eq!(removed.iter().count(), 0);

    // A tombstone without an old index leaves nothing behind.
    assert_eq!(view.index_type("name.never_existed"), None);
}

#[test]
fn flush_replaces_indexes_in_the_same_fork_and_after_the_merge() {
    for test_db in backends() {
        let db = test_db.db();
        let mut fork = db.fork();
        fork.get_list("name.list").extend(vec![1_u32, 2, 3]);
        fork.get_map("name.map").put(&1_u64, "!".to_owned());
        fork.get_map("name.cleared").put(&1_u8, 1_u8);
        fork.get_list("name.untouched").extend(vec![77_u64, 88]);
        fork.get_entry("unrelated").set(1_u64);
        fork.get_entry("name1.unrelated").set(2_u64);
        let mut removed = fork.get_key_set("name.removed");
        removed.insert(&"a".to_owned());
        removed.insert(&"b".to_owned());
        drop(removed);

        let migration = Migration::new("name", &fork);
        migration.get_list("list").extend(vec![4_u64, 5]);
        migration.get_map("map").put(&1_u64, 42_i32);
        migration.get_key_set("new").insert(&3_u8);
        {
            let mut cleared = migration.get_map::<_, u8, u8>("cleared");
            cleared.put(&1, 1);
            cleared.put(&2, 2);
            cleared.clear();
            cleared.put(&9, 9);
        }
        migration.create_tombstone("removed");
        migration.create_tombstone("never_existed");

        flush_migration(&mut fork, "name");
        check_flushed_in_memory_migration(fork.readonly());

        // The migrated names are free again: opening them creates new, empty indexes.
        let migration = Migration::new("name", &fork);
        assert_eq!(migration.index_type("list"), None);
        assert!(migration.get_list::<_, u64>("list").is_empty());
        assert!(!migration.get_entry::<_, u8>("removed").exists());

        merge(db.as_ref(), fork);
        let snapshot = db.snapshot();
        check_flushed_in_memory_migration(&snapshot);
    }
}

/// The state every view must show once migration `name` of
/// `flush_after_several_merges_replaces_indexes` is flushed.
fn check_flushed_merged_migration<T: RawAccess + Copy>(view: T) {
    let list = view.get_list::<_, u64>("name.list");
    assert_eq!(list.len(), 4);
    assert_eq!(list.get(2), Some(6));
    assert_eq!(list.iter_from(1).collect::<Vec<_>>(), vec![5, 6, 7]);

    let map = view.get_map::<_, u64, i32>("name.map");
    assert_eq!(map.get(&1), None);
    assert_eq!(map.get(&2), Some(21));
    assert_eq!(map.get(&3), Some(7));
    assert_eq!(map.keys().collect::<Vec<_>>(), vec![2, 3]);

    // One member of the group is tombstoned, its sibling is kept.
    let entry = view.get_entry::<_, String>(("name.family", &1_u8));
    assert!(!entry.exists());
    assert_eq!(view.index_type(("name.family", &1_u8)), None);
    let entry = view.get_entry::<_, String>(("name.family", &2_u8));
    assert_eq!(entry.get().unwrap(), "!!");

    let entry = view.get_entry::<_, String>(("name.untouched", &2_u32));
    assert_eq!(entry.get().unwrap(), "??");

    assert_eq!(view.get_entry("unrelated").get(), Some(1_u64));
    assert_eq!(view.get_entry("name1.unrelated").get(), Some(2_u64));
    assert_eq!(view.index_type(("name.family", &3_u8)), None);
}

#[test]
fn flush_after_several_merges_replaces_indexes() {
    for test_db in backends() {
        let db = test_db.db();

        let fork = db.fork();
        fork.get_list("name.list").extend(vec![1_u32, 2, 3]);
        fork.get_map("name.map").put(&1_u64, "!".to_owned());
        fork.get_entry(("name.family", &1_u8)).set("!".to_owned());
        fork.get_entry(("name.family", &2_u8)).set("!!".to_owned());
        fork.get_entry(("name.untouched", &2_u32))
            .set("??".to_owned());
        fork.get_entry("unrelated").set(1_u64);
        fork.get_entry("name1.unrelated").set(2_u64);
        merge(db.as_ref(), fork);

        let fork = db.fork();
        let migration = Migration::new("name", &fork);
        migration.get_list("list").extend(vec![4_u64, 5]);
        migration.get_map("map").put(&1_u64, 42_i32);
        // Removing an index that never existed is odd, but allowed.
        migration.create_tombstone(("family", &3_u8));
        merge(db.as_ref(), fork);

        let mut fork = db.fork();
        {
            let migration = Migration::new("name", &fork);
            let mut list = migration.get_list::<_, u64>("list");
            assert_eq!(list.len(), 2);
            list.extend(vec![6, 7]);
            assert_eq!(list.len(), 4);

            let mut map = migration.get_map::<_, u64, i32>("map");
            map.remove(&1);
            map.put(&2, 21);
            map.put(&3, 7);

            migration.create_tombstone(("family", &1_u8));
        }
        // Nothing is flushed yet: the old data is intact.
        assert_eq!(fork.get_list::<_, u32>("name.list").len(), 3);

        flush_migration(&mut fork, "name");
        check_flushed_merged_migration(fork.readonly());
        merge(db.as_ref(), fork);
        check_flushed_merged_migration(&db.snapshot());
    }
}

#[test]
fn flush_drops_the_data_of_replaced_and_tombstoned_indexes() {
    for test_db in backends() {
        let db = test_db.db();
        let fork = db.fork();
        fork.get_list("ns.replaced").extend(vec![1_u8, 2, 3]);
        fork.get_map("ns.removed").put(&1_u8, 1_u8);
        fork.get_entry("ns.kept").set(5_u8);
        merge(db.as_ref(), fork);

        let snapshot = db.snapshot();
        let replaced = resolved_in(&snapshot, "ns.replaced", "ns.replaced");
        let removed = resolved_in(&snapshot, "ns.removed", "ns.removed");
        let kept = resolved_in(&snapshot, "ns.kept", "ns.kept");
        drop(snapshot);

        let mut fork = db.fork();
        let migration = Migration::new("ns", &fork);
        migration.get_list("replaced").push(10_u8);
        migration.create_tombstone("removed");
        let migrated = resolved_in(Migration::new("ns", &fork), "replaced", "ns.replaced");
        flush_migration(&mut fork, "ns");
        merge(db.as_ref(), fork);

        let snapshot = db.snapshot();
        assert!(raw_entries(snapshot.as_ref(), &replaced).is_empty());
        assert!(raw_entries(snapshot.as_ref(), &removed).is_empty());
        assert_eq!(raw_entries(snapshot.as_ref(), &kept).len(), 1);
        // The migrated data is not copied: the old name now points at the migrated index.
        assert_eq!(
            resolved_in(&snapshot, "ns.replaced", "ns.replaced"),
            migrated
        );
        assert_eq!(
            raw_entries(snapshot.as_ref(), &migrated),
            vec![(0_u64.to_be_bytes().to_vec(), vec![10])]
        );
        // No `^ns.` pool key is left.
        assert!(pool_keys(snapshot.as_ref())
            .iter()
            .all(|key| !key.starts_with(b"^ns.")));
    }
}

// ---- Rolling back --------------------------------------------------------------------------

fn check_rollback(with_merge: bool) {
    for test_db in backends() {
        let db = test_db.db();
        let mut fork = db.fork();
        fork.get_entry("test.foo").set(1_u8);
        fork.get_list(("test.list", &1_u8))
            .extend(vec![1_i32, 2, 3]);
        if with_merge {
            merge(db.as_ref(), fork);
            fork = db.fork();
        }

        let migration = Migration::new("test", &fork);
        migration.get_entry("foo").set(2_u8);
        migration.create_tombstone(("list", &1_u8));
        migration.get_map("new").put(&1_u8, 1_u8);
        if with_merge {
            merge(db.as_ref(), fork);
            fork = db.fork();
        }

        rollback_migration(&mut fork, "test");
        // The rollback is visible in the fork at once...
        assert_eq!(fork.get_entry::<_, u8>("test.foo").get(), Some(1));
        assert_eq!(Migration::new("test", &fork).index_type("foo"), None);

        // ...and in the patch, and in the database after the merge.
        let patch = fork.into_patch();
        for_each_view(db.as_ref(), patch, |view| {
            assert_eq!(view.get_entry::<_, u8>("test.foo").get(), Some(1));
            assert_eq!(
                view.get_list::<_, i32>(("test.list", &1_u8))
                    .iter()
                    .collect::<Vec<_>>(),
                vec![1, 2, 3]
            );
            let migration = Migration::new("test", view);
            assert!(!migration.get_entry::<_, u8>("foo").exists());
            assert_eq!(migration.index_type(("list", &1_u8)), None);
            assert_eq!(migration.index_type("new"), None);
            // The migrated addresses are free, so any type may be used there now.
            assert!(!migration.get_entry::<_, ()>(("list", &1_u8)).exists());
            assert!(!migration.get_entry::<_, ()>("new").exists());
        });

        // A new migration in the same namespace starts from scratch.
        let fork = db.fork();
        let migration = Migration::new("test", &fork);
        migration.get_key_set("foo").insert(&1_u8);
        migration.get_entry(("list", &1_u8)).set(5_u8);
        assert_eq!(
            migration
                .get_key_set::<_, u8>("foo")
                .iter()
                .collect::<Vec<_>>(),
            vec![1]
        );
    }
}

/// Runs `check` on the patch (as a snapshot), then merges it and runs `check` on the database.
fn for_each_view(db: &dyn Database, patch: metaldb::Patch, check: impl Fn(&dyn Snapshot)) {
    check(&patch);
    db.merge(patch).expect("merge");
    check(db.snapshot().as_ref());
}

#[test]
fn rollback_keeps_the_old_data_and_frees_migrated_addresses() {
    check_rollback(false);
}

#[test]
fn rollback_after_merges_keeps_the_old_data_and_frees_migrated_addresses() {
    check_rollback(true);
}

// ---- Namespaces ----------------------------------------------------------------------------

#[test]
fn original_and_migrated_index_can_be_borrowed_at_once() {
    let db = TemporaryDB::new();
    let helper = MigrationHelper::new(db, "test");
    let old_entry = helper.old_data().get_entry::<_, u32>("entry");
    assert_eq!(old_entry.get(), None);
    let mut new_entry = helper.new_data().get_entry::<_, u32>("entry");
    new_entry.set(1);
    assert_eq!(old_entry.get(), None);
    assert_eq!(new_entry.get(), Some(1));
}

#[test]
fn migrated_index_can_have_another_type_than_the_original() {
    let db = TemporaryDB::new();
    let fork = db.fork();
    fork.get_list("ns.index").push(1_u8);
    let migration = Migration::new("ns", &fork);
    migration.get_map("index").put(&1_u8, 2_u8);
    assert_eq!(fork.index_type("ns.index"), Some(IndexType::List));
    assert_eq!(migration.index_type("index"), Some(IndexType::Map));
    // A `Prefixed` access sees the old index only.
    assert_eq!(
        Prefixed::new("ns", &fork).index_type("index"),
        Some(IndexType::List)
    );
}

#[test]
fn namespaces_sharing_a_prefix_never_alias() {
    for test_db in backends() {
        let db = test_db.db();
        let namespaces = ["test", "test_", "tes"];

        let fork = db.fork();
        for (i, ns) in namespaces.iter().enumerate() {
            let i = i as u8;
            fork.get_entry(format!("{ns}.x").as_str()).set(i);
            fork.get_entry(format!("{ns}.gone").as_str()).set(i);
            let migration = Migration::new(*ns, &fork);
            migration.get_entry("x").set(10 + i);
            migration.create_tombstone("gone");
            Scratchpad::new(*ns, &fork).get_entry("pad").set(20 + i);
        }
        // Indexes named like the namespaces themselves, outside them.
        fork.get_entry("test").set(100_u8);
        fork.get_entry("tes").set(101_u8);
        fork.get_entry("test_x").set(102_u8);
        merge(db.as_ref(), fork);

        // Flush `test`, roll back `tes`, leave `test_` pending.
        let mut fork = db.fork();
        flush_migration(&mut fork, "test");
        rollback_migration(&mut fork, "tes");
        merge(db.as_ref(), fork);

        let snapshot = db.snapshot();
        let view = &snapshot;
        assert_eq!(view.get_entry::<_, u8>("test.x").get(), Some(10));
        assert_eq!(view.index_type("test.gone"), None);
        assert_eq!(Migration::new("test", view).index_type("x"), None);
        assert_eq!(Scratchpad::new("test", view).index_type("pad"), None);

        assert_eq!(view.get_entry::<_, u8>("test_.x").get(), Some(1));
        assert_eq!(view.get_entry::<_, u8>("test_.gone").get(), Some(1));
        let pending = Migration::new("test_", view);
        assert_eq!(pending.get_entry::<_, u8>("x").get(), Some(11));
        assert_eq!(pending.index_type("gone"), Some(IndexType::Tombstone));
        assert_eq!(
            Scratchpad::new("test_", view)
                .get_entry::<_, u8>("pad")
                .get(),
            Some(21)
        );

        assert_eq!(view.get_entry::<_, u8>("tes.x").get(), Some(2));
        assert_eq!(view.get_entry::<_, u8>("tes.gone").get(), Some(2));
        assert_eq!(Migration::new("tes", view).index_type("x"), None);
        assert_eq!(Scratchpad::new("tes", view).index_type("pad"), None);

        assert_eq!(view.get_entry::<_, u8>("test").get(), Some(100));
        assert_eq!(view.get_entry::<_, u8>("tes").get(), Some(101));
        assert_eq!(view.get_entry::<_, u8>("test_x").get(), Some(102));
    }
}

#[test]
fn tombstone_makes_the_address_unusable_for_other_index_types() {
    let db = TemporaryDB::new();
    let fork = db.fork();
    let migration = Migration::new("ns", &fork);
    migration.create_tombstone("gone");
    // Idempotent.
    migration.create_tombstone("gone");
    assert_eq!(migration.index_type("gone"), Some(IndexType::Tombstone));
    let err = panic::catch_unwind(AssertUnwindSafe(|| {
        migration.get_list::<_, u8>("gone");
    }))
    .unwrap_err();
    let message = panic_message(&*err);
    assert!(
        message.contains("MerkleDB error") && message.contains("Tombstone"),
        "{message}"
    );
}

#[test]
#[should_panic(expected = "MerkleDB error")]
fn create_tombstone_panics_when_another_index_type_exists() {
    let db = TemporaryDB::new();
    let fork = db.fork();
    let migration = Migration::new("ns", &fork);
    migration.get_map::<_, u8, u8>("index").put(&1, 1);
    migration.create_tombstone("index");
}

#[test]
fn create_tombstone_ignores_the_old_index_type() {
    let db = TemporaryDB::new();
    let mut fork = db.fork();
    fork.get_map::<_, u8, u8>("ns.index").put(&1, 1);
    let migration = Migration::new("ns", &fork);
    migration.create_tombstone("index");
    flush_migration(&mut fork, "ns");
    assert_eq!(fork.index_type("ns.index"), None);
}

fn panic_message(err: &(dyn std::any::Any + Send)) -> String {
    if let Some(message) = err.downcast_ref::<String>() {
        message.clone()
    } else if let Some(message) = err.downcast_ref::<&str>() {
        (*message).to_owned()
    } else {
        String::new()
    }
}

// ---- Atomicity of flush and rollback -------------------------------------------------------

const ATOMIC_MAPS: u64 = 8;
const ATOMIC_ENTRIES: u64 = 50;
const ATOMIC_LISTS: u64 = 4;

/// What a reader sees of the migration of `check_merge_is_atomic`.
#[derive(Debug, PartialEq)]
struct Observed {
    /// Maps `ns.m*` whose entries all hold the migrated value.
    migrated_maps: u64,
    /// Maps `ns.m*` whose entries all hold the old value.
    old_maps: u64,
    /// Lists `ns.gone*` still present.
    old_lists: u64,
    /// Whether `ns.fresh` (created by the migration) is visible.
    fresh: bool,
    /// Indexes still visible in the migration.
    pending: u64,
    /// Whether the scratchpad entry is still there.
    scratchpad: bool,
}

fn observe(snapshot: &dyn Snapshot) -> Observed {
    let mut observed = Observed {
        migrated_maps: 0,
        old_maps: 0,
        old_lists: 0,
        fresh: snapshot.index_type("ns.fresh").is_some(),
        pending: 0,
        scratchpad: Scratchpad::new("ns", snapshot)
            .get_entry::<_, u64>("position")
            .exists(),
    };
    let migration = Migration::new("ns", snapshot);
    for i in 0..ATOMIC_MAPS {
        let name = format!("m{i}");
        let values: Vec<u64> = snapshot
            .get_map::<_, u64, u64>(format!("ns.{name}").as_str())
            .values()
            .collect();
        assert_eq!(values.len() as u64, ATOMIC_ENTRIES, "map {name} is whole");
        if values.iter().all(|&value| value == 1) {
            observed.migrated_maps += 1;
        } else if values.iter().all(|&value| value == 0) {
            observed.old_maps += 1;
        } else {
            panic!("map {name} is half migrated: {values:?}");
        }
        if migration.index_type(name.as_str()).is_some() {
            observed.pending += 1;
        }
    }
    for i in 0..ATOMIC_LISTS {
        let name = format!("gone{i}");
        if snapshot.index_type(format!("ns.{name}").as_str()).is_some() {
            observed.old_lists += 1;
        }
        if migration.index_type(name.as_str()).is_some() {
            observed.pending += 1;
        }
    }
    if migration.index_type("fresh").is_some() {
        observed.pending += 1;
    }
    observed
}

fn before_migration_ends() -> Observed {
    Observed {
        migrated_maps: 0,
        old_maps: ATOMIC_MAPS,
        old_lists: ATOMIC_LISTS,
        fresh: false,
        pending: ATOMIC_MAPS + ATOMIC_LISTS + 1,
        scratchpad: true,
    }
}

fn after_flush() -> Observed {
    Observed {
        migrated_maps: ATOMIC_MAPS,
        old_maps: 0,
        old_lists: 0,
        fresh: true,
        pending: 0,
        scratchpad: false,
    }
}

fn after_rollback() -> Observed {
    Observed {
        migrated_maps: 0,
        old_maps: ATOMIC_MAPS,
        old_lists: ATOMIC_LISTS,
        fresh: false,
        pending: 0,
        scratchpad: false,
    }
}

/// Prepares a migration, then ends it (flush or rollback) while a reader thread takes
/// snapshots in a loop: every snapshot must show either the state before or the state after,
/// never a mix, and nothing may change before the merge.
fn check_merge_is_atomic(flush: bool) {
    for test_db in backends() {
        let db = Arc::clone(test_db.db());

        let fork = db.fork();
        for i in 0..ATOMIC_MAPS {
            let mut map = fork.get_map::<_, u64, u64>(format!("ns.m{i}").as_str());
            for key in 0..ATOMIC_ENTRIES {
                map.put(&key, 0);
            }
        }
        for i in 0..ATOMIC_LISTS {
            fork.get_list(format!("ns.gone{i}").as_str())
                .extend(0..10_u64);
        }
        merge(db.as_ref(), fork);

        let fork = db.fork();
        let migration = Migration::new("ns", &fork);
        for i in 0..ATOMIC_MAPS {
            let mut map = migration.get_map::<_, u64, u64>(format!("m{i}").as_str());
            for key in 0..ATOMIC_ENTRIES {
                map.put(&key, 1);
            }
        }
        for i in 0..ATOMIC_LISTS {
            migration.create_tombstone(format!("gone{i}").as_str());
        }
        migration.get_list("fresh").extend(0..10_u64);
        Scratchpad::new("ns", &fork)
            .get_entry("position")
            .set(7_u64);
        merge(db.as_ref(), fork);
        assert_eq!(observe(db.snapshot().as_ref()), before_migration_ends());

        let stop = Arc::new(AtomicBool::new(false));
        let reader = {
            let db = Arc::clone(&db);
            let stop = Arc::clone(&stop);
            thread::spawn(move || {
                let mut seen_before = 0;
                let mut seen_after = 0;
                loop {
                    // Read the flag first: a snapshot taken after it is set must be final.
                    let last = stop.load(Ordering::SeqCst);
                    let observed = observe(db.snapshot().as_ref());
                    if observed == before_migration_ends() {
                        assert!(!last, "the final snapshot shows the old state");
                        seen_before += 1;
                    } else {
                        let expected = if flush {
                            after_flush()
                        } else {
                            after_rollback()
                        };
                        assert_eq!(observed, expected, "a snapshot shows a partial state");
                        seen_after += 1;
                    }
                    if last {
                        return (seen_before, seen_after);
                    }
                }
            })
        };

        let mut fork = db.fork();
        if flush {
            flush_migration(&mut fork, "ns");
        } else {
            rollback_migration(&mut fork, "ns");
        }
        // Nothing is visible before the merge.
        assert_eq!(observe(db.snapshot().as_ref()), before_migration_ends());
        merge(db.as_ref(), fork);
        stop.store(true, Ordering::SeqCst);

        let (_seen_before, seen_after) = reader.join().expect("reader thread");
        assert!(seen_after >= 1);
        let expected = if flush {
            after_flush()
        } else {
            after_rollback()
        };
        assert_eq!(observe(db.snapshot().as_ref()), expected);
    }
}

#[test]
fn flush_becomes_visible_all_at_once_when_merged() {
    check_merge_is_atomic(true);
}

#[test]
fn rollback_becomes_visible_all_at_once_when_merged() {
    check_merge_is_atomic(false);
}

// ---- Scratchpads ---------------------------------------------------------------------------

#[test]
fn scratchpad_data_lives_in_the_scratchpad_column_family() {
    for test_db in backends() {
        let db = test_db.db();
        let fork = db.fork();
        let scratchpad = Scratchpad::new("test", &fork);
        scratchpad.get_entry("entry").set(1_u8);
        assert_eq!(scratchpad.get_entry::<_, u8>("entry").get(), Some(1));
        scratchpad.get_list("list").extend(vec![2_u32, 3]);

        // The data persists to the patch...
        let patch = fork.into_patch();
        let scratchpad = Scratchpad::new("test", &patch);
        assert_eq!(scratchpad.get_entry::<_, u8>("entry").get(), Some(1));
        let list = scratchpad.get_list::<_, u32>("list");
        assert_eq!(list.len(), 2);
        assert_eq!(list.iter().collect::<Vec<_>>(), vec![2, 3]);

        // ...under the pool key `__scratchpad__ \0 test.entry`, in the `__scratchpad__` CF.
        let keys = pool_keys(&patch);
        assert!(
            keys.contains(&b"__scratchpad__\0test.entry".to_vec()),
            "{keys:?}"
        );
        assert!(
            keys.contains(&b"__scratchpad__\0test.list".to_vec()),
            "{keys:?}"
        );
        let entry = resolved_in(Scratchpad::new("test", &patch), "entry", SCRATCHPAD_CF);
        assert_eq!(raw_entries(&patch, &entry), vec![(vec![], vec![1])]);

        // ...and to the database.
        db.merge(patch).unwrap();
        let snapshot = db.snapshot();
        let scratchpad = Scratchpad::new("test", &snapshot);
        assert_eq!(scratchpad.get_entry::<_, u8>("entry").get(), Some(1));
        let list = scratchpad.get_list::<_, u32>("list");
        assert_eq!(list.iter().collect::<Vec<_>>(), vec![2, 3]);
        assert_eq!(
            raw_entries(snapshot.as_ref(), &entry),
            vec![(vec![], vec![1])]
        );
        // The scratchpad is not visible as ordinary or migrated data.
        assert_eq!(snapshot.index_type("test.entry"), None);
        assert_eq!(Migration::new("test", &snapshot).index_type("entry"), None);
    }
}

#[test]
fn keyed_scratchpad_address_is_the_qualified_name_of_the_index() {
    let db = TemporaryDB::new();
    let fork = db.fork();
    let scratchpad = Scratchpad::new("test", &fork);
    scratchpad.get_entry(("entry", &5_u32)).set(1_u8);
    let patch = fork.into_patch();
    let keys = pool_keys(&patch);
    assert!(
        keys.contains(&b"__scratchpad__\0test.entry\0\0\0\0\x05".to_vec()),
        "{keys:?}"
    );
    // Only the keyed entry exists, not an unkeyed `entry`.
    assert_eq!(Scratchpad::new("test", &patch).index_type("entry"), None);
    let keyed = Scratchpad::new("test", &patch)
        .get_index_metadata(("entry", &5_u32).into())
        .unwrap()
        .expect("keyed entry exists");
    let address = ResolvedAddress {
        name: SCRATCHPAD_CF.to_owned(),
        id: Some(keyed.identifier()),
    };
    assert_eq!(raw_entries(&patch, &address), vec![(vec![], vec![1])]);
    assert_eq!(
        Scratchpad::new("test", &patch)
            .get_entry::<_, u8>(("entry", &5_u32))
            .get(),
        Some(1)
    );
}

#[test]
#[should_panic(expected = "Invalid characters used in name")]
fn scratchpad_rejects_names_that_could_alias_keys() {
    let db = TemporaryDB::new();
    let fork = db.fork();
    let scratchpad = Scratchpad::new("test", &fork);
    scratchpad.get_entry::<_, u8>("entry\0key");
}

#[test]
fn clearing_the_scratchpad_removes_every_index() {
    let db = TemporaryDB::new();
    let mut fork = db.fork();
    let scratchpad = Scratchpad::new("test", &fork);
    scratchpad.get_entry("entry").set(1_u8);
    scratchpad.get_entry(("other_entry", &1_u32)).set(2_u8);
    scratchpad.get_list("list").extend(vec![1_u32, 2, 3]);

    // The public ways to clear a scratchpad are `flush_migration` and `rollback_migration`.
    flush_migration(&mut fork, "test");
    let scratchpad = Scratchpad::new("test", &fork);
    assert_eq!(scratchpad.index_type("entry"), None);
    assert_eq!(scratchpad.index_type(("other_entry", &1_u32)), None);
    assert_eq!(scratchpad.index_type("list"), None);

    // A new list at the same address starts empty.
    let mut list = scratchpad.get_list::<_, u32>("list");
    assert!(list.is_empty());
    list.extend(vec![4, 5]);
    assert_eq!(list.iter().collect::<Vec<_>>(), vec![4, 5]);
    drop(list);

    let patch = fork.into_patch();
    let scratchpad = Scratchpad::new("test", &patch);
    assert_eq!(scratchpad.index_type("entry"), None);
    assert_eq!(
        scratchpad
            .get_list::<_, u32>("list")
            .iter()
            .collect::<Vec<_>>(),
        vec![4, 5]
    );
}

#[test]
fn clearing_a_scratchpad_leaves_other_namespaces_alone() {
    for test_db in backends() {
        let db = test_db.db();
        let mut fork = db.fork();
        Scratchpad::new("test", &fork)
            .get_list("list")
            .extend(vec![1_u8, 2, 3]);
        Scratchpad::new("test_", &fork).get_entry("entry").set(2_u8);
        Scratchpad::new("tes", &fork).get_entry("t.entry").set(3_u8);
        Scratchpad::new("test", &fork)
            .get_entry("_.entry")
            .set(4_u8);

        rollback_migration(&mut fork, "test");
        let check = |fork: &metaldb::Fork| {
            assert_eq!(Scratchpad::new("test", fork).index_type("list"), None);
            assert_eq!(Scratchpad::new("test", fork).index_type("_.entry"), None);
            assert_eq!(
                Scratchpad::new("test_", fork)
                    .get_entry::<_, u8>("entry")
                    .get(),
                Some(2)
            );
            assert_eq!(
                Scratchpad::new("tes", fork)
                    .get_entry::<_, u8>("t.entry")
                    .get(),
                Some(3)
            );
        };
        check(&fork);
        merge(db.as_ref(), fork);
        check(&db.fork());
    }
}

#[test]
fn scratchpad_is_cleared_by_flush_and_by_rollback() {
    for end_with_flush in [true, false] {
        let db = Arc::new(TemporaryDB::new());
        let mut helper = MigrationHelper::new(Arc::clone(&db) as Arc<dyn Database>, "test");
        helper.scratchpad().get_entry("entry").set(1_u8);
        helper.merge().unwrap();
        assert_eq!(
            helper.scratchpad().get_entry::<_, u8>("entry").get(),
            Some(1)
        );
        helper.finish().unwrap();

        let mut fork = db.fork();
        assert_eq!(
            Scratchpad::new("test", &fork).index_type("entry"),
            Some(IndexType::Entry)
        );
        if end_with_flush {
            flush_migration(&mut fork, "test");
        } else {
            rollback_migration(&mut fork, "test");
        }
        assert_eq!(Scratchpad::new("test", &fork).index_type("entry"), None);
        merge(db.as_ref(), fork);
        let snapshot = db.snapshot();
        assert_eq!(Scratchpad::new("test", &snapshot).index_type("entry"), None);
        assert!(!Scratchpad::new("test", &snapshot)
            .get_entry::<_, u8>("entry")
            .exists());
    }
}

#[test]
fn scratchpad_is_not_a_migration_tombstone_target() {
    let db = TemporaryDB::new();
    let fork = db.fork();
    // Tombstones exist only in migrations; a scratchpad index is an ordinary index.
    let err = Scratchpad::new("ns", &fork)
        .get_or_create_view("gone".into(), IndexType::Tombstone)
        .map(drop)
        .unwrap_err();
    assert!(err.to_string().contains("ombstone"), "{err}");
}

// ---- MigrationHelper::iter_loop ------------------------------------------------------------

const BALANCES: &[(&str, u64)] = &[
    ("Alice", 100),
    ("Bob", 75),
    ("Carol", 11),
    ("Dave", 99),
    ("Eve", 42),
];

fn database_with_balances(data: &[(&str, u64)]) -> Arc<dyn Database> {
    let db: Arc<dyn Database> = Arc::new(TemporaryDB::new());
    let fork = db.fork();
    let mut map = fork.get_map::<_, str, u64>("test.balances");
    for &(name, balance) in data {
        map.put(name, balance);
    }
    drop(map);
    merge(db.as_ref(), fork);
    db
}

/// Migrates `test.balances` in chunks of `chunk` with `iter_loop`, adding 10 to each balance,
/// and returns the number of rounds.
fn migrate_balances(helper: &mut MigrationHelper, chunk: usize) -> usize {
    let mut rounds = 0;
    helper
        .iter_loop(|helper, iters| {
            rounds += 1;
            let balances = helper.old_data().get_map::<_, str, u64>("balances");
            let mut new_balances = helper.new_data().get_map::<_, str, u64>("balances");
            for (name, balance) in iters.create("balances", &balances).take(chunk) {
                new_balances.put(&name, balance + 10);
            }
        })
        .unwrap();
    rounds
}

#[test]
fn iter_loop_migrates_in_chunks_until_the_iterator_ends() {
    let db = database_with_balances(BALANCES);
    let mut helper = MigrationHelper::new(Arc::clone(&db), "test");
    // Chunks of 2, 2 and 1: the last item ends the iterator.
    assert_eq!(migrate_balances(&mut helper, 2), 3);

    let old_balances: HashMap<_, _> = BALANCES.iter().copied().collect();
    let new_balances = helper.new_data().get_map::<_, str, u64>("balances");
    assert_eq!(new_balances.iter().count(), BALANCES.len());
    for (name, balance) in &new_balances {
        assert_eq!(balance, old_balances[name.as_str()] + 10);
    }
    drop(new_balances);

    // Every round was merged: the database has everything.
    let snapshot = db.snapshot();
    let migrated = Migration::new("test", &snapshot);
    assert_eq!(
        migrated
            .get_map::<_, str, u64>("balances")
            .values()
            .collect::<Vec<_>>(),
        vec![110, 85, 21, 109, 52]
    );

    // The loop is over for good: running it again migrates nothing.
    assert_eq!(migrate_balances(&mut helper, 2), 1);
}

#[test]
fn iter_loop_ends_in_the_round_that_yields_the_last_item() {
    let db = database_with_balances(&BALANCES[..4]);
    let mut helper = MigrationHelper::new(db, "test");
    assert_eq!(migrate_balances(&mut helper, 2), 2);
}

#[test]
fn iter_loop_without_iterators_runs_once() {
    let db = database_with_balances(BALANCES);
    let mut helper = MigrationHelper::new(Arc::clone(&db), "test");
    let mut rounds = 0;
    helper
        .iter_loop(|helper, _| {
            rounds += 1;
            helper.new_data().get_entry("marker").set(1_u8);
        })
        .unwrap();
    assert_eq!(rounds, 1);
    let snapshot = db.snapshot();
    assert_eq!(
        Migration::new("test", &snapshot)
            .get_entry::<_, u8>("marker")
            .get(),
        Some(1)
    );
}

#[test]
fn iter_loop_waits_for_every_iterator() {
    let db: Arc<dyn Database> = Arc::new(TemporaryDB::new());
    let fork = db.fork();
    fork.get_list("test.short").extend(0..3_u64);
    fork.get_list("test.long").extend(0..10_u64);
    merge(db.as_ref(), fork);

    let mut helper = MigrationHelper::new(Arc::clone(&db), "test");
    let mut rounds = 0;
    helper
        .iter_loop(|helper, iters| {
            rounds += 1;
            let short = helper.old_data().get_list::<_, u64>("short");
            let long = helper.old_data().get_list::<_, u64>("long");
            let mut sum = helper.new_data().get_list::<_, u64>("merged");
            for (_, value) in iters.create("short", &short).take(2) {
                sum.push(value);
            }
            for (_, value) in iters.create("long", &long).take(2) {
                sum.push(100 + value);
            }
        })
        .unwrap();
    assert_eq!(rounds, 5);
    let merged: Vec<u64> = helper.new_data().get_list("merged").iter().collect();
    assert_eq!(
        merged,
        vec![0, 1, 100, 101, 2, 102, 103, 104, 105, 106, 107, 108, 109]
    );
}

#[test]
fn helper_namespace_is_validated() {
    let err = panic::catch_unwind(|| MigrationHelper::new(TemporaryDB::new(), "a.b")).unwrap_err();
    assert!(panic_message(&*err).contains("InvalidCharsInName"));
    let err = panic::catch_unwind(|| MigrationHelper::new(TemporaryDB::new(), "")).unwrap_err();
    assert!(panic_message(&*err).contains("EmptyName"));
}

#[test]
fn helper_reads_old_data_through_the_namespace() {
    let db = database_with_balances(BALANCES);
    let helper = MigrationHelper::new(db, "test");
    assert_eq!(
        helper
            .old_data()
            .get_map::<_, str, u64>("balances")
            .get("Bob"),
        Some(75)
    );
    assert_eq!(format!("{helper:?}"), "MigrationHelper(\"test\")");
}

// ---- Aborting ------------------------------------------------------------------------------

/// A helper running in its own thread: it writes `entry = 1` in the migration, waits for the
/// go-ahead, then finishes.
struct MigrationRig {
    thread: thread::JoinHandle<Result<(), MigrationError>>,
    abort_handle: metaldb::migration::AbortHandle,
    go: mpsc::Sender<()>,
}

impl MigrationRig {
    fn new(db: &Arc<TemporaryDB>) -> Self {
        let db = Arc::clone(db) as Arc<dyn Database>;
        let (handle_tx, handle_rx) = mpsc::channel();
        let (go, go_rx) = mpsc::channel::<()>();
        let thread = thread::spawn(move || {
            let (helper, handle) = MigrationHelper::with_handle(db, "test");
            helper.new_data().get_entry("entry").set(1_u32);
            handle_tx.send(handle).unwrap();
            // A dropped sender is a go-ahead too.
            go_rx.recv().ok();
            helper.finish()
        });
        Self {
            thread,
            abort_handle: handle_rx.recv().unwrap(),
            go,
        }
    }
}

#[test]
fn dropping_the_abort_handle_aborts_the_migration() {
    let db = Arc::new(TemporaryDB::new());
    let rig = MigrationRig::new(&db);
    drop(rig.abort_handle);
    rig.go.send(()).unwrap();
    let res = rig.thread.join().unwrap();
    assert_matches!(res, Err(MigrationError::Aborted));
    let snapshot = db.snapshot();
    let migration = Migration::new("test", &snapshot);
    assert!(!migration.get_entry::<_, u32>("entry").exists());
    assert_eq!(migration.index_type("entry"), None);
}

#[test]
fn forgotten_abort_handle_lets_the_migration_finish() {
    let db = Arc::new(TemporaryDB::new());
    let rig = MigrationRig::new(&db);
    rig.abort_handle.forget();
    rig.go.send(()).unwrap();
    rig.thread.join().unwrap().unwrap();
    let snapshot = db.snapshot();
    let migration = Migration::new("test", &snapshot);
    assert_eq!(migration.get_entry::<_, u32>("entry").get(), Some(1));
}

#[test]
fn abort_handle_is_finished_once_the_helper_is_gone() {
    let db = Arc::new(TemporaryDB::new());
    let rig = MigrationRig::new(&db);
    assert!(!rig.abort_handle.is_finished());
    rig.go.send(()).unwrap();
    rig.thread.join().unwrap().unwrap();
    assert!(rig.abort_handle.is_finished());
    rig.abort_handle.forget();
}

#[test]
fn aborted_merge_error_reads_well() {
    assert_eq!(MigrationError::Aborted.to_string(), "Migration was aborted");
}

/// Runs `iter_loop` over 100 list items in chunks of 10 in a helper thread. At the start of
/// round `abort_in_round`, the main thread aborts through `abort`; the round still runs to
/// its end, but its merge must fail.
fn check_abort_during_iter_loop(abort: impl Fn(metaldb::migration::AbortHandle)) {
    const ITEMS: u64 = 100;
    const CHUNK: usize = 10;
    const ABORT_IN_ROUND: usize = 4;

    for test_db in backends() {
        let db = Arc::clone(test_db.db());
        let fork = db.fork();
        fork.get_list("test.items").extend(0..ITEMS);
        merge(db.as_ref(), fork);

        let (handle_tx, handle_rx) = mpsc::channel();
        let (round_tx, round_rx) = mpsc::channel();
        let (resume_tx, resume_rx) = mpsc::channel::<()>();
        let helper_thread = {
            let db = Arc::clone(&db);
            thread::spawn(move || {
                let (mut helper, handle) = MigrationHelper::with_handle(db, "test");
                handle_tx.send(handle).unwrap();
                let mut round = 0;
                let res = helper.iter_loop(|helper, iters| {
                    round += 1;
                    if round == ABORT_IN_ROUND {
                        round_tx.send(()).unwrap();
                        resume_rx.recv().unwrap();
                    }
                    let items = helper.old_data().get_list::<_, u64>("items");
                    let mut copied = helper.new_data().get_list::<_, u64>("items");
                    for (_, item) in iters.create("items", &items).take(CHUNK) {
                        copied.push(item);
                    }
                });
                // After a failed merge the helper has no fork left: any use panics.
                let reuse = panic::catch_unwind(AssertUnwindSafe(|| {
                    helper.new_data();
                }));
                (res, round, reuse.is_err())
            })
        };
        let handle = handle_rx.recv().unwrap();
        round_rx.recv().unwrap();
        abort(handle);
        resume_tx.send(()).unwrap();
        let (res, rounds, reuse_panicked) = helper_thread.join().unwrap();
        assert_matches!(res, Err(MigrationError::Aborted));
        assert_eq!(rounds, ABORT_IN_ROUND);
        assert!(reuse_panicked);

        // Only the rounds before the aborted one reached the database: data and position.
        let merged_items = (ABORT_IN_ROUND as u64 - 1) * CHUNK as u64;
        let snapshot = db.snapshot();
        let copied: Vec<u64> = Migration::new("test", &snapshot)
            .get_list("items")
            .iter()
            .collect();
        assert_eq!(copied, (0..merged_items).collect::<Vec<_>>());
        drop(snapshot);

        // A new helper carries on from the last merged position, so nothing is lost or
        // copied twice.
        let mut helper = MigrationHelper::new(Arc::clone(&db), "test");
        helper
            .iter_loop(|helper, iters| {
                let items = helper.old_data().get_list::<_, u64>("items");
                let mut copied = helper.new_data().get_list::<_, u64>("items");
                for (_, item) in iters.create("items", &items).take(CHUNK) {
                    copied.push(item);
                }
            })
            .unwrap();
        helper.finish().unwrap();
        let snapshot = db.snapshot();
        let copied: Vec<u64> = Migration::new("test", &snapshot)
            .get_list("items")
            .iter()
            .collect();
        assert_eq!(copied, (0..ITEMS).collect::<Vec<_>>());
    }
}

#[test]
fn handle_dropped_from_another_thread_stops_the_next_merge() {
    check_abort_during_iter_loop(drop);
}

#[test]
fn handle_moved_to_a_third_thread_and_dropped_there_stops_the_next_merge() {
    check_abort_during_iter_loop(|handle| {
        thread::spawn(move || drop(handle)).join().unwrap();
    });
}

#[test]
fn aborted_helper_discards_direct_merges_too() {
    let db = Arc::new(TemporaryDB::new());
    let (mut helper, handle) =
        MigrationHelper::with_handle(Arc::clone(&db) as Arc<dyn Database>, "test");
    helper.new_data().get_entry("first").set(1_u8);
    helper.merge().unwrap();
    helper.new_data().get_entry("second").set(2_u8);
    helper.scratchpad().get_entry("pad").set(3_u8);
    drop(handle);
    assert_matches!(helper.merge(), Err(MigrationError::Aborted));

    let snapshot = db.snapshot();
    let migration = Migration::new("test", &snapshot);
    assert_eq!(migration.get_entry::<_, u8>("first").get(), Some(1));
    assert_eq!(migration.index_type("second"), None);
    assert_eq!(Scratchpad::new("test", &snapshot).index_type("pad"), None);
}

#[test]
fn helper_without_handle_is_never_aborted() {
    let db = Arc::new(TemporaryDB::new());
    let mut helper = MigrationHelper::new(Arc::clone(&db) as Arc<dyn Database>, "test");
    for i in 0..3_u8 {
        helper.new_data().get_list("list").push(i);
        helper.merge().unwrap();
    }
    helper.finish().unwrap();
    let snapshot = db.snapshot();
    let list: Vec<u8> = Migration::new("test", &snapshot)
        .get_list("list")
        .iter()
        .collect();
    assert_eq!(list, vec![0, 1, 2]);
}

// ---- Whole workflow ------------------------------------------------------------------------

#[test]
fn finished_migration_is_flushed_on_a_fresh_fork() {
    for test_db in backends() {
        let db = Arc::clone(test_db.db());
        let fork = db.fork();
        {
            let mut map = fork.get_map::<_, u32, u32>("bank.accounts");
            for i in 0..50 {
                map.put(&i, i);
            }
        }
        merge(db.as_ref(), fork);

        let mut helper = MigrationHelper::new(Arc::clone(&db), "bank");
        helper
            .iter_loop(|helper, iters| {
                let old = helper.old_data().get_map::<_, u32, u32>("accounts");
                let mut new = helper.new_data().get_map::<_, u32, u64>("accounts");
                for (key, value) in iters.create("accounts", &old).take(7) {
                    new.put(&key, u64::from(value) * 2);
                }
            })
            .unwrap();
        helper.finish().unwrap();

        let mut fork = db.fork();
        flush_migration(&mut fork, "bank");
        merge(db.as_ref(), fork);

        let snapshot = db.snapshot();
        let accounts: BTreeMap<u32, u64> = snapshot
            .get_map::<_, u32, u64>("bank.accounts")
            .iter()
            .collect();
        assert_eq!(accounts, (0..50).map(|i| (i, u64::from(i) * 2)).collect());
        assert_eq!(
            Scratchpad::new("bank", &snapshot).index_type("accounts"),
            None
        );
    }
}
