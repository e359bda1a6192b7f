//! Migration helper handles (`mdb_migration_helper_*`), abort handles
//! (`mdb_abort_handle_*`), and the migration calls on forks and accesses (`mdb_migration_*`).

use super::{
    check::{check, namespace_arg, out, sentinel, Expect},
    family::{FamilyHandle, FamilyKind},
    AccessInfo, FamilyId, Harness,
};
use crate::{
    abi::*,
    input::{AbortCall, GroupKey, HelperView, Name, Nulls, Op, Pick, Slot},
    model::{self, Index, Kind, Namespace},
};

impl Harness {
    pub(super) fn helper_new(
        &mut self,
        op: &Op,
        db: Slot,
        namespace: &Name,
        with_abort: bool,
        nulls: Nulls,
    ) {
        let Some((db_ptr, db)) = self.db_arg(db) else {
            return;
        };
        let c_namespace = namespace.to_c_namespace();
        let (ns, ns_len) = (c_namespace.ptr().cast(), c_namespace.len());
        let (mut helper, mut abort) = (sentinel(), sentinel());
        let out_helper = out(nulls.has(0), &mut helper);
        // SAFETY: a live handle or NULL, a string argument, out-pointers or NULL.
        let status = unsafe {
            if with_abort {
                let out_abort = out(nulls.has(1), &mut abort);
                mdb_migration_helper_new_with_abort(db_ptr, ns, ns_len, out_helper, out_abort)
            } else {
                mdb_migration_helper_new(db_ptr, ns, ns_len, out_helper)
            }
        };
        let name = namespace_arg(&c_namespace);
        let mut expect = Expect::default();
        expect.error_if(
            db.is_none() || nulls.any(if with_abort { 2 } else { 1 }) || name.is_none(),
            MDB_ERR_INVALID_ARGUMENT,
        );
        if check(op, status, &expect) {
            let namespace = name.expect("checked");
            let family = self.family_of_db(db.expect("checked"), FamilyKind::Helper { namespace });
            self.add_parent(helper, family);
            if with_abort {
                self.aborts.push(FamilyHandle { ptr: abort, family });
            }
        }
    }

    pub(super) fn helper_namespace(&self, family: FamilyId) -> String {
        match &self.families[family].kind {
            FamilyKind::Helper { namespace } => namespace.clone(),
            _ => unreachable!("helper handles belong to helper families"),
        }
    }

    pub(super) fn helper_view(&mut self, op: &Op, helper: Slot, view: HelperView, nulls: Nulls) {
        let Some((helper_ptr, family)) = self.parent::<mdb_migration_helper>(helper) else {
            return;
        };
        let mut access = sentinel();
        let function = match view {
            HelperView::NewData => mdb_migration_helper_new_data,
            HelperView::OldData => mdb_migration_helper_old_data,
            HelperView::Scratchpad => mdb_migration_helper_scratchpad,
        };
        // SAFETY: a live handle or NULL, an out-pointer or NULL.
        let status = unsafe { function(helper_ptr, out(nulls.has(0), &mut access)) };
        let expect = self.parent_expect(family, nulls.has(0));
        if check(op, status, &expect) {
            let family = family.expect("checked");
            let namespace = self.helper_namespace(family);
            let (readonly, namespace) = match view {
                HelperView::NewData => (false, Namespace::Migration(namespace)),
                HelperView::OldData => (true, Namespace::Prefixed(namespace)),
                HelperView::Scratchpad => (false, Namespace::Scratchpad(namespace)),
            };
            self.add_access(access, family, readonly, namespace);
        }
    }

    /// `mdb_migration_helper_merge`, or `mdb_migration_helper_finish` (`finish`), which
    /// consumes the helper.
    pub(super) fn helper_merge(&mut self, op: &Op, helper: Slot, finish: bool) {
        let Some((helper_ptr, family)) = self.parent::<mdb_migration_helper>(helper) else {
            return;
        };
        // SAFETY: a live handle or NULL.
        let status = unsafe {
            if finish {
                mdb_migration_helper_finish(helper_ptr)
            } else {
                mdb_migration_helper_merge(helper_ptr)
            }
        };
        let mut expect = self.parent_expect(family, false);
        let Some(family) = family else {
            check(op, status, &expect);
            return;
        };
        let fam = &self.families[family];
        let aborted = !fam.consumed && fam.aborted;
        expect.error_if(aborted, MDB_ERR_ABORTED);
        // A step that created an index which a merge since created with another type is
        // refused, and the helper is unusable after it, as after an abort.
        let conflict = !fam.consumed && !aborted && self.changes_index_types(fam.db, family);
        expect.maybe_if(conflict, MDB_ERR_CONFLICT);
        let succeeded = check(op, status, &expect);
        if aborted || (conflict && status == MDB_ERR_CONFLICT) || (finish && succeeded) {
            self.consume(family);
        }
        if succeeded {
            self.helper_merged(family, finish);
        }
    }

    /// A helper's step reached the database: the helper goes on with a fresh fork.
    pub(super) fn helper_merged(&mut self, family: FamilyId, finish: bool) {
        let db = self.families[family].db;
        self.apply_to_db(db, family);
        if !finish {
            let state = self.dbs[db].state.clone();
            let (version, exact) = (self.dbs[db].merges.len(), self.dbs[db].exact);
            let fam = &mut self.families[family];
            fam.epoch += 1;
            fam.checkpoint = state.clone();
            fam.state = state;
            fam.base_version = version;
            fam.exact = exact;
            fam.touched.clear();
        }
    }

    pub(super) fn abort(&mut self, op: &Op, handle: Slot, call: AbortCall) {
        let Some(handle) = handle.pick(self.aborts.len()) else {
            return;
        };
        let (ptr, family) = match handle {
            Pick::Null => (std::ptr::null_mut(), None),
            Pick::Index(i) => (self.aborts[i].ptr, Some(self.aborts[i].family)),
        };
        match call {
            AbortCall::Abort => {
                // SAFETY: a live handle or NULL.
                let status = unsafe { mdb_abort_handle_abort(ptr) };
                let mut expect = Expect::default();
                expect.error_if(family.is_none(), MDB_ERR_INVALID_ARGUMENT);
                if check(op, status, &expect) {
                    self.families[family.expect("checked")].aborted = true;
                }
            }
            AbortCall::IsFinished { nulls } => {
                let mut finished = false;
                // SAFETY: a live handle or NULL, an out-pointer or NULL.
                let status =
                    unsafe { mdb_abort_handle_is_finished(ptr, out(nulls.has(0), &mut finished)) };
                let mut expect = Expect::default();
                expect.error_if(family.is_none() || nulls.has(0), MDB_ERR_INVALID_ARGUMENT);
                if check(op, status, &expect) {
                    let fam = &self.families[family.expect("checked")];
                    let helper_gone = fam.consumed || fam.handles == 0;
                    assert_eq!(finished, helper_gone, "{op:?}: is_finished");
                }
            }
            AbortCall::Forget | AbortCall::Free => {
                // SAFETY: a live handle, removed from the pool below, or NULL.
                unsafe {
                    if matches!(call, AbortCall::Free) {
                        mdb_abort_handle_free(ptr);
                    } else {
                        mdb_abort_handle_forget(ptr);
                    }
                }
                if let Pick::Index(i) = handle {
                    self.aborts.remove(i);
                    if matches!(call, AbortCall::Free) {
                        self.families[family.expect("a handle")].aborted = true;
                    }
                }
            }
        }
    }

    /// `mdb_migration_flush`, or `mdb_migration_rollback` (`rollback`), on a fork.
    pub(super) fn migration_finalize(
        &mut self,
        op: &Op,
        fork: Slot,
        namespace: &Name,
        rollback: bool,
    ) {
        let Some((fork_ptr, family)) = self.parent::<mdb_fork>(fork) else {
            return;
        };
        let c_namespace = namespace.to_c_namespace();
        let (ns, ns_len) = (c_namespace.ptr().cast(), c_namespace.len());
        // SAFETY: a live handle or NULL and a string argument.
        let status = unsafe {
            if rollback {
                mdb_migration_rollback(fork_ptr, ns, ns_len)
            } else {
                mdb_migration_flush(fork_ptr, ns, ns_len)
            }
        };
        let name = namespace_arg(&c_namespace);
        let expect = self.parent_expect(family, name.is_none());
        if check(op, status, &expect) {
            let namespace = name.expect("checked");
            let family = &mut self.families[family.expect("checked")];
            let changed = if rollback {
                model::rollback_migration(&mut family.state, &namespace)
            } else {
                model::flush_migration(&mut family.state, &namespace)
            };
            family.touched.extend(changed);
            // Like `mdb_fork_flush`, the call makes a checkpoint after its changes.
            family.checkpoint = family.state.clone();
            family.epoch += 1;
        }
    }

    pub(super) fn tombstone(&mut self, op: &Op, access: AccessInfo, name: &Name, key: &GroupKey) {
        let (c_name, c_key) = (name.to_c_name(), key.to_c());
        // SAFETY: a live access or NULL and string arguments. The access may be a borrowed
        // (const) one, as a caller that casts the const away passes: the library refuses any
        // access but a writable migration one at run time.
        let status = unsafe {
            mdb_migration_create_tombstone(
                access.ptr.cast_mut(),
                c_name.ptr().cast(),
                c_name.len(),
                c_key.ptr(),
                c_key.len(),
            )
        };
        let mut expect = Expect::default();
        let addr = self.address(&mut expect, &access, &c_name, key, &c_key);
        if !access.ptr.is_null() {
            expect.error_if(
                !matches!(access.namespace, Namespace::Migration(_)),
                MDB_ERR_INVALID_ARGUMENT,
            );
            expect.error_if(!self.access_writable(&access), MDB_ERR_READONLY);
        }
        let stale = !access.ptr.is_null() && self.access_stale(&access);
        if let (Some(addr), false) = (&addr, stale) {
            let family = &self.families[access.family];
            if let Some(index) = family.state.get(addr) {
                expect.error_if(index.kind() != Kind::Tombstone, MDB_ERR_WRONG_TYPE);
            }
            expect.maybe_if(!family.exact, MDB_ERR_WRONG_TYPE);
            let (writers, readers) = self.holders(access.family, addr);
            expect.error_if(writers + readers > 0, MDB_ERR_BORROWED);
        }
        if check(op, status, &expect) {
            let addr = addr.expect("checked");
            let family = &mut self.families[access.family];
            if !family.state.contains_key(&addr) {
                family.state.insert(addr.clone(), Index::Tombstone);
            }
            family.touch(&addr);
        }
    }
}
