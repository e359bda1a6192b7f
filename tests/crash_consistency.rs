//! Crash consistency of merges: a child process merges numbered patches into a RocksDB
//! database in a loop and is killed with `SIGKILL` at random moments; after each kill the
//! parent reopens the database and checks that it holds exactly the patches `1..=k` for some
//! `k`: every patch wholly visible or wholly absent, and never a later one without an earlier
//! one. `k` is at least the last patch whose merge returned in the child (sync or not: a
//! killed process loses nothing the OS already has), and at most one more (the merge in
//! flight when the kill came).
//!
//! Each patch changes an entry, a map, a list, a key set, a sparse list and (every 25th) a
//! new group member, with puts, removes and clears, so the index metadata (list lengths,
//! sparse list capacities, the identifier counter) must move together with the data. Every
//! fourth patch is merged with `merge_sync`.
//!
//! The child reports each merge before it calls it and after it returned, so the parent knows
//! where each kill landed: before the database was open, between merges, or in the middle of a
//! merge; it requires each at least once. A second test runs the same with a write-ahead log
//! limit of 16 KiB (`DBOptions::max_total_wal_size`), which makes RocksDB flush its memtables
//! to tables every few dozen patches, and compact them, while the kills come: the child samples
//! RocksDB's running flushes and compactions every millisecond and reports them, the parent
//! kills some children as soon as one starts, and requires flushes, compactions and kills
//! during them.
//!
//! Size: `METALDB_CRASH_CYCLES` kills (200 by default) and `METALDB_CRASH_FLUSH_CYCLES` kills
//! with small logs (100 by default); RELIABILITY.md has the figures.

mod background_jobs;
mod child_process;
mod common;
mod settings;

use std::{
    collections::{BTreeMap, BTreeSet},
    env,
    os::unix::process::ExitStatusExt,
    path::Path,
    thread,
    time::{Duration, Instant},
};

use metaldb::{access::CopyAccessExt, DBOptions, Database, Entry, Fork, Group, RocksDB, Snapshot};
use rand::Rng;

use background_jobs::{background, last_progress, BackgroundJobs, SMALL_WAL_LIMIT};
use child_process::{report, ChildProcess, MeanTime};
use common::pool_counter;

/// Where the child finds the database; the child test does nothing without it.
const DIR_VAR: &str = "METALDB_CRASH_DIR";
/// The write-ahead log limit of the child's database, when set.
const WAL_LIMIT_VAR: &str = "METALDB_CRASH_WAL_LIMIT";
/// The name of the test that runs in the child.
const CHILD_TEST: &str = "crash_child_merges_numbered_patches";
/// The number of kills, and its default, with RocksDB's default options and with small logs.
const CYCLES_VAR: &str = "METALDB_CRASH_CYCLES";
const CI_CYCLES: u64 = 200;
const FLUSH_CYCLES_VAR: &str = "METALDB_CRASH_FLUSH_CYCLES";
const CI_FLUSH_CYCLES: u64 = 100;

/// Every this many patches, one is merged with `merge_sync`.
const SYNC_EVERY: u64 = 4;
/// The map keeps the last this many patches' keys.
const MAP_WINDOW: u64 = 64;
/// Slots of the sparse list.
const SPARSE_SLOTS: u64 = 50;
/// Every this many patches, one creates a group member (a new index).
const GROUP_EVERY: u64 = 25;
/// The indexes every patch writes; the first patch creates them.
const FIXED_INDEXES: u64 = 5;
/// How long the parent waits for the child's next report before it calls it hung.
const REPORT_TIMEOUT: Duration = Duration::from_secs(60);

/// The value the map stores for patch `n`: its length varies, up to 300 bytes.
fn map_value(n: u64) -> Vec<u8> {
    vec![(n % 251) as u8; (n * 37 % 300) as usize]
}

/// Writes patch `n` into `fork`. [`Model::apply`] is the same, on std collections.
fn write_patch(fork: &Fork, n: u64) {
    fork.get_entry("crash.last").set(n);

    let mut map = fork.get_map::<_, u64, Vec<u8>>("crash.map");
    map.put(&n, map_value(n));
    if n > MAP_WINDOW {
        map.remove(&(n - MAP_WINDOW));
    }

    let mut list = fork.get_list::<_, u64>("crash.list");
    if n.is_multiple_of(16) {
        list.clear();
    }
    list.push(n);

    let mut set = fork.get_key_set::<_, u64>("crash.set");
    if n.is_multiple_of(97) {
        set.clear();
    }
    set.insert(&n);
    if n.is_multiple_of(3) {
        set.remove(&(n - 2));
    }

    let mut sparse = fork.get_sparse_list::<_, u64>("crash.sparse");
    sparse.set(n % SPARSE_SLOTS, n);
    if n.is_multiple_of(7) {
        sparse.remove((n / 7) % SPARSE_SLOTS);
    }

    if n.is_multiple_of(GROUP_EVERY) {
        fork.get_entry(("crash.group", &n)).set(n * 2);
    }
}

/// What the database must hold after patches `1..=patches`.
#[derive(Debug, Default, Clone, PartialEq)]
struct Model {
    patches: u64,
    map: BTreeMap<u64, Vec<u8>>,
    list: Vec<u64>,
    set: BTreeSet<u64>,
    sparse: BTreeMap<u64, u64>,
    sparse_capacity: u64,
    group: BTreeMap<u64, u64>,
}

impl Model {
    /// Applies patch `patches + 1`.
    fn apply_next(&mut self) {
        self.patches += 1;
        let n = self.patches;

        self.map.insert(n, map_value(n));
        if n > MAP_WINDOW {
            self.map.remove(&(n - MAP_WINDOW));
        }

        if n.is_multiple_of(16) {
            self.list.clear();
        }
        self.list.push(n);

        if n.is_multiple_of(97) {
            self.set.clear();
        }
        self.set.insert(n);
        if n.is_multiple_of(3) {
            self.set.remove(&(n - 2));
        }

        let slot = n % SPARSE_SLOTS;
        self.sparse.insert(slot, n);
        self.sparse_capacity = self.sparse_capacity.max(slot + 1);
        if n.is_multiple_of(7) {
            self.sparse.remove(&((n / 7) % SPARSE_SLOTS));
        }

        if n.is_multiple_of(GROUP_EVERY) {
            self.group.insert(n, n * 2);
        }
    }

    fn advance_to(&mut self, patches: u64) {
        while self.patches < patches {
            self.apply_next();
        }
    }

    /// Identifiers allocated: the fixed indexes, then one per group member.
    fn identifiers(&self) -> u64 {
        if self.patches == 0 {
            0
        } else {
            FIXED_INDEXES + self.group.len() as u64
        }
    }
}

/// Checks that `snapshot` holds exactly `model`; `context` names the seed and the cycle.
fn check_matches(snapshot: &dyn Snapshot, model: &Model, context: &str) {
    let expected_last = (model.patches > 0).then_some(model.patches);
    assert_eq!(
        snapshot.get_entry::<_, u64>("crash.last").get(),
        expected_last,
        "entry ({context})"
    );
    let map: BTreeMap<u64, Vec<u8>> = snapshot
        .get_map::<_, u64, Vec<u8>>("crash.map")
        .iter()
        .collect();
    assert_eq!(
        map, model.map,
        "map after {} patches ({context})",
        model.patches
    );

    let list = snapshot.get_list::<_, u64>("crash.list");
    assert_eq!(
        list.len(),
        model.list.len() as u64,
        "list length ({context})"
    );
    assert_eq!(
        list.iter().collect::<Vec<_>>(),
        model.list,
        "list after {} patches ({context})",
        model.patches
    );

    let set: BTreeSet<u64> = snapshot.get_key_set::<_, u64>("crash.set").iter().collect();
    assert_eq!(
        set, model.set,
        "key set after {} patches ({context})",
        model.patches
    );

    let sparse = snapshot.get_sparse_list::<_, u64>("crash.sparse");
    assert_eq!(
        sparse.iter().collect::<BTreeMap<_, _>>(),
        model.sparse,
        "sparse list after {} patches ({context})",
        model.patches
    );
    assert_eq!(
        sparse.len(),
        model.sparse.len() as u64,
        "sparse length ({context})"
    );
    assert_eq!(
        sparse.capacity(),
        model.sparse_capacity,
        "sparse capacity ({context})"
    );

    let group: Group<_, u64, Entry<_, u64>> = snapshot.get_group("crash.group");
    let members: BTreeMap<u64, u64> = group
        .keys()
        .map(|key| {
            let value = group.get(&key).get().expect("a group member has a value");
            (key, value)
        })
        .collect();
    assert_eq!(members, model.group, "group members ({context})");

    assert_eq!(
        pool_counter(snapshot),
        model.identifiers(),
        "identifier counter after {} patches ({context})",
        model.patches
    );
}

fn open(dir: &Path, wal_limit: Option<u64>) -> RocksDB {
    let mut options = DBOptions::default();
    options.max_total_wal_size = wal_limit;
    RocksDB::open(dir, &options).expect("open RocksDB")
}

/// The child: resumes after the last visible patch and merges the next ones until it is
/// killed, reporting each merge once it has returned.
#[test]
#[ignore = "run as a child process by `merges_survive_sigkill_wholly_or_not_at_all`"]
fn crash_child_merges_numbered_patches() {
    let Ok(dir) = env::var(DIR_VAR) else {
        return;
    };
    let wal_limit = env::var(WAL_LIMIT_VAR)
        .ok()
        .map(|limit| limit.parse().expect("a size"));
    let db = open(Path::new(&dir), wal_limit);
    let mut n = db
        .snapshot()
        .get_entry::<_, u64>("crash.last")
        .get()
        .unwrap_or(0);
    report(&format!("open {n}"));
    if wal_limit.is_some() {
        background_jobs::start_reporting(&db);
    }
    // Bounded, so that a child whose parent died ends on its own; the parent kills it long
    // before (and a write to a closed pipe ends it too).
    for _ in 0..1_000_000 {
        n += 1;
        let fork = db.fork();
        write_patch(&fork, n);
        report(&format!("merging {n}"));
        if n.is_multiple_of(SYNC_EVERY) {
            db.merge_sync(fork.into_patch()).expect("merge_sync");
        } else {
            db.merge(fork.into_patch()).expect("merge");
        }
        report(&format!("ack {n}"));
    }
}

/// The patch number of an `ack` report.
fn acked(line: &str) -> Option<u64> {
    line.strip_prefix("ack ")?.parse().ok()
}

/// Where a kill landed, from the child's last report before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Landing {
    /// Before the child reported the database open (while RocksDB opened and recovered).
    BeforeOpen,
    /// After a merge returned (or the open), before the next merge was called.
    BetweenMerges,
    /// After the child called a merge, before it returned.
    MidMerge,
}

fn landing(reports: &[String]) -> Landing {
    match last_progress(reports) {
        None => Landing::BeforeOpen,
        Some(line) if line.starts_with("merging ") => Landing::MidMerge,
        Some(_) => Landing::BetweenMerges,
    }
}

/// What the cycles saw, for RELIABILITY.md.
#[derive(Debug, Default)]
struct Figures {
    cycles: u64,
    /// Kills after a chosen acknowledged merge, at a random time since the start, and as soon
    /// as a flush or compaction was seen running.
    kills_after_an_ack: u64,
    kills_at_random_times: u64,
    kills_at_a_background_job: u64,
    /// Where the kills landed.
    kills_during_open: u64,
    kills_between_merges: u64,
    kills_mid_merge: u64,
    /// Kills while a flush or compaction was running (as last sampled by the child).
    kills_during_a_flush: u64,
    kills_during_a_compaction: u64,
    /// Flushes and compactions seen starting.
    flushes: u64,
    compactions: u64,
    /// The merge in flight at the kill was found wholly visible / wholly absent.
    in_flight_visible: u64,
    in_flight_absent: u64,
    acknowledged_syncs: u64,
}

#[test]
fn merges_survive_sigkill_wholly_or_not_at_all() {
    kill_cycles(
        "merges_survive_sigkill_wholly_or_not_at_all",
        settings::size(CYCLES_VAR, CI_CYCLES),
        None,
    );
}

#[test]
fn merges_survive_sigkill_during_memtable_flushes_and_compactions() {
    let figures = kill_cycles(
        "merges_survive_sigkill_during_memtable_flushes_and_compactions",
        settings::size(FLUSH_CYCLES_VAR, CI_FLUSH_CYCLES),
        Some(SMALL_WAL_LIMIT),
    );
    assert!(
        figures.flushes > 0 && figures.compactions > 0,
        "the small log limit made no flush or no compaction: {figures:?}"
    );
    assert!(
        figures.kills_during_a_flush + figures.kills_during_a_compaction > 0,
        "no kill landed during a flush or a compaction: {figures:?}"
    );
}

/// Runs `cycles` kills of children merging into one database (opened with `wal_limit`), checks
/// the database after each, requires kills in each [`Landing`], and returns the figures.
fn kill_cycles(test: &str, cycles: u64, wal_limit: Option<u64>) -> Figures {
    let started = Instant::now();
    let (mut rng, seed) = settings::seeded_rng(test);
    let dir = tempfile::tempdir().expect("temporary directory");
    let wal_limit_text = wal_limit.map(|limit| limit.to_string()).unwrap_or_default();
    let mut vars = vec![(DIR_VAR, dir.path().as_os_str())];
    if wal_limit.is_some() {
        vars.push((WAL_LIMIT_VAR, wal_limit_text.as_ref()));
    }
    let mut model = Model::default();
    let mut figures = Figures::default();
    let mut startup = MeanTime::new(Duration::from_millis(50));

    for cycle in 0..cycles {
        let context = format!("seed {seed}, cycle {cycle}");
        let visible_before = model.patches;
        let mut child = ChildProcess::spawn(CHILD_TEST, &vars);
        let plan = rng.gen_range(0..8);
        if plan < 6 {
            let opened =
                child.wait_for_report(REPORT_TIMEOUT, &context, |line| line.starts_with("open "));
            assert!(
                opened.is_some(),
                "the child ended ({context}): {:?}",
                child.wait()
            );
            startup.record(child.age());
        }
        if plan < 2 && wal_limit.is_some() {
            // As soon as a flush or compaction runs (or after many merges without one).
            let limit = visible_before + 400;
            let reached = child.wait_for_report(REPORT_TIMEOUT, &context, |line| {
                background(line).is_some_and(|(flushes, compactions)| flushes + compactions > 0)
                    || acked(line).is_some_and(|n| n >= limit)
            });
            assert!(
                reached.is_some(),
                "the child ended ({context}): {:?}",
                child.wait()
            );
            figures.kills_at_a_background_job += 1;
        } else if plan < 6 {
            // Right after a merge returned, or in the middle of the next ones.
            let target = visible_before + rng.gen_range(1..=40);
            let reached = child.wait_for_report(REPORT_TIMEOUT, &context, |line| {
                acked(line).is_some_and(|n| n >= target)
            });
            assert!(
                reached.is_some(),
                "the child ended before patch {target} ({context}): {:?}",
                child.wait()
            );
            thread::sleep(Duration::from_micros(rng.gen_range(0..3_000)));
            figures.kills_after_an_ack += 1;
        } else {
            // Anywhere: while RocksDB opens and recovers, or while the child merges.
            thread::sleep(rng.gen_range(Duration::ZERO..startup.mean() * 2));
            figures.kills_at_random_times += 1;
        }
        let finished = child.kill();
        assert_eq!(
            finished.status.signal(),
            Some(libc::SIGKILL),
            "the child must die of the kill, not before ({context}): {}",
            finished.stderr
        );
        match landing(&finished.reports) {
            Landing::BeforeOpen => figures.kills_during_open += 1,
            Landing::BetweenMerges => figures.kills_between_merges += 1,
            Landing::MidMerge => figures.kills_mid_merge += 1,
        }
        let jobs = BackgroundJobs::of(&finished.reports);
        figures.flushes += jobs.flushes;
        figures.compactions += jobs.compactions;
        figures.kills_during_a_flush += u64::from(jobs.flush_at_end);
        figures.kills_during_a_compaction += u64::from(jobs.compaction_at_end);
        let acks: Vec<u64> = finished
            .reports
            .iter()
            .filter_map(|line| acked(line))
            .collect();
        figures.acknowledged_syncs +=
            acks.iter().filter(|n| n.is_multiple_of(SYNC_EVERY)).count() as u64;
        let last_acked = acks.last().copied().unwrap_or(visible_before);
        assert!(
            acks.iter().copied().eq(visible_before + 1..=last_acked),
            "the child merged out of order: {acks:?} after {visible_before} ({context})"
        );

        let db = open(dir.path(), wal_limit);
        let snapshot = db.snapshot();
        let visible = snapshot
            .get_entry::<_, u64>("crash.last")
            .get()
            .unwrap_or(0);
        assert!(
            visible == last_acked || visible == last_acked + 1,
            "patch {visible} is the last visible one, but the child acknowledged {last_acked} \
             ({} patches were acknowledged with merge_sync) ({context})",
            acks.iter().filter(|n| n.is_multiple_of(SYNC_EVERY)).count()
        );
        if visible > last_acked {
            figures.in_flight_visible += 1;
        } else {
            figures.in_flight_absent += 1;
        }
        model.advance_to(visible);
        check_matches(snapshot.as_ref(), &model, &context);
        figures.cycles += 1;
    }

    println!(
        "{} cycles in {:?}: {} kills after an acknowledged merge, {} at random times, {} as a \
         flush or compaction ran; they landed {} before the database was open (children took \
         {:?} to open it on average), {} between merges, {} in the middle of a merge, {} during \
         a flush, {} during a compaction; {} flushes and {} compactions seen; the merge in \
         flight was visible after {} kills and absent after {}; {} patches merged in all, {} of \
         them acknowledged merge_syncs",
        figures.cycles,
        started.elapsed(),
        figures.kills_after_an_ack,
        figures.kills_at_random_times,
        figures.kills_at_a_background_job,
        figures.kills_during_open,
        startup.mean(),
        figures.kills_between_merges,
        figures.kills_mid_merge,
        figures.kills_during_a_flush,
        figures.kills_during_a_compaction,
        figures.flushes,
        figures.compactions,
        figures.in_flight_visible,
        figures.in_flight_absent,
        model.patches,
        figures.acknowledged_syncs,
    );
    assert!(
        figures.kills_during_open > 0
            && figures.kills_between_merges > 0
            && figures.kills_mid_merge > 0,
        "kills must land before the open, between merges and in the middle of a merge (seed \
         {seed}): {figures:?}"
    );
    figures
}
