//! The sandbox's write routes: client create/update and the other `POST`/`PUT` endpoints.
//!
//! Bodies are read as loose JSON (not through the SDK's types), so the SDK's serialisation
//! is checked against an independent reader. Every write bumps the state generation (the
//! client filter cache) and moves `updatedAt`/`version` through the salon's own mutators.

use chrono::{NaiveDate, Utc};
use serde_json::{Value, json};

use super::model::{Address, Client};
use super::server::{Reply, State, bad_request, error, not_found};

/// `PUT` routes: `/{b}/client/{id}` and `/{b}/branch/{br}/appointment/{id}`.
pub(super) fn route_put(state: &mut State, segments: &[&str], body: &[u8], path: &str) -> Reply {
    let Ok(request) = serde_json::from_slice::<Value>(body) else {
        return bad_request("Malformed JSON request body", path);
    };
    match segments {
        ["client", id] => update_client(state, id, &request, path),
        _ => not_found(path),
    }
}

/// Business-level `POST` routes: `/{b}/client`.
pub(super) fn route_business_post(
    state: &mut State,
    segments: &[&str],
    body: &[u8],
    path: &str,
) -> Reply {
    let request = if body.iter().all(u8::is_ascii_whitespace) {
        Value::Null
    } else {
        match serde_json::from_slice::<Value>(body) {
            Ok(v) => v,
            Err(_) => return bad_request("Malformed JSON request body", path),
        }
    };
    match segments {
        ["client"] => create_client(state, &request, path),
        _ => not_found(path),
    }
}

/// A string member: absent → `None`; `null` → `Some(None)`; a string → `Some(Some(..))`.
fn text(v: &Value, key: &str) -> Option<Option<String>> {
    match v.get(key)? {
        Value::Null => Some(None),
        Value::String(s) => Some(Some(s.clone())),
        Value::Number(n) => Some(Some(n.to_string())),
        _ => None,
    }
}

/// Applies the writable client fields present in `body` (absent fields are kept: the
/// sandbox's choice where Phorest's PUT semantics are UNCONFIRMED). Errors name the field.
fn apply_client_fields(c: &mut Client, body: &Value) -> Result<(), String> {
    if let Some(v) = text(body, "firstName") {
        c.first_name = v.unwrap_or_default();
    }
    if let Some(v) = text(body, "lastName") {
        c.last_name = v.unwrap_or_default();
    }
    if let Some(v) = text(body, "mobile") {
        c.mobile = v;
    }
    if let Some(v) = text(body, "landLine") {
        c.land_line = v;
    }
    if let Some(v) = text(body, "email") {
        c.email = v;
    }
    if let Some(v) = text(body, "gender") {
        c.gender = v;
    }
    if let Some(v) = text(body, "notes") {
        c.notes = v;
    }
    if let Some(v) = text(body, "preferredStaffId") {
        c.preferred_staff_id = v;
    }
    if let Some(v) = text(body, "externalId") {
        c.external_id = v;
    }
    if let Some(v) = text(body, "birthDate") {
        c.birth_date = match v {
            None => None,
            Some(d) => Some(
                NaiveDate::parse_from_str(&d, "%Y-%m-%d")
                    .map_err(|_| format!("Invalid birthDate '{d}'"))?,
            ),
        };
    }
    for (key, slot) in [
        ("smsMarketingConsent", &mut c.sms_marketing_consent),
        ("emailMarketingConsent", &mut c.email_marketing_consent),
        ("smsReminderConsent", &mut c.sms_reminder_consent),
        ("emailReminderConsent", &mut c.email_reminder_consent),
    ] {
        match body.get(key) {
            None | Some(Value::Null) => {}
            Some(Value::Bool(b)) => *slot = *b,
            Some(_) => return Err(format!("Invalid boolean for {key}")),
        }
    }
    match body.get("clientCategoryIds") {
        None => {}
        Some(Value::Null) => c.client_category_ids.clear(),
        Some(Value::Array(ids)) => {
            c.client_category_ids = ids
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect();
        }
        Some(_) => return Err("clientCategoryIds must be a list".to_owned()),
    }
    match body.get("address") {
        None => {}
        Some(Value::Null) => c.address = None,
        Some(a @ Value::Object(_)) => {
            let field = |k: &str| text(a, k).flatten().unwrap_or_default();
            c.address = Some(Address {
                street_address1: field("streetAddress1"),
                street_address2: field("streetAddress2"),
                city: field("city"),
                state: field("state"),
                postal_code: field("postalCode"),
                country: field("country"),
            });
        }
        Some(_) => return Err("address must be an object".to_owned()),
    }
    Ok(())
}

fn client_reply(status: u16, state: &State, id: &str) -> Reply {
    match state.salon.client(id) {
        Some(c) => Reply::json(status, c),
        None => Reply::json(500, &json!({"message": "client vanished"})),
    }
}

/// `POST /{b}/client`: `creatingBranchId` (a known branch) and a non-blank `firstName` are
/// required (sandbox rule; Phorest's required set is UNCONFIRMED). Answers `201` with the
/// record (`version` 1, `createdAt = updatedAt = now`).
fn create_client(state: &mut State, body: &Value, path: &str) -> Reply {
    if !body.is_object() {
        return bad_request("Request body is required", path);
    }
    let branch = text(body, "creatingBranchId").flatten().unwrap_or_default();
    if branch.trim().is_empty() {
        return bad_request("creatingBranchId is required", path);
    }
    if !state.salon.branches().iter().any(|b| b.branch_id == branch) {
        return bad_request(&format!("Unknown creatingBranchId '{branch}'"), path);
    }
    if text(body, "firstName")
        .flatten()
        .is_none_or(|f| f.trim().is_empty())
    {
        return bad_request("firstName is required", path);
    }
    let mut probe = Client::default();
    if let Err(message) = apply_client_fields(&mut probe, body) {
        return bad_request(&message, path);
    }
    state.generation += 1;
    let id = state.salon.add_client(Utc::now(), |c| {
        let _ = apply_client_fields(c, body);
        c.creating_branch_id = Some(branch);
    });
    client_reply(201, state, &id)
}

/// `PUT /{b}/client/{id}`: `version` must equal the stored one (else `409` with
/// `errorCode: "VERSION_CONFLICT"`, body shape invented); `clientId`, when sent, must match
/// the path. Answers `200` with the record, `version` bumped and `updatedAt` moved.
fn update_client(state: &mut State, id: &str, body: &Value, path: &str) -> Reply {
    let Some(current) = state.salon.client(id).map(|c| c.version) else {
        return error(
            404,
            "NOT_FOUND",
            "Client with a given id doesn't exist",
            path,
        );
    };
    if let Some(Some(sent)) = text(body, "clientId")
        && sent != id
    {
        return bad_request("clientId does not match the path", path);
    }
    let Some(version) = body.get("version").and_then(Value::as_i64) else {
        return bad_request("version is required", path);
    };
    if version != current {
        return error(
            409,
            "VERSION_CONFLICT",
            &format!("Client was modified: version {version} is stale (current {current})"),
            path,
        );
    }
    let mut probe = Client::default();
    if let Err(message) = apply_client_fields(&mut probe, body) {
        return bad_request(&message, path);
    }
    state.generation += 1;
    state.salon.update_client(id, Utc::now(), |c| {
        let _ = apply_client_fields(c, body);
    });
    client_reply(200, state, id)
}
