//! Users (staff) of a location. `Version: 2021-07-28`.

use reqwest::Method;
use serde::{Deserialize, Serialize};

use crate::client::{Call, GhlClient};
use crate::error::Error;
use crate::ids::UserId;
use crate::scope::Scope;

/// The `Version` header of the users API.
pub const VERSION: &str = "2021-07-28";

/// A user of the location.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct User {
    /// The user id.
    pub id: UserId,
    /// Full name.
    #[serde(default)]
    pub name: Option<String>,
    /// First name.
    #[serde(default)]
    pub first_name: Option<String>,
    /// Last name.
    #[serde(default)]
    pub last_name: Option<String>,
    /// Email.
    #[serde(default)]
    pub email: Option<String>,
    /// Phone.
    #[serde(default)]
    pub phone: Option<String>,
    /// Roles, as GHL sends them (`{type, role, locationIds}`).
    #[serde(default)]
    pub roles: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct UsersEnvelope {
    #[serde(default)]
    users: Vec<User>,
}

/// `client.users()`.
#[derive(Debug, Clone, Copy)]
pub struct UsersHandler<'c> {
    client: &'c GhlClient,
}

impl<'c> UsersHandler<'c> {
    pub(crate) fn new(client: &'c GhlClient) -> Self {
        Self { client }
    }

    /// `GET /users/?locationId=`: the location's users (to map staff to users).
    pub async fn list(&self) -> Result<Vec<User>, Error> {
        let call = Call::new(
            Method::GET,
            "/users/",
            &["users", ""],
            VERSION,
            Scope::UsersReadonly,
        )
        .query("locationId", self.client.location_id());
        let envelope: UsersEnvelope = self.client.send(call).await?;
        Ok(envelope.users)
    }
}
