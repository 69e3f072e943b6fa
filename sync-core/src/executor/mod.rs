//! The executor: runs a [`SyncPlan`]'s stages against the two APIs.
//!
//! Per record the order is always: map and validate → hash the outgoing payload → compare with
//! the stored hash → write (create, or update through the mapping; owned tags only by add/remove)
//! → store the mapping at once. A page's checkpoint advances only when every record of the page is
//! accounted for (written, unchanged, skipped or recorded as failed).
//!
//! Errors are classified once:
//! - *record* errors (validation, not found, a write that failed after retries) fail that record,
//!   are kept in the mapping store as `Failed` and are retried on the next run;
//! - *config* errors (missing scope, forbidden location) block the stage once;
//! - *fatal* errors (the token is invalid even after a refresh, the daily request budget is
//!   exhausted, the store fails) stop the run with its checkpoints intact, so the next run
//!   resumes; the report carries them as a typed [`RunFailure`].
//!
//! Module map: `ctx` is the shared run state and the operations stages call on it; `walk` is
//! the checkpointed, read-ahead walk over a Phorest list that refuses to lose records; `lease`
//! keeps one run per location; `preflight` gathers facts before any write; `contact_writer`
//! writes each contact once from every stage's facts; the stage modules (`staff`, `clients` with
//! `identities` and `purchases`, `appointments`, `products`) read Phorest and hand GHL writes to
//! them.
//!
//! Stage order: products run beside the contact chain (they depend on nothing), so GHL is busy
//! from the start; the chain is staff → client categories → clients (with loyalty and purchases
//! in the same contact writes) → appointments, check-ins and bookings.

mod appointments;
mod clients;
mod contact_writer;
mod ctx;
mod cursor;
mod facts;
mod identities;
mod lease;
mod preflight;
mod products;
mod purchases;
mod staff;
mod walk;

use std::future::Future;

use tokio_util::sync::CancellationToken;

use crate::entity::EntityKind;
use crate::observer::SyncEvent;
use crate::outcome::RunFailure;
use crate::plan::SyncPlan;
use crate::report::{StageStatus, SyncReport};

pub use preflight::{Preflight, StageCheck, required_scopes};

pub(crate) use ctx::{Abort, RecordError, RunCtx, read_abort};

/// The key under which a state store remembers the GHL location it belongs to.
const STATE_LOCATION_KEY: &str = "state.ghl_location";

impl SyncPlan {
    /// Run the plan until it finishes or `cancel` is triggered.
    ///
    /// Before the first request the run takes this GHL location's lease from the store (see
    /// [`LeaseStore`](crate::store::LeaseStore)): a second run on the same location ends at once
    /// with [`RunFailure::LeaseHeld`] (or waits, with [`SyncConfig::lease_wait`](crate::SyncConfig::lease_wait)).
    /// The returned report always accounts for every record processed, and says for every
    /// enabled stage whether it ran. A cancelled or failed run keeps its checkpoints: running the
    /// plan again resumes where it stopped. Problems are in the report (blocked stages, failed
    /// records, a [`RunFailure`] in [`SyncReport::failure`]), never a panic.
    pub async fn run(&self, cancel: CancellationToken) -> SyncReport {
        let mut report = SyncReport::new(self.config.dry_run);
        if self.config.dry_run {
            return self.run_unleased(report, cancel).await;
        }
        let lease = match lease::acquire(self, &report.run_id, &cancel).await {
            Ok(lease) => lease,
            Err(failure) => return SyncReport::not_started(false, failure),
        };
        let run_cancel = cancel.child_token();
        let heartbeat = lease::Heartbeat::start(
            std::sync::Arc::clone(&self.store),
            lease,
            self.config.lease_ttl,
            run_cancel.clone(),
        );
        report = self.run_unleased(report, run_cancel).await;
        if heartbeat.stop().await {
            report.fail(RunFailure::LeaseLost);
            report.finish(false);
        }
        report
    }

    /// The run proper, once the lease is held (or for a dry run).
    async fn run_unleased(&self, mut report: SyncReport, cancel: CancellationToken) -> SyncReport {
        let enabled: Vec<EntityKind> = EntityKind::ALL
            .iter()
            .copied()
            // Staff users are matched in preflight and reported on the staff row.
            .filter(|e| self.config.enabled(*e) && *e != EntityKind::StaffUser)
            .collect();
        report.plan_stages(enabled.iter().copied());
        if let Err(failure) = self.check_state_location(false).await {
            report.fail(failure);
            report.finish(false);
            return report;
        }
        let preflight = self.preflight().await;
        for check in &preflight.stages {
            for text in &check.notes {
                report.note(check.entity, text.clone());
            }
            if let Some(reason) = &check.blocked {
                report.block(check.entity, reason.clone());
                self.observer.on_event(&SyncEvent::StageBlocked {
                    entity: check.entity,
                    reason: reason.clone(),
                });
            }
        }
        let facts = match preflight.facts {
            Ok(facts) => facts,
            Err(failure) => {
                report.fail(failure);
                report.finish(false);
                return report;
            }
        };
        // The location is verified: the state store belongs to it from now on.
        if let Err(failure) = self.check_state_location(true).await {
            report.fail(failure);
            report.finish(false);
            return report;
        }
        if let Some(failure) = all_blocked_by_scopes(self, &preflight.stages) {
            report.fail(failure);
            report.finish(false);
            return report;
        }
        if facts.loyalty_field_created {
            report.add_requests(EntityKind::Loyalty, 1);
        }
        for (staff, reason) in &facts.unmatched_staff {
            let label = facts.staff_names.get(staff).map(String::as_str);
            report.warn_labelled(
                EntityKind::Staff,
                staff,
                label,
                format!("no GHL user for appointments: {reason}"),
            );
        }
        let ctx = RunCtx::new(self, report, cancel, facts);
        let blocked: Vec<EntityKind> = preflight
            .stages
            .iter()
            .filter(|c| c.blocked.is_some())
            .map(|c| c.entity)
            .collect();
        let outcome = run_stages(&ctx, &blocked).await;
        let mut report = match ctx.report.into_inner() {
            Ok(r) => r,
            Err(poisoned) => poisoned.into_inner(),
        };
        let cancelled = match outcome {
            Ok(()) => false,
            Err(Abort::Cancelled) => true,
            Err(Abort::Fatal(failure)) => {
                report.fail(failure);
                false
            }
            Err(Abort::Blocked(reason) | Abort::StageFailed(reason)) => {
                // Handled per stage; one escaping here is a bug, but report it.
                report.fail(RunFailure::Store {
                    message: format!("internal: a stage problem escaped its stage: {reason}"),
                });
                false
            }
        };
        report.finish(cancelled);
        report
    }

    /// A state store belongs to one GHL location: mappings point at that location's objects.
    /// The first (real) run records the location once preflight verified it (`record`); a later
    /// run against another location fails as a configuration error instead of writing through
    /// foreign mappings.
    async fn check_state_location(&self, record: bool) -> Result<(), RunFailure> {
        let location = self.ghl.location_id().as_str().to_owned();
        let store_err = |e: crate::store::StoreError| RunFailure::Store {
            message: e.to_string(),
        };
        match self
            .store
            .get_value(STATE_LOCATION_KEY)
            .await
            .map_err(store_err)?
        {
            Some(serde_json::Value::String(recorded)) if recorded != location => {
                Err(RunFailure::config(
                    "location_id",
                    format!(
                        "this state store belongs to GHL location {recorded}, not {location}: \
                         use a separate state store (e.g. --state FILE) per location"
                    ),
                ))
            }
            Some(_) => Ok(()),
            None if self.config.dry_run || !record => Ok(()),
            None => self
                .store
                .set_value(STATE_LOCATION_KEY, &serde_json::Value::String(location))
                .await
                .map_err(store_err),
        }
    }
}

/// When every enabled stage is blocked by missing scopes, the run cannot do anything: one typed
/// failure naming every missing scope instead of a report of blocked rows.
fn all_blocked_by_scopes(plan: &SyncPlan, stages: &[StageCheck]) -> Option<RunFailure> {
    if stages.is_empty() || stages.iter().any(|s| s.blocked.is_none()) {
        return None;
    }
    let mut missing: Vec<String> = Vec::new();
    for s in stages {
        if let Err(ghl_client::Error::MissingScopes { missing: m }) =
            plan.ghl.require_scopes(required_scopes(s.entity))
        {
            for scope in m {
                let name = scope.as_str().to_owned();
                if !missing.contains(&name) {
                    missing.push(name);
                }
            }
        } else {
            // Blocked for another reason too: the per-stage report says it better.
            return None;
        }
    }
    (!missing.is_empty()).then_some(RunFailure::ScopeMissing { scopes: missing })
}

/// The stages: products beside the contact chain (see the module docs).
async fn run_stages(ctx: &RunCtx<'_>, blocked: &[EntityKind]) -> Result<(), Abort> {
    use EntityKind as E;
    let on = |e: EntityKind| ctx.plan.config.enabled(e) && !blocked.contains(&e);
    let chain = async {
        if on(E::Staff) {
            stage(ctx, &[E::Staff], staff::run_staff(ctx)).await?;
        }
        if on(E::ClientCategory) {
            stage(ctx, &[E::ClientCategory], staff::run_categories(ctx)).await?;
        }
        let facets = clients::ClientFacets {
            clients: on(E::Client),
            loyalty: on(E::Loyalty),
            purchases: on(E::Purchase),
        };
        let rows = facets.rows();
        if !rows.is_empty() {
            stage(ctx, &rows, clients::run(ctx, facets)).await?;
        }
        let rows: Vec<EntityKind> = [E::Appointment, E::CheckIn, E::Booking]
            .into_iter()
            .filter(|e| on(*e))
            .collect();
        if !rows.is_empty() {
            stage(ctx, &rows, appointments::run(ctx, blocked)).await?;
        }
        Ok::<(), Abort>(())
    };
    let products = async {
        if on(E::Product) {
            stage(ctx, &[E::Product], products::run(ctx)).await?;
        }
        Ok::<(), Abort>(())
    };
    let result = match tokio::join!(chain, products) {
        (Ok(()), Ok(())) => Ok(()),
        (Err(a), Err(b)) => Err(a.worst(b)),
        (Err(a), _) | (_, Err(a)) => Err(a),
    };
    result?;
    // Every stage that ran stopped on a Phorest read: the run as a whole failed.
    let ran = ctx.stages_run.load(std::sync::atomic::Ordering::SeqCst);
    let failed = ctx.stages_failed.load(std::sync::atomic::Ordering::SeqCst);
    if ran > 0 && failed == ran {
        let message = ctx.with_report(|r| {
            r.entities
                .iter()
                .find_map(|row| match &row.stage {
                    StageStatus::Incomplete(reason) => Some(reason.clone()),
                    _ => None,
                })
                .unwrap_or_else(|| "every stage failed reading Phorest".into())
        });
        return Err(Abort::Fatal(RunFailure::PhorestUnavailable { message }));
    }
    Ok(())
}

/// Runs one stage (which fills the report rows of `entities`): marks the rows running, then
/// completed (unless the stage said it was incomplete) or blocked. A fatal problem or a
/// cancellation stops the run.
async fn stage(
    ctx: &RunCtx<'_>,
    entities: &[EntityKind],
    work: impl Future<Output = Result<(), Abort>>,
) -> Result<(), Abort> {
    if ctx.cancel.is_cancelled() {
        return Err(Abort::Cancelled);
    }
    let entity = entities[0];
    ctx.stages_run
        .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    for e in entities {
        ctx.stage(*e, StageStatus::Running);
    }
    ctx.event(SyncEvent::StageStarted {
        entity,
        total_hint: None,
    });
    match work.await {
        Ok(()) => {
            for e in entities {
                let running = ctx.with_report(|r| {
                    r.entity(*e)
                        .is_some_and(|row| row.stage == StageStatus::Running)
                });
                if running {
                    ctx.stage(*e, StageStatus::Completed);
                }
            }
            ctx.event(SyncEvent::StageFinished { entity });
            Ok(())
        }
        Err(Abort::Blocked(reason)) => {
            for e in entities {
                ctx.with_report(|r| r.block(*e, reason.clone()));
            }
            ctx.event(SyncEvent::StageBlocked { entity, reason });
            Ok(())
        }
        Err(Abort::StageFailed(reason)) => {
            tracing::warn!(entity = entity.as_str(), %reason, "stage stopped on a Phorest read");
            ctx.stages_failed
                .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            for e in entities {
                ctx.stage(*e, StageStatus::Incomplete(reason.clone()));
            }
            Ok(())
        }
        Err(other) => Err(other),
    }
}
