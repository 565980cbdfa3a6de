//! The code this workspace adds to progenitor's output, written with `quote`: the API descriptor
//! (auth, idempotency), constructors, the `ClientHooks` impl, unified-error `send`, and pagination.
//!
//! Everything vendor-specific arrives through `Api`; the runtime does the work.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::model::{BodyErrorRule, Job, Operation, Pagination, Scheme, VariantBody};
use crate::naming;
use crate::read::{OperationSurface, Surface};
use crate::rewrite::{vec_item, Types};

/// Items for the crate root (next to `Client`).
pub fn root(surface: &Surface) -> TokenStream {
    let (api, crate_name) = (&surface.api, &surface.client_crate);
    let name = &api.name;
    let title = &api.title;
    // Without `servers` there is no default: the runtime's `build()` then asks for `base_url(..)`.
    let (base_url_const, default_base_url) = match &api.base_url {
        Some(url) => (
            quote! {
                /// The production base URL (`servers[0]` of the spec); override it with
                /// [`ClientBuilder::base_url`](::affiliate_runtime::ClientBuilder::base_url).
                pub const DEFAULT_BASE_URL: &str = #url;
            },
            quote! { DEFAULT_BASE_URL },
        ),
        None => (TokenStream::new(), quote! { "" }),
    };
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
        Scheme::ApiKeyQuery { name, param, env } => quote! {
            ::affiliate_runtime::SecurityScheme::ApiKeyQuery { name: #name, param: #param, env: #env }
        },
        Scheme::ApiKeyCookie { name, cookie, env } => quote! {
            ::affiliate_runtime::SecurityScheme::ApiKeyCookie { name: #name, cookie: #cookie, env: #env }
        },
        Scheme::OAuth2 { name, env, token_url, scopes } => {
            let token_url = match token_url {
                Some(url) => quote! { ::std::option::Option::Some(#url) },
                None => quote! { ::std::option::Option::None },
            };
            quote! {
                ::affiliate_runtime::SecurityScheme::OAuth2 {
                    name: #name, env: #env, token_url: #token_url, scopes: &[#(#scopes),*],
                }
            }
        }
    });
    // One requirement made of every scheme is the runtime's default (`&[]`): only alternatives
    // need listing.
    let requirements = if api.requirements.len() > 1 {
        let each = api.requirements.iter().map(|names| quote! { &[#(#names),*] });
        quote! { &[#(#each),*] }
    } else {
        quote! { &[] }
    };
    let body_errors = api.body_errors.iter().map(|rule| match rule {
        BodyErrorRule::Present(pointer) => quote! { ::affiliate_runtime::BodyErrorRule::Present(#pointer) },
        BodyErrorRule::Equals(pointer, literal) => {
            quote! { ::affiliate_runtime::BodyErrorRule::Equals(#pointer, #literal) }
        }
    });
    // Keyed by the client method, the id progenitor hands the hooks (`type_`, not `type`).
    let idempotent: Vec<&String> = api.operations.iter().filter(|o| o.idempotent).map(|o| &o.rust).collect();
    let anonymous: Vec<&String> = api.operations.iter().filter(|o| o.anonymous).map(|o| &o.rust).collect();
    let rate_limit = match &api.rate_limit {
        Some(rate) => quote! { Some(#rate) },
        None => quote! { None },
    };
    let idempotency_headers = api.operations.iter().filter_map(|o| {
        let id = &o.rust;
        o.idempotency_header.as_ref().map(|header| quote! { (#id, #header) })
    });
    let templates = api.operations.iter().map(|o| {
        let id = &o.rust;
        let path = &o.path;
        quote! { (#id, #path) }
    });
    let env_doc =
        super::packaging::credential_variables(surface).iter().map(|e| format!("`{e}`")).collect::<Vec<_>>().join(", ");
    let from_env_doc = if env_doc.is_empty() {
        "Builds a client with the default settings.".to_string()
    } else {
        format!("Builds a client with credentials from {env_doc}; a missing one is an error here, not a 401 later.")
    };
    // The runtime's own variable, beside the spec's (see `ClientBuilder::build`).
    let base_url_doc = format!(
        "`{}` sends the requests to another base URL (a staging host, a recording proxy) without code \
         changes; a base URL given to the builder wins over it.",
        super::packaging::base_url_variable_of(&api.name)
    );
    quote! {
        #base_url_const

        /// What the runtime needs to know about this API: where it lives, how it authenticates,
        /// which operations may be retried.
        pub static API: ::affiliate_runtime::ApiDescriptor = ::affiliate_runtime::ApiDescriptor {
            name: #name,
            title: #title,
            crate_name: #crate_name,
            crate_version: env!("CARGO_PKG_VERSION"),
            default_base_url: #default_base_url,
            security: &[#(#schemes),*],
            requirements: #requirements,
            idempotent_operations: &[#(#idempotent),*],
            anonymous_operations: &[#(#anonymous),*],
            body_errors: &[#(#body_errors),*],
            url_templates: &[#(#templates),*],
            rate_limit: #rate_limit,
            idempotency_headers: &[#(#idempotency_headers),*],
        };

        impl ::affiliate_runtime::__private::FromParts for Client {
            fn from_parts(parts: ::affiliate_runtime::__private::Parts) -> Self {
                let (base_url, http, runtime) = parts.into_inner();
                Self::new_with_client(&base_url, http, runtime)
            }
        }

        impl Client {
            /// Starts configuring a client: credentials, base URL, retries, timeouts, headers.
            pub fn builder() -> ::affiliate_runtime::ClientBuilder<Self> {
                ::affiliate_runtime::ClientBuilder::new(&API)
            }

            #[doc = #from_env_doc]
            #[doc = ""]
            #[doc = #base_url_doc]
            pub fn from_env() -> ::affiliate_runtime::Result<Self> {
                Self::builder().build()
            }

            /// Settings shared by every request of this client (retry policy, API description).
            pub fn runtime(&self) -> &::affiliate_runtime::Runtime {
                &self.inner
            }

            /// GETs a link the API returned (relative, or absolute on the API's own host) with this
            /// client's credentials and retries, streaming the body.
            pub async fn fetch_link(&self, link: &str) -> ::affiliate_runtime::Result<ResponseValue<ByteStream>> {
                self.inner.fetch_link(&self.client, &self.baseurl, link).await
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
///
/// Errors are (JSON pointer, message), every one found: the operation, or the extension whose
/// pointers do not fit the generated types.
pub fn builders(surface: &Surface) -> Result<TokenStream, Vec<(String, String)>> {
    let types = &surface.types;
    let mut out = TokenStream::new();
    let mut errors = Vec::new();
    for surface_op in &surface.operations {
        let (op, at) = (&surface_op.spec, &surface_op.pointer);
        let name = &surface_op.builder;
        let success = &surface_op.success;
        let doc = format!(
            "Sends the `{} {}` request; retries per the client's policy (or this call's); any \
             failure is an [`Error`](::affiliate_runtime::Error).",
            op.method.to_uppercase(),
            op.path
        );
        out.extend(call_options(name));
        if let Some(header) = &op.idempotency_header {
            out.extend(idempotency_key(name, header));
        }
        if op.success_variants.is_empty() {
            out.extend(quote! {
                impl<'a> #name<'a> {
                    #[doc = #doc]
                    pub async fn send(mut self) -> ::affiliate_runtime::Result<ResponseValue<#success>> {
                        let options = ::std::mem::take(&mut self.options);
                        ::affiliate_runtime::__private::send(options, ::std::boxed::Box::pin(self.send_raw())).await
                    }
                }
            });
        } else {
            out.extend(variant_send(surface_op, &doc));
        }
        if let Some(job) = &op.job {
            match job_wait(name, success, job, types) {
                Ok(tokens) => out.extend(tokens),
                Err(e) => errors.push((format!("{at}/x-affiliate-job"), e)),
            }
        }
        if let Some(pagination) = &op.pagination {
            match paginate(surface_op, pagination, types) {
                Ok(tokens) => out.extend(tokens),
                Err(e) => errors.push((format!("{at}/x-affiliate-pagination"), e)),
            }
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// `timeout`, `header` and `retry_policy` for one call; `send()`, `pages()` and `stream()` apply
/// them to every request of that call (every page, every retry).
fn call_options(name: &syn::Ident) -> TokenStream {
    quote! {
        impl<'a> #name<'a> {
            /// Limit for each attempt of this call, from sending to the end of the response body,
            /// instead of the client's timeout.
            pub fn timeout(mut self, timeout: ::std::time::Duration) -> Self {
                self.options.set_timeout(timeout);
                self
            }

            /// A header sent with this call only (an `Idempotency-Key`, a correlation id); it
            /// replaces a client-wide header of the same name. Credential headers cannot be set
            /// this way: `send()` refuses with [`Error::InvalidRequest`](::affiliate_runtime::Error::InvalidRequest),
            /// as it does for a name or value that is not a valid header.
            pub fn header(mut self, name: impl AsRef<str>, value: impl AsRef<str>) -> Self {
                self.options.add_header(name.as_ref(), value.as_ref());
                self
            }

            /// The retry policy for this call instead of the client's.
            pub fn retry_policy(mut self, policy: ::affiliate_runtime::RetryPolicy) -> Self {
                self.options.set_retry_policy(policy);
                self
            }
        }
    }
}

/// `idempotency_key` for an operation whose spec declares an idempotency header: the runtime
/// otherwise makes one key per call.
fn idempotency_key(name: &syn::Ident, header: &str) -> TokenStream {
    let doc = format!(
        "The `{header}` of this call (default: a new UUID per call, the same on every retry of it), \
         e.g. a key derived from the caller's own record so that a replayed job is not applied twice."
    );
    quote! {
        impl<'a> #name<'a> {
            #[doc = #doc]
            pub fn idempotency_key(mut self, key: impl AsRef<str>) -> Self {
                self.options.add_header(#header, key.as_ref());
                self
            }
        }
    }
}

/// The enum of success answers for an operation with `x-affiliate-success-variants`, for `mod types`.
///
/// Every name is looked up in the generated types: a variant's type that typify did not generate,
/// or a component already named like the enum, is an error (JSON pointer, message).
pub fn types(surface: &Surface) -> Result<TokenStream, Vec<(String, String)>> {
    let types = &surface.types;
    let mut out = TokenStream::new();
    let mut errors = Vec::new();
    for surface_op in &surface.operations {
        let Some(name) = &surface_op.success_enum else { continue };
        let (op, at) = (&surface_op.spec, surface_op.pointer.clone());
        if types.defines(&name.to_string()) {
            errors.push((
                at.clone(),
                format!("a schema is already named `{name}`, the enum of this operation's success variants"),
            ));
        }
        for v in &op.success_variants {
            if let VariantBody::Json(schema) = &v.body {
                let ty = naming::type_name(schema);
                if !types.defines(&ty) {
                    errors.push((
                        format!("{at}/responses/{}", v.status),
                        format!("no generated type `{ty}` for the schema `{schema}`"),
                    ));
                }
            }
        }
        let doc = format!("The success answers of `{}`, one variant per status.", op.id);
        let variants = op.success_variants.iter().map(|v| {
            let ident = variant_ident(v);
            let doc = format!("HTTP {}", v.status);
            match &v.body {
                VariantBody::Empty => quote! { #[doc = #doc] #ident },
                VariantBody::Raw => quote! { #[doc = #doc] #ident(::progenitor_client::ByteStream) },
                VariantBody::Json(schema) => {
                    let ty = format_ident!("{}", naming::type_name(schema));
                    quote! { #[doc = #doc] #ident(#ty) }
                }
            }
        });
        let debug_arms = op.success_variants.iter().map(|v| {
            let ident = variant_ident(v);
            let label = ident.to_string();
            match &v.body {
                VariantBody::Empty => quote! { Self::#ident => f.write_str(#label), },
                VariantBody::Raw => quote! { Self::#ident(_) => f.write_str(concat!(#label, "(<byte stream>)")), },
                VariantBody::Json(_) => quote! { Self::#ident(value) => f.debug_tuple(#label).field(value).finish(), },
            }
        });
        out.extend(quote! {
            #[doc = #doc]
            pub enum #name { #(#variants),* }

            impl ::std::fmt::Debug for #name {
                fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                    match self { #(#debug_arms)* }
                }
            }
        });
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

fn variant_ident(variant: &crate::model::SuccessVariant) -> syn::Ident {
    format_ident!("{}", variant.name)
}

/// `send()` for an operation whose answer depends on the status: the raw body becomes the variant.
fn variant_send(surface_op: &OperationSurface, doc: &str) -> TokenStream {
    let (op, name): (&Operation, _) = (&surface_op.spec, &surface_op.builder);
    let answer = surface_op.success_enum.clone().unwrap_or_else(|| format_ident!("{}", naming::success_enum(&op.rust)));
    let arms = op.success_variants.iter().map(|v| {
        let status = v.status;
        let ident = variant_ident(v);
        match &v.body {
            VariantBody::Empty => quote! {
                #status => Ok(::affiliate_runtime::__private::map_response(response, |_| types::#answer::#ident)),
            },
            VariantBody::Raw => quote! {
                #status => Ok(::affiliate_runtime::__private::map_response(response, types::#answer::#ident)),
            },
            VariantBody::Json(_) => quote! {
                #status => ::affiliate_runtime::__private::decode_json(response, client.inner.max_body_bytes())
                    .await
                    .map(|decoded| ::affiliate_runtime::__private::map_response(decoded, types::#answer::#ident)),
            },
        }
    });
    // JSON variants are read within the client's body limit.
    let client = op
        .success_variants
        .iter()
        .any(|v| matches!(v.body, VariantBody::Json(_)))
        .then(|| quote! { let client = self.client; });
    quote! {
        impl<'a> #name<'a> {
            #[doc = #doc]
            pub async fn send(mut self) -> ::affiliate_runtime::Result<ResponseValue<types::#answer>> {
                #client
                let options = ::std::mem::take(&mut self.options);
                let response = ::affiliate_runtime::__private::send(options, ::std::boxed::Box::pin(self.send_raw())).await?;
                match response.status().as_u16() {
                    #(#arms)*
                    _ => Err(::affiliate_runtime::__private::undocumented_status(response).await),
                }
            }
        }
    }
}

/// `wait()` and `wait_for_result()` on the builder of a job-status operation.
fn job_wait(name: &syn::Ident, page: &syn::Type, job: &Job, types: &Types) -> Result<TokenStream, String> {
    let status = types.access(page, &job.status)?.by_ref;
    let result = types.access(page, &job.result)?.by_ref;
    let done = &job.done;
    let failed = &job.failed;
    Ok(quote! {
        impl<'a> #name<'a> {
            /// Requests this job's status until it is done (returning the last status) or failed,
            /// backing off between requests as `poll` says.
            pub async fn wait(
                self,
                poll: &::affiliate_runtime::Poll,
            ) -> ::affiliate_runtime::Result<ResponseValue<#page>> {
                ::affiliate_runtime::__private::jobs::wait(
                    poll,
                    move || self.clone().send(),
                    |page: &#page| {
                        let status = (#status).map(|v| v.to_string());
                        let is = |set: &[&str]| status.as_deref().is_some_and(|s| set.contains(&s));
                        ::affiliate_runtime::__private::jobs::JobState { done: is(&[#(#done),*]), failed: is(&[#(#failed),*]), status }
                    },
                )
                .await
            }

            /// Waits for the job, then streams its result from the link the finished job gives.
            pub async fn wait_for_result(
                self,
                poll: &::affiliate_runtime::Poll,
            ) -> ::affiliate_runtime::Result<ResponseValue<ByteStream>> {
                // The call's options (timeout, headers, retry policy) go with the download too.
                let (client, options) = (self.client, self.options.clone());
                let finished = self.wait(poll).await?;
                let page: &#page = &finished;
                let link = (#result)
                    .map(|v| v.to_string())
                    .filter(|link| !link.is_empty())
                    .ok_or_else(|| ::affiliate_runtime::Error::Job("the finished job gives no result link".to_string()))?;
                ::affiliate_runtime::__private::with_options(options, client.fetch_link(&link)).await
            }
        }
    })
}

fn paginate(surface_op: &OperationSurface, pagination: &Pagination, types: &Types) -> Result<TokenStream, String> {
    let (name, page) = (&surface_op.builder, &surface_op.success);
    let items_at = match pagination {
        Pagination::Page { items, .. } | Pagination::Offset { items, .. } | Pagination::Cursor { items, .. } => items,
    };
    let items = types.access(page, items_at)?;
    let item = vec_item(&items.leaf).ok_or_else(|| format!("`{items_at}` is not an array"))?;
    // A pointer through required fields only needs no `Option` juggling.
    let (len, items_of_page) = match &items.plain {
        Some(plain) => (quote! { #plain.len() }, plain.clone()),
        None => {
            let (by_ref, by_value) = (&items.by_ref, &items.by_value);
            (quote! { (#by_ref).map_or(0, |items| items.len()) }, quote! { (#by_value).unwrap_or_default() })
        }
    };
    // The builder's own setter for a query parameter: progenitor's name for it, looked up, not guessed.
    let setter = |wire: &str| -> Result<syn::Ident, String> {
        surface_op
            .params
            .iter()
            .find(|p| p.wire == wire)
            .map(|p| p.field.clone())
            .ok_or_else(|| format!("the builder has no setter for the query parameter `{wire}`"))
    };
    let optional_access = |at: &Option<String>| -> Result<Option<TokenStream>, String> {
        at.as_ref().map(|at| types.access(page, at).map(|a| a.by_ref)).transpose()
    };
    let (plan, fetch, meta_next, meta_count, meta_cursor) = match pagination {
        Pagination::Page { page: page_param, size, first, default_size, .. } => {
            let page_setter = setter(page_param)?;
            let size_setter = setter(size)?;
            (
                quote! {
                    ::affiliate_runtime::__private::pagination::Plan::Page {
                        first: self.#page_setter.as_ref().ok().and_then(|v| v.as_ref())
                            .and_then(::affiliate_runtime::__private::pagination::as_u64).unwrap_or(#first),
                        size: self.#size_setter.as_ref().ok().and_then(|v| v.as_ref())
                            .and_then(::affiliate_runtime::__private::pagination::as_u64).unwrap_or(#default_size),
                    }
                },
                quote! {
                    let builder = match request {
                        ::affiliate_runtime::__private::pagination::Request::Page { number, size } => {
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
            let offset_setter = setter(offset)?;
            let limit_setter = setter(limit)?;
            let links = next.is_some();
            (
                quote! {
                    ::affiliate_runtime::__private::pagination::Plan::Offset {
                        start: self.#offset_setter.as_ref().ok().and_then(|v| v.as_ref())
                            .and_then(::affiliate_runtime::__private::pagination::as_u64).unwrap_or(0),
                        limit: self.#limit_setter.as_ref().ok().and_then(|v| v.as_ref())
                            .and_then(::affiliate_runtime::__private::pagination::as_u64).unwrap_or(#default_size),
                        offset_param: #offset,
                        links: #links,
                    }
                },
                quote! {
                    let builder = match request {
                        ::affiliate_runtime::__private::pagination::Request::Offset { offset, limit } => {
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
            let cursor_setter = setter(cursor)?;
            let limit_setter = limit.as_deref().map(setter).transpose()?;
            let limit_call = limit_setter.as_ref().map(|s| {
                quote! { let builder = match limit { Some(limit) => builder.#s(limit), None => builder }; }
            });
            let limit_value = limit_setter.as_ref().map_or(quote! { None }, |s| {
                quote! { self.#s.as_ref().ok().and_then(|v| v.as_ref()).and_then(::affiliate_runtime::__private::pagination::as_u64) }
            });
            (
                quote! {
                    ::affiliate_runtime::__private::pagination::Plan::Cursor {
                        cursor_param: #cursor,
                        limit: #limit_value,
                    }
                },
                quote! {
                    let builder = match request {
                        ::affiliate_runtime::__private::pagination::Request::Cursor { cursor, limit } => {
                            let builder = match cursor { Some(cursor) => builder.#cursor_setter(::affiliate_runtime::__private::pagination::Cursor(cursor)), None => builder };
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
        quote! { (#e).and_then(|v| ::affiliate_runtime::__private::pagination::PageValue::as_text(v)) }
    });
    let count = meta_count.map_or(quote! { None }, |e| {
        quote! { (#e).and_then(|v| ::affiliate_runtime::__private::pagination::PageValue::as_count(v)) }
    });
    let cursor = meta_cursor.map_or(quote! { None }, |e| {
        quote! { (#e).and_then(|v| ::affiliate_runtime::__private::pagination::PageValue::as_text(v)) }
    });
    Ok(quote! {
        impl<'a> #name<'a> {
            /// Every page, fetched lazily and in order, as the API pages it.
            ///
            /// Never loops: the stream ends with `Error::Pagination` (after the pages before it)
            /// when the server repeats any earlier page or cursor of this stream, sends a next
            /// link it cannot advance with (empty, or back to an earlier offset), or links to
            /// another host. Memory stays bounded: one 64-bit hash per page and cursor is kept.
            pub fn pages(self) -> ::affiliate_runtime::Pages<'a, #page> {
                let plan = #plan;
                let base_url = self.client.baseurl.clone();
                ::affiliate_runtime::__private::pagination::pages(
                    plan,
                    &base_url,
                    move |request| {
                        let builder = self.clone();
                        #fetch
                        builder.send()
                    },
                    |page: &#page| ::affiliate_runtime::__private::pagination::PageMeta {
                        len: #len,
                        next_link: #next,
                        total: #count,
                        next_cursor: #cursor,
                    },
                )
            }

            /// Every item of every page, fetched lazily; stops at the first error. Never loops: a
            /// repeated page or cursor, or a next link that cannot advance, ends it with
            /// `Error::Pagination` (see [`pages`](Self::pages)).
            pub fn stream(self) -> ::affiliate_runtime::Items<'a, #item> {
                ::affiliate_runtime::__private::pagination::items(self.pages(), |page: #page| {
                    #items_of_page
                })
            }
        }
    })
}
