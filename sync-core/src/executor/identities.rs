//! The shared-identity index, kept in the store between runs.
//!
//! Families share an email or a mobile in Phorest; GHL matches contacts on both, so two clients
//! written with one identifier would land on one contact. The client mapper therefore needs to
//! know, for each client it maps, who else claims its identifiers and who keeps them (the oldest
//! client, see [`claim_rank`](crate::mappers::claim_rank)).
//!
//! - **Once**, on the first run, every client is read (a checkpointed, resumable stage of its
//!   own, `identities`) and its claims are stored ([`IdentityStore`](crate::store::IdentityStore)).
//! - **Every run after**, the claims of the clients a page brings are replaced in the store as
//!   the page is processed, and the claims of everyone sharing their identifiers are read back:
//!   that is the index the mapper uses for the page. Memory stays flat; an unchanged rerun reads
//!   no client twice.
//! - When a client starts or stops using an identifier others also use, those others may keep or
//!   lose it: they are queued (`identity.recheck` in the key-value store) and re-read by id in the
//!   client stage's retry pass, in the same run.
//!
//! A dry run changes nothing in the store: it builds the index in memory from one read of every
//! client.

use std::collections::{BTreeSet, HashMap, HashSet};

use phorest_client::{Client, ClientQuery};

use super::cursor::StageCursor;
use super::{Abort, RunCtx};
use crate::entity::EntityKind;
use crate::mappers::{
    ClientContext, SharedIdentityIndex, client_identity_claims, parse_identity_value,
};
use crate::store::{IdentityClaims, IdentityStore};

/// The checkpointed stage that fills the index on the first run.
const STAGE: &str = "identities";
/// The key-value entry listing clients to re-read because an identifier they share changed.
const RECHECK_KEY: &str = "identity.recheck";

/// The store the index lives in for this run: the plan's, or an in-memory one for dry runs.
fn store<'a>(ctx: &'a RunCtx<'_>) -> &'a dyn IdentityStore {
    match &ctx.identity_overlay {
        Some(memory) => memory,
        None => ctx.plan.store.as_ref(),
    }
}

/// The claims of `clients`, computed with each client's own phone region.
fn claims_of(
    ctx: &RunCtx<'_>,
    base: &ClientContext<'_>,
    clients: &[Client],
) -> Vec<IdentityClaims> {
    clients
        .iter()
        .map(|client| {
            let cctx = ClientContext {
                region: ctx.facts.client_country(client),
                ..*base
            };
            let (rank, values) = client_identity_claims(client, &cctx);
            IdentityClaims::new(client.client_id.as_str(), rank, values)
        })
        .collect()
}

/// Makes sure the index knows every client: reads them all once (first run, full refresh, dry
/// run), resumable page by page. Later runs return at once.
pub(crate) async fn prepare(ctx: &RunCtx<'_>, base: &ClientContext<'_>) -> Result<(), Abort> {
    let plan = ctx.plan;
    if ctx.identity_overlay.is_none()
        && !plan.config.full_refresh
        && plan.store.load(STAGE).await?.is_some_and(|cp| cp.completed)
    {
        return Ok(());
    }
    let mut cursors = vec![
        StageCursor::begin(
            plan.store.as_ref(),
            STAGE,
            "phorest",
            plan.config.watermark_overlap,
            ctx.dry_run(),
            ctx.identity_overlay.is_some() || plan.config.full_refresh,
        )
        .await?,
    ];
    let start = cursors[0].resume_position::<u32>().unwrap_or(0);
    let pages = plan.phorest.clients().pages(&ClientQuery::all(), start);
    let outcome = ctx
        .walk_pages(
            EntityKind::Client,
            "clients (identity index)",
            &mut cursors,
            start,
            pages,
            false,
            |clients: Vec<Client>| async move {
                let claims = claims_of(ctx, base, &clients);
                store(ctx).replace_identity_claims(&claims).await?;
                Ok(true)
            },
        )
        .await?;
    let cursor = cursors.pop().expect("one cursor");
    if outcome.settled() {
        cursor.complete().await?;
    } else {
        // Some clients may be missing from the index: build it again next run. Records of the
        // client stage are still protected by the store's one-owner rule.
        tracing::warn!(anomalies = ?outcome.anomalies, "identity index read was incomplete");
        cursor.abandon().await?;
    }
    Ok(())
}

/// Records the page's claims and answers the index the mapper needs for these clients (every
/// claimant of every identifier they use or just stopped using). Other clients whose claims may
/// have changed are queued for a re-read.
pub(crate) async fn resolve_page(
    ctx: &RunCtx<'_>,
    base: &ClientContext<'_>,
    clients: &[Client],
) -> Result<SharedIdentityIndex, Abort> {
    let store = store(ctx);
    let claims = claims_of(ctx, base, clients);
    let previous = store.replace_identity_claims(&claims).await?;
    let page_ids: HashSet<&str> = clients.iter().map(|c| c.client_id.as_str()).collect();

    // Which identifiers changed hands on this page.
    let before: HashMap<&str, BTreeSet<&str>> = previous
        .iter()
        .map(|c| {
            (
                c.owner.as_str(),
                c.values.iter().map(String::as_str).collect(),
            )
        })
        .collect();
    let mut changed: BTreeSet<String> = BTreeSet::new();
    let mut wanted: BTreeSet<String> = BTreeSet::new();
    for c in &claims {
        let now: BTreeSet<&str> = c.values.iter().map(String::as_str).collect();
        let then = before.get(c.owner.as_str()).cloned().unwrap_or_default();
        for v in now.symmetric_difference(&then) {
            changed.insert((*v).to_owned());
        }
        wanted.extend(c.values.iter().cloned());
    }
    wanted.extend(changed.iter().cloned());
    let wanted: Vec<String> = wanted.into_iter().collect();
    let all = if wanted.is_empty() {
        Vec::new()
    } else {
        store.identity_claims(&wanted).await?
    };

    let mut index = SharedIdentityIndex::new();
    let mut recheck: BTreeSet<String> = BTreeSet::new();
    for claimant in &all {
        for value in &claimant.values {
            if let Some((kind, identifier)) = parse_identity_value(value) {
                index.add_ranked(&claimant.owner, &claimant.rank, kind, identifier);
            }
            if changed.contains(value) && !page_ids.contains(claimant.owner.as_str()) {
                recheck.insert(claimant.owner.clone());
            }
        }
    }
    index.finish();
    if !recheck.is_empty() {
        tracing::debug!(
            count = recheck.len(),
            "clients queued: an identifier they share changed"
        );
        queue_recheck(ctx, recheck).await?;
    }
    Ok(index)
}

/// Adds clients to the re-read queue.
async fn queue_recheck(ctx: &RunCtx<'_>, ids: BTreeSet<String>) -> Result<(), Abort> {
    if ctx.dry_run() {
        let mut pending = ctx
            .recheck_overlay
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        pending.extend(ids);
        return Ok(());
    }
    let mut queued = recheck_queue(ctx).await?;
    let before = queued.len();
    queued.extend(ids);
    if queued.len() != before {
        let value = serde_json::to_value(&queued).unwrap_or_default();
        ctx.plan.store.set_value(RECHECK_KEY, &value).await?;
    }
    Ok(())
}

/// The clients queued for a re-read.
pub(crate) async fn recheck_queue(ctx: &RunCtx<'_>) -> Result<BTreeSet<String>, Abort> {
    if ctx.dry_run() {
        let pending = ctx
            .recheck_overlay
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        return Ok(pending.clone());
    }
    Ok(ctx
        .plan
        .store
        .get_value(RECHECK_KEY)
        .await?
        .and_then(|v| serde_json::from_value(v).ok())
        .unwrap_or_default())
}

/// Removes clients from the re-read queue once they were processed.
pub(crate) async fn done_rechecking(ctx: &RunCtx<'_>, ids: &BTreeSet<String>) -> Result<(), Abort> {
    if ctx.dry_run() {
        let mut pending = ctx
            .recheck_overlay
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        pending.retain(|id| !ids.contains(id));
        return Ok(());
    }
    let mut queued = recheck_queue(ctx).await?;
    let before = queued.len();
    queued.retain(|id| !ids.contains(id));
    if queued.len() != before {
        let value = serde_json::to_value(&queued).unwrap_or_default();
        ctx.plan.store.set_value(RECHECK_KEY, &value).await?;
    }
    Ok(())
}
