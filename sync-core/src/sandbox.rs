//! Both sandboxes wired together (feature `mock`): a generated Phorest salon and a GHL location
//! whose users are the salon's staff and whose calendar has them as team members. Used by the
//! end-to-end tests, the demo binary and the measurements.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use phorest_client::mock::SalonSpec;
//! use sync_core::sandbox::{Sandboxes, SandboxSetup};
//! use sync_core::{MemoryStore, SyncConfig};
//!
//! let sandboxes = Sandboxes::start(SalonSpec::small(1), SandboxSetup::default()).await;
//! let plan = sandboxes.plan_builder(SyncConfig::default()).store(MemoryStore::new()).build()?;
//! let report = plan.run(Default::default()).await;
//! println!("{}", report.to_table());
//! # Ok(()) }
//! ```

use std::time::Duration;

use ghl_client::mock::{GhlSandbox, ResetProxy, SandboxConfig, SeedCalendar, SeedUser};
use ghl_client::{GhlClientBuilder, Scope};
use phorest_client::mock::{PhorestSandbox, SalonSpec};

use crate::plan::{SyncConfig, SyncPlan, SyncPlanBuilder};

/// Every scope the sync can use.
pub const ALL_SCOPES: &[Scope] = &[
    Scope::ContactsReadonly,
    Scope::ContactsWrite,
    Scope::CalendarsReadonly,
    Scope::CalendarEventsReadonly,
    Scope::CalendarEventsWrite,
    Scope::UsersReadonly,
    Scope::LocationsReadonly,
    Scope::CustomFieldsReadonly,
    Scope::CustomFieldsWrite,
    Scope::ProductsReadonly,
    Scope::ProductsWrite,
    Scope::PricesReadonly,
    Scope::PricesWrite,
];

/// How the GHL side of the sandboxes is set up.
#[derive(Debug, Clone)]
pub struct SandboxSetup {
    /// Scopes of the private token the plan uses.
    pub scopes: Vec<Scope>,
    /// GHL burst limit: requests per interval.
    pub rate_max: u32,
    /// GHL burst interval (the real API: 10 s; demos scale it down).
    pub rate_interval: Duration,
    /// Staff whose email gets a GHL user (the rest are reported as unmatched).
    pub staff_with_users: usize,
    /// GHL daily request budget per location (default 200,000, the real API's). Raise it to
    /// sync very large salons in one run.
    pub daily_limit: u32,
    /// Per-attempt request timeout of the plan's GHL client; `None` keeps the client's default
    /// (30 s). Combine a short timeout with slow responses
    /// ([`Faults::slow_rate`](ghl_client::mock::Faults::slow_rate)) to inject timeouts.
    pub ghl_timeout: Option<Duration>,
    /// Fraction (0.0–1.0) of the plan's GHL requests whose connection is reset, half before the
    /// request reaches the sandbox and half after it answered (applied, answer lost). Above 0
    /// the plan's GHL client goes through a [`ResetProxy`] ([`Sandboxes::proxy`]); default 0.
    pub connection_reset_rate: f64,
    /// Seed of the connection-reset decisions.
    pub connection_reset_seed: u64,
    /// The GHL location's "Allow Duplicate Contact" setting (GHL's default: off, a create
    /// matching an existing contact answers 400 naming it).
    pub allow_duplicate_contacts: bool,
}

impl Default for SandboxSetup {
    fn default() -> Self {
        SandboxSetup {
            scopes: ALL_SCOPES.to_vec(),
            rate_max: 100,
            rate_interval: Duration::from_millis(100),
            staff_with_users: usize::MAX,
            daily_limit: 200_000,
            ghl_timeout: None,
            connection_reset_rate: 0.0,
            connection_reset_seed: 0,
            allow_duplicate_contacts: false,
        }
    }
}

/// A running Phorest sandbox and GHL sandbox, plus what a plan needs to use them.
pub struct Sandboxes {
    /// The Phorest side.
    pub phorest: PhorestSandbox,
    /// The GHL side.
    pub ghl: GhlSandbox,
    /// The private token the plan uses.
    pub token: String,
    /// The calendar that receives appointments.
    pub calendar_id: String,
    /// The connection-resetting proxy the plan's GHL client goes through, when
    /// [`SandboxSetup::connection_reset_rate`] is above 0 (its counters tell how many resets
    /// happened; [`ResetProxy::set_reset_rate`] turns them off for a clean rerun).
    pub proxy: Option<ResetProxy>,
    ghl_timeout: Option<Duration>,
}

impl std::fmt::Debug for Sandboxes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandboxes")
            .field("calendar_id", &self.calendar_id)
            .finish_non_exhaustive()
    }
}

impl Sandboxes {
    /// Start both sandboxes for `spec`.
    ///
    /// # Panics
    ///
    /// Only if no local port can be bound for the connection-resetting proxy (like the
    /// sandboxes themselves).
    pub async fn start(spec: SalonSpec, setup: SandboxSetup) -> Sandboxes {
        let phorest = PhorestSandbox::start(spec).await;
        let mut calendar = SeedCalendar::new("Phorest appointments");
        let mut config = SandboxConfig::default()
            .rate_limit(setup.rate_max, setup.rate_interval)
            .daily_limit(setup.daily_limit)
            .allow_duplicate_contacts(setup.allow_duplicate_contacts);
        let staff = phorest.with_salon(|s| s.staff().to_vec());
        let mut seen = std::collections::HashSet::new();
        for member in staff.iter().take(setup.staff_with_users) {
            let Some(email) = member.email.as_deref() else {
                continue;
            };
            // Only plausible, distinct addresses become users (GHL requires a valid email).
            if !email.contains('@') || !email.contains('.') || !seen.insert(email.to_lowercase()) {
                continue;
            }
            let user = SeedUser::new(&member.first_name, &member.last_name, email);
            calendar = calendar.team_member(user.id.clone());
            config = config.with_user(user);
        }
        let calendar_id = calendar.id.clone();
        config = config.with_calendar(calendar);
        let ghl = GhlSandbox::start(config).await;
        let token = ghl.issue_private_token(setup.scopes.iter().map(|s| s.as_str()));
        let proxy = if setup.connection_reset_rate > 0.0 {
            let proxy = ResetProxy::start(
                &ghl.base_url(),
                setup.connection_reset_rate,
                setup.connection_reset_seed,
            )
            .await
            .expect("a local port for the reset proxy");
            Some(proxy)
        } else {
            None
        };
        Sandboxes {
            phorest,
            ghl,
            token,
            calendar_id,
            proxy,
            ghl_timeout: setup.ghl_timeout,
        }
    }

    /// A plan builder for `config` against these sandboxes (calendar id filled in; the GHL
    /// client through the [`proxy`](Sandboxes::proxy) if any, with
    /// [`SandboxSetup::ghl_timeout`]).
    ///
    /// # Panics
    ///
    /// Never on data: only if the sandboxes' own URLs were unusable by the clients.
    pub fn plan_builder(&self, config: SyncConfig) -> SyncPlanBuilder {
        self.plan_builder_with(config, |ghl| ghl)
    }

    /// [`plan_builder`](Self::plan_builder) with a change to the GHL client first (e.g. another
    /// location id, to test a misconfigured plan).
    ///
    /// # Panics
    ///
    /// Never on data: only if the sandboxes' own URLs were unusable by the clients.
    pub fn plan_builder_with(
        &self,
        mut config: SyncConfig,
        ghl: impl FnOnce(GhlClientBuilder) -> GhlClientBuilder,
    ) -> SyncPlanBuilder {
        if config.calendar_id.is_none() {
            config.calendar_id = Some(self.calendar_id.as_str().into());
        }
        let phorest = self
            .phorest
            .client_builder()
            .build()
            .expect("the Phorest sandbox URL is valid");
        let mut builder = self.ghl.client_builder(&self.token);
        if let Some(proxy) = &self.proxy {
            builder = builder.base_url(proxy.base_url());
        }
        if let Some(timeout) = self.ghl_timeout {
            builder = builder.timeout(timeout);
        }
        let client = ghl(builder).build().expect("the GHL sandbox URL is valid");
        SyncPlan::builder(config, phorest, client)
    }
}
