//! Clients (business-level): list, get, batch by ids, walk-in client, create, update, and
//! a client's service history.

use chrono::{DateTime, NaiveDate, Utc};
use futures::stream::{self, StreamExt};
use serde::{Deserialize, Serialize};

use crate::PhorestClient;
use crate::de::{self, DateOrInstant};
use crate::error::{Operation, Result};
use crate::ids::{AppointmentId, BranchId, CategoryId, ClientId, ServiceId, StaffId};
use crate::macros::open_enum;
use crate::page::{ItemStream, ListSpec, Listed, PageStream};
use crate::query::{Query, UpdatedWindow, params, updated_window_setters};

open_enum! {
    /// A client's or staff member's gender.
    Gender {
        /// `MALE`.
        Male => "MALE",
        /// `FEMALE`.
        Female => "FEMALE",
        /// `NON_BINARY`.
        NonBinary => "NON_BINARY",
        /// `NOT_SPECIFIED`.
        NotSpecified => "NOT_SPECIFIED",
        /// `PREFER_NOT_TO_SAY`.
        PreferNotToSay => "PREFER_NOT_TO_SAY",
        /// `UNKNOWN`.
        Unspecified => "UNKNOWN",
    }
}

/// A postal address.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct Address {
    /// Street address, line 1.
    pub street_address1: Option<String>,
    /// Street address, line 2.
    pub street_address2: Option<String>,
    /// City.
    pub city: Option<String>,
    /// State or county.
    pub state: Option<String>,
    /// Postal code.
    pub postal_code: Option<String>,
    /// Country.
    pub country: Option<String>,
}

impl Address {
    /// An empty address; fill it with the chained setters (for [`NewClient::address`]).
    pub fn new() -> Self {
        Self::default()
    }
    /// `streetAddress1`.
    pub fn street_address1(mut self, v: impl Into<String>) -> Self {
        self.street_address1 = Some(v.into());
        self
    }
    /// `streetAddress2`.
    pub fn street_address2(mut self, v: impl Into<String>) -> Self {
        self.street_address2 = Some(v.into());
        self
    }
    /// `city`.
    pub fn city(mut self, v: impl Into<String>) -> Self {
        self.city = Some(v.into());
        self
    }
    /// `state`.
    pub fn state(mut self, v: impl Into<String>) -> Self {
        self.state = Some(v.into());
        self
    }
    /// `postalCode`.
    pub fn postal_code(mut self, v: impl Into<String>) -> Self {
        self.postal_code = Some(v.into());
        self
    }
    /// `country`.
    pub fn country(mut self, v: impl Into<String>) -> Self {
        self.country = Some(v.into());
        self
    }
}

/// A loyalty card: its serial and current points balance.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct LoyaltyCard {
    /// Card serial.
    #[serde(deserialize_with = "de::opt_string_or_number")]
    pub serial: Option<String>,
    /// Points balance (may be fractional).
    pub points: Option<f64>,
}

/// A client's credit account.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct CreditAccount {
    /// Outstanding balance.
    pub outstanding_balance: Option<f64>,
    /// Credit days.
    pub credit_days: Option<i64>,
    /// Credit limit.
    pub credit_limit: Option<f64>,
}

/// A client (`_embedded.clients[]`, `GET /client/{id}`, `GET /client/walk-in`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct Client {
    /// Client id.
    pub client_id: ClientId,
    /// Optimistic-lock version.
    pub version: Option<i64>,
    /// First name.
    pub first_name: Option<String>,
    /// Last name.
    pub last_name: Option<String>,
    /// Mobile: digits, usually international without `+`, sometimes local format.
    #[serde(deserialize_with = "de::opt_string_or_number")]
    pub mobile: Option<String>,
    /// Land line.
    #[serde(deserialize_with = "de::opt_string_or_number")]
    pub land_line: Option<String>,
    /// Mobile of the linked (family) client.
    #[serde(deserialize_with = "de::opt_string_or_number")]
    pub linked_client_mobile: Option<String>,
    /// Email as typed (may be empty or malformed).
    pub email: Option<String>,
    /// Postal address.
    pub address: Option<Address>,
    /// Birth date.
    #[serde(deserialize_with = "de::opt_date")]
    pub birth_date: Option<NaiveDate>,
    /// Client since.
    #[serde(
        deserialize_with = "de::opt_instant",
        serialize_with = "de::ser_opt_instant"
    )]
    pub client_since: Option<DateTime<Utc>>,
    /// Gender.
    pub gender: Option<Gender>,
    /// Notes.
    pub notes: Option<String>,
    /// SMS marketing consent.
    #[serde(deserialize_with = "de::null_default")]
    pub sms_marketing_consent: bool,
    /// Email marketing consent.
    #[serde(deserialize_with = "de::null_default")]
    pub email_marketing_consent: bool,
    /// SMS reminder consent.
    #[serde(deserialize_with = "de::null_default")]
    pub sms_reminder_consent: bool,
    /// Email reminder consent.
    #[serde(deserialize_with = "de::null_default")]
    pub email_reminder_consent: bool,
    /// Preferred staff member.
    pub preferred_staff_id: Option<StaffId>,
    /// Integrator's external id.
    pub external_id: Option<String>,
    /// Branch where the client was created.
    pub creating_branch_id: Option<BranchId>,
    /// Branch of the last visit.
    pub last_visited_branch_id: Option<BranchId>,
    /// Archived.
    #[serde(deserialize_with = "de::null_default")]
    pub archived: bool,
    /// Banned.
    #[serde(deserialize_with = "de::null_default")]
    pub banned: bool,
    /// Deleted.
    #[serde(deserialize_with = "de::null_default")]
    pub deleted: bool,
    /// Set when this record was merged into another client.
    pub merged_to_client_id: Option<ClientId>,
    /// Parent client of a linked (family) client.
    pub linked_client_id: Option<ClientId>,
    /// Client categories.
    #[serde(deserialize_with = "de::null_default")]
    pub client_category_ids: Vec<CategoryId>,
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
    /// First visit (date or instant).
    #[serde(deserialize_with = "de::opt_date_or_instant")]
    pub first_visit: Option<DateOrInstant>,
    /// Last visit (date or instant).
    #[serde(deserialize_with = "de::opt_date_or_instant")]
    pub last_visit: Option<DateOrInstant>,
    /// Photo URL.
    pub photo_url: Option<String>,
    /// Credit account.
    pub credit_account: Option<CreditAccount>,
    /// Loyalty card and points balance.
    pub loyalty_card: Option<LoyaltyCard>,
}

impl Client {
    /// Whether this record was merged into another client ([`Client::merged_to_client_id`]).
    pub fn is_merged(&self) -> bool {
        self.merged_to_client_id
            .as_ref()
            .is_some_and(|id| !id.as_str().is_empty())
    }
}

/// Filters for the client list (`GET /{businessId}/client`).
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use phorest_client::ClientQuery;
///
/// let since = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
/// let incremental = ClientQuery::all().updated_after(since);
/// let by_email = ClientQuery::new().email("ann@example.com");
/// # let _ = (incremental, by_email);
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ClientQuery {
    updated: UpdatedWindow,
    email: Option<String>,
    phone: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
    external_id: Option<String>,
    include_archived: bool,
    include_deleted: bool,
}

impl ClientQuery {
    /// No filter: Phorest's defaults (archived and deleted clients hidden).
    pub fn new() -> Self {
        Self::default()
    }

    /// Every client, archived and deleted included (for a full sync).
    pub fn all() -> Self {
        Self::new().include_archived(true).include_deleted(true)
    }

    updated_window_setters!();

    /// `email`: exact email.
    pub fn email(mut self, email: impl Into<String>) -> Self {
        self.email = Some(email.into());
        self
    }

    /// `phone`: mobile (a leading `+` is stripped, as Phorest stores digits).
    pub fn phone(mut self, phone: impl Into<String>) -> Self {
        self.phone = Some(phone.into());
        self
    }

    /// `firstName` (exact, or `~Jo%` prefix syntax).
    pub fn first_name(mut self, name: impl Into<String>) -> Self {
        self.first_name = Some(name.into());
        self
    }

    /// `lastName` (exact, or `~Jo%` prefix syntax).
    pub fn last_name(mut self, name: impl Into<String>) -> Self {
        self.last_name = Some(name.into());
        self
    }

    /// `externalId`: the integrator's external id.
    pub fn external_id(mut self, id: impl Into<String>) -> Self {
        self.external_id = Some(id.into());
        self
    }

    /// `includeArchived=true` (name UNCONFIRMED: a server that ignores it hides archived
    /// clients).
    pub fn include_archived(mut self, include: bool) -> Self {
        self.include_archived = include;
        self
    }

    /// `includeDeleted=true` (name UNCONFIRMED: a server that ignores it hides deleted and
    /// merged clients).
    pub fn include_deleted(mut self, include: bool) -> Self {
        self.include_deleted = include;
        self
    }

    pub(crate) fn to_query(&self) -> Query {
        let mut q = Query::default();
        self.updated.push(&mut q);
        q.opt(params::CLIENT_EMAIL, self.email.as_deref())
            .opt(
                params::CLIENT_PHONE,
                self.phone
                    .as_deref()
                    .map(|p| p.trim().trim_start_matches('+')),
            )
            .opt(params::CLIENT_FIRST_NAME, self.first_name.as_deref())
            .opt(params::CLIENT_LAST_NAME, self.last_name.as_deref())
            .opt(params::CLIENT_EXTERNAL_ID, self.external_id.as_deref())
            .flag(params::CLIENT_INCLUDE_ARCHIVED, self.include_archived)
            .flag(params::CLIENT_INCLUDE_DELETED, self.include_deleted);
        q
    }

    /// The query parameters this sends, without `page`/`size` (feature `test-util`).
    #[cfg(feature = "test-util")]
    pub fn to_pairs(&self) -> Vec<(&'static str, String)> {
        self.to_query().into()
    }
}

/// The writable fields of a client, shared by [`NewClient`] and [`ClientUpdate`]. Unset
/// fields are left out of the body.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
struct ClientFields {
    #[serde(skip_serializing_if = "Option::is_none")]
    first_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    mobile: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    land_line: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    address: Option<Address>,
    #[serde(skip_serializing_if = "Option::is_none")]
    birth_date: Option<NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    gender: Option<Gender>,
    #[serde(skip_serializing_if = "Option::is_none")]
    notes: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sms_marketing_consent: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    email_marketing_consent: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sms_reminder_consent: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    email_reminder_consent: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    preferred_staff_id: Option<StaffId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    external_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_category_ids: Option<Vec<CategoryId>>,
}

/// One chained setter per writable client field, on a builder holding `fields: ClientFields`.
macro_rules! client_field_setters {
    () => {
        /// `firstName`.
        pub fn first_name(mut self, name: impl Into<String>) -> Self {
            self.fields.first_name = Some(name.into());
            self
        }
        /// `lastName`.
        pub fn last_name(mut self, name: impl Into<String>) -> Self {
            self.fields.last_name = Some(name.into());
            self
        }
        /// `mobile`, sent as given. Phorest's stored form is digits without `+` (e.g.
        /// `16135550142`), which is what production callers send; `+…` is also seen.
        pub fn mobile(mut self, mobile: impl Into<String>) -> Self {
            self.fields.mobile = Some(mobile.into());
            self
        }
        /// `landLine`.
        pub fn land_line(mut self, number: impl Into<String>) -> Self {
            self.fields.land_line = Some(number.into());
            self
        }
        /// `email`.
        pub fn email(mut self, email: impl Into<String>) -> Self {
            self.fields.email = Some(email.into());
            self
        }
        /// `address`.
        pub fn address(mut self, address: Address) -> Self {
            self.fields.address = Some(address);
            self
        }
        /// `birthDate` (`yyyy-MM-dd`).
        pub fn birth_date(mut self, date: NaiveDate) -> Self {
            self.fields.birth_date = Some(date);
            self
        }
        /// `gender`.
        pub fn gender(mut self, gender: Gender) -> Self {
            self.fields.gender = Some(gender);
            self
        }
        /// `notes`.
        pub fn notes(mut self, notes: impl Into<String>) -> Self {
            self.fields.notes = Some(notes.into());
            self
        }
        /// `smsMarketingConsent`.
        pub fn sms_marketing_consent(mut self, consent: bool) -> Self {
            self.fields.sms_marketing_consent = Some(consent);
            self
        }
        /// `emailMarketingConsent`.
        pub fn email_marketing_consent(mut self, consent: bool) -> Self {
            self.fields.email_marketing_consent = Some(consent);
            self
        }
        /// `smsReminderConsent`.
        pub fn sms_reminder_consent(mut self, consent: bool) -> Self {
            self.fields.sms_reminder_consent = Some(consent);
            self
        }
        /// `emailReminderConsent`.
        pub fn email_reminder_consent(mut self, consent: bool) -> Self {
            self.fields.email_reminder_consent = Some(consent);
            self
        }
        /// `preferredStaffId`.
        pub fn preferred_staff_id(mut self, id: impl Into<StaffId>) -> Self {
            self.fields.preferred_staff_id = Some(id.into());
            self
        }
        /// `externalId`: the integrator's own id for the client.
        pub fn external_id(mut self, id: impl Into<String>) -> Self {
            self.fields.external_id = Some(id.into());
            self
        }
        /// `clientCategoryIds` (replaces the list).
        pub fn client_category_ids(mut self, ids: impl IntoIterator<Item = CategoryId>) -> Self {
            self.fields.client_category_ids = Some(ids.into_iter().collect());
            self
        }
    };
}

/// A client to create (`POST /{businessId}/client`).
///
/// `creatingBranchId` is required (documented; every production caller sends it), as are in
/// practice `firstName` and `lastName` (every caller sends both; which fields Phorest itself
/// requires is UNCONFIRMED). Phorest answers `201` with the created client.
///
/// ```
/// use phorest_client::NewClient;
///
/// let ann = NewClient::new("SE-J0emUgQnya14mOGdQSw", "Ann", "Byrne")
///     .mobile("16135550142")
///     .email("ann@example.com")
///     .sms_reminder_consent(true);
/// # let _ = ann;
/// ```
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NewClient {
    creating_branch_id: BranchId,
    #[serde(flatten)]
    fields: ClientFields,
}

impl NewClient {
    /// A client created at `creating_branch_id` with a first and last name.
    pub fn new(
        creating_branch_id: impl Into<BranchId>,
        first_name: impl Into<String>,
        last_name: impl Into<String>,
    ) -> Self {
        Self {
            creating_branch_id: creating_branch_id.into(),
            fields: ClientFields::default(),
        }
        .first_name(first_name)
        .last_name(last_name)
    }

    client_field_setters!();

    /// The JSON body this sends (feature `test-util`).
    #[cfg(feature = "test-util")]
    pub fn to_body(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or_default()
    }
}

/// A change to an existing client (`PUT /{businessId}/client/{clientId}`).
///
/// Phorest locks clients optimistically: the body carries the `version` read last, and a
/// stale version is refused with [`Error::Conflict`](crate::Error::Conflict) (status
/// UNCONFIRMED, see there). Read the client again and re-apply the change.
///
/// Whether fields left out of the body are kept or cleared is UNCONFIRMED: production callers
/// send the changed fields plus `clientId` and `version`. [`ClientUpdate::from_client`] starts
/// from the whole current record, which is safe either way; [`ClientUpdate::new`] sends only
/// what is set.
///
/// ```
/// use phorest_client::{ClientId, ClientUpdate};
///
/// let change = ClientUpdate::new(ClientId::from("cl-1"), 7).email("new@example.com");
/// # let _ = change;
/// ```
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientUpdate {
    client_id: ClientId,
    version: i64,
    #[serde(flatten)]
    fields: ClientFields,
}

impl ClientUpdate {
    /// A change to `client_id` whose current `version` is `version`; only the fields set
    /// afterwards are sent.
    pub fn new(client_id: impl Into<ClientId>, version: i64) -> Self {
        Self {
            client_id: client_id.into(),
            version,
            fields: ClientFields::default(),
        }
    }

    /// A change starting from `client` as read (its `version`, or 0 when absent, and every
    /// writable field it has); setters then override fields.
    pub fn from_client(client: &Client) -> Self {
        let fields = ClientFields {
            first_name: client.first_name.clone(),
            last_name: client.last_name.clone(),
            mobile: client.mobile.clone(),
            land_line: client.land_line.clone(),
            email: client.email.clone(),
            address: client.address.clone(),
            birth_date: client.birth_date,
            gender: client.gender.clone(),
            notes: client.notes.clone(),
            sms_marketing_consent: Some(client.sms_marketing_consent),
            email_marketing_consent: Some(client.email_marketing_consent),
            sms_reminder_consent: Some(client.sms_reminder_consent),
            email_reminder_consent: Some(client.email_reminder_consent),
            preferred_staff_id: client.preferred_staff_id.clone(),
            external_id: client.external_id.clone(),
            client_category_ids: Some(client.client_category_ids.clone()),
        };
        Self {
            client_id: client.client_id.clone(),
            version: client.version.unwrap_or_default(),
            fields,
        }
    }

    /// The client changed.
    pub fn client_id(&self) -> &ClientId {
        &self.client_id
    }

    /// The version the change is based on.
    pub fn version(&self) -> i64 {
        self.version
    }

    client_field_setters!();

    /// The JSON body this sends (feature `test-util`).
    #[cfg(feature = "test-util")]
    pub fn to_body(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or_default()
    }
}

/// One service line of a visit in a client's service history.
///
/// Shape observed in production callers (U1's typed Go structs), not documented.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct ServiceHistoryEntry {
    /// The appointment of this line.
    pub appointment_id: Option<AppointmentId>,
    /// Staff member.
    pub staff_id: Option<StaffId>,
    /// Service.
    pub service_id: Option<ServiceId>,
    /// Service category.
    pub service_category_id: Option<CategoryId>,
    /// Start instant (observed as RFC 3339).
    #[serde(
        deserialize_with = "de::opt_instant",
        serialize_with = "de::ser_opt_instant"
    )]
    pub time: Option<DateTime<Utc>>,
    /// Description (the service name).
    pub description: Option<String>,
    /// Duration (minutes, UNCONFIRMED unit).
    pub duration: Option<i64>,
    /// Discount.
    pub discount: Option<f64>,
    /// Fee charged.
    pub fee: Option<f64>,
    /// Price before discount.
    pub original_price: Option<f64>,
    /// Booked from the waiting list.
    #[serde(deserialize_with = "de::null_default")]
    pub waiting_list: bool,
    /// Cancelled.
    #[serde(deserialize_with = "de::null_default")]
    pub cancelled: bool,
}

/// One visit (a day at a branch) in a client's service history
/// (`_embedded.clientServiceHistories[]` of `GET /{businessId}/client/{clientId}/service-history`).
///
/// Path and shape observed in production callers (U1), not documented in detail.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct ClientServiceHistory {
    /// The client.
    pub client_id: Option<ClientId>,
    /// The branch visited.
    pub branch_id: Option<BranchId>,
    /// The visit's branch-local date.
    #[serde(deserialize_with = "de::opt_date")]
    pub date: Option<NaiveDate>,
    /// Visit notes.
    pub notes: Option<String>,
    /// The service lines.
    #[serde(deserialize_with = "de::null_default")]
    pub services: Vec<ServiceHistoryEntry>,
}

impl Listed for ClientServiceHistory {
    const ID_FIELDS: &'static [&'static str] = &["date"];
}

/// Creating a client.
const CREATE_CLIENT: Operation = Operation::new("POST", "/{businessId}/client");
/// Updating a client.
const UPDATE_CLIENT: Operation = Operation::new("PUT", "/{businessId}/client/{clientId}");

/// Page size of the client list: 100, what every production caller uses (200 is unconfirmed).
const PAGE_SIZE: u32 = 100;
/// Maximum ids (and page size) of one client batch call.
pub const CLIENT_BATCH_MAX: usize = 100;
/// Path of the client batch endpoint (UNCONFIRMED; follows `/staff-batch`).
const CLIENT_BATCH_PATH: &str = "client-batch";

impl Listed for Client {
    const ID_FIELDS: &'static [&'static str] = &["clientId"];
}

/// Handler for clients; see [`PhorestClient::clients`].
#[derive(Clone, Debug)]
pub struct ClientsHandler {
    client: PhorestClient,
}

impl ClientsHandler {
    pub(crate) fn new(client: PhorestClient) -> Self {
        Self { client }
    }

    fn spec(&self, query: &ClientQuery) -> ListSpec {
        ListSpec {
            operation: Operation::get("/{businessId}/client"),
            segments: vec!["client".into()],
            query: query.to_query(),
            key: "clients",
            size: PAGE_SIZE,
        }
    }

    /// Pages of clients from `start_page`.
    pub fn pages(&self, query: &ClientQuery, start_page: u32) -> PageStream<Client> {
        self.spec(query).pages(self.client.clone(), start_page)
    }

    /// Every matching client.
    pub fn list(&self, query: &ClientQuery) -> ItemStream<Client> {
        self.spec(query).items(self.client.clone())
    }

    /// One client.
    pub async fn get(&self, client_id: &ClientId) -> Result<Client> {
        self.client
            .get_json(
                Operation::get("/{businessId}/client/{clientId}"),
                &["client", client_id.as_str()],
                &Query::default(),
            )
            .await
    }

    /// The business's walk-in placeholder client (exclude its id from CRM syncs).
    pub async fn walk_in(&self) -> Result<Client> {
        self.client
            .get_json(
                Operation::get("/{businessId}/client/walk-in"),
                &["client", "walk-in"],
                &Query::default(),
            )
            .await
    }

    /// Creates a client (`POST /{businessId}/client`); answers the created client with its id
    /// and first `version`.
    ///
    /// Not retried after an ambiguous failure (a 5xx, a timeout): the client may have been
    /// created ([`Error::may_have_been_applied`](crate::Error::may_have_been_applied)); search
    /// by email, phone or `externalId` before creating again.
    pub async fn create(&self, client: &NewClient) -> Result<Client> {
        let body = to_body(client);
        tracing::debug!(operation = %CREATE_CLIENT, "creating Phorest client");
        self.client
            .write_json(CREATE_CLIENT, &["client"], Some(&body))
            .await
    }

    /// Updates a client (`PUT /{businessId}/client/{clientId}`, body with `clientId` and the
    /// current `version`); answers the client as stored, with its new `version`.
    ///
    /// A stale `version` fails with [`Error::Conflict`](crate::Error::Conflict). Not retried
    /// after an ambiguous failure (a replay would meet its own new version and conflict).
    pub async fn update(&self, update: &ClientUpdate) -> Result<Client> {
        let body = to_body(update);
        self.client
            .write_json(
                UPDATE_CLIENT,
                &["client", update.client_id.as_str()],
                Some(&body),
            )
            .await
    }

    /// Adds or deducts a client's loyalty points (`POST /{businessId}/loyaltypoints`; body
    /// shape weakly evidenced, see [`LoyaltyPointsChange`](crate::LoyaltyPointsChange)). The
    /// answer body is not read; read the client for the new balance. Not replayed after an
    /// ambiguous failure.
    pub async fn change_loyalty_points(&self, change: &crate::LoyaltyPointsChange) -> Result<()> {
        let body = to_body(change);
        self.client
            .write_empty(
                crate::resources::sales::CHANGE_LOYALTY,
                &["loyaltypoints"],
                Some(&body),
            )
            .await
            .map(drop)
    }

    fn history_spec(&self, client_id: &ClientId) -> ListSpec {
        ListSpec {
            operation: Operation::get("/{businessId}/client/{clientId}/service-history"),
            segments: vec![
                "client".into(),
                client_id.to_string(),
                "service-history".into(),
            ],
            query: Query::default(),
            key: "clientServiceHistories",
            size: PAGE_SIZE,
        }
    }

    /// Pages of a client's service history from `start_page`.
    pub fn service_history_pages(
        &self,
        client_id: &ClientId,
        start_page: u32,
    ) -> PageStream<ClientServiceHistory> {
        self.history_spec(client_id)
            .pages(self.client.clone(), start_page)
    }

    /// A client's service history, visit by visit
    /// (`GET /{businessId}/client/{clientId}/service-history`).
    pub fn service_history(&self, client_id: &ClientId) -> ItemStream<ClientServiceHistory> {
        self.history_spec(client_id).items(self.client.clone())
    }

    /// Clients by id, [`CLIENT_BATCH_MAX`] ids per call (`client_id` repeated). Unknown ids are
    /// simply absent from the result.
    pub fn batch(&self, ids: &[ClientId]) -> ItemStream<Client> {
        let client = self.client.clone();
        let specs: Vec<ListSpec> = ids
            .chunks(CLIENT_BATCH_MAX)
            .map(|chunk| {
                let mut query = Query::default();
                for id in chunk {
                    query.push(params::CLIENT_BATCH_ID, id);
                }
                ListSpec {
                    operation: Operation::get("/{businessId}/client-batch"),
                    segments: vec![CLIENT_BATCH_PATH.into()],
                    query,
                    key: "clients",
                    size: CLIENT_BATCH_MAX as u32,
                }
            })
            .collect();
        stream::iter(specs)
            .flat_map(move |spec| spec.items(client.clone()))
            .boxed()
    }
}

/// Serialises a request body (the crate's bodies always serialise).
pub(crate) fn to_body(value: &impl Serialize) -> serde_json::Value {
    serde_json::to_value(value).unwrap_or_default()
}
