//! Authentication: refresh on expiry (single-flight), missing scopes, fail-fast memory,
//! preflight and redaction.

mod common;

use std::sync::Arc;

use common::*;
use ghl_client::{
    Auth, BuildError, Error, ExposeSecret, GhlClient, MemoryTokenStore, Scope, SecretString,
    TokenSet,
};
use serde_json::json;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn expired() -> ResponseTemplate {
    ResponseTemplate::new(401).set_body_json(json!({
        "statusCode": 401, "message": "Invalid JWT", "error": "Unauthorized"
    }))
}

fn missing_scope() -> ResponseTemplate {
    ResponseTemplate::new(401).set_body_json(json!({
        "statusCode": 401, "message": "The token is not authorized for this scope.",
        "error": "Unauthorized"
    }))
}

async fn mount_refresh(server: &MockServer, expected: u64) {
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .and(FormBody(vec![
            ("client_id", "app-client-id"),
            ("client_secret", CLIENT_SECRET),
            ("grant_type", "refresh_token"),
            ("refresh_token", OLD_REFRESH),
            ("user_type", "Location"),
        ]))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(token_response(NEW_ACCESS, NEW_REFRESH)),
        )
        .expect(expected)
        .named("token refresh")
        .mount(server)
        .await;
}

#[tokio::test]
async fn expired_token_is_refreshed_once_saved_then_retried() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/contacts/c-1"))
        .and(header(
            "Authorization",
            format!("Bearer {OLD_ACCESS}").as_str(),
        ))
        .respond_with(expired())
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/contacts/c-1"))
        .and(header(
            "Authorization",
            format!("Bearer {NEW_ACCESS}").as_str(),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"contact": {"id": "c-1"}})))
        .expect(1)
        .mount(&server)
        .await;
    mount_refresh(&server, 1).await;
    mount_catch_all(&server).await;
    let (client, store) = oauth_client(&server);
    let contact = client.contacts().get(&"c-1".into()).await.unwrap();
    assert_eq!(contact.id.as_str(), "c-1");
    assert_eq!(store.save_count(), 1);
    let saved = store.current().unwrap();
    assert_eq!(saved.access_token.expose_secret(), NEW_ACCESS);
    assert_eq!(saved.refresh_token.unwrap().expose_secret(), NEW_REFRESH);
    // Scopes now come from the refreshed token's `scope`.
    assert_eq!(
        client.scopes(),
        vec![
            Scope::ContactsReadonly,
            Scope::ContactsWrite,
            Scope::ProductsWrite
        ]
    );
}

#[tokio::test]
async fn twenty_concurrent_401s_cause_exactly_one_refresh() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/contacts/c-1"))
        .and(header(
            "Authorization",
            format!("Bearer {OLD_ACCESS}").as_str(),
        ))
        .respond_with(expired().set_delay(std::time::Duration::from_millis(50)))
        .expect(20)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/contacts/c-1"))
        .and(header(
            "Authorization",
            format!("Bearer {NEW_ACCESS}").as_str(),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"contact": {"id": "c-1"}})))
        .expect(20)
        .mount(&server)
        .await;
    mount_refresh(&server, 1).await;
    mount_catch_all(&server).await;
    let (client, store) = oauth_client(&server);
    let calls = (0..20).map(|_| {
        let client = client.clone();
        tokio::spawn(async move { client.contacts().get(&"c-1".into()).await })
    });
    for call in futures::future::join_all(calls).await {
        call.unwrap().unwrap();
    }
    assert_eq!(requests_to(&server, "/oauth/token").await.len(), 1);
    assert_eq!(store.save_count(), 1, "the rotated token is saved once");
}

#[tokio::test]
async fn second_401_after_refresh_is_unauthorized_and_remembered() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/contacts/c-1"))
        .respond_with(expired())
        .expect(2) // once with the old token, once with the refreshed one; then fail fast
        .mount(&server)
        .await;
    mount_refresh(&server, 1).await;
    mount_catch_all(&server).await;
    let (client, _store) = oauth_client(&server);
    let error = client.contacts().get(&"c-1".into()).await.unwrap_err();
    assert!(matches!(error, Error::Unauthorized { .. }), "{error:?}");
    assert_eq!(error.status(), Some(401));
    let again = client.contacts().get(&"c-1".into()).await.unwrap_err();
    assert!(
        matches!(again, Error::Unauthorized { api: None, .. }),
        "{again:?}"
    );
}

#[tokio::test]
async fn missing_scope_never_refreshes_and_fails_fast_afterwards() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/products/"))
        .respond_with(missing_scope())
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/contacts/c-1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"contact": {"id": "c-1"}})))
        .expect(1)
        .mount(&server)
        .await;
    mount_refresh(&server, 0).await;
    mount_catch_all(&server).await;
    let (client, store) = oauth_client(&server);
    let product = ghl_client::products::CreateProduct::new(
        "Oil",
        ghl_client::products::ProductType::Physical,
    );
    let error = client.products().create(&product).await.unwrap_err();
    match &error {
        Error::MissingScope { scope, api, .. } => {
            assert_eq!(scope, &Some(Scope::ProductsWrite));
            assert!(api.is_some());
        }
        other => panic!("expected MissingScope, got {other:?}"),
    }
    // Remembered: the second attempt does not reach the server.
    let again = client.products().create(&product).await.unwrap_err();
    assert!(
        matches!(again, Error::MissingScope { api: None, .. }),
        "{again:?}"
    );
    // The preflight now reports the scope as missing too.
    let preflight = client.require_scopes(&[Scope::ProductsWrite]).unwrap_err();
    assert!(matches!(preflight, Error::MissingScopes { .. }));
    // Other operations still work.
    client.contacts().get(&"c-1".into()).await.unwrap();
    assert_eq!(requests_to(&server, "/oauth/token").await.len(), 0);
    assert_eq!(store.save_count(), 0);
}

#[tokio::test]
async fn private_token_401_is_unauthorized_without_refresh() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/calendars/"))
        .respond_with(expired())
        .expect(1)
        .mount(&server)
        .await;
    mount_catch_all(&server).await;
    let client = pit_client(&server);
    let error = client.calendars().list().await.unwrap_err();
    assert!(matches!(error, Error::Unauthorized { .. }), "{error:?}");
    // Remembered: no second request reaches the server.
    let again = client.calendars().list().await.unwrap_err();
    assert!(matches!(again, Error::Unauthorized { api: None, .. }));
}

#[tokio::test]
async fn failing_fast_after_a_401_repeats_ghls_own_reason() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/calendars/"))
        .respond_with(expired())
        .expect(1)
        .mount(&server)
        .await;
    mount_catch_all(&server).await;
    let client = pit_client(&server);
    let first = client.calendars().list().await.unwrap_err();
    assert_eq!(first.to_string(), "unauthorized: Invalid JWT");
    // The fail-fast error (no request sent) still carries GHL's reason, first, so whichever
    // error a caller shows a person says why the token was refused.
    let again = client.contacts().get(&"c-1".into()).await.unwrap_err();
    let Error::Unauthorized { message, api: None } = &again else {
        panic!("expected a fail-fast Unauthorized, got {again:?}");
    };
    assert!(message.starts_with("Invalid JWT"), "{message}");
    assert!(!again.to_string().contains("not sending again"), "{again}");
    assert_eq!(again.status(), Some(401));
}

#[tokio::test]
async fn a_refused_refresh_is_repeated_with_its_reason_when_failing_fast() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/contacts/c-1"))
        .respond_with(expired())
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({
            "statusCode": 401, "error": "invalid_grant",
            "error_description": "Invalid refresh token", "message": "Invalid refresh token"
        })))
        .expect(1)
        .mount(&server)
        .await;
    mount_catch_all(&server).await;
    let (client, _store) = oauth_client(&server);
    // The token endpoint's answer is sensitive (its body is not kept), so the reason is the
    // refresh's failure with its status text; the fail-fast error repeats it.
    let first = client.contacts().get(&"c-1".into()).await.unwrap_err();
    let Error::Unauthorized {
        message: reason, ..
    } = &first
    else {
        panic!("expected Unauthorized, got {first:?}");
    };
    assert!(reason.starts_with("token refresh failed"), "{reason}");
    let again = client.contacts().get(&"c-1".into()).await.unwrap_err();
    let Error::Unauthorized { message, api: None } = &again else {
        panic!("expected a fail-fast Unauthorized, got {again:?}");
    };
    assert!(message.starts_with(reason.as_str()), "{message}");
    assert!(!message.contains("not sending again"), "{message}");
}

#[tokio::test]
async fn a_newer_token_in_the_store_is_adopted_instead_of_refreshing() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/contacts/c-1"))
        .and(header(
            "Authorization",
            format!("Bearer {OLD_ACCESS}").as_str(),
        ))
        .respond_with(expired())
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/contacts/c-1"))
        .and(header("Authorization", "Bearer rotated-elsewhere"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"contact": {"id": "c-1"}})))
        .expect(1)
        .mount(&server)
        .await;
    mount_refresh(&server, 0).await;
    mount_catch_all(&server).await;
    let (client, store) = oauth_client(&server);
    // Another process refreshed and saved meanwhile.
    use ghl_client::TokenStore;
    store
        .save(&TokenSet::new(
            SecretString::from("rotated-elsewhere"),
            Some(SecretString::from("refresh-elsewhere")),
            None,
            all_scopes(),
        ))
        .await
        .unwrap();
    client.contacts().get(&"c-1".into()).await.unwrap();
}

#[tokio::test]
async fn require_scopes_names_every_missing_scope_at_once() {
    let server = MockServer::start().await;
    mount_catch_all(&server).await;
    let client = pit_client_with(&server, vec![Scope::ContactsReadonly, Scope::ContactsWrite]);
    client
        .require_scopes(&[Scope::ContactsWrite, Scope::ContactsReadonly])
        .unwrap();
    let error = client
        .require_scopes(&[
            Scope::ContactsWrite,
            Scope::ProductsWrite,
            Scope::PricesWrite,
            Scope::ProductsWrite,
        ])
        .unwrap_err();
    match &error {
        Error::MissingScopes { missing } => {
            assert_eq!(missing, &[Scope::ProductsWrite, Scope::PricesWrite]);
        }
        other => panic!("expected MissingScopes, got {other:?}"),
    }
    assert_eq!(
        error.to_string(),
        "token lacks the scopes: products.write, products/prices.write"
    );
}

#[tokio::test]
async fn secrets_never_appear_in_debug_or_errors() {
    let server = MockServer::start().await;
    // A hostile server that echoes the token back in an error body.
    Mock::given(method("GET"))
        .and(path("/contacts/c-1"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "statusCode": 400,
            "message": format!("bad header Bearer {OLD_ACCESS} refresh {OLD_REFRESH}"),
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/contacts/c-2"))
        .respond_with(ResponseTemplate::new(200).set_body_string(format!("not json {OLD_ACCESS}")))
        .expect(1)
        .mount(&server)
        .await;
    mount_catch_all(&server).await;
    let (client, store) = oauth_client(&server);
    let secrets = [OLD_ACCESS, OLD_REFRESH, CLIENT_SECRET];
    let error = client.contacts().get(&"c-1".into()).await.unwrap_err();
    let decode = client.contacts().get(&"c-2".into()).await.unwrap_err();
    let pit = Auth::private_token(SecretString::from(TOKEN), all_scopes());
    let texts = [
        format!("{client:?}"),
        format!("{store:?}"),
        format!("{error:?}"),
        error.to_string(),
        format!("{decode:?}"),
        decode.to_string(),
        format!("{pit:?}"),
        format!("{:?}", app()),
        format!("{:?}", GhlClient::builder().auth(pit.clone())),
        format!("{:?}", pit_client(&server)),
    ];
    for text in &texts {
        for secret in secrets.iter().chain([&TOKEN]) {
            assert!(!text.contains(secret), "secret leaked in: {text}");
        }
    }
    assert!(texts[3].contains("[REDACTED]"), "{}", texts[3]);
}

#[tokio::test]
async fn token_refresh_failure_is_unauthorized_without_secrets() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/contacts/c-1"))
        .respond_with(expired())
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({
            "error": "invalid_grant", "error_description": format!("refresh token {OLD_REFRESH} is invalid")
        })))
        .expect(1)
        .mount(&server)
        .await;
    mount_catch_all(&server).await;
    let (client, store) = oauth_client(&server);
    let error = client.contacts().get(&"c-1".into()).await.unwrap_err();
    assert!(matches!(error, Error::Unauthorized { .. }), "{error:?}");
    assert!(!format!("{error:?}").contains(OLD_REFRESH));
    assert_eq!(store.save_count(), 0);
    // The token is now known bad: no more requests.
    assert!(client.contacts().get(&"c-1".into()).await.is_err());
}

#[test]
fn base_url_must_be_https_except_loopback() {
    let build = |url: &str| {
        GhlClient::builder()
            .base_url(url)
            .location_id(LOCATION)
            .auth(Auth::private_token(SecretString::from(TOKEN), []))
            .build()
    };
    assert!(build("https://services.leadconnectorhq.com").is_ok());
    assert!(build("http://127.0.0.1:8080").is_ok());
    assert!(build("http://127.3.4.5:8080").is_ok());
    assert!(build("http://[::1]:8080").is_ok());
    assert!(build("http://localhost:8080").is_ok());
    assert!(matches!(
        build("http://services.leadconnectorhq.com"),
        Err(BuildError::InsecureBaseUrl)
    ));
    assert!(matches!(
        build("http://10.0.0.1"),
        Err(BuildError::InsecureBaseUrl)
    ));
    assert!(matches!(
        build("ftp://x"),
        Err(BuildError::InvalidBaseUrl(_))
    ));
    assert!(matches!(
        build("not a url"),
        Err(BuildError::InvalidBaseUrl(_))
    ));
    assert!(matches!(
        GhlClient::builder().location_id(LOCATION).build(),
        Err(BuildError::MissingAuth)
    ));
    assert!(matches!(
        GhlClient::builder()
            .auth(Auth::private_token(SecretString::from(TOKEN), []))
            .build(),
        Err(BuildError::MissingLocationId)
    ));
    // An OAuth token set that names its location needs no explicit location id.
    let tokens = TokenSet::new(SecretString::from("a"), None, None, []).with_location_id("loc-9");
    let client = GhlClient::builder()
        .auth(Auth::oauth(
            app(),
            tokens,
            Arc::new(MemoryTokenStore::new()),
        ))
        .build()
        .unwrap();
    assert_eq!(client.location_id().as_str(), "loc-9");
}

#[tokio::test]
async fn a_token_about_to_expire_is_refreshed_before_sending() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/contacts/c-1"))
        .and(header(
            "Authorization",
            format!("Bearer {NEW_ACCESS}").as_str(),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"contact": {"id": "c-1"}})))
        .expect(1)
        .mount(&server)
        .await;
    mount_refresh(&server, 1).await;
    mount_catch_all(&server).await;
    let tokens = TokenSet::new(
        SecretString::from(OLD_ACCESS),
        Some(SecretString::from(OLD_REFRESH)),
        Some(chrono::Utc::now() + chrono::Duration::seconds(10)),
        all_scopes(),
    );
    let store = Arc::new(MemoryTokenStore::with_tokens(tokens.clone()));
    let client = GhlClient::builder()
        .base_url(server.uri())
        .location_id(LOCATION)
        .auth(Auth::oauth(app(), tokens, store.clone()))
        .build()
        .unwrap();
    client.contacts().get(&"c-1".into()).await.unwrap();
    assert_eq!(store.save_count(), 1);
}

#[tokio::test]
async fn a_refused_refresh_is_not_repeated_by_concurrent_requests() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/contacts/c-1"))
        .respond_with(expired().set_delay(std::time::Duration::from_millis(50)))
        .expect(10)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({
            "error": "invalid_grant"
        })))
        .expect(1)
        .mount(&server)
        .await;
    mount_catch_all(&server).await;
    let (client, store) = oauth_client(&server);
    let calls = (0..10).map(|_| {
        let client = client.clone();
        tokio::spawn(async move { client.contacts().get(&"c-1".into()).await })
    });
    for call in futures::future::join_all(calls).await {
        let error = call.unwrap().unwrap_err();
        assert!(matches!(error, Error::Unauthorized { .. }), "{error:?}");
    }
    assert_eq!(store.save_count(), 0);
}
