//! Products → GHL products with a price (one-time, in the branch currency).
//!
//! A product create is not idempotent in GHL, so its intent is stored first; a run that died
//! after the create finds the product again by its exact name before creating another. A changed
//! product is updated in place; its price is written when the product is first created (GHL
//! prices are a separate resource without an update call in this client: a changed Phorest price
//! is reported as a warning so the salon can adjust it in GHL).

use chrono::Utc;
use ghl_client::ProductId;
use ghl_client::products::ListProducts;
use phorest_client::{Product, ProductQuery};

use super::cursor::StageCursor;
use super::{Abort, RecordError, RunCtx};
use crate::entity::EntityKind;
use crate::hash::content_hash;
use crate::mappers::{self, MappedProduct};
use crate::report::Outcome;
use crate::store::{Mapping, MappingState};

pub(crate) async fn run(ctx: &RunCtx<'_>) -> Result<(), Abort> {
    let entity = EntityKind::Product;
    let plan = ctx.plan;
    for branch in &ctx.facts.branches {
        let stage = format!("products:{}", branch.id);
        let mut cursor = StageCursor::begin(
            plan.checkpoints.as_ref(),
            &stage,
            plan.config.watermark_overlap,
            ctx.dry_run(),
            plan.config.full_refresh,
        )
        .await?;
        let start = cursor.resume_position::<u32>().unwrap_or(0);
        let since = if ctx.has_outstanding(&[entity]).await? {
            None
        } else {
            cursor.since()
        };
        let query = ProductQuery {
            updated_after: since,
            updated_before: since.map(|_| Utc::now() + chrono::Duration::days(1)),
            ..ProductQuery::all()
        };
        let pages = plan
            .phorest
            .products(branch.id.as_str())
            .pages(&query, start);
        let currency = branch.currency.as_deref();
        ctx.for_each_page(entity, "products", &mut cursor, pages, |items| async move {
            let ids: Vec<String> = items.iter().map(|p| p.product_id.to_string()).collect();
            let existing = plan.mappings.get_many(entity, &ids).await?;
            ctx.process_page(items, |product: Product| {
                let existing = existing.get(product.product_id.as_str()).cloned();
                async move {
                    let id = product.product_id.to_string();
                    let label = product.name.clone();
                    match mappers::map_product(&product, currency, &plan.config.mapping) {
                        Err(skip) => {
                            ctx.record(entity, &id, label.as_deref(), Outcome::skipped(&skip));
                            Ok(())
                        }
                        Ok(mapped) => {
                            sync_product(ctx, &id, label.as_deref(), mapped, existing).await
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

async fn sync_product(
    ctx: &RunCtx<'_>,
    id: &str,
    label: Option<&str>,
    mapped: MappedProduct,
    existing: Option<Mapping>,
) -> Result<(), Abort> {
    let entity = EntityKind::Product;
    for w in &mapped.warnings {
        ctx.warn(entity, id, w.clone());
    }
    let hash = content_hash(&(&mapped.product, &mapped.price));
    if let Some(m) = &existing
        && m.state == MappingState::Synced
        && m.content_hash.as_deref() == Some(hash.as_str())
    {
        ctx.record(entity, id, label, Outcome::Unchanged);
        return Ok(());
    }
    let mut target = existing.as_ref().and_then(|m| m.ghl_id.clone());
    if ctx.dry_run() {
        let writes = if target.is_some() {
            1
        } else {
            1 + u64::from(mapped.price.is_some())
        };
        ctx.count_writes(entity, writes);
        ctx.record(
            entity,
            id,
            label,
            if target.is_some() {
                Outcome::Updated
            } else {
                Outcome::Created
            },
        );
        return Ok(());
    }
    let products = ctx.plan.ghl.products();
    // An earlier create may have gone through: look for the product by its exact name.
    if target.is_none()
        && existing
            .as_ref()
            .is_some_and(|m| m.state == MappingState::Pending)
    {
        let query = ListProducts {
            limit: Some(20),
            search: Some(mapped.product.name.clone()),
            ..ListProducts::default()
        };
        match products.list(&query).await {
            Ok(list) => {
                target = list
                    .products
                    .iter()
                    .find(|p| p.name.as_deref() == Some(mapped.product.name.as_str()))
                    .map(|p| p.id.to_string());
            }
            Err(err) => {
                return ctx
                    .fail_record(
                        existing,
                        entity,
                        id,
                        label,
                        None,
                        RecordError::from_ghl(&err),
                    )
                    .await;
            }
        }
    }
    let mut writes = 0u64;
    let result = match &target {
        Some(pid) => {
            writes += 1;
            let r = products
                .update(&ProductId::from(pid.as_str()), &mapped.product)
                .await
                .map(|_| (pid.clone(), false));
            if r.is_ok() && existing.as_ref().is_some_and(|m| m.content_hash.is_some()) {
                ctx.warn(
                    entity,
                    id,
                    "product changed in Phorest: check its price in GHL",
                );
            }
            r
        }
        None => {
            let mut intent = existing.clone().unwrap_or_else(|| Mapping::new(entity, id));
            intent.state = MappingState::Pending;
            intent.updated_at = Utc::now();
            ctx.save_mapping(&intent).await?;
            writes += 1;
            match products.create(&mapped.product).await {
                Ok(p) => {
                    let pid = p.id.to_string();
                    // Record the product before its price, so a failing price never leads to a
                    // second product.
                    let mut m = intent.clone();
                    m.ghl_id = Some(pid.clone());
                    ctx.save_mapping(&m).await?;
                    match &mapped.price {
                        Some(price) => {
                            writes += 1;
                            products
                                .create_price(&ProductId::from(pid.as_str()), price)
                                .await
                                .map(|_| (pid, true))
                        }
                        None => Ok((pid, true)),
                    }
                }
                Err(err) => Err(err),
            }
        }
    };
    ctx.count_writes(entity, writes);
    match result {
        Ok((pid, created)) => {
            let mut m = existing.unwrap_or_else(|| Mapping::new(entity, id));
            m.mark_synced(pid);
            m.content_hash = Some(hash);
            ctx.save_mapping(&m).await?;
            ctx.record(
                entity,
                id,
                label,
                if created {
                    Outcome::Created
                } else {
                    Outcome::Updated
                },
            );
            Ok(())
        }
        Err(err) => {
            let current = ctx.plan.mappings.get(entity, id).await?;
            let ghl_id = current.as_ref().and_then(|m| m.ghl_id.clone());
            ctx.fail_record(
                current.or(existing),
                entity,
                id,
                label,
                ghl_id,
                RecordError::from_ghl(&err),
            )
            .await
        }
    }
}
