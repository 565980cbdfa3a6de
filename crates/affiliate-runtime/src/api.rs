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
    /// OAuth 2.0 (any flow) or OpenID Connect: `Authorization: Bearer <access token>`, the token
    /// supplied by the service: a static one (code or `env`), a
    /// [`TokenSource`](crate::TokenSource) the runtime asks again before the token expires, or,
    /// when the spec gives a client-credentials `token_url`, a client id and secret
    /// ([`ClientCredentials`](crate::ClientCredentials); from code, or from the variables
    /// [`SecurityScheme::client_credentials_env`] names).
    OAuth2 {
        /// The scheme's name in the spec.
        name: &'static str,
        /// The environment variable holding a ready access token.
        env: &'static str,
        /// The client-credentials flow's `tokenUrl`, when the spec has one (absolute, or relative
        /// to the client's base URL).
        token_url: Option<&'static str>,
        /// The scopes a client-credentials token is requested for (space-joined into `scope`;
        /// none sends no `scope`).
        scopes: &'static [&'static str],
    },
    /// A key sent as a cookie (`Cookie: <cookie>=<key>`), merged with any `Cookie` header the
    /// call already carries.
    ApiKeyCookie {
        /// The scheme's name in the spec.
        name: &'static str,
        /// The cookie the key is sent in.
        cookie: &'static str,
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
            | SecurityScheme::ApiKeyQuery { name, .. }
            | SecurityScheme::OAuth2 { name, .. }
            | SecurityScheme::ApiKeyCookie { name, .. } => name,
        }
    }

    /// For an OAuth2 scheme with a token URL: the environment variables holding the client id and
    /// secret, `<PREFIX>_CLIENT_ID` and `<PREFIX>_CLIENT_SECRET`, where `<PREFIX>` is the scheme's
    /// `env` without a trailing `_ACCESS_TOKEN` or `_TOKEN` (`ACME_TOKEN` gives `ACME_CLIENT_ID`;
    /// `ACME_OAUTH` gives `ACME_OAUTH_CLIENT_ID`). `None` for every other scheme.
    pub fn client_credentials_env(&self) -> Option<(String, String)> {
        match self {
            SecurityScheme::OAuth2 { env, token_url: Some(_), .. } => {
                let prefix = env.strip_suffix("_ACCESS_TOKEN").or_else(|| env.strip_suffix("_TOKEN")).unwrap_or(env);
                Some((format!("{prefix}_CLIENT_ID"), format!("{prefix}_CLIENT_SECRET")))
            }
            _ => None,
        }
    }

    /// Whether the scheme sends `Authorization: Bearer <token>` (a token or a token source fits it).
    pub(crate) fn is_bearer(&self) -> bool {
        matches!(self, SecurityScheme::Bearer { .. } | SecurityScheme::OAuth2 { .. })
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
    /// Every security scheme the API's requirements use.
    pub security: &'static [SecurityScheme],
    /// The spec's `security` list: alternatives, each the names of the schemes sent together. A
    /// client uses the first alternative whose credentials are all configured. Empty means one
    /// requirement made of every scheme in `security`.
    pub requirements: &'static [&'static [&'static str]],
    /// Operations (snake-case ids) safe to retry whatever their method.
    pub idempotent_operations: &'static [&'static str],
    /// Operations that must be sent without credentials.
    pub anonymous_operations: &'static [&'static str],
    /// Rules under which a 2xx JSON body is an error after all (`x-affiliate-body-errors`).
    pub body_errors: &'static [BodyErrorRule],
    /// Each operation's path template as the spec writes it (`/partners/{partnerId}`), by
    /// snake-case id, for tracing (`url.template`).
    pub url_templates: &'static [(&'static str, &'static str)],
}

impl ApiDescriptor {
    /// The security requirements a client chooses from, in the spec's order (one made of every
    /// scheme when `requirements` is empty; one empty requirement for an API without security).
    pub fn alternatives(&self) -> Vec<Vec<&'static SecurityScheme>> {
        if self.requirements.is_empty() {
            return vec![self.security.iter().collect()];
        }
        self.requirements
            .iter()
            .map(|names| names.iter().filter_map(|name| self.security.iter().find(|s| s.name() == *name)).collect())
            .collect()
    }

    /// The path template of `operation`, if it is one of the spec's.
    pub fn url_template(&self, operation: &str) -> Option<&'static str> {
        self.url_templates.iter().find(|(id, _)| *id == operation).map(|(_, template)| *template)
    }

    pub(crate) fn is_idempotent(&self, method: &reqwest::Method, operation: &str) -> bool {
        use reqwest::Method;
        matches!(*method, Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS)
            || self.idempotent_operations.contains(&operation)
    }
}
