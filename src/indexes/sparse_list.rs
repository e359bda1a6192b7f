//! [`SparseListIndex`]: a list whose elements can be removed from any position, leaving gaps.

use std::{borrow::Borrow, marker::PhantomData};

use super::iter::{Entries, IndexIterator, Keys, Values};
use crate::{
    access::{Access, AccessError, FromAccess},
    views::{IndexAddress, IndexState, IndexType, RawAccess, RawAccessMut, View, ViewWithMetadata},
    BinaryValue,
};

/// A list whose elements can be removed from any position, leaving gaps; like a
/// `Vec<Option<V>>` stored in the database.
///
/// The element at position `i` is stored under the big-endian `u64` key `i`. The index keeps
/// two numbers in its metadata:
///
/// * the *capacity*, one past the highest position ever used, which is where
///   [`push`](Self::push) stores the next element. It never shrinks, except through
///   [`clear`](Self::clear);
/// * the *length*, the number of elements present.
///
/// Both are cached in the index object, written back to the metadata when the list is dropped
/// and read afresh each time the list is opened.
///
/// Read methods are available through any access, mutating methods only through a writable
/// one. Obtain a sparse list with
/// [`get_sparse_list`](crate::access::CopyAccessExt::get_sparse_list) or through
/// [`FromAccess`].
///
/// # Panics
///
/// Reading panics if a stored value does not decode as `V`: point reads with "Error while
/// deserializing value", iterators with "Unable to decode value from bytes". On a generic
/// access over a read-only base, mutating methods panic with "Attempt to modify a readonly
/// view of the database".
///
/// # Examples
///
/// ```
/// use metaldb::{access::CopyAccessExt, Database, TemporaryDB};
///
/// let db = TemporaryDB::new();
/// let fork = db.fork();
/// let mut list = fork.get_sparse_list("list");
/// list.extend(vec![1_u32, 2, 3]);
/// assert_eq!(list.remove(1), Some(2));
/// assert_eq!((list.capacity(), list.len()), (3, 2));
/// assert_eq!(list.iter().collect::<Vec<_>>(), vec![(0, 1), (2, 3)]);
/// // `pop` takes the *first* element.
/// assert_eq!(list.pop(), Some(1));
/// ```
#[derive(Debug)]
pub struct SparseListIndex<T: RawAccess, V> {
    base: View<T>,
    /// `(capacity, length)`, in this order, as stored in the metadata.
    state: IndexState<T, (u64, u64)>,
    _v: PhantomData<V>,
}

impl<T, V> FromAccess<T> for SparseListIndex<T::Base, V>
where
    T: Access,
    V: BinaryValue,
{
    fn from_access(access: T, addr: IndexAddress) -> Result<Self, AccessError> {
        let view = access.get_or_create_view(addr, IndexType::SparseList)?;
        Ok(Self::new(view))
    }
}

impl<T, V> SparseListIndex<T, V>
where
    T: RawAccess,
    V: BinaryValue,
{
    fn new(view: ViewWithMetadata<T>) -> Self {
        let (base, state) = view.into_parts();
        Self {
            base,
            state,
            _v: PhantomData,
        }
    }

    /// `(capacity, length)`; an index without state has neither.
    fn size(&self) -> (u64, u64) {
        self.state.get().unwrap_or_default()
    }

    /// Returns the element at position `index`, or `None` if there is none.
    pub fn get(&self, index: u64) -> Option<V> {
        self.base.get(&index)
    }

    /// Returns the elements at the given positions, in the order of `indexes`; missing
    /// positions give `None`.
    pub fn multi_get<I>(&self, indexes: I) -> Vec<Option<V>>
    where
        I: IntoIterator,
        I::Item: Borrow<u64>,
    {
        self.base.multi_get::<u64, V, I>(indexes)
    }

    /// Returns `true` if the list has no elements (its capacity may still be non-zero).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Returns the capacity: one past the highest position ever used.
    pub fn capacity(&self) -> u64 {
        self.size().0
    }

    /// Returns the number of elements present.
    pub fn len(&self) -> u64 {
        self.size().1
    }

    /// Iterates over the elements as `(position, value)` pairs, in order of position.
    pub fn iter(&self) -> Entries<'_, u64, V> {
        self.index_iter(None)
    }

    /// Iterates over the positions that hold an element, in ascending order.
    pub fn indexes(&self) -> Keys<'_, u64> {
        self.iter().skip_values()
    }

    /// Iterates over the elements in order of position.
    pub fn values(&self) -> Values<'_, V> {
        self.iter().skip_keys()
    }

    /// Iterates over the elements as `(position, value)` pairs, from position `from` on.
    pub fn iter_from(&self, from: u64) -> Entries<'_, u64, V> {
        self.index_iter(Some(&from))
    }
}

impl<T, V> SparseListIndex<T, V>
where
    T: RawAccessMut,
    V: BinaryValue,
{
    fn set_size(&mut self, capacity: u64, length: u64) {
        self.state.set(&mut self.base, (capacity, length));
    }

    /// Stores an element at position [`capacity`](Self::capacity), growing the capacity and
    /// the length by one.
    pub fn push(&mut self, value: V) {
        let (capacity, length) = self.size();
        self.base.put(&capacity, value);
        self.set_size(capacity + 1, length + 1);
    }

    /// Removes the element at position `index` and returns it, or returns `None` if there is
    /// none. The capacity is unchanged.
    pub fn remove(&mut self, index: u64) -> Option<V> {
        let (capacity, length) = self.size();
        // No position at or past the capacity was ever used, so there is nothing to read.
        if index >= capacity {
            return None;
        }
        let value = self.get(index)?;
        self.base.remove(&index);
        self.set_size(capacity, length - 1);
        Some(value)
    }

    /// Appends the elements of `iter` as [`push`](Self::push) would, writing the capacity and
    /// length once, at the end. They are written even if `iter` is empty.
    pub fn extend<I>(&mut self, iter: I)
    where
        I: IntoIterator<Item = V>,
    {
        let (mut capacity, mut length) = self.size();
        for value in iter {
            self.base.put(&capacity, value);
            capacity += 1;
            length += 1;
        }
        self.set_size(capacity, length);
    }

    /// Stores `value` at position `index` and returns the element it replaces, if any.
    ///
    /// If the position was empty, the length grows by one and the capacity grows to
    /// `index + 1` if it was smaller. If it held an element, the metadata is left as it is.
    ///
    /// # Panics
    ///
    /// Panics on arithmetic overflow if `index` is `u64::MAX` and the position was empty
    /// (with overflow checks enabled).
    pub fn set(&mut self, index: u64, value: V) -> Option<V> {
        let old_value = self.get(index);
        // The value is stored first, so that a read-only view rejects the write before the
        // metadata is touched.
        self.base.put(&index, value);
        if old_value.is_none() {
            let (capacity, length) = self.size();
            let capacity = if index >= capacity {
                index + 1
            } else {
                capacity
            };
            self.set_size(capacity, length + 1);
        }
        old_value
    }

    /// Removes every element and resets the capacity and length to zero. The index itself (its
    /// type and identifier) stays.
    pub fn clear(&mut self) {
        self.base.clear();
        self.state.unset(&mut self.base);
    }

    /// Removes the **first** element (the one at the lowest position) and returns it, or
    /// returns `None` if the list is empty. The capacity is unchanged.
    ///
    /// Unlike `Vec::pop`, this does not take the last element; that is the behaviour of
    /// metaldb 1.0.0, kept for compatibility.
    pub fn pop(&mut self) -> Option<V> {
        let (index, value) = self.iter().next()?;
        self.base.remove(&index);
        let (capacity, length) = self.size();
        self.set_size(capacity, length - 1);
        Some(value)
    }
}

impl<'a, T, V> IntoIterator for &'a SparseListIndex<T, V>
where
    T: RawAccess,
    V: BinaryValue,
{
    type Item = (u64, V);
    type IntoIter = Entries<'a, u64, V>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<T, V> IndexIterator for SparseListIndex<T, V>
where
    T: RawAccess,
    V: BinaryValue,
{
    type Key = u64;
    type Value = V;

    fn index_iter(&self, from: Option<&u64>) -> Entries<'_, u64, V> {
        Entries::from_view(&self.base, from)
    }
}

#[cfg(test)]
mod tests {
    use super::SparseListIndex;
    use crate::{access::CopyAccessExt, Database, Fork, TemporaryDB};

    const IDX_NAME: &str = "idx_name";

    fn check_every_method(list: &mut SparseListIndex<&Fork, i32>) {
        assert!(list.is_empty());
        assert_eq!(list.capacity(), 0);
        assert_eq!(list.len(), 0);
        assert_eq!(list.get(0), None);
        assert_eq!(list.pop(), None);

        list.extend(vec![45, 3422, 234]);
        assert!(!list.is_empty());
        assert_eq!(list.get(0), Some(45));
        assert_eq!(list.get(1), Some(3422));
        assert_eq!(list.get(2), Some(234));
        assert_eq!(list.capacity(), 3);
        assert_eq!(list.len(), 3);

        // Replacing an element leaves the bookkeeping alone.
        assert_eq!(list.set(2, 777), Some(234));
        assert_eq!(list.get(2), Some(777));
        assert_eq!(list.capacity(), 3);
        assert_eq!(list.len(), 3);

        let mut more = vec![666, 999];
        for value in &more {
            list.push(*value);
        }
        assert_eq!(list.get(3), Some(666));
        assert_eq!(list.get(4), Some(999));
        assert_eq!(list.capacity(), 5);
        assert_eq!(list.len(), 5);

        more[1] = 1001;
        list.extend(more);
        assert_eq!(list.capacity(), 7);
        assert_eq!(list.len(), 7);
        assert_eq!(list.get(6), Some(1001));

        assert_eq!(list.remove(7), None);
        assert_eq!(list.remove(u64::MAX), None);
        assert_eq!(list.remove(0), Some(45));
        assert_eq!(list.remove(0), None);
        assert_eq!(list.capacity(), 7);
        assert_eq!(list.len(), 6);

        // `pop` takes the first present element: position 0 is gone, so position 1.
        assert_eq!(list.pop(), Some(3422));
        assert_eq!(list.capacity(), 7);
        assert_eq!(list.len(), 5);

        assert_eq!(list.set(42, 1), None);
        assert_eq!(list.capacity(), 43);
        assert_eq!(list.len(), 6);
        assert_eq!(list.get(42), Some(1));

        // Filling a gap below the capacity grows the length only.
        assert_eq!(list.set(0, 2), None);
        assert_eq!(list.capacity(), 43);
        assert_eq!(list.len(), 7);
        assert_eq!(list.multi_get(vec![0, 1, 42]), vec![Some(2), None, Some(1)]);

        list.clear();
        assert!(list.is_empty());
        assert_eq!(list.capacity(), 0);
        assert_eq!(list.len(), 0);
        assert_eq!(list.get(42), None);

        list.push(5);
        assert_eq!(list.get(0), Some(5));
        assert_eq!((list.capacity(), list.len()), (1, 1));
    }

    /// Upstream `test_list_index_methods`.
    #[test]
    fn sparse_list_keeps_capacity_and_length_apart() {
        let db = TemporaryDB::new();
        let fork = db.fork();
        let mut list = fork.get_sparse_list(IDX_NAME);
        check_every_method(&mut list);
    }

    #[test]
    fn sparse_list_in_a_group_keeps_capacity_and_length_apart() {
        let db = TemporaryDB::new();
        let fork = db.fork();
        let mut list = fork.get_sparse_list((IDX_NAME, &vec![1]));
        check_every_method(&mut list);
    }

    /// Upstream `test_list_index_iter`.
    #[test]
    fn sparse_list_iterates_over_present_elements_only() {
        let db = TemporaryDB::new();
        let fork = db.fork();
        let mut list = fork.get_sparse_list(IDX_NAME);
        list.extend(vec![1_u8, 15, 25, 2, 3]);
        assert_eq!(list.indexes().collect::<Vec<u64>>(), vec![0, 1, 2, 3, 4]);
        assert_eq!(list.values().collect::<Vec<u8>>(), vec![1, 15, 25, 2, 3]);

        assert_eq!(list.remove(1), Some(15));
        assert_eq!(list.remove(3), Some(2));
        assert_eq!(list.indexes().collect::<Vec<u64>>(), vec![0, 2, 4]);
        assert_eq!(list.values().collect::<Vec<u8>>(), vec![1, 25, 3]);
        assert_eq!(
            list.iter().collect::<Vec<_>>(),
            vec![(0, 1), (2, 25), (4, 3)]
        );
        assert_eq!(
            list.iter_from(0).collect::<Vec<_>>(),
            vec![(0, 1), (2, 25), (4, 3)]
        );
        assert_eq!(list.iter_from(1).collect::<Vec<_>>(), vec![(2, 25), (4, 3)]);
        assert_eq!(
            list.iter_from(5).collect::<Vec<_>>(),
            Vec::<(u64, u8)>::new()
        );
        assert_eq!(
            (&list).into_iter().collect::<Vec<_>>(),
            vec![(0, 1), (2, 25), (4, 3)]
        );
    }

    /// Upstream `restore_after_no_op_initialization`.
    #[test]
    fn sparse_list_created_but_never_written_reads_as_empty() {
        let db = TemporaryDB::new();
        let fork = db.fork();
        fork.get_sparse_list::<_, u32>(IDX_NAME);
        let list = fork.readonly().get_sparse_list::<_, u32>(IDX_NAME);
        assert!(list.is_empty());
        assert_eq!(list.capacity(), 0);
        assert_eq!(list.iter().count(), 0);
    }

    #[test]
    fn sparse_list_bookkeeping_survives_a_merge() {
        let db = TemporaryDB::new();
        let fork = db.fork();
        {
            let mut list = fork.get_sparse_list(IDX_NAME);
            list.extend(vec![1_u32, 2, 3]);
            list.remove(1);
            list.set(9, 10);
        }
        db.merge(fork.into_patch()).unwrap();

        let snapshot = db.snapshot();
        let list = snapshot.get_sparse_list::<_, u32>(IDX_NAME);
        assert_eq!((list.capacity(), list.len()), (10, 3));
        assert_eq!(list.indexes().collect::<Vec<_>>(), vec![0, 2, 9]);
    }
}
