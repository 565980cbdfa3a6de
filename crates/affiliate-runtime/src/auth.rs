//! Credentials and the headers they become. Secrets never appear in `Debug` output, and the headers
//! carrying them are marked sensitive so HTTP-level logging redacts them too.

use std::fmt;
use std::sync::Arc;

use crate::secret::Secret;
use base64::Engine as _;
use reqwest::header::{HeaderName, HeaderValue};

use crate::api::{ApiDescriptor, SecurityScheme};
use crate::error::{Error, Result};
use crate::token::{ClientCredentials, TokenSource, Tokens};

/// A credential given in code, for one security scheme.
#[derive(Clone)]
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
    /// Bearer tokens that expire, for a bearer or OAuth2 scheme: asked for again before expiry.
    TokenSource(Arc<dyn TokenSource>),
    /// A client id and secret for an OAuth2 scheme whose spec gives a client-credentials token
    /// URL: the runtime runs [`ClientCredentials`] against it.
    ClientCredentials {
        /// The OAuth client id.
        client_id: String,
        /// The OAuth client secret.
        client_secret: Secret,
    },
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credential::Token(token) => f.debug_tuple("Token").field(token).finish(),
            Credential::Basic { username, password } => {
                f.debug_struct("Basic").field("username", username).field("password", password).finish()
            }
            Credential::TokenSource(_) => f.write_str("TokenSource(..)"),
            Credential::ClientCredentials { client_id, client_secret } => f
                .debug_struct("ClientCredentials")
                .field("client_id", client_id)
                .field("client_secret", client_secret)
                .finish(),
        }
    }
}

/// One scheme in plain words with how to configure it, for errors about credentials of another
/// kind: "bearer auth: use bearer_token(..) or <ENV>".
fn how_to_configure(scheme: &SecurityScheme) -> String {
    match scheme {
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
        SecurityScheme::ApiKeyCookie { cookie, env, .. } => {
            format!("an API key in the `{cookie}` cookie: use api_key(\"{cookie}\", ..) or {env}")
        }
        SecurityScheme::OAuth2 { env, .. } => match scheme.client_credentials_env() {
            Some((id, secret)) => format!(
                "OAuth2 bearer tokens: use bearer_token(..), token_source(..), client_credentials(..), \
                 or {env}, or {id} and {secret}"
            ),
            None => format!("OAuth2 bearer tokens: use bearer_token(..), token_source(..) or {env}"),
        },
    }
}

/// What the API uses, in plain words, for errors about credentials of another kind:
/// "<title> uses bearer auth: use bearer_token(..) or <ENV>".
fn what_the_api_uses(api: &ApiDescriptor) -> String {
    if api.security.is_empty() {
        return format!("{} takes no credentials", api.title);
    }
    let each = api.security.iter().map(how_to_configure).collect::<Vec<_>>();
    let joiner = if api.requirements.len() > 1 { "; or " } else { "; and " };
    format!("{} uses {}", api.title, each.join(joiner))
}

/// The environment variables one scheme reads, for the missing-credential message.
fn variables(scheme: &SecurityScheme) -> String {
    match scheme {
        SecurityScheme::Basic { env_username, env_password, .. } => format!("{env_username} and {env_password}"),
        SecurityScheme::OAuth2 { env, .. } => match scheme.client_credentials_env() {
            Some((id, secret)) => format!("{env} (or {id} and {secret})"),
            None => env.to_string(),
        },
        SecurityScheme::Bearer { env, .. }
        | SecurityScheme::ApiKey { env, .. }
        | SecurityScheme::ApiKeyQuery { env, .. }
        | SecurityScheme::ApiKeyCookie { env, .. } => env.to_string(),
    }
}

/// One requirement in plain words: "`key` and `secret`: G_KEY and G_SECRET".
fn describe(requirement: &[&SecurityScheme]) -> String {
    let names = requirement.iter().map(|s| format!("`{}`", s.name())).collect::<Vec<_>>().join(" and ");
    let variables = requirement.iter().map(|s| variables(s)).collect::<Vec<_>>().join(" and ");
    format!("{names}: {variables}")
}

/// The builder's name for a credential its method could not match to any of the API's schemes;
/// `build()` reports it as a credential of the wrong kind.
pub(crate) const UNMATCHED: &str = "";

/// Resolved credentials: sensitive headers, query parameters and cookies for APIs that take a key
/// there, and the token cache of a scheme whose bearer tokens expire.
// `Debug` is safe: header values are marked sensitive and `Secret` prints redacted.
#[derive(Debug, Clone, Default)]
pub(crate) struct Auth {
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub query: Vec<(&'static str, Secret)>,
    pub cookies: Vec<(&'static str, Secret)>,
    pub tokens: Option<Arc<Tokens>>,
}

/// What one scheme contributes to a request.
enum Piece {
    Header(String, String),
    Query(&'static str, Secret),
    Cookie(&'static str, Secret),
    Source(Arc<dyn TokenSource>),
}

/// Resolves the credentials of the first security requirement that has them all (code first,
/// then the environment) into header pairs, query parameters, cookies and a token source.
///
/// Credentials given in code narrow the choice to the requirements that use every one of them
/// (a token given in code wins over an API key in the environment). A credential given for no
/// scheme of the API (a basic-auth pair for a bearer API), or for schemes no requirement uses
/// together, is an error, not silently dropped. `base` resolves a relative token URL.
pub(crate) fn resolve(
    api: &ApiDescriptor,
    given: &[(String, Credential)],
    env: &dyn Fn(&str) -> Option<String>,
    base: &reqwest::Url,
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
    let candidates: Vec<Vec<&SecurityScheme>> = api
        .alternatives()
        .into_iter()
        .filter(|requirement| given.iter().all(|(name, _)| requirement.iter().any(|s| s.name() == name)))
        .collect();
    if candidates.is_empty() {
        let names = given.iter().map(|(name, _)| format!("`{name}`")).collect::<Vec<_>>().join(" and ");
        let each = api.alternatives().iter().map(|r| describe(r)).collect::<Vec<_>>().join("; ");
        return Err(Error::Config(format!(
            "credentials were given for {names}, which no security requirement of {} uses together ({each})",
            api.title
        )));
    }
    let mut first_missing = None;
    'requirements: for requirement in &candidates {
        let mut pieces = Vec::new();
        for scheme in requirement {
            let given = given.iter().find(|(name, _)| name == scheme.name()).map(|(_, c)| c);
            match piece(api, scheme, given, env, base)? {
                Ok(piece) => pieces.push(piece),
                Err(var) => {
                    first_missing.get_or_insert((scheme.name(), var));
                    continue 'requirements;
                }
            }
        }
        return assemble(pieces, requirement);
    }
    // Every candidate lacks something, and the first one noted what.
    let (scheme, env) = first_missing.unwrap_or_default();
    let alternatives = if candidates.len() > 1 { candidates.iter().map(|r| describe(r)).collect() } else { Vec::new() };
    Err(Error::MissingCredential { scheme: scheme.to_string(), env, alternatives })
}

/// What `scheme` contributes, from code or the environment; `Ok(Err(variable))` when it is not
/// configured (the first variable missing).
fn piece(
    api: &ApiDescriptor,
    scheme: &SecurityScheme,
    given: Option<&Credential>,
    env: &dyn Fn(&str) -> Option<String>,
    base: &reqwest::Url,
) -> Result<std::result::Result<Piece, String>> {
    let lookup = |var: &str| env(var).filter(|v| !v.trim().is_empty()).map(Secret::new).ok_or_else(|| var.to_string());
    let client_credentials = |client_id: String, client_secret: Secret| -> Result<Piece> {
        let SecurityScheme::OAuth2 { token_url: Some(token_url), scopes, .. } = scheme else {
            return Err(Error::Config(format!(
                "the security scheme `{}` of {} has no client-credentials token URL: pass a token or a token source",
                scheme.name(),
                api.title
            )));
        };
        let url = base.join(token_url).map_err(|e| Error::Config(format!("token URL `{token_url}`: {e}")))?;
        Ok(Piece::Source(Arc::new(
            ClientCredentials::new(url, client_id, client_secret).scopes(scopes.iter().copied()),
        )))
    };
    let piece = match (scheme, given) {
        (SecurityScheme::Bearer { .. } | SecurityScheme::OAuth2 { .. }, Some(Credential::Token(token))) => {
            bearer(token)
        }
        (SecurityScheme::Bearer { .. } | SecurityScheme::OAuth2 { .. }, Some(Credential::TokenSource(source))) => {
            Piece::Source(source.clone())
        }
        (SecurityScheme::OAuth2 { .. }, Some(Credential::ClientCredentials { client_id, client_secret })) => {
            client_credentials(client_id.clone(), client_secret.clone())?
        }
        (SecurityScheme::Bearer { env, .. }, None) => match lookup(env) {
            Ok(token) => bearer(&token),
            Err(missing) => return Ok(Err(missing)),
        },
        // A ready token first (the narrower setting), then the client credentials.
        (SecurityScheme::OAuth2 { env, .. }, None) => match (lookup(env), scheme.client_credentials_env()) {
            (Ok(token), _) => bearer(&token),
            (Err(missing), None) => return Ok(Err(missing)),
            (Err(missing), Some((id_var, secret_var))) => match (lookup(&id_var), lookup(&secret_var)) {
                (Ok(id), Ok(secret)) => client_credentials(id.expose().to_string(), secret)?,
                // Half the pair set: name the half that is missing.
                (Ok(_), Err(secret_missing)) => return Ok(Err(secret_missing)),
                (Err(_), _) => return Ok(Err(missing)),
            },
        },
        (SecurityScheme::Basic { .. }, Some(Credential::Basic { username, password })) => basic(username, password),
        (SecurityScheme::Basic { env_username, env_password, .. }, None) => {
            match (lookup(env_username), lookup(env_password)) {
                (Ok(username), Ok(password)) => basic(&username, &password),
                (Err(missing), _) | (_, Err(missing)) => return Ok(Err(missing)),
            }
        }
        (SecurityScheme::ApiKey { header, .. }, Some(Credential::Token(key))) => {
            Piece::Header(header.to_string(), key.expose().to_string())
        }
        (SecurityScheme::ApiKeyQuery { param, .. }, Some(Credential::Token(key))) => Piece::Query(param, key.clone()),
        (SecurityScheme::ApiKeyCookie { cookie, .. }, Some(Credential::Token(key))) => {
            Piece::Cookie(cookie, key.clone())
        }
        (SecurityScheme::ApiKey { header, env, .. }, None) => match lookup(env) {
            Ok(key) => Piece::Header(header.to_string(), key.expose().to_string()),
            Err(missing) => return Ok(Err(missing)),
        },
        (SecurityScheme::ApiKeyQuery { param, env, .. }, None) => match lookup(env) {
            Ok(key) => Piece::Query(param, key),
            Err(missing) => return Ok(Err(missing)),
        },
        (SecurityScheme::ApiKeyCookie { cookie, env, .. }, None) => match lookup(env) {
            Ok(key) => Piece::Cookie(cookie, key),
            Err(missing) => return Ok(Err(missing)),
        },
        (_, Some(_)) => return Err(Error::Config(what_the_api_uses(api))),
    };
    Ok(Ok(piece))
}

/// The requirement's pieces as sensitive headers, query parameters, cookies and a token cache.
fn assemble(pieces: Vec<Piece>, requirement: &[&SecurityScheme]) -> Result<Auth> {
    let mut auth = Auth::default();
    for (piece, scheme) in pieces.into_iter().zip(requirement) {
        match piece {
            Piece::Query(param, key) => auth.query.push((param, key)),
            Piece::Cookie(cookie, key) => {
                // RFC 6265 cookie-octets: anything else would end or split the cookie.
                if !key.expose().bytes().all(|b| b.is_ascii_graphic() && !matches!(b, b'"' | b',' | b';' | b'\\')) {
                    return Err(Error::Config(format!(
                        "the credential for `{}` contains characters not allowed in a cookie",
                        scheme.name()
                    )));
                }
                auth.cookies.push((cookie, key));
            }
            Piece::Source(source) => auth.tokens = Some(Arc::new(Tokens::new(source))),
            Piece::Header(name, value) => {
                let name = HeaderName::from_bytes(name.as_bytes())
                    .map_err(|_| Error::Config(format!("`{name}` is not a valid header name")))?;
                // The error must not echo the value: it is a secret.
                let mut value = HeaderValue::from_str(&value).map_err(|_| {
                    Error::Config(format!(
                        "the credential for `{}` contains characters not allowed in a header",
                        scheme.name()
                    ))
                })?;
                value.set_sensitive(true);
                auth.headers.push((name, value));
            }
        }
    }
    Ok(auth)
}

fn bearer(token: &Secret) -> Piece {
    Piece::Header("authorization".to_string(), format!("Bearer {}", token.expose()))
}

fn basic(username: &Secret, password: &Secret) -> Piece {
    let encoded =
        base64::engine::general_purpose::STANDARD.encode(format!("{}:{}", username.expose(), password.expose()));
    Piece::Header("authorization".to_string(), format!("Basic {encoded}"))
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
        check_requirements(schemes, &[], given, env, expected)
    }

    /// Headers as (name, value); query parameters as `?name`, cookies as `cookie:name`, a token
    /// source as (`token source`, ``).
    fn check_requirements(
        schemes: &'static [SecurityScheme],
        requirements: &'static [&'static [&'static str]],
        given: &[(&str, Credential)],
        env: &[(&str, &str)],
        expected: std::result::Result<&[(&str, &str)], &str>,
    ) {
        let given: Vec<(String, Credential)> = given.iter().map(|(n, c)| (n.to_string(), c.clone())).collect();
        let env: Vec<(String, String)> = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let lookup = move |name: &str| env.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
        // Leaked: a descriptor is `'static` data, here one per case.
        let api: &'static ApiDescriptor = Box::leak(Box::new(ApiDescriptor {
            name: "test",
            title: "Test API",
            crate_name: "affiliate-test",
            crate_version: "0.0.0",
            default_base_url: "https://api.example.com",
            security: schemes,
            requirements,
            idempotent_operations: &[],
            anonymous_operations: &[],
            body_errors: &[],
            url_templates: &[],
            rate_limit: None,
            idempotency_headers: &[],
        }));
        let base = reqwest::Url::parse("https://api.example.com/v1/").unwrap();
        match (resolve(api, &given, &lookup, &base), expected) {
            (Ok(Auth { headers, query, cookies, tokens }), Ok(expected)) => {
                let got: Vec<(String, String)> = headers
                    .iter()
                    .map(|(n, v)| (n.to_string(), v.to_str().unwrap().to_string()))
                    .chain(query.iter().map(|(n, v)| (format!("?{n}"), v.expose().to_string())))
                    .chain(cookies.iter().map(|(n, v)| (format!("cookie:{n}"), v.expose().to_string())))
                    .chain(tokens.iter().map(|_| ("token source".to_string(), String::new())))
                    .collect();
                let want: Vec<(String, String)> =
                    expected.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect();
                assert_eq!(got, want);
                assert!(headers.iter().all(|(_, v)| v.is_sensitive()), "auth headers are marked sensitive");
            }
            (Err(error), Err(fragment)) => {
                assert!(error.to_string().contains(fragment), "{error}");
                // Values long enough not to occur in the message by chance are never echoed.
                for (_, credential) in &given {
                    if let Credential::Token(secret) = credential {
                        let value = secret.expose();
                        assert!(value.len() < 4 || !error.to_string().contains(value), "{error}");
                    }
                }
            }
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

    const OAUTH: SecurityScheme = SecurityScheme::OAuth2 {
        name: "oauth",
        env: "T_ACCESS_TOKEN",
        token_url: Some("oauth/token"),
        scopes: &["read", "write"],
    };
    const OIDC: SecurityScheme = SecurityScheme::OAuth2 { name: "oidc", env: "T_OIDC", token_url: None, scopes: &[] };
    const COOKIE: SecurityScheme = SecurityScheme::ApiKeyCookie { name: "session", cookie: "sid", env: "T_SID" };
    const ALL: &[SecurityScheme] = &[KEY, SECRET, OAUTH, COOKIE, OIDC];
    /// `key` and `secret` together; or OAuth2; or the cookie.
    const EITHER: &[&[&str]] = &[&["apiKey", "apiSecret"], &["oauth"], &["session"]];

    struct Fixed;
    impl TokenSource for Fixed {
        fn token<'a>(&'a self, _http: &'a reqwest::Client) -> crate::token::TokenFuture<'a> {
            Box::pin(async { Ok(crate::token::Token::new("fixed")) })
        }
    }

    #[test]
    fn the_first_configured_alternative_is_used() {
        let token = |t: &str| Credential::Token(Secret::new(t));
        let source = || Credential::TokenSource(Arc::new(Fixed));
        let client = || Credential::ClientCredentials { client_id: "id".into(), client_secret: Secret::new("cs") };
        let check = |given: &[(&str, Credential)], env: &[(&str, &str)], expected| {
            check_requirements(ALL, EITHER, given, env, expected)
        };
        // From the environment: the first requirement with every variable set.
        check(&[], &[("T_KEY", "k"), ("T_SECRET", "s")], Ok(&[("x-api-key", "k"), ("x-api-secret", "s")]));
        check(&[], &[("T_KEY", "k"), ("T_ACCESS_TOKEN", "at")], Ok(&[("authorization", "Bearer at")]));
        check(&[], &[("T_SID", "c00kie"), ("T_ACCESS_TOKEN", "at")], Ok(&[("authorization", "Bearer at")]));
        check(&[], &[("T_SID", "c00kie")], Ok(&[("cookie:sid", "c00kie")]));
        // Client credentials from `<PREFIX>_CLIENT_ID` / `_SECRET`: a token source.
        check(&[], &[("T_CLIENT_ID", "id"), ("T_CLIENT_SECRET", "cs")], Ok(&[("token source", "")]));
        // A ready token wins over the client credentials.
        check(
            &[],
            &[("T_CLIENT_ID", "id"), ("T_CLIENT_SECRET", "cs"), ("T_ACCESS_TOKEN", "at")],
            Ok(&[("authorization", "Bearer at")]),
        );
        // Given in code: only requirements using it are considered, whatever the environment holds.
        check(
            &[("oauth", token("code"))],
            &[("T_KEY", "k"), ("T_SECRET", "s")],
            Ok(&[("authorization", "Bearer code")]),
        );
        check(&[("oauth", source())], &[("T_KEY", "k"), ("T_SECRET", "s")], Ok(&[("token source", "")]));
        check(&[("oauth", client())], &[], Ok(&[("token source", "")]));
        check(
            &[("apiKey", token("k"))],
            &[("T_SECRET", "s"), ("T_SID", "c")],
            Ok(&[("x-api-key", "k"), ("x-api-secret", "s")]),
        );
        check(&[("session", token("c"))], &[("T_ACCESS_TOKEN", "at")], Ok(&[("cookie:sid", "c")]));
        // Nothing configured: every alternative and its variables.
        check(
            &[],
            &[("T_KEY", "k")],
            Err("missing credential: the API accepts any one of 3 security requirements and none is configured; \
                 set the environment variables of one, or pass its credentials to the client builder: \
                 (1) `apiKey` and `apiSecret`: T_KEY and T_SECRET; \
                 (2) `oauth`: T_ACCESS_TOKEN (or T_CLIENT_ID and T_CLIENT_SECRET); (3) `session`: T_SID"),
        );
        // Half a client-credentials pair: the missing half is named.
        check(&[], &[("T_CLIENT_ID", "id")], Err("(2) `oauth`: T_ACCESS_TOKEN (or T_CLIENT_ID and T_CLIENT_SECRET)"));
        // Given in code but incomplete: only the requirements using it are named.
        check(&[("apiKey", token("k"))], &[], Err("set the environment variable T_SECRET or pass it"));
        // Credentials of two different requirements cannot be combined.
        check(
            &[("apiKey", token("k")), ("session", token("c"))],
            &[],
            Err("credentials were given for `apiKey` and `session`, which no security requirement of Test API uses together"),
        );
        // A scheme of no requirement stays a configuration error.
        check(&[("oidc", token("t"))], &[], Err("which no security requirement of Test API uses together"));
        check(&[("nope", token("t"))], &[], Err("(it has no scheme or header named `nope`)"));
        // Kinds that do not fit the scheme.
        check(&[("apiKey", source())], &[], Err("Test API uses an API key in the X-Api-Key header"));
        check(
            &[("session", client())],
            &[],
            Err("OAuth2 bearer tokens: use bearer_token(..), token_source(..), client_credentials(..)"),
        );
        check(&[("session", token("a;b"))], &[], Err("contains characters not allowed in a cookie"));
    }

    /// `security: [{apiKey: []}, {}]`: the key when configured, else nothing (optional auth); an
    /// empty requirement first means anonymous whatever is configured.
    #[test]
    fn an_empty_requirement_means_no_credentials() {
        check_requirements(&[KEY], &[&["apiKey"], &[]], &[], &[("T_KEY", "k")], Ok(&[("x-api-key", "k")]));
        check_requirements(&[KEY], &[&["apiKey"], &[]], &[], &[], Ok(&[]));
        check_requirements(&[KEY], &[&[], &["apiKey"]], &[], &[("T_KEY", "k")], Ok(&[]));
        let key = Credential::Token(Secret::new("from-code"));
        check_requirements(&[KEY], &[&[], &["apiKey"]], &[("apiKey", key)], &[], Ok(&[("x-api-key", "from-code")]));
    }

    #[test]
    fn oauth_without_token_url_and_openid_connect() {
        let client = Credential::ClientCredentials { client_id: "id".into(), client_secret: Secret::new("cs") };
        check(&[OIDC], &[], &[("T_OIDC", "id-token")], Ok(&[("authorization", "Bearer id-token")]));
        check(&[OIDC], &[], &[], Err("set the environment variable T_OIDC"));
        check(&[OIDC], &[("oidc", client)], &[], Err("`oidc` of Test API has no client-credentials token URL"));
        // No token URL, so no client-credential variables either.
        check(&[OIDC], &[], &[("T_OIDC_CLIENT_ID", "id"), ("T_OIDC_CLIENT_SECRET", "s")], Err("T_OIDC"));
        assert_eq!(OIDC.client_credentials_env(), None);
        assert_eq!(OAUTH.client_credentials_env(), Some(("T_CLIENT_ID".to_string(), "T_CLIENT_SECRET".to_string())));
        let other = SecurityScheme::OAuth2 { name: "o", env: "ACME_OAUTH", token_url: Some("/t"), scopes: &[] };
        assert_eq!(
            other.client_credentials_env(),
            Some(("ACME_OAUTH_CLIENT_ID".to_string(), "ACME_OAUTH_CLIENT_SECRET".to_string()))
        );
    }

    #[test]
    fn secrets_are_redacted_in_debug() {
        for credential in [
            Credential::Basic { username: Secret::new("app-key-123"), password: Secret::new("pw-456") },
            Credential::Token(Secret::new("pw-456")),
            Credential::ClientCredentials { client_id: "svc".into(), client_secret: Secret::new("pw-456") },
        ] {
            let debug = format!("{credential:?} {credential:#?}");
            assert!(!debug.contains("app-key-123") && !debug.contains("pw-456"), "{debug}");
            assert!(debug.contains("REDACTED"));
        }
        assert_eq!(format!("{:?}", Credential::TokenSource(Arc::new(Fixed))), "TokenSource(..)");
    }
}
