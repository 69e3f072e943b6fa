//! Reliability contracts: one bad record fails only itself, non-JSON 200 answers are retried
//! then typed, page walks never end early, 429s slow the client down, excerpts are scrubbed.

mod common;

use common::*;
use futures::{StreamExt, TryStreamExt};
use phorest_client::*;
use serde_json::{Value, json};
use wiremock::{Mock, MockServer, ResponseTemplate, matchers};

/// `n` minimal clients with ids `c{first}`…
fn clients(first: usize, n: usize) -> Value {
    Value::Array(
        (first..first + n)
            .map(|i| json!({"clientId": format!("c{i}")}))
            .collect(),
    )
}

fn ids(items: &[Client]) -> Vec<&str> {
    items.iter().map(|c| c.client_id.as_str()).collect()
}

#[tokio::test]
async fn one_bad_record_is_rejected_and_the_rest_of_the_page_is_delivered() {
    let server = MockServer::start().await;
    let body = hal(
        "clients",
        json!([
            {"clientId": "ok-jackson", "createdAt": "2021-08-01T14:21:48.487+0000",
             "clientSince": "2019-01-05"},
            {"clientId": "bad-birth", "firstName": "Feb", "birthDate": "1985-02-30"},
            {"clientId": "ok-epoch", "updatedAt": 1627827708487_i64,
             "lastVisit": "1627827708487"},
            {"clientId": 99, "firstName": "numeric id"}
        ]),
        0,
        1,
        4,
    );
    mount_get(&server, &p("/client"), body).await;
    let phorest = client(&server);

    let pages: Vec<Page<Client>> = phorest
        .clients()
        .pages(&ClientQuery::all(), 0)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(pages.len(), 1);
    let page = &pages[0];
    assert_eq!(ids(&page.items), ["ok-jackson", "ok-epoch"]);
    assert_eq!(
        (page.size, page.record_count(), page.total_elements),
        (100, 4, 4)
    );
    let epoch = chrono::DateTime::from_timestamp_millis(1_627_827_708_487).unwrap();
    assert_eq!(page.items[0].created_at, Some(epoch));
    assert_eq!(
        page.items[0].client_since.map(|t| t.to_rfc3339()),
        Some("2019-01-05T00:00:00+00:00".into()),
        "a date-only instant is midnight UTC"
    );
    assert_eq!(page.items[1].updated_at, Some(epoch));
    let rejected: Vec<_> = page
        .rejected
        .iter()
        .map(|r| (r.page, r.index, r.id.as_deref(), r.path.as_str()))
        .collect();
    assert_eq!(
        rejected,
        [
            (0, 1, Some("bad-birth"), "_embedded.clients[1].birthDate"),
            (0, 3, Some("99"), "_embedded.clients[3].clientId"),
        ]
    );
    assert!(
        page.rejected[0].message.contains("1985-02-30"),
        "{:?}",
        page.rejected[0]
    );
    assert_eq!(
        page.rejected[0].operation.to_string(),
        "GET /{businessId}/client"
    );

    // The item stream delivers the good records, yields each rejected one as an error item,
    // and goes on after it.
    let items: Vec<Result<Client>> = phorest.clients().list(&ClientQuery::all()).collect().await;
    let shape: Vec<&str> = items
        .iter()
        .map(|r| match r {
            Ok(c) => c.client_id.as_str(),
            Err(Error::Rejected(r)) => r.id.as_deref().unwrap_or("?"),
            Err(_) => "other error",
        })
        .collect();
    assert_eq!(shape, ["ok-jackson", "ok-epoch", "bad-birth", "99"]);
    assert!(matches!(&items[2], Err(e) if e.rejected_record().is_some() && !e.is_retryable()));
    // try_collect stops at the first rejected record: never silently short.
    let strict: Result<Vec<Client>> = phorest
        .clients()
        .list(&ClientQuery::all())
        .try_collect()
        .await;
    assert!(matches!(strict, Err(Error::Rejected(_))));
    let (good, bad) = collect_items(phorest.clients().list(&ClientQuery::all()))
        .await
        .unwrap();
    assert_eq!((good.len(), bad.len()), (2, 2));
}

#[tokio::test]
async fn a_malformed_start_time_rejects_only_its_appointment_and_odd_id_lists_decode() {
    let server = MockServer::start().await;
    let branch = format!("/branch/{BRANCH}");
    mount_get(
        &server,
        &p(&format!("{branch}/appointment")),
        hal(
            "appointments",
            json!([
                {"appointmentId": "a1", "appointmentDate": "2025-03-03", "startTime": "09:30"},
                {"appointmentId": "a2", "appointmentDate": "2025-03-03", "startTime": "9.30"},
                {"appointmentId": "a3", "appointmentDate": "2025-03-03T00:00:00.000Z",
                 "startTime": "10:15:00.000", "depositDateTime": "2025-03-01T09:00:00+0000"}
            ]),
            0,
            1,
            3,
        ),
    )
    .await;
    mount_get(
        &server,
        &p(&format!("{branch}/staff")),
        hal(
            "staffs",
            json!([{"staffId": "s1", "disqualifiedServices": [{"id": "sv1", "name": "Perm"}, "sv2", {"name": "?"}]}]),
            0,
            1,
            1,
        ),
    )
    .await;
    mount_get(
        &server,
        &p(&format!("{branch}/service")),
        hal(
            "services",
            json!([{"serviceId": "sv1", "addonServiceIds": [{"serviceId": "add1"}, 42]}]),
            0,
            1,
            1,
        ),
    )
    .await;
    let phorest = client(&server);
    let d = chrono::NaiveDate::from_ymd_opt(2025, 3, 3).unwrap();
    let (appointments, rejected) = collect_items(
        phorest
            .appointments(BRANCH)
            .list(&AppointmentQuery::new(d, d)),
    )
    .await
    .unwrap();
    let got: Vec<_> = appointments
        .iter()
        .map(|a| a.appointment_id.as_str())
        .collect();
    assert_eq!(got, ["a1", "a3"]);
    assert_eq!(appointments[1].appointment_date, Some(d));
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0].id.as_deref(), Some("a2"));
    assert_eq!(rejected[0].path, "_embedded.appointments[1].startTime");

    let staff: Vec<Staff> = phorest
        .staff(BRANCH)
        .list(&StaffQuery::all())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(staff[0].disqualified_services, ["sv1", "sv2"]);
    let services: Vec<Service> = phorest
        .services(BRANCH)
        .list(&ServiceQuery::all())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(
        services[0].addon_service_ids,
        [ServiceId::from("add1"), ServiceId::from("42")]
    );
}

fn html() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(
        "<html><body><h1>502 Bad Gateway</h1></body></html>",
        "text/html",
    )
}

#[tokio::test]
async fn an_html_200_once_is_retried_and_succeeds() {
    let server = MockServer::start().await;
    Mock::given(matchers::path(p("/client")))
        .respond_with(html())
        .up_to_n_times(1)
        .mount(&server)
        .await;
    mount_get(
        &server,
        &p("/client"),
        hal("clients", clients(0, 2), 0, 1, 2),
    )
    .await;
    let got: Vec<Client> = client(&server)
        .clients()
        .list(&ClientQuery::new())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(ids(&got), ["c0", "c1"]);
    let reqs = requests(&server).await;
    assert_eq!(reqs.len(), 2, "the HTML answer, then the retry");
    assert_query(&reqs[1], &[("page", "0"), ("size", "100")]);
}

#[tokio::test]
async fn a_200_that_is_never_json_is_a_typed_decode_error_after_max_attempts() {
    let cases: [(ResponseTemplate, &str); 3] = [
        (html(), "not JSON (an HTML page)"),
        (
            ResponseTemplate::new(200).set_body_raw(
                r#"{"_embedded":{"clients":[{"clientId":"c"#,
                "application/json",
            ),
            "JSON cut short",
        ),
        (ResponseTemplate::new(200), "empty body"),
    ];
    for (answer, expected) in cases {
        let server = MockServer::start().await;
        Mock::given(matchers::any())
            .respond_with(answer)
            .mount(&server)
            .await;
        let err = client_with(&server, fast_retries(3))
            .clients()
            .list(&ClientQuery::new())
            .try_collect::<Vec<_>>()
            .await
            .unwrap_err();
        match &err {
            Error::Decode {
                operation,
                path,
                message,
                ..
            } => {
                assert_eq!(operation.to_string(), "GET /{businessId}/client");
                assert_eq!(path, "");
                assert!(message.starts_with(expected), "{message}");
                assert!(!message.contains("EOF while parsing") || expected == "JSON cut short");
            }
            other => panic!("{other:?}"),
        }
        assert!(err.is_retryable() && !err.may_have_been_applied());
        assert_eq!(requests(&server).await.len(), 3, "{expected}: max_attempts");
        assert!(
            err.to_string().contains("GET /{businessId}/client"),
            "{err}"
        );
    }
}

#[tokio::test]
async fn an_empty_page_before_the_end_does_not_stop_the_walk() {
    let server = MockServer::start().await;
    let path = p("/client");
    mount_page(
        &server,
        &path,
        0,
        hal("clients", clients(0, 100), 0, 3, 201),
    )
    .await;
    mount_page(
        &server,
        &path,
        1,
        json!({"page": {"size": 100, "totalElements": 201, "totalPages": 3, "number": 1}}),
    )
    .await;
    mount_page(
        &server,
        &path,
        2,
        hal("clients", clients(200, 1), 2, 3, 201),
    )
    .await;
    let pages: Vec<Page<Client>> = client(&server)
        .clients()
        .pages(&ClientQuery::new(), 0)
        .try_collect()
        .await
        .unwrap();
    let counts: Vec<_> = pages.iter().map(|p| (p.number, p.record_count())).collect();
    assert_eq!(counts, [(0, 100), (1, 0), (2, 1)]);
}

#[tokio::test]
async fn an_understated_total_pages_is_probed_past() {
    let server = MockServer::start().await;
    let path = p("/client");
    // 250 records, but the server says 2 pages.
    mount_page(
        &server,
        &path,
        0,
        hal("clients", clients(0, 100), 0, 2, 250),
    )
    .await;
    mount_page(
        &server,
        &path,
        1,
        hal("clients", clients(100, 100), 1, 2, 250),
    )
    .await;
    mount_page(
        &server,
        &path,
        2,
        hal("clients", clients(200, 50), 2, 2, 250),
    )
    .await;
    let got: Vec<Client> = client(&server)
        .clients()
        .list(&ClientQuery::new())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(got.len(), 250);
    assert_eq!(
        requests(&server).await.len(),
        3,
        "one probe, then a short page ends it"
    );

    // Every record seen on a full last page: no probe.
    let server = MockServer::start().await;
    mount_page(
        &server,
        &path,
        0,
        hal("clients", clients(0, 100), 0, 1, 100),
    )
    .await;
    let got: Vec<Client> = client(&server)
        .clients()
        .list(&ClientQuery::new())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(got.len(), 100);
    assert_eq!(requests(&server).await.len(), 1);
}

#[tokio::test]
async fn a_shrinking_total_pages_does_not_cut_the_walk_short() {
    let server = MockServer::start().await;
    let path = p("/client");
    mount_page(
        &server,
        &path,
        0,
        hal("clients", clients(0, 100), 0, 3, 210),
    )
    .await;
    // A record deleted mid-walk: the count drops to 2 pages (the last now looks short).
    mount_page(
        &server,
        &path,
        1,
        hal("clients", clients(100, 99), 1, 2, 199),
    )
    .await;
    mount_page(
        &server,
        &path,
        2,
        hal("clients", clients(199, 10), 2, 2, 199),
    )
    .await;
    let got: Vec<Client> = client(&server)
        .clients()
        .list(&ClientQuery::new())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(got.len(), 209);
}

#[tokio::test]
async fn a_429_halves_the_client_rate() {
    let server = MockServer::start().await;
    Mock::given(matchers::any())
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "0"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(matchers::any())
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"clientId": "w"})))
        .mount(&server)
        .await;
    let phorest = PhorestClient::builder()
        .region(Region::Custom(server.uri().parse().unwrap()))
        .business_id(BUSINESS)
        .credentials(EMAIL, secrecy::SecretString::from(PASSWORD))
        .pacing(Pacing::per_second(90))
        .retry_policy(fast_retries(3))
        .build()
        .unwrap();
    assert_eq!(phorest.current_rate(), Some(90.0));
    phorest.clients().walk_in().await.unwrap();
    let rate = phorest.current_rate().unwrap();
    assert!(rate < 90.0, "slowed down after the 429: {rate}");
    assert_eq!(requests(&server).await.len(), 2);
}

#[tokio::test]
async fn body_excerpts_are_scrubbed_of_the_credentials() {
    let server = MockServer::start().await;
    let basic = AUTH.trim_start_matches("Basic ");
    let echo = format!(r#"{{"message":"bad {PASSWORD}","auth":"{AUTH}","token":"{basic}"}}"#);
    Mock::given(matchers::method("GET"))
        .respond_with(ResponseTemplate::new(500).set_body_raw(echo.clone(), "application/json"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(matchers::method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            format!(r#"{{"clientId": 5, "pw": "{PASSWORD}"}}"#),
            "application/json",
        ))
        .mount(&server)
        .await;
    let phorest = client_with(&server, RetryPolicy::none());
    let server_error = phorest.clients().walk_in().await.unwrap_err();
    let decode = phorest.clients().walk_in().await.unwrap_err();
    for err in [&server_error, &decode] {
        let texts = [format!("{err}"), format!("{err:?}")];
        for text in texts {
            assert!(!text.contains(PASSWORD), "{text}");
            assert!(!text.contains(basic), "{text}");
        }
    }
    match &server_error {
        Error::Server {
            body_excerpt,
            message,
            ..
        } => {
            assert!(body_excerpt.contains("[REDACTED]"), "{body_excerpt}");
            assert_eq!(message.as_deref(), Some("bad [REDACTED]"));
        }
        other => panic!("{other:?}"),
    }
    match &decode {
        Error::Decode {
            body_excerpt, path, ..
        } => {
            assert_eq!(path, "clientId");
            assert!(body_excerpt.contains("[REDACTED]"), "{body_excerpt}");
        }
        other => panic!("{other:?}"),
    }
}
