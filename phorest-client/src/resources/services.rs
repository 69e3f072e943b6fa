//! Services and service categories of one branch.

use serde::{Deserialize, Serialize};

use crate::PhorestClient;
use crate::de;
use crate::error::{Operation, Result};
use crate::ids::{CategoryId, ServiceId, UserId};
use crate::macros::open_enum;
use crate::page::{ItemStream, ListSpec, Listed, PageStream};
use crate::query::{Query, params};

/// A per-staff price (`userPrices[]`), keyed by the staff member's user id.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct UserPrice {
    /// The staff member's business-level user id.
    pub user_ref: Option<UserId>,
    /// Price for this staff member.
    pub price: Option<f64>,
}

/// A service (`_embedded.services[]`). `serviceId` is the same in every branch.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct Service {
    /// Service id.
    pub service_id: ServiceId,
    /// Service category.
    pub category_id: Option<CategoryId>,
    /// Name.
    pub name: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Base price.
    pub price: Option<f64>,
    /// Duration (minutes, UNCONFIRMED unit).
    pub duration: Option<f64>,
    /// Gap time.
    pub gap_time: Option<f64>,
    /// Bookable online.
    #[serde(deserialize_with = "de::null_default")]
    pub internet_enabled: bool,
    /// Online description.
    pub internet_description: Option<String>,
    /// Archived.
    #[serde(deserialize_with = "de::null_default")]
    pub archived: bool,
    /// Deleted.
    #[serde(deserialize_with = "de::null_default")]
    pub deleted: bool,
    /// Per-staff prices (precedence: staff > staff category > `price`).
    #[serde(deserialize_with = "de::null_default")]
    pub user_prices: Vec<UserPrice>,
    /// Per-staff-category prices (shape UNCONFIRMED: kept as raw JSON).
    pub staff_categories: Option<serde_json::Value>,
    /// Add-on services (with `fetch_addon_services=true`; element shape UNCONFIRMED: ids as
    /// strings, or objects whose `id`/`serviceId` is kept).
    #[serde(deserialize_with = "de::lenient_ids")]
    pub addon_service_ids: Vec<ServiceId>,
    /// Only bookable as an add-on.
    #[serde(deserialize_with = "de::null_default")]
    pub is_addon_only: bool,
}

/// A service category (`_embedded.serviceCategories[]`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct ServiceCategory {
    /// Category id.
    pub category_id: CategoryId,
    /// Name.
    pub name: Option<String>,
    /// Description.
    pub description: Option<String>,
}

open_enum! {
    /// Which services to list (`service_type`).
    ServiceType {
        /// `services_only` (Phorest's default: hides add-on-only services).
        ServicesOnly => "services_only",
        /// `addons_only`.
        AddonsOnly => "addons_only",
        /// `services_and_addons` (use for a full sync).
        ServicesAndAddons => "services_and_addons",
    }
}

/// Filters for the service list (`GET /{businessId}/branch/{branchId}/service`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ServiceQuery {
    service_type: Option<ServiceType>,
    category_id: Option<CategoryId>,
    fetch_online_category: bool,
    fetch_addon_services: bool,
}

impl ServiceQuery {
    /// No filter: Phorest's defaults (add-on-only services hidden).
    pub fn new() -> Self {
        Self::default()
    }

    /// Every service and add-on (for a full sync).
    pub fn all() -> Self {
        Self::new()
            .service_type(ServiceType::ServicesAndAddons)
            .fetch_addon_services(true)
    }

    /// `service_type`.
    pub fn service_type(mut self, service_type: ServiceType) -> Self {
        self.service_type = Some(service_type);
        self
    }

    /// `category_id` (name UNCONFIRMED).
    pub fn category_id(mut self, id: impl Into<CategoryId>) -> Self {
        self.category_id = Some(id.into());
        self
    }

    /// `fetch_online_category=true`.
    pub fn fetch_online_category(mut self, fetch: bool) -> Self {
        self.fetch_online_category = fetch;
        self
    }

    /// `fetch_addon_services=true`.
    pub fn fetch_addon_services(mut self, fetch: bool) -> Self {
        self.fetch_addon_services = fetch;
        self
    }

    pub(crate) fn to_query(&self) -> Query {
        let mut q = Query::default();
        q.opt(params::SERVICE_TYPE, self.service_type.as_ref())
            .opt(params::SERVICE_CATEGORY_ID, self.category_id.as_ref())
            .flag(params::FETCH_ONLINE_CATEGORY, self.fetch_online_category)
            .flag(params::FETCH_ADDON_SERVICES, self.fetch_addon_services);
        q
    }

    /// The query parameters this sends, without `page`/`size` (feature `test-util`).
    #[cfg(feature = "test-util")]
    pub fn to_pairs(&self) -> Vec<(&'static str, String)> {
        self.to_query().into()
    }
}

/// Page size of the service and service category lists: 100 (200 is unconfirmed).
const PAGE_SIZE: u32 = 100;

impl Listed for Service {
    const ID_FIELDS: &'static [&'static str] = &["serviceId"];
}

impl Listed for ServiceCategory {
    const ID_FIELDS: &'static [&'static str] = &["categoryId"];
}

/// Handler for one branch's services; see [`PhorestClient::services`].
#[derive(Clone, Debug)]
pub struct ServicesHandler {
    client: PhorestClient,
    branch: crate::ids::BranchId,
}

impl ServicesHandler {
    pub(crate) fn new(client: PhorestClient, branch: crate::ids::BranchId) -> Self {
        Self { client, branch }
    }

    fn spec(
        &self,
        query: Query,
        leaf: &str,
        template: &'static str,
        key: &'static str,
    ) -> ListSpec {
        ListSpec {
            operation: Operation::get(template),
            segments: vec!["branch".into(), self.branch.to_string(), leaf.into()],
            query,
            key,
            size: PAGE_SIZE,
        }
    }

    fn services_spec(&self, query: &ServiceQuery) -> ListSpec {
        let q = query.to_query();
        self.spec(
            q,
            "service",
            "/{businessId}/branch/{branchId}/service",
            "services",
        )
    }

    fn categories_spec(&self) -> ListSpec {
        self.spec(
            Query::default(),
            "service-category",
            "/{businessId}/branch/{branchId}/service-category",
            "serviceCategories",
        )
    }

    /// Pages of services from `start_page`.
    pub fn pages(&self, query: &ServiceQuery, start_page: u32) -> PageStream<Service> {
        self.services_spec(query)
            .pages(self.client.clone(), start_page)
    }

    /// Every matching service.
    pub fn list(&self, query: &ServiceQuery) -> ItemStream<Service> {
        self.services_spec(query).items(self.client.clone())
    }

    /// One service.
    pub async fn get(&self, id: &ServiceId) -> Result<Service> {
        self.client
            .get_json(
                Operation::get("/{businessId}/branch/{branchId}/service/{serviceId}"),
                &["branch", self.branch.as_str(), "service", id.as_str()],
                &Query::default(),
            )
            .await
    }

    /// Pages of service categories from `start_page`.
    pub fn category_pages(&self, start_page: u32) -> PageStream<ServiceCategory> {
        self.categories_spec()
            .pages(self.client.clone(), start_page)
    }

    /// Every service category.
    pub fn categories(&self) -> ItemStream<ServiceCategory> {
        self.categories_spec().items(self.client.clone())
    }
}
