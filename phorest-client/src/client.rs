//! [`PhorestClient`], its builder, pacing and retries.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use rand::Rng;
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use tokio::sync::Mutex;
use tokio::time::Instant;
use tracing::Instrument;
use url::Url;

use crate::error::{Error, Result};
use crate::ids::BusinessId;
use crate::query::Query;

/// Production base URL (before `/{businessId}`) for EU businesses.
pub const EU_BASE_URL: &str =
    "https://api-gateway-eu.phorest.com/third-party-api-server/api/business";
/// Production base URL (before `/{businessId}`) for US and Australian businesses.
pub const US_BASE_URL: &str = "https://platform-us.phorest.com/third-party-api-server/api/business";

/// Where the business lives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Region {
    /// Ireland, UK and the rest of Europe ([`EU_BASE_URL`]).
    Eu,
    /// US and Australia ([`US_BASE_URL`]).
    Us,
    /// Any other base URL: everything before `/{businessId}`, e.g.
    /// `https://api-gateway-dev.phorest.com/third-party-api-server/api/business` or a sandbox.
    /// Must be `https` unless the host is loopback.
    Custom(Url),
}

impl Region {
    fn base_url(&self) -> Result<Url> {
        match self {
            Self::Eu => Url::parse(EU_BASE_URL).map_err(|e| Error::Build(e.to_string())),
            Self::Us => Url::parse(US_BASE_URL).map_err(|e| Error::Build(e.to_string())),
            Self::Custom(url) => Ok(url.clone()),
        }
    }
}

/// Client-side pacing: the maximum request rate of one client (shared by its clones).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Pacing {
    min_interval: Duration,
}

impl Pacing {
    /// At most `requests` per second (values below 1 are treated as 1).
    pub fn per_second(requests: u32) -> Self {
        Self {
            min_interval: Duration::from_secs(1) / requests.max(1),
        }
    }
    /// No client-side pacing (sandboxes and tests).
    pub fn unlimited() -> Self {
        Self {
            min_interval: Duration::ZERO,
        }
    }
    /// The minimum spacing between request starts.
    pub fn min_interval(&self) -> Duration {
        self.min_interval
    }
}

impl Default for Pacing {
    /// 10 requests per second, well under Phorest's documented limit.
    fn default() -> Self {
        Self::per_second(10)
    }
}

/// Bounded retries with exponential backoff and full jitter, for 429, 500/502/503/504,
/// timeouts and connection errors. Every read is idempotent, so reads always retry.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (0 disables retrying).
    pub max_retries: u32,
    /// Backoff before the first retry; doubles on each retry.
    pub initial_backoff: Duration,
    /// Upper bound of one backoff, and of an honoured `Retry-After`.
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 4,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// No retries.
    pub fn none() -> Self {
        Self {
            max_retries: 0,
            ..Self::default()
        }
    }

    /// The wait before retry number `retry` (0-based): a random value in
    /// `[base/2, base]` with `base = initial * 2^retry`, capped, or the server's `Retry-After`
    /// (capped) when it sent one.
    pub(crate) fn delay(&self, retry: u32, retry_after: Option<Duration>) -> Duration {
        if let Some(wait) = retry_after {
            return wait.min(self.max_backoff);
        }
        let base = self
            .initial_backoff
            .saturating_mul(2u32.saturating_pow(retry.min(16)))
            .min(self.max_backoff);
        let half = base / 2;
        let jitter_ms = u64::try_from(half.as_millis()).unwrap_or(u64::MAX);
        half + Duration::from_millis(rand::rng().random_range(0..=jitter_ms))
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
    /// Client-side pacing (default [`Pacing::default`], 10 requests/s).
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
    pub fn build(self) -> Result<PhorestClient> {
        let base = self.region.unwrap_or(Region::Eu).base_url()?;
        check_base_url(&base)?;
        let business_id = self
            .business_id
            .filter(|b| !b.as_str().trim().is_empty())
            .ok_or_else(|| Error::Build("a business id is required".into()))?;
        let email = self
            .email
            .map(|e| e.trim().to_owned())
            .filter(|e| !e.is_empty())
            .ok_or_else(|| Error::Build("API credentials (email, password) are required".into()))?;
        let password = self
            .password
            .ok_or_else(|| Error::Build("API credentials (email, password) are required".into()))?;
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
                    .map_err(|e| Error::Build(format!("HTTP client: {}", e.without_url())))?
            }
        };
        Ok(PhorestClient {
            inner: Arc::new(Inner {
                base,
                business_id,
                username,
                password,
                http,
                timeout: self.timeout.unwrap_or(Duration::from_secs(30)),
                pacing: self.pacing.unwrap_or_default(),
                next_slot: Mutex::new(None),
                retry: self.retry.unwrap_or_default(),
            }),
        })
    }
}

fn check_base_url(base: &Url) -> Result<()> {
    if base.cannot_be_a_base() {
        return Err(Error::Build("the base URL cannot carry a path".into()));
    }
    let loopback = match base.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    match base.scheme() {
        "https" => Ok(()),
        "http" if loopback => Ok(()),
        _ => Err(Error::Build(
            "the base URL must use https (plain http only for loopback)".into(),
        )),
    }
}

#[cfg(feature = "rustls")]
fn install_crypto_provider() {
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(|| {
        // Already installed by the host is fine: reqwest uses whichever is the default.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

#[cfg(not(feature = "rustls"))]
fn install_crypto_provider() {}

struct Inner {
    base: Url,
    business_id: BusinessId,
    username: String,
    password: SecretString,
    http: reqwest::Client,
    timeout: Duration,
    pacing: Pacing,
    next_slot: Mutex<Option<Instant>>,
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
            .finish_non_exhaustive()
    }
}

/// A GET or POST request to a path under the business: `segments` are appended (each
/// percent-encoded) after `/{businessId}`; `template` names the route in logs.
pub(crate) struct Call<'a> {
    pub(crate) method: reqwest::Method,
    pub(crate) template: &'static str,
    pub(crate) segments: &'a [&'a str],
    pub(crate) query: &'a Query,
    pub(crate) body: Option<&'a serde_json::Value>,
    /// Whether the request may be replayed after an ambiguous failure (all reads are). A
    /// non-idempotent call is only retried when it was not applied (429, connection failure).
    pub(crate) idempotent: bool,
}

impl PhorestClient {
    /// Starts a builder.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), phorest_client::Error> {
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

    fn url(&self, segments: &[&str]) -> Result<Url> {
        let mut url = self.inner.base.clone();
        url.path_segments_mut()
            .map_err(|()| Error::Build("the base URL cannot carry a path".into()))?
            .pop_if_empty()
            .push(self.inner.business_id.as_str())
            .extend(segments);
        Ok(url)
    }

    /// Waits for the next pacing slot.
    async fn pace(&self) {
        let interval = self.inner.pacing.min_interval;
        if interval.is_zero() {
            return;
        }
        let slot = {
            let mut next = self.inner.next_slot.lock().await;
            let now = Instant::now();
            let slot = next.map_or(now, |n| n.max(now));
            *next = Some(slot + interval);
            slot
        };
        tokio::time::sleep_until(slot).await;
    }

    /// Sends a request with pacing and retries and returns the successful body bytes.
    pub(crate) async fn send(&self, call: Call<'_>) -> Result<Vec<u8>> {
        let url = self.url(call.segments)?;
        let span = tracing::debug_span!(
            "phorest.request",
            method = %call.method,
            path = call.template,
            status = tracing::field::Empty,
            attempts = tracing::field::Empty,
            latency_ms = tracing::field::Empty,
        );
        self.send_with_retries(url, &call, true)
            .instrument(span)
            .await
    }

    /// Downloads an absolute URL (a presigned export URL). The Basic auth header is only sent
    /// when the URL is on the API's own origin.
    pub(crate) async fn download(&self, url: Url) -> Result<Vec<u8>> {
        let same_origin = url.origin() == self.inner.base.origin();
        let query = Query::default();
        let call = Call {
            method: reqwest::Method::GET,
            template: "{csvExportDownload}",
            segments: &[],
            query: &query,
            body: None,
            idempotent: true,
        };
        let span = tracing::debug_span!(
            "phorest.request",
            method = "GET",
            path = call.template,
            status = tracing::field::Empty,
            attempts = tracing::field::Empty,
            latency_ms = tracing::field::Empty,
        );
        self.send_with_retries(url, &call, same_origin)
            .instrument(span)
            .await
    }

    async fn send_with_retries(&self, url: Url, call: &Call<'_>, auth: bool) -> Result<Vec<u8>> {
        let started = std::time::Instant::now();
        let policy = self.inner.retry;
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            self.pace().await;
            let outcome = self.attempt(url.clone(), call, auth).await;
            let span = tracing::Span::current();
            span.record("attempts", attempt);
            span.record(
                "latency_ms",
                u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            );
            match outcome {
                Ok(body) => return Ok(body),
                Err(err)
                    if err.is_retryable()
                        && (call.idempotent || err.was_not_sent())
                        && attempt <= policy.max_retries =>
                {
                    let wait = policy.delay(attempt - 1, err.retry_after());
                    tracing::warn!(
                        status = err.status(),
                        attempt,
                        wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                        "retrying Phorest request"
                    );
                    tokio::time::sleep(wait).await;
                }
                Err(err) => return Err(err),
            }
        }
    }

    async fn attempt(&self, url: Url, call: &Call<'_>, auth: bool) -> Result<Vec<u8>> {
        let mut req = self
            .inner
            .http
            .request(call.method.clone(), url)
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
        let resp = req.send().await.map_err(Error::from_reqwest)?;
        let status = resp.status().as_u16();
        tracing::Span::current().record("status", status);
        let retry_after = resp
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_retry_after);
        let body = resp.bytes().await.map_err(Error::from_reqwest)?.to_vec();
        if (200..300).contains(&status) {
            Ok(body)
        } else {
            Err(Error::from_response(status, &body, retry_after))
        }
    }

    /// GETs a path and decodes one JSON object.
    pub(crate) async fn get_json<T: DeserializeOwned>(
        &self,
        template: &'static str,
        segments: &[&str],
        query: &Query,
    ) -> Result<T> {
        let body = self
            .send(Call {
                method: reqwest::Method::GET,
                template,
                segments,
                query,
                body: None,
                idempotent: true,
            })
            .await?;
        decode_json(&body)
    }
}

/// Decodes a JSON body, naming the failing path on error.
pub(crate) fn decode_json<T: DeserializeOwned>(body: &[u8]) -> Result<T> {
    let mut de = serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        Error::decode(path, e.into_inner(), body)
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
    fn backoff_grows_and_is_capped() {
        let p = RetryPolicy {
            max_retries: 5,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(350),
        };
        for retry in 0..8 {
            let d = p.delay(retry, None);
            let base = Duration::from_millis(100 * 2u64.pow(retry)).min(p.max_backoff);
            assert!(d >= base / 2 && d <= base, "retry {retry}: {d:?}");
        }
        assert_eq!(
            p.delay(0, Some(Duration::from_secs(9))),
            Duration::from_millis(350)
        );
    }

    /// Paused tokio time and no sockets: the pacer alone.
    #[tokio::test(start_paused = true)]
    async fn pacing_spaces_request_starts() {
        let client = PhorestClient::builder()
            .region(Region::Custom(Url::parse("http://127.0.0.1:9/").unwrap()))
            .business_id("b")
            .credentials("e@x.io", SecretString::from("pw"))
            .pacing(Pacing::per_second(10))
            .build()
            .unwrap();
        let start = Instant::now();
        for _ in 0..5 {
            client.pace().await;
        }
        assert_eq!(start.elapsed(), Duration::from_millis(400));
        // Clones share the pacer.
        let clone = client.clone();
        clone.pace().await;
        assert_eq!(start.elapsed(), Duration::from_millis(500));
        tokio::time::advance(Duration::from_secs(5)).await;
        let idle = Instant::now();
        client.pace().await;
        assert_eq!(idle.elapsed(), Duration::ZERO, "no debt after idling");
        assert_eq!(Pacing::default(), Pacing::per_second(10));
        assert_eq!(Pacing::unlimited().min_interval(), Duration::ZERO);
    }

    #[test]
    fn base_url_rules() {
        let ok = |u: &str| check_base_url(&Url::parse(u).unwrap()).is_ok();
        assert!(ok("https://api.example.com/x"));
        assert!(ok("http://127.0.0.1:8080/x"));
        assert!(ok("http://localhost:8080"));
        assert!(ok("http://[::1]:9000"));
        assert!(!ok("http://api.example.com/x"));
        assert!(!ok("ftp://127.0.0.1/"));
    }
}
