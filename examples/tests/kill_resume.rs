//! Resilience: the sync binary, as a child process, killed with SIGKILL at a random point and
//! run again; every syncable record ends up in GHL exactly once.

use std::collections::HashSet;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use phorest_client::mock::SalonSpec;
use sync_core::sandbox::{ALL_SCOPES, SandboxSetup, Sandboxes};
use sync_core::{MemoryStore, SyncConfig};
use tokio_util::sync::CancellationToken;

fn sync_command(sb: &Sandboxes, state: &std::path::Path) -> Command {
    let scopes: Vec<&str> = ALL_SCOPES.iter().map(|s| s.as_str()).collect();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_phorest-ghl-sync"));
    // A short lease, so the rerun takes over the killed run's lease within seconds.
    cmd.args([
        "-q",
        "--format",
        "json",
        "--lease-ttl",
        "2s",
        "--wait",
        "30s",
        "--state",
    ])
    .arg(state)
    .env_clear()
    .env("PHOREST_REGION", sb.phorest.base_url())
    .env("PHOREST_BUSINESS_ID", sb.phorest.business_id())
    .env("PHOREST_API_EMAIL", sb.phorest.email())
    .env("PHOREST_API_PASSWORD", sb.phorest.password())
    .env("GHL_BASE_URL", sb.ghl.base_url())
    .env("GHL_LOCATION_ID", sb.ghl.location_id())
    .env("GHL_PRIVATE_TOKEN", &sb.token)
    .env("GHL_SCOPES", scopes.join(" "))
    .env("GHL_CALENDAR_ID", &sb.calendar_id)
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    cmd
}

fn client_tags(sb: &Sandboxes) -> (usize, HashSet<String>) {
    let mut all = 0;
    let mut unique = HashSet::new();
    for c in sb.ghl.contacts() {
        for t in c["tags"].as_array().into_iter().flatten() {
            if let Some(t) = t.as_str().filter(|t| t.starts_with("phorest-client-id:")) {
                all += 1;
                unique.insert(t.to_owned());
            }
        }
    }
    (all, unique)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_at_a_random_point_then_rerun_leaves_everything_exactly_once() {
    let sb = Sandboxes::start(SalonSpec::small(21), SandboxSetup::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.db");

    // Kill after a pseudo-random number of GHL writes.
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos() as usize);
    let kill_after = 5 + nanos % 120;
    let mut child = sync_command(&sb, &state).spawn().unwrap();
    let started = Instant::now();
    loop {
        if sb.ghl.write_count() >= kill_after || started.elapsed() > Duration::from_secs(60) {
            break;
        }
        if child.try_wait().unwrap().is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let _ = child.kill(); // SIGKILL on Unix
    let _ = child.wait();

    let out = tokio::task::spawn_blocking({
        let mut cmd = sync_command(&sb, &state);
        move || cmd.output()
    })
    .await
    .unwrap()
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "report JSON: {e}\n{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    assert_eq!(out.status.code(), Some(0), "{report:#}");

    let (all, unique) = client_tags(&sb);
    assert_eq!(
        all,
        unique.len(),
        "duplicate contacts after kill at write {kill_after}"
    );

    // The same salon synced without interruption.
    let fresh = Sandboxes::start(SalonSpec::small(21), SandboxSetup::default()).await;
    let plan = fresh
        .plan_builder(SyncConfig::default())
        .store(MemoryStore::new())
        .build()
        .unwrap();
    plan.run(CancellationToken::new()).await;
    let (_, expected) = client_tags(&fresh);
    assert_eq!(
        unique, expected,
        "clients missing after kill at write {kill_after}"
    );
    assert_eq!(sb.ghl.appointments().len(), fresh.ghl.appointments().len());
    assert_eq!(sb.ghl.products().len(), fresh.ghl.products().len());
}
