//! Helpers shared by the end-to-end test files.
#![allow(dead_code)]

use sync_core::sandbox::Sandboxes;
use sync_core::{MemoryStore, SyncConfig, SyncReport};
use tokio_util::sync::CancellationToken;

/// Runs `config` against the sandboxes with `store`, checking the report's invariants.
pub async fn run(sb: &Sandboxes, store: &MemoryStore, config: SyncConfig) -> SyncReport {
    let plan = sb
        .plan_builder(config)
        .store(store.clone())
        .build()
        .unwrap();
    let report = plan.run(CancellationToken::new()).await;
    report.check_invariants().unwrap();
    report
}
