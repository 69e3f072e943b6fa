//! Staff schedules of one branch: breaks (`GET …/break`) and work timetables, the rota
//! (`GET …/staff/worktimetable`). Both are read by a production caller (DH) with
//! `from_date`/`to_date`; their longest allowed range is UNCONFIRMED, so the handlers split a
//! range into calendar months like appointments.

use chrono::{NaiveDate, NaiveTime};
use futures::stream::{self, StreamExt};
use serde::{Deserialize, Serialize};

use crate::PhorestClient;
use crate::de;
use crate::error::Operation;
use crate::ids::{BranchId, BreakId, MachineId, RoomId, StaffId};
use crate::page::{ItemStream, ListSpec, Listed, flatten};
use crate::query::{Query, params};
use crate::time::{MonthWindow, month_windows};

/// A break: blocked time in a staff member's (or a room's, a machine's) diary
/// (`_embedded.breaks[]`). Times are branch-local wall clock.
///
/// Fields observed in a production caller (DH's typed Go structs).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct Break {
    /// Break id.
    pub break_id: BreakId,
    /// Optimistic-lock version.
    pub version: Option<i64>,
    /// Branch-local date.
    #[serde(deserialize_with = "de::opt_date")]
    pub break_date: Option<NaiveDate>,
    /// Branch-local start time.
    #[serde(deserialize_with = "de::opt_time", serialize_with = "de::ser_opt_time")]
    pub start_time: Option<NaiveTime>,
    /// Branch-local end time.
    #[serde(deserialize_with = "de::opt_time", serialize_with = "de::ser_opt_time")]
    pub end_time: Option<NaiveTime>,
    /// Staff member.
    pub staff_id: Option<StaffId>,
    /// Room blocked, if any.
    pub room_id: Option<RoomId>,
    /// Machine blocked, if any.
    pub machine_id: Option<MachineId>,
    /// Label (e.g. `Lunch`).
    pub label: Option<String>,
    /// Paid break.
    #[serde(deserialize_with = "de::null_default")]
    pub paid_break: bool,
}

impl Listed for Break {
    const ID_FIELDS: &'static [&'static str] = &["breakId"];
}

/// Filters for the break list. `from..=to` may be any length (split into months).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BreakQuery {
    from_date: NaiveDate,
    to_date: NaiveDate,
    staff_id: Option<StaffId>,
    room_id: Option<RoomId>,
    machine_id: Option<MachineId>,
}

impl BreakQuery {
    /// Breaks dated `from..=to`.
    pub fn new(from_date: NaiveDate, to_date: NaiveDate) -> Self {
        Self {
            from_date,
            to_date,
            staff_id: None,
            room_id: None,
            machine_id: None,
        }
    }

    /// `staff_id`.
    pub fn staff_id(mut self, id: impl Into<StaffId>) -> Self {
        self.staff_id = Some(id.into());
        self
    }

    /// `room_id`.
    pub fn room_id(mut self, id: impl Into<RoomId>) -> Self {
        self.room_id = Some(id.into());
        self
    }

    /// `machine_id`.
    pub fn machine_id(mut self, id: impl Into<MachineId>) -> Self {
        self.machine_id = Some(id.into());
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
            .opt(params::BREAK_STAFF_ID, self.staff_id.as_ref())
            .opt(params::BREAK_ROOM_ID, self.room_id.as_ref())
            .opt(params::BREAK_MACHINE_ID, self.machine_id.as_ref());
        q
    }
}

/// One rota slot of a staff member (`timeSlots[]` of a work timetable). Times are
/// branch-local.
///
/// Fields observed in a production caller (DH); `type` values are UNCONFIRMED.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct TimeSlot {
    /// Branch-local date.
    #[serde(deserialize_with = "de::opt_date")]
    pub date: Option<NaiveDate>,
    /// Start of work.
    #[serde(deserialize_with = "de::opt_time", serialize_with = "de::ser_opt_time")]
    pub start_time: Option<NaiveTime>,
    /// End of work.
    #[serde(deserialize_with = "de::opt_time", serialize_with = "de::ser_opt_time")]
    pub end_time: Option<NaiveTime>,
    /// Start of time off within the slot.
    #[serde(deserialize_with = "de::opt_time", serialize_with = "de::ser_opt_time")]
    pub time_off_start_time: Option<NaiveTime>,
    /// End of time off within the slot.
    #[serde(deserialize_with = "de::opt_time", serialize_with = "de::ser_opt_time")]
    pub time_off_end_time: Option<NaiveTime>,
    /// Kind of slot (values UNCONFIRMED; kept verbatim).
    #[serde(rename = "type")]
    pub slot_type: Option<String>,
    /// Custom label.
    pub custom: Option<String>,
    /// Branch the slot is worked at (may differ from the timetable's).
    pub branch_id: Option<BranchId>,
    /// Work activity id.
    pub work_activity_id: Option<String>,
}

/// A staff member's work timetable (rota) over the asked range
/// (`_embedded.workTimeTables[]`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct WorkTimetable {
    /// Staff member.
    pub staff_id: StaffId,
    /// Branch.
    pub branch_id: Option<BranchId>,
    /// The slots, day by day.
    #[serde(deserialize_with = "de::null_default")]
    pub time_slots: Vec<TimeSlot>,
}

impl Listed for WorkTimetable {
    const ID_FIELDS: &'static [&'static str] = &["staffId"];
}

/// Filters for the work timetables. `from..=to` may be any length (split into months; a
/// staff member then appears once per month).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkTimetableQuery {
    from_date: NaiveDate,
    to_date: NaiveDate,
    activity_type: Option<String>,
}

impl WorkTimetableQuery {
    /// Rotas dated `from..=to`.
    pub fn new(from_date: NaiveDate, to_date: NaiveDate) -> Self {
        Self {
            from_date,
            to_date,
            activity_type: None,
        }
    }

    /// `activity_type` (values UNCONFIRMED).
    pub fn activity_type(mut self, activity: impl Into<String>) -> Self {
        self.activity_type = Some(activity.into());
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
            .opt(params::ACTIVITY_TYPE, self.activity_type.as_deref());
        q
    }
}

/// Page size of breaks and work timetables: 100 (what DH asks; the maximum is UNCONFIRMED).
const PAGE_SIZE: u32 = 100;

/// Handler for one branch's breaks; see [`PhorestClient::breaks`].
#[derive(Clone, Debug)]
pub struct BreaksHandler {
    client: PhorestClient,
    branch: BranchId,
}

impl BreaksHandler {
    pub(crate) fn new(client: PhorestClient, branch: BranchId) -> Self {
        Self { client, branch }
    }

    fn spec(&self, query: &BreakQuery, window: MonthWindow) -> ListSpec {
        ListSpec {
            operation: Operation::get("/{businessId}/branch/{branchId}/break"),
            segments: vec!["branch".into(), self.branch.to_string(), "break".into()],
            query: query.to_query(window),
            key: "breaks",
            size: PAGE_SIZE,
        }
    }

    /// Every matching break, month window after month window
    /// (`GET /{businessId}/branch/{branchId}/break`).
    pub fn list(&self, query: &BreakQuery) -> ItemStream<Break> {
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
}

pub(crate) fn work_timetables(
    client: &PhorestClient,
    branch: &BranchId,
    query: &WorkTimetableQuery,
) -> ItemStream<WorkTimetable> {
    let client = client.clone();
    let specs: Vec<ListSpec> = query
        .windows()
        .into_iter()
        .map(|w| ListSpec {
            operation: Operation::get("/{businessId}/branch/{branchId}/staff/worktimetable"),
            segments: vec![
                "branch".into(),
                branch.to_string(),
                "staff".into(),
                "worktimetable".into(),
            ],
            query: query.to_query(w),
            key: "workTimeTables",
            size: PAGE_SIZE,
        })
        .collect();
    stream::iter(specs)
        .flat_map(move |spec| flatten(spec.pages(client.clone(), 0)))
        .boxed()
}
