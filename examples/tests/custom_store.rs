//! The custom-host example's store honours the sync-core store contract.

use chrono::Utc;
use phorest_ghl_examples::custom_store::LoggingStore;
use sync_core::{
    Checkpoint, CheckpointStore, EntityKind, Mapping, MappingState, MappingStore, MemoryStore,
};

fn mapping(entity: EntityKind, id: &str, ghl: Option<&str>, state: MappingState) -> Mapping {
    let mut m = Mapping::new(entity, id);
    m.ghl_id = ghl.map(str::to_owned);
    m.state = state;
    m
}

/// Runs the same script against `store` and returns what each step observed, so the custom
/// store can be compared with sync-core's reference `MemoryStore` as well as checked directly.
async fn contract<S: MappingStore + CheckpointStore>(store: &S) -> Vec<String> {
    let mut seen = Vec::new();
    let c = EntityKind::Client;

    // get on an empty store
    assert_eq!(store.get(c, "a").await.unwrap(), None);
    assert_eq!(store.count(c, None).await.unwrap(), 0);

    // put, then get returns the same mapping
    let a = mapping(c, "a", Some("g1"), MappingState::Synced);
    store.put(&a).await.unwrap();
    assert_eq!(store.get(c, "a").await.unwrap(), Some(a.clone()));
    // another entity with the same Phorest id stays separate
    assert_eq!(store.get(EntityKind::Staff, "a").await.unwrap(), None);

    // put replaces
    let mut a2 = a.clone();
    a2.content_hash = Some("h2".into());
    a2.owned_tags = vec!["t1".into()];
    store.put(&a2).await.unwrap();
    assert_eq!(store.get(c, "a").await.unwrap(), Some(a2.clone()));
    assert_eq!(store.count(c, None).await.unwrap(), 1);

    // put_many, inserted out of order
    store
        .put_many(&[
            mapping(c, "d", Some("g2"), MappingState::Failed),
            mapping(c, "b", Some("g1"), MappingState::Synced),
            mapping(c, "c", None, MappingState::Pending),
            mapping(c, "e", None, MappingState::Synced),
            mapping(EntityKind::Staff, "s1", Some("g1"), MappingState::Synced),
        ])
        .await
        .unwrap();

    // get_many: only present ids come back
    let ids: Vec<String> = ["a", "c", "zz"].iter().map(|s| (*s).to_owned()).collect();
    let many = store.get_many(c, &ids).await.unwrap();
    assert_eq!(many.len(), 2);
    assert_eq!(many.get("a"), Some(&a2));
    assert!(many.contains_key("c"));
    assert!(!many.contains_key("zz"));
    assert!(store.get_many(c, &[]).await.unwrap().is_empty());
    assert!(
        store
            .get_many(EntityKind::Product, &ids)
            .await
            .unwrap()
            .is_empty()
    );

    // find_by_ghl_id: this entity only, sorted by Phorest id
    let found = store.find_by_ghl_id(c, "g1").await.unwrap();
    let found_ids: Vec<&str> = found.iter().map(|m| m.phorest_id.as_str()).collect();
    assert_eq!(found_ids, ["a", "b"]);
    assert!(store.find_by_ghl_id(c, "nope").await.unwrap().is_empty());
    seen.push(format!("find_by_ghl_id {found_ids:?}"));

    // list_by_state: sorted, limited
    let synced = store
        .list_by_state(c, MappingState::Synced, 10)
        .await
        .unwrap();
    let synced_ids: Vec<&str> = synced.iter().map(|m| m.phorest_id.as_str()).collect();
    assert_eq!(synced_ids, ["a", "b", "e"]);
    let limited = store
        .list_by_state(c, MappingState::Synced, 2)
        .await
        .unwrap();
    assert_eq!(limited.len(), 2);
    assert_eq!(limited[0].phorest_id, "a");
    assert!(
        store
            .list_by_state(c, MappingState::Skipped, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .list_by_state(c, MappingState::Synced, 0)
            .await
            .unwrap()
            .is_empty()
    );
    seen.push(format!("list_by_state {synced_ids:?}"));

    // count, per state
    assert_eq!(store.count(c, None).await.unwrap(), 5);
    assert_eq!(store.count(c, Some(MappingState::Synced)).await.unwrap(), 3);
    assert_eq!(
        store.count(c, Some(MappingState::Pending)).await.unwrap(),
        1
    );
    assert_eq!(store.count(c, Some(MappingState::Failed)).await.unwrap(), 1);
    assert_eq!(
        store.count(c, Some(MappingState::Skipped)).await.unwrap(),
        0
    );
    assert_eq!(store.count(EntityKind::Staff, None).await.unwrap(), 1);
    assert_eq!(store.count(EntityKind::Product, None).await.unwrap(), 0);

    // delete, and deleting a missing mapping is not an error
    store.delete(c, "b").await.unwrap();
    store.delete(c, "b").await.unwrap();
    store.delete(EntityKind::Product, "x").await.unwrap();
    assert_eq!(store.get(c, "b").await.unwrap(), None);
    assert_eq!(store.count(c, None).await.unwrap(), 4);
    let found = store.find_by_ghl_id(c, "g1").await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(store.count(EntityKind::Staff, None).await.unwrap(), 1);
    seen.push(format!(
        "after delete: {}",
        store.count(c, None).await.unwrap()
    ));

    // checkpoints: load missing, save, replace, clear
    assert_eq!(store.load("client").await.unwrap(), None);
    let mut cp = Checkpoint::new("client");
    cp.run_started_at = Some(Utc::now());
    cp.cursor = Some(serde_json::json!({"branch": "b1", "page": 3}));
    store.save(&cp).await.unwrap();
    assert_eq!(store.load("client").await.unwrap(), Some(cp.clone()));
    cp.watermark = cp.run_started_at.take();
    cp.cursor = None;
    cp.completed = true;
    store.save(&cp).await.unwrap();
    assert_eq!(store.load("client").await.unwrap(), Some(cp.clone()));
    let other = Checkpoint::new("client:branch-2");
    store.save(&other).await.unwrap();
    store.clear("client").await.unwrap();
    store.clear("client").await.unwrap();
    assert_eq!(store.load("client").await.unwrap(), None);
    assert_eq!(store.load("client:branch-2").await.unwrap(), Some(other));
    seen.push("checkpoints ok".into());
    seen
}

#[tokio::test]
async fn logging_store_passes_the_store_contract() {
    let store = LoggingStore::new("test");
    contract(&store).await;
    assert!(store.write_count() > 0);
}

#[tokio::test]
async fn logging_store_behaves_like_memory_store() {
    let custom = contract(&LoggingStore::new("test")).await;
    let reference = contract(&MemoryStore::new()).await;
    assert_eq!(custom, reference);
}

#[tokio::test]
async fn clones_share_data() {
    let store = LoggingStore::new("test");
    let clone = store.clone();
    let m = mapping(EntityKind::Client, "x", Some("g"), MappingState::Synced);
    clone.put(&m).await.unwrap();
    assert_eq!(store.get(EntityKind::Client, "x").await.unwrap(), Some(m));
    assert_eq!(store.snapshot().len(), 1);
    assert_eq!(store.write_count(), clone.write_count());
}
