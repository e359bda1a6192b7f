//! `Entry`: a model test against `Option` on both backends, and the methods of spec §11.1.

mod common;

use metaldb::{
    access::{AccessExt, CopyAccessExt, RawAccess},
    Database, Entry, IndexType, TemporaryDB,
};
use proptest::{collection::vec, prelude::*};

use common::{backends, proptest_config, Backend, ForkModel, TestDb};

#[derive(Debug, Clone)]
enum EntryAction {
    Set(String),
    Remove,
    Take,
    Swap(String),
    FlushFork,
    RollbackFork,
    MergeFork,
    Reopen,
}

fn value() -> impl Strategy<Value = String> {
    "[a-c]{0,3}"
}

fn entry_action() -> impl Strategy<Value = EntryAction> {
    prop_oneof![
        4 => value().prop_map(EntryAction::Set),
        2 => Just(EntryAction::Remove),
        2 => Just(EntryAction::Take),
        2 => value().prop_map(EntryAction::Swap),
        2 => Just(EntryAction::FlushFork),
        2 => Just(EntryAction::RollbackFork),
        2 => Just(EntryAction::MergeFork),
        1 => Just(EntryAction::Reopen),
    ]
}

fn check_entry<T: RawAccess>(entry: &Entry<T, String>, model: &Option<String>) {
    assert_eq!(entry.get(), *model, "get");
    assert_eq!(entry.exists(), model.is_some(), "exists");
}

fn run_entry_model(backend: Backend, actions: Vec<EntryAction>) {
    let db = TestDb::new(backend);
    let mut model = ForkModel::new(db, None::<String>);
    let address = ("entries", "one");

    for action in actions {
        match action {
            EntryAction::Set(value) => {
                model.fork().get_entry(address).set(value.clone());
                model.current = Some(value);
            }
            EntryAction::Remove => {
                model.fork().get_entry::<_, String>(address).remove();
                model.current = None;
            }
            EntryAction::Take => {
                let taken = model.fork().get_entry::<_, String>(address).take();
                assert_eq!(taken, model.current.take(), "take");
            }
            EntryAction::Swap(value) => {
                let old = model.fork().get_entry(address).swap(value.clone());
                assert_eq!(old, model.current.replace(value), "swap");
            }
            EntryAction::FlushFork => model.flush(),
            EntryAction::RollbackFork => model.rollback(),
            EntryAction::MergeFork => model.merge(),
            EntryAction::Reopen => model.reopen(),
        }

        let fork = model.fork();
        check_entry(&fork.get_entry(address), &model.current);
        check_entry(&fork.readonly().get_entry(address), &model.current);
        // A sibling in the same group never sees the entry's value.
        assert_eq!(fork.get_entry::<_, String>(("entries", "on")).get(), None);
        let snapshot = model.snapshot();
        check_entry(&snapshot.get_entry(address), model.merged());
    }
}

proptest! {
    #![proptest_config(proptest_config(64))]

    #[test]
    fn entry_matches_option_on_temporary_db(actions in vec(entry_action(), 1..40)) {
        run_entry_model(Backend::Temporary, actions);
    }
}

proptest! {
    #![proptest_config(proptest_config(12))]

    #[test]
    fn entry_matches_option_on_rocksdb(actions in vec(entry_action(), 1..40)) {
        run_entry_model(Backend::RocksDb, actions);
    }
}

#[test]
fn take_removes_the_value_only_when_present_and_swap_returns_the_old_one() {
    for db in backends() {
        let db = db.db();
        let fork = db.fork();
        {
            let mut entry = fork.get_entry::<_, u64>("entry");
            assert_eq!(entry.take(), None);
            assert_eq!(entry.swap(1), None);
            assert_eq!(entry.swap(2), Some(1));
            assert_eq!(entry.get(), Some(2));
            assert_eq!(entry.take(), Some(2));
            assert!(!entry.exists());
            entry.set(3);
        }
        db.merge(fork.into_patch()).unwrap();
        assert_eq!(db.snapshot().get_entry::<_, u64>("entry").get(), Some(3));
    }
}

#[test]
fn removing_an_entry_keeps_the_index() {
    for db in backends() {
        let db = db.db();
        let fork = db.fork();
        fork.get_entry("entry").set(1_u8);
        db.merge(fork.into_patch()).unwrap();
        let fork = db.fork();
        fork.get_entry::<_, u8>("entry").remove();
        db.merge(fork.into_patch()).unwrap();
        let snapshot = db.snapshot();
        assert_eq!(snapshot.index_type("entry"), Some(IndexType::Entry));
        assert!(!snapshot.get_entry::<_, u8>("entry").exists());
    }
}

#[test]
fn unit_entry_tells_whether_it_is_set() {
    let db = TemporaryDB::new();
    let fork = db.fork();
    let mut entry = fork.get_entry::<_, ()>("flag");
    assert!(!entry.exists());
    assert_eq!(entry.get(), None);
    entry.set(());
    assert!(entry.exists());
    assert_eq!(entry.get(), Some(()));
    entry.remove();
    assert!(!entry.exists());
}

#[test]
fn entry_of_an_owned_fork_is_static() {
    let db = TemporaryDB::new();
    let fork = std::rc::Rc::new(db.fork());
    let mut entry: Entry<std::rc::Rc<metaldb::Fork>, u8> = fork.get_entry("entry");
    entry.set(5);
    drop(entry);
    let fork = std::rc::Rc::try_unwrap(fork).expect("no index keeps the fork");
    db.merge(fork.into_patch()).unwrap();
    assert_eq!(db.snapshot().get_entry::<_, u8>("entry").get(), Some(5));
}
