//! What the glue is built from: one API as the generator understands it, read from the spec and
//! its `x-affiliate-*` extensions by `normalise` (the rewrites) and `extensions` (the parsing).

/// What the glue needs to know about one API, beyond what progenitor generates.
#[derive(Debug, Clone)]
pub struct Api {
    /// The spec's file stem: `<name>` for `specs/<name>.yaml`.
    pub name: String,
    pub title: String,
    /// `servers[0].url`; `None` when the spec has no servers (the caller must set one).
    pub base_url: Option<String>,
    pub security: Vec<Scheme>,
    pub operations: Vec<Operation>,
    /// `x-affiliate-body-errors`: when a 2xx JSON body is an error after all.
    pub body_errors: Vec<BodyErrorRule>,
    /// `x-affiliate-rate-limit`: the vendor's documented request rate (`600/min`), validated.
    pub rate_limit: Option<String>,
    /// Component schemas added for `x-affiliate-lenient` fields, with the Rust type replacing each.
    pub replacements: Vec<(String, String)>,
    /// Optional, nullable properties of schemas sent in request bodies, as (component, property):
    /// these become tri-state (absent, explicit null, value) so a request can clear a field.
    pub tri_state: Vec<(String, String)>,
}

/// One rule of `x-affiliate-body-errors` (pointers are JSON pointers into the response body).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyErrorRule {
    /// `{pointer: /a/b, present: true}`: a non-null, non-empty value there.
    Present(String),
    /// `{pointer: /a/b, equals: <JSON value>}`: that value there (kept as canonical JSON text).
    Equals(String, String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scheme {
    Bearer { name: String, env: String },
    Basic { name: String, env_username: String, env_password: String },
    ApiKeyHeader { name: String, header: String, env: String },
    ApiKeyQuery { name: String, param: String, env: String },
}

#[derive(Debug, Clone)]
pub struct Operation {
    /// The spec's `operationId`.
    pub id: String,
    pub method: String,
    pub path: String,
    /// Safe to send again after a failure: GET/HEAD/PUT/DELETE/OPTIONS, or marked in the spec.
    pub idempotent: bool,
    /// `security: []` on the operation: no credentials are sent.
    pub anonymous: bool,
    /// `x-affiliate-idempotency-header`: the header carrying one key per call (`Idempotency-Key`).
    pub idempotency_header: Option<String>,
    pub pagination: Option<Pagination>,
    /// `x-affiliate-success-variants`: each 2xx status is its own variant of the answer.
    pub success_variants: Vec<SuccessVariant>,
    /// `x-affiliate-job`: this operation reports an asynchronous job's status.
    pub job: Option<Job>,
}

/// One success answer of an operation with `x-affiliate-success-variants: true`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuccessVariant {
    pub status: u16,
    /// The enum variant: `Ok`, `Accepted`... or the name the spec gives it.
    pub name: String,
    pub body: VariantBody,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VariantBody {
    Empty,
    /// Any non-JSON media type: streamed to the caller.
    Raw,
    /// JSON of a named component schema.
    Json(String),
}

/// The `x-affiliate-job` extension: pointers into the status response, and the status values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub status: String,
    pub done: Vec<String>,
    pub failed: Vec<String>,
    pub result: String,
}

/// The `x-affiliate-pagination` extension, validated. Parameter names are wire names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pagination {
    Page {
        page: String,
        size: String,
        first: u64,
        default_size: u64,
        items: String,
    },
    Offset {
        offset: String,
        limit: String,
        default_size: u64,
        items: String,
        count: Option<String>,
        next: Option<String>,
    },
    Cursor {
        cursor: String,
        limit: Option<String>,
        items: String,
        next_cursor: String,
    },
}
