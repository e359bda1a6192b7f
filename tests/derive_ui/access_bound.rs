//! The access parameter must be bounded by `Access`, so that the fields can name `T::Base`.

use metaldb::ListIndex;
use metaldb_derive::FromAccess;

#[derive(FromAccess)]
struct Unbounded<T> {
    list: ListIndex<T::Base, u64>,
}

fn main() {}
