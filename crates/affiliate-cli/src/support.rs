//! What every generated command module shares: flag parsing into the client's types, JSON / NDJSON /
//! byte-stream output, progress on a terminal, and one exit code per error kind.

use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use affiliate_runtime::ResponseExt;
use futures::{Stream, StreamExt};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use tokio::io::AsyncWriteExt;

/// Global flags.
pub struct Ctx {
    pub mock: bool,
    pub base_url: Option<String>,
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
  29 signature (a webhook delivery that does not verify)     30 webhook_payload";

/// The exit code of an error kind (`Error::kind()`), as [`EXIT_CODES`] lists them.
pub fn exit_code(error: &CliError) -> u8 {
    match error {
        CliError::Io(_) => 1,
        CliError::Usage(_) => 2,
        CliError::Input(_) => 3,
        CliError::Api(e) => match e.kind() {
            "unauthorized" => 10,
            "forbidden" => 11,
            "not_found" => 12,
            "conflict" => 13,
            "validation" => 14,
            "rate_limited" => 15,
            "server" => 16,
            "timeout" => 18,
            "transport" => 19,
            "decode" => 20,
            "missing_credential" => 21,
            "config" => 22,
            "invalid_request" => 23,
            "pagination" => 24,
            "too_large" => 25,
            "job" => 26,
            "foreign_link" => 27,
            "token" => 28,
            "signature" => 29,
            "webhook_payload" => 30,
            _ => 17,
        },
    }
}

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

/// `--body`: the file's (or stdin's) JSON.
pub fn body(m: &clap::ArgMatches) -> Result<Option<Value>, CliError> {
    let Some(source) = m.get_one::<String>("body") else { return Ok(None) };
    let text = if source == "-" {
        std::io::read_to_string(std::io::stdin())?
    } else {
        std::fs::read_to_string(source).map_err(|e| CliError::Input(format!("--body {source}: {e}")))?
    };
    serde_json::from_str(&text).map(Some).map_err(|e| CliError::Input(format!("--body {source}: {e}")))
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
