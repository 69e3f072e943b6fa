//! # sync-core
//!
//! The Phorest → GoHighLevel sync engine: validating entity mappers and the
//! building blocks of a resumable, idempotent sync.
//!
//! - [`entity`]: the kinds of record synced, in stage order.
//! - [`store`]: the host-implemented persistence traits ([`store::MappingStore`],
//!   [`store::CheckpointStore`], [`store::KvStore`]) with an in-memory and an
//!   embedded SQLite implementation (feature `sqlite`, default), and a PostgreSQL one for many
//!   workers sharing a database (feature `postgres`).
//! - [`normalize`]: email and phone (E.164) normalisation.
//! - [`tags`]: owned tags and tag diffs, so the salon's own tags survive.
//! - [`hash`]: content hashes of outgoing payloads for change detection.
//! - [`report`]: the run report (JSON, exit code; table and fix-list CSV with feature
//!   `render`), and [`RunFailure`], the typed reason a run stopped early.
//! - [`observer`]: progress events.
//! - [`mappers`]: pure Phorest record → GHL request mappers.
//! - [`error`]: the error that stops a run ([`Error`]).
//! - [`two_way`]: GHL → Phorest: contact edits made in GHL (verified webhooks) written back to
//!   the mapped Phorest clients, with per-field ownership and no echo.
//!
//! # Example
//!
//! Build a [`SyncPlan`] from the two clients and a store, run it, read the [`SyncReport`]:
//!
//! ```rust,no_run
//! use ghl_client::{Auth, GhlClient, SecretString};
//! use phorest_client::PhorestClient;
//! use sync_core::{CancellationToken, EntityKind, MemoryStore, SyncConfig, SyncPlan};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! // Clients and their loyalty points only; the other stages are not run.
//! let mut config = SyncConfig::default();
//! config.entities = [EntityKind::Client, EntityKind::Loyalty].into_iter().collect();
//!
//! let phorest = PhorestClient::builder()
//!     .business_id("your-business-id")
//!     .credentials("api-user@salon.example", SecretString::from("api-password"))
//!     .build()?;
//! // The token needs the scopes the chosen stages use; preflight checks them before any write.
//! let token = SecretString::from("pit-your-private-integration-token");
//! let ghl = GhlClient::builder()
//!     .location_id("your-location-id")
//!     .auth(Auth::private_token(token, config.required_scopes()))
//!     .build()?;
//!
//! // Mappings and checkpoints live in the host's store: memory here, `SqliteStore` (feature
//! // `sqlite`) or the host's own `Store` for runs that resume.
//! let plan = SyncPlan::builder(config, phorest, ghl)
//!     .store(MemoryStore::new())
//!     .build()?;
//! let report = plan.run(CancellationToken::new()).await;
//! for entity in &report.entities {
//!     println!("{}: {} created, {} updated", entity.entity, entity.created, entity.updated);
//! }
//! if let Some(failure) = &report.failure {
//!     eprintln!("run stopped: {failure}");
//! }
//! std::process::exit(report.exit_code());
//! # }
//! ```
#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod entity;
pub mod error;
pub mod executor;
pub mod hash;
pub mod mappers;
pub mod normalize;
pub mod observer;
mod outcome;
pub mod plan;
pub mod report;
pub mod store;
pub mod tags;
pub mod two_way;

pub use entity::EntityKind;
pub use error::{Error, Result};
pub use executor::{Preflight, StageCheck};
pub use observer::{NoopObserver, OutcomeKind, SyncEvent, SyncObserver};
pub use plan::{SyncConfig, SyncPlan, SyncPlanBuilder};
pub use report::{Outcome, RunFailure, RunStatus, StageStatus, SyncReport, System};
#[cfg(feature = "postgres")]
#[cfg_attr(docsrs, doc(cfg(feature = "postgres")))]
pub use store::PostgresStore;
#[cfg(feature = "sqlite")]
pub use store::SqliteStore;
pub use store::{
    Checkpoint, CheckpointStore, KvStore, Mapping, MappingState, MappingStore, MemoryStore, Store,
    StoreError,
};
/// Cancels a run ([`SyncPlan::run`]); re-exported so hosts need not depend on `tokio-util`.
pub use tokio_util::sync::CancellationToken;
#[cfg(feature = "mock")]
#[cfg_attr(docsrs, doc(cfg(feature = "mock")))]
pub mod sandbox;

// The README's example is compiled as a doctest too.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
