//! Run-level facts gathered during preflight (reads only) and shared by every stage.

use std::collections::HashMap;

use chrono_tz::Tz;

/// A Phorest branch as the stages need it.
#[derive(Debug, Clone)]
pub(crate) struct BranchFacts {
    pub(crate) id: String,
    /// The branch's time zone, or why it is unusable (only the time-dependent stages of the
    /// branch need it).
    pub(crate) tz: Result<Tz, String>,
    /// ISO 3166-1 alpha-2 country, used as the default region for phone numbers.
    pub(crate) country: Option<String>,
    /// ISO 4217 currency for product prices.
    pub(crate) currency: Option<String>,
}

/// Facts about both systems, read once before any write.
#[derive(Debug, Clone, Default)]
pub(crate) struct Facts {
    /// The GHL location, when preflight could read it (`locations.readonly`).
    pub(crate) location: Option<ghl_client::locations::Location>,
    pub(crate) branches: Vec<BranchFacts>,
    /// The business's walk-in placeholder client, never synced as a contact.
    pub(crate) walk_in_client_id: Option<String>,
    /// Client category id → name.
    pub(crate) categories: HashMap<String, String>,
    /// Phorest staff id → GHL user id (overrides first, then a match by email).
    pub(crate) staff_users: HashMap<String, ghl_client::UserId>,
    /// Phorest staff id → display name (appointment descriptions, notes).
    pub(crate) staff_names: HashMap<String, String>,
    /// Every staff member of each branch (and the records that did not decode), when preflight
    /// read them for the staff → user map: the staff stage uses this read.
    pub(crate) staff_read: HashMap<
        String,
        (
            Vec<phorest_client::Staff>,
            Vec<phorest_client::RejectedRecord>,
        ),
    >,
    /// Staff without a GHL user, with the reason (appointments use the fallback user; each is
    /// a warning in the report).
    pub(crate) unmatched_staff: Vec<(String, String)>,
    /// The GHL custom field id that holds loyalty points, once resolved.
    pub(crate) loyalty_field_id: Option<String>,
    /// Preflight created that field (or, in a dry run, would create it): one write.
    pub(crate) loyalty_field_created: bool,
    /// The GHL calendar's team member user ids (an assignee must be one of them).
    pub(crate) calendar_members: Vec<String>,
    /// Whether the GHL location refuses duplicate contacts (its "Allow Duplicate Contact"
    /// setting, when the token may read the location).
    pub(crate) location_refuses_duplicates: Option<bool>,
}

impl Facts {
    /// The first branch's country (business-level records without a branch use it).
    pub(crate) fn default_country(&self) -> Option<&str> {
        self.branches.first().and_then(|b| b.country.as_deref())
    }

    /// The country for a client's local phone numbers: the branch that created the client, else
    /// the branch of its last visit, else the first branch (a business with branches in two
    /// countries gets each client's numbers right).
    pub(crate) fn client_country(&self, client: &phorest_client::Client) -> Option<&str> {
        let branch = |id: Option<&phorest_client::BranchId>| {
            id.and_then(|id| self.branches.iter().find(|b| b.id == id.as_str()))
                .and_then(|b| b.country.as_deref())
        };
        branch(client.creating_branch_id.as_ref())
            .or_else(|| branch(client.last_visited_branch_id.as_ref()))
            .or_else(|| self.default_country())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn branch(id: &str, country: &str) -> BranchFacts {
        BranchFacts {
            id: id.to_owned(),
            tz: Ok(chrono_tz::Europe::Dublin),
            country: Some(country.to_owned()),
            currency: None,
        }
    }

    fn client(json: serde_json::Value) -> phorest_client::Client {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn client_country_follows_the_clients_branch() {
        let facts = Facts {
            branches: vec![branch("dublin", "IE"), branch("belfast", "GB")],
            ..Facts::default()
        };
        let created = client(serde_json::json!({
            "clientId": "c1", "creatingBranchId": "belfast", "lastVisitedBranchId": "dublin"
        }));
        assert_eq!(facts.client_country(&created), Some("GB"));
        let visited = client(serde_json::json!({
            "clientId": "c2", "creatingBranchId": "closed-branch", "lastVisitedBranchId": "belfast"
        }));
        assert_eq!(facts.client_country(&visited), Some("GB"));
        let unknown = client(serde_json::json!({"clientId": "c3"}));
        assert_eq!(facts.client_country(&unknown), Some("IE"));
    }
}
