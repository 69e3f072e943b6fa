//! Product purchases (sales transactions) → purchase tags on the buyer's
//! contact.
//!
//! Phorest has no purchase list endpoint; purchases come from the branch's
//! `TRANSACTIONS_CSV` export. Rows with `item_type = PRODUCT` and a client
//! give that client the owned tag `{prefix}purchased:{slug(product name)}`
//! (the `description` column when `product_name` is empty). Tags are meant
//! to be applied as a diff against those set last time, like every owned tag.

use std::collections::{BTreeMap, BTreeSet};

use phorest_client::{ItemType, TransactionRow};

use super::{MapperOptions, clean};

/// Client id → the owned purchase tags their product purchases earn,
/// sorted and deduplicated. Rows that are not products, have no client, or
/// name no product are ignored.
pub fn purchase_tags<'r>(
    rows: impl IntoIterator<Item = &'r TransactionRow>,
    options: &MapperOptions,
) -> BTreeMap<String, BTreeSet<String>> {
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for row in rows {
        if row.item_type != Some(ItemType::Product) {
            continue;
        }
        let Some(client) = row.client_id.as_ref().filter(|c| !c.as_str().is_empty()) else {
            continue;
        };
        let Some(name) =
            clean(row.product_name.as_deref()).or_else(|| clean(row.description.as_deref()))
        else {
            continue;
        };
        if crate::tags::slug(&name).is_empty() {
            continue;
        }
        out.entry(client.as_str().to_owned())
            .or_default()
            .insert(options.tags.purchased_tag(&name));
    }
    out
}
