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

#[cfg(test)]
mod tests {
    use super::Group;
    use crate::{
        access::{AccessExt, CopyAccessExt, FromAccess, Prefixed},
        macros::concat_keys,
        migration::{Migration, Scratchpad},
        Database, IndexType, ListIndex, TemporaryDB,
    };

    /// Upstream `group`.
    #[test]
    fn group_members_are_indexes_keyed_under_the_group_name() {
        let db = TemporaryDB::new();
        let fork = db.fork();
        {
            let group: Group<_, u32, ListIndex<_, String>> = fork.get_group("group");
            let mut list = group.get(&1);
            list.push("foo".to_owned());
            list.push("bar".to_owned());
            group.get(&2).push("baz".to_owned());
        }
        {
            let list = fork.get_list::<_, String>(("group", &1_u32));
            assert_eq!(list.len(), 2);
            assert_eq!(list.get(1), Some("bar".to_owned()));
            let other_list = fork.get_list::<_, String>(("group", &2_u32));
            assert_eq!(other_list.len(), 1);
        }

        db.merge_sync(fork.into_patch()).unwrap();
        let snapshot = db.snapshot();
        let group: Group<_, u32, ListIndex<_, String>> = snapshot.get_group("group");
        assert_eq!(group.get(&1).len(), 2);
        assert_eq!(group.get(&2).len(), 1);
        assert!(group.get(&3).is_empty());
    }

    /// Upstream `iterating_over_keys`.
    #[test]
    fn group_keys_list_members_in_key_order() {
        let db = TemporaryDB::new();
        let fork = db.fork();
        let group: Group<_, u32, ListIndex<_, u64>> = fork.get_group("group");
        group.get(&1).push(1);
        group.get(&2).push(2);
        group.get(&5).push(5);
        group.get(&100_000).push(0);
        // Unrelated indexes whose names share a prefix with the group.
        fork.get_list("gr").push(1_u32);
        fork.get_list("group_").push(1_u32);
        fork.get_list(("group_", &0_u32)).push(1_u32);
        fork.get_list(("group_", &5_u32)).push(1_u32);
        fork.get_list(("group_", &10_000_u32)).push(1_u32);

        let patch = fork.into_patch();
        let group: Group<_, u32, ListIndex<_, u64>> = (&patch).get_group("group");
        assert_eq!(group.keys().collect::<Vec<_>>(), vec![1, 2, 5, 100_000]);

        db.merge(patch).unwrap();
        let fork = db.fork();
        fork.get_list(("group", &3_u32)).push(3_u64);
        let group: Group<_, u32, ListIndex<_, u64>> = fork.readonly().get_group("group");
        assert_eq!(group.keys().collect::<Vec<_>>(), vec![1, 2, 3, 5, 100_000]);

        let snapshot = db.snapshot();
        let group: Group<_, u32, ListIndex<_, u64>> = snapshot.get_group("group");
        assert_eq!(group.keys().collect::<Vec<_>>(), vec![1, 2, 5, 100_000]);
    }

    /// Upstream `iterating_over_keys_in_prefixed_access`.
    #[test]
    fn group_keys_in_a_prefixed_access_stay_in_the_prefix() {
        let db = TemporaryDB::new();
        let fork = db.fork();
        {
            let prefixed = Prefixed::new("prefix", &fork);
            let group: Group<_, str, ListIndex<_, u64>> = prefixed.get_group("group");
            group.get("foo").push(1);
            group.get("bar").push(2);
            group.get("baz").push(3);

            // A group whose address already has a key: its members extend that key.
            let keyed: Group<_, u32, ListIndex<_, u64>> =
                Group::from_access(prefixed.clone(), ("prefixed", &1_u8).into()).unwrap();
            keyed.get(&7).push(7);
            let other: Group<_, u32, ListIndex<_, u64>> =
                Group::from_access(prefixed.clone(), ("prefixed", &0_u8).into()).unwrap();
            other.get(&9).push(9);

            prefixed.get_list("gr").push(1_u64);
            prefixed.get_list("group_").push(1_u64);
            prefixed.get_list(("group_", "qux")).push(1_u64);
        }
        // Look-alikes outside the prefix, and an alias of a member of the keyed group.
        fork.get_list("prefix").push(1_u64);
        fork.get_list("prefixed").push(1_u64);
        fork.get_list(("group", "quux")).push(1_u64);
        fork.get_list(("prefix.prefixed", &concat_keys!(&1_u8, &42_u32)))
            .push(42_u64);

        let patch = fork.into_patch();
        let prefixed = Prefixed::new("prefix", &patch);
        let group: Group<_, str, ListIndex<_, u64>> = prefixed.get_group("group");
        assert_eq!(group.keys().collect::<Vec<_>>(), vec!["bar", "baz", "foo"]);
        let keyed: Group<_, u32, ListIndex<_, u64>> =
            Group::from_access(prefixed.clone(), ("prefixed", &1_u8).into()).unwrap();
        assert_eq!(keyed.keys().collect::<Vec<_>>(), vec![7, 42]);
        assert_eq!(keyed.get(&42).get(0), Some(42));

        db.merge(patch).unwrap();
        let snapshot = db.snapshot();
        let prefixed = Prefixed::new("prefix", &snapshot);
        let group: Group<_, str, ListIndex<_, u64>> = prefixed.get_group("group");
        assert_eq!(group.keys().collect::<Vec<_>>(), vec!["bar", "baz", "foo"]);
    }

    /// Upstream `iterating_over_keys_in_migration`.
    #[test]
    fn group_keys_in_a_migration_list_migrated_members_only() {
        let db = TemporaryDB::new();
        let fork = db.fork();
        {
            // The old data the migration replaces, and indexes that look like it.
            fork.get_list(("ns.group", &3_u32)).push(3_u64);
            Prefixed::new("ns", &fork)
                .get_list(("group", &4_u32))
                .push(4_u64);

            let migration = Migration::new("ns", &fork);
            let group: Group<_, u32, ListIndex<_, u64>> = migration.get_group("group");
            group.get(&1).push(1);
            group.get(&2).push(2);
            group.get(&100).push(100);
            migration.create_tombstone(("group", &5_u32));
            migration.get_list("group_").push(1_u64);
            migration.get_list(("gr", &1_u32)).push(1_u64);
        }

        {
            let migration = Migration::new("ns", fork.readonly());
            let group: Group<_, u32, ListIndex<_, u64>> = migration.get_group("group");
            assert_eq!(group.keys().collect::<Vec<_>>(), vec![1, 2, 5, 100]);
        }
        let patch = fork.into_patch();
        let migration = Migration::new("ns", &patch);
        let group: Group<_, u32, ListIndex<_, u64>> = migration.get_group("group");
        assert_eq!(group.keys().collect::<Vec<_>>(), vec![1, 2, 5, 100]);

        let group: Group<_, u32, ListIndex<_, u64>> = (&patch).get_group("ns.group");
        assert_eq!(group.keys().collect::<Vec<_>>(), vec![3, 4]);
    }

    /// Upstream `iterating_over_keys_in_scratchpad`.
    #[test]
    fn group_keys_in_a_scratchpad_stay_in_its_namespace() {
        let db = TemporaryDB::new();
        let fork = db.fork();
        {
            let scratchpad = Scratchpad::new("ns", &fork);
            let group: Group<_, str, ListIndex<_, u64>> = scratchpad.get_group("group");
            group.get("foo").push(1);
            group.get("bar").push(2);
            scratchpad.get_list("group_").push(1_u64);
            scratchpad.get_list(("gr", "foo")).push(1_u64);

            // A namespace that extends this one, and the same names outside any scratchpad.
            let other = Scratchpad::new("ns_", &fork);
            let group: Group<_, str, ListIndex<_, u64>> = other.get_group("group");
            group.get("baz").push(3);
            fork.get_list(("ns.group", "qux")).push(4_u64);
            Migration::new("ns", &fork)
                .get_list(("group", "quux"))
                .push(5_u64);
        }

        {
            let scratchpad = Scratchpad::new("ns", fork.readonly());
            let group: Group<_, str, ListIndex<_, u64>> = scratchpad.get_group("group");
            assert_eq!(group.keys().collect::<Vec<_>>(), vec!["bar", "foo"]);
        }
        let patch = fork.into_patch();
        let scratchpad = Scratchpad::new("ns", &patch);
        let group: Group<_, str, ListIndex<_, u64>> = scratchpad.get_group("group");
        assert_eq!(group.keys().collect::<Vec<_>>(), vec!["bar", "foo"]);
        let scratchpad = Scratchpad::new("ns_", &patch);
        let group: Group<_, str, ListIndex<_, u64>> = scratchpad.get_group("group");
        assert_eq!(group.keys().collect::<Vec<_>>(), vec!["baz"]);
    }

    #[test]
    fn building_a_group_creates_and_validates_nothing() {
        let db = TemporaryDB::new();
        let fork = db.fork();
        let _group: Group<_, u32, ListIndex<_, u64>> = fork.get_group("group");
        let invalid: Result<Group<_, u32, ListIndex<_, u64>>, _> =
            Group::from_access(&fork, "invalid name!".into());
        assert!(invalid.is_ok());
        assert_eq!(fork.index_type("group"), None);
        assert_eq!(fork.index_type(("group", &1_u32)), None);

        let patch = fork.into_patch();
        let group: Group<_, u32, ListIndex<_, u64>> = (&patch).get_group("group");
        assert_eq!(group.keys().count(), 0);
    }

    #[test]
    fn group_keys_include_empty_and_cleared_members() {
        let db = TemporaryDB::new();
        let fork = db.fork();
        let group: Group<_, u8, ListIndex<_, u64>> = fork.get_group("group");
        group.get(&1);
        group.get(&2).push(2);
        group.get(&2).clear();
        assert_eq!(fork.index_type(("group", &1_u8)), Some(IndexType::List));

        let patch = fork.into_patch();
        let group: Group<_, u8, ListIndex<_, u64>> = (&patch).get_group("group");
        assert_eq!(group.keys().collect::<Vec<_>>(), vec![1, 2]);
    }

    #[test]
    fn nested_group_members_concatenate_their_keys() {
        let db = TemporaryDB::new();
        let fork = db.fork();
        let outer: Group<_, u8, Group<_, u16, ListIndex<_, u64>>> = fork.get_group("outer");
        outer.get(&1).get(&2).push(12);
        let list = fork.get_list::<_, u64>(("outer", &concat_keys!(&1_u8, &2_u16)));
        assert_eq!(list.get(0), Some(12));
    }

    #[test]
    #[should_panic(expected = "MerkleDB error: Error accessing")]
    fn opening_a_member_of_another_type_panics() {
        let db = TemporaryDB::new();
        let fork = db.fork();
        fork.get_map::<_, u8, u8>(("group", &1_u32));
        let group: Group<_, u32, ListIndex<_, u64>> = fork.get_group("group");
        group.get(&1);
    }

    #[test]
    #[should_panic(expected = "Invalid characters used in name")]
    fn opening_a_member_of_a_group_with_an_invalid_name_panics() {
        let db = TemporaryDB::new();
        let fork = db.fork();
        let group: Group<_, u32, ListIndex<_, u64>> = fork.get_group("invalid name!");
        group.get(&1);
    }

    #[test]
    fn group_over_an_rc_fork_releases_the_fork_when_dropped() {
        use std::rc::Rc;

        let db = TemporaryDB::new();
        let fork = Rc::new(db.fork());
        {
            let group: Group<Rc<crate::Fork>, u32, ListIndex<_, u64>> = fork.get_group("group");
            group.get(&1).push(1);
        }
        let fork = Rc::try_unwrap(fork).expect("groups release the fork when dropped");
        db.merge(fork.into_patch()).unwrap();
        assert_eq!(db.snapshot().get_list::<_, u64>(("group", &1_u32)).len(), 1);
    }
}
