//! Persistence the host provides: Phorest ↔ GHL id mappings, per-stage checkpoints, the
//! shared-identity index, the run lease and a small key-value store.
//!
//! sync-core never assumes a database. It talks to the async traits below, gathered in the
//! [`Store`] supertrait; [`MemoryStore`] (tests, dry runs), `SqliteStore` (feature `sqlite`,
//! the default of the example binary) and `PostgresStore` (feature `postgres`, for many
//! workers and locations sharing one database) implement all of them, and a host can plug its
//! own. Every trait is also implemented for `Arc<T>`, so one store can be shared by
//! several plans. A host store proves itself with the conformance suite in `testing` (feature
//! `test-util`), the very suite the shipped stores pass.
//!
//! The invariants every store keeps (checked by the suite):
//! - one mapping per `(entity, phorest_id)`;
//! - one owner per GHL object: two mappings whose entities own the same
//!   [`GhlObject`] kind never point at one GHL id ([`MappingStore::claim`], and `put` refuses
//!   with [`StoreError::Conflict`]);
//! - `put_many` is atomic;
//! - a lease is held by one holder at a time until it expires or is released.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::entity::{EntityKind, GhlObject};

mod memory;
#[cfg(feature = "postgres")]
#[cfg_attr(docsrs, doc(cfg(feature = "postgres")))]
mod postgres;
#[cfg(feature = "sqlite")]
#[cfg_attr(docsrs, doc(cfg(feature = "sqlite")))]
mod sqlite;
#[cfg(feature = "test-util")]
#[cfg_attr(docsrs, doc(cfg(feature = "test-util")))]
pub mod testing;

pub use memory::MemoryStore;
#[cfg(feature = "postgres")]
#[cfg_attr(docsrs, doc(cfg(feature = "postgres")))]
pub use postgres::{
    POSTGRES_DEFAULT_SCHEMA, POSTGRES_SCHEMA_VERSION, PostgresStore, PostgresStoreBuilder,
};
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
    /// A write would map a GHL object that another Phorest record already owns.
    #[error(
        "GHL {} {ghl_id} already belongs to {} {}",
        object.as_str(), owner.entity, owner.phorest_id
    )]
    Conflict {
        /// The kind of GHL object.
        object: GhlObject,
        /// Its GHL id.
        ghl_id: String,
        /// The mapping that owns it.
        owner: Box<Mapping>,
    },
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
#[non_exhaustive]
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
///
/// Built with [`Mapping::new`]; the fields are public so host stores can fill them from their
/// rows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
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
    /// The fields the sync owns, as last acknowledged by GHL (JSON). Later writes send only
    /// what differs from it, and audits compare GHL with it. `None` for records written before
    /// it was kept, and for ledger entries.
    #[serde(default)]
    pub last_written: Option<serde_json::Value>,
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
            last_written: None,
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

    /// The GHL object this mapping owns, if its entity owns one and it has a GHL id.
    pub fn owned_object(&self) -> Option<(GhlObject, &str)> {
        Some((self.entity.ghl_object()?, self.ghl_id.as_deref()?))
    }
}

/// The answer of [`MappingStore::claim`].
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Claim {
    /// The mapping was stored: the GHL object is this record's.
    Claimed,
    /// Another Phorest record owns the GHL object; nothing was stored.
    Taken {
        /// The owner's mapping.
        owner: Box<Mapping>,
    },
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
    ///
    /// Fails with [`StoreError::Conflict`] when the mapping's GHL object (see
    /// [`Mapping::owned_object`]) belongs to another record.
    async fn put(&self, mapping: &Mapping) -> Result<(), StoreError>;
    /// Inserts or replaces many mappings atomically (one transaction): all or none. Fails with
    /// [`StoreError::Conflict`] like [`put`](Self::put), also between two mappings of the batch.
    async fn put_many(&self, mappings: &[Mapping]) -> Result<(), StoreError>;
    /// Stores `mapping` unless its GHL object belongs to another record, atomically: of two
    /// concurrent claims of one object exactly one is [`Claim::Claimed`].
    async fn claim(&self, mapping: &Mapping) -> Result<Claim, StoreError>;
    /// Removes a mapping; removing a missing one is not an error.
    async fn delete(&self, entity: EntityKind, phorest_id: &str) -> Result<(), StoreError>;
    /// The mapping that owns the GHL object `(object, ghl_id)`, if any.
    async fn owner_of(
        &self,
        object: GhlObject,
        ghl_id: &str,
    ) -> Result<Option<Mapping>, StoreError>;
    /// Up to `limit` mappings of `entity` (in `state`, if given) whose Phorest id sorts after
    /// `after` (from the start when `None`), sorted by Phorest id. Page through all of them by
    /// passing the last id of one call as `after` of the next.
    async fn list(
        &self,
        entity: EntityKind,
        state: Option<MappingState>,
        after: Option<&str>,
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
#[non_exhaustive]
pub struct Checkpoint {
    /// The stage name (usually an [`EntityKind::as_str`], possibly with a branch suffix).
    pub stage: String,
    /// What the checkpoint was made for (e.g. the GHL location and calendar). A run whose
    /// target differs ignores the checkpoint and reads everything again.
    #[serde(default)]
    pub target: Option<String>,
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
    /// An empty checkpoint for `stage` (no target, watermark or cursor), stamped now.
    pub fn new(stage: impl Into<String>) -> Self {
        Checkpoint {
            stage: stage.into(),
            target: None,
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

/// A small key-value store for run-level facts (the GHL location a state belongs to, resolved
/// custom field ids, probe findings).
#[async_trait]
pub trait KvStore: Send + Sync {
    /// The value under `key`, if any.
    async fn get_value(&self, key: &str) -> Result<Option<serde_json::Value>, StoreError>;
    /// Inserts or replaces the value under `key`.
    async fn set_value(&self, key: &str, value: &serde_json::Value) -> Result<(), StoreError>;
    /// Removes the value under `key` (removing a missing key is not an error), so bookkeeping
    /// that expires (the two-way inbox's settled events) does not grow the store for ever.
    ///
    /// The provided implementation writes JSON `null`, which every reader of this crate treats
    /// as absent but which keeps the key; stores should override it to reclaim the space (the
    /// memory, SQLite and PostgreSQL stores do).
    async fn delete_value(&self, key: &str) -> Result<(), StoreError> {
        self.set_value(key, &serde_json::Value::Null).await
    }
}

/// A lease held by one run (see [`LeaseStore`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Lease {
    /// What is leased (e.g. `location:<GHL location id>`).
    pub key: String,
    /// Who holds it (a run id with host and process, for people).
    pub holder: String,
    /// A token unique to this grant: renewing or releasing needs it, so a run whose lease
    /// expired and was taken over cannot renew or release the new holder's lease.
    pub token: String,
    /// When the lease expires unless renewed.
    pub expires_at: DateTime<Utc>,
}

impl Lease {
    /// A lease value (for host stores building one from their rows).
    pub fn new(
        key: impl Into<String>,
        holder: impl Into<String>,
        token: impl Into<String>,
        expires_at: DateTime<Utc>,
    ) -> Self {
        Lease {
            key: key.into(),
            holder: holder.into(),
            token: token.into(),
            expires_at,
        }
    }
}

/// The answer of [`LeaseStore::acquire_lease`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum LeaseGrant {
    /// The lease is yours until `expires_at`; renew it before then.
    Acquired(Lease),
    /// Someone else holds it.
    Held {
        /// The current holder.
        holder: String,
        /// When their lease expires unless renewed.
        expires_at: DateTime<Utc>,
    },
}

/// Exclusive, expiring leases: one sync run per GHL location at a time, crash-safe (a killed
/// run's lease expires because nobody renews it).
#[async_trait]
pub trait LeaseStore: Send + Sync {
    /// Takes the lease `key` for `holder` for `ttl` if nobody holds it or the holder's lease
    /// has expired; atomic across processes sharing the store.
    async fn acquire_lease(
        &self,
        key: &str,
        holder: &str,
        ttl: chrono::Duration,
    ) -> Result<LeaseGrant, StoreError>;
    /// Extends a lease still held with `lease.token` to now + `ttl`. `None` when the lease
    /// was lost (expired and taken, or released).
    async fn renew_lease(
        &self,
        lease: &Lease,
        ttl: chrono::Duration,
    ) -> Result<Option<Lease>, StoreError>;
    /// Gives the lease up (no-op when it is no longer held with `lease.token`).
    async fn release_lease(&self, lease: &Lease) -> Result<(), StoreError>;
}

/// The identifiers (normalised emails and phones) one client claims, for the shared-identity
/// index kept between runs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct IdentityClaims {
    /// The Phorest client id.
    pub owner: String,
    /// Orders claimants of one identifier: the lowest rank keeps it. sync-core uses the
    /// client's creation date and id; stores treat it as an opaque, byte-ordered string.
    pub rank: String,
    /// The identifiers, e.g. `email:ann@example.com`, `phone:+15551234567`.
    pub values: Vec<String>,
}

impl IdentityClaims {
    /// The claims of one client.
    pub fn new(owner: impl Into<String>, rank: impl Into<String>, values: Vec<String>) -> Self {
        IdentityClaims {
            owner: owner.into(),
            rank: rank.into(),
            values,
        }
    }
}

/// The shared-identity index: which clients claim each email and phone. Kept in the store and
/// updated from the records each run reads, so a run never has to read every client to know
/// whether an identifier is shared.
#[async_trait]
pub trait IdentityStore: Send + Sync {
    /// Every claim on any of `values`: one [`IdentityClaims`] per claiming client, holding only
    /// the requested values it claims.
    async fn identity_claims(&self, values: &[String]) -> Result<Vec<IdentityClaims>, StoreError>;
    /// Replaces what each client in `claims` claims (an empty `values` removes its claims),
    /// atomically; returns what each of them claimed before (clients with no previous claims
    /// are absent).
    async fn replace_identity_claims(
        &self,
        claims: &[IdentityClaims],
    ) -> Result<Vec<IdentityClaims>, StoreError>;
}

/// Everything a [`SyncPlan`](crate::SyncPlan) needs from a store. Implemented for every type
/// that implements the parts.
pub trait Store:
    MappingStore + CheckpointStore + KvStore + LeaseStore + IdentityStore + Send + Sync
{
}

impl<T> Store for T where
    T: MappingStore + CheckpointStore + KvStore + LeaseStore + IdentityStore + Send + Sync + ?Sized
{
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
    async fn claim(&self, mapping: &Mapping) -> Result<Claim, StoreError> {
        (**self).claim(mapping).await
    }
    async fn owner_of(
        &self,
        object: GhlObject,
        ghl_id: &str,
    ) -> Result<Option<Mapping>, StoreError> {
        (**self).owner_of(object, ghl_id).await
    }
    async fn list(
        &self,
        entity: EntityKind,
        state: Option<MappingState>,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Mapping>, StoreError> {
        (**self).list(entity, state, after, limit).await
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

#[async_trait]
impl<T: LeaseStore + ?Sized> LeaseStore for Arc<T> {
    async fn acquire_lease(
        &self,
        key: &str,
        holder: &str,
        ttl: chrono::Duration,
    ) -> Result<LeaseGrant, StoreError> {
        (**self).acquire_lease(key, holder, ttl).await
    }
    async fn renew_lease(
        &self,
        lease: &Lease,
        ttl: chrono::Duration,
    ) -> Result<Option<Lease>, StoreError> {
        (**self).renew_lease(lease, ttl).await
    }
    async fn release_lease(&self, lease: &Lease) -> Result<(), StoreError> {
        (**self).release_lease(lease).await
    }
}

#[async_trait]
impl<T: IdentityStore + ?Sized> IdentityStore for Arc<T> {
    async fn identity_claims(&self, values: &[String]) -> Result<Vec<IdentityClaims>, StoreError> {
        (**self).identity_claims(values).await
    }
    async fn replace_identity_claims(
        &self,
        claims: &[IdentityClaims],
    ) -> Result<Vec<IdentityClaims>, StoreError> {
        (**self).replace_identity_claims(claims).await
    }
}

/// Checks that a batch of mappings keeps one owner per GHL object, against each other and
/// against `owner_of` (the current owners, as the store sees them inside its transaction).
/// Shared by the shipped stores; host stores may use it too.
pub fn check_claims(
    batch: &[Mapping],
    mut owner_of: impl FnMut(GhlObject, &str) -> Result<Option<Mapping>, StoreError>,
) -> Result<(), StoreError> {
    let mut seen: HashMap<(GhlObject, &str), &Mapping> = HashMap::new();
    for m in batch {
        let Some((object, ghl_id)) = m.owned_object() else {
            continue;
        };
        if let Some(other) = seen.insert((object, ghl_id), m)
            && (other.entity, &other.phorest_id) != (m.entity, &m.phorest_id)
        {
            return Err(StoreError::Conflict {
                object,
                ghl_id: ghl_id.to_owned(),
                owner: Box::new(other.clone()),
            });
        }
        if let Some(owner) = owner_of(object, ghl_id)?
            && (owner.entity, &owner.phorest_id) != (m.entity, &m.phorest_id)
            // An owner replaced within this batch (moved to another GHL id) frees the object.
            && !batch.iter().any(|b| {
                (b.entity, &b.phorest_id) == (owner.entity, &owner.phorest_id)
                    && b.owned_object() != Some((object, ghl_id))
            })
        {
            return Err(StoreError::Conflict {
                object,
                ghl_id: ghl_id.to_owned(),
                owner: Box::new(owner),
            });
        }
    }
    Ok(())
}
