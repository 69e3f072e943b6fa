//! The sandbox's write routes: client create/update and the other `POST`/`PUT` endpoints.
//!
//! Bodies are read as loose JSON (not through the SDK's types), so the SDK's serialisation
//! is checked against an independent reader. Every write bumps the state generation (the
//! client filter cache) and moves `updatedAt`/`version` through the salon's own mutators.

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, SecondsFormat, TimeZone, Utc};
use serde_json::{Value, json};

use super::model::{Address, Appointment, Client};
use super::server::{Reply, State, bad_request, error, not_found};

/// `PUT` routes: `/{b}/client/{id}` and `/{b}/branch/{br}/appointment/{id}`.
pub(super) fn route_put(state: &mut State, segments: &[&str], body: &[u8], path: &str) -> Reply {
    let Ok(request) = serde_json::from_slice::<Value>(body) else {
        return bad_request("Malformed JSON request body", path);
    };
    match segments {
        ["client", id] => update_client(state, id, &request, path),
        ["branch", branch, "appointment", id] => {
            if !known_branch(state, branch) {
                return branch_not_found(path);
            }
            update_appointment(state, branch, id, &request, path)
        }
        _ => not_found(path),
    }
}

fn known_branch(state: &State, branch: &str) -> bool {
    state.salon.branches().iter().any(|b| b.branch_id == branch)
}

fn branch_not_found(path: &str) -> Reply {
    error(
        404,
        "BRANCH_NOT_FOUND",
        "Branch with a given id doesn't exist",
        path,
    )
}

/// Branch-level `POST` routes (the branch is known): bookings, appointment actions and the
/// availability search.
pub(super) fn route_branch_post(
    state: &mut State,
    branch: &str,
    tail: &[&str],
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
    match tail {
        ["booking"] => create_booking(state, branch, &request, path),
        ["booking", id, "activate"] => booking_action(state, branch, id, "ACTIVE", path),
        ["booking", id, "cancel"] => booking_action(state, branch, id, "CANCELED", path),
        ["appointment", "cancel"] => appointment_action(state, branch, &request, true, path),
        ["appointment", "confirm"] => appointment_action(state, branch, &request, false, path),
        ["appointments", "availability"] => {
            super::diary::availability(state, branch, &request, path)
        }
        _ => not_found(path),
    }
}

fn instant(v: &Value, key: &str) -> Option<DateTime<Utc>> {
    v.get(key)
        .and_then(Value::as_str)
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&Utc))
}

fn local_time(v: &Value, key: &str) -> Result<Option<NaiveTime>, String> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(t)) => NaiveTime::parse_from_str(t, "%H:%M:%S%.f")
            .or_else(|_| NaiveTime::parse_from_str(t, "%H:%M"))
            .map(Some)
            .map_err(|_| format!("Invalid time '{t}' for {key}")),
        Some(_) => Err(format!("Invalid time for {key}")),
    }
}

fn iso(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Whether `staff` has a live (not deleted, not cancelled) appointment overlapping
/// `start..end` on `date` in `branch`, other than `except`.
pub(super) fn busy(
    state: &State,
    branch: &str,
    staff: &str,
    date: NaiveDate,
    (start, end): (NaiveTime, NaiveTime),
    except: Option<&str>,
) -> bool {
    state.salon.appointments().iter().any(|a| {
        a.branch_id == branch
            && a.staff_id == staff
            && a.appointment_date == date
            && !a.deleted
            && a.activation_state != "CANCELED"
            && except.is_none_or(|e| a.appointment_id != e)
            && a.start_time < end
            && start < a.end_time
    })
}

/// The UTC instants of an appointment's start and end.
fn utc_span(state: &State, a: &Appointment) -> (Option<String>, Option<String>) {
    let tz = state.salon.time_zone();
    let at = |t: NaiveTime| {
        tz.from_local_datetime(&a.appointment_date.and_time(t))
            .earliest()
            .map(|t| iso(t.with_timezone(&Utc)))
    };
    (at(a.start_time), at(a.end_time))
}

fn booking_json(state: &State, booking_id: &str, status: &str, rows: &[&Appointment]) -> Value {
    let client = rows
        .first()
        .map(|a| a.client_id.clone())
        .unwrap_or_default();
    let services: Vec<Value> = rows
        .iter()
        .map(|a| {
            let (start, end) = utc_span(state, a);
            json!({
                "serviceId": a.service_id, "staffId": a.staff_id,
                "appointmentId": a.appointment_id, "startTime": start, "endTime": end,
            })
        })
        .collect();
    json!({
        "bookingId": booking_id,
        "bookingStatus": status,
        "clientId": client,
        "clientAppointmentSchedules": [{ "clientId": client, "serviceSchedules": services }],
        "links": [],
    })
}

/// One service line of a booking being created.
struct Line {
    service_id: String,
    staff_id: String,
    date: NaiveDate,
    from: NaiveTime,
    to: NaiveTime,
    price: f64,
    name: String,
    notes: Option<String>,
}

/// `POST /{b}/branch/{br}/booking`: a known `clientId`; each service schedule a known
/// `serviceId`, a staff member of the branch and a UTC `startTime`; the staff member must be
/// free (else `400` `STAFF_NOT_AVAILABLE`, code invented). Creates one appointment per service
/// (branch-local times, `source: API`), `RESERVED` when `bookingStatus` is `RESERVED`, else
/// `ACTIVE`; answers `201` with the booking.
fn create_booking(state: &mut State, branch: &str, body: &Value, path: &str) -> Reply {
    let client = text(body, "clientId").flatten().unwrap_or_default();
    if state.salon.client(&client).is_none() {
        return bad_request(&format!("Client '{client}' doesn't exist"), path);
    }
    let reserved = text(body, "bookingStatus").flatten().as_deref() == Some("RESERVED");
    let schedules: Vec<&Value> = body
        .get("clientAppointmentSchedules")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .flat_map(|c| {
            c.get("serviceSchedules")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
        })
        .collect();
    if schedules.is_empty() {
        return bad_request("clientAppointmentSchedules must hold a service", path);
    }
    let tz = state.salon.time_zone();
    let mut rows = Vec::new();
    for s in schedules {
        let service_id = text(s, "serviceId").flatten().unwrap_or_default();
        let Some(service) = state
            .salon
            .services()
            .iter()
            .find(|x| x.service_id == service_id)
        else {
            return bad_request(&format!("Service '{service_id}' doesn't exist"), path);
        };
        let staff_id = text(s, "staffId").flatten().unwrap_or_default();
        if !state
            .salon
            .staff()
            .iter()
            .any(|x| x.staff_id == staff_id && x.branch_id == branch && !x.archived)
        {
            return bad_request(&format!("Staff '{staff_id}' doesn't exist"), path);
        }
        let Some(start) = instant(s, "startTime") else {
            return bad_request("startTime (a UTC instant) is required", path);
        };
        let minutes = s
            .get("duration")
            .and_then(Value::as_i64)
            .unwrap_or(service.duration)
            .max(1);
        let local = start.with_timezone(&tz).naive_local();
        let end = local + Duration::minutes(minutes);
        let (date, from, to) = (local.date(), local.time(), end.time());
        let clash = busy(state, branch, &staff_id, date, (from, to), None)
            || rows.iter().any(|l: &Line| {
                l.staff_id == staff_id && l.date == date && l.from < to && from < l.to
            });
        if clash {
            return error(
                400,
                "STAFF_NOT_AVAILABLE",
                "The staff member is not available at this time",
                path,
            );
        }
        rows.push(Line {
            price: service.price,
            name: service.name.clone(),
            notes: text(s, "notes").flatten(),
            service_id,
            staff_id,
            date,
            from,
            to,
        });
    }
    state.generation += 1;
    let booking_id = state.salon.mint_id();
    let now = Utc::now();
    let mut ids = Vec::new();
    for line in rows {
        let booking = booking_id.clone();
        let client = client.clone();
        let branch = branch.to_owned();
        ids.push(state.salon.add_appointment(now, move |a| {
            a.booking_id = booking;
            a.branch_id = branch;
            a.client_id = client;
            a.service_id = line.service_id;
            a.service_name = line.name;
            a.staff_id = line.staff_id;
            a.appointment_date = line.date;
            a.start_time = line.from;
            a.end_time = line.to;
            a.price = line.price;
            a.notes = line.notes;
            if reserved {
                a.activation_state = "RESERVED".to_owned();
            }
        }));
    }
    let rows: Vec<&Appointment> = ids
        .iter()
        .filter_map(|id| {
            state
                .salon
                .appointments()
                .iter()
                .find(|a| a.appointment_id == *id)
        })
        .collect();
    let status = if reserved { "RESERVED" } else { "CONFIRMED" };
    Reply::json(201, &booking_json(state, &booking_id, status, &rows))
}

/// `POST …/booking/{id}/activate` (`RESERVED` → `ACTIVE`; answers the booking) and
/// `…/cancel` (→ `CANCELED`; answers an empty `200`). 404 for an unknown booking.
fn booking_action(state: &mut State, branch: &str, booking: &str, to: &str, path: &str) -> Reply {
    let ids: Vec<String> = state
        .salon
        .appointments()
        .iter()
        .filter(|a| a.booking_id == booking && a.branch_id == branch && !a.deleted)
        .map(|a| a.appointment_id.clone())
        .collect();
    if ids.is_empty() {
        return error(
            404,
            "NOT_FOUND",
            "Booking with a given id doesn't exist",
            path,
        );
    }
    if to == "ACTIVE"
        && state
            .salon
            .appointments()
            .iter()
            .any(|a| a.booking_id == booking && a.activation_state == "CANCELED")
    {
        return bad_request("A cancelled booking cannot be activated", path);
    }
    state.generation += 1;
    let now = Utc::now();
    for id in &ids {
        state.salon.update_appointment(id, now, |a| {
            if to == "CANCELED" || a.activation_state == "RESERVED" {
                a.activation_state = to.to_owned();
            }
        });
    }
    if to == "CANCELED" {
        return Reply::empty(200);
    }
    let rows: Vec<&Appointment> = state
        .salon
        .appointments()
        .iter()
        .filter(|a| ids.contains(&a.appointment_id))
        .collect();
    Reply::json(200, &booking_json(state, booking, "CONFIRMED", &rows))
}

/// `POST …/appointment/cancel|confirm` with `{"appointmentIds": [...]}` (body shape
/// UNCONFIRMED): every id must be an appointment of the branch (else 404, nothing changes).
/// Cancel sets `CANCELED`, confirm sets `confirmed`. Answers an empty `200`.
fn appointment_action(
    state: &mut State,
    branch: &str,
    body: &Value,
    cancel: bool,
    path: &str,
) -> Reply {
    let ids: Vec<String> = body
        .get("appointmentIds")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect();
    if ids.is_empty() {
        return bad_request("appointmentIds must hold at least one id", path);
    }
    let known = |id: &String| {
        state
            .salon
            .appointments()
            .iter()
            .any(|a| a.appointment_id == *id && a.branch_id == branch)
    };
    if let Some(missing) = ids.iter().find(|id| !known(id)) {
        return error(
            404,
            "NOT_FOUND",
            &format!("Appointment '{missing}' doesn't exist"),
            path,
        );
    }
    state.generation += 1;
    let now = Utc::now();
    for id in &ids {
        state.salon.update_appointment(id, now, |a| {
            if cancel {
                a.activation_state = "CANCELED".to_owned();
            } else {
                a.confirmed = true;
            }
        });
    }
    Reply::empty(200)
}

/// `PUT /{b}/branch/{br}/appointment/{id}`: `version` must equal the stored one (else `409`
/// `VERSION_CONFLICT`); applies `staffId` (a staff member of the branch), `serviceId`,
/// `appointmentDate`, `startTime`, `endTime` (branch-local) and `notes`; the staff member must
/// be free at the new time. Answers `200` with the appointment, `version` and `updatedAt`
/// moved.
fn update_appointment(
    state: &mut State,
    branch: &str,
    id: &str,
    body: &Value,
    path: &str,
) -> Reply {
    let Some(current) = state
        .salon
        .appointments()
        .iter()
        .find(|a| a.appointment_id == id && a.branch_id == branch)
        .cloned()
    else {
        return error(
            404,
            "NOT_FOUND",
            "Appointment with a given id doesn't exist",
            path,
        );
    };
    let Some(version) = body.get("version").and_then(Value::as_i64) else {
        return bad_request("version is required", path);
    };
    if version != current.version {
        return error(
            409,
            "VERSION_CONFLICT",
            &format!(
                "Appointment was modified: version {version} is stale (current {})",
                current.version
            ),
            path,
        );
    }
    let mut next = current.clone();
    if let Some(Some(staff)) = text(body, "staffId") {
        if !state
            .salon
            .staff()
            .iter()
            .any(|s| s.staff_id == staff && s.branch_id == branch)
        {
            return bad_request(&format!("Staff '{staff}' doesn't exist"), path);
        }
        next.staff_id = staff;
    }
    if let Some(Some(service)) = text(body, "serviceId") {
        let Some(s) = state
            .salon
            .services()
            .iter()
            .find(|s| s.service_id == service)
        else {
            return bad_request(&format!("Service '{service}' doesn't exist"), path);
        };
        next.service_name = s.name.clone();
        next.service_id = service;
    }
    if let Some(Some(date)) = text(body, "appointmentDate") {
        match NaiveDate::parse_from_str(&date, "%Y-%m-%d") {
            Ok(d) => next.appointment_date = d,
            Err(_) => return bad_request(&format!("Invalid appointmentDate '{date}'"), path),
        }
    }
    match (local_time(body, "startTime"), local_time(body, "endTime")) {
        (Ok(start), Ok(end)) => {
            if let Some(start) = start {
                let length = next.end_time - next.start_time;
                next.start_time = start;
                next.end_time = end.unwrap_or(start + length);
            } else if let Some(end) = end {
                next.end_time = end;
            }
        }
        (Err(m), _) | (_, Err(m)) => return bad_request(&m, path),
    }
    if let Some(v) = text(body, "notes") {
        next.notes = v;
    }
    if busy(
        state,
        branch,
        &next.staff_id,
        next.appointment_date,
        (next.start_time, next.end_time),
        Some(id),
    ) {
        return error(
            400,
            "STAFF_NOT_AVAILABLE",
            "The staff member is not available at this time",
            path,
        );
    }
    state.generation += 1;
    state.salon.update_appointment(id, Utc::now(), |a| {
        let (version, updated) = (a.version, a.updated_at);
        *a = Appointment {
            version,
            updated_at: updated,
            ..next
        };
    });
    match state
        .salon
        .appointments()
        .iter()
        .find(|a| a.appointment_id == id)
    {
        Some(a) => Reply::json(200, a),
        None => not_found(path),
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
