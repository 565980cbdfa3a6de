//! The emitters: functions of the `Surface` (`read.rs`) that write the generated files. The client crate's
//! own files are written here; `glue` adds to progenitor's client, `mock` writes the mock crate
//! and `cli` the `affiliate` command's module.

pub mod cli;
pub mod glue;
pub mod header;
pub mod mock;
pub mod packaging;
pub mod webhooks;

use std::path::PathBuf;

use crate::progenitor::Generated;
use crate::read::{Problems, Surface};
use crate::rewrite;

/// Generated files: (path relative to the workspace root, content).
pub type Files = Vec<(PathBuf, String)>;

pub use header::HEADER;

/// The client crate's files from the rewritten client: the glue added, then split into the
/// client, its types and its operation builders. Errors are (JSON pointer, message).
pub fn client(surface: &Surface, mut file_ast: syn::File, generated: &Generated) -> Result<Files, Problems> {
    let fail = |message: String| vec![(String::new(), message)];
    let (crate_name, source) = (&surface.client_crate, &surface.source);
    let builder_glue = glue::builders(surface)?;
    rewrite::extend_module(&mut file_ast, "builder", builder_glue).map_err(fail)?;
    let types_glue = glue::types(surface)?;
    rewrite::extend_module(&mut file_ast, "types", types_glue).map_err(fail)?;
    let root_glue: syn::File = syn::parse2(glue::root(surface)).map_err(|e| fail(format!("glue: {e}")))?;
    file_ast.items.extend(root_glue.items);

    rewrite::prune_type_builders(&mut file_ast).map_err(fail)?;
    rewrite::drop_noise(&mut file_ast).map_err(fail)?;
    // One file per concern: the data types, the operation builders, the client (what is left).
    let types_file = rewrite::split_module(&mut file_ast, "types").map_err(fail)?;
    let builder_file = rewrite::split_module(&mut file_ast, "builder").map_err(fail)?;

    let header = format!("// {HEADER} {source}. Do not edit.\n\n");
    let client_rs = format!("{header}{}", prettyplease::unparse(&file_ast));
    let types_rs = format!("{header}{}", prettyplease::unparse(&types_file));
    let builder_rs = format!("{header}{}", prettyplease::unparse(&builder_file));
    let manifest = manifest(surface, generated.uses_chrono, generated.uses_uuid, generated.uses_regress);
    let readme = packaging::client_readme(surface);
    let lib = format!(
        "{header}//! Typed async client for {title}, generated from `{source}`.\n\
         //!\n\
         //! Start with `use {krate}::prelude::*;`, then [`Client::from_env`] or [`Client::builder`];\n\
         //! every operation is a method on [`Client`] returning a builder whose `send()` yields the\n\
         //! response or an [`Error`]. A service needs this crate and an async runtime (tokio), nothing\n\
         //! else.\n\n\
         // prettyplease output: not rustfmt's style, and never edited by hand. Its docs are the\n\
         // spec's prose (URLs written bare), not rustdoc markup.\n\
         #[rustfmt::skip]\n\
         #[allow(clippy::all, unused_imports, unused_mut, dead_code)]\n\
         #[allow(rustdoc::bare_urls)]\n\
         mod generated;\n\n\
         /// The HTTP client underneath, for [`affiliate_runtime::ClientBuilder::configure_http`]\n\
         /// (root certificates, client identities, proxies) without a dependency of your own.\n\
         pub use affiliate_runtime::reqwest;\n\
         pub use affiliate_runtime::{{Error, Result, TransportError, TransportKind}};\n\
         pub use generated::*;\n\
         {chrono}{webhooks}\n\
         /// Everything a service calling this API needs, in one import.\n\
         pub mod prelude {{\n\
         \x20   pub use crate::{{types, Client, Error, Result}};\n\
         \x20   pub use affiliate_runtime::{{Poll, ResponseExt, RetryPolicy}};\n\
         \x20   /// Stream traits for `pages()` and `stream()` (`try_next`, `try_collect`, `next`...).\n\
         \x20   pub use futures::{{Stream, StreamExt, TryStreamExt}};\n\
         }}\n",
        title = surface.api.title,
        krate = crate_name.replace('-', "_"),
        webhooks = if surface.api.webhooks.is_some() {
            "\n/// Webhook deliveries: [`webhooks::verify`] checks a delivery's signature and decodes its event.\n\
             #[rustfmt::skip]\npub mod webhooks;\n"
        } else {
            ""
        },
        chrono = if generated.uses_chrono {
            "\n/// The date-time types the API's fields use (`chrono::DateTime<chrono::Utc>`).\npub use chrono;\n"
        } else {
            ""
        },
    );
    let dir = PathBuf::from("crates").join(crate_name);
    let mut files = vec![
        (dir.join("Cargo.toml"), manifest),
        (dir.join("README.md"), readme),
        (dir.join("src/lib.rs"), lib),
        (dir.join("src/generated.rs"), client_rs),
        (dir.join("src/generated/types.rs"), types_rs),
        (dir.join("src/generated/builder.rs"), builder_rs),
    ];
    files.extend(webhooks::client_module(surface).map_err(fail)?);
    Ok(files)
}

fn manifest(surface: &Surface, chrono: bool, uuid: bool, regress: bool) -> String {
    let (name, source) = (&surface.client_crate, &surface.source);
    let mut deps = vec![
        "affiliate-runtime = { workspace = true }".to_string(),
        "futures = { workspace = true }".to_string(),
        "progenitor-client = { workspace = true }".to_string(),
        "reqwest = { workspace = true }".to_string(),
        "serde = { workspace = true }".to_string(),
        "serde_json = { workspace = true }".to_string(),
    ];
    if chrono {
        deps.push("chrono = { workspace = true }".to_string());
    }
    if uuid {
        deps.push("uuid = { workspace = true }".to_string());
    }
    if regress {
        deps.push("regress = { workspace = true }".to_string());
    }
    deps.sort();
    let package = packaging::package_fields(
        surface,
        &format!("Typed async client for {}", surface.api.title),
        &["api-client", "openapi", "async"],
        &["api-bindings", "web-programming::http-client", "asynchronous"],
    );
    format!(
        "# {HEADER} {source}. Do not edit.\n\n\
         [package]\n\
         name = \"{name}\"\n\
         {package}\n\
         [package.metadata.docs.rs]\n\
         # Both TLS stacks: their items are the same, and native-tls wins when both are on.\n\
         all-features = true\n\n\
         [lib]\n\
         # progenitor's doc examples are `ignore` blocks; there is nothing to run.\n\
         doctest = false\n\n\
         [features]\n\
         # TLS stack, forwarded to affiliate-runtime (see its Cargo.toml). For the system's:\n\
         # default-features = false, features = [\"native-tls\"].\n\
         default = [\"rustls\"]\n\
         rustls = [\"affiliate-runtime/rustls\"]\n\
         native-tls = [\"affiliate-runtime/native-tls\"]\n\n\
         [dependencies]\n{}\n",
        deps.join("\n")
    )
}
