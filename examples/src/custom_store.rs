//! A host-owned store: how an application plugs its own persistence into sync-core.
//!
//! A host implements the store traits of `sync_core::store` (mappings, checkpoints, key-value,
//! leases, the identity index) on its own database and proves the implementation with the
//! conformance suite sync-core exports (`sync_core::store::testing::conformance`, feature
//! `test-util`), the very suite the shipped stores pass.
//!
//! [`LoggingStore`] shows the shape of such an implementation as a decorator: it logs and counts
//! every write through `tracing`, so a host can show how much an incremental run touched, and
//! delegates the storage itself to any [`Store`] (a [`MemoryStore`] by default; a real host would
//! put its database calls there).
//!
//! ```
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! use phorest_ghl_examples::custom_store::LoggingStore;
//! use sync_core::{EntityKind, Mapping, MappingStore};
//!
//! let store = LoggingStore::new("docs");
//! store.put(&Mapping::new(EntityKind::Client, "c1")).await.unwrap();
//! assert_eq!(store.count(EntityKind::Client, None).await.unwrap(), 1);
//! assert_eq!(store.write_count(), 1);
//! # });
//! ```

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use sync_core::entity::GhlObject;
use sync_core::store::{
    Claim, IdentityClaims, IdentityStore, KvStore, Lease, LeaseGrant, LeaseStore, Store,
};
use sync_core::{
    Checkpoint, CheckpointStore, EntityKind, Mapping, MappingState, MappingStore, MemoryStore,
    StoreError,
};

/// A store that logs and counts every write and keeps the data in `S`. Cloning shares the
/// data and the counter.
#[derive(Debug, Clone)]
pub struct LoggingStore<S = MemoryStore> {
    name: Arc<str>,
    inner: S,
    writes: Arc<AtomicU64>,
}

impl LoggingStore<MemoryStore> {
    /// An empty store kept in memory; `name` prefixes its log lines.
    pub fn new(name: impl Into<String>) -> Self {
        Self::wrap(name, MemoryStore::new())
    }
}

impl<S: Store> LoggingStore<S> {
    /// Logs and counts the writes made to `inner`.
    pub fn wrap(name: impl Into<String>, inner: S) -> Self {
        LoggingStore {
            name: Arc::from(name.into()),
            inner,
            writes: Arc::new(AtomicU64::new(0)),
        }
    }

    /// How many write operations the store has served.
    pub fn write_count(&self) -> u64 {
        self.writes.load(Ordering::Relaxed)
    }

    /// Every mapping of every entity (for inspection), ordered by entity then Phorest id.
    pub async fn snapshot(&self) -> Result<Vec<Mapping>, StoreError> {
        let mut all = Vec::new();
        for entity in EntityKind::ALL {
            let mut after: Option<String> = None;
            loop {
                let page = self.inner.list(entity, None, after.as_deref(), 500).await?;
                let Some(last) = page.last() else { break };
                after = Some(last.phorest_id.clone());
                all.extend(page);
            }
        }
        Ok(all)
    }

    fn wrote(&self, op: &str, what: &dyn std::fmt::Display) {
        self.writes.fetch_add(1, Ordering::Relaxed);
        tracing::debug!(store = %self.name, op, %what, "store write");
    }
}

#[async_trait]
impl<S: Store> MappingStore for LoggingStore<S> {
    async fn get(
        &self,
        entity: EntityKind,
        phorest_id: &str,
    ) -> Result<Option<Mapping>, StoreError> {
        self.inner.get(entity, phorest_id).await
    }

    async fn get_many(
        &self,
        entity: EntityKind,
        phorest_ids: &[String],
    ) -> Result<HashMap<String, Mapping>, StoreError> {
        self.inner.get_many(entity, phorest_ids).await
    }

    async fn put(&self, mapping: &Mapping) -> Result<(), StoreError> {
        self.wrote(
            "put",
            &format_args!("{} {}", mapping.entity, mapping.phorest_id),
        );
        self.inner.put(mapping).await
    }

    async fn put_many(&self, mappings: &[Mapping]) -> Result<(), StoreError> {
        self.wrote("put_many", &mappings.len());
        self.inner.put_many(mappings).await
    }

    async fn claim(&self, mapping: &Mapping) -> Result<Claim, StoreError> {
        self.wrote(
            "claim",
            &format_args!("{} {}", mapping.entity, mapping.phorest_id),
        );
        self.inner.claim(mapping).await
    }

    async fn delete(&self, entity: EntityKind, phorest_id: &str) -> Result<(), StoreError> {
        self.wrote("delete", &format_args!("{entity} {phorest_id}"));
        self.inner.delete(entity, phorest_id).await
    }

    async fn owner_of(
        &self,
        object: GhlObject,
        ghl_id: &str,
    ) -> Result<Option<Mapping>, StoreError> {
        self.inner.owner_of(object, ghl_id).await
    }

    async fn list(
        &self,
        entity: EntityKind,
        state: Option<MappingState>,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Mapping>, StoreError> {
        self.inner.list(entity, state, after, limit).await
    }

    async fn count(
        &self,
        entity: EntityKind,
        state: Option<MappingState>,
    ) -> Result<u64, StoreError> {
        self.inner.count(entity, state).await
    }
}

#[async_trait]
impl<S: Store> CheckpointStore for LoggingStore<S> {
    async fn load(&self, stage: &str) -> Result<Option<Checkpoint>, StoreError> {
        self.inner.load(stage).await
    }

    async fn save(&self, checkpoint: &Checkpoint) -> Result<(), StoreError> {
        self.wrote("save", &checkpoint.stage);
        self.inner.save(checkpoint).await
    }

    async fn clear(&self, stage: &str) -> Result<(), StoreError> {
        self.wrote("clear", &stage);
        self.inner.clear(stage).await
    }
}

#[async_trait]
impl<S: Store> KvStore for LoggingStore<S> {
    async fn get_value(&self, key: &str) -> Result<Option<serde_json::Value>, StoreError> {
        self.inner.get_value(key).await
    }

    async fn set_value(&self, key: &str, value: &serde_json::Value) -> Result<(), StoreError> {
        self.wrote("set_value", &key);
        self.inner.set_value(key, value).await
    }

    async fn delete_value(&self, key: &str) -> Result<(), StoreError> {
        self.wrote("delete_value", &key);
        self.inner.delete_value(key).await
    }
}

#[async_trait]
impl<S: Store> LeaseStore for LoggingStore<S> {
    async fn acquire_lease(
        &self,
        key: &str,
        holder: &str,
        ttl: chrono::Duration,
    ) -> Result<LeaseGrant, StoreError> {
        self.wrote("acquire_lease", &key);
        self.inner.acquire_lease(key, holder, ttl).await
    }

    async fn renew_lease(
        &self,
        lease: &Lease,
        ttl: chrono::Duration,
    ) -> Result<Option<Lease>, StoreError> {
        self.inner.renew_lease(lease, ttl).await
    }

    async fn release_lease(&self, lease: &Lease) -> Result<(), StoreError> {
        self.wrote("release_lease", &lease.key);
        self.inner.release_lease(lease).await
    }
}

#[async_trait]
impl<S: Store> IdentityStore for LoggingStore<S> {
    async fn identity_claims(&self, values: &[String]) -> Result<Vec<IdentityClaims>, StoreError> {
        self.inner.identity_claims(values).await
    }

    async fn replace_identity_claims(
        &self,
        claims: &[IdentityClaims],
    ) -> Result<Vec<IdentityClaims>, StoreError> {
        self.wrote("replace_identity_claims", &claims.len());
        self.inner.replace_identity_claims(claims).await
    }
}
