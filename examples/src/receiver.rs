//! The webhook receiver: HighLevel contact webhooks → verified, deduplicated, stored, then
//! applied to Phorest in the background by [`sync_core::two_way::TwoWaySync`].
//!
//! `POST /webhooks/ghl` answers as soon as the event is stored (200), or refuses it (401
//! forged, unsigned or stale, 400 malformed, 200 for a duplicate so HighLevel stops resending,
//! 500 when the store failed so HighLevel retries). `GET /healthz` answers 200 with counters.
//! The binary `webhook-receiver` wraps it; the end-to-end tests run it in-process.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use axum::extract::{FromRef, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use ghl_client::WebhookId;
use ghl_client::webhooks::axum::{GhlWebhook, GhlWebhookRejection};
use ghl_client::webhooks::{InsertOutcome, ReplayStore, ReplayStoreError, WebhookVerifier};
use serde::Serialize;
use sync_core::KvStore;
use sync_core::two_way::{InboundEvent, TwoWayStore, TwoWaySync};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

/// The path HighLevel POSTs to.
pub const WEBHOOK_PATH: &str = "/webhooks/ghl";

/// Counters of one receiver (also the `/healthz` body).
#[derive(Debug, Default)]
pub struct ReceiverStats {
    /// Deliveries verified and stored.
    pub stored: AtomicU64,
    /// Deliveries refused: bad or missing signature (401).
    pub refused_signature: AtomicU64,
    /// Deliveries refused: outside the time window (401).
    pub refused_stale: AtomicU64,
    /// Deliveries refused: malformed (400) or otherwise.
    pub refused_other: AtomicU64,
    /// Duplicates (webhook id seen before), answered 200 and dropped.
    pub duplicates: AtomicU64,
    /// Verified events this receiver does not use (other types, other locations).
    pub ignored: AtomicU64,
    /// Events applied by the background worker.
    pub applied: AtomicU64,
}

/// A snapshot of [`ReceiverStats`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct StatsSnapshot {
    /// See [`ReceiverStats::stored`].
    pub stored: u64,
    /// See [`ReceiverStats::refused_signature`].
    pub refused_signature: u64,
    /// See [`ReceiverStats::refused_stale`].
    pub refused_stale: u64,
    /// See [`ReceiverStats::refused_other`].
    pub refused_other: u64,
    /// See [`ReceiverStats::duplicates`].
    pub duplicates: u64,
    /// See [`ReceiverStats::ignored`].
    pub ignored: u64,
    /// See [`ReceiverStats::applied`].
    pub applied: u64,
}

impl ReceiverStats {
    /// The counters now.
    pub fn snapshot(&self) -> StatsSnapshot {
        let l = |a: &AtomicU64| a.load(Ordering::Relaxed);
        StatsSnapshot {
            stored: l(&self.stored),
            refused_signature: l(&self.refused_signature),
            refused_stale: l(&self.refused_stale),
            refused_other: l(&self.refused_other),
            duplicates: l(&self.duplicates),
            ignored: l(&self.ignored),
            applied: l(&self.applied),
        }
    }
}

/// A [`ReplayStore`] over the sync's [`KvStore`]: seen webhook ids live in the same database as
/// the mappings and the inbox, so a restart still refuses replays. One process per store (the
/// check and the insert are two operations, serialised by a lock).
pub struct KvReplayStore<S: ?Sized> {
    store: Arc<S>,
    lock: tokio::sync::Mutex<()>,
}

impl<S: ?Sized> KvReplayStore<S> {
    /// Seen ids in `store`.
    pub fn new(store: Arc<S>) -> Self {
        KvReplayStore {
            store,
            lock: tokio::sync::Mutex::new(()),
        }
    }
}

fn seen_key(id: &str) -> String {
    format!("two_way:seen:{id}")
}

impl<S: KvStore + ?Sized> KvReplayStore<S> {
    /// Forgets `id` (a delivery that was verified but could not be stored: its redelivery must
    /// not be refused as a duplicate).
    pub async fn forget(&self, id: &str) {
        let _guard = self.lock.lock().await;
        let _ = self
            .store
            .set_value(&seen_key(id), &serde_json::Value::Null)
            .await;
    }
}

#[async_trait]
impl<S: KvStore + ?Sized + 'static> ReplayStore for KvReplayStore<S> {
    async fn insert_if_absent(
        &self,
        webhook_id: &WebhookId,
        expires_at: DateTime<Utc>,
    ) -> Result<InsertOutcome, ReplayStoreError> {
        let _guard = self.lock.lock().await;
        let key = seen_key(webhook_id.as_str());
        let existing = self
            .store
            .get_value(&key)
            .await
            .map_err(|e| ReplayStoreError::new(format!("reading seen ids: {e}")))?;
        let live = existing
            .as_ref()
            .and_then(|v| v.as_str())
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .is_some_and(|t| t > Utc::now());
        if live {
            return Ok(InsertOutcome::AlreadySeen);
        }
        self.store
            .set_value(&key, &serde_json::Value::from(expires_at.to_rfc3339()))
            .await
            .map_err(|e| ReplayStoreError::new(format!("recording a seen id: {e}")))?;
        Ok(InsertOutcome::Inserted)
    }
}

/// What the routes share.
pub struct Receiver<S: ?Sized> {
    /// The verifier (its replay store decides duplicates).
    pub verifier: WebhookVerifier,
    /// The applier.
    pub sync: Arc<TwoWaySync<S>>,
    /// Only events of this location are stored (others are counted as ignored).
    pub location_id: Option<String>,
    /// Counters.
    pub stats: Arc<ReceiverStats>,
    /// Wakes the worker.
    pub wake: Arc<Notify>,
    /// The replay store, to forget an id whose event could not be stored.
    pub replay: Option<Arc<KvReplayStore<S>>>,
}

impl<S: ?Sized> Clone for Receiver<S> {
    fn clone(&self) -> Self {
        Receiver {
            verifier: self.verifier.clone(),
            sync: Arc::clone(&self.sync),
            location_id: self.location_id.clone(),
            stats: Arc::clone(&self.stats),
            wake: Arc::clone(&self.wake),
            replay: self.replay.clone(),
        }
    }
}

impl<S: ?Sized> FromRef<Receiver<S>> for WebhookVerifier {
    fn from_ref(state: &Receiver<S>) -> Self {
        state.verifier.clone()
    }
}

impl<S: TwoWayStore + ?Sized + 'static> Receiver<S> {
    /// The routes: `POST` [`WEBHOOK_PATH`] and `GET /healthz`.
    pub fn router(&self) -> Router {
        Router::new()
            .route(WEBHOOK_PATH, post(webhook::<S>))
            .route("/healthz", get(healthz::<S>))
            .with_state(self.clone())
    }

    /// The background applier: applies what is pending at start (a crash's leftovers), then
    /// whenever woken, until `cancel`.
    pub fn spawn_worker(&self, cancel: CancellationToken) -> tokio::task::JoinHandle<()> {
        let this = self.clone();
        tokio::spawn(async move {
            loop {
                // Registered before applying, so a wake during the pass is not lost.
                let woken = this.wake.notified();
                tokio::pin!(woken);
                woken.as_mut().enable();
                match this.sync.apply_pending().await {
                    Ok(done) => {
                        this.stats
                            .applied
                            .fetch_add(done.len() as u64, Ordering::Relaxed);
                    }
                    Err(err) => tracing::error!(%err, "applying GHL events failed; retrying"),
                }
                tokio::select! {
                    () = cancel.cancelled() => return,
                    () = &mut woken => {}
                    () = tokio::time::sleep(std::time::Duration::from_secs(30)) => {}
                }
            }
        })
    }

    /// Serves on `listener` until `cancel`, with the worker.
    pub async fn serve(
        &self,
        listener: tokio::net::TcpListener,
        cancel: CancellationToken,
    ) -> std::io::Result<()> {
        let worker = self.spawn_worker(cancel.clone());
        let shutdown = cancel.clone();
        let result = axum::serve(listener, self.router())
            .with_graceful_shutdown(async move { shutdown.cancelled().await })
            .await;
        cancel.cancel();
        let _ = worker.await;
        result
    }

    /// Binds `addr` (port 0: any free port), serves in the background; answers the address.
    pub async fn spawn(
        &self,
        addr: SocketAddr,
        cancel: CancellationToken,
    ) -> std::io::Result<SocketAddr> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let local = listener.local_addr()?;
        let this = self.clone();
        tokio::spawn(async move {
            if let Err(err) = this.serve(listener, cancel).await {
                tracing::error!(%err, "webhook receiver stopped");
            }
        });
        Ok(local)
    }
}

async fn webhook<S: TwoWayStore + ?Sized + 'static>(
    State(state): State<Receiver<S>>,
    delivery: Result<GhlWebhook, GhlWebhookRejection>,
) -> Response {
    let stats = &state.stats;
    let delivery = match delivery {
        Ok(GhlWebhook(d)) => d,
        Err(rejection) => {
            use ghl_client::webhooks::WebhookError as E;
            let counter = match &rejection.0 {
                e if e.is_duplicate() => &stats.duplicates,
                E::StaleTimestamp { .. } | E::FutureTimestamp { .. } => &stats.refused_stale,
                e if e.http_status() == 401 => &stats.refused_signature,
                _ => &stats.refused_other,
            };
            counter.fetch_add(1, Ordering::Relaxed);
            return rejection.into_response();
        }
    };
    let other_location = state.location_id.as_deref().is_some_and(|want| {
        delivery
            .envelope
            .location_id
            .as_ref()
            .is_some_and(|l| l.as_str() != want)
    });
    let Some(event) = InboundEvent::from_verified(&delivery).filter(|_| !other_location) else {
        stats.ignored.fetch_add(1, Ordering::Relaxed);
        return (StatusCode::OK, "ignored").into_response();
    };
    match state.sync.enqueue(&event).await {
        Ok(true) => {
            stats.stored.fetch_add(1, Ordering::Relaxed);
            state.wake.notify_one();
            (StatusCode::OK, "stored").into_response()
        }
        Ok(false) => {
            stats.duplicates.fetch_add(1, Ordering::Relaxed);
            (StatusCode::OK, "duplicate delivery, already processed").into_response()
        }
        Err(err) => {
            tracing::error!(%err, "storing a GHL event failed");
            if let Some(replay) = &state.replay {
                replay.forget(&event.webhook_id).await;
            }
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "could not store the event",
            )
                .into_response()
        }
    }
}

#[derive(Serialize)]
struct Health {
    ok: bool,
    pending: usize,
    #[serde(flatten)]
    stats: StatsSnapshot,
}

async fn healthz<S: TwoWayStore + ?Sized + 'static>(State(state): State<Receiver<S>>) -> Response {
    match state.sync.pending().await {
        Ok(pending) => Json(Health {
            ok: true,
            pending: pending.len(),
            stats: state.stats.snapshot(),
        })
        .into_response(),
        Err(err) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("store unavailable: {err}"),
        )
            .into_response(),
    }
}

/// A receiver over `store` with `verifier` built by the caller and a [`KvReplayStore`].
pub fn receiver<S: TwoWayStore + ?Sized + 'static>(
    sync: Arc<TwoWaySync<S>>,
    store: Arc<S>,
    verifier: ghl_client::webhooks::WebhookVerifierBuilder,
    location_id: Option<String>,
) -> Receiver<S> {
    let replay = Arc::new(KvReplayStore::new(store));
    let verifier = verifier
        .shared_replay_store(Arc::clone(&replay) as Arc<dyn ReplayStore>)
        .build();
    Receiver {
        verifier,
        sync,
        location_id,
        stats: Arc::new(ReceiverStats::default()),
        wake: Arc::new(Notify::new()),
        replay: Some(replay),
    }
}
