//! Product purchases (from Phorest's sales-transactions CSV export) → owned purchase tags on the
//! buyer's contact. Tags accumulate: a purchase never "un-happens", so tags are only added.
//!
//! # Retrying failed tag writes
//!
//! The export is read by date, from the stage's watermark (minus one day) to today, and the
//! tags a client should carry are derived from the rows in that window. There is no other record
//! of a purchase: once the window has moved past a row, a tag that failed to be written would
//! never be seen again. So **the window only moves past a run whose side effects all landed**:
//!
//! - a run in which every client's tags were written (or unchanged, or skipped for good)
//!   completes the stage checkpoint: the watermark becomes the start of that run;
//! - a run that leaves work outstanding — a purchase mapping `Failed` (its tag write failed), or
//!   a buyer whose contact is not in GHL *yet* because the client itself failed or is in flight —
//!   leaves the checkpoint open. The next run then continues it like an interrupted run: same
//!   watermark (so the same rows are read again, plus the newer ones) and same `run_started_at`.
//!   Clients whose tags are already in GHL hash as unchanged and cost nothing; the failed ones are
//!   retried. When that run is clean the watermark moves to the start of the *first* failing run,
//!   so nothing that happened meanwhile is missed.
//!
//! **Bound.** A record that keeps failing must not pin the window forever (each run would export
//! an ever longer period). Once the open run started more than [`MAX_RETRY_DAYS`] days ago the
//! stage completes anyway, and each client still failing gets a warning in the report saying its
//! older purchases are no longer retried automatically (a `full_refresh` run retries them). Rows
//! after the released run's start are still read, so the window never spans much more than twice
//! the bound.

use std::collections::{BTreeSet, HashSet};

use chrono::{DateTime, Duration, Utc};
use phorest_client::PollPolicy;

use super::contacts::sync_contact_side;
use super::cursor::StageCursor;
use super::{Abort, RunCtx, read_abort};
use crate::entity::EntityKind;
use crate::mappers;
use crate::report::Outcome;
use crate::store::MappingState;

/// How many days a failing purchase may hold the stage's watermark back (see the module docs).
pub(crate) const MAX_RETRY_DAYS: i64 = 30;

pub(crate) async fn run(ctx: &RunCtx<'_>) -> Result<(), Abort> {
    let entity = EntityKind::Purchase;
    let plan = ctx.plan;
    for branch in &ctx.facts.branches {
        let stage = format!("purchases:{}", branch.id);
        // When the previous run left work outstanding its checkpoint is still open: this run
        // continues it and keeps its start (StageCursor's resume rule).
        let open_since = if plan.config.full_refresh {
            None
        } else {
            plan.store
                .load(&stage)
                .await?
                .filter(|cp| !cp.completed)
                .and_then(|cp| cp.run_started_at)
        };
        let cursor = StageCursor::begin(
            plan.store.as_ref(),
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
        let contacts = plan.store.get_many(EntityKind::Client, &ids).await?;
        let existing = plan.store.get_many(entity, &ids).await?;
        // Buyers whose client is still to be written (failed or in flight): their tags follow
        // once the contact exists, so the window must stay open for them.
        let waiting: HashSet<&String> = ids
            .iter()
            .filter(|id| {
                contacts.get(*id).is_some_and(|m| {
                    m.ghl_id.is_none()
                        && matches!(m.state, MappingState::Failed | MappingState::Pending)
                })
            })
            .collect();
        let work: Vec<(String, BTreeSet<String>)> = by_client.into_iter().collect();
        let complete = ctx
            .process_page(work, |(client, tags)| {
                let contact = contacts.get(&client).and_then(|m| m.ghl_id.clone());
                let existing = existing.get(&client).cloned();
                let is_waiting = waiting.contains(&client);
                async move {
                    let Some(contact) = contact else {
                        let reason = if is_waiting {
                            "client is not synced to GHL yet; its purchase tags follow once it is"
                        } else {
                            "client is not synced to GHL"
                        };
                        ctx.record(entity, &client, None, Outcome::skipped_expected(reason));
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
        if ctx.dry_run() {
            // Checkpoints are never written in a dry run.
            continue;
        }
        let failed: Vec<String> = plan
            .store
            .get_many(entity, &ids)
            .await?
            .into_values()
            .filter(|m| m.state == MappingState::Failed)
            .map(|m| m.phorest_id)
            .collect();
        if failed.is_empty() && waiting.is_empty() {
            cursor.complete().await?;
            continue;
        }
        let since = open_since.unwrap_or_else(Utc::now);
        if Utc::now() - since <= Duration::days(MAX_RETRY_DAYS) {
            tracing::info!(
                stage = %stage,
                failed = failed.len(),
                waiting = waiting.len(),
                "purchase tags outstanding: the purchase window stays open for the next run"
            );
            continue;
        }
        release(ctx, &failed, since);
        cursor.complete().await?;
    }
    Ok(())
}

/// The window has been held open too long: say, per client still failing, what is given up.
fn release(ctx: &RunCtx<'_>, failed: &[String], since: DateTime<Utc>) {
    let from = (since - Duration::days(1)).date_naive();
    for client in failed {
        ctx.warn(
            EntityKind::Purchase,
            client,
            format!(
                "purchase tags of this client have failed since {}; purchases before {from} are \
                 no longer retried automatically (run with full_refresh to retry them)",
                since.date_naive()
            ),
        );
    }
    tracing::warn!(
        failed = failed.len(),
        "purchase tags kept failing for over {MAX_RETRY_DAYS} days: the purchase window moves on"
    );
}
