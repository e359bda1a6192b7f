//! Index handles (`mdb_map_*`, `mdb_list_*`, `mdb_sparse_list_*`, `mdb_key_set_*`,
//! `mdb_entry_*`): one handler runs any row of the table in [`calls`](super::calls), for
//! every kind.

use std::ptr;

use super::{
    calls::{Answer, IndexCall, Out, Returns},
    check::{check, compare_lookup, empty_bytes, out, sentinel, Expect},
    kinds, Harness, IndexPick,
};
use crate::{
    abi::*,
    input::{IndexKind, Op, Pick, Slot},
    model::{Index, Kind},
};

impl Harness {
    /// Picks among the live index handles of `kind`: `None` if there is none (the operation
    /// is skipped).
    pub(super) fn index_pick(&self, kind: IndexKind, slot: Slot) -> Option<IndexPick> {
        let of_kind: Vec<usize> = (0..self.indexes.len())
            .filter(|&i| self.indexes[i].kind == kind)
            .collect();
        Some(match slot.pick(of_kind.len())? {
            Pick::Null => IndexPick::Null,
            Pick::Index(i) => IndexPick::Handle(of_kind[i]),
        })
    }

    /// Runs a call on an index handle of `C`'s kind: the C call of its row, the statuses the
    /// header allows, and on success what it returned against the model.
    pub(super) fn index_call<C: IndexCall>(&mut self, op: &Op, slot: Slot, call: &C) {
        let Some(pick) = self.index_pick(C::KIND, slot) else {
            return;
        };
        let row = call.row();
        let (receiver, mut expect) = self.receiver(pick, row.writes);
        let (mut value, mut found, mut number, mut iter) =
            (empty_bytes(), false, u64::MAX, sentinel());
        let nulls = row.nulls;
        // The out-parameters in their order: a value comes before its `out_found`.
        let (value_null, found_null) = match row.returns {
            Returns::Value => (nulls.has(0), nulls.has(1)),
            _ => (false, nulls.has(0)),
        };
        let outputs = Out {
            value: out(value_null, &mut value),
            found: out(found_null, &mut found),
            number: out(nulls.has(0), &mut number),
            iter: out(nulls.has(0), &mut iter),
        };
        let status = (row.call)(receiver, &outputs);
        expect.error_if(
            nulls.any(row.returns.count()) || !row.valid,
            MDB_ERR_INVALID_ARGUMENT,
        );
        if let (Some(in_range), IndexPick::Handle(_)) = (row.in_range, pick) {
            let (model, exact) = self.typed_model::<C>(pick);
            expect.error_if(exact && !in_range(&model), MDB_ERR_OUT_OF_RANGE);
            expect.maybe_if(!exact, MDB_ERR_OUT_OF_RANGE);
        }
        if !check(op, status, &expect) {
            if row.returns == Returns::Iter {
                assert_eq!(iter, sentinel(), "{op:?}: out_iter written on failure");
            }
            return;
        }
        let (mut model, exact) = self.typed_model::<C>(pick);
        match (row.model)(&mut model) {
            Answer::Nothing => {}
            Answer::Found(expected) if exact => assert_eq!(found, expected, "{op:?}: found"),
            Answer::Number(expected) if exact => assert_eq!(number, expected, "{op:?}"),
            Answer::Found(_) | Answer::Number(_) => {}
            Answer::Value(expected) => {
                compare_lookup(op, exact, found, &mut value, expected.as_ref())
            }
            Answer::Iter(from) => {
                let remaining = C::index(model).entries_from(&from).into();
                self.add_iter(pick, iter, remaining, None);
                return;
            }
        }
        if row.writes {
            self.store(pick, C::index(model));
        }
    }

    /// The receiver of an index call: its pointer, and the expectations of reads (`write`
    /// false) or writes through it.
    fn receiver(&self, pick: IndexPick, write: bool) -> (*mut std::ffi::c_void, Expect) {
        let mut expect = Expect::default();
        let IndexPick::Handle(i) = pick else {
            expect.error_if(true, MDB_ERR_INVALID_ARGUMENT);
            return (ptr::null_mut(), expect);
        };
        let index = &self.indexes[i];
        expect.error_if(self.stale(index.family, index.epoch), MDB_ERR_STALE_HANDLE);
        if write {
            expect.error_if(!index.writable, MDB_ERR_READONLY);
            expect.error_if(index.iterators > 0, MDB_ERR_BORROWED);
        }
        (index.ptr, expect)
    }

    /// The model's index behind a handle (its family's state, or empty where the access
    /// could not create it), and whether the model knows it exactly.
    pub(super) fn model_index(&self, pick: IndexPick) -> (Index, bool) {
        let IndexPick::Handle(i) = pick else {
            unreachable!("only successful calls are modelled")
        };
        let handle = &self.indexes[i];
        let family = &self.families[handle.family];
        let index = family
            .state
            .get(&handle.addr)
            .cloned()
            .unwrap_or_else(|| Index::empty(handle.kind));
        if family.exact {
            assert_eq!(
                index.kind(),
                Kind::Index(handle.kind),
                "model: a live handle's index changed type"
            );
        }
        (index, family.exact)
    }

    /// [`model_index`](Self::model_index) as the model of `C`'s kind: empty where an inexact
    /// family holds another type there.
    fn typed_model<C: IndexCall>(&self, pick: IndexPick) -> (C::Model, bool) {
        let (index, exact) = self.model_index(pick);
        (C::model(index).unwrap_or_default(), exact)
    }

    /// Stores a changed index through a writable handle.
    fn store(&mut self, pick: IndexPick, index: Index) {
        let IndexPick::Handle(i) = pick else {
            unreachable!("only successful calls are modelled")
        };
        let (family, addr) = (self.indexes[i].family, self.indexes[i].addr.clone());
        let family = &mut self.families[family];
        if family.exact {
            family.state.insert(addr.clone(), index);
        }
        family.touch(&addr);
    }

    pub(super) fn free_index(&mut self, i: usize) {
        let index = self.indexes.remove(i);
        // SAFETY: a live handle of its kind, removed from the pool.
        unsafe { kinds::free(index.kind, index.ptr) };
        self.families[index.family].handles -= 1;
    }
}
