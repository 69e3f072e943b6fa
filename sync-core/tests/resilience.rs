//! Resilience suite: whole plans against both sandboxes with transport faults injected (client
//! timeouts on slow answers, connection resets before and after the sandbox applied a request),
//! then reruns until clean. Each test ends with every syncable record present exactly once in
//! the GHL sandbox (compared with an undisturbed sync of the same salon) and every Phorest client
//! accounted for in the reports. 5xx/429 storms, token expiry, corrupt pages and cancel/resume
//! are in `e2e.rs`; SIGKILL and restart in `examples/tests/kill_resume.rs`.
#![cfg(feature = "mock")]

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use ghl_client::mock::Faults;
use phorest_client::mock::SalonSpec;
use serde_json::Value;
use sync_core::sandbox::{SandboxSetup, Sandboxes};
use sync_core::{EntityKind, MemoryStore, RunStatus, SyncConfig, SyncReport};

use common::run;

fn failed(report: &SyncReport) -> u64 {
    report.entities.iter().map(|e| e.failed).sum()
}

/// How many times each marker occurs in the GHL sandbox, per kind of record.
#[derive(Debug)]
struct Stored {
    /// `phorest-client-id:` tags on contacts.
    clients: BTreeMap<String, usize>,
    /// `phorest-staff-id:` tags on contacts.
    staff: BTreeMap<String, usize>,
    /// `phorest-appointment:` lines in appointment descriptions.
    appointments: BTreeMap<String, usize>,
    /// The first line of each note (check-in and booking notes start with their marker).
    notes: BTreeMap<String, usize>,
    /// Product names. GHL products carry no Phorest marker and two Phorest products may share a
    /// name, so these are compared as a whole with an undisturbed sync, not checked one by one.
    products: BTreeMap<String, usize>,
}

impl Stored {
    fn of(sb: &Sandboxes) -> Stored {
        let mut s = Stored {
            clients: BTreeMap::new(),
            staff: BTreeMap::new(),
            appointments: BTreeMap::new(),
            notes: BTreeMap::new(),
            products: BTreeMap::new(),
        };
        let contacts = sb.ghl.contacts();
        for c in &contacts {
            for tag in c["tags"].as_array().into_iter().flatten() {
                let tag = tag.as_str().unwrap();
                if tag.starts_with("phorest-client-id:") {
                    *s.clients.entry(tag.to_owned()).or_default() += 1;
                } else if tag.starts_with("phorest-staff-id:") {
                    *s.staff.entry(tag.to_owned()).or_default() += 1;
                }
            }
            for note in sb.ghl.notes(c["id"].as_str().unwrap()) {
                let first = note["body"].as_str().unwrap().lines().next().unwrap_or("");
                *s.notes.entry(first.to_owned()).or_default() += 1;
            }
        }
        for a in sb.ghl.appointments() {
            let marker = a["description"]
                .as_str()
                .unwrap()
                .lines()
                .find(|l| l.starts_with("phorest-appointment:"))
                .expect("every synced appointment carries its marker")
                .to_owned();
            *s.appointments.entry(marker).or_default() += 1;
        }
        for p in sb.ghl.products() {
            *s.products
                .entry(p["name"].as_str().unwrap().to_owned())
                .or_default() += 1;
        }
        s
    }

    /// Every marker whose count differs from `expected`'s: `kind marker: stored N, expected M`.
    fn diff(&self, expected: &Stored) -> Vec<String> {
        let mut out = Vec::new();
        for (kind, mine, theirs) in [
            ("client", &self.clients, &expected.clients),
            ("staff", &self.staff, &expected.staff),
            ("appointment", &self.appointments, &expected.appointments),
            ("note", &self.notes, &expected.notes),
            ("product", &self.products, &expected.products),
        ] {
            for key in mine.keys().chain(theirs.keys()) {
                let (n, m) = (
                    mine.get(key).copied().unwrap_or(0),
                    theirs.get(key).copied().unwrap_or(0),
                );
                let line = format!("{kind} {key:?}: stored {n}, expected {m}");
                if n != m && !out.contains(&line) {
                    out.push(line);
                }
            }
        }
        out
    }

    /// Panics naming the first record stored more than once.
    fn assert_each_once(&self) {
        for (kind, map) in [
            ("client", &self.clients),
            ("staff", &self.staff),
            ("appointment", &self.appointments),
            ("note", &self.notes),
        ] {
            if let Some((marker, n)) = map.iter().find(|(_, n)| **n != 1) {
                panic!("{kind} {marker:?} is stored {n} times");
            }
        }
    }
}

/// What an undisturbed sync of the same salon stores, and its report.
async fn undisturbed(spec: SalonSpec, config: SyncConfig) -> (Stored, SyncReport) {
    let sb = Sandboxes::start(spec, SandboxSetup::default()).await;
    let report = run(&sb, &MemoryStore::new(), config).await;
    assert_eq!(report.status, RunStatus::Completed, "{}", report.to_table());
    assert_eq!(failed(&report), 0, "{}", report.to_table());
    let stored = Stored::of(&sb);
    stored.assert_each_once();
    assert!(!stored.clients.is_empty() && !stored.appointments.is_empty());
    assert!(
        !stored.notes.is_empty(),
        "the salon has check-ins or bookings"
    );
    (stored, report)
}

/// Every Phorest client is counted once in a first run's client row (created, updated,
/// unchanged, skipped or failed). Reruns read only what changed or is still pending.
fn assert_clients_accounted(sb: &Sandboxes, report: &SyncReport) {
    let clients = sb.phorest.with_salon(|s| s.clients().len()) as u64;
    let row = report.entity(EntityKind::Client).unwrap();
    assert_eq!(row.total, clients, "{}", report.to_table());
}

/// Runs until a run has no failure (at most `max_runs`), returning every report.
async fn rerun_until_clean(
    sb: &Sandboxes,
    store: &MemoryStore,
    config: SyncConfig,
    max_runs: usize,
) -> Vec<SyncReport> {
    let mut reports = Vec::new();
    for _ in 0..max_runs {
        let report = run(sb, store, config.clone()).await;
        let clean = report.status == RunStatus::Completed && failed(&report) == 0;
        reports.push(report);
        if clean {
            return reports;
        }
    }
    let tables: Vec<String> = reports.iter().map(SyncReport::to_table).collect();
    panic!(
        "still failing after {max_runs} runs:\n{}",
        tables.join("\n")
    );
}

/// Identical writes (same method, path and body) the sandbox received more than once: a
/// request retried after its answer was lost.
fn repeated_writes(sb: &Sandboxes) -> usize {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for r in sb.ghl.requests().iter().filter(|r| r.write) {
        let body = r.body.as_ref().map(Value::to_string).unwrap_or_default();
        *seen
            .entry(format!("{} {} {body}", r.method, r.path))
            .or_default() += 1;
    }
    seen.values().filter(|n| **n > 1).count()
}

#[tokio::test]
async fn client_timeouts_on_slow_answers_lose_and_duplicate_nothing() {
    let spec = || SalonSpec::small(21);
    let (expected, clean_report) = undisturbed(spec(), SyncConfig::default()).await;
    let sb = Sandboxes::start(
        spec(),
        SandboxSetup {
            ghl_timeout: Some(Duration::from_millis(300)),
            ..SandboxSetup::default()
        },
    )
    .await;
    // The sandbox applies a slow request, then answers after 1 s: the client has given up at
    // 300 ms, so every slow write "may have been applied".
    sb.ghl.set_faults(Faults {
        slow_rate: 0.05,
        slow_delay: Duration::from_secs(1),
        seed: 21,
        ..Faults::default()
    });
    let store = MemoryStore::new();
    let first = run(&sb, &store, SyncConfig::default()).await;
    assert_clients_accounted(&sb, &first);
    // Timeouts really happened: creates failed as "may have been applied", or idempotent
    // writes were sent again after their answer was lost.
    let timed_out = first
        .issues
        .iter()
        .filter(|i| i.reason.contains("timed out"))
        .count();
    assert!(
        timed_out + repeated_writes(&sb) > 0,
        "no timeout observed:\n{}",
        first.to_table()
    );
    sb.ghl.set_faults(Faults::default());
    let reports = rerun_until_clean(&sb, &store, SyncConfig::default(), 3).await;

    let stored = Stored::of(&sb);
    stored.assert_each_once();
    let diff = stored.diff(&expected);
    assert!(
        diff.is_empty(),
        "stored vs an undisturbed sync:\n{}\nfirst run:\n{}\nlast run:\n{}",
        diff.join("\n"),
        first.to_table(),
        reports.last().unwrap().to_table()
    );
    assert_eq!(
        first.entity(EntityKind::Client).unwrap().total,
        clean_report.entity(EntityKind::Client).unwrap().total
    );
}

#[tokio::test]
async fn connection_resets_before_and_after_applying_lose_and_duplicate_nothing() {
    let spec = || SalonSpec::small(22);
    let (expected, clean_report) = undisturbed(spec(), SyncConfig::default()).await;
    let sb = Sandboxes::start(
        spec(),
        SandboxSetup {
            connection_reset_rate: 0.08,
            connection_reset_seed: 22,
            ..SandboxSetup::default()
        },
    )
    .await;
    let proxy = sb.proxy.as_ref().expect("resets go through the proxy");
    let store = MemoryStore::new();
    let first = run(&sb, &store, SyncConfig::default()).await;
    assert_clients_accounted(&sb, &first);
    // Both kinds of reset happened, and only the requests the proxy forwarded reached the
    // sandbox.
    assert!(proxy.resets_before() > 0, "{proxy:?}");
    assert!(proxy.resets_after() > 0, "{proxy:?}");
    assert_eq!(
        sb.ghl.requests().len() as u64,
        proxy.requests() - proxy.resets_before()
    );
    proxy.set_reset_rate(0.0, 0);
    let reports = rerun_until_clean(&sb, &store, SyncConfig::default(), 3).await;

    let stored = Stored::of(&sb);
    stored.assert_each_once();
    let diff = stored.diff(&expected);
    assert!(
        diff.is_empty(),
        "stored vs an undisturbed sync:\n{}\nfirst run:\n{}\nlast run:\n{}",
        diff.join("\n"),
        first.to_table(),
        reports.last().unwrap().to_table()
    );
    assert_eq!(
        first.entity(EntityKind::Client).unwrap().total,
        clean_report.entity(EntityKind::Client).unwrap().total
    );
}

#[tokio::test]
async fn a_product_create_whose_answer_is_lost_is_not_created_again() {
    let spec = || SalonSpec::small(23);
    let (expected, _) = undisturbed(spec(), SyncConfig::default()).await;
    let sb = Sandboxes::start(spec(), SandboxSetup::default()).await;
    // The first product creates are applied, then answered with a 500 ("may have been
    // applied", never retried by the client).
    sb.ghl.set_faults(Faults {
        fail_after_apply: 3,
        ..Faults::default()
    });
    let store = MemoryStore::new();
    let first = run(&sb, &store, SyncConfig::only([EntityKind::Product])).await;
    let products = first.entity(EntityKind::Product).unwrap();
    assert_eq!(products.failed, 3, "{}", first.to_table());
    assert_eq!(sb.ghl.products().len() as u64, products.created + 3);
    sb.ghl.set_faults(Faults::default());
    let reports = rerun_until_clean(&sb, &store, SyncConfig::default(), 2).await;

    let stored = Stored::of(&sb);
    stored.assert_each_once();
    let diff = stored.diff(&expected);
    assert!(
        diff.is_empty(),
        "stored vs an undisturbed sync:\n{}\n{}",
        diff.join("\n"),
        reports.last().unwrap().to_table()
    );
}

#[tokio::test]
async fn a_pending_product_is_not_matched_to_another_product_of_the_same_name() {
    use sync_core::{Mapping, MappingStore};

    // This salon has two products named "Olaplex Curl Cream 50ml".
    let sb = Sandboxes::start(SalonSpec::small(8), SandboxSetup::default()).await;
    let (name, later) = sb.phorest.with_salon(|salon| {
        let products: Vec<_> = salon
            .branches()
            .iter()
            .flat_map(|b| {
                salon
                    .products()
                    .iter()
                    .filter(move |p| p.branch_id == b.branch_id && !p.archived)
            })
            .collect();
        let later = products
            .iter()
            .enumerate()
            .find(|(i, p)| products[..*i].iter().any(|q| q.name == p.name))
            .map(|(_, p)| *p)
            .expect("two products share a name");
        (later.name.clone(), later.product_id.clone())
    });
    // The later one's create was interrupted after its intent was stored and before the
    // request left (a crash): the next run looks it up by name before creating it.
    let store = MemoryStore::new();
    store
        .put(&Mapping::new(EntityKind::Product, later))
        .await
        .unwrap();
    let mut config = SyncConfig::only([EntityKind::Product]);
    config.concurrency = 1;
    let report = run(&sb, &store, config).await;
    assert_eq!(failed(&report), 0, "{}", report.to_table());
    let named = sb
        .ghl
        .products()
        .iter()
        .filter(|p| p["name"] == name.as_str())
        .count();
    assert_eq!(
        named, 2,
        "{name:?}: one GHL product for two Phorest products"
    );
}
