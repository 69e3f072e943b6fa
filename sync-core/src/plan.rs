//! The sync plan: what to sync, where, and how.
//!
//! A [`SyncPlan`] is built from a [`SyncConfig`], the two API clients and the host's stores. It
//! runs its stages in dependency order (see [`crate::executor`]):
//!
//! 1. staff (and the staff → GHL user map), client categories;
//! 2. clients;
//! 3. loyalty, appointments (with check-ins and group bookings), purchases;
//! 4. products (independent).
//!
//! Nothing here performs I/O until [`SyncPlan::preflight`] or [`SyncPlan::run`] is called.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use ghl_client::{CalendarId, GhlClient, UserId};
use phorest_client::{BranchId, PhorestClient, StaffId};

use crate::entity::EntityKind;
use crate::mappers::MapperOptions;
use crate::observer::{NoopObserver, SyncObserver};
use crate::store::Store;

/// What a sync run does. `Default` syncs every entity of every branch.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SyncConfig {
    /// The entities to sync. Stages whose entity is absent are not run.
    pub entities: BTreeSet<EntityKind>,
    /// Phorest branch ids to sync; `None` means every branch of the business.
    pub branches: Option<Vec<BranchId>>,
    /// The GHL calendar that receives appointments (required for the appointment stage).
    pub calendar_id: Option<CalendarId>,
    /// Build and count every request, write nothing (no GHL writes, no store mutation).
    pub dry_run: bool,
    /// Ignore checkpoints and watermarks: re-read everything (mappings and hashes are kept, so
    /// nothing is written twice and unchanged records cost no GHL write).
    pub full_refresh: bool,
    /// Records processed concurrently within a page (GHL pacing still applies).
    pub concurrency: usize,
    /// How records are mapped: owned tags, loyalty tiers, shared identities, name-only
    /// contacts, archived records, consent → DND.
    pub mapping: MapperOptions,
    /// Explicit staff id → GHL user id assignments, overriding the match by email.
    pub staff_user_overrides: HashMap<StaffId, UserId>,
    /// GHL user that receives appointments whose staff has no GHL user (reported when used).
    pub fallback_user_id: Option<UserId>,
    /// Appointment horizon: days before today.
    pub appointment_days_back: u32,
    /// Appointment horizon: days after today.
    pub appointment_days_ahead: u32,
    /// Incremental runs read appointments changed in the month windows from this many days
    /// before today to the end of the horizon (past appointments rarely change once a few
    /// weeks old); the whole horizon is read again every
    /// [`appointment_full_read_every`](Self::appointment_full_read_every).
    pub appointment_recent_days: u32,
    /// How often an incremental run reads the whole appointment horizon (edits to older
    /// appointments); `None` reads it every run.
    pub appointment_full_read_every: Option<chrono::Duration>,
    /// Synced clients read again by id per run (through Phorest's client batch, 100 per
    /// request), in a rolling cycle over every synced client: a client deleted or archived where
    /// the list filters hide it, or a loyalty balance that changed without moving the client's
    /// `updatedAt`, still reaches GHL within `synced clients / this` runs. Unchanged clients
    /// cost no GHL request; `0` turns the re-check off.
    pub client_recheck_per_run: usize,
    /// Sales transactions horizon for purchase tags on a first run, in days.
    pub purchase_days_back: u32,
    /// Overlap subtracted from a stage's watermark when reading incrementally.
    pub watermark_overlap: chrono::Duration,
    /// Name of the GHL custom field that holds loyalty points (created if missing).
    pub loyalty_field_name: String,
    /// How long the run lease on the GHL location lasts without renewal: a killed run's lease
    /// expires after this, and a run renews it every third of it (see [`SyncPlan::run`]).
    pub lease_ttl: chrono::Duration,
    /// How long a run waits for another run's lease on the same location before giving up
    /// with [`RunFailure::LeaseHeld`](crate::RunFailure::LeaseHeld); `None` gives up at once.
    pub lease_wait: Option<std::time::Duration>,
}

impl Default for SyncConfig {
    fn default() -> Self {
        Self {
            entities: EntityKind::ALL.iter().copied().collect(),
            branches: None,
            calendar_id: None,
            dry_run: false,
            full_refresh: false,
            concurrency: 8,
            mapping: MapperOptions::default(),
            staff_user_overrides: HashMap::new(),
            fallback_user_id: None,
            appointment_days_back: 365,
            appointment_days_ahead: 120,
            appointment_recent_days: 14,
            appointment_full_read_every: Some(chrono::Duration::hours(24)),
            client_recheck_per_run: 200,
            purchase_days_back: 365,
            watermark_overlap: chrono::Duration::minutes(2),
            loyalty_field_name: "Phorest Loyalty Points".to_owned(),
            lease_ttl: chrono::Duration::seconds(60),
            lease_wait: None,
        }
    }
}

impl SyncConfig {
    /// A configuration that syncs only `entities` (other settings default).
    pub fn only(entities: impl IntoIterator<Item = EntityKind>) -> Self {
        Self {
            entities: entities.into_iter().collect(),
            ..Self::default()
        }
    }

    /// Whether `entity` is enabled.
    pub fn enabled(&self, entity: EntityKind) -> bool {
        self.entities.contains(&entity)
    }

    /// Every GHL scope the enabled entities need, deduplicated, in a stable order: ask for
    /// these when installing the app or creating the private integration token.
    pub fn required_scopes(&self) -> Vec<ghl_client::Scope> {
        let mut scopes: Vec<ghl_client::Scope> = Vec::new();
        for entity in &self.entities {
            for scope in crate::executor::required_scopes(*entity) {
                if !scopes.contains(scope) {
                    scopes.push(scope.clone());
                }
            }
        }
        scopes.sort_by(|a, b| a.as_str().cmp(b.as_str()));
        scopes
    }
}

/// A runnable plan: configuration, clients and stores. Cheap to clone.
#[derive(Clone)]
pub struct SyncPlan {
    pub(crate) config: Arc<SyncConfig>,
    pub(crate) phorest: PhorestClient,
    pub(crate) ghl: GhlClient,
    pub(crate) store: Arc<dyn Store>,
    pub(crate) observer: Arc<dyn SyncObserver>,
}

impl std::fmt::Debug for SyncPlan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncPlan")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl SyncPlan {
    /// Start building a plan from a configuration and the two API clients.
    pub fn builder(config: SyncConfig, phorest: PhorestClient, ghl: GhlClient) -> SyncPlanBuilder {
        SyncPlanBuilder {
            config,
            phorest,
            ghl,
            store: None,
            observer: None,
        }
    }

    /// The plan's configuration.
    pub fn config(&self) -> &SyncConfig {
        &self.config
    }
}

/// Builder for [`SyncPlan`].
pub struct SyncPlanBuilder {
    config: SyncConfig,
    phorest: PhorestClient,
    ghl: GhlClient,
    store: Option<Arc<dyn Store>>,
    observer: Option<Arc<dyn SyncObserver>>,
}

impl std::fmt::Debug for SyncPlanBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncPlanBuilder")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl SyncPlanBuilder {
    /// The store that keeps mappings, checkpoints, the identity index and the run lease
    /// (e.g. [`crate::store::MemoryStore`], the SQLite store, or a host's own [`Store`]).
    pub fn store<S>(mut self, store: S) -> Self
    where
        S: Store + 'static,
    {
        self.store = Some(Arc::new(store));
        self
    }

    /// The store, already shared.
    pub fn shared_store(mut self, store: Arc<dyn Store>) -> Self {
        self.store = Some(store);
        self
    }

    /// Receive progress events.
    pub fn observer(mut self, observer: Arc<dyn SyncObserver>) -> Self {
        self.observer = Some(observer);
        self
    }

    /// Finish the plan. Fails when a store is missing or the configuration is inconsistent.
    pub fn build(self) -> Result<SyncPlan, crate::Error> {
        if self.config.concurrency == 0 {
            return Err(crate::Error::Config(
                "concurrency must be at least 1".into(),
            ));
        }
        Ok(SyncPlan {
            store: self
                .store
                .ok_or_else(|| crate::Error::Config("no store configured".into()))?,
            observer: self.observer.unwrap_or_else(|| Arc::new(NoopObserver)),
            config: Arc::new(self.config),
            phorest: self.phorest,
            ghl: self.ghl,
        })
    }
}
