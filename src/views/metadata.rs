//! Index metadata and the index pool, which allocates identifiers (spec §7.3 to §7.5).
//!
//! Every index has a metadata record in the system column family `__INDEXES_POOL__`, under the
//! index's fully qualified name:
//!
//! ```text
//! u64 LE  identifier (non-zero)
//! u32 LE  index type code
//! [ u32 LE tag = 0 | u32 LE length L | L bytes of state ]   present only with a state
//! ```
//!
//! The empty key of the pool holds the number of identifiers ever allocated (u64 LE).

use std::{borrow::Cow, convert::TryFrom, fmt, marker::PhantomData, num::NonZeroU64};

use anyhow::{bail, ensure};

use super::{
    access_error::{check_full_name, AccessError, AccessErrorKind},
    address::IndexAddress,
    index_type::IndexType,
    AsReadonly, RawAccess, ResolvedAddress, View,
};
use crate::{BinaryKey, BinaryValue};

/// Name of the column family holding index metadata and the identifier counter.
pub(crate) const INDEXES_POOL_NAME: &str = "__INDEXES_POOL__";
/// Key of the identifier counter in the pool: the encoding of `()`.
pub(crate) const COUNTER_KEY: [u8; 0] = [];
/// Tag of the state attribute in the metadata record.
const INDEX_STATE_TAG: u32 = 0;
/// Size of the fixed part of a metadata record: identifier and type code.
const METADATA_HEADER_LEN: usize = 12;
/// Where the state starts in a record that has one: after the header, the tag and the length.
const METADATA_STATE_START: usize = METADATA_HEADER_LEN + 8;
/// How many group keys `GroupKeys` reads from the pool at a time.
const GROUP_KEYS_BUFFER: usize = 1_000;

/// State kept in index metadata: a list's length, a sparse list's capacity and length.
pub(crate) trait BinaryAttribute: Sized + Copy {
    /// Appends the encoding to `bytes`.
    fn write_attribute(&self, bytes: &mut Vec<u8>);

    fn to_attribute(&self) -> Vec<u8> {
        let mut bytes = Vec::new();
        self.write_attribute(&mut bytes);
        bytes
    }

    fn from_attribute(bytes: &[u8]) -> anyhow::Result<Self>;
}

impl BinaryAttribute for u64 {
    fn write_attribute(&self, bytes: &mut Vec<u8>) {
        bytes.extend_from_slice(&self.to_le_bytes());
    }

    fn from_attribute(bytes: &[u8]) -> anyhow::Result<Self> {
        let bytes = bytes
            .get(..8)
            .ok_or_else(|| anyhow::anyhow!("failed to fill whole buffer"))?;
        Ok(u64::from_le_bytes(bytes.try_into().expect("8 bytes")))
    }
}

impl BinaryAttribute for (u64, u64) {
    fn write_attribute(&self, bytes: &mut Vec<u8>) {
        self.0.write_attribute(bytes);
        self.1.write_attribute(bytes);
    }

    fn from_attribute(bytes: &[u8]) -> anyhow::Result<Self> {
        ensure!(bytes.len() >= 16, "failed to fill whole buffer");
        Ok((
            u64::from_attribute(bytes)?,
            u64::from_attribute(&bytes[8..])?,
        ))
    }
}

/// Metadata of an index: its identifier, type and optional state.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IndexMetadata<V = Vec<u8>> {
    identifier: NonZeroU64,
    index_type: IndexType,
    state: Option<V>,
}

impl<V> IndexMetadata<V> {
    /// Returns the type of the index.
    pub fn index_type(&self) -> IndexType {
        self.index_type
    }

    /// Returns the identifier of the index.
    pub fn identifier(&self) -> NonZeroU64 {
        self.identifier
    }

    /// The same metadata under another identifier: a provisional one made final at merge.
    pub(crate) fn with_identifier(self, identifier: NonZeroU64) -> Self {
        Self { identifier, ..self }
    }
}

impl IndexMetadata {
    /// The stored state: a list's length, a sparse list's capacity and length.
    pub(crate) fn state_bytes(&self) -> Option<&[u8]> {
        self.state.as_deref()
    }

    fn convert<V: BinaryAttribute>(self) -> IndexMetadata<V> {
        let state = self.state.map(|bytes| {
            V::from_attribute(&bytes).unwrap_or_else(|e| {
                panic!(
                    "Error while reading state for index with type {:?}: {}. \
                     This can be caused by database corruption",
                    self.index_type, e
                )
            })
        });
        IndexMetadata {
            identifier: self.identifier,
            index_type: self.index_type,
            state,
        }
    }
}

/// Appends a metadata record (the module's layout) to `bytes`, its state written by
/// `write_state` if it has one.
fn write_metadata(
    bytes: &mut Vec<u8>,
    identifier: NonZeroU64,
    index_type: IndexType,
    write_state: Option<impl FnOnce(&mut Vec<u8>)>,
) {
    bytes.extend_from_slice(&identifier.get().to_le_bytes());
    bytes.extend_from_slice(&(index_type as u32).to_le_bytes());
    if let Some(write_state) = write_state {
        bytes.extend_from_slice(&INDEX_STATE_TAG.to_le_bytes());
        let len_at = bytes.len();
        bytes.extend_from_slice(&[0; 4]);
        write_state(bytes);
        let len = u32::try_from(bytes.len() - len_at - 4).expect("index state is small");
        bytes[len_at..len_at + 4].copy_from_slice(&len.to_le_bytes());
    }
}

fn read_u32(bytes: &[u8], at: usize) -> anyhow::Result<u32> {
    match bytes.get(at..at + 4) {
        Some(slice) => Ok(u32::from_le_bytes(slice.try_into().expect("4 bytes"))),
        None => bail!("failed to fill whole buffer"),
    }
}

impl BinaryValue for IndexMetadata {
    fn to_bytes(&self) -> Vec<u8> {
        let state_len = self.state.as_ref().map_or(0, |state| 8 + state.len());
        let mut bytes = Vec::with_capacity(METADATA_HEADER_LEN + state_len);
        write_metadata(
            &mut bytes,
            self.identifier,
            self.index_type,
            self.state
                .as_ref()
                .map(|state| |bytes: &mut Vec<u8>| bytes.extend_from_slice(state)),
        );
        bytes
    }

    fn from_bytes(bytes: Cow<'_, [u8]>) -> anyhow::Result<Self> {
        ensure!(
            bytes.len() >= METADATA_HEADER_LEN,
            "failed to fill whole buffer"
        );
        let identifier = u64::from_le_bytes(bytes[..8].try_into().expect("8 bytes"));
        let identifier = NonZeroU64::new(identifier)
            .ok_or_else(|| anyhow::anyhow!("IndexMetadata identifier is 0"))?;
        let code = read_u32(&bytes, 8)?;
        let index_type = IndexType::try_from(code)
            .map_err(|_| anyhow::anyhow!("Unknown index type: {}", code))?;
        let state = if bytes.len() == METADATA_HEADER_LEN {
            None
        } else {
            let tag = read_u32(&bytes, METADATA_HEADER_LEN)?;
            let len = read_u32(&bytes, METADATA_HEADER_LEN + 4)? as usize;
            ensure!(
                tag == INDEX_STATE_TAG,
                "Attribute with unknown tag: {}",
                tag
            );
            let start = METADATA_HEADER_LEN + 8;
            let state = bytes
                .get(start..start + len)
                .ok_or_else(|| anyhow::anyhow!("Index state is too short"))?;
            Some(state.to_vec())
        };
        Ok(Self {
            identifier,
            index_type,
            state,
        })
    }
}

/// The index pool: metadata of every index and the identifier counter, viewed through an
/// access. On a fork it borrows the pool address for as long as it lives, so it is always
/// dropped at once.
pub(crate) struct IndexesPool<T: RawAccess>(View<T>);

impl<T: RawAccess> IndexesPool<T> {
    pub(crate) fn new(access: T) -> Self {
        Self(View::new(
            access,
            ResolvedAddress::system(INDEXES_POOL_NAME),
        ))
    }

    /// Number of identifiers ever allocated.
    pub(crate) fn len(&self) -> u64 {
        self.0.get(&()).unwrap_or(0)
    }

    pub(crate) fn index_metadata(&self, fqn: &[u8]) -> Option<IndexMetadata> {
        self.0.get(fqn)
    }

    /// Creates metadata for a new index. Through an access that cannot write, nothing is
    /// stored and the returned metadata is phantom (`true`).
    fn create_index_metadata(
        &mut self,
        fqn: &[u8],
        index_type: IndexType,
    ) -> (IndexMetadata, bool) {
        let count = self.len() + 1;
        let metadata = IndexMetadata {
            identifier: NonZeroU64::new(count).expect("count + 1 is non-zero"),
            index_type,
            state: None,
        };
        if !self.0.is_writable() {
            return (metadata, true);
        }
        self.0.put(fqn, metadata.clone());
        self.0.put(&(), count);
        (metadata, false)
    }

    pub(crate) fn set_index_metadata(&mut self, fqn: &[u8], metadata: IndexMetadata) {
        // A fully qualified name is its own key encoding (`[u8]` keys are stored as is).
        self.0.put_bytes(fqn, metadata.into_bytes());
    }

    pub(crate) fn remove_index_metadata(&mut self, fqn: &[u8]) {
        self.0.remove(fqn);
    }

    /// All `(fully qualified name, metadata)` records whose name starts with `prefix`, in
    /// key order.
    pub(crate) fn indexes_with_prefix(&self, prefix: &[u8]) -> Vec<(Vec<u8>, IndexMetadata)> {
        let mut iter = self.0.iter_bytes(prefix);
        let mut indexes = Vec::new();
        while let Some((key, value)) = iter.next() {
            if !key.starts_with(prefix) {
                break;
            }
            let metadata = IndexMetadata::from_bytes(Cow::Borrowed(value))
                .expect("Unable to decode value from bytes");
            indexes.push((key.to_vec(), metadata));
        }
        indexes
    }
}

/// A record of the index pool whose stored bytes do not decode: an index's metadata, or the
/// identifier counter. The engine panics on these, as metaldb 1.0.0 did; the C ABI looks for
/// them first (with the `checked_*` readers) and reports them as corruption.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CorruptMetadata {
    /// The pool key: a fully qualified name, or empty for the counter.
    key: Vec<u8>,
    bytes: Vec<u8>,
    reason: String,
}

impl fmt::Display for CorruptMetadata {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.key.is_empty() {
            write!(formatter, "the identifier counter of {}", INDEXES_POOL_NAME)?;
        } else {
            write!(
                formatter,
                "the metadata of index {:?} in {}",
                String::from_utf8_lossy(&self.key),
                INDEXES_POOL_NAME
            )?;
        }
        write!(
            formatter,
            " is corrupted: {} (stored bytes: {:02x?}); the database may be damaged",
            self.reason, self.bytes
        )
    }
}

impl<T: RawAccess> IndexesPool<T> {
    /// The metadata under `fqn`, decoded without panicking: its header, and its state for the
    /// index types that have one (docs/format.md, "Index metadata").
    pub(crate) fn checked_index_metadata(
        &self,
        fqn: &[u8],
    ) -> Result<Option<IndexMetadata>, CorruptMetadata> {
        let Some(bytes) = self.0.get_bytes(fqn) else {
            return Ok(None);
        };
        let corrupt = |reason: String| CorruptMetadata {
            key: fqn.to_vec(),
            bytes: bytes.clone(),
            reason,
        };
        let metadata = IndexMetadata::from_bytes(Cow::Borrowed(&bytes))
            .map_err(|err| corrupt(err.to_string()))?;
        if let Some(state) = &metadata.state {
            let decoded = match metadata.index_type {
                IndexType::List => u64::from_attribute(state).map(drop),
                IndexType::SparseList => <(u64, u64)>::from_attribute(state).map(drop),
                _ => Ok(()),
            };
            decoded.map_err(|err| {
                corrupt(format!(
                    "the state of a {:?} does not decode: {}",
                    metadata.index_type, err
                ))
            })?;
        }
        Ok(Some(metadata))
    }

    /// Checks that the identifier counter decodes, as creating an index needs.
    pub(crate) fn check_counter(&self) -> Result<(), CorruptMetadata> {
        let key = COUNTER_KEY.to_vec();
        match self.0.get_bytes(&key) {
            Some(bytes) => u64::from_bytes(Cow::Borrowed(&bytes))
                .map(drop)
                .map_err(|err| CorruptMetadata {
                    key,
                    reason: err.to_string(),
                    bytes,
                }),
            None => Ok(()),
        }
    }

    /// Checks every record whose key starts with `prefix`, as
    /// [`indexes_with_prefix`](Self::indexes_with_prefix) decodes them, and returns their keys.
    pub(crate) fn check_indexes_with_prefix(
        &self,
        prefix: &[u8],
    ) -> Result<Vec<Vec<u8>>, CorruptMetadata> {
        let mut keys = Vec::new();
        let mut iter = self.0.iter_bytes(prefix);
        while let Some((key, _)) = iter.next() {
            if !key.starts_with(prefix) {
                break;
            }
            keys.push(key.to_vec());
        }
        drop(iter);
        for key in &keys {
            self.checked_index_metadata(key)?;
        }
        Ok(keys)
    }
}

/// Looks up an index's metadata without creating anything, reporting corrupt metadata
/// instead of panicking.
pub(crate) fn checked_metadata<T: RawAccess>(
    access: T,
    addr: &IndexAddress,
) -> Result<Option<IndexMetadata>, CorruptMetadata> {
    IndexesPool::new(access).checked_index_metadata(&addr.fully_qualified_name())
}

/// Looks up an index's metadata without creating anything.
pub(crate) fn get_metadata_unchecked<T: RawAccess>(
    access: T,
    addr: &IndexAddress,
) -> Option<IndexMetadata> {
    IndexesPool::new(access).index_metadata(&addr.fully_qualified_name())
}

/// A view together with the metadata of its index. Returned by
/// [`Access::get_or_create_view`](crate::access::Access::get_or_create_view).
pub struct ViewWithMetadata<T: RawAccess> {
    view: View<T>,
    metadata: IndexMetadata,
    index_full_name: Vec<u8>,
}

impl<T: RawAccess> fmt::Debug for ViewWithMetadata<T> {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("ViewWithMetadata")
            .field("view", &self.view)
            .field("metadata", &self.metadata)
            .finish()
    }
}

impl<T: RawAccess> ViewWithMetadata<T> {
    /// Opens the index at `addr`, creating it if the access can write; checks the full name
    /// (spec §7.7) first.
    pub(crate) fn get_or_create(
        access: T,
        addr: &IndexAddress,
        index_type: IndexType,
    ) -> Result<Self, AccessError> {
        check_full_name(addr)?;
        Self::get_or_create_unchecked(access, addr, index_type)
    }

    /// Opens the index at `addr` without checking its name.
    pub(crate) fn get_or_create_unchecked(
        access: T,
        addr: &IndexAddress,
        index_type: IndexType,
    ) -> Result<Self, AccessError> {
        let error = |kind| AccessError {
            addr: addr.clone(),
            kind,
        };
        if index_type == IndexType::Tombstone && !addr.in_migration() {
            return Err(error(AccessErrorKind::InvalidTombstone));
        }
        let index_full_name = addr.fully_qualified_name();
        let (metadata, is_phantom) = {
            let mut pool = IndexesPool::new(access.clone());
            match pool.index_metadata(&index_full_name) {
                Some(metadata) => (metadata, false),
                None => pool.create_index_metadata(&index_full_name, index_type),
            }
        };
        // The view is built before the type check, as upstream does: a request that conflicts
        // with a live borrow panics rather than reporting the wrong type.
        let view = if is_phantom {
            View::new_phantom()
        } else {
            View::new(
                access,
                ResolvedAddress::new(addr.name(), Some(metadata.identifier)),
            )
        };
        if metadata.index_type != index_type {
            return Err(error(AccessErrorKind::WrongIndexType {
                expected: index_type,
                actual: metadata.index_type,
            }));
        }
        Ok(Self {
            view,
            metadata,
            index_full_name,
        })
    }

    /// Returns the type of the index.
    pub fn index_type(&self) -> IndexType {
        self.metadata.index_type
    }

    /// Returns `true` if the index does not exist and the access could not create it.
    pub fn is_phantom(&self) -> bool {
        self.view.is_phantom()
    }

    /// Splits into the view and a handle on the index state of type `V`.
    pub(crate) fn into_parts<V: BinaryAttribute>(self) -> (View<T>, IndexState<T, V>) {
        let access = match &self.view.inner {
            super::ViewInner::Real { access, .. } => Some(access.clone()),
            super::ViewInner::Phantom => None,
        };
        let metadata = self.metadata.convert::<V>();
        let state = IndexState {
            access,
            index_full_name: self.index_full_name,
            identifier: metadata.identifier,
            index_type: metadata.index_type,
            cache: metadata.state,
        };
        (self.view, state)
    }
}

impl<T: RawAccess> From<ViewWithMetadata<T>> for View<T> {
    fn from(view: ViewWithMetadata<T>) -> Self {
        view.view
    }
}

/// The state of an index (a list's length), cached and written back to the pool on change.
///
/// Through a fork, the metadata record is not written to the pool at each change: it waits in
/// the changes that the index's view borrowed, which write it when they go back to the fork
/// (`ChangesMut`). A list's pushes would otherwise each rewrite the record in the pool, which
/// cost as much as the push itself. Nothing can read the record in between: the index holds
/// its address borrowed, so no other index of it can be opened on the fork, and the fork
/// cannot be flushed or made a patch while any index of it lives.
pub(crate) struct IndexState<T: RawAccess, V> {
    /// `None` for phantom indexes, which are never written.
    access: Option<T>,
    index_full_name: Vec<u8>,
    identifier: NonZeroU64,
    index_type: IndexType,
    cache: Option<V>,
}

impl<T: RawAccess, V: BinaryAttribute> IndexState<T, V> {
    pub(crate) fn get(&self) -> Option<V> {
        self.cache
    }

    /// Sets the state; `view` is the index's view.
    pub(crate) fn set(&mut self, view: &mut View<T>, state: V) {
        self.write(view, Some(state));
    }

    /// Removes the state; `view` is the index's view.
    pub(crate) fn unset(&mut self, view: &mut View<T>) {
        self.write(view, None);
    }

    fn write(&mut self, view: &mut View<T>, state: Option<V>) {
        // A phantom index has no access to write through: the same failure as any write to it.
        let access = self.access.as_ref().expect(super::READONLY_VIEW_PANIC);
        self.cache = state;
        if let Some(record) = view.metadata_record(&self.index_full_name) {
            // A record with a state only needs the new state: the rest is the same for the
            // index's life, the state's length included (a list's is always 8 bytes).
            if let (Some(state), true) = (state, record.len() > METADATA_STATE_START) {
                record.truncate(METADATA_STATE_START);
                state.write_attribute(record);
                return;
            }
            record.clear();
            write_metadata(
                record,
                self.identifier,
                self.index_type,
                state.map(|state| move |bytes: &mut Vec<u8>| state.write_attribute(bytes)),
            );
            return;
        }
        let access = access.clone();
        let metadata = IndexMetadata {
            identifier: self.identifier,
            index_type: self.index_type,
            state: state.map(|state| state.to_attribute()),
        };
        IndexesPool::new(access).set_index_metadata(&self.index_full_name, metadata);
    }
}

impl<T: RawAccess, V: fmt::Debug + Copy> fmt::Debug for IndexState<T, V> {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("IndexState")
            .field("state", &self.cache)
            .finish()
    }
}

/// Iterator over the keys of a [`Group`](crate::Group)'s members, in the order of their
/// encodings. Reads the pool in batches, so memory stays bounded for big groups.
pub struct GroupKeys<T: RawAccess, K: ?Sized> {
    access: T,
    prefix: Vec<u8>,
    next_key: Option<Vec<u8>>,
    buffer: std::vec::IntoIter<Vec<u8>>,
    buffer_size: usize,
    _key: PhantomData<fn() -> Box<K>>,
}

impl<T: RawAccess, K: ?Sized> fmt::Debug for GroupKeys<T, K> {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("GroupKeys")
            .field("prefix", &self.prefix)
            .field("next_key", &self.next_key)
            .finish()
    }
}

impl<T, K> GroupKeys<T, K>
where
    T: RawAccess + AsReadonly<Readonly = T>,
    K: BinaryKey + ?Sized,
{
    pub(crate) fn new(access: T, address: &IndexAddress) -> Self {
        Self::with_custom_buffer(access, address, GROUP_KEYS_BUFFER)
    }

    pub(crate) fn with_custom_buffer(
        access: T,
        address: &IndexAddress,
        buffer_size: usize,
    ) -> Self {
        let prefix = address.qualified_prefix();
        Self {
            access: access.as_readonly(),
            next_key: Some(prefix.clone()),
            prefix,
            buffer: Vec::new().into_iter(),
            buffer_size,
            _key: PhantomData,
        }
    }

    fn refill(&mut self) {
        let Some(from) = self.next_key.take() else {
            return;
        };
        let pool = IndexesPool::new(self.access.clone());
        let mut iter = pool.0.iter_bytes(&from);
        let mut keys = Vec::with_capacity(self.buffer_size.min(64));
        while let Some((key, _)) = iter.next() {
            if !key.starts_with(&self.prefix) {
                break;
            }
            if keys.len() == self.buffer_size {
                self.next_key = Some(key.to_vec());
                break;
            }
            keys.push(key[self.prefix.len()..].to_vec());
        }
        self.buffer = keys.into_iter();
    }
}

impl<T, K> Iterator for GroupKeys<T, K>
where
    T: RawAccess + AsReadonly<Readonly = T>,
    K: BinaryKey + ?Sized,
{
    type Item = K::Owned;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(key) = self.buffer.next() {
                return Some(K::read(&key));
            }
            self.next_key.as_ref()?;
            self.refill();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_round_trips_with_and_without_state() {
        let metadata = IndexMetadata {
            identifier: NonZeroU64::new(5).unwrap(),
            index_type: IndexType::List,
            state: Some(3_u64.to_attribute()),
        };
        let bytes = metadata.to_bytes();
        assert_eq!(
            bytes,
            [5, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0]
        );
        assert_eq!(IndexMetadata::from_bytes(bytes.into()).unwrap(), metadata);
        let bare = IndexMetadata {
            state: None,
            ..metadata
        };
        assert_eq!(bare.to_bytes().len(), 12);
        assert_eq!(
            IndexMetadata::from_bytes(bare.to_bytes().into()).unwrap(),
            bare
        );
    }

    #[test]
    #[should_panic(expected = "Attribute with unknown tag")]
    fn metadata_with_unknown_tag_is_rejected() {
        let metadata = IndexMetadata {
            identifier: NonZeroU64::new(5).unwrap(),
            index_type: IndexType::List,
            state: Some(3_u64.to_attribute()),
        };
        let mut bytes = metadata.to_bytes();
        bytes[13] = 1;
        IndexMetadata::from_bytes(bytes.into()).unwrap();
    }

    #[test]
    fn metadata_decoding_reports_each_corruption() {
        let err = |bytes: &[u8]| {
            IndexMetadata::from_bytes(bytes.into())
                .unwrap_err()
                .to_string()
        };
        assert_eq!(err(&[0; 12]), "IndexMetadata identifier is 0");
        assert_eq!(
            err(&[1, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0]),
            "Unknown index type: 4"
        );
        assert_eq!(
            err(&[1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0, 0, 1]),
            "Index state is too short"
        );
        assert!(IndexMetadata::from_bytes(Cow::Borrowed(&[1, 0, 0][..])).is_err());
    }

    #[test]
    fn checked_reads_report_corrupt_records_instead_of_panicking() {
        use crate::{Database, TemporaryDB};

        let db = TemporaryDB::new();
        let fork = db.fork();
        let mut pool = IndexesPool::new(&fork);
        pool.0.put_bytes(b"list", vec![2, 0, 0, 0, 0]);
        assert_eq!(
            pool.checked_index_metadata(b"list")
                .unwrap_err()
                .to_string(),
            "the metadata of index \"list\" in __INDEXES_POOL__ is corrupted: failed to fill \
             whole buffer (stored bytes: [02, 00, 00, 00, 00]); the database may be damaged"
        );

        let short_state = IndexMetadata {
            identifier: NonZeroU64::new(2).unwrap(),
            index_type: IndexType::SparseList,
            state: Some(vec![1; 8]),
        };
        pool.0.put_bytes(b"sparse", short_state.to_bytes());
        let message = pool
            .checked_index_metadata(b"sparse")
            .unwrap_err()
            .to_string();
        assert!(
            message.contains("the state of a SparseList does not decode"),
            "{message}"
        );
        // The same bytes are a sound list: a list's state is 8 bytes.
        let list = IndexMetadata {
            index_type: IndexType::List,
            ..short_state
        };
        pool.0.put_bytes(b"list", list.to_bytes());
        assert_eq!(pool.checked_index_metadata(b"list"), Ok(Some(list)));
        assert_eq!(pool.checked_index_metadata(b"missing"), Ok(None));

        assert_eq!(pool.check_counter(), Ok(()));
        pool.0.put_bytes(&COUNTER_KEY, vec![1, 2]);
        let message = pool.check_counter().unwrap_err().to_string();
        assert!(
            message.starts_with("the identifier counter of __INDEXES_POOL__ is corrupted"),
            "{message}"
        );
        assert_eq!(
            pool.check_indexes_with_prefix(b"li")
                .map_err(|err| err.to_string()),
            Ok(vec![b"list".to_vec()])
        );
        assert!(pool.check_indexes_with_prefix(b"").is_err());
    }

    #[test]
    fn index_type_codes_match_the_format() {
        for (code, index_type) in [
            (1, IndexType::Map),
            (2, IndexType::List),
            (3, IndexType::Entry),
            (5, IndexType::KeySet),
            (6, IndexType::SparseList),
            (254, IndexType::Tombstone),
            (255, IndexType::Unknown),
        ] {
            assert_eq!(IndexType::try_from(code), Ok(index_type));
            assert_eq!(index_type as u32, code);
        }
        assert_eq!(IndexType::try_from(0), Err("Unknown index type"));
        assert_eq!(IndexType::try_from(4), Err("Unknown index type"));
        assert_eq!(crate::views::key_bytes(&()), COUNTER_KEY);
    }
}
