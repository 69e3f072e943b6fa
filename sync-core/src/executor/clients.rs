//! The client stage: clients → contacts, with their loyalty and purchases in the same write.
//!
//! One read of each changed client gives its contact fields, its category and state tags, and
//! its loyalty card; the purchase export (read first, see [`super::purchases`]) gives its
//! purchase tags. The stage composes them into one [`ContactJob`] per client and lets the
//! [contact writer](super::contact_writer) write each contact once. Each entity keeps its own
//! mapping, checkpoint and report row: a run with loyalty disabled never advances the loyalty
//! checkpoint, and leaves loyalty tags as they are.
//!
//! Passes:
//! 1. the shared-identity index is brought up to date ([`super::identities`]);
//! 2. the incremental pass: clients updated since the oldest watermark of the enabled facets,
//!    page by page (read ahead), checkpointed;
//! 3. the retry pass: clients whose last write failed or was interrupted, and clients queued
//!    because an identifier they share changed — re-read by id;
//! 4. buyers whose only change is a new purchase: their purchase tags, no Phorest read.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use ghl_client::CustomFieldId;
use phorest_client::{Client, ClientId, ClientQuery};
use serde_json::Value;

use super::contact_writer::{ContactJob, Facet, write_contacts};
use super::cursor::StageCursor;
use super::{Abort, RunCtx, identities, read_abort};
use crate::entity::EntityKind;
use crate::mappers::{self, ClientContext, SkipReason, tombstone_tag};
use crate::report::Outcome;
use crate::store::{Mapping, MappingState};

/// Where the rolling re-check of synced clients stopped (the last Phorest id it read).
const RECHECK_KEY: &str = "clients.recheck.after";

/// Mappings re-read per store call in the retry pass.
const LIST_CHUNK: usize = 1_000;

/// Which facets of a client this run writes.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ClientFacets {
    pub(crate) clients: bool,
    pub(crate) loyalty: bool,
    pub(crate) purchases: bool,
}

impl ClientFacets {
    fn entities(self) -> Vec<EntityKind> {
        let mut out = Vec::new();
        if self.clients {
            out.push(EntityKind::Client);
        }
        if self.loyalty {
            out.push(EntityKind::Loyalty);
        }
        if self.purchases {
            out.push(EntityKind::Purchase);
        }
        out
    }
}

/// The client stage (see the module docs).
pub(crate) async fn run(ctx: &RunCtx<'_>, facets: ClientFacets) -> Result<(), Abort> {
    let plan = ctx.plan;
    let base = ClientContext {
        options: &plan.config.mapping,
        region: ctx.facts.default_country(),
        categories: &ctx.facts.categories,
        walk_in_id: ctx.facts.walk_in_client_id.as_deref(),
        identities: None,
    };
    if facets.clients {
        identities::prepare(ctx, &base).await?;
    }
    let purchases = if facets.purchases {
        Some(super::purchases::read(ctx).await?)
    } else {
        None
    };
    let loyalty_field = CustomFieldId::from(
        ctx.facts
            .loyalty_field_id
            .clone()
            .unwrap_or_else(|| "(created on the first real run)".to_owned()),
    );
    let stage = Stage {
        ctx,
        facets,
        base,
        loyalty_field,
        purchases: purchases.as_ref().map(|p| &p.by_client),
    };

    // The clients this run read (by any pass).
    let mut seen: HashSet<String> = HashSet::new();
    let read_all = stage.incremental_pass(&mut seen).await?;
    stage.retry_pass(&mut seen).await?;
    stage.recheck_pass(&mut seen).await?;
    stage.buyers_pass(&seen).await?;
    drop(stage);
    if let Some(purchases) = purchases {
        super::purchases::settle(ctx, purchases, read_all).await?;
    }
    Ok(())
}

/// The oldest of several lower bounds (`None`, a full read, wins).
pub(crate) fn oldest(
    bounds: impl Iterator<Item = Option<chrono::DateTime<chrono::Utc>>>,
) -> Option<chrono::DateTime<chrono::Utc>> {
    let mut out: Option<Option<chrono::DateTime<chrono::Utc>>> = None;
    for b in bounds {
        out = Some(match (out, b) {
            (None, b) => b,
            (Some(None), _) | (_, None) => None,
            (Some(Some(a)), Some(b)) => Some(a.min(b)),
        });
    }
    out.flatten()
}

/// What the retry pass re-reads.
struct Retry {
    ids: Vec<String>,
    /// Of those, the ones skipped before (a skipped client Phorest no longer returns is
    /// forgotten).
    skipped: HashSet<String>,
    /// Of those, the ones queued by the identity index.
    recheck: BTreeSet<String>,
}

async fn retry_ids(
    ctx: &RunCtx<'_>,
    facets: ClientFacets,
    seen: &HashSet<String>,
) -> Result<Retry, Abort> {
    let store = &ctx.plan.store;
    let mut ids: BTreeSet<String> = BTreeSet::new();
    let mut skipped = HashSet::new();
    let mut lists: Vec<(EntityKind, MappingState)> = Vec::new();
    // Clients skipped for a fixable reason are not re-read: fixing them in Phorest moves their
    // `updatedAt`, and a shared identifier freed by *another* client queues them through the
    // identity index.
    if facets.clients {
        for state in [MappingState::Failed, MappingState::Pending] {
            lists.push((EntityKind::Client, state));
        }
    }
    if facets.loyalty {
        for state in [MappingState::Failed, MappingState::Pending] {
            lists.push((EntityKind::Loyalty, state));
        }
    }
    for (entity, state) in lists {
        let mut after: Option<String> = None;
        loop {
            let page = store
                .list(entity, Some(state), after.as_deref(), LIST_CHUNK)
                .await?;
            let Some(last) = page.last() else { break };
            after = Some(last.phorest_id.clone());
            for m in page {
                if seen.contains(&m.phorest_id) {
                    continue;
                }
                if state == MappingState::Skipped {
                    skipped.insert(m.phorest_id.clone());
                }
                ids.insert(m.phorest_id);
            }
        }
    }
    let recheck = if facets.clients {
        identities::recheck_queue(ctx).await?
    } else {
        BTreeSet::new()
    };
    ids.extend(recheck.iter().filter(|id| !seen.contains(*id)).cloned());
    Ok(Retry {
        ids: ids.into_iter().collect(),
        skipped,
        recheck,
    })
}

/// Reads clients by id through the batch endpoint; answers the clients and the ids Phorest did
/// not return. A record that does not decode is neither: it is failed where it is met.
async fn read_by_id(ctx: &RunCtx<'_>, ids: &[String]) -> Result<(Vec<Client>, Vec<String>), Abort> {
    let request: Vec<ClientId> = ids.iter().map(|id| ClientId::from(id.as_str())).collect();
    let (clients, rejected) =
        phorest_client::collect_items(ctx.plan.phorest.clients().batch(&request))
            .await
            .map_err(|e| read_abort("clients by id", &e))?;
    let mut answered: HashSet<String> = clients.iter().map(|c| c.client_id.to_string()).collect();
    for r in &rejected {
        ctx.reject(EntityKind::Client, r);
        if let Some(id) = &r.id {
            answered.insert(id.clone());
        }
    }
    let gone = ids
        .iter()
        .filter(|id| !answered.contains(*id))
        .cloned()
        .collect();
    Ok((clients, gone))
}

/// The state shared by the passes of one client stage.
struct Stage<'a, 'c> {
    ctx: &'a RunCtx<'c>,
    facets: ClientFacets,
    base: ClientContext<'a>,
    loyalty_field: CustomFieldId,
    purchases: Option<&'a BTreeMap<String, BTreeSet<String>>>,
}

impl Stage<'_, '_> {
    /// The incremental pass over every enabled facet that reads clients: one walk, shared by
    /// the client and loyalty checkpoints. Answers whether it read every client it should have
    /// (no page anomaly, no record that failed to decode).
    async fn incremental_pass(&self, seen: &mut HashSet<String>) -> Result<bool, Abort> {
        let (ctx, facets, plan) = (self.ctx, self.facets, self.ctx.plan);
        // Whether the pass read every client it should have (no page anomaly).
        let mut read_all = true;
        if facets.clients || facets.loyalty {
            let mut cursors: Vec<(EntityKind, StageCursor<'_>)> = Vec::new();
            for (entity, name) in [
                (EntityKind::Client, "clients"),
                (EntityKind::Loyalty, "loyalty"),
            ] {
                let on = if entity == EntityKind::Client {
                    facets.clients
                } else {
                    facets.loyalty
                };
                if on {
                    cursors.push((
                        entity,
                        ctx.cursor(name, plan.config.watermark_overlap, false)
                            .await?,
                    ));
                }
            }
            let since = oldest(cursors.iter().map(|(_, c)| c.since()));
            // Resuming: all facets continue from the furthest page every one of them has settled.
            let start = cursors
                .iter()
                .map(|(_, c)| c.resume_position::<u32>().unwrap_or(0))
                .min()
                .unwrap_or(0);
            let query = ClientQuery::all().updated_after(since);
            let pages = plan.phorest.clients().pages(&query, start);
            let seen_ref = &std::sync::Mutex::new(seen);
            let mut walking: Vec<StageCursor<'_>> = Vec::new();
            let mut entities = Vec::new();
            for (entity, cursor) in cursors {
                entities.push(entity);
                walking.push(cursor);
            }
            let walk = ctx
                .walk_pages(
                    entities[0],
                    "clients",
                    &mut walking,
                    start,
                    pages,
                    facets.clients,
                    |items: Vec<Client>| async move {
                        if let Ok(mut s) = seen_ref.lock() {
                            s.extend(items.iter().map(|c| c.client_id.to_string()));
                        }
                        self.process(items).await
                    },
                )
                .await?;
            for (entity, cursor) in entities.into_iter().zip(walking) {
                // Clients not settled may be the buyers or appointment clients later stages need.
                if !ctx.close_walk(entity, cursor, &walk).await? {
                    read_all = false;
                }
            }
        }

        Ok(read_all)
    }

    /// The retry pass: failed and recheck-queued clients read by id, and clients whose contact
    /// belonged to another client earlier in this run (that client may have given up the
    /// shared email or phone since).
    async fn retry_pass(&self, seen: &mut HashSet<String>) -> Result<(), Abort> {
        let (ctx, facets) = (self.ctx, self.facets);
        let mut retry = retry_ids(ctx, facets, seen).await?;
        let conflicted: Vec<String> = {
            let mut set = ctx.conflicted.lock().unwrap_or_else(|e| e.into_inner());
            let ids = set
                .iter()
                .filter(|(e, _)| *e == EntityKind::Client)
                .map(|(_, id)| id.clone())
                .collect();
            set.retain(|(e, _)| *e != EntityKind::Client);
            ids
        };
        for id in conflicted {
            // Its failure is taken back: the retry records its outcome.
            ctx.with_report(|r| {
                for entity in [
                    EntityKind::Client,
                    EntityKind::Loyalty,
                    EntityKind::Purchase,
                ] {
                    r.unrecord_failure(entity, &id);
                }
            });
            if !retry.ids.contains(&id) {
                retry.ids.push(id);
            }
        }
        if !retry.ids.is_empty() {
            let (clients, gone) = read_by_id(ctx, &retry.ids).await?;
            for client in &clients {
                seen.insert(client.client_id.to_string());
            }
            self.forget_gone(&gone, &retry.skipped).await?;
            if !self.process(clients).await? {
                return Err(Abort::Cancelled);
            }
        }
        if !retry.recheck.is_empty() {
            identities::done_rechecking(ctx, &retry.recheck).await?;
        }

        Ok(())
    }

    /// The rolling re-check (fidelity: Phorest may ignore `includeDeleted`/`includeArchived`,
    /// and a loyalty change may not move `updatedAt`): the next
    /// [`client_recheck_per_run`](crate::SyncConfig::client_recheck_per_run) synced clients,
    /// by Phorest id after where the last run stopped, are read by id and processed like any
    /// other; a deleted one is tombstoned, a changed balance written, an unchanged client costs
    /// no GHL request. A client the batch does not return is only reported: one absence is not
    /// proof of a deletion, and its mapping stays.
    async fn recheck_pass(&self, seen: &mut HashSet<String>) -> Result<(), Abort> {
        let ctx = self.ctx;
        let per_run = ctx.plan.config.client_recheck_per_run;
        if per_run == 0 || !self.facets.clients {
            return Ok(());
        }
        let store = &ctx.plan.store;
        let after: Option<String> = store
            .get_value(RECHECK_KEY)
            .await?
            .and_then(|v| v.as_str().map(str::to_owned));
        let listed = store
            .list(
                EntityKind::Client,
                Some(MappingState::Synced),
                after.as_deref(),
                per_run,
            )
            .await?;
        // The cycle starts again from the first client once it reaches the last.
        let next = if listed.len() < per_run {
            serde_json::Value::Null
        } else {
            listed
                .last()
                .map_or(serde_json::Value::Null, |m| m.phorest_id.clone().into())
        };
        let ids: Vec<String> = listed
            .into_iter()
            .map(|m| m.phorest_id)
            .filter(|id| !seen.contains(id))
            .collect();
        if !ids.is_empty() {
            let (clients, gone) = read_by_id(ctx, &ids).await?;
            for client in &clients {
                seen.insert(client.client_id.to_string());
            }
            for id in &gone {
                ctx.warn(
                    EntityKind::Client,
                    id,
                    "not returned when read by id; its contact and mapping are kept (one \
                     absence is not proof of a deletion)"
                        .to_owned(),
                );
            }
            if !self.process(clients).await? {
                return Err(Abort::Cancelled);
            }
        }
        if !ctx.dry_run() {
            store.set_value(RECHECK_KEY, &next).await?;
        }
        Ok(())
    }

    /// Buyers with new purchases only. A buyer the store has never heard of was not read (a
    /// page the walk could not trust, or a client outside the incremental window that never
    /// synced): it is read now, so it is created with its purchase tags.
    async fn buyers_pass(&self, seen: &HashSet<String>) -> Result<(), Abort> {
        let (ctx, facets) = (self.ctx, self.facets);
        let mut buyers: Vec<String> = self
            .purchases
            .into_iter()
            .flat_map(|p| p.keys())
            .filter(|id| !seen.contains(*id))
            .cloned()
            .collect();
        if facets.clients && !buyers.is_empty() {
            let known = ctx.plan.store.get_many(EntityKind::Client, &buyers).await?;
            let unknown: Vec<String> = buyers
                .iter()
                .filter(|id| !known.contains_key(*id))
                .cloned()
                .collect();
            if !unknown.is_empty() {
                let (clients, _gone) = read_by_id(ctx, &unknown).await?;
                let read: HashSet<String> =
                    clients.iter().map(|c| c.client_id.to_string()).collect();
                if !self.process(clients).await? {
                    return Err(Abort::Cancelled);
                }
                buyers.retain(|id| !read.contains(id));
            }
        }
        for chunk in buyers.chunks(100) {
            if !self.purchases_only(chunk).await? {
                return Err(Abort::Cancelled);
            }
        }
        Ok(())
    }

    /// Clients Phorest no longer returns by id. A client *skipped* earlier needs nothing more:
    /// its `Skipped` entry goes. Anything else keeps its mapping: one absence is not proof of a
    /// deletion (the batch endpoint's treatment of deleted and merged clients is unconfirmed),
    /// and a mapping deleted on a false signal would orphan its contact.
    async fn forget_gone(&self, gone: &[String], skipped: &HashSet<String>) -> Result<(), Abort> {
        if self.ctx.dry_run() {
            return Ok(());
        }
        for id in gone {
            if skipped.contains(id) {
                self.ctx.plan.store.delete(EntityKind::Client, id).await?;
            } else {
                tracing::info!(client_id = %id, "client not returned by id; its mapping is kept");
            }
        }
        Ok(())
    }

    /// Maps and writes one batch of clients; answers whether every one was accounted for.
    async fn process(&self, clients: Vec<Client>) -> Result<bool, Abort> {
        if clients.is_empty() {
            return Ok(true);
        }
        let ctx = self.ctx;
        let store = &ctx.plan.store;
        let ids: Vec<String> = clients.iter().map(|c| c.client_id.to_string()).collect();
        let identities = if self.facets.clients {
            Some(identities::resolve_page(ctx, &self.base, &clients).await?)
        } else {
            None
        };
        let owners = store.get_many(EntityKind::Client, &ids).await?;
        let loyalty = if self.facets.loyalty {
            store.get_many(EntityKind::Loyalty, &ids).await?
        } else {
            HashMap::new()
        };
        let purchases = if self.facets.purchases {
            store.get_many(EntityKind::Purchase, &ids).await?
        } else {
            HashMap::new()
        };
        let was_skipped: HashSet<String> = owners
            .values()
            .filter(|m| m.state == MappingState::Skipped && m.ghl_id.is_none())
            .map(|m| m.phorest_id.clone())
            .collect();

        let mut jobs = Vec::with_capacity(clients.len());
        for client in &clients {
            let id = client.client_id.to_string();
            let label =
                mappers::display_name(client.first_name.as_deref(), client.last_name.as_deref());
            let owner = owners.get(&id).cloned();
            let cctx = ClientContext {
                region: ctx.facts.client_country(client),
                identities: identities.as_ref(),
                ..self.base
            };
            let mut job = ContactJob {
                owner: EntityKind::Client,
                phorest_id: id.clone(),
                label: label.clone(),
                fields: None,
                marker_tag: Some(ctx.plan.config.mapping.tags.client_id_tag(&id)),
                facets: Vec::new(),
                update_only: !self.facets.clients,
                report: true,
            };
            let mut owner_facet = Facet::new(EntityKind::Client, owner.clone());
            owner_facet.active = self.facets.clients;
            if self.facets.clients {
                match mappers::map_client(client, &cctx) {
                    Ok(mapped) => {
                        for w in &mapped.warnings {
                            ctx.warn(EntityKind::Client, &id, w.clone());
                        }
                        let fields = mapped.request.fields().clone();
                        owner_facet.payload =
                            Some(serde_json::to_value(&fields).unwrap_or(Value::Null));
                        owner_facet.tags = mapped
                            .tags
                            .iter()
                            .filter(|t| Some(*t) != job.marker_tag.as_ref())
                            .cloned()
                            .collect();
                        job.fields = Some(fields);
                    }
                    Err(skip) => {
                        if let Some(tombstone) = self.tombstone(&job, owner.as_ref(), &skip) {
                            jobs.push(tombstone);
                        } else {
                            if let Some(release) = self.release(&job, owner.as_ref(), &skip) {
                                jobs.push(release);
                            }
                            self.skip(client, &id, label.as_deref(), owner, &skip)
                                .await?;
                        }
                        continue;
                    }
                }
            } else if owner.as_ref().and_then(|m| m.ghl_id.as_ref()).is_none() {
                // Loyalty or purchases without the client stage: only contacts that exist.
                self.skip_dependents(&id, "client is not synced to GHL (see the client stage)");
                continue;
            }
            job.facets.push(owner_facet);
            if self.facets.loyalty {
                match mappers::map_loyalty(client, &self.loyalty_field, &ctx.plan.config.mapping) {
                    Ok(mapped) => {
                        let mut facet = Facet::new(EntityKind::Loyalty, loyalty.get(&id).cloned());
                        facet.payload = Some(serde_json::json!({
                            "points": mapped.points, "tier": mapped.tier
                        }));
                        facet.custom_fields = vec![mapped.custom_field.clone()];
                        facet.tags = vec![mapped.tier_tag.clone()];
                        job.facets.push(facet);
                    }
                    Err(skip) => {
                        ctx.record(EntityKind::Loyalty, &id, None, Outcome::skipped(&skip));
                        let mut kept = Facet::new(EntityKind::Loyalty, loyalty.get(&id).cloned());
                        kept.active = false;
                        job.facets.push(kept);
                    }
                }
            }
            if let Some(facet) = self.purchase_facet(&id, purchases.get(&id).cloned()) {
                job.facets.push(facet);
            }
            jobs.push(job);
        }
        let page = write_contacts(ctx, jobs).await?;
        if ctx.dry_run() {
            ctx.dry_contacts
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .extend(page.synced.iter().cloned());
        }
        for id in page.synced.iter().filter(|id| was_skipped.contains(*id)) {
            ctx.client_became_syncable(id).await?;
        }
        Ok(page.complete)
    }

    /// The purchase facet of a buyer with purchases in this run's windows.
    fn purchase_facet(&self, id: &str, existing: Option<Mapping>) -> Option<Facet> {
        let new = self.purchases?.get(id)?;
        let mut tags: BTreeSet<String> = existing
            .as_ref()
            .map(|m| m.owned_tags.iter().cloned().collect())
            .unwrap_or_default();
        tags.extend(new.iter().cloned());
        let mut facet = Facet::new(EntityKind::Purchase, existing);
        facet.tags = tags.into_iter().collect();
        Some(facet)
    }

    /// Buyers whose client did not change: only their purchase tags.
    async fn purchases_only(&self, ids: &[String]) -> Result<bool, Abort> {
        let ctx = self.ctx;
        let store = &ctx.plan.store;
        let owners = store.get_many(EntityKind::Client, ids).await?;
        let existing = store.get_many(EntityKind::Purchase, ids).await?;
        let mut jobs = Vec::new();
        for id in ids {
            let owner = owners.get(id).cloned();
            if owner.as_ref().and_then(|m| m.ghl_id.as_ref()).is_none() {
                let waiting = owner.as_ref().is_some_and(|m| {
                    matches!(m.state, MappingState::Failed | MappingState::Pending)
                });
                let reason = if waiting {
                    "client is not synced to GHL yet; its purchase tags follow once it is"
                } else {
                    "client is not synced to GHL"
                };
                ctx.record(
                    EntityKind::Purchase,
                    id,
                    None,
                    Outcome::skipped_expected(reason),
                );
                continue;
            }
            let Some(facet) = self.purchase_facet(id, existing.get(id).cloned()) else {
                continue;
            };
            let mut owner_facet = Facet::new(EntityKind::Client, owner);
            owner_facet.active = false;
            jobs.push(ContactJob {
                owner: EntityKind::Client,
                phorest_id: id.clone(),
                label: None,
                fields: None,
                marker_tag: Some(ctx.plan.config.mapping.tags.client_id_tag(id)),
                facets: vec![owner_facet, facet],
                update_only: true,
                report: true,
            });
        }
        Ok(write_contacts(ctx, jobs).await?.complete)
    }

    /// A contact synced earlier whose client is now deleted or merged keeps its history and gets
    /// the tombstone tag, instead of being deleted; the email and phone the sync wrote on it are
    /// cleared, so they stop matching it.
    fn tombstone(
        &self,
        job: &ContactJob,
        owner: Option<&Mapping>,
        skip: &SkipReason,
    ) -> Option<ContactJob> {
        let owner = owner.filter(|m| m.ghl_id.is_some())?;
        if !matches!(skip, SkipReason::Deleted | SkipReason::Merged { .. }) {
            return None;
        }
        let mut facet = Facet::new(EntityKind::Client, Some(owner.clone()));
        let mut tags = owner.owned_tags.clone();
        let tomb = tombstone_tag(&self.ctx.plan.config.mapping.tags);
        if !tags.contains(&tomb) {
            tags.push(tomb);
        }
        tags.sort();
        facet.tags = tags;
        // The contact stays as history, but the email and phone the sync wrote on it are
        // cleared: a live client who has them (the client a merge kept, a family member sharing
        // a mobile) gets a contact of its own, as a fresh sync would give it. Contacts are never
        // merged by the sync; GHL's merge tool can join the two.
        let mut kept = owner.last_written.clone();
        if let Some(map) = kept.as_mut().and_then(Value::as_object_mut) {
            map.remove("email");
            map.remove("phone");
        }
        facet.payload = kept;
        let mut job = job.clone();
        job.update_only = true;
        job.fields = Some(ghl_client::contacts::ContactFields::new());
        job.facets = vec![facet];
        Some(job)
    }

    /// A client synced earlier that now gives up every identifier it shares (another client
    /// keeps them) is skipped; its contact stays (history), but the email and phone the sync
    /// wrote on it are cleared, so the client who keeps them can have them.
    fn release(
        &self,
        job: &ContactJob,
        owner: Option<&Mapping>,
        skip: &SkipReason,
    ) -> Option<ContactJob> {
        let owner = owner.filter(|m| m.ghl_id.is_some())?;
        if !matches!(skip, SkipReason::SharedIdentity { .. }) {
            return None;
        }
        let written = owner.last_written.as_ref()?;
        if ["email", "phone"]
            .iter()
            .all(|k| written.get(*k).is_none_or(Value::is_null))
        {
            return None;
        }
        let mut kept = written.clone();
        if let Some(map) = kept.as_object_mut() {
            map.remove("email");
            map.remove("phone");
        }
        let mut facet = Facet::new(EntityKind::Client, Some(owner.clone()));
        facet.tags = owner.owned_tags.clone();
        facet.payload = Some(kept);
        let mut job = job.clone();
        job.update_only = true;
        job.report = false;
        job.fields = Some(ghl_client::contacts::ContactFields::new());
        job.facets = vec![facet];
        Some(job)
    }

    /// Reports a skipped client (and its dependents) and remembers fixable skips.
    async fn skip(
        &self,
        client: &Client,
        id: &str,
        label: Option<&str>,
        owner: Option<Mapping>,
        skip: &SkipReason,
    ) -> Result<(), Abort> {
        let _ = client;
        self.remember_skip(id, owner, skip).await?;
        self.ctx
            .record(EntityKind::Client, id, label, Outcome::skipped(skip));
        self.skip_dependents(id, "client is not synced to GHL (see the client stage)");
        Ok(())
    }

    fn skip_dependents(&self, id: &str, reason: &str) {
        if self.facets.loyalty {
            self.ctx.record(
                EntityKind::Loyalty,
                id,
                None,
                Outcome::skipped_expected(reason),
            );
        }
        if self.facets.purchases && self.purchases.is_some_and(|p| p.contains_key(id)) {
            self.ctx.record(
                EntityKind::Purchase,
                id,
                None,
                Outcome::skipped_expected(reason),
            );
        }
    }

    /// Keep a `Skipped` mapping for a client skipped for a reason the salon can fix, so later
    /// runs look at it again. Clients with a GHL contact keep their mapping as it is; expected
    /// skips (walk-in, merged, deleted...) are not remembered.
    async fn remember_skip(
        &self,
        id: &str,
        existing: Option<Mapping>,
        skip: &SkipReason,
    ) -> Result<(), Abort> {
        let ctx = self.ctx;
        if ctx.dry_run()
            || existing
                .as_ref()
                .is_some_and(|m| m.ghl_id.is_some() || m.state == MappingState::Pending)
        {
            return Ok(());
        }
        let reason = skip.to_string();
        if !skip.is_actionable() {
            // It was fixable before and is not any more (e.g. now archived): forget it.
            if existing.is_some() {
                ctx.plan.store.delete(EntityKind::Client, id).await?;
            }
            return Ok(());
        }
        if existing.as_ref().is_some_and(|m| {
            m.state == MappingState::Skipped && m.last_error.as_ref() == Some(&reason)
        }) {
            return Ok(());
        }
        let mut mapping = existing.unwrap_or_else(|| Mapping::new(EntityKind::Client, id));
        mapping.state = MappingState::Skipped;
        mapping.content_hash = None;
        mapping.last_error = Some(reason);
        mapping.updated_at = chrono::Utc::now();
        ctx.plan.store.put(&mapping).await?;
        Ok(())
    }
}

impl ClientFacets {
    /// The report rows this stage fills.
    pub(crate) fn rows(self) -> Vec<EntityKind> {
        self.entities()
    }
}
