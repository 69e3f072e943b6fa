//! [`WebhookEventType`]: the event names HighLevel documents, as an open enum.

use crate::open_enum::open_enum;
use crate::scope::Scope;

open_enum!(
    /// The kind of a webhook event, as sent in the payload's `type` field.
    ///
    /// One known value per event page of HighLevel's webhook reference
    /// ([`WebhookEventType::doc_url`]); anything else is kept verbatim. Where the page's example
    /// shows a `type` different from the page name, the example wins and the page name is
    /// accepted too: app installs are `INSTALL`, uninstalls `UNINSTALL`, plan changes
    /// `PLAN_CHANGE`, unread-conversation updates `ConversationUnreadUpdate`.
    WebhookEventType {
        /// `INSTALL` (page `AppInstall`): the app was installed on a location or agency.
        AppInstall => "INSTALL" | "AppInstall",
        /// `UNINSTALL` (page `AppUninstall`): the app was uninstalled.
        AppUninstall => "UNINSTALL" | "AppUninstall",
        /// `AppointmentCreate`.
        AppointmentCreate => "AppointmentCreate",
        /// `AppointmentDelete`.
        AppointmentDelete => "AppointmentDelete",
        /// `AppointmentUpdate`.
        AppointmentUpdate => "AppointmentUpdate",
        /// `AssociationCreate`: an association between object kinds was created.
        AssociationCreate => "AssociationCreate",
        /// `AssociationDelete`.
        AssociationDelete => "AssociationDelete",
        /// `AssociationUpdate`.
        AssociationUpdate => "AssociationUpdate",
        /// `CampaignStatusUpdate`.
        CampaignStatusUpdate => "CampaignStatusUpdate",
        /// `ContactCreate`.
        ContactCreate => "ContactCreate",
        /// `ContactDelete`.
        ContactDelete => "ContactDelete",
        /// `ContactDndUpdate`: the contact's do-not-disturb settings changed.
        ContactDndUpdate => "ContactDndUpdate",
        /// `ContactTagUpdate`: the contact's tags changed.
        ContactTagUpdate => "ContactTagUpdate",
        /// `ContactUpdate`.
        ContactUpdate => "ContactUpdate",
        /// `ConversationUnreadUpdate` (page `ConversationUnreadWebhook`).
        ConversationUnreadUpdate => "ConversationUnreadUpdate" | "ConversationUnreadWebhook",
        /// `InboundMessage`: a contact sent a message.
        InboundMessage => "InboundMessage",
        /// `InvoiceCreate`.
        InvoiceCreate => "InvoiceCreate",
        /// `InvoiceDelete`.
        InvoiceDelete => "InvoiceDelete",
        /// `InvoicePaid`.
        InvoicePaid => "InvoicePaid",
        /// `InvoicePartiallyPaid`.
        InvoicePartiallyPaid => "InvoicePartiallyPaid",
        /// `InvoiceSent`.
        InvoiceSent => "InvoiceSent",
        /// `InvoiceUpdate`.
        InvoiceUpdate => "InvoiceUpdate",
        /// `InvoiceVoid`.
        InvoiceVoid => "InvoiceVoid",
        /// `LCEmailStats`: delivery statistics of an email sent by LC Email.
        LcEmailStats => "LCEmailStats",
        /// `LocationCreate` (agency apps).
        LocationCreate => "LocationCreate",
        /// `LocationUpdate`.
        LocationUpdate => "LocationUpdate",
        /// `NoteCreate`.
        NoteCreate => "NoteCreate",
        /// `NoteDelete`.
        NoteDelete => "NoteDelete",
        /// `NoteUpdate`.
        NoteUpdate => "NoteUpdate",
        /// `ObjectSchemaCreate`: a custom object was defined.
        ObjectSchemaCreate => "ObjectSchemaCreate",
        /// `ObjectSchemaUpdate`.
        ObjectSchemaUpdate => "ObjectSchemaUpdate",
        /// `OpportunityAssignedToUpdate`.
        OpportunityAssignedToUpdate => "OpportunityAssignedToUpdate",
        /// `OpportunityCreate`.
        OpportunityCreate => "OpportunityCreate",
        /// `OpportunityDelete`.
        OpportunityDelete => "OpportunityDelete",
        /// `OpportunityMonetaryValueUpdate`.
        OpportunityMonetaryValueUpdate => "OpportunityMonetaryValueUpdate",
        /// `OpportunityStageUpdate`.
        OpportunityStageUpdate => "OpportunityStageUpdate",
        /// `OpportunityStatusUpdate`.
        OpportunityStatusUpdate => "OpportunityStatusUpdate",
        /// `OpportunityUpdate`.
        OpportunityUpdate => "OpportunityUpdate",
        /// `OrderCreate`.
        OrderCreate => "OrderCreate",
        /// `OrderStatusUpdate`.
        OrderStatusUpdate => "OrderStatusUpdate",
        /// `OutboundMessage`: a user sent a message.
        OutboundMessage => "OutboundMessage",
        /// `PLAN_CHANGE` (page `PlanChange`): the plan of a paid app changed.
        PlanChange => "PLAN_CHANGE" | "PlanChange",
        /// `PriceCreate`.
        PriceCreate => "PriceCreate",
        /// `PriceDelete`.
        PriceDelete => "PriceDelete",
        /// `PriceUpdate`.
        PriceUpdate => "PriceUpdate",
        /// `ProductCreate`.
        ProductCreate => "ProductCreate",
        /// `ProductDelete`.
        ProductDelete => "ProductDelete",
        /// `ProductUpdate`.
        ProductUpdate => "ProductUpdate",
        /// `ProviderOutboundMessage`: a message for a custom conversation provider to send.
        /// Its payload's `type` is the channel (`SMS`, `Email`), not the event name: decode it
        /// with [`WebhookEvent::from_slice_as`](super::WebhookEvent::from_slice_as).
        ProviderOutboundMessage => "ProviderOutboundMessage" | "ConversationProviderOutboundMessage",
        /// `RecordCreate`: a custom object record (or business) was created.
        RecordCreate => "RecordCreate",
        /// `RecordDelete`.
        RecordDelete => "RecordDelete",
        /// `RecordUpdate`.
        RecordUpdate => "RecordUpdate",
        /// `RelationCreate`: two records were related.
        RelationCreate => "RelationCreate",
        /// `RelationDelete`.
        RelationDelete => "RelationDelete",
        /// `TaskComplete`.
        TaskComplete => "TaskComplete",
        /// `TaskCreate`.
        TaskCreate => "TaskCreate",
        /// `TaskDelete`.
        TaskDelete => "TaskDelete",
        /// `UserCreate`.
        UserCreate => "UserCreate",
    }
);

use WebhookEventType as T;

/// Every known event type, in the order of HighLevel's reference.
static KNOWN: [WebhookEventType; 58] = [
    T::AppInstall,
    T::AppUninstall,
    T::AppointmentCreate,
    T::AppointmentDelete,
    T::AppointmentUpdate,
    T::AssociationCreate,
    T::AssociationDelete,
    T::AssociationUpdate,
    T::CampaignStatusUpdate,
    T::ContactCreate,
    T::ContactDelete,
    T::ContactDndUpdate,
    T::ContactTagUpdate,
    T::ContactUpdate,
    T::ConversationUnreadUpdate,
    T::InboundMessage,
    T::InvoiceCreate,
    T::InvoiceDelete,
    T::InvoicePaid,
    T::InvoicePartiallyPaid,
    T::InvoiceSent,
    T::InvoiceUpdate,
    T::InvoiceVoid,
    T::LcEmailStats,
    T::LocationCreate,
    T::LocationUpdate,
    T::NoteCreate,
    T::NoteDelete,
    T::NoteUpdate,
    T::ObjectSchemaCreate,
    T::ObjectSchemaUpdate,
    T::OpportunityAssignedToUpdate,
    T::OpportunityCreate,
    T::OpportunityDelete,
    T::OpportunityMonetaryValueUpdate,
    T::OpportunityStageUpdate,
    T::OpportunityStatusUpdate,
    T::OpportunityUpdate,
    T::OrderCreate,
    T::OrderStatusUpdate,
    T::OutboundMessage,
    T::PlanChange,
    T::PriceCreate,
    T::PriceDelete,
    T::PriceUpdate,
    T::ProductCreate,
    T::ProductDelete,
    T::ProductUpdate,
    T::ProviderOutboundMessage,
    T::RecordCreate,
    T::RecordDelete,
    T::RecordUpdate,
    T::RelationCreate,
    T::RelationDelete,
    T::TaskComplete,
    T::TaskCreate,
    T::TaskDelete,
    T::UserCreate,
];

impl WebhookEventType {
    /// Every event type this version of the crate knows (one per page of HighLevel's webhook
    /// reference).
    pub fn known() -> &'static [WebhookEventType] {
        &KNOWN
    }

    /// Whether this version of the crate knows the event type (has a typed payload for it).
    pub fn is_known(&self) -> bool {
        KNOWN.contains(self)
    }

    /// The name of the event's page in HighLevel's webhook reference (`AppInstall` for
    /// `INSTALL`, …), `None` for an unknown type.
    pub fn page_name(&self) -> Option<&'static str> {
        match self {
            T::AppInstall => Some("AppInstall"),
            T::AppUninstall => Some("AppUninstall"),
            T::ConversationUnreadUpdate => Some("ConversationUnreadWebhook"),
            T::PlanChange => Some("PlanChange"),
            // Every other known type is named after its page; borrowing from the static list
            // gives a `'static` name.
            other => KNOWN
                .iter()
                .find(|k| *k == other)
                .map(WebhookEventType::as_str),
        }
    }

    /// The event's page on HighLevel's developer site, `None` for an unknown type.
    pub fn doc_url(&self) -> Option<String> {
        self.page_name()
            .map(|page| format!("https://marketplace.gohighlevel.com/docs/webhook/{page}"))
    }

    /// The scope an app needs to receive this event, as listed by HighLevel's scope table
    /// (`Scopes.md` of its OpenAPI repository). `None` where the table names none: app
    /// lifecycle events go to every app, and the table leaves out several events (among them
    /// `ContactUpdate`, the appointment, invoice, product and price events and
    /// `OpportunityUpdate`/`OpportunityAssignedToUpdate`); do not read `None` as "no scope".
    pub fn required_scope(&self) -> Option<Scope> {
        let scope = match self {
            T::CampaignStatusUpdate => "campaigns.readonly",
            T::ContactCreate
            | T::ContactDelete
            | T::ContactDndUpdate
            | T::ContactTagUpdate
            | T::NoteCreate
            | T::NoteDelete
            | T::TaskCreate
            | T::TaskDelete => "contacts.readonly",
            T::ConversationUnreadUpdate => "conversations.readonly",
            T::InboundMessage | T::OutboundMessage => "conversations/message.readonly",
            T::ProviderOutboundMessage => "conversations/message.write",
            T::LocationCreate | T::LocationUpdate => "locations.readonly",
            T::OpportunityCreate
            | T::OpportunityDelete
            | T::OpportunityStageUpdate
            | T::OpportunityStatusUpdate
            | T::OpportunityMonetaryValueUpdate => "opportunities.readonly",
            _ => return None,
        };
        Some(Scope::from(scope))
    }
}
