//! Attributes the derives do not know, or with values of the wrong form.

use std::marker::PhantomData;

use metaldb_derive::{BinaryValue, FromAccess};

#[derive(FromAccess)]
#[from_access(transparant)]
struct MisspelledContainerAttribute<T> {
    inner: PhantomData<T>,
}

#[derive(FromAccess)]
struct MisspelledFieldAttribute<T> {
    #[from_access(renamed = "other")]
    inner: PhantomData<T>,
}

#[derive(FromAccess)]
struct RenameWithoutName<T> {
    #[from_access(rename)]
    inner: PhantomData<T>,
}

#[derive(FromAccess)]
struct RenameToANumber<T> {
    #[from_access(rename = 42)]
    inner: PhantomData<T>,
}

#[derive(FromAccess)]
struct FlattenWithAString<T> {
    #[from_access(flatten = "yes")]
    inner: PhantomData<T>,
}

#[derive(BinaryValue)]
#[binary_value(codec = "protobuf")]
struct UnknownCodec {
    value: u64,
}

#[derive(BinaryValue)]
#[binary_value(format = "bincode")]
struct UnknownBinaryValueAttribute {
    value: u64,
}

fn main() {}
