//! Product purchases (from Phorest's sales-transactions CSV export): the purchase tags each
//! buyer's contact should carry. Read **before** the clients are written, so a new contact is
//! created with its purchase tags in the same request, and a known contact gets them in the same
//! write as its other changes. Tags accumulate: a purchase never "un-happens", so purchase tags
//! are only added.
//!
//! # The purchase window
//!
//! The export is read by date, from the stage's watermark (minus one day) to today. There is no
//! other record of a purchase: once the window has moved past a row, a tag that failed to be
//! written would never be seen again. So **the window only moves past a run whose purchase tags
//! all landed**:
//!
//! - a run in which every buyer's tags were written (or unchanged, or the buyer is not synced
//!   for good) completes the checkpoint: the watermark becomes the start of that run;
//! - a run that leaves work outstanding — a purchase tag write failed, or a buyer whose contact
//!   is not in GHL *yet* (the client failed or is in flight) — leaves the checkpoint open. The
//!   next run continues it like an interrupted run: same watermark (the same rows are read again,
//!   plus newer ones), same `run_started_at`. Clients whose tags are in GHL hash as unchanged and
//!   cost nothing.
//!
//! **Bound.** A record that keeps failing must not pin the window forever: once the open run
//! started more than [`MAX_RETRY_DAYS`] days ago the stage completes anyway, and each client still
//! failing gets a warning saying its older purchases are no longer retried automatically (a
//! `full_refresh` run retries them).

use std::collections::{BTreeMap, BTreeSet, HashSet};

use chrono::{DateTime, Duration, Utc};
use phorest_client::PollPolicy;

use super::cursor::StageCursor;
use super::{Abort, RunCtx, read_abort};
use crate::entity::EntityKind;
use crate::mappers;
use crate::store::MappingState;

/// How many days a failing purchase may hold the stage's watermark back (see the module docs).
pub(crate) const MAX_RETRY_DAYS: i64 = 30;

/// One branch's purchase window in this run.
pub(crate) struct BranchWindow<'a> {
    stage: String,
    cursor: StageCursor<'a>,
    /// Start of the open run this one continues, if the last run left work outstanding.
    open_since: Option<DateTime<Utc>>,
    /// The buyers of this window.
    buyers: BTreeSet<String>,
}

/// What the purchase export says each buyer's contact should carry.
pub(crate) struct PurchaseFacts<'a> {
    /// Client id → purchase tags seen in this run's windows.
    pub(crate) by_client: BTreeMap<String, BTreeSet<String>>,
    windows: Vec<BranchWindow<'a>>,
}

/// Reads every branch's purchase window (one CSV export each).
pub(crate) async fn read<'a>(ctx: &'a RunCtx<'_>) -> Result<PurchaseFacts<'a>, Abort> {
    let entity = EntityKind::Purchase;
    let plan = ctx.plan;
    let mut facts = PurchaseFacts {
        by_client: BTreeMap::new(),
        windows: Vec::new(),
    };
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
        let cursor = ctx.cursor(&stage, Duration::days(1), false).await?;
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
        let mut buyers = BTreeSet::new();
        for (client, tags) in mappers::purchase_tags(good.iter(), &plan.config.mapping) {
            buyers.insert(client.clone());
            facts.by_client.entry(client).or_default().extend(tags);
        }
        facts.windows.push(BranchWindow {
            stage,
            cursor,
            open_since,
            buyers,
        });
    }
    Ok(facts)
}

/// After the clients were written: each branch's window completes when every buyer in it is
/// settled, else stays open (bounded, see the module docs). `clients_read_all` says whether the
/// client pass read every client it should have: when it did not, a buyer the store has no
/// mapping for may simply not have been read yet, and holds the window open too.
pub(crate) async fn settle(
    ctx: &RunCtx<'_>,
    facts: PurchaseFacts<'_>,
    clients_read_all: bool,
) -> Result<(), Abort> {
    if ctx.dry_run() {
        return Ok(());
    }
    let plan = ctx.plan;
    let ids: Vec<String> = facts.by_client.keys().cloned().collect();
    let purchases = plan.store.get_many(EntityKind::Purchase, &ids).await?;
    let clients = plan.store.get_many(EntityKind::Client, &ids).await?;
    for window in facts.windows {
        let failed: Vec<String> = window
            .buyers
            .iter()
            .filter(|id| {
                purchases
                    .get(*id)
                    .is_some_and(|m| m.state == MappingState::Failed)
            })
            .cloned()
            .collect();
        // Buyers whose client is still to be written (failed or in flight): their tags follow
        // once the contact exists, so the window must stay open for them.
        let waiting: HashSet<&String> = window
            .buyers
            .iter()
            .filter(|id| match clients.get(*id) {
                Some(m) => {
                    m.ghl_id.is_none()
                        && matches!(m.state, MappingState::Failed | MappingState::Pending)
                }
                None => !clients_read_all,
            })
            .collect();
        if failed.is_empty() && waiting.is_empty() {
            window.cursor.complete().await?;
            continue;
        }
        let since = window.open_since.unwrap_or_else(Utc::now);
        if Utc::now() - since <= Duration::days(MAX_RETRY_DAYS) {
            tracing::info!(
                stage = %window.stage,
                failed = failed.len(),
                waiting = waiting.len(),
                "purchase tags outstanding: the purchase window stays open for the next run"
            );
            continue;
        }
        release(ctx, &failed, since);
        window.cursor.complete().await?;
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
