//! Phorest client categories → owned contact tags.
//!
//! A category becomes the tag `{prefix}category:{slug(name)}` (e.g. "VIP
//! Clients" → `phorest:category:vip-clients`). Renaming a category in Phorest
//! renames the tag on the next run: the old one is removed (owned), the new
//! one added. Categories are business-level in Phorest.

use std::collections::HashMap;

use phorest_client::ClientCategory;

use super::SkipReason;
use crate::tags::{TagPolicy, slug};

/// The tag of one category, or why it has none (a blank or symbol-only name).
pub fn category_tag(category: &ClientCategory, policy: &TagPolicy) -> Result<String, SkipReason> {
    match category.name.as_deref() {
        Some(name) if !slug(name).is_empty() => Ok(policy.category_tag(name)),
        _ => Err(SkipReason::InvalidData {
            detail: "client category has no name usable as a tag; name it in Phorest".to_owned(),
        }),
    }
}

/// Category id → name, for [`ClientContext::categories`](super::client::ClientContext).
/// Archived categories are kept (clients may still reference them).
pub fn category_names<'c>(
    categories: impl IntoIterator<Item = &'c ClientCategory>,
) -> HashMap<String, String> {
    categories
        .into_iter()
        .filter_map(|c| {
            c.name.as_deref().map(|n| {
                (
                    c.client_category_id.as_str().to_owned(),
                    n.trim().to_owned(),
                )
            })
        })
        .collect()
}
