//! A stateful Phorest sandbox for tests and demos (feature `mock`).
//!
//! [`PhorestSandbox`] serves a generated [`Salon`] on a local
//! [`wiremock`] server, under the real path
//! `/third-party-api-server/api/business/{businessId}/…`, with:
//!
//! - HTTP Basic auth (`global/<email>` + password; anything else → 401),
//! - the HAL envelope (`_embedded.<key>` + `page`), 0-based `page`, `size`
//!   capped per endpoint (200; 100 for appointments and the client batch),
//!   `_embedded` omitted on empty pages,
//! - Phorest's exact filter names; **a wrong name is ignored**, as the real
//!   API does (e.g. `updated_after` on clients or `staffId` on appointments),
//! - the one-month appointment window (400 beyond 31 days inclusive),
//!   cancelled/deleted/archived appointments hidden unless `fetch_*=true`,
//! - the CSV export job (`IN_PROGRESS` once or twice, then `DONE` with an
//!   unauthenticated `tempCsvExternalUrl` on the same server),
//! - mutations for incremental-sync tests, fault injection ([`Faults`]: 5xx, 429, slow and
//!   corrupt answers at a rate) and a request log,
//! - hostile modes ([`Hostile`], toggled at run time with
//!   [`PhorestSandbox::set_hostile`]): pagination anomalies per list, malformed or odd records,
//!   HTML and cut-short 200s on chosen requests, odd branch time zones, ignored
//!   `includeArchived`/`includeDeleted`, loyalty changes that keep `updatedAt`, and edits
//!   between a run's reads ([`PhorestSandbox::on_page_served`]).
//!
//! The data comes from [`SalonSpec::generate`], deterministic for a seed.
//! The sandbox keeps its own record types ([`model`]) rather than the SDK's,
//! so the SDK's decoding is tested against independently produced JSON.
//!
//! Routes served (relative to the base URL, `{b}` business, `{br}` branch):
//!
//! | route | filters |
//! |---|---|
//! | `GET /{b}/branch` | |
//! | `GET /{b}/branch/{br}/staff[/{id}]` | `updatedAfter`, `updatedBefore`, `fetch_archived` |
//! | `GET /{b}/client` | `updatedAfter`, `updatedBefore`, `includeArchived`, `includeDeleted`, `email`, `phone`, `firstName`/`lastName` (exact or `~Jo%` prefix), `externalId` |
//! | `GET /{b}/client/{id}`, `GET /{b}/client/walk-in` | |
//! | `GET /{b}/client-batch` | `client_id` (repeated or comma-joined, 1–100) |
//! | `GET /{b}/category/client[/{id}]` | `includeArchived` |
//! | `GET /{b}/branch/{br}/appointment[/{id}]` | `from_date`, `to_date` (required, inclusive), `updated_from`, `updated_to`, `fetch_canceled`, `fetch_deleted`, `fetch_archived`, `staff_id`, `client_id`, `sort` (`appointmentDate`, `createdAt`, `updatedAt`; `,desc`) |
//! | `GET /{b}/branch/{br}/service[/{id}]` | `service_type` (`services_only` default, `addons_only`, `services_and_addons`), `category_id` |
//! | `GET /{b}/branch/{br}/service-category` | |
//! | `GET /{b}/branch/{br}/product[/{id}]` | `includeArchived`, `updatedAfter` + `updatedBefore` (both or neither, else 400), `productType`, `searchQuery` |
//! | `GET /{b}/branch/{br}/review[/{id}]` | `clientId`, `reviewDate` |
//! | `GET /{b}/voucher[/{id}]` | `includeUsed` (used = no remaining balance), `clientId`, `serialNumber` |
//! | `POST /{b}/branch/{br}/csvexportjob`, `GET …/csvexportjob/{jobId}` | body `jobType` = `TRANSACTIONS_CSV` (`startFilter`, `finishFilter` required) or `CLIENT_CSV`; `filterExpression` `updated=>…`/`updated=<…` |
//! | `GET /{b}/client/{id}/service-history` | (derived from the client's appointments) |
//! | `GET /{b}/branch/{br}/break`, `GET …/staff/worktimetable` | `from_date`, `to_date` (required, ≤ 31 days); `staff_id`, `room_id`, `machine_id`; `activity_type` |
//! | `GET /{b}/branch/{br}/course`, `GET /{b}/clientcourse` | `clientId`, `includeUsedCourseItems` |
//!
//! Writes (each visible to later reads; `version` and `updatedAt` move through the salon's
//! mutators; a stale `version` is a `409`):
//!
//! | route | effect |
//! |---|---|
//! | `POST /{b}/client`, `PUT /{b}/client/{id}` | create (`creatingBranchId`, `firstName` required); update with the current `version` |
//! | `POST /{b}/branch/{br}/booking`, `…/booking/{id}/activate`, `…/booking/{id}/cancel` | appointments created `RESERVED` or `ACTIVE` (UTC start instants, staff must be free), activated, cancelled |
//! | `POST /{b}/branch/{br}/appointments/availability` | free 15-minute starts in the fixed rota (09:00–17:30 Tue–Sat, lunch 13:00–13:30), minus live appointments |
//! | `PUT /{b}/branch/{br}/appointment/{id}`, `POST …/appointment/cancel`, `…/confirm` | reschedule with the current `version`; cancel or confirm `appointmentIds` |
//! | `POST /{b}/branch/{br}/purchase` | lowers stock, appends sale lines to the `TRANSACTIONS_CSV` export |
//! | `POST /{b}/branch/{br}/stock/adjustment` | moves `quantityInStock` by barcode |
//! | `POST /{b}/voucher` | issues a voucher (unique `serialNumber`) |
//! | `POST /{b}/loyaltypoints` | adds or deducts points on the client's card |
//! | `POST /{b}/branch/{br}/deposit/payment-link` | answers a payment URL |
//!
//! Update windows are `from <= updatedAt < to`. Lists are in creation order
//! (appointments in update order when an update window is given).
//!
//! Choices where the reference marks Phorest's behaviour UNCONFIRMED:
//! missing `from_date`/`to_date` is a 400; archived products and client
//! categories and used vouchers are hidden unless asked for; merged clients
//! are also `deleted`; voucher `updated_from`/`updated_to` are ignored (no
//! update time is modelled); error bodies are Spring-style
//! (`status`, `error`, `errorCode`, `message`, `path`); a 429 carries
//! `Retry-After` only when [`Faults::retry_after`] is set; only the
//! `TRANSACTIONS_CSV` and `CLIENT_CSV` job types are served, and an empty export ends
//! `FAILED` with `failureReason: "No records found"`; a sale line's "updated" time for
//! `filterExpression` is its sale time (edits are not modelled); write error codes
//! (`VERSION_CONFLICT`, `STAFF_NOT_AVAILABLE`, `DUPLICATE_SERIAL`) are invented; breaks, rota
//! and courses are derived from the staff and services, not generated.
//!
//! ```no_run
//! use futures::TryStreamExt as _;
//! use phorest_client::ClientQuery;
//! use phorest_client::mock::{PhorestSandbox, SalonSpec};
//!
//! # async fn demo() -> Result<(), phorest_client::Error> {
//! let sandbox = PhorestSandbox::start(SalonSpec::small(7)).await;
//! let client = sandbox.client_builder().build()?;
//! let clients: Vec<_> = client.clients().list(&ClientQuery::default()).try_collect().await?;
//! let expected = sandbox.with_salon(|s| s.listed_clients().count());
//! assert_eq!(clients.len(), expected);
//! # Ok(())
//! # }
//! ```

mod diary;
mod generate;
mod hostile;
pub mod model;
mod server;
mod writes;

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::Utc;
use secrecy::{ExposeSecret, SecretString};
use wiremock::{Mock, MockServer};

pub use generate::{AppointmentMix, ClientMix, Salon, SalonSpec};
pub use hostile::{BodyFault, Hostile, HostileStats, ListKind, TimestampShape};
pub use model::{
    Address, Appointment, Branch, Client, ClientCategory, CreditAccount, LoyaltyCard, Product,
    Review, SaleLine, Service, ServiceCategory, Staff, Voucher,
};

use server::{API_PREFIX, Handler, PageHook, State, lock};

/// Faults injected into the sandbox's answers. Deterministic for a `seed`
/// and a given request order; change them at any time with
/// [`PhorestSandbox::set_faults`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Faults {
    /// Seed of the RNG deciding which requests fail.
    pub seed: u64,
    /// Fraction (0–1) of requests answered 500 or 503.
    pub server_error_rate: f64,
    /// The next this-many requests are answered 429.
    pub rate_limit_requests: u32,
    /// `Retry-After` seconds sent with each 429 (`None`: no header).
    pub retry_after: Option<u64>,
    /// Fraction (0–1) of responses delayed by `slow_delay`.
    pub slow_rate: f64,
    /// Delay of a slow response (set it beyond the client's timeout).
    pub slow_delay: Duration,
    /// Fraction (0–1) of 200 list pages corrupted: truncated JSON, an id of
    /// the wrong type, or an HTML body.
    pub corrupt_rate: f64,
    /// Only requests whose path contains this string get faults.
    pub path_contains: Option<String>,
}

/// Sandbox settings other than the salon.
#[derive(Clone)]
pub struct SandboxOptions {
    /// API user email (the username is `global/<email>`).
    pub email: String,
    /// API password.
    pub password: SecretString,
}

impl Default for SandboxOptions {
    fn default() -> Self {
        Self {
            email: "api-user@sandbox-salon.example".to_owned(),
            password: SecretString::from("sandbox-password"),
        }
    }
}

impl fmt::Debug for SandboxOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SandboxOptions")
            .field("email", &self.email)
            .field("password", &"[REDACTED]")
            .finish()
    }
}

/// One request the sandbox answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestRecord {
    /// HTTP method.
    pub method: String,
    /// URL path (full, including `/third-party-api-server/api/business`).
    pub path: String,
    /// Raw query string, if any.
    pub query: Option<String>,
    /// Status answered.
    pub status: u16,
}

/// A running Phorest sandbox. Dropping it stops the server.
pub struct PhorestSandbox {
    server: MockServer,
    state: Arc<Mutex<State>>,
    business_id: String,
    branch_ids: Vec<String>,
    options: SandboxOptions,
    base: url::Url,
}

impl fmt::Debug for PhorestSandbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PhorestSandbox")
            .field("uri", &self.server.uri())
            .field("business_id", &self.business_id)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl PhorestSandbox {
    /// Generates the salon for `spec` and serves it with default options.
    pub async fn start(spec: SalonSpec) -> Self {
        Self::start_with(spec.generate(), SandboxOptions::default()).await
    }

    /// Serves an already generated (possibly edited) salon.
    pub async fn start_with(salon: Salon, options: SandboxOptions) -> Self {
        let server = MockServer::builder()
            .disable_request_recording()
            .start()
            .await;
        let business_id = salon.business_id().to_owned();
        let branch_ids = salon.branch_ids();
        let state = Arc::new(Mutex::new(State::new(salon)));
        let credentials = format!(
            "global/{}:{}",
            options.email,
            options.password.expose_secret()
        );
        let handler = Handler {
            state: Arc::clone(&state),
            authorization: format!("Basic {}", STANDARD.encode(credentials)),
            uri: server.uri(),
        };
        Mock::given(wiremock::matchers::any())
            .respond_with(handler)
            .mount(&server)
            .await;
        tracing::debug!(uri = %server.uri(), "phorest sandbox started");
        // Built from the server's socket address and a constant path.
        #[allow(clippy::expect_used)]
        let base = url::Url::parse(&format!("{}{API_PREFIX}", server.uri()))
            .expect("a wiremock URI plus a constant path is a valid URL");
        Self {
            base,
            server,
            state,
            business_id,
            branch_ids,
            options,
        }
    }

    /// The server root, e.g. `http://127.0.0.1:40123`.
    pub fn uri(&self) -> String {
        self.server.uri()
    }

    /// The API base URL for `Region::Custom`:
    /// `{uri}/third-party-api-server/api/business`.
    pub fn base_url(&self) -> String {
        self.base.as_str().to_owned()
    }

    /// The business id.
    pub fn business_id(&self) -> &str {
        &self.business_id
    }

    /// The first branch's id.
    pub fn branch_id(&self) -> &str {
        self.branch_ids.first().map_or("", String::as_str)
    }

    /// Every branch id.
    pub fn branch_ids(&self) -> &[String] {
        &self.branch_ids
    }

    /// The API user email (without the `global/` prefix).
    pub fn email(&self) -> &str {
        &self.options.email
    }

    /// The Basic-auth username, `global/<email>`.
    pub fn username(&self) -> String {
        format!("global/{}", self.options.email)
    }

    /// The API password.
    pub fn password(&self) -> &str {
        self.options.password.expose_secret()
    }

    /// A [`PhorestClientBuilder`](crate::PhorestClientBuilder) pre-set for
    /// this sandbox: `Region::Custom(base_url)`, business id, credentials and
    /// no client-side pacing (the sandbox has no rate limit unless a fault
    /// says so). Further builder calls override these.
    pub fn client_builder(&self) -> crate::PhorestClientBuilder {
        crate::PhorestClient::builder()
            .region(crate::Region::Custom(self.base.clone()))
            .business_id(self.business_id.as_str())
            .credentials(self.options.email.clone(), self.options.password.clone())
            .pacing(crate::Pacing::unlimited())
    }

    /// A clone of the current salon (cheap for small salons; a large one
    /// copies every record, so prefer [`with_salon`](Self::with_salon)).
    pub fn salon(&self) -> Salon {
        lock(&self.state).salon.clone()
    }

    /// Runs `f` on the current salon without copying it.
    pub fn with_salon<R>(&self, f: impl FnOnce(&Salon) -> R) -> R {
        f(&lock(&self.state).salon)
    }

    fn mutate<R>(&self, f: impl FnOnce(&mut Salon) -> R) -> R {
        let mut state = lock(&self.state);
        state.generation += 1;
        f(&mut state.salon)
    }

    /// Edits a client; bumps `version` and sets `updatedAt` to now.
    /// Returns `false` for an unknown id.
    pub fn update_client(&self, id: &str, f: impl FnOnce(&mut Client)) -> bool {
        self.mutate(|s| s.update_client(id, Utc::now(), f))
    }

    /// Adds a client built by `f` (fresh id, `createdAt = updatedAt = now`);
    /// returns its id.
    pub fn add_client(&self, f: impl FnOnce(&mut Client)) -> String {
        self.mutate(|s| s.add_client(Utc::now(), f))
    }

    /// Marks a client deleted (hidden unless `includeDeleted=true`).
    pub fn delete_client(&self, id: &str) -> bool {
        self.update_client(id, |c| c.deleted = true)
    }

    /// Edits an appointment; bumps `version` and `updatedAt`.
    pub fn update_appointment(&self, id: &str, f: impl FnOnce(&mut Appointment)) -> bool {
        self.mutate(|s| s.update_appointment(id, Utc::now(), f))
    }

    /// Adds an appointment row built by `f` (fresh ids, `BOOKED`/`ACTIVE`,
    /// first branch); returns its id.
    pub fn add_appointment(&self, f: impl FnOnce(&mut Appointment)) -> String {
        self.mutate(|s| s.add_appointment(Utc::now(), f))
    }

    /// Cancels an appointment (`activationState = CANCELED`).
    pub fn cancel_appointment(&self, id: &str) -> bool {
        self.update_appointment(id, |a| a.activation_state = "CANCELED".to_owned())
    }

    /// Edits a staff member; bumps `updatedAt`.
    pub fn update_staff(&self, id: &str, f: impl FnOnce(&mut Staff)) -> bool {
        self.mutate(|s| s.update_staff(id, Utc::now(), f))
    }

    /// Edits a product; bumps `updatedAt`.
    pub fn update_product(&self, id: &str, f: impl FnOnce(&mut Product)) -> bool {
        self.mutate(|s| s.update_product(id, Utc::now(), f))
    }

    /// Replaces the active faults (and reseeds their RNG).
    pub fn set_faults(&self, faults: Faults) {
        lock(&self.state).set_faults(faults);
    }

    /// Removes every fault.
    pub fn clear_faults(&self) {
        self.set_faults(Faults::default());
    }

    /// How many list pages [`Faults::corrupt_rate`] corrupted since the sandbox started (so a
    /// test can tell that its faults really fired).
    pub fn corrupted_pages(&self) -> usize {
        lock(&self.state).corrupted_pages
    }

    /// Replaces the active hostile modes (see [`Hostile`]); resets their counters, their RNG
    /// and [`hostile_stats`](Self::hostile_stats). Takes effect from the next request.
    pub fn set_hostile(&self, hostile: Hostile) {
        lock(&self.state).set_hostile(hostile);
    }

    /// Turns every hostile mode off (page hooks not yet run stay registered).
    pub fn clear_hostile(&self) {
        self.set_hostile(Hostile::default());
    }

    /// The hostile modes in force.
    pub fn hostile(&self) -> Hostile {
        lock(&self.state).hostile.clone()
    }

    /// What the hostile modes did since they were last set.
    pub fn hostile_stats(&self) -> HostileStats {
        lock(&self.state).hostile_stats
    }

    /// Runs `edit` on the salon right after the `nth` (1-based) page of `list` is served,
    /// counted from now: an edit between a run's reads (e.g. client X takes client Y's email,
    /// a loyalty balance changes). Use the salon's own mutators
    /// ([`Salon::update_client`] …) so versions and `updatedAt` move as they would in Phorest.
    /// Runs once; hooks survive [`clear_hostile`](Self::clear_hostile).
    ///
    /// ```no_run
    /// # async fn demo(sandbox: phorest_client::mock::PhorestSandbox) {
    /// use chrono::Utc;
    /// use phorest_client::mock::ListKind;
    ///
    /// let (x, y_email) = sandbox.with_salon(|s| {
    ///     (s.clients()[1].client_id.clone(), s.clients()[150].email.clone())
    /// });
    /// sandbox.on_page_served(ListKind::Clients, 1, move |salon| {
    ///     salon.update_client(&x, Utc::now(), |c| c.email = y_email);
    /// });
    /// # }
    /// ```
    pub fn on_page_served(
        &self,
        list: ListKind,
        nth: usize,
        edit: impl FnOnce(&mut Salon) + Send + 'static,
    ) {
        lock(&self.state).add_hook(PageHook {
            list,
            remaining: nth.max(1),
            run: Box::new(edit),
        });
    }

    /// Sets a client's loyalty points (creating the card if needed), like a sale would. With
    /// [`Hostile::loyalty_changes_keep_updated_at`] on, `updatedAt` does not move.
    pub fn set_loyalty_points(&self, client_id: &str, points: f64) -> bool {
        self.update_client(client_id, |c| {
            let card = c.loyalty_card.get_or_insert_with(LoyaltyCard::default);
            card.points = points;
        })
    }

    /// Every request answered since start or the last
    /// [`reset_counters`](Self::reset_counters).
    pub fn requests(&self) -> Vec<RequestRecord> {
        lock(&self.state).log.clone()
    }

    /// Number of requests answered.
    pub fn request_count(&self) -> usize {
        lock(&self.state).log.len()
    }

    /// Number of requests whose path, relative to the base URL, starts with
    /// `prefix` (e.g. `/{businessId}/client` also counts `/client-batch`).
    pub fn count_requests(&self, prefix: &str) -> usize {
        lock(&self.state)
            .log
            .iter()
            .filter(|r| {
                r.path
                    .strip_prefix(API_PREFIX)
                    .is_some_and(|p| p.starts_with(prefix))
            })
            .count()
    }

    /// Clears the request log.
    pub fn reset_counters(&self) {
        lock(&self.state).log.clear();
    }
}
