//! The run report: per-entity counters and stage states, per-record issues, how the run ended
//! (a typed [`RunFailure`] when it stopped early), and renderings as JSON and (feature
//! `render`) a terminal table and a CSV of records to fix in Phorest.
//!
//! Counters (per entity):
//! - `total` — records the stage looked at; always
//!   `created + updated + unchanged + skipped + failed` ([`SyncReport::check_invariants`]).
//! - `created` / `updated` — GHL acknowledged a create / an update.
//! - `unchanged` — the payload hash matched the last acknowledged one; no request.
//! - `skipped` — deliberately not synced (walk-in, merged, no email or phone, …).
//! - `failed` — the write failed; the record is retried on the next run.
//! - `warnings` — records synced with a caveat (e.g. an invalid email left out);
//!   a warning does not count towards `total`.
//! - `requests` — GHL writes made for this entity (in a dry run: the writes it would make).
//! - `stage` — whether the stage ran, was blocked (and why), was interrupted, is incomplete
//!   (records it could not settle this run, recovered by the next) or did not run.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::entity::EntityKind;
pub use crate::outcome::{RunFailure, System};

#[cfg(feature = "render")]
#[cfg_attr(docsrs, doc(cfg(feature = "render")))]
mod render;
#[cfg(test)]
mod tests;

/// At most this many [`RecordIssue`]s are kept in a report (about 30 MB at
/// worst); counters stay exact beyond it and `issues_dropped` says how many
/// were not kept.
pub const MAX_ISSUES: usize = 100_000;

/// What happened to one record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", content = "reason", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Outcome {
    /// A GHL object was created.
    Created,
    /// A GHL object was updated.
    Updated,
    /// No change since the last acknowledged write; no request.
    Unchanged,
    /// Deliberately not synced.
    Skipped {
        /// Why (no secrets).
        reason: String,
        /// Whether the salon can fix the record in Phorest to get it synced (missing or
        /// invalid contact data, a shared email...). Expected skips (walk-in, merged, archived,
        /// no loyalty card...) are `false` and stay out of the fix list.
        actionable: bool,
    },
    /// The write failed, with the error (no secrets).
    Failed(String),
}

impl Outcome {
    /// A skip for a mapper's [`SkipReason`](crate::mappers::SkipReason); actionable when
    /// [`SkipReason::is_actionable`](crate::mappers::SkipReason::is_actionable) says so.
    pub fn skipped(reason: &crate::mappers::SkipReason) -> Self {
        Outcome::Skipped {
            reason: reason.to_string(),
            actionable: reason.is_actionable(),
        }
    }

    /// An expected skip that needs nothing from the salon (e.g. an appointment of a client
    /// that is not synced: the client's own record says why).
    pub fn skipped_expected(reason: impl Into<String>) -> Self {
        Outcome::Skipped {
            reason: reason.into(),
            actionable: false,
        }
    }
}

/// How serious a [`RecordIssue`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Severity {
    /// The record was not synced on purpose.
    Skipped,
    /// The record's write failed.
    Failed,
    /// The record was synced with a caveat.
    Warning,
}

impl Severity {
    /// The machine name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Severity::Skipped => "skipped",
            Severity::Failed => "failed",
            Severity::Warning => "warning",
        }
    }
}

/// One record the salon may need to look at.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RecordIssue {
    /// The kind of record.
    pub entity: EntityKind,
    /// Its Phorest id.
    pub phorest_id: String,
    /// How serious it is.
    pub severity: Severity,
    /// What is wrong and, where possible, how to fix it.
    pub reason: String,
    /// A human label (e.g. the client's name) for the fix-list CSV.
    pub label: Option<String>,
    /// Whether someone should act on it: every failure and warning, and the skips the salon can
    /// fix in Phorest. Only actionable issues go into [`SyncReport::to_fix_csv`].
    #[serde(default = "yes")]
    pub actionable: bool,
}

fn yes() -> bool {
    true
}

/// Where a stage stands in a run.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", content = "reason", rename_all = "snake_case")]
#[non_exhaustive]
pub enum StageStatus {
    /// The stage was enabled but did not start (an earlier stage or the run stopped first).
    #[default]
    NotRun,
    /// The stage is running.
    Running,
    /// The stage read and settled everything it was asked to.
    Completed,
    /// The stage ran but could not settle everything (e.g. Phorest's paging disagreed with
    /// itself); its checkpoint stayed where it was, so the next run reads those records again.
    Incomplete(String),
    /// The stage could not run (a missing scope, a missing calendar, …), and why.
    Blocked(String),
    /// The stage started but the run stopped (cancelled or failed) before it finished; its
    /// checkpoint keeps what was settled.
    Interrupted,
}

impl StageStatus {
    /// The machine name (`not_run`, `completed`, …).
    pub const fn as_str(&self) -> &'static str {
        match self {
            StageStatus::NotRun => "not_run",
            StageStatus::Running => "running",
            StageStatus::Completed => "completed",
            StageStatus::Incomplete(_) => "incomplete",
            StageStatus::Blocked(_) => "blocked",
            StageStatus::Interrupted => "interrupted",
        }
    }

    /// Why the stage was blocked, if it was.
    pub fn blocked(&self) -> Option<&str> {
        match self {
            StageStatus::Blocked(reason) => Some(reason),
            _ => None,
        }
    }
}

/// The counters of one entity.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct EntityReport {
    /// The kind of record.
    pub entity: EntityKind,
    /// Records looked at (= created + updated + unchanged + skipped + failed).
    pub total: u64,
    /// Created in GHL.
    pub created: u64,
    /// Updated in GHL.
    pub updated: u64,
    /// Unchanged; no request made.
    pub unchanged: u64,
    /// Skipped with a reason.
    pub skipped: u64,
    /// Failed; retried next run.
    pub failed: u64,
    /// Synced with a warning (not part of `total`).
    pub warnings: u64,
    /// Whether the stage ran, was blocked, interrupted, incomplete or not run.
    #[serde(default)]
    pub stage: StageStatus,
    /// GHL writes made for this entity (a dry run counts the writes it would make).
    pub requests: u64,
    /// Things worth knowing that did not stop the stage (from preflight, e.g. staff without a
    /// GHL user, a custom field created).
    #[serde(default)]
    pub notes: Vec<String>,
}

impl EntityReport {
    /// Empty counters for `entity`.
    pub fn new(entity: EntityKind) -> Self {
        EntityReport {
            entity,
            total: 0,
            created: 0,
            updated: 0,
            unchanged: 0,
            skipped: 0,
            failed: 0,
            warnings: 0,
            stage: StageStatus::NotRun,
            requests: 0,
            notes: Vec::new(),
        }
    }

    /// Why the stage was blocked, if it was.
    pub fn blocked(&self) -> Option<&str> {
        self.stage.blocked()
    }
}

/// How a run ended (or that it is still going).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RunStatus {
    /// Not finished yet.
    Running,
    /// Everything ran; nothing failed.
    Completed,
    /// Everything ran; some records failed (retried next run).
    CompletedWithErrors,
    /// Everything ran, but a stage could not settle every record (see
    /// [`StageStatus::Incomplete`]); the next run recovers them.
    Incomplete,
    /// At least one stage was blocked; the others ran.
    PartiallyBlocked,
    /// Cancelled by the host; resumable.
    Cancelled,
    /// The run stopped early or did not start; [`SyncReport::failure`] says why.
    Failed,
}

/// The report of one run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SyncReport {
    /// A unique id of the run (UUID v4).
    pub run_id: String,
    /// When the run started.
    pub started_at: DateTime<Utc>,
    /// When it finished.
    pub finished_at: Option<DateTime<Utc>>,
    /// Whether this was a dry run (no GHL writes).
    pub dry_run: bool,
    /// How it ended.
    pub status: RunStatus,
    /// Per-entity counters, in [`EntityKind`] order.
    pub entities: Vec<EntityReport>,
    /// Skipped, failed and warned records (at most [`MAX_ISSUES`]).
    pub issues: Vec<RecordIssue>,
    /// Issues not kept because of [`MAX_ISSUES`].
    #[serde(default)]
    pub issues_dropped: u64,
    /// Why the run stopped early or did not start ([`RunStatus::Failed`] and
    /// [`RunStatus::Cancelled`]).
    #[serde(default)]
    pub failure: Option<RunFailure>,
}

impl SyncReport {
    /// A running report with a fresh run id.
    pub(crate) fn new(dry_run: bool) -> Self {
        SyncReport {
            run_id: uuid::Uuid::new_v4().to_string(),
            started_at: Utc::now(),
            finished_at: None,
            dry_run,
            status: RunStatus::Running,
            entities: Vec::new(),
            issues: Vec::new(),
            issues_dropped: 0,
            failure: None,
        }
    }

    /// A report of a run that could not start.
    pub(crate) fn not_started(dry_run: bool, failure: RunFailure) -> Self {
        let mut r = SyncReport::new(dry_run);
        r.fail(failure);
        r.finish(false);
        r
    }

    fn row(&mut self, entity: EntityKind) -> &mut EntityReport {
        let idx = match self.entities.binary_search_by_key(&entity, |r| r.entity) {
            Ok(i) => i,
            Err(i) => {
                self.entities.insert(i, EntityReport::new(entity));
                i
            }
        };
        &mut self.entities[idx]
    }

    fn push_issue(&mut self, issue: RecordIssue) {
        if self.issues.len() < MAX_ISSUES {
            self.issues.push(issue);
        } else {
            self.issues_dropped += 1;
        }
    }

    /// Counts one record's outcome; skips and failures are also listed as issues.
    pub(crate) fn record(
        &mut self,
        entity: EntityKind,
        phorest_id: &str,
        label: Option<&str>,
        outcome: Outcome,
    ) {
        let row = self.row(entity);
        row.total += 1;
        let issue = match outcome {
            Outcome::Created => {
                row.created += 1;
                None
            }
            Outcome::Updated => {
                row.updated += 1;
                None
            }
            Outcome::Unchanged => {
                row.unchanged += 1;
                None
            }
            Outcome::Skipped { reason, actionable } => {
                row.skipped += 1;
                Some((Severity::Skipped, reason, actionable))
            }
            Outcome::Failed(reason) => {
                row.failed += 1;
                Some((Severity::Failed, reason, true))
            }
        };
        if let Some((severity, reason, actionable)) = issue {
            self.push_issue(RecordIssue {
                entity,
                phorest_id: phorest_id.to_owned(),
                severity,
                reason,
                label: label.map(str::to_owned),
                actionable,
            });
        }
    }

    /// Takes back a failure recorded for a record that is tried again in the same run (its new
    /// outcome is recorded then). Answers whether there was one.
    pub(crate) fn unrecord_failure(&mut self, entity: EntityKind, phorest_id: &str) -> bool {
        let Some(pos) = self.issues.iter().rposition(|i| {
            i.entity == entity && i.severity == Severity::Failed && i.phorest_id == phorest_id
        }) else {
            return false;
        };
        self.issues.remove(pos);
        let row = self.row(entity);
        row.failed = row.failed.saturating_sub(1);
        row.total = row.total.saturating_sub(1);
        true
    }

    /// Lists a warning about a record (it does not change `total`).
    pub(crate) fn warn(&mut self, entity: EntityKind, phorest_id: &str, reason: impl Into<String>) {
        self.warn_labelled(entity, phorest_id, None, reason);
    }

    /// [`warn`](Self::warn) with a human label for the fix list.
    pub(crate) fn warn_labelled(
        &mut self,
        entity: EntityKind,
        phorest_id: &str,
        label: Option<&str>,
        reason: impl Into<String>,
    ) {
        self.row(entity).warnings += 1;
        self.push_issue(RecordIssue {
            entity,
            phorest_id: phorest_id.to_owned(),
            severity: Severity::Warning,
            reason: reason.into(),
            label: label.map(str::to_owned),
            actionable: true,
        });
    }

    /// Adds a row (not run yet) for each enabled entity, so every row says where it stands.
    pub(crate) fn plan_stages(&mut self, entities: impl IntoIterator<Item = EntityKind>) {
        for e in entities {
            self.row(e);
        }
    }

    /// Sets the stage status of `entity` (a block keeps its reason; see [`Self::block`]).
    pub(crate) fn set_stage(&mut self, entity: EntityKind, status: StageStatus) {
        let row = self.row(entity);
        if matches!(row.stage, StageStatus::Blocked(_)) {
            return;
        }
        row.stage = status;
    }

    /// Marks a stage blocked; a second distinct reason is appended.
    pub(crate) fn block(&mut self, entity: EntityKind, reason: impl Into<String>) {
        let reason = reason.into();
        let row = self.row(entity);
        match &mut row.stage {
            StageStatus::Blocked(existing) if existing.split("; ").any(|r| r == reason) => {}
            StageStatus::Blocked(existing) => {
                existing.push_str("; ");
                existing.push_str(&reason);
            }
            other => *other = StageStatus::Blocked(reason),
        }
    }

    /// Adds a note about `entity` (shown under the table); a repeated note is kept once.
    pub(crate) fn note(&mut self, entity: EntityKind, text: impl Into<String>) {
        let text = text.into();
        let row = self.row(entity);
        if !row.notes.contains(&text) {
            row.notes.push(text);
        }
    }

    /// Counts `n` GHL writes made for `entity`.
    pub(crate) fn add_requests(&mut self, entity: EntityKind, n: u64) {
        self.row(entity).requests += n;
    }

    /// The counters of `entity`, if anything was recorded for it.
    pub fn entity(&self, entity: EntityKind) -> Option<&EntityReport> {
        self.entities.iter().find(|r| r.entity == entity)
    }

    /// Ends the run: sets `finished_at`, marks stages that were running as interrupted, and
    /// derives the status (cancelled, else partially blocked, else incomplete, else completed
    /// with errors, else completed). A run already marked [`RunStatus::Failed`] stays failed.
    pub(crate) fn finish(&mut self, cancelled: bool) {
        self.finished_at = Some(Utc::now());
        let stopped_early = cancelled || self.status == RunStatus::Failed;
        if stopped_early {
            for row in &mut self.entities {
                if row.stage == StageStatus::Running {
                    row.stage = StageStatus::Interrupted;
                }
            }
        }
        if self.status == RunStatus::Failed {
            return;
        }
        self.status = if cancelled {
            if self.failure.is_none() {
                self.failure = Some(RunFailure::Cancelled);
            }
            RunStatus::Cancelled
        } else if self
            .entities
            .iter()
            .any(|r| matches!(r.stage, StageStatus::Blocked(_)))
        {
            RunStatus::PartiallyBlocked
        } else if self
            .entities
            .iter()
            .any(|r| matches!(r.stage, StageStatus::Incomplete(_)))
        {
            RunStatus::Incomplete
        } else if self.entities.iter().any(|r| r.failed > 0) {
            RunStatus::CompletedWithErrors
        } else {
            RunStatus::Completed
        };
    }

    /// Marks the run failed (it stopped early or could not start); call [`Self::finish`] after.
    pub(crate) fn fail(&mut self, failure: RunFailure) {
        self.status = RunStatus::Failed;
        self.failure = Some(failure);
    }

    /// Checks `total = created + updated + unchanged + skipped + failed` for
    /// every entity, and that the kept issues agree with the counters.
    pub fn check_invariants(&self) -> Result<(), String> {
        for r in &self.entities {
            let sum = r.created + r.updated + r.unchanged + r.skipped + r.failed;
            if r.total != sum {
                return Err(format!(
                    "{}: total {} != created {} + updated {} + unchanged {} + skipped {} + failed {} (= {sum})",
                    r.entity, r.total, r.created, r.updated, r.unchanged, r.skipped, r.failed
                ));
            }
        }
        if self.issues_dropped == 0 {
            for r in &self.entities {
                let count = |sev| {
                    self.issues
                        .iter()
                        .filter(|i| i.entity == r.entity && i.severity == sev)
                        .count() as u64
                };
                let (s, f, w) = (
                    count(Severity::Skipped),
                    count(Severity::Failed),
                    count(Severity::Warning),
                );
                if (s, f, w) != (r.skipped, r.failed, r.warnings) {
                    return Err(format!(
                        "{}: issues list {s} skipped / {f} failed / {w} warnings, counters say {} / {} / {}",
                        r.entity, r.skipped, r.failed, r.warnings
                    ));
                }
            }
        }
        Ok(())
    }

    /// Pretty JSON of the whole report.
    pub fn to_json(&self) -> Result<String, serde_json::Error> {
        serde_json::to_string_pretty(self)
    }

    /// A process exit code, the most serious that applies:
    ///
    /// | code | meaning |
    /// |---|---|
    /// | 0 | everything synced (warnings allowed) |
    /// | 1 | some records failed, or a stage is incomplete: the next run retries them |
    /// | 2 | a stage was blocked (scope, calendar, …); the others ran |
    /// | 3 | cancelled; resumable |
    /// | 4 | the run stopped early and may be retried as is (daily budget, store, Phorest or GHL unreachable, lease lost) |
    /// | 5 | a human must act: invalid token, missing scopes, invalid configuration |
    /// | 6 | another run holds this GHL location's lease |
    ///
    /// (The example binary uses 64 for bad command-line usage.)
    pub fn exit_code(&self) -> i32 {
        match &self.failure {
            Some(RunFailure::LeaseHeld { .. }) => return 6,
            Some(RunFailure::Cancelled) => return 3,
            Some(f) if !f.is_retryable() => return 5,
            Some(_) if self.status == RunStatus::Failed => return 4,
            _ => {}
        }
        match self.status {
            RunStatus::Cancelled => 3,
            _ if self
                .entities
                .iter()
                .any(|r| matches!(r.stage, StageStatus::Blocked(_))) =>
            {
                2
            }
            _ if self
                .entities
                .iter()
                .any(|r| r.failed > 0 || matches!(r.stage, StageStatus::Incomplete(_))) =>
            {
                1
            }
            _ => 0,
        }
    }
}
