//! The sandbox's in-memory state: locations, records, tokens, limits and the request log.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};

use super::config::{SandboxConfig, SandboxLocation};
use super::faults::Faults;
use super::ids::Ids;

/// One request as the sandbox saw it (the `Authorization` header is never recorded).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct RecordedRequest {
    /// HTTP method, upper case.
    pub method: String,
    /// Path, e.g. `/contacts/upsert`.
    pub path: String,
    /// Raw query string, if any.
    pub query: Option<String>,
    /// Status the sandbox answered.
    pub status: u16,
    /// Whether the route is a write (create, update, delete, tags, notes); `POST
    /// /contacts/search` and `POST /oauth/token` are not writes.
    pub write: bool,
    /// Location of the token that made the request, when the token was valid.
    pub location_id: Option<String>,
    /// The JSON request body, when there was one (and
    /// [`SandboxConfig::record_bodies`](super::SandboxConfig::record_bodies) is on).
    pub body: Option<Value>,
}

/// An access token the sandbox issued.
#[derive(Debug, Clone)]
pub(crate) struct Token {
    pub(crate) location_id: String,
    pub(crate) scopes: BTreeSet<String>,
    pub(crate) expires_at: Option<Instant>,
}

/// What a refresh token or an authorization code grants.
#[derive(Debug, Clone)]
pub(crate) struct Grant {
    pub(crate) location_id: String,
    pub(crate) scopes: BTreeSet<String>,
    pub(crate) user_id: String,
}

/// The configured limits, copied out of the config for each request.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    max: u32,
    interval: Duration,
    daily: u32,
}

impl Limits {
    pub(crate) fn of(config: &SandboxConfig) -> Self {
        Self {
            max: config.rate_limit_max,
            interval: config.rate_limit_interval,
            daily: config.daily_limit,
        }
    }
}

/// Fixed-window burst limiter plus a daily budget, per location.
#[derive(Debug, Default)]
pub(crate) struct Limiter {
    window_start: Option<Instant>,
    used: u32,
    day_start: Option<Instant>,
    day_used: u32,
}

const DAY: Duration = Duration::from_secs(86_400);

impl Limiter {
    fn roll(&mut self, now: Instant, interval: Duration) {
        if self
            .window_start
            .is_none_or(|start| now.duration_since(start) >= interval)
        {
            self.window_start = Some(now);
            self.used = 0;
        }
        if self
            .day_start
            .is_none_or(|start| now.duration_since(start) >= DAY)
        {
            self.day_start = Some(now);
            self.day_used = 0;
        }
    }

    /// Counts one request, or says how long to wait (ms) when over a limit.
    pub(crate) fn admit(&mut self, now: Instant, cfg: Limits) -> Result<(), u128> {
        self.roll(now, cfg.interval);
        if self.day_used >= cfg.daily {
            let elapsed = self
                .day_start
                .map_or(Duration::ZERO, |s| now.duration_since(s));
            return Err(DAY.saturating_sub(elapsed).as_millis());
        }
        if self.used >= cfg.max {
            let elapsed = self
                .window_start
                .map_or(Duration::ZERO, |s| now.duration_since(s));
            return Err(cfg.interval.saturating_sub(elapsed).as_millis());
        }
        self.used += 1;
        self.day_used += 1;
        Ok(())
    }

    /// The `X-RateLimit-*` headers describing this location's budget.
    pub(crate) fn headers(&mut self, now: Instant, cfg: Limits) -> Vec<(&'static str, String)> {
        self.roll(now, cfg.interval);
        vec![
            ("X-RateLimit-Limit-Daily", cfg.daily.to_string()),
            (
                "X-RateLimit-Daily-Remaining",
                cfg.daily.saturating_sub(self.day_used).to_string(),
            ),
            (
                "X-RateLimit-Interval-Milliseconds",
                cfg.interval.as_millis().to_string(),
            ),
            ("X-RateLimit-Max", cfg.max.to_string()),
            (
                "X-RateLimit-Remaining",
                cfg.max.saturating_sub(self.used).to_string(),
            ),
        ]
    }
}

/// A location and its limiter.
#[derive(Debug)]
pub(crate) struct Location {
    pub(crate) spec: SandboxLocation,
    pub(crate) limiter: Limiter,
}

/// A stored contact; `fields` holds the API properties (firstName, email, tags, ...).
#[derive(Debug, Clone)]
pub(crate) struct Contact {
    pub(crate) id: String,
    pub(crate) location_id: String,
    pub(crate) added_ms: i64,
    pub(crate) date_added: String,
    pub(crate) date_updated: String,
    pub(crate) fields: Map<String, Value>,
}

impl Contact {
    pub(crate) fn str_field(&self, key: &str) -> Option<&str> {
        self.fields.get(key).and_then(Value::as_str)
    }

    /// The contact as the API returns it.
    pub(crate) fn to_json(&self) -> Value {
        let mut out = self.fields.clone();
        let first = self.str_field("firstName").unwrap_or_default();
        let last = self.str_field("lastName").unwrap_or_default();
        let full = format!("{first} {last}").trim().to_lowercase();
        out.insert("id".into(), json!(self.id));
        out.insert("locationId".into(), json!(self.location_id));
        out.insert("dateAdded".into(), json!(self.date_added));
        out.insert("dateUpdated".into(), json!(self.date_updated));
        out.insert("contactName".into(), json!(full));
        out.insert("type".into(), json!("lead"));
        out.entry("tags").or_insert_with(|| json!([]));
        out.entry("customFields").or_insert_with(|| json!([]));
        out.entry("additionalEmails").or_insert_with(|| json!([]));
        Value::Object(out)
    }
}

/// Email (lower-cased) or phone key within a location.
type MatchKey = (String, String);

/// Contacts keyed by their (strictly increasing) `dateAdded` millis, so creation order and
/// `searchAfter` cursors are range lookups; email/phone indexes serve the duplicate rule.
#[derive(Debug, Default)]
pub(crate) struct ContactStore {
    by_added: BTreeMap<i64, Contact>,
    key_of: HashMap<String, i64>,
    emails: HashMap<MatchKey, BTreeSet<i64>>,
    phones: HashMap<MatchKey, BTreeSet<i64>>,
    per_location: HashMap<String, usize>,
}

fn email_key(c: &Contact) -> Option<MatchKey> {
    c.str_field("email")
        .map(|e| (c.location_id.clone(), e.trim().to_lowercase()))
}

fn phone_key(c: &Contact) -> Option<MatchKey> {
    c.str_field("phone")
        .map(|p| (c.location_id.clone(), p.to_owned()))
}

impl ContactStore {
    fn index(&mut self, key: i64, c: &Contact, add: bool) {
        for (map, match_key) in [
            (&mut self.emails, email_key(c)),
            (&mut self.phones, phone_key(c)),
        ] {
            let Some(match_key) = match_key else { continue };
            if add {
                map.entry(match_key).or_default().insert(key);
            } else if let Some(set) = map.get_mut(&match_key) {
                set.remove(&key);
                if set.is_empty() {
                    map.remove(&match_key);
                }
            }
        }
    }

    /// Stores a new contact; its `added_ms` must be unique (see `State::stamp`).
    pub(crate) fn insert(&mut self, contact: Contact) {
        let key = contact.added_ms;
        self.index(key, &contact, true);
        self.key_of.insert(contact.id.clone(), key);
        *self
            .per_location
            .entry(contact.location_id.clone())
            .or_default() += 1;
        self.by_added.insert(key, contact);
    }

    pub(crate) fn get(&self, id: &str) -> Option<&Contact> {
        self.key_of.get(id).and_then(|key| self.by_added.get(key))
    }

    /// Replaces a stored contact (same id), keeping its position and re-indexing.
    pub(crate) fn replace(&mut self, contact: Contact) {
        let Some(&key) = self.key_of.get(&contact.id) else {
            return;
        };
        if let Some(old) = self.by_added.remove(&key) {
            self.index(key, &old, false);
        }
        self.index(key, &contact, true);
        self.by_added.insert(key, contact);
    }

    pub(crate) fn remove(&mut self, id: &str) -> Option<Contact> {
        let key = self.key_of.remove(id)?;
        let old = self.by_added.remove(&key)?;
        self.index(key, &old, false);
        if let Some(count) = self.per_location.get_mut(&old.location_id) {
            *count = count.saturating_sub(1);
        }
        Some(old)
    }

    fn first_match(
        &self,
        map: &HashMap<MatchKey, BTreeSet<i64>>,
        key: MatchKey,
        except: Option<&str>,
    ) -> Option<&Contact> {
        map.get(&key)?
            .iter()
            .filter_map(|k| self.by_added.get(k))
            .find(|c| Some(c.id.as_str()) != except)
    }

    /// Oldest contact of the location with this email (case-insensitive), other than `except`.
    pub(crate) fn by_email(
        &self,
        location: &str,
        email: &str,
        except: Option<&str>,
    ) -> Option<&Contact> {
        let key = (location.to_owned(), email.trim().to_lowercase());
        self.first_match(&self.emails, key, except)
    }

    /// Oldest contact of the location with this phone, other than `except`.
    pub(crate) fn by_phone(
        &self,
        location: &str,
        phone: &str,
        except: Option<&str>,
    ) -> Option<&Contact> {
        self.first_match(
            &self.phones,
            (location.to_owned(), phone.to_owned()),
            except,
        )
    }

    /// All contacts, oldest first.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &Contact> {
        self.by_added.values()
    }

    /// Contacts strictly after the cursor (`dateAdded` millis) in the given direction.
    pub(crate) fn ordered(
        &self,
        after: Option<i64>,
        descending: bool,
    ) -> Box<dyn Iterator<Item = &Contact> + '_> {
        use std::ops::Bound::{Excluded, Unbounded};
        match (after, descending) {
            (None, false) => Box::new(self.by_added.values()),
            (None, true) => Box::new(self.by_added.values().rev()),
            (Some(at), false) => Box::new(
                self.by_added
                    .range((Excluded(at), Unbounded))
                    .map(|(_, c)| c),
            ),
            (Some(at), true) => Box::new(self.by_added.range(..at).rev().map(|(_, c)| c)),
        }
    }

    /// How many contacts a location has.
    pub(crate) fn count_in(&self, location: &str) -> usize {
        self.per_location.get(location).copied().unwrap_or_default()
    }
}

/// A stored record of any other kind: `data` is exactly what the API returns.
#[derive(Debug, Clone)]
pub(crate) struct Entity {
    pub(crate) id: String,
    pub(crate) location_id: String,
    /// Owning record (contact of a note, product of a price).
    pub(crate) parent: Option<String>,
    pub(crate) data: Map<String, Value>,
}

impl Entity {
    pub(crate) fn str_field(&self, key: &str) -> Option<&str> {
        self.data.get(key).and_then(Value::as_str)
    }

    pub(crate) fn to_json(&self) -> Value {
        Value::Object(self.data.clone())
    }
}

/// Everything the sandbox knows, behind one mutex.
#[derive(Debug)]
pub(crate) struct State {
    pub(crate) config: SandboxConfig,
    pub(crate) ids: Ids,
    pub(crate) locations: Vec<Location>,
    pub(crate) contacts: ContactStore,
    pub(crate) notes: Vec<Entity>,
    pub(crate) appointments: Vec<Entity>,
    pub(crate) products: Vec<Entity>,
    pub(crate) prices: Vec<Entity>,
    pub(crate) custom_fields: Vec<Entity>,
    pub(crate) users: Vec<Entity>,
    pub(crate) calendars: Vec<Entity>,
    pub(crate) tokens: HashMap<String, Token>,
    pub(crate) refresh_tokens: HashMap<String, Grant>,
    pub(crate) auth_codes: HashMap<String, Grant>,
    pub(crate) faults: Faults,
    pub(crate) fault_rng: u64,
    pub(crate) storm_left: u32,
    pub(crate) expire_countdown: Option<u32>,
    pub(crate) fail_after_apply_left: u32,
    pub(crate) requests: Vec<RecordedRequest>,
    pub(crate) rate_limited: u64,
    /// Webhook subscription, tampering queue and delivery log.
    pub(crate) webhooks: super::webhooks::Hub,
    last_ms: i64,
}

impl State {
    pub(crate) fn new(mut config: SandboxConfig) -> Self {
        if config.locations.is_empty() {
            config.locations = SandboxConfig::default().locations;
        }
        let mut state = Self {
            ids: Ids::new(config.seed),
            locations: config
                .locations
                .iter()
                .map(|spec| Location {
                    spec: spec.clone(),
                    limiter: Limiter::default(),
                })
                .collect(),
            contacts: ContactStore::default(),
            notes: Vec::new(),
            appointments: Vec::new(),
            products: Vec::new(),
            prices: Vec::new(),
            custom_fields: Vec::new(),
            users: Vec::new(),
            calendars: Vec::new(),
            tokens: HashMap::new(),
            refresh_tokens: HashMap::new(),
            auth_codes: HashMap::new(),
            faults: Faults::default(),
            fault_rng: 0,
            storm_left: 0,
            expire_countdown: None,
            fail_after_apply_left: 0,
            requests: Vec::new(),
            rate_limited: 0,
            webhooks: super::webhooks::Hub::default(),
            last_ms: 0,
            config,
        };
        state.seed();
        state
    }

    fn seed(&mut self) {
        let default_loc = self.default_location().to_owned();
        for user in self.config.users.clone() {
            let loc = user
                .location_id
                .clone()
                .unwrap_or_else(|| default_loc.clone());
            let data = json!({
                "id": user.id,
                "name": format!("{} {}", user.first_name, user.last_name),
                "firstName": user.first_name,
                "lastName": user.last_name,
                "email": user.email,
                "phone": user.phone.clone().unwrap_or_default(),
                "extension": "",
                "roles": {"type": "account", "role": "user", "locationIds": [loc]},
                "deleted": false,
            });
            self.users.push(entity(&user.id, &loc, None, data));
        }
        for cal in self.config.calendars.clone() {
            let loc = cal
                .location_id
                .clone()
                .unwrap_or_else(|| default_loc.clone());
            let members: Vec<Value> = cal
                .team_members
                .iter()
                .enumerate()
                .map(|(i, user)| {
                    json!({"userId": user, "priority": 0.5, "isPrimary": i == 0,
                           "meetingLocationType": "custom", "meetingLocation": ""})
                })
                .collect();
            let data = json!({
                "id": cal.id,
                "locationId": loc,
                "name": cal.name,
                "description": "",
                "slug": cal.name.to_lowercase().replace(' ', "-"),
                "calendarType": "round_robin",
                "eventType": "RoundRobin_OptimizeForAvailability",
                "isActive": true,
                "slotDuration": 30,
                "slotDurationUnit": "mins",
                "teamMembers": members,
            });
            self.calendars.push(entity(&cal.id, &loc, None, data));
        }
        for (name, data_type) in self.config.custom_fields.clone() {
            // An invalid or clashing seeded field is skipped, as the API would refuse it.
            let spec = super::location::FieldSpec {
                name: &name,
                data_type: &data_type,
                model: "contact",
                placeholder: "",
            };
            let _ = super::location::insert_custom_field(self, &default_loc, &spec);
        }
    }

    pub(crate) fn default_location(&self) -> &str {
        self.locations
            .first()
            .map(|l| l.spec.id.as_str())
            .unwrap_or_default()
    }

    /// A location's configuration (settings included).
    pub(crate) fn location_spec(&self, id: &str) -> Option<&SandboxLocation> {
        self.locations
            .iter()
            .find(|l| l.spec.id == id)
            .map(|l| &l.spec)
    }

    /// Whether a location allows duplicate contacts, and the order its duplicate rule matches.
    pub(crate) fn duplicate_rule(&self, id: &str) -> (bool, super::config::DuplicateMatchOrder) {
        self.location_spec(id)
            .map(|l| (l.allow_duplicate_contacts, l.duplicate_match_order))
            .unwrap_or_default()
    }

    pub(crate) fn location_mut(&mut self, id: &str) -> Option<&mut Location> {
        self.locations.iter_mut().find(|l| l.spec.id == id)
    }

    /// A strictly increasing timestamp: (epoch ms, ISO-8601 with millis and `Z`).
    pub(crate) fn stamp(&mut self) -> (i64, String) {
        let now = chrono::Utc::now().timestamp_millis();
        self.last_ms = now.max(self.last_ms + 1);
        (self.last_ms, iso_millis(self.last_ms))
    }

    /// Issues an access token; `lifetime` `None` never expires (private integration token).
    pub(crate) fn issue_token(
        &mut self,
        prefix: &str,
        location_id: &str,
        scopes: BTreeSet<String>,
        lifetime: Option<Duration>,
    ) -> String {
        let token = self.ids.secret(prefix);
        self.tokens.insert(
            token.clone(),
            Token {
                location_id: location_id.to_owned(),
                scopes,
                expires_at: lifetime.and_then(|l| Instant::now().checked_add(l)),
            },
        );
        token
    }

    /// Expires every issued access token now.
    pub(crate) fn expire_all_tokens(&mut self) {
        let now = Instant::now();
        for token in self.tokens.values_mut() {
            token.expires_at = Some(now);
        }
    }

    pub(crate) fn set_faults(&mut self, faults: Faults) {
        self.fault_rng = faults.seed;
        self.storm_left = faults.rate_limit_storm;
        self.expire_countdown = faults.expire_tokens_after;
        self.fail_after_apply_left = faults.fail_after_apply;
        self.faults = faults;
    }

    pub(crate) fn draw(&mut self) -> f64 {
        super::ids::unit(&mut self.fault_rng)
    }
}

/// Builds an [`Entity`] from its JSON (which must be an object).
pub(crate) fn entity(id: &str, location_id: &str, parent: Option<&str>, data: Value) -> Entity {
    Entity {
        id: id.to_owned(),
        location_id: location_id.to_owned(),
        parent: parent.map(str::to_owned),
        data: match data {
            Value::Object(map) => map,
            _ => Map::new(),
        },
    }
}

/// Epoch milliseconds as `2025-01-01T00:00:00.000Z`.
pub(crate) fn iso_millis(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
