//! Courses (packages of service units sold together) of one branch, and the courses clients
//! bought.
//!
//! Paths and shapes: courses `GET /{businessId}/branch/{branchId}/course` (`_embedded.courses`)
//! and client courses `GET /{businessId}/clientcourse` (`_embedded.clientCourses`,
//! `includeUsedCourseItems`, DOC changelog 1.27.0); the record fields are observed in a
//! production caller (U1's typed Go structs), not documented. An appointment that redeems a
//! course unit carries its `clientCourseItemId`.

use serde::{Deserialize, Serialize};

use crate::PhorestClient;
use crate::de::{self, DateOrInstant};
use crate::error::Operation;
use crate::ids::{BranchId, ClientCourseId, ClientId, CourseId, ServiceId};
use crate::page::{ItemStream, ListSpec, Listed, PageStream};
use crate::query::{Query, params};

/// One item of a course: so many units of a service.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct CourseItem {
    /// Course item id.
    pub course_item_id: Option<String>,
    /// Unit kind (values UNCONFIRMED, kept verbatim).
    pub unit_type: Option<String>,
    /// Units included.
    pub total_units: Option<i64>,
    /// Price of the item.
    pub total_price: Option<f64>,
    /// The service redeemed.
    pub service_id: Option<ServiceId>,
}

/// A course on sale at a branch (`_embedded.courses[]`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct Course {
    /// Course id.
    pub course_id: CourseId,
    /// Name.
    pub course_name: Option<String>,
    /// Sold online.
    #[serde(deserialize_with = "de::null_default")]
    pub available_online: bool,
    /// Redeemable in every branch.
    #[serde(deserialize_with = "de::null_default")]
    pub multi_branch_course: bool,
    /// Price of the whole course.
    pub total_price: Option<f64>,
    /// The items.
    #[serde(deserialize_with = "de::null_default")]
    pub course_items: Vec<CourseItem>,
}

impl Listed for Course {
    const ID_FIELDS: &'static [&'static str] = &["courseId"];
}

/// One item of a client's course: units bought and left.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct ClientCourseItem {
    /// Client course item id (the `clientCourseItemId` of a redeeming appointment).
    pub client_course_item_id: Option<String>,
    /// The course item bought.
    pub course_item_id: Option<String>,
    /// Service.
    pub service_id: Option<ServiceId>,
    /// Units bought.
    pub initial_units: Option<i64>,
    /// Units left.
    pub remaining_units: Option<i64>,
    /// Gross price.
    pub gross_price: Option<f64>,
    /// Net price.
    pub net_price: Option<f64>,
}

/// A course a client bought (`_embedded.clientCourses[]`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct ClientCourse {
    /// Client course id.
    pub client_course_id: ClientCourseId,
    /// Owner.
    pub client_id: Option<ClientId>,
    /// Branch where it was bought.
    pub purchasing_branch_id: Option<BranchId>,
    /// The course bought.
    pub course_id: Option<CourseId>,
    /// Bought on (date or instant: format UNCONFIRMED, U1 keeps a string).
    #[serde(deserialize_with = "de::opt_date_or_instant")]
    pub purchase_date: Option<DateOrInstant>,
    /// Expires on (date or instant, format UNCONFIRMED).
    #[serde(deserialize_with = "de::opt_date_or_instant")]
    pub expiry_date: Option<DateOrInstant>,
    /// Gross price.
    pub gross_price: Option<f64>,
    /// Net price.
    pub net_price: Option<f64>,
    /// Items with units left.
    #[serde(deserialize_with = "de::null_default")]
    pub client_course_items: Vec<ClientCourseItem>,
}

impl ClientCourse {
    /// Units left across the items.
    pub fn remaining_units(&self) -> i64 {
        self.client_course_items
            .iter()
            .filter_map(|i| i.remaining_units)
            .sum()
    }
}

impl Listed for ClientCourse {
    const ID_FIELDS: &'static [&'static str] = &["clientCourseId"];
}

/// Filters for client courses (`GET /{businessId}/clientcourse`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientCourseQuery {
    client_id: Option<ClientId>,
    include_used_course_items: bool,
}

impl ClientCourseQuery {
    /// No filter.
    pub fn new() -> Self {
        Self::default()
    }

    /// `clientId`: one client's courses (name UNCONFIRMED: a server that ignores it answers
    /// every client's).
    pub fn client_id(mut self, id: impl Into<ClientId>) -> Self {
        self.client_id = Some(id.into());
        self
    }

    /// `includeUsedCourseItems=true`: keep items with no units left (DOC changelog 1.27.0).
    pub fn include_used_course_items(mut self, include: bool) -> Self {
        self.include_used_course_items = include;
        self
    }

    pub(crate) fn to_query(&self) -> Query {
        let mut q = Query::default();
        q.opt(params::CLIENT_COURSE_CLIENT_ID, self.client_id.as_ref())
            .flag(
                params::INCLUDE_USED_COURSE_ITEMS,
                self.include_used_course_items,
            );
        q
    }
}

/// Page size of both lists (100: the maximum is UNCONFIRMED).
const PAGE_SIZE: u32 = 100;

/// Handler for courses; see [`PhorestClient::courses`].
#[derive(Clone, Debug)]
pub struct CoursesHandler {
    client: PhorestClient,
}

impl CoursesHandler {
    pub(crate) fn new(client: PhorestClient) -> Self {
        Self { client }
    }

    fn course_spec(branch: &BranchId) -> ListSpec {
        ListSpec {
            operation: Operation::get("/{businessId}/branch/{branchId}/course"),
            segments: vec!["branch".into(), branch.to_string(), "course".into()],
            query: Query::default(),
            key: "courses",
            size: PAGE_SIZE,
        }
    }

    /// Pages of one branch's courses from `start_page`.
    pub fn pages(&self, branch: &BranchId, start_page: u32) -> PageStream<Course> {
        Self::course_spec(branch).pages(self.client.clone(), start_page)
    }

    /// The courses on sale at `branch` (`GET /{businessId}/branch/{branchId}/course`).
    pub fn list(&self, branch: &BranchId) -> ItemStream<Course> {
        Self::course_spec(branch).items(self.client.clone())
    }

    fn client_spec(query: &ClientCourseQuery) -> ListSpec {
        ListSpec {
            operation: Operation::get("/{businessId}/clientcourse"),
            segments: vec!["clientcourse".into()],
            query: query.to_query(),
            key: "clientCourses",
            size: PAGE_SIZE,
        }
    }

    /// Pages of client courses from `start_page`.
    pub fn client_course_pages(
        &self,
        query: &ClientCourseQuery,
        start_page: u32,
    ) -> PageStream<ClientCourse> {
        Self::client_spec(query).pages(self.client.clone(), start_page)
    }

    /// Courses clients bought (`GET /{businessId}/clientcourse`).
    pub fn client_courses(&self, query: &ClientCourseQuery) -> ItemStream<ClientCourse> {
        Self::client_spec(query).items(self.client.clone())
    }
}
