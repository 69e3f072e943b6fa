//! The sandbox's own records, serialised to the camelCase JSON shapes of the
//! Phorest Third-Party API.
//!
//! These types are deliberately independent of the SDK's models, so that the
//! SDK's decoding is tested against JSON produced by separate code.

use chrono::{DateTime, NaiveDate, NaiveTime, SecondsFormat, Utc};
use serde::{Serialize, Serializer};

/// Serialises an instant the way Phorest does: `2021-08-01T14:21:48.487Z`.
fn instant<S: Serializer>(value: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&value.to_rfc3339_opts(SecondsFormat::Millis, true))
}

/// Like [`instant`], for optional instants (`null` when absent).
fn opt_instant<S: Serializer>(value: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
    match value {
        Some(v) => instant(v, s),
        None => s.serialize_none(),
    }
}

/// Serialises a branch-local time of day as `HH:mm:ss.SSS`.
fn local_time<S: Serializer>(value: &NaiveTime, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&value.format("%H:%M:%S%.3f").to_string())
}

/// A branch (`_embedded.branches[]`).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Branch {
    /// Opaque branch id.
    pub branch_id: String,
    /// Display name; Phorest sometimes keeps trailing spaces.
    pub name: String,
    /// IANA time zone of the branch's wall clock (`timeZone`).
    pub time_zone: String,
    /// Street address, line 1.
    pub street_address1: String,
    /// Street address, line 2.
    pub street_address2: String,
    /// City.
    pub city: String,
    /// State or county.
    pub state: String,
    /// Postal code.
    pub postal_code: String,
    /// ISO 3166 alpha-2 country code.
    pub country: String,
    /// ISO 4217 currency code.
    pub currency_code: String,
    /// Latitude, if known.
    pub latitude: Option<f64>,
    /// Longitude, if known.
    pub longitude: Option<f64>,
    /// Phorest account number.
    pub account_id: Option<i64>,
}

/// A staff member of one branch (`_embedded.staffs[]`).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Staff {
    /// Opaque staff id.
    pub staff_id: String,
    /// Branch the record belongs to.
    pub branch_id: String,
    /// Business-level user id (the person across branches).
    pub user_id: String,
    /// Staff category id.
    pub staff_category_id: Option<String>,
    /// Staff category name (e.g. `Senior Stylist`).
    pub staff_category_name: Option<String>,
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: String,
    /// Email as typed into Phorest (may be malformed or absent).
    pub email: Option<String>,
    /// Mobile as typed into Phorest (may be absent).
    pub mobile: Option<String>,
    /// `MALE`, `FEMALE`, ...
    pub gender: Option<String>,
    /// Birth date.
    pub birth_date: Option<NaiveDate>,
    /// Employment start date.
    pub start_date: Option<NaiveDate>,
    /// Self-employed flag.
    pub self_employed: bool,
    /// Archived staff are hidden unless `fetch_archived=true`.
    pub archived: bool,
    /// Deleted flag.
    pub deleted: bool,
    /// Free-text notes.
    pub notes: Option<String>,
    /// Hidden from online booking.
    pub hide_from_online_bookings: bool,
    /// Hidden from the appointment screen.
    pub hide_from_appointment_screen: bool,
    /// Creation instant.
    #[serde(serialize_with = "instant")]
    pub created_at: DateTime<Utc>,
    /// Last update instant (the `updatedAfter` watermark).
    #[serde(serialize_with = "instant")]
    pub updated_at: DateTime<Utc>,
}

/// A client's postal address.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Address {
    /// Line 1.
    pub street_address1: String,
    /// Line 2.
    pub street_address2: String,
    /// City.
    pub city: String,
    /// State or county.
    pub state: String,
    /// Postal code.
    pub postal_code: String,
    /// Country code.
    pub country: String,
}

/// A client's loyalty card.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LoyaltyCard {
    /// Card serial.
    pub serial: String,
    /// Points balance (may be fractional).
    pub points: f64,
}

/// A client's credit account.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreditAccount {
    /// Outstanding balance.
    pub outstanding_balance: f64,
    /// Credit days.
    pub credit_days: i64,
    /// Credit limit.
    pub credit_limit: f64,
}

/// A client (`_embedded.clients[]`, client by id, walk-in).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Client {
    /// Opaque client id.
    pub client_id: String,
    /// Optimistic-lock counter, bumped on every update.
    pub version: i64,
    /// First name (may hold odd spacing or unicode).
    pub first_name: String,
    /// Last name (may be empty).
    pub last_name: String,
    /// Mobile digits, usually international without `+`, sometimes local format.
    pub mobile: Option<String>,
    /// Land line digits.
    pub land_line: Option<String>,
    /// Mobile of the linked (family) parent client.
    pub linked_client_mobile: Option<String>,
    /// Parent client of a linked (family) client.
    pub linked_client_id: Option<String>,
    /// Email as typed (may be invalid).
    pub email: Option<String>,
    /// Postal address.
    pub address: Option<Address>,
    /// Birth date.
    pub birth_date: Option<NaiveDate>,
    /// Client since.
    #[serde(serialize_with = "opt_instant")]
    pub client_since: Option<DateTime<Utc>>,
    /// `MALE`, `FEMALE`, `NON_BINARY`, ...
    pub gender: Option<String>,
    /// Notes.
    pub notes: Option<String>,
    /// SMS marketing consent.
    pub sms_marketing_consent: bool,
    /// Email marketing consent.
    pub email_marketing_consent: bool,
    /// SMS reminder consent.
    pub sms_reminder_consent: bool,
    /// Email reminder consent.
    pub email_reminder_consent: bool,
    /// Preferred staff id.
    pub preferred_staff_id: Option<String>,
    /// Integrator-provided external id.
    pub external_id: Option<String>,
    /// Branch where the client was created.
    pub creating_branch_id: Option<String>,
    /// Branch of the last visit.
    pub last_visited_branch_id: Option<String>,
    /// Archived clients are hidden unless `includeArchived=true`.
    pub archived: bool,
    /// Banned flag (still listed).
    pub banned: bool,
    /// Deleted clients are hidden unless `includeDeleted=true`.
    pub deleted: bool,
    /// Set when this duplicate was merged into another client.
    pub merged_to_client_id: Option<String>,
    /// Client category ids.
    pub client_category_ids: Vec<String>,
    /// Creation instant.
    #[serde(serialize_with = "instant")]
    pub created_at: DateTime<Utc>,
    /// Last update instant (the `updatedAfter` watermark).
    #[serde(serialize_with = "instant")]
    pub updated_at: DateTime<Utc>,
    /// First visit.
    #[serde(serialize_with = "opt_instant")]
    pub first_visit: Option<DateTime<Utc>>,
    /// Last visit.
    #[serde(serialize_with = "opt_instant")]
    pub last_visit: Option<DateTime<Utc>>,
    /// Photo URL.
    pub photo_url: Option<String>,
    /// Credit account.
    pub credit_account: Option<CreditAccount>,
    /// Loyalty card, if the client has one.
    pub loyalty_card: Option<LoyaltyCard>,
}

impl Client {
    /// Whether the client has a non-blank email.
    pub fn has_email(&self) -> bool {
        self.email.as_deref().is_some_and(|e| !e.trim().is_empty())
    }

    /// Whether the client has a non-blank mobile or land line.
    pub fn has_phone(&self) -> bool {
        [&self.mobile, &self.land_line]
            .iter()
            .any(|p| p.as_deref().is_some_and(|p| !p.trim().is_empty()))
    }
}

/// A client category (`_embedded.clientCategories[]`).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientCategory {
    /// Opaque category id.
    pub client_category_id: String,
    /// Name (e.g. `VIP`).
    pub name: String,
    /// Archived categories are hidden unless `includeArchived=true`.
    pub archived: bool,
}

/// One appointment row: one service for one client with one staff member
/// (`_embedded.appointments[]`). Times are branch-local wall clock.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Appointment {
    /// Opaque appointment id.
    pub appointment_id: String,
    /// Optimistic-lock counter.
    pub version: i64,
    /// Branch.
    pub branch_id: String,
    /// Booking this row belongs to (shared by multi-service bookings).
    pub booking_id: String,
    /// Client (may be the walk-in client).
    pub client_id: String,
    /// Staff member.
    pub staff_id: String,
    /// Service.
    pub service_id: String,
    /// Service name.
    pub service_name: String,
    /// Branch-local date.
    pub appointment_date: NaiveDate,
    /// Branch-local start time.
    #[serde(serialize_with = "local_time")]
    pub start_time: NaiveTime,
    /// Branch-local end time.
    #[serde(serialize_with = "local_time")]
    pub end_time: NaiveTime,
    /// Price.
    pub price: f64,
    /// Deposit amount.
    pub deposit_amount: Option<f64>,
    /// Confirmed flag.
    pub confirmed: bool,
    /// Client requested this staff member.
    pub staff_request: bool,
    /// Preferred staff flag.
    pub preferred_staff: bool,
    /// `BOOKED`, `CHECKED_IN`, `PAID`, ...
    pub state: String,
    /// `ACTIVE`, `RESERVED`, `CANCELED`, `ARCHIVED`.
    pub activation_state: String,
    /// Deleted rows are hidden unless `fetch_deleted=true`.
    pub deleted: bool,
    /// Booking channel (`PHOREST`, `WIDGET`, `API`).
    pub source: String,
    /// Notes.
    pub notes: Option<String>,
    /// Creation instant.
    #[serde(serialize_with = "instant")]
    pub created_at: DateTime<Utc>,
    /// Last update instant (the `updated_from` watermark).
    #[serde(serialize_with = "instant")]
    pub updated_at: DateTime<Utc>,
}

/// A service (`_embedded.services[]`).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Service {
    /// Opaque service id (same in every branch).
    pub service_id: String,
    /// Service category id.
    pub category_id: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Default price.
    pub price: f64,
    /// Duration in minutes.
    pub duration: i64,
    /// Gap time in minutes.
    pub gap_time: i64,
    /// Bookable online.
    pub internet_enabled: bool,
    /// Archived flag.
    pub archived: bool,
    /// Deleted flag.
    pub deleted: bool,
    /// Add-on only services are hidden unless `service_type` asks for add-ons.
    pub is_addon_only: bool,
}

/// A service category (`_embedded.serviceCategories[]`).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceCategory {
    /// Opaque category id.
    pub category_id: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
}

/// A product of one branch (`_embedded.products[]`).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Product {
    /// Opaque product id.
    pub product_id: String,
    /// Parent product (variants).
    pub parent_product_id: Option<String>,
    /// Branch the product belongs to (not serialised by Phorest).
    #[serde(skip)]
    pub branch_id: String,
    /// Name (may contain commas and quotes).
    pub name: String,
    /// Brand id.
    pub brand_id: Option<String>,
    /// Brand name.
    pub brand_name: Option<String>,
    /// Category id.
    pub category_id: Option<String>,
    /// Category name.
    pub category_name: Option<String>,
    /// Archived products are hidden unless `includeArchived=true`.
    pub archived: bool,
    /// Retail price.
    pub price: f64,
    /// Minimum stock quantity.
    pub min_quantity: f64,
    /// Maximum stock quantity.
    pub max_quantity: f64,
    /// `RETAIL` or `PROFESSIONAL`.
    #[serde(rename = "type")]
    pub product_type: String,
    /// Barcode.
    pub barcode: Option<String>,
    /// Product code.
    pub code: Option<String>,
    /// Measurement quantity.
    pub measurement_quantity: Option<f64>,
    /// Measurement unit.
    pub measurement_unit: Option<String>,
    /// Reorder count.
    pub reorder_count: f64,
    /// Reorder cost.
    pub reorder_cost: f64,
    /// Stock level (may be fractional).
    pub quantity_in_stock: f64,
    /// Creation instant.
    #[serde(serialize_with = "instant")]
    pub created_at: DateTime<Utc>,
    /// Last update instant.
    #[serde(serialize_with = "instant")]
    pub updated_at: DateTime<Utc>,
}

/// A review (`_embedded.reviews[]`).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Review {
    /// Opaque review id.
    pub review_id: String,
    /// Branch (not serialised).
    #[serde(skip)]
    pub branch_id: String,
    /// Client.
    pub client_id: String,
    /// Client first name.
    pub client_first_name: String,
    /// Client last name.
    pub client_last_name: String,
    /// Review date.
    pub review_date: NaiveDate,
    /// Visit date.
    pub visit_date: NaiveDate,
    /// Staff.
    pub staff_id: String,
    /// Staff first name.
    pub staff_first_name: String,
    /// Staff last name.
    pub staff_last_name: String,
    /// Text.
    pub text: String,
    /// Rating 1-5.
    pub rating: i64,
    /// Shared on Facebook.
    pub facebook_review: bool,
    /// Shared on Twitter.
    pub twitter_review: bool,
}

/// A voucher (`_embedded.vouchers[]`).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Voucher {
    /// Opaque voucher id.
    pub voucher_id: String,
    /// Serial number.
    pub serial_number: String,
    /// Issue instant.
    #[serde(serialize_with = "instant")]
    pub issue_date: DateTime<Utc>,
    /// Expiry instant.
    #[serde(serialize_with = "opt_instant")]
    pub expiry_date: Option<DateTime<Utc>>,
    /// Owning client.
    pub client_id: Option<String>,
    /// Issuing branch.
    pub creating_branch_id: String,
    /// Original balance.
    pub original_balance: f64,
    /// Remaining balance.
    pub remaining_balance: f64,
    /// Notes.
    pub notes: Option<String>,
}

/// One line of a sales transaction, as exported by the `TRANSACTIONS_CSV` job.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SaleLine {
    /// Transaction id (unique per branch only).
    pub transaction_id: String,
    /// Line id.
    pub transaction_item_id: String,
    /// Branch.
    pub branch_id: String,
    /// Client (may be the walk-in client).
    pub client_id: String,
    /// Branch-local purchase date.
    pub purchased_date: NaiveDate,
    /// Branch-local purchase time.
    pub purchase_time: NaiveTime,
    /// `PRODUCT` or `SERVICE`.
    pub item_type: String,
    /// Product id for `PRODUCT` lines.
    pub product_id: Option<String>,
    /// Service id for `SERVICE` lines.
    pub service_id: Option<String>,
    /// Description (the item's name).
    pub description: String,
    /// Quantity.
    pub quantity: f64,
    /// Unit price.
    pub unit_price: f64,
    /// Total amount (gross).
    pub total_amount: f64,
    /// Loyalty points awarded.
    pub loyalty_points_awarded: f64,
    /// Staff who sold the item.
    pub staff_id: Option<String>,
    /// `CASH`, `CARD`, ...
    pub payment_type: String,
}
