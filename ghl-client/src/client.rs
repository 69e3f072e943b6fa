//! [`GhlClient`], its builder and the one send path every handler uses.

use std::borrow::Cow;
use std::collections::{BTreeSet, HashSet};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use reqwest::Method;
use reqwest::header::{ACCEPT, AUTHORIZATION, HeaderValue, USER_AGENT};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use tracing::Instrument;
use url::Url;

use crate::auth::{Auth, Credentials, OAuthApp, TokenStore};
use crate::error::{BuildError, Error, FailedAnswer, TransportError, classify, excerpt};
use crate::ids::LocationId;
use crate::pagination::{Listed, RejectedItem};
use crate::rate_limit::{RateLimitConfig, RateLimitHeaders, RateLimiter};
use crate::retry::{Failure, Idempotency, RetryPolicy};
use crate::scope::Scope;

/// The production API host.
pub const DEFAULT_BASE_URL: &str = "https://services.leadconnectorhq.com";

/// A typed GoHighLevel API v2 client for one location.
///
/// Cheap to clone: clones share one rate limiter, one token and what was learned about it.
#[derive(Clone)]
pub struct GhlClient {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    base_url: Url,
    location_id: LocationId,
    user_agent: HeaderValue,
    timeout: Duration,
    retry: RetryPolicy,
    limiter: RateLimiter,
    credentials: RwLock<Credentials>,
    refresh_lock: tokio::sync::Mutex<()>,
    oauth: Option<(OAuthApp, Arc<dyn TokenStore>)>,
    /// Operations (`METHOD /template`) answered with "not authorized for this scope".
    denied_operations: Mutex<HashSet<String>>,
    /// Scopes the server proved missing.
    denied_scopes: Mutex<BTreeSet<Scope>>,
    /// Custom field key → id, loaded on the first key lookup (see `CustomFieldInput::by_key`).
    field_keys:
        tokio::sync::Mutex<Option<std::collections::HashMap<String, crate::ids::CustomFieldId>>>,
}

impl std::fmt::Debug for GhlClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GhlClient")
            .field("base_url", &self.inner.base_url.as_str())
            .field("location_id", &self.inner.location_id)
            .field(
                "auth",
                &if self.inner.oauth.is_some() {
                    "OAuth([REDACTED])"
                } else {
                    "PrivateToken([REDACTED])"
                },
            )
            .field("scopes", &self.scopes())
            .finish_non_exhaustive()
    }
}

/// Builds a [`GhlClient`]; see [`GhlClient::builder`].
pub struct GhlClientBuilder {
    base_url: String,
    location_id: Option<LocationId>,
    auth: Option<Auth>,
    user_agent: String,
    timeout: Duration,
    connect_timeout: Duration,
    http: Option<reqwest::Client>,
    retry: RetryPolicy,
    rate_limit: RateLimitConfig,
}

impl std::fmt::Debug for GhlClientBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GhlClientBuilder")
            .field("base_url", &self.base_url)
            .field("location_id", &self.location_id)
            .field("auth", &self.auth)
            .field("user_agent", &self.user_agent)
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("retry", &self.retry)
            .field("rate_limit", &self.rate_limit)
            .finish_non_exhaustive()
    }
}

impl Default for GhlClientBuilder {
    fn default() -> Self {
        Self {
            base_url: DEFAULT_BASE_URL.to_owned(),
            location_id: None,
            auth: None,
            user_agent: concat!("ghl-client/", env!("CARGO_PKG_VERSION")).to_owned(),
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            http: None,
            retry: RetryPolicy::default(),
            rate_limit: RateLimitConfig::default(),
        }
    }
}

impl GhlClientBuilder {
    /// The API host (default [`DEFAULT_BASE_URL`]). Must be https, except for loopback hosts
    /// (`127.0.0.0/8`, `::1`, `localhost`), where http is allowed for tests.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }

    /// The location (sub-account) every location-scoped call uses. Optional when the OAuth
    /// token set names one.
    pub fn location_id(mut self, id: impl Into<LocationId>) -> Self {
        self.location_id = Some(id.into());
        self
    }

    /// How to authenticate (required).
    pub fn auth(mut self, auth: Auth) -> Self {
        self.auth = Some(auth);
        self
    }

    /// The `User-Agent` header.
    pub fn user_agent(mut self, agent: impl Into<String>) -> Self {
        self.user_agent = agent.into();
        self
    }

    /// The per-attempt timeout of a request (default 30 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The connect timeout (default 10 s). Ignored with [`http_client`](Self::http_client).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Use this `reqwest::Client` instead of building one (call
    /// [`install_default_crypto_provider`] before building it).
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// The retry policy (default: 4 attempts, 0.5 s doubling backoff with jitter).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// The pacing (default 100 requests per 10 s, adapted to the server's headers).
    pub fn rate_limit(mut self, config: RateLimitConfig) -> Self {
        self.rate_limit = config;
        self
    }

    /// Validates the configuration and builds the client.
    pub fn build(self) -> Result<GhlClient, BuildError> {
        let auth = self.auth.ok_or(BuildError::MissingAuth)?;
        let base_url = parse_base_url(&self.base_url)?;
        let location_id = match (&self.location_id, &auth) {
            (Some(id), _) => id.clone(),
            (None, Auth::OAuth { tokens, .. }) => tokens
                .location_id
                .clone()
                .ok_or(BuildError::MissingLocationId)?,
            (None, Auth::PrivateToken { .. }) => return Err(BuildError::MissingLocationId),
        };
        let user_agent =
            HeaderValue::from_str(&self.user_agent).map_err(|_| BuildError::InvalidUserAgent)?;
        let http = match self.http {
            Some(http) => http,
            None => {
                install_default_crypto_provider();
                reqwest::Client::builder()
                    .connect_timeout(self.connect_timeout)
                    .build()
                    .map_err(|e| BuildError::Http(TransportError::building(e)))?
            }
        };
        let oauth = match &auth {
            Auth::OAuth { app, store, .. } => Some((app.clone(), Arc::clone(store))),
            Auth::PrivateToken { .. } => None,
        };
        Ok(GhlClient {
            inner: Arc::new(Inner {
                http,
                base_url,
                location_id,
                user_agent,
                timeout: self.timeout,
                retry: self.retry,
                limiter: RateLimiter::new(self.rate_limit),
                credentials: RwLock::new(Credentials::from_auth(&auth)),
                refresh_lock: tokio::sync::Mutex::new(()),
                oauth,
                denied_operations: Mutex::new(HashSet::new()),
                denied_scopes: Mutex::new(BTreeSet::new()),
                field_keys: tokio::sync::Mutex::new(None),
            }),
        })
    }
}

/// Installs rustls' ring crypto provider as the process default, unless one is installed.
///
/// reqwest is built without a TLS provider of its own; [`GhlClientBuilder::build`] calls this
/// when it builds its HTTP client. Call it yourself before building a `reqwest::Client` to pass
/// to [`GhlClientBuilder::http_client`].
pub fn install_default_crypto_provider() {
    // Fails when a provider is already installed, which is fine.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

fn parse_base_url(raw: &str) -> Result<Url, BuildError> {
    let url = Url::parse(raw).map_err(|e| BuildError::InvalidBaseUrl(e.to_string()))?;
    match url.scheme() {
        "https" => {}
        "http" => {
            let loopback = match url.host() {
                Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
                Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
                Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
                None => false,
            };
            if !loopback {
                return Err(BuildError::InsecureBaseUrl);
            }
        }
        other => {
            return Err(BuildError::InvalidBaseUrl(format!(
                "unsupported scheme {other}"
            )));
        }
    }
    if url.cannot_be_a_base() || url.host().is_none() {
        return Err(BuildError::InvalidBaseUrl("no host".to_owned()));
    }
    Ok(url)
}

/// A request body.
pub(crate) enum Body {
    None,
    Json(Vec<u8>),
    Form(Vec<(&'static str, String)>),
    /// A form whose names are only known at run time (generated operations).
    #[cfg_attr(not(feature = "oauth"), allow(dead_code))]
    FormPairs(Vec<(String, String)>),
}

/// One API operation, fully described before it is sent (and re-sent on retry).
pub(crate) struct Call {
    pub method: Method,
    /// Path template for logs and errors, such as `/contacts/{id}`.
    pub template: &'static str,
    /// Path segments, percent-encoded when the URL is built. A trailing `""` gives a trailing `/`.
    pub segments: Vec<String>,
    pub version: Option<&'static str>,
    pub query: Vec<(Cow<'static, str>, String)>,
    pub body: Body,
    pub idempotency: Idempotency,
    /// The scope the operation needs, for missing-scope errors.
    pub scope: Option<Scope>,
    /// Whether to send the bearer token (false for `/oauth/token`).
    pub authenticated: bool,
    /// Whether the answer carries secrets (never copied into errors).
    pub sensitive_answer: bool,
}

impl Call {
    /// A call to `template` (with segments) under API `version`.
    pub fn new(
        method: Method,
        template: &'static str,
        segments: &[&str],
        version: &'static str,
        scope: Scope,
    ) -> Self {
        let idempotency = if method == Method::POST {
            Idempotency::NonIdempotent
        } else {
            Idempotency::Idempotent
        };
        Self {
            method,
            template,
            segments: segments.iter().map(|s| (*s).to_owned()).collect(),
            version: Some(version),
            query: Vec::new(),
            body: Body::None,
            idempotency,
            scope: Some(scope),
            authenticated: true,
            sensitive_answer: false,
        }
    }

    /// Adds a query parameter.
    pub fn query(mut self, name: &'static str, value: impl ToString) -> Self {
        self.query.push((Cow::Borrowed(name), value.to_string()));
        self
    }

    /// Adds a query parameter when `value` is `Some`.
    pub fn query_opt(self, name: &'static str, value: Option<impl ToString>) -> Self {
        match value {
            Some(value) => self.query(name, value),
            None => self,
        }
    }

    /// Sets a JSON body.
    pub fn json<B: serde::Serialize + ?Sized>(mut self, body: &B) -> Result<Self, Error> {
        let bytes = serde_json::to_vec(body)
            .map_err(|e| Error::InvalidRequest(format!("cannot serialise the body: {e}")))?;
        self.body = Body::Json(bytes);
        Ok(self)
    }

    /// Marks a POST as safe to replay (upsert).
    pub fn idempotent(mut self) -> Self {
        self.idempotency = Idempotency::Idempotent;
        self
    }

    pub fn operation(&self) -> String {
        format!("{} {}", self.method, self.template)
    }
}

/// The answer to a successful call.
pub(crate) struct Answer {
    pub status: u16,
    pub body: String,
}

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

impl GhlClient {
    /// Starts a builder.
    ///
    /// ```no_run
    /// use ghl_client::{Auth, GhlClient, Scope};
    /// use secrecy::SecretString;
    ///
    /// # fn main() -> Result<(), ghl_client::BuildError> {
    /// let client = GhlClient::builder()
    ///     .location_id("ve9EPM428h8vShlRW1KT")
    ///     .auth(Auth::private_token(
    ///         SecretString::from("pit-..."),
    ///         [Scope::ContactsReadonly, Scope::ContactsWrite],
    ///     ))
    ///     .build()?;
    /// # let _ = client;
    /// # Ok(())
    /// # }
    /// ```
    pub fn builder() -> GhlClientBuilder {
        GhlClientBuilder::default()
    }

    /// The location this client works on.
    pub fn location_id(&self) -> &LocationId {
        &self.inner.location_id
    }

    /// The base URL.
    pub fn base_url(&self) -> &Url {
        &self.inner.base_url
    }

    /// The shared rate limiter (for metrics).
    pub fn rate_limiter(&self) -> &RateLimiter {
        &self.inner.limiter
    }

    /// The custom field key cache (`None` until first loaded).
    pub(crate) fn field_keys(
        &self,
    ) -> &tokio::sync::Mutex<Option<std::collections::HashMap<String, crate::ids::CustomFieldId>>>
    {
        &self.inner.field_keys
    }

    fn read_credentials(&self) -> std::sync::RwLockReadGuard<'_, Credentials> {
        self.inner
            .credentials
            .read()
            .unwrap_or_else(|e| e.into_inner())
    }

    fn write_credentials(&self) -> std::sync::RwLockWriteGuard<'_, Credentials> {
        self.inner
            .credentials
            .write()
            .unwrap_or_else(|e| e.into_inner())
    }

    /// The scopes the token holds, minus those the server proved missing.
    pub fn scopes(&self) -> Vec<Scope> {
        let denied = self
            .inner
            .denied_scopes
            .lock()
            .map(|d| d.clone())
            .unwrap_or_default();
        self.read_credentials()
            .scopes
            .iter()
            .filter(|s| !denied.contains(*s))
            .cloned()
            .collect()
    }

    /// Checks, without any request, that the token holds every scope in `needed`.
    ///
    /// Returns one [`Error::MissingScopes`] naming every missing scope, so a sync can stop a
    /// stage before its first write.
    pub fn require_scopes(&self, needed: &[Scope]) -> Result<(), Error> {
        let held: BTreeSet<Scope> = self.scopes().into_iter().collect();
        let mut missing: Vec<Scope> = Vec::new();
        for scope in needed {
            if !held.contains(scope) && !missing.contains(scope) {
                missing.push(scope.clone());
            }
        }
        if missing.is_empty() {
            Ok(())
        } else {
            Err(Error::MissingScopes { missing })
        }
    }

    fn secrets(&self) -> Vec<String> {
        let creds = self.read_credentials();
        let mut secrets = vec![creds.access_token.expose_secret().to_owned()];
        if let Some(refresh) = &creds.refresh_token {
            secrets.push(refresh.expose_secret().to_owned());
        }
        if let Some((app, _)) = &self.inner.oauth {
            secrets.push(app.client_secret.expose_secret().to_owned());
        }
        secrets
    }

    fn url(&self, call: &Call) -> Result<Url, Error> {
        let mut url = self.inner.base_url.clone();
        {
            let mut segments = url
                .path_segments_mut()
                .map_err(|_| Error::InvalidRequest("base URL cannot take a path".to_owned()))?;
            segments.pop_if_empty();
            segments.extend(call.segments.iter());
        }
        if !call.query.is_empty() {
            url.query_pairs_mut().extend_pairs(call.query.iter());
        }
        Ok(url)
    }

    fn fail_fast(&self, call: &Call) -> Result<(), Error> {
        if !call.authenticated {
            return Ok(());
        }
        {
            let creds = self.read_credentials();
            if creds.invalid {
                // Repeat GHL's own reason: the first caller may not be the one a person sees.
                let reason = creds.rejection.as_deref().unwrap_or("token rejected");
                return Err(Error::Unauthorized {
                    message: format!("{reason} (rejected earlier; not sent again)"),
                    api: None,
                });
            }
        }
        let denied = self
            .inner
            .denied_operations
            .lock()
            .map(|d| d.contains(&call.operation()))
            .unwrap_or(false);
        if denied {
            return Err(Error::MissingScope {
                scope: call.scope.clone(),
                message: "the token was refused this scope earlier; not sending again".to_owned(),
                api: None,
            });
        }
        Ok(())
    }

    fn remember_missing_scope(&self, call: &Call) {
        if let Ok(mut denied) = self.inner.denied_operations.lock() {
            denied.insert(call.operation());
        }
        if let (Some(scope), Ok(mut denied)) = (&call.scope, self.inner.denied_scopes.lock()) {
            denied.insert(scope.clone());
        }
    }

    /// Sends `call` and decodes a success body as `T`.
    pub(crate) async fn send<T: DeserializeOwned>(&self, call: Call) -> Result<T, Error> {
        self.send_json(call).await?.whole()
    }

    /// Sends `call` and parses its success body as JSON, for decoding piece by piece.
    pub(crate) async fn send_json(&self, call: Call) -> Result<Json<'_>, Error> {
        let answer = self.execute(&call).await?;
        self.json_of(call, answer)
    }

    /// Parses the success `answer` to `call` as JSON, for decoding piece by piece.
    pub(crate) fn json_of(&self, call: Call, answer: Answer) -> Result<Json<'_>, Error> {
        let body = if answer.body.trim().is_empty() {
            Err("empty body".to_owned())
        } else {
            serde_json::from_str::<serde_json::Value>(&answer.body)
                .map_err(|e| format!("the body is not JSON: {e}"))
        };
        let mut json = Json {
            client: self,
            call,
            answer,
            body: serde_json::Value::Null,
        };
        match body {
            Ok(body) => {
                json.body = body;
                Ok(json)
            }
            Err(message) => Err(json.error(".", message)),
        }
    }

    /// Sends `call`, ignoring the success body.
    pub(crate) async fn send_unit(&self, call: Call) -> Result<(), Error> {
        self.execute(&call).await.map(|_| ())
    }

    /// The send path: auth, `Version`, pacing, retries, refresh, error mapping, tracing.
    pub(crate) fn execute<'a>(&'a self, call: &'a Call) -> BoxFuture<'a, Result<Answer, Error>> {
        let span = tracing::info_span!(
            "ghl.request",
            method = %call.method,
            path = call.template,
            status = tracing::field::Empty,
            attempts = tracing::field::Empty,
            latency_ms = tracing::field::Empty,
        );
        let current = span.clone();
        Box::pin(
            async move {
                let started = tokio::time::Instant::now();
                let mut attempts = 0u32;
                let result = self.execute_inner(call, started, &mut attempts).await;
                current.record("attempts", attempts);
                current.record("latency_ms", started.elapsed().as_millis() as u64);
                match &result {
                    Ok(answer) => {
                        current.record("status", answer.status);
                        tracing::debug!("request succeeded");
                    }
                    Err(error) => {
                        if let Some(status) = error.status() {
                            current.record("status", status);
                        }
                        // GHL's messages can quote submitted values: keep them out of info logs.
                        tracing::info!(status = ?error.status(), "request failed");
                        tracing::debug!(error = %error, "request failure detail");
                    }
                }
                result
            }
            .instrument(span),
        )
    }

    async fn execute_inner(
        &self,
        call: &Call,
        started: tokio::time::Instant,
        attempts: &mut u32,
    ) -> Result<Answer, Error> {
        self.fail_fast(call)?;
        let policy = self.inner.retry;
        let mut refreshed = false;
        let mut failures = 0u32;
        loop {
            if call.authenticated {
                self.refresh_if_expiring().await?;
            }
            let (token, generation) = {
                let creds = self.read_credentials();
                (creds.access_token.clone(), creds.generation)
            };
            let permit = self.inner.limiter.acquire().await?;
            *attempts += 1;
            let request = self.build_request(call, &token)?;
            let outcome = request.send().await;
            let (failure, error) = match outcome {
                Err(e) => {
                    self.inner
                        .limiter
                        .complete(permit, 0, &reqwest::header::HeaderMap::new());
                    let transport = TransportError::from_reqwest(call.operation(), e, false);
                    let failure = if transport.is_connect() {
                        Failure::Connect
                    } else {
                        Failure::Ambiguous
                    };
                    (failure, Error::Transport(transport))
                }
                Ok(response) => {
                    let status = response.status().as_u16();
                    let headers = response.headers().clone();
                    let rate_wait = self.inner.limiter.complete(permit, status, &headers);
                    let body = match response.text().await {
                        Ok(body) => body,
                        Err(e) => {
                            return Err(Error::Transport(TransportError::from_reqwest(
                                call.operation(),
                                e,
                                true,
                            )));
                        }
                    };
                    if (200..300).contains(&status) {
                        return Ok(Answer { status, body });
                    }
                    let secrets = self.secrets();
                    let refs: Vec<&str> = secrets.iter().map(String::as_str).collect();
                    let request_id = headers
                        .get("x-request-id")
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_owned);
                    let retry_after =
                        rate_wait.or_else(|| RateLimitHeaders::from_headers(&headers).retry_after);
                    let body_text = if call.sensitive_answer {
                        ""
                    } else {
                        body.as_str()
                    };
                    let error = classify(FailedAnswer {
                        status,
                        method: call.method.as_str(),
                        path: call.template,
                        body: body_text,
                        request_id,
                        retry_after,
                        secrets: &refs,
                        scope: call.scope.clone(),
                        applied: call.method != Method::GET,
                    });
                    match error {
                        Error::MissingScope { .. } if call.authenticated => {
                            tracing::warn!(scope = ?call.scope, "token lacks a scope; remembered");
                            self.remember_missing_scope(call);
                            return Err(error);
                        }
                        Error::Unauthorized { .. } if call.authenticated => {
                            if !refreshed && self.inner.oauth.is_some() {
                                refreshed = true;
                                self.refresh(generation).await?;
                                continue;
                            }
                            if let Error::Unauthorized { message, .. } = &error {
                                self.write_credentials().reject(message);
                            }
                            tracing::warn!("token rejected; failing fast from now on");
                            return Err(error);
                        }
                        Error::RateLimited { retry_after, .. } => {
                            if self.inner.limiter.daily_remaining() == Some(0) {
                                return Err(Error::DailyLimitExhausted);
                            }
                            if retry_after.is_some_and(|w| w > policy.max_rate_limit_wait) {
                                return Err(error);
                            }
                            (Failure::RateLimited, error)
                        }
                        Error::Server { .. } => (Failure::Ambiguous, error),
                        other => return Err(other),
                    }
                }
            };
            failures += 1;
            let retry = call.idempotency.may_retry(failure)
                && failures < policy.max_attempts
                && started.elapsed() < policy.max_elapsed;
            if !retry {
                return Err(error);
            }
            if failure != Failure::RateLimited {
                // A 429 already paused the limiter; other failures back off here.
                let wait = policy.backoff_for(failures);
                tracing::debug!(
                    wait_ms = wait.as_millis() as u64,
                    failures,
                    "retrying after backoff"
                );
                tokio::time::sleep(wait).await;
            }
        }
    }

    fn build_request(
        &self,
        call: &Call,
        token: &SecretString,
    ) -> Result<reqwest::RequestBuilder, Error> {
        let url = self.url(call)?;
        let mut request = self
            .inner
            .http
            .request(call.method.clone(), url)
            .timeout(self.inner.timeout)
            .header(ACCEPT, "application/json")
            .header(USER_AGENT, self.inner.user_agent.clone());
        if let Some(version) = call.version {
            request = request.header("Version", version);
        }
        if call.authenticated {
            let mut value = HeaderValue::from_str(&format!("Bearer {}", token.expose_secret()))
                .map_err(|_| Error::Unauthorized {
                    message: "the token contains characters not allowed in a header".to_owned(),
                    api: None,
                })?;
            value.set_sensitive(true);
            request = request.header(AUTHORIZATION, value);
        }
        request = match &call.body {
            Body::None => request,
            Body::Json(bytes) => request
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(bytes.clone()),
            Body::Form(pairs) => request.form(pairs),
            Body::FormPairs(pairs) => request.form(pairs),
        };
        Ok(request)
    }

    async fn refresh_if_expiring(&self) -> Result<(), Error> {
        if self.inner.oauth.is_none() {
            return Ok(());
        }
        let (expiring, generation) = {
            let creds = self.read_credentials();
            let expiring = creds.refresh_token.is_some()
                && creds
                    .expires_at
                    .is_some_and(|at| at <= chrono::Utc::now() + chrono::Duration::seconds(60));
            (expiring, creds.generation)
        };
        if expiring {
            self.refresh(generation).await?;
        }
        Ok(())
    }

    /// Single-flight refresh: only the first caller that saw token `generation` refreshes; the
    /// others wait for it and reuse its result.
    async fn refresh(&self, generation: u64) -> Result<(), Error> {
        let Some((app, store)) = &self.inner.oauth else {
            return Err(Error::Unauthorized {
                message: "token rejected and no way to refresh it".to_owned(),
                api: None,
            });
        };
        let _guard = self.inner.refresh_lock.lock().await;
        {
            let creds = self.read_credentials();
            if creds.generation != generation {
                return Ok(());
            }
            if creds.invalid {
                // The refresh this caller waited for was refused: do not ask again.
                let reason = creds.rejection.as_deref().unwrap_or("token rejected");
                return Err(Error::Unauthorized {
                    message: format!("{reason} (the token could not be refreshed)"),
                    api: None,
                });
            }
        }
        // Another process may have refreshed (and rotated) already.
        if let Some(stored) = store.load().await.map_err(Error::TokenStore)? {
            let mut creds = self.write_credentials();
            if !creds.same_access_token(&stored) {
                tracing::info!("adopted a newer token from the token store");
                creds.adopt(&stored);
                return Ok(());
            }
        }
        let refresh_token = self.read_credentials().refresh_token.clone();
        let Some(refresh_token) = refresh_token else {
            let message = "token expired and there is no refresh token";
            self.write_credentials().reject(message);
            return Err(Error::Unauthorized {
                message: message.to_owned(),
                api: None,
            });
        };
        tracing::info!("refreshing the OAuth token");
        let tokens = match self.oauth().refresh(app, &refresh_token).await {
            Ok(tokens) => tokens,
            Err(error) => {
                let message = format!("token refresh failed: {error}");
                if matches!(
                    error.status(),
                    Some(400) | Some(401) | Some(403) | Some(422)
                ) {
                    self.write_credentials().reject(&message);
                }
                return Err(Error::Unauthorized { message, api: None });
            }
        };
        store.save(&tokens).await.map_err(Error::TokenStore)?;
        self.write_credentials().adopt(&tokens);
        Ok(())
    }
}

/// A parsed success body, decoded piece by piece; every decode error names the operation and
/// the JSON path from the body's root.
pub(crate) struct Json<'c> {
    client: &'c GhlClient,
    call: Call,
    answer: Answer,
    body: serde_json::Value,
}

/// `prefix` + `path` as one JSON path (`path` is `.` for the root of the value).
fn join_path(prefix: &str, path: &str) -> String {
    match (prefix, path) {
        ("", path) => path.to_owned(),
        (prefix, "." | "") => prefix.to_owned(),
        (prefix, path) if path.starts_with('[') => format!("{prefix}{path}"),
        (prefix, path) => format!("{prefix}.{path}"),
    }
}

impl Json<'_> {
    /// A decode error at `path` of this answer.
    pub fn error(&self, path: &str, message: impl Into<String>) -> Error {
        let body_excerpt = if self.call.sensitive_answer {
            "[withheld: the answer carries tokens]".to_owned()
        } else {
            let secrets = self.client.secrets();
            let refs: Vec<&str> = secrets.iter().map(String::as_str).collect();
            excerpt(&self.answer.body, &refs)
        };
        Error::Decode {
            operation: self.call.operation(),
            path: path.to_owned(),
            message: message.into(),
            status: self.answer.status,
            body_excerpt,
        }
    }

    fn decode_at<T: DeserializeOwned>(
        &self,
        value: serde_json::Value,
        prefix: &str,
    ) -> Result<T, (String, String)> {
        serde_path_to_error::deserialize(value).map_err(|e| {
            (
                join_path(prefix, &e.path().to_string()),
                e.inner().to_string(),
            )
        })
    }

    /// The whole body as `T`.
    pub fn whole<T: DeserializeOwned>(mut self) -> Result<T, Error> {
        let body = std::mem::take(&mut self.body);
        self.decode_at(body, "")
            .map_err(|(path, message)| self.error(&path, message))
    }

    /// The body's `key`, which must be present and not `null`.
    pub fn field<T: DeserializeOwned>(&mut self, key: &str) -> Result<T, Error> {
        match self.take(key) {
            Some(value) => self
                .decode_at(value, key)
                .map_err(|(path, message)| self.error(&path, message)),
            None => Err(self.error(key, format!("missing field `{key}`"))),
        }
    }

    /// The body's `key`; `None` when it is absent or `null`.
    pub fn opt_field<T: DeserializeOwned>(&mut self, key: &str) -> Result<Option<T>, Error> {
        match self.take(key) {
            Some(value) => self
                .decode_at(value, key)
                .map(Some)
                .map_err(|(path, message)| self.error(&path, message)),
            None => Ok(None),
        }
    }

    /// The body's list `key` (absent or `null`: empty), decoded item by item: an item that
    /// does not decode is reported in [`Listed::rejected`] and logged, the others are kept.
    pub fn list<T: DeserializeOwned>(&mut self, key: &str) -> Result<Listed<T>, Error> {
        let items = match self.take(key) {
            None => return Ok(Listed::default()),
            Some(serde_json::Value::Array(items)) => items,
            Some(other) => {
                let kind = match other {
                    serde_json::Value::Object(_) => "an object",
                    serde_json::Value::String(_) => "a string",
                    serde_json::Value::Number(_) => "a number",
                    _ => "a boolean",
                };
                return Err(self.error(key, format!("expected a list, found {kind}")));
            }
        };
        let mut decoded = Vec::with_capacity(items.len());
        let mut rejected = Vec::new();
        for (index, item) in items.into_iter().enumerate() {
            let id = ["id", "_id"]
                .iter()
                .find_map(|k| item.get(*k).and_then(serde_json::Value::as_str))
                .map(str::to_owned);
            match self.decode_at(item, &format!("{key}[{index}]")) {
                Ok(value) => decoded.push(value),
                Err((path, message)) => {
                    tracing::warn!(
                        operation = %self.call.operation(),
                        path = %path,
                        error = %message,
                        "an item of a list answer did not decode; kept the others"
                    );
                    rejected.push(RejectedItem {
                        index,
                        id,
                        path,
                        message,
                    });
                }
            }
        }
        Ok(Listed::new(decoded, rejected))
    }

    /// Removes and returns the body's `key` unless it is absent or `null`.
    fn take(&mut self, key: &str) -> Option<serde_json::Value> {
        match self.body.as_object_mut()?.remove(key) {
            None | Some(serde_json::Value::Null) => None,
            Some(value) => Some(value),
        }
    }

    /// The body as parsed (for shapes the helpers above do not cover).
    pub fn body(&self) -> &serde_json::Value {
        &self.body
    }
}

#[cfg(test)]
mod json_path_tests {
    use super::join_path;

    #[test]
    fn paths_join_like_serde_path_to_error_prints_them() {
        assert_eq!(join_path("", "."), ".");
        assert_eq!(join_path("", "a.b"), "a.b");
        assert_eq!(join_path("contact", "."), "contact");
        assert_eq!(join_path("contact", "tags[2]"), "contact.tags[2]");
        assert_eq!(join_path("users[3]", "id"), "users[3].id");
        assert_eq!(join_path("users[3]", "[0]"), "users[3][0]");
    }
}
