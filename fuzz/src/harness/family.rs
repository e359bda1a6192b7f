//! Families: a parent handle's object (fork, patch, snapshot or migration helper) and every
//! child opened from it, with the model's state of that object. And the table of the parent
//! handle types ([`Parent`]): their pool in the harness and their `mdb_*_free`.

use std::{collections::BTreeSet, ptr};

use super::{check::Expect, DbId, FamilyId, Harness};
use crate::{
    abi::*,
    input::{Pick, Slot},
    model::{Addr, State},
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum FamilyKind {
    Fork,
    Patch,
    Snapshot,
    Helper { namespace: String },
}

/// A family: a parent handle's object and every child opened from it.
pub(super) struct Family {
    pub(super) db: DbId,
    pub(super) kind: FamilyKind,
    /// Taken by a consuming call: every handle of the family is stale.
    pub(super) consumed: bool,
    /// Children made in an earlier epoch are stale.
    pub(super) epoch: u64,
    pub(super) exact: bool,
    /// The database version the family's state was taken from.
    pub(super) base_version: usize,
    pub(super) state: State,
    /// The state `mdb_fork_rollback` returns to.
    pub(super) checkpoint: State,
    /// Every address changed since the base state (conservatively: every successful write),
    /// and every index created since (it took an identifier).
    pub(super) touched: BTreeSet<Addr>,
    /// Live handles of the family: the parent's and its children's.
    pub(super) handles: usize,
    /// For a helper: whether its migration was aborted.
    pub(super) aborted: bool,
}

impl Family {
    pub(super) fn writable(&self) -> bool {
        matches!(self.kind, FamilyKind::Fork | FamilyKind::Helper { .. })
    }

    pub(super) fn touch(&mut self, addr: &Addr) {
        self.touched.insert(addr.clone());
    }
}

/// A handle that belongs to a family: a parent handle, or an abort handle (of the helper
/// family it aborts).
pub(super) struct FamilyHandle<T> {
    pub(super) ptr: *mut T,
    pub(super) family: FamilyId,
}

/// The parent handle types: where the harness keeps the live ones, and how C frees them.
pub(super) trait Parent: Sized {
    fn pool(harness: &Harness) -> &Vec<FamilyHandle<Self>>;
    fn pool_mut(harness: &mut Harness) -> &mut Vec<FamilyHandle<Self>>;
    /// `mdb_*_free`.
    ///
    /// # Safety
    ///
    /// `handle` is NULL or a live handle, freed once.
    unsafe fn free(handle: *mut Self);
}

macro_rules! parent {
    ($type:ty, $pool:ident, $free:ident) => {
        impl Parent for $type {
            fn pool(harness: &Harness) -> &Vec<FamilyHandle<Self>> {
                &harness.$pool
            }

            fn pool_mut(harness: &mut Harness) -> &mut Vec<FamilyHandle<Self>> {
                &mut harness.$pool
            }

            unsafe fn free(handle: *mut Self) {
                // SAFETY: as the caller promises.
                unsafe { $free(handle) }
            }
        }
    };
}

parent!(mdb_fork, forks, mdb_fork_free);
parent!(mdb_patch, patches, mdb_patch_free);
parent!(mdb_snapshot, snapshots, mdb_snapshot_free);
parent!(mdb_migration_helper, helpers, mdb_migration_helper_free);

impl Harness {
    pub(super) fn new_family(
        &mut self,
        db: DbId,
        kind: FamilyKind,
        state: State,
        base: usize,
    ) -> FamilyId {
        let exact = self.dbs[db].exact;
        self.families.push(Family {
            db,
            kind,
            consumed: false,
            epoch: 0,
            exact,
            base_version: base,
            checkpoint: state.clone(),
            state,
            touched: BTreeSet::new(),
            handles: 1,
            aborted: false,
        });
        self.families.len() - 1
    }

    /// A new family on the current state of `db`.
    pub(super) fn family_of_db(&mut self, db: DbId, kind: FamilyKind) -> FamilyId {
        let state = self.dbs[db].state.clone();
        let base = self.dbs[db].merges.len();
        self.new_family(db, kind, state, base)
    }

    /// A family that carries on the state and changes of a consumed one (a fork's patch, a
    /// patch's fork).
    pub(super) fn derived_family(&mut self, from: FamilyId, kind: FamilyKind) -> FamilyId {
        let from = &self.families[from];
        let (db, state, base) = (from.db, from.state.clone(), from.base_version);
        let (touched, exact) = (from.touched.clone(), from.exact);
        let id = self.new_family(db, kind, state, base);
        let family = &mut self.families[id];
        family.touched = touched;
        family.exact = exact;
        id
    }

    /// Ends a family: its handles are stale from now on.
    pub(super) fn consume(&mut self, family: FamilyId) {
        let family = &mut self.families[family];
        family.consumed = true;
        family.epoch += 1;
    }

    pub(super) fn stale(&self, family: FamilyId, epoch: u64) -> bool {
        let family = &self.families[family];
        family.consumed || family.epoch != epoch
    }

    /// Resolves a parent handle argument: `None` if there is no such handle (the operation
    /// is skipped), else the pointer to pass and its family (`None` for NULL).
    pub(super) fn parent<T: Parent>(&self, slot: Slot) -> Option<(*mut T, Option<FamilyId>)> {
        let pool = T::pool(self);
        Some(match slot.pick(pool.len())? {
            Pick::Null => (ptr::null_mut(), None),
            Pick::Index(i) => (pool[i].ptr, Some(pool[i].family)),
        })
    }

    /// The expectations of a call on the parent handle of `family` (`None` for NULL) whose
    /// other arguments are `invalid` or not: it fails on NULL, on an invalid argument, and
    /// once the parent is consumed.
    pub(super) fn parent_expect(&self, family: Option<FamilyId>, invalid: bool) -> Expect {
        let mut expect = Expect::default();
        expect.error_if(family.is_none() || invalid, MDB_ERR_INVALID_ARGUMENT);
        if let Some(family) = family {
            expect.error_if(self.families[family].consumed, MDB_ERR_STALE_HANDLE);
        }
        expect
    }

    /// Keeps a new parent handle of `family`.
    pub(super) fn add_parent<T: Parent>(&mut self, ptr: *mut T, family: FamilyId) {
        T::pool_mut(self).push(FamilyHandle { ptr, family });
    }

    /// Frees the parent handle `pick` (or NULL) and forgets it.
    pub(super) fn free_parent<T: Parent>(&mut self, pick: Pick) {
        match pick {
            // SAFETY: NULL.
            Pick::Null => unsafe { T::free(ptr::null_mut()) },
            Pick::Index(i) => {
                let handle = T::pool_mut(self).remove(i);
                // SAFETY: a live handle, removed from its pool.
                unsafe { T::free(handle.ptr) };
                self.families[handle.family].handles -= 1;
            }
        }
    }

    /// Frees every parent handle of type `T` still live, at the end of an input.
    pub(super) fn free_parents<T: Parent>(&mut self) {
        while !T::pool(self).is_empty() {
            self.free_parent::<T>(Pick::Index(0));
        }
    }
}
