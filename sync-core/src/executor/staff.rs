//! The staff stage (staff → contacts with the staff tags) and the client-category stage (a
//! report of the category tags the client stage writes).

use std::collections::HashSet;

use phorest_client::{Staff, StaffQuery};
use serde_json::Value;

use super::contact_writer::{ContactJob, Facet, write_contacts};
use super::{Abort, RunCtx};
use crate::entity::EntityKind;
use crate::mappers;
use crate::report::Outcome;
use crate::store::Mapping;

/// Staff → contacts, branch by branch. Preflight already read every staff member when
/// appointments are enabled (for the staff → user map): that read is used; otherwise the staff
/// are read page by page from the stage's watermark.
pub(crate) async fn run_staff(ctx: &RunCtx<'_>) -> Result<(), Abort> {
    let entity = EntityKind::Staff;
    let plan = ctx.plan;
    for branch in &ctx.facts.branches {
        let stage = format!("staff:{}", branch.id);
        let mut cursors = vec![
            ctx.cursor(&stage, plan.config.watermark_overlap, false)
                .await?,
        ];
        let start = cursors[0].resume_position::<u32>().unwrap_or(0);
        // Failed or interrupted staff are read again in full (there are few).
        let full = ctx.has_outstanding(&[entity]).await?;
        let since = if full { None } else { cursors[0].since() };
        let region = branch.country.as_deref();
        if let Some((list, rejected)) = ctx.facts.staff_read.get(&branch.id) {
            for r in rejected {
                ctx.reject(entity, r);
            }
            let mut seen = HashSet::new();
            let changed: Vec<Staff> = list
                .iter()
                .filter(|s| seen.insert(s.staff_id.to_string()))
                .filter(|s| since.is_none_or(|t| s.updated_at.is_none_or(|u| u >= t)))
                .cloned()
                .collect();
            if !write_staff(ctx, region, changed).await? {
                return Err(Abort::Cancelled);
            }
            let cursor = cursors.pop().expect("one cursor");
            if rejected.is_empty() {
                cursor.complete().await?;
            } else {
                // Undecodable records (failed in the report) are read again next run.
                cursor.abandon().await?;
            }
            continue;
        }
        let query = StaffQuery::all().updated_after(since);
        let pages = plan.phorest.staff(branch.id.as_str()).pages(&query, start);
        let walk = ctx
            .walk_pages(
                entity,
                "staff",
                &mut cursors,
                start,
                pages,
                true,
                |items: Vec<Staff>| write_staff(ctx, region, items),
            )
            .await?;
        let cursor = cursors.pop().expect("one cursor");
        ctx.close_walk(entity, cursor, &walk).await?;
    }
    Ok(())
}

/// Maps and writes a batch of staff; answers whether every one was accounted for.
async fn write_staff(
    ctx: &RunCtx<'_>,
    region: Option<&str>,
    items: Vec<Staff>,
) -> Result<bool, Abort> {
    let entity = EntityKind::Staff;
    let plan = ctx.plan;
    let ids: Vec<String> = items.iter().map(|s| s.staff_id.to_string()).collect();
    let existing = plan.store.get_many(entity, &ids).await?;
    let mut jobs = Vec::new();
    for staff in &items {
        let id = staff.staff_id.to_string();
        let label = mappers::display_name(staff.first_name.as_deref(), staff.last_name.as_deref());
        match mappers::map_staff(staff, &plan.config.mapping, region) {
            Err(skip) => ctx.record(entity, &id, label.as_deref(), Outcome::skipped(&skip)),
            Ok(mapped) => {
                for w in &mapped.warnings {
                    ctx.warn(entity, &id, w.clone());
                }
                jobs.push(staff_job(ctx, &id, label, mapped, existing.get(&id)));
            }
        }
    }
    Ok(write_contacts(ctx, jobs).await?.complete)
}

fn staff_job(
    ctx: &RunCtx<'_>,
    id: &str,
    label: Option<String>,
    mapped: mappers::MappedContact,
    existing: Option<&Mapping>,
) -> ContactJob {
    let marker = ctx
        .plan
        .config
        .mapping
        .tags
        .staff_tags(id)
        .into_iter()
        .find(|t| t.starts_with("phorest-staff-id:"));
    let fields = mapped.request.fields().clone();
    let mut facet = Facet::new(EntityKind::Staff, existing.cloned());
    facet.payload = Some(serde_json::to_value(&fields).unwrap_or(Value::Null));
    facet.tags = mapped
        .tags
        .into_iter()
        .filter(|t| Some(t) != marker.as_ref())
        .collect();
    ContactJob {
        owner: EntityKind::Staff,
        phorest_id: id.to_owned(),
        label,
        fields: Some(fields),
        marker_tag: marker,
        facets: vec![facet],
        update_only: false,
        report: true,
    }
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
        if outcome != Outcome::Unchanged && !ctx.dry_run() {
            let mut mapping = existing.unwrap_or_else(|| Mapping::new(entity, id.as_str()));
            mapping.mark_synced(tag.clone());
            mapping.owned_tags = vec![tag];
            ctx.plan.store.put(&mapping).await?;
        }
        ctx.record(entity, id, Some(name), outcome);
    }
    Ok(())
}
