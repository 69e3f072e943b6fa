//! Shared pieces of the example binaries: credentials, the demo sandboxes, progress bars.
#![warn(missing_docs)]

pub mod custom_store;
pub mod demo;
pub mod real;

use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;

use anyhow::{Context, Result, bail};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use secrecy::SecretString;
use sync_core::{EntityKind, OutcomeKind, SyncEvent, SyncObserver};

/// Credentials for the real APIs, from the environment and/or a `KEY=VALUE` file.
///
/// | variable | meaning |
/// |---|---|
/// | `PHOREST_BUSINESS_ID` | Phorest business id |
/// | `PHOREST_API_EMAIL` | API user email (the `global/` prefix is added for you) |
/// | `PHOREST_API_PASSWORD` | API password |
/// | `PHOREST_REGION` | `eu` (default), `us`, or a base URL |
/// | `PHOREST_BRANCHES` | optional comma-separated branch ids (default: all) |
/// | `GHL_LOCATION_ID` | GHL sub-account (location) id |
/// | `GHL_PRIVATE_TOKEN` | a Private Integration Token, or: |
/// | `GHL_ACCESS_TOKEN`, `GHL_REFRESH_TOKEN`, `GHL_CLIENT_ID`, `GHL_CLIENT_SECRET` | OAuth tokens of a marketplace app (refreshed in memory during a run; this example does not persist rotated tokens: a host should implement `ghl_client::TokenStore`) |
/// | `GHL_SCOPES` | required: the token's scopes, space-separated |
/// | `GHL_CALENDAR_ID` | the calendar that receives appointments |
/// | `PHOREST_REQUESTS_PER_SECOND` | optional client-side pacing of Phorest calls (default 10) |
/// | `GHL_BASE_URL` | optional API base URL (white-label hosts; tests point it at the sandbox) |
#[derive(Clone)]
pub struct Credentials {
    /// Phorest business id.
    pub phorest_business_id: String,
    /// Phorest API user email.
    pub phorest_email: String,
    /// Phorest API password.
    pub phorest_password: SecretString,
    /// `eu`, `us` or a base URL.
    pub phorest_region: String,
    /// Branches to sync (empty: all).
    pub phorest_branches: Vec<String>,
    /// GHL location id.
    pub ghl_location_id: String,
    /// GHL private integration token.
    pub ghl_private_token: Option<SecretString>,
    /// GHL OAuth access token.
    pub ghl_access_token: Option<SecretString>,
    /// GHL OAuth refresh token.
    pub ghl_refresh_token: Option<SecretString>,
    /// GHL OAuth app client id.
    pub ghl_client_id: Option<String>,
    /// GHL OAuth app client secret.
    pub ghl_client_secret: Option<SecretString>,
    /// Scopes of the token, space-separated.
    pub ghl_scopes: Option<String>,
    /// Calendar for appointments.
    pub calendar_id: Option<String>,
    /// GHL API base URL (default `https://services.leadconnectorhq.com`).
    pub ghl_base_url: Option<String>,
    /// Phorest requests per second (default 10).
    pub phorest_requests_per_second: Option<u32>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("phorest_business_id", &self.phorest_business_id)
            .field("phorest_region", &self.phorest_region)
            .field("ghl_location_id", &self.ghl_location_id)
            .field("calendar_id", &self.calendar_id)
            .finish_non_exhaustive()
    }
}

impl Credentials {
    /// Read credentials from `file` (if given) and the environment (which wins).
    ///
    /// Returns `Ok(None)` when no credential at all is set (demo mode), and an error naming the
    /// missing variables when only some are.
    pub fn from_env_and_file(file: Option<&Path>) -> Result<Option<Credentials>> {
        let mut vars: HashMap<String, String> = HashMap::new();
        if let Some(path) = file {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading config file {}", path.display()))?;
            vars.extend(parse_env_file(&text));
        }
        for (k, v) in std::env::vars() {
            if k.starts_with("PHOREST_") || k.starts_with("GHL_") {
                vars.insert(k, v);
            }
        }
        Self::from_map(&vars)
    }

    /// Build credentials from a variable map (see the table on [`Credentials`]).
    pub fn from_map(vars: &HashMap<String, String>) -> Result<Option<Credentials>> {
        let get = |k: &str| {
            vars.get(k)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let any = vars
            .iter()
            .any(|(k, v)| (k.starts_with("PHOREST_") || k.starts_with("GHL_")) && !v.is_empty());
        if !any {
            return Ok(None);
        }
        let required = [
            "PHOREST_BUSINESS_ID",
            "PHOREST_API_EMAIL",
            "PHOREST_API_PASSWORD",
            "GHL_LOCATION_ID",
        ];
        let missing: Vec<&str> = required
            .iter()
            .copied()
            .filter(|k| get(k).is_none())
            .collect();
        if !missing.is_empty() {
            bail!("missing configuration: {}", missing.join(", "));
        }
        let secret = |k: &str| get(k).map(SecretString::from);
        let creds = Credentials {
            phorest_business_id: get("PHOREST_BUSINESS_ID").unwrap_or_default(),
            phorest_email: get("PHOREST_API_EMAIL").unwrap_or_default(),
            phorest_password: secret("PHOREST_API_PASSWORD")
                .unwrap_or_else(|| SecretString::from("")),
            phorest_region: get("PHOREST_REGION").unwrap_or_else(|| "eu".to_owned()),
            phorest_branches: get("PHOREST_BRANCHES")
                .map(|b| {
                    b.split(',')
                        .map(|s| s.trim().to_owned())
                        .filter(|s| !s.is_empty())
                        .collect()
                })
                .unwrap_or_default(),
            ghl_location_id: get("GHL_LOCATION_ID").unwrap_or_default(),
            ghl_private_token: secret("GHL_PRIVATE_TOKEN"),
            ghl_access_token: secret("GHL_ACCESS_TOKEN"),
            ghl_refresh_token: secret("GHL_REFRESH_TOKEN"),
            ghl_client_id: get("GHL_CLIENT_ID"),
            ghl_client_secret: secret("GHL_CLIENT_SECRET"),
            ghl_scopes: get("GHL_SCOPES"),
            calendar_id: get("GHL_CALENDAR_ID"),
            ghl_base_url: get("GHL_BASE_URL"),
            phorest_requests_per_second: get("PHOREST_REQUESTS_PER_SECOND")
                .map(|v| v.parse())
                .transpose()
                .context("PHOREST_REQUESTS_PER_SECOND must be a whole number")?,
        };
        if creds.ghl_private_token.is_none() && creds.ghl_access_token.is_none() {
            bail!("missing configuration: GHL_PRIVATE_TOKEN or GHL_ACCESS_TOKEN");
        }
        if creds.ghl_scopes.is_none() {
            bail!(
                "missing configuration: GHL_SCOPES (the token's scopes, space-separated, as \
                 chosen when the token was made; preflight checks each stage against them)"
            );
        }
        Ok(Some(creds))
    }
}

/// Parse a `KEY=VALUE` file: blank lines and `#` comments ignored, optional quotes stripped.
pub fn parse_env_file(text: &str) -> Vec<(String, String)> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| {
            let v = v.trim();
            let v = v
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .unwrap_or(v);
            (
                k.trim().trim_start_matches("export ").to_owned(),
                v.to_owned(),
            )
        })
        .collect()
}

/// Progress bars per stage, fed by the sync's observer events.
pub struct ProgressObserver {
    multi: MultiProgress,
    bars: Mutex<HashMap<EntityKind, ProgressBar>>,
}

impl ProgressObserver {
    /// Progress bars on stderr (hidden when `quiet`).
    pub fn new(quiet: bool) -> Self {
        let target = if quiet {
            ProgressDrawTarget::hidden()
        } else {
            ProgressDrawTarget::stderr()
        };
        ProgressObserver {
            multi: MultiProgress::with_draw_target(target),
            bars: Mutex::new(HashMap::new()),
        }
    }

    fn bar(&self, entity: EntityKind) -> ProgressBar {
        let mut bars = match self.bars.lock() {
            Ok(b) => b,
            Err(p) => p.into_inner(),
        };
        bars.entry(entity)
            .or_insert_with(|| {
                let bar = self.multi.add(ProgressBar::new_spinner());
                bar.set_style(
                    ProgressStyle::with_template("{spinner} {prefix:<18} {pos:>7} records  {msg}")
                        .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                );
                bar.set_prefix(entity.label().to_string());
                bar
            })
            .clone()
    }

    /// Stop every bar.
    pub fn finish(&self) {
        let bars = match self.bars.lock() {
            Ok(b) => b,
            Err(p) => p.into_inner(),
        };
        for bar in bars.values() {
            if !bar.is_finished() {
                bar.finish();
            }
        }
    }
}

impl SyncObserver for ProgressObserver {
    fn on_event(&self, event: &SyncEvent) {
        match event {
            SyncEvent::StageStarted { entity, .. } => {
                self.bar(*entity).set_message("running");
            }
            SyncEvent::RecordProcessed { entity, outcome } => {
                let bar = self.bar(*entity);
                bar.inc(1);
                if *outcome == OutcomeKind::Failed {
                    bar.set_message("some records failed (see report)");
                }
            }
            SyncEvent::StageFinished { entity } => {
                let bar = self.bar(*entity);
                bar.finish_with_message("done");
            }
            SyncEvent::StageBlocked { entity, reason } => {
                let bar = self.bar(*entity);
                bar.finish_with_message(format!("BLOCKED: {reason}"));
            }
            _ => {}
        }
    }
}

/// Parses a duration of the command lines: `<number><unit>` with unit `ms`, `s`, `m` or `h`
/// (a bare number means seconds). Zero is refused: every duration flag means "some time".
pub fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let text = text.trim();
    let (digits, unit) = text
        .find(|c: char| !c.is_ascii_digit())
        .map_or((text, "s"), |i| text.split_at(i));
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("{text:?} is not a duration like 500ms, 5s, 2m or 1h"))?;
    if n == 0 {
        return Err(format!("{text:?}: the duration must be more than zero"));
    }
    let secs = |mult: u64| std::time::Duration::from_secs(n.saturating_mul(mult));
    match unit {
        "ms" => Ok(std::time::Duration::from_millis(n)),
        "s" => Ok(secs(1)),
        "m" => Ok(secs(60)),
        "h" => Ok(secs(3600)),
        other => Err(format!("unknown unit {other:?} (use ms, s, m or h)")),
    }
}

#[cfg(test)]
mod duration_tests {
    use super::parse_duration;
    use std::time::Duration;

    #[test]
    fn durations_parse_and_zero_is_refused() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("5"), Ok(Duration::from_secs(5)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        for bad in ["0s", "0", "0ms", "", "5d", "-1s", "s"] {
            assert!(parse_duration(bad).is_err(), "{bad:?}");
        }
    }
}
