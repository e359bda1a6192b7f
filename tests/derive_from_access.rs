//! `#[derive(FromAccess)]` (metaldb-derive): schemas of every field kind, nested, generic and
//! tuple, and where their indexes live. Every test writes through a derived schema and reads
//! the same indexes by name through plain access calls, or the other way round, because the
//! names are the on-disk format: a database written by a metaldb 1.0.0 program must open
//! through the same schema here.

mod common;

use std::rc::Rc;

use metaldb::{
    access::{Access, AccessErrorKind, CopyAccessExt, FromAccess, Prefixed, RawAccessMut},
    generic::IntoErased,
    migration::{flush_migration, Migration},
    BinaryKey, Database, Entry, Group, IndexType, KeySetIndex, Lazy, ListIndex, MapIndex,
    SparseListIndex, TemporaryDB,
};
use metaldb_derive::FromAccess;

use common::{backends, pool_keys, TestDb};

/// A component with an index of each kind.
#[derive(Debug, FromAccess)]
struct Indexes<T: Access> {
    entry: Entry<T::Base, u64>,
    list: ListIndex<T::Base, String>,
    sparse: SparseListIndex<T::Base, u32>,
    map: MapIndex<T::Base, str, u64>,
    set: KeySetIndex<T::Base, u16>,
}

/// A component generic over more than the access, with a where-clause.
#[derive(FromAccess)]
struct Keyed<A: Access, K>
where
    K: BinaryKey + ?Sized,
{
    by_key: MapIndex<A::Base, K, u64>,
}

/// Every kind of field: indexes, a nested component, a generic one, `Lazy` and `Group`.
#[derive(FromAccess)]
struct Schema<T: Access> {
    count: Entry<T::Base, u64>,
    nested: Indexes<T>,
    keyed: Keyed<T, str>,
    lazy: Lazy<T, Indexes<T>>,
    group: Group<T, u32, Indexes<T>>,
    lists: Group<T, str, ListIndex<T::Base, u8>>,
}

impl<T: Access> Schema<T>
where
    T::Base: RawAccessMut,
{
    /// Writes one value into every index of the schema.
    fn fill(&mut self) {
        self.count.set(7);
        fill(&mut self.nested, "nested");
        self.keyed.by_key.put("k", 1);
        fill(&mut self.lazy.get(), "lazy");
        fill(&mut self.group.get(&3), "member 3");
        self.lists.get("x").extend([1, 2]);
    }
}

fn fill<T: Access>(indexes: &mut Indexes<T>, text: &str)
where
    T::Base: RawAccessMut,
{
    indexes.entry.set(text.len() as u64);
    indexes.list.push(text.to_owned());
    indexes.sparse.set(5, 50);
    indexes.map.put(text, 1);
    indexes.set.insert(&9);
}

/// Checks through plain access calls that `text` was written by [`fill`] into the indexes of
/// a component at `prefix` (with `key`, for a group member).
fn assert_filled<A: Access + Copy>(access: A, prefix: &str, key: Option<u32>, text: &str) {
    let address = |field: &str| {
        let name = if prefix.is_empty() {
            field.to_owned()
        } else {
            format!("{prefix}.{field}")
        };
        match &key {
            Some(key) => (name.as_str(), key).into(),
            None => metaldb::IndexAddress::from_root(name),
        }
    };
    assert_eq!(
        access.get_entry::<_, u64>(address("entry")).get(),
        Some(text.len() as u64),
        "{prefix}.entry"
    );
    assert_eq!(
        access
            .get_list::<_, String>(address("list"))
            .iter()
            .collect::<Vec<_>>(),
        vec![text.to_owned()],
        "{prefix}.list"
    );
    assert_eq!(
        access.get_sparse_list::<_, u32>(address("sparse")).get(5),
        Some(50),
        "{prefix}.sparse"
    );
    assert_eq!(
        access.get_map::<_, str, u64>(address("map")).get(text),
        Some(1),
        "{prefix}.map"
    );
    assert!(
        access.get_key_set::<_, u16>(address("set")).contains(&9),
        "{prefix}.set"
    );
}

#[test]
fn fields_of_every_kind_open_the_indexes_named_after_them() {
    for mut db in backends() {
        let fork = db.db().fork();
        Schema::from_root(&fork).unwrap().fill();
        db.db().merge_sync(fork.into_patch()).unwrap();
        db.reopen();

        let snapshot = db.db().snapshot();
        assert_eq!(snapshot.get_entry::<_, u64>("count").get(), Some(7));
        assert_filled(&snapshot, "nested", None, "nested");
        assert_eq!(
            snapshot.get_map::<_, str, u64>("keyed.by_key").get("k"),
            Some(1)
        );
        assert_filled(&snapshot, "lazy", None, "lazy");
        assert_filled(&snapshot, "group", Some(3), "member 3");
        assert_eq!(
            snapshot
                .get_list::<_, u8>(("lists", "x"))
                .iter()
                .collect::<Vec<_>>(),
            vec![1, 2]
        );

        // The exact names in the index pool, which a metaldb 1.0.0 program also writes.
        let mut names = pool_keys(&snapshot);
        names.sort();
        let mut expected: Vec<Vec<u8>> = ["count", "keyed.by_key"]
            .iter()
            .map(|name| name.as_bytes().to_vec())
            .collect();
        for field in ["entry", "list", "map", "set", "sparse"] {
            for prefix in ["nested", "lazy"] {
                expected.push(format!("{prefix}.{field}").into_bytes());
            }
            let mut member = format!("group.{field}\0").into_bytes();
            member.extend_from_slice(&3_u32.to_be_bytes());
            expected.push(member);
        }
        expected.push(b"lists\0x".to_vec());
        expected.sort();
        assert_eq!(names, expected, "{db:?}");
    }
}

#[test]
fn indexes_written_by_name_are_read_through_the_schema() {
    let db = TemporaryDB::new();
    let fork = db.fork();
    fork.get_entry("count").set(3_u64);
    fork.get_list("nested.list").push("by name".to_owned());
    fork.get_map("keyed.by_key").put("k", 11_u64);
    fork.get_map("lazy.map").put("lazy", 12_u64);
    fork.get_key_set(("group.set", &8_u32)).insert(&4_u16);
    fork.get_list(("lists", "y")).push(5_u8);
    db.merge(fork.into_patch()).unwrap();

    let snapshot = db.snapshot();
    let schema = Schema::from_root(&snapshot).unwrap();
    assert_eq!(schema.count.get(), Some(3));
    assert_eq!(schema.nested.list.get(0).as_deref(), Some("by name"));
    assert_eq!(schema.keyed.by_key.get("k"), Some(11));
    assert_eq!(schema.lazy.get().map.get("lazy"), Some(12));
    assert!(schema.group.get(&8).set.contains(&4));
    assert!(!schema.group.get(&9).set.contains(&4));
    assert_eq!(schema.lists.get("y").get(0), Some(5));
}

#[test]
fn a_schema_built_at_an_address_nests_its_fields_under_it() {
    let db = TemporaryDB::new();
    let fork = db.fork();
    {
        let mut schema = Schema::from_access(&fork, "root".into()).unwrap();
        schema.fill();
        // A keyed address: the fields keep the key, as group members do.
        let mut keyed = Indexes::from_access(&fork, ("keyed", &1_u8).into()).unwrap();
        fill(&mut keyed, "keyed");
    }
    assert_eq!(fork.get_entry::<_, u64>("root.count").get(), Some(7));
    assert_filled(&fork, "root.nested", None, "nested");
    assert_filled(&fork, "root.lazy", None, "lazy");
    assert_filled(&fork, "root.group", Some(3), "member 3");
    assert_eq!(fork.get_list::<_, u8>(("root.lists", "x")).len(), 2);
    assert_eq!(
        fork.get_entry::<_, u64>(("keyed.entry", &1_u8)).get(),
        Some(5)
    );
    assert_eq!(fork.index_type("count"), None);
}

#[test]
fn namespaced_accesses_prefix_every_field() {
    let db = TemporaryDB::new();
    let fork = db.fork();
    Schema::from_root(Prefixed::new("app", &fork))
        .unwrap()
        .fill();
    assert_eq!(fork.get_entry::<_, u64>("app.count").get(), Some(7));
    assert_filled(&fork, "app.group", Some(3), "member 3");

    // A migration writes the same names in its own namespace, swapped in by the flush.
    let mut migrated = Schema::from_root(Migration::new("app", &fork)).unwrap();
    migrated.count.set(8);
    drop(migrated);
    assert_eq!(fork.get_entry::<_, u64>("app.count").get(), Some(7));
    db.merge(fork.into_patch()).unwrap();
    let mut fork = db.fork();
    flush_migration(&mut fork, "app");
    db.merge(fork.into_patch()).unwrap();
    let snapshot = db.snapshot();
    assert_eq!(snapshot.get_entry::<_, u64>("app.count").get(), Some(8));
    let schema = Schema::from_root(Prefixed::new("app", &snapshot)).unwrap();
    assert_eq!(schema.count.get(), Some(8));
}

#[test]
fn schemas_open_on_owned_and_erased_accesses() {
    let db = TemporaryDB::new();
    // An owned fork: the access is cloned into every field, so it needs only `Clone`.
    let fork = Rc::new(db.fork());
    Schema::from_root(Rc::clone(&fork)).unwrap().fill();
    assert_filled(&*fork, "group", Some(3), "member 3");
    let fork = Rc::try_unwrap(fork).expect("the schema released the fork");

    // An erased access, as generic code over any kind of access holds it.
    let erased = Prefixed::new("erased", &fork).into_erased();
    Schema::from_root(erased).unwrap().fill();
    assert_filled(&fork, "erased.lazy", None, "lazy");
}

#[test]
fn lazy_fields_are_opened_only_when_used() {
    let db = TemporaryDB::new();
    let fork = db.fork();
    let schema = Schema::from_root(&fork).unwrap();
    // Building the schema created its eager indexes, but neither lazy nor group members.
    assert_eq!(fork.index_type("count"), Some(IndexType::Entry));
    assert_eq!(fork.index_type("nested.map"), Some(IndexType::Map));
    assert_eq!(fork.index_type("lazy.map"), None);
    assert_eq!(fork.index_type(("group.map", &3_u32)), None);
    assert!(!schema.lazy.get().entry.exists());
    assert_eq!(fork.index_type("lazy.entry"), Some(IndexType::Entry));
}

#[test]
fn an_index_of_another_type_fails_the_schema_with_its_address() {
    let db = TemporaryDB::new();
    let fork = db.fork();
    fork.get_list::<_, u64>("nested.map").push(1);
    let Err(err) = Schema::from_root(&fork) else {
        panic!("a list where the schema has a map must fail the schema");
    };
    assert_eq!(err.addr.name(), "nested.map");
    assert!(
        matches!(
            err.kind,
            AccessErrorKind::WrongIndexType {
                expected: IndexType::Map,
                actual: IndexType::List
            }
        ),
        "{err}"
    );
    // Fields are built in declaration order, so the fields before the bad one exist, and
    // those after it were never created.
    assert_eq!(fork.index_type("nested.list"), Some(IndexType::List));
    assert_eq!(fork.index_type("nested.set"), None);

    // A lazy field fails only when it is opened.
    let fork = db.fork();
    fork.get_entry::<_, u64>("lazy.map").set(1);
    let schema = Schema::from_root(&fork).unwrap();
    let err = schema.lazy.try_get().unwrap_err();
    assert_eq!(err.addr.name(), "lazy.map");
}

#[derive(FromAccess)]
struct Pair<T: Access>(
    #[from_access(rename = "strings")] ListIndex<T::Base, String>,
    #[from_access(rename = "numbers")] ListIndex<T::Base, u64>,
);

#[test]
fn tuple_struct_fields_are_named_by_rename() {
    let db = TemporaryDB::new();
    let fork = db.fork();
    fork.get_list("strings").push("s".to_owned());
    fork.get_list("numbers").push(4_u64);
    let Pair(strings, mut numbers) = Pair::from_root(&fork).unwrap();
    assert_eq!(strings.get(0).as_deref(), Some("s"));
    numbers.push(5);
    drop((strings, numbers));
    assert_eq!(fork.get_list::<_, u64>("numbers").len(), 2);

    let Pair(strings, _) = Pair::from_access(&fork, "pair".into()).unwrap();
    assert!(strings.is_empty());
    drop(strings);
    assert_eq!(fork.index_type("pair.strings"), Some(IndexType::List));
}

#[derive(FromAccess)]
struct Renamed<T: Access> {
    #[from_access(rename = "wallet-balances")]
    balances: MapIndex<T::Base, str, u64>,
    // A raw identifier names its index without the `r#`.
    r#type: Entry<T::Base, String>,
}

#[test]
fn renamed_and_raw_identifier_fields_use_their_names() {
    let db = TemporaryDB::new();
    let fork = db.fork();
    {
        let mut schema = Renamed::from_root(&fork).unwrap();
        schema.balances.put("a", 1);
        schema.r#type.set("t".to_owned());
    }
    assert_eq!(
        fork.get_map::<_, str, u64>("wallet-balances").get("a"),
        Some(1)
    );
    assert_eq!(
        fork.get_entry::<_, String>("type").get().as_deref(),
        Some("t")
    );
    assert_eq!(fork.index_type("balances"), None);
}

#[derive(FromAccess)]
#[from_access(transparent)]
struct TupleWrapper<T: Access>(MapIndex<T::Base, u64, u64>);

#[derive(FromAccess)]
#[from_access(transparent)]
struct NamedWrapper<T: Access> {
    inner: Indexes<T>,
}

#[test]
fn transparent_wrappers_live_at_their_own_address() {
    let db = TemporaryDB::new();
    let fork = db.fork();
    fork.get_map("wrapped").put(&1_u64, 2_u64);
    let wrapper = TupleWrapper::from_access(&fork, "wrapped".into()).unwrap();
    assert_eq!(wrapper.0.get(&1), Some(2));
    drop(wrapper);

    fill(&mut NamedWrapper::from_root(&fork).unwrap().inner, "root");
    assert_filled(&fork, "", None, "root");
    fill(
        &mut NamedWrapper::from_access(&fork, "w".into()).unwrap().inner,
        "w",
    );
    assert_filled(&fork, "w", None, "w");
    // `from_root` of an index itself has no name to use.
    let Err(err) = TupleWrapper::from_root(&fork) else {
        panic!("an index at the root of a raw access has no name");
    };
    assert!(matches!(err.kind, AccessErrorKind::EmptyName), "{err}");
}

#[derive(FromAccess)]
struct Public<T: Access> {
    wallets: MapIndex<T::Base, str, u64>,
    total: Entry<T::Base, u64>,
}

#[derive(FromAccess)]
struct Private<T: Access> {
    #[from_access(flatten)]
    public: Public<T>,
    log: ListIndex<T::Base, String>,
}

#[derive(FromAccess)]
struct FlattenedTuple<T: Access>(
    #[from_access(flatten)] Public<T>,
    #[from_access(flatten)] Pair<T>,
    #[from_access(rename = "extra")] Entry<T::Base, u8>,
);

#[test]
fn flattened_fields_share_the_struct_address() {
    let db = TemporaryDB::new();
    let fork = db.fork();
    {
        let mut schema = Private::from_access(&fork, "bank".into()).unwrap();
        schema.public.wallets.put("a", 5);
        schema.public.total.set(5);
        schema.log.push("opened a".to_owned());
    }
    assert_eq!(
        fork.get_map::<_, str, u64>("bank.wallets").get("a"),
        Some(5)
    );
    assert_eq!(fork.get_list::<_, String>("bank.log").len(), 1);
    assert_eq!(fork.index_type("bank.public.total"), None);
    // The public part alone sees the same indexes.
    let public = Public::from_access(fork.readonly(), "bank".into()).unwrap();
    assert_eq!(public.total.get(), Some(5));

    {
        let mut tuple = FlattenedTuple::from_root(&fork).unwrap();
        tuple.0.total.set(1);
        tuple.1 .1.push(2);
        tuple.2.set(3);
    }
    assert_eq!(fork.get_entry::<_, u64>("total").get(), Some(1));
    assert_eq!(fork.get_list::<_, u64>("numbers").get(0), Some(2));
    assert_eq!(fork.get_entry::<_, u8>("extra").get(), Some(3));
}

/// The access parameter found from the only type parameter, bounded in the where-clause.
#[derive(FromAccess)]
struct WhereBound<T>
where
    T: Access,
    T::Base: RawAccessMut,
{
    map: MapIndex<T::Base, u64, u64>,
}

/// The access parameter found from a where-clause bound among several type parameters.
#[derive(FromAccess)]
struct WhereBoundAmongOthers<K, T>
where
    K: BinaryKey + ?Sized,
    T: Access,
{
    map: MapIndex<T::Base, K, u64>,
}

/// The access parameter marked explicitly, bounded by a trait alias-like bound.
#[derive(FromAccess)]
struct Marked<K: BinaryKey, #[from_access] A: metaldb::access::Access> {
    map: MapIndex<A::Base, K, u64>,
}

#[test]
fn the_access_parameter_is_found_by_bound_position_or_marker() {
    let db = TemporaryDB::new();
    let fork = db.fork();
    WhereBound::from_root(&fork).unwrap().map.put(&1, 10);
    assert_eq!(
        WhereBoundAmongOthers::<u64, _>::from_root(&fork)
            .unwrap()
            .map
            .get(&1),
        Some(10)
    );
    assert_eq!(
        Marked::<u64, _>::from_root(&fork).unwrap().map.get(&1),
        Some(10)
    );
}

#[test]
fn schemas_over_read_only_accesses_read_without_creating() {
    let mut db = TestDb::rocksdb();
    let fork = db.db().fork();
    Schema::from_root(fork.readonly()).unwrap();
    db.db().merge_sync(fork.into_patch()).unwrap();
    db.reopen();
    let snapshot = db.db().snapshot();
    assert!(pool_keys(&snapshot).is_empty());
    let schema = Schema::from_root(&snapshot).unwrap();
    assert_eq!(schema.count.get(), None);
    assert_eq!(schema.group.keys().count(), 0);
}

/// A schema declared by a `macro_rules!` macro, with field names and types from its caller.
macro_rules! declare_schema {
    ($name:ident { $($field:ident: $ty:ty),* $(,)? }) => {
        #[derive(FromAccess)]
        struct $name<T: Access> {
            $($field: $ty,)*
        }
    };
}

declare_schema!(FromMacro {
    items: ListIndex<T::Base, u8>,
    flag: Entry<T::Base, bool>,
});

#[test]
fn schemas_declared_by_macros_open_their_fields() {
    let db = TemporaryDB::new();
    let fork = db.fork();
    {
        let mut schema = FromMacro::from_access(&fork, "m".into()).unwrap();
        schema.items.push(1);
        schema.flag.set(true);
    }
    assert_eq!(fork.get_list::<_, u8>("m.items").len(), 1);
    assert_eq!(fork.get_entry::<_, bool>("m.flag").get(), Some(true));
}
