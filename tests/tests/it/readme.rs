//! The README's usage examples, compiled (not run: they would need real credentials), so the
//! documentation cannot drift from the generated API.

#![allow(dead_code)]

use affiliate_dub::{types, Client};
use affiliate_runtime::{Error, ResponseExt};
use futures::TryStreamExt;

async fn approved_partners() -> affiliate_runtime::Result<Vec<types::EnrolledPartner>> {
    // Credentials from DUB_API_KEY; a missing variable is an error here, not a 401 later.
    let dub = Client::from_env()?;

    // One page, with typed filters.
    let page = dub.list_partners().status(types::PartnerStatus::Approved).page_size(100u64).send().await?;
    println!("{} left this minute", page.rate_limit().remaining.unwrap_or_default());

    // Every page, lazily.
    let all: Vec<types::EnrolledPartner> =
        dub.list_partners().status(types::PartnerStatus::Approved).stream().try_collect().await?;

    // Errors are one type for every API; match on what you would do about them.
    match dub
        .ban_partner()
        .body_map(|b| b.partner_id(Some("pn_123".into())).reason(types::BanReason::Fraud))
        .send()
        .await
    {
        Ok(done) => println!("banned {}", done.partner_id),
        Err(Error::NotFound(e)) => println!("no such partner: {e}"),
        Err(Error::RateLimited(e)) => println!("retry after {:?}", e.retry_after),
        Err(e) => return Err(e),
    }
    Ok(all)
}

fn configured(key: String, secret: String) -> affiliate_runtime::Result<affiliate_geniuslink::Client> {
    affiliate_geniuslink::Client::builder()
        .base_url("https://api.geni.us") // default: the spec's first server
        .api_key("X-Api-Key", key) // or GENIUSLINK_API_KEY
        .api_key("X-Api-Secret", secret) // or GENIUSLINK_API_SECRET
        .header("X-Impersonate", "sub-account") // sent on every call unless the call sets it
        .retry_policy(affiliate_runtime::RetryPolicy::default().with_max_attempts(3))
        .timeout(std::time::Duration::from_secs(10))
        .build()
}

async fn export(publisher: &str) -> affiliate_runtime::Result<u64> {
    use affiliate_partnerize::types::ExportClicksCsvSuccess;
    use futures::StreamExt;
    let pz = affiliate_partnerize::Client::from_env()?; // PARTNERIZE_APPLICATION_KEY, PARTNERIZE_USER_API_KEY
    let answer =
        pz.export_clicks_csv().publisher_id(publisher).start_date("2026-11-01").end_date("2026-11-21").send().await?;
    let csv = match answer.into_inner() {
        ExportClicksCsvSuccess::Ok(csv) => csv,
        // Large exports become a job: poll it, then stream its result.
        ExportClicksCsvSuccess::Accepted(job) => {
            let poll = affiliate_runtime::jobs::Poll::default();
            pz.get_job().job_id(job.job.job_id).wait_for_result(&poll).await?.into_inner()
        }
    };
    let mut bytes = 0;
    let mut chunks = csv.into_inner();
    while let Some(chunk) = chunks.next().await {
        bytes += chunk?.len() as u64; // a reqwest error converts into affiliate_runtime::Error
    }
    Ok(bytes)
}
