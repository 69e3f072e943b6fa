//! The sandbox sends signed webhooks for the changes made through its API; a local receiver
//! gets them and the verifier checks them, genuine, forged, replayed, stale and unsigned.
#![cfg(feature = "mock")]

use std::time::Duration;

use ghl_client::contacts::{CreateContact, UpdateContact};
use ghl_client::mock::{
    DeliveryStatus, DeliveryTamper, GhlSandbox, SandboxConfig, SeedCalendar, SeedUser,
    WebhookSignatures,
};
use ghl_client::webhooks::{
    SignatureScheme, WebhookError, WebhookEvent, WebhookEventType, WebhookVerifier,
};
use ghl_client::{GhlClient, LocationId};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot};

/// Generous bound for a delivery to arrive: a safety net against a hung test, never a measure.
const PATIENCE: Duration = Duration::from_secs(30);

const SCOPES: &[&str] = &[
    "contacts.readonly",
    "contacts.write",
    "calendars.readonly",
    "calendars/events.readonly",
    "calendars/events.write",
    "products.readonly",
    "products.write",
    "products/prices.readonly",
    "products/prices.write",
];

/// One request the receiver got.
#[derive(Debug)]
struct Received {
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

/// A minimal HTTP/1.1 receiver on a local port: every request is passed on, answered 200
/// (after `hold` is released, when one is given for the first request).
async fn receiver(
    hold: Option<oneshot::Receiver<()>>,
) -> (String, mpsc::UnboundedReceiver<Received>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/ghl/webhooks", listener.local_addr().unwrap());
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut hold = hold;
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(serve(stream, tx.clone(), hold.take()));
        }
    });
    (url, rx)
}

async fn serve(
    stream: TcpStream,
    tx: mpsc::UnboundedSender<Received>,
    mut hold: Option<oneshot::Receiver<()>>,
) {
    let mut reader = BufReader::new(stream);
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).await.unwrap_or(0) == 0 {
            return;
        }
        let path = line
            .split_whitespace()
            .nth(1)
            .unwrap_or_default()
            .to_owned();
        let mut headers = Vec::new();
        let mut length = 0;
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header).await.unwrap_or(0) == 0 {
                return;
            }
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                let (name, value) = (name.trim().to_ascii_lowercase(), value.trim().to_owned());
                if name == "content-length" {
                    length = value.parse().unwrap_or(0);
                }
                headers.push((name, value));
            }
        }
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).await.is_err() {
            return;
        }
        let _ = tx.send(Received {
            path,
            headers,
            body,
        });
        if let Some(release) = hold.take() {
            let _ = release.await;
        }
        let answer = b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n";
        if reader.get_mut().write_all(answer).await.is_err() {
            return;
        }
    }
}

async fn next(rx: &mut mpsc::UnboundedReceiver<Received>) -> Received {
    tokio::time::timeout(PATIENCE, rx.recv())
        .await
        .expect("a webhook delivery")
        .expect("the receiver is running")
}

fn client(sandbox: &GhlSandbox) -> GhlClient {
    let token = sandbox.issue_private_token(SCOPES.iter().copied());
    sandbox.client_builder(&token).build().unwrap()
}

#[tokio::test]
async fn contact_create_and_update_through_the_sdk_arrive_signed_and_verify() {
    let sandbox = GhlSandbox::start(SandboxConfig::default()).await;
    let (url, mut inbox) = receiver(None).await;
    sandbox.register_webhook(&url);
    let ghl = client(&sandbox);

    let created = ghl
        .contacts()
        .create(
            &CreateContact::new()
                .first_name("Ada")
                .last_name("Byrne")
                .email("ada@example.com"),
        )
        .await
        .unwrap();
    let updated = ghl
        .contacts()
        .update(
            &created.id,
            &UpdateContact::new().email("ada.byrne@example.com"),
        )
        .await
        .unwrap();
    assert_eq!(
        updated.and_then(|c| c.email).as_deref(),
        Some("ada.byrne@example.com")
    );

    let verifier = sandbox.webhook_verifier();
    let first = next(&mut inbox).await;
    let second = next(&mut inbox).await;
    assert_eq!(first.path, "/ghl/webhooks");
    let names: Vec<&str> = first.headers.iter().map(|(k, _)| k.as_str()).collect();
    assert!(names.contains(&"x-ghl-signature") && names.contains(&"x-wh-signature"));

    let create = verifier.verify(&first.headers, &first.body).await.unwrap();
    assert_eq!(create.scheme, SignatureScheme::Ed25519);
    assert_eq!(
        create.envelope.location_id,
        Some(LocationId::from(sandbox.location_id()))
    );
    match &create.event {
        WebhookEvent::ContactCreate(c) => {
            assert_eq!(c.id.as_ref(), Some(&created.id));
            assert_eq!(c.email.as_deref(), Some("ada@example.com"));
            assert_eq!(c.first_name.as_deref(), Some("Ada"));
            assert_eq!(c.name.as_deref(), Some("Ada Byrne"));
        }
        other => panic!("expected ContactCreate, got {other:?}"),
    }
    let update = verifier
        .verify(&second.headers, &second.body)
        .await
        .unwrap();
    match &update.event {
        WebhookEvent::ContactUpdate(c) => {
            assert_eq!(c.id.as_ref(), Some(&created.id));
            assert_eq!(c.email.as_deref(), Some("ada.byrne@example.com"));
        }
        other => panic!("expected ContactUpdate, got {other:?}"),
    }
    assert_ne!(create.envelope.webhook_id, update.envelope.webhook_id);

    // The RSA signature alone verifies too (a verifier without Ed25519 keys reads it).
    let rsa_only = WebhookVerifier::builder()
        .keys([sandbox.webhook_signer().rsa_public_key().clone()])
        .without_replay_store()
        .build();
    let by_rsa = rsa_only.verify(&first.headers, &first.body).await.unwrap();
    assert_eq!(by_rsa.scheme, SignatureScheme::RsaSha256);
    // HighLevel's real keys do not trust the sandbox.
    let real = WebhookVerifier::builder().build();
    assert!(matches!(
        real.verify(&first.headers, &first.body).await.unwrap_err(),
        WebhookError::BadSignature { .. }
    ));

    let log = sandbox.wait_for_webhook_deliveries(2, PATIENCE).await;
    assert_eq!(log.len(), 2);
    assert!(
        log.iter()
            .all(|d| d.status == DeliveryStatus::Delivered { status: 200 })
    );
    assert_eq!(log[0].event_type, WebhookEventType::ContactCreate);
    assert_eq!(log[1].body.as_deref(), Some(second.body.as_slice()));
}

#[tokio::test]
async fn forged_replayed_stale_future_and_unsigned_deliveries_are_refused() {
    let sandbox = GhlSandbox::start(SandboxConfig::default()).await;
    let (url, mut inbox) = receiver(None).await;
    sandbox.register_webhook_for(&url, [WebhookEventType::ContactCreate]);
    sandbox.tamper_next_webhooks([
        DeliveryTamper::Forged,
        DeliveryTamper::Replayed,
        DeliveryTamper::Stale,
        DeliveryTamper::Future,
        DeliveryTamper::Unsigned,
    ]);
    let ghl = client(&sandbox);
    for n in 0..6 {
        ghl.contacts()
            .create(
                &CreateContact::new()
                    .first_name(format!("Guest {n}"))
                    .email(format!("guest{n}@example.com")),
            )
            .await
            .unwrap();
    }
    let verifier = sandbox.webhook_verifier();
    let mut outcomes = Vec::new();
    // Six creates, one of them sent twice: seven POSTs.
    for _ in 0..7 {
        let got = next(&mut inbox).await;
        outcomes.push(verifier.verify(&got.headers, &got.body).await);
    }
    assert!(
        matches!(&outcomes[0], Err(WebhookError::BadSignature { .. })),
        "forged: {:?}",
        outcomes[0]
    );
    assert!(
        outcomes[1].is_ok(),
        "replayed, first copy: {:?}",
        outcomes[1]
    );
    assert!(
        matches!(&outcomes[2], Err(e) if e.is_duplicate()),
        "replayed, second copy: {:?}",
        outcomes[2]
    );
    assert!(
        matches!(&outcomes[3], Err(WebhookError::StaleTimestamp { .. })),
        "stale: {:?}",
        outcomes[3]
    );
    assert!(
        matches!(&outcomes[4], Err(WebhookError::FutureTimestamp { .. })),
        "future: {:?}",
        outcomes[4]
    );
    assert!(
        matches!(&outcomes[5], Err(WebhookError::MissingSignature { .. })),
        "unsigned: {:?}",
        outcomes[5]
    );
    match &outcomes[6] {
        Ok(delivery) => match &delivery.event {
            WebhookEvent::ContactCreate(c) => {
                assert_eq!(c.email.as_deref(), Some("guest5@example.com"));
            }
            other => panic!("expected ContactCreate, got {other:?}"),
        },
        Err(e) => panic!("the genuine delivery after the tamperings: {e}"),
    }

    let log = sandbox.wait_for_webhook_deliveries(7, PATIENCE).await;
    let tampers: Vec<_> = log.iter().map(|d| (d.tamper, d.replay)).collect();
    assert_eq!(
        tampers,
        vec![
            (Some(DeliveryTamper::Forged), false),
            (Some(DeliveryTamper::Replayed), false),
            (Some(DeliveryTamper::Replayed), true),
            (Some(DeliveryTamper::Stale), false),
            (Some(DeliveryTamper::Future), false),
            (Some(DeliveryTamper::Unsigned), false),
            (None, false),
        ]
    );
    assert_eq!(log[1].webhook_id, log[2].webhook_id);
    assert_eq!(log[1].body, log[2].body);
}

/// Plain HTTP calls to the sandbox (the requests any client would send).
struct Api {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Api {
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        version: &str,
        body: Option<Value>,
    ) -> Value {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .header("Version", version);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "{path}: {status} {body}");
        body
    }
}

#[tokio::test]
async fn every_write_sends_its_event_with_the_documented_shape() {
    let stylist = SeedUser::new("Ann", "Lee", "ann@salon.example");
    let calendar = SeedCalendar::new("Salon").team_member(&stylist.id);
    let calendar_id = calendar.id.clone();
    let sandbox = GhlSandbox::start(
        SandboxConfig::default()
            .with_user(stylist.clone())
            .with_calendar(calendar),
    )
    .await;
    let (url, mut inbox) = receiver(None).await;
    sandbox.register_webhook(&url);
    sandbox.set_webhook_signatures(WebhookSignatures::Ed25519Only);
    let _ = rustls::crypto::ring::default_provider().install_default();
    let api = Api {
        http: reqwest::Client::new(),
        base: sandbox.base_url(),
        token: sandbox.issue_private_token(SCOPES.iter().copied()),
    };
    let loc = sandbox.location_id().to_owned();
    use reqwest::Method as M;
    const V1: &str = "2021-07-28";
    const V2: &str = "2021-04-15";

    let contact = api
        .call(
            M::POST,
            "/contacts/",
            V1,
            Some(json!({"locationId": loc, "firstName": "Cy", "email": "cy@example.com"})),
        )
        .await;
    let cid = contact["contact"]["id"].as_str().unwrap().to_owned();
    api.call(
        M::POST,
        &format!("/contacts/{cid}/tags"),
        V1,
        Some(json!({"tags": ["VIP"]})),
    )
    .await;
    api.call(
        M::PUT,
        &format!("/contacts/{cid}"),
        V1,
        Some(json!({"dnd": true, "dndSettings": {"SMS": {"status": "active"}}})),
    )
    .await;
    let note = api
        .call(
            M::POST,
            &format!("/contacts/{cid}/notes"),
            V1,
            Some(json!({"body": "Prefers mornings"})),
        )
        .await;
    let nid = note["note"]["id"].as_str().unwrap().to_owned();
    api.call(
        M::PUT,
        &format!("/contacts/{cid}/notes/{nid}"),
        V1,
        Some(json!({"body": "Prefers evenings"})),
    )
    .await;
    api.call(M::DELETE, &format!("/contacts/{cid}/notes/{nid}"), V1, None)
        .await;
    let appointment = api
        .call(
            M::POST,
            "/calendars/events/appointments",
            V2,
            Some(json!({"calendarId": calendar_id, "locationId": loc, "contactId": cid,
                        "startTime": "2025-03-30T10:00:00+01:00", "endTime": "2025-03-30T10:45:00+01:00",
                        "title": "Cut", "assignedUserId": stylist.id, "toNotify": false})),
        )
        .await;
    let aid = appointment["id"].as_str().unwrap().to_owned();
    api.call(
        M::PUT,
        &format!("/calendars/events/appointments/{aid}"),
        V2,
        Some(json!({"appointmentStatus": "cancelled"})),
    )
    .await;
    api.call(
        M::DELETE,
        &format!("/calendars/events/{aid}"),
        V2,
        Some(json!({})),
    )
    .await;
    let product = api
        .call(
            M::POST,
            "/products/",
            V1,
            Some(json!({"locationId": loc, "name": "Shampoo", "productType": "PHYSICAL"})),
        )
        .await;
    let pid = product["_id"].as_str().unwrap().to_owned();
    api.call(
        M::PUT,
        &format!("/products/{pid}"),
        V1,
        Some(json!({"locationId": loc, "name": "Shampoo 300ml", "productType": "PHYSICAL"})),
    )
    .await;
    let price = api
        .call(M::POST, &format!("/products/{pid}/price"), V1, Some(json!({"locationId": loc, "name": "Retail", "type": "one_time", "currency": "EUR", "amount": 12.5})))
        .await;
    let prid = price["_id"].as_str().unwrap().to_owned();
    api.call(M::PUT, &format!("/products/{pid}/price/{prid}"), V1, Some(json!({"locationId": loc, "name": "Retail", "type": "one_time", "currency": "EUR", "amount": 14.0})))
        .await;
    api.call(
        M::DELETE,
        &format!("/products/{pid}?locationId={loc}"),
        V1,
        None,
    )
    .await;
    api.call(M::DELETE, &format!("/contacts/{cid}"), V1, None)
        .await;

    use WebhookEventType as T;
    let expected = [
        T::ContactCreate,
        T::ContactTagUpdate,
        T::ContactUpdate,
        T::ContactDndUpdate,
        T::NoteCreate,
        T::NoteUpdate,
        T::NoteDelete,
        T::AppointmentCreate,
        T::AppointmentUpdate,
        T::AppointmentDelete,
        T::ProductCreate,
        T::ProductUpdate,
        T::PriceCreate,
        T::PriceUpdate,
        T::ProductDelete,
        T::ContactDelete,
    ];
    let verifier = sandbox.webhook_verifier();
    let mut events = Vec::new();
    for want in &expected {
        let got = next(&mut inbox).await;
        assert!(
            got.headers.iter().all(|(k, _)| k != "x-wh-signature"),
            "Ed25519 only"
        );
        let delivery = verifier
            .verify(&got.headers, &got.body)
            .await
            .unwrap_or_else(|e| panic!("{want}: {e}"));
        assert_eq!(delivery.event_type(), want);
        events.push(delivery.event);
    }
    let contact_id = Some(ghl_client::ContactId::from(cid.as_str()));
    for event in &events {
        match event {
            WebhookEvent::ContactTagUpdate(c) => assert_eq!(c.tags, vec!["vip"]),
            WebhookEvent::ContactDndUpdate(c) => {
                assert_eq!(c.dnd, Some(true));
                let sms = c.dnd_settings.as_ref().unwrap().sms.as_ref().unwrap();
                assert_eq!(sms.status.as_ref().map(|s| s.as_str()), Some("active"));
            }
            WebhookEvent::NoteUpdate(n) => {
                assert_eq!(n.body.as_deref(), Some("Prefers evenings"));
                assert_eq!(n.contact_id, contact_id);
            }
            WebhookEvent::NoteDelete(n) => {
                assert_eq!(n.id.as_ref().map(|i| i.as_str()), Some(nid.as_str()))
            }
            WebhookEvent::AppointmentCreate(a) => {
                let a = a.appointment.as_ref().unwrap();
                assert_eq!(a.contact_id, contact_id);
                assert_eq!(a.start_time.as_deref(), Some("2025-03-30T10:00:00+01:00"));
                assert_eq!(a.users.len(), 1);
            }
            WebhookEvent::AppointmentUpdate(a) => {
                let status = a.appointment.as_ref().unwrap().appointment_status.clone();
                assert_eq!(
                    status.map(|s| s.as_str().to_owned()).as_deref(),
                    Some("cancelled")
                );
            }
            WebhookEvent::AppointmentDelete(a) => {
                assert_eq!(
                    a.appointment
                        .as_ref()
                        .unwrap()
                        .id
                        .as_ref()
                        .map(|i| i.as_str()),
                    Some(aid.as_str())
                );
            }
            WebhookEvent::ProductUpdate(p) => assert_eq!(p.name.as_deref(), Some("Shampoo 300ml")),
            WebhookEvent::PriceUpdate(p) => {
                assert_eq!(p.amount, Some(14.0));
                assert_eq!(p.price_type.as_ref().map(|t| t.as_str()), Some("one_time"));
                assert_eq!(p.product.as_ref().map(|i| i.as_str()), Some(pid.as_str()));
            }
            WebhookEvent::ContactDelete(c) => {
                assert_eq!(c.id, contact_id);
                assert_eq!(c.email.as_deref(), Some("cy@example.com"));
            }
            _ => {}
        }
    }
    // Nothing else was sent.
    assert!(inbox.try_recv().is_err());
    assert_eq!(sandbox.webhook_deliveries().len(), expected.len());
}

#[tokio::test]
async fn deliveries_never_hold_up_or_fail_the_api() {
    let sandbox = GhlSandbox::start(SandboxConfig::default()).await;
    // The receiver takes the first delivery and does not answer until released.
    let (release, hold) = oneshot::channel();
    let (url, mut inbox) = receiver(Some(hold)).await;
    sandbox.register_webhook(&url);
    let ghl = client(&sandbox);
    let create = |n: u32| {
        CreateContact::new()
            .first_name(format!("P{n}"))
            .email(format!("p{n}@example.com"))
    };
    ghl.contacts().create(&create(1)).await.unwrap();
    let _held = next(&mut inbox).await;
    // While the receiver sits on the first delivery, the API still answers.
    ghl.contacts().create(&create(2)).await.unwrap();
    let log = sandbox.webhook_deliveries();
    assert_eq!(log.len(), 2);
    assert!(log.iter().all(|d| d.status == DeliveryStatus::Pending));
    release.send(()).unwrap();
    let log = sandbox.wait_for_webhook_deliveries(2, PATIENCE).await;
    assert!(
        log.iter()
            .all(|d| d.status == DeliveryStatus::Delivered { status: 200 })
    );

    // A dead URL fails the deliveries, never the API.
    let dead = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let dead_url = format!("http://{}/hook", dead.local_addr().unwrap());
    drop(dead);
    sandbox.register_webhook(dead_url);
    ghl.contacts().create(&create(3)).await.unwrap();
    let log = sandbox.wait_for_webhook_deliveries(3, PATIENCE).await;
    assert!(
        matches!(log[2].status, DeliveryStatus::Failed { .. }),
        "{:?}",
        log[2]
    );
}

#[tokio::test]
async fn emitted_events_of_any_type_are_signed_too() {
    let sandbox = GhlSandbox::start(SandboxConfig::default()).await;
    let (url, mut inbox) = receiver(None).await;
    sandbox.register_webhook(&url);
    sandbox.emit_webhook(
        WebhookEventType::OpportunityStageUpdate,
        json!({"locationId": sandbox.location_id(), "id": "opp-1", "pipelineStageId": "stage-2",
               "status": "open", "monetaryValue": 120}),
    );
    let got = next(&mut inbox).await;
    let delivery = sandbox
        .webhook_verifier()
        .verify(&got.headers, &got.body)
        .await
        .unwrap();
    match delivery.event {
        WebhookEvent::OpportunityStageUpdate(o) => {
            assert_eq!(o.pipeline_stage_id.unwrap().as_str(), "stage-2");
            assert_eq!(o.monetary_value, Some(120.0));
        }
        other => panic!("expected OpportunityStageUpdate, got {other:?}"),
    }
}
