//! Owned tags: the tags this sync sets on GHL contacts, and how to change
//! them without touching anybody else's.
//!
//! GHL replaces a contact's whole tag set when an update carries `tags`, and
//! GHL workflows trigger on tags. sync-core therefore never sends a tag set:
//! it remembers which tags it set last time (`Mapping::owned_tags`), computes
//! a [`TagDiff`] against what it wants now, and applies it with GHL's add-tag
//! and remove-tag calls. A tag is only ever removed if the [`TagPolicy`]
//! owns it, so tags added by the salon or its automations survive every run.
//!
//! All tags are built lowercase, because GHL lowercases tags on write.

use serde::{Deserialize, Serialize};

/// The longest slug [`slug`] produces, in characters.
pub const MAX_SLUG_CHARS: usize = 64;

/// The staff role tag the seed system used (owned).
pub const STAFF_ROLE_TAG: &str = "role:staff";

/// Which tags the sync owns and how it names them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TagPolicy {
    /// The namespace of generated tags, default `"phorest:"`. Keep it
    /// lowercase and non-empty; an empty prefix owns only the fixed tags
    /// listed on [`TagPolicy::owns`].
    pub prefix: String,
}

impl Default for TagPolicy {
    fn default() -> Self {
        TagPolicy {
            prefix: "phorest:".to_owned(),
        }
    }
}

/// A state of a Phorest record that is mirrored as a tag.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StateTag {
    /// Archived in Phorest.
    Archived,
    /// Deleted in Phorest.
    Deleted,
    /// Banned from the salon.
    Banned,
    /// Merged into another client.
    Merged,
}

impl StateTag {
    /// The machine name (`archived`, …).
    pub const fn as_str(self) -> &'static str {
        match self {
            StateTag::Archived => "archived",
            StateTag::Deleted => "deleted",
            StateTag::Banned => "banned",
            StateTag::Merged => "merged",
        }
    }
}

/// The tag changes that take a contact from what the sync set last time to
/// what it wants now.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagDiff {
    /// Tags to add (sorted, deduplicated).
    pub add: Vec<String>,
    /// Owned tags to remove (sorted, deduplicated).
    pub remove: Vec<String>,
}

impl TagDiff {
    /// Nothing to change.
    pub fn is_empty(&self) -> bool {
        self.add.is_empty() && self.remove.is_empty()
    }
}

fn norm(tag: &str) -> String {
    tag.trim().to_lowercase()
}

impl TagPolicy {
    /// A policy with a custom prefix (lowercased).
    pub fn with_prefix(prefix: impl Into<String>) -> Self {
        TagPolicy {
            prefix: prefix.into().to_lowercase(),
        }
    }

    /// Whether the sync owns `tag` (and may therefore remove it).
    ///
    /// Owned: tags starting with the prefix; tags starting with `phorest-`
    /// (the seed's `phorest-staff:true`, `phorest-staff-id:{id}`,
    /// `phorest-client-id:{id}`); and exactly `role:staff`. Case-insensitive.
    pub fn owns(&self, tag: &str) -> bool {
        let tag = norm(tag);
        let prefix = norm(&self.prefix);
        (!prefix.is_empty() && tag.starts_with(&prefix))
            || tag.starts_with("phorest-")
            || tag == STAFF_ROLE_TAG
    }

    /// `phorest-client-id:{id}`.
    pub fn client_id_tag(&self, client_id: &str) -> String {
        norm(&format!("phorest-client-id:{client_id}"))
    }

    /// `["role:staff", "phorest-staff:true", "phorest-staff-id:{id}"]`.
    pub fn staff_tags(&self, staff_id: &str) -> Vec<String> {
        vec![
            STAFF_ROLE_TAG.to_owned(),
            "phorest-staff:true".to_owned(),
            norm(&format!("phorest-staff-id:{staff_id}")),
        ]
    }

    /// `{prefix}category:{slug(name)}`.
    pub fn category_tag(&self, category_name: &str) -> String {
        norm(&format!("{}category:{}", self.prefix, slug(category_name)))
    }

    /// `{prefix}loyalty:{slug(tier)}`.
    pub fn tier_tag(&self, tier: &str) -> String {
        norm(&format!("{}loyalty:{}", self.prefix, slug(tier)))
    }

    /// `{prefix}purchased:{slug(product_name)}`.
    pub fn purchased_tag(&self, product_name: &str) -> String {
        norm(&format!("{}purchased:{}", self.prefix, slug(product_name)))
    }

    /// `{prefix}{state}`, e.g. `phorest:banned`.
    pub fn state_tag(&self, state: StateTag) -> String {
        norm(&format!("{}{}", self.prefix, state.as_str()))
    }

    /// The changes from `previously_owned` (what this sync set last time) to
    /// `desired` (what it wants now).
    ///
    /// `add` = desired tags not set last time; `remove` = tags set last time
    /// that are no longer desired **and** that this policy owns. A tag the
    /// policy does not own is never removed, even if it was somehow recorded
    /// as set by the sync. Comparison is case-insensitive (GHL lowercases);
    /// both lists come back lowercase, sorted and deduplicated, without blanks.
    pub fn diff(&self, previously_owned: &[String], desired: &[String]) -> TagDiff {
        use std::collections::BTreeSet;
        let before: BTreeSet<String> = previously_owned
            .iter()
            .map(|t| norm(t))
            .filter(|t| !t.is_empty())
            .collect();
        let after: BTreeSet<String> = desired
            .iter()
            .map(|t| norm(t))
            .filter(|t| !t.is_empty())
            .collect();
        TagDiff {
            add: after.difference(&before).cloned().collect(),
            remove: before
                .difference(&after)
                .filter(|t| self.owns(t))
                .cloned()
                .collect(),
        }
    }
}

/// A tag-safe slug: lowercase, letters and digits of any script (and the
/// combining accents that follow them) kept, every
/// run of other characters turned into one `-`, no leading or trailing `-`,
/// at most [`MAX_SLUG_CHARS`] characters.
///
/// ```
/// use sync_core::tags::slug;
/// assert_eq!(slug("  VIP — Gold & Silver! "), "vip-gold-silver");
/// assert_eq!(slug("Crème Brûlée"), "crème-brûlée");
/// ```
pub fn slug(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pending_dash = false;
    let mut chars = 0usize;
    for c in s.chars().flat_map(char::to_lowercase) {
        let combining = ('\u{300}'..='\u{36f}').contains(&c) && !out.is_empty() && !pending_dash;
        if c.is_alphanumeric() || combining {
            if pending_dash && !out.is_empty() {
                if chars + 2 > MAX_SLUG_CHARS {
                    break;
                }
                out.push('-');
                chars += 1;
            }
            if chars + 1 > MAX_SLUG_CHARS {
                break;
            }
            pending_dash = false;
            out.push(c);
            chars += 1;
        } else {
            pending_dash = true;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn builders_use_the_prefix_and_lowercase() {
        let p = TagPolicy::default();
        assert_eq!(
            p.client_id_tag("66WKN5tEbStscxncGo9Ujw"),
            "phorest-client-id:66wkn5tebstscxncgo9ujw"
        );
        assert_eq!(
            p.staff_tags("xdZao0xz5f7b2-Vt_3GiaA"),
            strings(&[
                "role:staff",
                "phorest-staff:true",
                "phorest-staff-id:xdzao0xz5f7b2-vt_3giaa"
            ])
        );
        assert_eq!(
            p.category_tag("Walk In / VIP"),
            "phorest:category:walk-in-vip"
        );
        assert_eq!(p.tier_tag("Gold"), "phorest:loyalty:gold");
        assert_eq!(
            p.purchased_tag("Olaplex No.3 Hair Perfector"),
            "phorest:purchased:olaplex-no-3-hair-perfector"
        );
        assert_eq!(p.state_tag(StateTag::Banned), "phorest:banned");
        let custom = TagPolicy::with_prefix("Salon1:");
        assert_eq!(custom.tier_tag("silver"), "salon1:loyalty:silver");
        assert!(custom.owns("SALON1:anything"));
        assert!(!custom.owns("phorest:category:vip"));
    }

    #[test]
    fn ownership() {
        let p = TagPolicy::default();
        for owned in [
            "phorest:category:vip",
            "PHOREST:banned",
            "phorest-staff:true",
            "phorest-client-id:x",
            "role:staff",
        ] {
            assert!(p.owns(owned), "{owned}");
        }
        for foreign in [
            "vip",
            "role:staff-manager",
            "newsletter",
            "phorest",
            "roles:staff",
            "my-phorest:x",
        ] {
            assert!(!p.owns(foreign), "{foreign}");
        }
        let empty = TagPolicy::with_prefix("");
        assert!(!empty.owns("vip"));
        assert!(empty.owns("role:staff"));
    }

    #[test]
    fn diff_adds_new_removes_stale_owned_only() {
        let p = TagPolicy::default();
        let before = strings(&[
            "phorest:category:vip",
            "phorest:loyalty:silver",
            "phorest-client-id:c1",
        ]);
        let want = strings(&[
            "phorest-client-id:c1",
            "phorest:loyalty:gold",
            "phorest:loyalty:gold",
        ]);
        let d = p.diff(&before, &want);
        assert_eq!(d.add, strings(&["phorest:loyalty:gold"]));
        assert_eq!(
            d.remove,
            strings(&["phorest:category:vip", "phorest:loyalty:silver"])
        );
    }

    #[test]
    fn salons_own_tags_survive() {
        let p = TagPolicy::default();
        // Even if a foreign tag ended up in the owned list, it is not removed.
        let before = strings(&["newsletter", "vip", "phorest:category:vip"]);
        let d = p.diff(&before, &[]);
        assert_eq!(d.remove, strings(&["phorest:category:vip"]));
        assert!(d.add.is_empty());
        // Wanting nothing new and having set nothing is a no-op.
        assert!(p.diff(&[], &[]).is_empty());
        // Unchanged sets need no requests, case-insensitively.
        let same = p.diff(
            &strings(&["Phorest:Banned"]),
            &strings(&["phorest:banned "]),
        );
        assert!(same.is_empty());
    }

    #[test]
    fn slug_rules() {
        assert_eq!(slug("Hello,   World!!"), "hello-world");
        assert_eq!(slug("---"), "");
        assert_eq!(slug("Ünïcödé Ελληνικά 日本語"), "ünïcödé-ελληνικά-日本語");
        assert_eq!(slug("a\tb\nc"), "a-b-c");
        let long = slug(&"ab ".repeat(100));
        assert!(long.chars().count() <= MAX_SLUG_CHARS);
        assert!(!long.ends_with('-') && !long.starts_with('-'));
        assert_eq!(slug(&"x".repeat(100)).chars().count(), MAX_SLUG_CHARS);
        // GHL lowercases; so do we, including the Turkish dotted capital.
        assert_eq!(slug("İstanbul"), "i̇stanbul");
    }

    proptest::proptest! {
        #[test]
        fn diff_never_removes_foreign_tags(
            before in proptest::collection::vec("(phorest:|phorest-|role:|)[a-z:]{0,8}", 0..12),
            after in proptest::collection::vec("(phorest:|phorest-|)[a-z:]{0,8}", 0..12),
        ) {
            let p = TagPolicy::default();
            let d = p.diff(&before, &after);
            for t in &d.remove {
                proptest::prop_assert!(p.owns(t), "removed foreign tag {t}");
                proptest::prop_assert!(!after.iter().any(|a| norm(a) == *t));
            }
            for t in &d.add {
                proptest::prop_assert!(!before.iter().any(|b| norm(b) == *t));
                proptest::prop_assert!(!d.remove.contains(t));
            }
            let mut sorted = d.add.clone();
            sorted.sort();
            sorted.dedup();
            proptest::prop_assert_eq!(&sorted, &d.add);
            // Applying the diff gives exactly the desired set (among owned tags).
            let mut applied: std::collections::BTreeSet<String> =
                before.iter().map(|t| norm(t)).filter(|t| !t.is_empty()).collect();
            for t in &d.remove { applied.remove(t); }
            applied.extend(d.add.iter().cloned());
            for t in after.iter().map(|t| norm(t)).filter(|t| !t.is_empty()) {
                proptest::prop_assert!(applied.contains(&t));
            }
        }

        #[test]
        fn slug_is_idempotent_and_bounded(s in proptest::prelude::any::<String>()) {
            let once = slug(&s);
            proptest::prop_assert!(once.chars().count() <= MAX_SLUG_CHARS);
            proptest::prop_assert!(!once.starts_with('-') && !once.ends_with('-'));
            proptest::prop_assert!(!once.contains("--"));
            proptest::prop_assert_eq!(slug(&once), once.clone());
        }
    }
}
