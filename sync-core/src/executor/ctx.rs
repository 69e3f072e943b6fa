//! The shared state of one run and the operations stages perform on it.

use std::future::Future;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use futures::StreamExt;
use tokio_util::sync::CancellationToken;

use std::collections::BTreeSet;

use tokio::sync::OnceCell;

use super::contact_writer::MatchState;
use super::cursor;
use super::facts::Facts;
use crate::entity::EntityKind;
use crate::observer::{OutcomeKind, SyncEvent};
use crate::outcome::RunFailure;
use crate::plan::SyncPlan;
use crate::report::{Outcome, StageStatus, SyncReport};
use crate::store::{Mapping, MappingState, MemoryStore, StoreError};

/// Why processing of a stage (or the run) stops early.
#[derive(Debug)]
pub(crate) enum Abort {
    /// A configuration problem (missing scope, missing calendar...): the stage is blocked.
    Blocked(String),
    /// Nothing more can succeed in this run (invalid token, daily budget, store failure).
    Fatal(RunFailure),
    /// Phorest kept failing on one of this stage's reads: the stage stops where it is (its
    /// checkpoint keeps what was settled) and the other stages go on.
    StageFailed(String),
    /// The host cancelled the run.
    Cancelled,
}

impl From<crate::store::StoreError> for Abort {
    fn from(err: crate::store::StoreError) -> Self {
        Abort::Fatal(RunFailure::Store {
            message: err.to_string(),
        })
    }
}

impl Abort {
    /// The more serious of two aborts: fatal over blocked over cancelled.
    pub(crate) fn worst(self, other: Abort) -> Abort {
        match (self, other) {
            (Abort::Fatal(f), _) | (_, Abort::Fatal(f)) => Abort::Fatal(f),
            (Abort::Blocked(m), _) | (_, Abort::Blocked(m)) => Abort::Blocked(m),
            (Abort::StageFailed(m), _) | (_, Abort::StageFailed(m)) => Abort::StageFailed(m),
            _ => Abort::Cancelled,
        }
    }
}

/// A Phorest read failed even after the client's retries: the stage stops, keeping its
/// checkpoint (credentials Phorest refuses fail the run as a configuration error).
pub(crate) fn read_abort(what: &str, err: &phorest_client::Error) -> Abort {
    if matches!(err.status(), Some(401 | 403)) {
        return Abort::Fatal(RunFailure::config(
            "phorest credentials",
            format!("Phorest refused the credentials while reading {what}: {err}"),
        ));
    }
    Abort::StageFailed(format!(
        "reading {what} from Phorest failed ({err}); the next run resumes from the last checkpoint"
    ))
}

/// How a GHL error affects the run.
#[derive(Debug)]
pub(crate) enum RecordError {
    /// This record failed; others may still succeed.
    Record(String),
    /// The stage cannot succeed (scope, permission).
    Abort(Abort),
}

impl RecordError {
    pub(crate) fn from_ghl(err: &ghl_client::Error) -> Self {
        use ghl_client::Error as E;
        match err {
            E::MissingScope { .. } | E::MissingScopes { .. } | E::Forbidden { .. } => {
                RecordError::Abort(Abort::Blocked(err.to_string()))
            }
            E::Unauthorized { message, .. } => {
                RecordError::Abort(Abort::Fatal(RunFailure::TokenInvalid {
                    message: message.clone(),
                }))
            }
            E::DailyLimitExhausted => {
                RecordError::Abort(Abort::Fatal(RunFailure::DailyBudgetExhausted {
                    resets_at: None,
                }))
            }
            _ => RecordError::Record(err.to_string()),
        }
    }
}

/// Shared state of one run.
pub(crate) struct RunCtx<'p> {
    pub(crate) plan: &'p SyncPlan,
    pub(crate) report: Mutex<SyncReport>,
    pub(crate) cancel: CancellationToken,
    pub(crate) facts: Facts,
    /// Whether this run already reset the date-based dependents' checkpoints.
    pub(crate) dependents_reset: AtomicBool,
    /// How new records are matched with existing contacts (decided once per run).
    pub(crate) matching: MatchState,
    /// A dry run's identity index (a dry run changes nothing in the store).
    pub(crate) identity_overlay: Option<MemoryStore>,
    /// A dry run's queue of clients to re-read.
    pub(crate) recheck_overlay: Mutex<BTreeSet<String>>,
    /// About how many records have no contact yet (computed once, when first needed).
    expected_new: OnceCell<u64>,
    /// A dry run's clients that would have a contact (a dry run stores no mapping).
    pub(crate) dry_contacts: Mutex<std::collections::HashSet<String>>,
    /// How many stages ran, and how many of them Phorest failed (all of them: the run fails).
    pub(crate) stages_run: std::sync::atomic::AtomicUsize,
    pub(crate) stages_failed: std::sync::atomic::AtomicUsize,
    /// Records whose contact turned out to belong to another record this run (retried once at
    /// the end of their stage: the other record may have given up the shared identifier).
    pub(crate) conflicted: Mutex<BTreeSet<(EntityKind, String)>>,
}

impl<'p> RunCtx<'p> {
    /// Whether this run's client stage read every client it should have: it ran and completed
    /// (a client with no mapping then has none for a reason of its own).
    pub(crate) fn clients_read_all(&self) -> bool {
        let report = self.report.lock().unwrap_or_else(|e| e.into_inner());
        report
            .entity(EntityKind::Client)
            .is_some_and(|row| row.stage == StageStatus::Completed)
    }

    /// The context of a run of `plan` with the facts preflight gathered.
    pub(crate) fn new(
        plan: &'p SyncPlan,
        report: SyncReport,
        cancel: CancellationToken,
        facts: Facts,
    ) -> Self {
        RunCtx {
            plan,
            report: Mutex::new(report),
            cancel,
            facts,
            dependents_reset: AtomicBool::new(false),
            matching: MatchState::default(),
            identity_overlay: plan.config.dry_run.then(MemoryStore::new),
            recheck_overlay: Mutex::new(BTreeSet::new()),
            expected_new: OnceCell::new(),
            conflicted: Mutex::new(BTreeSet::new()),
            dry_contacts: Mutex::new(std::collections::HashSet::new()),
            stages_run: std::sync::atomic::AtomicUsize::new(0),
            stages_failed: std::sync::atomic::AtomicUsize::new(0),
        }
    }

    /// The checkpoint of `stage`, bound to this run's target: the GHL location, and the
    /// calendar for appointment stages (another target reads everything again).
    pub(crate) async fn cursor(
        &self,
        stage: &str,
        overlap: chrono::Duration,
        calendar: bool,
    ) -> Result<cursor::StageCursor<'p>, StoreError> {
        let mut target = format!("location={}", self.plan.ghl.location_id());
        if calendar {
            target.push_str(&format!(
                ";calendar={}",
                self.plan
                    .config
                    .calendar_id
                    .as_ref()
                    .map_or("", |c| c.as_str())
            ));
        }
        cursor::StageCursor::begin(
            self.plan.store.as_ref(),
            stage,
            &target,
            overlap,
            self.dry_run(),
            self.plan.config.full_refresh,
        )
        .await
    }
}

impl RunCtx<'_> {
    pub(crate) fn dry_run(&self) -> bool {
        self.plan.config.dry_run
    }

    pub(crate) fn with_report<R>(&self, f: impl FnOnce(&mut SyncReport) -> R) -> R {
        // A poisoned lock only means another task panicked while recording; the report data
        // itself is still consistent counters, so keep using it.
        let mut guard = match self.report.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        f(&mut guard)
    }

    /// Record a record's outcome in the report and tell the observer.
    pub(crate) fn record(
        &self,
        entity: EntityKind,
        phorest_id: &str,
        label: Option<&str>,
        outcome: Outcome,
    ) {
        let kind = OutcomeKind::from(&outcome);
        self.with_report(|r| r.record(entity, phorest_id, label, outcome));
        self.plan.observer.on_event(&SyncEvent::RecordProcessed {
            entity,
            outcome: kind,
        });
    }

    /// Set where a stage stands.
    pub(crate) fn stage(&self, entity: EntityKind, status: StageStatus) {
        self.with_report(|r| r.set_stage(entity, status));
    }

    /// Record a warning about one record.
    pub(crate) fn warn(&self, entity: EntityKind, phorest_id: &str, reason: impl Into<String>) {
        let reason = reason.into();
        self.with_report(|r| r.warn(entity, phorest_id, reason));
    }

    /// Count GHL write requests (made, or that a dry run would make).
    pub(crate) fn count_writes(&self, entity: EntityKind, n: u64) {
        if n > 0 {
            self.with_report(|r| r.add_requests(entity, n));
        }
    }

    /// Whether `entity` has records that failed or were left in flight by an earlier run. Stages
    /// then read everything instead of only what changed, so those records are retried.
    pub(crate) async fn has_outstanding(&self, entities: &[EntityKind]) -> Result<bool, Abort> {
        for entity in entities {
            for state in [MappingState::Failed, MappingState::Pending] {
                if self.plan.store.count(*entity, Some(state)).await? > 0 {
                    return Ok(true);
                }
            }
        }
        Ok(false)
    }

    /// A client skipped earlier (no contact, so its appointments, check-ins and purchases were
    /// skipped too) now has a contact (its loyalty came with it). Appointments and purchases
    /// are read by date, not by client, so their checkpoints are reset once per run and the
    /// next read covers the whole horizon; this is stored, so the catch-up happens even if this
    /// run is interrupted before those stages. Records that did not change produce no GHL
    /// writes (content hashes).
    pub(crate) async fn client_became_syncable(&self, client_id: &str) -> Result<(), Abort> {
        let plan = self.plan;
        if self.dry_run() {
            return Ok(());
        }
        if !self.dependents_reset.swap(true, Ordering::SeqCst) {
            tracing::info!(
                client_id,
                "a skipped client is now synced: appointments and purchases are read in full"
            );
            for branch in &self.facts.branches {
                for stage in ["appointments", "check_ins", "bookings", "purchases"] {
                    plan.store.clear(&format!("{stage}:{}", branch.id)).await?;
                }
            }
        }
        Ok(())
    }

    /// About how many staff and clients have no GHL contact yet: Phorest's client count (one
    /// page read, once per run) minus the clients already mapped. Decides how new records are
    /// matched with the location's contacts.
    pub(crate) async fn expected_new_contacts(&self) -> Result<u64, Abort> {
        self.expected_new
            .get_or_try_init(|| async {
                let mut pages = self
                    .plan
                    .phorest
                    .clients()
                    .pages(&phorest_client::ClientQuery::all(), 0);
                let total = match pages.next().await {
                    Some(Ok(page)) => page.total_elements,
                    Some(Err(err)) => return Err(read_abort("clients", &err)),
                    None => 0,
                };
                let mapped = self
                    .plan
                    .store
                    .count(EntityKind::Client, Some(MappingState::Synced))
                    .await?;
                Ok(total.saturating_sub(mapped))
            })
            .await
            .copied()
    }

    /// In a dry run: whether the client stage would have given `client` a contact.
    pub(crate) fn would_have_contact(&self, client: &str) -> bool {
        self.dry_run()
            && self
                .dry_contacts
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .contains(client)
    }

    pub(crate) fn event(&self, event: SyncEvent) {
        self.plan.observer.on_event(&event);
    }

    /// Store a mapping unless this is a dry run.
    pub(crate) async fn save_mapping(&self, mapping: &Mapping) -> Result<(), Abort> {
        if self.dry_run() {
            return Ok(());
        }
        self.plan.store.put(mapping).await?;
        Ok(())
    }

    /// Store a failed attempt for `entity`/`phorest_id`, keeping what is known of the GHL side.
    pub(crate) async fn save_failure(
        &self,
        existing: Option<Mapping>,
        entity: EntityKind,
        phorest_id: &str,
        ghl_id: Option<String>,
        reason: &str,
    ) -> Result<(), Abort> {
        let mut mapping = existing.unwrap_or_else(|| Mapping::new(entity, phorest_id));
        if ghl_id.is_some() {
            mapping.ghl_id = ghl_id;
        }
        mapping.state = MappingState::Failed;
        mapping.content_hash = None;
        mapping.attempts = mapping.attempts.saturating_add(1);
        mapping.last_error = Some(truncate(reason, 500));
        mapping.updated_at = chrono::Utc::now();
        self.save_mapping(&mapping).await
    }

    /// Turn a record-level error into an outcome (recording the failure) or an abort.
    pub(crate) async fn fail_record(
        &self,
        existing: Option<Mapping>,
        entity: EntityKind,
        phorest_id: &str,
        label: Option<&str>,
        ghl_id: Option<String>,
        err: RecordError,
    ) -> Result<(), Abort> {
        match err {
            RecordError::Record(reason) => {
                self.save_failure(existing, entity, phorest_id, ghl_id, &reason)
                    .await?;
                self.record(entity, phorest_id, label, Outcome::Failed(reason));
                Ok(())
            }
            RecordError::Abort(abort) => Err(abort),
        }
    }

    /// Process the records of one page concurrently (bounded by the plan's concurrency).
    ///
    /// Returns `Ok(true)` when every record was accounted for, `Ok(false)` when the run was
    /// cancelled before all were started (the page must then not be checkpointed).
    pub(crate) async fn process_page<T, F, Fut>(&self, items: Vec<T>, f: F) -> Result<bool, Abort>
    where
        F: Fn(T) -> Fut,
        Fut: Future<Output = Result<(), Abort>>,
    {
        let cancel = &self.cancel;
        let f = &f;
        let results: Vec<Result<bool, Abort>> = futures::stream::iter(items)
            .map(|item| async move {
                if cancel.is_cancelled() {
                    return Ok(false);
                }
                f(item).await.map(|()| true)
            })
            .buffer_unordered(self.plan.config.concurrency)
            .collect()
            .await;
        let mut complete = true;
        let mut first_abort: Option<Abort> = None;
        for r in results {
            match r {
                Ok(done) => complete &= done,
                Err(abort) => {
                    // A fatal error wins over a block, which wins over a cancellation.
                    first_abort = Some(match first_abort {
                        Some(first) => first.worst(abort),
                        None => abort,
                    });
                }
            }
        }
        match first_abort {
            Some(abort) => Err(abort),
            None => Ok(complete),
        }
    }
}

pub(crate) fn truncate(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_owned();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}
