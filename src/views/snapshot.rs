//! What views read: a snapshot of the database, served by the backends (and by a patch over
//! its base, `db::Patch`), and the byte iterator its iterations return. Below every other layer
//! of the engine, it names nothing but addresses.

use std::fmt;

use super::address::ResolvedAddress;

/// A low-level, byte-oriented streaming iterator over one address of a snapshot. The slices it
/// returns borrow from the iterator and are valid until its next call.
///
/// Implementations are fused: once `next` has returned `None`, `next` and `peek` keep
/// returning `None`. The typed iterators of `indexes` promise that to their callers
/// (`FusedIterator`) and rely on it, at no cost per step.
pub trait Iterator {
    /// Advances the iterator and returns the next key and value.
    fn next(&mut self) -> Option<(&[u8], &[u8])>;
    /// Returns the next key and value without advancing.
    fn peek(&mut self) -> Option<(&[u8], &[u8])>;
}

impl fmt::Debug for dyn Iterator + '_ {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("Iterator")
    }
}

/// A boxed [`Iterator`].
pub type Iter<'a> = Box<dyn Iterator + 'a>;

/// An immutable, isolated view of a database at one moment.
///
/// Keys passed to and returned by these methods are relative to the address's key space
/// (without the identifier prefix). An address that was never stored reads as empty.
pub trait Snapshot: Send + Sync + 'static {
    /// Returns the value stored under `key`, if any.
    fn get(&self, name: &ResolvedAddress, key: &[u8]) -> Option<Vec<u8>>;

    /// Returns the values of several keys, in the order of `keys`.
    fn multi_get<'a>(
        &self,
        name: &ResolvedAddress,
        keys: &'a mut dyn std::iter::Iterator<Item = &'a [u8]>,
    ) -> Vec<Option<Vec<u8>>>;

    /// Returns `true` if a value is stored under `key`.
    fn contains(&self, name: &ResolvedAddress, key: &[u8]) -> bool {
        self.get(name, key).is_some()
    }

    /// Iterates over the entries of `name` in ascending key order, starting at the first key
    /// `>= from`.
    fn iter(&self, name: &ResolvedAddress, from: &[u8]) -> Iter<'_>;
}

impl fmt::Debug for dyn Snapshot {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("Snapshot")
    }
}

impl AsRef<dyn Snapshot> for dyn Snapshot {
    fn as_ref(&self) -> &dyn Snapshot {
        self
    }
}

impl Snapshot for Box<dyn Snapshot> {
    fn get(&self, name: &ResolvedAddress, key: &[u8]) -> Option<Vec<u8>> {
        self.as_ref().get(name, key)
    }

    fn multi_get<'a>(
        &self,
        name: &ResolvedAddress,
        keys: &'a mut dyn std::iter::Iterator<Item = &'a [u8]>,
    ) -> Vec<Option<Vec<u8>>> {
        self.as_ref().multi_get(name, keys)
    }

    fn contains(&self, name: &ResolvedAddress, key: &[u8]) -> bool {
        self.as_ref().contains(name, key)
    }

    fn iter(&self, name: &ResolvedAddress, from: &[u8]) -> Iter<'_> {
        self.as_ref().iter(name, from)
    }
}
