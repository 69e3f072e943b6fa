//! The first-contact probe: a handful of read-only Phorest requests that answer what the
//! fidelity evidence leaves unconfirmed for a tenant (see `docs/operations.md`, "Before the
//! first real sync"). It writes nothing, in Phorest or anywhere else.
//!
//! Each finding is what was seen, literally, and what it means for the sync. The checks that
//! need a human (a wall-clock time against the Phorest diary) print what to compare.

use std::collections::BTreeMap;

use anyhow::Result;
use chrono::{Duration, Utc};
use phorest_client::PhorestClient;
use serde::Serialize;
use serde_json::Value;

/// One thing the probe found.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Finding {
    /// Short key, stable for scripts (`flags`, `time_zone`, `page_size`, …).
    pub key: &'static str,
    /// What was seen, literally.
    pub seen: String,
    /// What it means for the sync.
    pub meaning: String,
}

/// Everything the probe found, and what it cost.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Findings {
    /// In the order they were checked.
    pub findings: Vec<Finding>,
    /// Phorest requests made (all reads).
    pub requests: u32,
}

impl Findings {
    /// The finding under `key`, if it was checked.
    pub fn get(&self, key: &str) -> Option<&Finding> {
        self.findings.iter().find(|f| f.key == key)
    }

    /// A plain-text listing, one finding per paragraph.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for f in &self.findings {
            out.push_str(&format!("{}: {}\n    → {}\n", f.key, f.seen, f.meaning));
        }
        out.push_str(&format!(
            "({} Phorest requests, all reads; nothing was written)\n",
            self.requests
        ));
        out
    }
}

struct Probe<'a> {
    phorest: &'a PhorestClient,
    requests: u32,
    findings: Vec<Finding>,
}

impl Probe<'_> {
    async fn get(&mut self, segments: &[&str], query: &[(&'static str, String)]) -> Result<Value> {
        self.requests += 1;
        Ok(self.phorest.get_raw(segments, query).await?)
    }

    fn note(&mut self, key: &'static str, seen: String, meaning: impl Into<String>) {
        self.findings.push(Finding {
            key,
            seen,
            meaning: meaning.into(),
        });
    }
}

fn total(page: &Value) -> Option<u64> {
    page["page"]["totalElements"].as_u64()
}

fn records<'v>(page: &'v Value, key: &str) -> Vec<&'v Value> {
    page["_embedded"][key]
        .as_array()
        .map(|a| a.iter().collect())
        .unwrap_or_default()
}

/// The shape of a timestamp as sent: `ISO …Z`, `ISO +0000 offset`, `epoch ms`, `date only`, …
fn timestamp_shape(value: &Value) -> String {
    match value {
        Value::Number(_) => "epoch milliseconds (a number)".to_owned(),
        Value::String(s) if s.len() == 10 => "date only (YYYY-MM-DD)".to_owned(),
        Value::String(s) => {
            let fraction = if s.contains('.') {
                " with fraction"
            } else {
                ""
            };
            let zone = if s.ends_with('Z') {
                "Z"
            } else if s.len() > 5 && s[s.len() - 5..].starts_with(['+', '-']) {
                "±HHMM offset"
            } else if s.len() > 6 && s[s.len() - 6..].starts_with(['+', '-']) {
                "±HH:MM offset"
            } else {
                "no zone"
            };
            format!("ISO date-time{fraction}, {zone}")
        }
        Value::Null => "null".to_owned(),
        other => format!("unexpected JSON ({other})"),
    }
}

/// Runs the first-contact checklist (fidelity §9) against `phorest`: about eight reads.
pub async fn probe(phorest: &PhorestClient) -> Result<Findings> {
    let mut p = Probe {
        phorest,
        requests: 0,
        findings: Vec::new(),
    };

    // 1. Do the archived/deleted flags change the client count?
    let plain = p.get(&["client"], &[("size", "1".into())]).await?;
    let flagged = p
        .get(
            &["client"],
            &[
                ("size", "1".into()),
                ("includeArchived", "true".into()),
                ("includeDeleted", "true".into()),
            ],
        )
        .await?;
    match (total(&plain), total(&flagged)) {
        (Some(a), Some(b)) if b > a => p.note(
            "flags",
            format!("{a} clients without the flags, {b} with includeArchived/includeDeleted"),
            "the flags work: deleted and archived clients reach the sync through the list",
        ),
        (Some(a), Some(b)) => p.note(
            "flags",
            format!("{a} clients without the flags, {b} with them"),
            "the flags change nothing here (no archived or deleted clients, or the flags are \
             ignored): the rolling re-check by id (client_recheck_per_run) is what catches \
             deletions; keep it on",
        ),
        _ => p.note(
            "flags",
            "no totalElements in the page".to_owned(),
            "the list's page metadata is missing: report this, the sync's paging checks need it",
        ),
    }

    // 2. Timestamp shapes (from the clients just read, and one page of 20).
    let sample = p.get(&["client"], &[("size", "20".into())]).await?;
    let mut shapes: BTreeMap<String, u32> = BTreeMap::new();
    for c in records(&sample, "clients") {
        for field in ["createdAt", "updatedAt"] {
            if let Some(v) = c.get(field) {
                *shapes.entry(timestamp_shape(v)).or_default() += 1;
            }
        }
    }
    let listed: Vec<String> = shapes.iter().map(|(s, n)| format!("{s} ×{n}")).collect();
    p.note(
        "timestamps",
        if listed.is_empty() {
            "no createdAt/updatedAt seen".to_owned()
        } else {
            listed.join("; ")
        },
        "phorest-client reads every shape listed in the fidelity reference; a shape marked \
         unexpected here would fail its records (they are reported, never dropped)",
    );

    // 3. Is size=200 honoured?
    let big = p.get(&["client"], &[("size", "200".into())]).await?;
    let served = records(&big, "clients").len() as u64;
    let reported = big["page"]["size"].as_u64();
    let all = total(&big).unwrap_or(0);
    let (seen, meaning) = if served >= 200 || served == all {
        (
            format!("size=200 served {served} of {all} (page.size {reported:?})"),
            "200 is honoured (or the business is smaller): the sync asks for 100 anyway",
        )
    } else {
        (
            format!("size=200 served {served} of {all} (page.size {reported:?})"),
            "a silent cap below 200: the sync asks for 100, and a consistent cap below what it \
             asks is detected during the walk and trusted when every record is read",
        )
    };
    p.note("page_size", seen, meaning);

    // 4. The client batch and an id that does not exist.
    let batch = p
        .get(
            &["client-batch"],
            &[("client_id", "probe-unknown-client-id".into())],
        )
        .await;
    match batch {
        Ok(page) => {
            let n = records(&page, "clients").len();
            p.note(
                "client_batch_unknown_id",
                format!("200 with {n} client(s)"),
                "an unknown id is simply absent: the sync treats an absence as unknown, never \
                 as a deletion",
            );
        }
        Err(err) => {
            p.note(
                "client_batch_unknown_id",
                format!("error: {err}"),
                "the batch refuses unknown ids: the re-check reads ids in batches, so one bad \
                 id could fail its batch; report this",
            );
        }
    }

    // 5. Branches: the literal time zone, and one appointment's wall-clock time.
    let branches = p.get(&["branch"], &[("size", "100".into())]).await?;
    let today = Utc::now().date_naive();
    for b in records(&branches, "branches") {
        let id = b["branchId"].as_str().unwrap_or("?").to_owned();
        let literal = b["timeZone"].clone();
        let meaning = match &literal {
            Value::String(z) => match phorest_client::parse_time_zone(z) {
                Ok(tz) if tz.name() == z => {
                    "an IANA zone: appointment times are placed in it".to_owned()
                }
                Ok(tz) => format!("not an IANA name; the sync reads it as {}", tz.name()),
                Err(_) => "not a zone the sync knows: this branch's appointment stages are \
                           blocked until it is fixed in Phorest"
                    .to_owned(),
            },
            _ => "missing: this branch's appointment stages are blocked".to_owned(),
        };
        p.note("time_zone", format!("branch {id}: {literal}"), meaning);

        let window = p
            .get(
                &["branch", &id, "appointment"],
                &[
                    ("from_date", (today - Duration::days(27)).to_string()),
                    ("to_date", today.to_string()),
                    ("size", "100".into()),
                    ("fetch_archived", "true".into()),
                ],
            )
            .await?;
        let appointments = records(&window, "appointments");
        let mut states: BTreeMap<String, u32> = BTreeMap::new();
        for a in &appointments {
            let state = a["activationState"].as_str().unwrap_or("(none)").to_owned();
            *states.entry(state).or_default() += 1;
        }
        let states: Vec<String> = states.iter().map(|(s, n)| format!("{s} ×{n}")).collect();
        p.note(
            "appointment_states",
            format!(
                "branch {id}, last 28 days (first page): {}",
                if states.is_empty() {
                    "no appointments".to_owned()
                } else {
                    states.join("; ")
                }
            ),
            "ARCHIVED appointments are kept out of GHL until their meaning is confirmed; look \
             one up in the Phorest diary to say what it is",
        );
        if let Some(a) = appointments.first() {
            p.note(
                "wall_clock",
                format!(
                    "appointment {} on {} starts at {} (startTime as sent)",
                    a["appointmentId"].as_str().unwrap_or("?"),
                    a["appointmentDate"].as_str().unwrap_or("?"),
                    a["startTime"]
                ),
                "open it in the Phorest diary: if the diary shows the same time, times are \
                 wall-clock in the branch's zone (what the sync assumes)",
            );
        }
    }
    p.note(
        "loyalty_updated_at",
        "not probed (it needs a sale, and the probe writes nothing)".to_owned(),
        "change one client's points with a sale, then run the probe's client read again: if \
         its updatedAt did not move, the rolling re-check is what keeps balances current",
    );
    Ok(Findings {
        findings: p.findings,
        requests: p.requests,
    })
}
