//! One `ghl.request` span per request, with the path template, status and attempt count, and no
//! PII or token in any span or event.

mod common;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use common::*;
use ghl_client::contacts::{CreateContact, UpsertContact};
use serde_json::json;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[derive(Clone, Debug, Default)]
struct Captured {
    /// (span id, span name, fields as `name=value`)
    spans: Vec<(u64, String, Vec<String>)>,
    /// Every event's fields, flattened.
    events: Vec<String>,
}

#[derive(Clone, Default)]
struct Recorder {
    next: Arc<AtomicU64>,
    captured: Arc<Mutex<Captured>>,
}

struct Fields<'a>(&'a mut Vec<String>);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.push(format!("{}={:?}", field.name(), value));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.push(format!("{}={}", field.name(), value));
    }
}

impl Subscriber for Recorder {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, span: &Attributes<'_>) -> Id {
        let id = self.next.fetch_add(1, Ordering::SeqCst) + 1;
        let mut fields = Vec::new();
        span.record(&mut Fields(&mut fields));
        self.captured
            .lock()
            .unwrap()
            .spans
            .push((id, span.metadata().name().to_owned(), fields));
        Id::from_u64(id)
    }
    fn record(&self, span: &Id, values: &Record<'_>) {
        let mut captured = self.captured.lock().unwrap();
        if let Some(entry) = captured.spans.iter_mut().find(|s| s.0 == span.into_u64()) {
            values.record(&mut Fields(&mut entry.2));
        }
    }
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut fields = Vec::new();
        event.record(&mut Fields(&mut fields));
        self.captured.lock().unwrap().events.push(fields.join(" "));
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

#[tokio::test]
async fn one_span_per_request_with_template_status_attempts_and_no_pii() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/contacts/upsert"))
        .respond_with(ResponseTemplate::new(500).set_body_json(json!({"message": "oops"})))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/contacts/upsert"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"new": true, "contact": {
                "id": "c-1", "email": "aoife@example.com", "phone": "+353871234567"
            }})),
        )
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/contacts/"))
        .respond_with(ResponseTemplate::new(422).set_body_json(json!({
            "statusCode": 422, "message": ["email must be an email"]
        })))
        .mount(&server)
        .await;
    mount_catch_all(&server).await;

    let recorder = Recorder::default();
    let _guard = tracing::subscriber::set_default(recorder.clone());
    let client = pit_client(&server);
    let request = UpsertContact::new()
        .email("aoife@example.com")
        .phone("+353871234567");
    client.contacts().upsert(&request).await.unwrap();
    client
        .contacts()
        .create(&CreateContact::from(&request))
        .await
        .unwrap_err();

    let captured = recorder.captured.lock().unwrap().clone();
    let requests: Vec<_> = captured
        .spans
        .iter()
        .filter(|s| s.1 == "ghl.request")
        .collect();
    assert_eq!(requests.len(), 2, "{:?}", captured.spans);
    let upsert = &requests[0].2;
    for expected in [
        "method=POST",
        "path=/contacts/upsert",
        "status=200",
        "attempts=2",
    ] {
        assert!(
            upsert.iter().any(|f| f == expected),
            "{expected} in {upsert:?}"
        );
    }
    assert!(upsert.iter().any(|f| f.starts_with("latency_ms=")));
    let create = &requests[1].2;
    assert!(create.iter().any(|f| f == "path=/contacts/"), "{create:?}");
    assert!(create.iter().any(|f| f == "status=422"), "{create:?}");

    let everything = format!("{:?} {:?}", captured.spans, captured.events);
    for secret in ["aoife@example.com", "+353871234567", "353871234567", TOKEN] {
        assert!(
            !everything.contains(secret),
            "{secret} leaked: {everything}"
        );
    }
}
