//! Whether regenerating changed a generated crate's public API, and how (docs/semver.md): the
//! committed crate's items against the new output's, both read from the Rust source with `syn`.
//!
//! An item is a named piece of API with a signature: a public type, function, method, constant,
//! re-export, enum variant, or a field of a public struct (an operation builder's fields are its
//! parameters). Removed or changed items are breaking; new ones are additive, except a new field
//! that a caller must fill (a required parameter or body field: not an `Option`, collection or
//! `#[serde(default)]`) and a new variant of an exhaustive enum (a `match` on it stops compiling).

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use quote::ToTokens;

use crate::emit::HEADER;
use crate::generate::Outputs;

/// One API item: its signature, and whether adding it alone leaves callers compiling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub signature: String,
    pub additive: bool,
}

/// Items by key (`fn Client::list_partners`, `field types::Partner.email`).
pub type Items = BTreeMap<String, Item>;

/// How far a change reaches, in semver terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Unchanged,
    /// Only additions: a minor release (a patch release before 1.0).
    Additive,
    /// Something a caller may depend on is gone or different: a major release (minor before 1.0).
    Breaking,
}

/// What changed between two versions of one crate's API.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Diff {
    pub added: Vec<String>,
    /// Additions that break callers (a required field, a variant of an exhaustive enum).
    pub added_breaking: Vec<String>,
    pub removed: Vec<String>,
    pub changed: Vec<String>,
}

impl Diff {
    pub fn level(&self) -> Level {
        if !self.removed.is_empty() || !self.changed.is_empty() || !self.added_breaking.is_empty() {
            Level::Breaking
        } else if !self.added.is_empty() {
            Level::Additive
        } else {
            Level::Unchanged
        }
    }
}

/// The differences from `old` to `new`.
pub fn compare(old: &Items, new: &Items) -> Diff {
    let mut diff = Diff::default();
    // A field or variant of a type that is itself new breaks no caller.
    let owner_is_new = |key: &str| {
        let owner = match key.split_once(' ') {
            Some(("field", rest)) => rest.rsplit_once('.').map(|(t, _)| format!("struct {t}")),
            Some(("variant", rest)) => rest.rsplit_once("::").map(|(t, _)| format!("enum {t}")),
            _ => None,
        };
        owner.is_some_and(|o| !old.contains_key(&o))
    };
    for (key, item) in new {
        match old.get(key) {
            None if item.additive || owner_is_new(key) => diff.added.push(key.clone()),
            None => diff.added_breaking.push(key.clone()),
            Some(before) if before.signature != item.signature => {
                diff.changed.push(format!("{key}: `{}` -> `{}`", before.signature, item.signature))
            }
            Some(_) => {}
        }
    }
    diff.removed = old.keys().filter(|k| !new.contains_key(*k)).cloned().collect();
    diff
}

/// The items of Rust source files, each with the module path its items live under (`""` for the
/// crate root, `types`). A file that does not parse contributes nothing.
pub fn items(files: &[(&str, &str)]) -> Items {
    let mut out = Items::new();
    for (module, text) in files {
        if let Ok(file) = syn::parse_file(text) {
            walk(module, &file.items, &mut out);
        }
    }
    out
}

/// The item's tokens, with the spaces `proc_macro2` puts around paths and generics taken out.
fn tokens(t: &impl ToTokens) -> String {
    let mut text = t.to_token_stream().to_string();
    for (from, to) in [(" :: ", "::"), (":: ", "::"), (" < ", "<"), ("< ", "<"), (" >", ">"), (" ,", ","), ("& ", "&")]
    {
        text = text.replace(from, to);
    }
    text
}

fn is_pub(vis: &syn::Visibility) -> bool {
    matches!(vis, syn::Visibility::Public(_))
}

fn path(module: &str, name: &str) -> String {
    if module.is_empty() {
        name.to_string()
    } else {
        format!("{module}::{name}")
    }
}

fn has_attr(attrs: &[syn::Attribute], name: &str, inner: &str) -> bool {
    attrs.iter().any(|a| a.path().is_ident(name) && (inner.is_empty() || tokens(&a.meta).contains(inner)))
}

/// Whether a caller that never sets a field still compiles and sends a valid request: its type is
/// optional (an `Option`, a collection, also inside a builder's `Result<_, String>`), or serde
/// defaults it.
fn optional_field(field: &syn::Field) -> bool {
    let ty = tokens(&field.ty).replace(' ', "");
    let inner = ty
        .strip_prefix("Result<")
        .or_else(|| ty.strip_prefix("::std::result::Result<"))
        .unwrap_or(&ty)
        .trim_start_matches("::std::option::")
        .trim_start_matches("::std::vec::")
        .trim_start_matches("::std::collections::")
        .trim_start_matches("::serde_json::");
    ["Option<", "Vec<", "HashMap<", "BTreeMap<", "Map<"].iter().any(|p| inner.starts_with(p))
        || has_attr(&field.attrs, "serde", "default")
}

fn walk(module: &str, items: &[syn::Item], out: &mut Items) {
    fn add(out: &mut Items, key: String, signature: String, additive: bool) {
        out.insert(key, Item { signature, additive });
    }
    for item in items {
        match item {
            syn::Item::Mod(m) if is_pub(&m.vis) => match &m.content {
                Some((_, inner)) => walk(&path(module, &m.ident.to_string()), inner, out),
                None => add(out, format!("mod {}", path(module, &m.ident.to_string())), String::new(), true),
            },
            syn::Item::Struct(s) if is_pub(&s.vis) => {
                let name = path(module, &s.ident.to_string());
                add(out, format!("struct {name}"), tokens(&s.generics), true);
                for (i, field) in s.fields.iter().enumerate() {
                    // Private fields count in a builder (they are its parameters); elsewhere they
                    // are not API.
                    if !is_pub(&field.vis) && !module.ends_with("builder") {
                        continue;
                    }
                    let label = field.ident.as_ref().map_or_else(|| i.to_string(), |f| f.to_string());
                    add(out, format!("field {name}.{label}"), tokens(&field.ty), optional_field(field));
                }
            }
            syn::Item::Enum(e) if is_pub(&e.vis) => {
                let name = path(module, &e.ident.to_string());
                let open = has_attr(&e.attrs, "non_exhaustive", "");
                add(
                    out,
                    format!("enum {name}"),
                    format!("{}{}", tokens(&e.generics), if open { " open" } else { "" }),
                    true,
                );
                for v in &e.variants {
                    add(out, format!("variant {name}::{}", v.ident), tokens(&v.fields), open);
                }
            }
            syn::Item::Fn(f) if is_pub(&f.vis) => {
                add(out, format!("fn {}", path(module, &f.sig.ident.to_string())), tokens(&f.sig), true);
            }
            syn::Item::Impl(i) if i.trait_.is_none() => {
                let ty = tokens(&i.self_ty).replace(' ', "");
                let ty = ty.split('<').next().unwrap_or(&ty).to_string();
                for member in &i.items {
                    if let syn::ImplItem::Fn(f) = member {
                        if is_pub(&f.vis) {
                            let key = format!("fn {}::{}", path(module, &ty), f.sig.ident);
                            add(out, key, tokens(&f.sig), true);
                        }
                    }
                }
            }
            syn::Item::Impl(i) => {
                // A trait implemented (`Default`, `From<X>`, `Serialize`): removing one breaks callers.
                let ty = tokens(&i.self_ty).replace(' ', "");
                let of = i.trait_.as_ref().map(|(_, p, _)| tokens(p).replace(' ', "")).unwrap_or_default();
                add(out, format!("impl {of} for {}", path(module, &ty)), String::new(), true);
            }
            syn::Item::Const(c) if is_pub(&c.vis) => {
                add(out, format!("const {}", path(module, &c.ident.to_string())), tokens(&c.ty), true);
            }
            syn::Item::Static(s) if is_pub(&s.vis) => {
                add(out, format!("static {}", path(module, &s.ident.to_string())), tokens(&s.ty), true);
            }
            syn::Item::Type(t) if is_pub(&t.vis) => {
                add(out, format!("type {}", path(module, &t.ident.to_string())), tokens(&t.ty), true);
            }
            syn::Item::Use(u) if is_pub(&u.vis) => {
                add(out, format!("use {module} {}", tokens(&u.tree)), String::new(), true)
            }
            syn::Item::Trait(t) if is_pub(&t.vis) => {
                add(out, format!("trait {}", path(module, &t.ident.to_string())), tokens(&t.generics), true);
            }
            _ => {}
        }
    }
}

/// The files of a generated crate that make up its API, with their module paths: the client's
/// root, its types and builders, and its mock crate.
fn api_files(krate: &str) -> Vec<(&'static str, PathBuf)> {
    let dir = PathBuf::from("crates").join(krate);
    let mock = PathBuf::from("crates").join(format!("{krate}-mock"));
    vec![
        ("", dir.join("src/lib.rs")),
        ("", dir.join("src/generated.rs")),
        ("types", dir.join("src/generated/types.rs")),
        ("builder", dir.join("src/generated/builder.rs")),
        ("mock", mock.join("src/lib.rs")),
        ("mock", mock.join("src/generated.rs")),
    ]
}

/// One generated client crate's change, with the versions it had and has.
#[derive(Debug)]
pub struct CrateChange {
    pub krate: String,
    pub diff: Diff,
    /// The committed version; `None` for a new crate.
    pub old_version: Option<String>,
    pub new_version: String,
}

/// The first `version = "..."` of a manifest.
fn manifest_version(manifest: &str) -> Option<String> {
    manifest
        .lines()
        .find_map(|l| l.strip_prefix("version = \""))
        .and_then(|rest| rest.split('"').next())
        .map(str::to_string)
}

/// The lowest version a change at `level` needs after `old` (Cargo's rule: before 1.0 the minor
/// number is the breaking one).
pub fn required_version(old: &str, level: Level) -> Option<String> {
    let core = old.split('-').next()?;
    let mut parts = core.split('.').map(|p| p.parse::<u64>().ok());
    let (major, minor, patch) = (parts.next()??, parts.next()??, parts.next()??);
    let pre = core != old;
    Some(match (level, major) {
        (Level::Unchanged, _) => return Some(old.to_string()),
        // A pre-release is followed by its release, whatever changed.
        _ if pre => core.to_string(),
        (Level::Breaking, 0) => format!("0.{}.0", minor + 1),
        (Level::Breaking, _) => format!("{}.0.0", major + 1),
        (Level::Additive, 0) => format!("0.{minor}.{}", patch + 1),
        (Level::Additive, _) => format!("{major}.{}.0", minor + 1),
    })
}

/// Whether `version` is at least `required` (numeric `MAJOR.MINOR.PATCH`, pre-release ignored).
fn at_least(version: &str, required: &str) -> bool {
    let key =
        |v: &str| -> Vec<u64> { v.split('-').next().unwrap_or(v).split('.').filter_map(|p| p.parse().ok()).collect() };
    key(version) >= key(required)
}

/// Every generated client crate whose API the outputs change, against the files under `root`.
pub fn changes(root: &Path, outputs: &Outputs) -> Vec<CrateChange> {
    let clients = outputs.iter().filter_map(|(path, text)| {
        let krate = path.strip_prefix("crates").ok()?.parent()?.to_str()?;
        let generated = text.lines().next().is_some_and(|l| l.contains(HEADER));
        (path.ends_with("Cargo.toml") && generated && !krate.ends_with("-mock")).then(|| (krate.to_string(), text))
    });
    let mut out = Vec::new();
    for (krate, manifest) in clients {
        let files = api_files(&krate);
        let read = |text: &dyn Fn(&Path) -> String| -> Items {
            let texts: Vec<(&str, String)> = files.iter().map(|(m, p)| (*m, text(p))).collect();
            items(&texts.iter().map(|(m, t)| (*m, t.as_str())).collect::<Vec<_>>())
        };
        let old_items = read(&|p| std::fs::read_to_string(root.join(p)).unwrap_or_default());
        let new_items = read(&|p| outputs.get(p).cloned().unwrap_or_default());
        let old_manifest = std::fs::read_to_string(root.join("crates").join(&krate).join("Cargo.toml")).ok();
        let diff = compare(&old_items, &new_items);
        if diff.level() == Level::Unchanged && old_manifest.is_some() {
            continue;
        }
        out.push(CrateChange {
            krate,
            diff,
            old_version: old_manifest.as_deref().and_then(manifest_version),
            new_version: manifest_version(manifest).unwrap_or_default(),
        });
    }
    out
}

/// How many items a report lists per kind before saying how many more.
const SHOWN: usize = 8;

impl fmt::Display for CrateChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Some(old) = &self.old_version else {
            return write!(f, "{}: a new crate, version {}", self.krate, self.new_version);
        };
        let level = self.diff.level();
        let what = match level {
            Level::Unchanged => "public API unchanged",
            Level::Additive => "public API changed additively (minor release; patch before 1.0)",
            Level::Breaking => "public API changed in a breaking way (major release; minor before 1.0)",
        };
        write!(f, "{}: {what}", self.krate)?;
        match required_version(old, level) {
            Some(required) if at_least(&self.new_version, &required) && self.new_version != *old => {
                write!(f, "; version {old} -> {}", self.new_version)?
            }
            Some(required) => write!(
                f,
                "; set `x-affiliate-crate-version: {required}` in its spec (the version is {})",
                self.new_version
            )?,
            None => write!(f, "; version {}", self.new_version)?,
        }
        let lists = [
            ("removed", &self.diff.removed),
            ("changed", &self.diff.changed),
            ("added, breaking", &self.diff.added_breaking),
            ("added", &self.diff.added),
        ];
        for (label, list) in lists {
            for item in list.iter().take(SHOWN) {
                write!(f, "\n  {label}: {item}")?;
            }
            if list.len() > SHOWN {
                write!(f, "\n  {label}: {} more", list.len() - SHOWN)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The client before every case: one operation with an optional and a required parameter, a
    /// body type with a required and an optional field, and an exhaustive and an open enum.
    const BEFORE: &str = r#"
        pub const DEFAULT_BASE_URL: &str = "https://api.example.com";
        pub struct Client { baseurl: String }
        impl Client {
            pub fn list_items(&self) -> builder::ListItems<'_> { todo!() }
        }
        pub mod types {
            pub struct Item {
                pub id: String,
                #[serde(default)]
                pub note: Option<String>,
            }
            pub enum Status { Active, Banned }
            #[non_exhaustive]
            pub enum Kind { A, B }
        }
        pub mod builder {
            pub struct ListItems<'a> {
                client: &'a super::Client,
                page: Result<Option<u64>, String>,
                owner: Result<String, String>,
            }
        }
    "#;

    fn check(name: &str, edit: &[(&str, &str)], expect: Level, keys: &[&str]) {
        let mut after = BEFORE.to_string();
        for (from, to) in edit {
            assert!(after.contains(from), "{name}: `{from}` not in the fixture");
            after = after.replacen(from, to, 1);
        }
        let (old, new) = (items(&[("", BEFORE)]), items(&[("", &after)]));
        assert!(!old.is_empty(), "the fixture parses");
        let diff = compare(&old, &new);
        assert_eq!(diff.level(), expect, "{name}: {diff:#?}");
        let listed: Vec<&String> =
            diff.added.iter().chain(&diff.added_breaking).chain(&diff.removed).chain(&diff.changed).collect();
        for key in keys {
            assert!(listed.iter().any(|l| l.starts_with(key)), "{name}: `{key}` not in {diff:#?}");
        }
    }

    #[test]
    fn changes_are_classified_by_what_callers_notice() {
        let new_op =
            "pub fn list_items(&self) -> builder::ListItems<'_> { todo!() }\n pub fn get_item(&self) -> u8 { 0 }";
        check("nothing", &[], Level::Unchanged, &[]);
        check("a doc comment", &[("pub struct Item {", "/// Items.\n pub struct Item {")], Level::Unchanged, &[]);
        check(
            "a new operation",
            &[("pub fn list_items(&self) -> builder::ListItems<'_> { todo!() }", new_op)],
            Level::Additive,
            &["fn Client::get_item"],
        );
        check(
            "a new optional field",
            &[("pub id: String,", "pub id: String,\n pub tags: Vec<String>, pub when: Option<u64>,")],
            Level::Additive,
            &["field types::Item.tags", "field types::Item.when"],
        );
        check(
            "a new optional parameter",
            &[(
                "page: Result<Option<u64>, String>,",
                "page: Result<Option<u64>, String>, q: Result<Option<String>, String>,",
            )],
            Level::Additive,
            &["field builder::ListItems.q"],
        );
        check(
            "a new value of an open enum",
            &[("pub enum Kind { A, B }", "pub enum Kind { A, B, C }")],
            Level::Additive,
            &["variant types::Kind::C"],
        );
        check(
            "a new type",
            &[("pub enum Status", "pub struct Extra { pub a: u8 }\n pub enum Status")],
            Level::Additive,
            &["struct types::Extra", "field types::Extra.a"],
        );
        check(
            "a removed operation",
            &[("pub fn list_items(&self) -> builder::ListItems<'_> { todo!() }", "")],
            Level::Breaking,
            &["fn Client::list_items"],
        );
        check(
            "a removed field",
            &[("#[serde(default)]\n                pub note: Option<String>,", "")],
            Level::Breaking,
            &["field types::Item.note"],
        );
        check(
            "a renamed field",
            &[("pub id: String,", "pub item_id: String,")],
            Level::Breaking,
            &["field types::Item.id", "field types::Item.item_id"],
        );
        check("a retyped field", &[("pub id: String,", "pub id: u64,")], Level::Breaking, &["field types::Item.id"]);
        check(
            "an optional field made required",
            &[("pub note: Option<String>,", "pub note: String,")],
            Level::Breaking,
            &["field types::Item.note"],
        );
        check(
            "a new required field",
            &[("pub id: String,", "pub id: String,\n pub owner: String,")],
            Level::Breaking,
            &["field types::Item.owner"],
        );
        check(
            "a new required parameter",
            &[("owner: Result<String, String>,", "owner: Result<String, String>, region: Result<String, String>,")],
            Level::Breaking,
            &["field builder::ListItems.region"],
        );
        check(
            "a new value of an exhaustive enum",
            &[("pub enum Status { Active, Banned }", "pub enum Status { Active, Banned, Paused }")],
            Level::Breaking,
            &["variant types::Status::Paused"],
        );
        check(
            "a changed constant",
            &[("\"https://api.example.com\"", "\"https://api2.example.com\"")],
            Level::Unchanged,
            &[],
        );
        check(
            "a retyped constant",
            &[("pub const DEFAULT_BASE_URL: &str", "pub const DEFAULT_BASE_URL: &[u8]")],
            Level::Breaking,
            &["const DEFAULT_BASE_URL"],
        );
        check(
            "a parameter made required",
            &[("page: Result<Option<u64>, String>,", "page: Result<u64, String>,")],
            Level::Breaking,
            &["field builder::ListItems.page"],
        );
    }

    #[test]
    fn versions_a_change_requires() {
        let cases = [
            ("0.1.0", Level::Unchanged, "0.1.0"),
            ("0.1.0", Level::Additive, "0.1.1"),
            ("0.1.3", Level::Breaking, "0.2.0"),
            ("1.4.2", Level::Additive, "1.5.0"),
            ("1.4.2", Level::Breaking, "2.0.0"),
            ("2.0.0-rc.1", Level::Breaking, "2.0.0"),
        ];
        for (old, level, expect) in cases {
            assert_eq!(required_version(old, level).as_deref(), Some(expect), "{old} {level:?}");
        }
        assert!(at_least("0.2.0", "0.2.0") && at_least("1.0.0", "0.2.0") && !at_least("0.1.9", "0.2.0"));
    }
}
