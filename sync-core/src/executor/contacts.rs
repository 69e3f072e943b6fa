//! Writing one mapped contact exactly once, with owned tags only.
//!
//! - Unchanged payload (same content hash as last acknowledged) → no request at all.
//! - Known GHL id → `PUT /contacts/{id}` **without tags**, then the owned-tag diff through the
//!   add/remove endpoints; a 404 (contact deleted in GHL) falls back to an upsert.
//! - No GHL id → `POST /contacts/upsert`, which matches an existing contact by email/phone
//!   instead of creating a second one; a duplicate-contact 400 adopts the existing contact.
//! - Two Phorest records resolving to one GHL contact never steal each other's mapping: the
//!   second is failed with a reason naming the first (fix the shared identifier in Phorest).
//! - The mapping (GHL id, hash, owned tags) is stored right after the writes succeed.

use ghl_client::contacts::{
    CreateContact, SearchContacts, SearchFilter, UpdateContact, UpsertContact,
};
use ghl_client::{ContactId, Error as GhlError};

use super::{Abort, RecordError, RunCtx};
use crate::entity::EntityKind;
use crate::hash::content_hash;
use crate::report::Outcome;
use crate::store::{Mapping, MappingState};

/// One contact to write.
pub(crate) struct ContactWrite<'a> {
    pub(crate) entity: EntityKind,
    pub(crate) phorest_id: &'a str,
    pub(crate) label: Option<&'a str>,
    /// The upsert body, without tags.
    pub(crate) body: &'a UpsertContact,
    /// The `PUT` body for an already-mapped contact (no tags, no gender).
    pub(crate) update: &'a UpdateContact,
    /// The owned tags this record wants on its contact.
    pub(crate) tags: &'a [String],
}

/// Write `w`; records the outcome in the report. Only aborts (blocked stage, fatal) escape.
pub(crate) async fn sync_contact(
    ctx: &RunCtx<'_>,
    existing: Option<Mapping>,
    w: ContactWrite<'_>,
) -> Result<Option<String>, Abort> {
    let hash = content_hash(&(w.body, w.tags));
    if let Some(m) = &existing
        && m.state == MappingState::Synced
        && m.content_hash.as_deref() == Some(hash.as_str())
    {
        ctx.record(w.entity, w.phorest_id, w.label, Outcome::Unchanged);
        return Ok(m.ghl_id.clone());
    }
    let known_id = existing.as_ref().and_then(|m| m.ghl_id.clone());
    let tag_policy = &ctx.plan.config.mapping.tags;
    let previous_tags: Vec<String> = existing
        .as_ref()
        .map(|m| m.owned_tags.clone())
        .unwrap_or_default();

    if ctx.dry_run() {
        let diff = tag_policy.diff(&previous_tags, w.tags);
        let writes = 1 + u64::from(!diff.add.is_empty()) + u64::from(!diff.remove.is_empty());
        ctx.count_writes(w.entity, writes);
        let outcome = if known_id.is_some() {
            Outcome::Updated
        } else {
            Outcome::Created
        };
        ctx.record(w.entity, w.phorest_id, w.label, outcome);
        return Ok(known_id);
    }

    let contacts = ctx.plan.ghl.contacts();
    let mut writes = 0u64;
    // 1. The contact itself.
    let write = async {
        if let Some(id) = &known_id {
            writes += 1;
            match contacts
                .update(&ContactId::from(id.as_str()), w.update)
                .await
            {
                Ok(_) => return Ok((id.clone(), false, previous_tags.clone())),
                Err(GhlError::NotFound { .. }) => {
                    tracing::info!(
                        entity = w.entity.as_str(),
                        phorest_id = w.phorest_id,
                        "mapped GHL contact no longer exists; upserting"
                    );
                }
                Err(err) => return Err(err),
            }
        }
        writes += 1;
        match contacts.upsert(w.body).await {
            Ok(outcome) => Ok((
                outcome.contact.id.to_string(),
                outcome.created == Some(true),
                Vec::new(),
            )),
            Err(GhlError::DuplicateContact {
                existing_contact_id: Some(existing_id),
                ..
            }) => {
                writes += 1;
                let id = ContactId::from(existing_id.as_str());
                contacts.update(&id, w.update).await?;
                Ok((existing_id.to_string(), false, Vec::new()))
            }
            Err(err) => Err(err),
        }
    };
    let (contact_id, created, tags_on_contact) = match write.await {
        Ok(v) => v,
        Err(err) => {
            ctx.count_writes(w.entity, writes);
            ctx.fail_record(
                existing,
                w.entity,
                w.phorest_id,
                w.label,
                known_id,
                RecordError::from_ghl(&err),
            )
            .await?;
            return Ok(None);
        }
    };

    // 2. Never let two Phorest records share one contact silently.
    let owners = ctx
        .plan
        .store
        .owner_of(crate::entity::GhlObject::Contact, &contact_id)
        .await?
        .into_iter()
        .collect::<Vec<_>>();
    if let Some(other) = owners.iter().find(|m| m.phorest_id != w.phorest_id) {
        ctx.count_writes(w.entity, writes);
        let reason = format!(
            "resolves to the same GHL contact as {} {} (shared email or phone); give each their own in Phorest",
            w.entity.label(),
            other.phorest_id
        );
        ctx.fail_record(
            existing,
            w.entity,
            w.phorest_id,
            w.label,
            None,
            RecordError::Record(reason),
        )
        .await?;
        return Ok(None);
    }

    // 3. Owned tags, by diff.
    let diff = tag_policy.diff(&tags_on_contact, w.tags);
    let id = ContactId::from(contact_id.as_str());
    let mut tag_result: Result<(), GhlError> = Ok(());
    if !diff.add.is_empty() {
        writes += 1;
        tag_result = contacts.add_tags(&id, &diff.add).await.map(|_| ());
    }
    if tag_result.is_ok() && !diff.remove.is_empty() {
        writes += 1;
        tag_result = contacts.remove_tags(&id, &diff.remove).await.map(|_| ());
    }
    ctx.count_writes(w.entity, writes);
    if let Err(err) = tag_result {
        ctx.fail_record(
            existing,
            w.entity,
            w.phorest_id,
            w.label,
            Some(contact_id),
            RecordError::from_ghl(&err),
        )
        .await?;
        return Ok(None);
    }

    // 4. The mapping, at once.
    let mut mapping = existing.unwrap_or_else(|| Mapping::new(w.entity, w.phorest_id));
    mapping.mark_synced(contact_id.clone());
    mapping.content_hash = Some(hash);
    mapping.owned_tags = w.tags.to_vec();
    ctx.save_mapping(&mapping).await?;
    let outcome = if created {
        Outcome::Created
    } else {
        Outcome::Updated
    };
    ctx.record(w.entity, w.phorest_id, w.label, outcome);
    Ok(Some(contact_id))
}

/// Apply an owned-tag change (and optionally other fields) to an already-mapped contact, as a
/// ledgered side effect of `entity` (loyalty tiers, purchase tags).
pub(crate) async fn sync_contact_side(
    ctx: &RunCtx<'_>,
    entity: EntityKind,
    phorest_id: &str,
    contact_id: &str,
    existing: Option<Mapping>,
    update: Option<&ghl_client::contacts::UpdateContact>,
    tags: &[String],
) -> Result<(), Abort> {
    let hash = content_hash(&(update, tags));
    if let Some(m) = &existing
        && m.state == MappingState::Synced
        && m.content_hash.as_deref() == Some(hash.as_str())
        && m.ghl_id.as_deref() == Some(contact_id)
    {
        ctx.record(entity, phorest_id, None, Outcome::Unchanged);
        return Ok(());
    }
    let previous: Vec<String> = existing
        .as_ref()
        .filter(|m| m.ghl_id.as_deref() == Some(contact_id))
        .map(|m| m.owned_tags.clone())
        .unwrap_or_default();
    let diff = ctx.plan.config.mapping.tags.diff(&previous, tags);
    let writes = u64::from(update.is_some())
        + u64::from(!diff.add.is_empty())
        + u64::from(!diff.remove.is_empty());
    let was_synced = existing.as_ref().is_some_and(|m| m.content_hash.is_some());
    if ctx.dry_run() {
        ctx.count_writes(entity, writes);
        ctx.record(
            entity,
            phorest_id,
            None,
            if was_synced {
                Outcome::Updated
            } else {
                Outcome::Created
            },
        );
        return Ok(());
    }
    let contacts = ctx.plan.ghl.contacts();
    let id = ContactId::from(contact_id);
    let result: Result<(), GhlError> = async {
        if let Some(update) = update {
            contacts.update(&id, update).await?;
        }
        if !diff.add.is_empty() {
            contacts.add_tags(&id, &diff.add).await?;
        }
        if !diff.remove.is_empty() {
            contacts.remove_tags(&id, &diff.remove).await?;
        }
        Ok(())
    }
    .await;
    ctx.count_writes(entity, writes);
    if let Err(err) = result {
        ctx.fail_record(
            existing,
            entity,
            phorest_id,
            None,
            Some(contact_id.to_owned()),
            RecordError::from_ghl(&err),
        )
        .await?;
        return Ok(());
    }
    let mut mapping = existing.unwrap_or_else(|| Mapping::new(entity, phorest_id));
    mapping.mark_synced(contact_id);
    mapping.content_hash = Some(hash);
    mapping.owned_tags = tags.to_vec();
    ctx.save_mapping(&mapping).await?;
    ctx.record(
        entity,
        phorest_id,
        None,
        if was_synced {
            Outcome::Updated
        } else {
            Outcome::Created
        },
    );
    Ok(())
}

/// A client with neither email nor phone (only with `allow_name_only`): GHL cannot match it, so
/// it is created once. The intent is stored first; if a run dies between the create and the
/// mapping, the next run finds the contact by its `phorest-client-id:` tag instead of creating a
/// second one.
pub(crate) async fn create_name_only(
    ctx: &RunCtx<'_>,
    existing: Option<Mapping>,
    phorest_id: &str,
    label: Option<&str>,
    mapped: &crate::mappers::MappedContact,
) -> Result<(), Abort> {
    let entity = EntityKind::Client;
    if ctx.dry_run() {
        ctx.count_writes(entity, 2);
        ctx.record(entity, phorest_id, label, Outcome::Created);
        return Ok(());
    }
    let contacts = ctx.plan.ghl.contacts();
    let id_tag = ctx.plan.config.mapping.tags.client_id_tag(phorest_id);
    // An earlier attempt may have created it.
    if existing
        .as_ref()
        .is_some_and(|m| m.state == MappingState::Pending)
    {
        let query = SearchContacts::new()
            .page_limit(2)
            .filter(SearchFilter::contains("tags", id_tag.clone()));
        match contacts.search_page(&query).await {
            Ok(page) => {
                if let Some(found) = page.items.first() {
                    let mut mapping = existing
                        .clone()
                        .unwrap_or_else(|| Mapping::new(entity, phorest_id));
                    mapping.ghl_id = Some(found.id.to_string());
                    // Not yet Synced: the regular path below updates it by id.
                    mapping.owned_tags = vec![id_tag.clone()];
                    ctx.save_mapping(&mapping).await?;
                    return sync_contact(
                        ctx,
                        Some(mapping),
                        ContactWrite {
                            entity,
                            phorest_id,
                            label,
                            body: &mapped.request,
                            update: &mapped.update_body(),
                            tags: &mapped.tags,
                        },
                    )
                    .await
                    .map(|_| ());
                }
            }
            Err(err) => {
                return ctx
                    .fail_record(
                        existing,
                        entity,
                        phorest_id,
                        label,
                        None,
                        RecordError::from_ghl(&err),
                    )
                    .await;
            }
        }
    }
    let mut intent = existing
        .clone()
        .unwrap_or_else(|| Mapping::new(entity, phorest_id));
    intent.state = MappingState::Pending;
    intent.updated_at = chrono::Utc::now();
    ctx.save_mapping(&intent).await?;
    let body = CreateContact::from(&mapped.request).tags(mapped.tags.iter().cloned());
    match contacts.create(&body).await {
        Ok(contact) => {
            ctx.count_writes(entity, 1);
            let mut mapping = intent;
            mapping.mark_synced(contact.id.to_string());
            mapping.content_hash = Some(content_hash(&(&mapped.request, &mapped.tags)));
            mapping.owned_tags = mapped.tags.clone();
            ctx.save_mapping(&mapping).await?;
            ctx.record(entity, phorest_id, label, Outcome::Created);
            Ok(())
        }
        Err(err) => {
            ctx.count_writes(entity, 1);
            // A create that may have been applied stays Pending: the next run looks it up first.
            if err.may_have_been_applied() {
                ctx.record(
                    entity,
                    phorest_id,
                    label,
                    Outcome::Failed(format!("{err}; will be checked on the next run")),
                );
                return Ok(());
            }
            ctx.fail_record(
                Some(intent),
                entity,
                phorest_id,
                label,
                None,
                RecordError::from_ghl(&err),
            )
            .await
        }
    }
}
