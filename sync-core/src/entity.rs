//! The kinds of record a sync moves, in dependency order.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A kind of Phorest record that sync-core maps onto GHL.
///
/// The variant order is the order in which stages run and in which report
/// rows are listed (staff and categories before clients; clients before
/// everything that hangs off a contact).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum EntityKind {
    /// Phorest staff → GHL contacts tagged as staff.
    Staff,
    /// Phorest staff → GHL users (for appointment assignment).
    StaffUser,
    /// Phorest client categories → contact tags.
    ClientCategory,
    /// Phorest clients → GHL contacts.
    Client,
    /// Loyalty points → a contact custom field plus a tier tag.
    Loyalty,
    /// Phorest products → GHL products with prices.
    Product,
    /// Phorest appointments → GHL calendar appointments.
    Appointment,
    /// Phorest check-ins → one contact note each.
    CheckIn,
    /// Product purchases → purchase tags on the buyer's contact.
    Purchase,
    /// Group bookings → booking notes on the contact.
    Booking,
}

impl EntityKind {
    /// Every kind, in stage and report order.
    pub const ALL: [EntityKind; 10] = [
        EntityKind::Staff,
        EntityKind::StaffUser,
        EntityKind::ClientCategory,
        EntityKind::Client,
        EntityKind::Loyalty,
        EntityKind::Product,
        EntityKind::Appointment,
        EntityKind::CheckIn,
        EntityKind::Purchase,
        EntityKind::Booking,
    ];

    /// The stable machine name (`snake_case`), as used in serde, stores and CSV.
    pub const fn as_str(self) -> &'static str {
        match self {
            EntityKind::Staff => "staff",
            EntityKind::StaffUser => "staff_user",
            EntityKind::ClientCategory => "client_category",
            EntityKind::Client => "client",
            EntityKind::Loyalty => "loyalty",
            EntityKind::Product => "product",
            EntityKind::Appointment => "appointment",
            EntityKind::CheckIn => "check_in",
            EntityKind::Purchase => "purchase",
            EntityKind::Booking => "booking",
        }
    }

    /// A human label for tables and progress bars.
    pub const fn label(self) -> &'static str {
        match self {
            EntityKind::Staff => "Staff",
            EntityKind::StaffUser => "Staff users",
            EntityKind::ClientCategory => "Client categories",
            EntityKind::Client => "Clients",
            EntityKind::Loyalty => "Loyalty",
            EntityKind::Product => "Products",
            EntityKind::Appointment => "Appointments",
            EntityKind::CheckIn => "Check-ins",
            EntityKind::Purchase => "Purchases",
            EntityKind::Booking => "Bookings",
        }
    }
}

/// The kind of GHL object a Phorest record is written to, for the records that own one.
///
/// One GHL object belongs to at most one Phorest record: the stores refuse a second mapping of
/// the same kind pointing at the same GHL id (see
/// [`MappingStore::claim`](crate::store::MappingStore::claim)). Staff and clients share
/// [`GhlObject::Contact`], so a staff member and a client can never silently share a contact.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum GhlObject {
    /// A contact (staff and clients).
    Contact,
    /// A calendar appointment.
    Appointment,
    /// A contact note (check-in and booking notes).
    Note,
    /// A product (with its prices).
    Product,
}

impl GhlObject {
    /// The stable machine name (`snake_case`).
    pub const fn as_str(self) -> &'static str {
        match self {
            GhlObject::Contact => "contact",
            GhlObject::Appointment => "appointment",
            GhlObject::Note => "note",
            GhlObject::Product => "product",
        }
    }
}

impl EntityKind {
    /// The GHL object this kind of record owns, `None` for records that only contribute to
    /// another record's object (loyalty, purchases, categories, staff users).
    pub const fn ghl_object(self) -> Option<GhlObject> {
        match self {
            EntityKind::Staff | EntityKind::Client => Some(GhlObject::Contact),
            EntityKind::Appointment => Some(GhlObject::Appointment),
            EntityKind::CheckIn | EntityKind::Booking => Some(GhlObject::Note),
            EntityKind::Product => Some(GhlObject::Product),
            EntityKind::StaffUser
            | EntityKind::ClientCategory
            | EntityKind::Loyalty
            | EntityKind::Purchase => None,
        }
    }
}

impl fmt::Display for EntityKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error of [`EntityKind::from_str`]: the input named no entity kind.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown entity kind {0:?} (expected one of: staff, staff_user, client_category, client, loyalty, product, appointment, check_in, purchase, booking)"
)]
pub struct UnknownEntityKind(pub String);

impl FromStr for EntityKind {
    type Err = UnknownEntityKind;

    /// Parses the machine name; `-` is accepted for `_` and case is ignored
    /// (`check-in`, `Client_Category`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let norm = s.trim().to_ascii_lowercase().replace('-', "_");
        EntityKind::ALL
            .into_iter()
            .find(|k| k.as_str() == norm)
            .ok_or_else(|| UnknownEntityKind(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_str_and_serde() {
        for kind in EntityKind::ALL {
            assert_eq!(kind.as_str().parse::<EntityKind>().unwrap(), kind);
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
            assert_eq!(serde_json::from_str::<EntityKind>(&json).unwrap(), kind);
        }
    }

    #[test]
    fn parse_is_lenient_on_case_and_dashes_but_rejects_unknown() {
        assert_eq!(
            "Check-In".parse::<EntityKind>().unwrap(),
            EntityKind::CheckIn
        );
        assert_eq!(
            " client ".parse::<EntityKind>().unwrap(),
            EntityKind::Client
        );
        let err = "clients".parse::<EntityKind>().unwrap_err();
        assert_eq!(err, UnknownEntityKind("clients".into()));
        assert!(err.to_string().contains("check_in"));
    }

    #[test]
    fn all_is_sorted_and_labels_are_human() {
        let mut sorted = EntityKind::ALL;
        sorted.sort();
        assert_eq!(sorted, EntityKind::ALL);
        assert_eq!(EntityKind::ClientCategory.label(), "Client categories");
        assert_eq!(EntityKind::Staff.label(), "Staff");
    }
}
