//! Error mapping, retries, builder validation and secret redaction.

mod common;

use std::time::Duration;

use common::*;
use phorest_client::*;
use secrecy::SecretString;
use serde_json::json;
use wiremock::{Mock, MockServer, ResponseTemplate, matchers};

async fn respond_once(server: &MockServer, response: ResponseTemplate) {
    Mock::given(matchers::any())
        .respond_with(response)
        .up_to_n_times(1)
        .mount(server)
        .await;
}

async fn respond_always(server: &MockServer, response: ResponseTemplate) {
    Mock::given(matchers::any())
        .respond_with(response)
        .mount(server)
        .await;
}

fn walk_in_ok() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({"clientId": "walkin"}))
}

#[tokio::test]
async fn bad_request_carries_message_and_code_and_is_not_retried() {
    let server = MockServer::start().await;
    respond_always(
        &server,
        ResponseTemplate::new(400).set_body_json(json!({
            "message": "Staff member is not qualified for this service",
            "errorCode": "STAFF_UNQUALIFIED",
            "timestamp": "2025-01-01T00:00:00Z"
        })),
    )
    .await;
    let err = client(&server).clients().walk_in().await.unwrap_err();
    match &err {
        Error::BadRequest { message, code } => {
            assert_eq!(
                message.as_deref(),
                Some("Staff member is not qualified for this service")
            );
            assert_eq!(code.as_deref(), Some("STAFF_UNQUALIFIED"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(err.status(), Some(400));
    assert_eq!(err.code(), Some("STAFF_UNQUALIFIED"));
    assert!(!err.is_retryable());
    assert_eq!(requests(&server).await.len(), 1);
}

#[tokio::test]
async fn unauthorized_forbidden_not_found_and_other_statuses() {
    let server = MockServer::start().await;
    respond_once(
        &server,
        ResponseTemplate::new(401).set_body_string("Unauthorized"),
    )
    .await;
    respond_once(
        &server,
        ResponseTemplate::new(403).set_body_json(json!({"error": "Forbidden"})),
    )
    .await;
    respond_once(
        &server,
        ResponseTemplate::new(404)
            .set_body_json(json!({"detail": "Business with a given id doesn't exist"})),
    )
    .await;
    respond_once(
        &server,
        ResponseTemplate::new(412)
            .set_body_json(json!({"message": "Duplicate serial", "code": "DUPLICATE"})),
    )
    .await;
    let phorest = client(&server);
    // wiremock serves matching mocks in mount order; each answers once.
    match phorest.clients().walk_in().await.unwrap_err() {
        Error::Unauthorized { message: None } => {}
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        phorest.clients().walk_in().await.unwrap_err(),
        Error::Forbidden { .. }
    ));
    match phorest.clients().walk_in().await.unwrap_err() {
        Error::NotFound { message } => {
            assert_eq!(
                message.as_deref(),
                Some("Business with a given id doesn't exist")
            )
        }
        other => panic!("{other:?}"),
    }
    match phorest.clients().walk_in().await.unwrap_err() {
        Error::Api {
            status: 412,
            message,
            code,
            body_excerpt,
        } => {
            assert_eq!(message.as_deref(), Some("Duplicate serial"));
            assert_eq!(code.as_deref(), Some("DUPLICATE"));
            assert!(body_excerpt.contains("Duplicate serial"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(requests(&server).await.len(), 4);
}

#[tokio::test]
async fn rate_limited_then_success_honours_retry_after() {
    let server = MockServer::start().await;
    respond_once(
        &server,
        ResponseTemplate::new(429)
            .insert_header("Retry-After", "0")
            .set_body_json(
                json!({"message": "Request rate limit exceeded. Current limit set to 100 rps"}),
            ),
    )
    .await;
    respond_always(&server, walk_in_ok()).await;
    let c = client(&server).clients().walk_in().await.unwrap();
    assert_eq!(c.client_id.as_str(), "walkin");
    assert_eq!(requests(&server).await.len(), 2);
}

#[tokio::test]
async fn rate_limited_past_the_budget_reports_retry_after() {
    let server = MockServer::start().await;
    respond_always(
        &server,
        ResponseTemplate::new(429).insert_header("Retry-After", "0"),
    )
    .await;
    let err = client_with(&server, fast_retries(2))
        .clients()
        .walk_in()
        .await
        .unwrap_err();
    assert_eq!(err.retry_after(), Some(Duration::ZERO));
    assert!(matches!(err, Error::RateLimited { .. }));
    assert_eq!(requests(&server).await.len(), 2, "max_attempts in total");
}

#[tokio::test]
async fn a_retry_after_longer_than_max_delay_is_returned_at_once() {
    let server = MockServer::start().await;
    respond_always(
        &server,
        ResponseTemplate::new(429).insert_header("Retry-After", "7"),
    )
    .await;
    let err = client_with(&server, fast_retries(5))
        .clients()
        .walk_in()
        .await
        .unwrap_err();
    assert_eq!(err.retry_after(), Some(Duration::from_secs(7)));
    assert!(!err.may_have_been_applied());
    assert_eq!(requests(&server).await.len(), 1, "not waited out");
}

#[tokio::test]
async fn service_unavailable_is_retried_a_bounded_number_of_times() {
    let server = MockServer::start().await;
    respond_always(
        &server,
        ResponseTemplate::new(503).set_body_string("upstream down"),
    )
    .await;
    let err = client_with(&server, fast_retries(4))
        .clients()
        .walk_in()
        .await
        .unwrap_err();
    match &err {
        Error::Server {
            status: 503,
            body_excerpt,
            ..
        } => assert_eq!(body_excerpt, "upstream down"),
        other => panic!("{other:?}"),
    }
    assert!(err.is_retryable());
    assert_eq!(requests(&server).await.len(), 4);
}

#[tokio::test]
async fn html_bad_gateway_maps_by_status_and_is_retried() {
    let server = MockServer::start().await;
    let html = format!(
        "<html><body><h1>502 Bad Gateway</h1>{}</body></html>",
        "x".repeat(600)
    );
    respond_once(
        &server,
        ResponseTemplate::new(502).set_body_raw(html.clone(), "text/html"),
    )
    .await;
    respond_always(&server, walk_in_ok()).await;
    assert!(client(&server).clients().walk_in().await.is_ok());

    let server = MockServer::start().await;
    respond_always(
        &server,
        ResponseTemplate::new(502).set_body_raw(html, "text/html"),
    )
    .await;
    match client_with(&server, RetryPolicy::none())
        .clients()
        .walk_in()
        .await
        .unwrap_err()
    {
        Error::Server {
            status: 502,
            message: None,
            body_excerpt,
            operation,
            ..
        } => {
            assert!(body_excerpt.starts_with("<html><body><h1>502 Bad Gateway"));
            assert_eq!(
                body_excerpt.chars().count(),
                BODY_EXCERPT_LIMIT + 1,
                "truncated with an ellipsis"
            );
            assert_eq!(operation.to_string(), "GET /{businessId}/client/walk-in");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(requests(&server).await.len(), 1);
}

#[tokio::test]
async fn malformed_body_is_a_decode_error_with_path_and_excerpt() {
    let server = MockServer::start().await;
    respond_always(
        &server,
        ResponseTemplate::new(200)
            .set_body_json(json!({"clientId": "c1", "createdAt": "not a date"})),
    )
    .await;
    match client(&server).clients().walk_in().await.unwrap_err() {
        Error::Decode {
            operation,
            path,
            message,
            body_excerpt,
        } => {
            assert_eq!(operation.to_string(), "GET /{businessId}/client/walk-in");
            assert_eq!(path, "createdAt");
            assert!(message.contains("invalid instant"), "{message}");
            assert!(body_excerpt.starts_with("{\"clientId\":\"c1\""));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        requests(&server).await.len(),
        1,
        "a wrong shape is not retried"
    );
}

#[tokio::test]
async fn slow_responses_time_out() {
    let server = MockServer::start().await;
    respond_always(&server, walk_in_ok().set_delay(Duration::from_millis(500))).await;
    let phorest = PhorestClient::builder()
        .region(Region::Custom(server.uri().parse().unwrap()))
        .business_id(BUSINESS)
        .credentials(EMAIL, SecretString::from(PASSWORD))
        .pacing(Pacing::unlimited())
        .retry_policy(RetryPolicy::none())
        .timeout(Duration::from_millis(50))
        .build()
        .unwrap();
    let err = phorest.clients().walk_in().await.unwrap_err();
    let transport = err.transport().expect("a transport error");
    assert!(transport.is_timeout() && !transport.is_connect(), "{err:?}");
    assert!(err.is_retryable());
    assert!(!err.may_have_been_applied(), "a read");
    assert!(
        err.to_string().contains("GET /{businessId}/client/walk-in"),
        "{err}"
    );
    assert!(
        std::error::Error::source(&err).is_some(),
        "the cause is kept"
    );
}

#[tokio::test]
async fn connection_errors_are_transport_errors_after_retries() {
    let uri = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    }; // listener dropped: the port refuses connections
    let phorest = PhorestClient::builder()
        .region(Region::Custom(uri.parse().unwrap()))
        .business_id(BUSINESS)
        .credentials(EMAIL, SecretString::from(PASSWORD))
        .pacing(Pacing::unlimited())
        .retry_policy(fast_retries(2))
        .build()
        .unwrap();
    let err = phorest.clients().walk_in().await.unwrap_err();
    assert!(
        matches!(&err, Error::Transport(t) if t.is_connect()),
        "{err:?}"
    );
    assert!(err.is_retryable());
}

#[tokio::test]
async fn global_prefix_is_not_doubled() {
    let server = MockServer::start().await;
    Mock::given(matchers::header("authorization", AUTH))
        .respond_with(walk_in_ok())
        .expect(1)
        .mount(&server)
        .await;
    let phorest = PhorestClient::builder()
        .region(Region::Custom(server.uri().parse().unwrap()))
        .business_id(BUSINESS)
        .credentials(format!("global/{EMAIL}"), SecretString::from(PASSWORD))
        .build()
        .unwrap();
    phorest.clients().walk_in().await.unwrap();
    let req = &requests(&server).await[0];
    assert_eq!(req.url.path(), format!("/{BUSINESS}/client/walk-in"));
    assert_eq!(req.headers.get("accept").unwrap(), "application/json");
}

#[test]
fn builder_validates_its_input() {
    let base = || PhorestClient::builder().credentials(EMAIL, SecretString::from(PASSWORD));
    assert!(
        matches!(base().build(), Err(BuildError::MissingBusinessId)),
        "business id required"
    );
    assert!(matches!(
        base().business_id("  ").build(),
        Err(BuildError::MissingBusinessId)
    ));
    assert!(matches!(
        PhorestClient::builder().business_id("b").build(),
        Err(BuildError::MissingCredentials)
    ));
    let plain_http = base()
        .business_id("b")
        .region(Region::Custom("http://api.example.com/x".parse().unwrap()))
        .build();
    assert!(matches!(plain_http, Err(BuildError::InsecureBaseUrl)));
    let not_a_base = base()
        .business_id("b")
        .region(Region::Custom("mailto:a@b.c".parse().unwrap()))
        .build();
    assert!(matches!(not_a_base, Err(BuildError::InvalidBaseUrl(_))));
    // A build error converts into the call error type, for `?` in one function.
    let converted: Error = base().build().unwrap_err().into();
    assert!(matches!(
        converted,
        Error::Build(BuildError::MissingBusinessId)
    ));
    let eu = base().business_id("b").build().unwrap();
    assert_eq!(eu.base_url().as_str(), EU_BASE_URL);
    let us = base().business_id("b").region(Region::Us).build().unwrap();
    assert_eq!(us.base_url().as_str(), US_BASE_URL);
    assert_eq!(us.business_id().as_str(), "b");
}
