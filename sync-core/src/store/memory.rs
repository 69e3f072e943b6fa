//! An in-memory store for tests, dry runs and short-lived hosts.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;

use super::{
    Checkpoint, CheckpointStore, KvStore, Mapping, MappingState, MappingStore, StoreError,
};
use crate::entity::EntityKind;

#[derive(Debug, Default)]
struct Inner {
    mappings: BTreeMap<(EntityKind, String), Mapping>,
    checkpoints: HashMap<String, Checkpoint>,
    kv: HashMap<String, serde_json::Value>,
}

/// A [`MappingStore`], [`CheckpointStore`] and [`KvStore`] kept in memory.
///
/// Clones share the same data. Nothing survives the process: use
/// `SqliteStore` (feature `sqlite`) or your own store for resumable runs.
///
/// ```
/// use sync_core::entity::EntityKind;
/// use sync_core::store::{Mapping, MappingStore, MemoryStore};
/// # tokio_test_block_on(async {
/// let store = MemoryStore::new();
/// store.put(&Mapping::new(EntityKind::Client, "c1")).await?;
/// assert!(store.get(EntityKind::Client, "c1").await?.is_some());
/// # Ok::<(), sync_core::store::StoreError>(())
/// # });
/// # fn tokio_test_block_on<F: std::future::Future>(f: F) -> F::Output {
/// #     tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(f)
/// # }
/// ```
#[derive(Clone, Debug, Default)]
pub struct MemoryStore {
    inner: Arc<Mutex<Inner>>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave a half-written entry
        // (every operation is a single map call), so the data stays usable.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[async_trait]
impl MappingStore for MemoryStore {
    async fn get(
        &self,
        entity: EntityKind,
        phorest_id: &str,
    ) -> Result<Option<Mapping>, StoreError> {
        Ok(self
            .lock()
            .mappings
            .get(&(entity, phorest_id.to_owned()))
            .cloned())
    }

    async fn get_many(
        &self,
        entity: EntityKind,
        phorest_ids: &[String],
    ) -> Result<HashMap<String, Mapping>, StoreError> {
        let inner = self.lock();
        Ok(phorest_ids
            .iter()
            .filter_map(|id| {
                inner
                    .mappings
                    .get(&(entity, id.clone()))
                    .map(|m| (id.clone(), m.clone()))
            })
            .collect())
    }

    async fn put(&self, mapping: &Mapping) -> Result<(), StoreError> {
        self.lock().mappings.insert(
            (mapping.entity, mapping.phorest_id.clone()),
            mapping.clone(),
        );
        Ok(())
    }

    async fn put_many(&self, mappings: &[Mapping]) -> Result<(), StoreError> {
        let mut inner = self.lock();
        for m in mappings {
            inner
                .mappings
                .insert((m.entity, m.phorest_id.clone()), m.clone());
        }
        Ok(())
    }

    async fn delete(&self, entity: EntityKind, phorest_id: &str) -> Result<(), StoreError> {
        self.lock()
            .mappings
            .remove(&(entity, phorest_id.to_owned()));
        Ok(())
    }

    async fn find_by_ghl_id(
        &self,
        entity: EntityKind,
        ghl_id: &str,
    ) -> Result<Vec<Mapping>, StoreError> {
        Ok(self
            .lock()
            .mappings
            .values()
            .filter(|m| m.entity == entity && m.ghl_id.as_deref() == Some(ghl_id))
            .cloned()
            .collect())
    }

    async fn list_by_state(
        &self,
        entity: EntityKind,
        state: MappingState,
        limit: usize,
    ) -> Result<Vec<Mapping>, StoreError> {
        Ok(self
            .lock()
            .mappings
            .values()
            .filter(|m| m.entity == entity && m.state == state)
            .take(limit)
            .cloned()
            .collect())
    }

    async fn count(
        &self,
        entity: EntityKind,
        state: Option<MappingState>,
    ) -> Result<u64, StoreError> {
        let n = self
            .lock()
            .mappings
            .values()
            .filter(|m| m.entity == entity && state.is_none_or(|s| m.state == s))
            .count();
        Ok(u64::try_from(n).unwrap_or(u64::MAX))
    }
}

#[async_trait]
impl CheckpointStore for MemoryStore {
    async fn load(&self, stage: &str) -> Result<Option<Checkpoint>, StoreError> {
        Ok(self.lock().checkpoints.get(stage).cloned())
    }

    async fn save(&self, checkpoint: &Checkpoint) -> Result<(), StoreError> {
        self.lock()
            .checkpoints
            .insert(checkpoint.stage.clone(), checkpoint.clone());
        Ok(())
    }

    async fn clear(&self, stage: &str) -> Result<(), StoreError> {
        self.lock().checkpoints.remove(stage);
        Ok(())
    }
}

#[async_trait]
impl KvStore for MemoryStore {
    async fn get_value(&self, key: &str) -> Result<Option<serde_json::Value>, StoreError> {
        Ok(self.lock().kv.get(key).cloned())
    }

    async fn set_value(&self, key: &str, value: &serde_json::Value) -> Result<(), StoreError> {
        self.lock().kv.insert(key.to_owned(), value.clone());
        Ok(())
    }
}
