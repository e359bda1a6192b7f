//! Bad names, wrong index types and undecodable bytes: the exact panic texts of the `get_*`
//! helpers (spec §20.1), the `AccessErrorKind` of `FromAccess` and `Lazy::try_get`, and the
//! guarantee that a failed attempt writes nothing.

mod common;

use std::panic::{catch_unwind, AssertUnwindSafe};

use assert_matches::assert_matches;
use metaldb::{
    access::{
        Access, AccessError, AccessErrorKind, AccessExt, CopyAccessExt, FromAccess, Prefixed,
    },
    migration::{Migration, Scratchpad},
    Database, Entry, Fork, IndexType, KeySetIndex, Lazy, ListIndex, MapIndex, SparseListIndex,
    TemporaryDB,
};

use common::{backends, pool_counter, pool_keys};

/// Runs `f`, which must panic, and returns its panic message.
fn panic_message(f: impl FnOnce()) -> String {
    let payload = catch_unwind(AssertUnwindSafe(f)).expect_err("the call must panic");
    if let Some(message) = payload.downcast_ref::<String>() {
        message.clone()
    } else if let Some(message) = payload.downcast_ref::<&str>() {
        (*message).to_owned()
    } else {
        panic!("panic payload is not a string")
    }
}

/// Merges the fork and checks that the database has exactly the indexes it had before.
fn assert_nothing_written(
    db: &dyn Database,
    fork: Fork,
    counter_before: u64,
    keys_before: &[Vec<u8>],
) {
    db.merge(fork.into_patch()).unwrap();
    let snapshot = db.snapshot();
    assert_eq!(
        pool_counter(snapshot.as_ref()),
        counter_before,
        "pool counter"
    );
    assert_eq!(pool_keys(snapshot.as_ref()), keys_before, "pool keys");
}

// ---- Panic texts of the `get_*` helpers --------------------------------------------------

#[test]
#[should_panic(
    expected = "MerkleDB error: Error accessing IndexAddress { name: \"\", id_in_group: None, \
                in_migration: false }: Index name must not be empty"
)]
fn empty_name_through_get_list_panics() {
    let db = TemporaryDB::new();
    let fork = db.fork();
    fork.get_list::<_, u8>("");
}

#[test]
#[should_panic(
    expected = "MerkleDB error: Error accessing IndexAddress { name: \"__METADATA__\", \
                           id_in_group: None, in_migration: false }: Index name is reserved"
)]
fn reserved_name_through_get_map_panics() {
    let db = TemporaryDB::new();
    let fork = db.fork();
    fork.get_map::<_, u8, u8>("__METADATA__");
}

#[test]
#[should_panic(expected = "Index name is reserved")]
fn reserved_name_without_dots_through_get_entry_panics() {
    let db = TemporaryDB::new();
    let fork = db.fork();
    fork.get_entry::<_, u8>("__system_index");
}

#[test]
#[should_panic(
    expected = "MerkleDB error: Error accessing IndexAddress { name: \"invalid name!\", \
                           id_in_group: None, in_migration: false }: Invalid characters used in \
                           name (invalid name!). Use a-zA-Z0-9 and _-."
)]
fn invalid_chars_through_get_key_set_panic() {
    let db = TemporaryDB::new();
    let fork = db.fork();
    fork.get_key_set::<_, u8>("invalid name!");
}

#[test]
#[should_panic(expected = "Invalid characters used in name (индекс)")]
fn non_ascii_name_through_get_sparse_list_panics() {
    let db = TemporaryDB::new();
    let snapshot = db.snapshot();
    snapshot.get_sparse_list::<_, u8>("индекс");
}

#[test]
#[should_panic(
    expected = "MerkleDB error: Error accessing IndexAddress { name: \"list\", \
                           id_in_group: None, in_migration: false }: Wrong index type: expected \
                           Map, but got List"
)]
fn wrong_index_type_through_get_map_panics() {
    let db = TemporaryDB::new();
    let fork = db.fork();
    fork.get_list::<_, u8>("list");
    fork.get_map::<_, u8, u8>("list");
}

#[test]
#[should_panic(expected = "Wrong index type: expected Entry, but got SparseList")]
fn wrong_index_type_through_a_snapshot_panics() {
    let db = TemporaryDB::new();
    let fork = db.fork();
    fork.get_sparse_list::<_, u8>("sparse");
    db.merge(fork.into_patch()).unwrap();
    db.snapshot().get_entry::<_, u8>("sparse");
}

#[test]
#[should_panic(expected = "Wrong index type: expected KeySet, but got List")]
fn wrong_index_type_of_a_group_member_panics() {
    let db = TemporaryDB::new();
    let fork = db.fork();
    fork.get_list::<_, u8>(("group", &1_u8));
    let group: metaldb::Group<_, u8, KeySetIndex<_, u8>> = fork.get_group("group");
    group.get(&1);
}

#[test]
#[should_panic(expected = "MerkleDB error: Error accessing IndexAddress { name: \"\"")]
fn index_type_of_an_empty_name_panics() {
    let db = TemporaryDB::new();
    db.snapshot().index_type("");
}

#[test]
#[should_panic(expected = "Index name is reserved")]
fn index_type_of_a_reserved_name_panics() {
    let db = TemporaryDB::new();
    let fork = db.fork();
    fork.index_type("__INDEXES_POOL__");
}

#[test]
#[should_panic(expected = "called `Result::unwrap()` on an `Err` value: EmptyName")]
fn empty_prefix_panics() {
    let db = TemporaryDB::new();
    let fork = db.fork();
    Prefixed::new("", &fork);
}

#[test]
#[should_panic(
    expected = "called `Result::unwrap()` on an `Err` value: InvalidCharsInName { \
                           name: \"a.b\", allowed_chars: \"a-zA-Z0-9 and _-\" }"
)]
fn prefix_with_a_dot_panics() {
    let db = TemporaryDB::new();
    let fork = db.fork();
    Prefixed::new("a.b", &fork);
}

#[test]
#[should_panic(expected = "MerkleDB error: Error accessing IndexAddress { name: \"p.bad name\"")]
fn invalid_name_under_a_prefix_reports_the_prefixed_address() {
    let db = TemporaryDB::new();
    let fork = db.fork();
    Prefixed::new("p", &fork).get_list::<_, u8>("bad name");
}

#[test]
#[should_panic(expected = "Invalid characters used in name")]
fn invalid_name_in_a_scratchpad_panics() {
    let db = TemporaryDB::new();
    let fork = db.fork();
    Scratchpad::new("ns", &fork).get_entry::<_, u8>("bad name");
}

#[test]
#[should_panic(expected = "MerkleDB error: Error accessing")]
fn lazy_get_of_the_wrong_type_panics() {
    let db = TemporaryDB::new();
    let fork = db.fork();
    fork.get_list::<_, u8>("list");
    let lazy = Lazy::<_, MapIndex<_, u8, u8>>::from_access(&fork, "list".into()).unwrap();
    lazy.get();
}

// ---- `FromAccess` and `Lazy::try_get` errors ---------------------------------------------

#[test]
fn from_access_reports_each_name_error_kind() {
    let db = TemporaryDB::new();
    let fork = db.fork();

    let err = ListIndex::<_, u8>::from_access(&fork, "".into()).unwrap_err();
    assert_matches!(err.kind, AccessErrorKind::EmptyName);
    assert_eq!(err.addr.name(), "");

    for reserved in ["__METADATA__", "__system_index", "__"] {
        let err = MapIndex::<_, u8, u8>::from_access(&fork, reserved.into()).unwrap_err();
        assert_matches!(err.kind, AccessErrorKind::ReservedName, "{reserved}");
    }
    // A dot makes a double-underscore name ordinary.
    assert!(Entry::<_, u8>::from_access(&fork, "__SYSTEM.INDEX__".into()).is_ok());

    let err = SparseListIndex::<_, u8>::from_access(&fork, "a b".into()).unwrap_err();
    assert_matches!(
        err.kind,
        AccessErrorKind::InvalidCharsInName { ref name, allowed_chars: "a-zA-Z0-9 and _-." }
            if name == "a b"
    );
    assert_eq!(
        err.to_string(),
        "Error accessing IndexAddress { name: \"a b\", id_in_group: None, in_migration: false }: \
         Invalid characters used in name (a b). Use a-zA-Z0-9 and _-."
    );

    // The key part of an address is never validated.
    assert!(KeySetIndex::<_, u8>::from_access(&fork, ("set", "any bytes\0!").into()).is_ok());
}

#[test]
fn from_root_on_a_raw_access_fails_with_an_empty_name() {
    let db = TemporaryDB::new();
    let fork = db.fork();
    let err = ListIndex::<_, u8>::from_root(&fork).unwrap_err();
    assert_matches!(err.kind, AccessErrorKind::EmptyName);
}

#[test]
fn from_access_reports_the_wrong_index_type() {
    for db in backends() {
        let db = db.db();
        let fork = db.fork();
        fork.get_list::<_, u8>("list");
        db.merge(fork.into_patch()).unwrap();

        let snapshot = db.snapshot();
        let err = MapIndex::<_, u8, u8>::from_access(&snapshot, "list".into()).unwrap_err();
        assert_matches!(
            err,
            AccessError {
                ref addr,
                kind: AccessErrorKind::WrongIndexType {
                    expected: IndexType::Map,
                    actual: IndexType::List
                }
            } if addr.name() == "list"
        );
        let fork = db.fork();
        let err = Entry::<_, u8>::from_access(fork.readonly(), "list".into()).unwrap_err();
        assert_matches!(
            err.kind,
            AccessErrorKind::WrongIndexType {
                actual: IndexType::List,
                ..
            }
        );
    }
}

#[test]
fn lazy_reports_the_wrong_type_only_in_try_get() {
    let db = TemporaryDB::new();
    let fork = db.fork();
    fork.get_list("list").extend(vec![1_u32, 2]);
    // Building a lazy index checks nothing, not even the name.
    assert!(Lazy::<_, ListIndex<_, u32>>::from_access(&fork, "bad name".into()).is_ok());

    let lazy = Lazy::<_, ListIndex<_, u32>>::from_access(&fork, "list".into()).unwrap();
    assert_eq!(lazy.get().len(), 2);
    let lazy = Lazy::<_, MapIndex<_, u32, u32>>::from_access(&fork, "list".into()).unwrap();
    assert_matches!(
        lazy.try_get().unwrap_err().kind,
        AccessErrorKind::WrongIndexType {
            expected: IndexType::Map,
            actual: IndexType::List
        }
    );
    let bad = Lazy::<_, Entry<_, u8>>::from_access(&fork, "bad name".into()).unwrap();
    assert_matches!(
        bad.try_get().unwrap_err().kind,
        AccessErrorKind::InvalidCharsInName { .. }
    );
}

#[test]
fn tombstones_outside_a_migration_are_rejected() {
    let db = TemporaryDB::new();
    let fork = db.fork();
    let err = (&fork)
        .get_or_create_view("tomb".into(), IndexType::Tombstone)
        .unwrap_err();
    assert_matches!(err.kind, AccessErrorKind::InvalidTombstone);
    let err = Prefixed::new("p", &fork)
        .get_or_create_view("tomb".into(), IndexType::Tombstone)
        .unwrap_err();
    assert_matches!(err.kind, AccessErrorKind::InvalidTombstone);
    assert_eq!(fork.index_type("tomb"), None);
    assert_eq!(fork.index_type("p.tomb"), None);
}

#[test]
fn migration_errors_carry_the_migrated_address() {
    let db = TemporaryDB::new();
    let fork = db.fork();
    let err = ListIndex::<_, u8>::from_access(Migration::new("ns", &fork), "bad name".into())
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Error accessing IndexAddress { name: \"ns.bad name\", id_in_group: None, \
         in_migration: true }: Invalid characters used in name (ns.bad name). Use a-zA-Z0-9 and _-."
    );
}

// ---- Nothing is written by failed attempts ---------------------------------------------

#[test]
fn failed_attempts_to_open_indexes_write_nothing() {
    for db in backends() {
        let db = db.db();
        let fork = db.fork();
        fork.get_list("list").push(1_u8);
        fork.get_entry(("group", &1_u8)).set(1_u8);
        db.merge(fork.into_patch()).unwrap();
        let snapshot = db.snapshot();
        let counter_before = pool_counter(snapshot.as_ref());
        let keys_before = pool_keys(snapshot.as_ref());
        assert_eq!(counter_before, 2);

        let fork = db.fork();
        // Errors returned by `FromAccess`.
        assert!(ListIndex::<_, u8>::from_access(&fork, "".into()).is_err());
        assert!(ListIndex::<_, u8>::from_access(&fork, "__reserved".into()).is_err());
        assert!(ListIndex::<_, u8>::from_access(&fork, "bad name".into()).is_err());
        assert!(MapIndex::<_, u8, u8>::from_access(&fork, "list".into()).is_err());
        assert!(SparseListIndex::<_, u8>::from_access(&fork, ("group", &1_u8).into()).is_err());
        assert!((&fork)
            .get_or_create_view("tomb".into(), IndexType::Tombstone)
            .is_err());
        {
            // A separate fork: the lazy index's type keeps its fork borrowed for the whole test.
            let probe = db.fork();
            let lazy = Lazy::<_, KeySetIndex<_, u8>>::from_access(&probe, "list".into()).unwrap();
            assert!(lazy.try_get().is_err());
        }

        // Panics of the `get_*` helpers.
        let message = panic_message(|| {
            fork.get_entry::<_, u8>("bad name");
        });
        assert!(
            message.contains("Invalid characters used in name"),
            "{message}"
        );
        let message = panic_message(|| {
            fork.get_key_set::<_, u8>("list");
        });
        assert_eq!(
            message,
            "MerkleDB error: Error accessing IndexAddress { name: \"list\", id_in_group: None, \
             in_migration: false }: Wrong index type: expected KeySet, but got List"
        );
        let message = panic_message(|| {
            fork.index_type("");
        });
        assert!(
            message.contains("Index name must not be empty"),
            "{message}"
        );

        // The indexes that exist are intact and still usable in this fork.
        assert_eq!(fork.index_type("list"), Some(IndexType::List));
        assert_eq!(fork.get_list::<_, u8>("list").len(), 1);
        for name in ["", "__reserved", "bad name", "tomb"] {
            if let Ok(Some(_)) = (&fork).get_index_metadata(name.into()) {
                panic!("{name:?} was created");
            }
        }
        assert_eq!(fork.index_type("tomb"), None);
        assert_nothing_written(db.as_ref(), fork, counter_before, &keys_before);
        assert_eq!(
            db.snapshot()
                .get_list::<_, u8>("list")
                .iter()
                .collect::<Vec<_>>(),
            vec![1]
        );
    }
}

#[test]
fn reading_missing_indexes_through_readonly_accesses_writes_nothing() {
    for db in backends() {
        let db = db.db();
        let counter_before = pool_counter(db.snapshot().as_ref());
        let fork = db.fork();
        {
            let snapshot = db.snapshot();
            assert!(snapshot.get_list::<_, u8>("list").is_empty());
            assert!(fork
                .readonly()
                .get_map::<_, u8, u8>("map")
                .get(&1)
                .is_none());
            assert_eq!(fork.index_type("entry"), None);
        }
        assert_eq!(fork.index_type("list"), None);
        assert_eq!(fork.index_type("map"), None);
        assert_nothing_written(db.as_ref(), fork, counter_before, &[]);
    }
}

// ---- Undecodable bytes ------------------------------------------------------------------

#[test]
#[should_panic(expected = "Error while deserializing value")]
fn reading_a_value_of_another_type_with_get_panics() {
    let db = TemporaryDB::new();
    let fork = db.fork();
    fork.get_entry("entry").set(0xFFFF_FFFF_u32);
    // Four 0xFF bytes are no UTF-8.
    fork.get_entry::<_, String>("entry").get();
}

#[test]
#[should_panic(expected = "Error while deserializing value")]
fn reading_a_short_value_with_list_get_panics() {
    let db = TemporaryDB::new();
    let fork = db.fork();
    fork.get_list("list").push(1_u8);
    fork.get_list::<_, u64>("list").get(0);
}

#[test]
#[should_panic(expected = "Error while deserializing value")]
fn popping_an_undecodable_value_panics() {
    let db = TemporaryDB::new();
    let fork = db.fork();
    fork.get_list("list").push(1_u8);
    fork.get_list::<_, u32>("list").pop();
}

#[test]
#[should_panic(expected = "Error while deserializing value")]
fn multi_get_of_an_undecodable_value_panics() {
    let db = TemporaryDB::new();
    let fork = db.fork();
    fork.get_map::<_, u8, u8>("map").put(&1, 2);
    fork.get_map::<_, u8, bool>("map").put(&2, true);
    fork.get_map::<_, u8, bool>("map").multi_get([2_u8, 1]);
}

#[test]
#[should_panic(expected = "Unable to decode value from bytes")]
fn iterating_over_undecodable_values_panics() {
    let db = TemporaryDB::new();
    let fork = db.fork();
    fork.get_map::<_, u8, u8>("map").put(&1, 7);
    fork.get_map::<_, u8, u64>("map").iter().count();
}

#[test]
fn value_only_and_key_only_iterators_do_not_decode_the_other_half() {
    let db = TemporaryDB::new();
    let fork = db.fork();
    fork.get_map::<_, u8, u8>("map").put(&1, 7);
    // Keys only: the one-byte value is never decoded as a u64.
    let keys: Vec<u8> = fork.get_map::<_, u8, u64>("map").keys().collect();
    assert_eq!(keys, vec![1]);
    // Values only: the one-byte key is never decoded as a u32.
    let values: Vec<u8> = fork.get_map::<_, u32, u8>("map").values().collect();
    assert_eq!(values, vec![7]);
}

#[test]
#[should_panic(expected = "Error reading UTF-8 string")]
fn reading_a_non_utf8_key_as_str_panics() {
    let db = TemporaryDB::new();
    let fork = db.fork();
    fork.get_map::<_, u32, u8>("map").put(&0xFFFF_FFFF, 1);
    fork.get_map::<_, str, u8>("map").keys().count();
}

#[test]
fn integer_values_ignore_trailing_bytes() {
    let db = TemporaryDB::new();
    let fork = db.fork();
    fork.get_entry("entry").set(0x0102_u16);
    assert_eq!(fork.get_entry::<_, u8>("entry").get(), Some(0x02));
}
