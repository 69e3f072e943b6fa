//! Calendars, appointments and events. `Version: 2021-04-15`.
//!
//! [`CreateAppointment`] and [`UpdateAppointment`] share one set of optional details,
//! [`AppointmentDetails`]; an update is derived from a create by
//! [`UpdateAppointment::from`], which keeps everything `PUT` declares (the calendar, the times
//! and every detail) and drops what only a create takes (`contactId`, `locationId`).

use chrono::{DateTime, FixedOffset, Utc};
use reqwest::Method;
use serde::{Deserialize, Serialize};

use crate::client::{Call, GhlClient};
use crate::error::Error;
use crate::ids::{AppointmentId, CalendarId, ContactId, LocationId, UserId};
use crate::open_enum::open_enum;
use crate::pagination::Listed;
use crate::scope::Scope;

/// The `Version` header of the calendars API.
pub const VERSION: &str = "2021-04-15";

open_enum!(
    /// An appointment's status (`appointmentStatus`). Answers may also carry `active` and
    /// `completed`.
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
        /// `active` (answers only)
        Active => "active",
        /// `completed` (answers only)
        Completed => "completed",
    }
);

open_enum!(
    /// Where an appointment takes place (`meetingLocationType` of appointment writes).
    MeetingLocationType {
        /// `custom`
        Custom => "custom",
        /// `zoom`
        Zoom => "zoom",
        /// `gmeet`
        GoogleMeet => "gmeet",
        /// `phone`
        Phone => "phone",
        /// `address`
        Address => "address",
        /// `ms_teams`
        MsTeams => "ms_teams",
        /// `google`
        Google => "google",
    }
);

/// A calendar team member.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct TeamMember {
    /// The user.
    pub user_id: UserId,
    /// Whether the member is the calendar's primary member.
    #[serde(default)]
    pub is_primary: Option<bool>,
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

/// An appointment (a calendar event), as GHL returns it.
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
    /// The calendar group, if any.
    #[serde(default)]
    pub group_id: Option<String>,
    /// Title.
    #[serde(default)]
    pub title: Option<String>,
    /// Start, as GHL sent it (ISO 8601; the spec does not type it).
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
    /// Users on the event, as GHL sends them (its OpenAPI does not type the items).
    #[serde(default)]
    pub users: Option<serde_json::Value>,
    /// Address or meeting location.
    #[serde(default)]
    pub address: Option<String>,
    /// Where it takes place.
    #[serde(default)]
    pub meeting_location_type: Option<MeetingLocationType>,
    /// Notes, when GHL returns them.
    #[serde(default)]
    pub notes: Option<String>,
    /// Description (free text shown on the appointment).
    #[serde(default)]
    pub description: Option<String>,
    /// Whether it is part of a series.
    #[serde(default)]
    pub is_recurring: Option<bool>,
}

/// The optional details shared by [`CreateAppointment`] and [`UpdateAppointment`] (the
/// properties GHL's `AppointmentCreateSchema` and `AppointmentEditSchema` both declare, except
/// the calendar and the start, which a create requires). Unset details are not sent.
///
/// For imports set [`ignore_free_slot_validation`](Self::ignore_free_slot_validation) (book
/// outside free slots) and [`to_notify(false)`](Self::to_notify) (no automations, no message
/// to the contact).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AppointmentDetails {
    #[serde(skip_serializing_if = "Option::is_none")]
    end_time: Option<DateTime<FixedOffset>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    appointment_status: Option<AppointmentStatus>,
    #[serde(skip_serializing_if = "Option::is_none")]
    assigned_user_id: Option<UserId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    meeting_location_type: Option<MeetingLocationType>,
    #[serde(skip_serializing_if = "Option::is_none")]
    meeting_location_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    override_location_config: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ignore_date_range: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ignore_free_slot_validation: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    to_notify: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rrule: Option<String>,
}

/// The details' setters and getters, on [`AppointmentDetails`] itself and on the two bodies
/// (which hold them in `self.details`): `setter / set_setter / getter: Type, "doc"`.
macro_rules! appointment_details {
    ($callback:ident [$($args:tt)*]) => {
        $callback! {
            [$($args)*]
            end_time / set_end_time / get_end_time: DateTime<FixedOffset>, "End, with its UTC offset.";
            title / set_title / get_title: String, "Title.";
            appointment_status / set_appointment_status / get_appointment_status: AppointmentStatus, "Status.";
            assigned_user_id / set_assigned_user_id / get_assigned_user_id: UserId,
                "Assigned user (a team member of the calendar).";
            address / set_address / get_address: String, "Address.";
            meeting_location_type / set_meeting_location_type / get_meeting_location_type: MeetingLocationType,
                "Where it takes place.";
            meeting_location_id / set_meeting_location_id / get_meeting_location_id: String,
                "Which of the calendar's configured locations.";
            override_location_config / set_override_location_config / get_override_location_config: bool,
                "Use this appointment's location instead of the calendar's.";
            ignore_date_range / set_ignore_date_range / get_ignore_date_range: bool,
                "Book outside the calendar's date range.";
            ignore_free_slot_validation / set_ignore_free_slot_validation / get_ignore_free_slot_validation: bool,
                "Book outside free slots (needed for imports).";
            to_notify / set_to_notify / get_to_notify: bool,
                "Whether GHL runs its automations and notifies the contact (`false` for imports).";
            description / set_description / get_description: String,
                "Description (free text shown on the appointment).";
            rrule / set_rrule / get_rrule: String, "Recurrence rule (RFC 5545 `RRULE`).";
        }
    };
}

macro_rules! details_methods {
    ([] $( $field:ident / $set:ident / $get:ident : $ty:ty, $doc:literal; )*) => {
        $(
            #[doc = $doc]
            pub fn $field(mut self, value: impl Into<$ty>) -> Self {
                self.$field = Some(value.into());
                self
            }

            #[doc = concat!("Sets or clears `", stringify!($field), "` (`None`: not sent).")]
            pub fn $set(mut self, value: Option<$ty>) -> Self {
                self.$field = value;
                self
            }

            #[doc = concat!("The `", stringify!($field), "` set, if any.")]
            pub fn $get(&self) -> Option<&$ty> {
                self.$field.as_ref()
            }
        )*
    };
    ([$target:ident] $( $field:ident / $set:ident / $get:ident : $ty:ty, $doc:literal; )*) => {
        $(
            #[doc = $doc]
            pub fn $field(mut self, value: impl Into<$ty>) -> Self {
                self.$target = self.$target.$field(value);
                self
            }

            #[doc = concat!("Sets or clears `", stringify!($field), "` (`None`: not sent).")]
            pub fn $set(mut self, value: Option<$ty>) -> Self {
                self.$target = self.$target.$set(value);
                self
            }

            #[doc = concat!("The `", stringify!($field), "` set, if any.")]
            pub fn $get(&self) -> Option<&$ty> {
                self.$target.$get()
            }
        )*
    };
}

impl AppointmentDetails {
    /// No detail set.
    pub fn new() -> Self {
        Self::default()
    }

    appointment_details!(details_methods[]);
}

/// The body of `POST /calendars/events/appointments`. Required: `calendarId`, `locationId`
/// (the client's when unset), `contactId`, `startTime`.
///
/// ```
/// use chrono::DateTime;
/// use ghl_client::calendars::{AppointmentStatus, CreateAppointment, UpdateAppointment};
///
/// let start = DateTime::parse_from_rfc3339("2025-03-30T10:00:00+01:00").unwrap();
/// let end = DateTime::parse_from_rfc3339("2025-03-30T11:00:00+01:00").unwrap();
/// let create = CreateAppointment::new("cal-1", "c-1", start, end)
///     .title("Cut and colour")
///     .appointment_status(AppointmentStatus::Confirmed)
///     .ignore_free_slot_validation(true)
///     .to_notify(false);
/// // The same appointment as an update: no contactId, no locationId.
/// let update = serde_json::to_value(UpdateAppointment::from(&create)).unwrap();
/// assert_eq!(update["title"], "Cut and colour");
/// assert!(update.get("contactId").is_none());
/// ```
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateAppointment {
    calendar_id: CalendarId,
    #[serde(skip_serializing_if = "Option::is_none")]
    location_id: Option<LocationId>,
    contact_id: ContactId,
    start_time: DateTime<FixedOffset>,
    #[serde(flatten)]
    details: AppointmentDetails,
}

impl CreateAppointment {
    /// An appointment of `contact_id` in `calendar_id` from `start` to `end` (with their UTC
    /// offsets, such as `2025-03-30T10:00:00+01:00`).
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
            details: AppointmentDetails::new().end_time(end),
        }
    }

    /// The location (default: the client's).
    pub fn location_id(mut self, id: impl Into<LocationId>) -> Self {
        self.location_id = Some(id.into());
        self
    }

    /// Sets or clears the location (`None`: the client's).
    pub fn set_location_id(mut self, id: Option<LocationId>) -> Self {
        self.location_id = id;
        self
    }

    /// Replaces every detail at once.
    pub fn with_details(mut self, details: AppointmentDetails) -> Self {
        self.details = details;
        self
    }

    /// The calendar.
    pub fn get_calendar_id(&self) -> &CalendarId {
        &self.calendar_id
    }

    /// The contact.
    pub fn get_contact_id(&self) -> &ContactId {
        &self.contact_id
    }

    /// The location, if set.
    pub fn get_location_id(&self) -> Option<&LocationId> {
        self.location_id.as_ref()
    }

    /// The start.
    pub fn get_start_time(&self) -> DateTime<FixedOffset> {
        self.start_time
    }

    /// The details.
    pub fn details(&self) -> &AppointmentDetails {
        &self.details
    }

    appointment_details!(details_methods[details]);
}

/// The body of `PUT /calendars/events/appointments/{eventId}`: only what is set is sent.
///
/// Build one from scratch with [`new`](Self::new), or from the create body of the same
/// appointment with `UpdateAppointment::from(&create)`.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateAppointment {
    #[serde(skip_serializing_if = "Option::is_none")]
    calendar_id: Option<CalendarId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    start_time: Option<DateTime<FixedOffset>>,
    #[serde(flatten)]
    details: AppointmentDetails,
}

impl UpdateAppointment {
    /// An empty update.
    pub fn new() -> Self {
        Self::default()
    }

    /// Moves it to another calendar.
    pub fn calendar_id(mut self, id: impl Into<CalendarId>) -> Self {
        self.calendar_id = Some(id.into());
        self
    }

    /// The start.
    pub fn start_time(mut self, start: DateTime<FixedOffset>) -> Self {
        self.start_time = Some(start);
        self
    }

    /// Replaces every detail at once.
    pub fn with_details(mut self, details: AppointmentDetails) -> Self {
        self.details = details;
        self
    }

    /// The calendar, if set.
    pub fn get_calendar_id(&self) -> Option<&CalendarId> {
        self.calendar_id.as_ref()
    }

    /// The start, if set.
    pub fn get_start_time(&self) -> Option<DateTime<FixedOffset>> {
        self.start_time
    }

    /// The details.
    pub fn details(&self) -> &AppointmentDetails {
        &self.details
    }

    appointment_details!(details_methods[details]);
}

impl From<&CreateAppointment> for UpdateAppointment {
    /// Everything the create carries that `PUT` declares: the calendar, the start and every
    /// detail (not the contact or the location).
    fn from(create: &CreateAppointment) -> Self {
        Self {
            calendar_id: Some(create.calendar_id.clone()),
            start_time: Some(create.start_time),
            details: create.details.clone(),
        }
    }
}

/// Which events `GET /calendars/events` lists: those of a calendar, a user or a group.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum EventOwner {
    /// Events of a calendar.
    Calendar(CalendarId),
    /// Events of a user.
    User(UserId),
    /// Events of a calendar group.
    Group(String),
}

/// The query of `GET /calendars/events`: one owner and a time range.
///
/// ```
/// use chrono::{Duration, Utc};
/// use ghl_client::CalendarId;
/// use ghl_client::calendars::{EventOwner, ListEvents};
///
/// let now = Utc::now();
/// let query = ListEvents::new(EventOwner::Calendar(CalendarId::from("cal-1")), now, now + Duration::days(7));
/// # let _ = query;
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListEvents {
    owner: EventOwner,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
}

impl ListEvents {
    /// Events of `owner` between `start` and `end`.
    pub fn new(owner: EventOwner, start: DateTime<Utc>, end: DateTime<Utc>) -> Self {
        Self { owner, start, end }
    }
}

/// `client.calendars()`.
#[derive(Debug, Clone, Copy)]
pub struct CalendarsHandler<'c> {
    client: &'c GhlClient,
}

/// GHL answers `GET` with `{event: {..}}` and creates and updates with the bare object; some
/// versions wrap it as `{appointment: {..}}`.
fn appointment(mut answer: crate::client::Json<'_>) -> Result<Appointment, Error> {
    for key in ["event", "appointment"] {
        if answer
            .body()
            .get(key)
            .is_some_and(serde_json::Value::is_object)
        {
            return answer.field(key);
        }
    }
    answer.whole()
}

impl<'c> CalendarsHandler<'c> {
    pub(crate) fn new(client: &'c GhlClient) -> Self {
        Self { client }
    }

    /// `GET /calendars/?locationId=`. Needs `calendars.readonly`.
    pub async fn list(&self) -> Result<Listed<Calendar>, Error> {
        let call = Call::new(
            Method::GET,
            "/calendars/",
            &["calendars", ""],
            VERSION,
            Scope::CalendarsReadonly,
        )
        .query("locationId", self.client.location_id());
        self.client.send_json(call).await?.list("calendars")
    }

    /// `POST /calendars/events/appointments`. Needs `calendars/events.write`.
    /// [Reference](https://marketplace.gohighlevel.com/docs/ghl/calendars/create-appointment).
    ///
    /// **Not idempotent**: retried only on 429 and connect errors; after a 5xx or timeout the
    /// error's [`may_have_been_applied`](Error::may_have_been_applied) is `true`: list the
    /// range's events before booking again.
    pub async fn create_appointment(
        &self,
        request: &CreateAppointment,
    ) -> Result<Appointment, Error> {
        let mut request = request.clone();
        request
            .location_id
            .get_or_insert_with(|| self.client.location_id().clone());
        let call = Call::new(
            Method::POST,
            "/calendars/events/appointments",
            &["calendars", "events", "appointments"],
            VERSION,
            Scope::CalendarEventsWrite,
        )
        .json(&request)?;
        appointment(self.client.send_json(call).await?)
    }

    /// `PUT /calendars/events/appointments/{eventId}`. Needs `calendars/events.write`.
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
        appointment(self.client.send_json(call).await?)
    }

    /// `GET /calendars/events/appointments/{eventId}`. Needs `calendars/events.readonly`.
    pub async fn get_appointment(&self, id: &AppointmentId) -> Result<Appointment, Error> {
        let call = Call::new(
            Method::GET,
            "/calendars/events/appointments/{id}",
            &["calendars", "events", "appointments", id.as_str()],
            VERSION,
            Scope::CalendarEventsReadonly,
        );
        appointment(self.client.send_json(call).await?)
    }

    /// `DELETE /calendars/events/{eventId}`: deletes an appointment. Needs
    /// `calendars/events.write`. Sends the empty JSON object the operation requires as its
    /// body. [Reference](https://marketplace.gohighlevel.com/docs/ghl/calendars/delete-event).
    pub async fn delete_appointment(&self, id: &AppointmentId) -> Result<(), Error> {
        let call = Call::new(
            Method::DELETE,
            "/calendars/events/{id}",
            &["calendars", "events", id.as_str()],
            VERSION,
            Scope::CalendarEventsWrite,
        )
        .json(&serde_json::json!({}))?;
        self.client.send_unit(call).await
    }

    /// `GET /calendars/events?locationId=&calendarId=|userId=|groupId=&startTime=&endTime=`
    /// (epoch milliseconds). Needs `calendars/events.readonly`. An event that does not decode is
    /// reported in [`Listed::rejected`], the others are kept.
    pub async fn list_events(&self, query: &ListEvents) -> Result<Listed<Appointment>, Error> {
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
        self.client.send_json(call).await?.list("events")
    }
}
