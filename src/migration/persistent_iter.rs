//! Persistent iterators: iterators that save their position in the database as they go, so
//! that a migration resumes where it stopped after a restart.

use std::{borrow::Cow, collections::HashSet, fmt, iter::Peekable};

use anyhow::bail;

use crate::{
    access::{Access, AccessExt, RawAccessMut},
    indexes::{Entries, IndexIterator},
    views::RawAccess,
    BinaryKey, BinaryValue, Entry,
};

/// Where a persistent iterator stands, stored in an [`Entry`]:
/// `[0] ++ key` to resume at `key`, or `[1]` once it has ended.
pub(crate) enum IteratorPosition<K: BinaryKey + ?Sized> {
    /// The key of the next item to yield.
    NextKey(K::Owned),
    /// The iterator has yielded everything.
    Ended,
}

const NEXT_KEY_TAG: u8 = 0;
const ENDED_TAG: u8 = 1;

impl<K: BinaryKey + ?Sized> fmt::Debug for IteratorPosition<K>
where
    K::Owned: fmt::Debug,
{
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NextKey(key) => formatter.debug_tuple("NextKey").field(key).finish(),
            Self::Ended => formatter.write_str("Ended"),
        }
    }
}

impl<K: BinaryKey + ?Sized> BinaryValue for IteratorPosition<K> {
    fn to_bytes(&self) -> Vec<u8> {
        match self {
            Self::NextKey(key) => {
                let key: &K = std::borrow::Borrow::borrow(key);
                let mut bytes = vec![0; 1 + key.size()];
                bytes[0] = NEXT_KEY_TAG;
                key.write(&mut bytes[1..]);
                bytes
            }
            Self::Ended => vec![ENDED_TAG],
        }
    }

    fn from_bytes(bytes: Cow<'_, [u8]>) -> anyhow::Result<Self> {
        match bytes.first() {
            None => bail!("`IteratorPosition` serialization cannot be empty"),
            Some(&NEXT_KEY_TAG) => Ok(Self::NextKey(K::read(&bytes[1..]))),
            Some(&ENDED_TAG) => Ok(Self::Ended),
            Some(_) => bail!("Invalid `IteratorPosition` discriminant"),
        }
    }
}

type PositionEntry<T, I> = Entry<T, IteratorPosition<<I as IndexIterator>::Key>>;

/// An iterator over an index that saves its position in an [`Entry`] of an access (normally
/// the migration's [`Scratchpad`](super::Scratchpad)) after every item, so that an iterator
/// created later under the same name resumes after the last item this one yielded.
///
/// The saved position is the key of the *next* item, so adapters that pull items without
/// returning them (`filter`, `skip`, `take_while`, `nth`) move the position past those items
/// too. Put `take` first to bound the progress of a step. Once ended, an iterator stays ended,
/// even if items are added to the index later.
pub struct PersistentIter<'a, T: RawAccess, I: IndexIterator> {
    inner: Inner<'a, T, I>,
}

enum Inner<'a, T: RawAccess, I: IndexIterator> {
    Active {
        iter: Peekable<Entries<'a, I::Key, I::Value>>,
        position: PositionEntry<T, I>,
    },
    /// Ended iterators hold no borrow of the position entry.
    Ended,
}

impl<T, I> fmt::Debug for PersistentIter<'_, T, I>
where
    T: RawAccess,
    I: IndexIterator,
    <I::Key as ToOwned>::Owned: fmt::Debug,
{
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Active<K: BinaryKey + ?Sized>(Option<IteratorPosition<K>>);

        impl<K: BinaryKey + ?Sized> fmt::Debug for Active<K>
        where
            K::Owned: fmt::Debug,
        {
            fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
                formatter
                    .debug_struct("Active")
                    .field("position", &self.0)
                    .finish()
            }
        }

        let mut debug = formatter.debug_struct("PersistentIter");
        match &self.inner {
            Inner::Active { position, .. } => {
                debug.field("inner", &Active::<I::Key>(position.get()))
            }
            Inner::Ended => debug.field("inner", &format_args!("Ended")),
        };
        debug.finish()
    }
}

impl<'a, T, I> PersistentIter<'a, T, I>
where
    T: RawAccessMut,
    I: IndexIterator,
{
    /// Creates an iterator over `index` whose position is saved under `name` in `access`,
    /// resuming from the saved position if there is one.
    ///
    /// # Panics
    ///
    /// Panics with `"MerkleDB error: ..."` if `name` is not a valid index name or an index of
    /// another type exists under it, and (on a fork) if the position entry is borrowed, for
    /// example by another active iterator with the same name.
    pub fn new<A: Access<Base = T>>(access: &A, name: &str, index: &'a I) -> Self {
        let position: PositionEntry<T, I> = access.get_entry(name);
        let iter = match position.get() {
            None => index.index_iter(None),
            Some(IteratorPosition::NextKey(key)) => {
                index.index_iter(Some(std::borrow::Borrow::<I::Key>::borrow(&key)))
            }
            Some(IteratorPosition::Ended) => {
                return Self {
                    inner: Inner::Ended,
                }
            }
        };
        Self {
            inner: Inner::Active {
                iter: iter.peekable(),
                position,
            },
        }
    }

    /// Turns this into an iterator over keys only.
    pub fn skip_values(self) -> PersistentKeys<'a, T, I> {
        PersistentKeys { base: self }
    }
}

impl<T, I> Iterator for PersistentIter<'_, T, I>
where
    T: RawAccessMut,
    I: IndexIterator,
{
    type Item = (<I::Key as ToOwned>::Owned, I::Value);

    fn next(&mut self) -> Option<Self::Item> {
        let Inner::Active { iter, position } = &mut self.inner else {
            return None;
        };
        let item = iter.next();
        let next_key = match (&item, iter.peek()) {
            (Some(_), Some((key, _))) => {
                let key: &I::Key = std::borrow::Borrow::borrow(key);
                Some(key.to_owned())
            }
            _ => None,
        };
        match next_key {
            Some(key) => position.set(IteratorPosition::NextKey(key)),
            None => {
                position.set(IteratorPosition::Ended);
                self.inner = Inner::Ended;
            }
        }
        item
    }
}

/// A [`PersistentIter`] over keys only.
pub struct PersistentKeys<'a, T: RawAccess, I: IndexIterator> {
    base: PersistentIter<'a, T, I>,
}

impl<T, I> fmt::Debug for PersistentKeys<'_, T, I>
where
    T: RawAccess,
    I: IndexIterator,
    <I::Key as ToOwned>::Owned: fmt::Debug,
{
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.base, formatter)
    }
}

impl<'a, T, I> PersistentKeys<'a, T, I>
where
    T: RawAccessMut,
    I: IndexIterator,
{
    /// Creates an iterator over the keys of `index`, saving its position under `name`.
    ///
    /// # Panics
    ///
    /// As [`PersistentIter::new`].
    pub fn new<A: Access<Base = T>>(access: &A, name: &str, index: &'a I) -> Self {
        PersistentIter::new(access, name, index).skip_values()
    }
}

impl<T, I> Iterator for PersistentKeys<'_, T, I>
where
    T: RawAccessMut,
    I: IndexIterator,
{
    type Item = <I::Key as ToOwned>::Owned;

    fn next(&mut self) -> Option<Self::Item> {
        self.base.next().map(|(key, _)| key)
    }
}

/// A factory of persistent iterators that remembers their names, so that
/// [`MigrationHelper::iter_loop`](super::MigrationHelper::iter_loop) can tell when all of them
/// have ended.
#[derive(Debug)]
pub struct PersistentIters<T> {
    access: T,
    names: HashSet<String>,
}

impl<T> PersistentIters<T>
where
    T: Access,
    T::Base: RawAccessMut,
{
    /// Creates a factory whose iterators save their positions in `access`.
    pub fn new(access: T) -> Self {
        Self {
            access,
            names: HashSet::new(),
        }
    }

    /// Creates a persistent iterator over `index`, saved under `name`.
    ///
    /// # Panics
    ///
    /// As [`PersistentIter::new`].
    pub fn create<'a, I: IndexIterator>(
        &mut self,
        name: &str,
        index: &'a I,
    ) -> PersistentIter<'a, T::Base, I> {
        self.names.insert(name.to_owned());
        PersistentIter::new(&self.access, name, index)
    }

    /// Whether every iterator created so far has ended. Call it once they are dropped: it
    /// opens their position entries.
    pub(crate) fn all_ended(&self) -> bool {
        self.names.iter().all(|name| {
            let position: Entry<T::Base, IteratorPosition<[u8]>> =
                self.access.get_entry(name.as_str());
            matches!(position.get(), Some(IteratorPosition::Ended))
        })
    }
}
