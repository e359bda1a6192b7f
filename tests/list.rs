//! `ListIndex`: a model test against `Vec` on both backends, and the quirks of spec §11.2 and
//! §19.8 (the length lives in the metadata, not in the data).

mod common;

use metaldb::{
    access::{Access, CopyAccessExt, RawAccess},
    indexes::IndexIterator,
    BinaryValue, Database, IndexAddress, IndexType, ListIndex, TemporaryDB,
};
use proptest::{collection::vec, prelude::*};

use common::{assert_yields, backends, proptest_config, Backend, ForkModel, TestDb};

#[derive(Debug, Clone)]
enum ListAction {
    Push(u32),
    Pop,
    /// Sets the element at `index % len` (skipped on an empty list).
    Set(u64, u32),
    Extend(Vec<u32>),
    Truncate(u64),
    Clear,
    FlushFork,
    RollbackFork,
    MergeFork,
    Reopen,
}

fn list_action() -> impl Strategy<Value = ListAction> {
    prop_oneof![
        6 => any::<u32>().prop_map(ListAction::Push),
        3 => Just(ListAction::Pop),
        3 => (any::<u64>(), any::<u32>()).prop_map(|(index, value)| ListAction::Set(index, value)),
        3 => vec(any::<u32>(), 0..4).prop_map(ListAction::Extend),
        2 => (0_u64..6).prop_map(ListAction::Truncate),
        1 => Just(ListAction::Clear),
        2 => Just(ListAction::FlushFork),
        2 => Just(ListAction::RollbackFork),
        2 => Just(ListAction::MergeFork),
        1 => Just(ListAction::Reopen),
    ]
}

fn list_address(in_group: bool) -> IndexAddress {
    if in_group {
        ("list", &1_u8).into()
    } else {
        "list".into()
    }
}

/// Creates the list under test, then neighbours in its column family, which must never
/// change. Their identifiers follow the list's, so their keys come right after its key space.
fn create_list_and_neighbours(db: &TestDb, address: &IndexAddress) {
    let fork = db.db().fork();
    fork.get_list::<_, u32>(address.clone());
    fork.get_list(("list", &0_u8)).extend(vec![10_u32, 11]);
    fork.get_list(("list", &2_u8)).push(20_u32);
    db.db().merge(fork.into_patch()).unwrap();
}

fn check_neighbours<T: RawAccess + Copy>(access: T) {
    let first = access.get_list::<_, u32>(("list", &0_u8));
    assert_eq!(first.iter().collect::<Vec<_>>(), vec![10, 11]);
    assert_eq!(first.len(), 2);
    let second = access.get_list::<_, u32>(("list", &2_u8));
    assert_eq!(second.iter().collect::<Vec<_>>(), vec![20]);
}

fn check_list<T: RawAccess>(list: &ListIndex<T, u32>, model: &[u32], probe: u64) {
    let len = model.len() as u64;
    assert_eq!(list.len(), len, "len");
    assert_eq!(list.is_empty(), model.is_empty(), "is_empty");
    assert_eq!(list.last(), model.last().copied(), "last");
    for (index, value) in model.iter().enumerate() {
        assert_eq!(list.get(index as u64), Some(*value), "get({index})");
    }
    assert_eq!(list.get(len), None, "get(len)");
    assert_eq!(
        list.get(probe),
        model.get(probe as usize).copied(),
        "get(probe)"
    );

    assert_yields(list.iter(), model, "iter");
    assert_yields(list, model, "&ListIndex as IntoIterator");
    let tail: Vec<u32> = model.iter().skip(probe as usize).copied().collect();
    assert_yields(list.iter_from(probe), &tail, "iter_from");
    let indexed: Vec<(u64, u32)> = model
        .iter()
        .enumerate()
        .skip(probe as usize)
        .map(|(index, value)| (index as u64, *value))
        .collect();
    assert_yields(list.index_iter(Some(&probe)), &indexed, "index_iter");

    let expected: Vec<Option<u32>> = (0..len + 2)
        .map(|index| model.get(index as usize).copied())
        .collect();
    assert_eq!(list.multi_get(0..len + 2), expected, "multi_get");
}

fn run_list_model(backend: Backend, in_group: bool, actions: Vec<(ListAction, u64)>) {
    let db = TestDb::new(backend);
    let address = list_address(in_group);
    create_list_and_neighbours(&db, &address);
    let mut model = ForkModel::new(db, Vec::<u32>::new());

    for (action, probe) in actions {
        match action {
            ListAction::Push(value) => {
                model.fork().get_list(address.clone()).push(value);
                model.current.push(value);
            }
            ListAction::Pop => {
                let popped = model.fork().get_list::<_, u32>(address.clone()).pop();
                assert_eq!(popped, model.current.pop(), "pop");
            }
            ListAction::Set(index, value) => {
                if !model.current.is_empty() {
                    let index = index % model.current.len() as u64;
                    model.fork().get_list(address.clone()).set(index, value);
                    model.current[index as usize] = value;
                }
            }
            ListAction::Extend(values) => {
                model
                    .fork()
                    .get_list(address.clone())
                    .extend(values.iter().copied());
                model.current.extend(values);
            }
            ListAction::Truncate(len) => {
                model
                    .fork()
                    .get_list::<_, u32>(address.clone())
                    .truncate(len);
                model.current.truncate(len as usize);
            }
            ListAction::Clear => {
                model.fork().get_list::<_, u32>(address.clone()).clear();
                model.current.clear();
            }
            ListAction::FlushFork => model.flush(),
            ListAction::RollbackFork => model.rollback(),
            ListAction::MergeFork => model.merge(),
            ListAction::Reopen => model.reopen(),
        }

        let fork = model.fork();
        check_list(&fork.get_list(address.clone()), &model.current, probe);
        check_list(
            &fork.readonly().get_list(address.clone()),
            &model.current,
            probe,
        );
        check_neighbours(fork);
        let snapshot = model.snapshot();
        check_list(&snapshot.get_list(address.clone()), model.merged(), probe);
        check_neighbours(&snapshot);
    }
}

proptest! {
    #![proptest_config(proptest_config(64))]

    #[test]
    fn list_matches_vec_on_temporary_db(
        in_group in any::<bool>(),
        actions in vec((list_action(), 0_u64..8), 1..40),
    ) {
        run_list_model(Backend::Temporary, in_group, actions);
    }
}

proptest! {
    #![proptest_config(proptest_config(12))]

    #[test]
    fn list_matches_vec_on_rocksdb(
        in_group in any::<bool>(),
        actions in vec((list_action(), 0_u64..8), 1..40),
    ) {
        run_list_model(Backend::RocksDb, in_group, actions);
    }
}

/// Reads the raw metadata bytes of an index, as stored in the pool.
fn metadata_bytes<T: Access>(access: T, address: &str) -> Vec<u8> {
    access
        .get_index_metadata(address.into())
        .unwrap()
        .expect("index exists")
        .to_bytes()
}

#[test]
fn list_length_lives_in_metadata_so_overlapping_forks_disagree_with_the_data() {
    for db in backends() {
        let db = db.db();
        // Create the list first, so that both forks share one identifier.
        let fork = db.fork();
        fork.get_list::<_, u32>("list");
        db.merge(fork.into_patch()).unwrap();

        let (first, second) = (db.fork(), db.fork());
        first.get_list("list").extend(vec![1_u32, 2, 3]);
        second.get_list("list").push(4_u32);
        db.merge(first.into_patch()).unwrap();
        db.merge(second.into_patch()).unwrap();

        let snapshot = db.snapshot();
        let list = snapshot.get_list::<_, u32>("list");
        assert_eq!(list.len(), 1);
        assert_eq!(list.last(), Some(4));
        // `get` and `iter` do not look at the length.
        assert_eq!(list.get(2), Some(3));
        assert_eq!(list.iter().collect::<Vec<_>>(), vec![4, 2, 3]);
        assert_eq!(list.multi_get(0..3), vec![Some(4), Some(2), Some(3)]);
    }
}

#[test]
fn list_length_is_metadata_state_and_clear_removes_it() {
    let db = TemporaryDB::new();
    let fork = db.fork();
    fork.get_list::<_, u32>("list");
    let id = fork
        .get_index_metadata("list".into())
        .unwrap()
        .unwrap()
        .identifier()
        .get();
    let header = [id.to_le_bytes().to_vec(), vec![2, 0, 0, 0]].concat();
    // Right after creation: no state at all.
    assert_eq!(metadata_bytes(&fork, "list"), header);

    fork.get_list("list").extend(vec![7_u32, 8, 9]);
    let with_len = |len: u64| {
        [
            header.clone(),
            vec![0, 0, 0, 0, 8, 0, 0, 0],
            len.to_le_bytes().to_vec(),
        ]
        .concat()
    };
    assert_eq!(metadata_bytes(&fork, "list"), with_len(3));

    fork.get_list::<_, u32>("list").pop();
    assert_eq!(metadata_bytes(&fork, "list"), with_len(2));

    fork.get_list::<_, u32>("list").clear();
    assert_eq!(metadata_bytes(&fork, "list"), header);
    assert_eq!(fork.index_type("list"), Some(IndexType::List));

    // Extending with nothing still writes the (zero) length.
    fork.get_list::<_, u32>("list").extend(vec![]);
    assert_eq!(metadata_bytes(&fork, "list"), with_len(0));
}

#[test]
#[should_panic(expected = "index out of bounds: the len is 2 but the index is 2")]
fn setting_a_list_element_past_the_end_panics() {
    let db = TemporaryDB::new();
    let fork = db.fork();
    let mut list = fork.get_list("list");
    list.extend(vec![1_u32, 2]);
    list.set(2, 3);
}

#[test]
fn clearing_a_list_keeps_its_type_and_resets_its_length() {
    for db in backends() {
        let db = db.db();
        let fork = db.fork();
        fork.get_list("list").extend(vec![1_u32, 2, 3]);
        db.merge(fork.into_patch()).unwrap();

        let fork = db.fork();
        {
            let mut list = fork.get_list::<_, u32>("list");
            list.clear();
            assert!(list.is_empty());
            assert_eq!(list.get(0), None);
            list.push(5);
        }
        db.merge(fork.into_patch()).unwrap();

        let snapshot = db.snapshot();
        assert_eq!(snapshot.index_type("list"), Some(IndexType::List));
        let list = snapshot.get_list::<_, u32>("list");
        assert_eq!(list.len(), 1);
        assert_eq!(list.iter().collect::<Vec<_>>(), vec![5]);
    }
}

#[test]
fn clearing_one_group_member_leaves_its_sibling_alone() {
    for merge_first in [false, true] {
        for db in backends() {
            let db = db.db();
            let mut fork = db.fork();
            fork.get_list(("family", &1_u8)).extend(vec![1_u32, 2]);
            fork.get_list(("family", &2_u8)).extend(vec![3_u32, 4]);
            if merge_first {
                db.merge(fork.into_patch()).unwrap();
                fork = db.fork();
            }
            fork.get_list::<_, u32>(("family", &1_u8)).clear();
            {
                let cleared = fork.get_list::<_, u32>(("family", &1_u8));
                assert!(cleared.is_empty());
                assert_eq!(cleared.iter().count(), 0);
                let sibling = fork.get_list::<_, u32>(("family", &2_u8));
                assert_eq!(sibling.iter().collect::<Vec<_>>(), vec![3, 4]);
            }
            db.merge(fork.into_patch()).unwrap();
            let snapshot = db.snapshot();
            assert_eq!(
                snapshot
                    .get_list::<_, u32>(("family", &1_u8))
                    .iter()
                    .count(),
                0
            );
            assert_eq!(
                snapshot
                    .get_list::<_, u32>(("family", &2_u8))
                    .iter()
                    .collect::<Vec<_>>(),
                vec![3, 4]
            );
        }
    }
}

#[test]
fn list_created_but_left_empty_reads_as_empty_through_a_readonly_fork() {
    let db = TemporaryDB::new();
    let fork = db.fork();
    fork.get_list::<_, u32>("list");
    db.merge(fork.into_patch()).unwrap();
    let fork = db.fork();
    let list = fork.readonly().get_list::<_, u32>("list");
    assert!(list.is_empty());
    assert_eq!(list.iter().count(), 0);
}

#[test]
fn list_cleared_pushed_and_flushed_has_only_the_new_items() {
    let db = TemporaryDB::new();
    let mut fork = db.fork();
    fork.get_list("list").extend(vec![1_u32, 2, 3]);
    fork.flush();
    {
        let mut list = fork.get_list::<_, u32>("list");
        list.clear();
        list.push(9);
    }
    fork.flush();
    let list = fork.get_list::<_, u32>("list");
    assert_eq!(list.len(), 1);
    assert_eq!(list.iter().collect::<Vec<_>>(), vec![9]);
}

#[test]
fn truncate_beyond_the_length_is_a_no_op() {
    let db = TemporaryDB::new();
    let fork = db.fork();
    let mut list = fork.get_list("list");
    list.extend(vec![1_u32, 2]);
    list.truncate(10);
    assert_eq!(list.len(), 2);
    list.truncate(0);
    assert!(list.is_empty());
    assert_eq!(list.pop(), None);
}

#[test]
fn list_extends_from_another_list() {
    let db = TemporaryDB::new();
    let fork = db.fork();
    fork.get_list("source").extend(vec![1_u32, 2, 3]);
    let source = fork.get_list::<_, u32>("source");
    let mut target = fork.get_list::<_, u32>("target");
    target.extend(&source);
    assert!(source.iter().eq(&target));
}
