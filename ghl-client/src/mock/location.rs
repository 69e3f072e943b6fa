//! Users, locations and custom fields.

use serde_json::{Value, json};

use super::reply::{self, Outcome, Reply};
use super::router::Ctx;
use super::state::{Entity, State, entity};

/// The data types of GHL's custom fields API (`custom-fields.json`).
const DATA_TYPES: &[&str] = &[
    "TEXT",
    "LARGE_TEXT",
    "NUMERICAL",
    "PHONE",
    "MONETORY",
    "CHECKBOX",
    "SINGLE_OPTIONS",
    "MULTIPLE_OPTIONS",
    "DATE",
    "TEXTBOX_LIST",
    "FILE_UPLOAD",
    "RADIO",
    "EMAIL",
];

/// The company (agency) every sandbox location belongs to.
pub(crate) fn company_id() -> String {
    super::ids::derive_id("company")
}

/// `GET /users/search?companyId&locationId&query&skip&limit&ids…` → `{users, count}`:
/// `companyId` is required and must be the location's company; `skip` and `limit` (default
/// 25) page the matches, `count` is the number of matches.
pub(crate) fn search_users(state: &mut State, ctx: &Ctx) -> Outcome {
    let mut errors = Vec::new();
    match ctx.query("companyId").filter(|c| !c.is_empty()) {
        None => errors.push("companyId should not be empty".to_owned()),
        Some(c) if c != company_id() => return Err(reply::forbidden_location()),
        Some(_) => {}
    }
    let mut number = |key: &str, default: usize| -> usize {
        match ctx.query(key) {
            None => default,
            Some(v) => v.parse::<usize>().unwrap_or_else(|_| {
                errors.push(format!("{key} must be a non-negative integer"));
                default
            }),
        }
    };
    let skip = number("skip", 0);
    let limit = number("limit", 25);
    if !errors.is_empty() {
        return Err(reply::validation(errors));
    }
    if let Some(location) = ctx.query("locationId") {
        ctx.check_location(Some(location))?;
    }
    let query = ctx.query("query").map(str::to_lowercase);
    let ids: Option<Vec<&str>> = ctx.query("ids").map(|ids| ids.split(',').collect());
    let matching: Vec<Value> = state
        .users
        .iter()
        .filter(|u| u.location_id == ctx.location_id)
        .filter(|u| ids.as_ref().is_none_or(|ids| ids.contains(&u.id.as_str())))
        .filter(|u| {
            query.as_ref().is_none_or(|q| {
                ["name", "email", "phone"].iter().any(|k| {
                    u.str_field(k)
                        .is_some_and(|v| v.to_lowercase().contains(q.as_str()))
                })
            })
        })
        .map(Entity::to_json)
        .collect();
    let count = matching.len();
    let users: Vec<Value> = matching.into_iter().skip(skip).take(limit).collect();
    Ok(Reply::ok(json!({"users": users, "count": count})))
}

/// `GET /users/?locationId=` (deprecated by GHL in favour of `/users/search`).
pub(crate) fn users(state: &mut State, ctx: &Ctx) -> Outcome {
    ctx.query_location()?;
    let users: Vec<Value> = state
        .users
        .iter()
        .filter(|u| u.location_id == ctx.location_id)
        .map(Entity::to_json)
        .collect();
    Ok(Reply::ok(json!({"users": users})))
}

/// `GET /locations/{id}`.
pub(crate) fn get(state: &mut State, ctx: &Ctx, id: &str) -> Outcome {
    if id != ctx.location_id {
        return Err(reply::forbidden_location());
    }
    let spec = state
        .location_spec(id)
        .cloned()
        .ok_or_else(|| reply::not_found("Location"))?;
    let allow = spec.allow_duplicate_contacts;
    Ok(Reply::ok(json!({"location": {
        "id": spec.id,
        "companyId": company_id(),
        "name": spec.name,
        "address": "",
        "city": "",
        "state": "",
        "country": spec.country,
        "postalCode": "",
        "website": "",
        "timezone": spec.timezone,
        "settings": {
            "allowDuplicateContact": allow,
            "allowDuplicateOpportunity": false,
            "allowFacebookNameMerge": false,
            "disableContactTimezone": false,
        },
    }})))
}

/// `GET /locations/{id}/customFields?model=contact|opportunity|all`.
pub(crate) fn custom_fields(state: &mut State, ctx: &Ctx, location: &str) -> Outcome {
    ctx.check_location(Some(location))?;
    let model = ctx.query("model").filter(|m| *m != "all");
    let fields: Vec<Value> = state
        .custom_fields
        .iter()
        .filter(|f| f.location_id == location)
        .filter(|f| model.is_none_or(|m| f.str_field("model") == Some(m)))
        .map(Entity::to_json)
        .collect();
    Ok(Reply::ok(json!({"customFields": fields})))
}

/// `contact.` + the name in snake case, as GHL derives `fieldKey`.
fn field_key(model: &str, name: &str) -> String {
    let mut snake = String::new();
    for ch in name.trim().chars() {
        if ch.is_alphanumeric() {
            snake.extend(ch.to_lowercase());
        } else if !snake.ends_with('_') {
            snake.push('_');
        }
    }
    format!("{model}.{}", snake.trim_matches('_'))
}

/// What a new custom field is made of.
pub(crate) struct FieldSpec<'a> {
    pub(crate) name: &'a str,
    pub(crate) data_type: &'a str,
    pub(crate) model: &'a str,
    pub(crate) placeholder: &'a str,
}

/// Creates a custom field; also used to seed fields at start.
pub(crate) fn insert_custom_field(
    state: &mut State,
    location: &str,
    spec: &FieldSpec<'_>,
) -> Outcome {
    let FieldSpec {
        name,
        data_type,
        model,
        placeholder,
    } = *spec;
    if name.trim().is_empty() {
        return Err(reply::invalid("name should not be empty"));
    }
    if !DATA_TYPES.contains(&data_type) {
        return Err(reply::invalid(format!(
            "dataType must be one of the following values: {}",
            DATA_TYPES.join(", ")
        )));
    }
    if !["contact", "opportunity"].contains(&model) {
        return Err(reply::invalid(
            "model must be one of the following values: contact, opportunity",
        ));
    }
    let key = field_key(model, name);
    let clash = state
        .custom_fields
        .iter()
        .any(|f| f.location_id == location && f.str_field("fieldKey") == Some(key.as_str()));
    if clash {
        return Err(reply::error(
            400,
            format!("A custom field with the key {key} already exists"),
        ));
    }
    let id = state.ids.next_id();
    let position = state.custom_fields.len() * 50;
    let added = state.stamp().1;
    let field = entity(
        &id,
        location,
        None,
        json!({
            "id": id,
            "name": name,
            "fieldKey": key,
            "placeholder": placeholder,
            "dataType": data_type,
            "position": position,
            "locationId": location,
            "model": model,
            "documentType": "field",
            "dateAdded": added,
        }),
    );
    let out = field.to_json();
    state.custom_fields.push(field);
    Ok(Reply::created(json!({"customField": out})))
}

/// `POST /locations/{id}/customFields` with `{name, dataType, model?, placeholder?}`.
pub(crate) fn create_custom_field(state: &mut State, ctx: &Ctx, location: &str) -> Outcome {
    ctx.check_location(Some(location))?;
    let body = ctx.body()?;
    let text = |k: &str| body.get(k).and_then(Value::as_str).unwrap_or_default();
    let spec = FieldSpec {
        name: text("name"),
        data_type: text("dataType"),
        model: body
            .get("model")
            .and_then(Value::as_str)
            .unwrap_or("contact"),
        placeholder: text("placeholder"),
    };
    insert_custom_field(state, location, &spec)
}
