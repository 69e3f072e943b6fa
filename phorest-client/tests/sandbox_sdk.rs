//! The real SDK against the sandbox: every handler decodes the sandbox's
//! independently produced JSON, filters reach it under the right names, and
//! the SDK's retries, timeouts and decode errors meet the sandbox's faults.
#![cfg(feature = "mock")]

use std::collections::HashSet;
use std::time::Duration;

use chrono::Utc;
use futures::TryStreamExt as _;
use phorest_client::mock::{Faults, PhorestSandbox, SalonSpec};
use phorest_client::{
    AppointmentQuery, ClientCategoryQuery, ClientId, ClientQuery, Error, ItemType, LocalTimeError,
    PhorestClient, PollPolicy, ProductQuery, RetryPolicy, ReviewQuery, ServiceQuery, StaffQuery,
    VoucherQuery,
};
use secrecy::SecretString;

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
        .retry_policy(fast_retries(4))
        .build()
        .unwrap();
    (sb, client)
}

fn set<T: ToString>(items: impl IntoIterator<Item = T>) -> HashSet<String> {
    items.into_iter().map(|i| i.to_string()).collect()
}

#[tokio::test]
async fn branches_clients_and_categories_decode() {
    let (sb, client) = setup(1).await;
    let salon = sb.salon();

    let branches: Vec<_> = client.branches().list().try_collect().await.unwrap();
    assert_eq!(branches.len(), 1);
    assert_eq!(branches[0].branch_id.as_str(), sb.branch_id());
    assert_eq!(branches[0].time_zone().unwrap(), chrono_tz::Europe::Dublin);

    let listed: Vec<_> = client
        .clients()
        .list(&ClientQuery::default())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(
        listed
            .iter()
            .map(|c| c.client_id.as_str())
            .collect::<Vec<_>>(),
        salon
            .listed_clients()
            .map(|c| c.client_id.as_str())
            .collect::<Vec<_>>()
    );
    let all: Vec<_> = client
        .clients()
        .list(&ClientQuery::all())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all.len(), salon.clients().len());
    // Field-by-field for a record with every quirk the SDK must keep.
    for decoded in &all {
        let source = salon.client(decoded.client_id.as_str()).unwrap();
        assert_eq!(
            decoded.first_name.as_deref(),
            Some(source.first_name.as_str())
        );
        assert_eq!(decoded.mobile.as_deref(), source.mobile.as_deref());
        assert_eq!(decoded.email.as_deref(), source.email.as_deref());
        assert_eq!(decoded.version, Some(source.version));
        assert_eq!(decoded.updated_at, Some(source.updated_at));
        assert_eq!(decoded.archived, source.archived);
        assert_eq!(decoded.deleted, source.deleted);
        assert_eq!(decoded.is_merged(), source.merged_to_client_id.is_some());
        assert_eq!(
            decoded.loyalty_card.as_ref().map(|l| l.points),
            source.loyalty_card.as_ref().map(|l| Some(l.points))
        );
    }

    let walk_in = client.clients().walk_in().await.unwrap();
    assert_eq!(walk_in.client_id.as_str(), salon.walk_in_client_id());
    let one = client
        .clients()
        .get(&ClientId::new(salon.clients()[5].client_id.clone()))
        .await
        .unwrap();
    assert_eq!(one.client_id.as_str(), salon.clients()[5].client_id);
    let missing = client.clients().get(&ClientId::new("nope")).await;
    assert!(
        matches!(missing, Err(Error::NotFound { .. })),
        "{missing:?}"
    );

    let ids: Vec<ClientId> = salon
        .clients()
        .iter()
        .take(3)
        .map(|c| ClientId::new(c.client_id.clone()))
        .chain([ClientId::new("unknown")])
        .collect();
    let batch: Vec<_> = client.clients().batch(&ids).try_collect().await.unwrap();
    assert_eq!(batch.len(), 3);

    let categories: Vec<_> = client
        .client_categories()
        .list(&ClientCategoryQuery::all())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(
        set(categories.iter().map(|c| c.client_category_id.as_str())),
        set(salon
            .client_categories()
            .iter()
            .map(|c| c.client_category_id.as_str()))
    );
}

#[tokio::test]
async fn incremental_client_and_staff_changes_are_seen() {
    let (sb, client) = setup(2).await;
    let mark = Utc::now();
    let changed = sb
        .salon()
        .listed_clients()
        .nth(4)
        .unwrap()
        .client_id
        .clone();
    sb.update_client(&changed, |c| c.email = Some("new@example.ie".into()));
    let added = sb.add_client(|c| c.first_name = "Nua".into());
    let since = ClientQuery::new().updated_after(mark);
    let seen: Vec<_> = client.clients().list(&since).try_collect().await.unwrap();
    assert_eq!(
        set(seen.iter().map(|c| c.client_id.as_str())),
        set([changed.as_str(), added.as_str()])
    );

    let staff_id = sb
        .salon()
        .staff()
        .iter()
        .find(|s| !s.archived)
        .unwrap()
        .staff_id
        .clone();
    sb.update_staff(&staff_id, |s| s.last_name = "Ní Bhriain".into());
    let staff: Vec<_> = client
        .staff(sb.branch_id())
        .list(&StaffQuery::new().updated_after(mark))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(staff.len(), 1);
    assert_eq!(staff[0].last_name.as_deref(), Some("Ní Bhriain"));
    let everyone: Vec<_> = client
        .staff(sb.branch_id())
        .list(&StaffQuery::all())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(everyone.len(), sb.salon().staff().len());
}

#[tokio::test]
async fn appointments_over_months_with_hidden_rows_and_dst_edges() {
    let (sb, client) = setup(3).await;
    let salon = sb.salon();
    let rows = salon.appointments();
    let from = rows.iter().map(|a| a.appointment_date).min().unwrap();
    let to = rows.iter().map(|a| a.appointment_date).max().unwrap();

    // A multi-month range is split into month windows, so no 400.
    let all: Vec<_> = client
        .appointments(sb.branch_id())
        .list(&AppointmentQuery::for_sync(from, to))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all.len(), rows.len());
    assert_eq!(
        set(all.iter().map(|a| a.appointment_id.as_str())),
        set(rows.iter().map(|a| a.appointment_id.as_str()))
    );
    let visible: Vec<_> = client
        .appointments(sb.branch_id())
        .list(&AppointmentQuery::new(from, to))
        .try_collect()
        .await
        .unwrap();
    let expected = rows
        .iter()
        .filter(|a| {
            a.activation_state != "CANCELED" && a.activation_state != "ARCHIVED" && !a.deleted
        })
        .count();
    assert_eq!(visible.len(), expected);
    assert!(expected < rows.len());
    assert!(all.iter().any(|a| a.is_cancelled()));

    // The spring-forward and fall-back bookings are reported, not guessed.
    let tz = salon.time_zone();
    let failures: Vec<_> = all.iter().filter_map(|a| a.start_utc(tz).err()).collect();
    assert_eq!(failures.len(), 2, "{failures:?}");
    assert!(
        failures
            .iter()
            .all(|e| !matches!(e, LocalTimeError::Missing(_)))
    );

    // updated_from after a cancellation.
    let mark = Utc::now();
    let target = rows
        .iter()
        .find(|a| a.activation_state == "ACTIVE" && !a.deleted)
        .unwrap();
    sb.cancel_appointment(&target.appointment_id);
    let changed: Vec<_> = client
        .appointments(sb.branch_id())
        .list(&AppointmentQuery::for_sync(from, to).updated_from(mark))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(changed.len(), 1);
    assert_eq!(changed[0].appointment_id.as_str(), target.appointment_id);
    assert!(changed[0].is_cancelled());
}

#[tokio::test]
async fn catalogue_reviews_vouchers_and_sales_export() {
    let (sb, client) = setup(4).await;
    let salon = sb.salon();
    let br = sb.branch_id();

    let services: Vec<_> = client
        .services(br)
        .list(&ServiceQuery::all())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(services.len(), salon.services().len());
    let categories: Vec<_> = client
        .services(br)
        .categories()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(categories.len(), salon.service_categories().len());
    let products: Vec<_> = client
        .products(br)
        .list(&ProductQuery::all())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(products.len(), salon.products().len());
    let mark = Utc::now();
    let touched = salon.products().iter().find(|p| !p.archived).unwrap();
    assert!(sb.update_product(&touched.product_id, |p| p.quantity_in_stock = 2.5));
    let recent: Vec<_> = client
        .products(br)
        .list(&ProductQuery::all().updated_between(mark, Utc::now() + chrono::Duration::seconds(5)))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(recent.len(), 1);
    assert_eq!(recent[0].product_id.as_str(), touched.product_id);
    assert_eq!(recent[0].quantity_in_stock, Some(2.5));
    let reviews: Vec<_> = client
        .reviews(br)
        .list(&ReviewQuery::default())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(reviews.len(), salon.reviews().len());
    let vouchers: Vec<_> = client
        .vouchers()
        .list(&VoucherQuery::new().include_used(true))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(vouchers.len(), salon.vouchers().len());

    let from = salon
        .sales()
        .iter()
        .map(|l| l.purchased_date)
        .min()
        .unwrap();
    let to = salon
        .sales()
        .iter()
        .map(|l| l.purchased_date)
        .max()
        .unwrap();
    let poll = PollPolicy::default()
        .initial(Duration::from_millis(5))
        .max(Duration::from_millis(10))
        .max_polls(10);
    let rows = client
        .csv_exports(br)
        .transactions(from, to, poll)
        .await
        .unwrap();
    assert_eq!(rows.len(), salon.sales().len());
    let rows: Vec<_> = rows.into_iter().map(Result::unwrap).collect();
    let product_rows = rows
        .iter()
        .filter(|r| r.item_type == Some(ItemType::Product))
        .count();
    assert_eq!(
        product_rows,
        salon
            .sales()
            .iter()
            .filter(|l| l.item_type == "PRODUCT")
            .count()
    );
    assert!(
        rows.iter()
            .all(|r| r.client_id.is_some() && r.product_name.is_some() == r.product_id.is_some())
    );
    // An empty period gives no rows (the job fails with "No records found").
    let none = client
        .csv_exports(br)
        .transactions(
            from - chrono::Duration::days(4000),
            from - chrono::Duration::days(3990),
            poll,
        )
        .await
        .unwrap();
    assert!(none.is_empty());
}

#[tokio::test]
async fn wrong_credentials_are_unauthorized_and_not_leaked() {
    let sb = PhorestSandbox::start(SalonSpec::small(5)).await;
    let client = sb
        .client_builder()
        .credentials(sb.email(), SecretString::from("wrong-password"))
        .build()
        .unwrap();
    let err = client
        .branches()
        .list()
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Unauthorized { .. }), "{err:?}");
    assert!(!format!("{err} {err:?} {client:?}").contains("wrong-password"));
    assert!(!format!("{sb:?}").contains(sb.password()));
}

#[tokio::test]
async fn the_sdk_retries_through_429_and_5xx_faults() {
    let (sb, client) = setup(6).await;
    sb.set_faults(Faults {
        rate_limit_requests: 2,
        retry_after: Some(0),
        ..Faults::default()
    });
    let branches: Vec<_> = client.branches().list().try_collect().await.unwrap();
    assert_eq!(branches.len(), 1);
    let statuses: Vec<u16> = sb.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, vec![429, 429, 200]);

    sb.reset_counters();
    sb.set_faults(Faults {
        seed: 3,
        server_error_rate: 0.3,
        ..Faults::default()
    });
    let clients: Vec<_> = client
        .clients()
        .list(&ClientQuery::default())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(clients.len(), sb.with_salon(|s| s.listed_clients().count()));

    sb.set_faults(Faults {
        server_error_rate: 1.0,
        ..Faults::default()
    });
    sb.reset_counters();
    let err = client
        .branches()
        .list()
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Server { .. }), "{err:?}");
    assert_eq!(sb.request_count(), 4, "one attempt and three retries");
}

#[tokio::test]
async fn corrupt_pages_become_decode_errors_and_slow_ones_time_out() {
    let (sb, client) = setup(7).await;
    sb.set_faults(Faults {
        seed: 1,
        corrupt_rate: 1.0,
        path_contains: Some("/client".into()),
        ..Faults::default()
    });
    for _ in 0..6 {
        let result = client
            .clients()
            .list(&ClientQuery::default())
            .try_collect::<Vec<_>>()
            .await;
        // HTML or a body cut short (retried, then a decode error), a `page` block of the wrong
        // shape (a decode error), or one record with a numeric id (that record rejected).
        assert!(
            matches!(result, Err(Error::Decode { .. } | Error::Rejected(_))),
            "{result:?}"
        );
    }
    sb.clear_faults();

    let impatient = sb
        .client_builder()
        .timeout(Duration::from_millis(150))
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    sb.set_faults(Faults {
        slow_rate: 1.0,
        slow_delay: Duration::from_secs(2),
        ..Faults::default()
    });
    let err = impatient
        .branches()
        .list()
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert!(err.transport().is_some_and(|t| t.is_timeout()), "{err:?}");
}
