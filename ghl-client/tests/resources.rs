//! Contract tests for calendars, users, products, prices, custom fields, locations and OAuth.

mod common;

use chrono::{DateTime, TimeZone, Utc};
use common::*;
use futures::TryStreamExt;
use ghl_client::calendars::{
    AppointmentStatus, CreateAppointment, EventOwner, ListEvents, UpdateAppointment,
};
use ghl_client::custom_fields::{CreateCustomField, CustomFieldDataType};
use ghl_client::products::{
    CreatePrice, CreateProduct, ListProducts, PriceType, ProductType, UpdatePrice,
};
use ghl_client::users::SearchUsers;
use ghl_client::{
    AppointmentId, CalendarId, Error, PriceId, ProductId, Scope, SecretString, UserId, UserType,
};
use serde_json::json;
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const CAL: &str = "2021-04-15";
const V2: &str = "2021-07-28";

fn appointment_json(id: &str, status: &str) -> serde_json::Value {
    json!({
        "id": id,
        "calendarId": "cal-1",
        "locationId": LOCATION,
        "contactId": "c-1",
        "title": "Cut & blow-dry",
        "startTime": "2025-03-30T10:00:00+01:00",
        "endTime": "2025-03-30T11:00:00+01:00",
        "appointmentStatus": status,
        "assignedUserId": "u-1",
        "isRecurring": false
    })
}

#[tokio::test]
async fn calendars_list() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/calendars/"))
        .and(ExactQuery(vec![("locationId", LOCATION.into())]))
        .and(header("Version", CAL))
        .and(header("Authorization", BEARER))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"calendars": [{
                "id": "cal-1", "name": "Salon", "locationId": LOCATION,
                "teamMembers": [{"userId": "u-1", "priority": 0.5}, {"userId": "u-2"}],
                "isActive": true, "slotDuration": 30
            }]})),
        )
        .expect(1)
        .mount(&server)
        .await;
    mount_catch_all(&server).await;
    let calendars = pit_client(&server).calendars().list().await.unwrap();
    assert_eq!(calendars.len(), 1);
    assert_eq!(calendars[0].id, CalendarId::from("cal-1"));
    assert_eq!(calendars[0].team_members[1].user_id, UserId::from("u-2"));
}

#[tokio::test]
async fn appointment_create_update_get_delete() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/calendars/events/appointments"))
        .and(no_query())
        .and(header("Version", CAL))
        .and(header("Authorization", BEARER))
        .and(body_json(json!({
            "calendarId": "cal-1",
            "locationId": LOCATION,
            "contactId": "c-1",
            "startTime": "2025-03-30T10:00:00+01:00",
            "endTime": "2025-03-30T11:00:00+01:00",
            "title": "Cut & blow-dry",
            "appointmentStatus": "confirmed",
            "assignedUserId": "u-1",
            "ignoreFreeSlotValidation": true,
            "toNotify": false
        })))
        // The spec declares 200 for this create.
        .respond_with(
            ResponseTemplate::new(200).set_body_json(appointment_json("apt-1", "confirmed")),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/calendars/events/appointments/apt-1"))
        .and(header("Version", CAL))
        .and(header("Authorization", BEARER))
        .and(body_json(json!({"appointmentStatus": "cancelled"})))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(appointment_json("apt-1", "cancelled")),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/calendars/events/appointments/apt-1"))
        .and(header("Version", CAL))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "event": appointment_json("apt-1", "rescheduled-by-ai")
        })))
        .expect(1)
        .mount(&server)
        .await;
    // The operation requires a JSON body (an empty object) and answers 201.
    Mock::given(method("DELETE"))
        .and(path("/calendars/events/apt-1"))
        .and(header("Version", CAL))
        .and(header("Authorization", BEARER))
        .and(header("Content-Type", "application/json"))
        .and(body_json(json!({})))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"succeeded": true})))
        .expect(1)
        .mount(&server)
        .await;
    mount_catch_all(&server).await;
    let client = pit_client(&server);
    let start = DateTime::parse_from_rfc3339("2025-03-30T10:00:00+01:00").unwrap();
    let end = DateTime::parse_from_rfc3339("2025-03-30T11:00:00+01:00").unwrap();
    let request = CreateAppointment::new("cal-1", "c-1", start, end)
        .title("Cut & blow-dry")
        .appointment_status(AppointmentStatus::Confirmed)
        .assigned_user_id(UserId::from("u-1"))
        .ignore_free_slot_validation(true)
        .to_notify(false);
    let created = client
        .calendars()
        .create_appointment(&request)
        .await
        .unwrap();
    assert_eq!(created.id, AppointmentId::from("apt-1"));
    assert_eq!(
        created.appointment_status,
        Some(AppointmentStatus::Confirmed)
    );

    let id = AppointmentId::from("apt-1");
    let updated = client
        .calendars()
        .update_appointment(
            &id,
            &UpdateAppointment::new().appointment_status(AppointmentStatus::Cancelled),
        )
        .await
        .unwrap();
    assert_eq!(
        updated.appointment_status,
        Some(AppointmentStatus::Cancelled)
    );
    let fetched = client.calendars().get_appointment(&id).await.unwrap();
    // A status this crate does not know decodes to `Unknown`.
    assert_eq!(
        fetched.appointment_status,
        Some(AppointmentStatus::Unknown("rescheduled-by-ai".into()))
    );
    client.calendars().delete_appointment(&id).await.unwrap();
}

#[tokio::test]
async fn events_in_a_range_use_epoch_millis() {
    let server = MockServer::start().await;
    let start = Utc.with_ymd_and_hms(2025, 3, 1, 0, 0, 0).unwrap();
    let end = Utc.with_ymd_and_hms(2025, 4, 1, 0, 0, 0).unwrap();
    Mock::given(method("GET"))
        .and(path("/calendars/events"))
        .and(ExactQuery(vec![
            ("locationId", LOCATION.into()),
            ("calendarId", "cal-1".into()),
            ("startTime", "1740787200000".into()),
            ("endTime", "1743465600000".into()),
        ]))
        .and(header("Version", CAL))
        .and(header("Authorization", BEARER))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"events": [
            appointment_json("apt-1", "showed"),
            // The schema types event times as objects: tolerate a non-string.
            {"id": "apt-2", "appointmentStatus": "noshow", "startTime": 1743328800000u64,
             "endTime": null, "users": ["u-1"]}
        ]})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/calendars/events"))
        .and(ExactQuery(vec![
            ("locationId", LOCATION.into()),
            ("userId", "u-1".into()),
            ("startTime", "1740787200000".into()),
            ("endTime", "1743465600000".into()),
        ]))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"events": []})))
        .expect(1)
        .mount(&server)
        .await;
    mount_catch_all(&server).await;
    let client = pit_client(&server);
    let events = client
        .calendars()
        .list_events(&ListEvents::new(
            EventOwner::Calendar(CalendarId::from("cal-1")),
            start,
            end,
        ))
        .await
        .unwrap();
    assert_eq!(
        events[1].appointment_status,
        Some(AppointmentStatus::NoShow)
    );
    let none = client
        .calendars()
        .list_events(&ListEvents::new(
            EventOwner::User(UserId::from("u-1")),
            start,
            end,
        ))
        .await
        .unwrap();
    assert!(none.is_empty());
}

#[tokio::test]
#[allow(deprecated)]
async fn users_list_the_deprecated_way() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/users/"))
        .and(ExactQuery(vec![("locationId", LOCATION.into())]))
        .and(header("Version", V2))
        .and(header("Authorization", BEARER))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"users": [{
            "id": "u-1", "name": "Niamh Kelly", "firstName": "Niamh", "lastName": "Kelly",
            "email": "niamh@salon.ie", "phone": "+353861111111",
            "roles": {"type": "account", "role": "user", "locationIds": [LOCATION]},
            "permissions": {}
        }]})))
        .expect(1)
        .mount(&server)
        .await;
    mount_catch_all(&server).await;
    let users = pit_client(&server).users().list().await.unwrap();
    assert_eq!(users[0].id, UserId::from("u-1"));
    assert_eq!(users[0].email.as_deref(), Some("niamh@salon.ie"));
}

fn user_json(i: usize) -> serde_json::Value {
    json!({"id": format!("u-{i}"), "name": format!("User {i}"), "email": format!("u{i}@salon.ie"),
           "roles": {"type": "account", "role": "user", "locationIds": [LOCATION]}})
}

/// `GET /users/search` (the replacement of the deprecated `GET /users/`): `companyId` is required,
/// the stream pages with `skip`/`limit` until GHL's `count`, and a user without an id is reported
/// instead of failing the page.
#[tokio::test]
async fn users_search_pages_with_skip_and_limit() {
    let server = MockServer::start().await;
    let page = |skip: &str| {
        ExactQuery(vec![
            ("companyId", "comp-1".into()),
            ("locationId", LOCATION.into()),
            ("skip", skip.into()),
            ("limit", "2".into()),
        ])
    };
    Mock::given(method("GET"))
        .and(path("/users/search"))
        .and(page("0"))
        .and(header("Version", V2))
        .and(header("Authorization", BEARER))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"users": [user_json(1), user_json(2)], "count": 5})),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/users/search"))
        .and(page("2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "users": [user_json(3), {"name": "No id"}], "count": 5
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/users/search"))
        .and(page("4"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"users": [user_json(5)], "count": 5})),
        )
        .expect(1)
        .mount(&server)
        .await;
    mount_catch_all(&server).await;
    let client = pit_client(&server);
    let query = SearchUsers::new("comp-1").location_id(LOCATION).limit(2);
    let pages: Vec<_> = client
        .users()
        .search_pages(query.clone())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(pages.len(), 3);
    assert_eq!(pages[0].next, Some(2));
    assert_eq!(pages[0].total, Some(5));
    assert_eq!(pages[1].rejected.len(), 1);
    assert_eq!(pages[1].rejected[0].path, "users[1]");
    assert_eq!(pages[2].next, None);
    let ids: Vec<String> = pages
        .iter()
        .flat_map(|p| p.items.iter().map(|u| u.id.to_string()))
        .collect();
    assert_eq!(ids, ["u-1", "u-2", "u-3", "u-5"]);
}

#[tokio::test]
async fn location_get() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/locations/{LOCATION}")))
        .and(no_query())
        .and(header("Version", V2))
        .and(header("Authorization", BEARER))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"location": {
                "id": LOCATION, "companyId": "comp-1", "name": "Salon Dublin",
                "timezone": "Europe/Dublin", "country": "IE",
                "settings": {"allowDuplicateContact": true, "allowDuplicateOpportunity": false}
            }})),
        )
        .expect(1)
        .mount(&server)
        .await;
    mount_catch_all(&server).await;
    let location = pit_client(&server).locations().get_current().await.unwrap();
    assert_eq!(location.timezone.as_deref(), Some("Europe/Dublin"));
    assert_eq!(location.country.as_deref(), Some("IE"));
    assert_eq!(location.company_id, Some("comp-1".into()));
    assert_eq!(
        location.settings.and_then(|s| s.allow_duplicate_contact),
        Some(true)
    );
}

#[tokio::test]
async fn custom_fields_list_and_create() {
    let server = MockServer::start().await;
    let fields_path = format!("/locations/{LOCATION}/customFields");
    Mock::given(method("GET"))
        .and(path(fields_path.clone()))
        .and(ExactQuery(vec![("model", "contact".into())]))
        .and(header("Version", V2))
        .and(header("Authorization", BEARER))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"customFields": [
                {"id": "cf-1", "name": "Loyalty points", "fieldKey": "contact.loyalty_points",
                 "dataType": "NUMERICAL", "model": "contact", "position": 0},
                {"id": "cf-2", "name": "Mood", "fieldKey": "contact.mood",
                 "dataType": "EMOJI_PICKER", "model": "contact"},
                {"name": "A field without an id", "dataType": "TEXT"}
            ]})),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(fields_path))
        .and(header("Version", V2))
        .and(header("Authorization", BEARER))
        .and(body_json(
            json!({"name": "Phorest id", "dataType": "TEXT", "model": "contact"}),
        ))
        .respond_with(
            ResponseTemplate::new(201).set_body_json(json!({"customField": {
                "id": "cf-3", "name": "Phorest id", "fieldKey": "contact.phorest_id",
                "dataType": "TEXT", "model": "contact"
            }})),
        )
        .expect(1)
        .mount(&server)
        .await;
    mount_catch_all(&server).await;
    let client = pit_client(&server);
    let fields = client.custom_fields().list(Some("contact")).await.unwrap();
    assert_eq!(fields[0].data_type, Some(CustomFieldDataType::Numerical));
    assert_eq!(
        fields[1].data_type,
        Some(CustomFieldDataType::Unknown("EMOJI_PICKER".into()))
    );
    // The field without an id is reported; the list is kept.
    assert_eq!(fields.len(), 2);
    assert_eq!(fields.rejected.len(), 1);
    assert_eq!(fields.rejected[0].path, "customFields[2]");
    // Older kinds outside the spec's list decode as `Unknown` too.
    assert_eq!(
        CustomFieldDataType::from("FLOAT"),
        CustomFieldDataType::Unknown("FLOAT".into())
    );
    assert_eq!(
        CustomFieldDataType::from("EMAIL"),
        CustomFieldDataType::Email
    );
    let created = client
        .custom_fields()
        .create(&CreateCustomField::contact(
            "Phorest id",
            CustomFieldDataType::Text,
        ))
        .await
        .unwrap();
    assert_eq!(created.field_key.as_deref(), Some("contact.phorest_id"));
}

fn product_json(id: &str) -> serde_json::Value {
    json!({"_id": id, "locationId": LOCATION, "name": "Argan oil", "productType": "PHYSICAL",
           "availableInStore": true, "createdAt": "2025-01-01T00:00:00Z"})
}

#[tokio::test]
async fn products_crud_and_list() {
    let server = MockServer::start().await;
    let create_body = json!({"locationId": LOCATION, "name": "Argan oil", "productType": "PHYSICAL",
                             "availableInStore": true});
    Mock::given(method("POST"))
        .and(path("/products/"))
        .and(no_query())
        .and(header("Version", V2))
        .and(header("Authorization", BEARER))
        .and(body_json(create_body.clone()))
        .respond_with(ResponseTemplate::new(201).set_body_json(product_json("p-1")))
        .expect(1)
        .mount(&server)
        .await;
    // No query string: the operation declares none (`locationId` travels in the body).
    Mock::given(method("PUT"))
        .and(path("/products/p-1"))
        .and(no_query())
        .and(header("Version", V2))
        .and(body_json(create_body))
        .respond_with(ResponseTemplate::new(200).set_body_json(product_json("p-1")))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/products/p-1"))
        .and(ExactQuery(vec![("locationId", LOCATION.into())]))
        .and(header("Version", V2))
        .respond_with(ResponseTemplate::new(200).set_body_json(product_json("p-1")))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/products/"))
        .and(ExactQuery(vec![
            ("locationId", LOCATION.into()),
            ("limit", "50".into()),
            ("offset", "100".into()),
            ("search", "oil".into()),
        ]))
        .and(header("Version", V2))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "products": [product_json("p-1"), product_json("p-2")],
            "total": [{"total": 152}]
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/products/p-1"))
        .and(ExactQuery(vec![("locationId", LOCATION.into())]))
        .and(header("Version", V2))
        .and(header("Authorization", BEARER))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"status": true})))
        .expect(1)
        .mount(&server)
        .await;
    mount_catch_all(&server).await;
    let client = pit_client(&server);
    let request = CreateProduct::new("Argan oil", ProductType::Physical).available_in_store(true);
    let product = client.products().create(&request).await.unwrap();
    assert_eq!(product.id, ProductId::from("p-1"));
    assert_eq!(product.product_type, Some(ProductType::Physical));
    let id = ProductId::from("p-1");
    client.products().update(&id, &request).await.unwrap();
    client.products().get(&id).await.unwrap();
    let list = client
        .products()
        .list(&ListProducts::new().limit(50).offset(100).search("oil"))
        .await
        .unwrap();
    assert_eq!(list.products.len(), 2);
    assert_eq!(list.total, Some(152));
    client.products().delete(&id).await.unwrap();
    assert_eq!(
        ProductType::from("PHYSICAL/DIGITAL"),
        ProductType::PhysicalDigital
    );
}

#[tokio::test]
async fn prices_create_and_list() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/products/p-1/price"))
        .and(no_query())
        .and(header("Version", V2))
        .and(header("Authorization", BEARER))
        .and(body_json(
            json!({"locationId": LOCATION, "name": "Retail", "type": "one_time",
                              "currency": "EUR", "amount": 24.5, "sku": "ARG-50"}),
        ))
        // GHL's price answers declare no `sku`.
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "_id": "pr-1", "product": "p-1", "name": "Retail", "type": "one_time",
            "currency": "EUR", "amount": 24.5
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/products/p-1/price"))
        .and(ExactQuery(vec![("locationId", LOCATION.into())]))
        .and(header("Version", V2))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"prices": [
            {"_id": "pr-1", "type": "one_time", "amount": 24.5, "currency": "EUR"},
            {"_id": "pr-2", "type": "subscription_v2", "amount": 10, "currency": "EUR"}
        ], "total": 2})))
        .expect(1)
        .mount(&server)
        .await;
    mount_catch_all(&server).await;
    let client = pit_client(&server);
    let request = CreatePrice::one_time("Retail", "EUR", 24.5).sku("ARG-50");
    let product = ProductId::from("p-1");
    let price = client
        .products()
        .create_price(&product, &request)
        .await
        .unwrap();
    assert_eq!(price.id.as_str(), "pr-1");
    assert_eq!(price.amount, Some(24.5));
    assert_eq!(price.sku, None);
    let prices = client.products().list_prices(&product).await.unwrap();
    assert_eq!(prices[0].price_type, Some(PriceType::OneTime));
    assert_eq!(
        prices[1].price_type,
        Some(PriceType::Unknown("subscription_v2".into()))
    );
}

#[tokio::test]
async fn price_update_puts_the_full_price_and_answers_it_typed() {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .and(path("/products/p-1/price/pr-1"))
        .and(no_query())
        .and(header("Version", V2))
        .and(header("Authorization", BEARER))
        .and(header("Content-Type", "application/json"))
        .and(body_json(
            json!({"locationId": LOCATION, "name": "Argan oil", "type": "one_time",
                   "currency": "EUR", "amount": 27.5, "sku": "ARG-50"}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "_id": "pr-1", "product": "p-1", "locationId": LOCATION, "name": "Argan oil",
            "type": "one_time", "currency": "EUR", "amount": 27.5, "sku": "ARG-50",
            "membershipOffers": [], "variantOptionIds": [],
            "createdAt": "2025-01-01T00:00:00Z", "updatedAt": "2025-02-01T00:00:00Z"
        })))
        .expect(1)
        .mount(&server)
        .await;
    mount_catch_all(&server).await;
    let request = UpdatePrice::one_time("Argan oil", "EUR", 27.5).sku("ARG-50");
    let price = pit_client(&server)
        .products()
        .update_price(&ProductId::from("p-1"), &PriceId::from("pr-1"), &request)
        .await
        .unwrap();
    assert_eq!(price.id, PriceId::from("pr-1"));
    assert_eq!(price.product, Some(ProductId::from("p-1")));
    assert_eq!(price.name.as_deref(), Some("Argan oil"));
    assert_eq!(price.price_type, Some(PriceType::OneTime));
    assert_eq!(price.currency.as_deref(), Some("EUR"));
    assert_eq!(price.amount, Some(27.5));
    assert_eq!(price.sku.as_deref(), Some("ARG-50"));
}

#[tokio::test]
async fn price_update_errors_carry_the_api_answer() {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .and(path("/products/p-1/price/gone"))
        .and(header("Version", V2))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({
            "statusCode": 404, "message": "Price not found", "error": "Not Found"
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/products/p-1/price/pr-1"))
        .and(header("Version", V2))
        .respond_with(ResponseTemplate::new(422).set_body_json(json!({
            "statusCode": 422,
            "message": ["amount must not be less than 0"],
            "error": "Unprocessable Entity"
        })))
        .expect(1)
        .mount(&server)
        .await;
    mount_catch_all(&server).await;
    let client = pit_client(&server);
    let product = ProductId::from("p-1");
    let request = UpdatePrice::one_time("Argan oil", "EUR", -1.0);
    let err = client
        .products()
        .update_price(&product, &PriceId::from("gone"), &request)
        .await
        .unwrap_err();
    let Error::NotFound { api } = &err else {
        panic!("expected NotFound, got {err:?}");
    };
    assert_eq!(api.status, 404);
    assert_eq!(api.method, "PUT");
    assert_eq!(api.path, "/products/{id}/price/{priceId}");
    assert_eq!(api.message, "Price not found");
    let err = client
        .products()
        .update_price(&product, &PriceId::from("pr-1"), &request)
        .await
        .unwrap_err();
    let Error::Validation { api } = &err else {
        panic!("expected Validation, got {err:?}");
    };
    assert_eq!(
        api.messages,
        vec!["amount must not be less than 0".to_owned()]
    );
    assert_eq!(api.error.as_deref(), Some("Unprocessable Entity"));
    assert!(!err.may_have_been_applied());
}

#[tokio::test]
async fn oauth_exchange_code_and_refresh_are_form_encoded_without_bearer() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .and(FormBody(vec![
            ("client_id", "app-client-id"),
            ("client_secret", CLIENT_SECRET),
            ("grant_type", "authorization_code"),
            ("code", "code-123"),
            ("user_type", "Location"),
            ("redirect_uri", "https://app.example.com/cb"),
        ]))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(token_response(NEW_ACCESS, NEW_REFRESH)),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .and(FormBody(vec![
            ("client_id", "app-client-id"),
            ("client_secret", CLIENT_SECRET),
            ("grant_type", "refresh_token"),
            ("refresh_token", OLD_REFRESH),
            ("user_type", "Location"),
        ]))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(token_response(NEW_ACCESS, NEW_REFRESH)),
        )
        .expect(1)
        .mount(&server)
        .await;
    mount_catch_all(&server).await;
    let client = pit_client(&server);
    let tokens = client
        .oauth()
        .exchange_code(&app(), "code-123", Some("https://app.example.com/cb"))
        .await
        .unwrap();
    use ghl_client::ExposeSecret;
    assert_eq!(tokens.access_token.expose_secret(), NEW_ACCESS);
    assert_eq!(
        tokens.refresh_token.as_ref().unwrap().expose_secret(),
        NEW_REFRESH
    );
    assert_eq!(
        tokens.scopes,
        vec![
            Scope::ContactsReadonly,
            Scope::ContactsWrite,
            Scope::ProductsWrite
        ]
    );
    assert_eq!(tokens.user_type, Some(UserType::Location));
    assert_eq!(
        tokens.location_id.as_ref().map(|l| l.as_str()),
        Some(LOCATION)
    );
    assert!(tokens.expires_at.is_some_and(|at| at > Utc::now()));
    let refreshed = client
        .oauth()
        .refresh(&app(), &SecretString::from(OLD_REFRESH))
        .await
        .unwrap();
    assert_eq!(refreshed.access_token.expose_secret(), NEW_ACCESS);
    for request in requests_to(&server, "/oauth/token").await {
        assert!(request.headers.get("authorization").is_none());
        assert!(request.headers.get("version").is_none());
    }
}

#[tokio::test]
async fn a_caller_supplied_http_client_and_user_agent_are_used() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/calendars/"))
        .and(header("User-Agent", "salon-sync/2.0"))
        .and(header("Authorization", BEARER))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"calendars": []})))
        .expect(1)
        .mount(&server)
        .await;
    mount_catch_all(&server).await;
    ghl_client::install_default_crypto_provider();
    let client = ghl_client::GhlClient::builder()
        .base_url(server.uri())
        .location_id(LOCATION)
        .auth(ghl_client::Auth::private_token(
            SecretString::from(TOKEN),
            all_scopes(),
        ))
        .http_client(reqwest::Client::new())
        .user_agent("salon-sync/2.0")
        .build()
        .unwrap();
    assert!(client.calendars().list().await.unwrap().is_empty());
}
