//! The event inbox: verified events are stored before they are applied, in the host's
//! [`KvStore`], so a crash between storing and applying replays them (once) on the next start.
//!
//! Settled events are kept for the configured retention
//! ([`TwoWayConfig::event_retention_days`](super::TwoWayConfig::event_retention_days)), then
//! deleted, so a long-running receiver's state does not grow for ever. A redelivery of a
//! pruned webhook id would be stored again, but the verifier refuses deliveries older than its
//! window (5 minutes) long before that, and applying an event twice writes nothing.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::Mutex;

use super::{InboundEvent, TwoWayOutcome};
use crate::store::{KvStore, StoreError};

/// Key of the ordered list of pending event ids.
pub(crate) const PENDING_KEY: &str = "two_way:pending";
/// Prefix of one stored event's key.
pub(crate) const EVENT_PREFIX: &str = "two_way:event:";
/// Key of the settled events' ids with when they settled, oldest first (what pruning reads).
pub(crate) const SETTLED_KEY: &str = "two_way:settled";

/// One settled event in the pruning list.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Settled {
    id: String,
    at: DateTime<Utc>,
}

/// One stored event and where it stands.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct StoredEvent {
    /// The event.
    pub event: InboundEvent,
    /// `None` while pending; what applying it did once applied.
    pub outcome: Option<TwoWayOutcome>,
}

/// The inbox over a [`KvStore`]. One process appends and drains it (the list of pending ids
/// is one value, updated under a lock).
#[derive(Debug)]
pub(crate) struct Inbox {
    lock: Mutex<()>,
    /// How long a settled event is kept.
    retention: chrono::Duration,
}

impl Default for Inbox {
    fn default() -> Self {
        Inbox::new(chrono::Duration::days(7))
    }
}

fn corrupt(key: &str, err: &serde_json::Error) -> StoreError {
    StoreError::Corrupt(format!("{key}: {err}"))
}

impl Inbox {
    /// An inbox that keeps settled events for `retention`.
    pub(crate) fn new(retention: chrono::Duration) -> Self {
        Inbox {
            lock: Mutex::new(()),
            retention,
        }
    }

    async fn settled_list<S: KvStore + ?Sized>(store: &S) -> Result<Vec<Settled>, StoreError> {
        match store.get_value(SETTLED_KEY).await? {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(v) => serde_json::from_value(v).map_err(|e| corrupt(SETTLED_KEY, &e)),
        }
    }

    async fn pending_ids<S: KvStore + ?Sized>(store: &S) -> Result<Vec<String>, StoreError> {
        match store.get_value(PENDING_KEY).await? {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(v) => serde_json::from_value(v).map_err(|e| corrupt(PENDING_KEY, &e)),
        }
    }

    /// Stores `event` and queues it; `false` (nothing stored) when its webhook id is known.
    pub(crate) async fn push<S: KvStore + ?Sized>(
        &self,
        store: &S,
        event: &InboundEvent,
    ) -> Result<bool, StoreError> {
        let _guard = self.lock.lock().await;
        let key = format!("{EVENT_PREFIX}{}", event.webhook_id);
        if store.get_value(&key).await?.is_some() {
            return Ok(false);
        }
        let stored = StoredEvent {
            event: event.clone(),
            outcome: None,
        };
        let value = serde_json::to_value(&stored).map_err(|e| corrupt(&key, &e))?;
        // The event first, then the list: a crash in between leaves an event nobody lists,
        // which a redelivery (same webhook id) does not store twice; the list never names a
        // missing event.
        store.set_value(&key, &value).await?;
        let mut ids = Self::pending_ids(store).await?;
        ids.push(event.webhook_id.clone());
        store
            .set_value(PENDING_KEY, &serde_json::json!(ids))
            .await?;
        Ok(true)
    }

    /// The pending events, oldest first.
    pub(crate) async fn pending<S: KvStore + ?Sized>(
        &self,
        store: &S,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        let ids = {
            let _guard = self.lock.lock().await;
            Self::pending_ids(store).await?
        };
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(stored) = Self::get(store, &id).await? {
                out.push(stored);
            }
        }
        Ok(out)
    }

    /// One stored event.
    pub(crate) async fn get<S: KvStore + ?Sized>(
        store: &S,
        webhook_id: &str,
    ) -> Result<Option<StoredEvent>, StoreError> {
        let key = format!("{EVENT_PREFIX}{webhook_id}");
        match store.get_value(&key).await? {
            None | Some(Value::Null) => Ok(None),
            Some(v) => serde_json::from_value(v)
                .map(Some)
                .map_err(|e| corrupt(&key, &e)),
        }
    }

    /// Records what applying the event did and takes it off the pending list.
    pub(crate) async fn settle<S: KvStore + ?Sized>(
        &self,
        store: &S,
        event: &InboundEvent,
        outcome: &TwoWayOutcome,
    ) -> Result<(), StoreError> {
        let _guard = self.lock.lock().await;
        let key = format!("{EVENT_PREFIX}{}", event.webhook_id);
        let stored = StoredEvent {
            event: event.clone(),
            outcome: Some(outcome.clone()),
        };
        let value = serde_json::to_value(&stored).map_err(|e| corrupt(&key, &e))?;
        store.set_value(&key, &value).await?;
        let mut ids = Self::pending_ids(store).await?;
        ids.retain(|id| id != &event.webhook_id);
        store
            .set_value(PENDING_KEY, &serde_json::json!(ids))
            .await?;

        // Prune what settled longer ago than the retention. A crash part-way leaves ids in the
        // list whose events are gone: deleting them again is harmless.
        let now = Utc::now();
        let mut settled = Self::settled_list(store).await?;
        settled.push(Settled {
            id: event.webhook_id.clone(),
            at: now,
        });
        let (expired, kept): (Vec<Settled>, Vec<Settled>) = settled
            .into_iter()
            .partition(|s| s.at + self.retention <= now);
        for s in &expired {
            store
                .delete_value(&format!("{EVENT_PREFIX}{}", s.id))
                .await?;
        }
        let value = serde_json::to_value(&kept).map_err(|e| corrupt(SETTLED_KEY, &e))?;
        store.set_value(SETTLED_KEY, &value).await?;
        if !expired.is_empty() {
            tracing::debug!(pruned = expired.len(), "settled two-way events pruned");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::MemoryStore;
    use crate::two_way::TwoWayOutcome;

    fn event(id: &str) -> InboundEvent {
        InboundEvent::new(id, "ContactUpdate", Default::default())
    }

    #[tokio::test]
    async fn settled_events_are_pruned_after_the_retention_and_pending_ones_never() {
        let store = MemoryStore::new();
        let keep_a_week = Inbox::default();
        for id in ["w1", "w2", "w3"] {
            assert!(keep_a_week.push(&store, &event(id)).await.unwrap());
        }
        let outcome = TwoWayOutcome::NoChange {
            client_id: "c1".into(),
        };
        keep_a_week
            .settle(&store, &event("w1"), &outcome)
            .await
            .unwrap();
        // Within the retention: kept, and a redelivery is still recognised.
        assert!(Inbox::get(&store, "w1").await.unwrap().is_some());
        assert!(!keep_a_week.push(&store, &event("w1")).await.unwrap());

        // With no retention, settling prunes every settled event, itself included; pending
        // events stay.
        let keep_nothing = Inbox::new(chrono::Duration::zero());
        keep_nothing
            .settle(&store, &event("w2"), &outcome)
            .await
            .unwrap();
        assert!(Inbox::get(&store, "w1").await.unwrap().is_none());
        assert!(Inbox::get(&store, "w2").await.unwrap().is_none());
        assert_eq!(store.get_value("two_way:event:w1").await.unwrap(), None);
        let pending: Vec<String> = keep_nothing
            .pending(&store)
            .await
            .unwrap()
            .into_iter()
            .map(|s| s.event.webhook_id)
            .collect();
        assert_eq!(pending, ["w3"]);
        assert_eq!(
            store.get_value(SETTLED_KEY).await.unwrap(),
            Some(serde_json::json!([]))
        );
    }
}
