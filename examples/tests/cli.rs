//! The example binaries as a user runs them: configuration, usage and output-path errors are
//! found before the first request and exit with their documented codes; the messages name what
//! to fix. Each test spawns a binary (environment cleared) against the built-in sandboxes.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use phorest_client::mock::SalonSpec;
use sync_core::sandbox::{ALL_SCOPES, SandboxSetup, Sandboxes};

const SYNC: &str = env!("CARGO_BIN_EXE_phorest-ghl-sync");
const CONTACTS: &str = env!("CARGO_BIN_EXE_ghl-contacts");
const HOST: &str = env!("CARGO_BIN_EXE_custom-host");

fn all_scopes() -> String {
    ALL_SCOPES
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The variables that point the sync binary at the sandboxes.
fn sandbox_vars(sb: &Sandboxes) -> Vec<(&'static str, String)> {
    vec![
        ("PHOREST_REGION", sb.phorest.base_url()),
        ("PHOREST_BUSINESS_ID", sb.phorest.business_id().to_owned()),
        ("PHOREST_API_EMAIL", sb.phorest.email().to_owned()),
        ("PHOREST_API_PASSWORD", sb.phorest.password().to_owned()),
        ("GHL_BASE_URL", sb.ghl.base_url()),
        ("GHL_LOCATION_ID", sb.ghl.location_id().to_owned()),
        ("GHL_PRIVATE_TOKEN", sb.token.clone()),
        ("GHL_SCOPES", all_scopes()),
        ("GHL_CALENDAR_ID", sb.calendar_id.clone()),
    ]
}

/// The sync binary with a cleared environment, quiet, a JSON report and its state in `dir`.
fn sync(dir: &Path) -> Command {
    let mut cmd = Command::new(SYNC);
    cmd.env_clear()
        .current_dir(dir)
        .args(["-q", "--format", "json", "--state"])
        .arg(dir.join("state.db"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// Runs `cmd` off the async runtime's threads (the sandboxes answer on them).
async fn output(mut cmd: Command) -> Output {
    tokio::task::spawn_blocking(move || cmd.output().expect("spawn"))
        .await
        .expect("join")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

async fn small_sandboxes() -> Sandboxes {
    Sandboxes::start(SalonSpec::small(11), SandboxSetup::default()).await
}

/// No request of any kind reached either sandbox.
fn untouched(sb: &Sandboxes) {
    assert_eq!(sb.phorest.request_count(), 0, "a Phorest request was made");
    assert_eq!(sb.ghl.requests().len(), 0, "a GHL request was made");
}

// C10 -------------------------------------------------------------------------------------

#[test]
fn a_config_file_with_no_usable_line_is_refused_instead_of_running_the_demo() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("sync.env");
    for text in [
        "# only a comment\n\n",
        "",
        "PHOREST_BUSINESS_ID=\nGHL_SCOPES=''\n",
    ] {
        std::fs::write(&config, text).unwrap();
        let mut cmd = sync(dir.path());
        cmd.arg("--config").arg(&config);
        let out = cmd.output().unwrap();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(5), "{text:?}: {err}");
        assert!(err.contains("config file"), "{text:?}: {err}");
        assert!(
            !err.contains("built-in sandbox"),
            "{text:?} ran the demo: {err}"
        );
    }
}

#[test]
fn a_config_file_with_unknown_keys_is_refused_naming_every_one() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("sync.env");
    std::fs::write(
        &config,
        "PHOREST_BUSINESS_ID=b\nGHL_TOKEN=abc\nPHOREST_PASSWORD=secret\n",
    )
    .unwrap();
    let mut cmd = sync(dir.path());
    cmd.arg("--config").arg(&config);
    let out = cmd.output().unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(5), "{err}");
    assert!(err.contains("unknown keys"), "{err}");
    assert!(err.contains("GHL_TOKEN (line 2)"), "{err}");
    assert!(err.contains("PHOREST_PASSWORD (line 3)"), "{err}");
    assert!(!err.contains("secret"), "a value was printed: {err}");
}

#[test]
fn a_missing_config_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = sync(dir.path());
    cmd.arg("--config").arg(dir.path().join("nope.env"));
    let out = cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
    assert!(stderr(&out).contains("cannot read config file"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_config_file_with_a_bom_comments_and_single_quotes_is_used() {
    let sb = small_sandboxes().await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("sync.env");
    let mut text = String::from("\u{feff}# credentials for the sandbox\n");
    for (key, value) in sandbox_vars(&sb) {
        text.push_str(&format!("export {key}='{value}'   # {key} here\n"));
    }
    std::fs::write(&config, text).unwrap();
    let mut cmd = sync(dir.path());
    cmd.args(["--entities", "clients", "--config"]).arg(&config);
    let out = output(cmd).await;
    let err = stderr(&out);
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{:?}: {err}",
        out.status
    );
    assert!(!err.contains("built-in sandbox"), "{err}");
    assert!(!sb.ghl.contacts().is_empty(), "the file's GHL was not used");
}

// C13 -------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_ghl_token_names_its_variable_and_ghls_reason() {
    let sb = small_sandboxes().await;
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = sync(dir.path());
    cmd.envs(sandbox_vars(&sb))
        .env("GHL_PRIVATE_TOKEN", "pit-not-a-real-token");
    let out = output(cmd).await;
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(5), "{err}");
    assert!(err.contains("GHL_PRIVATE_TOKEN"), "{err}");
    assert!(err.contains("Invalid JWT"), "GHL's reason missing: {err}");
    assert!(!err.contains("not sending again"), "{err}");
    assert!(
        !err.contains("pit-not-a-real-token"),
        "the token was printed: {err}"
    );
    assert_eq!(sb.ghl.write_count(), 0);
}

// C14 -------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unwritable_fix_csv_path_is_refused_before_the_first_request() {
    let sb = small_sandboxes().await;
    let dir = tempfile::tempdir().unwrap();
    for bad in [
        dir.path().join("no-such-dir").join("fix.csv"),
        dir.path().to_path_buf(), // a directory
    ] {
        let mut cmd = sync(dir.path());
        cmd.envs(sandbox_vars(&sb)).arg("--fix-csv").arg(&bad);
        let out = output(cmd).await;
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(64), "{}: {err}", bad.display());
        assert!(err.contains("--fix-csv"), "{err}");
        untouched(&sb);
    }
    // So is a state file that cannot be created.
    let mut cmd = Command::new(SYNC);
    cmd.env_clear()
        .envs(sandbox_vars(&sb))
        .args(["-q", "--state"])
        .arg(dir.path().join("no-such-dir").join("state.db"));
    let out = output(cmd).await;
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(64), "{err}");
    assert!(err.contains("cannot open the state file"), "{err}");
    untouched(&sb);
    // The demo mode checks it too, before starting its sandboxes.
    let mut cmd = sync(dir.path());
    cmd.arg("--fix-csv")
        .arg(dir.path().join("no-such-dir").join("fix.csv"));
    let out = output(cmd).await;
    assert_eq!(out.status.code(), Some(64), "{}", stderr(&out));
    assert!(!stderr(&out).contains("built-in sandbox"));
}

#[test]
fn the_writability_check_leaves_no_file_and_keeps_an_existing_one() {
    let dir = tempfile::tempdir().unwrap();
    let fresh = dir.path().join("fresh.csv");
    phorest_ghl_examples::check_writable("--fix-csv", &fresh).unwrap();
    assert!(!fresh.exists(), "the probe file was left behind");
    let existing = dir.path().join("existing.csv");
    std::fs::write(&existing, "keep me").unwrap();
    phorest_ghl_examples::check_writable("--fix-csv", &existing).unwrap();
    assert_eq!(std::fs::read_to_string(&existing).unwrap(), "keep me");
}

// C16 -------------------------------------------------------------------------------------

#[test]
fn custom_host_every_zero_is_a_usage_error_not_a_panic() {
    for every in ["0s", "0", "0ms"] {
        let out = Command::new(HOST)
            .env_clear()
            .args(["--every", every, "--runs", "1"])
            .output()
            .unwrap();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(64), "{every}: {err}");
        assert!(err.contains("more than zero"), "{every}: {err}");
        assert!(!err.contains("panicked"), "{every}: {err}");
    }
    let out = Command::new(HOST)
        .env_clear()
        .args(["--runs", "0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(64), "{}", stderr(&out));
}

// C18 -------------------------------------------------------------------------------------

#[test]
fn usage_errors_exit_64_in_every_binary() {
    for bin in [SYNC, CONTACTS, HOST] {
        let out = Command::new(bin)
            .env_clear()
            .arg("--no-such-flag")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(64), "{bin}: {}", stderr(&out));
    }
}

#[test]
fn version_prints_each_binarys_own_name() {
    let version = env!("CARGO_PKG_VERSION");
    for (bin, name) in [
        (SYNC, "phorest-ghl-sync"),
        (CONTACTS, "ghl-contacts"),
        (HOST, "custom-host"),
    ] {
        let out = Command::new(bin)
            .env_clear()
            .arg("--version")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0));
        assert_eq!(stdout(&out).trim(), format!("{name} {version}"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_ghl_scopes_is_a_configuration_error() {
    let sb = small_sandboxes().await;
    let dir = tempfile::tempdir().unwrap();
    for empty in ["", "   "] {
        let mut cmd = sync(dir.path());
        cmd.envs(sandbox_vars(&sb)).env("GHL_SCOPES", empty);
        let out = output(cmd).await;
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(5), "{err}");
        assert!(err.contains("GHL_SCOPES"), "{err}");
        assert!(!err.contains("blocked"), "{err}");
        untouched(&sb);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn phorest_branches_restricts_the_branches_read() {
    let spec = SalonSpec {
        branches: 2,
        ..SalonSpec::small(13)
    };
    let sb = Sandboxes::start(spec, SandboxSetup::default()).await;
    let branches = sb.phorest.branch_ids().to_vec();
    assert_eq!(branches.len(), 2);
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = sync(dir.path());
    cmd.envs(sandbox_vars(&sb))
        .env("PHOREST_BRANCHES", format!(" {} ,", branches[1]))
        .args(["--entities", "staff,appointments"]);
    let out = output(cmd).await;
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{:?}: {}",
        out.status,
        stderr(&out)
    );
    let touched = |branch: &str| {
        sb.phorest
            .requests()
            .iter()
            .filter(|r| r.path.contains(&format!("/branch/{branch}/")))
            .count()
    };
    assert!(touched(&branches[1]) > 0, "the chosen branch was not read");
    assert_eq!(touched(&branches[0]), 0, "the other branch was read");

    // An unknown branch id is refused, not ignored.
    let mut cmd = sync(dir.path());
    cmd.envs(sandbox_vars(&sb))
        .env("PHOREST_BRANCHES", "no-such-branch")
        .args(["--entities", "staff"]);
    let out = output(cmd).await;
    assert_ne!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ghl_contacts_honours_ghl_base_url() {
    let ghl = ghl_client::mock::GhlSandbox::start(ghl_client::mock::SandboxConfig::default()).await;
    ghl.seed_contact(serde_json::json!({
        "firstName": "Base", "lastName": "Url", "email": "base.url@example.com"
    }))
    .unwrap();
    let token = ghl.issue_private_token(["contacts.readonly"]);
    let mut cmd = Command::new(CONTACTS);
    cmd.env_clear()
        .env("GHL_BASE_URL", ghl.base_url())
        .env("GHL_LOCATION_ID", ghl.location_id())
        .env("GHL_PRIVATE_TOKEN", &token)
        .env("GHL_SCOPES", "contacts.readonly")
        .arg("list")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let out = output(cmd).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("base.url@example.com"),
        "{}",
        stdout(&out)
    );
    assert!(!stderr(&out).contains("built-in GHL sandbox"));

    // A base URL alone is a partial configuration, not the sandbox.
    let mut cmd = Command::new(CONTACTS);
    cmd.env_clear()
        .env("GHL_BASE_URL", ghl.base_url())
        .arg("list")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let out = output(cmd).await;
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
    assert!(stderr(&out).contains("GHL_PRIVATE_TOKEN"));

    // A wrong token names the variable and GHL's reason.
    let mut cmd = Command::new(CONTACTS);
    cmd.env_clear()
        .env("GHL_BASE_URL", ghl.base_url())
        .env("GHL_LOCATION_ID", ghl.location_id())
        .env("GHL_PRIVATE_TOKEN", "wrong")
        .env("GHL_SCOPES", "contacts.readonly")
        .arg("list")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let out = output(cmd).await;
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("GHL_PRIVATE_TOKEN") && err.contains("Invalid JWT"),
        "{err}"
    );
}
