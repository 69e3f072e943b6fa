//! The crate's error type.

use std::time::Duration;

/// How many characters of a response body an error keeps.
const EXCERPT_CHARS: usize = 200;

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong calling Phorest.
///
/// Error messages never contain the API password, the `Authorization` header or request URLs
/// (which could carry client emails or phones in their query string).
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
    /// 429 after the retry budget was used up.
    #[error("Phorest rate limit exceeded (429)")]
    RateLimited {
        /// The server's `Retry-After`, if sent.
        retry_after: Option<Duration>,
    },
    /// 5xx after the retry budget was used up (or a non-retryable 5xx).
    #[error("Phorest server error ({status}){}", fmt_msg(message))]
    Server {
        /// HTTP status.
        status: u16,
        /// Phorest's message, if any.
        message: Option<String>,
        /// The start of the response body (may be HTML from a gateway).
        body_excerpt: String,
    },
    /// Any other unexpected HTTP status (e.g. 409, 412).
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
        /// The start of the response body.
        body_excerpt: String,
    },
    /// Connection or protocol failure.
    #[error("transport error talking to Phorest")]
    Transport(#[source] reqwest::Error),
    /// The request timed out (after retries).
    #[error("request to Phorest timed out")]
    Timeout,
    /// A response body could not be decoded into the expected type.
    #[error("could not decode Phorest response at `{path}`: {message}")]
    Decode {
        /// JSON path of the failing value (`_embedded.clients[3].createdAt`).
        path: String,
        /// What went wrong.
        message: String,
        /// The start of the body.
        excerpt: String,
    },
    /// The server repeated or skipped a page while paging (would loop or lose data).
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
    /// Invalid configuration or input detected before any request was sent.
    #[error("invalid Phorest client configuration: {0}")]
    Build(String),
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
    /// The HTTP status behind the error, if it came from a response.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Unauthorized { .. } => Some(401),
            Self::Forbidden { .. } => Some(403),
            Self::NotFound { .. } => Some(404),
            Self::BadRequest { .. } => Some(400),
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
            | Self::Server { message, .. }
            | Self::Api { message, .. } => message.as_deref(),
            _ => None,
        }
    }

    /// Phorest's error code (e.g. `STAFF_UNQUALIFIED`), if any.
    pub fn code(&self) -> Option<&str> {
        match self {
            Self::BadRequest { code, .. } | Self::Api { code, .. } => code.as_deref(),
            _ => None,
        }
    }

    /// Whether trying again later may succeed (429, 5xx gateway errors, timeouts, transport).
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::RateLimited { .. } | Self::Timeout | Self::Transport(_) => true,
            Self::Server { status, .. } => matches!(status, 500 | 502 | 503 | 504),
            _ => false,
        }
    }

    /// Whether the request certainly did not reach the server's handler (429, or a failed
    /// connection), so even a non-idempotent request may be replayed.
    pub(crate) fn was_not_sent(&self) -> bool {
        match self {
            Self::RateLimited { .. } => true,
            Self::Transport(e) => e.is_connect(),
            _ => false,
        }
    }

    /// The server's requested wait, for [`Error::RateLimited`].
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::RateLimited { retry_after } => *retry_after,
            _ => None,
        }
    }

    /// Maps an error response (status + body) to the matching variant. Non-JSON bodies still map
    /// by status.
    pub(crate) fn from_response(status: u16, body: &[u8], retry_after: Option<Duration>) -> Self {
        let (message, code) = parse_error_body(body);
        match status {
            400 => Self::BadRequest { message, code },
            401 => Self::Unauthorized { message },
            403 => Self::Forbidden { message },
            404 => Self::NotFound { message },
            429 => Self::RateLimited { retry_after },
            500..=599 => Self::Server {
                status,
                message,
                body_excerpt: excerpt(body),
            },
            _ => Self::Api {
                status,
                message,
                code,
                body_excerpt: excerpt(body),
            },
        }
    }

    /// A decode error with its JSON path and a body excerpt.
    pub(crate) fn decode(path: impl Into<String>, message: impl ToString, body: &[u8]) -> Self {
        Self::Decode {
            path: path.into(),
            message: message.to_string(),
            excerpt: excerpt(body),
        }
    }

    /// Maps a reqwest error, stripping the URL (its query may carry PII).
    pub(crate) fn from_reqwest(err: reqwest::Error) -> Self {
        if err.is_timeout() {
            Self::Timeout
        } else {
            Self::Transport(err.without_url())
        }
    }
}

/// The first [`EXCERPT_CHARS`] characters of a body, lossily decoded.
pub(crate) fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut out: String = text.chars().take(EXCERPT_CHARS).collect();
    if text.chars().nth(EXCERPT_CHARS).is_some() {
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
    fn excerpt_is_truncated_on_char_boundaries() {
        let body = "é".repeat(500);
        let e = excerpt(body.as_bytes());
        assert_eq!(e.chars().count(), EXCERPT_CHARS + 1);
        assert!(e.ends_with('…'));
    }
}
