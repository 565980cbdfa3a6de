//! What a generated crate needs to be published: the `[package]` fields crates.io and docs.rs
//! read (version from `x-affiliate-crate-version`, description, licence, repository, readme,
//! keywords, categories) and the crate's own README.

use crate::model::Scheme;
use crate::read::Surface;

/// The `[package]` lines after `name`: every generated crate of one spec shares its version.
/// `keywords` are the crate's own after `affiliate` and the API's name (crates.io takes five).
pub fn package_fields(surface: &Surface, description: &str, keywords: &[&str], categories: &[&str]) -> String {
    let mut words = vec!["affiliate".to_string()];
    words.extend(keyword(&surface.api.name));
    words.extend(keywords.iter().map(|k| k.to_string()));
    words.dedup();
    words.truncate(5);
    let list = |items: &[String]| items.iter().map(|i| toml_string(i)).collect::<Vec<_>>().join(", ");
    let categories: Vec<String> = categories.iter().map(|c| c.to_string()).collect();
    format!(
        "version = {version}\n\
         description = {description}\n\
         edition.workspace = true\n\
         license.workspace = true\n\
         rust-version.workspace = true\n\
         repository.workspace = true\n\
         readme = \"README.md\"\n\
         keywords = [{keywords}]\n\
         categories = [{categories}]\n",
        version = toml_string(&surface.api.crate_version),
        description = toml_string(description),
        keywords = list(&words),
        categories = list(&categories),
    )
}

/// The API's name as a crates.io keyword (ASCII letters first, then letters, digits, `-`, `_`;
/// at most 20 characters), or none when it cannot be one.
pub fn keyword(name: &str) -> Option<String> {
    let word: String = name
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '-' })
        .take(20)
        .collect();
    let word = word.trim_end_matches(['-', '_']).to_string();
    word.starts_with(|c: char| c.is_ascii_alphabetic()).then_some(word)
}

/// A TOML basic string: quotes, backslashes and control characters escaped.
pub fn toml_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The environment variables `Client::from_env` reads for credentials, in the spec's order.
pub fn credential_variables(surface: &Surface) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for scheme in &surface.api.security {
        let names = match scheme {
            Scheme::Bearer { env, .. }
            | Scheme::ApiKeyHeader { env, .. }
            | Scheme::ApiKeyQuery { env, .. }
            | Scheme::ApiKeyCookie { env, .. }
            | Scheme::OAuth2 { env, .. } => vec![env.clone()],
            Scheme::Basic { env_username, env_password, .. } => vec![env_username.clone(), env_password.clone()],
        };
        for name in names {
            if !out.contains(&name) {
                out.push(name);
            }
        }
    }
    out
}

/// `<API>_BASE_URL`, the variable the runtime reads for the base URL (its `env_name`).
pub fn base_url_variable(surface: &Surface) -> String {
    base_url_variable_of(&surface.api.name)
}

/// `<API>_BASE_URL` for the spec `<api>.yaml`.
pub fn base_url_variable_of(api: &str) -> String {
    format!("{}_BASE_URL", api.to_uppercase().replace('-', "_"))
}

/// The client crate's README: what it is, how to depend on it, its variables and features.
pub fn client_readme(surface: &Surface) -> String {
    let (krate, source, title) = (&surface.client_crate, &surface.source, &surface.api.title);
    let credentials = credential_variables(surface);
    let credentials = if credentials.is_empty() {
        "The API needs no credentials.".to_string()
    } else {
        format!(
            "`Client::from_env()` reads the credentials from {}; the builder takes them in code instead.",
            credentials.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(", ")
        )
    };
    let default = match &surface.api.base_url {
        Some(url) => format!("instead of `{url}`"),
        None => "(the spec names no server, so this or `.base_url(..)` is required)".to_string(),
    };
    format!(
        "<!-- {header} {source}. Do not edit. -->\n\n\
         # {krate}\n\n\
         Typed async Rust client for {title} ({count} operations), generated from the OpenAPI document\n\
         `{source}` by the affiliate-clients workspace. Auth, retries, rate limits, pagination and\n\
         errors come from `affiliate-runtime`.\n\n\
         ```toml\n\
         [dependencies]\n\
         {krate} = \"{requirement}\"\n\
         tokio = {{ version = \"1\", features = [\"macros\", \"rt-multi-thread\"] }}\n\
         ```\n\n\
         ```rust,ignore\n\
         use {module}::prelude::*;\n\n\
         let client = Client::from_env()?;\n\
         ```\n\n\
         {credentials}\n\
         `{base_url}` sends the requests elsewhere {default}: a staging host or a recording proxy,\n\
         without code changes.\n\n\
         Features: `rustls` (default) or `native-tls` (`default-features = false, features =\n\
         [\"native-tls\"]`) chooses the TLS stack.\n\n\
         For a service's tests, `{krate}-mock` has typed wiremock expectations for every operation.\n\n\
         Licensed under MIT or Apache-2.0, at your option.\n",
        header = super::header::HEADER,
        count = surface.operations.len(),
        requirement = requirement(&surface.api.crate_version),
        module = krate.replace('-', "_"),
        base_url = base_url_variable(surface),
    )
}

/// The mock crate's README.
pub fn mock_readme(surface: &Surface, mock_crate: &str) -> String {
    let (krate, source) = (&surface.client_crate, &surface.source);
    format!(
        "<!-- {header} {source}. Do not edit. -->\n\n\
         # {mock_crate}\n\n\
         Typed mock server for `{krate}`, generated from `{source}`: one expectation builder per\n\
         operation (matchers for its parameters, answers for its documented responses and examples),\n\
         on wiremock. For a service's tests:\n\n\
         ```toml\n\
         [dev-dependencies]\n\
         {mock_crate} = \"{requirement}\"\n\
         ```\n\n\
         Licensed under MIT or Apache-2.0, at your option.\n",
        header = super::header::HEADER,
        requirement = requirement(&surface.api.crate_version),
    )
}

/// The Cargo requirement a service writes for `version`: `0.3` for `0.3.1`, `1` for `1.2.0`.
pub fn requirement(version: &str) -> String {
    let core = version.split('-').next().unwrap_or(version);
    let parts: Vec<&str> = core.split('.').collect();
    match parts.as_slice() {
        ["0", "0", _] if version == core => version.to_string(),
        ["0", minor, _] if version == core => format!("0.{minor}"),
        [major, ..] if version == core => (*major).to_string(),
        _ => format!("={version}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_requirements_and_strings() {
        let keywords = [
            ("acme", Some("acme")),
            ("Widgets", Some("widgets")),
            ("amazonaws.com_s3", Some("amazonaws-com_s3")),
            ("a-very-long-api-name-indeed", Some("a-very-long-api-name")),
            ("1password", None),
            ("--", None),
        ];
        for (name, expect) in keywords {
            assert_eq!(keyword(name).as_deref(), expect, "{name}");
        }
        let requirements =
            [("0.1.0", "0.1"), ("0.0.3", "0.0.3"), ("1.2.0", "1"), ("12.0.1", "12"), ("1.0.0-rc.1", "=1.0.0-rc.1")];
        for (version, expect) in requirements {
            assert_eq!(requirement(version), expect, "{version}");
        }
        assert_eq!(toml_string("a \"b\" \\ c\n\u{7}"), "\"a \\\"b\\\" \\\\ c\\n\\u0007\"");
    }
}
