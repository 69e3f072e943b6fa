//! Hostile modes of the sandbox: the ways a real server may misbehave that a sync must survive.
//! See [`Hostile`].

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde_json::Value;

/// A list of the sandbox (the `_embedded` key in brackets).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum ListKind {
    /// `GET /{b}/branch` (`branches`).
    Branches,
    /// `GET /{b}/branch/{br}/staff` (`staffs`).
    Staff,
    /// `GET /{b}/client` (`clients`).
    Clients,
    /// `GET /{b}/client-batch` (`clients`).
    ClientBatch,
    /// `GET /{b}/category/client` (`clientCategories`).
    ClientCategories,
    /// `GET /{b}/branch/{br}/appointment` (`appointments`), every month window.
    Appointments,
    /// `GET /{b}/branch/{br}/service` (`services`).
    Services,
    /// `GET /{b}/branch/{br}/service-category` (`serviceCategories`).
    ServiceCategories,
    /// `GET /{b}/branch/{br}/product` (`products`).
    Products,
    /// `GET /{b}/branch/{br}/review` (`reviews`).
    Reviews,
    /// `GET /{b}/voucher` (`vouchers`).
    Vouchers,
    /// `GET /{b}/client/{id}/service-history` (`clientServiceHistories`).
    ServiceHistories,
    /// `GET /{b}/branch/{br}/break` (`breaks`).
    Breaks,
    /// `GET /{b}/branch/{br}/staff/worktimetable` (`workTimeTables`).
    WorkTimetables,
    /// `GET /{b}/branch/{br}/course` (`courses`).
    Courses,
    /// `GET /{b}/clientcourse` (`clientCourses`).
    ClientCourses,
}

impl ListKind {
    /// The record kind served by this list (the client batch serves clients).
    pub(crate) fn records(self) -> ListKind {
        match self {
            ListKind::ClientBatch => ListKind::Clients,
            other => other,
        }
    }

    /// The `_embedded` key of the list.
    pub(crate) fn key(self) -> &'static str {
        match self {
            ListKind::Branches => "branches",
            ListKind::Staff => "staffs",
            ListKind::Clients | ListKind::ClientBatch => "clients",
            ListKind::ClientCategories => "clientCategories",
            ListKind::Appointments => "appointments",
            ListKind::Services => "services",
            ListKind::ServiceCategories => "serviceCategories",
            ListKind::Products => "products",
            ListKind::Reviews => "reviews",
            ListKind::Vouchers => "vouchers",
            ListKind::ServiceHistories => "clientServiceHistories",
            ListKind::Breaks => "breaks",
            ListKind::WorkTimetables => "workTimeTables",
            ListKind::Courses => "courses",
            ListKind::ClientCourses => "clientCourses",
        }
    }

    /// The field holding a record's own id.
    pub(crate) fn id_field(self) -> &'static str {
        match self.records() {
            ListKind::Branches => "branchId",
            ListKind::Staff => "staffId",
            ListKind::Clients | ListKind::ClientBatch => "clientId",
            ListKind::ClientCategories => "clientCategoryId",
            ListKind::Appointments => "appointmentId",
            ListKind::Services => "serviceId",
            ListKind::ServiceCategories => "categoryId",
            ListKind::Products => "productId",
            ListKind::Reviews => "reviewId",
            ListKind::Vouchers => "voucherId",
            ListKind::ServiceHistories => "date",
            ListKind::Breaks => "breakId",
            ListKind::WorkTimetables => "staffId",
            ListKind::Courses => "courseId",
            ListKind::ClientCourses => "clientCourseId",
        }
    }
}

/// Another valid shape for a record's instants ([`Hostile::odd_timestamps`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TimestampShape {
    /// Jackson's colon-less offset: `2021-08-01T14:21:48.487+0000`.
    JacksonOffset,
    /// Epoch milliseconds as a JSON number: `1627827708487`.
    EpochMillis,
    /// The date alone: `2021-08-01`.
    DateOnly,
}

impl TimestampShape {
    fn render(self, t: DateTime<Utc>) -> Value {
        match self {
            TimestampShape::JacksonOffset => {
                Value::String(t.format("%Y-%m-%dT%H:%M:%S%.3f+0000").to_string())
            }
            TimestampShape::EpochMillis => Value::from(t.timestamp_millis()),
            TimestampShape::DateOnly => Value::String(t.format("%Y-%m-%d").to_string()),
        }
    }
}

/// What a faulty 200 answer carries ([`Hostile::body_fault_on`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum BodyFault {
    /// An HTML page (a gateway's error page) with status 200.
    Html,
    /// The JSON answer cut in half.
    Truncated,
}

/// Pagination anomalies of one list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct ListAnomalies {
    empty: BTreeSet<usize>,
    repeat_previous: BTreeSet<usize>,
    duplicate_within: BTreeSet<usize>,
    duplicate_across: BTreeSet<usize>,
    understate_total_pages: bool,
}

/// Where a page's records come from once the anomalies are applied.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct PagePlan {
    /// Offsets (into the filtered list) of the records to serve, in order.
    pub(crate) offsets: Vec<usize>,
    /// `totalElements` to report.
    pub(crate) total: usize,
    /// `totalPages` to report.
    pub(crate) total_pages: usize,
    /// What was bent, for [`HostileStats`].
    pub(crate) hits: HostileStats,
}

impl ListAnomalies {
    /// The records and totals of page `page` of a list of `len` records in pages of `size`.
    pub(crate) fn plan(&self, len: usize, page: usize, size: usize) -> PagePlan {
        let size = size.max(1);
        let mut hits = HostileStats::default();
        // Each duplicate_across entry before this page acts as one record inserted at the
        // page boundary: later pages start one record earlier.
        let shift_for = |p: usize| self.duplicate_across.iter().filter(|&&n| n < p).count();
        let window = |p: usize| -> Vec<usize> {
            let start = p.saturating_mul(size).saturating_sub(shift_for(p));
            (start..start.saturating_add(size).min(len)).collect()
        };
        let mut offsets = window(page);
        if page > 0 && self.repeat_previous.contains(&page) {
            offsets = window(page - 1);
            hits.pages_repeated += 1;
        }
        if self.empty.contains(&page) {
            offsets.clear();
            hits.pages_emptied += 1;
        }
        if self.duplicate_within.contains(&page)
            && let Some(&first) = offsets.first()
        {
            offsets.push(first);
            hits.records_duplicated += 1;
        }
        if page > 0 && self.duplicate_across.contains(&(page - 1)) && !offsets.is_empty() {
            hits.records_duplicated += 1;
        }
        // Only a boundary with records after it duplicates one.
        let inserted = self
            .duplicate_across
            .iter()
            .filter(|&&n| n.saturating_add(1).saturating_mul(size) < len)
            .count();
        let total = len + inserted;
        let mut total_pages = total.div_ceil(size);
        if self.understate_total_pages {
            total_pages = total_pages.saturating_sub(1);
            hits.totals_understated += 1;
        }
        PagePlan {
            offsets,
            total,
            total_pages,
            hits,
        }
    }
}

/// What the hostile modes actually did since they were set (or since
/// [`PhorestSandbox::hostile_stats`](crate::mock::PhorestSandbox::hostile_stats) was last reset).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct HostileStats {
    /// Pages served without their records.
    pub pages_emptied: u32,
    /// Pages served with the previous page's records.
    pub pages_repeated: u32,
    /// Records served a second time (within a page or across pages).
    pub records_duplicated: u32,
    /// Pages whose `totalPages` was understated.
    pub totals_understated: u32,
    /// Records served with an overridden field (bad dates, odd timestamps, time zones, …).
    pub records_bent: u32,
    /// 200 answers replaced by HTML or cut short.
    pub body_faults: u32,
    /// Page hooks that ran.
    pub hooks_run: u32,
}

impl HostileStats {
    pub(crate) fn add(&mut self, other: &HostileStats) {
        self.pages_emptied += other.pages_emptied;
        self.pages_repeated += other.pages_repeated;
        self.records_duplicated += other.records_duplicated;
        self.totals_understated += other.totals_understated;
        self.records_bent += other.records_bent;
        self.body_faults += other.body_faults;
        self.hooks_run += other.hooks_run;
    }
}

/// A change made to one field of one record as it is served.
#[derive(Clone, Debug, PartialEq)]
enum Bend {
    Set(Value),
    Timestamps(TimestampShape),
}

/// A request-targeted body fault.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct NthFault {
    pub(crate) path_contains: String,
    pub(crate) nth: usize,
    pub(crate) fault: BodyFault,
}

/// The hostile modes to turn on (all off in [`Hostile::new`]).
///
/// A [`Hostile`] value lists the modes to turn on; hand it to
/// [`PhorestSandbox::set_hostile`](crate::mock::PhorestSandbox::set_hostile) at any time (a test turns
/// modes on, runs a sync, turns them off with
/// [`clear_hostile`](crate::mock::PhorestSandbox::clear_hostile) and reruns). Everything is
/// deterministic: page-targeted modes name their pages, request-targeted ones count requests
/// from the moment the modes were set, and rate-based ones draw from an RNG seeded with
/// [`Hostile::new`]'s seed. [`HostileStats`] counts what was actually served, so a test can
/// assert that a fault fired.
///
/// | mode | what the sandbox does |
/// |---|---|
/// | [`empty_page`](Hostile::empty_page) | serves that page of a list without records (metadata unchanged) |
/// | [`understate_total_pages`](Hostile::understate_total_pages) | reports `totalPages` one lower on every page of a list |
/// | [`repeat_previous_page`](Hostile::repeat_previous_page) | serves page `n` with page `n-1`'s records (page `n`'s are never served) |
/// | [`duplicate_within_page`](Hostile::duplicate_within_page) | serves the first record of page `n` again at its end |
/// | [`duplicate_across_pages`](Hostile::duplicate_across_pages) | serves the last record of page `n` again first on page `n+1` (as if a record had been inserted during the walk: later pages shift by one and `totalElements` grows by one; nothing is lost) |
/// | [`bad_client_birth_date`](Hostile::bad_client_birth_date) | that client's `birthDate` is `1985-02-30` |
/// | [`bad_appointment_start_time`](Hostile::bad_appointment_start_time) | that appointment's `startTime` is `9.30` |
/// | [`odd_timestamps`](Hostile::odd_timestamps) | that record's instants use another valid shape ([`TimestampShape`]) |
/// | [`override_field`](Hostile::override_field) | any JSON value for one field of one record |
/// | [`body_fault_on`](Hostile::body_fault_on) / [`body_fault_rate`](Hostile::body_fault_rate) | a 200 whose body is an HTML page or JSON cut short ([`BodyFault`]) |
/// | [`branch_time_zone`](Hostile::branch_time_zone) | every branch's `timeZone` is `null`, a Windows name or garbage |
/// | [`ignore_archived_deleted_flags`](Hostile::ignore_archived_deleted_flags) | `includeArchived`/`includeDeleted` are ignored (archived and deleted records stay hidden) |
/// | [`loyalty_changes_keep_updated_at`](Hostile::loyalty_changes_keep_updated_at) | a client edit that only changes the loyalty card does not move `updatedAt` |
/// | [`cap_page_size`](Hostile::cap_page_size) | list pages hold at most `cap` records whatever `size` asks (pages counted by `cap`) |
///
/// Edits between a run's reads are hooks:
/// [`PhorestSandbox::on_page_served`](crate::mock::PhorestSandbox::on_page_served) runs a closure on
/// the salon after the n-th page of a list is served.
///
/// ```no_run
/// # async fn demo() {
/// use phorest_client::mock::{BodyFault, Hostile, ListKind, PhorestSandbox, SalonSpec};
///
/// let sandbox = PhorestSandbox::start(SalonSpec::small(1)).await;
/// let client_id = sandbox.with_salon(|s| s.clients()[3].client_id.clone());
/// sandbox.set_hostile(
///     Hostile::new(7)
///         .empty_page(ListKind::Clients, 1)
///         .understate_total_pages(ListKind::Appointments)
///         .bad_client_birth_date(&client_id)
///         .body_fault_on("/client", 2, BodyFault::Html)
///         .branch_time_zone(Some("GMT Standard Time")),
/// );
/// // … run a sync, then:
/// sandbox.clear_hostile();
/// # }
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Hostile {
    pub(crate) seed: u64,
    pub(crate) lists: BTreeMap<ListKind, ListAnomalies>,
    bends: BTreeMap<(ListKind, String), Vec<(String, Bend)>>,
    pub(crate) nth_faults: Vec<NthFault>,
    pub(crate) fault_rate: Option<(Option<String>, f64, BodyFault)>,
    branch_time_zone: Option<Option<String>>,
    pub(crate) ignore_archived_deleted_flags: bool,
    pub(crate) loyalty_changes_keep_updated_at: bool,
    pub(crate) malformed_sales_rows: bool,
    pub(crate) page_size_cap: Option<usize>,
}

impl Hostile {
    /// No hostile mode; `seed` drives the rate-based ones.
    pub fn new(seed: u64) -> Self {
        Self {
            seed,
            ..Self::default()
        }
    }

    fn list(&mut self, list: ListKind) -> &mut ListAnomalies {
        self.lists.entry(list).or_default()
    }

    /// Serves page `page` (0-based) of `list` without records, its metadata unchanged (the
    /// records of that page are not served during the walk).
    pub fn empty_page(mut self, list: ListKind, page: usize) -> Self {
        self.list(list).empty.insert(page);
        self
    }

    /// Reports `totalPages` one lower than the truth on every page of `list`.
    pub fn understate_total_pages(mut self, list: ListKind) -> Self {
        self.list(list).understate_total_pages = true;
        self
    }

    /// Serves page `page` (≥ 1) of `list` with the records of page `page - 1`.
    pub fn repeat_previous_page(mut self, list: ListKind, page: usize) -> Self {
        self.list(list).repeat_previous.insert(page);
        self
    }

    /// Serves the first record of page `page` of `list` a second time, at the end of the page.
    pub fn duplicate_within_page(mut self, list: ListKind, page: usize) -> Self {
        self.list(list).duplicate_within.insert(page);
        self
    }

    /// Serves the last record of page `page` of `list` again as the first of page `page + 1`
    /// (later pages shift by one record and `totalElements` grows by one, as if a record had
    /// been inserted during the walk; no record is lost).
    pub fn duplicate_across_pages(mut self, list: ListKind, page: usize) -> Self {
        self.list(list).duplicate_across.insert(page);
        self
    }

    /// Serves `field` of the record of kind `list` whose id is `id` as `value` (in lists, the
    /// client batch and gets by id).
    pub fn override_field(
        mut self,
        list: ListKind,
        id: impl Into<String>,
        field: impl Into<String>,
        value: Value,
    ) -> Self {
        self.bends
            .entry((list.records(), id.into()))
            .or_default()
            .push((field.into(), Bend::Set(value)));
        self
    }

    /// Serves that client's `birthDate` as `1985-02-30` (a day that does not exist).
    pub fn bad_client_birth_date(self, client_id: impl Into<String>) -> Self {
        self.override_field(
            ListKind::Clients,
            client_id,
            "birthDate",
            Value::from("1985-02-30"),
        )
    }

    /// Serves that appointment's `startTime` as `9.30` (not a time of day).
    pub fn bad_appointment_start_time(self, appointment_id: impl Into<String>) -> Self {
        self.override_field(
            ListKind::Appointments,
            appointment_id,
            "startTime",
            Value::from("9.30"),
        )
    }

    /// Serves every instant of that record (`createdAt`, `updatedAt`, `clientSince`, …) in
    /// `shape`: odd, but valid.
    pub fn odd_timestamps(
        mut self,
        list: ListKind,
        id: impl Into<String>,
        shape: TimestampShape,
    ) -> Self {
        self.bends
            .entry((list.records(), id.into()))
            .or_default()
            .push((String::new(), Bend::Timestamps(shape)));
        self
    }

    /// Answers the `nth` (1-based) request whose path contains `path_contains`, counted from
    /// when the modes were set, with a 200 carrying `fault` instead of its JSON.
    pub fn body_fault_on(mut self, path_contains: &str, nth: usize, fault: BodyFault) -> Self {
        self.nth_faults.push(NthFault {
            path_contains: path_contains.to_owned(),
            nth: nth.max(1),
            fault,
        });
        self
    }

    /// Answers a fraction `rate` (0–1) of the 200 JSON answers (of paths containing
    /// `path_contains`, if given) with `fault` instead, drawn from the seeded RNG.
    pub fn body_fault_rate(
        mut self,
        path_contains: Option<&str>,
        rate: f64,
        fault: BodyFault,
    ) -> Self {
        self.fault_rate = Some((
            path_contains.map(str::to_owned),
            rate.clamp(0.0, 1.0),
            fault,
        ));
        self
    }

    /// Serves every branch's `timeZone` as `value` (`None`: `null`), e.g. a Windows name
    /// (`GMT Standard Time`) or garbage.
    pub fn branch_time_zone(mut self, value: Option<&str>) -> Self {
        self.branch_time_zone = Some(value.map(str::to_owned));
        self
    }

    /// Ignores `includeArchived` and `includeDeleted` (clients, client categories, products):
    /// archived and deleted records stay hidden, as they would if Phorest spelled the flags
    /// differently.
    pub fn ignore_archived_deleted_flags(mut self, on: bool) -> Self {
        self.ignore_archived_deleted_flags = on;
        self
    }

    /// A client edit through the sandbox that only changes the loyalty card leaves `updatedAt`
    /// (and so `updatedAfter` filters) unchanged.
    pub fn loyalty_changes_keep_updated_at(mut self, on: bool) -> Self {
        self.loyalty_changes_keep_updated_at = on;
        self
    }

    /// Serves at most `cap` records per list page whatever `size` asks for, paging and counting
    /// `totalPages` by `cap` (and reporting it as `page.size`), as a server with a silent page
    /// size cap would.
    pub fn cap_page_size(mut self, cap: usize) -> Self {
        self.page_size_cap = Some(cap.max(1));
        self
    }

    /// Every sales-CSV export gets two malformed lines appended: one with more cells than the
    /// header (an unquoted comma) and one whose `quantity` is not a number.
    pub fn malformed_sales_rows(mut self, on: bool) -> Self {
        self.malformed_sales_rows = on;
        self
    }

    /// Whether any served record may need rewriting.
    pub(crate) fn bends_records(&self) -> bool {
        !self.bends.is_empty() || self.branch_time_zone.is_some()
    }

    /// Rewrites one served record of kind `kind`; returns whether it changed.
    pub(crate) fn bend(&self, kind: ListKind, record: &mut Value) -> bool {
        let Some(object) = record.as_object_mut() else {
            return false;
        };
        let mut changed = false;
        if kind.records() == ListKind::Branches
            && let Some(tz) = &self.branch_time_zone
        {
            object.insert(
                "timeZone".to_owned(),
                tz.clone().map_or(Value::Null, Value::String),
            );
            changed = true;
        }
        let id = object
            .get(kind.id_field())
            .and_then(Value::as_str)
            .map(str::to_owned);
        let Some(bends) = id.and_then(|id| self.bends.get(&(kind.records(), id))) else {
            return changed;
        };
        for (field, bend) in bends {
            match bend {
                Bend::Set(value) => {
                    object.insert(field.clone(), value.clone());
                }
                Bend::Timestamps(shape) => {
                    for value in object.values_mut() {
                        if let Some(t) = value.as_str().and_then(rfc3339_utc) {
                            *value = shape.render(t);
                        }
                    }
                }
            }
            changed = true;
        }
        changed
    }
}

/// An instant written the sandbox's normal way (`…T…Z`), if `text` is one.
fn rfc3339_utc(text: &str) -> Option<DateTime<Utc>> {
    if !(text.len() >= 20 && text.ends_with('Z') && text.as_bytes().get(10) == Some(&b'T')) {
        return None;
    }
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// The body of a faulty 200.
pub(crate) fn faulty_body(fault: BodyFault, json: &[u8]) -> (Vec<u8>, &'static str) {
    match fault {
        BodyFault::Html => (
            b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head>\
              <body><h1>502 Bad Gateway</h1></body></html>"
                .to_vec(),
            "text/html",
        ),
        BodyFault::Truncated => (
            json.get(..json.len() / 2).unwrap_or_default().to_vec(),
            "application/json",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(a: &ListAnomalies, len: usize, page: usize) -> (Vec<usize>, usize, usize) {
        let p = a.plan(len, page, 3);
        (p.offsets, p.total, p.total_pages)
    }

    #[test]
    fn plain_pages() {
        let a = ListAnomalies::default();
        assert_eq!(plan(&a, 7, 0), (vec![0, 1, 2], 7, 3));
        assert_eq!(plan(&a, 7, 2), (vec![6], 7, 3));
        assert_eq!(plan(&a, 7, 3), (vec![], 7, 3));
        assert_eq!(plan(&a, 7, usize::MAX), (vec![], 7, 3), "no overflow");
    }

    #[test]
    fn anomalies_bend_pages_as_documented() {
        let a = ListAnomalies {
            empty: [1].into(),
            ..ListAnomalies::default()
        };
        assert_eq!(plan(&a, 7, 1), (vec![], 7, 3));
        let a = ListAnomalies {
            repeat_previous: [1].into(),
            ..ListAnomalies::default()
        };
        assert_eq!(plan(&a, 7, 1), (vec![0, 1, 2], 7, 3));
        let a = ListAnomalies {
            duplicate_within: [0].into(),
            ..ListAnomalies::default()
        };
        assert_eq!(plan(&a, 7, 0), (vec![0, 1, 2, 0], 7, 3));
        let a = ListAnomalies {
            duplicate_across: [0].into(),
            ..ListAnomalies::default()
        };
        assert_eq!(plan(&a, 7, 0), (vec![0, 1, 2], 8, 3));
        assert_eq!(plan(&a, 7, 1), (vec![2, 3, 4], 8, 3));
        assert_eq!(plan(&a, 7, 2), (vec![5, 6], 8, 3));
        let a = ListAnomalies {
            understate_total_pages: true,
            ..ListAnomalies::default()
        };
        assert_eq!(plan(&a, 7, 0), (vec![0, 1, 2], 7, 2));
    }

    #[test]
    fn timestamps_are_rewritten_in_valid_odd_shapes() {
        let h = Hostile::new(0)
            .odd_timestamps(ListKind::Clients, "c1", TimestampShape::JacksonOffset)
            .odd_timestamps(ListKind::ClientBatch, "c2", TimestampShape::EpochMillis)
            .odd_timestamps(ListKind::Clients, "c3", TimestampShape::DateOnly);
        let mut c1 = serde_json::json!({"clientId": "c1", "createdAt": "2021-08-01T14:21:48.487Z", "firstName": "2021-08-01T14:21:48.487Z x"});
        assert!(h.bend(ListKind::Clients, &mut c1));
        assert_eq!(c1["createdAt"], "2021-08-01T14:21:48.487+0000");
        assert_eq!(
            c1["firstName"], "2021-08-01T14:21:48.487Z x",
            "only instants"
        );
        let mut c2 = serde_json::json!({"clientId": "c2", "updatedAt": "2021-08-01T14:21:48.487Z"});
        assert!(
            h.bend(ListKind::Clients, &mut c2),
            "batch and list share records"
        );
        assert_eq!(c2["updatedAt"], 1_627_827_708_487_i64);
        let mut c3 =
            serde_json::json!({"clientId": "c3", "clientSince": "2021-08-01T14:21:48.487Z"});
        assert!(h.bend(ListKind::Clients, &mut c3));
        assert_eq!(c3["clientSince"], "2021-08-01");
        let mut other =
            serde_json::json!({"clientId": "c9", "createdAt": "2021-08-01T14:21:48.487Z"});
        assert!(!h.bend(ListKind::Clients, &mut other));
        let mut appt = serde_json::json!({"appointmentId": "a", "clientId": "c1"});
        assert!(
            !h.bend(ListKind::Appointments, &mut appt),
            "keyed by the record's own id"
        );
    }
}
