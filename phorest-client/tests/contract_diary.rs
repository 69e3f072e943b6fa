//! Diary reads: a client's service history, breaks and staff work timetables. Exact paths and
//! queries (month windows), and typed decoding of real-shaped pages (U1 and DH shapes).

mod common;

use chrono::{NaiveDate, NaiveTime, TimeZone, Utc};
use common::*;
use futures::TryStreamExt as _;
use phorest_client::*;
use serde_json::json;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

#[tokio::test]
async fn service_history_pages_and_decodes_visits() {
    let server = wiremock::MockServer::start().await;
    let path = p("/client/cl-1/service-history");
    mount_page(
        &server,
        &path,
        0,
        hal(
            "clientServiceHistories",
            json!([{
                "branchId": BRANCH, "clientId": "cl-1", "notes": "used 6%", "date": "2026-02-14",
                "services": [{
                    "appointmentId": "ap-1", "staffId": "st-1", "serviceId": "sv-1",
                    "serviceCategoryId": "cat-1", "time": "2026-02-14T15:00:00.000Z",
                    "description": "Cut & Blow Dry", "duration": 45, "discount": 5.0,
                    "fee": 50.0, "originalPrice": 55.0, "waitingList": false, "cancelled": false
                }]
            }]),
            0,
            2,
            2,
        ),
    )
    .await;
    mount_page(
        &server,
        &path,
        1,
        hal(
            "clientServiceHistories",
            json!([{"branchId": BRANCH, "clientId": "cl-1", "date": "2025-12-01", "services": null}]),
            1,
            2,
            2,
        ),
    )
    .await;
    let visits: Vec<ClientServiceHistory> = client(&server)
        .clients()
        .service_history(&ClientId::from("cl-1"))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(visits.len(), 2);
    let first = &visits[0];
    assert_eq!(first.date, Some(d(2026, 2, 14)));
    assert_eq!(first.branch_id.as_ref().map(BranchId::as_str), Some(BRANCH));
    let line = &first.services[0];
    assert_eq!(
        line.appointment_id.as_ref().map(AppointmentId::as_str),
        Some("ap-1")
    );
    assert_eq!(
        line.time,
        Some(Utc.with_ymd_and_hms(2026, 2, 14, 15, 0, 0).unwrap())
    );
    assert_eq!(
        (line.duration, line.fee, line.original_price),
        (Some(45), Some(50.0), Some(55.0))
    );
    assert!(!line.cancelled);
    assert!(visits[1].services.is_empty());
    for req in requests(&server).await {
        assert_eq!(req.method.as_str(), "GET");
        assert_eq!(req.headers.get("authorization").unwrap(), AUTH);
        let page = req
            .url
            .query_pairs()
            .find(|(k, _)| k == "page")
            .unwrap()
            .1
            .into_owned();
        assert_query(&req, &[("page", &page), ("size", "100")]);
    }
}

#[tokio::test]
async fn breaks_are_read_per_month_window_with_filters() {
    let server = wiremock::MockServer::start().await;
    let path = p(&format!("/branch/{BRANCH}/break"));
    wiremock::Mock::given(wiremock::matchers::method("GET"))
        .and(wiremock::matchers::path(path.clone()))
        .and(wiremock::matchers::query_param("from_date", "2026-01-20"))
        .and(wiremock::matchers::header("authorization", AUTH))
        .respond_with(wiremock::ResponseTemplate::new(200).set_body_json(hal(
            "breaks",
            json!([{
                "breakDate": "2026-01-21", "startTime": "13:00:00", "endTime": "13:30:00.000",
                "staffId": "st-1", "roomId": null, "machineId": "m-1", "label": "Lunch",
                "paidBreak": true, "breakId": "br-1", "version": 3
            }]),
            0,
            1,
            1,
        )))
        .expect(1)
        .mount(&server)
        .await;
    wiremock::Mock::given(wiremock::matchers::method("GET"))
        .and(wiremock::matchers::path(path))
        .and(wiremock::matchers::query_param("from_date", "2026-02-01"))
        .respond_with(wiremock::ResponseTemplate::new(200).set_body_json(json!({
            "page": {"size": 100, "totalElements": 0, "totalPages": 0, "number": 0}
        })))
        .expect(1)
        .mount(&server)
        .await;
    let query = BreakQuery::new(d(2026, 1, 20), d(2026, 2, 10))
        .staff_id("st-1")
        .machine_id("m-1");
    let breaks: Vec<Break> = client(&server)
        .breaks(BRANCH)
        .list(&query)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(breaks.len(), 1);
    let b = &breaks[0];
    assert_eq!(b.break_id.as_str(), "br-1");
    assert_eq!(b.version, Some(3));
    assert_eq!(b.break_date, Some(d(2026, 1, 21)));
    assert_eq!(b.start_time, NaiveTime::from_hms_opt(13, 0, 0));
    assert_eq!(b.end_time, NaiveTime::from_hms_opt(13, 30, 0));
    assert_eq!(b.machine_id.as_ref().map(MachineId::as_str), Some("m-1"));
    assert!(b.room_id.is_none() && b.paid_break);
    let reqs = requests(&server).await;
    assert_query(
        &reqs[0],
        &[
            ("from_date", "2026-01-20"),
            ("to_date", "2026-01-31"),
            ("staff_id", "st-1"),
            ("machine_id", "m-1"),
            ("page", "0"),
            ("size", "100"),
        ],
    );
    assert_query(
        &reqs[1],
        &[
            ("from_date", "2026-02-01"),
            ("to_date", "2026-02-10"),
            ("staff_id", "st-1"),
            ("machine_id", "m-1"),
            ("page", "0"),
            ("size", "100"),
        ],
    );
}

#[tokio::test]
async fn work_timetables_decode_the_rota() {
    let server = wiremock::MockServer::start().await;
    let path = p(&format!("/branch/{BRANCH}/staff/worktimetable"));
    mount_get(
        &server,
        &path,
        hal(
            "workTimeTables",
            json!([{
                "staffId": "st-1", "branchId": BRANCH,
                "timeSlots": [
                    {"date": "2026-03-03", "startTime": "09:00:00", "endTime": "17:30:00",
                     "timeOffStartTime": "12:00:00", "timeOffEndTime": "12:30:00",
                     "type": "WORKING", "custom": null, "branchId": BRANCH, "workActivityId": "wa-1"},
                    {"date": "2026-03-04", "startTime": "00:00:00", "endTime": "00:00:00",
                     "type": "DAY_OFF"}
                ]
            }]),
            0,
            1,
            1,
        ),
    )
    .await;
    let rota: Vec<WorkTimetable> = client(&server)
        .staff(BRANCH)
        .work_timetables(
            &WorkTimetableQuery::new(d(2026, 3, 1), d(2026, 3, 31)).activity_type("WORKING"),
        )
        .try_collect()
        .await
        .unwrap();
    assert_eq!(rota.len(), 1);
    assert_eq!(rota[0].staff_id.as_str(), "st-1");
    let slot = &rota[0].time_slots[0];
    assert_eq!(slot.date, Some(d(2026, 3, 3)));
    assert_eq!(slot.time_off_start_time, NaiveTime::from_hms_opt(12, 0, 0));
    assert_eq!(slot.slot_type.as_deref(), Some("WORKING"));
    assert_eq!(slot.work_activity_id.as_deref(), Some("wa-1"));
    assert_eq!(rota[0].time_slots[1].slot_type.as_deref(), Some("DAY_OFF"));
    assert_query(
        &requests(&server).await[0],
        &[
            ("from_date", "2026-03-01"),
            ("to_date", "2026-03-31"),
            ("activity_type", "WORKING"),
            ("page", "0"),
            ("size", "100"),
        ],
    );
}
