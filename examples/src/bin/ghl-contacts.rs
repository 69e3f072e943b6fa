//! GHL contacts from the command line, with `ghl-client` alone (no Phorest, no sync engine).
//!
//! With `GHL_LOCATION_ID`, `GHL_PRIVATE_TOKEN` and `GHL_SCOPES` (space-separated) set it talks
//! to the real API (or to `GHL_BASE_URL`, for white-label hosts); with none of them set it
//! starts the built-in GHL sandbox, seeds a few contacts and says so. Tokens are never printed.
//!
//! Exit codes: 0 success, 1 the GHL call failed, 5 missing or partial configuration, 64 bad
//! command-line usage.
//!
//! ```text
//! cargo run -q -p phorest-ghl-examples --bin ghl-contacts -- list
//! cargo run -q -p phorest-ghl-examples --bin ghl-contacts -- search ada
//! cargo run -q -p phorest-ghl-examples --bin ghl-contacts -- upsert --email ann@example.com --first-name Ann
//! cargo run -q -p phorest-ghl-examples --bin ghl-contacts -- tag add <contact-id> vip regular
//! ```

use std::process::ExitCode;

use anyhow::{Result, bail};
use clap::{Parser, Subcommand};
use futures::StreamExt;
use ghl_client::contacts::{Contact, SearchContacts, UpsertContact};
use ghl_client::mock::{GhlSandbox, SandboxConfig};
use ghl_client::{Auth, ContactId, Error, GhlClient, Scope, SecretString};
use phorest_ghl_examples::ConfigError;
use serde_json::json;

/// List, search, upsert and tag GHL contacts.
#[derive(Debug, Parser)]
#[command(name = "ghl-contacts", version)]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Every contact of the location.
    List,
    /// Contacts matching a free-text query.
    Search {
        /// The query (name, email or phone).
        query: String,
    },
    /// Create a contact, or update the one the location's duplicate rule matches.
    Upsert {
        /// Email.
        #[arg(long)]
        email: Option<String>,
        /// Phone, E.164 (e.g. +353861234567).
        #[arg(long)]
        phone: Option<String>,
        /// First name.
        #[arg(long)]
        first_name: Option<String>,
        /// Last name.
        #[arg(long)]
        last_name: Option<String>,
    },
    /// Add or remove tags, leaving the contact's other tags alone.
    Tag {
        #[command(subcommand)]
        action: TagAction,
    },
}

#[derive(Debug, Subcommand)]
enum TagAction {
    /// Add tags to a contact.
    Add {
        /// The contact id.
        contact_id: String,
        /// The tags.
        #[arg(required = true)]
        tags: Vec<String>,
    },
    /// Remove tags from a contact.
    Remove {
        /// The contact id.
        contact_id: String,
        /// The tags.
        #[arg(required = true)]
        tags: Vec<String>,
    },
}

/// The client and, in sandbox mode, the sandbox it talks to (kept alive for the whole run).
struct Target {
    client: GhlClient,
    _sandbox: Option<GhlSandbox>,
}

fn env(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

async fn connect() -> Result<Target> {
    let location = env("GHL_LOCATION_ID");
    let token = env("GHL_PRIVATE_TOKEN");
    let scopes = env("GHL_SCOPES");
    let base_url = env("GHL_BASE_URL");
    match (location, token, scopes) {
        (None, None, None) if base_url.is_none() => {
            let sandbox = GhlSandbox::start(SandboxConfig::default()).await;
            let seeds = [
                json!({"firstName": "Ada", "lastName": "Lovelace", "email": "ada@example.com", "phone": "+353861000001", "tags": ["vip"]}),
                json!({"firstName": "Grace", "lastName": "Hopper", "email": "grace@example.com", "phone": "+353861000002"}),
                json!({"firstName": "Alan", "lastName": "Turing", "email": "alan@example.com"}),
            ];
            for seed in seeds {
                if let Err(body) = sandbox.seed_contact(seed) {
                    bail!("seeding the sandbox failed: {body}");
                }
            }
            let token = sandbox.issue_private_token(["contacts.readonly", "contacts.write"]);
            let client = sandbox.client_builder(&token).build()?;
            eprintln!(
                "No GHL_* credentials set: using the built-in GHL sandbox at {} (location {}), seeded with 3 contacts.",
                sandbox.base_url(),
                sandbox.location_id()
            );
            Ok(Target {
                client,
                _sandbox: Some(sandbox),
            })
        }
        (Some(location), Some(token), Some(scopes)) => {
            let auth = Auth::private_token(SecretString::from(token), Scope::parse_list(&scopes));
            let mut builder = GhlClient::builder()
                .location_id(location.as_str())
                .auth(auth);
            if let Some(url) = &base_url {
                builder = builder.base_url(url.as_str());
            }
            let client = builder.build()?;
            Ok(Target {
                client,
                _sandbox: None,
            })
        }
        (location, token, scopes) => {
            let missing: Vec<&str> = [
                ("GHL_LOCATION_ID", location.is_none()),
                ("GHL_PRIVATE_TOKEN", token.is_none()),
                ("GHL_SCOPES", scopes.is_none()),
            ]
            .into_iter()
            .filter_map(|(name, missing)| missing.then_some(name))
            .collect();
            Err(anyhow::Error::new(ConfigError(format!(
                "missing configuration: {} (set all three for the real API, or none of the \
                 GHL_* variables for the sandbox)",
                missing.join(", ")
            ))))
        }
    }
}

fn print_contact(contact: &Contact) {
    let name = contact
        .full_name()
        .map(str::to_owned)
        .or_else(|| {
            let parts: Vec<&str> = [contact.first_name.as_deref(), contact.last_name.as_deref()]
                .into_iter()
                .flatten()
                .collect();
            (!parts.is_empty()).then(|| parts.join(" "))
        })
        .unwrap_or_else(|| "(no name)".to_owned());
    println!(
        "{:<24} {:<24} {:<28} {:<16} [{}]",
        contact.id,
        name,
        contact.email.as_deref().unwrap_or("-"),
        contact.phone.as_deref().unwrap_or("-"),
        contact.tags.join(", ")
    );
}

async fn stream_contacts(client: &GhlClient, query: Option<String>) -> Result<(), Error> {
    let search = match query {
        Some(text) => SearchContacts::new().query(text),
        None => SearchContacts::new(),
    };
    let mut contacts = std::pin::pin!(client.contacts().search(search));
    let mut n = 0usize;
    while let Some(contact) = contacts.next().await {
        print_contact(&contact?);
        n += 1;
    }
    println!("{n} contact(s)");
    Ok(())
}

async fn run(client: &GhlClient, command: Command) -> Result<(), Error> {
    match command {
        Command::List => stream_contacts(client, None).await,
        Command::Search { query } => stream_contacts(client, Some(query)).await,
        Command::Upsert {
            email,
            phone,
            first_name,
            last_name,
        } => {
            let request = UpsertContact::new()
                .set_email(email)
                .set_phone(phone)
                .set_first_name(first_name)
                .set_last_name(last_name);
            let outcome = client.contacts().upsert(&request).await?;
            println!(
                "{} contact {}",
                match outcome.created {
                    Some(true) => "created",
                    Some(false) => "updated",
                    None => "upserted",
                },
                outcome.contact.id
            );
            print_contact(&outcome.contact);
            Ok(())
        }
        Command::Tag { action } => {
            let (adding, id, tags) = match action {
                TagAction::Add { contact_id, tags } => (true, contact_id, tags),
                TagAction::Remove { contact_id, tags } => (false, contact_id, tags),
            };
            let id = ContactId::from(id.as_str());
            let now = if adding {
                client.contacts().add_tags(&id, &tags).await?
            } else {
                client.contacts().remove_tags(&id, &tags).await?
            };
            println!(
                "{} {} tag(s) on {id}; its tags now: [{}]",
                if adding { "added" } else { "removed" },
                tags.len(),
                now.join(", ")
            );
            Ok(())
        }
    }
}

/// Explains a failed call; the messages come from `ghl_client::Error`, which never holds tokens.
fn explain(err: &Error) {
    match err {
        Error::DuplicateContact {
            existing_contact_id,
            matching_field,
            ..
        } => {
            eprintln!(
                "A contact with the same {} already exists{}. Use `upsert` (it updates the \
                 existing contact) or change the email/phone.",
                matching_field.as_deref().unwrap_or("email or phone"),
                existing_contact_id
                    .as_ref()
                    .map(|id| format!(" ({id})"))
                    .unwrap_or_default()
            );
        }
        Error::Validation { api } => {
            eprintln!("GHL rejected the input (HTTP {}):", api.status);
            for message in &api.messages {
                eprintln!("  - {message}");
            }
            if api.messages.is_empty() {
                eprintln!("  - {}", api.message);
            }
            eprintln!("Hint: upsert needs an email or a phone; phones are E.164 (+353…).");
        }
        Error::MissingScope { scope, message, .. } => {
            eprintln!(
                "The token lacks the scope {} ({message}). Add it to the Private Integration in \
                 GHL (Settings → Private Integrations) and list it in GHL_SCOPES.",
                scope.as_ref().map_or("this call needs", Scope::as_str)
            );
        }
        Error::MissingScopes { missing } => {
            let names: Vec<&str> = missing.iter().map(Scope::as_str).collect();
            eprintln!(
                "The token lacks the scopes {}; grant them and list them in GHL_SCOPES.",
                names.join(", ")
            );
        }
        Error::Unauthorized { message, .. } => {
            eprintln!(
                "GHL rejected the token in GHL_PRIVATE_TOKEN: {message}. It may be expired, \
                 revoked or for another location; check GHL_PRIVATE_TOKEN and GHL_LOCATION_ID."
            );
        }
        Error::NotFound { .. } => eprintln!("No such contact in this location."),
        other => eprintln!("GHL call failed: {other}"),
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match Args::try_parse() {
        Ok(args) => args,
        Err(err) => {
            let _ = err.print();
            // Usage errors exit 64 like the sync binary's; --help and --version exit 0.
            return ExitCode::from(if err.use_stderr() { 64 } else { 0 });
        }
    };
    let target = match connect().await {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: {e:#}");
            return ExitCode::from(phorest_ghl_examples::exit_code_for(&e, 4) as u8);
        }
    };
    match run(&target.client, args.command).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            explain(&err);
            ExitCode::FAILURE
        }
    }
}
