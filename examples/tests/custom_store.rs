//! The custom-host example's store honours the sync-core store contract: the same conformance
//! suite the shipped stores pass (`sync_core::store::testing`).

use phorest_ghl_examples::custom_store::LoggingStore;
use sync_core::store::{SqliteStore, testing};
use sync_core::{EntityKind, Mapping, MappingState, MappingStore};

#[tokio::test]
async fn logging_store_over_memory_passes_the_store_contract() {
    let store = LoggingStore::new("test");
    testing::conformance(store.clone()).await;
    assert!(store.write_count() > 0, "every write is counted");
}

#[tokio::test]
async fn logging_store_over_sqlite_passes_the_store_contract() {
    let store = LoggingStore::wrap("test", SqliteStore::open_in_memory().unwrap());
    testing::conformance(store).await;
}

#[tokio::test]
async fn clones_share_data_and_the_write_count() {
    let store = LoggingStore::new("test");
    let clone = store.clone();
    let mut m = Mapping::new(EntityKind::Client, "x");
    m.ghl_id = Some("g".into());
    m.state = MappingState::Synced;
    clone.put(&m).await.unwrap();
    assert_eq!(store.get(EntityKind::Client, "x").await.unwrap(), Some(m));
    assert_eq!(store.snapshot().await.unwrap().len(), 1);
    assert_eq!(store.write_count(), 1);
    assert_eq!(store.write_count(), clone.write_count());
}
