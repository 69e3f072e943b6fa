//! The sandbox's write routes: client create/update and the other `POST`/`PUT` endpoints.
//!
//! Bodies are read as loose JSON (not through the SDK's types), so the SDK's serialisation
//! is checked against an independent reader. Every write bumps the state generation (the
//! client filter cache) and moves `updatedAt`/`version` through the salon's own mutators.

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, SecondsFormat, TimeZone, Utc};
use serde_json::{Value, json};

use super::model::{Address, Appointment, Client, LoyaltyCard, SaleLine};
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
        ["purchase"] => create_purchase(state, branch, &request, path),
        ["stock", "adjustment"] => adjust_stock(state, branch, &request, path),
        ["deposit", "payment-link"] => deposit_link(state, branch, &request, path),
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
        ["voucher"] => create_voucher(state, &request, path),
        ["loyaltypoints"] => change_loyalty(state, &request, path),
        _ => not_found(path),
    }
}

/// `POST /{b}/voucher`: `creatingBranchId` (known), `originalBalance` > 0, `issueDate`
/// (defaults to now), optional `expiryDate`, `clientId` (known) and `serialNumber` (unique,
/// else `400` `DUPLICATE_SERIAL`; absent → the next `V…` number). Answers `201` with the
/// voucher (remaining balance = original).
fn create_voucher(state: &mut State, body: &Value, path: &str) -> Reply {
    let branch = text(body, "creatingBranchId").flatten().unwrap_or_default();
    if !known_branch(state, &branch) {
        return bad_request(&format!("Unknown creatingBranchId '{branch}'"), path);
    }
    let Some(balance) = body
        .get("originalBalance")
        .and_then(Value::as_f64)
        .filter(|b| *b > 0.0)
    else {
        return bad_request("originalBalance must be positive", path);
    };
    let client = text(body, "clientId").flatten();
    if let Some(c) = &client
        && state.salon.client(c).is_none()
    {
        return bad_request(&format!("Client '{c}' doesn't exist"), path);
    }
    let serial = text(body, "serialNumber").flatten();
    if let Some(s) = &serial
        && state.salon.vouchers().iter().any(|v| v.serial_number == *s)
    {
        return error(
            400,
            "DUPLICATE_SERIAL",
            &format!("Voucher serial {s} already exists"),
            path,
        );
    }
    let issued = instant(body, "issueDate").unwrap_or_else(Utc::now);
    let expires = instant(body, "expiryDate");
    state.generation += 1;
    let id = state.salon.add_voucher(issued, |v| {
        v.creating_branch_id = branch;
        v.original_balance = balance;
        v.remaining_balance = balance;
        v.client_id = client;
        v.expiry_date = expires;
        if let Some(s) = serial {
            v.serial_number = s;
        }
    });
    match state.salon.vouchers().iter().find(|v| v.voucher_id == id) {
        Some(v) => Reply::json(201, v),
        None => not_found(path),
    }
}

/// `POST /{b}/loyaltypoints`: `clientId` (404 if unknown), `branchId` (known),
/// `description`, `pointsChange` (a non-negative integer) and `operationType` `ADD` or
/// `DEDUCT` (below zero → `400`). Changes the client's loyalty card (created if absent)
/// through the salon's client mutator, so `updatedAt` moves unless the hostile mode
/// `loyalty_changes_keep_updated_at` is on. Answers an empty `200`.
fn change_loyalty(state: &mut State, body: &Value, path: &str) -> Reply {
    let client = text(body, "clientId").flatten().unwrap_or_default();
    let Some(current) = state
        .salon
        .client(&client)
        .map(|c| c.loyalty_card.as_ref().map_or(0.0, |card| card.points))
    else {
        return error(
            404,
            "NOT_FOUND",
            "Client with a given id doesn't exist",
            path,
        );
    };
    let branch = text(body, "branchId").flatten().unwrap_or_default();
    if !known_branch(state, &branch) {
        return bad_request(&format!("Unknown branchId '{branch}'"), path);
    }
    if text(body, "description")
        .flatten()
        .is_none_or(|d| d.trim().is_empty())
    {
        return bad_request("description is required", path);
    }
    let Some(points) = body.get("pointsChange").and_then(Value::as_u64) else {
        return bad_request("pointsChange must be a non-negative integer", path);
    };
    let points = points as f64;
    let next = match text(body, "operationType").flatten().as_deref() {
        Some("ADD") => current + points,
        Some("DEDUCT") if current >= points => current - points,
        Some("DEDUCT") => return bad_request("Not enough loyalty points", path),
        _ => return bad_request("operationType must be ADD or DEDUCT", path),
    };
    state.generation += 1;
    let serial = format!("L{}", &client.chars().take(8).collect::<String>());
    state.salon.update_client(&client, Utc::now(), |c| {
        let card = c.loyalty_card.get_or_insert(LoyaltyCard {
            serial,
            points: 0.0,
        });
        card.points = next;
    });
    Reply::empty(200)
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

/// `POST /{b}/branch/{br}/purchase`: `items[{branchProductId, quantity, price}]` (products of
/// the branch, quantity ≥ 1), `payments[{type, amount}]` (the amounts must add up to the
/// items' total within a cent, else `400`), optional `clientId` (known; absent → the walk-in
/// client) and `number`. Lowers each product's stock (moving its `updatedAt`) and appends
/// sale lines dated now in the branch's zone, so the next `TRANSACTIONS_CSV` export lists
/// them. Answers `201` with `purchaseId` and `transactionNumber`.
fn create_purchase(state: &mut State, branch: &str, body: &Value, path: &str) -> Reply {
    let client = match text(body, "clientId").flatten() {
        Some(c) if state.salon.client(&c).is_none() => {
            return bad_request(&format!("Client '{c}' doesn't exist"), path);
        }
        Some(c) => c,
        None => state.salon.walk_in_client_id().to_owned(),
    };
    let items: Vec<&Value> = body
        .get("items")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .collect();
    if items.is_empty() {
        return bad_request("items must hold at least one item", path);
    }
    let mut lines = Vec::new();
    let mut total = 0.0;
    for item in items {
        let product_id = text(item, "branchProductId").flatten().unwrap_or_default();
        let Some(product) = state
            .salon
            .products()
            .iter()
            .find(|p| p.product_id == product_id && p.branch_id == branch)
        else {
            return bad_request(&format!("Product '{product_id}' doesn't exist"), path);
        };
        let Some(quantity) = item
            .get("quantity")
            .and_then(Value::as_u64)
            .filter(|q| *q >= 1)
        else {
            return bad_request("quantity must be at least 1", path);
        };
        let Some(price) = item.get("price").and_then(Value::as_f64) else {
            return bad_request("price is required", path);
        };
        let amount = price * quantity as f64;
        total += amount;
        lines.push((
            product.product_id.clone(),
            product.name.clone(),
            quantity as f64,
            price,
            amount,
        ));
    }
    let paid: f64 = body
        .get("payments")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|p| p.get("amount").and_then(Value::as_f64))
        .sum();
    if (paid - total).abs() > 0.01 {
        return bad_request(
            &format!("Payments ({paid:.2}) do not match the purchase total ({total:.2})"),
            path,
        );
    }
    let payment_type = body
        .pointer("/payments/0/type")
        .and_then(Value::as_str)
        .unwrap_or("CREDIT")
        .to_owned();
    state.generation += 1;
    let now = Utc::now();
    let local = now.with_timezone(&state.salon.time_zone()).naive_local();
    let purchase_id = state.salon.mint_id();
    let transaction_id = format!("T{}", state.salon.sales().len() + 100_000);
    let mut sale = Vec::new();
    for (i, (product_id, name, quantity, price, amount)) in lines.into_iter().enumerate() {
        state.salon.update_product(&product_id, now, |p| {
            p.quantity_in_stock -= quantity;
        });
        sale.push(SaleLine {
            transaction_id: transaction_id.clone(),
            transaction_item_id: format!("{transaction_id}-{}", i + 1),
            branch_id: branch.to_owned(),
            client_id: client.clone(),
            purchased_date: local.date(),
            purchase_time: local.time(),
            item_type: "PRODUCT".to_owned(),
            product_id: Some(product_id),
            service_id: None,
            description: name,
            quantity,
            unit_price: price,
            total_amount: (amount * 100.0).round() / 100.0,
            loyalty_points_awarded: 0.0,
            staff_id: None,
            payment_type: payment_type.clone(),
        });
    }
    state.salon.add_sale_lines(sale);
    Reply::json(
        201,
        &json!({
            "purchaseId": purchase_id,
            "transactionNumber": transaction_id,
            "number": body.get("number").cloned().unwrap_or(Value::Null),
            "clientId": client,
        }),
    )
}

/// `POST /{b}/branch/{br}/stock/adjustment`: `stocks[{barcode, quantity, operationType}]`;
/// every barcode must belong to a product of the branch (else `400`, nothing changes).
/// Moves `quantityInStock` and `updatedAt`. Answers an empty `200`.
fn adjust_stock(state: &mut State, branch: &str, body: &Value, path: &str) -> Reply {
    let mut changes = Vec::new();
    for line in body
        .get("stocks")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let barcode = text(line, "barcode").flatten().unwrap_or_default();
        let Some(product) = state
            .salon
            .products()
            .iter()
            .find(|p| p.branch_id == branch && p.barcode.as_deref() == Some(barcode.as_str()))
        else {
            return bad_request(&format!("No product with barcode '{barcode}'"), path);
        };
        let Some(quantity) = line.get("quantity").and_then(Value::as_u64) else {
            return bad_request("quantity must be a non-negative integer", path);
        };
        let delta = match text(line, "operationType").flatten().as_deref() {
            Some("INCREASE") => quantity as f64,
            Some("DEDUCT") => -(quantity as f64),
            _ => return bad_request("operationType must be INCREASE or DEDUCT", path),
        };
        changes.push((product.product_id.clone(), delta));
    }
    if changes.is_empty() {
        return bad_request("stocks must hold at least one line", path);
    }
    state.generation += 1;
    let now = Utc::now();
    for (id, delta) in changes {
        state
            .salon
            .update_product(&id, now, |p| p.quantity_in_stock += delta);
    }
    Reply::empty(200)
}

/// `POST /{b}/branch/{br}/deposit/payment-link`: `appointmentIds` (appointments of the
/// branch, else 404). Answers `200` with `{url}` on an invented payment host.
fn deposit_link(state: &mut State, branch: &str, body: &Value, path: &str) -> Reply {
    let ids: Vec<&str> = body
        .get("appointmentIds")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    if ids.is_empty() {
        return bad_request("appointmentIds must hold at least one id", path);
    }
    if let Some(missing) = ids.iter().find(|id| {
        !state
            .salon
            .appointments()
            .iter()
            .any(|a| a.appointment_id == **id && a.branch_id == branch)
    }) {
        return error(
            404,
            "NOT_FOUND",
            &format!("Appointment '{missing}' doesn't exist"),
            path,
        );
    }
    let link = super::diary::derived_id(&ids);
    Reply::json(
        200,
        &json!({ "url": format!("https://pay.sandbox-salon.invalid/deposit/{link}") }),
    )
}
