//! Which side owns each contact field, and what GHL may create.

use serde::{Deserialize, Serialize};

use crate::mappers::MapperOptions;

/// A contact field the GHL → Phorest direction knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ReverseField {
    /// GHL `firstName` → Phorest `firstName`.
    FirstName,
    /// GHL `lastName` → Phorest `lastName`.
    LastName,
    /// GHL `email` → Phorest `email` (normalised).
    Email,
    /// GHL `phone` → Phorest `mobile` (E.164 digits, no `+`).
    Phone,
    /// GHL `address1`, `city`, `state`, `postalCode`, `country` → Phorest `address` (one
    /// field: the parts travel together).
    Address,
    /// GHL `dateOfBirth` → Phorest `birthDate`.
    Birthday,
    /// GHL DND (`dnd`, `dndSettings.SMS` / `.Email`) → Phorest SMS / email marketing consent.
    MarketingConsent,
}

impl ReverseField {
    /// Every field, in the order they are compared.
    pub const ALL: [ReverseField; 7] = [
        ReverseField::FirstName,
        ReverseField::LastName,
        ReverseField::Email,
        ReverseField::Phone,
        ReverseField::Address,
        ReverseField::Birthday,
        ReverseField::MarketingConsent,
    ];

    /// The stable machine name (`snake_case`).
    pub const fn as_str(self) -> &'static str {
        match self {
            ReverseField::FirstName => "first_name",
            ReverseField::LastName => "last_name",
            ReverseField::Email => "email",
            ReverseField::Phone => "phone",
            ReverseField::Address => "address",
            ReverseField::Birthday => "birthday",
            ReverseField::MarketingConsent => "marketing_consent",
        }
    }

    /// The keys of the forward contact payload (`Mapping::last_written`) this field covers.
    pub(crate) const fn payload_keys(self) -> &'static [&'static str] {
        match self {
            ReverseField::FirstName => &["firstName"],
            ReverseField::LastName => &["lastName"],
            ReverseField::Email => &["email"],
            ReverseField::Phone => &["phone"],
            ReverseField::Address => &["address1", "city", "state", "postalCode", "country"],
            ReverseField::Birthday => &["dateOfBirth"],
            ReverseField::MarketingConsent => &["dndSettings"],
        }
    }
}

impl std::fmt::Display for ReverseField {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who may change one field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum FieldOwner {
    /// Phorest is the source of truth: edits made in GHL are not written to Phorest (they are
    /// reported as ignored, and the next Phorest change of the client overwrites them in GHL).
    Phorest,
    /// Both sides may edit: an edit made in GHL is written to Phorest. When the same field
    /// also changed in Phorest since the last sync, [`ConflictRule`] decides.
    Shared,
}

/// Who wins when one field was edited on both sides between two syncs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ConflictRule {
    /// Default: Phorest's value stays (the next forward run writes it to GHL); GHL's edit is
    /// reported as a conflict, with both values' field name, never silently dropped.
    #[default]
    PhorestWins,
    /// GHL's edit is written to Phorest; Phorest's edit is reported as overwritten.
    GhlWins,
}

/// Per-field ownership (see [`FieldOwner`]).
///
/// The default: Phorest owns names, email, phone, address and birthday (the salon's front desk
/// keeps them in Phorest); marketing consent is [`FieldOwner::Shared`], so an opt-out made in
/// GHL (a STOP reply, an unsubscribe) reaches Phorest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct FieldOwnership {
    /// First name.
    pub first_name: FieldOwner,
    /// Last name.
    pub last_name: FieldOwner,
    /// Email.
    pub email: FieldOwner,
    /// Phone (Phorest mobile).
    pub phone: FieldOwner,
    /// Postal address.
    pub address: FieldOwner,
    /// Birthday.
    pub birthday: FieldOwner,
    /// SMS and email marketing consent.
    pub marketing_consent: FieldOwner,
}

impl Default for FieldOwnership {
    fn default() -> Self {
        FieldOwnership {
            first_name: FieldOwner::Phorest,
            last_name: FieldOwner::Phorest,
            email: FieldOwner::Phorest,
            phone: FieldOwner::Phorest,
            address: FieldOwner::Phorest,
            birthday: FieldOwner::Phorest,
            marketing_consent: FieldOwner::Shared,
        }
    }
}

impl FieldOwnership {
    /// Every field [`FieldOwner::Shared`]: edits flow both ways.
    pub fn all_shared() -> Self {
        FieldOwnership {
            first_name: FieldOwner::Shared,
            last_name: FieldOwner::Shared,
            email: FieldOwner::Shared,
            phone: FieldOwner::Shared,
            address: FieldOwner::Shared,
            birthday: FieldOwner::Shared,
            marketing_consent: FieldOwner::Shared,
        }
    }

    /// The owner of `field`.
    pub fn owner(&self, field: ReverseField) -> FieldOwner {
        match field {
            ReverseField::FirstName => self.first_name,
            ReverseField::LastName => self.last_name,
            ReverseField::Email => self.email,
            ReverseField::Phone => self.phone,
            ReverseField::Address => self.address,
            ReverseField::Birthday => self.birthday,
            ReverseField::MarketingConsent => self.marketing_consent,
        }
    }

    /// Sets the owner of `field`.
    pub fn set(&mut self, field: ReverseField, owner: FieldOwner) {
        let slot = match field {
            ReverseField::FirstName => &mut self.first_name,
            ReverseField::LastName => &mut self.last_name,
            ReverseField::Email => &mut self.email,
            ReverseField::Phone => &mut self.phone,
            ReverseField::Address => &mut self.address,
            ReverseField::Birthday => &mut self.birthday,
            ReverseField::MarketingConsent => &mut self.marketing_consent,
        };
        *slot = owner;
    }
}

/// Whether contacts created in GHL become Phorest clients.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "mode")]
#[non_exhaustive]
pub enum CreatePolicy {
    /// Default: never. GHL leads stay in GHL.
    #[default]
    Never,
    /// Create a client in this branch for a contact made in GHL that has an email or a phone,
    /// a first or last name, and none of [`TwoWayConfig::staff_tags`]; contacts that came from
    /// Phorest (source or marker tag) are never created again.
    InBranch {
        /// The Phorest branch the client is created in.
        branch_id: String,
    },
}

/// Configuration of the GHL → Phorest direction.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct TwoWayConfig {
    /// Who owns each field (default: [`FieldOwnership::default`]).
    pub ownership: FieldOwnership,
    /// Both sides edited one field between two syncs (default [`ConflictRule::PhorestWins`]).
    pub conflicts: ConflictRule,
    /// Whether GHL lifting DND grants marketing consent in Phorest. Default `false`: only
    /// withdrawals (DND turned on in GHL) flow back; giving consent is for the client to do at
    /// the salon.
    pub consent_grants_flow_back: bool,
    /// Contacts created in GHL (default [`CreatePolicy::Never`]).
    pub create_clients: CreatePolicy,
    /// Tags that mark staff contacts: such contacts never become clients (compared
    /// case-insensitively). Default: the forward sync's staff tags and `staff`.
    pub staff_tags: Vec<String>,
    /// The forward sync's mapper options: the same normalisation and payload shape, so what the
    /// two directions record agrees (default [`MapperOptions::default`]; use the plan's).
    pub mapping: MapperOptions,
    /// The country (ISO alpha-2) of local phone numbers (the salon's branch country).
    pub region: Option<String>,
    /// Days a settled event is kept in the store (for audits and redelivery checks) before it
    /// is deleted (default 7).
    pub event_retention_days: u32,
}

impl Default for TwoWayConfig {
    fn default() -> Self {
        TwoWayConfig {
            ownership: FieldOwnership::default(),
            conflicts: ConflictRule::default(),
            consent_grants_flow_back: false,
            create_clients: CreatePolicy::default(),
            staff_tags: vec![
                "role:staff".to_owned(),
                "phorest-staff:true".to_owned(),
                "staff".to_owned(),
            ],
            mapping: MapperOptions::default(),
            region: None,
            event_retention_days: 7,
        }
    }
}
