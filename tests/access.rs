//! The access layer: `Prefixed`, `FromAccess::from_root`, the extension traits and their
//! receivers, and `index_type` (spec §8 and the `access/mod.rs` and `access/extensions.rs`
//! tests of §18).

mod common;

use std::rc::Rc;

use metaldb::{
    access::{Access, AccessExt, CopyAccessExt, FromAccess, Prefixed},
    migration::{flush_migration, Migration},
    Database, Entry, Fork, IndexType, KeySetIndex, ListIndex, MapIndex, OwnedReadonlyFork, Patch,
    ReadonlyFork, Snapshot, SparseListIndex, TemporaryDB,
};

use common::backends;

#[test]
fn prefixed_works() {
    for db in backends() {
        let db = db.db();
        let fork = db.fork();
        {
            let prefixed = Prefixed::new("test", &fork);
            let mut list = prefixed.get_list::<_, i32>("foo");
            list.extend(vec![1, 2, 3]);
        }
        {
            let list = fork.get_list::<_, i32>("test.foo");
            assert_eq!(list.len(), 3);
            assert_eq!(list.iter().collect::<Vec<_>>(), vec![1, 2, 3]);
        }
        db.merge_sync(fork.into_patch()).unwrap();

        let snapshot = db.snapshot();
        let list = snapshot.get_list::<_, i32>("test.foo");
        assert_eq!(list.iter().collect::<Vec<_>>(), vec![1, 2, 3]);
        let prefixed = Prefixed::new("test", &snapshot);
        let list = prefixed.get_list::<_, i32>("foo");
        assert_eq!(list.len(), 3);
        assert_eq!(list.iter().collect::<Vec<_>>(), vec![1, 2, 3]);
    }
}

#[test]
fn prefixed_views_do_not_collide() {
    for db in backends() {
        let db = db.db();
        let fork = db.fork();
        let foo_space = Prefixed::new("foo", &fork);
        let bar_space = Prefixed::new("bar", &fork);
        assert!(!foo_space
            .clone()
            .get_or_create_view("test".into(), IndexType::List)
            .unwrap()
            .is_phantom());
        assert!(!bar_space
            .clone()
            .get_or_create_view("test".into(), IndexType::Map)
            .unwrap()
            .is_phantom());

        let mut list = foo_space.get_list::<_, u64>("test");
        let mut map = bar_space.get_map::<_, u64, u64>("test");
        list.push(1);
        map.put(&1, 2);
        drop((list, map));

        assert_eq!(fork.index_type("foo.test"), Some(IndexType::List));
        assert_eq!(fork.index_type("bar.test"), Some(IndexType::Map));
        db.merge(fork.into_patch()).unwrap();
        let snapshot = db.snapshot();
        assert_eq!(
            Prefixed::new("foo", &snapshot)
                .get_list::<_, u64>("test")
                .get(0),
            Some(1)
        );
        assert_eq!(
            Prefixed::new("bar", &snapshot)
                .get_map::<_, u64, u64>("test")
                .get(&1),
            Some(2)
        );
    }
}

#[test]
fn from_root_method() {
    let db = TemporaryDB::new();
    let fork = db.fork();
    {
        let prefixed = Prefixed::new("foo", &fork);
        // Type inference gives `ListIndex<&Fork, u64>` here.
        let mut list: ListIndex<_, u64> = ListIndex::from_root(prefixed).unwrap();
        list.push(1);
        let _: &ListIndex<&Fork, u64> = &list;
    }
    assert_eq!(fork.index_type("foo"), Some(IndexType::List));
    assert_eq!(fork.get_list::<_, u64>("foo").get(0), Some(1));
}

#[test]
fn prefixed_alias_and_raw_name_are_the_same_index() {
    let db = TemporaryDB::new();
    let fork = db.fork();
    Prefixed::new("p", &fork).get_list("x").push(1_u8);
    let list = fork.get_list::<_, u8>("p.x");
    assert_eq!(list.len(), 1);
    assert_eq!(
        Prefixed::new("p", &fork)
            .get_index_metadata("x".into())
            .unwrap()
            .unwrap()
            .identifier(),
        (&fork)
            .get_index_metadata("p.x".into())
            .unwrap()
            .unwrap()
            .identifier()
    );
}

#[test]
#[should_panic(expected = "Multiple mutable borrows of an index")]
fn prefixed_alias_conflicts_with_the_raw_name() {
    let db = TemporaryDB::new();
    let fork = db.fork();
    let _raw = fork.get_list::<_, u8>("p.x");
    let _prefixed = Prefixed::new("p", &fork).get_list::<_, u8>("x");
}

#[test]
fn prefixed_read_only_access_sees_nothing_it_would_create() {
    let db = TemporaryDB::new();
    let snapshot = db.snapshot();
    let prefixed = Prefixed::new("p", &snapshot);
    assert!(prefixed
        .clone()
        .get_or_create_view("x".into(), IndexType::Entry)
        .unwrap()
        .is_phantom());
    assert_eq!(prefixed.get_entry::<_, u8>("x").get(), None);
    assert_eq!(prefixed.index_type("x"), None);
}

#[test]
fn index_type_works() {
    for db in backends() {
        let db = db.db();
        let fork = db.fork();
        fork.get_entry("entry").set(1_u8);
        fork.get_list(("list", &1_u32)).push(1_u8);
        fork.get_map::<_, u8, u8>("map");
        fork.get_key_set::<_, u8>("set");
        fork.get_sparse_list::<_, u8>(("sparse", "a"));

        let check =
            |access: &dyn Fn(&str) -> Option<IndexType>,
             grouped: &dyn Fn() -> (Option<IndexType>, Option<IndexType>)| {
                assert_eq!(access("entry"), Some(IndexType::Entry));
                assert_eq!(access("map"), Some(IndexType::Map));
                assert_eq!(access("set"), Some(IndexType::KeySet));
                assert_eq!(access("list"), None);
                assert_eq!(access("absent"), None);
                assert_eq!(
                    grouped(),
                    (Some(IndexType::List), Some(IndexType::SparseList))
                );
            };
        check(&|name| fork.index_type(name), &|| {
            (
                fork.index_type(("list", &1_u32)),
                fork.index_type(("sparse", "a")),
            )
        });
        assert_eq!(fork.index_type(("list", &2_u32)), None);
        assert_eq!(fork.readonly().index_type("entry"), Some(IndexType::Entry));

        let patch = fork.into_patch();
        check(&|name| (&patch).index_type(name), &|| {
            (
                (&patch).index_type(("list", &1_u32)),
                (&patch).index_type(("sparse", "a")),
            )
        });
        // Not merged yet: the database knows none of them.
        assert_eq!(db.snapshot().index_type("entry"), None);

        db.merge(patch).unwrap();
        let snapshot = db.snapshot();
        check(&|name| snapshot.index_type(name), &|| {
            (
                snapshot.index_type(("list", &1_u32)),
                snapshot.index_type(("sparse", "a")),
            )
        });
    }
}

#[test]
fn index_type_in_migration() {
    for db in backends() {
        let db = db.db();
        let fork = db.fork();
        fork.get_entry("test.foo").set(1_u8);
        fork.get_entry(("test.bar", &1_u8)).set(2_u8);
        db.merge(fork.into_patch()).unwrap();

        let mut fork = db.fork();
        {
            let migration = Migration::new("test", &fork);
            assert_eq!(migration.index_type("foo"), None);
            migration.create_tombstone("foo");
            assert_eq!(migration.index_type("foo"), Some(IndexType::Tombstone));
            migration.get_entry(("bar", &2_u8)).set(3_u8);
            assert_eq!(migration.index_type(("bar", &2_u8)), Some(IndexType::Entry));
            // The migration does not see the old data, the old data does not see the migration.
            assert_eq!(migration.index_type(("bar", &1_u8)), None);
        }
        assert_eq!(fork.index_type("test.foo"), Some(IndexType::Entry));
        assert_eq!(fork.index_type(("test.bar", &2_u8)), None);

        flush_migration(&mut fork, "test");
        assert_eq!(fork.index_type("test.foo"), None);
        assert_eq!(fork.index_type(("test.bar", &1_u8)), Some(IndexType::Entry));
        assert_eq!(fork.index_type(("test.bar", &2_u8)), Some(IndexType::Entry));
        db.merge(fork.into_patch()).unwrap();

        let snapshot = db.snapshot();
        assert_eq!(snapshot.index_type("test.foo"), None);
        assert_eq!(
            snapshot.get_entry::<_, u8>(("test.bar", &1_u8)).get(),
            Some(2)
        );
        assert_eq!(
            snapshot.get_entry::<_, u8>(("test.bar", &2_u8)).get(),
            Some(3)
        );
        assert_eq!(
            Migration::new("test", &snapshot).index_type("foo"),
            None,
            "the migration is over"
        );
    }
}

#[test]
fn index_type_does_not_create_indexes() {
    for db in backends() {
        let db = db.db();
        let fork = db.fork();
        assert_eq!(fork.index_type("index"), None);
        assert_eq!(fork.index_type(("group", &1_u8)), None);
        assert_eq!(Prefixed::new("p", &fork).index_type("index"), None);
        assert_eq!(Migration::new("ns", &fork).index_type("index"), None);
        db.merge(fork.into_patch()).unwrap();
        let snapshot = db.snapshot();
        assert_eq!(snapshot.index_type("index"), None);
        assert_eq!(common::pool_counter(snapshot.as_ref()), 0);
        assert!(common::pool_keys(snapshot.as_ref()).is_empty());
    }
}

#[test]
fn extension_methods_resolve_by_receiver() {
    let db = TemporaryDB::new();
    let fork = db.fork();
    fork.get_entry("entry").set(1_u8);

    // `&Fork`, by auto-ref: `CopyAccessExt`.
    let entry: Entry<&Fork, u8> = fork.get_entry("entry");
    drop(entry);
    // `ReadonlyFork`, by value.
    let readonly: Entry<ReadonlyFork<'_>, u8> = fork.readonly().get_entry("entry");
    assert_eq!(readonly.get(), Some(1));
    drop(readonly);

    let patch = fork.into_patch();
    // `&Patch`, by auto-ref.
    let from_patch: Entry<&Patch, u8> = patch.get_entry("entry");
    assert_eq!(from_patch.get(), Some(1));
    drop(from_patch);
    db.merge(patch).unwrap();

    // `&Box<dyn Snapshot>` by auto-ref, and `&dyn Snapshot`.
    let snapshot = db.snapshot();
    let boxed: Entry<&Box<dyn Snapshot>, u8> = snapshot.get_entry("entry");
    let unboxed: Entry<&dyn Snapshot, u8> = snapshot.as_ref().get_entry("entry");
    assert_eq!(boxed.get(), unboxed.get());

    // `Rc<dyn Snapshot>` and `Arc<dyn Snapshot>`: `AccessExt`, by reference.
    let rc: Rc<dyn Snapshot> = Rc::from(db.snapshot());
    let from_rc: Entry<Rc<dyn Snapshot>, u8> = rc.get_entry("entry");
    assert_eq!(from_rc.get(), Some(1));
    let arc: std::sync::Arc<dyn Snapshot> = std::sync::Arc::from(db.snapshot());
    let from_arc: Entry<std::sync::Arc<dyn Snapshot>, u8> = arc.get_entry("entry");
    assert_eq!(from_arc.get(), Some(1));

    // `Rc<Fork>`: `AccessExt`, giving owned indexes; its read-only form too.
    let fork = Rc::new(db.fork());
    let owned: Entry<Rc<Fork>, u8> = fork.get_entry("entry");
    drop(owned);
    let readonly: OwnedReadonlyFork = metaldb::AsReadonly::as_readonly(&fork);
    let from_readonly: Entry<OwnedReadonlyFork, u8> = readonly.get_entry("entry");
    assert_eq!(from_readonly.get(), Some(1));

    // Prefixed accesses: `AccessExt`, with indexes over the inner raw access.
    let prefixed = Prefixed::new("p", &snapshot);
    let _: ListIndex<&Box<dyn Snapshot>, u8> = prefixed.get_list("list");
    let _: MapIndex<&Box<dyn Snapshot>, str, u8> = prefixed.get_map("map");
    let _: KeySetIndex<&Box<dyn Snapshot>, [u8]> = prefixed.get_key_set("set");
    let _: SparseListIndex<&Box<dyn Snapshot>, u8> = prefixed.get_sparse_list("sparse");
}

#[test]
fn get_group_builds_nothing_and_members_are_created_lazily() {
    let db = TemporaryDB::new();
    let fork = db.fork();
    let group: metaldb::Group<_, u8, Entry<_, u8>> = fork.get_group("group");
    assert_eq!(fork.index_type(("group", &1_u8)), None);
    group.get(&1).set(1);
    assert_eq!(fork.index_type(("group", &1_u8)), Some(IndexType::Entry));
}
