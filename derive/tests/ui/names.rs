//! Field names become index names, so they must be valid index name components and unique.

use std::marker::PhantomData;

use metaldb_derive::FromAccess;

#[derive(FromAccess)]
struct EmptyName<T> {
    #[from_access(rename = "")]
    inner: PhantomData<T>,
}

#[derive(FromAccess)]
struct DottedName<T> {
    #[from_access(rename = "wallets.v2")]
    inner: PhantomData<T>,
}

#[derive(FromAccess)]
struct RenamedOntoAnotherField<T> {
    wallets: PhantomData<T>,
    #[from_access(rename = "wallets")]
    archive: PhantomData<T>,
}

#[derive(FromAccess)]
struct DuplicateTupleNames<T>(
    #[from_access(rename = "list")] PhantomData<T>,
    #[from_access(rename = "list")] PhantomData<T>,
);

fn main() {}
