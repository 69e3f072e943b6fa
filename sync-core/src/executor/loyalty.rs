//! Loyalty: points in a GHL custom field plus an owned tier tag, on the client's contact.

use ghl_client::CustomFieldId;
use ghl_client::contacts::UpdateContact;
use phorest_client::{Client, ClientQuery};

use super::contacts::sync_contact_side;
use super::cursor::StageCursor;
use super::{Abort, RunCtx};
use crate::entity::EntityKind;
use crate::mappers;
use crate::report::Outcome;

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
        plan.checkpoints.as_ref(),
        "loyalty",
        plan.config.watermark_overlap,
        ctx.dry_run(),
        plan.config.full_refresh,
    )
    .await?;
    let start = cursor.resume_position::<u32>().unwrap_or(0);
    let full = ctx.has_outstanding(&[entity]).await?;
    let query = ClientQuery {
        updated_after: if full { None } else { cursor.since() },
        ..ClientQuery::all()
    };
    let pages = plan.phorest.clients().pages(&query, start);
    let field = &field;
    ctx.for_each_page(entity, "clients", &mut cursor, pages, |items| async move {
        let ids: Vec<String> = items.iter().map(|c| c.client_id.to_string()).collect();
        let contacts = plan.mappings.get_many(EntityKind::Client, &ids).await?;
        let existing = plan.mappings.get_many(entity, &ids).await?;
        ctx.process_page(items, |client: Client| {
            let contact = contacts
                .get(client.client_id.as_str())
                .and_then(|m| m.ghl_id.clone());
            let existing = existing.get(client.client_id.as_str()).cloned();
            async move {
                let id = client.client_id.to_string();
                let mapped = match mappers::map_loyalty(&client, field, &plan.config.mapping) {
                    Ok(m) => m,
                    Err(skip) => {
                        ctx.record(entity, &id, None, Outcome::skipped(&skip));
                        return Ok(());
                    }
                };
                let Some(contact) = contact else {
                    ctx.record(
                        entity,
                        &id,
                        None,
                        Outcome::skipped_expected(
                            "client is not synced to GHL (see the client stage)",
                        ),
                    );
                    return Ok(());
                };
                let update = UpdateContact {
                    custom_fields: vec![mapped.custom_field.clone()],
                    ..UpdateContact::default()
                };
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
    })
    .await?;
    cursor.complete().await.map_err(Abort::from)
}
