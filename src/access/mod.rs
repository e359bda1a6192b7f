//! High-level access to indexes: the [`Access`] trait, namespaced accesses and the errors of
//! opening an index.

pub use self::extensions::{AccessExt, CopyAccessExt};
pub use crate::views::{AccessError, AccessErrorKind, AsReadonly, RawAccess, RawAccessMut};

use crate::{
    views::{
        assert_valid_name_component, check_full_name, get_metadata_unchecked, GroupKeys,
        IndexMetadata, ViewWithMetadata,
    },
    BinaryKey, IndexAddress, IndexType,
};

mod extensions;

/// High-level access to indexes: opens views by address, creating indexes as needed.
///
/// Implemented for every [`RawAccess`] and for the namespaced wrappers [`Prefixed`],
/// [`Migration`](crate::migration::Migration), [`Scratchpad`](crate::migration::Scratchpad) and
/// [`GenericAccess`](crate::generic::GenericAccess). It is not meant to be implemented outside
/// the crate, other than by delegating to another access.
pub trait Access: Clone {
    /// The raw access under this one.
    type Base: RawAccess;

    /// Returns the metadata of the index at `addr`, without creating anything.
    ///
    /// # Errors
    ///
    /// Returns an error if the name of the address is invalid.
    fn get_index_metadata(self, addr: IndexAddress) -> Result<Option<IndexMetadata>, AccessError>;

    /// Opens the view of the index at `addr`, creating the index if it does not exist and the
    /// access can write (a read-only access gives a phantom view instead).
    ///
    /// # Errors
    ///
    /// Returns an error if the name is invalid or an index of another type exists at `addr`.
    fn get_or_create_view(
        self,
        addr: IndexAddress,
        index_type: IndexType,
    ) -> Result<ViewWithMetadata<Self::Base>, AccessError>;

    /// Iterates over the keys of the members of the group at `base_addr`.
    fn group_keys<K>(self, base_addr: IndexAddress) -> GroupKeys<Self::Base, K>
    where
        K: BinaryKey + ?Sized,
        Self::Base: AsReadonly<Readonly = Self::Base>;
}

impl<T: RawAccess> Access for T {
    type Base = Self;

    fn get_index_metadata(self, addr: IndexAddress) -> Result<Option<IndexMetadata>, AccessError> {
        check_full_name(&addr)?;
        Ok(get_metadata_unchecked(self, &addr))
    }

    fn get_or_create_view(
        self,
        addr: IndexAddress,
        index_type: IndexType,
    ) -> Result<ViewWithMetadata<Self::Base>, AccessError> {
        ViewWithMetadata::get_or_create(self, &addr, index_type)
    }

    fn group_keys<K>(self, base_addr: IndexAddress) -> GroupKeys<Self::Base, K>
    where
        K: BinaryKey + ?Sized,
        Self::Base: AsReadonly<Readonly = Self::Base>,
    {
        GroupKeys::new(self, &base_addr)
    }
}

/// An access whose indexes live under `prefix.`: `Prefixed::new("p", access)` opens `"x"` at
/// `"p.x"`, and an empty address at `"p"` itself.
///
/// There is deliberately no way to get the inner access back: that would let code escape the
/// namespace it was given.
#[derive(Debug, Clone)]
pub struct Prefixed<T> {
    access: T,
    prefix: String,
}

impl<T: RawAccess> Prefixed<T> {
    /// Creates a prefixed access.
    ///
    /// # Panics
    ///
    /// Panics if `prefix` is empty or has characters other than `a-zA-Z0-9`, `_` and `-`.
    pub fn new(prefix: impl Into<String>, access: T) -> Self {
        let prefix = prefix.into();
        assert_valid_name_component(&prefix);
        Self { access, prefix }
    }
}

impl<T> Prefixed<T> {
    pub(crate) fn access(&self) -> &T {
        &self.access
    }

    pub(crate) fn prefix(&self) -> &str {
        &self.prefix
    }

    pub(crate) fn into_parts(self) -> (String, T) {
        (self.prefix, self.access)
    }
}

impl<T: RawAccess> Access for Prefixed<T> {
    type Base = T;

    fn get_index_metadata(self, addr: IndexAddress) -> Result<Option<IndexMetadata>, AccessError> {
        self.access
            .get_index_metadata(addr.prepend_name(&self.prefix))
    }

    fn get_or_create_view(
        self,
        addr: IndexAddress,
        index_type: IndexType,
    ) -> Result<ViewWithMetadata<Self::Base>, AccessError> {
        self.access
            .get_or_create_view(addr.prepend_name(&self.prefix), index_type)
    }

    fn group_keys<K>(self, base_addr: IndexAddress) -> GroupKeys<Self::Base, K>
    where
        K: BinaryKey + ?Sized,
        Self::Base: AsReadonly<Readonly = Self::Base>,
    {
        self.access.group_keys(base_addr.prepend_name(&self.prefix))
    }
}

/// Construction of an object (an index, or a struct of indexes) from an access and an address.
///
/// Indexes, [`Group`](crate::Group) and [`Lazy`](crate::Lazy) implement it; a struct of them
/// (a schema) usually derives it with `#[derive(FromAccess)]` from the `metaldb-derive` crate,
/// which opens each field at the struct's address with the field's name appended.
///
/// # Examples
///
/// ```
/// use metaldb::{
///     access::{Access, CopyAccessExt, FromAccess, Prefixed},
///     Database, Entry, Group, ListIndex, MapIndex, TemporaryDB,
/// };
/// use metaldb_derive::{BinaryValue, FromAccess};
/// use serde::{Deserialize, Serialize};
///
/// // Encoded with bincode (the crate using the derive depends on `bincode` 1).
/// #[derive(Debug, PartialEq, Serialize, Deserialize, BinaryValue)]
/// #[binary_value(codec = "bincode")]
/// struct Wallet {
///     username: String,
///     balance: u64,
/// }
///
/// #[derive(FromAccess)]
/// struct Schema<T: Access> {
///     ticker: Entry<T::Base, String>,
///     wallets: MapIndex<T::Base, u16, Wallet>,
///     #[from_access(rename = "history")]
///     histories: Group<T, u16, ListIndex<T::Base, u32>>,
/// }
///
/// let db = TemporaryDB::new();
/// let fork = db.fork();
/// let mut schema = Schema::from_root(Prefixed::new("app", &fork))?;
/// schema.ticker.set("XNM".to_owned());
/// let wallet = Wallet { username: "Alice".to_owned(), balance: 10 };
/// schema.wallets.put(&1, wallet);
/// schema.histories.get(&1).push(7);
/// drop(schema);
///
/// // The same indexes, by name.
/// assert_eq!(fork.get_entry::<_, String>("app.ticker").get().as_deref(), Some("XNM"));
/// assert_eq!(fork.get_map::<_, u16, Wallet>("app.wallets").get(&1).unwrap().balance, 10);
/// assert_eq!(fork.get_list::<_, u32>(("app.history", &1_u16)).get(0), Some(7));
/// # Ok::<(), metaldb::access::AccessError>(())
/// ```
pub trait FromAccess<T: Access>: Sized {
    /// Builds the object at `addr`.
    ///
    /// # Errors
    ///
    /// Returns an error if the address is invalid or holds an index of another type.
    fn from_access(access: T, addr: IndexAddress) -> Result<Self, AccessError>;

    /// Builds the object at the root of the access (an empty address, which for a namespaced
    /// access is the namespace itself).
    ///
    /// # Errors
    ///
    /// As [`from_access`](Self::from_access); an index at the root of a raw access has an empty
    /// name and fails with [`AccessErrorKind::EmptyName`].
    fn from_root(access: T) -> Result<Self, AccessError> {
        Self::from_access(access, IndexAddress::default())
    }
}
