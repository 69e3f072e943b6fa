//! Throughput of webhook verification: prints verified events per second for Ed25519 and RSA
//! (4096-bit, the size of HighLevel's key) with a realistic payload (the documented
//! `ContactCreate` example, about 1 KB). A measurement, not a test: it asserts nothing about
//! speed. Run it in release:
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

fn per_second(count: usize, elapsed: Duration) -> f64 {
    count as f64 / elapsed.as_secs_f64()
}

fn line(what: &str, count: usize, elapsed: Duration) {
    println!(
        "{what:<58} {:>10.0} /s   ({count} in {:.2} s, {:.1} µs each)",
        per_second(count, elapsed),
        elapsed.as_secs_f64(),
        elapsed.as_secs_f64() * 1e6 / count as f64
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
            let headers = vec![(header.to_owned(), sign(&body))];
            (headers, body)
        })
        .collect()
}

async fn measure(
    name: &str,
    verifier_of: impl Fn() -> WebhookVerifier,
    set: &[(Headers, Vec<u8>)],
    rounds: usize,
) {
    // Signature only.
    let verifier = verifier_of();
    let start = Instant::now();
    for _ in 0..rounds {
        for (headers, body) in set {
            verifier.verify_signature(headers, body).unwrap();
        }
    }
    line(
        &format!("{name}: signature only"),
        set.len() * rounds,
        start.elapsed(),
    );
    // Everything: signature, window, typed decoding, memory replay store (a fresh verifier per
    // round, since every id is accepted once).
    let mut elapsed = Duration::ZERO;
    for _ in 0..rounds {
        let verifier = verifier_of();
        let start = Instant::now();
        for (headers, body) in set {
            verifier.verify(headers, body).await.unwrap();
        }
        elapsed += start.elapsed();
    }
    line(
        &format!("{name}: full verify (sig + window + decode + replay)"),
        set.len() * rounds,
        elapsed,
    );
}

#[tokio::test]
#[ignore = "measurement: run in release with --ignored --nocapture"]
async fn verified_events_per_second() {
    let signer = Signer::bench();
    let body_len = contact_create(Utc::now(), "size").len();
    println!(
        "payload: documented ContactCreate example + timestamp + webhookId, {body_len} bytes; one task, one core"
    );

    let ed_set = deliveries(20_000, "x-ghl-signature", |b| signer.ed25519(b));
    let ed_key = signer.ed_public.clone();
    measure(
        "Ed25519",
        || WebhookVerifier::builder().keys([ed_key.clone()]).build(),
        &ed_set,
        1,
    )
    .await;

    let sign_start = Instant::now();
    let rsa_set = deliveries(300, "x-wh-signature", |b| signer.rsa(b));
    line(
        "(RSA-4096 signing, for reference)",
        rsa_set.len(),
        sign_start.elapsed(),
    );
    let rsa_key = signer.rsa_public.clone();
    measure(
        "RSA-4096 PKCS#1 SHA-256",
        || WebhookVerifier::builder().keys([rsa_key.clone()]).build(),
        &rsa_set,
        10,
    )
    .await;

    // The pieces.
    let (_, body) = &ed_set[0];
    let start = Instant::now();
    let n = 50_000;
    for _ in 0..n {
        let envelope = WebhookEnvelope::from_slice(body).unwrap();
        let event = WebhookEvent::from_slice_as(envelope.event_type, body).unwrap();
        std::hint::black_box(event);
    }
    line(
        "decode only (envelope + typed ContactCreate)",
        n,
        start.elapsed(),
    );

    let later = Utc::now() + TimeDelta::minutes(5);
    let ids: Vec<WebhookId> = (0..100_000)
        .map(|i| WebhookId::from(format!("id-{i}")))
        .collect();
    let memory = MemoryReplayStore::new(200_000);
    let start = Instant::now();
    for id in &ids {
        memory.insert_if_absent(id, later).await.unwrap();
    }
    line(
        "MemoryReplayStore insert_if_absent",
        ids.len(),
        start.elapsed(),
    );

    #[cfg(feature = "webhooks-sqlite")]
    {
        use std::sync::Arc;
        let dir = tempfile::tempdir().unwrap();
        let sqlite: Arc<dyn ReplayStore> = Arc::new(
            ghl_client::webhooks::SqliteReplayStore::open(dir.path().join("replay.sqlite3"))
                .unwrap(),
        );
        let start = Instant::now();
        for id in &ids[..5_000] {
            sqlite.insert_if_absent(id, later).await.unwrap();
        }
        line(
            "SqliteReplayStore insert_if_absent (file, spawn_blocking)",
            5_000,
            start.elapsed(),
        );
        let ed_sqlite = deliveries(5_000, "x-ghl-signature", |b| signer.ed25519(b));
        let verifier = WebhookVerifier::builder()
            .keys([signer.ed_public.clone()])
            .shared_replay_store(Arc::clone(&sqlite))
            .build();
        let start = Instant::now();
        for (headers, body) in &ed_sqlite {
            verifier.verify(headers, body).await.unwrap();
        }
        line(
            "Ed25519: full verify with the SQLite store",
            ed_sqlite.len(),
            start.elapsed(),
        );
    }
}
