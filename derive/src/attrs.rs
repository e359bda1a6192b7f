//! Parsing helpers shared by both derives' attributes.

use syn::{meta::ParseNestedMeta, LitBool, LitStr, Token};

/// Reads a flag written as a bare word (`flatten`) or with a value (`flatten = false`).
pub(crate) fn flag(meta: &ParseNestedMeta<'_>) -> syn::Result<bool> {
    if meta.input.peek(Token![=]) {
        Ok(meta.value()?.parse::<LitBool>()?.value)
    } else {
        Ok(true)
    }
}

/// Reads the string of `key = "value"`.
pub(crate) fn string(meta: &ParseNestedMeta<'_>) -> syn::Result<LitStr> {
    let key = path_text(meta);
    if !meta.input.peek(Token![=]) {
        return Err(meta.error(format!("expected `{key} = \"...\"`")));
    }
    meta.value()?.parse::<LitStr>()
}

/// The error for a key that the attribute does not know.
pub(crate) fn unknown(meta: &ParseNestedMeta<'_>, attr: &str, known: &[&str]) -> syn::Error {
    let known = known
        .iter()
        .map(|key| format!("`{key}`"))
        .collect::<Vec<_>>();
    let expected = match known.as_slice() {
        [one] => one.clone(),
        many => format!("one of {}", many.join(", ")),
    };
    meta.error(format!(
        "Unknown field: `{}` in #[{attr}(...)] (expected {expected})",
        path_text(meta)
    ))
}

fn path_text(meta: &ParseNestedMeta<'_>) -> String {
    meta.path
        .segments
        .iter()
        .map(|segment| segment.ident.to_string())
        .collect::<Vec<_>>()
        .join("::")
}
