//! An axum extractor for verified webhooks (feature `axum`).
//!
//! [`GhlWebhook`] reads the body as bytes, verifies it with the [`WebhookVerifier`] taken
//! from the router state (`WebhookVerifier: FromRef<S>`), and rejects refused deliveries with
//! [`GhlWebhookRejection`], whose status is [`WebhookError::http_status`] (200 for a duplicate,
//! so HighLevel stops sending it; the handler does not run). Axum's body limit (2 MB by
//! default) applies.
//!
//! ```no_run
//! use axum::{Router, extract::FromRef, routing::post};
//! use ghl_client::webhooks::{WebhookVerifier, axum::GhlWebhook};
//!
//! #[derive(Clone)]
//! struct AppState {
//!     verifier: WebhookVerifier,
//! }
//!
//! impl FromRef<AppState> for WebhookVerifier {
//!     fn from_ref(state: &AppState) -> Self {
//!         state.verifier.clone()
//!     }
//! }
//!
//! async fn webhook(GhlWebhook(delivery): GhlWebhook) -> &'static str {
//!     println!("{} {:?}", delivery.event_type(), delivery.envelope.webhook_id);
//!     "ok"
//! }
//!
//! fn app() -> Router {
//!     let state = AppState { verifier: WebhookVerifier::builder().build() };
//!     Router::new().route("/ghl/webhooks", post(webhook)).with_state(state)
//! }
//! ```

use axum::body::Bytes;
use axum::extract::{FromRef, FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::{VerifiedWebhook, WebhookError, WebhookVerifier};

/// A verified webhook delivery, as an axum extractor (it consumes the body: put it last).
#[derive(Debug, Clone)]
pub struct GhlWebhook(pub VerifiedWebhook);

/// Why [`GhlWebhook`] refused a request; answers with [`WebhookError::http_status`] and a
/// short text (no payload values, no signatures).
#[derive(Debug)]
pub struct GhlWebhookRejection(pub WebhookError);

impl IntoResponse for GhlWebhookRejection {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.0.http_status()).unwrap_or(StatusCode::BAD_REQUEST);
        let text = if self.0.is_duplicate() {
            "duplicate delivery, already processed".to_owned()
        } else {
            self.0.to_string()
        };
        (status, text).into_response()
    }
}

impl<S> FromRequest<S> for GhlWebhook
where
    S: Send + Sync,
    WebhookVerifier: FromRef<S>,
{
    type Rejection = GhlWebhookRejection;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let verifier = WebhookVerifier::from_ref(state);
        let headers = req.headers().clone();
        let body = Bytes::from_request(req, state).await.map_err(|e| {
            GhlWebhookRejection(WebhookError::ReadBody {
                message: e.body_text(),
            })
        })?;
        verifier
            .verify(&headers, &body)
            .await
            .map(GhlWebhook)
            .map_err(GhlWebhookRejection)
    }
}
