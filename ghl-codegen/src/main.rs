//! `ghl-codegen`: HighLevel's OpenAPI files → ghl-client's facts files → generated Rust.
//!
//! ```text
//! ghl-codegen facts [OPENAPI_DIR]   write ghl-client/spec/v2/*.json from the official files
//! ghl-codegen rust                  write ghl-client/src/api/*.rs from the facts files
//! ghl-codegen check                 fail when either differs from what is checked in
//! ```
//! `OPENAPI_DIR` defaults to `$GHL_OPENAPI_DIR`, then `../shared/ghl-openapi` (relative to the
//! workspace root). Paths are relative to the workspace root, whatever the working directory.

mod facts;
mod rust;
mod tests;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde_json::Value;

/// The number of operations of GHL API v2 in HighLevel's files (41 areas).
const V2_OPERATIONS: usize = 576;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace root")
        .to_path_buf()
}

fn spec_dir() -> PathBuf {
    root().join("ghl-client/spec/v2")
}

fn api_dir() -> PathBuf {
    root().join("ghl-client/src/api")
}

fn tests_dir() -> PathBuf {
    root().join("ghl-client/tests/api_operations")
}

const TEST_FILE: &str = "generated.rs";

fn openapi_dir(arg: Option<String>) -> PathBuf {
    arg.or_else(|| std::env::var("GHL_OPENAPI_DIR").ok())
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("../shared/ghl-openapi"))
}

/// Facts files from the OpenAPI documents: file name → content.
fn derive_facts(openapi: &Path) -> Result<BTreeMap<String, String>, String> {
    let apps = openapi.join("apps");
    let mut entries: Vec<PathBuf> = std::fs::read_dir(&apps)
        .map_err(|e| format!("{}: {e}", apps.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    entries.sort();
    let mut out = BTreeMap::new();
    let mut total = 0;
    for path in entries {
        let area = path
            .file_stem()
            .and_then(|s| s.to_str())
            .ok_or("bad file name")?
            .to_owned();
        let text =
            std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let doc: Value =
            serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        let facts = facts::area_facts(&area, &doc).map_err(|e| format!("{area}: {e}"))?;
        total += facts["operations"].as_array().map_or(0, Vec::len);
        out.insert(format!("{area}.json"), facts::render(&facts));
    }
    if total != V2_OPERATIONS {
        return Err(format!(
            "the official files hold {total} operations, expected {V2_OPERATIONS}"
        ));
    }
    Ok(out)
}

fn read_facts() -> Result<Vec<Value>, String> {
    let dir = spec_dir();
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|p| {
            let text = std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?;
            serde_json::from_str(&text).map_err(|e| format!("{}: {e}", p.display()))
        })
        .collect()
}

/// Rust files from the facts: file name → content.
fn derive_rust(all: &[Value]) -> Result<(BTreeMap<String, String>, rust::Stats), String> {
    let mut stats = rust::Stats::default();
    let mut out = BTreeMap::new();
    let mut areas = Vec::new();
    for facts in all {
        let area = facts["area"]
            .as_str()
            .ok_or("facts without area")?
            .to_owned();
        let title = facts["title"].as_str().unwrap_or(&area).to_owned();
        out.insert(
            format!("{}.rs", rust::snake(&area)),
            rust::area_module(facts, &mut stats),
        );
        areas.push((area, title));
    }
    if stats.operations != V2_OPERATIONS {
        return Err(format!(
            "the facts hold {} operations, expected {V2_OPERATIONS}",
            stats.operations
        ));
    }
    out.insert("mod.rs".to_owned(), rust::mod_rs(&areas));
    check_features(&areas)?;
    Ok((out, stats))
}

/// Every area has its feature in ghl-client's Cargo.toml, and `all-areas` names them all.
fn check_features(areas: &[(String, String)]) -> Result<(), String> {
    let manifest = std::fs::read_to_string(root().join("ghl-client/Cargo.toml"))
        .map_err(|e| format!("ghl-client/Cargo.toml: {e}"))?;
    let all = manifest
        .lines()
        .find(|l| l.starts_with("all-areas"))
        .ok_or("ghl-client/Cargo.toml has no all-areas feature")?;
    for (area, _) in areas {
        if !manifest
            .lines()
            .any(|l| l.starts_with(&format!("{area} = ")))
            || !all.contains(&format!("\"{area}\""))
        {
            return Err(format!(
                "ghl-client/Cargo.toml: add `{area} = []` and list it in all-areas"
            ));
        }
    }
    Ok(())
}

fn write_all(dir: &Path, files: &BTreeMap<String, String>) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    for (name, content) in files {
        std::fs::write(dir.join(name), content).map_err(|e| format!("{name}: {e}"))?;
    }
    Ok(())
}

/// Names of files that differ from (or are missing in) `dir`.
fn differences(dir: &Path, files: &BTreeMap<String, String>) -> Vec<String> {
    files
        .iter()
        .filter(|(name, content)| {
            std::fs::read_to_string(dir.join(name)).ok().as_ref() != Some(content)
        })
        .map(|(name, _)| dir.join(name).display().to_string())
        .collect()
}

fn run() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    match args.next().as_deref() {
        Some("facts") => {
            let files = derive_facts(&openapi_dir(args.next()))?;
            write_all(&spec_dir(), &files)?;
            eprintln!(
                "wrote {} facts files to {}",
                files.len(),
                spec_dir().display()
            );
            Ok(())
        }
        Some("rust") => {
            let (files, stats) = derive_rust(&read_facts()?)?;
            write_all(&api_dir(), &files)?;
            let tests = BTreeMap::from([(TEST_FILE.to_owned(), tests::test_file(&read_facts()?))]);
            write_all(&tests_dir(), &tests)?;
            eprintln!(
                "wrote {} files to {}: {stats:?}",
                files.len(),
                api_dir().display()
            );
            Ok(())
        }
        Some("check") => {
            let mut stale = Vec::new();
            let openapi = openapi_dir(args.next());
            if openapi.join("apps").is_dir() {
                stale.extend(differences(&spec_dir(), &derive_facts(&openapi)?));
            } else {
                eprintln!(
                    "note: {} not found; the facts are not compared with the official files",
                    openapi.display()
                );
            }
            let (files, stats) = derive_rust(&read_facts()?)?;
            stale.extend(differences(&api_dir(), &files));
            let tests = BTreeMap::from([(TEST_FILE.to_owned(), tests::test_file(&read_facts()?))]);
            stale.extend(differences(&tests_dir(), &tests));
            if stale.is_empty() {
                eprintln!("generated code is up to date ({stats:?})");
                Ok(())
            } else {
                Err(format!(
                    "out of date (run `cargo run -p ghl-codegen -- facts` and `-- rust`): {}",
                    stale.join(", ")
                ))
            }
        }
        _ => Err("usage: ghl-codegen facts [OPENAPI_DIR] | rust | check [OPENAPI_DIR]".to_owned()),
    }
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ghl-codegen: {e}");
            ExitCode::FAILURE
        }
    }
}
