//! Access handles (`mdb_access_*`): the accesses of parent handles and owned ones, namespaced
//! accesses, index types, and opening indexes of every kind.

use std::{ffi::c_void, ptr};

use super::{
    check::{check, key_arg, name_arg, namespace_arg, out, sentinel, Expect},
    kinds, AccessInfo, FamilyId, Harness, IndexHandle,
};
use crate::{
    abi::*,
    input::{AccessArg, CBytes, GroupKey, IndexKind, Name, NamespaceKind, Nulls, Op, Pick},
    model::{self, Addr, Index, Kind, Namespace},
};

impl Harness {
    /// Resolves an access argument; `None` if there is no such handle (the operation is
    /// skipped), an `AccessInfo` with a NULL pointer for NULL.
    pub(super) fn access(&self, arg: AccessArg) -> Option<AccessInfo> {
        let root = |ptr: *const mdb_access, family: FamilyId, readonly: bool| AccessInfo {
            ptr,
            family,
            epoch: None,
            readonly,
            namespace: Namespace::None,
        };
        let null = AccessInfo {
            ptr: ptr::null(),
            family: usize::MAX,
            epoch: None,
            readonly: false,
            namespace: Namespace::None,
        };
        // SAFETY (all three `_as_access`): live handles.
        Some(match arg {
            AccessArg::Fork(slot) => match slot.pick(self.forks.len())? {
                Pick::Null => null,
                Pick::Index(i) => root(
                    unsafe { mdb_fork_as_access(self.forks[i].ptr) },
                    self.forks[i].family,
                    false,
                ),
            },
            AccessArg::Patch(slot) => match slot.pick(self.patches.len())? {
                Pick::Null => null,
                Pick::Index(i) => root(
                    unsafe { mdb_patch_as_access(self.patches[i].ptr) },
                    self.patches[i].family,
                    true,
                ),
            },
            AccessArg::Snapshot(slot) => match slot.pick(self.snapshots.len())? {
                Pick::Null => null,
                Pick::Index(i) => root(
                    unsafe { mdb_snapshot_as_access(self.snapshots[i].ptr) },
                    self.snapshots[i].family,
                    true,
                ),
            },
            AccessArg::Owned(slot) => match slot.pick(self.accesses.len())? {
                Pick::Null => null,
                Pick::Index(i) => self.accesses[i].clone(),
            },
        })
    }

    pub(super) fn access_stale(&self, access: &AccessInfo) -> bool {
        let family = &self.families[access.family];
        family.consumed || access.epoch.is_some_and(|epoch| epoch != family.epoch)
    }

    /// Whether indexes opened through the access can write.
    pub(super) fn access_writable(&self, access: &AccessInfo) -> bool {
        !access.readonly && self.families[access.family].writable()
    }

    pub(super) fn add_access(
        &mut self,
        ptr: *mut mdb_access,
        family: FamilyId,
        readonly: bool,
        namespace: Namespace,
    ) {
        let epoch = self.families[family].epoch;
        self.families[family].handles += 1;
        self.accesses.push(AccessInfo {
            ptr,
            family,
            epoch: Some(epoch),
            readonly,
            namespace,
        });
    }

    pub(super) fn free_access(&mut self, i: usize) {
        let access = self.accesses.remove(i);
        // SAFETY: a live handle, removed from the pool.
        unsafe { mdb_access_free(access.ptr.cast_mut()) };
        self.families[access.family].handles -= 1;
    }

    pub(super) fn namespaced(
        &mut self,
        op: &Op,
        access: AccessInfo,
        kind: NamespaceKind,
        namespace: &Name,
        nulls: Nulls,
    ) {
        let c_namespace = namespace.to_c_namespace();
        let mut new = sentinel();
        let function = match kind {
            NamespaceKind::Prefixed => mdb_access_prefixed,
            NamespaceKind::Migration => mdb_access_migration,
            NamespaceKind::Scratchpad => mdb_access_scratchpad,
        };
        // SAFETY: a live access or NULL, a string argument and an out-pointer or NULL.
        let status = unsafe {
            function(
                access.ptr,
                c_namespace.ptr().cast(),
                c_namespace.len(),
                out(nulls.has(0), &mut new),
            )
        };
        let mut expect = Expect::default();
        let name = namespace_arg(&c_namespace);
        expect.error_if(
            access.ptr.is_null() || nulls.has(0) || name.is_none(),
            MDB_ERR_INVALID_ARGUMENT,
        );
        if !access.ptr.is_null() {
            expect.error_if(self.access_stale(&access), MDB_ERR_STALE_HANDLE);
            expect.error_if(
                access.namespace != Namespace::None,
                MDB_ERR_INVALID_ARGUMENT,
            );
        }
        if check(op, status, &expect) {
            let name = name.expect("checked");
            let namespace = match kind {
                NamespaceKind::Prefixed => Namespace::Prefixed(name),
                NamespaceKind::Migration => Namespace::Migration(name),
                NamespaceKind::Scratchpad => Namespace::Scratchpad(name),
            };
            self.add_access(new, access.family, access.readonly, namespace);
        }
    }

    /// Resolves the address arguments of a call on `access`, adding the argument errors to
    /// `expect`; `None` when an argument error applies.
    pub(super) fn address(
        &mut self,
        expect: &mut Expect,
        access: &AccessInfo,
        name: &CBytes,
        key: &GroupKey,
        c_key: &CBytes,
    ) -> Option<Addr> {
        let name = name_arg(name);
        let key = key_arg(key, c_key);
        expect.error_if(
            access.ptr.is_null() || name.is_none() || key.is_err(),
            MDB_ERR_INVALID_ARGUMENT,
        );
        if access.ptr.is_null() {
            return None;
        }
        expect.error_if(self.access_stale(access), MDB_ERR_STALE_HANDLE);
        let (Some(name), Ok(key)) = (name, key) else {
            return None;
        };
        let addr = model::resolve(&access.namespace, &name, key);
        expect.error_if(addr.is_none(), MDB_ERR_INVALID_ARGUMENT);
        if let Some(addr) = &addr {
            self.seen.insert(addr.clone());
        }
        addr
    }

    pub(super) fn index_type(
        &mut self,
        op: &Op,
        access: AccessInfo,
        name: &Name,
        key: &GroupKey,
        nulls: Nulls,
    ) {
        let (c_name, c_key) = (name.to_c_name(), key.to_c());
        let (mut code, mut found) = (u32::MAX, true);
        // SAFETY: a live access or NULL, string arguments, out-pointers or NULL.
        let status = unsafe {
            mdb_access_index_type(
                access.ptr,
                c_name.ptr().cast(),
                c_name.len(),
                c_key.ptr(),
                c_key.len(),
                out(nulls.has(0), &mut code),
                out(nulls.has(1), &mut found),
            )
        };
        let mut expect = Expect::default();
        expect.error_if(nulls.any(2), MDB_ERR_INVALID_ARGUMENT);
        let addr = self.address(&mut expect, &access, &c_name, key, &c_key);
        if check(op, status, &expect) {
            let family = &self.families[access.family];
            let addr = addr.expect("checked");
            let expected = family.state.get(&addr).map(Index::type_code);
            if family.exact {
                assert_eq!(
                    found.then_some(code),
                    expected,
                    "{op:?}: the type of {addr:?}"
                );
            }
        } else {
            assert!(
                code == u32::MAX && found,
                "{op:?}: outputs written on failure"
            );
        }
    }

    /// The live handles of a fork or helper family that hold `addr`: (writable, count).
    pub(super) fn holders(&self, family: FamilyId, addr: &Addr) -> (usize, usize) {
        let epoch = self.families[family].epoch;
        let mut writable = 0;
        let mut readonly = 0;
        for index in &self.indexes {
            if index.family == family && index.epoch == epoch && &index.addr == addr {
                if index.writable {
                    writable += 1;
                } else {
                    readonly += 1;
                }
            }
        }
        for iter in &self.iters {
            if iter.family == family && iter.epoch == epoch && iter.position.as_ref() == Some(addr)
            {
                writable += 1;
            }
        }
        (writable, readonly)
    }

    /// Adds the expectations of opening `kind` at `addr` in the access's family, with
    /// `writable` handles: the wrong type, or a conflicting handle.
    pub(super) fn open_expectations(
        &self,
        expect: &mut Expect,
        family: FamilyId,
        addr: &Addr,
        kind: IndexKind,
        writable: bool,
    ) {
        let fam = &self.families[family];
        if let Some(index) = fam.state.get(addr) {
            expect.error_if(index.kind() != Kind::Index(kind), MDB_ERR_WRONG_TYPE);
        }
        expect.maybe_if(!fam.exact, MDB_ERR_WRONG_TYPE);
        if fam.writable() {
            let (writers, readers) = self.holders(family, addr);
            expect.error_if(writers > 0 || (writable && readers > 0), MDB_ERR_BORROWED);
        }
    }

    /// `mdb_access_map`, `mdb_access_list` and the other openers, by `kind`.
    pub(super) fn open_index(
        &mut self,
        op: &Op,
        access: AccessInfo,
        kind: IndexKind,
        name: &Name,
        key: &GroupKey,
        nulls: Nulls,
    ) {
        let (c_name, c_key) = (name.to_c_name(), key.to_c());
        let mut index: *mut c_void = sentinel();
        // SAFETY: a live access or NULL, string arguments, an out-pointer or NULL.
        let status = unsafe {
            kinds::open(
                kind,
                access.ptr,
                (c_name.ptr(), c_name.len()),
                (c_key.ptr(), c_key.len()),
                out(nulls.has(0), &mut index),
            )
        };
        let mut expect = Expect::default();
        expect.error_if(nulls.has(0), MDB_ERR_INVALID_ARGUMENT);
        let addr = self.address(&mut expect, &access, &c_name, key, &c_key);
        let writable = !access.ptr.is_null() && self.access_writable(&access);
        if let Some(addr) = &addr {
            if !self.access_stale(&access) {
                self.open_expectations(&mut expect, access.family, addr, kind, writable);
            }
        }
        if check(op, status, &expect) {
            let addr = addr.expect("checked");
            let family = &mut self.families[access.family];
            if writable && !family.state.contains_key(&addr) {
                family.state.insert(addr.clone(), Index::empty(kind));
                family.touch(&addr);
            }
            family.handles += 1;
            let (epoch, id) = (family.epoch, self.id());
            self.indexes.push(IndexHandle {
                id,
                ptr: index,
                kind,
                family: access.family,
                epoch,
                addr,
                writable,
                iterators: 0,
            });
        } else {
            assert_eq!(index, sentinel(), "{op:?}: out_index written on failure");
        }
    }
}
