//! Extension traits that open indexes by address and panic on access errors.
//!
//! Both traits have the same methods. [`CopyAccessExt`] takes `self` and applies to `Copy`
//! accesses (`&Fork`, `ReadonlyFork`, snapshot and patch references); [`AccessExt`] takes
//! `&self` and applies to every access. With both in scope, method resolution picks the one
//! that matches the receiver, as in metaldb 1.0.0; the receivers are therefore part of the API.

use super::{Access, FromAccess};
use crate::{
    indexes::{Entry, Group, KeySetIndex, ListIndex, MapIndex, SparseListIndex},
    BinaryKey, BinaryValue, IndexAddress, IndexType,
};

fn build<T: Access, I: FromAccess<T>>(access: T, addr: IndexAddress) -> I {
    I::from_access(access, addr).unwrap_or_else(|e| panic!("MerkleDB error: {}", e))
}

fn index_type<T: Access>(access: T, addr: IndexAddress) -> Option<IndexType> {
    access
        .get_index_metadata(addr)
        .unwrap_or_else(|e| panic!("MerkleDB error: {}", e))
        .map(|metadata| metadata.index_type())
}

/// Opens indexes through a `Copy` access, taking it by value.
///
/// # Panics
///
/// Every getter panics with `"MerkleDB error: ..."` if the name is invalid or an index of
/// another type exists at the address.
pub trait CopyAccessExt: Access + Copy {
    /// Returns a group of indexes of type `I`, keyed by `K`. Members are created on first use.
    fn get_group<K, I>(self, name: impl Into<String>) -> Group<Self, K, I>
    where
        K: BinaryKey + ?Sized,
        I: FromAccess<Self>,
    {
        build(self, IndexAddress::from_root(name))
    }

    /// Returns the entry at `addr`.
    fn get_entry<I, V>(self, addr: I) -> Entry<Self::Base, V>
    where
        I: Into<IndexAddress>,
        V: BinaryValue,
    {
        build(self, addr.into())
    }

    /// Returns the list at `addr`.
    fn get_list<I, V>(self, addr: I) -> ListIndex<Self::Base, V>
    where
        I: Into<IndexAddress>,
        V: BinaryValue,
    {
        build(self, addr.into())
    }

    /// Returns the map at `addr`.
    fn get_map<I, K, V>(self, addr: I) -> MapIndex<Self::Base, K, V>
    where
        I: Into<IndexAddress>,
        K: BinaryKey + ?Sized,
        V: BinaryValue,
    {
        build(self, addr.into())
    }

    /// Returns the sparse list at `addr`.
    fn get_sparse_list<I, V>(self, addr: I) -> SparseListIndex<Self::Base, V>
    where
        I: Into<IndexAddress>,
        V: BinaryValue,
    {
        build(self, addr.into())
    }

    /// Returns the key set at `addr`.
    fn get_key_set<I, K>(self, addr: I) -> KeySetIndex<Self::Base, K>
    where
        I: Into<IndexAddress>,
        K: BinaryKey + ?Sized,
    {
        build(self, addr.into())
    }

    /// Returns the type of the index at `addr`, or `None` if there is none. Never creates an
    /// index.
    ///
    /// # Panics
    ///
    /// Panics if the name is invalid.
    fn index_type<I>(self, addr: I) -> Option<IndexType>
    where
        I: Into<IndexAddress>,
    {
        index_type(self, addr.into())
    }
}

impl<T: Access + Copy> CopyAccessExt for T {}

/// Opens indexes through any access, taking it by reference and cloning it.
///
/// # Panics
///
/// Every getter panics with `"MerkleDB error: ..."` if the name is invalid or an index of
/// another type exists at the address.
pub trait AccessExt: Access {
    /// Returns a group of indexes of type `I`, keyed by `K`. Members are created on first use.
    fn get_group<K, I>(&self, name: impl Into<String>) -> Group<Self, K, I>
    where
        K: BinaryKey + ?Sized,
        I: FromAccess<Self>,
    {
        build(self.clone(), IndexAddress::from_root(name))
    }

    /// Returns the entry at `addr`.
    fn get_entry<I, V>(&self, addr: I) -> Entry<Self::Base, V>
    where
        I: Into<IndexAddress>,
        V: BinaryValue,
    {
        build(self.clone(), addr.into())
    }

    /// Returns the list at `addr`.
    fn get_list<I, V>(&self, addr: I) -> ListIndex<Self::Base, V>
    where
        I: Into<IndexAddress>,
        V: BinaryValue,
    {
        build(self.clone(), addr.into())
    }

    /// Returns the map at `addr`.
    fn get_map<I, K, V>(&self, addr: I) -> MapIndex<Self::Base, K, V>
    where
        I: Into<IndexAddress>,
        K: BinaryKey + ?Sized,
        V: BinaryValue,
    {
        build(self.clone(), addr.into())
    }

    /// Returns the sparse list at `addr`.
    fn get_sparse_list<I, V>(&self, addr: I) -> SparseListIndex<Self::Base, V>
    where
        I: Into<IndexAddress>,
        V: BinaryValue,
    {
        build(self.clone(), addr.into())
    }

    /// Returns the key set at `addr`.
    fn get_key_set<I, K>(&self, addr: I) -> KeySetIndex<Self::Base, K>
    where
        I: Into<IndexAddress>,
        K: BinaryKey + ?Sized,
    {
        build(self.clone(), addr.into())
    }

    /// Returns the type of the index at `addr`, or `None` if there is none. Never creates an
    /// index.
    ///
    /// # Panics
    ///
    /// Panics if the name is invalid.
    fn index_type<I>(&self, addr: I) -> Option<IndexType>
    where
        I: Into<IndexAddress>,
    {
        index_type(self.clone(), addr.into())
    }
}

impl<T: Access> AccessExt for T {}
