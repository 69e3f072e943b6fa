//! Shared test helpers: a wiremock server with a loud catch-all, clients, matchers.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use ghl_client::{
    Auth, GhlClient, MemoryTokenStore, OAuthApp, RateLimitConfig, RetryPolicy, Scope, SecretString,
    TokenSet,
};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

pub const LOCATION: &str = "ve9EPM428h8vShlRW1KT";
pub const TOKEN: &str = "pit-test-0f8e-secret-token";
pub const BEARER: &str = "Bearer pit-test-0f8e-secret-token";

/// Every scope the tests' private token holds.
pub fn all_scopes() -> Vec<Scope> {
    [
        "contacts.readonly",
        "contacts.write",
        "calendars.readonly",
        "calendars.write",
        "calendars/events.readonly",
        "calendars/events.write",
        "users.readonly",
        "locations.readonly",
        "locations/customFields.readonly",
        "locations/customFields.write",
        "products.readonly",
        "products.write",
        "products/prices.readonly",
        "products/prices.write",
    ]
    .into_iter()
    .map(Scope::from)
    .collect()
}

/// A retry policy with millisecond backoffs, so retry tests stay fast in real time.
pub fn fast_retry() -> RetryPolicy {
    RetryPolicy::default()
        .max_attempts(3)
        .base_delay(Duration::from_millis(5))
        .max_delay(Duration::from_millis(20))
}

/// Mounts, with the lowest priority, a mock that answers 418 and must never be hit: any request
/// no test expected fails the test when the server is dropped.
pub async fn mount_catch_all(server: &MockServer) {
    Mock::given(any())
        .respond_with(ResponseTemplate::new(418).set_body_string("unexpected request"))
        .with_priority(u8::MAX)
        .expect(0)
        .named("catch-all: unexpected request")
        .mount(server)
        .await;
}

/// A client with a private token holding every scope.
pub fn pit_client(server: &MockServer) -> GhlClient {
    pit_client_with(server, all_scopes())
}

/// A client with a private token holding `scopes`.
pub fn pit_client_with(server: &MockServer, scopes: Vec<Scope>) -> GhlClient {
    GhlClient::builder()
        .base_url(server.uri())
        .location_id(LOCATION)
        .auth(Auth::private_token(SecretString::from(TOKEN), scopes))
        .retry_policy(fast_retry())
        .rate_limit(RateLimitConfig::new(1000, Duration::from_secs(1)))
        .build()
        .expect("client builds")
}

pub const OLD_ACCESS: &str = "oauth-access-old-7d1c";
pub const OLD_REFRESH: &str = "oauth-refresh-old-55ab";
pub const NEW_ACCESS: &str = "oauth-access-new-91fe";
pub const NEW_REFRESH: &str = "oauth-refresh-new-3c2d";
pub const CLIENT_SECRET: &str = "app-client-secret-e4a0";

pub fn app() -> OAuthApp {
    OAuthApp::new("app-client-id", SecretString::from(CLIENT_SECRET))
}

/// An OAuth client whose token is `OLD_ACCESS`, with a memory store.
pub fn oauth_client(server: &MockServer) -> (GhlClient, Arc<MemoryTokenStore>) {
    let tokens = TokenSet::new(
        SecretString::from(OLD_ACCESS),
        Some(SecretString::from(OLD_REFRESH)),
        None,
        all_scopes(),
    )
    .with_location_id(LOCATION);
    let store = Arc::new(MemoryTokenStore::with_tokens(tokens.clone()));
    let client = GhlClient::builder()
        .base_url(server.uri())
        .auth(Auth::oauth(app(), tokens, store.clone()))
        .retry_policy(fast_retry())
        .rate_limit(RateLimitConfig::new(1000, Duration::from_secs(1)))
        .build()
        .expect("client builds");
    (client, store)
}

/// A token endpoint answer.
pub fn token_response(access: &str, refresh: &str) -> serde_json::Value {
    serde_json::json!({
        "access_token": access,
        "token_type": "Bearer",
        "expires_in": 86399,
        "refresh_token": refresh,
        "scope": "contacts.readonly contacts.write products.write",
        "userType": "Location",
        "locationId": LOCATION,
        "companyId": "comp-1",
        "userId": "user-1",
    })
}

/// Matches a request whose query string is exactly these pairs (in any order).
pub struct ExactQuery(pub Vec<(&'static str, String)>);

impl wiremock::Match for ExactQuery {
    fn matches(&self, request: &Request) -> bool {
        let mut got: Vec<(String, String)> = request.url.query_pairs().into_owned().collect();
        let mut want: Vec<(String, String)> = self
            .0
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect();
        got.sort();
        want.sort();
        got == want
    }
}

/// Matches a request without any query string.
pub fn no_query() -> ExactQuery {
    ExactQuery(Vec::new())
}

/// Matches a form-encoded body with exactly these pairs (in any order).
pub struct FormBody(pub Vec<(&'static str, &'static str)>);

impl wiremock::Match for FormBody {
    fn matches(&self, request: &Request) -> bool {
        let is_form = request
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        let mut got: Vec<(String, String)> = url::form_urlencoded::parse(&request.body)
            .into_owned()
            .collect();
        let mut want: Vec<(String, String)> = self
            .0
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        got.sort();
        want.sort();
        is_form && got == want
    }
}

/// The requests the server received whose path is `path`.
pub async fn requests_to(server: &MockServer, path: &str) -> Vec<Request> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r.url.path() == path)
        .collect()
}
