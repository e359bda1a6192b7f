//! Persistent iterators (spec §13.6 and the `migration/persistent_iter.rs` tests of §18).
//!
//! The stored position is private, so these tests observe it the way a restarted migration
//! does: by creating the iterator again and looking at what it yields. Where the exact
//! position matters, they also read the position entry's bytes (`[0] ++ key` for "next key",
//! `[1]` for "ended"), which is part of the on-disk format.

mod common;

use std::panic::{self, AssertUnwindSafe};

use metaldb::{
    access::{AccessExt, CopyAccessExt},
    migration::{PersistentIter, PersistentKeys, Scratchpad},
    Database, Fork, IndexType, TemporaryDB,
};
use proptest::{collection::vec, prelude::*};

use common::{backends, proptest_config};

const ENDED: &[u8] = &[1];

fn next_key(key: &[u8]) -> Vec<u8> {
    let mut bytes = vec![0];
    bytes.extend_from_slice(key);
    bytes
}

/// The raw bytes of the position saved under `name` in the scratchpad `ns` of `fork`.
fn position(fork: &Fork, name: &str) -> Option<Vec<u8>> {
    Scratchpad::new("ns", fork)
        .get_entry::<_, Vec<u8>>(name)
        .get()
}

fn fork_with_map(db: &TemporaryDB, keys: impl IntoIterator<Item = u8>) -> Fork {
    let fork = db.fork();
    let mut map = fork.get_map::<_, u8, u64>("map");
    for key in keys {
        map.put(&key, u64::from(key) * 10);
    }
    drop(map);
    fork
}

#[test]
fn map_iterator_resumes_after_the_last_yielded_item_and_then_ends() {
    let db = TemporaryDB::new();
    let fork = fork_with_map(&db, 0..10);
    let map = fork.get_map::<_, u8, u64>("map");
    let scratchpad = Scratchpad::new("ns", &fork);

    let items: Vec<_> = PersistentIter::new(&scratchpad, "iter", &map)
        .take(5)
        .collect();
    assert_eq!(
        items,
        (0..5).map(|i| (i, u64::from(i) * 10)).collect::<Vec<_>>()
    );
    assert_eq!(position(&fork, "iter"), Some(next_key(&[5])));

    let mut iter = PersistentIter::new(&scratchpad, "iter", &map);
    assert_eq!(iter.next(), Some((5, 50)));
    assert_eq!(iter.count(), 4);
    assert_eq!(position(&fork, "iter").as_deref(), Some(ENDED));

    assert_eq!(PersistentIter::new(&scratchpad, "iter", &map).count(), 0);
}

#[test]
fn take_while_also_consumes_the_first_rejected_item() {
    let db = TemporaryDB::new();
    let fork = db.fork();
    let mut map = fork.get_map::<_, str, u64>("map");
    for (i, word) in ["and", "but", "is", "that", "this", "what"]
        .iter()
        .enumerate()
    {
        map.put(word, i as u64);
    }
    drop(map);
    let map = fork.get_map::<_, str, u64>("map");
    let scratchpad = Scratchpad::new("ns", &fork);

    let short: Vec<String> = PersistentIter::new(&scratchpad, "words", &map)
        .skip_values()
        .take_while(|word| word.len() <= 3)
        .collect();
    assert_eq!(short, vec!["and", "but", "is"]);
    // "that" was pulled to be rejected, so the iterator goes on after it.
    assert_eq!(position(&fork, "words"), Some(next_key(b"this")));
    let rest: Vec<String> = PersistentKeys::new(&scratchpad, "words", &map).collect();
    assert_eq!(rest, vec!["this", "what"]);
}

#[test]
fn list_iterator_with_take_then_filter_saves_the_taken_progress() {
    let db = TemporaryDB::new();
    let fork = db.fork();
    fork.get_list("list").extend(0..10_u64);
    let list = fork.get_list::<_, u64>("list");
    let scratchpad = Scratchpad::new("ns", &fork);

    let even: Vec<u64> = PersistentIter::new(&scratchpad, "list", &list)
        .take(5)
        .filter_map(|(_, value)| (value % 2 == 0).then_some(value))
        .collect();
    assert_eq!(even, vec![0, 2, 4]);
    assert_eq!(
        position(&fork, "list"),
        Some(next_key(&5_u64.to_be_bytes()))
    );

    let even: Vec<u64> = PersistentIter::new(&scratchpad, "list", &list)
        .take(3)
        .filter_map(|(_, value)| (value % 2 == 0).then_some(value))
        .collect();
    assert_eq!(even, vec![6]);
    assert_eq!(
        position(&fork, "list"),
        Some(next_key(&8_u64.to_be_bytes()))
    );

    let rest: Vec<(u64, u64)> = PersistentIter::new(&scratchpad, "list", &list).collect();
    assert_eq!(rest, vec![(8, 8), (9, 9)]);
}

#[test]
fn filter_before_take_saves_progress_past_dropped_items() {
    let db = TemporaryDB::new();
    let fork = db.fork();
    fork.get_list("list").extend(0..10_u64);
    let list = fork.get_list::<_, u64>("list");
    let scratchpad = Scratchpad::new("ns", &fork);

    // Two items pass the filter, but four are consumed to find them.
    let odd: Vec<u64> = PersistentIter::new(&scratchpad, "list", &list)
        .filter_map(|(_, value)| (value % 2 == 1).then_some(value))
        .take(2)
        .collect();
    assert_eq!(odd, vec![1, 3]);
    assert_eq!(
        position(&fork, "list"),
        Some(next_key(&4_u64.to_be_bytes()))
    );
}

#[test]
fn skip_and_nth_consume_the_items_they_pass_over() {
    let db = TemporaryDB::new();
    let fork = fork_with_map(&db, 0..10);
    let map = fork.get_map::<_, u8, u64>("map");
    let scratchpad = Scratchpad::new("ns", &fork);

    let mut skipped = PersistentIter::new(&scratchpad, "iter", &map).skip(2);
    assert_eq!(skipped.next(), Some((2, 20)));
    drop(skipped);
    assert_eq!(position(&fork, "iter"), Some(next_key(&[3])));

    // `nth(k)` consumes k + 1 items.
    assert_eq!(
        PersistentIter::new(&scratchpad, "iter", &map).nth(3),
        Some((6, 60))
    );
    assert_eq!(position(&fork, "iter"), Some(next_key(&[7])));
}

#[test]
fn empty_index_ends_at_the_first_next() {
    let db = TemporaryDB::new();
    let fork = db.fork();
    let map = fork.get_map::<_, u8, u64>("map");
    let scratchpad = Scratchpad::new("ns", &fork);

    let mut iter = PersistentIter::new(&scratchpad, "iter", &map);
    assert_eq!(iter.next(), None);
    drop(iter);
    assert_eq!(position(&fork, "iter").as_deref(), Some(ENDED));
}

#[test]
fn unused_iterator_saves_no_position_but_creates_the_entry() {
    let db = TemporaryDB::new();
    let fork = fork_with_map(&db, 0..3);
    let map = fork.get_map::<_, u8, u64>("map");
    let scratchpad = Scratchpad::new("ns", &fork);

    drop(PersistentIter::new(&scratchpad, "iter", &map));
    assert_eq!(position(&fork, "iter"), None);
    assert_eq!(scratchpad.index_type("iter"), Some(IndexType::Entry));
    // So the next iterator starts from the beginning.
    assert_eq!(PersistentIter::new(&scratchpad, "iter", &map).count(), 3);
}

#[test]
fn sparse_list_iterator_resumes_among_gaps() {
    let db = TemporaryDB::new();
    let fork = db.fork();
    let mut list = fork.get_sparse_list::<_, u64>("sparse");
    for index in [0, 2, 5, 7, 8, 11] {
        list.set(index, index * 100);
    }
    drop(list);
    let list = fork.get_sparse_list::<_, u64>("sparse");
    let scratchpad = Scratchpad::new("ns", &fork);

    let indexes: Vec<u64> = PersistentIter::new(&scratchpad, "sparse", &list)
        .take(4)
        .map(|(index, _)| index)
        .collect();
    assert_eq!(indexes, vec![0, 2, 5, 7]);
    assert_eq!(
        position(&fork, "sparse"),
        Some(next_key(&8_u64.to_be_bytes()))
    );
    let rest: Vec<(u64, u64)> = PersistentIter::new(&scratchpad, "sparse", &list).collect();
    assert_eq!(rest, vec![(8, 800), (11, 1100)]);
}

#[test]
fn key_set_keys_iterator_with_nth() {
    let db = TemporaryDB::new();
    let fork = db.fork();
    let mut set = fork.get_key_set::<_, u32>("set");
    for key in 10..15 {
        set.insert(&key);
    }
    drop(set);
    let set = fork.get_key_set::<_, u32>("set");
    let scratchpad = Scratchpad::new("ns", &fork);

    assert_eq!(
        PersistentKeys::new(&scratchpad, "set", &set).nth(2),
        Some(12)
    );
    assert_eq!(
        position(&fork, "set"),
        Some(next_key(&13_u32.to_be_bytes()))
    );
    let rest: Vec<u32> = PersistentKeys::new(&scratchpad, "set", &set).collect();
    assert_eq!(rest, vec![13, 14]);
}

#[test]
fn ended_iterator_stays_ended_when_items_are_added() {
    let db = TemporaryDB::new();
    let fork = fork_with_map(&db, 0..3);
    let scratchpad = Scratchpad::new("ns", &fork);
    {
        let map = fork.get_map::<_, u8, u64>("map");
        assert_eq!(PersistentIter::new(&scratchpad, "iter", &map).count(), 3);
    }
    fork.get_map::<_, u8, u64>("map").put(&100, 1);
    let map = fork.get_map::<_, u8, u64>("map");
    assert_eq!(PersistentIter::new(&scratchpad, "iter", &map).count(), 0);
    assert_eq!(position(&fork, "iter").as_deref(), Some(ENDED));
}

#[test]
fn resumed_iterator_sees_items_after_the_saved_key_only() {
    let db = TemporaryDB::new();
    let fork = fork_with_map(&db, [0, 10, 20]);
    let scratchpad = Scratchpad::new("ns", &fork);
    {
        let map = fork.get_map::<_, u8, u64>("map");
        let first: Vec<u8> = PersistentKeys::new(&scratchpad, "iter", &map)
            .take(1)
            .collect();
        assert_eq!(first, vec![0]);
    }
    assert_eq!(position(&fork, "iter"), Some(next_key(&[10])));

    {
        let mut map = fork.get_map::<_, u8, u64>("map");
        map.put(&5, 5); // Before the saved key: never seen.
        map.put(&15, 15);
        map.put(&30, 30);
        map.remove(&10); // The saved key itself may go: iteration resumes after it.
    }
    let map = fork.get_map::<_, u8, u64>("map");
    let rest: Vec<u8> = PersistentKeys::new(&scratchpad, "iter", &map).collect();
    assert_eq!(rest, vec![15, 20, 30]);
}

#[test]
fn ended_iterator_releases_its_position_entry() {
    let db = TemporaryDB::new();
    let fork = fork_with_map(&db, 0..2);
    let map = fork.get_map::<_, u8, u64>("map");
    let scratchpad = Scratchpad::new("ns", &fork);

    let mut iter = PersistentIter::new(&scratchpad, "iter", &map);
    assert_eq!(iter.by_ref().count(), 2);
    // The iterator still exists, but no longer borrows the entry.
    assert_eq!(position(&fork, "iter").as_deref(), Some(ENDED));
    let again = PersistentIter::new(&scratchpad, "iter", &map);
    // Constructed from a stored `Ended`: it borrows nothing either.
    assert_eq!(position(&fork, "iter").as_deref(), Some(ENDED));
    drop((iter, again));
}

#[test]
#[should_panic(expected = "borrow")]
fn two_active_iterators_with_one_name_panic() {
    let db = TemporaryDB::new();
    let fork = fork_with_map(&db, 0..3);
    let map = fork.get_map::<_, u8, u64>("map");
    let scratchpad = Scratchpad::new("ns", &fork);
    let _first = PersistentIter::new(&scratchpad, "iter", &map);
    let _second = PersistentIter::new(&scratchpad, "iter", &map);
}

#[test]
fn iterators_with_different_names_are_independent() {
    let db = TemporaryDB::new();
    let fork = fork_with_map(&db, 0..6);
    let map = fork.get_map::<_, u8, u64>("map");
    let scratchpad = Scratchpad::new("ns", &fork);
    let mut first = PersistentKeys::new(&scratchpad, "first", &map);
    let mut second = PersistentKeys::new(&scratchpad, "second", &map);
    assert_eq!(first.next(), Some(0));
    assert_eq!(first.next(), Some(1));
    assert_eq!(second.next(), Some(0));
    drop((first, second));
    assert_eq!(position(&fork, "first"), Some(next_key(&[2])));
    assert_eq!(position(&fork, "second"), Some(next_key(&[1])));
}

#[test]
fn position_in_a_plain_fork_uses_ordinary_addresses() {
    let db = TemporaryDB::new();
    let fork = fork_with_map(&db, 0..3);
    let map = fork.get_map::<_, u8, u64>("map");
    let access = &fork;
    assert_eq!(
        PersistentKeys::new(&access, "plain.iter", &map).next(),
        Some(0)
    );
    assert_eq!(fork.index_type("plain.iter"), Some(IndexType::Entry));
    assert_eq!(
        fork.get_entry::<_, Vec<u8>>("plain.iter").get(),
        Some(next_key(&[1]))
    );
}

#[test]
fn invalid_iterator_name_panics() {
    let db = TemporaryDB::new();
    let fork = fork_with_map(&db, 0..3);
    let map = fork.get_map::<_, u8, u64>("map");
    let scratchpad = Scratchpad::new("ns", &fork);
    let err = panic::catch_unwind(AssertUnwindSafe(|| {
        PersistentIter::new(&scratchpad, "bad name", &map);
    }))
    .unwrap_err();
    let message = err.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(message.contains("MerkleDB error"), "{message}");
}

#[test]
#[should_panic(expected = "MerkleDB error")]
fn iterator_name_taken_by_another_index_type_panics() {
    let db = TemporaryDB::new();
    let fork = fork_with_map(&db, 0..3);
    let map = fork.get_map::<_, u8, u64>("map");
    let scratchpad = Scratchpad::new("ns", &fork);
    scratchpad.get_list("iter").push(1_u8);
    PersistentIter::new(&scratchpad, "iter", &map);
}

#[test]
#[should_panic(expected = "Error while deserializing value")]
fn corrupt_position_panics_on_construction() {
    let db = TemporaryDB::new();
    let fork = fork_with_map(&db, 0..3);
    let map = fork.get_map::<_, u8, u64>("map");
    let scratchpad = Scratchpad::new("ns", &fork);
    scratchpad.get_entry("iter").set(vec![2_u8]);
    PersistentIter::new(&scratchpad, "iter", &map);
}

#[test]
fn debug_output_shows_the_position() {
    let db = TemporaryDB::new();
    let fork = fork_with_map(&db, 0..3);
    let map = fork.get_map::<_, u8, u64>("map");
    let scratchpad = Scratchpad::new("ns", &fork);
    let mut iter = PersistentIter::new(&scratchpad, "iter", &map);
    iter.next();
    let debug = format!("{iter:?}");
    assert!(
        debug.contains("PersistentIter") && debug.contains("NextKey(1)"),
        "{debug}"
    );
    iter.by_ref().count();
    assert!(format!("{iter:?}").contains("Ended"));
}

#[test]
fn position_survives_merges_and_reopening() {
    for mut test_db in backends() {
        let fork = test_db.db().fork();
        fork.get_list("list").extend(0..10_u64);
        test_db.db().merge(fork.into_patch()).unwrap();

        let mut seen = Vec::new();
        loop {
            let fork = test_db.db().fork();
            {
                let list = fork.get_list::<_, u64>("list");
                let scratchpad = Scratchpad::new("ns", &fork);
                let before = seen.len();
                seen.extend(
                    PersistentIter::new(&scratchpad, "iter", &list)
                        .take(3)
                        .map(|(_, value)| value),
                );
                if seen.len() == before {
                    break;
                }
            }
            test_db.db().merge(fork.into_patch()).unwrap();
            // Every fork and snapshot is gone: a RocksDB is really reopened.
            test_db.reopen();
        }
        assert_eq!(seen, (0..10).collect::<Vec<_>>());
    }
}

/// Iterating a map in random chunks, re-creating the iterator each time (in a new fork after
/// a merge, or in the same fork), yields every item once, in order.
fn check_chunked_iteration(keys: Vec<u8>, chunks: Vec<(usize, bool)>) {
    let db = TemporaryDB::new();
    let fork = fork_with_map(&db, keys.iter().copied());
    db.merge(fork.into_patch()).unwrap();

    let mut expected: Vec<u8> = keys;
    expected.sort_unstable();
    expected.dedup();

    let mut seen = Vec::new();
    let mut fork = db.fork();
    for (chunk, merge) in chunks.into_iter().cycle().take(300) {
        let before = seen.len();
        {
            let map = fork.get_map::<_, u8, u64>("map");
            let scratchpad = Scratchpad::new("ns", &fork);
            seen.extend(PersistentKeys::new(&scratchpad, "iter", &map).take(chunk));
        }
        if merge {
            db.merge(fork.into_patch()).unwrap();
            fork = db.fork();
        }
        if seen.len() == before {
            break;
        }
    }
    assert_eq!(seen, expected);
}

proptest! {
    #![proptest_config(proptest_config(64))]

    #[test]
    fn chunked_iteration_yields_every_item_once(
        keys in vec(any::<u8>(), 0..40),
        chunks in vec((1..6_usize, any::<bool>()), 1..10),
    ) {
        check_chunked_iteration(keys, chunks);
    }
}
