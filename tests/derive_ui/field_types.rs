//! Every field of a derived schema must itself be built from the access.

use metaldb::{access::Access, ListIndex, MapIndex};
use metaldb_derive::FromAccess;

#[derive(FromAccess)]
struct PlainValue<T: Access> {
    list: ListIndex<T::Base, u64>,
    // A value, not an index: there is nothing to open.
    count: u64,
}

#[derive(FromAccess)]
struct IndexOverTheAccess<T: Access> {
    // Indexes take the base access, `T::Base`, not the access itself.
    map: MapIndex<T, str, u64>,
}

#[derive(FromAccess)]
struct ValueWithoutEncoding<T: Access> {
    // `Vec<u16>` has no `BinaryValue` encoding.
    list: ListIndex<T::Base, Vec<u16>>,
}

fn main() {}
