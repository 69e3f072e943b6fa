//! The sandbox's diary reads derived from the salon: a client's service history (from its
//! appointments, so it follows every appointment write), staff breaks and work timetables
//! (a fixed, deterministic rota: Tuesday to Saturday 09:00–17:30 with a 13:00–13:30 lunch
//! break; the real salon's rota is not modelled).

use std::hash::{DefaultHasher, Hash, Hasher};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{Datelike, NaiveDate, NaiveTime, SecondsFormat, TimeZone, Weekday};
use serde_json::{Value, json};

use super::hostile::ListKind;
use super::model::Staff;
use super::server::{Query, Reply, State, error, paged};

/// A deterministic 22-character URL-safe id derived from `parts`.
pub(super) fn derived_id(parts: &[&str]) -> String {
    let mut bytes = [0u8; 16];
    for (i, chunk) in bytes.chunks_mut(8).enumerate() {
        let mut h = DefaultHasher::new();
        i.hash(&mut h);
        parts.hash(&mut h);
        chunk.copy_from_slice(&h.finish().to_le_bytes());
    }
    URL_SAFE_NO_PAD.encode(bytes)
}

fn time(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap_or_default()
}

fn hms(t: NaiveTime) -> String {
    t.format("%H:%M:%S%.3f").to_string()
}

/// Whether the fixed rota has `day` as a working day (Tuesday to Saturday).
fn working_day(day: NaiveDate) -> bool {
    !matches!(day.weekday(), Weekday::Sun | Weekday::Mon)
}

/// `from_date`/`to_date` (required, inclusive, at most 31 days).
fn window(q: &Query) -> Result<(NaiveDate, NaiveDate), String> {
    let (Some(from), Some(to)) = (q.date("from_date")?, q.date("to_date")?) else {
        return Err("Parameters from_date and to_date are required".to_owned());
    };
    if to < from {
        return Err("to_date must not be before from_date".to_owned());
    }
    if (to - from).num_days() > 30 {
        return Err("Maximum one month date range is allowed".to_owned());
    }
    Ok((from, to))
}

fn days(from: NaiveDate, to: NaiveDate) -> impl Iterator<Item = NaiveDate> {
    from.iter_days().take_while(move |d| *d <= to)
}

fn rota_staff<'a>(state: &'a State, branch: &'a str) -> impl Iterator<Item = &'a Staff> {
    state
        .salon
        .staff()
        .iter()
        .filter(move |s| s.branch_id == branch && !s.archived && !s.deleted)
}

/// `GET /{b}/branch/{br}/break`: `from_date`/`to_date` (required, ≤ 31 days), `staff_id`,
/// `room_id`, `machine_id` (no rooms or machines are modelled, so either gives nothing).
pub(super) fn breaks(state: &State, branch: &str, q: &Query) -> Result<Reply, String> {
    let (from, to) = window(q)?;
    let staff_id = q.get("staff_id");
    let none = q.get("room_id").is_some() || q.get("machine_id").is_some();
    let (page, size) = q.paging(100)?;
    let mut all = Vec::new();
    if !none {
        for s in rota_staff(state, branch).filter(|s| staff_id.is_none_or(|id| s.staff_id == id)) {
            for day in days(from, to).filter(|d| working_day(*d)) {
                let date = day.format("%Y-%m-%d").to_string();
                all.push(json!({
                    "breakId": derived_id(&["break", &s.staff_id, &date]),
                    "version": 1,
                    "breakDate": date,
                    "startTime": hms(time(13, 0)),
                    "endTime": hms(time(13, 30)),
                    "staffId": s.staff_id,
                    "roomId": null,
                    "machineId": null,
                    "label": "Lunch",
                    "paidBreak": false,
                }));
            }
        }
    }
    let refs: Vec<&Value> = all.iter().collect();
    Ok(paged(state, ListKind::Breaks, &refs, page, size))
}

/// `GET /{b}/branch/{br}/staff/worktimetable`: `from_date`/`to_date` (required, ≤ 31 days),
/// `activity_type` (keeps slots of that `type`; the fixed rota's slots are `WORKING`, a value
/// invented by the sandbox).
pub(super) fn work_timetables(state: &State, branch: &str, q: &Query) -> Result<Reply, String> {
    let (from, to) = window(q)?;
    let activity = q.get("activity_type");
    let (page, size) = q.paging(100)?;
    let all: Vec<Value> = rota_staff(state, branch)
        .map(|s| {
            let slots: Vec<Value> = days(from, to)
                .filter(|d| working_day(*d))
                .filter(|_| activity.is_none_or(|a| a == "WORKING"))
                .map(|day| {
                    json!({
                        "date": day.format("%Y-%m-%d").to_string(),
                        "startTime": hms(time(9, 0)),
                        "endTime": hms(time(17, 30)),
                        "timeOffStartTime": null,
                        "timeOffEndTime": null,
                        "type": "WORKING",
                        "custom": null,
                        "branchId": branch,
                        "workActivityId": null,
                    })
                })
                .collect();
            json!({ "staffId": s.staff_id, "branchId": branch, "timeSlots": slots })
        })
        .collect();
    let refs: Vec<&Value> = all.iter().collect();
    Ok(paged(state, ListKind::WorkTimetables, &refs, page, size))
}

/// `GET /{b}/client/{id}/service-history`: the client's appointments that are not deleted,
/// grouped by day and branch, newest day first; one `services[]` line per appointment
/// (`cancelled` for cancelled ones). 404 for an unknown client.
pub(super) fn service_history(state: &State, client: &str, q: &Query, path: &str) -> Reply {
    if state.salon.client(client).is_none() {
        return error(
            404,
            "NOT_FOUND",
            "Client with a given id doesn't exist",
            path,
        );
    }
    let (page, size) = match q.paging(100) {
        Ok(p) => p,
        Err(message) => return super::server::bad_request(&message, path),
    };
    let tz = state.salon.time_zone();
    let mut rows: Vec<_> = state
        .salon
        .appointments()
        .iter()
        .filter(|a| a.client_id == client && !a.deleted)
        .collect();
    rows.sort_by(|a, b| {
        (b.appointment_date, &a.branch_id, a.start_time).cmp(&(
            a.appointment_date,
            &b.branch_id,
            b.start_time,
        ))
    });
    let mut visits: Vec<Value> = Vec::new();
    for a in rows {
        let date = a.appointment_date.format("%Y-%m-%d").to_string();
        let category = state
            .salon
            .services()
            .iter()
            .find(|s| s.service_id == a.service_id)
            .map(|s| s.category_id.clone());
        let instant = tz
            .from_local_datetime(&a.appointment_date.and_time(a.start_time))
            .earliest()
            .map(|t| {
                t.with_timezone(&chrono::Utc)
                    .to_rfc3339_opts(SecondsFormat::Millis, true)
            });
        let minutes = (a.end_time - a.start_time)
            .num_minutes()
            .rem_euclid(24 * 60);
        let line = json!({
            "appointmentId": a.appointment_id,
            "staffId": a.staff_id,
            "serviceId": a.service_id,
            "serviceCategoryId": category,
            "time": instant,
            "description": a.service_name,
            "duration": minutes,
            "discount": 0.0,
            "fee": a.price,
            "originalPrice": a.price,
            "waitingList": false,
            "cancelled": a.activation_state == "CANCELED",
        });
        let same = visits
            .last()
            .is_some_and(|v| v["date"] == date.as_str() && v["branchId"] == a.branch_id.as_str());
        if same {
            if let Some(list) = visits
                .last_mut()
                .and_then(|v| v.get_mut("services"))
                .and_then(Value::as_array_mut)
            {
                list.push(line);
            }
        } else {
            visits.push(json!({
                "clientId": client,
                "branchId": a.branch_id,
                "date": date,
                "notes": a.notes,
                "services": [line],
            }));
        }
    }
    let refs: Vec<&Value> = visits.iter().collect();
    paged(state, ListKind::ServiceHistories, &refs, page, size)
}

/// `POST /{b}/branch/{br}/appointments/availability`: free start times for the first service
/// selection between `startTime` and `endTime` (UTC, at most 31 days), every 15 minutes, for
/// the selection's `staffId` or every rota staff member (minus those hidden from online
/// bookings when `isOnlineAvailability` is true). A start is free when the whole service fits
/// the fixed rota (working day, 09:00–17:30, not across the 13:00 lunch break) and the staff
/// member has no live appointment overlapping it. Answers `{data: [...], links: []}`.
pub(super) fn availability(state: &State, branch: &str, body: &Value, path: &str) -> Reply {
    use super::server::bad_request;
    let at = |key: &str| {
        body.get(key)
            .and_then(Value::as_str)
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&chrono::Utc))
    };
    let (Some(start), Some(end)) = (at("startTime"), at("endTime")) else {
        return bad_request("startTime and endTime (UTC instants) are required", path);
    };
    if end <= start || (end - start).num_days() > 31 {
        return bad_request("endTime must be after startTime, at most 31 days", path);
    }
    let selection = body
        .pointer("/clientServiceSelections/0/serviceSelections/0")
        .cloned()
        .unwrap_or(Value::Null);
    let client = body
        .pointer("/clientServiceSelections/0/clientId")
        .cloned()
        .unwrap_or(Value::Null);
    let service_id = selection
        .get("serviceId")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let Some(service) = state
        .salon
        .services()
        .iter()
        .find(|s| s.service_id == service_id)
    else {
        return bad_request(&format!("Service '{service_id}' doesn't exist"), path);
    };
    let staff_filter = selection.get("staffId").and_then(Value::as_str);
    let online = body
        .get("isOnlineAvailability")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let staff: Vec<&Staff> = rota_staff(state, branch)
        .filter(|s| staff_filter.is_none_or(|id| s.staff_id == id))
        .filter(|s| !(online && s.hide_from_online_bookings))
        .collect();
    let tz = state.salon.time_zone();
    let minutes = service.duration.max(1);
    let quarter = 15 * 60;
    let first = (start.timestamp() + quarter - 1).div_euclid(quarter) * quarter;
    let (open, close, lunch) = (time(9, 0), time(17, 30), (time(13, 0), time(13, 30)));
    let mut data = Vec::new();
    let mut t = first;
    while t < end.timestamp() {
        let Some(at) = chrono::DateTime::from_timestamp(t, 0) else {
            break;
        };
        t += quarter;
        let local = at.with_timezone(&tz).naive_local();
        let finish = local + chrono::Duration::minutes(minutes);
        let (day, from, to) = (local.date(), local.time(), finish.time());
        if !working_day(day) || finish.date() != day || from < open || to > close {
            continue;
        }
        if from < lunch.1 && lunch.0 < to {
            continue;
        }
        let free: Vec<Value> = staff
            .iter()
            .filter(|s| !super::writes::busy(state, branch, &s.staff_id, day, (from, to), None))
            .map(|s| {
                json!({
                    "serviceId": service.service_id,
                    "staffId": s.staff_id,
                    "startTime": at.to_rfc3339_opts(SecondsFormat::Millis, true),
                    "endTime": (at + chrono::Duration::minutes(minutes))
                        .to_rfc3339_opts(SecondsFormat::Millis, true),
                    "alternativeStaffMember": false,
                })
            })
            .collect();
        if !free.is_empty() {
            data.push(json!({
                "startTime": at.to_rfc3339_opts(SecondsFormat::Millis, true),
                "clientSchedules": [{ "clientId": client, "serviceSchedules": free }],
            }));
        }
    }
    Reply::json(200, &json!({ "data": data, "links": [] }))
}

/// Inclusive `updatedAt` bounds of a CSV export `filterExpression` (after, before).
pub(super) type Bounds = (
    Option<chrono::DateTime<chrono::Utc>>,
    Option<chrono::DateTime<chrono::Utc>>,
);

/// Parses a CSV export `filterExpression` of DH's forms (`updated=>{from}`,
/// `updated=<{to}`, joined with `&`) into inclusive bounds; anything else is a 400.
pub(super) fn updated_bounds(expression: &str) -> Result<Bounds, String> {
    let parse = |v: &str| {
        chrono::DateTime::parse_from_rfc3339(v.trim())
            .map(|t| t.with_timezone(&chrono::Utc))
            .map_err(|_| format!("Invalid instant '{v}' in filterExpression"))
    };
    let (mut after, mut before) = (None, None);
    for part in expression.split('&').filter(|p| !p.trim().is_empty()) {
        if let Some(v) = part.trim().strip_prefix("updated=>") {
            after = Some(parse(v)?);
        } else if let Some(v) = part.trim().strip_prefix("updated=<") {
            before = Some(parse(v)?);
        } else {
            return Err(format!("Unsupported filterExpression '{part}'"));
        }
    }
    Ok((after, before))
}

/// The `CLIENT_CSV` text: every client (archived, deleted and merged included, the walk-in
/// excluded) whose `updatedAt` is within the bounds, with the columns DH reads.
pub(super) fn clients_csv(
    salon: &super::generate::Salon,
    (after, before): Bounds,
) -> (String, usize) {
    const COLUMNS: &[&str] = &[
        "client_id",
        "version",
        "first_name",
        "last_name",
        "mobile",
        "linked_client_mobile",
        "land_line",
        "email",
        "birth_date",
        "gender",
        "sms_marketing_consent",
        "email_marketing_consent",
        "sms_reminder_consent",
        "email_reminder_consent",
        "archived",
        "deleted",
        "banned",
        "merged_to_client_id",
        "street_address_1",
        "street_address_2",
        "city",
        "state",
        "postal_code",
        "country",
        "client_since",
        "first_visit",
        "last_visit",
        "notes",
        "preferred_staff_id",
        "loyalty_card_serial_number",
        "external_id",
        "creating_branch_id",
        "client_category_ids",
        "created_at",
        "updated_at",
    ];
    let iso = |t: &chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(SecondsFormat::Millis, true);
    let day = |t: &Option<chrono::DateTime<chrono::Utc>>| {
        t.map(|t| t.format("%Y-%m-%d").to_string())
            .unwrap_or_default()
    };
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    let mut writer = csv::Writer::from_writer(Vec::new());
    let mut ok = writer.write_record(COLUMNS).is_ok();
    let mut rows = 0;
    for c in salon
        .clients()
        .iter()
        .filter(|c| c.client_id != salon.walk_in_client_id())
        .filter(|c| {
            after.is_none_or(|a| c.updated_at >= a) && before.is_none_or(|b| c.updated_at <= b)
        })
    {
        let address = c.address.clone().unwrap_or_default();
        let record = vec![
            c.client_id.clone(),
            c.version.to_string(),
            c.first_name.clone(),
            c.last_name.clone(),
            opt(&c.mobile),
            opt(&c.linked_client_mobile),
            opt(&c.land_line),
            opt(&c.email),
            c.birth_date.map(|d| d.to_string()).unwrap_or_default(),
            opt(&c.gender),
            c.sms_marketing_consent.to_string(),
            c.email_marketing_consent.to_string(),
            c.sms_reminder_consent.to_string(),
            c.email_reminder_consent.to_string(),
            c.archived.to_string(),
            c.deleted.to_string(),
            c.banned.to_string(),
            opt(&c.merged_to_client_id),
            address.street_address1,
            address.street_address2,
            address.city,
            address.state,
            address.postal_code,
            address.country,
            day(&c.client_since),
            day(&c.first_visit),
            day(&c.last_visit),
            opt(&c.notes),
            opt(&c.preferred_staff_id),
            c.loyalty_card
                .as_ref()
                .map(|l| l.serial.clone())
                .unwrap_or_default(),
            opt(&c.external_id),
            opt(&c.creating_branch_id),
            c.client_category_ids.join(","),
            iso(&c.created_at),
            iso(&c.updated_at),
        ];
        ok &= writer.write_record(&record).is_ok();
        rows += 1;
    }
    if !ok {
        tracing::warn!("sandbox: failed to write a CLIENT_CSV record");
    }
    let bytes = writer.into_inner().unwrap_or_default();
    (String::from_utf8(bytes).unwrap_or_default(), rows)
}

/// Units in every sandbox course.
const COURSE_UNITS: i64 = 6;

/// The branch's courses: one "6 × service" course for each of the first three bookable
/// services (priced as five), derived from the salon's services.
fn course_values(state: &State) -> Vec<Value> {
    state
        .salon
        .services()
        .iter()
        .filter(|s| !s.is_addon_only && !s.archived && !s.deleted)
        .take(3)
        .map(|s| {
            json!({
                "courseId": derived_id(&["course", &s.service_id]),
                "courseName": format!("{COURSE_UNITS} x {}", s.name),
                "availableOnline": s.internet_enabled,
                "multiBranchCourse": true,
                "totalPrice": s.price * (COURSE_UNITS - 1) as f64,
                "courseItems": [{
                    "courseItemId": derived_id(&["course-item", &s.service_id]),
                    "unitType": "SESSION",
                    "totalUnits": COURSE_UNITS,
                    "totalPrice": s.price * (COURSE_UNITS - 1) as f64,
                    "serviceId": s.service_id,
                }],
            })
        })
        .collect()
}

/// `GET /{b}/branch/{br}/course`.
pub(super) fn courses(state: &State, q: &Query) -> Result<Reply, String> {
    let (page, size) = q.paging(100)?;
    let all = course_values(state);
    let refs: Vec<&Value> = all.iter().collect();
    Ok(paged(state, ListKind::Courses, &refs, page, size))
}

/// `GET /{b}/clientcourse`: every tenth listed client owns the first course, bought on the
/// day they became a client; a unit is used by each of their `PAID` appointments of the
/// course's service (so it follows appointment writes). `clientId` filters;
/// `includeUsedCourseItems=true` keeps items with no units left (else they are dropped, and
/// a course with no item left is not listed).
pub(super) fn client_courses(state: &State, q: &Query) -> Result<Reply, String> {
    let include_used = q.flag("includeUsedCourseItems")?;
    let client_filter = q.get("clientId");
    let (page, size) = q.paging(100)?;
    let Some(course) = course_values(state).into_iter().next() else {
        return Ok(paged::<Value>(
            state,
            ListKind::ClientCourses,
            &[],
            page,
            size,
        ));
    };
    let service = course["courseItems"][0]["serviceId"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let mut all = Vec::new();
    for c in state
        .salon
        .listed_clients()
        .filter(|c| c.client_id != state.salon.walk_in_client_id())
        .step_by(10)
        .filter(|c| client_filter.is_none_or(|f| c.client_id == f))
    {
        let used = state
            .salon
            .appointments()
            .iter()
            .filter(|a| {
                a.client_id == c.client_id
                    && a.service_id == service
                    && a.state == "PAID"
                    && !a.deleted
            })
            .count() as i64;
        let remaining = (COURSE_UNITS - used).max(0);
        if remaining == 0 && !include_used {
            continue;
        }
        let bought = c.client_since.unwrap_or(c.created_at);
        all.push(json!({
            "clientCourseId": derived_id(&["client-course", &c.client_id]),
            "clientId": c.client_id,
            "purchasingBranchId": state.salon.branch_id(),
            "courseId": course["courseId"],
            "purchaseDate": bought.format("%Y-%m-%d").to_string(),
            "expiryDate": (bought + chrono::Duration::days(365)).format("%Y-%m-%d").to_string(),
            "grossPrice": course["totalPrice"],
            "netPrice": course["totalPrice"],
            "clientCourseItems": [{
                "clientCourseItemId": derived_id(&["client-course-item", &c.client_id]),
                "courseItemId": course["courseItems"][0]["courseItemId"],
                "serviceId": service,
                "initialUnits": COURSE_UNITS,
                "remainingUnits": remaining,
                "grossPrice": course["totalPrice"],
                "netPrice": course["totalPrice"],
            }],
        }));
    }
    let refs: Vec<&Value> = all.iter().collect();
    Ok(paged(state, ListKind::ClientCourses, &refs, page, size))
}
