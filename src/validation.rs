//! Checks of index names and their components.
//!
//! A full index name consists of `[0-9A-Za-z_-]` and dots; the dot separates the components
//! added by prefixes and namespaces (`prefix.name`), so a single component has no dots. These
//! characters are exactly the URL-safe ones, apart from `~`.

/// Returns `true` if every byte of `name` is allowed in a full index name: `[0-9A-Za-z_-]` or
/// a dot.
///
/// The check does not reject the empty name, nor names that are reserved for the database
/// itself (those that start with `__` and contain no dot).
///
/// # Examples
///
/// ```
/// use metaldb::validation::is_valid_identifier;
///
/// assert!(is_valid_identifier("wallets.history_v2"));
/// assert!(is_valid_identifier(""));
/// assert!(!is_valid_identifier("wallets/history"));
/// ```
#[must_use]
pub fn is_valid_identifier(name: &str) -> bool {
    name.bytes()
        .all(|c| is_allowed_index_name_char(c) || c == b'.')
}

/// Returns `true` if every byte of `prefix` is allowed in a component of an index name, such as
/// a prefix or a namespace: `[0-9A-Za-z_-]`.
///
/// Unlike [`is_valid_identifier`], the check rejects dots. It does not reject the empty string.
///
/// # Examples
///
/// ```
/// use metaldb::validation::is_valid_index_name_component;
///
/// assert!(is_valid_index_name_component("wallets"));
/// assert!(!is_valid_index_name_component("wallets.history"));
/// ```
#[must_use]
pub fn is_valid_index_name_component(prefix: &str) -> bool {
    prefix.bytes().all(is_allowed_index_name_char)
}

/// Returns `true` if `c` is allowed in every part of an index name: `[0-9A-Za-z_-]`.
///
/// The dot, which is allowed only between components, is not included.
#[must_use]
pub const fn is_allowed_index_name_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'-'
}

/// Characters allowed in full index names, as error messages name them.
const ALLOWED_FULL_NAME_CHARS: &str = "a-zA-Z0-9 and _-.";
/// Characters allowed in name components, as error messages name them.
const ALLOWED_COMPONENT_CHARS: &str = "a-zA-Z0-9 and _-";

/// What is wrong with an index name or a name component. Opening an index reports it as an
/// `AccessErrorKind` with the same message (`views::access_error` converts it); it is defined
/// here so that the checks need nothing from the layers that use them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum NameError {
    /// Reserved for system indexes: it starts with `__` and has no dot.
    #[error("Index name is reserved")]
    Reserved,
    /// Empty.
    #[error("Index name must not be empty")]
    Empty,
    /// With characters outside `allowed`, which names the allowed ones.
    #[error("Invalid characters used in name ({name}). Use {allowed}")]
    InvalidChars { name: String, allowed: &'static str },
}

/// Checks a full index name (after prefixing): not reserved, not empty, allowed characters.
///
/// Names that start with `__` and contain no dot are reserved for the database's own column
/// families (`__INDEXES_POOL__`, `__DB_METADATA__`, `__scratchpad__`).
pub(crate) fn check_index_valid_full_name(name: &str) -> Result<(), NameError> {
    if name.starts_with("__") && !name.contains('.') {
        return Err(NameError::Reserved);
    }
    check_name(name, is_valid_identifier, ALLOWED_FULL_NAME_CHARS)
}

/// Checks a name component (a prefix or a migration namespace): not empty, no dots.
pub(crate) fn check_valid_name_component(name: &str) -> Result<(), NameError> {
    check_name(name, is_valid_index_name_component, ALLOWED_COMPONENT_CHARS)
}

/// The checks that full names and components share: `name` is not empty, and `has_valid_chars`
/// accepts it (`allowed` names those characters in the error).
fn check_name(
    name: &str,
    has_valid_chars: fn(&str) -> bool,
    allowed: &'static str,
) -> Result<(), NameError> {
    if name.is_empty() {
        Err(NameError::Empty)
    } else if !has_valid_chars(name) {
        Err(NameError::InvalidChars {
            name: name.to_owned(),
            allowed,
        })
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::{is_allowed_index_name_char, is_valid_identifier, is_valid_index_name_component};

    #[test]
    fn allowed_chars_are_ascii_alphanumerics_underscore_and_hyphen() {
        let allowed: Vec<u8> = (0..=u8::MAX)
            .filter(|&c| is_allowed_index_name_char(c))
            .collect();
        let expected: Vec<u8> = (b'-'..=b'-')
            .chain(b'0'..=b'9')
            .chain(b'A'..=b'Z')
            .chain(b'_'..=b'_')
            .chain(b'a'..=b'z')
            .collect();
        assert_eq!(allowed, expected);
    }

    #[test]
    fn identifiers_allow_dots_but_components_do_not() {
        for name in ["a.b", ".", "prefix.name.", "__SYSTEM.INDEX__"] {
            assert!(is_valid_identifier(name), "{name}");
            assert!(!is_valid_index_name_component(name), "{name}");
        }
        for name in ["name", "Name-2_x", "__system_index", "0"] {
            assert!(is_valid_identifier(name), "{name}");
            assert!(is_valid_index_name_component(name), "{name}");
        }
    }

    #[test]
    fn empty_names_pass_the_character_checks() {
        assert!(is_valid_identifier(""));
        assert!(is_valid_index_name_component(""));
    }

    #[test]
    fn names_with_other_chars_are_rejected() {
        for name in [
            "a b",
            "a/b",
            "a~b",
            "a\0b",
            "индекс",
            "a\u{e9}",
            "name!",
            "a:b",
        ] {
            assert!(!is_valid_identifier(name), "{name:?}");
            assert!(!is_valid_index_name_component(name), "{name:?}");
        }
    }

    #[test]
    fn index_name_validation_rejects_empty_reserved_and_foreign_names() {
        use super::{check_index_valid_full_name, NameError};
        use assert_matches::assert_matches;

        assert_matches!(check_index_valid_full_name(""), Err(NameError::Empty));
        assert_matches!(
            check_index_valid_full_name("__METADATA__"),
            Err(NameError::Reserved)
        );
        assert_matches!(
            check_index_valid_full_name("__system_index"),
            Err(NameError::Reserved)
        );
        assert_matches!(check_index_valid_full_name("__SYSTEM.INDEX__"), Ok(()));
        assert_matches!(
            check_index_valid_full_name("индекс"),
            Err(NameError::InvalidChars { .. })
        );
    }
}
