//! Binary encoding of index values.
//!
//! The decoders of the standard types are `#[inline]`: iteration calls one per entry from the
//! user's crate, where a call costs as much as a small decoder's body.

use std::borrow::Cow;
use std::io::{self, Read};

#[cfg(feature = "chrono")]
use chrono::{DateTime, Utc};
#[cfg(feature = "rust_decimal")]
use rust_decimal::Decimal;
#[cfg(feature = "uuid")]
use uuid::Uuid;

/// A type that can be stored as a value of an index.
///
/// Unlike keys, values are never compared, so their encodings need not preserve any order;
/// integers are encoded little-endian.
///
/// Implementations exist for `()`, `bool`, all fixed-size integers, `Vec<u8>` and `String`, and,
/// behind the features of the same name, for `chrono::DateTime<Utc>`, `uuid::Uuid` (uuid 0.8)
/// and `rust_decimal::Decimal`. There are deliberately no impls for floats, `Option`, tuples,
/// arrays or other containers: type inference in user code (`list.extend(vec![1, 2, 3])`
/// storing `i32` values) relies on exactly one impl matching.
///
/// # Examples
///
/// ```
/// use std::borrow::Cow;
/// use std::convert::TryInto;
///
/// use anyhow::ensure;
/// use metaldb::BinaryValue;
///
/// #[derive(Debug, Clone, PartialEq)]
/// struct Data {
///     a: i16,
///     b: u32,
/// }
///
/// impl BinaryValue for Data {
///     fn to_bytes(&self) -> Vec<u8> {
///         let mut bytes = self.a.to_bytes();
///         bytes.extend(self.b.to_bytes());
///         bytes
///     }
///
///     fn from_bytes(bytes: Cow<'_, [u8]>) -> anyhow::Result<Self> {
///         ensure!(bytes.len() == 6, "`Data` must be 6 bytes long");
///         Ok(Self {
///             a: i16::from_le_bytes(bytes[..2].try_into()?),
///             b: u32::from_le_bytes(bytes[2..].try_into()?),
///         })
///     }
/// }
///
/// let data = Data { a: -1, b: 2 };
/// let bytes = data.to_bytes();
/// assert_eq!(bytes, [0xff, 0xff, 2, 0, 0, 0]);
/// assert_eq!(Data::from_bytes(bytes.into())?, data);
/// assert!(Data::from_bytes(vec![0; 5].into()).is_err());
/// # Ok::<(), anyhow::Error>(())
/// ```
pub trait BinaryValue: Sized {
    /// Encodes the value.
    fn to_bytes(&self) -> Vec<u8>;

    /// Encodes the value, consuming it.
    ///
    /// Indexes write values through this method. The default calls
    /// [`to_bytes`](Self::to_bytes); an override may avoid a copy but must return the same bytes.
    fn into_bytes(self) -> Vec<u8> {
        self.to_bytes()
    }

    /// Decodes a value from `bytes`.
    ///
    /// # Errors
    ///
    /// Returns an error if `bytes` is not a valid encoding of the type. Indexes treat such an
    /// error as data corruption or a schema mismatch and panic.
    fn from_bytes(bytes: Cow<'_, [u8]>) -> anyhow::Result<Self>;
}

/// Takes the next `N` bytes from `reader`.
///
/// Failing through `read_exact` keeps the error text of metaldb 1.0.0 ("failed to fill whole
/// buffer") for values that are too short.
fn read_array<const N: usize>(reader: &mut &[u8]) -> io::Result<[u8; N]> {
    let mut array = [0; N];
    reader.read_exact(&mut array)?;
    Ok(array)
}

/// Fixed-width integers are little-endian. Decoding reads the leading bytes and ignores any
/// that follow them.
macro_rules! impl_binary_value_for_ints {
    ($($type:ty),*) => {
        $(
            impl BinaryValue for $type {
                fn to_bytes(&self) -> Vec<u8> {
                    self.to_le_bytes().to_vec()
                }

                #[inline]
                fn from_bytes(bytes: Cow<'_, [u8]>) -> anyhow::Result<Self> {
                    Ok(Self::from_le_bytes(read_array(&mut bytes.as_ref())?))
                }
            }
        )*
    };
}

impl_binary_value_for_ints!(u8, u16, u32, u64, u128, i8, i16, i32, i64, i128);

/// Empty bytes; decoding accepts any bytes.
impl BinaryValue for () {
    fn to_bytes(&self) -> Vec<u8> {
        Vec::new()
    }

    fn from_bytes(_bytes: Cow<'_, [u8]>) -> anyhow::Result<Self> {
        Ok(())
    }
}

/// One byte, `0` or `1`.
///
/// Decoding panics if the value is not exactly one byte long and fails for any byte other than
/// `0` and `1`.
impl BinaryValue for bool {
    fn to_bytes(&self) -> Vec<u8> {
        vec![u8::from(*self)]
    }

    fn from_bytes(bytes: Cow<'_, [u8]>) -> anyhow::Result<Self> {
        assert_eq!(bytes.len(), 1, "A `bool` value must be exactly 1 byte long");
        match bytes[0] {
            0 => Ok(false),
            1 => Ok(true),
            value => Err(anyhow::anyhow!("Invalid value for bool: {value}")),
        }
    }
}

impl BinaryValue for Vec<u8> {
    fn to_bytes(&self) -> Vec<u8> {
        self.clone()
    }

    fn into_bytes(self) -> Vec<u8> {
        self
    }

    #[inline]
    fn from_bytes(bytes: Cow<'_, [u8]>) -> anyhow::Result<Self> {
        Ok(bytes.into_owned())
    }
}

/// The UTF-8 bytes; decoding fails on invalid UTF-8.
impl BinaryValue for String {
    fn to_bytes(&self) -> Vec<u8> {
        self.as_bytes().to_vec()
    }

    fn into_bytes(self) -> Vec<u8> {
        Vec::from(self)
    }

    #[inline]
    fn from_bytes(bytes: Cow<'_, [u8]>) -> anyhow::Result<Self> {
        Ok(Self::from_utf8(bytes.into_owned())?)
    }
}

/// The Unix timestamp in seconds as a little-endian `i64`, then the nanoseconds within that
/// second as a little-endian `u32`: 12 bytes, which differ from the key encoding.
///
/// Decoding fails if there are fewer than 12 bytes and panics if the seconds or nanoseconds are
/// out of range.
#[cfg(feature = "chrono")]
impl BinaryValue for DateTime<Utc> {
    fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = self.timestamp().to_bytes();
        bytes.extend(self.timestamp_subsec_nanos().to_bytes());
        bytes
    }

    fn from_bytes(bytes: Cow<'_, [u8]>) -> anyhow::Result<Self> {
        let mut reader = bytes.as_ref();
        let secs = i64::from_le_bytes(read_array(&mut reader)?);
        let nanos = u32::from_le_bytes(read_array(&mut reader)?);
        Ok(Self::from_timestamp(secs, nanos)
            .expect("A `DateTime<Utc>` value has seconds or nanoseconds out of range"))
    }
}

/// The 16 bytes of the UUID; decoding fails unless there are exactly 16 bytes.
#[cfg(feature = "uuid")]
impl BinaryValue for Uuid {
    fn to_bytes(&self) -> Vec<u8> {
        self.as_bytes().to_vec()
    }

    fn from_bytes(bytes: Cow<'_, [u8]>) -> anyhow::Result<Self> {
        Ok(Self::from_slice(bytes.as_ref())?)
    }
}

/// The 16 bytes of [`Decimal::serialize`]; decoding ignores any bytes after the 16th.
#[cfg(feature = "rust_decimal")]
impl BinaryValue for Decimal {
    fn to_bytes(&self) -> Vec<u8> {
        self.serialize().to_vec()
    }

    fn from_bytes(bytes: Cow<'_, [u8]>) -> anyhow::Result<Self> {
        Ok(Self::deserialize(read_array(&mut bytes.as_ref())?))
    }
}

/// Sample values of the types behind optional features, which the round-trip tests of their key
/// encoding (`keys.rs`) and of their value encoding both go through.
#[cfg(test)]
pub(crate) mod samples {
    #[cfg(feature = "rust_decimal")]
    use rust_decimal::Decimal;
    #[cfg(feature = "uuid")]
    use uuid::Uuid;

    /// The nil UUID and two others; the first non-nil one is written without dashes.
    #[cfg(feature = "uuid")]
    pub(crate) fn uuids() -> [Uuid; 3] {
        [
            Uuid::nil(),
            Uuid::parse_str("936DA01F9ABD4d9d80C702AF85C822A8").unwrap(),
            Uuid::parse_str("0000002a-000c-0005-0c03-0938362b0809").unwrap(),
        ]
    }

    /// Decimals of several scales, zero and a tiny negative one.
    #[cfg(feature = "rust_decimal")]
    pub(crate) fn decimals() -> [Decimal; 5] {
        use std::str::FromStr;

        [
            Decimal::from_str("3.14").unwrap(),
            Decimal::from_parts(1_102_470_952, 185_874_565, 1_703_060_790, false, 28),
            Decimal::new(9_497_628_354_687_268, 12),
            Decimal::from_str("0").unwrap(),
            Decimal::from_str("-0.000000000000000000019").unwrap(),
        ]
    }
}

#[cfg(test)]
mod tests {
    use std::fmt::Debug;

    use super::BinaryValue;

    fn assert_round_trip_eq<T: BinaryValue + PartialEq + Debug + Clone>(values: &[T]) {
        for value in values {
            let bytes = value.to_bytes();
            assert_eq!(value.clone().into_bytes(), bytes);
            assert_eq!(T::from_bytes(bytes.into()).unwrap(), *value);
        }
    }

    macro_rules! test_binary_form_round_trip {
        ($($name:ident: $type:ty => $values:expr),* $(,)?) => {
            $(
                #[test]
                fn $name() {
                    let values: &[$type] = &$values;
                    assert_round_trip_eq(values);
                }
            )*
        };
    }

    test_binary_form_round_trip! {
        test_binary_form_round_trip_u8: u8 => [u8::MIN, 1, u8::MAX],
        test_binary_form_round_trip_u16: u16 => [u16::MIN, 1, u16::MAX],
        test_binary_form_round_trip_u32: u32 => [u32::MIN, 1, u32::MAX],
        test_binary_form_round_trip_u64: u64 => [u64::MIN, 1, u64::MAX],
        test_binary_form_round_trip_u128: u128 => [u128::MIN, 1, u128::MAX],
        test_binary_form_round_trip_i8: i8 => [i8::MIN, -1, 0, 1, i8::MAX],
        test_binary_form_round_trip_i16: i16 => [i16::MIN, -1, 0, 1, i16::MAX],
        test_binary_form_round_trip_i32: i32 => [i32::MIN, -1, 0, 1, i32::MAX],
        test_binary_form_round_trip_i64: i64 => [i64::MIN, -1, 0, 1, i64::MAX],
        test_binary_form_round_trip_i128: i128 => [i128::MIN, -1, 0, 1, i128::MAX],
    }

    #[test]
    fn integer_values_are_little_endian() {
        assert_eq!(0x0102_u16.to_bytes(), [2, 1]);
        assert_eq!((-2_i32).to_bytes(), [0xfe, 0xff, 0xff, 0xff]);
        assert_eq!(
            0x0102_0304_0506_0708_u64.to_bytes(),
            [8, 7, 6, 5, 4, 3, 2, 1]
        );
        assert_eq!((-1_i8).to_bytes(), [0xff]);
    }

    #[test]
    fn integer_decoding_fails_on_short_input() {
        let error = u32::from_bytes(vec![1, 2, 3].into()).unwrap_err();
        assert_eq!(error.to_string(), "failed to fill whole buffer");
        assert!(u8::from_bytes(Vec::new().into()).is_err());
        assert!(i8::from_bytes(Vec::new().into()).is_err());
        assert!(i128::from_bytes(vec![0; 15].into()).is_err());
    }

    #[test]
    fn integer_decoding_ignores_trailing_bytes() {
        assert_eq!(u16::from_bytes(vec![2, 1, 0xff].into()).unwrap(), 0x0102);
        assert_eq!(i8::from_bytes(vec![0xff, 7].into()).unwrap(), -1);
        assert_eq!(
            u64::from_bytes(vec![1; 9].into()).unwrap(),
            0x0101_0101_0101_0101
        );
    }

    #[test]
    fn unit_value_is_empty_and_decodes_from_any_bytes() {
        assert!(().to_bytes().is_empty());
        <()>::from_bytes(vec![1, 2, 3].into()).unwrap();
    }

    #[test]
    fn test_binary_form_vec_u8() {
        assert_round_trip_eq(&[vec![], vec![1], vec![1, 2, 3], vec![255; 100]]);
    }

    #[test]
    fn test_binary_form_bool_correct() {
        assert_round_trip_eq(&[true, false]);
        assert_eq!(true.to_bytes(), [1]);
        assert_eq!(false.to_bytes(), [0]);
    }

    #[test]
    #[should_panic(expected = "Invalid value for bool: 2")]
    fn test_binary_form_bool_incorrect() {
        let bytes = 2_u8.to_bytes();
        bool::from_bytes(bytes.into()).unwrap();
    }

    #[test]
    #[should_panic(expected = "must be exactly 1 byte long")]
    fn bool_decoding_panics_unless_one_byte() {
        let _ = bool::from_bytes(vec![1, 0].into());
    }

    #[test]
    fn test_binary_form_string() {
        let values = [
            String::new(),
            "e".to_owned(),
            "2".repeat(1024),
            "Ünïcödé".to_owned(),
        ];
        assert_round_trip_eq(&values);
        assert!(String::from_bytes(vec![0xc0].into()).is_err());
    }

    #[cfg(feature = "chrono")]
    #[test]
    fn test_binary_form_datetime() {
        use chrono::{DateTime, Duration, Utc};

        let time = |secs, nanos| DateTime::from_timestamp(secs, nanos).unwrap();
        let values = [
            time(0, 0),
            time(13, 23),
            time(1_600_000_000, 123_456_789),
            time(1_600_000_000, 0) + Duration::seconds(17) + Duration::nanoseconds(15),
            time(-1, 1),
            time(59, 1_500_000_000),
        ];
        assert_round_trip_eq(&values);

        let mut expected = (-1_i64).to_le_bytes().to_vec();
        expected.extend(5_u32.to_le_bytes());
        assert_eq!(time(-1, 5).to_bytes(), expected);
        assert!(DateTime::<Utc>::from_bytes(vec![0; 11].into()).is_err());
    }

    #[cfg(feature = "uuid")]
    #[test]
    fn test_binary_form_uuid() {
        use uuid::Uuid;

        let values = super::samples::uuids();
        assert_round_trip_eq(&values);
        assert!(<Uuid as BinaryValue>::from_bytes(vec![0; 15].into()).is_err());
        assert!(<Uuid as BinaryValue>::from_bytes(vec![0; 17].into()).is_err());
    }

    #[cfg(feature = "rust_decimal")]
    #[test]
    fn test_binary_form_decimal() {
        use rust_decimal::Decimal;

        let values = super::samples::decimals();
        assert_round_trip_eq(&values);

        let mut long = values[0].to_bytes();
        long.push(0xff);
        assert_eq!(
            <Decimal as BinaryValue>::from_bytes(long.into()).unwrap(),
            values[0]
        );
        assert!(<Decimal as BinaryValue>::from_bytes(vec![0; 15].into()).is_err());
    }
}
