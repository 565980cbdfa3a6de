//! From one spec and its generated client to `crates/affiliate-cli/src/apis/<name>.rs`: a clap
//! subcommand per operation (kebab-case operation id, one flag per parameter, help from the spec's
//! summary and descriptions) and the code that calls the typed client with the parsed flags. The
//! crate's hand-written `main.rs` and `support.rs` do everything that is the same for every API.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use heck::ToKebabCase;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::Type;

use crate::model::{Operation, Pagination, VariantBody};
use crate::naming;
use crate::read::{JobLink, OperationSurface, Surface};
use crate::rewrite::{foreign, last_ident, qualify, unwrap_option, vec_item};

const DIR: &str = "crates/affiliate-cli/src/apis";

/// The flags of `support.rs` and `main.rs` that operations share (global or per operation).
pub const COMMON_FLAGS: &[&str] =
    &["output", "body", "field", "all", "wait", "mock", "base-url", "verbose", "timeout", "retries", "help", "version"];

/// The generated command module of one API.
pub fn generate(surface: &Surface) -> Result<(PathBuf, String), String> {
    let (api, types, client_crate, source) = (&surface.api, &surface.types, &surface.client_crate, &surface.source);
    let client = format_ident!("{}", client_crate.replace('-', "_"));
    let mock = format_ident!("{}_mock", client_crate.replace('-', "_"));
    let api_name = api.name.to_kebab_case();
    let title = &api.title;
    let mut commands = Vec::new();
    let mut arms = Vec::new();
    for surface_op in &surface.operations {
        let op = &surface_op.spec;
        let command = naming::command(&surface_op.method.to_string());
        let method = &surface_op.method;
        let (summary, description) = (&surface_op.summary, &surface_op.description);
        let mut args = vec![quote! { .arg(crate::support::output_arg()) }];
        let mut sets = Vec::new();
        for param in &surface_op.params {
            let setter = &param.field;
            let inner = unwrap_option(&param.value).unwrap_or_else(|| param.value.clone());
            let required = param.required;
            let (mut flag, mut id) = (naming::flag(&setter.to_string()), setter.to_string());
            // A parameter named like a flag every operation has (`--output`, `--verbose`) would
            // clash with it: the parameter's flag gets a suffix, as its help says.
            if COMMON_FLAGS.contains(&flag.as_str()) {
                flag.push_str("-param");
                id.push_str("_param");
            }
            let value_name = flag.replace('-', "_").to_uppercase();
            let help = format!("{} ({} parameter `{}`)", param.description, param.location.as_str(), param.wire);
            let (many, parse_ty) = match vec_item(&inner) {
                Some(item) => (true, item),
                None => (false, inner.clone()),
            };
            let parse_ty = parse_type(&parse_ty);
            args.push(quote! {
                .arg(::clap::Arg::new(#id).long(#flag).value_name(#value_name).help(#help).required(#required)
                    .action(if #many { ::clap::ArgAction::Append } else { ::clap::ArgAction::Set }))
            });
            sets.push(if many {
                quote! {
                    if let Some(values) = m.get_many::<String>(#id) {
                        let values = values.map(|v| crate::support::parse::<#parse_ty>(#flag, v)).collect::<Result<Vec<_>, _>>()?;
                        b = b.#setter(values);
                    }
                }
            } else {
                quote! {
                    if let Some(value) = m.get_one::<String>(#id) {
                        b = b.#setter(crate::support::parse::<#parse_ty>(#flag, value)?);
                    }
                }
            });
        }
        if let Some(body) = &surface_op.json_body {
            args.push(quote! { .arg(crate::support::body_arg()).arg(crate::support::field_arg()) });
            sets.push(quote! {
                if let Some(body) = crate::support::body(m)? {
                    b = b.body(crate::support::from_json::<#body>("--body", body)?);
                }
            });
        }
        if op.pagination.is_some() {
            args.push(quote! { .arg(crate::support::all_arg()) });
        }
        let follow = surface_op.job_link.as_ref();
        if op.job.is_some() || follow.is_some() {
            args.push(quote! { .arg(crate::support::wait_arg()) });
        }
        let output = output(surface_op, follow)?;
        let paged = match &op.pagination {
            Some(pagination) => {
                let items = types.access(&surface_op.success, items_pointer(pagination))?.by_value;
                Some(quote! {
                    if m.get_flag("all") {
                        return crate::support::ndjson(b.pages(), |page| (#items).unwrap_or_default()).await;
                    }
                })
            }
            None => None,
        };
        let wait = op.job.as_ref().map(|_| {
            quote! {
                if m.get_flag("wait") {
                    let poll = ::affiliate_runtime::Poll::default();
                    return crate::support::write_stream(out, b.wait_for_result(&poll).await?.into_inner()).await;
                }
            }
        });
        commands.push(quote! {
            .subcommand(::clap::Command::new(#command).about(#summary).long_about(#description) #(#args)*)
        });
        arms.push(quote! {
            #command => {
                let mut b = client.#method();
                #(#sets)*
                #paged
                #wait
                let answer = b.send().await?.into_inner();
                #output
            }
        });
    }
    let (webhook_command, webhook_run) = crate::emit::webhooks::cli(surface);
    let about = format!("{title} ({} operations)", surface.operations.len());
    let tokens = quote! {
        // An API whose commands name no type (only strings and numbers) leaves it unused.
        #[allow(unused_imports)]
        use #client::types;

        /// The `affiliate <api>` subcommand with one subcommand per operation.
        pub fn command() -> ::clap::Command {
            ::clap::Command::new(#api_name).about(#about).subcommand_required(true) #(#commands)* #webhook_command
        }

        /// Runs the operation `matches` names against the real API, or against the mock.
        pub async fn run(ctx: &crate::support::Ctx, matches: &::clap::ArgMatches) -> Result<(), crate::support::CliError> {
            #webhook_run
            let server = if ctx.mock {
                let server = ::wiremock::MockServer::start().await;
                #mock::mount_examples(&server).await;
                Some(server)
            } else {
                None
            };
            // Without flags this is `Client::from_env()`: credentials and `<API>_BASE_URL` from
            // the environment.
            let client = match &server {
                Some(server) => #mock::client(server)?,
                None => {
                    let mut builder = #client::Client::builder();
                    if let Some(url) = &ctx.base_url {
                        builder = builder.base_url(url.as_str());
                    }
                    if let Some(timeout) = ctx.timeout {
                        builder = builder.timeout(timeout);
                    }
                    if let Some(policy) = &ctx.retry_policy {
                        builder = builder.retry_policy(policy.clone());
                    }
                    builder.build()?
                }
            };
            let (name, m) = matches.subcommand().ok_or(crate::support::CliError::Usage("no operation given".into()))?;
            let out = crate::support::output(m)?;
            match name {
                #(#arms)*
                other => Err(crate::support::CliError::Usage(format!("unknown operation `{other}`"))),
            }
        }
    };
    let ast: syn::File = syn::parse2(tokens).map_err(|e| format!("cli glue: {e}"))?;
    let header = crate::emit::header::HEADER;
    let text = format!("// {header} {source}. Do not edit.\n\n{}", prettyplease::unparse(&ast));
    Ok((Path::new(DIR).join(format!("{}.rs", naming::module(&api.name))), text))
}

/// `crates/affiliate-cli/src/apis/mod.rs`: every API's module, for `main.rs`.
pub fn index(outputs: &BTreeMap<PathBuf, String>) -> (PathBuf, String) {
    let dir = Path::new(DIR);
    let names: Vec<String> = outputs
        .keys()
        .filter(|p| p.parent() == Some(dir))
        .filter_map(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .filter(|n| n != "mod")
        .collect();
    let modules = names.iter().map(|n| format_ident!("{}", n));
    let commands = modules.clone();
    let runs = modules.clone();
    let keys = names.iter().map(|n| n.to_kebab_case());
    let tokens = quote! {
        #(pub mod #modules;)*

        /// One subcommand per API.
        pub fn commands() -> Vec<::clap::Command> {
            vec![#(#commands::command()),*]
        }

        /// Runs `affiliate <api> ...`.
        pub async fn run(ctx: &crate::support::Ctx, api: &str, matches: &::clap::ArgMatches) -> Result<(), crate::support::CliError> {
            match api {
                #(#keys => #runs::run(ctx, matches).await,)*
                other => Err(crate::support::CliError::Usage(format!("unknown API `{other}`"))),
            }
        }
    };
    let text = match syn::parse2::<syn::File>(tokens) {
        Ok(ast) => prettyplease::unparse(&ast),
        Err(e) => format!("compile_error!(\"{e}\");"),
    };
    let header = crate::emit::header::HEADER;
    (dir.join("mod.rs"), format!("// {header} specs/*.yaml. Do not edit.\n\n{text}"))
}

fn items_pointer(pagination: &Pagination) -> &str {
    match pagination {
        Pagination::Page { items, .. } | Pagination::Offset { items, .. } | Pagination::Cursor { items, .. } => items,
    }
}

/// How the answer of an operation is printed.
fn output(surface_op: &OperationSurface, follow: Option<&JobLink>) -> Result<TokenStream, String> {
    let op: &Operation = &surface_op.spec;
    if op.success_variants.is_empty() {
        let success = &surface_op.success;
        return Ok(match last_ident(success).as_deref() {
            Some("ByteStream") => quote! { crate::support::write_stream(out, answer).await },
            _ if quote!(#success).to_string().replace(' ', "") == "()" => quote! { let () = answer; Ok(()) },
            _ => quote! { crate::support::print_json(out, &answer) },
        });
    }
    let enum_name = surface_op.success_enum.as_ref().ok_or("success variants without their enum")?;
    let arms = op.success_variants.iter().map(|v| {
        // The model's name: the spec may rename a variant (`x-affiliate-success-variants`).
        let variant = format_ident!("{}", v.name);
        match &v.body {
            VariantBody::Empty => quote! { types::#enum_name::#variant => Ok(()), },
            VariantBody::Raw => {
                quote! { types::#enum_name::#variant(body) => crate::support::write_stream(out, body).await, }
            }
            VariantBody::Json(_) => match follow.filter(|f| f.status == v.status) {
                Some(JobLink { method, setter, id, .. }) => quote! {
                    types::#enum_name::#variant(page) => {
                        if !m.get_flag("wait") {
                            return crate::support::print_json(out, &page);
                        }
                        let id = (#id).ok_or_else(|| crate::support::CliError::Input("the job answer carries no job id".into()))?;
                        let poll = ::affiliate_runtime::Poll::default();
                        let result = client.#method().#setter(id).wait_for_result(&poll).await?;
                        crate::support::write_stream(out, result.into_inner()).await
                    }
                },
                None => quote! { types::#enum_name::#variant(body) => crate::support::print_json(out, &body), },
            },
        }
    });
    Ok(quote! {
        match answer {
            #(#arms)*
        }
    })
}

/// The type a flag's text is parsed into: the setter's type (the CLI depends on the crates of
/// foreign ones, chrono and uuid).
fn parse_type(ty: &Type) -> TokenStream {
    let q = if foreign(ty) { ty.clone() } else { qualify(ty) };
    quote! { #q }
}
