//! Locations (sub-accounts). `Version: 2021-07-28`.

use reqwest::Method;
use serde::{Deserialize, Serialize};

use crate::client::{Call, GhlClient};
use crate::error::Error;
use crate::ids::{CompanyId, LocationId};
use crate::scope::Scope;

/// The `Version` header of the locations API.
pub const VERSION: &str = "2021-07-28";

/// A location, as GHL returns it.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Location {
    /// The location id.
    pub id: LocationId,
    /// Its name.
    #[serde(default)]
    pub name: Option<String>,
    /// IANA time zone, such as `Europe/Dublin`.
    #[serde(default)]
    pub timezone: Option<String>,
    /// Country (ISO alpha-2).
    #[serde(default)]
    pub country: Option<String>,
    /// Email.
    #[serde(default)]
    pub email: Option<String>,
    /// Phone.
    #[serde(default)]
    pub phone: Option<String>,
    /// The agency (company) the location belongs to (needed by
    /// [`UsersHandler::search`](crate::users::UsersHandler::search)).
    #[serde(default)]
    pub company_id: Option<CompanyId>,
    /// The location's settings (`None` too when GHL sent them in an unexpected shape).
    #[serde(default, deserialize_with = "crate::de::or_none")]
    pub settings: Option<LocationSettings>,
}

/// A location's settings (those GHL's `SettingsSchema` declares).
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct LocationSettings {
    /// "Allow Duplicate Contact": when `true`, a create with an existing email or phone makes
    /// a second contact instead of failing with
    /// [`Error::DuplicateContact`].
    #[serde(default)]
    pub allow_duplicate_contact: Option<bool>,
    /// "Allow Duplicate Opportunity".
    #[serde(default)]
    pub allow_duplicate_opportunity: Option<bool>,
    /// Whether Facebook names are merged into contacts.
    #[serde(default)]
    pub allow_facebook_name_merge: Option<bool>,
    /// Whether contact time zones are disabled.
    #[serde(default)]
    pub disable_contact_timezone: Option<bool>,
}

/// `client.locations()`.
#[derive(Debug, Clone, Copy)]
pub struct LocationsHandler<'c> {
    client: &'c GhlClient,
}

impl<'c> LocationsHandler<'c> {
    pub(crate) fn new(client: &'c GhlClient) -> Self {
        Self { client }
    }

    /// `GET /locations/{locationId}` for the client's location.
    pub async fn get_current(&self) -> Result<Location, Error> {
        self.get(self.client.location_id()).await
    }

    /// `GET /locations/{locationId}`. Needs `locations.readonly`.
    pub async fn get(&self, id: &LocationId) -> Result<Location, Error> {
        let call = Call::new(
            Method::GET,
            "/locations/{id}",
            &["locations", id.as_str()],
            VERSION,
            Scope::LocationsReadonly,
        );
        self.client.send_json(call).await?.field("location")
    }
}
