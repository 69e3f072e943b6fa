//! Locations (sub-accounts). `Version: 2021-07-28`.

use reqwest::Method;
use serde::{Deserialize, Serialize};

use crate::client::{Call, GhlClient};
use crate::error::Error;
use crate::ids::LocationId;
use crate::scope::Scope;

/// The `Version` header of the locations API.
pub const VERSION: &str = "2021-07-28";

/// A location.
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
    /// Agency (company) id.
    #[serde(default)]
    pub company_id: Option<String>,
}

#[derive(Deserialize)]
struct LocationEnvelope {
    location: Location,
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

    /// `GET /locations/{id}` for the client's location.
    pub async fn get_current(&self) -> Result<Location, Error> {
        self.get(self.client.location_id()).await
    }

    /// `GET /locations/{id}`.
    pub async fn get(&self, id: &LocationId) -> Result<Location, Error> {
        let call = Call::new(
            Method::GET,
            "/locations/{id}",
            &["locations", id.as_str()],
            VERSION,
            Scope::LocationsReadonly,
        );
        let envelope: LocationEnvelope = self.client.send(call).await?;
        Ok(envelope.location)
    }
}
