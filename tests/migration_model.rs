//! A model test of migrations: random work on old and migrated indexes, tombstones,
//! scratchpad writes, `flush_migration`, `rollback_migration`, fork flushes, merges, dropped
//! forks and reopening, checked after every step against a model that keeps one `BTreeMap`
//! of old indexes and one of migrated indexes.
//!
//! Every step also checks that another namespace (`ns_`, with a pending migration of its
//! own), look-alike names (`n.*`, `nsa`, `ns`) and `Prefixed` data outside the namespace never
//! change, and that the database shows exactly the merged state of the model: nothing of a
//! flush or rollback is visible before its merge.

mod common;

use std::collections::BTreeMap;

use metaldb::{
    access::{Access, AccessExt, Prefixed, RawAccess, RawAccessMut},
    migration::{flush_migration, rollback_migration, Migration, Scratchpad},
    Fork, IndexType,
};
use proptest::{collection::vec, prelude::*};

use common::{proptest_config, Backend, TestDb};

/// The namespace under test.
const NS: &str = "ns";
/// Index names inside the namespace.
const NAMES: [&str; 3] = ["a", "b", "c"];

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Map,
    List,
}

/// The content of one index.
#[derive(Debug, Clone, PartialEq)]
enum Index {
    Map(BTreeMap<u8, u64>),
    List(Vec<u64>),
}

impl Index {
    fn new(kind: Kind) -> Self {
        match kind {
            Kind::Map => Self::Map(BTreeMap::new()),
            Kind::List => Self::List(Vec::new()),
        }
    }

    fn kind(&self) -> Kind {
        match self {
            Self::Map(_) => Kind::Map,
            Self::List(_) => Kind::List,
        }
    }

    fn index_type(&self) -> IndexType {
        match self {
            Self::Map(_) => IndexType::Map,
            Self::List(_) => IndexType::List,
        }
    }

    /// Applies `op`, if it fits the index kind.
    fn apply(&mut self, op: &Op) {
        match (self, op) {
            (Self::Map(map), Op::Put(key, value)) => {
                map.insert(*key, *value);
            }
            (Self::Map(map), Op::Remove(key)) => {
                map.remove(key);
            }
            (Self::List(list), Op::Push(value)) => list.push(*value),
            (Self::List(list), Op::Pop) => {
                list.pop();
            }
            (Self::Map(map), Op::Clear) => map.clear(),
            (Self::List(list), Op::Clear) => list.clear(),
            _ => unreachable!("op does not fit the index"),
        }
    }
}

/// A migrated index: data or a tombstone.
#[derive(Debug, Clone, PartialEq)]
enum Migrated {
    Index(Index),
    Tombstone,
}

/// An operation on one index.
#[derive(Debug, Clone)]
enum Op {
    Put(u8, u64),
    Remove(u8),
    Push(u64),
    Pop,
    Clear,
}

#[derive(Debug, Clone)]
enum Action {
    /// Work on an old index `ns.<name>`, through a `Prefixed` access.
    Old(usize, Kind, Op),
    /// Work on the migrated index `<name>`.
    New(usize, Kind, Op),
    Tombstone(usize),
    SetScratchpad(u64),
    FlushMigration,
    RollbackMigration,
    FlushFork,
    Merge,
    /// Drops the fork with its unmerged changes.
    DropFork,
    /// Drops the fork, closes the database and opens it again (a `TemporaryDB` is kept, so
    /// this is `DropFork` there).
    Reopen,
}

#[derive(Debug, Clone, Default, PartialEq)]
struct Model {
    old: BTreeMap<usize, Index>,
    migrated: BTreeMap<usize, Migrated>,
    scratchpad: Option<u64>,
}

impl Model {
    /// Applies a data action; returns `false` if it is skipped because the index has another
    /// type (which the engine would refuse with a panic).
    fn apply(&mut self, action: &Action) -> bool {
        match action {
            Action::Old(name, kind, op) => {
                let index = self.old.entry(*name).or_insert_with(|| Index::new(*kind));
                if index.kind() != *kind {
                    return false;
                }
                index.apply(op);
            }
            Action::New(name, kind, op) => {
                let migrated = self
                    .migrated
                    .entry(*name)
                    .or_insert_with(|| Migrated::Index(Index::new(*kind)));
                match migrated {
                    Migrated::Index(index) if index.kind() == *kind => index.apply(op),
                    _ => return false,
                }
            }
            Action::Tombstone(name) => {
                let migrated = self.migrated.entry(*name).or_insert(Migrated::Tombstone);
                if *migrated != Migrated::Tombstone {
                    return false;
                }
            }
            Action::SetScratchpad(value) => self.scratchpad = Some(*value),
            Action::FlushMigration => {
                for (name, migrated) in std::mem::take(&mut self.migrated) {
                    match migrated {
                        Migrated::Index(index) => {
                            self.old.insert(name, index);
                        }
                        Migrated::Tombstone => {
                            self.old.remove(&name);
                        }
                    }
                }
                self.scratchpad = None;
            }
            Action::RollbackMigration => {
                self.migrated.clear();
                self.scratchpad = None;
            }
            Action::FlushFork | Action::Merge | Action::DropFork | Action::Reopen => {
                unreachable!("not a data action")
            }
        }
        true
    }
}

/// Whether the index `name` of `access` may be opened as `kind`: it is absent or has that type.
fn fits<A: Access>(access: &A, name: &str, kind: Kind) -> bool {
    match access.index_type(name) {
        None => true,
        Some(IndexType::Map) => kind == Kind::Map,
        Some(IndexType::List) => kind == Kind::List,
        Some(_) => false,
    }
}

fn apply_op<A>(access: &A, name: &str, kind: Kind, op: &Op)
where
    A: Access,
    A::Base: RawAccessMut,
{
    match kind {
        Kind::Map => {
            let mut map = access.get_map::<_, u8, u64>(name);
            match op {
                Op::Put(key, value) => map.put(key, *value),
                Op::Remove(key) => map.remove(key),
                Op::Clear => map.clear(),
                Op::Push(_) | Op::Pop => unreachable!(),
            }
        }
        Kind::List => {
            let mut list = access.get_list::<_, u64>(name);
            match op {
                Op::Push(value) => list.push(*value),
                Op::Pop => {
                    list.pop();
                }
                Op::Clear => list.clear(),
                Op::Put(..) | Op::Remove(_) => unreachable!(),
            }
        }
    }
}

/// Reads the index `name` of a read-only `access`, if it exists with a data type.
fn read_index<A: Access>(access: &A, name: &str) -> Option<Migrated> {
    match access.index_type(name)? {
        IndexType::Map => {
            let map = access.get_map::<_, u8, u64>(name);
            Some(Migrated::Index(Index::Map(map.iter().collect())))
        }
        IndexType::List => {
            let list = access.get_list::<_, u64>(name);
            let items: Vec<u64> = list.iter().collect();
            assert_eq!(list.len(), items.len() as u64, "list length of {name}");
            Some(Migrated::Index(Index::List(items)))
        }
        IndexType::Tombstone => Some(Migrated::Tombstone),
        other => panic!("unexpected index type {other:?} at {name}"),
    }
}

/// Checks every index of the namespace and the surrounding data through a read-only view.
fn check_view<T: RawAccess + Clone>(view: T, model: &Model, what: &str) {
    let old = Prefixed::new(NS, view.clone());
    let migration = Migration::new(NS, view.clone());
    for (i, name) in NAMES.iter().enumerate() {
        let expected_old = model.old.get(&i).cloned().map(Migrated::Index);
        assert_eq!(read_index(&old, name), expected_old, "{what}: old {name}");
        // The old index is the same through the full name.
        assert_eq!(
            view.clone().index_type(format!("{NS}.{name}").as_str()),
            model.old.get(&i).map(Index::index_type),
            "{what}: old {name} by full name"
        );
        assert_eq!(
            read_index(&migration, name),
            model.migrated.get(&i).cloned(),
            "{what}: migrated {name}"
        );
    }
    let scratchpad = Scratchpad::new(NS, view.clone());
    assert_eq!(
        scratchpad.get_entry::<_, u64>("position").get(),
        model.scratchpad,
        "{what}: scratchpad"
    );
    check_bystanders(view, what);
}

/// Data that no step may touch.
fn create_bystanders(fork: &Fork) {
    let other = Prefixed::new("ns_", fork);
    other.get_map("a").put(&1_u8, 1_u64);
    other.get_list("b").extend(vec![7_u64, 8]);
    fork.get_map("n.a").put(&2_u8, 2_u64);
    fork.get_entry("nsa").set(3_u64);
    fork.get_entry("ns").set(4_u64);
    fork.get_list(("ns_.group", &1_u8)).push(5_u64);
    let other_migration = Migration::new("ns_", fork);
    other_migration.get_map("a").put(&9_u8, 9_u64);
    other_migration.create_tombstone("b");
    other_migration.get_list("new").push(6_u64);
    Scratchpad::new("ns_", fork)
        .get_entry("position")
        .set(10_u64);
    Scratchpad::new("n", fork)
        .get_entry("s.position")
        .set(11_u64);
}

fn check_bystanders<T: RawAccess + Clone>(view: T, what: &str) {
    let other = Prefixed::new("ns_", view.clone());
    let a: Vec<(u8, u64)> = other.get_map::<_, u8, u64>("a").iter().collect();
    assert_eq!(a, vec![(1, 1)], "{what}: ns_.a");
    let b: Vec<u64> = other.get_list::<_, u64>("b").iter().collect();
    assert_eq!(b, vec![7, 8], "{what}: ns_.b");
    let n_a: Vec<(u8, u64)> = view.get_map::<_, u8, u64>("n.a").iter().collect();
    assert_eq!(n_a, vec![(2, 2)], "{what}: n.a");
    assert_eq!(view.get_entry::<_, u64>("nsa").get(), Some(3), "{what}");
    assert_eq!(view.get_entry::<_, u64>("ns").get(), Some(4), "{what}");
    let group: Vec<u64> = view
        .get_list::<_, u64>(("ns_.group", &1_u8))
        .iter()
        .collect();
    assert_eq!(group, vec![5], "{what}: group member");

    let other_migration = Migration::new("ns_", view.clone());
    let a: Vec<(u8, u64)> = other_migration.get_map::<_, u8, u64>("a").iter().collect();
    assert_eq!(a, vec![(9, 9)], "{what}: migrated ns_.a");
    assert_eq!(
        other_migration.index_type("b"),
        Some(IndexType::Tombstone),
        "{what}: tombstone in ns_"
    );
    let new: Vec<u64> = other_migration.get_list::<_, u64>("new").iter().collect();
    assert_eq!(new, vec![6], "{what}: migrated ns_.new");
    assert_eq!(
        Scratchpad::new("ns_", view.clone())
            .get_entry::<_, u64>("position")
            .get(),
        Some(10),
        "{what}: scratchpad ns_"
    );
    assert_eq!(
        Scratchpad::new("n", view)
            .get_entry::<_, u64>("s.position")
            .get(),
        Some(11),
        "{what}: scratchpad n"
    );
}

/// Runs `actions` against the database and the model together.
fn run(backend: Backend, actions: Vec<Action>) {
    let mut test_db = TestDb::new(backend);
    let fork = test_db.db().fork();
    create_bystanders(&fork);
    test_db.db().merge(fork.into_patch()).unwrap();

    let mut fork = Some(test_db.db().fork());
    let mut current = Model::default();
    let mut merged = Model::default();

    for (step, action) in actions.iter().enumerate() {
        let what = format!("step {step} ({action:?})");
        let live = fork.as_mut().expect("fork exists");
        match action {
            Action::Old(name, kind, op) => {
                let old = Prefixed::new(NS, &*live);
                if fits(&old, NAMES[*name], *kind) {
                    assert!(current.apply(action), "{what}: model and engine disagree");
                    apply_op(&old, NAMES[*name], *kind, op);
                } else {
                    assert!(!current.clone().apply(action), "{what}");
                }
            }
            Action::New(name, kind, op) => {
                let migration = Migration::new(NS, &*live);
                if fits(&migration, NAMES[*name], *kind) {
                    assert!(current.apply(action), "{what}: model and engine disagree");
                    apply_op(&migration, NAMES[*name], *kind, op);
                } else {
                    assert!(!current.clone().apply(action), "{what}");
                }
            }
            Action::Tombstone(name) => {
                let migration = Migration::new(NS, &*live);
                match migration.index_type(NAMES[*name]) {
                    None | Some(IndexType::Tombstone) => {
                        assert!(current.apply(action), "{what}");
                        migration.create_tombstone(NAMES[*name]);
                    }
                    Some(_) => assert!(!current.clone().apply(action), "{what}"),
                }
            }
            Action::SetScratchpad(value) => {
                current.apply(action);
                Scratchpad::new(NS, &*live)
                    .get_entry("position")
                    .set(*value);
            }
            Action::FlushMigration => {
                current.apply(action);
                flush_migration(live, NS);
            }
            Action::RollbackMigration => {
                current.apply(action);
                rollback_migration(live, NS);
            }
            Action::FlushFork => live.flush(),
            Action::Merge => {
                let patch = fork.take().expect("fork exists").into_patch();
                test_db.db().merge(patch).unwrap();
                merged = current.clone();
                fork = Some(test_db.db().fork());
            }
            Action::DropFork => {
                fork = Some(test_db.db().fork());
                current = merged.clone();
            }
            Action::Reopen => {
                drop(fork.take());
                test_db.reopen();
                fork = Some(test_db.db().fork());
                current = merged.clone();
            }
        }

        let live = fork.as_ref().expect("fork exists");
        check_view(live.readonly(), &current, &format!("{what}, fork"));
        let snapshot = test_db.db().snapshot();
        check_view(snapshot.as_ref(), &merged, &format!("{what}, database"));
    }
}

fn op(kind: Kind) -> BoxedStrategy<Op> {
    match kind {
        Kind::Map => prop_oneof![
            5 => (0..6_u8, 0..100_u64).prop_map(|(key, value)| Op::Put(key, value)),
            2 => (0..6_u8).prop_map(Op::Remove),
            1 => Just(Op::Clear),
        ]
        .boxed(),
        Kind::List => prop_oneof![
            5 => (0..100_u64).prop_map(Op::Push),
            2 => Just(Op::Pop),
            1 => Just(Op::Clear),
        ]
        .boxed(),
    }
}

fn index_action() -> impl Strategy<Value = (usize, Kind, Op)> {
    (
        0..NAMES.len(),
        prop_oneof![Just(Kind::Map), Just(Kind::List)],
    )
        .prop_flat_map(|(name, kind)| op(kind).prop_map(move |op| (name, kind, op)))
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        6 => index_action().prop_map(|(name, kind, op)| Action::Old(name, kind, op)),
        8 => index_action().prop_map(|(name, kind, op)| Action::New(name, kind, op)),
        2 => (0..NAMES.len()).prop_map(Action::Tombstone),
        1 => (0..100_u64).prop_map(Action::SetScratchpad),
        2 => Just(Action::FlushMigration),
        1 => Just(Action::RollbackMigration),
        1 => Just(Action::FlushFork),
        3 => Just(Action::Merge),
        1 => Just(Action::DropFork),
        1 => Just(Action::Reopen),
    ]
}

proptest! {
    #![proptest_config(proptest_config(48))]

    #[test]
    fn migrations_match_the_model_on_temporary_db(actions in vec(action(), 1..40)) {
        run(Backend::Temporary, actions);
    }
}

proptest! {
    #![proptest_config(proptest_config(16))]

    #[test]
    fn migrations_match_the_model_on_rocksdb(actions in vec(action(), 1..40)) {
        run(Backend::RocksDb, actions);
    }
}

/// A fixed sequence that exercises every action at least once, with type changes across a
/// flush, so that the test covers them even if the random cases do not.
#[test]
fn scripted_migration_matches_the_model() {
    use Action::*;
    let script = vec![
        Old(0, Kind::Map, Op::Put(1, 10)),
        Old(1, Kind::List, Op::Push(5)),
        Old(2, Kind::Map, Op::Put(2, 20)),
        Merge,
        New(0, Kind::List, Op::Push(1)),
        Tombstone(1),
        New(2, Kind::Map, Op::Put(3, 30)),
        SetScratchpad(1),
        Merge,
        Old(0, Kind::Map, Op::Put(4, 40)),
        FlushFork,
        FlushMigration,
        DropFork,
        FlushMigration,
        Old(0, Kind::List, Op::Push(2)),
        New(0, Kind::Map, Op::Put(5, 50)),
        Merge,
        Reopen,
        RollbackMigration,
        Merge,
        New(1, Kind::List, Op::Clear),
        Tombstone(0),
        FlushMigration,
        Merge,
    ];
    run(Backend::Temporary, script.clone());
    run(Backend::RocksDb, script);
}
