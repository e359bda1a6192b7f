//! Macros for implementing the encoding traits, and the crate-internal `concat_keys!`.

/// Implements [`BinaryKey`](crate::BinaryKey) for a type that implements
/// [`BinaryValue`](crate::BinaryValue), using the value encoding as the key encoding.
///
/// The type's `ToOwned::Owned` must be the type itself (in practice, the type is `Clone`).
/// Keys sort by their encoded bytes, so an index iterates such keys in the order of their
/// value encodings.
///
/// The generated code names the crate as `metaldb`, so the macro works only in crates that
/// depend on metaldb under that name.
///
/// # Panics
///
/// The generated `read` panics if `BinaryValue::from_bytes` fails.
///
/// # Examples
///
/// ```
/// use std::borrow::Cow;
/// use std::convert::TryInto;
///
/// use metaldb::{impl_binary_key_for_binary_value, BinaryKey, BinaryValue};
///
/// #[derive(Debug, Clone, PartialEq)]
/// struct Point {
///     x: u16,
///     y: u16,
/// }
///
/// impl BinaryValue for Point {
///     fn to_bytes(&self) -> Vec<u8> {
///         let mut bytes = self.x.to_bytes();
///         bytes.extend(self.y.to_bytes());
///         bytes
///     }
///
///     fn from_bytes(bytes: Cow<'_, [u8]>) -> anyhow::Result<Self> {
///         Ok(Self {
///             x: u16::from_le_bytes(bytes[..2].try_into()?),
///             y: u16::from_le_bytes(bytes[2..4].try_into()?),
///         })
///     }
/// }
///
/// impl_binary_key_for_binary_value!(Point);
///
/// let point = Point { x: 1, y: 2 };
/// let mut buffer = vec![0; point.size()];
/// assert_eq!(point.write(&mut buffer), 4);
/// assert_eq!(buffer, [1, 0, 2, 0]);
/// assert_eq!(Point::read(&buffer), point);
/// ```
#[macro_export]
macro_rules! impl_binary_key_for_binary_value {
    ($type:ty) => {
        impl metaldb::BinaryKey for $type {
            fn size(&self) -> usize {
                metaldb::BinaryValue::to_bytes(self).len()
            }

            fn write(&self, buffer: &mut [u8]) -> usize {
                let mut bytes = metaldb::BinaryValue::to_bytes(self);
                buffer.swap_with_slice(&mut bytes);
                bytes.len()
            }

            fn read(buffer: &[u8]) -> Self::Owned {
                // The bytes were written by `write` above, so failing to decode them means the
                // index is read with a different key type than it was written with.
                <Self as metaldb::BinaryValue>::from_bytes(buffer.into())
                    .expect("Unable to decode a key from its `BinaryValue` bytes")
            }
        }
    };
}

/// Implements hex encoding, `Display`, `FromStr` and serde support for a type that implements
/// [`BinaryValue`](crate::BinaryValue), all through the lower-case hex of its bytes.
///
/// The macro takes the type's name (an identifier) and implements `hex::ToHex`, `hex::FromHex`,
/// `std::fmt::Display`, `std::str::FromStr`, `serde::Serialize` and `serde::Deserialize`. The
/// errors of `FromHex` and `FromStr` are `anyhow::Error`. The calling crate must depend on the
/// `hex` (0.4), `serde` and `serde_str` crates under those names.
///
/// # Examples
///
/// ```ignore
/// // Needs the `hex`, `serde` and `serde_str` crates.
/// use std::borrow::Cow;
///
/// use metaldb::{impl_serde_hex_for_binary_value, BinaryValue};
///
/// #[derive(Debug, PartialEq)]
/// struct Id(u32);
///
/// impl BinaryValue for Id {
///     fn to_bytes(&self) -> Vec<u8> {
///         self.0.to_bytes()
///     }
///
///     fn from_bytes(bytes: Cow<'_, [u8]>) -> anyhow::Result<Self> {
///         u32::from_bytes(bytes).map(Id)
///     }
/// }
///
/// impl_serde_hex_for_binary_value!(Id);
///
/// assert_eq!(Id(1).to_string(), "01000000");
/// assert_eq!("01000000".parse::<Id>().unwrap(), Id(1));
/// ```
#[macro_export]
macro_rules! impl_serde_hex_for_binary_value {
    ($name:ident) => {
        impl hex::ToHex for $name {
            fn encode_hex<T: ::std::iter::FromIterator<char>>(&self) -> T {
                hex::ToHex::encode_hex(&$crate::BinaryValue::to_bytes(self))
            }

            fn encode_hex_upper<T: ::std::iter::FromIterator<char>>(&self) -> T {
                hex::ToHex::encode_hex_upper(&$crate::BinaryValue::to_bytes(self))
            }
        }

        impl hex::FromHex for $name {
            type Error = $crate::_reexports::Error;

            fn from_hex<T: ::std::convert::AsRef<[u8]>>(
                value: T,
            ) -> ::std::result::Result<Self, Self::Error> {
                let bytes = <::std::vec::Vec<u8> as hex::FromHex>::from_hex(value)?;
                <Self as $crate::BinaryValue>::from_bytes(bytes.into())
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(&hex::ToHex::encode_hex::<::std::string::String>(self))
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::_reexports::Error;

            fn from_str(s: &str) -> ::std::result::Result<Self, Self::Err> {
                <Self as hex::FromHex>::from_hex(s)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D>(deserializer: D) -> ::std::result::Result<Self, D::Error>
            where
                D: serde::Deserializer<'de>,
            {
                serde_str::deserialize(deserializer)
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error>
            where
                S: serde::Serializer,
            {
                serde_str::serialize(self, serializer)
            }
        }
    };
}

/// Concatenates the [`BinaryKey`](crate::BinaryKey) encodings of the given keys into a
/// `Vec<u8>`, evaluating each key expression once. Each argument is a reference to a key, e.g.
/// `concat_keys!(&1_u8, &42_u32)`. Unit tests use it to spell out stored keys.
#[cfg(test)]
macro_rules! concat_keys {
    ($($key:expr),+ $(,)?) => {{
        let mut buffer = ::std::vec::Vec::new();
        $(
            let key = $key;
            let start = buffer.len();
            buffer.resize(start + crate::BinaryKey::size(key), 0);
            crate::BinaryKey::write(key, &mut buffer[start..]);
        )+
        buffer
    }};
}

// A path-based re-export lets modules import the macro as `crate::macros::concat_keys`, while it
// stays out of the public API.
#[cfg(test)]
pub(crate) use concat_keys;

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    #[test]
    fn concat_keys_joins_the_key_encodings() {
        assert_eq!(concat_keys!(&1_u8, &42_u32), [1, 0, 0, 0, 42]);
        assert_eq!(
            concat_keys!("ab", &-1_i16, &[7_u8][..]),
            [b'a', b'b', 0x7f, 0xff, 7]
        );
        assert_eq!(concat_keys!(&()), Vec::<u8>::new());
    }

    #[test]
    fn concat_keys_evaluates_each_key_once() {
        let calls = Cell::new(0);
        let next_key = || {
            calls.set(calls.get() + 1);
            String::from("key")
        };
        assert_eq!(concat_keys!(&next_key(), &next_key()), b"keykey");
        assert_eq!(calls.get(), 2);
    }
}
