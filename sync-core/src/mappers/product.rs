//! Phorest products → GHL products with prices.
//!
//! A product becomes a `PHYSICAL` GHL product named after it (description:
//! brand and category) and one one-time price in the branch currency with the
//! Phorest price. Archived products are skipped by default
//! ([`MapperOptions::skip_archived_products`]). A product without a usable
//! price is still created, without a price, and reported with a warning.
//!
//! Purchases of products become tags in [`purchase`](super::purchase).

use ghl_client::products::{CreatePrice, CreateProduct, ProductType};
use phorest_client::Product;

use super::{MapperOptions, SkipReason, clean};

/// A product request and its price request.
#[derive(Clone, Debug, PartialEq)]
pub struct MappedProduct {
    /// The product body.
    pub product: CreateProduct,
    /// The price body, if the product has a usable price and the branch a currency.
    pub price: Option<CreatePrice>,
    /// Caveats for the report.
    pub warnings: Vec<String>,
}

/// Maps one product. `currency` is the branch's ISO 4217 code.
pub fn map_product(
    product: &Product,
    currency: Option<&str>,
    options: &MapperOptions,
) -> Result<MappedProduct, SkipReason> {
    if product.archived && options.skip_archived_products {
        return Err(SkipReason::Archived);
    }
    let Some(name) = clean(product.name.as_deref()) else {
        return Err(SkipReason::InvalidData {
            detail: "product has no name; name it in Phorest".to_owned(),
        });
    };
    let description_parts: Vec<String> = [
        clean(product.brand_name.as_deref()),
        clean(product.category_name.as_deref()),
    ]
    .into_iter()
    .flatten()
    .collect();
    let request = CreateProduct::new(name.clone(), ProductType::Physical)
        .set_description((!description_parts.is_empty()).then(|| description_parts.join(" · ")))
        .available_in_store(true);

    let mut warnings = Vec::new();
    let currency = currency
        .map(|c| c.trim().to_ascii_uppercase())
        .filter(|c| c.len() == 3 && c.chars().all(|ch| ch.is_ascii_alphabetic()));
    let price = match (product.price, currency) {
        (Some(amount), Some(currency)) if amount.is_finite() && amount >= 0.0 => {
            let price = CreatePrice::one_time(name, currency, (amount * 100.0).round() / 100.0)
                .set_sku(
                    clean(product.code.as_deref()).or_else(|| clean(product.barcode.as_deref())),
                );
            Some(price)
        }
        (Some(_), Some(_)) => {
            warnings.push(
                "product price is negative or not a number; created without a price".to_owned(),
            );
            None
        }
        (None, _) => {
            warnings.push("product has no price; created without a price".to_owned());
            None
        }
        (Some(_), None) => {
            warnings.push(
                "the branch has no valid currency code; product created without a price".to_owned(),
            );
            None
        }
    };
    Ok(MappedProduct {
        product: request,
        price,
        warnings,
    })
}
