//! The error type of database operations.

/// An error returned by the database: a failed open, a version mismatch, or an error reported
/// by the storage backend.
///
/// The error carries only a human-readable message; `Display` prints it verbatim.
///
/// # Examples
///
/// ```
/// use metaldb::Error;
///
/// let error = Error::new("Database version doesn't match: actual 2, expected 0");
/// assert_eq!(error.to_string(), "Database version doesn't match: actual 2, expected 0");
/// ```
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct Error {
    message: String,
    kind: ErrorKind,
}

/// What an [`Error`] is about, for the C ABI, which reports each kind with its own status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ErrorKind {
    /// The storage backend failed: I/O, a lock, RocksDB's own checks. Also every error made
    /// with [`Error::new`].
    Storage,
    /// The database was written with another on-disk format version.
    IncompatibleVersion,
    /// A record that metaldb wrote (the format version) does not decode.
    Corruption,
    /// The directory holds a RocksDB database that metaldb did not write.
    NotADatabase,
    /// A merge would give one index two types: two forks created it, each with its own.
    Conflict,
}

impl Error {
    /// Creates an error with the given message.
    pub fn new<T: Into<String>>(message: T) -> Self {
        Self::with_kind(ErrorKind::Storage, message)
    }

    pub(crate) fn with_kind<T: Into<String>>(kind: ErrorKind, message: T) -> Self {
        Self {
            message: message.into(),
            kind,
        }
    }

    pub(crate) fn kind(&self) -> ErrorKind {
        self.kind
    }
}

#[cfg(test)]
mod tests {
    use super::Error;

    #[test]
    fn display_prints_the_message_verbatim() {
        let message = "Database version doesn't match: actual 2, expected 0";
        assert_eq!(Error::new(message).to_string(), message);
        assert_eq!(Error::new(String::new()).to_string(), "");
    }

    #[test]
    fn new_accepts_owned_and_borrowed_strings() {
        let owned = Error::new(String::from("{not a format string}"));
        let borrowed = Error::new("{not a format string}");
        assert_eq!(owned.to_string(), borrowed.to_string());
    }

    #[test]
    fn clone_keeps_the_message() {
        let error = Error::new("backend failure");
        assert_eq!(error.clone().to_string(), error.to_string());
    }

    #[test]
    fn error_is_a_std_error_that_can_cross_threads() {
        fn assert_std_error<E: std::error::Error + Send + Sync + 'static>(_: &E) {}
        assert_std_error(&Error::new("message"));
    }
}
