//! Sandbox configuration: locations, limits, seeded users, calendars and custom fields.

use std::fmt;
use std::time::Duration;

use super::ids::derive_id;

/// The order in which a location's duplicate rule looks for an existing contact (GHL's "Allow
/// Duplicate Contact" setting configures it per location).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum DuplicateMatchOrder {
    /// Email first, then phone (the sandbox's default).
    #[default]
    EmailThenPhone,
    /// Phone first, then email.
    PhoneThenEmail,
}

impl DuplicateMatchOrder {
    /// The two matching fields in order (`"email"`, `"phone"`).
    pub fn fields(self) -> [&'static str; 2] {
        match self {
            DuplicateMatchOrder::EmailThenPhone => ["email", "phone"],
            DuplicateMatchOrder::PhoneThenEmail => ["phone", "email"],
        }
    }
}

/// One GoHighLevel location (sub-account) served by the sandbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxLocation {
    /// 20-character location id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// IANA time zone returned by `GET /locations/{id}`.
    pub timezone: String,
    /// ISO 3166 alpha-2 country returned by `GET /locations/{id}`.
    pub country: String,
    /// The location setting "Allow Duplicate Contact" (default `false`): when `true`,
    /// `POST /contacts/` with an existing email or phone creates a second contact; when `false`
    /// it answers the duplicate 400 with `meta.contactId` and `meta.matchingField`.
    pub allow_duplicate_contacts: bool,
    /// The order in which the duplicate rule (creates, upserts, duplicate lookup) matches an
    /// existing contact (default email, then phone).
    pub duplicate_match_order: DuplicateMatchOrder,
}

impl SandboxLocation {
    /// A location with the given id, named "Sandbox Salon", in `America/Toronto`, country `CA`,
    /// duplicates disallowed, matching email then phone.
    pub fn new(id: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            name: "Sandbox Salon".to_owned(),
            timezone: "America/Toronto".to_owned(),
            country: "CA".to_owned(),
            allow_duplicate_contacts: false,
            duplicate_match_order: DuplicateMatchOrder::EmailThenPhone,
        }
    }

    /// Sets "Allow Duplicate Contact".
    pub fn allow_duplicate_contacts(mut self, allow: bool) -> Self {
        self.allow_duplicate_contacts = allow;
        self
    }

    /// Sets the duplicate rule's matching order.
    pub fn duplicate_match_order(mut self, order: DuplicateMatchOrder) -> Self {
        self.duplicate_match_order = order;
        self
    }

    /// Sets the time zone.
    pub fn timezone(mut self, tz: impl Into<String>) -> Self {
        self.timezone = tz.into();
        self
    }

    /// Sets the country.
    pub fn country(mut self, country: impl Into<String>) -> Self {
        self.country = country.into();
        self
    }

    /// Sets the display name.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }
}

/// A GHL user seeded into a location (what `GET /users/` lists).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeedUser {
    /// 20-character user id; derived from the email by [`SeedUser::new`], so it is known before
    /// the sandbox starts and can be used as a calendar team member.
    pub id: String,
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: String,
    /// Email address.
    pub email: String,
    /// Optional phone (E.164).
    pub phone: Option<String>,
    /// Location the user belongs to; `None` means the sandbox's first location.
    pub location_id: Option<String>,
}

impl SeedUser {
    /// A user whose id is derived deterministically from `email`.
    pub fn new(
        first_name: impl Into<String>,
        last_name: impl Into<String>,
        email: impl Into<String>,
    ) -> Self {
        let email = email.into();
        Self {
            id: derive_id(&format!("user:{email}")),
            first_name: first_name.into(),
            last_name: last_name.into(),
            email,
            phone: None,
            location_id: None,
        }
    }

    /// Sets the phone.
    pub fn phone(mut self, phone: impl Into<String>) -> Self {
        self.phone = Some(phone.into());
        self
    }

    /// Places the user in a specific location.
    pub fn in_location(mut self, location_id: impl Into<String>) -> Self {
        self.location_id = Some(location_id.into());
        self
    }
}

/// A calendar seeded into a location, with its team members (user ids).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeedCalendar {
    /// 20-character calendar id, derived from the name by [`SeedCalendar::new`].
    pub id: String,
    /// Display name.
    pub name: String,
    /// User ids allowed as `assignedUserId` of its appointments.
    pub team_members: Vec<String>,
    /// Location the calendar belongs to; `None` means the sandbox's first location.
    pub location_id: Option<String>,
}

impl SeedCalendar {
    /// A calendar without team members; its id is derived from `name`.
    pub fn new(name: impl Into<String>) -> Self {
        let name = name.into();
        Self {
            id: derive_id(&format!("calendar:{name}")),
            name,
            team_members: Vec::new(),
            location_id: None,
        }
    }

    /// Adds a team member by user id.
    pub fn team_member(mut self, user_id: impl Into<String>) -> Self {
        self.team_members.push(user_id.into());
        self
    }

    /// Places the calendar in a specific location.
    pub fn in_location(mut self, location_id: impl Into<String>) -> Self {
        self.location_id = Some(location_id.into());
        self
    }
}

/// Configuration of a [`GhlSandbox`](super::GhlSandbox).
///
/// `Default` gives one location (duplicates disallowed, email matched before phone), GHL's
/// documented limits (100 requests
/// per 10 s, 200,000 a day) and day-long OAuth access tokens. Shorten the rate-limit interval
/// for fast tests and demos with [`SandboxConfig::rate_limit`]; the headers then advertise the
/// scaled interval.
#[derive(Clone)]
pub struct SandboxConfig {
    /// Locations served (with their duplicate-contact settings); the first one is the default
    /// for tokens, users and calendars.
    pub locations: Vec<SandboxLocation>,
    /// Burst limit: requests per interval per location (default 100).
    pub rate_limit_max: u32,
    /// Burst interval (default 10 s).
    pub rate_limit_interval: Duration,
    /// Daily request budget per location (default 200,000).
    pub daily_limit: u32,
    /// Lifetime of OAuth access tokens (default 86,399 s). Private tokens never expire unless
    /// expired by a fault or [`GhlSandbox::expire_tokens`](super::GhlSandbox::expire_tokens).
    pub access_token_lifetime: Duration,
    /// Seeded users.
    pub users: Vec<SeedUser>,
    /// Seeded calendars.
    pub calendars: Vec<SeedCalendar>,
    /// Seeded contact custom fields: (name, dataType), e.g. `("Loyalty Points", "NUMERICAL")`.
    pub custom_fields: Vec<(String, String)>,
    /// OAuth app client id accepted by `POST /oauth/token`.
    pub oauth_client_id: String,
    /// OAuth app client secret accepted by `POST /oauth/token`.
    pub oauth_client_secret: String,
    /// Seed for generated ids, tokens and fault decisions.
    pub seed: u64,
    /// Whether [`RecordedRequest`](super::RecordedRequest)s keep the JSON body (default
    /// `true`); turn off for very long runs to keep memory flat.
    pub record_bodies: bool,
}

impl fmt::Debug for SandboxConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SandboxConfig")
            .field("locations", &self.locations)
            .field("rate_limit_max", &self.rate_limit_max)
            .field("rate_limit_interval", &self.rate_limit_interval)
            .field("daily_limit", &self.daily_limit)
            .field("access_token_lifetime", &self.access_token_lifetime)
            .field("users", &self.users)
            .field("calendars", &self.calendars)
            .field("custom_fields", &self.custom_fields)
            .field("oauth_client_id", &self.oauth_client_id)
            .field("oauth_client_secret", &"[redacted]")
            .field("seed", &self.seed)
            .field("record_bodies", &self.record_bodies)
            .finish()
    }
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self {
            locations: vec![SandboxLocation::new(derive_id("location:default"))],
            rate_limit_max: 100,
            rate_limit_interval: Duration::from_secs(10),
            daily_limit: 200_000,
            access_token_lifetime: Duration::from_secs(86_399),
            users: Vec::new(),
            calendars: Vec::new(),
            custom_fields: Vec::new(),
            oauth_client_id: "sandbox-client-id".to_owned(),
            oauth_client_secret: "sandbox-client-secret".to_owned(),
            seed: 7,
            record_bodies: true,
        }
    }
}

impl SandboxConfig {
    /// Replaces the default location's id (keeps its settings and any further locations).
    pub fn location_id(mut self, id: impl Into<String>) -> Self {
        let id = id.into();
        match self.locations.first_mut() {
            Some(first) => first.id = id,
            None => self.locations.push(SandboxLocation::new(id)),
        }
        self
    }

    /// Replaces the default location entirely.
    pub fn location(mut self, location: SandboxLocation) -> Self {
        match self.locations.first_mut() {
            Some(first) => *first = location,
            None => self.locations.push(location),
        }
        self
    }

    /// Adds a further location.
    pub fn with_location(mut self, location: SandboxLocation) -> Self {
        self.locations.push(location);
        self
    }

    /// Sets "Allow Duplicate Contact" on every location configured so far.
    pub fn allow_duplicate_contacts(mut self, allow: bool) -> Self {
        for location in &mut self.locations {
            location.allow_duplicate_contacts = allow;
        }
        self
    }

    /// Sets the duplicate rule's matching order on every location configured so far.
    pub fn duplicate_match_order(mut self, order: DuplicateMatchOrder) -> Self {
        for location in &mut self.locations {
            location.duplicate_match_order = order;
        }
        self
    }

    /// Sets the burst limit: at most `max` requests per `interval` per location.
    pub fn rate_limit(mut self, max: u32, interval: Duration) -> Self {
        self.rate_limit_max = max;
        self.rate_limit_interval = interval;
        self
    }

    /// Sets the daily request budget per location.
    pub fn daily_limit(mut self, limit: u32) -> Self {
        self.daily_limit = limit;
        self
    }

    /// Sets the OAuth access-token lifetime.
    pub fn access_token_lifetime(mut self, lifetime: Duration) -> Self {
        self.access_token_lifetime = lifetime;
        self
    }

    /// Seeds a user.
    pub fn with_user(mut self, user: SeedUser) -> Self {
        self.users.push(user);
        self
    }

    /// Seeds a calendar.
    pub fn with_calendar(mut self, calendar: SeedCalendar) -> Self {
        self.calendars.push(calendar);
        self
    }

    /// Seeds a contact custom field of the default location.
    pub fn with_custom_field(
        mut self,
        name: impl Into<String>,
        data_type: impl Into<String>,
    ) -> Self {
        self.custom_fields.push((name.into(), data_type.into()));
        self
    }

    /// Sets whether recorded requests keep their JSON body.
    pub fn record_bodies(mut self, record: bool) -> Self {
        self.record_bodies = record;
        self
    }

    /// Sets the seed for ids, tokens and fault decisions.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }
}
