//! The axum extractor: verified deliveries reach the handler, refused ones are answered with
//! `WebhookError::http_status`.
#![cfg(feature = "axum")]

mod webhook_support;

use axum::Router;
use axum::body::Body;
use axum::extract::FromRequest;
use axum::http::{Request, StatusCode};
use axum::response::IntoResponse;
use axum::routing::post;
use chrono::Utc;
use ghl_client::webhooks::axum::GhlWebhook;
use ghl_client::webhooks::{WebhookEvent, WebhookVerifier};
use webhook_support::{Signer, contact_create};

fn request(body: &[u8], signature: Option<(&str, String)>) -> Request<Body> {
    let mut builder = Request::builder()
        .method("POST")
        .uri("/ghl/webhooks")
        .header("content-type", "application/json");
    if let Some((name, value)) = signature {
        builder = builder.header(name, value);
    }
    builder.body(Body::from(body.to_vec())).unwrap()
}

async fn handler(GhlWebhook(delivery): GhlWebhook) -> String {
    delivery.event_type().to_string()
}

#[tokio::test]
async fn the_extractor_verifies_and_answers_refusals() {
    let signer = Signer::trusted();
    let verifier = signer.verifier_builder().build();
    // The extractor is usable as a handler argument with the verifier as router state.
    let _app: Router = Router::new()
        .route("/ghl/webhooks", post(handler))
        .with_state(verifier.clone());

    let body = contact_create(Utc::now(), "wh-axum-1");
    let sig = signer.ed25519(&body);
    let GhlWebhook(delivery) = GhlWebhook::from_request(
        request(&body, Some(("x-ghl-signature", sig.clone()))),
        &verifier,
    )
    .await
    .unwrap();
    assert!(matches!(delivery.event, WebhookEvent::ContactCreate(_)));

    // The same delivery again: refused as a duplicate, answered 200 so HighLevel stops.
    let duplicate =
        GhlWebhook::from_request(request(&body, Some(("x-ghl-signature", sig))), &verifier)
            .await
            .unwrap_err();
    assert!(duplicate.0.is_duplicate());
    assert_eq!(duplicate.into_response().status(), StatusCode::OK);

    let unsigned = GhlWebhook::from_request(request(&body, None), &verifier)
        .await
        .unwrap_err();
    let response = unsigned.into_response();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let text = axum::body::to_bytes(response.into_body(), 1024)
        .await
        .unwrap();
    assert!(
        String::from_utf8_lossy(&text).contains("no webhook signature header"),
        "{text:?}"
    );

    // A body changed in transit: 401, and the verifier with HighLevel's keys refuses too.
    let mut tampered = body.clone();
    tampered[20] ^= 1;
    let forged = GhlWebhook::from_request(
        request(&tampered, Some(("x-ghl-signature", signer.ed25519(&body)))),
        &WebhookVerifier::builder().build(),
    )
    .await
    .unwrap_err();
    assert_eq!(forged.into_response().status(), StatusCode::UNAUTHORIZED);
}
