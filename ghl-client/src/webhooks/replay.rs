//! Replay protection: where seen webhook ids live ([`ReplayStore`]) and a bounded in-memory
//! store ([`MemoryReplayStore`]).

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::sync::Mutex;

use chrono::{DateTime, Utc};

use super::error::ReplayStoreError;
use crate::ids::WebhookId;

/// What [`ReplayStore::insert_if_absent`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum InsertOutcome {
    /// The id was not recorded (or its record had expired): it is recorded now.
    Inserted,
    /// The id is recorded and not expired: a duplicate.
    AlreadySeen,
}

/// Where the ids of accepted deliveries live, so a replayed delivery is refused.
///
/// One operation, atomic per id: record `webhook_id` until `expires_at` unless a record that
/// has not expired exists. Records past their expiry count as absent and may be dropped at
/// any time. The verifier calls it last, once signature, timestamp and payload are good.
///
/// Implement it over the host's storage (Redis `SET NX PX`, a SQL unique key, …); the crate
/// ships [`MemoryReplayStore`] and, with feature `webhooks-sqlite`,
/// [`SqliteReplayStore`](super::SqliteReplayStore).
#[async_trait::async_trait]
pub trait ReplayStore: Send + Sync {
    /// Records `webhook_id` until `expires_at` if no unexpired record of it exists.
    ///
    /// # Errors
    ///
    /// [`ReplayStoreError`] when the storage fails or is full; the verifier refuses the
    /// delivery ([`WebhookError::ReplayStore`](super::WebhookError::ReplayStore)).
    async fn insert_if_absent(
        &self,
        webhook_id: &WebhookId,
        expires_at: DateTime<Utc>,
    ) -> Result<InsertOutcome, ReplayStoreError>;
}

/// A bounded, expiring, in-memory [`ReplayStore`] for a single process.
///
/// It holds at most `capacity` unexpired ids. When it is full it refuses new ids
/// (fails closed, [`ReplayStoreError`]) rather than forget unexpired ones, which would let
/// their replays through; size it above the deliveries expected within the verifier's
/// tolerance (default capacity 100,000). Ids are dropped as they expire.
pub struct MemoryReplayStore {
    capacity: usize,
    inner: Mutex<Seen>,
}

#[derive(Default)]
struct Seen {
    expiry_of: HashMap<WebhookId, i64>,
    by_expiry: BTreeSet<(i64, WebhookId)>,
}

impl Seen {
    fn purge(&mut self, now_ms: i64) {
        while let Some(first) = self.by_expiry.first() {
            if first.0 > now_ms {
                break;
            }
            if let Some((_, id)) = self.by_expiry.pop_first() {
                self.expiry_of.remove(&id);
            }
        }
    }
}

impl fmt::Debug for MemoryReplayStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryReplayStore")
            .field("capacity", &self.capacity)
            .field("len", &self.len())
            .finish()
    }
}

/// Default capacity of [`MemoryReplayStore::default`].
pub const DEFAULT_REPLAY_CAPACITY: usize = 100_000;

impl Default for MemoryReplayStore {
    fn default() -> Self {
        Self::new(DEFAULT_REPLAY_CAPACITY)
    }
}

impl MemoryReplayStore {
    /// A store holding at most `capacity` unexpired ids (at least 1).
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            inner: Mutex::new(Seen::default()),
        }
    }

    /// How many ids are recorded (expired ones may still be counted until the next insert).
    pub fn len(&self) -> usize {
        self.lock().expiry_of.len()
    }

    /// Whether no id is recorded.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Seen> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn insert_at(
        &self,
        webhook_id: &WebhookId,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<InsertOutcome, ReplayStoreError> {
        let now_ms = now.timestamp_millis();
        let expiry = expires_at.timestamp_millis();
        let mut seen = self.lock();
        seen.purge(now_ms);
        if seen.expiry_of.contains_key(webhook_id) {
            return Ok(InsertOutcome::AlreadySeen);
        }
        if expiry <= now_ms {
            // Already expired: nothing to remember, and nothing was seen.
            return Ok(InsertOutcome::Inserted);
        }
        if seen.expiry_of.len() >= self.capacity {
            return Err(ReplayStoreError::new(format!(
                "memory replay store full ({} unexpired ids)",
                self.capacity
            )));
        }
        seen.expiry_of.insert(webhook_id.clone(), expiry);
        seen.by_expiry.insert((expiry, webhook_id.clone()));
        Ok(InsertOutcome::Inserted)
    }
}

#[async_trait::async_trait]
impl ReplayStore for MemoryReplayStore {
    async fn insert_if_absent(
        &self,
        webhook_id: &WebhookId,
        expires_at: DateTime<Utc>,
    ) -> Result<InsertOutcome, ReplayStoreError> {
        self.insert_at(webhook_id, expires_at, Utc::now())
    }
}

#[async_trait::async_trait]
impl<S: ReplayStore + ?Sized> ReplayStore for std::sync::Arc<S> {
    async fn insert_if_absent(
        &self,
        webhook_id: &WebhookId,
        expires_at: DateTime<Utc>,
    ) -> Result<InsertOutcome, ReplayStoreError> {
        (**self).insert_if_absent(webhook_id, expires_at).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeDelta;

    #[test]
    fn full_store_fails_closed_until_ids_expire() {
        let store = MemoryReplayStore::new(2);
        let now = Utc::now();
        let soon = now + TimeDelta::seconds(10);
        let later = now + TimeDelta::seconds(60);
        let id = |s: &str| WebhookId::from(s);
        assert_eq!(
            store.insert_at(&id("a"), soon, now).unwrap(),
            InsertOutcome::Inserted
        );
        assert_eq!(
            store.insert_at(&id("b"), later, now).unwrap(),
            InsertOutcome::Inserted
        );
        assert!(store.insert_at(&id("c"), later, now).is_err());
        assert_eq!(
            store.insert_at(&id("a"), later, now).unwrap(),
            InsertOutcome::AlreadySeen
        );
        // Eleven seconds on, `a` has expired: room for `c`, and `a` counts as new again.
        let after = now + TimeDelta::seconds(11);
        assert_eq!(
            store.insert_at(&id("c"), later, after).unwrap(),
            InsertOutcome::Inserted
        );
        assert_eq!(store.len(), 2);
        assert!(store.insert_at(&id("a"), later, after).is_err());
        assert_eq!(
            store.insert_at(&id("b"), later, after).unwrap(),
            InsertOutcome::AlreadySeen
        );
    }
}
