//! Stages that write contacts: staff, client categories (tags), clients.

use std::collections::{HashMap, HashSet};

use futures::{StreamExt, TryStreamExt};
use phorest_client::{Client, ClientId, ClientQuery, StaffQuery};

use super::contacts::{ContactWrite, sync_contact, sync_contact_side};
use super::cursor::StageCursor;
use super::{Abort, RunCtx};
use crate::entity::EntityKind;
use crate::mappers::{
    self, ClientContext, SharedIdentityIndex, SkipReason, add_client_claims, tombstone_tag,
};
use crate::report::Outcome;
use crate::store::{Mapping, MappingState};

/// A Phorest read failed even after the client's retries: stop the run, keep the checkpoint.
pub(crate) fn read_abort(what: &str, err: &phorest_client::Error) -> Abort {
    Abort::Fatal(format!(
        "reading {what} from Phorest failed ({err}); run again to resume from the last checkpoint"
    ))
}

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
            plan.checkpoints.as_ref(),
            &stage,
            plan.config.watermark_overlap,
            ctx.dry_run(),
            plan.config.full_refresh,
        )
        .await?;
        let start = cursor.resume_position::<u32>().unwrap_or(0);
        let full = ctx.has_outstanding(&[entity]).await?;
        let query = StaffQuery {
            updated_after: if full { None } else { cursor.since() },
            ..StaffQuery::all()
        };
        let pages = plan.phorest.staff(branch.id.as_str()).pages(&query, start);
        let region = branch.country.as_deref();
        ctx.for_each_page(entity, "staff", &mut cursor, pages, |items| async move {
            let ids: Vec<String> = items.iter().map(|s| s.staff_id.to_string()).collect();
            let existing = plan.mappings.get_many(entity, &ids).await?;
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
        let existing = ctx.plan.mappings.get(entity, id).await?;
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
    let name = [c.first_name.as_deref(), c.last_name.as_deref()]
        .into_iter()
        .flatten()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    (!name.is_empty()).then_some(name)
}

/// Clients → contacts.
///
/// 1. A read-only pre-pass over every client builds the shared-identity index (emails and phones
///    used by several clients), so a family sharing a mobile never makes one contact flip
///    between two clients.
/// 2. Clients whose last attempt failed (or was interrupted) are re-read by id and retried.
/// 3. The incremental pass: clients updated since the watermark, page by page, checkpointed.
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
        add_client_claims(&mut index, &client, &base_ctx);
    }
    index.finish();
    let client_ctx = ClientContext {
        identities: Some(&index),
        ..base_ctx
    };

    // 2. The failed-row index: retry what failed or was interrupted last time.
    let mut retried: HashSet<String> = HashSet::new();
    let mut retry_ids: Vec<ClientId> = Vec::new();
    for state in [MappingState::Failed, MappingState::Pending] {
        for m in plan.mappings.list_by_state(entity, state, 10_000).await? {
            retry_ids.push(ClientId::from(m.phorest_id.as_str()));
        }
    }
    if !retry_ids.is_empty() {
        let clients: Vec<Client> = plan
            .phorest
            .clients()
            .batch(&retry_ids)
            .try_collect()
            .await
            .map_err(|e| read_abort("clients to retry", &e))?;
        retried.extend(clients.iter().map(|c| c.client_id.to_string()));
        process_clients(ctx, &client_ctx, clients).await?;
    }

    // 3. Incremental pass.
    let mut cursor = StageCursor::begin(
        plan.checkpoints.as_ref(),
        "clients",
        plan.config.watermark_overlap,
        ctx.dry_run(),
        plan.config.full_refresh,
    )
    .await?;
    let start = cursor.resume_position::<u32>().unwrap_or(0);
    let query = ClientQuery {
        updated_after: cursor.since(),
        ..ClientQuery::all()
    };
    let pages = plan.phorest.clients().pages(&query, start);
    let (retried, client_ctx) = (&retried, &client_ctx);
    ctx.for_each_page(entity, "clients", &mut cursor, pages, |items| async move {
        let items: Vec<Client> = items
            .into_iter()
            .filter(|c| !retried.contains(c.client_id.as_str()))
            .collect();
        process_clients(ctx, client_ctx, items).await.map(|()| true)
    })
    .await?;
    cursor.complete().await.map_err(Abort::from)
}

async fn process_clients(
    ctx: &RunCtx<'_>,
    client_ctx: &ClientContext<'_>,
    clients: Vec<Client>,
) -> Result<(), Abort> {
    let entity = EntityKind::Client;
    let ids: Vec<String> = clients.iter().map(|c| c.client_id.to_string()).collect();
    let existing: HashMap<String, Mapping> = ctx.plan.mappings.get_many(entity, &ids).await?;
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
            ctx.record(entity, &id, label.as_deref(), skip_outcome(&skip));
            Ok(())
        }
        Ok(mapped) => {
            for w in &mapped.warnings {
                ctx.warn(entity, &id, w.clone());
            }
            if !mapped.has_identifier()
                && existing.as_ref().and_then(|m| m.ghl_id.as_ref()).is_none()
            {
                // Name-only contacts cannot be upserted; they are created once, with the intent
                // recorded first so an interrupted create is found again by its id tag.
                return super::contacts::create_name_only(
                    ctx,
                    existing,
                    &id,
                    label.as_deref(),
                    &mapped,
                )
                .await;
            }
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
            .await
            .map(|_| ())
        }
    }
}
