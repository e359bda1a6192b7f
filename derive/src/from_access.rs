//! `#[derive(FromAccess)]`: schemas built from an access.

use std::collections::HashSet;

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::{
    ext::IdentExt, spanned::Spanned, Attribute, Data, DeriveInput, GenericParam, Generics, Ident,
    Member, Meta, Type, TypeParam, TypeParamBound, WherePredicate,
};

use crate::attrs;

const ATTR: &str = "from_access";

#[derive(Default)]
struct ContainerAttrs {
    transparent: bool,
}

impl ContainerAttrs {
    fn parse(attrs: &[Attribute]) -> syn::Result<Self> {
        let mut this = Self::default();
        for attr in attrs.iter().filter(|a| a.path().is_ident(ATTR)) {
            attr.parse_nested_meta(|meta| {
                if meta.path.is_ident("transparent") {
                    this.transparent = attrs::flag(&meta)?;
                    Ok(())
                } else {
                    Err(attrs::unknown(&meta, ATTR, &["transparent"]))
                }
            })?;
        }
        Ok(this)
    }
}

/// One field of the struct and where it is built.
struct AccessField {
    member: Member,
    /// Where errors about the field's name point: the `rename` value, else the field.
    name_span: Span,
    /// Where type errors about the field point: its type.
    span: Span,
    /// The name appended to the struct's address: `rename`, else the field's own name.
    suffix: Option<String>,
    flatten: bool,
}

impl AccessField {
    fn parse(index: usize, field: &syn::Field) -> syn::Result<Self> {
        let mut rename: Option<syn::LitStr> = None;
        let mut flatten = false;
        for attr in field.attrs.iter().filter(|a| a.path().is_ident(ATTR)) {
            attr.parse_nested_meta(|meta| {
                if meta.path.is_ident("rename") {
                    rename = Some(attrs::string(&meta)?);
                    Ok(())
                } else if meta.path.is_ident("flatten") {
                    flatten = attrs::flag(&meta)?;
                    Ok(())
                } else {
                    Err(attrs::unknown(&meta, ATTR, &["rename", "flatten"]))
                }
            })?;
        }
        let member = match &field.ident {
            Some(ident) => Member::Named(ident.clone()),
            None => Member::Unnamed(index.into()),
        };
        let name_span = match (&rename, &field.ident) {
            (Some(rename), _) => rename.span(),
            (None, Some(ident)) => ident.span(),
            (None, None) => field.ty.span(),
        };
        // A raw identifier (`r#type`) names the index `type`.
        let suffix = match rename {
            Some(rename) => Some(rename.value()),
            None => field.ident.as_ref().map(|i| i.unraw().to_string()),
        };
        Ok(Self {
            member,
            name_span,
            span: field.ty.span(),
            suffix,
            flatten,
        })
    }

    /// The field's initializer in `from_access`, built relative to `addr`.
    fn at_address(&self) -> TokenStream {
        let member = &self.member;
        let addr = match (&self.suffix, self.flatten) {
            (Some(suffix), false) => {
                quote!(::core::clone::Clone::clone(&addr).append_name(#suffix))
            }
            _ => quote!(::core::clone::Clone::clone(&addr)),
        };
        // Spanned at the field, so that a field type without `FromAccess` is reported there.
        quote_spanned! {self.span=>
            #member: metaldb::access::FromAccess::from_access(
                ::core::clone::Clone::clone(&access),
                #addr,
            )?
        }
    }

    /// The field's initializer in `from_root`.
    fn at_root(&self) -> TokenStream {
        let member = &self.member;
        match (&self.suffix, self.flatten) {
            (Some(suffix), false) => quote_spanned! {self.span=>
                #member: metaldb::access::FromAccess::from_access(
                    ::core::clone::Clone::clone(&access),
                    <metaldb::IndexAddress as ::core::convert::From<&str>>::from(#suffix),
                )?
            },
            _ => quote_spanned! {self.span=>
                #member: metaldb::access::FromAccess::from_root(
                    ::core::clone::Clone::clone(&access),
                )?
            },
        }
    }
}

/// Checks a name against the characters allowed in an address component, as metaldb does
/// at run time (so that a bad name fails at compile time instead).
fn validate_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("Name shouldn't be empty".to_owned());
    }
    let allowed = |c: u8| c.is_ascii_alphanumeric() || c == b'-' || c == b'_';
    if !name.bytes().all(allowed) {
        return Err(format!(
            "Name `{name}` contains invalid chars (allowed: `A-Z`, `a-z`, `0-9`, `_` and `-`)"
        ));
    }
    Ok(())
}

fn is_marked(param: &TypeParam) -> bool {
    param.attrs.iter().any(|a| a.path().is_ident(ATTR))
}

fn is_access_bound(bound: &TypeParamBound) -> bool {
    matches!(bound, TypeParamBound::Trait(t) if t.path.is_ident("Access"))
}

fn is_param(ty: &Type, param: &Ident) -> bool {
    matches!(ty, Type::Path(p) if p.qself.is_none() && p.path.is_ident(param))
}

/// Chooses the type parameter that stands for the access type.
fn access_param(generics: &Generics, name: &Ident) -> syn::Result<Ident> {
    let params: Vec<&TypeParam> = generics.type_params().collect();

    let mut marked = params.iter().filter(|p| is_marked(p));
    if let Some(param) = marked.next() {
        if let Some(other) = marked.next() {
            let msg = "Only one type param may be marked with `#[from_access]`";
            return Err(syn::Error::new(other.span(), msg));
        }
        for attr in param.attrs.iter().filter(|a| a.path().is_ident(ATTR)) {
            if !matches!(attr.meta, Meta::Path(_)) {
                let msg = "Mark the access type param with a bare `#[from_access]`";
                return Err(syn::Error::new(attr.span(), msg));
            }
        }
        return Ok(param.ident.clone());
    }

    if let Some(param) = params.iter().find(|p| p.bounds.iter().any(is_access_bound)) {
        return Ok(param.ident.clone());
    }
    // metaldb-derive 1.0.0 looked at inline bounds only; `where T: Access` is as clear.
    let predicates = generics.where_clause.iter().flat_map(|w| &w.predicates);
    for predicate in predicates {
        if let WherePredicate::Type(predicate) = predicate {
            let bounded = params
                .iter()
                .find(|p| is_param(&predicate.bounded_ty, &p.ident));
            if let Some(param) = bounded {
                if predicate.bounds.iter().any(is_access_bound) {
                    return Ok(param.ident.clone());
                }
            }
        }
    }

    match params.as_slice() {
        [] => Err(syn::Error::new(
            name.span(),
            "`FromAccess` struct should be generic over `Access` type",
        )),
        // A single type parameter is taken to be the access.
        [param] => Ok(param.ident.clone()),
        _ => Err(syn::Error::new_spanned(
            generics,
            "Cannot find type param implementing `Access` trait. \
             You may mark it explicitly with `#[from_access]`",
        )),
    }
}

/// Checks the fields' names: valid, unique, and present unless the field is flattened.
fn check_names(fields: &[AccessField]) -> syn::Result<()> {
    let mut names = HashSet::new();
    for field in fields {
        if let Some(name) = &field.suffix {
            validate_name(name).map_err(|msg| syn::Error::new(field.name_span, msg))?;
            if !names.insert(name) {
                return Err(syn::Error::new(field.name_span, "Duplicate field name"));
            }
        } else if !field.flatten {
            let msg = if fields.len() == 1 {
                "Unnamed fields necessitate #[from_access(rename = ...)]. \
                 To use a wrapper, add #[from_access(transparent)] to the struct"
            } else {
                "Unnamed fields necessitate #[from_access(rename = ...)]"
            };
            return Err(syn::Error::new(field.span, msg));
        }
    }
    Ok(())
}

pub(crate) fn expand(input: &DeriveInput) -> syn::Result<TokenStream> {
    let fields = match &input.data {
        Data::Struct(data) => &data.fields,
        Data::Enum(data) => {
            let msg = "`FromAccess` can be only implemented for structs";
            return Err(syn::Error::new(data.enum_token.span, msg));
        }
        Data::Union(data) => {
            let msg = "`FromAccess` can be only implemented for structs";
            return Err(syn::Error::new(data.union_token.span, msg));
        }
    };
    let container = ContainerAttrs::parse(&input.attrs)?;
    let access = access_param(&input.generics, &input.ident)?;
    let fields = fields
        .iter()
        .enumerate()
        .map(|(i, field)| AccessField::parse(i, field))
        .collect::<syn::Result<Vec<_>>>()?;

    let (from_access, from_root) = if container.transparent {
        let [field] = fields.as_slice() else {
            let span = match &input.data {
                Data::Struct(data) if !data.fields.is_empty() => data.fields.span(),
                _ => input.ident.span(),
            };
            let msg = "Transparent struct must contain a single field";
            return Err(syn::Error::new(span, msg));
        };
        let member = &field.member;
        (
            quote_spanned!(field.span=> #member: metaldb::access::FromAccess::from_access(access, addr)?),
            quote_spanned!(field.span=> #member: metaldb::access::FromAccess::from_root(access)?),
        )
    } else {
        check_names(&fields)?;
        let at_address = fields.iter().map(AccessField::at_address);
        let at_root = fields.iter().map(AccessField::at_root);
        (quote!(#(#at_address,)*), quote!(#(#at_root,)*))
    };

    // `#[from_access]` marks a parameter of the struct; it is no attribute of the impl's.
    let mut generics = input.generics.clone();
    for param in &mut generics.params {
        if let GenericParam::Type(param) = param {
            param.attrs.retain(|a| !a.path().is_ident(ATTR));
        }
    }
    let (impl_generics, ty_generics, where_clause) = generics.split_for_impl();
    let name = &input.ident;
    let result = quote!(::core::result::Result<Self, metaldb::access::AccessError>);
    Ok(quote! {
        #[automatically_derived]
        impl #impl_generics metaldb::access::FromAccess<#access> for #name #ty_generics
        #where_clause
        {
            fn from_access(access: #access, addr: metaldb::IndexAddress) -> #result {
                ::core::result::Result::Ok(Self { #from_access })
            }

            fn from_root(access: #access) -> #result {
                ::core::result::Result::Ok(Self { #from_root })
            }
        }
    })
}
