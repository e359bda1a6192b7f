//! A migration by hand, without `MigrationHelper`: write the new layout through a
//! `Migration` access in an ordinary fork, remove an obsolete index with a tombstone, and
//! swap everything in with `flush_migration`. A first, wrong attempt is undone with
//! `rollback_migration`.
//!
//! Run with `cargo run --example migration_manual`.

use metaldb::{
    access::{AccessExt, CopyAccessExt},
    migration::{flush_migration, rollback_migration, Migration},
    Database, IndexType, TemporaryDB,
};

pub fn main() {
    let db = TemporaryDB::new();

    // Version 1 of the schema: a list of "name:balance" records and a counter.
    let fork = db.fork();
    fork.get_list("shop.records")
        .extend(["alice:10", "bob:25", "carol:7"].map(str::to_owned));
    fork.get_entry("shop.record_count").set(3_u64);
    // Data outside the namespace is never touched by the migration.
    fork.get_entry("config").set("v1".to_owned());
    db.merge(fork.into_patch()).unwrap();

    // A first attempt, written and merged, then abandoned.
    let fork = db.fork();
    Migration::new("shop", &fork)
        .get_map::<_, str, u64>("balances")
        .put("alice", 0);
    db.merge(fork.into_patch()).unwrap();
    let mut fork = db.fork();
    rollback_migration(&mut fork, "shop");
    db.merge(fork.into_patch()).unwrap();
    let snapshot = db.snapshot();
    assert_eq!(
        Migration::new("shop", &snapshot).index_type("balances"),
        None
    );
    drop(snapshot);

    // Version 2: a map from name to balance; the counter is obsolete. The old data stays
    // readable, and unchanged, while the migration is built.
    let fork = db.fork();
    {
        let records = fork.get_list::<_, String>("shop.records");
        let migration = Migration::new("shop", &fork);
        let mut balances = migration.get_map::<_, str, u64>("balances");
        for record in records.iter() {
            let (name, balance) = record.split_once(':').expect("name:balance");
            balances.put(name, balance.parse().expect("a number"));
        }
        migration.create_tombstone("records");
        migration.create_tombstone("record_count");
    }
    db.merge(fork.into_patch()).unwrap();

    // Merged, but not flushed: readers still see version 1 only.
    let snapshot = db.snapshot();
    assert_eq!(snapshot.get_list::<_, String>("shop.records").len(), 3);
    assert_eq!(snapshot.index_type("shop.balances"), None);
    drop(snapshot);

    // The flush swaps the versions when its fork is merged, in one atomic write.
    let mut fork = db.fork();
    flush_migration(&mut fork, "shop");
    db.merge(fork.into_patch()).unwrap();

    let snapshot = db.snapshot();
    let balances = snapshot.get_map::<_, str, u64>("shop.balances");
    assert_eq!(
        balances.iter().collect::<Vec<_>>(),
        vec![
            ("alice".to_owned(), 10),
            ("bob".to_owned(), 25),
            ("carol".to_owned(), 7)
        ]
    );
    assert_eq!(snapshot.index_type("shop.records"), None);
    assert_eq!(snapshot.index_type("shop.record_count"), None);
    assert_eq!(snapshot.index_type("shop.balances"), Some(IndexType::Map));
    assert_eq!(
        snapshot.get_entry::<_, String>("config").get().as_deref(),
        Some("v1")
    );
    println!("migrated {} records", balances.iter().count());
}
