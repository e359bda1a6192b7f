//! The boundary every exported function runs inside: it clears the thread's message, catches
//! panics and turns errors into status codes.
//!
//! A panic while a family lock is held poisons that family's mutex, so later calls on the
//! family report `MDB_ERR_POISONED` instead of touching state the panic may have left half
//! updated. That is what makes the `AssertUnwindSafe` below honest.

use std::{
    any::Any,
    cell::Cell,
    panic::{self, AssertUnwindSafe},
};

use rocksdb::perf::{set_perf_stats, PerfStatsLevel};

use crate::try_read;

use super::status::{
    clear_last_error, mdb_status, set_last_error, FfiError, MDB_ERR_PANIC, MDB_OK,
};

thread_local! {
    /// Whether [`prepare_thread`] has run on this thread.
    static PREPARED: Cell<bool> = const { Cell::new(false) };
}

/// Prepares the calling thread for the library, once per thread: turns RocksDB's per-thread
/// performance counters off. Nothing in the C API reads them, and in a shared library each
/// update of a counter (one per key comparison in a memtable) reaches RocksDB's thread-local
/// variables through `__tls_get_addr`: 8% of the time of a map fill through libmetaldb.so
/// (perf), where a program linked to RocksDB statically pays almost nothing.
///
/// The RocksDB of `make rocksdb` has no counters to turn off (its perf context is compiled
/// out, which also saves the check of the thread's level at each counter); this serves a
/// RocksDB built with them, such as a distribution's.
fn prepare_thread() {
    PREPARED.with(|prepared| {
        if !prepared.get() {
            set_perf_stats(PerfStatsLevel::Disable);
            prepared.set(true);
        }
    });
}

/// Runs the body of a fallible exported function.
pub(crate) fn run(body: impl FnOnce() -> Result<(), FfiError>) -> mdb_status {
    prepare_thread();
    clear_last_error();
    match panic::catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => MDB_OK,
        Ok(Err(err)) => {
            set_last_error(&err.message);
            err.status
        }
        Err(payload) => {
            set_last_error(&format!(
                "internal error: {}",
                panic_message(payload.as_ref())
            ));
            MDB_ERR_PANIC
        }
    }
}

/// Runs the body of an exported function that cannot report failure (a `_free`, a query
/// returning a plain value); a panic yields `fallback`.
pub(crate) fn run_infallible<R>(fallback: R, body: impl FnOnce() -> R) -> R {
    prepare_thread();
    clear_last_error();
    match panic::catch_unwind(AssertUnwindSafe(body)) {
        Ok(value) => value,
        Err(payload) => {
            set_last_error(&format!(
                "internal error: {}",
                panic_message(payload.as_ref())
            ));
            fallback
        }
    }
}

/// Runs `read`, a part of a call that only reads the family's state and the storage, so that
/// a failed storage read becomes its status (`MDB_ERR_CORRUPTION` for damaged data, naming
/// the index) instead of a panic that poisons the family (see [`try_read`]). A read that failed
/// left nothing half changed here, so the family stays usable: its other indexes, and this one
/// once the data is repaired.
pub(crate) fn reporting_read_errors<R>(
    read: impl FnOnce() -> Result<R, FfiError>,
) -> Result<R, FfiError> {
    try_read(read)?
}

/// Runs the body of a message accessor, which must not clear the message it reads; a panic
/// yields `fallback`.
pub(crate) fn run_keeping_message<R>(fallback: R, body: impl FnOnce() -> R) -> R {
    panic::catch_unwind(AssertUnwindSafe(body)).unwrap_or(fallback)
}

fn panic_message(payload: &(dyn Any + Send)) -> &str {
    if let Some(message) = payload.downcast_ref::<&str>() {
        message
    } else if let Some(message) = payload.downcast_ref::<String>() {
        message
    } else {
        "a panic without a message"
    }
}

/// Wraps the body of a fallible exported function: `ffi_boundary!({ ...; Ok(()) })`.
/// Every `extern "C"` function of this crate starts with this macro or with
/// [`ffi_boundary_infallible!`]; a test checks it.
macro_rules! ffi_boundary {
    ($body:block) => {
        $crate::ffi::boundary::run(move || $body)
    };
}

/// Wraps the body of an exported function that returns a plain value:
/// `ffi_boundary_infallible!(fallback, { ... })`.
macro_rules! ffi_boundary_infallible {
    ($fallback:expr, $body:block) => {
        $crate::ffi::boundary::run_infallible($fallback, move || $body)
    };
}

/// Wraps the body of a message accessor: `ffi_boundary_keeping_message!(fallback, { ... })`.
macro_rules! ffi_boundary_keeping_message {
    ($fallback:expr, $body:block) => {
        $crate::ffi::boundary::run_keeping_message($fallback, move || $body)
    };
}

pub(crate) use {ffi_boundary, ffi_boundary_infallible, ffi_boundary_keeping_message};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ffi::status::{with_last_error, MDB_ERR_INVALID_ARGUMENT};

    #[test]
    fn panics_become_a_status_and_a_message() {
        let status = run(|| panic!("boom"));
        assert_eq!(status, MDB_ERR_PANIC);
        with_last_error(|message| assert_eq!(message.to_str().unwrap(), "internal error: boom"));
    }

    #[test]
    fn a_success_clears_the_previous_message() {
        let status = run(|| Err(FfiError::invalid_argument("bad")));
        assert_eq!(status, MDB_ERR_INVALID_ARGUMENT);
        with_last_error(|message| assert_eq!(message.to_str().unwrap(), "bad"));
        assert_eq!(run(|| Ok(())), MDB_OK);
        with_last_error(|message| assert!(message.as_bytes().is_empty()));
    }

    /// A RocksDB holding one key, opened without metaldb.
    struct RawDb {
        db: rocksdb::DB,
        _dir: tempfile::TempDir,
    }

    impl RawDb {
        fn new() -> Self {
            let dir = tempfile::TempDir::new().unwrap();
            let db = rocksdb::DB::open_default(dir.path()).unwrap();
            db.put(b"key", b"value").unwrap();
            Self { db, _dir: dir }
        }

        /// Reads the key; returns how many key comparisons RocksDB counted for it on the
        /// calling thread.
        fn comparisons_of_a_read(&self) -> u64 {
            use rocksdb::perf::{PerfContext, PerfMetric};

            let mut context = PerfContext::default();
            context.reset();
            assert!(self.db.get(b"key").unwrap().is_some());
            context.metric(PerfMetric::UserKeyComparisonCount)
        }
    }

    #[test]
    #[cfg(rocksdb_without_perf_context)]
    fn the_rocksdb_of_make_rocksdb_counts_nothing_even_when_asked() {
        let db = RawDb::new();
        set_perf_stats(PerfStatsLevel::EnableCount);
        assert_eq!(
            db.comparisons_of_a_read(),
            0,
            "RocksDB was compiled with its perf context, though `cxxflags` beside it says not"
        );
    }

    #[test]
    #[cfg(not(rocksdb_without_perf_context))]
    fn a_thread_stops_counting_rocksdb_perf_metrics_once_it_calls_the_library() {
        let db = RawDb::new();
        // A new thread: the counters are per thread, and on by default.
        std::thread::spawn(move || {
            assert!(db.comparisons_of_a_read() > 0, "RocksDB counts by default");
            run_infallible((), || ());
            assert_eq!(db.comparisons_of_a_read(), 0);
            assert_eq!(run(|| Ok(())), MDB_OK);
            assert_eq!(db.comparisons_of_a_read(), 0);
        })
        .join()
        .unwrap();
    }
}
