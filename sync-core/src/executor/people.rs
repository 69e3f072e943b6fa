//! Stages that write contacts: staff, client categories (tags), clients.

use std::collections::{HashMap, HashSet};

use futures::{StreamExt, TryStreamExt};
use phorest_client::{Client, ClientId, ClientQuery, StaffQuery};

use super::contacts::{ContactWrite, sync_contact, sync_contact_side};
use super::cursor::StageCursor;
use super::{Abort, RunCtx, read_abort};
use crate::entity::EntityKind;
use crate::mappers::{
    self, ClientContext, SharedIdentityIndex, SkipReason, add_client_claims, tombstone_tag,
};
use crate::report::Outcome;
use crate::store::{Mapping, MappingState};

fn skip_outcome(skip: &SkipReason) -> Outcome {
    Outcome::skipped(skip)
}

/// Staff → contacts with the staff tags.
pub(crate) async fn run_staff(ctx: &RunCtx<'_>) -> Result<(), Abort> {
    let entity = EntityKind::Staff;
    let plan = ctx.plan;
    for branch in &ctx.facts.branches {
        let stage = format!("staff:{}", branch.id);
        let mut cursor = StageCursor::begin(
            plan.store.as_ref(),
            &stage,
            plan.config.watermark_overlap,
            ctx.dry_run(),
            plan.config.full_refresh,
        )
        .await?;
        let start = cursor.resume_position::<u32>().unwrap_or(0);
        let full = ctx.has_outstanding(&[entity]).await?;
        let query = StaffQuery::all().updated_after(if full { None } else { cursor.since() });
        let pages = plan.phorest.staff(branch.id.as_str()).pages(&query, start);
        let region = branch.country.as_deref();
        ctx.for_each_page(entity, "staff", &mut cursor, pages, |items| async move {
            let ids: Vec<String> = items.iter().map(|s| s.staff_id.to_string()).collect();
            let existing = plan.store.get_many(entity, &ids).await?;
            ctx.process_page(items, |staff| {
                let existing = existing.get(staff.staff_id.as_str()).cloned();
                async move {
                    let id = staff.staff_id.to_string();
                    match mappers::map_staff(&staff, &plan.config.mapping, region) {
                        Err(skip) => {
                            ctx.record(entity, &id, None, skip_outcome(&skip));
                            Ok(())
                        }
                        Ok(mapped) => {
                            for w in &mapped.warnings {
                                ctx.warn(entity, &id, w.clone());
                            }
                            sync_contact(
                                ctx,
                                existing,
                                ContactWrite {
                                    entity,
                                    phorest_id: &id,
                                    label: None,
                                    body: &mapped.request,
                                    update: &mapped.update_body(),
                                    tags: &mapped.tags,
                                },
                            )
                            .await
                            .map(|_| ())
                        }
                    }
                }
            })
            .await
        })
        .await?;
        cursor.complete().await?;
    }
    Ok(())
}

/// Client categories become tags on the clients' contacts (written by the client stage).
/// This stage reports each category and whether its tag name is new.
pub(crate) async fn run_categories(ctx: &RunCtx<'_>) -> Result<(), Abort> {
    let entity = EntityKind::ClientCategory;
    let policy = &ctx.plan.config.mapping.tags;
    let mut categories: Vec<(&String, &String)> = ctx.facts.categories.iter().collect();
    categories.sort();
    for (id, name) in categories {
        let tag = policy.category_tag(name);
        let existing = ctx.plan.store.get(entity, id).await?;
        let outcome = match &existing {
            Some(m) if m.ghl_id.as_deref() == Some(tag.as_str()) => Outcome::Unchanged,
            Some(_) => Outcome::Updated,
            None => Outcome::Created,
        };
        if outcome != Outcome::Unchanged {
            let mut mapping = existing.unwrap_or_else(|| Mapping::new(entity, id.as_str()));
            mapping.mark_synced(tag.clone());
            mapping.owned_tags = vec![tag];
            ctx.save_mapping(&mapping).await?;
        }
        ctx.record(entity, id, Some(name), outcome);
    }
    Ok(())
}

fn client_label(c: &Client) -> Option<String> {
    display_name(c.first_name.as_deref(), c.last_name.as_deref())
}

/// "First Last" from the non-blank parts, `None` when both are blank.
pub(crate) fn display_name(first: Option<&str>, last: Option<&str>) -> Option<String> {
    let name = [first, last]
        .into_iter()
        .flatten()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    (!name.is_empty()).then_some(name)
}

/// Read clients by id (the retry passes of the client and loyalty stages). The `entity`
/// mappings of requested ids Phorest no longer returns are deleted where `forget` says so.
pub(crate) async fn read_clients_by_id(
    ctx: &RunCtx<'_>,
    entity: EntityKind,
    ids: &[String],
    what: &str,
    forget: impl Fn(&str) -> bool,
) -> Result<Vec<Client>, Abort> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let request: Vec<ClientId> = ids.iter().map(|id| ClientId::from(id.as_str())).collect();
    let clients: Vec<Client> = ctx
        .plan
        .phorest
        .clients()
        .batch(&request)
        .try_collect()
        .await
        .map_err(|e| read_abort(what, &e))?;
    let returned: HashSet<&str> = clients.iter().map(|c| c.client_id.as_str()).collect();
    if !ctx.dry_run() {
        for gone in ids
            .iter()
            .filter(|id| !returned.contains(id.as_str()) && forget(id))
        {
            ctx.plan.store.delete(entity, gone).await?;
        }
    }
    Ok(clients)
}

/// At most this many failed, pending or skipped clients are re-read per run (the rest next run).
const RETRY_LIMIT: usize = 10_000;

/// Clients → contacts.
///
/// 1. A read-only pre-pass over every client builds the shared-identity index (emails and phones
///    used by several clients), so a family sharing a mobile never makes one contact flip
///    between two clients.
/// 2. The incremental pass: clients updated since the watermark, page by page, checkpointed.
/// 3. Clients whose last attempt failed (or was interrupted), and clients skipped for a reason
///    the salon can fix, not already seen in step 2, are re-read by id and retried. A skipped
///    client that becomes syncable has its dependents (appointments, check-ins, loyalty,
///    purchases) read again, see [`RunCtx::client_became_syncable`].
pub(crate) async fn run_clients(ctx: &RunCtx<'_>) -> Result<(), Abort> {
    let entity = EntityKind::Client;
    let plan = ctx.plan;
    let options = &plan.config.mapping;
    let base_ctx = ClientContext {
        options,
        region: ctx.facts.default_country(),
        categories: &ctx.facts.categories,
        walk_in_id: ctx.facts.walk_in_client_id.as_deref(),
        identities: None,
    };

    // 1. Shared identities.
    let mut index = SharedIdentityIndex::new();
    let mut all = plan.phorest.clients().list(&ClientQuery::all());
    while let Some(client) = all.next().await {
        let client = client.map_err(|e| read_abort("clients", &e))?;
        let region = ctx.facts.client_country(&client);
        add_client_claims(&mut index, &client, &ClientContext { region, ..base_ctx });
    }
    index.finish();
    let client_ctx = ClientContext {
        identities: Some(&index),
        ..base_ctx
    };

    // 2. The failed-row index: what failed or was interrupted last time, and the clients
    //    skipped for something the salon can fix (a shared email may have been resolved on the
    //    *other* client, which does not update this one). Retried after the incremental pass,
    //    so fresh changes of other clients (such as that email fix) land first.
    let mut to_retry: HashSet<String> = HashSet::new();
    let mut skipped_ids: HashSet<String> = HashSet::new();
    for state in [
        MappingState::Failed,
        MappingState::Pending,
        MappingState::Skipped,
    ] {
        for m in plan
            .store
            .list(entity, Some(state), None, RETRY_LIMIT)
            .await?
        {
            if state == MappingState::Skipped {
                skipped_ids.insert(m.phorest_id.clone());
            }
            to_retry.insert(m.phorest_id);
        }
    }

    // 3. Incremental pass.
    let mut cursor = StageCursor::begin(
        plan.store.as_ref(),
        "clients",
        plan.config.watermark_overlap,
        ctx.dry_run(),
        plan.config.full_refresh,
    )
    .await?;
    let start = cursor.resume_position::<u32>().unwrap_or(0);
    let query = ClientQuery::all().updated_after(cursor.since());
    let pages = plan.phorest.clients().pages(&query, start);
    let to_retry = std::sync::Mutex::new(to_retry);
    let (to_retry_ref, client_ctx) = (&to_retry, &client_ctx);
    ctx.for_each_page(entity, "clients", &mut cursor, pages, |items| async move {
        // Seen here: no need to read it again below.
        if let Ok(mut set) = to_retry_ref.lock() {
            for c in &items {
                set.remove(c.client_id.as_str());
            }
        }
        process_clients(ctx, client_ctx, items).await.map(|()| true)
    })
    .await?;
    cursor.complete().await?;

    // 4. The retries not already seen.
    let to_retry = match to_retry.into_inner() {
        Ok(set) => set,
        Err(poisoned) => poisoned.into_inner(),
    };
    if to_retry.is_empty() {
        return Ok(());
    }
    let mut ids: Vec<String> = to_retry.into_iter().collect();
    ids.sort();
    // A skipped client Phorest no longer returns needs nothing more.
    let clients = read_clients_by_id(ctx, entity, &ids, "clients to retry", |id| {
        skipped_ids.contains(id)
    })
    .await?;
    process_clients(ctx, client_ctx, clients).await
}

async fn process_clients(
    ctx: &RunCtx<'_>,
    client_ctx: &ClientContext<'_>,
    clients: Vec<Client>,
) -> Result<(), Abort> {
    let entity = EntityKind::Client;
    let ids: Vec<String> = clients.iter().map(|c| c.client_id.to_string()).collect();
    let existing: HashMap<String, Mapping> = ctx.plan.store.get_many(entity, &ids).await?;
    let complete = ctx
        .process_page(clients, |client| {
            let existing = existing.get(client.client_id.as_str()).cloned();
            process_client(ctx, client_ctx, client, existing)
        })
        .await?;
    if complete {
        Ok(())
    } else {
        Err(Abort::Cancelled)
    }
}

async fn process_client(
    ctx: &RunCtx<'_>,
    client_ctx: &ClientContext<'_>,
    client: Client,
    existing: Option<Mapping>,
) -> Result<(), Abort> {
    let entity = EntityKind::Client;
    let id = client.client_id.to_string();
    let label = client_label(&client);
    let client_ctx = &ClientContext {
        region: ctx.facts.client_country(&client),
        ..*client_ctx
    };
    match mappers::map_client(&client, client_ctx) {
        Err(skip) => {
            // A contact synced earlier whose client is now deleted or merged keeps its history
            // and gets the tombstone tag, instead of being deleted.
            let synced_contact = existing.as_ref().and_then(|m| m.ghl_id.clone());
            if let (Some(contact_id), SkipReason::Deleted | SkipReason::Merged { .. }) =
                (synced_contact, &skip)
            {
                let mut tags = existing
                    .as_ref()
                    .map(|m| m.owned_tags.clone())
                    .unwrap_or_default();
                let tomb = tombstone_tag(&ctx.plan.config.mapping.tags);
                if !tags.contains(&tomb) {
                    tags.push(tomb);
                    tags.sort();
                }
                return sync_contact_side(ctx, entity, &id, &contact_id, existing, None, &tags)
                    .await;
            }
            remember_skip(ctx, &id, existing, &skip).await?;
            ctx.record(entity, &id, label.as_deref(), skip_outcome(&skip));
            Ok(())
        }
        Ok(mapped) => {
            let was_skipped = existing
                .as_ref()
                .is_some_and(|m| m.state == MappingState::Skipped && m.ghl_id.is_none());
            for w in &mapped.warnings {
                ctx.warn(entity, &id, w.clone());
            }
            if !mapped.has_identifier()
                && existing.as_ref().and_then(|m| m.ghl_id.as_ref()).is_none()
            {
                // Name-only contacts cannot be upserted; they are created once, with the intent
                // recorded first so an interrupted create is found again by its id tag.
                super::contacts::create_name_only(ctx, existing, &id, label.as_deref(), &mapped)
                    .await?;
            } else {
                sync_contact(
                    ctx,
                    existing,
                    ContactWrite {
                        entity,
                        phorest_id: &id,
                        label: label.as_deref(),
                        body: &mapped.request,
                        update: &mapped.update_body(),
                        tags: &mapped.tags,
                    },
                )
                .await?;
            }
            if was_skipped
                && !ctx.dry_run()
                && ctx
                    .plan
                    .store
                    .get(entity, &id)
                    .await?
                    .is_some_and(|m| m.state == MappingState::Synced)
            {
                ctx.client_became_syncable(&id).await?;
            }
            Ok(())
        }
    }
}

/// Keep a `Skipped` mapping for a client skipped for a reason the salon can fix, so later runs
/// look at it again (see [`run_clients`]). Clients with a GHL contact keep their mapping as it
/// is; expected skips (walk-in, merged, deleted...) are not remembered.
async fn remember_skip(
    ctx: &RunCtx<'_>,
    id: &str,
    existing: Option<Mapping>,
    skip: &SkipReason,
) -> Result<(), Abort> {
    // A contact exists, or a create may be in flight: leave that mapping alone.
    if existing
        .as_ref()
        .is_some_and(|m| m.ghl_id.is_some() || m.state == MappingState::Pending)
    {
        return Ok(());
    }
    let reason = skip.to_string();
    if !skip.is_actionable() {
        // It was fixable before and is not any more (e.g. now archived): forget it.
        if existing.is_some() && !ctx.dry_run() {
            ctx.plan.store.delete(EntityKind::Client, id).await?;
        }
        return Ok(());
    }
    if existing
        .as_ref()
        .is_some_and(|m| m.state == MappingState::Skipped && m.last_error.as_ref() == Some(&reason))
    {
        return Ok(());
    }
    let mut mapping = existing.unwrap_or_else(|| Mapping::new(EntityKind::Client, id));
    mapping.state = MappingState::Skipped;
    mapping.content_hash = None;
    mapping.last_error = Some(reason);
    mapping.updated_at = chrono::Utc::now();
    ctx.save_mapping(&mapping).await
}
