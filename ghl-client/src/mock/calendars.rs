//! Calendars, appointments and calendar events.

use chrono::DateTime;
use serde_json::{Map, Value, json};

use super::reply::{self, Outcome, Reply};
use super::router::Ctx;
use super::state::{Entity, State, entity};

const STATUSES: &[&str] = &[
    "new",
    "confirmed",
    "cancelled",
    "showed",
    "noshow",
    "invalid",
];
/// Copied onto the stored appointment when present in a request.
const COPIED: &[&str] = &[
    "title",
    "address",
    "meetingLocationType",
    "meetingLocationId",
    "description",
    "notes",
    "toNotify",
    "ignoreDateRange",
    "ignoreFreeSlotValidation",
];
const DEFAULT_LENGTH_MS: i64 = 30 * 60 * 1000;

fn find_calendar<'s>(state: &'s State, ctx: &Ctx, id: &str) -> Result<&'s Entity, Reply> {
    state
        .calendars
        .iter()
        .find(|c| c.id == id && c.location_id == ctx.location_id)
        .ok_or_else(|| reply::not_found("Calendar"))
}

/// `GET /calendars/?locationId=`.
pub(crate) fn list(state: &mut State, ctx: &Ctx) -> Outcome {
    ctx.query_location()?;
    let calendars: Vec<Value> = state
        .calendars
        .iter()
        .filter(|c| c.location_id == ctx.location_id)
        .map(Entity::to_json)
        .collect();
    Ok(Reply::ok(json!({"calendars": calendars})))
}

/// `GET /calendars/{id}`.
pub(crate) fn get(state: &mut State, ctx: &Ctx, id: &str) -> Outcome {
    Ok(Reply::ok(
        json!({"calendar": find_calendar(state, ctx, id)?.to_json()}),
    ))
}

fn millis(value: Option<&Value>, key: &str) -> Result<Option<i64>, Reply> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => DateTime::parse_from_rfc3339(s)
            .map(|t| Some(t.timestamp_millis()))
            .map_err(|_| {
                reply::invalid(format!(
                    "{key} must be a valid ISO 8601 date string with offset"
                ))
            }),
        Some(_) => Err(reply::invalid(format!(
            "{key} must be a valid ISO 8601 date string with offset"
        ))),
    }
}

fn span(a: &Entity) -> Option<(i64, i64)> {
    let start = DateTime::parse_from_rfc3339(a.str_field("startTime")?).ok()?;
    let end = DateTime::parse_from_rfc3339(a.str_field("endTime")?).ok()?;
    Some((start.timestamp_millis(), end.timestamp_millis()))
}

/// Validates a create (all of `base` empty) or update body against the calendar rules and
/// returns the appointment's new data.
fn build(state: &State, ctx: &Ctx, base: Option<&Entity>) -> Result<Map<String, Value>, Reply> {
    let body = ctx.body()?;
    let mut data = base.map(|b| b.data.clone()).unwrap_or_default();
    let creating = base.is_none();
    if creating || body.contains_key("locationId") {
        ctx.body_location()?;
    }
    let mut missing = Vec::new();
    for key in ["calendarId", "contactId", "startTime"] {
        let given = body
            .get(key)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty());
        match given {
            Some(v) => {
                data.insert(key.into(), json!(v));
            }
            None if creating => missing.push(format!("{key} should not be empty")),
            None => {}
        }
    }
    if !missing.is_empty() {
        return Err(reply::validation(missing));
    }
    let calendar_id = data
        .get("calendarId")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let calendar = find_calendar(state, ctx, &calendar_id)?;
    let contact_id = data
        .get("contactId")
        .and_then(Value::as_str)
        .unwrap_or_default();
    super::contacts::find(state, ctx, contact_id)?;
    let start = millis(data.get("startTime"), "startTime")?.unwrap_or_default();
    let end = match millis(body.get("endTime"), "endTime")? {
        Some(end) => {
            data.insert(
                "endTime".into(),
                body.get("endTime").cloned().unwrap_or_default(),
            );
            end
        }
        None => match base.and_then(span) {
            Some((old_start, old_end)) if body.get("startTime").is_none() => old_end.max(old_start),
            _ => {
                let end = start + DEFAULT_LENGTH_MS;
                let offset = data
                    .get("startTime")
                    .and_then(Value::as_str)
                    .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
                    .map(|t| *t.offset());
                let end_text = offset
                    .and_then(|o| {
                        DateTime::from_timestamp_millis(end)
                            .map(|t| t.with_timezone(&o).to_rfc3339())
                    })
                    .unwrap_or_default();
                data.insert("endTime".into(), json!(end_text));
                end
            }
        },
    };
    if end <= start {
        return Err(reply::invalid("endTime must be after startTime"));
    }
    if let Some(status) = body.get("appointmentStatus") {
        match status.as_str() {
            Some(s) if STATUSES.contains(&s) => {
                data.insert("appointmentStatus".into(), json!(s));
            }
            _ => {
                return Err(reply::invalid(
                    "appointmentStatus must be one of the following values: new, confirmed, cancelled, showed, noshow, invalid",
                ));
            }
        }
    }
    data.entry("appointmentStatus")
        .or_insert_with(|| json!("confirmed"));
    if let Some(user) = body.get("assignedUserId").and_then(Value::as_str) {
        let member = calendar
            .data
            .get("teamMembers")
            .and_then(Value::as_array)
            .is_some_and(|m| {
                m.iter()
                    .any(|t| t.get("userId").and_then(Value::as_str) == Some(user))
            });
        if !member {
            return Err(reply::invalid(format!(
                "assignedUserId: user {user} is not a team member of calendar {calendar_id}"
            )));
        }
        data.insert("assignedUserId".into(), json!(user));
    }
    let users: Vec<Value> = data.get("assignedUserId").into_iter().cloned().collect();
    data.insert("users".into(), Value::Array(users));
    for key in COPIED {
        if let Some(v) = body.get(*key) {
            data.insert((*key).into(), v.clone());
        }
    }
    data.insert("locationId".into(), json!(ctx.location_id));
    let ignore_slots = body
        .get("ignoreFreeSlotValidation")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let cancelled = data.get("appointmentStatus").and_then(Value::as_str) == Some("cancelled");
    if !ignore_slots && !cancelled {
        let own_id = base.map(|b| b.id.as_str());
        let user = data.get("assignedUserId").cloned();
        let taken = state.appointments.iter().any(|a| {
            Some(a.id.as_str()) != own_id
                && a.str_field("calendarId") == Some(calendar_id.as_str())
                && a.data.get("assignedUserId").cloned() == user
                && a.str_field("appointmentStatus") != Some("cancelled")
                && span(a).is_some_and(|(s, e)| s < end && start < e)
        });
        if taken {
            return Err(reply::error(
                400,
                "The slot you have selected is no longer available.",
            ));
        }
    }
    Ok(data)
}

/// `POST /calendars/events/appointments` → 200 with the flat appointment (the spec declares
/// 200 only).
pub(crate) fn create(state: &mut State, ctx: &Ctx) -> Outcome {
    let mut data = build(state, ctx, None)?;
    let id = state.ids.next_id();
    let now = state.stamp().1;
    data.insert("id".into(), json!(id));
    data.insert("groupId".into(), json!(""));
    data.insert("status".into(), json!("booked"));
    data.insert("isRecurring".into(), json!(false));
    data.insert("dateAdded".into(), json!(now));
    data.insert("dateUpdated".into(), json!(now));
    let appointment = entity(&id, &ctx.location_id, None, Value::Object(data));
    let out = appointment.to_json();
    state.appointments.push(appointment);
    Ok(Reply::ok(out))
}

fn find_index(state: &State, ctx: &Ctx, id: &str) -> Result<usize, Reply> {
    state
        .appointments
        .iter()
        .position(|a| a.id == id && a.location_id == ctx.location_id)
        .ok_or_else(|| reply::not_found("Appointment"))
}

/// `PUT /calendars/events/appointments/{id}`.
pub(crate) fn update(state: &mut State, ctx: &Ctx, id: &str) -> Outcome {
    let index = find_index(state, ctx, id)?;
    let base = state.appointments.get(index).cloned();
    let mut data = build(state, ctx, base.as_ref())?;
    data.insert("dateUpdated".into(), json!(state.stamp().1));
    let slot = state
        .appointments
        .get_mut(index)
        .ok_or_else(|| reply::not_found("Appointment"))?;
    slot.data = data;
    Ok(Reply::ok(slot.to_json()))
}

/// `GET /calendars/events/appointments/{id}` → `{"event": {..}}`.
pub(crate) fn get_appointment(state: &mut State, ctx: &Ctx, id: &str) -> Outcome {
    let index = find_index(state, ctx, id)?;
    let event = state.appointments.get(index).map(Entity::to_json);
    Ok(Reply::ok(json!({"event": event})))
}

/// `DELETE /calendars/events/{id}` with its required (empty object) JSON body → 201
/// `{succeeded}`, as the spec declares.
pub(crate) fn delete(state: &mut State, ctx: &Ctx, id: &str) -> Outcome {
    ctx.body()?;
    let index = find_index(state, ctx, id)?;
    state.appointments.remove(index);
    Ok(Reply::created(json!({"succeeded": true})))
}

/// `GET /calendars/events?locationId&calendarId|userId|groupId&startTime&endTime` (epoch ms):
/// events overlapping the range, by start time.
pub(crate) fn events(state: &mut State, ctx: &Ctx) -> Outcome {
    ctx.query_location()?;
    let mut errors = Vec::new();
    let mut bound = |key: &str| -> i64 {
        match ctx.query(key).and_then(|v| v.parse::<i64>().ok()) {
            Some(v) => v,
            None => {
                errors.push(format!("{key} must be an epoch timestamp in milliseconds"));
                0
            }
        }
    };
    let (from, to) = (bound("startTime"), bound("endTime"));
    let calendar = ctx.query("calendarId");
    let user = ctx.query("userId");
    let group = ctx.query("groupId");
    if calendar.is_none() && user.is_none() && group.is_none() {
        errors.push("calendarId, userId or groupId is required".to_owned());
    }
    if !errors.is_empty() {
        return Err(reply::validation(errors));
    }
    let hits = state
        .appointments
        .iter()
        .filter(|a| a.location_id == ctx.location_id)
        .filter(|a| calendar.is_none_or(|c| a.str_field("calendarId") == Some(c)))
        .filter(|a| user.is_none_or(|u| a.str_field("assignedUserId") == Some(u)))
        .filter(|a| span(a).is_some_and(|(s, e)| s <= to && e >= from));
    Ok(by_start(hits))
}

/// `GET /contacts/{id}/appointments` → `{"events": [..]}`, by start time.
pub(crate) fn of_contact(state: &mut State, ctx: &Ctx, contact_id: &str) -> Outcome {
    super::contacts::find(state, ctx, contact_id)?;
    let hits = state
        .appointments
        .iter()
        .filter(|a| a.str_field("contactId") == Some(contact_id));
    Ok(by_start(hits))
}

/// `{"events": [..]}` ordered by start time.
fn by_start<'a>(appointments: impl Iterator<Item = &'a Entity>) -> Reply {
    let mut hits: Vec<(i64, Value)> = appointments
        .map(|a| (span(a).map_or(0, |(s, _)| s), a.to_json()))
        .collect();
    hits.sort_by_key(|(s, _)| *s);
    let events: Vec<Value> = hits.into_iter().map(|(_, v)| v).collect();
    Reply::ok(json!({"events": events}))
}
