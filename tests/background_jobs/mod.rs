//! RocksDB's flushes and compactions as a crash test's child sees them: the child samples the
//! running ones and reports each change on stdout, so that the parent knows which kills landed
//! while one ran.
//!
//! A small write-ahead log limit (`DBOptions::max_total_wal_size`) makes RocksDB flush its
//! memtables to tables every few merges, and compact those tables, while the kills come.

// Each test crate uses a different subset of these helpers.
#![allow(dead_code)]

use std::{thread, time::Duration};

use metaldb::RocksDB;

use crate::child_process::report;

/// The write-ahead log limit of the crash tests' variants with small logs: RocksDB flushes the
/// memtables that hold the oldest log back once the logs exceed it.
pub const SMALL_WAL_LIMIT: u64 = 16 * 1024;
/// How often the child samples RocksDB's running background jobs.
const SAMPLING: Duration = Duration::from_millis(1);

/// Starts a thread in the child that reports RocksDB's running flushes and compactions
/// whenever they change, as `background FLUSHES COMPACTIONS`, until the process ends.
pub fn start_reporting(db: &RocksDB) {
    let db = db.clone();
    thread::spawn(move || {
        let mut last = (0, 0);
        loop {
            let rocksdb = db.get_db_lock_guard();
            let running = |property: &str| {
                rocksdb
                    .property_int_value(property)
                    .expect("an integer property")
                    .expect("a known property")
            };
            let now = (
                running("rocksdb.num-running-flushes"),
                running("rocksdb.num-running-compactions"),
            );
            drop(rocksdb);
            if now != last {
                report(&format!("background {} {}", now.0, now.1));
                last = now;
            }
            thread::sleep(SAMPLING);
        }
    });
}

/// The running flushes and compactions of a `background` report.
pub fn background(line: &str) -> Option<(u64, u64)> {
    let (flushes, compactions) = line.strip_prefix("background ")?.split_once(' ')?;
    Some((flushes.parse().ok()?, compactions.parse().ok()?))
}

/// The last report that is not about background jobs: where the child's own work stood.
pub fn last_progress(reports: &[String]) -> Option<&str> {
    reports
        .iter()
        .rev()
        .map(String::as_str)
        .find(|line| background(line).is_none())
}

/// What one child's background reports tell.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct BackgroundJobs {
    /// Flushes and compactions seen starting.
    pub flushes: u64,
    pub compactions: u64,
    /// Whether one was running at the last sample before the child died.
    pub flush_at_end: bool,
    pub compaction_at_end: bool,
}

impl BackgroundJobs {
    /// Reads a child's reports.
    pub fn of(reports: &[String]) -> Self {
        let mut jobs = Self::default();
        let mut running = (0, 0);
        for (flushes, compactions) in reports.iter().filter_map(|line| background(line)) {
            jobs.flushes += flushes.saturating_sub(running.0);
            jobs.compactions += compactions.saturating_sub(running.1);
            running = (flushes, compactions);
        }
        jobs.flush_at_end = running.0 > 0;
        jobs.compaction_at_end = running.1 > 0;
        jobs
    }
}
