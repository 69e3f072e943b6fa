//! The event inbox: verified events are stored before they are applied, in the host's
//! [`KvStore`], so a crash between storing and applying replays them (once) on the next start.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::Mutex;

use super::{InboundEvent, TwoWayOutcome};
use crate::store::{KvStore, StoreError};

/// Key of the ordered list of pending event ids.
pub(crate) const PENDING_KEY: &str = "two_way:pending";
/// Prefix of one stored event's key.
pub(crate) const EVENT_PREFIX: &str = "two_way:event:";

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
#[derive(Debug, Default)]
pub(crate) struct Inbox {
    lock: Mutex<()>,
}

fn corrupt(key: &str, err: &serde_json::Error) -> StoreError {
    StoreError::Corrupt(format!("{key}: {err}"))
}

impl Inbox {
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
        Ok(())
    }
}
