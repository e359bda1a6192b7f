//! Index addresses: what users name, and what the storage resolves that to.

use std::num::NonZeroU64;

use crate::BinaryKey;

/// Byte that starts the fully qualified name of an index inside a migration.
const MIGRATION_CHAR: u8 = b'^';
/// Byte that separates the name of a group member from its key in a fully qualified name.
const KEY_SEPARATOR: u8 = 0;

/// Logical address of an index: a name, an optional key inside a group, and whether the
/// index belongs to a migration.
///
/// Addresses convert from `&str` and `String` (an index outside any group) and from
/// `(&str, &K)` (a member of the group `name` with key `K`).
///
/// ```
/// use metaldb::IndexAddress;
///
/// let addr = IndexAddress::from_root("wallets").append_key(&1_u32);
/// assert_eq!(addr.name(), "wallets");
/// assert_eq!(addr.id_in_group(), Some(&[0, 0, 0, 1][..]));
/// assert_eq!(addr, IndexAddress::from(("wallets", &1_u32)));
/// ```
#[derive(Debug, Clone, Eq, PartialEq, Hash, Default)]
pub struct IndexAddress {
    name: String,
    id_in_group: Option<Vec<u8>>,
    in_migration: bool,
}

impl IndexAddress {
    /// Creates an address of an index outside any group.
    pub fn from_root<S: Into<String>>(root: S) -> Self {
        Self {
            name: root.into(),
            id_in_group: None,
            in_migration: false,
        }
    }

    /// Returns the name part of the address.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Returns the encoded key of the index inside its group, if it is a group member.
    pub fn id_in_group(&self) -> Option<&[u8]> {
        self.id_in_group.as_deref()
    }

    /// Prepends `prefix` and a dot to the name; an empty name becomes `prefix` itself.
    /// The group key is kept.
    pub fn prepend_name(self, prefix: &str) -> Self {
        let name = if self.name.is_empty() {
            prefix.to_owned()
        } else {
            [prefix, ".", &self.name].concat()
        };
        Self { name, ..self }
    }

    /// Appends a dot and `suffix` to the name; an empty name becomes `suffix` itself.
    /// The group key is kept, which is how a component of a group member ends up at
    /// `("group.field", key)`.
    pub fn append_name(self, suffix: &str) -> Self {
        let name = if self.name.is_empty() {
            suffix.to_owned()
        } else {
            [&self.name, ".", suffix].concat()
        };
        Self { name, ..self }
    }

    /// Appends the encoding of `suffix` to the group key, or starts the key.
    ///
    /// # Consistency
    ///
    /// Keys are concatenated without a separator or length prefix, so nested groups with
    /// variable-length keys can alias: `("g", "foo").append_key("bar")` is the same address
    /// as `("g", "foob").append_key("ar")`.
    pub fn append_key<K: BinaryKey + ?Sized>(self, suffix: &K) -> Self {
        let mut id_in_group = self.id_in_group.unwrap_or_default();
        let start = id_in_group.len();
        id_in_group.resize(start + suffix.size(), 0);
        suffix.write(&mut id_in_group[start..]);
        Self {
            id_in_group: Some(id_in_group),
            ..self
        }
    }

    pub(crate) fn set_in_migration(&mut self) {
        self.in_migration = true;
    }

    pub(crate) fn in_migration(&self) -> bool {
        self.in_migration
    }

    /// The key of the index's metadata in the index pool:
    /// `['^' if in migration] name [0x00 key if keyed]` (docs/format.md, "Addresses").
    pub(crate) fn fully_qualified_name(&self) -> Vec<u8> {
        let key_len = self.id_in_group.as_ref().map_or(0, |key| key.len() + 1);
        let mut fqn = Vec::with_capacity(1 + self.name.len() + key_len);
        if self.in_migration {
            fqn.push(MIGRATION_CHAR);
        }
        fqn.extend_from_slice(self.name.as_bytes());
        if let Some(key) = &self.id_in_group {
            fqn.push(KEY_SEPARATOR);
            fqn.extend_from_slice(key);
        }
        fqn
    }

    /// The common prefix of the pool keys of all members of the group at this address.
    pub(crate) fn qualified_prefix(&self) -> Vec<u8> {
        let mut prefix = self.fully_qualified_name();
        if self.id_in_group.is_none() {
            prefix.push(KEY_SEPARATOR);
        }
        prefix
    }
}

impl From<&str> for IndexAddress {
    fn from(name: &str) -> Self {
        Self::from_root(name)
    }
}

impl From<String> for IndexAddress {
    fn from(name: String) -> Self {
        Self::from_root(name)
    }
}

impl<'a, K: BinaryKey + ?Sized> From<(&'a str, &'a K)> for IndexAddress {
    fn from((name, key): (&'a str, &'a K)) -> Self {
        Self::from_root(name).append_key(key)
    }
}

/// The pool-key prefix shared by every index of the migration in `namespace`.
pub(crate) fn migration_prefix(namespace: &str) -> Vec<u8> {
    let mut prefix = Vec::with_capacity(namespace.len() + 2);
    prefix.push(MIGRATION_CHAR);
    prefix.extend_from_slice(namespace.as_bytes());
    prefix.push(b'.');
    prefix
}

/// Strips the migration marker from a fully qualified name, giving the name of the index
/// that a migrated index replaces.
pub(crate) fn migration_target(fqn: &[u8]) -> Option<&[u8]> {
    fqn.strip_prefix(&[MIGRATION_CHAR])
}

/// The column family name encoded in a fully qualified name without the migration marker.
pub(crate) fn column_family_of(fqn: &[u8]) -> String {
    let name = fqn
        .split(|&byte| byte == KEY_SEPARATOR)
        .next()
        .unwrap_or(fqn);
    String::from_utf8(name.to_vec()).expect("index names are validated to be ASCII")
}

/// Where an index lives in storage: a column family and an identifier within it.
///
/// Key spaces of different identifiers in one column family never intersect. An address
/// without an identifier is a system view that owns its whole column family.
#[derive(Debug, Clone, Hash, PartialEq, Eq)]
pub struct ResolvedAddress {
    /// Name of the column family.
    pub name: String,
    /// Identifier of the index within the column family.
    pub id: Option<NonZeroU64>,
}

impl ResolvedAddress {
    pub(crate) fn new(name: impl Into<String>, id: Option<NonZeroU64>) -> Self {
        Self {
            name: name.into(),
            id,
        }
    }

    /// A system view, which owns the whole column family `name`.
    pub(crate) fn system(name: impl Into<String>) -> Self {
        Self::new(name, None)
    }

    /// The little-endian identifier that prefixes every stored key of this address.
    pub(crate) fn id_bytes(&self) -> Option<[u8; 8]> {
        self.id.map(|id| id.get().to_le_bytes())
    }

    /// Runs `read` on the key under which `key` of this address is stored, built on the stack
    /// when it is short (point reads need it only while they run).
    pub(crate) fn with_keyed<R>(&self, key: &[u8], read: impl FnOnce(&[u8]) -> R) -> R {
        /// Longest stored key built on the stack: an identifier and a 64-byte key.
        const INLINE_LEN: usize = 72;
        let Some(prefix) = self.id_bytes() else {
            return read(key);
        };
        let len = prefix.len() + key.len();
        if len <= INLINE_LEN {
            let mut buffer = [0; INLINE_LEN];
            buffer[..prefix.len()].copy_from_slice(&prefix);
            buffer[prefix.len()..len].copy_from_slice(key);
            read(&buffer[..len])
        } else {
            read(&self.keyed(key))
        }
    }

    /// The key under which `key` of this address is stored in its column family.
    pub(crate) fn keyed(&self, key: &[u8]) -> Vec<u8> {
        match self.id_bytes() {
            Some(prefix) => {
                let mut keyed = Vec::with_capacity(prefix.len() + key.len());
                keyed.extend_from_slice(&prefix);
                keyed.extend_from_slice(key);
                keyed
            }
            None => key.to_vec(),
        }
    }
}

#[cfg(test)]
impl From<&str> for ResolvedAddress {
    fn from(name: &str) -> Self {
        Self::system(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fully_qualified_names_follow_the_format() {
        let addr = IndexAddress::from(("a.b", &3_u32));
        assert_eq!(addr.fully_qualified_name(), b"a.b\0\0\0\0\x03");
        let mut addr = IndexAddress::from_root("x").prepend_name("ns");
        addr.set_in_migration();
        assert_eq!(addr.fully_qualified_name(), b"^ns.x");
        assert_eq!(IndexAddress::from("g").qualified_prefix(), b"g\0");
        assert_eq!(
            IndexAddress::from(("g", &1_u8)).qualified_prefix(),
            b"g\0\x01"
        );
    }

    #[test]
    fn address_resolution_parses_the_column_family() {
        assert_eq!(column_family_of(b"foo.bar"), "foo.bar");
        assert_eq!(column_family_of(b"foo.bar\0\x01\0\x02"), "foo.bar");
        assert_eq!(migration_target(b"^ns.x"), Some(&b"ns.x"[..]));
        assert_eq!(migration_target(b"ns.x"), None);
    }

    #[test]
    fn keys_are_appended_without_separator() {
        let addr = IndexAddress::from(("g", "foo")).append_key("bar");
        assert_eq!(addr, IndexAddress::from(("g", "foobar")));
        let addr = IndexAddress::from(("g", &1_u8)).append_name("map");
        assert_eq!(addr.name(), "g.map");
        assert_eq!(addr.id_in_group(), Some(&[1][..]));
        assert_eq!(IndexAddress::from("x").prepend_name("").name(), ".x");
    }

    #[test]
    fn resolved_addresses_prefix_keys_with_the_little_endian_id() {
        let addr = ResolvedAddress::new("list", NonZeroU64::new(5));
        assert_eq!(
            addr.keyed(&2_u64.to_be_bytes()),
            [5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]
        );
        assert_eq!(ResolvedAddress::system("s").keyed(b"k"), b"k");
    }

    #[test]
    fn stored_keys_built_on_the_stack_or_the_heap_are_the_same() {
        let addr = ResolvedAddress::new("map", NonZeroU64::new(0x0102));
        for len in [0, 1, 63, 64, 65, 200] {
            let key: Vec<u8> = (0..len).map(|i| i as u8).collect();
            addr.with_keyed(&key, |stored| assert_eq!(stored, addr.keyed(&key)));
        }
        let system = ResolvedAddress::system("s");
        system.with_keyed(b"k", |stored| assert_eq!(stored, b"k"));
    }
}
