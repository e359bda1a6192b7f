//! The harness's persistent iterators over each kind of index they take (map, list, sparse list,
//! key set). An input that fills an index and runs `mdb_migration_helper_iter_loop` over it in
//! batches, or takes its entries through standalone persistent iterators freed and created
//! again (by single steps or by batches), passes the harness's checks (which panic on any difference from the model: every
//! entry, every round, and the final read-back of the database) and creates iterators of that
//! kind through `mdb_persistent_iters_new_*` or `mdb_persistent_iter_new_*`.

use metaldb_fuzz::{
    input::{
        iter_batch, AccessArg, Bytes, FirstDb, GroupKey, HandleKind, IndexKind, KeySetCall,
        ListCall, LoopPlan, MapCall, Name, Nulls, Op, Position, SparseListCall,
    },
    run, stats, Input,
};

/// `NAME_POOL[0]`, `[1]` and `[3]`, `NAMESPACE_POOL[1]` of the input module.
const A: u8 = 0;
const B: u8 = 1;
const MIG_A: u8 = 3;
const MIG: u8 = 1;
const ITEMS: u8 = 5;

fn slot() -> metaldb_fuzz::input::Slot {
    metaldb_fuzz::input::Slot(0)
}

/// Writes item `i` into the first index handle of `kind`.
fn write(kind: IndexKind, i: u8) -> Op {
    let value = Bytes::Pool(i);
    let nulls = Nulls::default();
    match kind {
        IndexKind::Map => Op::Map {
            map: slot(),
            call: MapCall::Put {
                key: Bytes::Raw(vec![b'k', i]),
                value,
            },
        },
        IndexKind::List => Op::List {
            list: slot(),
            call: ListCall::Push { value },
        },
        IndexKind::SparseList => Op::SparseList {
            list: slot(),
            call: SparseListCall::Set {
                position: Position::Small(3 * i + 1),
                value,
                nulls,
            },
        },
        IndexKind::KeySet => Op::KeySet {
            set: slot(),
            call: KeySetCall::Insert {
                key: Bytes::Raw(vec![b'k', ITEMS - i]),
            },
        },
        IndexKind::Entry => unreachable!("not iterated"),
    }
}

/// Opens a database and a fork, and fills the index `name` of `kind` in it.
fn fill(kind: IndexKind, name: u8) -> Vec<Op> {
    let nulls = Nulls::default();
    let mut ops = vec![
        Op::OpenTemporary { nulls },
        Op::ForkNew { db: slot(), nulls },
        Op::Open {
            access: AccessArg::Fork(slot()),
            kind,
            name: Name::Pool(name),
            key: GroupKey::None,
            nulls,
        },
    ];
    ops.extend((0..ITEMS).map(|i| write(kind, i)));
    ops
}

/// Fills "mig.a" with items of `kind`, then loops over it with the plan's `batch` byte.
fn fill_and_loop(kind: IndexKind, batch: u8) {
    let nulls = Nulls::default();
    let mut ops = fill(kind, MIG_A);
    ops.extend([
        Op::Free {
            kind: HandleKind::Index,
            handle: slot(),
        },
        Op::ForkIntoPatch {
            fork: slot(),
            nulls,
        },
        Op::Merge {
            db: slot(),
            patch: slot(),
            sync: false,
        },
        Op::HelperNew {
            db: slot(),
            namespace: Name::Pool(MIG),
            with_abort: false,
            nulls,
        },
        Op::IterLoop {
            helper: slot(),
            plan: LoopPlan {
                source: Name::Pool(A),
                batch,
                fail_in_round: None,
            },
        },
        Op::HelperFinish { helper: slot() },
    ]);
    let before = stats::persistent_iters_created(kind, true);
    run(Input {
        first_db: FirstDb(0),
        ops,
    });
    // Batches of 2 over 5 items: 3 rounds, one iterator each.
    let created = stats::persistent_iters_created(kind, true) - before;
    assert!(
        created >= 3,
        "the loop over a {kind:?} created {created} persistent iterators"
    );
}

/// `Op::IterNext` steps for one batch call (`mdb_iter_next_batch`) of at most 2 entries and
/// 42 bytes, and for four of them.
const ONE_BATCH: u8 = 0x9C;
const FOUR_BATCHES: u8 = 0x9F;

/// Fills "a" with items of `kind`, then takes them through persistent iterators with their
/// position in the entry "b": 2 steps, freed, 2 more from where it stopped, freed, then 4 more
/// (the last item and the end). With `batches`, each step is a batch call of up to 2 entries.
fn fill_and_iterate_persistently(kind: IndexKind, batches: bool) {
    let nulls = Nulls::default();
    let mut ops = fill(kind, A);
    let steps = if batches {
        assert_eq!(iter_batch(ONE_BATCH), Some((42, 2)));
        assert_eq!(iter_batch(FOUR_BATCHES), Some((42, 2)));
        [ONE_BATCH, ONE_BATCH, FOUR_BATCHES]
    } else {
        [1, 1, 3]
    };
    for steps in steps {
        ops.extend([
            Op::PersistentIter {
                access: AccessArg::Fork(slot()),
                name: Name::Pool(B),
                kind,
                index: slot(),
                nulls,
            },
            Op::IterNext {
                iter: slot(),
                steps,
                nulls,
            },
            Op::Free {
                kind: HandleKind::Iter,
                handle: slot(),
            },
        ]);
    }
    let before = stats::persistent_iters_created(kind, false);
    run(Input {
        first_db: FirstDb(0),
        ops,
    });
    let created = stats::persistent_iters_created(kind, false) - before;
    assert_eq!(created, 3, "persistent iterators created over a {kind:?}");
}

#[test]
fn persistent_iterators_resume_over_a_map() {
    fill_and_iterate_persistently(IndexKind::Map, false);
}

#[test]
fn persistent_iterators_resume_after_batches_over_a_map() {
    fill_and_iterate_persistently(IndexKind::Map, true);
}

#[test]
fn persistent_iterators_resume_over_a_list() {
    fill_and_iterate_persistently(IndexKind::List, false);
}

#[test]
fn persistent_iterators_resume_after_batches_over_a_list() {
    fill_and_iterate_persistently(IndexKind::List, true);
}

#[test]
fn persistent_iterators_resume_over_a_sparse_list() {
    fill_and_iterate_persistently(IndexKind::SparseList, false);
}

#[test]
fn persistent_iterators_resume_after_batches_over_a_sparse_list() {
    fill_and_iterate_persistently(IndexKind::SparseList, true);
}

#[test]
fn persistent_iterators_resume_over_a_key_set() {
    fill_and_iterate_persistently(IndexKind::KeySet, false);
}

#[test]
fn persistent_iterators_resume_after_batches_over_a_key_set() {
    fill_and_iterate_persistently(IndexKind::KeySet, true);
}

/// The plan's `batch` byte: a batch of 2, and the kind in bits 3 and 4 (0: the old index's).
fn batch(kind_bits: u8) -> u8 {
    1 | kind_bits << 3
}

#[test]
fn loop_copies_a_map() {
    fill_and_loop(IndexKind::Map, batch(0));
}

#[test]
fn loop_copies_a_list_of_the_kind_it_finds_or_is_told() {
    fill_and_loop(IndexKind::List, batch(0));
    fill_and_loop(IndexKind::List, batch(1));
}

#[test]
fn loop_copies_a_sparse_list_of_the_kind_it_finds_or_is_told() {
    fill_and_loop(IndexKind::SparseList, batch(0));
    fill_and_loop(IndexKind::SparseList, batch(2));
}

#[test]
fn loop_copies_a_key_set_of_the_kind_it_finds_or_is_told() {
    fill_and_loop(IndexKind::KeySet, batch(0));
    fill_and_loop(IndexKind::KeySet, batch(3));
}
