//! Per-record cost of a large sync's store operations: `PostgresStore` next to `SqliteStore`.
//!
//! ```text
//! PHOREST_GHL_TEST_POSTGRES=postgres://user:pw@127.0.0.1/db \
//!   cargo run --release -p sync-core --features postgres --example store_bench -- 10000
//! ```
//!
//! Prints a table (microseconds per record or per call, and the ratio Postgres / SQLite); it
//! asserts nothing about time. SQLite is a file in a temporary directory (WAL, as the example
//! binary uses it); Postgres is a fresh schema, dropped at the end.

use std::time::{Duration, Instant};

use sync_core::entity::EntityKind;
use sync_core::store::{Checkpoint, Mapping, MappingState, PostgresStore, SqliteStore, Store};

fn mapping(i: usize, round: u32) -> Mapping {
    let id = format!("client-{i:07}");
    let mut m = Mapping::new(EntityKind::Client, id.as_str());
    m.mark_synced(format!("ghl-contact-{i:07}"));
    m.content_hash = Some(format!("v1:{i:016x}:{round}"));
    m.owned_tags = vec![
        "phorest:category:vip".into(),
        format!("phorest-client-id:{id}"),
    ];
    m.last_written = Some(serde_json::json!({
        "firstName": "Ann", "lastName": format!("Example {i}"),
        "email": format!("ann{i}@example.com"), "phone": "+15551234567",
        "customFields": [{"id": "f1", "value": round}],
    }));
    m
}

/// One measured operation: its label, what a unit is, and the time per unit of each store.
struct Row {
    label: String,
    unit: &'static str,
    per_unit: Vec<Duration>,
}

async fn run<S: Store>(store: &S, n: usize, rows: &mut Vec<Row>, col: usize) {
    let ids: Vec<String> = (0..n).map(|i| format!("client-{i:07}")).collect();
    let singles = n.min(1000);
    let mut record = |label: String, unit: &'static str, elapsed: Duration, units: usize| {
        let per = elapsed / u32::try_from(units.max(1)).unwrap_or(u32::MAX);
        match rows.iter_mut().find(|r| r.label == label) {
            Some(r) => r.per_unit.push(per),
            None => {
                assert_eq!(col, 0);
                rows.push(Row {
                    label,
                    unit,
                    per_unit: vec![per],
                });
            }
        }
    };

    // A first sync: every record written, a page at a time.
    let batch: Vec<Mapping> = (0..n).map(|i| mapping(i, 0)).collect();
    let t = Instant::now();
    for page in batch.chunks(100) {
        store.put_many(page).await.unwrap();
    }
    record(
        "put_many, pages of 100 (insert)".into(),
        "record",
        t.elapsed(),
        n,
    );

    // Everything rewritten in one batch.
    let batch: Vec<Mapping> = (0..n).map(|i| mapping(i, 1)).collect();
    let t = Instant::now();
    store.put_many(&batch).await.unwrap();
    record(
        format!("put_many, one batch of {n} (update)"),
        "record",
        t.elapsed(),
        n,
    );

    // A later sync reads what it wrote, a page at a time.
    let t = Instant::now();
    for page in ids.chunks(100) {
        let got = store.get_many(EntityKind::Client, page).await.unwrap();
        assert_eq!(got.len(), page.len());
    }
    record("get_many, pages of 100".into(), "record", t.elapsed(), n);

    // Audits and retries page through mappings.
    let t = Instant::now();
    let mut after: Option<String> = None;
    let mut seen = 0;
    loop {
        let page = store
            .list(
                EntityKind::Client,
                Some(MappingState::Synced),
                after.as_deref(),
                500,
            )
            .await
            .unwrap();
        let Some(last) = page.last() else { break };
        after = Some(last.phorest_id.clone());
        seen += page.len();
    }
    assert_eq!(seen, n);
    record(
        "list (state filter), pages of 500".into(),
        "record",
        t.elapsed(),
        n,
    );

    let t = Instant::now();
    assert_eq!(
        store.count(EntityKind::Client, None).await.unwrap(),
        n as u64
    );
    record("count".into(), "call", t.elapsed(), 1);

    // Per-record calls, as the executor makes around each GHL write.
    let t = Instant::now();
    for id in ids.iter().take(singles) {
        store.get(EntityKind::Client, id).await.unwrap().unwrap();
    }
    record("get, one record".into(), "call", t.elapsed(), singles);

    let t = Instant::now();
    for i in 0..singles {
        store.put(&mapping(i, 2)).await.unwrap();
    }
    record(
        "put, one record (ack after a GHL write)".into(),
        "call",
        t.elapsed(),
        singles,
    );

    let t = Instant::now();
    for i in 0..singles {
        let mut m = mapping(i, 3);
        m.phorest_id = format!("new-{i:07}");
        m.ghl_id = Some(format!("ghl-new-{i:07}"));
        store.claim(&m).await.unwrap();
    }
    record("claim, one new record".into(), "call", t.elapsed(), singles);

    // What the executor does per page of 100 new clients: read their mappings, record an
    // intent before each create and the acknowledgement after it, save the checkpoint.
    let pages = (singles / 100).max(1);
    let mut cp = Checkpoint::new("clients");
    let t = Instant::now();
    for page in 0..pages {
        let new: Vec<String> = (0..100).map(|i| format!("page-{page:04}-{i:03}")).collect();
        store.get_many(EntityKind::Client, &new).await.unwrap();
        for (i, id) in new.iter().enumerate() {
            let mut m = Mapping::new(EntityKind::Client, id.as_str());
            store.put(&m).await.unwrap();
            m.mark_synced(format!("ghl-page-{page:04}-{i:03}"));
            store.put(&m).await.unwrap();
        }
        cp.cursor = Some(serde_json::json!({"branch": "b1", "page": page}));
        store.save(&cp).await.unwrap();
    }
    record(
        "a first sync's page (per record)".into(),
        "record",
        t.elapsed(),
        pages * 100,
    );

    // And per page of an incremental run where nothing changed.
    let t = Instant::now();
    for (page, ids) in ids.chunks(100).enumerate() {
        store.get_many(EntityKind::Client, ids).await.unwrap();
        cp.cursor = Some(serde_json::json!({"branch": "b1", "page": page}));
        store.save(&cp).await.unwrap();
    }
    record(
        "an unchanged page (per record)".into(),
        "record",
        t.elapsed(),
        n,
    );

    let t = Instant::now();
    for page in 0..singles {
        cp.cursor = Some(serde_json::json!({"branch": "b1", "page": page}));
        store.save(&cp).await.unwrap();
    }
    record("checkpoint save".into(), "call", t.elapsed(), singles);
    let t = Instant::now();
    for _ in 0..singles {
        store.load("clients").await.unwrap().unwrap();
    }
    record("checkpoint load".into(), "call", t.elapsed(), singles);
}

#[tokio::main]
async fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .map(|a| a.parse().expect("the record count"))
        .unwrap_or(10_000);
    let Ok(url) = std::env::var("PHOREST_GHL_TEST_POSTGRES") else {
        eprintln!("set PHOREST_GHL_TEST_POSTGRES=postgres://user:password@host/db");
        std::process::exit(2);
    };
    let dir = std::env::temp_dir().join(format!("store-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let schema = format!("bench_{}", std::process::id());

    // Other processes share the machine: run each store `rounds` times, alternating, each
    // round on fresh tables, and keep each operation's best time.
    let rounds: usize = std::env::args()
        .nth(2)
        .map(|a| a.parse().expect("the number of rounds"))
        .unwrap_or(3);
    let mut rows: Vec<Row> = Vec::new();
    for round in 0..rounds {
        let sqlite = SqliteStore::open(dir.join(format!("bench-{round}.sqlite3"))).unwrap();
        let postgres = PostgresStore::builder(url.clone())
            .schema(format!("{schema}_{round}"))
            .connect()
            .await
            .unwrap();
        let mut this = Vec::new();
        run(&sqlite, n, &mut this, 0).await;
        run(&postgres, n, &mut this, 1).await;
        if rows.is_empty() {
            rows = this;
        } else {
            for (best, r) in rows.iter_mut().zip(this) {
                for (b, t) in best.per_unit.iter_mut().zip(r.per_unit) {
                    *b = (*b).min(t);
                }
            }
        }
    }

    println!(
        "{n} client mappings; time per record (batched operations) or per call; best of {rounds} rounds"
    );
    println!(
        "{:<42} {:>7} {:>12} {:>12} {:>7}",
        "operation", "unit", "sqlite µs", "postgres µs", "ratio"
    );
    for r in &rows {
        let (s, p) = (r.per_unit[0], r.per_unit[1]);
        println!(
            "{:<42} {:>7} {:>12.1} {:>12.1} {:>6.2}×",
            r.label,
            r.unit,
            s.as_secs_f64() * 1e6,
            p.as_secs_f64() * 1e6,
            p.as_secs_f64() / s.as_secs_f64().max(1e-9)
        );
    }

    if std::env::var_os("STORE_BENCH_KEEP").is_some() {
        eprintln!("kept schemas {schema}_*");
        return;
    }
    let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    for round in 0..rounds {
        client
            .batch_execute(&format!("DROP SCHEMA \"{schema}_{round}\" CASCADE"))
            .await
            .unwrap();
    }
    let _ = std::fs::remove_dir_all(&dir);
}
