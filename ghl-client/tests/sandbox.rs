//! The GHL sandbox driven with plain `reqwest`: behaviour, bodies, limits, faults, counting.
#![cfg(feature = "mock")]

use std::time::Duration;

use ghl_client::mock::{
    DuplicateMatchOrder, Faults, GhlSandbox, SandboxConfig, SandboxLocation, SeedCalendar, SeedUser,
};
use reqwest::Method;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};

const V1: &str = "2021-07-28";
const V2: &str = "2021-04-15";
const ALL_SCOPES: &[&str] = &[
    "contacts.readonly",
    "contacts.write",
    "calendars.readonly",
    "calendars/events.readonly",
    "calendars/events.write",
    "users.readonly",
    "locations.readonly",
    "locations/customFields.readonly",
    "locations/customFields.write",
    "products.readonly",
    "products.write",
    "products/prices.readonly",
    "products/prices.write",
];

struct Resp {
    status: u16,
    headers: HeaderMap,
    body: Value,
}

struct Api {
    http: reqwest::Client,
    base: String,
    token: String,
    location: String,
}

fn http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder().build().unwrap()
}

impl Api {
    fn new(sandbox: &GhlSandbox, token: String) -> Self {
        Self {
            http: http(),
            base: sandbox.base_url(),
            token,
            location: sandbox.location_id().to_owned(),
        }
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        version: Option<&str>,
        body: Option<Value>,
    ) -> Resp {
        let mut req = self
            .http
            .request(method, format!("{}{}", self.base, path))
            .bearer_auth(&self.token)
            .header("Accept", "application/json");
        if let Some(v) = version {
            req = req.header("Version", v);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let text = resp.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Resp {
            status,
            headers,
            body,
        }
    }

    async fn get(&self, path: &str, version: &str) -> Resp {
        self.send(Method::GET, path, Some(version), None).await
    }

    async fn post(&self, path: &str, version: &str, body: Value) -> Resp {
        self.send(Method::POST, path, Some(version), Some(body))
            .await
    }

    async fn put(&self, path: &str, version: &str, body: Value) -> Resp {
        self.send(Method::PUT, path, Some(version), Some(body))
            .await
    }

    async fn delete(&self, path: &str, version: &str, body: Option<Value>) -> Resp {
        self.send(Method::DELETE, path, Some(version), body).await
    }

    async fn create_contact(&self, mut body: Value) -> Resp {
        body["locationId"] = json!(self.location);
        self.post("/contacts/", V1, body).await
    }
}

async fn sandbox_with(config: SandboxConfig) -> (GhlSandbox, Api) {
    let sandbox = GhlSandbox::start(config).await;
    let token = sandbox.issue_private_token(ALL_SCOPES);
    let api = Api::new(&sandbox, token);
    (sandbox, api)
}

async fn sandbox() -> (GhlSandbox, Api) {
    sandbox_with(SandboxConfig::default()).await
}

fn header(resp: &Resp, name: &str) -> String {
    resp.headers
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

// ---------------------------------------------------------------- contacts

#[tokio::test]
async fn create_then_get_returns_the_stored_contact() {
    let (sandbox, api) = sandbox().await;
    let created = api
        .create_contact(
            json!({"firstName": "Ada", "lastName": "Byrne", "email": "ada@example.com",
                               "phone": "+353871234567", "source": "phorest"}),
        )
        .await;
    assert_eq!(created.status, 201);
    let id = created.body["contact"]["id"].as_str().unwrap().to_owned();
    assert_eq!(id.len(), 20);
    assert!(id.chars().all(|c| c.is_ascii_alphanumeric()));
    let got = api.get(&format!("/contacts/{id}"), V1).await;
    assert_eq!(got.status, 200);
    let c = &got.body["contact"];
    assert_eq!(c["email"], "ada@example.com");
    assert_eq!(c["phone"], "+353871234567");
    assert_eq!(c["locationId"], json!(sandbox.location_id()));
    assert_eq!(c["tags"], json!([]));
    assert!(c["dateAdded"].as_str().unwrap().ends_with('Z'));
    assert_eq!(sandbox.contact(&id).unwrap()["firstName"], "Ada");
}

#[tokio::test]
async fn duplicate_rule_rejects_same_email_then_phone_with_meta() {
    let (sandbox, api) = sandbox().await;
    let first = api
        .create_contact(
            json!({"firstName": "Ada", "email": "Ada@Example.com", "phone": "+353871234567"}),
        )
        .await;
    let id = first.body["contact"]["id"].clone();

    let by_email = api
        .create_contact(json!({"email": "ada@example.COM"}))
        .await;
    assert_eq!(by_email.status, 400);
    assert_eq!(by_email.body["statusCode"], 400);
    assert_eq!(
        by_email.body["message"],
        "This location does not allow duplicated contacts."
    );
    assert_eq!(by_email.body["meta"]["contactId"], id);
    assert_eq!(by_email.body["meta"]["matchingField"], "email");

    let by_phone = api
        .create_contact(json!({"email": "other@example.com", "phone": "+353871234567"}))
        .await;
    assert_eq!(by_phone.status, 400);
    assert_eq!(by_phone.body["meta"]["contactId"], id);
    assert_eq!(by_phone.body["meta"]["matchingField"], "phone");

    // An update onto another contact's email is a duplicate too.
    let other = api.create_contact(json!({"email": "b@example.com"})).await;
    let other_id = other.body["contact"]["id"].as_str().unwrap().to_owned();
    let clash = api
        .put(
            &format!("/contacts/{other_id}"),
            V1,
            json!({"email": "ada@example.com"}),
        )
        .await;
    assert_eq!(clash.status, 400);
    assert_eq!(clash.body["meta"]["contactId"], id);
    assert_eq!(sandbox.contacts().len(), 2);
}

#[tokio::test]
async fn duplicates_are_created_when_the_location_allows_them() {
    let (sandbox, api) =
        sandbox_with(SandboxConfig::default().allow_duplicate_contacts(true)).await;
    for _ in 0..2 {
        let r = api
            .create_contact(json!({"email": "same@example.com"}))
            .await;
        assert_eq!(r.status, 201);
    }
    assert_eq!(sandbox.contacts().len(), 2);
}

#[tokio::test]
async fn upsert_reports_new_then_updated_matching_email_then_phone() {
    let (sandbox, api) = sandbox().await;
    let loc = api.location.clone();
    let first = api
        .post(
            "/contacts/upsert",
            V1,
            json!({"locationId": loc, "firstName": "Ada", "email": "ada@example.com"}),
        )
        .await;
    assert_eq!(first.status, 200);
    assert_eq!(first.body["new"], true);
    let id = first.body["contact"]["id"].clone();
    assert!(first.body["traceId"].is_string());

    let again = api
        .post("/contacts/upsert", V1, json!({"locationId": loc, "lastName": "Byrne", "email": "ADA@example.com", "phone": "+14165550100"}))
        .await;
    assert_eq!(again.body["new"], false);
    assert_eq!(again.body["contact"]["id"], id);
    assert_eq!(again.body["contact"]["firstName"], "Ada");
    assert_eq!(again.body["contact"]["lastName"], "Byrne");

    let by_phone = api
        .post(
            "/contacts/upsert",
            V1,
            json!({"locationId": loc, "phone": "+14165550100", "city": "Cork"}),
        )
        .await;
    assert_eq!(by_phone.body["new"], false);
    assert_eq!(by_phone.body["contact"]["id"], id);
    assert_eq!(by_phone.body["contact"]["city"], "Cork");

    // Email matches one contact, phone another: the email match wins, the phone is dropped.
    let other = api
        .create_contact(json!({"email": "b@example.com", "phone": "+14165550199"}))
        .await;
    let other_id = other.body["contact"]["id"].clone();
    let split = api
        .post(
            "/contacts/upsert",
            V1,
            json!({"locationId": loc, "email": "b@example.com", "phone": "+14165550100"}),
        )
        .await;
    assert_eq!(split.body["contact"]["id"], other_id);
    assert_eq!(split.body["contact"]["phone"], "+14165550199");
    // Tags on an upsert that updates replace the whole set, like PUT.
    sandbox
        .seed_contact(json!({"email": "tagged@example.com", "tags": ["salon-workflow"]}))
        .unwrap();
    let retagged = api
        .post(
            "/contacts/upsert",
            V1,
            json!({"locationId": loc, "email": "tagged@example.com", "tags": ["phorest:vip"]}),
        )
        .await;
    assert_eq!(retagged.body["new"], false);
    assert_eq!(retagged.body["contact"]["tags"], json!(["phorest:vip"]));
    assert_eq!(sandbox.contacts().len(), 3);
}

#[tokio::test]
async fn put_tags_replaces_while_tag_endpoints_add_and_remove() {
    let (sandbox, api) = sandbox().await;
    let c = api
        .create_contact(
            json!({"email": "t@example.com", "tags": ["VIP ", "salon-workflow", "vip"]}),
        )
        .await;
    let id = c.body["contact"]["id"].as_str().unwrap().to_owned();
    assert_eq!(c.body["contact"]["tags"], json!(["vip", "salon-workflow"]));

    let added = api
        .post(
            &format!("/contacts/{id}/tags"),
            V1,
            json!({"tags": ["phorest:gold", "VIP"]}),
        )
        .await;
    assert_eq!(added.status, 201);
    assert_eq!(
        added.body,
        json!({"tags": ["vip", "salon-workflow", "phorest:gold"]})
    );

    let removed = api
        .delete(
            &format!("/contacts/{id}/tags"),
            V1,
            Some(json!({"tags": ["phorest:gold", "absent"]})),
        )
        .await;
    assert_eq!(removed.status, 200);
    assert_eq!(removed.body, json!({"tags": ["vip", "salon-workflow"]}));

    // A PUT without tags keeps them; a PUT with tags wipes the foreign ones.
    api.put(&format!("/contacts/{id}"), V1, json!({"city": "Cork"}))
        .await;
    assert_eq!(
        sandbox.contact(&id).unwrap()["tags"],
        json!(["vip", "salon-workflow"])
    );
    let put = api
        .put(
            &format!("/contacts/{id}"),
            V1,
            json!({"tags": ["phorest:silver"]}),
        )
        .await;
    assert_eq!(put.status, 200);
    assert_eq!(put.body["succeded"], true);
    assert_eq!(put.body["contact"]["tags"], json!(["phorest:silver"]));

    let empty = api
        .post(&format!("/contacts/{id}/tags"), V1, json!({"tags": []}))
        .await;
    assert_eq!(empty.status, 422);
}

#[tokio::test]
async fn validation_errors_have_real_shapes() {
    let (sandbox, api) = sandbox().await;
    let bad_email = api.create_contact(json!({"email": "not-an-email"})).await;
    assert_eq!(bad_email.status, 422);
    assert_eq!(
        bad_email.body,
        json!({"statusCode": 422, "message": ["email must be an email"], "error": "Unprocessable Entity"})
    );

    let bad_phone = api
        .create_contact(json!({"firstName": "A", "phone": "087 123 4567"}))
        .await;
    assert_eq!(bad_phone.status, 422);
    assert_eq!(
        bad_phone.body["message"],
        json!(["phone must be a valid phone number in E.164 format"])
    );

    let typo = api
        .create_contact(json!({"firstName": "A", "additionalEmails": [], "fristName": "x"}))
        .await;
    assert_eq!(typo.status, 422);
    assert_eq!(
        typo.body["message"],
        json!([
            "property additionalEmails should not exist",
            "property fristName should not exist"
        ])
    );

    let nameless = api.create_contact(json!({"source": "phorest"})).await;
    assert_eq!(nameless.status, 400);
    assert_eq!(nameless.body["statusCode"], 400);

    let malformed = api
        .http
        .post(format!("{}/contacts/", api.base))
        .bearer_auth(&api.token)
        .header("Version", V1)
        .header("Content-Type", "application/json")
        .body("{\"firstName\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status().as_u16(), 400);
    let body: Value = malformed.json().await.unwrap();
    assert_eq!(body["statusCode"], 400);

    let untyped = api
        .http
        .post(format!("{}/contacts/", api.base))
        .bearer_auth(&api.token)
        .header("Version", V1)
        .body(json!({"locationId": api.location, "firstName": "A"}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(
        untyped.status().as_u16(),
        400,
        "a body without a JSON content type is not read"
    );

    let no_location = api.post("/contacts/", V1, json!({"firstName": "A"})).await;
    assert_eq!(no_location.status, 422);
    assert_eq!(
        no_location.body["message"],
        json!(["locationId should not be empty"])
    );

    let bad_dnd = api
        .create_contact(json!({"firstName": "A", "dndSettings": {"SMS": {"status": "on"}}}))
        .await;
    assert_eq!(bad_dnd.status, 422);

    let put_location = api.create_contact(json!({"firstName": "B"})).await;
    let id = put_location.body["contact"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = api
        .put(
            &format!("/contacts/{id}"),
            V1,
            json!({"locationId": api.location, "gender": "female", "companyName": "Salon"}),
        )
        .await;
    // UpdateContactDto declares none of the three.
    assert_eq!(r.status, 422);
    assert_eq!(
        r.body["message"],
        json!([
            "property companyName should not exist",
            "property gender should not exist",
            "property locationId should not exist"
        ])
    );
    let company = api
        .put(
            &format!("/contacts/{id}"),
            V1,
            json!({"companyName": "Salon"}),
        )
        .await;
    assert_eq!(company.status, 422);
    assert_eq!(
        company.body["message"],
        json!(["property companyName should not exist"])
    );
    assert!(sandbox.contact(&id).unwrap().get("companyName").is_none());
    // Create and upsert declare both.
    let created = api
        .create_contact(json!({"firstName": "C", "gender": "female", "companyName": "Salon"}))
        .await;
    assert_eq!(created.status, 201);
    assert_eq!(created.body["contact"]["companyName"], "Salon");
    assert_eq!(sandbox.contacts().len(), 2);
}

#[tokio::test]
async fn custom_field_values_need_an_id_and_are_stored_as_text() {
    let (sandbox, api) = sandbox_with(
        SandboxConfig::default()
            .with_custom_field("Loyalty Points", "NUMERICAL")
            .with_custom_field("Phorest Id", "TEXT"),
    )
    .await;
    let fields = sandbox.custom_fields();
    let points_id = fields[0]["id"].as_str().unwrap().to_owned();
    let phorest_id = fields[1]["id"].as_str().unwrap().to_owned();
    assert_eq!(fields[0]["fieldKey"], "contact.loyalty_points");

    let c = api
        .create_contact(json!({"firstName": "A", "customFields": [
            {"id": points_id, "field_value": 120},
            {"id": phorest_id, "key": "contact.phorest_id", "field_value": "abc"}]}))
        .await;
    assert_eq!(c.status, 201);
    let id = c.body["contact"]["id"].as_str().unwrap().to_owned();
    // GHL's answers type custom field values as strings.
    assert_eq!(
        c.body["contact"]["customFields"],
        json!([{"id": points_id, "value": "120"}, {"id": phorest_id, "value": "abc"}])
    );

    // Values merge by field id on update.
    let upd = api
        .put(
            &format!("/contacts/{id}"),
            V1,
            json!({"customFields": [{"id": points_id, "field_value": "300"}]}),
        )
        .await;
    assert_eq!(
        upd.body["contact"]["customFields"],
        json!([{"id": points_id, "value": "300"}, {"id": phorest_id, "value": "abc"}])
    );

    // Every branch of GHL's customFields schema requires `id`: a key alone is refused.
    let by_key = api
        .put(
            &format!("/contacts/{id}"),
            V1,
            json!({"customFields": [{"key": "contact.loyalty_points", "field_value": "1"}]}),
        )
        .await;
    assert_eq!(by_key.status, 422);
    assert_eq!(
        by_key.body["message"],
        json!(["customFields.0.id must be a string"])
    );
    let unknown = api
        .put(
            &format!("/contacts/{id}"),
            V1,
            json!({"customFields": [{"id": "loyalty_points_fake", "value": 1}]}),
        )
        .await;
    assert_eq!(unknown.status, 422);
    assert_eq!(
        unknown.body["message"],
        json!([
            "customFields.0: custom field 'loyalty_points_fake' does not exist in this location"
        ])
    );
    let not_number = api
        .put(
            &format!("/contacts/{id}"),
            V1,
            json!({"customFields": [{"id": points_id, "value": "lots"}]}),
        )
        .await;
    assert_eq!(not_number.status, 422);
}

/// GHL declares no 404 for contacts; an unknown id answers 400 "Contact with id … not found".
#[tokio::test]
async fn delete_contact_then_unknown_ids_are_400_not_found() {
    let (sandbox, api) = sandbox().await;
    let c = api.create_contact(json!({"firstName": "A"})).await;
    let id = c.body["contact"]["id"].as_str().unwrap().to_owned();
    let del = api.delete(&format!("/contacts/{id}"), V1, None).await;
    assert_eq!(
        (del.status, del.body.clone()),
        (200, json!({"succeded": true}))
    );
    let again = api.get(&format!("/contacts/{id}"), V1).await;
    assert_eq!(again.status, 400);
    assert_eq!(
        again.body,
        json!({"statusCode": 400, "message": format!("Contact with id {id} not found"),
               "error": "Bad Request"})
    );
    for status in [
        api.put(&format!("/contacts/{id}"), V1, json!({"city": "x"}))
            .await
            .status,
        api.post(&format!("/contacts/{id}/tags"), V1, json!({"tags": ["a"]}))
            .await
            .status,
        api.get(&format!("/contacts/{id}/notes"), V1).await.status,
    ] {
        assert_eq!(status, 400);
    }
    assert!(sandbox.contacts().is_empty());
}

#[tokio::test]
async fn notes_create_list_update_delete() {
    let (sandbox, api) = sandbox().await;
    let c = api.create_contact(json!({"firstName": "A"})).await;
    let id = c.body["contact"]["id"].as_str().unwrap().to_owned();
    let note = api
        .post(
            &format!("/contacts/{id}/notes"),
            V1,
            json!({"body": "Checked in: appt 42"}),
        )
        .await;
    assert_eq!(note.status, 201);
    let note_id = note.body["note"]["id"].as_str().unwrap().to_owned();
    assert_eq!(note.body["note"]["body"], "Checked in: appt 42");
    let listed = api.get(&format!("/contacts/{id}/notes"), V1).await;
    assert_eq!(listed.body["notes"].as_array().unwrap().len(), 1);
    let upd = api
        .put(
            &format!("/contacts/{id}/notes/{note_id}"),
            V1,
            json!({"body": "edited"}),
        )
        .await;
    assert_eq!(upd.body["note"]["body"], "edited");
    assert_eq!(sandbox.notes(&id)[0]["body"], "edited");
    let empty = api
        .post(&format!("/contacts/{id}/notes"), V1, json!({"body": ""}))
        .await;
    assert_eq!(empty.status, 422);
    let del = api
        .delete(&format!("/contacts/{id}/notes/{note_id}"), V1, None)
        .await;
    assert_eq!(del.status, 200);
    assert!(sandbox.notes(&id).is_empty());
    let missing = api
        .delete(&format!("/contacts/{id}/notes/{note_id}"), V1, None)
        .await;
    assert_eq!(missing.status, 404);
}

#[tokio::test]
async fn search_pages_with_search_after_filters_and_query() {
    let (_sandbox, api) = sandbox().await;
    for i in 0..25 {
        let tags = if i % 5 == 0 {
            json!(["phorest:vip"])
        } else {
            json!([])
        };
        let r = api
            .create_contact(json!({"firstName": format!("Client{i:02}"), "email": format!("c{i}@example.com"), "tags": tags}))
            .await;
        assert_eq!(r.status, 201);
    }
    let loc = api.location.clone();
    let mut seen = Vec::new();
    let mut cursor: Option<Value> = None;
    loop {
        let mut body = json!({"locationId": loc, "pageLimit": 10});
        if let Some(c) = &cursor {
            body["searchAfter"] = c.clone();
        }
        let page = api.post("/contacts/search", V1, body).await;
        assert_eq!(page.status, 200);
        assert_eq!(page.body["total"], 25);
        let contacts = page.body["contacts"].as_array().unwrap().clone();
        if contacts.is_empty() {
            break;
        }
        for c in &contacts {
            seen.push(c["id"].as_str().unwrap().to_owned());
        }
        cursor = Some(contacts.last().unwrap()["searchAfter"].clone());
    }
    assert_eq!(seen.len(), 25);
    let mut unique = seen.clone();
    unique.dedup();
    assert_eq!(unique.len(), 25);

    let vip = api
        .post(
            "/contacts/search",
            V1,
            json!({"locationId": loc, "pageLimit": 100,
            "filters": [{"field": "tags", "operator": "contains", "value": "phorest:vip"}]}),
        )
        .await;
    assert_eq!(vip.body["total"], 5);

    let query = api
        .post(
            "/contacts/search",
            V1,
            json!({"locationId": loc, "query": "client07"}),
        )
        .await;
    assert_eq!(query.body["total"], 1);
    assert_eq!(query.body["contacts"][0]["email"], "c7@example.com");

    let second_page = api
        .post(
            "/contacts/search",
            V1,
            json!({"locationId": loc, "pageLimit": 10, "page": 3}),
        )
        .await;
    assert_eq!(second_page.body["contacts"].as_array().unwrap().len(), 5);

    let too_deep = api
        .post(
            "/contacts/search",
            V1,
            json!({"locationId": loc, "pageLimit": 100, "page": 101}),
        )
        .await;
    assert_eq!(too_deep.status, 400);
    let too_big = api
        .post(
            "/contacts/search",
            V1,
            json!({"locationId": loc, "pageLimit": 501}),
        )
        .await;
    assert_eq!(too_big.status, 422);
    let bad_op = api
        .post("/contacts/search", V1, json!({"locationId": loc, "filters": [{"field": "tags", "operator": "like", "value": "x"}]}))
        .await;
    assert_eq!(bad_op.status, 422);
    let typo = api
        .post(
            "/contacts/search",
            V1,
            json!({"locationId": loc, "limit": 10}),
        )
        .await;
    assert_eq!(
        typo.body["message"],
        json!(["property limit should not exist"])
    );
}

#[tokio::test]
async fn duplicate_lookup_matches_email_then_number() {
    let (_sandbox, api) = sandbox().await;
    let c = api
        .create_contact(json!({"email": "dup@example.com", "phone": "+353871234567"}))
        .await;
    let id = c.body["contact"]["id"].clone();
    let loc = api.location.clone();
    let by_email = api
        .get(
            &format!("/contacts/search/duplicate?locationId={loc}&email=DUP%40example.com"),
            V1,
        )
        .await;
    assert_eq!(by_email.body["contact"]["id"], id);
    let by_number = api
        .get(
            &format!("/contacts/search/duplicate?locationId={loc}&number=%2B353871234567"),
            V1,
        )
        .await;
    assert_eq!(by_number.body["contact"]["id"], id);
    let none = api
        .get(
            &format!("/contacts/search/duplicate?locationId={loc}&email=nobody%40example.com"),
            V1,
        )
        .await;
    assert_eq!(
        (none.status, none.body.clone()),
        (200, json!({"contact": null}))
    );
}

// ---------------------------------------------------------------- auth, scopes, versions

#[tokio::test]
async fn scopes_versions_and_tokens_are_enforced() {
    let (sandbox, api) = sandbox().await;
    let read_only = Api::new(&sandbox, sandbox.issue_private_token(["contacts.readonly"]));
    let denied = read_only.create_contact(json!({"firstName": "A"})).await;
    assert_eq!(denied.status, 401);
    assert_eq!(
        denied.body,
        json!({"statusCode": 401, "message": "The token is not authorized for this scope."})
    );
    let products = read_only
        .post(
            "/products/",
            V1,
            json!({"locationId": api.location, "name": "x", "productType": "PHYSICAL"}),
        )
        .await;
    assert_eq!(products.status, 401);
    assert!(sandbox.products().is_empty());

    let no_version = api
        .send(Method::GET, "/users/?locationId=x", None, None)
        .await;
    assert_eq!(no_version.status, 400);
    let wrong_version = api
        .get(&format!("/calendars/?locationId={}", api.location), V1)
        .await;
    assert_eq!(wrong_version.status, 400);
    assert!(
        wrong_version.body["message"]
            .as_str()
            .unwrap()
            .contains("2021-04-15")
    );

    let unknown = Api::new(&sandbox, "pit-not-issued".to_owned());
    let r = unknown.get("/contacts/abc", V1).await;
    assert_eq!(
        (r.status, r.body["message"].clone()),
        (401, json!("Invalid JWT"))
    );

    let other_location = api.get("/users/?locationId=SomeOtherLocation123", V1).await;
    assert_eq!(other_location.status, 403);

    let no_route = api.get("/nope", V1).await;
    assert_eq!(no_route.status, 404);
}

#[tokio::test]
async fn tokens_are_scoped_to_their_location() {
    let second = SandboxLocation::new("SecondLocation000001")
        .timezone("Europe/Dublin")
        .country("IE");
    let sandbox = GhlSandbox::start(
        SandboxConfig::default()
            .location_id("FirstLocation0000001")
            .with_location(second),
    )
    .await;
    assert_eq!(sandbox.location_id(), "FirstLocation0000001");
    let a = Api::new(&sandbox, sandbox.issue_private_token(ALL_SCOPES));
    let mut b = Api::new(
        &sandbox,
        sandbox.issue_private_token_for("SecondLocation000001", ALL_SCOPES),
    );
    b.location = "SecondLocation000001".to_owned();
    let c = a
        .create_contact(json!({"email": "shared@example.com"}))
        .await;
    let id = c.body["contact"]["id"].as_str().unwrap().to_owned();
    // Same email in another location is not a duplicate; the first location's contact is hidden.
    assert_eq!(
        b.create_contact(json!({"email": "shared@example.com"}))
            .await
            .status,
        201
    );
    assert_eq!(b.get(&format!("/contacts/{id}"), V1).await.status, 403);
    let loc = b.get("/locations/SecondLocation000001", V1).await;
    assert_eq!(loc.body["location"]["timezone"], "Europe/Dublin");
    assert_eq!(loc.body["location"]["country"], "IE");
    assert_eq!(sandbox.location_ids().len(), 2);

    let foreign = a
        .post(
            "/contacts/",
            V1,
            json!({"locationId": "SecondLocation000001", "firstName": "X"}),
        )
        .await;
    assert_eq!(foreign.status, 403);

    // The burst budget is per location: exhausting the first leaves the second untouched.
    let path_a = "/users/?locationId=FirstLocation0000001";
    let mut sent = 0;
    while a.get(path_a, V1).await.status != 429 {
        sent += 1;
        assert!(sent <= 100);
    }
    let b_users = b.get("/users/?locationId=SecondLocation000001", V1).await;
    assert_eq!(b_users.status, 200);
    assert_eq!(header(&b_users, "x-ratelimit-remaining"), "96");
}

async fn form(http: &reqwest::Client, base: &str, fields: &[(&str, &str)]) -> Resp {
    let resp = http
        .post(format!("{base}/oauth/token"))
        .form(fields)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let body = resp.json::<Value>().await.unwrap();
    Resp {
        status,
        headers,
        body,
    }
}

#[tokio::test]
async fn oauth_code_exchange_refresh_rotation_and_expiry() {
    let sandbox = GhlSandbox::start(SandboxConfig::default().with_user(SeedUser::new(
        "Ann",
        "Lee",
        "ann@example.com",
    )))
    .await;
    let http = http();
    let base = sandbox.base_url();
    let code = sandbox.issue_authorization_code(["contacts.readonly", "products.write"]);
    let creds = [
        ("client_id", "sandbox-client-id"),
        ("client_secret", "sandbox-client-secret"),
    ];

    let exchanged = form(
        &http,
        &base,
        &[
            creds[0],
            creds[1],
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", "https://app.example/cb"),
            ("user_type", "Location"),
        ],
    )
    .await;
    assert_eq!(exchanged.status, 200);
    let t = &exchanged.body;
    assert_eq!(t["token_type"], "Bearer");
    assert_eq!(t["expires_in"], 86_399);
    assert_eq!(t["scope"], "contacts.readonly products.write");
    assert_eq!(t["userType"], "Location");
    assert_eq!(t["locationId"], json!(sandbox.location_id()));
    assert_eq!(
        t["userId"],
        json!(SeedUser::new("Ann", "Lee", "ann@example.com").id)
    );
    let access = t["access_token"].as_str().unwrap().to_owned();
    let refresh = t["refresh_token"].as_str().unwrap().to_owned();

    let reused = form(
        &http,
        &base,
        &[
            creds[0],
            creds[1],
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", "https://app.example/cb"),
        ],
    )
    .await;
    assert_eq!(
        (reused.status, reused.body["error"].clone()),
        (400, json!("invalid_grant"))
    );

    let api = Api::new(&sandbox, access);
    let loc = api.location.clone();
    assert_eq!(
        api.post("/contacts/search", V1, json!({"locationId": loc}))
            .await
            .status,
        200
    );
    sandbox.expire_tokens();
    let expired = api
        .post("/contacts/search", V1, json!({"locationId": loc}))
        .await;
    assert_eq!(
        (expired.status, expired.body["message"].clone()),
        (401, json!("Invalid JWT"))
    );

    let refreshed = form(
        &http,
        &base,
        &[
            creds[0],
            creds[1],
            ("grant_type", "refresh_token"),
            ("refresh_token", &refresh),
            ("user_type", "Location"),
        ],
    )
    .await;
    assert_eq!(refreshed.status, 200);
    let new_refresh = refreshed.body["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(new_refresh, refresh);
    let api = Api::new(
        &sandbox,
        refreshed.body["access_token"].as_str().unwrap().to_owned(),
    );
    assert_eq!(
        api.post("/contacts/search", V1, json!({"locationId": loc}))
            .await
            .status,
        200
    );

    // The rotated-out refresh token is dead: a second concurrent refresher loses.
    let stale = form(
        &http,
        &base,
        &[
            creds[0],
            creds[1],
            ("grant_type", "refresh_token"),
            ("refresh_token", &refresh),
        ],
    )
    .await;
    assert_eq!(
        (stale.status, stale.body["error"].clone()),
        (400, json!("invalid_grant"))
    );

    let bad_client = form(
        &http,
        &base,
        &[
            creds[0],
            ("client_secret", "wrong"),
            ("grant_type", "refresh_token"),
            ("refresh_token", &new_refresh),
        ],
    )
    .await;
    assert_eq!(
        (bad_client.status, bad_client.body["error"].clone()),
        (401, json!("invalid_client"))
    );
    assert!(!bad_client.body.to_string().contains("wrong"));

    let as_json = http
        .post(format!("{base}/oauth/token"))
        .json(&json!({"grant_type": "refresh_token", "refresh_token": new_refresh}))
        .send()
        .await
        .unwrap();
    assert_eq!(as_json.status().as_u16(), 400);
}

#[tokio::test]
async fn access_tokens_expire_after_their_lifetime() {
    let sandbox =
        GhlSandbox::start(SandboxConfig::default().access_token_lifetime(Duration::from_secs(1)))
            .await;
    let tokens = sandbox.issue_oauth_tokens(["users.readonly"]);
    assert_eq!(tokens.scope, "users.readonly");
    let api = Api::new(&sandbox, tokens.access_token.clone());
    let path = format!("/users/?locationId={}", api.location);
    assert_eq!(api.get(&path, V1).await.status, 200);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(api.get(&path, V1).await.status, 401);
    // A private token is unaffected by the OAuth lifetime.
    let pit = Api::new(&sandbox, sandbox.issue_private_token(["users.readonly"]));
    assert_eq!(pit.get(&path, V1).await.status, 200);
}

// ---------------------------------------------------------------- rate limits

#[tokio::test]
async fn rate_limit_headers_count_down_then_429_with_retry_after() {
    let (sandbox, api) = sandbox_with(
        SandboxConfig::default()
            .rate_limit(3, Duration::from_secs(60))
            .daily_limit(1000),
    )
    .await;
    let path = format!("/users/?locationId={}", api.location);
    for remaining in [2, 1, 0] {
        let r = api.get(&path, V1).await;
        assert_eq!(r.status, 200);
        assert_eq!(header(&r, "x-ratelimit-remaining"), remaining.to_string());
        assert_eq!(header(&r, "x-ratelimit-max"), "3");
        assert_eq!(header(&r, "x-ratelimit-interval-milliseconds"), "60000");
        assert_eq!(header(&r, "x-ratelimit-limit-daily"), "1000");
    }
    let limited = api.get(&path, V1).await;
    assert_eq!(limited.status, 429);
    assert_eq!(limited.body["statusCode"], 429);
    let retry: u64 = header(&limited, "retry-after").parse().unwrap();
    assert!((1..=60).contains(&retry));
    assert_eq!(header(&limited, "x-ratelimit-remaining"), "0");
    assert_eq!(header(&limited, "x-ratelimit-daily-remaining"), "997");
    assert_eq!(sandbox.rate_limited_count(), 1);
}

#[tokio::test]
async fn scaled_window_reopens_and_daily_budget_is_enforced() {
    let (sandbox, api) = sandbox_with(
        SandboxConfig::default()
            .rate_limit(2, Duration::from_millis(100))
            .daily_limit(3),
    )
    .await;
    let path = format!("/users/?locationId={}", api.location);
    assert_eq!(api.get(&path, V1).await.status, 200);
    let second = api.get(&path, V1).await;
    assert_eq!(header(&second, "x-ratelimit-interval-milliseconds"), "100");
    let third = api.get(&path, V1).await;
    // Either still in the first window (429) or a fresh one (200); never more than 2 per window.
    assert!(third.status == 429 || third.status == 200);
    tokio::time::sleep(Duration::from_millis(150)).await;
    let mut statuses = Vec::new();
    for _ in 0..2 {
        statuses.push(api.get(&path, V1).await.status);
    }
    let successes = [third.status]
        .iter()
        .chain(&statuses)
        .filter(|s| **s == 200)
        .count();
    assert_eq!(
        successes, 1,
        "daily budget of 3 allows exactly one more success: {statuses:?}"
    );
    assert!(sandbox.rate_limited_count() >= 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_concurrent_burst_gets_exactly_the_limit_through() {
    let (sandbox, api) =
        sandbox_with(SandboxConfig::default().rate_limit(10, Duration::from_secs(60))).await;
    let path = format!("/users/?locationId={}", api.location);
    let answers = futures::future::join_all((0..30).map(|_| api.get(&path, V1))).await;
    let ok = answers.iter().filter(|r| r.status == 200).count();
    let limited = answers.iter().filter(|r| r.status == 429).count();
    assert_eq!((ok, limited), (10, 20));
    assert_eq!(sandbox.rate_limited_count(), 20);
    assert_eq!(sandbox.count("GET", "/users"), 30);
}

// ---------------------------------------------------------------- faults

#[tokio::test]
async fn server_errors_are_injected_deterministically_and_not_applied() {
    let (sandbox, api) = sandbox().await;
    let faults = Faults {
        server_error_rate: 0.5,
        seed: 42,
        ..Faults::default()
    };
    let mut runs = Vec::new();
    for _ in 0..2 {
        sandbox.set_faults(faults.clone());
        let mut statuses = Vec::new();
        for i in 0..12 {
            statuses.push(
                api.create_contact(json!({"firstName": format!("F{i}")}))
                    .await
                    .status,
            );
        }
        runs.push(statuses);
    }
    assert_eq!(runs[0], runs[1], "same seed, same faults");
    let failures = runs[0].iter().filter(|s| **s >= 500).count();
    assert!(failures > 0 && failures < 12, "{:?}", runs[0]);
    let created = runs.iter().flatten().filter(|s| **s == 201).count();
    assert_eq!(sandbox.contacts().len(), created);

    sandbox.set_faults(Faults {
        server_error_rate: 1.0,
        seed: 3,
        ..Faults::default()
    });
    let mut kinds = std::collections::BTreeSet::new();
    for _ in 0..20 {
        let r = api.get("/contacts/abc", V1).await;
        kinds.insert(r.status);
        if r.status == 502 {
            assert!(r.body.as_str().unwrap().contains("cloudflare"));
        }
    }
    assert!(
        kinds.iter().all(|s| [500, 502, 503].contains(s)) && kinds.len() > 1,
        "{kinds:?}"
    );
}

#[tokio::test]
async fn storms_token_expiry_and_applied_then_failed_writes() {
    let (sandbox, api) = sandbox().await;
    sandbox.set_faults(Faults {
        rate_limit_storm: 3,
        ..Faults::default()
    });
    let path = format!("/users/?locationId={}", api.location);
    for _ in 0..3 {
        let r = api.get(&path, V1).await;
        assert_eq!(r.status, 429);
        assert!(!header(&r, "retry-after").is_empty());
    }
    assert_eq!(api.get(&path, V1).await.status, 200);
    assert_eq!(sandbox.rate_limited_count(), 3);

    sandbox.set_faults(Faults {
        fail_after_apply: 1,
        ..Faults::default()
    });
    let ambiguous = api
        .create_contact(json!({"email": "maybe@example.com"}))
        .await;
    assert_eq!(ambiguous.status, 500);
    assert_eq!(sandbox.contacts().len(), 1, "the write was applied");
    let retry = api
        .create_contact(json!({"email": "maybe@example.com"}))
        .await;
    assert_eq!(retry.status, 400, "a blind retry meets the duplicate rule");

    sandbox.set_faults(Faults {
        expire_tokens_after: Some(2),
        ..Faults::default()
    });
    assert_eq!(api.get(&path, V1).await.status, 200);
    assert_eq!(api.get(&path, V1).await.status, 200);
    assert_eq!(api.get(&path, V1).await.status, 401);
}

#[tokio::test]
async fn slow_responses_outlast_a_client_timeout_but_are_applied() {
    let (sandbox, api) = sandbox().await;
    sandbox.set_faults(Faults {
        slow_rate: 1.0,
        slow_delay: Duration::from_millis(500),
        ..Faults::default()
    });
    let err = api
        .http
        .post(format!("{}/contacts/", api.base))
        .bearer_auth(&api.token)
        .header("Version", V1)
        .timeout(Duration::from_millis(100))
        .json(&json!({"locationId": api.location, "firstName": "Slow"}))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_timeout());
    assert_eq!(sandbox.contacts().len(), 1);
    sandbox.set_faults(Faults::default());
    assert_eq!(
        api.create_contact(json!({"firstName": "Fast"}))
            .await
            .status,
        201
    );
}

// ---------------------------------------------------------------- recording

#[tokio::test]
async fn requests_are_recorded_and_counted_without_secrets() {
    let (sandbox, api) = sandbox().await;
    let c = api.create_contact(json!({"firstName": "A"})).await;
    let id = c.body["contact"]["id"].as_str().unwrap().to_owned();
    api.post("/contacts/search", V1, json!({"locationId": api.location}))
        .await;
    api.get(&format!("/contacts/{id}"), V1).await;
    api.put(&format!("/contacts/{id}"), V1, json!({"city": "Cork"}))
        .await;

    let log = sandbox.requests();
    assert_eq!(log.len(), 4);
    assert_eq!(
        (
            log[0].method.as_str(),
            log[0].path.as_str(),
            log[0].status,
            log[0].write
        ),
        ("POST", "/contacts/", 201, true)
    );
    assert!(!log[1].write, "search is a read");
    assert_eq!(log[3].body, Some(json!({"city": "Cork"})));
    assert_eq!(log[3].location_id.as_deref(), Some(sandbox.location_id()));
    assert_eq!(sandbox.write_count(), 2);
    assert_eq!(sandbox.count("POST", "/contacts"), 2);
    assert_eq!(sandbox.count("GET", "/contacts/"), 1);
    assert!(!format!("{log:?}").contains(&api.token));

    sandbox.reset_counters();
    assert!(sandbox.requests().is_empty());
    assert_eq!(sandbox.write_count(), 0);
    assert_eq!(
        sandbox.contacts().len(),
        1,
        "state survives a counter reset"
    );
}

#[tokio::test]
async fn debug_output_redacts_secrets() {
    let config = SandboxConfig::default();
    let secret = config.oauth_client_secret.clone();
    assert!(!format!("{config:?}").contains(&secret));
    let sandbox = GhlSandbox::start(config).await;
    let tokens = sandbox.issue_oauth_tokens(["contacts.readonly"]);
    let shown = format!("{tokens:?} {sandbox:?}");
    assert!(!shown.contains(&tokens.access_token));
    assert!(!shown.contains(&tokens.refresh_token));
    assert!(shown.contains("redacted"));
}

#[tokio::test]
async fn seed_contact_uses_the_same_rules() {
    let (sandbox, _api) = sandbox().await;
    let c = sandbox
        .seed_contact(json!({"email": "s@example.com", "tags": ["Foreign"]}))
        .unwrap();
    assert_eq!(c["tags"], json!(["foreign"]));
    let dup = sandbox
        .seed_contact(json!({"email": "s@example.com"}))
        .unwrap_err();
    assert_eq!(dup["meta"]["matchingField"], "email");
    assert_eq!(
        sandbox.seed_contact(json!({"email": "x"})).unwrap_err()["statusCode"],
        422
    );
    assert!(sandbox.requests().is_empty());
}

// ---------------------------------------------------------------- calendars

#[tokio::test]
async fn appointments_enforce_team_members_slots_and_ranges() {
    let ann = SeedUser::new("Ann", "Lee", "ann@salon.example");
    let bob = SeedUser::new("Bob", "Ray", "bob@salon.example");
    let calendar = SeedCalendar::new("Salon").team_member(&ann.id);
    let cal_id = calendar.id.clone();
    let (sandbox, api) = sandbox_with(
        SandboxConfig::default()
            .with_user(ann.clone())
            .with_user(bob.clone())
            .with_calendar(calendar),
    )
    .await;
    let loc = api.location.clone();
    let cals = api.get(&format!("/calendars/?locationId={loc}"), V2).await;
    assert_eq!(
        cals.body["calendars"][0]["teamMembers"][0]["userId"],
        json!(ann.id)
    );
    let one = api.get(&format!("/calendars/{cal_id}"), V2).await;
    assert_eq!(one.body["calendar"]["name"], "Salon");

    let contact = api.create_contact(json!({"firstName": "C"})).await;
    let contact_id = contact.body["contact"]["id"].as_str().unwrap().to_owned();
    let body = |user: &str, start: &str, end: &str| {
        json!({"calendarId": cal_id, "locationId": loc, "contactId": contact_id, "startTime": start,
               "endTime": end, "title": "Cut", "appointmentStatus": "confirmed", "assignedUserId": user,
               "toNotify": false})
    };
    let created = api
        .post(
            "/calendars/events/appointments",
            V2,
            body(
                &ann.id,
                "2025-03-30T10:00:00+01:00",
                "2025-03-30T10:45:00+01:00",
            ),
        )
        .await;
    // The spec declares 200 for an appointment create.
    assert_eq!(created.status, 200);
    let appt_id = created.body["id"].as_str().unwrap().to_owned();
    assert_eq!(created.body["assignedUserId"], json!(ann.id));
    // CalendarEventDTO requires `groupId` and `users`.
    assert_eq!(created.body["groupId"], "");
    assert_eq!(created.body["users"], json!([ann.id]));

    let outsider = api
        .post(
            "/calendars/events/appointments",
            V2,
            body(
                &bob.id,
                "2025-03-30T12:00:00+01:00",
                "2025-03-30T12:30:00+01:00",
            ),
        )
        .await;
    assert_eq!(outsider.status, 422);

    let overlap = api
        .post(
            "/calendars/events/appointments",
            V2,
            body(
                &ann.id,
                "2025-03-30T10:30:00+01:00",
                "2025-03-30T11:00:00+01:00",
            ),
        )
        .await;
    assert_eq!(overlap.status, 400);
    let mut forced = body(
        &ann.id,
        "2025-03-30T10:30:00+01:00",
        "2025-03-30T11:00:00+01:00",
    );
    forced["ignoreFreeSlotValidation"] = json!(true);
    assert_eq!(
        api.post("/calendars/events/appointments", V2, forced)
            .await
            .status,
        200
    );

    let bad_time = api
        .post(
            "/calendars/events/appointments",
            V2,
            body(&ann.id, "2025-03-30 10:00", "2025-03-30T11:00:00+01:00"),
        )
        .await;
    assert_eq!(bad_time.status, 422);
    let mut unknown_contact = body(&ann.id, "2025-04-01T10:00:00Z", "2025-04-01T10:30:00Z");
    unknown_contact["contactId"] = json!("NoSuchContact0000000");
    assert_eq!(
        api.post("/calendars/events/appointments", V2, unknown_contact)
            .await
            .status,
        400
    );

    let updated = api
        .put(
            &format!("/calendars/events/appointments/{appt_id}"),
            V2,
            json!({"appointmentStatus": "cancelled"}),
        )
        .await;
    assert_eq!(updated.status, 200);
    assert_eq!(updated.body["appointmentStatus"], "cancelled");
    assert_eq!(updated.body["startTime"], "2025-03-30T10:00:00+01:00");
    let got = api
        .get(&format!("/calendars/events/appointments/{appt_id}"), V2)
        .await;
    assert_eq!(got.body["event"]["appointmentStatus"], "cancelled");

    // 2025-03-30T09:00Z .. 10:00Z covers both appointments (09:00Z–09:45Z and 09:30Z–10:00Z).
    let range = api
        .get(&format!("/calendars/events?locationId={loc}&calendarId={cal_id}&startTime=1743325200000&endTime=1743328800000"), V2)
        .await;
    assert_eq!(range.body["events"].as_array().unwrap().len(), 2);
    let later = api
        .get(&format!("/calendars/events?locationId={loc}&calendarId={cal_id}&startTime=1743400000000&endTime=1743500000000"), V2)
        .await;
    assert_eq!(later.body["events"], json!([]));
    let no_bounds = api
        .get(
            &format!("/calendars/events?locationId={loc}&calendarId={cal_id}"),
            V2,
        )
        .await;
    assert_eq!(no_bounds.status, 422);

    let of_contact = api
        .get(&format!("/contacts/{contact_id}/appointments"), V1)
        .await;
    assert_eq!(of_contact.body["events"].as_array().unwrap().len(), 2);
    assert_eq!(of_contact.body["events"][0]["id"], json!(appt_id));

    // The delete requires its (empty object) body and answers 201.
    let bodiless = api
        .delete(&format!("/calendars/events/{appt_id}"), V2, None)
        .await;
    assert_eq!(bodiless.status, 400);
    let deleted = api
        .delete(&format!("/calendars/events/{appt_id}"), V2, Some(json!({})))
        .await;
    assert_eq!(
        (deleted.status, deleted.body.clone()),
        (201, json!({"succeeded": true}))
    );
    assert_eq!(
        api.get(&format!("/calendars/events/appointments/{appt_id}"), V2)
            .await
            .status,
        404
    );
    assert_eq!(sandbox.appointments().len(), 1);
}

// ---------------------------------------------------------------- users, locations, fields, products

#[tokio::test]
async fn users_location_and_custom_fields() {
    let (sandbox, api) = sandbox_with(
        SandboxConfig::default()
            .with_user(SeedUser::new("Ann", "Lee", "ann@salon.example").phone("+14165550100")),
    )
    .await;
    let loc = api.location.clone();
    let users = api.get(&format!("/users/?locationId={loc}"), V1).await;
    assert_eq!(users.body["users"][0]["email"], "ann@salon.example");
    assert_eq!(users.body["users"][0]["roles"]["locationIds"], json!([loc]));
    let location = api.get(&format!("/locations/{loc}"), V1).await;
    assert_eq!(location.body["location"]["timezone"], "America/Toronto");
    assert_eq!(location.body["location"]["country"], "CA");

    let created = api
        .post(
            &format!("/locations/{loc}/customFields"),
            V1,
            json!({"name": "Loyalty Points", "dataType": "NUMERICAL", "model": "contact", "placeholder": "Points"}),
        )
        .await;
    assert_eq!(created.status, 201);
    assert_eq!(
        created.body["customField"]["fieldKey"],
        "contact.loyalty_points"
    );
    assert_eq!(created.body["customField"]["placeholder"], "Points");
    let again = api
        .post(
            &format!("/locations/{loc}/customFields"),
            V1,
            json!({"name": "Loyalty Points", "dataType": "NUMERICAL"}),
        )
        .await;
    assert_eq!(again.status, 400);
    let bad_type = api
        .post(
            &format!("/locations/{loc}/customFields"),
            V1,
            json!({"name": "X", "dataType": "INTEGER"}),
        )
        .await;
    assert_eq!(bad_type.status, 422);
    let listed = api
        .get(&format!("/locations/{loc}/customFields?model=contact"), V1)
        .await;
    assert_eq!(listed.body["customFields"].as_array().unwrap().len(), 1);
    assert_eq!(sandbox.custom_fields().len(), 1);
    assert_eq!(sandbox.users().len(), 1);
}

#[tokio::test]
async fn products_and_prices() {
    let (sandbox, api) = sandbox().await;
    let loc = api.location.clone();
    let created = api
        .post("/products/", V1, json!({"locationId": loc, "name": "Shampoo 250ml", "productType": "PHYSICAL", "description": "x"}))
        .await;
    assert_eq!(created.status, 201);
    let pid = created.body["_id"].as_str().unwrap().to_owned();
    assert!(created.body.get("id").is_none());
    let bad = api
        .post(
            "/products/",
            V1,
            json!({"locationId": loc, "name": "X", "productType": "GOODS"}),
        )
        .await;
    assert_eq!(bad.status, 422);

    let listed = api
        .get(
            &format!("/products/?locationId={loc}&limit=10&offset=0&search=shampoo"),
            V1,
        )
        .await;
    assert_eq!(listed.body["total"], json!([{"total": 1}]));
    assert_eq!(listed.body["products"][0]["_id"], json!(pid));
    let got = api
        .get(&format!("/products/{pid}?locationId={loc}"), V1)
        .await;
    assert_eq!(got.body["name"], "Shampoo 250ml");
    let upd = api
        .put(
            &format!("/products/{pid}"),
            V1,
            json!({"locationId": loc, "name": "Shampoo 300ml", "productType": "PHYSICAL"}),
        )
        .await;
    assert_eq!(upd.body["name"], "Shampoo 300ml");
    // The update declares no query parameter: `?locationId=` is refused like GHL is reported
    // to refuse undeclared ones, and nothing changes.
    let with_query = api
        .put(
            &format!("/products/{pid}?locationId={loc}"),
            V1,
            json!({"locationId": loc, "name": "Renamed", "productType": "PHYSICAL/DIGITAL"}),
        )
        .await;
    assert_eq!(with_query.status, 422);
    assert_eq!(
        with_query.body["message"],
        json!(["property locationId should not exist"])
    );
    assert_eq!(sandbox.products()[0]["name"], "Shampoo 300ml");

    let price = api
        .post(&format!("/products/{pid}/price"), V1, json!({"locationId": loc, "name": "Retail", "type": "one_time", "currency": "CAD", "amount": 24.5, "sku": "SH-300"}))
        .await;
    assert_eq!(price.status, 201);
    assert_eq!(price.body["product"], json!(pid));
    // The spec's price answers declare no `sku`: stored, not echoed.
    assert!(price.body.get("sku").is_none(), "{}", price.body);
    assert_eq!(sandbox.prices(&pid)[0]["sku"], "SH-300");
    let bad_price = api
        .post(&format!("/products/{pid}/price"), V1, json!({"locationId": loc, "name": "R", "type": "once", "currency": "CAD", "amount": -1}))
        .await;
    assert_eq!(bad_price.status, 422);
    assert_eq!(bad_price.body["message"].as_array().unwrap().len(), 2);
    let prices = api
        .get(&format!("/products/{pid}/price?locationId={loc}"), V1)
        .await;
    assert_eq!(prices.body["total"], 1);
    assert!(prices.body["prices"][0].get("sku").is_none());
    assert_eq!(sandbox.prices(&pid).len(), 1);

    let del = api
        .delete(&format!("/products/{pid}?locationId={loc}"), V1, None)
        .await;
    assert_eq!(del.body, json!({"status": true}));
    assert!(sandbox.products().is_empty());
    assert!(sandbox.prices(&pid).is_empty());
    assert_eq!(
        api.get(&format!("/products/{pid}?locationId={loc}"), V1)
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn price_update_replaces_the_price_under_the_price_write_scope() {
    let (sandbox, api) = sandbox().await;
    let loc = api.location.clone();
    let product = |name: &str| json!({"locationId": loc, "name": name, "productType": "PHYSICAL"});
    let pid = api.post("/products/", V1, product("Shampoo")).await.body["_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let other = api.post("/products/", V1, product("Mask")).await.body["_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let price = api
        .post(&format!("/products/{pid}/price"), V1, json!({"locationId": loc, "name": "Shampoo", "type": "one_time", "currency": "EUR", "amount": 24.5, "sku": "SH-1"}))
        .await;
    let price_id = price.body["_id"].as_str().unwrap().to_owned();
    let created_at = price.body["createdAt"].clone();
    let path = format!("/products/{pid}/price/{price_id}");
    let body = json!({"locationId": loc, "name": "Shampoo", "type": "one_time", "currency": "EUR", "amount": 26, "sku": "SH-1"});

    // The scope is the one of a price create: products/prices.write (products.write is not enough).
    let products_only = Api::new(
        &sandbox,
        sandbox.issue_private_token([
            "products.readonly",
            "products.write",
            "products/prices.readonly",
        ]),
    );
    let denied = products_only.put(&path, V1, body.clone()).await;
    assert_eq!(denied.status, 401);
    assert_eq!(
        denied.body,
        json!({"statusCode": 401, "message": "The token is not authorized for this scope."})
    );
    assert_eq!(sandbox.prices(&pid)[0]["amount"], json!(24.5));
    assert_eq!(api.put(&path, V2, body.clone()).await.status, 400);

    let updated = api.put(&path, V1, body.clone()).await;
    assert_eq!(updated.status, 200);
    assert_eq!(updated.body["_id"], json!(price_id));
    assert_eq!(updated.body["product"], json!(pid));
    assert_eq!(updated.body["amount"], json!(26));
    assert_eq!(updated.body["createdAt"], created_at);
    assert!(updated.body.get("sku").is_none());
    let stored = sandbox.prices(&pid);
    assert_eq!(stored.len(), 1, "an update never adds a price");
    assert_eq!(stored[0]["amount"], json!(26));
    assert_eq!(stored[0]["sku"], json!("SH-1"));
    let log = sandbox.requests();
    let put = log.last().unwrap();
    assert_eq!(
        (put.method.as_str(), put.status, put.write),
        ("PUT", 200, true)
    );

    // Full-body validation like a create; nothing changes on a 422.
    let bad = api
        .put(&path, V1, json!({"locationId": loc, "name": "", "type": "one_time", "currency": "EURO", "amount": -1}))
        .await;
    assert_eq!(bad.status, 422);
    assert_eq!(bad.body["message"].as_array().unwrap().len(), 3);
    assert_eq!(sandbox.prices(&pid)[0]["amount"], json!(26));
    let no_location = api
        .put(
            &path,
            V1,
            json!({"name": "S", "type": "one_time", "currency": "EUR", "amount": 1}),
        )
        .await;
    assert_eq!(no_location.status, 422);

    // A price is addressed through its own product, in the caller's location.
    let wrong_product = api
        .put(
            &format!("/products/{other}/price/{price_id}"),
            V1,
            body.clone(),
        )
        .await;
    assert_eq!(wrong_product.status, 404);
    assert_eq!(wrong_product.body["message"], "Price not found");
    let unknown = api
        .put(&format!("/products/{pid}/price/nope"), V1, body.clone())
        .await;
    assert_eq!(unknown.status, 404);
    assert_eq!(sandbox.prices(&other).len(), 0);
}

#[tokio::test]
async fn ids_are_deterministic_per_seed() {
    let mut ids = Vec::new();
    for seed in [5, 5, 6] {
        let sandbox = GhlSandbox::start(SandboxConfig::default().seed(seed)).await;
        let contact = sandbox.seed_contact(json!({"firstName": "A"})).unwrap();
        ids.push(contact["id"].as_str().unwrap().to_owned());
    }
    assert_eq!(ids[0], ids[1]);
    assert_ne!(ids[0], ids[2]);
    assert!(
        ids.iter()
            .all(|id| id.len() == 20 && id.chars().all(|c| c.is_ascii_alphanumeric()))
    );
}

#[tokio::test]
async fn bodies_are_not_recorded_when_turned_off() {
    let (sandbox, api) = sandbox_with(SandboxConfig::default().record_bodies(false)).await;
    assert_eq!(
        api.create_contact(json!({"firstName": "A"})).await.status,
        201
    );
    let log = sandbox.requests();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].body, None);
    assert!(log[0].write);
}

// ---------------------------------------------------------------- location settings, users search, bulk tags

/// The duplicate rule follows each location's settings: the matching order (phone first here)
/// decides which contact a create reports and an upsert updates.
#[tokio::test]
async fn the_duplicate_rule_follows_the_location_match_order() {
    let (sandbox, api) = sandbox_with(
        SandboxConfig::default().duplicate_match_order(DuplicateMatchOrder::PhoneThenEmail),
    )
    .await;
    let loc = api.location.clone();
    let by_email = api
        .create_contact(
            json!({"firstName": "A", "email": "a@example.com", "phone": "+14165550101"}),
        )
        .await;
    let a = by_email.body["contact"]["id"].clone();
    let by_phone = api
        .create_contact(
            json!({"firstName": "B", "email": "b@example.com", "phone": "+14165550102"}),
        )
        .await;
    let b = by_phone.body["contact"]["id"].clone();

    // Email matches A, phone matches B: phone comes first, so B is the duplicate reported...
    let dup = api
        .create_contact(json!({"email": "a@example.com", "phone": "+14165550102"}))
        .await;
    assert_eq!(dup.status, 400);
    assert_eq!(dup.body["meta"]["contactId"], b);
    assert_eq!(dup.body["meta"]["matchingField"], "phone");
    // ...and the contact an upsert updates, without taking A's email.
    let split = api
        .post(
            "/contacts/upsert",
            V1,
            json!({"locationId": loc, "email": "a@example.com", "phone": "+14165550102", "city": "Cork"}),
        )
        .await;
    assert_eq!(split.body["new"], false);
    assert_eq!(split.body["contact"]["id"], b);
    assert_eq!(split.body["contact"]["email"], "b@example.com");
    assert_eq!(split.body["contact"]["city"], "Cork");
    let lookup = api
        .get(
            &format!("/contacts/search/duplicate?locationId={loc}&email=a%40example.com&number=%2B14165550102"),
            V1,
        )
        .await;
    assert_eq!(lookup.body["contact"]["id"], b);
    assert_eq!(
        sandbox.contact(a.as_str().unwrap()).unwrap()["email"],
        "a@example.com"
    );
}

/// "Allow Duplicate Contact" is a location setting: one location creates a second contact for an
/// existing email, the other answers the duplicate 400; `GET /locations/{id}` reports each.
#[tokio::test]
async fn allowing_duplicates_is_a_setting_of_each_location() {
    let other = SandboxLocation::new("DupesAllowed00000001").allow_duplicate_contacts(true);
    let sandbox = GhlSandbox::start(SandboxConfig::default().with_location(other.clone())).await;
    let strict = Api::new(&sandbox, sandbox.issue_private_token(ALL_SCOPES));
    let lax = Api {
        location: other.id.clone(),
        ..Api::new(
            &sandbox,
            sandbox.issue_private_token_for(&other.id, ALL_SCOPES),
        )
    };
    for api in [&strict, &lax] {
        assert_eq!(
            api.create_contact(json!({"email": "same@example.com"}))
                .await
                .status,
            201
        );
    }
    let refused = strict
        .create_contact(json!({"email": "same@example.com"}))
        .await;
    assert_eq!(refused.status, 400);
    assert_eq!(refused.body["meta"]["matchingField"], "email");
    let second = lax
        .create_contact(json!({"email": "same@example.com"}))
        .await;
    assert_eq!(second.status, 201);
    assert_eq!(sandbox.contacts().len(), 3);
    // With duplicates allowed, `createNewIfDuplicateAllowed` makes an upsert create.
    let forced = lax
        .post(
            "/contacts/upsert",
            V1,
            json!({"locationId": other.id, "email": "same@example.com", "createNewIfDuplicateAllowed": true}),
        )
        .await;
    assert_eq!(forced.body["new"], true);
    let normal = lax
        .post(
            "/contacts/upsert",
            V1,
            json!({"locationId": other.id, "email": "same@example.com"}),
        )
        .await;
    assert_eq!(normal.body["new"], false);
    assert_eq!(sandbox.contacts().len(), 4);
    for (api, allowed) in [(&strict, false), (&lax, true)] {
        let location = api.get(&format!("/locations/{}", api.location), V1).await;
        assert_eq!(
            location.body["location"]["settings"]["allowDuplicateContact"],
            json!(allowed)
        );
    }
}

#[tokio::test]
async fn users_search_needs_the_company_and_pages_with_skip_and_limit() {
    let mut config = SandboxConfig::default();
    for i in 0..5 {
        config = config.with_user(SeedUser::new(
            "User",
            format!("N{i}"),
            format!("u{i}@salon.example"),
        ));
    }
    let (sandbox, api) = sandbox_with(config).await;
    let loc = api.location.clone();
    let company = api.get(&format!("/locations/{loc}"), V1).await.body["location"]["companyId"]
        .as_str()
        .unwrap()
        .to_owned();
    let missing = api
        .get(&format!("/users/search?locationId={loc}"), V1)
        .await;
    assert_eq!(missing.status, 422);
    assert_eq!(
        missing.body["message"],
        json!(["companyId should not be empty"])
    );
    let other_company = api
        .get("/users/search?companyId=SomeOtherCompany0001", V1)
        .await;
    assert_eq!(other_company.status, 403);
    let page = |skip: usize| {
        format!("/users/search?companyId={company}&locationId={loc}&skip={skip}&limit=2")
    };
    let first = api.get(&page(0), V1).await;
    assert_eq!(first.status, 200);
    assert_eq!(first.body["count"], 5);
    assert_eq!(first.body["users"].as_array().unwrap().len(), 2);
    let last = api.get(&page(4), V1).await;
    assert_eq!(last.body["users"].as_array().unwrap().len(), 1);
    let by_query = api
        .get(
            &format!("/users/search?companyId={company}&query=U3%40SALON"),
            V1,
        )
        .await;
    assert_eq!(by_query.body["count"], 1);
    assert_eq!(by_query.body["users"][0]["email"], "u3@salon.example");
    // Undeclared query parameters are refused here too.
    let extra = api
        .get(&format!("/users/search?companyId={company}&page=2"), V1)
        .await;
    assert_eq!(extra.status, 422);
    assert_eq!(sandbox.users().len(), 5);
}

#[tokio::test]
async fn bulk_tag_updates_report_each_contact() {
    let (sandbox, api) = sandbox().await;
    let loc = api.location.clone();
    let a = api
        .create_contact(json!({"email": "a@example.com", "tags": ["salon"]}))
        .await
        .body["contact"]["id"]
        .clone();
    let b = api
        .create_contact(json!({"email": "b@example.com"}))
        .await
        .body["contact"]["id"]
        .clone();
    let added = api
        .post(
            "/contacts/bulk/tags/update/add",
            V1,
            json!({"contacts": [a, b, "NoSuchContact0000000"], "tags": ["VIP"], "locationId": loc}),
        )
        .await;
    assert_eq!(added.status, 201);
    assert_eq!(added.body["succeded"], true);
    assert_eq!(added.body["errorCount"], 1);
    assert_eq!(added.body["responses"][0]["tagsAdded"], json!(["vip"]));
    assert_eq!(added.body["responses"][0]["oldTags"], json!(["salon"]));
    assert_eq!(added.body["responses"][2]["type"], "error");
    assert_eq!(
        sandbox.contact(a.as_str().unwrap()).unwrap()["tags"],
        json!(["salon", "vip"])
    );
    let all_gone = api
        .post(
            "/contacts/bulk/tags/update/remove",
            V1,
            json!({"contacts": [a], "tags": [], "locationId": loc, "removeAllTags": true}),
        )
        .await;
    assert_eq!(all_gone.status, 201);
    assert_eq!(
        sandbox.contact(a.as_str().unwrap()).unwrap()["tags"],
        json!([])
    );
    let bad = api
        .post(
            "/contacts/bulk/tags/update/add",
            V1,
            json!({"contacts": [b], "tags": ["x"], "locationId": loc, "removeAllTags": true}),
        )
        .await;
    assert_eq!(bad.status, 422);
    let wrong_type = api
        .post(
            "/contacts/bulk/tags/update/replace",
            V1,
            json!({"contacts": [b], "tags": ["x"], "locationId": loc}),
        )
        .await;
    assert_eq!(wrong_type.status, 422);
    assert_eq!(
        sandbox.contact(b.as_str().unwrap()).unwrap()["tags"],
        json!(["vip"])
    );
}

#[tokio::test]
async fn note_authors_are_strings_or_absent_and_team_members_use_spec_values() {
    let ann = SeedUser::new("Ann", "Lee", "ann@salon.example");
    let (_sandbox, api) = sandbox_with(
        SandboxConfig::default()
            .with_calendar(SeedCalendar::new("Salon").team_member(&ann.id))
            .with_user(ann.clone()),
    )
    .await;
    let id = api.create_contact(json!({"firstName": "A"})).await.body["contact"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let anonymous = api
        .post(&format!("/contacts/{id}/notes"), V1, json!({"body": "x"}))
        .await;
    assert!(
        anonymous.body["note"].get("userId").is_none(),
        "{}",
        anonymous.body
    );
    let signed = api
        .post(
            &format!("/contacts/{id}/notes"),
            V1,
            json!({"body": "y", "userId": ann.id}),
        )
        .await;
    assert_eq!(signed.body["note"]["userId"], json!(ann.id));
    let calendars = api
        .get(&format!("/calendars/?locationId={}", api.location), V2)
        .await;
    assert_eq!(
        calendars.body["calendars"][0]["teamMembers"][0]["meetingLocationType"],
        "custom"
    );
}
