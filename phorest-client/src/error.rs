//! The crate's error types: [`Error`] for calls, [`BuildError`] for the builder and the opaque
//! [`TransportError`].
//!
//! The names and meanings follow ghl-client's: `status()`, `is_retryable()`,
//! `may_have_been_applied()` and `retry_after()` answer the same questions in both crates.

use std::fmt;
use std::time::Duration;

use crate::page::RejectedRecord;

/// Longest body excerpt kept in an error, in characters (secrets are scrubbed first).
pub const BODY_EXCERPT_LIMIT: usize = 512;

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// One API operation: its HTTP method and route template (never ids or query values), e.g.
/// `GET /{businessId}/client`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Operation {
    method: &'static str,
    template: &'static str,
    /// Whether the operation only reads (a `GET`, or a `POST` that only queries).
    read: bool,
}

impl Operation {
    pub(crate) const fn new(method: &'static str, template: &'static str) -> Self {
        let read = matches!(method.as_bytes(), b"GET");
        Self {
            method,
            template,
            read,
        }
    }

    /// A `GET` of `template`.
    pub(crate) const fn get(template: &'static str) -> Self {
        Self::new("GET", template)
    }

    /// A `POST` that only reads (availability search): replayable like a `GET`.
    pub(crate) const fn post_read(template: &'static str) -> Self {
        Self {
            method: "POST",
            template,
            read: true,
        }
    }

    /// The HTTP method (`GET`, `POST`, `PUT`).
    pub fn method(&self) -> &'static str {
        self.method
    }

    /// The route template, e.g. `/{businessId}/branch/{branchId}/staff`.
    pub fn path_template(&self) -> &'static str {
        self.template
    }

    /// Whether the operation only reads (replaying it cannot change data): every `GET`, and
    /// the `POST` of the availability search.
    pub fn is_read(&self) -> bool {
        self.read
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.method, self.template)
    }
}

/// Why [`PhorestClientBuilder::build`](crate::PhorestClientBuilder::build) refused its
/// configuration.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// No business id was given (or it is blank).
    #[error("no business id configured: call .business_id(..)")]
    MissingBusinessId,
    /// No API credentials were given (or the email is blank).
    #[error("no API credentials configured: call .credentials(email, password)")]
    MissingCredentials,
    /// The base URL cannot be used (it cannot carry a path, or has no host).
    #[error("invalid base URL: {0}")]
    InvalidBaseUrl(String),
    /// Plain http was asked for a host that is not loopback.
    #[error("base URL must use https (plain http is only allowed for loopback hosts)")]
    InsecureBaseUrl,
    /// The built-in HTTP client could not be built.
    #[error("cannot build the HTTP client")]
    Http(#[source] TransportError),
}

/// What kind of transport failure a [`TransportError`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum TransportKind {
    Timeout,
    Connect,
    Other,
}

/// A request that could not be sent or whose answer could not be read: connection refused or
/// reset, TLS failure, timeout, a body cut off mid-transfer.
///
/// Opaque on purpose (the HTTP stack is not part of the public API): ask
/// [`is_timeout`](Self::is_timeout) and [`is_connect`](Self::is_connect), and walk
/// [`source`](std::error::Error::source) for the underlying cause. Request URLs are stripped
/// from the cause (their query may carry emails or phone numbers).
pub struct TransportError {
    kind: TransportKind,
    /// The operation that failed (none while building the client).
    operation: Option<Operation>,
    /// Whether the request may have reached the server.
    sent: bool,
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

impl TransportError {
    pub(crate) fn from_reqwest(operation: Option<Operation>, err: reqwest::Error) -> Self {
        let kind = if err.is_timeout() {
            TransportKind::Timeout
        } else if err.is_connect() {
            TransportKind::Connect
        } else {
            TransportKind::Other
        };
        Self {
            kind,
            operation,
            sent: kind != TransportKind::Connect,
            source: Some(Box::new(err.without_url())),
        }
    }

    /// Whether the request or the answer timed out (the request may have been applied).
    pub fn is_timeout(&self) -> bool {
        self.kind == TransportKind::Timeout
    }

    /// Whether the connection could not be made (the request certainly did not reach the
    /// server).
    pub fn is_connect(&self) -> bool {
        self.kind == TransportKind::Connect
    }

    /// The operation that failed, when the failure came from a request.
    pub fn operation(&self) -> Option<Operation> {
        self.operation
    }

    /// Whether the request was a write that may have reached the server.
    fn may_have_been_applied(&self) -> bool {
        self.sent && self.operation.is_some_and(|op| !op.is_read())
    }
}

impl fmt::Debug for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TransportError")
            .field("kind", &self.kind)
            .field("operation", &self.operation)
            .field("source", &self.source)
            .finish()
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("transport error talking to Phorest")?;
        if let Some(operation) = self.operation {
            write!(f, " on {operation}")?;
        }
        f.write_str(": ")?;
        f.write_str(match self.kind {
            TransportKind::Timeout => "the request timed out",
            TransportKind::Connect => "could not connect",
            TransportKind::Other => "the request or its answer failed in transit",
        })
    }
}

impl std::error::Error for TransportError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// Everything that can go wrong calling Phorest.
///
/// Error messages never contain the API password, the `Authorization` header or request URLs
/// (which could carry client emails or phones in their query string); body excerpts are
/// truncated to [`BODY_EXCERPT_LIMIT`] characters and scrubbed of the credentials.
///
/// ```no_run
/// # async fn demo(phorest: phorest_client::PhorestClient) {
/// use phorest_client::{Error, ClientId};
///
/// match phorest.clients().get(&ClientId::from("abc")).await {
///     Ok(client) => println!("{:?}", client.first_name),
///     Err(Error::NotFound { .. }) => println!("no such client"),
///     Err(e) if e.is_retryable() => println!("try again later: {e}"),
///     Err(e) => println!("failed: {e}"),
/// }
/// # }
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// 401: the API user or password is wrong, or the business is in another region.
    #[error("Phorest rejected the credentials (401){}", fmt_msg(message))]
    Unauthorized {
        /// Phorest's message, if the body carried one.
        message: Option<String>,
    },
    /// 403: the API user may not access this business or branch.
    #[error("Phorest refused access (403){}", fmt_msg(message))]
    Forbidden {
        /// Phorest's message, if the body carried one.
        message: Option<String>,
    },
    /// 404: unknown business, branch or resource.
    #[error("Phorest resource not found (404){}", fmt_msg(message))]
    NotFound {
        /// Phorest's message, if the body carried one.
        message: Option<String>,
    },
    /// 400: validation error or bad parameters; `code` holds Phorest's error code (e.g.
    /// `STAFF_UNQUALIFIED`) when the body carried one.
    #[error(
        "Phorest rejected the request (400){}{}",
        fmt_code(code),
        fmt_msg(message)
    )]
    BadRequest {
        /// Phorest's message.
        message: Option<String>,
        /// Phorest's error code.
        code: Option<String>,
    },
    /// 409: the write conflicts with the record's current state; for an update carrying a
    /// `version` (client update, appointment update), the version was stale: someone else
    /// changed the record since it was read. Read it again, re-apply the change, and send the
    /// new `version`. Never retried automatically.
    ///
    /// The status is UNCONFIRMED for Phorest: an integration adapter's notes say a stale
    /// version "surfaces as a CONFLICT error", which is a 409 in Spring; the body shape is
    /// not captured anywhere.
    #[error(
        "Phorest reports a conflict (409){}{}",
        fmt_code(code),
        fmt_msg(message)
    )]
    Conflict {
        /// Phorest's message, if any.
        message: Option<String>,
        /// Phorest's error code, if any.
        code: Option<String>,
    },
    /// 429 after the retry budget was used up, or asking for a longer wait than the retry
    /// policy's `max_delay`.
    #[error("Phorest rate limit exceeded (429)")]
    RateLimited {
        /// The server's `Retry-After`, if sent.
        retry_after: Option<Duration>,
    },
    /// 5xx after the retry budget was used up (or a 5xx that is not retried).
    #[error("Phorest server error ({status}) on {operation}{}", fmt_msg(message))]
    Server {
        /// The operation that failed.
        operation: Operation,
        /// HTTP status.
        status: u16,
        /// Phorest's message, if any.
        message: Option<String>,
        /// The start of the response body (may be HTML from a gateway), scrubbed.
        body_excerpt: String,
    },
    /// Any other unexpected HTTP status (e.g. 412).
    #[error(
        "Phorest answered with HTTP {status}{}{}",
        fmt_code(code),
        fmt_msg(message)
    )]
    Api {
        /// HTTP status.
        status: u16,
        /// Phorest's message, if any.
        message: Option<String>,
        /// Phorest's error code, if any.
        code: Option<String>,
        /// The start of the response body, scrubbed.
        body_excerpt: String,
    },
    /// The request could not be sent or its answer not read (after retries); timeouts
    /// included ([`TransportError::is_timeout`]).
    #[error(transparent)]
    Transport(TransportError),
    /// A successful answer did not decode into what the operation returns: not JSON (an HTML
    /// page, a body cut short, an empty body; retried first when the operation is a read) or
    /// JSON of another shape.
    #[error("cannot decode the answer of {operation} at `{path}`: {message}")]
    Decode {
        /// The operation whose answer failed.
        operation: Operation,
        /// JSON path of the failing value (`page.totalPages`), empty when the body is not
        /// JSON at all.
        path: String,
        /// What went wrong (`empty body`, `not JSON (an HTML page)`, `JSON cut short`, or
        /// the decoder's message).
        message: String,
        /// The start of the body, scrubbed. Not part of `Display` (it may hold personal
        /// data).
        body_excerpt: String,
    },
    /// One record of a list could not be decoded; the records around it were delivered.
    /// Yielded by item streams, which go on after it (see [`crate::ItemStream`]).
    #[error("{0}")]
    Rejected(Box<RejectedRecord>),
    /// The server answered with another page than the one asked for (would loop or lose data).
    #[error("Phorest returned page {returned} when page {requested} was requested")]
    UnexpectedPage {
        /// The page asked for.
        requested: u32,
        /// The page number in the response.
        returned: u32,
    },
    /// A CSV export job ended in `FAILED`.
    #[error("Phorest CSV export job {job_id} failed{}", fmt_msg(reason))]
    ExportFailed {
        /// The job id.
        job_id: String,
        /// Phorest's `failureReason`.
        reason: Option<String>,
    },
    /// A CSV export job did not finish within the polling budget.
    #[error("Phorest CSV export job {job_id} still `{status}` after {polls} polls")]
    ExportTimedOut {
        /// The job id.
        job_id: String,
        /// The last status seen.
        status: String,
        /// How many polls were made.
        polls: u32,
    },
    /// Client construction failed.
    #[error(transparent)]
    Build(#[from] BuildError),
}

fn fmt_msg(message: &Option<String>) -> String {
    message
        .as_ref()
        .map(|m| format!(": {m}"))
        .unwrap_or_default()
}

fn fmt_code(code: &Option<String>) -> String {
    code.as_ref().map(|c| format!(" [{c}]")).unwrap_or_default()
}

impl Error {
    /// The HTTP status behind the error, if it came from an answer.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Unauthorized { .. } => Some(401),
            Self::Forbidden { .. } => Some(403),
            Self::NotFound { .. } => Some(404),
            Self::BadRequest { .. } => Some(400),
            Self::Conflict { .. } => Some(409),
            Self::RateLimited { .. } => Some(429),
            Self::Server { status, .. } | Self::Api { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Phorest's message from the error body, if any.
    pub fn message(&self) -> Option<&str> {
        match self {
            Self::Unauthorized { message }
            | Self::Forbidden { message }
            | Self::NotFound { message }
            | Self::BadRequest { message, .. }
            | Self::Conflict { message, .. }
            | Self::Server { message, .. }
            | Self::Api { message, .. } => message.as_deref(),
            _ => None,
        }
    }

    /// Phorest's error code (e.g. `STAFF_UNQUALIFIED`), if any.
    pub fn code(&self) -> Option<&str> {
        match self {
            Self::BadRequest { code, .. }
            | Self::Conflict { code, .. }
            | Self::Api { code, .. } => code.as_deref(),
            _ => None,
        }
    }

    /// Whether trying the same request again later could succeed: 429, 500/502/503/504,
    /// transport failures (timeouts included), and an answer that was not JSON at all (an
    /// HTML page or a body cut short).
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::RateLimited { .. } | Self::Transport(_) => true,
            Self::Server { status, .. } => matches!(status, 500 | 502 | 503 | 504),
            Self::Decode { path, .. } => path.is_empty(),
            _ => false,
        }
    }

    /// Whether the request may have changed data on the server although it failed: a write
    /// (a `POST` or `PUT`) that got a 5xx, timed out, broke after sending, or whose
    /// success answer did not decode. Such a request is never replayed automatically; a caller
    /// must check (e.g. list the jobs, read the client) before sending it again. Always
    /// `false` for reads (the availability search included).
    pub fn may_have_been_applied(&self) -> bool {
        match self {
            Self::Server { operation, .. } | Self::Decode { operation, .. } => !operation.is_read(),
            Self::Transport(source) => source.may_have_been_applied(),
            _ => false,
        }
    }

    /// How long the server asked to wait, for a 429.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::RateLimited { retry_after } => *retry_after,
            _ => None,
        }
    }

    /// The record behind an [`Error::Rejected`] item.
    pub fn rejected_record(&self) -> Option<&RejectedRecord> {
        match self {
            Self::Rejected(record) => Some(record),
            _ => None,
        }
    }

    /// The transport failure behind an [`Error::Transport`].
    pub fn transport(&self) -> Option<&TransportError> {
        match self {
            Self::Transport(source) => Some(source),
            _ => None,
        }
    }

    /// Whether the request certainly did not reach the server's handler (429, or a failed
    /// connection), so even a write may be replayed.
    pub(crate) fn was_not_applied(&self) -> bool {
        match self {
            Self::RateLimited { .. } => true,
            Self::Transport(source) => source.is_connect(),
            _ => false,
        }
    }

    /// Maps an error answer (status + body) to its variant. Non-JSON bodies still map by
    /// status.
    pub(crate) fn from_response(
        operation: Operation,
        status: u16,
        body: &[u8],
        retry_after: Option<Duration>,
        secrets: &[&str],
    ) -> Self {
        let (message, code) = parse_error_body(body);
        let message = message.map(|m| excerpt(m.as_bytes(), secrets));
        match status {
            400 => Self::BadRequest { message, code },
            401 => Self::Unauthorized { message },
            403 => Self::Forbidden { message },
            404 => Self::NotFound { message },
            409 => Self::Conflict { message, code },
            429 => Self::RateLimited { retry_after },
            500..=599 => Self::Server {
                operation,
                status,
                message,
                body_excerpt: excerpt(body, secrets),
            },
            _ => Self::Api {
                status,
                message,
                code,
                body_excerpt: excerpt(body, secrets),
            },
        }
    }
}

/// Lossily decodes `body`, replaces every `secret` (of 4 characters or more) with
/// `[REDACTED]`, then truncates to [`BODY_EXCERPT_LIMIT`] characters.
pub(crate) fn excerpt(body: &[u8], secrets: &[&str]) -> String {
    // Scrub the whole body first, so a secret cut by the truncation cannot survive partially.
    let mut text = String::from_utf8_lossy(body);
    for secret in secrets.iter().filter(|s| s.len() >= 4) {
        if text.contains(secret) {
            text = std::borrow::Cow::Owned(text.replace(secret, "[REDACTED]"));
        }
    }
    let mut out: String = text.chars().take(BODY_EXCERPT_LIMIT).collect();
    if text.chars().nth(BODY_EXCERPT_LIMIT).is_some() {
        out.push('…');
    }
    out
}

/// Leniently extracts `(message, code)` from a JSON error body: message from `message`,
/// `detail`, `error`, `errorMessage`; code from `errorCode`, `code`, or a message that is itself
/// an `UPPER_SNAKE` code.
fn parse_error_body(body: &[u8]) -> (Option<String>, Option<String>) {
    let Ok(serde_json::Value::Object(map)) = serde_json::from_slice::<serde_json::Value>(body)
    else {
        return (None, None);
    };
    let text = |key: &str| -> Option<String> {
        match map.get(key)? {
            serde_json::Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
            serde_json::Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    };
    let message = ["message", "detail", "error", "errorMessage"]
        .iter()
        .find_map(|k| text(k));
    let code = ["errorCode", "code"]
        .iter()
        .find_map(|k| text(k))
        .or_else(|| message.clone().filter(|m| looks_like_code(m)));
    (message, code)
}

fn looks_like_code(text: &str) -> bool {
    text.contains('_')
        && text
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_types_are_send_and_sync() {
        fn check<T: Send + Sync + 'static>() {}
        check::<Error>();
        check::<BuildError>();
        check::<TransportError>();
        check::<crate::PhorestClient>();
    }

    #[test]
    fn error_body_parsing_is_lenient() {
        let (m, c) = parse_error_body(
            br#"{"message":"Staff cannot do it","errorCode":"STAFF_UNQUALIFIED"}"#,
        );
        assert_eq!(m.as_deref(), Some("Staff cannot do it"));
        assert_eq!(c.as_deref(), Some("STAFF_UNQUALIFIED"));
        let (m, c) = parse_error_body(br#"{"detail":"bad","code":400}"#);
        assert_eq!((m.as_deref(), c.as_deref()), (Some("bad"), Some("400")));
        let (m, c) = parse_error_body(br#"{"error":"CLIENT_ALREADY_BOOKED_THIS_TIME"}"#);
        assert_eq!(m.as_deref(), Some("CLIENT_ALREADY_BOOKED_THIS_TIME"));
        assert_eq!(c.as_deref(), Some("CLIENT_ALREADY_BOOKED_THIS_TIME"));
        assert_eq!(parse_error_body(b"<html>bad gateway</html>"), (None, None));
    }

    #[test]
    fn excerpt_scrubs_every_secret_then_truncates_on_char_boundaries() {
        let body = format!("a SECRET-1 b SECRET-2 {}", "é".repeat(600));
        let text = excerpt(body.as_bytes(), &["SECRET-1", "SECRET-2", "xy"]);
        assert!(text.starts_with("a [REDACTED] b [REDACTED] "), "{text}");
        assert_eq!(text.chars().count(), BODY_EXCERPT_LIMIT + 1);
        assert!(text.ends_with('…'));
        // A secret straddling the cut is scrubbed before truncation.
        let body = format!("{}SECRET-1", "x".repeat(BODY_EXCERPT_LIMIT - 3));
        assert!(!excerpt(body.as_bytes(), &["SECRET-1"]).contains("SEC"));
    }

    #[test]
    fn conflict_is_typed_and_post_reads_are_reads() {
        let put = Operation::new("PUT", "/{businessId}/client/{clientId}");
        let err = Error::from_response(
            put,
            409,
            br#"{"errorCode":"VERSION_CONFLICT","message":"stale"}"#,
            None,
            &[],
        );
        assert!(matches!(err, Error::Conflict { .. }));
        assert_eq!(
            (err.status(), err.code(), err.message()),
            (Some(409), Some("VERSION_CONFLICT"), Some("stale"))
        );
        assert!(!err.is_retryable() && !err.may_have_been_applied());
        assert!(!put.is_read());
        let search =
            Operation::post_read("/{businessId}/branch/{branchId}/appointments/availability");
        assert!(search.is_read() && search.method() == "POST");
        let server = Error::from_response(search, 503, b"", None, &[]);
        assert!(!server.may_have_been_applied(), "a read changes nothing");
    }

    #[test]
    fn applied_only_for_writes_that_reached_the_server() {
        let get = Operation::new("GET", "/{businessId}/client");
        let post = Operation::new("POST", "/{businessId}/branch/{branchId}/csvexportjob");
        let server = |operation| Error::from_response(operation, 503, b"", None, &[]);
        assert!(!server(get).may_have_been_applied());
        assert!(server(post).may_have_been_applied());
        assert!(server(post).is_retryable());
        let rate = Error::from_response(post, 429, b"", Some(Duration::from_secs(2)), &[]);
        assert!(!rate.may_have_been_applied() && rate.was_not_applied());
        assert_eq!(rate.retry_after(), Some(Duration::from_secs(2)));
        let decode = |operation, path: &str| Error::Decode {
            operation,
            path: path.to_owned(),
            message: "m".into(),
            body_excerpt: String::new(),
        };
        assert!(decode(post, "jobId").may_have_been_applied());
        assert!(!decode(get, "").may_have_been_applied());
        assert!(decode(get, "").is_retryable(), "not JSON at all: transient");
        assert!(
            !decode(get, "page.totalPages").is_retryable(),
            "wrong shape"
        );
        assert_eq!(
            post.to_string(),
            "POST /{businessId}/branch/{branchId}/csvexportjob"
        );
    }
}
