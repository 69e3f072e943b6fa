//! Phorest appointment → GHL calendar appointment.
//!
//! Times: Phorest gives a branch-local date and wall-clock times; they are
//! resolved in the **branch** time zone with phorest-client's
//! `Appointment::start_utc`/`end_utc` and sent with the branch's UTC offset.
//! A time that does not exist (DST gap) or exists twice (DST overlap) is a
//! typed skip, never a guess.
//!
//! Status table ([`appointment_status`]), first match wins:
//!
//! | Phorest | GHL `appointmentStatus` |
//! |---|---|
//! | `deleted`, or `activationState` `CANCELED` / `ARCHIVED` | `cancelled` (the executor keeps `ARCHIVED`-only appointments out of GHL: their meaning is unconfirmed) |
//! | `state` `NO_SHOW` | `noshow` |
//! | `state` `ARRIVED`, `CHECKED_IN`, `COMPLETED`, `PAID` | `showed` |
//! | `activationState` `RESERVED` | `new` |
//! | `confirmed = true` | `confirmed` |
//! | anything else (e.g. `BOOKED`, not confirmed; unknown values) | `new` |
//!
//! The request always sets `ignoreFreeSlotValidation: true` (imports book
//! outside free slots) and `toNotify: false` (the client is not messaged).
//! The description carries the stable marker `phorest-appointment:{id}`
//! ([`appointment_marker`]) so the executor can find an appointment created
//! just before a crash.

use std::collections::HashMap;

use chrono_tz::Tz;
use ghl_client::calendars::{AppointmentStatus, CreateAppointment};
use ghl_client::{CalendarId, ContactId, LocationId, UserId};
use phorest_client::{ActivationState, Appointment, AppointmentState};

use super::SkipReason;
use super::booking::BookingSummary;

/// The marker embedded in an appointment's description.
pub fn appointment_marker(appointment_id: &str) -> String {
    format!("phorest-appointment:{appointment_id}")
}

/// The GHL status of a Phorest appointment (see the module table).
pub fn appointment_status(appointment: &Appointment) -> AppointmentStatus {
    if appointment.deleted
        || matches!(
            appointment.activation_state,
            Some(ActivationState::Canceled | ActivationState::Archived)
        )
    {
        return AppointmentStatus::Cancelled;
    }
    match appointment.state {
        Some(AppointmentState::NoShow) => return AppointmentStatus::NoShow,
        Some(
            AppointmentState::Arrived
            | AppointmentState::CheckedIn
            | AppointmentState::Completed
            | AppointmentState::Paid,
        ) => return AppointmentStatus::Showed,
        _ => {}
    }
    if appointment.activation_state == Some(ActivationState::Reserved) {
        return AppointmentStatus::New;
    }
    if appointment.confirmed {
        AppointmentStatus::Confirmed
    } else {
        AppointmentStatus::New
    }
}

/// What the appointment mapper needs besides the appointment.
#[derive(Clone, Copy, Debug)]
pub struct AppointmentContext<'a> {
    /// The GHL calendar appointments are booked in.
    pub calendar_id: &'a CalendarId,
    /// The GHL location (`None`: the client's own).
    pub location_id: Option<&'a LocationId>,
    /// The branch time zone.
    pub time_zone: Tz,
    /// Phorest staff id → GHL user.
    pub staff_users: &'a HashMap<String, UserId>,
    /// Phorest staff id → display name (for the description).
    pub staff_names: &'a HashMap<String, String>,
    /// The user to assign when a staff member has no GHL user.
    pub fallback_user: Option<&'a UserId>,
}

/// A GHL appointment request plus what the report needs.
#[derive(Clone, Debug, PartialEq)]
pub struct MappedAppointment {
    /// The create body (also the source of an update).
    pub request: CreateAppointment,
    /// The description: service, staff, booking and the marker line.
    pub description: String,
    /// Whether the fallback user was assigned.
    pub used_fallback_user: bool,
    /// Caveats for the report.
    pub warnings: Vec<String>,
}

/// The longest appointment that may run past midnight (its end is then earlier in the day than
/// its start); a longer one is taken for an end before the start.
pub const MAX_OVERNIGHT: chrono::Duration = chrono::Duration::hours(12);

/// Maps one appointment for the GHL contact `contact_id`. `booking` is the
/// group booking it belongs to, if any (adds a line to the description).
pub fn map_appointment(
    appointment: &Appointment,
    contact_id: &ContactId,
    booking: Option<&BookingSummary>,
    ctx: &AppointmentContext<'_>,
) -> Result<MappedAppointment, SkipReason> {
    let tz = ctx.time_zone;
    // Phorest keeps one date per appointment. An end earlier in the day than the start is an
    // appointment past midnight when that makes it short (23:30–00:30), and bad data otherwise
    // (10:00–09:00 would be a 23-hour appointment).
    if let (Some(start), Some(end)) = (appointment.start_time, appointment.end_time)
        && end < start
        && (chrono::Duration::hours(24) - (start - end)) > MAX_OVERNIGHT
    {
        return Err(SkipReason::InvalidData {
            detail: format!("appointment ends ({end}) before it starts ({start})"),
        });
    }
    let start = appointment
        .start_utc(tz)
        .map_err(|e| SkipReason::InvalidData {
            detail: format!("start time cannot be placed in {}: {e}", tz.name()),
        })?;
    let end = appointment
        .end_utc(tz)
        .map_err(|e| SkipReason::InvalidData {
            detail: format!("end time cannot be placed in {}: {e}", tz.name()),
        })?;
    if end < start {
        return Err(SkipReason::InvalidData {
            detail: "appointment ends before it starts (time zone change)".to_owned(),
        });
    }

    let mut warnings = Vec::new();
    let staff_id = appointment.staff_id.as_ref().map(|s| s.as_str());
    let mut used_fallback_user = false;
    let assigned = match staff_id.and_then(|s| ctx.staff_users.get(s)) {
        Some(user) => Some(user.clone()),
        None => {
            let who = staff_id.unwrap_or("(none)");
            match ctx.fallback_user {
                Some(user) => {
                    used_fallback_user = true;
                    warnings.push(format!(
                        "staff {who} has no GHL user; assigned to the fallback user"
                    ));
                    Some(user.clone())
                }
                None => {
                    warnings.push(format!(
                        "staff {who} has no GHL user and no fallback user is set; left unassigned"
                    ));
                    None
                }
            }
        }
    };

    let title = appointment
        .service_name
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .unwrap_or("Appointment")
        .to_owned();

    let mut lines = Vec::new();
    match staff_id.and_then(|s| ctx.staff_names.get(s)) {
        Some(name) => lines.push(format!("{title} with {name}")),
        None => lines.push(title.clone()),
    }
    if let Some(b) = booking.filter(|b| b.items.len() > 1) {
        lines.push(b.appointment_line());
    }
    lines.push(appointment_marker(appointment.appointment_id.as_str()));

    let request = CreateAppointment::new(
        ctx.calendar_id.clone(),
        contact_id.clone(),
        start.with_timezone(&tz).fixed_offset(),
        end.with_timezone(&tz).fixed_offset(),
    )
    .set_location_id(ctx.location_id.cloned())
    .title(title)
    .appointment_status(appointment_status(appointment))
    .set_assigned_user_id(assigned)
    .ignore_free_slot_validation(true)
    .ignore_date_range(true)
    .to_notify(false);

    Ok(MappedAppointment {
        request,
        description: lines.join("\n"),
        used_fallback_user,
        warnings,
    })
}
