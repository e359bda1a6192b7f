//! `Group`: members, `get` and `keys` (spec §11.6 and the group tests of §18), through raw
//! accesses, `Prefixed`, `Migration`, `Scratchpad`, read-only forks and patches.

mod common;

use std::{collections::BTreeSet, rc::Rc};

use metaldb::{
    access::{AccessExt, CopyAccessExt, FromAccess, Prefixed},
    migration::{Migration, Scratchpad},
    Database, Entry, Fork, Group, IndexType, ListIndex, MapIndex, TemporaryDB,
};
use proptest::{collection::vec, prelude::*};

use common::{backends, proptest_config, Backend, ForkModel, TestDb};

#[test]
fn group_members_are_indexes_at_keyed_addresses() {
    for db in backends() {
        let db = db.db();
        let fork = db.fork();
        {
            let group: Group<_, u32, ListIndex<_, String>> = fork.get_group("group");
            let mut list = group.get(&1);
            list.push("foo".to_owned());
            list.push("bar".to_owned());
            group.get(&2).push("baz".to_owned());
        }
        {
            let list = fork.get_list::<_, String>(("group", &1_u32));
            assert_eq!(list.len(), 2);
            assert_eq!(list.get(1), Some("bar".to_owned()));
            assert_eq!(fork.get_list::<_, String>(("group", &2_u32)).len(), 1);
        }
        db.merge_sync(fork.into_patch()).unwrap();

        let snapshot = db.snapshot();
        let group: Group<_, u32, ListIndex<_, String>> = snapshot.get_group("group");
        assert_eq!(group.get(&1).len(), 2);
        assert_eq!(group.get(&2).len(), 1);
        assert!(group.get(&3).is_empty());
        // Reading a missing member through a snapshot creates nothing.
        assert_eq!(snapshot.index_type(("group", &3_u32)), None);
        assert_eq!(snapshot.index_type("group"), None);
    }
}

#[test]
fn group_keys_come_in_key_order_without_look_alike_names() {
    for db in backends() {
        let db = db.db();
        let fork = db.fork();
        {
            let group: Group<_, u32, ListIndex<_, u64>> = fork.get_group("group");
            group.get(&100_000).push(0);
            group.get(&5).push(5);
            group.get(&1).push(1);
            group.get(&2).push(2);
        }
        fork.get_list("gr").push(1_u32);
        fork.get_list("group_").push(1_u32);
        fork.get_list("group.inner").push(1_u32);
        fork.get_list(("group_", &0_u32)).push(1_u32);
        fork.get_list(("group_", &5_u32)).push(1_u32);
        fork.get_list(("gr", &10_000_u32)).push(1_u32);

        {
            let group: Group<_, u32, ListIndex<_, u64>> = fork.readonly().get_group("group");
            assert_eq!(group.keys().collect::<Vec<_>>(), vec![1, 2, 5, 100_000]);
        }
        let patch = fork.into_patch();
        let group: Group<_, u32, ListIndex<_, u64>> = (&patch).get_group("group");
        assert_eq!(group.keys().collect::<Vec<_>>(), vec![1, 2, 5, 100_000]);
        db.merge(patch).unwrap();

        let fork = db.fork();
        fork.get_list(("group", &3_u32)).push(3_u64);
        let group: Group<_, u32, ListIndex<_, u64>> = fork.readonly().get_group("group");
        assert_eq!(group.keys().collect::<Vec<_>>(), vec![1, 2, 3, 5, 100_000]);

        // The snapshot does not see the fork.
        let snapshot = db.snapshot();
        let group: Group<_, u32, ListIndex<_, u64>> = snapshot.get_group("group");
        assert_eq!(group.keys().collect::<Vec<_>>(), vec![1, 2, 5, 100_000]);
    }
}

#[test]
fn group_keys_in_a_prefixed_access_stay_in_the_prefix() {
    for db in backends() {
        let db = db.db();
        let fork = db.fork();
        {
            let prefixed = Prefixed::new("prefix", &fork);
            let group: Group<_, str, ListIndex<_, u64>> = prefixed.get_group("group");
            group.get("foo").push(1);
            group.get("bar").push(2);
            group.get("baz").push(3);

            // A group whose address already carries a key: members extend that key.
            let keyed: Group<_, u32, ListIndex<_, u64>> =
                Group::from_access(prefixed.clone(), ("prefixed", &1_u8).into()).unwrap();
            keyed.get(&7).push(7);
            let other: Group<_, u32, ListIndex<_, u64>> =
                Group::from_access(prefixed.clone(), ("prefixed", &0_u8).into()).unwrap();
            other.get(&9).push(9);

            prefixed.get_list("gr").push(1_u64);
            prefixed.get_list("group_").push(1_u64);
            prefixed.get_list(("group_", "qux")).push(1_u64);
        }
        // Look-alikes outside the prefix, and a raw alias of a member of the keyed group:
        // key 1_u8 ++ 42_u32 (big-endian).
        fork.get_list("prefix").push(1_u64);
        fork.get_list("prefixed").push(1_u64);
        fork.get_list(("group", "quux")).push(1_u64);
        fork.get_list(("prefix.prefixed", &[1_u8, 0, 0, 0, 42][..]))
            .push(42_u64);

        {
            let prefixed = Prefixed::new("prefix", fork.readonly());
            let group: Group<_, str, ListIndex<_, u64>> = prefixed.get_group("group");
            assert_eq!(group.keys().collect::<Vec<_>>(), vec!["bar", "baz", "foo"]);
        }
        let patch = fork.into_patch();
        let prefixed = Prefixed::new("prefix", &patch);
        let group: Group<_, str, ListIndex<_, u64>> = prefixed.get_group("group");
        assert_eq!(group.keys().collect::<Vec<_>>(), vec!["bar", "baz", "foo"]);
        let keyed: Group<_, u32, ListIndex<_, u64>> =
            Group::from_access(prefixed.clone(), ("prefixed", &1_u8).into()).unwrap();
        assert_eq!(keyed.keys().collect::<Vec<_>>(), vec![7, 42]);
        assert_eq!(keyed.get(&42).get(0), Some(42));
        // The raw address of the prefixed member.
        assert_eq!(
            (&patch).get_list::<_, u64>(("prefix.group", "foo")).get(0),
            Some(1)
        );

        db.merge(patch).unwrap();
        let snapshot = db.snapshot();
        let prefixed = Prefixed::new("prefix", &snapshot);
        let group: Group<_, str, ListIndex<_, u64>> = prefixed.get_group("group");
        assert_eq!(group.keys().collect::<Vec<_>>(), vec!["bar", "baz", "foo"]);
    }
}

#[test]
fn group_keys_in_a_migration_list_only_migrated_members() {
    for db in backends() {
        let db = db.db();
        let fork = db.fork();
        {
            // The old data the migration replaces, and indexes that look like it.
            fork.get_list(("ns.group", &3_u32)).push(3_u64);
            Prefixed::new("ns", &fork)
                .get_list(("group", &4_u32))
                .push(4_u64);

            let migration = Migration::new("ns", &fork);
            let group: Group<_, u32, ListIndex<_, u64>> = migration.get_group("group");
            group.get(&1).push(1);
            group.get(&2).push(2);
            group.get(&100).push(100);
            migration.create_tombstone(("group", &5_u32));
            migration.get_list("group_").push(1_u64);
            migration.get_list(("gr", &1_u32)).push(1_u64);
        }
        {
            let migration = Migration::new("ns", fork.readonly());
            let group: Group<_, u32, ListIndex<_, u64>> = migration.get_group("group");
            assert_eq!(group.keys().collect::<Vec<_>>(), vec![1, 2, 5, 100]);
        }
        let patch = fork.into_patch();
        let migration = Migration::new("ns", &patch);
        let group: Group<_, u32, ListIndex<_, u64>> = migration.get_group("group");
        assert_eq!(group.keys().collect::<Vec<_>>(), vec![1, 2, 5, 100]);
        assert_eq!(
            migration.index_type(("group", &5_u32)),
            Some(IndexType::Tombstone)
        );

        let group: Group<_, u32, ListIndex<_, u64>> = (&patch).get_group("ns.group");
        assert_eq!(group.keys().collect::<Vec<_>>(), vec![3, 4]);

        db.merge(patch).unwrap();
        let snapshot = db.snapshot();
        let migration = Migration::new("ns", &snapshot);
        let group: Group<_, u32, ListIndex<_, u64>> = migration.get_group("group");
        assert_eq!(group.keys().collect::<Vec<_>>(), vec![1, 2, 5, 100]);
    }
}

#[test]
fn group_keys_in_a_scratchpad_stay_in_its_namespace() {
    for db in backends() {
        let db = db.db();
        let fork = db.fork();
        {
            let scratchpad = Scratchpad::new("ns", &fork);
            let group: Group<_, str, ListIndex<_, u64>> = scratchpad.get_group("group");
            group.get("foo").push(1);
            group.get("bar").push(2);
            scratchpad.get_list("group_").push(1_u64);
            scratchpad.get_list(("gr", "foo")).push(1_u64);

            // A namespace that extends this one, and the same names outside any scratchpad.
            let other = Scratchpad::new("ns_", &fork);
            let group: Group<_, str, ListIndex<_, u64>> = other.get_group("group");
            group.get("baz").push(3);
            fork.get_list(("ns.group", "qux")).push(4_u64);
            Migration::new("ns", &fork)
                .get_list(("group", "quux"))
                .push(5_u64);
        }
        {
            let scratchpad = Scratchpad::new("ns", fork.readonly());
            let group: Group<_, str, ListIndex<_, u64>> = scratchpad.get_group("group");
            assert_eq!(group.keys().collect::<Vec<_>>(), vec!["bar", "foo"]);
        }
        let patch = fork.into_patch();
        let scratchpad = Scratchpad::new("ns", &patch);
        let group: Group<_, str, ListIndex<_, u64>> = scratchpad.get_group("group");
        assert_eq!(group.keys().collect::<Vec<_>>(), vec!["bar", "foo"]);
        let scratchpad = Scratchpad::new("ns_", &patch);
        let group: Group<_, str, ListIndex<_, u64>> = scratchpad.get_group("group");
        assert_eq!(group.keys().collect::<Vec<_>>(), vec!["baz"]);

        db.merge(patch).unwrap();
        let snapshot = db.snapshot();
        let scratchpad = Scratchpad::new("ns", &snapshot);
        let group: Group<_, str, ListIndex<_, u64>> = scratchpad.get_group("group");
        assert_eq!(group.keys().collect::<Vec<_>>(), vec!["bar", "foo"]);
    }
}

#[test]
fn group_keys_include_empty_and_cleared_members() {
    for db in backends() {
        let db = db.db();
        let fork = db.fork();
        {
            let group: Group<_, u8, ListIndex<_, u64>> = fork.get_group("group");
            group.get(&1);
            group.get(&2).push(2);
            group.get(&2).clear();
        }
        assert_eq!(fork.index_type(("group", &1_u8)), Some(IndexType::List));
        db.merge(fork.into_patch()).unwrap();

        let snapshot = db.snapshot();
        let group: Group<_, u8, ListIndex<_, u64>> = snapshot.get_group("group");
        assert_eq!(group.keys().collect::<Vec<_>>(), vec![1, 2]);
        assert!(group.get(&2).is_empty());
    }
}

#[test]
fn building_a_group_creates_and_validates_nothing() {
    for db in backends() {
        let db = db.db();
        let fork = db.fork();
        let _group: Group<_, u32, ListIndex<_, u64>> = fork.get_group("group");
        let invalid: Result<Group<_, u32, ListIndex<_, u64>>, _> =
            Group::from_access(&fork, "invalid name!".into());
        assert!(invalid.is_ok());
        assert_eq!(fork.index_type("group"), None);
        assert_eq!(fork.index_type(("group", &1_u32)), None);
        let counter_before = common::pool_counter(&db.snapshot());
        db.merge(fork.into_patch()).unwrap();
        assert_eq!(common::pool_counter(&db.snapshot()), counter_before);
        let snapshot = db.snapshot();
        let group: Group<_, u32, ListIndex<_, u64>> = snapshot.get_group("group");
        assert_eq!(group.keys().count(), 0);
    }
}

#[test]
fn group_members_may_have_different_types_of_value() {
    let db = TestDb::temporary();
    let db = db.db();
    let fork = db.fork();
    let maps: Group<_, str, MapIndex<_, u8, String>> = fork.get_group("maps");
    maps.get("a").put(&1, "one".to_owned());
    maps.get("b").put(&2, "two".to_owned());
    let patch = fork.into_patch();
    let maps: Group<_, str, MapIndex<_, u8, String>> = (&patch).get_group("maps");
    assert_eq!(maps.keys().collect::<Vec<_>>(), vec!["a", "b"]);
    assert_eq!(maps.get("b").get(&2), Some("two".to_owned()));
}

#[test]
#[should_panic(expected = "MerkleDB error: Error accessing")]
fn opening_a_group_member_of_another_type_panics() {
    let db = TestDb::temporary();
    let fork = db.db().fork();
    fork.get_map::<_, u8, u8>(("group", &1_u32));
    let group: Group<_, u32, ListIndex<_, u64>> = fork.get_group("group");
    group.get(&1);
}

#[test]
#[should_panic(expected = "Multiple mutable borrows of an index")]
fn holding_two_instances_of_one_group_member_panics() {
    let db = TestDb::temporary();
    let fork = db.db().fork();
    let group: Group<_, u32, ListIndex<_, u64>> = fork.get_group("group");
    let _first = group.get(&1);
    let _second = group.get(&1);
}

#[test]
fn group_over_an_rc_fork_releases_the_fork_when_dropped() {
    let db = TestDb::temporary();
    let db = db.db();
    let fork = Rc::new(db.fork());
    {
        let group: Group<Rc<Fork>, u32, ListIndex<_, u64>> = fork.get_group("group");
        group.get(&1).push(1);
    }
    let fork = Rc::try_unwrap(fork).expect("groups release the fork when dropped");
    db.merge(fork.into_patch()).unwrap();
    assert_eq!(db.snapshot().get_list::<_, u64>(("group", &1_u32)).len(), 1);
}

#[derive(Debug, Clone)]
enum GroupAction {
    /// Creates the member (an empty list, or pushes to it).
    Touch(u16),
    Clear(u16),
    /// Creates a look-alike index that must never be listed.
    LookAlike(u16),
    FlushFork,
    RollbackFork,
    MergeFork,
    Reopen,
}

fn group_action() -> impl Strategy<Value = GroupAction> {
    let key = || prop_oneof![0_u16..8, Just(u16::MAX), Just(256_u16)];
    prop_oneof![
        6 => key().prop_map(GroupAction::Touch),
        1 => key().prop_map(GroupAction::Clear),
        2 => key().prop_map(GroupAction::LookAlike),
        2 => Just(GroupAction::FlushFork),
        2 => Just(GroupAction::RollbackFork),
        2 => Just(GroupAction::MergeFork),
        1 => Just(GroupAction::Reopen),
    ]
}

fn run_group_model(backend: Backend, actions: Vec<GroupAction>) {
    let mut model = ForkModel::new(TestDb::new(backend), BTreeSet::<u16>::new());
    for action in actions {
        match action {
            GroupAction::Touch(key) => {
                let group: Group<_, u16, ListIndex<_, u16>> = model.fork().get_group("group");
                group.get(&key).push(key);
                model.current.insert(key);
            }
            GroupAction::Clear(key) => {
                let group: Group<_, u16, ListIndex<_, u16>> = model.fork().get_group("group");
                group.get(&key).clear();
                // Clearing creates the member if needed, and keeps it.
                model.current.insert(key);
            }
            GroupAction::LookAlike(key) => {
                let fork = model.fork();
                fork.get_list(("grou", &key)).push(key);
                fork.get_list(("group_", &key)).push(key);
                fork.get_list(("group.x", &key)).push(key);
            }
            GroupAction::FlushFork => model.flush(),
            GroupAction::RollbackFork => model.rollback(),
            GroupAction::MergeFork => model.merge(),
            GroupAction::Reopen => model.reopen(),
        }

        let expected: Vec<u16> = model.current.iter().copied().collect();
        let group: Group<_, u16, ListIndex<_, u16>> = model.fork().readonly().get_group("group");
        assert_eq!(group.keys().collect::<Vec<_>>(), expected, "readonly fork");
        let snapshot = model.snapshot();
        let group: Group<_, u16, ListIndex<_, u16>> = snapshot.get_group("group");
        let merged: Vec<u16> = model.merged().iter().copied().collect();
        assert_eq!(group.keys().collect::<Vec<_>>(), merged, "snapshot");
    }
}

proptest! {
    #![proptest_config(proptest_config(64))]

    #[test]
    fn group_keys_match_created_members_on_temporary_db(actions in vec(group_action(), 1..40)) {
        run_group_model(Backend::Temporary, actions);
    }
}

proptest! {
    #![proptest_config(proptest_config(10))]

    #[test]
    fn group_keys_match_created_members_on_rocksdb(actions in vec(group_action(), 1..40)) {
        run_group_model(Backend::RocksDb, actions);
    }
}

#[test]
fn group_keys_cross_the_internal_buffer_boundary() {
    // Keys are buffered a thousand at a time; check sizes around the boundary, with
    // look-alike names right after the group in the pool.
    for count in [999_u32, 1_000, 1_001, 2_001] {
        let db = TemporaryDB::new();
        let fork = db.fork();
        {
            let group: Group<_, u32, Entry<_, ()>> = fork.get_group("group");
            for key in (0..count).rev() {
                group.get(&key);
            }
        }
        fork.get_entry::<_, ()>("group_");
        fork.get_entry::<_, ()>("group.inner");
        fork.get_entry::<_, ()>(("group_", &0_u32));
        let patch = fork.into_patch();
        let group: Group<_, u32, Entry<_, ()>> = (&patch).get_group("group");
        let keys: Vec<u32> = group.keys().collect();
        assert_eq!(keys, (0..count).collect::<Vec<_>>(), "{count} members");
    }
}

#[test]
#[should_panic(expected = "Invalid characters used in name")]
fn opening_a_member_of_a_group_with_an_invalid_name_panics() {
    let db = TemporaryDB::new();
    let fork = db.fork();
    let group: Group<_, u32, ListIndex<_, u64>> = fork.get_group("invalid name!");
    group.get(&1);
}
