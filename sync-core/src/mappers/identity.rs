//! Shared identities: family members who share an email or a mobile in
//! Phorest.
//!
//! GHL matches contacts by email (then phone). If two Phorest clients share
//! an identifier and both are upserted with it, they land on one GHL contact
//! and overwrite each other on every run. [`SharedIdentityIndex`] is built in
//! one pass over all clients *before* any write, and tells the client mapper,
//! per client, whether each of its identifiers is shared and with whom.
//!
//! Who keeps a shared identifier ([`SharedIdentityPolicy::FirstClaimant`]):
//! the client created first in Phorest (`createdAt`), ties and missing dates
//! broken by `clientId` (byte order). Clients without `createdAt` come after
//! those with one. The order never depends on the order clients were read in.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What to do with a client whose email or phone another client also has.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SharedIdentityPolicy {
    /// The first claimant keeps the identifier; the others are synced without
    /// it (with a warning), or skipped if nothing else identifies them.
    #[default]
    FirstClaimant,
    /// Every client with a shared identifier is skipped with a reason naming
    /// the other clients, so the salon can fix the records in Phorest.
    Skip,
}

/// A claimant in claim order: `rank` sorts first (see [`claim_rank`]), then the id.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct ClaimKey {
    rank: String,
    client_id: String,
}

/// The claim order of a client as a byte-ordered string: clients with a creation date first,
/// oldest first; then clients without one; ties broken by client id. Kept in the identity store
/// ([`IdentityClaims::rank`](crate::store::IdentityClaims::rank)), so the order is the same
/// whether the index is built in memory or read back page by page.
pub fn claim_rank(created_at: Option<DateTime<Utc>>, client_id: &str) -> String {
    match created_at {
        // Fixed width (years 0000–9999), so byte order is time order.
        Some(t) => format!("0|{}|{client_id}", t.format("%Y-%m-%dT%H:%M:%S%.9fZ")),
        None => format!("1||{client_id}"),
    }
}

/// The identity-store value of an identifier: `email:<address>` or `phone:<E.164>`.
pub fn identity_value(kind: IdentifierKind, value: &str) -> String {
    format!("{}:{value}", kind.as_str())
}

/// Splits an identity-store value back into its kind and identifier.
pub fn parse_identity_value(value: &str) -> Option<(IdentifierKind, &str)> {
    let (kind, rest) = value.split_once(':')?;
    match kind {
        "email" => Some((IdentifierKind::Email, rest)),
        "phone" => Some((IdentifierKind::Phone, rest)),
        _ => None,
    }
}

/// Which identifier is meant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentifierKind {
    /// A normalised email address.
    Email,
    /// An E.164 phone number.
    Phone,
}

impl IdentifierKind {
    /// `email` or `phone`.
    pub const fn as_str(self) -> &'static str {
        match self {
            IdentifierKind::Email => "email",
            IdentifierKind::Phone => "phone",
        }
    }
}

/// The claimants of every normalised email and phone seen, in claim order.
#[derive(Clone, Debug, Default)]
pub struct SharedIdentityIndex {
    claims: HashMap<(IdentifierKind, String), Vec<ClaimKey>>,
    sorted: bool,
}

/// How one identifier of one client stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Claim {
    /// Nobody else has it (or it was not in the index).
    Sole,
    /// Shared; this client keeps it. `others` are the other claimants.
    Keeps {
        /// The other clients with the same identifier, in claim order.
        others: Vec<String>,
    },
    /// Shared; `owner` keeps it. `others` are all other claimants including the owner.
    Yields {
        /// The client that keeps the identifier.
        owner: String,
        /// The other clients with the same identifier, in claim order.
        others: Vec<String>,
    },
}

impl SharedIdentityIndex {
    /// An empty index.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records that `client_id` (created at `created_at`) uses the given
    /// normalised identifiers. Adding the same client twice is harmless.
    pub fn add(
        &mut self,
        client_id: &str,
        created_at: Option<DateTime<Utc>>,
        email: Option<&str>,
        phone: Option<&str>,
    ) {
        let rank = claim_rank(created_at, client_id);
        for (kind, value) in [
            (IdentifierKind::Email, email),
            (IdentifierKind::Phone, phone),
        ] {
            if let Some(v) = value.filter(|v| !v.is_empty()) {
                self.add_ranked(client_id, &rank, kind, v);
            }
        }
    }

    /// Records that `client_id`, of claim order `rank` ([`claim_rank`]), uses the identifier
    /// `value` of `kind` (e.g. read back from the identity store).
    pub fn add_ranked(&mut self, client_id: &str, rank: &str, kind: IdentifierKind, value: &str) {
        let list = self.claims.entry((kind, value.to_owned())).or_default();
        if !list.iter().any(|k| k.client_id == client_id) {
            list.push(ClaimKey {
                rank: rank.to_owned(),
                client_id: client_id.to_owned(),
            });
        }
        self.sorted = false;
    }

    /// Sorts claimants (called by [`detect_shared_identities`](super::client::detect_shared_identities); call it
    /// yourself after [`add`](Self::add) if you build the index by hand,
    /// otherwise lookups sort lazily on a clone).
    pub fn finish(&mut self) {
        self.claims.retain(|_, v| v.len() > 1);
        for list in self.claims.values_mut() {
            list.sort();
        }
        self.sorted = true;
    }

    /// How `client_id` stands for the identifier `value` of `kind`.
    pub fn claim(&self, kind: IdentifierKind, value: &str, client_id: &str) -> Claim {
        let Some(list) = self.claims.get(&(kind, value.to_owned())) else {
            return Claim::Sole;
        };
        let list: std::borrow::Cow<'_, [ClaimKey]> = if self.sorted {
            std::borrow::Cow::Borrowed(list)
        } else {
            let mut owned = list.clone();
            owned.sort();
            std::borrow::Cow::Owned(owned)
        };
        if list.len() < 2 || !list.iter().any(|k| k.client_id == client_id) {
            return Claim::Sole;
        }
        let others: Vec<String> = list
            .iter()
            .filter(|k| k.client_id != client_id)
            .map(|k| k.client_id.clone())
            .collect();
        match list.first() {
            Some(first) if first.client_id == client_id => Claim::Keeps { others },
            Some(first) => Claim::Yields {
                owner: first.client_id.clone(),
                others,
            },
            None => Claim::Sole,
        }
    }

    /// How many identifiers are shared by two or more clients.
    pub fn shared_count(&self) -> usize {
        self.claims.values().filter(|v| v.len() > 1).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(y: i32) -> Option<DateTime<Utc>> {
        Some(Utc.with_ymd_and_hms(y, 1, 1, 0, 0, 0).unwrap())
    }

    #[test]
    fn oldest_claimant_keeps_regardless_of_input_order() {
        type Order<'a> = &'a [(&'a str, Option<DateTime<Utc>>)];
        let orders: [Order<'_>; 2] = [
            &[("zed", at(2019)), ("amy", at(2021)), ("bob", None)],
            &[("bob", None), ("amy", at(2021)), ("zed", at(2019))],
        ];
        for order in orders {
            let mut idx = SharedIdentityIndex::new();
            for (id, created) in order {
                idx.add(
                    id,
                    *created,
                    Some("family@example.com"),
                    Some("+353871234567"),
                );
            }
            idx.add("solo", at(2020), Some("solo@example.com"), None);
            idx.finish();
            assert_eq!(idx.shared_count(), 2);
            assert_eq!(
                idx.claim(IdentifierKind::Email, "family@example.com", "zed"),
                Claim::Keeps {
                    others: vec!["amy".into(), "bob".into()]
                }
            );
            assert_eq!(
                idx.claim(IdentifierKind::Phone, "+353871234567", "bob"),
                Claim::Yields {
                    owner: "zed".into(),
                    others: vec!["zed".into(), "amy".into()]
                }
            );
            assert_eq!(
                idx.claim(IdentifierKind::Email, "solo@example.com", "solo"),
                Claim::Sole
            );
            assert_eq!(
                idx.claim(IdentifierKind::Email, "unknown@example.com", "solo"),
                Claim::Sole
            );
        }
    }

    #[test]
    fn ties_break_by_client_id_and_duplicates_are_ignored() {
        let mut idx = SharedIdentityIndex::new();
        idx.add("b", at(2020), Some("x@example.com"), None);
        idx.add("a", at(2020), Some("x@example.com"), None);
        idx.add("a", at(2020), Some("x@example.com"), None);
        // Unsorted lookups still agree.
        assert_eq!(
            idx.claim(IdentifierKind::Email, "x@example.com", "a"),
            Claim::Keeps {
                others: vec!["b".into()]
            }
        );
        idx.finish();
        assert_eq!(
            idx.claim(IdentifierKind::Email, "x@example.com", "b"),
            Claim::Yields {
                owner: "a".into(),
                others: vec!["a".into()]
            }
        );
        // An email and a phone with the same text are different identifiers.
        idx.add("c", None, None, Some("x@example.com"));
        assert_eq!(
            idx.claim(IdentifierKind::Phone, "x@example.com", "c"),
            Claim::Sole
        );
    }
}
