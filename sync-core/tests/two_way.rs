//! GHL → Phorest against a scripted Phorest (wiremock): the stale-version rule (re-read and
//! retry once, then report a conflict) and the exact requests sent.

use std::sync::Arc;

use ghl_client::SecretString;
use ghl_client::webhooks::WebhookContact;
use phorest_client::{Pacing, PhorestClient, Region, RetryPolicy};
use serde_json::{Value, json};
use sync_core::entity::EntityKind;
use sync_core::two_way::{
    FieldOwnership, InboundEvent, ReverseField, TwoWayConfig, TwoWayOutcome, TwoWaySync,
};
use sync_core::{Mapping, MappingStore, MemoryStore};
use wiremock::matchers::{body_partial_json, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const BUSINESS: &str = "biz-1";
const CLIENT: &str = "cl-1";
const CONTACT: &str = "ct-1";
const CLIENT_PATH: &str = "/biz-1/client/cl-1";

fn client(version: i64, last_name: &str) -> Value {
    json!({
        "clientId": CLIENT, "version": version, "firstName": "Ann", "lastName": last_name,
        "email": "ann@example.com", "mobile": "353871234567",
        "createdAt": "2024-01-01T00:00:00.000Z", "updatedAt": "2025-01-01T00:00:00.000Z"
    })
}

async fn setup() -> (MockServer, TwoWaySync<MemoryStore>) {
    let server = MockServer::start().await;
    let phorest = PhorestClient::builder()
        .region(Region::Custom(server.uri().parse().unwrap()))
        .business_id(BUSINESS)
        .credentials("api@example.com", SecretString::from("pw"))
        .pacing(Pacing::unlimited())
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    let store = Arc::new(MemoryStore::new());
    let mut m = Mapping::new(EntityKind::Client, CLIENT);
    m.mark_synced(CONTACT);
    m.content_hash = Some("v1:old|v1:tags".into());
    m.last_written = Some(json!({
        "firstName": "Ann", "lastName": "Lee", "name": "Ann Lee",
        "email": "ann@example.com", "phone": "+353871234567", "source": "phorest"
    }));
    store.put(&m).await.unwrap();
    let mut config = TwoWayConfig::default();
    config.ownership = FieldOwnership::all_shared();
    config.region = Some("IE".into());
    (server, TwoWaySync::new(phorest, store, config))
}

fn event() -> InboundEvent {
    let contact: WebhookContact = serde_json::from_value(json!({
        "id": CONTACT, "firstName": "Ann", "lastName": "Byrne",
        "email": "ann@example.com", "phone": "+353871234567"
    }))
    .unwrap();
    InboundEvent::new("wh-1", "ContactUpdate", contact)
}

async fn requests(server: &MockServer) -> Vec<(String, String, Option<Value>)> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .map(|r: &Request| {
            (
                r.method.to_string(),
                r.url.path().to_owned(),
                serde_json::from_slice(&r.body).ok(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_stale_version_is_read_again_and_retried_once() {
    let (server, sync) = setup().await;
    // First read: version 3; its PUT is refused (someone saved meanwhile). Second read:
    // version 4, accepted.
    Mock::given(method("GET"))
        .and(path(CLIENT_PATH))
        .respond_with(ResponseTemplate::new(200).set_body_json(client(3, "Lee")))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(CLIENT_PATH))
        .respond_with(ResponseTemplate::new(200).set_body_json(client(4, "Lee")))
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path(CLIENT_PATH))
        .and(body_partial_json(json!({"version": 3})))
        .respond_with(ResponseTemplate::new(409).set_body_json(json!({
            "errorCode": "VERSION_CONFLICT", "detail": "stale"
        })))
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path(CLIENT_PATH))
        .and(body_partial_json(
            json!({"version": 4, "clientId": CLIENT, "lastName": "Byrne"}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(client(5, "Byrne")))
        .mount(&server)
        .await;

    let outcome = sync.apply(&event()).await.unwrap();
    assert_eq!(
        outcome,
        match outcome.clone() {
            o @ TwoWayOutcome::Applied { .. } => o,
            other => panic!("{other:?}"),
        }
    );
    if let TwoWayOutcome::Applied { fields, .. } = &outcome {
        assert_eq!(fields, &vec![ReverseField::LastName]);
    }
    let sent = requests(&server).await;
    let shape: Vec<(&str, &str)> = sent
        .iter()
        .map(|(m, p, _)| (m.as_str(), p.as_str()))
        .collect();
    assert_eq!(
        shape,
        vec![
            ("GET", CLIENT_PATH),
            ("PUT", CLIENT_PATH),
            ("GET", CLIENT_PATH),
            ("PUT", CLIENT_PATH)
        ]
    );
    // The PUT carries the whole client as read, with GHL's last name.
    let body = sent[3].2.as_ref().unwrap();
    assert_eq!(body["lastName"], "Byrne");
    assert_eq!(body["firstName"], "Ann");
    assert_eq!(body["version"], 4);
}

#[tokio::test]
async fn a_version_that_keeps_moving_is_reported_as_a_conflict() {
    let (server, sync) = setup().await;
    Mock::given(method("GET"))
        .and(path(CLIENT_PATH))
        .respond_with(ResponseTemplate::new(200).set_body_json(client(3, "Lee")))
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path(CLIENT_PATH))
        .respond_with(ResponseTemplate::new(409).set_body_json(json!({"detail": "stale"})))
        .mount(&server)
        .await;
    let outcome = sync.apply(&event()).await.unwrap();
    assert!(
        matches!(
            outcome,
            TwoWayOutcome::Conflict {
                stale_version: true,
                ..
            }
        ),
        "{outcome:?}"
    );
    let puts = requests(&server)
        .await
        .iter()
        .filter(|(m, _, _)| m == "PUT")
        .count();
    assert_eq!(puts, 2, "one retry, no more");
}

#[tokio::test]
async fn the_webhook_of_the_syncs_own_write_changes_nothing() {
    let (server, sync) = setup().await;
    Mock::given(method("GET"))
        .and(path(CLIENT_PATH))
        .respond_with(ResponseTemplate::new(200).set_body_json(client(3, "Lee")))
        .mount(&server)
        .await;
    // GHL holds what the sync wrote (last_written): the event is the echo of that write.
    let contact: WebhookContact = serde_json::from_value(json!({
        "id": CONTACT, "firstName": "Ann", "lastName": "Lee",
        "email": "ANN@example.com ", "phone": "+353 87 123 4567", "tags": ["phorest-client-id:cl-1"]
    }))
    .unwrap();
    let outcome = sync
        .apply(&InboundEvent::new("wh-2", "ContactUpdate", contact))
        .await
        .unwrap();
    assert_eq!(
        outcome,
        TwoWayOutcome::NoChange {
            client_id: CLIENT.into()
        }
    );
    assert!(requests(&server).await.is_empty(), "not even a read");
}
