//! End-to-end: whole plans against both sandboxes. Assertions are on the GHL sandbox's stored
//! state and request counts, not only on the report.
#![cfg(feature = "mock")]

mod common;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use ghl_client::Scope;
use ghl_client::mock::Faults;
use phorest_client::mock::SalonSpec;
use serde_json::Value;
use sync_core::sandbox::{ALL_SCOPES, SandboxSetup, Sandboxes};
use sync_core::{EntityKind, MemoryStore, RunStatus, SyncConfig, SyncEvent, SyncReport};
use tokio_util::sync::CancellationToken;

use common::run;

fn tag_values(contacts: &[Value], prefix: &str) -> Vec<String> {
    contacts
        .iter()
        .flat_map(|c| c["tags"].as_array().cloned().unwrap_or_default())
        .filter_map(|t| t.as_str().map(str::to_owned))
        .filter(|t| t.starts_with(prefix))
        .collect()
}

/// Every synced client is in GHL exactly once (one contact per `phorest-client-id:` tag).
fn assert_no_duplicate_clients(sb: &Sandboxes) -> usize {
    let contacts = sb.ghl.contacts();
    let ids = tag_values(&contacts, "phorest-client-id:");
    let unique: HashSet<&String> = ids.iter().collect();
    assert_eq!(ids.len(), unique.len(), "a client has two GHL contacts");
    ids.len()
}

fn created(report: &SyncReport, e: EntityKind) -> u64 {
    report.entity(e).map_or(0, |r| r.created)
}

#[tokio::test]
async fn first_sync_then_rerun_writes_nothing_then_only_changes() {
    let sb = Sandboxes::start(SalonSpec::small(11), SandboxSetup::default()).await;
    let store = MemoryStore::new();

    let first = run(&sb, &store, SyncConfig::default()).await;
    assert_eq!(first.status, RunStatus::Completed, "{}", first.to_table());
    let clients = first.entity(EntityKind::Client).unwrap();
    assert!(clients.created > 0);
    assert_eq!(clients.failed, 0, "{:?}", first.issues);
    let in_ghl = assert_no_duplicate_clients(&sb);
    assert_eq!(in_ghl as u64, clients.created + clients.updated);
    // Staff contacts carry the staff tags.
    let staff_tags = tag_values(&sb.ghl.contacts(), "phorest-staff-id:");
    assert_eq!(staff_tags.len() as u64, created(&first, EntityKind::Staff));
    // Appointments landed in the calendar, each exactly once.
    let appointments = sb.ghl.appointments();
    assert_eq!(
        appointments.len() as u64,
        created(&first, EntityKind::Appointment)
    );
    let markers: HashSet<String> = appointments
        .iter()
        .filter_map(|a| a["description"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(markers.len(), appointments.len());
    // Products with their price.
    let products = sb.ghl.products();
    assert_eq!(products.len() as u64, created(&first, EntityKind::Product));
    // Every skipped record has a reason.
    assert!(first.issues.iter().all(|i| !i.reason.is_empty()));

    // Rerun with no Phorest change: zero GHL writes.
    sb.ghl.reset_counters();
    let second = run(&sb, &store, SyncConfig::default()).await;
    assert_eq!(sb.ghl.write_count(), 0, "{}", second.to_table());
    assert_eq!(second.status, RunStatus::Completed);

    // One client changes: only that client is written.
    let client = sb
        .phorest
        .salon()
        .clients()
        .iter()
        .find(|c| !c.deleted && !c.archived && c.email.as_deref().is_some_and(|e| e.contains('@')))
        .map(|c| c.client_id.clone())
        .unwrap();
    sb.phorest
        .update_client(&client, |c| c.first_name = "Renamed".into());
    sb.ghl.reset_counters();
    let third = run(&sb, &store, SyncConfig::only([EntityKind::Client])).await;
    let c = third.entity(EntityKind::Client).unwrap();
    assert_eq!(c.updated, 1, "{}", third.to_table());
    assert_eq!(c.created, 0);
    assert!(
        sb.ghl.write_count() <= 2,
        "writes: {}",
        sb.ghl.write_count()
    );
    let renamed = sb
        .ghl
        .contacts()
        .into_iter()
        .filter(|c| c["firstName"] == "Renamed")
        .count();
    assert_eq!(renamed, 1);
}

#[tokio::test]
async fn missing_products_scope_blocks_only_products_without_sending_them() {
    let scopes: Vec<Scope> = ALL_SCOPES
        .iter()
        .filter(|s| !matches!(s, Scope::ProductsWrite))
        .cloned()
        .collect();
    let sb = Sandboxes::start(
        SalonSpec::small(3),
        SandboxSetup {
            scopes,
            ..SandboxSetup::default()
        },
    )
    .await;
    let store = MemoryStore::new();
    let report = run(&sb, &store, SyncConfig::default()).await;
    let products = report.entity(EntityKind::Product).unwrap();
    let reason = products.blocked().unwrap().to_owned();
    assert!(reason.contains("products.write"), "{reason}");
    assert_eq!(products.total, 0);
    assert_eq!(sb.ghl.count("POST", "/products"), 0);
    assert_eq!(report.exit_code(), 2);
    // The other stages still ran.
    assert!(created(&report, EntityKind::Client) > 0);
    assert!(created(&report, EntityKind::Appointment) > 0);
}

#[tokio::test]
async fn cancelled_run_resumes_without_duplicates() {
    let sb = Sandboxes::start(SalonSpec::small(5), SandboxSetup::default()).await;
    let store = MemoryStore::new();
    let cancel = CancellationToken::new();
    let stopper = cancel.clone();
    let processed = Arc::new(AtomicUsize::new(0));
    // Cancel after a few clients have been processed (mid-stage).
    let observer = move |event: &SyncEvent| {
        if let SyncEvent::RecordProcessed {
            entity: EntityKind::Client,
            ..
        } = event
            && processed.fetch_add(1, Ordering::SeqCst) == 10
        {
            stopper.cancel();
        }
    };
    let plan = sb
        .plan_builder(SyncConfig::default())
        .store(store.clone())
        .observer(Arc::new(observer))
        .build()
        .unwrap();
    let partial = plan.run(cancel).await;
    partial.check_invariants().unwrap();
    assert_eq!(
        partial.status,
        RunStatus::Cancelled,
        "{}",
        partial.to_table()
    );

    let resumed = run(&sb, &store, SyncConfig::default()).await;
    assert_eq!(
        resumed.status,
        RunStatus::Completed,
        "{}",
        resumed.to_table()
    );
    assert_no_duplicate_clients(&sb);
    // Everything present: a fresh full sync into a new location gives the same client count.
    let fresh = Sandboxes::start(SalonSpec::small(5), SandboxSetup::default()).await;
    run(&fresh, &MemoryStore::new(), SyncConfig::default()).await;
    assert_eq!(
        assert_no_duplicate_clients(&sb),
        assert_no_duplicate_clients(&fresh)
    );
    assert_eq!(sb.ghl.appointments().len(), fresh.ghl.appointments().len());
}

#[tokio::test]
async fn faults_lose_nothing_after_a_rerun() {
    let sb = Sandboxes::start(SalonSpec::small(8), SandboxSetup::default()).await;
    sb.ghl.set_faults(Faults {
        server_error_rate: 0.05,
        rate_limit_storm: 20,
        seed: 8,
        ..Faults::default()
    });
    let store = MemoryStore::new();
    let first = run(&sb, &store, SyncConfig::default()).await;
    sb.ghl.set_faults(Faults::default());
    let second = run(&sb, &store, SyncConfig::default()).await;
    let failed: u64 = second.entities.iter().map(|e| e.failed).sum();
    assert_eq!(failed, 0, "{}\n{}", first.to_table(), second.to_table());
    assert!(second.entities.iter().all(|e| e.blocked().is_none()));
    assert_no_duplicate_clients(&sb);

    let fresh = Sandboxes::start(SalonSpec::small(8), SandboxSetup::default()).await;
    run(&fresh, &MemoryStore::new(), SyncConfig::default()).await;
    assert_eq!(
        assert_no_duplicate_clients(&sb),
        assert_no_duplicate_clients(&fresh),
        "first run:\n{}",
        first.to_table()
    );
    let by_desc = |s: &Sandboxes| -> HashMap<String, usize> {
        let mut m = HashMap::new();
        for a in s.ghl.appointments() {
            *m.entry(a["description"].as_str().unwrap_or("").to_owned())
                .or_default() += 1;
        }
        m
    };
    assert_eq!(by_desc(&sb), by_desc(&fresh));
    assert_eq!(sb.ghl.products().len(), fresh.ghl.products().len());
    let notes = |s: &Sandboxes| -> usize {
        s.ghl
            .contacts()
            .iter()
            .map(|c| s.ghl.notes(c["id"].as_str().unwrap_or("")).len())
            .sum()
    };
    assert_eq!(notes(&sb), notes(&fresh), "check-in/booking notes differ");
}

#[tokio::test]
async fn dry_run_writes_nothing_and_stores_nothing() {
    let sb = Sandboxes::start(SalonSpec::small(2), SandboxSetup::default()).await;
    let store = MemoryStore::new();
    let mut config = SyncConfig::default();
    config.dry_run = true;
    let report = run(&sb, &store, config).await;
    assert_eq!(sb.ghl.write_count(), 0);
    assert!(sb.ghl.contacts().is_empty());
    assert!(created(&report, EntityKind::Client) > 0);
    use sync_core::MappingStore;
    assert_eq!(store.count(EntityKind::Client, None).await.unwrap(), 0);
}

#[tokio::test]
async fn oauth_token_expiring_mid_run_is_refreshed_and_nothing_is_lost() {
    use ghl_client::{Auth, MemoryTokenStore};
    use sync_core::SyncPlan;

    let sb = Sandboxes::start(SalonSpec::small(12), SandboxSetup::default()).await;
    let tokens = sb
        .ghl
        .issue_oauth_tokens(ALL_SCOPES.iter().map(|s| s.as_str()));
    let token_store = Arc::new(MemoryTokenStore::new());
    let ghl = sb
        .ghl
        .client_builder(&sb.token)
        .auth(Auth::oauth(
            sb.ghl.oauth_app(),
            tokens.token_set(),
            token_store.clone(),
        ))
        .build()
        .unwrap();
    let phorest = sb.phorest.client_builder().build().unwrap();
    sb.ghl.set_faults(Faults {
        expire_tokens_after: Some(40),
        ..Faults::default()
    });
    let mut config = SyncConfig::default();
    config.calendar_id = Some(sb.calendar_id.as_str().into());
    let store = MemoryStore::new();
    let plan = SyncPlan::builder(config, phorest, ghl)
        .store(store.clone())
        .build()
        .unwrap();
    let report = plan.run(CancellationToken::new()).await;
    report.check_invariants().unwrap();
    assert_eq!(report.status, RunStatus::Completed, "{}", report.to_table());
    assert!(
        sb.ghl.count("POST", "/oauth/token") >= 1,
        "the token was refreshed"
    );
    let fresh = Sandboxes::start(SalonSpec::small(12), SandboxSetup::default()).await;
    run(&fresh, &MemoryStore::new(), SyncConfig::default()).await;
    assert_eq!(
        assert_no_duplicate_clients(&sb),
        assert_no_duplicate_clients(&fresh)
    );
    assert_eq!(sb.ghl.appointments().len(), fresh.ghl.appointments().len());
}

#[tokio::test]
async fn corrupt_phorest_pages_never_panic_and_a_rerun_completes() {
    let sb = Sandboxes::start(SalonSpec::small(13), SandboxSetup::default()).await;
    let store = MemoryStore::new();
    for seed in 0..4 {
        sb.phorest.set_faults(phorest_client::mock::Faults {
            seed,
            corrupt_rate: 0.3,
            ..phorest_client::mock::Faults::default()
        });
        // Typed errors end the run with a reason; invariants hold; no panic.
        let report = run(&sb, &store, SyncConfig::default()).await;
        report.check_invariants().unwrap();
        assert_eq!(
            report.status == RunStatus::Failed,
            report.failure.is_some(),
            "a failed run names its reason, and only a failed run: {:?} {:?}",
            report.status,
            report.failure
        );
    }
    // The faults really fired: pages were served corrupted.
    let corrupted = sb.phorest.corrupted_pages();
    assert!(
        corrupted > 0,
        "no page was corrupted: the test proved nothing"
    );
    sb.phorest.clear_faults();
    let report = run(&sb, &store, SyncConfig::default()).await;
    assert_eq!(
        sb.phorest.corrupted_pages(),
        corrupted,
        "faults were cleared"
    );
    assert_eq!(report.status, RunStatus::Completed, "{}", report.to_table());
    let fresh = Sandboxes::start(SalonSpec::small(13), SandboxSetup::default()).await;
    run(&fresh, &MemoryStore::new(), SyncConfig::default()).await;
    assert_eq!(
        assert_no_duplicate_clients(&sb),
        assert_no_duplicate_clients(&fresh)
    );
}
