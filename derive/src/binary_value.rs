//! `#[derive(BinaryValue)]`: a bincode encoding for serde types.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{parse_quote, DeriveInput};

use crate::attrs;

/// The codecs `#[binary_value(codec = "...")]` accepts: bincode only, as in 1.0.0.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum Codec {
    #[default]
    Bincode,
}

fn codec(input: &DeriveInput) -> syn::Result<Codec> {
    let mut codec = Codec::default();
    for attr in input
        .attrs
        .iter()
        .filter(|a| a.path().is_ident("binary_value"))
    {
        attr.parse_nested_meta(|meta| {
            if !meta.path.is_ident("codec") {
                return Err(attrs::unknown(&meta, "binary_value", &["codec"]));
            }
            let name = attrs::string(&meta)?;
            codec = match name.value().as_str() {
                "bincode" => Codec::Bincode,
                other => {
                    let msg = format!("BinaryValue: Unknown codec ({other}). Use `bincode`");
                    return Err(syn::Error::new(name.span(), msg));
                }
            };
            Ok(())
        })?;
    }
    Ok(codec)
}

pub(crate) fn expand(input: &DeriveInput) -> syn::Result<TokenStream> {
    match codec(input)? {
        Codec::Bincode => Ok(bincode_impl(input)),
    }
}

fn bincode_impl(input: &DeriveInput) -> TokenStream {
    let name = &input.ident;
    let mut generics = input.generics.clone();
    // metaldb-derive 1.0.0 ignored generics (so generic types failed to compile). A generic
    // impl needs the serde bounds that bincode's functions have, stated on `Self` so that
    // they hold for whatever bounds serde's own derive put on the parameters.
    if generics.type_params().next().is_some() {
        generics.make_where_clause().predicates.push(parse_quote! {
            Self: serde::Serialize + serde::de::DeserializeOwned
        });
    }
    let (impl_generics, ty_generics, where_clause) = generics.split_for_impl();
    let message = format!("Failed to serialize `BinaryValue` for {name}");
    // `bincode` and `metaldb` are resolved where the type is declared, as in 1.0.0, so a
    // renamed import of either (`use x as bincode;`) works there too.
    quote! {
        #[automatically_derived]
        impl #impl_generics metaldb::BinaryValue for #name #ty_generics #where_clause {
            fn to_bytes(&self) -> ::std::vec::Vec<u8> {
                bincode::serialize(self).expect(#message)
            }

            fn from_bytes(
                value: ::std::borrow::Cow<'_, [u8]>,
            ) -> ::core::result::Result<Self, metaldb::_reexports::Error> {
                bincode::deserialize(::core::convert::AsRef::<[u8]>::as_ref(&value))
                    .map_err(::core::convert::From::from)
            }
        }
    }
}
