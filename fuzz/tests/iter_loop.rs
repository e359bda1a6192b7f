//! The harness's `mdb_migration_helper_iter_loop` over each kind of index the loop's persistent
//! iterators take: an input that fills an old index, runs the loop over it in batches and
//! finishes the helper passes the harness's checks (which panic on any difference from the
//! model, round by round and in the final read-back of the database), and creates the loop's
//! iterators of that kind, through `mdb_persistent_iters_new_*`.

use metaldb_fuzz::{
    input::{
        AccessArg, Bytes, FirstDb, GroupKey, HandleKind, IndexKind, KeySetCall, ListCall, LoopPlan,
        MapCall, Name, Nulls, Op, Position, SparseListCall,
    },
    run, stats, Input,
};

/// `NAME_POOL[0]` and `[3]`, `NAMESPACE_POOL[1]` of the input module.
const A: u8 = 0;
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

/// Fills "mig.a" with items of `kind`, then loops over it with the plan's `batch` byte.
fn fill_and_loop(kind: IndexKind, batch: u8) {
    let nulls = Nulls::default();
    let mut ops = vec![
        Op::OpenTemporary { nulls },
        Op::ForkNew { db: slot(), nulls },
        Op::Open {
            access: AccessArg::Fork(slot()),
            kind,
            name: Name::Pool(MIG_A),
            key: GroupKey::None,
            nulls,
        },
    ];
    ops.extend((0..ITEMS).map(|i| write(kind, i)));
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
