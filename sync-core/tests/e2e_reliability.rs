//! End-to-end: no record lost or duplicated, and no bad record, bad page or misconfiguration
//! stops or poisons a sync. Each test reproduces one fault against the sandboxes (hostile Phorest
//! modes, GHL state changed behind the sync's back, misconfigured and overlapping runs) and
//! asserts the final GHL state and the report.
#![cfg(feature = "mock")]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use phorest_client::mock::{BodyFault, Hostile, ListKind, SalonSpec};
use serde_json::Value;
use sync_core::sandbox::{SandboxSetup, Sandboxes};
use sync_core::store::{KvStore, LeaseGrant, LeaseStore, MappingStore};
use sync_core::{
    CancellationToken, CheckpointStore, EntityKind, MappingState, MemoryStore, RunFailure,
    RunStatus, StageStatus, SyncConfig, SyncReport,
};

use common::run;

/// A salon with several client pages (the page walk has something to get wrong).
fn paged_salon(seed: u64) -> SalonSpec {
    let mut spec = SalonSpec::small(seed);
    spec.clients = 330;
    spec.loyalty_cards = 200;
    spec
}

/// Client id → number of GHL contacts carrying its id tag (contacts the sync created).
fn contacts_by_client(sb: &Sandboxes) -> BTreeMap<String, usize> {
    let mut out: BTreeMap<String, usize> = BTreeMap::new();
    for c in sb.ghl.contacts() {
        for t in c["tags"].as_array().into_iter().flatten() {
            if let Some(id) = t
                .as_str()
                .and_then(|t| t.strip_prefix("phorest-client-id:"))
            {
                *out.entry(id.to_owned()).or_default() += 1;
            }
        }
    }
    out
}

fn assert_no_duplicate_contacts(sb: &Sandboxes) {
    let dupes: Vec<_> = contacts_by_client(sb)
        .into_iter()
        .filter(|(_, n)| *n > 1)
        .collect();
    assert!(dupes.is_empty(), "clients with several contacts: {dupes:?}");
}

fn row(report: &SyncReport, entity: EntityKind) -> &sync_core::report::EntityReport {
    report
        .entity(entity)
        .unwrap_or_else(|| panic!("no {entity} row in\n{}", report.to_table()))
}

/// What an undisturbed sync of the same salon stores: contacts per client and the number of
/// appointments.
async fn undisturbed(spec: SalonSpec, config: SyncConfig) -> (BTreeSet<String>, usize) {
    let sb = Sandboxes::start(spec, SandboxSetup::default()).await;
    let report = run(&sb, &MemoryStore::new(), config).await;
    assert_eq!(report.status, RunStatus::Completed, "{}", report.to_table());
    (
        contacts_by_client(&sb).into_keys().collect(),
        sb.ghl.appointments().len(),
    )
}

// A1 — a blocked or unselected stage never advances another stage's checkpoint.

#[tokio::test]
async fn an_unselected_or_blocked_appointment_stage_does_not_lose_appointments() {
    let spec = || SalonSpec::small(41);
    let (_, expected) = undisturbed(spec(), SyncConfig::default()).await;
    assert!(expected > 0);

    // Unselected: clients and check-ins only, then everything.
    let sb = Sandboxes::start(spec(), SandboxSetup::default()).await;
    let store = MemoryStore::new();
    let partial = run(
        &sb,
        &store,
        SyncConfig::only([EntityKind::Client, EntityKind::CheckIn]),
    )
    .await;
    assert_eq!(sb.ghl.appointments().len(), 0);
    assert_eq!(
        row(&partial, EntityKind::CheckIn).stage,
        StageStatus::Completed
    );
    assert!(partial.entity(EntityKind::Appointment).is_none());
    let full = run(&sb, &store, SyncConfig::default()).await;
    assert_eq!(full.status, RunStatus::Completed, "{}", full.to_table());
    assert_eq!(
        sb.ghl.appointments().len(),
        expected,
        "the check-in run did not advance the appointments' checkpoint"
    );

    // Blocked: no calendar configured (the stage is blocked, the others run), then the
    // calendar is set.
    let sb = Sandboxes::start(spec(), SandboxSetup::default()).await;
    let store = MemoryStore::new();
    let plan = sb
        .plan_builder_with(SyncConfig::default(), |b| b)
        .store(store.clone())
        .build()
        .unwrap();
    let mut no_calendar = SyncConfig::default();
    no_calendar.calendar_id = None;
    let blocked = {
        let mut config = plan.config().clone();
        config.calendar_id = None;
        // `plan_builder` fills in the sandbox's calendar; build this plan by hand.
        let phorest = sb.phorest.client_builder().build().unwrap();
        let ghl = sb.ghl.client_builder(&sb.token).build().unwrap();
        let plan = sync_core::SyncPlan::builder(config, phorest, ghl)
            .store(store.clone())
            .build()
            .unwrap();
        plan.run(CancellationToken::new()).await
    };
    assert!(
        row(&blocked, EntityKind::Appointment)
            .blocked()
            .is_some_and(|r| r.contains("calendar")),
        "{}",
        blocked.to_table()
    );
    assert_eq!(blocked.exit_code(), 2);
    assert_eq!(sb.ghl.appointments().len(), 0);
    let fixed = run(&sb, &store, SyncConfig::default()).await;
    assert_eq!(fixed.status, RunStatus::Completed, "{}", fixed.to_table());
    assert_eq!(sb.ghl.appointments().len(), expected);
}

// A2 — one run per GHL location at a time; a killed run's lease expires.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overlapping_runs_on_one_location_are_refused_and_duplicate_nothing() {
    let spec = || SalonSpec::small(42);
    let (expected_clients, expected_appointments) =
        undisturbed(spec(), SyncConfig::default()).await;
    let sb = Sandboxes::start(spec(), SandboxSetup::default()).await;
    let store = MemoryStore::new();
    let plan = |store: &MemoryStore| {
        sb.plan_builder(SyncConfig::default())
            .store(store.clone())
            .build()
            .unwrap()
    };
    let (a, b) = (plan(&store), plan(&store));
    let (ra, rb) = tokio::join!(
        a.run(CancellationToken::new()),
        b.run(CancellationToken::new())
    );
    let (ran, refused) = if ra.failure.is_some() {
        (rb, ra)
    } else {
        (ra, rb)
    };
    assert_eq!(ran.status, RunStatus::Completed, "{}", ran.to_table());
    assert!(
        matches!(refused.failure, Some(RunFailure::LeaseHeld { .. })),
        "{:?}",
        refused.failure
    );
    assert_eq!(refused.exit_code(), 6);
    assert!(refused.entities.iter().all(|r| r.total == 0));
    assert_no_duplicate_contacts(&sb);
    let clients: BTreeSet<String> = contacts_by_client(&sb).into_keys().collect();
    assert_eq!(clients, expected_clients);
    assert_eq!(sb.ghl.appointments().len(), expected_appointments);
}

#[tokio::test]
async fn a_killed_runs_lease_expires_and_the_next_run_waits_for_it() {
    let sb = Sandboxes::start(SalonSpec::small(43), SandboxSetup::default()).await;
    let store = MemoryStore::new();
    // A run that was killed: it took the lease and never renewed it.
    let key = format!("location:{}", sb.ghl.location_id());
    let grant = store
        .acquire_lease(&key, "killed run", chrono::Duration::milliseconds(400))
        .await
        .unwrap();
    assert!(matches!(grant, LeaseGrant::Acquired(_)));
    let refused = run(&sb, &store, SyncConfig::default()).await;
    assert!(matches!(
        refused.failure,
        Some(RunFailure::LeaseHeld { ref holder, .. }) if holder == "killed run"
    ));
    assert_eq!(sb.ghl.write_count(), 0, "a refused run writes nothing");
    let mut waiting = SyncConfig::default();
    waiting.lease_wait = Some(Duration::from_secs(20));
    let report = run(&sb, &store, waiting).await;
    assert_eq!(report.status, RunStatus::Completed, "{}", report.to_table());
    assert!(sb.ghl.write_count() > 0);
}

// A3 — a write never changes a GHL contact another Phorest record owns.

#[tokio::test]
async fn a_client_taking_another_clients_email_mid_run_never_overwrites_its_contact() {
    let sb = Sandboxes::start(paged_salon(44), SandboxSetup::default()).await;
    let store = MemoryStore::new();
    // Y (first page) has an email; X (last page) takes it after the identity index was built:
    // the first pages of the client list are read by the index, then again by the sync.
    let (y, y_email, x) = sb.phorest.with_salon(|s| {
        let clients = s.clients();
        let y = clients
            .iter()
            .find(|c| {
                c.email.as_deref().is_some_and(|e| e.contains('@'))
                    && !c.deleted
                    && !c.archived
                    && c.merged_to_client_id.is_none()
            })
            .unwrap();
        let x = clients
            .iter()
            .rev()
            .find(|c| {
                !c.deleted && !c.archived && c.merged_to_client_id.is_none() && c.mobile.is_some()
            })
            .unwrap();
        (
            y.client_id.clone(),
            y.email.clone().unwrap(),
            x.client_id.clone(),
        )
    });
    let pages = 330_usize.div_ceil(100);
    let (x2, email) = (x.clone(), y_email.clone());
    // The index reads `pages` pages; the hook fires as the sync's own first page is served.
    sb.phorest
        .on_page_served(ListKind::Clients, pages + 1, move |salon| {
            salon.update_client(&x2, chrono::Utc::now(), |c| c.email = Some(email));
        });
    let report = run(&sb, &store, SyncConfig::only([EntityKind::Client])).await;
    assert!(
        sb.phorest.hostile_stats().hooks_run > 0,
        "the edit happened mid-run"
    );
    // Y's contact still carries Y's data and belongs to Y alone.
    let y_contact = store.get(EntityKind::Client, &y).await.unwrap().unwrap();
    let contact_id = y_contact.ghl_id.clone().unwrap();
    let contact: Value = sb
        .ghl
        .contacts()
        .into_iter()
        .find(|c| c["id"] == contact_id.as_str())
        .unwrap();
    assert_eq!(
        contact["email"].as_str().map(str::to_lowercase),
        Some(y_email.to_lowercase())
    );
    let owner = store
        .owner_of(sync_core::entity::GhlObject::Contact, &contact_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(owner.phorest_id, y);
    // X either synced without the email (Y keeps it) or failed naming both.
    let x_mapping = store.get(EntityKind::Client, &x).await.unwrap();
    if let Some(m) = &x_mapping {
        assert_ne!(m.ghl_id.as_deref(), Some(contact_id.as_str()));
    }
    if let Some(issue) = report
        .issues
        .iter()
        .find(|i| i.phorest_id == x && i.severity == sync_core::report::Severity::Failed)
    {
        assert!(issue.reason.contains(&contact_id), "{}", issue.reason);
    }
    assert_no_duplicate_contacts(&sb);
}

#[tokio::test]
async fn two_records_matching_one_existing_contact_never_share_it() {
    let sb = Sandboxes::start(SalonSpec::small(45), SandboxSetup::default()).await;
    // The location already has a contact with one client's email and another's phone.
    let (a, b, email, phone) = sb.phorest.with_salon(|s| {
        let live: Vec<_> = s
            .clients()
            .iter()
            .filter(|c| !c.deleted && !c.archived && c.merged_to_client_id.is_none())
            .collect();
        let a = live
            .iter()
            .find(|c| c.email.as_deref().is_some_and(|e| e.contains('@')))
            .unwrap();
        let b = live
            .iter()
            .find(|c| c.client_id != a.client_id && c.email.is_none() && c.mobile.is_some())
            .unwrap();
        (
            a.client_id.clone(),
            b.client_id.clone(),
            a.email.clone().unwrap(),
            b.mobile.clone().unwrap(),
        )
    });
    let store = MemoryStore::new();
    // Phones are normalised by the sync; seed the contact the way GHL holds them.
    let first = run(&sb, &store, SyncConfig::only([EntityKind::Client])).await;
    let b_phone: String = {
        let m = store.get(EntityKind::Client, &b).await.unwrap().unwrap();
        let c = sb
            .ghl
            .contacts()
            .into_iter()
            .find(|c| Some(c["id"].as_str().unwrap()) == m.ghl_id.as_deref())
            .unwrap();
        c["phone"].as_str().unwrap().to_owned()
    };
    let _ = (first, phone);
    // Start again on a location that holds one contact with A's email and B's phone.
    let sb = Sandboxes::start(SalonSpec::small(45), SandboxSetup::default()).await;
    let seeded = sb
        .ghl
        .seed_contact(serde_json::json!({
            "firstName": "Shared", "email": email, "phone": b_phone, "tags": ["salon-own"]
        }))
        .unwrap();
    let shared = seeded["id"].as_str().unwrap().to_owned();
    let store = MemoryStore::new();
    let report = run(&sb, &store, SyncConfig::only([EntityKind::Client])).await;
    let owners: Vec<String> = [&a, &b]
        .into_iter()
        .filter(|id| {
            futures::executor::block_on(store.get(EntityKind::Client, id))
                .unwrap()
                .and_then(|m| m.ghl_id)
                .as_deref()
                == Some(shared.as_str())
        })
        .cloned()
        .collect();
    assert_eq!(
        owners.len(),
        1,
        "exactly one record owns the shared contact"
    );
    let loser = if owners[0] == a { &b } else { &a };
    let issue = report
        .issues
        .iter()
        .find(|i| &i.phorest_id == loser)
        .expect("the other record is reported");
    assert!(issue.reason.contains(&shared), "{}", issue.reason);
    // The salon's tag survived the adoption.
    let contact = sb
        .ghl
        .contacts()
        .into_iter()
        .find(|c| c["id"] == shared.as_str())
        .unwrap();
    assert!(
        contact["tags"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t == "salon-own")
    );
}

// A4, A5 — paging anomalies never drop or duplicate records silently.

async fn hostile_then_clean(hostile: Hostile, expect_incomplete: bool) {
    let spec = || paged_salon(46);
    let (expected, _) = undisturbed(spec(), SyncConfig::only([EntityKind::Client])).await;
    let sb = Sandboxes::start(spec(), SandboxSetup::default()).await;
    let store = MemoryStore::new();
    // The identity index reads the list first: build it cleanly, then make the sync's own read
    // hostile.
    run(&sb, &store, SyncConfig::only([EntityKind::Staff])).await;
    let clients = SyncConfig::only([EntityKind::Client]);
    // First run on a clean list builds the index and syncs everything...
    let mut fresh = clients.clone();
    fresh.full_refresh = true;
    sb.phorest.set_hostile(hostile);
    let first = run(&sb, &store, fresh).await;
    let stats = sb.phorest.hostile_stats();
    assert!(
        stats.pages_emptied
            + stats.pages_repeated
            + stats.records_duplicated
            + stats.totals_understated
            > 0,
        "the fault happened: {stats:?}"
    );
    let client_row = row(&first, EntityKind::Client);
    if expect_incomplete {
        assert!(
            matches!(client_row.stage, StageStatus::Incomplete(_)),
            "{}",
            first.to_table()
        );
        assert_eq!(first.status, RunStatus::Incomplete);
        assert_eq!(first.exit_code(), 1);
    }
    assert_no_duplicate_contacts(&sb);
    // ...and the next, clean run recovers what the hostile one could not read.
    sb.phorest.clear_hostile();
    let second = run(&sb, &store, clients).await;
    assert_eq!(
        second.status,
        RunStatus::Completed,
        "{}\n{:#?}",
        second.to_table(),
        second
            .issues
            .iter()
            .filter(|i| i.severity == sync_core::report::Severity::Failed)
            .collect::<Vec<_>>()
    );
    assert_no_duplicate_contacts(&sb);
    let got: BTreeSet<String> = contacts_by_client(&sb).into_keys().collect();
    let missing: Vec<_> = expected.difference(&got).collect();
    assert!(missing.is_empty(), "clients not synced: {missing:?}");
    // A client the hostile run could not see may be older than another with the same email or
    // phone: the one synced in its place then gives it up. Its contact stays (history), without
    // the shared email or phone, and it is reported skipped.
    for extra in got.difference(&expected) {
        let contact = sb
            .ghl
            .contacts()
            .into_iter()
            .find(|c| {
                c["tags"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|t| t.as_str() == Some(format!("phorest-client-id:{extra}").as_str()))
            })
            .unwrap();
        assert!(
            contact["email"].is_null() && contact["phone"].is_null(),
            "{extra}: {contact}"
        );
        assert!(
            second
                .issues
                .iter()
                .any(|i| i.phorest_id.to_lowercase() == *extra && i.reason.contains("shared")),
            "{extra} is reported as sharing an identifier"
        );
    }
}

#[tokio::test]
async fn an_empty_page_in_the_middle_is_detected_and_recovered() {
    hostile_then_clean(Hostile::new(1).empty_page(ListKind::Clients, 1), true).await;
}

#[tokio::test]
async fn an_understated_page_count_is_detected_or_probed_and_recovered() {
    hostile_then_clean(
        Hostile::new(2).understate_total_pages(ListKind::Clients),
        false,
    )
    .await;
}

#[tokio::test]
async fn a_repeated_page_is_detected_and_recovered() {
    hostile_then_clean(
        Hostile::new(3).repeat_previous_page(ListKind::Clients, 2),
        true,
    )
    .await;
}

#[tokio::test]
async fn the_same_client_served_twice_makes_one_contact() {
    hostile_then_clean(
        Hostile::new(4)
            .duplicate_within_page(ListKind::Clients, 0)
            .duplicate_across_pages(ListKind::Clients, 2),
        true,
    )
    .await;
}

// B7 — a record that cannot be decoded fails alone, with its id and the bad field.

#[tokio::test]
async fn a_malformed_client_and_appointment_fail_alone() {
    let sb = Sandboxes::start(SalonSpec::small(47), SandboxSetup::default()).await;
    let recent = chrono::Utc::now().date_naive() - chrono::Duration::days(300);
    let (client, appointment) = sb.phorest.with_salon(|s| {
        (
            s.clients()[3].client_id.clone(),
            // One inside the sync's horizon.
            s.appointments()
                .iter()
                .find(|a| a.appointment_date >= recent)
                .expect("an appointment in the horizon")
                .appointment_id
                .clone(),
        )
    });
    sb.phorest.set_hostile(
        Hostile::new(5)
            .bad_client_birth_date(client.clone())
            .bad_appointment_start_time(appointment.clone()),
    );
    let store = MemoryStore::new();
    let report = run(&sb, &store, SyncConfig::default()).await;
    assert!(sb.phorest.hostile_stats().records_bent >= 2);
    let failed = |id: &str| {
        report
            .issues
            .iter()
            .find(|i| i.phorest_id == id && i.severity == sync_core::report::Severity::Failed)
            .map(|i| i.reason.clone())
    };
    let reason = failed(&client).expect("the malformed client failed");
    assert!(reason.contains("birthDate"), "{reason}");
    let reason = failed(&appointment).unwrap_or_else(|| {
        panic!(
            "the malformed appointment failed: {:?} {:?}",
            sb.phorest.hostile_stats(),
            report
                .issues
                .iter()
                .filter(|i| i.severity == sync_core::report::Severity::Failed)
                .collect::<Vec<_>>()
        )
    });
    assert!(reason.contains("startTime"), "{reason}");
    // Everything else synced: the stages completed and nothing else failed.
    assert_eq!(
        row(&report, EntityKind::Client).stage,
        StageStatus::Completed
    );
    assert_eq!(row(&report, EntityKind::Client).failed, 1);
    assert!(row(&report, EntityKind::Client).created > 10);
    assert!(row(&report, EntityKind::Appointment).created > 5);
    assert_eq!(report.status, RunStatus::CompletedWithErrors);
}

/// B7 — a record served undecodable is not settled: the id in it cannot be trusted, and the
/// record may read fine next time. The stage keeps its watermark, so the next run reads the
/// record again even though it has not changed since (found by the property test: a client
/// served with a wrong-typed `clientId` once never got its loyalty tier).
#[tokio::test]
async fn a_record_that_once_failed_to_decode_is_read_again_until_it_syncs() {
    let sb = Sandboxes::start(SalonSpec::small(49), SandboxSetup::default()).await;
    let store = MemoryStore::new();
    let mut config = SyncConfig::default();
    // No overlap: only the held watermark can bring the edited records back.
    config.watermark_overlap = chrono::Duration::zero();
    let first = run(&sb, &store, config.clone()).await;
    assert_eq!(first.status, RunStatus::Completed, "{}", first.to_table());

    // Two clients edited, then served unreadable: one with its id itself garbled, one with a
    // bad field (id readable).
    let (garbled, bad_field) = sb.phorest.with_salon(|s| {
        (
            s.clients()[4].client_id.clone(),
            s.clients()[6].client_id.clone(),
        )
    });
    for (id, name) in [(&garbled, "Garbled"), (&bad_field, "Badfield")] {
        sb.phorest
            .update_client(id, |c| c.first_name = name.to_owned());
    }
    tokio::time::sleep(Duration::from_millis(20)).await;
    sb.phorest.set_hostile(
        Hostile::new(7)
            .override_field(
                ListKind::Clients,
                garbled.clone(),
                "clientId",
                Value::from(4711),
            )
            .bad_client_birth_date(bad_field.clone()),
    );
    let second = run(&sb, &store, config.clone()).await;
    assert!(sb.phorest.hostile_stats().records_bent >= 2);
    let failed: Vec<&str> = second
        .issues
        .iter()
        .filter(|i| i.severity == sync_core::report::Severity::Failed)
        .map(|i| i.phorest_id.as_str())
        .collect();
    assert!(failed.contains(&"4711"), "{failed:?}");
    assert!(failed.contains(&bad_field.as_str()), "{failed:?}");

    // Served readable again, unchanged since the second run started: both arrive.
    sb.phorest.clear_hostile();
    let third = run(&sb, &store, config).await;
    assert_eq!(third.status, RunStatus::Completed, "{}", third.to_table());
    for (id, name) in [(&garbled, "Garbled"), (&bad_field, "Badfield")] {
        let tag = format!("phorest-client-id:{}", id.to_lowercase());
        let contact = sb
            .ghl
            .contacts()
            .into_iter()
            .find(|c| {
                c["tags"]
                    .as_array()
                    .is_some_and(|t| t.iter().any(|t| t.as_str() == Some(tag.as_str())))
            })
            .unwrap_or_else(|| panic!("a contact for {id}"));
        assert_eq!(contact["firstName"], name, "{contact}");
    }
    assert_no_duplicate_contacts(&sb);
}

/// D — a client deleted or merged after it synced keeps its contact as history (tombstone tag),
/// but gives up the email and phone the sync wrote, so the live client who has them (the client
/// a merge kept; a family member sharing a mobile) is synced as a fresh sync would sync it,
/// instead of failing against the old contact.
#[tokio::test]
async fn a_merged_or_deleted_clients_contact_yields_its_email_and_phone_to_the_live_client() {
    let sb = Sandboxes::start(SalonSpec::small(50), SandboxSetup::default()).await;
    let store = MemoryStore::new();
    let first = run(&sb, &store, SyncConfig::default()).await;
    assert_eq!(first.status, RunStatus::Completed, "{}", first.to_table());
    let synced = contacts_by_client(&sb);
    // Four synced clients with an email and a mobile: a merge (a into b), a family (c deleted, d
    // takes its mobile).
    let picked: Vec<(String, String, String)> = sb.phorest.with_salon(|s| {
        s.clients()
            .iter()
            .filter(|c| synced.contains_key(&c.client_id.to_lowercase()))
            .filter_map(|c| Some((c.client_id.clone(), c.email.clone()?, c.mobile.clone()?)))
            .take(4)
            .collect()
    });
    let [(a, a_email, a_mobile), (b, ..), (c, _, c_mobile), (d, ..)] = &picked[..] else {
        panic!("four synced clients with email and mobile: {picked:?}")
    };
    sb.phorest.update_client(a, |x| {
        x.deleted = true;
        x.merged_to_client_id = Some(b.clone());
    });
    sb.phorest.update_client(b, |x| {
        x.email = Some(a_email.clone());
        x.mobile = Some(a_mobile.clone());
    });
    sb.phorest.update_client(c, |x| x.deleted = true);
    sb.phorest
        .update_client(d, |x| x.mobile = Some(c_mobile.clone()));

    let second = run(&sb, &store, SyncConfig::default()).await;
    assert_eq!(
        second.status,
        RunStatus::Completed,
        "{}\n{:?}",
        second.to_table(),
        second.issues
    );
    let contact_of = |id: &str| {
        let tag = format!("phorest-client-id:{}", id.to_lowercase());
        let found: Vec<Value> = sb
            .ghl
            .contacts()
            .into_iter()
            .filter(|c| {
                c["tags"]
                    .as_array()
                    .is_some_and(|t| t.iter().any(|t| t.as_str() == Some(tag.as_str())))
            })
            .collect();
        assert_eq!(found.len(), 1, "one contact for {id}: {found:?}");
        found.into_iter().next().expect("one")
    };
    for gone in [a, c] {
        let contact = contact_of(gone);
        assert!(
            contact["email"].is_null() && contact["phone"].is_null(),
            "{contact}"
        );
        assert!(
            contact["tags"]
                .as_array()
                .is_some_and(|t| t.iter().any(|t| t == "phorest:deleted")),
            "{contact}"
        );
    }
    assert_eq!(contact_of(b)["email"], a_email.to_lowercase());
    let d_phone = contact_of(d)["phone"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        c_mobile.ends_with(d_phone.trim_start_matches("+353")),
        "{d_phone} vs {c_mobile}"
    );
    assert_no_duplicate_contacts(&sb);
    // Settled: the next run writes nothing.
    let third = run(&sb, &store, SyncConfig::default()).await;
    let row = row(&third, EntityKind::Client);
    assert_eq!(
        (row.created, row.updated, row.failed),
        (0, 0, 0),
        "{}",
        third.to_table()
    );
}

// B8 — a branch without a usable time zone blocks only its time-dependent stages.

#[tokio::test]
async fn a_branch_without_a_time_zone_blocks_only_its_appointments() {
    for zone in [None, Some("Mars/Olympus_Mons")] {
        let sb = Sandboxes::start(SalonSpec::small(48), SandboxSetup::default()).await;
        sb.phorest
            .set_hostile(Hostile::new(6).branch_time_zone(zone));
        let report = run(&sb, &MemoryStore::new(), SyncConfig::default()).await;
        for entity in [
            EntityKind::Appointment,
            EntityKind::CheckIn,
            EntityKind::Booking,
        ] {
            assert!(
                row(&report, entity)
                    .blocked()
                    .is_some_and(|r| r.contains("time zone")),
                "{}",
                report.to_table()
            );
        }
        for entity in [EntityKind::Staff, EntityKind::Client, EntityKind::Product] {
            assert_eq!(
                row(&report, entity).stage,
                StageStatus::Completed,
                "{zone:?}"
            );
        }
        assert!(row(&report, EntityKind::Client).created > 10);
        assert_eq!(sb.ghl.appointments().len(), 0);
    }
    // A Windows zone name is understood.
    let sb = Sandboxes::start(SalonSpec::small(48), SandboxSetup::default()).await;
    sb.phorest
        .set_hostile(Hostile::new(6).branch_time_zone(Some("GMT Standard Time")));
    let report = run(&sb, &MemoryStore::new(), SyncConfig::default()).await;
    assert_eq!(report.status, RunStatus::Completed, "{}", report.to_table());
    assert!(!sb.ghl.appointments().is_empty());
}

// B9 — an HTML or cut-short answer is retried, then fails only its stage.

#[tokio::test]
async fn html_answers_are_retried_then_fail_only_their_stage() {
    let sb = Sandboxes::start(SalonSpec::small(49), SandboxSetup::default()).await;
    // Once: retried, nothing lost.
    sb.phorest
        .set_hostile(Hostile::new(7).body_fault_on("/client", 2, BodyFault::Html));
    let store = MemoryStore::new();
    let report = run(&sb, &store, SyncConfig::default()).await;
    assert!(sb.phorest.hostile_stats().body_faults > 0);
    assert_eq!(report.status, RunStatus::Completed, "{}", report.to_table());
    // Always, on appointments: that stage is incomplete, the others complete.
    let sb = Sandboxes::start(SalonSpec::small(49), SandboxSetup::default()).await;
    sb.phorest.set_hostile(Hostile::new(8).body_fault_rate(
        Some("/appointment"),
        1.0,
        BodyFault::Truncated,
    ));
    let report = run(&sb, &MemoryStore::new(), SyncConfig::default()).await;
    assert!(
        matches!(row(&report, EntityKind::Appointment).stage, StageStatus::Incomplete(ref r) if r.contains("appointments")),
        "{}",
        report.to_table()
    );
    assert_eq!(
        row(&report, EntityKind::Client).stage,
        StageStatus::Completed
    );
    assert!(row(&report, EntityKind::Client).created > 10);
    assert_eq!(report.exit_code(), 1);
}

// C12 — a wrong location or a calendar of another location is a configuration error found
// before any write.

#[tokio::test]
async fn a_wrong_location_or_calendar_fails_before_any_write() {
    let sb = Sandboxes::start(SalonSpec::small(50), SandboxSetup::default()).await;
    let store = MemoryStore::new();
    let plan = sb
        .plan_builder_with(SyncConfig::default(), |b| b.location_id("not-my-location"))
        .store(store.clone())
        .build()
        .unwrap();
    let report = plan.run(CancellationToken::new()).await;
    assert!(
        matches!(&report.failure, Some(RunFailure::ConfigInvalid { field, .. }) if field == "location_id"),
        "{:?}",
        report.failure
    );
    assert_eq!(report.exit_code(), 5);
    assert_eq!(sb.ghl.write_count(), 0);
    assert!(
        store.load("clients").await.unwrap().is_none(),
        "no checkpoint written"
    );

    let mut config = SyncConfig::default();
    config.calendar_id = Some("calendar-of-another-location".into());
    let report = run(&sb, &store, config).await;
    assert!(
        matches!(&report.failure, Some(RunFailure::ConfigInvalid { field, .. }) if field == "calendar_id"),
        "{:?}",
        report.failure
    );
    assert_eq!(report.exit_code(), 5);
    assert_eq!(sb.ghl.write_count(), 0);
}

#[tokio::test]
async fn a_state_store_belongs_to_one_location() {
    let sb = Sandboxes::start(SalonSpec::small(51), SandboxSetup::default()).await;
    let store = MemoryStore::new();
    store
        .set_value(
            "state.ghl_location",
            &Value::String("another-location".into()),
        )
        .await
        .unwrap();
    let report = run(&sb, &store, SyncConfig::default()).await;
    assert!(
        matches!(&report.failure, Some(RunFailure::ConfigInvalid { field, message }) if field == "location_id" && message.contains("another-location")),
        "{:?}",
        report.failure
    );
    assert_eq!(sb.ghl.write_count(), 0);
}

// C11 — every row says whether its stage ran.

#[tokio::test]
async fn an_interrupted_run_says_which_stages_did_not_run() {
    let sb = Sandboxes::start(SalonSpec::small(52), SandboxSetup::default()).await;
    /// Cancels the run when the first client is written.
    struct CancelOnFirstClient(CancellationToken);
    impl sync_core::SyncObserver for CancelOnFirstClient {
        fn on_event(&self, event: &sync_core::SyncEvent) {
            if let sync_core::SyncEvent::RecordProcessed {
                entity: EntityKind::Client,
                ..
            } = event
            {
                self.0.cancel();
            }
        }
    }
    let cancel = CancellationToken::new();
    let plan = sb
        .plan_builder(SyncConfig::default())
        .store(MemoryStore::new())
        .observer(std::sync::Arc::new(CancelOnFirstClient(cancel.clone())))
        .build()
        .unwrap();
    let report = plan.run(cancel).await;
    assert_eq!(report.status, RunStatus::Cancelled);
    assert_eq!(report.failure, Some(RunFailure::Cancelled));
    assert!(
        report
            .entities
            .iter()
            .all(|r| r.stage != StageStatus::Completed
                || r.total > 0
                || r.entity == EntityKind::ClientCategory),
        "{}",
        report.to_table()
    );
    assert!(
        report
            .entities
            .iter()
            .any(|r| matches!(r.stage, StageStatus::NotRun | StageStatus::Interrupted)),
        "{}",
        report.to_table()
    );
    let table = report.to_table();
    assert!(
        table.contains("Not run") || table.contains("Interrupted"),
        "{table}"
    );
    assert!(
        !table
            .lines()
            .any(|l| l.contains("Appointments") && l.contains(" OK")),
        "{table}"
    );
}

// C17 — a dry run predicts the real run's writes per stage (within 5 %).

#[tokio::test]
async fn a_dry_run_predicts_the_writes_of_the_real_run() {
    let sb = Sandboxes::start(SalonSpec::small(53), SandboxSetup::default()).await;
    let store = MemoryStore::new();
    let mut dry = SyncConfig::default();
    dry.dry_run = true;
    let predicted = run(&sb, &store, dry).await;
    assert_eq!(sb.ghl.write_count(), 0);
    let real = run(&sb, &store, SyncConfig::default()).await;
    let mut total_predicted = 0;
    for r in &real.entities {
        let p = predicted.entity(r.entity).map_or(0, |p| p.requests);
        total_predicted += p;
        let diff = (p as f64 - r.requests as f64).abs();
        assert!(
            diff <= (r.requests as f64 * 0.05).max(1.0),
            "{}: predicted {p} writes, made {}\n{}\n{}",
            r.entity,
            r.requests,
            predicted.to_table(),
            real.to_table()
        );
    }
    assert!(total_predicted > 0);
    let made: u64 = real.entities.iter().map(|r| r.requests).sum();
    assert_eq!(
        made as usize,
        sb.ghl.write_count(),
        "the report counts every write"
    );
}

// An unchanged rerun is cheap on both sides.

#[tokio::test]
async fn an_unchanged_rerun_writes_nothing_and_reads_little() {
    let sb = Sandboxes::start(SalonSpec::small(54), SandboxSetup::default()).await;
    let store = MemoryStore::new();
    run(&sb, &store, SyncConfig::default()).await;
    sb.ghl.reset_counters();
    sb.phorest.reset_counters();
    let report = run(&sb, &store, SyncConfig::default()).await;
    assert_eq!(report.status, RunStatus::Completed, "{}", report.to_table());
    assert_eq!(sb.ghl.write_count(), 0);
    let reads = sb.phorest.request_count();
    let paths: Vec<String> = sb
        .phorest
        .requests()
        .iter()
        .map(|r| r.path.clone())
        .collect();
    // 15, plus the rolling re-check of 200 synced clients: two `client-batch` reads.
    let batches = paths
        .iter()
        .filter(|p| p.ends_with("/client-batch"))
        .count();
    assert!(batches <= 2, "{batches} client-batch reads");
    assert!(reads <= 15 + 2, "{reads} Phorest requests: {paths:#?}");
    // Nothing left pending or failed.
    for entity in EntityKind::ALL {
        assert_eq!(
            store
                .count(entity, Some(MappingState::Failed))
                .await
                .unwrap(),
            0,
            "{entity}"
        );
    }
}

// D — GHL contacts deleted behind the sync's back.

#[tokio::test]
async fn a_contact_deleted_in_ghl_is_created_again_once_when_its_client_changes() {
    let sb = Sandboxes::start(SalonSpec::small(43), SandboxSetup::default()).await;
    let store = MemoryStore::new();
    let first = run(&sb, &store, SyncConfig::default()).await;
    assert_eq!(first.status, RunStatus::Completed, "{}", first.to_table());

    // Someone deletes a synced client's contact in GHL.
    let (client_id, contact_id) = {
        let mapped = store
            .list(EntityKind::Client, Some(MappingState::Synced), None, 1)
            .await
            .unwrap();
        let m = mapped.first().expect("a synced client").clone();
        (m.phorest_id.clone(), m.ghl_id.clone().unwrap())
    };
    let ghl = sb.ghl.client_builder(&sb.token).build().unwrap();
    ghl.contacts()
        .delete(&ghl_client::ContactId::from(contact_id.as_str()))
        .await
        .unwrap();
    assert!(sb.ghl.contact(&contact_id).is_none());

    // The salon edits that client: the next run finds the contact gone and creates it again,
    // once, and maps the client to the new contact.
    sb.phorest
        .update_client(&client_id, |c| c.last_name = "Deleted-In-Ghl".to_owned());
    let rerun = run(&sb, &store, SyncConfig::default()).await;
    assert_eq!(rerun.status, RunStatus::Completed, "{}", rerun.to_table());
    let theirs: Vec<Value> = sb
        .ghl
        .contacts()
        .into_iter()
        .filter(|c| c["lastName"] == "Deleted-In-Ghl")
        .collect();
    assert_eq!(theirs.len(), 1, "exactly one new contact: {theirs:?}");
    let mapping = store
        .get(EntityKind::Client, &client_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(mapping.ghl_id.as_deref(), theirs[0]["id"].as_str());
    assert_ne!(mapping.ghl_id.as_deref(), Some(contact_id.as_str()));
    assert_no_duplicate_contacts(&sb);

    // And a third run is quiet.
    let third = run(&sb, &store, SyncConfig::default()).await;
    assert_eq!(row(&third, EntityKind::Client).created, 0);
    assert_eq!(row(&third, EntityKind::Client).updated, 0);
}

// D — GHL contacts edited behind the sync's back.

/// Someone renames a synced contact in GHL, removes its loyalty tier tag and adds a tag of their
/// own. The sync does not read GHL on every run (an unchanged client costs no request; audit
/// finds such drift), but the next time the client changes, its update answer shows the
/// contact's real tags: the owned fields are written again, the owned tag removed by hand comes
/// back, and the salon's own tag stays.
#[tokio::test]
async fn a_contact_edited_in_ghl_is_healed_when_its_client_changes_and_keeps_the_salons_tag() {
    let sb = Sandboxes::start(SalonSpec::small(51), SandboxSetup::default()).await;
    let store = MemoryStore::new();
    let first = run(&sb, &store, SyncConfig::default()).await;
    assert_eq!(first.status, RunStatus::Completed, "{}", first.to_table());

    // A synced client whose contact carries a loyalty tier tag.
    let (client_id, contact_id, tier) = sb
        .ghl
        .contacts()
        .into_iter()
        .find_map(|c| {
            let tags: Vec<String> = c["tags"]
                .as_array()?
                .iter()
                .filter_map(|t| t.as_str().map(str::to_owned))
                .collect();
            let client = tags
                .iter()
                .find_map(|t| t.strip_prefix("phorest-client-id:"))?
                .to_owned();
            let tier = tags
                .iter()
                .find(|t| t.starts_with("phorest:loyalty:"))?
                .clone();
            Some((client, c["id"].as_str()?.to_owned(), tier))
        })
        .expect("a contact with a loyalty tier");
    let client_id = sb
        .phorest
        .with_salon(|s| {
            s.clients()
                .iter()
                .find(|c| c.client_id.to_lowercase() == client_id)
                .map(|c| c.client_id.clone())
        })
        .expect("its client");

    // Edited behind the sync's back.
    let ghl = sb.ghl.client_builder(&sb.token).build().unwrap();
    let id = ghl_client::ContactId::from(contact_id.as_str());
    ghl.contacts()
        .update(
            &id,
            &ghl_client::contacts::UpdateContact::from(
                ghl_client::contacts::ContactFields::new().first_name("HandEdited"),
            ),
        )
        .await
        .unwrap();
    ghl.contacts()
        .remove_tags(&id, std::slice::from_ref(&tier))
        .await
        .unwrap();
    ghl.contacts()
        .add_tags(&id, &["salon-own-tag".to_owned()])
        .await
        .unwrap();

    // The client changes in Phorest: one update, one tag add.
    sb.phorest
        .update_client(&client_id, |c| c.last_name = "Edited-In-Phorest".to_owned());
    let before = sb.ghl.requests().len();
    let rerun = run(&sb, &store, SyncConfig::default()).await;
    assert_eq!(rerun.status, RunStatus::Completed, "{}", rerun.to_table());
    let contact = sb.ghl.contact(&contact_id).expect("the same contact");
    assert_eq!(contact["lastName"], "Edited-In-Phorest", "{contact}");
    assert_ne!(contact["firstName"], "HandEdited", "{contact}");
    let tags: Vec<&str> = contact["tags"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(tags.contains(&tier.as_str()), "{tags:?}");
    assert!(tags.contains(&"salon-own-tag"), "{tags:?}");
    let writes: Vec<(String, String)> = sb
        .ghl
        .requests()
        .into_iter()
        .skip(before)
        .filter(|r| r.write)
        .map(|r| (r.method, r.path))
        .collect();
    assert_eq!(writes.len(), 2, "one PUT and one tag add: {writes:?}");
    assert_no_duplicate_contacts(&sb);
}

// Fidelity §1 (#13): Phorest may ignore `includeDeleted`/`includeArchived`, and a loyalty change
// may not move `updatedAt`. The rolling re-check of synced clients catches both.

#[tokio::test]
async fn hidden_deletes_and_silent_loyalty_changes_reach_ghl_through_the_rolling_recheck() {
    let sb = Sandboxes::start(SalonSpec::small(53), SandboxSetup::default()).await;
    sb.phorest.set_hostile(
        Hostile::new(8)
            .ignore_archived_deleted_flags(true)
            .loyalty_changes_keep_updated_at(true),
    );
    let store = MemoryStore::new();
    let mut config = SyncConfig::default();
    config.client_recheck_per_run = 0;
    let first = run(&sb, &store, config.clone()).await;
    assert_eq!(first.status, RunStatus::Completed, "{}", first.to_table());

    // Two synced clients with a loyalty tier: one is deleted, the other's balance changes;
    // neither shows up in an incremental list read.
    let with_tier: Vec<(String, String)> = sb
        .ghl
        .contacts()
        .into_iter()
        .filter_map(|c| {
            let tags: Vec<&str> = c["tags"]
                .as_array()?
                .iter()
                .filter_map(Value::as_str)
                .collect();
            tags.iter().find(|t| t.starts_with("phorest:loyalty:"))?;
            let client = tags
                .iter()
                .find_map(|t| t.strip_prefix("phorest-client-id:"))?;
            Some((client.to_owned(), c["id"].as_str()?.to_owned()))
        })
        .take(2)
        .collect();
    let [(deleted, deleted_contact), (loyal, loyal_contact)] = &with_tier[..] else {
        panic!("two contacts with a tier: {with_tier:?}")
    };
    let real_id = |lower: &str| {
        sb.phorest
            .with_salon(|s| {
                s.clients()
                    .iter()
                    .find(|c| c.client_id.to_lowercase() == lower)
                    .map(|c| c.client_id.clone())
            })
            .expect("the client")
    };
    let (deleted, loyal) = (real_id(deleted), real_id(loyal));
    sb.phorest.update_client(&deleted, |c| c.deleted = true);
    sb.phorest.set_loyalty_points(&loyal, 4321.0);

    // Without the re-check nothing reaches GHL.
    let blind = run(&sb, &store, config.clone()).await;
    assert_eq!(
        row(&blind, EntityKind::Client).updated,
        0,
        "{}",
        blind.to_table()
    );

    // With it, a third of the synced clients per run: within three runs both arrive, each run
    // reading at most one client batch.
    let synced = store
        .count(EntityKind::Client, Some(MappingState::Synced))
        .await
        .unwrap() as usize;
    config.client_recheck_per_run = synced.div_ceil(3).min(100);
    let runs = synced.div_ceil(config.client_recheck_per_run);
    for _ in 0..runs {
        let before = sb.phorest.requests().len();
        let report = run(&sb, &store, config.clone()).await;
        assert_eq!(report.status, RunStatus::Completed, "{}", report.to_table());
        let batches = sb
            .phorest
            .requests()
            .iter()
            .skip(before)
            .filter(|r| r.path.ends_with("/client-batch"))
            .count();
        assert!(batches <= 1, "{batches} client-batch reads in one run");
    }
    let tomb = sb.ghl.contact(deleted_contact).expect("kept as history");
    assert!(
        tomb["tags"]
            .as_array()
            .is_some_and(|t| t.iter().any(|t| t == "phorest:deleted")),
        "{tomb}"
    );
    let loyal = sb.ghl.contact(loyal_contact).expect("the contact");
    assert!(
        loyal["customFields"].to_string().contains("4321"),
        "{loyal}"
    );
    assert_no_duplicate_contacts(&sb);
    // The mapping of the deleted client is kept (history), never deleted on an absence.
    assert!(
        store
            .get(EntityKind::Client, &deleted)
            .await
            .unwrap()
            .is_some()
    );
}

// Fidelity §1 (#13): `size=200` is unconfirmed; the sync asks for 100. A server that silently
// serves fewer per page, consistently, and counts its pages by that size is read whole and
// trusted (not an anomaly on every run).

#[tokio::test]
async fn a_silent_page_size_cap_is_detected_and_the_walk_trusted() {
    let (want, _) = undisturbed(paged_salon(54), SyncConfig::default()).await;
    let sb = Sandboxes::start(paged_salon(54), SandboxSetup::default()).await;
    sb.phorest.set_hostile(Hostile::new(9).cap_page_size(40));
    let store = MemoryStore::new();
    let first = run(&sb, &store, SyncConfig::default()).await;
    assert_eq!(first.status, RunStatus::Completed, "{}", first.to_table());
    assert_eq!(
        row(&first, EntityKind::Client).stage,
        StageStatus::Completed
    );
    let got: BTreeSet<String> = contacts_by_client(&sb).into_keys().collect();
    assert_eq!(got, want, "every client synced once");
    assert_no_duplicate_contacts(&sb);
    // The checkpoint moved: an unchanged rerun reads only what changed.
    let before = sb.phorest.requests().len();
    let rerun = run(&sb, &store, SyncConfig::default()).await;
    assert_eq!(rerun.status, RunStatus::Completed, "{}", rerun.to_table());
    let client_pages = sb
        .phorest
        .requests()
        .iter()
        .skip(before)
        .filter(|r| r.path.ends_with("/client"))
        .count();
    assert!(
        client_pages <= 2,
        "{client_pages} client list pages on an unchanged rerun"
    );
}

// Fidelity: `ARCHIVED` appointments (meaning unconfirmed) are kept out of GHL, with a reason.

#[tokio::test]
async fn archived_appointments_are_kept_out_of_ghl_with_a_reason() {
    let sb = Sandboxes::start(SalonSpec::small(44), SandboxSetup::default()).await;
    let store = MemoryStore::new();
    let first = run(&sb, &store, SyncConfig::default()).await;
    assert_eq!(first.status, RunStatus::Completed, "{}", first.to_table());
    let synced = store
        .list(EntityKind::Appointment, Some(MappingState::Synced), None, 1)
        .await
        .unwrap()
        .first()
        .cloned()
        .expect("a synced appointment");
    let ghl_id = synced.ghl_id.clone().unwrap();
    let before = sb
        .ghl
        .appointments()
        .into_iter()
        .find(|a| a["id"] == ghl_id.as_str())
        .expect("its GHL appointment");

    // One synced appointment is archived, and a new one arrives archived.
    // Appointment mappings are keyed `{branch}:{appointment}`.
    let (branch, raw_id) = synced.phorest_id.split_once(':').unwrap();
    assert!(sb.phorest.update_appointment(raw_id, |a| {
        a.activation_state = "ARCHIVED".to_owned();
    }));
    let template = sb.phorest.with_salon(|s| {
        s.appointments()
            .iter()
            .find(|a| a.appointment_id == raw_id)
            .cloned()
            .unwrap()
    });
    let new_id = sb.phorest.add_appointment(move |a| {
        let (id, booking, created, updated) = (
            a.appointment_id.clone(),
            a.booking_id.clone(),
            a.created_at,
            a.updated_at,
        );
        *a = template;
        a.appointment_id = id;
        a.booking_id = booking;
        a.created_at = created;
        a.updated_at = updated;
        a.activation_state = "ARCHIVED".to_owned();
    });
    let appointments_before = sb.ghl.appointments().len();
    // Older appointments are re-read by the daily full read; read the whole horizon now.
    let mut whole = SyncConfig::default();
    whole.appointment_full_read_every = None;
    let rerun = run(&sb, &store, whole).await;
    assert_eq!(rerun.status, RunStatus::Completed, "{}", rerun.to_table());

    assert_eq!(
        sb.ghl.appointments().len(),
        appointments_before,
        "nothing created"
    );
    let after = sb
        .ghl
        .appointments()
        .into_iter()
        .find(|a| a["id"] == ghl_id.as_str())
        .unwrap();
    assert_eq!(
        after["appointmentStatus"], before["appointmentStatus"],
        "an archived appointment is not shown as cancelled"
    );
    let new_key = format!("{branch}:{new_id}");
    for id in [&synced.phorest_id, &new_key] {
        let issue = rerun
            .issues
            .iter()
            .find(|i| i.entity == EntityKind::Appointment && &i.phorest_id == id)
            .unwrap_or_else(|| {
                panic!(
                    "no report line for {id}: {:?}\n{}",
                    rerun
                        .issues
                        .iter()
                        .filter(|i| i.entity == EntityKind::Appointment)
                        .map(|i| (&i.phorest_id, &i.reason))
                        .collect::<Vec<_>>(),
                    rerun.to_table()
                )
            });
        assert!(
            issue.reason.starts_with("ARCHIVED in Phorest"),
            "{}",
            issue.reason
        );
        assert!(!issue.actionable);
    }
}
