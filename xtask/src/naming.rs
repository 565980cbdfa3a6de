//! The one naming authority: every Rust identifier and command-line name the generator emits.
//!
//! progenitor and typify derive names from the spec with one sanitiser (non-identifier characters
//! become word breaks, then the case conversion, a leading `_` before a digit, a trailing `_` after
//! a keyword). [`sanitize`] is that function, built on the same `heck` conversion and typify's own
//! keyword list, so the names computed here are the names progenitor generates, by construction;
//! the Surface join (`read.rs`) still checks each one against the generated code. Everything else
//! (operation ids the spec lacks or repeats, mock and CLI names) is decided here and nowhere else.

use std::collections::BTreeSet;

use heck::{ToKebabCase, ToPascalCase, ToSnakeCase};

/// The case of a generated identifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Case {
    Snake,
    Pascal,
}

/// progenitor's sanitiser: any string to a valid Rust identifier in `case`.
pub fn sanitize(input: &str, case: Case) -> String {
    let to_case = |s: &str| match case {
        Case::Snake => s.to_snake_case(),
        Case::Pascal => s.to_pascal_case(),
    };
    let out = match input {
        "+1" => "plus1".to_string(),
        "-1" => "minus1".to_string(),
        _ => to_case(&input.replace('\'', "").replace(|c: char| !unicode_ident::is_xid_continue(c), "-")),
    };
    let out = match out.chars().next() {
        None => to_case("x"),
        Some(c) if unicode_ident::is_xid_start(c) => out,
        Some(_) => format!("_{out}"),
    };
    if typify::accept_as_ident(&out) {
        out
    } else {
        format!("{out}_")
    }
}

/// What an operation builder defines besides its parameters' setters: a parameter named like one
/// of these gets another setter name (`timeout_2`).
pub const BUILDER_MEMBERS: &[&str] = &[
    "client",
    "options",
    "send",
    "send_raw",
    "timeout",
    "header",
    "retry_policy",
    "idempotency_key",
    "pages",
    "stream",
    "wait",
    "wait_for_result",
    "body_map",
];

/// The `Client` method (and `OperationInfo::operation_id`) of an operation id.
pub fn method(operation_id: &str) -> String {
    sanitize(operation_id, Case::Snake)
}

/// The operation builder struct of a client method.
pub fn builder(method: &str) -> String {
    sanitize(method, Case::Pascal)
}

/// A parameter's builder field and setter (`currency[]` is `currency`, `self` is `self_`).
pub fn field(wire: &str) -> String {
    sanitize(wire, Case::Snake)
}

/// A module named after an API (`crates/affiliate-cli/src/apis/<module>.rs`).
pub fn module(api: &str) -> String {
    sanitize(api, Case::Snake)
}

/// The type of a type name the generator adds (`<Method>Success`, hoisted variant bodies).
pub fn type_name(words: &str) -> String {
    sanitize(words, Case::Pascal)
}

/// The enum of an operation's success variants.
pub fn success_enum(method: &str) -> String {
    type_name(&format!("{method}-success"))
}

/// The `affiliate <api> <command>` of a client method (`list-partners`; `type` for `type_`).
pub fn command(method: &str) -> String {
    method.to_kebab_case()
}

/// The `--flag` of a builder field (`publisher-id`; `self` for `self_`).
pub fn flag(field: &str) -> String {
    field.to_kebab_case()
}

/// The operation id of an operation the spec gives none: its method and path, parameters as
/// `by_<name>` (`GET /users/{id}/posts` is `get_users_by_id_posts`).
pub fn derived_operation_id(http_method: &str, path: &str) -> String {
    let mut words = vec![http_method.to_string()];
    for segment in path.split('/').filter(|s| !s.is_empty()) {
        match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            Some(param) => words.push(format!("by_{param}")),
            None => words.push(segment.to_string()),
        }
    }
    method(&words.join("_"))
}

/// Unique names in first-come order: the first keeps `name`, later ones get `_2`, `_3`...
/// (the suffix that is free, so a spec that already has `list_2` still gets distinct names).
#[derive(Debug, Default)]
pub struct Unique {
    taken: BTreeSet<String>,
}

impl Unique {
    /// Names no caller may take (the names a generated type defines itself).
    pub fn reserving(names: &[&str]) -> Self {
        Unique { taken: names.iter().map(|s| s.to_string()).collect() }
    }

    /// `name`, or the first `name_N` (N from 2) not taken yet; now taken.
    pub fn claim(&mut self, name: &str) -> String {
        let mut candidate = name.to_string();
        let mut n = 2;
        while self.taken.contains(&candidate) {
            candidate = format!("{name}_{n}");
            n += 1;
        }
        self.taken.insert(candidate.clone());
        candidate
    }
}
