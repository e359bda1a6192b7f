//! Forks of one database that create indexes concurrently (`views/identifiers.rs`).
//!
//! Each fork takes provisional identifiers for the indexes it creates; the merge makes them
//! final. Before that, two forks made from one state gave their new indexes the same
//! identifier, and the indexes shared their data. These tests check, on both backends, that
//! new indexes never share data, that an index created by two forks receives the writes of
//! both, that a type conflict writes nothing, and that identifiers stay unique in the pool.

mod common;

use std::{
    collections::{BTreeMap, BTreeSet, HashMap},
    sync::Arc,
    thread,
};

use metaldb::{
    access::{Access, AccessExt, CopyAccessExt},
    migration::{flush_migration, Migration},
    Database, DatabaseExt, IndexAddress, IndexType, ResolvedAddress, Snapshot, TemporaryDB,
};
use proptest::prelude::*;

use common::{backends, pool_counter, raw_entries, system_address, TestDb, INDEXES_POOL};

/// Every index of the pool: fully qualified name, identifier, type code.
fn pool_indexes(snapshot: &dyn Snapshot) -> Vec<(Vec<u8>, u64, u32)> {
    raw_entries(snapshot, &system_address(INDEXES_POOL))
        .into_iter()
        .filter(|(key, _)| !key.is_empty())
        .map(|(key, value)| {
            let id = u64::from_le_bytes(value[..8].try_into().unwrap());
            let code = u32::from_le_bytes(value[8..12].try_into().unwrap());
            (key, id, code)
        })
        .collect()
}

/// Checks the pool's invariants: identifiers are unique and none exceeds the counter; and that
/// every key stored in the column families `families` belongs to an index of the pool, so that
/// no write was left under an identifier nobody owns.
fn assert_pool_consistent(snapshot: &dyn Snapshot, families: &[&str]) {
    let indexes = pool_indexes(snapshot);
    let ids: BTreeSet<u64> = indexes.iter().map(|(_, id, _)| *id).collect();
    assert_eq!(ids.len(), indexes.len(), "identifiers repeat: {indexes:?}");
    let counter = pool_counter(snapshot);
    assert!(
        ids.iter().all(|&id| id <= counter),
        "an identifier exceeds the counter {counter}: {indexes:?}"
    );
    for family in families {
        for (key, _) in raw_entries(snapshot, &system_address(family)) {
            let id = u64::from_le_bytes(key[..8].try_into().unwrap());
            assert!(
                ids.contains(&id),
                "column family {family} holds key {key:02x?} of identifier {id}, which no \
                 index has: {indexes:?}"
            );
        }
    }
}

fn map_contents(snapshot: &dyn Snapshot, addr: impl Into<IndexAddress>) -> Vec<(String, String)> {
    snapshot
        .get_map::<_, String, String>(addr.into())
        .iter()
        .collect()
}

fn pairs(entries: &[(&str, &str)]) -> Vec<(String, String)> {
    entries
        .iter()
        .map(|(key, value)| (key.to_string(), value.to_string()))
        .collect()
}

#[test]
fn two_forks_creating_members_of_one_group_keep_their_data_apart() {
    for test_db in backends() {
        let db = test_db.db();
        let (first, second) = (db.fork(), db.fork());
        first
            .get_map(("grp", "a"))
            .put(&"k".to_owned(), "first".to_owned());
        second
            .get_map(("grp", "b"))
            .put(&"k".to_owned(), "second".to_owned());
        db.merge(first.into_patch()).unwrap();
        db.merge(second.into_patch()).unwrap();

        let snapshot = db.snapshot();
        assert_eq!(
            map_contents(&*snapshot, ("grp", "a")),
            pairs(&[("k", "first")])
        );
        assert_eq!(
            map_contents(&*snapshot, ("grp", "b")),
            pairs(&[("k", "second")])
        );
        assert_pool_consistent(&*snapshot, &["grp"]);
    }
}

#[test]
fn forks_creating_one_member_with_different_neighbours_keep_their_data_apart() {
    for test_db in backends() {
        let db = test_db.db();
        let (first, second) = (db.fork(), db.fork());
        first
            .get_map(("grp", "a"))
            .put(&"k".to_owned(), "first a".to_owned());
        first
            .get_map(("grp", "b"))
            .put(&"k".to_owned(), "first b".to_owned());
        first
            .get_map(("grp", "b"))
            .put(&"only first".to_owned(), "1".to_owned());
        second
            .get_map(("grp", "b"))
            .put(&"k".to_owned(), "second b".to_owned());
        db.merge(first.into_patch()).unwrap();
        db.merge(second.into_patch()).unwrap();

        let snapshot = db.snapshot();
        assert_eq!(
            map_contents(&*snapshot, ("grp", "a")),
            pairs(&[("k", "first a")])
        );
        // Both forks wrote "b": key by key, the later merge wins, and nothing is lost.
        assert_eq!(
            map_contents(&*snapshot, ("grp", "b")),
            pairs(&[("k", "second b"), ("only first", "1")])
        );
        assert_pool_consistent(&*snapshot, &["grp"]);
    }
}

#[test]
fn an_index_created_by_two_forks_receives_the_writes_of_both() {
    for test_db in backends() {
        let db = test_db.db();
        let (first, second) = (db.fork(), db.fork());
        // The second fork also creates another index first, so that its provisional
        // identifier for "shared" differs from the one the first merge made final.
        second.get_entry("other").set(7_u8);
        first.get_list("shared").extend(vec![1_u32, 2, 3]);
        second.get_list("shared").extend(vec![10_u32, 20]);
        db.merge(second.into_patch()).unwrap();
        db.merge(first.into_patch()).unwrap();

        let snapshot = db.snapshot();
        let list = snapshot.get_list::<_, u32>("shared");
        assert_eq!(list.len(), 3);
        assert_eq!(list.iter().collect::<Vec<_>>(), vec![1, 2, 3]);
        assert_eq!(snapshot.get_entry::<_, u8>("other").get(), Some(7));
        let names: Vec<Vec<u8>> = pool_indexes(&*snapshot)
            .into_iter()
            .map(|(fqn, ..)| fqn)
            .collect();
        assert_eq!(names, vec![b"other".to_vec(), b"shared".to_vec()]);
        assert_pool_consistent(&*snapshot, &["shared", "other"]);
    }
}

#[test]
fn a_fork_creating_an_index_with_another_type_is_refused_and_writes_nothing() {
    for test_db in backends() {
        let db = test_db.db();
        let (first, second) = (db.fork(), db.fork());
        first.get_map::<_, u8, u8>("name").put(&1, 1);
        second.get_key_set::<_, u8>("name").insert(&1);
        second.get_entry("untouched").set(1_u8);
        db.merge(first.into_patch()).unwrap();
        let before = raw_entries(&*db.snapshot(), &system_address(INDEXES_POOL));

        let err = db.merge(second.into_patch()).unwrap_err();
        let message = err.to_string();
        assert!(
            message.contains("\"name\"") && message.contains("KeySet") && message.contains("Map"),
            "{message}"
        );
        let snapshot = db.snapshot();
        assert_eq!(
            raw_entries(&*snapshot, &system_address(INDEXES_POOL)),
            before
        );
        assert_eq!(snapshot.index_type("untouched"), None);
        assert_eq!(snapshot.get_map::<_, u8, u8>("name").get(&1), Some(1));
    }
}

#[test]
fn a_migration_index_and_its_target_created_concurrently_keep_their_data_apart() {
    for test_db in backends() {
        let db = test_db.db();
        let (first, second) = (db.fork(), db.fork());
        // Both live in the column family "ns.x": the target with its own identifier, the
        // migrated index with another.
        first.get_entry("ns.x").set("old".to_owned());
        Migration::new("ns", &second)
            .get_entry("x")
            .set("new".to_owned());
        db.merge(first.into_patch()).unwrap();
        db.merge(second.into_patch()).unwrap();

        let snapshot = db.snapshot();
        assert_eq!(
            snapshot.get_entry::<_, String>("ns.x").get().as_deref(),
            Some("old")
        );
        assert_eq!(
            Migration::new("ns", &snapshot)
                .get_entry::<_, String>("x")
                .get()
                .as_deref(),
            Some("new")
        );
        assert_pool_consistent(&*snapshot, &["ns.x"]);
    }
}

#[test]
fn a_migration_flushed_while_another_fork_creates_an_index_replaces_its_target() {
    for test_db in backends() {
        let db = test_db.db();
        let fork = db.fork();
        fork.get_list("ns.x").extend(vec![1_u8, 2, 3]);
        db.merge(fork.into_patch()).unwrap();

        // The migration of namespace "ns" turns the list "ns.x" into a map, with a new
        // identifier; another fork moves the counter before it merges.
        let mut migrating = db.fork();
        Migration::new("ns", &migrating)
            .get_map("x")
            .put(&7_u8, 70_u8);
        flush_migration(&mut migrating, "ns");
        let other = db.fork();
        other.get_entry("y").set(1_u8);
        db.merge(other.into_patch()).unwrap();
        db.merge(migrating.into_patch()).unwrap();

        let snapshot = db.snapshot();
        assert_eq!(snapshot.index_type("ns.x"), Some(IndexType::Map));
        let map = snapshot.get_map::<_, u8, u8>("ns.x");
        assert_eq!(map.iter().collect::<Vec<_>>(), vec![(7, 70)]);
        assert_eq!(snapshot.get_entry("y").get(), Some(1_u8));
        assert_pool_consistent(&*snapshot, &["ns.x", "y"]);
    }
}

#[test]
fn sequential_merges_keep_the_identifiers_a_fork_handed_out() {
    for test_db in backends() {
        let db = test_db.db();
        let fork = db.fork();
        fork.get_entry("a").set(1_u8);
        fork.get_entry("b").set(2_u8);
        let provisional: Vec<u64> = ["a", "b"]
            .iter()
            .map(|name| {
                fork.readonly()
                    .get_index_metadata((*name).into())
                    .unwrap()
                    .unwrap()
                    .identifier()
                    .get()
            })
            .collect();
        db.merge(fork.into_patch()).unwrap();
        let stored: Vec<u64> = pool_indexes(&*db.snapshot())
            .into_iter()
            .map(|(_, id, _)| id)
            .collect();
        assert_eq!(stored, provisional);
        assert_eq!(stored, vec![1, 2]);
    }
}

#[test]
fn renumbered_identifiers_stay_unique_after_reopening() {
    let mut test_db = TestDb::rocksdb();
    {
        let db = test_db.db();
        let (first, second) = (db.fork(), db.fork());
        first.get_entry(("grp", &1_u8)).set(1_u8);
        second.get_entry(("grp", &2_u8)).set(2_u8);
        db.merge(first.into_patch()).unwrap();
        db.merge(second.into_patch()).unwrap();
    }
    test_db.reopen();
    let db = test_db.db();
    let fork = db.fork();
    fork.get_entry(("grp", &3_u8)).set(3_u8);
    db.merge(fork.into_patch()).unwrap();

    let snapshot = db.snapshot();
    for key in 1..=3_u8 {
        assert_eq!(snapshot.get_entry(("grp", &key)).get(), Some(key));
    }
    assert_eq!(pool_counter(&*snapshot), 3);
    assert_pool_consistent(&*snapshot, &["grp"]);
}

/// The backup names the final identifier of the renumbered member: one that named the
/// provisional one would undo the other member instead.
fn check_backup_of_a_renumbered_patch<D: Database>(db: D) {
    let (first, second) = (db.fork(), db.fork());
    first.get_entry(("grp", "first")).set(1_u8);
    second.get_entry(("grp", "second")).set(2_u8);
    db.merge(first.into_patch()).unwrap();
    let backup = db.merge_with_backup(second.into_patch()).unwrap();
    assert_eq!(db.snapshot().get_entry(("grp", "second")).get(), Some(2_u8));

    db.merge(backup).unwrap();
    let snapshot = db.snapshot();
    assert_eq!(snapshot.get_entry::<_, u8>(("grp", "second")).get(), None);
    assert_eq!(snapshot.get_entry(("grp", "first")).get(), Some(1_u8));
    assert_pool_consistent(&*snapshot, &["grp"]);
    // The next new member takes the identifier the undone one had: it starts empty.
    let fork = db.fork();
    assert_eq!(fork.get_entry::<_, u8>(("grp", "third")).get(), None);
}

#[test]
fn a_backup_of_a_renumbered_patch_removes_its_indexes() {
    check_backup_of_a_renumbered_patch(TemporaryDB::new());
    let (db, _dir) = common::rocksdb();
    check_backup_of_a_renumbered_patch(db);
}

#[test]
fn forks_in_threads_creating_indexes_keep_their_data_apart() {
    const THREADS: u32 = 8;
    const ROUNDS: u32 = 25;
    for test_db in backends() {
        let db: Arc<dyn Database> = Arc::clone(test_db.db());
        let workers: Vec<_> = (0..THREADS)
            .map(|thread| {
                let db = Arc::clone(&db);
                thread::spawn(move || {
                    for round in 0..ROUNDS {
                        let fork = db.fork();
                        // A member of its own, one shared with every thread, and a shared
                        // index outside the group: new, renumbered and joined in turn.
                        let own = u64::from(thread) << 32 | u64::from(round);
                        fork.get_map(("grp", &own))
                            .put(&0_u8, thread * 1000 + round);
                        fork.get_map(("grp", &round)).put(&(thread as u8), round);
                        fork.get_key_set("seen").insert(&own);
                        db.merge(fork.into_patch()).unwrap();
                    }
                })
            })
            .collect();
        for worker in workers {
            worker.join().unwrap();
        }

        let snapshot = db.snapshot();
        for thread in 0..THREADS {
            for round in 0..ROUNDS {
                let key = u64::from(thread) << 32 | u64::from(round);
                let own = snapshot.get_map::<_, u8, u32>(("grp", &key));
                assert_eq!(
                    own.iter().collect::<Vec<_>>(),
                    vec![(0, thread * 1000 + round)]
                );
                assert!(snapshot.get_key_set::<_, u64>("seen").contains(&key));
            }
        }
        for round in 0..ROUNDS {
            let shared = snapshot.get_map::<_, u8, u32>(("grp", &round));
            let expected: Vec<(u8, u32)> =
                (0..THREADS).map(|thread| (thread as u8, round)).collect();
            assert_eq!(shared.iter().collect::<Vec<_>>(), expected);
        }
        assert_pool_consistent(&*snapshot, &["grp", "seen"]);
        assert_eq!(
            pool_indexes(&*snapshot).len() as u32,
            THREADS * ROUNDS + ROUNDS + 1
        );
    }
}

// ---- A reference model of forks merged in any order -----------------------------------------

/// The indexes the model writes: several maps in one group, one outside it, a list (whose
/// length lives in its metadata), and a name that forks create with either of two types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Target {
    Map,
    Member(u8),
    List,
    Either,
}

impl Target {
    fn address(self) -> IndexAddress {
        match self {
            Self::Map => "map".into(),
            Self::Member(key) => IndexAddress::from_root("grp").append_key(&key),
            Self::List => "list".into(),
            Self::Either => "either".into(),
        }
    }
}

#[derive(Debug, Clone)]
enum Op {
    /// A write in fork `fork`: `put` for maps, a push for the list; `as_set` picks the type
    /// of `Target::Either` (a key set instead of a map).
    Write {
        fork: usize,
        target: Target,
        key: u8,
        value: u8,
        as_set: bool,
    },
    /// Merges fork `fork` and starts a new one in its place.
    Merge { fork: usize },
}

const FORKS: usize = 3;

fn op_strategy() -> impl Strategy<Value = Op> {
    let target = prop_oneof![
        Just(Target::Map),
        (0..3_u8).prop_map(Target::Member),
        Just(Target::List),
        Just(Target::Either),
    ];
    prop_oneof![
        4 => (0..FORKS, target, 0..4_u8, any::<u8>(), any::<bool>()).prop_map(
            |(fork, target, key, value, as_set)| Op::Write { fork, target, key, value, as_set }
        ),
        1 => (0..FORKS).prop_map(|fork| Op::Merge { fork }),
    ]
}

/// The contents of one index: a map (or key set: values are then 0), or a list as its
/// length and its stored positions (positions past the length may stay stored).
#[derive(Debug, Clone, PartialEq)]
enum Contents {
    Map(BTreeMap<u8, u8>),
    Set(BTreeMap<u8, u8>),
    List { len: u64, items: BTreeMap<u64, u8> },
}

type State = HashMap<Target, Contents>;

/// A fork in the model: the state it was made from, what it sees, and what it wrote.
struct ModelFork {
    base: State,
    view: State,
    written: State,
}

/// An empty index of the kind a write to `target` creates.
fn empty(target: Target, as_set: bool) -> Contents {
    match (target, as_set) {
        (Target::List, _) => Contents::List {
            len: 0,
            items: BTreeMap::new(),
        },
        (Target::Either, true) => Contents::Set(BTreeMap::new()),
        _ => Contents::Map(BTreeMap::new()),
    }
}

/// Writes to `contents` if it is of the kind of `kind`; returns whether it was.
fn write_to(contents: &mut Contents, kind: &Contents, key: u8, value: u8, position: u64) -> bool {
    match (contents, kind) {
        (Contents::Map(map), Contents::Map(_)) => {
            map.insert(key, value);
        }
        (Contents::Set(set), Contents::Set(_)) => {
            set.insert(key, 0);
        }
        (Contents::List { len, items }, Contents::List { .. }) => {
            items.insert(position, value);
            *len = position + 1;
        }
        _ => return false,
    }
    true
}

impl ModelFork {
    fn new(base: &State) -> Self {
        Self {
            base: base.clone(),
            view: base.clone(),
            written: State::new(),
        }
    }

    /// Applies a write if the fork would accept it (no index of another type there).
    fn write(&mut self, target: Target, key: u8, value: u8, as_set: bool) -> bool {
        let kind = empty(target, as_set);
        let view = self.view.entry(target).or_insert_with(|| kind.clone());
        let position = match view {
            Contents::List { len, .. } => *len,
            _ => 0,
        };
        if !write_to(view, &kind, key, value, position) {
            return false;
        }
        let written = self.written.entry(target).or_insert_with(|| kind.clone());
        write_to(written, &kind, key, value, position)
    }

    /// Merges what the fork wrote into `merged`, key by key (a list's length too), unless an
    /// index it created now exists there with another type. Returns whether it merged.
    fn merge_into(&self, merged: &mut State) -> bool {
        let conflicts = self.written.iter().any(|(target, written)| {
            !self.base.contains_key(target)
                && merged.get(target).is_some_and(|existing| {
                    std::mem::discriminant(existing) != std::mem::discriminant(written)
                })
        });
        if conflicts {
            return false;
        }
        for (target, written) in &self.written {
            let contents = merged.entry(*target).or_insert_with(|| written.clone());
            match (contents, written) {
                (Contents::Map(into), Contents::Map(from))
                | (Contents::Set(into), Contents::Set(from)) => into.extend(from),
                (
                    Contents::List { len, items },
                    Contents::List {
                        len: new_len,
                        items: new_items,
                    },
                ) => {
                    items.extend(new_items);
                    *len = *new_len;
                }
                _ => unreachable!("types are checked above"),
            }
        }
        true
    }
}

fn apply_write(fork: &metaldb::Fork, target: Target, key: u8, value: u8, as_set: bool) {
    match (target, as_set) {
        (Target::List, _) => fork.get_list(target.address()).push(value),
        (Target::Either, true) => fork.get_key_set(target.address()).insert(&key),
        _ => fork.get_map(target.address()).put(&key, value),
    }
}

fn read_state(snapshot: &dyn Snapshot) -> State {
    let targets = [
        Target::Map,
        Target::Member(0),
        Target::Member(1),
        Target::Member(2),
        Target::List,
        Target::Either,
    ];
    let mut state = State::new();
    for target in targets {
        let contents = match snapshot.index_type(target.address()) {
            None => continue,
            Some(IndexType::Map) => Contents::Map(
                snapshot
                    .get_map::<_, u8, u8>(target.address())
                    .iter()
                    .collect(),
            ),
            Some(IndexType::KeySet) => Contents::Set(
                snapshot
                    .get_key_set::<_, u8>(target.address())
                    .iter()
                    .map(|key| (key, 0))
                    .collect(),
            ),
            Some(IndexType::List) => {
                let list = snapshot.get_list::<_, u8>(target.address());
                let address = ResolvedAddress {
                    name: target.address().name().to_owned(),
                    id: Some(
                        snapshot
                            .get_index_metadata(target.address())
                            .unwrap()
                            .unwrap()
                            .identifier(),
                    ),
                };
                let items = raw_entries(snapshot, &address)
                    .into_iter()
                    .map(|(key, value)| (u64::from_be_bytes(key.try_into().unwrap()), value[0]))
                    .collect();
                Contents::List {
                    len: list.len(),
                    items,
                }
            }
            Some(other) => panic!("unexpected index type {other:?}"),
        };
        state.insert(target, contents);
    }
    state
}

fn check_forks_against_model(test_db: &TestDb, ops: &[Op]) -> Result<(), TestCaseError> {
    let db = test_db.db();
    let mut merged = State::new();
    let mut forks: Vec<_> = (0..FORKS).map(|_| db.fork()).collect();
    let mut models: Vec<_> = (0..FORKS).map(|_| ModelFork::new(&merged)).collect();
    let merge = |fork: metaldb::Fork, model: &ModelFork, merged: &mut State| {
        let result = db.merge(fork.into_patch());
        let accepted = model.merge_into(merged);
        prop_assert_eq!(result.is_ok(), accepted, "{:?}", result);
        Ok(())
    };
    for op in ops {
        match *op {
            Op::Write {
                fork,
                target,
                key,
                value,
                as_set,
            } => {
                if models[fork].write(target, key, value, as_set) {
                    apply_write(&forks[fork], target, key, value, as_set);
                }
            }
            Op::Merge { fork } => {
                let done = forks.remove(fork);
                merge(done, &models[fork], &mut merged)?;
                // Made after the merge, so that it sees it, as its model does.
                forks.insert(fork, db.fork());
                models[fork] = ModelFork::new(&merged);
            }
        }
    }
    for (fork, model) in forks.into_iter().zip(&models) {
        merge(fork, model, &mut merged)?;
    }
    let snapshot = db.snapshot();
    prop_assert_eq!(read_state(&*snapshot), merged);
    assert_pool_consistent(&*snapshot, &["map", "grp", "list", "either"]);
    Ok(())
}

proptest! {
    #![proptest_config(common::proptest_config(64))]

    #[test]
    fn forks_merged_in_any_order_match_the_model(ops in proptest::collection::vec(op_strategy(), 1..40)) {
        for test_db in backends() {
            check_forks_against_model(&test_db, &ops)?;
        }
    }
}
