//! Staff of one branch: `GET /{businessId}/branch/{branchId}/staff`.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::PhorestClient;
use crate::de;
use crate::error::{Operation, Result};
use crate::ids::{BranchId, CategoryId, StaffId, UserId};
use crate::page::{ItemStream, ListSpec, Listed, PageStream};
use crate::query::{Query, UpdatedWindow, params, updated_window_setters};
use crate::resources::clients::Gender;

/// A staff member of one branch (`_embedded.staffs[]`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct Staff {
    /// Staff id (key staff by branch + staff id).
    pub staff_id: StaffId,
    /// Business-level user id: the same person across branches.
    pub user_id: Option<UserId>,
    /// Branch of this record.
    pub branch_id: Option<BranchId>,
    /// Staff category id.
    pub staff_category_id: Option<CategoryId>,
    /// Staff category name (e.g. `Senior Stylist`).
    pub staff_category_name: Option<String>,
    /// First name.
    pub first_name: Option<String>,
    /// Last name.
    pub last_name: Option<String>,
    /// Birth date.
    #[serde(deserialize_with = "de::opt_date")]
    pub birth_date: Option<NaiveDate>,
    /// Employment start date.
    #[serde(deserialize_with = "de::opt_date")]
    pub start_date: Option<NaiveDate>,
    /// Self-employed.
    #[serde(deserialize_with = "de::null_default")]
    pub self_employed: bool,
    /// Archived.
    #[serde(deserialize_with = "de::null_default")]
    pub archived: bool,
    /// Mobile as stored (digits, may be local format).
    #[serde(deserialize_with = "de::opt_string_or_number")]
    pub mobile: Option<String>,
    /// Email as typed into Phorest (may be malformed).
    pub email: Option<String>,
    /// Gender.
    pub gender: Option<Gender>,
    /// Notes.
    pub notes: Option<String>,
    /// Online profile text.
    pub online_profile: Option<String>,
    /// Hidden from online bookings.
    #[serde(deserialize_with = "de::null_default")]
    pub hide_from_online_bookings: bool,
    /// Hidden from the appointment screen.
    #[serde(deserialize_with = "de::null_default")]
    pub hide_from_appointment_screen: bool,
    /// Profile image URL.
    pub image_url: Option<String>,
    /// Tax number.
    pub tax_number: Option<String>,
    /// Payroll number.
    pub payroll_number: Option<String>,
    /// Services this staff member may not perform (UNCONFIRMED field and element shape: ids
    /// as strings, or objects whose `id`/`serviceId` is kept).
    #[serde(deserialize_with = "de::lenient_ids")]
    pub disqualified_services: Vec<String>,
    /// Created (UNCONFIRMED field).
    #[serde(
        deserialize_with = "de::opt_instant",
        serialize_with = "de::ser_opt_instant"
    )]
    pub created_at: Option<DateTime<Utc>>,
    /// Last updated (UNCONFIRMED field).
    #[serde(
        deserialize_with = "de::opt_instant",
        serialize_with = "de::ser_opt_instant"
    )]
    pub updated_at: Option<DateTime<Utc>>,
}

/// Filters for the staff list (`GET /{businessId}/branch/{branchId}/staff`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StaffQuery {
    updated: UpdatedWindow,
    fetch_archived: bool,
}

impl StaffQuery {
    /// No filter: Phorest's defaults (archived staff hidden).
    pub fn new() -> Self {
        Self::default()
    }

    /// Every staff member, archived included (for a full sync).
    pub fn all() -> Self {
        Self::new().fetch_archived(true)
    }

    updated_window_setters!();

    /// `fetch_archived=true`: include archived staff.
    pub fn fetch_archived(mut self, fetch: bool) -> Self {
        self.fetch_archived = fetch;
        self
    }

    pub(crate) fn to_query(&self) -> Query {
        let mut q = Query::default();
        self.updated.push(&mut q);
        q.flag(params::STAFF_FETCH_ARCHIVED, self.fetch_archived);
        q
    }

    /// The query parameters this sends, without `page`/`size` (feature `test-util`).
    #[cfg(feature = "test-util")]
    pub fn to_pairs(&self) -> Vec<(&'static str, String)> {
        self.to_query().into()
    }
}

/// Maximum page size of the staff list.
const PAGE_SIZE: u32 = 200;

impl Listed for Staff {
    const ID_FIELDS: &'static [&'static str] = &["staffId"];
}

/// Handler for one branch's staff; see [`PhorestClient::staff`].
#[derive(Clone, Debug)]
pub struct StaffHandler {
    client: PhorestClient,
    branch: BranchId,
}

impl StaffHandler {
    pub(crate) fn new(client: PhorestClient, branch: BranchId) -> Self {
        Self { client, branch }
    }

    fn spec(&self, query: &StaffQuery) -> ListSpec {
        ListSpec {
            operation: Operation::get("/{businessId}/branch/{branchId}/staff"),
            segments: vec!["branch".into(), self.branch.to_string(), "staff".into()],
            query: query.to_query(),
            key: "staffs",
            size: PAGE_SIZE,
        }
    }

    /// Pages of staff from `start_page`.
    pub fn pages(&self, query: &StaffQuery, start_page: u32) -> PageStream<Staff> {
        self.spec(query).pages(self.client.clone(), start_page)
    }

    /// Every matching staff member.
    pub fn list(&self, query: &StaffQuery) -> ItemStream<Staff> {
        self.spec(query).items(self.client.clone())
    }

    /// The branch's staff work timetables (rota) over `query`'s range, month window after
    /// month window (`GET /{businessId}/branch/{branchId}/staff/worktimetable`).
    pub fn work_timetables(
        &self,
        query: &crate::WorkTimetableQuery,
    ) -> ItemStream<crate::WorkTimetable> {
        crate::resources::schedule::work_timetables(&self.client, &self.branch, query)
    }

    /// One staff member.
    pub async fn get(&self, staff_id: &StaffId) -> Result<Staff> {
        self.client
            .get_json(
                Operation::get("/{businessId}/branch/{branchId}/staff/{staffId}"),
                &["branch", self.branch.as_str(), "staff", staff_id.as_str()],
                &Query::default(),
            )
            .await
    }
}
