//! Billing's audit log: who bought a promotion and who refunded a deposit (or
//! that Stripe reported a refund made in its dashboard), and how much, once per
//! payment or refund however often Stripe delivers; read by platform admins only.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may

mod support;

use nds_common::testing::TestDatabase;
use nds_proto::billing::v1::*;
use nds_proto::common::v1::{AuditEntry, PageRequest};
use nds_proto::identity::v1::GetMeRequest;
use serde_json::Value;
use support::*;

async fn audit_log(harness: &Harness, action: &str, first: u32, after: &str) -> ListAuditLogResponse {
    let request = ListAuditLogRequest { action: action.into(), page: Some(PageRequest { first, after: after.into() }) };
    harness.client.clone().list_audit_log(authorized(request, &harness.admin)).await.unwrap().into_inner()
}

fn detail(entry: &AuditEntry) -> Value {
    serde_json::from_str(&entry.detail_json).unwrap()
}

#[tokio::test]
async fn purchases_and_refunds_are_audited_with_who_and_how_much_once_each() {
    let harness = harness(TestDatabase::postgres().await, HarnessOptions::default()).await;
    let agency = harness.onboard_agency("Autos Reforma", None).await;
    let manager_id =
        harness.identity.clone().get_me(authorized(GetMeRequest {}, &agency.manager)).await.unwrap().into_inner().id;
    let now = chrono::Utc::now().timestamp();

    // The manager buys a promotion; Stripe reports the payment twice.
    let listing = harness.listing_id(&agency, true).await;
    let (checkout, object) = promotion_checkout(&harness, &agency, listing).await;
    for event_id in ["evt_promo", "evt_promo_again"] {
        deliver_signed(&harness.parts.webhook, event(event_id, "payment_intent.succeeded", now, object.clone())).await;
    }
    settle(&harness).await;

    // The manager refunds one deposit through NDS; another is refunded in Stripe's
    // dashboard, and its webhook comes twice.
    let refunded_here = paid_deposit(&harness, &agency).await;
    harness
        .client
        .clone()
        .refund_deposit(authorized(
            RefundDepositRequest { deposit_id: refunded_here.reference_id.clone() },
            &agency.manager,
        ))
        .await
        .unwrap();
    let refunded_there = paid_deposit(&harness, &agency).await;
    let charge = refunded_charge(&refunded_there.payment_intent_id, &[("re_dashboard", 250_000)]);
    for event_id in ["evt_dashboard_refund", "evt_dashboard_refund_again"] {
        deliver_signed(&harness.parts.webhook, event(event_id, "charge.refunded", now + 1, charge.clone())).await;
    }
    settle(&harness).await;

    let log = audit_log(&harness, "", 0, "").await;
    let lines: Vec<(&str, &str, &str)> = log
        .entries
        .iter()
        .map(|entry| (entry.action.as_str(), entry.actor.as_str(), entry.target_type.as_str()))
        .collect();
    let manager = format!("user:{manager_id}");
    assert_eq!(
        lines,
        vec![
            ("deposit.refunded", "stripe", "listing"),
            ("deposit.refunded", manager.as_str(), "listing"),
            ("promotion.purchased", manager.as_str(), "listing"),
        ],
        "newest first, once each"
    );
    assert_eq!(log.page_info.as_ref().unwrap().total_count, 3);
    let [dashboard, through_nds, promotion] = [&log.entries[0], &log.entries[1], &log.entries[2]];
    assert_eq!(promotion.target_id, listing.to_string());
    assert_eq!(detail(promotion)["promotion_id"], checkout.reference_id.as_str());
    assert_eq!(detail(promotion)["amount_minor"], 49_900);
    assert_eq!(detail(through_nds)["deposit_id"], refunded_here.reference_id.as_str());
    assert_eq!(detail(through_nds)["amount_minor"], 1_000_000);
    assert_eq!(detail(through_nds)["fully_refunded"], true);
    assert_eq!(detail(dashboard)["refund_id"], "re_dashboard");
    assert_eq!(detail(dashboard)["amount_minor"], 250_000);
    assert_eq!(detail(dashboard)["fully_refunded"], false);
    assert!(log.entries.iter().all(|entry| entry.actor_email.is_empty() && entry.target_label.is_empty()));

    // One action, a page at a time.
    let refunds = audit_log(&harness, "deposit.refunded", 1, "").await;
    assert_eq!(refunds.entries.len(), 1);
    let info = refunds.page_info.unwrap();
    assert!(info.has_next_page);
    assert_eq!(info.total_count, 2);
    let next = audit_log(&harness, "deposit.refunded", 1, &info.end_cursor).await;
    assert_eq!(next.entries[0].id, through_nds.id);
    assert!(!next.page_info.unwrap().has_next_page);
}

#[tokio::test]
async fn only_platform_admins_read_it_and_unknown_actions_or_cursors_are_refused() {
    let harness = harness(TestDatabase::postgres().await, HarnessOptions::default()).await;
    let agency = harness.onboard_agency("Autos Reforma", None).await;
    let mut client = harness.client.clone();
    let request = || ListAuditLogRequest { action: String::new(), page: None };

    let anonymous = client.list_audit_log(request()).await.unwrap_err();
    assert_eq!(anonymous.code(), tonic::Code::Unauthenticated);
    let manager = client.list_audit_log(authorized(request(), &agency.manager)).await.unwrap_err();
    assert_eq!(manager.code(), tonic::Code::PermissionDenied);

    for (action, after) in [("user.suspended", ""), ("deposit.stolen", ""), ("", "not-a-cursor")] {
        let refused = client
            .list_audit_log(authorized(
                ListAuditLogRequest {
                    action: action.into(),
                    page: Some(PageRequest { first: 10, after: after.into() }),
                },
                &harness.admin,
            ))
            .await
            .unwrap_err();
        assert_eq!(refused.code(), tonic::Code::InvalidArgument, "{action:?} {after:?}");
    }
    assert!(audit_log(&harness, "", 0, "").await.entries.is_empty());
}
