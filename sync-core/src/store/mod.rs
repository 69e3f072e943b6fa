//! Persistence the host provides: Phorest ↔ GHL id mappings, per-stage
//! checkpoints and a small key-value store.
//!
//! sync-core never assumes a database. It talks to these three async traits;
//! [`MemoryStore`] (tests, dry runs) and `SqliteStore` (feature `sqlite`, the
//! default for the example binary) implement all of them, and a host can plug
//! its own (Postgres, Redis, …). Every trait is also implemented for `Arc<T>`,
//! so one store can be shared by several plans.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::entity::EntityKind;

mod memory;
#[cfg(feature = "sqlite")]
#[cfg_attr(docsrs, doc(cfg(feature = "sqlite")))]
mod sqlite;

pub use memory::MemoryStore;
#[cfg(feature = "sqlite")]
#[cfg_attr(docsrs, doc(cfg(feature = "sqlite")))]
pub use sqlite::SqliteStore;

/// A store operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The backend (database, network, file system) reported an error.
    #[error("store backend error: {0}")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync + 'static>),
    /// Stored data could not be decoded (unknown entity or state, bad JSON,
    /// bad timestamp), or the schema is newer than this library understands.
    #[error("stored data is not readable: {0}")]
    Corrupt(String),
    /// The blocking task running the operation panicked or was cancelled.
    #[error("store task did not complete: {0}")]
    Task(String),
}

impl StoreError {
    /// Wraps any backend error (for host implementations).
    pub fn backend(err: impl std::error::Error + Send + Sync + 'static) -> Self {
        StoreError::Backend(Box::new(err))
    }
}

/// Where one Phorest record stands with respect to GHL.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MappingState {
    /// Work is outstanding: a create in flight (intent recorded before the
    /// write), or a ledger item (note, tag) not yet written.
    Pending,
    /// GHL acknowledged the last write.
    Synced,
    /// The last attempt failed; it is retried on the next run.
    Failed,
    /// The record was skipped on purpose (see `last_error` for the reason).
    Skipped,
}

impl MappingState {
    /// Every state.
    pub const ALL: [MappingState; 4] = [
        MappingState::Pending,
        MappingState::Synced,
        MappingState::Failed,
        MappingState::Skipped,
    ];

    /// The stable machine name (`snake_case`).
    pub const fn as_str(self) -> &'static str {
        match self {
            MappingState::Pending => "pending",
            MappingState::Synced => "synced",
            MappingState::Failed => "failed",
            MappingState::Skipped => "skipped",
        }
    }
}

impl fmt::Display for MappingState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for MappingState {
    type Err = StoreError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        MappingState::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown mapping state {s:?}")))
    }
}

/// The link between one Phorest record and the GHL object it was written to.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Mapping {
    /// The kind of record.
    pub entity: EntityKind,
    /// The Phorest id (or a derived ledger key, e.g. an appointment id for a check-in note).
    pub phorest_id: String,
    /// The GHL id; `None` while a create is in flight (intent) or for ledger
    /// items not yet written.
    pub ghl_id: Option<String>,
    /// Where the record stands.
    pub state: MappingState,
    /// [`content_hash`](crate::hash::content_hash) of the payload last acknowledged by GHL.
    pub content_hash: Option<String>,
    /// Tags this sync set on the GHL object last time (for this entity/stage).
    pub owned_tags: Vec<String>,
    /// Failed attempts since the last success.
    pub attempts: u32,
    /// The reason of the last failure or skip (no secrets, no PII beyond ids).
    pub last_error: Option<String>,
    /// When this mapping was last written.
    pub updated_at: DateTime<Utc>,
}

impl Mapping {
    /// A new `Pending` mapping with no GHL id, stamped now.
    pub fn new(entity: EntityKind, phorest_id: impl Into<String>) -> Self {
        Mapping {
            entity,
            phorest_id: phorest_id.into(),
            ghl_id: None,
            state: MappingState::Pending,
            content_hash: None,
            owned_tags: Vec::new(),
            attempts: 0,
            last_error: None,
            updated_at: Utc::now(),
        }
    }

    /// Record that GHL acknowledged the write of `ghl_id`: `Synced`, failure count and last
    /// error cleared, stamped now. The content hash and owned tags are the caller's to set.
    pub fn mark_synced(&mut self, ghl_id: impl Into<String>) {
        self.ghl_id = Some(ghl_id.into());
        self.state = MappingState::Synced;
        self.attempts = 0;
        self.last_error = None;
        self.updated_at = Utc::now();
    }
}

/// Phorest id ↔ GHL id per entity, with what was last sent.
#[async_trait]
pub trait MappingStore: Send + Sync {
    /// The mapping of one record, if any.
    async fn get(
        &self,
        entity: EntityKind,
        phorest_id: &str,
    ) -> Result<Option<Mapping>, StoreError>;
    /// The mappings of many records, keyed by Phorest id (missing ids are absent).
    async fn get_many(
        &self,
        entity: EntityKind,
        phorest_ids: &[String],
    ) -> Result<HashMap<String, Mapping>, StoreError>;
    /// Inserts or replaces the mapping of `(mapping.entity, mapping.phorest_id)`.
    async fn put(&self, mapping: &Mapping) -> Result<(), StoreError>;
    /// Inserts or replaces many mappings atomically (one transaction).
    async fn put_many(&self, mappings: &[Mapping]) -> Result<(), StoreError>;
    /// Removes a mapping; removing a missing one is not an error.
    async fn delete(&self, entity: EntityKind, phorest_id: &str) -> Result<(), StoreError>;
    /// Every mapping of `entity` pointing at `ghl_id`, sorted by Phorest id.
    async fn find_by_ghl_id(
        &self,
        entity: EntityKind,
        ghl_id: &str,
    ) -> Result<Vec<Mapping>, StoreError>;
    /// Up to `limit` mappings of `entity` in `state`, sorted by Phorest id.
    async fn list_by_state(
        &self,
        entity: EntityKind,
        state: MappingState,
        limit: usize,
    ) -> Result<Vec<Mapping>, StoreError>;
    /// How many mappings of `entity` there are (in `state`, if given).
    async fn count(
        &self,
        entity: EntityKind,
        state: Option<MappingState>,
    ) -> Result<u64, StoreError>;
}

/// Where one stage stands between runs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// The stage name (usually an [`EntityKind::as_str`], possibly with a branch suffix).
    pub stage: String,
    /// Lower bound for the next incremental read: the start of the last completed run.
    pub watermark: Option<DateTime<Utc>>,
    /// Start of the run in progress; becomes the watermark when it completes.
    pub run_started_at: Option<DateTime<Utc>>,
    /// Stage-specific resume position (branch, window, page) of the run in progress.
    pub cursor: Option<serde_json::Value>,
    /// The last run of this stage finished.
    pub completed: bool,
    /// When this checkpoint was last written.
    pub updated_at: DateTime<Utc>,
}

impl Checkpoint {
    /// An empty checkpoint for `stage` (no watermark, no cursor), stamped now.
    pub fn new(stage: impl Into<String>) -> Self {
        Checkpoint {
            stage: stage.into(),
            watermark: None,
            run_started_at: None,
            cursor: None,
            completed: false,
            updated_at: Utc::now(),
        }
    }
}

/// Per-stage checkpoints.
#[async_trait]
pub trait CheckpointStore: Send + Sync {
    /// The checkpoint of `stage`, if any.
    async fn load(&self, stage: &str) -> Result<Option<Checkpoint>, StoreError>;
    /// Inserts or replaces the checkpoint of `checkpoint.stage`.
    async fn save(&self, checkpoint: &Checkpoint) -> Result<(), StoreError>;
    /// Removes the checkpoint of `stage` (forces a full read next time).
    async fn clear(&self, stage: &str) -> Result<(), StoreError>;
}

/// A small key-value store for run-level facts (e.g. resolved custom field ids).
#[async_trait]
pub trait KvStore: Send + Sync {
    /// The value under `key`, if any.
    async fn get_value(&self, key: &str) -> Result<Option<serde_json::Value>, StoreError>;
    /// Inserts or replaces the value under `key`.
    async fn set_value(&self, key: &str, value: &serde_json::Value) -> Result<(), StoreError>;
}

#[async_trait]
impl<T: MappingStore + ?Sized> MappingStore for Arc<T> {
    async fn get(
        &self,
        entity: EntityKind,
        phorest_id: &str,
    ) -> Result<Option<Mapping>, StoreError> {
        (**self).get(entity, phorest_id).await
    }
    async fn get_many(
        &self,
        entity: EntityKind,
        phorest_ids: &[String],
    ) -> Result<HashMap<String, Mapping>, StoreError> {
        (**self).get_many(entity, phorest_ids).await
    }
    async fn put(&self, mapping: &Mapping) -> Result<(), StoreError> {
        (**self).put(mapping).await
    }
    async fn put_many(&self, mappings: &[Mapping]) -> Result<(), StoreError> {
        (**self).put_many(mappings).await
    }
    async fn delete(&self, entity: EntityKind, phorest_id: &str) -> Result<(), StoreError> {
        (**self).delete(entity, phorest_id).await
    }
    async fn find_by_ghl_id(
        &self,
        entity: EntityKind,
        ghl_id: &str,
    ) -> Result<Vec<Mapping>, StoreError> {
        (**self).find_by_ghl_id(entity, ghl_id).await
    }
    async fn list_by_state(
        &self,
        entity: EntityKind,
        state: MappingState,
        limit: usize,
    ) -> Result<Vec<Mapping>, StoreError> {
        (**self).list_by_state(entity, state, limit).await
    }
    async fn count(
        &self,
        entity: EntityKind,
        state: Option<MappingState>,
    ) -> Result<u64, StoreError> {
        (**self).count(entity, state).await
    }
}

#[async_trait]
impl<T: CheckpointStore + ?Sized> CheckpointStore for Arc<T> {
    async fn load(&self, stage: &str) -> Result<Option<Checkpoint>, StoreError> {
        (**self).load(stage).await
    }
    async fn save(&self, checkpoint: &Checkpoint) -> Result<(), StoreError> {
        (**self).save(checkpoint).await
    }
    async fn clear(&self, stage: &str) -> Result<(), StoreError> {
        (**self).clear(stage).await
    }
}

#[async_trait]
impl<T: KvStore + ?Sized> KvStore for Arc<T> {
    async fn get_value(&self, key: &str) -> Result<Option<serde_json::Value>, StoreError> {
        (**self).get_value(key).await
    }
    async fn set_value(&self, key: &str, value: &serde_json::Value) -> Result<(), StoreError> {
        (**self).set_value(key, value).await
    }
}
