//! Typed payloads of the 58 webhook events, [`WebhookEvent`] and the [`WebhookEnvelope`].

mod calendar;
mod commerce;
mod contact;
mod conversation;
mod crm;
mod objects;
mod platform;

pub use calendar::*;
pub use commerce::*;
pub use contact::*;
pub use conversation::*;
pub use crm::*;
pub use objects::*;
pub use platform::*;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::de;
use super::error::WebhookError;
use super::event_type::WebhookEventType;
use crate::ids::{CompanyId, LocationId, WebhookId};

macro_rules! webhook_events {
    ($( $(#[$doc:meta])* $variant:ident($payload:ty), )+) => {
        /// One decoded webhook event: a variant per event type HighLevel documents, each with
        /// its typed payload, and [`WebhookEvent::Unknown`] for anything else.
        ///
        /// Events of one family share a payload type (`ContactUpdateEvent` is
        /// [`WebhookContact`], …). The fields every delivery carries (type, location, timestamp,
        /// webhook id) are in the [`WebhookEnvelope`], decoded next to the event.
        #[derive(Clone, Debug, PartialEq)]
        #[non_exhaustive]
        pub enum WebhookEvent {
            $( $(#[$doc])* $variant($payload), )+
            /// An event type this version of the crate does not know (or a payload without
            /// `type`), kept as raw JSON.
            Unknown {
                /// The `type` field as sent (empty when there was none).
                event_type: String,
                /// The whole payload.
                raw: Value,
            },
        }

        impl WebhookEvent {
            /// The event's type ([`WebhookEventType`]; unknown types keep their name).
            pub fn event_type(&self) -> WebhookEventType {
                match self {
                    $( Self::$variant(_) => WebhookEventType::$variant, )+
                    Self::Unknown { event_type, .. } => WebhookEventType::from(event_type.as_str()),
                }
            }

            /// Decodes the payload of a known type; `None` for a type without a variant.
            fn decode_known(
                kind: &WebhookEventType,
                body: &[u8],
            ) -> Option<Result<Self, (String, String)>> {
                Some(match kind {
                    $( WebhookEventType::$variant => decode::<$payload>(body).map(Self::$variant), )+
                    _ => return None,
                })
            }
        }
    };
}

webhook_events! {
    /// `INSTALL`.
    AppInstall(AppInstallEvent),
    /// `UNINSTALL`.
    AppUninstall(AppUninstallEvent),
    /// `AppointmentCreate`.
    AppointmentCreate(AppointmentCreateEvent),
    /// `AppointmentDelete`.
    AppointmentDelete(AppointmentDeleteEvent),
    /// `AppointmentUpdate`.
    AppointmentUpdate(AppointmentUpdateEvent),
    /// `AssociationCreate`.
    AssociationCreate(AssociationCreateEvent),
    /// `AssociationDelete`.
    AssociationDelete(AssociationDeleteEvent),
    /// `AssociationUpdate`.
    AssociationUpdate(AssociationUpdateEvent),
    /// `CampaignStatusUpdate`.
    CampaignStatusUpdate(CampaignStatusUpdateEvent),
    /// `ContactCreate`.
    ContactCreate(ContactCreateEvent),
    /// `ContactDelete`.
    ContactDelete(ContactDeleteEvent),
    /// `ContactDndUpdate`.
    ContactDndUpdate(ContactDndUpdateEvent),
    /// `ContactTagUpdate`.
    ContactTagUpdate(ContactTagUpdateEvent),
    /// `ContactUpdate`.
    ContactUpdate(ContactUpdateEvent),
    /// `ConversationUnreadUpdate`.
    ConversationUnreadUpdate(ConversationUnreadUpdateEvent),
    /// `InboundMessage`.
    InboundMessage(InboundMessageEvent),
    /// `InvoiceCreate`.
    InvoiceCreate(InvoiceCreateEvent),
    /// `InvoiceDelete`.
    InvoiceDelete(InvoiceDeleteEvent),
    /// `InvoicePaid`.
    InvoicePaid(InvoicePaidEvent),
    /// `InvoicePartiallyPaid`.
    InvoicePartiallyPaid(InvoicePartiallyPaidEvent),
    /// `InvoiceSent`.
    InvoiceSent(InvoiceSentEvent),
    /// `InvoiceUpdate`.
    InvoiceUpdate(InvoiceUpdateEvent),
    /// `InvoiceVoid`.
    InvoiceVoid(InvoiceVoidEvent),
    /// `LCEmailStats`.
    LcEmailStats(LcEmailStatsEvent),
    /// `LocationCreate`.
    LocationCreate(LocationCreateEvent),
    /// `LocationUpdate`.
    LocationUpdate(LocationUpdateEvent),
    /// `NoteCreate`.
    NoteCreate(NoteCreateEvent),
    /// `NoteDelete`.
    NoteDelete(NoteDeleteEvent),
    /// `NoteUpdate`.
    NoteUpdate(NoteUpdateEvent),
    /// `ObjectSchemaCreate`.
    ObjectSchemaCreate(ObjectSchemaCreateEvent),
    /// `ObjectSchemaUpdate`.
    ObjectSchemaUpdate(ObjectSchemaUpdateEvent),
    /// `OpportunityAssignedToUpdate`.
    OpportunityAssignedToUpdate(OpportunityAssignedToUpdateEvent),
    /// `OpportunityCreate`.
    OpportunityCreate(OpportunityCreateEvent),
    /// `OpportunityDelete`.
    OpportunityDelete(OpportunityDeleteEvent),
    /// `OpportunityMonetaryValueUpdate`.
    OpportunityMonetaryValueUpdate(OpportunityMonetaryValueUpdateEvent),
    /// `OpportunityStageUpdate`.
    OpportunityStageUpdate(OpportunityStageUpdateEvent),
    /// `OpportunityStatusUpdate`.
    OpportunityStatusUpdate(OpportunityStatusUpdateEvent),
    /// `OpportunityUpdate`.
    OpportunityUpdate(OpportunityUpdateEvent),
    /// `OrderCreate`.
    OrderCreate(OrderCreateEvent),
    /// `OrderStatusUpdate`.
    OrderStatusUpdate(OrderStatusUpdateEvent),
    /// `OutboundMessage`.
    OutboundMessage(OutboundMessageEvent),
    /// `PLAN_CHANGE`.
    PlanChange(PlanChangeEvent),
    /// `PriceCreate`.
    PriceCreate(PriceCreateEvent),
    /// `PriceDelete`.
    PriceDelete(PriceDeleteEvent),
    /// `PriceUpdate`.
    PriceUpdate(PriceUpdateEvent),
    /// `ProductCreate`.
    ProductCreate(ProductCreateEvent),
    /// `ProductDelete`.
    ProductDelete(ProductDeleteEvent),
    /// `ProductUpdate`.
    ProductUpdate(ProductUpdateEvent),
    /// `ProviderOutboundMessage`.
    ProviderOutboundMessage(ProviderOutboundMessageEvent),
    /// `RecordCreate`.
    RecordCreate(RecordCreateEvent),
    /// `RecordDelete`.
    RecordDelete(RecordDeleteEvent),
    /// `RecordUpdate`.
    RecordUpdate(RecordUpdateEvent),
    /// `RelationCreate`.
    RelationCreate(RelationCreateEvent),
    /// `RelationDelete`.
    RelationDelete(RelationDeleteEvent),
    /// `TaskComplete`.
    TaskComplete(TaskCompleteEvent),
    /// `TaskCreate`.
    TaskCreate(TaskCreateEvent),
    /// `TaskDelete`.
    TaskDelete(TaskDeleteEvent),
    /// `UserCreate`.
    UserCreate(UserCreateEvent),
}

/// Decodes a typed payload, giving the JSON path and message of the first bad field.
fn decode<T: DeserializeOwned>(body: &[u8]) -> Result<T, (String, String)> {
    let mut de = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize::<_, T>(&mut de).map_err(|e| {
        let path = e.path().to_string();
        (path, scrub_message(e.into_inner().to_string()))
    })?;
    de.end().map_err(|e| (".".to_owned(), e.to_string()))?;
    Ok(value)
}

/// Drops the value serde quotes in `invalid type: string "…", expected …` (payloads hold
/// personal data, which errors and logs must not repeat), keeping its kind.
pub(crate) fn scrub_message(message: String) -> String {
    for prefix in ["invalid type: ", "invalid value: "] {
        if let Some(start) = message.find(prefix) {
            let rest = &message[start + prefix.len()..];
            if let Some(end) = rest.find(", expected") {
                let kind = rest[..end].split_whitespace().next().unwrap_or("value");
                return format!("{}{prefix}{kind}{}", &message[..start], &rest[end..]);
            }
        }
    }
    message
}

fn malformed(
    event_type: Option<&WebhookEventType>,
    (path, message): (String, String),
) -> WebhookError {
    WebhookError::MalformedPayload {
        event_type: event_type.map(|t| t.as_str().to_owned()),
        path,
        message,
    }
}

impl WebhookEvent {
    /// Decodes a payload by its `type` field: a known type gives its typed variant, an unknown
    /// or missing type [`WebhookEvent::Unknown`] with the raw JSON.
    ///
    /// This does not verify anything: use [`WebhookVerifier`](super::WebhookVerifier) on
    /// deliveries.
    ///
    /// # Errors
    ///
    /// [`WebhookError::MalformedPayload`] when the body is not a JSON object or a field of a
    /// known event has the wrong shape (with its JSON path).
    pub fn from_slice(body: &[u8]) -> Result<Self, WebhookError> {
        let envelope = WebhookEnvelope::from_slice(body)?;
        Self::decode_as(&envelope.event_type, body)
    }

    /// Decodes a payload as the given type, whatever its `type` field says: for endpoints that
    /// receive one event only (a conversation provider's `ProviderOutboundMessage`, whose
    /// `type` is the channel), and for payloads without `type` (the invoice, product, price,
    /// association, relation and record examples of HighLevel's pages have none).
    ///
    /// # Errors
    ///
    /// As [`WebhookEvent::from_slice`].
    pub fn from_slice_as(event_type: WebhookEventType, body: &[u8]) -> Result<Self, WebhookError> {
        Self::decode_as(&event_type, body)
    }

    pub(crate) fn decode_as(kind: &WebhookEventType, body: &[u8]) -> Result<Self, WebhookError> {
        match Self::decode_known(kind, body) {
            Some(decoded) => decoded.map_err(|e| malformed(Some(kind), e)),
            None => Ok(Self::Unknown {
                event_type: kind.as_str().to_owned(),
                raw: decode::<Value>(body).map_err(|e| malformed(Some(kind), e))?,
            }),
        }
    }
}

/// The fields common to every delivery, readable without matching on the event.
///
/// HighLevel adds `timestamp` and `webhookId` to every signed delivery (its webhook
/// authentication guide); `locationId` and `companyId` are present on most events.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct WebhookEnvelope {
    /// The event's type: the payload's `type`, or the type named to
    /// [`WebhookEvent::from_slice_as`] / [`WebhookVerifier::verify_as`](super::WebhookVerifier::verify_as).
    /// Empty (unknown) when the payload has no `type`.
    pub event_type: WebhookEventType,
    /// `locationId`, when the event names one.
    pub location_id: Option<LocationId>,
    /// `companyId`, when the event names one (app, location and user events).
    pub company_id: Option<CompanyId>,
    /// `timestamp`: when HighLevel sent the delivery.
    pub timestamp: Option<DateTime<Utc>>,
    /// `webhookId`: the delivery's unique id.
    pub webhook_id: Option<WebhookId>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawEnvelope {
    #[serde(default, rename = "type", deserialize_with = "de::lenient_string")]
    kind: Option<String>,
    #[serde(default, deserialize_with = "de::opt_id")]
    location_id: Option<LocationId>,
    #[serde(default, deserialize_with = "de::opt_id")]
    company_id: Option<CompanyId>,
    #[serde(default)]
    timestamp: Option<Value>,
    #[serde(default, deserialize_with = "de::opt_id")]
    webhook_id: Option<WebhookId>,
}

impl WebhookEnvelope {
    /// Reads the envelope fields of a payload (the rest is skipped).
    ///
    /// # Errors
    ///
    /// [`WebhookError::MalformedPayload`] when the body is not a JSON object, or `timestamp`
    /// is neither an RFC 3339 date-time nor epoch seconds or milliseconds.
    pub fn from_slice(body: &[u8]) -> Result<Self, WebhookError> {
        let raw: RawEnvelope = decode(body).map_err(|e| malformed(None, e))?;
        let event_type = WebhookEventType::from(raw.kind.as_deref().unwrap_or_default());
        let timestamp = match raw.timestamp {
            None | Some(Value::Null) => None,
            Some(value) => Some(parse_timestamp(&value).ok_or_else(|| {
                malformed(
                    Some(&event_type),
                    (
                        "timestamp".to_owned(),
                        format!(
                            "expected an RFC 3339 date-time or epoch time, found {}",
                            de::kind(&value)
                        ),
                    ),
                )
            })?),
        };
        Ok(Self {
            event_type,
            location_id: raw.location_id,
            company_id: raw.company_id,
            timestamp,
            webhook_id: raw.webhook_id,
        })
    }
}

/// An RFC 3339 string, or epoch seconds / milliseconds (as a number or digits).
fn parse_timestamp(value: &Value) -> Option<DateTime<Utc>> {
    let epoch = |n: i64| {
        if n.abs() >= 100_000_000_000 {
            DateTime::from_timestamp_millis(n)
        } else {
            DateTime::from_timestamp(n, 0)
        }
    };
    match value {
        Value::String(s) => {
            let s = s.trim();
            DateTime::parse_from_rfc3339(s)
                .map(|t| t.with_timezone(&Utc))
                .ok()
                .or_else(|| s.parse::<i64>().ok().and_then(epoch))
        }
        Value::Number(n) => n.as_i64().and_then(epoch),
        _ => None,
    }
}
