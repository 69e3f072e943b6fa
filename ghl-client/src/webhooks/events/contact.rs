//! Contact events: `ContactCreate`, `ContactUpdate`, `ContactDelete`, `ContactTagUpdate`,
//! `ContactDndUpdate`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::ids::{ContactId, CustomFieldId, LocationId, UserId};
use crate::open_enum::open_enum;
use crate::webhooks::de;

/// A contact as contact events carry it (and as orders snapshot it).
///
/// The five contact events share this shape
/// ([ContactCreate](https://marketplace.gohighlevel.com/docs/webhook/ContactCreate));
/// `dnd_settings` is only documented on `ContactDndUpdate`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct WebhookContact {
    /// The contact's location.
    #[serde(default, deserialize_with = "de::opt_id")]
    pub location_id: Option<LocationId>,
    /// The contact id.
    #[serde(default, deserialize_with = "de::opt_id")]
    pub id: Option<ContactId>,
    /// Street address.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub address1: Option<String>,
    /// City.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub city: Option<String>,
    /// State or county.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub state: Option<String>,
    /// Company name.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub company_name: Option<String>,
    /// Country (ISO alpha-2).
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub country: Option<String>,
    /// Where the contact came from (`"xyz form"`).
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub source: Option<String>,
    /// When the contact was added (ISO 8601, as sent).
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub date_added: Option<String>,
    /// Date of birth (ISO 8601, as sent).
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub date_of_birth: Option<String>,
    /// Global do-not-disturb flag.
    #[serde(default, deserialize_with = "de::lenient_bool")]
    pub dnd: Option<bool>,
    /// Do-not-disturb per channel (`ContactDndUpdate`).
    #[serde(default)]
    pub dnd_settings: Option<DndSettings>,
    /// Email.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub email: Option<String>,
    /// Full name.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub name: Option<String>,
    /// First name.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub first_name: Option<String>,
    /// Last name.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub last_name: Option<String>,
    /// Phone (E.164).
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub phone: Option<String>,
    /// Postal code.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub postal_code: Option<String>,
    /// Tags (the whole set after the change).
    #[serde(default, deserialize_with = "de::string_list")]
    pub tags: Vec<String>,
    /// Website.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub website: Option<String>,
    /// Attachments, as sent (the pages give no item shape).
    #[serde(default, deserialize_with = "de::list")]
    pub attachments: Vec<Value>,
    /// The user the contact is assigned to.
    #[serde(default, deserialize_with = "de::opt_id")]
    pub assigned_to: Option<UserId>,
    /// Custom field values.
    #[serde(default, deserialize_with = "de::list")]
    pub custom_fields: Vec<WebhookCustomField>,
}

/// Payload of `ContactCreate`
/// ([page](https://marketplace.gohighlevel.com/docs/webhook/ContactCreate); scope
/// `contacts.readonly`).
pub type ContactCreateEvent = WebhookContact;
/// Payload of `ContactUpdate`
/// ([page](https://marketplace.gohighlevel.com/docs/webhook/ContactUpdate)).
pub type ContactUpdateEvent = WebhookContact;
/// Payload of `ContactDelete`: the contact as it was
/// ([page](https://marketplace.gohighlevel.com/docs/webhook/ContactDelete); scope
/// `contacts.readonly`).
pub type ContactDeleteEvent = WebhookContact;
/// Payload of `ContactTagUpdate`: the contact with its new tags
/// ([page](https://marketplace.gohighlevel.com/docs/webhook/ContactTagUpdate); scope
/// `contacts.readonly`).
pub type ContactTagUpdateEvent = WebhookContact;
/// Payload of `ContactDndUpdate`: the contact with its new `dnd` and `dnd_settings`
/// ([page](https://marketplace.gohighlevel.com/docs/webhook/ContactDndUpdate); scope
/// `contacts.readonly`).
pub type ContactDndUpdateEvent = WebhookContact;

/// One custom field value of a contact.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct WebhookCustomField {
    /// The custom field id.
    #[serde(default, deserialize_with = "de::opt_id")]
    pub id: Option<CustomFieldId>,
    /// The value: a string, number, list or object depending on the field's type.
    #[serde(default)]
    pub value: Option<Value>,
}

open_enum!(
    /// Whether do-not-disturb is on for a channel.
    DndStatus {
        /// `active`: messages on this channel are blocked.
        Active => "active",
        /// `inactive`.
        Inactive => "inactive",
        /// `permanent`: blocked and cannot be lifted by the user.
        Permanent => "permanent",
    }
);

/// Do-not-disturb settings per channel, as `ContactDndUpdate` sends them.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DndSettings {
    /// `SMS`.
    #[serde(default, rename = "SMS")]
    pub sms: Option<DndChannel>,
    /// `Email`.
    #[serde(default, rename = "Email")]
    pub email: Option<DndChannel>,
    /// `GMB` (Google Business messages).
    #[serde(default, rename = "GMB")]
    pub gmb: Option<DndChannel>,
    /// `FB` (Facebook).
    #[serde(default, rename = "FB")]
    pub fb: Option<DndChannel>,
    /// `WhatsApp`.
    #[serde(default, rename = "WhatsApp")]
    pub whatsapp: Option<DndChannel>,
    /// `Call`.
    #[serde(default, rename = "Call")]
    pub call: Option<DndChannel>,
}

/// Do-not-disturb state of one channel.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DndChannel {
    /// Whether DND is on.
    #[serde(default)]
    pub status: Option<DndStatus>,
    /// Free text.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub message: Option<String>,
    /// A code (`"101"`), meaning undocumented.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub code: Option<String>,
}
