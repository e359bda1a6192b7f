//! Derive macros for [metaldb](https://docs.rs/metaldb): declarative schemas and value encodings.
//!
//! This is metaldb-derive 1.0.0 reimplemented: programs written against metaldb 1.0.0 and
//! metaldb-derive 1.0.0 compile unchanged, and their derived schemas open the same indexes
//! (the same names, hence the same data on disk).
//!
//! - [`FromAccess`](derive@FromAccess) builds a struct of indexes, groups, lazy indexes and other
//!   components from any access, at the root or under an address.
//! - [`BinaryValue`](derive@BinaryValue) encodes a serde type as an index value with `bincode`.
//!
//! The generated code names the `metaldb` crate (and `bincode` for `BinaryValue`) by those
//! names, so the crate using the derives must depend on them under those names.
//!
//! The examples below are not compiled as this crate's doc tests (that would make metaldb,
//! and RocksDB, a dependency of every compile-fail test); metaldb compiles and runs the same
//! code in its `access::FromAccess` docs and in `tests/derive_*.rs`.

#![forbid(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations, rust_2018_idioms)]

mod attrs;
mod binary_value;
mod from_access;

use proc_macro::TokenStream;
use syn::DeriveInput;

/// Derives `metaldb::BinaryValue` for a type that implements serde's `Serialize` and
/// `Deserialize`, encoding it with `bincode` 1.x.
///
/// The crate using the derive must depend on `bincode` 1.x under that name; generic types
/// also need `serde` under that name (the derive bounds the impl by `Self: Serialize +
/// DeserializeOwned`).
///
/// `to_bytes` panics with ``Failed to serialize `BinaryValue` for <Type>`` if bincode cannot
/// encode the value (for example a map whose keys fail to serialize); `from_bytes` returns
/// bincode's error.
///
/// # Container attributes
///
/// `#[binary_value(codec = "bincode")]` names the codec. `bincode` is the default and the only
/// codec, as in metaldb-derive 1.0.0 (whose docs also mentioned `protobuf`, which its code
/// never had); any other name is a compile error.
///
/// # Example
///
/// ```rust
/// use metaldb_derive::BinaryValue;
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Debug, PartialEq, Serialize, Deserialize, BinaryValue)]
/// #[binary_value(codec = "bincode")]
/// pub struct Wallet {
///     pub username: String,
///     pub balance: u64,
/// }
///
/// let wallet = Wallet { username: "Alice".to_owned(), balance: 100 };
/// let bytes = metaldb::BinaryValue::to_bytes(&wallet);
/// assert_eq!(bytes, bincode::serialize(&wallet).unwrap());
/// ```
#[proc_macro_derive(BinaryValue, attributes(binary_value))]
pub fn binary_value(input: TokenStream) -> TokenStream {
    derive(input, binary_value::expand)
}

/// Derives `metaldb::access::FromAccess` for a struct whose fields all implement `FromAccess`
/// themselves: indexes (`Entry`, `ListIndex`, `SparseListIndex`, `MapIndex`, `KeySetIndex`),
/// `Group`s, `Lazy` indexes and other components (structs with this derive).
///
/// Each field is built at the struct's address with a dot and the field's name appended: a
/// struct built at `"foo"` with fields `list` and `map` opens the indexes `foo.list` and
/// `foo.map`; built with `from_root` on a fork, it opens `list` and `map`. Components nest the
/// same way (`foo.inner.list`), and a `Group` field `g` of components with a field `x` puts
/// member `k`'s index at `("g.x", k)`.
///
/// # The access type parameter
///
/// The struct must be generic over the access type, and the impl is `FromAccess<T>` for it:
///
/// 1. the type parameter marked `#[from_access]`, if any;
/// 2. else the first type parameter bounded by `Access` inline (`T: Access`) or in the
///    where-clause (`where T: Access`);
/// 3. else the struct's only type parameter.
///
/// The impl reuses the struct's generics and where-clause unchanged and adds no bounds: the
/// struct's own bounds must make every field `FromAccess<T>`.
///
/// # Container attributes
///
/// `#[from_access(transparent)]`: the struct has one field, built at the struct's own address
/// (no suffix), like `#[serde(transparent)]`. Field attributes are then ignored.
///
/// # Field attributes
///
/// - `#[from_access(rename = "name")]` replaces the field's name as the suffix. Names are
///   non-empty and made of `A-Z`, `a-z`, `0-9`, `_` and `-` (no dots), and unique in the struct.
///   Fields of tuple structs need it (or `flatten`).
/// - `#[from_access(flatten)]` builds the field at the struct's own address, so a component's
///   indexes appear as if declared in the outer struct.
///
/// # Example
///
/// ```rust
/// use metaldb::{access::{Access, FromAccess}, Entry, Group, Lazy, ListIndex, MapIndex};
/// use metaldb_derive::FromAccess;
///
/// #[derive(FromAccess)]
/// pub struct Wallets<T: Access> {
///     pub balances: MapIndex<T::Base, str, u64>,
///     #[from_access(rename = "history-log")]
///     pub history: ListIndex<T::Base, String>,
/// }
///
/// #[derive(FromAccess)]
/// pub struct Schema<T: Access> {
///     pub ticker: Entry<T::Base, String>,       // "ticker"
///     pub wallets: Wallets<T>,                  // "wallets.balances", "wallets.history-log"
///     pub archive: Lazy<T, Wallets<T>>,         // "archive.balances", ... when first used
///     pub shards: Group<T, u32, Wallets<T>>,    // ("shards.balances", &k), ...
/// }
///
/// let schema = Schema::from_root(&fork)?;
/// ```
#[proc_macro_derive(FromAccess, attributes(from_access))]
pub fn from_access(input: TokenStream) -> TokenStream {
    derive(input, from_access::expand)
}

/// Runs `expand` on the item, turning its error into `compile_error!` at the error's span.
fn derive(
    input: TokenStream,
    expand: fn(&DeriveInput) -> syn::Result<proc_macro2::TokenStream>,
) -> TokenStream {
    syn::parse::<DeriveInput>(input)
        .and_then(|input| expand(&input))
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}
