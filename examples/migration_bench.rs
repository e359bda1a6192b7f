//! Throughput and memory of a migration done in chunks, next to a plain copy in one fork.
//!
//! The benchmark fills a RocksDB database with `--entries` map entries (`u64 -> u64`, written
//! in batches of 10 000), then:
//!
//! * **migrate**: moves them to a new layout (`u64 -> u128`) with `MigrationHelper::iter_loop`,
//!   `--chunk` entries per merge, then flushes the migration;
//! * **copy**: writes the same new layout under another name in a single fork and merges it
//!   once.
//!
//! It prints the throughput of each (entries per second) and the peak resident memory of the
//! process after each phase. The migration holds one chunk of changes at a time, so its peak
//! memory does not grow with the data; the copy holds every entry in its fork until the merge.
//! Use `--mode migrate` or `--mode copy` to run one of them alone, so that the peak memory of
//! the whole process (as `/usr/bin/time -v` shows it) belongs to that phase.
//!
//! ```text
//! cargo run --release --example migration_bench -- [--entries N] [--chunk N] [--mode both|migrate|copy]
//! ```

use std::{
    env,
    sync::Arc,
    time::{Duration, Instant},
};

use metaldb::{
    access::{AccessExt, CopyAccessExt},
    migration::{flush_migration, MigrationHelper},
    DBOptions, Database, RocksDB,
};

/// Entries written per fork while filling the database.
const POPULATE_BATCH: u64 = 10_000;

/// Which phases to run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Mode {
    Both,
    Migrate,
    Copy,
}

/// Timings of one run.
#[derive(Debug)]
pub struct Figures {
    pub entries: u64,
    pub chunk: usize,
    pub populate: Duration,
    pub migrate: Option<Duration>,
    pub flush: Option<Duration>,
    pub copy: Option<Duration>,
}

/// The new layout of an entry.
fn new_value(key: u64, balance: u64) -> u128 {
    (u128::from(balance) << 64) | u128::from(key)
}

/// Peak resident set size of this process so far, in KiB.
fn peak_rss_kib() -> i64 {
    // SAFETY: `getrusage` only writes the `rusage` struct we pass it.
    unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut usage);
        usage.ru_maxrss
    }
}

fn per_second(entries: u64, elapsed: Duration) -> f64 {
    entries as f64 / elapsed.as_secs_f64()
}

fn report(phase: &str, entries: Option<u64>, elapsed: Duration) {
    let throughput = match entries {
        Some(entries) => format!("{:.0} entries/s", per_second(entries, elapsed)),
        // Work that does not depend on the number of entries.
        None => "-".to_owned(),
    };
    println!(
        "{phase:<40} {elapsed:>10.3?}  {throughput:>18}  peak RSS so far {:>8} KiB",
        peak_rss_kib()
    );
}

/// Runs the benchmark on a RocksDB database in a temporary directory.
pub fn run(entries: u64, chunk: usize, mode: Mode) -> Figures {
    let dir = tempfile::tempdir().expect("temporary directory");
    let db: Arc<dyn Database> =
        Arc::new(RocksDB::open(dir.path(), &DBOptions::default()).expect("open RocksDB"));
    println!("{entries} entries, chunks of {chunk}, mode {mode:?}");
    println!("{:<40} {:>10}  {:>18}", "phase", "time", "throughput");

    let started = Instant::now();
    let mut key = 0;
    while key < entries {
        let fork = db.fork();
        let mut balances = fork.get_map::<_, u64, u64>("bench.balances");
        let end = (key + POPULATE_BATCH).min(entries);
        for key in key..end {
            balances.put(&key, key * 7);
        }
        drop(balances);
        db.merge(fork.into_patch()).expect("merge");
        key = end;
    }
    let populate = started.elapsed();
    report("populate (batches of 10000)", Some(entries), populate);

    let mut figures = Figures {
        entries,
        chunk,
        populate,
        migrate: None,
        flush: None,
        copy: None,
    };

    if mode != Mode::Copy {
        let started = Instant::now();
        let mut helper = MigrationHelper::new(Arc::clone(&db), "bench");
        helper
            .iter_loop(|helper, iters| {
                let old = helper.old_data().get_map::<_, u64, u64>("balances");
                let mut new = helper.new_data().get_map::<_, u64, u128>("balances");
                for (key, balance) in iters.create("balances", &old).take(chunk) {
                    new.put(&key, new_value(key, balance));
                }
            })
            .expect("migration");
        helper.finish().expect("final merge");
        let migrate = started.elapsed();
        report(
            &format!("migrate (iter_loop, chunks of {chunk})"),
            Some(entries),
            migrate,
        );

        let started = Instant::now();
        let mut fork = db.fork();
        flush_migration(&mut fork, "bench");
        db.merge(fork.into_patch()).expect("merge");
        let flush = started.elapsed();
        report("flush_migration + merge", None, flush);

        let snapshot = db.snapshot();
        let migrated = snapshot.get_map::<_, u64, u128>("bench.balances");
        assert_eq!(migrated.iter().count() as u64, entries);
        if entries > 0 {
            assert_eq!(
                migrated.get(&(entries - 1)),
                Some(new_value(entries - 1, (entries - 1) * 7))
            );
        }
        figures.migrate = Some(migrate);
        figures.flush = Some(flush);
    }

    if mode != Mode::Migrate {
        // The source is the migrated map if the migration ran: same entries, another type.
        let started = Instant::now();
        let fork = db.fork();
        {
            let mut copy = fork.get_map::<_, u64, u128>("copy.balances");
            if mode == Mode::Copy {
                let old = fork.get_map::<_, u64, u64>("bench.balances");
                for (key, balance) in &old {
                    copy.put(&key, new_value(key, balance));
                }
            } else {
                let old = fork.get_map::<_, u64, u128>("bench.balances");
                for (key, value) in &old {
                    copy.put(&key, value);
                }
            }
        }
        db.merge(fork.into_patch()).expect("merge");
        let copy = started.elapsed();
        report("copy (one fork, one merge)", Some(entries), copy);

        let snapshot = db.snapshot();
        let copied = snapshot.get_map::<_, u64, u128>("copy.balances");
        assert_eq!(copied.iter().count() as u64, entries);
        figures.copy = Some(copy);
    }
    figures
}

fn parse_number(value: &str) -> u64 {
    value
        .replace('_', "")
        .parse()
        .unwrap_or_else(|_| panic!("not a number: {value}"))
}

fn main() {
    let mut entries = 1_000_000;
    let mut chunk = 1_000;
    let mut mode = Mode::Both;
    let mut args = env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| panic!("{arg} needs a value"));
        match arg.as_str() {
            "--entries" => entries = parse_number(&value()),
            "--chunk" => chunk = parse_number(&value()) as usize,
            "--mode" => {
                mode = match value().as_str() {
                    "both" => Mode::Both,
                    "migrate" => Mode::Migrate,
                    "copy" => Mode::Copy,
                    other => panic!("unknown mode {other}: use both, migrate or copy"),
                }
            }
            // `cargo bench` passes `--bench` to every bench target; accept it here too.
            "--bench" => {}
            other => panic!(
                "unknown argument {other}; usage: migration_bench [--entries N] [--chunk N] \
                 [--mode both|migrate|copy]"
            ),
        }
    }
    assert!(chunk > 0, "--chunk must be positive");
    let figures = run(entries, chunk, mode);
    summarize(&figures);
}

/// One line per phase with its throughput, for BENCHMARKS.md.
fn summarize(figures: &Figures) {
    let entries = figures.entries;
    println!(
        "summary: {entries} entries; populate {:.0}/s",
        per_second(entries, figures.populate)
    );
    if let (Some(migrate), Some(flush)) = (figures.migrate, figures.flush) {
        println!(
            "summary: migrate with iter_loop (chunks of {}) {:.0}/s, then flush + merge in {flush:.3?}",
            figures.chunk,
            per_second(entries, migrate)
        );
    }
    if let Some(copy) = figures.copy {
        println!(
            "summary: copy in one fork {:.0}/s",
            per_second(entries, copy)
        );
    }
}
