//! Partnerize: every operation against its documented sample, pagination, brackets, CSV, jobs, errors.

use std::time::Duration;

use affiliate_partnerize::{types, Client};
use affiliate_runtime::Poll;
use affiliate_runtime::{Error, RetryPolicy};
use futures::{StreamExt, TryStreamExt};
use serde_json::{json, Value};
use wiremock::matchers::{method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{
    answer, assert_covers_spec, check, header, numbers_as_f64, query, received, streamed, typed, Case, Spec,
};

/// The user application key (the HTTP Basic username).
const APP_KEY: &str = "pzak_4Tq9Wm2Hx7Lc3Rv8Nb1J";
/// The user API key (the HTTP Basic password).
const USER_KEY: &str = "pzuk_Zy6Fd0Ks5Pg8Ue2Qa9Mw";
/// `Basic base64(APP_KEY:USER_KEY)`, computed independently of the client.
const BASIC: &str = "Basic cHpha180VHE5V20ySHg3TGMzUnY4TmIxSjpwenVrX1p5NkZkMEtzNVBnOFVlMlFhOU13";

pub(crate) const PUBLISHER: &str = "1l1007802";
pub(crate) const LINKS_PATH: &str = "/v2/publishers/1l1007802/links";
const CONVERSIONS_PATH: &str = "/reporting/report_publisher/publisher/1l1007802/conversion.json";

fn client(server: &MockServer) -> Client {
    client_at(&server.uri())
}

/// A client for the API at `base_url`, with test keys and fast retries.
pub fn client_at(base_url: &str) -> Client {
    Client::builder()
        .base_url(base_url)
        .basic_auth(APP_KEY, USER_KEY)
        .retry_policy(crate::support::quick_retries(4))
        .build()
        .unwrap()
}

/// One call per operation of the spec, in the spec's order, reused by the conformance suite against Prism.
pub fn cases() -> Vec<Case<Client>> {
    vec![
        Case {
            operation: "getPartner",
            path: "/user/publisher/1l1007802",
            query: &[],
            body: false,
            call: |c, _| Box::pin(async move { c.get_partner().publisher_id("1l1007802").send().await.map(answer) }),
        },
        Case {
            operation: "updatePartner",
            path: "/user/publisher/1l1007802",
            query: &[],
            body: true,
            call: |c, body| {
                Box::pin(async move {
                    let body = typed::<types::PartnerUpdate>(body);
                    c.update_partner().publisher_id("1l1007802").body(body).send().await.map(answer)
                })
            },
        },
        Case {
            operation: "listWebsites",
            path: "/user/publisher/1l1007802/website",
            query: &[],
            body: false,
            call: |c, _| Box::pin(async move { c.list_websites().publisher_id("1l1007802").send().await.map(answer) }),
        },
        Case {
            operation: "createWebsites",
            path: "/user/publisher/1l1007802/website",
            query: &[],
            body: true,
            call: |c, body| {
                Box::pin(async move {
                    let body = typed::<types::WebsitesCreateRequest>(body);
                    c.create_websites().publisher_id("1l1007802").body(body).send().await.map(answer)
                })
            },
        },
        Case {
            operation: "updateWebsites",
            path: "/user/publisher/1l1007802/website",
            query: &[],
            body: true,
            call: |c, body| {
                Box::pin(async move {
                    let body = typed::<types::WebsitesUpdateRequest>(body);
                    c.update_websites().publisher_id("1l1007802").body(body).send().await.map(answer)
                })
            },
        },
        Case {
            operation: "getWebsite",
            path: "/user/publisher/1l1007802/website/11l18694",
            query: &[],
            body: false,
            call: |c, _| {
                Box::pin(async move {
                    c.get_website().publisher_id("1l1007802").website_id("11l18694").send().await.map(answer)
                })
            },
        },
        Case {
            operation: "listDatabases",
            path: "/user/publisher/1l1007802/database",
            query: &[],
            body: false,
            call: |c, _| Box::pin(async move { c.list_databases().publisher_id("1l1007802").send().await.map(answer) }),
        },
        Case {
            operation: "createDatabases",
            path: "/user/publisher/1l1007802/database",
            query: &[],
            body: true,
            call: |c, body| {
                Box::pin(async move {
                    let body = typed::<types::DatabasesCreateRequest>(body);
                    c.create_databases().publisher_id("1l1007802").body(body).send().await.map(answer)
                })
            },
        },
        Case {
            operation: "updateDatabases",
            path: "/user/publisher/1l1007802/database",
            query: &[],
            body: true,
            call: |c, body| {
                Box::pin(async move {
                    let body = typed::<types::DatabasesUpdateRequest>(body);
                    c.update_databases().publisher_id("1l1007802").body(body).send().await.map(answer)
                })
            },
        },
        Case {
            operation: "getDatabase",
            path: "/user/publisher/1l1007802/database/111111l300347",
            query: &[],
            body: false,
            call: |c, _| {
                Box::pin(async move {
                    c.get_database().publisher_id("1l1007802").database_id("111111l300347").send().await.map(answer)
                })
            },
        },
        Case {
            operation: "listDiscoveryAdvertisers",
            path: "/v2/publishers/1l1007802/discovery/advertisers",
            query: &[],
            body: false,
            call: |c, _| {
                Box::pin(
                    async move { c.list_discovery_advertisers().publisher_id("1l1007802").send().await.map(answer) },
                )
            },
        },
        Case {
            operation: "getDiscoveryAdvertiser",
            path: "/v2/publishers/1l1007802/discovery/advertisers/10l110",
            query: &[],
            body: false,
            call: |c, _| {
                Box::pin(async move {
                    c.get_discovery_advertiser()
                        .publisher_id("1l1007802")
                        .advertiser_id("10l110")
                        .send()
                        .await
                        .map(answer)
                })
            },
        },
        Case {
            operation: "listCampaigns",
            path: "/user/publisher/1l1007802/campaign/a",
            query: &[],
            body: false,
            call: |c, _| {
                Box::pin(
                    async move { c.list_campaigns().publisher_id("1l1007802").status("a").send().await.map(answer) },
                )
            },
        },
        Case {
            operation: "requestCampaignAccess",
            path: "/user/publisher/1l1007802/campaign/a",
            query: &[],
            body: true,
            call: |c, body| {
                Box::pin(async move {
                    let body = typed::<types::CampaignAccessRequest>(body);
                    c.request_campaign_access()
                        .publisher_id("1l1007802")
                        .status("a")
                        .body(body)
                        .send()
                        .await
                        .map(answer)
                })
            },
        },
        Case {
            operation: "listInvitations",
            path: "/v2/publishers/1l1007802/invitations/advertisers/",
            query: &[],
            body: false,
            call: |c, _| {
                Box::pin(async move { c.list_invitations().publisher_id("1l1007802").send().await.map(answer) })
            },
        },
        Case {
            operation: "acceptInvitations",
            path: "/v2/publishers/1l1007802/invitations/accept",
            query: &[],
            body: true,
            call: |c, body| {
                Box::pin(async move {
                    let body = typed::<types::CampaignIdsRequest>(body);
                    c.accept_invitations().publisher_id("1l1007802").body(body).send().await.map(answer)
                })
            },
        },
        Case {
            operation: "declineInvitations",
            path: "/v2/publishers/1l1007802/invitations/decline",
            query: &[],
            body: true,
            call: |c, body| {
                Box::pin(async move {
                    let body = typed::<types::CampaignIdsRequest>(body);
                    c.decline_invitations().publisher_id("1l1007802").body(body).send().await.map(answer)
                })
            },
        },
        Case {
            operation: "createCampaignRequests",
            path: "/v2/publishers/1l1007802/campaign-requests",
            query: &[],
            body: true,
            call: |c, body| {
                Box::pin(async move {
                    let body = typed::<types::CampaignRequestsRequest>(body);
                    c.create_campaign_requests().publisher_id("1l1007802").body(body).send().await.map(answer)
                })
            },
        },
        Case {
            operation: "listCreativeSummaries",
            path: "/user/publisher/1l1007802/creative",
            query: &[],
            body: false,
            call: |c, _| {
                Box::pin(async move { c.list_creative_summaries().publisher_id("1l1007802").send().await.map(answer) })
            },
        },
        Case {
            operation: "listCampaignCreatives",
            path: "/user/publisher/1l1007802/campaign/10l176/creative",
            query: &[("status", "y"), ("creative_type_id", "111l10")],
            body: false,
            call: |c, _| {
                Box::pin(async move {
                    c.list_campaign_creatives()
                        .publisher_id("1l1007802")
                        .campaign_id("10l176")
                        .status(types::YesOrNo::Y)
                        .creative_type_id("111l10")
                        .send()
                        .await
                        .map(answer)
                })
            },
        },
        Case {
            operation: "listFeeds",
            path: "/user/publisher/1l1007802/feed",
            query: &[("campaign_id", "10l176"), ("active", "y")],
            body: false,
            call: |c, _| {
                Box::pin(async move {
                    c.list_feeds()
                        .publisher_id("1l1007802")
                        .campaign_id("10l176")
                        .active(types::YesOrNo::Y)
                        .send()
                        .await
                        .map(answer)
                })
            },
        },
        Case {
            operation: "getCustomTerms",
            path: "/user/publisher/1111l123/campaign/custom_terms/1111l564",
            query: &[],
            body: false,
            call: |c, _| {
                Box::pin(async move {
                    c.get_custom_terms().publisher_id("1111l123").custom_terms_id("1111l564").send().await.map(answer)
                })
            },
        },
        Case {
            operation: "listCombinedTerms",
            path: "/v2/publishers/1l1007802/campaigns/terms",
            query: &[("campaigns", "10l176,111111l13")],
            body: false,
            call: |c, _| {
                Box::pin(async move {
                    c.list_combined_terms()
                        .publisher_id("1l1007802")
                        .campaigns("10l176,111111l13")
                        .send()
                        .await
                        .map(answer)
                })
            },
        },
        Case {
            operation: "listVoucherCodes",
            path: "/user/publisher/1l1007802/campaign/111111l13/voucher",
            query: &[],
            body: false,
            call: |c, _| {
                Box::pin(async move {
                    c.list_voucher_codes().publisher_id("1l1007802").campaign_id("111111l13").send().await.map(answer)
                })
            },
        },
        Case {
            operation: "getDefaultCommission",
            path: "/v2/campaigns/10l176/publishers/1l1007802/commissions/default",
            query: &[],
            body: false,
            call: |c, _| {
                Box::pin(async move {
                    c.get_default_commission().campaign_id("10l176").publisher_id("1l1007802").send().await.map(answer)
                })
            },
        },
        Case {
            operation: "listCampaignCommissions",
            path: "/v2/campaigns/10l176/publishers/1l1007802/commissions/campaign",
            query: &[],
            body: false,
            call: |c, _| {
                Box::pin(async move {
                    c.list_campaign_commissions()
                        .publisher_id("1l1007802")
                        .campaign_id("10l176")
                        .send()
                        .await
                        .map(answer)
                })
            },
        },
        Case {
            operation: "listActiveCommissions",
            path: "/v2/campaigns/10l176/publishers/1l1007802/commissions/active",
            query: &[],
            body: false,
            call: |c, _| {
                Box::pin(async move {
                    c.list_active_commissions().campaign_id("10l176").publisher_id("1l1007802").send().await.map(answer)
                })
            },
        },
        Case {
            operation: "listVoucherCommissions",
            path: "/v2/campaigns/10l176/publishers/1l1007802/commissions/voucher",
            query: &[],
            body: false,
            call: |c, _| {
                Box::pin(async move {
                    c.list_voucher_commissions()
                        .publisher_id("1l1007802")
                        .campaign_id("10l176")
                        .send()
                        .await
                        .map(answer)
                })
            },
        },
        Case {
            operation: "listPromotionalCommissions",
            path: "/v2/campaigns/10l176/publishers/1l1007802/commissions/promotion",
            query: &[],
            body: false,
            call: |c, _| {
                Box::pin(async move {
                    c.list_promotional_commissions()
                        .publisher_id("1l1007802")
                        .campaign_id("10l176")
                        .send()
                        .await
                        .map(answer)
                })
            },
        },
        Case {
            operation: "listTieredCommissions",
            path: "/v2/campaigns/10l176/publishers/1l1007802/commissions/tier",
            query: &[],
            body: false,
            call: |c, _| {
                Box::pin(async move {
                    c.list_tiered_commissions().publisher_id("1l1007802").campaign_id("10l176").send().await.map(answer)
                })
            },
        },
        Case {
            operation: "listCommissionGroups",
            path: "/user/publisher/1l1007802/commission_group",
            query: &[],
            body: false,
            call: |c, _| {
                Box::pin(async move { c.list_commission_groups().publisher_id("1l1007802").send().await.map(answer) })
            },
        },
        Case {
            operation: "listTransactionQueries",
            path: "/user/publisher/1l1007802/tq",
            query: &[("transaction_query_type", "untracked"), ("current_state", "pending"), ("campaign_id", "10l176")],
            body: false,
            call: |c, _| {
                Box::pin(async move {
                    c.list_transaction_queries()
                        .publisher_id("1l1007802")
                        .transaction_query_type("untracked")
                        .current_state("pending")
                        .campaign_id("10l176")
                        .send()
                        .await
                        .map(answer)
                })
            },
        },
        Case {
            operation: "createTransactionQueries",
            path: "/user/publisher/1l1007802/tq/create",
            query: &[],
            body: true,
            call: |c, body| {
                Box::pin(async move {
                    let body = typed::<types::TransactionQueriesCreateRequest>(body);
                    c.create_transaction_queries().publisher_id("1l1007802").body(body).send().await.map(answer)
                })
            },
        },
        Case {
            operation: "deleteTransactionQuery",
            path: "/user/publisher/1l1007802/tq/1l1000532/delete",
            query: &[],
            body: false,
            call: |c, _| {
                Box::pin(async move {
                    c.delete_transaction_query()
                        .publisher_id("1l1007802")
                        .transaction_query_id("1l1000532")
                        .send()
                        .await
                        .map(answer)
                })
            },
        },
        Case {
            operation: "listSelfBills",
            path: "/user/publisher/1l1007802/selfbill",
            query: &[("currency", "GBP"), ("status", "created"), ("order_dir", "ASC")],
            body: false,
            call: |c, _| {
                Box::pin(async move {
                    c.list_self_bills()
                        .publisher_id("1l1007802")
                        .currency("GBP")
                        .status("created")
                        .order_dir("ASC")
                        .send()
                        .await
                        .map(answer)
                })
            },
        },
        Case {
            operation: "getSelfBill",
            path: "/user/publisher/1l1007802/selfbill/1011l5403",
            query: &[],
            body: false,
            call: |c, _| {
                Box::pin(async move {
                    c.get_self_bill()
                        .publisher_id("1l1007802")
                        .publisher_self_bill_id("1011l5403")
                        .send()
                        .await
                        .map(answer)
                })
            },
        },
        Case {
            operation: "listPaymentDetails",
            path: "/user/publisher/1l1007802/payment_detail",
            query: &[],
            body: false,
            call: |c, _| {
                Box::pin(async move { c.list_payment_details().publisher_id("1l1007802").send().await.map(answer) })
            },
        },
        Case {
            operation: "createPaymentDetails",
            path: "/user/publisher/1l1007802/payment_detail",
            query: &[],
            body: true,
            call: |c, body| {
                Box::pin(async move {
                    let body = typed::<types::PaymentDetailsCreateRequest>(body);
                    c.create_payment_details().publisher_id("1l1007802").body(body).send().await.map(answer)
                })
            },
        },
        Case {
            operation: "getAvailableCommission",
            path: "/user/publisher/1l1007802/available_commission",
            query: &[],
            body: false,
            call: |c, _| {
                Box::pin(async move { c.get_available_commission().publisher_id("1l1007802").send().await.map(answer) })
            },
        },
        Case {
            operation: "getPaymentSummary",
            path: "/user/publisher/1l1007802/payment/summary",
            query: &[],
            body: false,
            call: |c, _| {
                Box::pin(async move { c.get_payment_summary().publisher_id("1l1007802").send().await.map(answer) })
            },
        },
        Case {
            operation: "listTrackingLinks",
            path: "/v2/publishers/1l1007802/links",
            query: &[("limit", "200"), ("offset", "0")],
            body: false,
            call: |c, _| {
                Box::pin(async move {
                    c.list_tracking_links()
                        .publisher_id("1l1007802")
                        .limit(200u64)
                        .offset(0u64)
                        .send()
                        .await
                        .map(answer)
                })
            },
        },
        Case {
            operation: "createTrackingLink",
            path: "/v2/publishers/1l1007802/links",
            query: &[],
            body: true,
            call: |c, body| {
                Box::pin(async move {
                    let body = typed::<types::TrackingLinkCreate>(body);
                    c.create_tracking_link().publisher_id("1l1007802").body(body).send().await.map(answer)
                })
            },
        },
        Case {
            operation: "getTrackingLink",
            path: "/v2/publishers/1l1007802/links/1011l10",
            query: &[],
            body: false,
            call: |c, _| {
                Box::pin(async move {
                    c.get_tracking_link().publisher_id("1l1007802").link_id("1011l10").send().await.map(answer)
                })
            },
        },
        Case {
            operation: "updateTrackingLink",
            path: "/v2/publishers/1l1007802/links/1011l10",
            query: &[],
            body: true,
            call: |c, body| {
                Box::pin(async move {
                    let body = typed::<types::TrackingLinkUpdate>(body);
                    c.update_tracking_link()
                        .publisher_id("1l1007802")
                        .link_id("1011l10")
                        .body(body)
                        .send()
                        .await
                        .map(answer)
                })
            },
        },
        Case {
            operation: "getJob",
            path: "/job/111111l11",
            query: &[],
            body: false,
            call: |c, _| Box::pin(async move { c.get_job().job_id("111111l11").send().await.map(answer) }),
        },
        Case {
            operation: "getJobResponseCsv",
            path: "/job/111111l11/response.csv",
            query: &[],
            body: false,
            call: |c, _| {
                Box::pin(async move { c.get_job_response_csv().job_id("111111l11").send().await.map(streamed) })
            },
        },
        Case {
            operation: "getConversionReport",
            path: "/reporting/report_publisher/publisher/1l1007802/conversion.json",
            query: &[
                ("start_date", "2016-03-01T05:15:32Z"),
                ("end_date", "2016-03-10T19:02:35Z"),
                ("timezone", "Europe/London"),
                ("currency[]", "USD"),
                ("statuses[]", "approved"),
                ("multipivot[campaign][]", "111111l29"),
                ("multipivot[product][]", "sku-123"),
                ("multipivot[product][]", "sku-456"),
                ("multipivot[publisher_reference][]", "newsletter"),
                ("limit", "300"),
            ],
            body: false,
            call: |c, _| {
                Box::pin(async move {
                    c.get_conversion_report()
                        .publisher_id("1l1007802")
                        .format(types::ReportFormat::Json)
                        .start_date("2016-03-01T05:15:32Z")
                        .end_date("2016-03-10T19:02:35Z")
                        .timezone("Europe/London")
                        .currency(vec![types::Currency::Usd])
                        .statuses(vec![types::ConversionStatus::Approved])
                        .multipivot_campaign(vec!["111111l29".to_string()])
                        .multipivot_product(vec!["sku-123".to_string(), "sku-456".to_string()])
                        .multipivot_publisher_reference(vec!["newsletter".to_string()])
                        .limit(300i64)
                        .send()
                        .await
                        .map(answer)
                })
            },
        },
        Case {
            operation: "getClickReport",
            path: "/reporting/report_publisher/publisher/1l1007802/click.json",
            query: &[
                ("start_date", "2016-03-01T05:15:32Z"),
                ("end_date", "2016-03-10T19:02:35Z"),
                ("timezone", "Europe/London"),
                ("offset", "0"),
                ("limit", "300"),
                ("multipivot[campaign][]", "111111l29"),
                ("multipivot[publisher_reference][]", "newsletter"),
            ],
            body: false,
            call: |c, _| {
                Box::pin(async move {
                    c.get_click_report()
                        .publisher_id("1l1007802")
                        .format(types::ReportFormat::Json)
                        .start_date("2016-03-01T05:15:32Z")
                        .end_date("2016-03-10T19:02:35Z")
                        .timezone("Europe/London")
                        .offset(0u64)
                        .limit(300u64)
                        .multipivot_campaign(vec!["111111l29".to_string()])
                        .multipivot_publisher_reference(vec!["newsletter".to_string()])
                        .send()
                        .await
                        .map(answer)
                })
            },
        },
        Case {
            operation: "getPayableReport",
            path: "/reporting/report_publisher/publisher/1l1007802/payable",
            query: &[("offset", "0"), ("limit", "300")],
            body: false,
            call: |c, _| {
                Box::pin(async move {
                    c.get_payable_report().publisher_id("1l1007802").offset(0u64).limit(300u64).send().await.map(answer)
                })
            },
        },
        Case {
            operation: "exportClicksCsv",
            path: "/reporting/export/export/click.csv",
            query: &[
                ("publisher_id", "1l1007802"),
                ("start_date", "2016-03-01T05:15:32Z"),
                ("end_date", "2016-03-10T19:02:35Z"),
                ("timezone", "Europe/London"),
            ],
            body: false,
            call: |c, _| {
                Box::pin(async move {
                    c.export_clicks_csv()
                        .publisher_id("1l1007802")
                        .start_date("2016-03-01T05:15:32Z")
                        .end_date("2016-03-10T19:02:35Z")
                        .timezone("Europe/London")
                        .send()
                        .await
                        .map(streamed)
                })
            },
        },
        Case {
            operation: "exportConversionsCsv",
            path: "/reporting/export/export/conversion.csv",
            query: &[
                ("publisher_id", "1l1007802"),
                ("start_date", "2016-03-01T05:15:32Z"),
                ("end_date", "2016-03-10T19:02:35Z"),
                ("currency[]", "GBP"),
                ("date_type", "standard"),
            ],
            body: false,
            call: |c, _| {
                Box::pin(async move {
                    c.export_conversions_csv()
                        .publisher_id("1l1007802")
                        .start_date("2016-03-01T05:15:32Z")
                        .end_date("2016-03-10T19:02:35Z")
                        .currency(vec!["GBP".to_string()])
                        .date_type("standard")
                        .send()
                        .await
                        .map(streamed)
                })
            },
        },
        Case {
            operation: "exportConversionItemsCsv",
            path: "/reporting/export/export/conversion_item.csv",
            query: &[
                ("publisher_id", "1l1007802"),
                ("start_date", "2016-03-01T05:15:32Z"),
                ("end_date", "2016-03-10T19:02:35Z"),
                ("include_payment_info", "true"),
            ],
            body: false,
            call: |c, _| {
                Box::pin(async move {
                    c.export_conversion_items_csv()
                        .publisher_id("1l1007802")
                        .start_date("2016-03-01T05:15:32Z")
                        .end_date("2016-03-10T19:02:35Z")
                        .include_payment_info(true)
                        .send()
                        .await
                        .map(streamed)
                })
            },
        },
        Case {
            operation: "countClicks",
            path: "/v3/partner/analytics/clicks/count",
            query: &[],
            body: true,
            call: |c, body| {
                Box::pin(async move {
                    let body = typed::<types::ClickCountRequest>(body);
                    c.count_clicks().body(body).send().await.map(answer)
                })
            },
        },
        Case {
            operation: "explodeClicks",
            path: "/v3/partner/analytics/clicks/explode",
            query: &[],
            body: true,
            call: |c, body| {
                Box::pin(async move {
                    let body = typed::<types::ClickExplodeRequest>(body);
                    c.explode_clicks().body(body).send().await.map(answer)
                })
            },
        },
        Case {
            operation: "filterClicks",
            path: "/v3/partner/analytics/clicks/filter",
            query: &[],
            body: true,
            call: |c, body| {
                Box::pin(async move {
                    let body = typed::<types::ClickFilterRequest>(body);
                    c.filter_clicks().body(body).send().await.map(answer)
                })
            },
        },
        Case {
            operation: "getClicksTimeseries",
            path: "/v3/partner/analytics/clicks/timeseries",
            query: &[],
            body: true,
            call: |c, body| {
                Box::pin(async move {
                    let body = typed::<types::ClickTimeseriesRequest>(body);
                    c.get_clicks_timeseries().body(body).send().await.map(answer)
                })
            },
        },
        Case {
            operation: "countConversions",
            path: "/v3/partner/analytics/conversions/count",
            query: &[],
            body: true,
            call: |c, body| {
                Box::pin(async move {
                    let body = typed::<types::ConversionCountRequest>(body);
                    c.count_conversions().body(body).send().await.map(answer)
                })
            },
        },
        Case {
            operation: "explodeConversions",
            path: "/v3/partner/analytics/conversions/explode",
            query: &[],
            body: true,
            call: |c, body| {
                Box::pin(async move {
                    let body = typed::<types::ConversionExplodeRequest>(body);
                    c.explode_conversions().body(body).send().await.map(answer)
                })
            },
        },
        Case {
            operation: "filterConversions",
            path: "/v3/partner/analytics/conversions/filter",
            query: &[],
            body: true,
            call: |c, body| {
                Box::pin(async move {
                    let body = typed::<types::ConversionFilterRequest>(body);
                    c.filter_conversions().body(body).send().await.map(answer)
                })
            },
        },
        Case {
            operation: "getConversionsTimeseries",
            path: "/v3/partner/analytics/conversions/timeseries",
            query: &[],
            body: true,
            call: |c, body| {
                Box::pin(async move {
                    let body = typed::<types::ConversionTimeseriesRequest>(body);
                    c.get_conversions_timeseries().body(body).send().await.map(answer)
                })
            },
        },
        Case {
            operation: "countImpressions",
            path: "/v3/partner/analytics/impressions/count",
            query: &[],
            body: true,
            call: |c, body| {
                Box::pin(async move {
                    let body = typed::<types::ImpressionCountRequest>(body);
                    c.count_impressions().body(body).send().await.map(answer)
                })
            },
        },
        Case {
            operation: "explodeImpressions",
            path: "/v3/partner/analytics/impressions/explode",
            query: &[],
            body: true,
            call: |c, body| {
                Box::pin(async move {
                    let body = typed::<types::ImpressionExplodeRequest>(body);
                    c.explode_impressions().body(body).send().await.map(answer)
                })
            },
        },
        Case {
            operation: "filterImpressions",
            path: "/v3/partner/analytics/impressions/filter",
            query: &[],
            body: true,
            call: |c, body| {
                Box::pin(async move {
                    let body = typed::<types::ImpressionFilterRequest>(body);
                    c.filter_impressions().body(body).send().await.map(answer)
                })
            },
        },
        Case {
            operation: "getImpressionsTimeseries",
            path: "/v3/partner/analytics/impressions/timeseries",
            query: &[],
            body: true,
            call: |c, body| {
                Box::pin(async move {
                    let body = typed::<types::ImpressionTimeseriesRequest>(body);
                    c.get_impressions_timeseries().body(body).send().await.map(answer)
                })
            },
        },
        Case {
            operation: "listCountries",
            path: "/reference/country",
            query: &[],
            body: false,
            call: |c, _| Box::pin(async move { c.list_countries().send().await.map(answer) }),
        },
        Case {
            operation: "listUserContexts",
            path: "/reference/user_context",
            query: &[],
            body: false,
            call: |c, _| Box::pin(async move { c.list_user_contexts().send().await.map(answer) }),
        },
        Case {
            operation: "listTrafficSources",
            path: "/reference/traffic_source",
            query: &[],
            body: false,
            call: |c, _| Box::pin(async move { c.list_traffic_sources().send().await.map(answer) }),
        },
        Case {
            operation: "listConversionTypes",
            path: "/reference/conversion_type",
            query: &[],
            body: false,
            call: |c, _| Box::pin(async move { c.list_conversion_types().send().await.map(answer) }),
        },
        Case {
            operation: "listConversionMetrics",
            path: "/reference/conversion_metric",
            query: &[],
            body: false,
            call: |c, _| Box::pin(async move { c.list_conversion_metrics().send().await.map(answer) }),
        },
        Case {
            operation: "listPartnershipModels",
            path: "/reference/partnership_model",
            query: &[],
            body: false,
            call: |c, _| Box::pin(async move { c.list_partnership_models().send().await.map(answer) }),
        },
        Case {
            operation: "listCurrencies",
            path: "/reference/currency",
            query: &[],
            body: false,
            call: |c, _| Box::pin(async move { c.list_currencies().send().await.map(answer) }),
        },
        Case {
            operation: "listTimezones",
            path: "/reference/timezone",
            query: &[],
            body: false,
            call: |c, _| Box::pin(async move { c.list_timezones().send().await.map(answer) }),
        },
        Case {
            operation: "listDevices",
            path: "/reference/device",
            query: &[],
            body: false,
            call: |c, _| Box::pin(async move { c.list_devices().send().await.map(answer) }),
        },
        Case {
            operation: "listParticipations",
            path: "/v3/partner/111111l3/participations",
            query: &[("status[]", "a"), ("fields[]", "camref"), ("fields[]", "network_status")],
            body: false,
            call: |c, _| {
                Box::pin(async move {
                    c.list_participations()
                        .partner_id("111111l3")
                        .status(vec![types::ParticipationStatus::A])
                        .fields(vec![types::ParticipationField::Camref, types::ParticipationField::NetworkStatus])
                        .send()
                        .await
                        .map(answer)
                })
            },
        },
        Case {
            operation: "listPartnerizeTags",
            path: "/v3/partner/partnerize-tags",
            query: &[("partner_id", "111111l8"), ("with_features", "true")],
            body: false,
            call: |c, _| {
                Box::pin(async move {
                    c.list_partnerize_tags().partner_id("111111l8").with_features(true).send().await.map(answer)
                })
            },
        },
        Case {
            operation: "createPartnerizeTag",
            path: "/v3/partner/partnerize-tags",
            query: &[],
            body: true,
            call: |c, body| {
                Box::pin(async move {
                    let body = typed::<types::PartnerizeTagCreate>(body);
                    c.create_partnerize_tag().body(body).send().await.map(answer)
                })
            },
        },
        Case {
            operation: "getPartnerizeTag",
            path: "/v3/partner/partnerize-tags/111111l3",
            query: &[],
            body: false,
            call: |c, _| {
                Box::pin(async move { c.get_partnerize_tag().partnerize_tag_id("111111l3").send().await.map(answer) })
            },
        },
        Case {
            operation: "updatePartnerizeTag",
            path: "/v3/partner/partnerize-tags/111111l3",
            query: &[],
            body: true,
            call: |c, body| {
                Box::pin(async move {
                    let body = typed::<types::PartnerizeTagUpdate>(body);
                    c.update_partnerize_tag().partnerize_tag_id("111111l3").body(body).send().await.map(answer)
                })
            },
        },
        Case {
            operation: "deletePartnerizeTag",
            path: "/v3/partner/partnerize-tags/111111l3",
            query: &[],
            body: false,
            call: |c, _| {
                Box::pin(
                    async move { c.delete_partnerize_tag().partnerize_tag_id("111111l3").send().await.map(answer) },
                )
            },
        },
        Case {
            operation: "listAvailableTagFeatures",
            path: "/v3/partner/partnerize-tags/features",
            query: &[],
            body: false,
            call: |c, _| Box::pin(async move { c.list_available_tag_features().send().await.map(answer) }),
        },
        Case {
            operation: "listTagFeatures",
            path: "/v3/partner/partnerize-tags/111111l3/features",
            query: &[],
            body: false,
            call: |c, _| Box::pin(async move { c.list_tag_features().tag_id("111111l3").send().await.map(answer) }),
        },
        Case {
            operation: "enableTagFeature",
            path: "/v3/partner/partnerize-tags/111111l3/features",
            query: &[],
            body: true,
            call: |c, body| {
                Box::pin(async move {
                    let body = typed::<types::TagFeatureEnable>(body);
                    c.enable_tag_feature().tag_id("111111l3").body(body).send().await.map(answer)
                })
            },
        },
        Case {
            operation: "disableTagFeature",
            path: "/v3/partner/partnerize-tags/111111l3/features/tracking-link-generation",
            query: &[],
            body: false,
            call: |c, _| {
                Box::pin(async move {
                    c.disable_tag_feature()
                        .tag_id("111111l3")
                        .feature_name("tracking-link-generation")
                        .send()
                        .await
                        .map(answer)
                })
            },
        },
        Case {
            operation: "listMyBrands",
            path: "/v3/partner/my-brands",
            query: &[("brand_ids[]", "111111l1")],
            body: false,
            call: |c, _| {
                Box::pin(
                    async move { c.list_my_brands().brand_ids(vec!["111111l1".to_string()]).send().await.map(answer) },
                )
            },
        },
        Case {
            operation: "listCampaignTermsAndConditions",
            path: "/v3/partner/campaign-terms-and-conditions",
            query: &[("campaign_id", "111111l5"), ("locale", "en_us")],
            body: false,
            call: |c, _| {
                Box::pin(async move {
                    c.list_campaign_terms_and_conditions()
                        .campaign_id("111111l5")
                        .locale(types::Locale::EnUs)
                        .send()
                        .await
                        .map(answer)
                })
            },
        },
        Case {
            operation: "getCampaignTermsAndConditions",
            path: "/v3/partner/campaign-terms-and-conditions/111111l10",
            query: &[],
            body: false,
            call: |c, _| {
                Box::pin(async move { c.get_campaign_terms_and_conditions().id("111111l10").send().await.map(answer) })
            },
        },
        Case {
            operation: "listTermsAcknowledgments",
            path: "/v3/partner/campaign-terms-and-conditions-acknowledgments",
            query: &[("partner_id", "111111l34"), ("campaign_terms_and_conditions_id", "111111l50")],
            body: false,
            call: |c, _| {
                Box::pin(async move {
                    c.list_terms_acknowledgments()
                        .partner_id("111111l34")
                        .campaign_terms_and_conditions_id("111111l50")
                        .send()
                        .await
                        .map(answer)
                })
            },
        },
        Case {
            operation: "createTermsAcknowledgment",
            path: "/v3/partner/campaign-terms-and-conditions-acknowledgments",
            query: &[],
            body: true,
            call: |c, body| {
                Box::pin(async move {
                    let body = typed::<types::TermsAcknowledgmentCreate>(body);
                    c.create_terms_acknowledgment().body(body).send().await.map(answer)
                })
            },
        },
        Case {
            operation: "getTermsAcknowledgment",
            path: "/v3/partner/campaign-terms-and-conditions-acknowledgments/111111l551",
            query: &[],
            body: false,
            call: |c, _| {
                Box::pin(async move { c.get_terms_acknowledgment().id("111111l551").send().await.map(answer) })
            },
        },
        Case {
            operation: "updateCurrentUser",
            path: "/v3/partner/user",
            query: &[],
            body: true,
            call: |c, body| {
                Box::pin(async move {
                    let body = typed::<types::CurrentUserUpdate>(body);
                    c.update_current_user().body(body).send().await.map(answer)
                })
            },
        },
    ]
}

/// Request examples with an explicit `null` (tri-state fields: absent, null, value).
const EXPLICIT_NULLS: [&str; 3] = ["updateWebsites", "createPaymentDetails", "createTrackingLink"];

#[tokio::test]
async fn every_operation_on_the_wire() {
    let spec = Spec::load("partnerize");
    let cases = cases();
    assert_eq!(cases.len(), 90);
    assert_covers_spec(&spec, &cases);
    for case in cases {
        check(&spec, case, client, &[("authorization", BASIC)]).await;
    }
}

/// Runs the strict `check` on the named cases.
async fn check_strictly(operations: &[&str]) {
    let spec = Spec::load("partnerize");
    let cases: Vec<_> = cases().into_iter().filter(|c| operations.contains(&c.operation)).collect();
    assert_eq!(cases.len(), operations.len());
    for case in cases {
        check(&spec, case, client, &[("authorization", BASIC)]).await;
    }
}

#[tokio::test]
async fn request_bodies_keep_explicit_nulls() {
    check_strictly(&EXPLICIT_NULLS).await;
}

#[tokio::test]
async fn request_bodies_carry_only_what_the_caller_set() {
    let spec = Spec::load("partnerize");
    let example = spec.request_example("countClicks");
    assert!(example.get("include_comparison_percentage_change").is_none());
    let sent = serde_json::to_value(typed::<types::ClickCountRequest>(example.clone())).unwrap();
    assert_eq!(numbers_as_f64(sent), numbers_as_f64(example), "a typed round trip adds nothing");
    check_strictly(&[
        "countClicks",
        "explodeClicks",
        "countConversions",
        "explodeConversions",
        "countImpressions",
        "explodeImpressions",
    ])
    .await;
}

#[tokio::test]
async fn reference_lists_have_a_documented_example() {
    check_strictly(&["listCurrencies", "listTimezones", "listDevices"]).await;
}

/// The spec's sample tracking link, with another id.
pub(crate) fn tracking_link(id: &str) -> Value {
    let (_, example) = Spec::load("partnerize").success_example("listTrackingLinks");
    let mut link = example["links"][0].clone();
    link["id"] = json!(id);
    link
}

/// One page of `listTrackingLinks` as the v2 API sends it: `count` is the total, `next_page` a relative link.
pub(crate) fn links_page(ids: &[&str], offset: usize, limit: usize, total: usize, next_page: Option<String>) -> Value {
    json!({
        "execution_time": "0.29440 seconds",
        "count": total,
        "limit": limit,
        "offset": offset,
        "links": ids.iter().map(|id| tracking_link(id)).collect::<Vec<_>>(),
        "hypermedia": {"pagination": {
            "total_page_count": total.div_ceil(limit),
            "total_item_count": total,
            "first_page": format!("{LINKS_PATH}?limit={limit}&offset=0"),
            "last_page": format!("{LINKS_PATH}?limit={limit}&offset={}", (total - 1) / limit * limit),
            "next_page": next_page,
            "previous_page": (offset > 0).then(|| format!("{LINKS_PATH}?limit={limit}&offset={}", offset - limit)),
        }},
    })
}

#[tokio::test]
async fn offset_pagination_follows_next_page_links_until_null() {
    let server = MockServer::start().await;
    let pages: [(&[&str], usize); 3] = [(&["1011l1", "1011l2"], 0), (&["1011l3", "1011l4"], 2), (&["1011l5"], 4)];
    for (ids, offset) in pages {
        let next = (offset < 4).then(|| format!("{LINKS_PATH}?limit=2&offset={}", offset + 2));
        Mock::given(method("GET"))
            .and(path(LINKS_PATH))
            .and(query_param("offset", offset.to_string()))
            .and(query_param("limit", "2"))
            .respond_with(ResponseTemplate::new(200).set_body_json(links_page(ids, offset, 2, 5, next)))
            .expect(1)
            .mount(&server)
            .await;
    }
    let ids: Vec<String> = client(&server)
        .list_tracking_links()
        .publisher_id(PUBLISHER)
        .limit(2u64)
        .stream()
        .map_ok(|link| link.id.unwrap())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(ids, ["1011l1", "1011l2", "1011l3", "1011l4", "1011l5"]);
    let requests = received(&server).await;
    assert_eq!(requests.len(), 3);
    let sent: Vec<Vec<(String, String)>> = requests.iter().map(query).collect();
    for (request, offset) in sent.iter().zip(["0", "2", "4"]) {
        let mut request = request.clone();
        request.sort();
        assert_eq!(request, [("limit".to_string(), "2".to_string()), ("offset".to_string(), offset.to_string())]);
    }
    for request in &requests {
        assert_eq!(request.url.path(), LINKS_PATH);
        assert_eq!(header(request, "authorization"), Some(BASIC));
    }
}

/// The spec's sample conversion, with another id.
pub(crate) fn conversion(id: &str) -> Value {
    let (_, example) = Spec::load("partnerize").success_example("getConversionReport");
    let mut conversion = example["conversions"][0].clone();
    conversion["conversion_data"]["conversion_id"] = json!(id);
    conversion
}

fn conversion_page(ids: &[&str], cursor: Value) -> Value {
    let (_, mut page) = Spec::load("partnerize").success_example("getConversionReport");
    page["conversions"] = json!(ids.iter().map(|id| conversion(id)).collect::<Vec<_>>());
    page["count"] = json!(ids.len());
    page["cursor_id"] = cursor;
    page
}

#[tokio::test]
async fn cursor_pagination_sends_each_cursor_back_as_given() {
    let server = MockServer::start().await;
    let respond = |ids: &[&str], cursor: Value| ResponseTemplate::new(200).set_body_json(conversion_page(ids, cursor));
    Mock::given(method("GET"))
        .and(path(CONVERSIONS_PATH))
        .and(query_param_is_missing("cursor_id"))
        .respond_with(respond(&["111111l301", "111111l302"], json!(10325942995u64)))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(CONVERSIONS_PATH))
        .and(query_param("cursor_id", "10325942995"))
        // Partnerize sometimes sends numbers as strings: the cursor still goes back as it came.
        .respond_with(respond(&["111111l303", "111111l304"], json!("10325943107")))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(CONVERSIONS_PATH))
        .and(query_param("cursor_id", "10325943107"))
        .respond_with(respond(&["111111l305"], Value::Null))
        .expect(1)
        .mount(&server)
        .await;
    let ids: Vec<String> = client(&server)
        .get_conversion_report()
        .publisher_id(PUBLISHER)
        .format(types::ReportFormat::Json)
        .start_date("2020-03-01T00:00:00Z")
        .limit(300i64)
        .stream()
        .map_ok(|c| c.conversion_data.unwrap().conversion_id.unwrap())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(ids, ["111111l301", "111111l302", "111111l303", "111111l304", "111111l305"]);
    let requests = received(&server).await;
    assert_eq!(requests.len(), 3);
    let cursors: Vec<Option<String>> =
        requests.iter().map(|r| query(r).into_iter().find(|(k, _)| k == "cursor_id").map(|(_, v)| v)).collect();
    assert_eq!(cursors, [None, Some("10325942995".to_string()), Some("10325943107".to_string())]);
    for request in &requests {
        let pairs = query(request);
        assert!(pairs.contains(&("limit".to_string(), "300".to_string())), "{pairs:?}");
        assert!(pairs.contains(&("start_date".to_string(), "2020-03-01T00:00:00Z".to_string())), "{pairs:?}");
    }
}

#[tokio::test]
async fn a_next_page_on_another_host_is_not_followed() {
    let server = MockServer::start().await;
    let other = MockServer::start().await;
    Mock::given(method("GET")).respond_with(ResponseTemplate::new(200)).expect(0).mount(&other).await;
    let next = format!("{}{LINKS_PATH}?limit=2&offset=2", other.uri());
    Mock::given(method("GET"))
        .and(path(LINKS_PATH))
        .respond_with(ResponseTemplate::new(200).set_body_json(links_page(&["1011l1", "1011l2"], 0, 2, 4, Some(next))))
        .expect(1)
        .mount(&server)
        .await;
    let results: Vec<_> =
        client(&server).list_tracking_links().publisher_id(PUBLISHER).limit(2u64).stream().collect().await;
    assert_eq!(results.len(), 3, "{results:?}");
    let ids: Vec<String> = results[..2].iter().map(|r| r.as_ref().unwrap().id.clone().unwrap()).collect();
    assert_eq!(ids, ["1011l1", "1011l2"]);
    match &results[2] {
        Err(Error::Pagination(message)) => assert!(message.contains("another host"), "{message}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(received(&server).await.len(), 1);
    assert_eq!(received(&other).await.len(), 0, "the other host receives nothing, credentials least of all");
}

#[tokio::test]
async fn bracketed_query_names_go_on_the_wire_literally() {
    let spec = Spec::load("partnerize");
    let server = MockServer::start().await;
    for op in ["getConversionReport", "listParticipations", "listMyBrands"] {
        let (verb, _, _) = spec.operation(op);
        let (_, example) = spec.success_example(op);
        let template = match op {
            "getConversionReport" => CONVERSIONS_PATH,
            "listParticipations" => "/v3/partner/111111l3/participations",
            _ => "/v3/partner/my-brands",
        };
        Mock::given(method(verb.as_str()))
            .and(path(template))
            .respond_with(ResponseTemplate::new(200).set_body_json(example))
            .expect(1)
            .mount(&server)
            .await;
    }
    let client = client(&server);
    client
        .get_conversion_report()
        .publisher_id(PUBLISHER)
        .format(types::ReportFormat::Json)
        .start_date("2016-03-01T05:15:32Z")
        .currency(vec![types::Currency::Usd, types::Currency::Gbp])
        .statuses(vec![types::ConversionStatus::Approved])
        .multipivot_campaign(vec!["111111l29".to_string()])
        .send()
        .await
        .unwrap();
    client
        .list_participations()
        .partner_id("111111l3")
        .status(vec![types::ParticipationStatus::A])
        .fields(vec![types::ParticipationField::Camref])
        .send()
        .await
        .unwrap();
    client.list_my_brands().brand_ids(vec!["111111l1".to_string(), "111111l2".to_string()]).send().await.unwrap();
    let requests = received(&server).await;
    assert_eq!(requests.len(), 3);
    let raw: Vec<&str> = requests.iter().map(|r| r.url.query().unwrap_or_default()).collect();
    for (query, expected) in [
        (raw[0], "currency[]=USD&currency[]=GBP"),
        (raw[0], "statuses[]=approved"),
        (raw[0], "multipivot[campaign][]=111111l29"),
        (raw[1], "status[]=a"),
        (raw[1], "fields[]=camref"),
        (raw[2], "brand_ids[]=111111l1&brand_ids[]=111111l2"),
    ] {
        assert!(query.contains(expected), "`{query}` lacks `{expected}`");
    }
    for query in raw {
        assert!(!query.to_ascii_uppercase().contains("%5B"), "brackets percent-encoded in `{query}`");
        assert!(!query.to_ascii_uppercase().contains("%5D"), "brackets percent-encoded in `{query}`");
    }
}

#[tokio::test]
async fn a_csv_export_streams_chunk_by_chunk() {
    let server = MockServer::start().await;
    let (_, example) = Spec::load("partnerize").success_example("exportClicksCsv");
    let sample = example.as_str().unwrap();
    let mut lines = sample.lines();
    let heading = lines.next().unwrap();
    let row = lines.next().unwrap();
    let rows = 40_000;
    let mut csv = String::with_capacity((heading.len() + 1) + rows * (row.len() + 1));
    csv.push_str(heading);
    csv.push('\n');
    for _ in 0..rows {
        csv.push_str(row);
        csv.push('\n');
    }
    assert!(csv.len() > 4 * 1024 * 1024, "{} bytes", csv.len());
    Mock::given(method("GET"))
        .and(path("/reporting/export/export/click.csv"))
        .and(query_param("publisher_id", PUBLISHER))
        .respond_with(ResponseTemplate::new(200).set_body_raw(csv.clone().into_bytes(), "text/csv"))
        .expect(1)
        .mount(&server)
        .await;
    let response = client(&server)
        .export_clicks_csv()
        .publisher_id(PUBLISHER)
        .start_date("2016-03-01T05:15:32Z")
        .end_date("2016-03-10T19:02:35Z")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.headers().get("content-type").unwrap(), "text/csv");
    let mut stream = match response.into_inner() {
        types::ExportClicksCsvSuccess::Ok(stream) => stream.into_inner(),
        other => panic!("{other:?}"),
    };
    let (mut bytes, mut newlines, mut chunks, mut largest) = (0usize, 0usize, 0usize, 0usize);
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.unwrap();
        bytes += chunk.len();
        newlines += chunk.iter().filter(|b| **b == b'\n').count();
        largest = largest.max(chunk.len());
        chunks += 1;
    }
    assert_eq!(bytes, csv.len());
    assert_eq!(newlines, rows + 1, "heading and every row");
    assert!(chunks > 1 && largest < csv.len(), "{chunks} chunks, the largest {largest} bytes: not one buffer");
    assert_eq!(received(&server).await.len(), 1);
}

#[tokio::test]
async fn an_export_job_is_polled_until_complete_and_its_csv_fetched() {
    let spec = Spec::load("partnerize");
    let server = MockServer::start().await;
    let (_, _, op) = spec.operation("exportConversionsCsv");
    let mut job = op["responses"]["202"]["content"]["application/json"]["example"].clone();
    assert!(job.is_object(), "the spec documents the 202 answer");
    let id = "111111l77";
    job["job"]["job_id"] = json!(id);
    job["job"]["created_by_uri"] = json!("reporting/export/export/conversion.csv");
    job["job"]["hypermedia"] = json!({"response": format!("/job/{id}/response.csv"), "update": format!("/job/{id}")});
    let mut pending = job.clone();
    pending["job"]["status"] = json!("pending");
    pending["job"]["percentage_complete"] = json!(0);
    pending["job"]["completed_at"] = Value::Null;
    let mut complete = job.clone();
    complete["job"]["status"] = json!("complete");
    let (_, csv) = spec.success_example("getJobResponseCsv");
    let csv = csv.as_str().unwrap().to_string();

    Mock::given(method("GET"))
        .and(path("/reporting/export/export/conversion.csv"))
        .respond_with(ResponseTemplate::new(202).set_body_json(&pending))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/job/{id}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(&pending))
        .up_to_n_times(2)
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/job/{id}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(&complete))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/job/{id}/response.csv")))
        .respond_with(ResponseTemplate::new(200).set_body_raw(csv.clone().into_bytes(), "text/csv"))
        .expect(1)
        .mount(&server)
        .await;

    let client = client(&server);
    let answer = client
        .export_conversions_csv()
        .publisher_id(PUBLISHER)
        .start_date("2016-03-01T05:15:32Z")
        .end_date("2016-03-10T19:02:35Z")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 202);
    let job = match answer.into_inner() {
        types::ExportConversionsCsvSuccess::Accepted(job) => job,
        other => panic!("{other:?}"),
    };
    assert_eq!(job.job.job_id, id);
    assert_eq!(job.job.status.to_string(), "pending");

    let poll = Poll::new(Duration::from_millis(10), Duration::from_millis(20), Duration::from_secs(5));
    // A per-call header goes with every status poll and with the result download.
    let result = client
        .get_job()
        .job_id(job.job.job_id.as_str())
        .header("X-Correlation-Id", "export-7")
        .wait_for_result(&poll)
        .await
        .unwrap();
    let body: Vec<bytes::Bytes> = result.into_inner().into_inner().try_collect().await.unwrap();
    assert_eq!(String::from_utf8(body.concat()).unwrap(), csv);

    let requests = received(&server).await;
    let paths: Vec<&str> = requests.iter().map(|r| r.url.path()).collect();
    let job_path = format!("/job/{id}");
    let csv_path = format!("/job/{id}/response.csv");
    assert_eq!(paths.iter().filter(|p| **p == job_path).count(), 3, "{paths:?}");
    assert_eq!(paths.iter().filter(|p| **p == csv_path).count(), 1, "{paths:?}");
    assert_eq!(paths.len(), 5, "{paths:?}");
    for request in &requests {
        assert_eq!(header(request, "authorization"), Some(BASIC), "{}", request.url);
        let per_call = (request.url.path() != "/reporting/export/export/conversion.csv").then_some("export-7");
        assert_eq!(header(request, "x-correlation-id"), per_call, "{}", request.url);
    }
}

/// The error example the spec documents for `operation` at `status`.
fn error_example(spec: &Spec, operation: &str, status: u16) -> Value {
    spec.error_examples(operation).into_iter().find(|(s, _)| *s == status).unwrap().1
}

async fn error_for(
    server: &MockServer,
    call: impl std::future::Future<Output = affiliate_runtime::Result<()>>,
) -> Error {
    let error = call.await.unwrap_err();
    assert_eq!(received(server).await.len(), 1, "{error:?}");
    error
}

fn no_retries(server: &MockServer) -> Client {
    Client::builder()
        .base_url(server.uri())
        .basic_auth(APP_KEY, USER_KEY)
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap()
}

#[tokio::test]
async fn each_api_version_error_body_decodes() {
    let spec = Spec::load("partnerize");

    // v1: {"error": {"message", "type"}}
    let server = MockServer::start().await;
    affiliate_partnerize_mock::get_partner().not_found().expect(1).mount(&server).await;
    let client = no_retries(&server);
    let error = error_for(&server, async { client.get_partner().publisher_id(PUBLISHER).send().await.map(drop) }).await;
    assert!(matches!(error, Error::NotFound(_)), "{error:?}");
    let api = error.api_error().unwrap();
    assert_eq!(api.status.as_u16(), 404);
    assert_eq!(api.code.as_deref(), Some("entity_not_found"));
    assert_eq!(api.message.as_deref(), Some("Entity not found"));
    assert!(api.field_errors.is_empty());

    // v2: {"error": {"errors": [{"property", "type", "code", "message"}], "code", "message"}}
    let server = MockServer::start().await;
    affiliate_partnerize_mock::list_tracking_links().bad_request().expect(1).mount(&server).await;
    let client = no_retries(&server);
    let error =
        error_for(&server, async { client.list_tracking_links().publisher_id(PUBLISHER).send().await.map(drop) }).await;
    assert!(matches!(error, Error::Validation(_)), "{error:?}");
    let api = error.api_error().unwrap();
    assert_eq!(api.status.as_u16(), 400);
    assert_eq!(api.code.as_deref(), Some("required_property"), "the entry's word code, not the repeated status");
    assert_eq!(api.message.as_deref(), Some("Bad Request"));
    assert_eq!(api.field_errors.len(), 1);
    assert_eq!(api.field_errors[0].field, "evaluation_period");
    assert_eq!(api.field_errors[0].code.as_deref(), Some("required_property"));
    assert_eq!(api.field_errors[0].message.as_deref(), Some("Parameter 'evaluation_period' is required"));

    // v3: the v2 shape with a UUID per kind of error.
    let server = MockServer::start().await;
    affiliate_partnerize_mock::create_partnerize_tag().bad_request().expect(1).mount(&server).await;
    let client = no_retries(&server);
    let request = typed::<types::PartnerizeTagCreate>(spec.request_example("createPartnerizeTag"));
    let error = error_for(&server, async { client.create_partnerize_tag().body(request).send().await.map(drop) }).await;
    assert!(matches!(error, Error::Validation(_)), "{error:?}");
    let api = error.api_error().unwrap();
    assert_eq!(api.status.as_u16(), 400);
    assert_eq!(api.code.as_deref(), Some("6a6c32c0-de05-4301-89dd-4a72133c137f"));
    assert_eq!(api.message.as_deref(), Some("Bad Request"));
    assert_eq!(api.field_errors.len(), 1);
    assert_eq!(api.field_errors[0].field, "[name]");
    assert_eq!(api.field_errors[0].code.as_deref(), Some("6a6c32c0-de05-4301-89dd-4a72133c137f"));
    assert_eq!(
        api.field_errors[0].message.as_deref(),
        Some("The attribute expected to be of type 'string' but 'integer' given.")
    );

    let server = MockServer::start().await;
    affiliate_partnerize_mock::list_participations().forbidden().expect(1).mount(&server).await;
    let client = no_retries(&server);
    let error =
        error_for(&server, async { client.list_participations().partner_id("111111l3").send().await.map(drop) }).await;
    assert!(matches!(error, Error::Forbidden(_)), "{error:?}");
    let api = error.api_error().unwrap();
    assert_eq!(api.code.as_deref(), Some("16bd7f4a-bf84-45c3-aa95-9b32aeb139b0"));
    assert_eq!(api.message.as_deref(), Some("Forbidden"));
    assert_eq!(api.field_errors[0].field, "[campaigns][0]");
    assert_eq!(api.field_errors[0].message.as_deref(), Some("You do not have \"view\" access on this entity."));
}

#[tokio::test]
async fn every_documented_error_of_each_version_maps_to_its_variant() {
    let spec = Spec::load("partnerize");
    for (op, statuses) in [
        ("getPartner", &[400, 401, 403, 404, 405, 429, 500][..]),
        ("listTrackingLinks", &[400, 401, 403, 404, 405, 429, 500, 503][..]),
        ("listParticipations", &[400, 401, 403, 404, 405, 429, 500, 503][..]),
    ] {
        let errors = spec.error_examples(op);
        assert_eq!(errors.iter().map(|(s, _)| *s).collect::<Vec<_>>(), statuses, "{op}");
        // 405 is asserted in `a_405_is_an_api_error_not_a_validation_error`.
        for (status, body) in errors.into_iter().filter(|(status, _)| *status != 405) {
            let server = MockServer::start().await;
            Mock::given(method("GET"))
                .respond_with(ResponseTemplate::new(status).set_body_json(&body))
                .expect(1)
                .mount(&server)
                .await;
            let client = no_retries(&server);
            let error = match op {
                "getPartner" => client.get_partner().publisher_id(PUBLISHER).send().await.map(drop),
                "listTrackingLinks" => client.list_tracking_links().publisher_id(PUBLISHER).send().await.map(drop),
                _ => client.list_participations().partner_id("111111l3").send().await.map(drop),
            }
            .unwrap_err();
            let variant_ok = match status {
                400 => matches!(error, Error::Validation(_)),
                401 => matches!(error, Error::Unauthorized(_)),
                403 => matches!(error, Error::Forbidden(_)),
                404 => matches!(error, Error::NotFound(_)),
                429 => matches!(error, Error::RateLimited(_)),
                500 | 503 => matches!(error, Error::Server(_)),
                _ => false,
            };
            assert!(variant_ok, "{op} {status}: {error:?}");
            let api = error.api_error().unwrap();
            let inner = &body["error"];
            assert_eq!(api.status.as_u16(), status);
            assert_eq!(api.message.as_deref(), inner["message"].as_str(), "{op} {status}");
            let entries = inner["errors"].as_array().cloned().unwrap_or_default();
            // The most specific code: an entry's code (v2, v3), else the envelope's code or type (v1).
            let code = entries
                .iter()
                .find_map(|e| e["code"].as_str())
                .or_else(|| inner["code"].as_str())
                .or_else(|| inner["type"].as_str());
            assert_eq!(api.code.as_deref(), code, "{op} {status}");
            let fields: Vec<(&str, Option<&str>, Option<&str>)> =
                api.field_errors.iter().map(|f| (f.field.as_str(), f.code.as_deref(), f.message.as_deref())).collect();
            let expected: Vec<(&str, Option<&str>, Option<&str>)> = entries
                .iter()
                .map(|e| (e["property"].as_str().unwrap_or_default(), e["code"].as_str(), e["message"].as_str()))
                .collect();
            assert_eq!(fields, expected, "{op} {status}");
            assert_eq!(received(&server).await.len(), 1);
        }
    }
}

#[tokio::test]
async fn a_405_is_an_api_error_not_a_validation_error() {
    let spec = Spec::load("partnerize");
    for (op, code, message) in [
        ("getPartner", "405", "Method Not Allowed"),
        ("listTrackingLinks", "routing_error", "Method Not Allowed"),
        ("listParticipations", "5fe5c44b-f299-4fa6-bda4-bf80fecf6093", "Method Not Allowed"),
    ] {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(405).set_body_json(error_example(&spec, op, 405)))
            .expect(1)
            .mount(&server)
            .await;
        let client = no_retries(&server);
        let error = match op {
            "getPartner" => client.get_partner().publisher_id(PUBLISHER).send().await.map(drop),
            "listTrackingLinks" => client.list_tracking_links().publisher_id(PUBLISHER).send().await.map(drop),
            _ => client.list_participations().partner_id("111111l3").send().await.map(drop),
        }
        .unwrap_err();
        assert_eq!(error.status().map(|s| s.as_u16()), Some(405), "{op}");
        assert_eq!(error.code(), Some(code), "{op}");
        assert_eq!(error.api_error().unwrap().message.as_deref(), Some(message), "{op}");
        assert!(
            matches!(error, Error::Api(_)),
            "{op}: a method/routing error is not a field validation error: {error:?}"
        );
    }
}

#[tokio::test]
async fn analytics_headers_are_readable_from_the_response() {
    let spec = Spec::load("partnerize");
    let server = MockServer::start().await;
    let (_, example) = spec.success_example("countClicks");
    Mock::given(method("POST"))
        .and(path("/v3/partner/analytics/clicks/count"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(&example)
                .insert_header("X-Total-Row-Count", "1287")
                .insert_header("X-Approximate-Metrics", "total_unique_clicks"),
        )
        .expect(1)
        .mount(&server)
        .await;
    let body = typed::<types::ClickCountRequest>(spec.request_example("countClicks"));
    let response = client(&server).count_clicks().body(body).send().await.unwrap();
    let total: u64 = response.headers().get("x-total-row-count").unwrap().to_str().unwrap().parse().unwrap();
    assert_eq!(total, 1287);
    assert_eq!(response.headers().get("x-approximate-metrics").unwrap(), "total_unique_clicks");
    assert_eq!(response.data.get("total_clicks"), Some(&57126.0));
    assert_eq!(received(&server).await.len(), 1);
}

#[tokio::test]
async fn an_analytics_post_is_retried_after_503_and_a_create_is_not() {
    let spec = Spec::load("partnerize");
    let unavailable = error_example(&spec, "countClicks", 503);

    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v3/partner/analytics/clicks/count"))
        .respond_with(ResponseTemplate::new(503).set_body_json(&unavailable))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    let (_, count) = spec.success_example("countClicks");
    Mock::given(method("POST"))
        .and(path("/v3/partner/analytics/clicks/count"))
        .respond_with(ResponseTemplate::new(200).set_body_json(&count))
        .expect(1)
        .mount(&server)
        .await;
    let request = spec.request_example("countClicks");
    let response =
        client(&server).count_clicks().body(typed::<types::ClickCountRequest>(request.clone())).send().await.unwrap();
    assert_eq!(response.data.get("total_clicks"), Some(&57126.0));
    let requests = received(&server).await;
    assert_eq!(requests.len(), 2, "x-affiliate-idempotent: the read-only POST is sent again");
    let typed_body = serde_json::to_value(typed::<types::ClickCountRequest>(request)).unwrap();
    for sent in &requests {
        let sent: Value = serde_json::from_slice(&sent.body).unwrap();
        assert_eq!(numbers_as_f64(sent), numbers_as_f64(typed_body.clone()), "the retry resends the same body");
    }

    let server = MockServer::start().await;
    let unavailable = error_example(&spec, "createTrackingLink", 503);
    Mock::given(method("POST"))
        .and(path(LINKS_PATH))
        .respond_with(ResponseTemplate::new(503).set_body_json(&unavailable))
        .expect(1)
        .mount(&server)
        .await;
    let link = typed::<types::TrackingLinkCreate>(spec.request_example("createTrackingLink"));
    let error = client(&server).create_tracking_link().publisher_id(PUBLISHER).body(link).send().await.unwrap_err();
    assert!(matches!(error, Error::Server(_)), "{error:?}");
    assert_eq!(error.status().map(|s| s.as_u16()), Some(503));
    assert_eq!(error.code(), Some("503"));
    assert_eq!(error.api_error().unwrap().message.as_deref(), Some("Service Unavailable"));
    assert_eq!(received(&server).await.len(), 1, "a create that reached the server is sent once");
}

#[tokio::test]
async fn lenient_fields_accept_the_other_json_kind() {
    let server = MockServer::start().await;
    let (_, mut example) = Spec::load("partnerize").success_example("getPartner");
    example["publisher"]["phone"] = json!(555213456);
    example["publisher"]["phone_area"] = json!(44);
    example["publisher"]["promotional_method"] = json!("1");
    example["publisher"]["terms_and_conditions_id"] = json!("56");
    Mock::given(method("GET"))
        .and(path(format!("/user/publisher/{PUBLISHER}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(&example))
        .expect(1)
        .mount(&server)
        .await;
    let partner = client(&server).get_partner().publisher_id(PUBLISHER).send().await.unwrap().into_inner().publisher;
    assert_eq!(partner.phone.as_deref(), Some("555213456"));
    assert_eq!(partner.phone_area.as_deref(), Some("44"));
    assert_eq!(partner.promotional_method.map(|m| m.0), Some(1));
    assert_eq!(partner.terms_and_conditions_id.map(|t| t.0), Some(56));
    assert_eq!(partner.publisher_id.as_deref(), Some("111111l2"));
    assert_eq!(received(&server).await.len(), 1);
}

/// A server that answers any `verb` request once with `body` at `status`.
async fn answering(verb: &str, status: u16, body: &Value) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method(verb))
        .respond_with(ResponseTemplate::new(status).set_body_json(body))
        .expect(1)
        .mount(&server)
        .await;
    server
}

/// A server that answers `operation` once with its documented success example.
async fn serving(spec: &Spec, operation: &str) -> MockServer {
    let (verb, _, _) = spec.operation(operation);
    let (status, example) = spec.success_example(operation);
    answering(&verb, status, &example).await
}

/// The fields the live API sends beyond the seed decode typed from each changed operation's
/// documented success example.
#[tokio::test]
async fn success_examples_decode_the_live_fields_typed() {
    let spec = Spec::load("partnerize");

    // v2 tracking links: the URLs a partner publishes.
    let server = serving(&spec, "listTrackingLinks").await;
    let page = client(&server).list_tracking_links().publisher_id(PUBLISHER).send().await.unwrap().into_inner();
    assert_eq!(page.links[0].tracking_url.as_deref(), Some("https://prf.hn/click/camref:1011l10/pubref:fdghjdkf"));
    assert_eq!(page.links[1].tracking_short_url.as_deref(), Some("https://prf.hn/l/Xk11Lm"));
    assert_eq!((page.limit, page.offset), (Some(200u64), Some(0u64)), "the integer type the request takes");
    for op in ["getTrackingLink", "updateTrackingLink"] {
        let server = serving(&spec, op).await;
        let client = client(&server);
        let link = if op == "getTrackingLink" {
            client.get_tracking_link().publisher_id(PUBLISHER).link_id("1011l10").send().await
        } else {
            let body = typed::<types::TrackingLinkUpdate>(spec.request_example(op));
            client.update_tracking_link().publisher_id(PUBLISHER).link_id("1011l10").body(body).send().await
        }
        .unwrap()
        .into_inner()
        .link;
        assert_eq!(link.tracking_url.as_deref(), Some("https://prf.hn/click/camref:1011l10/pubref:fdghjdkf"), "{op}");
        assert_eq!(link.tracking_short_url.as_deref(), Some("https://prf.hn/l/Xk10Lm"), "{op}");
    }

    // v3 participations.
    let server = serving(&spec, "listParticipations").await;
    let list = client(&server).list_participations().partner_id("111111l3").send().await.unwrap().into_inner();
    let participation = &list.data[0];
    assert_eq!(participation.approved.map(|t| t.to_rfc3339()).as_deref(), Some("2022-09-24T14:15:22+00:00"));
    let info = participation.campaign_info.as_ref().unwrap();
    assert_eq!(info.destination_url.as_deref(), Some("https://www.example.com/cards"));
    assert_eq!(info.tracking_link.as_deref(), Some("https://prf.hn/click/camref:111111l13"));
    let languages = info.campaign_languages.as_ref().unwrap();
    assert_eq!(languages["de"].destination_url.as_deref(), Some("https://www.example.com/de/cards"));

    // Campaigns: both operations that answer with campaigns.
    for op in ["listCampaigns", "requestCampaignAccess"] {
        let server = serving(&spec, op).await;
        let client = client(&server);
        let list = if op == "listCampaigns" {
            client.list_campaigns().publisher_id(PUBLISHER).status("a").send().await
        } else {
            let body = typed::<types::CampaignAccessRequest>(spec.request_example(op));
            client.request_campaign_access().publisher_id(PUBLISHER).status("a").body(body).send().await
        }
        .unwrap()
        .into_inner();
        let campaign = list.campaigns[0].campaign.as_ref().unwrap();
        assert_eq!(campaign.campaign_logo.as_deref(), Some("https://assets.partnerize.com/logos/10l176.png"), "{op}");
        assert_eq!(campaign.default_commission_value.as_deref(), Some("5.00"), "{op}");
        assert_eq!(campaign.destination_url.as_deref(), Some("https://www.example.com/"), "{op}");
        assert_eq!(campaign.prepend_url_string, None, "{op}");
        assert_eq!(campaign.meta_field_values_field_limit, Some(50.0), "{op}");
        assert_eq!(campaign.meta_field_values_total_limit, Some(500.0), "{op}");
        let per_click = &campaign.multiple_conversions_per_click;
        assert!(matches!(per_click, Some(types::ConversionsPerClick::String(s)) if s == "n"), "{op}: {per_click:?}");
    }

    // Creatives and invitations.
    let server = serving(&spec, "listCampaignCreatives").await;
    let list = client(&server)
        .list_campaign_creatives()
        .publisher_id(PUBLISHER)
        .campaign_id("10l176")
        .send()
        .await
        .unwrap()
        .into_inner();
    let creative = list.creatives[0].creative.as_ref().unwrap();
    assert_eq!(creative.destination.as_deref(), Some("https://www.example.com/summer"));
    assert_eq!(creative.preview.as_deref(), Some("https://assets.partnerize.com/creative/300441/preview"));
    assert_eq!(
        creative.creative_items[0].img_url.as_deref(),
        Some("https://assets.partnerize.com/creative/300396.jpg")
    );
    assert!(creative.creative_items[0].preview.is_some());
    let server = serving(&spec, "listInvitations").await;
    let list = client(&server).list_invitations().publisher_id(PUBLISHER).send().await.unwrap().into_inner();
    let campaign = list.advertisers[0].invitations[0].campaign.as_ref().unwrap();
    assert_eq!(campaign.campaign_logo.as_deref(), Some("https://assets.partnerize.com/logos/300866.png"));
    assert_eq!(campaign.default_destination.as_deref(), Some("https://www.example.cl/"));

    // Commissions: rules on meta fields; the active commission's model and levels.
    let server = serving(&spec, "listActiveCommissions").await;
    let list = client(&server)
        .list_active_commissions()
        .campaign_id("10l176")
        .publisher_id(PUBLISHER)
        .send()
        .await
        .unwrap()
        .into_inner();
    let active = &list.active_commissions[0];
    assert_eq!(active.name.as_deref(), Some("Summer sale"));
    assert_eq!(active.scope, Some(types::ActiveCommissionScope::Publisher));
    assert_eq!(active.performance_model, Some(types::ActiveCommissionPerformanceModel::PercentageCpa));
    assert_eq!(active.performance_measurement, Some(types::ActiveCommissionPerformanceMeasurement::TotalRevenue));
    assert_eq!((active.levels[0].threshold, active.levels[0].bonus_value), (Some(1000.0), Some(2.5)));
    assert_eq!(active.start_date.as_deref(), Some("2019-08-24T14:15:22Z"), "v2 dates may be date-only: text");
    let rules = &active.meta_fields[0].rules;
    assert_eq!(rules[0].operator, Some(types::MetaFieldRuleOperator::Between));
    use types::{MetaFieldRuleValue as RuleValue, MetaFieldScalar as Scalar};
    assert!(
        matches!(&rules[0].value, Some(RuleValue::Array(items))
            if matches!(items[..], [Scalar::Number(low), Scalar::Number(high)] if (low, high) == (10.0, 20.0))),
        "{:?}",
        rules[0].value
    );
    assert!(matches!(&rules[1].value, Some(RuleValue::String(s)) if s == "sku-1"), "{:?}", rules[1].value);
    // The documented example of every other commission kind: ONE_OF over two strings.
    let one_of = |value: &Option<RuleValue>| {
        matches!(value, Some(RuleValue::Array(items))
            if matches!(&items[..], [Scalar::String(a), Scalar::String(b)] if (a.as_str(), b.as_str()) == ("shoes", "bags")))
    };
    let server = serving(&spec, "listCampaignCommissions").await;
    let c = client(&server);
    let list = c.list_campaign_commissions().campaign_id("1").publisher_id(PUBLISHER).send().await.unwrap();
    let field = &list.into_inner().commissions[0].meta_fields[0];
    assert!(one_of(&field.rules[0].value) && field.values.len() == 2, "{field:?}");
    let server = serving(&spec, "listVoucherCommissions").await;
    let c = client(&server);
    let list = c.list_voucher_commissions().campaign_id("1").publisher_id(PUBLISHER).send().await.unwrap();
    let field = &list.into_inner().voucher_commissions[0].meta_fields[0];
    assert_eq!(field.rules[0].operator, Some(types::MetaFieldRuleOperator::OneOf));
    assert!(one_of(&field.rules[0].value), "{field:?}");
    let server = serving(&spec, "listPromotionalCommissions").await;
    let c = client(&server);
    let list = c.list_promotional_commissions().campaign_id("1").publisher_id(PUBLISHER).send().await.unwrap();
    assert!(one_of(&list.into_inner().promotions[0].meta_fields[0].rules[0].value));
    let server = serving(&spec, "listTieredCommissions").await;
    let c = client(&server);
    let list = c.list_tiered_commissions().campaign_id("1").publisher_id(PUBLISHER).send().await.unwrap();
    let field = &list.into_inner().tiers[0].meta_fields[0];
    assert!(one_of(&field.rules[0].value), "{field:?}");
    assert_eq!(field.values, ["shoes", "bags"]);

    // Voucher codes list their commission groups; feeds their location.
    let server = serving(&spec, "listVoucherCodes").await;
    let list = client(&server)
        .list_voucher_codes()
        .publisher_id(PUBLISHER)
        .campaign_id("10l176")
        .send()
        .await
        .unwrap()
        .into_inner();
    let code = list.voucher_codes[0].voucher_code.as_ref().unwrap();
    let group = code.commission_groups[0].commission_group.as_ref().unwrap();
    assert_eq!(group.campaign_id.as_deref(), Some("1"));
    assert_eq!(
        (group.active.clone(), group.last_modified.as_deref()),
        (Some(types::YesOrNo::Y), Some("2018-11-29 14:57:05"))
    );
    let server = serving(&spec, "listFeeds").await;
    let list = client(&server).list_feeds().publisher_id(PUBLISHER).send().await.unwrap().into_inner();
    let feed = &list.campaigns[0].campaign.as_ref().unwrap().feeds[0];
    assert_eq!(feed.location.as_deref(), Some("https://feeds.partnerize.com/10l176/uk_destinations.csv"));
    assert_eq!((feed.filesize, feed.updated), (Some(581427), Some(1432228514)));

    // The partner embeds its websites and databases.
    let server = serving(&spec, "getPartner").await;
    let partner = client(&server).get_partner().publisher_id(PUBLISHER).send().await.unwrap().into_inner().publisher;
    assert_eq!(partner.websites[0].website_url.as_deref(), Some("https://www.example.com"));
    assert_eq!(partner.websites[0].primary, Some(types::YesOrNo::Y));
    assert!(partner.databases.is_empty());

    // Reference lists: typed entries.
    let server = serving(&spec, "listCurrencies").await;
    let list = client(&server).list_currencies().send().await.unwrap().into_inner();
    let usd = list.currencies[1].currency.as_ref().unwrap();
    assert_eq!(
        (usd.iso.as_deref(), usd.minor_unit.map(|m| m.0), usd.currency_id.map(|i| i.0)),
        (Some("USD"), Some(2), Some(2))
    );
    let server = serving(&spec, "listTimezones").await;
    let list = client(&server).list_timezones().send().await.unwrap().into_inner();
    let london = list.timezones[0].timezone.as_ref().unwrap();
    assert_eq!((london.name.as_deref(), london.utc_offset.as_deref()), (Some("Europe/London"), Some("+00:00")));
    assert_eq!(london.local_time.as_deref(), Some("2026-11-21 10:15:00"));
    let server = serving(&spec, "listDevices").await;
    let list = client(&server).list_devices().send().await.unwrap().into_inner();
    let desktop = list.devices[0].device.as_ref().unwrap();
    assert_eq!((desktop.key.as_deref(), desktop.title.as_deref()), (Some("desktop"), Some("Desktop")));
    assert_eq!((desktop.ref_device_id.map(|i| i.0), desktop.skip_selfbill.map(|i| i.0)), (Some(2), Some(0)));
    let server = serving(&spec, "listCountries").await;
    let list = client(&server).list_countries().send().await.unwrap().into_inner();
    assert_eq!(list.countries[0].country.as_ref().unwrap().area_sq_km.map(|a| a.0), Some(467.63));

    // Brands and jobs.
    let server = serving(&spec, "listMyBrands").await;
    let list = client(&server).list_my_brands().send().await.unwrap().into_inner();
    assert_eq!(list.execution_time.as_deref(), Some("0.08421 seconds"));
    assert_eq!((list.data[0].display_name.as_deref(), list.data[0].icon.as_deref()), (Some("Brand Name"), None));
    let server = serving(&spec, "getJob").await;
    let job = client(&server).get_job().job_id("111111l11").send().await.unwrap().into_inner().job;
    assert_eq!((job.status, job.percentage_complete), (types::JobStatus::Complete, Some(100.0)));
}

/// `POST /v2/publishers/{publisher_id}/links` answers 201 (the v2 conventions) or 200 (the vendor's
/// own description): both are the same success with the same typed link.
#[tokio::test]
async fn a_created_tracking_link_decodes_from_200_and_201() {
    let spec = Spec::load("partnerize");
    let (_, _, op) = spec.operation("createTrackingLink");
    let statuses: Vec<&String> = op["responses"].as_object().unwrap().keys().filter(|s| s.starts_with('2')).collect();
    assert_eq!(statuses, ["200", "201"]);
    let (_, example) = spec.success_example("createTrackingLink");
    for status in [200, 201] {
        let server = answering("POST", status, &example).await;
        let body = typed::<types::TrackingLinkCreate>(spec.request_example("createTrackingLink"));
        let response = client(&server).create_tracking_link().publisher_id(PUBLISHER).body(body).send().await.unwrap();
        assert_eq!(response.status().as_u16(), status);
        let link = response.into_inner().link;
        assert_eq!(link.id.as_deref(), Some("1011l10"), "{status}");
        assert_eq!(
            link.tracking_url.as_deref(),
            Some("https://prf.hn/click/camref:1011l10/pubref:fdghjdkf"),
            "{status}"
        );
    }
}

/// Request fields the live API accepts beyond the seed go on the wire typed.
#[tokio::test]
async fn analytics_requests_name_the_date_they_filter_on() {
    let spec = Spec::load("partnerize");
    let conversions = typed::<types::ConversionCountRequest>(spec.request_example("countConversions"));
    assert_eq!(conversions.date_time_ranges[0].field, Some(types::ConversionDateTimeRangeField::ApprovedAt));
    assert_eq!(conversions.date_time_ranges[0].start.to_rfc3339(), "2019-10-01T00:00:00+00:00");
    let clicks = typed::<types::ClickCountRequest>(spec.request_example("countClicks"));
    assert_eq!(clicks.date_time_ranges[0].field, Some(types::DateTimeRangeField::DateTime));
    let impressions = typed::<types::ImpressionExplodeRequest>(spec.request_example("explodeImpressions"));
    assert_eq!(impressions.group_by, [types::ImpressionDimension::Campaign, types::ImpressionDimension::Country]);
    // `interval.period` and `order_by[].direction` are required: a body without them is refused before sending.
    let mut missing = spec.request_example("explodeImpressions");
    missing["interval"].as_object_mut().unwrap().remove("period");
    assert!(serde_json::from_value::<types::ImpressionExplodeRequest>(missing).is_err());
    let mut missing = spec.request_example("filterClicks");
    missing["order_by"][0].as_object_mut().unwrap().remove("direction");
    assert!(serde_json::from_value::<types::ClickFilterRequest>(missing).is_err());
    // Campaign requests name the advertiser of each campaign.
    let mut missing = spec.request_example("createCampaignRequests");
    missing["campaign_requests"][0].as_object_mut().unwrap().remove("advertiser_id");
    assert!(serde_json::from_value::<types::CampaignRequestsRequest>(missing).is_err());
    // Every analytics request example goes out with its ranges as RFC 3339 date-times, unchanged.
    check_strictly(&["countConversions", "countClicks", "explodeImpressions", "createCampaignRequests"]).await;
}

/// A campaign from the documented `listCampaigns` example with `field` set to `value`.
fn campaign_with(field: &str, value: Value) -> Value {
    let (_, mut example) = Spec::load("partnerize").success_example("listCampaigns");
    example["campaigns"][0]["campaign"][field] = value;
    example
}

async fn decoded_campaign(body: Value) -> types::Campaign {
    let server = answering("GET", 200, &body).await;
    let list = client(&server)
        .list_campaigns()
        .publisher_id(PUBLISHER)
        .status("a")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{body}: {e}"))
        .into_inner();
    list.campaigns.into_iter().next().and_then(|w| w.campaign).unwrap()
}

/// Values that arrive in more than one form decode, each to its typed form.
#[tokio::test]
async fn multi_form_values_decode() {
    use types::ConversionsPerClick as Cpc;
    // A JSON number is the count; the flags and a count sent as text keep their text.
    for (sent, count, text) in [
        (json!("y"), None, Some("y")),
        (json!("n"), None, Some("n")),
        (json!(3), Some(3), None),
        (json!(10), Some(10), None),
        (json!("3"), None, Some("3")),
    ] {
        let campaign = decoded_campaign(campaign_with("multiple_conversions_per_click", sent.clone())).await;
        let decoded = match campaign.multiple_conversions_per_click {
            Some(Cpc::Integer(n)) => (Some(n), None),
            Some(Cpc::String(s)) => (None, Some(s)),
            None => (None, None),
        };
        assert_eq!((decoded.0, decoded.1.as_deref()), (count, text), "{sent}");
    }
    for (sent, expected) in [(json!("monthly"), Some("monthly")), (json!(30), Some("30")), (Value::Null, None)] {
        let campaign = decoded_campaign(campaign_with("budget_summary_interval", sent.clone())).await;
        assert_eq!(campaign.budget_summary_interval.as_deref(), expected, "{sent}");
    }
    for (sent, expected) in [("y", types::YesNoOrIgnore::Y), ("ignore", types::YesNoOrIgnore::Ignore)] {
        let campaign = decoded_campaign(campaign_with("unique_conversion_refs", json!(sent))).await;
        assert_eq!(campaign.unique_conversion_refs, Some(expected), "{sent}");
    }

    // Country areas: integral, fractional, or a numeric string.
    let (_, example) = Spec::load("partnerize").success_example("listCountries");
    for (sent, expected) in [(json!(468), 468.0), (json!(467.63), 467.63), (json!("0.44"), 0.44)] {
        let mut body = example.clone();
        body["countries"][0]["country"]["area_sq_km"] = sent.clone();
        let server = answering("GET", 200, &body).await;
        let list = client(&server).list_countries().send().await.unwrap().into_inner();
        assert_eq!(list.countries[0].country.as_ref().unwrap().area_sq_km.map(|a| a.0), Some(expected), "{sent}");
    }

    // Commission group campaign ids: the seed's sample sends numbers, the table says string.
    let (_, mut groups) = Spec::load("partnerize").success_example("listCommissionGroups");
    groups["commission_groups"][0]["commission_group"]["campaign_id"] = json!(1);
    groups["commission_groups"][1]["commission_group"]["campaign_id"] = json!("300659");
    let server = answering("GET", 200, &groups).await;
    let list = client(&server).list_commission_groups().publisher_id(PUBLISHER).send().await.unwrap().into_inner();
    let ids: Vec<Option<&str>> =
        list.commission_groups.iter().map(|g| g.commission_group.as_ref().unwrap().campaign_id.as_deref()).collect();
    assert_eq!(ids, [Some("1"), Some("300659")]);

    // Conversion report: a click's `last_used` as epoch seconds or as text; meta data as a list
    // of {key, value}, a map keyed by name, or an empty list.
    let (_, report) = Spec::load("partnerize").success_example("getConversionReport");
    for (last_used, meta_data) in [
        (json!(1589383804), json!([{"key": "gclid", "value": "abc"}])),
        (json!("2020-05-13 15:30:04"), json!({"gclid": "abc"})),
        (json!("2020-05-13 15:30:04"), json!([])),
    ] {
        let mut body = report.clone();
        let data = &mut body["conversions"][0]["conversion_data"];
        data["click"]["last_used"] = last_used.clone();
        data["meta_data"] = meta_data.clone();
        data["conversion_items"][0]["meta_data"] = meta_data.clone();
        let server = answering("GET", 200, &body).await;
        let report = client(&server)
            .get_conversion_report()
            .publisher_id(PUBLISHER)
            .format(types::ReportFormat::Json)
            .start_date("2020-05-01")
            .send()
            .await
            .unwrap()
            .into_inner();
        let data = report.conversions[0].conversion_data.as_ref().unwrap();
        let expected_last_used = last_used.as_str().map(str::to_string).unwrap_or_else(|| last_used.to_string());
        assert_eq!(data.click.as_ref().unwrap().last_used.as_deref(), Some(expected_last_used.as_str()));
        let gclid = |m: &types::ReportMetaData| match m {
            types::ReportMetaData::Array(entries) => entries
                .iter()
                .find(|e| e.key.as_deref() == Some("gclid"))
                .and_then(|e| e.value.as_deref().map(str::to_string)),
            types::ReportMetaData::Object(map) => map.get("gclid").cloned(),
        };
        let expected = meta_data.as_array().is_none_or(|a| !a.is_empty()).then(|| "abc".to_string());
        assert_eq!(data.meta_data.as_ref().and_then(gclid), expected, "{meta_data}");
        assert_eq!(data.conversion_items[0].meta_data.as_ref().and_then(gclid), expected, "{meta_data}");
    }
}
