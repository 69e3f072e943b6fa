//! Calendars, appointments and events. `Version: 2021-04-15`.

use chrono::{DateTime, FixedOffset, Utc};
use reqwest::Method;
use serde::{Deserialize, Serialize};

use crate::client::{Call, GhlClient};
use crate::error::Error;
use crate::ids::{AppointmentId, CalendarId, ContactId, LocationId, UserId};
use crate::open_enum::open_enum;
use crate::scope::Scope;

/// The `Version` header of the calendars API.
pub const VERSION: &str = "2021-04-15";

open_enum!(
    /// An appointment's status (`appointmentStatus`).
    AppointmentStatus {
        /// `new`
        New => "new",
        /// `confirmed`
        Confirmed => "confirmed",
        /// `cancelled`
        Cancelled => "cancelled",
        /// `showed`
        Showed => "showed",
        /// `noshow`
        NoShow => "noshow",
        /// `invalid`
        Invalid => "invalid",
    }
);

/// A calendar team member.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct TeamMember {
    /// The user.
    pub user_id: UserId,
}

/// A calendar.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Calendar {
    /// The calendar id.
    pub id: CalendarId,
    /// Its name.
    #[serde(default)]
    pub name: Option<String>,
    /// Its location.
    #[serde(default)]
    pub location_id: Option<LocationId>,
    /// The users who can be assigned appointments.
    #[serde(default)]
    pub team_members: Vec<TeamMember>,
    /// Whether it is active.
    #[serde(default)]
    pub is_active: Option<bool>,
}

/// An appointment (a calendar event).
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Appointment {
    /// The appointment id.
    pub id: AppointmentId,
    /// Its calendar.
    #[serde(default)]
    pub calendar_id: Option<CalendarId>,
    /// Its location.
    #[serde(default)]
    pub location_id: Option<LocationId>,
    /// The contact.
    #[serde(default)]
    pub contact_id: Option<ContactId>,
    /// Title.
    #[serde(default)]
    pub title: Option<String>,
    /// Start, as GHL sent it (ISO 8601).
    #[serde(default, deserialize_with = "crate::de::lenient_string")]
    pub start_time: Option<String>,
    /// End, as GHL sent it (ISO 8601).
    #[serde(default, deserialize_with = "crate::de::lenient_string")]
    pub end_time: Option<String>,
    /// Status.
    #[serde(default)]
    pub appointment_status: Option<AppointmentStatus>,
    /// Assigned user.
    #[serde(default)]
    pub assigned_user_id: Option<UserId>,
    /// Address or meeting location.
    #[serde(default)]
    pub address: Option<String>,
    /// Notes, when GHL returns them.
    #[serde(default)]
    pub notes: Option<String>,
    /// Description (free text shown on the appointment).
    #[serde(default)]
    pub description: Option<String>,
}

/// The body of `POST /calendars/events/appointments` (and of its `PUT`).
///
/// For imports set `ignore_free_slot_validation` (book outside free slots) and `to_notify:
/// Some(false)` (do not message the client).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateAppointment {
    /// The calendar.
    pub calendar_id: CalendarId,
    /// The location; the client's when `None`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location_id: Option<LocationId>,
    /// The contact.
    pub contact_id: ContactId,
    /// Start, with its UTC offset (such as `2025-03-30T10:00:00+01:00`).
    pub start_time: DateTime<FixedOffset>,
    /// End, with its UTC offset.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_time: Option<DateTime<FixedOffset>>,
    /// Title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub appointment_status: Option<AppointmentStatus>,
    /// Assigned user (must be a team member of the calendar).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assigned_user_id: Option<UserId>,
    /// Address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// Meeting location type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meeting_location_type: Option<String>,
    /// Book outside the calendar's date range.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ignore_date_range: Option<bool>,
    /// Book outside free slots (needed for imports).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ignore_free_slot_validation: Option<bool>,
    /// Whether GHL notifies the contact (`false` for imports).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to_notify: Option<bool>,
    /// Description (free text shown on the appointment).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl CreateAppointment {
    /// An appointment of `contact_id` in `calendar_id` from `start` to `end`; the other fields
    /// are unset.
    pub fn new(
        calendar_id: impl Into<CalendarId>,
        contact_id: impl Into<ContactId>,
        start: DateTime<FixedOffset>,
        end: DateTime<FixedOffset>,
    ) -> Self {
        Self {
            calendar_id: calendar_id.into(),
            location_id: None,
            contact_id: contact_id.into(),
            start_time: start,
            end_time: Some(end),
            title: None,
            appointment_status: None,
            assigned_user_id: None,
            address: None,
            meeting_location_type: None,
            ignore_date_range: None,
            ignore_free_slot_validation: None,
            to_notify: None,
            description: None,
        }
    }
}

/// The body of `PUT /calendars/events/appointments/{id}`: only the fields set are sent.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateAppointment {
    /// The calendar.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub calendar_id: Option<CalendarId>,
    /// Start.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_time: Option<DateTime<FixedOffset>>,
    /// End.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_time: Option<DateTime<FixedOffset>>,
    /// Title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub appointment_status: Option<AppointmentStatus>,
    /// Assigned user.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assigned_user_id: Option<UserId>,
    /// Address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// Book outside free slots.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ignore_free_slot_validation: Option<bool>,
    /// Whether GHL notifies the contact.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to_notify: Option<bool>,
    /// Description (free text shown on the appointment).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// Which events `GET /calendars/events` lists: one of calendar, user or group, in a range.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EventOwner {
    /// Events of a calendar.
    Calendar(CalendarId),
    /// Events of a user.
    User(UserId),
    /// Events of a calendar group.
    Group(String),
}

/// The query of `GET /calendars/events`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListEvents {
    /// Whose events.
    pub owner: EventOwner,
    /// Range start.
    pub start: DateTime<Utc>,
    /// Range end.
    pub end: DateTime<Utc>,
}

#[derive(Deserialize)]
struct CalendarsEnvelope {
    #[serde(default)]
    calendars: Vec<Calendar>,
}

#[derive(Deserialize)]
struct EventsEnvelope {
    #[serde(default)]
    events: Vec<Appointment>,
}

/// GHL answers `GET` with `{event: {..}}`, creates and updates with the bare object; some
/// versions wrap it as `{appointment: {..}}`.
#[derive(Deserialize)]
#[serde(untagged)]
enum AppointmentAnswer {
    Wrapped {
        #[serde(alias = "event")]
        appointment: Appointment,
    },
    Bare(Appointment),
}

impl From<AppointmentAnswer> for Appointment {
    fn from(answer: AppointmentAnswer) -> Self {
        match answer {
            AppointmentAnswer::Wrapped { appointment } | AppointmentAnswer::Bare(appointment) => {
                appointment
            }
        }
    }
}

/// `client.calendars()`.
#[derive(Debug, Clone, Copy)]
pub struct CalendarsHandler<'c> {
    client: &'c GhlClient,
}

impl<'c> CalendarsHandler<'c> {
    pub(crate) fn new(client: &'c GhlClient) -> Self {
        Self { client }
    }

    /// `GET /calendars/?locationId=`.
    pub async fn list(&self) -> Result<Vec<Calendar>, Error> {
        let call = Call::new(
            Method::GET,
            "/calendars/",
            &["calendars", ""],
            VERSION,
            Scope::CalendarsReadonly,
        )
        .query("locationId", self.client.location_id());
        let envelope: CalendarsEnvelope = self.client.send(call).await?;
        Ok(envelope.calendars)
    }

    /// `POST /calendars/events/appointments`. **Not idempotent**: retried only on 429 and
    /// connect errors; after a 5xx or timeout the error's
    /// [`may_have_been_applied`](Error::may_have_been_applied) is `true`: list the range's
    /// events before booking again.
    pub async fn create_appointment(
        &self,
        request: &CreateAppointment,
    ) -> Result<Appointment, Error> {
        let mut request = request.clone();
        if request.location_id.is_none() {
            request.location_id = Some(self.client.location_id().clone());
        }
        let call = Call::new(
            Method::POST,
            "/calendars/events/appointments",
            &["calendars", "events", "appointments"],
            VERSION,
            Scope::CalendarEventsWrite,
        )
        .json(&request)?;
        let answer: AppointmentAnswer = self.client.send(call).await?;
        Ok(answer.into())
    }

    /// `PUT /calendars/events/appointments/{id}`.
    pub async fn update_appointment(
        &self,
        id: &AppointmentId,
        request: &UpdateAppointment,
    ) -> Result<Appointment, Error> {
        let call = Call::new(
            Method::PUT,
            "/calendars/events/appointments/{id}",
            &["calendars", "events", "appointments", id.as_str()],
            VERSION,
            Scope::CalendarEventsWrite,
        )
        .json(request)?;
        let answer: AppointmentAnswer = self.client.send(call).await?;
        Ok(answer.into())
    }

    /// `GET /calendars/events/appointments/{id}`.
    pub async fn get_appointment(&self, id: &AppointmentId) -> Result<Appointment, Error> {
        let call = Call::new(
            Method::GET,
            "/calendars/events/appointments/{id}",
            &["calendars", "events", "appointments", id.as_str()],
            VERSION,
            Scope::CalendarEventsReadonly,
        );
        let answer: AppointmentAnswer = self.client.send(call).await?;
        Ok(answer.into())
    }

    /// `DELETE /calendars/events/{id}`: deletes an appointment.
    pub async fn delete_appointment(&self, id: &AppointmentId) -> Result<(), Error> {
        let call = Call::new(
            Method::DELETE,
            "/calendars/events/{id}",
            &["calendars", "events", id.as_str()],
            VERSION,
            Scope::CalendarEventsWrite,
        );
        self.client.send_unit(call).await
    }

    /// `GET /calendars/events?locationId=&calendarId=|userId=|groupId=&startTime=&endTime=`
    /// (epoch milliseconds).
    pub async fn list_events(&self, query: &ListEvents) -> Result<Vec<Appointment>, Error> {
        let call = Call::new(
            Method::GET,
            "/calendars/events",
            &["calendars", "events"],
            VERSION,
            Scope::CalendarEventsReadonly,
        )
        .query("locationId", self.client.location_id());
        let call = match &query.owner {
            EventOwner::Calendar(id) => call.query("calendarId", id),
            EventOwner::User(id) => call.query("userId", id),
            EventOwner::Group(id) => call.query("groupId", id),
        }
        .query("startTime", query.start.timestamp_millis())
        .query("endTime", query.end.timestamp_millis());
        let envelope: EventsEnvelope = self.client.send(call).await?;
        Ok(envelope.events)
    }
}
