//! Accesses whose kind is chosen at run time.
//!
//! [`GenericRawAccess`] erases the kind of raw access (snapshot, fork, read-only fork, owned or
//! borrowed); [`GenericAccess`] additionally erases the namespace wrapper. [`ErasedAccess`]
//! combines both. Writes through a read-only variant panic at run time, so check
//! [`is_mutable`](GenericRawAccess::is_mutable) before writing.

use std::rc::Rc;

use crate::{
    access::{Access, AccessError, Prefixed},
    db::{ChangesMut, ChangesRef},
    migration::{Migration, Scratchpad},
    views::{
        check_full_name, ChangeSet, GroupKeys, IndexMetadata, RawAccess, RawAccessMut, ViewChanges,
        ViewWithMetadata,
    },
    AsReadonly, BinaryKey, Fork, IndexAddress, IndexType, OwnedReadonlyFork, ReadonlyFork,
    ResolvedAddress, Snapshot,
};

/// A raw access of any kind.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum GenericRawAccess<'a> {
    /// A borrowed snapshot.
    Snapshot(&'a dyn Snapshot),
    /// A shared snapshot.
    OwnedSnapshot(Rc<dyn Snapshot>),
    /// A borrowed fork.
    Fork(&'a Fork),
    /// A shared fork.
    OwnedFork(Rc<Fork>),
    /// A read-only view of a borrowed fork.
    ReadonlyFork(ReadonlyFork<'a>),
    /// A read-only view of a shared fork.
    OwnedReadonlyFork(OwnedReadonlyFork),
}

impl GenericRawAccess<'_> {
    /// Returns `true` if the access can write (it wraps a fork).
    pub fn is_mutable(&self) -> bool {
        matches!(self, Self::Fork(_) | Self::OwnedFork(_))
    }
}

impl<'a> From<&'a dyn Snapshot> for GenericRawAccess<'a> {
    fn from(snapshot: &'a dyn Snapshot) -> Self {
        Self::Snapshot(snapshot)
    }
}

impl From<Box<dyn Snapshot>> for GenericRawAccess<'_> {
    fn from(snapshot: Box<dyn Snapshot>) -> Self {
        Self::OwnedSnapshot(Rc::from(snapshot))
    }
}

impl<'a> From<&'a Fork> for GenericRawAccess<'a> {
    fn from(fork: &'a Fork) -> Self {
        Self::Fork(fork)
    }
}

impl From<Fork> for GenericRawAccess<'_> {
    fn from(fork: Fork) -> Self {
        Self::OwnedFork(Rc::new(fork))
    }
}

impl<'a> From<ReadonlyFork<'a>> for GenericRawAccess<'a> {
    fn from(fork: ReadonlyFork<'a>) -> Self {
        Self::ReadonlyFork(fork)
    }
}

impl From<OwnedReadonlyFork> for GenericRawAccess<'_> {
    fn from(fork: OwnedReadonlyFork) -> Self {
        Self::OwnedReadonlyFork(fork)
    }
}

/// The changes of a [`GenericRawAccess`]: none, shared or exclusive.
#[doc(hidden)]
#[derive(Debug)]
pub enum GenericChanges<'a> {
    /// A snapshot has no changes.
    None,
    /// A read-only fork shares its changes.
    Ref(ChangesRef<'a>),
    /// A fork lends its changes exclusively.
    Mut(ChangesMut<'a>),
}

impl ChangeSet for GenericChanges<'_> {
    fn as_ref(&self) -> Option<&ViewChanges> {
        match self {
            Self::None => None,
            Self::Ref(changes) => changes.as_ref(),
            Self::Mut(changes) => changes.as_ref(),
        }
    }

    fn metadata_record(&mut self, full_name: &[u8]) -> Option<&mut Vec<u8>> {
        match self {
            Self::None | Self::Ref(_) => None,
            Self::Mut(changes) => changes.metadata_record(full_name),
        }
    }

    fn as_mut(&mut self) -> Option<&mut ViewChanges> {
        match self {
            Self::None | Self::Ref(_) => None,
            Self::Mut(changes) => changes.as_mut(),
        }
    }
}

impl<'a> RawAccess for GenericRawAccess<'a> {
    type Changes = GenericChanges<'a>;

    fn snapshot(&self) -> &dyn Snapshot {
        match self {
            Self::Snapshot(snapshot) => *snapshot,
            Self::OwnedSnapshot(snapshot) => snapshot.as_ref(),
            Self::Fork(fork) => fork.snapshot(),
            Self::OwnedFork(fork) => fork.snapshot(),
            Self::ReadonlyFork(fork) => fork.snapshot(),
            Self::OwnedReadonlyFork(fork) => fork.snapshot(),
        }
    }

    fn changes(&self, address: &ResolvedAddress) -> Self::Changes {
        match self {
            Self::Snapshot(_) | Self::OwnedSnapshot(_) => GenericChanges::None,
            Self::Fork(fork) => GenericChanges::Mut(fork.changes(address)),
            Self::OwnedFork(fork) => GenericChanges::Mut(fork.changes(address)),
            Self::ReadonlyFork(fork) => GenericChanges::Ref(fork.changes(address)),
            Self::OwnedReadonlyFork(fork) => GenericChanges::Ref(fork.changes(address)),
        }
    }
}

/// Writes are checked at run time: they panic unless the access wraps a fork.
impl RawAccessMut for GenericRawAccess<'_> {}

impl AsReadonly for GenericRawAccess<'_> {
    type Readonly = Self;

    fn as_readonly(&self) -> Self::Readonly {
        match self {
            Self::Fork(fork) => Self::ReadonlyFork(fork.readonly()),
            Self::OwnedFork(fork) => Self::OwnedReadonlyFork(fork.as_readonly()),
            other => other.clone(),
        }
    }
}

/// An access of any kind: raw, or in a namespace.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum GenericAccess<T> {
    /// A raw access.
    Raw(T),
    /// A prefixed access.
    Prefixed(Prefixed<T>),
    /// A migration.
    Migration(Migration<T>),
    /// A scratchpad.
    Scratchpad(Scratchpad<T>),
}

impl<T: RawAccess> From<T> for GenericAccess<T> {
    fn from(access: T) -> Self {
        Self::Raw(access)
    }
}

impl<T: RawAccess> From<Prefixed<T>> for GenericAccess<T> {
    fn from(access: Prefixed<T>) -> Self {
        Self::Prefixed(access)
    }
}

impl<T: RawAccess> From<Migration<T>> for GenericAccess<T> {
    fn from(access: Migration<T>) -> Self {
        Self::Migration(access)
    }
}

impl<T: RawAccess> From<Scratchpad<T>> for GenericAccess<T> {
    fn from(access: Scratchpad<T>) -> Self {
        Self::Scratchpad(access)
    }
}

impl<T: RawAccess> Access for GenericAccess<T> {
    type Base = T;

    fn get_index_metadata(self, addr: IndexAddress) -> Result<Option<IndexMetadata>, AccessError> {
        match self {
            Self::Raw(access) => access.get_index_metadata(addr),
            Self::Prefixed(access) => access.get_index_metadata(addr),
            Self::Migration(access) => access.get_index_metadata(addr),
            Self::Scratchpad(access) => access.get_index_metadata(addr),
        }
    }

    fn get_or_create_view(
        self,
        addr: IndexAddress,
        index_type: IndexType,
    ) -> Result<ViewWithMetadata<Self::Base>, AccessError> {
        match self {
            Self::Raw(access) => access.get_or_create_view(addr, index_type),
            Self::Prefixed(access) => access.get_or_create_view(addr, index_type),
            Self::Migration(access) => access.get_or_create_view(addr, index_type),
            Self::Scratchpad(access) => access.get_or_create_view(addr, index_type),
        }
    }

    fn group_keys<K>(self, base_addr: IndexAddress) -> GroupKeys<Self::Base, K>
    where
        K: BinaryKey + ?Sized,
        Self::Base: AsReadonly<Readonly = Self::Base>,
    {
        match self {
            Self::Raw(access) => access.group_keys(base_addr),
            Self::Prefixed(access) => access.group_keys(base_addr),
            Self::Migration(access) => access.group_keys(base_addr),
            Self::Scratchpad(access) => access.group_keys(base_addr),
        }
    }
}

impl<T: RawAccess> GenericAccess<T> {
    /// The address that the raw access underneath sees for `addr`, checked as opening an index
    /// there would check it.
    pub(crate) fn resolve(&self, addr: IndexAddress) -> Result<IndexAddress, AccessError> {
        let (checked, resolved) = match self {
            Self::Raw(_) => (addr.clone(), addr),
            Self::Prefixed(access) => {
                let resolved = addr.prepend_name(access.prefix());
                (resolved.clone(), resolved)
            }
            Self::Migration(access) => {
                let resolved = access.migrated_address(addr);
                (resolved.clone(), resolved)
            }
            // A scratchpad checks the name it is given, not its internal address.
            Self::Scratchpad(access) => (addr.clone(), access.scratchpad_address(addr)),
        };
        check_full_name(&checked)?;
        Ok(resolved)
    }
}

/// An access with both its raw kind and its namespace chosen at run time.
pub type ErasedAccess<'a> = GenericAccess<GenericRawAccess<'a>>;

impl ErasedAccess<'_> {
    /// Returns `true` if the access can write.
    pub fn is_mutable(&self) -> bool {
        match self {
            Self::Raw(access) => access.is_mutable(),
            Self::Prefixed(access) => access.access().is_mutable(),
            Self::Migration(access) => access.access().is_mutable(),
            Self::Scratchpad(access) => access.access().is_mutable(),
        }
    }
}

/// Conversion into an [`ErasedAccess`].
pub trait IntoErased<'a> {
    /// Erases the kind of the access.
    fn into_erased(self) -> ErasedAccess<'a>;
}

impl<'a> IntoErased<'a> for &'a dyn Snapshot {
    fn into_erased(self) -> ErasedAccess<'a> {
        GenericAccess::Raw(self.into())
    }
}

impl<'a> IntoErased<'a> for &'a Fork {
    fn into_erased(self) -> ErasedAccess<'a> {
        GenericAccess::Raw(self.into())
    }
}

impl<'a> IntoErased<'a> for ReadonlyFork<'a> {
    fn into_erased(self) -> ErasedAccess<'a> {
        GenericAccess::Raw(self.into())
    }
}

impl<'a, T: Into<GenericRawAccess<'a>>> IntoErased<'a> for Prefixed<T> {
    fn into_erased(self) -> ErasedAccess<'a> {
        let (prefix, access) = self.into_parts();
        GenericAccess::Prefixed(Prefixed::new(prefix, access.into()))
    }
}

impl<'a, T: Into<GenericRawAccess<'a>>> IntoErased<'a> for Migration<T> {
    fn into_erased(self) -> ErasedAccess<'a> {
        let (namespace, access) = self.into_parts();
        GenericAccess::Migration(Migration::new(namespace, access.into()))
    }
}

impl<'a, T: Into<GenericRawAccess<'a>>> IntoErased<'a> for Scratchpad<T> {
    fn into_erased(self) -> ErasedAccess<'a> {
        let (namespace, access) = self.into_parts();
        GenericAccess::Scratchpad(Scratchpad::new(namespace, access.into()))
    }
}
