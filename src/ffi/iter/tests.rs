//! Tests of `mdb_iter`: batches and single steps over every kind of index.

use std::ptr;

use super::*;
use crate::ffi::{
    bytes::mdb_bytes,
    key_set::{mdb_access_key_set, mdb_key_set_free, mdb_key_set_insert, mdb_key_set_iter},
    list::{mdb_access_list, mdb_list_free, mdb_list_iter, mdb_list_push},
    map::{mdb_access_map, mdb_map, mdb_map_free, mdb_map_iter},
    migration::persistent_iter::mdb_persistent_iter_new_map,
    sparse_list::{mdb_access_sparse_list, mdb_sparse_list_free, mdb_sparse_list_iter},
    sparse_list::{mdb_sparse_list_remove, mdb_sparse_list_set},
    status::{MDB_ERR_INVALID_ARGUMENT, MDB_ERR_STALE_HANDLE, MDB_OK},
    test_support::{assert_status, last_message, next_entry, put, KeyValue as Owned, TempFork},
};

/// What one `mdb_iter_next_batch` returned: the entries it copied, and `*out_needed`.
type BatchResult = (Vec<Owned>, usize);

/// Calls `mdb_iter_next_batch` with a buffer of `buf_len` bytes and room for `max`
/// entries, and copies out what it returned.
fn next_batch(iter: *mut mdb_iter, buf_len: usize, max: usize) -> Result<BatchResult, u32> {
    let mut buf = vec![0xAA_u8; buf_len];
    let none = mdb_iter_entry {
        key: ptr::null(),
        key_len: 0,
        value: ptr::null(),
        value_len: 0,
    };
    let mut entries = vec![none; max];
    let (mut count, mut needed) = (usize::MAX, usize::MAX);
    let status = unsafe {
        mdb_iter_next_batch(
            iter,
            buf.as_mut_ptr(),
            buf.len(),
            entries.as_mut_ptr(),
            entries.len(),
            &mut count,
            &mut needed,
        )
    };
    if status != MDB_OK {
        assert_eq!((count, needed), (usize::MAX, usize::MAX), "outputs written");
        return Err(status);
    }
    let range = buf.as_ptr_range();
    let mut end = buf.as_ptr();
    let copied = entries[..count]
        .iter()
        .map(|entry| {
            // Each entry's bytes follow the previous entry's, inside the buffer.
            assert_eq!(entry.key, end, "a key is not where the last entry ended");
            assert_eq!(entry.value, end.wrapping_add(entry.key_len));
            end = entry.value.wrapping_add(entry.value_len);
            assert!(end <= range.end, "an entry ends past the buffer");
            let bytes = |data: *const u8, len| unsafe { std::slice::from_raw_parts(data, len) };
            (
                bytes(entry.key, entry.key_len).to_vec(),
                bytes(entry.value, entry.value_len).to_vec(),
            )
        })
        .collect();
    Ok((copied, needed))
}

/// Walks `iter` to its end in batches of `buf_len` bytes and `max` entries; every batch
/// but the last must copy something.
fn batches_to_end(iter: *mut mdb_iter, buf_len: usize, max: usize) -> Vec<Owned> {
    let mut all = Vec::new();
    loop {
        let (entries, needed) = next_batch(iter, buf_len, max)
            .unwrap_or_else(|status| panic!("status {}: {}", status, last_message()));
        assert_eq!(needed, 0, "an entry does not fit in {} bytes", buf_len);
        assert!(entries.len() <= max);
        if entries.is_empty() {
            return all;
        }
        all.extend(entries);
    }
}

fn steps_to_end(iter: *mut mdb_iter) -> Vec<Owned> {
    std::iter::from_fn(|| next_entry(iter).expect("a step")).collect()
}

/// Opens an iterator with `start`, runs `walk` on it and frees it.
fn with_iter<R>(
    start: impl FnOnce(*mut *mut mdb_iter) -> mdb_status,
    walk: impl FnOnce(*mut mdb_iter) -> R,
) -> R {
    let mut iter = ptr::null_mut();
    assert_status(start(&mut iter), MDB_OK);
    let result = walk(iter);
    unsafe { mdb_iter_free(iter) };
    result
}

/// Entries 0..n of a map: 4-byte keys, values of 0 to 20 bytes; the key of entry 0 and
/// some values are empty.
fn map_entry(i: u32) -> Owned {
    let key = if i == 0 {
        Vec::new()
    } else {
        i.to_be_bytes().to_vec()
    };
    (key, vec![i as u8; (i % 21) as usize])
}

/// More entries than the first windows hold, so that batches cross windows.
const MANY: u32 = 3_000;

fn filled_map(db: &TempFork) -> *mut mdb_map {
    let map = db.open(mdb_access_map, "map");
    for (key, value) in (0..MANY).map(map_entry) {
        assert_status(put(map, &key, &value), MDB_OK);
    }
    map
}

#[test]
fn batches_give_the_entries_single_steps_give_for_every_kind_of_iterator() {
    let db = TempFork::new();
    let map = filled_map(&db);
    let list = db.open(mdb_access_list, "list");
    let sparse = db.open(mdb_access_sparse_list, "sparse");
    let set = db.open(mdb_access_key_set, "set");
    for i in 0..MANY {
        let value = map_entry(i).1;
        let (mut old, mut found) = (mdb_bytes::empty(), false);
        unsafe {
            assert_status(mdb_list_push(list, value.as_ptr(), value.len()), MDB_OK);
            let status = mdb_sparse_list_set(
                sparse,
                u64::from(i) * 3,
                value.as_ptr(),
                value.len(),
                &mut old,
                &mut found,
            );
            assert_status(status, MDB_OK);
            let key = map_entry(i).0;
            assert_status(mdb_key_set_insert(set, key.as_ptr(), key.len()), MDB_OK);
        }
    }
    assert_status(
        unsafe { mdb_sparse_list_remove(sparse, 3, &mut mdb_bytes::empty(), &mut false) },
        MDB_OK,
    );
    type Start<'a> = Box<dyn Fn(*mut *mut mdb_iter) -> mdb_status + 'a>;
    let starts: [(&str, Start<'_>); 4] = [
        (
            "map",
            Box::new(|out| unsafe { mdb_map_iter(map, ptr::null(), 0, out) }),
        ),
        (
            "list",
            Box::new(|out| unsafe { mdb_list_iter(list, 0, out) }),
        ),
        (
            "sparse list",
            Box::new(|out| unsafe { mdb_sparse_list_iter(sparse, 0, out) }),
        ),
        (
            "key set",
            Box::new(|out| unsafe { mdb_key_set_iter(set, ptr::null(), 0, out) }),
        ),
    ];
    for (kind, start) in &starts {
        let steps = with_iter(start, steps_to_end);
        assert!(steps.len() as u32 >= MANY - 1, "{}", kind);
        // A buffer that holds a few entries, one that holds exactly the largest (a list's), and
        // room for few entries or many.
        for (buf_len, max) in [(64, 1000), (8 + 20, 1000), (1 << 16, 7), (1 << 20, 4096)] {
            let batches = with_iter(start, |iter| batches_to_end(iter, buf_len, max));
            assert!(
                batches == steps,
                "{}: batches of {} bytes and {} entries differ from single steps",
                kind,
                buf_len,
                max
            );
        }
    }
    unsafe {
        mdb_map_free(map);
        mdb_list_free(list);
        mdb_sparse_list_free(sparse);
        mdb_key_set_free(set);
    }
}

#[test]
fn batches_and_single_steps_mixed_on_one_iterator_continue_where_the_other_stopped() {
    let db = TempFork::new();
    let map = filled_map(&db);
    let start = |out| unsafe { mdb_map_iter(map, ptr::null(), 0, out) };
    let expected: Vec<Owned> = (0..MANY).map(map_entry).collect();
    let mixed = with_iter(start, |iter| {
        let mut all = Vec::new();
        for round in 0.. {
            // 1 to 3 single steps, then a batch of 1 to 300 entries.
            for _ in 0..round % 3 + 1 {
                all.extend(next_entry(iter).expect("a step"));
            }
            let (entries, needed) = next_batch(iter, 1 << 16, round * 37 % 300 + 1).unwrap();
            assert_eq!(needed, 0);
            if entries.is_empty() {
                return all;
            }
            all.extend(entries);
        }
        unreachable!()
    });
    assert!(
        mixed == expected,
        "mixed steps and batches lost or repeated entries"
    );
    unsafe { mdb_map_free(map) };
}

#[test]
fn an_entry_larger_than_the_buffer_is_reported_with_its_size_and_not_skipped() {
    let db = TempFork::new();
    let map = db.open(mdb_access_map, "map");
    let entries: [(&[u8], &[u8]); 4] =
        [(b"a", b"1"), (b"b", &[7; 100]), (b"c", b""), (b"d", b"22")];
    for (key, value) in entries {
        assert_status(put(map, key, value), MDB_OK);
    }
    let owned = |i: usize| (entries[i].0.to_vec(), entries[i].1.to_vec());
    let start = |out| unsafe { mdb_map_iter(map, ptr::null(), 0, out) };
    // Room for few entries goes through the window; room for many reads straight into the
    // batch.
    for max in [10, FIRST_WINDOW] {
        with_iter(start, |iter| {
            // The first entry fits; the second stops the batch without being reported.
            assert_eq!(next_batch(iter, 50, max).unwrap(), (vec![owned(0)], 0));
            // Alone, it needs 101 bytes: reported again and again, never skipped.
            for _ in 0..3 {
                assert_eq!(next_batch(iter, 50, max).unwrap(), (vec![], 101));
            }
            assert_eq!(next_batch(iter, 100, max).unwrap(), (vec![], 101));
            // An empty buffer: nothing fits but an empty entry.
            let (mut count, mut needed) = (usize::MAX, 0);
            let status = unsafe {
                mdb_iter_next_batch(
                    iter,
                    ptr::null_mut(),
                    0,
                    &mut mdb_iter_entry {
                        key: ptr::null(),
                        key_len: 0,
                        value: ptr::null(),
                        value_len: 0,
                    },
                    1,
                    &mut count,
                    &mut needed,
                )
            };
            assert_status(status, MDB_OK);
            assert_eq!((count, needed), (0, 101));
            // A buffer of exactly its size takes it; the rest follows.
            assert_eq!(next_batch(iter, 101, 1).unwrap(), (vec![owned(1)], 0));
            assert_eq!(
                next_batch(iter, 101, max).unwrap(),
                (vec![owned(2), owned(3)], 0)
            );
        });
        // Or a single step takes the large entry, and batches go on after it.
        with_iter(start, |iter| {
            assert_eq!(next_batch(iter, 50, max).unwrap(), (vec![owned(0)], 0));
            assert_eq!(next_batch(iter, 50, max).unwrap(), (vec![], 101));
            assert_eq!(next_entry(iter), Ok(Some(owned(1))));
            assert_eq!(
                next_batch(iter, 50, max).unwrap(),
                (vec![owned(2), owned(3)], 0)
            );
        });
    }
    unsafe { mdb_map_free(map) };
}

#[test]
fn a_batch_at_the_end_reports_the_end_and_keeps_reporting_it() {
    let db = TempFork::new();
    let map = db.open(mdb_access_map, "map");
    let empty = |out| unsafe { mdb_map_iter(map, ptr::null(), 0, out) };
    with_iter(empty, |iter| {
        for _ in 0..3 {
            assert_eq!(next_batch(iter, 16, 4).unwrap(), (vec![], 0));
        }
        assert_eq!(next_entry(iter), Ok(None));
    });
    assert_status(put(map, b"k", b"v"), MDB_OK);
    with_iter(empty, |iter| {
        assert_eq!(next_batch(iter, 16, 4).unwrap().0.len(), 1);
        assert_eq!(next_batch(iter, 16, 4).unwrap(), (vec![], 0));
        assert_eq!(next_entry(iter), Ok(None));
        assert_eq!(next_batch(iter, 16, 4).unwrap(), (vec![], 0));
    });
    unsafe { mdb_map_free(map) };
}

#[test]
fn a_persistent_iterator_saves_its_position_after_each_batch() {
    let db = TempFork::new();
    let map = filled_map(&db);
    let start = |out| unsafe {
        mdb_persistent_iter_new_map(db.access(), b"pos".as_ptr().cast(), 3, map, out)
    };
    let expected: Vec<Owned> = (0..MANY).map(map_entry).collect();
    let mut resumed = Vec::new();
    // Each iterator takes one batch of 500 and is freed; the next resumes after it.
    for _ in 0..20 {
        let (entries, needed) = with_iter(start, |iter| next_batch(iter, 1 << 16, 500).unwrap());
        assert_eq!(needed, 0);
        if entries.is_empty() {
            break;
        }
        resumed.extend(entries);
    }
    assert!(
        resumed == expected,
        "a resumed batch lost or repeated entries"
    );
    // Its saved position is the end, as after single steps: a new iterator of that name
    // yields nothing.
    let after_end = with_iter(start, |iter| next_batch(iter, 64, 1).unwrap());
    assert_eq!(after_end, (vec![], 0));
    unsafe { mdb_map_free(map) };
}

#[test]
fn null_and_empty_arguments_are_refused_and_the_iterator_does_not_move() {
    let db = TempFork::new();
    let map = filled_map(&db);
    let start = |out| unsafe { mdb_map_iter(map, ptr::null(), 0, out) };
    with_iter(start, |iter| {
        let mut buf = [0_u8; 64];
        let mut entry = mdb_iter_entry {
            key: ptr::null(),
            key_len: 0,
            value: ptr::null(),
            value_len: 0,
        };
        let (mut count, mut needed) = (0_usize, 0_usize);
        let (b, e) = (buf.as_mut_ptr(), &mut entry as *mut mdb_iter_entry);
        let (c, n) = (&mut count as *mut usize, &mut needed as *mut usize);
        type Call = Box<dyn Fn() -> mdb_status>;
        let calls: [(Call, &str); 6] = unsafe {
            [
                (
                    Box::new(move || mdb_iter_next_batch(ptr::null_mut(), b, 64, e, 1, c, n)),
                    "`iter`",
                ),
                (
                    Box::new(move || mdb_iter_next_batch(iter, ptr::null_mut(), 64, e, 1, c, n)),
                    "`buf`",
                ),
                (
                    Box::new(move || mdb_iter_next_batch(iter, b, 64, ptr::null_mut(), 1, c, n)),
                    "`entries`",
                ),
                (
                    Box::new(move || mdb_iter_next_batch(iter, b, 64, e, 0, c, n)),
                    "`entries_len`",
                ),
                (
                    Box::new(move || mdb_iter_next_batch(iter, b, 64, e, 1, ptr::null_mut(), n)),
                    "`out_count`",
                ),
                (
                    Box::new(move || mdb_iter_next_batch(iter, b, 64, e, 1, c, ptr::null_mut())),
                    "`out_needed`",
                ),
            ]
        };
        for (call, parameter) in calls {
            assert_status(call(), MDB_ERR_INVALID_ARGUMENT);
            assert!(last_message().contains(parameter), "{}", last_message());
        }
        assert_eq!((count, needed), (0, 0), "outputs written on failure");
        // Nothing was taken.
        assert_eq!(next_entry(iter), Ok(Some(map_entry(0))));
        // A map handle is not an iterator.
        let status = unsafe { mdb_iter_next_batch(map.cast(), b, 64, e, 1, c, n) };
        assert_status(status, MDB_ERR_INVALID_ARGUMENT);
        assert!(last_message().contains("mdb_map"), "{}", last_message());
    });
    unsafe { mdb_map_free(map) };
}

#[test]
fn a_batch_on_an_iterator_whose_index_went_away_is_stale() {
    let mut db = TempFork::new();
    let map = filled_map(&db);
    let mut iter = ptr::null_mut();
    assert_status(
        unsafe { mdb_map_iter(map, ptr::null(), 0, &mut iter) },
        MDB_OK,
    );
    db.convert_to_patch();
    assert_eq!(next_batch(iter, 64, 4), Err(MDB_ERR_STALE_HANDLE));
    unsafe { (mdb_iter_free(iter), mdb_map_free(map)) };
}

/// Entries of every shape, empty keys and values among them.
const ENTRIES: [KeyValue<'static>; 4] = [
    (b"a", b"first"),
    (b"", b"empty key"),
    (b"empty value", b""),
    (b"", b""),
];

fn filled() -> Window {
    let mut window = Window::default();
    for (key, value) in ENTRIES {
        window.push(key, value);
    }
    window
}

#[test]
fn a_window_gives_back_each_entry_it_packed_in_order() {
    let mut window = filled();
    for (i, entry) in ENTRIES.into_iter().enumerate() {
        assert_eq!(window.next_key(), Some(entry.0), "entry {}", i);
        assert_eq!(window.take(), Some(entry), "entry {}", i);
        assert_eq!(window.current(), Some(entry), "entry {}", i);
    }
    assert!(window.is_exhausted());
    assert_eq!(window.next_key(), None);
    assert_eq!(window.take(), None);
    // The last entry stays lent until the window is refilled.
    assert_eq!(window.current(), Some(ENTRIES[3]));
}

#[test]
fn a_refilled_window_reuses_its_buffer() {
    let mut window = filled();
    while window.take().is_some() {}
    let (bytes, ends) = (window.bytes.as_ptr(), window.ends.as_ptr());
    window.clear();
    assert_eq!(window.current(), None);
    for (key, value) in ENTRIES {
        window.push(key, value);
    }
    assert_eq!(window.take(), Some(ENTRIES[0]));
    assert!(
        window.bytes.as_ptr() == bytes && window.ends.as_ptr() == ends,
        "a refill of the same size reallocated the window"
    );
}
