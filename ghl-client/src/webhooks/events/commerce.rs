//! Commerce events: invoices, orders, products and prices.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use crate::ids::{ContactId, InvoiceId, LocationId, OrderId, PriceId, ProductId, UserId};
use crate::open_enum::open_enum;
use crate::products::{PriceType, ProductType};
use crate::webhooks::de;
use crate::webhooks::events::contact::WebhookContact;

open_enum!(
    /// An invoice's status; the pages show `draft`, `sent`, `paid`, `partially_paid`, `void`
    /// and `delete` (on `InvoiceDelete`).
    InvoiceStatus {
        /// `draft`.
        Draft => "draft",
        /// `sent`.
        Sent => "sent",
        /// `paid`.
        Paid => "paid",
        /// `partially_paid`.
        PartiallyPaid => "partially_paid",
        /// `void`.
        Void => "void",
        /// `delete` (as `InvoiceDelete` sends it).
        Deleted => "delete",
    }
);

/// Payload of the seven invoice events
/// ([InvoiceCreate](https://marketplace.gohighlevel.com/docs/webhook/InvoiceCreate)). The pages'
/// examples carry no `type`; the invoice's location is `alt_id` when `alt_type` is `location`
/// ([`InvoiceEvent::location_id`]).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct InvoiceEvent {
    /// The invoice id (`_id`).
    #[serde(default, rename = "_id", deserialize_with = "de::opt_id")]
    pub id: Option<InvoiceId>,
    /// Status.
    #[serde(default)]
    pub status: Option<InvoiceStatus>,
    /// Live (not test) mode.
    #[serde(default, deserialize_with = "de::lenient_bool")]
    pub live_mode: Option<bool>,
    /// Amount paid so far.
    #[serde(default, deserialize_with = "de::lenient_f64")]
    pub amount_paid: Option<f64>,
    /// Owner id (the location id when `alt_type` is `location`).
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub alt_id: Option<String>,
    /// Owner kind (`location`).
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub alt_type: Option<String>,
    /// Invoice name.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub name: Option<String>,
    /// The issuing business.
    #[serde(default)]
    pub business_details: Option<InvoiceBusinessDetails>,
    /// Invoice number.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub invoice_number: Option<String>,
    /// Currency (ISO 4217).
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub currency: Option<String>,
    /// The billed contact.
    #[serde(default)]
    pub contact_details: Option<InvoiceContactDetails>,
    /// Issue date (`YYYY-MM-DD`).
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub issue_date: Option<String>,
    /// Due date (`YYYY-MM-DD`).
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub due_date: Option<String>,
    /// Discount.
    #[serde(default)]
    pub discount: Option<InvoiceDiscount>,
    /// Line items.
    #[serde(default, deserialize_with = "de::list")]
    pub invoice_items: Vec<InvoiceItem>,
    /// Total.
    #[serde(default, deserialize_with = "de::lenient_f64")]
    pub total: Option<f64>,
    /// Title (`INVOICE`).
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub title: Option<String>,
    /// Amount still due.
    #[serde(default, deserialize_with = "de::lenient_f64")]
    pub amount_due: Option<f64>,
    /// Created at.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub created_at: Option<String>,
    /// Updated at.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub updated_at: Option<String>,
    /// Totals.
    #[serde(default)]
    pub total_summary: Option<InvoiceTotalSummary>,
}

impl InvoiceEvent {
    /// The invoice's location: `alt_id` when `alt_type` is `location`.
    pub fn location_id(&self) -> Option<LocationId> {
        match (self.alt_type.as_deref(), &self.alt_id) {
            (Some(kind), Some(id)) if kind.eq_ignore_ascii_case("location") => {
                Some(LocationId::from(id.as_str()))
            }
            _ => None,
        }
    }
}

/// Payload of `InvoiceCreate`.
pub type InvoiceCreateEvent = InvoiceEvent;
/// Payload of `InvoiceUpdate`.
pub type InvoiceUpdateEvent = InvoiceEvent;
/// Payload of `InvoiceDelete`.
pub type InvoiceDeleteEvent = InvoiceEvent;
/// Payload of `InvoiceSent`.
pub type InvoiceSentEvent = InvoiceEvent;
/// Payload of `InvoicePaid`.
pub type InvoicePaidEvent = InvoiceEvent;
/// Payload of `InvoicePartiallyPaid`.
pub type InvoicePartiallyPaidEvent = InvoiceEvent;
/// Payload of `InvoiceVoid`.
pub type InvoiceVoidEvent = InvoiceEvent;

/// The issuing business of an invoice.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct InvoiceBusinessDetails {
    /// Name.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub name: Option<String>,
    /// Address.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub address: Option<String>,
    /// Phone.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub phone_no: Option<String>,
    /// Website.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub website: Option<String>,
    /// Logo URL.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub logo_url: Option<String>,
    /// Custom values, as sent.
    #[serde(default, deserialize_with = "de::list")]
    pub custom_values: Vec<Value>,
}

/// The billed contact of an invoice.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct InvoiceContactDetails {
    /// The contact id.
    #[serde(default, deserialize_with = "de::opt_id")]
    pub id: Option<ContactId>,
    /// Phone.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub phone_no: Option<String>,
    /// Email.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub email: Option<String>,
    /// Custom fields, as sent.
    #[serde(default, deserialize_with = "de::list")]
    pub custom_fields: Vec<Value>,
    /// Name.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub name: Option<String>,
    /// Postal address.
    #[serde(default)]
    pub address: Option<InvoiceAddress>,
    /// Further email addresses.
    #[serde(default, deserialize_with = "de::list")]
    pub additional_emails: Vec<AdditionalEmail>,
    /// Company name.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub company_name: Option<String>,
}

/// A postal address on an invoice.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct InvoiceAddress {
    /// Country (ISO alpha-2).
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub country_code: Option<String>,
    /// First line.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub address_line1: Option<String>,
    /// Second line.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub address_line2: Option<String>,
    /// City.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub city: Option<String>,
    /// State.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub state: Option<String>,
    /// Postal code.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub postal_code: Option<String>,
}

/// One further email address.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AdditionalEmail {
    /// The address.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub email: Option<String>,
}

/// An invoice discount.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct InvoiceDiscount {
    /// Kind (`percentage`, …), sent as `type`.
    #[serde(default, rename = "type", deserialize_with = "de::lenient_string")]
    pub kind: Option<String>,
    /// Amount or percentage.
    #[serde(default, deserialize_with = "de::lenient_f64")]
    pub value: Option<f64>,
}

/// One invoice line.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct InvoiceItem {
    /// Taxes, as sent.
    #[serde(default, deserialize_with = "de::list")]
    pub taxes: Vec<Value>,
    /// Line id (`_id`).
    #[serde(default, rename = "_id", deserialize_with = "de::lenient_string")]
    pub id: Option<String>,
    /// The product.
    #[serde(default, deserialize_with = "de::opt_id")]
    pub product_id: Option<ProductId>,
    /// The price.
    #[serde(default, deserialize_with = "de::opt_id")]
    pub price_id: Option<PriceId>,
    /// Currency.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub currency: Option<String>,
    /// Name.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub name: Option<String>,
    /// Quantity.
    #[serde(default, deserialize_with = "de::lenient_f64")]
    pub qty: Option<f64>,
    /// Unit amount.
    #[serde(default, deserialize_with = "de::lenient_f64")]
    pub amount: Option<f64>,
}

/// Invoice totals.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct InvoiceTotalSummary {
    /// Subtotal.
    #[serde(default, deserialize_with = "de::lenient_f64")]
    pub sub_total: Option<f64>,
    /// Discount amount.
    #[serde(default, deserialize_with = "de::lenient_f64")]
    pub discount: Option<f64>,
}

open_enum!(
    /// An order's status; the pages show `pending` and `completed`.
    OrderStatus {
        /// `pending`.
        Pending => "pending",
        /// `completed`.
        Completed => "completed",
    }
);

/// Payload of `OrderCreate` and `OrderStatusUpdate`
/// ([OrderCreate](https://marketplace.gohighlevel.com/docs/webhook/OrderCreate)).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct OrderEvent {
    /// The location (in the examples, not in the schema).
    #[serde(default, deserialize_with = "de::opt_id")]
    pub location_id: Option<LocationId>,
    /// The order id (`_id`).
    #[serde(default, rename = "_id", deserialize_with = "de::opt_id")]
    pub id: Option<OrderId>,
    /// Owner id (the location id when `alt_type` is `location`).
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub alt_id: Option<String>,
    /// Owner kind (`location`).
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub alt_type: Option<String>,
    /// The buyer.
    #[serde(default, deserialize_with = "de::opt_id")]
    pub contact_id: Option<ContactId>,
    /// The buyer as they were when ordering.
    #[serde(default)]
    pub contact_snapshot: Option<WebhookContact>,
    /// Status.
    #[serde(default)]
    pub status: Option<OrderStatus>,
    /// Fulfilment status (`unfulfilled`, …).
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub fulfillment_status: Option<String>,
    /// Currency.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub currency: Option<String>,
    /// Total amount.
    #[serde(default, deserialize_with = "de::lenient_f64")]
    pub amount: Option<f64>,
    /// Live (not test) mode.
    #[serde(default, deserialize_with = "de::lenient_bool")]
    pub live_mode: Option<bool>,
    /// Lines.
    #[serde(default, deserialize_with = "de::list")]
    pub items: Vec<OrderItem>,
    /// Amount breakdown.
    #[serde(default)]
    pub amount_summary: Option<OrderAmountSummary>,
    /// Taxes applied.
    #[serde(default, deserialize_with = "de::list")]
    pub tax_summary: Vec<OrderTax>,
    /// Where the order was placed.
    #[serde(default)]
    pub source: Option<OrderSource>,
    /// Created at.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub created_at: Option<String>,
    /// Updated at.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub updated_at: Option<String>,
}

/// Payload of `OrderCreate`.
pub type OrderCreateEvent = OrderEvent;
/// Payload of `OrderStatusUpdate`
/// ([page](https://marketplace.gohighlevel.com/docs/webhook/OrderStatusUpdate)).
pub type OrderStatusUpdateEvent = OrderEvent;

/// One order line.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct OrderItem {
    /// Line name.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub name: Option<String>,
    /// Quantity.
    #[serde(default, deserialize_with = "de::lenient_f64")]
    pub qty: Option<f64>,
    /// The product as ordered.
    #[serde(default)]
    pub product: Option<OrderProduct>,
    /// The price as ordered.
    #[serde(default)]
    pub price: Option<OrderPrice>,
}

/// The product of an order line (typed from the pages' example; the schema says `object`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct OrderProduct {
    /// Product id (`_id`).
    #[serde(default, rename = "_id", deserialize_with = "de::opt_id")]
    pub id: Option<ProductId>,
    /// Name.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub name: Option<String>,
    /// Description (HTML).
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub description: Option<String>,
    /// Shown in the store.
    #[serde(default, deserialize_with = "de::lenient_bool")]
    pub available_in_store: Option<bool>,
    /// Taxes, as sent.
    #[serde(default, deserialize_with = "de::list")]
    pub taxes: Vec<Value>,
    /// Variants.
    #[serde(default, deserialize_with = "de::list")]
    pub variants: Vec<ProductVariant>,
}

/// The price of an order line.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct OrderPrice {
    /// Price id (`_id`).
    #[serde(default, rename = "_id", deserialize_with = "de::opt_id")]
    pub id: Option<PriceId>,
    /// Name.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub name: Option<String>,
    /// Kind, sent as `type`.
    #[serde(default, rename = "type")]
    pub price_type: Option<PriceType>,
    /// Currency.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub currency: Option<String>,
    /// Amount.
    #[serde(default, deserialize_with = "de::lenient_f64")]
    pub amount: Option<f64>,
    /// The variant options this price is for.
    #[serde(default, deserialize_with = "de::string_list")]
    pub variant_option_ids: Vec<String>,
}

/// Amount breakdown of an order.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct OrderAmountSummary {
    /// Discount.
    #[serde(default, deserialize_with = "de::lenient_f64")]
    pub discount: Option<f64>,
    /// Shipping.
    #[serde(default, deserialize_with = "de::lenient_f64")]
    pub shipping: Option<f64>,
    /// Subtotal.
    #[serde(default, deserialize_with = "de::lenient_f64")]
    pub subtotal: Option<f64>,
    /// Tax.
    #[serde(default, deserialize_with = "de::lenient_f64")]
    pub tax: Option<f64>,
}

/// One tax applied to an order.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct OrderTax {
    /// Tax id (`_id`).
    #[serde(default, rename = "_id", deserialize_with = "de::lenient_string")]
    pub id: Option<String>,
    /// Amount.
    #[serde(default, deserialize_with = "de::lenient_f64")]
    pub amount: Option<f64>,
    /// `exclusive` or `inclusive`.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub calculation: Option<String>,
    /// Name.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub name: Option<String>,
    /// Rate (percent).
    #[serde(default, deserialize_with = "de::lenient_f64")]
    pub rate: Option<f64>,
}

/// Where an order was placed.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct OrderSource {
    /// Source id (a store, a funnel).
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub id: Option<String>,
    /// Source name.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub name: Option<String>,
    /// Kind (`website`), sent as `type`.
    #[serde(default, rename = "type", deserialize_with = "de::lenient_string")]
    pub kind: Option<String>,
    /// Sub-kind (`store`).
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub sub_type: Option<String>,
    /// Page, step and domain details, as sent.
    #[serde(default)]
    pub meta: Option<Value>,
}

/// Payload of the three product events
/// ([ProductCreate](https://marketplace.gohighlevel.com/docs/webhook/ProductCreate)). The
/// pages' examples carry no `type`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ProductEvent {
    /// Product id (`_id`).
    #[serde(default, rename = "_id", deserialize_with = "de::opt_id")]
    pub id: Option<ProductId>,
    /// Description.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub description: Option<String>,
    /// Variants.
    #[serde(default, deserialize_with = "de::list")]
    pub variants: Vec<ProductVariant>,
    /// Images and videos.
    #[serde(default, deserialize_with = "de::list")]
    pub medias: Vec<ProductMedia>,
    /// The location.
    #[serde(default, deserialize_with = "de::opt_id")]
    pub location_id: Option<LocationId>,
    /// Name.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub name: Option<String>,
    /// Kind (`PHYSICAL`, `DIGITAL`, `SERVICE`).
    #[serde(default)]
    pub product_type: Option<ProductType>,
    /// Shown in the store.
    #[serde(default, deserialize_with = "de::lenient_bool")]
    pub available_in_store: Option<bool>,
    /// The user who made the change.
    #[serde(default, deserialize_with = "de::opt_id")]
    pub user_id: Option<UserId>,
    /// Created at.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub created_at: Option<String>,
    /// Updated at.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub updated_at: Option<String>,
    /// Card statement descriptor.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub statement_descriptor: Option<String>,
    /// Main image URL.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub image: Option<String>,
}

/// Payload of `ProductCreate`.
pub type ProductCreateEvent = ProductEvent;
/// Payload of `ProductUpdate`.
pub type ProductUpdateEvent = ProductEvent;
/// Payload of `ProductDelete`: the product as it was.
pub type ProductDeleteEvent = ProductEvent;

/// A product variant (`Size`, `Color`) and its options.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ProductVariant {
    /// Variant id.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub id: Option<String>,
    /// Variant name.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub name: Option<String>,
    /// Its options.
    #[serde(default, deserialize_with = "de::list")]
    pub options: Vec<VariantOption>,
}

/// One option of a product variant (`XL`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct VariantOption {
    /// Option id (what prices list in `variantOptionIds`).
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub id: Option<String>,
    /// Option name.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub name: Option<String>,
}

/// A product image or video.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ProductMedia {
    /// Media id.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub id: Option<String>,
    /// Title.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub title: Option<String>,
    /// URL.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub url: Option<String>,
    /// Kind (`image`), sent as `type`.
    #[serde(default, rename = "type", deserialize_with = "de::lenient_string")]
    pub kind: Option<String>,
    /// The featured media.
    #[serde(default, deserialize_with = "de::lenient_bool")]
    pub is_featured: Option<bool>,
}

/// Payload of the three price events
/// ([PriceCreate](https://marketplace.gohighlevel.com/docs/webhook/PriceCreate)).
///
/// The pages' examples carry no event `type`: `PriceCreate` names the price's kind
/// `priceType`, `PriceUpdate` and `PriceDelete` send it as `type` (`one_time`). Both spellings
/// fill [`PriceEvent::price_type`]; a `type` naming a price event is not taken for a kind.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct PriceEvent {
    /// Price id (`_id`).
    #[serde(rename = "_id")]
    pub id: Option<PriceId>,
    /// Membership offers.
    pub membership_offers: Vec<MembershipOffer>,
    /// The variant options this price is for.
    pub variant_option_ids: Vec<String>,
    /// The location.
    pub location_id: Option<LocationId>,
    /// The product (`product`).
    pub product: Option<ProductId>,
    /// The user who made the change.
    pub user_id: Option<UserId>,
    /// Name (`Red / S`).
    pub name: Option<String>,
    /// Kind (`one_time`, `recurring`), from `priceType` or `type`.
    pub price_type: Option<PriceType>,
    /// Currency.
    pub currency: Option<String>,
    /// Amount.
    pub amount: Option<f64>,
    /// Billing period of a recurring price.
    pub recurring: Option<PriceRecurring>,
    /// Created at.
    pub created_at: Option<String>,
    /// Updated at.
    pub updated_at: Option<String>,
    /// Compare-at (list) price.
    pub compare_at_price: Option<f64>,
    /// Inventory tracking (documented as always `null`).
    pub track_inventory: Option<bool>,
    /// Stock left.
    pub available_quantity: Option<f64>,
    /// Sales allowed when out of stock.
    pub allow_out_of_stock_purchases: Option<bool>,
}

/// Payload of `PriceCreate`.
pub type PriceCreateEvent = PriceEvent;
/// Payload of `PriceUpdate`.
pub type PriceUpdateEvent = PriceEvent;
/// Payload of `PriceDelete`: the price as it was.
pub type PriceDeleteEvent = PriceEvent;

/// The wire form of [`PriceEvent`], where `type` may be the event name or the price's kind.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawPrice {
    #[serde(default, rename = "_id", deserialize_with = "de::opt_id")]
    id: Option<PriceId>,
    #[serde(default, deserialize_with = "de::list")]
    membership_offers: Vec<MembershipOffer>,
    #[serde(default, deserialize_with = "de::string_list")]
    variant_option_ids: Vec<String>,
    #[serde(default, deserialize_with = "de::opt_id")]
    location_id: Option<LocationId>,
    #[serde(default, deserialize_with = "de::opt_id")]
    product: Option<ProductId>,
    #[serde(default, deserialize_with = "de::opt_id")]
    user_id: Option<UserId>,
    #[serde(default, deserialize_with = "de::lenient_string")]
    name: Option<String>,
    #[serde(default)]
    price_type: Option<PriceType>,
    #[serde(default, rename = "type", deserialize_with = "de::lenient_string")]
    type_field: Option<String>,
    #[serde(default, deserialize_with = "de::lenient_string")]
    currency: Option<String>,
    #[serde(default, deserialize_with = "de::lenient_f64")]
    amount: Option<f64>,
    #[serde(default)]
    recurring: Option<PriceRecurring>,
    #[serde(default, deserialize_with = "de::lenient_string")]
    created_at: Option<String>,
    #[serde(default, deserialize_with = "de::lenient_string")]
    updated_at: Option<String>,
    #[serde(default, deserialize_with = "de::lenient_f64")]
    compare_at_price: Option<f64>,
    #[serde(default, deserialize_with = "de::lenient_bool")]
    track_inventory: Option<bool>,
    #[serde(default, deserialize_with = "de::lenient_f64")]
    available_quantity: Option<f64>,
    #[serde(default, deserialize_with = "de::lenient_bool")]
    allow_out_of_stock_purchases: Option<bool>,
}

impl<'de> Deserialize<'de> for PriceEvent {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = RawPrice::deserialize(deserializer)?;
        let from_type = raw
            .type_field
            .filter(|t| !t.starts_with("Price"))
            .map(PriceType::from);
        Ok(Self {
            id: raw.id,
            membership_offers: raw.membership_offers,
            variant_option_ids: raw.variant_option_ids,
            location_id: raw.location_id,
            product: raw.product,
            user_id: raw.user_id,
            name: raw.name,
            price_type: raw.price_type.or(from_type),
            currency: raw.currency,
            amount: raw.amount,
            recurring: raw.recurring,
            created_at: raw.created_at,
            updated_at: raw.updated_at,
            compare_at_price: raw.compare_at_price,
            track_inventory: raw.track_inventory,
            available_quantity: raw.available_quantity,
            allow_out_of_stock_purchases: raw.allow_out_of_stock_purchases,
        })
    }
}

/// A membership offer attached to a price.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct MembershipOffer {
    /// Label.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub label: Option<String>,
    /// Value.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub value: Option<String>,
    /// Offer id (`_id`).
    #[serde(default, rename = "_id", deserialize_with = "de::lenient_string")]
    pub id: Option<String>,
}

/// The billing period of a recurring price.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct PriceRecurring {
    /// `day`, `week`, `month`, `year`.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub interval: Option<String>,
    /// How many intervals per period.
    #[serde(default, deserialize_with = "de::lenient_i64")]
    pub interval_count: Option<i64>,
}
