//! [`PhorestClient`], its builder, and the send path: pacing, retries, decoding.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use tracing::Instrument;
use url::Url;

use crate::error::{BuildError, Error, Operation, Result, TransportError, excerpt};
use crate::ids::BusinessId;
use crate::pacing::{Pacer, Pacing};
use crate::query::Query;
use crate::retry::RetryPolicy;

/// Production base URL (before `/{businessId}`) for EU businesses.
pub const EU_BASE_URL: &str =
    "https://api-gateway-eu.phorest.com/third-party-api-server/api/business";
/// Production base URL (before `/{businessId}`) for US and Australian businesses.
pub const US_BASE_URL: &str = "https://platform-us.phorest.com/third-party-api-server/api/business";

/// Where the business lives.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Region {
    /// Ireland, UK and the rest of Europe ([`EU_BASE_URL`]).
    Eu,
    /// US, Canada and Australia ([`US_BASE_URL`]).
    Us,
    /// Any other base URL: everything before `/{businessId}`, e.g.
    /// `https://api-gateway-dev.phorest.com/third-party-api-server/api/business` or a sandbox.
    /// Must be `https` unless the host is loopback.
    Custom(Url),
}

impl Region {
    fn base_url(&self) -> Result<Url, BuildError> {
        match self {
            Self::Eu => Url::parse(EU_BASE_URL),
            Self::Us => Url::parse(US_BASE_URL),
            Self::Custom(url) => Ok(url.clone()),
        }
        .map_err(|e| BuildError::InvalidBaseUrl(e.to_string()))
    }
}

/// Builder for [`PhorestClient`]; see [`PhorestClient::builder`].
#[derive(Default)]
pub struct PhorestClientBuilder {
    region: Option<Region>,
    business_id: Option<BusinessId>,
    email: Option<String>,
    password: Option<SecretString>,
    timeout: Option<Duration>,
    connect_timeout: Option<Duration>,
    http: Option<reqwest::Client>,
    pacing: Option<Pacing>,
    retry: Option<RetryPolicy>,
    user_agent: Option<String>,
}

impl fmt::Debug for PhorestClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PhorestClientBuilder")
            .field("region", &self.region)
            .field("business_id", &self.business_id)
            .field("password", &self.password.as_ref().map(|_| "[redacted]"))
            .field("timeout", &self.timeout)
            .field("pacing", &self.pacing)
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}

impl PhorestClientBuilder {
    /// The business's region or a custom base URL (default [`Region::Eu`]).
    pub fn region(mut self, region: Region) -> Self {
        self.region = Some(region);
        self
    }
    /// The Phorest business id (required).
    pub fn business_id(mut self, id: impl Into<BusinessId>) -> Self {
        self.business_id = Some(id.into());
        self
    }
    /// The API user's email and password (required). The `global/` username prefix is added
    /// unless `email` already starts with it.
    pub fn credentials(
        mut self,
        email: impl Into<String>,
        password: impl Into<SecretString>,
    ) -> Self {
        self.email = Some(email.into());
        self.password = Some(password.into());
        self
    }
    /// Whole-request timeout (default 30 s), applied per attempt.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }
    /// Connect timeout of the built-in HTTP client (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }
    /// Use this `reqwest::Client` instead of building one (its TLS setup is the caller's).
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }
    /// Client-side pacing (default [`Pacing::default`]: 90 requests/s, adapting to 429s).
    pub fn pacing(mut self, pacing: Pacing) -> Self {
        self.pacing = Some(pacing);
        self
    }
    /// Retry policy (default [`RetryPolicy::default`]).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = Some(policy);
        self
    }
    /// `User-Agent` of the built-in HTTP client.
    pub fn user_agent(mut self, agent: impl Into<String>) -> Self {
        self.user_agent = Some(agent.into());
        self
    }

    /// Validates the configuration and builds the client.
    ///
    /// Installs rustls' ring crypto provider as the process default when none is installed
    /// and no [`http_client`](Self::http_client) was given.
    pub fn build(self) -> Result<PhorestClient, BuildError> {
        let base = self.region.unwrap_or(Region::Eu).base_url()?;
        check_base_url(&base)?;
        let business_id = self
            .business_id
            .filter(|b| !b.as_str().trim().is_empty())
            .ok_or(BuildError::MissingBusinessId)?;
        let email = self
            .email
            .map(|e| e.trim().to_owned())
            .filter(|e| !e.is_empty())
            .ok_or(BuildError::MissingCredentials)?;
        let password = self.password.ok_or(BuildError::MissingCredentials)?;
        let username = if email.starts_with("global/") {
            email
        } else {
            format!("global/{email}")
        };
        let http = match self.http {
            Some(http) => http,
            None => {
                install_crypto_provider();
                reqwest::Client::builder()
                    .connect_timeout(self.connect_timeout.unwrap_or(Duration::from_secs(10)))
                    .user_agent(self.user_agent.unwrap_or_else(|| {
                        concat!("phorest-client/", env!("CARGO_PKG_VERSION")).to_owned()
                    }))
                    .build()
                    .map_err(|e| BuildError::Http(TransportError::from_reqwest(None, e)))?
            }
        };
        let basic = SecretString::from(
            base64::engine::general_purpose::STANDARD
                .encode(format!("{username}:{}", password.expose_secret())),
        );
        let pacing = self.pacing.unwrap_or_default();
        Ok(PhorestClient {
            inner: Arc::new(Inner {
                base,
                business_id,
                username,
                password,
                basic,
                http,
                timeout: self.timeout.unwrap_or(Duration::from_secs(30)),
                pacer: Pacer::new(pacing),
                retry: self.retry.unwrap_or_default(),
            }),
        })
    }
}

fn check_base_url(base: &Url) -> Result<(), BuildError> {
    if base.cannot_be_a_base() {
        return Err(BuildError::InvalidBaseUrl(
            "the base URL cannot carry a path".into(),
        ));
    }
    let loopback = match base.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => return Err(BuildError::InvalidBaseUrl("no host".into())),
    };
    match base.scheme() {
        "https" => Ok(()),
        "http" if loopback => Ok(()),
        "http" => Err(BuildError::InsecureBaseUrl),
        other => Err(BuildError::InvalidBaseUrl(format!(
            "unsupported scheme `{other}`"
        ))),
    }
}

/// Installs rustls' ring provider as the process default, once, unless the host installed one.
fn install_crypto_provider() {
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(|| {
        // Already installed by the host is fine: reqwest uses whichever is the default.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

struct Inner {
    base: Url,
    business_id: BusinessId,
    username: String,
    password: SecretString,
    /// base64(`username:password`), the Basic credential (scrubbed from excerpts).
    basic: SecretString,
    http: reqwest::Client,
    timeout: Duration,
    pacer: Pacer,
    retry: RetryPolicy,
}

/// A typed async client for the Phorest Third-Party API.
///
/// Cheap to clone: clones share the HTTP connection pool and the pacing state.
#[derive(Clone)]
pub struct PhorestClient {
    inner: Arc<Inner>,
}

impl fmt::Debug for PhorestClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PhorestClient")
            .field("base", &self.inner.base.as_str())
            .field("business_id", &self.inner.business_id)
            .field("password", &"[redacted]")
            .field("retry", &self.inner.retry)
            .finish_non_exhaustive()
    }
}

/// A request to a path under the business: `segments` are appended (each percent-encoded)
/// after `/{businessId}`; `operation` names it in logs and errors.
pub(crate) struct Call<'a> {
    pub(crate) operation: Operation,
    pub(crate) segments: &'a [&'a str],
    pub(crate) query: &'a Query,
    pub(crate) body: Option<&'a serde_json::Value>,
}

impl Call<'_> {
    /// Whether the request may be replayed after an ambiguous failure (reads are). A write is
    /// only retried when it certainly was not applied (429, connection failure).
    fn idempotent(&self) -> bool {
        self.operation.is_read()
    }

    fn method(&self) -> reqwest::Method {
        match self.operation.method() {
            "POST" => reqwest::Method::POST,
            "PUT" => reqwest::Method::PUT,
            _ => reqwest::Method::GET,
        }
    }
}

/// A successful answer: the raw body, and its JSON when the call expects JSON.
pub(crate) struct Answer {
    pub(crate) bytes: Vec<u8>,
    pub(crate) json: serde_json::Value,
}

/// Whether the call's success body must be JSON (checked inside the retry loop).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Expect {
    Json,
    Bytes,
}

impl PhorestClient {
    /// Starts a builder.
    ///
    /// ```no_run
    /// # fn run() -> Result<(), phorest_client::BuildError> {
    /// use phorest_client::{PhorestClient, Region};
    /// use secrecy::SecretString;
    ///
    /// let client = PhorestClient::builder()
    ///     .region(Region::Eu)
    ///     .business_id("biz123")
    ///     .credentials("api@salon.example", SecretString::from("password"))
    ///     .build()?;
    /// # Ok(()) }
    /// ```
    pub fn builder() -> PhorestClientBuilder {
        PhorestClientBuilder::default()
    }

    /// The business this client talks to.
    pub fn business_id(&self) -> &BusinessId {
        &self.inner.business_id
    }

    /// The base URL (before `/{businessId}`).
    pub fn base_url(&self) -> &Url {
        &self.inner.base
    }

    /// The retry policy in force.
    pub fn retry_policy(&self) -> RetryPolicy {
        self.inner.retry
    }

    /// The pacing's current rate in requests per second: the configured one, or less while
    /// recovering from 429s. `None` when pacing is unlimited.
    pub fn current_rate(&self) -> Option<f64> {
        self.inner.pacer.current_rate()
    }

    /// `GET /{businessId}/{segments…}?{query}` answered as the JSON Phorest sent, untyped: an
    /// escape hatch for fields and endpoints this SDK does not type yet, and for probing what a
    /// tenant really sends (literal time zones, timestamp shapes, page sizes). Paced, retried
    /// and authenticated like every other call; errors are the same typed [`Error`]s. Each
    /// segment is percent-encoded.
    ///
    /// ```no_run
    /// # async fn demo(client: phorest_client::PhorestClient) -> phorest_client::Result<()> {
    /// let page = client.get_raw(&["client"], &[("size", "1".to_owned())]).await?;
    /// let total = page["page"]["totalElements"].as_u64();
    /// # Ok(()) }
    /// ```
    pub async fn get_raw(
        &self,
        segments: &[&str],
        query: &[(&'static str, String)],
    ) -> Result<serde_json::Value> {
        let mut q = Query::default();
        for (key, value) in query {
            q.push(key, value);
        }
        self.get_json(Operation::get("/{businessId}/(raw)"), segments, &q)
            .await
    }

    fn url(&self, segments: &[&str]) -> Result<Url> {
        let mut url = self.inner.base.clone();
        url.path_segments_mut()
            .map_err(|()| {
                Error::Build(BuildError::InvalidBaseUrl(
                    "the base URL cannot carry a path".into(),
                ))
            })?
            .pop_if_empty()
            .push(self.inner.business_id.as_str())
            .extend(segments);
        Ok(url)
    }

    /// The secrets scrubbed from every body excerpt: the password and the Basic credential.
    fn secrets(&self) -> [&str; 2] {
        [
            self.inner.password.expose_secret(),
            self.inner.basic.expose_secret(),
        ]
    }

    /// A scrubbed, truncated excerpt of a body.
    pub(crate) fn excerpt(&self, body: &[u8]) -> String {
        excerpt(body, &self.secrets())
    }

    /// Sends a request whose success body is JSON, with pacing and retries. A success body
    /// that is not JSON (HTML, cut short, empty) is retried like a 5xx for reads, then
    /// reported as [`Error::Decode`] with an empty path.
    pub(crate) async fn send_json(&self, call: Call<'_>) -> Result<Answer> {
        let url = self.url(call.segments)?;
        self.execute(url, &call, true, Expect::Json).await
    }

    /// Downloads an absolute URL (a presigned export URL). The Basic auth header is only sent
    /// when the URL is on the API's own origin.
    pub(crate) async fn download(&self, operation: Operation, url: Url) -> Result<Vec<u8>> {
        let same_origin = url.origin() == self.inner.base.origin();
        let query = Query::default();
        let call = Call {
            operation,
            segments: &[],
            query: &query,
            body: None,
        };
        Ok(self
            .execute(url, &call, same_origin, Expect::Bytes)
            .await?
            .bytes)
    }

    /// The send path: one `phorest.request` span (operation, status, attempts, latency).
    async fn execute(
        &self,
        url: Url,
        call: &Call<'_>,
        auth: bool,
        expect: Expect,
    ) -> Result<Answer> {
        let span = tracing::debug_span!(
            "phorest.request",
            method = call.operation.method(),
            path = call.operation.path_template(),
            status = tracing::field::Empty,
            attempts = tracing::field::Empty,
            latency_ms = tracing::field::Empty,
        );
        self.send_with_retries(url, call, auth, expect)
            .instrument(span)
            .await
    }

    async fn send_with_retries(
        &self,
        url: Url,
        call: &Call<'_>,
        auth: bool,
        expect: Expect,
    ) -> Result<Answer> {
        let started = tokio::time::Instant::now();
        let policy = self.inner.retry;
        let mut failures: u32 = 0;
        loop {
            self.inner.pacer.wait().await;
            let outcome = match self.attempt(url.clone(), call, auth).await {
                Ok(bytes) if expect == Expect::Json => match parse_json(&bytes) {
                    Ok(json) => Ok(Answer { bytes, json }),
                    Err(message) => Err(Error::Decode {
                        operation: call.operation,
                        path: String::new(),
                        message,
                        body_excerpt: self.excerpt(&bytes),
                    }),
                },
                Ok(bytes) => Ok(Answer {
                    bytes,
                    json: serde_json::Value::Null,
                }),
                Err(err) => Err(err),
            };
            let span = tracing::Span::current();
            span.record("attempts", failures + 1);
            span.record(
                "latency_ms",
                u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            );
            let err = match outcome {
                Ok(answer) => return Ok(answer),
                Err(err) => err,
            };
            failures += 1;
            let retry_after = err.retry_after();
            if matches!(err, Error::RateLimited { .. }) {
                // Every 429 slows the client down; a Retry-After pauses all its clones.
                self.inner
                    .pacer
                    .rate_limited(retry_after.map(|w| w.min(policy.max_delay)));
            }
            let replayable = call.idempotent() || err.was_not_applied();
            if !(err.is_retryable() && replayable && failures < policy.max_attempts) {
                return Err(err);
            }
            if retry_after.is_some_and(|w| w > policy.max_delay) {
                return Err(err);
            }
            let backoff = retry_after.is_none().then(|| policy.backoff_for(failures));
            tracing::warn!(
                status = err.status(),
                attempt = failures,
                wait_ms = backoff
                    .or(retry_after)
                    .map_or(0, |w| u64::try_from(w.as_millis()).unwrap_or(u64::MAX)),
                "retrying Phorest request"
            );
            if let Some(wait) = backoff {
                tokio::time::sleep(wait).await;
            }
        }
    }

    async fn attempt(&self, url: Url, call: &Call<'_>, auth: bool) -> Result<Vec<u8>> {
        let transport = |e| Error::Transport(TransportError::from_reqwest(Some(call.operation), e));
        let mut req = self
            .inner
            .http
            .request(call.method(), url)
            .timeout(self.inner.timeout)
            .header(reqwest::header::ACCEPT, "application/json")
            .query(call.query.pairs());
        if auth {
            req = req.basic_auth(
                &self.inner.username,
                Some(self.inner.password.expose_secret()),
            );
        }
        if let Some(body) = call.body {
            req = req.json(body);
        }
        let resp = req.send().await.map_err(transport)?;
        let status = resp.status().as_u16();
        tracing::Span::current().record("status", status);
        let retry_after = resp
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_retry_after);
        let body = resp.bytes().await.map_err(transport)?.to_vec();
        if (200..300).contains(&status) {
            Ok(body)
        } else {
            Err(Error::from_response(
                call.operation,
                status,
                &body,
                retry_after,
                &self.secrets(),
            ))
        }
    }

    /// GETs a path and decodes one JSON object.
    pub(crate) async fn get_json<T: DeserializeOwned>(
        &self,
        operation: Operation,
        segments: &[&str],
        query: &Query,
    ) -> Result<T> {
        let answer = self
            .send_json(Call {
                operation,
                segments,
                query,
                body: None,
            })
            .await?;
        self.decode(operation, answer)
    }

    /// Sends a write (`POST`/`PUT`) with a JSON body (none when `body` is `None`) and decodes
    /// its JSON answer. Not replayed unless certainly not applied (429, failed connection).
    pub(crate) async fn write_json<T: DeserializeOwned>(
        &self,
        operation: Operation,
        segments: &[&str],
        body: Option<&serde_json::Value>,
    ) -> Result<T> {
        let answer = self
            .send_json(Call {
                operation,
                segments,
                query: &Query::default(),
                body,
            })
            .await?;
        self.decode(operation, answer)
    }

    /// Sends a write whose success body may be empty (Phorest answers some actions with no
    /// body); a non-empty answer is returned as JSON when it parses, else ignored.
    pub(crate) async fn write_empty(
        &self,
        operation: Operation,
        segments: &[&str],
        body: Option<&serde_json::Value>,
    ) -> Result<Option<serde_json::Value>> {
        let url = self.url(segments)?;
        let call = Call {
            operation,
            segments,
            query: &Query::default(),
            body,
        };
        let answer = self.execute(url, &call, true, Expect::Bytes).await?;
        Ok(parse_json(&answer.bytes).ok())
    }

    /// Decodes an answer's JSON into `T`, naming the failing JSON path.
    pub(crate) fn decode<T: DeserializeOwned>(
        &self,
        operation: Operation,
        answer: Answer,
    ) -> Result<T> {
        serde_path_to_error::deserialize(answer.json).map_err(|e| Error::Decode {
            operation,
            path: e.path().to_string(),
            message: e.into_inner().to_string(),
            body_excerpt: self.excerpt(&answer.bytes),
        })
    }
}

/// Parses a success body as JSON; the error names what the body was instead.
fn parse_json(body: &[u8]) -> Result<serde_json::Value, String> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err("empty body".to_owned());
    }
    serde_json::from_slice(body).map_err(|e| {
        let first = body.iter().find(|b| !b.is_ascii_whitespace()).copied();
        match e.classify() {
            serde_json::error::Category::Eof => format!("JSON cut short ({e})"),
            _ if first == Some(b'<') => "not JSON (an HTML page)".to_owned(),
            _ => format!("not JSON ({e})"),
        }
    })
}

/// `Retry-After` as delay-seconds or an HTTP date.
fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let wait = when.with_timezone(&chrono::Utc) - chrono::Utc::now();
    Some(wait.to_std().unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_forms() {
        assert_eq!(parse_retry_after("3"), Some(Duration::from_secs(3)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon"), None);
    }

    #[test]
    fn non_json_bodies_are_named() {
        let cases: [(&[u8], &str); 5] = [
            (b"", "empty body"),
            (b"  \n", "empty body"),
            (
                b"<html><h1>502 Bad Gateway</h1></html>",
                "not JSON (an HTML page)",
            ),
            (
                br#"{"_embedded":{"clients":[{"clientId":"a"#,
                "JSON cut short",
            ),
            (b"Service Unavailable", "not JSON ("),
        ];
        for (body, expected) in cases {
            let message = parse_json(body).unwrap_err();
            assert!(message.starts_with(expected), "{message}");
            assert!(!message.contains("EOF while") || message.starts_with("JSON cut short"));
        }
        assert!(parse_json(b"{}").is_ok());
    }

    #[test]
    fn base_url_rules() {
        let check = |u: &str| check_base_url(&Url::parse(u).unwrap());
        assert!(check("https://api.example.com/x").is_ok());
        assert!(check("http://127.0.0.1:8080/x").is_ok());
        assert!(check("http://localhost:8080").is_ok());
        assert!(check("http://[::1]:9000").is_ok());
        assert!(matches!(
            check("http://api.example.com/x"),
            Err(BuildError::InsecureBaseUrl)
        ));
        assert!(matches!(
            check("ftp://127.0.0.1/"),
            Err(BuildError::InvalidBaseUrl(_))
        ));
        assert!(matches!(
            check("mailto:a@b.c"),
            Err(BuildError::InvalidBaseUrl(_))
        ));
    }
}
