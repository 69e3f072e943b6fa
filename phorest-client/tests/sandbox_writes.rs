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

#[tokio::test]
async fn diary_reads_follow_the_salon() {
    use chrono::{Datelike, NaiveDate, Weekday};
    use phorest_client::{BreakQuery, ClientId, StaffQuery, WorkTimetableQuery};

    let (sb, phorest) = setup(33).await;
    // Service history follows the client's appointments, including one added later.
    let (client_id, before) = sb.with_salon(|s| {
        let a = s.appointments().iter().find(|a| !a.deleted).unwrap();
        let n = s
            .appointments()
            .iter()
            .filter(|x| x.client_id == a.client_id && !x.deleted)
            .count();
        (a.client_id.clone(), n)
    });
    let history = |phorest: PhorestClient, id: String| async move {
        phorest
            .clients()
            .service_history(&ClientId::from(id))
            .try_collect::<Vec<_>>()
            .await
            .unwrap()
    };
    let visits = history(phorest.clone(), client_id.clone()).await;
    assert_eq!(
        visits.iter().map(|v| v.services.len()).sum::<usize>(),
        before
    );
    assert!(
        visits.windows(2).all(|w| w[0].date >= w[1].date),
        "newest first"
    );
    let day = NaiveDate::from_ymd_opt(2030, 1, 8).unwrap();
    let new_id = sb.add_appointment(|a| {
        a.client_id = client_id.clone();
        a.appointment_date = day;
        a.start_time = chrono::NaiveTime::from_hms_opt(10, 0, 0).unwrap();
        a.end_time = chrono::NaiveTime::from_hms_opt(10, 45, 0).unwrap();
    });
    let visits = history(phorest.clone(), client_id).await;
    assert_eq!(visits[0].date, Some(day));
    assert_eq!(
        visits[0].services[0]
            .appointment_id
            .as_ref()
            .map(|a| a.as_str()),
        Some(new_id.as_str())
    );
    assert_eq!(visits[0].services[0].duration, Some(45));

    // Breaks and rota: one lunch break and one slot per working day per listed staff member,
    // across a two-month range (month windows).
    let staff: Vec<_> = phorest
        .staff(sb.branch_id())
        .list(&StaffQuery::new())
        .try_collect()
        .await
        .unwrap();
    let (from, to) = (
        NaiveDate::from_ymd_opt(2026, 1, 20).unwrap(),
        NaiveDate::from_ymd_opt(2026, 2, 10).unwrap(),
    );
    let working = from
        .iter_days()
        .take_while(|d| *d <= to)
        .filter(|d| !matches!(d.weekday(), Weekday::Sun | Weekday::Mon))
        .count();
    let breaks: Vec<_> = phorest
        .breaks(sb.branch_id())
        .list(&BreakQuery::new(from, to))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(breaks.len(), staff.len() * working);
    assert!(breaks.iter().all(|b| b.label.as_deref() == Some("Lunch")));
    let one: Vec<_> = phorest
        .breaks(sb.branch_id())
        .list(&BreakQuery::new(from, to).staff_id(staff[0].staff_id.clone()))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(one.len(), working);
    let rota: Vec<_> = phorest
        .staff(sb.branch_id())
        .work_timetables(&WorkTimetableQuery::new(from, to))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(
        rota.len(),
        staff.len() * 2,
        "one timetable per staff member per month"
    );
    assert_eq!(
        rota.iter().map(|t| t.time_slots.len()).sum::<usize>(),
        staff.len() * working
    );
}
