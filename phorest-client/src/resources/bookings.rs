//! Bookings of one branch (create, activate, cancel) and the availability search.
//!
//! Request times are **UTC instants** here (DOC support article: "a booking made at 13:30 [in
//! Canada] needs to use the time 18:30"; production callers U2, U4 convert to UTC), unlike the
//! branch-local times of the appointment list. Shapes are observed in production callers (U2
//! books, activates and cancels; U3's captured `BookingResponse` and availability answers),
//! not documented in detail. There is no booking read: read the appointments of the booking.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::PhorestClient;
use crate::de;
use crate::error::{Operation, Result};
use crate::ids::{AppointmentId, BookingId, BranchId, ClientId, ServiceId, StaffId};
use crate::macros::open_enum;
use crate::resources::clients::to_body;

open_enum! {
    /// A booking's state (`bookingStatus`): sent on create (`RESERVED` holds the time until
    /// activated) and answered. Values beyond `RESERVED` and `CONFIRMED` are UNCONFIRMED.
    BookingStatus {
        /// `RESERVED`: held, not yet in the diary as a confirmed booking (U2).
        Reserved => "RESERVED",
        /// `CONFIRMED` (U3's captured answer).
        Confirmed => "CONFIRMED",
        /// `ACTIVE` (UNCONFIRMED value, mirrors the appointments' `activationState`).
        Active => "ACTIVE",
        /// `CANCELED` (UNCONFIRMED value).
        Canceled => "CANCELED",
    }
}

/// One service to book: which service, with whom, starting when (UTC).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceBooking {
    service_id: ServiceId,
    staff_id: StaffId,
    #[serde(serialize_with = "ser_instant")]
    start_time: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    duration: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    notes: Option<String>,
}

fn ser_instant<S: serde::Serializer>(
    value: &DateTime<Utc>,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(&de::format_instant(value))
}

impl ServiceBooking {
    /// `service_id` with `staff_id` from `start` (a UTC instant; convert the branch's wall
    /// clock with [`local_to_utc`](crate::local_to_utc)).
    pub fn new(
        service_id: impl Into<ServiceId>,
        staff_id: impl Into<StaffId>,
        start: DateTime<Utc>,
    ) -> Self {
        Self {
            service_id: service_id.into(),
            staff_id: staff_id.into(),
            start_time: start,
            duration: None,
            notes: None,
        }
    }

    /// `duration` in minutes, overriding the service's (U4 sends it; UNCONFIRMED).
    pub fn duration(mut self, minutes: u32) -> Self {
        self.duration = Some(minutes);
        self
    }

    /// `notes` on this appointment.
    pub fn notes(mut self, notes: impl Into<String>) -> Self {
        self.notes = Some(notes.into());
        self
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
struct ClientSchedule {
    client_id: ClientId,
    service_schedules: Vec<ServiceBooking>,
}

/// A booking to create (`POST /{businessId}/branch/{branchId}/booking`): one client, one or
/// more services.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use phorest_client::{NewBooking, ServiceBooking};
///
/// let at = Utc.with_ymd_and_hms(2026, 7, 20, 18, 30, 0).unwrap(); // 14:30 in Toronto
/// let booking = NewBooking::new("client-1")
///     .service(ServiceBooking::new("service-1", "staff-1", at))
///     .reserved()
///     .note("Booked on the website");
/// # let _ = booking;
/// ```
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NewBooking {
    client_id: ClientId,
    #[serde(skip_serializing_if = "Option::is_none")]
    booking_status: Option<BookingStatus>,
    client_appointment_schedules: Vec<ClientSchedule>,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<String>,
}

impl NewBooking {
    /// A booking for `client_id`; add services with [`service`](Self::service).
    pub fn new(client_id: impl Into<ClientId>) -> Self {
        let client_id = client_id.into();
        Self {
            client_appointment_schedules: vec![ClientSchedule {
                client_id: client_id.clone(),
                service_schedules: Vec::new(),
            }],
            client_id,
            booking_status: None,
            note: None,
        }
    }

    /// Adds a service (in order).
    pub fn service(mut self, service: ServiceBooking) -> Self {
        if let Some(schedule) = self.client_appointment_schedules.first_mut() {
            schedule.service_schedules.push(service);
        }
        self
    }

    /// `bookingStatus: RESERVED`: hold the time; [`BookingsHandler::activate`] confirms it,
    /// [`BookingsHandler::cancel`] releases it (U2's flow).
    pub fn reserved(self) -> Self {
        self.status(BookingStatus::Reserved)
    }

    /// `bookingStatus` (unset: Phorest's default, a confirmed booking).
    pub fn status(mut self, status: BookingStatus) -> Self {
        self.booking_status = Some(status);
        self
    }

    /// `note` on the booking.
    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.note = Some(note.into());
        self
    }

    /// The JSON body this sends (feature `test-util`).
    #[cfg(feature = "test-util")]
    pub fn to_body(&self) -> serde_json::Value {
        to_body(self)
    }
}

/// One scheduled service in a booking answer or an availability slot.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct ScheduledService {
    /// Service.
    pub service_id: Option<ServiceId>,
    /// Staff member.
    pub staff_id: Option<StaffId>,
    /// The appointment created (booking answers only).
    pub appointment_id: Option<AppointmentId>,
    /// Start (UTC instant).
    #[serde(
        deserialize_with = "de::opt_instant",
        serialize_with = "de::ser_opt_instant"
    )]
    pub start_time: Option<DateTime<Utc>>,
    /// End (UTC instant).
    #[serde(
        deserialize_with = "de::opt_instant",
        serialize_with = "de::ser_opt_instant"
    )]
    pub end_time: Option<DateTime<Utc>>,
    /// Availability: another staff member than the one asked for (U2 reads it).
    #[serde(deserialize_with = "de::null_default")]
    pub alternative_staff_member: bool,
}

/// The services of one client in a booking answer or an availability slot.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct ClientServices {
    /// The client (may be absent in availability answers).
    pub client_id: Option<ClientId>,
    /// The services.
    #[serde(deserialize_with = "de::null_default")]
    pub service_schedules: Vec<ScheduledService>,
}

/// A booking as answered by create/activate (shape from U3's captured `BookingResponse`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct Booking {
    /// Booking id (the appointments carry it as `bookingId`).
    pub booking_id: BookingId,
    /// State.
    pub booking_status: Option<BookingStatus>,
    /// Client.
    pub client_id: Option<ClientId>,
    /// The appointments created, per client. The new appointment ids are only here (never
    /// at the top level).
    #[serde(deserialize_with = "de::null_default")]
    pub client_appointment_schedules: Vec<ClientServices>,
}

impl Booking {
    /// Every appointment id the booking created, in order.
    pub fn appointment_ids(&self) -> Vec<AppointmentId> {
        self.client_appointment_schedules
            .iter()
            .flat_map(|c| &c.service_schedules)
            .filter_map(|s| s.appointment_id.clone())
            .collect()
    }
}

/// Creating a booking.
const CREATE_BOOKING: Operation = Operation::new("POST", "/{businessId}/branch/{branchId}/booking");
/// Activating a reserved booking.
const ACTIVATE_BOOKING: Operation = Operation::new(
    "POST",
    "/{businessId}/branch/{branchId}/booking/{bookingId}/activate",
);
/// Cancelling a booking.
const CANCEL_BOOKING: Operation = Operation::new(
    "POST",
    "/{businessId}/branch/{branchId}/booking/{bookingId}/cancel",
);

/// Handler for one branch's bookings; see [`PhorestClient::bookings`].
#[derive(Clone, Debug)]
pub struct BookingsHandler {
    client: PhorestClient,
    branch: BranchId,
}

impl BookingsHandler {
    pub(crate) fn new(client: PhorestClient, branch: BranchId) -> Self {
        Self { client, branch }
    }

    /// Books (`POST …/booking`); answers the booking with the new appointment ids.
    ///
    /// Not replayed after an ambiguous failure: the time may have been booked
    /// ([`Error::may_have_been_applied`](crate::Error::may_have_been_applied)); list the
    /// client's appointments that day before booking again (U2 does). A taken slot is a
    /// [`Error::BadRequest`](crate::Error::BadRequest) (status and code UNCONFIRMED).
    pub async fn create(&self, booking: &NewBooking) -> Result<Booking> {
        let body = to_body(booking);
        self.client
            .write_json(
                CREATE_BOOKING,
                &["branch", self.branch.as_str(), "booking"],
                Some(&body),
            )
            .await
    }

    /// Activates a `RESERVED` booking (`POST …/booking/{bookingId}/activate`, body `{}` as
    /// U2 sends). The answer body, if any, is not decoded (its shape is UNCONFIRMED).
    pub async fn activate(&self, booking: &BookingId) -> Result<()> {
        self.client
            .write_empty(
                ACTIVATE_BOOKING,
                &[
                    "branch",
                    self.branch.as_str(),
                    "booking",
                    booking.as_str(),
                    "activate",
                ],
                Some(&serde_json::json!({})),
            )
            .await
            .map(drop)
    }

    /// Cancels a booking, reserved or active (`POST …/booking/{bookingId}/cancel`, no body as
    /// U2 sends). The answer body, if any, is not decoded.
    pub async fn cancel(&self, booking: &BookingId) -> Result<()> {
        self.client
            .write_empty(
                CANCEL_BOOKING,
                &[
                    "branch",
                    self.branch.as_str(),
                    "booking",
                    booking.as_str(),
                    "cancel",
                ],
                None,
            )
            .await
            .map(drop)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
struct ServiceSelection {
    service_id: ServiceId,
    #[serde(skip_serializing_if = "Option::is_none")]
    staff_id: Option<StaffId>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
struct ClientServiceSelection {
    #[serde(skip_serializing_if = "Option::is_none")]
    client_id: Option<ClientId>,
    service_selections: Vec<ServiceSelection>,
}

/// An availability search (`POST /{businessId}/branch/{branchId}/appointments/availability`):
/// free start times for a service between two UTC instants.
///
/// Body shape from U2 (production) and U3: `startTime`, `endTime`, `isOnlineAvailability`,
/// `clientServiceSelections[].serviceSelections[]`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AvailabilityQuery {
    #[serde(serialize_with = "ser_instant")]
    start_time: DateTime<Utc>,
    #[serde(serialize_with = "ser_instant")]
    end_time: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    is_online_availability: Option<bool>,
    client_service_selections: Vec<ClientServiceSelection>,
}

impl AvailabilityQuery {
    /// Free times for `service_id` starting in `start..end` (UTC), with any staff member.
    pub fn new(start: DateTime<Utc>, end: DateTime<Utc>, service_id: impl Into<ServiceId>) -> Self {
        Self {
            start_time: start,
            end_time: end,
            is_online_availability: None,
            client_service_selections: vec![ClientServiceSelection {
                client_id: None,
                service_selections: vec![ServiceSelection {
                    service_id: service_id.into(),
                    staff_id: None,
                }],
            }],
        }
    }

    /// Only with this staff member (Phorest may still offer an alternative, flagged
    /// [`ScheduledService::alternative_staff_member`]).
    pub fn staff_id(mut self, id: impl Into<StaffId>) -> Self {
        let id = id.into();
        for c in &mut self.client_service_selections {
            for s in &mut c.service_selections {
                s.staff_id = Some(id.clone());
            }
        }
        self
    }

    /// For this client.
    pub fn client_id(mut self, id: impl Into<ClientId>) -> Self {
        let id = id.into();
        for c in &mut self.client_service_selections {
            c.client_id = Some(id.clone());
        }
        self
    }

    /// `isOnlineAvailability`: apply the online-booking rules (U2 sends `true`).
    pub fn online(mut self, online: bool) -> Self {
        self.is_online_availability = Some(online);
        self
    }

    /// The JSON body this sends (feature `test-util`).
    #[cfg(feature = "test-util")]
    pub fn to_body(&self) -> serde_json::Value {
        to_body(self)
    }
}

/// One free start time (`data[]` of the availability answer).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct AvailabilitySlot {
    /// Start (UTC instant).
    #[serde(
        deserialize_with = "de::opt_instant",
        serialize_with = "de::ser_opt_instant"
    )]
    pub start_time: Option<DateTime<Utc>>,
    /// Who could do what from then (end times and staff live here).
    #[serde(deserialize_with = "de::null_default")]
    pub client_schedules: Vec<ClientServices>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct AvailabilityAnswer {
    #[serde(deserialize_with = "de::null_default")]
    data: Vec<AvailabilitySlot>,
}

/// The availability search: a `POST` that only reads, so it is retried like a `GET`.
const AVAILABILITY: Operation =
    Operation::post_read("/{businessId}/branch/{branchId}/appointments/availability");

pub(crate) async fn availability(
    client: &PhorestClient,
    branch: &BranchId,
    query: &AvailabilityQuery,
) -> Result<Vec<AvailabilitySlot>> {
    let body = to_body(query);
    let answer: AvailabilityAnswer = client
        .write_json(
            AVAILABILITY,
            &["branch", branch.as_str(), "appointments", "availability"],
            Some(&body),
        )
        .await?;
    Ok(answer.data)
}
