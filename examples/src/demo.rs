//! Demo mode: both sandboxes, a generated salon shaped like the first sync attempt's.

use std::time::Duration;

use anyhow::Result;
use ghl_client::Scope;
use phorest_client::mock::SalonSpec;
use sync_core::sandbox::{ALL_SCOPES, SandboxSetup, Sandboxes};
use sync_core::{SyncConfig, SyncPlanBuilder};

/// The demo salon's size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Size {
    /// 60 clients: every quirk, in seconds.
    Small,
    /// The 14,806-client salon of the first sync attempt.
    SeedReport,
    /// 150,000 clients.
    Large,
}

impl Size {
    /// A one-line description for the console.
    pub fn describe(self) -> &'static str {
        match self {
            Size::Small => "small generated salon, 60 clients",
            Size::SeedReport => {
                "generated salon shaped like the first sync attempt: 25 staff, 14,806 clients, 849 appointments, 1,206 products"
            }
            Size::Large => "large generated salon, 150,000 clients",
        }
    }

    fn spec(self) -> SalonSpec {
        let now = chrono::Utc::now();
        match self {
            Size::Small => SalonSpec::small(42),
            Size::SeedReport => SalonSpec::seed_report(42),
            Size::Large => SalonSpec::large(42),
        }
        .anchored_at(now)
    }
}

/// The running demo sandboxes.
pub struct Demo {
    sandboxes: Sandboxes,
    setup: SandboxSetup,
}

impl Demo {
    /// Generate the salon and start both sandboxes. The GHL burst limit keeps its real shape
    /// (100 requests per window) on a clock scaled 100× (a 100 ms window instead of 10 s).
    pub async fn start(size: Size, missing_products_scope: bool) -> Result<Demo> {
        let mut setup = SandboxSetup {
            rate_max: 100,
            rate_interval: Duration::from_millis(100),
            ..SandboxSetup::default()
        };
        if missing_products_scope {
            setup.scopes = ALL_SCOPES
                .iter()
                .filter(|s| !matches!(s, Scope::ProductsWrite))
                .cloned()
                .collect();
        }
        let sandboxes = Sandboxes::start(size.spec(), setup.clone()).await;
        Ok(Demo { sandboxes, setup })
    }

    /// How the sandbox's rate limit relates to the real one.
    pub fn rate_limit_description(&self) -> String {
        let ms = self.setup.rate_interval.as_millis().max(1);
        format!(
            "{} requests / {} ms, i.e. the real window scaled {}×",
            self.setup.rate_max,
            ms,
            10_000 / ms
        )
    }

    /// The sandbox calendar that receives appointments.
    pub fn calendar_id(&self) -> String {
        self.sandboxes.calendar_id.clone()
    }

    /// A plan builder for the sandboxes.
    pub fn plan_builder(&self, config: SyncConfig) -> SyncPlanBuilder {
        self.sandboxes.plan_builder(config)
    }

    /// The sandboxes themselves (for counting what reached GHL).
    pub fn sandboxes(&self) -> &Sandboxes {
        &self.sandboxes
    }
}
