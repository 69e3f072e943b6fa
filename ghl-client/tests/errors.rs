//! Error mapping and retry behaviour against realistic GHL answers.

mod common;

use std::time::Duration;

use common::*;
use ghl_client::calendars::CreateAppointment;
use ghl_client::contacts::{CreateContact, CreateNote, UpdateContact, UpsertContact};
use ghl_client::products::{CreateProduct, ProductType};
use ghl_client::{ContactId, Error, RetryPolicy};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn contact() -> CreateContact {
    CreateContact::new().email("aoife@example.com")
}

#[tokio::test]
async fn validation_422_carries_every_field_message() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/contacts/"))
        .respond_with(ResponseTemplate::new(422).set_body_json(json!({
            "statusCode": 422,
            "message": ["email must be an email", "phone must be a valid phone number"],
            "error": "Unprocessable Entity"
        })))
        .expect(1)
        .mount(&server)
        .await;
    mount_catch_all(&server).await;
    let error = pit_client(&server)
        .contacts()
        .create(&contact())
        .await
        .unwrap_err();
    let Error::Validation { api } = &error else {
        panic!("expected Validation, got {error:?}");
    };
    assert_eq!(
        api.messages,
        [
            "email must be an email",
            "phone must be a valid phone number"
        ]
    );
    assert_eq!(api.error.as_deref(), Some("Unprocessable Entity"));
    assert_eq!(error.status(), Some(422));
    assert!(!error.is_retryable());
    assert!(!error.may_have_been_applied());
    assert!(error.to_string().contains("POST /contacts/ answered 422"));
}

#[tokio::test]
async fn validation_with_a_single_string_message() {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .and(path("/contacts/c-1"))
        .respond_with(ResponseTemplate::new(422).set_body_json(json!({
            "statusCode": 422, "message": "dateOfBirth is invalid"
        })))
        .expect(1)
        .mount(&server)
        .await;
    mount_catch_all(&server).await;
    let error = pit_client(&server)
        .contacts()
        .update(&ContactId::from("c-1"), &UpdateContact::new())
        .await
        .unwrap_err();
    assert_eq!(error.message(), Some("dateOfBirth is invalid"));
    assert!(matches!(error, Error::Validation { .. }));
}

#[tokio::test]
async fn duplicate_contact_400_carries_existing_id_and_field() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/contacts/"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "statusCode": 400,
            "message": "This location does not allow duplicated contacts.",
            "meta": {"contactName": "Aoife Byrne", "contactId": "c-existing", "matchingField": "email"},
            "traceId": "abc"
        })))
        .expect(1)
        .mount(&server)
        .await;
    mount_catch_all(&server).await;
    let error = pit_client(&server)
        .contacts()
        .create(&contact())
        .await
        .unwrap_err();
    match &error {
        Error::DuplicateContact {
            existing_contact_id,
            matching_field,
            api,
        } => {
            assert_eq!(existing_contact_id, &Some(ContactId::from("c-existing")));
            assert_eq!(matching_field.as_deref(), Some("email"));
            assert_eq!(api.status, 400);
        }
        other => panic!("expected DuplicateContact, got {other:?}"),
    }
    assert!(!error.may_have_been_applied());
}

#[tokio::test]
async fn not_found_and_forbidden_and_other_statuses() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/contacts/missing"))
        .respond_with(
            ResponseTemplate::new(404)
                .set_body_json(json!({"statusCode": 404, "message": "Contact not found"})),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/contacts/other-location"))
        .respond_with(ResponseTemplate::new(403).set_body_json(json!({"statusCode": 403, "message": "The token does not have access to this location."})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/contacts/teapot"))
        .respond_with(ResponseTemplate::new(409).set_body_string(""))
        .mount(&server)
        .await;
    mount_catch_all(&server).await;
    let client = pit_client(&server);
    let e = client.contacts().get(&"missing".into()).await.unwrap_err();
    assert!(matches!(e, Error::NotFound { .. }), "{e:?}");
    assert_eq!(e.message(), Some("Contact not found"));
    let e = client
        .contacts()
        .get(&"other-location".into())
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Forbidden { .. }), "{e:?}");
    let e = client.contacts().get(&"teapot".into()).await.unwrap_err();
    assert!(matches!(e, Error::Api { .. }), "{e:?}");
    assert_eq!(e.status(), Some(409));
    assert_eq!(e.message(), Some("Conflict"));
}

#[tokio::test]
async fn html_502_pages_are_server_errors_and_idempotent_calls_retry_within_bounds() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/contacts/c-1"))
        .respond_with(
            ResponseTemplate::new(502)
                .set_body_string("<html><body><h1>502 Bad Gateway</h1></body></html>"),
        )
        .expect(3) // fast_retry(): 3 attempts in total
        .mount(&server)
        .await;
    mount_catch_all(&server).await;
    let error = pit_client(&server)
        .contacts()
        .get(&ContactId::from("c-1"))
        .await
        .unwrap_err();
    let Error::Server { api, .. } = &error else {
        panic!("expected Server, got {error:?}");
    };
    assert_eq!(api.status, 502);
    assert_eq!(api.message, "Bad Gateway");
    assert!(api.body_excerpt.contains("502 Bad Gateway"));
    assert!(error.is_retryable());
    assert!(!error.may_have_been_applied(), "a GET changes nothing");
}

#[tokio::test]
async fn transient_5xx_then_success_is_retried_for_upsert() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/contacts/upsert"))
        .respond_with(
            ResponseTemplate::new(503)
                .set_body_json(json!({"statusCode": 503, "message": "Service Unavailable"})),
        )
        .up_to_n_times(1)
        .expect(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/contacts/upsert"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"new": true, "contact": {"id": "c-1"}})),
        )
        .expect(1)
        .mount(&server)
        .await;
    mount_catch_all(&server).await;
    let outcome = pit_client(&server)
        .contacts()
        .upsert(&UpsertContact::new().email("aoife@example.com"))
        .await
        .unwrap();
    assert_eq!(outcome.contact.id.as_str(), "c-1");
}

#[tokio::test]
async fn creates_that_get_a_500_are_not_retried_and_may_have_been_applied() {
    let server = MockServer::start().await;
    for create_path in [
        "/contacts/",
        "/contacts/c-1/notes",
        "/calendars/events/appointments",
        "/products/",
    ] {
        Mock::given(method("POST"))
            .and(path(create_path))
            .respond_with(
                ResponseTemplate::new(500)
                    .set_body_json(json!({"statusCode": 500, "message": "Internal server error"})),
            )
            .expect(1)
            .mount(&server)
            .await;
    }
    mount_catch_all(&server).await;
    let client = pit_client(&server);
    let start = chrono::DateTime::parse_from_rfc3339("2025-03-30T10:00:00+01:00").unwrap();
    let errors = vec![
        client.contacts().create(&contact()).await.unwrap_err(),
        client
            .contacts()
            .create_note(&"c-1".into(), &CreateNote::new("x"))
            .await
            .unwrap_err(),
        client
            .calendars()
            .create_appointment(&CreateAppointment::new("cal", "c-1", start, start))
            .await
            .unwrap_err(),
        client
            .products()
            .create(&CreateProduct::new("Oil", ProductType::Physical))
            .await
            .unwrap_err(),
    ];
    for error in errors {
        assert!(matches!(error, Error::Server { .. }), "{error:?}");
        assert!(error.may_have_been_applied(), "{error:?}");
    }
}

#[tokio::test]
async fn rate_limited_429_with_headers_then_success() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/contacts/"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("X-RateLimit-Max", "100")
                .insert_header("X-RateLimit-Remaining", "0")
                .insert_header("X-RateLimit-Interval-Milliseconds", "40")
                .insert_header("X-RateLimit-Daily-Remaining", "150000")
                .set_body_json(json!({"statusCode": 429, "message": "Too Many Requests"})),
        )
        .up_to_n_times(1)
        .expect(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/contacts/"))
        .respond_with(
            ResponseTemplate::new(201)
                .insert_header("X-RateLimit-Max", "100")
                .insert_header("X-RateLimit-Remaining", "99")
                .insert_header("X-RateLimit-Interval-Milliseconds", "40")
                .set_body_json(json!({"contact": {"id": "c-1"}})),
        )
        .expect(1)
        .mount(&server)
        .await;
    mount_catch_all(&server).await;
    let client = pit_client(&server);
    // A create is retried on 429: the server did not apply it.
    let created = client.contacts().create(&contact()).await.unwrap();
    assert_eq!(created.id.as_str(), "c-1");
    assert_eq!(
        client.rate_limiter().current_limit(),
        (100, Duration::from_millis(40))
    );
    assert_eq!(client.rate_limiter().daily_remaining(), Some(150000));
}

#[tokio::test]
async fn rate_limited_with_a_too_long_retry_after_is_returned() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/contacts/c-1"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("Retry-After", "3600")
                .set_body_json(json!({"statusCode": 429, "message": "Too Many Requests"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    mount_catch_all(&server).await;
    let error = pit_client(&server)
        .contacts()
        .get(&"c-1".into())
        .await
        .unwrap_err();
    assert_eq!(error.retry_after(), Some(Duration::from_secs(3600)));
    assert!(matches!(error, Error::RateLimited { .. }));
    assert!(!error.may_have_been_applied());
}

#[tokio::test]
async fn daily_budget_exhausted_stops_without_sending() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/contacts/c-1"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("X-RateLimit-Daily-Remaining", "0")
                .set_body_json(json!({"contact": {"id": "c-1"}})),
        )
        .expect(1)
        .mount(&server)
        .await;
    mount_catch_all(&server).await;
    let client = pit_client(&server);
    client.contacts().get(&"c-1".into()).await.unwrap();
    let error = client.contacts().get(&"c-1".into()).await.unwrap_err();
    assert!(matches!(error, Error::DailyLimitExhausted), "{error:?}");
}

#[tokio::test]
async fn undecodable_success_body_is_a_decode_error_with_path() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/contacts/c-1"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"contact": {"id": "c-1", "tags": "not-a-list"}})),
        )
        .expect(1)
        .mount(&server)
        .await;
    mount_catch_all(&server).await;
    let error = pit_client(&server)
        .contacts()
        .get(&"c-1".into())
        .await
        .unwrap_err();
    match &error {
        Error::Decode {
            operation,
            path,
            status,
            message,
            ..
        } => {
            assert_eq!(operation, "GET /contacts/{id}");
            assert_eq!(path, "contact.tags");
            assert_eq!(*status, 200);
            assert!(message.contains("expected a sequence"), "{message}");
        }
        other => panic!("expected Decode, got {other:?}"),
    }
}

#[tokio::test]
async fn connect_errors_are_retried_even_for_creates_then_reported_unsent() {
    // Bind a port, then free it: nothing listens there.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    let client = ghl_client::GhlClient::builder()
        .base_url(format!("http://{address}"))
        .location_id(LOCATION)
        .auth(ghl_client::Auth::private_token(TOKEN.into(), all_scopes()))
        .retry_policy(
            RetryPolicy::default()
                .max_attempts(2)
                .base_delay(Duration::from_millis(1))
                .max_delay(Duration::from_millis(2)),
        )
        .build()
        .unwrap();
    let error = client.contacts().create(&contact()).await.unwrap_err();
    let Error::Transport(transport) = &error else {
        panic!("expected Transport, got {error:?}");
    };
    assert!(transport.is_connect() && !transport.was_sent(), "{error:?}");
    assert!(!transport.is_timeout());
    assert_eq!(transport.operation(), "POST /contacts/");
    // The cause stays reachable (opaque, but on the source chain).
    assert!(std::error::Error::source(&error).is_some());
    assert!(!error.may_have_been_applied());
    assert!(error.is_retryable());
}

fn client_with_timeout(server: &MockServer, timeout: Duration) -> ghl_client::GhlClient {
    ghl_client::GhlClient::builder()
        .base_url(server.uri())
        .location_id(LOCATION)
        .auth(ghl_client::Auth::private_token(TOKEN.into(), all_scopes()))
        .retry_policy(fast_retry())
        .timeout(timeout)
        .build()
        .unwrap()
}

#[tokio::test]
async fn timeouts_retry_reads_but_not_creates() {
    let server = MockServer::start().await;
    let slow = ResponseTemplate::new(200)
        .set_delay(Duration::from_millis(400))
        .set_body_json(json!({"contact": {"id": "c-1"}}));
    Mock::given(method("GET"))
        .and(path("/contacts/c-1"))
        .respond_with(slow.clone())
        .expect(3)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/contacts/"))
        .respond_with(slow)
        .expect(1)
        .mount(&server)
        .await;
    mount_catch_all(&server).await;
    let client = client_with_timeout(&server, Duration::from_millis(40));
    let read = client.contacts().get(&"c-1".into()).await.unwrap_err();
    assert!(
        matches!(&read, Error::Transport(t) if t.is_timeout()),
        "{read:?}"
    );
    assert!(
        read.to_string().contains("GET /contacts/{id} timed out"),
        "{read}"
    );
    let create = client.contacts().create(&contact()).await.unwrap_err();
    assert!(
        matches!(&create, Error::Transport(t) if t.is_timeout() && t.was_sent()),
        "{create:?}"
    );
    assert!(create.may_have_been_applied());
}

#[tokio::test]
async fn a_plain_400_is_a_validation_error_with_its_message() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/contacts/upsert"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "statusCode": 400, "message": "Missing email/phone", "error": "Bad Request"
        })))
        .expect(1)
        .mount(&server)
        .await;
    mount_catch_all(&server).await;
    let error = pit_client(&server)
        .contacts()
        .upsert(&UpsertContact::new())
        .await
        .unwrap_err();
    let Error::Validation { api } = &error else {
        panic!("expected Validation, got {error:?}");
    };
    assert_eq!(api.status, 400);
    assert_eq!(api.messages, ["Missing email/phone"]);
    assert!(!error.is_retryable());
}
