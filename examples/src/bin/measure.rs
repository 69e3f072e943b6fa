//! `measure`: prints the figures the README quotes, measured against the sandboxes.
//!
//! ```sh
//! cargo run --release -p phorest-ghl-examples --bin measure            # everything
//! cargo run --release -p phorest-ghl-examples --bin measure -- rate    # one measurement
//! cargo run --release -p phorest-ghl-examples --bin measure -- --help  # the list
//! ```
//!
//! Measurements (each prints its figures; nothing here asserts a time):
//! - `burst`: 300 concurrent GHL requests against the sandbox's limit (100 per 1 s): 429s and
//!   time against the ideal (the limiter may send 100 per window: 2 full windows + 1 burst);
//! - `rate`: achieved GHL request rate as a fraction of the allowed rate (100 requests per
//!   window, window scaled 100×: 100 ms instead of 10 s) and the share of 429s, over a whole sync
//!   of the seed-report salon;
//! - `requests`: a first sync of every stage into an empty location: GHL requests by endpoint,
//!   their ratio to the floor (one write per GHL object) and per synced contact; then an
//!   unchanged rerun (GHL writes, Phorest requests), one edited client and one loyalty tier
//!   change (GHL requests each);
//! - `throughput`: records per second through mappers + executor against an unlimited sandbox;
//! - `rss`: peak RSS of a client sync of 15k and of 150k clients (each in a child process),
//!   with the GHL sandbox's daily budget raised to [`RSS_DAILY_LIMIT`] so that 150k clients
//!   (about 2 requests each) sync to completion in one run;
//! - `resume`: a run cancelled at a random client and resumed: duplicate contacts, missing
//!   contacts, pages re-read;
//! - `webhooks`: webhook verification throughput (events/s, one core): signature over the raw
//!   body (Ed25519 and RSA), timestamp window, typed decoding and the replay check, on signed
//!   `ContactUpdate` bodies made beforehand.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use phorest_client::mock::SalonSpec;
use sync_core::sandbox::{SandboxSetup, Sandboxes};
use sync_core::{EntityKind, MemoryStore, SyncConfig, SyncEvent, SyncReport};
use tokio_util::sync::CancellationToken;

/// The GHL sandbox's daily request budget in the `rss` measurement (the real API's is 200,000,
/// which a first sync of 150k clients at about 2 requests each exceeds).
const RSS_DAILY_LIMIT: u32 = 1_000_000;

const MEASUREMENTS: &[(&str, &str)] = &[
    (
        "burst",
        "300 concurrent GHL requests against a 100-per-1-s limit: time and 429s",
    ),
    (
        "rate",
        "achieved GHL request rate and share of 429s over a seed-report sync",
    ),
    (
        "requests",
        "GHL requests of a whole first sync vs the floor, rerun, one edit, one tier change",
    ),
    (
        "throughput",
        "records/s through mappers + executor, unlimited sandbox",
    ),
    (
        "rss",
        "peak RSS of the sync process for 15k and 150k clients (minutes)",
    ),
    (
        "resume",
        "cancel at a random client, resume: duplicates, missing, re-read",
    ),
    (
        "webhooks",
        "webhook verification throughput (events/s), Ed25519 and RSA",
    ),
];

#[tokio::main]
async fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--help" || a == "-h") {
        println!(
            "measure [MEASUREMENT...]: prints the README's figures (all of them without arguments)\n"
        );
        for (name, what) in MEASUREMENTS {
            println!("  {name:<11} {what}");
        }
        return Ok(());
    }
    if let Some(unknown) = args.iter().find(|a| {
        *a != "--rss-child"
            && a.parse::<usize>().is_err()
            && !MEASUREMENTS.iter().any(|(n, _)| n == a)
    }) {
        anyhow::bail!("unknown measurement {unknown:?} (see --help)");
    }
    if let Some(pos) = args.iter().position(|a| a == "--rss-child") {
        let clients: usize = args
            .get(pos + 1)
            .context("--rss-child needs a client count")?
            .parse()?;
        return rss_child(clients).await;
    }
    let all = args.is_empty();
    let want = |name: &str| all || args.iter().any(|a| a == name);
    println!(
        "machine: {} cores, {}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        std::env::consts::ARCH
    );
    if want("burst") {
        burst().await?;
    }
    if want("rate") {
        rate().await?;
    }
    if want("requests") {
        requests().await?;
    }
    if want("throughput") {
        throughput().await?;
    }
    if want("rss") {
        rss()?;
    }
    if want("resume") {
        resume().await?;
    }
    if want("webhooks") {
        webhooks().await?;
    }
    Ok(())
}

/// One signed delivery: its signature header and its body.
type Delivery = (Vec<(String, String)>, Vec<u8>);

/// Verification throughput: `N` signed deliveries per scheme, verified one after the other.
async fn webhooks() -> Result<()> {
    use ghl_client::webhooks::MemoryReplayStore;
    const N: usize = 20_000;
    let signer = ghl_client::mock::WebhookSigner::sandbox();
    println!("webhooks: verifying {N} signed ContactUpdate deliveries per scheme");
    for scheme in ["x-ghl-signature (Ed25519)", "x-wh-signature (RSA-2048)"] {
        let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let deliveries: Vec<Delivery> = (0..N)
            .map(|i| {
                let body = format!(
                    r#"{{"type":"ContactUpdate","locationId":"loc-1","id":"ct-{i}","email":"c{i}@example.com","name":"Client {i}","firstName":"Client","lastName":"N{i}","phone":"+353871234567","tags":["phorest-client-id:{i}"],"attachments":[],"timestamp":"{now}","webhookId":"wh-{i}-{scheme_id}"}}"#,
                    scheme_id = scheme.len()
                )
                .into_bytes();
                let header = if scheme.starts_with("x-ghl") {
                    ("x-ghl-signature".to_owned(), signer.sign_ed25519(&body))
                } else {
                    ("x-wh-signature".to_owned(), signer.sign_rsa(&body))
                };
                (vec![header], body)
            })
            .collect();
        let verifier = signer
            .verifier_builder()
            .replay_store(MemoryReplayStore::new(N * 2))
            .build();
        let started = Instant::now();
        let mut ok = 0usize;
        for (headers, body) in &deliveries {
            if verifier.verify(headers, body).await.is_ok() {
                ok += 1;
            }
        }
        let secs = started.elapsed().as_secs_f64();
        anyhow::ensure!(ok == N, "{} of {N} deliveries verified", ok);
        println!(
            "  {scheme}: {:.0} events/s ({:.1} µs each)",
            N as f64 / secs,
            secs * 1e6 / N as f64
        );
    }
    Ok(())
}

async fn run(sb: &Sandboxes, store: &MemoryStore, config: SyncConfig) -> Result<SyncReport> {
    let plan = sb.plan_builder(config).store(store.clone()).build()?;
    let report = plan.run(CancellationToken::new()).await;
    report
        .check_invariants()
        .map_err(|e| anyhow::anyhow!("report invariant: {e}"))?;
    Ok(report)
}

fn contacts_by_client_tag(sb: &Sandboxes) -> (usize, usize) {
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
    (all, unique.len())
}

async fn burst() -> Result<()> {
    let setup = SandboxSetup {
        rate_max: 100,
        rate_interval: Duration::from_secs(1),
        ..SandboxSetup::default()
    };
    let sb = Sandboxes::start(SalonSpec::small(1), setup).await;
    let client = sb.ghl.client_builder(&sb.token).build()?;
    let started = Instant::now();
    let calls = (0..300).map(|_| {
        let client = client.clone();
        async move { client.calendars().list().await }
    });
    let results = futures::future::join_all(calls).await;
    let secs = started.elapsed().as_secs_f64();
    let failed = results.iter().filter(|r| r.is_err()).count();
    let limited = sb.ghl.requests().iter().filter(|r| r.status == 429).count();
    println!("\n[burst] 300 concurrent requests, sandbox limit 100 per 1 s");
    println!(
        "  finished in {secs:.2} s (ideal 2.0 s: windows at 0 s, 1 s, 2 s), 429 answers: {limited}, failed calls: {failed}"
    );
    Ok(())
}

async fn rate() -> Result<()> {
    let setup = SandboxSetup::default(); // 100 requests / 100 ms
    let window_ms = setup.rate_interval.as_millis() as f64;
    let allowed_per_s = f64::from(setup.rate_max) * 1000.0 / window_ms;
    let sb = Sandboxes::start(SalonSpec::seed_report(42), setup).await;
    let store = MemoryStore::new();
    let started = Instant::now();
    run(&sb, &store, SyncConfig::default()).await?;
    let secs = started.elapsed().as_secs_f64();
    let requests = sb.ghl.requests();
    let limited = requests.iter().filter(|r| r.status == 429).count();
    let achieved = requests.len() as f64 / secs;
    println!(
        "\n[rate] whole sync of the seed-report salon, GHL limit 100 / 100 ms (real: 100 / 10 s, clock scaled 100×)"
    );
    println!("  GHL requests: {}, in {secs:.1} s", requests.len());
    println!(
        "  achieved rate: {achieved:.0} req/s = {:.0}% of the allowed {allowed_per_s:.0} req/s",
        100.0 * achieved / allowed_per_s
    );
    println!(
        "  429 answers: {limited} ({:.2}% of requests)",
        100.0 * limited as f64 / requests.len().max(1) as f64
    );
    Ok(())
}

async fn requests() -> Result<()> {
    let sb = Sandboxes::start(SalonSpec::seed_report(7), unlimited()).await;
    let store = MemoryStore::new();
    let config = SyncConfig::default();
    let report = run(&sb, &store, config.clone()).await?;
    let c = report
        .entity(EntityKind::Client)
        .context("client stage ran")?;
    let synced_clients = c.created + c.updated;
    let log = sb.ghl.requests();
    let all = log.len();
    let mut by_endpoint: std::collections::BTreeMap<String, usize> = Default::default();
    for r in &log {
        *by_endpoint
            .entry(format!("{} {}", r.method, path_template(&r.path)))
            .or_default() += 1;
    }
    // The floor: one write per GHL object the salon needs (a product's price is its own
    // object), whatever carries its tags and custom fields.
    let contacts = sb.ghl.contacts();
    let notes: usize = contacts
        .iter()
        .map(|c| sb.ghl.notes(c["id"].as_str().unwrap_or_default()).len())
        .sum();
    let products = sb.ghl.products();
    let prices: usize = products
        .iter()
        .map(|p| sb.ghl.prices(p["_id"].as_str().unwrap_or_default()).len())
        .sum();
    let appointments = sb.ghl.appointments().len();
    let floor = contacts.len() + notes + products.len() + prices + appointments;
    let synced_contacts = contacts.len();

    println!("\n[requests] first sync into an empty location, every stage, seed-report salon");
    println!(
        "  GHL objects: {} contacts ({synced_clients} clients), {appointments} appointments, {notes} notes, {} products + {prices} prices",
        synced_contacts,
        products.len()
    );
    println!("  GHL requests by endpoint:");
    for (endpoint, n) in &by_endpoint {
        println!("    {n:>7}  {endpoint}");
    }
    println!("  GHL requests: {all}; floor (one write per object): {floor}");
    println!(
        "  ratio to the floor: {:.3}; GHL requests per synced contact, all stages: {:.3}",
        all as f64 / floor.max(1) as f64,
        all as f64 / synced_contacts.max(1) as f64
    );

    // An unchanged rerun.
    sb.ghl.reset_counters();
    sb.phorest.reset_counters();
    let started = Instant::now();
    run(&sb, &store, config.clone()).await?;
    println!(
        "  unchanged rerun: {} GHL writes, {} GHL reads, {} Phorest requests, {:.2} s",
        sb.ghl.write_count(),
        sb.ghl.requests().len() - sb.ghl.write_count(),
        sb.phorest.request_count(),
        started.elapsed().as_secs_f64()
    );

    // One edited client, then one client whose loyalty tier changes.
    let (edited, tiered) = sb.phorest.with_salon(|s| {
        let mut synced = s
            .clients()
            .iter()
            .filter(|c| !c.deleted && !c.archived && c.email.is_some())
            .map(|c| c.client_id.clone());
        (synced.next(), synced.nth(10))
    });
    let (Some(edited), Some(tiered)) = (edited, tiered) else {
        anyhow::bail!("the salon has too few clients with an email");
    };
    sb.phorest
        .update_client(&edited, |c| c.last_name.push_str(" Edited"));
    sb.ghl.reset_counters();
    run(&sb, &store, config.clone()).await?;
    println!(
        "  one edited client: {} GHL requests ({})",
        sb.ghl.requests().len(),
        describe(&sb.ghl.requests())
    );
    let points = sb.phorest.with_salon(|s| {
        s.clients()
            .iter()
            .find(|c| c.client_id == tiered)
            .and_then(|c| c.loyalty_card.as_ref())
            .map_or(0.0, |card| card.points)
    });
    // Across a tier boundary (member < 100 ≤ bronze < 500 ≤ silver < 1000 ≤ gold).
    let new_points = if points >= 1000.0 { 50.0 } else { 1500.0 };
    sb.phorest.set_loyalty_points(&tiered, new_points);
    sb.ghl.reset_counters();
    run(&sb, &store, config).await?;
    println!(
        "  one loyalty tier change: {} GHL requests ({})",
        sb.ghl.requests().len(),
        describe(&sb.ghl.requests())
    );
    Ok(())
}

/// `POST /contacts/{id}/tags`-style template of a path: ids replaced by `{id}`.
fn path_template(path: &str) -> String {
    path.split('/')
        .map(|seg| {
            if seg.len() >= 16
                && seg
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                "{id}"
            } else {
                seg
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

fn describe(log: &[ghl_client::mock::RecordedRequest]) -> String {
    log.iter()
        .map(|r| format!("{} {}", r.method, path_template(&r.path)))
        .collect::<Vec<_>>()
        .join(", ")
}

fn unlimited() -> SandboxSetup {
    SandboxSetup {
        rate_max: 1_000_000,
        rate_interval: Duration::from_millis(1000),
        ..SandboxSetup::default()
    }
}

async fn throughput() -> Result<()> {
    let sb = Sandboxes::start(SalonSpec::seed_report(9), unlimited()).await;
    let store = MemoryStore::new();
    let mut config = SyncConfig::only([EntityKind::Client]);
    config.concurrency = 16;
    let started = Instant::now();
    let report = run(&sb, &store, config.clone()).await?;
    let secs = started.elapsed().as_secs_f64();
    let total = report.entity(EntityKind::Client).map_or(0, |e| e.total);
    let started = Instant::now();
    let rerun = run(&sb, &store, {
        let mut c = config;
        c.full_refresh = true;
        c
    })
    .await?;
    let secs2 = started.elapsed().as_secs_f64();
    let total2 = rerun.entity(EntityKind::Client).map_or(0, |e| e.total);
    println!(
        "\n[throughput] clients through mappers + executor, unlimited GHL sandbox (HTTP on loopback)"
    );
    println!(
        "  first sync: {total} records in {secs:.1} s = {:.0} records/s",
        total as f64 / secs
    );
    println!(
        "  full re-read, nothing changed (hash compare, no writes): {total2} records in {secs2:.1} s = {:.0} records/s",
        total2 as f64 / secs2
    );
    Ok(())
}

fn rss() -> Result<()> {
    println!(
        "\n[rss] peak RSS of the sync process (phorest-ghl-sync, clients stage) against sandboxes hosted by this process"
    );
    println!(
        "  GHL sandbox: unlimited burst rate, daily budget raised to {RSS_DAILY_LIMIT} requests (real API: 200,000)"
    );
    let exe = std::env::current_exe()?;
    for clients in [15_000usize, 150_000] {
        let out = std::process::Command::new(&exe)
            .args(["--rss-child", &clients.to_string()])
            .output()?;
        let text = String::from_utf8_lossy(&out.stdout);
        println!("  {}", text.trim());
    }
    Ok(())
}

/// Hosts the sandboxes and runs the sync binary as a child, sampling its peak RSS.
async fn rss_child(clients: usize) -> Result<()> {
    let mut spec = SalonSpec::large(3);
    spec.clients = clients;
    spec.loyalty_cards = spec.loyalty_cards.min(clients);
    let setup = SandboxSetup {
        daily_limit: RSS_DAILY_LIMIT,
        ..unlimited()
    };
    let sb = Sandboxes::start(spec, setup).await;
    let sync = std::env::current_exe()?
        .parent()
        .context("exe dir")?
        .join("phorest-ghl-sync");
    let scopes: Vec<&str> = sync_core::sandbox::ALL_SCOPES
        .iter()
        .map(|s| s.as_str())
        .collect();
    let dir = std::env::temp_dir().join(format!("phorest-ghl-rss-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let started = Instant::now();
    let mut child = std::process::Command::new(sync)
        .args(["-q", "--entities", "clients", "--format", "json", "--state"])
        .arg(dir.join("state.db"))
        .env_clear()
        .env("PHOREST_REGION", sb.phorest.base_url())
        .env("PHOREST_BUSINESS_ID", sb.phorest.business_id())
        .env("PHOREST_API_EMAIL", sb.phorest.email())
        .env("PHOREST_API_PASSWORD", sb.phorest.password())
        .env("PHOREST_REQUESTS_PER_SECOND", "1000")
        .env("GHL_BASE_URL", sb.ghl.base_url())
        .env("GHL_LOCATION_ID", sb.ghl.location_id())
        .env("GHL_PRIVATE_TOKEN", &sb.token)
        .env("GHL_SCOPES", scopes.join(" "))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()?;
    let mut stdout = child.stdout.take().context("child stdout")?;
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = std::io::Read::read_to_string(&mut stdout, &mut text);
        text
    });
    let status_path = format!("/proc/{}/status", child.id());
    let mut peak = 0u64;
    let status = loop {
        if let Some(kib) = std::fs::read_to_string(&status_path)
            .ok()
            .and_then(|s| vm_hwm_kib(&s))
        {
            peak = peak.max(kib);
        }
        if let Some(status) = child.try_wait()? {
            break status;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let _ = std::fs::remove_dir_all(&dir);
    let report: serde_json::Value =
        serde_json::from_str(&reader.join().unwrap_or_default()).unwrap_or_default();
    let clients_row = report["entities"]
        .as_array()
        .and_then(|a| a.iter().find(|e| e["entity"] == "client"))
        .cloned()
        .unwrap_or_default();
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{clients} clients: sync process peak RSS {} MiB (exit {:?}, {secs:.0} s = {:.0} clients/s, SQLite state; {} processed, {} created, {} GHL requests{})",
        peak / 1024,
        status.code(),
        clients_row["total"].as_f64().unwrap_or(0.0) / secs.max(0.001),
        clients_row["total"],
        clients_row["created"],
        sb.ghl.requests().len(),
        report["error"]
            .as_str()
            .map(|e| format!("; stopped: {e}"))
            .unwrap_or_default()
    );
    Ok(())
}

fn vm_hwm_kib(status: &str) -> Option<u64> {
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
}

async fn resume() -> Result<()> {
    let sb = Sandboxes::start(SalonSpec::seed_report(5), unlimited()).await;
    let store = MemoryStore::new();
    // Stop at a pseudo-random client (from the clock).
    let stop_at = 500
        + (std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos() as usize)
            % 9_000);
    let cancel = CancellationToken::new();
    let stopper = cancel.clone();
    let seen = Arc::new(AtomicUsize::new(0));
    let observer = move |e: &SyncEvent| {
        if let SyncEvent::RecordProcessed {
            entity: EntityKind::Client,
            ..
        } = e
            && seen.fetch_add(1, Ordering::SeqCst) + 1 == stop_at
        {
            stopper.cancel();
        }
    };
    let config = SyncConfig::only([EntityKind::Client]);
    let plan = sb
        .plan_builder(config.clone())
        .store(store.clone())
        .observer(Arc::new(observer))
        .build()?;
    plan.run(cancel).await;
    let checkpoint = sync_core::CheckpointStore::load(&store, "clients").await?;
    let resume_page = checkpoint
        .and_then(|c| c.cursor)
        .and_then(|c| c.as_u64())
        .unwrap_or(0);
    let resumed = run(&sb, &store, config.clone()).await?;
    let reread = resumed
        .entity(EntityKind::Client)
        .map_or(0, |e| e.unchanged);
    let (tags, unique) = contacts_by_client_tag(&sb);
    let fresh = Sandboxes::start(SalonSpec::seed_report(5), unlimited()).await;
    run(&fresh, &MemoryStore::new(), config).await?;
    let (_, expected) = contacts_by_client_tag(&fresh);
    println!("\n[resume] client sync cancelled after {stop_at} clients, then resumed");
    println!("  duplicate contacts: {}", tags - unique);
    println!(
        "  clients missing vs an uninterrupted sync: {}",
        expected.saturating_sub(unique)
    );
    println!(
        "  resumed at page {resume_page} (200 clients a page); already-synced records re-read: {reread} (at most one page)"
    );
    Ok(())
}
