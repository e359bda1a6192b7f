//! The struct must be generic over the access type, and the derive must be able to tell which
//! parameter that is.

use std::marker::PhantomData;

use metaldb_derive::FromAccess;

#[derive(FromAccess)]
struct NoTypeParam {
    count: u64,
}

#[derive(FromAccess)]
struct TwoCandidates<A, B> {
    first: PhantomData<A>,
    second: PhantomData<B>,
}

#[derive(FromAccess)]
struct TwoMarked<#[from_access] A, #[from_access] B> {
    first: PhantomData<A>,
    second: PhantomData<B>,
}

#[derive(FromAccess)]
struct MarkerWithArguments<#[from_access(transparent)] A, B> {
    first: PhantomData<A>,
    second: PhantomData<B>,
}

fn main() {}
