//! The services behind `cargo run -p affiliate-examples --example <name>`: each takes a client and
//! does one job; [`Target`] picks the real API when its credential variables are set and the
//! generated mock (answering from the spec's examples) otherwise. `tests/run.rs` runs each against
//! the mock.

// Unit-test builds also link the dev-dependencies, which only the integration tests use.
#![cfg_attr(not(test), warn(unused_crate_dependencies))]

use std::path::Path;

use affiliate_dub_mock::MockServer;

/// Where a service's client points: the real API, or a mock server kept alive alongside.
pub struct Target<C> {
    pub client: C,
    /// The mock answering instead of the API (dropped with the target).
    pub mock: Option<MockServer>,
}

/// The real API if every variable in `vars` is set, else a mock with every example mounted.
async fn target<C, F, M>(vars: &[&str], from_env: F, mount: M) -> Result<Target<C>, Box<dyn std::error::Error>>
where
    F: FnOnce(Option<&MockServer>) -> Result<C, affiliate_dub::Error>,
    M: AsyncFnOnce(&MockServer),
{
    if vars.iter().all(|v| std::env::var_os(v).is_some()) {
        return Ok(Target { client: from_env(None)?, mock: None });
    }
    let server = MockServer::start().await;
    mount(&server).await;
    eprintln!("(no {} set: answering from the spec's examples on {})", vars.join("/"), server.uri());
    Ok(Target { client: from_env(Some(&server))?, mock: Some(server) })
}

pub mod dub {
    //! Dub: sync approved partners and give each a tracking link.
    use affiliate_dub::prelude::*;

    pub async fn target() -> std::result::Result<super::Target<Client>, Box<dyn std::error::Error>> {
        super::target(
            &["DUB_API_KEY"],
            |mock| match mock {
                Some(server) => affiliate_dub_mock::client(server),
                None => Client::from_env(),
            },
            async |server| affiliate_dub_mock::mount_examples(server).await,
        )
        .await
    }

    /// Every approved partner, each with a new link to `landing`; returns the links' short URLs.
    pub async fn sync_approved_partners(dub: &Client, landing: &str) -> Result<Vec<String>> {
        let partners: Vec<types::EnrolledPartner> =
            dub.list_partners().status(types::PartnerStatus::Approved).stream().try_collect().await?;
        let mut links = Vec::new();
        for partner in partners {
            let url = format!("{landing}?via={}", partner.id);
            let link = dub.create_partner_link().body_map(|b| b.partner_id(partner.id.clone()).url(url)).send().await?;
            links.push(link.into_inner().short_link);
        }
        Ok(links)
    }
}

pub mod partnerize {
    //! Partnerize: stream a month of conversions, then export them as CSV (polling the export job
    //! when the API answers with one).
    use affiliate_partnerize::prelude::*;
    use affiliate_partnerize::types::ExportConversionsCsvSuccess;
    use tokio::io::AsyncWriteExt;

    pub async fn target() -> std::result::Result<super::Target<Client>, Box<dyn std::error::Error>> {
        super::target(
            &["PARTNERIZE_APPLICATION_KEY", "PARTNERIZE_USER_API_KEY"],
            |mock| match mock {
                Some(server) => affiliate_partnerize_mock::client(server),
                None => Client::from_env(),
            },
            async |server| affiliate_partnerize_mock::mount_examples(server).await,
        )
        .await
    }

    /// The number of conversions between `start` and `end`, and the CSV export's size in bytes.
    pub async fn month_of_conversions(
        pz: &Client,
        publisher: &str,
        (start, end): (&str, &str),
        csv: &super::Path,
    ) -> std::result::Result<(usize, u64), Box<dyn std::error::Error>> {
        let conversions = pz
            .get_conversion_report()
            .publisher_id(publisher)
            .format(types::ReportFormat::Json)
            .start_date(start)
            .end_date(end)
            .stream()
            .try_fold(0usize, |n, _| async move { Ok(n + 1) })
            .await?;
        let answer = pz.export_conversions_csv().publisher_id(publisher).start_date(start).end_date(end).send().await?;
        let body = match answer.into_inner() {
            ExportConversionsCsvSuccess::Ok(body) => body,
            ExportConversionsCsvSuccess::Accepted(job) => {
                pz.get_job().job_id(job.job.job_id).wait_for_result(&Poll::default()).await?.into_inner()
            }
        };
        let mut file = tokio::fs::File::create(csv).await?;
        let mut chunks = body.into_inner();
        let mut bytes = 0u64;
        while let Some(chunk) = chunks.try_next().await? {
            file.write_all(&chunk).await?;
            bytes += chunk.len() as u64;
        }
        file.flush().await?;
        Ok((conversions, bytes))
    }
}

pub mod geniuslink {
    //! Geniuslink: connect an affiliate program to a group with its affiliate tokens.
    use std::collections::BTreeMap;

    use affiliate_geniuslink::prelude::*;

    pub async fn target() -> std::result::Result<super::Target<Client>, Box<dyn std::error::Error>> {
        super::target(
            &["GENIUSLINK_API_KEY", "GENIUSLINK_API_SECRET"],
            |mock| match mock {
                Some(server) => affiliate_geniuslink_mock::client(server),
                None => Client::from_env(),
            },
            async |server| affiliate_geniuslink_mock::mount_examples(server).await,
        )
        .await
    }

    /// Sets `tokens` for `program` on `group`; returns how many token sets the group has afterwards.
    pub async fn set_group_tokens(
        gl: &Client,
        group: i64,
        username: &str,
        program: &str,
        tokens: &[(&str, &str)],
    ) -> Result<usize> {
        let parameters: BTreeMap<String, String> = tokens.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        gl.create_group_affiliate_tokens()
            .group_id(group)
            .body_map(|b| b.username(username).program_guid(program).parameters(parameters))
            .send()
            .await?;
        let listed = gl.list_group_affiliate_tokens().group_id(group).username(username).send().await?;
        Ok(listed.into_inner().affiliate_programs.map_or(0, |programs| programs.len()))
    }
}

pub mod dub_webhooks {
    //! Dub: an axum endpoint receiving Dub's webhook deliveries. The body is taken raw (verified
    //! bytes, never re-serialised JSON), `affiliate_dub::webhooks::verify` checks the
    //! `Dub-Signature` header and decodes the typed event; a delivery that does not verify is
    //! refused with 401, one that verifies but is not a delivery with 400, anything else is
    //! acknowledged with 200 (Dub retries a delivery that gets no 2xx).
    use std::sync::{Arc, Mutex};

    use affiliate_dub::webhooks::{self, Event};
    use affiliate_dub::Error;
    use axum::body::Bytes;
    use axum::extract::State;
    use axum::http::{HeaderMap, StatusCode};
    use axum::routing::post;
    use axum::Router;

    /// What the service did with each verified delivery, in order (its stand-in for a database).
    pub type Log = Arc<Mutex<Vec<String>>>;

    #[derive(Clone)]
    struct Receiver {
        secret: Arc<str>,
        log: Log,
    }

    /// The endpoint at `POST /webhooks/dub`, verifying with the endpoint's signing `secret`.
    pub fn router(secret: &str, log: Log) -> Router {
        Router::new().route("/webhooks/dub", post(receive)).with_state(Receiver { secret: Arc::from(secret), log })
    }

    async fn receive(State(receiver): State<Receiver>, headers: HeaderMap, body: Bytes) -> StatusCode {
        let signature = headers.get(webhooks::SIGNATURE_HEADER).and_then(|v| v.to_str().ok()).unwrap_or_default();
        let event = match webhooks::verify(&receiver.secret, signature, &body) {
            Ok(event) => event,
            Err(Error::Signature(_)) => return StatusCode::UNAUTHORIZED,
            Err(_) => return StatusCode::BAD_REQUEST,
        };
        let line = match &event {
            Event::CommissionCreated(delivery) => {
                let c = &delivery.data;
                format!("commission {} for {}: {} {} earned", c.id, c.partner.id, c.earnings, c.currency)
            }
            Event::SaleCreated(delivery) => {
                format!("sale of {} by customer {}", delivery.data.sale.amount, delivery.data.customer.external_id)
            }
            Event::LeadCreated(delivery) => format!("lead from customer {}", delivery.data.customer.external_id),
            Event::PartnerApplicationSubmitted(delivery) => {
                format!("application from {} to review", delivery.data.partner.name)
            }
            Event::Unknown { name, .. } => format!("ignored unknown event {name}"),
            other => format!("{} noted", other.name()),
        };
        if let Ok(mut log) = receiver.log.lock() {
            log.push(line);
        }
        StatusCode::OK
    }

    /// Serves `router` on `listener` until the task is dropped.
    pub async fn serve(listener: tokio::net::TcpListener, router: Router) -> std::io::Result<()> {
        axum::serve(listener, router).await
    }
}
