//! The type of an index, as its metadata records it (a `u32` code, docs/format.md).

use serde::{Deserialize, Serialize};

/// Type of an index, as stored in its metadata.
#[derive(Debug, Copy, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[repr(u32)]
pub enum IndexType {
    /// [`MapIndex`](crate::MapIndex).
    Map = 1,
    /// [`ListIndex`](crate::ListIndex).
    List = 2,
    /// [`Entry`](crate::Entry).
    Entry = 3,
    /// [`KeySetIndex`](crate::KeySetIndex).
    KeySet = 5,
    /// [`SparseListIndex`](crate::SparseListIndex).
    SparseList = 6,
    /// A marker of an index removed in a migration.
    Tombstone = 254,
    /// Unknown index type.
    #[doc(hidden)]
    #[default]
    Unknown = 255,
}

impl TryFrom<u32> for IndexType {
    type Error = &'static str;

    fn try_from(code: u32) -> Result<Self, Self::Error> {
        Ok(match code {
            1 => Self::Map,
            2 => Self::List,
            3 => Self::Entry,
            5 => Self::KeySet,
            6 => Self::SparseList,
            254 => Self::Tombstone,
            255 => Self::Unknown,
            _ => return Err("Unknown index type"),
        })
    }
}
