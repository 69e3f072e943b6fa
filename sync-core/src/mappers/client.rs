//! Phorest client → GHL contact.
//!
//! | Phorest | GHL | rule |
//! |---|---|---|
//! | walk-in placeholder | — | skipped: "walk-in placeholder client" |
//! | `mergedToClientId` | — | skipped: "merged into {id}" |
//! | `deleted` | — | skipped: "deleted in Phorest"; for an already-synced contact the executor adds [`tombstone_tag`] |
//! | `archived` | tag `{prefix}archived` | or skipped, by [`ArchivedPolicy`] |
//! | `banned` | tag `{prefix}banned` | synced (the salon's GHL workflows can exclude the tag) |
//! | `firstName`, `lastName` | `firstName`, `lastName`, `name` | whitespace collapsed; `name` = "first last" |
//! | `email` | `email` | trimmed, lowercased, validated; invalid → left out + warning |
//! | `mobile` (else `landLine`) | `phone` | E.164 with the branch country; invalid → left out + warning |
//! | `address.*` | `address1` (lines 1 and 2), `city`, `state`, `postalCode`, `country` | country only when an ISO alpha-2 code |
//! | `birthDate` | `dateOfBirth` | dropped when before 1900 (placeholder years) |
//! | `gender` | `gender` | `MALE` → `male`, `FEMALE` → `female`; other values not sent |
//! | marketing consent | `dndSettings` | by [`ConsentDnd`] (default: not sent) |
//! | `clientCategoryIds` | tags `{prefix}category:{slug(name)}` | unknown ids → warning |
//! | `clientId` | tag `phorest-client-id:{id}` | |
//! | — | `source` | [`MapperOptions::source`] (default `phorest`) |
//!
//! Neither email nor phone → skipped: "no email or phone" (with what was wrong
//! with each), unless [`MapperOptions::allow_name_only`] is set.
//! Shared emails/phones are resolved by [`SharedIdentityPolicy`].

use std::collections::HashMap;

use chrono::Datelike;
use ghl_client::contacts::{DndChannel, DndSettings, DndStatus, UpdateContact, UpsertContact};
use phorest_client::{Client, Gender};

use super::identity::{Claim, IdentifierKind, SharedIdentityIndex, SharedIdentityPolicy};
use super::{
    ArchivedPolicy, ConsentDnd, ContactPoints, MapperOptions, SkipReason, clean, full_name,
};
use crate::tags::{StateTag, TagPolicy};

/// A contact request ready to upsert, without tags (tags are applied by
/// add/remove so the salon's own tags survive), plus the owned tags wanted
/// and the warnings to report.
#[derive(Clone, Debug, PartialEq)]
pub struct MappedContact {
    /// The upsert body; `tags` is always `None`.
    pub request: UpsertContact,
    /// The owned tags this contact should carry.
    pub tags: Vec<String>,
    /// Caveats for the report (the record is synced anyway).
    pub warnings: Vec<String>,
}

impl MappedContact {
    /// Whether the contact has an email or phone GHL can match on. A
    /// name-only contact ([`MapperOptions::allow_name_only`]) cannot be
    /// upserted: create it once (`POST /contacts/`) and update it by id.
    pub fn has_identifier(&self) -> bool {
        self.request.get_email().is_some() || self.request.get_phone().is_some()
    }

    /// The `PUT /contacts/{id}` body for an already-mapped contact: the same
    /// contact fields, of which ghl-client sends only those GHL's update DTO
    /// declares (no `gender`, no `companyName`), never `locationId` or
    /// `tags`; `source` is left out too (it describes where the contact came
    /// from, set on create). Fields the mapper left out (e.g. an email that
    /// became invalid) are not sent, so they are not cleared in GHL.
    pub fn update_body(&self) -> UpdateContact {
        UpdateContact::from(&self.request).set_source(None)
    }
}

/// What the client mapper needs besides the client.
#[derive(Clone, Copy, Debug)]
pub struct ClientContext<'a> {
    /// Mapper options.
    pub options: &'a MapperOptions,
    /// The branch country (ISO alpha-2) used for local phone numbers.
    pub region: Option<&'a str>,
    /// Client category id → name.
    pub categories: &'a HashMap<String, String>,
    /// The id of Phorest's walk-in placeholder client, if known.
    pub walk_in_id: Option<&'a str>,
    /// Shared identities detected up front (see [`detect_shared_identities`]).
    pub identities: Option<&'a SharedIdentityIndex>,
}

/// Why a client is not synced before looking at its contact data.
fn lifecycle_skip(client: &Client, ctx: &ClientContext<'_>) -> Option<SkipReason> {
    let id = client.client_id.as_str();
    if ctx.walk_in_id == Some(id) {
        return Some(SkipReason::WalkIn);
    }
    if let Some(into) = client
        .merged_to_client_id
        .as_ref()
        .filter(|m| !m.as_str().is_empty())
    {
        return Some(SkipReason::Merged {
            into: into.as_str().to_owned(),
        });
    }
    if client.deleted {
        return Some(SkipReason::Deleted);
    }
    if client.archived && ctx.options.archived_clients == ArchivedPolicy::Skip {
        return Some(SkipReason::Archived);
    }
    None
}

fn contact_points(client: &Client, ctx: &ClientContext<'_>) -> ContactPoints {
    ContactPoints::resolve(
        client.email.as_deref(),
        client.mobile.as_deref(),
        client.land_line.as_deref(),
        ctx.region,
        ctx.options.landline_fallback,
    )
}

/// Builds the shared-identity index from one pass over all clients, using
/// the same validation and lifecycle rules as [`map_client`] (walk-in,
/// merged, deleted and skipped-archived clients claim nothing).
///
/// The `identities` field of `ctx` is ignored. To keep memory flat while
/// streaming pages, call [`add_client_claims`] per client and
/// [`SharedIdentityIndex::finish`] at the end instead.
pub fn detect_shared_identities<'c>(
    clients: impl IntoIterator<Item = &'c Client>,
    ctx: &ClientContext<'_>,
) -> SharedIdentityIndex {
    let mut index = SharedIdentityIndex::new();
    for client in clients {
        add_client_claims(&mut index, client, ctx);
    }
    index.finish();
    index
}

/// Adds one client's normalised email and phone to `index` (nothing for
/// clients [`map_client`] would skip for lifecycle reasons).
pub fn add_client_claims(
    index: &mut SharedIdentityIndex,
    client: &Client,
    ctx: &ClientContext<'_>,
) {
    if lifecycle_skip(client, ctx).is_some() {
        return;
    }
    let points = contact_points(client, ctx);
    index.add(
        client.client_id.as_str(),
        client.created_at,
        points.email.as_deref(),
        points.phone.as_deref(),
    );
}

/// What one client claims in the shared-identity index: its claim rank and its normalised
/// identifiers as identity-store values (`email:…`, `phone:…`). Clients [`map_client`] would
/// skip for lifecycle reasons (walk-in, merged, deleted, skipped-archived) claim nothing.
pub fn client_identity_claims(client: &Client, ctx: &ClientContext<'_>) -> (String, Vec<String>) {
    let id = client.client_id.as_str();
    let rank = super::identity::claim_rank(client.created_at, id);
    if lifecycle_skip(client, ctx).is_some() {
        return (rank, Vec::new());
    }
    let points = contact_points(client, ctx);
    let mut values = Vec::new();
    if let Some(email) = points.email.as_deref().filter(|v| !v.is_empty()) {
        values.push(super::identity::identity_value(
            IdentifierKind::Email,
            email,
        ));
    }
    if let Some(phone) = points.phone.as_deref().filter(|v| !v.is_empty()) {
        values.push(super::identity::identity_value(
            IdentifierKind::Phone,
            phone,
        ));
    }
    (rank, values)
}

/// The tag an already-synced contact gets when its client is deleted in Phorest.
pub fn tombstone_tag(policy: &TagPolicy) -> String {
    policy.state_tag(StateTag::Deleted)
}

/// Maps one client (see the module docs for the rules).
pub fn map_client(client: &Client, ctx: &ClientContext<'_>) -> Result<MappedContact, SkipReason> {
    if let Some(skip) = lifecycle_skip(client, ctx) {
        return Err(skip);
    }
    let id = client.client_id.as_str();
    let opts = ctx.options;
    let mut points = contact_points(client, ctx);
    let mut warnings = points.warnings();

    if let Some(index) = ctx.identities {
        apply_shared_identity(index, id, opts.shared_identity, &mut points, &mut warnings)?;
    }
    if points.is_empty() && !opts.allow_name_only {
        return Err(points.skip_reason());
    }

    let first_name = clean(client.first_name.as_deref());
    let last_name = clean(client.last_name.as_deref());
    let name = full_name(client.first_name.as_deref(), client.last_name.as_deref());
    if points.is_empty() && name.is_none() {
        return Err(points.skip_reason());
    }

    let mut request = UpsertContact::new()
        .set_first_name(first_name)
        .set_last_name(last_name)
        .set_name(name)
        .set_email(points.email.clone())
        .set_phone(points.phone.clone())
        .set_date_of_birth(client.birth_date.filter(|d| d.year() >= 1900))
        .set_gender(client.gender.as_ref().and_then(ghl_gender))
        .source(opts.source.clone())
        .set_dnd_settings(dnd_settings(
            opts.consent_dnd,
            client.sms_marketing_consent,
            client.email_marketing_consent,
        ));
    if let Some(address) = &client.address {
        let lines: Vec<String> = [
            clean(address.street_address1.as_deref()),
            clean(address.street_address2.as_deref()),
        ]
        .into_iter()
        .flatten()
        .collect();
        request = request
            .set_address1((!lines.is_empty()).then(|| lines.join(", ")))
            .set_city(clean(address.city.as_deref()))
            .set_state(clean(address.state.as_deref()))
            .set_postal_code(clean(address.postal_code.as_deref()))
            .set_country(
                clean(address.country.as_deref())
                    .filter(|c| c.len() == 2 && c.chars().all(|ch| ch.is_ascii_alphabetic()))
                    .map(|c| c.to_ascii_uppercase()),
            );
    }

    let policy = &opts.tags;
    let mut tags = vec![policy.client_id_tag(id)];
    for category in &client.client_category_ids {
        match ctx.categories.get(category.as_str()) {
            Some(name) if !crate::tags::slug(name).is_empty() => {
                tags.push(policy.category_tag(name))
            }
            Some(_) => warnings.push(format!(
                "client category {category} has no usable name; no tag added"
            )),
            None => warnings.push(format!("unknown client category {category}; no tag added")),
        }
    }
    if client.archived {
        tags.push(policy.state_tag(StateTag::Archived));
    }
    if client.banned {
        tags.push(policy.state_tag(StateTag::Banned));
    }
    tags.sort();
    tags.dedup();

    Ok(MappedContact {
        request,
        tags,
        warnings,
    })
}

fn apply_shared_identity(
    index: &SharedIdentityIndex,
    client_id: &str,
    policy: SharedIdentityPolicy,
    points: &mut ContactPoints,
    warnings: &mut Vec<String>,
) -> Result<(), SkipReason> {
    let mut yielded: Vec<&'static str> = Vec::new();
    let mut shared_with: Vec<String> = Vec::new();
    for kind in [IdentifierKind::Email, IdentifierKind::Phone] {
        let slot = match kind {
            IdentifierKind::Email => &mut points.email,
            IdentifierKind::Phone => &mut points.phone,
        };
        let Some(value) = slot.as_deref() else {
            continue;
        };
        match (index.claim(kind, value, client_id), policy) {
            (Claim::Sole, _) => {}
            (
                Claim::Keeps { others } | Claim::Yields { others, .. },
                SharedIdentityPolicy::Skip,
            ) => {
                yielded.push(kind.as_str());
                shared_with.extend(others);
            }
            (Claim::Keeps { others }, SharedIdentityPolicy::FirstClaimant) => {
                warnings.push(format!(
                    "{} also used by client(s) {}; this client keeps it",
                    kind.as_str(),
                    others.join(", ")
                ))
            }
            (Claim::Yields { owner, others }, SharedIdentityPolicy::FirstClaimant) => {
                warnings.push(format!(
                    "{} left out: it belongs to client {owner} (shared with {})",
                    kind.as_str(),
                    others.join(", ")
                ));
                *slot = None;
                yielded.push(kind.as_str());
                shared_with.extend(others);
            }
        }
    }
    let skip = match policy {
        SharedIdentityPolicy::Skip => !yielded.is_empty(),
        SharedIdentityPolicy::FirstClaimant => !yielded.is_empty() && points.is_empty(),
    };
    if skip {
        shared_with.sort();
        shared_with.dedup();
        return Err(SkipReason::SharedIdentity {
            identifiers: yielded.join(" and "),
            others: shared_with,
        });
    }
    Ok(())
}

/// GHL's gender values; only the two GHL is known to accept are sent.
fn ghl_gender(gender: &Gender) -> Option<String> {
    match gender {
        Gender::Male => Some("male".to_owned()),
        Gender::Female => Some("female".to_owned()),
        _ => None,
    }
}

fn dnd_settings(policy: ConsentDnd, sms_consent: bool, email_consent: bool) -> Option<DndSettings> {
    let channel = |consent: bool| -> Option<DndChannel> {
        let status = match (policy, consent) {
            (ConsentDnd::Ignore, _) | (ConsentDnd::OptOutWhenFalse, true) => return None,
            (ConsentDnd::OptOutWhenFalse | ConsentDnd::Mirror, false) => DndStatus::Active,
            (ConsentDnd::Mirror, true) => DndStatus::Inactive,
        };
        Some(DndChannel::new(status))
    };
    let mut settings = DndSettings::new();
    settings.sms = channel(sms_consent);
    settings.email = channel(email_consent);
    (settings.sms.is_some() || settings.email.is_some()).then_some(settings)
}
