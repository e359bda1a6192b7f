//! `BinaryValue` encodes with bincode, which needs serde's traits.

use metaldb_derive::BinaryValue;

#[derive(BinaryValue)]
struct NoSerde {
    value: u64,
}

fn main() {}
