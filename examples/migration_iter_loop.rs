//! Migrating a map to a new layout in chunks with `MigrationHelper::iter_loop`.
//!
//! The persistent iterator saves its position in the migration's scratchpad after every
//! item, and `iter_loop` merges after every step, so at most one chunk of changes is held in
//! memory, and a restarted process carries on where the last merge left off.
//!
//! The schemas are declared with `#[derive(FromAccess)]` and the new wallet record with
//! `#[derive(BinaryValue)]` (metaldb-derive).
//!
//! Run with `cargo run --example migration_iter_loop`.

use metaldb::{
    access::{Access, CopyAccessExt, FromAccess, Prefixed},
    migration::{flush_migration, MigrationError, MigrationHelper},
    Database, TemporaryDB,
};
use std::sync::Arc;

/// Number of wallets processed per database merge.
const CHUNK_SIZE: usize = 100;
/// Number of wallets to migrate.
const WALLETS: u64 = 1_050;

/// Version 1: balances in whole coins, keyed by wallet name.
mod v1 {
    use metaldb::{access::Access, MapIndex};
    use metaldb_derive::FromAccess;

    #[derive(FromAccess)]
    pub struct Schema<T: Access> {
        pub wallets: MapIndex<T::Base, str, u64>,
    }
}

/// Version 2: a wallet record with the balance in cents.
mod v2 {
    use metaldb::{access::Access, MapIndex};
    use metaldb_derive::{BinaryValue, FromAccess};
    use serde::{Deserialize, Serialize};

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize, BinaryValue)]
    #[binary_value(codec = "bincode")]
    pub struct Wallet {
        pub cents: u64,
        /// Wallets below one coin are closed in version 2.
        pub closed: bool,
    }

    #[derive(FromAccess)]
    pub struct Schema<T: Access> {
        pub wallets: MapIndex<T::Base, str, Wallet>,
    }
}

/// Opens a schema at the root of a (namespaced) access.
fn open<T: Access, S: FromAccess<T>>(access: T) -> S {
    S::from_root(access).expect("the schema's indexes have the declared types")
}

pub fn main() {
    run().expect("migration failed");
}

fn run() -> Result<(), MigrationError> {
    let db: Arc<dyn Database> = Arc::new(TemporaryDB::new());

    let fork = db.fork();
    {
        let mut old: v1::Schema<_> = open(Prefixed::new("test", &fork));
        for i in 0..WALLETS {
            old.wallets.put(&format!("wallet{i:04}"), i);
        }
    }
    db.merge(fork.into_patch()).expect("merge the initial data");

    let mut helper = MigrationHelper::new(Arc::clone(&db), "test");
    let mut steps = 0;
    helper.iter_loop(|helper, iters| {
        steps += 1;
        let old: v1::Schema<_> = open(helper.old_data());
        let mut new: v2::Schema<_> = open(helper.new_data());
        // Take a fixed number of wallets from the persistent iterator and migrate them.
        // The iterator never returns the same wallet twice, even if the process restarts.
        for (name, coins) in iters.create("wallets", &old.wallets).take(CHUNK_SIZE) {
            let wallet = v2::Wallet {
                cents: coins * 100,
                closed: coins == 0,
            };
            new.wallets.put(&name, wallet);
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
    let new: v2::Schema<_> = open(Prefixed::new("test", &snapshot));
    assert_eq!(new.wallets.iter().count() as u64, WALLETS);
    let wallet = |cents, closed| Some(v2::Wallet { cents, closed });
    assert_eq!(new.wallets.get("wallet0000"), wallet(0, true));
    assert_eq!(new.wallets.get("wallet0007"), wallet(700, false));
    assert_eq!(new.wallets.get("wallet1049"), wallet(104_900, false));
    // The schema's field name is the index name, and the record is bincode-encoded.
    let raw = snapshot.get_map::<_, str, Vec<u8>>("test.wallets");
    let bytes = raw.get("wallet0007").expect("migrated");
    assert_eq!(
        bytes,
        bincode::serialize(&v2::Wallet {
            cents: 700,
            closed: false
        })
        .unwrap()
    );
    println!("migrated {WALLETS} wallets in {steps} steps");
    Ok(())
}
