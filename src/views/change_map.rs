//! [`ChangeMap`]: the pending changes of one address, ordered by key, each a [`Change`].
//!
//! Forks mostly write keys in increasing order: list pushes, and maps filled from sorted data.
//! A `BTreeMap` searches its whole right edge for each such append, comparing the new key with
//! dozens of others. A change map keeps a run of increasing keys that are above every other
//! key in a vector instead, where an append costs one comparison. Keys that arrive out of
//! order go to the tree; when a new key falls inside the run, the run moves to the tree first.
//! Each change moves at most once, so no sequence of writes costs more than with a tree alone.

use std::{
    collections::{btree_map, BTreeMap},
    fmt, iter, slice, vec,
};

/// One pending change to a key.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Change {
    /// The key is set to this value.
    Put(Vec<u8>),
    /// The key is removed, whether or not it existed.
    Delete,
}

/// The pending changes of one address: a sorted map from keys to changes.
#[derive(Clone, Default)]
pub(crate) struct ChangeMap {
    /// Every key below the keys of `run`.
    tree: BTreeMap<Vec<u8>, Change>,
    /// Strictly increasing keys, all above the keys of `tree`.
    run: Vec<(Vec<u8>, Change)>,
}

impl fmt::Debug for ChangeMap {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.debug_map().entries(self.iter()).finish()
    }
}

impl ChangeMap {
    pub(crate) fn is_empty(&self) -> bool {
        self.tree.is_empty() && self.run.is_empty()
    }

    pub(crate) fn clear(&mut self) {
        self.tree.clear();
        self.run.clear();
    }

    /// Sets the change of `key`, replacing any previous one.
    pub(crate) fn insert(&mut self, key: Vec<u8>, change: Change) {
        let Some((first, _)) = self.run.first() else {
            match self.tree.last_key_value() {
                Some((last, _)) if key <= *last => {
                    self.tree.insert(key, change);
                }
                _ => self.run.push((key, change)),
            }
            return;
        };
        if key < *first {
            self.tree.insert(key, change);
            return;
        }
        let (last, _) = self.run.last().expect("the run has a first key");
        if key > *last {
            self.run.push((key, change));
            return;
        }
        match self.run_position(&key) {
            Ok(position) => self.run[position].1 = change,
            Err(_) => {
                self.move_run_to_tree();
                self.tree.insert(key, change);
            }
        }
    }

    /// Where `key` is in the run, or where it would go.
    fn run_position(&self, key: &[u8]) -> Result<usize, usize> {
        self.run
            .binary_search_by(|(run_key, _)| run_key.as_slice().cmp(key))
    }

    fn move_run_to_tree(&mut self) {
        let run = std::mem::take(&mut self.run);
        if self.tree.is_empty() {
            // Built from sorted entries at once, without a search per key.
            self.tree = run.into_iter().collect();
        } else {
            self.tree.extend(run);
        }
    }

    /// Whether `key` belongs to the run rather than to the tree.
    fn in_run(&self, key: &[u8]) -> bool {
        self.run
            .first()
            .is_some_and(|(first, _)| key >= first.as_slice())
    }

    pub(crate) fn get(&self, key: &[u8]) -> Option<&Change> {
        if self.in_run(key) {
            let position = self.run_position(key).ok()?;
            Some(&self.run[position].1)
        } else {
            self.tree.get(key)
        }
    }

    pub(crate) fn get_mut(&mut self, key: &[u8]) -> Option<&mut Change> {
        if self.in_run(key) {
            let position = self.run_position(key).ok()?;
            Some(&mut self.run[position].1)
        } else {
            self.tree.get_mut(key)
        }
    }

    /// Iterates over the changes in key order.
    pub(crate) fn iter(&self) -> Range<'_> {
        self.range_from(&[])
    }

    /// Iterates over the changes of the keys `>= from`, in key order.
    pub(crate) fn range_from(&self, from: &[u8]) -> Range<'_> {
        let run_start = self.run.partition_point(|(key, _)| key.as_slice() < from);
        Range {
            tree: self
                .tree
                .range::<[u8], _>((std::ops::Bound::Included(from), std::ops::Bound::Unbounded)),
            run: self.run[run_start..].iter(),
        }
    }

    pub(crate) fn keys(&self) -> impl Iterator<Item = &[u8]> + '_ {
        self.iter().map(|(key, _)| key)
    }
}

impl Extend<(Vec<u8>, Change)> for ChangeMap {
    fn extend<I: IntoIterator<Item = (Vec<u8>, Change)>>(&mut self, changes: I) {
        for (key, change) in changes {
            self.insert(key, change);
        }
    }
}

impl IntoIterator for ChangeMap {
    type Item = (Vec<u8>, Change);
    type IntoIter = iter::Chain<btree_map::IntoIter<Vec<u8>, Change>, vec::IntoIter<Self::Item>>;

    /// The changes in key order.
    fn into_iter(self) -> Self::IntoIter {
        self.tree.into_iter().chain(self.run)
    }
}

/// An iterator over some of the changes of a [`ChangeMap`], in key order.
pub(crate) struct Range<'a> {
    tree: btree_map::Range<'a, Vec<u8>, Change>,
    run: slice::Iter<'a, (Vec<u8>, Change)>,
}

impl<'a> Iterator for Range<'a> {
    type Item = (&'a [u8], &'a Change);

    fn next(&mut self) -> Option<Self::Item> {
        match self.tree.next() {
            Some((key, change)) => Some((key, change)),
            None => self
                .run
                .next()
                .map(|(key, change)| (key.as_slice(), change)),
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

    fn check(map: &ChangeMap, model: &BTreeMap<Vec<u8>, Change>) {
        let entries: Vec<_> = map.iter().map(|(k, c)| (k.to_vec(), c.clone())).collect();
        let expected: Vec<_> = model.iter().map(|(k, c)| (k.clone(), c.clone())).collect();
        assert_eq!(entries, expected);
        for probe in (0..=u8::MAX).step_by(5) {
            let probe = key(probe);
            assert_eq!(map.get(&probe), model.get(&probe));
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
                map.insert(key(byte), Change::Delete);
                model.insert(key(byte), Change::Delete);
            }
            for action in actions {
                match action {
                    Action::Put(k, value) => {
                        map.insert(key(k), Change::Put(vec![value]));
                        model.insert(key(k), Change::Put(vec![value]));
                    }
                    Action::Delete(k) => {
                        map.insert(key(k), Change::Delete);
                        model.insert(key(k), Change::Delete);
                    }
                    Action::Clear => {
                        map.clear();
                        model.clear();
                    }
                    Action::Extend(puts) => {
                        let mut newer = ChangeMap::default();
                        for (k, value) in puts {
                            newer.insert(key(k), Change::Put(vec![value]));
                            model.insert(key(k), Change::Put(vec![value]));
                        }
                        map.extend(newer);
                    }
                }
                check(&map, &model);
            }
            if let Some((first, _)) = model.first_key_value() {
                let first = first.clone();
                if let Some(Change::Put(value)) = map.get_mut(&first) {
                    value.push(0);
                }
                if let Some(Change::Put(value)) = model.get_mut(&first) {
                    value.push(0);
                }
                check(&map, &model);
            }
            let owned: Vec<_> = map.into_iter().collect();
            let expected: Vec<_> = model.into_iter().collect();
            prop_assert_eq!(owned, expected);
        }
    }

    #[test]
    fn increasing_keys_stay_in_the_run_and_a_key_inside_it_moves_it() {
        let mut map = ChangeMap::default();
        for byte in [1_u8, 2, 3, 5] {
            map.insert(vec![byte], Change::Delete);
        }
        assert!(map.tree.is_empty());
        assert_eq!(map.run.len(), 4);
        map.insert(vec![0], Change::Delete);
        assert_eq!(map.run.len(), 4, "a key below the run goes to the tree");
        map.insert(vec![3], Change::Put(vec![3]));
        assert_eq!(map.run.len(), 4, "a key of the run is replaced in place");
        map.insert(vec![4], Change::Delete);
        assert!(
            map.run.is_empty(),
            "a new key inside the run moves it to the tree"
        );
        let keys: Vec<_> = map.keys().map(<[u8]>::to_vec).collect();
        assert_eq!(keys, [[0], [1], [2], [3], [4], [5]]);
        assert_eq!(map.get(&[3]), Some(&Change::Put(vec![3])));
    }
}
