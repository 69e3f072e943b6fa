//! Contract tests for the business- and branch-level lists: exact paths, parameter names and
//! values, auth header, paging to the end, and decoding of realistic bodies.

mod common;

use chrono::{NaiveDate, TimeZone, Utc};
use common::*;
use futures::TryStreamExt;
use phorest_client::*;
use serde_json::json;
use wiremock::MockServer;

fn client_json(id: &str) -> serde_json::Value {
    json!({
        "clientId": id,
        "version": 7,
        "firstName": "Aoife",
        "lastName": "Byrne",
        "mobile": 353871234567_u64,
        "landLine": "016612345",
        "email": "aoife@example.ie",
        "address": {"streetAddress1": "1 Main St", "city": "Dublin", "postalCode": "D02", "country": "IE", "street": "legacy"},
        "birthDate": "1990-04-02",
        "clientSince": "2019-01-05T10:00:00.000Z",
        "gender": "NON_BINARY",
        "smsMarketingConsent": true,
        "emailMarketingConsent": null,
        "archived": false,
        "clientCategoryIds": ["cat-1", "cat-2"],
        "createdAt": "2019-01-05T10:00:00Z",
        "updatedAt": "2025-02-01T08:30:12.345Z",
        "firstVisit": "2019-01-05",
        "lastVisit": "2025-01-30T15:00:00.000Z",
        "creditAccount": {"outstandingBalance": 12.5, "creditDays": 30, "creditLimit": 100},
        "loyaltyCard": {"serial": 100234, "points": 42.5},
        "someFieldAddedIn142": {"nested": true}
    })
}

#[tokio::test]
async fn branches_are_paged_with_auth_and_decoded() {
    let server = MockServer::start().await;
    let path = p("/branch");
    mount_page(
        &server,
        &path,
        0,
        hal(
            "branches",
            json!([{
                "branchId": BRANCH, "name": "Dublin City  ", "timeZone": "Europe/Dublin",
                "latitude": null, "longitude": -6.26, "country": "IE", "currencyCode": "EUR",
                "accountId": 1234, "newThing": 1
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
            "branches",
            json!([{"branchId": "b2", "timeZone": "Mars/Olympus"}]),
            1,
            2,
            2,
        ),
    )
    .await;
    let branches: Vec<Branch> = client(&server)
        .branches()
        .list()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(branches.len(), 2);
    let b = &branches[0];
    assert_eq!(b.branch_id.as_str(), BRANCH);
    assert_eq!(b.name.as_deref(), Some("Dublin City"));
    assert_eq!(b.time_zone().unwrap(), Tz::Europe__Dublin);
    assert_eq!((b.latitude, b.longitude), (None, Some(-6.26)));
    assert_eq!(b.currency_code.as_deref(), Some("EUR"));
    assert_eq!(b.account_id, Some(1234));
    assert_eq!(
        branches[1].time_zone(),
        Err(TimeZoneError::UnknownTimeZone("Mars/Olympus".into()))
    );
    let reqs = requests(&server).await;
    assert_query(&reqs[0], &[("page", "0"), ("size", "100")]);
    assert_query(&reqs[1], &[("page", "1"), ("size", "100")]);
}

#[tokio::test]
async fn staff_filters_use_camel_case_updated_and_snake_case_archived() {
    let server = MockServer::start().await;
    let path = p(&format!("/branch/{BRANCH}/staff"));
    mount_page(
        &server,
        &path,
        0,
        hal(
            "staffs",
            json!([{
                "staffId": "st1", "userId": "u1", "branchId": BRANCH, "firstName": "Niamh",
                "email": "not-an-email", "mobile": "0871234567", "archived": true,
                "birthDate": null, "startDate": "2020-03-01", "hideFromOnlineBookings": null,
                "gender": "FEMALE", "staffCategoryName": "Senior Stylist"
            }]),
            0,
            1,
            1,
        ),
    )
    .await;
    let query = StaffQuery::all().updated_between(
        Utc.with_ymd_and_hms(2025, 5, 1, 10, 0, 0).unwrap(),
        Utc.with_ymd_and_hms(2025, 6, 1, 0, 0, 0).unwrap(),
    );
    let staff: Vec<Staff> = client(&server)
        .staff(BRANCH)
        .list(&query)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(staff.len(), 1);
    assert_eq!(staff[0].user_id.as_ref().map(UserId::as_str), Some("u1"));
    assert!(staff[0].archived && !staff[0].hide_from_online_bookings);
    assert_eq!(staff[0].start_date, NaiveDate::from_ymd_opt(2020, 3, 1));
    assert_eq!(staff[0].gender, Some(Gender::Female));
    assert_query(
        &requests(&server).await[0],
        &[
            ("updatedAfter", "2025-05-01T10:00:00.000Z"),
            ("updatedBefore", "2025-06-01T00:00:00.000Z"),
            ("fetch_archived", "true"),
            ("page", "0"),
            ("size", "200"),
        ],
    );
}

#[tokio::test]
async fn staff_get_percent_encodes_path_segments() {
    let server = MockServer::start().await;
    mount_get(
        &server,
        &p(&format!("/branch/{BRANCH}/staff/a%2Fb%20c")),
        json!({"staffId": "a/b c"}),
    )
    .await;
    let s = client(&server)
        .staff(BRANCH)
        .get(&StaffId::from("a/b c"))
        .await
        .unwrap();
    assert_eq!(s.staff_id.as_str(), "a/b c");
}

#[tokio::test]
async fn clients_page_to_the_end_with_every_filter_name() {
    let server = MockServer::start().await;
    let path = p("/client");
    for (n, id) in ["c0", "c1", "c2"].iter().enumerate() {
        let n = n as u32;
        mount_page(
            &server,
            &path,
            n,
            hal("clients", json!([client_json(id)]), n, 3, 3),
        )
        .await;
    }
    let query = ClientQuery::all()
        .updated_after(Utc.with_ymd_and_hms(2024, 5, 1, 10, 0, 0).unwrap())
        .updated_before(Utc.with_ymd_and_hms(2024, 5, 2, 0, 0, 0).unwrap())
        .email("a+b@example.ie")
        .phone("+353871234567")
        .first_name("~Ao%")
        .last_name("Byrne")
        .external_id("ext-1");
    let clients: Vec<Client> = client(&server)
        .clients()
        .list(&query)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(
        clients
            .iter()
            .map(|c| c.client_id.as_str())
            .collect::<Vec<_>>(),
        ["c0", "c1", "c2"]
    );
    let reqs = requests(&server).await;
    assert_eq!(reqs.len(), 3);
    for (n, req) in reqs.iter().enumerate() {
        let page = n.to_string();
        assert_query(
            req,
            &[
                ("updatedAfter", "2024-05-01T10:00:00.000Z"),
                ("updatedBefore", "2024-05-02T00:00:00.000Z"),
                ("email", "a+b@example.ie"),
                ("phone", "353871234567"),
                ("firstName", "~Ao%"),
                ("lastName", "Byrne"),
                ("externalId", "ext-1"),
                ("includeArchived", "true"),
                ("includeDeleted", "true"),
                ("page", &page),
                ("size", "100"),
            ],
        );
    }
    let c = &clients[0];
    assert_eq!(c.mobile.as_deref(), Some("353871234567"));
    assert_eq!(c.land_line.as_deref(), Some("016612345"));
    assert_eq!(c.gender, Some(Gender::NonBinary));
    assert!(c.sms_marketing_consent && !c.email_marketing_consent);
    assert_eq!(
        c.client_category_ids,
        vec![CategoryId::from("cat-1"), CategoryId::from("cat-2")]
    );
    assert_eq!(
        c.address.as_ref().and_then(|a| a.city.as_deref()),
        Some("Dublin")
    );
    let card = c.loyalty_card.as_ref().expect("a loyalty card");
    assert_eq!(
        (card.serial.as_deref(), card.points),
        (Some("100234"), Some(42.5))
    );
    assert_eq!(
        c.credit_account.as_ref().and_then(|a| a.credit_days),
        Some(30)
    );
    assert_eq!(
        c.first_visit,
        Some(DateOrInstant::Date(
            NaiveDate::from_ymd_opt(2019, 1, 5).unwrap()
        ))
    );
    assert_eq!(
        c.last_visit.map(|v| v.date()),
        NaiveDate::from_ymd_opt(2025, 1, 30)
    );
    assert_eq!(
        c.updated_at,
        Some(
            Utc.with_ymd_and_hms(2025, 2, 1, 8, 30, 12).unwrap()
                + chrono::Duration::milliseconds(345)
        )
    );
    assert_eq!(
        c.created_at,
        Some(Utc.with_ymd_and_hms(2019, 1, 5, 10, 0, 0).unwrap())
    );
}

#[tokio::test]
async fn client_pages_start_at_any_page_and_missing_embedded_is_empty() {
    let server = MockServer::start().await;
    let path = p("/client");
    mount_page(
        &server,
        &path,
        5,
        hal("clients", json!([client_json("c5")]), 5, 7, 7),
    )
    .await;
    mount_page(
        &server,
        &path,
        6,
        json!({"page": {"size": 200, "totalElements": 7, "totalPages": 7, "number": 6}}),
    )
    .await;
    let pages: Vec<Page<Client>> = client(&server)
        .clients()
        .pages(&ClientQuery::default(), 5)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(pages.len(), 2);
    assert_eq!(
        (
            pages[0].number,
            pages[0].total_pages,
            pages[0].total_elements
        ),
        (5, 7, 7)
    );
    assert!(pages[1].items.is_empty());
}

#[tokio::test]
async fn minimal_client_decodes_with_defaults() {
    let server = MockServer::start().await;
    mount_get(&server, &p("/client/c%201"), json!({"clientId": "c 1"})).await;
    let c = client(&server)
        .clients()
        .get(&ClientId::from("c 1"))
        .await
        .unwrap();
    assert_eq!(c.client_id.as_str(), "c 1");
    assert_eq!(c.email, None);
    assert!(c.client_category_ids.is_empty() && !c.archived && !c.is_merged());
}

#[tokio::test]
async fn walk_in_client_has_its_own_route() {
    let server = MockServer::start().await;
    mount_get(
        &server,
        &p("/client/walk-in"),
        json!({"clientId": "walkin1", "firstName": "Walk", "lastName": "In", "mergedToClientId": "x"}),
    )
    .await;
    let c = client(&server).clients().walk_in().await.unwrap();
    assert_eq!(c.client_id.as_str(), "walkin1");
    assert!(c.is_merged());
}

#[tokio::test]
async fn client_batch_repeats_client_id_and_chunks_by_100() {
    let server = MockServer::start().await;
    let path = p("/client-batch");
    wiremock::Mock::given(wiremock::matchers::path(path.clone()))
        .and(wiremock::matchers::header("authorization", AUTH))
        .respond_with(move |req: &wiremock::Request| {
            let ids: Vec<String> = req
                .url
                .query_pairs()
                .filter(|(k, _)| k == "client_id")
                .map(|(_, v)| v.into_owned())
                .collect();
            let items: Vec<_> = ids.iter().map(|id| json!({"clientId": id})).collect();
            wiremock::ResponseTemplate::new(200).set_body_json(hal(
                "clients",
                json!(items),
                0,
                1,
                ids.len() as u64,
            ))
        })
        .expect(2)
        .mount(&server)
        .await;
    let ids: Vec<ClientId> = (0..150).map(|i| ClientId::from(format!("id{i}"))).collect();
    let got: Vec<Client> = client(&server)
        .clients()
        .batch(&ids)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(
        got.iter().map(|c| c.client_id.clone()).collect::<Vec<_>>(),
        ids
    );
    let reqs = requests(&server).await;
    let first: Vec<(String, String)> = query_of(&reqs[0]);
    assert_eq!(first.iter().filter(|(k, _)| k == "client_id").count(), 100);
    assert!(first.contains(&("size".into(), "100".into())));
    assert_eq!(
        query_of(&reqs[1])
            .iter()
            .filter(|(k, _)| k == "client_id")
            .count(),
        50
    );
    // repeated keys, not a comma-joined list
    assert!(
        reqs[0]
            .url
            .query()
            .unwrap()
            .starts_with("client_id=id0&client_id=id1&")
    );
}

#[tokio::test]
async fn client_categories_accept_id_aliases() {
    let server = MockServer::start().await;
    mount_page(
        &server,
        &p("/category/client"),
        0,
        hal(
            "clientCategories",
            json!([
                {"clientCategoryId": "a", "name": "VIP", "id": "ignored"},
                {"categoryId": "b", "name": "Staff", "archived": true},
                {"id": "c", "name": "Family"}
            ]),
            0,
            1,
            3,
        ),
    )
    .await;
    let cats: Vec<ClientCategory> = client(&server)
        .client_categories()
        .list(&ClientCategoryQuery::all())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(
        cats.iter()
            .map(|c| c.client_category_id.as_str())
            .collect::<Vec<_>>(),
        ["a", "b", "c"]
    );
    assert!(cats[1].archived);
    assert_query(
        &requests(&server).await[0],
        &[("includeArchived", "true"), ("page", "0"), ("size", "100")],
    );
}

#[tokio::test]
async fn services_and_categories() {
    let server = MockServer::start().await;
    mount_page(
        &server,
        &p(&format!("/branch/{BRANCH}/service")),
        0,
        hal(
            "services",
            json!([{
                "serviceId": "sv1", "categoryId": "k1", "name": "Cut & Blow Dry", "price": 55.0,
                "duration": 45, "internetEnabled": true, "userPrices": [{"userRef": "u1", "price": 65.5}],
                "addonServiceIds": ["sv9"], "isAddonOnly": false, "staffCategories": [{"x": 1}]
            }]),
            0,
            1,
            1,
        ),
    )
    .await;
    mount_page(
        &server,
        &p(&format!("/branch/{BRANCH}/service-category")),
        0,
        hal(
            "serviceCategories",
            json!([{"categoryId": "k1", "name": "Cuts"}]),
            0,
            1,
            1,
        ),
    )
    .await;
    let phorest = client(&server);
    let query = ServiceQuery::all()
        .category_id("k1")
        .fetch_online_category(true);
    let services: Vec<Service> = phorest
        .services(BRANCH)
        .list(&query)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(services[0].user_prices[0].price, Some(65.5));
    assert_eq!(services[0].duration, Some(45.0));
    assert!(services[0].internet_enabled);
    let cats: Vec<ServiceCategory> = phorest
        .services(BRANCH)
        .categories()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(cats[0].name.as_deref(), Some("Cuts"));
    let reqs = requests(&server).await;
    assert_query(
        &reqs[0],
        &[
            ("service_type", "services_and_addons"),
            ("category_id", "k1"),
            ("fetch_online_category", "true"),
            ("fetch_addon_services", "true"),
            ("page", "0"),
            ("size", "100"),
        ],
    );
    assert_query(&reqs[1], &[("page", "0"), ("size", "100")]);
}

#[tokio::test]
async fn products_always_send_both_update_bounds() {
    let server = MockServer::start().await;
    mount_page(
        &server,
        &p(&format!("/branch/{BRANCH}/product")),
        0,
        hal(
            "products",
            json!([{
                "productId": "p1", "name": "Shampoo", "price": 18.5, "type": "RETAIL",
                "barcode": 5012345678900_u64, "quantityInStock": 2.5, "archived": false,
                "updatedAt": "2025-01-01T00:00:00.000Z"
            }]),
            0,
            1,
            1,
        ),
    )
    .await;
    let after = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
    let products: Vec<Product> = client(&server)
        .products(BRANCH)
        .list(&ProductQuery::new().updated_after(after))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(products[0].barcode.as_deref(), Some("5012345678900"));
    assert_eq!(products[0].quantity_in_stock, Some(2.5));
    assert_eq!(products[0].product_type.as_deref(), Some("RETAIL"));
    let q = query_of(&requests(&server).await[0]);
    assert!(q.contains(&("updatedAfter".into(), "2025-01-01T00:00:00.000Z".into())));
    let before = q
        .iter()
        .find(|(k, _)| k == "updatedBefore")
        .expect("paired bound sent");
    assert!(before.1.ends_with('Z') && before.1.as_str() > "2025");
    // Only the upper bound: the lower one is the epoch.
    let server = MockServer::start().await;
    let path = p(&format!("/branch/{BRANCH}/product"));
    mount_page(&server, &path, 0, hal("products", json!([]), 0, 0, 0)).await;
    let none: Vec<Product> = client(&server)
        .products(BRANCH)
        .list(&ProductQuery::all().updated_before(after))
        .try_collect()
        .await
        .unwrap();
    assert!(none.is_empty());
    assert_query(
        &requests(&server).await[0],
        &[
            ("updatedAfter", "1970-01-01T00:00:00.000Z"),
            ("updatedBefore", "2025-01-01T00:00:00.000Z"),
            ("includeArchived", "true"),
            ("page", "0"),
            ("size", "100"),
        ],
    );
}

#[tokio::test]
async fn reviews_and_vouchers() {
    let server = MockServer::start().await;
    mount_page(
        &server,
        &p(&format!("/branch/{BRANCH}/review")),
        0,
        hal(
            "reviews",
            json!([{"reviewId": "r1", "clientId": "c1", "reviewDate": "2025-02-03", "visitDate": "2025-02-01",
                    "rating": 5, "text": "Lovely", "facebookReview": true}]),
            0,
            1,
            1,
        ),
    )
    .await;
    mount_page(
        &server,
        &p("/voucher"),
        0,
        hal(
            "vouchers",
            json!([{"voucherId": "v1", "serialNumber": 123456, "issueDate": "2025-01-01T09:00:00.000Z",
                    "expiryDate": null, "originalBalance": 50, "remainingBalance": 12.5, "clientId": "c1"}]),
            0,
            1,
            1,
        ),
    )
    .await;
    let phorest = client(&server);
    let reviews: Vec<Review> = phorest
        .reviews(BRANCH)
        .list(
            &ReviewQuery::new()
                .client_id("c1")
                .review_date(NaiveDate::from_ymd_opt(2025, 2, 3).unwrap()),
        )
        .try_collect()
        .await
        .unwrap();
    assert_eq!(reviews[0].rating, Some(5.0));
    assert!(reviews[0].facebook_review && !reviews[0].twitter_review);
    let since = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
    let vouchers: Vec<Voucher> = phorest
        .vouchers()
        .list(&VoucherQuery::new().include_used(true).updated_from(since))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(vouchers[0].serial_number.as_deref(), Some("123456"));
    assert_eq!(vouchers[0].remaining_balance, Some(12.5));
    let reqs = requests(&server).await;
    assert_query(
        &reqs[0],
        &[
            ("clientId", "c1"),
            ("reviewDate", "2025-02-03"),
            ("page", "0"),
            ("size", "100"),
        ],
    );
    assert_query(
        &reqs[1],
        &[
            ("includeUsed", "true"),
            ("updated_from", "2025-01-01T00:00:00.000Z"),
            ("page", "0"),
            ("size", "100"),
        ],
    );
}

#[tokio::test]
async fn a_server_repeating_a_page_is_an_error_not_a_loop() {
    let server = MockServer::start().await;
    // Ignores `page`: always answers page 0 of 3.
    mount_get(
        &server,
        &p("/client"),
        hal("clients", json!([{"clientId": "a"}]), 0, 3, 3),
    )
    .await;
    let result: Result<Vec<Client>> = client(&server)
        .clients()
        .list(&ClientQuery::default())
        .try_collect()
        .await;
    match result {
        Err(Error::UnexpectedPage {
            requested: 1,
            returned: 0,
        }) => {}
        other => panic!("{other:?}"),
    }
    assert_eq!(requests(&server).await.len(), 2);
}
