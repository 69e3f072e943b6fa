//! The first-contact probe against the Phorest sandbox: what it reports on a well-behaved
//! server and on a hostile one (flags ignored, a silent page-size cap, a Windows zone name), that
//! it only reads, and the binary's exit codes.

use std::process::Command;

use phorest_client::mock::{Hostile, PhorestSandbox, SalonSpec};
use phorest_ghl_examples::probe::probe;

const PROBE: &str = env!("CARGO_BIN_EXE_phorest-probe");

fn salon(clients: usize) -> SalonSpec {
    let mut spec = SalonSpec::small(61);
    spec.clients = clients;
    spec
}

#[tokio::test]
async fn on_a_well_behaved_server_the_probe_confirms_and_only_reads() {
    let sandbox = PhorestSandbox::start(salon(250)).await;
    let client = sandbox.client_builder().build().unwrap();
    let found = probe(&client).await.unwrap();
    let seen = |key: &str| found.get(key).unwrap_or_else(|| panic!("{key}")).clone();
    assert!(
        seen("flags").meaning.contains("the flags work"),
        "{found:#?}"
    );
    assert!(
        seen("page_size").seen.starts_with("size=200 served 200 of"),
        "{found:#?}"
    );
    assert!(seen("page_size").meaning.contains("honoured"));
    assert_eq!(seen("client_batch_unknown_id").seen, "200 with 0 client(s)");
    let zone = seen("time_zone");
    assert!(zone.seen.ends_with("\"Europe/Dublin\""), "{zone:?}");
    assert!(zone.meaning.starts_with("an IANA zone"));
    assert!(
        seen("timestamps").seen.contains("ISO date-time"),
        "{found:#?}"
    );
    // A handful of requests, every one a read.
    let log = sandbox.requests();
    assert_eq!(log.len() as u32, found.requests);
    assert!(found.requests <= 10, "{} requests", found.requests);
    assert!(log.iter().all(|r| r.method == "GET"), "{log:?}");
}

#[tokio::test]
async fn on_a_hostile_server_the_probe_says_what_the_sync_will_do() {
    let sandbox = PhorestSandbox::start(salon(250)).await;
    sandbox.set_hostile(
        Hostile::new(3)
            .ignore_archived_deleted_flags(true)
            .cap_page_size(50)
            .branch_time_zone(Some("GMT Standard Time")),
    );
    let client = sandbox.client_builder().build().unwrap();
    let found = probe(&client).await.unwrap();
    let seen = |key: &str| found.get(key).unwrap_or_else(|| panic!("{key}")).clone();
    assert!(
        seen("flags").meaning.contains("rolling re-check"),
        "{found:#?}"
    );
    let page = seen("page_size");
    assert!(page.seen.starts_with("size=200 served 50 of"), "{page:?}");
    assert!(page.meaning.contains("silent cap"), "{page:?}");
    let zone = seen("time_zone");
    assert!(zone.seen.ends_with("\"GMT Standard Time\""), "{zone:?}");
    assert!(zone.meaning.contains("Europe/London"), "{zone:?}");
}

#[test]
fn the_binary_probes_the_sandbox_without_credentials_and_prints_json() {
    let out = Command::new(PROBE)
        .env_clear()
        .arg("--json")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("sandbox"));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        json["findings"].as_array().is_some_and(|f| f.len() >= 6),
        "{json}"
    );
    assert!(json["requests"].as_u64().is_some_and(|n| n <= 10));
}

#[test]
fn the_binary_refuses_partial_configuration_and_bad_usage() {
    let out = Command::new(PROBE)
        .env_clear()
        .env("PHOREST_BUSINESS_ID", "biz")
        .env("PHOREST_API_PASSWORD", "very-secret-password")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(5));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("PHOREST_API_EMAIL"), "{err}");
    assert!(!err.contains("very-secret-password"), "{err}");
    let out = Command::new(PROBE)
        .env_clear()
        .arg("--no-such-flag")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(64));
    let out = Command::new(PROBE).arg("--version").output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("phorest-probe {}", env!("CARGO_PKG_VERSION"))
    );
}
