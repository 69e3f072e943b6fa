//! Branches: `GET /{businessId}/branch`.

use serde::{Deserialize, Serialize};

use crate::PhorestClient;
use crate::de;
use crate::error::{Operation, Result};
use crate::ids::BranchId;
use crate::page::{ItemStream, ListSpec, Listed, PageStream};
use crate::query::Query;
use crate::time::{TimeZoneError, parse_time_zone};

/// A branch (salon location) of the business (`_embedded.branches[]`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct Branch {
    /// Branch id.
    pub branch_id: BranchId,
    /// Display name, trimmed (Phorest may keep trailing spaces).
    #[serde(deserialize_with = "de::opt_trimmed")]
    pub name: Option<String>,
    /// Time zone of the branch's wall clock as sent (`timeZone`; its format is UNCONFIRMED:
    /// an IANA id is expected, a Windows name is accepted); see [`Branch::time_zone`].
    pub time_zone: Option<String>,
    /// Latitude.
    pub latitude: Option<f64>,
    /// Longitude.
    pub longitude: Option<f64>,
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
    /// Country (ISO 3166 alpha-2 expected).
    pub country: Option<String>,
    /// Currency (ISO 4217).
    pub currency_code: Option<String>,
    /// Phorest account number.
    pub account_id: Option<i64>,
}

impl Branch {
    /// The branch's zone: `timeZone` parsed by [`parse_time_zone`] (an IANA id, or a Windows
    /// zone name mapped to IANA). `null` or missing gives [`TimeZoneError::MissingTimeZone`];
    /// anything else unknown gives [`TimeZoneError::UnknownTimeZone`] with the literal value.
    pub fn time_zone(&self) -> Result<chrono_tz::Tz, TimeZoneError> {
        parse_time_zone(self.time_zone.as_deref().unwrap_or_default())
    }
}

impl Listed for Branch {
    const ID_FIELDS: &'static [&'static str] = &["branchId"];
}

/// Handler for branches; see [`PhorestClient::branches`].
#[derive(Clone, Debug)]
pub struct BranchesHandler {
    client: PhorestClient,
}

/// Page size used for branches (the API's limit is UNCONFIRMED; businesses have few branches).
const PAGE_SIZE: u32 = 100;

impl BranchesHandler {
    pub(crate) fn new(client: PhorestClient) -> Self {
        Self { client }
    }

    fn spec(&self) -> ListSpec {
        ListSpec {
            operation: Operation::get("/{businessId}/branch"),
            segments: vec!["branch".into()],
            query: Query::default(),
            key: "branches",
            size: PAGE_SIZE,
        }
    }

    /// Pages of branches from `start_page`.
    pub fn pages(&self, start_page: u32) -> PageStream<Branch> {
        self.spec().pages(self.client.clone(), start_page)
    }

    /// Every branch.
    pub fn list(&self) -> ItemStream<Branch> {
        self.spec().items(self.client.clone())
    }
}
