//! One conformance suite, run against every store implementation.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{TimeZone, Utc};
use serde_json::json;
use sync_core::entity::EntityKind;
use sync_core::store::{
    Checkpoint, CheckpointStore, KvStore, Mapping, MappingState, MappingStore, MemoryStore,
};
#[cfg(feature = "sqlite")]
use sync_core::store::{SqliteStore, StoreError};

fn mapping(entity: EntityKind, id: &str, ghl: Option<&str>, state: MappingState) -> Mapping {
    Mapping {
        entity,
        phorest_id: id.to_owned(),
        ghl_id: ghl.map(str::to_owned),
        state,
        content_hash: Some(format!("v1:{id}")),
        owned_tags: vec![
            "phorest:category:vip".into(),
            format!("phorest-client-id:{id}"),
        ],
        attempts: 2,
        last_error: Some("HTTP 502 from GHL; will retry".into()),
        // Sub-second precision must survive a round trip.
        updated_at: Utc.with_ymd_and_hms(2026, 3, 29, 1, 30, 15).unwrap()
            + chrono::Duration::nanoseconds(123_456_789),
    }
}

async fn conformance<S>(store: S)
where
    S: MappingStore + CheckpointStore + KvStore,
{
    use EntityKind::{Client, Staff};
    use MappingState::{Failed, Pending, Synced};

    // Empty store.
    assert_eq!(store.get(Client, "c1").await.unwrap(), None);
    assert_eq!(store.count(Client, None).await.unwrap(), 0);
    assert!(
        store
            .get_many(Client, &["c1".into()])
            .await
            .unwrap()
            .is_empty()
    );
    store.delete(Client, "missing").await.unwrap();

    // put / get round trip, unicode and odd ids included.
    let odd = mapping(
        Client,
        "-Vt_3GiaA'; DROP TABLE mappings;--",
        Some("g9"),
        Synced,
    );
    let unicode = mapping(Client, "clïent-日本", None, Pending);
    for m in [&odd, &unicode] {
        store.put(m).await.unwrap();
        assert_eq!(
            store.get(Client, &m.phorest_id).await.unwrap().as_ref(),
            Some(m)
        );
    }

    // Upsert replaces; the key is (entity, phorest_id).
    let mut updated = unicode.clone();
    updated.state = Synced;
    updated.ghl_id = Some("g-new".into());
    updated.owned_tags.clear();
    updated.last_error = None;
    updated.content_hash = None;
    store.put(&updated).await.unwrap();
    assert_eq!(
        store.get(Client, &unicode.phorest_id).await.unwrap(),
        Some(updated.clone())
    );
    let staff_same_id = mapping(Staff, &unicode.phorest_id, Some("s1"), Pending);
    store.put(&staff_same_id).await.unwrap();
    assert_eq!(
        store.get(Client, &unicode.phorest_id).await.unwrap(),
        Some(updated.clone())
    );
    assert_eq!(
        store.get(Staff, &unicode.phorest_id).await.unwrap(),
        Some(staff_same_id)
    );

    // put_many and get_many.
    let batch: Vec<Mapping> = (0..120)
        .map(|i| {
            let state = [Pending, Synced, Failed][i % 3];
            let ghl = if i % 10 == 0 { Some("shared") } else { None };
            mapping(Client, &format!("b{i:03}"), ghl, state)
        })
        .collect();
    store.put_many(&batch).await.unwrap();
    let ids: Vec<String> = vec!["b000".into(), "b119".into(), "nope".into()];
    let got: HashMap<String, Mapping> = store.get_many(Client, &ids).await.unwrap();
    assert_eq!(got.len(), 2);
    assert_eq!(got["b000"], batch[0]);
    assert_eq!(got["b119"], batch[119]);
    store.put_many(&[]).await.unwrap();

    // find_by_ghl_id: sorted by phorest id, scoped by entity.
    let shared = store.find_by_ghl_id(Client, "shared").await.unwrap();
    let shared_ids: Vec<&str> = shared.iter().map(|m| m.phorest_id.as_str()).collect();
    assert_eq!(
        shared_ids,
        [
            "b000", "b010", "b020", "b030", "b040", "b050", "b060", "b070", "b080", "b090", "b100",
            "b110"
        ]
    );
    assert!(
        store
            .find_by_ghl_id(Staff, "shared")
            .await
            .unwrap()
            .is_empty()
    );

    // list_by_state: sorted, limited; count per state.
    let failed = store.list_by_state(Client, Failed, 5).await.unwrap();
    let failed_ids: Vec<&str> = failed.iter().map(|m| m.phorest_id.as_str()).collect();
    assert_eq!(failed_ids, ["b002", "b005", "b008", "b011", "b014"]);
    assert!(failed.iter().all(|m| m.state == Failed));
    assert!(
        store
            .list_by_state(Client, Failed, 0)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(store.count(Client, Some(Failed)).await.unwrap(), 40);
    assert_eq!(store.count(Client, Some(Pending)).await.unwrap(), 40);
    // 40 synced from the batch + odd + updated.
    assert_eq!(store.count(Client, Some(Synced)).await.unwrap(), 42);
    assert_eq!(store.count(Client, None).await.unwrap(), 122);
    assert_eq!(store.count(Staff, None).await.unwrap(), 1);

    // delete.
    store.delete(Client, "b000").await.unwrap();
    assert_eq!(store.get(Client, "b000").await.unwrap(), None);
    assert_eq!(store.count(Client, None).await.unwrap(), 121);

    // Checkpoints.
    assert_eq!(store.load("clients").await.unwrap(), None);
    let mut cp = Checkpoint::new("clients");
    cp.watermark = Some(Utc.with_ymd_and_hms(2026, 10, 25, 0, 59, 59).unwrap());
    cp.run_started_at = Some(Utc::now());
    cp.cursor = Some(json!({"branch": "b1", "page": 7, "window": ["2026-01-01", "2026-01-31"]}));
    store.save(&cp).await.unwrap();
    assert_eq!(store.load("clients").await.unwrap(), Some(cp.clone()));
    cp.completed = true;
    cp.cursor = None;
    store.save(&cp).await.unwrap();
    assert_eq!(store.load("clients").await.unwrap(), Some(cp.clone()));
    store.clear("clients").await.unwrap();
    assert_eq!(store.load("clients").await.unwrap(), None);
    store.clear("never-saved").await.unwrap();

    // Key-value.
    assert_eq!(store.get_value("custom_fields").await.unwrap(), None);
    let v = json!({"contact.loyalty_points": "abc123", "n": 1.5, "list": [null, true]});
    store.set_value("custom_fields", &v).await.unwrap();
    assert_eq!(store.get_value("custom_fields").await.unwrap(), Some(v));
    store
        .set_value("custom_fields", &json!("replaced"))
        .await
        .unwrap();
    assert_eq!(
        store.get_value("custom_fields").await.unwrap(),
        Some(json!("replaced"))
    );
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
        assert_eq!(store.schema_version().await.unwrap(), 1);
        store.put(&m).await.unwrap();
        store.save(&Checkpoint::new("appointments")).await.unwrap();
        store.set_value("k", &json!(1)).await.unwrap();
    }
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.schema_version().await.unwrap(), 1);
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
    assert_eq!(indexes, ["mappings_by_ghl_id", "mappings_by_state"]);
    assert_eq!(store.get_value("k").await.unwrap(), Some(json!(1)));
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
