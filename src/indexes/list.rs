//! [`ListIndex`]: a list of values, like a `Vec<V>` stored in the database.

use std::{borrow::Borrow, marker::PhantomData};

use super::iter::{Entries, IndexIterator, Values};
use crate::{
    access::{Access, AccessError, FromAccess},
    views::{IndexAddress, IndexState, IndexType, RawAccess, RawAccessMut, View, ViewWithMetadata},
    BinaryValue,
};

/// A list of values, like a `Vec<V>` stored in the database.
///
/// The element at position `i` is stored under the big-endian `u64` key `i`. The length lives
/// in the index metadata, cached in the index object and written back to the metadata when the
/// list is dropped (the fork keeps it meanwhile with the list's changes); it is read afresh
/// each time the list is opened.
///
/// Read methods are available through any access, mutating methods only through a writable
/// one. Obtain a list with [`get_list`](crate::access::CopyAccessExt::get_list) or through
/// [`FromAccess`]. `&ListIndex` is an [`IntoIterator`] over the values, so a list can extend
/// another one or be compared with an iterator.
///
/// # Consistency
///
/// [`get`](Self::get), [`multi_get`](Self::multi_get) and [`iter`](Self::iter) read the stored
/// positions and ignore the length. The two agree unless patches built from the same state
/// were merged one after the other: each patch writes its own length, and the last one wins.
///
/// ```
/// use metaldb::{access::CopyAccessExt, Database, TemporaryDB};
///
/// let db = TemporaryDB::new();
/// let first = db.fork();
/// first.get_list("list").extend(vec![1, 2, 3]);
/// let second = db.fork();
/// second.get_list("list").push(4);
/// db.merge(first.into_patch()).unwrap();
/// db.merge(second.into_patch()).unwrap();
///
/// let snapshot = db.snapshot();
/// let list = snapshot.get_list::<_, i32>("list");
/// assert_eq!(list.len(), 1);
/// assert_eq!(list.iter().collect::<Vec<_>>(), vec![4, 2, 3]);
/// ```
///
/// # Panics
///
/// Reading panics if a stored value does not decode as `V`: point reads with "Error while
/// deserializing value", iterators with "Unable to decode value from bytes". On a generic
/// access over a read-only base, mutating methods panic with "Attempt to modify a readonly
/// view of the database". [`set`](Self::set) panics on a position out of bounds.
///
/// # Examples
///
/// ```
/// use metaldb::{access::CopyAccessExt, Database, TemporaryDB};
///
/// let db = TemporaryDB::new();
/// let fork = db.fork();
/// let mut list = fork.get_list("list");
/// list.extend(vec![1_u32, 2, 3]);
/// list.push(4);
/// assert_eq!(list.len(), 4);
/// assert_eq!(list.pop(), Some(4));
/// list.set(0, 10);
/// assert_eq!(list.iter().collect::<Vec<_>>(), vec![10, 2, 3]);
/// ```
#[derive(Debug)]
pub struct ListIndex<T: RawAccess, V> {
    base: View<T>,
    state: IndexState<T, u64>,
    _v: PhantomData<V>,
}

impl<T, V> FromAccess<T> for ListIndex<T::Base, V>
where
    T: Access,
    V: BinaryValue,
{
    fn from_access(access: T, addr: IndexAddress) -> Result<Self, AccessError> {
        let view = access.get_or_create_view(addr, IndexType::List)?;
        Ok(Self::new(view))
    }
}

impl<T, V> ListIndex<T, V>
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

    /// Returns the element at position `index`, or `None` if there is none. The length is not
    /// consulted (see the type's "Consistency" section).
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

    /// Returns the last element (the one at `len() - 1`), or `None` if the list is empty.
    pub fn last(&self) -> Option<V> {
        match self.len() {
            0 => None,
            len => self.get(len - 1),
        }
    }

    /// Returns `true` if the list has no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Returns the number of elements in the list.
    pub fn len(&self) -> u64 {
        self.state.get().unwrap_or_default()
    }

    /// Iterates over the elements in order of position. The iteration covers every stored
    /// position, whatever the length says (see the type's "Consistency" section).
    pub fn iter(&self) -> Values<'_, V> {
        self.index_iter(None).skip_keys()
    }

    /// Iterates over the elements from position `from` on.
    pub fn iter_from(&self, from: u64) -> Values<'_, V> {
        self.index_iter(Some(&from)).skip_keys()
    }
}

impl<T, V> ListIndex<T, V>
where
    T: RawAccessMut,
    V: BinaryValue,
{
    fn set_len(&mut self, len: u64) {
        self.state.set(&mut self.base, len);
    }

    /// Appends an element to the end of the list.
    pub fn push(&mut self, value: V) {
        let len = self.len();
        self.base.put(&len, value);
        self.set_len(len + 1);
    }

    /// Removes the last element and returns it, or returns `None` if the list is empty.
    pub fn pop(&mut self) -> Option<V> {
        match self.len() {
            0 => None,
            len => {
                let last = len - 1;
                let value = self.get(last);
                self.base.remove(&last);
                self.set_len(last);
                value
            }
        }
    }

    /// Appends the elements of `iter` to the end of the list.
    ///
    /// The length is written once, at the end. It is written even if `iter` is empty, so the
    /// list's metadata then records a length where it may have had none.
    pub fn extend<I>(&mut self, iter: I)
    where
        I: IntoIterator<Item = V>,
    {
        let mut len = self.len();
        for value in iter {
            self.base.put(&len, value);
            len += 1;
        }
        self.set_len(len);
    }

    /// Shortens the list to `len` elements, dropping the rest. Does nothing if the list is not
    /// longer than `len`.
    pub fn truncate(&mut self, len: u64) {
        // One pop per element, as in metaldb 1.0.0; the final state is that of a bulk removal.
        while self.len() > len {
            self.pop();
        }
    }

    /// Replaces the element at position `index`.
    ///
    /// # Panics
    ///
    /// Panics with "index out of bounds: the len is {len} but the index is {index}" if
    /// `index >= len()`.
    pub fn set(&mut self, index: u64, value: V) {
        let len = self.len();
        assert!(
            index < len,
            "index out of bounds: the len is {len} but the index is {index}"
        );
        self.base.put(&index, value);
    }

    /// Removes every element and resets the length. The index itself (its type and
    /// identifier) stays.
    pub fn clear(&mut self) {
        self.base.clear();
        self.state.unset(&mut self.base);
    }
}

impl<'a, T, V> IntoIterator for &'a ListIndex<T, V>
where
    T: RawAccess,
    V: BinaryValue,
{
    type Item = V;
    type IntoIter = Values<'a, V>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<T, V> IndexIterator for ListIndex<T, V>
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
    use super::ListIndex;
    use crate::{
        access::{Access, AccessExt, CopyAccessExt},
        views::IndexAddress,
        BinaryValue, Database, Fork, TemporaryDB,
    };

    const IDX_NAME: &str = "idx_name";

    /// Through a fork, the length waits in the list's changes until the list is dropped; it
    /// must then reach the index pool, where the next list opened and the merge read it.
    #[test]
    fn length_reaches_the_index_pool_when_the_list_is_dropped() {
        use crate::views::get_metadata_unchecked;

        let db = TemporaryDB::new();
        let fork = db.fork();
        let mut list = fork.get_list::<_, u32>(IDX_NAME);
        list.extend(vec![1, 2]);
        list.push(3);
        drop(list);
        let metadata = get_metadata_unchecked(&fork, &IndexAddress::from_root(IDX_NAME))
            .expect("the list exists");
        assert_eq!(metadata.state_bytes(), Some(&3_u64.to_le_bytes()[..]));

        let mut list = fork.get_list::<_, u32>(IDX_NAME);
        assert_eq!(list.len(), 3);
        list.pop();
        drop(list);
        db.merge(fork.into_patch()).unwrap();
        let snapshot = db.snapshot();
        assert_eq!(snapshot.get_list::<_, u32>(IDX_NAME).len(), 2);

        let fork = db.fork();
        fork.get_list::<_, u32>(IDX_NAME).clear();
        let metadata = get_metadata_unchecked(&fork, &IndexAddress::from_root(IDX_NAME))
            .expect("the list exists");
        assert_eq!(metadata.state_bytes(), None, "a cleared list has no length");
    }

    fn check_every_method(list: &mut ListIndex<&Fork, i32>) {
        assert!(list.is_empty());
        assert_eq!(list.len(), 0);
        assert_eq!(list.last(), None);
        assert_eq!(list.pop(), None);

        list.extend(vec![45, 3422, 234]);
        assert!(!list.is_empty());
        assert_eq!(list.get(0), Some(45));
        assert_eq!(list.get(1), Some(3422));
        assert_eq!(list.get(2), Some(234));
        assert_eq!(list.get(3), None);
        assert_eq!(list.len(), 3);
        assert_eq!(
            list.multi_get(0..4),
            vec![Some(45), Some(3422), Some(234), None]
        );
        assert_eq!(list.multi_get([2, 0].iter()), vec![Some(234), Some(45)]);

        list.set(2, 777);
        assert_eq!(list.get(2), Some(777));
        assert_eq!(list.last(), Some(777));
        assert_eq!(list.len(), 3);

        let mut more = vec![666, 999];
        for value in &more {
            list.push(*value);
        }
        assert_eq!(list.get(3), Some(666));
        assert_eq!(list.get(4), Some(999));
        assert_eq!(list.len(), 5);

        more[1] = 1001;
        list.extend(more);
        assert_eq!(list.len(), 7);
        assert_eq!(list.last(), Some(1001));

        assert_eq!(list.pop(), Some(1001));
        assert_eq!(list.len(), 6);

        list.truncate(3);
        assert_eq!(list.len(), 3);
        assert_eq!(list.last(), Some(777));
        assert_eq!(list.get(3), None);

        list.truncate(10);
        assert_eq!(list.len(), 3);

        list.clear();
        assert_eq!(list.len(), 0);
        assert!(list.is_empty());
        assert_eq!(list.get(0), None);
        assert_eq!(list.iter().count(), 0);
    }

    fn check_iteration(list: &mut ListIndex<&Fork, u8>) {
        list.extend(vec![1_u8, 2, 3]);

        assert_eq!(list.iter().collect::<Vec<u8>>(), vec![1, 2, 3]);
        assert_eq!(list.iter_from(0).collect::<Vec<u8>>(), vec![1, 2, 3]);
        assert_eq!(list.iter_from(1).collect::<Vec<u8>>(), vec![2, 3]);
        assert_eq!(list.iter_from(3).collect::<Vec<u8>>(), Vec::<u8>::new());
        assert_eq!((&*list).into_iter().collect::<Vec<u8>>(), vec![1, 2, 3]);
    }

    /// Runs `check` on a new list at `addr` in a fresh database: the checks above hold alike
    /// for a list at the root and for one in a group.
    fn check_new_list<V: BinaryValue>(
        addr: impl Into<IndexAddress>,
        check: fn(&mut ListIndex<&Fork, V>),
    ) {
        let db = TemporaryDB::new();
        let fork = db.fork();
        check(&mut fork.get_list(addr));
    }

    /// Upstream `test_list_index_methods`.
    #[test]
    fn list_methods_behave_like_a_vec() {
        check_new_list(IDX_NAME, check_every_method);
    }

    /// Upstream `test_list_index_in_family_methods`.
    #[test]
    fn list_in_a_group_behaves_like_a_vec() {
        check_new_list((IDX_NAME, &vec![1]), check_every_method);
    }

    /// Upstream `test_list_index_iter`.
    #[test]
    fn list_iterates_from_any_position() {
        check_new_list(IDX_NAME, check_iteration);
    }

    /// Upstream `test_list_index_in_family_iter`.
    #[test]
    fn list_in_a_group_iterates_from_any_position() {
        check_new_list((IDX_NAME, &vec![1]), check_iteration);
    }

    /// Upstream `test_list_index_clear_in_family`.
    #[test]
    fn clearing_a_group_member_leaves_its_sibling_alone() {
        fn fill(db: &TemporaryDB, merge_before_clear: bool) {
            let mut fork = db.fork();
            {
                let mut first = fork.get_list((IDX_NAME, &vec![1]));
                first.extend(vec![1, 2, 3]);
                let mut second = fork.get_list((IDX_NAME, &vec![2]));
                second.extend(vec![4, 5]);
            }
            if merge_before_clear {
                db.merge(fork.into_patch()).unwrap();
                fork = db.fork();
            } else {
                fork.flush();
            }

            fork.get_list::<_, i32>((IDX_NAME, &vec![1])).clear();
            check_only_first_cleared(&fork);
            db.merge(fork.into_patch()).unwrap();
            check_only_first_cleared(&db.snapshot());
        }

        /// Checks that only the first list reads as cleared: on the fork that cleared it, and
        /// again on the database after the merge.
        fn check_only_first_cleared(access: impl Access) {
            let first = access.get_list::<_, i32>((IDX_NAME, &vec![1]));
            assert!(first.is_empty());
            assert_eq!(first.iter().count(), 0);
            let second = access.get_list::<_, i32>((IDX_NAME, &vec![2]));
            assert_eq!(second.len(), 2);
            assert_eq!(second.iter().collect::<Vec<_>>(), vec![4, 5]);
        }

        fill(&TemporaryDB::new(), false);
        fill(&TemporaryDB::new(), true);
    }

    /// Upstream `restore_after_no_op_initialization`.
    #[test]
    fn list_created_but_never_written_reads_as_empty() {
        let db = TemporaryDB::new();
        let fork = db.fork();
        fork.get_list::<_, u32>(IDX_NAME);
        let list = fork.readonly().get_list::<_, u32>(IDX_NAME);
        assert!(list.is_empty());
        assert_eq!(list.len(), 0);
        assert_eq!(list.iter().count(), 0);
    }

    /// Upstream `after_clearing_and_flushing`.
    #[test]
    fn list_pushed_after_clearing_survives_a_flush() {
        let db = TemporaryDB::new();
        let mut fork = db.fork();
        fork.get_list(IDX_NAME).extend(vec![1_u32, 2, 3]);
        db.merge(fork.into_patch()).unwrap();

        fork = db.fork();
        {
            let mut list = fork.get_list::<_, u32>(IDX_NAME);
            list.clear();
            list.push(5);
        }
        fork.flush();
        let list = fork.get_list::<_, u32>(IDX_NAME);
        assert_eq!(list.len(), 1);
        assert_eq!(list.get(0), Some(5));
        assert_eq!(list.iter().collect::<Vec<_>>(), vec![5]);
    }

    #[test]
    #[should_panic(expected = "index out of bounds: the len is 2 but the index is 2")]
    fn setting_past_the_end_panics() {
        let db = TemporaryDB::new();
        let fork = db.fork();
        let mut list = fork.get_list(IDX_NAME);
        list.extend(vec![1_u32, 2]);
        list.set(2, 3);
    }

    #[test]
    fn extending_with_nothing_still_records_the_length() {
        let db = TemporaryDB::new();
        let fork = db.fork();
        fork.get_list::<_, u32>("untouched");
        fork.get_list::<_, u32>("extended").extend(vec![]);
        let patch = fork.into_patch();

        // The state TLV is absent until the first length write, and present afterwards.
        let untouched = (&patch).get_index_metadata("untouched".into()).unwrap();
        let extended = (&patch).get_index_metadata("extended".into()).unwrap();
        assert_eq!(untouched.unwrap().to_bytes().len(), 12);
        assert_eq!(
            extended.unwrap().to_bytes()[12..],
            [0, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
        );
    }

    #[test]
    fn list_length_is_read_afresh_on_each_opening() {
        let db = TemporaryDB::new();
        let fork = db.fork();
        fork.get_list(IDX_NAME).extend(vec![1_u32, 2]);
        fork.get_list(IDX_NAME).push(3_u32);
        assert_eq!(fork.get_list::<_, u32>(IDX_NAME).len(), 3);
        assert_eq!(fork.get_list::<_, u32>(IDX_NAME).pop(), Some(3));
        assert_eq!(fork.readonly().get_list::<_, u32>(IDX_NAME).len(), 2);
    }

    #[test]
    fn list_over_an_rc_fork_is_an_access_ext_list() {
        use std::rc::Rc;

        let db = TemporaryDB::new();
        let fork = Rc::new(db.fork());
        {
            let mut list: ListIndex<Rc<crate::Fork>, u32> = fork.get_list(IDX_NAME);
            list.push(1);
        }
        let fork = Rc::try_unwrap(fork).expect("lists release the fork when dropped");
        db.merge(fork.into_patch()).unwrap();
        assert_eq!(db.snapshot().get_list::<_, u32>(IDX_NAME).len(), 1);
    }
}
