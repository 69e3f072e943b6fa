//! Progress events for hosts (progress bars, logs, metrics).

use serde::{Deserialize, Serialize};

use crate::entity::EntityKind;
use crate::report::Outcome;

/// What happened to one record, without the reason text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeKind {
    /// A GHL object was created.
    Created,
    /// A GHL object was updated.
    Updated,
    /// Nothing changed since the last run; no request was made.
    Unchanged,
    /// Skipped on purpose (see the report for the reason).
    Skipped,
    /// Failed (see the report for the error).
    Failed,
}

impl From<&Outcome> for OutcomeKind {
    fn from(outcome: &Outcome) -> Self {
        match outcome {
            Outcome::Created => OutcomeKind::Created,
            Outcome::Updated => OutcomeKind::Updated,
            Outcome::Unchanged => OutcomeKind::Unchanged,
            Outcome::Skipped { .. } => OutcomeKind::Skipped,
            Outcome::Failed(_) => OutcomeKind::Failed,
        }
    }
}

/// A progress event of a running plan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
#[non_exhaustive]
pub enum SyncEvent {
    /// A stage began.
    StageStarted {
        /// The stage's entity.
        entity: EntityKind,
        /// How many records the stage expects, if known.
        total_hint: Option<u64>,
    },
    /// One record was processed.
    RecordProcessed {
        /// The stage's entity.
        entity: EntityKind,
        /// What happened to it.
        outcome: OutcomeKind,
    },
    /// One Phorest page was fully accounted for (and checkpointed).
    PageDone {
        /// The stage's entity.
        entity: EntityKind,
        /// The page number (0-based, Phorest style).
        page: u32,
        /// The number of pages, if known.
        total_pages: Option<u32>,
    },
    /// A stage finished.
    StageFinished {
        /// The stage's entity.
        entity: EntityKind,
    },
    /// A stage could not run (missing scope, calendar, setting).
    StageBlocked {
        /// The stage's entity.
        entity: EntityKind,
        /// What is missing and how to fix it.
        reason: String,
    },
    /// Something the operator should know that is not tied to one record.
    Warning {
        /// The message (never contains secrets).
        message: String,
    },
}

/// Receives progress events. Called synchronously on the executor's task:
/// keep it cheap (update a counter or a progress bar, send on a channel).
///
/// Any `Fn(&SyncEvent) + Send + Sync` closure is an observer:
///
/// ```
/// use std::sync::atomic::{AtomicU64, Ordering};
/// use sync_core::observer::{SyncEvent, SyncObserver};
/// let seen = AtomicU64::new(0);
/// let observer = |_: &SyncEvent| { seen.fetch_add(1, Ordering::Relaxed); };
/// observer.on_event(&SyncEvent::Warning { message: "hello".into() });
/// assert_eq!(seen.load(Ordering::Relaxed), 1);
/// ```
pub trait SyncObserver: Send + Sync {
    /// Called once per event.
    fn on_event(&self, event: &SyncEvent);
}

/// An observer that ignores every event.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoopObserver;

impl SyncObserver for NoopObserver {
    fn on_event(&self, _event: &SyncEvent) {}
}

impl<F: Fn(&SyncEvent) + Send + Sync> SyncObserver for F {
    fn on_event(&self, event: &SyncEvent) {
        self(event)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[test]
    fn closures_and_noop_observe() {
        let log = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&log);
        let obs: Box<dyn SyncObserver> =
            Box::new(move |e: &SyncEvent| sink.lock().unwrap().push(e.clone()));
        let ev = SyncEvent::RecordProcessed {
            entity: EntityKind::Client,
            outcome: OutcomeKind::from(&Outcome::skipped_expected("x")),
        };
        obs.on_event(&ev);
        NoopObserver.on_event(&ev);
        assert_eq!(*log.lock().unwrap(), vec![ev.clone()]);
        assert_eq!(
            serde_json::to_value(&ev).unwrap(),
            serde_json::json!({"event": "record_processed", "entity": "client", "outcome": "skipped"})
        );
    }
}
