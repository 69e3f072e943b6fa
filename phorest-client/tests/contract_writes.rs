//! Writes: exact method, path, headers and body of every write, typed decoding of a
//! real-shaped answer, the typed conflict of a stale version, and no automatic replay of a
//! write whose outcome is unknown.

mod common;

use chrono::NaiveDate;
use common::*;
use phorest_client::*;
use serde_json::json;
use wiremock::{Mock, MockServer, ResponseTemplate, matchers};

/// A client as Phorest answers it (DH/U1 field set, `…SSSZ` instants).
fn client_json(version: i64, email: &str) -> serde_json::Value {
    json!({
        "clientId": "c9_Z7nq2TtyXkR0wZQ4xvw", "version": version,
        "firstName": "Ann", "lastName": "Byrne", "mobile": "16135550142",
        "email": email, "creatingBranchId": BRANCH,
        "smsMarketingConsent": false, "emailMarketingConsent": true,
        "smsReminderConsent": true, "emailReminderConsent": true,
        "archived": false, "deleted": false, "banned": false,
        "clientCategoryIds": [], "birthDate": "1990-04-01",
        "createdAt": "2026-03-01T10:00:00.000Z", "updatedAt": "2026-03-02T11:30:00.123Z",
        "loyaltyCard": { "serial": "100234", "points": 0.0 },
        "_links": [{"rel": "self", "href": "ignored"}]
    })
}

#[tokio::test]
async fn create_client_posts_exact_body_and_decodes_the_created_client() {
    let server = MockServer::start().await;
    Mock::given(matchers::method("POST"))
        .and(matchers::path(p("/client")))
        .and(matchers::header("authorization", AUTH))
        .and(matchers::header("content-type", "application/json"))
        .and(matchers::header("accept", "application/json"))
        .and(matchers::body_json(json!({
            "creatingBranchId": BRANCH,
            "firstName": "Ann",
            "lastName": "Byrne",
            "mobile": "16135550142",
            "email": "ann@example.com",
            "birthDate": "1990-04-01",
            "gender": "FEMALE",
            "smsReminderConsent": true,
            "emailMarketingConsent": true,
            "externalId": "ghl-123",
            "address": {"streetAddress1": "1 Front St", "streetAddress2": null, "city": "Belleville",
                        "state": "ON", "postalCode": "K8N 2Y7", "country": "CA"}
        })))
        .respond_with(ResponseTemplate::new(201).set_body_json(client_json(1, "ann@example.com")))
        .expect(1)
        .mount(&server)
        .await;

    let new = NewClient::new(BRANCH, "Ann", "Byrne")
        .mobile("16135550142")
        .email("ann@example.com")
        .birth_date(NaiveDate::from_ymd_opt(1990, 4, 1).unwrap())
        .gender(Gender::Female)
        .sms_reminder_consent(true)
        .email_marketing_consent(true)
        .external_id("ghl-123")
        .address(
            Address::new()
                .street_address1("1 Front St")
                .city("Belleville")
                .state("ON")
                .postal_code("K8N 2Y7")
                .country("CA"),
        );
    let created = client(&server).clients().create(&new).await.unwrap();
    assert_eq!(created.client_id.as_str(), "c9_Z7nq2TtyXkR0wZQ4xvw");
    assert_eq!(created.version, Some(1));
    assert_eq!(created.email.as_deref(), Some("ann@example.com"));
    assert_eq!(
        created.creating_branch_id.as_ref().map(BranchId::as_str),
        Some(BRANCH)
    );
    assert!(created.sms_reminder_consent && !created.sms_marketing_consent);
    assert_eq!(created.loyalty_card.and_then(|c| c.points), Some(0.0));
    assert!(created.updated_at.is_some());
}

#[tokio::test]
async fn update_client_puts_id_and_version_and_decodes_the_new_version() {
    let server = MockServer::start().await;
    Mock::given(matchers::method("PUT"))
        .and(matchers::path(p("/client/c9_Z7nq2TtyXkR0wZQ4xvw")))
        .and(matchers::header("authorization", AUTH))
        .and(matchers::header("content-type", "application/json"))
        .and(matchers::body_json(json!({
            "clientId": "c9_Z7nq2TtyXkR0wZQ4xvw",
            "version": 3,
            "email": "new@example.com",
            "clientCategoryIds": ["cat-1"]
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(client_json(4, "new@example.com")))
        .expect(1)
        .mount(&server)
        .await;

    let change = ClientUpdate::new(ClientId::from("c9_Z7nq2TtyXkR0wZQ4xvw"), 3)
        .email("new@example.com")
        .client_category_ids([CategoryId::from("cat-1")]);
    let updated = client(&server).clients().update(&change).await.unwrap();
    assert_eq!(updated.version, Some(4));
    assert_eq!(updated.email.as_deref(), Some("new@example.com"));
}

#[tokio::test]
async fn update_from_client_sends_the_whole_record_with_its_version() {
    let current: Client = serde_json::from_value(client_json(7, "a@b.c")).unwrap();
    let change = ClientUpdate::from_client(&current).notes("VIP");
    assert_eq!(change.version(), 7);
    assert_eq!(change.client_id().as_str(), "c9_Z7nq2TtyXkR0wZQ4xvw");
    let server = MockServer::start().await;
    Mock::given(matchers::method("PUT"))
        .and(matchers::path(p("/client/c9_Z7nq2TtyXkR0wZQ4xvw")))
        .and(matchers::body_partial_json(json!({
            "clientId": "c9_Z7nq2TtyXkR0wZQ4xvw", "version": 7, "firstName": "Ann",
            "lastName": "Byrne", "mobile": "16135550142", "email": "a@b.c", "notes": "VIP",
            "birthDate": "1990-04-01", "smsMarketingConsent": false, "smsReminderConsent": true,
            "clientCategoryIds": []
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(client_json(8, "a@b.c")))
        .expect(1)
        .mount(&server)
        .await;
    let updated = client(&server).clients().update(&change).await.unwrap();
    assert_eq!(updated.version, Some(8));
}

#[tokio::test]
async fn stale_version_is_a_typed_conflict_and_not_retried() {
    let server = MockServer::start().await;
    Mock::given(matchers::method("PUT"))
        .and(matchers::path(p("/client/c1")))
        .respond_with(ResponseTemplate::new(409).set_body_json(json!({
            "timestamp": "2026-03-02T11:30:00.123Z", "status": 409, "error": "Conflict",
            "errorCode": "VERSION_CONFLICT", "message": "Client was modified"
        })))
        .expect(1)
        .mount(&server)
        .await;
    let err = client(&server)
        .clients()
        .update(&ClientUpdate::new(ClientId::from("c1"), 1).notes("x"))
        .await
        .unwrap_err();
    match &err {
        Error::Conflict { message, code } => {
            assert_eq!(message.as_deref(), Some("Client was modified"));
            assert_eq!(code.as_deref(), Some("VERSION_CONFLICT"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(err.status(), Some(409));
    assert!(!err.is_retryable());
    assert!(!err.may_have_been_applied());
}

#[tokio::test]
async fn a_write_with_an_unknown_outcome_is_not_replayed() {
    let server = MockServer::start().await;
    Mock::given(matchers::method("POST"))
        .and(matchers::path(p("/client")))
        .respond_with(ResponseTemplate::new(503))
        .expect(1)
        .mount(&server)
        .await;
    let err = client_with(&server, fast_retries(4))
        .clients()
        .create(&NewClient::new(BRANCH, "Ann", "Byrne"))
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(503));
    assert!(err.may_have_been_applied(), "{err:?}");
}

#[tokio::test]
async fn a_write_refused_with_429_is_replayed() {
    let server = MockServer::start().await;
    Mock::given(matchers::method("POST"))
        .and(matchers::path(p("/client")))
        .respond_with(ResponseTemplate::new(429))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(matchers::method("POST"))
        .and(matchers::path(p("/client")))
        .respond_with(ResponseTemplate::new(201).set_body_json(client_json(1, "a@b.c")))
        .expect(1)
        .mount(&server)
        .await;
    let created = client(&server)
        .clients()
        .create(&NewClient::new(BRANCH, "Ann", "Byrne"))
        .await
        .unwrap();
    assert_eq!(created.version, Some(1));
}
