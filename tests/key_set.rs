//! `KeySetIndex`: a model test against `BTreeSet` on both backends, and unsized keys.

mod common;

use std::collections::BTreeSet;

use metaldb::{
    access::{CopyAccessExt, RawAccess},
    indexes::IndexIterator,
    Database, IndexType, KeySetIndex, TemporaryDB,
};
use proptest::{collection::vec, prelude::*};

use common::{assert_yields, backends, proptest_config, Backend, ForkModel, TestDb};

#[derive(Debug, Clone)]
enum KeySetAction {
    Insert(Vec<u8>),
    Remove(Vec<u8>),
    Clear,
    FlushFork,
    RollbackFork,
    MergeFork,
    Reopen,
}

/// Short byte strings over a tiny alphabet, so that prefixes (and the empty key) are common.
fn item() -> impl Strategy<Value = Vec<u8>> + Clone {
    vec(0_u8..3, 0..3)
}

fn key_set_action() -> impl Strategy<Value = KeySetAction> {
    prop_oneof![
        8 => item().prop_map(KeySetAction::Insert),
        4 => item().prop_map(KeySetAction::Remove),
        1 => Just(KeySetAction::Clear),
        2 => Just(KeySetAction::FlushFork),
        2 => Just(KeySetAction::RollbackFork),
        2 => Just(KeySetAction::MergeFork),
        1 => Just(KeySetAction::Reopen),
    ]
}

fn check_key_set<T: RawAccess>(
    set: &KeySetIndex<T, [u8]>,
    model: &BTreeSet<Vec<u8>>,
    probe: &[u8],
) {
    let items: Vec<Vec<u8>> = model.iter().cloned().collect();
    assert_yields(set.iter(), &items, "iter");
    assert_yields(set, &items, "&KeySetIndex as IntoIterator");
    let with_units: Vec<(Vec<u8>, ())> = items.iter().map(|item| (item.clone(), ())).collect();
    assert_yields(set.index_iter(None), &with_units, "index_iter(None)");

    let tail: Vec<Vec<u8>> = model.range(probe.to_vec()..).cloned().collect();
    assert_yields(set.iter_from(probe), &tail, "iter_from");
    assert_yields(
        set.index_iter(Some(probe)).map(|(item, ())| item),
        &tail,
        "index_iter(Some)",
    );

    assert_eq!(
        set.contains(probe),
        model.contains(probe),
        "contains(probe)"
    );
    for item in model {
        assert!(set.contains(item), "contains({item:?})");
    }
}

fn run_key_set_model(backend: Backend, actions: Vec<(KeySetAction, Vec<u8>)>) {
    let db = TestDb::new(backend);
    // The set first, then a neighbour in its column family whose keys follow the set's key
    // space (its identifier is the next one).
    let fork = db.db().fork();
    fork.get_key_set::<_, [u8]>("set");
    fork.get_key_set::<_, [u8]>(("set", &0_u8)).insert(&[0][..]);
    db.db().merge(fork.into_patch()).unwrap();
    let mut model = ForkModel::new(db, BTreeSet::<Vec<u8>>::new());

    for (action, probe) in actions {
        match action {
            KeySetAction::Insert(item) => {
                model.fork().get_key_set::<_, [u8]>("set").insert(&item);
                model.current.insert(item);
            }
            KeySetAction::Remove(item) => {
                model.fork().get_key_set::<_, [u8]>("set").remove(&item);
                model.current.remove(&item);
            }
            KeySetAction::Clear => {
                model.fork().get_key_set::<_, [u8]>("set").clear();
                model.current.clear();
            }
            KeySetAction::FlushFork => model.flush(),
            KeySetAction::RollbackFork => model.rollback(),
            KeySetAction::MergeFork => model.merge(),
            KeySetAction::Reopen => model.reopen(),
        }

        let fork = model.fork();
        check_key_set(&fork.get_key_set("set"), &model.current, &probe);
        check_key_set(&fork.readonly().get_key_set("set"), &model.current, &probe);
        assert_eq!(
            fork.get_key_set::<_, [u8]>(("set", &0_u8))
                .iter()
                .collect::<Vec<_>>(),
            vec![vec![0]]
        );
        let snapshot = model.snapshot();
        check_key_set(&snapshot.get_key_set("set"), model.merged(), &probe);
    }
}

proptest! {
    #![proptest_config(proptest_config(64))]

    #[test]
    fn key_set_matches_btree_set_on_temporary_db(
        actions in vec((key_set_action(), item()), 1..40),
    ) {
        run_key_set_model(Backend::Temporary, actions);
    }
}

proptest! {
    #![proptest_config(proptest_config(12))]

    #[test]
    fn key_set_matches_btree_set_on_rocksdb(
        actions in vec((key_set_action(), item()), 1..40),
    ) {
        run_key_set_model(Backend::RocksDb, actions);
    }
}

#[test]
fn key_set_with_str_keys_iterates_in_byte_order() {
    for db in backends() {
        let db = db.db();
        let fork = db.fork();
        {
            let mut set = fork.get_key_set::<_, str>("set");
            for item in ["foo", "bar", "", "fo", "baz"] {
                set.insert(item);
            }
            set.remove("bar");
            set.remove("missing");
        }
        db.merge(fork.into_patch()).unwrap();
        let snapshot = db.snapshot();
        let set = snapshot.get_key_set::<_, str>("set");
        assert_eq!(set.iter().collect::<Vec<_>>(), vec!["", "baz", "fo", "foo"]);
        assert_eq!(set.iter_from("fo").collect::<Vec<_>>(), vec!["fo", "foo"]);
        assert!(set.contains(""));
        assert!(!set.contains("bar"));
    }
}

#[test]
fn key_set_stores_items_with_empty_values() {
    let db = TemporaryDB::new();
    let fork = db.fork();
    fork.get_key_set::<_, u16>("set").insert(&0x0102);
    let patch = fork.into_patch();
    let id = metaldb::access::Access::get_index_metadata(&patch, "set".into())
        .unwrap()
        .unwrap()
        .identifier();
    let address = metaldb::ResolvedAddress {
        name: "set".to_owned(),
        id: Some(id),
    };
    assert_eq!(
        common::raw_entries(&patch, &address),
        vec![(vec![1, 2], vec![])]
    );
}

#[test]
fn clearing_a_key_set_keeps_its_type() {
    for db in backends() {
        let db = db.db();
        let fork = db.fork();
        fork.get_key_set::<_, u8>("set").insert(&1);
        db.merge(fork.into_patch()).unwrap();
        let fork = db.fork();
        fork.get_key_set::<_, u8>("set").clear();
        db.merge(fork.into_patch()).unwrap();
        let snapshot = db.snapshot();
        assert_eq!(snapshot.index_type("set"), Some(IndexType::KeySet));
        assert_eq!(snapshot.get_key_set::<_, u8>("set").iter().count(), 0);
    }
}

#[test]
fn clear_flush_and_removal_of_a_missing_key_leave_an_empty_finite_iteration() {
    // Regression guard from upstream: a delete of a key missing from a cleared, flushed view
    // once made the merge iterator loop forever.
    let db = TemporaryDB::new();
    let fork = db.fork();
    fork.get_key_set::<_, u8>("set").insert(&1);
    db.merge(fork.into_patch()).unwrap();

    let mut fork = db.fork();
    fork.get_key_set::<_, u8>("set").clear();
    fork.flush();
    fork.get_key_set::<_, u8>("set").remove(&2);
    fork.flush();
    assert_eq!(fork.get_key_set::<_, u8>("set").iter().count(), 0);
    let patch = fork.into_patch();
    assert_eq!((&patch).get_key_set::<_, u8>("set").iter().count(), 0);
    db.merge(patch).unwrap();
    assert_eq!(db.snapshot().get_key_set::<_, u8>("set").iter().count(), 0);
}
