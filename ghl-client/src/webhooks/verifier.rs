//! [`WebhookVerifier`]: signature, timestamp window, payload and replay checks in one call.

use std::collections::HashMap;
use std::fmt;
use std::hash::BuildHasher;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use chrono::{DateTime, TimeDelta, Utc};

use super::error::WebhookError;
use super::event_type::WebhookEventType;
use super::events::{WebhookEnvelope, WebhookEvent};
use super::keys::{ED25519_HEADER, RSA_HEADER, SignatureScheme, WebhookPublicKey};
use super::replay::{InsertOutcome, MemoryReplayStore, ReplayStore};

/// Header lookup, so the verifier works with any web framework.
///
/// Implemented for [`http::HeaderMap`] (axum, hyper, reqwest, tonic, …), for slices, arrays
/// and vectors of `(name, value)` pairs and for `HashMap<String, String>`; names are matched
/// case-insensitively. For another framework, implement it in three lines.
pub trait WebhookHeaders {
    /// The first value of header `name` (given in lower case), if present.
    fn header(&self, name: &str) -> Option<&[u8]>;
}

impl WebhookHeaders for http::HeaderMap {
    fn header(&self, name: &str) -> Option<&[u8]> {
        self.get(name).map(http::HeaderValue::as_bytes)
    }
}

impl<K: AsRef<str>, V: AsRef<[u8]>> WebhookHeaders for [(K, V)] {
    fn header(&self, name: &str) -> Option<&[u8]> {
        self.iter()
            .find(|(k, _)| k.as_ref().eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_ref())
    }
}

impl<K: AsRef<str>, V: AsRef<[u8]>, const N: usize> WebhookHeaders for [(K, V); N] {
    fn header(&self, name: &str) -> Option<&[u8]> {
        self.as_slice().header(name)
    }
}

impl<K: AsRef<str>, V: AsRef<[u8]>> WebhookHeaders for Vec<(K, V)> {
    fn header(&self, name: &str) -> Option<&[u8]> {
        self.as_slice().header(name)
    }
}

impl<S: BuildHasher> WebhookHeaders for HashMap<String, String, S> {
    fn header(&self, name: &str) -> Option<&[u8]> {
        self.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_bytes())
    }
}

impl<T: WebhookHeaders + ?Sized> WebhookHeaders for &T {
    fn header(&self, name: &str) -> Option<&[u8]> {
        (**self).header(name)
    }
}

/// Which key verified a signature.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct VerifiedSignature {
    /// The scheme (and so the header) that was checked.
    pub scheme: SignatureScheme,
    /// [`WebhookPublicKey::fingerprint`] of the key that matched.
    pub key_fingerprint: String,
}

/// A delivery that passed every check: authentic, fresh, first seen, and decoded.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct VerifiedWebhook {
    /// The signature scheme that was checked.
    pub scheme: SignatureScheme,
    /// The fingerprint of the key that verified it (watch it during a key rotation).
    pub key_fingerprint: String,
    /// The fields common to every event (type, location, timestamp, webhook id).
    pub envelope: WebhookEnvelope,
    /// The typed event.
    pub event: WebhookEvent,
}

impl VerifiedWebhook {
    /// The event's type.
    pub fn event_type(&self) -> &WebhookEventType {
        &self.envelope.event_type
    }

    /// The event, dropping the rest.
    pub fn into_event(self) -> WebhookEvent {
        self.event
    }
}

/// Default tolerance on the payload's `timestamp`: 5 minutes, as HighLevel's guide suggests.
pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(5 * 60);
/// Default allowance for a `timestamp` ahead of the local clock.
pub const DEFAULT_MAX_FUTURE_SKEW: Duration = Duration::from_secs(60);

/// Verifies webhook deliveries: the signature over the exact body bytes, the timestamp
/// window, the payload, and (last) the replay store. Cheap to clone; share one per process.
///
/// ```
/// use std::time::Duration;
/// use ghl_client::webhooks::{MemoryReplayStore, WebhookPublicKey, WebhookVerifier};
///
/// # fn demo(new_key_pem: &str) -> Result<(), ghl_client::webhooks::WebhookKeyError> {
/// // HighLevel's two published keys, a 5-minute window and a memory replay store:
/// let verifier = WebhookVerifier::builder().build();
///
/// // During a rotation, trust the announced key next to the current ones:
/// let verifier = WebhookVerifier::builder()
///     .trust_key(WebhookPublicKey::from_pem(new_key_pem)?)
///     .tolerance(Duration::from_secs(600))
///     .replay_store(MemoryReplayStore::new(10_000))
///     .build();
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct WebhookVerifier {
    inner: Arc<Inner>,
}

struct Inner {
    keys: Vec<WebhookPublicKey>,
    tolerance: Duration,
    max_skew: Duration,
    replay: Option<Arc<dyn ReplayStore>>,
    require_timestamp: bool,
    require_webhook_id: bool,
}

impl fmt::Debug for WebhookVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookVerifier")
            .field("keys", &self.inner.keys)
            .field("tolerance", &self.inner.tolerance)
            .field("max_skew", &self.inner.max_skew)
            .field("replay_store", &self.inner.replay.is_some())
            .field("require_timestamp", &self.inner.require_timestamp)
            .field("require_webhook_id", &self.inner.require_webhook_id)
            .finish()
    }
}

impl Default for WebhookVerifier {
    fn default() -> Self {
        Self::builder().build()
    }
}

/// Builder of a [`WebhookVerifier`]; see [`WebhookVerifier::builder`].
#[must_use]
pub struct WebhookVerifierBuilder {
    keys: Vec<WebhookPublicKey>,
    tolerance: Duration,
    max_skew: Duration,
    replay: Option<Arc<dyn ReplayStore>>,
    require_timestamp: bool,
    require_webhook_id: bool,
}

impl fmt::Debug for WebhookVerifierBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookVerifierBuilder")
            .field("keys", &self.keys)
            .field("tolerance", &self.tolerance)
            .field("max_skew", &self.max_skew)
            .field("replay_store", &self.replay.is_some())
            .finish_non_exhaustive()
    }
}

impl WebhookVerifierBuilder {
    /// Trusts one more key (next to the ones already trusted): a rotated key, or several
    /// during a rotation. A signature is accepted when any trusted key of its scheme verifies
    /// it.
    pub fn trust_key(mut self, key: WebhookPublicKey) -> Self {
        if !self.keys.contains(&key) {
            self.keys.push(key);
        }
        self
    }

    /// Replaces the trusted keys (HighLevel's published keys are trusted by default).
    pub fn keys(mut self, keys: impl IntoIterator<Item = WebhookPublicKey>) -> Self {
        self.keys = Vec::new();
        for key in keys {
            self = self.trust_key(key);
        }
        self
    }

    /// Stops accepting the legacy RSA `x-wh-signature`: only Ed25519 `x-ghl-signature` is
    /// checked (HighLevel announced the end of RSA signatures for July 1, 2026).
    pub fn without_rsa(mut self) -> Self {
        self.keys
            .retain(|k| k.scheme() != SignatureScheme::RsaSha256);
        self
    }

    /// How old a delivery's `timestamp` may be (default [`DEFAULT_TOLERANCE`], 5 minutes).
    pub fn tolerance(mut self, tolerance: Duration) -> Self {
        self.tolerance = tolerance;
        self
    }

    /// How far ahead of the local clock a `timestamp` may be (default
    /// [`DEFAULT_MAX_FUTURE_SKEW`], 60 s).
    pub fn max_future_skew(mut self, skew: Duration) -> Self {
        self.max_skew = skew;
        self
    }

    /// Where seen webhook ids live (default: a [`MemoryReplayStore`] of 100,000 ids, right
    /// for one process; use a shared store when several processes receive webhooks).
    pub fn replay_store(mut self, store: impl ReplayStore + 'static) -> Self {
        self.replay = Some(Arc::new(store));
        self
    }

    /// As [`WebhookVerifierBuilder::replay_store`], for a store already shared.
    pub fn shared_replay_store(mut self, store: Arc<dyn ReplayStore>) -> Self {
        self.replay = Some(store);
        self
    }

    /// No replay store: duplicate ids are not detected (the host deduplicates elsewhere).
    pub fn without_replay_store(mut self) -> Self {
        self.replay = None;
        self
    }

    /// Whether a payload without `timestamp` is refused (default `true`). Without one, the
    /// window cannot be checked.
    pub fn require_timestamp(mut self, required: bool) -> Self {
        self.require_timestamp = required;
        self
    }

    /// Whether a payload without `webhookId` is refused when a replay store is set (default
    /// `true`). Without one, duplicates cannot be detected.
    pub fn require_webhook_id(mut self, required: bool) -> Self {
        self.require_webhook_id = required;
        self
    }

    /// The verifier. With no trusted key left it refuses every delivery
    /// ([`WebhookError::MissingSignature`]).
    pub fn build(self) -> WebhookVerifier {
        WebhookVerifier {
            inner: Arc::new(Inner {
                keys: self.keys,
                tolerance: self.tolerance,
                max_skew: self.max_skew,
                replay: self.replay,
                require_timestamp: self.require_timestamp,
                require_webhook_id: self.require_webhook_id,
            }),
        }
    }
}

impl WebhookVerifier {
    /// A builder trusting HighLevel's published Ed25519 and RSA keys, with a 5-minute window,
    /// 60 s of future skew and a [`MemoryReplayStore`].
    pub fn builder() -> WebhookVerifierBuilder {
        WebhookVerifierBuilder {
            keys: vec![WebhookPublicKey::ghl_ed25519(), WebhookPublicKey::ghl_rsa()],
            tolerance: DEFAULT_TOLERANCE,
            max_skew: DEFAULT_MAX_FUTURE_SKEW,
            replay: Some(Arc::new(MemoryReplayStore::default())),
            require_timestamp: true,
            require_webhook_id: true,
        }
    }

    /// The trusted keys.
    pub fn keys(&self) -> &[WebhookPublicKey] {
        &self.inner.keys
    }

    /// The timestamp tolerance.
    pub fn tolerance(&self) -> Duration {
        self.inner.tolerance
    }

    /// Checks the signature of `body` (the exact bytes received) only.
    ///
    /// `x-ghl-signature` (Ed25519) is checked when present and an Ed25519 key is trusted, and
    /// then decides alone: a bad Ed25519 signature is not retried as RSA. Otherwise
    /// `x-wh-signature` (RSA) is checked when an RSA key is trusted.
    ///
    /// # Errors
    ///
    /// [`WebhookError::MissingSignature`], [`WebhookError::MalformedSignature`] or
    /// [`WebhookError::BadSignature`].
    pub fn verify_signature<H: WebhookHeaders + ?Sized>(
        &self,
        headers: &H,
        body: &[u8],
    ) -> Result<VerifiedSignature, WebhookError> {
        let has = |scheme| self.inner.keys.iter().any(|k| k.scheme() == scheme);
        let (has_ed, has_rsa) = (
            has(SignatureScheme::Ed25519),
            has(SignatureScheme::RsaSha256),
        );
        let present = |name: &str| {
            headers
                .header(name)
                .map(<[u8]>::trim_ascii)
                .filter(|v| !v.is_empty())
        };
        let outcome = if let Some(value) = present(ED25519_HEADER).filter(|_| has_ed) {
            self.check(SignatureScheme::Ed25519, value, body)
        } else if let Some(value) = present(RSA_HEADER).filter(|_| has_rsa) {
            self.check(SignatureScheme::RsaSha256, value, body)
        } else {
            Err(WebhookError::MissingSignature {
                accepted: match (has_ed, has_rsa) {
                    (true, true) => "x-ghl-signature, x-wh-signature",
                    (true, false) => "x-ghl-signature",
                    (false, true) => "x-wh-signature",
                    (false, false) => "none: no key is trusted",
                },
            })
        };
        if let Err(error) = &outcome {
            tracing::warn!(%error, "GHL webhook signature refused");
        }
        outcome
    }

    fn check(
        &self,
        scheme: SignatureScheme,
        value: &[u8],
        body: &[u8],
    ) -> Result<VerifiedSignature, WebhookError> {
        let header = scheme.header();
        let malformed = || WebhookError::MalformedSignature { header, scheme };
        let engine = &base64::engine::general_purpose::STANDARD;
        let signature = engine
            .decode(value)
            .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(value))
            .map_err(|_| malformed())?;
        let plausible = match scheme {
            SignatureScheme::Ed25519 => signature.len() == 64,
            SignatureScheme::RsaSha256 => (256..=1024).contains(&signature.len()),
        };
        if !plausible {
            return Err(malformed());
        }
        self.inner
            .keys
            .iter()
            .filter(|k| k.scheme() == scheme)
            .find(|k| k.verifies(body, &signature))
            .map(|k| VerifiedSignature {
                scheme,
                key_fingerprint: k.fingerprint().to_owned(),
            })
            .ok_or(WebhookError::BadSignature { header, scheme })
    }

    /// Verifies one delivery: the signature over `body` (the exact bytes received, never a
    /// re-serialised body), the `timestamp` window, the payload (decoded by its `type`), and
    /// last the replay store (so a refused delivery never consumes its id).
    ///
    /// # Errors
    ///
    /// The first failed check, as a [`WebhookError`]; see [`WebhookError::http_status`] for
    /// the answer to give.
    pub async fn verify<H: WebhookHeaders + ?Sized>(
        &self,
        headers: &H,
        body: &[u8],
    ) -> Result<VerifiedWebhook, WebhookError> {
        self.verify_inner(None, headers, body).await
    }

    /// As [`WebhookVerifier::verify`], decoding the payload as `event_type` whatever its
    /// `type` says: for an endpoint that receives one event only (a conversation provider's
    /// delivery URL gets `ProviderOutboundMessage`, whose `type` is the channel).
    ///
    /// # Errors
    ///
    /// As [`WebhookVerifier::verify`].
    pub async fn verify_as<H: WebhookHeaders + ?Sized>(
        &self,
        event_type: WebhookEventType,
        headers: &H,
        body: &[u8],
    ) -> Result<VerifiedWebhook, WebhookError> {
        self.verify_inner(Some(event_type), headers, body).await
    }

    async fn verify_inner<H: WebhookHeaders + ?Sized>(
        &self,
        kind: Option<WebhookEventType>,
        headers: &H,
        body: &[u8],
    ) -> Result<VerifiedWebhook, WebhookError> {
        let signature = self.verify_signature(headers, body)?;
        let mut envelope = WebhookEnvelope::from_slice(body)?;
        if let Some(kind) = kind {
            envelope.event_type = kind;
        }
        let now = Utc::now();
        self.check_timestamp(envelope.timestamp, now)?;
        let event = WebhookEvent::decode_as(&envelope.event_type, body)?;
        if let Some(store) = &self.inner.replay {
            match &envelope.webhook_id {
                Some(id) => {
                    let from = envelope.timestamp.unwrap_or(now).max(now);
                    let keep = TimeDelta::from_std(self.inner.tolerance + self.inner.max_skew)
                        .unwrap_or(TimeDelta::MAX);
                    let expires_at = from
                        .checked_add_signed(keep)
                        .unwrap_or(DateTime::<Utc>::MAX_UTC);
                    match store
                        .insert_if_absent(id, expires_at)
                        .await
                        .map_err(WebhookError::ReplayStore)?
                    {
                        InsertOutcome::Inserted => {}
                        InsertOutcome::AlreadySeen => {
                            tracing::debug!(webhook_id = %id, "GHL webhook duplicate refused");
                            return Err(WebhookError::DuplicateWebhookId {
                                webhook_id: id.clone(),
                            });
                        }
                    }
                }
                None if self.inner.require_webhook_id => {
                    return Err(WebhookError::MissingWebhookId);
                }
                None => {}
            }
        }
        tracing::debug!(
            event_type = %envelope.event_type,
            scheme = %signature.scheme,
            key = %signature.key_fingerprint,
            "GHL webhook verified"
        );
        Ok(VerifiedWebhook {
            scheme: signature.scheme,
            key_fingerprint: signature.key_fingerprint,
            envelope,
            event,
        })
    }

    fn check_timestamp(
        &self,
        timestamp: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<(), WebhookError> {
        let Some(timestamp) = timestamp else {
            return if self.inner.require_timestamp {
                Err(WebhookError::MissingTimestamp)
            } else {
                Ok(())
            };
        };
        let offset = now.signed_duration_since(timestamp);
        if offset < TimeDelta::zero() {
            let ahead = (-offset).to_std().unwrap_or(Duration::MAX);
            if ahead > self.inner.max_skew {
                return Err(WebhookError::FutureTimestamp {
                    timestamp,
                    ahead,
                    max_skew: self.inner.max_skew,
                });
            }
        } else {
            let age = offset.to_std().unwrap_or(Duration::MAX);
            if age > self.inner.tolerance {
                return Err(WebhookError::StaleTimestamp {
                    timestamp,
                    age,
                    tolerance: self.inner.tolerance,
                });
            }
        }
        Ok(())
    }
}
