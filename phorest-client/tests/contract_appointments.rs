//! Appointments: month splitting with inclusive `to_date`, the `fetch_*` flags, `updated_from`,
//! per-window paging, DST-aware UTC conversion and the derived bookings and check-ins.

mod common;

use chrono::{NaiveDate, NaiveTime, TimeZone, Utc};
use common::*;
use futures::TryStreamExt;
use phorest_client::*;
use serde_json::json;
use wiremock::{Mock, MockServer, Request, ResponseTemplate, matchers};

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn t(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap()
}

fn appt(id: &str, date: &str) -> serde_json::Value {
    json!({
        "appointmentId": id, "version": 3, "branchId": BRANCH, "appointmentDate": date,
        "startTime": "09:30:00.000", "endTime": "10:15:00", "clientId": "c1", "staffId": "s1",
        "serviceId": "sv1", "serviceName": "Colour", "bookingId": "bk1", "price": 80.5,
        "depositAmount": null, "confirmed": true, "state": "PAID", "activationState": "ACTIVE",
        "deleted": false, "source": "ONLINE", "createdAt": "2025-01-02T10:00:00Z",
        "updatedAt": "2025-01-03T11:22:33.444Z", "unknownField": [1, 2]
    })
}

#[tokio::test]
async fn a_long_range_is_split_into_exact_month_windows() {
    let server = MockServer::start().await;
    let path = p(&format!("/branch/{BRANCH}/appointment"));
    // Echo one appointment per window, dated at the window's first day.
    Mock::given(matchers::method("GET"))
        .and(matchers::path(path))
        .and(matchers::header("authorization", AUTH))
        .respond_with(|req: &Request| {
            let from = req
                .url
                .query_pairs()
                .find(|(k, _)| k == "from_date")
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default();
            ResponseTemplate::new(200).set_body_json(hal(
                "appointments",
                json!([appt(&format!("a-{from}"), &from)]),
                0,
                1,
                1,
            ))
        })
        .expect(3)
        .mount(&server)
        .await;
    let since = Utc.with_ymd_and_hms(2025, 1, 10, 8, 0, 0).unwrap();
    let query = AppointmentQuery::for_sync(d(2025, 1, 15), d(2025, 3, 10)).updated_from(since);
    let got: Vec<Appointment> = client(&server)
        .appointments(BRANCH)
        .list(&query)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(
        got.iter()
            .map(|a| a.appointment_id.as_str())
            .collect::<Vec<_>>(),
        ["a-2025-01-15", "a-2025-02-01", "a-2025-03-01"]
    );
    let reqs = requests(&server).await;
    for (req, (from, to)) in reqs.iter().zip([
        ("2025-01-15", "2025-01-31"),
        ("2025-02-01", "2025-02-28"),
        ("2025-03-01", "2025-03-10"),
    ]) {
        assert_query(
            req,
            &[
                ("from_date", from),
                ("to_date", to),
                ("fetch_canceled", "true"),
                ("fetch_deleted", "true"),
                ("fetch_archived", "true"),
                ("updated_from", "2025-01-10T08:00:00.000Z"),
                ("page", "0"),
                ("size", "100"),
            ],
        );
    }
}

#[tokio::test]
async fn window_pages_resume_at_a_page_and_send_the_other_filters() {
    let server = MockServer::start().await;
    let path = p(&format!("/branch/{BRANCH}/appointment"));
    mount_page(
        &server,
        &path,
        2,
        hal("appointments", json!([appt("a2", "2025-02-03")]), 2, 4, 310),
    )
    .await;
    mount_page(
        &server,
        &path,
        3,
        hal("appointments", json!([appt("a3", "2025-02-04")]), 3, 4, 310),
    )
    .await;
    let query = AppointmentQuery::new(d(2025, 2, 1), d(2025, 2, 28))
        .staff_id("s1")
        .client_id("c1")
        .updated_to(Utc.with_ymd_and_hms(2025, 3, 1, 0, 0, 0).unwrap())
        .fetch_online_category(true)
        .sort("appointmentDate,desc");
    let windows = query.windows();
    assert_eq!(
        windows,
        vec![MonthWindow::new(d(2025, 2, 1), d(2025, 2, 28))]
    );
    let pages: Vec<Page<Appointment>> = client(&server)
        .appointments(BRANCH)
        .window_pages(&query, windows[0], 2)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(pages.iter().map(|p| p.number).collect::<Vec<_>>(), [2, 3]);
    assert_eq!(pages[1].total_elements, 310);
    assert_query(
        &requests(&server).await[0],
        &[
            ("from_date", "2025-02-01"),
            ("to_date", "2025-02-28"),
            ("staff_id", "s1"),
            ("client_id", "c1"),
            ("updated_to", "2025-03-01T00:00:00.000Z"),
            ("fetch_online_category", "true"),
            ("sort", "appointmentDate,desc"),
            ("page", "2"),
            ("size", "100"),
        ],
    );
}

#[tokio::test]
async fn appointment_decodes_and_derives_check_in_and_bookings() {
    let server = MockServer::start().await;
    mount_get(
        &server,
        &p(&format!("/branch/{BRANCH}/appointment/a1")),
        appt("a1", "2025-01-20"),
    )
    .await;
    let a = client(&server)
        .appointments(BRANCH)
        .get(&AppointmentId::from("a1"))
        .await
        .unwrap();
    assert_eq!(a.appointment_date, Some(d(2025, 1, 20)));
    assert_eq!(
        (a.start_time, a.end_time),
        (Some(t(9, 30)), Some(t(10, 15)))
    );
    assert_eq!(a.state, Some(AppointmentState::Paid));
    assert_eq!(a.activation_state, Some(ActivationState::Active));
    assert_eq!(a.price, Some(80.5));
    assert!(a.is_checked_in() && !a.is_cancelled());

    let mut cancelled = a.clone();
    cancelled.activation_state = Some(ActivationState::Canceled);
    assert!(cancelled.is_cancelled() && !cancelled.is_checked_in());
    let mut deleted = a.clone();
    deleted.deleted = true;
    assert!(!deleted.is_checked_in());
    let booked: Appointment = serde_json::from_value(json!({
        "appointmentId": "a9", "bookingId": "bk2", "state": "SOMETHING_NEW", "activationState": "ON_HOLD"
    }))
    .unwrap();
    assert_eq!(
        booked.state,
        Some(AppointmentState::Unknown("SOMETHING_NEW".into()))
    );
    assert_eq!(
        booked.activation_state,
        Some(ActivationState::Unknown("ON_HOLD".into()))
    );
    assert!(!booked.is_checked_in());

    let mut second = a.clone();
    second.appointment_id = "a2".into();
    let orphan: Appointment = serde_json::from_value(json!({"appointmentId": "a0"})).unwrap();
    let all = [a.clone(), second, booked, orphan];
    let groups = group_by_booking(&all);
    assert_eq!(groups.len(), 2);
    let bk1: Vec<&str> = groups[&BookingId::from("bk1")]
        .iter()
        .map(|x| x.appointment_id.as_str())
        .collect();
    assert_eq!(bk1, ["a1", "a2"]);
    assert_eq!(groups[&BookingId::from("bk2")].len(), 1);
}

#[test]
fn dst_spring_forward_gap_in_dublin_is_reported() {
    let tz = Tz::Europe__Dublin;
    match local_to_utc(d(2025, 3, 30), t(1, 30), tz) {
        Err(LocalTimeError::Nonexistent { local, tz: zone }) => {
            assert_eq!(local, d(2025, 3, 30).and_time(t(1, 30)));
            assert_eq!(zone, tz);
        }
        other => panic!("{other:?}"),
    }
    // Either side of the gap resolves.
    assert_eq!(
        local_to_utc(d(2025, 3, 30), t(0, 30), tz).unwrap(),
        Utc.with_ymd_and_hms(2025, 3, 30, 0, 30, 0).unwrap()
    );
    assert_eq!(
        local_to_utc(d(2025, 3, 30), t(2, 30), tz).unwrap(),
        Utc.with_ymd_and_hms(2025, 3, 30, 1, 30, 0).unwrap()
    );
}

#[test]
fn dst_fall_back_overlap_in_dublin_carries_both_candidates() {
    let tz = Tz::Europe__Dublin;
    match local_to_utc(d(2025, 10, 26), t(1, 30), tz) {
        Err(LocalTimeError::Ambiguous {
            earliest, latest, ..
        }) => {
            assert_eq!(
                earliest,
                Utc.with_ymd_and_hms(2025, 10, 26, 0, 30, 0).unwrap()
            );
            assert_eq!(
                latest,
                Utc.with_ymd_and_hms(2025, 10, 26, 1, 30, 0).unwrap()
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn new_york_appointments_resolve_through_the_branch_zone() {
    let tz = Tz::America__New_York;
    let a: Appointment = serde_json::from_value(json!({
        "appointmentId": "ny1", "appointmentDate": "2025-07-04", "startTime": "13:30:00", "endTime": "14:15:00.000"
    }))
    .unwrap();
    assert_eq!(
        a.start_utc(tz).unwrap(),
        Utc.with_ymd_and_hms(2025, 7, 4, 17, 30, 0).unwrap()
    );
    assert_eq!(
        a.end_utc(tz).unwrap(),
        Utc.with_ymd_and_hms(2025, 7, 4, 18, 15, 0).unwrap()
    );
    let winter: Appointment = serde_json::from_value(json!({
        "appointmentId": "ny2", "appointmentDate": "2025-01-15", "startTime": "13:30:00"
    }))
    .unwrap();
    assert_eq!(
        winter.start_utc(tz).unwrap(),
        Utc.with_ymd_and_hms(2025, 1, 15, 18, 30, 0).unwrap()
    );
    assert_eq!(winter.end_utc(tz), Err(LocalTimeError::Missing("endTime")));
    // New York's 2025 spring-forward gap is 02:00-03:00 on 9 March.
    assert!(matches!(
        local_to_utc(d(2025, 3, 9), t(2, 15), tz),
        Err(LocalTimeError::Nonexistent { .. })
    ));
    // A late appointment ending after midnight ends on the next day.
    let late: Appointment = serde_json::from_value(json!({
        "appointmentId": "ny3", "appointmentDate": "2025-07-04", "startTime": "23:30:00", "endTime": "00:15:00"
    }))
    .unwrap();
    assert_eq!(
        late.end_utc(tz).unwrap(),
        Utc.with_ymd_and_hms(2025, 7, 5, 4, 15, 0).unwrap()
    );
}

#[test]
fn month_windows_are_inclusive_calendar_months() {
    let w = month_windows(d(2025, 1, 15), d(2025, 3, 10));
    assert_eq!(
        w,
        vec![
            MonthWindow::new(d(2025, 1, 15), d(2025, 1, 31)),
            MonthWindow::new(d(2025, 2, 1), d(2025, 2, 28)),
            MonthWindow::new(d(2025, 3, 1), d(2025, 3, 10)),
        ]
    );
    assert!(month_windows(d(2025, 3, 11), d(2025, 3, 10)).is_empty());
}

#[tokio::test]
async fn an_empty_range_sends_no_request() {
    let server = MockServer::start().await;
    let got: Vec<Appointment> = client(&server)
        .appointments(BRANCH)
        .list(&AppointmentQuery::for_sync(d(2025, 3, 11), d(2025, 3, 10)))
        .try_collect()
        .await
        .unwrap();
    assert!(got.is_empty());
    assert!(requests(&server).await.is_empty());
}
