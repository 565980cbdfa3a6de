//! OpenAPI 3.1 lowered onto 3.0.3: one `check` per construct, the document as lowered or every
//! refusal with its pointer.

use std::path::Path;

use serde_json::Value;

use xtask::lower::lower;

enum Expect {
    /// The lowered document (`openapi: 3.0.3`, the same `info` and `paths: {}` are implied).
    Doc(&'static str),
    /// Every error as (pointer, fragment of the message), in order.
    Errors(&'static [(&'static str, &'static str)]),
}
use Expect::*;

/// `input` is a 3.1 document without `openapi` (and `info`, unless it has its own), or a whole
/// document when it starts with its version or `# raw`.
fn check(input: &str, expected: Expect) {
    let raw = ["openapi:", "swagger:", "# raw"].iter().any(|start| input.starts_with(start));
    let file = Path::new("specs/lowered.yaml");
    let mut doc: Value = serde_yaml::from_str(input).unwrap();
    if !raw {
        let map = doc.as_object_mut().unwrap();
        map.insert("openapi".into(), "3.1.0".into());
        map.entry("info").or_insert(serde_json::json!({"title": "T", "version": "1"}));
    }
    let result = lower(file, &mut doc);
    match expected {
        Doc(want) => {
            assert!(result.is_ok(), "{input}\nrefused: {result:#?}");
            let mut want: Value = serde_yaml::from_str(want).unwrap();
            let want_map = want.as_object_mut().unwrap();
            want_map.entry("openapi").or_insert("3.0.3".into());
            want_map.entry("info").or_insert(serde_json::json!({"title": "T", "version": "1"}));
            want_map.entry("paths").or_insert(serde_json::json!({}));
            assert_eq!(doc, want, "{input}\ngot:\n{}", serde_yaml::to_string(&doc).unwrap());
        }
        Errors(want) => {
            let errors = result.err().unwrap_or_else(|| panic!("{input}\nlowered without error"));
            let got: Vec<(&str, &str)> = errors.iter().map(|e| (e.location.as_str(), e.message.as_str())).collect();
            assert_eq!(got.len(), want.len(), "{input}\ngot {got:#?}");
            for ((at, message), (want_at, fragment)) in got.iter().zip(want) {
                assert_eq!(at, want_at, "{input}\ngot {got:#?}");
                assert!(message.contains(fragment), "{input}\n`{message}` lacks `{fragment}`");
            }
            assert!(errors.iter().all(|e| e.file == file));
        }
    }
}

/// A component schema `S` as written, and as lowered.
fn schema(input: &str, lowered: &str) {
    let doc = |s: &str| format!("components:\n  schemas:\n    S: {s}\n");
    check(&doc(input), Doc(Box::leak(doc(lowered).into_boxed_str())));
}

#[test]
fn a_30_document_is_untouched() {
    let text = "openapi: 3.0.3\ninfo: {title: T, version: \"1\"}\ncomponents: {schemas: {S: {type: string, nullable: true, exclusiveMinimum: true}}}\n";
    let mut doc: Value = serde_yaml::from_str(text).unwrap();
    let before = doc.clone();
    lower(Path::new("specs/x.yaml"), &mut doc).unwrap();
    assert_eq!(doc, before);
}

/// A document that says 3.0 but writes some schemas the 3.1 way is lowered too; the conditional
/// keywords 3.0 ignores are dropped rather than refused.
#[test]
fn a_30_document_with_31_forms_is_lowered() {
    let text = "openapi: 3.0.1\ninfo: {title: T, version: \"1\"}\ncomponents: {schemas: {S: {type: [string, \"null\"], if: {minLength: 1}, then: {maxLength: 9}}}}\n";
    let mut doc: Value = serde_yaml::from_str(text).unwrap();
    lower(Path::new("specs/x.yaml"), &mut doc).unwrap();
    let expected: Value = serde_yaml::from_str("{type: string, nullable: true}").unwrap();
    assert_eq!(doc.pointer("/components/schemas/S"), Some(&expected), "{doc}");
}

#[test]
fn refused_versions() {
    check(
        "swagger: \"2.0\"\ninfo: {title: T, version: \"1\"}\n",
        Errors(&[("/swagger", "convert the document to OpenAPI 3.0.3")]),
    );
    check(
        "openapi: 4.0.0\ninfo: {title: T, version: \"1\"}\n",
        Errors(&[("/openapi", "OpenAPI 4.0.0 is not supported")]),
    );
    check("openapi: 2\ninfo: {title: T, version: \"1\"}\n", Errors(&[("/openapi", "missing `openapi: 3.0.3`")]));
    check("# raw\ninfo: {title: T, version: \"1\"}\n", Errors(&[("/openapi", "missing")]));
}

#[test]
fn document_fields() {
    check(
        "info: {title: T, version: \"1\", summary: short, license: {name: MIT, identifier: MIT}}\n\
         jsonSchemaDialect: https://spec.openapis.org/oas/3.1/dialect/base\n\
         webhooks: {ping: {post: {responses: {\"200\": {description: ok}}}}}\n",
        Doc("info: {title: T, version: \"1\", license: {name: MIT}}"),
    );
    // A path item referencing `components.pathItems` is inlined; the component is dropped.
    check(
        "paths: {/a: {$ref: \"#/components/pathItems/A\"}}\n\
         components: {pathItems: {A: {get: {operationId: getA, responses: {\"204\": {description: none}}}}}}\n",
        Doc("paths: {/a: {get: {operationId: getA, responses: {\"204\": {description: none}}}}}\ncomponents: {}"),
    );
    check(
        "paths: {/a: {$ref: \"#/components/pathItems/Nope\"}}\n",
        Errors(&[("/paths/~1a/$ref", "may only reference `#/components/pathItems/<name>`")]),
    );
}

#[test]
fn types() {
    schema("{type: [string, \"null\"]}", "{type: string, nullable: true}");
    schema("{type: [integer]}", "{type: integer}");
    schema("{type: \"null\"}", "{nullable: true, enum: [null]}");
    schema("{type: [\"null\"]}", "{nullable: true, enum: [null]}");
    schema("{type: [integer, number]}", "{type: number}");
    schema(
        "{type: [string, integer, \"null\"], maxLength: 3, minimum: 1, format: int64, description: d}",
        "{description: d, nullable: true, anyOf: [{type: string, maxLength: 3}, {type: integer, minimum: 1, format: int64}]}",
    );
    schema(
        "{type: [string, array], items: {type: string}, enum: [a, [b]]}",
        "{anyOf: [{type: string, enum: [a]}, {type: array, items: {type: string}, enum: [[b]]}]}",
    );
    check(
        "components: {schemas: {S: {type: [string, integer], anyOf: [{minLength: 1}]}}}\n",
        Errors(&[("/components/schemas/S/type", "move the types into the `anyOf`")]),
    );
    check(
        "components: {schemas: {S: {type: []}}}\n",
        Errors(&[("/components/schemas/S/type", "an empty list of types")]),
    );
}

#[test]
fn null_in_unions() {
    schema(
        "{oneOf: [{$ref: \"#/components/schemas/A\"}, {$ref: \"#/components/schemas/B\"}, {type: \"null\"}]}",
        "{oneOf: [{$ref: \"#/components/schemas/A\"}, {$ref: \"#/components/schemas/B\"}], nullable: true}",
    );
    schema(
        "{anyOf: [{$ref: \"#/components/schemas/A\"}, {type: \"null\"}], description: d}",
        "{description: d, nullable: true, allOf: [{$ref: \"#/components/schemas/A\"}]}",
    );
    schema("{oneOf: [{type: string, maxLength: 2}, {const: null}]}", "{nullable: true, type: string, maxLength: 2}");
    schema("{anyOf: [{type: \"null\"}]}", "{nullable: true, enum: [null]}");
    schema("{enum: [a, null], type: [string, \"null\"]}", "{enum: [a, null], type: string, nullable: true}");
}

#[test]
fn keywords() {
    schema("{const: fixed, type: string}", "{enum: [fixed], type: string}");
    schema("{type: integer, examples: [3, 4]}", "{type: integer, example: 3}");
    schema("{type: integer, examples: [3], example: 9}", "{type: integer, example: 9}");
    schema("{type: integer, exclusiveMinimum: 0}", "{type: integer, minimum: 0, exclusiveMinimum: true}");
    schema("{type: number, exclusiveMaximum: 1.5, maximum: 2}", "{type: number, maximum: 1.5, exclusiveMaximum: true}");
    schema("{type: number, exclusiveMinimum: 0, minimum: 5}", "{type: number, minimum: 5}");
    schema(
        "{type: string, $schema: \"https://json-schema.org/draft/2020-12/schema\", $comment: c, contentMediaType: image/png, contentEncoding: base64, deprecated: true, readOnly: true}",
        "{type: string, deprecated: true, readOnly: true}",
    );
    schema(
        "{type: array, items: {type: string}, contains: {const: a}, minContains: 1, unevaluatedItems: false}",
        "{type: array, items: {type: string}}",
    );
    schema(
        "{type: object, unevaluatedProperties: false, propertyNames: {maxLength: 3}, dependentRequired: {a: [b]}}",
        "{type: object}",
    );
    schema("{type: array, items: true}", "{type: array, items: {}}");
    // A property that may never be present is one this client neither sends nor needs.
    schema(
        "{type: object, properties: {a: {type: string}, additionalProperties: false}}",
        "{type: object, properties: {a: {type: string}}}",
    );
    // Keywords are lowered only where they are keywords: these are property names.
    schema(
        "{type: object, properties: {const: {type: [string, \"null\"]}, examples: {type: string}, type: {const: x}}}",
        "{type: object, properties: {const: {type: string, nullable: true}, examples: {type: string}, type: {enum: [x]}}}",
    );
}

#[test]
fn nested_positions() {
    let input = "paths:\n  /a/{id}:\n    parameters: [{name: id, in: path, required: true, schema: {type: [string, \"null\"]}}]\n    \
                 post:\n      parameters: [{name: q, in: query, schema: {const: 1}}, {$ref: \"#/components/parameters/P\", description: d}]\n      \
                 requestBody: {content: {application/json: {schema: {type: object, properties: {a: {items: {examples: [1]}}}}}}}\n      \
                 responses:\n        \"200\": {description: ok, headers: {X-N: {schema: {exclusiveMaximum: 9}}}, content: {application/json: {schema: {additionalProperties: {type: [integer, \"null\"]}}}}}\n\
                 components:\n  parameters: {P: {name: p, in: query, schema: {allOf: [{const: 2}], not: {const: 3}}}}\n";
    let want = "paths:\n  /a/{id}:\n    parameters: [{name: id, in: path, required: true, schema: {type: string, nullable: true}}]\n    \
                post:\n      parameters: [{name: q, in: query, schema: {enum: [1]}}, {$ref: \"#/components/parameters/P\"}]\n      \
                requestBody: {content: {application/json: {schema: {type: object, properties: {a: {items: {example: 1}}}}}}}\n      \
                responses:\n        \"200\": {description: ok, headers: {X-N: {schema: {maximum: 9, exclusiveMaximum: true}}}, content: {application/json: {schema: {additionalProperties: {type: integer, nullable: true}}}}}\n\
                components:\n  parameters: {P: {name: p, in: query, schema: {allOf: [{enum: [2]}], not: {enum: [3]}}}}\n";
    check(input, Doc(want));
    // Examples of media types and parameters are a map of Example objects, not a schema keyword.
    let media = "paths: {/a: {get: {responses: {\"200\": {description: ok, content: {application/json: {examples: {one: {value: 1}}}}}}}}}\n";
    check(media, Doc(media));
}

#[test]
fn ref_siblings() {
    schema("{$ref: \"#/components/schemas/A\", description: d, summary: s}", "{$ref: \"#/components/schemas/A\"}");
    schema(
        "{$ref: \"#/components/schemas/A\", type: [object, \"null\"], description: d}",
        "{allOf: [{$ref: \"#/components/schemas/A\"}], type: object, nullable: true}",
    );
    schema(
        "{$ref: \"#/components/schemas/A\", allOf: [{required: [x]}]}",
        "{allOf: [{$ref: \"#/components/schemas/A\"}, {required: [x]}]}",
    );
}

#[test]
fn defs_and_anchors() {
    check(
        "components:\n  schemas:\n    Order:\n      type: object\n      properties: {line: {$ref: \"#/components/schemas/Order/$defs/line\"}, \
         note: {$ref: \"#/$defs/Note\"}, tag: {$ref: \"#Tag\"}}\n      $defs:\n        line: {type: object, properties: {sku: {$ref: \"#/components/schemas/Order/$defs/line/$defs/sku\"}}, $defs: {sku: {type: string}}}\n    \
         Tagged: {$anchor: Tag, type: string, $id: \"https://example.com/tag\"}\n$defs:\n  Note: {type: [string, \"null\"]}\n",
        Doc(
            "components:\n  schemas:\n    Order:\n      type: object\n      properties: {line: {$ref: \"#/components/schemas/OrderLine\"}, \
             note: {$ref: \"#/components/schemas/Note\"}, tag: {$ref: \"#/components/schemas/Tagged\"}}\n    \
             Tagged: {type: string}\n    Note: {type: string, nullable: true}\n    OrderLineSku: {type: string}\n    \
             OrderLine: {type: object, properties: {sku: {$ref: \"#/components/schemas/OrderLineSku\"}}}\n",
        ),
    );
    check(
        "components:\n  schemas:\n    A: {$defs: {b: {type: string}}}\n    AB: {type: integer}\n    \
         C: {properties: {x: {$anchor: X, $defs: {y: {}}}, y: {$ref: \"#Y\"}}}\n    D: {$id: \"https://x/d\", properties: {a: {$ref: \"#/components/schemas/A\"}}}\n",
        Errors(&[
            ("/components/schemas/A/$defs/b", "would become the component `AB`, which already exists"),
            ("/components/schemas/C/properties/x/$anchor", "only a component schema may carry an `$anchor`"),
            ("/components/schemas/C/properties/y/$ref", "`#Y` names no `$anchor`"),
            ("/components/schemas/C/properties/x/$defs", "`$defs` only at the root of a component schema"),
            ("/components/schemas/D/$id", "changes how the `$ref`s inside resolve"),
        ]),
    );
}

#[test]
fn pattern_properties() {
    schema(
        "{type: object, patternProperties: {\"^[A-Z]{3}$\": {type: number}}, additionalProperties: false}",
        "{type: object, additionalProperties: {type: number}}",
    );
    schema("{type: object, patternProperties: {\"^x-\": {}}}", "{type: object}");
    schema(
        "{patternProperties: {\"^a\": {type: number}, \"^b\": {type: number}}, additionalProperties: {type: number}, properties: {$anchor: {}}}",
        "{additionalProperties: {type: number}, properties: {$anchor: {}}}",
    );
    check(
        "components: {schemas: {S: {type: object, patternProperties: {\"^a\": {type: number}}}}}\n",
        Errors(&[("/components/schemas/S/patternProperties", "write `additionalProperties: {schema}`")]),
    );
}

#[test]
fn refusals_are_all_reported() {
    let input = "components:\n  schemas:\n    S:\n      type: object\n      properties:\n        \
                 pair: {type: array, prefixItems: [{type: string}, {type: integer}], items: false}\n        \
                 kind: {if: {required: [a]}, then: {required: [b]}, else: {required: [c]}}\n        \
                 deps: {dependentSchemas: {a: {required: [b]}}}\n        \
                 generic: {$dynamicRef: \"#T\"}\n        \
                 rest: {unevaluatedProperties: {type: string}}\n        \
                 tuple: {items: [{type: string}]}\n\
                 paths:\n  /a:\n    get:\n      parameters: [{name: q, in: query, schema: {prefixItems: []}}]\n";
    check(
        input,
        Errors(&[
            ("/paths/~1a/get/parameters/0/schema/prefixItems", "tuples have no OpenAPI 3.0 form"),
            ("/components/schemas/S/properties/pair/prefixItems", "tuples have no OpenAPI 3.0 form"),
            ("/components/schemas/S/properties/pair/items", "the schema `false`"),
            ("/components/schemas/S/properties/kind/if", "conditional schemas"),
            ("/components/schemas/S/properties/kind/then", "conditional schemas"),
            ("/components/schemas/S/properties/kind/else", "conditional schemas"),
            ("/components/schemas/S/properties/deps/dependentSchemas", "dependent schemas"),
            ("/components/schemas/S/properties/generic/$dynamicRef", "dynamic references"),
            ("/components/schemas/S/properties/rest/unevaluatedProperties", "`unevaluatedProperties` with a schema"),
            ("/components/schemas/S/properties/tuple/items", "`items` must be one schema"),
        ]),
    );
}
