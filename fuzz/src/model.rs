//! The model: the indexes a database, fork, patch or snapshot should contain, by address, and
//! the naming rules of `include/metaldb.h`.

use std::{
    collections::{BTreeMap, BTreeSet},
    rc::Rc,
};

use crate::input::IndexKind;

/// Where an address lives: plain (also reached through prefixes), in a migration, or in a
/// migration's scratchpad.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Space {
    Plain,
    Migration,
    Scratchpad,
}

/// A resolved index address: its space, its full name (`namespace.name` in a namespace) and
/// its group key.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Addr {
    pub space: Space,
    pub name: String,
    pub key: Option<Vec<u8>>,
}

/// The namespace of an access.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Namespace {
    None,
    Prefixed(String),
    Migration(String),
    Scratchpad(String),
}

/// A byte string in the model; shared, since forks copy whole states.
pub type Value = Rc<[u8]>;

/// The contents of one index.
#[derive(Debug, Clone, PartialEq)]
pub enum Index {
    Map(BTreeMap<Vec<u8>, Value>),
    List(Vec<Value>),
    Entry(Option<Value>),
    KeySet(BTreeSet<Vec<u8>>),
    SparseList {
        items: BTreeMap<u64, Value>,
        capacity: u64,
    },
    Tombstone,
}

/// Every index of a database or fork, by address.
pub type State = BTreeMap<Addr, Index>;

/// What an index is: one of the five kinds, or a tombstone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Index(IndexKind),
    Tombstone,
}

impl Index {
    pub fn empty(kind: IndexKind) -> Self {
        match kind {
            IndexKind::Map => Self::Map(BTreeMap::new()),
            IndexKind::List => Self::List(Vec::new()),
            IndexKind::Entry => Self::Entry(None),
            IndexKind::KeySet => Self::KeySet(BTreeSet::new()),
            IndexKind::SparseList => Self::SparseList {
                items: BTreeMap::new(),
                capacity: 0,
            },
        }
    }

    pub fn kind(&self) -> Kind {
        Kind::Index(match self {
            Self::Map(_) => IndexKind::Map,
            Self::List(_) => IndexKind::List,
            Self::Entry(_) => IndexKind::Entry,
            Self::KeySet(_) => IndexKind::KeySet,
            Self::SparseList { .. } => IndexKind::SparseList,
            Self::Tombstone => return Kind::Tombstone,
        })
    }

    /// The `MDB_INDEX_*` code `mdb_access_index_type` reports.
    pub fn type_code(&self) -> u32 {
        match self.kind() {
            Kind::Index(IndexKind::Map) => 1,
            Kind::Index(IndexKind::List) => 2,
            Kind::Index(IndexKind::Entry) => 3,
            Kind::Index(IndexKind::KeySet) => 5,
            Kind::Index(IndexKind::SparseList) => 6,
            Kind::Tombstone => 254,
        }
    }

    /// The entries an iterator yields from `from` on (keys as `mdb_iter_next` lends them).
    pub fn entries_from(&self, from: &[u8]) -> Vec<(Vec<u8>, Value)> {
        let empty: Value = Rc::from(&[][..]);
        match self {
            Self::Map(map) => map
                .range(from.to_vec()..)
                .map(|(key, value)| (key.clone(), Rc::clone(value)))
                .collect(),
            Self::KeySet(set) => set
                .range(from.to_vec()..)
                .map(|key| (key.clone(), Rc::clone(&empty)))
                .collect(),
            Self::List(list) => {
                let start = position_from(from);
                list.iter()
                    .enumerate()
                    .skip(usize::try_from(start).unwrap_or(usize::MAX))
                    .map(|(position, value)| {
                        ((position as u64).to_be_bytes().to_vec(), Rc::clone(value))
                    })
                    .collect()
            }
            Self::SparseList { items, .. } => items
                .range(position_from(from)..)
                .map(|(position, value)| (position.to_be_bytes().to_vec(), Rc::clone(value)))
                .collect(),
            Self::Entry(_) | Self::Tombstone => Vec::new(),
        }
    }
}

/// A list position given as iteration start bytes (8 big-endian bytes, or empty for 0).
pub fn position_from(from: &[u8]) -> u64 {
    from.try_into().map_or(0, u64::from_be_bytes)
}

/// Whether every byte is allowed in a full index name: `[A-Za-z0-9_.-]`.
fn allowed_chars(name: &str, dots: bool) -> bool {
    name.bytes()
        .all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-' || (dots && c == b'.'))
}

/// A valid full index name: not empty, allowed characters, not reserved (starting with `__`
/// without a dot).
pub fn valid_full_name(name: &str) -> bool {
    let reserved = name.starts_with("__") && !name.contains('.');
    !name.is_empty() && allowed_chars(name, true) && !reserved
}

/// A valid prefix or namespace: not empty, `[A-Za-z0-9_-]`.
pub fn valid_component(name: &str) -> bool {
    !name.is_empty() && allowed_chars(name, false)
}

/// Resolves a name (valid UTF-8) through an access's namespace; `None` if the header calls
/// the name invalid there.
pub fn resolve(namespace: &Namespace, name: &str, key: Option<Vec<u8>>) -> Option<Addr> {
    let (space, full, checked) = match namespace {
        Namespace::None => (Space::Plain, name.to_owned(), name.to_owned()),
        Namespace::Prefixed(prefix) => {
            let full = format!("{prefix}.{name}");
            (Space::Plain, full.clone(), full)
        }
        Namespace::Migration(ns) => {
            let full = format!("{ns}.{name}");
            (Space::Migration, full.clone(), full)
        }
        // The scratchpad checks the name relative to its namespace.
        Namespace::Scratchpad(ns) => (Space::Scratchpad, format!("{ns}.{name}"), name.to_owned()),
    };
    (!name.is_empty() && allowed_chars(name, true) && valid_full_name(&checked)).then_some(Addr {
        space,
        name: full,
        key,
    })
}

/// The encoding of a persistent iterator's saved position.
pub fn encode_position(next: Option<&[u8]>) -> Value {
    match next {
        Some(key) => [&[0][..], key].concat().into(),
        None => Rc::from(&[1][..]),
    }
}

/// Bytes saved where a persistent iterator's position goes that are no position for the
/// iterator's kind of index: the library refuses them with `MDB_ERR_INVALID_ARGUMENT`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotAPosition;

/// A saved persistent iterator position: `Ok(None)` for an ended iterator, `Ok(Some(key))` to
/// resume from `key`, or an error if the bytes are no position for `kind`.
pub fn decode_position(bytes: &[u8], kind: IndexKind) -> Result<Option<Vec<u8>>, NotAPosition> {
    match bytes.split_first() {
        Some((0, key)) => {
            let positional = matches!(kind, IndexKind::List | IndexKind::SparseList);
            if positional && key.len() != 8 {
                Err(NotAPosition)
            } else {
                Ok(Some(key.to_vec()))
            }
        }
        Some((1, _)) => Ok(None),
        _ => Err(NotAPosition),
    }
}

/// Flushes the migration in `namespace` in `state`: migrated indexes replace the old ones,
/// tombstones remove them, and the migration's scratchpad is cleared. Returns the addresses
/// changed.
pub fn flush_migration(state: &mut State, namespace: &str) -> BTreeSet<Addr> {
    let prefix = format!("{namespace}.");
    let migrated: Vec<Addr> = state
        .keys()
        .filter(|addr| addr.space == Space::Migration && addr.name.starts_with(&prefix))
        .cloned()
        .collect();
    let mut changed = BTreeSet::new();
    for addr in migrated {
        let index = state.remove(&addr).expect("listed above");
        let target = Addr {
            space: Space::Plain,
            ..addr.clone()
        };
        if index == Index::Tombstone {
            state.remove(&target);
        } else {
            state.insert(target.clone(), index);
        }
        changed.insert(addr);
        changed.insert(target);
    }
    changed.extend(clear_scratchpad(state, namespace));
    changed
}

/// Rolls back the migration in `namespace`: migrated indexes and the scratchpad go. Returns
/// the addresses changed.
pub fn rollback_migration(state: &mut State, namespace: &str) -> BTreeSet<Addr> {
    let prefix = format!("{namespace}.");
    let mut changed: BTreeSet<Addr> = state
        .keys()
        .filter(|addr| addr.space == Space::Migration && addr.name.starts_with(&prefix))
        .cloned()
        .collect();
    state.retain(|addr, _| !changed.contains(addr));
    changed.extend(clear_scratchpad(state, namespace));
    changed
}

fn clear_scratchpad(state: &mut State, namespace: &str) -> BTreeSet<Addr> {
    let prefix = format!("{namespace}.");
    let cleared: BTreeSet<Addr> = state
        .keys()
        .filter(|addr| addr.space == Space::Scratchpad && addr.name.starts_with(&prefix))
        .cloned()
        .collect();
    state.retain(|addr, _| !cleared.contains(addr));
    cleared
}
