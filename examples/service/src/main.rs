//! A small service calling one API, written the obvious way with nothing but the client's prelude:
//! `&str` setters, a `usize` page size from configuration, per-call timeout and header, `clear_*`,
//! and errors routed by `kind()`. Built by CI to prove the dependency list in the README is enough;
//! running it needs `DUB_API_KEY` and reaches the real API.

// Unit-test builds also link the dev-dependencies, which only the integration tests use.
#![cfg_attr(not(test), warn(unused_crate_dependencies))]

use std::time::Duration;

use affiliate_dub::chrono::{DateTime, Utc};
use affiliate_dub::prelude::*;

/// What the service reads from its configuration.
struct Config {
    page_size: usize,
    country: String,
    max_retries: u32,
}

/// Partners enrolled since `since`, every page, each request with a correlation id.
async fn recent_partners(dub: &Client, cfg: &Config, since: DateTime<Utc>) -> Result<Vec<types::EnrolledPartner>> {
    let mut recent = Vec::new();
    let mut partners = dub
        .list_partners()
        .country(cfg.country.as_str())
        .page_size(cfg.page_size)
        .timeout(Duration::from_secs(10))
        .header("X-Correlation-Id", "nightly-sync")
        .retry_policy(RetryPolicy::default().with_max_attempts(cfg.max_retries))
        .stream();
    while let Some(partner) = partners.try_next().await? {
        if partner.created_at >= since {
            recent.push(partner);
        }
    }
    Ok(recent)
}

/// Enrols (or updates) a partner; a description that no longer applies is cleared.
async fn enrol(dub: &Client, email: &str, country: &str) -> Result<String> {
    let partner = dub
        .create_partner()
        .body_map(|b| b.email(email).country(country).clear_description())
        .header("Idempotency-Key", format!("enrol-{email}"))
        .send()
        .await?;
    println!("{} requests left this window", partner.rate_limit().remaining.unwrap_or_default());
    Ok(partner.into_inner().id)
}

#[tokio::main]
async fn main() {
    let cfg = Config { page_size: 100, country: "US".to_string(), max_retries: 3 };
    let dub = match Client::from_env() {
        Ok(client) => client,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let since = DateTime::<Utc>::from(std::time::SystemTime::now()) - affiliate_dub::chrono::Duration::days(1);
    match recent_partners(&dub, &cfg, since).await {
        Ok(partners) => println!("{} partners enrolled in the last day", partners.len()),
        Err(e) if e.is_retryable() => eprintln!("try again later ({}): {e}", e.kind()),
        Err(e) => eprintln!("failed ({}): {e}", e.kind()),
    }
    if let Err(e) = enrol(&dub, "ana@example.com", &cfg.country).await {
        match e {
            Error::Validation(details) => eprintln!("rejected: {details}"),
            other => eprintln!("{}: {other}", other.kind()),
        }
    }
}
