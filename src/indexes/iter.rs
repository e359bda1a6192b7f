//! Typed iterators over indexes: [`Entries`], [`Keys`], [`Values`] and the [`IndexIterator`]
//! trait.
//!
//! Each iterator wraps the byte-level [`Iter`] of one view and decodes what it yields: keys with
//! [`BinaryKey::read`], values with [`BinaryValue::from_bytes`]. The byte iterator already stops
//! at the end of the index's key space, so the typed iterators never see foreign keys.

use std::{borrow::Cow, fmt, iter::FusedIterator, marker::PhantomData};

use crate::{
    views::{key_bytes, RawAccess, View},
    BinaryKey, BinaryValue, Iter,
};

/// Panic text of a value that does not decode during iteration (spec §20.1). Point reads
/// (`get`) use a different text, "Error while deserializing value".
const DECODE_VALUE_PANIC: &str = "Unable to decode value from bytes";

fn decode_value<V: BinaryValue>(bytes: &[u8]) -> V {
    V::from_bytes(Cow::Borrowed(bytes)).expect(DECODE_VALUE_PANIC)
}

/// An iterator over the entries of an index, as `(key, value)` pairs in the order of the
/// encoded keys.
///
/// Returned by the `iter` and `iter_from` methods of [`MapIndex`](crate::MapIndex) and
/// [`SparseListIndex`](crate::SparseListIndex), and by [`IndexIterator::index_iter`]. It
/// borrows the index, so the index cannot be changed while the iterator lives. Once it has
/// returned `None` it keeps returning `None`.
///
/// # Panics
///
/// Iteration panics if a key does not decode as `K` (see [`BinaryKey::read`]), or with
/// "Unable to decode value from bytes" if a value does not decode as `V`. Both mean the index
/// is read with other types than it was written with.
pub struct Entries<'a, K: ?Sized, V> {
    base_iter: Iter<'a>,
    _k: PhantomData<K>,
    _v: PhantomData<V>,
}

impl<K: ?Sized, V> fmt::Debug for Entries<'_, K, V> {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("Entries")
            .field("base_iter", &self.base_iter)
            .finish()
    }
}

impl<'a, K, V> Entries<'a, K, V>
where
    K: BinaryKey + ?Sized,
    V: BinaryValue,
{
    /// Wraps a byte-level iterator over one index.
    pub(crate) fn new(base: Iter<'a>) -> Self {
        Self {
            base_iter: base,
            _k: PhantomData,
            _v: PhantomData,
        }
    }

    /// Iterates over `view`, starting at the first key whose encoding is `>= from`, or at the
    /// start of the view if `from` is `None`.
    pub(crate) fn from_view<T: RawAccess>(view: &'a View<T>, from: Option<&K>) -> Self {
        let from = from.map_or_else(Vec::new, key_bytes);
        Self::new(view.iter_bytes(&from))
    }

    /// The next entry's key and value as the index stores them, not decoded: for callers that
    /// pass the bytes on (the C ABI's iterators), which then pay no allocation per entry.
    pub(crate) fn next_bytes(&mut self) -> Option<(&[u8], &[u8])> {
        self.base_iter.next()
    }

    /// Turns this iterator into one over the keys only; values are not decoded.
    #[must_use]
    pub fn skip_values(self) -> Keys<'a, K> {
        Keys {
            base_iter: self.base_iter,
            _k: PhantomData,
        }
    }

    /// Turns this iterator into one over the values only; keys are not decoded.
    #[must_use]
    pub fn skip_keys(self) -> Values<'a, V> {
        Values {
            base_iter: self.base_iter,
            _v: PhantomData,
        }
    }
}

impl<K, V> Iterator for Entries<'_, K, V>
where
    K: BinaryKey + ?Sized,
    V: BinaryValue,
{
    type Item = (K::Owned, V);

    fn next(&mut self) -> Option<Self::Item> {
        self.base_iter
            .next()
            .map(|(key, value)| (K::read(key), decode_value(value)))
    }
}

impl<K, V> FusedIterator for Entries<'_, K, V>
where
    K: BinaryKey + ?Sized,
    V: BinaryValue,
{
}

/// An iterator over the keys of an index, in the order of their encodings. Values are not
/// decoded.
///
/// Returned by [`MapIndex::keys`](crate::MapIndex::keys), [`KeySetIndex::iter`](crate::KeySetIndex::iter),
/// [`SparseListIndex::indexes`](crate::SparseListIndex::indexes) and
/// [`Entries::skip_values`]. Once it has returned `None` it keeps returning `None`.
///
/// # Panics
///
/// Iteration panics if a key does not decode as `K` (see [`BinaryKey::read`]).
pub struct Keys<'a, K: ?Sized> {
    base_iter: Iter<'a>,
    _k: PhantomData<K>,
}

impl<K: ?Sized> fmt::Debug for Keys<'_, K> {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("Keys")
            .field("base_iter", &self.base_iter)
            .finish()
    }
}

impl<K> Iterator for Keys<'_, K>
where
    K: BinaryKey + ?Sized,
{
    type Item = K::Owned;

    fn next(&mut self) -> Option<Self::Item> {
        self.base_iter.next().map(|(key, _)| K::read(key))
    }
}

impl<K> FusedIterator for Keys<'_, K> where K: BinaryKey + ?Sized {}

/// An iterator over the values of an index, in the order of their keys. Keys are not decoded.
///
/// Returned by [`ListIndex::iter`](crate::ListIndex::iter),
/// [`MapIndex::values`](crate::MapIndex::values),
/// [`SparseListIndex::values`](crate::SparseListIndex::values) and [`Entries::skip_keys`].
/// Once it has returned `None` it keeps returning `None`.
///
/// # Panics
///
/// Iteration panics with "Unable to decode value from bytes" if a value does not decode as `V`.
pub struct Values<'a, V> {
    base_iter: Iter<'a>,
    _v: PhantomData<V>,
}

impl<V> fmt::Debug for Values<'_, V> {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("Values")
            .field("base_iter", &self.base_iter)
            .finish()
    }
}

impl<V> Iterator for Values<'_, V>
where
    V: BinaryValue,
{
    type Item = V;

    fn next(&mut self) -> Option<Self::Item> {
        self.base_iter.next().map(|(_, value)| decode_value(value))
    }
}

impl<V> FusedIterator for Values<'_, V> where V: BinaryValue {}

/// Iteration over an index as `(key, value)` pairs, from a given key on.
///
/// Implemented by [`ListIndex`](crate::ListIndex) and
/// [`SparseListIndex`](crate::SparseListIndex) (keys are the `u64` positions),
/// [`MapIndex`](crate::MapIndex), and [`KeySetIndex`](crate::KeySetIndex) (values are `()`).
/// It is not implemented by [`Entry`](crate::Entry). Generic code, such as the persistent
/// iterators of migrations, uses it to resume an iteration at a saved key.
///
/// # Examples
///
/// ```
/// use metaldb::{access::CopyAccessExt, indexes::IndexIterator, Database, TemporaryDB};
///
/// let db = TemporaryDB::new();
/// let fork = db.fork();
/// let mut set = fork.get_key_set::<_, u32>("set");
/// set.insert(&1);
/// set.insert(&5);
/// set.insert(&9);
/// let keys: Vec<u32> = set.index_iter(Some(&2)).map(|(key, ())| key).collect();
/// assert_eq!(keys, vec![5, 9]);
/// ```
pub trait IndexIterator {
    /// Type of the keys of the index.
    type Key: BinaryKey + ?Sized;
    /// Type of the values of the index.
    type Value: BinaryValue;

    /// Iterates over the index, starting at the first key whose encoding is `>= from`, or at
    /// the start of the index if `from` is `None`.
    fn index_iter(&self, from: Option<&Self::Key>) -> Entries<'_, Self::Key, Self::Value>;
}

#[cfg(test)]
mod tests {
    use crate::{
        access::CopyAccessExt,
        indexes::{test_fixtures::map_with, IndexIterator},
        Database, MapIndex, TemporaryDB,
    };

    #[test]
    fn iterators_keep_returning_none_after_the_end() {
        let db = TemporaryDB::new();
        let fork = db.fork();
        let map = map_with(&fork, &[(1, 10)]);

        let mut entries = map.iter();
        assert_eq!(entries.next(), Some((1, 10)));
        assert_eq!(entries.next(), None);
        assert_eq!(entries.next(), None);

        let mut keys = map.keys();
        assert_eq!(keys.next(), Some(1));
        assert_eq!(keys.next(), None);
        assert_eq!(keys.next(), None);

        let mut values = map.values();
        assert_eq!(values.next(), Some(10));
        assert_eq!(values.next(), None);
        assert_eq!(values.next(), None);
    }

    #[test]
    fn skipping_keys_or_values_continues_where_entries_stopped() {
        let db = TemporaryDB::new();
        let fork = db.fork();
        let map = map_with(&fork, &[(1, 10), (2, 20), (3, 30)]);

        let mut entries = map.iter();
        entries.next();
        assert_eq!(entries.skip_values().collect::<Vec<_>>(), vec![2, 3]);
        let mut entries = map.index_iter(Some(&2));
        entries.next();
        assert_eq!(entries.skip_keys().collect::<Vec<_>>(), vec![30]);
    }

    #[test]
    fn debug_output_hides_the_byte_iterator() {
        let db = TemporaryDB::new();
        let fork = db.fork();
        let map: MapIndex<_, u8, u8> = fork.get_map("map");
        assert_eq!(
            format!("{:?}", map.iter()),
            "Entries { base_iter: Iterator }"
        );
        assert_eq!(format!("{:?}", map.keys()), "Keys { base_iter: Iterator }");
        assert_eq!(
            format!("{:?}", map.values()),
            "Values { base_iter: Iterator }"
        );
    }

    #[test]
    #[should_panic(expected = "Unable to decode value from bytes")]
    fn iterating_over_undecodable_values_panics() {
        let db = TemporaryDB::new();
        let fork = db.fork();
        fork.get_map::<_, u8, u8>("map").put(&1, 1);
        // A `u64` value needs 8 bytes, and only one is stored.
        let map: MapIndex<_, u8, u64> = fork.get_map("map");
        map.values().for_each(drop);
    }
}
