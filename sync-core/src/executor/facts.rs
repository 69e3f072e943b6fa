//! Run-level facts gathered during preflight (reads only) and shared by every stage.

use std::collections::HashMap;

use chrono_tz::Tz;

/// A Phorest branch as the stages need it.
#[derive(Debug, Clone)]
pub(crate) struct BranchFacts {
    pub(crate) id: String,
    pub(crate) tz: Tz,
    /// ISO 3166-1 alpha-2 country, used as the default region for phone numbers.
    pub(crate) country: Option<String>,
    /// ISO 4217 currency for product prices.
    pub(crate) currency: Option<String>,
}

/// Facts about both systems, read once before any write.
#[derive(Debug, Clone, Default)]
pub(crate) struct Facts {
    pub(crate) branches: Vec<BranchFacts>,
    /// The business's walk-in placeholder client, never synced as a contact.
    pub(crate) walk_in_client_id: Option<String>,
    /// Client category id → name.
    pub(crate) categories: HashMap<String, String>,
    /// Phorest staff id → GHL user id (overrides first, then a match by email).
    pub(crate) staff_users: HashMap<String, String>,
    /// Phorest staff id → display name (appointment descriptions, notes).
    pub(crate) staff_names: HashMap<String, String>,
    /// Staff ids without a GHL user (appointments use the fallback user, reported).
    pub(crate) unmatched_staff: Vec<String>,
    /// The GHL custom field id that holds loyalty points, once resolved.
    pub(crate) loyalty_field_id: Option<String>,
    /// The GHL calendar's team member user ids (an assignee must be one of them).
    pub(crate) calendar_members: Vec<String>,
}

impl Facts {
    /// The first branch's country (business-level records such as clients use it).
    pub(crate) fn default_country(&self) -> Option<&str> {
        self.branches.first().and_then(|b| b.country.as_deref())
    }
}
