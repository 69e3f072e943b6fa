//! The first-contact probe: runs the fidelity checklist against a Phorest business in a handful
//! of read-only requests and prints what it found (literal time zones, timestamp shapes, whether
//! the archived/deleted flags and `size=200` are honoured, the client batch's answer for an
//! unknown id, appointment states and one wall-clock time to compare with the diary). It writes
//! nothing. Run it before the first real sync (see `docs/operations.md`).
//!
//! With `PHOREST_BUSINESS_ID`, `PHOREST_API_EMAIL` and `PHOREST_API_PASSWORD` (and optionally
//! `PHOREST_REGION`) set it probes the real API; with none of them it probes the built-in
//! sandbox salon and says so. The password is never printed.
//!
//! Exit codes: 0 probed, 1 a Phorest request failed, 5 partial configuration, 64 usage.
//!
//! ```text
//! cargo run -q -p phorest-ghl-examples --bin phorest-probe
//! cargo run -q -p phorest-ghl-examples --bin phorest-probe -- --json
//! ```

use clap::Parser;
use phorest_client::PhorestClient;
use phorest_client::mock::{PhorestSandbox, SalonSpec};
use phorest_ghl_examples::probe::probe;
use phorest_ghl_examples::real::phorest_region;

/// Probe a Phorest business (read-only) before the first real sync.
#[derive(Debug, Parser)]
#[command(name = "phorest-probe", version)]
struct Args {
    /// Print the findings as JSON.
    #[arg(long)]
    json: bool,
}

#[tokio::main]
async fn main() {
    let args = match Args::try_parse() {
        Ok(args) => args,
        Err(err) => {
            let code = if err.use_stderr() { 64 } else { 0 };
            let _ = err.print();
            std::process::exit(code);
        }
    };
    let vars = [
        "PHOREST_BUSINESS_ID",
        "PHOREST_API_EMAIL",
        "PHOREST_API_PASSWORD",
    ]
    .map(|k| std::env::var(k).ok().filter(|v| !v.trim().is_empty()));
    let _sandbox;
    let phorest = match &vars {
        [Some(business), Some(email), Some(password)] => {
            let region = match phorest_region(
                &std::env::var("PHOREST_REGION").unwrap_or_else(|_| "eu".into()),
            ) {
                Ok(region) => region,
                Err(err) => {
                    eprintln!("error: {err}");
                    std::process::exit(5);
                }
            };
            match PhorestClient::builder()
                .region(region)
                .business_id(business.as_str())
                .credentials(
                    email.as_str(),
                    secrecy::SecretString::from(password.clone()),
                )
                .build()
            {
                Ok(client) => client,
                Err(err) => {
                    eprintln!("error: {err}");
                    std::process::exit(5);
                }
            }
        }
        [None, None, None] => {
            eprintln!("No Phorest credentials set: probing the built-in sandbox salon.");
            let sandbox = PhorestSandbox::start(SalonSpec::small(7)).await;
            let client = sandbox
                .client_builder()
                .build()
                .expect("the sandbox client builds");
            _sandbox = sandbox;
            client
        }
        partial => {
            let missing: Vec<&str> = [
                "PHOREST_BUSINESS_ID",
                "PHOREST_API_EMAIL",
                "PHOREST_API_PASSWORD",
            ]
            .into_iter()
            .zip(partial)
            .filter(|(_, v)| v.is_none())
            .map(|(k, _)| k)
            .collect();
            eprintln!("error: missing {}", missing.join(", "));
            std::process::exit(5);
        }
    };
    match probe(&phorest).await {
        Ok(findings) if args.json => {
            println!(
                "{}",
                serde_json::to_string_pretty(&findings).expect("findings serialise")
            );
        }
        Ok(findings) => print!("{}", findings.to_text()),
        Err(err) => {
            eprintln!("error: {err:#}");
            std::process::exit(1);
        }
    }
}
