//! Concurrency through the C ABI, at a size valgrind could not run (`ffi-tests/threads.c` and
//! `ffi-tests/abort_handle.c` are the small versions): many threads share one RocksDB
//! database through `mdb_*` calls.
//!
//! * Writers fork, write and merge concurrently while snapshot readers check, in every
//!   snapshot, invariants that only atomic merges keep; at the end every merge is counted.
//! * One fork family is used by several threads at once (writes through a shared handle,
//!   indexes opened and refused, flushes), and consumed by one of them while the others still
//!   write: every write that returned `MDB_OK` is in the merged patch, and nothing else.
//! * Migration helpers run on their own threads while other threads fire their abort
//!   handles: every helper merge that returned `MDB_OK` is in the database, nothing of the
//!   aborted step is, and the abort handles report the helpers finished.
//!
//! Size: `METALDB_STRESS_ROUNDS` (300 by default) scales the rounds of every part;
//! RELIABILITY.md has the figures.

mod c_abi;
mod settings;

use std::{
    collections::BTreeSet,
    ptr,
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering},
        Barrier,
    },
    thread,
    time::{Duration, Instant},
};

use rand::Rng;

use c_abi::*;

/// Rounds of each writer, and the variable that changes it.
const ROUNDS_VAR: &str = "METALDB_STRESS_ROUNDS";
const CI_ROUNDS: u64 = 300;

const WRITERS: usize = 4;
const READERS: usize = 3;

fn rounds() -> u64 {
    settings::size(ROUNDS_VAR, CI_ROUNDS)
}

fn number(bytes: &[u8]) -> u64 {
    u64::from_le_bytes(bytes.try_into().expect("an 8-byte number"))
}

fn pair_key(side: &str, writer: usize) -> Vec<u8> {
    format!("{side}{writer}").into_bytes()
}

fn round_key(writer: usize, round: u64) -> Vec<u8> {
    format!("w{writer}.r{round:06}").into_bytes()
}

/// One writer: every round, in one fork, sets `a<w>` and `b<w>` to the round, adds the key
/// `w<w>.r<round>` and appends the round to its list `log_<w>`; every third round merges with
/// sync.
///
/// # Safety
///
/// `db` must be a live database handle.
unsafe fn write_rounds(db: *mut mdb_db, writer: usize, rounds: u64) {
    for round in 1..=rounds {
        // SAFETY: per the caller; the handles are opened and freed within the fork's life.
        unsafe {
            commit(db, round.is_multiple_of(3), |access| {
                let map = open_map(access, "shared").expect("open the shared map");
                let value = round.to_le_bytes();
                check(map_put(map, &pair_key("a", writer), &value), "put a");
                check(
                    map_put(map, &round_key(writer, round), &[]),
                    "put the round key",
                );
                check(map_put(map, &pair_key("b", writer), &value), "put b");
                mdb_map_free(map);
                let list = open_list(access, &format!("log_{writer}")).expect("open the log");
                check(mdb_list_push(list, value.as_ptr(), value.len()), "push");
                mdb_list_free(list);
            });
        }
    }
}

/// One reader: in every snapshot, each writer's `a` and `b` agree, its log is as long as
/// `a` says, its round keys stop exactly at `a`, and nothing goes back between snapshots.
/// Returns the number of snapshots read.
///
/// # Safety
///
/// `db` must be a live database handle.
unsafe fn read_snapshots(db: *const mdb_db, done: &AtomicBool) -> u64 {
    let mut last = [0_u64; WRITERS];
    let mut snapshots = 0;
    loop {
        // Read once more after the writers finished, to see their last merges.
        let finished = done.load(Ordering::SeqCst);
        let mut snapshot = ptr::null_mut();
        // SAFETY: per the caller; every handle is freed once, children before their parent is
        // not required (children keep it alive).
        unsafe {
            check(mdb_snapshot_new(db, &mut snapshot), "mdb_snapshot_new");
            let access = mdb_snapshot_as_access(snapshot);
            let map = open_map(access, "shared").expect("open the shared map");
            for (writer, last) in last.iter_mut().enumerate() {
                let a = map_get(map, &pair_key("a", writer))
                    .expect("get a")
                    .map_or(0, |v| number(&v));
                let b = map_get(map, &pair_key("b", writer))
                    .expect("get b")
                    .map_or(0, |v| number(&v));
                assert_eq!(a, b, "writer {writer}: a half-visible merge");
                assert!(*last <= a, "writer {writer} went back from {last} to {a}");
                *last = a;
                let list = open_list(access, &format!("log_{writer}")).expect("open the log");
                assert_eq!(
                    list_len(list),
                    Ok(a),
                    "writer {writer}: log length against a"
                );
                mdb_list_free(list);
                let mut found = false;
                if a > 0 {
                    let key = round_key(writer, a);
                    check(
                        mdb_map_contains(map, key.as_ptr(), key.len(), &mut found),
                        "contains",
                    );
                    assert!(found, "writer {writer}: round {a} has no key");
                }
                let next = round_key(writer, a + 1);
                check(
                    mdb_map_contains(map, next.as_ptr(), next.len(), &mut found),
                    "contains",
                );
                assert!(
                    !found,
                    "writer {writer}: round {} is visible before a says so",
                    a + 1
                );
            }
            mdb_map_free(map);
            mdb_snapshot_free(snapshot);
        }
        snapshots += 1;
        if finished {
            return snapshots;
        }
    }
}

#[test]
fn concurrent_merges_and_snapshot_readers_through_the_c_abi_lose_nothing() {
    let started = Instant::now();
    let rounds = rounds();
    let dir = tempfile::tempdir().expect("temporary directory");
    let db = Shared(open(&dir.path().join("db")).expect("open the database"));

    // The indexes exist before the threads start: forks that create the same index
    // concurrently would each give it an identifier (see the README's consistency notes).
    // SAFETY: a live database.
    unsafe {
        commit(db.0, false, |access| {
            let map = open_map(access, "shared").expect("create the shared map");
            check(map_put(map, b"created", b"yes"), "put");
            mdb_map_free(map);
            for writer in 0..WRITERS {
                mdb_list_free(open_list(access, &format!("log_{writer}")).expect("create a log"));
            }
        });
    }

    let done = AtomicBool::new(false);
    let snapshots = AtomicU64::new(0);
    thread::scope(|scope| {
        let readers: Vec<_> = (0..READERS)
            .map(|_| {
                scope.spawn(|| {
                    // SAFETY: the database outlives the scope.
                    let read = unsafe { read_snapshots(db.get(), &done) };
                    snapshots.fetch_add(read, Ordering::SeqCst);
                })
            })
            .collect();
        let writers: Vec<_> = (0..WRITERS)
            .map(|writer| {
                scope.spawn(move || {
                    // SAFETY: the database outlives the scope.
                    unsafe { write_rounds(db.get(), writer, rounds) }
                })
            })
            .collect();
        for writer in writers {
            writer.join().expect("a writer failed");
        }
        done.store(true, Ordering::SeqCst);
        for reader in readers {
            reader.join().expect("a reader failed");
        }
    });

    // Every merge is there: each writer's rounds, keys and log entries.
    // SAFETY: live handles, each freed once.
    unsafe {
        let mut snapshot = ptr::null_mut();
        check(mdb_snapshot_new(db.0, &mut snapshot), "mdb_snapshot_new");
        let access = mdb_snapshot_as_access(snapshot);
        let map = open_map(access, "shared").expect("open the shared map");
        let keys: BTreeSet<Vec<u8>> = map_entries(map).into_iter().map(|(key, _)| key).collect();
        for writer in 0..WRITERS {
            assert_eq!(
                map_get(map, &pair_key("a", writer))
                    .unwrap()
                    .map(|v| number(&v)),
                Some(rounds)
            );
            for round in 1..=rounds {
                assert!(
                    keys.contains(&round_key(writer, round)),
                    "writer {writer} round {round}"
                );
            }
            let list = open_list(access, &format!("log_{writer}")).unwrap();
            assert_eq!(list_len(list), Ok(rounds));
            mdb_list_free(list);
        }
        // Two pair keys per writer, one key per round, and the setup's key.
        assert_eq!(keys.len() as u64, WRITERS as u64 * (2 + rounds) + 1);
        mdb_map_free(map);
        mdb_snapshot_free(snapshot);
        mdb_db_free(db.0);
    }
    println!(
        "{WRITERS} writers merged {} patches while {READERS} readers checked {} snapshots, in {:?}",
        WRITERS as u64 * rounds,
        snapshots.load(Ordering::SeqCst),
        started.elapsed()
    );
}

const FAMILY_THREADS: usize = 4;

/// What one thread of a shared fork family did.
#[derive(Debug, Default)]
struct FamilyWork {
    /// Keys whose put through the shared map returned `MDB_OK`.
    written: Vec<Vec<u8>>,
    /// Whether a call was refused because the fork was consumed meanwhile.
    met_stale: bool,
    /// Attempts to open the shared map a second time, refused as borrowed.
    borrowed: u64,
    flushes: u64,
    /// The patch, from the thread that consumed the fork.
    patch: Option<Shared<mdb_patch>>,
}

/// One thread of the family: writes its own keys through the shared map `map_name`, opens
/// and frees a list of its own, tries to open the shared map again (refused: it is borrowed),
/// and flushes the fork now and then, until the fork is consumed under it. With `consume_at`, it
/// turns the fork into a patch itself once the threads together wrote that many keys.
///
/// # Safety
///
/// `fork` and `map` must be live handles of one family; after `mdb_fork_into_patch` they stay
/// valid to call (and report the stale handle) until freed.
unsafe fn use_the_family(
    fork: *mut mdb_fork,
    map: *mut mdb_map,
    map_name: &str,
    thread_number: usize,
    keys: u64,
    progress: &AtomicU64,
    consume_at: Option<u64>,
) -> FamilyWork {
    let mut work = FamilyWork::default();
    // SAFETY (of every call below): per the caller.
    let access = unsafe { mdb_fork_as_access(fork) };
    let consume = |work: &mut FamilyWork| {
        let mut patch = ptr::null_mut();
        check(
            unsafe { mdb_fork_into_patch(fork, &mut patch) },
            "mdb_fork_into_patch",
        );
        work.patch = Some(Shared(patch));
    };
    for i in 0..keys {
        if consume_at.is_some_and(|at| progress.load(Ordering::SeqCst) >= at) {
            consume(&mut work);
            return work;
        }
        let key = format!("t{thread_number}.k{i:06}").into_bytes();
        match unsafe { map_put(map, &key, &i.to_le_bytes()) } {
            MDB_OK => {
                work.written.push(key);
                progress.fetch_add(1, Ordering::SeqCst);
            }
            MDB_ERR_STALE_HANDLE => {
                work.met_stale = true;
                return work;
            }
            other => panic!("put: {} ({})", status_text(other), last_error()),
        }
        if i.is_multiple_of(16) {
            match unsafe { open_map(access, map_name) } {
                Err(MDB_ERR_BORROWED) => work.borrowed += 1,
                Err(MDB_ERR_STALE_HANDLE) => {
                    work.met_stale = true;
                    return work;
                }
                other => panic!("a second writable handle on the shared map: {other:?}"),
            }
            match unsafe { open_list(access, &format!("list_{thread_number}")) } {
                Ok(list) => {
                    let value = i.to_le_bytes();
                    // The push may meet the consumption of the fork, too.
                    let status = unsafe { mdb_list_push(list, value.as_ptr(), value.len()) };
                    assert!(
                        matches!(status, MDB_OK | MDB_ERR_STALE_HANDLE),
                        "push: {}",
                        status_text(status)
                    );
                    unsafe { mdb_list_free(list) };
                }
                Err(MDB_ERR_STALE_HANDLE) => {
                    work.met_stale = true;
                    return work;
                }
                Err(other) => panic!("open a list: {} ({})", status_text(other), last_error()),
            }
        }
        if i % 64 == 63 {
            match unsafe { mdb_fork_flush(fork) } {
                MDB_OK => work.flushes += 1,
                MDB_ERR_STALE_HANDLE => {
                    work.met_stale = true;
                    return work;
                }
                other => panic!("flush: {} ({})", status_text(other), last_error()),
            }
        }
    }
    if let Some(at) = consume_at {
        // The others write enough: `at` is below what they write together.
        while progress.load(Ordering::SeqCst) < at {
            thread::yield_now();
        }
        consume(&mut work);
    }
    work
}

#[test]
fn a_fork_family_shared_by_threads_keeps_every_write_that_returned_ok() {
    let started = Instant::now();
    let (mut rng, seed) =
        settings::seeded_rng("a_fork_family_shared_by_threads_keeps_every_write_that_returned_ok");
    let keys = rounds() / 2;
    let families = rounds() / 20;
    let dir = tempfile::tempdir().expect("temporary directory");
    let db = Shared(open(&dir.path().join("db")).expect("open the database"));
    let (mut written_total, mut stale_total, mut borrowed_total, mut flushes_total) = (0, 0, 0, 0);

    for family in 0..families {
        let context = format!("seed {seed}, family {family}");
        let map_name = format!("family_{family}");
        let mut fork = ptr::null_mut();
        // SAFETY: a live database.
        check(unsafe { mdb_fork_new(db.0, &mut fork) }, "mdb_fork_new");
        let fork = Shared(fork);
        // SAFETY: a live fork.
        let map = Shared(unsafe { open_map(mdb_fork_as_access(fork.0), &map_name) }.expect("open"));
        // Thread 0 consumes the fork once the threads together wrote a random number of keys;
        // the others are writing then.
        let consume_at = rng.gen_range(0..keys * (FAMILY_THREADS as u64 - 1));
        let progress = AtomicU64::new(0);
        let start = Barrier::new(FAMILY_THREADS);

        let works: Vec<FamilyWork> = thread::scope(|scope| {
            let workers: Vec<_> = (0..FAMILY_THREADS)
                .map(|thread| {
                    let (start, progress, map_name) = (&start, &progress, &map_name);
                    scope.spawn(move || {
                        start.wait();
                        let consume_at = (thread == 0).then_some(consume_at);
                        // SAFETY: the handles are freed only after the scope.
                        unsafe {
                            use_the_family(
                                fork.get(),
                                map.get(),
                                map_name,
                                thread,
                                keys,
                                progress,
                                consume_at,
                            )
                        }
                    })
                })
                .collect();
            workers
                .into_iter()
                .map(|worker| worker.join().expect("a family thread failed"))
                .collect()
        });

        let patch = works
            .iter()
            .find_map(|work| work.patch)
            .expect("thread 0 consumed the fork");
        // SAFETY: live handles, each freed once; the map and fork handles are stale now.
        let merged: BTreeSet<Vec<u8>> = unsafe {
            check(mdb_db_merge(db.0, patch.0), "mdb_db_merge");
            mdb_patch_free(patch.0);
            mdb_map_free(map.0);
            mdb_fork_free(fork.0);
            let mut snapshot = ptr::null_mut();
            check(mdb_snapshot_new(db.0, &mut snapshot), "mdb_snapshot_new");
            let map = open_map(mdb_snapshot_as_access(snapshot), &map_name).expect("open");
            let keys = map_entries(map).into_iter().map(|(key, _)| key).collect();
            mdb_map_free(map);
            mdb_snapshot_free(snapshot);
            keys
        };
        let written: BTreeSet<Vec<u8>> =
            works.iter().flat_map(|work| work.written.clone()).collect();
        assert_eq!(
            merged, written,
            "the merged patch holds exactly the writes that returned MDB_OK ({context})"
        );
        assert!(
            works[1..]
                .iter()
                .all(|work| work.met_stale || work.written.len() as u64 == keys),
            "every other thread either finished or met the consumed fork ({context})"
        );
        written_total += written.len();
        stale_total += works.iter().filter(|work| work.met_stale).count();
        borrowed_total += works.iter().map(|work| work.borrowed).sum::<u64>();
        flushes_total += works.iter().map(|work| work.flushes).sum::<u64>();
    }
    // SAFETY: closed once.
    unsafe { mdb_db_free(db.0) };
    println!(
        "{families} fork families of {FAMILY_THREADS} threads each: {written_total} writes \
         returned MDB_OK, {borrowed_total} second handles refused, {flushes_total} flushes, \
         {stale_total} threads met the consumed fork; {:?}",
        started.elapsed()
    );
}

const MIGRATIONS: usize = 6;
/// Entries each helper step writes.
const STEP_ENTRIES: u64 = 5;

/// How far one helper has got, shared with the thread that aborts it.
#[derive(Default)]
struct Progress {
    /// Merge calls begun.
    merges_begun: AtomicU64,
    /// Merge calls returned, whatever their status.
    merges_returned: AtomicU64,
    /// `merges_begun` once the abort (or the free of the abort handle) had returned.
    begun_when_aborted: AtomicU64,
}

impl Progress {
    /// Called as soon as the abort (or the free) returns: only merges begun by then may still
    /// succeed.
    fn record_abort(&self) {
        let begun = self.merges_begun.load(Ordering::SeqCst);
        self.begun_when_aborted.store(begun, Ordering::SeqCst);
    }
}

/// What one helper thread saw.
#[derive(Debug)]
struct HelperRun {
    /// Helper merges that returned `MDB_OK`.
    merged_steps: u64,
    /// The status that ended the run: `MDB_ERR_ABORTED`, or `MDB_OK` if all steps merged.
    end: mdb_status,
}

/// Runs up to `steps` steps of the migration `namespace`, each writing `STEP_ENTRIES`
/// entries into the migrated map `wallets` and merging, until a merge fails.
///
/// # Safety
///
/// `helper` must be a live helper handle, used by this thread only.
unsafe fn run_helper(
    helper: *mut mdb_migration_helper,
    steps: u64,
    progress: &Progress,
) -> HelperRun {
    for step in 0..steps {
        let mut new_data = ptr::null_mut();
        // SAFETY: per the caller. A failed merge left the helper unusable; the loop ends then.
        unsafe {
            check(
                mdb_migration_helper_new_data(helper, &mut new_data),
                "new_data",
            );
            let map = open_map(new_data, "wallets").expect("open the migrated map");
            for entry in 0..STEP_ENTRIES {
                let key = (step * STEP_ENTRIES + entry).to_be_bytes();
                check(map_put(map, &key, &step.to_le_bytes()), "put");
            }
            mdb_map_free(map);
            mdb_access_free(new_data);
            progress.merges_begun.fetch_add(1, Ordering::SeqCst);
            let status = mdb_migration_helper_merge(helper);
            progress.merges_returned.fetch_add(1, Ordering::SeqCst);
            if status != MDB_OK {
                return HelperRun {
                    merged_steps: step,
                    end: status,
                };
            }
        }
    }
    HelperRun {
        merged_steps: steps,
        end: MDB_OK,
    }
}

#[test]
fn abort_handles_fired_from_other_threads_stop_helpers_between_merges() {
    let started = Instant::now();
    let (mut rng, seed) =
        settings::seeded_rng("abort_handles_fired_from_other_threads_stop_helpers_between_merges");
    let steps = rounds() / 3;
    let dir = tempfile::tempdir().expect("temporary directory");
    let db = Shared(open(&dir.path().join("db")).expect("open the database"));

    // Half the migrations are aborted with `mdb_abort_handle_abort`, half by freeing the
    // handle, each from a thread of its own: once the helper has made a random number of
    // merge calls (one more than it will make stops it at the end), then after a random
    // delay, so that the abort lands anywhere in a step.
    // The first two are aborted at once, long before their last step (100 in CI), so that
    // the run surely holds aborts of both kinds.
    let plans: Vec<(bool, u64, Duration)> = (0..MIGRATIONS)
        .map(|i| match i {
            0 | 1 => (i == 0, 0, Duration::ZERO),
            _ => (
                i.is_multiple_of(2),
                rng.gen_range(0..=steps),
                Duration::from_micros(rng.gen_range(0..1_000)),
            ),
        })
        .collect();
    let progress: Vec<Progress> = (0..MIGRATIONS).map(|_| Progress::default()).collect();
    let mut helpers = Vec::new();
    for i in 0..MIGRATIONS {
        let namespace = format!("ns{i}");
        let (namespace, len) = name(&namespace);
        let (mut helper, mut abort_handle) = (ptr::null_mut(), ptr::null_mut());
        // SAFETY: a live database and valid outputs.
        let status = unsafe {
            mdb_migration_helper_new_with_abort(
                db.0,
                namespace,
                len,
                &mut helper,
                &mut abort_handle,
            )
        };
        check(status, "mdb_migration_helper_new_with_abort");
        helpers.push((Shared(helper), Shared(abort_handle)));
    }

    let runs: Vec<HelperRun> = thread::scope(|scope| {
        let mut runners = Vec::new();
        for (i, &(helper, abort_handle)) in helpers.iter().enumerate() {
            let (explicit, merges, delay) = plans[i];
            let progress = &progress[i];
            runners.push(scope.spawn(move || {
                // SAFETY: this thread is the helper's only user; freed once, here.
                let run = unsafe { run_helper(helper.get(), steps, progress) };
                unsafe { mdb_migration_helper_free(helper.get()) };
                run
            }));
            scope.spawn(move || {
                while progress.merges_returned.load(Ordering::SeqCst) < merges {
                    thread::yield_now();
                }
                thread::sleep(delay);
                // SAFETY: the abort handle is thread-safe; ended once, here.
                unsafe {
                    if explicit {
                        check(
                            mdb_abort_handle_abort(abort_handle.get()),
                            "mdb_abort_handle_abort",
                        );
                        progress.record_abort();
                        // The helper goes on until its next merge, which fails; then it is
                        // finished.
                        let mut finished = false;
                        while !finished {
                            check(
                                mdb_abort_handle_is_finished(abort_handle.get(), &mut finished),
                                "mdb_abort_handle_is_finished",
                            );
                            thread::yield_now();
                        }
                        mdb_abort_handle_forget(abort_handle.get());
                    } else {
                        mdb_abort_handle_free(abort_handle.get());
                        progress.record_abort();
                    }
                }
            });
        }
        runners
            .into_iter()
            .map(|runner| runner.join().expect("a helper thread failed"))
            .collect()
    });

    // Each migration holds exactly the steps whose merge returned `MDB_OK`.
    let mut aborted = 0;
    for (i, run) in runs.iter().enumerate() {
        assert!(
            matches!(run.end, MDB_OK | MDB_ERR_ABORTED),
            "migration {i} ended with {} (seed {seed})",
            status_text(run.end)
        );
        if run.end == MDB_ERR_ABORTED {
            aborted += 1;
        }
        let begun_when_aborted = progress[i].begun_when_aborted.load(Ordering::SeqCst);
        assert!(
            run.merged_steps <= begun_when_aborted,
            "migration {i}: {} merges succeeded, but the abort had returned when {} had begun: \
             the abort must take effect at the next merge (seed {seed})",
            run.merged_steps,
            begun_when_aborted
        );
        // SAFETY: live handles, each freed once.
        unsafe {
            let mut snapshot = ptr::null_mut();
            check(mdb_snapshot_new(db.0, &mut snapshot), "mdb_snapshot_new");
            let namespace = format!("ns{i}");
            let (namespace, len) = name(&namespace);
            let mut migration = ptr::null_mut();
            check(
                mdb_access_migration(
                    mdb_snapshot_as_access(snapshot),
                    namespace,
                    len,
                    &mut migration,
                ),
                "mdb_access_migration",
            );
            let map = open_map(migration, "wallets").expect("open the migrated map");
            let entries = map_entries(map);
            let expected: Vec<(Vec<u8>, Vec<u8>)> = (0..run.merged_steps * STEP_ENTRIES)
                .map(|key| {
                    (
                        key.to_be_bytes().to_vec(),
                        (key / STEP_ENTRIES).to_le_bytes().to_vec(),
                    )
                })
                .collect();
            assert_eq!(entries, expected, "migration {i}: {run:?} (seed {seed})");
            mdb_map_free(map);
            mdb_access_free(migration);
            mdb_snapshot_free(snapshot);
        }
    }
    assert!(
        aborted >= 2,
        "the helpers aborted at once must end MDB_ERR_ABORTED: \
         {runs:?} (seed {seed})"
    );
    // SAFETY: closed once.
    unsafe { mdb_db_free(db.0) };
    println!(
        "{MIGRATIONS} helpers of up to {steps} steps, aborted from other threads: {aborted} \
         stopped by the abort, after {:?} merged steps; {:?}",
        runs.iter().map(|run| run.merged_steps).collect::<Vec<_>>(),
        started.elapsed()
    );
}
