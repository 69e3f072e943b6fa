//! Renderings for people (feature `render`): a terminal table and the fix-list CSV.
//!
//! Hosts that only need the typed report (JSON, counters, [`RunFailure`]) leave the feature off
//! and do not compile the table crate.

use super::{EntityReport, StageStatus, SyncReport};

impl EntityReport {
    /// The Status cell of the table: where the stage stands, with failures and warnings.
    pub fn status_text(&self) -> String {
        let base = match &self.stage {
            StageStatus::NotRun => return "Not run".to_owned(),
            StageStatus::Running => "Running".to_owned(),
            StageStatus::Blocked(reason) => return format!("Blocked: {reason}"),
            StageStatus::Interrupted => "Interrupted".to_owned(),
            StageStatus::Incomplete(reason) => format!("Incomplete: {reason}"),
            StageStatus::Completed if self.failed > 0 => "Partial".to_owned(),
            StageStatus::Completed => "OK".to_owned(),
        };
        let mut extra = Vec::new();
        if self.failed > 0 {
            extra.push(format!("{} failed", self.failed));
        }
        if self.warnings > 0 {
            extra.push(format!("{} warnings", self.warnings));
        }
        if extra.is_empty() {
            base
        } else {
            format!("{base} ({})", extra.join(", "))
        }
    }
}

impl SyncReport {
    /// A terminal table: Entity | Total | Created | Updated | Unchanged | Skipped | Failed |
    /// Status, one row per enabled entity in stage order; then one line per note
    /// (`Appointments: 2 staff have no GHL user…`), and why the run stopped, if it did.
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
        if let Some(failure) = &self.failure {
            out.push_str(&format!("\nRun stopped: {failure}"));
        }
        out
    }

    /// A CSV (RFC 4180) of the records the salon should look at, with the header
    /// `entity,phorest_id,label,severity,reason`: failures, warnings and the skips the salon can
    /// fix in Phorest ([`RecordIssue::actionable`](super::RecordIssue::actionable)); expected
    /// skips (walk-in, merged, archived...) are left out. Label and reason cells that a
    /// spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`) are prefixed with
    /// `'`; Phorest ids are written as they are (they are generated, and may start with `-`).
    pub fn to_fix_csv(&self) -> String {
        let mut out = String::from("entity,phorest_id,label,severity,reason\r\n");
        for i in self.issues.iter().filter(|i| i.actionable) {
            let cells = [
                i.entity.as_str().to_owned(),
                i.phorest_id.clone(),
                formula_safe(i.label.as_deref().unwrap_or("")),
                i.severity.as_str().to_owned(),
                formula_safe(&i.reason),
            ];
            let line: Vec<String> = cells.iter().map(|c| quoted(c)).collect();
            out.push_str(&line.join(","));
            out.push_str("\r\n");
        }
        out
    }
}

fn formula_safe(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_owned()
    }
}

fn quoted(cell: &str) -> String {
    if cell.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", cell.replace('"', "\"\""))
    } else {
        cell.to_owned()
    }
}
