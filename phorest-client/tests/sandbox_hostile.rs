//! The sandbox's hostile modes: each mode over plain HTTP (what is served) and through the SDK
//! (what a caller sees), deterministic, and off again after `clear_hostile`.
#![cfg(feature = "mock")]

use std::collections::HashSet;
use std::time::Duration;

use chrono::Utc;
use futures::TryStreamExt;
use phorest_client::mock::{
    BodyFault, Hostile, HostileStats, ListKind, PhorestSandbox, SalonSpec, TimestampShape,
};
use phorest_client::*;
use serde_json::Value;

/// A salon with 250 clients (3 SDK pages of 100).
fn spec(seed: u64) -> SalonSpec {
    SalonSpec {
        clients: 250,
        loyalty_cards: 150,
        ..SalonSpec::small(seed)
    }
}

async fn setup(seed: u64) -> (PhorestSandbox, PhorestClient) {
    let sb = PhorestSandbox::start(spec(seed)).await;
    let client = sb
        .client_builder()
        .retry_policy(
            RetryPolicy::default()
                .max_attempts(3)
                .base_delay(Duration::from_millis(2))
                .max_delay(Duration::from_millis(10)),
        )
        .build()
        .unwrap();
    (sb, client)
}

fn http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder().build().unwrap()
}

/// GETs `rel` (relative to `{base}/{businessId}`) as the API user: status, content type, body.
async fn get(sb: &PhorestSandbox, rel: &str) -> (u16, String, String) {
    let url = format!(
        "{}/{}{}",
        sb.base_url(),
        sb.business_id(),
        rel.replace("{br}", sb.branch_id())
    );
    let resp = http()
        .get(url)
        .basic_auth(sb.username(), Some(sb.password()))
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let content_type = resp
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, content_type, resp.text().await.unwrap())
}

async fn get_json(sb: &PhorestSandbox, rel: &str) -> Value {
    let (status, _, text) = get(sb, rel).await;
    assert_eq!(status, 200, "{text}");
    serde_json::from_str(&text).unwrap()
}

fn ids(body: &Value, key: &str, id_key: &str) -> Vec<String> {
    body["_embedded"][key]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|i| i[id_key].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

async fn sdk_clients(client: &PhorestClient) -> (Vec<Page<Client>>, Vec<String>) {
    let pages: Vec<Page<Client>> = client
        .clients()
        .pages(&ClientQuery::new(), 0)
        .try_collect()
        .await
        .unwrap();
    let ids = pages
        .iter()
        .flat_map(|p| p.items.iter().map(|c| c.client_id.to_string()))
        .collect();
    (pages, ids)
}

fn listed(sb: &PhorestSandbox) -> Vec<String> {
    sb.with_salon(|s| s.listed_clients().map(|c| c.client_id.clone()).collect())
}

#[tokio::test]
async fn an_empty_page_in_the_middle_is_served_and_the_walk_goes_on() {
    let (sb, client) = setup(1).await;
    let all = listed(&sb);
    sb.set_hostile(Hostile::new(0).empty_page(ListKind::Clients, 1));
    let raw = get_json(&sb, "/client?page=1&size=100").await;
    assert!(raw.get("_embedded").is_none(), "{raw}");
    assert_eq!(raw["page"]["totalElements"], all.len());
    assert_eq!(raw["page"]["totalPages"], 3);

    let (pages, seen) = sdk_clients(&client).await;
    let counts: Vec<_> = pages.iter().map(|p| p.record_count()).collect();
    assert_eq!(
        counts,
        [100, 0, all.len() - 200],
        "the walk reached the last page"
    );
    assert_eq!(
        seen.len(),
        all.len() - 100,
        "page 1's records were not served"
    );
    assert_eq!(
        sb.hostile_stats().pages_emptied,
        2,
        "the raw read and the SDK's"
    );

    // Off again: the whole list.
    sb.clear_hostile();
    let (_, seen) = sdk_clients(&client).await;
    assert_eq!(seen, all);
    assert_eq!(sb.hostile_stats(), HostileStats::default());
}

#[tokio::test]
async fn understated_total_pages_are_served_and_probed_past() {
    let (sb, client) = setup(2).await;
    let all = listed(&sb);
    sb.set_hostile(Hostile::new(0).understate_total_pages(ListKind::Clients));
    let raw = get_json(&sb, "/client?page=0&size=100").await;
    assert_eq!(raw["page"]["totalPages"], 2, "3 pages, reported as 2");
    let (pages, seen) = sdk_clients(&client).await;
    assert_eq!(pages.len(), 3, "the SDK probed the page the server hid");
    assert!(pages.iter().all(|p| p.total_pages == 2));
    assert_eq!(seen, all);
}

#[tokio::test]
async fn a_page_repeating_the_previous_one_is_served() {
    let (sb, client) = setup(3).await;
    let all = listed(&sb);
    assert!(all.len() > 200 && all.len() <= 300, "three pages");
    sb.set_hostile(Hostile::new(0).repeat_previous_page(ListKind::Clients, 2));
    let page1 = ids(
        &get_json(&sb, "/client?page=1&size=100").await,
        "clients",
        "clientId",
    );
    let page2 = ids(
        &get_json(&sb, "/client?page=2&size=100").await,
        "clients",
        "clientId",
    );
    assert_eq!(page1, page2);
    let (_, seen) = sdk_clients(&client).await;
    let unique: HashSet<_> = seen.iter().collect();
    assert_eq!(
        seen.len(),
        300,
        "page 1 twice (the last page holds page 1's 100)"
    );
    assert_eq!(unique.len(), 200, "page 2's records never arrive");
    assert_eq!(
        sb.hostile_stats().pages_repeated,
        2,
        "the raw read and the SDK's"
    );
    assert!(all.len() > 200);
}

#[tokio::test]
async fn a_record_served_twice_within_a_page_and_across_pages() {
    let (sb, client) = setup(4).await;
    let all = listed(&sb);
    sb.set_hostile(Hostile::new(0).duplicate_within_page(ListKind::Clients, 0));
    let page0 = ids(
        &get_json(&sb, "/client?page=0&size=100").await,
        "clients",
        "clientId",
    );
    assert_eq!(page0.len(), 101);
    assert_eq!(page0.first(), page0.last());
    let (_, seen) = sdk_clients(&client).await;
    assert_eq!(seen.len(), all.len() + 1);
    assert_eq!(seen.iter().collect::<HashSet<_>>().len(), all.len());

    sb.set_hostile(Hostile::new(0).duplicate_across_pages(ListKind::Clients, 0));
    let page0 = ids(
        &get_json(&sb, "/client?page=0&size=100").await,
        "clients",
        "clientId",
    );
    let page1 = get_json(&sb, "/client?page=1&size=100").await;
    assert_eq!(page0.last(), ids(&page1, "clients", "clientId").first());
    assert_eq!(page1["page"]["totalElements"], all.len() + 1);
    let (_, seen) = sdk_clients(&client).await;
    assert_eq!(seen.len(), all.len() + 1);
    let unique: HashSet<_> = seen.iter().cloned().collect();
    assert_eq!(unique, all.iter().cloned().collect(), "nothing lost");
    assert!(sb.hostile_stats().records_duplicated >= 2);
}

#[tokio::test]
async fn anomalies_apply_per_list_and_to_every_appointment_window() {
    let (sb, client) = setup(5).await;
    sb.set_hostile(Hostile::new(0).empty_page(ListKind::Staff, 0));
    let clients = get_json(&sb, "/client?page=0&size=100").await;
    assert_eq!(
        ids(&clients, "clients", "clientId").len(),
        100,
        "other lists untouched"
    );
    let staff: Vec<Staff> = client
        .staff(sb.branch_id())
        .list(&StaffQuery::all())
        .try_collect()
        .await
        .unwrap();
    assert!(staff.is_empty());
}

#[tokio::test]
async fn malformed_records_are_served_and_rejected_alone() {
    let (sb, client) = setup(6).await;
    let (client_id, appointment, window) = sb.with_salon(|s| {
        let a = &s.appointments()[0];
        (
            s.listed_clients().nth(5).unwrap().client_id.clone(),
            a.appointment_id.clone(),
            a.appointment_date,
        )
    });
    sb.set_hostile(
        Hostile::new(0)
            .bad_client_birth_date(&client_id)
            .bad_appointment_start_time(&appointment),
    );
    let raw = get_json(&sb, &format!("/client/{client_id}")).await;
    assert_eq!(raw["birthDate"], "1985-02-30");
    let page = client
        .clients()
        .pages(&ClientQuery::new(), 0)
        .try_next()
        .await
        .unwrap()
        .unwrap();
    assert_eq!(page.items.len(), 99);
    assert_eq!(page.rejected.len(), 1);
    assert_eq!(page.rejected[0].id.as_deref(), Some(client_id.as_str()));
    assert_eq!(page.rejected[0].path, "_embedded.clients[5].birthDate");
    let err = client
        .clients()
        .get(&client_id.as_str().into())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Decode { path, .. } if path == "birthDate"),
        "{err:?}"
    );

    let query = AppointmentQuery::for_sync(window, window);
    let (_, rejected) = collect_items(client.appointments(sb.branch_id()).list(&query))
        .await
        .unwrap();
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0].id.as_deref(), Some(appointment.as_str()));
    assert!(
        rejected[0].path.ends_with("].startTime"),
        "{}",
        rejected[0].path
    );
    assert!(sb.hostile_stats().records_bent >= 3);
}

#[tokio::test]
async fn odd_but_valid_timestamp_shapes_decode_to_the_same_instants() {
    let (sb, client) = setup(7).await;
    let chosen: Vec<String> = listed(&sb).into_iter().skip(10).take(3).collect();
    let normal: Vec<Client> = client
        .clients()
        .batch(
            &chosen
                .iter()
                .map(|id| ClientId::from(id.as_str()))
                .collect::<Vec<_>>(),
        )
        .try_collect()
        .await
        .unwrap();
    sb.set_hostile(
        Hostile::new(0)
            .odd_timestamps(ListKind::Clients, &chosen[0], TimestampShape::JacksonOffset)
            .odd_timestamps(ListKind::Clients, &chosen[1], TimestampShape::EpochMillis)
            .odd_timestamps(ListKind::Clients, &chosen[2], TimestampShape::DateOnly),
    );
    let raw = get_json(&sb, &format!("/client/{}", chosen[0])).await;
    assert!(
        raw["createdAt"].as_str().unwrap().ends_with("+0000"),
        "{raw}"
    );
    let raw = get_json(&sb, &format!("/client/{}", chosen[1])).await;
    assert!(raw["updatedAt"].is_i64(), "{raw}");
    let raw = get_json(&sb, &format!("/client/{}", chosen[2])).await;
    assert_eq!(raw["updatedAt"].as_str().unwrap().len(), 10, "{raw}");

    let odd: Vec<Client> = client
        .clients()
        .batch(
            &chosen
                .iter()
                .map(|id| ClientId::from(id.as_str()))
                .collect::<Vec<_>>(),
        )
        .try_collect()
        .await
        .unwrap();
    assert_eq!(odd.len(), 3, "every shape decodes");
    assert_eq!(odd[0].updated_at, normal[0].updated_at);
    assert_eq!(odd[1].updated_at, normal[1].updated_at);
    assert_eq!(
        odd[2].updated_at.map(|t| t.date_naive()),
        normal[2].updated_at.map(|t| t.date_naive())
    );
}

#[tokio::test]
async fn html_and_cut_short_answers_on_chosen_requests_and_at_a_rate() {
    let (sb, client) = setup(8).await;
    sb.set_hostile(Hostile::new(0).body_fault_on("/client", 2, BodyFault::Html));
    assert_eq!(get(&sb, "/client?page=0").await.0, 200);
    let (status, content_type, body) = get(&sb, "/client?page=0").await;
    assert_eq!((status, content_type.as_str()), (200, "text/html"));
    assert!(body.contains("502 Bad Gateway"));
    assert!(
        get_json(&sb, "/client?page=0").await.get("page").is_some(),
        "only the 2nd"
    );

    // The SDK retries the one answer cut short.
    sb.set_hostile(Hostile::new(0).body_fault_on("/client", 1, BodyFault::Truncated));
    sb.reset_counters();
    let (_, seen) = sdk_clients(&client).await;
    assert_eq!(seen, listed(&sb));
    assert_eq!(
        sb.count_requests(&format!("/{}/client", sb.business_id())),
        4
    );
    assert_eq!(sb.hostile_stats().body_faults, 1);

    // Always cut short: a typed decode error after max_attempts.
    sb.set_hostile(Hostile::new(9).body_fault_rate(Some("/branch"), 1.0, BodyFault::Truncated));
    let err = client
        .branches()
        .list()
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Decode { message, .. } if message.starts_with("JSON cut short")),
        "{err:?}"
    );
    assert_eq!(sb.hostile_stats().body_faults, 3);
}

#[tokio::test]
async fn body_fault_rates_are_deterministic_for_a_seed() {
    async fn statuses(seed: u64) -> Vec<String> {
        let sb = PhorestSandbox::start(SalonSpec::small(1)).await;
        sb.set_hostile(Hostile::new(seed).body_fault_rate(None, 0.5, BodyFault::Html));
        let mut out = Vec::new();
        for _ in 0..16 {
            out.push(get(&sb, "/branch").await.1);
        }
        out
    }
    let a = statuses(3).await;
    assert_eq!(a, statuses(3).await);
    assert_ne!(a, statuses(4).await);
    assert!(a.iter().any(|t| t == "text/html") && a.iter().any(|t| t == "application/json"));
}

#[tokio::test]
async fn branch_time_zones_null_windows_or_garbage() {
    let (sb, client) = setup(9).await;
    let branch = |client: PhorestClient| async move {
        client
            .branches()
            .list()
            .try_collect::<Vec<Branch>>()
            .await
            .unwrap()
            .remove(0)
    };
    assert_eq!(
        branch(client.clone()).await.time_zone(),
        Ok(chrono_tz::Europe::Dublin)
    );
    sb.set_hostile(Hostile::new(0).branch_time_zone(None));
    let raw = get_json(&sb, "/branch").await;
    assert!(
        raw["_embedded"]["branches"][0]["timeZone"].is_null(),
        "{raw}"
    );
    assert_eq!(
        branch(client.clone()).await.time_zone(),
        Err(TimeZoneError::MissingTimeZone)
    );
    sb.set_hostile(Hostile::new(0).branch_time_zone(Some("GMT Standard Time")));
    assert_eq!(
        branch(client.clone()).await.time_zone(),
        Ok(chrono_tz::Europe::London)
    );
    sb.set_hostile(Hostile::new(0).branch_time_zone(Some("Dublin-ish")));
    assert_eq!(
        branch(client.clone()).await.time_zone(),
        Err(TimeZoneError::UnknownTimeZone("Dublin-ish".into()))
    );
}

#[tokio::test]
async fn edits_between_reads_land_mid_walk_once() {
    let (sb, client) = setup(10).await;
    let all = listed(&sb);
    let (x, y) = (all[150].clone(), all[3].clone());
    let y_email = sb.with_salon(|s| s.client(&y).unwrap().email.clone());
    let x_for_hook = x.clone();
    let y_for_hook = y_email.clone();
    sb.on_page_served(ListKind::Clients, 1, move |salon| {
        salon.update_client(&x_for_hook, Utc::now(), |c| c.email = y_for_hook);
    });
    let (pages, _) = sdk_clients(&client).await;
    let x_seen = pages
        .iter()
        .flat_map(|p| &p.items)
        .find(|c| c.client_id.as_str() == x)
        .unwrap();
    assert_eq!(
        x_seen.email, y_email,
        "page 2 already carries the edit made after page 1"
    );
    let y_seen = pages[0]
        .items
        .iter()
        .find(|c| c.client_id.as_str() == y)
        .unwrap();
    assert_eq!(y_seen.email, y_email, "two clients now share an email");
    assert_eq!(sb.hostile_stats().hooks_run, 1);
    // Runs once.
    let before = sb.with_salon(|s| s.client(&x).unwrap().version);
    sdk_clients(&client).await;
    assert_eq!(sb.with_salon(|s| s.client(&x).unwrap().version), before);
}

#[tokio::test]
async fn ignored_archived_and_deleted_flags_hide_those_clients() {
    let (sb, client) = setup(11).await;
    let every = sb.with_salon(|s| s.clients().len());
    let listed = listed(&sb).len();
    assert!(every > listed, "the salon has archived or deleted clients");
    let count = |client: PhorestClient| async move {
        client
            .clients()
            .list(&ClientQuery::all())
            .try_collect::<Vec<_>>()
            .await
            .unwrap()
            .len()
    };
    assert_eq!(count(client.clone()).await, every);
    sb.set_hostile(Hostile::new(0).ignore_archived_deleted_flags(true));
    assert_eq!(count(client.clone()).await, listed);
    let categories: Vec<ClientCategory> = client
        .client_categories()
        .list(&ClientCategoryQuery::all())
        .try_collect()
        .await
        .unwrap();
    assert!(categories.iter().all(|c| !c.archived));
    sb.clear_hostile();
    assert_eq!(
        count(client).await,
        every,
        "the client filter cache was invalidated"
    );
}

#[tokio::test]
async fn loyalty_changes_can_keep_updated_at() {
    let (sb, client) = setup(12).await;
    let all = listed(&sb);
    // Every generated instant is at or before the spec's "now", which is in the past.
    let mark = Utc::now();
    let changed_since = |client: PhorestClient| async move {
        client
            .clients()
            .list(&ClientQuery::all().updated_after(mark))
            .try_collect::<Vec<_>>()
            .await
            .unwrap()
            .into_iter()
            .map(|c| c.client_id.to_string())
            .collect::<Vec<_>>()
    };
    sb.set_hostile(Hostile::new(0).loyalty_changes_keep_updated_at(true));
    assert!(sb.set_loyalty_points(&all[0], 123.0));
    assert!(
        changed_since(client.clone()).await.is_empty(),
        "updatedAt did not move"
    );
    let served = client.clients().get(&all[0].as_str().into()).await.unwrap();
    assert_eq!(served.loyalty_card.and_then(|c| c.points), Some(123.0));
    // Any other edit still moves it.
    sb.update_client(&all[1], |c| c.notes = Some("VIP".into()));
    assert_eq!(changed_since(client.clone()).await, [all[1].clone()]);
    // Off: a points change moves updatedAt again.
    sb.clear_hostile();
    sb.set_loyalty_points(&all[2], 5.0);
    let mut got = changed_since(client).await;
    got.sort();
    let mut want = vec![all[1].clone(), all[2].clone()];
    want.sort();
    assert_eq!(got, want);
}
