//! Single-record endpoints: exact paths (percent-encoded ids), auth, decoding; and a
//! serialise/deserialise round trip of the models (nothing lost).

mod common;

use common::*;
use phorest_client::*;
use serde_json::json;
use wiremock::MockServer;

#[tokio::test]
async fn every_get_endpoint_hits_its_documented_path() {
    let server = MockServer::start().await;
    let br = format!("/branch/{BRANCH}");
    mount_get(&server, &p("/client/c_1-x"), json!({"clientId": "c_1-x"})).await;
    mount_get(
        &server,
        &p("/category/client/k1"),
        json!({"categoryId": "k1", "name": "VIP"}),
    )
    .await;
    mount_get(
        &server,
        &p(&format!("{br}/staff/s1")),
        json!({"staffId": "s1"}),
    )
    .await;
    mount_get(
        &server,
        &p(&format!("{br}/appointment/a1")),
        json!({"appointmentId": "a1"}),
    )
    .await;
    mount_get(
        &server,
        &p(&format!("{br}/service/sv1")),
        json!({"serviceId": "sv1", "price": 10}),
    )
    .await;
    mount_get(
        &server,
        &p(&format!("{br}/product/p1")),
        json!({"productId": "p1"}),
    )
    .await;
    mount_get(
        &server,
        &p(&format!("{br}/review/r1")),
        json!({"reviewId": "r1", "rating": 4}),
    )
    .await;
    mount_get(
        &server,
        &p(&format!("{br}/csvexportjob/j1")),
        json!({"jobId": "j1", "jobStatus": "DONE"}),
    )
    .await;
    mount_get(&server, &p("/voucher/v1"), json!({"voucherId": "v1"})).await;

    let phorest = client(&server);
    assert_eq!(
        phorest
            .clients()
            .get(&"c_1-x".into())
            .await
            .unwrap()
            .client_id
            .as_str(),
        "c_1-x"
    );
    assert_eq!(
        phorest
            .client_categories()
            .get(&"k1".into())
            .await
            .unwrap()
            .client_category_id
            .as_str(),
        "k1"
    );
    assert_eq!(
        phorest
            .staff(BRANCH)
            .get(&"s1".into())
            .await
            .unwrap()
            .staff_id
            .as_str(),
        "s1"
    );
    assert_eq!(
        phorest
            .appointments(BRANCH)
            .get(&"a1".into())
            .await
            .unwrap()
            .appointment_id
            .as_str(),
        "a1"
    );
    assert_eq!(
        phorest
            .services(BRANCH)
            .get(&"sv1".into())
            .await
            .unwrap()
            .price,
        Some(10.0)
    );
    assert_eq!(
        phorest
            .products(BRANCH)
            .get(&"p1".into())
            .await
            .unwrap()
            .product_id
            .as_str(),
        "p1"
    );
    assert_eq!(
        phorest
            .reviews(BRANCH)
            .get(&"r1".into())
            .await
            .unwrap()
            .rating,
        Some(4.0)
    );
    assert_eq!(
        phorest
            .csv_exports(BRANCH)
            .get(&"j1".into())
            .await
            .unwrap()
            .job_status,
        Some(CsvJobStatus::Done)
    );
    assert_eq!(
        phorest
            .vouchers()
            .get(&"v1".into())
            .await
            .unwrap()
            .voucher_id
            .as_str(),
        "v1"
    );
    let reqs = requests(&server).await;
    assert_eq!(reqs.len(), 9);
    assert!(
        reqs.iter()
            .all(|r| r.url.query().is_none() && r.method.as_str() == "GET")
    );
}

#[tokio::test]
async fn branch_pages_can_start_later() {
    let server = MockServer::start().await;
    mount_page(
        &server,
        &p("/branch"),
        1,
        hal("branches", json!([{"branchId": "b2"}]), 1, 2, 2),
    )
    .await;
    let pages: Vec<Page<Branch>> =
        futures::TryStreamExt::try_collect(client(&server).branches().pages(1))
            .await
            .unwrap();
    assert_eq!(pages.len(), 1);
    assert_eq!(pages[0].items[0].branch_id.as_str(), "b2");
}

#[test]
fn models_round_trip_without_loss() {
    let client: Client = serde_json::from_value(json!({
        "clientId": "c1", "mobile": 353871234567_u64, "firstVisit": "2019-01-05",
        "lastVisit": "2025-01-30T15:00:00.123Z", "clientSince": "2019-01-05T10:00:00Z",
        "loyaltyCard": {"serial": "L1", "points": 0.5}, "gender": "SOMETHING_ELSE",
        "clientCategoryIds": null, "address": null
    }))
    .unwrap();
    let again: Client = serde_json::from_value(serde_json::to_value(&client).unwrap()).unwrap();
    assert_eq!(again, client);
    assert_eq!(
        client.gender,
        Some(Gender::Unknown("SOMETHING_ELSE".into()))
    );

    let appt: Appointment = serde_json::from_value(json!({
        "appointmentId": "a1", "appointmentDate": "2025-03-30", "startTime": "01:30:00.250",
        "endTime": "02:30", "state": "CHECKED_IN", "internetServiceCategories": [{"id": "i1", "name": "Hair"}]
    }))
    .unwrap();
    let json = serde_json::to_value(&appt).unwrap();
    assert_eq!(json["startTime"], "01:30:00.250");
    assert_eq!(json["appointmentDate"], "2025-03-30");
    let again: Appointment = serde_json::from_value(json).unwrap();
    assert_eq!(again, appt);

    let category: ClientCategory =
        serde_json::from_value(json!({"clientCategoryId": "k", "name": "VIP"})).unwrap();
    let again: ClientCategory =
        serde_json::from_value(serde_json::to_value(&category).unwrap()).unwrap();
    assert_eq!(again, category);
}

#[test]
fn id_newtypes_behave_like_strings() {
    let id = ClientId::from("eTC3QY5W3p_HmGHezKfxJw");
    assert_eq!(id.to_string(), "eTC3QY5W3p_HmGHezKfxJw");
    assert_eq!(id.as_str(), "eTC3QY5W3p_HmGHezKfxJw");
    assert_eq!(
        serde_json::to_value(&id).unwrap(),
        json!("eTC3QY5W3p_HmGHezKfxJw")
    );
    assert_eq!(ClientId::from(String::from("x")), ClientId::new("x"));
    assert_eq!(BranchId::from(&BranchId::from("b")).into_inner(), "b");
}

/// `get_raw`: the escape hatch sends a paced, authenticated `GET` of the business path with the
/// query given, percent-encodes segments, and answers the JSON exactly as sent.
#[tokio::test]
async fn get_raw_sends_the_path_query_and_auth_and_answers_the_json_as_sent() {
    use wiremock::matchers::{header, method, path};
    use wiremock::{Mock, ResponseTemplate};
    let server = MockServer::start().await;
    let body = json!({"page": {"size": 200, "totalElements": 3, "totalPages": 1, "number": 0},
                      "_embedded": {"clients": [{"clientId": "c1", "updatedAt": 1700000000000_i64}]}});
    Mock::given(method("GET"))
        .and(path(p("/branch/a%20b/client")))
        .and(header("authorization", AUTH))
        .respond_with(ResponseTemplate::new(200).set_body_json(body.clone()))
        .expect(1)
        .mount(&server)
        .await;
    let phorest = client(&server);
    let got = phorest
        .get_raw(
            &["branch", "a b", "client"],
            &[
                ("size", "200".to_owned()),
                ("includeDeleted", "true".to_owned()),
            ],
        )
        .await
        .unwrap();
    assert_eq!(got, body, "the JSON as sent, untyped");
    let reqs = requests(&server).await;
    assert_eq!(reqs.len(), 1);
    assert_query(&reqs[0], &[("size", "200"), ("includeDeleted", "true")]);

    // Errors are the SDK's typed errors.
    let missing = phorest.get_raw(&["nowhere"], &[]).await.unwrap_err();
    assert!(matches!(missing, Error::NotFound { .. }), "{missing:?}");
}
