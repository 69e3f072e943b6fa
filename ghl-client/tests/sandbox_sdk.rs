//! The GHL sandbox driven through the real SDK: the SDK's requests meet the sandbox's rules and
//! the sandbox's bodies meet the SDK's decoding.
#![cfg(feature = "mock")]

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use futures::TryStreamExt;
use ghl_client::calendars::{CreateAppointment, EventOwner, ListEvents, UpdateAppointment};
use ghl_client::contacts::{
    BulkUpdateTags, CreateContact, CreateNote, CustomFieldInput, SearchContacts, UpdateContact,
    UpsertContact,
};
use ghl_client::custom_fields::{CreateCustomField, CustomFieldDataType};
use ghl_client::mock::{Faults, GhlSandbox, SandboxConfig, SeedCalendar, SeedUser};
use ghl_client::products::{CreatePrice, CreateProduct, ListProducts, ProductType, UpdatePrice};
use ghl_client::users::SearchUsers;
use ghl_client::{Auth, Error, GhlClient, MemoryTokenStore, PriceId, RetryPolicy, Scope};

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

fn fast_retries() -> RetryPolicy {
    RetryPolicy::default()
        .max_attempts(6)
        .base_delay(Duration::from_millis(1))
        .max_delay(Duration::from_millis(20))
}

fn client(sandbox: &GhlSandbox, scopes: &[&str]) -> GhlClient {
    let token = sandbox.issue_private_token(scopes.iter().copied());
    sandbox
        .client_builder(&token)
        .retry_policy(fast_retries())
        .build()
        .unwrap()
}

fn person(first: &str, email: &str) -> UpsertContact {
    UpsertContact::new().first_name(first).email(email)
}

fn new_person(first: &str, email: &str) -> CreateContact {
    CreateContact::from(&person(first, email))
}

#[tokio::test]
async fn contacts_round_trip_through_the_sdk() {
    let sandbox = GhlSandbox::start(SandboxConfig::default()).await;
    let ghl = client(&sandbox, ALL_SCOPES);

    let first = ghl
        .contacts()
        .upsert(&person("Ada", "ada@example.com"))
        .await
        .unwrap();
    assert_eq!(first.created, Some(true));
    let id = first.contact.id.clone();
    let again = ghl
        .contacts()
        .upsert(&person("Ada", "ADA@example.com").phone("+353871234567"))
        .await
        .unwrap();
    assert_eq!(again.created, Some(false));
    assert_eq!(again.contact.id, id);
    assert_eq!(again.contact.phone.as_deref(), Some("+353871234567"));

    let tags = ghl
        .contacts()
        .add_tags(&id, &["phorest:vip".into(), "Salon-Owned".into()])
        .await
        .unwrap();
    assert_eq!(tags, ["phorest:vip", "salon-owned"]);
    let tags = ghl
        .contacts()
        .remove_tags(&id, &["phorest:vip".into()])
        .await
        .unwrap();
    assert_eq!(tags, ["salon-owned"]);

    // The update derived from the upsert's fields leaves out what PUT does not declare
    // (`gender`, `companyName`), which the sandbox would refuse.
    let fields = UpsertContact::new()
        .city("Cork")
        .gender("female")
        .company_name("Salon");
    let updated = ghl
        .contacts()
        .update(&id, &UpdateContact::from(&fields))
        .await
        .unwrap()
        .expect("the sandbox answers the contact");
    assert_eq!(updated.city.as_deref(), Some("Cork"));
    assert_eq!(
        updated.tags,
        ["salon-owned"],
        "an update without tags keeps them"
    );
    let put = sandbox
        .requests()
        .into_iter()
        .rev()
        .find(|r| r.method == "PUT")
        .unwrap();
    assert_eq!(put.body, Some(serde_json::json!({"city": "Cork"})));

    ghl.contacts()
        .create_note(&id, &CreateNote::new("Checked in"))
        .await
        .unwrap();
    let notes = ghl.contacts().list_notes(&id).await.unwrap();
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0].body.as_deref(), Some("Checked in"));

    let dup = ghl
        .contacts()
        .find_duplicate(None, Some("+353871234567"))
        .await
        .unwrap();
    assert_eq!(dup.map(|c| c.id), Some(id.clone()));
    let none = ghl
        .contacts()
        .find_duplicate(Some("nobody@example.com"), None)
        .await
        .unwrap();
    assert!(none.is_none());

    for i in 0..24 {
        ghl.contacts()
            .create(&new_person(&format!("C{i}"), &format!("c{i}@example.com")))
            .await
            .unwrap();
    }
    let all: Vec<_> = ghl
        .contacts()
        .search(SearchContacts::new().page_limit(10))
        .try_collect()
        .await
        .unwrap();
    let mut ids: Vec<&str> = all.iter().map(|c| c.id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 25, "every contact once, across pages");

    ghl.contacts().delete(&id).await.unwrap();
    assert!(sandbox.contact(id.as_str()).is_none());
    assert_eq!(sandbox.contacts().len(), 24);
}

#[tokio::test]
async fn sandbox_error_bodies_decode_to_typed_errors() {
    let sandbox = GhlSandbox::start(SandboxConfig::default()).await;
    let ghl = client(&sandbox, ALL_SCOPES);
    let existing = ghl
        .contacts()
        .create(&new_person("Ada", "ada@example.com"))
        .await
        .unwrap();

    match ghl
        .contacts()
        .create(&new_person("Other", "ada@example.com"))
        .await
    {
        Err(Error::DuplicateContact {
            existing_contact_id,
            matching_field,
            ..
        }) => {
            assert_eq!(existing_contact_id, Some(existing.id.clone()));
            assert_eq!(matching_field.as_deref(), Some("email"));
        }
        other => panic!("expected a duplicate, got {other:?}"),
    }

    let invalid = ghl
        .contacts()
        .create(&new_person("Bad", "not-an-email"))
        .await
        .unwrap_err();
    assert!(matches!(invalid, Error::Validation { .. }), "{invalid:?}");
    assert_eq!(invalid.status(), Some(422));
    assert!(invalid.to_string().contains("email must be an email"));

    // The sandbox answers an unknown contact like GHL: 400 "Contact with id … not found".
    let missing = ghl
        .contacts()
        .get(&"NoSuchContact0000000".into())
        .await
        .unwrap_err();
    assert!(matches!(missing, Error::NotFound { .. }), "{missing:?}");
    assert_eq!(missing.status(), Some(400));
}

#[tokio::test]
async fn missing_scopes_fail_in_preflight_and_never_refresh() {
    let sandbox = GhlSandbox::start(SandboxConfig::default()).await;
    let ghl = client(&sandbox, &["contacts.readonly", "products.readonly"]);

    let preflight = ghl
        .require_scopes(&[
            Scope::ProductsWrite,
            Scope::PricesWrite,
            Scope::ProductsReadonly,
        ])
        .unwrap_err();
    match &preflight {
        Error::MissingScopes { missing } => {
            assert_eq!(missing, &[Scope::ProductsWrite, Scope::PricesWrite]);
        }
        other => panic!("expected MissingScopes, got {other:?}"),
    }
    assert!(sandbox.requests().is_empty(), "the preflight sends nothing");

    let denied = ghl
        .products()
        .create(&CreateProduct::new("Shampoo", ProductType::Physical))
        .await
        .unwrap_err();
    assert!(matches!(denied, Error::MissingScope { .. }), "{denied:?}");
    assert!(sandbox.products().is_empty());
    assert_eq!(sandbox.count("POST", "/oauth/token"), 0);
}

#[tokio::test]
async fn a_concurrent_burst_completes_against_the_sandbox_limit() {
    let sandbox =
        GhlSandbox::start(SandboxConfig::default().rate_limit(20, Duration::from_millis(200)))
            .await;
    let ghl = client(&sandbox, ALL_SCOPES);
    let calendars = ghl.calendars();
    let calls = (0..60).map(|_| calendars.list());
    let answers = futures::future::join_all(calls).await;
    assert!(answers.iter().all(Result::is_ok));
    // Every 429 (if the pacer meets a window boundary early) was waited out and retried once.
    let limited = usize::try_from(sandbox.rate_limited_count()).unwrap();
    assert_eq!(sandbox.count("GET", "/calendars"), 60 + limited);
    assert!(
        sandbox
            .requests()
            .iter()
            .all(|r| r.status == 200 || r.status == 429)
    );
}

#[tokio::test]
async fn oauth_tokens_refresh_once_after_expiry_even_under_concurrency() {
    let sandbox = GhlSandbox::start(SandboxConfig::default()).await;
    let tokens = sandbox.issue_oauth_tokens(ALL_SCOPES.iter().copied());
    let store = Arc::new(MemoryTokenStore::with_tokens(tokens.token_set()));
    let ghl = GhlClient::builder()
        .base_url(sandbox.base_url())
        .location_id(sandbox.location_id())
        .auth(Auth::oauth(
            sandbox.oauth_app(),
            tokens.token_set(),
            store.clone(),
        ))
        .retry_policy(fast_retries())
        .build()
        .unwrap();
    ghl.calendars().list().await.unwrap();

    sandbox.expire_tokens();
    let calendars = ghl.calendars();
    let answers = futures::future::join_all((0..8).map(|_| calendars.list())).await;
    assert!(answers.iter().all(Result::is_ok), "{answers:?}");
    assert_eq!(
        sandbox.count("POST", "/oauth/token"),
        1,
        "single-flight refresh"
    );
    assert_eq!(store.save_count(), 1);
    let saved = store.current().unwrap();
    assert!(saved.refresh_token.is_some());
    assert_eq!(
        saved.location_id.as_ref().map(|l| l.as_str()),
        Some(sandbox.location_id())
    );
}

#[tokio::test]
async fn server_errors_are_retried_and_ambiguous_creates_are_not() {
    let sandbox = GhlSandbox::start(SandboxConfig::default()).await;
    let ghl = client(&sandbox, ALL_SCOPES);
    sandbox.set_faults(Faults {
        server_error_rate: 0.4,
        seed: 11,
        ..Faults::default()
    });
    for _ in 0..10 {
        ghl.calendars().list().await.unwrap();
    }
    let failures = sandbox
        .requests()
        .iter()
        .filter(|r| r.status >= 500)
        .count();
    assert!(failures > 0, "the seed injects some 5xx");
    assert_eq!(sandbox.count("GET", "/calendars"), 10 + failures);

    sandbox.set_faults(Faults {
        fail_after_apply: 1,
        ..Faults::default()
    });
    sandbox.reset_counters();
    let err = ghl
        .contacts()
        .create(&new_person("Maybe", "maybe@example.com"))
        .await
        .unwrap_err();
    assert!(err.may_have_been_applied(), "{err:?}");
    assert_eq!(
        sandbox.count("POST", "/contacts/"),
        1,
        "a plain create is not retried blindly"
    );
    assert_eq!(sandbox.contacts().len(), 1, "and it was in fact applied");
}

fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<chrono::FixedOffset> {
    chrono::FixedOffset::west_opt(4 * 3600)
        .unwrap()
        .with_ymd_and_hms(y, mo, d, h, mi, 0)
        .unwrap()
}

#[tokio::test]
async fn calendars_users_locations_fields_and_products_through_the_sdk() {
    let ann = SeedUser::new("Ann", "Lee", "ann@salon.example");
    let calendar = SeedCalendar::new("Salon").team_member(&ann.id);
    let sandbox = GhlSandbox::start(
        SandboxConfig::default()
            .with_user(ann.clone())
            .with_calendar(calendar.clone()),
    )
    .await;
    let ghl = client(&sandbox, ALL_SCOPES);

    // Users through `GET /users/search`, with the company id `GET /locations/{id}` names.
    let location = ghl.locations().get_current().await.unwrap();
    assert_eq!(location.timezone.as_deref(), Some("America/Toronto"));
    let company = location.company_id.clone().unwrap();
    let users: Vec<_> = ghl
        .users()
        .search(SearchUsers::new(company.clone()).location_id(location.id.clone()))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(users.len(), 1);
    assert_eq!(users[0].id.as_str(), ann.id);
    let query = sandbox.requests().last().unwrap().query.clone().unwrap();
    assert!(query.contains(&format!("companyId={company}")), "{query}");
    // The deprecated list still answers the same users.
    #[allow(deprecated)]
    let listed = ghl.users().list().await.unwrap();
    assert_eq!(listed.len(), 1);

    let field = ghl
        .custom_fields()
        .create(&CreateCustomField::contact(
            "Loyalty Points",
            CustomFieldDataType::Numerical,
        ))
        .await
        .unwrap();
    assert_eq!(field.field_key.as_deref(), Some("contact.loyalty_points"));
    assert_eq!(
        ghl.custom_fields()
            .list(Some("contact"))
            .await
            .unwrap()
            .len(),
        1
    );

    let calendars = ghl.calendars().list().await.unwrap();
    assert_eq!(calendars[0].id.as_str(), calendar.id);
    let contact = ghl
        .contacts()
        .create(&new_person("Client", "client@example.com"))
        .await
        .unwrap();
    let booking = CreateAppointment::new(
        calendar.id.as_str(),
        contact.id.clone(),
        at(2025, 3, 28, 10, 0),
        at(2025, 3, 28, 10, 45),
    )
    .assigned_user_id(ann.id.as_str())
    .ignore_free_slot_validation(true)
    .to_notify(false);
    let appointment = ghl.calendars().create_appointment(&booking).await.unwrap();
    assert_eq!(
        appointment.assigned_user_id.as_ref().map(|u| u.as_str()),
        Some(ann.id.as_str())
    );

    let moved = ghl
        .calendars()
        .update_appointment(
            &appointment.id,
            &UpdateAppointment::new()
                .start_time(at(2025, 3, 28, 11, 0))
                .end_time(at(2025, 3, 28, 11, 30)),
        )
        .await
        .unwrap();
    assert_eq!(moved.id, appointment.id);
    let events = ghl
        .calendars()
        .list_events(&ListEvents::new(
            EventOwner::Calendar(calendar.id.as_str().into()),
            Utc.with_ymd_and_hms(2025, 3, 28, 0, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(2025, 3, 29, 0, 0, 0).unwrap(),
        ))
        .await
        .unwrap();
    assert_eq!(events.len(), 1);
    ghl.calendars()
        .delete_appointment(&appointment.id)
        .await
        .unwrap();
    assert!(sandbox.appointments().is_empty());

    let product = ghl
        .products()
        .create(&CreateProduct::new("Shampoo 250ml", ProductType::Physical))
        .await
        .unwrap();
    ghl.products()
        .create_price(&product.id, &CreatePrice::one_time("Retail", "CAD", 24.5))
        .await
        .unwrap();
    let listed = ghl.products().list(&ListProducts::default()).await.unwrap();
    assert_eq!(listed.total, Some(1));
    assert_eq!(listed.products[0].id, product.id);
    let prices = ghl.products().list_prices(&product.id).await.unwrap();
    assert_eq!(prices[0].amount, Some(24.5));
    assert_eq!(sandbox.prices(product.id.as_str()).len(), 1);

    // The product update carries no query string (the sandbox refuses undeclared ones).
    let renamed = CreateProduct::new("Shampoo 300ml", ProductType::Physical);
    let product_after = ghl.products().update(&product.id, &renamed).await.unwrap();
    assert_eq!(product_after.name.as_deref(), Some("Shampoo 300ml"));
    let changed = UpdatePrice::one_time("Retail", "CAD", 26.0).sku("SH-250");
    let updated = ghl
        .products()
        .update_price(&product.id, &prices[0].id, &changed)
        .await
        .unwrap();
    assert_eq!(updated.id, prices[0].id);
    assert_eq!(updated.product.as_ref(), Some(&product.id));
    assert_eq!(updated.amount, Some(26.0));
    // The SKU is stored but, like GHL's documented price answers, not echoed.
    assert_eq!(updated.sku, None);
    let stored = sandbox.prices(product.id.as_str());
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0]["amount"], serde_json::json!(26.0));
    assert_eq!(stored[0]["sku"], "SH-250");
    let missing = ghl
        .products()
        .update_price(&product.id, &PriceId::from("nope"), &changed)
        .await
        .unwrap_err();
    assert!(matches!(missing, Error::NotFound { .. }), "{missing:?}");
}

/// Custom field values written by key reach the sandbox by id (it requires `id`, as every
/// branch of GHL's schema does); numbers are sent and stored as text.
#[tokio::test]
async fn custom_field_values_by_key_are_resolved_by_the_sdk() {
    let sandbox = GhlSandbox::start(
        SandboxConfig::default().with_custom_field("Loyalty Points", "NUMERICAL"),
    )
    .await;
    let ghl = client(&sandbox, ALL_SCOPES);
    let created = ghl
        .contacts()
        .upsert(
            &person("Ada", "ada@example.com")
                .custom_field(CustomFieldInput::by_key("contact.loyalty_points", 120)),
        )
        .await
        .unwrap();
    let field_id = sandbox.custom_fields()[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        created.contact.custom_fields[0]
            .id
            .as_ref()
            .map(|i| i.as_str()),
        Some(field_id.as_str())
    );
    assert_eq!(
        created.contact.custom_fields[0].value,
        Some(serde_json::json!("120"))
    );
    let upsert = sandbox
        .requests()
        .into_iter()
        .find(|r| r.path == "/contacts/upsert")
        .unwrap();
    assert_eq!(
        upsert.body.unwrap()["customFields"],
        serde_json::json!([{"id": field_id, "field_value": "120"}])
    );
    // A second write by key uses the cached id: no second list request.
    ghl.contacts()
        .set_custom_fields(
            &created.contact.id,
            &[CustomFieldInput::by_key("loyalty_points", 130)],
        )
        .await
        .unwrap();
    assert_eq!(sandbox.count("GET", "/locations"), 1);
}

#[tokio::test]
async fn bulk_tag_updates_through_the_sdk() {
    let sandbox = GhlSandbox::start(SandboxConfig::default()).await;
    let ghl = client(&sandbox, ALL_SCOPES);
    let a = ghl
        .contacts()
        .create(&new_person("A", "a@example.com"))
        .await
        .unwrap();
    let b = ghl
        .contacts()
        .create(&new_person("B", "b@example.com"))
        .await
        .unwrap();
    let outcome = ghl
        .contacts()
        .bulk_update_tags(&BulkUpdateTags::add(
            [a.id.clone(), b.id.clone(), "NoSuchContact0000000".into()],
            ["phorest:vip", "Promo"],
        ))
        .await
        .unwrap();
    assert_eq!(outcome.error_count, Some(1));
    assert_eq!(outcome.failures().count(), 1);
    for id in [&a.id, &b.id] {
        assert_eq!(
            sandbox.contact(id.as_str()).unwrap()["tags"],
            serde_json::json!(["phorest:vip", "promo"])
        );
    }
    ghl.contacts()
        .bulk_update_tags(&BulkUpdateTags::remove([a.id.clone()], ["promo"]))
        .await
        .unwrap();
    assert_eq!(
        sandbox.contact(a.id.as_str()).unwrap()["tags"],
        serde_json::json!(["phorest:vip"])
    );
}

/// GHL's OpenAPI marks `redirect_uri` optional on the code exchange: the SDK's exchange without
/// one succeeds against the sandbox.
#[tokio::test]
async fn an_authorization_code_is_exchanged_without_a_redirect_uri() {
    let sandbox = GhlSandbox::start(SandboxConfig::default()).await;
    let code = sandbox.issue_authorization_code(["contacts.readonly"]);
    let ghl = client(&sandbox, ALL_SCOPES);
    let tokens = ghl
        .oauth()
        .exchange_code(&sandbox.oauth_app(), &code, None)
        .await
        .unwrap();
    assert_eq!(tokens.scopes, [Scope::ContactsReadonly]);
    assert!(tokens.refresh_token.is_some());
}
