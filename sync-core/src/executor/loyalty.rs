//! Loyalty: points in a GHL custom field plus an owned tier tag, on the client's contact.
//!
//! Read from the clients endpoint (incrementally, by the stage's own watermark). Entries that
//! failed, and entries made pending because a client just got a contact, are re-read by id first.

use std::collections::HashSet;

use ghl_client::CustomFieldId;
use ghl_client::contacts::UpdateContact;
use phorest_client::{Client, ClientQuery};

use super::contacts::sync_contact_side;
use super::cursor::StageCursor;
use super::people::read_clients_by_id;
use super::{Abort, RunCtx};
use crate::entity::EntityKind;
use crate::mappers;
use crate::report::Outcome;
use crate::store::MappingState;

/// At most this many failed or pending loyalty entries are re-read per run (the rest next run).
const RETRY_LIMIT: usize = 10_000;

pub(crate) async fn run(ctx: &RunCtx<'_>) -> Result<(), Abort> {
    let entity = EntityKind::Loyalty;
    let plan = ctx.plan;
    // In a dry run the field may not exist yet; the id only feeds the request body.
    let field = CustomFieldId::from(
        ctx.facts
            .loyalty_field_id
            .clone()
            .unwrap_or_else(|| "(created on first real run)".to_owned()),
    );
    let mut cursor = StageCursor::begin(
        plan.store.as_ref(),
        "loyalty",
        plan.config.watermark_overlap,
        ctx.dry_run(),
        plan.config.full_refresh,
    )
    .await?;
    // Ledger entries left failed or pending (e.g. a client that just got a contact) are re-read
    // by id, so the incremental read below stays incremental.
    let mut retry_ids: Vec<String> = Vec::new();
    for state in [MappingState::Failed, MappingState::Pending] {
        for m in plan
            .store
            .list(entity, Some(state), None, RETRY_LIMIT)
            .await?
        {
            retry_ids.push(m.phorest_id);
        }
    }
    let field = &field;
    let clients = read_clients_by_id(
        ctx,
        entity,
        &retry_ids,
        "clients to retry loyalty for",
        |_| true,
    )
    .await?;
    let retried: HashSet<String> = clients.iter().map(|c| c.client_id.to_string()).collect();
    if !clients.is_empty() && !process(ctx, field, clients).await? {
        return Err(Abort::Cancelled);
    }

    let start = cursor.resume_position::<u32>().unwrap_or(0);
    let query = ClientQuery::all().updated_after(cursor.since());
    let pages = plan.phorest.clients().pages(&query, start);
    let retried = &retried;
    ctx.for_each_page(entity, "clients", &mut cursor, pages, |items| async move {
        let items: Vec<Client> = items
            .into_iter()
            .filter(|c| !retried.contains(c.client_id.as_str()))
            .collect();
        process(ctx, field, items).await
    })
    .await?;
    cursor.complete().await.map_err(Abort::from)
}

/// One batch of clients: answers whether every one was accounted for.
async fn process(
    ctx: &RunCtx<'_>,
    field: &CustomFieldId,
    items: Vec<Client>,
) -> Result<bool, Abort> {
    let entity = EntityKind::Loyalty;
    let plan = ctx.plan;
    let ids: Vec<String> = items.iter().map(|c| c.client_id.to_string()).collect();
    let contacts = plan.store.get_many(EntityKind::Client, &ids).await?;
    let existing = plan.store.get_many(entity, &ids).await?;
    ctx.process_page(items, |client: Client| {
        let contact = contacts
            .get(client.client_id.as_str())
            .and_then(|m| m.ghl_id.clone());
        let existing = existing.get(client.client_id.as_str()).cloned();
        async move {
            let id = client.client_id.to_string();
            let (mapped, contact) = match (
                mappers::map_loyalty(&client, field, &plan.config.mapping),
                contact,
            ) {
                (Ok(mapped), Some(contact)) => (mapped, contact),
                (result, _) => {
                    let outcome = match result {
                        Err(skip) => Outcome::skipped(&skip),
                        Ok(_) => Outcome::skipped_expected(
                            "client is not synced to GHL (see the client stage)",
                        ),
                    };
                    // Nothing to retry: drop a pending or failed ledger entry.
                    if existing
                        .as_ref()
                        .is_some_and(|m| m.state != MappingState::Synced)
                        && !ctx.dry_run()
                    {
                        plan.store.delete(entity, &id).await?;
                    }
                    ctx.record(entity, &id, None, outcome);
                    return Ok(());
                }
            };
            let update = UpdateContact::new().custom_field(mapped.custom_field.clone());
            sync_contact_side(
                ctx,
                entity,
                &id,
                &contact,
                existing,
                Some(&update),
                std::slice::from_ref(&mapped.tier_tag),
            )
            .await
        }
    })
    .await
}
