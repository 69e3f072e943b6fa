//! End-to-end: products and their prices, and purchase tags, against both sandboxes. Assertions
//! are on the GHL sandbox's stored state and on the exact requests it received.
#![cfg(feature = "mock")]

mod common;

use std::collections::{BTreeMap, BTreeSet};

use futures::TryStreamExt;
use ghl_client::RetryPolicy;
use ghl_client::mock::Faults;
use phorest_client::ProductQuery;
use phorest_client::mock::SalonSpec;
use serde_json::{Value, json};
use sync_core::hash::content_hash;
use sync_core::sandbox::{SandboxSetup, Sandboxes};
use sync_core::store::{Checkpoint, CheckpointStore, MappingState, MappingStore};
use sync_core::{EntityKind, MemoryStore, RunStatus, SyncConfig, SyncPlan, SyncReport};
use tokio_util::sync::CancellationToken;

use common::run;

fn products_only() -> SyncConfig {
    SyncConfig::only([EntityKind::Product])
}

/// `(method, path)` of every request the GHL sandbox received since the last reset.
/// The GHL requests of the last run, without the preflight's location check.
fn ghl_calls(sb: &Sandboxes) -> Vec<(String, String)> {
    sb.ghl
        .requests()
        .into_iter()
        .filter(|r| {
            !(r.method == "GET"
                && r.path.starts_with("/locations/")
                && r.path.matches('/').count() == 2)
        })
        .map(|r| (r.method, r.path))
        .collect()
}

fn call(method: &str, path: &str) -> (String, String) {
    (method.to_owned(), path.to_owned())
}

fn warnings_of(report: &SyncReport, id: &str) -> Vec<String> {
    report
        .issues
        .iter()
        .filter(|i| i.entity == EntityKind::Product && i.phorest_id == id)
        .map(|i| i.reason.clone())
        .collect()
}

/// A synced product: its Phorest id, GHL id and the id of its one GHL price.
async fn synced_product(sb: &Sandboxes, store: &MemoryStore) -> (String, String, String) {
    let products = sb.phorest.with_salon(|s| s.products().to_vec());
    for p in products.iter().filter(|p| !p.archived && p.price > 0.0) {
        let Some(m) = store.get(EntityKind::Product, &p.product_id).await.unwrap() else {
            continue;
        };
        let pid = m.ghl_id.unwrap();
        let prices = sb.ghl.prices(&pid);
        assert_eq!(prices.len(), 1, "one price per product");
        let price_id = prices[0]["_id"].as_str().unwrap().to_owned();
        return (p.product_id.clone(), pid, price_id);
    }
    panic!("no synced product with a price");
}

fn ghl_product(sb: &Sandboxes, pid: &str) -> Value {
    sb.ghl
        .products()
        .into_iter()
        .find(|p| p["_id"] == pid)
        .unwrap()
}

#[tokio::test]
async fn a_changed_price_is_pushed_with_only_the_requests_it_needs() {
    let sb = Sandboxes::start(SalonSpec::small(21), SandboxSetup::default()).await;
    let store = MemoryStore::new();
    let first = run(&sb, &store, products_only()).await;
    assert_eq!(first.status, RunStatus::Completed, "{}", first.to_table());
    let (id, pid, price_id) = synced_product(&sb, &store).await;
    let old = sb.ghl.prices(&pid)[0]["amount"].as_f64().unwrap();
    let price_path = format!("/products/{pid}/price/{price_id}");

    // 1. Only the price changes: the price the sync wrote (its id is in the mapping) is updated
    //    directly, without reading the list. The product itself is unchanged, so it is not
    //    written.
    let new_amount = ((old + 3.25) * 100.0).round() / 100.0;
    assert!(sb.phorest.update_product(&id, |p| p.price = new_amount));
    sb.ghl.reset_counters();
    let report = run(&sb, &store, products_only()).await;
    assert_eq!(
        ghl_calls(&sb),
        vec![call("PUT", &price_path)],
        "{}",
        report.to_table()
    );
    assert_eq!(sb.ghl.write_count(), 1);
    let stored = sb.ghl.prices(&pid);
    assert_eq!(stored.len(), 1, "the price is updated, not added");
    assert_eq!(stored[0]["_id"], json!(price_id));
    assert_eq!(stored[0]["amount"].as_f64(), Some(new_amount));
    let products = report.entity(EntityKind::Product).unwrap();
    assert_eq!(products.updated, 1, "{}", report.to_table());
    assert_eq!(products.requests, 1);
    assert!(
        warnings_of(&report, &id)
            .iter()
            .all(|w| !w.contains("check its price")),
        "{:?}",
        report.issues
    );

    // 2. No change: no request at all.
    sb.ghl.reset_counters();
    let report = run(&sb, &store, products_only()).await;
    assert_eq!(ghl_calls(&sb), Vec::<(String, String)>::new());
    assert_eq!(report.entity(EntityKind::Product).unwrap().updated, 0);

    // 3. A rename changes the product and its price (the price carries the product's name).
    assert!(
        sb.phorest
            .update_product(&id, |p| p.name = "Renamed serum".into())
    );
    sb.ghl.reset_counters();
    run(&sb, &store, products_only()).await;
    assert_eq!(
        ghl_calls(&sb),
        vec![
            call("PUT", &format!("/products/{pid}")),
            call("PUT", &price_path),
        ]
    );
    assert_eq!(ghl_product(&sb, &pid)["name"], "Renamed serum");
    let stored = sb.ghl.prices(&pid);
    assert_eq!(stored[0]["name"], "Renamed serum");
    assert_eq!(stored[0]["amount"].as_f64(), Some(new_amount));

    // 4. The price disappears from Phorest (an invalid price): the GHL price is left alone,
    //    with a warning, and nothing is written.
    assert!(sb.phorest.update_product(&id, |p| p.price = -1.0));
    sb.ghl.reset_counters();
    let report = run(&sb, &store, products_only()).await;
    assert_eq!(sb.ghl.write_count(), 0, "{:?}", ghl_calls(&sb));
    assert_eq!(sb.ghl.prices(&pid)[0]["amount"].as_f64(), Some(new_amount));
    let warnings = warnings_of(&report, &id);
    assert!(
        warnings.iter().any(|w| w.contains("left as it was")),
        "{warnings:?}"
    );

    // 5. It comes back: the price the sync wrote (its id kept meanwhile) is updated.
    assert!(sb.phorest.update_product(&id, |p| p.price = 9.99));
    sb.ghl.reset_counters();
    run(&sb, &store, products_only()).await;
    assert_eq!(ghl_calls(&sb), vec![call("PUT", &price_path)]);
    assert_eq!(sb.ghl.prices(&pid)[0]["amount"].as_f64(), Some(9.99));
    // Every product read again, none changed: no request (the hashes decide, not the watermark).
    let mut full = products_only();
    full.full_refresh = true;
    sb.ghl.reset_counters();
    let report = run(&sb, &store, full).await;
    assert_eq!(ghl_calls(&sb).len(), 0, "{}", report.to_table());
    assert!(report.entity(EntityKind::Product).unwrap().unchanged > 1);
}

/// GHL's price answers carry no `sku` (its OpenAPI declares none, and the sandbox follows it),
/// while the sync sends one for every product with a code or barcode. Nothing in the sync may
/// depend on reading it back: a rerun without changes writes nothing, and a price found again
/// without a stored id is recognised by name.
#[tokio::test]
async fn products_with_skus_cost_no_writes_when_unchanged_although_ghl_echoes_no_sku() {
    let sb = Sandboxes::start(SalonSpec::small(26), SandboxSetup::default()).await;
    let store = MemoryStore::new();
    let first = run(&sb, &store, products_only()).await;
    assert_eq!(first.status, RunStatus::Completed, "{}", first.to_table());
    let synced = first.entity(EntityKind::Product).unwrap().created;
    assert!(synced > 1, "{}", first.to_table());
    // The sync sent SKUs (stored by the sandbox), and no price answer echoed one.
    let mut with_sku = Vec::new();
    for m in store
        .list(
            EntityKind::Product,
            Some(MappingState::Synced),
            None,
            10_000,
        )
        .await
        .unwrap()
    {
        let pid = m.ghl_id.clone().unwrap();
        for price in sb.ghl.prices(&pid) {
            if price.get("sku").and_then(Value::as_str).is_some() {
                with_sku.push((m.phorest_id.clone(), pid.clone(), price["_id"].clone()));
            }
        }
    }
    assert!(!with_sku.is_empty(), "the salon has products with a SKU");
    let price_answers: Vec<_> = sb
        .ghl
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/price"))
        .collect();
    assert!(!price_answers.is_empty());

    // A rerun with no change: not a single product or price request, let alone a write.
    for full_refresh in [false, true] {
        let mut config = products_only();
        config.full_refresh = full_refresh;
        sb.ghl.reset_counters();
        let report = run(&sb, &store, config).await;
        assert_eq!(ghl_calls(&sb).len(), 0, "{}", report.to_table());
        assert_eq!(sb.ghl.write_count(), 0);
        let written = report
            .entity(EntityKind::Product)
            .map_or((0, 0), |p| (p.created, p.updated));
        assert_eq!(written, (0, 0));
    }

    // A mapping without the price id (written before it was kept): a price change finds the
    // price by name (GHL does not echo the SKU), updates it in place, and keeps its id, so the
    // next change is a single PUT.
    let (id, pid, price_id) = with_sku[0].clone();
    let price_id = price_id.as_str().unwrap().to_owned();
    let mut m = store.get(EntityKind::Product, &id).await.unwrap().unwrap();
    let hash = m.content_hash.clone().unwrap();
    let parts: Vec<&str> = hash.split('|').collect();
    assert_eq!(parts.len(), 3, "the price id is kept: {hash}");
    assert_eq!(parts[2], price_id);
    m.content_hash = Some(format!("{}|{}", parts[0], parts[1]));
    store.put(&m).await.unwrap();
    assert!(sb.phorest.update_product(&id, |p| p.price += 1.0));
    sb.ghl.reset_counters();
    run(&sb, &store, products_only()).await;
    let list_path = format!("/products/{pid}/price");
    let price_path = format!("/products/{pid}/price/{price_id}");
    assert_eq!(
        ghl_calls(&sb),
        vec![call("GET", &list_path), call("PUT", &price_path)]
    );
    assert_eq!(sb.ghl.prices(&pid).len(), 1, "updated in place, not added");
    assert!(sb.phorest.update_product(&id, |p| p.price += 1.0));
    sb.ghl.reset_counters();
    run(&sb, &store, products_only()).await;
    assert_eq!(ghl_calls(&sb), vec![call("PUT", &price_path)]);

    // The price the sync wrote was deleted in GHL: the direct PUT meets a 404, the product's
    // list has no one-time price, and one is created (and its id kept).
    sb.ghl.delete_price(&pid, &price_id);
    assert!(sb.phorest.update_product(&id, |p| p.price += 1.0));
    sb.ghl.reset_counters();
    run(&sb, &store, products_only()).await;
    assert_eq!(
        ghl_calls(&sb),
        vec![
            call("PUT", &price_path),
            call("GET", &list_path),
            call("POST", &list_path),
        ]
    );
    let prices = sb.ghl.prices(&pid);
    assert_eq!(prices.len(), 1);
    let new_id = prices[0]["_id"].as_str().unwrap().to_owned();
    sb.ghl.reset_counters();
    assert!(sb.phorest.update_product(&id, |p| p.price += 1.0));
    run(&sb, &store, products_only()).await;
    assert_eq!(
        ghl_calls(&sb),
        vec![call("PUT", &format!("/products/{pid}/price/{new_id}"))]
    );
}

#[tokio::test]
async fn a_price_added_in_phorest_is_created_once() {
    let sb = Sandboxes::start(SalonSpec::small(22), SandboxSetup::default()).await;
    let id = sb.phorest.with_salon(|s| {
        s.products()
            .iter()
            .find(|p| !p.archived)
            .unwrap()
            .product_id
            .clone()
    });
    assert!(sb.phorest.update_product(&id, |p| p.price = -1.0));
    let store = MemoryStore::new();
    run(&sb, &store, products_only()).await;
    let pid = store
        .get(EntityKind::Product, &id)
        .await
        .unwrap()
        .unwrap()
        .ghl_id
        .unwrap();
    assert!(sb.ghl.prices(&pid).is_empty());

    assert!(sb.phorest.update_product(&id, |p| p.price = 12.5));
    sb.ghl.reset_counters();
    run(&sb, &store, products_only()).await;
    let list_path = format!("/products/{pid}/price");
    assert_eq!(
        ghl_calls(&sb),
        vec![call("GET", &list_path), call("POST", &list_path)]
    );
    let prices = sb.ghl.prices(&pid);
    assert_eq!(prices.len(), 1);
    assert_eq!(prices[0]["amount"].as_f64(), Some(12.5));
    assert_eq!(prices[0]["type"], "one_time");
    sb.ghl.reset_counters();
    run(&sb, &store, products_only()).await;
    assert_eq!(ghl_calls(&sb).len(), 0);
}

/// Mappings written by the previous release hold one hash of product and price together. An
/// upgrade must not rewrite every product: a matching old hash counts as unchanged.
#[tokio::test]
async fn mappings_from_before_the_split_hash_cause_no_writes() {
    let sb = Sandboxes::start(SalonSpec::small(23), SandboxSetup::default()).await;
    let store = MemoryStore::new();
    let config = products_only();
    run(&sb, &store, config.clone()).await;
    // Rewrite every mapping's hash the way the previous release computed it.
    let phorest = sb.phorest.client_builder().build().unwrap();
    let branch = sb.phorest.branch_id().to_owned();
    let currency = sb
        .phorest
        .with_salon(|s| s.branches()[0].currency_code.clone());
    let products: Vec<phorest_client::Product> = phorest
        .products(branch.as_str())
        .list(&ProductQuery::all())
        .try_collect()
        .await
        .unwrap();
    let mut rewritten = 0;
    for product in &products {
        let Ok(mapped) =
            sync_core::mappers::map_product(product, Some(currency.as_str()), &config.mapping)
        else {
            continue;
        };
        let mut m = store
            .get(EntityKind::Product, product.product_id.as_str())
            .await
            .unwrap()
            .unwrap();
        assert!(m.content_hash.as_deref().unwrap().contains('|'));
        m.content_hash = Some(content_hash(&(&mapped.product, &mapped.price)));
        store.put(&m).await.unwrap();
        rewritten += 1;
    }
    assert!(rewritten > 0);
    // Read every product again (not only the changed ones), so each one meets its old hash.
    let mut again = config.clone();
    again.full_refresh = true;
    sb.ghl.reset_counters();
    let report = run(&sb, &store, again).await;
    assert_eq!(ghl_calls(&sb).len(), 0, "{}", report.to_table());
    assert_eq!(report.status, RunStatus::Completed, "{report:?}");
    assert_eq!(
        report.entity(EntityKind::Product).unwrap().unchanged,
        rewritten
    );
    // The hashes were moved to the new format on the way (no GHL request needed for that).
    for product in &products {
        if let Some(m) = store
            .get(EntityKind::Product, product.product_id.as_str())
            .await
            .unwrap()
            .filter(|m| m.state == MappingState::Synced)
        {
            assert!(m.content_hash.unwrap().contains('|'));
        }
    }
}

// ------------------------------------------------------------------------------- purchases

/// The purchase tags each GHL contact should carry: from every product sale line of a synced
/// client, keyed by the contact id.
async fn expected_purchase_tags(
    sb: &Sandboxes,
    store: &MemoryStore,
    config: &SyncConfig,
) -> BTreeMap<String, BTreeSet<String>> {
    let lines = sb.phorest.with_salon(|s| s.sales().to_vec());
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for line in lines.iter().filter(|l| l.item_type == "PRODUCT") {
        let Some(contact) = store
            .get(EntityKind::Client, &line.client_id)
            .await
            .unwrap()
            .and_then(|m| m.ghl_id)
        else {
            continue;
        };
        out.entry(contact)
            .or_default()
            .insert(config.mapping.tags.purchased_tag(&line.description));
    }
    out
}

fn purchase_tags_in_ghl(sb: &Sandboxes) -> BTreeMap<String, BTreeSet<String>> {
    sb.ghl
        .contacts()
        .into_iter()
        .filter_map(|c| {
            let tags: BTreeSet<String> = c["tags"]
                .as_array()?
                .iter()
                .filter_map(|t| t.as_str())
                .filter(|t| t.contains("purchased:"))
                .map(str::to_owned)
                .collect();
            (!tags.is_empty()).then(|| (c["id"].as_str().unwrap_or_default().to_owned(), tags))
        })
        .collect()
}

/// A plan whose GHL client does not retry, so a 5xx fails the write at once.
fn plan_without_retries(sb: &Sandboxes, store: &MemoryStore, config: SyncConfig) -> SyncPlan {
    let ghl = sb
        .ghl
        .client_builder(&sb.token)
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    let phorest = sb.phorest.client_builder().build().unwrap();
    SyncPlan::builder(config, phorest, ghl)
        .store(store.clone())
        .build()
        .unwrap()
}

fn purchases_config() -> SyncConfig {
    let mut config = SyncConfig::only([EntityKind::Purchase]);
    // The generated sales are months old: read them all on the first run.
    config.purchase_days_back = 3650;
    config
}

#[tokio::test]
async fn failed_purchase_tags_are_retried_on_the_next_run() {
    let sb = Sandboxes::start(SalonSpec::small(24), SandboxSetup::default()).await;
    let store = MemoryStore::new();
    let clients = run(&sb, &store, SyncConfig::only([EntityKind::Client])).await;
    assert_eq!(
        clients.status,
        RunStatus::Completed,
        "{}",
        clients.to_table()
    );
    let config = purchases_config();
    let expected = expected_purchase_tags(&sb, &store, &config).await;
    assert!(expected.len() >= 3, "the salon has purchases: {expected:?}");

    // Run 1: every tag write fails.
    sb.ghl.set_faults(Faults {
        server_error_rate: 1.0,
        writes_only: true,
        ..Faults::default()
    });
    let failing = plan_without_retries(&sb, &store, config.clone())
        .run(CancellationToken::new())
        .await;
    failing.check_invariants().unwrap();
    let purchases = failing.entity(EntityKind::Purchase).unwrap();
    assert_eq!(
        purchases.failed as usize,
        expected.len(),
        "{}",
        failing.to_table()
    );
    assert!(purchase_tags_in_ghl(&sb).is_empty());
    let checkpoint = store
        .load(&format!("purchases:{}", sb.phorest.branch_id()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        checkpoint.watermark, None,
        "the failing run does not advance the watermark"
    );

    // Run 2, clean: every expected tag lands on the right contact, and only there.
    sb.ghl.set_faults(Faults::default());
    sb.ghl.reset_counters();
    let clean = run(&sb, &store, config.clone()).await;
    let purchases = clean.entity(EntityKind::Purchase).unwrap();
    assert_eq!(purchases.failed, 0, "{}", clean.to_table());
    assert_eq!(purchase_tags_in_ghl(&sb), expected);
    // One tag request per distinct set of tags: contacts that gain the same tags share one
    // bulk request.
    let distinct: BTreeSet<&BTreeSet<String>> = expected.values().collect();
    assert_eq!(
        sb.ghl.write_count(),
        distinct.len(),
        "one tag request per distinct tag set"
    );
    let checkpoint = store
        .load(&format!("purchases:{}", sb.phorest.branch_id()))
        .await
        .unwrap()
        .unwrap();
    assert!(checkpoint.completed && checkpoint.watermark.is_some());

    // Run 3: nothing to write.
    sb.ghl.reset_counters();
    let third = run(&sb, &store, config).await;
    assert_eq!(sb.ghl.write_count(), 0, "{}", third.to_table());
    assert_eq!(purchase_tags_in_ghl(&sb), expected);
}

/// A record that keeps failing does not hold the purchase window open forever: once the failing
/// run is older than the retry bound the watermark moves on and the run says so.
#[tokio::test]
async fn a_purchase_failing_for_too_long_releases_the_watermark_with_a_warning() {
    let sb = Sandboxes::start(SalonSpec::small(25), SandboxSetup::default()).await;
    let store = MemoryStore::new();
    run(&sb, &store, SyncConfig::only([EntityKind::Client])).await;
    let config = purchases_config();
    sb.ghl.set_faults(Faults {
        server_error_rate: 1.0,
        writes_only: true,
        ..Faults::default()
    });
    let plan = plan_without_retries(&sb, &store, config.clone());
    plan.run(CancellationToken::new()).await;
    let stage = format!("purchases:{}", sb.phorest.branch_id());
    let pinned: Checkpoint = store.load(&stage).await.unwrap().unwrap();
    assert!(!pinned.completed);
    // The failing run started long ago.
    let long_ago = chrono::Utc::now() - chrono::Duration::days(40);
    let mut old = pinned.clone();
    old.run_started_at = Some(long_ago);
    store.save(&old).await.unwrap();

    let report = plan.run(CancellationToken::new()).await;
    report.check_invariants().unwrap();
    let checkpoint = store.load(&stage).await.unwrap().unwrap();
    assert!(checkpoint.completed);
    assert_eq!(checkpoint.watermark, Some(long_ago));
    assert!(
        report
            .issues
            .iter()
            .any(|i| i.entity == EntityKind::Purchase && i.reason.contains("no longer retried")),
        "{:?}",
        report.issues
    );
}
