//! Shared pieces of the example binaries: credentials, the demo sandboxes, progress bars.
#![warn(missing_docs)]

pub mod custom_store;
pub mod demo;
pub mod probe;
pub mod real;
pub mod receiver;

use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;

use anyhow::Result;
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

/// The variables a `--config` file may set (the table on [`Credentials`]).
pub const CONFIG_KEYS: &[&str] = &[
    "PHOREST_BUSINESS_ID",
    "PHOREST_API_EMAIL",
    "PHOREST_API_PASSWORD",
    "PHOREST_REGION",
    "PHOREST_BRANCHES",
    "PHOREST_REQUESTS_PER_SECOND",
    "GHL_LOCATION_ID",
    "GHL_PRIVATE_TOKEN",
    "GHL_ACCESS_TOKEN",
    "GHL_REFRESH_TOKEN",
    "GHL_CLIENT_ID",
    "GHL_CLIENT_SECRET",
    "GHL_SCOPES",
    "GHL_CALENDAR_ID",
    "GHL_BASE_URL",
];

/// A configuration a person must fix (a bad `--config` file, a missing or empty variable).
/// The binaries exit with code 5 for it, the code sync-core uses for an invalid configuration.
#[derive(Debug)]
pub struct ConfigError(pub String);

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

/// Bad command-line usage found after parsing (such as an output path that cannot be written).
/// The binaries exit with code 64 for it, as for the errors clap finds.
#[derive(Debug)]
pub struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// The exit code for an error a binary stops with: 64 for a [`UsageError`], 5 for a
/// [`ConfigError`], else `otherwise`.
pub fn exit_code_for(err: &anyhow::Error, otherwise: i32) -> i32 {
    if err.downcast_ref::<UsageError>().is_some() {
        64
    } else if err.downcast_ref::<ConfigError>().is_some() {
        5
    } else {
        otherwise
    }
}

/// Checks, before any work, that `path` can be written: opens it for appending (an existing
/// file is left unchanged) or creates it and removes it again. A [`UsageError`] naming `flag`
/// and the reason otherwise.
pub fn check_writable(flag: &str, path: &Path) -> Result<()> {
    let existed = path.exists();
    let opened = std::fs::OpenOptions::new()
        .append(true)
        .create(!existed)
        .open(path);
    match opened {
        Ok(file) => {
            drop(file);
            if !existed {
                let _ = std::fs::remove_file(path);
            }
            Ok(())
        }
        Err(e) => Err(anyhow::Error::new(UsageError(format!(
            "{flag} {}: cannot write there: {e}",
            path.display()
        )))),
    }
}

fn config_error(message: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(ConfigError(message.into()))
}

impl Credentials {
    /// Read credentials from `file` (if given) and the environment (which wins).
    ///
    /// Returns `Ok(None)` when no credential at all is set (demo mode), and a [`ConfigError`]
    /// naming the missing variables when only some are. A file that was given must yield
    /// credentials: one that cannot be read or parsed, or that sets nothing, is refused with
    /// the reason (it never falls back to the demo).
    pub fn from_env_and_file(file: Option<&Path>) -> Result<Option<Credentials>> {
        let mut vars: HashMap<String, String> = HashMap::new();
        if let Some(path) = file {
            let text = std::fs::read_to_string(path).map_err(|e| {
                config_error(format!("cannot read config file {}: {e}", path.display()))
            })?;
            let pairs = parse_env_file(&text)
                .map_err(|e| config_error(format!("config file {}: {e}", path.display())))?;
            vars.extend(pairs);
        }
        for (k, v) in std::env::vars() {
            if k.starts_with("PHOREST_") || k.starts_with("GHL_") {
                vars.insert(k, v);
            }
        }
        let creds = Self::from_map(&vars)?;
        if let (None, Some(path)) = (&creds, file) {
            return Err(config_error(format!(
                "config file {} sets no non-empty PHOREST_* or GHL_* variable; refusing to run \
                 the built-in demo with a config file given",
                path.display()
            )));
        }
        Ok(creds)
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
            return Err(config_error(format!(
                "missing configuration: {}",
                missing.join(", ")
            )));
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
                .map_err(|_| config_error("PHOREST_REQUESTS_PER_SECOND must be a whole number"))?,
        };
        if creds.ghl_private_token.is_none() && creds.ghl_access_token.is_none() {
            return Err(config_error(
                "missing configuration: GHL_PRIVATE_TOKEN or GHL_ACCESS_TOKEN",
            ));
        }
        if creds.ghl_scopes.is_none() {
            return Err(config_error(
                "missing configuration: GHL_SCOPES is not set or empty (the token's scopes, \
                 space-separated, as chosen when the token was made; preflight checks each \
                 stage against them)",
            ));
        }
        Ok(Some(creds))
    }
}

impl Credentials {
    /// The variables that hold the GHL token in use, for messages: `GHL_PRIVATE_TOKEN`, or
    /// the OAuth ones.
    pub fn ghl_token_variables(&self) -> &'static str {
        if self.ghl_private_token.is_some() {
            "GHL_PRIVATE_TOKEN"
        } else {
            "GHL_ACCESS_TOKEN (refreshed with GHL_REFRESH_TOKEN, GHL_CLIENT_ID and \
             GHL_CLIENT_SECRET)"
        }
    }

    /// Why a run stopped, for a person: [`sync_core::RunFailure`]'s message, naming the
    /// variable to fix where one is to blame (a rejected token names its variable and keeps
    /// GHL's own reason).
    pub fn explain_failure(&self, failure: &sync_core::RunFailure) -> String {
        match failure {
            sync_core::RunFailure::TokenInvalid { message } => format!(
                "GHL rejected the token in {}: {message}. Put a valid token there and run again.",
                self.ghl_token_variables()
            ),
            other => other.to_string(),
        }
    }
}

/// Parse a `KEY=VALUE` file.
///
/// Blank lines and `#` comment lines are ignored, as is a UTF-8 byte-order mark and a leading
/// `export `. A value may be double- or single-quoted (the quotes are removed, nothing inside
/// is interpreted); an unquoted value ends at an inline comment (` #…`, a `#` after
/// whitespace). A line that is not `KEY=VALUE`, a quote that is not closed, and keys that are
/// not in [`CONFIG_KEYS`] are refused, all unknown keys named at once; so is a file with no
/// `KEY=VALUE` line at all.
pub fn parse_env_file(text: &str) -> Result<Vec<(String, String)>, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut pairs = Vec::new();
    let mut unknown = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let n = n + 1;
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").map_or(line, str::trim_start);
        let Some((key, value)) = line.split_once('=') else {
            return Err(format!("line {n}: expected KEY=VALUE"));
        };
        let key = key.trim();
        let value = parse_value(value.trim()).map_err(|e| format!("line {n} ({key}): {e}"))?;
        if !CONFIG_KEYS.contains(&key) {
            unknown.push(format!("{key} (line {n})"));
            continue;
        }
        pairs.push((key.to_owned(), value));
    }
    if !unknown.is_empty() {
        return Err(format!(
            "unknown keys: {}; known keys: {}",
            unknown.join(", "),
            CONFIG_KEYS.join(", ")
        ));
    }
    if pairs.is_empty() {
        return Err("no KEY=VALUE line".to_owned());
    }
    Ok(pairs)
}

fn parse_value(raw: &str) -> Result<String, String> {
    for quote in ['"', '\''] {
        if let Some(rest) = raw.strip_prefix(quote) {
            let Some(end) = rest.find(quote) else {
                return Err(format!("the {quote} quote is not closed"));
            };
            let after = rest[end + 1..].trim_start();
            if !after.is_empty() && !after.starts_with('#') {
                return Err(format!(
                    "unexpected text after the closing quote: {after:?}"
                ));
            }
            return Ok(rest[..end].to_owned());
        }
    }
    // An inline comment starts at a `#` after whitespace (a `#` inside a value is kept).
    let end = raw
        .char_indices()
        .find(|&(i, c)| c == '#' && raw[..i].ends_with(char::is_whitespace))
        .map_or(raw.len(), |(i, _)| i);
    Ok(raw[..end].trim_end().to_owned())
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

#[cfg(test)]
mod config_file_tests {
    use super::parse_env_file;

    fn pairs(text: &str) -> Vec<(String, String)> {
        parse_env_file(text).unwrap()
    }

    #[test]
    fn comments_quotes_export_and_a_bom_are_understood() {
        let text = "\u{feff}# header\n\
                    export PHOREST_BUSINESS_ID = 'biz 1'  # inline\n\
                    PHOREST_API_PASSWORD=pa#ss # the # in the value stays\n\
                    GHL_SCOPES=\"contacts.readonly contacts.write\" # quoted\n\
                    GHL_CALENDAR_ID='it''s'\n";
        // The last line has text after the closing quote: refused.
        assert!(parse_env_file(text).unwrap_err().contains("line 5"));
        let text = text.replace(
            "GHL_CALENDAR_ID='it''s'\n",
            "GHL_CALENDAR_ID='#not a comment'\n",
        );
        assert_eq!(
            pairs(&text),
            vec![
                ("PHOREST_BUSINESS_ID".to_owned(), "biz 1".to_owned()),
                ("PHOREST_API_PASSWORD".to_owned(), "pa#ss".to_owned()),
                (
                    "GHL_SCOPES".to_owned(),
                    "contacts.readonly contacts.write".to_owned()
                ),
                ("GHL_CALENDAR_ID".to_owned(), "#not a comment".to_owned()),
            ]
        );
    }

    #[test]
    fn unusable_files_are_refused_with_the_reason() {
        assert!(parse_env_file("").unwrap_err().contains("no KEY=VALUE"));
        assert!(
            parse_env_file("\u{feff}# x\n\n  # y\n")
                .unwrap_err()
                .contains("no KEY=VALUE")
        );
        assert!(
            parse_env_file("GHL_LOCATION_ID\n")
                .unwrap_err()
                .contains("line 1")
        );
        assert!(
            parse_env_file("GHL_SCOPES='open\n")
                .unwrap_err()
                .contains("not closed")
        );
        let unknown = parse_env_file("GHL_TOKEN=1\nGHL_SCOPES=a\nFOO=2\n").unwrap_err();
        assert!(
            unknown.contains("GHL_TOKEN (line 1), FOO (line 3)"),
            "{unknown}"
        );
    }
}
