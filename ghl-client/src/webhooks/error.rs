//! [`WebhookError`] and [`ReplayStoreError`].

use std::fmt;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::keys::SignatureScheme;
use crate::ids::WebhookId;

/// Why a webhook delivery was refused.
///
/// [`WebhookError::http_status`] suggests the answer to give HighLevel. Nothing secret is ever
/// in an error: signatures, keys and payload values are not quoted.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WebhookError {
    /// No signature header the verifier accepts (`x-ghl-signature` with an Ed25519 key,
    /// `x-wh-signature` with an RSA key).
    #[error("no webhook signature header this verifier accepts ({accepted})")]
    MissingSignature {
        /// The headers the verifier would have checked, comma-separated.
        accepted: &'static str,
    },
    /// The signature header is not base64 of a signature of the right length.
    #[error("the {header} header is not a base64 {scheme} signature")]
    MalformedSignature {
        /// The header name.
        header: &'static str,
        /// The scheme it carries.
        scheme: SignatureScheme,
    },
    /// The signature does not match the body under any trusted key: forged, altered, or
    /// signed with a key the verifier does not trust (rotation).
    #[error("the {scheme} signature in {header} does not match the body under any trusted key")]
    BadSignature {
        /// The header name.
        header: &'static str,
        /// The scheme it carries.
        scheme: SignatureScheme,
    },
    /// The payload has no `timestamp` (and the verifier requires one).
    #[error("the webhook payload has no timestamp")]
    MissingTimestamp,
    /// The `timestamp` is older than the tolerance: a late or replayed delivery.
    #[error(
        "stale webhook: sent at {timestamp}, {}s ago (tolerance {}s)",
        age.as_secs(),
        tolerance.as_secs()
    )]
    StaleTimestamp {
        /// The payload's timestamp.
        timestamp: DateTime<Utc>,
        /// How old it was.
        age: Duration,
        /// The configured tolerance.
        tolerance: Duration,
    },
    /// The `timestamp` is further in the future than the allowed clock skew.
    #[error(
        "webhook from the future: sent at {timestamp}, {}s ahead (allowed skew {}s)",
        ahead.as_secs(),
        max_skew.as_secs()
    )]
    FutureTimestamp {
        /// The payload's timestamp.
        timestamp: DateTime<Utc>,
        /// How far ahead of the local clock it was.
        ahead: Duration,
        /// The configured skew.
        max_skew: Duration,
    },
    /// The payload has no `webhookId` (and the verifier requires one).
    #[error("the webhook payload has no webhookId")]
    MissingWebhookId,
    /// This `webhookId` was already accepted: a replay (or a duplicate delivery).
    #[error("duplicate webhook id {webhook_id}")]
    DuplicateWebhookId {
        /// The repeated id.
        webhook_id: WebhookId,
    },
    /// The body is not JSON, or a field of a known event has the wrong shape.
    #[error("malformed webhook payload{}: {message} (at {path})", event_type.as_deref().map(|t| format!(" ({t})")).unwrap_or_default())]
    MalformedPayload {
        /// The event type, when it was known.
        event_type: Option<String>,
        /// JSON path of the bad value (`appointment.users`, `.` for the whole body).
        path: String,
        /// What was wrong.
        message: String,
    },
    /// The replay store failed: the delivery could not be checked against seen ids.
    #[error("webhook replay store failed")]
    ReplayStore(#[source] ReplayStoreError),
    /// The request body could not be read (framework integrations).
    #[error("cannot read the webhook body: {message}")]
    ReadBody {
        /// What went wrong.
        message: String,
    },
}

impl WebhookError {
    /// The status to answer HighLevel with.
    ///
    /// - 401 for signature failures, stale or future timestamps and missing replay fields;
    /// - 400 for malformed payloads and unreadable bodies;
    /// - 200 for a duplicate: the delivery was already accepted, acknowledge it and do nothing;
    /// - 429 when the replay store failed: HighLevel's webhook guide says it retries 429 answers
    ///   only (every 10 minutes, 6 times) and never 5xx, so 429 is the one answer that gets
    ///   the delivery again. Whether a retry carries a fresh `timestamp` is not documented; if it
    ///   does not, retries later than the tolerance are refused as stale.
    pub fn http_status(&self) -> u16 {
        match self {
            Self::DuplicateWebhookId { .. } => 200,
            Self::ReplayStore(_) => 429,
            Self::MalformedPayload { .. } | Self::ReadBody { .. } => 400,
            Self::MissingSignature { .. }
            | Self::MalformedSignature { .. }
            | Self::BadSignature { .. }
            | Self::MissingTimestamp
            | Self::StaleTimestamp { .. }
            | Self::FutureTimestamp { .. }
            | Self::MissingWebhookId => 401,
        }
    }

    /// Whether this is a duplicate delivery (already accepted once).
    pub fn is_duplicate(&self) -> bool {
        matches!(self, Self::DuplicateWebhookId { .. })
    }

    /// Whether the same delivery may succeed later (the replay store failed).
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::ReplayStore(_))
    }
}

/// A failure of a [`ReplayStore`](super::ReplayStore): an opaque message and the underlying
/// error as `source()`, so no storage crate's error type is part of this API.
pub struct ReplayStoreError {
    message: String,
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

impl ReplayStoreError {
    /// An error with a message.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            source: None,
        }
    }

    /// An error with a message and its cause.
    pub fn with_source(
        message: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Self {
            message: message.into(),
            source: Some(Box::new(source)),
        }
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Debug for ReplayStoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReplayStoreError")
            .field("message", &self.message)
            .field("source", &self.source.as_ref().map(|s| s.to_string()))
            .finish()
    }
}

impl fmt::Display for ReplayStoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ReplayStoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|s| s as &(dyn std::error::Error + 'static))
    }
}
