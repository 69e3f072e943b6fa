//! Mapper tests: Phorest records (decoded from API-shaped JSON) → GHL request bodies.

use std::collections::HashMap;

use chrono_tz::Tz;
use ghl_client::calendars::AppointmentStatus;
use ghl_client::users::User;
use ghl_client::{CalendarId, ContactId, CustomFieldId, UserId};
use phorest_client::{Appointment, Client, ClientCategory, Product, Staff, parse_transactions};
use serde_json::{Value, json};
use sync_core::mappers::*;
use sync_core::normalize::{EmailIssue, PhoneIssue};

fn client(v: Value) -> Client {
    serde_json::from_value(v).unwrap()
}

fn base_client(id: &str) -> Value {
    json!({
        "clientId": id,
        "version": 3,
        "firstName": "Mary",
        "lastName": "Byrne",
        "email": "Mary.Byrne@Example.ie",
        "mobile": "353871234567",
        "createdAt": "2020-01-01T10:00:00.000Z",
        "clientCategoryIds": [],
    })
}

fn with(mut v: Value, patch: Value) -> Value {
    if let (Some(obj), Some(p)) = (v.as_object_mut(), patch.as_object()) {
        for (k, val) in p {
            obj.insert(k.clone(), val.clone());
        }
    }
    v
}

struct Fixture {
    options: MapperOptions,
    categories: HashMap<String, String>,
}

impl Fixture {
    fn new() -> Self {
        Fixture {
            options: MapperOptions::default(),
            categories: HashMap::from([
                ("cat-vip".to_owned(), "VIP Clients".to_owned()),
                ("cat-odd".to_owned(), "  Colour & Cut!! ".to_owned()),
                ("cat-blank".to_owned(), "***".to_owned()),
            ]),
        }
    }

    fn ctx<'a>(&'a self, identities: Option<&'a SharedIdentityIndex>) -> ClientContext<'a> {
        ClientContext {
            options: &self.options,
            region: Some("IE"),
            categories: &self.categories,
            walk_in_id: Some("WALKIN"),
            identities,
        }
    }

    fn map(&self, v: Value) -> Result<MappedContact, SkipReason> {
        map_client(&client(v), &self.ctx(None))
    }
}

#[test]
fn full_client_maps_to_the_exact_upsert_body() {
    let f = Fixture::new();
    let c = with(
        base_client("66WKN5tEbStscxncGo9Ujw"),
        json!({
            "firstName": "  Mary  Ann ",
            "lastName": " O'Brien-Ní Fhaoláin ",
            "landLine": "01 234 5678",
            "gender": "FEMALE",
            "birthDate": "1985-07-14",
            "address": {
                "streetAddress1": " 12 Main St ",
                "streetAddress2": "Apt 4",
                "city": "Dublin",
                "state": "Co. Dublin",
                "postalCode": "D02 X285",
                "country": "ie"
            },
            "smsMarketingConsent": false,
            "emailMarketingConsent": false,
            "clientCategoryIds": ["cat-vip", "cat-odd"],
            "banned": true,
            "someFieldPhorestAddsLater": {"x": 1}
        }),
    );
    let mapped = f.map(c).unwrap();
    assert_eq!(
        serde_json::to_value(&mapped.request).unwrap(),
        json!({
            "firstName": "Mary Ann",
            "lastName": "O'Brien-Ní Fhaoláin",
            "name": "Mary Ann O'Brien-Ní Fhaoláin",
            "email": "mary.byrne@example.ie",
            "phone": "+353871234567",
            "address1": "12 Main St, Apt 4",
            "city": "Dublin",
            "state": "Co. Dublin",
            "postalCode": "D02 X285",
            "country": "IE",
            "dateOfBirth": "1985-07-14",
            "gender": "female",
            "source": "phorest"
        })
    );
    assert_eq!(
        mapped.tags,
        [
            "phorest-client-id:66wkn5tebstscxncgo9ujw",
            "phorest:banned",
            "phorest:category:colour-cut",
            "phorest:category:vip-clients",
        ]
    );
    assert!(mapped.warnings.is_empty(), "{:?}", mapped.warnings);
    assert_eq!(
        mapped.request.get_tags(),
        None,
        "tags are never sent in the body"
    );
    assert!(mapped.has_identifier());
    let update = serde_json::to_value(mapped.update_body()).unwrap();
    let mut expected = serde_json::to_value(&mapped.request).unwrap();
    let obj = expected.as_object_mut().unwrap();
    obj.remove("gender");
    obj.remove("source");
    assert_eq!(update, expected);
}

#[test]
fn lifecycle_skips_and_state_tags() {
    let mut f = Fixture::new();
    assert_eq!(
        f.map(base_client("WALKIN")).unwrap_err(),
        SkipReason::WalkIn
    );
    let merged = f
        .map(with(base_client("c1"), json!({"mergedToClientId": "c9"})))
        .unwrap_err();
    assert_eq!(merged.to_string(), "merged into c9");
    assert_eq!(
        f.map(with(base_client("c1"), json!({"mergedToClientId": ""})))
            .unwrap()
            .tags
            .len(),
        1
    );
    assert_eq!(
        f.map(with(base_client("c1"), json!({"deleted": true})))
            .unwrap_err(),
        SkipReason::Deleted
    );
    assert_eq!(tombstone_tag(&f.options.tags), "phorest:deleted");

    let archived = with(base_client("c1"), json!({"archived": true}));
    assert!(
        f.map(archived.clone())
            .unwrap()
            .tags
            .contains(&"phorest:archived".to_owned())
    );
    f.options.archived_clients = ArchivedPolicy::Skip;
    assert_eq!(f.map(archived).unwrap_err(), SkipReason::Archived);
}

#[test]
fn invalid_email_with_valid_phone_syncs_without_email() {
    let f = Fixture::new();
    let m = f
        .map(with(base_client("c1"), json!({"email": "mary@gmail"})))
        .unwrap();
    assert_eq!(m.request.get_email(), None);
    assert_eq!(
        m.request.get_phone().map(String::as_str),
        Some("+353871234567")
    );
    assert_eq!(
        m.warnings,
        [format!("email left out: {}", EmailIssue::Invalid)]
    );
}

#[test]
fn invalid_phone_with_valid_email_syncs_without_phone() {
    let f = Fixture::new();
    let m = f
        .map(with(base_client("c1"), json!({"mobile": "087 12"})))
        .unwrap();
    assert_eq!(m.request.get_phone(), None);
    assert_eq!(
        m.request.get_email().map(String::as_str),
        Some("mary.byrne@example.ie")
    );
    assert_eq!(
        m.warnings,
        [format!("phone left out: {}", PhoneIssue::TooShort)]
    );
}

#[test]
fn local_numbers_use_the_branch_country_and_landline_fallback() {
    let mut f = Fixture::new();
    let local = with(
        base_client("c1"),
        json!({"email": null, "mobile": "087-123 4567"}),
    );
    assert_eq!(
        f.map(local)
            .unwrap()
            .request
            .get_phone()
            .map(String::as_str),
        Some("+353871234567")
    );
    let landline_only = with(
        base_client("c1"),
        json!({"email": "", "mobile": null, "landLine": "(01) 234 5678"}),
    );
    assert_eq!(
        f.map(landline_only.clone())
            .unwrap()
            .request
            .get_phone()
            .map(String::as_str),
        Some("+35312345678")
    );
    f.options.landline_fallback = false;
    assert_eq!(
        f.map(landline_only).unwrap_err(),
        SkipReason::NoContactPoint {
            email: None,
            phone: None
        }
    );
}

#[test]
fn neither_email_nor_phone_is_skipped_unless_name_only_is_allowed() {
    let mut f = Fixture::new();
    let nothing = with(base_client("c1"), json!({"email": null, "mobile": null}));
    let err = f.map(nothing.clone()).unwrap_err();
    assert_eq!(err.to_string(), "no email or phone");

    let broken = with(base_client("c1"), json!({"email": "n/a", "mobile": "none"}));
    let reason = f.map(broken).unwrap_err().to_string();
    assert!(reason.starts_with("no email or phone (email: "), "{reason}");
    assert!(
        reason.contains("phone: phone number contains letters"),
        "{reason}"
    );

    f.options.allow_name_only = true;
    let m = f.map(nothing).unwrap();
    assert!(!m.has_identifier());
    assert_eq!(
        serde_json::to_value(&m.request).unwrap(),
        json!({"firstName": "Mary", "lastName": "Byrne", "name": "Mary Byrne", "source": "phorest"})
    );
    // Nothing at all to show: still skipped.
    let blank = json!({"clientId": "c2", "firstName": " ", "lastName": null});
    assert!(matches!(
        f.map(blank),
        Err(SkipReason::NoContactPoint { .. })
    ));
}

#[test]
fn odd_names_and_unicode() {
    let f = Fixture::new();
    for (first, last, name) in [
        ("Zoë", "Ó Súilleabháin", "Zoë Ó Súilleabháin"),
        ("  ", "Ng", "Ng"),
        ("李", "小龙", "李 小龙"),
        ("Anne-Marie\t", "\nD'Arcy", "Anne-Marie D'Arcy"),
        ("💇 Sam", "", "💇 Sam"),
    ] {
        let m = f
            .map(with(
                base_client("c1"),
                json!({"firstName": first, "lastName": last}),
            ))
            .unwrap();
        assert_eq!(m.request.get_name().map(String::as_str), Some(name));
    }
    let m = f
        .map(with(
            base_client("c1"),
            json!({"firstName": null, "lastName": null}),
        ))
        .unwrap();
    assert_eq!(
        (m.request.get_first_name(), m.request.get_name()),
        (None, None)
    );
}

#[test]
fn placeholder_birth_years_gender_and_country_codes() {
    let f = Fixture::new();
    let m = f
        .map(with(
            base_client("c1"),
            json!({"birthDate": "1800-01-01", "gender": "NON_BINARY", "address": {"country": "Ireland", "city": " "}}),
        ))
        .unwrap();
    assert_eq!(m.request.get_date_of_birth(), None);
    assert_eq!(m.request.get_gender(), None);
    assert_eq!(m.request.get_country(), None);
    assert_eq!(m.request.get_city(), None);
    let m = f
        .map(with(base_client("c1"), json!({"gender": "MALE"})))
        .unwrap();
    assert_eq!(m.request.get_gender().map(String::as_str), Some("male"));
}

#[test]
fn consent_to_dnd_policies() {
    let mut f = Fixture::new();
    let c = with(
        base_client("c1"),
        json!({"smsMarketingConsent": false, "emailMarketingConsent": true}),
    );
    // Default: DND is never touched.
    assert_eq!(f.map(c.clone()).unwrap().request.get_dnd_settings(), None);

    f.options.consent_dnd = ConsentDnd::OptOutWhenFalse;
    let body = serde_json::to_value(f.map(c.clone()).unwrap().request).unwrap();
    assert_eq!(body["dndSettings"], json!({"SMS": {"status": "active"}}));

    f.options.consent_dnd = ConsentDnd::Mirror;
    let body = serde_json::to_value(f.map(c).unwrap().request).unwrap();
    assert_eq!(
        body["dndSettings"],
        json!({"SMS": {"status": "active"}, "Email": {"status": "inactive"}})
    );

    f.options.consent_dnd = ConsentDnd::OptOutWhenFalse;
    let consenting = with(
        base_client("c1"),
        json!({"smsMarketingConsent": true, "emailMarketingConsent": true}),
    );
    assert_eq!(f.map(consenting).unwrap().request.get_dnd_settings(), None);
}

#[test]
fn unknown_or_unusable_categories_are_warnings() {
    let f = Fixture::new();
    let m = f
        .map(with(
            base_client("c1"),
            json!({"clientCategoryIds": ["cat-vip", "nope", "cat-blank"]}),
        ))
        .unwrap();
    assert_eq!(
        m.tags,
        ["phorest-client-id:c1", "phorest:category:vip-clients"]
    );
    assert_eq!(
        m.warnings,
        [
            "unknown client category nope; no tag added",
            "client category cat-blank has no usable name; no tag added"
        ]
    );
}

#[test]
fn custom_tag_prefix_is_used() {
    let mut f = Fixture::new();
    f.options.tags = sync_core::tags::TagPolicy::with_prefix("salon:");
    let m = f
        .map(with(
            base_client("c1"),
            json!({"clientCategoryIds": ["cat-vip"], "banned": true}),
        ))
        .unwrap();
    assert_eq!(
        m.tags,
        [
            "phorest-client-id:c1",
            "salon:banned",
            "salon:category:vip-clients"
        ]
    );
}

fn family() -> Vec<Client> {
    vec![
        // The parent: created first, keeps the shared identifiers.
        client(with(
            base_client("parent"),
            json!({"email": "family@example.ie", "mobile": "0871234567", "createdAt": "2015-05-05T09:00:00Z"}),
        )),
        // A child with the same email and mobile and nothing else.
        client(with(
            base_client("child"),
            json!({"firstName": "Aoife", "email": "FAMILY@example.ie ", "mobile": "+353 87 123 4567", "createdAt": "2021-01-01T09:00:00Z"}),
        )),
        // A partner sharing only the email, with their own mobile.
        client(with(
            base_client("partner"),
            json!({"email": "family@example.ie", "mobile": "0861234567", "createdAt": "2019-01-01T09:00:00Z"}),
        )),
        // A merged duplicate of the parent claims nothing.
        client(with(
            base_client("dup"),
            json!({"email": "family@example.ie", "mergedToClientId": "parent", "createdAt": "2010-01-01T09:00:00Z"}),
        )),
        client(with(
            base_client("solo"),
            json!({"email": "solo@example.ie", "mobile": "0851234567"}),
        )),
    ]
}

#[test]
fn shared_identities_first_claimant_keeps_them() {
    let f = Fixture::new();
    let clients = family();
    let index = detect_shared_identities(&clients, &f.ctx(None));
    assert_eq!(index.shared_count(), 2);
    let ctx = f.ctx(Some(&index));
    let by_id = |id: &str| clients.iter().find(|c| c.client_id.as_str() == id).unwrap();

    let parent = map_client(by_id("parent"), &ctx).unwrap();
    assert_eq!(
        parent.request.get_email().map(String::as_str),
        Some("family@example.ie")
    );
    assert_eq!(
        parent.request.get_phone().map(String::as_str),
        Some("+353871234567")
    );
    assert_eq!(
        parent.warnings,
        [
            "email also used by client(s) partner, child; this client keeps it",
            "phone also used by client(s) child; this client keeps it"
        ]
    );

    let partner = map_client(by_id("partner"), &ctx).unwrap();
    assert_eq!(partner.request.get_email(), None);
    assert_eq!(
        partner.request.get_phone().map(String::as_str),
        Some("+353861234567")
    );
    assert_eq!(
        partner.warnings,
        ["email left out: it belongs to client parent (shared with parent, child)"]
    );

    let child = map_client(by_id("child"), &ctx).unwrap_err();
    assert_eq!(
        child,
        SkipReason::SharedIdentity {
            identifiers: "email and phone".into(),
            others: vec!["parent".into(), "partner".into()],
        }
    );
    assert!(map_client(by_id("solo"), &ctx).unwrap().warnings.is_empty());
    assert_eq!(
        map_client(by_id("dup"), &ctx).unwrap_err().to_string(),
        "merged into parent"
    );

    // Streaming page by page gives the same index.
    let mut streamed = SharedIdentityIndex::new();
    for page in clients.chunks(2) {
        for c in page {
            add_client_claims(&mut streamed, c, &f.ctx(None));
        }
    }
    streamed.finish();
    let ctx_streamed = f.ctx(Some(&streamed));
    for c in &clients {
        assert_eq!(
            map_client(c, &ctx).map(|m| m.request),
            map_client(c, &ctx_streamed).map(|m| m.request)
        );
    }

    // The result does not depend on the order clients were read in.
    let mut reversed = clients.clone();
    reversed.reverse();
    let index2 = detect_shared_identities(&reversed, &f.ctx(None));
    let ctx2 = f.ctx(Some(&index2));
    for c in &clients {
        assert_eq!(
            map_client(c, &ctx).map(|m| m.request),
            map_client(c, &ctx2).map(|m| m.request)
        );
    }
}

#[test]
fn shared_identities_skip_policy_skips_everyone_involved() {
    let mut f = Fixture::new();
    f.options.shared_identity = SharedIdentityPolicy::Skip;
    let clients = family();
    let index = detect_shared_identities(&clients, &f.ctx(None));
    let ctx = f.ctx(Some(&index));
    let reason = map_client(&clients[0], &ctx).unwrap_err();
    assert_eq!(
        reason.to_string(),
        "email and phone shared with client(s) child, partner; give each client their own in Phorest"
    );
    assert!(matches!(
        map_client(&clients[2], &ctx),
        Err(SkipReason::SharedIdentity { .. })
    ));
    assert!(map_client(&clients[4], &ctx).is_ok());
}

fn staff(v: Value) -> Staff {
    serde_json::from_value(v).unwrap()
}

#[test]
fn staff_contacts_carry_staff_tags_and_validated_identifiers() {
    let o = MapperOptions::default();
    let s = staff(
        json!({"staffId": "xdZao0xz5f7b2-Vt_3GiaA", "firstName": "Jo", "lastName": "Bloggs", "email": " JO@Salon.IE ", "mobile": "0871112223"}),
    );
    let m = map_staff(&s, &o, Some("IE")).unwrap();
    assert_eq!(
        serde_json::to_value(&m.request).unwrap(),
        json!({"firstName": "Jo", "lastName": "Bloggs", "name": "Jo Bloggs", "email": "jo@salon.ie", "phone": "+353871112223", "source": "phorest"})
    );
    assert_eq!(
        m.tags,
        [
            "phorest-staff-id:xdzao0xz5f7b2-vt_3giaa",
            "phorest-staff:true",
            "role:staff"
        ]
    );

    // The seed's 422 "invalid email format": now a warning, synced by phone.
    let bad_email = staff(
        json!({"staffId": "66WKN5tEbStscxncGo9Ujw", "firstName": "Al", "email": "al@salon", "mobile": "0871112224"}),
    );
    let m = map_staff(&bad_email, &o, Some("IE")).unwrap();
    assert_eq!(m.request.get_email(), None);
    assert_eq!(
        m.warnings,
        [format!("email left out: {}", EmailIssue::Invalid)]
    );

    // The seed's 400 "missing email/phone": now a skip with a reason.
    let none = staff(json!({"staffId": "0DCFfgXT4_qp32LqkoOQrg", "firstName": "Pat"}));
    assert_eq!(
        map_staff(&none, &o, Some("IE")).unwrap_err().to_string(),
        "no email or phone"
    );

    let archived = staff(
        json!({"staffId": "s9", "firstName": "Old", "email": "old@salon.ie", "archived": true}),
    );
    assert_eq!(
        map_staff(&archived, &o, Some("IE")).unwrap_err(),
        SkipReason::Archived
    );
    let keep = MapperOptions {
        skip_archived_staff: false,
        ..MapperOptions::default()
    };
    assert!(map_staff(&archived, &keep, Some("IE")).is_ok());
}

#[test]
fn staff_are_matched_to_users_by_email_or_override() {
    let users: Vec<User> = serde_json::from_value(json!([
        {"id": "u1", "name": "Jo Bloggs", "email": "Jo@Salon.ie"},
        {"id": "u2", "email": "twin@salon.ie"},
        {"id": "u3", "email": "TWIN@salon.ie"},
        {"id": "u4", "email": null},
    ]))
    .unwrap();
    let staff_list = vec![
        staff(json!({"staffId": "s1", "email": " jo@SALON.ie"})),
        staff(json!({"staffId": "s2", "email": "twin@salon.ie"})),
        staff(json!({"staffId": "s3", "email": "nobody@salon.ie"})),
        staff(json!({"staffId": "s4"})),
        staff(json!({"staffId": "s5", "email": "whatever@salon.ie"})),
    ];
    let overrides = HashMap::from([("s5".to_owned(), UserId::new("u4"))]);
    let map = match_staff_users(&staff_list, &users, &overrides);
    assert_eq!(map.user_for("s1"), Some(&UserId::new("u1")));
    assert_eq!(map.matched["s1"].matched_by, MatchedBy::Email);
    assert_eq!(map.matched["s5"].matched_by, MatchedBy::Override);
    assert_eq!(map.user_for("s5"), Some(&UserId::new("u4")));
    assert_eq!(map.unmatched.keys().collect::<Vec<_>>(), ["s2", "s3", "s4"]);
    assert!(map.unmatched["s2"].contains("2 GHL users share"));
    assert!(map.unmatched["s3"].contains("no GHL user with this"));
    assert!(map.unmatched["s4"].contains("no valid email"));
    assert_eq!(map.to_user_ids().len(), 2);
}

#[test]
fn categories_become_slugged_tags() {
    let cats: Vec<ClientCategory> = serde_json::from_value(json!([
        {"clientCategoryId": "a", "name": "VIP Clients", "colour": "#fff"},
        {"clientCategoryId": "b", "name": "Über-Stammkunden ✨"},
        {"clientCategoryId": "c", "name": " - "},
        {"clientCategoryId": "d"},
    ]))
    .unwrap();
    let policy = sync_core::tags::TagPolicy::default();
    assert_eq!(
        category_tag(&cats[0], &policy).unwrap(),
        "phorest:category:vip-clients"
    );
    assert_eq!(
        category_tag(&cats[1], &policy).unwrap(),
        "phorest:category:über-stammkunden"
    );
    assert!(category_tag(&cats[2], &policy).is_err());
    assert!(category_tag(&cats[3], &policy).is_err());
    let names = category_names(&cats);
    assert_eq!(names.get("a").map(String::as_str), Some("VIP Clients"));
    assert!(!names.contains_key("d"));
}

#[test]
fn loyalty_points_and_tiers() {
    let o = MapperOptions::default();
    let field = CustomFieldId::new("cf-points");
    let gold = client(with(
        base_client("c1"),
        json!({"loyaltyCard": {"serial": "L1", "points": 1250.0}}),
    ));
    let m = map_loyalty(&gold, &field, &o).unwrap();
    assert_eq!(
        serde_json::to_value(&m.custom_field).unwrap(),
        json!({"id": "cf-points", "field_value": "1250"})
    );
    assert_eq!(
        (m.tier.as_str(), m.tier_tag.as_str()),
        ("gold", "phorest:loyalty:gold")
    );

    let frac = client(with(
        base_client("c1"),
        json!({"loyaltyCard": {"serial": "L2", "points": 99.5}}),
    ));
    let m = map_loyalty(&frac, &field, &o).unwrap();
    assert_eq!(*m.custom_field.value(), json!("99.5"));
    assert_eq!(m.tier_tag, "phorest:loyalty:member");

    let no_points = client(with(
        base_client("c1"),
        json!({"loyaltyCard": {"serial": "L3", "points": null}}),
    ));
    assert_eq!(map_loyalty(&no_points, &field, &o).unwrap().points, 0.0);
    let no_card = client(base_client("c1"));
    assert_eq!(
        map_loyalty(&no_card, &field, &o).unwrap_err().to_string(),
        "no loyalty card"
    );
}

fn product(v: Value) -> Product {
    serde_json::from_value(v).unwrap()
}

#[test]
fn products_map_to_product_and_price_bodies() {
    let o = MapperOptions::default();
    let p = product(
        json!({"productId": "p1", "name": " Olaplex No.3 ", "brandName": "Olaplex", "categoryName": "Treatments", "price": 28.499, "code": "OLA3", "barcode": "123"}),
    );
    let m = map_product(&p, Some("eur"), &o).unwrap();
    assert_eq!(
        serde_json::to_value(&m.product).unwrap(),
        json!({"name": "Olaplex No.3", "productType": "PHYSICAL", "description": "Olaplex · Treatments", "availableInStore": true})
    );
    assert_eq!(
        serde_json::to_value(m.price.as_ref().unwrap()).unwrap(),
        json!({"name": "Olaplex No.3", "type": "one_time", "currency": "EUR", "amount": 28.5, "sku": "OLA3"})
    );
    assert!(m.warnings.is_empty());

    let archived =
        product(json!({"productId": "p2", "name": "Old", "archived": true, "price": 1.0}));
    assert_eq!(
        map_product(&archived, Some("EUR"), &o).unwrap_err(),
        SkipReason::Archived
    );
    let nameless = product(json!({"productId": "p3", "name": "  ", "price": 1.0}));
    assert!(matches!(
        map_product(&nameless, Some("EUR"), &o),
        Err(SkipReason::InvalidData { .. })
    ));

    let no_price = product(json!({"productId": "p4", "name": "Comb"}));
    let m = map_product(&no_price, Some("EUR"), &o).unwrap();
    assert_eq!((m.price, m.warnings.len()), (None, 1));
    let bad_currency = product(json!({"productId": "p5", "name": "Comb", "price": 3.0}));
    let m = map_product(&bad_currency, Some("euro"), &o).unwrap();
    assert!(m.price.is_none());
    assert!(m.warnings[0].contains("currency"));
    let negative = product(json!({"productId": "p6", "name": "Refund", "price": -3.0}));
    assert!(
        map_product(&negative, Some("EUR"), &o)
            .unwrap()
            .price
            .is_none()
    );
}

#[test]
fn product_purchases_become_tags_per_client() {
    let csv = "transaction_id,client_id,item_type,product_name,description,quantity\n\
               t1,c1,PRODUCT,Olaplex No.3,,1\n\
               t1,c1,SERVICE,,Cut & Blow Dry,1\n\
               t2,c1,PRODUCT,olaplex no.3,,2\n\
               t3,c2,PRODUCT,,Argan Oil 100ml,1\n\
               t4,,PRODUCT,Comb,,1\n\
               t5,c3,PRODUCT,,,1\n";
    let rows: Vec<_> = parse_transactions(csv.as_bytes())
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let tags = purchase_tags(&rows, &MapperOptions::default());
    let as_vec = |id: &str| tags[id].iter().cloned().collect::<Vec<_>>();
    assert_eq!(tags.len(), 2);
    assert_eq!(as_vec("c1"), ["phorest:purchased:olaplex-no-3"]);
    assert_eq!(as_vec("c2"), ["phorest:purchased:argan-oil-100ml"]);
}

fn appointment(v: Value) -> Appointment {
    serde_json::from_value(v).unwrap()
}

fn base_appointment(date: &str, start: &str, end: &str) -> Value {
    json!({
        "appointmentId": "apt1",
        "branchId": "b1",
        "bookingId": "bk1",
        "clientId": "c1",
        "staffId": "s1",
        "serviceName": "Cut & Blow Dry",
        "appointmentDate": date,
        "startTime": start,
        "endTime": end,
        "state": "BOOKED",
        "activationState": "ACTIVE",
        "confirmed": true,
    })
}

struct AptFixture {
    calendar: CalendarId,
    users: HashMap<String, UserId>,
    names: HashMap<String, String>,
    fallback: UserId,
}

impl AptFixture {
    fn new() -> Self {
        AptFixture {
            calendar: CalendarId::new("cal1"),
            users: HashMap::from([("s1".to_owned(), UserId::new("u1"))]),
            names: HashMap::from([
                ("s1".to_owned(), "Jo Bloggs".to_owned()),
                ("s2".to_owned(), "Sam".to_owned()),
            ]),
            fallback: UserId::new("u-front-desk"),
        }
    }

    fn ctx(&self, tz: Tz, fallback: bool) -> AppointmentContext<'_> {
        AppointmentContext {
            calendar_id: &self.calendar,
            location_id: None,
            time_zone: tz,
            staff_users: &self.users,
            staff_names: &self.names,
            fallback_user: fallback.then_some(&self.fallback),
        }
    }
}

#[test]
fn appointment_body_uses_branch_time_zone_offsets() {
    let f = AptFixture::new();
    let contact = ContactId::new("contact1");
    // Summer time in Dublin: +01:00.
    let a = appointment(base_appointment(
        "2026-07-01",
        "10:30:00.000",
        "11:15:00.000",
    ));
    let m = map_appointment(&a, &contact, None, &f.ctx(chrono_tz::Europe::Dublin, true)).unwrap();
    assert_eq!(
        serde_json::to_value(&m.request).unwrap(),
        json!({
            "calendarId": "cal1",
            "contactId": "contact1",
            "startTime": "2026-07-01T10:30:00+01:00",
            "endTime": "2026-07-01T11:15:00+01:00",
            "title": "Cut & Blow Dry",
            "appointmentStatus": "confirmed",
            "assignedUserId": "u1",
            "ignoreDateRange": true,
            "ignoreFreeSlotValidation": true,
            "toNotify": false
        })
    );
    assert_eq!(
        m.description,
        "Cut & Blow Dry with Jo Bloggs\nphorest-appointment:apt1"
    );
    assert!(!m.used_fallback_user);
    assert!(m.warnings.is_empty());

    // Winter in Dublin is +00:00; Toronto in winter is -05:00.
    let a = appointment(base_appointment("2026-12-01", "09:00:00", "09:30:00"));
    let m = map_appointment(&a, &contact, None, &f.ctx(chrono_tz::Europe::Dublin, true)).unwrap();
    assert_eq!(
        m.request.get_start_time().to_rfc3339(),
        "2026-12-01T09:00:00+00:00"
    );
    let m = map_appointment(
        &a,
        &contact,
        None,
        &f.ctx(chrono_tz::America::Toronto, true),
    )
    .unwrap();
    assert_eq!(
        m.request.get_start_time().to_rfc3339(),
        "2026-12-01T09:00:00-05:00"
    );
    assert_eq!(m.request.get_start_time().timestamp(), 1_796_133_600);
}

#[test]
fn dst_gaps_and_overlaps_are_typed_skips_not_guesses() {
    let f = AptFixture::new();
    let contact = ContactId::new("contact1");
    let ctx = f.ctx(chrono_tz::Europe::Dublin, true);
    // 2026-03-29: clocks jump 01:00 → 02:00 in Dublin.
    let gap = appointment(base_appointment("2026-03-29", "01:30:00", "02:30:00"));
    match map_appointment(&gap, &contact, None, &ctx) {
        Err(SkipReason::InvalidData { detail }) => {
            assert!(
                detail.starts_with("start time cannot be placed in Europe/Dublin"),
                "{detail}"
            );
            assert!(detail.contains("DST gap"), "{detail}");
        }
        other => panic!("expected a skip, got {other:?}"),
    }
    // 2026-10-25: 01:00-02:00 happens twice.
    let overlap = appointment(base_appointment("2026-10-25", "01:15:00", "01:45:00"));
    match map_appointment(&overlap, &contact, None, &ctx) {
        Err(SkipReason::InvalidData { detail }) => {
            assert!(detail.contains("ambiguous"), "{detail}")
        }
        other => panic!("expected a skip, got {other:?}"),
    }
    // Just outside the gap is fine, and the offset changes across it.
    let after = appointment(base_appointment("2026-03-29", "02:00:00", "03:00:00"));
    let m = map_appointment(&after, &contact, None, &ctx).unwrap();
    assert_eq!(
        m.request.get_start_time().to_rfc3339(),
        "2026-03-29T02:00:00+01:00"
    );
    let missing = appointment(json!({"appointmentId": "a2", "appointmentDate": "2026-01-01"}));
    assert!(matches!(
        map_appointment(&missing, &contact, None, &ctx),
        Err(SkipReason::InvalidData { .. })
    ));
}

/// An appointment whose end is earlier in the day than its start is bad data: skipped with a
/// reason, never written as a 23-hour appointment.
#[test]
fn an_appointment_ending_before_it_starts_is_skipped() {
    let f = AptFixture::new();
    let contact = ContactId::new("contact1");
    let ctx = f.ctx(chrono_tz::America::Toronto, true);
    let backwards = appointment(base_appointment("2026-05-12", "10:00:00", "09:00:00"));
    match map_appointment(&backwards, &contact, None, &ctx) {
        Err(SkipReason::InvalidData { detail }) => {
            assert!(
                detail.contains("ends (09:00:00) before it starts (10:00:00)"),
                "{detail}"
            )
        }
        other => panic!("expected a skip, got {other:?}"),
    }
    // Past midnight and short: an overnight appointment, not an error.
    let overnight = appointment(base_appointment("2026-05-12", "23:30:00", "00:30:00"));
    assert!(map_appointment(&overnight, &contact, None, &ctx).is_ok());
    // A zero-length appointment is fine.
    let instant = appointment(base_appointment("2026-05-12", "10:00:00", "10:00:00"));
    assert!(map_appointment(&instant, &contact, None, &ctx).is_ok());
}

#[test]
fn appointment_status_table() {
    let cases = [
        (
            json!({"state": "BOOKED", "confirmed": true}),
            AppointmentStatus::Confirmed,
        ),
        (
            json!({"state": "BOOKED", "confirmed": false}),
            AppointmentStatus::New,
        ),
        (
            json!({"state": "BOOKED", "activationState": "RESERVED", "confirmed": true}),
            AppointmentStatus::New,
        ),
        (json!({"state": "CHECKED_IN"}), AppointmentStatus::Showed),
        (json!({"state": "PAID"}), AppointmentStatus::Showed),
        (json!({"state": "ARRIVED"}), AppointmentStatus::Showed),
        (json!({"state": "COMPLETED"}), AppointmentStatus::Showed),
        (json!({"state": "NO_SHOW"}), AppointmentStatus::NoShow),
        (
            json!({"state": "PAID", "activationState": "CANCELED"}),
            AppointmentStatus::Cancelled,
        ),
        (
            json!({"state": "BOOKED", "activationState": "ARCHIVED"}),
            AppointmentStatus::Cancelled,
        ),
        (
            json!({"state": "BOOKED", "deleted": true, "confirmed": true}),
            AppointmentStatus::Cancelled,
        ),
        (
            json!({"state": "SOMETHING_NEW", "confirmed": true}),
            AppointmentStatus::Confirmed,
        ),
        (json!({}), AppointmentStatus::New),
    ];
    for (patch, expected) in cases {
        let a = appointment(with(
            json!({"appointmentId": "a", "activationState": "ACTIVE", "confirmed": false}),
            patch.clone(),
        ));
        assert_eq!(appointment_status(&a), expected, "{patch}");
    }
}

#[test]
fn unmapped_staff_use_the_fallback_user_and_are_reported() {
    let f = AptFixture::new();
    let contact = ContactId::new("contact1");
    let a = appointment(with(
        base_appointment("2026-07-01", "10:00:00", "11:00:00"),
        json!({"staffId": "s2", "serviceName": "  "}),
    ));
    let m = map_appointment(&a, &contact, None, &f.ctx(chrono_tz::Europe::Dublin, true)).unwrap();
    assert_eq!(
        m.request.get_assigned_user_id(),
        Some(&UserId::new("u-front-desk"))
    );
    assert!(m.used_fallback_user);
    assert_eq!(
        m.warnings,
        ["staff s2 has no GHL user; assigned to the fallback user"]
    );
    assert_eq!(
        m.request.get_title().map(String::as_str),
        Some("Appointment")
    );
    assert_eq!(
        m.description,
        "Appointment with Sam\nphorest-appointment:apt1"
    );

    let m = map_appointment(&a, &contact, None, &f.ctx(chrono_tz::Europe::Dublin, false)).unwrap();
    assert_eq!(m.request.get_assigned_user_id(), None);
    assert!(m.warnings[0].contains("left unassigned"));
}

#[test]
fn overnight_appointments_end_the_next_day() {
    let f = AptFixture::new();
    let a = appointment(base_appointment("2026-07-01", "23:30:00", "00:30:00"));
    let m = map_appointment(
        &a,
        &ContactId::new("c"),
        None,
        &f.ctx(chrono_tz::Europe::Dublin, true),
    )
    .unwrap();
    assert_eq!(
        m.request.get_end_time().unwrap().to_rfc3339(),
        "2026-07-02T00:30:00+01:00"
    );
}

#[test]
fn checkin_notes_use_the_branch_wall_clock_and_a_marker() {
    let names = HashMap::from([("s1".to_owned(), "Jo Bloggs".to_owned())]);
    let a = appointment(with(
        base_appointment("2026-11-24", "10:30:00.000", "11:00:00"),
        json!({"state": "CHECKED_IN"}),
    ));
    let note = map_checkin(&a, chrono_tz::America::Toronto, &names).unwrap();
    assert_eq!(
        note.get_body(),
        "[phorest-checkin:apt1]\nChecked in: Cut & Blow Dry\nTue 24 Nov 2026 at 10:30 (America/Toronto)\nWith: Jo Bloggs"
    );
    assert!(note.get_body().starts_with(&checkin_marker("apt1")));
    assert_eq!(
        serde_json::to_value(&note).unwrap(),
        json!({"body": note.get_body()})
    );

    let booked = appointment(base_appointment("2026-11-24", "10:30:00", "11:00:00"));
    assert!(matches!(
        map_checkin(&booked, chrono_tz::Europe::Dublin, &names),
        Err(SkipReason::NotApplicable { .. })
    ));
    let cancelled = appointment(with(
        base_appointment("2026-11-24", "10:30:00", "11:00:00"),
        json!({"state": "PAID", "activationState": "CANCELED"}),
    ));
    assert!(matches!(
        map_checkin(&cancelled, chrono_tz::Europe::Dublin, &names),
        Err(SkipReason::NotApplicable { .. })
    ));
}

#[test]
fn group_bookings_summarise_services_and_feed_notes_and_descriptions() {
    let names = HashMap::from([
        ("s1".to_owned(), "Jo".to_owned()),
        ("s2".to_owned(), "Sam".to_owned()),
    ]);
    let list = vec![
        appointment(with(
            base_appointment("2026-07-01", "11:00:00", "12:00:00"),
            json!({"appointmentId": "a2", "serviceName": "Colour", "staffId": "s2"}),
        )),
        appointment(with(
            base_appointment("2026-07-01", "10:00:00", "10:45:00"),
            json!({"appointmentId": "a1"}),
        )),
        appointment(with(
            base_appointment("2026-07-01", "12:00:00", "12:30:00"),
            json!({"appointmentId": "a3", "activationState": "CANCELED"}),
        )),
        appointment(with(
            base_appointment("2026-07-01", "10:00:00", "10:45:00"),
            json!({"appointmentId": "a4", "bookingId": "bk2", "clientId": "c2"}),
        )),
        appointment(with(
            base_appointment("2026-07-01", "10:00:00", "10:45:00"),
            json!({"appointmentId": "a5", "bookingId": null}),
        )),
    ];
    let bookings = group_bookings(&list, &names);
    assert_eq!(
        bookings
            .iter()
            .map(|b| b.booking_id.as_str())
            .collect::<Vec<_>>(),
        ["bk1", "bk2"]
    );
    let bk1 = &bookings[0];
    assert!(bk1.is_group());
    assert!(!bookings[1].is_group());
    assert_eq!(bk1.client_ids(), ["c1"]);
    assert_eq!(
        bk1.appointment_line(),
        "Booking bk1: 10:00–10:45 Cut & Blow Dry (Jo); 11:00–12:00 Colour (Sam)"
    );
    assert_eq!(
        bk1.note().get_body().to_owned(),
        "[phorest-booking:bk1]\nGroup booking on Wed 1 Jul 2026: 2 services\n- 10:00–10:45 Cut & Blow Dry (Jo)\n- 11:00–12:00 Colour (Sam)"
    );
    assert!(bk1.note().get_body().starts_with(&booking_marker("bk1")));
    // A booking that stopped being a group keeps an up-to-date note.
    assert_eq!(
        bookings[1].note().get_body().to_owned(),
        "[phorest-booking:bk2]\nGroup booking on Wed 1 Jul 2026: 1 service (the others were cancelled)\n- 10:00–10:45 Cut & Blow Dry (Jo)"
    );
    let gone = sync_core::mappers::BookingSummary {
        booking_id: "bk3".into(),
        items: Vec::new(),
    };
    assert_eq!(
        gone.note().get_body().to_owned(),
        "[phorest-booking:bk3]\nGroup booking: cancelled in Phorest"
    );

    let f = AptFixture::new();
    let m = map_appointment(
        &list[1],
        &ContactId::new("c"),
        Some(bk1),
        &f.ctx(chrono_tz::Europe::Dublin, true),
    )
    .unwrap();
    assert_eq!(
        m.description,
        "Cut & Blow Dry with Jo Bloggs\nBooking bk1: 10:00–10:45 Cut & Blow Dry (Jo); 11:00–12:00 Colour (Sam)\nphorest-appointment:apt1"
            .replace("apt1", "a1")
    );
}

mod robustness {
    use super::*;
    use proptest::prelude::*;

    fn opt_text() -> impl Strategy<Value = Option<String>> {
        prop::option::of(prop_oneof![
            any::<String>(),
            "[0-9 +()-]{0,18}",
            "[A-Za-z0-9._%+-]{0,10}@[A-Za-z0-9.-]{0,10}",
        ])
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn client_mapping_never_panics_and_never_sends_unvalidated_identifiers(
            first in opt_text(), last in opt_text(), email in opt_text(), mobile in opt_text(),
            land in opt_text(), archived in any::<bool>(), banned in any::<bool>(), name_only in any::<bool>(),
        ) {
            let mut f = Fixture::new();
            f.options.allow_name_only = name_only;
            let c = client(json!({
                "clientId": "c1", "firstName": first, "lastName": last, "email": email,
                "mobile": mobile, "landLine": land, "archived": archived, "banned": banned,
            }));
            match map_client(&c, &f.ctx(None)) {
                Ok(m) => {
                    if let Some(e) = m.request.get_email() {
                        prop_assert_eq!(sync_core::normalize::normalize_email(e), Ok(e.clone()));
                    }
                    if let Some(p) = m.request.get_phone() {
                        prop_assert!(p.starts_with('+'));
                    }
                    prop_assert!(m.has_identifier() || name_only);
                    prop_assert!(m.tags.iter().all(|t| f.options.tags.owns(t)));
                }
                Err(reason) => prop_assert!(!reason.to_string().is_empty()),
            }
        }

        #[test]
        fn appointment_mapping_never_panics(
            h in 0u32..24, m in 0u32..60, dur in 0i64..600, day in 1u32..29, month in 1u32..13,
            state in prop::sample::select(vec!["BOOKED", "CHECKED_IN", "PAID", "NO_SHOW", "WHATEVER"]),
        ) {
            let f = AptFixture::new();
            let start = chrono::NaiveTime::from_hms_opt(h, m, 0).unwrap();
            let end = start + chrono::Duration::minutes(dur);
            let a = appointment(with(
                base_appointment(&format!("2026-{month:02}-{day:02}"), &start.format("%H:%M:%S").to_string(), &end.format("%H:%M:%S").to_string()),
                json!({"state": state}),
            ));
            for tz in [chrono_tz::Europe::Dublin, chrono_tz::America::Toronto, chrono_tz::Australia::Lord_Howe] {
                match map_appointment(&a, &ContactId::new("c"), None, &f.ctx(tz, true)) {
                    Ok(mapped) => {
                        let end_time = mapped.request.get_end_time().unwrap();
                        prop_assert!(*end_time >= mapped.request.get_start_time());
                        prop_assert!(mapped.description.ends_with("phorest-appointment:apt1"));
                    }
                    Err(SkipReason::InvalidData { detail }) => prop_assert!(detail.contains("DST") || detail.contains("ambiguous")),
                    Err(other) => prop_assert!(false, "unexpected skip {other:?}"),
                }
            }
        }
    }
}

#[test]
fn unchanged_records_hash_the_same_and_changes_show() {
    use sync_core::hash::content_hash;
    let f = Fixture::new();
    let a = f
        .map(with(
            base_client("c1"),
            json!({"clientCategoryIds": ["cat-vip", "cat-odd"]}),
        ))
        .unwrap();
    // Same record, categories listed in another order, extra unknown fields, new updatedAt.
    let b = f
        .map(with(
            base_client("c1"),
            json!({"clientCategoryIds": ["cat-odd", "cat-vip"], "updatedAt": "2026-11-24T10:00:00Z", "photoUrl": "x"}),
        ))
        .unwrap();
    assert_eq!(content_hash(&a.request), content_hash(&b.request));
    assert_eq!(a.tags, b.tags);
    // The tag diff between the two runs is empty: zero tag requests.
    assert!(f.options.tags.diff(&a.tags, &b.tags).is_empty());

    let c = f
        .map(with(
            base_client("c1"),
            json!({"clientCategoryIds": ["cat-vip"], "mobile": "0861234567"}),
        ))
        .unwrap();
    assert_ne!(content_hash(&a.request), content_hash(&c.request));
    let diff = f.options.tags.diff(&a.tags, &c.tags);
    assert_eq!(diff.remove, ["phorest:category:colour-cut"]);
    assert!(diff.add.is_empty());
}
