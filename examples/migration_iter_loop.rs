//! Migrating a map to a new layout in chunks with `MigrationHelper::iter_loop`.
//!
//! The persistent iterator saves its position in the migration's scratchpad after every
//! item, and `iter_loop` merges after every step, so at most one chunk of changes is held in
//! memory, and a restarted process carries on where the last merge left off.
//!
//! Run with `cargo run --example migration_iter_loop`.

use metaldb::{
    access::{AccessExt, CopyAccessExt},
    migration::{flush_migration, MigrationError, MigrationHelper},
    Database, TemporaryDB,
};
use std::sync::Arc;

/// Number of wallets processed per database merge.
const CHUNK_SIZE: usize = 100;
/// Number of wallets to migrate.
const WALLETS: u64 = 1_050;

pub fn main() {
    run().expect("migration failed");
}

fn run() -> Result<(), MigrationError> {
    let db: Arc<dyn Database> = Arc::new(TemporaryDB::new());

    // The data before the migration: balances in whole coins, keyed by wallet name.
    let fork = db.fork();
    let mut wallets = fork.get_map::<_, str, u64>("test.wallets");
    for i in 0..WALLETS {
        wallets.put(&format!("wallet{i:04}"), i);
    }
    drop(wallets);
    db.merge(fork.into_patch()).expect("merge the initial data");

    let mut helper = MigrationHelper::new(Arc::clone(&db), "test");
    let mut steps = 0;
    helper.iter_loop(|helper, iters| {
        steps += 1;
        // The data before the migration is in this map...
        let old_wallets = helper.old_data().get_map::<_, str, u64>("wallets");
        // ...and the new layout keeps balances in cents.
        let mut new_wallets = helper.new_data().get_map::<_, str, u64>("wallets");
        // Take a fixed number of wallets from the persistent iterator and migrate them.
        // The iterator never returns the same wallet twice, even if the process restarts.
        for (name, balance) in iters.create("wallets", &old_wallets).take(CHUNK_SIZE) {
            new_wallets.put(&name, balance * 100);
        }
    })?;
    // Here the iterator has run out of items: 11 steps of at most 100 wallets.
    assert_eq!(steps, 11);
    helper.finish()?;

    // The migrated data replaces the old data when the migration is flushed, on a fork
    // created after the migration is complete.
    let mut fork = db.fork();
    flush_migration(&mut fork, "test");
    db.merge(fork.into_patch())
        .expect("merge the flushed migration");

    let snapshot = db.snapshot();
    let wallets = snapshot.get_map::<_, str, u64>("test.wallets");
    assert_eq!(wallets.iter().count() as u64, WALLETS);
    assert_eq!(wallets.get("wallet0007"), Some(700));
    assert_eq!(wallets.get("wallet1049"), Some(104_900));
    println!("migrated {WALLETS} wallets in {steps} steps");
    Ok(())
}
