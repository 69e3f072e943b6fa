//! Malformed rows of the sales-transactions CSV are never ignored silently: each becomes a
//! warning on the purchases stage (counted, listed with its line in the fix list), and the
//! readable rows still tag their buyers.
#![cfg(feature = "mock")]

mod common;

use phorest_client::mock::{Hostile, SalonSpec};
use sync_core::report::Severity;
use sync_core::sandbox::{SandboxSetup, Sandboxes};
use sync_core::{EntityKind, MemoryStore, RunStatus, SyncConfig};

use common::run;

#[tokio::test]
async fn malformed_sales_rows_become_counted_warnings_and_the_rest_is_used() {
    let sb = Sandboxes::start(SalonSpec::small(17), SandboxSetup::default()).await;
    sb.phorest
        .set_hostile(Hostile::new(1).malformed_sales_rows(true));
    let mut config = SyncConfig::default();
    config.entities = [EntityKind::Client, EntityKind::Purchase]
        .into_iter()
        .collect();
    let report = run(&sb, &MemoryStore::new(), config).await;
    assert_ne!(report.status, RunStatus::Failed, "{:?}", report.failure);

    let branches = sb.phorest.branch_ids().len() as u64;
    let purchases = report.entity(EntityKind::Purchase).unwrap();
    assert_eq!(purchases.warnings, 2 * branches, "{:?}", report.issues);
    let warnings: Vec<_> = report
        .issues
        .iter()
        .filter(|i| i.entity == EntityKind::Purchase && i.severity == Severity::Warning)
        .collect();
    assert_eq!(warnings.len() as u64, 2 * branches);
    assert!(
        warnings
            .iter()
            .any(|w| w.reason.contains("cells but the header has")),
        "{warnings:?}"
    );
    assert!(
        warnings
            .iter()
            .any(|w| w.reason.contains("column `quantity`: not a number")),
        "{warnings:?}"
    );
    assert!(warnings.iter().all(|w| w.reason.contains("CSV line")));
    let fix = report.to_fix_csv();
    assert!(fix.contains("csv-row-"), "{fix}");
    // The readable rows still tagged their buyers.
    let tagged = sb
        .ghl
        .contacts()
        .iter()
        .filter(|c| {
            c["tags"].as_array().into_iter().flatten().any(|t| {
                t.as_str()
                    .is_some_and(|t| t.to_ascii_lowercase().contains("purchased"))
            })
        })
        .count();
    assert!(tagged > 0, "no purchase tag was set");
}
