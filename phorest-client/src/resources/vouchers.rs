//! Vouchers (business-level): `GET /{businessId}/voucher` (list shape mostly UNCONFIRMED) and
//! `POST /{businessId}/voucher` (create; FV, BW and Phorest's dev-gateway examples).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::PhorestClient;
use crate::de;
use crate::error::{Operation, Result};
use crate::ids::{BranchId, ClientId, VoucherId};
use crate::page::{ItemStream, ListSpec, Listed, PageStream};
use crate::query::{Query, params};

/// A gift voucher (`_embedded.vouchers[]`, key UNCONFIRMED).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct Voucher {
    /// Voucher id.
    pub voucher_id: VoucherId,
    /// Serial number.
    #[serde(deserialize_with = "de::opt_string_or_number")]
    pub serial_number: Option<String>,
    /// Issued.
    #[serde(
        deserialize_with = "de::opt_instant",
        serialize_with = "de::ser_opt_instant"
    )]
    pub issue_date: Option<DateTime<Utc>>,
    /// Expires.
    #[serde(
        deserialize_with = "de::opt_instant",
        serialize_with = "de::ser_opt_instant"
    )]
    pub expiry_date: Option<DateTime<Utc>>,
    /// Owner.
    pub client_id: Option<ClientId>,
    /// Issuing branch.
    pub creating_branch_id: Option<BranchId>,
    /// Original balance.
    pub original_balance: Option<f64>,
    /// Remaining balance.
    pub remaining_balance: Option<f64>,
    /// Notes.
    pub notes: Option<String>,
}

/// Filters for the voucher list (all names UNCONFIRMED).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct VoucherQuery {
    client_id: Option<ClientId>,
    serial_number: Option<String>,
    include_used: bool,
    updated_from: Option<DateTime<Utc>>,
    updated_to: Option<DateTime<Utc>>,
}

impl VoucherQuery {
    /// No filter: Phorest's defaults (used vouchers hidden).
    pub fn new() -> Self {
        Self::default()
    }

    /// `clientId`.
    pub fn client_id(mut self, id: impl Into<ClientId>) -> Self {
        self.client_id = Some(id.into());
        self
    }

    /// `serialNumber`.
    pub fn serial_number(mut self, serial: impl Into<String>) -> Self {
        self.serial_number = Some(serial.into());
        self
    }

    /// `includeUsed=true`.
    pub fn include_used(mut self, include: bool) -> Self {
        self.include_used = include;
        self
    }

    /// `updated_from` (`None` clears it).
    pub fn updated_from(mut self, from: impl Into<Option<DateTime<Utc>>>) -> Self {
        self.updated_from = from.into();
        self
    }

    /// `updated_to` (`None` clears it).
    pub fn updated_to(mut self, to: impl Into<Option<DateTime<Utc>>>) -> Self {
        self.updated_to = to.into();
        self
    }

    pub(crate) fn to_query(&self) -> Query {
        let mut q = Query::default();
        q.opt(params::VOUCHER_CLIENT_ID, self.client_id.as_ref())
            .opt(params::VOUCHER_SERIAL, self.serial_number.as_deref())
            .flag(params::VOUCHER_INCLUDE_USED, self.include_used)
            .instant(params::VOUCHER_UPDATED_FROM, self.updated_from.as_ref())
            .instant(params::VOUCHER_UPDATED_TO, self.updated_to.as_ref());
        q
    }

    /// The query parameters this sends, without `page`/`size` (feature `test-util`).
    #[cfg(feature = "test-util")]
    pub fn to_pairs(&self) -> Vec<(&'static str, String)> {
        self.to_query().into()
    }
}

/// A gift voucher to issue (`POST /{businessId}/voucher`).
///
/// Body shape from callers on Phorest's dev gateway (FV, BW and the tech tests):
/// `clientId`, `creatingBranchId`, `issueDate`, `expiryDate`, `originalBalance`, optional
/// `serialNumber` (Phorest numbers the voucher when it is absent: UNCONFIRMED). The answer
/// is the voucher (FV's captured response).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NewVoucher {
    creating_branch_id: BranchId,
    original_balance: f64,
    #[serde(serialize_with = "de::ser_opt_instant")]
    issue_date: Option<DateTime<Utc>>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "de::ser_opt_instant"
    )]
    expiry_date: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_id: Option<ClientId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    serial_number: Option<String>,
}

impl NewVoucher {
    /// A voucher worth `original_balance`, issued at `creating_branch_id` at `issue_date`.
    pub fn new(
        creating_branch_id: impl Into<BranchId>,
        original_balance: f64,
        issue_date: DateTime<Utc>,
    ) -> Self {
        Self {
            creating_branch_id: creating_branch_id.into(),
            original_balance,
            issue_date: Some(issue_date),
            expiry_date: None,
            client_id: None,
            serial_number: None,
        }
    }

    /// `expiryDate`.
    pub fn expiry_date(mut self, expires: DateTime<Utc>) -> Self {
        self.expiry_date = Some(expires);
        self
    }

    /// `clientId`: the owner.
    pub fn client_id(mut self, id: impl Into<ClientId>) -> Self {
        self.client_id = Some(id.into());
        self
    }

    /// `serialNumber`: the number printed on the voucher.
    pub fn serial_number(mut self, serial: impl Into<String>) -> Self {
        self.serial_number = Some(serial.into());
        self
    }
}

/// Issuing a voucher.
const CREATE_VOUCHER: Operation = Operation::new("POST", "/{businessId}/voucher");

/// Page size of the voucher list: 100, what production callers use (200 is unconfirmed).
const PAGE_SIZE: u32 = 100;

impl Listed for Voucher {
    const ID_FIELDS: &'static [&'static str] = &["voucherId"];
}

/// Handler for vouchers; see [`PhorestClient::vouchers`].
#[derive(Clone, Debug)]
pub struct VouchersHandler {
    client: PhorestClient,
}

impl VouchersHandler {
    pub(crate) fn new(client: PhorestClient) -> Self {
        Self { client }
    }

    fn spec(&self, query: &VoucherQuery) -> ListSpec {
        ListSpec {
            operation: Operation::get("/{businessId}/voucher"),
            segments: vec!["voucher".into()],
            query: query.to_query(),
            key: "vouchers",
            size: PAGE_SIZE,
        }
    }

    /// Pages of vouchers from `start_page`.
    pub fn pages(&self, query: &VoucherQuery, start_page: u32) -> PageStream<Voucher> {
        self.spec(query).pages(self.client.clone(), start_page)
    }

    /// Every matching voucher.
    pub fn list(&self, query: &VoucherQuery) -> ItemStream<Voucher> {
        self.spec(query).items(self.client.clone())
    }

    /// Issues a voucher (`POST /{businessId}/voucher`); answers the voucher. Not replayed
    /// after an ambiguous failure (list by `serialNumber` before issuing again).
    pub async fn create(&self, voucher: &NewVoucher) -> Result<Voucher> {
        let body = crate::resources::clients::to_body(voucher);
        self.client
            .write_json(CREATE_VOUCHER, &["voucher"], Some(&body))
            .await
    }

    /// One voucher.
    pub async fn get(&self, id: &VoucherId) -> Result<Voucher> {
        self.client
            .get_json(
                Operation::get("/{businessId}/voucher/{voucherId}"),
                &["voucher", id.as_str()],
                &Query::default(),
            )
            .await
    }
}
