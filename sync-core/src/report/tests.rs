//! Report invariants, statuses, exit codes and renderings.

use proptest::prelude::*;

use super::*;
use crate::mappers::SkipReason;

fn outcome_strategy() -> impl Strategy<Value = Outcome> {
    prop_oneof![
        Just(Outcome::Created),
        Just(Outcome::Updated),
        Just(Outcome::Unchanged),
        (".{0,20}", any::<bool>())
            .prop_map(|(reason, actionable)| Outcome::Skipped { reason, actionable }),
        ".{0,20}".prop_map(Outcome::Failed),
    ]
}

proptest! {
    #[test]
    fn totals_always_add_up(
        events in prop::collection::vec((0usize..EntityKind::ALL.len(), outcome_strategy(), any::<bool>()), 0..300)
    ) {
        let mut report = SyncReport::new(false);
        let mut expected_failed = 0u64;
        for (i, (k, outcome, warn)) in events.iter().enumerate() {
            let entity = EntityKind::ALL[*k];
            if matches!(outcome, Outcome::Failed(_)) {
                expected_failed += 1;
            }
            report.record(entity, &format!("id{i}"), None, outcome.clone());
            if *warn {
                report.warn(entity, &format!("id{i}"), "careful");
            }
        }
        prop_assert_eq!(report.check_invariants(), Ok(()));
        let total: u64 = report.entities.iter().map(|e| e.total).sum();
        prop_assert_eq!(total, events.len() as u64);
        let failed: u64 = report.entities.iter().map(|e| e.failed).sum();
        prop_assert_eq!(failed, expected_failed);
        // Rows are in stage order with no duplicates.
        let kinds: Vec<EntityKind> = report.entities.iter().map(|e| e.entity).collect();
        let mut sorted = kinds.clone();
        sorted.sort();
        sorted.dedup();
        prop_assert_eq!(kinds, sorted);
        report.finish(false);
        let expected_code = if expected_failed > 0 { 1 } else { 0 };
        prop_assert_eq!(report.exit_code(), expected_code);
    }
}

fn sample() -> SyncReport {
    let mut r = SyncReport::new(true);
    // Recorded out of order on purpose.
    r.record(
        EntityKind::Client,
        "c1",
        Some("Ann Byrne"),
        Outcome::Created,
    );
    r.record(
        EntityKind::Client,
        "c2",
        Some("=HYPERLINK(\"x\")"),
        Outcome::skipped(&SkipReason::NoContactPoint {
            email: None,
            phone: None,
        }),
    );
    r.record(
        EntityKind::Client,
        "c6",
        Some("Walk-in"),
        Outcome::skipped(&SkipReason::WalkIn),
    );
    r.record(
        EntityKind::Client,
        "c3",
        None,
        Outcome::Failed("GHL 422: property x should not exist".into()),
    );
    r.record(EntityKind::Client, "c4", None, Outcome::Unchanged);
    r.warn_labelled(
        EntityKind::Client,
        "c5",
        Some("Seán Ó Briain"),
        "invalid email left out; phone used",
    );
    r.record(
        EntityKind::Client,
        "c5",
        Some("Seán Ó Briain"),
        Outcome::Updated,
    );
    r.record(
        EntityKind::Staff,
        "-Vt_3GiaA",
        Some("Jo, \"the boss\""),
        Outcome::Created,
    );
    r.block(
        EntityKind::Product,
        "missing scope products.write: reinstall the app with it",
    );
    r.block(
        EntityKind::Product,
        "missing scope products.write: reinstall the app with it",
    );
    r.add_requests(EntityKind::Client, 2);
    r.add_requests(EntityKind::Client, 1);
    r.set_stage(EntityKind::Staff, StageStatus::Completed);
    r.set_stage(EntityKind::Client, StageStatus::Completed);
    // A block is not overwritten by a later status.
    r.set_stage(EntityKind::Product, StageStatus::Completed);
    r
}

#[test]
fn counters_order_and_status() {
    let mut r = sample();
    assert_eq!(r.check_invariants(), Ok(()));
    let kinds: Vec<EntityKind> = r.entities.iter().map(|e| e.entity).collect();
    assert_eq!(
        kinds,
        [EntityKind::Staff, EntityKind::Client, EntityKind::Product]
    );
    let c = r.entity(EntityKind::Client).unwrap();
    assert_eq!(
        (
            c.total,
            c.created,
            c.updated,
            c.unchanged,
            c.skipped,
            c.failed,
            c.warnings,
            c.requests
        ),
        (6, 1, 1, 1, 2, 1, 1, 3)
    );
    let p = r.entity(EntityKind::Product).unwrap();
    assert_eq!(
        p.blocked(),
        Some("missing scope products.write: reinstall the app with it")
    );
    assert_eq!(p.total, 0);
    assert!(r.entity(EntityKind::Booking).is_none());
    assert_eq!(r.status, RunStatus::Running);
    r.finish(false);
    assert_eq!(r.status, RunStatus::PartiallyBlocked);
    assert!(r.finished_at.is_some());
    assert_eq!(r.exit_code(), 2);
}

#[test]
fn status_and_exit_codes() {
    let mut ok = SyncReport::new(false);
    ok.record(EntityKind::Staff, "s", None, Outcome::Created);
    ok.warn(EntityKind::Staff, "s", "no GHL user; fallback used");
    ok.finish(false);
    assert_eq!((ok.status, ok.exit_code()), (RunStatus::Completed, 0));

    let mut errs = SyncReport::new(false);
    errs.record(EntityKind::Staff, "s", None, Outcome::Failed("500".into()));
    errs.finish(false);
    assert_eq!(
        (errs.status, errs.exit_code()),
        (RunStatus::CompletedWithErrors, 1)
    );

    let mut cancelled = sample();
    cancelled.finish(true);
    assert_eq!(
        (cancelled.status, cancelled.exit_code()),
        (RunStatus::Cancelled, 3)
    );

    let mut failed = sample();
    failed.set_stage(EntityKind::Client, StageStatus::Running);
    failed.fail(RunFailure::Store {
        message: "mapping store unavailable".into(),
    });
    failed.finish(false);
    assert_eq!((failed.status, failed.exit_code()), (RunStatus::Failed, 4));
    assert_eq!(
        failed.failure,
        Some(RunFailure::Store {
            message: "mapping store unavailable".into()
        })
    );
    assert_eq!(
        failed.entity(EntityKind::Client).unwrap().stage,
        StageStatus::Interrupted,
        "a stage running when the run failed is interrupted"
    );

    let human = SyncReport::not_started(
        false,
        RunFailure::TokenInvalid {
            message: "Invalid JWT".into(),
        },
    );
    assert_eq!((human.status, human.exit_code()), (RunStatus::Failed, 5));
    let held = SyncReport::not_started(
        false,
        RunFailure::LeaseHeld {
            holder: "run-1".into(),
            expires_at: Utc::now(),
        },
    );
    assert_eq!(held.exit_code(), 6);

    let mut incomplete = SyncReport::new(false);
    incomplete.record(EntityKind::Client, "c", None, Outcome::Created);
    incomplete.set_stage(
        EntityKind::Client,
        StageStatus::Incomplete("page 3 repeated page 2".into()),
    );
    incomplete.finish(false);
    assert_eq!(
        (incomplete.status, incomplete.exit_code()),
        (RunStatus::Incomplete, 1)
    );

    let mut blocked_twice = SyncReport::new(false);
    blocked_twice.block(EntityKind::Appointment, "calendar cal1 not found");
    blocked_twice.block(EntityKind::Appointment, "no GHL users");
    assert_eq!(
        blocked_twice
            .entity(EntityKind::Appointment)
            .unwrap()
            .blocked(),
        Some("calendar cal1 not found; no GHL users")
    );
}

#[test]
fn invariant_violations_are_reported() {
    let mut r = sample();
    r.entities[1].created += 1;
    let err = r.check_invariants().unwrap_err();
    assert!(err.starts_with("client: total 6"), "{err}");

    let mut r = sample();
    r.issues.retain(|i| i.severity != Severity::Warning);
    assert!(r.check_invariants().unwrap_err().contains("warnings"));
}

#[cfg(feature = "render")]
#[test]
fn table_has_every_column_and_row() {
    let table = sample().to_table();
    for needle in [
        "Entity",
        "Total",
        "Created",
        "Updated",
        "Unchanged",
        "Skipped",
        "Failed",
        "Status",
    ] {
        assert!(table.contains(needle), "{needle} missing in\n{table}");
    }
    let lines: Vec<&str> = table.lines().collect();
    let staff = lines.iter().position(|l| l.contains("Staff")).unwrap();
    let clients = lines.iter().position(|l| l.contains("Clients")).unwrap();
    let products = lines.iter().position(|l| l.contains("Products")).unwrap();
    assert!(staff < clients && clients < products);
    let client_cells: Vec<&str> = lines[clients]
        .split(['│', '┆'])
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    assert_eq!(
        client_cells,
        [
            "Clients",
            "6",
            "1",
            "1",
            "1",
            "2",
            "1",
            "Partial (1 failed, 1 warnings)"
        ]
    );
    assert!(lines[products].contains("Blocked: missing scope products.write"));
    assert!(lines[staff].contains("OK"));
}

#[test]
fn json_round_trips() {
    let mut r = sample();
    r.fail(RunFailure::DailyBudgetExhausted { resets_at: None });
    let json = r.to_json().unwrap();
    let back: SyncReport = serde_json::from_str(&json).unwrap();
    assert_eq!(back, r);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["dry_run"], true);
    assert_eq!(v["status"], "failed");
    assert_eq!(v["failure"]["kind"], "daily_budget_exhausted");
    assert_eq!(v["entities"][2]["stage"]["state"], "blocked");
    assert_eq!(v["entities"][1]["entity"], "client");
    assert_eq!(v["issues"][0]["severity"], "skipped");
    assert_eq!(v["issues"][0]["reason"], "no email or phone");
    assert_eq!(v["issues"][0]["actionable"], true);
    assert_eq!(v["issues"][1]["actionable"], false);
    // Reports written before `actionable` existed still load (as actionable).
    let mut old = v.clone();
    for issue in old["issues"].as_array_mut().unwrap() {
        issue.as_object_mut().unwrap().remove("actionable");
    }
    let back: SyncReport = serde_json::from_value(old).unwrap();
    assert!(back.issues.iter().all(|i| i.actionable));
}

#[cfg(feature = "render")]
#[test]
fn fix_csv_lists_actionable_issues_safely() {
    let csv_text = sample().to_fix_csv();
    let mut rdr = csv::Reader::from_reader(csv_text.as_bytes());
    assert_eq!(
        rdr.headers().unwrap().iter().collect::<Vec<_>>(),
        ["entity", "phorest_id", "label", "severity", "reason"]
    );
    let rows: Vec<Vec<String>> = rdr
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    assert_eq!(
        rows,
        vec![
            vec![
                "client",
                "c2",
                "'=HYPERLINK(\"x\")",
                "skipped",
                "no email or phone"
            ],
            vec![
                "client",
                "c3",
                "",
                "failed",
                "GHL 422: property x should not exist"
            ],
            vec![
                "client",
                "c5",
                "Seán Ó Briain",
                "warning",
                "invalid email left out; phone used"
            ],
        ]
    );
}

#[test]
fn issues_are_bounded_but_counters_exact() {
    let mut r = SyncReport::new(false);
    let n = MAX_ISSUES + 5;
    for i in 0..n {
        r.record(
            EntityKind::Client,
            &i.to_string(),
            None,
            Outcome::skipped_expected("no email or phone"),
        );
    }
    assert_eq!(r.issues.len(), MAX_ISSUES);
    assert_eq!(r.issues_dropped, 5);
    assert_eq!(r.entity(EntityKind::Client).unwrap().skipped, n as u64);
    assert_eq!(r.check_invariants(), Ok(()));
}
