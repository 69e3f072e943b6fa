//! Mappers: pure functions from Phorest records to GHL request values.
//!
//! One module per entity. A mapper never does I/O: it validates and
//! normalises its input, then returns the GHL request value(s), the owned tags
//! it wants on the contact, and warnings, or a typed [`SkipReason`]. The
//! executor hashes the request, compares it with the stored hash, and writes.
//!
//! Nothing a mapper can predict is left to a 400/422 from GHL: emails are
//! validated, phones normalised to E.164 with the branch country, and a
//! record that nothing identifies is skipped with a reason.
//!
//! ```
//! use std::collections::HashMap;
//! use sync_core::mappers::{ClientContext, MapperOptions, map_client};
//!
//! let client: phorest_client::Client = serde_json::from_value(serde_json::json!({
//!     "clientId": "c1", "firstName": "Aoife", "lastName": "Byrne",
//!     "email": "not-an-email", "mobile": "087 123 4567",
//!     "clientCategoryIds": ["vip"]
//! }))?;
//! let options = MapperOptions::default();
//! let categories = HashMap::from([("vip".to_owned(), "VIP".to_owned())]);
//! let ctx = ClientContext {
//!     options: &options,
//!     region: Some("IE"),
//!     categories: &categories,
//!     walk_in_id: None,
//!     identities: None,
//! };
//! let mapped = map_client(&client, &ctx).expect("a valid phone is enough");
//! assert_eq!(mapped.request.get_phone().map(String::as_str), Some("+353871234567"));
//! assert_eq!(mapped.request.get_email(), None); // left out, with a warning
//! assert_eq!(mapped.warnings.len(), 1);
//! assert_eq!(mapped.tags, ["phorest-client-id:c1", "phorest:category:vip"]);
//!
//! let nobody: phorest_client::Client =
//!     serde_json::from_value(serde_json::json!({"clientId": "c2", "firstName": "Walk"}))?;
//! assert_eq!(map_client(&nobody, &ctx).unwrap_err().to_string(), "no email or phone");
//! # Ok::<(), serde_json::Error>(())
//! ```

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::normalize::{EmailIssue, PhoneIssue, normalize_email, normalize_phone};
use crate::tags::TagPolicy;

/// "First Last" from the non-blank parts, `None` when both are blank.
pub fn display_name(first: Option<&str>, last: Option<&str>) -> Option<String> {
    let name = [first, last]
        .into_iter()
        .flatten()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    (!name.is_empty()).then_some(name)
}

pub mod appointment;
pub mod booking;
pub mod category;
pub mod checkin;
pub mod client;
pub mod identity;
pub mod loyalty;
pub mod product;
pub mod purchase;
pub mod staff;

pub use appointment::{
    AppointmentContext, MappedAppointment, appointment_marker, appointment_status, map_appointment,
};
pub use booking::{BookingItem, BookingSummary, booking_marker, group_bookings};
pub use category::{category_names, category_tag};
pub use checkin::{checkin_marker, map_checkin};
pub use client::{
    ClientContext, MappedContact, add_client_claims, client_identity_claims,
    detect_shared_identities, map_client, tombstone_tag,
};
pub use identity::{
    Claim, IdentifierKind, SharedIdentityIndex, SharedIdentityPolicy, claim_rank, identity_value,
    parse_identity_value,
};
pub use loyalty::{MappedLoyalty, Tier, TierThresholds, map_loyalty};
pub use product::{MappedProduct, map_product};
pub use purchase::purchase_tags;
pub use staff::{MatchedBy, StaffUserMap, StaffUserMatch, map_staff, match_staff_users};

/// How Phorest marketing consent becomes GHL DND (do-not-disturb) settings.
///
/// Phorest's `smsMarketingConsent` / `emailMarketingConsent` are plain
/// booleans that are `false` both for "opted out" and for "never asked".
/// Turning every `false` into DND (what the seed system did) switched SMS and
/// email off for most contacts. The default is therefore to leave DND alone.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsentDnd {
    /// Default: never send DND settings; the salon manages DND in GHL.
    #[default]
    Ignore,
    /// Consent `false` → DND `active` for that channel. Consent `true` or
    /// missing sends nothing, so a DND set in GHL (e.g. a STOP reply) is
    /// never cleared by the sync.
    OptOutWhenFalse,
    /// Mirror Phorest exactly: `false` → `active`, `true` → `inactive`.
    /// Clears DND set in GHL; only for salons whose Phorest consent is authoritative.
    Mirror,
}

/// What to do with archived Phorest clients.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ArchivedPolicy {
    /// Default: sync them, with the owned tag `{prefix}archived`.
    #[default]
    SyncTagged,
    /// Skip them (reason "archived in Phorest").
    Skip,
}

/// Mapper options shared by every entity.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MapperOptions {
    /// Tag namespace and ownership.
    pub tags: TagPolicy,
    /// Sync clients and staff that have a name but neither a usable email nor
    /// phone (default `false`: they are skipped with a reason). Only for GHL
    /// locations that accept such contacts; the executor must then create
    /// them through the mapping, as there is nothing to upsert on.
    pub allow_name_only: bool,
    /// Use the landline when the mobile is missing or invalid (default `true`).
    pub landline_fallback: bool,
    /// Marketing consent → DND (default [`ConsentDnd::Ignore`]).
    pub consent_dnd: ConsentDnd,
    /// Archived clients (default: synced with a state tag).
    pub archived_clients: ArchivedPolicy,
    /// Shared emails/phones (default [`SharedIdentityPolicy::FirstClaimant`]).
    pub shared_identity: SharedIdentityPolicy,
    /// Skip archived or inactive staff (default `true`; the seed synced them).
    pub skip_archived_staff: bool,
    /// Skip archived products (default `true`).
    pub skip_archived_products: bool,
    /// Loyalty tiers.
    pub tiers: TierThresholds,
    /// The `source` sent on contacts (default `"phorest"`).
    pub source: String,
}

impl Default for MapperOptions {
    fn default() -> Self {
        MapperOptions {
            tags: TagPolicy::default(),
            allow_name_only: false,
            landline_fallback: true,
            consent_dnd: ConsentDnd::default(),
            archived_clients: ArchivedPolicy::default(),
            shared_identity: SharedIdentityPolicy::default(),
            skip_archived_staff: true,
            skip_archived_products: true,
            tiers: TierThresholds::default(),
            source: "phorest".to_owned(),
        }
    }
}

/// Why a record is not synced. The `Display` text is what the report and the
/// fix-list CSV show, written for the salon.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
#[non_exhaustive]
pub enum SkipReason {
    /// Phorest's shared walk-in placeholder client.
    WalkIn,
    /// The client was merged into another one.
    Merged {
        /// The surviving client.
        into: String,
    },
    /// Deleted in Phorest.
    Deleted,
    /// Archived in Phorest (and the options skip archived records).
    Archived,
    /// Inactive in Phorest (staff).
    Inactive,
    /// Neither a usable email nor a usable phone.
    NoContactPoint {
        /// What was wrong with the email, if one was present.
        email: Option<String>,
        /// What was wrong with the phone(s), if one was present.
        phone: Option<String>,
    },
    /// The record's identifiers belong to other clients (shared identity policy).
    SharedIdentity {
        /// `email`, `phone` or `email and phone`.
        identifiers: String,
        /// The other clients, in claim order.
        others: Vec<String>,
    },
    /// A record this one depends on is not in GHL (yet).
    MissingDependency {
        /// What is missing, e.g. "client c1 has no GHL contact".
        what: String,
    },
    /// The record's data cannot be mapped (e.g. a time in a DST gap).
    InvalidData {
        /// What is wrong.
        detail: String,
    },
    /// Nothing to sync for this stage (e.g. a client without a loyalty card);
    /// not a problem to fix.
    NotApplicable {
        /// Why.
        detail: String,
    },
}

impl SkipReason {
    /// Whether the salon can fix the record in Phorest to get it synced
    /// (missing or invalid contact data, shared identifiers, bad times, a
    /// missing dependency). Walk-in, merged, deleted, archived, inactive and
    /// not-applicable skips are expected and need no action; a host may keep
    /// them out of its fix list.
    pub fn is_actionable(&self) -> bool {
        matches!(
            self,
            SkipReason::NoContactPoint { .. }
                | SkipReason::SharedIdentity { .. }
                | SkipReason::MissingDependency { .. }
                | SkipReason::InvalidData { .. }
        )
    }
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SkipReason::WalkIn => f.write_str("walk-in placeholder client"),
            SkipReason::Merged { into } => write!(f, "merged into {into}"),
            SkipReason::Deleted => f.write_str("deleted in Phorest"),
            SkipReason::Archived => f.write_str("archived in Phorest"),
            SkipReason::Inactive => f.write_str("inactive in Phorest"),
            SkipReason::NoContactPoint { email, phone } => {
                f.write_str("no email or phone")?;
                let details: Vec<String> = [("email", email), ("phone", phone)]
                    .into_iter()
                    .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}: {v}")))
                    .collect();
                if !details.is_empty() {
                    write!(f, " ({})", details.join("; "))?;
                }
                Ok(())
            }
            SkipReason::SharedIdentity {
                identifiers,
                others,
            } => write!(
                f,
                "{identifiers} shared with client(s) {}; give each client their own in Phorest",
                others.join(", ")
            ),
            SkipReason::MissingDependency { what } => write!(f, "{what}"),
            SkipReason::InvalidData { detail } | SkipReason::NotApplicable { detail } => {
                write!(f, "{detail}")
            }
        }
    }
}

/// The usable identifiers of a person after validation.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ContactPoints {
    /// Normalised email, if valid.
    pub email: Option<String>,
    /// E.164 phone, if valid.
    pub phone: Option<String>,
    /// Problems with fields that were present but unusable.
    pub email_issue: Option<EmailIssue>,
    /// Problems with phone fields that were present but unusable.
    pub phone_issue: Option<PhoneIssue>,
}

impl ContactPoints {
    /// Validates an email and phone(s). The mobile is preferred; the landline
    /// is used when the mobile is missing or invalid and `landline_fallback`
    /// is set. Blank fields are not issues.
    pub fn resolve(
        email: Option<&str>,
        mobile: Option<&str>,
        landline: Option<&str>,
        region: Option<&str>,
        landline_fallback: bool,
    ) -> Self {
        let mut points = ContactPoints::default();
        match email.map(normalize_email) {
            Some(Ok(e)) => points.email = Some(e),
            Some(Err(EmailIssue::Empty)) | None => {}
            Some(Err(issue)) => points.email_issue = Some(issue),
        }
        let mut candidates = vec![mobile];
        if landline_fallback {
            candidates.push(landline);
        }
        for raw in candidates.into_iter().flatten() {
            match normalize_phone(raw, region) {
                Ok(p) => {
                    points.phone = Some(p);
                    break;
                }
                Err(PhoneIssue::Empty) => {}
                Err(issue) => {
                    points.phone_issue.get_or_insert(issue);
                }
            }
        }
        points
    }

    /// Whether anything identifies the person.
    pub fn is_empty(&self) -> bool {
        self.email.is_none() && self.phone.is_none()
    }

    /// Warnings for unusable fields, for a record that is synced anyway.
    pub fn warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(issue) = &self.email_issue {
            out.push(format!("email left out: {issue}"));
        }
        if let Some(issue) = &self.phone_issue {
            if self.phone.is_some() {
                out.push(format!("mobile not used, landline used instead: {issue}"));
            } else {
                out.push(format!("phone left out: {issue}"));
            }
        }
        out
    }

    /// The skip reason when nothing identifies the person.
    pub fn skip_reason(&self) -> SkipReason {
        SkipReason::NoContactPoint {
            email: self.email_issue.map(|i| i.to_string()),
            phone: self.phone_issue.as_ref().map(|i| i.to_string()),
        }
    }
}

/// Trims a name part; `None` when blank.
pub(crate) fn clean(s: Option<&str>) -> Option<String> {
    s.map(|v| v.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|v| !v.is_empty())
}

/// `first last`, skipping blanks; `None` when both are blank.
pub(crate) fn full_name(first: Option<&str>, last: Option<&str>) -> Option<String> {
    let parts: Vec<String> = [clean(first), clean(last)].into_iter().flatten().collect();
    (!parts.is_empty()).then(|| parts.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contact_points_prefer_mobile_then_landline() {
        let p = ContactPoints::resolve(
            Some(" A@B.ie "),
            Some("0871234567"),
            Some("012345678"),
            Some("IE"),
            true,
        );
        assert_eq!(p.email.as_deref(), Some("a@b.ie"));
        assert_eq!(p.phone.as_deref(), Some("+353871234567"));
        assert!(p.warnings().is_empty());

        let p = ContactPoints::resolve(None, Some("087"), Some("01 234 5678"), Some("IE"), true);
        assert_eq!(p.phone.as_deref(), Some("+35312345678"));
        assert_eq!(
            p.warnings(),
            vec![format!(
                "mobile not used, landline used instead: {}",
                PhoneIssue::TooShort
            )]
        );

        let p = ContactPoints::resolve(None, None, Some("01 234 5678"), Some("IE"), false);
        assert!(p.is_empty());
        assert_eq!(p.skip_reason().to_string(), "no email or phone");
    }

    #[test]
    fn invalid_email_with_valid_phone_is_a_warning() {
        let p = ContactPoints::resolve(
            Some("mary@gmail"),
            Some("+447911123456"),
            None,
            Some("IE"),
            true,
        );
        assert_eq!(p.email, None);
        assert_eq!(p.phone.as_deref(), Some("+447911123456"));
        assert_eq!(
            p.warnings(),
            vec![format!("email left out: {}", EmailIssue::Invalid)]
        );
    }

    #[test]
    fn nothing_usable_gives_a_detailed_reason() {
        let p = ContactPoints::resolve(Some("n/a"), Some("none"), Some(""), Some("IE"), true);
        assert!(p.is_empty());
        let reason = p.skip_reason().to_string();
        assert!(
            reason.starts_with("no email or phone (email: email address is not valid"),
            "{reason}"
        );
        assert!(
            reason.contains("phone: phone number contains letters"),
            "{reason}"
        );
    }

    #[test]
    fn names_are_trimmed_and_composed() {
        assert_eq!(
            full_name(Some("  Mary  Ann "), Some(" O'Brien ")).as_deref(),
            Some("Mary Ann O'Brien")
        );
        assert_eq!(
            full_name(Some(" "), Some("Ó Súilleabháin")).as_deref(),
            Some("Ó Súilleabháin")
        );
        assert_eq!(full_name(Some(""), None), None);
    }

    #[test]
    fn options_load_from_partial_config() {
        let o: MapperOptions = serde_json::from_value(serde_json::json!({
            "allow_name_only": true,
            "consent_dnd": "opt_out_when_false",
            "tags": {"prefix": "salon:"},
            "tiers": {"base": "friend"}
        }))
        .unwrap();
        assert!(o.allow_name_only);
        assert_eq!(o.consent_dnd, ConsentDnd::OptOutWhenFalse);
        assert_eq!(o.tags.prefix, "salon:");
        assert_eq!(o.tiers.base, "friend");
        assert_eq!(o.tiers.tier_for(1000.0), "gold");
        assert!(o.landline_fallback);
        assert_eq!(o.source, "phorest");
        let back: MapperOptions =
            serde_json::from_value(serde_json::to_value(&o).unwrap()).unwrap();
        assert_eq!(back, o);
    }

    #[test]
    fn skip_reasons_read_well() {
        assert_eq!(
            SkipReason::Merged { into: "c9".into() }.to_string(),
            "merged into c9"
        );
        assert_eq!(SkipReason::WalkIn.to_string(), "walk-in placeholder client");
        assert!(!SkipReason::WalkIn.is_actionable());
        assert!(
            !SkipReason::NotApplicable {
                detail: "no loyalty card".into()
            }
            .is_actionable()
        );
        assert!(
            SkipReason::NoContactPoint {
                email: None,
                phone: None
            }
            .is_actionable()
        );
        let shared = SkipReason::SharedIdentity {
            identifiers: "email".into(),
            others: vec!["a".into(), "b".into()],
        };
        assert_eq!(
            shared.to_string(),
            "email shared with client(s) a, b; give each client their own in Phorest"
        );
        assert_eq!(
            serde_json::to_value(SkipReason::Merged { into: "c9".into() }).unwrap(),
            serde_json::json!({"code": "merged", "into": "c9"})
        );
    }
}
