//! [`KeySetIndex`]: a set of keys, like a `BTreeSet<K>` stored in the database.

use std::marker::PhantomData;

use super::iter::{Entries, IndexIterator, Keys};
use crate::{
    access::{Access, AccessError, FromAccess},
    views::{IndexAddress, IndexType, RawAccess, RawAccessMut, View, ViewWithMetadata},
    BinaryKey,
};

/// A set of keys, like a `BTreeSet<K>` stored in the database.
///
/// Each item is stored as its [`BinaryKey`] encoding with an empty value, and items are
/// iterated in the order of these bytes. Items may be unsized (`KeySetIndex<_, str>`).
/// Through [`IndexIterator`] the set yields `(item, ())` pairs.
///
/// Read methods are available through any access, mutating methods only through a writable
/// one. Obtain a set with [`get_key_set`](crate::access::CopyAccessExt::get_key_set) or through
/// [`FromAccess`]. `&KeySetIndex` is an [`IntoIterator`] over the items.
///
/// # Panics
///
/// Iteration panics if a stored key does not decode as `K`. On a generic access over a
/// read-only base, mutating methods panic with "Attempt to modify a readonly view of the
/// database".
///
/// # Examples
///
/// ```
/// use metaldb::{access::CopyAccessExt, Database, TemporaryDB};
///
/// let db = TemporaryDB::new();
/// let fork = db.fork();
/// let mut set = fork.get_key_set("set");
/// set.insert(&3_u16);
/// set.insert(&1);
/// set.insert(&3);
/// assert!(set.contains(&1));
/// assert_eq!(set.iter().collect::<Vec<_>>(), vec![1, 3]);
/// set.remove(&1);
/// assert_eq!(set.iter_from(&2).collect::<Vec<_>>(), vec![3]);
/// ```
#[derive(Debug)]
pub struct KeySetIndex<T: RawAccess, K: ?Sized> {
    base: View<T>,
    _k: PhantomData<K>,
}

impl<T, K> FromAccess<T> for KeySetIndex<T::Base, K>
where
    T: Access,
    K: BinaryKey + ?Sized,
{
    fn from_access(access: T, addr: IndexAddress) -> Result<Self, AccessError> {
        let view = access.get_or_create_view(addr, IndexType::KeySet)?;
        Ok(Self::new(view))
    }
}

impl<T, K> KeySetIndex<T, K>
where
    T: RawAccess,
    K: BinaryKey + ?Sized,
{
    fn new(view: ViewWithMetadata<T>) -> Self {
        Self {
            base: view.into(),
            _k: PhantomData,
        }
    }

    /// Returns `true` if the set holds `item`.
    pub fn contains(&self, item: &K) -> bool {
        self.base.contains(item)
    }

    /// Iterates over the items in the order of their encodings.
    pub fn iter(&self) -> Keys<'_, K> {
        self.index_iter(None).skip_values()
    }

    /// Iterates over the items from the first one whose encoding is `>= from` on.
    pub fn iter_from(&self, from: &K) -> Keys<'_, K> {
        self.index_iter(Some(from)).skip_values()
    }
}

impl<T, K> KeySetIndex<T, K>
where
    T: RawAccessMut,
    K: BinaryKey + ?Sized,
{
    /// Adds `item` to the set. Adding an item that is already there changes nothing.
    pub fn insert(&mut self, item: &K) {
        self.base.put(item, ());
    }

    /// Removes `item` from the set, if it is there.
    pub fn remove(&mut self, item: &K) {
        self.base.remove(item);
    }

    /// Removes every item. The index itself (its type and identifier) stays.
    pub fn clear(&mut self) {
        self.base.clear();
    }
}

impl<'a, T, K> IntoIterator for &'a KeySetIndex<T, K>
where
    T: RawAccess,
    K: BinaryKey + ?Sized,
{
    type Item = K::Owned;
    type IntoIter = Keys<'a, K>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<T, K> IndexIterator for KeySetIndex<T, K>
where
    T: RawAccess,
    K: BinaryKey + ?Sized,
{
    type Key = K;
    type Value = ();

    fn index_iter(&self, from: Option<&K>) -> Entries<'_, K, ()> {
        Entries::from_view(&self.base, from)
    }
}

#[cfg(test)]
mod tests {
    use std::fmt::Debug;

    use super::KeySetIndex;
    use crate::{access::CopyAccessExt, indexes::IndexIterator, BinaryKey, Database, TemporaryDB};

    const INDEX_NAME: &str = "test_index_name";

    /// Inserts, lists and removes an unsized `item` by reference.
    fn check_unsized_item<K>(item: &K)
    where
        K: BinaryKey + ?Sized,
        K::Owned: Debug + PartialEq,
    {
        let db = TemporaryDB::new();
        let fork = db.fork();
        let mut index: KeySetIndex<_, K> = fork.get_key_set(INDEX_NAME);
        assert!(!index.contains(item));
        index.insert(item);
        assert!(index.contains(item));
        assert_eq!(index.iter().collect::<Vec<_>>(), vec![item.to_owned()]);
        index.remove(item);
        assert!(!index.contains(item));
    }

    /// Upstream `str_key`.
    #[test]
    fn key_set_accepts_str_items() {
        check_unsized_item("key_1");
    }

    /// Upstream `u8_slice_key`.
    #[test]
    fn key_set_accepts_byte_slice_items() {
        check_unsized_item::<[u8]>(&[1, 2, 3]);
    }

    /// Upstream `key_set_methods`.
    #[test]
    fn key_set_methods_behave_like_a_btree_set() {
        let db = TemporaryDB::new();
        let fork = db.fork();
        let mut index = fork.get_key_set(INDEX_NAME);

        assert!(!index.contains(&1_u8));
        index.insert(&9_u8);
        index.insert(&1_u8);
        index.insert(&5_u8);
        index.insert(&5_u8);
        assert!(index.contains(&1_u8));
        assert!(index.contains(&5_u8));
        assert_eq!(index.iter().collect::<Vec<u8>>(), vec![1, 5, 9]);
        assert_eq!(index.iter_from(&2).collect::<Vec<u8>>(), vec![5, 9]);
        assert_eq!((&index).into_iter().collect::<Vec<u8>>(), vec![1, 5, 9]);

        index.remove(&1_u8);
        index.remove(&100_u8);
        assert!(!index.contains(&1_u8));
        assert_eq!(index.iter().collect::<Vec<u8>>(), vec![5, 9]);

        index.clear();
        assert!(!index.contains(&5_u8));
        assert!(!index.contains(&9_u8));
        assert_eq!(index.iter().count(), 0);
    }

    /// Upstream `no_infinite_iteration_in_flushed_fork`: iterating over a cleared set with a
    /// flushed delete of a missing key once looped forever in merkledb.
    #[test]
    fn cleared_set_with_flushed_deletes_iterates_over_nothing() {
        let db = TemporaryDB::new();
        let fork = db.fork();
        fork.get_key_set(INDEX_NAME).insert(&1_u8);
        db.merge(fork.into_patch()).unwrap();

        let mut fork = db.fork();
        fork.get_key_set::<_, u8>(INDEX_NAME).clear();
        fork.flush();
        fork.get_key_set(INDEX_NAME).remove(&8_u8);
        fork.flush();

        let set = fork.get_key_set::<_, u8>(INDEX_NAME);
        assert_eq!(set.iter().collect::<Vec<_>>(), Vec::<u8>::new());
    }

    #[test]
    fn key_set_index_iterator_yields_unit_values() {
        let db = TemporaryDB::new();
        let fork = db.fork();
        let mut set = fork.get_key_set(INDEX_NAME);
        set.insert(&1_u32);
        set.insert(&2_u32);
        let keys: Vec<u32> = set.index_iter(None).map(|(key, ())| key).collect();
        assert_eq!(keys, vec![1, 2]);
        let keys: Vec<u32> = set.index_iter(Some(&2)).map(|(key, ())| key).collect();
        assert_eq!(keys, vec![2]);
    }
}
