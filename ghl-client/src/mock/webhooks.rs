//! Signed webhook deliveries from the sandbox: a subscription, the events of API writes, a
//! delivery worker that signs like HighLevel (with test keys), tampering, and a delivery log.

use std::collections::{BTreeSet, VecDeque};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use base64::Engine as _;
use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use rand::Rng as _;
use ring::rand::SystemRandom;
use ring::signature::{Ed25519KeyPair, KeyPair as _, RSA_PKCS1_SHA256, RsaKeyPair};
use serde_json::{Map, Value};
use tokio::sync::{Notify, mpsc};

use super::GhlSandbox;
use super::reply::Reply;
use super::router::{Ctx, Route, lock};
use super::state::{Contact, Entity, State};
use super::webhook_test_keys::{
    SANDBOX_TEST_ED25519_PRIVATE_KEY_PEM, SANDBOX_TEST_RSA_PRIVATE_KEY_PEM,
};
use crate::WebhookId;
use crate::webhooks::{
    WebhookEventType, WebhookKeyError, WebhookPublicKey, WebhookVerifier, WebhookVerifierBuilder,
};

/// Signs webhook bodies the way HighLevel does: base64 RSA PKCS#1 v1.5 SHA-256
/// (`x-wh-signature`) and base64 Ed25519 (`x-ghl-signature`), over the exact bytes.
///
/// [`WebhookSigner::sandbox`] holds the sandbox's checked-in **test** keys (never trusted by
/// anything but a verifier built from [`WebhookSigner::verifier_builder`]). Use it to craft
/// deliveries for receiver tests without going through the sandbox's API.
#[derive(Clone)]
pub struct WebhookSigner {
    keys: Arc<SignerKeys>,
}

struct SignerKeys {
    rsa: RsaKeyPair,
    ed: Ed25519KeyPair,
    rsa_public: WebhookPublicKey,
    ed_public: WebhookPublicKey,
    rng: SystemRandom,
}

impl fmt::Debug for WebhookSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookSigner")
            .field("rsa", &self.keys.rsa_public.fingerprint())
            .field("ed25519", &self.keys.ed_public.fingerprint())
            .finish()
    }
}

fn private_der(pem: &str) -> Result<Vec<u8>, WebhookKeyError> {
    let start = pem
        .find("-----BEGIN PRIVATE KEY-----")
        .ok_or_else(|| WebhookKeyError::InvalidPem("no BEGIN PRIVATE KEY line".into()))?
        + "-----BEGIN PRIVATE KEY-----".len();
    let end = pem[start..]
        .find("-----END PRIVATE KEY-----")
        .ok_or_else(|| WebhookKeyError::InvalidPem("no END PRIVATE KEY line".into()))?;
    let body: String = pem[start..start + end]
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(body)
        .map_err(|e| WebhookKeyError::InvalidPem(e.to_string()))
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

impl WebhookSigner {
    /// The sandbox's test keys (RSA-2048 and Ed25519).
    pub fn sandbox() -> Self {
        Self::from_pkcs8_pem(
            SANDBOX_TEST_RSA_PRIVATE_KEY_PEM,
            SANDBOX_TEST_ED25519_PRIVATE_KEY_PEM,
        )
        .expect("the sandbox's test keys parse")
    }

    /// A signer from two PKCS#8 PEM private keys (`openssl genpkey` output): RSA (2048 bits or
    /// more) and Ed25519.
    ///
    /// # Errors
    ///
    /// [`WebhookKeyError`] when a key is not such a PEM or ring refuses it.
    pub fn from_pkcs8_pem(rsa_pem: &str, ed25519_pem: &str) -> Result<Self, WebhookKeyError> {
        let rsa = RsaKeyPair::from_pkcs8(&private_der(rsa_pem)?)
            .map_err(|_| WebhookKeyError::InvalidDer("ring refused the RSA private key"))?;
        let ed = Ed25519KeyPair::from_pkcs8_maybe_unchecked(&private_der(ed25519_pem)?)
            .map_err(|_| WebhookKeyError::InvalidDer("ring refused the Ed25519 private key"))?;
        let rsa_public = WebhookPublicKey::rsa_from_pkcs1_der(rsa.public().as_ref())?;
        let raw: [u8; 32] = ed
            .public_key()
            .as_ref()
            .try_into()
            .map_err(|_| WebhookKeyError::InvalidDer("Ed25519 public key is not 32 bytes"))?;
        Ok(Self {
            keys: Arc::new(SignerKeys {
                rsa,
                ed,
                rsa_public,
                ed_public: WebhookPublicKey::ed25519_from_bytes(raw),
                rng: SystemRandom::new(),
            }),
        })
    }

    /// The base64 RSA signature of `body`, as `x-wh-signature` carries it.
    pub fn sign_rsa(&self, body: &[u8]) -> String {
        let mut signature = vec![0; self.keys.rsa.public().modulus_len()];
        match self
            .keys
            .rsa
            .sign(&RSA_PKCS1_SHA256, &self.keys.rng, body, &mut signature)
        {
            Ok(()) => b64(&signature),
            // Only a failing system RNG gets here; an empty signature is refused downstream.
            Err(_) => String::new(),
        }
    }

    /// The base64 Ed25519 signature of `body`, as `x-ghl-signature` carries it.
    pub fn sign_ed25519(&self, body: &[u8]) -> String {
        b64(self.keys.ed.sign(body).as_ref())
    }

    /// The public half of the RSA key.
    pub fn rsa_public_key(&self) -> &WebhookPublicKey {
        &self.keys.rsa_public
    }

    /// The public half of the Ed25519 key.
    pub fn ed25519_public_key(&self) -> &WebhookPublicKey {
        &self.keys.ed_public
    }

    /// A verifier builder trusting exactly these two keys (and nothing of HighLevel's).
    pub fn verifier_builder(&self) -> WebhookVerifierBuilder {
        WebhookVerifier::builder().keys([self.keys.ed_public.clone(), self.keys.rsa_public.clone()])
    }
}

/// Which signature headers the sandbox sends.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum WebhookSignatures {
    /// `x-ghl-signature` and `x-wh-signature`, as HighLevel does until July 1, 2026.
    #[default]
    Both,
    /// `x-ghl-signature` only, as HighLevel announced after July 1, 2026.
    Ed25519Only,
    /// `x-wh-signature` only, as older deliveries.
    RsaOnly,
}

/// A tampering the sandbox applies to one delivery, for receiver tests
/// ([`GhlSandbox::tamper_next_webhooks`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DeliveryTamper {
    /// The body is changed after signing (signatures no longer match).
    Forged,
    /// The delivery is sent twice, byte for byte (same `webhookId` and signatures).
    Replayed,
    /// `timestamp` is ten minutes old (correctly signed).
    Stale,
    /// `timestamp` is ten minutes ahead (correctly signed).
    Future,
    /// No signature header.
    Unsigned,
}

/// What happened to one POST.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DeliveryStatus {
    /// Queued, not answered yet.
    Pending,
    /// The receiver answered (any status).
    Delivered {
        /// The receiver's status.
        status: u16,
    },
    /// No answer (connection refused, timeout, …).
    Failed {
        /// What went wrong.
        error: String,
    },
}

/// One POST of the sandbox to the registered webhook URL.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct WebhookDelivery {
    /// The event.
    pub event_type: WebhookEventType,
    /// The delivery's `webhookId`.
    pub webhook_id: WebhookId,
    /// Where it was sent.
    pub url: String,
    /// The tampering applied, if any.
    pub tamper: Option<DeliveryTamper>,
    /// Whether this is the second copy of a [`DeliveryTamper::Replayed`] delivery.
    pub replay: bool,
    /// The bytes POSTed (`None` while pending).
    pub body: Option<Vec<u8>>,
    /// What happened.
    pub status: DeliveryStatus,
}

impl WebhookDelivery {
    /// The POSTed body as JSON (`Null` while pending).
    pub fn json(&self) -> Value {
        self.body
            .as_deref()
            .and_then(|b| serde_json::from_slice(b).ok())
            .unwrap_or(Value::Null)
    }
}

/// Webhook state of the sandbox (inside [`State`]).
#[derive(Debug, Default)]
pub(crate) struct Hub {
    target: Option<Target>,
    tampers: VecDeque<DeliveryTamper>,
    signatures: WebhookSignatures,
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Target {
    url: String,
    events: Option<BTreeSet<WebhookEventType>>,
    tx: mpsc::UnboundedSender<Outgoing>,
}

#[derive(Debug, Default)]
struct Shared {
    log: Mutex<Vec<WebhookDelivery>>,
    notify: Notify,
}

impl Shared {
    fn log(&self) -> MutexGuard<'_, Vec<WebhookDelivery>> {
        self.log.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn finish(&self, index: usize, body: Vec<u8>, status: DeliveryStatus) {
        if let Some(entry) = self.log().get_mut(index) {
            entry.body = Some(body);
            entry.status = status;
        }
        self.notify.notify_waiters();
    }
}

struct Outgoing {
    index: usize,
    /// Log entry of the second copy of a replayed delivery.
    replay_index: Option<usize>,
    event_type: WebhookEventType,
    webhook_id: WebhookId,
    url: String,
    fields: Vec<(String, Value)>,
    tamper: Option<DeliveryTamper>,
    signatures: WebhookSignatures,
}

impl Hub {
    /// Whether a webhook URL is registered (writes then compute their events).
    pub(crate) fn is_active(&self) -> bool {
        self.target.is_some()
    }

    /// Queues one event for delivery; never blocks.
    fn enqueue(&mut self, event_type: WebhookEventType, fields: Vec<(String, Value)>) {
        let Some(target) = &self.target else { return };
        if target
            .events
            .as_ref()
            .is_some_and(|wanted| !wanted.contains(&event_type))
        {
            return;
        }
        let tamper = self.tampers.pop_front();
        let webhook_id = WebhookId::from(format!("sbx-wh-{:032x}", rand::rng().random::<u128>()));
        let (index, replay_index) = {
            let mut log = self.shared.log();
            let entry = WebhookDelivery {
                event_type: event_type.clone(),
                webhook_id: webhook_id.clone(),
                url: target.url.clone(),
                tamper,
                replay: false,
                body: None,
                status: DeliveryStatus::Pending,
            };
            // The replayed copy is logged right after its original, as it is sent.
            let copy = (tamper == Some(DeliveryTamper::Replayed)).then(|| WebhookDelivery {
                replay: true,
                ..entry.clone()
            });
            log.push(entry);
            let index = log.len() - 1;
            let replay_index = copy.map(|copy| {
                log.push(copy);
                log.len() - 1
            });
            (index, replay_index)
        };
        let outgoing = Outgoing {
            index,
            replay_index,
            event_type,
            webhook_id,
            url: target.url.clone(),
            fields,
            tamper,
            signatures: self.signatures,
        };
        if target.tx.send(outgoing).is_err() {
            for index in std::iter::once(index).chain(replay_index) {
                self.shared.finish(
                    index,
                    Vec::new(),
                    DeliveryStatus::Failed {
                        error: "the delivery worker has stopped".into(),
                    },
                );
            }
        }
    }
}

/// How far a stale or future timestamp is off.
const TAMPER_OFFSET: TimeDelta = TimeDelta::minutes(10);

/// The delivery worker: one POST at a time, in order.
async fn run(
    mut rx: mpsc::UnboundedReceiver<Outgoing>,
    shared: Arc<Shared>,
    signer: WebhookSigner,
    http: reqwest::Client,
) {
    while let Some(out) = rx.recv().await {
        deliver(&http, &signer, &shared, out).await;
    }
}

fn render(out: &Outgoing, timestamp: DateTime<Utc>) -> Vec<u8> {
    let mut pairs: Vec<(&str, Value)> = vec![("type", Value::from(out.event_type.as_str()))];
    pairs.extend(out.fields.iter().map(|(k, v)| (k.as_str(), v.clone())));
    pairs.push((
        "timestamp",
        Value::from(timestamp.to_rfc3339_opts(SecondsFormat::Millis, true)),
    ));
    pairs.push(("webhookId", Value::from(out.webhook_id.as_str())));
    // Keys in the documented order (not sorted), as HighLevel's serialiser writes them.
    let mut text = String::from("{");
    for (i, (key, value)) in pairs.iter().enumerate() {
        if i > 0 {
            text.push(',');
        }
        text.push_str(&Value::from(*key).to_string());
        text.push(':');
        text.push_str(&value.to_string());
    }
    text.push('}');
    text.into_bytes()
}

async fn post(
    http: &reqwest::Client,
    url: &str,
    headers: &[(&'static str, String)],
    body: &[u8],
) -> DeliveryStatus {
    let mut request = http
        .post(url)
        .header("content-type", "application/json")
        .header("user-agent", "ghl-client-sandbox-webhooks");
    for (name, value) in headers {
        request = request.header(*name, value.as_str());
    }
    match request.body(body.to_vec()).send().await {
        Ok(response) => DeliveryStatus::Delivered {
            status: response.status().as_u16(),
        },
        Err(error) => DeliveryStatus::Failed {
            error: error.to_string(),
        },
    }
}

async fn deliver(http: &reqwest::Client, signer: &WebhookSigner, shared: &Shared, out: Outgoing) {
    let now = Utc::now();
    let timestamp = match out.tamper {
        Some(DeliveryTamper::Stale) => now - TAMPER_OFFSET,
        Some(DeliveryTamper::Future) => now + TAMPER_OFFSET,
        _ => now,
    };
    let body = render(&out, timestamp);
    let mut headers = Vec::new();
    if out.tamper != Some(DeliveryTamper::Unsigned) {
        if out.signatures != WebhookSignatures::Ed25519Only {
            headers.push(("x-wh-signature", signer.sign_rsa(&body)));
        }
        if out.signatures != WebhookSignatures::RsaOnly {
            headers.push(("x-ghl-signature", signer.sign_ed25519(&body)));
        }
    }
    let sent = if out.tamper == Some(DeliveryTamper::Forged) {
        let mut forged = b"{\"forged\":true,".to_vec();
        forged.extend_from_slice(body.get(1..).unwrap_or_default());
        forged
    } else {
        body
    };
    let status = post(http, &out.url, &headers, &sent).await;
    tracing::debug!(event_type = %out.event_type, ?status, "GHL sandbox webhook delivered");
    shared.finish(out.index, sent.clone(), status);
    if let Some(index) = out.replay_index {
        let status = post(http, &out.url, &headers, &sent).await;
        shared.finish(index, sent, status);
    }
}

impl GhlSandbox {
    /// Registers the URL that receives a signed POST for every change made through the
    /// sandbox's API (replacing any earlier registration): contact create, update, upsert,
    /// delete, tag and DND changes, note create, update and delete, appointment create,
    /// update and delete, product create, update and delete, price create and update.
    ///
    /// Deliveries are asynchronous, one at a time in order, and never delay or fail the API
    /// answer; see [`GhlSandbox::webhook_deliveries`]. Bodies carry the documented fields of
    /// each event plus `timestamp` and `webhookId`, with both signature headers
    /// ([`GhlSandbox::set_webhook_signatures`]) made with the sandbox's test keys: verify them
    /// with [`GhlSandbox::webhook_verifier`]. Must be called inside a Tokio runtime (the
    /// delivery worker runs on it). Records seeded with [`GhlSandbox::seed_contact`] send
    /// nothing.
    pub fn register_webhook(&self, url: impl Into<String>) {
        self.register(url.into(), None);
    }

    /// As [`GhlSandbox::register_webhook`], for these event types only.
    pub fn register_webhook_for(
        &self,
        url: impl Into<String>,
        events: impl IntoIterator<Item = WebhookEventType>,
    ) {
        self.register(url.into(), Some(events.into_iter().collect()));
    }

    fn register(&self, url: String, events: Option<BTreeSet<WebhookEventType>>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let mut state = lock(&self.state);
        let shared = Arc::clone(&state.webhooks.shared);
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                crate::install_default_crypto_provider();
                let http = reqwest::Client::builder()
                    .no_proxy()
                    .timeout(Duration::from_secs(10))
                    .build()
                    .unwrap_or_default();
                runtime.spawn(run(rx, shared, WebhookSigner::sandbox(), http));
            }
            Err(_) => {
                tracing::warn!(
                    "GhlSandbox::register_webhook outside a Tokio runtime: nothing will be delivered"
                );
            }
        }
        state.webhooks.target = Some(Target { url, events, tx });
    }

    /// Stops sending webhooks (queued deliveries still go out).
    pub fn unregister_webhook(&self) {
        lock(&self.state).webhooks.target = None;
    }

    /// Which signature headers deliveries carry from now on (default both).
    pub fn set_webhook_signatures(&self, signatures: WebhookSignatures) {
        lock(&self.state).webhooks.signatures = signatures;
    }

    /// Tampers with the next deliveries, one tampering each, in order (after the queue is
    /// used up, deliveries are genuine again).
    pub fn tamper_next_webhooks(&self, tampers: impl IntoIterator<Item = DeliveryTamper>) {
        lock(&self.state).webhooks.tampers.extend(tampers);
    }

    /// Sends one event of any type to the registered URL, as if it had happened: `payload` is
    /// the event's JSON object (its `type`, `timestamp` and `webhookId` are set by the
    /// sandbox). For events the sandbox's API does not produce (opportunities, invoices, …).
    pub fn emit_webhook(&self, event_type: WebhookEventType, payload: Value) {
        let fields = match payload {
            Value::Object(map) => map
                .into_iter()
                .filter(|(k, _)| !matches!(k.as_str(), "type" | "timestamp" | "webhookId"))
                .collect(),
            _ => Vec::new(),
        };
        lock(&self.state).webhooks.enqueue(event_type, fields);
    }

    /// Every delivery so far, oldest first (a replayed delivery appears twice).
    pub fn webhook_deliveries(&self) -> Vec<WebhookDelivery> {
        let shared = Arc::clone(&lock(&self.state).webhooks.shared);
        shared.log().clone()
    }

    /// Waits until at least `count` deliveries are finished (answered or failed), or until
    /// `timeout`, and returns the log. The timeout is a safety net against a hung test, not a
    /// measure: check the returned statuses.
    pub async fn wait_for_webhook_deliveries(
        &self,
        count: usize,
        timeout: Duration,
    ) -> Vec<WebhookDelivery> {
        let shared = Arc::clone(&lock(&self.state).webhooks.shared);
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = shared.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let finished = shared
                .log()
                .iter()
                .filter(|d| d.status != DeliveryStatus::Pending)
                .count();
            if finished >= count || tokio::time::timeout_at(deadline, notified).await.is_err() {
                return shared.log().clone();
            }
        }
    }

    /// The signer of the sandbox's deliveries (its test keys).
    pub fn webhook_signer(&self) -> WebhookSigner {
        WebhookSigner::sandbox()
    }

    /// A verifier that trusts the sandbox's test keys only, with the default window and a
    /// fresh memory replay store.
    pub fn webhook_verifier(&self) -> WebhookVerifier {
        WebhookSigner::sandbox().verifier_builder().build()
    }
}

/// The record a write is about to change or delete, taken before the write (only when a
/// webhook is registered).
pub(crate) fn before(state: &State, route: &Route, ctx: &Ctx) -> Option<Value> {
    if !state.webhooks.is_active() {
        return None;
    }
    let find = |list: &[Entity], id: &str| list.iter().find(|e| e.id == id).map(Entity::to_json);
    match route {
        Route::ContactUpdate(id)
        | Route::ContactDelete(id)
        | Route::TagsAdd(id)
        | Route::TagsRemove(id) => state.contacts.get(id).map(Contact::to_json),
        Route::ContactUpsert => {
            // The upsert's own matching order: email first, then phone.
            let body = ctx.body().ok()?;
            let text = |k: &str| body.get(k).and_then(Value::as_str);
            let loc = ctx.location_id.as_str();
            text("email")
                .and_then(|e| state.contacts.by_email(loc, e, None))
                .or_else(|| text("phone").and_then(|p| state.contacts.by_phone(loc, p, None)))
                .map(Contact::to_json)
        }
        Route::NoteUpdate(_, note) | Route::NoteDelete(_, note) => find(&state.notes, note),
        Route::AppointmentUpdate(id) | Route::EventDelete(id) => find(&state.appointments, id),
        Route::ProductUpdate(id) | Route::ProductDelete(id) => find(&state.products, id),
        _ => None,
    }
}

/// Queues the events of a successful write.
pub(crate) fn after(
    state: &mut State,
    route: &Route,
    ctx: &Ctx,
    before: Option<Value>,
    reply: &Reply,
) {
    if !state.webhooks.is_active() || !reply.is_success() {
        return;
    }
    use WebhookEventType as T;
    let body = reply.json_body();
    let loc = ctx.location_id.as_str();
    let mut events: Vec<(WebhookEventType, Vec<(String, Value)>)> = Vec::new();
    let contact_now = |state: &State, id: &str| state.contacts.get(id).map(Contact::to_json);
    match route {
        Route::ContactCreate => {
            if let Some(c) = body.get("contact") {
                events.push((T::ContactCreate, contact_fields(c, false)));
            }
        }
        Route::ContactUpsert => {
            if let Some(c) = body.get("contact") {
                if body.get("new").and_then(Value::as_bool) == Some(true) {
                    events.push((T::ContactCreate, contact_fields(c, false)));
                } else {
                    contact_changes(&mut events, before.as_ref(), c);
                }
            }
        }
        Route::ContactUpdate(id) => {
            if let Some(c) = contact_now(state, id) {
                contact_changes(&mut events, before.as_ref(), &c);
            }
        }
        Route::TagsAdd(id) | Route::TagsRemove(id) => {
            if let Some(c) = contact_now(state, id)
                && before.as_ref().map(|b| &b["tags"]) != Some(&c["tags"])
            {
                events.push((T::ContactTagUpdate, contact_fields(&c, false)));
            }
        }
        Route::ContactDelete(_) => {
            if let Some(c) = &before {
                events.push((T::ContactDelete, contact_fields(c, false)));
            }
        }
        Route::NoteCreate(_) => {
            if let Some(n) = body.get("note") {
                events.push((T::NoteCreate, note_fields(n, loc)));
            }
        }
        Route::NoteUpdate(..) => {
            if let Some(n) = body.get("note") {
                events.push((T::NoteUpdate, note_fields(n, loc)));
            }
        }
        Route::NoteDelete(..) => {
            if let Some(n) = &before {
                events.push((T::NoteDelete, note_fields(n, loc)));
            }
        }
        Route::AppointmentCreate => {
            events.push((T::AppointmentCreate, appointment_fields(&body, loc)));
        }
        Route::AppointmentUpdate(_) => {
            events.push((T::AppointmentUpdate, appointment_fields(&body, loc)));
        }
        Route::EventDelete(_) => {
            if let Some(a) = &before {
                events.push((T::AppointmentDelete, appointment_fields(a, loc)));
            }
        }
        Route::ProductCreate => events.push((T::ProductCreate, product_fields(&body))),
        Route::ProductUpdate(_) => events.push((T::ProductUpdate, product_fields(&body))),
        Route::ProductDelete(_) => {
            if let Some(p) = &before {
                events.push((T::ProductDelete, product_fields(p)));
            }
        }
        Route::PriceCreate(_) => events.push((T::PriceCreate, price_fields(&body))),
        Route::PriceUpdate(..) => events.push((T::PriceUpdate, price_fields(&body))),
        _ => {}
    }
    for (event_type, fields) in events {
        state.webhooks.enqueue(event_type, fields);
    }
}

/// `ContactUpdate`, plus `ContactTagUpdate` / `ContactDndUpdate` when tags / DND changed.
fn contact_changes(
    events: &mut Vec<(WebhookEventType, Vec<(String, Value)>)>,
    before: Option<&Value>,
    after: &Value,
) {
    events.push((
        WebhookEventType::ContactUpdate,
        contact_fields(after, false),
    ));
    let changed = |key: &str| before.is_some_and(|b| b.get(key) != after.get(key));
    if changed("tags") {
        events.push((
            WebhookEventType::ContactTagUpdate,
            contact_fields(after, false),
        ));
    }
    if changed("dnd") || changed("dndSettings") {
        events.push((
            WebhookEventType::ContactDndUpdate,
            contact_fields(after, true),
        ));
    }
}

/// The keys of `source` in `order`, those present and not null.
fn pick(source: &Value, order: &[&str]) -> Vec<(String, Value)> {
    order
        .iter()
        .filter_map(|k| {
            source
                .get(*k)
                .filter(|v| !v.is_null())
                .map(|v| ((*k).to_owned(), v.clone()))
        })
        .collect()
}

fn contact_fields(c: &Value, dnd_settings: bool) -> Vec<(String, Value)> {
    let text = |k: &str| c.get(k).and_then(Value::as_str).unwrap_or_default();
    let name = match c.get("name").and_then(Value::as_str) {
        Some(name) => name.to_owned(),
        None => format!("{} {}", text("firstName"), text("lastName"))
            .trim()
            .to_owned(),
    };
    let mut fields = pick(
        c,
        &[
            "locationId",
            "id",
            "address1",
            "city",
            "state",
            "companyName",
            "country",
            "source",
            "dateAdded",
            "dateOfBirth",
            "dnd",
        ],
    );
    if dnd_settings {
        fields.extend(pick(c, &["dndSettings"]));
    }
    fields.extend(pick(c, &["email"]));
    if !name.is_empty() {
        fields.push(("name".into(), Value::from(name)));
    }
    fields.extend(pick(
        c,
        &[
            "firstName",
            "lastName",
            "phone",
            "postalCode",
            "tags",
            "website",
        ],
    ));
    fields.push((
        "attachments".into(),
        c.get("attachments")
            .cloned()
            .unwrap_or_else(|| Value::Array(Vec::new())),
    ));
    fields.extend(pick(c, &["assignedTo", "customFields"]));
    fields
}

fn note_fields(n: &Value, loc: &str) -> Vec<(String, Value)> {
    let mut fields = vec![("locationId".to_owned(), Value::from(loc))];
    fields.extend(pick(n, &["id", "body", "contactId", "dateAdded"]));
    fields
}

fn appointment_fields(a: &Value, loc: &str) -> Vec<(String, Value)> {
    let mut appointment: Map<String, Value> = pick(
        a,
        &[
            "id",
            "address",
            "title",
            "calendarId",
            "contactId",
            "groupId",
            "appointmentStatus",
            "assignedUserId",
            "users",
            "notes",
            "source",
            "startTime",
            "endTime",
            "dateAdded",
            "dateUpdated",
        ],
    )
    .into_iter()
    .collect();
    if !appointment.contains_key("users")
        && let Some(user) = a.get("assignedUserId").filter(|u| u.is_string())
    {
        appointment.insert("users".into(), Value::Array(vec![user.clone()]));
    }
    vec![
        ("locationId".to_owned(), Value::from(loc)),
        ("appointment".to_owned(), Value::Object(appointment)),
    ]
}

fn product_fields(p: &Value) -> Vec<(String, Value)> {
    pick(
        p,
        &[
            "_id",
            "description",
            "variants",
            "medias",
            "locationId",
            "name",
            "productType",
            "availableInStore",
            "userId",
            "createdAt",
            "updatedAt",
            "statementDescriptor",
            "image",
        ],
    )
}

/// Price fields; the price's kind goes out as `priceType` (the `PriceCreate` page's name), so
/// `type` stays the event name.
fn price_fields(p: &Value) -> Vec<(String, Value)> {
    let mut fields = pick(
        p,
        &[
            "_id",
            "membershipOffers",
            "variantOptionIds",
            "locationId",
            "product",
            "userId",
            "name",
        ],
    );
    if let Some(kind) = p.get("type").filter(|v| !v.is_null()) {
        fields.push(("priceType".into(), kind.clone()));
    }
    fields.extend(pick(
        p,
        &[
            "currency",
            "amount",
            "recurring",
            "createdAt",
            "updatedAt",
            "compareAtPrice",
            "trackInventory",
            "availableQuantity",
            "allowOutOfStockPurchases",
        ],
    ));
    fields
}
