//! Identifiers of the indexes a patch creates: provisional in its fork, final at merge.
//!
//! A fork gives each index it creates the next identifier of the pool's counter as its
//! snapshot saw it. Two forks of one database see the same counter, so on their own they
//! would give two new indexes one identifier: one key prefix in one column family, and the
//! two indexes' data mixed. metaldb 1.0.0 leaves that to its callers ("merge forks that create
//! indexes sequentially"); a database shared by threads of a C, Go or Python program cannot.
//!
//! So the identifiers a fork hands out are provisional, and a merge makes them final while it
//! holds its database's merge lock:
//!
//! * If no index was created since the fork's snapshot (the counter has not moved), every
//!   provisional identifier is final as it is, and the patch is written exactly as metaldb
//!   1.0.0 would have written it.
//! * Otherwise each index the patch created is renumbered. If a merge since then has created
//!   the same index (the same fully qualified name), the patch's writes go to that index, key
//!   by key, as if it had existed when the fork was made; if that index has another type, the
//!   merge is refused and writes nothing. Any other index takes the next identifier of the
//!   counter as it is now.
//!
//! The provisional identifiers of a patch are the ones above its snapshot's counter, up to the
//! counter it writes: only the indexes it created can hold them.

use std::{
    borrow::Cow,
    collections::{BTreeMap, HashMap},
    num::NonZeroU64,
    ops::RangeInclusive,
};

use super::{
    metadata::{CorruptMetadata, IndexMetadata, IndexesPool, COUNTER_KEY, INDEXES_POOL_NAME},
    Change, ChangeRef, ResolvedAddress, Snapshot, ViewChanges,
};
use crate::{error::ErrorKind, BinaryValue, Error, Result};

/// The changes of a patch, by address.
type Changes = HashMap<ResolvedAddress, ViewChanges>;

/// Whether `changes` created an index: creating one is the only way to write the counter.
pub(crate) fn creates_indexes(changes: &Changes) -> bool {
    written_counter(changes).is_some()
}

/// The bytes of the counter that `changes` write, if they write it.
fn written_counter(changes: &Changes) -> Option<&[u8]> {
    let pool = changes.get(&ResolvedAddress::system(INDEXES_POOL_NAME))?;
    match pool.data.get(&COUNTER_KEY)? {
        ChangeRef::Put(bytes) => Some(bytes),
        ChangeRef::Delete => None,
    }
}

/// Makes the identifiers that `changes` (made on top of `base`) gave to new indexes final
/// against `current`, the database as the patch will land on it. `current` must not change
/// until the patch is written: backends call this under their merge lock.
///
/// # Errors
///
/// An error of kind `Conflict` if the patch created an index that a merge since `base` has
/// created with another type, and of kind `Corruption` if the stored counter or metadata
/// does not decode. `changes` is left as it was in both cases.
pub(crate) fn assign(
    base: &dyn Snapshot,
    changes: &mut Changes,
    current: &dyn Snapshot,
) -> Result<()> {
    let Some(written) = written_counter(changes) else {
        return Ok(());
    };
    let written = u64::from_bytes(Cow::Borrowed(written)).map_err(|err| {
        Error::with_kind(
            ErrorKind::Corruption,
            format!("the patch's identifier counter does not decode: {err}"),
        )
    })?;
    let current_pool = IndexesPool::new(current);
    current_pool.check_counter().map_err(corruption)?;
    let base_count = IndexesPool::new(base).len();
    let current_count = current_pool.len();
    if current_count == base_count {
        return Ok(());
    }

    let pool_address = ResolvedAddress::system(INDEXES_POOL_NAME);
    let provisional = base_count + 1..=written;
    let created = created_indexes(&changes[&pool_address], &provisional)?;

    let base_pool = IndexesPool::new(base);
    let mut count = current_count;
    let mut final_ids = HashMap::with_capacity(created.len());
    for (provisional_id, (fqn, metadata)) in &created {
        // A name that existed in the base was replaced by a flushed migration, whose index
        // takes the place of the old one with a new identifier; only a name new to the base
        // can have been created by another fork too.
        let existing = if base_pool
            .checked_index_metadata(fqn)
            .map_err(corruption)?
            .is_some()
        {
            None
        } else {
            current_pool
                .checked_index_metadata(fqn)
                .map_err(corruption)?
        };
        let final_id = match existing {
            Some(existing) if existing.index_type() != metadata.index_type() => {
                return Err(conflict(fqn, &existing, metadata));
            }
            Some(existing) => existing.identifier(),
            None => {
                count += 1;
                NonZeroU64::new(count).expect("the counter only grows from zero")
            }
        };
        final_ids.insert(*provisional_id, final_id);
    }

    let pool = changes
        .get_mut(&pool_address)
        .expect("a patch that creates indexes writes the pool");
    for (provisional_id, (fqn, metadata)) in created {
        let metadata = metadata.with_identifier(final_ids[&provisional_id]);
        pool.data.insert(&fqn, Change::Put(metadata.into_bytes()));
    }
    pool.data
        .insert(&COUNTER_KEY, Change::Put(count.into_bytes()));

    // A provisional identifier without an index (created, then rolled back with its migration)
    // names nothing: its changes are dropped, as they could only land in another index.
    let renumbered =
        std::mem::take(changes)
            .into_iter()
            .filter_map(|(address, data)| match address.id {
                Some(id) if provisional.contains(&id.get()) => {
                    let final_id = *final_ids.get(&id.get())?;
                    Some((ResolvedAddress::new(address.name, Some(final_id)), data))
                }
                _ => Some((address, data)),
            });
    *changes = renumbered.collect();
    Ok(())
}

/// The indexes whose metadata the changes of the pool write with a provisional identifier,
/// by that identifier, in the order they were created.
fn created_indexes(
    pool: &ViewChanges,
    provisional: &RangeInclusive<u64>,
) -> Result<BTreeMap<u64, (Vec<u8>, IndexMetadata)>> {
    let mut created = BTreeMap::new();
    for (fqn, change) in pool.data.iter() {
        let ChangeRef::Put(bytes) = change else {
            continue;
        };
        if fqn == COUNTER_KEY {
            continue;
        }
        let metadata = IndexMetadata::from_bytes(Cow::Borrowed(bytes)).map_err(|err| {
            Error::with_kind(
                ErrorKind::Corruption,
                format!(
                    "the patch's metadata of {} does not decode: {err}",
                    describe_index(fqn)
                ),
            )
        })?;
        let id = metadata.identifier().get();
        if provisional.contains(&id) {
            created.insert(id, (fqn.to_vec(), metadata));
        }
    }
    Ok(created)
}

fn corruption(err: CorruptMetadata) -> Error {
    Error::with_kind(ErrorKind::Corruption, err.to_string())
}

fn conflict(fqn: &[u8], existing: &IndexMetadata, created: &IndexMetadata) -> Error {
    Error::with_kind(
        ErrorKind::Conflict,
        format!(
            "cannot merge: this fork created {} as a {:?}, but a fork merged after it was made \
             created the same index as a {:?}; nothing was written",
            describe_index(fqn),
            created.index_type(),
            existing.index_type()
        ),
    )
}

/// A fully qualified name as a user would recognise it: the index name, and the group key in
/// hex for a group member.
fn describe_index(fqn: &[u8]) -> String {
    match fqn.iter().position(|&byte| byte == 0) {
        Some(at) => format!(
            "the index {:?} with group key {:02x?}",
            String::from_utf8_lossy(&fqn[..at]),
            &fqn[at + 1..]
        ),
        None => format!("the index {:?}", String::from_utf8_lossy(fqn)),
    }
}
