//! The table of calls on index handles: for each call of each kind ([`MapCall`], [`ListCall`],
//! ...), one [`Row`]: the C function, beside what the model says it returns and how it changes
//! the index. [`Harness::index_call`](super::Harness::index_call) runs every row the same way.
//!
//! A row is made by the constructor of its C function's shape ([`Shapes`]), named by the
//! parameters after the receiver: [`value_at`](Shapes::value_at) for `(position, out_value,
//! out_found)`, and so on. The receiver's `const` tells a read from a write, as in the header.

use std::{
    collections::{BTreeMap, BTreeSet},
    ffi::c_void,
    fmt::Debug,
    rc::Rc,
};

use crate::{
    abi::*,
    input::{
        Bytes, CBytes, EntryCall, IndexKind, KeySetCall, ListCall, MapCall, Nulls, Position,
        SparseListCall,
    },
    model::{Index, Value},
};

/// What a call returns through its out-parameters, which come in this order after its
/// inputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Returns {
    Nothing,
    /// `out_found`.
    Found,
    /// `out_len` or `out_capacity`.
    Number,
    /// `out_value` and `out_found`.
    Value,
    /// `out_iter`.
    Iter,
}

impl Returns {
    /// How many out-parameters: the input's [`Nulls`] may make any of them NULL.
    pub(super) fn count(self) -> u8 {
        match self {
            Self::Nothing => 0,
            Self::Found | Self::Number | Self::Iter => 1,
            Self::Value => 2,
        }
    }
}

/// The out-parameters a row passes: the handler's slots, or NULL where the input asks.
pub(super) struct Out {
    pub(super) value: *mut mdb_bytes,
    pub(super) found: *mut bool,
    pub(super) number: *mut u64,
    pub(super) iter: *mut *mut mdb_iter,
}

/// What the model says a successful call returns.
pub(super) enum Answer {
    Nothing,
    Found(bool),
    Number(u64),
    /// The value, or `None` for `*out_found == false`.
    Value(Option<Value>),
    /// An iterator over the index's entries from this start, as [`Index::entries_from`] takes
    /// it.
    Iter(Vec<u8>),
}

type CCall = Box<dyn FnOnce(*mut c_void, &Out) -> mdb_status>;
type InRange<M> = Box<dyn FnOnce(&M) -> bool>;
type ModelStep<M> = Box<dyn FnOnce(&mut M) -> Answer>;

/// One call: the C function with its arguments, and the model of what it does.
pub(super) struct Row<M> {
    pub(super) returns: Returns,
    pub(super) nulls: Nulls,
    pub(super) writes: bool,
    /// Whether every byte argument is valid (no NULL pointer with a positive length).
    pub(super) valid: bool,
    /// Calls the C function on the receiver (a live handle of the kind, or NULL).
    pub(super) call: CCall,
    /// For a call that fails with `MDB_ERR_OUT_OF_RANGE` past a limit of the index: whether
    /// the model's index is within it.
    pub(super) in_range: Option<InRange<M>>,
    /// Runs the call on the model's index: what it returns, changing the index as the call
    /// does. Only successful calls run it, which had valid arguments.
    pub(super) model: ModelStep<M>,
}

impl<M> Row<M> {
    fn in_range(mut self, check: impl FnOnce(&M) -> bool + 'static) -> Self {
        self.in_range = Some(Box::new(check));
        self
    }
}

/// A receiver as the C function takes it: `const` for a call that reads, not for one that
/// writes (through a writable handle, with no iterator over it).
pub(super) trait Receiver: 'static {
    const WRITES: bool;
    fn from_untyped(handle: *mut c_void) -> Self;
}

impl<T: 'static> Receiver for *const T {
    const WRITES: bool = false;
    fn from_untyped(handle: *mut c_void) -> Self {
        handle.cast_const().cast()
    }
}

impl<T: 'static> Receiver for *mut T {
    const WRITES: bool = true;
    fn from_untyped(handle: *mut c_void) -> Self {
        handle.cast()
    }
}

/// A byte argument.
struct Arg {
    /// What C gets.
    c: CBytes,
    /// Whether C reads bytes from it: not a NULL pointer with a positive length.
    valid: bool,
    /// The bytes the model gets: empty where the argument is invalid, which the model never
    /// sees (the call fails).
    value: Value,
}

fn arg(bytes: &Bytes) -> Arg {
    let c = bytes.to_c();
    let value = c.value();
    Arg {
        c,
        valid: value.is_some(),
        value: value.unwrap_or_else(|| Rc::from(&[][..])),
    }
}

/// The calls on one kind of index handle: the operations of the input that take it.
pub(super) trait IndexCall: Debug {
    const KIND: IndexKind;
    /// The model of an index of this kind.
    type Model: Default + 'static;
    /// The index's model, if it is of this kind.
    fn model(index: Index) -> Option<Self::Model>;
    fn index(model: Self::Model) -> Index;
    /// The call's row of the table.
    fn row(&self) -> Row<Self::Model>;
}

// SAFETY (every C call below): the handler passes a live handle of the row's kind or NULL, and
// the row's out-parameters; byte arguments point to their length in bytes (or are NULL with a
// length the call rejects), kept alive by the row until the call returns.

/// The rows of each shape of C function, by its parameters after the receiver, with the
/// model's side given as a function of the model's index and the arguments.
pub(super) trait Shapes: IndexCall {
    /// Any shape: `call` and `model` over the model's index.
    fn row_of<R: Receiver>(
        (returns, nulls): (Returns, Nulls),
        valid: bool,
        call: impl FnOnce(R, &Out) -> mdb_status + 'static,
        model: impl FnOnce(&mut Self::Model) -> Answer + 'static,
    ) -> Row<Self::Model> {
        Row {
            returns,
            nulls,
            writes: R::WRITES,
            valid,
            call: Box::new(move |handle, out| call(R::from_untyped(handle), out)),
            in_range: None,
            model: Box::new(model),
        }
    }

    /// `()`: empties the index.
    fn clear<R: Receiver>(f: unsafe fn(R) -> mdb_status) -> Row<Self::Model> {
        let call = move |handle, _: &Out| unsafe { f(handle) };
        Self::row_of(NOTHING, true, call, |index| {
            *index = Default::default();
            Answer::Nothing
        })
    }

    /// `(bytes, len)`: writes the bytes.
    fn bytes<R: Receiver>(
        f: unsafe fn(R, *const u8, usize) -> mdb_status,
        bytes: &Bytes,
        change: impl FnOnce(&mut Self::Model, Value) + 'static,
    ) -> Row<Self::Model> {
        let bytes = arg(bytes);
        let call = move |handle, _: &Out| unsafe { f(handle, bytes.c.ptr(), bytes.c.len()) };
        Self::row_of(NOTHING, bytes.valid, call, |index| {
            change(index, bytes.value);
            Answer::Nothing
        })
    }

    /// `(key, len, out_found)`.
    fn key_found<R: Receiver>(
        f: unsafe fn(R, *const u8, usize, *mut bool) -> mdb_status,
        key: &Bytes,
        nulls: Nulls,
        found: impl FnOnce(&Self::Model, &[u8]) -> bool + 'static,
    ) -> Row<Self::Model> {
        let key = arg(key);
        let call =
            move |handle, out: &Out| unsafe { f(handle, key.c.ptr(), key.c.len(), out.found) };
        Self::row_of((Returns::Found, nulls), key.valid, call, move |index| {
            Answer::Found(found(index, &key.value))
        })
    }

    /// `(out_found)`.
    fn found<R: Receiver>(
        f: unsafe fn(R, *mut bool) -> mdb_status,
        nulls: Nulls,
        found: impl FnOnce(&Self::Model) -> bool + 'static,
    ) -> Row<Self::Model> {
        let call = move |handle, out: &Out| unsafe { f(handle, out.found) };
        Self::row_of((Returns::Found, nulls), true, call, |index| {
            Answer::Found(found(index))
        })
    }

    /// `(out_len)` or `(out_capacity)`.
    fn number<R: Receiver>(
        f: unsafe fn(R, *mut u64) -> mdb_status,
        nulls: Nulls,
        number: impl FnOnce(&Self::Model) -> u64 + 'static,
    ) -> Row<Self::Model> {
        let call = move |handle, out: &Out| unsafe { f(handle, out.number) };
        Self::row_of((Returns::Number, nulls), true, call, |index| {
            Answer::Number(number(index))
        })
    }

    /// `(out_value, out_found)`.
    fn value<R: Receiver>(
        f: unsafe fn(R, *mut mdb_bytes, *mut bool) -> mdb_status,
        nulls: Nulls,
        value: impl FnOnce(&mut Self::Model) -> Option<Value> + 'static,
    ) -> Row<Self::Model> {
        let call = move |handle, out: &Out| unsafe { f(handle, out.value, out.found) };
        Self::row_of((Returns::Value, nulls), true, call, |index| {
            Answer::Value(value(index))
        })
    }

    /// `(position, out_value, out_found)`.
    fn value_at<R: Receiver>(
        f: unsafe fn(R, u64, *mut mdb_bytes, *mut bool) -> mdb_status,
        position: Position,
        nulls: Nulls,
        value: impl FnOnce(&mut Self::Model, u64) -> Option<Value> + 'static,
    ) -> Row<Self::Model> {
        let position = position.get();
        let call = move |handle, out: &Out| unsafe { f(handle, position, out.value, out.found) };
        Self::row_of((Returns::Value, nulls), true, call, move |index| {
            Answer::Value(value(index, position))
        })
    }

    /// `(bytes, len, out_value, out_found)`: the value of a key, or the value that bytes
    /// replace.
    fn bytes_value<R: Receiver>(
        f: unsafe fn(R, *const u8, usize, *mut mdb_bytes, *mut bool) -> mdb_status,
        bytes: &Bytes,
        nulls: Nulls,
        value: impl FnOnce(&mut Self::Model, Value) -> Option<Value> + 'static,
    ) -> Row<Self::Model> {
        let bytes = arg(bytes);
        let (data, len) = (bytes.c.ptr(), bytes.c.len());
        let call = move |handle, out: &Out| unsafe { f(handle, data, len, out.value, out.found) };
        Self::row_of((Returns::Value, nulls), bytes.valid, call, |index| {
            Answer::Value(value(index, bytes.value))
        })
    }

    /// `(from, len, out_iter)`: an iterator from the first key `>= from`.
    fn iter_from_key<R: Receiver>(
        f: unsafe fn(R, *const u8, usize, *mut *mut mdb_iter) -> mdb_status,
        from: &Bytes,
        nulls: Nulls,
    ) -> Row<Self::Model> {
        let from = arg(from);
        let call =
            move |handle, out: &Out| unsafe { f(handle, from.c.ptr(), from.c.len(), out.iter) };
        Self::row_of((Returns::Iter, nulls), from.valid, call, move |_| {
            Answer::Iter(from.value.to_vec())
        })
    }

    /// `(from_position, out_iter)`: an iterator from a position, which the iterator's keys
    /// give as 8 big-endian bytes.
    fn iter_from_position<R: Receiver>(
        f: unsafe fn(R, u64, *mut *mut mdb_iter) -> mdb_status,
        from: Position,
        nulls: Nulls,
    ) -> Row<Self::Model> {
        let from = from.get();
        let call = move |handle, out: &Out| unsafe { f(handle, from, out.iter) };
        Self::row_of((Returns::Iter, nulls), true, call, move |_| {
            Answer::Iter(from.to_be_bytes().to_vec())
        })
    }
}

impl<C: IndexCall> Shapes for C {}

/// A call without out-parameters.
const NOTHING: (Returns, Nulls) = (Returns::Nothing, Nulls::NONE);

/// The conversions between an index and the model of its kind, for the kinds whose model is
/// the field of their variant of [`Index`].
macro_rules! model_is_variant {
    ($variant:ident) => {
        fn model(index: Index) -> Option<Self::Model> {
            match index {
                Index::$variant(model) => Some(model),
                _ => None,
            }
        }

        fn index(model: Self::Model) -> Index {
            Index::$variant(model)
        }
    };
}

impl IndexCall for MapCall {
    const KIND: IndexKind = IndexKind::Map;
    type Model = BTreeMap<Vec<u8>, Value>;
    model_is_variant!(Map);

    fn row(&self) -> Row<Self::Model> {
        match self {
            Self::Get { key, nulls } => Self::bytes_value(mdb_map_get, key, *nulls, |map, key| {
                map.get(&key[..]).cloned()
            }),
            Self::Contains { key, nulls } => {
                Self::key_found(mdb_map_contains, key, *nulls, |map, key| {
                    map.contains_key(key)
                })
            }
            Self::Put { key, value } => {
                let (key, value) = (arg(key), arg(value));
                let call = move |map, _: &Out| unsafe {
                    let (k, v) = (&key.c, &value.c);
                    mdb_map_put(map, k.ptr(), k.len(), v.ptr(), v.len())
                };
                Self::row_of(NOTHING, key.valid && value.valid, call, move |map| {
                    map.insert(key.value.to_vec(), value.value);
                    Answer::Nothing
                })
            }
            Self::Remove { key } => Self::bytes(mdb_map_remove, key, |map, key| {
                map.remove(&key[..]);
            }),
            Self::Clear => Self::clear(mdb_map_clear),
            Self::Iter { from, nulls } => Self::iter_from_key(mdb_map_iter, from, *nulls),
        }
    }
}

/// A list position as an index into the model's vector, if it is one.
fn at(position: u64) -> Option<usize> {
    usize::try_from(position).ok()
}

impl IndexCall for ListCall {
    const KIND: IndexKind = IndexKind::List;
    type Model = Vec<Value>;
    model_is_variant!(List);

    fn row(&self) -> Row<Self::Model> {
        match self {
            Self::Get { position, nulls } => {
                Self::value_at(mdb_list_get, *position, *nulls, |list, position| {
                    at(position).and_then(|p| list.get(p)).cloned()
                })
            }
            Self::Last { nulls } => Self::value(mdb_list_last, *nulls, |list| list.last().cloned()),
            Self::Len { nulls } => Self::number(mdb_list_len, *nulls, |list| list.len() as u64),
            Self::Push { value } => Self::bytes(mdb_list_push, value, Vec::push),
            Self::Pop { nulls } => Self::value(mdb_list_pop, *nulls, Vec::pop),
            Self::Set { position, value } => {
                let (position, value) = (position.get(), arg(value));
                let call = move |list, _: &Out| unsafe {
                    mdb_list_set(list, position, value.c.ptr(), value.c.len())
                };
                Self::row_of(NOTHING, value.valid, call, move |list| {
                    if let Some(slot) = at(position).and_then(|p| list.get_mut(p)) {
                        *slot = value.value;
                    }
                    Answer::Nothing
                })
                .in_range(move |list| position < list.len() as u64)
            }
            Self::Truncate { len } => {
                let len = len.get();
                let call = move |list, _: &Out| unsafe { mdb_list_truncate(list, len) };
                Self::row_of(NOTHING, true, call, move |list| {
                    list.truncate(at(len).unwrap_or(usize::MAX));
                    Answer::Nothing
                })
            }
            Self::Clear => Self::clear(mdb_list_clear),
            Self::Iter { from, nulls } => Self::iter_from_position(mdb_list_iter, *from, *nulls),
        }
    }
}

/// The model of a sparse list.
#[derive(Default)]
pub(super) struct Sparse {
    items: BTreeMap<u64, Value>,
    /// One past the highest position ever set (`mdb_sparse_list_capacity`).
    capacity: u64,
}

impl IndexCall for SparseListCall {
    const KIND: IndexKind = IndexKind::SparseList;
    type Model = Sparse;

    fn model(index: Index) -> Option<Self::Model> {
        match index {
            Index::SparseList { items, capacity } => Some(Sparse { items, capacity }),
            _ => None,
        }
    }

    fn index(Sparse { items, capacity }: Sparse) -> Index {
        Index::SparseList { items, capacity }
    }

    fn row(&self) -> Row<Self::Model> {
        match self {
            Self::Get { position, nulls } => {
                Self::value_at(mdb_sparse_list_get, *position, *nulls, |list, position| {
                    list.items.get(&position).cloned()
                })
            }
            Self::Len { nulls } => {
                Self::number(mdb_sparse_list_len, *nulls, |list| list.items.len() as u64)
            }
            Self::Capacity { nulls } => {
                Self::number(mdb_sparse_list_capacity, *nulls, |list| list.capacity)
            }
            Self::Push { value } => Self::bytes(mdb_sparse_list_push, value, |list, value| {
                list.items.insert(list.capacity, value);
                list.capacity = list.capacity.saturating_add(1);
            })
            .in_range(|list| list.capacity != u64::MAX),
            Self::Set {
                position,
                value,
                nulls,
            } => {
                let (position, value) = (position.get(), arg(value));
                let (data, len) = (value.c.ptr(), value.c.len());
                let call = move |list, out: &Out| unsafe {
                    mdb_sparse_list_set(list, position, data, len, out.value, out.found)
                };
                Self::row_of((Returns::Value, *nulls), value.valid, call, move |list| {
                    list.capacity = list.capacity.max(position.saturating_add(1));
                    Answer::Value(list.items.insert(position, value.value))
                })
                .in_range(move |list| position != u64::MAX || list.items.contains_key(&position))
            }
            Self::Remove { position, nulls } => Self::value_at(
                mdb_sparse_list_remove,
                *position,
                *nulls,
                |list, position| list.items.remove(&position),
            ),
            Self::Pop { nulls } => Self::value(mdb_sparse_list_pop, *nulls, |list| {
                list.items.pop_first().map(|(_, value)| value)
            }),
            Self::Clear => Self::clear(mdb_sparse_list_clear),
            Self::Iter { from, nulls } => {
                Self::iter_from_position(mdb_sparse_list_iter, *from, *nulls)
            }
        }
    }
}

impl IndexCall for KeySetCall {
    const KIND: IndexKind = IndexKind::KeySet;
    type Model = BTreeSet<Vec<u8>>;
    model_is_variant!(KeySet);

    fn row(&self) -> Row<Self::Model> {
        match self {
            Self::Contains { key, nulls } => {
                Self::key_found(mdb_key_set_contains, key, *nulls, |set, key| {
                    set.contains(key)
                })
            }
            Self::Insert { key } => Self::bytes(mdb_key_set_insert, key, |set, key| {
                set.insert(key.to_vec());
            }),
            Self::Remove { key } => Self::bytes(mdb_key_set_remove, key, |set, key| {
                set.remove(&key[..]);
            }),
            Self::Clear => Self::clear(mdb_key_set_clear),
            Self::Iter { from, nulls } => Self::iter_from_key(mdb_key_set_iter, from, *nulls),
        }
    }
}

impl IndexCall for EntryCall {
    const KIND: IndexKind = IndexKind::Entry;
    type Model = Option<Value>;
    model_is_variant!(Entry);

    fn row(&self) -> Row<Self::Model> {
        match self {
            Self::Get { nulls } => Self::value(mdb_entry_get, *nulls, |entry| entry.clone()),
            Self::Exists { nulls } => Self::found(mdb_entry_exists, *nulls, Option::is_some),
            Self::Set { value } => Self::bytes(mdb_entry_set, value, |entry, value| {
                *entry = Some(value);
            }),
            // Unsets the entry: its empty model.
            Self::Remove => Self::clear(mdb_entry_remove),
            Self::Take { nulls } => Self::value(mdb_entry_take, *nulls, Option::take),
            Self::Swap { value, nulls } => {
                Self::bytes_value(mdb_entry_swap, value, *nulls, Option::replace)
            }
        }
    }
}
