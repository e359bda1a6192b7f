//! Fork and patch handles (`mdb_fork_*`, `mdb_patch_*`): readonly views, flush and rollback,
//! and the consuming conversions between the two.

use super::{
    check::{check, out, sentinel},
    family::{FamilyKind, Parent},
    Harness,
};
use crate::{
    abi::*,
    input::{Nulls, Op, Slot},
    model::Namespace,
};

impl Harness {
    pub(super) fn fork_readonly(&mut self, op: &Op, fork: Slot, nulls: Nulls) {
        let Some((fork_ptr, family)) = self.parent::<mdb_fork>(fork) else {
            return;
        };
        let mut access = sentinel();
        // SAFETY: a live handle or NULL, and an out-pointer or NULL.
        let status = unsafe { mdb_fork_readonly(fork_ptr, out(nulls.has(0), &mut access)) };
        let expect = self.parent_expect(family, nulls.has(0));
        if check(op, status, &expect) {
            let family = family.expect("checked");
            self.add_access(access, family, true, Namespace::None);
        }
    }

    /// `mdb_fork_flush`, or `mdb_fork_rollback` to the last flush.
    pub(super) fn fork_flush(&mut self, op: &Op, fork: Slot, rollback: bool) {
        let Some((fork_ptr, family)) = self.parent::<mdb_fork>(fork) else {
            return;
        };
        // SAFETY: a live handle or NULL.
        let status = unsafe {
            if rollback {
                mdb_fork_rollback(fork_ptr)
            } else {
                mdb_fork_flush(fork_ptr)
            }
        };
        let expect = self.parent_expect(family, false);
        if check(op, status, &expect) {
            let family = &mut self.families[family.expect("checked")];
            if rollback {
                family.state = family.checkpoint.clone();
                family.epoch += 1;
            } else {
                family.checkpoint = family.state.clone();
            }
        }
    }

    /// `mdb_fork_into_patch` or `mdb_patch_into_fork` (`into`): consumes the parent handle
    /// `from` into one of the other type, whose family (of `kind`) carries on its state.
    pub(super) fn convert<From: Parent, To: Parent>(
        &mut self,
        op: &Op,
        from: Slot,
        nulls: Nulls,
        into: unsafe fn(*mut From, *mut *mut To) -> mdb_status,
        kind: FamilyKind,
    ) {
        let Some((from_ptr, family)) = self.parent::<From>(from) else {
            return;
        };
        let mut to = sentinel();
        // SAFETY: a live handle or NULL, and an out-pointer or NULL.
        let status = unsafe { into(from_ptr, out(nulls.has(0), &mut to)) };
        let expect = self.parent_expect(family, nulls.has(0));
        if check(op, status, &expect) {
            let family = family.expect("checked");
            self.consume(family);
            let new = self.derived_family(family, kind);
            self.add_parent(to, new);
        }
    }
}
