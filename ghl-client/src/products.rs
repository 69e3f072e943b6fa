//! Products and their prices. `Version: 2021-07-28`.

use reqwest::Method;
use serde::{Deserialize, Serialize};

use crate::client::{Call, GhlClient};
use crate::error::Error;
use crate::ids::{LocationId, PriceId, ProductId};
use crate::open_enum::open_enum;
use crate::pagination::{Listed, RejectedItem};
use crate::scope::Scope;

/// The `Version` header of the products API.
pub const VERSION: &str = "2021-07-28";

open_enum!(
    /// A product's type (`productType`).
    ProductType {
        /// `DIGITAL`
        Digital => "DIGITAL",
        /// `PHYSICAL`
        Physical => "PHYSICAL",
        /// `SERVICE`
        Service => "SERVICE",
        /// `PHYSICAL/DIGITAL`
        PhysicalDigital => "PHYSICAL/DIGITAL",
    }
);

open_enum!(
    /// A price's type.
    PriceType {
        /// `one_time`
        OneTime => "one_time",
        /// `recurring`
        Recurring => "recurring",
    }
);

/// A product, as GHL returns it.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Product {
    /// The product id (`_id`).
    #[serde(rename = "_id", alias = "id")]
    pub id: ProductId,
    /// Its location.
    #[serde(default)]
    pub location_id: Option<LocationId>,
    /// Its name.
    #[serde(default)]
    pub name: Option<String>,
    /// Its type.
    #[serde(default)]
    pub product_type: Option<ProductType>,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// Image URL.
    #[serde(default)]
    pub image: Option<String>,
    /// Whether it is sold in the store.
    #[serde(default)]
    pub available_in_store: Option<bool>,
    /// When it was created (ISO 8601).
    #[serde(default, deserialize_with = "crate::de::lenient_string")]
    pub created_at: Option<String>,
    /// When it was last updated (ISO 8601).
    #[serde(default, deserialize_with = "crate::de::lenient_string")]
    pub updated_at: Option<String>,
}

/// The body of `POST /products/` and `PUT /products/{productId}` (GHL expects the full product
/// on update). Required: `name`, `productType`, `locationId` (the client's when unset).
///
/// ```
/// use ghl_client::products::{CreateProduct, ProductType};
///
/// let product = CreateProduct::new("Argan oil", ProductType::Physical)
///     .description("Brand · Hair care")
///     .available_in_store(true);
/// assert_eq!(product.get_name(), "Argan oil");
/// ```
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateProduct {
    #[serde(skip_serializing_if = "Option::is_none")]
    location_id: Option<LocationId>,
    name: String,
    product_type: ProductType,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    image: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    available_in_store: Option<bool>,
}

impl CreateProduct {
    /// A product with a name and a type.
    pub fn new(name: impl Into<String>, product_type: ProductType) -> Self {
        Self {
            location_id: None,
            name: name.into(),
            product_type,
            description: None,
            image: None,
            available_in_store: None,
        }
    }

    /// The location (default: the client's).
    pub fn location_id(mut self, id: impl Into<LocationId>) -> Self {
        self.location_id = Some(id.into());
        self
    }

    /// Description.
    pub fn description(mut self, text: impl Into<String>) -> Self {
        self.description = Some(text.into());
        self
    }

    /// Sets or clears the description.
    pub fn set_description(mut self, text: Option<String>) -> Self {
        self.description = text;
        self
    }

    /// Image URL.
    pub fn image(mut self, url: impl Into<String>) -> Self {
        self.image = Some(url.into());
        self
    }

    /// Whether it is sold in the store.
    pub fn available_in_store(mut self, available: bool) -> Self {
        self.available_in_store = Some(available);
        self
    }

    /// The name.
    pub fn get_name(&self) -> &str {
        &self.name
    }

    /// The type.
    pub fn get_product_type(&self) -> &ProductType {
        &self.product_type
    }

    /// The description, if set.
    pub fn get_description(&self) -> Option<&str> {
        self.description.as_deref()
    }

    /// Whether it is sold in the store, if set.
    pub fn get_available_in_store(&self) -> Option<bool> {
        self.available_in_store
    }

    fn located(&self, location: &LocationId) -> Self {
        let mut body = self.clone();
        body.location_id.get_or_insert_with(|| location.clone());
        body
    }
}

/// The body of `PUT /products/{productId}`: GHL expects the full product.
pub type UpdateProduct = CreateProduct;

/// A price of a product, as GHL returns it.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Price {
    /// The price id (`_id`).
    #[serde(rename = "_id", alias = "id")]
    pub id: PriceId,
    /// The product.
    #[serde(default)]
    pub product: Option<ProductId>,
    /// Its name.
    #[serde(default)]
    pub name: Option<String>,
    /// Its type.
    #[serde(default, rename = "type")]
    pub price_type: Option<PriceType>,
    /// ISO currency code.
    #[serde(default)]
    pub currency: Option<String>,
    /// Amount in currency units (such as `25.5`).
    #[serde(default)]
    pub amount: Option<f64>,
    /// SKU. **Not part of GHL's documented price answers** (only the request bodies carry
    /// it): `None` unless GHL happens to echo it, so never rely on it to recognise a price.
    #[serde(default)]
    pub sku: Option<String>,
    /// Whether stock is tracked.
    #[serde(default)]
    pub track_inventory: Option<bool>,
    /// Stock.
    #[serde(default)]
    pub available_quantity: Option<f64>,
}

/// The body of `POST /products/{productId}/price` and `PUT /products/{productId}/price/{priceId}`
/// (GHL expects the full price on update). Required: `name`, `type`, `currency`, `amount`,
/// `locationId` (the client's when unset).
///
/// ```
/// use ghl_client::products::CreatePrice;
///
/// let price = CreatePrice::one_time("Argan oil", "EUR", 24.5).sku("ARG-50");
/// assert_eq!(price.get_amount(), 24.5);
/// assert_eq!(price.get_sku(), Some("ARG-50"));
/// ```
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatePrice {
    #[serde(skip_serializing_if = "Option::is_none")]
    location_id: Option<LocationId>,
    name: String,
    #[serde(rename = "type")]
    price_type: PriceType,
    currency: String,
    amount: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    sku: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    track_inventory: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    available_quantity: Option<i64>,
}

impl CreatePrice {
    /// A price of this type.
    pub fn new(
        name: impl Into<String>,
        price_type: PriceType,
        currency: impl Into<String>,
        amount: f64,
    ) -> Self {
        Self {
            location_id: None,
            name: name.into(),
            price_type,
            currency: currency.into(),
            amount,
            sku: None,
            track_inventory: None,
            available_quantity: None,
        }
    }

    /// A one-time price.
    pub fn one_time(name: impl Into<String>, currency: impl Into<String>, amount: f64) -> Self {
        Self::new(name, PriceType::OneTime, currency, amount)
    }

    /// The location (default: the client's).
    pub fn location_id(mut self, id: impl Into<LocationId>) -> Self {
        self.location_id = Some(id.into());
        self
    }

    /// SKU.
    pub fn sku(mut self, sku: impl Into<String>) -> Self {
        self.sku = Some(sku.into());
        self
    }

    /// Sets or clears the SKU.
    pub fn set_sku(mut self, sku: Option<String>) -> Self {
        self.sku = sku;
        self
    }

    /// Whether stock is tracked.
    pub fn track_inventory(mut self, track: bool) -> Self {
        self.track_inventory = Some(track);
        self
    }

    /// Stock.
    pub fn available_quantity(mut self, quantity: i64) -> Self {
        self.available_quantity = Some(quantity);
        self
    }

    /// The name.
    pub fn get_name(&self) -> &str {
        &self.name
    }

    /// The type.
    pub fn get_price_type(&self) -> &PriceType {
        &self.price_type
    }

    /// The currency.
    pub fn get_currency(&self) -> &str {
        &self.currency
    }

    /// The amount.
    pub fn get_amount(&self) -> f64 {
        self.amount
    }

    /// The SKU, if set.
    pub fn get_sku(&self) -> Option<&str> {
        self.sku.as_deref()
    }

    fn located(&self, location: &LocationId) -> Self {
        let mut body = self.clone();
        body.location_id.get_or_insert_with(|| location.clone());
        body
    }
}

/// The body of `PUT /products/{productId}/price/{priceId}`: GHL expects the full price (`name`,
/// `type`, `currency`, `amount` and `locationId` are required), so an update carries the same
/// fields as a create.
pub type UpdatePrice = CreatePrice;

/// The query of `GET /products/`.
///
/// ```
/// use ghl_client::products::ListProducts;
///
/// let query = ListProducts::new().search("argan").limit(20);
/// # let _ = query;
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ListProducts {
    limit: Option<u32>,
    offset: Option<u32>,
    search: Option<String>,
}

impl ListProducts {
    /// The first page (GHL's default size).
    pub fn new() -> Self {
        Self::default()
    }

    /// Page size.
    pub fn limit(mut self, limit: u32) -> Self {
        self.limit = Some(limit);
        self
    }

    /// Offset.
    pub fn offset(mut self, offset: u32) -> Self {
        self.offset = Some(offset);
        self
    }

    /// Name search.
    pub fn search(mut self, text: impl Into<String>) -> Self {
        self.search = Some(text.into());
        self
    }
}

/// A page of products.
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct ProductList {
    /// The products that decoded.
    pub products: Vec<Product>,
    /// Products that did not decode (see [`Listed`]).
    pub rejected: Vec<RejectedItem>,
    /// The total, when GHL reports it (as `total: [{total}]`, or a plain number).
    pub total: Option<u64>,
}

fn total_of(value: Option<&serde_json::Value>) -> Option<u64> {
    match value? {
        serde_json::Value::Number(n) => n.as_u64(),
        serde_json::Value::Array(items) => items.first()?.get("total")?.as_u64(),
        _ => None,
    }
}

/// `client.products()`.
#[derive(Debug, Clone, Copy)]
pub struct ProductsHandler<'c> {
    client: &'c GhlClient,
}

impl<'c> ProductsHandler<'c> {
    pub(crate) fn new(client: &'c GhlClient) -> Self {
        Self { client }
    }

    /// `POST /products/`. Needs `products.write`. **Not idempotent**: retried only on 429 and
    /// connect errors; after an ambiguous failure ([`Error::may_have_been_applied`]) list by
    /// name before creating again.
    pub async fn create(&self, request: &CreateProduct) -> Result<Product, Error> {
        let call = Call::new(
            Method::POST,
            "/products/",
            &["products", ""],
            VERSION,
            Scope::ProductsWrite,
        )
        .json(&request.located(self.client.location_id()))?;
        self.client.send(call).await
    }

    /// `PUT /products/{productId}` with the full product (`locationId` in the body; the
    /// operation declares no query parameter). Needs `products.write`.
    /// [Reference](https://marketplace.gohighlevel.com/docs/ghl/products/update-product-by-id).
    pub async fn update(&self, id: &ProductId, request: &UpdateProduct) -> Result<Product, Error> {
        let call = Call::new(
            Method::PUT,
            "/products/{id}",
            &["products", id.as_str()],
            VERSION,
            Scope::ProductsWrite,
        )
        .json(&request.located(self.client.location_id()))?;
        self.client.send(call).await
    }

    /// `GET /products/{productId}?locationId=`. Needs `products.readonly`.
    pub async fn get(&self, id: &ProductId) -> Result<Product, Error> {
        let call = Call::new(
            Method::GET,
            "/products/{id}",
            &["products", id.as_str()],
            VERSION,
            Scope::ProductsReadonly,
        )
        .query("locationId", self.client.location_id());
        self.client.send(call).await
    }

    /// `GET /products/?locationId=&limit=&offset=&search=`. Needs `products.readonly`.
    pub async fn list(&self, query: &ListProducts) -> Result<ProductList, Error> {
        let call = Call::new(
            Method::GET,
            "/products/",
            &["products", ""],
            VERSION,
            Scope::ProductsReadonly,
        )
        .query("locationId", self.client.location_id())
        .query_opt("limit", query.limit)
        .query_opt("offset", query.offset)
        .query_opt("search", query.search.as_deref());
        let mut answer = self.client.send_json(call).await?;
        let total = total_of(answer.body().get("total"));
        let products: Listed<Product> = answer.list("products")?;
        Ok(ProductList {
            products: products.items,
            rejected: products.rejected,
            total,
        })
    }

    /// `DELETE /products/{productId}?locationId=`. Needs `products.write`.
    pub async fn delete(&self, id: &ProductId) -> Result<(), Error> {
        let call = Call::new(
            Method::DELETE,
            "/products/{id}",
            &["products", id.as_str()],
            VERSION,
            Scope::ProductsWrite,
        )
        .query("locationId", self.client.location_id());
        self.client.send_unit(call).await
    }

    /// `POST /products/{productId}/price`. Needs `products/prices.write`. **Not idempotent**
    /// (see [`create`](Self::create)).
    pub async fn create_price(
        &self,
        product: &ProductId,
        request: &CreatePrice,
    ) -> Result<Price, Error> {
        let call = Call::new(
            Method::POST,
            "/products/{id}/price",
            &["products", product.as_str(), "price"],
            VERSION,
            Scope::PricesWrite,
        )
        .json(&request.located(self.client.location_id()))?;
        self.client.send(call).await
    }

    /// `PUT /products/{productId}/price/{priceId}` with the full price (`locationId` in the
    /// body, the client's when unset; no query string). Replaces the price's fields and
    /// answers the updated price. Idempotent (a `PUT`), so retried like any update. Needs
    /// `products/prices.write`.
    ///
    /// ```no_run
    /// # async fn demo(client: &ghl_client::GhlClient) -> Result<(), ghl_client::Error> {
    /// use ghl_client::products::UpdatePrice;
    /// use ghl_client::{PriceId, ProductId};
    ///
    /// let request = UpdatePrice::one_time("Argan oil", "EUR", 27.5);
    /// let price = client
    ///     .products()
    ///     .update_price(&ProductId::from("p-1"), &PriceId::from("pr-1"), &request)
    ///     .await?;
    /// assert_eq!(price.amount, Some(27.5));
    /// # Ok(())
    /// # }
    /// ```
    pub async fn update_price(
        &self,
        product: &ProductId,
        price: &PriceId,
        request: &UpdatePrice,
    ) -> Result<Price, Error> {
        let call = Call::new(
            Method::PUT,
            "/products/{id}/price/{priceId}",
            &["products", product.as_str(), "price", price.as_str()],
            VERSION,
            Scope::PricesWrite,
        )
        .json(&request.located(self.client.location_id()))?;
        self.client.send(call).await
    }

    /// `GET /products/{productId}/price?locationId=`. Needs `products/prices.readonly`. A
    /// price that does not decode is reported in [`Listed::rejected`], the others are kept.
    pub async fn list_prices(&self, product: &ProductId) -> Result<Listed<Price>, Error> {
        let call = Call::new(
            Method::GET,
            "/products/{id}/price",
            &["products", product.as_str(), "price"],
            VERSION,
            Scope::PricesReadonly,
        )
        .query("locationId", self.client.location_id());
        self.client.send_json(call).await?.list("prices")
    }
}
