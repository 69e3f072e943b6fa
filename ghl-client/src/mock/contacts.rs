//! Contacts, tags, notes, search and duplicate lookup.

use serde_json::{Map, Value, json};

use super::reply::{self, Outcome, Reply};
use super::router::Ctx;
use super::state::{Contact, State, entity};

/// Properties of `CreateContactDto` (anything else: 422 "property X should not exist").
const CREATE_FIELDS: &[&str] = &[
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
/// Properties of `UpsertContactDto`: the create's plus `createNewIfDuplicateAllowed`.
const UPSERT_ONLY: &[&str] = &["createNewIfDuplicateAllowed"];
/// Properties of `UpdateContactDto`: no `locationId`, `gender` or `companyName`.
const UPDATE_FIELDS: &[&str] = &[
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
    "assignedTo",
    "dateOfBirth",
];

/// Which contact DTO a body is checked against.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Dto {
    Create,
    Upsert,
    Update,
}

impl Dto {
    fn declares(self, key: &str) -> bool {
        match self {
            Dto::Create => CREATE_FIELDS.contains(&key),
            Dto::Upsert => CREATE_FIELDS.contains(&key) || UPSERT_ONLY.contains(&key),
            Dto::Update => UPDATE_FIELDS.contains(&key),
        }
    }
}
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

/// Checks `customFields` entries (`{id, key?, field_value}`; every branch of GHL's schema
/// requires `id`) and returns them as stored, `{id, value}`. Numbers are stored as their text,
/// as GHL's answers type `value` as a string.
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
        let Some(reference) = item.get("id").and_then(Value::as_str) else {
            errors.push(format!("customFields.{i}.id must be a string"));
            continue;
        };
        let field = state
            .custom_fields
            .iter()
            .find(|f| f.location_id == location && f.id == reference);
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
        let stored = match field_value {
            Value::Number(n) => Value::String(n.to_string()),
            other => other,
        };
        out.push(json!({"id": field.id, "value": stored}));
    }
    out
}

/// Validates a create/upsert (`update == false`) or update body; returns the properties to
/// store, without `locationId`. `null` values are kept: they clear a property on update.
fn validate(
    state: &State,
    ctx: &Ctx,
    body: &Map<String, Value>,
    dto: Dto,
) -> Result<Map<String, Value>, Reply> {
    let mut errors: Vec<String> = body
        .keys()
        .filter(|k| !dto.declares(k))
        .map(|k| format!("property {k} should not exist"))
        .collect();
    let mut out = Map::new();
    for (key, value) in body {
        let key_str = key.as_str();
        if key_str == "locationId" || !dto.declares(key_str) {
            continue;
        }
        let stored = match (key_str, value) {
            ("createNewIfDuplicateAllowed", Value::Bool(_)) => continue,
            ("createNewIfDuplicateAllowed", _) => {
                errors.push("createNewIfDuplicateAllowed must be a boolean value".to_owned());
                continue;
            }
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

/// The first contact the location's duplicate rule matches, in its configured order, with the
/// field that matched.
fn first_match(
    state: &State,
    location: &str,
    fields: &Map<String, Value>,
    except: Option<&str>,
) -> Option<(Contact, &'static str)> {
    let (_, order) = state.duplicate_rule(location);
    order.fields().into_iter().find_map(|field| {
        let value = fields.get(field).and_then(Value::as_str)?;
        let found = match field {
            "email" => state.contacts.by_email(location, value, except),
            _ => state.contacts.by_phone(location, value, except),
        };
        found.map(|c| (c.clone(), field))
    })
}

/// Enforces the duplicate rule (in the location's order) unless the location allows
/// duplicates.
fn check_duplicates(
    state: &mut State,
    location: &str,
    fields: &Map<String, Value>,
    except: Option<&str>,
) -> Result<(), Reply> {
    if state.duplicate_rule(location).0 {
        return Ok(());
    }
    match first_match(state, location, fields, except) {
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

/// A contact of the caller's location: 400 "Contact with id … not found" when unknown (GHL
/// declares no 404 for contacts; this is the answer third-party integrations quote), 403 when
/// in another location.
pub(crate) fn find(state: &State, ctx: &Ctx, id: &str) -> Result<Contact, Reply> {
    match state.contacts.get(id) {
        None => Err(reply::error(400, format!("Contact with id {id} not found"))),
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
    let fields = validate(state, ctx, ctx.body()?, Dto::Create)?;
    ctx.body_location()?;
    let contact = new_contact(state, ctx, fields)?;
    Ok(Reply::created(json!({"contact": contact.to_json()})))
}

/// `POST /contacts/upsert`: matches in the location's order (email then phone by default).
/// When the two fields match two different contacts, the contact matching the first field is
/// updated and the second field is not written, as GHL's upsert documentation describes. With
/// `createNewIfDuplicateAllowed: true` in a location that allows duplicates, it always creates.
pub(crate) fn upsert(state: &mut State, ctx: &Ctx) -> Outcome {
    let body = ctx.body()?;
    let mut fields = validate(state, ctx, body, Dto::Upsert)?;
    ctx.body_location()?;
    require_identity(&fields)?;
    let loc = ctx.location_id.clone();
    let (allow, order) = state.duplicate_rule(&loc);
    let always_create = allow
        && body
            .get("createNewIfDuplicateAllowed")
            .and_then(Value::as_bool)
            .unwrap_or(false);
    let trace = state.ids.next_id();
    let matched = if always_create {
        None
    } else {
        first_match(state, &loc, &fields, None)
    };
    let (created, contact) = match matched {
        Some((existing, field)) => {
            let [_, second] = order.fields();
            let other = fields
                .get(second)
                .and_then(Value::as_str)
                .and_then(|v| match second {
                    "email" => state.contacts.by_email(&loc, v, None),
                    _ => state.contacts.by_phone(&loc, v, None),
                })
                .map(|c| c.id.clone());
            if field != second && other.is_some_and(|o| o != existing.id) {
                fields.remove(second);
            }
            (false, apply_update(state, existing, fields))
        }
        None if always_create => (true, insert_contact(state, &loc, fields)),
        None => (true, new_contact(state, ctx, fields)?),
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
    let fields = validate(state, ctx, ctx.body()?, Dto::Update)?;
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
    let mut data = json!({"id": id, "body": text, "contactId": contact_id, "dateAdded": added});
    // `userId` is a string in GHL's note schema: absent rather than null when not given.
    if let Some(user) = user {
        data["userId"] = json!(user);
    }
    let note = entity(&id, &ctx.location_id, Some(contact_id), data);
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
/// would match (in the location's order), or `{"contact": null}`.
pub(crate) fn duplicate(state: &mut State, ctx: &Ctx) -> Outcome {
    ctx.query_location()?;
    let email = ctx.query("email").filter(|e| !e.is_empty());
    let number = ctx.query("number").filter(|n| !n.is_empty());
    if email.is_none() && number.is_none() {
        return Err(reply::invalid("email or number is required"));
    }
    let mut fields = Map::new();
    if let Some(email) = email {
        fields.insert("email".into(), json!(email));
    }
    if let Some(number) = number {
        fields.insert("phone".into(), json!(number.trim()));
    }
    let found = first_match(state, &ctx.location_id, &fields, None);
    Ok(Reply::ok(
        json!({"contact": found.map(|(c, _)| c.to_json())}),
    ))
}

/// `POST /contacts/bulk/tags/update/{add|remove}` with `{contacts, tags, locationId,
/// removeAllTags?}`: per-contact results; a contact that is unknown or of another location is
/// an error item, not a failed request. Answers 201.
pub(crate) fn bulk_tags(state: &mut State, ctx: &Ctx, kind: &str) -> Outcome {
    let add = match kind {
        "add" => true,
        "remove" => false,
        _ => {
            return Err(reply::invalid(
                "type must be one of the following values: add, remove",
            ));
        }
    };
    let body = ctx.body()?;
    let mut errors = unknown_properties(body, &["contacts", "tags", "locationId", "removeAllTags"]);
    let contacts = body.get("contacts").and_then(string_tags);
    if contacts.as_ref().is_none_or(|c| c.is_empty()) {
        errors.push("contacts should not be empty".to_owned());
    }
    let remove_all = match body.get("removeAllTags") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            errors.push("removeAllTags must be a boolean value".to_owned());
            false
        }
    };
    if remove_all && add {
        errors.push("removeAllTags can only be used with the remove type".to_owned());
    }
    let tags = body.get("tags").and_then(string_tags);
    match &tags {
        None => errors.push("each value in tags must be a string".to_owned()),
        Some(t) if t.is_empty() && !remove_all => {
            errors.push("tags should not be empty".to_owned())
        }
        Some(_) => {}
    }
    if !errors.is_empty() {
        return Err(reply::validation(errors));
    }
    ctx.body_location()?;
    let given = normalise_tags(tags.unwrap_or_default());
    let mut responses = Vec::new();
    let mut error_count = 0u64;
    for contact_id in contacts.unwrap_or_default() {
        let contact = match state.contacts.get(contact_id) {
            Some(c) if c.location_id == ctx.location_id => c.clone(),
            found => {
                error_count += 1;
                let message = if found.is_some() {
                    "contact does not belong to location"
                } else {
                    "contact not found"
                };
                responses
                    .push(json!({"contactId": contact_id, "message": message, "type": "error"}));
                continue;
            }
        };
        let old: Vec<String> = contact
            .fields
            .get("tags")
            .and_then(string_tags)
            .unwrap_or_default()
            .into_iter()
            .map(str::to_owned)
            .collect();
        let next: Vec<String> = if add {
            normalise_tags(
                old.iter()
                    .map(String::as_str)
                    .chain(given.iter().map(String::as_str)),
            )
        } else if remove_all {
            Vec::new()
        } else {
            old.iter().filter(|t| !given.contains(t)).cloned().collect()
        };
        let added: Vec<&String> = next.iter().filter(|t| !old.contains(t)).collect();
        let removed: Vec<&String> = old.iter().filter(|t| !next.contains(t)).collect();
        responses.push(json!({
            "contactId": contact_id,
            "message": "Tags updated",
            "type": "success",
            "oldTags": old,
            "tagsAdded": added,
            "tagsRemoved": removed,
        }));
        if next != old {
            let mut fields = Map::new();
            fields.insert("tags".into(), json!(next));
            apply_update(state, contact, fields);
        }
    }
    Ok(Reply::created(json!({
        "succeded": true,
        "errorCount": error_count,
        "responses": responses,
    })))
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
