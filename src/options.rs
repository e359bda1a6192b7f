//! Options of the RocksDB backend.

use serde::{Deserialize, Serialize};

/// Options for opening a [`RocksDB`](crate::RocksDB) database.
///
/// The struct is `#[non_exhaustive]`: outside this crate, start from [`DBOptions::default()`]
/// and change the fields you need, or call [`DBOptions::new`].
///
/// # Examples
///
/// ```
/// use metaldb::DBOptions;
///
/// let mut options = DBOptions::default();
/// options.max_open_files = Some(512);
/// options.max_cache_size = Some(64 << 20);
/// assert!(options.create_if_missing);
/// ```
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
#[non_exhaustive]
pub struct DBOptions {
    /// Maximum number of files that RocksDB keeps open at once.
    ///
    /// `None` means no limit (RocksDB's `-1`). Default: `None`.
    pub max_open_files: Option<i32>,
    /// Whether to create the database if it does not exist yet (RocksDB's flag of the same
    /// name). Default: `true`.
    pub create_if_missing: bool,
    /// Compression applied to the stored data. Default: [`CompressionType::None`].
    ///
    /// The codec must have been compiled into RocksDB through the matching `rocksdb_*` feature
    /// of this crate; otherwise RocksDB rejects the options when the database is opened.
    pub compression_type: CompressionType,
    /// Size of the write-ahead log, in bytes, at which RocksDB flushes the column families that
    /// hold it back.
    ///
    /// `None` lets RocksDB choose (it is passed as `0`). Default: `None`.
    pub max_total_wal_size: Option<u64>,
    /// Capacity in bytes of an LRU cache of rows read from the database.
    ///
    /// `None` disables the cache. Default: `None`.
    pub max_cache_size: Option<usize>,
}

impl DBOptions {
    /// Creates options with every field given explicitly.
    #[must_use]
    pub const fn new(
        max_open_files: Option<i32>,
        create_if_missing: bool,
        compression_type: CompressionType,
        max_total_wal_size: Option<u64>,
        max_cache_size: Option<usize>,
    ) -> Self {
        Self {
            max_open_files,
            create_if_missing,
            compression_type,
            max_total_wal_size,
            max_cache_size,
        }
    }
}

impl Default for DBOptions {
    /// No limit on open files, create a missing database, no compression, RocksDB's automatic
    /// write-ahead log size and no row cache.
    fn default() -> Self {
        Self::new(None, true, CompressionType::None, None, None)
    }
}

/// Compression algorithm applied by RocksDB to the stored data.
///
/// Serialized by serde under lower-case names: `"bz2"`, `"lz4"`, `"lz4hc"`, `"snappy"`,
/// `"zlib"`, `"zstd"` and `"none"`.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "lowercase")]
pub enum CompressionType {
    /// bzip2; needs the `rocksdb_bzip2` feature.
    Bz2,
    /// LZ4; needs the `rocksdb_lz4` feature.
    Lz4,
    /// LZ4 in high-compression mode; needs the `rocksdb_lz4` feature.
    Lz4hc,
    /// Snappy; needs the `rocksdb_snappy` feature, which is on by default.
    Snappy,
    /// zlib; needs the `rocksdb_zlib` feature.
    Zlib,
    /// Zstandard; needs the `rocksdb_zstd` feature.
    Zstd,
    /// No compression.
    None,
}

#[cfg(test)]
mod tests {
    use serde::de::{value::StrDeserializer, IntoDeserializer};
    use serde::Deserialize;

    use super::{CompressionType, DBOptions};

    fn compression_from_name(name: &str) -> Result<CompressionType, serde::de::value::Error> {
        let deserializer: StrDeserializer<'_, serde::de::value::Error> = name.into_deserializer();
        CompressionType::deserialize(deserializer)
    }

    #[test]
    fn default_options_create_an_uncompressed_database_without_limits() {
        let options = DBOptions::default();
        assert_eq!(options.max_open_files, None);
        assert!(options.create_if_missing);
        assert_eq!(options.compression_type, CompressionType::None);
        assert_eq!(options.max_total_wal_size, None);
        assert_eq!(options.max_cache_size, None);
    }

    #[test]
    fn new_sets_every_field_in_declaration_order() {
        let options = DBOptions::new(Some(5), false, CompressionType::Zstd, Some(7), Some(9));
        assert_eq!(options.max_open_files, Some(5));
        assert!(!options.create_if_missing);
        assert_eq!(options.compression_type, CompressionType::Zstd);
        assert_eq!(options.max_total_wal_size, Some(7));
        assert_eq!(options.max_cache_size, Some(9));

        let defaults = DBOptions::new(None, true, CompressionType::None, None, None);
        assert_eq!(defaults, DBOptions::default());
    }

    #[test]
    fn compression_types_deserialize_from_lowercase_names() {
        let expected = [
            ("bz2", CompressionType::Bz2),
            ("lz4", CompressionType::Lz4),
            ("lz4hc", CompressionType::Lz4hc),
            ("snappy", CompressionType::Snappy),
            ("zlib", CompressionType::Zlib),
            ("zstd", CompressionType::Zstd),
            ("none", CompressionType::None),
        ];
        for (name, compression) in expected {
            assert_eq!(compression_from_name(name).unwrap(), compression);
        }
        assert!(compression_from_name("Snappy").is_err());
        assert!(compression_from_name("gzip").is_err());
    }
}
