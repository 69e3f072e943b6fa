//! `webhook-receiver`: HighLevel contact webhooks → Phorest clients (GHL → Phorest).
//!
//! Verifies each delivery (signature over the raw body, 5-minute window), refuses replays
//! (seen ids kept in the state store), stores the event, answers at once, and applies stored
//! events to Phorest in the background with the field-ownership policy (see
//! `docs/operations.md`, "Two-way: the webhook receiver"). Events stored but not applied when
//! the process stopped are applied at the next start.
//!
//! Configuration: the same environment variables (or `--config FILE`) as `phorest-ghl-sync`
//! for Phorest and the GHL location (`PHOREST_BUSINESS_ID`, `PHOREST_API_EMAIL`,
//! `PHOREST_API_PASSWORD`, `PHOREST_REGION`, `GHL_LOCATION_ID`; the GHL token variables are
//! not used) and the same state (`--state` SQLite file or `--postgres`): the receiver must share
//! the forward sync's mappings. Secrets are never printed.
//!
//! Exit codes: 0 stopped by Ctrl-C, 4 could not serve (port in use, store unreachable), 5 a
//! person must fix the configuration, 64 bad command-line usage.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result};
use clap::{Parser, ValueEnum};
use ghl_client::webhooks::{WebhookPublicKey, WebhookVerifier};
use phorest_client::{PhorestClient, Region};
use phorest_ghl_examples::{ConfigError, UsageError, parse_env_file, receiver};
use secrecy::{ExposeSecret, SecretString};
use sync_core::two_way::{
    ConflictRule, CreatePolicy, FieldOwner, FieldOwnership, ReverseField, TwoWayConfig, TwoWaySync,
};
use tokio_util::sync::CancellationToken;

#[derive(Parser, Debug)]
#[command(
    name = "webhook-receiver",
    version,
    about = "Receive GoHighLevel contact webhooks and write contact edits back to Phorest"
)]
struct Args {
    /// Address to listen on (put TLS in front: HighLevel posts to an https URL).
    #[arg(long, env = "WEBHOOK_LISTEN", default_value = "0.0.0.0:8080")]
    listen: SocketAddr,
    /// SQLite state file: the forward sync's (mappings), plus the event inbox and seen ids.
    #[arg(long, default_value = "phorest-ghl-sync.db")]
    state: PathBuf,
    /// Keep the state in PostgreSQL instead (prefer the environment variable).
    #[arg(long, env = "PHOREST_GHL_POSTGRES_URL", hide_env_values = true, value_parser = secret)]
    postgres: Option<SecretString>,
    /// The PostgreSQL schema of this salon's state.
    #[arg(
        long,
        env = "PHOREST_GHL_POSTGRES_SCHEMA",
        default_value = "phorest_ghl"
    )]
    postgres_schema: String,
    /// A KEY=VALUE file with the credentials (same names as the environment variables).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Fields edits made in GHL may change in Phorest (comma-separated: first-name, last-name,
    /// email, phone, address, birthday, marketing-consent). Default: marketing-consent only.
    #[arg(long, value_delimiter = ',', value_enum)]
    shared_fields: Vec<Field>,
    /// Who wins when a field was edited on both sides between two syncs.
    #[arg(long, value_enum, default_value_t = Conflicts::PhorestWins)]
    conflicts: Conflicts,
    /// DND lifted in GHL grants marketing consent in Phorest (default: only withdrawals flow).
    #[arg(long)]
    consent_grants: bool,
    /// Create a Phorest client in this branch for contacts created in GHL (with an email or
    /// phone, no staff tag). Default: never.
    #[arg(long)]
    create_clients_in_branch: Option<String>,
    /// Country (ISO alpha-2) of local phone numbers, as the salon's branch.
    #[arg(long, env = "PHOREST_COUNTRY")]
    region: Option<String>,
    /// Also trust this public key (PEM file), for HighLevel key rotations.
    #[arg(long)]
    trust_key: Vec<PathBuf>,
    /// More logs (-v info, -vv debug); logs go to stderr.
    #[arg(short, long, action = clap::ArgAction::Count)]
    verbose: u8,
}

fn secret(s: &str) -> Result<SecretString, std::convert::Infallible> {
    Ok(SecretString::from(s))
}

#[derive(Copy, Clone, Debug, ValueEnum, PartialEq, Eq)]
enum Field {
    FirstName,
    LastName,
    Email,
    Phone,
    Address,
    Birthday,
    MarketingConsent,
}

impl Field {
    fn field(self) -> ReverseField {
        match self {
            Field::FirstName => ReverseField::FirstName,
            Field::LastName => ReverseField::LastName,
            Field::Email => ReverseField::Email,
            Field::Phone => ReverseField::Phone,
            Field::Address => ReverseField::Address,
            Field::Birthday => ReverseField::Birthday,
            Field::MarketingConsent => ReverseField::MarketingConsent,
        }
    }
}

#[derive(Copy, Clone, Debug, ValueEnum, PartialEq, Eq)]
enum Conflicts {
    PhorestWins,
    GhlWins,
}

#[tokio::main]
async fn main() {
    let args = match Args::try_parse() {
        Ok(args) => args,
        Err(err) if err.use_stderr() => {
            let _ = err.print();
            std::process::exit(64);
        }
        Err(err) => {
            let _ = err.print();
            std::process::exit(0);
        }
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new(match args.verbose {
            0 => "warn",
            1 => "info",
            _ => "debug",
        })
    });
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    match run(args).await {
        Ok(()) => std::process::exit(0),
        Err(err) => {
            eprintln!("error: {err:#}");
            std::process::exit(phorest_ghl_examples::exit_code_for(&err, 4));
        }
    }
}

/// The variables the receiver reads (a subset of the sync's).
struct ReceiverEnv {
    business_id: String,
    email: String,
    password: SecretString,
    region: String,
    location_id: String,
}

fn read_env(file: Option<&std::path::Path>) -> Result<ReceiverEnv> {
    let mut vars: HashMap<String, String> = HashMap::new();
    if let Some(path) = file {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConfigError(format!("cannot read config file {}: {e}", path.display())))?;
        let pairs = parse_env_file(&text)
            .map_err(|e| ConfigError(format!("config file {}: {e}", path.display())))?;
        vars.extend(pairs);
    }
    for (k, v) in std::env::vars() {
        if k.starts_with("PHOREST_") || k.starts_with("GHL_") {
            vars.insert(k, v);
        }
    }
    let get = |k: &str| {
        vars.get(k)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let required = [
        "PHOREST_BUSINESS_ID",
        "PHOREST_API_EMAIL",
        "PHOREST_API_PASSWORD",
        "GHL_LOCATION_ID",
    ];
    let missing: Vec<&str> = required.into_iter().filter(|k| get(k).is_none()).collect();
    if !missing.is_empty() {
        return Err(ConfigError(format!("missing configuration: {}", missing.join(", "))).into());
    }
    Ok(ReceiverEnv {
        business_id: get("PHOREST_BUSINESS_ID").unwrap_or_default(),
        email: get("PHOREST_API_EMAIL").unwrap_or_default(),
        password: SecretString::from(get("PHOREST_API_PASSWORD").unwrap_or_default()),
        region: get("PHOREST_REGION").unwrap_or_else(|| "eu".to_owned()),
        location_id: get("GHL_LOCATION_ID").unwrap_or_default(),
    })
}

async fn run(args: Args) -> Result<()> {
    let env = read_env(args.config.as_deref())?;
    let mut verifier = WebhookVerifier::builder();
    for path in &args.trust_key {
        let pem = std::fs::read_to_string(path)
            .map_err(|e| UsageError(format!("--trust-key {}: {e}", path.display())))?;
        let key = WebhookPublicKey::from_pem(&pem)
            .map_err(|e| UsageError(format!("--trust-key {}: {e}", path.display())))?;
        verifier = verifier.trust_key(key);
    }
    let region = match env.region.to_ascii_lowercase().as_str() {
        "eu" => Region::Eu,
        "us" => Region::Us,
        _ => Region::Custom(
            env.region
                .parse()
                .map_err(|_| ConfigError("PHOREST_REGION is not eu, us or a URL".into()))?,
        ),
    };
    let phorest = PhorestClient::builder()
        .region(region)
        .business_id(env.business_id.as_str())
        .credentials(env.email.as_str(), env.password.clone())
        .build()
        .context("building the Phorest client")?;

    let mut ownership = FieldOwnership::default();
    if !args.shared_fields.is_empty() {
        for field in ReverseField::ALL {
            ownership.set(field, FieldOwner::Phorest);
        }
        for f in &args.shared_fields {
            ownership.set(f.field(), FieldOwner::Shared);
        }
    }
    let mut config = TwoWayConfig::default();
    config.ownership = ownership;
    config.conflicts = match args.conflicts {
        Conflicts::PhorestWins => ConflictRule::PhorestWins,
        Conflicts::GhlWins => ConflictRule::GhlWins,
    };
    config.consent_grants_flow_back = args.consent_grants;
    if let Some(branch_id) = args.create_clients_in_branch.clone() {
        config.create_clients = CreatePolicy::InBranch { branch_id };
    }
    config.region = args.region.clone();

    let cancel = CancellationToken::new();
    let on_ctrl_c = cancel.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!("stopping: stored events not applied yet are applied at the next start");
            on_ctrl_c.cancel();
        }
    });
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("listening on {}", args.listen))?;
    let location = Some(env.location_id.clone());
    let bound = listener.local_addr().context("reading the bound address")?;
    match &args.postgres {
        Some(url) => {
            let store = Arc::new(
                sync_core::PostgresStore::builder(url.expose_secret())
                    .schema(args.postgres_schema.as_str())
                    .connect()
                    .await
                    .with_context(|| {
                        format!("opening PostgreSQL schema {}", args.postgres_schema)
                    })?,
            );
            let sync = Arc::new(TwoWaySync::new(phorest, Arc::clone(&store), config));
            let rx = receiver::receiver(sync, store, verifier, location);
            eprintln!("listening on {bound} (POST {})", receiver::WEBHOOK_PATH);
            rx.serve(listener, cancel).await?;
        }
        None => {
            let store = Arc::new(sync_core::SqliteStore::open(&args.state).map_err(|e| {
                UsageError(format!(
                    "--state {}: cannot open the state file: {e}",
                    args.state.display()
                ))
            })?);
            let sync = Arc::new(TwoWaySync::new(phorest, Arc::clone(&store), config));
            let rx = receiver::receiver(sync, store, verifier, location);
            eprintln!("listening on {bound} (POST {})", receiver::WEBHOOK_PATH);
            rx.serve(listener, cancel).await?;
        }
    }
    Ok(())
}
