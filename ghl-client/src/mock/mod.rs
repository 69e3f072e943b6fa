//! A stateful GoHighLevel sandbox for tests and demos (feature `mock`; outside the crate's
//! semver promise).
//!
//! [`GhlSandbox`] serves one or more fake GHL locations on a local `wiremock` server. It stores
//! contacts, notes, tags, appointments, products, prices, custom fields, users and calendars,
//! and answers with the shapes documented for API v2, independently of this crate's models, so
//! the SDK's decoding is genuinely exercised. It enforces what the real API is known to enforce:
//!
//! - `Authorization: Bearer` with a token it issued ([`GhlSandbox::issue_private_token`], or
//!   OAuth through `POST /oauth/token` with rotating refresh tokens); unknown or expired
//!   tokens answer 401 `Invalid JWT`, a token without the route's scope answers 401 "The token
//!   is not authorized for this scope.", and a `locationId` of another location answers 403;
//! - the `Version` header of each resource (`2021-07-28`, calendars `2021-04-15`), else 400;
//! - the burst and daily limits per location, with `X-RateLimit-*` headers on every response
//!   and 429 plus `Retry-After` (whole seconds) beyond them;
//! - the duplicate-contact rule (400 with `meta.contactId` and `meta.matchingField`) of each
//!   location, following its settings ([`SandboxLocation::allow_duplicate_contacts`],
//!   [`SandboxLocation::duplicate_match_order`]); 422 validation bodies (invalid email, phone
//!   not E.164, properties the operation's DTO does not declare, query parameters the operation
//!   does not declare, custom field values without an `id` or with an unknown one, an assigned
//!   user outside the calendar's team); 404 for unknown ids, except contacts (below).
//!
//! Answers follow GHL's OpenAPI where it speaks: appointment creates answer 200, event deletes
//! 201 (and require their empty JSON body), price answers carry no `sku`, note `userId`s are
//! strings or absent, custom field values are stored and answered as strings, calendar team
//! members use the spec's `meetingLocationType` values, events carry `groupId` and `users`.
//!
//! Choices where GHL's behaviour is not documented (each is tested):
//! - an unknown contact id answers **400** `Contact with id … not found` (the spec declares no
//!   404 for contacts; this is the answer third-party integrations quote);
//! - a contact create/upsert with none of email, phone, firstName, lastName or name answers
//!   400: GHL's DTO makes every field optional and the reference does not say what it does
//!   with an empty contact; the seed report saw 400s for staff without identifiers, and an
//!   import must never create records nobody can identify;
//! - tags are stored trimmed and lower-cased, as GHL's UI shows them (unconfirmed for the
//!   API); `tags` on PUT and on an upsert that updates replaces the whole set; custom field
//!   values merge by field id;
//! - `PUT /contacts/{id}` refuses `locationId`, `gender` and `companyName` (absent from GHL's
//!   published `UpdateContactDto`); create answers 201, upsert 200 with `new` telling which
//!   happened;
//! - upsert matches in the location's order (email then phone by default); when the two match
//!   two different contacts the first field's match wins and the second field is not written;
//!   `createNewIfDuplicateAllowed: true` in a location allowing duplicates always creates;
//! - `POST /contacts/bulk/tags/update/{add|remove}` answers 201 with one result per contact;
//!   unknown contacts and contacts of other locations are error items, not a failed request;
//! - `GET /users/search` needs the location's `companyId` and pages with `skip`/`limit`;
//! - `POST /contacts/search` accepts `pageLimit` 1..=500 and refuses `page` beyond the first
//!   10,000 records (use `searchAfter`, `[dateAddedMillis, id]`, returned on each contact);
//! - appointments are checked for overlapping slots (same calendar and assignee) unless
//!   `ignoreFreeSlotValidation` is true;
//! - `/oauth/token` errors carry both RFC 6749 (`error`, `error_description`) and GHL
//!   (`statusCode`, `message`) fields; a used or unknown refresh token answers 400
//!   `invalid_grant`; `redirect_uri` is optional on the code exchange, as the spec declares.
//!
//! Webhooks: [`GhlSandbox::register_webhook`] makes every write through the API POST its
//! signed event (contacts, tags, DND, notes, appointments, products, prices) to a URL, signed
//! with checked-in test keys ([`WebhookSigner`]) that [`GhlSandbox::webhook_verifier`] trusts;
//! [`GhlSandbox::tamper_next_webhooks`] forges, replays, ages or unsigns deliveries, and
//! [`GhlSandbox::webhook_deliveries`] is the delivery log.
//!
//! Faults ([`Faults`]) inject 5xx responses, slow responses, 429 storms, token expiry and
//! writes that are applied but answer 500. Every request is recorded ([`RecordedRequest`]).
//! Connection resets, which `wiremock` cannot produce, come from a [`ResetProxy`] placed in
//! front of the sandbox.
//!
//! ```no_run
//! use std::time::Duration;
//! use ghl_client::mock::{GhlSandbox, SandboxConfig, SeedCalendar, SeedUser};
//!
//! # async fn demo() -> Result<(), ghl_client::Error> {
//! let stylist = SeedUser::new("Ann", "Lee", "ann@salon.example");
//! let sandbox = GhlSandbox::start(
//!     SandboxConfig::default()
//!         .rate_limit(100, Duration::from_millis(100)) // a 100x faster clock for a demo
//!         .with_calendar(SeedCalendar::new("Salon").team_member(&stylist.id))
//!         .with_user(stylist),
//! )
//! .await;
//! let token = sandbox.issue_private_token(["calendars.readonly", "contacts.write"]);
//! let client = sandbox.client_builder(&token).build()?;
//! let calendars = client.calendars().list().await?;
//! assert_eq!(calendars.len(), 1);
//! assert_eq!(sandbox.count("GET", "/calendars"), 1);
//! # Ok(())
//! # }
//! ```

mod calendars;
mod catalog;
mod config;
mod contacts;
mod faults;
mod generic;
mod ids;
mod location;
mod oauth;
mod proxy;
mod reply;
mod router;
mod state;
mod webhook_test_keys;
mod webhooks;

use std::collections::BTreeSet;
use std::fmt;
use std::sync::{Arc, Mutex};

use serde_json::Value;
use wiremock::matchers::any;
use wiremock::{Mock, MockServer};

pub use config::{DuplicateMatchOrder, SandboxConfig, SandboxLocation, SeedCalendar, SeedUser};
pub use faults::Faults;
pub use proxy::ResetProxy;
pub use state::RecordedRequest;
pub use webhooks::{
    DeliveryStatus, DeliveryTamper, WebhookDelivery, WebhookSignatures, WebhookSigner,
};

use router::{Router, lock};
use state::{Entity, Grant, State};

/// An OAuth token pair minted directly by [`GhlSandbox::issue_oauth_tokens`].
#[derive(Clone, PartialEq, Eq)]
pub struct SandboxTokens {
    /// The access token.
    pub access_token: String,
    /// The refresh token (single use: refreshing rotates it).
    pub refresh_token: String,
    /// The granted scopes, space-separated, as `/oauth/token` returns them.
    pub scope: String,
    /// Lifetime of the access token in seconds.
    pub expires_in: u64,
    /// The location the tokens belong to.
    pub location_id: String,
}

impl SandboxTokens {
    /// The SDK's [`TokenSet`](crate::TokenSet) for these tokens (expiry counted from now), ready
    /// for [`Auth::oauth`](crate::Auth::oauth) with [`GhlSandbox::oauth_app`].
    pub fn token_set(&self) -> crate::TokenSet {
        let expires_at = i64::try_from(self.expires_in)
            .ok()
            .map(|secs| chrono::Utc::now() + chrono::TimeDelta::seconds(secs));
        crate::TokenSet::new(
            crate::SecretString::from(self.access_token.clone()),
            Some(crate::SecretString::from(self.refresh_token.clone())),
            expires_at,
            crate::Scope::parse_list(&self.scope),
        )
        .with_location_id(self.location_id.clone())
    }
}

impl fmt::Debug for SandboxTokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SandboxTokens")
            .field("access_token", &"[redacted]")
            .field("refresh_token", &"[redacted]")
            .field("scope", &self.scope)
            .field("expires_in", &self.expires_in)
            .field("location_id", &self.location_id)
            .finish()
    }
}

/// A running GHL sandbox; the server stops when it is dropped.
pub struct GhlSandbox {
    server: MockServer,
    state: Arc<Mutex<State>>,
    locations: Vec<String>,
}

impl fmt::Debug for GhlSandbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GhlSandbox")
            .field("base_url", &self.server.uri())
            .field("locations", &self.locations)
            .finish_non_exhaustive()
    }
}

fn scope_set<S: AsRef<str>>(scopes: impl IntoIterator<Item = S>) -> BTreeSet<String> {
    scopes.into_iter().map(|s| s.as_ref().to_owned()).collect()
}

impl GhlSandbox {
    /// Starts the sandbox on a random local port.
    pub async fn start(config: SandboxConfig) -> Self {
        let state = State::new(config);
        let locations = state.locations.iter().map(|l| l.spec.id.clone()).collect();
        let state = Arc::new(Mutex::new(state));
        let server = MockServer::builder()
            .disable_request_recording()
            .start()
            .await;
        Mock::given(any())
            .respond_with(Router {
                state: Arc::clone(&state),
            })
            .mount(&server)
            .await;
        tracing::debug!(base_url = %server.uri(), "GHL sandbox started");
        Self {
            server,
            state,
            locations,
        }
    }

    /// Base URL to point a client at (`http://127.0.0.1:<port>`).
    pub fn base_url(&self) -> String {
        self.server.uri()
    }

    /// The default (first) location id.
    pub fn location_id(&self) -> &str {
        self.locations
            .first()
            .map(String::as_str)
            .unwrap_or_default()
    }

    /// Every location id served.
    pub fn location_ids(&self) -> &[String] {
        &self.locations
    }

    /// The configuration the sandbox runs with.
    pub fn config(&self) -> SandboxConfig {
        lock(&self.state).config.clone()
    }

    /// Issues a Private Integration Token for the default location with these scopes
    /// (e.g. `"contacts.write"`); it never expires unless tokens are expired explicitly.
    pub fn issue_private_token<S: AsRef<str>>(
        &self,
        scopes: impl IntoIterator<Item = S>,
    ) -> String {
        let location = self.location_id().to_owned();
        self.issue_private_token_for(&location, scopes)
    }

    /// Issues a Private Integration Token for a given location.
    pub fn issue_private_token_for<S: AsRef<str>>(
        &self,
        location_id: &str,
        scopes: impl IntoIterator<Item = S>,
    ) -> String {
        lock(&self.state).issue_token("pit-", location_id, scope_set(scopes), None)
    }

    fn grant<S: AsRef<str>>(state: &State, scopes: impl IntoIterator<Item = S>) -> Grant {
        let location = state.default_location().to_owned();
        let user_id = state
            .users
            .iter()
            .find(|u| u.location_id == location)
            .map(|u| u.id.clone())
            .unwrap_or_else(|| ids::derive_id("user:installer"));
        Grant {
            location_id: location,
            scopes: scope_set(scopes),
            user_id,
        }
    }

    /// Issues a single-use authorization code for the default location, to exchange at
    /// `POST /oauth/token` with `grant_type=authorization_code`.
    pub fn issue_authorization_code<S: AsRef<str>>(
        &self,
        scopes: impl IntoIterator<Item = S>,
    ) -> String {
        let mut state = lock(&self.state);
        let grant = Self::grant(&state, scopes);
        let code = state.ids.secret("sbx-code-");
        state.auth_codes.insert(code.clone(), grant);
        code
    }

    /// Mints an OAuth access/refresh token pair for the default location directly, as if the
    /// code exchange had happened.
    pub fn issue_oauth_tokens<S: AsRef<str>>(
        &self,
        scopes: impl IntoIterator<Item = S>,
    ) -> SandboxTokens {
        let mut state = lock(&self.state);
        let grant = Self::grant(&state, scopes);
        let body = oauth::issue(&mut state, grant);
        let text = |k: &str| {
            body.get(k)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        SandboxTokens {
            access_token: text("access_token"),
            refresh_token: text("refresh_token"),
            scope: text("scope"),
            expires_in: body
                .get("expires_in")
                .and_then(Value::as_u64)
                .unwrap_or_default(),
            location_id: text("locationId"),
        }
    }

    /// A [`GhlClientBuilder`](crate::GhlClientBuilder) pre-set for this sandbox: its base URL,
    /// the token's location, private-token auth with the scopes the sandbox issued for `token`
    /// (none if it did not issue it), and the sandbox's rate limit. Add timeouts or a retry
    /// policy, or replace the auth (OAuth with [`GhlSandbox::oauth_app`] and
    /// [`SandboxTokens::token_set`]), then `.build()`.
    pub fn client_builder(&self, token: &str) -> crate::GhlClientBuilder {
        let state = lock(&self.state);
        let (location, scopes) = match state.tokens.get(token) {
            Some(t) => (
                t.location_id.clone(),
                t.scopes
                    .iter()
                    .map(|s| crate::Scope::from(s.as_str()))
                    .collect(),
            ),
            None => (state.default_location().to_owned(), Vec::new()),
        };
        let limit = crate::RateLimitConfig::new(
            state.config.rate_limit_max,
            state.config.rate_limit_interval,
        );
        drop(state);
        crate::GhlClient::builder()
            .base_url(self.base_url())
            .location_id(location)
            .auth(crate::Auth::private_token(
                crate::SecretString::from(token.to_owned()),
                scopes,
            ))
            .rate_limit(limit)
    }

    /// The OAuth app whose credentials `POST /oauth/token` accepts.
    pub fn oauth_app(&self) -> crate::OAuthApp {
        let state = lock(&self.state);
        crate::OAuthApp::new(
            state.config.oauth_client_id.clone(),
            crate::SecretString::from(state.config.oauth_client_secret.clone()),
        )
    }

    /// Expires every access token issued so far (private and OAuth); refresh tokens stay valid.
    pub fn expire_tokens(&self) {
        lock(&self.state).expire_all_tokens();
    }

    /// Replaces the injected faults (and reseeds their random decisions).
    pub fn set_faults(&self, faults: Faults) {
        lock(&self.state).set_faults(faults);
    }

    /// The faults currently configured.
    pub fn faults(&self) -> Faults {
        lock(&self.state).faults.clone()
    }

    /// Every request received since start or the last [`GhlSandbox::reset_counters`].
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.state).requests.clone()
    }

    /// How many requests were writes (attempted, whatever their status).
    pub fn write_count(&self) -> usize {
        lock(&self.state)
            .requests
            .iter()
            .filter(|r| r.write)
            .count()
    }

    /// How many requests had this method and a path starting with `path_prefix`.
    pub fn count(&self, method: &str, path_prefix: &str) -> usize {
        lock(&self.state)
            .requests
            .iter()
            .filter(|r| r.method.eq_ignore_ascii_case(method) && r.path.starts_with(path_prefix))
            .count()
    }

    /// How many 429s were answered (limits and storms).
    pub fn rate_limited_count(&self) -> u64 {
        lock(&self.state).rate_limited
    }

    /// Clears the request log and the 429 count (state and rate windows are kept).
    pub fn reset_counters(&self) {
        let mut state = lock(&self.state);
        state.requests.clear();
        state.rate_limited = 0;
    }

    /// Creates a contact directly (no token, limit or fault), through the same validation and
    /// duplicate rule as `POST /contacts/`, in the default location (`locationId` may be
    /// omitted). Returns the contact JSON,
    /// or the error body the API would have answered.
    pub fn seed_contact(&self, mut body: Value) -> Result<Value, Value> {
        let mut state = lock(&self.state);
        let location = state.default_location().to_owned();
        if let Some(map) = body.as_object_mut() {
            map.entry("locationId")
                .or_insert_with(|| Value::String(location.clone()));
        }
        let ctx = router::Ctx::new(location, body);
        let (Ok(reply) | Err(reply)) = contacts::create(&mut state, &ctx);
        if reply.is_success() {
            Ok(reply.json_body()["contact"].clone())
        } else {
            Err(reply.json_body())
        }
    }

    /// All contacts (every location), oldest first, as the API returns them.
    pub fn contacts(&self) -> Vec<Value> {
        lock(&self.state)
            .contacts
            .iter()
            .map(state::Contact::to_json)
            .collect()
    }

    /// One contact by id.
    pub fn contact(&self, id: &str) -> Option<Value> {
        lock(&self.state)
            .contacts
            .get(id)
            .map(state::Contact::to_json)
    }

    fn snapshot(&self, pick: impl Fn(&State) -> &Vec<Entity>, parent: Option<&str>) -> Vec<Value> {
        let state = lock(&self.state);
        pick(&state)
            .iter()
            .filter(|e| parent.is_none() || e.parent.as_deref() == parent)
            .map(Entity::to_json)
            .collect()
    }

    /// Notes of a contact, oldest first.
    pub fn notes(&self, contact_id: &str) -> Vec<Value> {
        self.snapshot(|s| &s.notes, Some(contact_id))
    }

    /// All appointments.
    pub fn appointments(&self) -> Vec<Value> {
        self.snapshot(|s| &s.appointments, None)
    }

    /// All products.
    pub fn products(&self) -> Vec<Value> {
        self.snapshot(|s| &s.products, None)
    }

    /// Prices of a product.
    pub fn prices(&self, product_id: &str) -> Vec<Value> {
        self.snapshot(|s| &s.prices, Some(product_id))
    }

    /// Deletes a price of a product directly (as if someone removed it in GHL); `false` when
    /// there was no such price.
    pub fn delete_price(&self, product_id: &str, price_id: &str) -> bool {
        let mut state = lock(&self.state);
        let before = state.prices.len();
        state
            .prices
            .retain(|p| !(p.id == price_id && p.parent.as_deref() == Some(product_id)));
        state.prices.len() != before
    }

    /// All custom fields.
    pub fn custom_fields(&self) -> Vec<Value> {
        self.snapshot(|s| &s.custom_fields, None)
    }

    /// All users.
    pub fn users(&self) -> Vec<Value> {
        self.snapshot(|s| &s.users, None)
    }

    /// All calendars.
    pub fn calendars(&self) -> Vec<Value> {
        self.snapshot(|s| &s.calendars, None)
    }
}
