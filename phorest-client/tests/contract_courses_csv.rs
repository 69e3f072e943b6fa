//! Courses and client courses (U1 shapes), the `CLIENT_CSV` export and `filterExpression`
//! on CSV exports (DH's bodies): exact paths, queries and bodies, typed decoding.

mod common;

use std::time::Duration;

use chrono::{NaiveDate, TimeZone, Utc};
use common::*;
use futures::TryStreamExt as _;
use phorest_client::*;
use serde_json::json;
use wiremock::{Mock, MockServer, ResponseTemplate, matchers};

#[tokio::test]
async fn courses_and_client_courses_decode() {
    let server = MockServer::start().await;
    mount_get(
        &server,
        &p(&format!("/branch/{BRANCH}/course")),
        hal(
            "courses",
            json!([{
                "courseId": "co-1", "courseName": "6 x Laser", "availableOnline": true,
                "multiBranchCourse": false, "totalPrice": 500.0,
                "courseItems": [{"courseItemId": "ci-1", "unitType": "SESSION", "totalUnits": 6,
                                 "totalPrice": 500.0, "serviceId": "sv-1"}]
            }]),
            0,
            1,
            1,
        ),
    )
    .await;
    mount_get(
        &server,
        &p("/clientcourse"),
        hal(
            "clientCourses",
            json!([{
                "clientCourseId": "cc-1", "clientId": "cl-1", "purchasingBranchId": BRANCH,
                "courseId": "co-1", "purchaseDate": "2026-01-05", "expiryDate": "2027-01-05T00:00:00.000Z",
                "grossPrice": 500.0, "netPrice": 406.5,
                "clientCourseItems": [
                    {"clientCourseItemId": "cci-1", "courseItemId": "ci-1", "serviceId": "sv-1",
                     "initialUnits": 6, "remainingUnits": 4, "grossPrice": 500.0, "netPrice": 406.5}
                ]
            }]),
            0,
            1,
            1,
        ),
    )
    .await;
    let phorest = client(&server);
    let courses: Vec<Course> = phorest
        .courses()
        .list(&BranchId::from(BRANCH))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(courses[0].course_id.as_str(), "co-1");
    assert!(courses[0].available_online && !courses[0].multi_branch_course);
    assert_eq!(courses[0].course_items[0].total_units, Some(6));
    let owned: Vec<ClientCourse> = phorest
        .courses()
        .client_courses(
            &ClientCourseQuery::new()
                .client_id("cl-1")
                .include_used_course_items(true),
        )
        .try_collect()
        .await
        .unwrap();
    let cc = &owned[0];
    assert_eq!(cc.client_course_id.as_str(), "cc-1");
    assert_eq!(cc.remaining_units(), 4);
    assert_eq!(
        cc.purchase_date.as_ref().map(DateOrInstant::date),
        NaiveDate::from_ymd_opt(2026, 1, 5)
    );
    assert_eq!(
        cc.expiry_date.as_ref().map(DateOrInstant::date),
        NaiveDate::from_ymd_opt(2027, 1, 5)
    );
    let reqs = requests(&server).await;
    assert_query(&reqs[0], &[("page", "0"), ("size", "100")]);
    assert_query(
        &reqs[1],
        &[
            ("clientId", "cl-1"),
            ("includeUsedCourseItems", "true"),
            ("page", "0"),
            ("size", "100"),
        ],
    );
}

#[tokio::test]
async fn appointment_decodes_its_client_course_item() {
    let a: Appointment = serde_json::from_value(json!({
        "appointmentId": "ap-1", "clientCourseItemId": "cci-1", "roomId": "r-1"
    }))
    .unwrap();
    assert_eq!(a.client_course_item_id.as_deref(), Some("cci-1"));
}

fn fast_poll() -> PollPolicy {
    PollPolicy::default()
        .initial(Duration::from_millis(5))
        .max(Duration::from_millis(10))
        .max_polls(5)
}

const CLIENT_CSV: &str = "\u{feff}client_id,version,first_name,last_name,mobile,email,birth_date,sms_marketing_consent,archived,deleted,merged_to_client_id,client_since,loyalty_card_serial_number,creating_branch_id,client_category_ids,created_at,updated_at,brand_new
c1,4,Ann,Byrne,16135550142,ann@example.com,1990-04-01,true,false,false,,2019-03-01,L100,SE-J0emUgQnya14mOGdQSw,\"cat-1,cat-2\",2019-03-01T10:00:00.000Z,2026-02-01T09:30:00.000Z,x
c2,1,Bob,,,,,maybe,false,true,c1,,,,,,2026-02-02T09:30:00Z,
";

#[tokio::test]
async fn client_csv_is_started_with_a_filter_expression_and_parsed() {
    let api = MockServer::start().await;
    let bucket = MockServer::start().await;
    let jobs = p(&format!("/branch/{BRANCH}/csvexportjob"));
    Mock::given(matchers::method("POST"))
        .and(matchers::path(jobs.clone()))
        .and(matchers::header("authorization", AUTH))
        .and(matchers::body_json(json!({
            "jobType": "CLIENT_CSV",
            "filterExpression": "updated=>2026-01-31T00:00:00.000Z"
        })))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "jobId": "job-9", "jobType": "CLIENT_CSV", "jobStatus": "IN_PROGRESS",
            "filterExpression": "updated=>2026-01-31T00:00:00.000Z"
        })))
        .expect(1)
        .mount(&api)
        .await;
    Mock::given(matchers::method("GET"))
        .and(matchers::path(format!("{jobs}/job-9")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "jobId": "job-9", "jobStatus": "DONE", "totalRows": 2,
            "tempCsvExternalUrl": format!("{}/x/job-9.csv", bucket.uri())
        })))
        .mount(&api)
        .await;
    Mock::given(matchers::method("GET"))
        .and(matchers::path("/x/job-9.csv"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(CLIENT_CSV, "text/csv"))
        .mount(&bucket)
        .await;
    let since = Utc.with_ymd_and_hms(2026, 1, 31, 0, 0, 0).unwrap();
    let rows = client(&api)
        .csv_exports(BRANCH)
        .clients_csv(Some(since), fast_poll())
        .await
        .unwrap();
    assert_eq!(rows.len(), 2);
    let ann = rows[0].as_ref().unwrap();
    assert_eq!(ann.client_id.as_ref().map(ClientId::as_str), Some("c1"));
    assert_eq!(ann.version, Some(4));
    assert_eq!(ann.birth_date, NaiveDate::from_ymd_opt(1990, 4, 1));
    assert_eq!(ann.sms_marketing_consent, Some(true));
    assert_eq!(ann.client_since, NaiveDate::from_ymd_opt(2019, 3, 1));
    assert_eq!(
        ann.client_category_ids,
        vec![CategoryId::from("cat-1"), CategoryId::from("cat-2")]
    );
    assert_eq!(
        ann.updated_at,
        Some(Utc.with_ymd_and_hms(2026, 2, 1, 9, 30, 0).unwrap())
    );
    assert_eq!(ann.other.get("brand_new").map(String::as_str), Some("x"));
    let bob = rows[1].as_ref().unwrap_err();
    assert_eq!(bob.line, 3);
    assert_eq!(bob.column.as_deref(), Some("sms_marketing_consent"));
}

#[tokio::test]
async fn transactions_export_sends_the_updated_window_filter() {
    let api = MockServer::start().await;
    let jobs = p(&format!("/branch/{BRANCH}/csvexportjob"));
    Mock::given(matchers::method("POST"))
        .and(matchers::path(jobs.clone()))
        .and(matchers::body_json(json!({
            "jobType": "TRANSACTIONS_CSV",
            "startFilter": "2026-01-01",
            "finishFilter": "2026-01-31",
            "filterExpression": "updated=<2026-01-31T23:59:59.999Z&updated=>2026-01-01T00:00:00.000Z"
        })))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"jobId": "job-1"})))
        .expect(1)
        .mount(&api)
        .await;
    Mock::given(matchers::method("GET"))
        .and(matchers::path(format!("{jobs}/job-1")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "jobId": "job-1", "jobStatus": "FAILED", "failureReason": "No records found"
        })))
        .mount(&api)
        .await;
    let day = |d| NaiveDate::from_ymd_opt(2026, 1, d).unwrap();
    let request = CsvExportRequest::new(CsvJobType::TransactionsCsv)
        .dates(day(1), day(31))
        .updated_between(
            Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(2026, 1, 31, 23, 59, 59).unwrap()
                + chrono::Duration::milliseconds(999),
        );
    let rows = client(&api)
        .csv_exports(BRANCH)
        .transactions_with(&request, fast_poll())
        .await
        .unwrap();
    assert!(rows.is_empty());
}
