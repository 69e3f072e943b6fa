//! Conversation events: `InboundMessage`, `OutboundMessage`, `ConversationUnreadUpdate`,
//! `ProviderOutboundMessage`, `LCEmailStats`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::ids::{CompanyId, ContactId, ConversationId, LocationId, MessageId, UserId};
use crate::open_enum::open_enum;
use crate::webhooks::de;

open_enum!(
    /// The channel of a conversation message (`messageType`).
    MessageType {
        /// `SMS`.
        Sms => "SMS",
        /// `Email`.
        Email => "Email",
        /// `CALL` (the pages also write `Call`).
        Call => "CALL" | "Call",
        /// `VoiceMail` (the pages also write `Voicemail`).
        VoiceMail => "VoiceMail" | "Voicemail",
        /// `GMB`: Google Business messages.
        Gmb => "GMB",
        /// `FB`: Facebook Messenger.
        Facebook => "FB",
        /// `IG`: Instagram.
        Instagram => "IG",
        /// `Live Chat`.
        LiveChat => "Live Chat",
    }
);

open_enum!(
    /// Whether a message came from the contact or went to them.
    MessageDirection {
        /// `inbound`: from the contact.
        Inbound => "inbound",
        /// `outbound`: to the contact.
        Outbound => "outbound",
    }
);

open_enum!(
    /// A message's delivery status (`status`); the pages show `delivered`, `completed` and
    /// `voicemail`, other values are kept verbatim.
    MessageStatus {
        /// `delivered`.
        Delivered => "delivered",
        /// `completed` (calls).
        Completed => "completed",
        /// `voicemail` (an inbound call that went to voicemail).
        Voicemail => "voicemail",
    }
);

/// Payload of `InboundMessage` and `OutboundMessage`: one message of any channel
/// ([InboundMessage](https://marketplace.gohighlevel.com/docs/webhook/InboundMessage), scope
/// `conversations/message.readonly`). Call fields (`call_duration`, `call_status`) and email
/// fields (`email_message_id`, `thread_id`, `from`, `to`, …) are set for those channels only.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct MessageEvent {
    /// The conversation's location.
    #[serde(default, deserialize_with = "de::opt_id")]
    pub location_id: Option<LocationId>,
    /// Attachment URLs (call recordings, voicemails, files).
    #[serde(default, deserialize_with = "de::string_list")]
    pub attachments: Vec<String>,
    /// Message text (HTML for emails).
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub body: Option<String>,
    /// The contact.
    #[serde(default, deserialize_with = "de::opt_id")]
    pub contact_id: Option<ContactId>,
    /// MIME type of the body (`text/plain`).
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub content_type: Option<String>,
    /// The conversation.
    #[serde(default, deserialize_with = "de::opt_id")]
    pub conversation_id: Option<ConversationId>,
    /// When the message was added.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub date_added: Option<String>,
    /// Inbound or outbound.
    #[serde(default)]
    pub direction: Option<MessageDirection>,
    /// The channel.
    #[serde(default)]
    pub message_type: Option<MessageType>,
    /// Delivery status.
    #[serde(default)]
    pub status: Option<MessageStatus>,
    /// The message id.
    #[serde(default, deserialize_with = "de::opt_id")]
    pub message_id: Option<MessageId>,
    /// The user who sent it or took the call.
    #[serde(default, deserialize_with = "de::opt_id")]
    pub user_id: Option<UserId>,
    /// Where an outbound message was sent from (`app`, `workflow`, …).
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub source: Option<String>,
    /// The custom conversation provider, if any.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub conversation_provider_id: Option<String>,
    /// Call length in seconds.
    #[serde(default, deserialize_with = "de::lenient_f64")]
    pub call_duration: Option<f64>,
    /// Call outcome (`completed`, `voicemail`, …).
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub call_status: Option<String>,
    /// Email message id.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub email_message_id: Option<String>,
    /// Email thread id.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub thread_id: Option<String>,
    /// Email provider.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub provider: Option<String>,
    /// Email sender (`Name <address>`).
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub from: Option<String>,
    /// Email recipients (documented as a string, sent as a list: both are accepted).
    #[serde(default, deserialize_with = "de::string_list")]
    pub to: Vec<String>,
    /// Email copy recipients.
    #[serde(default, deserialize_with = "de::string_list")]
    pub cc: Vec<String>,
    /// Email blind-copy recipients.
    #[serde(default, deserialize_with = "de::string_list")]
    pub bcc: Vec<String>,
    /// Email subject.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub subject: Option<String>,
}

/// Payload of `InboundMessage`.
pub type InboundMessageEvent = MessageEvent;
/// Payload of `OutboundMessage`
/// ([page](https://marketplace.gohighlevel.com/docs/webhook/OutboundMessage)).
pub type OutboundMessageEvent = MessageEvent;

/// Payload of `ConversationUnreadUpdate`
/// ([page](https://marketplace.gohighlevel.com/docs/webhook/ConversationUnreadWebhook); scope
/// `conversations.readonly`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ConversationUnreadUpdateEvent {
    /// The conversation's location.
    #[serde(default, deserialize_with = "de::opt_id")]
    pub location_id: Option<LocationId>,
    /// The conversation id.
    #[serde(default, deserialize_with = "de::opt_id")]
    pub id: Option<ConversationId>,
    /// The contact.
    #[serde(default, deserialize_with = "de::opt_id")]
    pub contact_id: Option<ContactId>,
    /// Unread messages now.
    #[serde(default, deserialize_with = "de::lenient_i64")]
    pub unread_count: Option<i64>,
    /// In the inbox.
    #[serde(default, deserialize_with = "de::lenient_bool")]
    pub inbox: Option<bool>,
    /// Starred.
    #[serde(default, deserialize_with = "de::lenient_bool")]
    pub starred: Option<bool>,
    /// Deleted.
    #[serde(default, deserialize_with = "de::lenient_bool")]
    pub deleted: Option<bool>,
}

/// Payload of `ProviderOutboundMessage`: a message a custom conversation provider must send
/// ([page](https://marketplace.gohighlevel.com/docs/webhook/ProviderOutboundMessage); scope
/// `conversations/message.write`).
///
/// It goes to the provider's delivery URL, and its `type` field is the channel (`SMS`,
/// `Email`), not an event name: decode it with
/// [`WebhookEvent::from_slice_as`](crate::webhooks::WebhookEvent::from_slice_as) or
/// [`WebhookVerifier::verify_as`](crate::webhooks::WebhookVerifier::verify_as).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ProviderOutboundMessageEvent {
    /// The contact.
    #[serde(default, deserialize_with = "de::opt_id")]
    pub contact_id: Option<ContactId>,
    /// The location.
    #[serde(default, deserialize_with = "de::opt_id")]
    pub location_id: Option<LocationId>,
    /// The message id (report delivery status against it).
    #[serde(default, deserialize_with = "de::opt_id")]
    pub message_id: Option<MessageId>,
    /// Email message id (email only).
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub email_message_id: Option<String>,
    /// The channel (`SMS` or `Email`), sent as `type`.
    #[serde(default, rename = "type")]
    pub channel: Option<MessageType>,
    /// Attachment URLs.
    #[serde(default, deserialize_with = "de::string_list")]
    pub attachments: Vec<String>,
    /// SMS text.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub message: Option<String>,
    /// SMS recipient phone.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub phone: Option<String>,
    /// Email recipients (documented as a string, sent as a list: both are accepted).
    #[serde(default, deserialize_with = "de::string_list")]
    pub email_to: Vec<String>,
    /// Email sender (`Name <address>`).
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub email_from: Option<String>,
    /// Email body.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub html: Option<String>,
    /// Email subject.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub subject: Option<String>,
    /// The user sending it.
    #[serde(default, deserialize_with = "de::opt_id")]
    pub user_id: Option<UserId>,
}

/// Payload of `LCEmailStats`: one delivery event of an email sent through LC Email
/// ([page](https://marketplace.gohighlevel.com/docs/webhook/LCEmailStats); location-level apps
/// only).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct LcEmailStatsEvent {
    /// The location.
    #[serde(default, deserialize_with = "de::opt_id")]
    pub location_id: Option<LocationId>,
    /// The agency.
    #[serde(default, deserialize_with = "de::opt_id")]
    pub company_id: Option<CompanyId>,
    /// The email provider's event.
    #[serde(default)]
    pub webhook_payload: Option<EmailStatsPayload>,
}

/// The email provider's delivery event inside `LCEmailStats`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub struct EmailStatsPayload {
    /// The event (`delivered`, …).
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub event: Option<String>,
    /// Event id.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub id: Option<String>,
    /// When it happened (epoch seconds).
    #[serde(default, deserialize_with = "de::lenient_i64")]
    pub timestamp: Option<i64>,
    /// Flags (`is-authenticated`, `is-test-mode`, …), as sent.
    #[serde(default)]
    pub flags: Option<Value>,
    /// The message.
    #[serde(default)]
    pub message: Option<EmailStatsMessage>,
    /// Log level (`info`).
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub log_level: Option<String>,
    /// Recipient address.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub recipient: Option<String>,
    /// Recipient domain.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub recipient_domain: Option<String>,
    /// Tags (`loc_<locationId>`, …).
    #[serde(default, deserialize_with = "de::string_list")]
    pub tags: Vec<String>,
    /// Recipient's mailbox provider.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub recipient_provider: Option<String>,
    /// Campaigns, as sent.
    #[serde(default, deserialize_with = "de::list")]
    pub campaigns: Vec<Value>,
    /// SMTP delivery details.
    #[serde(default)]
    pub delivery_status: Option<EmailDeliveryStatus>,
    /// SMTP envelope.
    #[serde(default)]
    pub envelope: Option<EmailEnvelope>,
}

/// The message of an [`EmailStatsPayload`].
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub struct EmailStatsMessage {
    /// Attachments, as sent.
    #[serde(default, deserialize_with = "de::list")]
    pub attachments: Vec<Value>,
    /// Headers.
    #[serde(default)]
    pub headers: Option<EmailHeaders>,
    /// Size in bytes.
    #[serde(default, deserialize_with = "de::lenient_i64")]
    pub size: Option<i64>,
}

/// Headers of an [`EmailStatsMessage`].
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub struct EmailHeaders {
    /// `Message-Id`.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub message_id: Option<String>,
    /// `From`.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub from: Option<String>,
    /// `To`.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub to: Option<String>,
}

/// SMTP delivery details of an [`EmailStatsPayload`].
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub struct EmailDeliveryStatus {
    /// Attempt number.
    #[serde(default, deserialize_with = "de::lenient_i64")]
    pub attempt_no: Option<i64>,
    /// SMTP code (`250`).
    #[serde(default, deserialize_with = "de::lenient_i64")]
    pub code: Option<i64>,
    /// SMTP message.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub message: Option<String>,
    /// Description.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub description: Option<String>,
    /// SMTP session length in seconds.
    #[serde(default, deserialize_with = "de::lenient_f64")]
    pub session_seconds: Option<f64>,
    /// Enhanced status code.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub enhanced_code: Option<String>,
    /// Receiving MX host.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub mx_host: Option<String>,
    /// Whether UTF-8 was used.
    #[serde(default, deserialize_with = "de::lenient_bool")]
    pub utf8: Option<bool>,
}

/// SMTP envelope of an [`EmailStatsPayload`].
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub struct EmailEnvelope {
    /// Envelope sender.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub sender: Option<String>,
    /// Envelope recipients.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub targets: Option<String>,
    /// Transport (`smtp`).
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub transport: Option<String>,
    /// Sending IP.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub sending_ip: Option<String>,
}
