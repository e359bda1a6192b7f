//! Binary encoding of index keys.

use std::mem;

#[cfg(feature = "chrono")]
use chrono::{DateTime, Utc};
#[cfg(feature = "rust_decimal")]
use rust_decimal::Decimal;
#[cfg(feature = "uuid")]
use uuid::Uuid;

/// The panic message of `str` and `String` keys that are not valid UTF-8.
const UTF8_KEY_ERROR: &str = "Error reading UTF-8 string from the database. Probable reason is \
     data schema mismatch; for example, data was written to `MapIndex<u64, _>` and is read as \
     `MapIndex<str, _>`";

/// A type that can be used as a key of an index.
///
/// Indexes store and iterate their keys ordered by the encoded bytes, compared
/// lexicographically. The encodings of the integer types and of `DateTime<Utc>` are chosen so
/// that this byte order is the natural order of the values: integers are big-endian, and signed
/// integers have their sign bit flipped (`-1_i32` is `7F FF FF FF`, `0_i32` is `80 00 00 00`).
/// Byte strings and strings sort lexicographically, so a prefix comes before its extensions.
///
/// Implementations exist for `()`, all fixed-size integers, `Vec<u8>`, `[u8]`, `[u8; 32]`,
/// `String` and `str`, and, behind the features of the same name, for `chrono::DateTime<Utc>`,
/// `uuid::Uuid` (uuid 0.8) and `rust_decimal::Decimal`. Note that `Uuid` and `Decimal` keys sort
/// by their raw bytes, not by value. There are deliberately no impls for tuples, `Option`,
/// floats or other containers: type inference in user code (`&vec![1]` being a `Vec<u8>` key)
/// relies on exactly one impl matching.
///
/// # Examples
///
/// A composite key built from the encodings of its fields. Because every field has a fixed
/// size and an order-preserving encoding, keys sort by `a` and then by `b`.
///
/// ```
/// use metaldb::BinaryKey;
///
/// #[derive(Debug, Clone, PartialEq)]
/// struct Key {
///     a: i32,
///     b: u32,
/// }
///
/// impl BinaryKey for Key {
///     fn size(&self) -> usize {
///         self.a.size() + self.b.size()
///     }
///
///     fn write(&self, buffer: &mut [u8]) -> usize {
///         let written = self.a.write(&mut buffer[..4]);
///         written + self.b.write(&mut buffer[4..])
///     }
///
///     fn read(buffer: &[u8]) -> Self {
///         Self {
///             a: i32::read(&buffer[..4]),
///             b: u32::read(&buffer[4..]),
///         }
///     }
/// }
///
/// let key = Key { a: -1, b: 2 };
/// let mut buffer = vec![0; key.size()];
/// assert_eq!(key.write(&mut buffer), 8);
/// assert_eq!(buffer, [0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 2]);
/// assert_eq!(Key::read(&buffer), key);
/// ```
pub trait BinaryKey: ToOwned {
    /// Returns the exact length of the encoded key in bytes.
    fn size(&self) -> usize;

    /// Writes the encoded key into `buffer` and returns the number of bytes written.
    ///
    /// `buffer` is exactly [`size()`](Self::size) bytes long; its initial contents are
    /// unspecified.
    fn write(&self, buffer: &mut [u8]) -> usize;

    /// Decodes a key from `buffer`, which holds exactly the bytes written by
    /// [`write`](Self::write).
    ///
    /// # Panics
    ///
    /// Decoding has no error channel, so implementations panic on malformed input, such as a
    /// buffer of the wrong length or a string that is not valid UTF-8. Such input usually means
    /// that the index is read with a different key type than it was written with.
    fn read(buffer: &[u8]) -> Self::Owned;
}

impl BinaryKey for () {
    fn size(&self) -> usize {
        0
    }

    fn write(&self, _buffer: &mut [u8]) -> usize {
        0
    }

    fn read(_buffer: &[u8]) -> Self::Owned {}
}

/// Fixed-width integers encode as big-endian so that byte order matches numeric order.
/// Signed integers additionally flip the sign bit (XOR with `MIN`), which moves negative values
/// below non-negative ones.
macro_rules! impl_binary_key_for_ints {
    (unsigned: $($type:ty),*; signed: $($signed_type:ty),*) => {
        $(
            impl BinaryKey for $type {
                fn size(&self) -> usize {
                    mem::size_of::<Self>()
                }

                fn write(&self, buffer: &mut [u8]) -> usize {
                    let bytes = self.to_be_bytes();
                    buffer[..bytes.len()].copy_from_slice(&bytes);
                    bytes.len()
                }

                fn read(buffer: &[u8]) -> Self {
                    let mut bytes = [0; mem::size_of::<Self>()];
                    bytes.copy_from_slice(&buffer[..mem::size_of::<Self>()]);
                    Self::from_be_bytes(bytes)
                }
            }
        )*
        $(
            impl BinaryKey for $signed_type {
                fn size(&self) -> usize {
                    mem::size_of::<Self>()
                }

                fn write(&self, buffer: &mut [u8]) -> usize {
                    let bytes = (self ^ Self::MIN).to_be_bytes();
                    buffer[..bytes.len()].copy_from_slice(&bytes);
                    bytes.len()
                }

                fn read(buffer: &[u8]) -> Self {
                    let mut bytes = [0; mem::size_of::<Self>()];
                    bytes.copy_from_slice(&buffer[..mem::size_of::<Self>()]);
                    Self::from_be_bytes(bytes) ^ Self::MIN
                }
            }
        )*
    };
}

impl_binary_key_for_ints!(unsigned: u8, u16, u32, u64, u128; signed: i8, i16, i32, i64, i128);

impl BinaryKey for Vec<u8> {
    fn size(&self) -> usize {
        self.as_slice().size()
    }

    fn write(&self, buffer: &mut [u8]) -> usize {
        self.as_slice().write(buffer)
    }

    fn read(buffer: &[u8]) -> Self {
        <[u8]>::read(buffer)
    }
}

impl BinaryKey for [u8] {
    fn size(&self) -> usize {
        self.len()
    }

    fn write(&self, buffer: &mut [u8]) -> usize {
        buffer.copy_from_slice(self);
        self.len()
    }

    fn read(buffer: &[u8]) -> Vec<u8> {
        buffer.to_vec()
    }
}

impl BinaryKey for [u8; 32] {
    fn size(&self) -> usize {
        self.as_slice().size()
    }

    fn write(&self, buffer: &mut [u8]) -> usize {
        self.as_slice().write(buffer)
    }

    fn read(buffer: &[u8]) -> Self {
        buffer
            .try_into()
            .expect("A `[u8; 32]` key must be exactly 32 bytes long")
    }
}

/// The same bytes as the `str` key, so that a `String` key and a `&str` key find each other.
impl BinaryKey for String {
    fn size(&self) -> usize {
        self.as_str().size()
    }

    fn write(&self, buffer: &mut [u8]) -> usize {
        self.as_str().write(buffer)
    }

    fn read(buffer: &[u8]) -> Self {
        str::read(buffer)
    }
}

impl BinaryKey for str {
    fn size(&self) -> usize {
        self.len()
    }

    fn write(&self, buffer: &mut [u8]) -> usize {
        buffer.copy_from_slice(self.as_bytes());
        self.len()
    }

    fn read(buffer: &[u8]) -> String {
        std::str::from_utf8(buffer)
            .expect(UTF8_KEY_ERROR)
            .to_owned()
    }
}

/// The `i64` key of the Unix timestamp in seconds, then the `u32` key of the nanoseconds within
/// that second: 12 bytes that sort in time order, also before 1970.
#[cfg(feature = "chrono")]
impl BinaryKey for DateTime<Utc> {
    fn size(&self) -> usize {
        12
    }

    fn write(&self, buffer: &mut [u8]) -> usize {
        let written = self.timestamp().write(&mut buffer[..8]);
        written + self.timestamp_subsec_nanos().write(&mut buffer[8..12])
    }

    fn read(buffer: &[u8]) -> Self {
        let secs = i64::read(&buffer[..8]);
        let nanos = u32::read(&buffer[8..12]);
        Self::from_timestamp(secs, nanos)
            .expect("A `DateTime<Utc>` key has seconds or nanoseconds out of range")
    }
}

/// The 16 bytes of the UUID; keys sort by these bytes.
#[cfg(feature = "uuid")]
impl BinaryKey for Uuid {
    fn size(&self) -> usize {
        16
    }

    fn write(&self, buffer: &mut [u8]) -> usize {
        buffer.copy_from_slice(self.as_bytes());
        16
    }

    fn read(buffer: &[u8]) -> Self {
        Self::from_slice(buffer).expect("A `Uuid` key must be exactly 16 bytes long")
    }
}

/// The 16 bytes of [`Decimal::serialize`]; keys sort by these bytes, which is not numeric order.
#[cfg(feature = "rust_decimal")]
impl BinaryKey for Decimal {
    fn size(&self) -> usize {
        16
    }

    fn write(&self, buffer: &mut [u8]) -> usize {
        buffer.copy_from_slice(&self.serialize());
        16
    }

    fn read(buffer: &[u8]) -> Self {
        let bytes = buffer
            .try_into()
            .expect("A `Decimal` key must be exactly 16 bytes long");
        Self::deserialize(bytes)
    }
}

#[cfg(test)]
mod tests {
    use std::fmt::Debug;

    use rand::distributions::{Distribution, Standard};
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    use super::BinaryKey;

    /// Number of random values in each fuzz test.
    const FUZZ_SAMPLES: usize = 100_000;

    /// A fixed seed keeps the fuzz tests reproducible.
    const SEED: u64 = 0x5eed;

    fn encode<K: BinaryKey + ?Sized>(key: &K) -> Vec<u8> {
        let mut buffer = vec![0; key.size()];
        assert_eq!(key.write(&mut buffer), buffer.len());
        buffer
    }

    fn assert_round_trip_eq<K>(keys: &[K])
    where
        K: BinaryKey + ToOwned<Owned = K> + PartialEq + Debug,
    {
        for key in keys {
            assert_eq!(K::read(&encode(key)), *key);
        }
    }

    /// Checks that `keys`, which must be sorted and free of duplicates, encode to strictly
    /// increasing byte strings.
    fn assert_byte_order_is_natural_order<K: BinaryKey + Debug>(keys: &[K]) {
        for pair in keys.windows(2) {
            assert!(
                encode(&pair[0]) < encode(&pair[1]),
                "{:?} and {:?} encode out of order",
                pair[0],
                pair[1]
            );
        }
    }

    /// Returns random values plus `extremes`, sorted and deduplicated.
    fn fuzz_values<T>(extremes: &[T]) -> Vec<T>
    where
        T: Ord + Copy,
        Standard: Distribution<T>,
    {
        let rng = StdRng::seed_from_u64(SEED);
        let mut values: Vec<T> = rng.sample_iter(Standard).take(FUZZ_SAMPLES).collect();
        values.extend_from_slice(extremes);
        values.sort_unstable();
        values.dedup();
        values
    }

    macro_rules! test_storage_key_exhaustively {
        ($($name:ident: $type:ty),* $(,)?) => {
            $(
                #[test]
                fn $name() {
                    let keys: Vec<$type> = (<$type>::MIN..=<$type>::MAX).collect();
                    assert_round_trip_eq(&keys);
                    assert_byte_order_is_natural_order(&keys);
                }
            )*
        };
    }

    test_storage_key_exhaustively! {
        test_storage_key_for_u8: u8,
        test_storage_key_for_i8: i8,
        test_storage_key_for_u16: u16,
        test_storage_key_for_i16: i16,
    }

    macro_rules! test_storage_key_by_fuzzing {
        ($($name:ident: $type:ty => $extremes:expr),* $(,)?) => {
            $(
                #[test]
                fn $name() {
                    let keys = fuzz_values::<$type>(&$extremes);
                    assert_round_trip_eq(&keys);
                    assert_byte_order_is_natural_order(&keys);
                }
            )*
        };
    }

    // Random samples rarely land near the edges or the sign change, so those are added.
    test_storage_key_by_fuzzing! {
        test_storage_key_for_u32: u32 => [0, 1, u32::MAX],
        test_storage_key_for_i32: i32 => [i32::MIN, -1, 0, 1, i32::MAX],
        test_storage_key_for_u64: u64 => [0, 1, u64::MAX],
        test_storage_key_for_i64: i64 => [i64::MIN, -1, 0, 1, i64::MAX],
        test_storage_key_for_u128: u128 => [0, 1, u128::MAX],
        test_storage_key_for_i128: i128 => [i128::MIN, -1, 0, 1, i128::MAX],
    }

    #[test]
    fn integer_keys_are_big_endian_with_the_sign_bit_flipped() {
        assert_eq!(encode(&0x0102_u16), [1, 2]);
        assert_eq!(encode(&0x0102_0304_u32), [1, 2, 3, 4]);
        assert_eq!(encode(&-1_i32), [0x7f, 0xff, 0xff, 0xff]);
        assert_eq!(encode(&0_i32), [0x80, 0, 0, 0]);
        assert_eq!(encode(&i8::MIN), [0]);
        assert_eq!(encode(&i64::MAX), [0xff; 8]);
        assert_eq!(encode(&u128::MAX), [0xff; 16]);
    }

    #[test]
    fn unit_key_is_empty() {
        assert_eq!(encode(&()), Vec::<u8>::new());
        <()>::read(&[1, 2, 3]);
    }

    #[test]
    #[should_panic(expected = "out of range")]
    fn u8_key_read_panics_on_empty_buffer() {
        u8::read(&[]);
    }

    #[test]
    fn test_str_key() {
        let keys = ["eee", "hello world", "", "приве́т"];
        for key in keys {
            let bytes = encode(key);
            assert_eq!(bytes, key.as_bytes());
            assert_eq!(str::read(&bytes), key);
            assert_eq!(String::read(&bytes), key);
            assert_eq!(encode(&key.to_owned()), bytes);
        }
    }

    #[test]
    #[should_panic(expected = "Error reading UTF-8 string")]
    fn test_str_key_error() {
        str::read(&[0xfe, 0xff]);
    }

    #[test]
    #[should_panic(expected = "data was written to `MapIndex<u64, _>` and is read as \
                               `MapIndex<str, _>`")]
    fn string_key_read_panics_on_invalid_utf8() {
        String::read(&[b'a', 0xc0]);
    }

    #[test]
    fn test_u8_slice_key() {
        let keys: [&[u8]; 4] = [&[], &[1], &[1, 2, 3], &[255; 100]];
        for key in keys {
            assert_eq!(encode(key), key);
            assert_eq!(<[u8]>::read(key), key);
            assert_eq!(Vec::<u8>::read(key), key);
            assert_eq!(encode(&key.to_vec()), key);
        }
        // A prefix sorts before its extensions.
        assert_byte_order_is_natural_order(&[vec![], vec![1], vec![1, 0], vec![1, 2], vec![2]]);
    }

    #[test]
    fn byte_array_key_round_trips() {
        let mut key = [0_u8; 32];
        for (byte, value) in key.iter_mut().zip(0..) {
            *byte = value;
        }
        assert_eq!(encode(&key), key);
        assert_round_trip_eq(&[key, [0; 32], [255; 32]]);
    }

    #[test]
    #[should_panic(expected = "must be exactly 32 bytes long")]
    fn byte_array_key_read_panics_unless_32_bytes() {
        <[u8; 32]>::read(&[0; 33]);
    }

    #[cfg(feature = "chrono")]
    mod chrono_keys {
        use chrono::{DateTime, Duration, Utc};
        use rand::{rngs::StdRng, Rng, SeedableRng};

        use super::{
            assert_byte_order_is_natural_order, assert_round_trip_eq, encode, BinaryKey,
            FUZZ_SAMPLES, SEED,
        };

        fn time(secs: i64, nanos: u32) -> DateTime<Utc> {
            DateTime::from_timestamp(secs, nanos).unwrap()
        }

        #[test]
        fn test_storage_key_for_chrono_date_time_round_trip() {
            let times = [
                time(0, 0),
                time(13, 23),
                time(1_600_000_000, 123_456_789),
                time(1_600_000_000, 0) + Duration::seconds(17) + Duration::nanoseconds(15),
                time(0, 999_999_999),
                time(-1, 1),
                // A leap second: chrono allows nanos >= 1e9 only in the 59th second of a minute.
                time(59, 1_500_000_000),
                DateTime::<Utc>::MIN_UTC,
                DateTime::<Utc>::MAX_UTC,
            ];
            assert_round_trip_eq(&times);
        }

        #[test]
        fn test_storage_key_for_system_time_ordering() {
            let mut rng = StdRng::seed_from_u64(SEED);
            // About 35,000 years on each side of 1970, within chrono's range.
            let max_secs = 1_i64 << 40;
            let mut times: Vec<_> = (0..FUZZ_SAMPLES)
                .map(|_| {
                    let secs = rng.gen_range(-max_secs..max_secs);
                    time(secs, rng.gen_range(0..1_000_000_000))
                })
                .collect();
            times.extend([time(-1, 999_999_999), time(0, 0), time(59, 1_000_000_000)]);
            times.sort_unstable();
            times.dedup();
            assert_byte_order_is_natural_order(&times);
        }

        #[test]
        fn date_time_key_is_seconds_key_then_nanos_key() {
            let bytes = encode(&time(-1, 5));
            assert_eq!(bytes[..8], encode(&-1_i64)[..]);
            assert_eq!(bytes[8..], encode(&5_u32)[..]);
        }

        #[test]
        #[should_panic(expected = "out of range")]
        fn date_time_key_read_panics_on_invalid_nanos() {
            let mut bytes = encode(&time(0, 0));
            bytes[8..].copy_from_slice(&encode(&3_000_000_000_u32));
            DateTime::<Utc>::read(&bytes);
        }
    }

    #[cfg(feature = "uuid")]
    #[test]
    fn test_uuid_round_trip() {
        let uuids = crate::values::samples::uuids();
        assert_round_trip_eq(&uuids);
        assert_eq!(encode(&uuids[1]), uuids[1].as_bytes());
    }

    #[cfg(feature = "rust_decimal")]
    #[test]
    fn test_decimal_round_trip() {
        let decimals = crate::values::samples::decimals();
        assert_round_trip_eq(&decimals);
        for decimal in decimals {
            assert_eq!(encode(&decimal), decimal.serialize());
        }
    }
}
