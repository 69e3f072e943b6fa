//! The crate's error type.
//!
//! Every failure is one [`Error`] variant callers can match on. Messages carry the HTTP status, the
//! request's method and path *template* (never ids, emails or phone numbers) and GHL's message;
//! bodies are kept as a short excerpt. Tokens never appear in an error.

use std::time::Duration;

use crate::ids::ContactId;
use crate::scope::Scope;

/// Longest body excerpt kept in an error, in characters.
pub const BODY_EXCERPT_LIMIT: usize = 512;

/// What GHL answered to a failed request: status, message and a truncated body excerpt.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ApiError {
    /// HTTP status code.
    pub status: u16,
    /// HTTP method of the request.
    pub method: String,
    /// Path template of the request, such as `/contacts/{id}`.
    pub path: &'static str,
    /// GHL's message; several validation messages are joined with `; `. When the body is not
    /// JSON this is the status' canonical reason.
    pub message: String,
    /// Every message of the body (`message` may be a string or an array).
    pub messages: Vec<String>,
    /// GHL's short `error` text (such as `Unprocessable Entity`), if any.
    pub error: Option<String>,
    /// The body, truncated to [`BODY_EXCERPT_LIMIT`] characters, with the token scrubbed.
    pub body_excerpt: String,
    /// A request id header, if the server sent one.
    pub request_id: Option<String>,
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {} answered {}: {}",
            self.method, self.path, self.status, self.message
        )
    }
}

/// Why [`crate::GhlClientBuilder::build`] refused its configuration.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// No [`crate::Auth`] was given.
    #[error("no authentication configured: call .auth(..)")]
    MissingAuth,
    /// No location id was given and the token does not name one.
    #[error("no location id configured: call .location_id(..)")]
    MissingLocationId,
    /// The base URL does not parse.
    #[error("invalid base URL: {0}")]
    InvalidBaseUrl(String),
    /// Plain http was asked for a host that is not loopback.
    #[error("base URL must use https (plain http is only allowed for loopback hosts)")]
    InsecureBaseUrl,
    /// The user agent is not a valid header value.
    #[error("invalid user agent")]
    InvalidUserAgent,
    /// The HTTP client could not be built (the cause is in [`source`](std::error::Error::source)).
    #[error("cannot build the HTTP client")]
    Http(#[source] TransportError),
}

/// A failure below HTTP: the request could not be sent, timed out, or its answer could not be
/// read. Opaque on purpose (the HTTP stack is not part of the public API): ask it what happened
/// with [`is_timeout`](Self::is_timeout), [`is_connect`](Self::is_connect) and
/// [`was_sent`](Self::was_sent), and walk [`source`](std::error::Error::source) for the cause.
#[derive(Debug)]
pub struct TransportError {
    operation: String,
    timeout: bool,
    connect: bool,
    sent: bool,
    source: Box<dyn std::error::Error + Send + Sync + 'static>,
}

impl TransportError {
    /// A failure to build the HTTP client.
    pub(crate) fn building(error: reqwest::Error) -> Self {
        Self {
            operation: String::new(),
            timeout: false,
            connect: false,
            sent: false,
            source: Box::new(error),
        }
    }

    /// Wraps a reqwest error of `operation` (its URL stripped, so no query value leaks).
    pub(crate) fn from_reqwest(
        operation: String,
        error: reqwest::Error,
        read_answer: bool,
    ) -> Self {
        let timeout = error.is_timeout();
        let connect = error.is_connect();
        Self {
            operation,
            timeout,
            connect,
            // Reading an answer means the request was sent; a connect error means it was not.
            sent: read_answer || !connect,
            source: Box::new(error.without_url()),
        }
    }

    /// The operation (`METHOD /path-template`), empty when building the client failed.
    pub fn operation(&self) -> &str {
        &self.operation
    }

    /// Whether the request (or the read of its answer) timed out. The request may have been
    /// applied.
    pub fn is_timeout(&self) -> bool {
        self.timeout
    }

    /// Whether the connection could not be made (the request certainly did not reach GHL).
    pub fn is_connect(&self) -> bool {
        self.connect
    }

    /// Whether the request may have reached GHL (`false` only for connect errors).
    pub fn was_sent(&self) -> bool {
        self.sent
    }
}

impl std::fmt::Display for TransportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let what = if self.timeout {
            "timed out"
        } else if self.connect {
            "could not connect"
        } else {
            "transport error"
        };
        if self.operation.is_empty() {
            f.write_str(what)
        } else {
            write!(f, "{} {what}", self.operation)
        }
    }
}

impl std::error::Error for TransportError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&*self.source)
    }
}

/// Every failure of a GHL call.
///
/// ```no_run
/// # async fn demo(client: ghl_client::GhlClient) {
/// use ghl_client::{Error, contacts::CreateContact};
///
/// let request = CreateContact::new().email("ann@example.com");
/// match client.contacts().create(&request).await {
///     Ok(contact) => println!("created {}", contact.id),
///     Err(Error::DuplicateContact { existing_contact_id: Some(id), .. }) => {
///         println!("already there: {id}");
///     }
///     Err(Error::Validation { api }) => println!("rejected: {:?}", api.messages),
///     Err(Error::MissingScope { scope, .. }) => println!("grant {scope:?} to the app"),
///     Err(e) if e.may_have_been_applied() => println!("unknown outcome, reconcile: {e}"),
///     Err(e) => println!("failed: {e}"),
/// }
/// # }
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// 422, or a 400 other than the duplicate rule: the input was rejected; `api.messages`
    /// lists the field messages and `api.status` tells which status it was.
    #[error("validation failed: {api}")]
    Validation {
        /// The server's answer.
        api: Box<ApiError>,
    },
    /// 400 "This location does not allow duplicated contacts.": a contact with the same email or
    /// phone exists.
    #[error("duplicate contact (matching field: {}): {api}", matching_field.as_deref().unwrap_or("unknown"))]
    DuplicateContact {
        /// The contact that already exists (`meta.contactId`), if the body named it.
        existing_contact_id: Option<ContactId>,
        /// The field that matched (`meta.matchingField`: `email` or `phone`), if known.
        matching_field: Option<String>,
        /// The server's answer.
        api: Box<ApiError>,
    },
    /// 401 for an expired or invalid token, after the one refresh allowed (OAuth), or at once
    /// (private token). The client remembers it and fails fast afterwards.
    #[error("unauthorized: {message}")]
    Unauthorized {
        /// Why, without any token.
        message: String,
        /// The server's answer, when there was one (not when failing fast).
        api: Option<Box<ApiError>>,
    },
    /// 401 "The token is not authorized for this scope." Never triggers a refresh; the client
    /// remembers it and fails fast on the same operation afterwards.
    #[error("token lacks the scope{} for this call: {message}", scope.as_ref().map(|s| format!(" {s}")).unwrap_or_default())]
    MissingScope {
        /// The scope the call needs, when the client knows it.
        scope: Option<Scope>,
        /// The server's (or the client's) message.
        message: String,
        /// The server's answer, when there was one (not when failing fast).
        api: Option<Box<ApiError>>,
    },
    /// [`crate::GhlClient::require_scopes`]: every scope that is missing, named at once.
    #[error("token lacks the scopes: {}", missing.iter().map(Scope::as_str).collect::<Vec<_>>().join(", "))]
    MissingScopes {
        /// The missing scopes.
        missing: Vec<Scope>,
    },
    /// 403: the token cannot access this location or resource.
    #[error("forbidden: {api}")]
    Forbidden {
        /// The server's answer.
        api: Box<ApiError>,
    },
    /// 404, or GHL's 400 "… with id … not found".
    #[error("not found: {api}")]
    NotFound {
        /// The server's answer.
        api: Box<ApiError>,
    },
    /// 429 that was not retried (retries exhausted or the wait too long).
    #[error("rate limited (retry after {retry_after:?}): {api}")]
    RateLimited {
        /// How long the server asked to wait (`Retry-After`, else the rate-limit interval).
        retry_after: Option<Duration>,
        /// The server's answer.
        api: Box<ApiError>,
    },
    /// The daily request budget of the location (`X-RateLimit-Daily-Remaining`) is spent.
    #[error("daily request budget exhausted for this location")]
    DailyLimitExhausted,
    /// 5xx after the retries allowed.
    #[error("server error: {api}")]
    Server {
        /// The server's answer.
        api: Box<ApiError>,
        /// Whether the request may have been applied (it reached the server).
        applied: bool,
    },
    /// Any other non-success status.
    #[error("unexpected answer: {api}")]
    Api {
        /// The server's answer.
        api: Box<ApiError>,
    },
    /// The request could not be sent, timed out, or its answer could not be read
    /// ([`TransportError::is_timeout`], [`TransportError::is_connect`]). It may have been applied
    /// unless it is a connect error.
    #[error(transparent)]
    Transport(TransportError),
    /// A success body did not decode into the type the operation returns. Names the operation
    /// and the JSON path of the bad field (`.` for the whole body); an empty body says
    /// "empty body".
    #[error("cannot decode the answer of {operation} (status {status}) at `{path}`: {message}")]
    Decode {
        /// The operation, `METHOD /path-template` (such as `PUT /contacts/{id}`).
        operation: String,
        /// The JSON path of the value that did not decode, such as `contact.tags[2]`.
        path: String,
        /// What was wrong with it.
        message: String,
        /// HTTP status of the answer.
        status: u16,
        /// The body, truncated and with the token scrubbed. Not part of `Display` (it may hold
        /// personal data); read it here.
        body_excerpt: String,
    },
    /// A request value could not be serialised, or an argument is invalid.
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// The host's [`crate::TokenStore`] failed.
    #[error("token store failed")]
    TokenStore(#[source] crate::auth::TokenStoreError),
    /// Client construction failed.
    #[error(transparent)]
    Build(#[from] BuildError),
}

impl Error {
    /// The server's answer, for variants that carry one.
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            Error::Validation { api }
            | Error::DuplicateContact { api, .. }
            | Error::Forbidden { api }
            | Error::NotFound { api }
            | Error::RateLimited { api, .. }
            | Error::Server { api, .. }
            | Error::Api { api } => Some(&**api),
            Error::Unauthorized { api, .. } | Error::MissingScope { api, .. } => api.as_deref(),
            _ => None,
        }
    }

    /// The HTTP status of the answer, if there was one.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Decode { status, .. } => Some(*status),
            Error::Unauthorized { .. } | Error::MissingScope { .. } => Some(401),
            other => other.api().map(|api| api.status),
        }
    }

    /// The raw message of the server, if there was an answer.
    pub fn message(&self) -> Option<&str> {
        self.api().map(|api| api.message.as_str())
    }

    /// Whether trying the same request again later could succeed (429, 5xx, timeouts and other
    /// transport failures).
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Error::RateLimited { .. } | Error::Server { .. } | Error::Transport(_)
        )
    }

    /// Whether the request may have changed data on the server although it failed: a 5xx, a
    /// timeout, a transport error after sending, or an undecodable success body. A caller that
    /// created something must reconcile (search) before creating again.
    pub fn may_have_been_applied(&self) -> bool {
        match self {
            Error::Server { applied, .. } => *applied,
            Error::Transport(transport) => transport.was_sent(),
            Error::Decode { status, .. } => (200..300).contains(status),
            _ => false,
        }
    }

    /// How long the server asked to wait, for a 429.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::RateLimited { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

/// Truncates `body` to [`BODY_EXCERPT_LIMIT`] characters and replaces every `secret` in it.
pub(crate) fn excerpt(body: &str, secrets: &[&str]) -> String {
    // Scrub the whole body first, so a secret cut by the truncation cannot survive partially.
    let mut scrubbed = std::borrow::Cow::Borrowed(body);
    for secret in secrets.iter().filter(|s| s.len() >= 4) {
        if scrubbed.contains(secret) {
            scrubbed = std::borrow::Cow::Owned(scrubbed.replace(secret, "[REDACTED]"));
        }
    }
    let mut text: String = scrubbed.chars().take(BODY_EXCERPT_LIMIT).collect();
    if scrubbed.chars().nth(BODY_EXCERPT_LIMIT).is_some() {
        text.push('…');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_types_are_send_and_sync() {
        fn check<T: Send + Sync + 'static>() {}
        check::<Error>();
        check::<crate::GhlClient>();
        check::<crate::Auth>();
        check::<crate::RateLimiter>();
    }

    #[test]
    fn excerpt_scrubs_every_secret_and_truncates() {
        let body = format!("a SECRET-1 b SECRET-2 {}", "x".repeat(600));
        let text = excerpt(&body, &["SECRET-1", "SECRET-2"]);
        assert!(text.starts_with("a [REDACTED] b [REDACTED] "));
        assert_eq!(text.chars().count(), BODY_EXCERPT_LIMIT + 1);
        assert!(text.ends_with('…'));
    }

    fn answer(status: u16, body: &str) -> Error {
        classify(FailedAnswer {
            status,
            method: "POST",
            path: "/contacts/",
            body,
            request_id: None,
            retry_after: None,
            secrets: &[],
            scope: Some(Scope::ContactsWrite),
            applied: true,
        })
    }

    #[test]
    fn classify_maps_statuses_and_bodies() {
        assert!(matches!(
            answer(
                401,
                r#"{"message":"The token is not authorized for this scope."}"#
            ),
            Error::MissingScope { .. }
        ));
        assert!(matches!(
            answer(401, r#"{"message":"Invalid JWT"}"#),
            Error::Unauthorized { .. }
        ));
        assert!(matches!(answer(401, "<html>"), Error::Unauthorized { .. }));
        assert!(matches!(
            answer(400, r#"{"message":"Missing email/phone"}"#),
            Error::Validation { .. }
        ));
        assert!(matches!(answer(409, "{}"), Error::Api { .. }));
        assert!(matches!(
            answer(400, r#"{"message":"Contact with id abc not found"}"#),
            Error::NotFound { .. }
        ));
        assert!(matches!(
            answer(
                400,
                r#"{"message":"This location does not allow duplicated contacts.","meta":{"contactId":"c","matchingField":"phone"}}"#
            ),
            Error::DuplicateContact { .. }
        ));
        assert!(matches!(answer(429, ""), Error::RateLimited { .. }));
        let server = answer(504, "");
        assert!(server.may_have_been_applied());
        assert_eq!(server.message(), Some("Gateway Timeout"));
        let nested = answer(422, r#"{"message":{"field":"bad"}}"#);
        assert_eq!(nested.message(), Some(r#"{"field":"bad"}"#));
    }
}

/// A GHL error body: `{"statusCode", "message": string | [string], "error", "meta"}`.
#[derive(Debug, Default, serde::Deserialize)]
pub(crate) struct ErrorBody {
    #[serde(default)]
    pub message: Option<MessageField>,
    #[serde(default)]
    pub msg: Option<String>,
    #[serde(default)]
    pub error: Option<serde_json::Value>,
    #[serde(default)]
    pub meta: Option<DuplicateMeta>,
}

#[derive(Debug, serde::Deserialize)]
#[serde(untagged)]
pub(crate) enum MessageField {
    One(String),
    Many(Vec<serde_json::Value>),
    Object(serde_json::Value),
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DuplicateMeta {
    #[serde(default)]
    pub contact_id: Option<String>,
    #[serde(default)]
    pub matching_field: Option<String>,
}

fn value_text(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Everything needed to turn a failed answer into an [`Error`].
pub(crate) struct FailedAnswer<'a> {
    pub status: u16,
    pub method: &'a str,
    pub path: &'static str,
    pub body: &'a str,
    pub request_id: Option<String>,
    pub retry_after: Option<Duration>,
    pub secrets: &'a [&'a str],
    pub scope: Option<Scope>,
    pub applied: bool,
}

/// Whether a 401 message says the token lacks a scope (as opposed to being expired or invalid).
pub(crate) fn is_scope_message(message: &str) -> bool {
    message.to_ascii_lowercase().contains("scope")
}

/// Maps a non-success answer to its variant. Works on any body, JSON or not.
pub(crate) fn classify(answer: FailedAnswer<'_>) -> Error {
    let parsed: ErrorBody = serde_json::from_str(answer.body).unwrap_or_default();
    let messages: Vec<String> = match &parsed.message {
        Some(MessageField::One(s)) => vec![s.clone()],
        Some(MessageField::Many(items)) => items.iter().map(value_text).collect(),
        Some(MessageField::Object(v)) => vec![value_text(v)],
        None => parsed.msg.clone().into_iter().collect(),
    };
    let error_text = parsed.error.as_ref().map(value_text);
    let message = if messages.is_empty() {
        error_text.clone().unwrap_or_else(|| {
            reqwest::StatusCode::from_u16(answer.status)
                .ok()
                .and_then(|s| s.canonical_reason())
                .unwrap_or("unknown status")
                .to_owned()
        })
    } else {
        messages.join("; ")
    };
    let api = Box::new(ApiError {
        status: answer.status,
        method: answer.method.to_owned(),
        path: answer.path,
        message: excerpt(&message, answer.secrets),
        messages: messages
            .iter()
            .map(|m| excerpt(m, answer.secrets))
            .collect(),
        error: error_text,
        body_excerpt: excerpt(answer.body, answer.secrets),
        request_id: answer.request_id,
    });
    let lower = api.message.to_ascii_lowercase();
    match answer.status {
        400 if lower.contains("duplicate")
            || parsed.meta.as_ref().is_some_and(|m| m.contact_id.is_some()) =>
        {
            let meta = parsed.meta.unwrap_or_default();
            Error::DuplicateContact {
                existing_contact_id: meta.contact_id.map(ContactId::from),
                matching_field: meta.matching_field,
                api,
            }
        }
        401 if is_scope_message(&api.message) => Error::MissingScope {
            scope: answer.scope,
            message: api.message.clone(),
            api: Some(api),
        },
        401 => Error::Unauthorized {
            message: api.message.clone(),
            api: Some(api),
        },
        403 => Error::Forbidden { api },
        404 => Error::NotFound { api },
        // GHL answers 400 "Contact with id … not found" for unknown ids.
        400 if lower.contains("not found") => Error::NotFound { api },
        // GHL answers 400 for rejected input too ("Missing email/phone"): same remedy.
        400 | 422 => Error::Validation { api },
        429 => Error::RateLimited {
            retry_after: answer.retry_after,
            api,
        },
        500..=599 => Error::Server {
            api,
            applied: answer.applied,
        },
        _ => Error::Api { api },
    }
}
