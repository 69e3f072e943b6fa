//! Throughput of webhook verification: prints verified events per second for Ed25519 and RSA
//! (4096-bit, the size of HighLevel's key) with a realistic payload (the documented
//! `ContactCreate` example). A measurement, not a test: it asserts nothing about speed. Besides
//! wall-clock rates it prints rates per CPU-second of the measuring thread, which hold on a busy
//! shared machine. Run it in release:
//!
//! ```sh
//! cargo test -p ghl-client --release --features webhooks-sqlite --test webhook_throughput \
//!     -- --ignored --nocapture
//! ```

mod webhook_support;

use std::time::{Duration, Instant};

use chrono::{TimeDelta, Utc};
use ghl_client::WebhookId;
use ghl_client::webhooks::{
    MemoryReplayStore, ReplayStore, WebhookEnvelope, WebhookEvent, WebhookVerifier,
};
use webhook_support::{Signer, contact_create};

type Headers = Vec<(String, String)>;

/// CPU time of the calling thread (Linux), `None` elsewhere.
fn thread_cpu() -> Option<Duration> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let nanos: u64 = text.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(nanos))
}

/// Wall clock and thread CPU time of a span of work on the calling thread.
struct Span {
    wall: Instant,
    cpu: Option<Duration>,
}

impl Span {
    fn start() -> Self {
        Self {
            wall: Instant::now(),
            cpu: thread_cpu(),
        }
    }

    fn stop(&self) -> (Duration, Option<Duration>) {
        let cpu = self.cpu.zip(thread_cpu()).map(|(a, b)| b.saturating_sub(a));
        (self.wall.elapsed(), cpu)
    }
}

fn rate(count: usize, time: Duration) -> f64 {
    count as f64 / time.as_secs_f64()
}

fn line(what: &str, count: usize, (wall, cpu): (Duration, Option<Duration>)) {
    let cpu = match cpu {
        Some(cpu) if !cpu.is_zero() => format!(
            "{:>8.0} /CPU-s ({:>6.1} µs CPU each)",
            rate(count, cpu),
            cpu.as_secs_f64() * 1e6 / count as f64
        ),
        _ => "  (work on other threads: wall only)".to_owned(),
    };
    println!(
        "{what:<50} {:>8.0} /s wall  {cpu}  [{count} in {:.2} s]",
        rate(count, wall),
        wall.as_secs_f64()
    );
}

/// `count` distinct deliveries (distinct `webhookId`s), signed by `sign` into `header`.
fn deliveries(
    count: usize,
    header: &str,
    sign: impl Fn(&[u8]) -> String,
) -> Vec<(Headers, Vec<u8>)> {
    let now = Utc::now();
    (0..count)
        .map(|n| {
            let body = contact_create(now, &format!("bench-{header}-{n}"));
            (vec![(header.to_owned(), sign(&body))], body)
        })
        .collect()
}

async fn measure(
    name: &str,
    verifier_of: impl Fn() -> WebhookVerifier,
    set: &[(Headers, Vec<u8>)],
    rounds: usize,
) {
    let verifier = verifier_of();
    let span = Span::start();
    for _ in 0..rounds {
        for (headers, body) in set {
            verifier.verify_signature(headers, body).unwrap();
        }
    }
    line(
        &format!("{name}: signature only"),
        set.len() * rounds,
        span.stop(),
    );
    // Everything: signature, window, typed decoding, memory replay store (a fresh verifier per
    // round, since every id is accepted once).
    let verifiers: Vec<WebhookVerifier> = (0..rounds).map(|_| verifier_of()).collect();
    let span = Span::start();
    for verifier in &verifiers {
        for (headers, body) in set {
            verifier.verify(headers, body).await.unwrap();
        }
    }
    line(
        &format!("{name}: full verify()"),
        set.len() * rounds,
        span.stop(),
    );
}

#[tokio::test]
#[ignore = "measurement: run in release with --ignored --nocapture"]
async fn verified_events_per_second() {
    let signer = Signer::bench();
    let body_len = contact_create(Utc::now(), "size").len();
    println!(
        "payload: documented ContactCreate example + timestamp + webhookId ({body_len} bytes); \
         one task on a current-thread runtime"
    );
    println!("full verify() = signature + timestamp window + typed decoding + memory replay store");

    let ed_set = deliveries(20_000, "x-ghl-signature", |b| signer.ed25519(b));
    let ed_key = signer.ed_public.clone();
    measure(
        "Ed25519",
        || WebhookVerifier::builder().keys([ed_key.clone()]).build(),
        &ed_set,
        1,
    )
    .await;

    let span = Span::start();
    let rsa_set = deliveries(300, "x-wh-signature", |b| signer.rsa(b));
    line(
        "(RSA-4096 signing, for reference)",
        rsa_set.len(),
        span.stop(),
    );
    let rsa_key = signer.rsa_public.clone();
    measure(
        "RSA-4096 PKCS#1 SHA-256",
        || WebhookVerifier::builder().keys([rsa_key.clone()]).build(),
        &rsa_set,
        20,
    )
    .await;

    let (_, body) = &ed_set[0];
    let n = 50_000;
    let span = Span::start();
    for _ in 0..n {
        let envelope = WebhookEnvelope::from_slice(body).unwrap();
        let event = WebhookEvent::from_slice_as(envelope.event_type, body).unwrap();
        std::hint::black_box(event);
    }
    line("decode only (envelope + ContactCreate)", n, span.stop());

    let later = Utc::now() + TimeDelta::minutes(5);
    let ids: Vec<WebhookId> = (0..100_000)
        .map(|i| WebhookId::from(format!("id-{i}")))
        .collect();
    let memory = MemoryReplayStore::new(200_000);
    let span = Span::start();
    for id in &ids {
        memory.insert_if_absent(id, later).await.unwrap();
    }
    line(
        "MemoryReplayStore::insert_if_absent",
        ids.len(),
        span.stop(),
    );

    #[cfg(feature = "webhooks-sqlite")]
    {
        use std::sync::Arc;
        let dir = tempfile::tempdir().unwrap();
        let sqlite: Arc<dyn ReplayStore> = Arc::new(
            ghl_client::webhooks::SqliteReplayStore::open(dir.path().join("replay.sqlite3"))
                .unwrap(),
        );
        let span = Span::start();
        for id in &ids[..5_000] {
            sqlite.insert_if_absent(id, later).await.unwrap();
        }
        let (wall, _) = span.stop();
        line(
            "SqliteReplayStore::insert_if_absent (file)",
            5_000,
            (wall, None),
        );
        let ed_sqlite = deliveries(5_000, "x-ghl-signature", |b| signer.ed25519(b));
        let verifier = WebhookVerifier::builder()
            .keys([signer.ed_public.clone()])
            .shared_replay_store(Arc::clone(&sqlite))
            .build();
        let span = Span::start();
        for (headers, body) in &ed_sqlite {
            verifier.verify(headers, body).await.unwrap();
        }
        let (wall, _) = span.stop();
        line(
            "Ed25519: full verify() with the SQLite store",
            ed_sqlite.len(),
            (wall, None),
        );
    }
}
