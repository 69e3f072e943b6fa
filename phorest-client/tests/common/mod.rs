//! Shared helpers for the wiremock contract tests.
#![allow(dead_code)]

use std::time::Duration;

use phorest_client::{Pacing, PhorestClient, Region, RetryPolicy};
use secrecy::SecretString;
use serde_json::{Value, json};
use wiremock::{Mock, MockServer, Request, ResponseTemplate, matchers};

pub const BUSINESS: &str = "biz-9_Xq";
pub const BRANCH: &str = "SE-J0emUgQnya14mOGdQSw";
pub const EMAIL: &str = "api@salon.example";
pub const PASSWORD: &str = "s3cr3t-P4ss";
/// base64("global/api@salon.example:s3cr3t-P4ss")
pub const AUTH: &str = "Basic Z2xvYmFsL2FwaUBzYWxvbi5leGFtcGxlOnMzY3IzdC1QNHNz";

/// Fast retries so tests stay short: `max_attempts` attempts in total.
pub fn fast_retries(max_attempts: u32) -> RetryPolicy {
    RetryPolicy::default()
        .max_attempts(max_attempts)
        .base_delay(Duration::from_millis(5))
        .max_delay(Duration::from_millis(20))
}

pub fn client(server: &MockServer) -> PhorestClient {
    client_with(server, fast_retries(3))
}

pub fn client_with(server: &MockServer, retry: RetryPolicy) -> PhorestClient {
    PhorestClient::builder()
        .region(Region::Custom(
            format!("{}/third-party-api-server/api/business", server.uri())
                .parse()
                .unwrap(),
        ))
        .business_id(BUSINESS)
        .credentials(EMAIL, SecretString::from(PASSWORD))
        .pacing(Pacing::unlimited())
        .retry_policy(retry)
        .build()
        .unwrap()
}

/// The full path of a route under the business.
pub fn p(rel: &str) -> String {
    format!("/third-party-api-server/api/business/{BUSINESS}{rel}")
}

/// A HAL page body.
pub fn hal(key: &str, items: Value, number: u32, total_pages: u32, total_elements: u64) -> Value {
    json!({
        "_embedded": { key: items },
        "_links": { "self": { "href": "http://ignored" } },
        "page": { "size": 20, "totalElements": total_elements, "totalPages": total_pages, "number": number }
    })
}

/// Mounts a GET on `path` that requires the Basic auth header and answers `body`.
pub async fn mount_get(server: &MockServer, path: &str, body: Value) {
    Mock::given(matchers::method("GET"))
        .and(matchers::path(path))
        .and(matchers::header("authorization", AUTH))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(server)
        .await;
}

/// Mounts one page (matched by `page=<n>`) of a list.
pub async fn mount_page(server: &MockServer, path: &str, page: u32, body: Value) {
    Mock::given(matchers::method("GET"))
        .and(matchers::path(path))
        .and(matchers::query_param("page", page.to_string()))
        .and(matchers::header("authorization", AUTH))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .expect(1)
        .mount(server)
        .await;
}

/// The query pairs of a request, sorted, for exact comparison.
pub fn query_of(req: &Request) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = req
        .url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    pairs.sort();
    pairs
}

/// Asserts the exact (sorted) query of a request.
pub fn assert_query(req: &Request, expected: &[(&str, &str)]) {
    let mut expected: Vec<(String, String)> = expected
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    expected.sort();
    assert_eq!(query_of(req), expected, "query of {}", req.url);
}

/// All requests the server received.
pub async fn requests(server: &MockServer) -> Vec<Request> {
    server.received_requests().await.unwrap_or_default()
}
