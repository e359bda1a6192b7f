//! Tests of views: layered reads and iteration, flush and rollback checkpoints, borrows.

use super::*;
use crate::{access::CopyAccessExt, db::write_and_merge, Database, TemporaryDB};

const IDX_NAME: &str = "idx_name";

fn collect(view: &View<impl RawAccess>) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut iter = view.iter_bytes(&[]);
    let mut items = Vec::new();
    while let Some((key, value)) = iter.next() {
        items.push((key.to_vec(), value.to_vec()));
    }
    items
}

fn entry(key: u8, value: u8) -> (Vec<u8>, Vec<u8>) {
    (vec![key], vec![value])
}

#[test]
fn fork_iter_merges_every_kind_of_change_over_stored_data() {
    let db = TemporaryDB::new();
    write_and_merge(&db, |fork| {
        let mut view = View::new(fork, ResolvedAddress::system(IDX_NAME));
        for key in [10_u8, 20, 30] {
            view.put(&key, key);
        }
    });

    let fork = db.fork();
    let mut view = View::new(&fork, ResolvedAddress::system(IDX_NAME));
    // Stored, replaced, inserted, deleted and miss-deleted keys all at once.
    view.put(&20_u8, 21_u8);
    view.put(&25_u8, 25_u8);
    view.remove(&30_u8);
    view.remove(&35_u8);
    view.put(&40_u8, 40_u8);
    assert_eq!(
        collect(&view),
        vec![entry(10, 10), entry(20, 21), entry(25, 25), entry(40, 40)]
    );

    let mut iter = view.iter_bytes(&[21]);
    assert_eq!(iter.peek(), Some((&[25][..], &[25][..])));
    assert_eq!(iter.next(), Some((&[25][..], &[25][..])));
    assert_eq!(iter.next(), Some((&[40][..], &[40][..])));
    assert_eq!(iter.next(), None);
    assert_eq!(iter.peek(), None);
}

#[test]
fn rollback_discards_changes_after_the_last_flush() {
    let db = TemporaryDB::new();
    let mut fork = db.fork();
    fork.get_list("list").extend(vec![1_u32, 2]);
    fork.flush();
    fork.get_list("list").push(3_u32);
    fork.get_map("map").put(&1_u8, 1_u8);
    fork.rollback();

    assert_eq!(
        fork.get_list::<_, u32>("list").iter().collect::<Vec<_>>(),
        vec![1, 2]
    );
    assert_eq!(fork.get_list::<_, u32>("list").len(), 2);
    assert!(fork.index_type("map").is_none());
}

#[test]
fn cleared_view_ignores_every_lower_layer() {
    let db = TemporaryDB::new();
    write_and_merge(&db, |fork| fork.get_map("map").put(&1_u8, 1_u8));

    let mut fork = db.fork();
    fork.get_map::<_, u8, u8>("map").put(&2, 2);
    fork.flush();
    {
        let mut map = fork.get_map::<_, u8, u8>("map");
        map.clear();
        map.put(&3, 3);
        assert_eq!(map.iter().collect::<Vec<_>>(), vec![(3, 3)]);
        assert_eq!(map.get(&1), None);
    }
    fork.flush();
    db.merge(fork.into_patch()).unwrap();
    let snapshot = db.snapshot();
    let map = snapshot.get_map::<_, u8, u8>("map");
    assert_eq!(map.iter().collect::<Vec<_>>(), vec![(3, 3)]);
}

#[test]
#[should_panic(expected = "Multiple mutable borrows of an index at")]
fn two_writable_views_of_one_address_panic() {
    let db = TemporaryDB::new();
    let fork = db.fork();
    let _first = View::new(&fork, ResolvedAddress::system(IDX_NAME));
    let _second = View::new(&fork, ResolvedAddress::system(IDX_NAME));
}

#[test]
#[should_panic(expected = "mutably while it's borrowed immutably")]
fn writable_view_after_a_readonly_one_panics() {
    let db = TemporaryDB::new();
    let fork = db.fork();
    let _reader = View::new(fork.readonly(), ResolvedAddress::system(IDX_NAME));
    let _writer = View::new(&fork, ResolvedAddress::system(IDX_NAME));
}

#[test]
fn readonly_views_share_an_address_and_see_unflushed_changes() {
    let db = TemporaryDB::new();
    let fork = db.fork();
    View::new(&fork, ResolvedAddress::system(IDX_NAME)).put(&1_u8, 2_u8);
    let first = View::new(fork.readonly(), ResolvedAddress::system(IDX_NAME));
    let second = View::new(fork.readonly(), ResolvedAddress::system(IDX_NAME));
    assert_eq!(first.get::<_, u8>(&1_u8), Some(2));
    assert_eq!(second.get::<_, u8>(&1_u8), Some(2));
}

#[test]
fn multi_get_answers_from_changes_and_snapshot_in_order() {
    let db = TemporaryDB::new();
    write_and_merge(&db, |fork| {
        View::new(fork, ResolvedAddress::system(IDX_NAME)).put(&1_u8, 1_u8);
    });
    let fork = db.fork();
    let mut view = View::new(&fork, ResolvedAddress::system(IDX_NAME));
    view.put(&2_u8, 2_u8);
    view.remove(&1_u8);
    view.put(&3_u8, 3_u8);
    let values: Vec<Option<u8>> = view.multi_get::<u8, u8, _>([3_u8, 1, 2, 4]);
    assert_eq!(values, vec![Some(3), None, Some(2), None]);
}

#[test]
fn keys_encode_the_same_whether_built_on_the_stack_or_the_heap() {
    for len in [
        0,
        1,
        INLINE_KEY_LEN - 1,
        INLINE_KEY_LEN,
        INLINE_KEY_LEN + 1,
        300,
    ] {
        let key: String = (0..len)
            .map(|i| char::from(b'a' + (i % 26) as u8))
            .collect();
        assert_eq!(key_bytes(key.as_str()), key.as_bytes());
        with_key_bytes(key.as_str(), |bytes| assert_eq!(bytes, key.as_bytes()));
    }
    assert_eq!(key_bytes(&0x0102_u16), [1, 2]);
    with_key_bytes(&-1_i8, |bytes| assert_eq!(bytes, [0x7F]));
}
