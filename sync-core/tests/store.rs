//! One conformance suite, run against every store implementation.

use std::sync::Arc;

use serde_json::json;
use sync_core::entity::EntityKind;
use sync_core::store::{
    Checkpoint, CheckpointStore, KvStore, Mapping, MappingState, MappingStore, MemoryStore, testing,
};
#[cfg(feature = "sqlite")]
use sync_core::store::{SqliteStore, StoreError};

fn mapping(entity: EntityKind, id: &str, ghl: Option<&str>, state: MappingState) -> Mapping {
    testing::sample_mapping(entity, id, ghl, state)
}

async fn conformance<S: sync_core::store::Store + Clone + 'static>(store: S) {
    testing::conformance(store).await;
}

#[tokio::test]
async fn memory_store_conforms() {
    conformance(MemoryStore::new()).await;
}

#[cfg(feature = "sqlite")]
#[tokio::test]
async fn sqlite_store_conforms() {
    conformance(SqliteStore::open_in_memory().unwrap()).await;
}

#[tokio::test]
async fn shared_arc_store_conforms() {
    conformance(Arc::new(MemoryStore::new())).await;
}

#[tokio::test]
async fn memory_clones_share_data() {
    let a = MemoryStore::new();
    let b = a.clone();
    a.put(&Mapping::new(EntityKind::Product, "p1"))
        .await
        .unwrap();
    assert_eq!(
        b.count(EntityKind::Product, Some(MappingState::Pending))
            .await
            .unwrap(),
        1
    );
}

#[cfg(feature = "sqlite")]
#[tokio::test]
async fn sqlite_reopen_keeps_data_and_schema_version() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sync.sqlite3");
    let m = mapping(
        EntityKind::Appointment,
        "a1",
        Some("evt1"),
        MappingState::Synced,
    );
    {
        let store = SqliteStore::open(&path).unwrap();
        assert_eq!(store.schema_version().await.unwrap(), 2);
        store.put(&m).await.unwrap();
        store.save(&Checkpoint::new("appointments")).await.unwrap();
        store.set_value("k", &json!(1)).await.unwrap();
    }
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.schema_version().await.unwrap(), 2);
    assert_eq!(
        store.get(EntityKind::Appointment, "a1").await.unwrap(),
        Some(m)
    );
    assert!(store.load("appointments").await.unwrap().is_some());
    // The file is in WAL mode with the lookup indexes.
    let raw = rusqlite::Connection::open(&path).unwrap();
    let mode: String = raw
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    let mut stmt = raw
        .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'mappings' ORDER BY name")
        .unwrap();
    let indexes: Vec<String> = stmt
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(indexes, ["mappings_by_object", "mappings_by_state"]);
    assert_eq!(store.get_value("k").await.unwrap(), Some(json!(1)));
}

/// A state file written by version 1 of the schema (sync-core 0.1 before leases and claims)
/// opens, keeps its data, and knows which GHL object each mapping owns.
#[cfg(feature = "sqlite")]
#[tokio::test]
async fn sqlite_migrates_a_version_1_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v1.sqlite3");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(
            "CREATE TABLE mappings (
                entity TEXT NOT NULL, phorest_id TEXT NOT NULL, ghl_id TEXT, state TEXT NOT NULL,
                content_hash TEXT, owned_tags TEXT NOT NULL DEFAULT '[]',
                attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT, updated_at TEXT NOT NULL,
                PRIMARY KEY (entity, phorest_id)) WITHOUT ROWID;
            CREATE INDEX mappings_by_ghl_id ON mappings (entity, ghl_id);
            CREATE INDEX mappings_by_state ON mappings (entity, state);
            CREATE TABLE checkpoints (stage TEXT PRIMARY KEY NOT NULL, data TEXT NOT NULL) WITHOUT ROWID;
            CREATE TABLE kv (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL) WITHOUT ROWID;
            INSERT INTO mappings (entity, phorest_id, ghl_id, state, updated_at)
                VALUES ('client', 'c1', 'contact-1', 'synced', '2026-01-01T00:00:00Z'),
                       ('loyalty', 'c1', 'contact-1', 'synced', '2026-01-01T00:00:00Z');
            INSERT INTO checkpoints (stage, data) VALUES ('clients',
                '{\"stage\":\"clients\",\"watermark\":null,\"run_started_at\":null,\"cursor\":null,\"completed\":true,\"updated_at\":\"2026-01-01T00:00:00Z\"}');
            PRAGMA user_version = 1;",
        )
        .unwrap();
    }
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.schema_version().await.unwrap(), 2);
    let owner = store
        .owner_of(sync_core::entity::GhlObject::Contact, "contact-1")
        .await
        .unwrap()
        .expect("the client owns its contact after the migration");
    assert_eq!(
        (owner.entity, owner.phorest_id.as_str()),
        (EntityKind::Client, "c1")
    );
    assert_eq!(owner.last_written, None);
    let cp = store.load("clients").await.unwrap().unwrap();
    assert_eq!(cp.target, None);
    assert!(cp.completed);
    // A second client cannot take the migrated contact.
    let thief = mapping(
        EntityKind::Client,
        "c2",
        Some("contact-1"),
        MappingState::Synced,
    );
    assert!(matches!(
        store.claim(&thief).await.unwrap(),
        sync_core::store::Claim::Taken { .. }
    ));
}

#[cfg(feature = "sqlite")]
#[tokio::test]
async fn sqlite_refuses_a_newer_schema() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("future.sqlite3");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
    }
    match SqliteStore::open(&path) {
        Err(StoreError::Corrupt(msg)) => assert!(msg.contains("99"), "{msg}"),
        other => panic!("expected a schema error, got {other:?}"),
    }
}

#[cfg(feature = "sqlite")]
#[tokio::test]
async fn sqlite_reports_corrupt_rows_as_typed_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("corrupt.sqlite3");
    drop(SqliteStore::open(&path).unwrap());
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute(
            "INSERT INTO mappings (entity, phorest_id, state, owned_tags, updated_at) VALUES ('client', 'x', 'weird', '[]', '2026-01-01T00:00:00Z')",
            [],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO mappings (entity, phorest_id, state, owned_tags, updated_at) VALUES ('client', 'y', 'synced', 'not json', '2026-01-01T00:00:00Z')",
            [],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO mappings (entity, phorest_id, state, owned_tags, updated_at) VALUES ('gizmo', 'z', 'synced', '[]', '2026-01-01T00:00:00Z')",
            [],
        )
        .unwrap();
    }
    let store = SqliteStore::open(&path).unwrap();
    for id in ["x", "y"] {
        assert!(
            matches!(
                store.get(EntityKind::Client, id).await,
                Err(StoreError::Corrupt(_))
            ),
            "{id}"
        );
    }
    // Rows of unknown entities are invisible to typed queries, never a panic.
    assert_eq!(store.count(EntityKind::Client, None).await.unwrap(), 2);
}

#[cfg(feature = "sqlite")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_clones_share_one_connection_across_tasks() {
    let store = SqliteStore::open_in_memory().unwrap();
    // Two clones on separate tasks write concurrently through one connection.
    let a = store.clone();
    let b = store.clone();
    let ta = tokio::spawn(async move {
        let ms: Vec<Mapping> = (0..200)
            .map(|i| Mapping::new(EntityKind::Client, format!("a{i}")))
            .collect();
        a.put_many(&ms).await.unwrap();
    });
    let tb = tokio::spawn(async move {
        for i in 0..50 {
            b.put(&Mapping::new(EntityKind::Client, format!("b{i}")))
                .await
                .unwrap();
        }
    });
    ta.await.unwrap();
    tb.await.unwrap();
    assert_eq!(store.count(EntityKind::Client, None).await.unwrap(), 250);
}

#[tokio::test]
async fn stores_work_as_trait_objects() {
    let mappings: Arc<dyn MappingStore> = Arc::new(MemoryStore::new());
    let checkpoints: Arc<dyn CheckpointStore> = Arc::new(MemoryStore::new());
    let kv: Arc<dyn KvStore> = Arc::new(MemoryStore::new());
    let m = mapping(
        EntityKind::CheckIn,
        "apt1",
        Some("note1"),
        MappingState::Synced,
    );
    mappings.put(&m).await.unwrap();
    assert_eq!(
        mappings.get(EntityKind::CheckIn, "apt1").await.unwrap(),
        Some(m)
    );
    checkpoints
        .save(&Checkpoint::new("check_in"))
        .await
        .unwrap();
    assert!(checkpoints.load("check_in").await.unwrap().is_some());
    kv.set_value("x", &json!([1])).await.unwrap();
    assert_eq!(kv.get_value("x").await.unwrap(), Some(json!([1])));
}
