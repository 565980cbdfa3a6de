//! Edits progenitor's output (as a `syn::File`) where its choices would break on real APIs.
//!
//! - String enums become open: known values are variants, anything else is kept in `Other(String)`
//!   instead of failing the whole response.
//! - Each builder's `send` becomes `send_raw` (crate-private); the glue adds a `send` that returns
//!   the runtime's unified error. Each operation builder carries per-call options (`options`).
//! - Setters take what a caller has: an optional body field takes the value itself, a nullable one
//!   also gets `clear_<field>()` (explicit `null`), integer setters take any integer type and
//!   report a value out of range in plain words; missing required values are named.
//! - progenitor's `Client::new` / `new_with_client` become crate-private: clients are built only
//!   through the runtime's builder (its redirect policy keeps credentials on the API's host).
//! - Path parameters are encoded by the runtime's `encode_path` instead of progenitor's, which
//!   leaves `.`, `..` and `\` to the URL parser (dot segments resolved, `\` read as `/`); a value
//!   that cannot stay in its segment is refused before sending (`encode_path(..)?`).
//! - Each `send_raw` builds its request as a hand-written call would: the URL in one string, the
//!   query written into it, the buffered JSON body decoded once (`lean_send`).
//! - [`Types`] answers the glue's questions about generated structs (field names, types).

use std::collections::{BTreeMap, BTreeSet};

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use syn::visit_mut::VisitMut;
use syn::{Attribute, Fields, GenericArgument, Ident, Item, ItemEnum, PathArguments, Type};

/// A builder found in `mod builder`: its struct name and the success type `send` returns.
#[derive(Debug, Clone)]
pub struct Builder {
    pub name: Ident,
    /// `T` in `ResponseValue<T>`, as written inside `mod builder` (e.g. `types::Partner`).
    pub success: Type,
    /// Its fields (parameters and `body`) with their types (`Result<T, String>`), in
    /// declaration order, as progenitor named them (`type_`, `_2fa_code`...).
    pub fields: Vec<(String, Type)>,
    /// The `Client` method that returns it, as progenitor named it (`type_` for `type`).
    pub method: Ident,
}

/// Rewrites the file in place and returns the builders by struct name.
pub fn rewrite(file: &mut syn::File) -> Result<BTreeMap<String, Builder>, String> {
    path_parameters(file)?;
    for item in &mut file.items {
        let Item::Mod(module) = item else { continue };
        let Some((_, items)) = module.content.as_mut() else { continue };
        if module.ident == "types" {
            open_enums(items)?;
        }
    }
    let mut builders = BTreeMap::new();
    for item in &mut file.items {
        match item {
            Item::Impl(imp) if last_ident(&imp.self_ty).as_deref() == Some("Client") && imp.trait_.is_none() => {
                for member in &mut imp.items {
                    if let syn::ImplItem::Fn(f) = member {
                        if f.sig.ident == "new" || f.sig.ident == "new_with_client" {
                            f.vis = syn::parse_quote!(pub(crate));
                        }
                    }
                }
            }
            Item::Mod(module) if module.ident == "builder" => {
                let Some((_, items)) = module.content.as_mut() else { continue };
                operation_builders(items, &mut builders)?;
            }
            _ => {}
        }
    }
    // Each builder's client method, by its return type: progenitor escapes keywords (`type_`),
    // so the name cannot be re-derived from the operation id.
    let mut found = 0;
    for item in &file.items {
        let Item::Impl(imp) = item else { continue };
        if last_ident(&imp.self_ty).as_deref() != Some("Client") || imp.trait_.is_some() {
            continue;
        }
        for member in &imp.items {
            let syn::ImplItem::Fn(f) = member else { continue };
            let syn::ReturnType::Type(_, ty) = &f.sig.output else { continue };
            let Some(returned) = last_ident(ty) else { continue };
            if let Some(builder) = builders.values_mut().find(|b| b.name == returned) {
                builder.method = f.sig.ident.clone();
                found += 1;
            }
        }
    }
    if found != builders.len() {
        return Err(format!("found the client method of {found} of {} operation builders", builders.len()));
    }
    Ok(builders)
}

/// progenitor's `encode_path` (imported from `progenitor_client` at the top of the file, used in
/// each builder's `send` through `super::encode_path`) becomes the runtime's, whose refusal `?`
/// turns into `Error::InvalidRequest` before the request is built.
fn path_parameters(file: &mut syn::File) -> Result<(), String> {
    fn question_marks(tokens: TokenStream, count: &mut usize) -> TokenStream {
        use proc_macro2::{Group, Punct, Spacing, TokenTree};
        let mut out = Vec::new();
        let mut after_call = false;
        for token in tokens {
            let call = after_call
                && matches!(&token, TokenTree::Group(g) if g.delimiter() == proc_macro2::Delimiter::Parenthesis);
            after_call = matches!(&token, TokenTree::Ident(i) if i == "encode_path");
            let token = match token {
                TokenTree::Group(g) => {
                    let mut inner = Group::new(g.delimiter(), question_marks(g.stream(), count));
                    inner.set_span(g.span());
                    TokenTree::Group(inner)
                }
                other => other,
            };
            out.push(token);
            if call {
                out.push(TokenTree::Punct(Punct::new('?', Spacing::Alone)));
                *count += 1;
            }
        }
        out.into_iter().collect()
    }
    let mut imported = false;
    for item in &mut file.items {
        let Item::Use(use_) = item else { continue };
        let syn::UseTree::Path(path) = &mut use_.tree else { continue };
        if path.ident != "progenitor_client" {
            continue;
        }
        if let syn::UseTree::Group(group) = path.tree.as_mut() {
            let before = group.items.len();
            group.items = std::mem::take(&mut group.items)
                .into_iter()
                .filter(|tree| !matches!(tree, syn::UseTree::Name(n) if n.ident == "encode_path"))
                .collect();
            imported |= group.items.len() < before;
        }
    }
    let mut calls = 0;
    for item in &mut file.items {
        let Item::Mod(module) = item else { continue };
        let Some((_, items)) = module.content.as_mut().filter(|_| module.ident == "builder") else { continue };
        for item in items {
            let Item::Impl(imp) = item else { continue };
            for member in &mut imp.items {
                let syn::ImplItem::Fn(f) = member else { continue };
                if f.sig.ident == "send" {
                    let block = &f.block;
                    f.block = syn::parse2(question_marks(quote!(#block), &mut calls)).map_err(|e| e.to_string())?;
                }
            }
        }
    }
    match (imported, calls) {
        (true, _) => {
            file.items.insert(
                0,
                syn::parse_quote!(
                    use ::affiliate_runtime::__private::encode_path;
                ),
            );
            Ok(())
        }
        (false, 0) => Ok(()),
        (false, _) => {
            Err("`encode_path` is called but not imported from progenitor_client: progenitor's output changed"
                .to_string())
        }
    }
}

fn operation_builders(items: &mut [Item], builders: &mut BTreeMap<String, Builder>) -> Result<(), String> {
    // Field types per builder struct, to tell optional parameters from required ones.
    let mut fields: BTreeMap<String, Vec<(String, Type)>> = BTreeMap::new();
    for item in items.iter_mut() {
        let Item::Struct(s) = item else { continue };
        let Fields::Named(named) = &mut s.fields else { continue };
        if !named.named.iter().any(|f| f.ident.as_ref().is_some_and(|i| i == "client")) {
            continue;
        }
        // The per-call option methods (and their field) share the builder's namespace with the
        // operation's parameters.
        if let Some(taken) =
            named.named.iter().filter_map(|f| f.ident.as_ref()).find(|i| {
                ["timeout", "header", "retry_policy", "options", "send_raw"].iter().any(|reserved| i == reserved)
            })
        {
            return Err(format!(
                "builder {}: the parameter `{taken}` has the name of a per-call option or builder \
                 method (timeout, header, retry_policy, options); rename the parameter in the spec",
                s.ident
            ));
        }
        fields.insert(
            s.ident.to_string(),
            named
                .named
                .iter()
                .filter_map(|f| Some((f.ident.as_ref()?.to_string(), f.ty.clone())))
                .filter(|(name, _)| name != "client")
                .collect::<Vec<_>>(),
        );
        named.named.push(syn::parse_quote!(options: ::affiliate_runtime::__private::CallOptions));
    }
    for item in items.iter_mut() {
        let Item::Impl(imp) = item else { continue };
        let Some(name) = last_ident(&imp.self_ty) else { continue };
        let Some(struct_fields) = fields.get(&name) else { continue };
        let name = format_ident!("{name}");
        for member in &mut imp.items {
            let syn::ImplItem::Fn(f) = member else { continue };
            if f.sig.ident == "new" {
                add_options_init(f).map_err(|e| format!("builder {name}: {e}"))?;
            } else if f.sig.ident == "send" {
                f.sig.ident = format_ident!("send_raw");
                f.vis = syn::parse_quote!(pub(crate));
                let success = response_value_arg(&f.sig.output)
                    .ok_or_else(|| format!("builder {name}: unexpected `send` return type"))?;
                ignore_options_in_destructuring(f);
                builders.insert(
                    name.to_string(),
                    // The client method is found below; until then, a placeholder.
                    Builder { name: name.clone(), success, fields: struct_fields.clone(), method: name.clone() },
                );
            } else if let Some(target) = setter_target(f, "V") {
                let field = f.sig.ident.clone();
                let optional = struct_fields
                    .iter()
                    .find(|(name, _)| field == name)
                    .and_then(|(_, ty)| result_ok(ty))
                    .is_some_and(|ok| unwrap_option(&ok).is_some());
                if is_integer(&target) {
                    let label = field.to_string();
                    let wrap = if optional { quote!(.map(::std::option::Option::Some)) } else { quote!() };
                    let attrs = &f.attrs;
                    *f = syn::parse_quote! {
                        #(#attrs)*
                        pub fn #field<V>(mut self, value: V) -> Self
                        where
                            V: ::affiliate_runtime::__private::Integer,
                        {
                            self.#field = ::affiliate_runtime::__private::integer(value, #label) #wrap;
                            self
                        }
                    };
                }
            }
        }
    }
    let mut messages = Messages { context: None };
    for item in items.iter_mut() {
        messages.visit_item_mut(item);
    }
    Ok(())
}

/// Replaces string literals in the `send_raw` of builder `name`: the wire names of renamed
/// parameters (progenitor built the request with the alias, `"timeout_2"`, as the query or header
/// name; the spec's name is `"timeout"`) and the `Content-Type` of a raw body sent under its real
/// media type. Every listed literal must be found.
pub fn literals(file: &mut syn::File, replacements: &[(String, Vec<(String, String)>)]) -> Result<(), String> {
    struct Literals<'a>(&'a [(String, String)], BTreeSet<usize>);
    impl VisitMut for Literals<'_> {
        fn visit_lit_str_mut(&mut self, lit: &mut syn::LitStr) {
            if let Some(i) = self.0.iter().position(|(from, _)| lit.value() == *from) {
                *lit = syn::LitStr::new(&self.0[i].1, lit.span());
                self.1.insert(i);
            }
        }
    }
    let Some(items) = module_items(&mut file.items, "builder") else { return Err("no `mod builder`".into()) };
    for (builder, list) in replacements.iter().filter(|(_, list)| !list.is_empty()) {
        let mut literals = Literals(list, BTreeSet::new());
        for item in items.iter_mut() {
            let Item::Impl(imp) = item else { continue };
            if last_ident(&imp.self_ty).as_deref() != Some(builder.as_str()) {
                continue;
            }
            for member in &mut imp.items {
                if let syn::ImplItem::Fn(f) = member {
                    if f.sig.ident == "send_raw" {
                        literals.visit_impl_item_fn_mut(f);
                    }
                }
            }
        }
        if let Some((from, _)) = list.iter().enumerate().find(|(i, _)| !literals.1.contains(i)).map(|(_, l)| l) {
            return Err(format!("builder {builder}: progenitor's request has no `{from}` to replace"));
        }
    }
    Ok(())
}

/// `Self { client: client, .. }` in a builder's `new` also starts with no per-call options.
fn add_options_init(f: &mut syn::ImplItemFn) -> Result<(), String> {
    let Some(syn::Stmt::Expr(syn::Expr::Struct(init), _)) = f.block.stmts.last_mut() else {
        return Err("`new` does not end in a struct expression".to_string());
    };
    init.fields.push(syn::parse_quote!(options: ::std::default::Default::default()));
    Ok(())
}

/// `let Self { client, .. } = self;` in `send_raw`: the glue's `send` took the options already.
fn ignore_options_in_destructuring(f: &mut syn::ImplItemFn) {
    for stmt in &mut f.block.stmts {
        let syn::Stmt::Local(local) = stmt else { continue };
        if let syn::Pat::Struct(pat) = &mut local.pat {
            if pat.path.is_ident("Self") {
                pat.rest = Some(syn::PatRest { attrs: Vec::new(), dot2_token: Default::default() });
            }
        }
    }
}

/// `T` in a setter `fn f<V>(mut self, value: V) -> Self where V: TryInto<T>` (`param` is `V`).
fn setter_target(f: &syn::ImplItemFn, param: &str) -> Option<Type> {
    if f.sig.generics.params.len() != 1 || f.sig.inputs.len() != 2 {
        return None;
    }
    let where_clause = f.sig.generics.where_clause.as_ref()?;
    where_clause.predicates.iter().find_map(|predicate| {
        let syn::WherePredicate::Type(bound) = predicate else { return None };
        let Type::Path(bounded) = &bound.bounded_ty else { return None };
        if !bounded.path.is_ident(param) {
            return None;
        }
        bound.bounds.iter().find_map(|b| {
            let syn::TypeParamBound::Trait(t) = b else { return None };
            let last = t.path.segments.last()?;
            if last.ident != "TryInto" {
                return None;
            }
            let PathArguments::AngleBracketed(args) = &last.arguments else { return None };
            args.args.iter().find_map(|a| match a {
                GenericArgument::Type(ty) => Some(ty.clone()),
                _ => None,
            })
        })
    })
}

/// `T` in `Result<T, E>`.
pub fn result_ok(ty: &Type) -> Option<Type> {
    generic_args(ty, "Result").and_then(|a| a.into_iter().next())
}

/// The integer types progenitor and typify use (any of them, and their `NonZero` forms).
fn is_integer(ty: &Type) -> bool {
    let Type::Path(p) = ty else { return false };
    let Some(last) = p.path.segments.last() else { return false };
    let name = last.ident.to_string();
    let primitive = ["u8", "u16", "u32", "u64", "usize", "i8", "i16", "i32", "i64", "isize"];
    primitive.contains(&name.as_str()) || name == "NonZeroU64" || name == "NonZeroU32"
}

/// Rewrites the messages progenitor and typify give for required values nobody set, so the
/// error says which one in plain words: "publisher_id was not initialized" and "no value supplied
/// for reason" become "required parameter `publisher_id` was not set" and "required field
/// `reason` of `BanPartnerRequest` was not set".
struct Messages {
    /// The struct whose `Default` impl is being visited.
    context: Option<String>,
}

impl VisitMut for Messages {
    fn visit_item_impl_mut(&mut self, imp: &mut syn::ItemImpl) {
        let previous = self.context.replace(last_ident(&imp.self_ty).unwrap_or_default());
        syn::visit_mut::visit_item_impl_mut(self, imp);
        self.context = previous;
    }

    fn visit_lit_str_mut(&mut self, lit: &mut syn::LitStr) {
        let value = lit.value();
        let replaced = if let Some(field) = value.strip_prefix("no value supplied for ") {
            match &self.context {
                Some(owner) if !owner.is_empty() => format!("required field `{field}` of `{owner}` was not set"),
                _ => format!("required field `{field}` was not set"),
            }
        } else if let Some(param) = value.strip_suffix(" was not initialized") {
            format!("required parameter `{param}` was not set")
        } else {
            return;
        };
        *lit = syn::LitStr::new(&replaced, lit.span());
    }
}

/// Appends items to `mod <name>`.
pub fn extend_module(file: &mut syn::File, name: &str, extra: TokenStream) -> Result<(), String> {
    let extra: syn::File = syn::parse2(extra).map_err(|e| format!("glue for mod {name}: {e}"))?;
    for item in &mut file.items {
        if let Item::Mod(module) = item {
            if module.ident == name {
                if let Some((_, items)) = module.content.as_mut() {
                    items.extend(extra.items);
                    return Ok(());
                }
            }
        }
    }
    Err(format!("generated code has no `mod {name}`"))
}

/// `T` out of `Result<ResponseValue<T>, Error<E>>`.
fn response_value_arg(output: &syn::ReturnType) -> Option<Type> {
    let syn::ReturnType::Type(_, ty) = output else { return None };
    let result = generic_args(ty, "Result")?;
    let response_value = generic_args(result.first()?, "ResponseValue")?;
    response_value.first().cloned()
}

/// The type arguments of `ty` if its last path segment is `name`.
fn generic_args(ty: &Type, name: &str) -> Option<Vec<Type>> {
    let Type::Path(path) = ty else { return None };
    let last = path.path.segments.last()?;
    if last.ident != name {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &last.arguments else { return None };
    Some(
        args.args
            .iter()
            .filter_map(|a| match a {
                GenericArgument::Type(t) => Some(t.clone()),
                _ => None,
            })
            .collect(),
    )
}

// ---------------------------------------------------------------------------------------------
// Open enums
// ---------------------------------------------------------------------------------------------

/// Replaces every serde string enum that typify wrote (all unit variants) with an open enum.
fn open_enums(items: &mut Vec<Item>) -> Result<(), String> {
    let mut replaced: BTreeMap<String, TokenStream> = BTreeMap::new();
    for item in items.iter() {
        let Item::Enum(e) = item else { continue };
        if is_string_enum(e) {
            replaced.insert(e.ident.to_string(), open_enum(e)?);
        }
    }
    // typify's Display, FromStr and TryFrom impls match exhaustively on the closed enum; the
    // open enum brings its own.
    let replaced_trait = |imp: &syn::ItemImpl| -> bool {
        let Type::Path(self_ty) = &*imp.self_ty else { return false };
        let Some(ty) = self_ty.path.get_ident().map(Ident::to_string) else { return false };
        let Some((_, trait_path, _)) = &imp.trait_ else { return false };
        let trait_name = trait_path.segments.last().map(|s| s.ident.to_string()).unwrap_or_default();
        replaced.contains_key(&ty) && matches!(trait_name.as_str(), "Display" | "FromStr" | "TryFrom")
    };
    items.retain(|item| !matches!(item, Item::Impl(imp) if replaced_trait(imp)));
    let mut out = Vec::with_capacity(items.len());
    for item in items.drain(..) {
        match &item {
            Item::Enum(e) if replaced.contains_key(&e.ident.to_string()) => {
                let file: syn::File = syn::parse2(replaced[&e.ident.to_string()].clone())
                    .map_err(|err| format!("open enum {}: {err}", e.ident))?;
                out.extend(file.items);
            }
            _ => out.push(item),
        }
    }
    *items = out;
    Ok(())
}

fn is_string_enum(e: &ItemEnum) -> bool {
    let derives_serde = e.attrs.iter().any(|a| {
        a.path().is_ident("derive") && a.meta.require_list().is_ok_and(|l| l.tokens.to_string().contains("Deserialize"))
    });
    derives_serde && !e.variants.is_empty() && e.variants.iter().all(|v| matches!(v.fields, Fields::Unit))
}

/// The wire value of a unit variant: its `#[serde(rename = "...")]`, or its name.
fn wire_name(attrs: &[Attribute], ident: &Ident) -> Result<String, String> {
    let mut name = ident.to_string();
    for attr in attrs.iter().filter(|a| a.path().is_ident("serde")) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("rename") {
                let lit: syn::LitStr = meta.value()?.parse()?;
                name = lit.value();
            } else if meta.input.peek(syn::Token![=]) {
                let _: syn::Expr = meta.value()?.parse()?;
            }
            Ok(())
        })
        .map_err(|e| format!("enum variant {ident}: {e}"))?;
    }
    Ok(name)
}

fn open_enum(e: &ItemEnum) -> Result<TokenStream, String> {
    let name = &e.ident;
    let docs: Vec<&Attribute> = e.attrs.iter().filter(|a| a.path().is_ident("doc")).collect();
    let mut idents = Vec::new();
    let mut wires = Vec::new();
    let mut variant_docs = Vec::new();
    for v in &e.variants {
        wires.push(wire_name(&v.attrs, &v.ident)?);
        idents.push(v.ident.clone());
        variant_docs.push(v.attrs.iter().filter(|a| a.path().is_ident("doc")).cloned().collect::<Vec<_>>());
    }
    let other = ["Other", "OtherValue", "UnknownValue"]
        .into_iter()
        .find(|c| !idents.iter().any(|i| i == c))
        .map(|c| Ident::new(c, Span::call_site()))
        .ok_or_else(|| format!("enum {name}: no free name for the catch-all variant"))?;
    Ok(quote! {
        #(#docs)*
        ///
        /// Values this client does not know yet arrive as `Other` rather than failing the response.
        #[derive(Clone, Debug, Eq, Hash, Ord, PartialEq, PartialOrd)]
        pub enum #name {
            #( #(#variant_docs)* #[doc = concat!("`", #wires, "`")] #idents, )*
            /// A value not in the spec, kept as sent.
            #other(::std::string::String),
        }

        impl #name {
            /// The value as it goes on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    #( Self::#idents => #wires, )*
                    Self::#other(value) => value.as_str(),
                }
            }

            fn from_wire(value: &str) -> Self {
                match value {
                    #( #wires => Self::#idents, )*
                    other => Self::#other(other.to_string()),
                }
            }
        }

        impl ::std::fmt::Display for #name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for #name {
            type Err = ::std::convert::Infallible;
            fn from_str(value: &str) -> ::std::result::Result<Self, Self::Err> {
                Ok(Self::from_wire(value))
            }
        }

        impl ::std::convert::From<&str> for #name {
            fn from(value: &str) -> Self {
                Self::from_wire(value)
            }
        }

        impl ::std::convert::From<::std::string::String> for #name {
            fn from(value: ::std::string::String) -> Self {
                Self::from_wire(&value)
            }
        }

        impl ::serde::Serialize for #name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for #name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                ::affiliate_runtime::__private::open_enum::deserialize(deserializer, Self::from_wire)
            }
        }
    })
}

// ---------------------------------------------------------------------------------------------
// Tri-state request fields
// ---------------------------------------------------------------------------------------------

/// Turns the given optional, nullable fields (component schema, wire name) from `Option<T>` into
/// `Option<Option<T>>`: `None` is left out of the JSON, `Some(None)` is sent as `null`, and
/// `Some(Some(v))` as the value. Both the struct and typify's builder for it change together.
/// Errors are (JSON pointer of the schema property, message): every lookup that misses is one.
pub fn tri_state(file: &mut syn::File, fields: &[(String, String)]) -> Result<(), (String, String)> {
    let at =
        |component: &str, wire: &str| crate::spec::pointer(&["components", "schemas", component, "properties", wire]);
    let Some(types) = module_items(&mut file.items, "types") else {
        return match fields.first() {
            Some((component, wire)) => Err((at(component, wire), "progenitor generated no `mod types`".to_string())),
            None => Ok(()),
        };
    };
    let mut idents: Vec<(String, Ident)> = Vec::new();
    for (component, wire) in fields {
        let name = crate::naming::type_name(component);
        let found = types.iter_mut().find_map(|item| match item {
            Item::Struct(s) if s.ident == name => Some(Some(s)),
            Item::Enum(e) if e.ident == name => Some(None),
            Item::Type(t) if t.ident == name => Some(None),
            _ => None,
        });
        // typify may have made the schema something other than a struct with named fields (an
        // enum, an alias, a newtype): then there is no optional field to change. A schema with no
        // generated type at all is a miss.
        let strukt = match found {
            Some(Some(strukt)) => strukt,
            Some(None) => continue,
            None => return Err((at(component, wire), format!("no generated type `{name}` for this schema"))),
        };
        let Fields::Named(named) = &mut strukt.fields else { continue };
        let field = named
            .named
            .iter_mut()
            .find(|f| f.ident.as_ref().is_some_and(|i| wire_name(&f.attrs, i).ok().as_deref() == Some(wire.as_str())))
            .ok_or_else(|| (at(component, wire), format!("`{name}` has no field for `{wire}`")))?;
        let ident = field.ident.clone().ok_or_else(|| (at(component, wire), "unnamed field".to_string()))?;
        let inner = unwrap_option(&field.ty)
            .ok_or_else(|| (at(component, wire), format!("`{name}::{ident}` is not an Option")))?;
        field.ty = syn::parse_quote!(::std::option::Option<::std::option::Option<#inner>>);
        field.attrs.push(syn::parse_quote!(#[serde(default, with = "::affiliate_runtime::__private::nullable")]));
        idents.push((name.clone(), ident));
    }
    let Some(builders) = module_items(types, "builder") else { return Ok(()) };
    for item in builders.iter_mut() {
        match item {
            Item::Struct(s) => {
                let Fields::Named(named) = &mut s.fields else { continue };
                for field in named.named.iter_mut() {
                    if idents.iter().any(|(n, i)| s.ident == n && field.ident.as_ref() == Some(i)) {
                        wrap_option_in_place(&mut field.ty);
                    }
                }
            }
            Item::Impl(imp) => {
                let Type::Path(self_ty) = &*imp.self_ty else { continue };
                let Some(name) = self_ty.path.segments.last().map(|s| s.ident.to_string()) else { continue };
                for member in &mut imp.items {
                    let syn::ImplItem::Fn(f) = member else { continue };
                    if !idents.iter().any(|(n, i)| *n == name && f.sig.ident == *i) {
                        continue;
                    }
                    for predicate in f.sig.generics.make_where_clause().predicates.iter_mut() {
                        let syn::WherePredicate::Type(bound) = predicate else { continue };
                        for b in bound.bounds.iter_mut() {
                            let syn::TypeParamBound::Trait(t) = b else { continue };
                            let Some(last) = t.path.segments.last_mut() else { continue };
                            if last.ident != "TryInto" {
                                continue;
                            }
                            if let PathArguments::AngleBracketed(args) = &mut last.arguments {
                                for arg in args.args.iter_mut() {
                                    if let GenericArgument::Type(ty) = arg {
                                        *ty = syn::parse_quote!(::std::option::Option<#ty>);
                                    }
                                }
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// Rewrites the setters of typify's struct builders (`types::builder`) to take what a caller has:
/// an optional field's setter takes the value itself (`b.country("US")`, not `Some(..)`); a
/// tri-state field (optional and nullable) also gets `clear_<field>()`, which sends `null`; an
/// integer setter takes any integer type. Leaving a field untouched still leaves it out.
pub fn setters(file: &mut syn::File) -> Result<(), String> {
    let Some(types) = module_items(&mut file.items, "types") else { return Ok(()) };
    let Some(builders) = module_items(types, "builder") else { return Ok(()) };
    for item in builders.iter_mut() {
        let Item::Impl(imp) = item else { continue };
        if imp.trait_.is_some() {
            continue;
        }
        let mut extra: Vec<syn::ImplItem> = Vec::new();
        for member in &mut imp.items {
            let syn::ImplItem::Fn(f) = member else { continue };
            let Some(target) = setter_target(f, "T") else { continue };
            let field = f.sig.ident.clone();
            let label = field.to_string();
            let (value_ty, wrap, tri_state) = match unwrap_option(&target) {
                Some(inner) => match unwrap_option(&inner) {
                    Some(innermost) => {
                        (innermost, quote!(.map(|v| ::std::option::Option::Some(::std::option::Option::Some(v)))), true)
                    }
                    None => (inner, quote!(.map(::std::option::Option::Some)), false),
                },
                None => (target.clone(), quote!(), false),
            };
            let (bound, convert) = if is_integer(&value_ty) {
                (
                    quote!(T: ::affiliate_runtime::__private::Integer,),
                    quote!(::affiliate_runtime::__private::integer::<#value_ty, _>(value, #label)),
                )
            } else {
                let message = format!("cannot use the value given for `{label}`: {{e}}");
                (
                    quote!(T: ::std::convert::TryInto<#value_ty>, T::Error: ::std::fmt::Display,),
                    quote!(value.try_into().map_err(|e| format!(#message))),
                )
            };
            let attrs = &f.attrs;
            *f = syn::parse_quote! {
                #(#attrs)*
                pub fn #field<T>(mut self, value: T) -> Self
                where
                    #bound
                {
                    self.#field = #convert #wrap;
                    self
                }
            };
            if tri_state {
                let clear = format_ident!("clear_{}", field);
                let doc = format!("Sends `{label}` as `null` (clearing it); a field never set is left out.");
                extra.push(syn::parse_quote! {
                    #[doc = #doc]
                    pub fn #clear(mut self) -> Self {
                        self.#field = Ok(::std::option::Option::Some(::std::option::Option::None));
                        self
                    }
                });
            }
        }
        imp.items.extend(extra);
    }
    let mut messages = Messages { context: None };
    for item in builders.iter_mut() {
        messages.visit_item_mut(item);
    }
    Ok(())
}

/// `Result<Option<T>, E>` -> `Result<Option<Option<T>>, E>` (the builder's field type).
fn wrap_option_in_place(ty: &mut Type) {
    let Type::Path(path) = ty else { return };
    let Some(last) = path.path.segments.last_mut() else { return };
    let PathArguments::AngleBracketed(args) = &mut last.arguments else { return };
    if let Some(GenericArgument::Type(first)) = args.args.first_mut() {
        *first = syn::parse_quote!(::std::option::Option<#first>);
    }
}

fn module_items<'a>(items: &'a mut [Item], name: &str) -> Option<&'a mut Vec<Item>> {
    items.iter_mut().find_map(|item| match item {
        Item::Mod(m) if m.ident == name => m.content.as_mut().map(|(_, items)| items),
        _ => None,
    })
}

// ---------------------------------------------------------------------------------------------
// Type lookup for the glue
// ---------------------------------------------------------------------------------------------

/// Structs of `mod types`, for resolving JSON pointers to Rust field accesses.
pub struct Types {
    structs: BTreeMap<String, Vec<(String, Ident, Type)>>,
    /// Every type name `mod types` defines (structs, enums, aliases).
    names: BTreeSet<String>,
}

/// How to reach a value from a page, by reference and by value.
pub struct Access {
    /// Evaluates to `Option<&Leaf>` given `page: &T`.
    pub by_ref: TokenStream,
    /// Evaluates to `Option<Leaf>` given `page: T`.
    pub by_value: TokenStream,
    /// When no field on the way is optional: `page.a.b` (no `Option` to unwrap; by reference or
    /// by value depending on what `page` is).
    pub plain: Option<TokenStream>,
    pub leaf: Type,
}

impl Types {
    pub fn new(file: &syn::File) -> Self {
        let mut structs = BTreeMap::new();
        let mut names = BTreeSet::new();
        for item in &file.items {
            let Item::Mod(module) = item else { continue };
            if module.ident != "types" {
                continue;
            }
            let Some((_, items)) = &module.content else { continue };
            for item in items {
                match item {
                    Item::Struct(s) => names.insert(s.ident.to_string()),
                    Item::Enum(e) => names.insert(e.ident.to_string()),
                    Item::Type(t) => names.insert(t.ident.to_string()),
                    _ => false,
                };
                let Item::Struct(s) = item else { continue };
                let Fields::Named(named) = &s.fields else { continue };
                let fields = named
                    .named
                    .iter()
                    .filter_map(|f| {
                        let ident = f.ident.clone()?;
                        let wire = wire_name(&f.attrs, &ident).ok()?;
                        Some((wire, ident, f.ty.clone()))
                    })
                    .collect();
                structs.insert(s.ident.to_string(), fields);
            }
        }
        Self { structs, names }
    }

    /// Whether `mod types` defines a type of this name.
    pub fn defines(&self, name: &str) -> bool {
        self.names.contains(name)
    }

    /// Resolves a JSON pointer (`/a/b`) against type `root` into optional-value expressions.
    pub fn access(&self, root: &Type, at: &str) -> Result<Access, String> {
        let mut by_ref = quote! { ::std::option::Option::Some(page) };
        let mut by_value = by_ref.clone();
        let mut path: Vec<Ident> = Vec::new();
        let mut optional = false;
        let mut ty = root.clone();
        if !at.is_empty() {
            for segment in at.trim_start_matches('/').split('/') {
                let name = last_ident(&ty).ok_or_else(|| format!("`{at}`: cannot look inside a non-struct type"))?;
                let fields =
                    self.structs.get(&name).ok_or_else(|| format!("`{at}`: `{name}` is not a generated struct"))?;
                let (_, ident, field_ty) = fields
                    .iter()
                    .find(|(wire, _, _)| wire == segment)
                    .ok_or_else(|| format!("`{at}`: `{name}` has no field `{segment}`"))?;
                by_ref = quote! { #by_ref.map(|v| &v.#ident) };
                by_value = quote! { #by_value.map(|v| v.#ident) };
                path.push(ident.clone());
                ty = qualify(field_ty);
                if let Some(inner) = unwrap_option(&ty) {
                    by_ref = quote! { #by_ref.and_then(|v| v.as_ref()) };
                    by_value = quote! { #by_value.flatten() };
                    optional = true;
                    ty = inner;
                }
            }
        }
        let plain = (!optional).then(|| quote! { page #(.#path)* });
        Ok(Access { by_ref, by_value, plain, leaf: ty })
    }
}

/// `T` if `ty` is `Option<T>`.
pub fn unwrap_option(ty: &Type) -> Option<Type> {
    generic_args(ty, "Option").and_then(|a| a.into_iter().next())
}

/// `T` if `ty` is `Vec<T>`.
pub fn vec_item(ty: &Type) -> Option<Type> {
    generic_args(ty, "Vec").and_then(|a| a.into_iter().next())
}

pub(crate) fn last_ident(ty: &Type) -> Option<String> {
    let Type::Path(p) = ty else { return None };
    p.path.segments.last().map(|s| s.ident.to_string())
}

/// A type from another crate (`::chrono::..`, `::uuid::..`), not the client's own or std's.
pub fn foreign(ty: &Type) -> bool {
    let Type::Path(p) = ty else { return false };
    p.path.leading_colon.is_some() && p.path.segments.first().is_some_and(|s| s.ident != "std")
}

/// Types inside `mod types` name each other bare (`Partner`); outside they need `types::Partner`.
pub fn qualify(ty: &Type) -> Type {
    let Type::Path(p) = ty else { return ty.clone() };
    if p.qself.is_none() && p.path.leading_colon.is_none() && p.path.segments.len() == 1 {
        let seg = &p.path.segments[0];
        if matches!(seg.arguments, PathArguments::None)
            && seg.ident.to_string().chars().next().is_some_and(char::is_uppercase)
            && seg.ident != "String"
        {
            return syn::parse_quote!(types::#ty);
        }
    }
    let mut p = p.clone();
    for seg in &mut p.path.segments {
        if let PathArguments::AngleBracketed(args) = &mut seg.arguments {
            for arg in &mut args.args {
                if let GenericArgument::Type(t) = arg {
                    *t = qualify(t);
                }
            }
        }
    }
    Type::Path(p)
}

// ---------------------------------------------------------------------------------------------
// Pruning type builders
// ---------------------------------------------------------------------------------------------

/// Every identifier in a token stream (type names among them).
fn idents(tokens: TokenStream, out: &mut BTreeSet<String>) {
    for token in tokens {
        match token {
            proc_macro2::TokenTree::Ident(i) => {
                out.insert(i.to_string());
            }
            proc_macro2::TokenTree::Group(g) => idents(g.stream(), out),
            _ => {}
        }
    }
}

/// Drops typify's struct builders (`types::builder::X`, `X::builder()`) except for the types a
/// request body can contain: `body_map` is the only place they are needed, and the rest made
/// more than half of the generated code. Roots are the `types::builder::X` the operation builders
/// name; the closure follows every type a kept struct's fields name.
pub fn prune_type_builders(file: &mut syn::File) -> Result<usize, String> {
    let mut roots = BTreeSet::new();
    let operations = file
        .items
        .iter()
        .find_map(|item| match item {
            Item::Mod(m) if m.ident == "builder" => m.content.as_ref().map(|(_, items)| items),
            _ => None,
        })
        .ok_or("progenitor's output has no `mod builder`")?;
    for item in operations {
        let mut idents = Vec::new();
        collect_builder_paths(&quote!(#item), &mut idents);
        roots.extend(idents);
    }
    let types = module_items(&mut file.items, "types").ok_or("progenitor's output has no `mod types`")?;
    let definitions: BTreeMap<String, &Item> = types
        .iter()
        .filter_map(|item| match item {
            Item::Struct(s) => Some((s.ident.to_string(), item)),
            Item::Enum(e) => Some((e.ident.to_string(), item)),
            _ => None,
        })
        .collect();
    let mut keep = BTreeSet::new();
    let mut pending: Vec<String> = roots.into_iter().collect();
    while let Some(name) = pending.pop() {
        if !keep.insert(name.clone()) {
            continue;
        }
        let definition = definitions.get(&name).ok_or_else(|| {
            format!("an operation builder names `types::builder::{name}`, which is not a generated type")
        })?;
        let mut named = BTreeSet::new();
        // Field types only: an enum variant named like a type (`Scope::Partner`) is no reference.
        let fields: Vec<&syn::Field> = match definition {
            Item::Struct(s) => s.fields.iter().collect(),
            Item::Enum(e) => e.variants.iter().flat_map(|v| v.fields.iter()).collect(),
            _ => Vec::new(),
        };
        for field in fields {
            let ty = &field.ty;
            idents(quote!(#ty), &mut named);
        }
        pending.extend(named.into_iter().filter(|n| definitions.contains_key(n) && !keep.contains(n)));
    }
    // typify emits `mod builder` only when there are structs.
    let Some(builders) = module_items(types, "builder") else { return Ok(0) };
    let before = builders.len();
    builders.retain(|item| match item {
        Item::Struct(s) => keep.contains(&s.ident.to_string()),
        Item::Impl(imp) => last_ident(&imp.self_ty).is_some_and(|n| keep.contains(&n)),
        _ => true,
    });
    let removed = before - builders.len();
    for item in types.iter_mut() {
        let Item::Impl(imp) = item else { continue };
        if imp.trait_.is_some() || last_ident(&imp.self_ty).is_some_and(|n| keep.contains(&n)) {
            continue;
        }
        imp.items.retain(|member| !matches!(member, syn::ImplItem::Fn(f) if f.sig.ident == "builder"));
    }
    types.retain(|item| !matches!(item, Item::Impl(imp) if imp.items.is_empty()));
    Ok(removed)
}

/// `X` of every `types::builder::X` in a token stream.
fn collect_builder_paths(tokens: &TokenStream, out: &mut Vec<String>) {
    let tokens: Vec<proc_macro2::TokenTree> = tokens.clone().into_iter().collect();
    let ident = |t: &proc_macro2::TokenTree| match t {
        proc_macro2::TokenTree::Ident(i) => Some(i.to_string()),
        _ => None,
    };
    let colon = |t: &proc_macro2::TokenTree| matches!(t, proc_macro2::TokenTree::Punct(p) if p.as_char() == ':');
    for (i, token) in tokens.iter().enumerate() {
        if let proc_macro2::TokenTree::Group(g) = token {
            collect_builder_paths(&g.stream(), out);
            continue;
        }
        // types :: builder :: X  is seven tokens (`::` is two puncts).
        if ident(token).as_deref() == Some("types")
            && tokens.get(i + 3).and_then(ident).as_deref() == Some("builder")
            && tokens.get(i + 1).is_some_and(colon)
            && tokens.get(i + 4).is_some_and(colon)
        {
            if let Some(name) = tokens.get(i + 6).and_then(ident) {
                out.push(name);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Splitting the output
// ---------------------------------------------------------------------------------------------

/// Moves the inline module `name` out of `file`: the declaration stays (`pub mod types;`, with
/// its attributes and docs), the items are returned as a file of their own.
pub fn split_module(file: &mut syn::File, name: &str) -> Result<syn::File, String> {
    let module = file
        .items
        .iter_mut()
        .find_map(|item| match item {
            Item::Mod(m) if m.ident == name => Some(m),
            _ => None,
        })
        .ok_or_else(|| format!("progenitor's output has no `mod {name}`"))?;
    let (_, items) = module.content.take().ok_or_else(|| format!("`mod {name}` is not inline"))?;
    module.semi = Some(Default::default());
    // rustfmt would otherwise format the moved file: prettyplease's style is kept as generated.
    module.attrs.push(syn::parse_quote!(#[rustfmt::skip]));
    Ok(syn::File { shebang: None, attrs: Vec::new(), items })
}

// ---------------------------------------------------------------------------------------------
// Generated noise
// ---------------------------------------------------------------------------------------------

/// Drops what progenitor emits that no caller uses: the `ignore`d usage example under every
/// `Client` method (the builder's setters say the same), and the `api-version` header built from
/// `info.version` on every request (the runtime removes it before sending).
/// Then makes every `send_raw` lean ([`lean_send`]).
pub fn drop_noise(file: &mut syn::File) -> Result<(), String> {
    let mut examples = 0;
    let mut headers = 0;
    for item in &mut file.items {
        match item {
            Item::Impl(imp) if last_ident(&imp.self_ty).as_deref() == Some("Client") && imp.trait_.is_none() => {
                for member in &mut imp.items {
                    let syn::ImplItem::Fn(f) = member else { continue };
                    for attr in &mut f.attrs {
                        let syn::Meta::NameValue(nv) = &mut attr.meta else { continue };
                        if !nv.path.is_ident("doc") {
                            continue;
                        }
                        let syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(doc), .. }) = &nv.value else { continue };
                        let text = doc.value();
                        if let Some(at) = text.find("```ignore") {
                            let kept = text[..at].trim_end().to_string();
                            nv.value = syn::parse_quote!(#kept);
                            examples += 1;
                        }
                    }
                }
            }
            Item::Mod(module) if module.ident == "builder" => {
                let Some((_, items)) = module.content.as_mut() else { continue };
                for item in items {
                    let Item::Impl(imp) = item else { continue };
                    for member in &mut imp.items {
                        let syn::ImplItem::Fn(f) = member else { continue };
                        if f.sig.ident != "send_raw" {
                            continue;
                        }
                        let before = f.block.stmts.len();
                        // Only progenitor's own header line: an `api-version` query parameter or an operation
                        // named `get_api_versions` also contains the words.
                        f.block.stmts.retain(|stmt| !quote!(#stmt).to_string().contains("Client :: api_version ()"));
                        headers += before - f.block.stmts.len();
                        // `request` is mutated by the `pre` hook; the lint allowance is noise.
                        for stmt in &mut f.block.stmts {
                            if let syn::Stmt::Local(local) = stmt {
                                local.attrs.retain(|a| !quote!(#a).to_string().contains("unused_mut"));
                            }
                        }
                        let builder = last_ident(&imp.self_ty).unwrap_or_default();
                        lean_send(f).map_err(|e| format!("builder {builder}: {e}"))?;
                    }
                }
            }
            _ => {}
        }
    }
    // progenitor changed shape if nothing matched: better to hear it than to ship the noise again.
    if headers == 0 && examples > 0 {
        return Err("no `api-version` header found in any `send_raw`: progenitor's output changed".to_string());
    }
    Ok(())
}

/// Makes one builder's `send_raw` lean (what a hand-written reqwest call does, and no more):
///
/// - the URL is written into one `String` (`push_str` of the template's pieces, path parameters
///   through the runtime's `push_path`, which encodes and refuses as `encode_path` did, without
///   the intermediate `to_string()` and `encode_path` strings), and its query appended in the same
///   string by the runtime's `Query` (progenitor's `QueryParam` serialisation, form-urlencoded as
///   reqwest's `.query()` does) instead of re-serialising the parsed URL once per parameter;
/// - an operation without header parameters builds no header map;
/// - a JSON success is decoded by the runtime's `decode` from the body the retry loop already
///   buffered, instead of progenitor's `from_response` reading it a second time.
///
/// A `send_raw` of another shape is an error: progenitor's output changed.
fn lean_send(f: &mut syn::ImplItemFn) -> Result<(), String> {
    let name = f.sig.ident.to_string();
    let headers_used = f.block.stmts.iter().any(|s| quote!(#s).to_string().contains("header_map . append"));
    let decodes = f.block.stmts.iter().any(|s| quote!(#s).to_string().contains("ResponseValue :: from_response"));
    let mut stmts = Vec::new();
    let mut url_var: Option<Ident> = None;
    let mut queries: Vec<syn::Expr> = Vec::new();
    for stmt in std::mem::take(&mut f.block.stmts) {
        if let syn::Stmt::Local(local) = &stmt {
            let pat = &local.pat;
            let pat = quote!(#pat).to_string();
            let init = local.init.as_ref().map(|i| &*i.expr);
            match (pat.as_str(), init) {
                // `url`, or another name when a parameter is called `url`.
                (var, Some(syn::Expr::Macro(m)))
                    if m.mac.path.is_ident("format") && quote!(#m).to_string().contains("client . baseurl") =>
                {
                    let var = format_ident!("{}", var.trim_start_matches("mut "));
                    // Written where progenitor formatted it: a refused path parameter is still
                    // reported before a header value that cannot be sent.
                    let (var, pieces) = url_statements(&var, &m.mac)?;
                    stmts.extend(pieces);
                    url_var = Some(var);
                    continue;
                }
                ("mut header_map", Some(_)) if !headers_used => continue,
                // Grown by the parameters actually given: none allocates nothing.
                ("mut header_map", Some(_)) => {
                    stmts.push(syn::parse_quote! { let mut header_map = ::reqwest::header::HeaderMap::new(); });
                    continue;
                }
                // The retry loop hands the JSON body it buffered to `decode` (below).
                ("info", Some(_)) if decodes => {
                    stmts.push(syn::parse_quote! { ::affiliate_runtime::__private::expect_json(); });
                }
                ("mut request", Some(init)) => {
                    let mut init = init.clone();
                    strip_chain(&mut init, &mut queries, !headers_used);
                    // Collected outermost first: the chain's order is the reverse.
                    queries.reverse();
                    let Some(url_var) = url_var.take() else {
                        return Err(format!("{name}: the request is built before its URL"));
                    };
                    if !queries.is_empty() {
                        let pushes = queries.iter().map(|q| quote! { .push(#q)? });
                        stmts.push(syn::parse_quote! {
                            ::affiliate_runtime::__private::Query::new(&mut #url_var) #(#pushes)* .finish();
                        });
                    }
                    stmts.push(syn::parse_quote! { let mut request = #init; });
                    continue;
                }
                _ => {}
            }
        }
        stmts.push(stmt);
    }
    if url_var.is_some() {
        return Err(format!("{name}: no request built from the URL"));
    }
    // `ResponseValue::from_response(response).await` -> the runtime's `decode(response).await`.
    struct Decode;
    impl VisitMut for Decode {
        fn visit_expr_mut(&mut self, expr: &mut syn::Expr) {
            if let syn::Expr::Call(call) = expr {
                let func = &call.func;
                if quote!(#func).to_string() == "ResponseValue :: from_response" {
                    call.func = syn::parse_quote!(::affiliate_runtime::__private::decode);
                    return;
                }
            }
            syn::visit_mut::visit_expr_mut(self, expr);
        }
    }
    for stmt in &mut stmts {
        Decode.visit_stmt_mut(stmt);
    }
    f.block.stmts = stmts;
    Ok(())
}

/// `format!("{}/a/{}", client.baseurl, encode_path(&x.to_string())?,)` -> statements writing the
/// same text into `let mut <url>: String` (progenitor's name for the variable).
fn url_statements(url: &Ident, mac: &syn::Macro) -> Result<(Ident, Vec<syn::Stmt>), String> {
    use syn::punctuated::Punctuated;
    let args = mac
        .parse_body_with(Punctuated::<syn::Expr, syn::Token![,]>::parse_terminated)
        .map_err(|e| format!("the URL's `format!`: {e}"))?;
    let mut args = args.into_iter();
    let Some(syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(template), .. })) = args.next() else {
        return Err("the URL's `format!` does not start with a string literal".to_string());
    };
    let template = template.value();
    if template.contains("{{") || template.contains("}}") {
        return Err(format!("the URL template `{template}` has escaped braces"));
    }
    let pieces: Vec<&str> = template.split("{}").collect();
    let args: Vec<syn::Expr> = args.collect();
    if pieces.len() != args.len() + 1 || pieces.first() != Some(&"") {
        return Err(format!("the URL template `{template}` does not fit its {} arguments", args.len()));
    }
    let fixed: usize = pieces.iter().map(|p| p.len()).sum();
    let mut stmts: Vec<syn::Stmt> = vec![syn::parse_quote! {
        let mut #url = ::std::string::String::with_capacity(client.baseurl.len() + #fixed + 64);
    }];
    for (arg, piece) in args.iter().zip(pieces.iter().skip(1)) {
        let shown = quote!(#arg).to_string();
        if shown == "client . baseurl" {
            stmts.push(syn::parse_quote! { #url.push_str(&client.baseurl); });
        } else {
            let value = path_value(arg)
                .ok_or_else(|| format!("the URL argument `{shown}` is not `encode_path(&x.to_string())?`"))?;
            stmts.push(syn::parse_quote! { ::affiliate_runtime::__private::push_path(&mut #url, &#value)?; });
        }
        if !piece.is_empty() {
            stmts.push(syn::parse_quote! { #url.push_str(#piece); });
        }
    }
    Ok((url.clone(), stmts))
}

/// `x` in `encode_path(&x.to_string())?`.
fn path_value(arg: &syn::Expr) -> Option<syn::Expr> {
    let syn::Expr::Try(tried) = arg else { return None };
    let syn::Expr::Call(call) = &*tried.expr else { return None };
    let func = &call.func;
    if quote!(#func).to_string() != "encode_path" || call.args.len() != 1 {
        return None;
    }
    let syn::Expr::Reference(reference) = &call.args[0] else { return None };
    let syn::Expr::MethodCall(to_string) = &*reference.expr else { return None };
    (to_string.method == "to_string" && to_string.args.is_empty()).then(|| (*to_string.receiver).clone())
}

/// Takes the `.query(q)` calls out of the request builder chain (into `queries`, in order) and,
/// with `drop_headers`, the `.headers(header_map)` call of an empty map.
fn strip_chain(expr: &mut syn::Expr, queries: &mut Vec<syn::Expr>, drop_headers: bool) {
    // The chain is nested inside out: `build()?` around `.headers(..)` around `.query(..)`...
    loop {
        let removed = match expr {
            syn::Expr::MethodCall(call)
                if call.args.len() == 1 && (call.method == "query" || (drop_headers && call.method == "headers")) =>
            {
                if call.method == "query" {
                    queries.push(call.args[0].clone());
                }
                (*call.receiver).clone()
            }
            _ => break,
        };
        *expr = removed;
    }
    match expr {
        syn::Expr::Try(tried) => strip_chain(&mut tried.expr, queries, drop_headers),
        syn::Expr::MethodCall(call) => strip_chain(&mut call.receiver, queries, drop_headers),
        _ => {}
    }
}
