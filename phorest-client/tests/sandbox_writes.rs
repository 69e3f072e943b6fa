//! The SDK's writes against the stateful sandbox: a write is visible to later reads,
//! `version` and `updatedAt` move, and a stale version is a typed conflict.
#![cfg(feature = "mock")]

use std::time::Duration;

use futures::TryStreamExt as _;
use phorest_client::mock::{PhorestSandbox, SalonSpec};
use phorest_client::{
    BranchId, ClientQuery, ClientUpdate, Error, NewClient, PhorestClient, RetryPolicy,
};

fn fast_retries(max_attempts: u32) -> RetryPolicy {
    RetryPolicy::default()
        .max_attempts(max_attempts)
        .base_delay(Duration::from_millis(5))
        .max_delay(Duration::from_millis(20))
}

async fn setup(seed: u64) -> (PhorestSandbox, PhorestClient) {
    let sb = PhorestSandbox::start(SalonSpec::small(seed)).await;
    let client = sb
        .client_builder()
        .retry_policy(fast_retries(3))
        .build()
        .unwrap();
    (sb, client)
}

#[tokio::test]
async fn created_client_is_visible_and_updates_move_version_and_updated_at() {
    let (sb, phorest) = setup(31).await;
    let before = sb.with_salon(|s| s.listed_clients().count());
    let created = phorest
        .clients()
        .create(
            &NewClient::new(sb.branch_id(), "Ann", "Byrne")
                .mobile("16135550142")
                .email("ann.byrne@example.com")
                .external_id("ghl-1"),
        )
        .await
        .unwrap();
    assert_eq!(created.version, Some(1));
    assert_eq!(
        created.creating_branch_id.as_ref().map(BranchId::as_str),
        Some(sb.branch_id())
    );
    let created_at = created.updated_at.unwrap();

    // Visible to the list (count and filter) and to get.
    let all: Vec<_> = phorest
        .clients()
        .list(&ClientQuery::new())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all.len(), before + 1);
    let found: Vec<_> = phorest
        .clients()
        .list(&ClientQuery::new().external_id("ghl-1"))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].client_id, created.client_id);

    // Update: version and updatedAt move, the change is read back.
    let got = phorest.clients().get(&created.client_id).await.unwrap();
    let updated = phorest
        .clients()
        .update(&ClientUpdate::from_client(&got).email("ann@new.example"))
        .await
        .unwrap();
    assert_eq!(updated.version, Some(2));
    assert!(updated.updated_at.unwrap() > created_at);
    let since: Vec<_> = phorest
        .clients()
        .list(&ClientQuery::new().updated_after(updated.updated_at.unwrap()))
        .try_collect()
        .await
        .unwrap();
    assert!(
        since
            .iter()
            .any(|c| c.client_id == created.client_id
                && c.email.as_deref() == Some("ann@new.example"))
    );
    assert_eq!(
        sb.with_salon(|s| s.client(created.client_id.as_str()).map(|c| c.version)),
        Some(2)
    );

    // The stale version (1) conflicts, and nothing changes.
    let stale = ClientUpdate::from_client(&got).email("lost@example.com");
    let err = phorest.clients().update(&stale).await.unwrap_err();
    assert!(matches!(err, Error::Conflict { .. }), "{err:?}");
    let now = phorest.clients().get(&created.client_id).await.unwrap();
    assert_eq!(now.version, Some(2));
    assert_eq!(now.email.as_deref(), Some("ann@new.example"));
    // An edit made in Phorest meanwhile also makes a held version stale.
    assert!(sb.update_client(created.client_id.as_str(), |c| c.notes = Some("x".into())));
    let err = phorest
        .clients()
        .update(&ClientUpdate::from_client(&now).notes("y"))
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(409));
}

#[tokio::test]
async fn create_without_a_known_branch_is_a_bad_request() {
    let (_sb, phorest) = setup(32).await;
    let err = phorest
        .clients()
        .create(&NewClient::new("no-such-branch", "Ann", "Byrne"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::BadRequest { .. }), "{err:?}");
    let err = phorest
        .clients()
        .update(&ClientUpdate::new("no-such-client", 1).notes("x"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
}
