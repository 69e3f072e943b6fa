//! Contacts, tags, notes, search and duplicate lookup.

use serde_json::{Map, Value, json};

use super::reply::{self, Outcome, Reply};
use super::router::Ctx;
use super::state::{Contact, State, entity};

/// Properties accepted by create and upsert (anything else: 422 "property X should not exist").
const CONTACT_FIELDS: &[&str] = &[
    "locationId",
    "firstName",
    "lastName",
    "name",
    "email",
    "phone",
    "address1",
    "city",
    "state",
    "postalCode",
    "website",
    "timezone",
    "dnd",
    "dndSettings",
    "inboundDndSettings",
    "tags",
    "customFields",
    "source",
    "country",
    "companyName",
    "assignedTo",
    "gender",
    "dateOfBirth",
];
const DND_CHANNELS: &[&str] = &["Call", "Email", "SMS", "WhatsApp", "GMB", "FB"];
const DND_STATUSES: &[&str] = &["active", "inactive", "permanent"];
const SEARCH_FIELDS: &[&str] = &[
    "locationId",
    "page",
    "pageLimit",
    "searchAfter",
    "filters",
    "sort",
    "query",
];
/// Deepest record reachable with `page` (Elasticsearch-style window); beyond, use `searchAfter`.
const PAGE_WINDOW: u64 = 10_000;

/// A basic email check (one `@`, a dotted domain, no spaces).
pub(crate) fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && s.len() <= 254
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && !s.contains(char::is_whitespace)
}

/// E.164: `+`, a non-zero digit, 7 to 15 digits in all.
pub(crate) fn is_e164(s: &str) -> bool {
    let Some(digits) = s.strip_prefix('+') else {
        return false;
    };
    (7..=15).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0')
}

/// Tags as GHL stores them: trimmed, lower-cased, without empties or repeats.
pub(crate) fn normalise_tags<'a>(tags: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for tag in tags {
        let tag = tag.trim().to_lowercase();
        if !tag.is_empty() && !out.contains(&tag) {
            out.push(tag);
        }
    }
    out
}

/// Unknown properties of a body, as NestJS's whitelist validation reports them.
pub(crate) fn unknown_properties(body: &Map<String, Value>, allowed: &[&str]) -> Vec<String> {
    body.keys()
        .filter(|k| !allowed.contains(&k.as_str()))
        .map(|k| format!("property {k} should not exist"))
        .collect()
}

fn string_tags(value: &Value) -> Option<Vec<&str>> {
    value.as_array()?.iter().map(Value::as_str).collect()
}

fn check_dnd(key: &str, value: &Value, errors: &mut Vec<String>) {
    let Some(map) = value.as_object() else {
        errors.push(format!("{key} must be an object"));
        return;
    };
    for (channel, setting) in map {
        if !DND_CHANNELS.contains(&channel.as_str()) {
            errors.push(format!("property {key}.{channel} should not exist"));
            continue;
        }
        let status = setting.get("status").and_then(Value::as_str);
        if !status.is_some_and(|s| DND_STATUSES.contains(&s)) {
            errors.push(format!(
                "{key}.{channel}.status must be one of the following values: active, inactive, permanent"
            ));
        }
    }
}

/// Resolves `customFields` entries (`id` or `key`, `field_value` or `value`) to `{id, value}`.
fn custom_values(
    state: &State,
    location: &str,
    value: &Value,
    errors: &mut Vec<String>,
) -> Vec<Value> {
    let Some(items) = value.as_array() else {
        errors.push("customFields must be an array".to_owned());
        return Vec::new();
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let reference = item
            .get("id")
            .or_else(|| item.get("key"))
            .and_then(Value::as_str)
            .unwrap_or_default();
        let field = state.custom_fields.iter().find(|f| {
            f.location_id == location
                && (f.id == reference
                    || f.str_field("fieldKey").is_some_and(|k| {
                        k == reference || k.strip_prefix("contact.") == Some(reference)
                    }))
        });
        let Some(field) = field else {
            errors.push(format!(
                "customFields.{i}: custom field '{reference}' does not exist in this location"
            ));
            continue;
        };
        let field_value = item
            .get("field_value")
            .or_else(|| item.get("value"))
            .cloned()
            .unwrap_or(Value::Null);
        let numeric = match &field_value {
            Value::Number(_) | Value::Null => true,
            Value::String(s) => s.trim().parse::<f64>().is_ok(),
            _ => false,
        };
        if field.str_field("dataType") == Some("NUMERICAL") && !numeric {
            errors.push(format!(
                "customFields.{i}: value must be a number for a NUMERICAL field"
            ));
            continue;
        }
        out.push(json!({"id": field.id, "value": field_value}));
    }
    out
}

/// Validates a create/upsert (`update == false`) or update body; returns the properties to
/// store, without `locationId`. `null` values are kept: they clear a property on update.
fn validate(
    state: &State,
    ctx: &Ctx,
    body: &Map<String, Value>,
    update: bool,
) -> Result<Map<String, Value>, Reply> {
    let mut errors = unknown_properties(body, CONTACT_FIELDS);
    if update {
        // UpdateContactDto has neither (GHL's published schema; the seed system also drops them).
        for key in ["locationId", "gender"] {
            if body.contains_key(key) {
                errors.push(format!("property {key} should not exist"));
            }
        }
    }
    let mut out = Map::new();
    for (key, value) in body {
        let key_str = key.as_str();
        if key_str == "locationId" || !CONTACT_FIELDS.contains(&key_str) {
            continue;
        }
        let stored = match (key_str, value) {
            (_, Value::Null) => Value::Null,
            ("email", Value::String(s)) if is_email(s.trim()) => json!(s.trim()),
            ("email", _) => {
                errors.push("email must be an email".to_owned());
                continue;
            }
            ("phone", Value::String(s)) if is_e164(s.trim()) => json!(s.trim()),
            ("phone", _) => {
                errors.push("phone must be a valid phone number in E.164 format".to_owned());
                continue;
            }
            ("tags", v) => match string_tags(v) {
                Some(tags) => json!(normalise_tags(tags)),
                None => {
                    errors.push("each value in tags must be a string".to_owned());
                    continue;
                }
            },
            ("dnd", Value::Bool(b)) => json!(b),
            ("dnd", _) => {
                errors.push("dnd must be a boolean value".to_owned());
                continue;
            }
            ("dndSettings" | "inboundDndSettings", v) => {
                check_dnd(key_str, v, &mut errors);
                v.clone()
            }
            ("customFields", v) => json!(custom_values(state, &ctx.location_id, v, &mut errors)),
            (_, Value::String(s)) => json!(s),
            (_, _) => {
                errors.push(format!("{key} must be a string"));
                continue;
            }
        };
        out.insert(key.clone(), stored);
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(reply::validation(errors))
    }
}

/// The sandbox's rule for a contact without identity: one of email, phone or a name is needed.
fn require_identity(fields: &Map<String, Value>) -> Result<(), Reply> {
    let present = ["email", "phone", "firstName", "lastName", "name"]
        .iter()
        .any(|k| {
            fields
                .get(*k)
                .and_then(Value::as_str)
                .is_some_and(|s| !s.trim().is_empty())
        });
    if present {
        Ok(())
    } else {
        Err(reply::error(
            400,
            "A contact needs at least one of email, phone, firstName, lastName or name.",
        ))
    }
}

/// The 400 GHL answers when the duplicate rule matches.
fn duplicate_error(state: &mut State, existing: &Contact, field: &str) -> Reply {
    let name = existing.to_json()["contactName"].clone();
    let trace = state.ids.next_id();
    Reply::json(
        400,
        json!({
            "statusCode": 400,
            "message": "This location does not allow duplicated contacts.",
            "meta": {"contactName": name, "contactId": existing.id, "matchingField": field},
            "traceId": trace,
        }),
    )
}

/// Enforces the duplicate rule (email first, then phone) unless duplicates are allowed.
fn check_duplicates(
    state: &mut State,
    location: &str,
    fields: &Map<String, Value>,
    except: Option<&str>,
) -> Result<(), Reply> {
    if state.config.allow_duplicate_contacts {
        return Ok(());
    }
    let by_email = fields
        .get("email")
        .and_then(Value::as_str)
        .and_then(|e| state.contacts.by_email(location, e, except))
        .map(|c| (c.clone(), "email"));
    let by_phone = || {
        fields
            .get("phone")
            .and_then(Value::as_str)
            .and_then(|p| state.contacts.by_phone(location, p, except))
            .map(|c| (c.clone(), "phone"))
    };
    match by_email.or_else(by_phone) {
        Some((existing, field)) => Err(duplicate_error(state, &existing, field)),
        None => Ok(()),
    }
}

fn insert_contact(state: &mut State, location: &str, mut fields: Map<String, Value>) -> Contact {
    fields.retain(|_, v| !v.is_null());
    let (ms, iso) = state.stamp();
    let contact = Contact {
        id: state.ids.next_id(),
        location_id: location.to_owned(),
        added_ms: ms,
        date_added: iso.clone(),
        date_updated: iso,
        fields,
    };
    state.contacts.insert(contact.clone());
    contact
}

/// Applies an update: `null` clears, `tags` replaces the whole set, custom fields merge by id.
fn apply_update(state: &mut State, mut contact: Contact, fields: Map<String, Value>) -> Contact {
    for (key, value) in fields {
        if value.is_null() {
            contact.fields.remove(&key);
        } else if key == "customFields" {
            let mut merged = contact
                .fields
                .get("customFields")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            for new in value.as_array().into_iter().flatten() {
                match merged.iter_mut().find(|old| old.get("id") == new.get("id")) {
                    Some(old) => *old = new.clone(),
                    None => merged.push(new.clone()),
                }
            }
            contact.fields.insert(key, Value::Array(merged));
        } else {
            contact.fields.insert(key, value);
        }
    }
    contact.date_updated = state.stamp().1;
    state.contacts.replace(contact.clone());
    contact
}

/// A contact of the caller's location: 404 when unknown, 403 when in another location.
pub(crate) fn find(state: &State, ctx: &Ctx, id: &str) -> Result<Contact, Reply> {
    match state.contacts.get(id) {
        None => Err(reply::not_found("Contact")),
        Some(c) if c.location_id != ctx.location_id => Err(reply::forbidden_location()),
        Some(c) => Ok(c.clone()),
    }
}

fn new_contact(state: &mut State, ctx: &Ctx, fields: Map<String, Value>) -> Result<Contact, Reply> {
    require_identity(&fields)?;
    check_duplicates(state, &ctx.location_id, &fields, None)?;
    Ok(insert_contact(state, &ctx.location_id, fields))
}

/// `POST /contacts/`.
pub(crate) fn create(state: &mut State, ctx: &Ctx) -> Outcome {
    let fields = validate(state, ctx, ctx.body()?, false)?;
    ctx.body_location()?;
    let contact = new_contact(state, ctx, fields)?;
    Ok(Reply::created(json!({"contact": contact.to_json()})))
}

/// `POST /contacts/upsert`: matches email first, then phone. When the email and the phone
/// match two different contacts (duplicates disallowed), the email match wins and the phone is
/// not written, as GoHighLevel/highlevel-api-docs#37 reports.
pub(crate) fn upsert(state: &mut State, ctx: &Ctx) -> Outcome {
    let mut fields = validate(state, ctx, ctx.body()?, false)?;
    ctx.body_location()?;
    require_identity(&fields)?;
    let loc = ctx.location_id.as_str();
    let by_email = fields
        .get("email")
        .and_then(Value::as_str)
        .and_then(|e| state.contacts.by_email(loc, e, None))
        .cloned();
    let by_phone = fields
        .get("phone")
        .and_then(Value::as_str)
        .and_then(|p| state.contacts.by_phone(loc, p, None))
        .cloned();
    let trace = state.ids.next_id();
    let (created, contact) = match (by_email, by_phone) {
        (Some(existing), other) => {
            if other.is_some_and(|o| o.id != existing.id) && !state.config.allow_duplicate_contacts
            {
                fields.remove("phone");
            }
            (false, apply_update(state, existing, fields))
        }
        (None, Some(existing)) => (false, apply_update(state, existing, fields)),
        (None, None) => (true, new_contact(state, ctx, fields)?),
    };
    Ok(Reply::ok(
        json!({"new": created, "contact": contact.to_json(), "traceId": trace}),
    ))
}

/// `GET /contacts/{id}`.
pub(crate) fn get(state: &mut State, ctx: &Ctx, id: &str) -> Outcome {
    Ok(Reply::ok(
        json!({"contact": find(state, ctx, id)?.to_json()}),
    ))
}

/// `PUT /contacts/{id}`: partial update; `tags` replaces the whole set.
pub(crate) fn update(state: &mut State, ctx: &Ctx, id: &str) -> Outcome {
    let fields = validate(state, ctx, ctx.body()?, true)?;
    let contact = find(state, ctx, id)?;
    check_duplicates(state, &ctx.location_id, &fields, Some(id))?;
    let contact = apply_update(state, contact, fields);
    Ok(Reply::ok(
        json!({"succeded": true, "contact": contact.to_json()}),
    ))
}

/// `DELETE /contacts/{id}` (its notes go with it).
pub(crate) fn delete(state: &mut State, ctx: &Ctx, id: &str) -> Outcome {
    find(state, ctx, id)?;
    state.contacts.remove(id);
    state.notes.retain(|n| n.parent.as_deref() != Some(id));
    Ok(Reply::ok(json!({"succeded": true})))
}

/// `POST` (add) or `DELETE` (remove) `/contacts/{id}/tags` with `{tags: [..]}`.
pub(crate) fn tags(state: &mut State, ctx: &Ctx, id: &str, add: bool) -> Outcome {
    let body = ctx.body()?;
    let mut errors = unknown_properties(body, &["tags"]);
    let given = body.get("tags").and_then(string_tags);
    match &given {
        None => errors.push("each value in tags must be a string".to_owned()),
        Some(t) if t.is_empty() => errors.push("tags should not be empty".to_owned()),
        Some(_) => {}
    }
    if !errors.is_empty() {
        return Err(reply::validation(errors));
    }
    let given = normalise_tags(given.unwrap_or_default());
    let contact = find(state, ctx, id)?;
    let current: Vec<&str> = contact
        .fields
        .get("tags")
        .and_then(string_tags)
        .unwrap_or_default();
    let next: Vec<String> = if add {
        normalise_tags(current.into_iter().chain(given.iter().map(String::as_str)))
    } else {
        current
            .into_iter()
            .filter(|t| !given.iter().any(|g| g == t))
            .map(str::to_owned)
            .collect()
    };
    let mut fields = Map::new();
    fields.insert("tags".into(), json!(next));
    let contact = apply_update(state, contact, fields);
    let body = json!({"tags": contact.fields.get("tags").cloned().unwrap_or(json!([]))});
    Ok(if add {
        Reply::created(body)
    } else {
        Reply::ok(body)
    })
}

fn note_fields(ctx: &Ctx) -> Result<(String, Option<String>), Reply> {
    let body = ctx.body()?;
    let mut errors = unknown_properties(body, &["body", "userId"]);
    let text = body.get("body").and_then(Value::as_str).unwrap_or_default();
    if text.trim().is_empty() {
        errors.push("body should not be empty".to_owned());
    }
    if !errors.is_empty() {
        return Err(reply::validation(errors));
    }
    let user = body
        .get("userId")
        .and_then(Value::as_str)
        .map(str::to_owned);
    Ok((text.to_owned(), user))
}

/// `POST /contacts/{id}/notes`.
pub(crate) fn note_create(state: &mut State, ctx: &Ctx, contact_id: &str) -> Outcome {
    let (text, user) = note_fields(ctx)?;
    find(state, ctx, contact_id)?;
    let id = state.ids.next_id();
    let added = state.stamp().1;
    let note = entity(
        &id,
        &ctx.location_id,
        Some(contact_id),
        json!({"id": id, "body": text, "userId": user, "contactId": contact_id, "dateAdded": added}),
    );
    let out = note.to_json();
    state.notes.push(note);
    Ok(Reply::created(json!({"note": out})))
}

/// `GET /contacts/{id}/notes`.
pub(crate) fn note_list(state: &mut State, ctx: &Ctx, contact_id: &str) -> Outcome {
    find(state, ctx, contact_id)?;
    let notes: Vec<Value> = state
        .notes
        .iter()
        .filter(|n| n.parent.as_deref() == Some(contact_id))
        .map(|n| n.to_json())
        .collect();
    Ok(Reply::ok(json!({"notes": notes})))
}

fn note_index(state: &State, contact_id: &str, note_id: &str) -> Result<usize, Reply> {
    state
        .notes
        .iter()
        .position(|n| n.id == note_id && n.parent.as_deref() == Some(contact_id))
        .ok_or_else(|| reply::not_found("Note"))
}

/// `PUT /contacts/{id}/notes/{noteId}`.
pub(crate) fn note_update(
    state: &mut State,
    ctx: &Ctx,
    contact_id: &str,
    note_id: &str,
) -> Outcome {
    let (text, user) = note_fields(ctx)?;
    find(state, ctx, contact_id)?;
    let index = note_index(state, contact_id, note_id)?;
    let note = state
        .notes
        .get_mut(index)
        .ok_or_else(|| reply::not_found("Note"))?;
    note.data.insert("body".into(), json!(text));
    if let Some(user) = user {
        note.data.insert("userId".into(), json!(user));
    }
    Ok(Reply::ok(json!({"note": note.to_json()})))
}

/// `DELETE /contacts/{id}/notes/{noteId}`.
pub(crate) fn note_delete(
    state: &mut State,
    ctx: &Ctx,
    contact_id: &str,
    note_id: &str,
) -> Outcome {
    find(state, ctx, contact_id)?;
    let index = note_index(state, contact_id, note_id)?;
    state.notes.remove(index);
    Ok(Reply::ok(json!({"succeded": true})))
}

/// `GET /contacts/search/duplicate?locationId&email&number`: the contact the duplicate rule
/// would match (email first, then phone), or `{"contact": null}`.
pub(crate) fn duplicate(state: &mut State, ctx: &Ctx) -> Outcome {
    ctx.query_location()?;
    let email = ctx.query("email").filter(|e| !e.is_empty());
    let number = ctx.query("number").filter(|n| !n.is_empty());
    if email.is_none() && number.is_none() {
        return Err(reply::invalid("email or number is required"));
    }
    let loc = ctx.location_id.as_str();
    let found = email
        .and_then(|e| state.contacts.by_email(loc, e, None))
        .or_else(|| number.and_then(|n| state.contacts.by_phone(loc, n.trim(), None)));
    Ok(Reply::ok(json!({"contact": found.map(Contact::to_json)})))
}

fn text_of(value: &Value) -> String {
    match value {
        Value::String(s) => s.to_lowercase(),
        other => other.to_string().to_lowercase(),
    }
}

/// `eq` on a scalar compares case-insensitively; on an array (tags) it means "contains all".
fn field_matches(field: Option<&Value>, wanted: &Value, substring: bool) -> bool {
    let wanted: Vec<String> = match wanted {
        Value::Array(items) => items.iter().map(text_of).collect(),
        other => vec![text_of(other)],
    };
    match field {
        Some(Value::Array(items)) => {
            let have: Vec<String> = items.iter().map(text_of).collect();
            wanted.iter().all(|w| have.contains(w))
        }
        Some(Value::Null) | None => false,
        Some(scalar) => {
            let have = text_of(scalar);
            wanted.iter().any(|w| {
                if substring {
                    have.contains(w.as_str())
                } else {
                    &have == w
                }
            })
        }
    }
}

/// Evaluates a search filter (leaf `{field, operator, value}` or `{group, filters}`).
fn filter_matches(filter: &Value, contact: &Value) -> Result<bool, Reply> {
    if let Some(group) = filter.get("group").and_then(Value::as_str) {
        let subs = filter
            .get("filters")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let mut results = Vec::with_capacity(subs.len());
        for sub in &subs {
            results.push(filter_matches(sub, contact)?);
        }
        return Ok(if group.eq_ignore_ascii_case("OR") {
            results.iter().any(|r| *r)
        } else {
            results.iter().all(|r| *r)
        });
    }
    let field = filter
        .get("field")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let value = filter.get("value").unwrap_or(&Value::Null);
    let actual = contact.get(field);
    let present = actual.is_some_and(|v| match v {
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        _ => true,
    });
    match filter
        .get("operator")
        .and_then(Value::as_str)
        .unwrap_or_default()
    {
        "eq" => Ok(field_matches(actual, value, false)),
        "not_eq" => Ok(!field_matches(actual, value, false)),
        "contains" => Ok(field_matches(actual, value, true)),
        "not_contains" => Ok(!field_matches(actual, value, true)),
        "exists" => Ok(present),
        "not_exists" => Ok(!present),
        other => Err(reply::invalid(format!(
            "filters: operator '{other}' must be one of eq, not_eq, contains, not_contains, exists, not_exists"
        ))),
    }
}

fn positive(body: &Map<String, Value>, key: &str) -> Result<Option<u64>, Reply> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_u64()
            .filter(|n| *n >= 1)
            .map(Some)
            .ok_or_else(|| reply::invalid(format!("{key} must be a positive integer"))),
    }
}

/// `POST /contacts/search`: filters, `query`, `pageLimit` (1..=500), `page` or `searchAfter`.
pub(crate) fn search(state: &mut State, ctx: &Ctx) -> Outcome {
    let body = ctx.body()?;
    let errors = unknown_properties(body, SEARCH_FIELDS);
    if !errors.is_empty() {
        return Err(reply::validation(errors));
    }
    ctx.body_location()?;
    let limit = positive(body, "pageLimit")?.unwrap_or(20);
    if limit > 500 {
        return Err(reply::invalid("pageLimit must not be greater than 500"));
    }
    let page = positive(body, "page")?;
    let cursor = match body.get("searchAfter") {
        None | Some(Value::Null) => None,
        Some(Value::Array(items)) => Some(
            items
                .first()
                .and_then(Value::as_i64)
                .ok_or_else(|| reply::invalid("searchAfter must be [timestamp, id]"))?,
        ),
        Some(_) => return Err(reply::invalid("searchAfter must be an array")),
    };
    if let Some(page) = page
        && cursor.is_none()
        && page.saturating_mul(limit) > PAGE_WINDOW
    {
        return Err(reply::error(
            400,
            "Pagination with page is limited to the first 10000 records; use searchAfter.",
        ));
    }
    let descending = body
        .get("sort")
        .and_then(Value::as_array)
        .and_then(|s| s.first())
        .and_then(|s| s.get("direction"))
        .and_then(Value::as_str)
        .is_some_and(|d| d.eq_ignore_ascii_case("desc"));
    let query = body
        .get("query")
        .and_then(Value::as_str)
        .map(str::to_lowercase);
    let filters = body
        .get("filters")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let location = ctx.location_id.as_str();
    let simple = query.is_none() && filters.is_empty();
    let matches = |contact: &Contact| -> Result<bool, Reply> {
        if contact.location_id != location {
            return Ok(false);
        }
        if simple {
            return Ok(true);
        }
        let json = contact.to_json();
        if let Some(q) = &query {
            let haystack = ["contactName", "email", "phone", "companyName"]
                .iter()
                .filter_map(|k| json.get(*k).and_then(Value::as_str))
                .collect::<Vec<_>>()
                .join(" ")
                .to_lowercase();
            if !haystack.contains(q.as_str()) {
                return Ok(false);
            }
        }
        for filter in &filters {
            if !filter_matches(filter, &json)? {
                return Ok(false);
            }
        }
        Ok(true)
    };
    let total = if simple {
        state.contacts.count_in(location)
    } else {
        let mut count = 0;
        for contact in state.contacts.iter() {
            count += usize::from(matches(contact)?);
        }
        count
    };
    let mut skip = match (cursor, page) {
        (None, Some(page)) => {
            usize::try_from((page - 1).saturating_mul(limit)).unwrap_or(usize::MAX)
        }
        _ => 0,
    };
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let mut contacts: Vec<Value> = Vec::new();
    for contact in state.contacts.ordered(cursor, descending) {
        if contacts.len() >= limit {
            break;
        }
        if !matches(contact)? {
            continue;
        }
        if skip > 0 {
            skip -= 1;
            continue;
        }
        let mut json = contact.to_json();
        if let Some(map) = json.as_object_mut() {
            map.insert("searchAfter".into(), json!([contact.added_ms, contact.id]));
        }
        contacts.push(json);
    }
    Ok(Reply::ok(json!({"contacts": contacts, "total": total})))
}
