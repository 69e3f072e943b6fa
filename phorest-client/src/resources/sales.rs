//! Writes that move money, stock or points: purchase create, stock adjustment, the
//! loyalty-points change and the deposit payment link.
//!
//! None is replayed after an ambiguous failure (a 5xx, a timeout): each may have been
//! applied ([`Error::may_have_been_applied`](crate::Error::may_have_been_applied)), and
//! Phorest offers no idempotency key.

use serde::{Deserialize, Serialize};

use crate::PhorestClient;
use crate::de;
use crate::error::{Operation, Result};
use crate::ids::{AppointmentId, BranchId, ClientId, ProductId};
use crate::macros::open_enum;
use crate::resources::clients::to_body;

open_enum! {
    /// How a purchase was paid (`payments[].type`). Only `CREDIT` (card) is observed (WC);
    /// the others are UNCONFIRMED values.
    PaymentType {
        /// `CREDIT`: card payment (observed, WC).
        Credit => "CREDIT",
        /// `CASH` (UNCONFIRMED value).
        Cash => "CASH",
        /// `VOUCHER` (UNCONFIRMED value).
        Voucher => "VOUCHER",
        /// `OTHER` (UNCONFIRMED value).
        Other => "OTHER",
    }
}

/// One line of a purchase: a product of the branch (`branchProductId`), quantity and unit
/// price including tax (WC sends the rounded item price with tax).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PurchaseItem {
    branch_product_id: ProductId,
    quantity: u32,
    price: f64,
}

impl PurchaseItem {
    /// `quantity` of `product` at `price` each (tax included).
    pub fn product(product: impl Into<ProductId>, quantity: u32, price: f64) -> Self {
        Self {
            branch_product_id: product.into(),
            quantity,
            price,
        }
    }
}

/// One payment of a purchase.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PurchasePayment {
    #[serde(rename = "type")]
    payment_type: PaymentType,
    amount: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    custom_type_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    custom_type_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    payment_id: Option<String>,
}

impl PurchasePayment {
    /// `amount` paid by `payment_type`.
    pub fn new(payment_type: PaymentType, amount: f64) -> Self {
        Self {
            payment_type,
            amount,
            custom_type_code: None,
            custom_type_name: None,
            payment_id: None,
        }
    }

    /// `customTypeCode` and `customTypeName`: the integrator's own payment method.
    pub fn custom_type(mut self, code: impl Into<String>, name: impl Into<String>) -> Self {
        self.custom_type_code = Some(code.into());
        self.custom_type_name = Some(name.into());
        self
    }

    /// `paymentId`: the payment provider's reference.
    pub fn payment_id(mut self, id: impl Into<String>) -> Self {
        self.payment_id = Some(id.into());
        self
    }
}

/// A sale to record (`POST /{businessId}/branch/{branchId}/purchase`): product lines and
/// payments, optionally for a client. Phorest lowers the products' stock.
///
/// Body shape observed in a production caller (WC's WooCommerce plugin: `clientId`,
/// `number`, `items[{branchProductId, quantity, price}]`, `payments[{amount, customTypeCode,
/// customTypeName, paymentId, type}]`); service lines and required fields are UNCONFIRMED.
/// There is no purchase read: sales are read through the `TRANSACTIONS_CSV` export.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NewPurchase {
    #[serde(skip_serializing_if = "Option::is_none")]
    client_id: Option<ClientId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    number: Option<String>,
    items: Vec<PurchaseItem>,
    payments: Vec<PurchasePayment>,
}

impl NewPurchase {
    /// An empty purchase; add items and payments.
    pub fn new() -> Self {
        Self::default()
    }

    /// `clientId` (without it, the walk-in client; UNCONFIRMED).
    pub fn client_id(mut self, id: impl Into<ClientId>) -> Self {
        self.client_id = Some(id.into());
        self
    }

    /// `number`: the integrator's order number.
    pub fn number(mut self, number: impl Into<String>) -> Self {
        self.number = Some(number.into());
        self
    }

    /// Adds a line.
    pub fn item(mut self, item: PurchaseItem) -> Self {
        self.items.push(item);
        self
    }

    /// Adds a payment.
    pub fn payment(mut self, payment: PurchasePayment) -> Self {
        self.payments.push(payment);
        self
    }
}

/// What Phorest answers for a recorded purchase (WC reads `purchaseId` and
/// `transactionNumber`; the rest of the answer is UNCONFIRMED).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct PurchaseReceipt {
    /// Purchase id.
    pub purchase_id: Option<String>,
    /// Transaction number (the `transaction_id` of the sales export, UNCONFIRMED).
    #[serde(deserialize_with = "de::opt_string_or_number")]
    pub transaction_number: Option<String>,
}

/// Recording a purchase.
const CREATE_PURCHASE: Operation =
    Operation::new("POST", "/{businessId}/branch/{branchId}/purchase");

/// Handler for one branch's purchases; see [`PhorestClient::purchases`].
#[derive(Clone, Debug)]
pub struct PurchasesHandler {
    client: PhorestClient,
    branch: BranchId,
}

impl PurchasesHandler {
    pub(crate) fn new(client: PhorestClient, branch: BranchId) -> Self {
        Self { client, branch }
    }

    /// Records a purchase (`POST …/purchase`). Not replayed after an ambiguous failure.
    pub async fn create(&self, purchase: &NewPurchase) -> Result<PurchaseReceipt> {
        let body = to_body(purchase);
        self.client
            .write_json(
                CREATE_PURCHASE,
                &["branch", self.branch.as_str(), "purchase"],
                Some(&body),
            )
            .await
    }
}

open_enum! {
    /// Direction of a stock adjustment line (`operationType`, production caller DH).
    StockOperation {
        /// `INCREASE`.
        Increase => "INCREASE",
        /// `DEDUCT`.
        Deduct => "DEDUCT",
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
struct StockLine {
    barcode: String,
    quantity: u32,
    operation_type: StockOperation,
}

/// A stock adjustment (`POST /{businessId}/branch/{branchId}/stock/adjustment`): products by
/// barcode, each increased or deducted.
///
/// Body shape from a production caller (DH: `{"stocks": [{"barcode", "quantity",
/// "operationType"}]}`); the answer body is not read (DH ignores it).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct StockAdjustment {
    stocks: Vec<StockLine>,
}

impl StockAdjustment {
    /// An empty adjustment.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `quantity` units to the product with `barcode`.
    pub fn increase(mut self, barcode: impl Into<String>, quantity: u32) -> Self {
        self.stocks.push(StockLine {
            barcode: barcode.into(),
            quantity,
            operation_type: StockOperation::Increase,
        });
        self
    }

    /// Removes `quantity` units of the product with `barcode`.
    pub fn deduct(mut self, barcode: impl Into<String>, quantity: u32) -> Self {
        self.stocks.push(StockLine {
            barcode: barcode.into(),
            quantity,
            operation_type: StockOperation::Deduct,
        });
        self
    }
}

/// Adjusting stock.
pub(crate) const ADJUST_STOCK: Operation =
    Operation::new("POST", "/{businessId}/branch/{branchId}/stock/adjustment");

open_enum! {
    /// Direction of a loyalty points change (`operationType`).
    LoyaltyOperation {
        /// `ADD`.
        Add => "ADD",
        /// `DEDUCT`.
        Deduct => "DEDUCT",
    }
}

/// A change to a client's loyalty points (`POST /{businessId}/loyaltypoints`, DOC changelog
/// 1.41.0).
///
/// The body fields (`clientId`, `branchId`, `description`, `pointsChange` (an integer),
/// `operationType` `ADD`/`DEDUCT`, all required) come from the API Evangelist transcription
/// of Phorest's reference page: weak evidence, no production caller seen. The answer body is
/// not read.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LoyaltyPointsChange {
    client_id: ClientId,
    branch_id: BranchId,
    description: String,
    points_change: u64,
    operation_type: LoyaltyOperation,
}

impl LoyaltyPointsChange {
    /// Adds `points` to `client_id`'s balance at `branch_id`, with a reason.
    pub fn add(
        client_id: impl Into<ClientId>,
        branch_id: impl Into<BranchId>,
        points: u64,
        description: impl Into<String>,
    ) -> Self {
        Self {
            client_id: client_id.into(),
            branch_id: branch_id.into(),
            description: description.into(),
            points_change: points,
            operation_type: LoyaltyOperation::Add,
        }
    }

    /// Deducts `points` from `client_id`'s balance at `branch_id`, with a reason.
    pub fn deduct(
        client_id: impl Into<ClientId>,
        branch_id: impl Into<BranchId>,
        points: u64,
        description: impl Into<String>,
    ) -> Self {
        Self {
            operation_type: LoyaltyOperation::Deduct,
            ..Self::add(client_id, branch_id, points, description)
        }
    }
}

/// Changing loyalty points.
pub(crate) const CHANGE_LOYALTY: Operation = Operation::new("POST", "/{businessId}/loyaltypoints");

/// A deposit payment link request
/// (`POST /{businessId}/branch/{branchId}/deposit/payment-link`, DOC changelog 1.41.0).
///
/// Body shape from a production caller (U2: `appointmentIds`, `notifyViaSms`,
/// `notifyViaEmail`, `autoCancelAppointmentOnExpiry`).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DepositLinkRequest {
    appointment_ids: Vec<AppointmentId>,
    notify_via_sms: bool,
    notify_via_email: bool,
    auto_cancel_appointment_on_expiry: bool,
}

impl DepositLinkRequest {
    /// A link for the deposit of `appointment_ids` (usually a reserved booking's); no SMS or
    /// email sent by Phorest, appointments kept if unpaid.
    pub fn new(appointment_ids: impl IntoIterator<Item = AppointmentId>) -> Self {
        Self {
            appointment_ids: appointment_ids.into_iter().collect(),
            notify_via_sms: false,
            notify_via_email: false,
            auto_cancel_appointment_on_expiry: false,
        }
    }

    /// `notifyViaSms`: Phorest texts the link to the client.
    pub fn notify_via_sms(mut self, notify: bool) -> Self {
        self.notify_via_sms = notify;
        self
    }

    /// `notifyViaEmail`: Phorest emails the link to the client.
    pub fn notify_via_email(mut self, notify: bool) -> Self {
        self.notify_via_email = notify;
        self
    }

    /// `autoCancelAppointmentOnExpiry`: cancel the appointments if the link expires unpaid.
    pub fn auto_cancel_on_expiry(mut self, cancel: bool) -> Self {
        self.auto_cancel_appointment_on_expiry = cancel;
        self
    }
}

/// A deposit payment link (U2 reads `url`; other fields UNCONFIRMED and kept out).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct DepositLink {
    /// The payment page to send to the client.
    pub url: Option<String>,
}

/// Creating a deposit payment link.
pub(crate) const DEPOSIT_LINK: Operation = Operation::new(
    "POST",
    "/{businessId}/branch/{branchId}/deposit/payment-link",
);
