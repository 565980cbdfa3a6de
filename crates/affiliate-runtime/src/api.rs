//! The static description of one API that a generated crate hands to the runtime.

/// How an API authenticates, from its spec's `securitySchemes`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SecurityScheme {
    /// `Authorization: Bearer <token>`.
    Bearer {
        /// The scheme's name in the spec.
        name: &'static str,
        /// The environment variable holding the token.
        env: &'static str,
    },
    /// `Authorization: Basic base64(username:password)`.
    Basic {
        /// The scheme's name in the spec.
        name: &'static str,
        /// The environment variable holding the user name.
        env_username: &'static str,
        /// The environment variable holding the password.
        env_password: &'static str,
    },
    /// A key sent in its own header; an API may require several at once.
    ApiKey {
        /// The scheme's name in the spec.
        name: &'static str,
        /// The header the key is sent in.
        header: &'static str,
        /// The environment variable holding the key.
        env: &'static str,
    },
    /// A key sent as a query parameter (`?api_key=...`) on every request to the API's origin.
    ApiKeyQuery {
        /// The scheme's name in the spec.
        name: &'static str,
        /// The query parameter the key is sent in.
        param: &'static str,
        /// The environment variable holding the key.
        env: &'static str,
    },
}

impl SecurityScheme {
    /// The scheme's name in the spec.
    pub fn name(&self) -> &'static str {
        match self {
            SecurityScheme::Bearer { name, .. }
            | SecurityScheme::Basic { name, .. }
            | SecurityScheme::ApiKey { name, .. }
            | SecurityScheme::ApiKeyQuery { name, .. } => name,
        }
    }
}

/// A rule that makes a success-status JSON body an error (APIs that report failures in 200 bodies).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum BodyErrorRule {
    /// The value at this JSON pointer is present, not null, and not an empty string.
    Present(&'static str),
    /// The value at this JSON pointer equals this JSON literal (`false`, `"failed"`).
    Equals(&'static str, &'static str),
}

impl BodyErrorRule {
    pub(crate) fn matches(&self, body: &serde_json::Value) -> bool {
        use serde_json::Value;
        match self {
            BodyErrorRule::Present(pointer) => match body.pointer(pointer) {
                None | Some(Value::Null) => false,
                Some(Value::String(s)) => !s.is_empty(),
                Some(_) => true,
            },
            BodyErrorRule::Equals(pointer, literal) => body
                .pointer(pointer)
                .is_some_and(|found| serde_json::from_str::<Value>(literal).is_ok_and(|want| *found == want)),
        }
    }
}

/// Everything the runtime needs to know about one API, written by the generator (so it is not
/// `#[non_exhaustive]`: generated crates build it with a struct expression).
#[derive(Debug)]
pub struct ApiDescriptor {
    /// The spec's file stem (`specs/<name>.yaml`).
    pub name: &'static str,
    /// The API's display name (`info.title`), used in messages.
    pub title: &'static str,
    /// The generated crate's name and version (for the `User-Agent`).
    pub crate_name: &'static str,
    /// The generated crate's version.
    pub crate_version: &'static str,
    /// The spec's first server; empty when the spec lists none (`base_url(..)` is then required).
    pub default_base_url: &'static str,
    /// All of these are sent on every request (one security requirement).
    pub security: &'static [SecurityScheme],
    /// Operations (snake-case ids) safe to retry whatever their method.
    pub idempotent_operations: &'static [&'static str],
    /// Operations that must be sent without credentials.
    pub anonymous_operations: &'static [&'static str],
    /// Rules under which a 2xx JSON body is an error after all (`x-affiliate-body-errors`).
    pub body_errors: &'static [BodyErrorRule],
    /// Each operation's path template as the spec writes it (`/partners/{partnerId}`), by
    /// snake-case id, for tracing (`url.template`).
    pub url_templates: &'static [(&'static str, &'static str)],
    /// The request rate the vendor documents (`x-affiliate-rate-limit`: `600/min`), the default
    /// when neither the builder nor `<API>_RATE_LIMIT` sets one.
    pub rate_limit: Option<&'static str>,
    /// Operations (snake-case ids) that take an idempotency key, with its header
    /// (`x-affiliate-idempotency-header`): the runtime sends one key per call and retries them.
    pub idempotency_headers: &'static [(&'static str, &'static str)],
}

impl ApiDescriptor {
    /// The path template of `operation`, if it is one of the spec's.
    pub fn url_template(&self, operation: &str) -> Option<&'static str> {
        self.url_templates.iter().find(|(id, _)| *id == operation).map(|(_, template)| *template)
    }

    pub(crate) fn is_idempotent(&self, method: &reqwest::Method, operation: &str) -> bool {
        use reqwest::Method;
        matches!(*method, Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS)
            || self.idempotent_operations.contains(&operation)
            || self.idempotency_header(operation).is_some()
    }

    /// The header carrying `operation`'s idempotency key, if the spec declares one.
    pub fn idempotency_header(&self, operation: &str) -> Option<&'static str> {
        self.idempotency_headers.iter().find(|(id, _)| *id == operation).map(|(_, header)| *header)
    }
}
