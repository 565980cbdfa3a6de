//! The static description of one API that a generated crate hands to the runtime.

/// How an API authenticates, from its spec's `securitySchemes`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SecurityScheme {
    /// `Authorization: Bearer <token>`.
    Bearer { name: &'static str, env: &'static str },
    /// `Authorization: Basic base64(username:password)`.
    Basic { name: &'static str, env_username: &'static str, env_password: &'static str },
    /// A key sent in its own header; an API may require several at once.
    ApiKey { name: &'static str, header: &'static str, env: &'static str },
}

impl SecurityScheme {
    /// The scheme's name in the spec.
    pub fn name(&self) -> &'static str {
        match self {
            SecurityScheme::Bearer { name, .. }
            | SecurityScheme::Basic { name, .. }
            | SecurityScheme::ApiKey { name, .. } => name,
        }
    }
}

/// Everything the runtime needs to know about one API, written by the generator (so it is not
/// `#[non_exhaustive]`: generated crates build it with a struct expression).
#[derive(Debug)]
pub struct ApiDescriptor {
    /// The spec's file stem (`dub`).
    pub name: &'static str,
    pub title: &'static str,
    pub crate_name: &'static str,
    pub crate_version: &'static str,
    pub default_base_url: &'static str,
    /// All of these are sent on every request (one security requirement).
    pub security: &'static [SecurityScheme],
    /// Operations (snake-case ids) safe to retry whatever their method.
    pub idempotent_operations: &'static [&'static str],
    /// Operations that must be sent without credentials.
    pub anonymous_operations: &'static [&'static str],
}

impl ApiDescriptor {
    pub(crate) fn is_idempotent(&self, method: &reqwest::Method, operation: &str) -> bool {
        use reqwest::Method;
        matches!(*method, Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS)
            || self.idempotent_operations.contains(&operation)
    }
}
