//! The sales transactions CSV export: start (exact body), poll with backoff until DONE or
//! FAILED, download from the presigned URL without credentials, and tolerant row parsing.

mod common;

use std::time::Duration;

use chrono::{NaiveDate, NaiveTime};
use common::*;
use phorest_client::*;
use serde_json::json;
use wiremock::{Mock, MockServer, ResponseTemplate, matchers};

const CSV: &str = "\u{feff}transaction_id,transaction_item_id,branch_id,branch_name,client_id,purchased_date,purchase_time,item_type,description,quantity,product_id,product_name,product_barcode,unit_price,original_price,total_amount,loyalty_points_awarded,payment_type,tax_rate,brand_new_column
tx1,it1,SE-J0emUgQnya14mOGdQSw,Dublin,c1,2025-01-15,14:05:00,PRODUCT,Shampoo 250ml,2,p1,Shampoo,5012345678900,18.50,20.00,37.00,3.7,CARD,23,hello
tx1,it2,SE-J0emUgQnya14mOGdQSw,Dublin,c1,2025-01-15,14:05:00,SERVICE,Cut,1,,,,55,55,55,5.5,CARD,13.5,
tx2,it3,SE-J0emUgQnya14mOGdQSw,Dublin,walkin,2025-01-16,09:00:00,PRODUCT,Gel,lots,p2,Gel,,9,9,9,0,CASH,23,
tx3,it4,SE-J0emUgQnya14mOGdQSw,Dublin,c2,2025-01-17
tx4,it5,SE-J0emUgQnya14mOGdQSw,Dublin,c3,2025-01-18,10:00:00,GIFT_CARD,Voucher,1,,,,1\u{a0}000,,,,,,
";

fn fp(rel: &str) -> String {
    p(&format!("/branch/{BRANCH}/csvexportjob{rel}"))
}

fn fast_poll() -> PollPolicy {
    PollPolicy::default()
        .initial(Duration::from_millis(5))
        .max(Duration::from_millis(10))
        .max_polls(5)
}

async fn mount_start(server: &MockServer) {
    Mock::given(matchers::method("POST"))
        .and(matchers::path(fp("")))
        .and(matchers::header("authorization", AUTH))
        .and(matchers::header("content-type", "application/json"))
        .and(matchers::body_json(json!({
            "jobType": "TRANSACTIONS_CSV",
            "startFilter": "2025-01-01",
            "finishFilter": "2025-01-31"
        })))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "jobId": "job-1", "jobType": "TRANSACTIONS_CSV", "jobStatus": "QUEUED",
            "startFilter": "2025-01-01", "finishFilter": "2025-01-31"
        })))
        .expect(1)
        .mount(server)
        .await;
}

async fn mount_poll(server: &MockServer, body: serde_json::Value, times: u64) {
    Mock::given(matchers::method("GET"))
        .and(matchers::path(fp("/job-1")))
        .and(matchers::header("authorization", AUTH))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .up_to_n_times(times)
        .mount(server)
        .await;
}

#[tokio::test]
async fn export_start_poll_download_and_parse() {
    let api = MockServer::start().await;
    let bucket = MockServer::start().await; // a different origin, like S3
    mount_start(&api).await;
    mount_poll(
        &api,
        json!({"jobId": "job-1", "jobStatus": "IN_PROGRESS"}),
        2,
    )
    .await;
    mount_poll(
        &api,
        json!({
            "jobId": "job-1", "jobType": "TRANSACTIONS_CSV", "jobStatus": "DONE",
            "started": "2025-02-01T10:00:00.000Z", "finished": "2025-02-01T10:00:09Z",
            "totalRows": 5, "succeededRows": 5,
            "tempCsvExternalUrl": format!("{}/exports/job-1.csv?X-Amz-Signature=abc", bucket.uri())
        }),
        1,
    )
    .await;
    Mock::given(matchers::method("GET"))
        .and(matchers::path("/exports/job-1.csv"))
        .and(matchers::query_param("X-Amz-Signature", "abc"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(CSV, "text/csv"))
        .expect(1)
        .mount(&bucket)
        .await;

    let rows = client(&api)
        .csv_exports(BRANCH)
        .transactions(
            NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(),
            NaiveDate::from_ymd_opt(2025, 1, 31).unwrap(),
            fast_poll(),
        )
        .await
        .unwrap();

    // Presigned download: no credentials to a foreign host.
    let download = &requests(&bucket).await[0];
    assert!(download.headers.get("authorization").is_none());
    assert_eq!(requests(&api).await.len(), 4, "start + three polls");

    assert_eq!(rows.len(), 5);
    let first = rows[0].as_ref().unwrap();
    assert_eq!(first.line, 2);
    assert_eq!(
        first.transaction_id.as_ref().map(TransactionId::as_str),
        Some("tx1")
    );
    assert_eq!(first.branch_id.as_ref().map(BranchId::as_str), Some(BRANCH));
    assert_eq!(first.client_id.as_ref().map(ClientId::as_str), Some("c1"));
    assert_eq!(first.purchased_date, NaiveDate::from_ymd_opt(2025, 1, 15));
    assert_eq!(first.purchase_time, NaiveTime::from_hms_opt(14, 5, 0));
    assert_eq!(first.item_type, Some(ItemType::Product));
    assert_eq!(first.product_id.as_ref().map(ProductId::as_str), Some("p1"));
    assert_eq!(first.product_name.as_deref(), Some("Shampoo"));
    assert_eq!(first.quantity, Some(2.0));
    assert_eq!(
        (first.unit_price, first.original_price, first.total_amount),
        (Some(18.5), Some(20.0), Some(37.0))
    );
    assert_eq!(first.loyalty_points_awarded, Some(3.7));
    assert_eq!(first.other.get("tax_rate").map(String::as_str), Some("23"));
    assert_eq!(
        first.other.get("brand_new_column").map(String::as_str),
        Some("hello")
    );

    let service = rows[1].as_ref().unwrap();
    assert_eq!(service.item_type, Some(ItemType::Service));
    assert_eq!(service.product_id, None);

    let bad = rows[2].as_ref().unwrap_err();
    assert_eq!(bad.line, 4);
    assert_eq!(bad.column.as_deref(), Some("quantity"));
    assert!(
        !bad.to_string().contains("lots"),
        "cell content is not echoed"
    );

    let short = rows[3].as_ref().unwrap();
    assert_eq!(short.purchased_date, NaiveDate::from_ymd_opt(2025, 1, 17));
    assert_eq!(short.item_type, None);

    let odd = rows[4].as_ref().unwrap_err();
    assert_eq!((odd.line, odd.column.as_deref()), (6, Some("unit_price")));
}

#[tokio::test]
async fn failed_jobs_are_errors_and_no_records_is_empty() {
    let api = MockServer::start().await;
    mount_start(&api).await;
    mount_poll(
        &api,
        json!({"jobId": "job-1", "jobStatus": "FAILED", "failureReason": "No records found"}),
        1,
    )
    .await;
    let rows = client(&api)
        .csv_exports(BRANCH)
        .transactions(
            NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(),
            NaiveDate::from_ymd_opt(2025, 1, 31).unwrap(),
            fast_poll(),
        )
        .await
        .unwrap();
    assert!(rows.is_empty());

    let api = MockServer::start().await;
    mount_poll(
        &api,
        json!({"jobId": "job-1", "jobStatus": "FAILED", "failureReason": "Internal failure"}),
        1,
    )
    .await;
    match client(&api)
        .csv_exports(BRANCH)
        .wait(&"job-1".into(), fast_poll())
        .await
    {
        Err(Error::ExportFailed { job_id, reason }) => {
            assert_eq!(job_id, "job-1");
            assert_eq!(reason.as_deref(), Some("Internal failure"));
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn polling_is_bounded() {
    let api = MockServer::start().await;
    mount_poll(
        &api,
        json!({"jobId": "job-1", "jobStatus": "IN_PROGRESS"}),
        100,
    )
    .await;
    match client(&api)
        .csv_exports(BRANCH)
        .wait(&"job-1".into(), fast_poll())
        .await
    {
        Err(Error::ExportTimedOut { status, polls, .. }) => {
            assert_eq!((status.as_str(), polls), ("IN_PROGRESS", 5));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(requests(&api).await.len(), 5);
}

#[tokio::test]
async fn a_download_url_on_the_api_origin_keeps_auth_and_a_missing_url_is_an_error() {
    let api = MockServer::start().await;
    Mock::given(matchers::path("/files/x.csv"))
        .and(matchers::header("authorization", AUTH))
        .respond_with(ResponseTemplate::new(200).set_body_raw("transaction_id\ntx9\n", "text/csv"))
        .expect(1)
        .mount(&api)
        .await;
    let exports = client(&api).csv_exports(BRANCH);
    let job: CsvExportJob = serde_json::from_value(serde_json::json!({
        "jobId": "job-1",
        "jobStatus": "DONE",
        "tempCsvExternalUrl": format!("{}/files/x.csv", api.uri()),
    }))
    .unwrap();
    let bytes = exports.download(&job).await.unwrap();
    let rows = parse_transactions(&bytes);
    assert_eq!(rows[0].as_ref().unwrap().transaction_id, Some("tx9".into()));
    let missing: CsvExportJob =
        serde_json::from_value(serde_json::json!({"jobId": "job-2", "jobStatus": "DONE"})).unwrap();
    match exports.download(&missing).await {
        Err(Error::Decode { path, message, .. }) => {
            assert_eq!(path, "tempCsvExternalUrl");
            assert_eq!(message, "missing download URL");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn parsing_tolerates_empty_files_and_ragged_rows() {
    assert!(parse_transactions(b"").is_empty());
    assert!(parse_transactions(b"transaction_id,client_id\n").is_empty());
    let rows = parse_transactions(b"client_id,transaction_id\nc1,t1\n\nc2\n");
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].as_ref().unwrap().transaction_id, Some("t1".into()));
    assert_eq!(rows[1].as_ref().unwrap().client_id, Some("c2".into()));
    let rows = parse_transactions(b"purchased_date\n15/01/2025\n2025-01-16 10:00:00\nyesterday\n");
    assert_eq!(
        rows[0].as_ref().unwrap().purchased_date,
        NaiveDate::from_ymd_opt(2025, 1, 15)
    );
    assert_eq!(
        rows[1].as_ref().unwrap().purchased_date,
        NaiveDate::from_ymd_opt(2025, 1, 16)
    );
    assert!(rows[2].is_err());
    let rows = parse_transactions(b"transaction_id\n\xff\xfe\ntx2\n");
    assert!(rows[0].is_err());
    assert_eq!(rows[1].as_ref().unwrap().transaction_id, Some("tx2".into()));
}

#[tokio::test]
async fn starting_a_job_is_not_replayed_after_an_ambiguous_failure() {
    let d = |day| NaiveDate::from_ymd_opt(2025, 1, day).unwrap();
    let api = MockServer::start().await;
    Mock::given(matchers::method("POST"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&api)
        .await;
    let err = client(&api)
        .csv_exports(BRANCH)
        .start(TRANSACTIONS_CSV, d(1), d(31))
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(503));
    assert!(err.may_have_been_applied(), "{err:?}");
    assert_eq!(
        requests(&api).await.len(),
        1,
        "a 503 may have created a job"
    );

    // A 200 whose body is cut short may have created a job too: not replayed either.
    let api = MockServer::start().await;
    Mock::given(matchers::method("POST"))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw(r#"{"jobId":"jo"#, "application/json"),
        )
        .mount(&api)
        .await;
    let err = client(&api)
        .csv_exports(BRANCH)
        .start(TRANSACTIONS_CSV, d(1), d(31))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Decode { message, .. } if message.starts_with("JSON cut short")),
        "{err:?}"
    );
    assert!(err.may_have_been_applied());
    assert_eq!(requests(&api).await.len(), 1);

    let api = MockServer::start().await;
    Mock::given(matchers::method("POST"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "0"))
        .up_to_n_times(1)
        .mount(&api)
        .await;
    mount_start(&api).await;
    let job = client(&api)
        .csv_exports(BRANCH)
        .start(TRANSACTIONS_CSV, d(1), d(31))
        .await
        .unwrap();
    assert_eq!(job.job_id.as_str(), "job-1");
    assert_eq!(job.job_status, Some(CsvJobStatus::Unknown("QUEUED".into())));
    assert_eq!(
        requests(&api).await.len(),
        2,
        "a 429 was not applied, so it is retried"
    );
}

#[test]
fn malformed_rows_are_returned_as_errors_never_dropped() {
    // Line 3 has an unquoted comma (its values would shift into the wrong columns), line 4 a
    // bad number, line 5 is fine: every line is accounted for, in order, with its number.
    let rows = parse_transactions(
        b"client_id,product_name,quantity\nc1,Gel,1\nc2,Gel, large,1\nc3,Wax,lots\nc4,Oil,2\n",
    );
    assert_eq!(rows.len(), 4, "{rows:?}");
    assert_eq!(rows[0].as_ref().unwrap().line, 2);
    let shifted = rows[1].as_ref().unwrap_err();
    assert_eq!(shifted.line, 3);
    assert!(
        shifted.message.contains("4 cells but the header has 3"),
        "{shifted}"
    );
    let number = rows[2].as_ref().unwrap_err();
    assert_eq!(
        (number.line, number.column.as_deref()),
        (4, Some("quantity"))
    );
    assert!(
        !number.to_string().contains("lots"),
        "cell content leaked: {number}"
    );
    assert_eq!(rows[3].as_ref().unwrap().client_id, Some("c4".into()));
    let ok = rows.iter().filter(|r| r.is_ok()).count();
    let bad = rows.iter().filter(|r| r.is_err()).count();
    assert_eq!((ok, bad), (2, 2));
}
