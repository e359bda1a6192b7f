//! Iterator handles (`mdb_iter_*`): iterators over index handles, and persistent iterators
//! (`mdb_persistent_iter_new_*`), which save their position in an entry.

use std::{collections::VecDeque, ptr};

use super::{
    check::{borrowed, check, out, sentinel, Expect},
    kinds, AccessInfo, Harness, IndexPick, IterHandle,
};
use crate::{
    abi::*,
    input::{GroupKey, IndexKind, Name, Nulls, Op, Pick},
    model::{self, Addr, Index, Value},
    stats,
};

impl Harness {
    /// Keeps a new iterator over the index handle `pick`, which yields `remaining`.
    pub(super) fn add_iter(
        &mut self,
        pick: IndexPick,
        iter: *mut mdb_iter,
        remaining: VecDeque<(Vec<u8>, Value)>,
        position: Option<Addr>,
    ) {
        let IndexPick::Handle(i) = pick else {
            unreachable!("only successful calls are modelled")
        };
        let index = &mut self.indexes[i];
        index.iterators += 1;
        let (family, id) = (index.family, index.id);
        self.families[family].handles += 1;
        self.iters.push(IterHandle {
            ptr: iter,
            family,
            epoch: self.families[family].epoch,
            index: id,
            remaining,
            position,
        });
    }

    pub(super) fn free_iter(&mut self, i: usize) {
        let iter = self.iters.remove(i);
        // SAFETY: a live handle, removed from the pool.
        unsafe { mdb_iter_free(iter.ptr) };
        self.families[iter.family].handles -= 1;
        if let Some(index) = self.indexes.iter_mut().find(|index| index.id == iter.index) {
            index.iterators -= 1;
        }
    }

    /// What a persistent iterator saves after a step or a batch: the key it resumes from, or
    /// that it ended.
    fn save_position(&mut self, i: usize) {
        let iter = &mut self.iters[i];
        if let Some(addr) = iter.position.clone() {
            let next = iter.remaining.front().map(|(key, _)| key.clone());
            if next.is_none() {
                iter.position = None;
            }
            let family = &mut self.families[iter.family];
            family.state.insert(
                addr.clone(),
                Index::Entry(Some(model::encode_position(next.as_deref()))),
            );
            family.touch(&addr);
        }
    }

    /// Checks the status of a call on the iterator `pick`, whose other arguments made it
    /// expect `expect`; returns the iterator's place in the pool if the call succeeded (its
    /// outputs are then to be checked), or `None` if it failed as expected.
    fn check_iter_call(
        &self,
        op: &Op,
        pick: Pick,
        status: mdb_status,
        mut expect: Expect,
    ) -> Option<usize> {
        let Pick::Index(i) = pick else {
            check(op, status, &expect);
            return None;
        };
        let iter = &self.iters[i];
        let index_gone = !self.indexes.iter().any(|index| index.id == iter.index);
        expect.error_if(
            self.stale(iter.family, iter.epoch) || index_gone,
            MDB_ERR_STALE_HANDLE,
        );
        check(op, status, &expect).then_some(i)
    }

    pub(super) fn iter_next(&mut self, op: &Op, pick: Pick, nulls: Nulls) {
        let iter_ptr = match pick {
            Pick::Null => ptr::null_mut(),
            Pick::Index(i) => self.iters[i].ptr,
        };
        let (mut key, mut key_len, mut value, mut value_len, mut found) =
            (ptr::null(), usize::MAX, ptr::null(), usize::MAX, true);
        // SAFETY: a live handle or NULL, out-pointers or NULL.
        let status = unsafe {
            mdb_iter_next(
                iter_ptr,
                out(nulls.has(0), &mut key),
                out(nulls.has(1), &mut key_len),
                out(nulls.has(2), &mut value),
                out(nulls.has(3), &mut value_len),
                out(nulls.has(4), &mut found),
            )
        };
        let mut expect = Expect::default();
        expect.error_if(pick == Pick::Null || nulls.any(5), MDB_ERR_INVALID_ARGUMENT);
        let Some(i) = self.check_iter_call(op, pick, status, expect) else {
            assert!(
                found && key_len == usize::MAX,
                "{op:?}: outputs written on failure"
            );
            return;
        };
        let iter = &mut self.iters[i];
        let exact = self.families[iter.family].exact;
        let expected = iter.remaining.pop_front();
        if exact {
            assert_eq!(found, expected.is_some(), "{op:?}: found");
            if let Some((expected_key, expected_value)) = &expected {
                assert_eq!(&borrowed(key, key_len), expected_key, "{op:?}: key");
                assert_eq!(
                    &borrowed(value, value_len)[..],
                    &expected_value[..],
                    "{op:?}: value"
                );
            }
        }
        self.save_position(i);
    }

    /// `mdb_iter_next_batch` with a buffer of `buf_len` bytes and room for `max` entries: it
    /// copies the entries the model expects next while they fit, reports the size of one that
    /// alone does not fit, and saves a persistent iterator's position as single steps do.
    pub(super) fn iter_next_batch(
        &mut self,
        op: &Op,
        pick: Pick,
        nulls: Nulls,
        buf_len: usize,
        max: usize,
    ) {
        let iter_ptr = match pick {
            Pick::Null => ptr::null_mut(),
            Pick::Index(i) => self.iters[i].ptr,
        };
        let mut buf = vec![0_u8; buf_len];
        let none = mdb_iter_entry {
            key: ptr::null(),
            key_len: usize::MAX,
            value: ptr::null(),
            value_len: usize::MAX,
        };
        let mut entries = vec![none; max];
        let (mut count, mut needed) = (usize::MAX, usize::MAX);
        // SAFETY: a live handle or NULL, caller memory of the given sizes or NULL,
        // out-pointers or NULL.
        let status = unsafe {
            mdb_iter_next_batch(
                iter_ptr,
                if nulls.has(0) {
                    ptr::null_mut()
                } else {
                    buf.as_mut_ptr()
                },
                buf_len,
                if nulls.has(1) {
                    ptr::null_mut()
                } else {
                    entries.as_mut_ptr()
                },
                max,
                out(nulls.has(2), &mut count),
                out(nulls.has(3), &mut needed),
            )
        };
        let mut expect = Expect::default();
        // A NULL `buf` is allowed with a length of 0.
        let null_buf = nulls.has(0) && buf_len > 0;
        let null_other = (1..4).any(|argument| nulls.has(argument));
        expect.error_if(
            pick == Pick::Null || null_buf || null_other,
            MDB_ERR_INVALID_ARGUMENT,
        );
        let Some(i) = self.check_iter_call(op, pick, status, expect) else {
            assert_eq!(
                (count, needed),
                (usize::MAX, usize::MAX),
                "{op:?}: outputs written on failure"
            );
            return;
        };
        assert!(
            count <= max,
            "{op:?}: {count} entries copied into room for {max}"
        );
        let iter = &mut self.iters[i];
        let exact = self.families[iter.family].exact;
        let taken: Vec<_> = iter
            .remaining
            .drain(..count.min(iter.remaining.len()))
            .collect();
        if exact {
            assert_eq!(
                taken.len(),
                count,
                "{op:?}: more entries than the model holds"
            );
            let mut used = 0;
            for ((expected_key, expected_value), entry) in taken.iter().zip(&entries) {
                assert_eq!(
                    &borrowed(entry.key, entry.key_len),
                    expected_key,
                    "{op:?}: key"
                );
                assert_eq!(
                    &borrowed(entry.value, entry.value_len)[..],
                    &expected_value[..],
                    "{op:?}: value"
                );
                used += entry.key_len + entry.value_len;
            }
            assert!(
                used <= buf_len,
                "{op:?}: {used} bytes copied into {buf_len}"
            );
            // The batch stops at the end, at `max` entries, or at an entry that does not fit.
            let next = iter
                .remaining
                .front()
                .map(|(key, value)| key.len() + value.len());
            match next {
                None => assert_eq!(needed, 0, "{op:?}: needed at the end"),
                Some(_) if count == max => assert_eq!(needed, 0, "{op:?}: needed"),
                Some(size) => {
                    assert!(used + size > buf_len, "{op:?}: an entry that fits was left");
                    let alone = if count == 0 { size } else { 0 };
                    assert_eq!(needed, alone, "{op:?}: needed");
                }
            }
        }
        self.save_position(i);
    }

    /// `mdb_persistent_iter_new_<kind>`: an iterator over the index handle `pick` that
    /// resumes from the position saved in the entry `name` of `access`.
    pub(super) fn persistent_iter(
        &mut self,
        op: &Op,
        access: AccessInfo,
        name: &Name,
        kind: IndexKind,
        pick: IndexPick,
        nulls: Nulls,
    ) {
        let c_name = name.to_c_name();
        let index_ptr = match pick {
            IndexPick::Null => ptr::null_mut(),
            IndexPick::Handle(i) => self.indexes[i].ptr,
        };
        let mut iter = sentinel();
        // SAFETY: live handles or NULL, a string argument, an out-pointer or NULL.
        let status = unsafe {
            kinds::persistent_iter(
                kind,
                kinds::Positions::Access(access.ptr),
                (c_name.ptr(), c_name.len()),
                index_ptr,
                out(nulls.has(0), &mut iter),
            )
        };
        let mut expect = Expect::default();
        expect.error_if(
            nulls.has(0) || pick == IndexPick::Null,
            MDB_ERR_INVALID_ARGUMENT,
        );
        let addr = self.address(&mut expect, &access, &c_name, &GroupKey::None, &c_name);
        let mut resume = Ok(None);
        let writable = !access.ptr.is_null() && self.access_writable(&access);
        if let (IndexPick::Handle(i), false) = (pick, access.ptr.is_null()) {
            let index = &self.indexes[i];
            let other_family = index.family != access.family;
            expect.error_if(other_family, MDB_ERR_INVALID_ARGUMENT);
            expect.error_if(self.stale(index.family, index.epoch), MDB_ERR_STALE_HANDLE);
            if let (Some(addr), false) = (&addr, other_family || self.access_stale(&access)) {
                self.open_expectations(
                    &mut expect,
                    access.family,
                    addr,
                    IndexKind::Entry,
                    writable,
                );
                expect.error_if(!writable, MDB_ERR_READONLY);
                let family = &self.families[access.family];
                if let Some(Index::Entry(Some(saved))) = family.state.get(addr) {
                    resume = model::decode_position(saved, kind).map(Some);
                    expect.error_if(resume.is_err(), MDB_ERR_INVALID_ARGUMENT);
                }
                expect.maybe_if(!family.exact, MDB_ERR_INVALID_ARGUMENT);
            }
        }
        if !check(op, status, &expect) {
            assert_eq!(iter, sentinel(), "{op:?}: out_iter written on failure");
            return;
        }
        stats::persistent_iter_created(kind, false);
        let addr = addr.expect("checked");
        let family = &mut self.families[access.family];
        if !family.state.contains_key(&addr) {
            family
                .state
                .insert(addr.clone(), Index::empty(IndexKind::Entry));
            family.touch(&addr);
        }
        match resume {
            // Saved as ended: the iterator yields nothing and holds no position.
            Ok(Some(None)) => self.add_iter(pick, iter, VecDeque::new(), None),
            Ok(from) => {
                let from = from.flatten().unwrap_or_default();
                let (index, _) = self.model_index(pick);
                let remaining = index.entries_from(&from).into();
                self.add_iter(pick, iter, remaining, Some(addr));
            }
            Err(_) => unreachable!("checked"),
        }
    }
}
