//! Dub: every operation on the wire, every documented error, retries, pagination, forward
//! compatibility and construction errors.

use std::time::{Duration, Instant};

use affiliate_dub::{types, Client};
use affiliate_runtime::{Error, RetryPolicy};
use futures::{StreamExt, TryStreamExt};
use serde_json::{json, Value};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{answer, assert_covers_spec, check, received, typed, Case, Spec};

const TOKEN: &str = "dub_live_2vXk9QeT7pLm3RzA8bYc";

fn client(server: &MockServer) -> Client {
    client_at(&server.uri())
}

/// A client for the API at `base_url`, with a test token and fast retries.
pub fn client_at(base_url: &str) -> Client {
    Client::builder()
        .base_url(base_url)
        .bearer_token(TOKEN)
        .retry_policy(crate::support::quick_retries(4))
        .build()
        .unwrap()
}

/// One call per operation of the spec, reused by the conformance suite against Prism.
pub fn cases() -> Vec<Case<Client>> {
    vec![
        Case {
            operation: "listPartners",
            path: "/partners",
            query: &[
                ("page", "2"),
                ("pageSize", "50"),
                ("status", "approved"),
                ("country", "US"),
                ("sortBy", "earningsPerClick"),
                ("sortOrder", "asc"),
                ("search", "john"),
            ],
            body: false,
            call: |c, _| {
                Box::pin(async move {
                    c.list_partners()
                        .page(2u64)
                        .page_size(50u64)
                        .status(types::PartnerStatus::Approved)
                        .country("US")
                        .sort_by(types::ListPartnersSortBy::EarningsPerClick)
                        .sort_order(types::ListPartnersSortOrder::Asc)
                        .search("john")
                        .send()
                        .await
                        .map(answer)
                })
            },
        },
        Case {
            operation: "createPartner",
            path: "/partners",
            query: &[],
            body: true,
            call: |c, body| {
                Box::pin(async move {
                    c.create_partner().body(typed::<types::CreatePartnerRequest>(body)).send().await.map(answer)
                })
            },
        },
        Case {
            operation: "retrievePartnerLinks",
            path: "/partners/links",
            query: &[("partnerId", "pn_123")],
            body: false,
            call: |c, _| {
                Box::pin(async move { c.retrieve_partner_links().partner_id("pn_123").send().await.map(answer) })
            },
        },
        Case {
            operation: "createPartnerLink",
            path: "/partners/links",
            query: &[],
            body: true,
            call: |c, body| {
                Box::pin(async move {
                    c.create_partner_link()
                        .body(typed::<types::CreatePartnerLinkRequest>(body))
                        .send()
                        .await
                        .map(answer)
                })
            },
        },
        Case {
            operation: "upsertPartnerLink",
            path: "/partners/links/upsert",
            query: &[],
            body: true,
            call: |c, body| {
                Box::pin(async move {
                    c.upsert_partner_link()
                        .body(typed::<types::UpsertPartnerLinkRequest>(body))
                        .send()
                        .await
                        .map(answer)
                })
            },
        },
        Case {
            operation: "retrievePartnerAnalytics",
            path: "/partners/analytics",
            query: &[("tenantId", "t_1"), ("interval", "30d"), ("timezone", "America/New_York"), ("groupBy", "count")],
            body: false,
            call: |c, _| {
                Box::pin(async move {
                    c.retrieve_partner_analytics()
                        .tenant_id("t_1")
                        .interval(types::RetrievePartnerAnalyticsInterval::X30d)
                        .timezone("America/New_York")
                        .group_by(types::RetrievePartnerAnalyticsGroupBy::Count)
                        .send()
                        .await
                        .map(answer)
                })
            },
        },
        Case {
            operation: "banPartner",
            path: "/partners/ban",
            query: &[],
            body: true,
            call: |c, body| {
                Box::pin(async move {
                    c.ban_partner().body(typed::<types::BanPartnerRequest>(body)).send().await.map(answer)
                })
            },
        },
        Case {
            operation: "deactivatePartner",
            path: "/partners/deactivate",
            query: &[],
            body: true,
            call: |c, body| {
                Box::pin(async move {
                    c.deactivate_partner().body(typed::<types::PartnerSelector>(body)).send().await.map(answer)
                })
            },
        },
        Case {
            operation: "listPartnerApplications",
            path: "/partners/applications",
            query: &[("country", "ES"), ("groupId", "grp_123"), ("page", "1"), ("pageSize", "25")],
            body: false,
            call: |c, _| {
                Box::pin(async move {
                    c.list_partner_applications()
                        .country("ES")
                        .group_id("grp_123")
                        .page(1u64)
                        .page_size(25u64)
                        .send()
                        .await
                        .map(answer)
                })
            },
        },
        Case {
            operation: "approvePartnerApplication",
            path: "/partners/applications/approve",
            query: &[],
            body: true,
            call: |c, body| {
                Box::pin(async move {
                    c.approve_partner_application()
                        .body(typed::<types::ApprovePartnerApplicationRequest>(body))
                        .send()
                        .await
                        .map(answer)
                })
            },
        },
        Case {
            operation: "rejectPartnerApplication",
            path: "/partners/applications/reject",
            query: &[],
            body: true,
            call: |c, body| {
                Box::pin(async move {
                    c.reject_partner_application()
                        .body(typed::<types::RejectPartnerApplicationRequest>(body))
                        .send()
                        .await
                        .map(answer)
                })
            },
        },
        Case {
            operation: "listCommissions",
            path: "/commissions",
            query: &[
                ("type", "sale,lead"),
                ("partnerId", "pn_1"),
                ("status", "pending"),
                ("sortBy", "amount"),
                ("sortOrder", "asc"),
                ("interval", "90d"),
                ("timezone", "Europe/Berlin"),
                ("startingAfter", "cm_1"),
                ("pageSize", "10"),
            ],
            body: false,
            call: |c, _| {
                Box::pin(async move {
                    c.list_commissions()
                        .type_("sale,lead")
                        .partner_id("pn_1")
                        .status(types::CommissionStatus::Pending)
                        .sort_by(types::ListCommissionsSortBy::Amount)
                        .sort_order(types::ListCommissionsSortOrder::Asc)
                        .interval(types::ListCommissionsInterval::X90d)
                        .timezone("Europe/Berlin")
                        .starting_after("cm_1")
                        .page_size(10u64)
                        .send()
                        .await
                        .map(answer)
                })
            },
        },
        Case {
            operation: "createCommission",
            path: "/commissions",
            query: &[],
            body: true,
            call: |c, body| {
                Box::pin(async move {
                    c.create_commission().body(typed::<types::CreateCommissionRequest>(body)).send().await.map(answer)
                })
            },
        },
        Case {
            operation: "bulkUpdateCommissions",
            path: "/commissions/bulk",
            query: &[],
            body: true,
            call: |c, body| {
                Box::pin(async move {
                    c.bulk_update_commissions()
                        .body(typed::<types::BulkUpdateCommissionsRequest>(body))
                        .send()
                        .await
                        .map(answer)
                })
            },
        },
        Case {
            operation: "updateCommission",
            path: "/commissions/cm_1JVR7XRCSR0EDBAF39FZ4PMYE",
            query: &[],
            body: true,
            call: |c, body| {
                Box::pin(async move {
                    c.update_commission()
                        .id("cm_1JVR7XRCSR0EDBAF39FZ4PMYE")
                        .body(typed::<types::UpdateCommissionRequest>(body))
                        .send()
                        .await
                        .map(answer)
                })
            },
        },
        Case {
            operation: "listPayouts",
            path: "/payouts",
            query: &[
                ("status", "completed"),
                ("tenantId", "t_1"),
                ("sortBy", "paidAt"),
                ("sortOrder", "desc"),
                ("page", "2"),
            ],
            body: false,
            call: |c, _| {
                Box::pin(async move {
                    c.list_payouts()
                        .status(types::PayoutStatus::Completed)
                        .tenant_id("t_1")
                        .sort_by(types::ListPayoutsSortBy::PaidAt)
                        .sort_order(types::ListPayoutsSortOrder::Desc)
                        .page(2u64)
                        .send()
                        .await
                        .map(answer)
                })
            },
        },
        Case {
            operation: "listBountySubmissions",
            path: "/bounties/bnty_1/submissions",
            query: &[
                ("status", "submitted"),
                ("sortBy", "socialMetricCount"),
                ("sortOrder", "desc"),
                ("pageSize", "20"),
            ],
            body: false,
            call: |c, _| {
                Box::pin(async move {
                    c.list_bounty_submissions()
                        .bounty_id("bnty_1")
                        .status(types::BountySubmissionStatus::Submitted)
                        .sort_by(types::ListBountySubmissionsSortBy::SocialMetricCount)
                        .sort_order(types::ListBountySubmissionsSortOrder::Desc)
                        .page_size(20u64)
                        .send()
                        .await
                        .map(answer)
                })
            },
        },
        Case {
            operation: "approveBountySubmission",
            path: "/bounties/bnty_1/submissions/bnsub_2/approve",
            query: &[],
            body: true,
            call: |c, body| {
                Box::pin(async move {
                    c.approve_bounty_submission()
                        .bounty_id("bnty_1")
                        .submission_id("bnsub_2")
                        .body(typed::<types::ApproveBountySubmissionRequest>(body))
                        .send()
                        .await
                        .map(answer)
                })
            },
        },
        Case {
            operation: "rejectBountySubmission",
            path: "/bounties/bnty_1/submissions/bnsub_2/reject",
            query: &[],
            body: true,
            call: |c, body| {
                Box::pin(async move {
                    c.reject_bounty_submission()
                        .bounty_id("bnty_1")
                        .submission_id("bnsub_2")
                        .body(typed::<types::RejectBountySubmissionRequest>(body))
                        .send()
                        .await
                        .map(answer)
                })
            },
        },
        Case {
            operation: "createReferralsEmbedToken",
            path: "/tokens/embed/referrals",
            query: &[],
            body: true,
            call: |c, body| {
                Box::pin(async move {
                    c.create_referrals_embed_token()
                        .body(typed::<types::CreateReferralsEmbedTokenRequest>(body))
                        .send()
                        .await
                        .map(answer)
                })
            },
        },
        Case {
            operation: "trackLead",
            path: "/track/lead",
            query: &[],
            body: true,
            call: |c, body| {
                Box::pin(
                    async move { c.track_lead().body(typed::<types::TrackLeadRequest>(body)).send().await.map(answer) },
                )
            },
        },
        Case {
            operation: "trackSale",
            path: "/track/sale",
            query: &[],
            body: true,
            call: |c, body| {
                Box::pin(
                    async move { c.track_sale().body(typed::<types::TrackSaleRequest>(body)).send().await.map(answer) },
                )
            },
        },
        Case {
            operation: "getCustomers",
            path: "/customers",
            query: &[
                ("email", "lena@example.com"),
                ("includeExpandedFields", "true"),
                ("sortBy", "saleAmount"),
                ("sortOrder", "desc"),
                ("pageSize", "100"),
            ],
            body: false,
            call: |c, _| {
                Box::pin(async move {
                    c.get_customers()
                        .email("lena@example.com")
                        .include_expanded_fields(true)
                        .sort_by(types::GetCustomersSortBy::SaleAmount)
                        .sort_order(types::GetCustomersSortOrder::Desc)
                        .page_size(100u64)
                        .send()
                        .await
                        .map(answer)
                })
            },
        },
        Case {
            operation: "getCustomer",
            path: "/customers/ext_user_42",
            query: &[("includeExpandedFields", "true")],
            body: false,
            call: |c, _| {
                Box::pin(async move {
                    c.get_customer().id("ext_user_42").include_expanded_fields(true).send().await.map(answer)
                })
            },
        },
        Case {
            operation: "updateCustomer",
            path: "/customers/cus_1",
            query: &[],
            body: true,
            call: |c, body| {
                Box::pin(async move {
                    c.update_customer()
                        .id("cus_1")
                        .body(typed::<types::UpdateCustomerRequest>(body))
                        .send()
                        .await
                        .map(answer)
                })
            },
        },
        Case {
            operation: "deleteCustomer",
            path: "/customers/cus_1",
            query: &[],
            body: false,
            call: |c, _| Box::pin(async move { c.delete_customer().id("cus_1").send().await.map(answer) }),
        },
    ]
}

#[tokio::test]
async fn every_operation_on_the_wire() {
    let spec = Spec::load("dub");
    let cases = cases();
    assert_covers_spec(&spec, &cases);
    let auth = format!("Bearer {TOKEN}");
    for case in cases {
        check(&spec, case, client, &[("authorization", auth.as_str())]).await;
    }
}

#[tokio::test]
async fn typed_bodies_serialise_in_camel_case() {
    let server = MockServer::start().await;
    let (_, example) = Spec::load("dub").success_example("createPartner");
    Mock::given(method("POST"))
        .and(path("/partners"))
        .respond_with(ResponseTemplate::new(201).set_body_json(example))
        .expect(1)
        .mount(&server)
        .await;
    let partner = client(&server)
        .create_partner()
        .body_map(|b| b.email("ana@example.com").tenant_id("t_9"))
        .send()
        .await
        .unwrap();
    assert_eq!(partner.status().as_u16(), 201);
    let sent: Value = serde_json::from_slice(&received(&server).await[0].body).unwrap();
    assert_eq!(sent, json!({"email": "ana@example.com", "tenantId": "t_9"}));
}

#[tokio::test]
async fn analytics_shapes_by_group_by() {
    let spec = Spec::load("dub");
    let examples = spec.success_examples("retrievePartnerAnalytics");
    assert_eq!(examples.len(), 3);
    for (name, example) in examples {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(200).set_body_json(&example))
            .expect(1)
            .mount(&server)
            .await;
        let value = client(&server).retrieve_partner_analytics().partner_id("pn_1").send().await.unwrap().into_inner();
        let matches = match (name.as_str(), &value) {
            ("count", types::RetrievePartnerAnalyticsResponse::Count(count)) => {
                (count.clicks, count.sale_amount, count.earnings) == (Some(1250), Some(229900), Some(45980))
            }
            ("timeseries", types::RetrievePartnerAnalyticsResponse::Timeseries(series)) => {
                series.len() == 2
                    && series[0].start.to_rfc3339() == "2025-01-01T00:00:00+00:00"
                    && series[0].partner_id.as_deref() == Some("pn_1JGK2R5W1X9YVQ8ZP0H3T6M4A")
                    && series[0].folder_id.is_none()
                    && series[1].clicks == Some(52)
            }
            ("topLinks", types::RetrievePartnerAnalyticsResponse::TopLinks(links)) => {
                links[0].short_link == "https://dub.sh/john"
                    && links[0].partner_id.as_deref() == Some("pn_1JGK2R5W1X9YVQ8ZP0H3T6M4A")
                    && links[0].folder_id.as_deref() == Some("fold_1JGK2Z0Y9X8W7V6U5T4S3R2Q1")
                    && links[0].created_at.map(|t| t.to_rfc3339()).as_deref() == Some("2024-11-20T12:00:00+00:00")
                    && links[0].earnings == Some(45980)
            }
            _ => false,
        };
        assert!(matches, "{name} decoded as {value:?}");
    }
}

/// A server that answers once with `mock` (from the generated mock crate: the spec's own example).
async fn serving(mock: Mock) -> MockServer {
    let server = MockServer::start().await;
    mock.expect(1).mount(&server).await;
    server
}

/// The fields the live API sends beyond the seeds decode typed from each operation's documented
/// success example: integers for counts and amounts, date-times, enums, nested objects.
#[tokio::test]
async fn success_examples_decode_the_live_fields_typed() {
    let server = serving(affiliate_dub_mock::list_partners().example()).await;
    let partners = client(&server).list_partners().send().await.unwrap().into_inner();
    let p = &partners[0];
    assert_eq!(p.partner_id, "pn_1JGK2R5W1X9YVQ8ZP0H3T6M4A");
    assert_eq!(p.network_status, types::PartnerNetworkStatus::Trusted);
    assert_eq!(p.identity_verified_at.map(|t| t.to_rfc3339()).as_deref(), Some("2024-11-21T08:00:00+00:00"));
    assert_eq!(p.trusted_at.map(|t| t.to_rfc3339()).as_deref(), Some("2024-12-15T10:00:00+00:00"));
    assert_eq!(p.default_payout_method, Some(types::EnrolledPartnerDefaultPayoutMethod::Connect));
    assert_eq!(p.referral_reward_id, None);
    assert_eq!((p.tags[0].id.as_str(), p.tags[0].name.as_str()), ("ptag_1JGK2X7Y8Z9A0B1C2D3E4F5G6", "Creators"));
    let application = p.application.as_ref().expect("application");
    assert_eq!(application.rejection_reason, None);
    assert_eq!(application.reviewed_at.map(|t| t.to_rfc3339()).as_deref(), Some("2024-11-20T15:30:00+00:00"));
    let field = &p.referral_form_data.as_ref().expect("referral form").fields[0];
    assert_eq!(field.type_, Some(types::ReferralFormFieldType::Select));
    assert_eq!((field.required, field.locked, field.position), (Some(true), Some(false), Some(1)));
    assert_eq!(field.constraints.as_ref().and_then(|c| c.max_length), Some(100));
    assert_eq!(field.options[1].value.as_deref(), Some("newsletter"));
    assert_eq!(p.earnings_per_click, Some(36.78));
    assert_eq!(p.return_on_ad_spend, Some(5.0));
    let totals: [Option<i64>; 7] = [
        p.total_clicks,
        p.total_leads,
        p.total_conversions,
        p.total_sales,
        p.total_sale_amount,
        p.total_commissions,
        p.net_revenue,
    ];
    assert_eq!(totals, [Some(1250), Some(84), Some(21), Some(23), Some(229900), Some(45980), Some(183920)]);
    assert_eq!(p.links.as_ref().expect("links")[0].sale_amount, Some(229900));

    let server = serving(affiliate_dub_mock::create_partner().example()).await;
    let body = typed::<types::CreatePartnerRequest>(Spec::load("dub").request_example("createPartner"));
    let created = client(&server).create_partner().body(body).send().await.unwrap().into_inner();
    assert_eq!(created.network_status, types::PartnerNetworkStatus::Draft);
    assert_eq!(created.partner_id, created.id);
    assert!(created.application.is_none() && created.referral_form_data.is_none() && created.tags.is_empty());
    assert_eq!((created.trusted_at, created.earnings_per_click, created.total_clicks), (None, None, Some(0)));

    let server = serving(affiliate_dub_mock::retrieve_partner_links().example()).await;
    let links = client(&server).retrieve_partner_links().partner_id("pn_1").send().await.unwrap().into_inner();
    assert_eq!((links[1].clicks, links[1].leads, links[1].sale_amount), (Some(310), Some(12), Some(39600)));

    let server = serving(affiliate_dub_mock::create_partner_link().example()).await;
    let body = typed::<types::CreatePartnerLinkRequest>(Spec::load("dub").request_example("createPartnerLink"));
    let link = client(&server).create_partner_link().body(body).send().await.unwrap().into_inner();
    assert_eq!(link.created_at.to_rfc3339(), "2025-01-15T09:30:00+00:00");
    assert_eq!(link.test_started_at.map(|t| t.to_rfc3339()).as_deref(), Some("2025-01-15T09:30:00+00:00"));
    assert_eq!((link.last_clicked, link.expires_at, link.clicks), (None, None, Some(0)));

    let server = serving(affiliate_dub_mock::upsert_partner_link().example()).await;
    let body = typed::<types::UpsertPartnerLinkRequest>(Spec::load("dub").request_example("upsertPartnerLink"));
    let link = client(&server).upsert_partner_link().body(body).send().await.unwrap().into_inner();
    assert_eq!(link.last_clicked.map(|t| t.to_rfc3339()).as_deref(), Some("2025-01-20T17:45:12+00:00"));
    assert_eq!(link.updated_at.to_rfc3339(), "2025-01-18T08:00:00+00:00");
    assert_eq!((link.clicks, link.sales, link.sale_amount), (Some(42), Some(1), Some(9900)));
}

/// The partner-program operations decode their documented answers typed: integer amounts in cents,
/// date-times, open enums, nested and expanded objects, and the `null`s Dub sends.
#[tokio::test]
async fn partner_program_answers_decode_typed() {
    let server = serving(affiliate_dub_mock::list_commissions().example()).await;
    let commissions = client(&server).list_commissions().send().await.unwrap().into_inner();
    let c = &commissions[0];
    assert_eq!((c.amount, c.earnings, c.quantity), (4900, 980, 1));
    assert_eq!(
        (c.type_.clone(), c.status.clone()),
        (Some(types::CommissionType::Sale), types::CommissionStatus::Pending)
    );
    assert_eq!(c.created_at.to_rfc3339(), "2025-01-15T09:30:00+00:00");
    assert_eq!(c.partner.payouts_enabled_at.map(|t| t.to_rfc3339()).as_deref(), Some("2024-12-01T10:15:00+00:00"));
    let customer = c.customer.as_ref().expect("customer");
    assert_eq!(
        (customer.external_id.as_str(), customer.sale_amount, customer.subscription_canceled_at),
        ("user_42", Some(4900), None)
    );

    let server = serving(affiliate_dub_mock::bulk_update_commissions().example()).await;
    let body = typed::<types::BulkUpdateCommissionsRequest>(Spec::load("dub").request_example("bulkUpdateCommissions"));
    let updated = client(&server).bulk_update_commissions().body(body).send().await.unwrap().into_inner();
    assert!(updated.iter().all(|u| u.status == types::CommissionStatus::Fraud), "{updated:?}");

    let server = serving(affiliate_dub_mock::list_payouts().example()).await;
    let payout = client(&server).list_payouts().send().await.unwrap().into_inner().remove(0);
    assert_eq!((payout.amount, payout.status.clone()), (45980, types::PayoutStatus::Completed));
    assert_eq!(payout.period_end.map(|t| t.to_rfc3339()).as_deref(), Some("2025-01-31T23:59:59.999+00:00"));
    assert_eq!(payout.partner.tenant_id.as_deref(), Some("1K0NM7HCN944PEMZ3CQPH43H8"));
    assert_eq!(payout.user.as_ref().map(|u| u.id.as_str()), Some("user_1JGK8F5G6H7J8K9L0M1N2P3Q4"));

    let server = serving(affiliate_dub_mock::list_bounty_submissions().example()).await;
    let submission =
        client(&server).list_bounty_submissions().bounty_id("bnty_1").send().await.unwrap().into_inner().remove(0);
    assert_eq!((submission.social_metric_count, submission.performance_count), (Some(15230), None));
    assert_eq!(submission.files.as_ref().map(|f| f[0].size), Some(184320));
    assert_eq!(submission.period_number.get(), 1);

    let server = serving(affiliate_dub_mock::get_customer().example()).await;
    let customer = client(&server).get_customer().id("cus_1").include_expanded_fields(true).send().await.unwrap();
    let discount = customer.discount.as_ref().expect("expanded discount");
    assert_eq!((discount.amount, discount.max_duration), (20.0, Some(3)));
    assert_eq!(customer.link.as_ref().map(|l| l.short_link.as_str()), Some("https://dub.sh/john"));

    let server = serving(affiliate_dub_mock::create_referrals_embed_token().example()).await;
    let body = typed::<types::CreateReferralsEmbedTokenRequest>(
        Spec::load("dub").request_example("createReferralsEmbedToken"),
    );
    let token = client(&server).create_referrals_embed_token().body(body).send().await.unwrap();
    assert_eq!(token.status().as_u16(), 201);
    assert_eq!(token.expires.to_rfc3339(), "2025-01-15T11:30:00+00:00");

    let server = serving(affiliate_dub_mock::track_lead().example()).await;
    let lead = client(&server)
        .track_lead()
        .body_map(|b| b.click_id("rLnWe1uz9t282v7g").event_name("Sign up").customer_external_id("user_42"))
        .send()
        .await
        .unwrap();
    assert_eq!(lead.link.as_ref().and_then(|l| l.partner_id.as_deref()), Some("pn_1JGK2R5W1X9YVQ8ZP0H3T6M4A"));
    assert_eq!(lead.customer.external_id.as_deref(), Some("user_42"));
}

/// A commission request is one of three shapes, told apart by `type`: each serialises with its tag
/// and only its own fields, and a body of one type never decodes as another.
#[tokio::test]
async fn commission_requests_are_tagged_by_type() {
    let cases = [
        json!({"type": "custom", "partnerId": "pn_1", "amount": 2500, "description": "Launch bonus"}),
        json!({"type": "lead", "partnerId": "pn_1", "customerId": "cus_1", "leadEventName": "Sign up"}),
        json!({"type": "sale", "partnerId": "pn_1", "customer": {"externalId": "u_1", "country": "DE"}, "saleAmount": 4900}),
    ];
    for sent in cases {
        let request: types::CreateCommissionRequest = typed(sent.clone());
        let kind = match &request {
            types::CreateCommissionRequest::Custom { .. } => "custom",
            types::CreateCommissionRequest::Lead { .. } => "lead",
            types::CreateCommissionRequest::Sale { .. } => "sale",
        };
        assert_eq!(kind, sent["type"], "{sent}");
        let server = serving(affiliate_dub_mock::create_commission().body(request.clone()).example()).await;
        let queued = client(&server).create_commission().body(request).send().await.unwrap();
        assert_eq!(queued.status().as_u16(), 202);
        assert!(queued.success);
        let on_the_wire: Value = serde_json::from_slice(&received(&server).await[0].body).unwrap();
        assert_eq!(on_the_wire, sent);
    }
    let unknown =
        serde_json::from_value::<types::CreateCommissionRequest>(json!({"type": "bonus", "partnerId": "pn_1"}));
    assert!(unknown.is_err(), "an unknown commission type is refused, not guessed: {unknown:?}");
}

#[tokio::test]
async fn documented_errors_decode_to_their_variant() {
    let spec = Spec::load("dub");
    let errors = spec.error_examples("listPartners");
    assert_eq!(errors.iter().map(|(s, _)| *s).collect::<Vec<_>>(), [400, 401, 403, 404, 409, 410, 422, 429, 500]);
    for (status, body) in errors {
        let server = MockServer::start().await;
        let calls = if matches!(status, 429 | 500) { 2 } else { 1 };
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(status).set_body_json(&body).insert_header("x-request-id", "req_42"))
            .expect(calls)
            .mount(&server)
            .await;
        let client = Client::builder()
            .base_url(server.uri())
            .bearer_token(TOKEN)
            .retry_policy(
                RetryPolicy::default()
                    .with_max_attempts(2)
                    .with_backoff(Duration::from_millis(1), Duration::from_millis(2)),
            )
            .build()
            .unwrap();
        let error = client.list_partners().send().await.unwrap_err();
        let variant_ok = match status {
            400 | 422 => matches!(error, Error::Validation(_)),
            401 => matches!(error, Error::Unauthorized(_)),
            403 => matches!(error, Error::Forbidden(_)),
            404 | 410 => matches!(error, Error::NotFound(_)),
            409 => matches!(error, Error::Conflict(_)),
            429 => matches!(error, Error::RateLimited(_)),
            500 => matches!(error, Error::Server(_)),
            _ => false,
        };
        assert!(variant_ok, "{status}: {error:?}");
        let api = error.api_error().unwrap();
        assert_eq!(api.status.as_u16(), status);
        assert_eq!(api.code.as_deref(), body["error"]["code"].as_str(), "{status}");
        assert_eq!(api.message.as_deref(), body["error"]["message"].as_str(), "{status}");
        assert_eq!(api.request_id.as_deref(), Some("req_42"));
        assert_eq!(api.details.get("doc_url").map(String::as_str), body["error"]["doc_url"].as_str());
        assert!(error.to_string().contains(body["error"]["message"].as_str().unwrap()), "{error}");
    }
}

#[tokio::test]
async fn rate_limited_get_is_retried_after_retry_after() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(429)
                .set_body_json(json!({"error": {"code": "rate_limit_exceeded", "message": "Too many requests"}}))
                .insert_header("retry-after", "1")
                .insert_header("x-ratelimit-remaining", "0"),
        )
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!([]))
                .insert_header("x-ratelimit-remaining", "59")
                .insert_header("x-ratelimit-limit", "60"),
        )
        .expect(1)
        .mount(&server)
        .await;
    let started = Instant::now();
    let response = client(&server).list_partners().send().await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(900), "waited {:?}, Retry-After said 1 s", started.elapsed());
    use affiliate_runtime::ResponseExt;
    assert_eq!((response.rate_limit().limit, response.rate_limit().remaining), (Some(60), Some(59)));
    assert_eq!(received(&server).await.len(), 2);
}

#[tokio::test]
async fn post_is_not_retried_after_a_server_error() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(500)
                .set_body_json(json!({"error": {"code": "internal_server_error", "message": "boom"}})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let error = client(&server)
        .ban_partner()
        .body_map(|b| b.partner_id("pn_1").reason(types::BanReason::Fraud))
        .send()
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Server(_)), "{error:?}");
    assert_eq!(error.code(), Some("internal_server_error"));
    assert_eq!(received(&server).await.len(), 1, "a POST that reached the server is sent once");
}

#[tokio::test]
async fn post_is_retried_after_429() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "0"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"partnerId": "pn_1"})))
        .expect(1)
        .mount(&server)
        .await;
    let done = client(&server).deactivate_partner().body_map(|b| b.partner_id("pn_1")).send().await.unwrap();
    assert_eq!(done.partner_id, "pn_1");
    assert_eq!(received(&server).await.len(), 2, "a 429 means the server did not act: safe to resend");
}

pub(crate) fn partner(id: usize) -> Value {
    let (_, example) = Spec::load("dub").success_example("listPartners");
    let mut partner = example[0].clone();
    partner["id"] = json!(format!("pn_{id}"));
    partner
}

#[tokio::test]
async fn stream_yields_every_partner_of_every_page_once() {
    let server = MockServer::start().await;
    let pages = [vec![1, 2], vec![3, 4], vec![5]];
    for (number, ids) in pages.iter().enumerate() {
        Mock::given(method("GET"))
            .and(path("/partners"))
            .and(wiremock::matchers::query_param("page", (number + 1).to_string()))
            .and(wiremock::matchers::query_param("pageSize", "2"))
            .respond_with(ResponseTemplate::new(200).set_body_json(ids.iter().map(|i| partner(*i)).collect::<Vec<_>>()))
            .expect(1)
            .mount(&server)
            .await;
    }
    let ids: Vec<String> =
        client(&server).list_partners().page_size(2u64).stream().map_ok(|p| p.id).try_collect().await.unwrap();
    assert_eq!(ids, ["pn_1", "pn_2", "pn_3", "pn_4", "pn_5"]);
    assert_eq!(received(&server).await.len(), 3);
}

#[tokio::test]
async fn stream_is_lazy_and_stops_on_an_empty_page() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(wiremock::matchers::query_param("page", "1"))
        .respond_with(ResponseTemplate::new(200).set_body_json((0..3).map(partner).collect::<Vec<_>>()))
        .expect(3)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(wiremock::matchers::query_param("page", "2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);
    // A full first page (3 of pageSize 3) means there may be more, but taking 2 items must not
    // ask for page 2: pages are fetched only when the consumer polls past the last item.
    let first_two: Vec<_> = client.list_partners().page_size(3u64).stream().take(2).try_collect().await.unwrap();
    assert_eq!(first_two.len(), 2);
    assert_eq!(received(&server).await.len(), 1, "only page 1 for the first two items");
    // pageSize unset: the spec's default (100) applies, so a page of 3 is the last one.
    let short: Vec<_> = client.list_partners().stream().try_collect().await.unwrap();
    assert_eq!(short.len(), 3);
    assert_eq!(received(&server).await.len(), 2, "a short page ends the walk");
    // With pageSize 3 the first page is full, so page 2 is asked for, and is empty.
    let all: Vec<_> = client.list_partners().page_size(3u64).stream().try_collect().await.unwrap();
    assert_eq!(all.len(), 3);
    assert_eq!(received(&server).await.len(), 4, "an empty page ends the walk");
}

#[tokio::test]
async fn a_server_repeating_a_page_stops_the_stream() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json((0..2).map(partner).collect::<Vec<_>>()))
        .expect(2)
        .mount(&server)
        .await;
    let results: Vec<_> = client(&server).list_partners().page_size(2u64).stream().collect().await;
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 2, "the first page's items, once");
    assert!(matches!(results.last(), Some(Err(Error::Pagination(_)))), "{:?}", results.last());
}

#[tokio::test]
async fn unknown_enum_values_and_fields_decode() {
    let server = MockServer::start().await;
    let mut p = partner(1);
    p["status"] = json!("superstar");
    p["brandNewField"] = json!({"nested": [1, 2, 3]});
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([p])))
        .expect(1)
        .mount(&server)
        .await;
    let partners = client(&server).list_partners().send().await.unwrap().into_inner();
    assert_eq!(partners[0].status, types::PartnerStatus::Other("superstar".to_string()));
    assert_eq!(partners[0].status.to_string(), "superstar");
    // Unknown values round-trip unchanged.
    assert_eq!(serde_json::to_value(&partners[0].status).unwrap(), json!("superstar"));
}

#[tokio::test]
async fn a_malformed_success_body_is_a_decode_error_with_status() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_string("[{\"id\": "))
        .expect(1)
        .mount(&server)
        .await;
    let error = client(&server).list_partners().send().await.unwrap_err();
    match &error {
        Error::Decode { status, snippet, .. } => {
            assert_eq!(status.map(|s| s.as_u16()), Some(200));
            assert_eq!(snippet, "[{\"id\": ");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_missing_api_key_fails_at_construction() {
    let error = Client::builder().env_source(|_| None).build().unwrap_err();
    match &error {
        Error::MissingCredential { env, .. } => assert_eq!(env, "DUB_API_KEY"),
        other => panic!("{other:?}"),
    }
    assert!(error.to_string().contains("DUB_API_KEY"));
    let from_env = Client::builder().env_source(|name| (name == "DUB_API_KEY").then(|| TOKEN.to_string())).build();
    assert!(from_env.is_ok());
}

#[tokio::test]
async fn the_token_never_shows_in_debug_output() {
    let client = Client::builder().bearer_token(TOKEN).build().unwrap();
    let debug = format!("{client:?} {:?}", Client::builder().bearer_token(TOKEN));
    assert!(!debug.contains(TOKEN), "{debug}");
    assert!(!debug.contains(&TOKEN[9..]), "{debug}");
}
