//! A host-owned store: how an application plugs its own persistence into sync-core.
//!
//! [`LoggingStore`] keeps mappings and checkpoints in ordered in-memory maps, logs every write
//! through `tracing`, and counts writes so a host can show how much an incremental run touched.
//! It implements [`MappingStore`] and [`CheckpointStore`] completely; a real host would put a
//! database call where the map operations are.
//!
//! ```
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! use phorest_ghl_examples::custom_store::LoggingStore;
//! use sync_core::{EntityKind, Mapping, MappingStore};
//!
//! let store = LoggingStore::new("docs");
//! store.put(&Mapping::new(EntityKind::Client, "c1")).await.unwrap();
//! assert_eq!(store.count(EntityKind::Client, None).await.unwrap(), 1);
//! # });
//! ```

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use sync_core::{
    Checkpoint, CheckpointStore, EntityKind, Mapping, MappingState, MappingStore, StoreError,
};

#[derive(Debug, Default)]
struct Inner {
    /// Mappings per entity, ordered by Phorest id (so listings come out sorted).
    mappings: HashMap<EntityKind, BTreeMap<String, Mapping>>,
    /// Checkpoints by stage name.
    checkpoints: BTreeMap<String, Checkpoint>,
}

/// A mapping and checkpoint store owned by the host: ordered maps behind a mutex, with every
/// write logged and counted. Cloning shares the same data.
#[derive(Debug, Clone)]
pub struct LoggingStore {
    name: Arc<str>,
    inner: Arc<Mutex<Inner>>,
    writes: Arc<AtomicU64>,
}

impl LoggingStore {
    /// An empty store; `name` prefixes its log lines.
    pub fn new(name: impl Into<String>) -> Self {
        LoggingStore {
            name: Arc::from(name.into()),
            inner: Arc::new(Mutex::new(Inner::default())),
            writes: Arc::new(AtomicU64::new(0)),
        }
    }

    /// How many write operations (put, put_many, delete, save, clear) the store has served.
    pub fn write_count(&self) -> u64 {
        self.writes.load(Ordering::Relaxed)
    }

    /// Every mapping of every entity (for inspection), ordered by entity then Phorest id.
    pub fn snapshot(&self) -> Vec<Mapping> {
        let inner = self.lock();
        let mut entities: Vec<_> = inner.mappings.keys().copied().collect();
        entities.sort();
        entities
            .into_iter()
            .flat_map(|e| {
                inner
                    .mappings
                    .get(&e)
                    .map(|m| m.values().cloned().collect::<Vec<_>>())
                    .unwrap_or_default()
            })
            .collect()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave a map half-updated (each operation is a
        // single insert/remove or a loop of them under one guard), so keep going.
        match self.inner.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    fn wrote(&self, what: &str, detail: &str) {
        let n = self.writes.fetch_add(1, Ordering::Relaxed) + 1;
        tracing::debug!(store = %self.name, write = n, "{what} {detail}");
    }
}

#[async_trait]
impl MappingStore for LoggingStore {
    async fn get(
        &self,
        entity: EntityKind,
        phorest_id: &str,
    ) -> Result<Option<Mapping>, StoreError> {
        Ok(self
            .lock()
            .mappings
            .get(&entity)
            .and_then(|m| m.get(phorest_id))
            .cloned())
    }

    async fn get_many(
        &self,
        entity: EntityKind,
        phorest_ids: &[String],
    ) -> Result<HashMap<String, Mapping>, StoreError> {
        let inner = self.lock();
        let Some(map) = inner.mappings.get(&entity) else {
            return Ok(HashMap::new());
        };
        Ok(phorest_ids
            .iter()
            .filter_map(|id| map.get(id).map(|m| (id.clone(), m.clone())))
            .collect())
    }

    async fn put(&self, mapping: &Mapping) -> Result<(), StoreError> {
        self.lock()
            .mappings
            .entry(mapping.entity)
            .or_default()
            .insert(mapping.phorest_id.clone(), mapping.clone());
        self.wrote(
            "put",
            &format!(
                "{}/{} -> {}",
                mapping.entity, mapping.phorest_id, mapping.state
            ),
        );
        Ok(())
    }

    async fn put_many(&self, mappings: &[Mapping]) -> Result<(), StoreError> {
        {
            // One guard for the whole batch: other tasks see all of it or none of it.
            let mut inner = self.lock();
            for mapping in mappings {
                inner
                    .mappings
                    .entry(mapping.entity)
                    .or_default()
                    .insert(mapping.phorest_id.clone(), mapping.clone());
            }
        }
        self.wrote("put_many", &format!("{} mappings", mappings.len()));
        Ok(())
    }

    async fn delete(&self, entity: EntityKind, phorest_id: &str) -> Result<(), StoreError> {
        if let Some(map) = self.lock().mappings.get_mut(&entity) {
            map.remove(phorest_id);
        }
        self.wrote("delete", &format!("{entity}/{phorest_id}"));
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
            .get(&entity)
            .map(|map| {
                map.values()
                    .filter(|m| m.ghl_id.as_deref() == Some(ghl_id))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default())
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
            .get(&entity)
            .map(|map| {
                map.values()
                    .filter(|m| m.state == state)
                    .take(limit)
                    .cloned()
                    .collect()
            })
            .unwrap_or_default())
    }

    async fn count(
        &self,
        entity: EntityKind,
        state: Option<MappingState>,
    ) -> Result<u64, StoreError> {
        let inner = self.lock();
        let n = inner.mappings.get(&entity).map_or(0, |map| {
            map.values()
                .filter(|m| state.is_none_or(|s| m.state == s))
                .count()
        });
        Ok(u64::try_from(n).unwrap_or(u64::MAX))
    }
}

#[async_trait]
impl CheckpointStore for LoggingStore {
    async fn load(&self, stage: &str) -> Result<Option<Checkpoint>, StoreError> {
        Ok(self.lock().checkpoints.get(stage).cloned())
    }

    async fn save(&self, checkpoint: &Checkpoint) -> Result<(), StoreError> {
        self.lock()
            .checkpoints
            .insert(checkpoint.stage.clone(), checkpoint.clone());
        self.wrote(
            "save checkpoint",
            &format!("{} (completed: {})", checkpoint.stage, checkpoint.completed),
        );
        Ok(())
    }

    async fn clear(&self, stage: &str) -> Result<(), StoreError> {
        self.lock().checkpoints.remove(stage);
        self.wrote("clear checkpoint", stage);
        Ok(())
    }
}
