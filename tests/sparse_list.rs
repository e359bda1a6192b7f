//! `SparseListIndex`: a model test against `BTreeMap<u64, V>` plus a capacity on both
//! backends, and the quirks of spec §11.3 and §19.9.

mod common;

use std::collections::BTreeMap;

use metaldb::{
    access::{Access, CopyAccessExt, RawAccess},
    indexes::IndexIterator,
    BinaryValue, Database, IndexType, SparseListIndex, TemporaryDB,
};
use proptest::{collection::vec, prelude::*};

use common::{
    assert_yields, backends, model_entries, model_range, proptest_config, Backend, ForkModel,
    TestDb,
};

#[derive(Debug, Clone)]
enum SparseAction {
    Push(u32),
    Set(u64, u32),
    Remove(u64),
    Pop,
    Extend(Vec<u32>),
    Clear,
    FlushFork,
    RollbackFork,
    MergeFork,
    Reopen,
}

fn sparse_action() -> impl Strategy<Value = SparseAction> {
    prop_oneof![
        4 => any::<u32>().prop_map(SparseAction::Push),
        4 => (0_u64..12, any::<u32>()).prop_map(|(index, value)| SparseAction::Set(index, value)),
        4 => (0_u64..14).prop_map(SparseAction::Remove),
        2 => Just(SparseAction::Pop),
        2 => vec(any::<u32>(), 0..4).prop_map(SparseAction::Extend),
        1 => Just(SparseAction::Clear),
        2 => Just(SparseAction::FlushFork),
        2 => Just(SparseAction::RollbackFork),
        2 => Just(SparseAction::MergeFork),
        1 => Just(SparseAction::Reopen),
    ]
}

/// The reference model: the present elements and the capacity (one past the highest position
/// ever used; it shrinks only on `clear`).
#[derive(Debug, Clone, Default)]
struct SparseModel {
    items: BTreeMap<u64, u32>,
    capacity: u64,
}

impl SparseModel {
    fn push(&mut self, value: u32) {
        self.items.insert(self.capacity, value);
        self.capacity += 1;
    }

    fn set(&mut self, index: u64, value: u32) -> Option<u32> {
        let old = self.items.insert(index, value);
        if old.is_none() && index >= self.capacity {
            self.capacity = index + 1;
        }
        old
    }

    fn remove(&mut self, index: u64) -> Option<u32> {
        if index >= self.capacity {
            return None;
        }
        self.items.remove(&index)
    }

    fn pop(&mut self) -> Option<u32> {
        self.items.pop_first().map(|(_, value)| value)
    }

    fn clear(&mut self) {
        *self = Self::default();
    }
}

fn check_sparse_list<T: RawAccess>(
    list: &SparseListIndex<T, u32>,
    model: &SparseModel,
    probe: u64,
) {
    assert_eq!(list.capacity(), model.capacity, "capacity");
    assert_eq!(list.len(), model.items.len() as u64, "len");
    assert_eq!(list.is_empty(), model.items.is_empty(), "is_empty");
    for index in 0..model.capacity + 2 {
        assert_eq!(
            list.get(index),
            model.items.get(&index).copied(),
            "get({index})"
        );
    }
    let expected: Vec<Option<u32>> = (0..model.capacity + 2)
        .map(|index| model.items.get(&index).copied())
        .collect();
    assert_eq!(list.multi_get(0..model.capacity + 2), expected, "multi_get");

    let entries = model_entries(&model.items);
    assert_yields(list.iter(), &entries, "iter");
    assert_yields(list, &entries, "&SparseListIndex as IntoIterator");
    assert_yields(list.index_iter(None), &entries, "index_iter(None)");
    assert_yields(
        list.indexes(),
        &model.items.keys().copied().collect::<Vec<_>>(),
        "indexes",
    );
    assert_yields(
        list.values(),
        &model.items.values().copied().collect::<Vec<_>>(),
        "values",
    );
    let tail = model_range(&model.items, &probe);
    assert_yields(list.iter_from(probe), &tail, "iter_from");
    assert_yields(list.index_iter(Some(&probe)), &tail, "index_iter(Some)");
}

fn run_sparse_model(backend: Backend, actions: Vec<(SparseAction, u64)>) {
    let db = TestDb::new(backend);
    let address = ("sparse", &7_u32);
    // The list first, then a neighbour whose keys follow the list's key space.
    let fork = db.db().fork();
    fork.get_sparse_list::<_, u32>(address);
    fork.get_sparse_list(("sparse", &8_u32)).set(3, 33_u32);
    db.db().merge(fork.into_patch()).unwrap();
    let mut model = ForkModel::new(db, SparseModel::default());

    for (action, probe) in actions {
        match action {
            SparseAction::Push(value) => {
                model.fork().get_sparse_list(address).push(value);
                model.current.push(value);
            }
            SparseAction::Set(index, value) => {
                let old = model.fork().get_sparse_list(address).set(index, value);
                assert_eq!(old, model.current.set(index, value), "set");
            }
            SparseAction::Remove(index) => {
                let removed = model
                    .fork()
                    .get_sparse_list::<_, u32>(address)
                    .remove(index);
                assert_eq!(removed, model.current.remove(index), "remove");
            }
            SparseAction::Pop => {
                let popped = model.fork().get_sparse_list::<_, u32>(address).pop();
                assert_eq!(popped, model.current.pop(), "pop");
            }
            SparseAction::Extend(values) => {
                model
                    .fork()
                    .get_sparse_list(address)
                    .extend(values.iter().copied());
                for value in values {
                    model.current.push(value);
                }
            }
            SparseAction::Clear => {
                model.fork().get_sparse_list::<_, u32>(address).clear();
                model.current.clear();
            }
            SparseAction::FlushFork => model.flush(),
            SparseAction::RollbackFork => model.rollback(),
            SparseAction::MergeFork => model.merge(),
            SparseAction::Reopen => model.reopen(),
        }

        let fork = model.fork();
        check_sparse_list(&fork.get_sparse_list(address), &model.current, probe);
        check_sparse_list(
            &fork.readonly().get_sparse_list(address),
            &model.current,
            probe,
        );
        assert_eq!(
            fork.get_sparse_list::<_, u32>(("sparse", &8_u32))
                .iter()
                .collect::<Vec<_>>(),
            vec![(3, 33)]
        );
        let snapshot = model.snapshot();
        check_sparse_list(&snapshot.get_sparse_list(address), model.merged(), probe);
    }
}

proptest! {
    #![proptest_config(proptest_config(64))]

    #[test]
    fn sparse_list_matches_btree_model_on_temporary_db(
        actions in vec((sparse_action(), 0_u64..14), 1..40),
    ) {
        run_sparse_model(Backend::Temporary, actions);
    }
}

proptest! {
    #![proptest_config(proptest_config(12))]

    #[test]
    fn sparse_list_matches_btree_model_on_rocksdb(
        actions in vec((sparse_action(), 0_u64..14), 1..40),
    ) {
        run_sparse_model(Backend::RocksDb, actions);
    }
}

#[test]
fn pop_takes_the_first_element_and_keeps_the_capacity() {
    for db in backends() {
        let fork = db.db().fork();
        let mut list = fork.get_sparse_list("list");
        list.extend(vec![1_u32, 2, 3]);
        assert_eq!(list.remove(0), Some(1));
        assert_eq!(list.pop(), Some(2));
        assert_eq!(list.capacity(), 3);
        assert_eq!(list.len(), 1);
        assert_eq!(list.pop(), Some(3));
        assert_eq!(list.pop(), None);
        assert_eq!(list.capacity(), 3);
        assert!(list.is_empty());
        list.push(4);
        assert_eq!(list.iter().collect::<Vec<_>>(), vec![(3, 4)]);
    }
}

#[test]
fn setting_an_empty_slot_grows_the_capacity_and_replacing_does_not() {
    let db = TemporaryDB::new();
    let fork = db.fork();
    {
        let mut list = fork.get_sparse_list("list");
        assert_eq!(list.set(42, 1_u32), None);
        assert_eq!(list.capacity(), 43);
        assert_eq!(list.len(), 1);
        assert_eq!(list.set(42, 2), Some(1));
        assert_eq!(list.capacity(), 43);
        assert_eq!(list.len(), 1);
        // A slot below the capacity: the length grows, the capacity stays.
        assert_eq!(list.set(3, 3), None);
        assert_eq!(list.capacity(), 43);
        assert_eq!(list.len(), 2);
        list.push(4);
        assert_eq!(list.indexes().collect::<Vec<_>>(), vec![3, 42, 43]);
    }
    // The metadata holds the state as in spec §7.4: capacity 44 (after the push), then the
    // length, 2 once the element at 3 is removed.
    fork.get_sparse_list::<_, u32>("list").remove(3);
    let metadata = fork.get_index_metadata("list".into()).unwrap().unwrap();
    let id = metadata.identifier().get();
    let expected = [
        id.to_le_bytes().to_vec(),
        vec![6, 0, 0, 0, 0, 0, 0, 0, 16, 0, 0, 0],
        44_u64.to_le_bytes().to_vec(),
        2_u64.to_le_bytes().to_vec(),
    ]
    .concat();
    assert_eq!(metadata.to_bytes(), expected);
}

#[test]
fn removing_past_the_capacity_returns_none_without_reading_the_data() {
    for db in backends() {
        let db = db.db();
        let fork = db.fork();
        fork.get_sparse_list::<_, u32>("list");
        db.merge(fork.into_patch()).unwrap();

        // Two forks of the same state: the second one's metadata wins, the data of both stays.
        let (first, second) = (db.fork(), db.fork());
        first.get_sparse_list("list").set(5, 50_u32);
        second.get_sparse_list("list").push(0_u32);
        db.merge(first.into_patch()).unwrap();
        db.merge(second.into_patch()).unwrap();

        let fork = db.fork();
        let mut list = fork.get_sparse_list::<_, u32>("list");
        assert_eq!(list.capacity(), 1);
        assert_eq!(list.get(5), Some(50));
        assert_eq!(list.remove(5), None);
        assert_eq!(list.get(5), Some(50));
        assert_eq!(list.remove(u64::MAX), None);
    }
}

#[test]
fn clearing_a_sparse_list_resets_capacity_and_keeps_its_type() {
    for db in backends() {
        let db = db.db();
        let fork = db.fork();
        fork.get_sparse_list("list").set(9, 1_u32);
        db.merge(fork.into_patch()).unwrap();

        let fork = db.fork();
        {
            let mut list = fork.get_sparse_list::<_, u32>("list");
            assert_eq!(list.capacity(), 10);
            list.clear();
            assert_eq!(list.capacity(), 0);
            assert_eq!(list.len(), 0);
            assert_eq!(list.get(9), None);
        }
        let metadata = fork.get_index_metadata("list".into()).unwrap().unwrap();
        assert_eq!(metadata.to_bytes().len(), 12, "clear removes the state");
        db.merge(fork.into_patch()).unwrap();

        let snapshot = db.snapshot();
        assert_eq!(snapshot.index_type("list"), Some(IndexType::SparseList));
        let list = snapshot.get_sparse_list::<_, u32>("list");
        assert_eq!(list.capacity(), 0);
        assert_eq!(list.iter().count(), 0);
    }
}

#[test]
fn sparse_list_iterates_from_a_position_among_gaps() {
    let db = TemporaryDB::new();
    let fork = db.fork();
    let mut list = fork.get_sparse_list("list");
    list.extend(vec![0_u32, 1, 2, 3, 4, 5, 6, 7, 8]);
    for index in [1, 2, 5, 6] {
        list.remove(index);
    }
    assert_eq!(list.indexes().collect::<Vec<_>>(), vec![0, 3, 4, 7, 8]);
    assert_eq!(list.values().collect::<Vec<_>>(), vec![0, 3, 4, 7, 8]);
    assert_eq!(list.iter_from(5).collect::<Vec<_>>(), vec![(7, 7), (8, 8)]);
    assert_eq!(list.iter_from(9).count(), 0);
}

#[test]
fn sparse_list_created_but_left_empty_reads_as_empty_through_a_readonly_fork() {
    let db = TemporaryDB::new();
    let fork = db.fork();
    fork.get_sparse_list::<_, u32>("list");
    db.merge(fork.into_patch()).unwrap();
    let fork = db.fork();
    let list = fork.readonly().get_sparse_list::<_, u32>("list");
    assert!(list.is_empty());
    assert_eq!(list.capacity(), 0);
    assert_eq!(list.iter().count(), 0);
}
