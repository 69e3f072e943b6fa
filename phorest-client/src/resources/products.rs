//! Products of one branch: `GET /{businessId}/branch/{branchId}/product`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::PhorestClient;
use crate::de;
use crate::error::Result;
use crate::ids::{BranchId, CategoryId, ProductId};
use crate::page::{ItemStream, ListSpec, PageStream};
use crate::query::{Query, params};

/// A product (`_embedded.products[]`). Quantities may be fractional.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Product {
    /// Product id.
    pub product_id: ProductId,
    /// Parent product (variants).
    pub parent_product_id: Option<ProductId>,
    /// Name.
    pub name: Option<String>,
    /// Brand id.
    pub brand_id: Option<String>,
    /// Brand name.
    pub brand_name: Option<String>,
    /// Category id.
    pub category_id: Option<CategoryId>,
    /// Category name.
    pub category_name: Option<String>,
    /// Archived.
    #[serde(deserialize_with = "de::null_default")]
    pub archived: bool,
    /// Retail price.
    pub price: Option<f64>,
    /// Minimum stock quantity.
    pub min_quantity: Option<f64>,
    /// Maximum stock quantity.
    pub max_quantity: Option<f64>,
    /// Product type (e.g. retail, professional; values UNCONFIRMED).
    #[serde(rename = "type")]
    pub product_type: Option<String>,
    /// Barcode.
    #[serde(deserialize_with = "de::opt_string_or_number")]
    pub barcode: Option<String>,
    /// Measurement quantity.
    pub measurement_quantity: Option<f64>,
    /// Measurement unit.
    pub measurement_unit: Option<String>,
    /// Reorder count.
    pub reorder_count: Option<f64>,
    /// Reorder cost.
    pub reorder_cost: Option<f64>,
    /// Stock level.
    pub quantity_in_stock: Option<f64>,
    /// Product code.
    #[serde(deserialize_with = "de::opt_string_or_number")]
    pub code: Option<String>,
    /// Created.
    #[serde(
        deserialize_with = "de::opt_instant",
        serialize_with = "de::ser_opt_instant"
    )]
    pub created_at: Option<DateTime<Utc>>,
    /// Last updated.
    #[serde(
        deserialize_with = "de::opt_instant",
        serialize_with = "de::ser_opt_instant"
    )]
    pub updated_at: Option<DateTime<Utc>>,
}

/// Filters for the product list.
///
/// Phorest rejects one update bound without the other, so when only one of
/// `updated_after`/`updated_before` is set the other is filled in (the Unix epoch, or one day
/// after the request is built).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ProductQuery {
    /// Updated on/after (`updatedAfter`, name UNCONFIRMED).
    pub updated_after: Option<DateTime<Utc>>,
    /// Updated before (`updatedBefore`, name UNCONFIRMED).
    pub updated_before: Option<DateTime<Utc>>,
    /// `productType` (name UNCONFIRMED).
    pub product_type: Option<String>,
    /// `searchQuery`: name or barcode (name UNCONFIRMED).
    pub search: Option<String>,
    /// `includeArchived=true` (name UNCONFIRMED).
    pub include_archived: bool,
}

impl ProductQuery {
    /// Every product, archived included.
    pub fn all() -> Self {
        Self {
            include_archived: true,
            ..Self::default()
        }
    }

    /// Products updated in `after..before` (both bounds are sent).
    pub fn updated_between(after: DateTime<Utc>, before: DateTime<Utc>) -> Self {
        Self {
            updated_after: Some(after),
            updated_before: Some(before),
            include_archived: true,
            ..Self::default()
        }
    }

    /// The query parameters this sends (without `page`/`size`).
    pub fn to_pairs(&self) -> Vec<(&'static str, String)> {
        let (after, before) = match (self.updated_after, self.updated_before) {
            (None, None) => (None, None),
            (a, b) => (
                Some(a.unwrap_or(DateTime::UNIX_EPOCH)),
                Some(b.unwrap_or_else(|| Utc::now() + chrono::Duration::days(1))),
            ),
        };
        let mut q = Query::default();
        q.instant(params::PRODUCT_UPDATED_AFTER, after.as_ref())
            .instant(params::PRODUCT_UPDATED_BEFORE, before.as_ref())
            .opt(params::PRODUCT_TYPE, self.product_type.as_deref())
            .opt(params::PRODUCT_SEARCH, self.search.as_deref())
            .flag(params::PRODUCT_INCLUDE_ARCHIVED, self.include_archived);
        q.into()
    }
}

/// Maximum page size of the product list.
const PAGE_SIZE: u32 = 200;

/// Handler for one branch's products; see [`PhorestClient::products`].
#[derive(Clone, Debug)]
pub struct ProductsHandler {
    client: PhorestClient,
    branch: BranchId,
}

impl ProductsHandler {
    pub(crate) fn new(client: PhorestClient, branch: BranchId) -> Self {
        Self { client, branch }
    }

    fn spec(&self, query: &ProductQuery) -> ListSpec {
        ListSpec {
            template: "/{businessId}/branch/{branchId}/product",
            segments: vec!["branch".into(), self.branch.to_string(), "product".into()],
            query: Query::from_pairs(query.to_pairs()),
            key: "products",
            size: PAGE_SIZE,
        }
    }

    /// Pages of products from `start_page`.
    pub fn pages(&self, query: &ProductQuery, start_page: u32) -> PageStream<Product> {
        self.spec(query).pages(self.client.clone(), start_page)
    }

    /// Every matching product.
    pub fn list(&self, query: &ProductQuery) -> ItemStream<Product> {
        self.spec(query).items(self.client.clone())
    }

    /// One product.
    pub async fn get(&self, id: &ProductId) -> Result<Product> {
        self.client
            .get_json(
                "/{businessId}/branch/{branchId}/product/{productId}",
                &["branch", self.branch.as_str(), "product", id.as_str()],
                &Query::default(),
            )
            .await
    }
}
