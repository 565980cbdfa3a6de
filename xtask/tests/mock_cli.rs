//! The mock-crate and CLI generators on the generator's fixture specs: the lines each feature needs,
//! and the name clashes they refuse.

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
        ("success_variants", "cli", &["crate::support::wait_arg()", "wait_for_result(&poll)"]),
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

#[test]
fn a_parameter_named_like_a_mock_method_is_a_spec_error() {
    for name in ["example", "matching", "respond_with", "ok"] {
        let spec = format!(
            "openapi: 3.0.3\ninfo: {{title: T, version: \"1.0\"}}\nservers: [{{url: \"https://api.example.com\"}}]\n\
             paths:\n  /a:\n    get:\n      operationId: getA\n      parameters:\n        - {{name: {name}, in: query, schema: {{type: string}}}}\n      \
             responses:\n        \"200\":\n          description: ok\n          content:\n            application/json:\n              \
             schema: {{type: object}}\n              example: {{}}\n"
        );
        let errors =
            generate_crate(&PathBuf::from("specs/t.yaml"), &spec).err().unwrap_or_else(|| panic!("{name}: accepted"));
        assert!(
            errors.iter().any(|e| e.message.contains(&format!("mock method `{name}` would be defined twice"))),
            "{name}: {errors:?}"
        );
    }
}
