//! Bytes on the command line and on screen: hex, printable text, and keys given by the user.

use anyhow::{bail, Context, Result};
use metaldb::IndexType;

const HEX_DIGITS: &[u8; 16] = b"0123456789abcdef";

/// Lower-case hex of `bytes`, without a prefix.
pub fn to_hex(bytes: &[u8]) -> String {
    let mut text = String::with_capacity(bytes.len() * 2);
    for &byte in bytes {
        text.push(HEX_DIGITS[usize::from(byte >> 4)] as char);
        text.push(HEX_DIGITS[usize::from(byte & 0xF)] as char);
    }
    text
}

/// Decodes hex digits (either case, even length, no prefix).
pub fn from_hex(text: &str) -> Result<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        bail!("{:?} has an odd number of hex digits", text);
    }
    let digit = |c: u8| -> Result<u8> {
        Ok(match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            b'A'..=b'F' => c - b'A' + 10,
            _ => bail!("{:?} is not a hex digit", c as char),
        })
    };
    text.as_bytes()
        .chunks(2)
        .map(|pair| Ok(digit(pair[0])? << 4 | digit(pair[1])?))
        .collect()
}

/// The text of `bytes` if they are UTF-8 with no control characters, so that printing them
/// shows exactly these bytes.
pub fn printable(bytes: &[u8]) -> Option<&str> {
    let text = std::str::from_utf8(bytes).ok()?;
    (!text.chars().any(char::is_control)).then_some(text)
}

/// Bytes as a person reads them: the text where printable (and not itself looking like hex),
/// `0x`-prefixed hex otherwise or with `hex`.
pub fn show(bytes: &[u8], hex: bool) -> String {
    match printable(bytes) {
        Some(text) if !hex && !text.starts_with("0x") => text.to_owned(),
        _ => format!("0x{}", to_hex(bytes)),
    }
}

/// Bytes given on the command line: `0x` followed by hex digits, or text taken as its UTF-8.
pub fn parse_bytes(arg: &str) -> Result<Vec<u8>> {
    match arg.strip_prefix("0x") {
        Some(hex) => from_hex(hex).with_context(|| format!("reading {:?} as hex bytes", arg)),
        None => Ok(arg.as_bytes().to_vec()),
    }
}

/// A key of an index of type `index_type` given on the command line: for lists and sparse
/// lists a decimal position (stored as 8 big-endian bytes) or `0x` bytes, else
/// [`parse_bytes`].
pub fn parse_key(arg: &str, index_type: IndexType) -> Result<Vec<u8>> {
    if matches!(index_type, IndexType::List | IndexType::SparseList) && !arg.starts_with("0x") {
        let position: u64 = arg.parse().with_context(|| {
            format!(
                "{:?} is not a position: keys of lists are decimal numbers (or 0x bytes)",
                arg
            )
        })?;
        return Ok(position.to_be_bytes().to_vec());
    }
    parse_bytes(arg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trips_every_byte() {
        let bytes: Vec<u8> = (0..=255).collect();
        assert_eq!(from_hex(&to_hex(&bytes)).unwrap(), bytes);
        assert_eq!(from_hex("FFab").unwrap(), vec![0xFF, 0xAB]);
        assert!(from_hex("abc").is_err());
        assert!(from_hex("zz").is_err());
    }

    #[test]
    fn show_prints_text_only_when_it_is_unambiguous() {
        assert_eq!(show(b"hello", false), "hello");
        assert_eq!(show(b"hello", true), "0x68656c6c6f");
        assert_eq!(show(&[0, 1], false), "0x0001");
        assert_eq!(show(b"a\nb", false), "0x610a62");
        assert_eq!(show(b"0x12", false), "0x30783132");
    }

    #[test]
    fn list_keys_are_big_endian_positions() {
        assert_eq!(
            parse_key("258", IndexType::List).unwrap(),
            vec![0, 0, 0, 0, 0, 0, 1, 2]
        );
        assert_eq!(parse_key("0x01", IndexType::List).unwrap(), vec![1]);
        assert!(parse_key("x", IndexType::SparseList).is_err());
        assert_eq!(parse_key("258", IndexType::Map).unwrap(), b"258".to_vec());
    }
}
