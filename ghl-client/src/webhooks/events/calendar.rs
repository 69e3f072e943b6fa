//! Appointment events: `AppointmentCreate`, `AppointmentUpdate`, `AppointmentDelete`.

use serde::{Deserialize, Serialize};

use crate::calendars::AppointmentStatus;
use crate::ids::{AppointmentId, CalendarId, ContactId, LocationId, UserId};
use crate::webhooks::de;

/// Payload of the three appointment events
/// ([AppointmentCreate](https://marketplace.gohighlevel.com/docs/webhook/AppointmentCreate)).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct AppointmentEvent {
    /// The appointment's location.
    #[serde(default, deserialize_with = "de::opt_id")]
    pub location_id: Option<LocationId>,
    /// The appointment (as it is now; as it was for a delete).
    #[serde(default)]
    pub appointment: Option<WebhookAppointment>,
}

/// Payload of `AppointmentCreate`.
pub type AppointmentCreateEvent = AppointmentEvent;
/// Payload of `AppointmentUpdate`
/// ([page](https://marketplace.gohighlevel.com/docs/webhook/AppointmentUpdate)).
pub type AppointmentUpdateEvent = AppointmentEvent;
/// Payload of `AppointmentDelete`
/// ([page](https://marketplace.gohighlevel.com/docs/webhook/AppointmentDelete)).
pub type AppointmentDeleteEvent = AppointmentEvent;

/// An appointment as appointment events carry it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct WebhookAppointment {
    /// The appointment id.
    #[serde(default, deserialize_with = "de::opt_id")]
    pub id: Option<AppointmentId>,
    /// Meeting address or URL.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub address: Option<String>,
    /// Title.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub title: Option<String>,
    /// The calendar.
    #[serde(default, deserialize_with = "de::opt_id")]
    pub calendar_id: Option<CalendarId>,
    /// The contact booked.
    #[serde(default, deserialize_with = "de::opt_id")]
    pub contact_id: Option<ContactId>,
    /// The calendar group.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub group_id: Option<String>,
    /// Status (`confirmed`, `cancelled`, …).
    #[serde(default)]
    pub appointment_status: Option<AppointmentStatus>,
    /// The assigned user.
    #[serde(default, deserialize_with = "de::opt_id")]
    pub assigned_user_id: Option<UserId>,
    /// Users on the appointment.
    #[serde(default, deserialize_with = "de::id_list")]
    pub users: Vec<UserId>,
    /// Notes.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub notes: Option<String>,
    /// How it was booked (`booking_widget`, …).
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub source: Option<String>,
    /// Start (ISO 8601 with offset, as sent).
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub start_time: Option<String>,
    /// End (ISO 8601 with offset, as sent).
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub end_time: Option<String>,
    /// When it was created.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub date_added: Option<String>,
    /// When it was last changed.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub date_updated: Option<String>,
}
