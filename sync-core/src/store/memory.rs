//! An in-memory store for tests, dry runs and short-lived hosts.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::Bound;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;
use chrono::Utc;

use super::{
    Checkpoint, CheckpointStore, Claim, IdentityClaims, IdentityStore, KvStore, Lease, LeaseGrant,
    LeaseStore, Mapping, MappingState, MappingStore, StoreError, check_claims,
};
use crate::entity::{EntityKind, GhlObject};

#[derive(Debug, Default)]
struct Inner {
    mappings: BTreeMap<(EntityKind, String), Mapping>,
    /// Who owns each GHL object (one owner per object).
    owners: HashMap<(GhlObject, String), (EntityKind, String)>,
    checkpoints: HashMap<String, Checkpoint>,
    kv: HashMap<String, serde_json::Value>,
    leases: HashMap<String, Lease>,
    identities: HashMap<String, IdentityClaims>,
    claimants: HashMap<String, BTreeSet<String>>,
}

impl Inner {
    fn owner_of(&self, object: GhlObject, ghl_id: &str) -> Option<Mapping> {
        self.owners
            .get(&(object, ghl_id.to_owned()))
            .and_then(|key| self.mappings.get(key))
            .cloned()
    }

    fn insert(&mut self, m: &Mapping) {
        let key = (m.entity, m.phorest_id.clone());
        if let Some(old) = self.mappings.insert(key.clone(), m.clone())
            && let Some((object, ghl_id)) = old.owned_object()
        {
            let owned = (object, ghl_id.to_owned());
            if self.owners.get(&owned) == Some(&key) {
                self.owners.remove(&owned);
            }
        }
        if let Some((object, ghl_id)) = m.owned_object() {
            self.owners.insert((object, ghl_id.to_owned()), key);
        }
    }

    fn remove(&mut self, entity: EntityKind, phorest_id: &str) {
        let key = (entity, phorest_id.to_owned());
        if let Some(old) = self.mappings.remove(&key)
            && let Some((object, ghl_id)) = old.owned_object()
        {
            let owned = (object, ghl_id.to_owned());
            if self.owners.get(&owned) == Some(&key) {
                self.owners.remove(&owned);
            }
        }
    }

    fn put_checked(&mut self, batch: &[Mapping]) -> Result<(), StoreError> {
        check_claims(batch, |object, ghl_id| Ok(self.owner_of(object, ghl_id)))?;
        for m in batch {
            self.insert(m);
        }
        Ok(())
    }
}

/// Every store trait ([`MappingStore`], [`CheckpointStore`], [`KvStore`], [`LeaseStore`],
/// [`IdentityStore`]) kept in memory.
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
        self.lock().put_checked(std::slice::from_ref(mapping))
    }

    async fn put_many(&self, mappings: &[Mapping]) -> Result<(), StoreError> {
        self.lock().put_checked(mappings)
    }

    async fn claim(&self, mapping: &Mapping) -> Result<Claim, StoreError> {
        match self.lock().put_checked(std::slice::from_ref(mapping)) {
            Ok(()) => Ok(Claim::Claimed),
            Err(StoreError::Conflict { owner, .. }) => Ok(Claim::Taken { owner }),
            Err(other) => Err(other),
        }
    }

    async fn delete(&self, entity: EntityKind, phorest_id: &str) -> Result<(), StoreError> {
        self.lock().remove(entity, phorest_id);
        Ok(())
    }

    async fn owner_of(
        &self,
        object: GhlObject,
        ghl_id: &str,
    ) -> Result<Option<Mapping>, StoreError> {
        Ok(self.lock().owner_of(object, ghl_id))
    }

    async fn list(
        &self,
        entity: EntityKind,
        state: Option<MappingState>,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Mapping>, StoreError> {
        let start = match after {
            Some(id) => Bound::Excluded((entity, id.to_owned())),
            None => Bound::Included((entity, String::new())),
        };
        Ok(self
            .lock()
            .mappings
            .range((start, Bound::Unbounded))
            .map(|(_, m)| m)
            .take_while(|m| m.entity == entity)
            .filter(|m| state.is_none_or(|s| m.state == s))
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

    async fn delete_value(&self, key: &str) -> Result<(), StoreError> {
        self.lock().kv.remove(key);
        Ok(())
    }
}

#[async_trait]
impl LeaseStore for MemoryStore {
    async fn acquire_lease(
        &self,
        key: &str,
        holder: &str,
        ttl: chrono::Duration,
    ) -> Result<LeaseGrant, StoreError> {
        let now = Utc::now();
        let mut inner = self.lock();
        if let Some(current) = inner.leases.get(key)
            && current.expires_at > now
        {
            return Ok(LeaseGrant::Held {
                holder: current.holder.clone(),
                expires_at: current.expires_at,
            });
        }
        let lease = Lease::new(key, holder, uuid::Uuid::new_v4().to_string(), now + ttl);
        inner.leases.insert(key.to_owned(), lease.clone());
        Ok(LeaseGrant::Acquired(lease))
    }

    async fn renew_lease(
        &self,
        lease: &Lease,
        ttl: chrono::Duration,
    ) -> Result<Option<Lease>, StoreError> {
        let now = Utc::now();
        let mut inner = self.lock();
        match inner.leases.get_mut(&lease.key) {
            Some(current) if current.token == lease.token && current.expires_at > now => {
                current.expires_at = now + ttl;
                Ok(Some(current.clone()))
            }
            _ => Ok(None),
        }
    }

    async fn release_lease(&self, lease: &Lease) -> Result<(), StoreError> {
        let mut inner = self.lock();
        if inner
            .leases
            .get(&lease.key)
            .is_some_and(|current| current.token == lease.token)
        {
            inner.leases.remove(&lease.key);
        }
        Ok(())
    }
}

#[async_trait]
impl IdentityStore for MemoryStore {
    async fn identity_claims(&self, values: &[String]) -> Result<Vec<IdentityClaims>, StoreError> {
        let inner = self.lock();
        let mut by_owner: BTreeMap<&str, IdentityClaims> = BTreeMap::new();
        for value in values {
            for owner in inner.claimants.get(value).into_iter().flatten() {
                let Some(claims) = inner.identities.get(owner) else {
                    continue;
                };
                let entry = by_owner.entry(owner.as_str()).or_insert_with(|| {
                    IdentityClaims::new(owner.clone(), claims.rank.clone(), Vec::new())
                });
                if !entry.values.contains(value) {
                    entry.values.push(value.clone());
                }
            }
        }
        Ok(by_owner.into_values().collect())
    }

    async fn replace_identity_claims(
        &self,
        claims: &[IdentityClaims],
    ) -> Result<Vec<IdentityClaims>, StoreError> {
        let mut inner = self.lock();
        let mut previous = Vec::new();
        for new in claims {
            if let Some(old) = inner.identities.remove(&new.owner) {
                for value in &old.values {
                    if let Some(set) = inner.claimants.get_mut(value) {
                        set.remove(&new.owner);
                        if set.is_empty() {
                            inner.claimants.remove(value);
                        }
                    }
                }
                previous.push(old);
            }
            if new.values.is_empty() {
                continue;
            }
            let mut values = new.values.clone();
            values.sort();
            values.dedup();
            for value in &values {
                inner
                    .claimants
                    .entry(value.clone())
                    .or_default()
                    .insert(new.owner.clone());
            }
            inner.identities.insert(
                new.owner.clone(),
                IdentityClaims::new(new.owner.clone(), new.rank.clone(), values),
            );
        }
        Ok(previous)
    }
}
