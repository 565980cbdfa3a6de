//! The code this workspace adds to progenitor's output, written with `quote`: the API descriptor
//! (auth, idempotency), constructors, the `ClientHooks` impl, unified-error `send`, and pagination.
//!
//! Everything vendor-specific arrives through [`Api`]; the runtime does the work.

use std::collections::BTreeMap;

use heck::ToSnakeCase;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::normalise::{Api, BodyErrorRule, Pagination, Scheme};
use crate::postprocess::{vec_item, Builder, Types};

/// Items for the crate root (next to `Client`).
pub fn root(api: &Api, crate_name: &str) -> TokenStream {
    let name = &api.name;
    let title = &api.title;
    let base_url = &api.base_url;
    let schemes = api.security.iter().map(|s| match s {
        Scheme::Bearer { name, env } => quote! {
            ::affiliate_runtime::SecurityScheme::Bearer { name: #name, env: #env }
        },
        Scheme::Basic { name, env_username, env_password } => quote! {
            ::affiliate_runtime::SecurityScheme::Basic {
                name: #name, env_username: #env_username, env_password: #env_password,
            }
        },
        Scheme::ApiKeyHeader { name, header, env } => quote! {
            ::affiliate_runtime::SecurityScheme::ApiKey { name: #name, header: #header, env: #env }
        },
    });
    let body_errors = api.body_errors.iter().map(|rule| match rule {
        BodyErrorRule::Present(pointer) => quote! { ::affiliate_runtime::BodyErrorRule::Present(#pointer) },
        BodyErrorRule::Equals(pointer, literal) => {
            quote! { ::affiliate_runtime::BodyErrorRule::Equals(#pointer, #literal) }
        }
    });
    let snake = |ids: Vec<&String>| ids.into_iter().map(|id| id.to_snake_case()).collect::<Vec<_>>();
    let idempotent = snake(api.operations.iter().filter(|o| o.idempotent).map(|o| &o.id).collect());
    let anonymous = snake(api.operations.iter().filter(|o| o.anonymous).map(|o| &o.id).collect());
    let env_doc = api
        .security
        .iter()
        .flat_map(|s| match s {
            Scheme::Bearer { env, .. } | Scheme::ApiKeyHeader { env, .. } => vec![env.clone()],
            Scheme::Basic { env_username, env_password, .. } => vec![env_username.clone(), env_password.clone()],
        })
        .map(|e| format!("`{e}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let from_env_doc = if env_doc.is_empty() {
        "Builds a client with the default settings.".to_string()
    } else {
        format!("Builds a client with credentials from {env_doc}; a missing one is an error here, not a 401 later.")
    };
    quote! {
        /// The production base URL (`servers[0]` of the spec); override it with
        /// [`ClientBuilder::base_url`](::affiliate_runtime::ClientBuilder::base_url).
        pub const DEFAULT_BASE_URL: &str = #base_url;

        /// What the runtime needs to know about this API: where it lives, how it authenticates,
        /// which operations may be retried.
        pub static API: ::affiliate_runtime::ApiDescriptor = ::affiliate_runtime::ApiDescriptor {
            name: #name,
            title: #title,
            crate_name: #crate_name,
            crate_version: env!("CARGO_PKG_VERSION"),
            default_base_url: DEFAULT_BASE_URL,
            security: &[#(#schemes),*],
            idempotent_operations: &[#(#idempotent),*],
            anonymous_operations: &[#(#anonymous),*],
            body_errors: &[#(#body_errors),*],
        };

        impl ::affiliate_runtime::FromParts for Client {
            fn from_parts(base_url: &str, http: reqwest::Client, runtime: ::affiliate_runtime::Runtime) -> Self {
                Self::new_with_client(base_url, http, runtime)
            }
        }

        impl Client {
            /// Starts configuring a client: credentials, base URL, retries, timeouts, headers.
            pub fn builder() -> ::affiliate_runtime::ClientBuilder<Self> {
                ::affiliate_runtime::ClientBuilder::new(&API)
            }

            #[doc = #from_env_doc]
            pub fn from_env() -> ::affiliate_runtime::Result<Self> {
                Self::builder().build()
            }

            /// Settings shared by every request of this client (retry policy, rate-limit state).
            pub fn runtime(&self) -> &::affiliate_runtime::Runtime {
                &self.inner
            }
        }

        impl ClientHooks<::affiliate_runtime::Runtime> for Client {
            async fn pre<E>(
                &self,
                request: &mut reqwest::Request,
                info: &OperationInfo,
            ) -> ::std::result::Result<(), Error<E>> {
                self.inner.prepare(request, info.operation_id).map_err(Error::Custom)
            }

            async fn exec(
                &self,
                request: reqwest::Request,
                info: &OperationInfo,
            ) -> reqwest::Result<reqwest::Response> {
                self.inner.execute(&self.client, request, info.operation_id).await
            }
        }
    }
}

/// Items for `mod builder`: a `send` with the runtime's error per builder, and pagination streams.
pub fn builders(api: &Api, builders: &BTreeMap<String, Builder>, types: &Types) -> Result<TokenStream, String> {
    let mut out = TokenStream::new();
    for op in &api.operations {
        let key = op.id.to_snake_case();
        let builder =
            builders.get(&key).ok_or_else(|| format!("operation {}: progenitor generated no builder", op.id))?;
        let name = &builder.name;
        let success = &builder.success;
        let doc = format!(
            "Sends the `{} {}` request; retries per the client's policy; any failure is an \
             [`affiliate_runtime::Error`].",
            op.method.to_uppercase(),
            op.path
        );
        out.extend(quote! {
            impl<'a> #name<'a> {
                #[doc = #doc]
                pub async fn send(self) -> ::affiliate_runtime::Result<ResponseValue<#success>> {
                    ::affiliate_runtime::send(self.send_raw()).await
                }
            }
        });
        if let Some(pagination) = &op.pagination {
            out.extend(paginate(name, success, pagination, types).map_err(|e| format!("operation {}: {e}", op.id))?);
        }
    }
    Ok(out)
}

fn paginate(
    name: &syn::Ident,
    page: &syn::Type,
    pagination: &Pagination,
    types: &Types,
) -> Result<TokenStream, String> {
    let items_at = match pagination {
        Pagination::Page { items, .. } | Pagination::Offset { items, .. } | Pagination::Cursor { items, .. } => items,
    };
    let items = types.access(page, items_at)?;
    let item = vec_item(&items.leaf).ok_or_else(|| format!("`{items_at}` is not an array"))?;
    let items_ref = &items.by_ref;
    let items_value = &items.by_value;
    let setter = |wire: &str| format_ident!("{}", wire.to_snake_case());
    let optional_access = |at: &Option<String>| -> Result<Option<TokenStream>, String> {
        at.as_ref().map(|at| types.access(page, at).map(|a| a.by_ref)).transpose()
    };
    let (plan, fetch, meta_next, meta_count, meta_cursor) = match pagination {
        Pagination::Page { page: page_param, size, first, default_size, .. } => {
            let page_setter = setter(page_param);
            let size_setter = setter(size);
            (
                quote! {
                    ::affiliate_runtime::pagination::Plan::Page {
                        first: self.#page_setter.as_ref().ok().and_then(|v| v.as_ref())
                            .and_then(::affiliate_runtime::pagination::as_u64).unwrap_or(#first),
                        size: self.#size_setter.as_ref().ok().and_then(|v| v.as_ref())
                            .and_then(::affiliate_runtime::pagination::as_u64).unwrap_or(#default_size),
                    }
                },
                quote! {
                    let builder = match request {
                        ::affiliate_runtime::pagination::Request::Page { number, size } => {
                            let builder = builder.#page_setter(number);
                            if size > 0 { builder.#size_setter(size) } else { builder }
                        }
                        _ => builder,
                    };
                },
                None,
                None,
                None,
            )
        }
        Pagination::Offset { offset, limit, default_size, count, next, .. } => {
            let offset_setter = setter(offset);
            let limit_setter = setter(limit);
            let links = next.is_some();
            (
                quote! {
                    ::affiliate_runtime::pagination::Plan::Offset {
                        start: self.#offset_setter.as_ref().ok().and_then(|v| v.as_ref())
                            .and_then(::affiliate_runtime::pagination::as_u64).unwrap_or(0),
                        limit: self.#limit_setter.as_ref().ok().and_then(|v| v.as_ref())
                            .and_then(::affiliate_runtime::pagination::as_u64).unwrap_or(#default_size),
                        offset_param: #offset,
                        links: #links,
                    }
                },
                quote! {
                    let builder = match request {
                        ::affiliate_runtime::pagination::Request::Offset { offset, limit } => {
                            let builder = builder.#offset_setter(offset);
                            if limit > 0 { builder.#limit_setter(limit) } else { builder }
                        }
                        _ => builder,
                    };
                },
                optional_access(next)?,
                optional_access(count)?,
                None,
            )
        }
        Pagination::Cursor { cursor, limit, next_cursor, .. } => {
            let cursor_setter = setter(cursor);
            let limit_call = limit.as_ref().map(|l| {
                let s = setter(l);
                quote! { let builder = match limit { Some(limit) => builder.#s(limit), None => builder }; }
            });
            let limit_value = limit.as_ref().map_or(quote! { None }, |l| {
                let s = setter(l);
                quote! { self.#s.as_ref().ok().and_then(|v| v.as_ref()).and_then(::affiliate_runtime::pagination::as_u64) }
            });
            (
                quote! {
                    ::affiliate_runtime::pagination::Plan::Cursor {
                        cursor_param: #cursor,
                        limit: #limit_value,
                    }
                },
                quote! {
                    let builder = match request {
                        ::affiliate_runtime::pagination::Request::Cursor { cursor, limit } => {
                            let builder = match cursor { Some(cursor) => builder.#cursor_setter(cursor), None => builder };
                            #limit_call
                            builder
                        }
                        _ => builder,
                    };
                },
                None,
                None,
                Some(types.access(page, next_cursor)?.by_ref),
            )
        }
    };
    let next = meta_next.map_or(quote! { None }, |e| {
        quote! { (#e).and_then(|v| ::affiliate_runtime::pagination::PageValue::as_text(v)) }
    });
    let count = meta_count.map_or(quote! { None }, |e| {
        quote! { (#e).and_then(|v| ::affiliate_runtime::pagination::PageValue::as_count(v)) }
    });
    let cursor = meta_cursor.map_or(quote! { None }, |e| {
        quote! { (#e).and_then(|v| ::affiliate_runtime::pagination::PageValue::as_text(v)) }
    });
    Ok(quote! {
        impl<'a> #name<'a> {
            /// Every page, fetched lazily and in order, as the API pages it.
            pub fn pages(self) -> ::affiliate_runtime::pagination::Pages<'a, #page> {
                let plan = #plan;
                let base_url = self.client.baseurl.clone();
                ::affiliate_runtime::pagination::pages(
                    plan,
                    &base_url,
                    move |request| {
                        let builder = self.clone();
                        #fetch
                        builder.send()
                    },
                    |page: &#page| ::affiliate_runtime::pagination::PageMeta {
                        len: (#items_ref).map_or(0, |items| items.len()),
                        next_link: #next,
                        total: #count,
                        next_cursor: #cursor,
                    },
                )
            }

            /// Every item of every page, fetched lazily; stops at the first error.
            pub fn stream(self) -> ::affiliate_runtime::pagination::Items<'a, #item> {
                ::affiliate_runtime::pagination::items(self.pages(), |page: #page| {
                    (#items_value).unwrap_or_default()
                })
            }
        }
    })
}
