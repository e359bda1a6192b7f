//! Counters over a whole fuzzing run, printed to stderr every [`REPORT_EVERY`] inputs and when
//! the process exits: how many C calls ran, and how much of the run the model checked exactly.
//!
//! libFuzzer calls the target once per input and ends the process with `exit`, so the counters
//! are process-wide atomics and the final report is an `atexit` handler; a failed check (a
//! panic) reports from the panic hook before libFuzzer's hook aborts. Other crashes abort
//! without a report: the periodic ones show how far the run got.

use std::sync::{
    atomic::{AtomicU64, Ordering},
    Once,
};

use crate::input::IndexKind;

/// Inputs between two periodic reports.
const REPORT_EVERY: u64 = 5_000;

/// Calls of exported `mdb_*` functions (counted by the wrappers in [`crate::abi`]).
static CALLS: AtomicU64 = AtomicU64::new(0);
static INPUTS: AtomicU64 = AtomicU64::new(0);
/// Inputs that opened at least one database, and those whose databases all stayed exact.
static INPUTS_WITH_DB: AtomicU64 = AtomicU64::new(0);
static INPUTS_EXACT: AtomicU64 = AtomicU64::new(0);
static DBS_EXACT: AtomicU64 = AtomicU64::new(0);
static DBS_INEXACT: AtomicU64 = AtomicU64::new(0);
/// Inputs whose first database was a RocksDB one, and inputs that opened any.
static INPUTS_ROCKSDB_FIRST: AtomicU64 = AtomicU64::new(0);
static INPUTS_ROCKSDB: AtomicU64 = AtomicU64::new(0);
/// Of the RocksDB databases, those that stayed exact.
static ROCKSDB_DBS_EXACT: AtomicU64 = AtomicU64::new(0);
static ROCKSDB_DBS: AtomicU64 = AtomicU64::new(0);

/// Persistent iterators created, per kind (map, list, sparse list, key set): standalone
/// (`mdb_persistent_iter_new_*`) and in loops (`mdb_persistent_iters_new_*`).
static PERSISTENT_ITERS: [AtomicU64; 4] = [const { AtomicU64::new(0) }; 4];
static LOOP_ITERS: [AtomicU64; 4] = [const { AtomicU64::new(0) }; 4];

static AT_EXIT: Once = Once::new();

extern "C" {
    fn atexit(callback: extern "C" fn()) -> std::ffi::c_int;
}

extern "C" fn report_at_exit() {
    eprintln!("{}", report("final"));
}

/// Counts one call of the C API.
#[inline]
pub fn count_call() {
    CALLS.fetch_add(1, Ordering::Relaxed);
}

/// Counts a persistent iterator created over an index of `kind`, in a loop or standalone.
pub fn persistent_iter_created(kind: IndexKind, in_loop: bool) {
    let counters = if in_loop {
        &LOOP_ITERS
    } else {
        &PERSISTENT_ITERS
    };
    counters[kind_index(kind)].fetch_add(1, Ordering::Relaxed);
}

/// How many persistent iterators over `kind` this process created, in loops or standalone.
pub fn persistent_iters_created(kind: IndexKind, in_loop: bool) -> u64 {
    let counters = if in_loop {
        &LOOP_ITERS
    } else {
        &PERSISTENT_ITERS
    };
    counters[kind_index(kind)].load(Ordering::Relaxed)
}

fn kind_index(kind: IndexKind) -> usize {
    [
        IndexKind::Map,
        IndexKind::List,
        IndexKind::SparseList,
        IndexKind::KeySet,
    ]
    .iter()
    .position(|&k| k == kind)
    .expect("persistent iterators take these kinds")
}

/// The model's verdict on one database at the end of an input.
pub struct DbOutcome {
    pub exact: bool,
    pub rocksdb: bool,
}

/// Records an input that ran to its end, with its databases in the order they opened.
pub fn input_done(dbs: Vec<DbOutcome>) {
    AT_EXIT.call_once(|| {
        // SAFETY: registers a function that only reads atomics and writes to stderr.
        let status = unsafe { atexit(report_at_exit) };
        assert_eq!(status, 0, "atexit registers the final report");
        // A failed check panics, and libFuzzer's hook aborts: report before it.
        let hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            eprintln!("{}", report("at the crash"));
            hook(info);
        }));
    });
    let rocksdb_first = dbs.first().is_some_and(|db| db.rocksdb);
    let (mut any, mut all_exact, mut any_rocksdb) = (false, true, false);
    for db in dbs {
        any = true;
        all_exact &= db.exact;
        any_rocksdb |= db.rocksdb;
        let counter = if db.exact { &DBS_EXACT } else { &DBS_INEXACT };
        counter.fetch_add(1, Ordering::Relaxed);
        if db.rocksdb {
            ROCKSDB_DBS.fetch_add(1, Ordering::Relaxed);
            if db.exact {
                ROCKSDB_DBS_EXACT.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
    let bump = |counter: &AtomicU64, condition: bool| {
        if condition {
            counter.fetch_add(1, Ordering::Relaxed);
        }
    };
    bump(&INPUTS_WITH_DB, any);
    bump(&INPUTS_EXACT, any && all_exact);
    bump(&INPUTS_ROCKSDB_FIRST, rocksdb_first);
    bump(&INPUTS_ROCKSDB, any_rocksdb);
    let inputs = INPUTS.fetch_add(1, Ordering::Relaxed) + 1;
    if inputs.is_multiple_of(REPORT_EVERY) {
        eprintln!("{}", report("so far"));
    }
}

fn percent(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        100.0 * part as f64 / whole as f64
    }
}

/// One line with every counter, for logs and RELIABILITY.md.
fn report(when: &str) -> String {
    let get = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
    let (inputs, with_db, exact) = (get(&INPUTS), get(&INPUTS_WITH_DB), get(&INPUTS_EXACT));
    let (dbs_exact, dbs_inexact) = (get(&DBS_EXACT), get(&DBS_INEXACT));
    let (rocksdb_first, rocksdb) = (get(&INPUTS_ROCKSDB_FIRST), get(&INPUTS_ROCKSDB));
    let (rocksdb_dbs, rocksdb_exact) = (get(&ROCKSDB_DBS), get(&ROCKSDB_DBS_EXACT));
    format!(
        "metaldb-fuzz stats ({when}): {calls} C calls, {inputs} inputs; \
         exact to the end: {exact} of the {with_db} inputs with a database ({:.1}%), \
         {dbs_exact} of {} databases ({:.1}%); \
         RocksDB: first database in {rocksdb_first} inputs ({:.1}%), any in {rocksdb} ({:.1}%), \
         {rocksdb_exact} of {rocksdb_dbs} RocksDB databases exact; \
         persistent iterators over map/list/sparse list/key set: standalone {:?}, in loops {:?}",
        percent(exact, with_db),
        dbs_exact + dbs_inexact,
        percent(dbs_exact, dbs_exact + dbs_inexact),
        percent(rocksdb_first, inputs),
        percent(rocksdb, inputs),
        PERSISTENT_ITERS.each_ref().map(get),
        LOOP_ITERS.each_ref().map(get),
        calls = get(&CALLS),
    )
}
