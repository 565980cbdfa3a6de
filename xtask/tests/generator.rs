//! The generator's tests: snapshots of small fixture specs (one feature each), hostile specs that
//! must fail cleanly, determinism, and the drift check over the committed crates.

use std::path::{Path, PathBuf};
use std::process::Command;

use xtask::generate::{self, generate_crate};

#[path = "generator/lower.rs"]
mod lower;

fn xtask_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn generated(fixture: &str) -> String {
    let file = PathBuf::from("xtask/tests/fixtures").join(format!("{fixture}.yaml"));
    let text = std::fs::read_to_string(xtask_dir().join("tests/fixtures").join(format!("{fixture}.yaml"))).unwrap();
    let outputs = generate_crate(&file, &text).unwrap_or_else(|errors| panic!("{fixture}: {errors:?}"));
    let name = fixture.replace('_', "-");
    let source = |f: &str| outputs[&PathBuf::from(format!("crates/affiliate-{name}/{f}"))].clone();
    let mut files =
        ["Cargo.toml", "src/generated.rs", "src/generated/types.rs", "src/generated/builder.rs"].map(source).join("\n");
    // A spec with `x-affiliate-webhooks` has a webhooks module too.
    if let Some(webhooks) = outputs.get(&PathBuf::from(format!("crates/affiliate-{name}/src/webhooks.rs"))) {
        files.push('\n');
        files.push_str(webhooks);
    }
    files
}

fn snapshot(fixture: &str) {
    let mut settings = insta::Settings::clone_current();
    settings.set_prepend_module_to_snapshot(false);
    settings.set_snapshot_path(xtask_dir().join("tests/snapshots"));
    settings.bind(|| insta::assert_snapshot!(fixture, generated(fixture)));
    // The Surface: what the glue, mock and CLI read of progenitor's output (the contract an
    // upgrade of progenitor must keep).
    let file = PathBuf::from("xtask/tests/fixtures").join(format!("{fixture}.yaml"));
    let text = std::fs::read_to_string(xtask_dir().join("tests/fixtures").join(format!("{fixture}.yaml"))).unwrap();
    let (_, surface) = generate::generate_with_surface(&file, &text).unwrap_or_else(|e| panic!("{fixture}: {e:?}"));
    settings.bind(|| insta::assert_snapshot!(format!("{fixture}.surface"), surface));
}

/// One test per fixture, so one changed snapshot does not hide the others.
macro_rules! snapshots {
    ($($fixture:ident),* $(,)?) => {
        mod snapshot {
            $(#[test] fn $fixture() { super::snapshot(stringify!($fixture)); })*
        }
    };
}

snapshots![
    bearer,
    basic,
    api_key_headers,
    page_pagination,
    offset_pagination,
    cursor_pagination,
    unified_errors,
    open_enum,
    lenient,
    success_variants,
    body_errors,
    tri_state,
    no_servers,
    non_ascii_version,
    two_success_types,
    reserved_words,
    inheritance,
    path_parameters,
    files,
    duplicate_ids,
    security_alternatives,
    request_media_types,
    openapi_31,
    mixed_30_31,
    rate_limit_idempotency,
    union_facets,
    path_templates,
    undocumented_success,
    deep_refs,
    value_types,
    webhooks,
];

/// A parameter named like a flag every operation has gets a suffixed flag and id in the CLI (clap
/// refuses two arguments of one name); the setter it calls keeps its name.
#[test]
fn cli_flags_of_parameters_never_clash_with_the_common_ones() {
    let file = PathBuf::from("xtask/tests/fixtures/reserved_words.yaml");
    let text = std::fs::read_to_string(xtask_dir().join("tests/fixtures/reserved_words.yaml")).unwrap();
    let outputs = generate_crate(&file, &text).unwrap();
    let cli = outputs
        .iter()
        .find(|(path, _)| path.starts_with("crates/affiliate-cli/src/apis"))
        .map(|(_, text)| text.split_whitespace().collect::<String>())
        .expect("a CLI module");
    let cases = [
        ("output", &["long(\"output-param\")", "Arg::new(\"output_param\")", "b.output("][..]),
        ("verbose", &["long(\"verbose-param\")", "Arg::new(\"verbose_param\")", "b.verbose("]),
        ("match (not common)", &["long(\"match\")", "b.match_("]),
    ];
    for (what, needles) in cases {
        for needle in needles {
            assert!(cli.contains(needle), "{what}: no `{needle}`");
        }
    }
    for common in xtask::emit::cli::COMMON_FLAGS {
        assert!(!cli.contains(&format!(".long(\"{common}\")")), "a parameter took --{common}");
    }
}

#[test]
fn fixture_features_are_present() {
    // Snapshots show everything; these are the lines each fixture exists for.
    // Whitespace is ignored: prettyplease breaks long lines wherever they fit.
    let squash = |text: &str| text.split_whitespace().collect::<String>();
    let check = |fixture: &str, needles: &[&str]| {
        let code = squash(&generated(fixture));
        for needle in needles {
            assert!(code.contains(&squash(needle)), "{fixture}: missing `{needle}`");
        }
    };
    check("bearer", &["SecurityScheme::Bearer", "env: \"FIXTURE_TOKEN\""]);
    check(
        "webhooks",
        &[
            "algorithm: ::affiliate_runtime::webhook::Algorithm::HmacSha512",
            "encoding: ::affiliate_runtime::webhook::Encoding::Base64",
            "prefix: \"v1=\"",
            "before: \"v1:\", between: \":\", tolerance: ::std::time::Duration::from_secs(300u64)",
            "OrderPaid(types::OrderEvent)",
            "OrderRefunded(types::OrderEvent)",
            "CustomerDeleted(types::CustomerEvent)",
            "pub fn verify(secret: &str, signature_header: &str, timestamp_header: &str, raw_body: &[u8],",
            "::affiliate_runtime::webhook::decode(raw_body, \"/type\", Event::from_delivery)",
        ],
    );
    check(
        "rate_limit_idempotency",
        &[
            "rate_limit: Some(\"600/min\")",
            "version = \"2.1.0-rc.1\"",
            "idempotency_headers: &[(\"create_order\", \"Idempotency-Key\")]",
            "pub fn idempotency_key(mut self, key: impl AsRef<str>) -> Self",
            "self.options.add_header(\"Idempotency-Key\", key.as_ref());",
        ],
    );
    check("bearer", &["rate_limit: None", "idempotency_headers: &[]", "version = \"0.1.0\""]);
    check("bearer", &["pub note: ::std::option::Option<::std::string::String>"]);
    check("basic", &["env_username: \"FIXTURE_APP_KEY\"", "anonymous_operations: &[\"health\"]"]);
    check("basic", &["DEFAULT_BASE_URL: &str = \"https://api.example.com/v1\""]);
    check("api_key_headers", &["header: \"X-Api-Key\"", "env: \"API_KEY_HEADERS_KEY\"", "env: \"FIXTURE_SECRET\""]);
    check(
        "path_parameters",
        &["SecurityScheme::ApiKeyQuery { name: \"queryKey\", param: \"api_key\", env: \"FIXTURE_API_KEY\", }"],
    );
    // Path parameters through the runtime's encoding (written into the URL text), refused
    // before sending when they cannot stay in their segment.
    check("path_parameters", &["use ::affiliate_runtime::__private::encode_path;", "push_path(&mut url, &"]);
    let code = squash(&generated("path_parameters"));
    assert!(!code.contains("useprogenitor_client::{encode_path"), "progenitor's encode_path is still imported");
    assert!(!code.contains("encode_path(&"), "a path parameter still goes through an intermediate string");
    let calls = code.matches("push_path(&mut").count();
    let refusable = code
        .split("push_path(&mut")
        .skip(1)
        .filter(|rest| rest.split_once(';').is_some_and(|(call, _)| call.ends_with(")?")))
        .count();
    assert!(calls > 0 && calls == refusable, "{calls} push_path calls, {refusable} with `?`");
    // The lean request path: one URL string, the query written into it, the buffered body decoded.
    check("page_pagination", &["__private::Query::new(&mut url)", ".finish();", "__private::decode(response).await"]);
    assert!(!squash(&generated("page_pagination")).contains(".query(&"), "a query parameter re-serialises the URL");
    check("page_pagination", &["Plan::Page", "unwrap_or(50u64)", "pub fn stream("]);
    check("offset_pagination", &["Plan::Offset", "links: true", "next_page", "PageValue::as_count"]);
    check("cursor_pagination", &["Plan::Cursor", "cursor_param: \"cursor_id\"", "next_cursor:"]);
    check(
        "unified_errors",
        &["idempotent_operations: &[\"create_order\"]", "200..=299", "400u16..=499u16 =>", "500u16..=599u16 =>"],
    );
    check("open_enum", &["OtherValue(::std::string::String)", "Other =>", "Other(::std::string::String)"]);
    check("lenient", &["pub phone: ::affiliate_runtime::lenient::LenientString"]);
    check("lenient", &["pub commission: ::std::option::Option<::affiliate_runtime::lenient::LenientNumber"]);
    check("lenient", &["pub clicks: ::std::option::Option<::affiliate_runtime::lenient::LenientInteger>"]);
    check(
        "success_variants",
        &["pub enum ExportCsvSuccess", "Ok(::progenitor_client::ByteStream)", "Accepted(JobEnvelope)"],
    );
    check(
        "success_variants",
        &[
            "NoContent,",
            "202u16 => { ::affiliate_runtime::__private::decode_json(response, client.inner.max_body_bytes()",
            "undocumented_status",
        ],
    );
    check("success_variants", &["pub async fn wait(", "pub async fn wait_for_result(", "is(&[\"complete\"])"]);
    check(
        "body_errors",
        &["BodyErrorRule::Present(\"/responseStatus/errorCode\")", "BodyErrorRule::Equals(\"/success\", \"false\")"],
    );
    check("tri_state", &["#[serde(default, with = \"::affiliate_runtime::__private::nullable\")] pub name: ::std::option::Option<::std::option::Option<::std::string::String>>"]);
    // Setters take the value itself; `clear_*` sends null.
    check(
        "tri_state",
        &[
            "T: ::std::convert::TryInto<::std::string::String>,",
            ".map(|v| ::std::option::Option::Some(::std::option::Option::Some(v)))",
            "pub fn clear_name(mut self) -> Self { self.name = Ok(::std::option::Option::Some(::std::option::Option::None));",
        ],
    );
    // Integer parameters take any integer type, checked at run time.
    check(
        "page_pagination",
        &[
            "V: ::affiliate_runtime::__private::Integer",
            "::affiliate_runtime::__private::integer(value, \"page_size\")",
        ],
    );
    // Per-call options on every operation builder; only the runtime's builder constructs clients.
    check(
        "bearer",
        &[
            "options: ::affiliate_runtime::__private::CallOptions,",
            "pub fn timeout(mut self, timeout: ::std::time::Duration) -> Self",
            "pub fn retry_policy(mut self, policy: ::affiliate_runtime::RetryPolicy) -> Self",
            "let options = ::std::mem::take(&mut self.options); ::affiliate_runtime::__private::send(options, ::std::boxed::Box::pin(self.send_raw()),)",
            "pub(crate) fn new_with_client(",
            "url_templates: &[",
        ],
    );
    // Valid specs the generator used to refuse.
    check("no_servers", &["default_base_url: \"\","]);
    check("non_ascii_version", &["pub async fn send("]);
    check(
        "two_success_types",
        &[
            "pub enum GetASuccess",
            "Ok(GetAOk)",
            "Accepted(GetAAccepted)",
            "202u16 => { ::affiliate_runtime::__private::decode_json(response, client.inner.max_body_bytes()",
        ],
    );
    // OpenAPI 3.1, lowered: `[T, null]`, `oneOf` with null and `$ref` + type list are nullable,
    // `const` an enum, numeric exclusive bounds, `$defs` a component, `patternProperties` a map.
    check(
        "openapi_31",
        &[
            "pub note: ::std::option::Option<::std::string::String>",
            "pub shipping: ::std::option::Option<OrderAddress>",
            "pub billing: ::std::option::Option<OrderAddress>",
            "pub enum OrderKind",
            "pub quantity: ::std::num::NonZeroU64",
            "pub rates: ::std::collections::BTreeMap<::std::string::String, f64>",
            "pub status: ::std::option::Option<::std::option::Option<Status>>",
            "pub async fn send(",
        ],
    );
    check("openapi_31", &["(\"get_order\", \"/orders/{id}\")"]);
    assert!(!generated("no_servers").contains("DEFAULT_BASE_URL"), "no servers, no default");
    assert!(generated("non_ascii_version").contains("1.0 \\u{2013} b\\u{ea}ta"), "version escaped to ASCII");
    // The response-only schema keeps a plain Option.
    check("tri_state", &["pub struct Website { #[serde(skip_serializing_if = \"::std::option::Option::is_none\")] pub name: ::std::option::Option<::std::string::String>, }"]);
    let code = generated("bearer");
    assert!(!code.contains("deny_unknown_fields"), "additionalProperties: false is dropped");
    // Struct builders only for request bodies: `WebsiteUpdate` is sent, `Website` only received.
    let code = squash(&generated("tri_state"));
    assert!(code.contains(&squash("impl WebsiteUpdate { pub fn builder() -> builder::WebsiteUpdate")));
    assert!(!code.contains(&squash("impl Website { pub fn builder()")), "no builder for a response-only type");
    // Noise progenitor emits and nobody reads.
    assert!(!code.contains("Client::api_version()"), "the api-version header is not built");
    assert!(!code.contains("```ignore"), "no usage example under every method");
    for fixture in ["page_pagination", "offset_pagination", "cursor_pagination"] {
        let code = squash(&generated(fixture));
        assert!(
            !code.contains("Option::Some(page)).map_or(0"),
            "{fixture}: items through required fields are read directly"
        );
    }
}

/// The target directory this test binary was built in (`CARGO_TARGET_DIR`, a configured
/// `target-dir`, or `<repo>/target`): scratch crates build there, against the runtime and
/// dependencies already compiled, rather than cold in a directory of their own.
fn target_dir() -> PathBuf {
    // <target>/<profile>/deps/<test binary>, wherever CARGO_TARGET_DIR put <target>.
    let exe = std::env::current_exe().unwrap();
    exe.ancestors().nth(3).expect("the test binary sits in <target>/<profile>/deps").to_path_buf()
}

/// Every fixture generates a client, a mock crate and a command module that compile: all of them
/// as members of one scratch workspace, built by one cargo invocation.
#[test]
fn every_fixture_builds() {
    let root = xtask_dir().parent().unwrap().to_path_buf();
    let mut fixtures: Vec<PathBuf> = std::fs::read_dir(xtask_dir().join("tests/fixtures"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    fixtures.sort();
    assert!(fixtures.len() >= 16, "fixtures found: {fixtures:?}");
    let mut outputs = generate::Outputs::new();
    for path in &fixtures {
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        let file = PathBuf::from(format!("specs/{name}.yaml"));
        let text = std::fs::read_to_string(path).unwrap();
        // The client, its mock crate and its module of the `affiliate` command.
        outputs.extend(generate_crate(&file, &text).unwrap_or_else(|e| panic!("{name}: {e:#?}")));
    }
    // The fixtures' command modules in a copy of the real CLI crate: its hand-written main.rs and
    // support.rs, and one client and mock dependency per fixture instead of the real APIs'.
    let (index, modules) = xtask::emit::cli::index(&outputs);
    outputs.insert(index, modules);
    let cli = root.join("crates/affiliate-cli");
    let real = std::fs::read_to_string(cli.join("Cargo.toml")).unwrap();
    let (head, tail) = real.split_once("affiliate-runtime = ").unwrap();
    let head = &head[..head.find("affiliate-dub").unwrap()];
    let apis: String = fixtures
        .iter()
        .map(|p| p.file_stem().unwrap().to_string_lossy().replace('_', "-"))
        .map(|n| format!("affiliate-{n} = {{ path = \"../affiliate-{n}\" }}\naffiliate-{n}-mock = {{ path = \"../affiliate-{n}-mock\" }}\n"))
        .collect();
    outputs.insert(PathBuf::from("crates/affiliate-cli/Cargo.toml"), format!("{head}{apis}affiliate-runtime = {tail}"));
    for hand_written in ["src/main.rs", "src/support.rs"] {
        let text = std::fs::read_to_string(cli.join(hand_written)).unwrap();
        outputs.insert(PathBuf::from("crates/affiliate-cli").join(hand_written), text);
    }
    let scratch = scratch_workspace("xtask-fixture-crates", &outputs);
    assert_eq!(
        std::fs::read_dir(scratch.join("crates")).unwrap().count(),
        2 * fixtures.len() + 1,
        "a client and a mock each, and the command"
    );
    let output = cargo_build(&scratch, &["--offline", "--workspace", "--quiet"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "fixture crates do not build:\n{stderr}");
    assert!(!stderr.contains("warning"), "fixture crates build with warnings:\n{stderr}");
    let _ = std::fs::remove_dir_all(&scratch);
}

/// Writes `outputs` (generated crates, by path) as the members of a fresh scratch workspace
/// `<target>/<dir>` and returns its root: the real workspace's manifest with other members, and the
/// runtime and mock crates by absolute path, and its lock file (same versions).
fn scratch_workspace(dir: &str, outputs: &generate::Outputs) -> PathBuf {
    let root = xtask_dir().parent().unwrap().to_path_buf();
    let scratch = target_dir().join(dir);
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch).unwrap();
    // Written at once: a write removes generated crates that are not in its outputs.
    generate::write_outputs(&scratch, outputs).unwrap();
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    let members_start = manifest.find("members = [").unwrap();
    let members_end = members_start + manifest[members_start..].find(']').unwrap() + 1;
    let absolute = |krate: &str| root.join("crates").join(krate).display().to_string().replace('\\', "/");
    let manifest = format!("{}members = [\"crates/*\"]{}", &manifest[..members_start], &manifest[members_end..])
        .replace("path = \"crates/affiliate-runtime\"", &format!("path = \"{}\"", absolute("affiliate-runtime")))
        .replace("path = \"crates/affiliate-mock\"", &format!("path = \"{}\"", absolute("affiliate-mock")));
    std::fs::write(scratch.join("Cargo.toml"), manifest).unwrap();
    std::fs::copy(root.join("Cargo.lock"), scratch.join("Cargo.lock")).unwrap();
    scratch
}

/// `cargo build <args>` in a scratch workspace, sharing this test binary's target directory: the
/// dependencies are already built there.
fn cargo_build(scratch: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO"))
        .arg("build")
        .args(args)
        .current_dir(scratch)
        .env("CARGO_TARGET_DIR", target_dir())
        .output()
        .unwrap()
}

#[test]
fn output_is_deterministic() {
    for fixture in ["bearer", "offset_pagination", "open_enum"] {
        assert_eq!(generated(fixture), generated(fixture), "{fixture}");
    }
}

/// Hostile specs: each one's JSON pointer (or YAML position) and a fragment of the message; one
/// test per spec (the command-line test below runs them all at once).
macro_rules! hostile {
    ($($name:ident => ($location:expr, $message:expr)),* $(,)?) => {
        const HOSTILE: &[(&str, &str, &str)] = &[$((stringify!($name), $location, $message)),*];
        mod hostile {
            $(#[test] fn $name() { super::fails_cleanly(stringify!($name), $location, $message); })*
        }
    };
}

hostile! {
    success_enum_name_taken => ("/paths/~1a/get", "a schema is already named `GetASuccess`"),
    yaml_syntax => ("line 4 column 10", "invalid YAML"),
    json_syntax => ("line 2 column 10", "invalid JSON"),
    ref_through_itself => ("/components/$ref", "does not resolve"),
    dangling_ref => ("/paths/~1a/get/responses/200/content/application~1json/schema/$ref", "does not resolve"),
    swagger_2 => ("/swagger", "convert the document to OpenAPI 3.0.3"),
    openapi_31_tuple => ("/components/schemas/Pair/prefixItems", "tuples have no OpenAPI 3.0 form"),
    success_variants_refused => ("/paths/~1a/get/responses/202", "two success responses with different bodies"),
    misspelled_extension => ("/paths/~1a/get/x-affiliate-paginaton", "unknown extension `x-affiliate-paginaton`"),
    unknown_extension_key => ("/paths/~1a/get/x-affiliate-pagination/pageSize", "unknown key `pageSize`"),
    pagination_items_missing => ("/paths/~1a/get/x-affiliate-pagination", "`Page` has no field `results`"),
    misplaced_extension => ("/x-affiliate-idempotent", "belongs on an operation"),
    unknown_pagination_style => ("/paths/~1a/get/x-affiliate-pagination/style", "unknown pagination style `keyset`"),
    pagination_param_missing => ("/paths/~1a/get/x-affiliate-pagination/size", "`per_page` is not a query parameter"),
    cookie_parameter => ("/paths/~1a/get/parameters/0", "cookie parameter `session`"),
    deep_object_parameter => ("/paths/~1a/get/parameters/0/style", "style `deepObject` is not supported"),
    not_a_mapping => ("", "must be a YAML mapping"),
    wrong_types => ("/paths/~1a/get/parameters", "must be a list"),
    job_link_unknown_field => ("/paths/~1export.csv/get/responses/202/links/poll/parameters/jobId", "has no field `nope`"),
    progenitor_fails_on_a_schema => ("/components/schemas/Limit", "progenitor fails on it"),
    unsupported_security => ("/components/securitySchemes/signed", "unsupported security scheme"),
    rate_limit_not_a_rate => ("/x-affiliate-rate-limit", "must be a rate `<count>/<unit>`"),
    crate_version_not_semver => ("/x-affiliate-crate-version", "must be a version `MAJOR.MINOR.PATCH`"),
    idempotency_header_invalid => ("/paths/~1orders/post/x-affiliate-idempotency-header", "must be a header name"),
    path_query_literal => ("/paths/~1a?format=csv", "the path carries the fixed query `format=csv`"),
    path_holes_unmatched => ("/paths/~1a~1{x}~1{y}/get", "holes `x`, `y` are not declared"),
    path_parameter_without_hole => ("/paths/~1a/get/parameters/0", "path parameter `id` has no `{id}`"),
    structured_parameter => ("/paths/~1a/get/parameters/0/content", "parameter `payload` is a structured value"),
    path_rewritten_error_located => ("/paths/~1stores~1<id>~1orders/get/parameters/1", "cookie parameter `session`"),
    webhooks_unknown_algorithm => ("/x-affiliate-webhooks/signature/algorithm", "hmac-sha256 or hmac-sha512"),
    webhooks_bad_signed_template => ("/x-affiliate-webhooks/signature/timestamp/signed", "end with `{body}`"),
    webhooks_event_without_schema => ("/x-affiliate-webhooks/events/customer.deleted", "no component schema `Customer`"),
    webhooks_unknown_key => ("/x-affiliate-webhooks/signature/secretEncoding", "unknown key `secretEncoding`"),
}

fn fails_cleanly(name: &str, location: &str, message: &str) {
    let file = PathBuf::from(format!("specs/{name}.yaml"));
    let text = std::fs::read_to_string(xtask_dir().join("tests/hostile").join(format!("{name}.yaml"))).unwrap();
    let errors = generate_crate(&file, &text).err().unwrap_or_else(|| panic!("{name}: generated without error"));
    let found =
        errors.iter().any(|e| e.file == file && e.location.starts_with(location) && e.message.contains(message));
    assert!(found, "{name}: expected {location} / {message}, got {errors:#?}");
    for e in &errors {
        let shown = e.to_string();
        assert!(shown.starts_with(&format!("specs/{name}.yaml: ")), "{shown}");
    }
}

#[test]
fn recursive_schemas_are_supported() {
    let text = std::fs::read_to_string(xtask_dir().join("tests/hostile/recursive_schema.yaml")).unwrap();
    let outputs = generate_crate(Path::new("specs/tree.yaml"), &text).unwrap();
    let code = &outputs[&PathBuf::from("crates/affiliate-tree/src/generated/types.rs")];
    assert!(code.contains("::std::boxed::Box<Node>"), "recursion goes through a Box");
}

/// The real command on a scratch workspace: exit code 1, every problem reported, nothing written.
#[test]
fn the_command_reports_spec_errors_with_exit_code_1() {
    let root = std::env::temp_dir().join(format!("xtask-hostile-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(root.join("specs")).unwrap();
    std::fs::create_dir_all(root.join("crates")).unwrap();
    for (name, _, _) in HOSTILE {
        std::fs::copy(
            xtask_dir().join("tests/hostile").join(format!("{name}.yaml")),
            root.join("specs").join(format!("{name}.yaml")),
        )
        .unwrap();
    }
    let output = Command::new(env!("CARGO_BIN_EXE_xtask")).args(["regenerate", "--root"]).arg(&root).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    for (name, location, _) in HOSTILE {
        assert!(stderr.contains(&format!("specs/{name}.yaml: {location}")), "{name} not reported:\n{stderr}");
    }
    assert!(stderr.contains("nothing was written"));
    assert_eq!(std::fs::read_dir(root.join("crates")).unwrap().count(), 0);
    let _ = std::fs::remove_dir_all(&root);
}

/// Plain `cargo test` catches a forgotten `cargo xtask regenerate`.
#[test]
fn committed_crates_match_specs() {
    let root = xtask_dir().parent().unwrap().to_path_buf();
    let outputs = generate::generate_workspace(&root).unwrap_or_else(|e| panic!("{e:#?}"));
    let stale = generate::stale_files(&root, &outputs);
    assert!(stale.is_empty(), "stale generated files (run `cargo xtask regenerate`): {stale:#?}");
}

/// `regenerate` after a spec change says how the client's public API changed and the version that
/// needs, against the crate generated before (one fresh root per case).
#[test]
fn regenerate_reports_the_api_change_of_a_spec_change() {
    let spec = std::fs::read_to_string(xtask_dir().join("tests/fixtures/bearer.yaml")).unwrap();
    let optional = "        - {name: id, in: path, required: true, schema: {type: string}}\n";
    // (what, edits to the spec, what the report says)
    type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, &'a [&'a str]);
    let cases: [Case; 5] = [
        ("nothing", vec![], &[]),
        (
            "a new optional parameter",
            vec![(optional, "        - {name: id, in: path, required: true, schema: {type: string}}\n        - {name: q, in: query, schema: {type: string}}\n")],
            &["affiliate-bearer: public API changed additively", "x-affiliate-crate-version: 0.1.1", "added: fn builder::GetThing::q"],
        ),
        (
            "a removed property",
            vec![("        note: {type: string, nullable: true}", "")],
            &["in a breaking way", "x-affiliate-crate-version: 0.2.0", "removed: field types::Thing.note"],
        ),
        (
            "a retyped property, version already bumped",
            vec![("id: {type: string}", "id: {type: integer}"), ("servers:", "x-affiliate-crate-version: 0.2.0\nservers:")],
            &["minor before 1.0); version 0.1.0 -> 0.2.0", "changed: field types::Thing.id"],
        ),
        (
            "bumped too little",
            vec![("id: {type: string}", "id: {type: integer}"), ("servers:", "x-affiliate-crate-version: 0.1.1\nservers:")],
            &["x-affiliate-crate-version: 0.2.0` in its spec (the version is 0.1.1)"],
        ),
    ];
    for (i, (what, edits, says)) in cases.into_iter().enumerate() {
        let root = std::env::temp_dir().join(format!("xtask-api-change-{}-{i}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(root.join("specs")).unwrap();
        let write = |text: &str| std::fs::write(root.join("specs/bearer.yaml"), text).unwrap();
        let run = || {
            let out =
                Command::new(env!("CARGO_BIN_EXE_xtask")).args(["regenerate", "--root"]).arg(&root).output().unwrap();
            assert!(out.status.success(), "{what}: {}", String::from_utf8_lossy(&out.stderr));
            String::from_utf8_lossy(&out.stdout).into_owned()
        };
        write(&spec);
        assert!(run().contains("affiliate-bearer: a new crate, version 0.1.0"), "{what}");
        let mut edited = spec.clone();
        for (from, to) in edits {
            assert!(edited.contains(from), "{what}: `{from}`");
            edited = edited.replace(from, to);
        }
        write(&edited);
        let report = run();
        for line in says {
            assert!(report.contains(line), "{what}: no `{line}` in\n{report}");
        }
        if says.is_empty() {
            assert!(!report.contains("affiliate-bearer"), "{what}: {report}");
        }
        std::fs::remove_dir_all(&root).unwrap();
    }
}

#[test]
fn check_mode_names_stale_files_and_writes_nothing() {
    let root = std::env::temp_dir().join(format!("xtask-drift-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(root.join("specs")).unwrap();
    std::fs::copy(xtask_dir().join("tests/fixtures/bearer.yaml"), root.join("specs/bearer.yaml")).unwrap();
    let run = |check: bool| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_xtask"));
        cmd.arg("regenerate").arg("--root").arg(&root);
        if check {
            cmd.arg("--check");
        }
        cmd.output().unwrap()
    };
    let stale = run(true);
    assert_eq!(stale.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&stale.stderr);
    assert!(stderr.contains("crates/affiliate-bearer/src/generated.rs"), "{stderr}");
    assert!(!root.join("crates").exists(), "--check wrote nothing");
    assert!(run(false).status.success());
    assert!(run(true).status.success(), "clean after regenerate");
    // An edited generated file is drift too; so is a crate whose spec was removed.
    // A Windows checkout (CRLF) is not stale.
    let lib = root.join("crates/affiliate-bearer/src/lib.rs");
    let text = std::fs::read_to_string(&lib).unwrap();
    std::fs::write(&lib, text.replace('\n', "\r\n")).unwrap();
    assert!(run(true).status.success(), "CRLF line endings are not drift");
    std::fs::write(&lib, "// edited by hand\n").unwrap();
    assert!(String::from_utf8_lossy(&run(true).stderr).contains("crates/affiliate-bearer/src/lib.rs"));
    // --diff shows what changed as a unified diff.
    let diff = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["regenerate", "--check", "--diff", "--root"])
        .arg(&root)
        .output()
        .unwrap();
    assert_eq!(diff.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&diff.stderr);
    for needle in [
        "--- a/crates/affiliate-bearer/src/lib.rs",
        "+++ b/crates/affiliate-bearer/src/lib.rs",
        "@@ -1 +1,",
        "-// edited by hand",
        "+//! Typed async client",
    ] {
        assert!(stderr.contains(needle), "missing `{needle}` in:\n{stderr}");
    }
    std::fs::remove_file(root.join("specs/bearer.yaml")).unwrap();
    assert!(String::from_utf8_lossy(&run(true).stderr).contains("crates/affiliate-bearer"));
    assert!(run(false).status.success());
    assert!(!root.join("crates/affiliate-bearer").exists(), "orphaned crate removed");
    let _ = std::fs::remove_dir_all(&root);
}

mod properties {
    //! Random damage to valid specs: the generator returns Ok or located errors, never panics.

    use std::path::{Path, PathBuf};

    use proptest::prelude::*;
    use serde_json::{json, Value};

    use xtask::generate::generate_crate;

    fn fixtures() -> Vec<Value> {
        let dir = super::xtask_dir().join("tests/fixtures");
        let mut names: Vec<PathBuf> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
        names.sort();
        names.iter().map(|p| serde_yaml::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()).collect()
    }

    /// Every JSON pointer in a document.
    fn pointers(value: &Value, at: String, out: &mut Vec<String>) {
        out.push(at.clone());
        match value {
            Value::Object(map) => {
                for (k, v) in map {
                    pointers(v, format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")), out)
                }
            }
            Value::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    pointers(v, format!("{at}/{i}"), out)
                }
            }
            _ => {}
        }
    }

    fn replacement(kind: u8) -> Value {
        match kind % 10 {
            0 => Value::Null,
            1 => json!(""),
            2 => json!(-1),
            3 => json!([]),
            4 => json!({}),
            5 => json!({"$ref": "#/components/schemas/Nowhere"}),
            6 => json!({"type": "string", "enum": ["a", "a", 3]}),
            7 => json!("x-affiliate-lenient"),
            8 => json!({"style": "offset", "items": "/nope"}),
            _ => json!("ünïcödé ✓"),
        }
    }

    fn damaged(doc: &Value, picks: &[(usize, u8)]) -> Value {
        let mut doc = doc.clone();
        for (index, kind) in picks {
            let mut all = Vec::new();
            pointers(&doc, String::new(), &mut all);
            let at = all[index % all.len()].clone();
            if at.is_empty() {
                continue;
            }
            let (parent, key) = at.rsplit_once('/').unwrap();
            match (kind % 3, doc.pointer_mut(parent)) {
                // Remove the key or element.
                (0, Some(Value::Object(map))) => {
                    map.remove(&key.replace("~1", "/").replace("~0", "~"));
                }
                (0, Some(Value::Array(items))) if !items.is_empty() => {
                    items.remove(key.parse::<usize>().unwrap_or(0).min(items.len() - 1));
                }
                // Replace the value.
                _ => {
                    if let Some(slot) = doc.pointer_mut(&at) {
                        *slot = replacement(*kind);
                    }
                }
            }
        }
        doc
    }

    fn check(text: &str) -> Result<(), TestCaseError> {
        let file = Path::new("specs/fuzzed.yaml");
        match std::panic::catch_unwind(|| generate_crate(file, text)) {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(errors)) => {
                prop_assert!(!errors.is_empty());
                for e in errors {
                    prop_assert_eq!(e.file.as_path(), file);
                    prop_assert!(!e.message.is_empty());
                }
                Ok(())
            }
            Err(_) => Err(TestCaseError::fail(format!("panicked on:\n{text}"))),
        }
    }

    proptest! {
        // Bounded for CI: each case runs the whole generator on a small spec. A failing case is
        // saved to `generator.proptest-regressions` beside this file and replayed first from then
        // on (commit it with the fix); CI pins the seed (`PROPTEST_RNG_SEED` in `.ci/run`).
        #![proptest_config(ProptestConfig {
            cases: 96,
            failure_persistence: Some(Box::new(proptest::test_runner::FileFailurePersistence::WithSource("proptest-regressions"))),
            ..ProptestConfig::default()
        })]

        #[test]
        fn damaged_specs_never_panic(fixture in 0usize..64, picks in prop::collection::vec((0usize..10_000, any::<u8>()), 1..4)) {
            let docs = fixtures();
            let doc = damaged(&docs[fixture % docs.len()], &picks);
            check(&serde_yaml::to_string(&doc).unwrap())?;
        }

        #[test]
        fn arbitrary_text_never_panics(text in "(openapi: 3\\.0\\.3\n|info:\n  |paths:\n  /a:\n    get:\n|[ -~\n]{0,40}){0,12}") {
            check(&text)?;
        }
    }
}

#[path = "generator/corpus.rs"]
mod corpus;
