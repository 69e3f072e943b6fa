//! Appointments of one branch, split into calendar-month windows, plus the bookings and
//! check-ins derived from them (Phorest has no read endpoints for those).

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;
use futures::stream::{self, StreamExt};
use serde::{Deserialize, Serialize};

use crate::PhorestClient;
use crate::de;
use crate::error::{Operation, Result};
use crate::ids::{AppointmentId, BookingId, BranchId, ClientId, ServiceId, StaffId};
use crate::macros::open_enum;
use crate::page::{ItemStream, ListSpec, Listed, PageStream, flatten};
use crate::query::{Query, params};
use crate::time::{LocalTimeError, MonthWindow, local_to_utc, month_windows};

open_enum! {
    /// An appointment's progress (`state`).
    AppointmentState {
        /// `BOOKED`.
        Booked => "BOOKED",
        /// `CHECKED_IN`.
        CheckedIn => "CHECKED_IN",
        /// `PAID`.
        Paid => "PAID",
        /// `ARRIVED` (UNCONFIRMED value).
        Arrived => "ARRIVED",
        /// `COMPLETED` (UNCONFIRMED value).
        Completed => "COMPLETED",
        /// `NO_SHOW` (UNCONFIRMED value).
        NoShow => "NO_SHOW",
    }
}

open_enum! {
    /// Whether the appointment is live (`activationState`).
    ActivationState {
        /// `ACTIVE`.
        Active => "ACTIVE",
        /// `RESERVED` (not yet confirmed).
        Reserved => "RESERVED",
        /// `CANCELED`.
        Canceled => "CANCELED",
        /// `ARCHIVED` (UNCONFIRMED value).
        Archived => "ARCHIVED",
    }
}

/// An online service category attached with `fetch_online_category=true`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct InternetServiceCategory {
    /// Category id.
    pub id: Option<String>,
    /// Name.
    pub name: Option<String>,
}

/// One appointment: one service line of a booking (`_embedded.appointments[]`).
///
/// `appointment_date`, `start_time` and `end_time` are **branch-local wall-clock** values;
/// use [`Appointment::start_utc`] / [`Appointment::end_utc`] with the branch's zone.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct Appointment {
    /// Appointment id.
    pub appointment_id: AppointmentId,
    /// Optimistic-lock version.
    pub version: Option<i64>,
    /// Branch.
    pub branch_id: Option<BranchId>,
    /// Branch-local date.
    #[serde(deserialize_with = "de::opt_date")]
    pub appointment_date: Option<NaiveDate>,
    /// Branch-local start time of day.
    #[serde(deserialize_with = "de::opt_time", serialize_with = "de::ser_opt_time")]
    pub start_time: Option<NaiveTime>,
    /// Branch-local end time of day.
    #[serde(deserialize_with = "de::opt_time", serialize_with = "de::ser_opt_time")]
    pub end_time: Option<NaiveTime>,
    /// Client (may be the walk-in client).
    pub client_id: Option<ClientId>,
    /// Staff member.
    pub staff_id: Option<StaffId>,
    /// Service.
    pub service_id: Option<ServiceId>,
    /// Service name.
    pub service_name: Option<String>,
    /// Booking this appointment belongs to.
    pub booking_id: Option<BookingId>,
    /// Price.
    pub price: Option<f64>,
    /// Deposit amount.
    pub deposit_amount: Option<f64>,
    /// Deposit time.
    #[serde(
        deserialize_with = "de::opt_instant",
        serialize_with = "de::ser_opt_instant"
    )]
    pub deposit_date_time: Option<DateTime<Utc>>,
    /// Confirmed.
    #[serde(deserialize_with = "de::null_default")]
    pub confirmed: bool,
    /// Client requested this staff member.
    #[serde(deserialize_with = "de::null_default")]
    pub staff_request: bool,
    /// Preferred staff.
    #[serde(deserialize_with = "de::null_default")]
    pub preferred_staff: bool,
    /// Progress state.
    pub state: Option<AppointmentState>,
    /// Activation state.
    pub activation_state: Option<ActivationState>,
    /// Deleted.
    #[serde(deserialize_with = "de::null_default")]
    pub deleted: bool,
    /// Booking channel (values UNCONFIRMED).
    pub source: Option<String>,
    /// Service reward id.
    pub service_reward_id: Option<String>,
    /// Purchasing branch.
    pub purchasing_branch_id: Option<BranchId>,
    /// Online categories (only with `fetch_online_category=true`).
    #[serde(deserialize_with = "de::null_default")]
    pub internet_service_categories: Vec<InternetServiceCategory>,
    /// Business-level service group id.
    pub parent_service_group_id: Option<String>,
    /// Last segment of a split service.
    #[serde(deserialize_with = "de::null_default")]
    pub is_finish_appointment: bool,
    /// Room (UNCONFIRMED field).
    pub room_id: Option<String>,
    /// Machine (UNCONFIRMED field).
    pub machine_id: Option<String>,
    /// The client course item this appointment redeems (U1; see
    /// [`ClientCourse`](crate::ClientCourse)).
    pub client_course_item_id: Option<String>,
    /// Group booking (UNCONFIRMED field).
    pub group_booking_id: Option<String>,
    /// Created.
    #[serde(
        deserialize_with = "de::opt_instant",
        serialize_with = "de::ser_opt_instant"
    )]
    pub created_at: Option<DateTime<Utc>>,
    /// Last updated (the sync watermark).
    #[serde(
        deserialize_with = "de::opt_instant",
        serialize_with = "de::ser_opt_instant"
    )]
    pub updated_at: Option<DateTime<Utc>>,
}

impl Appointment {
    /// Whether the appointment was cancelled or deleted.
    pub fn is_cancelled(&self) -> bool {
        self.deleted || self.activation_state == Some(ActivationState::Canceled)
    }

    /// Whether the client checked in: state `CHECKED_IN` or `PAID`, and not cancelled/deleted.
    pub fn is_checked_in(&self) -> bool {
        !self.is_cancelled()
            && matches!(
                self.state,
                Some(AppointmentState::CheckedIn | AppointmentState::Paid)
            )
    }

    /// Start instant, resolving the branch-local date and time in `tz`.
    pub fn start_utc(&self, tz: Tz) -> Result<DateTime<Utc>, LocalTimeError> {
        let date = self
            .appointment_date
            .ok_or(LocalTimeError::Missing("appointmentDate"))?;
        let time = self
            .start_time
            .ok_or(LocalTimeError::Missing("startTime"))?;
        local_to_utc(date, time, tz)
    }

    /// End instant in `tz`. An end time earlier than the start time is read as the next day.
    pub fn end_utc(&self, tz: Tz) -> Result<DateTime<Utc>, LocalTimeError> {
        let date = self
            .appointment_date
            .ok_or(LocalTimeError::Missing("appointmentDate"))?;
        let end = self.end_time.ok_or(LocalTimeError::Missing("endTime"))?;
        let date = match self.start_time {
            Some(start) if end < start => date.succ_opt().unwrap_or(date),
            _ => date,
        };
        local_to_utc(date, end, tz)
    }
}

/// Groups appointments by `bookingId` (appointments without one are skipped), in id order.
pub fn group_by_booking<'a>(
    appointments: impl IntoIterator<Item = &'a Appointment>,
) -> BTreeMap<BookingId, Vec<&'a Appointment>> {
    let mut out: BTreeMap<BookingId, Vec<&'a Appointment>> = BTreeMap::new();
    for a in appointments {
        if let Some(id) = a.booking_id.as_ref().filter(|id| !id.as_str().is_empty()) {
            out.entry(id.clone()).or_default().push(a);
        }
    }
    out
}

/// Filters for the appointment list. `from_date..=to_date` may be any length: the handler
/// splits it into calendar-month windows (Phorest allows at most one month per call).
///
/// ```
/// use chrono::{NaiveDate, TimeZone, Utc};
/// use phorest_client::AppointmentQuery;
///
/// let d = |m, day| NaiveDate::from_ymd_opt(2025, m, day).unwrap();
/// let since = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
/// let query = AppointmentQuery::for_sync(d(1, 15), d(3, 10)).updated_from(since);
/// assert_eq!(query.windows().len(), 3);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct AppointmentQuery {
    from_date: NaiveDate,
    to_date: NaiveDate,
    fetch_canceled: bool,
    fetch_deleted: bool,
    fetch_archived: bool,
    updated_from: Option<DateTime<Utc>>,
    updated_to: Option<DateTime<Utc>>,
    staff_id: Option<StaffId>,
    client_id: Option<ClientId>,
    fetch_online_category: bool,
    sort: Option<String>,
}

impl AppointmentQuery {
    /// Visible appointments dated `from..=to` (Phorest's defaults: no cancelled/deleted).
    pub fn new(from_date: NaiveDate, to_date: NaiveDate) -> Self {
        Self {
            from_date,
            to_date,
            fetch_canceled: false,
            fetch_deleted: false,
            fetch_archived: false,
            updated_from: None,
            updated_to: None,
            staff_id: None,
            client_id: None,
            fetch_online_category: false,
            sort: None,
        }
    }

    /// For a sync: everything dated `from..=to`, cancelled, deleted and archived included.
    pub fn for_sync(from_date: NaiveDate, to_date: NaiveDate) -> Self {
        Self::new(from_date, to_date)
            .fetch_canceled(true)
            .fetch_deleted(true)
            .fetch_archived(true)
    }

    /// `fetch_canceled=true`: include cancelled appointments.
    pub fn fetch_canceled(mut self, fetch: bool) -> Self {
        self.fetch_canceled = fetch;
        self
    }

    /// `fetch_deleted=true`: include deleted appointments.
    pub fn fetch_deleted(mut self, fetch: bool) -> Self {
        self.fetch_deleted = fetch;
        self
    }

    /// `fetch_archived=true`: include archived appointments.
    pub fn fetch_archived(mut self, fetch: bool) -> Self {
        self.fetch_archived = fetch;
        self
    }

    /// `updated_from`: updated at or after this instant (incremental syncs; `None` clears it).
    pub fn updated_from(mut self, since: impl Into<Option<DateTime<Utc>>>) -> Self {
        self.updated_from = since.into();
        self
    }

    /// `updated_to`: updated strictly before this instant (`None` clears it).
    pub fn updated_to(mut self, until: impl Into<Option<DateTime<Utc>>>) -> Self {
        self.updated_to = until.into();
        self
    }

    /// `staff_id` (name UNCONFIRMED).
    pub fn staff_id(mut self, id: impl Into<StaffId>) -> Self {
        self.staff_id = Some(id.into());
        self
    }

    /// `client_id` (name UNCONFIRMED).
    pub fn client_id(mut self, id: impl Into<ClientId>) -> Self {
        self.client_id = Some(id.into());
        self
    }

    /// `fetch_online_category=true`: add `internetServiceCategories`.
    pub fn fetch_online_category(mut self, fetch: bool) -> Self {
        self.fetch_online_category = fetch;
        self
    }

    /// `sort`, e.g. `appointmentDate,desc` (Spring syntax).
    pub fn sort(mut self, sort: impl Into<String>) -> Self {
        self.sort = Some(sort.into());
        self
    }

    /// The month windows this query is split into.
    pub fn windows(&self) -> Vec<MonthWindow> {
        month_windows(self.from_date, self.to_date)
    }

    pub(crate) fn to_query(&self, window: MonthWindow) -> Query {
        let mut q = Query::default();
        q.date(params::FROM_DATE, Some(window.from))
            .date(params::TO_DATE, Some(window.to))
            .flag(params::FETCH_CANCELED, self.fetch_canceled)
            .flag(params::FETCH_DELETED, self.fetch_deleted)
            .flag(params::FETCH_ARCHIVED, self.fetch_archived)
            .instant(params::UPDATED_FROM, self.updated_from.as_ref())
            .instant(params::UPDATED_TO, self.updated_to.as_ref())
            .opt(params::APPOINTMENT_STAFF_ID, self.staff_id.as_ref())
            .opt(params::APPOINTMENT_CLIENT_ID, self.client_id.as_ref())
            .flag(params::FETCH_ONLINE_CATEGORY, self.fetch_online_category)
            .opt(params::SORT, self.sort.as_deref());
        q
    }

    /// The query parameters sent for one window, without `page`/`size` (feature
    /// `test-util`).
    #[cfg(feature = "test-util")]
    pub fn to_pairs(&self, window: MonthWindow) -> Vec<(&'static str, String)> {
        self.to_query(window).into()
    }
}

/// A change to one appointment (`PUT /{businessId}/branch/{branchId}/appointment/{id}`):
/// reschedule (date, times, staff) or switch the service.
///
/// Built from the appointment as read ([`AppointmentUpdate::new`]), which carries its
/// `version` and the fields U3 found required (`appointmentId`, `staffId`, `startTime`,
/// `version`, with `appointmentDate`, `endTime`, `serviceId`); setters override them. Dates
/// and times use the appointment list's clock: **branch-local** per the fidelity evidence
/// (U3 alone reads them as UTC; UNCONFIRMED for writes). A stale `version` fails with
/// [`Error::Conflict`](crate::Error::Conflict).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AppointmentUpdate {
    appointment_id: AppointmentId,
    version: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    staff_id: Option<StaffId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    service_id: Option<ServiceId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    appointment_date: Option<NaiveDate>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "de::ser_opt_time"
    )]
    start_time: Option<NaiveTime>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "de::ser_opt_time"
    )]
    end_time: Option<NaiveTime>,
    #[serde(skip_serializing_if = "Option::is_none")]
    notes: Option<String>,
}

impl AppointmentUpdate {
    /// A change to `appointment` as read: its id, `version` (0 when absent), staff, service,
    /// date and times.
    pub fn new(appointment: &Appointment) -> Self {
        Self {
            appointment_id: appointment.appointment_id.clone(),
            version: appointment.version.unwrap_or_default(),
            staff_id: appointment.staff_id.clone(),
            service_id: appointment.service_id.clone(),
            appointment_date: appointment.appointment_date,
            start_time: appointment.start_time,
            end_time: appointment.end_time,
            notes: None,
        }
    }

    /// Moves it to `date`, `start..end` (branch-local).
    pub fn reschedule(mut self, date: NaiveDate, start: NaiveTime, end: NaiveTime) -> Self {
        self.appointment_date = Some(date);
        self.start_time = Some(start);
        self.end_time = Some(end);
        self
    }

    /// `staffId`.
    pub fn staff_id(mut self, id: impl Into<StaffId>) -> Self {
        self.staff_id = Some(id.into());
        self
    }

    /// `serviceId`.
    pub fn service_id(mut self, id: impl Into<ServiceId>) -> Self {
        self.service_id = Some(id.into());
        self
    }

    /// `notes` (UNCONFIRMED field).
    pub fn notes(mut self, notes: impl Into<String>) -> Self {
        self.notes = Some(notes.into());
        self
    }

    /// The appointment changed.
    pub fn appointment_id(&self) -> &AppointmentId {
        &self.appointment_id
    }

    /// The JSON body this sends (feature `test-util`).
    #[cfg(feature = "test-util")]
    pub fn to_body(&self) -> serde_json::Value {
        crate::resources::clients::to_body(self)
    }
}

/// Updating an appointment.
const UPDATE_APPOINTMENT: Operation = Operation::new(
    "PUT",
    "/{businessId}/branch/{branchId}/appointment/{appointmentId}",
);
/// Cancelling appointments.
const CANCEL_APPOINTMENTS: Operation =
    Operation::new("POST", "/{businessId}/branch/{branchId}/appointment/cancel");
/// Confirming appointments.
const CONFIRM_APPOINTMENTS: Operation = Operation::new(
    "POST",
    "/{businessId}/branch/{branchId}/appointment/confirm",
);

/// Page size used for appointments (the documented maximum is cut off; production uses 100).
const PAGE_SIZE: u32 = 100;

impl Listed for Appointment {
    const ID_FIELDS: &'static [&'static str] = &["appointmentId"];
}

/// Handler for one branch's appointments; see [`PhorestClient::appointments`].
#[derive(Clone, Debug)]
pub struct AppointmentsHandler {
    client: PhorestClient,
    branch: BranchId,
}

impl AppointmentsHandler {
    pub(crate) fn new(client: PhorestClient, branch: BranchId) -> Self {
        Self { client, branch }
    }

    fn spec(&self, query: &AppointmentQuery, window: MonthWindow) -> ListSpec {
        ListSpec {
            operation: Operation::get("/{businessId}/branch/{branchId}/appointment"),
            segments: vec![
                "branch".into(),
                self.branch.to_string(),
                "appointment".into(),
            ],
            query: query.to_query(window),
            key: "appointments",
            size: PAGE_SIZE,
        }
    }

    /// Pages of one month window from `start_page` (for callers checkpointing per
    /// window and page). `window` should come from [`AppointmentQuery::windows`].
    pub fn window_pages(
        &self,
        query: &AppointmentQuery,
        window: MonthWindow,
        start_page: u32,
    ) -> PageStream<Appointment> {
        self.spec(query, window)
            .pages(self.client.clone(), start_page)
    }

    /// Every matching appointment, window after window.
    pub fn list(&self, query: &AppointmentQuery) -> ItemStream<Appointment> {
        let client = self.client.clone();
        let specs: Vec<ListSpec> = query
            .windows()
            .into_iter()
            .map(|w| self.spec(query, w))
            .collect();
        stream::iter(specs)
            .flat_map(move |spec| flatten(spec.pages(client.clone(), 0)))
            .boxed()
    }

    /// Updates an appointment (`PUT …/appointment/{appointmentId}`); answers it as stored,
    /// with its new `version`. Not replayed after an ambiguous failure.
    pub async fn update(&self, update: &AppointmentUpdate) -> Result<Appointment> {
        let body = crate::resources::clients::to_body(update);
        self.client
            .write_json(
                UPDATE_APPOINTMENT,
                &[
                    "branch",
                    self.branch.as_str(),
                    "appointment",
                    update.appointment_id.as_str(),
                ],
                Some(&body),
            )
            .await
    }

    /// Cancels appointments (`POST …/appointment/cancel`). The path is observed in U3; the
    /// body `{"appointmentIds": [...]}` is UNCONFIRMED (not captured anywhere). The answer
    /// body, if any, is not decoded. To cancel a whole booking use
    /// [`BookingsHandler::cancel`](crate::BookingsHandler::cancel).
    pub async fn cancel(&self, ids: &[AppointmentId]) -> Result<()> {
        self.action(CANCEL_APPOINTMENTS, "cancel", ids).await
    }

    /// Confirms appointments (`POST …/appointment/confirm`; path observed in U3, body
    /// `{"appointmentIds": [...]}` UNCONFIRMED). Sets their `confirmed` flag.
    pub async fn confirm(&self, ids: &[AppointmentId]) -> Result<()> {
        self.action(CONFIRM_APPOINTMENTS, "confirm", ids).await
    }

    async fn action(&self, operation: Operation, verb: &str, ids: &[AppointmentId]) -> Result<()> {
        let body = serde_json::json!({ "appointmentIds": ids });
        self.client
            .write_empty(
                operation,
                &["branch", self.branch.as_str(), "appointment", verb],
                Some(&body),
            )
            .await
            .map(drop)
    }

    /// A deposit payment link for appointments (`POST …/deposit/payment-link`). Not replayed
    /// after an ambiguous failure.
    pub async fn deposit_payment_link(
        &self,
        request: &crate::DepositLinkRequest,
    ) -> Result<crate::DepositLink> {
        let body = crate::resources::clients::to_body(request);
        self.client
            .write_json(
                crate::resources::sales::DEPOSIT_LINK,
                &["branch", self.branch.as_str(), "deposit", "payment-link"],
                Some(&body),
            )
            .await
    }

    /// Free start times (`POST …/appointments/availability`, a read: retried like a `GET`).
    pub async fn availability(
        &self,
        query: &crate::AvailabilityQuery,
    ) -> Result<Vec<crate::AvailabilitySlot>> {
        crate::resources::bookings::availability(&self.client, &self.branch, query).await
    }

    /// One appointment.
    pub async fn get(&self, id: &AppointmentId) -> Result<Appointment> {
        self.client
            .get_json(
                Operation::get("/{businessId}/branch/{branchId}/appointment/{appointmentId}"),
                &["branch", self.branch.as_str(), "appointment", id.as_str()],
                &Query::default(),
            )
            .await
    }
}
