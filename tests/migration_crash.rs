//! Crash consistency of migrations: a child process migrates a map to a list with
//! `MigrationHelper::iter_loop` (one helper merge per chunk), then flushes the migration in
//! one `merge_sync`; the parent kills it with `SIGKILL` right after a helper merge, during the
//! flush, or at a random time, and checks the database after every kill:
//!
//! * before the flush, the old map is intact and the migrated list is a prefix of the
//!   migrated entries, each exactly once, that moved together with the persistent iterator's
//!   saved position; it holds every chunk whose merge returned, and at most one more;
//! * after the flush, the migrated list has replaced the map, with every entry exactly once,
//!   and the migration's pool entries, scratchpad and old data are gone;
//! * never anything in between, and data outside the namespace is untouched.
//!
//! The parent restarts the child after every kill, which resumes from the saved position,
//! until the migration is flushed; then it starts over on a new database. The child reports a
//! helper merge before it is called (the end of the step) and once it has returned, so the
//! parent knows where each kill landed; it requires kills in the middle of a helper merge, and
//! kills in the flush that found it written and not yet written.
//!
//! The flush can take less time than the parent needs to react to a report, so the child
//! starts it only on the parent's word, and reports how long it took; the parent kills a
//! flush at a random time after its word, up to twice the mean of those lengths.
//!
//! A second test runs the same with a write-ahead log limit of 16 KiB, so that RocksDB flushes
//! memtables and compacts tables (range deletions of the migration's flush among them) while
//! the kills come; it requires memtable flushes, compactions and kills while one ran.
//!
//! Size: `METALDB_MIGRATION_CRASH_CYCLES` kills (200 by default) and
//! `METALDB_MIGRATION_CRASH_SMALL_LOG_CYCLES` kills with small logs (100 by default);
//! RELIABILITY.md has the figures.

mod background_jobs;
mod child_process;
mod common;
mod settings;

use std::{
    env,
    ffi::OsStr,
    os::unix::process::ExitStatusExt,
    path::Path,
    thread,
    time::{Duration, Instant},
};

use metaldb::{
    access::{Access, AccessExt, CopyAccessExt},
    migration::{flush_migration, Migration, MigrationHelper, Scratchpad},
    DBOptions, Database, IndexType, ResolvedAddress, RocksDB, Snapshot,
};
use rand::{rngs::StdRng, Rng};

use background_jobs::{last_progress, BackgroundJobs, SMALL_WAL_LIMIT};
use child_process::{report, wait_for_parent, ChildProcess, Finished, MeanTime};
use common::{pool_keys, raw_entries};

/// Where the child finds the database; the child test does nothing without it.
const DIR_VAR: &str = "METALDB_MIGRATION_CRASH_DIR";
/// The write-ahead log limit of the child's database, when set.
const WAL_LIMIT_VAR: &str = "METALDB_MIGRATION_CRASH_WAL_LIMIT";
/// The name of the test that runs in the child.
const CHILD_TEST: &str = "migration_crash_child";
/// The number of kills, and its default, with RocksDB's default options and with small logs.
const CYCLES_VAR: &str = "METALDB_MIGRATION_CRASH_CYCLES";
const CI_CYCLES: u64 = 200;
const SMALL_LOG_CYCLES_VAR: &str = "METALDB_MIGRATION_CRASH_SMALL_LOG_CYCLES";
const CI_SMALL_LOG_CYCLES: u64 = 100;

/// Entries in the old map.
const ENTRIES: u64 = 1_000;
/// Entries migrated per helper merge.
const CHUNK: u64 = 50;
/// After this many kills of one migration, the next child may run to the end.
const KILLS_PER_MIGRATION: u64 = 15;
/// What the parent sends the child to start the flush.
const FLUSH_WORD: &str = "flush";
/// How long the parent waits for the child's next report before it calls it hung.
const REPORT_TIMEOUT: Duration = Duration::from_secs(60);

/// The migrated layout: a list of `key << 64 | (balance + 1)`, in key order. Migrating an
/// entry twice would show as a duplicate; skipping one as a gap.
fn migrated(key: u64) -> u128 {
    (u128::from(key) << 64) | u128::from(old_balance(key) + 1)
}

fn old_balance(key: u64) -> u64 {
    key * 3 + 1
}

fn open(dir: &Path, wal_limit: Option<u64>) -> RocksDB {
    let mut options = DBOptions::default();
    options.max_total_wal_size = wal_limit;
    RocksDB::open(dir, &options).expect("open RocksDB")
}

/// Whether the migration has been flushed: the list replaced the map.
fn is_flushed(snapshot: &dyn Snapshot) -> bool {
    snapshot.index_type("bank.accounts") == Some(IndexType::List)
}

/// The child: resumes the migration (which is not flushed yet), reporting every helper merge
/// that returned, then flushes it.
#[test]
#[ignore = "run as a child process by the other tests of this file"]
fn migration_crash_child() {
    let Ok(dir) = env::var(DIR_VAR) else {
        return;
    };
    let wal_limit = env::var(WAL_LIMIT_VAR)
        .ok()
        .map(|limit| limit.parse().expect("a size"));
    let db = open(Path::new(&dir), wal_limit);
    report("open");
    if wal_limit.is_some() {
        background_jobs::start_reporting(&db);
    }
    let mut helper = MigrationHelper::new(db.clone(), "bank");
    let mut merged = 0_u64;
    helper
        .iter_loop(|helper, iters| {
            // A step starts once the previous one's merge has returned.
            if merged > 0 {
                report(&format!("merged {merged}"));
            }
            merged += 1;
            let old = helper.old_data().get_map::<_, u64, u64>("balances");
            let new_data = helper.new_data();
            new_data.create_tombstone("balances");
            let mut accounts = new_data.get_list::<_, u128>("accounts");
            for (key, balance) in iters.create("balances", &old).take(CHUNK as usize) {
                assert_eq!(balance, old_balance(key), "old data of key {key}");
                accounts.push(migrated(key));
            }
            // The helper merges the step as soon as this returns.
            report(&format!("merging {merged}"));
        })
        .expect("helper merge");
    report(&format!("merged {merged}"));
    helper.finish().expect("final merge");

    report("flushing");
    wait_for_parent(FLUSH_WORD);
    let started = Instant::now();
    let mut fork = db.fork();
    flush_migration(&mut fork, "bank");
    db.merge_sync(fork.into_patch()).expect("flush merge");
    report(&format!("flushed in {}", started.elapsed().as_micros()));
}

/// Writes the old map, and data outside the migration that must survive it.
fn populate(db: &RocksDB) {
    let fork = db.fork();
    let mut balances = fork.get_map::<_, u64, u64>("bank.balances");
    for key in 0..ENTRIES {
        balances.put(&key, old_balance(key));
    }
    drop(balances);
    fork.get_map("bank_.balances").put(&1_u64, 1_u64);
    fork.get_entry("bank").set(2_u64);
    Migration::new("bank_", &fork)
        .get_entry("balances")
        .set(3_u64);
    db.merge_sync(fork.into_patch()).expect("populate");
}

fn check_bystanders(snapshot: &dyn Snapshot, context: &str) {
    assert_eq!(
        snapshot
            .get_map::<_, u64, u64>("bank_.balances")
            .iter()
            .collect::<Vec<_>>(),
        vec![(1, 1)],
        "{context}"
    );
    assert_eq!(
        snapshot.get_entry::<_, u64>("bank").get(),
        Some(2),
        "{context}"
    );
    assert_eq!(
        Migration::new("bank_", snapshot)
            .get_entry::<_, u64>("balances")
            .get(),
        Some(3),
        "{context}"
    );
}

/// Checks the items of a migrated list: `migrated(0), migrated(1), ...`.
fn check_prefix(items: &[u128], context: &str) {
    for (key, item) in (0..).zip(items) {
        assert_eq!(*item, migrated(key), "migrated entry {key} ({context})");
    }
}

/// Where a migration stands after a kill.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Progress {
    /// This many entries migrated, not flushed.
    Migrated(u64),
    Flushed,
}

/// Checks the database after a kill and tells where the migration stands.
fn check_after_kill(
    snapshot: &dyn Snapshot,
    old_address: &ResolvedAddress,
    context: &str,
) -> Progress {
    check_bystanders(snapshot, context);
    let keys = pool_keys(snapshot);
    let migration_keys = keys.iter().filter(|key| key.starts_with(b"^bank.")).count();
    let scratchpad_keys = keys
        .iter()
        .filter(|key| key.starts_with(b"__scratchpad__\0bank."))
        .count();

    if is_flushed(snapshot) {
        assert_eq!(
            snapshot.index_type("bank.balances"),
            None,
            "the flush removed the old map ({context})"
        );
        assert_eq!(migration_keys, 0, "pool keys of the migration ({context})");
        assert_eq!(
            scratchpad_keys, 0,
            "scratchpad of the migration ({context})"
        );
        assert!(
            raw_entries(snapshot, old_address).is_empty(),
            "the old map's data is deleted ({context})"
        );
        let accounts = snapshot.get_list::<_, u128>("bank.accounts");
        let items: Vec<u128> = accounts.iter().collect();
        assert_eq!(accounts.len(), ENTRIES, "flushed list length ({context})");
        assert_eq!(
            items.len() as u64,
            ENTRIES,
            "flushed list items ({context})"
        );
        check_prefix(&items, context);
        return Progress::Flushed;
    }

    let old = snapshot.get_map::<_, u64, u64>("bank.balances");
    let mut count = 0_u64;
    for (key, balance) in old.iter() {
        assert_eq!(
            (key, balance),
            (count, old_balance(count)),
            "old map ({context})"
        );
        count += 1;
    }
    assert_eq!(
        count, ENTRIES,
        "the old map is intact before the flush ({context})"
    );

    let migration = Migration::new("bank", snapshot);
    let accounts = migration.get_list::<_, u128>("accounts");
    let items: Vec<u128> = accounts.iter().collect();
    let len = accounts.len();
    assert_eq!(items.len() as u64, len, "migrated list length ({context})");
    check_prefix(&items, context);
    assert!(
        len.is_multiple_of(CHUNK) || len == ENTRIES,
        "{len} entries migrated: not a whole number of chunks ({context})"
    );

    let position = Scratchpad::new("bank", snapshot)
        .get_entry::<_, Vec<u8>>("balances")
        .get();
    let expected_position = match len {
        0 => None,
        ENTRIES => Some(vec![1]),
        _ => Some([&[0][..], &len.to_be_bytes()].concat()),
    };
    assert_eq!(
        position, expected_position,
        "the saved position moves with the migrated entries ({len} migrated) ({context})"
    );
    if len > 0 {
        assert!(migration_keys > 0, "pool keys of the migration ({context})");
    }
    Progress::Migrated(len)
}

/// How the parent ends one run of the child.
#[derive(Debug, Clone, Copy)]
enum KillPlan {
    /// Right after the report of this helper merge (counted in this run), plus a delay.
    AfterMerge(u64, Duration),
    /// This long after the parent's word to start the flush.
    DuringFlush(Duration),
    /// This long after the start.
    AtRandom(Duration),
    /// Let the child finish.
    Never,
}

/// Chooses how to end the next run; random kill times are drawn relative to `startup`, the
/// time a child takes to open the database, so that they land during the open, the
/// recovery and the first merges alike on any machine, and relative to `flush`, the time the
/// flush takes, so that it is killed both before and after its write.
fn choose_plan(
    rng: &mut StdRng,
    chunks_left: u64,
    kills_so_far: u64,
    startup: Duration,
    flush: Duration,
) -> KillPlan {
    if kills_so_far >= KILLS_PER_MIGRATION {
        return KillPlan::Never;
    }
    match rng.gen_range(0..10) {
        0..=3 if chunks_left > 0 => KillPlan::AfterMerge(
            rng.gen_range(1..=chunks_left),
            Duration::from_micros(rng.gen_range(0..2_000)),
        ),
        // Log-uniform from a thousandth of the flush to twice its length: the part before
        // the flush's write may be a small fraction of it (where syncing is slow) or most of it.
        0..=6 => KillPlan::DuringFlush(flush.mul_f64(10_f64.powf(rng.gen_range(-3.0..0.3)))),
        _ => KillPlan::AtRandom(rng.gen_range(Duration::ZERO..startup * 3)),
    }
}

fn merged_number(line: &str) -> Option<u64> {
    line.strip_prefix("merged ")?.parse().ok()
}

/// How long a flush took, from its report.
fn flush_time(line: &str) -> Option<Duration> {
    let micros = line.strip_prefix("flushed in ")?.parse().ok()?;
    Some(Duration::from_micros(micros))
}

/// What the runs saw, for RELIABILITY.md.
#[derive(Debug, Default)]
struct Figures {
    migrations: u64,
    kills: u64,
    kills_after_a_merge: u64,
    kills_in_the_flush: u64,
    kills_at_random: u64,
    /// Kills after a helper merge was called, before it returned.
    kills_mid_merge: u64,
    /// Kills at random times that came before the child had opened the database.
    kills_before_open: u64,
    /// Kills that left the flush done, and that left a flush not written.
    flush_done_at_kill: u64,
    flush_absent_at_kill: u64,
    runs: u64,
    /// With small logs: memtable flushes and compactions seen starting, and kills while one
    /// ran (as last sampled by the child).
    memtable_flushes: u64,
    compactions: u64,
    kills_during_a_memtable_flush: u64,
    kills_during_a_compaction: u64,
}

/// Runs the child once with `plan`; returns what it wrote, and whether it was killed.
fn run_child(
    vars: &[(&str, &OsStr)],
    plan: KillPlan,
    startup: &mut MeanTime,
    flush: &mut MeanTime,
    context: &str,
) -> (Finished, bool) {
    let mut child = ChildProcess::spawn(CHILD_TEST, vars);
    // Only a kill in the flush is timed from the word; other runs need not stop for it.
    if !matches!(plan, KillPlan::DuringFlush(_)) {
        child.send(FLUSH_WORD);
    }
    // Only a kill at a random time must not wait: the others come after the open anyway.
    let measure = !matches!(plan, KillPlan::AtRandom(_));
    if measure
        && child
            .wait_for_report(REPORT_TIMEOUT, context, |line| line == "open")
            .is_some()
    {
        startup.record(child.age());
    }
    let reached = match plan {
        KillPlan::AfterMerge(merges, delay) => {
            let reached = child.wait_for_report(REPORT_TIMEOUT, context, |line| {
                merged_number(line).is_some_and(|n| n >= merges)
            });
            thread::sleep(delay);
            reached.is_some()
        }
        KillPlan::DuringFlush(delay) => {
            let reached = child.wait_for_report(REPORT_TIMEOUT, context, |line| line == "flushing");
            child.send(FLUSH_WORD);
            thread::sleep(delay);
            reached.is_some()
        }
        KillPlan::AtRandom(delay) => {
            thread::sleep(delay);
            true
        }
        KillPlan::Never => false,
    };
    let finished = if reached { child.kill() } else { child.wait() };
    let killed = finished.status.signal() == Some(libc::SIGKILL);
    assert!(
        killed || finished.status.success(),
        "the child failed ({context}): {:?}\n{}",
        finished.status,
        finished.stderr
    );
    if let Some(time) = finished.reports.iter().find_map(|line| flush_time(line)) {
        flush.record(time);
    }
    (finished, killed)
}

#[test]
fn migrations_survive_sigkill_in_helper_merges_and_the_flush() {
    kill_cycles(
        "migrations_survive_sigkill_in_helper_merges_and_the_flush",
        settings::size(CYCLES_VAR, CI_CYCLES),
        None,
    );
}

#[test]
fn migrations_survive_sigkill_during_memtable_flushes_and_compactions() {
    let figures = kill_cycles(
        "migrations_survive_sigkill_during_memtable_flushes_and_compactions",
        settings::size(SMALL_LOG_CYCLES_VAR, CI_SMALL_LOG_CYCLES),
        Some(SMALL_WAL_LIMIT),
    );
    assert!(
        figures.memtable_flushes > 0 && figures.compactions > 0,
        "the small log limit made no memtable flush or no compaction: {figures:?}"
    );
    assert!(
        figures.kills_during_a_memtable_flush + figures.kills_during_a_compaction > 0,
        "no kill landed during a memtable flush or a compaction: {figures:?}"
    );
}

/// Kills children migrating databases opened with `wal_limit` until `cycles` kills, checks the
/// database after each, requires kills in the middle of a helper merge and in the flush both
/// before and after its write, and returns the figures.
fn kill_cycles(test: &str, cycles: u64, wal_limit: Option<u64>) -> Figures {
    let started = Instant::now();
    let (mut rng, seed) = settings::seeded_rng(test);
    let wal_limit_text = wal_limit.map(|limit| limit.to_string()).unwrap_or_default();
    let mut figures = Figures::default();
    let mut startup = MeanTime::new(Duration::from_millis(50));
    let mut flush = MeanTime::new(Duration::from_millis(1));
    let chunks = ENTRIES.div_ceil(CHUNK);

    while figures.kills < cycles {
        figures.migrations += 1;
        let dir = tempfile::tempdir().expect("temporary directory");
        let mut vars = vec![(DIR_VAR, dir.path().as_os_str())];
        if wal_limit.is_some() {
            vars.push((WAL_LIMIT_VAR, wal_limit_text.as_ref()));
        }
        let old_address = {
            let db = open(dir.path(), wal_limit);
            populate(&db);
            let metadata = db
                .snapshot()
                .get_index_metadata("bank.balances".into())
                .unwrap()
                .expect("the old map exists");
            ResolvedAddress {
                name: "bank.balances".to_owned(),
                id: Some(metadata.identifier()),
            }
        };

        let mut progress = Progress::Migrated(0);
        let mut kills_this_migration = 0;
        loop {
            let context = format!(
                "seed {seed}, migration {}, run {}",
                figures.migrations, figures.runs
            );
            let migrated_before = match progress {
                Progress::Migrated(len) => len,
                Progress::Flushed => ENTRIES,
            };
            let chunks_left = chunks - migrated_before / CHUNK;
            let plan = choose_plan(
                &mut rng,
                chunks_left,
                kills_this_migration,
                startup.mean(),
                flush.mean(),
            );
            figures.runs += 1;
            let (finished, killed) = run_child(&vars, plan, &mut startup, &mut flush, &context);

            let db = open(dir.path(), wal_limit);
            let snapshot = db.snapshot();
            let now = check_after_kill(snapshot.as_ref(), &old_address, &context);
            let merges_returned = finished
                .reports
                .iter()
                .filter_map(|line| merged_number(line))
                .max()
                .unwrap_or(0);
            let flush_returned = finished
                .reports
                .iter()
                .any(|line| flush_time(line).is_some());
            let jobs = BackgroundJobs::of(&finished.reports);
            figures.memtable_flushes += jobs.flushes;
            figures.compactions += jobs.compactions;
            match now {
                Progress::Migrated(len) => {
                    assert!(!flush_returned, "a returned flush was lost ({context})");
                    let lowest = (migrated_before + merges_returned * CHUNK).min(ENTRIES);
                    let highest = (lowest + CHUNK).min(ENTRIES);
                    assert!(
                        (lowest..=highest).contains(&len),
                        "{len} entries migrated after {merges_returned} returned helper merges \
                         from {migrated_before} ({context})"
                    );
                }
                Progress::Flushed => {
                    assert!(
                        finished.reports.iter().any(|line| line == "flushing"),
                        "flushed before the flush started ({context})"
                    );
                }
            }

            if killed {
                figures.kills += 1;
                if last_progress(&finished.reports).is_some_and(|line| line.starts_with("merging "))
                {
                    figures.kills_mid_merge += 1;
                }
                figures.kills_during_a_memtable_flush += u64::from(jobs.flush_at_end);
                figures.kills_during_a_compaction += u64::from(jobs.compaction_at_end);
                kills_this_migration += 1;
                match plan {
                    KillPlan::AfterMerge(..) => figures.kills_after_a_merge += 1,
                    KillPlan::DuringFlush(_) => {
                        figures.kills_in_the_flush += 1;
                        if now == Progress::Flushed {
                            figures.flush_done_at_kill += 1;
                        } else {
                            figures.flush_absent_at_kill += 1;
                        }
                    }
                    KillPlan::AtRandom(_) => {
                        figures.kills_at_random += 1;
                        if !finished.reports.iter().any(|line| line == "open") {
                            figures.kills_before_open += 1;
                        }
                    }
                    KillPlan::Never => unreachable!("a child that is not killed ends on its own"),
                }
            } else {
                assert_eq!(
                    now,
                    Progress::Flushed,
                    "a child that ends on its own has flushed ({context})"
                );
            }
            progress = now;
            // Flushed and checked: the migration is over, whether the child saw it end or not.
            if progress == Progress::Flushed {
                break;
            }
        }
    }

    println!(
        "{test}: {} migrations of {ENTRIES} entries in chunks of {CHUNK}, {} child runs, {} kills in \
         {:?}: {} right after a helper merge, {} during the flush ({} left it done, {} left it \
         undone; flushes took {:?} on average), {} at random times ({} before the database was \
         open; children took {:?} to open it on average); {} landed in the middle of a helper \
         merge; {} memtable flushes and {} compactions seen, {} kills during a memtable flush \
         and {} during a compaction",
        figures.migrations,
        figures.runs,
        figures.kills,
        started.elapsed(),
        figures.kills_after_a_merge,
        figures.kills_in_the_flush,
        figures.flush_done_at_kill,
        figures.flush_absent_at_kill,
        flush.mean(),
        figures.kills_at_random,
        figures.kills_before_open,
        startup.mean(),
        figures.kills_mid_merge,
        figures.memtable_flushes,
        figures.compactions,
        figures.kills_during_a_memtable_flush,
        figures.kills_during_a_compaction,
    );
    assert!(
        figures.kills_mid_merge > 0
            && figures.flush_done_at_kill > 0
            && figures.flush_absent_at_kill > 0,
        "kills must land in the middle of a helper merge, and in the flush both after it was \
         written and before (seed {seed}): {figures:?}"
    );
    figures
}
