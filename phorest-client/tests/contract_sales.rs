//! Money, stock and points writes: purchase create (WC's body), stock adjustment (DH's body),
//! voucher create (FV's captured answer), the loyalty-points change and the deposit payment
//! link (U2's body). Exact method, path, headers and body; typed answers; never replayed.

mod common;

use chrono::{TimeZone, Utc};
use common::*;
use phorest_client::*;
use serde_json::json;
use wiremock::{Mock, MockServer, ResponseTemplate, matchers};

#[tokio::test]
async fn purchase_create_posts_items_and_payments() {
    let server = MockServer::start().await;
    Mock::given(matchers::method("POST"))
        .and(matchers::path(p(&format!("/branch/{BRANCH}/purchase"))))
        .and(matchers::header("authorization", AUTH))
        .and(matchers::header("content-type", "application/json"))
        .and(matchers::body_json(json!({
            "clientId": "lM82gdvTuQnnTNt008KcbA",
            "number": "1042",
            "items": [{"branchProductId": "p1", "quantity": 2, "price": 18.5}],
            "payments": [{"type": "CREDIT", "amount": 37.0, "customTypeCode": "stripe",
                          "customTypeName": "Card (Stripe)", "paymentId": "pi_123"}]
        })))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "purchaseId": "pu-1", "transactionNumber": 20931
        })))
        .expect(1)
        .mount(&server)
        .await;
    let purchase = NewPurchase::new()
        .client_id("lM82gdvTuQnnTNt008KcbA")
        .number("1042")
        .item(PurchaseItem::product("p1", 2, 18.5))
        .payment(
            PurchasePayment::new(PaymentType::Credit, 37.0)
                .custom_type("stripe", "Card (Stripe)")
                .payment_id("pi_123"),
        );
    let receipt = client(&server)
        .purchases(BRANCH)
        .create(&purchase)
        .await
        .unwrap();
    assert_eq!(receipt.purchase_id.as_deref(), Some("pu-1"));
    assert_eq!(receipt.transaction_number.as_deref(), Some("20931"));
}

#[tokio::test]
async fn stock_adjustment_posts_barcodes_and_is_not_replayed() {
    let server = MockServer::start().await;
    Mock::given(matchers::method("POST"))
        .and(matchers::path(p(&format!(
            "/branch/{BRANCH}/stock/adjustment"
        ))))
        .and(matchers::header("authorization", AUTH))
        .and(matchers::body_json(json!({"stocks": [
            {"barcode": "5012345678900", "quantity": 3, "operationType": "DEDUCT"},
            {"barcode": "5012345678917", "quantity": 12, "operationType": "INCREASE"}
        ]})))
        .respond_with(ResponseTemplate::new(500))
        .expect(1)
        .mount(&server)
        .await;
    let adjustment = StockAdjustment::new()
        .deduct("5012345678900", 3)
        .increase("5012345678917", 12);
    let err = client_with(&server, fast_retries(4))
        .products(BRANCH)
        .adjust_stock(&adjustment)
        .await
        .unwrap_err();
    assert!(err.may_have_been_applied(), "{err:?}");
}

#[tokio::test]
async fn voucher_create_posts_and_decodes_fvs_captured_answer() {
    let server = MockServer::start().await;
    Mock::given(matchers::method("POST"))
        .and(matchers::path(p("/voucher")))
        .and(matchers::header("authorization", AUTH))
        .and(matchers::body_json(json!({
            "clientId": "WwEaIb0m4bhJphVtm2VgIw",
            "creatingBranchId": BRANCH,
            "issueDate": "2019-02-10T21:30:50.000Z",
            "expiryDate": "2020-02-10T21:30:50.000Z",
            "originalBalance": 50.0,
            "serialNumber": "11451"
        })))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "voucherId": "l4HM6hsFC1bHbzPMj5uwDQ", "serialNumber": 11451,
            "issueDate": "2019-02-10T21:30:50.000Z", "expiryDate": "2020-02-10T21:30:50.000Z",
            "clientId": "WwEaIb0m4bhJphVtm2VgIw", "creatingBranchId": BRANCH,
            "originalBalance": 50, "remainingBalance": 50, "links": []
        })))
        .expect(1)
        .mount(&server)
        .await;
    let issued = Utc.with_ymd_and_hms(2019, 2, 10, 21, 30, 50).unwrap();
    let voucher = NewVoucher::new(BRANCH, 50.0, issued)
        .expiry_date(Utc.with_ymd_and_hms(2020, 2, 10, 21, 30, 50).unwrap())
        .client_id("WwEaIb0m4bhJphVtm2VgIw")
        .serial_number("11451");
    let made = client(&server).vouchers().create(&voucher).await.unwrap();
    assert_eq!(made.voucher_id.as_str(), "l4HM6hsFC1bHbzPMj5uwDQ");
    assert_eq!(made.serial_number.as_deref(), Some("11451"));
    assert_eq!(made.issue_date, Some(issued));
    assert_eq!(made.remaining_balance, Some(50.0));
}

#[tokio::test]
async fn loyalty_points_change_posts_the_documented_fields() {
    let server = MockServer::start().await;
    Mock::given(matchers::method("POST"))
        .and(matchers::path(p("/loyaltypoints")))
        .and(matchers::header("authorization", AUTH))
        .and(matchers::body_json(json!({
            "clientId": "c1", "branchId": BRANCH, "description": "Review bonus",
            "pointsChange": 25, "operationType": "ADD"
        })))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(matchers::method("POST"))
        .and(matchers::path(p("/loyaltypoints")))
        .and(matchers::body_partial_json(
            json!({"operationType": "DEDUCT", "pointsChange": 10}),
        ))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "errorCode": "INSUFFICIENT_POINTS", "message": "Not enough loyalty points"
        })))
        .expect(1)
        .mount(&server)
        .await;
    let clients = client(&server).clients();
    clients
        .change_loyalty_points(&LoyaltyPointsChange::add("c1", BRANCH, 25, "Review bonus"))
        .await
        .unwrap();
    let err = clients
        .change_loyalty_points(&LoyaltyPointsChange::deduct("c1", BRANCH, 10, "Redeemed"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("INSUFFICIENT_POINTS"));
}

#[tokio::test]
async fn deposit_payment_link_posts_u2s_body_and_reads_the_url() {
    let server = MockServer::start().await;
    Mock::given(matchers::method("POST"))
        .and(matchers::path(p(&format!(
            "/branch/{BRANCH}/deposit/payment-link"
        ))))
        .and(matchers::header("authorization", AUTH))
        .and(matchers::body_json(json!({
            "appointmentIds": ["ap1", "ap2"], "notifyViaSms": false, "notifyViaEmail": true,
            "autoCancelAppointmentOnExpiry": true
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "url": "https://pay.phorest.example/d/abc", "expiresAt": "2026-07-21T10:00:00.000Z"
        })))
        .expect(1)
        .mount(&server)
        .await;
    let link = client(&server)
        .appointments(BRANCH)
        .deposit_payment_link(
            &DepositLinkRequest::new([AppointmentId::from("ap1"), AppointmentId::from("ap2")])
                .notify_via_email(true)
                .auto_cancel_on_expiry(true),
        )
        .await
        .unwrap();
    assert_eq!(
        link.url.as_deref(),
        Some("https://pay.phorest.example/d/abc")
    );
}
