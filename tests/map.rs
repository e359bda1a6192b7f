//! `MapIndex`: a model test against `BTreeMap` on both backends, and the quirks of spec §11.4.

mod common;

use std::{collections::BTreeMap, fmt::Debug};

use metaldb::{
    access::{Access, CopyAccessExt, RawAccess},
    indexes::IndexIterator,
    BinaryKey, Database, IndexAddress, IndexType, MapIndex, TemporaryDB,
};
use proptest::{collection::vec, prelude::*};

use common::{
    assert_yields, backends, model_entries, model_range, proptest_config, Backend, ForkModel,
    TestDb,
};

#[derive(Debug, Clone)]
enum MapAction<K> {
    Put(K, u64),
    Remove(K),
    Clear,
    FlushFork,
    RollbackFork,
    MergeFork,
    Reopen,
}

fn map_action<K: Debug + Clone>(
    key: impl Strategy<Value = K> + Clone,
) -> impl Strategy<Value = MapAction<K>> {
    prop_oneof![
        8 => (key.clone(), any::<u64>()).prop_map(|(key, value)| MapAction::Put(key, value)),
        4 => key.prop_map(MapAction::Remove),
        1 => Just(MapAction::Clear),
        2 => Just(MapAction::FlushFork),
        2 => Just(MapAction::RollbackFork),
        2 => Just(MapAction::MergeFork),
        1 => Just(MapAction::Reopen),
    ]
}

/// The address of the map under test: a plain index or a group member. Either way it shares
/// its column family with two neighbours (`("map", 0)` and `("map", 2)`), which must never
/// change. The map is created first, so that the neighbours' identifiers follow its own and
/// their keys come right after the map's key space.
fn map_address(in_group: bool) -> IndexAddress {
    if in_group {
        ("map", &1_u8).into()
    } else {
        "map".into()
    }
}

fn create_map_and_neighbours<K>(db: &TestDb, address: &IndexAddress)
where
    K: BinaryKey<Owned = K> + Ord + Clone + Debug,
{
    let fork = db.db().fork();
    fork.get_map::<_, K, u64>(address.clone());
    fork.get_entry(("map", &0_u8)).set(10_u64);
    fork.get_entry(("map", &2_u8)).set(20_u64);
    db.db().merge(fork.into_patch()).unwrap();
}

fn check_neighbours<T: RawAccess + Copy>(access: T) {
    assert_eq!(access.get_entry::<_, u64>(("map", &0_u8)).get(), Some(10));
    assert_eq!(access.get_entry::<_, u64>(("map", &2_u8)).get(), Some(20));
}

/// Compares every read method of `map` with `model`.
fn check_map<T, K>(map: &MapIndex<T, K, u64>, model: &BTreeMap<K, u64>, probe: &K)
where
    T: RawAccess,
    K: BinaryKey<Owned = K> + Ord + Clone + Debug,
{
    let entries = model_entries(model);
    assert_yields(map.iter(), &entries, "iter");
    assert_yields(map, &entries, "&MapIndex as IntoIterator");
    assert_yields(map.index_iter(None), &entries, "index_iter(None)");
    assert_yields(
        map.keys(),
        &model.keys().cloned().collect::<Vec<_>>(),
        "keys",
    );
    assert_yields(
        map.values(),
        &model.values().copied().collect::<Vec<_>>(),
        "values",
    );

    let tail = model_range(model, probe);
    assert_yields(map.iter_from(probe), &tail, "iter_from");
    assert_yields(map.index_iter(Some(probe)), &tail, "index_iter(Some)");
    assert_yields(
        map.keys_from(probe),
        &tail.iter().map(|(key, _)| key.clone()).collect::<Vec<_>>(),
        "keys_from",
    );
    assert_yields(
        map.values_from(probe),
        &tail.iter().map(|(_, value)| *value).collect::<Vec<_>>(),
        "values_from",
    );

    assert_eq!(map.get(probe), model.get(probe).copied(), "get(probe)");
    assert_eq!(map.contains(probe), model.contains_key(probe), "contains");
    for (key, value) in model {
        assert_eq!(map.get(key), Some(*value), "get({key:?})");
    }
    let mut keys: Vec<K> = model.keys().cloned().collect();
    keys.push(probe.clone());
    let expected: Vec<_> = keys.iter().map(|key| model.get(key).copied()).collect();
    assert_eq!(map.multi_get(keys.iter()), expected, "multi_get");
}

fn run_map_model<K>(backend: Backend, in_group: bool, actions: Vec<(MapAction<K>, K)>)
where
    K: BinaryKey<Owned = K> + Ord + Clone + Debug,
{
    let db = TestDb::new(backend);
    let address = map_address(in_group);
    create_map_and_neighbours::<K>(&db, &address);
    let mut model = ForkModel::new(db, BTreeMap::<K, u64>::new());

    for (action, probe) in actions {
        match action {
            MapAction::Put(key, value) => {
                model
                    .fork()
                    .get_map::<_, K, u64>(address.clone())
                    .put(&key, value);
                model.current.insert(key, value);
            }
            MapAction::Remove(key) => {
                model
                    .fork()
                    .get_map::<_, K, u64>(address.clone())
                    .remove(&key);
                model.current.remove(&key);
            }
            MapAction::Clear => {
                model.fork().get_map::<_, K, u64>(address.clone()).clear();
                model.current.clear();
            }
            MapAction::FlushFork => model.flush(),
            MapAction::RollbackFork => model.rollback(),
            MapAction::MergeFork => model.merge(),
            MapAction::Reopen => model.reopen(),
        }

        let fork = model.fork();
        check_map(
            &fork.get_map::<_, K, u64>(address.clone()),
            &model.current,
            &probe,
        );
        check_map(
            &fork.readonly().get_map::<_, K, u64>(address.clone()),
            &model.current,
            &probe,
        );
        check_neighbours(fork);
        let snapshot = model.snapshot();
        check_map(
            &snapshot.get_map::<_, K, u64>(address.clone()),
            model.merged(),
            &probe,
        );
        check_neighbours(&snapshot);
    }
}

fn int_key() -> impl Strategy<Value = i32> + Clone {
    -6_i32..6
}

fn bytes_key() -> impl Strategy<Value = Vec<u8>> + Clone {
    vec(0_u8..3, 0..3)
}

proptest! {
    #![proptest_config(proptest_config(64))]

    #[test]
    fn map_with_int_keys_matches_btree_map_on_temporary_db(
        in_group in any::<bool>(),
        actions in vec((map_action(int_key()), int_key()), 1..40),
    ) {
        run_map_model(Backend::Temporary, in_group, actions);
    }

    #[test]
    fn map_with_byte_keys_matches_btree_map_on_temporary_db(
        in_group in any::<bool>(),
        actions in vec((map_action(bytes_key()), bytes_key()), 1..40),
    ) {
        run_map_model(Backend::Temporary, in_group, actions);
    }
}

proptest! {
    #![proptest_config(proptest_config(8))]

    #[test]
    fn map_with_int_keys_matches_btree_map_on_rocksdb(
        in_group in any::<bool>(),
        actions in vec((map_action(int_key()), int_key()), 1..40),
    ) {
        run_map_model(Backend::RocksDb, in_group, actions);
    }

    #[test]
    fn map_with_byte_keys_matches_btree_map_on_rocksdb(
        in_group in any::<bool>(),
        actions in vec((map_action(bytes_key()), bytes_key()), 1..40),
    ) {
        run_map_model(Backend::RocksDb, in_group, actions);
    }
}

#[test]
fn map_iterates_in_encoded_key_order() {
    for db in backends() {
        let db = db.db();
        let fork = db.fork();
        {
            let mut map = fork.get_map::<_, i32, u8>("ints");
            for key in [5, -1, 0, i32::MIN, i32::MAX, -300] {
                map.put(&key, 1);
            }
            let mut strings = fork.get_map::<_, str, u8>("strings");
            for key in ["b", "", "ab", "a", "ba"] {
                strings.put(key, 1);
            }
        }
        db.merge(fork.into_patch()).unwrap();
        let snapshot = db.snapshot();
        let keys: Vec<i32> = snapshot.get_map::<_, i32, u8>("ints").keys().collect();
        assert_eq!(keys, vec![i32::MIN, -300, -1, 0, 5, i32::MAX]);
        let from_minus_one: Vec<i32> = snapshot
            .get_map::<_, i32, u8>("ints")
            .keys_from(&-1)
            .collect();
        assert_eq!(from_minus_one, vec![-1, 0, 5, i32::MAX]);
        let strings: Vec<String> = snapshot.get_map::<_, str, u8>("strings").keys().collect();
        assert_eq!(strings, vec!["", "a", "ab", "b", "ba"]);
    }
}

#[test]
fn map_written_with_string_keys_reads_with_str_keys() {
    let db = TemporaryDB::new();
    let fork = db.fork();
    fork.get_map::<_, String, u64>("x").put(&"!".to_owned(), 1);
    assert_eq!(fork.get_map::<_, str, u64>("x").get("!"), Some(1));
    let mut bytes = fork.get_map::<_, [u8], u64>("x");
    assert_eq!(bytes.get(b"!"), Some(1));
    bytes.put(b"?", 2);
    drop(bytes);
    let map = fork.get_map::<_, str, u64>("x");
    assert_eq!(
        map.iter().collect::<Vec<_>>(),
        vec![("!".to_owned(), 1), ("?".to_owned(), 2)]
    );
}

#[test]
fn removing_a_missing_key_changes_nothing() {
    for db in backends() {
        let db = db.db();
        let fork = db.fork();
        fork.get_map::<_, u8, u8>("map").put(&1, 1);
        db.merge(fork.into_patch()).unwrap();

        let fork = db.fork();
        fork.get_map::<_, u8, u8>("map").remove(&2);
        db.merge(fork.into_patch()).unwrap();
        let snapshot = db.snapshot();
        let map = snapshot.get_map::<_, u8, u8>("map");
        assert_eq!(map.iter().collect::<Vec<_>>(), vec![(1, 1)]);
        assert!(!map.contains(&2));
    }
}

#[test]
fn clearing_a_map_keeps_its_type_and_identifier() {
    for db in backends() {
        let db = db.db();
        let fork = db.fork();
        fork.get_map::<_, u8, u8>("map").put(&1, 1);
        db.merge(fork.into_patch()).unwrap();
        let id_before = db
            .snapshot()
            .as_ref()
            .get_index_metadata("map".into())
            .unwrap()
            .unwrap()
            .identifier();

        let fork = db.fork();
        {
            let mut map = fork.get_map::<_, u8, u8>("map");
            map.clear();
            assert_eq!(map.iter().count(), 0);
            map.put(&2, 2);
        }
        db.merge(fork.into_patch()).unwrap();

        let snapshot = db.snapshot();
        assert_eq!(snapshot.index_type("map"), Some(IndexType::Map));
        let metadata = snapshot
            .as_ref()
            .get_index_metadata("map".into())
            .unwrap()
            .unwrap();
        assert_eq!(metadata.identifier(), id_before);
        assert_eq!(
            snapshot
                .get_map::<_, u8, u8>("map")
                .iter()
                .collect::<Vec<_>>(),
            vec![(2, 2)]
        );
    }
}

#[test]
fn map_in_group_and_plain_map_of_same_name_are_independent() {
    for db in backends() {
        let db = db.db();
        let fork = db.fork();
        fork.get_map::<_, u8, u8>("map").put(&1, 1);
        fork.get_map::<_, u8, u8>(("map", &1_u8)).put(&1, 2);
        fork.get_map::<_, u8, u8>(("map", &1_u8)).clear();
        db.merge(fork.into_patch()).unwrap();
        let snapshot = db.snapshot();
        assert_eq!(snapshot.get_map::<_, u8, u8>("map").get(&1), Some(1));
        assert_eq!(
            snapshot.get_map::<_, u8, u8>(("map", &1_u8)).iter().count(),
            0
        );
    }
}

#[test]
fn map_iterators_are_fused() {
    let db = TemporaryDB::new();
    let fork = db.fork();
    let mut map = fork.get_map::<_, u8, u8>("map");
    map.put(&1, 1);
    let mut iter = map.iter();
    assert_eq!(iter.next(), Some((1, 1)));
    assert_eq!(iter.next(), None);
    assert_eq!(iter.next(), None);
}

#[test]
fn map_entries_skip_values_and_keys() {
    let db = TemporaryDB::new();
    let fork = db.fork();
    let mut map = fork.get_map::<_, u8, String>("map");
    map.put(&1, "one".to_owned());
    map.put(&2, "two".to_owned());
    assert_eq!(map.iter().skip_values().collect::<Vec<_>>(), vec![1, 2]);
    assert_eq!(
        map.iter_from(&2).skip_keys().collect::<Vec<_>>(),
        vec!["two".to_owned()]
    );
}
