//! Platform events: app install, uninstall and plan change, locations, users.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::ids::{AppId, CompanyId, LocationId, UserId};
use crate::webhooks::de;

/// Payload of `INSTALL` ([AppInstall](https://marketplace.gohighlevel.com/docs/webhook/AppInstall)),
/// sent to the app's default webhook URL. `user_id` and `company_id` may be missing for
/// installs on future locations.
///
/// `version_id`, `install_type` and `location_ids` (bulk installs) are not on the page; they
/// are named by HighLevel's Node SDK (`highlevel-api-sdk`, `lib/webhook/webhook-manager.ts`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct AppInstallEvent {
    /// The app.
    #[serde(default, deserialize_with = "de::opt_id")]
    pub app_id: Option<AppId>,
    /// The app version.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub version_id: Option<String>,
    /// `Location` or `Company` (from the Node SDK).
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub install_type: Option<String>,
    /// The agency.
    #[serde(default, deserialize_with = "de::opt_id")]
    pub company_id: Option<CompanyId>,
    /// The location (location-level installs).
    #[serde(default, deserialize_with = "de::opt_id")]
    pub location_id: Option<LocationId>,
    /// The locations of a bulk install (from the Node SDK).
    #[serde(default, deserialize_with = "de::id_list")]
    pub location_ids: Vec<LocationId>,
    /// The installing user.
    #[serde(default, deserialize_with = "de::opt_id")]
    pub user_id: Option<UserId>,
    /// The plan chosen (paid apps).
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub plan_id: Option<String>,
    /// Trial details.
    #[serde(default)]
    pub trial: Option<AppTrial>,
    /// Whether the agency is white-labelled.
    #[serde(default, deserialize_with = "de::lenient_bool")]
    pub is_whitelabel_company: Option<bool>,
    /// White-label domain and logo (empty when not white-labelled).
    #[serde(default)]
    pub whitelabel_details: Option<WhitelabelDetails>,
    /// The agency's name.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub company_name: Option<String>,
}

/// Trial details of an install.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct AppTrial {
    /// On trial.
    #[serde(default, deserialize_with = "de::lenient_bool")]
    pub on_trial: Option<bool>,
    /// Trial length in days.
    #[serde(default, deserialize_with = "de::lenient_f64")]
    pub trial_duration: Option<f64>,
    /// Trial start (ISO 8601).
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub trial_start_date: Option<String>,
}

/// White-label details of an agency.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct WhitelabelDetails {
    /// Domain.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub domain: Option<String>,
    /// Logo URL.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub logo_url: Option<String>,
}

/// Payload of `UNINSTALL`
/// ([AppUninstall](https://marketplace.gohighlevel.com/docs/webhook/AppUninstall)): a location
/// uninstall names `location_id`, an agency uninstall `company_id`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct AppUninstallEvent {
    /// The app.
    #[serde(default, deserialize_with = "de::opt_id")]
    pub app_id: Option<AppId>,
    /// The agency (agency-level uninstall).
    #[serde(default, deserialize_with = "de::opt_id")]
    pub company_id: Option<CompanyId>,
    /// The location (location-level uninstall).
    #[serde(default, deserialize_with = "de::opt_id")]
    pub location_id: Option<LocationId>,
}

/// Payload of `PLAN_CHANGE`
/// ([PlanChange](https://marketplace.gohighlevel.com/docs/webhook/PlanChange)): the plan of a
/// paid app changed.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct PlanChangeEvent {
    /// The app.
    #[serde(default, deserialize_with = "de::opt_id")]
    pub app_id: Option<AppId>,
    /// The location.
    #[serde(default, deserialize_with = "de::opt_id")]
    pub location_id: Option<LocationId>,
    /// The agency.
    #[serde(default, deserialize_with = "de::opt_id")]
    pub company_id: Option<CompanyId>,
    /// The user who changed it.
    #[serde(default, deserialize_with = "de::opt_id")]
    pub user_id: Option<UserId>,
    /// The plan before.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub current_plan_id: Option<String>,
    /// The plan after.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub new_plan_id: Option<String>,
}

/// Payload of `LocationCreate` and `LocationUpdate` (agency apps)
/// ([LocationCreate](https://marketplace.gohighlevel.com/docs/webhook/LocationCreate); scope
/// `locations.readonly`). The location is `id`: there is no `locationId`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct LocationEvent {
    /// The location id.
    #[serde(default, deserialize_with = "de::opt_id")]
    pub id: Option<LocationId>,
    /// Name.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub name: Option<String>,
    /// Email.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub email: Option<String>,
    /// Stripe product of the location's SaaS plan.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub stripe_product_id: Option<String>,
    /// The agency.
    #[serde(default, deserialize_with = "de::opt_id")]
    pub company_id: Option<CompanyId>,
}

/// Payload of `LocationCreate`.
pub type LocationCreateEvent = LocationEvent;
/// Payload of `LocationUpdate`.
pub type LocationUpdateEvent = LocationEvent;

/// Payload of `UserCreate` ([page](https://marketplace.gohighlevel.com/docs/webhook/UserCreate)):
/// a sub-account user names `location_id`, an agency user `company_id` and `locations`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct UserCreateEvent {
    /// The location (sub-account users).
    #[serde(default, deserialize_with = "de::opt_id")]
    pub location_id: Option<LocationId>,
    /// The agency (agency users).
    #[serde(default, deserialize_with = "de::opt_id")]
    pub company_id: Option<CompanyId>,
    /// The user id.
    #[serde(default, deserialize_with = "de::opt_id")]
    pub id: Option<UserId>,
    /// First name.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub first_name: Option<String>,
    /// Last name.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub last_name: Option<String>,
    /// Email.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub email: Option<String>,
    /// Phone.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub phone: Option<String>,
    /// Phone extension.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub extension: Option<String>,
    /// Role (`user`, `admin`).
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub role: Option<String>,
    /// Feature permissions (`appointmentsEnabled`, …), as sent: see
    /// [`UserCreateEvent::permission`].
    #[serde(default, deserialize_with = "de::null_default")]
    pub permissions: BTreeMap<String, Value>,
    /// Locations an agency user can access.
    #[serde(default, deserialize_with = "de::id_list")]
    pub locations: Vec<LocationId>,
}

impl UserCreateEvent {
    /// One permission flag by its wire name (`"contactsEnabled"`): `None` when absent or not a
    /// boolean.
    pub fn permission(&self, name: &str) -> Option<bool> {
        self.permissions.get(name).and_then(Value::as_bool)
    }
}
