//! One conformance suite for every `ReplayStore` the crate ships (memory, SQLite).

use std::sync::Arc;

use chrono::{TimeDelta, Utc};
use ghl_client::WebhookId;
use ghl_client::webhooks::{InsertOutcome, MemoryReplayStore, ReplayStore};

/// What any `ReplayStore` must do. `tag` keeps ids distinct between runs on a shared store.
async fn conformance(store: Arc<dyn ReplayStore>, tag: &str) {
    let id = |s: &str| WebhookId::from(format!("{tag}-{s}"));
    let later = Utc::now() + TimeDelta::minutes(5);

    // First sight records, a repeat is seen, another id is independent.
    assert_eq!(
        store.insert_if_absent(&id("a"), later).await.unwrap(),
        InsertOutcome::Inserted
    );
    assert_eq!(
        store.insert_if_absent(&id("a"), later).await.unwrap(),
        InsertOutcome::AlreadySeen
    );
    assert_eq!(
        store.insert_if_absent(&id("b"), later).await.unwrap(),
        InsertOutcome::Inserted
    );

    // An expired record counts as absent: the id is recorded again, then seen.
    let past = Utc::now() - TimeDelta::seconds(1);
    assert_eq!(
        store.insert_if_absent(&id("old"), past).await.unwrap(),
        InsertOutcome::Inserted
    );
    assert_eq!(
        store.insert_if_absent(&id("old"), later).await.unwrap(),
        InsertOutcome::Inserted
    );
    assert_eq!(
        store.insert_if_absent(&id("old"), later).await.unwrap(),
        InsertOutcome::AlreadySeen
    );

    // Atomic per id: of 16 concurrent inserts of one id, exactly one records it.
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let store = Arc::clone(&store);
        let race = id("race");
        tasks.push(tokio::spawn(async move {
            store.insert_if_absent(&race, later).await.unwrap()
        }));
    }
    let mut inserted = 0;
    for task in tasks {
        if task.await.unwrap() == InsertOutcome::Inserted {
            inserted += 1;
        }
    }
    assert_eq!(inserted, 1);

    // Many distinct ids all record.
    for n in 0..300 {
        assert_eq!(
            store
                .insert_if_absent(&id(&format!("many-{n}")), later)
                .await
                .unwrap(),
            InsertOutcome::Inserted
        );
    }
    assert_eq!(
        store.insert_if_absent(&id("many-7"), later).await.unwrap(),
        InsertOutcome::AlreadySeen
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn memory_store_conforms() {
    conformance(Arc::new(MemoryReplayStore::new(1_000)), "mem").await;
}

#[cfg(feature = "webhooks-sqlite")]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_store_conforms() {
    let store = ghl_client::webhooks::SqliteReplayStore::open_in_memory().unwrap();
    conformance(Arc::new(store), "sqlite").await;
}

#[cfg(feature = "webhooks-sqlite")]
#[tokio::test]
async fn sqlite_store_remembers_ids_across_reopen_and_shares_a_file() {
    use ghl_client::webhooks::SqliteReplayStore;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("host.sqlite3");
    // The host's own table in the same file is left alone.
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch("CREATE TABLE host_data (k TEXT); INSERT INTO host_data VALUES ('x');")
            .unwrap();
    }
    let later = Utc::now() + TimeDelta::minutes(5);
    let id = WebhookId::from("persisted");
    {
        let store = SqliteReplayStore::open(&path).unwrap();
        assert_eq!(
            store.insert_if_absent(&id, later).await.unwrap(),
            InsertOutcome::Inserted
        );
        assert_eq!(store.count().await.unwrap(), 1);
    }
    let reopened = SqliteReplayStore::open(&path).unwrap();
    assert_eq!(
        reopened.insert_if_absent(&id, later).await.unwrap(),
        InsertOutcome::AlreadySeen
    );
    let conn = rusqlite::Connection::open(&path).unwrap();
    let kept: String = conn
        .query_row("SELECT k FROM host_data", [], |r| r.get(0))
        .unwrap();
    assert_eq!(kept, "x");
}

#[cfg(feature = "webhooks-sqlite")]
#[tokio::test]
async fn sqlite_store_purges_expired_rows() {
    let store = ghl_client::webhooks::SqliteReplayStore::open_in_memory().unwrap();
    let past = Utc::now() - TimeDelta::seconds(1);
    let later = Utc::now() + TimeDelta::minutes(5);
    // 255 expired rows, then the 256th insert purges them.
    for n in 0..255 {
        store
            .insert_if_absent(&WebhookId::from(format!("gone-{n}")), past)
            .await
            .unwrap();
    }
    assert_eq!(store.count().await.unwrap(), 255);
    store
        .insert_if_absent(&WebhookId::from("kept"), later)
        .await
        .unwrap();
    assert_eq!(store.count().await.unwrap(), 1);
}
