//! The Phorest sandbox over plain HTTP: auth, envelope, paging, every filter
//! name (and wrong names being ignored), the month rule, hidden appointments,
//! the CSV export job, mutations, faults and the request log.
#![cfg(feature = "mock")]

use std::collections::HashSet;
use std::time::Duration;

use chrono::{Duration as Days, NaiveDate, SecondsFormat, Utc};
use phorest_client::mock::{Faults, PhorestSandbox, SalonSpec};
use serde_json::Value;

struct Api {
    sb: PhorestSandbox,
    http: reqwest::Client,
}

struct Reply {
    status: u16,
    body: Value,
    text: String,
    retry_after: Option<String>,
}

fn http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder().build().unwrap()
}

async fn api(seed: u64) -> Api {
    Api {
        sb: PhorestSandbox::start(SalonSpec::small(seed)).await,
        http: http(),
    }
}

impl Api {
    /// `rel` is relative to `{base}/{businessId}`; `{br}` stands for the branch id.
    fn url(&self, rel: &str) -> String {
        format!(
            "{}/{}{}",
            self.sb.base_url(),
            self.sb.business_id(),
            rel.replace("{br}", self.sb.branch_id())
        )
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> Reply {
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let retry_after = resp
            .headers()
            .get("retry-after")
            .map(|v| v.to_str().unwrap().to_owned());
        let text = resp.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Reply {
            status,
            body,
            text,
            retry_after,
        }
    }

    async fn get(&self, rel: &str) -> Reply {
        let req = self
            .http
            .get(self.url(rel))
            .basic_auth(self.sb.username(), Some(self.sb.password()));
        self.send(req).await
    }

    async fn post(&self, rel: &str, body: Value) -> Reply {
        let req = self
            .http
            .post(self.url(rel))
            .basic_auth(self.sb.username(), Some(self.sb.password()))
            .json(&body);
        self.send(req).await
    }

    /// Pages `rel` (which must already hold a `?`) to the end and returns
    /// the values of `id_key` in order, checking the page metadata.
    async fn all_ids(&self, rel: &str, key: &str, id_key: &str, size: usize) -> Vec<String> {
        let mut ids = Vec::new();
        let mut page = 0;
        loop {
            let r = self.get(&format!("{rel}&page={page}&size={size}")).await;
            assert_eq!(r.status, 200, "{}", r.text);
            let meta = &r.body["page"];
            assert_eq!(meta["number"], page);
            assert_eq!(meta["size"], size);
            let total = meta["totalElements"].as_u64().unwrap() as usize;
            assert_eq!(
                meta["totalPages"].as_u64().unwrap() as usize,
                total.div_ceil(size)
            );
            let items = r.body["_embedded"][key]
                .as_array()
                .cloned()
                .unwrap_or_default();
            ids.extend(items.iter().map(|i| i[id_key].as_str().unwrap().to_owned()));
            page += 1;
            if page >= meta["totalPages"].as_u64().unwrap() as usize {
                assert_eq!(ids.len(), total);
                return ids;
            }
        }
    }

    fn branch(&self) -> &str {
        self.sb.branch_id()
    }
}

fn instant(t: chrono::DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn embedded_ids(body: &Value, key: &str, id_key: &str) -> Vec<String> {
    body["_embedded"][key]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|i| i[id_key].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn basic_auth_with_global_prefix_is_required() {
    let api = api(1).await;
    let url = api.url("/client?size=1");
    let anonymous = api.send(api.http.get(&url)).await;
    assert_eq!(anonymous.status, 401);
    assert_eq!(anonymous.body["status"], 401);
    assert!(
        anonymous.body["message"]
            .as_str()
            .unwrap()
            .contains("authentication")
    );
    let wrong = api
        .send(
            api.http
                .get(&url)
                .basic_auth(api.sb.username(), Some("not-the-password")),
        )
        .await;
    assert_eq!(wrong.status, 401);
    let no_prefix = api
        .send(
            api.http
                .get(&url)
                .basic_auth(api.sb.email(), Some(api.sb.password())),
        )
        .await;
    assert_eq!(no_prefix.status, 401);
    assert!(!wrong.text.contains(api.sb.password()));
    assert_eq!(api.get("/client?size=1").await.status, 200);
    // The sandbox's Debug never shows the password.
    let debug = format!("{:?}", api.sb);
    assert!(!debug.contains(api.sb.password()) && debug.contains("REDACTED"));
}

#[tokio::test]
async fn unknown_business_branch_and_route_are_404() {
    let api = api(1).await;
    let wrong_business = api
        .send(
            api.http
                .get(format!("{}/nope/client", api.sb.base_url()))
                .basic_auth(api.sb.username(), Some(api.sb.password())),
        )
        .await;
    assert_eq!(wrong_business.status, 404);
    assert_eq!(
        wrong_business.body["message"],
        "Business with a given id doesn't exist"
    );
    assert_eq!(api.get("/branch/nope/staff").await.status, 404);
    assert_eq!(api.get("/client/nope").await.status, 404);
    assert_eq!(api.get("/branch/{br}/nothing-here").await.status, 404);
    assert_eq!(
        api.post("/nothing-here", serde_json::json!({}))
            .await
            .status,
        404
    );
    // Client create is served: an empty body lacks `creatingBranchId`.
    assert_eq!(api.post("/client", serde_json::json!({})).await.status, 400);
}

#[tokio::test]
async fn clients_page_to_the_end_in_order_with_the_hal_envelope() {
    let api = api(2).await;
    let expected: Vec<String> = api
        .sb
        .salon()
        .listed_clients()
        .map(|c| c.client_id.clone())
        .collect();
    let ids = api.all_ids("/client?", "clients", "clientId", 7).await;
    assert_eq!(ids, expected);

    // Size is capped at the endpoint max; past the end, `_embedded` is absent.
    let capped = api.get("/client?size=5000").await;
    assert_eq!(capped.body["page"]["size"], 200);
    let beyond = api.get("/client?page=99&size=50").await;
    assert_eq!(beyond.status, 200);
    assert!(beyond.body.get("_embedded").is_none());
    assert_eq!(beyond.body["page"]["number"], 99);
    // Default size is 20.
    let default = api.get("/client").await;
    assert_eq!(default.body["page"]["size"], 20);
    assert_eq!(
        default.body["_embedded"]["clients"]
            .as_array()
            .unwrap()
            .len(),
        20
    );
    // Bad paging values are a 400.
    assert_eq!(api.get("/client?page=abc").await.status, 400);
}

#[tokio::test]
async fn client_filters_work_and_wrong_names_are_ignored() {
    let api = api(3).await;
    let salon = api.sb.salon();
    let listed = salon.listed_clients().count();
    let total = |r: &Reply| r.body["page"]["totalElements"].as_u64().unwrap() as usize;

    let archived = salon
        .clients()
        .iter()
        .filter(|c| c.archived && !c.deleted)
        .count();
    let deleted = salon
        .clients()
        .iter()
        .filter(|c| c.deleted && !c.archived)
        .count();
    assert!(archived > 0 && deleted > 0);
    assert_eq!(
        total(&api.get("/client?includeArchived=true").await),
        listed + archived
    );
    assert_eq!(
        total(&api.get("/client?includeDeleted=true").await),
        listed + deleted
    );
    assert_eq!(
        total(
            &api.get("/client?includeArchived=true&includeDeleted=true")
                .await
        ),
        salon.clients().len()
    );
    assert_eq!(api.get("/client?includeArchived=maybe").await.status, 400);
    // Wrong names: ignored.
    assert_eq!(
        total(&api.get("/client?include_archived=true").await),
        listed
    );
    assert_eq!(total(&api.get("/client?archived=true").await), listed);

    // updatedAfter / updatedBefore split the listed clients exactly.
    let mut stamps: Vec<_> = salon.listed_clients().map(|c| c.updated_at).collect();
    stamps.sort();
    let cut = stamps[stamps.len() / 2];
    let after = total(
        &api.get(&format!("/client?updatedAfter={}", instant(cut)))
            .await,
    );
    let before = total(
        &api.get(&format!("/client?updatedBefore={}", instant(cut)))
            .await,
    );
    assert_eq!(after, stamps.iter().filter(|&&t| t >= cut).count());
    assert_eq!(after + before, listed);
    assert!(after > 0 && before > 0);
    assert_eq!(
        total(
            &api.get(&format!("/client?updated_after={}", instant(cut)))
                .await
        ),
        listed
    );
    assert_eq!(api.get("/client?updatedAfter=yesterday").await.status, 400);

    // email (case-insensitive, exact) and phone.
    let with_email = salon
        .listed_clients()
        .find(|c| {
            c.email
                .as_deref()
                .is_some_and(|e| e.contains('@') && !e.contains(' '))
        })
        .unwrap();
    let email = with_email.email.clone().unwrap();
    let r = api
        .get(&format!("/client?email={}", email.to_uppercase()))
        .await;
    let ids = embedded_ids(&r.body, "clients", "clientId");
    assert!(ids.contains(&with_email.client_id));
    assert!(ids.iter().all(|id| {
        salon
            .client(id)
            .unwrap()
            .email
            .as_deref()
            .unwrap()
            .to_lowercase()
            == email.to_lowercase()
    }));
    let with_phone = salon.listed_clients().find(|c| c.mobile.is_some()).unwrap();
    let mobile = with_phone.mobile.clone().unwrap();
    let r = api.get(&format!("/client?phone={mobile}")).await;
    let ids = embedded_ids(&r.body, "clients", "clientId");
    assert!(ids.contains(&with_phone.client_id));
    assert!(
        ids.iter()
            .all(|id| salon.client(id).unwrap().mobile.as_deref() == Some(mobile.as_str()))
    );
    assert_eq!(
        total(&api.get(&format!("/client?mobile={mobile}")).await),
        listed
    );
}

#[tokio::test]
async fn client_by_id_walk_in_batch_and_categories() {
    let api = api(4).await;
    let salon = api.sb.salon();
    let deleted = salon.clients().iter().find(|c| c.deleted).unwrap();
    let one = api.get(&format!("/client/{}", deleted.client_id)).await;
    assert_eq!(one.status, 200);
    assert_eq!(one.body["clientId"].as_str().unwrap(), deleted.client_id);
    assert_eq!(one.body["deleted"], true);

    let walk_in = api.get("/client/walk-in").await;
    assert_eq!(
        walk_in.body["clientId"].as_str().unwrap(),
        salon.walk_in_client_id()
    );

    let ids: Vec<&str> = salon.clients()[1..4]
        .iter()
        .map(|c| c.client_id.as_str())
        .collect();
    let repeated = api
        .get(&format!(
            "/client-batch?client_id={}&client_id={}&client_id=unknown&client_id={}",
            ids[0], ids[1], ids[2]
        ))
        .await;
    assert_eq!(embedded_ids(&repeated.body, "clients", "clientId"), ids);
    let joined = api
        .get(&format!("/client-batch?client_id={}", ids.join(",")))
        .await;
    assert_eq!(embedded_ids(&joined.body, "clients", "clientId"), ids);
    assert_eq!(api.get("/client-batch").await.status, 400);
    assert_eq!(api.get("/client-batch?clientIds=a,b").await.status, 400);
    let too_many: Vec<String> = (0..101).map(|i| format!("client_id=x{i}")).collect();
    assert_eq!(
        api.get(&format!("/client-batch?{}", too_many.join("&")))
            .await
            .status,
        400
    );

    let visible = salon
        .client_categories()
        .iter()
        .filter(|c| !c.archived)
        .count();
    let r = api.get("/category/client?size=200").await;
    assert_eq!(
        r.body["_embedded"]["clientCategories"]
            .as_array()
            .unwrap()
            .len(),
        visible
    );
    let r = api
        .get("/category/client?size=200&includeArchived=true")
        .await;
    assert_eq!(
        r.body["_embedded"]["clientCategories"]
            .as_array()
            .unwrap()
            .len(),
        salon.client_categories().len()
    );
    assert!(r.body["_embedded"]["clientCategories"][0]["clientCategoryId"].is_string());
}

#[tokio::test]
async fn branches_staff_services_reviews_vouchers() {
    let api = api(5).await;
    let salon = api.sb.salon();
    let branches = api.get("/branch").await;
    let b = &branches.body["_embedded"]["branches"][0];
    assert_eq!(b["branchId"].as_str().unwrap(), api.branch());
    assert_eq!(b["timeZone"], "Europe/Dublin");

    let active: Vec<String> = salon
        .staff()
        .iter()
        .filter(|s| !s.archived)
        .map(|s| s.staff_id.clone())
        .collect();
    let all: Vec<String> = salon.staff().iter().map(|s| s.staff_id.clone()).collect();
    assert_eq!(
        api.all_ids("/branch/{br}/staff?", "staffs", "staffId", 3)
            .await,
        active
    );
    assert_eq!(
        api.all_ids(
            "/branch/{br}/staff?fetch_archived=true",
            "staffs",
            "staffId",
            200
        )
        .await,
        all
    );
    assert_eq!(
        api.all_ids(
            "/branch/{br}/staff?fetchArchived=true",
            "staffs",
            "staffId",
            200
        )
        .await,
        active
    );
    let one = api.get(&format!("/branch/{{br}}/staff/{}", all[0])).await;
    assert_eq!(one.body["staffId"].as_str().unwrap(), all[0]);

    let plain = salon.services().iter().filter(|s| !s.is_addon_only).count();
    let total = |r: &Reply| r.body["page"]["totalElements"].as_u64().unwrap() as usize;
    assert_eq!(total(&api.get("/branch/{br}/service").await), plain);
    assert_eq!(
        total(
            &api.get("/branch/{br}/service?service_type=services_and_addons")
                .await
        ),
        salon.services().len()
    );
    assert_eq!(
        total(
            &api.get("/branch/{br}/service?service_type=addons_only")
                .await
        ),
        salon.services().len() - plain
    );
    assert_eq!(
        total(
            &api.get("/branch/{br}/service?serviceType=services_and_addons")
                .await
        ),
        plain
    );
    assert_eq!(
        api.get("/branch/{br}/service?service_type=all")
            .await
            .status,
        400
    );
    assert_eq!(
        total(&api.get("/branch/{br}/service-category").await),
        salon.service_categories().len()
    );
    assert_eq!(
        total(&api.get("/branch/{br}/review").await),
        salon.reviews().len()
    );
    assert!(
        api.get("/branch/{br}/review").await.body["_embedded"]["reviews"][0]["rating"].is_i64()
    );
    assert_eq!(
        total(&api.get("/voucher?includeUsed=true").await),
        salon.vouchers().len()
    );
}

#[tokio::test]
async fn products_need_both_update_bounds_and_hide_archived() {
    let api = api(6).await;
    let salon = api.sb.salon();
    let total = |r: &Reply| r.body["page"]["totalElements"].as_u64().unwrap() as usize;
    let visible = salon.products().iter().filter(|p| !p.archived).count();
    assert_eq!(total(&api.get("/branch/{br}/product").await), visible);
    assert_eq!(
        total(&api.get("/branch/{br}/product?includeArchived=true").await),
        salon.products().len()
    );
    let from = instant(Utc::now() - Days::days(3650));
    let to = instant(Utc::now() + Days::days(1));
    let one_bound = api
        .get(&format!("/branch/{{br}}/product?updatedAfter={from}"))
        .await;
    assert_eq!(one_bound.status, 400);
    assert!(
        one_bound.body["message"]
            .as_str()
            .unwrap()
            .contains("updatedBefore")
    );
    let both = api
        .get(&format!(
            "/branch/{{br}}/product?updatedAfter={from}&updatedBefore={to}"
        ))
        .await;
    assert_eq!(total(&both), visible);
    // updated_from/updated_to are not this endpoint's names: ignored.
    let future = instant(Utc::now() + Days::days(10));
    assert_eq!(
        total(
            &api.get(&format!(
                "/branch/{{br}}/product?updated_from={future}&updated_to={future}"
            ))
            .await
        ),
        visible
    );
    // A product update is visible through the pair.
    let id = salon
        .products()
        .iter()
        .find(|p| !p.archived)
        .unwrap()
        .product_id
        .clone();
    let mark = Utc::now();
    assert!(api.sb.update_product(&id, |p| p.price = 99.5));
    let changed = api
        .get(&format!(
            "/branch/{{br}}/product?updatedAfter={}&updatedBefore={to}",
            instant(mark - Days::milliseconds(1))
        ))
        .await;
    assert_eq!(
        embedded_ids(&changed.body, "products", "productId"),
        vec![id]
    );
    assert_eq!(changed.body["_embedded"]["products"][0]["price"], 99.5);
}

/// The first and last day of the month containing `d`.
fn month_of(d: NaiveDate) -> (NaiveDate, NaiveDate) {
    let first = d.with_day0(0).unwrap();
    let next = first.checked_add_months(chrono::Months::new(1)).unwrap();
    (first, next.pred_opt().unwrap())
}

use chrono::Datelike;

#[tokio::test]
async fn appointment_window_rule_and_inclusive_to_date() {
    let api = api(7).await;
    let br = api.branch().to_owned();
    let month = "/branch/{br}/appointment?from_date=2025-10-01&to_date=2025-10-31";
    assert_eq!(api.get(month).await.status, 200);
    let long = api
        .get("/branch/{br}/appointment?from_date=2025-10-01&to_date=2025-11-01")
        .await;
    assert_eq!(long.status, 400);
    assert_eq!(long.body["status"], 400);
    assert_eq!(long.body["error"], "Bad Request");
    assert!(long.body["message"].as_str().unwrap().contains("one month"));
    assert!(
        long.body["path"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/branch/{br}/appointment"))
    );
    assert_eq!(
        api.get("/branch/{br}/appointment?from_date=2025-10-05&to_date=2025-10-01")
            .await
            .status,
        400
    );
    assert_eq!(api.get("/branch/{br}/appointment").await.status, 400);
    // Wrong names for the window are ignored, so the required dates are missing.
    assert_eq!(
        api.get("/branch/{br}/appointment?fromDate=2025-10-01&toDate=2025-10-31")
            .await
            .status,
        400
    );

    // to_date is inclusive: a single-day window returns that day's rows.
    let salon = api.sb.salon();
    let visible = |a: &&phorest_client::mock::Appointment| {
        a.activation_state != "CANCELED" && a.activation_state != "ARCHIVED" && !a.deleted
    };
    let day = salon
        .appointments()
        .iter()
        .find(visible)
        .unwrap()
        .appointment_date;
    let r = api
        .get(&format!(
            "/branch/{{br}}/appointment?from_date={day}&to_date={day}&size=100"
        ))
        .await;
    let expected: Vec<String> = salon
        .appointments()
        .iter()
        .filter(visible)
        .filter(|a| a.appointment_date == day)
        .map(|a| a.appointment_id.clone())
        .collect();
    assert_eq!(
        embedded_ids(&r.body, "appointments", "appointmentId"),
        expected
    );
    assert!(!expected.is_empty());
    // Page size is capped at 100.
    assert_eq!(
        api.get(&format!("{month}&size=500")).await.body["page"]["size"],
        100
    );
}

#[tokio::test]
async fn hidden_appointments_need_fetch_flags_and_filters_use_snake_case() {
    let api = api(8).await;
    let salon = api.sb.salon();
    let rows = salon.appointments();
    // Walk the whole span month by month with every flag, and without.
    let first = rows.iter().map(|a| a.appointment_date).min().unwrap();
    let last = rows.iter().map(|a| a.appointment_date).max().unwrap();
    let mut seen_all = Vec::new();
    let mut seen_default = Vec::new();
    let mut month = month_of(first);
    while month.0 <= last {
        let window = format!(
            "/branch/{{br}}/appointment?from_date={}&to_date={}",
            month.0, month.1
        );
        seen_all.extend(
            api.all_ids(
                &format!("{window}&fetch_canceled=true&fetch_deleted=true&fetch_archived=true"),
                "appointments",
                "appointmentId",
                100,
            )
            .await,
        );
        seen_default.extend(
            api.all_ids(&window, "appointments", "appointmentId", 100)
                .await,
        );
        month = month_of(month.1.succ_opt().unwrap());
    }
    let all: HashSet<String> = rows.iter().map(|a| a.appointment_id.clone()).collect();
    assert_eq!(seen_all.iter().cloned().collect::<HashSet<_>>(), all);
    assert_eq!(seen_all.len(), all.len());
    let hidden: HashSet<String> = rows
        .iter()
        .filter(|a| {
            a.activation_state == "CANCELED" || a.activation_state == "ARCHIVED" || a.deleted
        })
        .map(|a| a.appointment_id.clone())
        .collect();
    assert!(!hidden.is_empty());
    assert_eq!(
        seen_default.into_iter().collect::<HashSet<_>>(),
        &all - &hidden
    );

    // Each flag reveals only its own kind; camelCase spellings are ignored.
    let cancelled = rows
        .iter()
        .find(|a| a.activation_state == "CANCELED" && !a.deleted)
        .unwrap();
    let (from, to) = month_of(cancelled.appointment_date);
    let window = format!("/branch/{{br}}/appointment?from_date={from}&to_date={to}&size=100");
    let ids = |r: Reply| embedded_ids(&r.body, "appointments", "appointmentId");
    assert!(!ids(api.get(&window).await).contains(&cancelled.appointment_id));
    assert!(
        ids(api.get(&format!("{window}&fetch_canceled=true")).await)
            .contains(&cancelled.appointment_id)
    );
    assert!(
        !ids(api.get(&format!("{window}&fetch_deleted=true")).await)
            .contains(&cancelled.appointment_id)
    );
    assert!(
        !ids(api.get(&format!("{window}&fetchCanceled=true")).await)
            .contains(&cancelled.appointment_id)
    );

    // staff_id and client_id filter; staffId and clientId are ignored.
    let default_ids = ids(api.get(&window).await);
    let sample = rows
        .iter()
        .find(|a| default_ids.contains(&a.appointment_id))
        .unwrap();
    let by_staff = ids(api
        .get(&format!("{window}&staff_id={}", sample.staff_id))
        .await);
    assert!(by_staff.contains(&sample.appointment_id));
    assert!(by_staff.iter().all(|id| {
        salon
            .appointments()
            .iter()
            .any(|a| &a.appointment_id == id && a.staff_id == sample.staff_id)
    }));
    assert_eq!(
        ids(api
            .get(&format!("{window}&staffId={}", sample.staff_id))
            .await),
        default_ids
    );
    let by_client = ids(api
        .get(&format!("{window}&client_id={}", sample.client_id))
        .await);
    assert!(by_client.contains(&sample.appointment_id));
    assert!(by_client.len() < default_ids.len() || default_ids.len() == 1);
    assert_eq!(
        ids(api
            .get(&format!("{window}&clientId={}", sample.client_id))
            .await),
        default_ids
    );

    // updated_from / updated_to; updated_after is ignored.
    let future = instant(Utc::now() + Days::days(1));
    assert!(ids(api.get(&format!("{window}&updated_from={future}")).await).is_empty());
    // (An update window also switches to update order.)
    let mut until_future = ids(api.get(&format!("{window}&updated_to={future}")).await);
    let mut sorted_default = default_ids.clone();
    until_future.sort();
    sorted_default.sort();
    assert_eq!(until_future, sorted_default);
    assert_eq!(
        ids(api.get(&format!("{window}&updated_after={future}")).await),
        default_ids
    );
}

#[tokio::test]
async fn mutations_are_visible_through_update_filters() {
    let api = api(9).await;
    let salon = api.sb.salon();
    let mark = instant(Utc::now());
    let since = |q: &str| format!("/client?updatedAfter={mark}{q}");
    assert_eq!(api.get(&since("")).await.body["page"]["totalElements"], 0);

    let target = salon.listed_clients().nth(3).unwrap().clone();
    assert!(
        api.sb
            .update_client(&target.client_id, |c| c.first_name = "Changed".into())
    );
    let added = api.sb.add_client(|c| {
        c.first_name = "Nua".into();
        c.email = Some("nua@example.ie".into());
    });
    let gone = salon.listed_clients().nth(5).unwrap().client_id.clone();
    assert!(api.sb.delete_client(&gone));
    assert!(!api.sb.update_client("unknown", |_| {}));

    let r = api.get(&since("")).await;
    let ids = embedded_ids(&r.body, "clients", "clientId");
    assert_eq!(ids.len(), 2);
    assert!(ids.contains(&target.client_id) && ids.contains(&added));
    let changed = r.body["_embedded"]["clients"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["clientId"] == target.client_id.as_str())
        .unwrap();
    assert_eq!(changed["firstName"], "Changed");
    assert_eq!(changed["version"], target.version + 1);
    let deleted = api.get(&since("&includeDeleted=true")).await;
    assert!(embedded_ids(&deleted.body, "clients", "clientId").contains(&gone));
    assert_eq!(
        api.get("/client?size=1").await.body["page"]["totalElements"],
        salon.listed_clients().count() // +1 added, -1 deleted
    );

    // Appointments: cancel, edit and add, seen through updated_from.
    let appt = salon
        .appointments()
        .iter()
        .find(|a| a.activation_state == "ACTIVE" && !a.deleted)
        .unwrap()
        .clone();
    assert!(api.sb.cancel_appointment(&appt.appointment_id));
    let (from, to) = month_of(appt.appointment_date);
    let window =
        format!("/branch/{{br}}/appointment?from_date={from}&to_date={to}&updated_from={mark}");
    assert!(api.get(&window).await.body.get("_embedded").is_none());
    let r = api.get(&format!("{window}&fetch_canceled=true")).await;
    assert_eq!(
        embedded_ids(&r.body, "appointments", "appointmentId"),
        vec![appt.appointment_id.clone()]
    );
    assert_eq!(
        r.body["_embedded"]["appointments"][0]["activationState"],
        "CANCELED"
    );
    let new_id = api.sb.add_appointment(|a| {
        a.appointment_date = appt.appointment_date;
        a.client_id = appt.client_id.clone();
        a.staff_id = appt.staff_id.clone();
        a.start_time = appt.start_time;
        a.end_time = appt.end_time;
    });
    assert!(
        embedded_ids(
            &api.get(&window).await.body,
            "appointments",
            "appointmentId"
        )
        .contains(&new_id)
    );

    // Staff: updatedAfter sees the edit.
    let staff_id = salon
        .staff()
        .iter()
        .find(|s| !s.archived)
        .unwrap()
        .staff_id
        .clone();
    assert!(
        api.sb
            .update_staff(&staff_id, |s| s.mobile = Some("353861234567".into()))
    );
    let r = api
        .get(&format!("/branch/{{br}}/staff?updatedAfter={mark}"))
        .await;
    assert_eq!(embedded_ids(&r.body, "staffs", "staffId"), vec![staff_id]);
}

#[tokio::test]
async fn csv_export_job_runs_to_done_and_downloads_without_auth() {
    let api = api(10).await;
    let salon = api.sb.salon();
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
    let created = api
        .post(
            "/branch/{br}/csvexportjob",
            serde_json::json!({"jobType": "TRANSACTIONS_CSV", "startFilter": from.to_string(), "finishFilter": to.to_string()}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(created.body["jobStatus"], "IN_PROGRESS");
    let job_id = created.body["jobId"].as_str().unwrap().to_owned();

    let mut in_progress = 0;
    let done = loop {
        let r = api
            .get(&format!("/branch/{{br}}/csvexportjob/{job_id}"))
            .await;
        assert_eq!(r.status, 200);
        match r.body["jobStatus"].as_str().unwrap() {
            "IN_PROGRESS" => in_progress += 1,
            "DONE" => break r.body,
            other => panic!("unexpected status {other}"),
        }
        assert!(in_progress <= 2);
    };
    assert!((1..=2).contains(&in_progress));
    let lines = salon.sales().len();
    assert_eq!(done["totalRows"], lines);
    assert!(done["finished"].is_string());
    let url = done["tempCsvExternalUrl"].as_str().unwrap();
    assert!(url.starts_with(&api.sb.uri()));

    // No Authorization header on the download.
    let csv = api.http.get(url).send().await.unwrap();
    assert_eq!(csv.status(), 200);
    let text = csv.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader.headers().unwrap().clone();
    for column in [
        "transaction_id",
        "transaction_item_id",
        "branch_id",
        "client_id",
        "purchased_date",
        "item_type",
        "product_id",
        "product_name",
        "quantity",
        "total_amount",
        "loyalty_points_awarded",
    ] {
        assert!(headers.iter().any(|h| h == column), "{column}");
    }
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), lines);
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let product_line = salon
        .sales()
        .iter()
        .find(|l| l.item_type == "PRODUCT")
        .unwrap();
    let record = records
        .iter()
        .find(|r| r[col("transaction_item_id")] == product_line.transaction_item_id)
        .unwrap();
    assert_eq!(
        &record[col("product_id")],
        product_line.product_id.as_deref().unwrap()
    );
    assert_eq!(&record[col("client_id")], product_line.client_id.as_str());

    // Validation and the empty case.
    let bad = api
        .post("/branch/{br}/csvexportjob", serde_json::json!({"jobType": "NOPE", "startFilter": "2025-01-01", "finishFilter": "2025-01-31"}))
        .await;
    assert_eq!(bad.status, 400);
    let empty = api
        .post("/branch/{br}/csvexportjob", serde_json::json!({"jobType": "TRANSACTIONS_CSV", "startFilter": "2001-01-01", "finishFilter": "2001-01-31"}))
        .await;
    let id = empty.body["jobId"].as_str().unwrap();
    let mut last = Value::Null;
    for _ in 0..4 {
        last = api
            .get(&format!("/branch/{{br}}/csvexportjob/{id}"))
            .await
            .body;
    }
    assert_eq!(last["jobStatus"], "FAILED");
    assert_eq!(last["failureReason"], "No records found");
    assert_eq!(
        api.get("/branch/{br}/csvexportjob/unknown").await.status,
        404
    );
}

#[tokio::test]
async fn rate_limit_and_server_error_faults() {
    let api = api(11).await;
    api.sb.set_faults(Faults {
        rate_limit_requests: 2,
        retry_after: Some(3),
        ..Faults::default()
    });
    for _ in 0..2 {
        let r = api.get("/client?size=1").await;
        assert_eq!(r.status, 429);
        assert_eq!(r.retry_after.as_deref(), Some("3"));
        assert!(r.body["message"].as_str().unwrap().contains("rate limit"));
    }
    assert_eq!(api.get("/client?size=1").await.status, 200);

    api.sb.set_faults(Faults {
        server_error_rate: 1.0,
        path_contains: Some("/staff".into()),
        ..Faults::default()
    });
    let r = api.get("/branch/{br}/staff").await;
    assert!(r.status == 500 || r.status == 503, "{}", r.status);
    assert_eq!(api.get("/client?size=1").await.status, 200);
    api.sb.clear_faults();
    assert_eq!(api.get("/branch/{br}/staff").await.status, 200);
}

#[tokio::test]
async fn faults_are_deterministic_for_a_seed() {
    async fn statuses(seed: u64) -> Vec<u16> {
        let api = api(12).await;
        api.sb.set_faults(Faults {
            seed,
            server_error_rate: 0.5,
            ..Faults::default()
        });
        let mut out = Vec::new();
        for _ in 0..24 {
            out.push(api.get("/client?size=1").await.status);
        }
        out
    }
    let a = statuses(99).await;
    assert_eq!(a, statuses(99).await);
    assert!(a.contains(&200) && a.iter().any(|&s| s >= 500));
    assert_ne!(a, statuses(100).await);
}

#[tokio::test]
async fn corrupt_pages_do_not_decode_as_the_envelope() {
    let api = api(13).await;
    api.sb.set_faults(Faults {
        seed: 5,
        corrupt_rate: 1.0,
        ..Faults::default()
    });
    let mut kinds = HashSet::new();
    for _ in 0..30 {
        let r = api.get("/client?size=5").await;
        assert_eq!(r.status, 200);
        let kind = if r.text.starts_with("<html>") {
            "html"
        } else if r.body.is_null() {
            "truncated"
        } else {
            assert!(
                r.body["_embedded"]["clients"][0]["clientId"].is_number(),
                "{}",
                r.text
            );
            "wrong-type"
        };
        kinds.insert(kind);
    }
    assert_eq!(kinds.len(), 3, "{kinds:?}");
    // Single records and errors are not corrupted.
    assert!(api.get("/client/walk-in").await.body["clientId"].is_string());
}

#[tokio::test]
async fn slow_responses_exceed_a_client_timeout() {
    let api = api(14).await;
    api.sb.set_faults(Faults {
        slow_rate: 1.0,
        slow_delay: Duration::from_secs(2),
        ..Faults::default()
    });
    let err = api
        .http
        .get(api.url("/client?size=1"))
        .basic_auth(api.sb.username(), Some(api.sb.password()))
        .timeout(Duration::from_millis(200))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_timeout());
}

#[tokio::test]
async fn request_log_records_method_path_query_and_status() {
    let api = api(15).await;
    api.get("/client?size=2&updated_after=x").await;
    api.get("/client-batch?client_id=a").await;
    api.get(&format!("/branch/{}/staff", api.branch())).await;
    api.send(api.http.get(api.url("/branch"))).await;
    assert_eq!(api.sb.request_count(), 4);
    let log = api.sb.requests();
    assert_eq!(log[0].method, "GET");
    assert_eq!(
        log[0].path,
        format!(
            "/third-party-api-server/api/business/{}/client",
            api.sb.business_id()
        )
    );
    assert_eq!(log[0].query.as_deref(), Some("size=2&updated_after=x"));
    assert_eq!(log[0].status, 200);
    assert_eq!(log[3].status, 401);
    let b = api.sb.business_id().to_owned();
    assert_eq!(api.sb.count_requests(&format!("/{b}/client")), 2);
    assert_eq!(api.sb.count_requests(&format!("/{b}/branch")), 2);
    api.sb.reset_counters();
    assert_eq!(api.sb.request_count(), 0);
    assert!(api.sb.requests().is_empty());
}

#[tokio::test]
async fn large_salon_pages_all_150k_clients() {
    let api = Api {
        sb: PhorestSandbox::start(SalonSpec::large(21)).await,
        http: http(),
    };
    let expected = api.sb.with_salon(|s| s.listed_clients().count());
    let ids = api.all_ids("/client?", "clients", "clientId", 200).await;
    assert_eq!(ids.len(), expected);
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), expected);
    assert_eq!(api.sb.request_count(), expected.div_ceil(200));
}

#[tokio::test]
async fn odd_paging_and_query_values_are_handled_like_spring() {
    let api = api(16).await;
    let first = api.get("/client?size=3").await;
    let negative = api.get("/client?page=-4&size=3").await;
    assert_eq!(negative.body["page"]["number"], 0);
    assert_eq!(negative.body["_embedded"], first.body["_embedded"]);
    assert_eq!(api.get("/client?size=0").await.body["page"]["size"], 20);
    assert_eq!(api.get("/client?size=-5").await.body["page"]["size"], 20);
    let huge = api.get("/client?size=99999999999999999999999").await;
    assert_eq!(huge.status, 400);
    assert!(huge.body["message"].as_str().unwrap().contains("size"));
    let far = api.get("/client?page=9223372036854775807&size=200").await;
    assert_eq!(far.status, 200);
    assert!(far.body.get("_embedded").is_none());
    let garbage = api.get("/client?email=%FF%FE%00&phone=%E2%82%AC").await;
    assert_eq!(garbage.status, 200);
    assert_eq!(garbage.body["page"]["totalElements"], 0);
    // An unencoded `+` in an offset arrives as a space: rejected, not misread.
    let plus = api
        .get("/client?updatedAfter=2025-01-01T00:00:00.000+01:00")
        .await;
    assert_eq!(plus.status, 400);
    let encoded = api
        .get("/client?updatedAfter=2025-01-01T00:00:00.000%2B01:00")
        .await;
    assert_eq!(encoded.status, 200);
}

#[tokio::test]
async fn secondary_filters_names_prefixes_types_reviews_vouchers() {
    let api = api(17).await;
    let salon = api.sb.salon();
    let total = |r: &Reply| r.body["page"]["totalElements"].as_u64().unwrap() as usize;
    let listed = salon.listed_clients().count();

    let named = salon
        .listed_clients()
        .find(|c| c.last_name.len() > 3 && c.last_name.trim() == c.last_name)
        .unwrap();
    let exact = api
        .get(&format!("/client?lastName={}", urlencode(&named.last_name)))
        .await;
    let ids = embedded_ids(&exact.body, "clients", "clientId");
    assert!(ids.contains(&named.client_id));
    assert!(ids.iter().all(|id| {
        salon.client(id).unwrap().last_name.to_lowercase() == named.last_name.to_lowercase()
    }));
    let prefix: String = named.last_name.chars().take(2).collect();
    let by_prefix = api
        .get(&format!(
            "/client?lastName={}",
            urlencode(&format!("~{prefix}%"))
        ))
        .await;
    assert!(total(&by_prefix) >= ids.len());
    assert!(embedded_ids(&by_prefix.body, "clients", "clientId").contains(&named.client_id));
    assert_eq!(total(&api.get("/client?last_name=Murphy").await), listed);

    let external = salon.listed_clients().nth(2).unwrap().client_id.clone();
    api.sb
        .update_client(&external, |c| c.external_id = Some("crm-42".into()));
    let r = api.get("/client?externalId=crm-42").await;
    assert_eq!(embedded_ids(&r.body, "clients", "clientId"), vec![external]);

    let category = &salon.services()[0].category_id;
    let r = api
        .get(&format!(
            "/branch/{{br}}/service?service_type=services_and_addons&category_id={category}"
        ))
        .await;
    let expected = salon
        .services()
        .iter()
        .filter(|s| &s.category_id == category)
        .count();
    assert_eq!(total(&r), expected);
    assert!(expected < salon.services().len());

    let visible: Vec<_> = salon.products().iter().filter(|p| !p.archived).collect();
    let professional = visible
        .iter()
        .filter(|p| p.product_type == "PROFESSIONAL")
        .count();
    assert_eq!(
        total(
            &api.get("/branch/{br}/product?productType=PROFESSIONAL")
                .await
        ),
        professional
    );
    let brand = visible[0].brand_name.clone().unwrap();
    let r = api
        .get(&format!(
            "/branch/{{br}}/product?searchQuery={}",
            urlencode(&brand)
        ))
        .await;
    assert_eq!(
        total(&r),
        visible
            .iter()
            .filter(|p| p.name.to_lowercase().contains(&brand.to_lowercase()))
            .count()
    );

    let review = &salon.reviews()[0];
    let r = api
        .get(&format!(
            "/branch/{{br}}/review?clientId={}",
            review.client_id
        ))
        .await;
    assert!(embedded_ids(&r.body, "reviews", "reviewId").contains(&review.review_id));
    assert!(total(&r) < salon.reviews().len() || salon.reviews().len() == 1);
    let r = api
        .get(&format!(
            "/branch/{{br}}/review?reviewDate={}",
            review.review_date
        ))
        .await;
    assert!(embedded_ids(&r.body, "reviews", "reviewId").contains(&review.review_id));

    let unused = salon
        .vouchers()
        .iter()
        .filter(|v| v.remaining_balance > 0.0)
        .count();
    assert!(unused < salon.vouchers().len());
    assert_eq!(total(&api.get("/voucher").await), unused);
    assert_eq!(
        total(&api.get("/voucher?includeUsed=true").await),
        salon.vouchers().len()
    );
    let serial = &salon.vouchers()[0].serial_number;
    let r = api
        .get(&format!("/voucher?includeUsed=true&serialNumber={serial}"))
        .await;
    assert_eq!(
        r.body["_embedded"]["vouchers"][0]["serialNumber"],
        serial.as_str()
    );
    assert_eq!(total(&r), 1);
}

fn urlencode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

#[tokio::test]
async fn appointment_sort_and_update_order() {
    let api = api(18).await;
    let window = "/branch/{br}/appointment?from_date=2025-10-01&to_date=2025-10-31&size=100";
    let dates = |r: &Reply| -> Vec<(String, String)> {
        r.body["_embedded"]["appointments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| {
                (
                    a["appointmentDate"].as_str().unwrap().to_owned(),
                    a["startTime"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    let desc = dates(
        &api.get(&format!("{window}&sort=appointmentDate,desc"))
            .await,
    );
    assert!(desc.len() > 1);
    assert!(desc.windows(2).all(|w| w[0] >= w[1]), "{desc:?}");
    let asc = dates(&api.get(&format!("{window}&sort=appointmentDate")).await);
    assert!(asc.windows(2).all(|w| w[0] <= w[1]));
    assert_eq!(
        api.get(&format!("{window}&sort=colour,desc")).await.status,
        400
    );
    assert_eq!(
        api.get(&format!("{window}&sort=appointmentDate,sideways"))
            .await
            .status,
        400
    );

    // With an update window, rows come in update order.
    let r = api
        .get(&format!("{window}&updated_from=2000-01-01T00:00:00.000Z"))
        .await;
    let stamps: Vec<&str> = r.body["_embedded"]["appointments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["updatedAt"].as_str().unwrap())
        .collect();
    assert!(stamps.windows(2).all(|w| w[0] <= w[1]), "{stamps:?}");
}
