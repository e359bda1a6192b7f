//! Checks of index names and their components.
//!
//! A full index name consists of `[0-9A-Za-z_-]` and dots; the dot separates the components
//! added by prefixes and namespaces (`prefix.name`), so a single component has no dots. These
//! characters are exactly the URL-safe ones, apart from `~`.

use crate::access::AccessErrorKind;

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

/// Checks a full index name (after prefixing): not reserved, not empty, allowed characters.
///
/// Names that start with `__` and contain no dot are reserved for the database's own column
/// families (`__INDEXES_POOL__`, `__DB_METADATA__`, `__scratchpad__`).
pub(crate) fn check_index_valid_full_name(name: &str) -> Result<(), AccessErrorKind> {
    if name.starts_with("__") && !name.contains('.') {
        Err(AccessErrorKind::ReservedName)
    } else if name.is_empty() {
        Err(AccessErrorKind::EmptyName)
    } else if !is_valid_identifier(name) {
        Err(AccessErrorKind::InvalidCharsInName {
            name: name.to_owned(),
            allowed_chars: ALLOWED_FULL_NAME_CHARS,
        })
    } else {
        Ok(())
    }
}

/// Checks a name component (a prefix or a migration namespace): not empty, no dots.
pub(crate) fn check_valid_name_component(name: &str) -> Result<(), AccessErrorKind> {
    if name.is_empty() {
        Err(AccessErrorKind::EmptyName)
    } else if !is_valid_index_name_component(name) {
        Err(AccessErrorKind::InvalidCharsInName {
            name: name.to_owned(),
            allowed_chars: ALLOWED_COMPONENT_CHARS,
        })
    } else {
        Ok(())
    }
}

/// Panics unless `name` is a valid name component, with the message of metaldb 1.0.0 (which
/// unwrapped the check's `Result`).
pub(crate) fn assert_valid_name_component(name: &str) {
    if let Err(kind) = check_valid_name_component(name) {
        panic!("called `Result::unwrap()` on an `Err` value: {:?}", kind);
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
        use super::check_index_valid_full_name;
        use crate::access::AccessErrorKind;
        use assert_matches::assert_matches;

        assert_matches!(
            check_index_valid_full_name(""),
            Err(AccessErrorKind::EmptyName)
        );
        assert_matches!(
            check_index_valid_full_name("__METADATA__"),
            Err(AccessErrorKind::ReservedName)
        );
        assert_matches!(
            check_index_valid_full_name("__system_index"),
            Err(AccessErrorKind::ReservedName)
        );
        assert_matches!(check_index_valid_full_name("__SYSTEM.INDEX__"), Ok(()));
        assert_matches!(
            check_index_valid_full_name("индекс"),
            Err(AccessErrorKind::InvalidCharsInName { .. })
        );
    }

    #[test]
    #[should_panic(
        expected = "InvalidCharsInName { name: \"a.b\", allowed_chars: \"a-zA-Z0-9 and _-\" }"
    )]
    fn name_components_reject_dots_with_the_upstream_message() {
        super::assert_valid_name_component("a.b");
    }
}
