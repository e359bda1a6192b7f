//! `FromAccess` is for structs, and every field of a tuple struct needs a name.

use std::marker::PhantomData;

use metaldb_derive::FromAccess;

#[derive(FromAccess)]
enum Schema<T> {
    First(PhantomData<T>),
}

#[derive(FromAccess)]
union Raw<T: Copy> {
    first: PhantomData<T>,
}

#[derive(FromAccess)]
struct SingleUnnamed<T>(PhantomData<T>);

#[derive(FromAccess)]
struct PartlyUnnamed<T>(
    #[from_access(rename = "first")] PhantomData<T>,
    PhantomData<T>,
);

#[derive(FromAccess)]
#[from_access(transparent)]
struct TransparentPair<T>(PhantomData<T>, PhantomData<T>);

fn main() {}
