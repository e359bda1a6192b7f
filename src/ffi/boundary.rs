//! The boundary every exported function runs inside: it clears the thread's message, catches
//! panics and turns errors into status codes.
//!
//! A panic while a family lock is held poisons that family's mutex, so later calls on the
//! family report `MDB_ERR_POISONED` instead of touching state the panic may have left half
//! updated. That is what makes the `AssertUnwindSafe` below honest.

use std::{
    any::Any,
    panic::{self, AssertUnwindSafe},
};

use super::status::{
    clear_last_error, mdb_status, set_last_error, FfiError, MDB_ERR_PANIC, MDB_OK,
};

/// Runs the body of a fallible exported function.
pub(crate) fn run(body: impl FnOnce() -> Result<(), FfiError>) -> mdb_status {
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
}
