//! From one spec and its generated client to `crates/affiliate-cli/src/apis/<name>.rs`: a clap
//! subcommand per operation (kebab-case operation id, one flag per parameter, help from the spec's
//! summary and descriptions) and the code that calls the typed client with the parsed flags. The
//! crate's hand-written `main.rs` and `support.rs` do everything that is the same for every API.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use heck::{ToKebabCase, ToSnakeCase};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use serde_json::Value;
use syn::Type;

use crate::mock::{body_type, builder_fields, foreign, operation, param_field, resolve, result_ok};
use crate::normalise::{Api, Pagination, VariantBody};
use crate::postprocess::{last_ident, qualify, unwrap_option, vec_item, Builder, Types};

const DIR: &str = "crates/affiliate-cli/src/apis";

/// The generated command module of one API.
pub fn generate(
    api: &Api,
    original: &Value,
    builders: &BTreeMap<String, Builder>,
    file: &syn::File,
    types: &Types,
    client_crate: &str,
    source: &str,
) -> Result<(PathBuf, String), String> {
    let fields = builder_fields(file);
    let client = format_ident!("{}", client_crate.replace('-', "_"));
    let mock = format_ident!("{}_mock", client_crate.replace('-', "_"));
    let api_name = api.name.to_kebab_case();
    let title = &api.title;
    let mut commands = Vec::new();
    let mut arms = Vec::new();
    for op in &api.operations {
        let key = op.id.to_snake_case();
        let builder = builders.get(&key).ok_or_else(|| format!("operation {}: no builder", op.id))?;
        let command = op.id.to_kebab_case();
        let method = builder.method.clone();
        let (_, spec_op) =
            operation(original, &op.path, &op.method).ok_or_else(|| format!("{}: not in spec", op.id))?;
        let summary = spec_op.get("summary").and_then(Value::as_str).unwrap_or_default().to_string();
        let description = spec_op.get("description").and_then(Value::as_str).unwrap_or(&summary).trim().to_string();
        let params = params(original, &op.path, &op.method);
        let mut args = vec![quote! { .arg(crate::support::output_arg()) }];
        let mut sets = Vec::new();
        for (field, ty) in fields.get(&builder.name.to_string()).into_iter().flatten() {
            let setter = format_ident!("{}", field);
            if field == "body" {
                if let Some(body) = body_type(ty) {
                    args.push(quote! { .arg(crate::support::body_arg()) });
                    sets.push(quote! {
                        if let Some(body) = crate::support::body(m)? {
                            b = b.body(crate::support::from_json::<#body>("--body", body)?);
                        }
                    });
                }
                continue;
            }
            let Some(param) = params.iter().find(|p| param_field(&p.wire) == *field) else { continue };
            let Some(inner) = result_ok(ty) else { continue };
            let optional = unwrap_option(&inner);
            let required = optional.is_none();
            let inner = optional.unwrap_or(inner);
            let flag = field.to_kebab_case();
            let id = field.as_str();
            let value_name = field.to_uppercase();
            let help = format!("{} ({} parameter `{}`)", param.description, param.location, param.wire);
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
        if op.pagination.is_some() {
            args.push(quote! { .arg(crate::support::all_arg()) });
        }
        let follow = job_follow(api, original, builders, types, op)?;
        if op.job.is_some() || follow.is_some() {
            args.push(quote! { .arg(crate::support::wait_arg()) });
        }
        let output = output(op, builder, follow.as_ref())?;
        let paged = match &op.pagination {
            Some(pagination) => {
                let items = types.access(&builder.success, items_pointer(pagination))?.by_value;
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
    let about = format!("{title} ({} operations)", api.operations.len());
    let tokens = quote! {
        use #client::types;

        /// The `affiliate <api>` subcommand with one subcommand per operation.
        pub fn command() -> ::clap::Command {
            ::clap::Command::new(#api_name).about(#about).subcommand_required(true) #(#commands)*
        }

        /// Runs the operation `matches` names against the real API, or against the mock.
        pub async fn run(ctx: &crate::support::Ctx, matches: &::clap::ArgMatches) -> Result<(), crate::support::CliError> {
            let server = if ctx.mock {
                let server = ::wiremock::MockServer::start().await;
                #mock::mount_examples(&server).await;
                Some(server)
            } else {
                None
            };
            let client = match (&server, &ctx.base_url) {
                (Some(server), _) => #mock::client(server)?,
                (None, Some(url)) => #client::Client::builder().base_url(url.as_str()).build()?,
                (None, None) => #client::Client::from_env()?,
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
    let header = crate::generate::HEADER;
    let text = format!("// {header} {source}. Do not edit.\n\n{}", prettyplease::unparse(&ast));
    Ok((Path::new(DIR).join(format!("{}.rs", api.name.to_snake_case())), text))
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
    let header = crate::generate::HEADER;
    (dir.join("mod.rs"), format!("// {header} specs/*.yaml. Do not edit.\n\n{text}"))
}

fn items_pointer(pagination: &Pagination) -> &str {
    match pagination {
        Pagination::Page { items, .. } | Pagination::Offset { items, .. } | Pagination::Cursor { items, .. } => items,
    }
}

/// For an operation that may answer with a job (a JSON success variant of the type the job-status
/// operation returns): the status the job arrives with, the job operation's method and id setter, and
/// how to read the job id from the answer (`page`). The id is the answer's field named like the
/// job operation's one path parameter.
struct Follow {
    status: u16,
    method: syn::Ident,
    setter: syn::Ident,
    id: TokenStream,
}

fn job_follow(
    api: &Api,
    original: &Value,
    builders: &BTreeMap<String, Builder>,
    types: &Types,
    op: &crate::normalise::Operation,
) -> Result<Option<Follow>, String> {
    for variant in &op.success_variants {
        let VariantBody::Json(component) = &variant.body else { continue };
        let ty: Type =
            syn::parse_str(&format!("types::{}", heck::ToUpperCamelCase::to_upper_camel_case(component.as_str())))
                .map_err(|e| e.to_string())?;
        for job_op in api.operations.iter().filter(|o| o.job.is_some()) {
            let Some(job_builder) = builders.get(&job_op.id.to_snake_case()) else { continue };
            if last_ident(&job_builder.success) != last_ident(&ty) {
                continue;
            }
            let path_params: Vec<Param> =
                params(original, &job_op.path, &job_op.method).into_iter().filter(|p| p.location == "path").collect();
            let [param] = path_params.as_slice() else { continue };
            let field = param_field(&param.wire);
            let Some(pointer) = find_property(original, &format!("#/components/schemas/{component}"), &field, 3) else {
                continue;
            };
            let access = types.access(&ty, &pointer)?;
            return Ok(Some(Follow {
                status: variant.status,
                method: job_builder.method.clone(),
                setter: format_ident!("{}", field),
                id: access.by_value,
            }));
        }
    }
    Ok(None)
}

/// The JSON pointer of the first property (breadth-first, up to `depth` levels) whose field name is `field`.
fn find_property(doc: &Value, reference: &str, field: &str, depth: usize) -> Option<String> {
    let mut level = vec![(String::new(), resolve(doc, &serde_json::json!({ "$ref": reference })).clone())];
    for _ in 0..depth {
        let mut next = Vec::new();
        for (at, schema) in &level {
            for (name, property) in schema.get("properties").and_then(Value::as_object).into_iter().flatten() {
                let pointer = format!("{at}/{name}");
                if param_field(name) == field {
                    return Some(pointer);
                }
                next.push((pointer, resolve(doc, property).clone()));
            }
        }
        level = next;
    }
    None
}

/// How the answer of an operation is printed.
fn output(op: &crate::normalise::Operation, builder: &Builder, follow: Option<&Follow>) -> Result<TokenStream, String> {
    if op.success_variants.is_empty() {
        let success = &builder.success;
        return Ok(match last_ident(success).as_deref() {
            Some("ByteStream") => quote! { crate::support::write_stream(out, answer).await },
            _ if quote!(#success).to_string().replace(' ', "") == "()" => quote! { let () = answer; Ok(()) },
            _ => quote! { crate::support::print_json(out, &answer) },
        });
    }
    let enum_name = format_ident!("{}Success", op.id.to_upper_camel());
    let arms = op.success_variants.iter().map(|v| {
        // The model's name: the spec may rename a variant (`x-affiliate-success-variants`).
        let variant = format_ident!("{}", v.name);
        match &v.body {
            VariantBody::Empty => quote! { types::#enum_name::#variant => Ok(()), },
            VariantBody::Raw => {
                quote! { types::#enum_name::#variant(body) => crate::support::write_stream(out, body).await, }
            }
            VariantBody::Json(_) => match follow.filter(|f| f.status == v.status) {
                Some(Follow { method, setter, id, .. }) => quote! {
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

trait UpperCamel {
    fn to_upper_camel(&self) -> String;
}

impl UpperCamel for String {
    fn to_upper_camel(&self) -> String {
        heck::ToUpperCamelCase::to_upper_camel_case(self.as_str())
    }
}

/// The type a flag's text is parsed into: the setter's type (the CLI depends on the crates of
/// foreign ones, chrono and uuid).
fn parse_type(ty: &Type) -> TokenStream {
    let q = if foreign(ty) { ty.clone() } else { qualify(ty) };
    quote! { #q }
}

struct Param {
    wire: String,
    location: String,
    description: String,
}

fn params(doc: &Value, path: &str, method: &str) -> Vec<Param> {
    let Some((item, op)) = operation(doc, path, method) else { return Vec::new() };
    let mut out = Vec::new();
    for list in [item.get("parameters"), op.get("parameters")].into_iter().flatten() {
        for p in list.as_array().into_iter().flatten() {
            let p = resolve(doc, p);
            let text = |k: &str| p.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
            let description = text("description").lines().next().unwrap_or_default().trim().to_string();
            out.push(Param { wire: text("name"), location: text("in"), description });
        }
    }
    out
}
