//! A migration survives a hard process exit (spec §13.4, §13.6): the test re-runs its own
//! binary as a child process that migrates a RocksDB database with
//! `MigrationHelper::iter_loop` and dies with `_exit` in the middle of a chunk. A second child
//! resumes the migration from the persistent iterator's saved position. The parent then checks
//! that every entry was migrated exactly once, and that flushing the migration is atomic.

mod common;

use std::{
    env,
    path::Path,
    process::{Command, Output},
    time::Instant,
};

use metaldb::{
    access::{Access, AccessExt, CopyAccessExt},
    migration::{flush_migration, Migration, MigrationHelper, Scratchpad},
    DBOptions, Database, IndexType, ResolvedAddress, RocksDB,
};

use common::{pool_keys, raw_entries};

/// Entries in the old map.
const ENTRIES: u64 = 100_000;
/// Entries migrated per merge.
const CHUNK: usize = 1_000;
/// The first child merges this many chunks, then exits half-way through the next one.
const EXIT_AFTER_CHUNKS: u64 = 37;
/// Exit code of the deliberate hard exit.
const EXIT_CODE: i32 = 42;

/// Where the child finds the database; the child test does nothing without it.
const DIR_VAR: &str = "METALDB_MIGRATION_RESTART_DIR";
/// Set for the first child: the number of chunks to merge before exiting.
const EXIT_VAR: &str = "METALDB_MIGRATION_RESTART_EXIT_AFTER";
/// The name of the test that runs in the children.
const CHILD_TEST: &str = "migration_child_process";

/// The migrated layout: a list of `key << 64 | (balance + 1)`, in key order. Migrating an
/// entry twice would show as a duplicate; skipping one as a gap.
fn migrated(key: u64, balance: u64) -> u128 {
    (u128::from(key) << 64) | u128::from(balance + 1)
}

fn old_balance(key: u64) -> u64 {
    key * 3
}

fn open(dir: &Path) -> RocksDB {
    RocksDB::open(dir, &DBOptions::default()).expect("open RocksDB")
}

/// The migration itself, run in a child process. With `EXIT_VAR` set it stops after that many
/// merged chunks with `_exit`, half-way through the next chunk: no destructors run, nothing
/// is flushed, and the half chunk in the helper's fork is lost.
#[test]
#[ignore = "run as a child process by `migration_resumes_after_a_hard_exit`"]
fn migration_child_process() {
    let Ok(dir) = env::var(DIR_VAR) else {
        return;
    };
    let exit_after: Option<u64> = env::var(EXIT_VAR).ok().map(|n| n.parse().unwrap());
    let db = open(Path::new(&dir));
    let mut helper = MigrationHelper::new(db, "bank");
    let mut merged_chunks = 0_u64;
    helper
        .iter_loop(|helper, iters| {
            let old = helper.old_data().get_map::<_, u64, u64>("balances");
            let new_data = helper.new_data();
            new_data.create_tombstone("balances");
            let mut accounts = new_data.get_list::<_, u128>("accounts");
            for (i, (key, balance)) in iters.create("balances", &old).take(CHUNK).enumerate() {
                accounts.push(migrated(key, balance));
                if Some(merged_chunks) == exit_after && i == CHUNK / 2 {
                    // SAFETY: `_exit` ends the process at once; nothing runs after it.
                    unsafe { libc::_exit(EXIT_CODE) };
                }
            }
            merged_chunks += 1;
        })
        .expect("migration");
    helper.finish().expect("final merge");
    println!("merged chunks: {merged_chunks}");
}

fn run_child(dir: &Path, exit_after: Option<u64>) -> Output {
    let mut command = Command::new(env::current_exe().expect("test binary"));
    command
        .args([
            "--ignored",
            "--exact",
            CHILD_TEST,
            "--nocapture",
            "--test-threads=1",
        ])
        .env(DIR_VAR, dir)
        .env_remove(EXIT_VAR);
    if let Some(chunks) = exit_after {
        command.env(EXIT_VAR, chunks.to_string());
    }
    command.output().expect("run the child process")
}

fn migrated_list(db: &RocksDB) -> Vec<u128> {
    let snapshot = db.snapshot();
    let migration = Migration::new("bank", &snapshot);
    let list = migration.get_list::<_, u128>("accounts");
    let items: Vec<u128> = list.iter().collect();
    assert_eq!(list.len(), items.len() as u64);
    items
}

#[test]
fn migration_resumes_after_a_hard_exit() {
    let started = Instant::now();
    let dir = tempfile::tempdir().expect("temporary directory");

    // The old data, written in several forks.
    {
        let db = open(dir.path());
        for batch in 0..10 {
            let fork = db.fork();
            let mut balances = fork.get_map::<_, u64, u64>("bank.balances");
            let per_batch = ENTRIES / 10;
            for key in batch * per_batch..(batch + 1) * per_batch {
                balances.put(&key, old_balance(key));
            }
            drop(balances);
            db.merge(fork.into_patch()).unwrap();
        }
        fork_with_bystanders(&db);
    }
    let populated = started.elapsed();

    // First run: dies in the middle of chunk `EXIT_AFTER_CHUNKS + 1`.
    let output = run_child(dir.path(), Some(EXIT_AFTER_CHUNKS));
    assert_eq!(
        output.status.code(),
        Some(EXIT_CODE),
        "the first child should exit on purpose: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let first_run = started.elapsed() - populated;
    {
        let db = open(dir.path());
        let migrated_so_far = EXIT_AFTER_CHUNKS * CHUNK as u64;
        let items = migrated_list(&db);
        assert_eq!(
            items.len() as u64,
            migrated_so_far,
            "the half chunk is lost"
        );
        assert_eq!(
            items.last(),
            Some(&migrated(
                migrated_so_far - 1,
                old_balance(migrated_so_far - 1)
            ))
        );
        // The saved position is the first key not migrated yet: `[0] ++ BE(key)`.
        let snapshot = db.snapshot();
        let position = Scratchpad::new("bank", &snapshot)
            .get_entry::<_, Vec<u8>>("balances")
            .get()
            .expect("a saved position");
        let mut expected = vec![0];
        expected.extend_from_slice(&migrated_so_far.to_be_bytes());
        assert_eq!(position, expected);
    }

    // Second run: resumes and completes.
    let output = run_child(dir.path(), None);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "the second child should finish: {stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let total_chunks = ENTRIES / CHUNK as u64;
    assert!(
        stdout.contains(&format!(
            "merged chunks: {}",
            total_chunks - EXIT_AFTER_CHUNKS
        )),
        "{stdout}"
    );
    let second_run = started.elapsed() - populated - first_run;

    let db = open(dir.path());
    // Every entry exactly once, in key order, with the new value.
    let items = migrated_list(&db);
    assert_eq!(items.len() as u64, ENTRIES);
    for (key, item) in (0..ENTRIES).zip(&items) {
        assert_eq!(*item, migrated(key, old_balance(key)), "entry {key}");
    }
    // The old data is untouched until the flush.
    let snapshot = db.snapshot();
    assert_eq!(
        snapshot
            .get_map::<_, u64, u64>("bank.balances")
            .iter()
            .count() as u64,
        ENTRIES
    );
    let old_address = resolved(&snapshot, "bank.balances");
    drop(snapshot);
    check_bystanders(&db);

    // Flush on a fresh fork: nothing changes before the merge, everything after.
    let mut fork = db.fork();
    flush_migration(&mut fork, "bank");
    assert_eq!(fork.index_type("bank.balances"), None);
    assert_eq!(fork.get_list::<_, u128>("bank.accounts").len(), ENTRIES);
    {
        let snapshot = db.snapshot();
        assert_eq!(snapshot.index_type("bank.balances"), Some(IndexType::Map));
        assert_eq!(snapshot.index_type("bank.accounts"), None);
        assert_eq!(
            Scratchpad::new("bank", &snapshot).index_type("balances"),
            Some(IndexType::Entry)
        );
    }
    db.merge(fork.into_patch()).unwrap();

    let snapshot = db.snapshot();
    assert_eq!(snapshot.index_type("bank.balances"), None);
    assert!(raw_entries(snapshot.as_ref(), &old_address).is_empty());
    let accounts = snapshot.get_list::<_, u128>("bank.accounts");
    assert_eq!(accounts.len(), ENTRIES);
    assert_eq!(
        accounts.get(ENTRIES - 1),
        Some(migrated(ENTRIES - 1, old_balance(ENTRIES - 1)))
    );
    assert_eq!(
        Migration::new("bank", &snapshot).index_type("accounts"),
        None
    );
    assert_eq!(
        Scratchpad::new("bank", &snapshot).index_type("balances"),
        None
    );
    let keys = pool_keys(snapshot.as_ref());
    assert!(keys.iter().all(|key| !key.starts_with(b"^bank.")));
    assert!(keys
        .iter()
        .all(|key| !key.starts_with(b"__scratchpad__\0bank.")));
    drop(accounts);
    drop(snapshot);
    check_bystanders(&db);

    println!(
        "populated {ENTRIES} entries in {populated:?}; first child {first_run:?}, \
         second child {second_run:?}; total {:?}",
        started.elapsed()
    );
}

fn resolved<T: Access>(access: T, name: &str) -> ResolvedAddress {
    let metadata = access
        .get_index_metadata(name.into())
        .unwrap()
        .expect("index exists");
    ResolvedAddress {
        name: name.to_owned(),
        id: Some(metadata.identifier()),
    }
}

/// Data outside the namespace, and another pending migration, that the children and the
/// flush must leave alone.
fn fork_with_bystanders(db: &RocksDB) {
    let fork = db.fork();
    fork.get_map("bank_.balances").put(&1_u64, 1_u64);
    fork.get_entry("bank").set(2_u64);
    Migration::new("bank_", &fork)
        .get_entry("balances")
        .set(3_u64);
    Scratchpad::new("bank_", &fork)
        .get_entry("balances")
        .set(4_u64);
    db.merge(fork.into_patch()).unwrap();
}

fn check_bystanders(db: &RocksDB) {
    let snapshot = db.snapshot();
    assert_eq!(
        snapshot
            .get_map::<_, u64, u64>("bank_.balances")
            .iter()
            .collect::<Vec<_>>(),
        vec![(1, 1)]
    );
    assert_eq!(snapshot.get_entry::<_, u64>("bank").get(), Some(2));
    assert_eq!(
        Migration::new("bank_", &snapshot)
            .get_entry::<_, u64>("balances")
            .get(),
        Some(3)
    );
    assert_eq!(
        Scratchpad::new("bank_", &snapshot)
            .get_entry::<_, u64>("balances")
            .get(),
        Some(4)
    );
}
