//! The Surface: one typed model of an API as its generated client exposes it, read once.
//!
//! It joins the three views of an API: the model (`model.rs`: spec facts and extensions), the spec
//! as written (summaries, parameter docs, examples, response links) and progenitor's
//! post-processed output (method, builder, field and type names). The glue, mock and CLI emitters
//! are functions of a `Surface`; none of them reads spec JSON or generated code again. Every name
//! is the naming authority's (`naming.rs`) and is checked here against the generated code: a
//! join that fails is a spec error with the pointer of what could not be found.

use std::collections::BTreeMap;

use proc_macro2::TokenStream;
use quote::format_ident;
use serde_json::Value;
use syn::{Ident, Type};

use crate::model::{Api, Operation, VariantBody};
use crate::naming;
use crate::rewrite::{result_ok, unwrap_option, Builder, Types};
use crate::spec::{escape, pointer};

/// One API as the client crate exposes it.
pub struct Surface {
    pub api: Api,
    /// `affiliate-<name>`.
    pub client_crate: String,
    /// The spec's path as shown in headers and docs (`specs/<name>.yaml`).
    pub source: String,
    /// The generated data types, for resolving JSON pointers to field accesses.
    pub types: Types,
    /// In spec order.
    pub operations: Vec<OperationSurface>,
}

/// One operation: what the spec says and what the client calls it.
pub struct OperationSurface {
    /// The spec's facts and extensions.
    pub spec: Operation,
    /// JSON pointer of the operation (`/paths/~1partners/get`).
    pub pointer: String,
    pub summary: String,
    /// The description, or the summary when there is none.
    pub description: String,
    /// The `Client` method.
    pub method: Ident,
    /// The operation builder struct.
    pub builder: Ident,
    /// `T` of the `ResponseValue<T>` that `send` returns (the raw answer for success variants).
    pub success: Type,
    /// Parameters in the order the spec lists them (path-level ones after the operation's own).
    pub params: Vec<Param>,
    /// The JSON request body's type (`types::X`), when the body is JSON.
    pub json_body: Option<Type>,
    /// Every documented response with a numeric status, by status.
    pub answers: Vec<Answer>,
    /// `<Method>Success`, for operations with success variants.
    pub success_enum: Option<Ident>,
    /// The job-status operation a success answer links to (an OpenAPI response `link`).
    pub job_link: Option<JobLink>,
}

/// Where a parameter goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    Path,
    Query,
    Header,
}

impl Location {
    pub fn as_str(self) -> &'static str {
        match self {
            Location::Path => "path",
            Location::Query => "query",
            Location::Header => "header",
        }
    }
}

/// One parameter and its builder setter.
pub struct Param {
    /// The name on the wire (`currency[]`, `self`).
    pub wire: String,
    pub location: Location,
    /// The first line of its description.
    pub description: String,
    /// The builder field and setter (`currency`, `self_`).
    pub field: Ident,
    /// The setter's value type (`Option<T>` when the parameter is optional).
    pub value: Type,
    pub required: bool,
}

/// One documented answer.
pub struct Answer {
    pub status: u16,
    /// The first media type, `None` for a body-less answer.
    pub media_type: Option<String>,
    /// The example body as text (JSON re-serialised; other media types verbatim).
    pub example: Option<String>,
}

/// A success answer that carries a job: which job-status operation to poll, with what.
pub struct JobLink {
    /// The success status that carries the job.
    pub status: u16,
    /// The job-status operation's client method and the setter of its parameter.
    pub method: Ident,
    pub setter: Ident,
    /// `Option<T>` of the job id, read from `page` (the answer's body, by value).
    pub id: TokenStream,
}

impl Surface {
    /// A plain-text listing of everything the emitters read: the contract between progenitor's
    /// output and this generator, snapshotted per fixture so a progenitor upgrade that renames
    /// anything shows up as a diff here first.
    pub fn describe(&self) -> String {
        use quote::ToTokens;
        let ty = |t: &Type| t.to_token_stream().to_string().replace(' ', "");
        let mut out = format!("api {} ({}) -> {}\n", self.api.name, self.api.title, self.client_crate);
        for scheme in &self.api.security {
            out.push_str(&format!("  scheme {scheme:?}\n"));
        }
        for alternative in &self.api.requirements {
            out.push_str(&format!("  requirement [{}]\n", alternative.join(", ")));
        }
        for op in &self.operations {
            let spec = &op.spec;
            out.push_str(&format!(
                "{} {} {} -> Client::{} / builder::{} -> {}\n",
                spec.id,
                spec.method.to_uppercase(),
                spec.path,
                op.method,
                op.builder,
                ty(&op.success)
            ));
            for p in &op.params {
                out.push_str(&format!(
                    "  {} {} `{}` -> .{}({}){}\n",
                    if p.required { "required" } else { "optional" },
                    p.location.as_str(),
                    p.wire,
                    p.field,
                    ty(&p.value),
                    if p.field != naming::field(&p.wire) { " (renamed)" } else { "" }
                ));
            }
            if let Some(body) = &op.json_body {
                out.push_str(&format!("  body {}\n", ty(body)));
            }
            if let Some(media) = &spec.body_media_type {
                out.push_str(&format!("  raw body sent as {media}\n"));
            }
            let statuses: Vec<String> = op.answers.iter().map(|a| a.status.to_string()).collect();
            out.push_str(&format!("  answers [{}]\n", statuses.join(", ")));
            if let Some(e) = &op.success_enum {
                let variants: Vec<String> =
                    spec.success_variants.iter().map(|v| format!("{} {}", v.status, v.name)).collect();
                out.push_str(&format!("  success {e} [{}]\n", variants.join(", ")));
            }
            if let Some(link) = &op.job_link {
                out.push_str(&format!("  {} links to Client::{}().{}(..)\n", link.status, link.method, link.setter));
            }
            let flags: Vec<&str> = [
                (spec.idempotent, "idempotent"),
                (spec.anonymous, "anonymous"),
                (spec.pagination.is_some(), "paged"),
                (spec.job.is_some(), "job"),
            ]
            .iter()
            .filter(|(on, _)| *on)
            .map(|(_, name)| *name)
            .collect();
            if !flags.is_empty() {
                out.push_str(&format!("  {}\n", flags.join(", ")));
            }
        }
        out
    }
}

/// (JSON pointer, message) of every join that failed.
pub type Problems = Vec<(String, String)>;

/// Reads the Surface of one API from its model, its spec as written and the post-processed client.
pub fn read(
    api: Api,
    original: &Value,
    builders: &BTreeMap<String, Builder>,
    types: Types,
    client_crate: &str,
    source: &str,
) -> Result<Surface, Problems> {
    let mut problems = Problems::new();
    let mut operations = Vec::new();
    for op in &api.operations {
        match operation(op, original, builders, &mut problems) {
            Some(surface) => operations.push(surface),
            None => continue,
        }
    }
    let mut surface =
        Surface { api, client_crate: client_crate.to_string(), source: source.to_string(), types, operations };
    let links: Vec<(usize, JobLink)> = (0..surface.operations.len())
        .filter_map(|i| job_link(&surface, i, original, &mut problems).map(|link| (i, link)))
        .collect();
    for (i, link) in links {
        surface.operations[i].job_link = Some(link);
    }
    if problems.is_empty() {
        Ok(surface)
    } else {
        Err(problems)
    }
}

fn operation(
    op: &Operation,
    original: &Value,
    builders: &BTreeMap<String, Builder>,
    problems: &mut Problems,
) -> Option<OperationSurface> {
    let at = pointer(&["paths", &op.path, &op.method]);
    let builder_name = naming::builder(&op.rust);
    let Some(builder) = builders.get(&builder_name) else {
        problems.push((at, format!("progenitor generated no builder `{builder_name}` for `{}`", op.id)));
        return None;
    };
    if builder.method != op.rust.as_str() {
        problems
            .push((at, format!("progenitor named the method of `{}` `{}`, not `{}`", op.id, builder.method, op.rust)));
        return None;
    }
    let item = original.get("paths").and_then(|p| p.get(&op.path));
    let spec_op = item.and_then(|i| i.get(&op.method)).cloned().unwrap_or(Value::Null);
    let text = |key: &str| spec_op.get(key).and_then(Value::as_str).unwrap_or_default().trim().to_string();
    let summary = text("summary");
    let description = Some(text("description")).filter(|d| !d.is_empty()).unwrap_or_else(|| summary.clone());

    // The operation's own parameters win over the path item's of the same name and location.
    let mut listed: Vec<(String, Value)> = Vec::new();
    for (list, list_at) in [
        (spec_op.get("parameters"), format!("{at}/parameters")),
        (item.and_then(|i| i.get("parameters")), format!("{}/parameters", pointer(&["paths", &op.path]))),
    ] {
        for (i, p) in list.and_then(Value::as_array).into_iter().flatten().enumerate() {
            let p = resolve(original, p).clone();
            let key = |p: &Value| (p.get("name").cloned(), p.get("in").cloned());
            if !listed.iter().any(|(_, q)| key(q) == key(&p)) {
                listed.push((format!("{list_at}/{i}"), p));
            }
        }
    }
    let mut params = Vec::new();
    for (param_at, p) in listed {
        let wire = p.get("name").and_then(Value::as_str).unwrap_or_default().to_string();
        let location = match p.get("in").and_then(Value::as_str) {
            Some("path") => Location::Path,
            Some("query") => Location::Query,
            Some("header") => Location::Header,
            _ => continue,
        };
        let field = match op.renamed.iter().find(|r| r.wire == wire && r.location == location.as_str()) {
            Some(renamed) => renamed.alias.clone(),
            None => naming::field(&wire),
        };
        let Some((_, ty)) = builder.fields.iter().find(|(name, _)| *name == field) else {
            problems.push((param_at, format!("progenitor generated no setter `{field}` for parameter `{wire}`")));
            continue;
        };
        let Some(value) = result_ok(ty) else {
            problems.push((param_at, format!("the setter `{field}` holds an unexpected type")));
            continue;
        };
        let description = p
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .lines()
            .next()
            .unwrap_or_default()
            .trim()
            .to_string();
        let required = unwrap_option(&value).is_none();
        params.push(Param { wire, location, description, field: format_ident!("{field}"), value, required });
    }
    // The builder's order (progenitor's: path parameters as the template has them, then the rest).
    params.sort_by_key(|p| builder.fields.iter().position(|(name, _)| p.field == name));
    let json_body = builder.fields.iter().find(|(name, _)| name == "body").and_then(|(_, ty)| body_type(ty));
    let success_enum = (!op.success_variants.is_empty()).then(|| format_ident!("{}", naming::success_enum(&op.rust)));
    Some(OperationSurface {
        spec: op.clone(),
        pointer: at,
        summary,
        description,
        method: builder.method.clone(),
        builder: builder.name.clone(),
        success: builder.success.clone(),
        params,
        json_body,
        answers: answers(original, &spec_op),
        success_enum,
        job_link: None,
    })
}

/// `types::X` for a body field typed `Result<types::builder::X, String>`, or `Result<types::X, String>`
/// for a body type without a builder (a `oneOf`, such as an enum tagged by a property): JSON bodies only.
fn body_type(ty: &Type) -> Option<Type> {
    let inner = result_ok(ty)?;
    let Type::Path(p) = &inner else { return None };
    let names: Vec<String> = p.path.segments.iter().map(|s| s.ident.to_string()).collect();
    match names.as_slice() {
        [types, builder, name] if types == "types" && builder == "builder" => {
            syn::parse_str(&format!("types::{name}")).ok()
        }
        [types, _] if types == "types" => Some(inner.clone()),
        _ => None,
    }
}

/// Follows `$ref`s (a few hops at most) within the document.
fn resolve<'a>(doc: &'a Value, mut value: &'a Value) -> &'a Value {
    for _ in 0..8 {
        let Some(reference) = value.get("$ref").and_then(Value::as_str) else { break };
        match doc.pointer(reference.trim_start_matches('#')) {
            Some(target) => value = target,
            None => break,
        }
    }
    value
}

/// Every numbered response of the operation with its first media type and example.
fn answers(doc: &Value, op: &Value) -> Vec<Answer> {
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

/// The job link of operation `i`: a JSON success variant whose response has an OpenAPI `link` to
/// an operation with `x-affiliate-job`, passing one parameter from the body
/// (`parameters: {jobId: $response.body#/job/job_id}`).
fn job_link(surface: &Surface, i: usize, original: &Value, problems: &mut Problems) -> Option<JobLink> {
    let op = &surface.operations[i];
    for variant in &op.spec.success_variants {
        let VariantBody::Json(component) = &variant.body else { continue };
        let response_at = format!("{}/responses/{}", op.pointer, variant.status);
        let Some(response) = original.pointer(&response_at).map(|r| resolve(original, r)) else { continue };
        for (name, link) in response.get("links").and_then(Value::as_object).into_iter().flatten() {
            let link = resolve(original, link);
            let link_at = format!("{response_at}/links/{}", escape(name));
            let Some(target_id) = link.get("operationId").and_then(Value::as_str) else { continue };
            let Some(target) = surface.operations.iter().find(|o| o.spec.id == target_id || o.spec.rust == target_id)
            else {
                problems.push((format!("{link_at}/operationId"), format!("no operation `{target_id}`")));
                continue;
            };
            if target.spec.job.is_none() {
                continue; // A link to something else: documentation only.
            }
            let parameters: Vec<(&String, &Value)> =
                link.get("parameters").and_then(Value::as_object).into_iter().flatten().collect();
            let [(param, expression)] = parameters.as_slice() else {
                problems.push((format!("{link_at}/parameters"), "a job link passes exactly one parameter".into()));
                continue;
            };
            let Some(body_pointer) = expression.as_str().and_then(|e| e.strip_prefix("$response.body#")) else {
                problems.push((
                    format!("{link_at}/parameters/{}", escape(param)),
                    "the job id must come from the body: `$response.body#/json/pointer`".into(),
                ));
                continue;
            };
            let Some(setter) = target.params.iter().find(|p| p.wire == **param) else {
                problems.push((
                    format!("{link_at}/parameters/{}", escape(param)),
                    format!("`{param}` is not a parameter of `{target_id}`"),
                ));
                continue;
            };
            let ty: Type = match syn::parse_str(&format!("types::{}", naming::type_name(component))) {
                Ok(ty) => ty,
                Err(e) => {
                    problems.push((link_at, e.to_string()));
                    continue;
                }
            };
            match surface.types.access(&ty, body_pointer) {
                Ok(access) => {
                    return Some(JobLink {
                        status: variant.status,
                        method: target.method.clone(),
                        setter: setter.field.clone(),
                        id: access.by_value,
                    })
                }
                Err(e) => problems.push((format!("{link_at}/parameters/{}", escape(param)), e)),
            }
        }
    }
    None
}
