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
