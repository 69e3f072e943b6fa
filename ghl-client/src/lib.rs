#![doc = include_str!("../README.md")]
//!
//! # Modules
//!
//! - [`contacts`], [`calendars`], [`users`], [`products`], [`custom_fields`], [`locations`],
//!   [`oauth`]: one handler per resource (`client.contacts()`, …) with its request values and
//!   response models, and its `VERSION` header constant.
//! - [`auth`]: [`Auth`], [`TokenSet`], [`TokenStore`]; [`scope`]: [`Scope`].
//! - [`rate_limit`]: the per-location limiter; [`retry`]: the retry policy.
//! - [`pagination`]: [`Page`] and [`Listed`] (list answers decoded item by item, with the
//!   items that did not decode in [`Listed::rejected`]).
//! - [`error`]: [`Error`] and its predicates; [`TransportError`] for failures below HTTP.
//! - [`webhooks`]: typed webhook events, signature verification (`x-ghl-signature` Ed25519,
//!   `x-wh-signature` RSA) over the raw body, and replay protection.
#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod client;
mod de;
mod ids;
mod open_enum;

#[rustfmt::skip]
pub mod api;
pub mod auth;
pub mod calendars;
pub mod contacts;
pub mod custom_fields;
pub mod error;
pub mod locations;
pub mod oauth;
pub mod pagination;
pub mod products;
pub mod rate_limit;
pub mod retry;
pub mod scope;
pub mod users;
pub mod webhooks;

#[cfg(feature = "mock")]
#[cfg_attr(docsrs, doc(cfg(feature = "mock")))]
pub mod mock;

pub use auth::{Auth, MemoryTokenStore, OAuthApp, TokenSet, TokenStore, TokenStoreError, UserType};
pub use client::{DEFAULT_BASE_URL, GhlClient, GhlClientBuilder, install_default_crypto_provider};
pub use error::{ApiError, BuildError, Error, TransportError};
pub use ids::{
    AppId, AssociationId, ConversationId, InvoiceId, MessageId, OpportunityId, OrderId, PipelineId,
    PipelineStageId, RecordId, TaskId, WebhookId,
};
pub use ids::{
    AppointmentId, CalendarId, CompanyId, ContactId, CustomFieldId, LocationId, NoteId, PriceId,
    ProductId, UserId,
};
pub use pagination::{Listed, Page, RejectedItem};
pub use rate_limit::{RateLimitConfig, RateLimiter};
pub use retry::RetryPolicy;
pub use scope::Scope;

/// Re-exported so callers can build secrets without depending on `secrecy` themselves.
pub use secrecy::{ExposeSecret, SecretString};

impl GhlClient {
    /// Contacts, tags, notes, search.
    pub fn contacts(&self) -> contacts::ContactsHandler<'_> {
        contacts::ContactsHandler::new(self)
    }

    /// Calendars, appointments, events.
    pub fn calendars(&self) -> calendars::CalendarsHandler<'_> {
        calendars::CalendarsHandler::new(self)
    }

    /// Users of the location.
    pub fn users(&self) -> users::UsersHandler<'_> {
        users::UsersHandler::new(self)
    }

    /// Products and prices.
    pub fn products(&self) -> products::ProductsHandler<'_> {
        products::ProductsHandler::new(self)
    }

    /// Custom fields of the location.
    pub fn custom_fields(&self) -> custom_fields::CustomFieldsHandler<'_> {
        custom_fields::CustomFieldsHandler::new(self)
    }

    /// Locations.
    pub fn locations(&self) -> locations::LocationsHandler<'_> {
        locations::LocationsHandler::new(self)
    }

    /// The OAuth token endpoint.
    pub fn oauth(&self) -> oauth::OAuthHandler<'_> {
        oauth::OAuthHandler::new(self)
    }
}
