//! [`ChangeMap`]: the pending changes of one address, ordered by key, each a [`Change`].
//!
//! Forks mostly write keys in increasing order: list pushes, and maps filled from sorted data.
//! A `BTreeMap` searches its whole right edge for each such append, comparing the new key with
//! dozens of others. A change map keeps a run of increasing keys that are above every other
//! key apart instead, where an append costs one comparison. Keys that arrive out of order go
//! to the tree; when a new key falls inside the run, the run moves to the tree first. Each
//! change moves at most once, so no sequence of writes costs more than with a tree alone.
//!
//! The run's keys and values are copied into a few large chunks of bytes, one record after
//! the other, rather than kept in a vector (key) and a vector (value) of their own per change:
//! a fork of N changes then makes a few allocations instead of 2N (and as many frees when it
//! is merged), and holds little more memory than the bytes of its keys and values (a record
//! adds 8 bytes of lengths, the run 8 bytes of position; BENCHMARKS.md, "Memory").

use std::{
    collections::{btree_map, BTreeMap},
    fmt, slice,
};

/// One pending change to a key.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Change {
    /// The key is set to this value.
    Put(Vec<u8>),
    /// The key is removed, whether or not it existed.
    Delete,
}

/// A change read from a [`ChangeMap`]: [`Change`] with the value borrowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ChangeRef<'a> {
    /// The key is set to this value.
    Put(&'a [u8]),
    /// The key is removed.
    Delete,
}

impl ChangeRef<'_> {
    pub(crate) fn to_owned(self) -> Change {
        match self {
            Self::Put(value) => Change::Put(value.to_vec()),
            Self::Delete => Change::Delete,
        }
    }
}

impl Change {
    pub(crate) fn as_ref(&self) -> ChangeRef<'_> {
        match self {
            Self::Put(value) => ChangeRef::Put(value),
            Self::Delete => ChangeRef::Delete,
        }
    }
}

/// Bytes before a record's key: the key's length and the value's (or [`DELETED`]), as
/// little-endian `u32`s.
const RECORD_HEADER_LEN: usize = 8;
/// The value length of a record that deletes its key.
const DELETED: u32 = u32::MAX;
/// Smallest and largest chunk allocated for records (a bigger record gets a chunk of its own
/// size). A new chunk holds half of what was written so far, within these bounds: small forks
/// allocate little, big ones waste at most one chunk.
const MIN_CHUNK_LEN: usize = 256;
const MAX_CHUNK_LEN: usize = 256 * 1024;

/// Where a record of the run starts: its chunk, and its offset in the chunk.
#[derive(Debug, Clone, Copy)]
struct Position {
    chunk: u32,
    offset: u32,
}

/// Where a new change of a key goes.
enum Place {
    /// To the tree.
    Tree,
    /// To the tree, after the run: the key falls between two keys of the run.
    InsideRun,
    /// After the run's last record.
    Append,
    /// Over the run's record at this index.
    Replace(usize),
}

/// The pending changes of one address: a sorted map from keys to changes.
#[derive(Clone, Default)]
pub(crate) struct ChangeMap {
    /// Every key below the keys of `run`.
    tree: BTreeMap<Vec<u8>, Change>,
    /// The records of strictly increasing keys, all above the keys of `tree`.
    run: Vec<Position>,
    /// The records of the run: key length, value length, key, value.
    chunks: Vec<Vec<u8>>,
    /// Bytes written to `chunks`, and how many of them belong to records that were replaced.
    written: usize,
    garbage: usize,
}

impl fmt::Debug for ChangeMap {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.debug_map().entries(self.iter()).finish()
    }
}

/// The length of `change`'s value as a record stores it, if a record can: keys and values
/// of 4 GiB and more cannot.
fn record_value_len(key: &[u8], change: ChangeRef<'_>) -> Option<u32> {
    u32::try_from(key.len()).ok()?;
    match change {
        ChangeRef::Put(value) => u32::try_from(value.len())
            .ok()
            .filter(|&len| len != DELETED),
        ChangeRef::Delete => Some(DELETED),
    }
}

fn record_len(key: &[u8], value_len: u32) -> usize {
    let value_len = if value_len == DELETED {
        0
    } else {
        value_len as usize
    };
    RECORD_HEADER_LEN + key.len() + value_len
}

/// Reads the record at `offset` of `chunk`.
fn read_record(chunk: &[u8], offset: usize) -> (&[u8], ChangeRef<'_>) {
    let field = |at: usize| {
        u32::from_le_bytes(
            chunk[offset + at..offset + at + 4]
                .try_into()
                .expect("4 bytes"),
        )
    };
    let (key_len, value_len) = (field(0) as usize, field(4));
    let key_start = offset + RECORD_HEADER_LEN;
    let key = &chunk[key_start..key_start + key_len];
    let change = if value_len == DELETED {
        ChangeRef::Delete
    } else {
        let value_start = key_start + key_len;
        ChangeRef::Put(&chunk[value_start..value_start + value_len as usize])
    };
    (key, change)
}

/// Appends a record to the last of `chunks`, or to a new chunk if it does not fit, and returns
/// where it starts. `value_len` is `record_value_len(key, change)`.
fn append_record(
    chunks: &mut Vec<Vec<u8>>,
    written: &mut usize,
    key: &[u8],
    change: ChangeRef<'_>,
    value_len: u32,
) -> Position {
    let len = record_len(key, value_len);
    let fits = chunks
        .last()
        .is_some_and(|chunk| chunk.capacity() - chunk.len() >= len);
    if !fits {
        let chunk_len = (*written / 2).clamp(MIN_CHUNK_LEN, MAX_CHUNK_LEN).max(len);
        chunks.push(Vec::with_capacity(chunk_len));
    }
    let chunk_index = chunks.len() - 1;
    let chunk = &mut chunks[chunk_index];
    let offset = chunk.len();
    chunk.extend_from_slice(&(key.len() as u32).to_le_bytes());
    chunk.extend_from_slice(&value_len.to_le_bytes());
    chunk.extend_from_slice(key);
    if let ChangeRef::Put(value) = change {
        chunk.extend_from_slice(value);
    }
    *written += len;
    Position {
        chunk: u32::try_from(chunk_index).expect("fewer than 2^32 chunks"),
        // A record that starts past 4 GiB is alone in its chunk, at offset 0.
        offset: u32::try_from(offset).expect("chunks of records are far below 4 GiB"),
    }
}

impl ChangeMap {
    pub(crate) fn is_empty(&self) -> bool {
        self.tree.is_empty() && self.run.is_empty()
    }

    pub(crate) fn clear(&mut self) {
        *self = Self::default();
    }

    fn record(&self, position: Position) -> (&[u8], ChangeRef<'_>) {
        read_record(
            &self.chunks[position.chunk as usize],
            position.offset as usize,
        )
    }

    fn run_key(&self, index: usize) -> &[u8] {
        self.record(self.run[index]).0
    }

    /// Where a change of `key` goes.
    fn place(&self, key: &[u8]) -> Place {
        let Some(&last) = self.run.last() else {
            return match self.tree.last_key_value() {
                Some((last, _)) if key <= last.as_slice() => Place::Tree,
                _ => Place::Append,
            };
        };
        if key > self.record(last).0 {
            return Place::Append;
        }
        if key < self.run_key(0) {
            return Place::Tree;
        }
        match self.run_position(key) {
            Ok(index) => Place::Replace(index),
            Err(_) => Place::InsideRun,
        }
    }

    /// Sets the change of `key`, replacing any previous one.
    pub(crate) fn insert(&mut self, key: &[u8], change: Change) {
        match self.place_for(key, change.as_ref()) {
            Some(place) => self.write_record(place, key, change.as_ref()),
            None => {
                self.tree.insert(key.to_vec(), change);
            }
        }
    }

    /// Sets the change of `key` to a copy of `change`.
    fn insert_ref(&mut self, key: &[u8], change: ChangeRef<'_>) {
        match self.place_for(key, change) {
            Some(place) => self.write_record(place, key, change),
            None => {
                self.tree.insert(key.to_vec(), change.to_owned());
            }
        }
    }

    /// Where in the run `key`'s change goes, or `None` for the tree, after moving the run
    /// to the tree if the key falls inside it without being one of its keys.
    fn place_for(&mut self, key: &[u8], change: ChangeRef<'_>) -> Option<Place> {
        match self.place(key) {
            Place::Tree => None,
            Place::InsideRun => {
                self.move_run_to_tree();
                None
            }
            // A change that no record can hold takes the run with it to the tree.
            _ if record_value_len(key, change).is_none() => {
                self.move_run_to_tree();
                None
            }
            place => Some(place),
        }
    }

    fn write_record(&mut self, place: Place, key: &[u8], change: ChangeRef<'_>) {
        let value_len = record_value_len(key, change).expect("checked by place_for");
        match place {
            Place::Append => {
                let position =
                    append_record(&mut self.chunks, &mut self.written, key, change, value_len);
                self.run.push(position);
            }
            Place::Replace(index) => self.replace(index, key, change, value_len),
            Place::Tree | Place::InsideRun => unreachable!("place_for sends these to the tree"),
        }
    }

    /// Replaces the change of the run's record `index`, whose key is `key`: in place if the
    /// new value has the old one's length, else by a new record (the old one's bytes are then
    /// garbage, collected once they outweigh the live ones).
    fn replace(&mut self, index: usize, key: &[u8], change: ChangeRef<'_>, value_len: u32) {
        let position = self.run[index];
        let old_value_len = match self.record(position).1 {
            ChangeRef::Put(value) => value.len() as u32,
            ChangeRef::Delete => DELETED,
        };
        if old_value_len == value_len {
            if let ChangeRef::Put(value) = change {
                let start = position.offset as usize + RECORD_HEADER_LEN + key.len();
                self.chunks[position.chunk as usize][start..start + value.len()]
                    .copy_from_slice(value);
            }
            return;
        }
        self.garbage += record_len(key, old_value_len);
        self.run[index] =
            append_record(&mut self.chunks, &mut self.written, key, change, value_len);
        if self.garbage > MIN_CHUNK_LEN && self.garbage * 2 > self.written {
            self.compact();
        }
    }

    /// Copies the live records of the run into new chunks, leaving the garbage behind.
    fn compact(&mut self) {
        let old = std::mem::take(&mut self.chunks);
        self.written = 0;
        self.garbage = 0;
        for position in &mut self.run {
            let (key, change) =
                read_record(&old[position.chunk as usize], position.offset as usize);
            let value_len = record_value_len(key, change).expect("stored records fit");
            *position = append_record(&mut self.chunks, &mut self.written, key, change, value_len);
        }
    }

    /// Where `key` is in the run, or where it would go.
    fn run_position(&self, key: &[u8]) -> Result<usize, usize> {
        self.run
            .binary_search_by(|&position| self.record(position).0.cmp(key))
    }

    fn move_run_to_tree(&mut self) {
        let run = std::mem::take(&mut self.run);
        let entries = run.iter().map(|&position| {
            let (key, change) = self.record(position);
            (key.to_vec(), change.to_owned())
        });
        if self.tree.is_empty() {
            // Built from sorted entries at once, without a search per key.
            self.tree = entries.collect();
        } else {
            let entries: Vec<_> = entries.collect();
            self.tree.extend(entries);
        }
        self.chunks = Vec::new();
        self.written = 0;
        self.garbage = 0;
    }

    /// Whether `key` belongs to the run rather than to the tree.
    fn in_run(&self, key: &[u8]) -> bool {
        self.run
            .first()
            .is_some_and(|&first| key >= self.record(first).0)
    }

    pub(crate) fn get(&self, key: &[u8]) -> Option<ChangeRef<'_>> {
        if self.in_run(key) {
            let index = self.run_position(key).ok()?;
            Some(self.record(self.run[index]).1)
        } else {
            self.tree.get(key).map(Change::as_ref)
        }
    }

    /// Layers the changes of `newer` over these.
    pub(crate) fn extend_from(&mut self, newer: &ChangeMap) {
        for (key, change) in newer.iter() {
            self.insert_ref(key, change);
        }
    }

    /// The bytes of the keys and values of the changes, and how many changes there are.
    pub(crate) fn data_len(&self) -> (usize, usize) {
        let live = self.written - self.garbage;
        let run = (live - self.run.len() * RECORD_HEADER_LEN, self.run.len());
        self.tree.iter().fold(run, |(bytes, count), (key, change)| {
            let value_len = match change {
                Change::Put(value) => value.len(),
                Change::Delete => 0,
            };
            (bytes + key.len() + value_len, count + 1)
        })
    }

    /// Iterates over the changes in key order.
    pub(crate) fn iter(&self) -> Range<'_> {
        self.range_from(&[])
    }

    /// Iterates over the changes of the keys `>= from`, in key order.
    pub(crate) fn range_from(&self, from: &[u8]) -> Range<'_> {
        let run_start = self
            .run
            .partition_point(|&position| self.record(position).0 < from);
        Range {
            tree: self
                .tree
                .range::<[u8], _>((std::ops::Bound::Included(from), std::ops::Bound::Unbounded)),
            run: self.run[run_start..].iter(),
            map: self,
        }
    }

    pub(crate) fn keys(&self) -> impl Iterator<Item = &[u8]> + '_ {
        self.iter().map(|(key, _)| key)
    }
}

/// An iterator over some of the changes of a [`ChangeMap`], in key order.
pub(crate) struct Range<'a> {
    tree: btree_map::Range<'a, Vec<u8>, Change>,
    run: slice::Iter<'a, Position>,
    map: &'a ChangeMap,
}

impl<'a> Iterator for Range<'a> {
    type Item = (&'a [u8], ChangeRef<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        match self.tree.next() {
            Some((key, change)) => Some((key, change.as_ref())),
            None => self.run.next().map(|&position| self.map.record(position)),
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::{collection::vec, prelude::*};

    use super::*;

    #[derive(Debug, Clone)]
    enum Action {
        Put(u8, u8),
        Delete(u8),
        Clear,
        /// Layers a map made of these puts over the map under test.
        Extend(Vec<(u8, u8)>),
    }

    fn action() -> impl Strategy<Value = Action> {
        // Keys mostly increase, with some going back, so that runs form and are broken.
        prop_oneof![
            6 => (any::<u8>(), any::<u8>()).prop_map(|(key, value)| Action::Put(key, value)),
            2 => any::<u8>().prop_map(Action::Delete),
            1 => Just(Action::Clear),
            1 => vec((any::<u8>(), any::<u8>()), 0..8).prop_map(Action::Extend),
        ]
    }

    fn key(key: u8) -> Vec<u8> {
        // Keys of one and two bytes, so that prefixes sort before their extensions.
        if key.is_multiple_of(3) {
            vec![key / 2]
        } else {
            vec![key / 2, key]
        }
    }

    /// A value whose length depends on `value` (0 to 40 bytes), so that replacing a change
    /// sometimes keeps the record's length and sometimes does not.
    fn value(value: u8) -> Vec<u8> {
        vec![value; usize::from(value % 5) * 10]
    }

    fn check(map: &ChangeMap, model: &BTreeMap<Vec<u8>, Change>) {
        let entries: Vec<_> = map
            .iter()
            .map(|(k, c)| (k.to_vec(), c.to_owned()))
            .collect();
        let expected: Vec<_> = model.iter().map(|(k, c)| (k.clone(), c.clone())).collect();
        assert_eq!(entries, expected);
        for probe in (0..=u8::MAX).step_by(5) {
            let probe = key(probe);
            assert_eq!(map.get(&probe), model.get(&probe).map(Change::as_ref));
            let range: Vec<_> = map.range_from(&probe).map(|(k, _)| k.to_vec()).collect();
            let expected: Vec<_> = model.range(probe..).map(|(k, _)| k.clone()).collect();
            assert_eq!(range, expected);
        }
        assert_eq!(map.is_empty(), model.is_empty());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        #[test]
        fn change_map_behaves_as_a_sorted_map(
            actions in vec(action(), 1..60),
            sequential in vec(0_u8..=255, 0..40),
        ) {
            let mut map = ChangeMap::default();
            let mut model = BTreeMap::new();
            // An increasing prefix builds a run before the random actions.
            let mut sorted = sequential;
            sorted.sort_unstable();
            for byte in sorted {
                map.insert(&key(byte), Change::Delete);
                model.insert(key(byte), Change::Delete);
            }
            for action in actions {
                match action {
                    Action::Put(k, v) => {
                        map.insert(&key(k), Change::Put(value(v)));
                        model.insert(key(k), Change::Put(value(v)));
                    }
                    Action::Delete(k) => {
                        map.insert(&key(k), Change::Delete);
                        model.insert(key(k), Change::Delete);
                    }
                    Action::Clear => {
                        map.clear();
                        model.clear();
                    }
                    Action::Extend(puts) => {
                        let mut newer = ChangeMap::default();
                        for (k, v) in puts {
                            newer.insert(&key(k), Change::Put(value(v)));
                            model.insert(key(k), Change::Put(value(v)));
                        }
                        map.extend_from(&newer);
                    }
                }
                check(&map, &model);
            }
        }
    }

    #[test]
    fn increasing_keys_stay_in_the_run_and_a_key_inside_it_moves_it() {
        let mut map = ChangeMap::default();
        for byte in [1_u8, 2, 3, 5] {
            map.insert(&[byte], Change::Delete);
        }
        assert!(map.tree.is_empty());
        assert_eq!(map.run.len(), 4);
        map.insert(&[0], Change::Delete);
        assert_eq!(map.run.len(), 4, "a key below the run goes to the tree");
        map.insert(&[3], Change::Put(vec![3]));
        assert_eq!(map.run.len(), 4, "a key of the run is replaced in place");
        map.insert(&[4], Change::Delete);
        assert!(
            map.run.is_empty(),
            "a new key inside the run moves it to the tree"
        );
        let keys: Vec<_> = map.keys().map(<[u8]>::to_vec).collect();
        assert_eq!(keys, [[0], [1], [2], [3], [4], [5]]);
        assert_eq!(map.get(&[3]), Some(ChangeRef::Put(&[3])));
    }

    #[test]
    fn a_run_of_many_changes_lives_in_a_few_chunks_barely_larger_than_its_records() {
        let mut map = ChangeMap::default();
        let count = 100_000_u32;
        for key in 0..count {
            map.insert(&key.to_be_bytes(), Change::Put(vec![7; 64]));
        }
        assert!(map.tree.is_empty());
        let records = count as usize * (RECORD_HEADER_LEN + 4 + 64);
        let reserved: usize = map.chunks.iter().map(Vec::capacity).sum();
        assert_eq!(map.written, records);
        assert!(
            reserved <= records + MAX_CHUNK_LEN,
            "{reserved} bytes reserved for {records}"
        );
        // 7.6 MB in chunks of 256 KiB, after the smaller chunks that a small fork starts with.
        assert!(map.chunks.len() < 64, "{} chunks", map.chunks.len());
        assert_eq!(
            map.get(&77_u32.to_be_bytes()),
            Some(ChangeRef::Put(&[7; 64]))
        );
    }

    #[test]
    fn rewriting_a_key_with_values_of_other_lengths_keeps_memory_bounded() {
        let mut map = ChangeMap::default();
        map.insert(b"a", Change::Delete);
        map.insert(b"b", Change::Put(vec![1; 10]));
        for round in 0..10_000_usize {
            map.insert(b"b", Change::Put(vec![round as u8; round % 50]));
            // Same length: rewritten in place.
            map.insert(b"a", Change::Put(vec![round as u8; 3]));
        }
        assert_eq!(
            map.get(b"a"),
            Some(ChangeRef::Put(&[(9_999 % 256) as u8; 3]))
        );
        assert_eq!(
            map.get(b"b"),
            Some(ChangeRef::Put(&vec![(9_999 % 256) as u8; 9_999 % 50][..]))
        );
        assert!(
            map.written < 4 * MIN_CHUNK_LEN,
            "{} bytes written for two keys",
            map.written
        );
        let keys: Vec<_> = map.keys().collect();
        assert_eq!(keys, [b"a", b"b"]);
    }
}
