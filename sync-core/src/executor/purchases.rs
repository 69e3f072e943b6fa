//! Product purchases (from Phorest's sales-transactions CSV export) → owned purchase tags on the
//! buyer's contact. Tags accumulate: a purchase never "un-happens", so tags are only added.

use std::collections::BTreeSet;

use chrono::{Duration, Utc};
use phorest_client::PollPolicy;

use super::contacts::sync_contact_side;
use super::cursor::StageCursor;
use super::people::read_abort;
use super::{Abort, RunCtx};
use crate::entity::EntityKind;
use crate::mappers;
use crate::report::Outcome;

pub(crate) async fn run(ctx: &RunCtx<'_>) -> Result<(), Abort> {
    let entity = EntityKind::Purchase;
    let plan = ctx.plan;
    for branch in &ctx.facts.branches {
        let stage = format!("purchases:{}", branch.id);
        let cursor = StageCursor::begin(
            plan.checkpoints.as_ref(),
            &stage,
            Duration::days(1),
            ctx.dry_run(),
            plan.config.full_refresh,
        )
        .await?;
        let today = Utc::now().date_naive();
        let from = cursor
            .since()
            .map(|t| t.date_naive())
            .unwrap_or(today - Duration::days(i64::from(plan.config.purchase_days_back)));
        let rows = plan
            .phorest
            .csv_exports(branch.id.as_str())
            .transactions(from, today, PollPolicy::default())
            .await
            .map_err(|e| read_abort("sales transactions", &e))?;
        let mut good = Vec::with_capacity(rows.len());
        for (i, row) in rows.into_iter().enumerate() {
            match row {
                Ok(r) => good.push(r),
                Err(err) => ctx.warn(
                    entity,
                    &format!("csv-row-{}", i + 1),
                    format!("unreadable sales row: {err}"),
                ),
            }
        }
        let by_client = mappers::purchase_tags(good.iter(), &plan.config.mapping);
        let ids: Vec<String> = by_client.keys().cloned().collect();
        let contacts = plan.mappings.get_many(EntityKind::Client, &ids).await?;
        let existing = plan.mappings.get_many(entity, &ids).await?;
        let work: Vec<(String, BTreeSet<String>)> = by_client.into_iter().collect();
        let complete = ctx
            .process_page(work, |(client, tags)| {
                let contact = contacts.get(&client).and_then(|m| m.ghl_id.clone());
                let existing = existing.get(&client).cloned();
                async move {
                    let Some(contact) = contact else {
                        ctx.record(
                            entity,
                            &client,
                            None,
                            Outcome::skipped_expected("client is not synced to GHL"),
                        );
                        return Ok(());
                    };
                    let mut all: BTreeSet<String> = existing
                        .as_ref()
                        .map(|m| m.owned_tags.iter().cloned().collect())
                        .unwrap_or_default();
                    all.extend(tags);
                    let all: Vec<String> = all.into_iter().collect();
                    sync_contact_side(ctx, entity, &client, &contact, existing, None, &all).await
                }
            })
            .await?;
        if !complete {
            return Err(Abort::Cancelled);
        }
        cursor.complete().await?;
    }
    Ok(())
}
