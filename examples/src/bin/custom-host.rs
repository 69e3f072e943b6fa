//! A host application that owns its store and its schedule, and runs the sync plan on a timer.
//!
//! It plugs its own [`LoggingStore`] (a host store: it logs and counts every write and proves
//! itself with sync-core's store conformance suite) into a plan against the built-in sandboxes, runs it every `--every`
//! (default 5s) for `--runs` runs (default 3), and between runs edits one Phorest client so the
//! next, incremental run writes only that change. Ctrl-C cancels the run in progress.
//!
//! ```text
//! cargo run -q -p phorest-ghl-examples --bin custom-host -- --every 1s --runs 2
//! RUST_LOG=phorest_ghl_examples=debug cargo run -q -p phorest-ghl-examples --bin custom-host
//! ```

use std::time::Duration;

use anyhow::{Context, Result};
use clap::Parser;
use phorest_client::mock::SalonSpec;
use phorest_ghl_examples::custom_store::LoggingStore;
use sync_core::sandbox::{SandboxSetup, Sandboxes};
use sync_core::{EntityKind, MappingState, MappingStore, SyncConfig};
use tokio_util::sync::CancellationToken;

/// Run the Phorest → GHL sync on the host's own schedule with the host's own store.
#[derive(Debug, Parser)]
#[command(name = "custom-host", version)]
struct Args {
    /// Time between the starts of two runs: `500ms`, `5s`, `2m`.
    #[arg(long, default_value = "5s", value_parser = phorest_ghl_examples::parse_duration)]
    every: Duration,
    /// How many runs to make.
    #[arg(long, default_value_t = 3)]
    runs: u32,
}

#[tokio::main]
async fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = match Args::try_parse() {
        Ok(args) => args,
        Err(err) => {
            let _ = err.print();
            // Usage errors (such as `--every 0s`) exit 64 like the other binaries'.
            std::process::exit(if err.use_stderr() { 64 } else { 0 });
        }
    };
    if args.runs == 0 {
        eprintln!("error: --runs must be at least 1");
        std::process::exit(64);
    }

    println!("starting the Phorest and GHL sandboxes (small generated salon, seed 7)…");
    let sandboxes = Sandboxes::start(SalonSpec::small(7), SandboxSetup::default()).await;
    let store = LoggingStore::new("custom-host");
    let plan = sandboxes
        .plan_builder(SyncConfig::default())
        .store(store.clone())
        .build()
        .context("building the sync plan")?;

    // Ctrl-C cancels the run in progress and stops the schedule.
    let cancel = CancellationToken::new();
    {
        let cancel = cancel.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                eprintln!("\nCtrl-C: cancelling…");
                cancel.cancel();
            }
        });
    }

    let mut ticker = tokio::time::interval(args.every);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    for run in 1..=args.runs {
        tokio::select! {
            _ = ticker.tick() => {}
            () = cancel.cancelled() => break,
        }
        if run > 1 {
            // Edit one client the first run synced (the host's own store knows which).
            let synced = store
                .list(EntityKind::Client, Some(MappingState::Synced), None, 1)
                .await?;
            if let Some(mapping) = synced.first() {
                let new_name = format!("Edited{run}");
                let changed = sandboxes.phorest.update_client(&mapping.phorest_id, |c| {
                    c.last_name = new_name.clone();
                });
                if changed {
                    println!(
                        "edited Phorest client {}: last name is now {new_name}",
                        mapping.phorest_id
                    );
                }
            }
        }
        let writes_before = sandboxes.ghl.write_count();
        let store_writes_before = store.write_count();
        println!("\n=== run {run} of {} ===", args.runs);
        let report = plan.run(cancel.child_token()).await;
        println!("{}", report.to_table());
        println!("run status: {:?}", report.status);
        let writes = sandboxes.ghl.write_count();
        println!(
            "GHL writes this run: {}, total: {writes}; store writes this run: {}; client mappings: {}",
            writes - writes_before,
            store.write_count() - store_writes_before,
            store.count(EntityKind::Client, None).await?,
        );
        if cancel.is_cancelled() {
            println!("cancelled; stopping the schedule");
            break;
        }
    }
    Ok(())
}
