//! Failed storage reads: how a read that RocksDB could not complete (a damaged table file, an
//! I/O error) reaches the caller.
//!
//! metaldb 1.0.0's index API returns no `Result` from reads (`MapIndex::get` gives an
//! `Option`), so a failed read panics with RocksDB's text there, and here too: source
//! compatibility keeps that. [`try_read`] is the fallible path around it, which the C ABI takes
//! for every read.

use std::{
    cell::{Cell, RefCell},
    panic::{self, AssertUnwindSafe},
};

use crate::{Error, Result};

thread_local! {
    /// How many [`try_read`] calls this thread is inside.
    static DEPTH: Cell<usize> = const { Cell::new(0) };
    /// The failure that is unwinding to the innermost [`try_read`] of this thread.
    static FAILURE: RefCell<Option<Error>> = const { RefCell::new(None) };
}

/// The payload that unwinds from a failed read to its [`try_read`]; the error itself waits in
/// `FAILURE`, since a payload must be `Send` and `'static` and is all the caller sees of it.
struct ReadFailed;

/// Fails a read. Inside [`try_read`], unwinds to it with `error`, without calling the panic
/// hook: a damaged file is no bug, and a library must not print to stderr. Outside, panics with
/// `text` (RocksDB's own), as metaldb 1.0.0 did.
pub(crate) fn fail(error: Error, text: String) -> ! {
    if DEPTH.get() > 0 {
        FAILURE.set(Some(error));
        panic::resume_unwind(Box::new(ReadFailed));
    }
    panic!("{}", text);
}

/// Runs `read`, and returns a storage read that failed inside it as an `Err` instead of the
/// panic the index API gives: of the corruption kind for damaged data, of the storage kind for
/// other I/O errors, naming the index and its identifier, with RocksDB's text.
///
/// The read stops where it failed. Reads change nothing, so the snapshot or fork and its
/// indexes are as they were before the failed call, and the same read fails the same way until
/// the data is repaired. Writes `read` made before the failure stay made, as they would after
/// an early `return`. Panics that are not read failures pass through unchanged. Reads on other
/// threads are not covered: each thread has its own `try_read`.
///
/// # Examples
///
/// ```
/// use metaldb::{access::CopyAccessExt, try_read, Database, TemporaryDB};
///
/// let db = TemporaryDB::new();
/// let snapshot = db.snapshot();
/// let value = try_read(|| snapshot.get_map::<_, u32, String>("users").get(&1))?;
/// assert_eq!(value, None);
/// # Ok::<(), metaldb::Error>(())
/// ```
pub fn try_read<R>(read: impl FnOnce() -> R) -> Result<R> {
    struct Scope;
    impl Drop for Scope {
        fn drop(&mut self) {
            DEPTH.set(DEPTH.get() - 1);
        }
    }

    DEPTH.set(DEPTH.get() + 1);
    let scope = Scope;
    // Unwind safety: `fail` is called before a read changes anything, so whatever `read`
    // borrowed is as consistent as at any early return.
    let result = panic::catch_unwind(AssertUnwindSafe(read));
    drop(scope);
    match result {
        Ok(value) => Ok(value),
        Err(payload) if payload.is::<ReadFailed>() => Err(FAILURE
            .take()
            .expect("a failed read records its error before unwinding")),
        Err(payload) => panic::resume_unwind(payload),
    }
}
