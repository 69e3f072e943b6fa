//! Webhooks: typed events, signature verification and replay protection.
//!
//! HighLevel POSTs a JSON payload per event to the app's webhook URL. This module turns a
//! delivery (headers and the **exact body bytes**) into a [`VerifiedWebhook`], or refuses it
//! with a [`WebhookError`]:
//!
//! 1. **Signature.** `x-ghl-signature` holds a base64 Ed25519 signature of the body (the current
//!    scheme); `x-wh-signature` a base64 RSA PKCS#1 v1.5 SHA-256 signature (the legacy scheme,
//!    which HighLevel announced it stops sending on July 1, 2026). HighLevel's published keys
//!    ([`GHL_ED25519_PUBLIC_KEY_PEM`], [`GHL_RSA_PUBLIC_KEY_PEM`]) are trusted by default; trust
//!    rotated keys with [`WebhookVerifierBuilder::trust_key`]. When `x-ghl-signature` is present
//!    it decides alone. The signature is checked over the bytes received: parsing the body and
//!    serialising it again (what HighLevel's Node SDK does with `JSON.stringify(req.body)`)
//!    gives other bytes as soon as spacing, key order, escaping or number formatting differ,
//!    and a genuine delivery then fails verification.
//! 2. **Freshness.** The payload's `timestamp` must be at most 5 minutes old (configurable) and
//!    at most 60 s in the future.
//! 3. **Payload.** The body is decoded by its `type` into [`WebhookEvent`] (one variant per event
//!    of HighLevel's webhook reference, [`WebhookEvent::Unknown`] with the raw JSON otherwise);
//!    a malformed field is reported with its JSON path.
//! 4. **Replay.** The `webhookId` is recorded in a [`ReplayStore`] (memory by default,
//!    [`SqliteReplayStore`] with feature `webhooks-sqlite`, or the host's own); a second
//!    delivery with the same id is refused. This runs last, so a refused delivery never
//!    consumes its id.
//!
//! Signature checks are ring's (Ed25519, RSA); nothing secret is compared here (webhook
//! verification uses public keys only), and neither logs nor errors repeat payload values.
//!
//! # Sources
//!
//! - RSA: HighLevel's webhook authentication guide (`WebhookAuthentication.md` in HighLevel's
//!   OpenAPI repository): the `x-wh-signature` header, the public key, the 5-minute window and
//!   duplicate `webhookId`s.
//! - Ed25519: HighLevel's [Webhook Integration
//!   Guide](https://marketplace.gohighlevel.com/docs/webhook/WebhookIntegrationGuide) (the
//!   `x-ghl-signature` header, its public key, and the end of `x-wh-signature` on July 1,
//!   2026, as quoted by integrators), and HighLevel's Node SDK `highlevel-api-sdk`, which
//!   checks `x-ghl-signature` first without falling back to RSA.
//! - Events: one page per event of HighLevel's webhook reference
//!   ([`WebhookEventType::doc_url`]); their examples are this crate's test fixtures.
//!
//! # In a plain handler
//!
//! Any framework works: give the verifier the headers ([`WebhookHeaders`], implemented for
//! `http::HeaderMap` and for lists of pairs) and the raw body.
//!
//! ```no_run
//! use ghl_client::webhooks::{WebhookEvent, WebhookVerifier};
//!
//! /// Returns the HTTP status to answer HighLevel with.
//! async fn on_webhook(verifier: &WebhookVerifier, headers: &http::HeaderMap, body: &[u8]) -> u16 {
//!     let delivery = match verifier.verify(headers, body).await {
//!         Ok(delivery) => delivery,
//!         // 401 forged or stale, 400 malformed, 200 for a duplicate, 429 if the store failed.
//!         Err(error) => return error.http_status(),
//!     };
//!     let location = delivery.envelope.location_id.clone();
//!     match delivery.event {
//!         WebhookEvent::ContactCreate(contact) | WebhookEvent::ContactUpdate(contact) => {
//!             println!("contact {:?} in {location:?}: {:?}", contact.id, contact.email);
//!         }
//!         WebhookEvent::AppointmentCreate(event) => {
//!             let start = event.appointment.and_then(|a| a.start_time);
//!             println!("appointment at {start:?}");
//!         }
//!         WebhookEvent::Unknown { event_type, raw } => println!("{event_type}: {raw}"),
//!         _ => {}
//!     }
//!     200
//! }
//!
//! # async fn demo() {
//! let verifier = WebhookVerifier::builder().build(); // share one per process
//! let headers = http::HeaderMap::new();
//! let status = on_webhook(&verifier, &headers, br#"{"type":"ContactCreate"}"#).await;
//! assert_eq!(status, 401); // unsigned
//! # }
//! ```
//!
//! # In axum
//!
//! With feature `axum`, the [`axum::GhlWebhook`](crate::webhooks::axum) extractor verifies the
//! request before the handler runs and answers refused deliveries itself (status from
//! [`WebhookError::http_status`]); the verifier comes from the router state.
//!
//! ```no_run
//! # #[cfg(feature = "axum")]
//! # mod demo {
//! use axum::{Router, routing::post};
//! use ghl_client::webhooks::{WebhookEvent, WebhookVerifier, axum::GhlWebhook};
//!
//! async fn webhook(GhlWebhook(delivery): GhlWebhook) -> &'static str {
//!     if let WebhookEvent::ContactUpdate(contact) = delivery.event {
//!         println!("contact {:?} changed", contact.id);
//!     }
//!     "ok"
//! }
//!
//! pub fn app() -> Router {
//!     Router::new()
//!         .route("/ghl/webhooks", post(webhook))
//!         .with_state(WebhookVerifier::builder().build())
//! }
//! # }
//! ```
//!
//! # Testing receivers
//!
//! With feature `mock`, [`GhlSandbox`](crate::mock::GhlSandbox) POSTs signed events for the
//! changes made through its API (and forged, replayed or stale ones on request), signed with
//! test keys that [`GhlSandbox::webhook_verifier`](crate::mock::GhlSandbox::webhook_verifier)
//! trusts.

mod de;
mod error;
mod event_type;
mod events;
mod keys;
mod replay;
#[cfg(feature = "webhooks-sqlite")]
mod sqlite;
mod verifier;

#[cfg(feature = "axum")]
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
pub mod axum;

pub use error::{ReplayStoreError, WebhookError};
pub use event_type::WebhookEventType;
pub use events::*;
pub use keys::{
    ED25519_HEADER, GHL_ED25519_PUBLIC_KEY_PEM, GHL_RSA_PUBLIC_KEY_PEM, RSA_HEADER,
    SignatureScheme, WebhookKeyError, WebhookPublicKey,
};
pub use replay::{DEFAULT_REPLAY_CAPACITY, InsertOutcome, MemoryReplayStore, ReplayStore};
#[cfg(feature = "webhooks-sqlite")]
#[cfg_attr(docsrs, doc(cfg(feature = "webhooks-sqlite")))]
pub use sqlite::SqliteReplayStore;
pub use verifier::{
    DEFAULT_MAX_FUTURE_SKEW, DEFAULT_TOLERANCE, VerifiedSignature, VerifiedWebhook, WebhookHeaders,
    WebhookVerifier, WebhookVerifierBuilder,
};
