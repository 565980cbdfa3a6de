//! Credentials and the headers they become. Secrets never appear in `Debug` output, and the headers
//! carrying them are marked sensitive so HTTP-level logging redacts them too.

use std::fmt;

use base64::Engine as _;
use reqwest::header::{HeaderName, HeaderValue};
use secrecy::{ExposeSecret, SecretString};

use crate::api::SecurityScheme;
use crate::error::{Error, Result};

/// A secret string (token, key, password) whose `Debug` is `[REDACTED]`.
#[derive(Clone)]
pub struct Secret(SecretString);

impl Secret {
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
    Token(Secret),
    Basic { username: Secret, password: Secret },
}

/// Resolves a credential for every scheme (code first, then the environment) into header pairs.
pub(crate) fn resolve_headers(
    schemes: &[SecurityScheme],
    given: &[(String, Credential)],
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<(HeaderName, HeaderValue)>> {
    let from_env = |scheme: &SecurityScheme, var: &str| -> Result<Secret> {
        env(var)
            .filter(|v| !v.trim().is_empty())
            .map(Secret::new)
            .ok_or_else(|| Error::MissingCredential { scheme: scheme.name().to_string(), env: var.to_string() })
    };
    let mut headers = Vec::new();
    for scheme in schemes {
        let given = given.iter().find(|(name, _)| name == scheme.name()).map(|(_, c)| c);
        let (name, value) = match (scheme, given) {
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
            (_, Some(_)) => {
                return Err(Error::Config(format!("the credential for `{}` is of the wrong kind", scheme.name())));
            }
        };
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| Error::Config(format!("`{name}` is not a valid header name")))?;
        // The error must not echo the value: it is a secret.
        let mut value = HeaderValue::from_str(&value).map_err(|_| {
            Error::Config(format!("the credential for `{}` contains characters not allowed in a header", scheme.name()))
        })?;
        value.set_sensitive(true);
        headers.push((name, value));
    }
    Ok(headers)
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

    fn check(
        schemes: &[SecurityScheme],
        given: &[(&str, Credential)],
        env: &[(&str, &str)],
        expected: std::result::Result<&[(&str, &str)], &str>,
    ) {
        let given: Vec<(String, Credential)> = given.iter().map(|(n, c)| (n.to_string(), c.clone())).collect();
        let env: Vec<(String, String)> = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let lookup = move |name: &str| env.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
        match (resolve_headers(schemes, &given, &lookup), expected) {
            (Ok(headers), Ok(expected)) => {
                let got: Vec<(String, String)> =
                    headers.iter().map(|(n, v)| (n.to_string(), v.to_str().unwrap().to_string())).collect();
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
        check(&[BASIC], &[("basicAuth", token("x"))], &[], Err("wrong kind"));
        check(&[BEARER], &[("token", token("bad\nvalue"))], &[], Err("not allowed in a header"));
        check(&[], &[], &[], Ok(&[]));
    }

    #[test]
    fn secrets_are_redacted_in_debug() {
        let credential = Credential::Basic { username: Secret::new("app-key-123"), password: Secret::new("pw-456") };
        let debug = format!("{credential:?}");
        assert!(!debug.contains("app-key-123") && !debug.contains("pw-456"), "{debug}");
        assert!(debug.contains("REDACTED"));
    }
}
