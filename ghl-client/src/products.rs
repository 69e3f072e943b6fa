//! Products and their prices. `Version: 2021-07-28`.

use reqwest::Method;
use serde::{Deserialize, Serialize};

use crate::client::{Call, GhlClient};
use crate::error::Error;
use crate::ids::{LocationId, PriceId, ProductId};
use crate::open_enum::open_enum;
use crate::scope::Scope;

/// The `Version` header of the products API.
pub const VERSION: &str = "2021-07-28";

open_enum!(
    /// A product's type.
    ProductType {
        /// `DIGITAL`
        Digital => "DIGITAL",
        /// `PHYSICAL`
        Physical => "PHYSICAL",
        /// `SERVICE`
        Service => "SERVICE",
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

/// A product.
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
}

/// The body of `POST /products/` and `PUT /products/{id}`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateProduct {
    /// The location; the client's when `None`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location_id: Option<LocationId>,
    /// The name.
    pub name: String,
    /// The type.
    pub product_type: ProductType,
    /// Description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Image URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// Whether it is sold in the store.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub available_in_store: Option<bool>,
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
}

/// The body of `PUT /products/{id}`: GHL expects the full product.
pub type UpdateProduct = CreateProduct;

/// A price of a product.
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
    /// SKU.
    #[serde(default)]
    pub sku: Option<String>,
}

/// The body of `POST /products/{id}/price`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatePrice {
    /// The location; the client's when `None`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location_id: Option<LocationId>,
    /// The name.
    pub name: String,
    /// The type.
    #[serde(rename = "type")]
    pub price_type: PriceType,
    /// ISO currency code, such as `EUR`.
    pub currency: String,
    /// Amount in currency units.
    pub amount: f64,
    /// SKU.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sku: Option<String>,
    /// Whether stock is tracked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub track_inventory: Option<bool>,
    /// Stock.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub available_quantity: Option<i64>,
}

impl CreatePrice {
    /// A one-time price.
    pub fn one_time(name: impl Into<String>, currency: impl Into<String>, amount: f64) -> Self {
        Self {
            location_id: None,
            name: name.into(),
            price_type: PriceType::OneTime,
            currency: currency.into(),
            amount,
            sku: None,
            track_inventory: None,
            available_quantity: None,
        }
    }
}

/// The body of `PUT /products/{id}/price/{priceId}`: GHL expects the full price (`name`,
/// `type`, `currency`, `amount` and `locationId` are required), so an update carries the same
/// fields as a create.
pub type UpdatePrice = CreatePrice;

/// The query of `GET /products/`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ListProducts {
    /// Page size.
    pub limit: Option<u32>,
    /// Offset.
    pub offset: Option<u32>,
    /// Name search.
    pub search: Option<String>,
}

/// A page of products.
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct ProductList {
    /// The products.
    pub products: Vec<Product>,
    /// The total, when GHL reports it (as `total` or `total: [{total}]`).
    pub total: Option<u64>,
}

#[derive(Deserialize)]
struct ProductsEnvelope {
    #[serde(default)]
    products: Vec<Product>,
    #[serde(default)]
    total: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct PricesEnvelope {
    #[serde(default)]
    prices: Vec<Price>,
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

    fn located(&self, request: &CreateProduct) -> CreateProduct {
        let mut request = request.clone();
        if request.location_id.is_none() {
            request.location_id = Some(self.client.location_id().clone());
        }
        request
    }

    fn located_price(&self, request: &CreatePrice) -> CreatePrice {
        let mut request = request.clone();
        if request.location_id.is_none() {
            request.location_id = Some(self.client.location_id().clone());
        }
        request
    }

    /// `POST /products/`. **Not idempotent**: retried only on 429 and connect errors; after an
    /// ambiguous failure ([`Error::may_have_been_applied`]) list by name before creating again.
    /// Needs `products.write`.
    pub async fn create(&self, request: &CreateProduct) -> Result<Product, Error> {
        let call = Call::new(
            Method::POST,
            "/products/",
            &["products", ""],
            VERSION,
            Scope::ProductsWrite,
        )
        .json(&self.located(request))?;
        self.client.send(call).await
    }

    /// `PUT /products/{id}?locationId=`.
    pub async fn update(&self, id: &ProductId, request: &UpdateProduct) -> Result<Product, Error> {
        let call = Call::new(
            Method::PUT,
            "/products/{id}",
            &["products", id.as_str()],
            VERSION,
            Scope::ProductsWrite,
        )
        .query("locationId", self.client.location_id())
        .json(&self.located(request))?;
        self.client.send(call).await
    }

    /// `GET /products/{id}?locationId=`.
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

    /// `GET /products/?locationId=&limit=&offset=&search=`.
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
        let envelope: ProductsEnvelope = self.client.send(call).await?;
        Ok(ProductList {
            total: total_of(envelope.total.as_ref()),
            products: envelope.products,
        })
    }

    /// `DELETE /products/{id}?locationId=`.
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

    /// `POST /products/{id}/price`. **Not idempotent** (see [`create`](Self::create)). Needs
    /// `products/prices.write`.
    pub async fn create_price(
        &self,
        product: &ProductId,
        request: &CreatePrice,
    ) -> Result<Price, Error> {
        let request = self.located_price(request);
        let call = Call::new(
            Method::POST,
            "/products/{id}/price",
            &["products", product.as_str(), "price"],
            VERSION,
            Scope::PricesWrite,
        )
        .json(&request)?;
        self.client.send(call).await
    }

    /// `PUT /products/{id}/price/{priceId}` with the full price (`locationId` in the body, the
    /// client's when `None`; no query string). Replaces the price's fields and answers the updated
    /// price. Idempotent (a `PUT`), so retried like any update. Needs `products/prices.write`.
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
        let request = self.located_price(request);
        let call = Call::new(
            Method::PUT,
            "/products/{id}/price/{priceId}",
            &["products", product.as_str(), "price", price.as_str()],
            VERSION,
            Scope::PricesWrite,
        )
        .json(&request)?;
        self.client.send(call).await
    }

    /// `GET /products/{id}/price?locationId=`.
    pub async fn list_prices(&self, product: &ProductId) -> Result<Vec<Price>, Error> {
        let call = Call::new(
            Method::GET,
            "/products/{id}/price",
            &["products", product.as_str(), "price"],
            VERSION,
            Scope::PricesReadonly,
        )
        .query("locationId", self.client.location_id());
        let envelope: PricesEnvelope = self.client.send(call).await?;
        Ok(envelope.prices)
    }
}
