//! `phorest-ghl-sync`: run the whole Phorest → GoHighLevel sync.
//!
//! With no credentials it starts the built-in sandboxes (a fake Phorest salon shaped like the
//! first sync attempt's, and a fake GHL location) and syncs into them, so a new user sees the
//! whole thing work with one command. With credentials (environment variables or `--config
//! FILE`, see `docs/operations.md`) it syncs the real accounts.
//!
//! Exit codes: 0 success, 1 some records failed (or a stage is incomplete), 2 a stage was
//! blocked (e.g. a missing scope), 3 interrupted (run again to resume), 4 the run stopped and
//! may be retried as is, 5 a person must act (invalid token, missing scopes, invalid
//! configuration: a bad `--config` file, a missing or empty variable), 6 another run holds the
//! location's lease, 64 bad command-line usage (including an output path that cannot be
//! written, found before the first request).

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::{Parser, ValueEnum};
use phorest_ghl_examples::{Credentials, ProgressObserver, demo, real};
use secrecy::{ExposeSecret, SecretString};
use sync_core::{EntityKind, SyncConfig, SyncPlan};
use tokio_util::sync::CancellationToken;

#[derive(Parser, Debug)]
#[command(
    name = "phorest-ghl-sync",
    version,
    about = "Sync a Phorest salon into a GoHighLevel location"
)]
struct Args {
    /// Entities to sync (comma-separated); default: all.
    #[arg(long, value_delimiter = ',', value_enum)]
    entities: Vec<Entity>,
    /// Build and count every request, write nothing.
    #[arg(long)]
    dry_run: bool,
    /// Resume an interrupted run from its checkpoints (the default). `--no-resume` re-reads
    /// everything from the start; mappings are kept, so nothing is created twice.
    #[arg(long, overrides_with = "no_resume")]
    resume: bool,
    /// Re-read everything instead of resuming or reading incrementally.
    #[arg(long)]
    no_resume: bool,
    /// Report format printed at the end.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Also write the CSV of records to fix in Phorest to this file.
    #[arg(long)]
    fix_csv: Option<PathBuf>,
    /// SQLite state file (mappings and checkpoints).
    #[arg(long, default_value = "phorest-ghl-sync.db")]
    state: PathBuf,
    /// Keep the state in PostgreSQL instead of the SQLite file: a `postgres://` URL (prefer the
    /// environment variable, which `ps` does not show). `--state` is then unused.
    #[arg(long, env = "PHOREST_GHL_POSTGRES_URL", hide_env_values = true, value_parser = secret)]
    postgres: Option<SecretString>,
    /// The PostgreSQL schema of this salon's state: one schema per GHL location.
    #[arg(
        long,
        env = "PHOREST_GHL_POSTGRES_SCHEMA",
        default_value = "phorest_ghl"
    )]
    postgres_schema: String,
    /// The most PostgreSQL connections this run opens (a run uses about one per record it
    /// processes at once; keep the sum over all runs below the server's `max_connections`).
    #[arg(long, default_value_t = 4)]
    postgres_connections: usize,
    /// A KEY=VALUE file with the credentials (same names as the environment variables).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Demo salon size when running against the sandbox.
    #[arg(long, value_enum, default_value_t = DemoSize::SeedReport)]
    demo_size: DemoSize,
    /// Demo: give the GHL token no `products.write` scope, as in the first sync attempt.
    #[arg(long)]
    demo_missing_products_scope: bool,
    /// More logs (-v info, -vv debug); logs go to stderr.
    #[arg(short, long, action = clap::ArgAction::Count)]
    verbose: u8,
    /// No progress bars.
    #[arg(short, long)]
    quiet: bool,
    /// When another run holds this GHL location's lease, wait up to this long for it
    /// (`30s`, `10m`) instead of exiting with code 6.
    #[arg(long, value_parser = phorest_ghl_examples::parse_duration)]
    wait: Option<std::time::Duration>,
    /// How long this run's lease on the location lasts without renewal (renewed every third of
    /// it): a killed run blocks the next one for at most this long.
    #[arg(long, default_value = "60s", value_parser = phorest_ghl_examples::parse_duration)]
    lease_ttl: std::time::Duration,
}

/// A value that may carry a password (never printed, not even by `Debug`).
fn secret(s: &str) -> Result<SecretString, std::convert::Infallible> {
    Ok(SecretString::from(s))
}

#[derive(Copy, Clone, Debug, ValueEnum, PartialEq, Eq)]
enum Entity {
    Staff,
    Categories,
    Clients,
    Loyalty,
    Appointments,
    Checkins,
    Bookings,
    Purchases,
    Products,
}

impl Entity {
    fn kind(self) -> EntityKind {
        match self {
            Entity::Staff => EntityKind::Staff,
            Entity::Categories => EntityKind::ClientCategory,
            Entity::Clients => EntityKind::Client,
            Entity::Loyalty => EntityKind::Loyalty,
            Entity::Appointments => EntityKind::Appointment,
            Entity::Checkins => EntityKind::CheckIn,
            Entity::Bookings => EntityKind::Booking,
            Entity::Purchases => EntityKind::Purchase,
            Entity::Products => EntityKind::Product,
        }
    }
}

#[derive(Copy, Clone, Debug, ValueEnum, PartialEq, Eq)]
enum Format {
    Table,
    Json,
    Csv,
}

#[derive(Copy, Clone, Debug, ValueEnum, PartialEq, Eq)]
enum DemoSize {
    Small,
    SeedReport,
    Large,
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
            // --help, --version
            let _ = err.print();
            std::process::exit(0);
        }
    };
    init_logging(args.verbose);
    match run(args).await {
        Ok(code) => std::process::exit(code),
        Err(err) => {
            eprintln!("error: {err:#}");
            std::process::exit(phorest_ghl_examples::exit_code_for(&err, 4));
        }
    }
}

fn init_logging(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

async fn run(args: Args) -> Result<i32> {
    // Every output path is checked before the first request, not after the whole sync.
    if let Some(path) = &args.fix_csv {
        phorest_ghl_examples::check_writable("--fix-csv", path)?;
    }
    let credentials = Credentials::from_env_and_file(args.config.as_deref())?;
    let mut config = SyncConfig::default();
    if !args.entities.is_empty() {
        config.entities = args
            .entities
            .iter()
            .map(|e| e.kind())
            .collect::<BTreeSet<_>>();
    }
    config.dry_run = args.dry_run;
    config.full_refresh = args.no_resume && !args.resume;
    config.lease_wait = args.wait;
    config.lease_ttl =
        chrono::Duration::from_std(args.lease_ttl).context("--lease-ttl is too long")?;

    let started = Instant::now();
    let real_credentials = credentials.clone();
    let (plan, _sandboxes) = match credentials {
        None => {
            let size = match args.demo_size {
                DemoSize::Small => demo::Size::Small,
                DemoSize::SeedReport => demo::Size::SeedReport,
                DemoSize::Large => demo::Size::Large,
            };
            eprintln!(
                "No credentials found: running against the built-in sandbox ({}).",
                size.describe()
            );
            let demo = demo::Demo::start(size, args.demo_missing_products_scope).await?;
            eprintln!(
                "GHL sandbox rate limit runs on a scaled clock: {} (the real limit is 100 requests / 10 s).",
                demo.rate_limit_description()
            );
            config.calendar_id = Some(demo.calendar_id().into());
            // The sandboxes live only as long as this process: keep the demo's state in memory.
            let store = sync_core::MemoryStore::new();
            let plan = demo.plan_builder(config).store(store);
            (plan, Some(demo))
        }
        Some(creds) => {
            if creds.calendar_id.is_none() && config.enabled(EntityKind::Appointment) {
                eprintln!(
                    "note: GHL_CALENDAR_ID is not set; the appointment stage will be blocked."
                );
            }
            config.calendar_id = creds.calendar_id.clone().map(Into::into);
            if !creds.phorest_branches.is_empty() {
                config.branches = Some(
                    creds
                        .phorest_branches
                        .iter()
                        .map(|b| b.as_str().into())
                        .collect(),
                );
            }
            // Opened (created) before the first request: a state path that cannot be written
            // is bad usage, found at once.
            let store: Arc<dyn sync_core::Store> = match &args.postgres {
                Some(url) => Arc::new(
                    sync_core::PostgresStore::builder(url.expose_secret())
                        .schema(args.postgres_schema.as_str())
                        .max_connections(args.postgres_connections)
                        .connect()
                        .await
                        .with_context(|| {
                            format!("opening PostgreSQL schema {}", args.postgres_schema)
                        })?,
                ),
                None => Arc::new(sync_core::SqliteStore::open(&args.state).map_err(|e| {
                    anyhow::Error::new(phorest_ghl_examples::UsageError(format!(
                        "--state {}: cannot open the state file: {e}",
                        args.state.display()
                    )))
                })?),
            };
            let (phorest, ghl) = real::clients(&creds).await?;
            let plan = SyncPlan::builder(config, phorest, ghl).shared_store(store);
            (plan, None)
        }
    };

    let progress = Arc::new(ProgressObserver::new(args.quiet));
    let plan = plan.observer(progress.clone()).build()?;

    let cancel = CancellationToken::new();
    let on_ctrl_c = cancel.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!("\ninterrupted: finishing in-flight records and saving the checkpoint…");
            on_ctrl_c.cancel();
        }
    });

    let report = plan.run(cancel).await;
    progress.finish();
    if let Err(violation) = report.check_invariants() {
        bail!("report invariant violated: {violation}");
    }
    match args.format {
        Format::Table => println!("{}", report.to_table()),
        Format::Json => println!("{}", report.to_json()?),
        Format::Csv => print!("{}", report.to_fix_csv()),
    }
    if let Some(failure) = &report.failure {
        match &real_credentials {
            Some(creds) => eprintln!("run stopped: {}", creds.explain_failure(failure)),
            None => eprintln!("run stopped: {failure}"),
        }
    }
    if let Some(path) = &args.fix_csv {
        std::fs::write(path, report.to_fix_csv())
            .with_context(|| format!("writing {}", path.display()))?;
    }
    eprintln!("finished in {:.1} s", started.elapsed().as_secs_f64());
    Ok(report.exit_code())
}
