//! Phorest staff → GHL contact (tagged as staff), and staff → GHL user
//! matching for appointment assignment.
//!
//! Staff contacts carry the seed system's tags `role:staff`,
//! `phorest-staff:true` and `phorest-staff-id:{id}` (owned, so a later run can
//! remove them). Emails and phones go through the same validation as clients,
//! so a staff record with a bad email becomes a warning (or a skip with a
//! reason), never a 422 from GHL.

use std::collections::{BTreeMap, HashMap};

use ghl_client::UserId;
use ghl_client::contacts::UpsertContact;
use ghl_client::users::User;
use phorest_client::Staff;
use serde::{Deserialize, Serialize};

use super::client::MappedContact;
use super::{ContactPoints, MapperOptions, SkipReason, clean, full_name};
use crate::normalize::normalize_email;

/// Maps one staff member to a contact. `region` is the branch country.
///
/// Archived staff are skipped when [`MapperOptions::skip_archived_staff`] is
/// set (the default). Staff with neither a usable email nor phone are
/// skipped with a reason unless [`MapperOptions::allow_name_only`] is set.
pub fn map_staff(
    staff: &Staff,
    options: &MapperOptions,
    region: Option<&str>,
) -> Result<MappedContact, SkipReason> {
    if staff.archived && options.skip_archived_staff {
        return Err(SkipReason::Archived);
    }
    let points = ContactPoints::resolve(
        staff.email.as_deref(),
        staff.mobile.as_deref(),
        None,
        region,
        false,
    );
    let name = full_name(staff.first_name.as_deref(), staff.last_name.as_deref());
    if points.is_empty() && (!options.allow_name_only || name.is_none()) {
        return Err(points.skip_reason());
    }
    let request = UpsertContact::new()
        .set_first_name(clean(staff.first_name.as_deref()))
        .set_last_name(clean(staff.last_name.as_deref()))
        .set_name(name)
        .set_email(points.email.clone())
        .set_phone(points.phone.clone())
        .source(options.source.clone());
    let mut tags = options.tags.staff_tags(staff.staff_id.as_str());
    tags.sort();
    Ok(MappedContact {
        request,
        tags,
        warnings: points.warnings(),
    })
}

/// How a staff member was linked to a GHL user.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchedBy {
    /// The host's override map.
    Override,
    /// The same email address (case-insensitive).
    Email,
}

/// A staff member linked to a GHL user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StaffUserMatch {
    /// The GHL user.
    pub user_id: UserId,
    /// How the link was made.
    pub matched_by: MatchedBy,
}

/// The result of [`match_staff_users`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StaffUserMap {
    /// Staff id → GHL user.
    pub matched: BTreeMap<String, StaffUserMatch>,
    /// Staff id → why no user could be chosen (for the report).
    pub unmatched: BTreeMap<String, String>,
}

impl StaffUserMap {
    /// The GHL user of a staff member, if matched.
    pub fn user_for(&self, staff_id: &str) -> Option<&UserId> {
        self.matched.get(staff_id).map(|m| &m.user_id)
    }

    /// Staff id → user id, the shape the appointment mapper takes.
    pub fn to_user_ids(&self) -> HashMap<String, UserId> {
        self.matched
            .iter()
            .map(|(s, m)| (s.clone(), m.user_id.clone()))
            .collect()
    }
}

/// Links staff to GHL users: first by the host's `overrides` (staff id →
/// user id, always trusted), then by email (normalised, so case and spaces
/// do not matter). A staff email that matches two users is reported as
/// ambiguous rather than guessed; staff without a match are listed in
/// `unmatched` with the reason. Nothing is ever assigned round-robin.
pub fn match_staff_users<'s>(
    staff: impl IntoIterator<Item = &'s Staff>,
    users: &[User],
    overrides: &HashMap<String, UserId>,
) -> StaffUserMap {
    let mut by_email: HashMap<String, Vec<&UserId>> = HashMap::new();
    for user in users {
        if let Some(email) = user.email.as_deref().and_then(|e| normalize_email(e).ok()) {
            by_email.entry(email).or_default().push(&user.id);
        }
    }
    let mut out = StaffUserMap::default();
    for s in staff {
        let id = s.staff_id.as_str().to_owned();
        if let Some(user_id) = overrides.get(&id) {
            out.matched.insert(
                id,
                StaffUserMatch {
                    user_id: user_id.clone(),
                    matched_by: MatchedBy::Override,
                },
            );
            continue;
        }
        let email = s.email.as_deref().and_then(|e| normalize_email(e).ok());
        match email
            .as_ref()
            .and_then(|e| by_email.get(e))
            .map(Vec::as_slice)
        {
            Some([user_id]) => {
                out.matched.insert(
                    id,
                    StaffUserMatch {
                        user_id: (*user_id).clone(),
                        matched_by: MatchedBy::Email,
                    },
                );
            }
            Some(several) if several.len() > 1 => {
                out.unmatched.insert(
                    id,
                    format!(
                        "{} GHL users share this staff member's email; map one explicitly",
                        several.len()
                    ),
                );
            }
            _ if email.is_none() => {
                out.unmatched.insert(
                    id,
                    "no valid email to match a GHL user; map the user explicitly".to_owned(),
                );
            }
            _ => {
                out.unmatched.insert(
                    id,
                    "no GHL user with this staff member's email; invite them or map explicitly"
                        .to_owned(),
                );
            }
        }
    }
    out
}
