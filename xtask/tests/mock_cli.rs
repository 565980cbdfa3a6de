//! Names across the client, mock crate and CLI: the naming authority against progenitor's
//! sanitiser, the clashes it resolves, and the lines each mock and CLI feature needs.

use std::path::PathBuf;

use xtask::generate::generate_crate;

/// All generated files of one fixture, by path.
fn outputs(fixture: &str) -> std::collections::BTreeMap<PathBuf, String> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let text = std::fs::read_to_string(dir.join(format!("{fixture}.yaml"))).unwrap();
    generate_crate(&PathBuf::from(format!("specs/{fixture}.yaml")), &text)
        .unwrap_or_else(|e| panic!("{fixture}: {e:?}"))
}

#[test]
fn mock_and_cli_modules_carry_each_feature() {
    let squash = |text: &str| text.split_whitespace().collect::<String>();
    // (fixture, file under the generated paths, lines it must contain)
    let cases: &[(&str, &str, &[&str])] = &[
        ("page_pagination", "-mock/src/generated.rs", &["pub fn pages(", "Paging::Page { param: \"page\""]),
        ("offset_pagination", "-mock/src/generated.rs", &["Paging::Offset {"]),
        ("cursor_pagination", "-mock/src/generated.rs", &["Paging::Cursor {"]),
        ("unified_errors", "-mock/src/generated.rs", &["pub fn bad_request(self)", "pub fn too_many_requests(self)"]),
        ("bearer", "-mock/src/generated.rs", &["builder.bearer_token(\"mock-token\")"]),
        ("basic", "-mock/src/generated.rs", &["builder.basic_auth(\"mock-user\", \"mock-password\")"]),
        ("success_variants", "-mock/src/generated.rs", &["pub fn accepted(self, value: &types::"]),
        ("page_pagination", "cli", &["crate::support::all_arg()", "b.pages()"]),
        // Webhooks: the mock signs and delivers with the client's scheme and serves the examples;
        // the CLI verifies a saved delivery before building any client (no API credentials needed).
        (
            "webhooks",
            "-mock/src/generated.rs",
            &[
                "::affiliate_mock::webhook::deliver(url, &SCHEME, secret, &body).await",
                // Examples of events whose component has one; `customer.deleted` has none.
                "\"order.paid\" => { \"{",
                "\"order.refunded\" => { \"{",
                "delivery.pointer_mut(\"/type\")",
                "affiliate_webhooks::webhooks::decode(&::serde_json::to_vec(&delivery).ok()?).ok()",
            ],
        ),
        (
            "webhooks",
            "cli",
            &[
                "Command::new(\"verify-webhook\")",
                "crate::support::webhook_input(m, \"FIXTURE_WEBHOOK_SECRET\")?",
                "Arg::new(\"timestamp\")",
            ],
        ),
        ("success_variants", "cli", &["crate::support::wait_arg()", "wait_for_result(&poll)"]),
        // The 202's OpenAPI link to the job operation: `--wait` polls the job the answer names.
        (
            "success_variants",
            "cli",
            &["types::ExportCsvSuccess::Accepted(page)", "client.get_job().job_id(id).wait_for_result(&poll)"],
        ),
    ];
    for (fixture, file, needles) in cases {
        let files = outputs(fixture);
        let name = fixture.replace('_', "-");
        let path = if *file == "cli" {
            PathBuf::from(format!("crates/affiliate-cli/src/apis/{fixture}.rs"))
        } else {
            PathBuf::from(format!("crates/affiliate-{name}{file}"))
        };
        let code = squash(files.get(&path).unwrap_or_else(|| panic!("{fixture}: no {}", path.display())));
        for needle in *needles {
            assert!(code.contains(&squash(needle)), "{fixture} {}: missing `{needle}`", path.display());
        }
    }
}

/// A one-operation spec at `/a` with `parameters` (YAML flow list items) and an example answer.
fn spec(operation: &str, parameters: &[&str]) -> String {
    let id = if operation.is_empty() { String::new() } else { format!("      operationId: \"{operation}\"\n") };
    let params: String = parameters.iter().map(|p| format!("        - {p}\n")).collect();
    format!(
        "openapi: 3.0.3\ninfo: {{title: T, version: \"1.0\"}}\nservers: [{{url: \"https://api.example.com\"}}]\n\
         paths:\n  /a/{{id}}:\n    get:\n{id}      parameters:\n        - {{name: id, in: path, required: true, schema: {{type: string}}}}\n{params}      \
         responses:\n        \"200\":\n          description: ok\n          content:\n            application/json:\n              \
         schema: {{type: object}}\n              example: {{}}\n"
    )
}

/// Names the naming authority decides instead of refusing the spec: (operation id, extra
/// parameters, generated file, lines it must contain).
#[test]
fn names_that_clash_are_resolved_not_refused() {
    let squash = |text: &str| text.split_whitespace().collect::<String>();
    let cases: &[(&str, &[&str], &str, &[&str])] = &[
        // Operation ids as vendors write them; a missing one comes from method and path.
        ("get-publisher-commissions-default", &[], "client", &["pub fn get_publisher_commissions_default("]),
        ("List all Countries", &[], "cli", &["Command::new(\"list-all-countries\")"]),
        ("webrisk.hashes.search", &[], "client", &["pub fn webrisk_hashes_search("]),
        ("", &[], "client", &["pub fn get_a_by_id(", "no operationId; this name comes from its method and path"]),
        // A query parameter named like a per-call option, or like the path parameter: an alias
        // setter, the wire name kept.
        (
            "getA",
            &["{name: timeout, in: query, schema: {type: integer}}"],
            "builder",
            &["pub fn timeout_2<V>(", "QueryParam::new(\"timeout\", &timeout_2)"],
        ),
        (
            "getA",
            &["{name: id, in: query, schema: {type: string}}"],
            "builder",
            &["pub fn id_2<V>(", "QueryParam::new(\"id\", &id_2)"],
        ),
        (
            "getA",
            &["{name: id, in: query, schema: {type: string}}"],
            "mock",
            &["pub fn id_2(self", "query_param(\"id\""],
        ),
        // A parameter named like a mock answer or method: the matcher gets the suffix.
        ("getA", &["{name: ok, in: query, schema: {type: string}}"], "mock", &["pub fn ok_2(self", "pub fn ok(self"]),
        ("getA", &["{name: example, in: query, schema: {type: string}}"], "mock", &["pub fn example_2(self"]),
        (
            "getA",
            &[
                "{name: \"filter[a]\", in: query, schema: {type: string}}",
                "{name: \"filter.a\", in: query, schema: {type: string}}",
            ],
            "builder",
            &["QueryParam::new(\"filter[a]\", &filter_a)", "QueryParam::new(\"filter.a\", &filter_a_2)"],
        ),
    ];
    for (operation, parameters, file, needles) in cases {
        let text = spec(operation, parameters);
        let files =
            generate_crate(&PathBuf::from("specs/t.yaml"), &text).unwrap_or_else(|e| panic!("{operation}: {e:?}"));
        let path = match *file {
            "client" => "crates/affiliate-t/src/generated.rs",
            "builder" => "crates/affiliate-t/src/generated/builder.rs",
            "mock" => "crates/affiliate-t-mock/src/generated.rs",
            _ => "crates/affiliate-cli/src/apis/t.rs",
        };
        let code = squash(&files[&PathBuf::from(path)]);
        for needle in *needles {
            assert!(code.contains(&squash(needle)), "{operation} {parameters:?}: {path} lacks `{needle}`");
        }
    }
}

/// Two ids that sanitise alike get stable suffixes, in document order.
#[test]
fn duplicate_operation_ids_get_stable_suffixes() {
    let text =
        std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/duplicate_ids.yaml"))
            .unwrap();
    let files = generate_crate(&PathBuf::from("specs/t.yaml"), &text).unwrap_or_else(|e| panic!("{e:?}"));
    let code = &files[&PathBuf::from("crates/affiliate-t/src/generated.rs")];
    assert!(code.contains("pub fn get_thing(") && code.contains("pub fn get_thing_2("), "{code}");
    assert!(code.find("/a\"").unwrap() < code.find("/b\"").unwrap());
}

/// The reserved-words fixture, as the mock and CLI see it: the setters progenitor escaped
/// (`self_`, `_2fa_code`, `async_`) get matchers and flags, and the anonymous operation named
/// `match` is listed under the id the runtime's hooks receive.
#[test]
fn keyword_names_reach_every_emitter() {
    let files = outputs("reserved_words");
    let squash = |text: &str| text.split_whitespace().collect::<String>();
    let file = |p: &str| squash(&files[&PathBuf::from(p)]);
    let client = file("crates/affiliate-reserved-words/src/generated.rs");
    assert!(client.contains(&squash("anonymous_operations: &[\"match_\"]")), "{client}");
    let builder = file("crates/affiliate-reserved-words/src/generated/builder.rs");
    assert!(builder.contains(&squash("operation_id: \"match_\"")), "the hook receives another id");
    let mock = file("crates/affiliate-reserved-words-mock/src/generated.rs");
    for needle in [
        "pub fn self_(self, value",
        "pub fn async_(self, value",
        "pub fn _2fa_code(self, value",
        "pub fn match_(self, value",
    ] {
        assert!(mock.contains(&squash(needle)), "mock lacks `{needle}`");
    }
    let cli = file("crates/affiliate-cli/src/apis/reserved_words.rs");
    for needle in [".long(\"self\")", "b = b.self_(", ".long(\"2fa-code\")", "Command::new(\"type\")"] {
        assert!(cli.contains(&squash(needle)), "cli lacks `{needle}`");
    }
}

mod naming {
    use xtask::naming::*;

    #[test]
    fn sanitises_like_progenitor() {
        for (input, snake, pascal) in [
            ("listPartners", "list_partners", "ListPartners"),
            (
                "get-publisher-commissions-default",
                "get_publisher_commissions_default",
                "GetPublisherCommissionsDefault",
            ),
            ("List all Countries", "list_all_countries", "ListAllCountries"),
            ("webrisk.hashes.search", "webrisk_hashes_search", "WebriskHashesSearch"),
            ("type", "type_", "Type"),
            ("self", "self_", "Self_"),
            ("2fa_code", "_2fa_code", "_2faCode"),
            ("currency[]", "currency", "Currency"),
            ("", "x", "X"),
        ] {
            assert_eq!(sanitize(input, Case::Snake), snake, "{input}");
            assert_eq!(sanitize(input, Case::Pascal), pascal, "{input}");
            // Sanitising a sanitised name changes nothing: the normaliser writes method names
            // back as operation ids and progenitor sanitises them again.
            assert_eq!(sanitize(snake, Case::Snake), snake, "{input}");
        }
    }

    #[test]
    fn derives_and_deduplicates() {
        assert_eq!(derived_operation_id("get", "/users/{id}/posts"), "get_users_by_id_posts");
        assert_eq!(derived_operation_id("post", "/"), "post");
        let mut unique = Unique::default();
        assert_eq!(unique.claim("list"), "list");
        assert_eq!(unique.claim("list_2"), "list_2");
        assert_eq!(unique.claim("list"), "list_3");
    }
}
