//! Phorest check-in → one GHL contact note.
//!
//! Phorest has no check-in endpoint: an appointment whose state is
//! `CHECKED_IN` or `PAID` (and not cancelled) counts as checked in. The note
//! starts with the marker `[phorest-checkin:{appointmentId}]`
//! ([`checkin_marker`]), which the executor looks for before posting, so a
//! rerun never adds a second note. Dates and times are the branch's wall
//! clock (Phorest stores them that way), labelled with the branch time zone,
//! never the server's.

use std::collections::HashMap;

use chrono_tz::Tz;
use ghl_client::contacts::CreateNote;
use phorest_client::Appointment;

use super::SkipReason;

/// The marker at the start of a check-in note.
pub fn checkin_marker(appointment_id: &str) -> String {
    format!("[phorest-checkin:{appointment_id}]")
}

/// The note for a checked-in appointment. `staff_names` maps Phorest staff
/// id → display name. Appointments not checked in are skipped.
pub fn map_checkin(
    appointment: &Appointment,
    time_zone: Tz,
    staff_names: &HashMap<String, String>,
) -> Result<CreateNote, SkipReason> {
    if !appointment.is_checked_in() {
        return Err(SkipReason::NotApplicable {
            detail: "appointment is not checked in".to_owned(),
        });
    }
    let (Some(date), Some(start)) = (appointment.appointment_date, appointment.start_time) else {
        return Err(SkipReason::InvalidData {
            detail: "check-in has no appointment date or start time".to_owned(),
        });
    };
    let service = appointment
        .service_name
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .unwrap_or("Appointment");
    let mut body = vec![
        checkin_marker(appointment.appointment_id.as_str()),
        format!("Checked in: {service}"),
        format!(
            "{} at {} ({})",
            date.format("%a %-d %b %Y"),
            start.format("%H:%M"),
            time_zone.name()
        ),
    ];
    if let Some(name) = appointment
        .staff_id
        .as_ref()
        .and_then(|s| staff_names.get(s.as_str()))
    {
        body.push(format!("With: {name}"));
    }
    Ok(CreateNote::new(body.join("\n")))
}
