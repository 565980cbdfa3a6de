//! The README's usage examples, compiled (not run: they would need real credentials), so the
//! documentation cannot drift from the generated API. Each function holds one README block; the
//! imports are the ones the README shows (the client crate's prelude and `std`, nothing else).
//! `readme_blocks_are_the_compiled_code` checks that every line of every README `rust` block is here.

#![allow(dead_code)]

mod service {
    use affiliate_dub::prelude::*;
    use std::time::Duration;

    async fn approved_partners(page_size: usize) -> Result<Vec<types::EnrolledPartner>> {
        // Credentials from DUB_API_KEY; a missing variable is an error here, not a 401 later.
        let dub = Client::from_env()?;

        // One page, with typed filters; integer parameters take any integer type.
        let page = dub.list_partners().status(types::PartnerStatus::Approved).page_size(page_size).send().await?;
        println!("{} left this minute", page.rate_limit().remaining.unwrap_or_default());

        // Every page, lazily; per-call options apply to every page of this call only.
        let all: Vec<types::EnrolledPartner> = dub
            .list_partners()
            .status(types::PartnerStatus::Approved)
            .timeout(Duration::from_secs(5))
            .header("X-Correlation-Id", "job-42")
            .stream()
            .try_collect()
            .await?;

        // Body setters take the value itself; errors are one type for every API.
        match dub.ban_partner().body_map(|b| b.partner_id("pn_123").reason(types::BanReason::Fraud)).send().await {
            Ok(done) => println!("banned {}", done.partner_id),
            Err(Error::NotFound(e)) => println!("no such partner: {e}"),
            Err(e) if e.is_retryable() => println!("{} (try later): {e}", e.kind()),
            Err(e) => return Err(e),
        }

        // Upsert by email. A nullable field's `clear_*` sends `null`; a field never set is left out.
        // Dub documents no idempotency key, so this POST is retried only where it cannot have acted
        // (a 429, a connection never opened); `RetryPolicy::none()` sends it exactly once.
        dub.create_partner()
            .body_map(|b| b.email("ana@example.com").country("US").clear_description())
            .retry_policy(RetryPolicy::none())
            .send()
            .await?;
        Ok(all)
    }
}

mod builder {
    use affiliate_geniuslink::prelude::*;
    use std::time::Duration;

    fn configured(key: String, secret: String) -> Result<Client> {
        let client = affiliate_geniuslink::Client::builder()
            .base_url("https://api.geni.us") // default: the spec's first server
            .api_key("X-Api-Key", key) // or GENIUSLINK_API_KEY
            .api_key("X-Api-Secret", secret) // or GENIUSLINK_API_SECRET
            .header("X-Impersonate", "sub-account") // sent on every call unless the call sets it
            .retry_policy(RetryPolicy::default().with_max_attempts(3))
            .timeout(Duration::from_secs(10))
            .build()?;
        Ok(client)
    }
}

mod transport {
    // reqwest as the client uses it: no extra dependency.
    use affiliate_dub::{prelude::*, reqwest};

    fn behind_the_corporate_proxy(pem: &[u8]) -> Result<Client> {
        let root = reqwest::Certificate::from_pem(pem)?;
        Client::builder()
            .proxy("http://proxy.internal:3128") // NO_PROXY still applies
            .configure_http(move |http| http.add_root_certificate(root).pool_max_idle_per_host(8))
            .build()
    }
}

mod jobs {
    use affiliate_partnerize::prelude::*;

    async fn export(pz: &Client, id: &str) -> Result<u64> {
        use affiliate_partnerize::types::ExportClicksCsvSuccess;
        let answer =
            pz.export_clicks_csv().publisher_id(id).start_date("2026-11-01").end_date("2026-11-21").send().await?;
        let csv = match answer.into_inner() {
            ExportClicksCsvSuccess::Ok(csv) => csv, // streamed, never buffered whole
            ExportClicksCsvSuccess::Accepted(job) => {
                pz.get_job().job_id(job.job.job_id).wait_for_result(&Poll::default()).await?.into_inner()
            }
        };
        // Not in the README: reading the stream, to show the prelude's traits are enough.
        let mut bytes = 0;
        let mut chunks = csv.into_inner();
        while let Some(chunk) = chunks.next().await {
            bytes += chunk?.len() as u64; // a reqwest error converts into Error
        }
        Ok(bytes)
    }
}

/// The README's mock test, run (it is hermetic: the mock server is on 127.0.0.1).
mod mock_test {
    use affiliate_dub::prelude::*;
    use affiliate_dub_mock::MockServer;

    fn partner(id: &str) -> types::EnrolledPartner {
        let (_, example) = crate::support::Spec::load("dub").success_example("listPartners");
        let mut partner = example[0].clone();
        partner["id"] = serde_json::json!(id);
        crate::support::typed(partner)
    }

    #[tokio::test]
    async fn approved_partners_get_a_link() -> Result<()> {
        let server = MockServer::start().await;
        // Typed matchers from the operation's parameters, a typed answer of the client's own type
        // (`partner` is the test's fixture builder for `types::EnrolledPartner`).
        let (first, second) = (partner("pn_1"), partner("pn_2"));
        affiliate_dub_mock::list_partners()
            .status(types::PartnerStatus::Approved)
            .ok(&vec![first, second])
            .expect(1)
            .mount(&server)
            .await;
        // The cheap path: the spec's own example, or a documented error in the vendor's real shape.
        affiliate_dub_mock::create_partner_link().example().expect(2).mount(&server).await;
        affiliate_dub_mock::ban_partner().not_found().mount(&server).await;

        let dub = affiliate_dub_mock::client(&server)?; // placeholder credentials, the mock's URL
        let partners = dub.list_partners().status(types::PartnerStatus::Approved).send().await?;
        for p in partners.iter() {
            dub.create_partner_link()
                .body_map(|b| b.partner_id(p.id.clone()).url("https://example.com"))
                .send()
                .await?;
        }
        let banned = dub.ban_partner().body_map(|b| b.partner_id("pn_9").reason(types::BanReason::Fraud)).send().await;
        assert!(matches!(banned, Err(Error::NotFound(_))));
        Ok(())
    }
}

mod tokens {
    use affiliate_dub::prelude::*;
    use affiliate_runtime::{ClientCredentials, Token, TokenFuture, TokenSource};
    use std::time::Duration;

    fn read_from_vault() -> Result<String> {
        Ok("from-the-vault".to_string())
    }

    /// Tokens from the service's own secret store, valid ten minutes.
    struct Vault;

    impl TokenSource for Vault {
        fn token<'a>(&'a self, _http: &'a affiliate_dub::reqwest::Client) -> TokenFuture<'a> {
            Box::pin(async { Ok(Token::new(read_from_vault()?).expires_in(Duration::from_secs(600))) })
        }
    }

    fn with_expiring_tokens() -> Result<Client> {
        Client::builder().token_source(Vault).build()
    }

    fn with_client_credentials(id: String, secret: String) -> Result<Client> {
        let grant =
            ClientCredentials::new("https://auth.example.com/oauth/token", id, secret).scopes(["partners:read"]);
        Client::builder().token_source(grant).build()
    }
}

mod webhook {
    use affiliate_dub::prelude::*;
    use affiliate_dub::webhooks::{self, Event};

    /// The handler of your webhook endpoint, in any framework: the `Dub-Signature` header and the raw body.
    fn on_delivery(signing_secret: &str, signature: &str, raw_body: &[u8]) -> u16 {
        match webhooks::verify(signing_secret, signature, raw_body) {
            Ok(Event::CommissionCreated(delivery)) => {
                let commission = delivery.data;
                println!("{} earned {} {}", commission.partner.name, commission.earnings, commission.currency);
                200
            }
            Ok(Event::SaleCreated(delivery)) => {
                println!("sale of {} from {}", delivery.data.sale.amount, delivery.data.customer.external_id);
                200
            }
            Ok(other) => {
                println!("{} not handled here", other.name()); // Event::Unknown too: Dub adds events
                200
            }
            Err(Error::Signature(e)) => {
                eprintln!("refused: {e}"); // not from Dub, or changed on the way: do not act on it
                401
            }
            Err(e) => {
                eprintln!("{e}");
                400
            }
        }
    }

    /// The README's mock delivery, run against a tiny endpoint that answers with `on_delivery`.
    #[tokio::test]
    async fn the_mock_delivers_to_the_readme_handler() -> Result<()> {
        use wiremock::{Mock, MockServer, Request, ResponseTemplate};
        let server = MockServer::start().await;
        Mock::given(wiremock::matchers::method("POST"))
            .respond_with(|request: &Request| {
                let signature = request.headers.get("dub-signature").and_then(|v| v.to_str().ok()).unwrap_or_default();
                ResponseTemplate::new(on_delivery("whsec_test", signature, &request.body))
            })
            .expect(2)
            .mount(&server)
            .await;
        let endpoint_url = server.uri();
        let event = affiliate_dub_mock::webhooks::example("commission.created").expect("the spec has one");
        let answer = affiliate_dub_mock::webhooks::deliver(&endpoint_url, "whsec_test", &event).await?;
        assert_eq!(answer.status, 200);
        let forged = affiliate_dub_mock::webhooks::deliver(&endpoint_url, "whsec_forged", &event).await?;
        assert_eq!(forged.status, 401);
        Ok(())
    }
}

/// Every ```rust block of the README stands in one module of this file, line by line and in the
/// same order (white space aside, other lines in between allowed), so a README edit that is not
/// made here too fails, rather than showing code nobody compiled.
#[test]
fn readme_blocks_are_the_compiled_code() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let here = std::fs::read_to_string(root.join("tests/tests/it/readme.rs")).unwrap();
    let norm = |line: &str| line.split_whitespace().collect::<Vec<_>>().join(" ");
    // This file's top-level modules, each as its normalised lines.
    let mut modules: Vec<Vec<String>> = Vec::new();
    for line in here.lines() {
        if line.starts_with("mod ") || modules.is_empty() {
            modules.push(Vec::new());
        }
        modules.last_mut().unwrap().push(norm(line));
    }
    // The lines of `block` that a module does not have in order: all of them when none matches.
    let unmatched = |block: &[String], module: &[String]| {
        let mut rest = module.iter();
        block.iter().skip_while(|line| rest.any(|m| m == *line)).count()
    };
    let mut blocks = 0;
    let mut failures = Vec::new();
    for block in readme.split("```rust\n").skip(1) {
        blocks += 1;
        let code = block.split("```").next().unwrap_or_default();
        let lines: Vec<String> = code.lines().map(norm).filter(|line| !line.is_empty()).collect();
        let best = modules.iter().min_by_key(|module| unmatched(&lines, module)).unwrap();
        let left = unmatched(&lines, best);
        if left > 0 {
            let first = &lines[lines.len() - left];
            failures.push(format!("README block {blocks}: from `{first}` on, not in the module closest to it"));
        }
    }
    assert!(blocks >= 5, "README rust blocks found: {blocks}");
    assert!(failures.is_empty(), "README blocks not compiled by readme.rs:\n{}", failures.join("\n"));
}

/// The README says a service needs the client crate and tokio, nothing else; `examples/service/`
/// is that service, and it must stay so.
#[test]
fn the_example_service_has_exactly_two_dependencies() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let manifest = std::fs::read_to_string(root.join("examples/service/Cargo.toml")).unwrap();
    let mut section = String::new();
    let mut dependencies = Vec::new();
    for line in manifest.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
        if line.starts_with('[') {
            section = line.to_string();
            assert!(
                !section.contains("dependencies]") || section == "[dependencies]",
                "{section} in the example service"
            );
        } else if section == "[dependencies]" {
            dependencies.push(line.split(['=', ' ']).next().unwrap().to_string());
        }
    }
    assert_eq!(dependencies, ["affiliate-dub", "tokio"]);
}
