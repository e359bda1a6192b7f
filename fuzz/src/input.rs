//! The fuzzer's input, decoded with `arbitrary`: a sequence of operations. Each operation
//! names a C call and its arguments: handles as slots in the harness's pools of live handles,
//! names, group keys, byte strings and positions from small pools (so that calls meet the same
//! indexes and keys again) or raw, and which pointer arguments to pass as NULL.

use std::rc::Rc;

use arbitrary::{Arbitrary, Result, Unstructured};

/// The whole input: the operations, run in order on fresh state.
#[derive(Debug, Arbitrary)]
pub struct Input {
    /// Where the input's first database lives. It comes first, as one byte: inputs written
    /// before it existed decode unchanged behind a zero byte (in-memory first database).
    pub first_db: FirstDb,
    pub ops: Vec<Op>,
}

/// Where an input's first database lives: one byte, whose value 7 modulo 8 makes the input's
/// first `mdb_db_open_temporary` open a new RocksDB database instead, so that an eighth of the
/// inputs run their operations on RocksDB (the other opens of RocksDB are rare and late). Not
/// more: an input on RocksDB takes about 35 times as long as one in memory (opening, closing
/// and reopening the database), so that an eighth of the inputs already take half the time.
#[derive(Debug, Clone, Copy)]
pub struct FirstDb(pub u8);

impl FirstDb {
    pub fn rocksdb(self) -> bool {
        self.0 % 8 == 7
    }
}

impl<'a> Arbitrary<'a> for FirstDb {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        Ok(Self(u.arbitrary()?))
    }

    fn size_hint(depth: usize) -> (usize, Option<usize>) {
        u8::size_hint(depth)
    }
}

/// A handle argument: one of the live handles of the kind the call takes, or NULL.
#[derive(Debug, Clone, Copy)]
pub struct Slot(pub u8);

/// What a [`Slot`] designates among `len` live handles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pick {
    Null,
    Index(usize),
}

impl Slot {
    /// One value in 32 passes NULL; the others pick a handle, if there is one.
    pub fn pick(self, len: usize) -> Option<Pick> {
        if self.0 >= 248 {
            Some(Pick::Null)
        } else if len == 0 {
            None
        } else {
            Some(Pick::Index(usize::from(self.0) % len))
        }
    }
}

impl<'a> Arbitrary<'a> for Slot {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        Ok(Self(u.arbitrary()?))
    }

    fn size_hint(depth: usize) -> (usize, Option<usize>) {
        u8::size_hint(depth)
    }
}

/// Which pointer arguments of a call (other than the receiver) are NULL: bit `i` for the
/// `i`-th. One value in eight sets some bits, so that most calls get past the NULL checks.
#[derive(Debug, Clone, Copy, Default)]
pub struct Nulls(u8);

impl Nulls {
    /// No argument NULL.
    pub const NONE: Self = Self(0);

    pub fn has(self, argument: u8) -> bool {
        self.0 >= 0xE0 && self.0 & (1 << argument) != 0
    }

    pub fn any(self, arguments: u8) -> bool {
        (0..arguments).any(|argument| self.has(argument))
    }
}

impl<'a> Arbitrary<'a> for Nulls {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        Ok(Self(u.arbitrary()?))
    }

    fn size_hint(depth: usize) -> (usize, Option<usize>) {
        u8::size_hint(depth)
    }
}

/// Short byte strings that keys and values are mostly drawn from.
const BYTES_POOL: [&[u8]; 8] = [
    b"a",
    b"b",
    b"key",
    b"\x00",
    b"\xff\xff",
    b"value",
    b"\x00\x00\x00\x00\x00\x00\x00\x01",
    b"longer value with some bytes",
];

/// A byte string argument: a pointer and a length.
#[derive(Debug, Clone, Arbitrary)]
pub enum Bytes {
    Pool(u8),
    Raw(Vec<u8>),
    /// NULL with length 0: the empty string.
    Null,
    /// A non-NULL pointer with length 0: the empty string too.
    Empty,
    /// A large value, filled with one byte.
    Huge {
        fill: u8,
        size: HugeSize,
    },
    /// NULL with a positive length: an invalid argument.
    NullWithLength(u8),
}

/// Sizes of [`Bytes::Huge`].
#[derive(Debug, Clone, Copy, Arbitrary)]
pub enum HugeSize {
    Kib64,
    Mib1,
}

/// A byte string ready to pass to C: its pointer, its length, and the bytes the library should
/// take from it (`None` when the pointer and length are invalid together).
pub struct CBytes {
    storage: Option<Rc<[u8]>>,
    null_length: Option<usize>,
}

/// The target of non-NULL empty strings: a valid pointer that is never read.
static EMPTY: [u8; 1] = [0];

impl Bytes {
    pub fn to_c(&self) -> CBytes {
        let storage: Option<Rc<[u8]>> = match self {
            Self::Pool(i) => Some(BYTES_POOL[usize::from(*i) % BYTES_POOL.len()].into()),
            Self::Raw(bytes) => Some(bytes.as_slice().into()),
            Self::Null => None,
            Self::Empty => Some(Rc::from(&[][..])),
            Self::Huge { fill, size } => {
                let len = match size {
                    HugeSize::Kib64 => 64 << 10,
                    HugeSize::Mib1 => 1 << 20,
                };
                Some(vec![*fill; len].into())
            }
            Self::NullWithLength(_) => None,
        };
        let null_length = match self {
            Self::Null => Some(0),
            Self::NullWithLength(len) => Some(usize::from(*len) + 1),
            _ => None,
        };
        CBytes {
            storage,
            null_length,
        }
    }
}

impl CBytes {
    /// The pointer to pass.
    pub fn ptr(&self) -> *const u8 {
        match &self.storage {
            Some(bytes) if bytes.is_empty() => EMPTY.as_ptr(),
            Some(bytes) => bytes.as_ptr(),
            None => std::ptr::null(),
        }
    }

    /// The length to pass.
    pub fn len(&self) -> usize {
        match (&self.storage, self.null_length) {
            (Some(bytes), _) => bytes.len(),
            (None, Some(len)) => len,
            (None, None) => 0,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the pointer is NULL.
    pub fn is_null(&self) -> bool {
        self.storage.is_none()
    }

    /// The bytes the library reads, or `None` if the pointer is NULL with a positive length.
    pub fn value(&self) -> Option<Rc<[u8]>> {
        match (&self.storage, self.null_length) {
            (Some(bytes), _) => Some(Rc::clone(bytes)),
            (None, Some(0)) => Some(Rc::from(&[][..])),
            _ => None,
        }
    }
}

/// Index names: valid ones that alias each other through prefixes and migrations, and
/// invalid ones of every kind the header rejects.
const NAME_POOL: [&[u8]; 16] = [
    b"a",
    b"b",
    b"ns.a",
    b"mig.a",
    b"mig.b",
    b"c.d",
    b"__x.y",
    b"A-_9",
    b"",
    b"__meta",
    b"bad name",
    b"a/b",
    "\u{fc}n\u{ef}".as_bytes(),
    b"\xff\xfe",
    b"a\0b",
    b"^mig.a",
];

/// Namespaces of prefixed, migration and scratchpad accesses and of migration helpers.
const NAMESPACE_POOL: [&[u8]; 7] = [b"ns", b"mig", b"x", b"", b"a.b", b"bad ns", b"\xff"];

/// A name or namespace argument (UTF-8 with an explicit length).
#[derive(Debug, Clone, Arbitrary)]
pub enum Name {
    Pool(u8),
    Raw(Vec<u8>),
    /// NULL with length 0: the empty name.
    Null,
    /// NULL with a positive length: an invalid argument.
    NullWithLength(u8),
}

impl Name {
    fn to_c_from(&self, pool: &[&[u8]]) -> CBytes {
        let bytes = match self {
            Self::Pool(i) => Bytes::Raw(pool[usize::from(*i) % pool.len()].to_vec()),
            Self::Raw(bytes) => Bytes::Raw(bytes.clone()),
            Self::Null => Bytes::Null,
            Self::NullWithLength(len) => Bytes::NullWithLength(*len),
        };
        bytes.to_c()
    }

    /// As an index name.
    pub fn to_c_name(&self) -> CBytes {
        self.to_c_from(&NAME_POOL)
    }

    /// As a namespace or prefix.
    pub fn to_c_namespace(&self) -> CBytes {
        self.to_c_from(&NAMESPACE_POOL)
    }
}

/// The group key of an index address.
#[derive(Debug, Clone, Arbitrary)]
pub enum GroupKey {
    /// NULL with length 0: an index outside any group.
    None,
    /// A non-NULL pointer with length 0: the member of its group with the empty key.
    Empty,
    Pool(u8),
    Raw(Vec<u8>),
    /// NULL with a positive length: an invalid argument.
    NullWithLength(u8),
}

impl GroupKey {
    pub fn to_c(&self) -> CBytes {
        match self {
            Self::None => Bytes::Null,
            Self::Empty => Bytes::Empty,
            Self::Pool(i) => Bytes::Pool(*i),
            Self::Raw(bytes) => Bytes::Raw(bytes.clone()),
            Self::NullWithLength(len) => Bytes::NullWithLength(*len),
        }
        .to_c()
    }
}

/// A list position or length.
#[derive(Debug, Clone, Copy, Arbitrary)]
pub enum Position {
    Small(u8),
    Max,
    Raw(u64),
}

impl Position {
    pub fn get(self) -> u64 {
        match self {
            Self::Small(position) => u64::from(position % 16),
            Self::Max => u64::MAX,
            Self::Raw(position) => position,
        }
    }
}

/// The five kinds of index the C API opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Arbitrary)]
pub enum IndexKind {
    Map,
    List,
    Entry,
    KeySet,
    SparseList,
}

/// The namespaced accesses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Arbitrary)]
pub enum NamespaceKind {
    Prefixed,
    Migration,
    Scratchpad,
}

/// An access argument: the borrowed access of a fork, patch or snapshot handle, or an owned
/// access handle.
#[derive(Debug, Clone, Copy, Arbitrary)]
pub enum AccessArg {
    Fork(Slot),
    Patch(Slot),
    Snapshot(Slot),
    Owned(Slot),
}

/// The kinds of handle an operation frees.
#[derive(Debug, Clone, Copy, Arbitrary)]
pub enum HandleKind {
    Db,
    Fork,
    Patch,
    Snapshot,
    Access,
    Index,
    Iter,
    Helper,
}

/// How an operation opens a RocksDB database.
#[derive(Debug, Clone, Copy, Arbitrary)]
pub enum RocksOpen {
    /// A new directory.
    Create { compression: u8 },
    /// A new directory with `create_if_missing` off: fails.
    Missing,
    /// The directory of an earlier RocksDB database of this input, if there is one.
    Reopen,
    /// The latest checkpoint of this input, if there is one.
    Checkpoint,
    /// A path that is not UTF-8: fails.
    NotUtf8,
}

/// The three views of a migration helper.
#[derive(Debug, Clone, Copy, Arbitrary)]
pub enum HelperView {
    NewData,
    OldData,
    Scratchpad,
}

/// One C call (or a few, for iteration).
#[derive(Debug, Clone, Arbitrary)]
pub enum Op {
    OpenTemporary {
        nulls: Nulls,
    },
    OpenRocks {
        how: RocksOpen,
        gate: u8,
    },
    Snapshot {
        db: Slot,
        nulls: Nulls,
    },
    ForkNew {
        db: Slot,
        nulls: Nulls,
    },
    Merge {
        db: Slot,
        patch: Slot,
        sync: bool,
    },
    Checkpoint {
        db: Slot,
    },
    ForkReadonly {
        fork: Slot,
        nulls: Nulls,
    },
    ForkFlush {
        fork: Slot,
    },
    ForkRollback {
        fork: Slot,
    },
    ForkIntoPatch {
        fork: Slot,
        nulls: Nulls,
    },
    PatchIntoFork {
        patch: Slot,
        nulls: Nulls,
    },
    Namespaced {
        access: AccessArg,
        kind: NamespaceKind,
        namespace: Name,
        nulls: Nulls,
    },
    IndexType {
        access: AccessArg,
        name: Name,
        key: GroupKey,
        nulls: Nulls,
    },
    Open {
        access: AccessArg,
        kind: IndexKind,
        name: Name,
        key: GroupKey,
        nulls: Nulls,
    },
    Map {
        map: Slot,
        call: MapCall,
    },
    List {
        list: Slot,
        call: ListCall,
    },
    SparseList {
        list: Slot,
        call: SparseListCall,
    },
    KeySet {
        set: Slot,
        call: KeySetCall,
    },
    Entry {
        entry: Slot,
        call: EntryCall,
    },
    /// `steps % 4 + 1` calls of `mdb_iter_next`, or of `mdb_iter_next_batch` when
    /// [`iter_batch`] reads a batch from `steps`.
    IterNext {
        iter: Slot,
        steps: u8,
        nulls: Nulls,
    },
    Free {
        kind: HandleKind,
        handle: Slot,
    },
    HelperNew {
        db: Slot,
        namespace: Name,
        with_abort: bool,
        nulls: Nulls,
    },
    HelperView {
        helper: Slot,
        view: HelperView,
        nulls: Nulls,
    },
    HelperMerge {
        helper: Slot,
    },
    HelperFinish {
        helper: Slot,
    },
    Abort {
        handle: Slot,
        call: AbortCall,
    },
    MigrationFinalize {
        fork: Slot,
        namespace: Name,
        rollback: bool,
    },
    Tombstone {
        access: AccessArg,
        name: Name,
        key: GroupKey,
    },
    PersistentIter {
        access: AccessArg,
        name: Name,
        kind: IndexKind,
        index: Slot,
        nulls: Nulls,
    },
    IterLoop {
        helper: Slot,
        plan: LoopPlan,
    },
    LastError {
        buf_len: u8,
    },
}

/// Calls on a map handle.
#[derive(Debug, Clone, Arbitrary)]
pub enum MapCall {
    Get { key: Bytes, nulls: Nulls },
    Contains { key: Bytes, nulls: Nulls },
    Put { key: Bytes, value: Bytes },
    Remove { key: Bytes },
    Clear,
    Iter { from: Bytes, nulls: Nulls },
}

/// Calls on a list handle.
#[derive(Debug, Clone, Arbitrary)]
pub enum ListCall {
    Get { position: Position, nulls: Nulls },
    Last { nulls: Nulls },
    Len { nulls: Nulls },
    Push { value: Bytes },
    Pop { nulls: Nulls },
    Set { position: Position, value: Bytes },
    Truncate { len: Position },
    Clear,
    Iter { from: Position, nulls: Nulls },
}

/// Calls on a sparse list handle.
#[derive(Debug, Clone, Arbitrary)]
pub enum SparseListCall {
    Get {
        position: Position,
        nulls: Nulls,
    },
    Len {
        nulls: Nulls,
    },
    Capacity {
        nulls: Nulls,
    },
    Push {
        value: Bytes,
    },
    Set {
        position: Position,
        value: Bytes,
        nulls: Nulls,
    },
    Remove {
        position: Position,
        nulls: Nulls,
    },
    Pop {
        nulls: Nulls,
    },
    Clear,
    Iter {
        from: Position,
        nulls: Nulls,
    },
}

/// Calls on a key set handle.
#[derive(Debug, Clone, Arbitrary)]
pub enum KeySetCall {
    Contains { key: Bytes, nulls: Nulls },
    Insert { key: Bytes },
    Remove { key: Bytes },
    Clear,
    Iter { from: Bytes, nulls: Nulls },
}

/// Calls on an entry handle.
#[derive(Debug, Clone, Arbitrary)]
pub enum EntryCall {
    Get { nulls: Nulls },
    Exists { nulls: Nulls },
    Set { value: Bytes },
    Remove,
    Take { nulls: Nulls },
    Swap { value: Bytes, nulls: Nulls },
}

/// Calls on an abort handle.
#[derive(Debug, Clone, Copy, Arbitrary)]
pub enum AbortCall {
    Abort,
    IsFinished { nulls: Nulls },
    Forget,
    Free,
}

/// What the step of `mdb_migration_helper_iter_loop` does in each round: copy up to
/// [`batch_size`](Self::batch_size) entries of the old index `source` into the new index of
/// the same name, through a persistent iterator over the [`kind`](Self::kind) of index; or
/// fail with a status in round `fail_in_round`.
#[derive(Debug, Clone, Arbitrary)]
pub struct LoopPlan {
    pub source: Name,
    /// The batch size (low 3 bits) and the kind of index (the next 2 bits): one byte, so that
    /// the loops of inputs written when the loop copied only maps decode as before.
    pub batch: u8,
    pub fail_in_round: Option<u8>,
}

impl LoopPlan {
    pub fn batch_size(&self) -> usize {
        1 + usize::from(self.batch % 8)
    }

    /// The kind of index the step iterates, or `None` for the kind of the old index (a map
    /// if it is missing or cannot be iterated): a real migration knows its indexes' types,
    /// and a loop over a list needs no luckier input than a list in the old data.
    pub fn kind(&self) -> Option<IndexKind> {
        [
            None,
            Some(IndexKind::List),
            Some(IndexKind::SparseList),
            Some(IndexKind::KeySet),
        ][usize::from(self.batch >> 3) % 4]
    }
}

/// The buffer length and room for entries of the calls of `Op::IterNext { steps, .. }`, or
/// `None` for single steps (`mdb_iter_next`): bit 7 asks for batches (`mdb_iter_next_batch`),
/// bits 2 to 6 give a buffer of 0 to 186 bytes (a unit of 6: fuzzed entries are a few bytes to
/// a few dozen, so a batch holds none, some or all of them) and bits 4 to 6 room for 1 to 8
/// entries.
pub fn iter_batch(steps: u8) -> Option<(usize, usize)> {
    (steps & 0x80 != 0).then(|| {
        (
            usize::from(steps >> 2 & 0x1F) * 6,
            usize::from(steps >> 4 & 7) + 1,
        )
    })
}
