//! Query strings with Phorest's exact parameter names (crate-private).
//!
//! Phorest mixes camelCase and snake_case and silently ignores a wrong name, so every name the
//! crate sends is a constant in `params`; names the reference marks UNCONFIRMED say so.

use std::fmt::Display;

use chrono::{DateTime, NaiveDate, Utc};

use crate::de::format_instant;

/// Query parameter names, one constant each.
pub(crate) mod params {
    /// Page number (0-based).
    pub const PAGE: &str = "page";
    /// Page size.
    pub const SIZE: &str = "size";

    /// Clients, staff and products: updated on/after (camelCase). Products always get both
    /// bounds (production code: "the API insists on both").
    pub const UPDATED_AFTER: &str = "updatedAfter";
    /// Clients, staff and products: updated before (camelCase).
    pub const UPDATED_BEFORE: &str = "updatedBefore";
    /// Staff: include archived staff.
    pub const STAFF_FETCH_ARCHIVED: &str = "fetch_archived";

    /// Clients: exact email.
    pub const CLIENT_EMAIL: &str = "email";
    /// Clients: mobile number (international digits, no `+`).
    pub const CLIENT_PHONE: &str = "phone";
    /// Clients: first name (exact or `~Jo%` prefix syntax).
    pub const CLIENT_FIRST_NAME: &str = "firstName";
    /// Clients: last name.
    pub const CLIENT_LAST_NAME: &str = "lastName";
    /// Clients: integrator's external id.
    pub const CLIENT_EXTERNAL_ID: &str = "externalId";
    /// Clients: include archived clients. UNCONFIRMED name (from the API Evangelist spec).
    pub const CLIENT_INCLUDE_ARCHIVED: &str = "includeArchived";
    /// Clients: include deleted clients. UNCONFIRMED name (from the API Evangelist spec).
    pub const CLIENT_INCLUDE_DELETED: &str = "includeDeleted";
    /// Client batch: repeated id key (`client_id=A&client_id=B`).
    pub const CLIENT_BATCH_ID: &str = "client_id";

    /// Client categories: include archived categories. UNCONFIRMED name.
    pub const CATEGORY_INCLUDE_ARCHIVED: &str = "includeArchived";

    /// Appointments: first date (inclusive).
    pub const FROM_DATE: &str = "from_date";
    /// Appointments: last date (inclusive).
    pub const TO_DATE: &str = "to_date";
    /// Appointments: include cancelled.
    pub const FETCH_CANCELED: &str = "fetch_canceled";
    /// Appointments: include deleted.
    pub const FETCH_DELETED: &str = "fetch_deleted";
    /// Appointments: include archived.
    pub const FETCH_ARCHIVED: &str = "fetch_archived";
    /// Appointments: updated on/after.
    pub const UPDATED_FROM: &str = "updated_from";
    /// Appointments: updated before. Name from the API Evangelist spec (style-consistent).
    pub const UPDATED_TO: &str = "updated_to";
    /// Appointments: staff filter. UNCONFIRMED name (API Evangelist spec).
    pub const APPOINTMENT_STAFF_ID: &str = "staff_id";
    /// Appointments: client filter. UNCONFIRMED name (API Evangelist spec).
    pub const APPOINTMENT_CLIENT_ID: &str = "client_id";
    /// Appointments and services: add `internetServiceCategories`.
    pub const FETCH_ONLINE_CATEGORY: &str = "fetch_online_category";
    /// Appointments: Spring sort (`appointmentDate,desc`).
    pub const SORT: &str = "sort";

    /// Services: include add-on service ids.
    pub const FETCH_ADDON_SERVICES: &str = "fetch_addon_services";
    /// Services: `services_only` | `addons_only` | `services_and_addons`.
    pub const SERVICE_TYPE: &str = "service_type";
    /// Services: category filter. UNCONFIRMED name (API Evangelist spec).
    pub const SERVICE_CATEGORY_ID: &str = "category_id";

    /// Products: product type. UNCONFIRMED name (production code).
    pub const PRODUCT_TYPE: &str = "productType";
    /// Products: name or barcode search. UNCONFIRMED name (API Evangelist spec).
    pub const PRODUCT_SEARCH: &str = "searchQuery";
    /// Products: include archived. UNCONFIRMED name (API Evangelist spec).
    pub const PRODUCT_INCLUDE_ARCHIVED: &str = "includeArchived";

    /// Reviews: client filter. UNCONFIRMED name.
    pub const REVIEW_CLIENT_ID: &str = "clientId";
    /// Reviews: review date. UNCONFIRMED name.
    pub const REVIEW_DATE: &str = "reviewDate";

    /// Breaks: staff filter (production caller DH).
    pub const BREAK_STAFF_ID: &str = "staff_id";
    /// Breaks: room filter (production caller DH).
    pub const BREAK_ROOM_ID: &str = "room_id";
    /// Breaks: machine filter (production caller DH).
    pub const BREAK_MACHINE_ID: &str = "machine_id";
    /// Staff work timetables: activity type filter (production caller DH; values UNCONFIRMED).
    pub const ACTIVITY_TYPE: &str = "activity_type";

    /// Client courses: client filter. UNCONFIRMED name.
    pub const CLIENT_COURSE_CLIENT_ID: &str = "clientId";
    /// Client courses: keep used-up items (DOC changelog 1.27.0).
    pub const INCLUDE_USED_COURSE_ITEMS: &str = "includeUsedCourseItems";

    /// Vouchers: client filter. UNCONFIRMED name (API Evangelist spec).
    pub const VOUCHER_CLIENT_ID: &str = "clientId";
    /// Vouchers: serial number. UNCONFIRMED name (API Evangelist spec).
    pub const VOUCHER_SERIAL: &str = "serialNumber";
    /// Vouchers: include used vouchers. UNCONFIRMED name (API Evangelist spec).
    pub const VOUCHER_INCLUDE_USED: &str = "includeUsed";
    /// Vouchers: updated on/after. UNCONFIRMED name (API Evangelist spec).
    pub const VOUCHER_UPDATED_FROM: &str = "updated_from";
    /// Vouchers: updated before. UNCONFIRMED name (API Evangelist spec).
    pub const VOUCHER_UPDATED_TO: &str = "updated_to";
}

/// Ordered query pairs; keys may repeat.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Query(Vec<(&'static str, String)>);

impl Query {
    pub(crate) fn pairs(&self) -> &[(&'static str, String)] {
        &self.0
    }
    pub(crate) fn push(&mut self, key: &'static str, value: impl Display) -> &mut Self {
        self.0.push((key, value.to_string()));
        self
    }
    pub(crate) fn opt<T: Display>(&mut self, key: &'static str, value: Option<T>) -> &mut Self {
        if let Some(v) = value {
            self.push(key, v);
        }
        self
    }
    /// Sends `key=true` only when `value` is set.
    pub(crate) fn flag(&mut self, key: &'static str, value: bool) -> &mut Self {
        if value {
            self.push(key, "true");
        }
        self
    }
    pub(crate) fn instant(
        &mut self,
        key: &'static str,
        value: Option<&DateTime<Utc>>,
    ) -> &mut Self {
        self.opt(key, value.map(format_instant))
    }
    pub(crate) fn date(&mut self, key: &'static str, value: Option<NaiveDate>) -> &mut Self {
        self.opt(key, value.map(|d| d.format("%Y-%m-%d")))
    }
}

impl From<Query> for Vec<(&'static str, String)> {
    fn from(q: Query) -> Self {
        q.0
    }
}

/// The `updatedAfter`/`updatedBefore` window shared by the client, staff and product queries
/// (`from <= updatedAt < to`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct UpdatedWindow {
    pub(crate) after: Option<DateTime<Utc>>,
    pub(crate) before: Option<DateTime<Utc>>,
}

impl UpdatedWindow {
    /// Sends the bounds that are set.
    pub(crate) fn push(&self, q: &mut Query) {
        q.instant(params::UPDATED_AFTER, self.after.as_ref())
            .instant(params::UPDATED_BEFORE, self.before.as_ref());
    }

    /// Sends both bounds or neither: a missing one becomes the Unix epoch (after) or one day
    /// after now (before). Products need this.
    pub(crate) fn push_both(&self, q: &mut Query) {
        if self.after.is_none() && self.before.is_none() {
            return;
        }
        let after = self.after.unwrap_or(DateTime::UNIX_EPOCH);
        let before = self
            .before
            .unwrap_or_else(|| Utc::now() + chrono::Duration::days(1));
        q.instant(params::UPDATED_AFTER, Some(&after))
            .instant(params::UPDATED_BEFORE, Some(&before));
    }
}

/// The three `updatedAfter`/`updatedBefore` setters of a query holding an `updated:
/// UpdatedWindow` field.
macro_rules! updated_window_setters {
    () => {
        /// `updatedAfter`: records updated at or after this instant (`None` clears it).
        pub fn updated_after(mut self, after: impl Into<Option<DateTime<Utc>>>) -> Self {
            self.updated.after = after.into();
            self
        }

        /// `updatedBefore`: records updated strictly before this instant (`None` clears it).
        pub fn updated_before(mut self, before: impl Into<Option<DateTime<Utc>>>) -> Self {
            self.updated.before = before.into();
            self
        }

        /// Both bounds: records updated in `after..before`.
        pub fn updated_between(self, after: DateTime<Utc>, before: DateTime<Utc>) -> Self {
            self.updated_after(after).updated_before(before)
        }
    };
}

pub(crate) use updated_window_setters;
