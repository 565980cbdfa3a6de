//! What every generated command module shares: flag parsing into the client's types, JSON / NDJSON /
//! byte-stream output, progress on a terminal, and one exit code per error kind.

use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use affiliate_runtime::{ErrorKind, ResponseExt};
use futures::{Stream, StreamExt};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use tokio::io::AsyncWriteExt;

/// Global flags.
pub struct Ctx {
    pub mock: bool,
    pub base_url: Option<String>,
    /// `--timeout`: per request, instead of the client's default.
    pub timeout: Option<std::time::Duration>,
    /// `--retries`: the default policy with this many retries.
    pub retry_policy: Option<affiliate_runtime::RetryPolicy>,
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CliError {
    #[error("{0}")]
    Usage(String),
    /// A flag value or `--body` that does not fit the operation's type.
    #[error("{0}")]
    Input(String),
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Api(#[from] affiliate_runtime::Error),
}

/// The exit codes, as `--help` documents them.
pub const EXIT_CODES: &str = "\
Exit codes:
   0 success              1 I/O error            2 usage (clap)         3 bad flag or --body value
  10 unauthorized        11 forbidden           12 not_found           13 conflict
  14 validation          15 rate_limited        16 server              17 api (other statuses)
  18 timeout             19 transport           20 decode              21 missing_credential
  22 config              23 invalid_request     24 pagination          25 too_large
  26 job                 27 foreign_link        28 token (no access token)
  29 signature (a webhook delivery that does not verify)     30 webhook_payload
  31 an error kind newer than this table";

/// The exit code of an error, as [`EXIT_CODES`] lists them: one per [`ErrorKind`].
pub fn exit_code(error: &CliError) -> u8 {
    match error {
        CliError::Io(_) => 1,
        CliError::Usage(_) => 2,
        CliError::Input(_) => 3,
        CliError::Api(e) => kind_code(e.kind()),
    }
}

/// One code per kind. `ErrorKind` is non-exhaustive (a newer runtime may add kinds), so the last
/// arm is required; the test `every_error_kind_has_its_own_exit_code` keeps every kind this
/// runtime has off it.
fn kind_code(kind: ErrorKind) -> u8 {
    match kind {
        ErrorKind::Unauthorized => 10,
        ErrorKind::Forbidden => 11,
        ErrorKind::NotFound => 12,
        ErrorKind::Conflict => 13,
        ErrorKind::Validation => 14,
        ErrorKind::RateLimited => 15,
        ErrorKind::Server => 16,
        ErrorKind::Api => 17,
        ErrorKind::Timeout => 18,
        ErrorKind::Transport => 19,
        ErrorKind::Decode => 20,
        ErrorKind::MissingCredential => 21,
        ErrorKind::Config => 22,
        ErrorKind::InvalidRequest => 23,
        ErrorKind::Pagination => 24,
        ErrorKind::TooLarge => 25,
        ErrorKind::Job => 26,
        ErrorKind::ForeignLink => 27,
        ErrorKind::Token => 28,
        ErrorKind::Signature => 29,
        ErrorKind::WebhookPayload => 30,
        _ => UNKNOWN_KIND,
    }
}

/// The code of a kind newer than this table (never returned for a kind of the runtime built in).
const UNKNOWN_KIND: u8 = 31;

/// Prints the error on stderr as the runtime describes it (kind, status, vendor code and message,
/// field errors) and returns its exit code.
pub fn report(error: &CliError) -> ExitCode {
    let mut err = std::io::stderr().lock();
    match error {
        CliError::Api(e) => {
            let _ = writeln!(err, "error ({}): {e}", e.kind());
            if let Some(api) = e.api_error() {
                for field in &api.field_errors {
                    let _ = writeln!(err, "  {field}");
                }
            }
        }
        other => {
            let _ = writeln!(err, "error: {other}");
        }
    }
    ExitCode::from(exit_code(error))
}

/// Parses a flag's text into the setter's type: as a JSON string first (strings, enums, dates),
/// then as JSON (numbers, booleans).
pub fn parse<T: DeserializeOwned>(flag: &str, text: &str) -> Result<T, CliError> {
    serde_json::from_value(Value::String(text.to_string()))
        .or_else(|_| serde_json::from_str(text))
        .map_err(|e| CliError::Input(format!("--{flag} `{text}`: {e}")))
}

pub fn from_json<T: DeserializeOwned>(what: &str, value: Value) -> Result<T, CliError> {
    serde_json::from_value(value).map_err(|e| CliError::Input(format!("{what}: {e}")))
}

pub fn body_arg() -> clap::Arg {
    clap::Arg::new("body").long("body").value_name("FILE|-").help("The JSON request body, from a file or `-` for stdin")
}

pub fn field_arg() -> clap::Arg {
    clap::Arg::new("field")
        .long("field")
        .short('f')
        .value_name("KEY=VALUE")
        .action(clap::ArgAction::Append)
        .help("A field of the JSON body: `key=text` (a string) or `key:=json` (a number, true, null, [..], {..}); repeatable, set over --body")
}

pub fn all_arg() -> clap::Arg {
    clap::Arg::new("all")
        .long("all")
        .action(clap::ArgAction::SetTrue)
        .help("Every item of every page, one JSON object a line (NDJSON)")
}

pub fn wait_arg() -> clap::Arg {
    clap::Arg::new("wait")
        .long("wait")
        .action(clap::ArgAction::SetTrue)
        .help("Poll the job until it finishes, then stream its result")
}

pub fn output_arg() -> clap::Arg {
    clap::Arg::new("output")
        .short('o')
        .long("output")
        .value_name("FILE")
        .help("Write the answer to FILE instead of stdout")
}

/// `--body`: the file's (or stdin's) JSON, with each `--field` set on it (on `{}` without
/// `--body`).
pub fn body(m: &clap::ArgMatches) -> Result<Option<Value>, CliError> {
    let body = match m.get_one::<String>("body") {
        Some(source) => {
            let text = if source == "-" {
                std::io::read_to_string(std::io::stdin())?
            } else {
                std::fs::read_to_string(source).map_err(|e| CliError::Input(format!("--body {source}: {e}")))?
            };
            Some(serde_json::from_str(&text).map_err(|e| CliError::Input(format!("--body {source}: {e}")))?)
        }
        None => None,
    };
    let fields: Vec<&String> = m.try_get_many::<String>("field").ok().flatten().into_iter().flatten().collect();
    with_fields(body, &fields)
}

/// `body` with each `key=text` / `key:=json` set on it, in order (a later one wins).
pub fn with_fields(body: Option<Value>, fields: &[&String]) -> Result<Option<Value>, CliError> {
    if fields.is_empty() {
        return Ok(body);
    }
    let mut body = body.unwrap_or_else(|| Value::Object(serde_json::Map::new()));
    let Some(object) = body.as_object_mut() else {
        return Err(CliError::Input("--field: the --body is not a JSON object".into()));
    };
    for field in fields {
        // `:=` before `=`: in `a:=1` the first `=` is the one after `:`.
        let (key, value) = match (field.split_once(":="), field.split_once('=')) {
            (Some((key, json)), Some((before, _))) if key.len() + 1 == before.len() => {
                let value = serde_json::from_str(json)
                    .map_err(|e| CliError::Input(format!("--field {key}:=: `{json}` is not JSON: {e}")))?;
                (key, value)
            }
            (_, Some((key, text))) => (key, Value::String(text.to_string())),
            (_, None) => return Err(CliError::Input(format!("--field `{field}`: write key=text or key:=json"))),
        };
        if key.is_empty() {
            return Err(CliError::Input(format!("--field `{field}`: the key is empty")));
        }
        object.insert(key.to_string(), value);
    }
    Ok(Some(body))
}

/// A saved webhook delivery to verify: its raw body, signature and the signing secret.
pub struct WebhookInput {
    pub body: Vec<u8>,
    pub signature: String,
    /// From the environment; never printed.
    pub secret: String,
}

/// The body from the `file` argument (or stdin), `--signature`, and the secret from `env`.
pub fn webhook_input(m: &clap::ArgMatches, env: &str) -> Result<WebhookInput, CliError> {
    let secret = std::env::var(env)
        .ok()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| CliError::Usage(format!("set {env} to the endpoint's signing secret")))?;
    let signature = m.get_one::<String>("signature").cloned().unwrap_or_default();
    let body = match m.get_one::<String>("file").map(String::as_str) {
        None | Some("-") => {
            let mut body = Vec::new();
            std::io::stdin().lock().read_to_end(&mut body)?;
            body
        }
        Some(path) => std::fs::read(path).map_err(|e| CliError::Input(format!("{path}: {e}")))?,
    };
    Ok(WebhookInput { body, signature, secret })
}

/// Where the answer goes.
pub enum Out {
    Stdout,
    File(PathBuf),
}

pub fn output(m: &clap::ArgMatches) -> Result<Out, CliError> {
    Ok(match m.get_one::<String>("output") {
        Some(path) if path != "-" => Out::File(PathBuf::from(path)),
        _ => Out::Stdout,
    })
}

/// The answer as JSON: pretty on a terminal, compact otherwise.
pub fn print_json<T: Serialize>(out: Out, value: &T) -> Result<(), CliError> {
    let pretty = matches!(out, Out::Stdout) && std::io::stdout().is_terminal();
    let mut text = if pretty { serde_json::to_string_pretty(value) } else { serde_json::to_string(value) }
        .map_err(|e| CliError::Input(format!("answer: {e}")))?;
    text.push('\n');
    match out {
        Out::Stdout => std::io::stdout().lock().write_all(text.as_bytes())?,
        Out::File(path) => std::fs::write(path, text)?,
    }
    Ok(())
}

/// Every item of every page, one compact JSON line each; on a terminal, a progress line on stderr
/// (pages, items, requests left in the rate-limit window when the API says).
pub async fn ndjson<P, T, S>(pages: S, items: impl Fn(P) -> Vec<T>) -> Result<(), CliError>
where
    T: Serialize,
    S: Stream<Item = affiliate_runtime::Result<progenitor_client::ResponseValue<P>>>,
{
    let progress = std::io::stderr().is_terminal();
    let mut pages = std::pin::pin!(pages);
    let mut stdout = tokio::io::stdout();
    let (mut page_count, mut item_count) = (0u64, 0u64);
    while let Some(page) = pages.next().await {
        let page = page?;
        let remaining = page.rate_limit().remaining;
        page_count += 1;
        for item in items(page.into_inner()) {
            let mut line = serde_json::to_vec(&item).map_err(|e| CliError::Input(format!("answer: {e}")))?;
            line.push(b'\n');
            stdout.write_all(&line).await?;
            item_count += 1;
        }
        if progress {
            let left = remaining.map(|r| format!(", {r} requests left")).unwrap_or_default();
            eprint!("\r{page_count} pages, {item_count} items{left}");
        }
    }
    stdout.flush().await?;
    if progress {
        eprintln!();
    }
    Ok(())
}

/// A streamed body (a CSV export) to stdout or a file, chunk by chunk; bytes so far on a terminal.
pub async fn write_stream(out: Out, body: progenitor_client::ByteStream) -> Result<(), CliError> {
    let progress = std::io::stderr().is_terminal();
    let mut sink: Box<dyn tokio::io::AsyncWrite + Unpin + Send> = match out {
        Out::Stdout => Box::new(tokio::io::stdout()),
        Out::File(path) => Box::new(tokio::fs::File::create(path).await?),
    };
    let mut body = body.into_inner();
    let mut written = 0usize;
    while let Some(chunk) = body.next().await {
        // A connection lost mid-export is a transport error (its exit code), not local I/O.
        let chunk = chunk.map_err(|e| CliError::Api(e.into()))?;
        sink.write_all(&chunk).await?;
        written += chunk.len();
        if progress {
            eprint!("\r{written} bytes");
        }
    }
    sink.flush().await?;
    if progress {
        eprintln!();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fields_are_set_on_the_body() {
        // (what, --body, --field values, the body sent or what the error says)
        type Case<'a> = (&'a str, Option<Value>, &'a [&'a str], Result<Value, &'a str>);
        let cases: &[Case] = &[
            ("one string", None, &["email=ana@example.com"], Ok(json!({"email": "ana@example.com"}))),
            (
                "json values",
                None,
                &["n:=3", "ok:=true", "gone:=null", "tags:=[\"a\"]"],
                Ok(json!({"n": 3, "ok": true, "gone": null, "tags": ["a"]})),
            ),
            ("a number as text", None, &["id=007"], Ok(json!({"id": "007"}))),
            ("an = in the text", None, &["q=a=b", "u=x:=y"], Ok(json!({"q": "a=b", "u": "x:=y"}))),
            ("over the body", Some(json!({"a": 1, "b": 2})), &["b=two"], Ok(json!({"a": 1, "b": "two"}))),
            ("later wins", None, &["a=1", "a=2"], Ok(json!({"a": "2"}))),
            ("no separator", None, &["email"], Err("write key=text or key:=json")),
            ("empty key", None, &["=x"], Err("the key is empty")),
            ("bad json", None, &["n:=three"], Err("is not JSON")),
            ("body not an object", Some(json!([1])), &["a=1"], Err("not a JSON object")),
        ];
        for (name, body, fields, expect) in cases {
            let fields: Vec<String> = fields.iter().map(|f| f.to_string()).collect();
            let got = with_fields(body.clone(), &fields.iter().collect::<Vec<_>>());
            match (got, expect) {
                (Ok(got), Ok(want)) => assert_eq!(got.as_ref(), Some(want), "{name}"),
                (Err(e), Err(want)) => assert!(e.to_string().contains(want), "{name}: {e}"),
                (got, _) => panic!("{name}: {got:?}"),
            }
        }
        assert_eq!(with_fields(None, &[]).unwrap(), None, "no fields, no body");
    }

    /// Every kind of the runtime has a code of its own, and `--help` lists it beside its label.
    #[test]
    fn every_error_kind_has_its_own_exit_code() {
        let mut seen = std::collections::BTreeMap::new();
        for kind in ErrorKind::ALL {
            let code = kind_code(*kind);
            assert_ne!(code, UNKNOWN_KIND, "{kind} has no exit code");
            assert!((10..UNKNOWN_KIND).contains(&code), "{kind}: {code}");
            assert_eq!(seen.insert(code, *kind), None, "{kind}: code {code} twice");
            let listed = format!("{code:>2} {}", kind.as_str());
            assert!(EXIT_CODES.contains(&listed), "--help lacks `{listed}`");
        }
        assert_eq!(seen.len(), ErrorKind::ALL.len());
    }
}
