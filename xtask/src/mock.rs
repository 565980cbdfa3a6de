//! From one spec and its generated client to the files of `crates/affiliate-<name>-mock/`: a typed
//! wiremock expectation per operation (method, path, query and body matchers typed like the client's
//! setters) with typed answers (the client's success type, each documented error status answered
//! with the spec's own example, in the vendor's real shape), one-call example answers, and a paged
//! answer per `x-affiliate-pagination`. The mechanism is in the hand-written `affiliate-mock` crate.

use std::collections::BTreeMap;
use std::path::PathBuf;

use heck::{ToSnakeCase, ToUpperCamelCase};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use serde_json::Value;
use syn::{Fields, GenericArgument, Item, PathArguments, Type};

use crate::normalise::{Api, Pagination, Scheme, VariantBody};
use crate::postprocess::{last_ident, qualify, unwrap_option, vec_item, Builder, Types};

/// One documented answer of an operation, from the spec before normalisation.
struct Answer {
    status: u16,
    media_type: Option<String>,
    /// The example body as text (JSON re-serialised; other media types verbatim).
    example: Option<String>,
}

/// Mock crate files (`Cargo.toml`, `src/lib.rs`, `src/generated.rs`) for one API.
pub fn generate(
    api: &Api,
    original: &Value,
    builders: &BTreeMap<String, Builder>,
    file: &syn::File,
    types: &Types,
    client_crate: &str,
    source: &str,
) -> Result<Vec<(PathBuf, String)>, String> {
    let header = crate::generate::HEADER;
    let fields = builder_fields(file);
    let client_ident = format_ident!("{}", client_crate.replace('-', "_"));
    let mut items = TokenStream::new();
    let mut mounts = Vec::new();
    let mut typed_mounts = Vec::new();
    // Literal paths first, so `/partners/links` wins over `/partners/{id}` when every example is mounted.
    let mut ops: Vec<_> = api.operations.iter().collect();
    ops.sort_by_key(|op| (op.path.matches('{').count(), op.path.clone()));
    for op in ops {
        let key = op.id.to_snake_case();
        let builder = builders.get(&key).ok_or_else(|| format!("operation {}: no builder", op.id))?;
        let answers = answers(original, &op.path, &op.method);
        // The client's own names: progenitor escapes keywords (`type_`, `Self_`).
        let struct_name = builder.name.clone();
        let fn_name = builder.method.clone();
        let method = op.method.to_uppercase();
        let path = &op.path;
        let params = operation_params(original, &op.path, &op.method);
        let mut methods = TokenStream::new();
        let mut used: Vec<String> = RESERVED.iter().map(|s| s.to_string()).collect();
        let mut claim = |name: &str| -> Result<(), String> {
            if used.iter().any(|u| u == name) {
                return Err(format!("operation {}: mock method `{name}` would be defined twice", op.id));
            }
            used.push(name.to_string());
            Ok(())
        };

        for (field, ty) in fields.get(&builder.name.to_string()).into_iter().flatten() {
            let ident = format_ident!("{}", field);
            if field == "body" {
                let Some(body) = body_type(ty) else { continue };
                claim("body")?;
                methods.extend(quote! {
                    /// Matches requests whose JSON body holds every field `value` sets (fields it leaves out are not checked).
                    pub fn body(self, value: #body) -> Self {
                        Self(self.0.and(::wiremock::matchers::body_partial_json(value)))
                    }
                });
                continue;
            }
            let Some((wire, location)) = params.iter().find(|(wire, _)| param_field(wire) == *field) else { continue };
            let inner = result_ok(ty).map(|t| unwrap_option(&t).unwrap_or(t));
            let Some(inner) = inner else { continue };
            if vec_item(&inner).is_some() {
                continue; // Arrays: match them with `matching` (their wire form varies by style).
            }
            let (arg, value) = match last_ident(&inner).as_deref() {
                Some("String") => (quote! { impl ::std::convert::AsRef<str> }, quote! { value.as_ref().to_string() }),
                Some("NonZeroU64" | "NonZeroU32" | "u64" | "u32" | "u16" | "u8" | "usize") => {
                    (quote! { u64 }, quote! { value.to_string() })
                }
                Some("i64" | "i32" | "i16" | "i8" | "isize") => (quote! { i64 }, quote! { value.to_string() }),
                // A type from a crate the mock does not depend on (uuid, chrono): any value that
                // serialises the same way.
                _ if foreign(&inner) => {
                    (quote! { impl ::affiliate_mock::serde::Serialize }, quote! { ::affiliate_mock::wire(&value) })
                }
                _ => {
                    let q = qualify(&inner);
                    (quote! { #q }, quote! { ::affiliate_mock::wire(&value) })
                }
            };
            claim(field)?;
            let doc = format!("Matches requests whose `{wire}` {location} parameter is `value`.");
            let body = match location.as_str() {
                "path" => quote! {
                    let regex = ::affiliate_mock::path_regex(#path, &[(#wire, #value)]);
                    Self(self.0.and(::wiremock::matchers::path_regex(regex)))
                },
                "header" => quote! { Self(self.0.and(::wiremock::matchers::header(#wire, #value.as_str()))) },
                _ => quote! { Self(self.0.and(::wiremock::matchers::query_param(#wire, #value))) },
            };
            methods.extend(quote! {
                #[doc = #doc]
                pub fn #ident(self, value: #arg) -> Self { #body }
            });
        }

        // Typed success answers.
        let success_answers: Vec<(u16, TokenStream, bool)> = if op.success_variants.is_empty() {
            let status = answers.iter().find(|a| (200..300).contains(&a.status));
            let status_code = status.map_or(200, |a| a.status);
            let success = &builder.success;
            let kind = last_ident(success);
            let answer = match kind.as_deref() {
                Some("ByteStream") => {
                    let media =
                        status.and_then(|a| a.media_type.clone()).unwrap_or_else(|| "application/octet-stream".into());
                    (raw_answer(status_code, &media), false)
                }
                _ if success.to_token_stream_string() == "()" => (empty_answer(status_code), false),
                _ => (json_answer(status_code, &qualify(success)), true),
            };
            vec![(status_code, answer.0, answer.1)]
        } else {
            op.success_variants
                .iter()
                .map(|v| {
                    let (answer, json) = match &v.body {
                        VariantBody::Empty => (empty_answer(v.status), false),
                        VariantBody::Raw => {
                            let media = answers
                                .iter()
                                .find(|a| a.status == v.status)
                                .and_then(|a| a.media_type.clone())
                                .unwrap_or_else(|| "application/octet-stream".into());
                            (raw_answer(v.status, &media), false)
                        }
                        VariantBody::Json(component) => {
                            let ty: Type = syn::parse_str(&format!("types::{}", component.to_upper_camel_case()))
                                .map_err(|e| e.to_string())?;
                            (json_answer(v.status, &ty), true)
                        }
                    };
                    Ok((v.status, answer, json))
                })
                .collect::<Result<_, String>>()?
        };
        let json_statuses: Vec<u16> = success_answers.iter().filter(|(_, _, json)| *json).map(|(s, _, _)| *s).collect();
        for (status, answer, _) in success_answers {
            claim(&status_name(status))?;
            methods.extend(answer);
        }

        // Example answers: the first success example, and every documented error by status.
        let first =
            answers.iter().find(|a| (200..300).contains(&a.status) && (a.example.is_some() || a.media_type.is_none()));
        // A spec without a success example (the generator's small fixtures) gets no example answer.
        if let Some(first) = first {
            let status = first.status;
            let text = first.example.clone().unwrap_or_default();
            let example = match &first.media_type {
                Some(media) => quote! { ::affiliate_mock::raw(#status, #media, #text) },
                None => quote! { ::wiremock::ResponseTemplate::new(#status) },
            };
            methods.extend(quote! {
                /// Answers with the spec's own success example.
                pub fn example(self) -> ::wiremock::Mock {
                    self.respond_with(#example)
                }
            });
            mounts.push(quote! { #fn_name().example() });
            typed_mounts.push(if json_statuses.contains(&status) && first.example.is_some() {
                let answer = format_ident!("{}", status_name(status));
                quote! { #fn_name().#answer(&::serde_json::from_str(#text)?) }
            } else {
                quote! { #fn_name().example() }
            });
        }
        for error in answers.iter().filter(|a| a.status >= 400) {
            let name = status_name(error.status);
            claim(&name)?;
            let ident = format_ident!("{}", name);
            let status = error.status;
            let (doc, answer) = match (&error.example, &error.media_type) {
                (Some(text), Some(media)) => (
                    format!("Answers `{status}` with the spec's example error body (the vendor's shape)."),
                    quote! { ::affiliate_mock::raw(#status, #media, #text) },
                ),
                _ => (
                    format!("Answers `{status}` with no body (the spec documents no example for it)."),
                    quote! { ::wiremock::ResponseTemplate::new(#status) },
                ),
            };
            methods.extend(quote! {
                #[doc = #doc]
                pub fn #ident(self) -> ::wiremock::Mock {
                    self.respond_with(#answer)
                }
            });
        }

        if let Some(pagination) = &op.pagination {
            // The rest of each page is the spec's example when there is one (objects are created
            // along the pointers otherwise).
            let status = answers.iter().find(|a| (200..300).contains(&a.status)).map_or(200, |a| a.status);
            let text = first.and_then(|f| f.example.clone()).unwrap_or_else(|| "null".into());
            let page = &builder.success;
            let (paging, items_at) = match pagination {
                Pagination::Page { page, first, items, .. } => {
                    (quote! { ::affiliate_mock::Paging::Page { param: #page, first: #first } }, items)
                }
                Pagination::Offset { offset, count, next, items, .. } => {
                    let count = opt(count);
                    let next = opt(next);
                    (quote! { ::affiliate_mock::Paging::Offset { param: #offset, count: #count, next: #next } }, items)
                }
                Pagination::Cursor { cursor, next_cursor, items, .. } => {
                    (quote! { ::affiliate_mock::Paging::Cursor { param: #cursor, next_cursor: #next_cursor } }, items)
                }
            };
            let leaf = types.access(page, items_at).map_err(|e| format!("operation {}: {e}", op.id))?.leaf;
            let item = vec_item(&leaf).ok_or_else(|| format!("operation {}: items are not an array", op.id))?;
            let item = qualify(&item);
            methods.extend(quote! {
                /// Serves `items` over pages of `page_size` the way the spec pages this operation
                /// (the request's paging parameter picks the page; the rest of the page is the spec's example).
                pub fn pages(self, items: &[#item], page_size: usize) -> ::wiremock::Mock {
                    let items = items.iter().map(|item| ::serde_json::to_value(item).unwrap_or_default()).collect();
                    self.respond_with(::affiliate_mock::Paged {
                        paging: #paging,
                        status: #status,
                        envelope: ::affiliate_mock::example_json(#text),
                        items_at: #items_at,
                        items,
                        size: page_size,
                    })
                }
            });
        }

        let doc = format!("`{method} {path}` ({}): start an expectation, narrow it, then answer.", op.id);
        let struct_doc = format!("An expectation on `{method} {path}`; every matcher narrows it.");
        items.extend(quote! {
            #[doc = #doc]
            pub fn #fn_name() -> #struct_name {
                #struct_name(
                    ::wiremock::Mock::given(::wiremock::matchers::method(#method))
                        .and(::wiremock::matchers::path_regex(::affiliate_mock::path_regex(#path, &[]))),
                )
            }

            #[doc = #struct_doc]
            pub struct #struct_name(::wiremock::MockBuilder);

            impl #struct_name {
                #methods

                /// Also requires `matcher` (anything the typed matchers do not cover).
                pub fn matching(self, matcher: impl ::wiremock::Match + 'static) -> Self {
                    Self(self.0.and(matcher))
                }

                /// Answers with anything (an undocumented status, a malformed body).
                pub fn respond_with(self, answer: impl ::wiremock::Respond + 'static) -> ::wiremock::Mock {
                    self.0.respond_with(answer)
                }
            }
        });
    }

    let credentials = api.security.iter().map(|scheme| match scheme {
        Scheme::Bearer { .. } => quote! { let builder = builder.bearer_token("mock-token"); },
        Scheme::Basic { .. } => quote! { let builder = builder.basic_auth("mock-user", "mock-password"); },
        Scheme::ApiKeyHeader { header, .. } => quote! { let builder = builder.api_key(#header, "mock-key"); },
        Scheme::ApiKeyQuery { param, .. } => quote! { let builder = builder.api_key(#param, "mock-key"); },
    });
    let operation_names = api.operations.iter().map(|op| op.id.to_snake_case());
    // A spec without examples mounts nothing; the parameter must not be an unused variable then.
    let server = |mounts: &[TokenStream]| format_ident!("{}server", if mounts.is_empty() { "_" } else { "" });
    let (server, typed_server) = (server(&mounts), server(&typed_mounts));
    let tokens = quote! {
        use #client_ident::types;

        /// Every operation answered from the spec's examples: mounts one example answer per operation.
        pub async fn mount_examples(#server: &::wiremock::MockServer) {
            #( #mounts.mount(#server).await; )*
        }

        /// Like [`mount_examples`], but each JSON success example goes through the client's type first
        /// and is answered from the typed value (an example that does not fit its type is an error).
        pub async fn mount_typed_examples(#typed_server: &::wiremock::MockServer) -> ::std::result::Result<(), ::serde_json::Error> {
            #( #typed_mounts.mount(#typed_server).await; )*
            Ok(())
        }

        /// The snake-case name of every operation, in spec order.
        pub const OPERATIONS: &[&str] = &[#(#operation_names),*];

        /// A client for `server` with placeholder credentials (the mock does not check them).
        pub fn client(server: &::wiremock::MockServer) -> ::affiliate_runtime::Result<#client_ident::Client> {
            client_at(&server.uri())
        }

        /// A client for the mock at `base_url` with placeholder credentials.
        pub fn client_at(base_url: &str) -> ::affiliate_runtime::Result<#client_ident::Client> {
            let builder = #client_ident::Client::builder().base_url(base_url);
            #(#credentials)*
            builder.build()
        }

        #items
    };
    let ast: syn::File = syn::parse2(tokens).map_err(|e| format!("mock glue: {e}"))?;
    let mock_crate = format!("{client_crate}-mock");
    let dir = PathBuf::from("crates").join(&mock_crate);
    let file_header = format!("// {header} {source}. Do not edit.\n\n");
    let lib = format!(
        "{file_header}//! Typed mock server for `{client_crate}`, generated from `{source}`: add it as a\n\
         //! dev-dependency, start a [`MockServer`], mount expectations built per operation and point\n\
         //! the client at it with [`client`].\n\
         //!\n\
         //! ```ignore\n\
         //! let server = MockServer::start().await;\n\
         //! {krate}_mock::some_operation().example().expect(1).mount(&server).await;\n\
         //! let client = {krate}_mock::client(&server)?;\n\
         //! ```\n\n\
         #[rustfmt::skip]\n\
         #[allow(clippy::all, unused_imports)]\n\
         mod generated;\n\n\
         pub use affiliate_mock::{{Mock, MockServer, ResponseTemplate}};\n\
         pub use generated::*;\n",
        krate = client_crate.replace('-', "_"),
    );
    let manifest = format!(
        "# {header} {source}. Do not edit.\n\n\
         [package]\n\
         name = \"{mock_crate}\"\n\
         version = \"0.1.0\"\n\
         description = \"Typed mock server for {client_crate}, for service tests\"\n\
         edition.workspace = true\n\
         license.workspace = true\n\
         rust-version.workspace = true\n\
         publish = false\n\n\
         [lib]\n\
         doctest = false\n\n\
         [dependencies]\n\
         {client_crate} = {{ path = \"../{client_crate}\" }}\n\
         affiliate-mock = {{ workspace = true }}\n\
         affiliate-runtime = {{ workspace = true }}\n\
         serde_json = {{ workspace = true }}\n\
         wiremock = {{ workspace = true }}\n"
    );
    Ok(vec![
        (dir.join("Cargo.toml"), manifest),
        (dir.join("src/lib.rs"), lib),
        (dir.join("src/generated.rs"), format!("{file_header}{}", prettyplease::unparse(&ast))),
    ])
}

/// Names the expectation type uses itself; a parameter or answer with one of these is an error.
const RESERVED: &[&str] = &["matching", "respond_with", "example", "pages"];

pub(crate) fn foreign(ty: &Type) -> bool {
    let Type::Path(p) = ty else { return false };
    p.path.leading_colon.is_some() && p.path.segments.first().is_some_and(|s| s.ident != "std")
}

fn opt(value: &Option<String>) -> TokenStream {
    match value {
        Some(v) => quote! { ::std::option::Option::Some(#v) },
        None => quote! { ::std::option::Option::None },
    }
}

trait TokensText {
    fn to_token_stream_string(&self) -> String;
}

impl TokensText for Type {
    fn to_token_stream_string(&self) -> String {
        quote!(#self).to_string().replace(' ', "")
    }
}

fn status_name(status: u16) -> String {
    match status {
        200 => "ok",
        201 => "created",
        202 => "accepted",
        204 => "no_content",
        400 => "bad_request",
        401 => "unauthorized",
        402 => "payment_required",
        403 => "forbidden",
        404 => "not_found",
        405 => "method_not_allowed",
        409 => "conflict",
        410 => "gone",
        413 => "payload_too_large",
        415 => "unsupported_media_type",
        422 => "unprocessable_entity",
        429 => "too_many_requests",
        500 => "internal_server_error",
        502 => "bad_gateway",
        503 => "service_unavailable",
        504 => "gateway_timeout",
        _ => return format!("status_{status}"),
    }
    .to_string()
}

fn json_answer(status: u16, ty: &Type) -> TokenStream {
    let ident = format_ident!("{}", status_name(status));
    let doc = format!("Answers `{status}` with `value` as the client decodes it.");
    quote! {
        #[doc = #doc]
        pub fn #ident(self, value: &#ty) -> ::wiremock::Mock {
            self.respond_with(::affiliate_mock::json(#status, value))
        }
    }
}

fn raw_answer(status: u16, media: &str) -> TokenStream {
    let ident = format_ident!("{}", status_name(status));
    let doc = format!("Answers `{status}` with `body` as `{media}`.");
    quote! {
        #[doc = #doc]
        pub fn #ident(self, body: impl ::std::convert::Into<::std::vec::Vec<u8>>) -> ::wiremock::Mock {
            self.respond_with(::affiliate_mock::raw(#status, #media, body))
        }
    }
}

fn empty_answer(status: u16) -> TokenStream {
    let ident = format_ident!("{}", status_name(status));
    let doc = format!("Answers `{status}` with no body.");
    quote! {
        #[doc = #doc]
        pub fn #ident(self) -> ::wiremock::Mock {
            self.respond_with(::wiremock::ResponseTemplate::new(#status))
        }
    }
}

/// The field name progenitor gives a parameter (snake case of the wire name, brackets and dots as `_`).
pub(crate) fn param_field(wire: &str) -> String {
    let cleaned: String = wire.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect();
    cleaned.to_snake_case()
}

/// Builder struct fields (name, type) by builder name, from the generated client's `mod builder`.
pub(crate) fn builder_fields(file: &syn::File) -> BTreeMap<String, Vec<(String, Type)>> {
    let mut out = BTreeMap::new();
    for item in &file.items {
        let Item::Mod(module) = item else { continue };
        if module.ident != "builder" {
            continue;
        }
        let Some((_, items)) = &module.content else { continue };
        for item in items {
            let Item::Struct(s) = item else { continue };
            let Fields::Named(named) = &s.fields else { continue };
            let fields = named
                .named
                .iter()
                .filter_map(|f| Some((f.ident.as_ref()?.to_string(), f.ty.clone())))
                .filter(|(name, _)| name != "client" && name != "options")
                .collect();
            out.insert(s.ident.to_string(), fields);
        }
    }
    out
}

/// `T` of `Result<T, String>`.
pub(crate) fn result_ok(ty: &Type) -> Option<Type> {
    let Type::Path(p) = ty else { return None };
    let seg = p.path.segments.last()?;
    if seg.ident != "Result" {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &seg.arguments else { return None };
    match args.args.first()? {
        GenericArgument::Type(t) => Some(t.clone()),
        _ => None,
    }
}

/// `types::X` for a body field typed `Result<types::builder::X, String>` (JSON bodies only).
pub(crate) fn body_type(ty: &Type) -> Option<Type> {
    let inner = result_ok(ty)?;
    let Type::Path(p) = &inner else { return None };
    let names: Vec<String> = p.path.segments.iter().map(|s| s.ident.to_string()).collect();
    match names.as_slice() {
        [types, builder, name] if types == "types" && builder == "builder" => {
            syn::parse_str(&format!("types::{name}")).ok()
        }
        _ => None,
    }
}

pub(crate) fn resolve<'a>(doc: &'a Value, mut value: &'a Value) -> &'a Value {
    for _ in 0..8 {
        let Some(reference) = value.get("$ref").and_then(Value::as_str) else { break };
        match doc.pointer(reference.trim_start_matches('#')) {
            Some(target) => value = target,
            None => break,
        }
    }
    value
}

pub(crate) fn operation<'a>(doc: &'a Value, path: &str, method: &str) -> Option<(&'a Value, &'a Value)> {
    let item = doc.get("paths")?.get(path)?;
    Some((item, item.get(method)?))
}

/// (wire name, location) of every parameter of the operation (path-level ones included).
pub(crate) fn operation_params(doc: &Value, path: &str, method: &str) -> Vec<(String, String)> {
    let Some((item, op)) = operation(doc, path, method) else { return Vec::new() };
    let mut out = Vec::new();
    for list in [item.get("parameters"), op.get("parameters")].into_iter().flatten() {
        for p in list.as_array().into_iter().flatten() {
            let p = resolve(doc, p);
            if let (Some(name), Some(location)) =
                (p.get("name").and_then(Value::as_str), p.get("in").and_then(Value::as_str))
            {
                out.push((name.to_string(), location.to_string()));
            }
        }
    }
    out
}

/// Every numbered response of the operation with its first media type and example.
fn answers(doc: &Value, path: &str, method: &str) -> Vec<Answer> {
    let Some((_, op)) = operation(doc, path, method) else { return Vec::new() };
    let mut out = Vec::new();
    for (status, response) in op.get("responses").and_then(Value::as_object).into_iter().flatten() {
        let Ok(status) = status.parse::<u16>() else { continue };
        let response = resolve(doc, response);
        let content = response.get("content").and_then(Value::as_object);
        let Some((media, body)) = content.and_then(|c| c.iter().next()) else {
            out.push(Answer { status, media_type: None, example: None });
            continue;
        };
        let example = body.get("example").cloned().or_else(|| {
            let first = body.get("examples")?.as_object()?.values().next()?;
            resolve(doc, first).get("value").cloned()
        });
        let example = example.map(|e| match e {
            Value::String(text) if !media.contains("json") => text,
            other => other.to_string(),
        });
        out.push(Answer { status, media_type: Some(media.clone()), example });
    }
    out.sort_by_key(|a| a.status);
    out
}
