//! `mdb_migration_helper_iter_loop`: a step that copies an old index of any kind the
//! persistent iterators of the loop take (map, list, sparse list, key set) into the new index
//! of the same name, in batches, through `mdb_persistent_iters_new_*`; or fails in a given
//! round. The harness predicts each round's batch from the model, checks that the step got
//! exactly it, and replays the rounds' merges on the model.

use std::{collections::VecDeque, ffi::c_void, ptr};

use super::{
    check::{check, empty_bytes, last_error, name_arg, Expect},
    kinds,
    verify::next_entry,
    FamilyId, Harness,
};
use crate::{
    abi::*,
    input::{IndexKind, LoopPlan, Op, Slot},
    model::{self, Addr, Index, Kind, Namespace, Value},
    stats,
};

/// The state of [`copy_step`]: a plan, and what happened.
struct CopyStep {
    kind: IndexKind,
    source: Option<Vec<u8>>,
    batch: usize,
    fail_in_round: Option<usize>,
    round: usize,
    /// The entries copied, per round, as the iterator yielded them.
    copied: Vec<Vec<(Vec<u8>, Vec<u8>)>>,
    /// A call of the step that went wrong, to report after the loop.
    failure: Option<String>,
}

/// The status the step returns in the round it fails in.
const STEP_FAILURE: mdb_status = MDB_ERR_OUT_OF_RANGE;
/// The name of the step's persistent iterator.
const LOOP_ITERATOR: &str = "a";

/// Opens the index `name` of `kind`, outside any group, through `access`.
unsafe fn open_index(
    access: *const mdb_access,
    kind: IndexKind,
    name: &[u8],
    out: &mut *mut c_void,
) -> mdb_status {
    // SAFETY: as the caller promises.
    unsafe {
        kinds::open(
            kind,
            access,
            (name.as_ptr(), name.len()),
            (ptr::null(), 0),
            out,
        )
    }
}

/// Writes one entry, as the iterator yielded it, into the new index: a map's pair, a list's
/// value at the end, a sparse list's value at its position, a key set's key.
unsafe fn copy_entry(kind: IndexKind, index: *mut c_void, key: &[u8], value: &[u8]) -> mdb_status {
    match kind {
        IndexKind::Map => mdb_map_put(
            index.cast(),
            key.as_ptr(),
            key.len(),
            value.as_ptr(),
            value.len(),
        ),
        IndexKind::List => mdb_list_push(index.cast(), value.as_ptr(), value.len()),
        IndexKind::SparseList => {
            let (mut replaced, mut found) = (empty_bytes(), false);
            let status = mdb_sparse_list_set(
                index.cast(),
                model::position_from(key),
                value.as_ptr(),
                value.len(),
                &mut replaced,
                &mut found,
            );
            if status == MDB_OK && found {
                mdb_bytes_free(&mut replaced);
            }
            status
        }
        IndexKind::KeySet => mdb_key_set_insert(index.cast(), key.as_ptr(), key.len()),
        IndexKind::Entry => unreachable!("the loop iterates no entry"),
    }
}

/// A migration step: copies up to `batch` entries of the old index `source` into the new one.
unsafe extern "C" fn copy_step(
    helper: *mut mdb_migration_helper,
    iters: *mut mdb_persistent_iters,
    user_data: *mut c_void,
) -> mdb_status {
    // SAFETY: the harness passes its `CopyStep`, alive for the whole loop.
    let step = unsafe { &mut *user_data.cast::<CopyStep>() };
    let round = step.round;
    step.round += 1;
    step.copied.push(Vec::new());
    if step.fail_in_round == Some(round) {
        return STEP_FAILURE;
    }
    let (kind, source) = (step.kind, step.source.clone().unwrap_or_default());
    // SAFETY: `helper` and `iters` are lent by the loop; handles are freed before returning.
    unsafe {
        let (mut old, mut new, mut old_index, mut new_index, mut iter) = (
            ptr::null_mut(),
            ptr::null_mut(),
            ptr::null_mut(),
            ptr::null_mut(),
            ptr::null_mut(),
        );
        let mut status = mdb_migration_helper_old_data(helper, &mut old);
        if status == MDB_OK {
            status = open_index(old, kind, &source, &mut old_index);
        }
        if status == MDB_OK {
            let name = (LOOP_ITERATOR.as_ptr(), LOOP_ITERATOR.len());
            let positions = kinds::Positions::Loop(iters);
            status = kinds::persistent_iter(kind, positions, name, old_index, &mut iter);
            if status == MDB_OK {
                stats::persistent_iter_created(kind, true);
            }
        }
        if status == MDB_OK {
            status = mdb_migration_helper_new_data(helper, &mut new);
        }
        if status == MDB_OK {
            status = open_index(new, kind, &source, &mut new_index);
        }
        let mut taken = 0;
        while status == MDB_OK && taken < step.batch {
            let (key, value) = match next_entry(iter) {
                Ok(Some(entry)) => entry,
                Ok(None) => break,
                Err(failed) => {
                    status = failed;
                    step.failure = Some(format!("mdb_iter_next failed: {}", last_error()));
                    break;
                }
            };
            status = copy_entry(kind, new_index, &key, &value);
            if status != MDB_OK {
                step.failure = Some(format!("copying a {kind:?} entry failed: {}", last_error()));
                break;
            }
            step.copied[round].push((key, value));
            taken += 1;
        }
        mdb_iter_free(iter);
        if !new_index.is_null() {
            kinds::free(kind, new_index);
        }
        if !old_index.is_null() {
            kinds::free(kind, old_index);
        }
        mdb_access_free(new);
        mdb_access_free(old);
        status
    }
}

/// What the harness predicts of a loop.
enum LoopOutcome {
    /// The loop fails in its first round with one of these statuses, changing nothing.
    Fails(Vec<mdb_status>),
    /// The loop runs: the entries of the old index from the saved position on are copied,
    /// `batch` per round.
    Runs { entries: Vec<(Vec<u8>, Value)> },
    /// The model cannot tell (an inexact database).
    Unknown,
}

/// Where a loop over `source` in `namespace` writes: the migrated index (none for an invalid
/// name) and the position entry in the scratchpad.
fn loop_addresses(namespace: &str, source: Option<&str>) -> (Option<Addr>, Addr) {
    let new = source
        .and_then(|name| model::resolve(&Namespace::Migration(namespace.to_owned()), name, None));
    let position = model::resolve(
        &Namespace::Scratchpad(namespace.to_owned()),
        LOOP_ITERATOR,
        None,
    )
    .expect("a valid name");
    (new, position)
}

/// Adds a round's batch to the model of the new index, as [`copy_entry`] writes it.
fn apply_batch(index: &mut Index, batch: Vec<(Vec<u8>, Value)>) {
    match index {
        Index::Map(map) => map.extend(batch),
        Index::List(list) => list.extend(batch.into_iter().map(|(_, value)| value)),
        Index::SparseList { items, capacity } => {
            for (key, value) in batch {
                let position = model::position_from(&key);
                items.insert(position, value);
                *capacity = (*capacity).max(position.saturating_add(1));
            }
        }
        Index::KeySet(set) => set.extend(batch.into_iter().map(|(key, _)| key)),
        Index::Entry(_) | Index::Tombstone => unreachable!("predicted: the loop's kind"),
    }
}

impl Harness {
    pub(super) fn iter_loop(&mut self, op: &Op, helper: Slot, plan: &LoopPlan) {
        let Some((helper_ptr, family)) = self.parent::<mdb_migration_helper>(helper) else {
            return;
        };
        let Some(family) = family else {
            // SAFETY: NULL is rejected before the step is called.
            let status = unsafe {
                mdb_migration_helper_iter_loop(ptr::null_mut(), Some(copy_step), ptr::null_mut())
            };
            let mut expect = Expect::default();
            expect.error_if(true, MDB_ERR_INVALID_ARGUMENT);
            check(op, status, &expect);
            return;
        };
        let namespace = self.helper_namespace(family);
        let source = plan.source.to_c_name();
        let source_name = name_arg(&source);
        let kind = plan
            .kind()
            .unwrap_or_else(|| self.old_kind(family, &namespace, source_name.as_deref()));
        let mut step = CopyStep {
            kind,
            source: source.value().map(|name| name.to_vec()),
            batch: plan.batch_size(),
            fail_in_round: plan.fail_in_round.map(|round| usize::from(round % 4)),
            round: 0,
            copied: Vec::new(),
            failure: None,
        };
        let predicted = self.predict_loop(family, &namespace, source_name.as_deref(), &step);
        // SAFETY: a live helper, a step that keeps to the contract, and its state.
        let status = unsafe {
            mdb_migration_helper_iter_loop(
                helper_ptr,
                Some(copy_step),
                (&mut step as *mut CopyStep).cast(),
            )
        };
        if let Some(failure) = step.failure {
            panic!("{op:?}: in the step: {failure}");
        }
        let mut expect = Expect::default();
        match &predicted {
            LoopOutcome::Fails(errors) => expect.errors.clone_from(errors),
            LoopOutcome::Unknown => {
                expect.maybe = vec![
                    MDB_ERR_WRONG_TYPE,
                    MDB_ERR_BORROWED,
                    MDB_ERR_INVALID_ARGUMENT,
                    MDB_ERR_STALE_HANDLE,
                    MDB_ERR_ABORTED,
                    MDB_ERR_OUT_OF_RANGE,
                ];
            }
            // An aborted migration runs the first round and fails its merge. So does one whose
            // first round creates an index that a merge since the helper's fork began created
            // with another type; the rounds after it start from forks of the database as it is.
            LoopOutcome::Runs { .. } => {
                let aborted = self.families[family].aborted;
                expect.error_if(aborted, MDB_ERR_ABORTED);
                let conflict = !aborted
                    && self.loop_may_conflict(family, &namespace, source_name.as_deref(), kind);
                expect.maybe_if(conflict, MDB_ERR_CONFLICT);
            }
        }
        check(op, status, &expect);
        if status == MDB_ERR_CONFLICT {
            // Nothing of the first round was written, and the helper is unusable.
            self.consume(family);
            return;
        }
        self.loop_ran(
            family,
            &namespace,
            source_name.as_deref(),
            &step,
            &predicted,
            status,
        );
    }

    /// Whether the first round's merge may be refused as a conflict: the database holds, at an
    /// address the family or the round creates, an index of another type.
    fn loop_may_conflict(
        &self,
        family: FamilyId,
        namespace: &str,
        source: Option<&str>,
        kind: IndexKind,
    ) -> bool {
        let db = self.families[family].db;
        let differs = |addr: Option<Addr>, kind: Kind| {
            addr.and_then(|addr| self.dbs[db].state.get(&addr))
                .is_some_and(|index| index.kind() != kind)
        };
        let (new, position) = loop_addresses(namespace, source);
        self.changes_index_types(db, family)
            || differs(new, Kind::Index(kind))
            || differs(Some(position), Kind::Index(IndexKind::Entry))
    }

    /// The kind of the old index `source` in the model, if a persistent iterator takes it;
    /// else a map.
    fn old_kind(&self, family: FamilyId, namespace: &str, source: Option<&str>) -> IndexKind {
        let old = source.and_then(|name| {
            model::resolve(&Namespace::Prefixed(namespace.to_owned()), name, None)
        });
        match old.and_then(|old| self.families[family].state.get(&old).map(Index::kind)) {
            Some(Kind::Index(kind)) if kind != IndexKind::Entry => kind,
            _ => IndexKind::Map,
        }
    }

    fn predict_loop(
        &self,
        family: FamilyId,
        namespace: &str,
        source: Option<&str>,
        step: &CopyStep,
    ) -> LoopOutcome {
        let fam = &self.families[family];
        if fam.consumed {
            return LoopOutcome::Fails(vec![MDB_ERR_STALE_HANDLE]);
        }
        if !fam.exact {
            return LoopOutcome::Unknown;
        }
        if step.fail_in_round == Some(0) {
            return LoopOutcome::Fails(vec![STEP_FAILURE]);
        }
        let mut errors = Vec::new();
        let old = source.and_then(|name| {
            model::resolve(&Namespace::Prefixed(namespace.to_owned()), name, None)
        });
        let (new, position) = loop_addresses(namespace, source);
        let (Some(old), Some(new)) = (old, new) else {
            return LoopOutcome::Fails(vec![MDB_ERR_INVALID_ARGUMENT]);
        };
        let index_at = |addr: &Addr| match fam.state.get(addr) {
            None => Ok(Index::empty(step.kind)),
            Some(index) if index.kind() == Kind::Index(step.kind) => Ok(index.clone()),
            Some(_) => Err(()),
        };
        let old_index = index_at(&old);
        if old_index.is_err() {
            errors.push(MDB_ERR_WRONG_TYPE);
        }
        // Handles of the harness in the helper's family hold addresses against the step.
        let (writers, _) = self.holders(family, &old);
        if writers > 0 {
            errors.push(MDB_ERR_BORROWED);
        }
        let (writers, readers) = self.holders(family, &position);
        if writers + readers > 0 {
            errors.push(MDB_ERR_BORROWED);
        }
        let mut from = Vec::new();
        match fam.state.get(&position) {
            None | Some(Index::Entry(None)) => {}
            Some(Index::Entry(Some(saved))) => match model::decode_position(saved, step.kind) {
                Ok(Some(key)) => from = key,
                // Ended: `ended` below.
                Ok(None) => {}
                Err(model::NotAPosition) => errors.push(MDB_ERR_INVALID_ARGUMENT),
            },
            Some(_) => errors.push(MDB_ERR_WRONG_TYPE),
        }
        if index_at(&new).is_err() {
            errors.push(MDB_ERR_WRONG_TYPE);
        }
        let (writers, readers) = self.holders(family, &new);
        if writers + readers > 0 {
            errors.push(MDB_ERR_BORROWED);
        }
        if !errors.is_empty() {
            return LoopOutcome::Fails(errors);
        }
        let ended =
            matches!(fam.state.get(&position), Some(Index::Entry(Some(saved))) if saved[..] == [1]);
        let entries = match old_index {
            Ok(_) if ended => Vec::new(),
            Ok(index) => index.entries_from(&from),
            Err(()) => unreachable!("checked"),
        };
        LoopOutcome::Runs { entries }
    }

    /// Replays on the model what the loop did, which returned `status` (checked already).
    fn loop_ran(
        &mut self,
        family: FamilyId,
        namespace: &str,
        source: Option<&str>,
        step: &CopyStep,
        predicted: &LoopOutcome,
        status: mdb_status,
    ) {
        let LoopOutcome::Runs { entries } = predicted else {
            if matches!(predicted, LoopOutcome::Unknown) && status != MDB_ERR_STALE_HANDLE {
                // Whatever ran, the family's contents are unknown now.
                let fam = &mut self.families[family];
                fam.exact = false;
                fam.epoch += 1;
                if status == MDB_ERR_ABORTED {
                    fam.consumed = true;
                }
                let db = fam.db;
                self.dbs[db].exact = false;
            }
            return;
        };
        let source = source.expect("a loop that runs has a source");
        let new = model::resolve(&Namespace::Migration(namespace.to_owned()), source, None)
            .expect("valid");
        let position = model::resolve(
            &Namespace::Scratchpad(namespace.to_owned()),
            LOOP_ITERATOR,
            None,
        )
        .expect("valid");
        let aborted = self.families[family].aborted;
        // Replays the rounds on the model: each copies a batch and is merged.
        let mut remaining: VecDeque<(Vec<u8>, Value)> = entries.clone().into();
        let mut round = 0;
        loop {
            let fam = &mut self.families[family];
            if step.fail_in_round == Some(round) {
                assert_eq!(status, STEP_FAILURE, "the loop returns the step's status");
                return;
            }
            let batch: Vec<_> = (0..step.batch)
                .map_while(|_| remaining.pop_front())
                .collect();
            let copied = step.copied.get(round).cloned().unwrap_or_default();
            assert_eq!(
                copied,
                batch
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_vec()))
                    .collect::<Vec<_>>(),
                "round {round} of the loop over a {:?} copied other entries",
                step.kind
            );
            apply_batch(
                fam.state
                    .entry(new.clone())
                    .or_insert_with(|| Index::empty(step.kind)),
                batch,
            );
            let next = remaining.front().map(|(key, _)| key.clone());
            let ended = next.is_none();
            fam.state.insert(
                position.clone(),
                Index::Entry(Some(model::encode_position(next.as_deref()))),
            );
            fam.touch(&new);
            fam.touch(&position);
            if aborted {
                assert_eq!(status, MDB_ERR_ABORTED, "an aborted loop reports it");
                self.consume(family);
                return;
            }
            self.helper_merged(family, false);
            round += 1;
            if ended {
                break;
            }
        }
        assert_eq!(status, MDB_OK, "the loop ran to its end");
        assert_eq!(step.round, round, "the loop ran one round per batch");
    }
}
