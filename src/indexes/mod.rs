//! Typed indexes, their groups and their iterators.
//!
//! | Index | Analogue in `std` | Type code |
//! |---|---|---|
//! | [`Entry`] | `Option<V>` | 3 |
//! | [`ListIndex`] | `Vec<V>` | 2 |
//! | [`SparseListIndex`] | `Vec<Option<V>>` | 6 |
//! | [`MapIndex`] | `BTreeMap<K, V>` | 1 |
//! | [`KeySetIndex`] | `BTreeSet<K>` | 5 |
//!
//! A [`Group`] is a family of indexes (or of structs of indexes) of one type, told apart by a
//! key. [`Entries`], [`Keys`] and [`Values`] iterate over an index; [`IndexIterator`] lets
//! generic code iterate over any index but [`Entry`] from a given key on.
//!
//! # Common rules
//!
//! * Every index wraps one view of the database (see the crate docs). Indexes are obtained
//!   through [`FromAccess`](crate::access::FromAccess) or the `get_*` methods of
//!   [`AccessExt`](crate::access::AccessExt) and [`CopyAccessExt`](crate::access::CopyAccessExt);
//!   there are no public constructors.
//! * Opening an index through a writable access (a fork) **creates** it, even if it is only
//!   read: its metadata (type and identifier) is recorded, and from then on the address can
//!   only be opened as that type. Opening through a read-only access never creates anything;
//!   a missing index then reads as empty.
//! * Read methods are available through any access, mutating methods only through a writable
//!   one (checked at compile time, or at run time for generic accesses).
//! * Keys are ordered by their [`BinaryKey`](crate::BinaryKey) encoding; list positions are
//!   big-endian `u64` keys, so they iterate in numeric order.
//! * `clear()` removes all the data of an index, stored and pending, and resets a list's
//!   length, but keeps the index itself: its type and identifier stay.
//! * Each construction reads the metadata afresh. The lengths of [`ListIndex`] and
//!   [`SparseListIndex`] are cached in the index object and written to the metadata on every
//!   change.
//! * Iterators borrow their index, so the index cannot change while they live.
//!
//! # Panics
//!
//! * Reading a value that does not decode as the index's value type panics: point reads
//!   (`get`, `multi_get` and what is built on them) with "Error while deserializing value",
//!   iterators with "Unable to decode value from bytes". Keys that do not decode panic in
//!   [`BinaryKey::read`](crate::BinaryKey::read).
//! * A mutating method called through a generic access over a read-only base panics with
//!   "Attempt to modify a readonly view of the database".
//! * On a fork, opening an index that is already open elsewhere (two live `ListIndex`es for
//!   the same address, for instance) panics; see [`Fork`](crate::Fork).

pub use self::{
    entry::Entry,
    group::Group,
    iter::{Entries, IndexIterator, Keys, Values},
    key_set::KeySetIndex,
    list::ListIndex,
    map::MapIndex,
    sparse_list::SparseListIndex,
};

mod entry;
mod group;
mod iter;
mod key_set;
mod list;
mod map;
mod sparse_list;

/// Fixtures shared by the unit tests of the index modules.
#[cfg(test)]
mod test_fixtures {
    use crate::{access::CopyAccessExt, Fork, MapIndex};

    /// Opens the `u8 -> u8` map `"map"` on `fork` and puts `entries` into it.
    pub(super) fn map_with<'a>(fork: &'a Fork, entries: &[(u8, u8)]) -> MapIndex<&'a Fork, u8, u8> {
        let mut map = fork.get_map("map");
        for (key, value) in entries {
            map.put(key, *value);
        }
        map
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use crate::{Entry, Group, KeySetIndex, ListIndex, MapIndex, Patch, Snapshot, SparseListIndex};

    fn assert_send_sync<T: Send + Sync>() {}

    /// Snapshot-based indexes may be handed to other threads (spec §9.10).
    #[test]
    fn indexes_over_snapshots_are_send_and_sync() {
        assert_send_sync::<Entry<&dyn Snapshot, u32>>();
        assert_send_sync::<MapIndex<&dyn Snapshot, str, u32>>();
        assert_send_sync::<KeySetIndex<&Patch, [u8]>>();
        assert_send_sync::<ListIndex<&dyn Snapshot, u32>>();
        assert_send_sync::<SparseListIndex<Arc<dyn Snapshot>, u32>>();
        assert_send_sync::<Group<Arc<dyn Snapshot>, str, MapIndex<Arc<dyn Snapshot>, u8, u8>>>();
    }
}
