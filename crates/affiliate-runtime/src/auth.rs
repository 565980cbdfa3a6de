//! Credentials and the headers they become. Secrets never appear in `Debug` output, and the headers
//! carrying them are marked sensitive so HTTP-level logging redacts them too.

use std::fmt;

use base64::Engine as _;
use reqwest::header::{HeaderName, HeaderValue};
use secrecy::{ExposeSecret, SecretString};

use crate::api::{ApiDescriptor, SecurityScheme};
use crate::error::{Error, Result};

/// A secret string (token, key, password) whose `Debug` is `[REDACTED]`.
#[derive(Clone)]
pub struct Secret(SecretString);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(SecretString::from(value.into()))
    }

    pub(crate) fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[REDACTED]")
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Secret::new(value)
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret::new(value)
    }
}

/// A credential given in code, for one security scheme.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Credential {
    /// A bearer token or an API key.
    Token(Secret),
    /// HTTP Basic credentials.
    Basic {
        /// The user name (an application key, for some APIs).
        username: Secret,
        /// The password (a user API key, for some APIs).
        password: Secret,
    },
}

/// What the API uses, in plain words, for errors about credentials of another kind:
/// "<title> uses bearer auth: use bearer_token(..) or <ENV>".
fn what_the_api_uses(api: &ApiDescriptor) -> String {
    if api.security.is_empty() {
        return format!("{} takes no credentials", api.title);
    }
    let each = api
        .security
        .iter()
        .map(|scheme| match scheme {
            SecurityScheme::Bearer { env, .. } => format!("bearer auth: use bearer_token(..) or {env}"),
            SecurityScheme::Basic { env_username, env_password, .. } => {
                format!("HTTP Basic auth: use basic_auth(..) or {env_username} and {env_password}")
            }
            SecurityScheme::ApiKey { header, env, .. } => {
                format!("an API key in the {header} header: use api_key(\"{header}\", ..) or {env}")
            }
            SecurityScheme::ApiKeyQuery { param, env, .. } => {
                format!("an API key in the `{param}` query parameter: use api_key(\"{param}\", ..) or {env}")
            }
        })
        .collect::<Vec<_>>();
    format!("{} uses {}", api.title, each.join("; and "))
}

/// The builder's name for a credential its method could not match to any of the API's schemes;
/// `build()` reports it as a credential of the wrong kind.
pub(crate) const UNMATCHED: &str = "";

/// Resolved credentials: sensitive headers, and query parameters for APIs that take a key there.
// `Debug` is safe: header values are marked sensitive and `Secret` prints redacted.
#[derive(Debug, Clone, Default)]
pub(crate) struct Auth {
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub query: Vec<(&'static str, Secret)>,
}

/// Resolves a credential for every scheme (code first, then the environment) into header pairs
/// and query parameters. A credential given for no scheme of the API (a basic-auth pair for a
/// bearer API) is an error, not silently dropped.
pub(crate) fn resolve(
    api: &ApiDescriptor,
    given: &[(String, Credential)],
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Auth> {
    let schemes = api.security;
    if let Some((name, _)) = given.iter().find(|(name, _)| !schemes.iter().any(|s| s.name() == name)) {
        let uses = what_the_api_uses(api);
        return Err(Error::Config(if name == UNMATCHED {
            uses
        } else {
            format!("{uses} (it has no scheme or header named `{name}`)")
        }));
    }
    let from_env = |scheme: &SecurityScheme, var: &str| -> Result<Secret> {
        env(var)
            .filter(|v| !v.trim().is_empty())
            .map(Secret::new)
            .ok_or_else(|| Error::MissingCredential { scheme: scheme.name().to_string(), env: var.to_string() })
    };
    let mut auth = Auth::default();
    for scheme in schemes {
        let given = given.iter().find(|(name, _)| name == scheme.name()).map(|(_, c)| c);
        let (name, value) = match (scheme, given) {
            (SecurityScheme::ApiKeyQuery { param, .. }, Some(Credential::Token(key))) => {
                auth.query.push((param, key.clone()));
                continue;
            }
            (SecurityScheme::ApiKeyQuery { param, env, .. }, None) => {
                auth.query.push((param, from_env(scheme, env)?));
                continue;
            }
            (SecurityScheme::Bearer { .. }, Some(Credential::Token(token))) => bearer(token),
            (SecurityScheme::Bearer { env, .. }, None) => bearer(&from_env(scheme, env)?),
            (SecurityScheme::Basic { .. }, Some(Credential::Basic { username, password })) => basic(username, password),
            (SecurityScheme::Basic { env_username, env_password, .. }, None) => {
                basic(&from_env(scheme, env_username)?, &from_env(scheme, env_password)?)
            }
            (SecurityScheme::ApiKey { header, .. }, Some(Credential::Token(key))) => {
                (header.to_string(), key.expose().to_string())
            }
            (SecurityScheme::ApiKey { header, env, .. }, None) => {
                (header.to_string(), from_env(scheme, env)?.expose().to_string())
            }
            (_, Some(_)) => return Err(Error::Config(what_the_api_uses(api))),
        };
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| Error::Config(format!("`{name}` is not a valid header name")))?;
        // The error must not echo the value: it is a secret.
        let mut value = HeaderValue::from_str(&value).map_err(|_| {
            Error::Config(format!("the credential for `{}` contains characters not allowed in a header", scheme.name()))
        })?;
        value.set_sensitive(true);
        auth.headers.push((name, value));
    }
    Ok(auth)
}

fn bearer(token: &Secret) -> (String, String) {
    ("authorization".to_string(), format!("Bearer {}", token.expose()))
}

fn basic(username: &Secret, password: &Secret) -> (String, String) {
    let encoded =
        base64::engine::general_purpose::STANDARD.encode(format!("{}:{}", username.expose(), password.expose()));
    ("authorization".to_string(), format!("Basic {encoded}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const BEARER: SecurityScheme = SecurityScheme::Bearer { name: "token", env: "T_TOKEN" };
    const BASIC: SecurityScheme =
        SecurityScheme::Basic { name: "basicAuth", env_username: "T_APP_KEY", env_password: "T_USER_KEY" };
    const KEY: SecurityScheme = SecurityScheme::ApiKey { name: "apiKey", header: "X-Api-Key", env: "T_KEY" };
    const SECRET: SecurityScheme =
        SecurityScheme::ApiKey { name: "apiSecret", header: "X-Api-Secret", env: "T_SECRET" };
    const QUERY: SecurityScheme = SecurityScheme::ApiKeyQuery { name: "queryKey", param: "api_key", env: "T_QKEY" };

    fn check(
        schemes: &'static [SecurityScheme],
        given: &[(&str, Credential)],
        env: &[(&str, &str)],
        expected: std::result::Result<&[(&str, &str)], &str>,
    ) {
        let given: Vec<(String, Credential)> = given.iter().map(|(n, c)| (n.to_string(), c.clone())).collect();
        let env: Vec<(String, String)> = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let lookup = move |name: &str| env.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
        let api = ApiDescriptor {
            name: "test",
            title: "Test API",
            crate_name: "affiliate-test",
            crate_version: "0.0.0",
            default_base_url: "https://api.example.com",
            security: schemes,
            idempotent_operations: &[],
            anonymous_operations: &[],
            body_errors: &[],
            url_templates: &[],
            rate_limit: None,
            idempotency_headers: &[],
        };
        // Query parameters are listed as `?name`.
        match (resolve(&api, &given, &lookup), expected) {
            (Ok(Auth { headers, query }), Ok(expected)) => {
                let got: Vec<(String, String)> = headers
                    .iter()
                    .map(|(n, v)| (n.to_string(), v.to_str().unwrap().to_string()))
                    .chain(query.iter().map(|(n, v)| (format!("?{n}"), v.expose().to_string())))
                    .collect();
                let want: Vec<(String, String)> =
                    expected.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect();
                assert_eq!(got, want);
                assert!(headers.iter().all(|(_, v)| v.is_sensitive()), "auth headers are marked sensitive");
            }
            (Err(error), Err(fragment)) => assert!(error.to_string().contains(fragment), "{error}"),
            (got, want) => panic!("got {got:?}, want {want:?}"),
        }
    }

    #[test]
    fn credentials_become_headers() {
        let token = |t: &str| Credential::Token(Secret::new(t));
        check(&[BEARER], &[("token", token("abc"))], &[("T_TOKEN", "env")], Ok(&[("authorization", "Bearer abc")]));
        check(&[BEARER], &[], &[("T_TOKEN", "from-env")], Ok(&[("authorization", "Bearer from-env")]));
        check(&[BEARER], &[], &[], Err("set the environment variable T_TOKEN"));
        check(&[BEARER], &[], &[("T_TOKEN", "  ")], Err("T_TOKEN"));
        check(
            &[BASIC],
            &[("basicAuth", Credential::Basic { username: Secret::new("app"), password: Secret::new("user") })],
            &[],
            Ok(&[("authorization", "Basic YXBwOnVzZXI=")]),
        );
        check(&[BASIC], &[], &[("T_APP_KEY", "app")], Err("T_USER_KEY"));
        check(
            &[KEY, SECRET],
            &[("apiKey", token("k"))],
            &[("T_SECRET", "s")],
            Ok(&[("x-api-key", "k"), ("x-api-secret", "s")]),
        );
        check(&[KEY, SECRET], &[("apiKey", token("k"))], &[], Err("T_SECRET"));
        let basic_pair = || Credential::Basic { username: Secret::new("u"), password: Secret::new("p") };
        check(
            &[BASIC],
            &[("basicAuth", token("x"))],
            &[],
            Err("Test API uses HTTP Basic auth: use basic_auth(..) or T_APP_KEY and T_USER_KEY"),
        );
        check(
            &[BEARER],
            &[(UNMATCHED, basic_pair())],
            &[("T_TOKEN", "t")],
            Err("Test API uses bearer auth: use bearer_token(..) or T_TOKEN"),
        );
        check(
            &[BEARER],
            &[("Authorization", token("k"))],
            &[("T_TOKEN", "t")],
            Err("Test API uses bearer auth: use bearer_token(..) or T_TOKEN (it has no scheme or header named `Authorization`)"),
        );
        check(
            &[KEY, SECRET],
            &[(UNMATCHED, token("t"))],
            &[],
            Err(
                r#"uses an API key in the X-Api-Key header: use api_key("X-Api-Key", ..) or T_KEY; and an API key in the X-Api-Secret header"#,
            ),
        );
        check(&[], &[(UNMATCHED, token("t"))], &[], Err("Test API takes no credentials"));
        check(&[BEARER], &[("token", token("bad\nvalue"))], &[], Err("not allowed in a header"));
        check(&[], &[], &[], Ok(&[]));
        check(&[QUERY], &[("queryKey", token("q"))], &[], Ok(&[("?api_key", "q")]));
        check(&[QUERY, KEY], &[], &[("T_QKEY", "qe"), ("T_KEY", "k")], Ok(&[("x-api-key", "k"), ("?api_key", "qe")]));
        check(&[QUERY], &[], &[], Err("T_QKEY"));
        check(
            &[QUERY],
            &[(UNMATCHED, token("t"))],
            &[],
            Err(r#"uses an API key in the `api_key` query parameter: use api_key("api_key", ..) or T_QKEY"#),
        );
    }

    #[test]
    fn secrets_are_redacted_in_debug() {
        let credential = Credential::Basic { username: Secret::new("app-key-123"), password: Secret::new("pw-456") };
        let debug = format!("{credential:?}");
        assert!(!debug.contains("app-key-123") && !debug.contains("pw-456"), "{debug}");
        assert!(debug.contains("REDACTED"));
    }
}
