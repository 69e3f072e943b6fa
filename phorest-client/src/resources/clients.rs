//! Clients (business-level): list, get, batch by ids, walk-in client.

use chrono::{DateTime, NaiveDate, Utc};
use futures::stream::{self, StreamExt};
use serde::{Deserialize, Serialize};

use crate::PhorestClient;
use crate::de::{self, DateOrInstant};
use crate::error::{Operation, Result};
use crate::ids::{BranchId, CategoryId, ClientId, StaffId};
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
