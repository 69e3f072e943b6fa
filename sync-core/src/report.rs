//! The run report: per-entity counters, per-record issues, and renderings
//! as a terminal table, JSON and a CSV of records to fix in Phorest.
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
//! - `requests` — GHL writes made for this entity (0 in a dry run).
//! - `blocked` — the stage did not run, and why.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::entity::EntityKind;

/// At most this many [`RecordIssue`]s are kept in a report (about 30 MB at
/// worst); counters stay exact beyond it and `issues_dropped` says how many
/// were not kept.
pub const MAX_ISSUES: usize = 100_000;

/// What happened to one record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", content = "reason", rename_all = "snake_case")]
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

/// The counters of one entity.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
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
    /// Why the stage did not run, if it was blocked.
    pub blocked: Option<String>,
    /// GHL writes made for this entity.
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
            blocked: None,
            requests: 0,
            notes: Vec::new(),
        }
    }

    fn status_text(&self) -> String {
        match (&self.blocked, self.failed) {
            (Some(reason), _) => format!("Blocked: {reason}"),
            (None, 0) if self.warnings > 0 => format!("OK ({} warnings)", self.warnings),
            (None, 0) => "OK".to_owned(),
            (None, _) => "Partial".to_owned(),
        }
    }
}

/// How a run ended (or that it is still going).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// Not finished yet.
    Running,
    /// Everything ran; nothing failed.
    Completed,
    /// Everything ran; some records failed (retried next run).
    CompletedWithErrors,
    /// At least one stage was blocked; the others ran.
    PartiallyBlocked,
    /// Cancelled by the host; resumable.
    Cancelled,
    /// The run itself failed (store or configuration error); resumable.
    Failed,
}

/// The report of one run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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
    /// Why the run failed, for [`RunStatus::Failed`].
    #[serde(default)]
    pub error: Option<String>,
}

impl SyncReport {
    /// A running report with a fresh run id.
    pub fn new(dry_run: bool) -> Self {
        SyncReport {
            run_id: uuid::Uuid::new_v4().to_string(),
            started_at: Utc::now(),
            finished_at: None,
            dry_run,
            status: RunStatus::Running,
            entities: Vec::new(),
            issues: Vec::new(),
            issues_dropped: 0,
            error: None,
        }
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
    pub fn record(
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

    /// Lists a warning about a record (it does not change `total`).
    pub fn warn(&mut self, entity: EntityKind, phorest_id: &str, reason: impl Into<String>) {
        self.warn_labelled(entity, phorest_id, None, reason);
    }

    /// [`warn`](Self::warn) with a human label for the fix list.
    pub fn warn_labelled(
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

    /// Marks a stage blocked; a second distinct reason is appended.
    pub fn block(&mut self, entity: EntityKind, reason: impl Into<String>) {
        let reason = reason.into();
        let row = self.row(entity);
        match &mut row.blocked {
            Some(existing) if existing.split("; ").any(|r| r == reason) => {}
            Some(existing) => {
                existing.push_str("; ");
                existing.push_str(&reason);
            }
            None => row.blocked = Some(reason),
        }
    }

    /// Adds a note about `entity` (shown under the table); a repeated note is kept once.
    pub fn note(&mut self, entity: EntityKind, text: impl Into<String>) {
        let text = text.into();
        let row = self.row(entity);
        if !row.notes.contains(&text) {
            row.notes.push(text);
        }
    }

    /// Counts `n` GHL writes made for `entity`.
    pub fn add_requests(&mut self, entity: EntityKind, n: u64) {
        self.row(entity).requests += n;
    }

    /// The counters of `entity`, if anything was recorded for it.
    pub fn entity(&self, entity: EntityKind) -> Option<&EntityReport> {
        self.entities.iter().find(|r| r.entity == entity)
    }

    /// Ends the run: sets `finished_at` and derives the status (cancelled,
    /// else partially blocked, else completed with errors, else completed).
    /// A run already marked [`RunStatus::Failed`] stays failed.
    pub fn finish(&mut self, cancelled: bool) {
        self.finished_at = Some(Utc::now());
        if self.status == RunStatus::Failed {
            return;
        }
        self.status = if cancelled {
            RunStatus::Cancelled
        } else if self.entities.iter().any(|r| r.blocked.is_some()) {
            RunStatus::PartiallyBlocked
        } else if self.entities.iter().any(|r| r.failed > 0) {
            RunStatus::CompletedWithErrors
        } else {
            RunStatus::Completed
        };
    }

    /// Ends the run as failed (a store or configuration error stopped it).
    pub fn fail(&mut self, reason: impl Into<String>) {
        self.finished_at = Some(Utc::now());
        self.status = RunStatus::Failed;
        self.error = Some(reason.into());
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

    /// A terminal table: Entity | Total | Created | Updated | Unchanged |
    /// Skipped | Failed | Status, one row per entity in stage order, then one
    /// line per note (`Appointments: 2 staff have no GHL user…`).
    pub fn to_table(&self) -> String {
        let mut table = comfy_table::Table::new();
        table.load_style(comfy_table::presets::UTF8_FULL_CONDENSED);
        table.set_header([
            "Entity",
            "Total",
            "Created",
            "Updated",
            "Unchanged",
            "Skipped",
            "Failed",
            "Status",
        ]);
        for r in &self.entities {
            table.add_row([
                r.entity.label().to_owned(),
                r.total.to_string(),
                r.created.to_string(),
                r.updated.to_string(),
                r.unchanged.to_string(),
                r.skipped.to_string(),
                r.failed.to_string(),
                r.status_text(),
            ]);
        }
        let mut out = table.to_string();
        for r in &self.entities {
            for note in &r.notes {
                out.push_str(&format!("\n{}: {note}", r.entity.label()));
            }
        }
        out
    }

    /// Pretty JSON of the whole report.
    pub fn to_json(&self) -> Result<String, serde_json::Error> {
        serde_json::to_string_pretty(self)
    }

    /// A CSV of the records the salon should look at, with the header
    /// `entity,phorest_id,label,severity,reason`: failures, warnings and the
    /// skips the salon can fix in Phorest ([`RecordIssue::actionable`]);
    /// expected skips (walk-in, merged, archived...) are left out. Label and reason
    /// cells that a spreadsheet would run as a formula (starting with `=`,
    /// `+`, `-`, `@`) are prefixed with `'`; Phorest ids are written as they
    /// are (they are generated, and may start with `-`).
    pub fn to_fix_csv(&self) -> Result<String, csv::Error> {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(["entity", "phorest_id", "label", "severity", "reason"])?;
        for i in self.issues.iter().filter(|i| i.actionable) {
            w.write_record([
                i.entity.as_str(),
                &i.phorest_id,
                &csv_cell(i.label.as_deref().unwrap_or("")),
                i.severity.as_str(),
                &csv_cell(&i.reason),
            ])?;
        }
        let bytes = w
            .into_inner()
            .map_err(|e| csv::Error::from(e.into_error()))?;
        // Every cell came from a `&str`, so the buffer is UTF-8.
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    /// A process exit code: 0 ok, 1 failed records, 2 blocked stage(s),
    /// 3 cancelled, 4 run failed (the most serious applies).
    pub fn exit_code(&self) -> i32 {
        match self.status {
            RunStatus::Failed => 4,
            RunStatus::Cancelled => 3,
            _ if self.entities.iter().any(|r| r.blocked.is_some()) => 2,
            _ if self.entities.iter().any(|r| r.failed > 0) => 1,
            _ => 0,
        }
    }
}

fn csv_cell(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_owned()
    }
}
