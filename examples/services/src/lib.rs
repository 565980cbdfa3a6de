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
