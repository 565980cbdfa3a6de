//! `cargo run -p affiliate-examples --example dub_webhooks`: an axum endpoint for Dub's webhooks on
//! 127.0.0.1:8787 (`POST /webhooks/dub`), verifying with `DUB_WEBHOOK_SECRET`. Without that variable
//! it uses a demo secret and delivers the spec's example events to itself through the mock crate,
//! signed as Dub signs them, then exits.

use std::sync::{Arc, Mutex};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let configured = std::env::var(affiliate_dub::webhooks::SECRET_ENV).ok().filter(|s| !s.is_empty());
    let secret = configured.clone().unwrap_or_else(|| "whsec_demo_only".to_string());
    let log = Arc::new(Mutex::new(Vec::new()));
    let router = affiliate_examples::dub_webhooks::router(&secret, log.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:8787").await?;
    let url = format!("http://{}/webhooks/dub", listener.local_addr()?);
    if configured.is_some() {
        eprintln!("receiving Dub webhooks on {url}");
        return Ok(affiliate_examples::dub_webhooks::serve(listener, router).await?);
    }
    eprintln!("(no {} set: delivering the spec's example events to {url})", affiliate_dub::webhooks::SECRET_ENV);
    let server = tokio::spawn(affiliate_examples::dub_webhooks::serve(listener, router));
    for name in affiliate_dub::webhooks::EVENTS {
        if let Some(event) = affiliate_dub_mock::webhooks::example(name) {
            let answer = affiliate_dub_mock::webhooks::deliver(&url, &secret, &event).await?;
            eprintln!("{name}: {}", answer.status);
        }
    }
    server.abort();
    for line in log.lock().map(|l| l.clone()).unwrap_or_default() {
        println!("{line}");
    }
    Ok(())
}
