//! Identifier newtypes, so a contact id cannot be passed where a calendar id is expected.

macro_rules! id_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Wraps a raw id.
            pub fn new(id: impl Into<String>) -> Self {
                Self(id.into())
            }

            /// The raw id.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// Consumes the newtype, giving the raw id back.
            pub fn into_inner(self) -> String {
                self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}({:?})", stringify!($name), self.0)
            }
        }

        impl From<String> for $name {
            fn from(id: String) -> Self {
                Self(id)
            }
        }

        impl From<&str> for $name {
            fn from(id: &str) -> Self {
                Self(id.to_owned())
            }
        }

        impl From<&$name> for $name {
            fn from(id: &$name) -> Self {
                id.clone()
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::convert::Infallible;
            fn from_str(id: &str) -> Result<Self, Self::Err> {
                Ok(Self(id.to_owned()))
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

id_type!(
    /// A contact id.
    ContactId
);
id_type!(
    /// A location (sub-account) id.
    LocationId
);
id_type!(
    /// A calendar id.
    CalendarId
);
id_type!(
    /// A user (staff member) id.
    UserId
);
id_type!(
    /// An appointment (calendar event) id.
    AppointmentId
);
id_type!(
    /// A product id (GHL's `_id`).
    ProductId
);
id_type!(
    /// A price id (GHL's `_id`).
    PriceId
);
id_type!(
    /// A contact note id.
    NoteId
);
id_type!(
    /// A custom field id.
    CustomFieldId
);
id_type!(
    /// An agency (company) id.
    CompanyId
);

// Ids named by webhook payloads (`webhooks`).
id_type!(
    /// A webhook delivery id (`webhookId`), unique per delivery: the replay key.
    WebhookId
);
id_type!(
    /// A marketplace app id (`appId`).
    AppId
);
id_type!(
    /// An opportunity id.
    OpportunityId
);
id_type!(
    /// A pipeline id.
    PipelineId
);
id_type!(
    /// A pipeline stage id.
    PipelineStageId
);
id_type!(
    /// A contact task id.
    TaskId
);
id_type!(
    /// A conversation id.
    ConversationId
);
id_type!(
    /// A conversation message id.
    MessageId
);
id_type!(
    /// An invoice id (GHL's `_id`).
    InvoiceId
);
id_type!(
    /// An order id (GHL's `_id`).
    OrderId
);
id_type!(
    /// An association (between object kinds) id.
    AssociationId
);
id_type!(
    /// A custom object record id.
    RecordId
);
