//! Contract tests for the contacts endpoints.

mod common;

use common::*;
use futures::TryStreamExt;
use ghl_client::contacts::{
    BulkTagAction, BulkUpdateTags, CreateContact, CreateNote, CustomFieldInput, SearchContacts,
    UpdateContact, UpsertContact,
};
use ghl_client::{ContactId, NoteId, UserId};
use serde_json::json;
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn contact_json(id: &str) -> serde_json::Value {
    json!({
        "id": id,
        "locationId": LOCATION,
        "firstName": "Aoife",
        "lastName": "Byrne",
        "contactName": "aoife byrne",
        "email": "aoife@example.com",
        "phone": "+353871234567",
        "tags": ["phorest:client", "vip"],
        "customFields": [{"id": "cf-loyalty", "value": 120}],
        "dateAdded": "2025-03-01T10:00:00.000Z",
        "someFieldAddedLater": {"nested": true}
    })
}

fn upsert_request() -> UpsertContact {
    UpsertContact::new()
        .first_name("Aoife")
        .last_name("Byrne")
        .email("aoife@example.com")
        .phone("+353871234567")
        .set_date_of_birth(chrono::NaiveDate::from_ymd_opt(1990, 5, 17))
        .custom_field(CustomFieldInput::by_id("cf-loyalty", 120))
}

fn upsert_body() -> serde_json::Value {
    json!({
        "locationId": LOCATION,
        "firstName": "Aoife",
        "lastName": "Byrne",
        "email": "aoife@example.com",
        "phone": "+353871234567",
        "dateOfBirth": "1990-05-17",
        // Numbers travel as their text (the string branch of GHL's custom field schema).
        "customFields": [{"id": "cf-loyalty", "field_value": "120"}]
    })
}

#[tokio::test]
async fn upsert_sends_exact_request_and_reports_created() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/contacts/upsert"))
        .and(no_query())
        .and(header("Version", "2021-07-28"))
        .and(header("Authorization", BEARER))
        .and(header("Accept", "application/json"))
        .and(body_json(upsert_body()))
        .respond_with(
            ResponseTemplate::new(201).set_body_json(
                json!({"new": true, "contact": contact_json("c-1"), "traceId": "t"}),
            ),
        )
        .expect(1)
        .mount(&server)
        .await;
    mount_catch_all(&server).await;
    let client = pit_client(&server);
    let outcome = client.contacts().upsert(&upsert_request()).await.unwrap();
    assert_eq!(outcome.created, Some(true));
    assert_eq!(outcome.contact.id, ContactId::from("c-1"));
    assert_eq!(outcome.contact.full_name(), Some("aoife byrne"));
    assert_eq!(outcome.contact.tags, vec!["phorest:client", "vip"]);
    assert_eq!(outcome.contact.custom_fields[0].value, Some(json!(120)));
}

#[tokio::test]
async fn upsert_reports_update_when_new_is_false() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/contacts/upsert"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"new": false, "contact": contact_json("c-9")})),
        )
        .expect(1)
        .mount(&server)
        .await;
    mount_catch_all(&server).await;
    let outcome = pit_client(&server)
        .contacts()
        .upsert(&upsert_request())
        .await
        .unwrap();
    assert_eq!(outcome.created, Some(false));
    assert_eq!(outcome.contact.id.as_str(), "c-9");
}

#[tokio::test]
async fn create_posts_to_trailing_slash_path() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/contacts/"))
        .and(no_query())
        .and(header("Version", "2021-07-28"))
        .and(header("Authorization", BEARER))
        .and(body_json(upsert_body()))
        .respond_with(
            ResponseTemplate::new(201).set_body_json(json!({"contact": contact_json("c-2")})),
        )
        .expect(1)
        .mount(&server)
        .await;
    mount_catch_all(&server).await;
    let contact = pit_client(&server)
        .contacts()
        .create(&CreateContact::from(&upsert_request()))
        .await
        .unwrap();
    assert_eq!(contact.id.as_str(), "c-2");
    assert_eq!(contact.email.as_deref(), Some("aoife@example.com"));
}

#[tokio::test]
async fn get_update_delete() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/contacts/c-1"))
        .and(no_query())
        .and(header("Version", "2021-07-28"))
        .and(header("Authorization", BEARER))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"contact": contact_json("c-1")})),
        )
        .expect(1)
        .mount(&server)
        .await;
    // The update body has no `tags` key: sending it would replace the whole tag set.
    Mock::given(method("PUT"))
        .and(path("/contacts/c-1"))
        .and(header("Version", "2021-07-28"))
        .and(header("Authorization", BEARER))
        .and(body_json(json!({"firstName": "Eva", "city": "Dublin"})))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"succeded": true, "contact": contact_json("c-1")})),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/contacts/c-1"))
        .and(header("Version", "2021-07-28"))
        .and(header("Authorization", BEARER))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"succeded": true})))
        .expect(1)
        .mount(&server)
        .await;
    mount_catch_all(&server).await;
    let client = pit_client(&server);
    let id = ContactId::from("c-1");
    let contact = client.contacts().get(&id).await.unwrap();
    assert_eq!(contact.phone.as_deref(), Some("+353871234567"));
    // Fields PUT does not declare are left out even when set.
    let update = UpdateContact::new()
        .first_name("Eva")
        .city("Dublin")
        .gender("female")
        .company_name("Salon");
    let updated = client.contacts().update(&id, &update).await.unwrap();
    assert_eq!(updated.map(|c| c.id), Some(id.clone()));
    client.contacts().delete(&id).await.unwrap();
}

#[tokio::test]
async fn set_custom_fields_sends_only_custom_fields() {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .and(path("/contacts/c-1"))
        .and(header("Version", "2021-07-28"))
        .and(body_json(json!({"customFields": [
            {"id": "cf-points", "field_value": "250"}
        ]})))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"contact": contact_json("c-1")})),
        )
        .expect(1)
        .mount(&server)
        .await;
    mount_catch_all(&server).await;
    pit_client(&server)
        .contacts()
        .set_custom_fields(
            &ContactId::from("c-1"),
            &[CustomFieldInput::by_id("cf-points", "250")],
        )
        .await
        .unwrap();
}

fn custom_fields_list() -> serde_json::Value {
    json!({"customFields": [
        {"id": "cf-points", "name": "Loyalty Points", "fieldKey": "contact.loyalty_points",
         "dataType": "NUMERICAL", "model": "contact"},
        {"id": "cf-tier", "name": "Tier", "fieldKey": "contact.tier", "dataType": "TEXT",
         "model": "contact"}
    ]})
}

/// Values written by key reach GHL by id (every branch of GHL's `customFields[]` schema requires
/// `id`): the key is resolved through the fields list, which is read once and cached.
#[tokio::test]
async fn custom_fields_by_key_are_sent_by_id_through_a_cached_lookup() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/locations/{LOCATION}/customFields")))
        .and(ExactQuery(vec![("model", "contact".into())]))
        .and(header("Version", "2021-07-28"))
        .respond_with(ResponseTemplate::new(200).set_body_json(custom_fields_list()))
        // Once for the first lookups (then cached), once more for the unknown key below.
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/contacts/c-1"))
        .and(body_json(json!({"customFields": [
            {"id": "cf-points", "field_value": "250"},
            {"id": "cf-tier", "field_value": "gold"}
        ]})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"succeded": true})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/contacts/upsert"))
        .and(body_json(json!({
            "locationId": LOCATION,
            "email": "ann@example.com",
            "customFields": [{"id": "cf-points", "field_value": "99.5"}]
        })))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"new": false, "contact": contact_json("c-1")})),
        )
        .expect(1)
        .mount(&server)
        .await;
    mount_catch_all(&server).await;
    let client = pit_client(&server);
    let answer = client
        .contacts()
        .set_custom_fields(
            &ContactId::from("c-1"),
            &[
                CustomFieldInput::by_key("contact.loyalty_points", 250),
                CustomFieldInput::by_key("tier", "gold"),
            ],
        )
        .await
        .unwrap();
    assert_eq!(
        answer, None,
        "`{{succeded}}` without a contact is a success"
    );
    let upsert = UpsertContact::new()
        .email("ann@example.com")
        .custom_field(CustomFieldInput::by_key("loyalty_points", 99.5));
    client.contacts().upsert(&upsert).await.unwrap();
    // A key no field has: refused before any write (the list is read again once; a PUT would
    // hit the catch-all and fail the test).
    let err = client
        .contacts()
        .update(
            &ContactId::from("c-1"),
            &UpdateContact::new().custom_field(CustomFieldInput::by_key("contact.nope", 1)),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ghl_client::Error::InvalidRequest(m) if m.contains("contact.nope")),
        "{err:?}"
    );
}

/// GHL declares no 404 for contacts; an unknown id is reported as a 400 "… not found". Both
/// shapes are `Error::NotFound`, which callers rely on to fall back to an upsert.
#[tokio::test]
async fn an_unknown_contact_is_not_found_whether_ghl_answers_400_or_404() {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .and(path("/contacts/gone-400"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "statusCode": 400, "message": "Contact with id gone-400 not found"
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/contacts/gone-404"))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({
            "statusCode": 404, "message": "Contact not found", "error": "Not Found"
        })))
        .expect(1)
        .mount(&server)
        .await;
    mount_catch_all(&server).await;
    let client = pit_client(&server);
    let err = client
        .contacts()
        .update(
            &ContactId::from("gone-400"),
            &UpdateContact::new().city("Cork"),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, ghl_client::Error::NotFound { .. }), "{err:?}");
    assert_eq!(err.status(), Some(400));
    let err = client
        .contacts()
        .get(&ContactId::from("gone-404"))
        .await
        .unwrap_err();
    assert!(matches!(err, ghl_client::Error::NotFound { .. }), "{err:?}");
    assert_eq!(err.status(), Some(404));
}

#[tokio::test]
async fn bulk_tag_updates_send_the_dto_and_report_each_contact() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/contacts/bulk/tags/update/add"))
        .and(no_query())
        .and(header("Version", "2021-07-28"))
        .and(header("Authorization", BEARER))
        .and(body_json(json!({
            "contacts": ["c-1", "c-2"],
            "tags": ["phorest:purchased:argan-oil"],
            "locationId": LOCATION
        })))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "succeded": true,
            "errorCount": 1,
            "responses": [
                {"contactId": "c-1", "message": "Tags updated", "type": "success",
                 "oldTags": [], "tagsAdded": ["phorest:purchased:argan-oil"], "tagsRemoved": []},
                {"contactId": "c-2", "message": "contact is deleted", "type": "error"},
                "an unexpected string item"
            ]
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/contacts/bulk/tags/update/remove"))
        .and(body_json(json!({
            "contacts": ["c-1"],
            "tags": [],
            "locationId": LOCATION,
            "removeAllTags": true
        })))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "succeded": true, "errorCount": 0, "responses": []
        })))
        .expect(1)
        .mount(&server)
        .await;
    mount_catch_all(&server).await;
    let client = pit_client(&server);
    let add = BulkUpdateTags::add(["c-1", "c-2"], ["phorest:purchased:argan-oil"]);
    assert_eq!(add.get_action(), BulkTagAction::Add);
    let outcome = client.contacts().bulk_update_tags(&add).await.unwrap();
    assert_eq!(outcome.succeeded, Some(true));
    assert_eq!(outcome.error_count, Some(1));
    assert_eq!(outcome.responses.len(), 3);
    let failures: Vec<_> = outcome.failures().collect();
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0].contact_id, Some(ContactId::from("c-2")));
    assert_eq!(
        outcome.responses[2].message.as_deref(),
        Some("an unexpected string item")
    );
    let none: [&str; 0] = [];
    let remove = BulkUpdateTags::remove(["c-1"], none).remove_all_tags(true);
    client.contacts().bulk_update_tags(&remove).await.unwrap();
}

#[tokio::test]
async fn path_ids_are_percent_encoded() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/contacts/a%2F..%2Fb"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"contact": contact_json("x")})),
        )
        .expect(1)
        .mount(&server)
        .await;
    mount_catch_all(&server).await;
    pit_client(&server)
        .contacts()
        .get(&ContactId::from("a/../b"))
        .await
        .unwrap();
}

#[tokio::test]
async fn find_duplicate_encodes_phone_and_handles_null() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/contacts/search/duplicate"))
        .and(ExactQuery(vec![
            ("locationId", LOCATION.into()),
            ("email", "aoife@example.com".into()),
            ("number", "+353871234567".into()),
        ]))
        .and(header("Version", "2021-07-28"))
        .and(header("Authorization", BEARER))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"contact": contact_json("c-1")})),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/contacts/search/duplicate"))
        .and(ExactQuery(vec![
            ("locationId", LOCATION.into()),
            ("email", "nobody@example.com".into()),
        ]))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"contact": null})))
        .expect(1)
        .mount(&server)
        .await;
    mount_catch_all(&server).await;
    let client = pit_client(&server);
    let found = client
        .contacts()
        .find_duplicate(Some("aoife@example.com"), Some("+353871234567"))
        .await
        .unwrap();
    assert_eq!(found.map(|c| c.id), Some(ContactId::from("c-1")));
    // `+` must travel encoded (%2B), or the server reads a space.
    let raw = requests_to(&server, "/contacts/search/duplicate").await;
    assert!(
        raw[0]
            .url
            .query()
            .unwrap_or("")
            .contains("number=%2B353871234567")
    );
    let none = client
        .contacts()
        .find_duplicate(Some("nobody@example.com"), None)
        .await
        .unwrap();
    assert!(none.is_none());
    assert!(client.contacts().find_duplicate(None, None).await.is_err());
}

#[tokio::test]
async fn tags_add_and_remove() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/contacts/c-1/tags"))
        .and(header("Version", "2021-07-28"))
        .and(header("Authorization", BEARER))
        .and(body_json(
            json!({"tags": ["phorest:vip", "phorest:client"]}),
        ))
        .respond_with(
            ResponseTemplate::new(201)
                .set_body_json(json!({"tags": ["salon-own", "phorest:vip", "phorest:client"]})),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/contacts/c-1/tags"))
        .and(header("Version", "2021-07-28"))
        .and(body_json(json!({"tags": ["phorest:vip"]})))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"tags": ["salon-own", "phorest:client"]})),
        )
        .expect(1)
        .mount(&server)
        .await;
    mount_catch_all(&server).await;
    let client = pit_client(&server);
    let id = ContactId::from("c-1");
    let tags = client
        .contacts()
        .add_tags(&id, &["phorest:vip".into(), "phorest:client".into()])
        .await
        .unwrap();
    assert_eq!(tags, vec!["salon-own", "phorest:vip", "phorest:client"]);
    let tags = client
        .contacts()
        .remove_tags(&id, &["phorest:vip".into()])
        .await
        .unwrap();
    assert_eq!(tags, vec!["salon-own", "phorest:client"]);
}

#[tokio::test]
async fn notes_create_and_list() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/contacts/c-1/notes"))
        .and(header("Version", "2021-07-28"))
        .and(header("Authorization", BEARER))
        .and(body_json(
            json!({"body": "Checked in for cut & colour", "userId": "u-7"}),
        ))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"note": {
            "id": "n-1", "body": "Checked in for cut & colour", "userId": "u-7",
            "contactId": "c-1", "dateAdded": "2025-03-01T10:00:00.000Z"
        }})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/contacts/c-1/notes"))
        .and(no_query())
        .and(header("Version", "2021-07-28"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"notes": [
            {"id": "n-1", "body": "a", "contactId": "c-1"},
            {"body": "a note without an id", "contactId": "c-1"},
            {"id": "n-2", "body": "b", "contactId": "c-1", "relations": []}
        ]})))
        .expect(1)
        .mount(&server)
        .await;
    mount_catch_all(&server).await;
    let client = pit_client(&server);
    let id = ContactId::from("c-1");
    let note = client
        .contacts()
        .create_note(
            &id,
            &CreateNote::new("Checked in for cut & colour").user_id(UserId::from("u-7")),
        )
        .await
        .unwrap();
    assert_eq!(note.id.as_str(), "n-1");
    assert_eq!(note.user_id, Some(UserId::from("u-7")));
    // The note without an id is reported, the others kept.
    let notes = client.contacts().list_notes(&id).await.unwrap();
    assert_eq!(
        notes.iter().map(|n| n.id.as_str()).collect::<Vec<_>>(),
        ["n-1", "n-2"]
    );
    assert!(!notes.is_complete());
    assert_eq!(notes.rejected.len(), 1);
    assert_eq!(notes.rejected[0].index, 1);
    assert_eq!(notes.rejected[0].path, "notes[1]");
    assert!(
        notes.rejected[0].message.contains("missing field `id`"),
        "{:?}",
        notes.rejected
    );
}

#[tokio::test]
async fn note_update_puts_the_new_body() {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .and(path("/contacts/c-1/notes/n-1"))
        .and(no_query())
        .and(header("Version", "2021-07-28"))
        .and(header("Authorization", BEARER))
        .and(body_json(
            json!({"body": "[phorest-booking:b1]\nGroup booking: 3 services"}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"note": {
            "id": "n-1", "body": "[phorest-booking:b1]\nGroup booking: 3 services",
            "contactId": "c-1", "dateAdded": "2025-03-01T10:00:00.000Z"
        }})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/contacts/c-1/notes/n-404"))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({
            "statusCode": 404, "message": "Note not found"
        })))
        .expect(1)
        .mount(&server)
        .await;
    mount_catch_all(&server).await;
    let client = pit_client(&server);
    let id = ContactId::from("c-1");
    let update = CreateNote::new("[phorest-booking:b1]\nGroup booking: 3 services");
    let note = client
        .contacts()
        .update_note(&id, &NoteId::from("n-1"), &update)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(note.id.as_str(), "n-1");
    assert_eq!(note.body.as_deref(), Some(update.get_body()));
    let err = client
        .contacts()
        .update_note(&id, &NoteId::from("n-404"), &update)
        .await
        .unwrap_err();
    assert!(matches!(err, ghl_client::Error::NotFound { .. }), "{err:?}");
}

fn search_contact(id: &str, cursor: serde_json::Value) -> serde_json::Value {
    let mut contact = contact_json(id);
    contact["searchAfter"] = cursor;
    contact
}

#[tokio::test]
async fn search_streams_every_page_with_search_after() {
    let server = MockServer::start().await;
    let base = json!({"locationId": LOCATION, "pageLimit": 2});
    Mock::given(method("POST"))
        .and(path("/contacts/search"))
        .and(header("Version", "2021-07-28"))
        .and(header("Authorization", BEARER))
        .and(body_json(base.clone()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "contacts": [search_contact("c-1", json!([1, "c-1"])), search_contact("c-2", json!([2, "c-2"]))],
            "total": 3
        })))
        .expect(2) // once by the stream, once by `search_page` below
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/contacts/search"))
        .and(body_json(
            json!({"locationId": LOCATION, "pageLimit": 2, "searchAfter": [2, "c-2"]}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "contacts": [search_contact("c-3", json!([3, "c-3"]))],
            "total": 3
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/contacts/search"))
        .and(body_json(
            json!({"locationId": LOCATION, "pageLimit": 2, "searchAfter": [3, "c-3"]}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"contacts": [], "total": 3})))
        .expect(1)
        .mount(&server)
        .await;
    mount_catch_all(&server).await;
    let client = pit_client(&server);
    let query = SearchContacts::new().page_limit(2);
    let ids: Vec<String> = client
        .contacts()
        .search(query.clone())
        .map_ok(|c| c.id.into_inner())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(ids, ["c-1", "c-2", "c-3"]);
    let first = client.contacts().search_page(&query).await.unwrap();
    assert_eq!(first.total, Some(3));
    assert_eq!(
        serde_json::to_value(first.next.unwrap()).unwrap(),
        json!([2, "c-2"])
    );
}

#[tokio::test]
async fn search_stops_on_repeated_cursor_and_on_missing_cursor() {
    let server = MockServer::start().await;
    // A buggy server that always answers the same page with the same cursor.
    Mock::given(method("POST"))
        .and(path("/contacts/search"))
        .and(body_json(
            json!({"locationId": LOCATION, "pageLimit": 1, "query": "loop"}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "contacts": [search_contact("c-1", json!([1]))]
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/contacts/search"))
        .and(body_json(
            json!({"locationId": LOCATION, "pageLimit": 1, "query": "loop", "searchAfter": [1]}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "contacts": [search_contact("c-1", json!([1]))]
        })))
        .expect(1)
        .mount(&server)
        .await;
    // A page without any cursor ends the stream.
    Mock::given(method("POST"))
        .and(path("/contacts/search"))
        .and(body_json(
            json!({"locationId": LOCATION, "pageLimit": 1, "query": "nocursor"}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "contacts": [contact_json("c-5")]
        })))
        .expect(1)
        .mount(&server)
        .await;
    mount_catch_all(&server).await;
    let client = pit_client(&server);
    let looped: Vec<_> = client
        .contacts()
        .search_pages(SearchContacts::new().page_limit(1).query("loop"))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(
        looped.len(),
        2,
        "second page repeats the cursor and is the last"
    );
    let single: Vec<_> = client
        .contacts()
        .search(SearchContacts::new().page_limit(1).query("nocursor"))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(single.len(), 1);
}

#[test]
fn request_values_serialise_without_a_client() {
    // A dry run can build and count requests without sending them.
    let value = serde_json::to_value(upsert_request()).unwrap();
    assert_eq!(value["email"], "aoife@example.com");
    assert!(value.get("tags").is_none());
    assert!(value.get("locationId").is_none());
    let update = serde_json::to_value(UpdateContact::default()).unwrap();
    assert_eq!(update, json!({}));
    // One set of fields for every body: the update derived from the upsert drops what PUT does
    // not declare, and never carries tags or the location.
    let upsert = upsert_request()
        .gender("female")
        .company_name("Salon")
        .tags(["vip"]);
    let put = serde_json::to_value(UpdateContact::from(&upsert)).unwrap();
    assert_eq!(
        put,
        json!({
            "firstName": "Aoife",
            "lastName": "Byrne",
            "email": "aoife@example.com",
            "phone": "+353871234567",
            "dateOfBirth": "1990-05-17",
            "customFields": [{"id": "cf-loyalty", "field_value": "120"}]
        })
    );
}

/// Bodies the client cannot decode name the operation and the JSON path; an empty body says so.
#[tokio::test]
async fn decode_errors_name_the_operation_and_the_path() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/contacts/empty"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/contacts/bad"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "contact": {"id": "bad", "tags": ["ok", 7]}
        })))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/contacts/upsert"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"new": true})))
        .mount(&server)
        .await;
    mount_catch_all(&server).await;
    let client = pit_client(&server);
    let err = client
        .contacts()
        .get(&ContactId::from("empty"))
        .await
        .unwrap_err();
    match &err {
        ghl_client::Error::Decode {
            operation,
            path,
            message,
            ..
        } => {
            assert_eq!(operation, "GET /contacts/{id}");
            assert_eq!(path, ".");
            assert_eq!(message, "empty body");
        }
        other => panic!("{other:?}"),
    }
    let err = client
        .contacts()
        .get(&ContactId::from("bad"))
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("GET /contacts/{id} (status 200) at `contact.tags[1]`"),
        "{err}"
    );
    let err = client
        .contacts()
        .upsert(&UpsertContact::new().email("a@example.com"))
        .await
        .unwrap_err();
    match &err {
        ghl_client::Error::Decode { path, message, .. } => {
            assert_eq!(path, "contact");
            assert_eq!(message, "missing field `contact`");
        }
        other => panic!("{other:?}"),
    }
}
