//! A migration run by `MigrationHelper` in a worker thread, stopped from the main thread
//! with its `AbortHandle`, resumed by a second helper, then flushed.
//!
//! The helper is not `Send` (it holds a fork), so it is created inside the worker thread and
//! only the handle is sent out. Dropping the handle aborts the migration: the helper refuses
//! its next merge, so the step in progress is discarded, while everything merged before
//! stays. Because the persistent iterator's position is merged together with the data, the
//! next helper carries on exactly where the last merge left off.
//!
//! The data before and after is declared as schemas with `#[derive(FromAccess)]`
//! (metaldb-derive), opened on the helper's old and new data.
//!
//! Run with `cargo run --example migration_helper`.

use metaldb::{
    access::{Access, CopyAccessExt, FromAccess, Prefixed},
    migration::{
        flush_migration, AbortHandle, Migration, MigrationError, MigrationHelper, PersistentIters,
        Scratchpad,
    },
    Database, Fork, TemporaryDB,
};
use std::{
    sync::{mpsc, Arc},
    thread,
};

const ENTRIES: u64 = 500;
const CHUNK_SIZE: usize = 40;

/// Version 1: the books are a ledger, a list of amounts.
mod v1 {
    use metaldb::{access::Access, ListIndex};
    use metaldb_derive::FromAccess;

    #[derive(FromAccess)]
    pub struct Books<T: Access> {
        pub ledger: ListIndex<T::Base, u64>,
    }
}

/// Version 2: amounts by entry number, and their running total.
mod v2 {
    use metaldb::{access::Access, Entry, MapIndex};
    use metaldb_derive::FromAccess;

    #[derive(FromAccess)]
    pub struct Books<T: Access> {
        pub amounts: MapIndex<T::Base, u64, u64>,
        pub total: Entry<T::Base, u64>,
    }
}

/// Opens a schema at the root of a (namespaced) access.
fn open<T: Access, S: FromAccess<T>>(access: T) -> S {
    S::from_root(access).expect("the schema's indexes have the declared types")
}

/// A step of the migration: a chunk of the ledger moves into the map, and the total, kept in
/// the migration, grows with it.
fn migrate_chunk(helper: &MigrationHelper, iters: &mut PersistentIters<Scratchpad<&Fork>>) {
    let old: v1::Books<_> = open(helper.old_data());
    let mut new: v2::Books<_> = open(helper.new_data());
    let mut sum = new.total.get().unwrap_or(0);
    for (number, amount) in iters.create("ledger", &old.ledger).take(CHUNK_SIZE) {
        new.amounts.put(&number, amount);
        sum += amount;
    }
    new.total.set(sum);
    helper.new_data().create_tombstone("ledger");
}

/// Starts a helper in a worker thread. `on_step` runs in the worker at the start of every
/// step, with the number of steps merged so far in this run.
fn spawn_migration(
    db: &Arc<dyn Database>,
    mut on_step: impl FnMut(usize) + Send + 'static,
) -> (
    thread::JoinHandle<Result<usize, MigrationError>>,
    AbortHandle,
) {
    let db = Arc::clone(db);
    let (handle_tx, handle_rx) = mpsc::channel();
    let worker = thread::spawn(move || {
        let (mut helper, handle) = MigrationHelper::with_handle(db, "books");
        handle_tx.send(handle).unwrap();
        let mut merged_steps = 0;
        helper.iter_loop(|helper, iters| {
            on_step(merged_steps);
            migrate_chunk(helper, iters);
            merged_steps += 1;
        })?;
        helper.finish()?;
        Ok(merged_steps)
    });
    (worker, handle_rx.recv().unwrap())
}

pub fn main() {
    let db: Arc<dyn Database> = Arc::new(TemporaryDB::new());
    let fork = db.fork();
    open::<_, v1::Books<_>>(Prefixed::new("books", &fork))
        .ledger
        .extend(1..=ENTRIES);
    db.merge(fork.into_patch()).unwrap();

    // First run: the main thread asks to stop while the fourth step is running.
    let (step_tx, step_rx) = mpsc::channel();
    let (resume_tx, resume_rx) = mpsc::channel::<()>();
    let (worker, handle) = spawn_migration(&db, move |merged_steps| {
        if merged_steps == 3 {
            step_tx.send(()).unwrap();
            resume_rx.recv().unwrap();
        }
    });
    step_rx.recv().unwrap();
    drop(handle); // Abort: the step in progress will not be merged.
    resume_tx.send(()).unwrap();
    let result = worker.join().unwrap();
    assert!(matches!(result, Err(MigrationError::Aborted)));

    // Three steps were merged, with their data, their total and the iterator's position.
    {
        let snapshot = db.snapshot();
        let migrated: v2::Books<_> = open(Migration::new("books", &snapshot));
        assert_eq!(migrated.amounts.iter().count(), 3 * CHUNK_SIZE);
        let partial: u64 = (1..=3 * CHUNK_SIZE as u64).sum();
        assert_eq!(migrated.total.get(), Some(partial));
    }

    // Second run: resumes and completes. The handle reports when the helper is done.
    let (worker, handle) = spawn_migration(&db, |_| {});
    let steps = worker.join().unwrap().expect("the migration completes");
    assert!(handle.is_finished());
    // 500 entries in chunks of 40 is 13 steps; 3 were merged by the first run.
    assert_eq!(steps, 10);

    // Flush on a fork created after the migration is complete.
    let mut fork = db.fork();
    flush_migration(&mut fork, "books");
    db.merge(fork.into_patch()).unwrap();

    let snapshot = db.snapshot();
    let books: v2::Books<_> = open(Prefixed::new("books", &snapshot));
    assert_eq!(books.amounts.iter().count() as u64, ENTRIES);
    assert_eq!(books.amounts.get(&0), Some(1));
    assert_eq!(books.total.get(), Some(ENTRIES * (ENTRIES + 1) / 2));
    // The schema's field names are the index names.
    assert_eq!(
        snapshot.get_entry::<_, u64>("books.total").get(),
        books.total.get()
    );
    assert_eq!(snapshot.index_type("books.ledger"), None);
    println!("migrated {ENTRIES} ledger entries: 3 steps before the abort, {steps} after resuming");
}
