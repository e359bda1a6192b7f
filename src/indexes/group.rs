//! [`Group`]: a family of indexes of one type, told apart by a key.

use std::marker::PhantomData;

use crate::{
    access::{Access, AccessError, FromAccess},
    views::{AsReadonly, GroupKeys, IndexAddress},
    BinaryKey,
};

/// A family of objects of type `I` (indexes, or structs of indexes) that share a name and are
/// told apart by a key of type `K`.
///
/// The member for `key` lives at the group's address with the encoding of `key` appended to
/// its group key: in a group named `"group"`, [`get(&k)`](Self::get) opens the same index as
/// `("group", &k)`. If `I` is a struct of indexes, its field `f` lives at `("group.f", &k)`.
///
/// A group is only an address and an access: building one creates nothing, even through a
/// writable access, and members are created when [`get`](Self::get) first opens them there.
/// Obtain a group with [`get_group`](crate::access::CopyAccessExt::get_group) or through
/// [`FromAccess`], which never fails.
///
/// # Consistency
///
/// Keys are appended without a separator or a length. Nested groups (or an address that
/// already has a group key) with variable-length keys can therefore give two different key
/// paths the same address:
///
/// ```
/// use metaldb::{access::CopyAccessExt, Database, Group, ListIndex, TemporaryDB};
///
/// let db = TemporaryDB::new();
/// let fork = db.fork();
/// let outer: Group<_, str, Group<_, str, ListIndex<_, u32>>> = fork.get_group("group");
/// outer.get("foo").get("bar").push(1);
/// // "foob" + "ar" is "foo" + "bar": this is the same list.
/// assert_eq!(outer.get("foob").get("ar").len(), 1);
/// ```
///
/// For the same reason [`keys`](Self::keys) also lists the members of groups whose address
/// extends this one's (such as the keyed group `("group", k)`), decoding their bytes as `K`.
///
/// # Examples
///
/// ```
/// use metaldb::{access::CopyAccessExt, Database, Group, ListIndex, TemporaryDB};
///
/// let db = TemporaryDB::new();
/// let fork = db.fork();
/// let group: Group<_, u32, ListIndex<_, String>> = fork.get_group("lists");
/// group.get(&1).push("foo".to_owned());
/// group.get(&2).push("bar".to_owned());
/// assert_eq!(fork.get_list::<_, String>(("lists", &1_u32)).len(), 1);
/// db.merge(fork.into_patch()).unwrap();
///
/// let snapshot = db.snapshot();
/// let group: Group<_, u32, ListIndex<_, String>> = snapshot.get_group("lists");
/// assert_eq!(group.keys().collect::<Vec<_>>(), vec![1, 2]);
/// ```
#[derive(Debug)]
pub struct Group<T, K: ?Sized, I> {
    access: T,
    prefix: IndexAddress,
    _key: PhantomData<K>,
    // `fn() -> I` rather than `I`: the group makes members but owns none, so dropping it must
    // not count as dropping an `I`. With `PhantomData<I>`, a group of fork indexes would keep
    // the fork borrowed until the end of its scope, as the indexes' change guards do.
    _index: PhantomData<fn() -> I>,
}

impl<T, K, I> FromAccess<T> for Group<T, K, I>
where
    T: Access,
    K: BinaryKey + ?Sized,
    I: FromAccess<T>,
{
    /// Stores the access and the address as they are. Nothing is validated, read or created
    /// here: each member is checked when [`Group::get`] opens it.
    fn from_access(access: T, addr: IndexAddress) -> Result<Self, AccessError> {
        Ok(Self {
            access,
            prefix: addr,
            _key: PhantomData,
            _index: PhantomData,
        })
    }
}

impl<T, K, I> Group<T, K, I>
where
    T: Access,
    K: BinaryKey + ?Sized,
    I: FromAccess<T>,
{
    /// Opens the member for `key`, creating it if the access can write. Each call builds a
    /// fresh object.
    ///
    /// # Panics
    ///
    /// Panics with `"MerkleDB error: ..."` if the member cannot be opened: the group's name is
    /// invalid, or an index of another type exists at the member's address. On a fork, also
    /// panics if the same member is already open elsewhere (for instance, from an earlier
    /// `get` whose result is still alive).
    pub fn get(&self, key: &K) -> I {
        let addr = self.prefix.clone().append_key(key);
        I::from_access(self.access.clone(), addr).unwrap_or_else(|e| panic!("MerkleDB error: {e}"))
    }
}

impl<T, K, I> Group<T, K, I>
where
    T: Access,
    K: BinaryKey + ?Sized,
    T::Base: AsReadonly<Readonly = T::Base>,
{
    /// Iterates over the keys of the members that exist (have metadata), in the order of
    /// their encodings. Members that are empty or were cleared count; so do tombstones in a
    /// migration.
    ///
    /// Available only through read-only accesses (snapshots, patches, read-only forks), since
    /// a writable fork could change the membership during iteration. Members of a group of
    /// structs are not listed: their indexes live at `("group.field", key)`.
    ///
    /// # Panics
    ///
    /// Iteration panics if the bytes of a key do not decode as `K` (see the type's
    /// "Consistency" section).
    pub fn keys(&self) -> GroupKeys<T::Base, K> {
        self.access.clone().group_keys(self.prefix.clone())
    }
}

// The behaviour of groups is tested through the public API in tests/group.rs; this test
// needs the crate-internal `concat_keys!`.
#[cfg(test)]
mod tests {
    use super::Group;
    use crate::{access::CopyAccessExt, macros::concat_keys, Database, ListIndex, TemporaryDB};

    #[test]
    fn nested_group_members_concatenate_their_keys() {
        let db = TemporaryDB::new();
        let fork = db.fork();
        let outer: Group<_, u8, Group<_, u16, ListIndex<_, u64>>> = fork.get_group("outer");
        outer.get(&1).get(&2).push(12);
        let list = fork.get_list::<_, u64>(("outer", &concat_keys!(&1_u8, &2_u16)));
        assert_eq!(list.get(0), Some(12));
    }
}
