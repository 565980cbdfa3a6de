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
    /// Whether `body` (JSON) matches. The body is walked along the pointer only: everything off
    /// the path is skipped unparsed (`IgnoredAny`), and the value at the pointer is judged without
    /// building it, so a rule costs no memory however large the body. A body that is not JSON
    /// matches no rule.
    pub(crate) fn matches(&self, body: &[u8]) -> bool {
        let (pointer, leaf) = match self {
            BodyErrorRule::Present(pointer) => (*pointer, Leaf::Present),
            BodyErrorRule::Equals(pointer, literal) => match serde_json::from_str(literal) {
                Ok(want) => (*pointer, Leaf::Equals(want)),
                Err(_) => return false,
            },
        };
        // RFC 6901: "" is the whole body; otherwise `/`-separated tokens with `~1` and `~0` escapes.
        let tokens: Vec<String> = match pointer.strip_prefix('/') {
            None if pointer.is_empty() => Vec::new(),
            None => return false,
            Some(rest) => rest.split('/').map(|t| t.replace("~1", "/").replace("~0", "~")).collect(),
        };
        let mut deserializer = serde_json::Deserializer::from_slice(body);
        let found = serde::de::DeserializeSeed::deserialize(Walk { tokens: &tokens, leaf: &leaf }, &mut deserializer);
        // The rule judges a JSON body only: trailing garbage makes it no match, as a failed parse did.
        found.is_ok_and(|found| found) && deserializer.end().is_ok()
    }
}

/// What a rule asks of the value at its pointer.
enum Leaf {
    /// Present, not null, not an empty string.
    Present,
    /// Equal to this JSON value (compared while reading; nothing is built).
    Equals(serde_json::Value),
}

/// Follows `tokens` into the value and judges what it finds there by `leaf`; `false` when the
/// path does not exist.
struct Walk<'a> {
    tokens: &'a [String],
    leaf: &'a Leaf,
}

impl<'de> serde::de::DeserializeSeed<'de> for Walk<'_> {
    type Value = bool;

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<bool, D::Error> {
        match (self.tokens.split_first(), self.leaf) {
            (Some(_), _) => deserializer.deserialize_any(self),
            (None, Leaf::Present) => deserializer.deserialize_any(Judge::Present),
            (None, Leaf::Equals(want)) => deserializer.deserialize_any(Judge::Equals(want)),
        }
    }
}

impl<'de> serde::de::Visitor<'de> for Walk<'_> {
    type Value = bool;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        let Some((token, rest)) = self.tokens.split_first() else { return Ok(false) };
        let mut found = false;
        // Every entry is read (the deserializer requires it); a repeated key counts as its last
        // occurrence, as in serde_json's own maps.
        while let Some(here) = map.next_key_seed(KeyIs(token))? {
            if here {
                found = map.next_value_seed(Walk { tokens: rest, leaf: self.leaf })?;
            } else {
                map.next_value::<serde::de::IgnoredAny>()?;
            }
        }
        Ok(found)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<bool, A::Error> {
        let Some((token, rest)) = self.tokens.split_first() else { return Ok(false) };
        // As `serde_json::Value::pointer` reads an index: digits only, no leading zero.
        let canonical = token.bytes().all(|b| b.is_ascii_digit()) && (token == "0" || !token.starts_with('0'));
        let index = token.parse::<usize>().ok().filter(|_| canonical);
        let (mut found, mut at) = (false, 0usize);
        loop {
            let more = if Some(at) == index {
                seq.next_element_seed(Walk { tokens: rest, leaf: self.leaf })?.map(|f| found = f)
            } else {
                seq.next_element::<serde::de::IgnoredAny>()?.map(drop)
            };
            if more.is_none() {
                return Ok(found);
            }
            at += 1;
        }
    }

    // A scalar where the path goes on: the path does not exist.
    fn visit_bool<E>(self, _: bool) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_i64<E>(self, _: i64) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_u64<E>(self, _: u64) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_f64<E>(self, _: f64) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_str<E>(self, _: &str) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_unit<E>(self) -> Result<bool, E> {
        Ok(false)
    }
}

/// Whether an object key equals the pointer's token, without allocating the key.
struct KeyIs<'a>(&'a str);

impl<'de> serde::de::DeserializeSeed<'de> for KeyIs<'_> {
    type Value = bool;

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<bool, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> serde::de::Visitor<'de> for KeyIs<'_> {
    type Value = bool;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an object key")
    }

    fn visit_str<E>(self, key: &str) -> Result<bool, E> {
        Ok(key == self.0)
    }
}

/// Judges the value at a rule's pointer while reading it.
enum Judge<'a> {
    Present,
    Equals(&'a serde_json::Value),
}

impl Judge<'_> {
    fn scalar(&self, found: serde_json::Value) -> bool {
        match self {
            Judge::Present => !(found.is_null() || found.as_str() == Some("")),
            Judge::Equals(want) => **want == found,
        }
    }
}

impl<'de> serde::de::DeserializeSeed<'de> for Judge<'_> {
    type Value = bool;

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<bool, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Judge<'_> {
    type Value = bool;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<bool, E> {
        Ok(self.scalar(v.into()))
    }
    fn visit_i64<E>(self, v: i64) -> Result<bool, E> {
        Ok(self.scalar(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<bool, E> {
        Ok(self.scalar(v.into()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<bool, E> {
        Ok(self.scalar(v.into()))
    }
    fn visit_str<E>(self, v: &str) -> Result<bool, E> {
        Ok(match self {
            Judge::Present => !v.is_empty(),
            Judge::Equals(want) => want.as_str() == Some(v),
        })
    }
    fn visit_unit<E>(self) -> Result<bool, E> {
        Ok(self.scalar(serde_json::Value::Null))
    }

    /// Equal when every expected entry is there and equal, and nothing else is.
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        let want = match self {
            Judge::Present => {
                while map.next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?.is_some() {}
                return Ok(true);
            }
            Judge::Equals(want) => want.as_object(),
        };
        let mut equal = want.is_some();
        let mut seen = std::collections::BTreeSet::new();
        while let Some(key) = map.next_key::<String>()? {
            match want.and_then(|w| w.get_key_value(&key)) {
                Some((name, value)) if equal => {
                    equal = map.next_value_seed(Judge::Equals(value))?;
                    seen.insert(name);
                }
                _ => {
                    equal = false;
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
            }
        }
        Ok(equal && want.is_some_and(|w| seen.len() == w.len()))
    }

    /// Equal when the elements are equal one by one and as many.
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<bool, A::Error> {
        let want = match self {
            Judge::Present => {
                while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
                return Ok(true);
            }
            Judge::Equals(want) => want.as_array(),
        };
        let (mut equal, mut at) = (want.is_some(), 0usize);
        loop {
            let expected = want.and_then(|w| w.get(at)).filter(|_| equal);
            let more = match expected {
                Some(value) => seq.next_element_seed(Judge::Equals(value))?.map(|e| equal = e),
                None => seq.next_element::<serde::de::IgnoredAny>()?.map(|_| equal = false),
            };
            if more.is_none() {
                return Ok(equal && want.is_some_and(|w| w.len() == at));
            }
            at += 1;
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
    /// The request rate the vendor documents (`x-affiliate-rate-limit`: `600/min`), the default
    /// when neither the builder nor `<API>_RATE_LIMIT` sets one.
    pub rate_limit: Option<&'static str>,
    /// Operations (snake-case ids) that take an idempotency key, with its header
    /// (`x-affiliate-idempotency-header`): the runtime sends one key per call and retries them.
    pub idempotency_headers: &'static [(&'static str, &'static str)],
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
            || self.idempotency_header(operation).is_some()
    }

    /// The header carrying `operation`'s idempotency key, if the spec declares one.
    pub fn idempotency_header(&self, operation: &str) -> Option<&'static str> {
        self.idempotency_headers.iter().find(|(id, _)| *id == operation).map(|(_, header)| *header)
    }
}

#[cfg(test)]
mod tests {
    use super::BodyErrorRule;
    use serde_json::Value;

    /// What a rule meant when it was judged on a parsed `Value`: the oracle for the streaming walk.
    fn oracle(rule: &BodyErrorRule, body: &[u8]) -> bool {
        let Ok(body) = serde_json::from_slice::<Value>(body) else { return false };
        match rule {
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

    #[test]
    fn rules_judge_bodies_as_a_parsed_value_would() {
        let rules = [
            BodyErrorRule::Present("/responseStatus/errorCode"),
            BodyErrorRule::Present("/a/0/b"),
            BodyErrorRule::Present("/a/01"),
            BodyErrorRule::Present("/x~1y/m~0n"),
            BodyErrorRule::Present(""),
            BodyErrorRule::Equals("/success", "false"),
            BodyErrorRule::Equals("/n", "1"),
            BodyErrorRule::Equals("/n", "-1"),
            BodyErrorRule::Equals("/n", "1.5"),
            BodyErrorRule::Equals("/s", "\"failed\""),
            BodyErrorRule::Equals("/o", "{\"k\": [1, \"v\", null]}"),
            BodyErrorRule::Equals("/l", "[1, 2]"),
            BodyErrorRule::Equals("/a/1", "null"),
        ];
        let bodies = [
            r#"{"responseStatus": {"errorCode": "ArgumentException"}}"#,
            r#"{"responseStatus": {"errorCode": ""}, "success": false}"#,
            r#"{"responseStatus": {"errorCode": null}, "success": true}"#,
            r#"{"responseStatus": {"errorCode": {"deep": [1]}}}"#,
            r#"{"responseStatus": "flat", "success": "false"}"#,
            r#"{"a": [{"b": 0}, null], "x/y": {"m~n": true}}"#,
            r#"{"a": [{"c": 1}, {"b": ""}, 3]}"#,
            r#"{"a": {"0": {"b": 1}, "01": 2}}"#,
            r#"{"n": 1, "s": "failed", "o": {"k": [1, "v", null]}, "l": [1, 2]}"#,
            r#"{"n": -1, "s": "ok", "o": {"k": [1, "v"]}, "l": [1, 2, 3]}"#,
            r#"{"n": 1.5, "o": {"k": [1, "v", null], "extra": 0}, "l": [2, 1]}"#,
            r#"{"n": 1.0, "o": {}, "l": []}"#,
            r#"{"success": false, "success": true}"#,
            r#"{"success": true, "success": false}"#,
            r#"[{"success": false}]"#,
            r#"{"success": false} trailing"#,
            r#"{"success": fal"#,
            "null",
            "\"\"",
            "",
        ];
        for rule in &rules {
            for body in bodies {
                assert_eq!(rule.matches(body.as_bytes()), oracle(rule, body.as_bytes()), "{rule:?} on {body}");
            }
        }
    }
}
