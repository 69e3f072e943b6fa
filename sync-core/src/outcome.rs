//! Why a run stopped early or could not start: a typed outcome a scheduler can act on.
//!
//! [`SyncReport::failure`](crate::report::SyncReport::failure) holds a [`RunFailure`] whenever a
//! run did not get to the end of its plan. Record-level problems are never run failures: they
//! are skips and failures in the report, and the run goes on.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The system a [`RunFailure`] is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum System {
    /// The Phorest Third-Party API.
    Phorest,
    /// GoHighLevel (LeadConnector) API v2.
    Ghl,
}

impl System {
    /// `Phorest` or `GHL`.
    pub const fn label(self) -> &'static str {
        match self {
            System::Phorest => "Phorest",
            System::Ghl => "GHL",
        }
    }
}

/// Why a run stopped before the end of its plan (or did not start).
///
/// Every variant keeps the checkpoints of what was settled, so running the plan again resumes.
/// [`is_retryable`](Self::is_retryable) tells a scheduler whether to try again by itself,
/// [`resume_after`](Self::resume_after) when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum RunFailure {
    /// The GHL location's daily request budget is spent. GHL does not say when it resets;
    /// `resets_at` is filled when it is known, otherwise plan for up to 24 hours.
    DailyBudgetExhausted {
        /// When the budget is expected back, if known.
        resets_at: Option<DateTime<Utc>>,
    },
    /// GHL rejected the token (after a refresh, for OAuth tokens). A human must replace it.
    TokenInvalid {
        /// GHL's own reason, without the token.
        message: String,
    },
    /// The token lacks scopes that every enabled stage needs (a scope missing for some stages
    /// only blocks those stages, see [`StageStatus::Blocked`](crate::report::StageStatus)).
    ScopeMissing {
        /// The missing scopes, as GHL names them.
        scopes: Vec<String>,
    },
    /// The configuration cannot work.
    ConfigInvalid {
        /// The setting at fault, as [`SyncConfig`](crate::SyncConfig) or the client builders
        /// name it (e.g. `location_id`, `calendar_id`, `branches`).
        field: String,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// One of the two APIs could not be reached (network, DNS, TLS, repeated 5xx) before any
    /// work could be done.
    TargetUnreachable {
        /// Which API.
        system: System,
        /// What failed.
        message: String,
    },
    /// The store failed (disk, database, a corrupt row).
    Store {
        /// The store's error.
        message: String,
    },
    /// The host cancelled the run.
    Cancelled,
    /// Phorest kept failing on a read after the client's retries.
    PhorestUnavailable {
        /// What failed.
        message: String,
    },
    /// Another run holds this GHL location's lease: two runs on one location would duplicate
    /// records, so this one did not start.
    LeaseHeld {
        /// Who holds it.
        holder: String,
        /// When their lease expires unless renewed (a killed run's lease expires by then).
        expires_at: DateTime<Utc>,
    },
    /// This run lost its lease mid-run (it could not renew it in time and another run took
    /// it over); it stopped writing at once.
    LeaseLost,
}

impl RunFailure {
    /// Whether trying again later, unchanged, may succeed. `false` means a human must act
    /// (a token, a scope, the configuration).
    pub fn is_retryable(&self) -> bool {
        match self {
            RunFailure::TokenInvalid { .. }
            | RunFailure::ScopeMissing { .. }
            | RunFailure::ConfigInvalid { .. } => false,
            RunFailure::DailyBudgetExhausted { .. }
            | RunFailure::TargetUnreachable { .. }
            | RunFailure::Store { .. }
            | RunFailure::Cancelled
            | RunFailure::PhorestUnavailable { .. }
            | RunFailure::LeaseHeld { .. }
            | RunFailure::LeaseLost => true,
        }
    }

    /// The earliest time a retry makes sense, when the failure says: the budget reset (24 h
    /// after `now` when GHL did not say), or the expiry of another run's lease.
    pub fn resume_after(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match self {
            RunFailure::DailyBudgetExhausted { resets_at } => {
                Some(resets_at.unwrap_or(now + chrono::Duration::hours(24)))
            }
            RunFailure::LeaseHeld { expires_at, .. } => Some(*expires_at),
            _ => None,
        }
    }

    /// A stable machine name of the variant (`daily_budget_exhausted`, …), as in JSON.
    pub const fn kind(&self) -> &'static str {
        match self {
            RunFailure::DailyBudgetExhausted { .. } => "daily_budget_exhausted",
            RunFailure::TokenInvalid { .. } => "token_invalid",
            RunFailure::ScopeMissing { .. } => "scope_missing",
            RunFailure::ConfigInvalid { .. } => "config_invalid",
            RunFailure::TargetUnreachable { .. } => "target_unreachable",
            RunFailure::Store { .. } => "store",
            RunFailure::Cancelled => "cancelled",
            RunFailure::PhorestUnavailable { .. } => "phorest_unavailable",
            RunFailure::LeaseHeld { .. } => "lease_held",
            RunFailure::LeaseLost => "lease_lost",
        }
    }

    /// A configuration error.
    pub fn config(field: impl Into<String>, message: impl Into<String>) -> Self {
        RunFailure::ConfigInvalid {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for RunFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RunFailure::DailyBudgetExhausted { resets_at } => {
                write!(f, "the GHL location's daily request budget is spent")?;
                match resets_at {
                    Some(t) => write!(f, "; it resets at {}", t.to_rfc3339()),
                    None => write!(f, "; run again after it resets (within 24 hours)"),
                }?;
                write!(f, " — the run resumes where it stopped")
            }
            RunFailure::TokenInvalid { message } => {
                write!(f, "GHL rejected the token: {message}")
            }
            RunFailure::ScopeMissing { scopes } => write!(
                f,
                "the GHL token lacks the scopes {}; re-authorise the app with them",
                scopes.join(", ")
            ),
            RunFailure::ConfigInvalid { field, message } => {
                write!(f, "configuration error in `{field}`: {message}")
            }
            RunFailure::TargetUnreachable { system, message } => {
                write!(f, "{} cannot be reached: {message}", system.label())
            }
            RunFailure::Store { message } => write!(f, "the state store failed: {message}"),
            RunFailure::Cancelled => write!(f, "the run was cancelled; run again to resume"),
            RunFailure::PhorestUnavailable { message } => write!(
                f,
                "Phorest kept failing: {message}; run again to resume from the last checkpoint"
            ),
            RunFailure::LeaseHeld { holder, expires_at } => write!(
                f,
                "another sync run ({holder}) is working on this GHL location; its lease expires \
                 at {} unless renewed",
                expires_at.to_rfc3339()
            ),
            RunFailure::LeaseLost => write!(
                f,
                "this run lost its lease on the GHL location (it could not renew it in time) \
                 and stopped writing; run again to resume"
            ),
        }
    }
}

impl std::error::Error for RunFailure {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retryability_and_resume_times() {
        let now = Utc::now();
        let budget = RunFailure::DailyBudgetExhausted { resets_at: None };
        assert!(budget.is_retryable());
        assert_eq!(
            budget.resume_after(now),
            Some(now + chrono::Duration::hours(24))
        );
        let held = RunFailure::LeaseHeld {
            holder: "run-1".into(),
            expires_at: now,
        };
        assert_eq!(held.resume_after(now), Some(now));
        for human in [
            RunFailure::TokenInvalid {
                message: "Invalid JWT".into(),
            },
            RunFailure::config("calendar_id", "not in this location"),
            RunFailure::ScopeMissing {
                scopes: vec!["contacts.write".into()],
            },
        ] {
            assert!(!human.is_retryable(), "{human}");
            assert_eq!(human.resume_after(now), None);
        }
    }

    #[test]
    fn json_is_tagged_by_kind() {
        let f = RunFailure::config("location_id", "token cannot reach location L1");
        let v = serde_json::to_value(&f).unwrap();
        assert_eq!(v["kind"], "config_invalid");
        assert_eq!(v["kind"], f.kind());
        assert_eq!(v["field"], "location_id");
        let back: RunFailure = serde_json::from_value(v).unwrap();
        assert_eq!(back, f);
        assert_eq!(
            f.to_string(),
            "configuration error in `location_id`: token cannot reach location L1"
        );
    }
}
