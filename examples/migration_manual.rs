//! A migration by hand, without `MigrationHelper`: write the new layout through a
//! `Migration` access in an ordinary fork, remove the obsolete indexes with tombstones, and
//! swap everything in with `flush_migration`. A first, wrong attempt is undone with
//! `rollback_migration`.
//!
//! Both versions of the data are declared as schemas with `#[derive(FromAccess)]`, and the
//! stored record with `#[derive(BinaryValue)]` (metaldb-derive). The same schema opens the
//! live data through `Prefixed` and the migrated data through `Migration`.
//!
//! Run with `cargo run --example migration_manual`.

use metaldb::{
    access::{Access, AccessExt, CopyAccessExt, FromAccess, Prefixed},
    migration::{flush_migration, rollback_migration, Migration},
    Database, IndexType, TemporaryDB,
};

/// Version 1: a list of customer records and a counter.
mod v1 {
    use metaldb::{access::Access, Entry, ListIndex};
    use metaldb_derive::{BinaryValue, FromAccess};
    use serde::{Deserialize, Serialize};

    /// A customer's balance, stored encoded with bincode.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize, BinaryValue)]
    #[binary_value(codec = "bincode")]
    pub struct Record {
        pub name: String,
        pub balance: u64,
    }

    /// The indexes `records` and `record_count` of the namespace.
    #[derive(FromAccess)]
    pub struct Schema<T: Access> {
        pub records: ListIndex<T::Base, Record>,
        pub record_count: Entry<T::Base, u64>,
    }
}

/// Version 2: balances by customer name; the counter is gone (the map knows its size).
mod v2 {
    use metaldb::{access::Access, MapIndex};
    use metaldb_derive::FromAccess;

    /// The index `balances` of the namespace.
    #[derive(FromAccess)]
    pub struct Schema<T: Access> {
        pub balances: MapIndex<T::Base, str, u64>,
    }
}

/// Opens a schema at the root of `access`; the examples' accesses are all namespaced.
fn open<T: Access, S: FromAccess<T>>(access: T) -> S {
    S::from_root(access).expect("the schema's indexes have the declared types")
}

pub fn main() {
    let db = TemporaryDB::new();

    let fork = db.fork();
    {
        let mut shop: v1::Schema<_> = open(Prefixed::new("shop", &fork));
        for (name, balance) in [("alice", 10), ("bob", 25), ("carol", 7)] {
            let name = name.to_owned();
            shop.records.push(v1::Record { name, balance });
        }
        shop.record_count.set(3);
    }
    // Data outside the namespace is never touched by the migration.
    fork.get_entry("config").set("v1".to_owned());
    db.merge(fork.into_patch()).unwrap();

    // A first attempt, written and merged, then abandoned.
    let fork = db.fork();
    let mut attempt: v2::Schema<_> = open(Migration::new("shop", &fork));
    attempt.balances.put("alice", 0);
    drop(attempt);
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

    // The migration proper. The old data stays readable, and unchanged, while it is built.
    let fork = db.fork();
    {
        let old: v1::Schema<_> = open(Prefixed::new("shop", fork.readonly()));
        let migration = Migration::new("shop", &fork);
        let mut new: v2::Schema<_> = open(migration.clone());
        for record in old.records.iter() {
            new.balances.put(&record.name, record.balance);
        }
        migration.create_tombstone("records");
        migration.create_tombstone("record_count");
    }
    db.merge(fork.into_patch()).unwrap();

    // Merged, but not flushed: readers still see version 1 only.
    {
        let snapshot = db.snapshot();
        let old: v1::Schema<_> = open(Prefixed::new("shop", &snapshot));
        assert_eq!(old.records.len(), 3);
        assert_eq!(old.record_count.get(), Some(3));
        assert_eq!(snapshot.index_type("shop.balances"), None);
    }

    // The flush swaps the versions when its fork is merged, in one atomic write.
    let mut fork = db.fork();
    flush_migration(&mut fork, "shop");
    db.merge(fork.into_patch()).unwrap();

    let snapshot = db.snapshot();
    let shop: v2::Schema<_> = open(Prefixed::new("shop", &snapshot));
    assert_eq!(
        shop.balances.iter().collect::<Vec<_>>(),
        vec![
            ("alice".to_owned(), 10),
            ("bob".to_owned(), 25),
            ("carol".to_owned(), 7)
        ]
    );
    // The schema's field names are the index names: plain access calls see the same data.
    assert_eq!(
        snapshot.get_map::<_, str, u64>("shop.balances").get("bob"),
        Some(25)
    );
    assert_eq!(snapshot.index_type("shop.records"), None);
    assert_eq!(snapshot.index_type("shop.record_count"), None);
    assert_eq!(snapshot.index_type("shop.balances"), Some(IndexType::Map));
    assert_eq!(
        snapshot.get_entry::<_, String>("config").get().as_deref(),
        Some("v1")
    );
    println!("migrated {} records", shop.balances.iter().count());
}
