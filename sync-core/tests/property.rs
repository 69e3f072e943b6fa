//! Property: whatever faults hit a sync and whatever the salon edits between runs, once the
//! faults stop one clean rerun leaves GHL holding exactly one object per syncable Phorest record,
//! with its latest data, and every report along the way keeps
//! `total = created + updated + unchanged + skipped + failed` (checked by `common::run`).
//!
//! Each case draws a schedule of one to three disturbed runs. Before each run the salon is
//! edited (renames, new emails and mobiles, new clients, loyalty changes, deletes, merges, cancelled
//! appointments) and faults are set on both sandboxes: GHL 5xx on any request
//! or on writes only, writes applied then answered 500, Phorest 5xx and corrupt pages, and
//! Phorest pagination anomalies (an empty page, a repeated page, understated page totals). Then
//! every fault is cleared and one clean run follows.
//!
//! The oracle is an undisturbed sync of the same final salon on fresh sandboxes: the same edits
//! applied up front, one run, no faults. The disturbed GHL must match it contact for contact
//! (name, email, phone, tags the sync owns), appointment for appointment, note for note and
//! product for product.
//!
//! Clients are also deleted, and merged (the client a merge keeps takes the other's email and
//! mobile). A deleted client's contact stays as history without the email and phone the sync
//! wrote, so the live client who has them gets a contact of its own, as in the oracle.
#![cfg(feature = "mock")]

mod common;

use std::collections::{BTreeMap, BTreeSet};

use ghl_client::mock::Faults as GhlFaults;
use phorest_client::mock::{Faults as PhorestFaults, Hostile, ListKind, SalonSpec};
use proptest::prelude::*;
use serde_json::Value;
use sync_core::sandbox::{SandboxSetup, Sandboxes};
use sync_core::{MemoryStore, RunStatus, SyncConfig, SyncReport};

use common::run;

/// One edit of the salon between runs. Indices pick a client or appointment modulo the count.
#[derive(Debug, Clone)]
enum Edit {
    Rename(usize),
    NewEmail(usize),
    NewMobile(usize),
    AddClient,
    Loyalty(usize, u16),
    CancelAppointment(usize),
    /// The client is deleted in Phorest.
    Delete(usize),
    /// The first client is merged into the second, which takes its email and mobile.
    Merge(usize, usize),
}

/// The faults in force during one disturbed run.
#[derive(Debug, Clone)]
struct Disturbance {
    ghl_5xx: f64,
    ghl_writes_only: bool,
    ghl_applied_then_500: u32,
    phorest_5xx: f64,
    phorest_corrupt: f64,
    anomaly: Option<(u8, usize)>,
    seed: u64,
}

#[derive(Debug, Clone)]
struct Round {
    edits: Vec<Edit>,
    faults: Disturbance,
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        3 => any::<usize>().prop_map(Edit::Rename),
        2 => any::<usize>().prop_map(Edit::NewEmail),
        2 => any::<usize>().prop_map(Edit::NewMobile),
        2 => Just(Edit::AddClient),
        2 => (any::<usize>(), 0u16..500).prop_map(|(i, p)| Edit::Loyalty(i, p)),
        1 => any::<usize>().prop_map(Edit::CancelAppointment),
        1 => any::<usize>().prop_map(Edit::Delete),
        1 => (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Edit::Merge(a, b)),
    ]
}

fn disturbance() -> impl Strategy<Value = Disturbance> {
    (
        prop_oneof![Just(0.0), 0.02f64..0.15],
        any::<bool>(),
        0u32..4,
        prop_oneof![Just(0.0), 0.02f64..0.1],
        prop_oneof![2 => Just(0.0), 1 => 0.02f64..0.1],
        proptest::option::of((0u8..3, 1usize..3)),
        any::<u64>(),
    )
        .prop_map(
            |(
                ghl_5xx,
                ghl_writes_only,
                ghl_applied_then_500,
                phorest_5xx,
                phorest_corrupt,
                anomaly,
                seed,
            )| Disturbance {
                ghl_5xx,
                ghl_writes_only,
                ghl_applied_then_500,
                phorest_5xx,
                phorest_corrupt,
                anomaly,
                seed,
            },
        )
}

fn schedule() -> impl Strategy<Value = Vec<Round>> {
    proptest::collection::vec(
        (proptest::collection::vec(edit(), 0..8), disturbance())
            .prop_map(|(edits, faults)| Round { edits, faults }),
        1..=3,
    )
}

/// A salon with more than one page of clients (pages of 100), so page anomalies bite.
fn spec() -> SalonSpec {
    let mut spec = SalonSpec::small(7);
    spec.clients = 230;
    spec.loyalty_cards = 150;
    spec.appointments = 60;
    spec
}

/// Applies `edits` to the Phorest sandbox. `serial` makes new emails and mobiles unique across
/// the whole schedule (and identical between the disturbed salon and the oracle's).
fn apply(sb: &Sandboxes, edits: &[Edit], serial: &mut u32) {
    for e in edits {
        *serial += 1;
        let n = *serial;
        let (clients, appointments) = sb.phorest.with_salon(|s| {
            let clients: Vec<String> = s
                .clients()
                .iter()
                .filter(|c| !c.deleted)
                .map(|c| c.client_id.clone())
                .collect();
            let appointments: Vec<String> = s
                .appointments()
                .iter()
                .map(|a| a.appointment_id.clone())
                .collect();
            (clients, appointments)
        });
        let client = |i: usize| clients[i % clients.len()].clone();
        match e {
            Edit::Rename(i) => {
                sb.phorest.update_client(&client(*i), |c| {
                    c.first_name = format!("Renamed{n}");
                    c.last_name = format!("Edit{n}");
                });
            }
            Edit::NewEmail(i) => {
                sb.phorest.update_client(&client(*i), |c| {
                    c.email = Some(format!("edited{n}@example.org"));
                });
            }
            Edit::NewMobile(i) => {
                sb.phorest.update_client(&client(*i), |c| {
                    c.mobile = Some(format!("35387{:07}", 1_000_000 + n));
                });
            }
            Edit::AddClient => {
                sb.phorest.add_client(|c| {
                    c.first_name = format!("New{n}");
                    c.last_name = "Client".to_owned();
                    c.email = Some(format!("new{n}@example.org"));
                    c.mobile = Some(format!("35386{:07}", 1_000_000 + n));
                    c.deleted = false;
                    c.archived = false;
                });
            }
            Edit::Loyalty(i, points) => {
                sb.phorest
                    .set_loyalty_points(&client(*i), f64::from(*points));
            }
            Edit::CancelAppointment(i) => {
                if !appointments.is_empty() {
                    sb.phorest
                        .cancel_appointment(&appointments[i % appointments.len()]);
                }
            }
            Edit::Delete(i) => {
                sb.phorest.update_client(&client(*i), |c| c.deleted = true);
            }
            Edit::Merge(from, into) => {
                let (from, into) = (client(*from), client(*into));
                if from != into {
                    let (email, mobile) = sb.phorest.with_salon(|s| {
                        let c = s
                            .clients()
                            .iter()
                            .find(|c| c.client_id == from)
                            .expect("the merged client");
                        (c.email.clone(), c.mobile.clone())
                    });
                    sb.phorest.update_client(&from, |c| {
                        c.deleted = true;
                        c.merged_to_client_id = Some(into.clone());
                    });
                    sb.phorest.update_client(&into, |c| {
                        c.email = email.or(c.email.take());
                        c.mobile = mobile.or(c.mobile.take());
                    });
                }
            }
        }
    }
}

fn disturb(sb: &Sandboxes, d: &Disturbance) {
    sb.ghl.set_faults(GhlFaults {
        server_error_rate: d.ghl_5xx,
        writes_only: d.ghl_writes_only,
        fail_after_apply: d.ghl_applied_then_500,
        seed: d.seed,
        ..GhlFaults::default()
    });
    sb.phorest.set_faults(PhorestFaults {
        seed: d.seed,
        server_error_rate: d.phorest_5xx,
        corrupt_rate: d.phorest_corrupt,
        ..PhorestFaults::default()
    });
    let mut hostile = Hostile::new(d.seed);
    if let Some((kind, page)) = d.anomaly {
        hostile = match kind {
            0 => hostile.empty_page(ListKind::Clients, page),
            1 => hostile.repeat_previous_page(ListKind::Clients, page),
            _ => hostile.understate_total_pages(ListKind::Clients),
        };
    }
    sb.phorest.set_hostile(hostile);
}

fn calm(sb: &Sandboxes) {
    sb.ghl.set_faults(GhlFaults::default());
    sb.phorest.clear_faults();
    sb.phorest.clear_hostile();
}

/// First name, last name, email, phone and sorted tags of a contact.
type ContactData = (Value, Value, Value, Value, Vec<String>);

/// What the GHL sandbox holds, keyed by the Phorest record each object came from.
#[derive(Debug, PartialEq)]
struct Holding {
    /// Client id → (first name, last name, email, phone, sorted tags) of each contact carrying
    /// its id tag (a list, so duplicates show).
    clients: BTreeMap<String, Vec<ContactData>>,
    /// Appointment marker → (status, how many GHL appointments carry it).
    appointments: BTreeMap<String, (Vec<Value>, usize)>,
    /// First line of every note → how many.
    notes: BTreeMap<String, usize>,
    /// Product name → how many.
    products: BTreeMap<String, usize>,
}

fn holding(sb: &Sandboxes) -> Holding {
    let mut h = Holding {
        clients: BTreeMap::new(),
        appointments: BTreeMap::new(),
        notes: BTreeMap::new(),
        products: BTreeMap::new(),
    };
    for c in sb.ghl.contacts() {
        let mut tags: Vec<String> = c["tags"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|t| t.as_str().map(str::to_owned))
            .collect();
        tags.sort();
        if let Some(id) = tags
            .iter()
            .find_map(|t| t.strip_prefix("phorest-client-id:"))
        {
            h.clients.entry(id.to_owned()).or_default().push((
                c["firstName"].clone(),
                c["lastName"].clone(),
                c["email"].clone(),
                c["phone"].clone(),
                tags.clone(),
            ));
        }
        for note in sb.ghl.notes(c["id"].as_str().unwrap_or_default()) {
            let first = note["body"]
                .as_str()
                .unwrap_or_default()
                .lines()
                .next()
                .unwrap_or("")
                .to_owned();
            *h.notes.entry(first).or_default() += 1;
        }
    }
    for a in sb.ghl.appointments() {
        let marker = a["description"]
            .as_str()
            .unwrap_or_default()
            .lines()
            .find(|l| l.starts_with("phorest-appointment:"))
            .unwrap_or("(no marker)")
            .to_owned();
        let entry = h.appointments.entry(marker).or_default();
        entry.0.push(a["appointmentStatus"].clone());
        entry.1 += 1;
    }
    for p in sb.ghl.products() {
        *h.products
            .entry(p["name"].as_str().unwrap_or_default().to_owned())
            .or_default() += 1;
    }
    h
}

fn deleted_clients(sb: &Sandboxes) -> BTreeSet<String> {
    sb.phorest.with_salon(|s| {
        s.clients()
            .iter()
            .filter(|c| c.deleted)
            // As in the id tags.
            .map(|c| c.client_id.to_lowercase())
            .collect()
    })
}

async fn check(rounds: Vec<Round>) -> Result<(), TestCaseError> {
    // The disturbed timeline.
    let sb = Sandboxes::start(spec(), SandboxSetup::default()).await;
    let store = MemoryStore::new();
    let mut serial = 0;
    let mut reports: Vec<SyncReport> = Vec::new();
    for round in &rounds {
        apply(&sb, &round.edits, &mut serial);
        disturb(&sb, &round.faults);
        reports.push(run(&sb, &store, SyncConfig::default()).await);
    }
    calm(&sb);
    let clean = run(&sb, &store, SyncConfig::default()).await;
    prop_assert_eq!(
        clean.status,
        RunStatus::Completed,
        "clean rerun after {:?}\n{}\n{:#?}",
        rounds,
        clean.to_table(),
        clean
            .issues
            .iter()
            .filter(|i| i.severity == sync_core::report::Severity::Failed)
            .map(|i| (i.entity, &i.phorest_id, &i.reason))
            .collect::<Vec<_>>()
    );

    // The oracle: the same final salon, synced once without faults.
    let oracle_sb = Sandboxes::start(spec(), SandboxSetup::default()).await;
    let mut serial = 0;
    for round in &rounds {
        apply(&oracle_sb, &round.edits, &mut serial);
    }
    let oracle = run(&oracle_sb, &MemoryStore::new(), SyncConfig::default()).await;
    prop_assert_eq!(oracle.status, RunStatus::Completed, "{}", oracle.to_table());

    let mut got = holding(&sb);
    let mut want = holding(&oracle_sb);
    for id in deleted_clients(&sb) {
        let kept = got.clients.remove(&id).unwrap_or_default();
        prop_assert!(kept.len() <= 1, "deleted client {id} has {kept:?}");
        // Its contact (history) is tombstoned and gave up the email and phone the sync wrote.
        for (_, _, email, phone, tags) in &kept {
            prop_assert!(
                tags.iter().any(|t| t == "phorest:deleted") && email.is_null() && phone.is_null(),
                "deleted client {id} kept {kept:?}"
            );
        }
        want.clients.remove(&id);
    }
    // Objects hanging off deleted clients (their notes, appointments) may remain from before
    // the delete; compare the rest exactly.
    let dupes: Vec<_> = got.clients.iter().filter(|(_, v)| v.len() > 1).collect();
    prop_assert!(dupes.is_empty(), "clients with several contacts: {dupes:?}");
    let missing: Vec<_> = want
        .clients
        .keys()
        .filter(|k| !got.clients.contains_key(*k))
        .collect();
    prop_assert!(missing.is_empty(), "clients never synced: {missing:?}");
    let stale: Vec<_> = want
        .clients
        .iter()
        .filter(|(k, v)| got.clients.get(*k) != Some(v))
        .map(|(k, v)| (k, v, got.clients.get(k)))
        .collect();
    prop_assert!(
        stale.is_empty(),
        "contacts not at their latest data: {stale:#?}"
    );
    prop_assert!(
        got.clients.len() == want.clients.len(),
        "extra contacts: {:?}",
        got.clients
            .keys()
            .filter(|k| !want.clients.contains_key(*k))
            .collect::<Vec<_>>()
    );
    let dup_appointments: Vec<_> = got
        .appointments
        .iter()
        .filter(|(_, (_, n))| *n > 1)
        .collect();
    prop_assert!(
        dup_appointments.is_empty(),
        "appointments created twice: {dup_appointments:?}"
    );
    let missing_appointments: Vec<_> = want
        .appointments
        .keys()
        .filter(|k| !got.appointments.contains_key(*k))
        .collect();
    prop_assert!(
        missing_appointments.is_empty(),
        "appointments never synced: {missing_appointments:?}"
    );
    let stale_appointments: Vec<_> = want
        .appointments
        .iter()
        .filter(|(k, (status, _))| got.appointments.get(*k).map(|g| &g.0) != Some(status))
        .collect();
    prop_assert!(
        stale_appointments.is_empty(),
        "appointments not at their latest status: {stale_appointments:?}"
    );
    let dup_notes: Vec<_> = got.notes.iter().filter(|(_, n)| **n > 1).collect();
    prop_assert!(dup_notes.is_empty(), "notes written twice: {dup_notes:?}");
    let missing_notes: Vec<_> = want
        .notes
        .keys()
        .filter(|k| !got.notes.contains_key(*k))
        .collect();
    prop_assert!(
        missing_notes.is_empty(),
        "notes never written: {missing_notes:?}"
    );
    let names: BTreeSet<&String> = got.products.keys().chain(want.products.keys()).collect();
    let products: Vec<_> = names
        .into_iter()
        .filter(|n| got.products.get(*n) != want.products.get(*n))
        .map(|n| (n, got.products.get(n), want.products.get(n)))
        .collect();
    prop_assert!(
        products.is_empty(),
        "products differ (name, got, want): {products:?}"
    );
    Ok(())
}

proptest! {
    // Each case runs up to five whole syncs, so CI runs a handful of cases from a fixed seed
    // (a red CI must mean a regression, not an unlucky draw). Explore more locally with
    // `PROPTEST_CASES=50` and another seed in `PROPTEST_RNG_SEED`; failures are saved in
    // `property.proptest-regressions` and replayed first.
    #![proptest_config(ProptestConfig {
        cases: 6,
        max_shrink_iters: 8,
        rng_seed: proptest::test_runner::RngSeed::Fixed(
            std::env::var("PROPTEST_RNG_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(17),
        ),
        ..ProptestConfig::default()
    })]

    #[test]
    fn after_any_faults_and_edits_one_clean_rerun_converges(rounds in schedule()) {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(check(rounds))?;
    }
}

fn no_faults() -> Disturbance {
    Disturbance {
        ghl_5xx: 0.0,
        ghl_writes_only: false,
        ghl_applied_then_500: 0,
        phorest_5xx: 0.0,
        phorest_corrupt: 0.0,
        anomaly: None,
        seed: 1,
    }
}

/// Found by the property: an empty client page hid buyers and appointment clients; the purchase
/// window and the appointment checkpoint moved past them, and the clean rerun never wrote their
/// purchase tags or appointments.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn regression_an_empty_client_page_loses_no_purchase_tags_or_appointments() {
    let faults = Disturbance {
        anomaly: Some((0, 1)),
        seed: 3_300_894_568_534_602_733,
        ..no_faults()
    };
    check(vec![Round {
        edits: vec![],
        faults,
    }])
    .await
    .unwrap();
}

/// Found by the property: a product adopted by name after a lost create answer, whose price
/// write then failed, was created a second time on the next run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn regression_an_adopted_product_whose_price_fails_is_not_created_twice() {
    let first = Disturbance {
        ghl_applied_then_500: 2,
        phorest_corrupt: 0.09,
        anomaly: Some((1, 1)),
        seed: 10_311_197_441_538_793_444,
        ..no_faults()
    };
    let second = Disturbance {
        ghl_5xx: 0.072,
        ghl_writes_only: true,
        phorest_corrupt: 0.048,
        seed: 1_973_969_394_445_790_359,
        ..no_faults()
    };
    check(vec![
        Round {
            edits: vec![
                Edit::NewMobile(3),
                Edit::NewEmail(7),
                Edit::Loyalty(11, 497),
            ],
            faults: first,
        },
        Round {
            edits: vec![
                Edit::NewEmail(5),
                Edit::NewMobile(9),
                Edit::CancelAppointment(2),
            ],
            faults: second,
        },
    ])
    .await
    .unwrap();
}

/// Found by the property (random seed): the loyalty custom field's create was applied then
/// answered 500, so the first run's loyalty stage was blocked; the second run's full loyalty read
/// was served one client with a wrong-typed `clientId` (a corrupt page). That record failed
/// under the garbled id, the loyalty checkpoint moved past it anyway, and the client (unchanged
/// since) never got its tier tag. A record that does not decode now holds its stage's
/// watermark (see `e2e_reliability::a_record_that_once_failed_to_decode_is_read_again_until_it_syncs`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn regression_an_undecodable_record_no_longer_loses_a_loyalty_tier() {
    let first = Disturbance {
        ghl_writes_only: true,
        ghl_applied_then_500: 2,
        phorest_corrupt: 0.072,
        anomaly: Some((2, 1)),
        seed: 4_949_127_279_022_151_440,
        ..no_faults()
    };
    let second = Disturbance {
        ghl_writes_only: true,
        ghl_applied_then_500: 1,
        phorest_5xx: 0.039,
        phorest_corrupt: 0.072,
        anomaly: Some((2, 2)),
        seed: 12_282_655_360_093_030_656,
        ..no_faults()
    };
    check(vec![
        Round {
            edits: vec![
                Edit::Loyalty(7_975_990_675_200_274_113, 122),
                Edit::Rename(15_967_415_061_004_587_737),
                Edit::AddClient,
                Edit::Rename(14_024_291_066_933_009_895),
            ],
            faults: first,
        },
        Round {
            edits: vec![
                Edit::AddClient,
                Edit::CancelAppointment(3_118_069_085_703_365_486),
                Edit::NewEmail(316_293_909_664_621_533),
                Edit::AddClient,
                Edit::NewMobile(8_850_012_214_398_847_338),
                Edit::AddClient,
            ],
            faults: second,
        },
    ])
    .await
    .unwrap();
}
