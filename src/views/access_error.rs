//! The errors of opening an index. They belong to the access layer's API
//! (`metaldb::access::AccessError`), and are defined here, below it, because the views that
//! check an index's name and type report them.

use thiserror::Error;

use super::{address::IndexAddress, index_type::IndexType};
use crate::validation::{check_index_valid_full_name, check_valid_name_component, NameError};

/// A failure to open an index: the address and what was wrong with it.
#[derive(Debug, Error)]
#[error("Error accessing {addr:?}: {kind}")]
pub struct AccessError {
    /// The address as handed to the raw access (already prefixed by namespaces).
    pub addr: IndexAddress,
    /// What went wrong.
    #[source]
    pub kind: AccessErrorKind,
}

/// What went wrong when opening an index.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum AccessErrorKind {
    /// An index of another type already exists at the address.
    #[error("Wrong index type: expected {expected:?}, but got {actual:?}")]
    WrongIndexType {
        /// The requested type.
        expected: IndexType,
        /// The stored type.
        actual: IndexType,
    },
    /// The name is reserved for system indexes (it starts with `__` and has no dot).
    #[error("Index name is reserved")]
    ReservedName,
    /// The name is empty.
    #[error("Index name must not be empty")]
    EmptyName,
    /// The name has characters outside the allowed set.
    #[error("Invalid characters used in name ({name}). Use {allowed_chars}")]
    InvalidCharsInName {
        /// The offending name.
        name: String,
        /// The allowed characters.
        allowed_chars: &'static str,
    },
    /// A tombstone was requested outside a migration.
    #[error("Invalid tombstone location. Tombstones can only be created in migrations")]
    InvalidTombstone,
    /// An error of a user's [`FromAccess`](crate::access::FromAccess) implementation.
    #[error("{0}")]
    Custom(#[source] anyhow::Error),
}

impl From<NameError> for AccessErrorKind {
    fn from(error: NameError) -> Self {
        match error {
            NameError::Reserved => Self::ReservedName,
            NameError::Empty => Self::EmptyName,
            NameError::InvalidChars { name, allowed } => Self::InvalidCharsInName {
                name,
                allowed_chars: allowed,
            },
        }
    }
}

/// Checks the name of `addr` as a full index name, as every access does before it opens or
/// looks up an index, and reports a bad name against `addr`.
pub(crate) fn check_full_name(addr: &IndexAddress) -> Result<(), AccessError> {
    check_index_valid_full_name(addr.name()).map_err(|kind| AccessError {
        addr: addr.clone(),
        kind: kind.into(),
    })
}

/// Panics unless `name` is a valid name component, with the message of metaldb 1.0.0 (which
/// unwrapped the check's `Result<(), AccessErrorKind>`).
pub(crate) fn assert_valid_name_component(name: &str) {
    if let Err(error) = check_valid_name_component(name) {
        panic!(
            "called `Result::unwrap()` on an `Err` value: {:?}",
            AccessErrorKind::from(error)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::{AccessErrorKind, NameError};

    #[test]
    fn name_errors_become_access_errors_with_the_same_message() {
        let invalid = NameError::InvalidChars {
            name: "a/b".to_owned(),
            allowed: "a-z",
        };
        for error in [NameError::Reserved, NameError::Empty, invalid] {
            let message = error.to_string();
            assert_eq!(AccessErrorKind::from(error).to_string(), message);
        }
    }

    #[test]
    #[should_panic(
        expected = "InvalidCharsInName { name: \"a.b\", allowed_chars: \"a-zA-Z0-9 and _-\" }"
    )]
    fn name_components_reject_dots_with_the_upstream_message() {
        super::assert_valid_name_component("a.b");
    }
}
