//! The `webhook-receiver` binary as an operator runs it: usage and configuration errors exit
//! with their documented codes without printing secrets; run against both sandboxes (the GHL
//! sandbox POSTing signed webhooks to it), it writes a GHL edit to Phorest and refuses a
//! forged delivery.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use ghl_client::ContactId;
use ghl_client::contacts::UpdateContact;
use ghl_client::mock::DeliveryTamper;
use phorest_client::mock::SalonSpec;
use sync_core::entity::EntityKind;
use sync_core::sandbox::{SandboxSetup, Sandboxes};
use sync_core::{MappingState, MappingStore, SyncConfig};
use tokio_util::sync::CancellationToken;

const RECEIVER: &str = env!("CARGO_BIN_EXE_webhook-receiver");

async fn output(mut cmd: Command) -> std::process::Output {
    tokio::task::spawn_blocking(move || cmd.output().expect("spawn"))
        .await
        .expect("join")
}

#[tokio::test]
async fn version_usage_and_missing_configuration_exit_with_their_codes() {
    let mut cmd = Command::new(RECEIVER);
    cmd.env_clear().arg("--version");
    let out = output(cmd).await;
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("webhook-receiver "));

    let mut cmd = Command::new(RECEIVER);
    cmd.env_clear().arg("--no-such-flag");
    assert_eq!(output(cmd).await.status.code(), Some(64));

    let mut cmd = Command::new(RECEIVER);
    cmd.env_clear().args(["--shared-fields", "eyebrows"]);
    assert_eq!(output(cmd).await.status.code(), Some(64));

    let mut cmd = Command::new(RECEIVER);
    cmd.env_clear()
        .env("PHOREST_BUSINESS_ID", "biz")
        .env("PHOREST_API_EMAIL", "api@example.com")
        .env("PHOREST_API_PASSWORD", "s3cret-password-value")
        .args(["--listen", "127.0.0.1:0"]);
    let out = output(cmd).await;
    assert_eq!(out.status.code(), Some(5));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("GHL_LOCATION_ID"), "{err}");
    assert!(!err.contains("s3cret-password-value"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_applies_a_ghl_edit_and_refuses_a_forged_one() {
    let sb = Sandboxes::start(SalonSpec::small(21), SandboxSetup::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.db");
    // The forward sync, in-process, into the state file the receiver will share.
    let mut config = SyncConfig::default();
    config.entities = [EntityKind::Client].into_iter().collect();
    let store = Arc::new(sync_core::SqliteStore::open(&state).unwrap());
    let report = sb
        .plan_builder(config)
        .shared_store(store.clone())
        .build()
        .unwrap()
        .run(CancellationToken::new())
        .await;
    assert!(report.failure.is_none());
    let mapped: Vec<(String, String)> = store
        .list(EntityKind::Client, Some(MappingState::Synced), None, 2)
        .await
        .unwrap()
        .into_iter()
        .map(|m| (m.phorest_id, m.ghl_id.unwrap()))
        .collect();
    drop(store);

    let country = sb
        .phorest
        .with_salon(|s| s.branches().first().map(|b| b.country.clone()))
        .unwrap();
    // The sandbox signs with test keys: the receiver trusts them as rotated keys.
    let signer = sb.ghl.webhook_signer();
    let ed = dir.path().join("sandbox-ed25519.pem");
    let rsa = dir.path().join("sandbox-rsa.pem");
    std::fs::write(&ed, signer.ed25519_public_key().to_pem()).unwrap();
    std::fs::write(&rsa, signer.rsa_public_key().to_pem()).unwrap();
    let mut child = Command::new(RECEIVER)
        .env_clear()
        .env("PHOREST_REGION", sb.phorest.base_url())
        .env("PHOREST_BUSINESS_ID", sb.phorest.business_id())
        .env("PHOREST_API_EMAIL", sb.phorest.email())
        .env("PHOREST_API_PASSWORD", sb.phorest.password())
        .env("GHL_LOCATION_ID", sb.ghl.location_id())
        .args(["--listen", "127.0.0.1:0", "--shared-fields", "last-name"])
        .arg("--trust-key")
        .arg(&ed)
        .arg("--trust-key")
        .arg(&rsa)
        .args(["--region", &country, "--state"])
        .arg(&state)
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let addr = tokio::task::spawn_blocking(move || {
        let mut lines = BufReader::new(stderr).lines();
        let first = lines.next().unwrap().unwrap();
        // Keep draining so the child never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        first
    })
    .await
    .unwrap();
    let addr = addr
        .strip_prefix("listening on ")
        .and_then(|r| r.split_once(' '))
        .map(|(a, _)| a.to_owned())
        .unwrap_or_else(|| panic!("unexpected first line: {addr}"));
    sb.ghl
        .register_webhook(format!("http://{addr}/webhooks/ghl"));

    let ghl = sb.ghl.client_builder(&sb.token).build().unwrap();
    sb.ghl.tamper_next_webhooks([DeliveryTamper::Forged]);
    for (i, (_, contact)) in mapped.iter().enumerate() {
        ghl.contacts()
            .update(
                &ContactId::from(contact.as_str()),
                &UpdateContact::new().last_name(format!("Binary{i}")),
            )
            .await
            .unwrap();
    }
    let last_name = |id: &str| {
        sb.phorest
            .with_salon(|s| s.client(id).map(|c| c.last_name.clone()))
            .unwrap()
    };
    // Safety net against a hung test, not a measure.
    let mut applied = false;
    for _ in 0..1_000 {
        if last_name(&mapped[1].0) == "Binary1" {
            applied = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let deliveries = sb.ghl.webhook_deliveries();
    let _ = child.kill();
    let _ = child.wait();
    assert!(applied, "the genuine edit reached Phorest: {deliveries:?}");
    assert_ne!(last_name(&mapped[0].0), "Binary0", "the forged one did not");
    let statuses: Vec<_> = deliveries.iter().map(|d| d.status.clone()).collect();
    assert_eq!(
        statuses,
        vec![
            ghl_client::mock::DeliveryStatus::Delivered { status: 401 },
            ghl_client::mock::DeliveryStatus::Delivered { status: 200 },
        ]
    );
}
