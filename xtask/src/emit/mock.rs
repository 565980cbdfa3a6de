//! From one spec and its generated client to the files of `crates/affiliate-<name>-mock/`: a typed
//! wiremock expectation per operation (method, path, query and body matchers typed like the client's
//! setters) with typed answers (the client's success type, each documented error status answered
//! with the spec's own example, in the vendor's real shape), one-call example answers, and a paged
//! answer per `x-affiliate-pagination`. The mechanism is in the hand-written `affiliate-mock` crate.

use std::path::PathBuf;

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::Type;

use crate::model::{Pagination, Scheme, VariantBody};
use crate::naming;
use crate::read::{Location, Surface};
use crate::rewrite::{foreign, last_ident, qualify, unwrap_option, vec_item};

/// Mock crate files (`Cargo.toml`, `src/lib.rs`, `src/generated.rs`) for one API.
pub fn generate(surface: &Surface) -> Result<Vec<(PathBuf, String)>, String> {
    let header = crate::emit::header::HEADER;
    let (api, types, client_crate, source) = (&surface.api, &surface.types, &surface.client_crate, &surface.source);
    let client_ident = format_ident!("{}", client_crate.replace('-', "_"));
    let mut items = TokenStream::new();
    let mut mounts = Vec::new();
    let mut typed_mounts = Vec::new();
    // Literal paths first, so `/partners/links` wins over `/partners/{id}` when every example is mounted.
    let mut ops: Vec<_> = surface.operations.iter().collect();
    ops.sort_by_key(|op| (op.spec.path.matches('{').count(), op.spec.path.clone()));
    for surface_op in ops {
        let op = &surface_op.spec;
        let answers = &surface_op.answers;
        let struct_name = &surface_op.builder;
        let fn_name = &surface_op.method;
        let method = op.method.to_uppercase();
        let path = &op.path;
        let mut methods = TokenStream::new();
        // The expectation's own methods and its answers keep their names; a parameter matcher
        // that would collide with one gets a suffix (`ok_2`), deterministically.
        let mut names = naming::Unique::reserving(RESERVED);
        let success_statuses: Vec<u16> = if op.success_variants.is_empty() {
            vec![answers.iter().find(|a| (200..300).contains(&a.status)).map_or(200, |a| a.status)]
        } else {
            op.success_variants.iter().map(|v| v.status).collect()
        };
        for status in success_statuses.iter().chain(answers.iter().filter(|a| a.status >= 400).map(|a| &a.status)) {
            names.claim(&status_name(*status));
        }

        for param in &surface_op.params {
            let inner = unwrap_option(&param.value).unwrap_or_else(|| param.value.clone());
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
            let ident = format_ident!("{}", names.claim(&param.field.to_string()));
            let wire = &param.wire;
            let doc = format!("Matches requests whose `{wire}` {} parameter is `value`.", param.location.as_str());
            let body = match param.location {
                Location::Path => quote! {
                    let regex = ::affiliate_mock::path_regex(#path, &[(#wire, #value)]);
                    Self(self.0.and(::wiremock::matchers::path_regex(regex)))
                },
                Location::Header => quote! { Self(self.0.and(::wiremock::matchers::header(#wire, #value.as_str()))) },
                Location::Query => quote! { Self(self.0.and(::wiremock::matchers::query_param(#wire, #value))) },
            };
            methods.extend(quote! {
                #[doc = #doc]
                pub fn #ident(self, value: #arg) -> Self { #body }
            });
        }

        if let Some(body) = &surface_op.json_body {
            let ident = format_ident!("{}", names.claim("body"));
            methods.extend(quote! {
                /// Matches requests whose JSON body holds every field `value` sets (fields it leaves out are not checked).
                pub fn #ident(self, value: #body) -> Self {
                    Self(self.0.and(::wiremock::matchers::body_partial_json(value)))
                }
            });
        }

        // Typed success answers.
        let success_answers: Vec<(u16, TokenStream, bool)> = if op.success_variants.is_empty() {
            let status = answers.iter().find(|a| (200..300).contains(&a.status));
            let status_code = status.map_or(200, |a| a.status);
            let success = &surface_op.success;
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
                            let ty: Type = syn::parse_str(&format!("types::{}", naming::type_name(component)))
                                .map_err(|e| e.to_string())?;
                            (json_answer(v.status, &ty), true)
                        }
                    };
                    Ok((v.status, answer, json))
                })
                .collect::<Result<_, String>>()?
        };
        let json_statuses: Vec<u16> = success_answers.iter().filter(|(_, _, json)| *json).map(|(s, _, _)| *s).collect();
        for (_, answer, _) in success_answers {
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
            let ident = format_ident!("{}", status_name(error.status));
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
            let page = &surface_op.success;
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

    // The first alternative's credentials: the one the client then sends.
    let first: Vec<&String> = api.requirements.first().map(|names| names.iter().collect()).unwrap_or_default();
    let credentials =
        api.security.iter().filter(|s| first.is_empty() || first.iter().any(|n| *n == s.name())).map(|scheme| {
            match scheme {
                Scheme::Bearer { .. } | Scheme::OAuth2 { .. } => {
                    quote! { let builder = builder.bearer_token("mock-token"); }
                }
                Scheme::ApiKeyCookie { cookie, .. } => quote! { let builder = builder.api_key(#cookie, "mock-key"); },
                Scheme::Basic { .. } => quote! { let builder = builder.basic_auth("mock-user", "mock-password"); },
                Scheme::ApiKeyHeader { header, .. } => quote! { let builder = builder.api_key(#header, "mock-key"); },
                Scheme::ApiKeyQuery { param, .. } => quote! { let builder = builder.api_key(#param, "mock-key"); },
            }
        });
    let operation_names = surface.operations.iter().map(|op| op.method.to_string());
    // A spec without examples mounts nothing; the parameter must not be an unused variable then.
    let server = |mounts: &[TokenStream]| format_ident!("{}server", if mounts.is_empty() { "_" } else { "" });
    let (server, typed_server) = (server(&mounts), server(&typed_mounts));
    let webhooks = crate::emit::webhooks::mock_module(surface)?;
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

        #webhooks
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
    let package = super::packaging::package_fields(
        surface,
        &format!("Typed mock server for {client_crate}, for service tests"),
        &["mock", "wiremock", "testing"],
        &["development-tools::testing", "api-bindings"],
    );
    let version = &surface.api.crate_version;
    let manifest = format!(
        "# {header} {source}. Do not edit.\n\n\
         [package]\n\
         name = \"{mock_crate}\"\n\
         {package}\n\
         [lib]\n\
         doctest = false\n\n\
         [dependencies]\n\
         {client_crate} = {{ path = \"../{client_crate}\", version = \"{version}\" }}\n\
         affiliate-mock = {{ workspace = true }}\n\
         affiliate-runtime = {{ workspace = true }}\n\
         serde_json = {{ workspace = true }}\n\
         wiremock = {{ workspace = true }}\n"
    );
    let readme = super::packaging::mock_readme(surface, &mock_crate);
    Ok(vec![
        (dir.join("Cargo.toml"), manifest),
        (dir.join("README.md"), readme),
        (dir.join("src/lib.rs"), lib),
        (dir.join("src/generated.rs"), format!("{file_header}{}", prettyplease::unparse(&ast))),
    ])
}

/// Names the expectation type uses itself; a parameter or answer with one of these is an error.
const RESERVED: &[&str] = &["matching", "respond_with", "example", "pages"];

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
