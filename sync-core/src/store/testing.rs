//! The store conformance suite (feature `test-util`).
//!
//! Every store sync-core ships runs it, and so should a host's own store: one call in a test
//! checks every promise the executor relies on (mapping round trips, one owner per GHL object
//! under concurrent claims, paging through mappings, checkpoints, the key-value store, leases
//! and the shared-identity index).
//!
//! ```no_run
//! # #[cfg(feature = "test-util")]
//! # async fn demo() {
//! use sync_core::store::{MemoryStore, testing};
//! testing::conformance(MemoryStore::new()).await;
//! # }
//! ```
//!
//! The suite panics (with a message naming the broken promise) on the first failure. It
//! expects an empty store.

use std::collections::HashMap;

use chrono::{Duration, TimeZone, Utc};
use serde_json::json;

use super::{
    Checkpoint, Claim, IdentityClaims, LeaseGrant, Mapping, MappingState, Store, StoreError,
};
use crate::entity::{EntityKind, GhlObject};

/// A mapping with every field set (sub-second timestamp included), for round-trip checks.
pub fn sample_mapping(
    entity: EntityKind,
    id: &str,
    ghl: Option<&str>,
    state: MappingState,
) -> Mapping {
    let mut m = Mapping::new(entity, id);
    m.ghl_id = ghl.map(str::to_owned);
    m.state = state;
    m.content_hash = Some(format!("v1:{id}"));
    m.owned_tags = vec![
        "phorest:category:vip".into(),
        format!("phorest-client-id:{id}"),
    ];
    m.last_written =
        Some(json!({"firstName": "Zoë", "customFields": [{"id": "f1", "value": "0"}]}));
    m.attempts = 2;
    m.last_error = Some("HTTP 502 from GHL; will retry".into());
    m.updated_at =
        Utc.with_ymd_and_hms(2026, 3, 29, 1, 30, 15).unwrap() + Duration::nanoseconds(123_456_789);
    m
}

/// Runs every check against `store`, which must be empty.
pub async fn conformance<S>(store: S)
where
    S: Store + Clone + 'static,
{
    mappings(&store).await;
    claims(&store).await;
    listing(&store).await;
    checkpoints(&store).await;
    key_value(&store).await;
    leases(&store).await;
    identities(&store).await;
}

async fn mappings<S: Store>(store: &S) {
    use EntityKind::{Client, Staff};
    use MappingState::{Pending, Synced};

    assert_eq!(store.get(Client, "c1").await.unwrap(), None, "empty store");
    assert_eq!(store.count(Client, None).await.unwrap(), 0);
    assert!(
        store
            .get_many(Client, &["c1".into()])
            .await
            .unwrap()
            .is_empty()
    );
    store.delete(Client, "missing").await.unwrap();

    // put / get round trip, unicode and hostile ids included; every field survives.
    let odd = sample_mapping(
        Client,
        "-Vt_3GiaA'; DROP TABLE mappings;--",
        Some("g9"),
        Synced,
    );
    let unicode = sample_mapping(Client, "clïent-日本", None, Pending);
    for m in [&odd, &unicode] {
        store.put(m).await.unwrap();
        assert_eq!(
            store.get(Client, &m.phorest_id).await.unwrap().as_ref(),
            Some(m),
            "a mapping reads back exactly as written"
        );
    }

    // Upsert replaces; the key is (entity, phorest_id).
    let mut updated = unicode.clone();
    updated.state = Synced;
    updated.ghl_id = Some("g-new".into());
    updated.owned_tags.clear();
    updated.last_error = None;
    updated.content_hash = None;
    updated.last_written = None;
    store.put(&updated).await.unwrap();
    assert_eq!(
        store.get(Client, &unicode.phorest_id).await.unwrap(),
        Some(updated.clone())
    );
    let staff_same_id = sample_mapping(Staff, &unicode.phorest_id, Some("s1"), Pending);
    store.put(&staff_same_id).await.unwrap();
    assert_eq!(
        store.get(Client, &unicode.phorest_id).await.unwrap(),
        Some(updated.clone()),
        "the same Phorest id under another entity is another mapping"
    );
    assert_eq!(
        store.get(Staff, &unicode.phorest_id).await.unwrap(),
        Some(staff_same_id)
    );

    // put_many and get_many.
    let batch: Vec<Mapping> = (0..120)
        .map(|i| {
            let state = [Pending, Synced, MappingState::Failed][i % 3];
            let ghl = (i % 10 == 0).then(|| format!("batch-g{i}"));
            sample_mapping(Client, &format!("b{i:03}"), ghl.as_deref(), state)
        })
        .collect();
    store.put_many(&batch).await.unwrap();
    let ids: Vec<String> = vec!["b000".into(), "b119".into(), "nope".into()];
    let got: HashMap<String, Mapping> = store.get_many(Client, &ids).await.unwrap();
    assert_eq!(got.len(), 2);
    assert_eq!(got["b000"], batch[0]);
    assert_eq!(got["b119"], batch[119]);
    store.put_many(&[]).await.unwrap();

    assert_eq!(
        store
            .count(Client, Some(MappingState::Failed))
            .await
            .unwrap(),
        40
    );
    assert_eq!(store.count(Client, Some(Pending)).await.unwrap(), 40);
    // 40 synced from the batch + odd + updated.
    assert_eq!(store.count(Client, Some(Synced)).await.unwrap(), 42);
    assert_eq!(store.count(Client, None).await.unwrap(), 122);
    assert_eq!(store.count(Staff, None).await.unwrap(), 1);

    store.delete(Client, "b000").await.unwrap();
    assert_eq!(store.get(Client, "b000").await.unwrap(), None);
    assert_eq!(store.count(Client, None).await.unwrap(), 121);
    // Deleting the owner frees its GHL object.
    assert_eq!(
        store
            .owner_of(GhlObject::Contact, "batch-g0")
            .await
            .unwrap(),
        None
    );
}

async fn claims<S: Store + Clone + 'static>(store: &S) {
    use EntityKind::{Appointment, CheckIn, Client, Loyalty, Staff};
    use MappingState::Synced;

    let a = sample_mapping(Client, "claim-a", Some("contact-1"), Synced);
    assert_eq!(store.claim(&a).await.unwrap(), Claim::Claimed);
    assert_eq!(
        store.claim(&a).await.unwrap(),
        Claim::Claimed,
        "claiming one's own object again is fine"
    );
    let owner = store
        .owner_of(GhlObject::Contact, "contact-1")
        .await
        .unwrap();
    assert_eq!(
        owner.as_ref().map(|m| m.phorest_id.as_str()),
        Some("claim-a")
    );

    // Another client, and a staff member (staff and clients share contacts), are refused.
    for other in [
        sample_mapping(Client, "claim-b", Some("contact-1"), Synced),
        sample_mapping(Staff, "claim-s", Some("contact-1"), Synced),
    ] {
        match store.claim(&other).await.unwrap() {
            Claim::Taken { owner } => assert_eq!(owner.phorest_id, "claim-a"),
            Claim::Claimed => panic!("{} {} stole a contact", other.entity, other.phorest_id),
        }
        assert_eq!(
            store.get(other.entity, &other.phorest_id).await.unwrap(),
            None,
            "a refused claim stores nothing"
        );
        match store.put(&other).await {
            Err(StoreError::Conflict { object, owner, .. }) => {
                assert_eq!(object, GhlObject::Contact);
                assert_eq!(owner.phorest_id, "claim-a");
            }
            other => panic!("put must refuse a taken object, got {other:?}"),
        }
        assert!(
            store.put_many(std::slice::from_ref(&other)).await.is_err(),
            "put_many refuses too"
        );
    }

    // Entities that own no object (ledger entries) may point at the contact freely, and other
    // object kinds have their own namespace.
    let ledger = sample_mapping(Loyalty, "claim-a", Some("contact-1"), Synced);
    store.put(&ledger).await.unwrap();
    let appointment = sample_mapping(Appointment, "claim-x", Some("contact-1"), Synced);
    assert_eq!(store.claim(&appointment).await.unwrap(), Claim::Claimed);

    // A batch is atomic: one conflict and nothing of it is stored.
    let fine = sample_mapping(CheckIn, "note-ok", Some("note-1"), Synced);
    let clash = sample_mapping(CheckIn, "note-clash", Some("note-1"), Synced);
    assert!(store.put_many(&[fine.clone(), clash]).await.is_err());
    assert_eq!(store.get(CheckIn, "note-ok").await.unwrap(), None);
    store.put_many(&[fine]).await.unwrap();

    // Moving to another object frees the first one.
    let mut moved = a.clone();
    moved.ghl_id = Some("contact-2".into());
    store.put(&moved).await.unwrap();
    let b = sample_mapping(Client, "claim-b", Some("contact-1"), Synced);
    assert_eq!(store.claim(&b).await.unwrap(), Claim::Claimed);

    // Concurrent claims of one object: exactly one wins.
    let tasks: Vec<_> = (0..16)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                let m = sample_mapping(
                    if i % 2 == 0 { Client } else { Staff },
                    &format!("racer-{i}"),
                    Some("contested"),
                    Synced,
                );
                store.claim(&m).await.unwrap()
            })
        })
        .collect();
    let mut winners = 0;
    for t in tasks {
        if t.await.unwrap() == Claim::Claimed {
            winners += 1;
        }
    }
    assert_eq!(winners, 1, "exactly one of 16 concurrent claims wins");
}

async fn listing<S: Store>(store: &S) {
    use EntityKind::Product;
    let all: Vec<Mapping> = (0..25)
        .map(|i| {
            let state = if i % 5 == 0 {
                MappingState::Failed
            } else {
                MappingState::Synced
            };
            sample_mapping(Product, &format!("p{i:02}"), Some(&format!("gp{i}")), state)
        })
        .collect();
    store.put_many(&all).await.unwrap();

    // Page through every mapping of the entity, 7 at a time.
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = store
            .list(Product, None, after.as_deref(), 7)
            .await
            .unwrap();
        if page.is_empty() {
            break;
        }
        assert!(page.len() <= 7);
        after = page.last().map(|m| m.phorest_id.clone());
        seen.extend(page.into_iter().map(|m| m.phorest_id));
    }
    let expected: Vec<String> = (0..25).map(|i| format!("p{i:02}")).collect();
    assert_eq!(
        seen, expected,
        "list pages through every mapping in id order"
    );

    let failed = store
        .list(Product, Some(MappingState::Failed), None, 2)
        .await
        .unwrap();
    let ids: Vec<&str> = failed.iter().map(|m| m.phorest_id.as_str()).collect();
    assert_eq!(ids, ["p00", "p05"]);
    let rest = store
        .list(Product, Some(MappingState::Failed), Some("p05"), 10)
        .await
        .unwrap();
    let ids: Vec<&str> = rest.iter().map(|m| m.phorest_id.as_str()).collect();
    assert_eq!(
        ids,
        ["p10", "p15", "p20"],
        "state filter with a continuation"
    );
    assert!(store.list(Product, None, None, 0).await.unwrap().is_empty());
    assert!(
        store
            .list(EntityKind::Booking, None, None, 10)
            .await
            .unwrap()
            .is_empty(),
        "list is scoped by entity"
    );
}

async fn checkpoints<S: Store>(store: &S) {
    assert_eq!(store.load("clients").await.unwrap(), None);
    let mut cp = Checkpoint::new("clients");
    cp.target = Some("location=L1;calendar=C1".into());
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
}

async fn key_value<S: Store>(store: &S) {
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
    store.delete_value("custom_fields").await.unwrap();
    assert!(
        store
            .get_value("custom_fields")
            .await
            .unwrap()
            .is_none_or(|v| v.is_null()),
        "a deleted value reads as absent"
    );
    store.delete_value("never-set").await.unwrap();
}

async fn leases<S: Store>(store: &S) {
    let ttl = Duration::seconds(60);
    let LeaseGrant::Acquired(first) = store
        .acquire_lease("location:L1", "run-1", ttl)
        .await
        .unwrap()
    else {
        panic!("a free lease is granted");
    };
    assert_eq!(first.holder, "run-1");
    assert!(first.expires_at > Utc::now());
    match store
        .acquire_lease("location:L1", "run-2", ttl)
        .await
        .unwrap()
    {
        LeaseGrant::Held { holder, .. } => assert_eq!(holder, "run-1"),
        LeaseGrant::Acquired(_) => panic!("a held lease must not be granted twice"),
    }
    // Another key is independent.
    assert!(matches!(
        store
            .acquire_lease("location:L2", "run-2", ttl)
            .await
            .unwrap(),
        LeaseGrant::Acquired(_)
    ));
    let renewed = store.renew_lease(&first, ttl).await.unwrap();
    assert!(renewed.is_some(), "the holder renews its lease");

    // Release, then another holder may take it; the old token can neither renew nor release.
    store.release_lease(&first).await.unwrap();
    let LeaseGrant::Acquired(second) = store
        .acquire_lease("location:L1", "run-2", ttl)
        .await
        .unwrap()
    else {
        panic!("a released lease is free");
    };
    assert_ne!(second.token, first.token);
    assert_eq!(store.renew_lease(&first, ttl).await.unwrap(), None);
    store.release_lease(&first).await.unwrap();
    assert!(
        matches!(
            store
                .acquire_lease("location:L1", "run-3", ttl)
                .await
                .unwrap(),
            LeaseGrant::Held { .. }
        ),
        "releasing with a stale token leaves the current holder's lease alone"
    );

    // A lease that expired (its holder was killed) is free for the next run.
    let LeaseGrant::Acquired(dying) = store
        .acquire_lease("location:L3", "killed-run", Duration::seconds(-1))
        .await
        .unwrap()
    else {
        panic!("a free lease is granted");
    };
    assert!(
        matches!(
            store
                .acquire_lease("location:L3", "next-run", ttl)
                .await
                .unwrap(),
            LeaseGrant::Acquired(_)
        ),
        "an expired lease is taken over"
    );
    assert_eq!(
        store.renew_lease(&dying, ttl).await.unwrap(),
        None,
        "the killed run's lease cannot be renewed once taken over"
    );
}

async fn identities<S: Store>(store: &S) {
    let email = "email:ann@example.com".to_owned();
    let phone = "phone:+15551234567".to_owned();
    assert!(
        store
            .identity_claims(std::slice::from_ref(&email))
            .await
            .unwrap()
            .is_empty()
    );
    let previous = store
        .replace_identity_claims(&[
            IdentityClaims::new("c1", "0|2019", vec![email.clone(), phone.clone()]),
            IdentityClaims::new("c2", "0|2020", vec![email.clone()]),
        ])
        .await
        .unwrap();
    assert!(previous.is_empty());
    let mut claims = store
        .identity_claims(&[email.clone(), phone.clone()])
        .await
        .unwrap();
    claims.sort_by(|a, b| a.owner.cmp(&b.owner));
    assert_eq!(claims.len(), 2);
    assert_eq!(claims[0].owner, "c1");
    assert_eq!(claims[0].rank, "0|2019");
    let mut values = claims[0].values.clone();
    values.sort();
    assert_eq!(values, [email.clone(), phone.clone()]);
    assert_eq!(claims[1].values, std::slice::from_ref(&email));

    // Replacing returns the previous claims; an empty list removes them.
    let previous = store
        .replace_identity_claims(&[
            IdentityClaims::new("c1", "0|2019", vec![phone.clone()]),
            IdentityClaims::new("c2", "0|2020", Vec::new()),
        ])
        .await
        .unwrap();
    assert_eq!(previous.len(), 2);
    let mut claims = store
        .identity_claims(&[email.clone(), phone.clone()])
        .await
        .unwrap();
    claims.sort_by(|a, b| a.owner.cmp(&b.owner));
    assert_eq!(claims.len(), 1);
    assert_eq!(claims[0].owner, "c1");
    assert_eq!(claims[0].values, [phone]);
    assert!(
        store.identity_claims(&[email]).await.unwrap().is_empty(),
        "nobody claims the email any more"
    );
}
