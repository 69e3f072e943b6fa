//! Products of one branch: `GET /{businessId}/branch/{branchId}/product`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::PhorestClient;
use crate::de;
use crate::error::{Operation, Result};
use crate::ids::{BranchId, CategoryId, ProductId};
use crate::page::{ItemStream, ListSpec, Listed, PageStream};
use crate::query::{Query, UpdatedWindow, params, updated_window_setters};

/// A product (`_embedded.products[]`). Quantities may be fractional.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
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

/// Filters for the product list (`GET /{businessId}/branch/{branchId}/product`).
///
/// Phorest rejects one update bound without the other, so when only one of
/// [`updated_after`](Self::updated_after)/[`updated_before`](Self::updated_before) is set the
/// other is filled in when the request is sent (the Unix epoch, or one day after now).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ProductQuery {
    updated: UpdatedWindow,
    product_type: Option<String>,
    search: Option<String>,
    include_archived: bool,
}

impl ProductQuery {
    /// No filter: Phorest's defaults (archived products hidden).
    pub fn new() -> Self {
        Self::default()
    }

    /// Every product, archived included.
    pub fn all() -> Self {
        Self::new().include_archived(true)
    }

    updated_window_setters!();

    /// `productType` (name UNCONFIRMED), e.g. `RETAIL`.
    pub fn product_type(mut self, product_type: impl Into<String>) -> Self {
        self.product_type = Some(product_type.into());
        self
    }

    /// `searchQuery`: name or barcode (name UNCONFIRMED).
    pub fn search(mut self, text: impl Into<String>) -> Self {
        self.search = Some(text.into());
        self
    }

    /// `includeArchived=true` (name UNCONFIRMED).
    pub fn include_archived(mut self, include: bool) -> Self {
        self.include_archived = include;
        self
    }

    pub(crate) fn to_query(&self) -> Query {
        let mut q = Query::default();
        self.updated.push_both(&mut q);
        q.opt(params::PRODUCT_TYPE, self.product_type.as_deref())
            .opt(params::PRODUCT_SEARCH, self.search.as_deref())
            .flag(params::PRODUCT_INCLUDE_ARCHIVED, self.include_archived);
        q
    }

    /// The query parameters this sends, without `page`/`size` (feature `test-util`).
    #[cfg(feature = "test-util")]
    pub fn to_pairs(&self) -> Vec<(&'static str, String)> {
        self.to_query().into()
    }
}

/// Page size of the product list: 100, what production callers use (200 is unconfirmed).
const PAGE_SIZE: u32 = 100;

impl Listed for Product {
    const ID_FIELDS: &'static [&'static str] = &["productId"];
}

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
            operation: Operation::get("/{businessId}/branch/{branchId}/product"),
            segments: vec!["branch".into(), self.branch.to_string(), "product".into()],
            query: query.to_query(),
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

    /// Adjusts stock by barcode (`POST …/stock/adjustment`); the answer body is not read.
    /// Not replayed after an ambiguous failure: re-read the product's `quantityInStock`
    /// before adjusting again.
    pub async fn adjust_stock(&self, adjustment: &crate::StockAdjustment) -> Result<()> {
        let body = crate::resources::clients::to_body(adjustment);
        self.client
            .write_empty(
                crate::resources::sales::ADJUST_STOCK,
                &["branch", self.branch.as_str(), "stock", "adjustment"],
                Some(&body),
            )
            .await
            .map(drop)
    }

    /// One product.
    pub async fn get(&self, id: &ProductId) -> Result<Product> {
        self.client
            .get_json(
                Operation::get("/{businessId}/branch/{branchId}/product/{productId}"),
                &["branch", self.branch.as_str(), "product", id.as_str()],
                &Query::default(),
            )
            .await
    }
}
