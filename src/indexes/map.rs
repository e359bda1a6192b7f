//! [`MapIndex`]: a map from keys to values, like a `BTreeMap<K, V>` stored in the database.

use std::{borrow::Borrow, marker::PhantomData};

use super::iter::{Entries, IndexIterator, Keys, Values};
use crate::{
    access::{Access, AccessError, FromAccess},
    views::{IndexAddress, IndexType, RawAccess, RawAccessMut, View, ViewWithMetadata},
    BinaryKey, BinaryValue,
};

/// A map from keys to values, like a `BTreeMap<K, V>` stored in the database.
///
/// Keys are stored as their [`BinaryKey`] encoding and iterated in the order of these bytes,
/// which for integers is their natural order. Keys may be unsized: `MapIndex<_, str, u64>` takes
/// `put("Alice", 10)`. Only the encodings matter, so a map written with `String` keys can be
/// read with `str` keys, and the index type check does not cover the key or value types.
///
/// Read methods are available through any access, mutating methods only through a writable
/// one. Obtain a map with [`get_map`](crate::access::CopyAccessExt::get_map) or through
/// [`FromAccess`]. `&MapIndex` is an [`IntoIterator`] over `(key, value)` pairs.
///
/// # Panics
///
/// Reading panics if a stored key or value does not decode as `K` or `V`: point reads with
/// "Error while deserializing value", iterators with "Unable to decode value from bytes" (or
/// the key's own panic). On a generic access over a read-only base, mutating methods panic with
/// "Attempt to modify a readonly view of the database".
///
/// # Examples
///
/// ```
/// use metaldb::{access::CopyAccessExt, Database, MapIndex, TemporaryDB};
///
/// let db = TemporaryDB::new();
/// let fork = db.fork();
/// let mut balances: MapIndex<_, str, u64> = fork.get_map("balances");
/// balances.put("Bob", 5);
/// balances.put("Alice", 10);
/// assert_eq!(balances.get("Alice"), Some(10));
/// assert_eq!(balances.keys().collect::<Vec<_>>(), vec!["Alice", "Bob"]);
/// balances.remove("Bob");
/// assert!(!balances.contains("Bob"));
/// ```
#[derive(Debug)]
pub struct MapIndex<T: RawAccess, K: ?Sized, V> {
    base: View<T>,
    _k: PhantomData<K>,
    _v: PhantomData<V>,
}

impl<T, K, V> FromAccess<T> for MapIndex<T::Base, K, V>
where
    T: Access,
    K: BinaryKey + ?Sized,
    V: BinaryValue,
{
    fn from_access(access: T, addr: IndexAddress) -> Result<Self, AccessError> {
        let view = access.get_or_create_view(addr, IndexType::Map)?;
        Ok(Self::new(view))
    }
}

impl<T, K, V> MapIndex<T, K, V>
where
    T: RawAccess,
    K: BinaryKey + ?Sized,
    V: BinaryValue,
{
    fn new(view: ViewWithMetadata<T>) -> Self {
        Self {
            base: view.into(),
            _k: PhantomData,
            _v: PhantomData,
        }
    }

    /// Returns the value under `key`, or `None` if there is none.
    pub fn get(&self, key: &K) -> Option<V> {
        self.base.get(key)
    }

    /// Returns the values under the given keys, in the order of `keys`; missing keys give
    /// `None`. Keys that pending changes do not answer are read from storage in one batch.
    pub fn multi_get<I>(&self, keys: I) -> Vec<Option<V>>
    where
        I: IntoIterator,
        I::Item: Borrow<K>,
    {
        self.base.multi_get::<K, V, I>(keys)
    }

    /// Returns `true` if the map has a value under `key`.
    pub fn contains(&self, key: &K) -> bool {
        self.base.contains(key)
    }

    /// Iterates over the `(key, value)` pairs in the order of the encoded keys.
    pub fn iter(&self) -> Entries<'_, K, V> {
        self.index_iter(None)
    }

    /// Iterates over the keys in the order of their encodings.
    pub fn keys(&self) -> Keys<'_, K> {
        self.iter().skip_values()
    }

    /// Iterates over the values in the order of the encoded keys.
    pub fn values(&self) -> Values<'_, V> {
        self.iter().skip_keys()
    }

    /// Iterates over the `(key, value)` pairs from the first key whose encoding is
    /// `>= from` on.
    pub fn iter_from(&self, from: &K) -> Entries<'_, K, V> {
        self.index_iter(Some(from))
    }

    /// Iterates over the keys from the first one whose encoding is `>= from` on.
    pub fn keys_from(&self, from: &K) -> Keys<'_, K> {
        self.iter_from(from).skip_values()
    }

    /// Iterates over the values from the first key whose encoding is `>= from` on.
    pub fn values_from(&self, from: &K) -> Values<'_, V> {
        self.iter_from(from).skip_keys()
    }
}

impl<T, K, V> MapIndex<T, K, V>
where
    T: RawAccessMut,
    K: BinaryKey + ?Sized,
    V: BinaryValue,
{
    /// Stores `value` under `key`, replacing any previous value.
    pub fn put(&mut self, key: &K, value: V) {
        self.base.put(key, value);
    }

    /// Removes the value under `key`, if any.
    pub fn remove<Q>(&mut self, key: &Q)
    where
        K: Borrow<Q>,
        Q: BinaryKey + ?Sized,
    {
        self.base.remove(key);
    }

    /// Removes every key and value. The index itself (its type and identifier) stays.
    pub fn clear(&mut self) {
        self.base.clear();
    }
}

impl<'a, T, K, V> IntoIterator for &'a MapIndex<T, K, V>
where
    T: RawAccess,
    K: BinaryKey + ?Sized,
    V: BinaryValue,
{
    type Item = (K::Owned, V);
    type IntoIter = Entries<'a, K, V>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<T, K, V> IndexIterator for MapIndex<T, K, V>
where
    T: RawAccess,
    K: BinaryKey + ?Sized,
    V: BinaryValue,
{
    type Key = K;
    type Value = V;

    fn index_iter(&self, from: Option<&K>) -> Entries<'_, K, V> {
        Entries::from_view(&self.base, from)
    }
}

#[cfg(test)]
mod tests {
    use std::fmt::Debug;

    use super::MapIndex;
    use crate::{
        access::CopyAccessExt, indexes::test_fixtures::map_with, BinaryKey, Database, TemporaryDB,
    };

    const IDX_NAME: &str = "idx_name";

    /// Puts, reads, lists and removes an unsized `key` by reference.
    fn check_unsized_key<K>(key: &K)
    where
        K: BinaryKey + ?Sized,
        K::Owned: Debug + PartialEq,
    {
        let db = TemporaryDB::new();
        let fork = db.fork();
        let mut index: MapIndex<_, K, u8> = fork.get_map(IDX_NAME);
        assert!(!index.contains(key));
        index.put(key, 0);
        assert!(index.contains(key));
        assert_eq!(index.get(key), Some(0));
        assert_eq!(index.keys().collect::<Vec<_>>(), vec![key.to_owned()]);
        index.remove(key);
        assert!(!index.contains(key));
    }

    /// Upstream `test_str_key`.
    #[test]
    fn map_accepts_str_keys() {
        check_unsized_key("key_1");
    }

    /// Upstream `test_u8_slice_key`.
    #[test]
    fn map_accepts_byte_slice_keys() {
        check_unsized_key::<[u8]>(&[1, 2, 3]);
    }

    /// Upstream `test_methods`.
    #[test]
    fn map_methods_behave_like_a_btree_map() {
        let db = TemporaryDB::new();
        let fork = db.fork();
        let mut map = fork.get_map(IDX_NAME);

        assert_eq!(map.get(&1_u8), None);
        assert!(!map.contains(&1_u8));

        map.put(&1_u8, 1_u8);
        assert_eq!(map.get(&1_u8), Some(1_u8));
        assert!(map.contains(&1_u8));

        // Removing a missing key is a no-op.
        map.remove(&100_u8);
        map.remove(&1_u8);
        assert!(!map.contains(&1_u8));
        assert_eq!(map.get(&1_u8), None);

        map.put(&2_u8, 2_u8);
        map.put(&3_u8, 3_u8);
        map.put(&4_u8, 4_u8);
        map.put(&4_u8, 5_u8);
        assert_eq!(map.get(&4_u8), Some(5));

        map.clear();
        assert!(!map.contains(&2_u8));
        assert!(!map.contains(&3_u8));
        assert!(!map.contains(&4_u8));
        assert_eq!(map.iter().count(), 0);

        map.put(&5_u8, 5_u8);
        assert_eq!(map.iter().collect::<Vec<_>>(), vec![(5, 5)]);
    }

    /// Upstream `test_iter`.
    #[test]
    fn map_iterates_from_any_key() {
        let db = TemporaryDB::new();
        let fork = db.fork();
        let map = map_with(&fork, &[(1, 1), (2, 2), (3, 3)]);

        assert_eq!(
            map.iter().collect::<Vec<(u8, u8)>>(),
            vec![(1, 1), (2, 2), (3, 3)]
        );
        assert_eq!(
            map.iter_from(&0).collect::<Vec<(u8, u8)>>(),
            vec![(1, 1), (2, 2), (3, 3)]
        );
        assert_eq!(
            map.iter_from(&1).collect::<Vec<(u8, u8)>>(),
            vec![(1, 1), (2, 2), (3, 3)]
        );
        assert_eq!(
            map.iter_from(&2).collect::<Vec<(u8, u8)>>(),
            vec![(2, 2), (3, 3)]
        );
        assert_eq!(
            map.iter_from(&4).collect::<Vec<(u8, u8)>>(),
            Vec::<(u8, u8)>::new()
        );

        assert_eq!(map.keys().collect::<Vec<u8>>(), vec![1, 2, 3]);
        assert_eq!(map.keys_from(&0).collect::<Vec<u8>>(), vec![1, 2, 3]);
        assert_eq!(map.keys_from(&1).collect::<Vec<u8>>(), vec![1, 2, 3]);
        assert_eq!(map.keys_from(&2).collect::<Vec<u8>>(), vec![2, 3]);
        assert_eq!(map.keys_from(&4).collect::<Vec<u8>>(), Vec::<u8>::new());

        assert_eq!(map.values().collect::<Vec<u8>>(), vec![1, 2, 3]);
        assert_eq!(map.values_from(&0).collect::<Vec<u8>>(), vec![1, 2, 3]);
        assert_eq!(map.values_from(&1).collect::<Vec<u8>>(), vec![1, 2, 3]);
        assert_eq!(map.values_from(&2).collect::<Vec<u8>>(), vec![2, 3]);
        assert_eq!(map.values_from(&4).collect::<Vec<u8>>(), Vec::<u8>::new());

        assert_eq!(map.multi_get(0..4), vec![None, Some(1), Some(2), Some(3)]);
        assert_eq!(map.multi_get([3, 1].iter()), vec![Some(3), Some(1)]);
    }

    /// Upstream `index_as_iterator`.
    #[test]
    fn map_reference_is_an_iterator_over_entries() {
        let db = TemporaryDB::new();
        let fork = db.fork();
        let map = map_with(&fork, &[(1, 1), (2, 2), (3, 3)]);
        let mut count = 0;
        for (key, value) in &map {
            assert_eq!(key, value);
            count += 1;
        }
        assert_eq!(count, 3);

        let mut map: MapIndex<_, str, u8> = fork.get_map(("group", &1_u32));
        map.put("a", 1);
        map.put("bb", 2);
        map.put("ccc", 3);
        let mut count = 0;
        for (key, value) in &map {
            assert_eq!(key.len(), usize::from(value));
            count += 1;
        }
        assert_eq!(count, 3);
    }

    #[test]
    fn map_written_with_string_keys_reads_with_str_keys() {
        let db = TemporaryDB::new();
        let fork = db.fork();
        fork.get_map::<_, String, u64>("map")
            .put(&"!".to_owned(), 1);
        assert_eq!(fork.get_map::<_, str, u64>("map").get("!"), Some(1));
        let mut map = fork.get_map::<_, String, u64>("map");
        map.remove("!");
        assert!(!map.contains(&"!".to_owned()));
    }

    #[test]
    fn map_over_a_snapshot_sees_merged_data_only() {
        let db = TemporaryDB::new();
        let fork = db.fork();
        fork.get_map(IDX_NAME).put(&1_u8, 10_u32);
        db.merge(fork.into_patch()).unwrap();

        let fork = db.fork();
        fork.get_map(IDX_NAME).put(&2_u8, 20_u32);
        let snapshot = db.snapshot();
        let map = snapshot.get_map::<_, u8, u32>(IDX_NAME);
        assert_eq!(map.iter().collect::<Vec<_>>(), vec![(1, 10)]);
        let readonly = fork.readonly().get_map::<_, u8, u32>(IDX_NAME);
        assert_eq!(readonly.iter().collect::<Vec<_>>(), vec![(1, 10), (2, 20)]);
    }
}
