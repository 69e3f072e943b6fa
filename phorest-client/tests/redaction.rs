//! Secret redaction: the password (and the API user) never appear in `Debug`, errors or logs.
//! Its own test binary, so no parallel test races the `tracing` callsite cache.

mod common;

use std::sync::{Arc, Mutex};

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

/// A `tracing` writer that keeps everything in memory.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn the_password_never_appears_in_debug_errors_or_logs() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let server = MockServer::start().await;
    respond_once(
        &server,
        ResponseTemplate::new(401).set_body_json(json!({"message": "Bad credentials"})),
    )
    .await;
    respond_once(&server, ResponseTemplate::new(503)).await;
    Mock::given(matchers::any())
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"clientId": "walkin"})))
        .mount(&server)
        .await;

    let builder = PhorestClient::builder()
        .region(Region::Custom(server.uri().parse().unwrap()))
        .business_id(BUSINESS)
        .credentials(EMAIL, SecretString::from(PASSWORD))
        .pacing(Pacing::unlimited())
        .retry_policy(fast_retries(3));
    let builder_debug = format!("{builder:?}");
    let phorest = builder.build().unwrap();
    let err = phorest.clients().walk_in().await.unwrap_err();
    phorest.clients().walk_in().await.unwrap();

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let texts = [
        builder_debug,
        format!("{phorest:?}"),
        format!("{err}"),
        format!("{err:?}"),
        logs.clone(),
    ];
    let basic = AUTH.trim_start_matches("Basic ");
    for text in &texts {
        assert!(!text.contains(PASSWORD), "password leaked: {text}");
        assert!(!text.contains(basic), "auth header leaked: {text}");
        assert!(!text.contains(EMAIL), "API user leaked: {text}");
    }
    assert!(texts[1].contains("[redacted]"));
    // The request span names the route template, status and attempts (no ids, no PII).
    assert!(logs.contains("phorest.request"), "{logs}");
    assert!(logs.contains("/{businessId}/client/walk-in"), "{logs}");
    assert!(
        logs.contains("status=503") && logs.contains("attempts=2"),
        "{logs}"
    );
}
