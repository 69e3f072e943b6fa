//! One run per GHL location at a time: the run lease and its heartbeat.
//!
//! Two runs writing to one location would each create what the other is creating (the mapping
//! store only knows a record once its write is acknowledged), so a run takes the lease
//! `location:<id>` from the store before its first request and renews it every third of its TTL.
//! A run that is killed stops renewing, so its lease expires and the next run takes over; a run
//! that cannot renew in time (the store was unreachable for a whole TTL, or another run took the
//! expired lease) cancels itself at once and reports [`RunFailure::LeaseLost`]. Dry runs write
//! nothing and take no lease.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::Utc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::outcome::RunFailure;
use crate::plan::SyncPlan;
use crate::store::{Lease, LeaseGrant, Store};

/// The lease key of a GHL location.
pub(crate) fn key(plan: &SyncPlan) -> String {
    format!("location:{}", plan.ghl.location_id())
}

/// Who a run is, for the holder field: host, process and run id.
pub(crate) fn holder(run_id: &str) -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.trim().is_empty())
        .or_else(|| {
            std::fs::read_to_string("/etc/hostname")
                .ok()
                .map(|h| h.trim().to_owned())
        })
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".to_owned());
    format!("{host} pid {} run {run_id}", std::process::id())
}

/// Takes the location's lease, waiting up to the plan's `lease_wait` (polling) when another run
/// holds it.
pub(crate) async fn acquire(
    plan: &SyncPlan,
    run_id: &str,
    cancel: &CancellationToken,
) -> Result<Lease, RunFailure> {
    let key = key(plan);
    let holder = holder(run_id);
    let ttl = plan.config.lease_ttl;
    let deadline = plan
        .config
        .lease_wait
        .map(|wait| tokio::time::Instant::now() + wait);
    loop {
        let grant = plan
            .store
            .acquire_lease(&key, &holder, ttl)
            .await
            .map_err(|e| RunFailure::Store {
                message: e.to_string(),
            })?;
        match grant {
            LeaseGrant::Acquired(lease) => {
                tracing::debug!(key = %lease.key, "run lease acquired");
                return Ok(lease);
            }
            LeaseGrant::Held { holder, expires_at } => {
                let Some(deadline) = deadline.filter(|d| tokio::time::Instant::now() < *d) else {
                    return Err(RunFailure::LeaseHeld { holder, expires_at });
                };
                // Poll a few times per TTL, never past the deadline.
                let step = (ttl / 4)
                    .to_std()
                    .unwrap_or(std::time::Duration::from_secs(1))
                    .clamp(
                        std::time::Duration::from_millis(100),
                        std::time::Duration::from_secs(5),
                    );
                let wake = (tokio::time::Instant::now() + step).min(deadline);
                tracing::info!(%holder, "another run holds the location's lease; waiting");
                tokio::select! {
                    () = tokio::time::sleep_until(wake) => {}
                    () = cancel.cancelled() => return Err(RunFailure::Cancelled),
                }
            }
        }
    }
}

/// Renews a lease in the background until stopped; cancels `run` if the lease is lost.
pub(crate) struct Heartbeat {
    task: JoinHandle<Lease>,
    stop: CancellationToken,
    lost: Arc<AtomicBool>,
    store: Arc<dyn Store>,
}

impl Heartbeat {
    pub(crate) fn start(
        store: Arc<dyn Store>,
        lease: Lease,
        ttl: chrono::Duration,
        run: CancellationToken,
    ) -> Heartbeat {
        let stop = CancellationToken::new();
        let lost = Arc::new(AtomicBool::new(false));
        let task = {
            let (store, stop, lost) = (Arc::clone(&store), stop.clone(), Arc::clone(&lost));
            tokio::spawn(async move {
                let mut lease = lease;
                let every = (ttl / 3)
                    .to_std()
                    .unwrap_or(std::time::Duration::from_secs(1))
                    .max(std::time::Duration::from_millis(50));
                loop {
                    tokio::select! {
                        () = tokio::time::sleep(every) => {}
                        () = stop.cancelled() => return lease,
                    }
                    match store.renew_lease(&lease, ttl).await {
                        Ok(Some(renewed)) => lease = renewed,
                        Ok(None) => {
                            tracing::error!(key = %lease.key, "run lease lost: stopping the run");
                            lost.store(true, Ordering::SeqCst);
                            run.cancel();
                            return lease;
                        }
                        Err(err) if Utc::now() >= lease.expires_at => {
                            tracing::error!(error = %err, "could not renew the run lease before it expired: stopping the run");
                            lost.store(true, Ordering::SeqCst);
                            run.cancel();
                            return lease;
                        }
                        Err(err) => {
                            tracing::warn!(error = %err, "could not renew the run lease; retrying");
                        }
                    }
                }
            })
        };
        Heartbeat {
            task,
            stop,
            lost,
            store,
        }
    }

    /// Whether the lease was lost (the run was cancelled because of it).
    pub(crate) fn lost(&self) -> bool {
        self.lost.load(Ordering::SeqCst)
    }

    /// Stops renewing and releases the lease (if it is still ours). Answers whether the lease
    /// was lost during the run.
    pub(crate) async fn stop(self) -> bool {
        self.stop.cancel();
        let lost_now = self.lost();
        match self.task.await {
            Ok(lease) => {
                if !lost_now && let Err(err) = self.store.release_lease(&lease).await {
                    // It expires by itself; the next run waits at most one TTL.
                    tracing::warn!(error = %err, "could not release the run lease");
                }
            }
            Err(err) => tracing::warn!(error = %err, "run lease heartbeat task failed"),
        }
        self.lost.load(Ordering::SeqCst)
    }
}
