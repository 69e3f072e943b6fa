//! Products (`_id`) and their prices.

use serde_json::{Map, Value, json};

use super::reply::{self, Outcome, Reply};
use super::router::Ctx;
use super::state::{Entity, State, entity};

const PRODUCT_TYPES: &[&str] = &["DIGITAL", "PHYSICAL", "SERVICE", "PHYSICAL/DIGITAL"];
const PRODUCT_FIELDS: &[&str] = &[
    "name",
    "description",
    "productType",
    "image",
    "statementDescriptor",
    "availableInStore",
    "collectionIds",
    "slug",
];
const PRICE_FIELDS: &[&str] = &[
    "name",
    "type",
    "currency",
    "amount",
    "recurring",
    "description",
    "compareAtPrice",
    "trackInventory",
    "availableQuantity",
    "allowOutOfStockPurchases",
    "sku",
    "userId",
];

fn product_index(state: &State, ctx: &Ctx, id: &str) -> Result<usize, Reply> {
    state
        .products
        .iter()
        .position(|p| p.id == id && p.location_id == ctx.location_id)
        .ok_or_else(|| reply::not_found("Product"))
}

/// Checks and copies product properties; `name` and `productType` are required on create.
fn product_data(
    ctx: &Ctx,
    mut data: Map<String, Value>,
    creating: bool,
) -> Result<Map<String, Value>, Reply> {
    let body = ctx.body()?;
    ctx.body_location()?;
    let mut errors = Vec::new();
    let name = body
        .get("name")
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty());
    if creating && name.is_none() {
        errors.push("name should not be empty".to_owned());
    }
    match body.get("productType").and_then(Value::as_str) {
        Some(t) if PRODUCT_TYPES.contains(&t) => {}
        None if !creating => {}
        _ => errors.push("productType must be one of the following values: DIGITAL, PHYSICAL, SERVICE, PHYSICAL/DIGITAL".to_owned()),
    }
    if !errors.is_empty() {
        return Err(reply::validation(errors));
    }
    for key in PRODUCT_FIELDS {
        if let Some(v) = body.get(*key) {
            data.insert((*key).into(), v.clone());
        }
    }
    data.insert("locationId".into(), json!(ctx.location_id));
    Ok(data)
}

/// `POST /products/` → the flat product with `_id`.
pub(crate) fn create(state: &mut State, ctx: &Ctx) -> Outcome {
    let mut data = product_data(ctx, Map::new(), true)?;
    let id = state.ids.next_id();
    let now = state.stamp().1;
    data.insert("_id".into(), json!(id));
    data.insert("createdAt".into(), json!(now));
    data.insert("updatedAt".into(), json!(now));
    data.entry("availableInStore").or_insert(json!(false));
    data.entry("variants").or_insert(json!([]));
    let product = entity(&id, &ctx.location_id, None, Value::Object(data));
    let out = product.to_json();
    state.products.push(product);
    Ok(Reply::created(out))
}

/// `GET /products/?locationId&limit&offset&search` → `{products, total: [{total}]}`.
pub(crate) fn list(state: &mut State, ctx: &Ctx) -> Outcome {
    ctx.query_location()?;
    let number = |key: &str, default: usize| -> Result<usize, Reply> {
        match ctx.query(key) {
            None => Ok(default),
            Some(v) => v
                .parse::<usize>()
                .map_err(|_| reply::invalid(format!("{key} must be a non-negative integer"))),
        }
    };
    let limit = number("limit", 20)?;
    let offset = number("offset", 0)?;
    let search = ctx.query("search").map(str::to_lowercase);
    let matching: Vec<&Entity> = state
        .products
        .iter()
        .filter(|p| p.location_id == ctx.location_id)
        .filter(|p| {
            search.as_ref().is_none_or(|s| {
                p.str_field("name")
                    .is_some_and(|n| n.to_lowercase().contains(s.as_str()))
            })
        })
        .collect();
    let total = matching.len();
    let products: Vec<Value> = matching
        .into_iter()
        .skip(offset)
        .take(limit)
        .map(Entity::to_json)
        .collect();
    Ok(Reply::ok(
        json!({"products": products, "total": [{"total": total}]}),
    ))
}

/// `GET /products/{id}?locationId=`.
pub(crate) fn get(state: &mut State, ctx: &Ctx, id: &str) -> Outcome {
    ctx.query_location()?;
    let index = product_index(state, ctx, id)?;
    Ok(Reply::ok(
        state
            .products
            .get(index)
            .map(Entity::to_json)
            .unwrap_or_default(),
    ))
}

/// `PUT /products/{id}` (full product body, `locationId` in the body; the route declares no
/// query parameter, so `?locationId=` is refused with 422 by the router).
pub(crate) fn update(state: &mut State, ctx: &Ctx, id: &str) -> Outcome {
    let index = product_index(state, ctx, id)?;
    let base = state
        .products
        .get(index)
        .map(|p| p.data.clone())
        .unwrap_or_default();
    let mut data = product_data(ctx, base, false)?;
    data.insert("updatedAt".into(), json!(state.stamp().1));
    let product = state
        .products
        .get_mut(index)
        .ok_or_else(|| reply::not_found("Product"))?;
    product.data = data;
    Ok(Reply::ok(product.to_json()))
}

/// `DELETE /products/{id}?locationId=` (its prices go with it).
pub(crate) fn delete(state: &mut State, ctx: &Ctx, id: &str) -> Outcome {
    ctx.query_location()?;
    let index = product_index(state, ctx, id)?;
    state.products.remove(index);
    state.prices.retain(|p| p.parent.as_deref() != Some(id));
    Ok(Reply::ok(json!({"status": true})))
}

/// Checks a full price body (`name`, `type`, `currency`, `amount`, `locationId`) and copies its
/// known fields onto `data`. Used by both price create and price update (GHL's update DTO has the
/// same required fields as its create DTO).
fn price_data(ctx: &Ctx, mut data: Map<String, Value>) -> Result<Map<String, Value>, Reply> {
    let body = ctx.body()?;
    ctx.body_location()?;
    let mut errors = Vec::new();
    if body
        .get("name")
        .and_then(Value::as_str)
        .is_none_or(|s| s.trim().is_empty())
    {
        errors.push("name should not be empty".to_owned());
    }
    let kind = body.get("type").and_then(Value::as_str);
    if !kind.is_some_and(|k| k == "one_time" || k == "recurring") {
        errors.push("type must be one of the following values: one_time, recurring".to_owned());
    }
    if kind == Some("recurring") && !body.get("recurring").is_some_and(Value::is_object) {
        errors.push("recurring must be an object when type is recurring".to_owned());
    }
    if !body
        .get("currency")
        .and_then(Value::as_str)
        .is_some_and(|c| c.len() == 3 && c.chars().all(|ch| ch.is_ascii_alphabetic()))
    {
        errors.push("currency must be a 3-letter ISO 4217 code".to_owned());
    }
    if !body
        .get("amount")
        .and_then(Value::as_f64)
        .is_some_and(|a| a >= 0.0)
    {
        errors.push("amount must not be less than 0".to_owned());
    }
    if !errors.is_empty() {
        return Err(reply::validation(errors));
    }
    for key in PRICE_FIELDS {
        if let Some(v) = body.get(*key) {
            data.insert((*key).into(), v.clone());
        }
    }
    Ok(data)
}

/// A price as GHL's price answers declare it: the stored price without `sku`, which only the
/// request bodies carry.
fn price_answer(price: &Entity) -> Value {
    let mut out = price.data.clone();
    out.remove("sku");
    Value::Object(out)
}

/// `POST /products/{id}/price` → the flat price with `_id` and `product` (no `sku`).
pub(crate) fn create_price(state: &mut State, ctx: &Ctx, product_id: &str) -> Outcome {
    ctx.body()?;
    ctx.body_location()?;
    product_index(state, ctx, product_id)?;
    let mut data = price_data(ctx, Map::new())?;
    let id = state.ids.next_id();
    let now = state.stamp().1;
    data.insert("_id".into(), json!(id));
    data.insert("product".into(), json!(product_id));
    data.insert("locationId".into(), json!(ctx.location_id));
    data.insert("membershipOffers".into(), json!([]));
    data.insert("variantOptionIds".into(), json!([]));
    data.insert("createdAt".into(), json!(now));
    data.insert("updatedAt".into(), json!(now));
    let price = entity(&id, &ctx.location_id, Some(product_id), Value::Object(data));
    let out = price_answer(&price);
    state.prices.push(price);
    Ok(Reply::created(out))
}

/// `PUT /products/{id}/price/{priceId}` (full price body, `locationId` in the body) → the
/// updated flat price (no `sku`). The price must belong to that product in the caller's location (404
/// `Price not found` otherwise); its id, product and `createdAt` are kept.
pub(crate) fn update_price(
    state: &mut State,
    ctx: &Ctx,
    product_id: &str,
    price_id: &str,
) -> Outcome {
    ctx.body()?;
    ctx.body_location()?;
    product_index(state, ctx, product_id)?;
    let index = state
        .prices
        .iter()
        .position(|p| {
            p.id == price_id
                && p.location_id == ctx.location_id
                && p.parent.as_deref() == Some(product_id)
        })
        .ok_or_else(|| reply::not_found("Price"))?;
    let base = state
        .prices
        .get(index)
        .map(|p| p.data.clone())
        .unwrap_or_default();
    let mut data = price_data(ctx, base)?;
    data.insert("_id".into(), json!(price_id));
    data.insert("product".into(), json!(product_id));
    data.insert("locationId".into(), json!(ctx.location_id));
    data.insert("updatedAt".into(), json!(state.stamp().1));
    let price = state
        .prices
        .get_mut(index)
        .ok_or_else(|| reply::not_found("Price"))?;
    price.data = data;
    Ok(Reply::ok(price_answer(price)))
}

/// `GET /products/{id}/price?locationId=` → `{prices, total}`.
pub(crate) fn prices(state: &mut State, ctx: &Ctx, product_id: &str) -> Outcome {
    ctx.query_location()?;
    product_index(state, ctx, product_id)?;
    let prices: Vec<Value> = state
        .prices
        .iter()
        .filter(|p| p.parent.as_deref() == Some(product_id))
        .map(price_answer)
        .collect();
    let total = prices.len();
    Ok(Reply::ok(json!({"prices": prices, "total": total})))
}
