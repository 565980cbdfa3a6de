//! From `x-affiliate-webhooks` to the code that receives an API's webhook deliveries: the client
//! crate's `webhooks` module (the scheme as data, an `Event` enum with one variant per event, and
//! `verify`), the mock crate's signing and delivery, and the CLI's `verify-webhook` command. The
//! verification itself is the runtime's (`affiliate_runtime::webhook`); what is emitted is thin.

use std::path::PathBuf;

use heck::ToUpperCamelCase;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::model::Webhooks;
use crate::naming;
use crate::read::Surface;

/// One event as the generated enum has it.
struct Variant {
    wire: String,
    ident: syn::Ident,
    ty: syn::Type,
    description: String,
}

fn variants(surface: &Surface, webhooks: &Webhooks) -> Result<Vec<Variant>, String> {
    let mut out: Vec<Variant> = Vec::new();
    for event in &webhooks.events {
        let name = event.name.replace(['.', ':', '/', '-'], "_").to_upper_camel_case();
        let name = naming::type_name(&name);
        if name.is_empty() || name == "Unknown" || out.iter().any(|v| v.ident == name) {
            return Err(format!(
                "x-affiliate-webhooks: the event `{}` gives the variant name `{name}`, which is empty, reserved or taken",
                event.name
            ));
        }
        let type_name = naming::type_name(&event.component);
        if !surface.types.defines(&type_name) {
            return Err(format!(
                "x-affiliate-webhooks: no generated type `{type_name}` for the event `{}`",
                event.name
            ));
        }
        let ty: syn::Type = syn::parse_str(&format!("types::{type_name}")).map_err(|e| e.to_string())?;
        let description = format!("`{}`: a [`types::{type_name}`] delivery.", event.name);
        out.push(Variant { wire: event.name.clone(), ident: format_ident!("{name}"), ty, description });
    }
    Ok(out)
}

/// The scheme as a `affiliate_runtime::webhook::Scheme` constant expression.
fn scheme(webhooks: &Webhooks) -> TokenStream {
    let header = &webhooks.header;
    let algorithm = match webhooks.algorithm.as_str() {
        "hmac-sha512" => quote! { HmacSha512 },
        _ => quote! { HmacSha256 },
    };
    let encoding = match webhooks.encoding.as_str() {
        "base64" => quote! { Base64 },
        _ => quote! { Hex },
    };
    let prefix = &webhooks.prefix;
    let timestamp = match &webhooks.timestamp {
        Some(t) => {
            let (header, before, between, tolerance) = (&t.header, &t.before, &t.between, t.tolerance);
            quote! {
                ::std::option::Option::Some(::affiliate_runtime::webhook::SignedTimestamp {
                    header: #header,
                    before: #before,
                    between: #between,
                    tolerance: ::std::time::Duration::from_secs(#tolerance),
                })
            }
        }
        None => quote! { ::std::option::Option::None },
    };
    quote! {
        ::affiliate_runtime::webhook::Scheme {
            header: #header,
            algorithm: ::affiliate_runtime::webhook::Algorithm::#algorithm,
            encoding: ::affiliate_runtime::webhook::Encoding::#encoding,
            prefix: #prefix,
            timestamp: #timestamp,
        }
    }
}

/// `crates/affiliate-<name>/src/webhooks.rs`, when the spec declares webhooks.
pub fn client_module(surface: &Surface) -> Result<Option<(PathBuf, String)>, String> {
    let Some(webhooks) = &surface.api.webhooks else { return Ok(None) };
    let variants = variants(surface, webhooks)?;
    let scheme = scheme(webhooks);
    let (env, name_pointer, header) = (&webhooks.env, &webhooks.name, &webhooks.header);
    let idents: Vec<&syn::Ident> = variants.iter().map(|v| &v.ident).collect();
    let types: Vec<&syn::Type> = variants.iter().map(|v| &v.ty).collect();
    let wires: Vec<&String> = variants.iter().map(|v| &v.wire).collect();
    let docs: Vec<&String> = variants.iter().map(|v| &v.description).collect();
    let (verify_doc, verify) = match &webhooks.timestamp {
        None => (
            format!(
                "Verifies a delivery and decodes its event: `signature_header` is the `{header}` header's value, \
                 `raw_body` the body exactly as received (before any JSON parsing). A missing, malformed or \
                 wrong signature is [`Error::Signature`](crate::Error::Signature); a verified body that is not \
                 a delivery is [`Error::WebhookPayload`](crate::Error::WebhookPayload). An event this client \
                 does not know verifies and is [`Event::Unknown`]."
            ),
            quote! {
                pub fn verify(secret: &str, signature_header: &str, raw_body: &[u8]) -> crate::Result<Event> {
                    SCHEME.verify(secret.as_bytes(), signature_header, ::std::option::Option::None, raw_body)?;
                    decode(raw_body)
                }
            },
        ),
        Some(t) => (
            format!(
                "Verifies a delivery and decodes its event: `signature_header` is the `{header}` header's value, \
                 `timestamp_header` the `{}` header's, `raw_body` the body exactly as received. A missing, \
                 malformed or wrong signature, or a timestamp further than {} s from now, is \
                 [`Error::Signature`](crate::Error::Signature); a verified body that is not a delivery is \
                 [`Error::WebhookPayload`](crate::Error::WebhookPayload). An event this client does not know \
                 verifies and is [`Event::Unknown`].",
                t.header, t.tolerance
            ),
            quote! {
                pub fn verify(secret: &str, signature_header: &str, timestamp_header: &str, raw_body: &[u8]) -> crate::Result<Event> {
                    SCHEME.verify(secret.as_bytes(), signature_header, ::std::option::Option::Some(timestamp_header), raw_body)?;
                    decode(raw_body)
                }
            },
        ),
    };
    let tokens = quote! {
        use crate::types;

        /// How deliveries are signed (the spec's `x-affiliate-webhooks`).
        pub const SCHEME: ::affiliate_runtime::webhook::Scheme = #scheme;

        /// The header carrying a delivery's signature.
        pub const SIGNATURE_HEADER: &str = #header;

        /// The environment variable the `affiliate` command reads an endpoint's signing secret from.
        pub const SECRET_ENV: &str = #env;

        /// Every event this client knows, by wire name.
        pub const EVENTS: &[&str] = &[#(#wires),*];

        /// One verified delivery, typed by its event.
        #[derive(Debug, Clone)]
        #[non_exhaustive]
        pub enum Event {
            #(
                #[doc = #docs]
                #idents(#types),
            )*
            /// An event this client does not know (the API added one): its name and the delivery as sent.
            Unknown {
                /// The event's wire name.
                name: ::std::string::String,
                /// The whole delivery.
                payload: ::serde_json::Value,
            },
        }

        impl Event {
            /// The event's wire name (`"link.created"`).
            pub fn name(&self) -> &str {
                match self {
                    #(Event::#idents(_) => #wires,)*
                    Event::Unknown { name, .. } => name,
                }
            }

            fn from_delivery(name: ::std::string::String, payload: ::serde_json::Value) -> ::std::result::Result<Self, ::serde_json::Error> {
                match name.as_str() {
                    #(#wires => ::serde_json::from_value(payload).map(Event::#idents),)*
                    _ => ::std::result::Result::Ok(Event::Unknown { name, payload }),
                }
            }
        }

        /// The delivery as JSON, as the API sends it.
        impl ::serde::Serialize for Event {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error> {
                match self {
                    #(Event::#idents(delivery) => delivery.serialize(serializer),)*
                    Event::Unknown { payload, .. } => payload.serialize(serializer),
                }
            }
        }

        #[doc = #verify_doc]
        #verify

        /// Decodes a delivery's body without verifying it: only for bodies verified already (or for
        /// tests). Services receiving deliveries call [`verify`].
        pub fn decode(raw_body: &[u8]) -> crate::Result<Event> {
            ::affiliate_runtime::webhook::decode(raw_body, #name_pointer, Event::from_delivery)
        }
    };
    let ast: syn::File = syn::parse2(tokens).map_err(|e| format!("webhooks module: {e}"))?;
    let header_line = format!("// {} {}. Do not edit.\n\n", crate::emit::header::HEADER, surface.source);
    let text = format!(
        "{header_line}//! Webhook deliveries of {}: verify a delivery's signature and decode its event.\n\n{}",
        surface.api.title,
        prettyplease::unparse(&ast)
    );
    Ok(Some((PathBuf::from("crates").join(&surface.client_crate).join("src/webhooks.rs"), text)))
}

/// The mock crate's `webhooks` module: signing and delivering events to a service's endpoint.
pub fn mock_module(surface: &Surface) -> Result<TokenStream, String> {
    let Some(webhooks) = &surface.api.webhooks else { return Ok(TokenStream::new()) };
    let client = format_ident!("{}", surface.client_crate.replace('-', "_"));
    let names: Vec<&String> = webhooks.events.iter().filter(|e| e.example.is_some()).map(|e| &e.name).collect();
    let examples: Vec<&String> = webhooks.events.iter().filter_map(|e| e.example.as_ref()).collect();
    let name_pointer = &webhooks.name;
    Ok(quote! {
        /// Webhook deliveries, signed as the API signs them, to a service's own endpoint: a service tests
        /// its handler with the client's own event types.
        pub mod webhooks {
            use #client::webhooks::{Event, SCHEME};

            /// The signature header's value for `body` under `secret` (and the current time, for a scheme
            /// that signs one).
            pub fn sign(secret: &str, body: &[u8]) -> ::affiliate_runtime::Result<::std::string::String> {
                ::affiliate_mock::webhook::sign(&SCHEME, secret, body).map(|signed| signed.signature)
            }

            /// POSTs `event` to `url` as a signed delivery; the endpoint's answer comes back.
            pub async fn deliver(url: &str, secret: &str, event: &Event) -> ::affiliate_runtime::Result<::affiliate_mock::webhook::Delivered> {
                let body = ::serde_json::to_vec(event).map_err(|e| ::affiliate_runtime::Error::InvalidRequest(e.to_string()))?;
                ::affiliate_mock::webhook::deliver(url, &SCHEME, secret, &body).await
            }

            /// POSTs `body` as it is, signed under `secret` (a delivery of an event the client does not
            /// know, say); sign with another secret, or change the bytes after signing, for the cases a
            /// handler must refuse.
            pub async fn deliver_raw(url: &str, secret: &str, body: &[u8]) -> ::affiliate_runtime::Result<::affiliate_mock::webhook::Delivered> {
                ::affiliate_mock::webhook::deliver(url, &SCHEME, secret, body).await
            }

            /// The spec's example delivery of the event `name`, where its schema has one (named `name`:
            /// events sharing a schema share its example).
            pub fn example(name: &str) -> ::std::option::Option<Event> {
                let body: &str = match name {
                    #(#names => #examples,)*
                    _ => return ::std::option::Option::None,
                };
                let mut delivery: ::serde_json::Value = ::serde_json::from_str(body).ok()?;
                if let ::std::option::Option::Some(slot) = delivery.pointer_mut(#name_pointer) {
                    *slot = ::serde_json::Value::String(name.to_string());
                }
                #client::webhooks::decode(&::serde_json::to_vec(&delivery).ok()?).ok()
            }
        }
    })
}

/// The CLI's `verify-webhook` subcommand and the arm that runs it (before any client is built: it
/// needs no API credentials).
pub fn cli(surface: &Surface) -> (TokenStream, TokenStream) {
    let Some(webhooks) = &surface.api.webhooks else { return (TokenStream::new(), TokenStream::new()) };
    let client = format_ident!("{}", surface.client_crate.replace('-', "_"));
    let (env, header) = (&webhooks.env, &webhooks.header);
    let about = format!("Verify a saved webhook delivery (signing secret from {env}) and print its event");
    let timestamp = webhooks.timestamp.as_ref().map(|t| t.header.clone());
    let long = format!(
        "Checks the `{header}` signature of a delivery's raw body (a file, or stdin) with the endpoint's signing \
         secret from the environment variable {env}, then prints the delivery as JSON. Exits with 29 when the \
         signature does not verify, 30 when the verified body is not a delivery."
    );
    let timestamp_arg = timestamp.as_ref().map(|t| {
        let help = format!("The `{t}` header's value");
        quote! { .arg(::clap::Arg::new("timestamp").long("timestamp").value_name("SECONDS").required(true).help(#help)) }
    });
    let call = match &timestamp {
        None => quote! { #client::webhooks::verify(&input.secret, &input.signature, &input.body)? },
        Some(_) => quote! {
            #client::webhooks::verify(&input.secret, &input.signature, m.get_one::<String>("timestamp").map_or("", |t| t.as_str()), &input.body)?
        },
    };
    let signature_help = format!("The `{header}` header's value");
    let command = quote! {
        .subcommand(
            ::clap::Command::new("verify-webhook").about(#about).long_about(#long)
                .arg(crate::support::output_arg())
                .arg(::clap::Arg::new("signature").long("signature").value_name("VALUE").required(true).help(#signature_help))
                #timestamp_arg
                .arg(::clap::Arg::new("file").value_name("FILE|-").help("The delivery's raw body (default: stdin)"))
        )
    };
    let run = quote! {
        if let ::std::option::Option::Some(("verify-webhook", m)) = matches.subcommand() {
            let input = crate::support::webhook_input(m, #env)?;
            let event = #call;
            return crate::support::print_json(crate::support::output(m)?, &event);
        }
    };
    (command, run)
}
