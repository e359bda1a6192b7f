//! [`Entry`]: an index holding at most one value.

use std::marker::PhantomData;

use crate::{
    access::{Access, AccessError, FromAccess},
    views::{IndexAddress, IndexType, RawAccess, RawAccessMut, View, ViewWithMetadata},
    BinaryValue,
};

/// An index that holds at most one value, like an `Option<V>` stored in the database.
///
/// The value is stored under the empty key of the index. `Entry<_, ()>` is allowed: its
/// [`exists`](Self::exists) tells whether the unit value was set.
///
/// Read methods are available through any access, mutating methods only through a writable
/// one. Obtain an entry with [`get_entry`](crate::access::CopyAccessExt::get_entry) or through
/// [`FromAccess`].
///
/// # Panics
///
/// Reading panics with "Error while deserializing value" if the stored value does not decode
/// as `V`. On a generic access over a read-only base, mutating methods panic with "Attempt to
/// modify a readonly view of the database".
///
/// # Examples
///
/// ```
/// use metaldb::{access::CopyAccessExt, Database, TemporaryDB};
///
/// let db = TemporaryDB::new();
/// let fork = db.fork();
/// let mut entry = fork.get_entry("name");
/// assert_eq!(entry.get(), None);
/// entry.set("Alice".to_owned());
/// assert_eq!(entry.swap("Bob".to_owned()), Some("Alice".to_owned()));
/// assert_eq!(entry.take(), Some("Bob".to_owned()));
/// assert!(!entry.exists());
/// ```
#[derive(Debug)]
pub struct Entry<T: RawAccess, V> {
    base: View<T>,
    _v: PhantomData<V>,
}

impl<T, V> FromAccess<T> for Entry<T::Base, V>
where
    T: Access,
    V: BinaryValue,
{
    fn from_access(access: T, addr: IndexAddress) -> Result<Self, AccessError> {
        let view = access.get_or_create_view(addr, IndexType::Entry)?;
        Ok(Self::new(view))
    }
}

impl<T, V> Entry<T, V>
where
    T: RawAccess,
    V: BinaryValue,
{
    fn new(view: ViewWithMetadata<T>) -> Self {
        Self {
            base: view.into(),
            _v: PhantomData,
        }
    }

    /// Returns the value of the entry, or `None` if it is not set.
    pub fn get(&self) -> Option<V> {
        self.base.get(&())
    }

    /// Returns `true` if the entry holds a value.
    pub fn exists(&self) -> bool {
        self.base.contains(&())
    }
}

impl<T, V> Entry<T, V>
where
    T: RawAccessMut,
    V: BinaryValue,
{
    /// Sets the value of the entry.
    pub fn set(&mut self, value: V) {
        self.base.put(&(), value);
    }

    /// Removes the value of the entry, if any.
    pub fn remove(&mut self) {
        self.base.remove(&());
    }

    /// Removes the value of the entry and returns it.
    pub fn take(&mut self) -> Option<V> {
        let value = self.get();
        // A missing value leaves nothing to delete, so no change is recorded for it.
        if value.is_some() {
            self.remove();
        }
        value
    }

    /// Sets the value of the entry and returns the previous one.
    pub fn swap(&mut self, value: V) -> Option<V> {
        let previous = self.get();
        self.set(value);
        previous
    }
}

#[cfg(test)]
mod tests {
    use crate::{access::CopyAccessExt, Database, TemporaryDB};

    #[test]
    fn entry_holds_at_most_one_value() {
        let db = TemporaryDB::new();
        let fork = db.fork();
        let mut entry = fork.get_entry::<_, u32>("entry");
        assert!(!entry.exists());
        assert_eq!(entry.get(), None);

        entry.set(1);
        entry.set(2);
        assert!(entry.exists());
        assert_eq!(entry.get(), Some(2));

        entry.remove();
        assert!(!entry.exists());
        assert_eq!(entry.get(), None);
    }

    #[test]
    fn take_and_swap_return_the_previous_value() {
        let db = TemporaryDB::new();
        let fork = db.fork();
        let mut entry = fork.get_entry::<_, u32>("entry");
        assert_eq!(entry.take(), None);
        assert_eq!(entry.swap(1), None);
        assert_eq!(entry.swap(2), Some(1));
        assert_eq!(entry.take(), Some(2));
        assert!(!entry.exists());
    }

    #[test]
    fn unit_entry_tells_whether_it_was_set() {
        let db = TemporaryDB::new();
        let fork = db.fork();
        fork.get_entry("flag").set(());
        db.merge(fork.into_patch()).unwrap();

        let snapshot = db.snapshot();
        assert!(snapshot.get_entry::<_, ()>("flag").exists());
        assert_eq!(snapshot.get_entry::<_, ()>("flag").get(), Some(()));
        assert!(!snapshot.get_entry::<_, ()>("other").exists());
    }
}
