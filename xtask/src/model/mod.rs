//! What the glue is built from: one API as the generator understands it, read from the spec and
//! its `x-affiliate-*` extensions by `normalise` (the rewrites) and `extensions` (the parsing).

pub mod extensions;
pub mod normalise;
pub mod paths;

/// What the glue needs to know about one API, beyond what progenitor generates.
#[derive(Debug, Clone)]
pub struct Api {
    /// The spec's file stem: `<name>` for `specs/<name>.yaml`.
    pub name: String,
    pub title: String,
    /// `servers[0].url`; `None` when the spec has no servers (the caller must set one).
    pub base_url: Option<String>,
    /// Every scheme a requirement names, in the order the spec first names them.
    pub security: Vec<Scheme>,
    /// The spec's security requirements: alternatives, each the scheme names sent together.
    pub requirements: Vec<Vec<String>>,
    pub operations: Vec<Operation>,
    /// `x-affiliate-body-errors`: when a 2xx JSON body is an error after all.
    pub body_errors: Vec<BodyErrorRule>,
    /// `x-affiliate-rate-limit`: the vendor's documented request rate (`600/min`), validated.
    pub rate_limit: Option<String>,
    /// `x-affiliate-crate-version`: the version of the generated client and mock crates.
    pub crate_version: String,
    /// Component schemas added for `x-affiliate-lenient` fields, with the Rust type replacing each.
    pub replacements: Vec<(String, String)>,
    /// Optional, nullable properties of schemas sent in request bodies, as (component, property):
    /// these become tri-state (absent, explicit null, value) so a request can clear a field.
    pub tri_state: Vec<(String, String)>,
    /// `x-affiliate-webhooks`: the signed deliveries the API sends, when the spec declares them.
    pub webhooks: Option<Webhooks>,
}

/// The `x-affiliate-webhooks` extension, validated: how deliveries are signed and which events
/// there are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhooks {
    /// The environment variable holding an endpoint's signing secret (the CLI's `verify-webhook`).
    pub env: String,
    /// JSON pointer to the event's name in a delivery (`/event`).
    pub name: String,
    /// The header carrying the signature.
    pub header: String,
    /// `hmac-sha256` or `hmac-sha512`.
    pub algorithm: String,
    /// `hex` or `base64`.
    pub encoding: String,
    /// Text before the tag in the header (`sha256=`); empty for none.
    pub prefix: String,
    pub timestamp: Option<WebhookTimestamp>,
    /// In the spec's order.
    pub events: Vec<WebhookEvent>,
}

/// One event a webhook delivers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookEvent {
    /// The wire name (`link.created`).
    pub name: String,
    /// The component schema of the whole delivery.
    pub component: String,
    /// The component's `example`, as JSON text, when it has one.
    pub example: Option<String>,
}

/// A timestamp signed with the body: the signed bytes are `before`, the timestamp, `between`, the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookTimestamp {
    pub header: String,
    pub before: String,
    pub between: String,
    /// Seconds the timestamp may be from now.
    pub tolerance: u64,
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
    Bearer {
        name: String,
        env: String,
    },
    Basic {
        name: String,
        env_username: String,
        env_password: String,
    },
    ApiKeyHeader {
        name: String,
        header: String,
        env: String,
    },
    ApiKeyQuery {
        name: String,
        param: String,
        env: String,
    },
    ApiKeyCookie {
        name: String,
        cookie: String,
        env: String,
    },
    /// OAuth2 (any flow) or OpenID Connect: a bearer token the service supplies. `token_url` and
    /// `scopes` are the client-credentials flow's, when the spec has that flow.
    OAuth2 {
        name: String,
        env: String,
        token_url: Option<String>,
        scopes: Vec<String>,
    },
}

impl Scheme {
    /// The scheme's name in `components/securitySchemes`.
    pub fn name(&self) -> &str {
        match self {
            Scheme::Bearer { name, .. }
            | Scheme::Basic { name, .. }
            | Scheme::ApiKeyHeader { name, .. }
            | Scheme::ApiKeyQuery { name, .. }
            | Scheme::ApiKeyCookie { name, .. }
            | Scheme::OAuth2 { name, .. } => name,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Operation {
    /// The spec's `operationId` as written (derived from method and path when it has none).
    pub id: String,
    /// The client method, from the naming authority (`list_partners`, `type_`); also the id the
    /// runtime's hooks receive and the key of every per-operation table in the API descriptor.
    pub rust: String,
    pub method: String,
    pub path: String,
    /// Parameters whose setter is not named after them (see `normalise::parameters`).
    pub renamed: Vec<Renamed>,
    /// The request body's media type when the generated code sends it as raw bytes under
    /// another name (`application/xml`, `multipart/form-data`).
    pub body_media_type: Option<String>,
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

/// A parameter progenitor sees under `alias` (its setter's name); `wire` is what is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Renamed {
    pub wire: String,
    /// `query` or `header` (path parameters keep their names).
    pub location: String,
    pub alias: String,
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
