//! End-to-end: records that depend on other records. Group-booking notes on every client of the
//! booking, kept current on incremental runs; a client skipped for missing contact data that is
//! fixed later gets its appointments, check-ins and loyalty without a full refresh.
#![cfg(feature = "mock")]

mod common;

use chrono::{Duration, Utc};
use phorest_client::mock::{LoyaltyCard, SalonSpec};
use serde_json::Value;
use sync_core::sandbox::{SandboxSetup, Sandboxes};
use sync_core::store::MappingStore;
use sync_core::{EntityKind, MappingState, MemoryStore, RunStatus, SyncConfig, SyncReport};

async fn run(sb: &Sandboxes, store: &MemoryStore) -> SyncReport {
    common::run(sb, store, SyncConfig::default()).await
}

/// The GHL contact of a Phorest client, found by its id tag.
fn contact_of(sb: &Sandboxes, client_id: &str) -> Option<Value> {
    // GHL stores tags lower-cased.
    let tag = format!("phorest-client-id:{client_id}").to_lowercase();
    let mut found: Vec<Value> = sb
        .ghl
        .contacts()
        .into_iter()
        .filter(|c| {
            c["tags"]
                .as_array()
                .is_some_and(|t| t.iter().any(|t| t == tag.as_str()))
        })
        .collect();
    assert!(
        found.len() <= 1,
        "client {client_id} has {} contacts",
        found.len()
    );
    found.pop()
}

fn booking_notes(sb: &Sandboxes, contact_id: &str, booking: &str) -> Vec<String> {
    sb.ghl
        .notes(contact_id)
        .iter()
        .filter_map(|n| n["body"].as_str().map(str::to_owned))
        .filter(|b| b.starts_with(&format!("[phorest-booking:{booking}]")))
        .collect()
}

fn add_client(sb: &Sandboxes, first: &str, email: Option<&str>) -> String {
    sb.phorest.add_client(|c| {
        c.first_name = first.to_owned();
        c.last_name = "Family".to_owned();
        c.email = email.map(str::to_owned);
        c.mobile = None;
        c.land_line = None;
    })
}

/// An appointment `days` from today, with staff and service copied from a generated one.
fn add_appointment(
    sb: &Sandboxes,
    client: &str,
    booking: &str,
    days: i64,
    (start, end): (u32, u32),
    service: &str,
    checked_in: bool,
) -> String {
    let template = sb.phorest.salon().appointments()[0].clone();
    sb.phorest.add_appointment(|a| {
        a.booking_id = booking.to_owned();
        a.client_id = client.to_owned();
        a.staff_id = template.staff_id.clone();
        a.service_id = template.service_id.clone();
        a.service_name = service.to_owned();
        a.appointment_date = (Utc::now() + Duration::days(days)).date_naive();
        a.start_time = chrono::NaiveTime::from_hms_opt(start, 0, 0).unwrap();
        a.end_time = chrono::NaiveTime::from_hms_opt(end, 0, 0).unwrap();
        if checked_in {
            a.state = "CHECKED_IN".to_owned();
        }
    })
}

fn note_writes(sb: &Sandboxes, method: &str) -> usize {
    sb.ghl
        .requests()
        .iter()
        .filter(|r| r.write && r.method == method && r.path.contains("/notes"))
        .count()
}

#[tokio::test]
async fn group_booking_notes_reach_every_client_and_follow_changes() {
    let sb = Sandboxes::start(SalonSpec::small(31), SandboxSetup::default()).await;
    let store = MemoryStore::new();
    let ann = add_client(&sb, "Ann", Some("ann.family@example.com"));
    let bob = add_client(&sb, "Bob", Some("bob.family@example.com"));
    let cut = add_appointment(&sb, &ann, "bk-fam", 3, (10, 11), "Cut", false);
    let colour = add_appointment(&sb, &ann, "bk-fam", 3, (11, 12), "Colour", false);
    let kids = add_appointment(&sb, &bob, "bk-fam", 3, (10, 11), "Kids cut", false);

    let first = run(&sb, &store).await;
    assert_eq!(first.status, RunStatus::Completed, "{}", first.to_table());
    let ann_contact = contact_of(&sb, &ann).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let bob_contact = contact_of(&sb, &bob).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for contact in [&ann_contact, &bob_contact] {
        let notes = booking_notes(&sb, contact, "bk-fam");
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(notes[0].contains(": 3 services"), "{}", notes[0]);
        assert!(notes[0].contains("Kids cut") && notes[0].contains("Colour"));
    }
    // Every appointment of the booking describes the whole booking.
    let descriptions: Vec<String> = sb
        .ghl
        .appointments()
        .iter()
        .filter_map(|a| a["description"].as_str().map(str::to_owned))
        .filter(|d| d.contains("Booking bk-fam:"))
        .collect();
    assert_eq!(descriptions.len(), 3);

    // Unchanged rerun: nothing written.
    sb.ghl.reset_counters();
    run(&sb, &store).await;
    assert_eq!(sb.ghl.write_count(), 0);

    // One service moves: an incremental run reads the window whole, rewrites the booking line
    // of every appointment of the booking, and updates both notes in place.
    sb.phorest.update_appointment(&colour, |a| {
        a.start_time = chrono::NaiveTime::from_hms_opt(13, 0, 0).unwrap();
        a.end_time = chrono::NaiveTime::from_hms_opt(14, 0, 0).unwrap();
    });
    sb.ghl.reset_counters();
    let moved = run(&sb, &store).await;
    let appointments = moved.entity(EntityKind::Appointment).unwrap();
    assert_eq!(appointments.updated, 3, "{}", moved.to_table());
    assert_eq!(appointments.created, 0);
    assert_eq!(note_writes(&sb, "PUT"), 2);
    assert_eq!(note_writes(&sb, "POST"), 0);
    for contact in [&ann_contact, &bob_contact] {
        let notes = booking_notes(&sb, contact, "bk-fam");
        assert_eq!(notes.len(), 1);
        assert!(notes[0].contains("13:00–14:00 Colour"), "{}", notes[0]);
    }
    let ghl_writes = sb.ghl.write_count();
    assert_eq!(ghl_writes, 3 + 2, "3 appointment updates + 2 note updates");

    // The booking stops being a group: the notes say so; nothing is duplicated.
    sb.phorest.cancel_appointment(&cut);
    sb.phorest.cancel_appointment(&kids);
    sb.ghl.reset_counters();
    run(&sb, &store).await;
    for contact in [&ann_contact, &bob_contact] {
        let notes = booking_notes(&sb, contact, "bk-fam");
        assert_eq!(notes.len(), 1);
        assert!(notes[0].contains("1 service (the others were cancelled)"));
    }
    assert_eq!(note_writes(&sb, "POST"), 0);
    sb.ghl.reset_counters();
    run(&sb, &store).await;
    assert_eq!(sb.ghl.write_count(), 0, "settled");
}

#[tokio::test]
async fn a_fixed_client_gets_its_appointments_checkins_and_loyalty_on_the_next_run() {
    let sb = Sandboxes::start(SalonSpec::small(32), SandboxSetup::default()).await;
    let store = MemoryStore::new();
    // No email, no phone: skipped, and so are its appointments, check-in and loyalty.
    let cara = add_client(&sb, "Cara", None);
    sb.phorest.update_client(&cara, |c| {
        c.loyalty_card = Some(LoyaltyCard {
            serial: "L-CARA".into(),
            points: 420.0,
        });
    });
    let past = add_appointment(&sb, &cara, "bk-cara-1", -10, (9, 10), "Cut", true);
    let future = add_appointment(&sb, &cara, "bk-cara-2", 5, (9, 10), "Colour", false);
    let first = run(&sb, &store).await;
    assert!(contact_of(&sb, &cara).is_none());
    assert!(
        first.issues.iter().any(|i| i.phorest_id == cara
            && i.actionable
            && i.reason.contains("no email or phone")),
        "the fix list names the client"
    );
    // The skip is remembered so later runs look again.
    let m = store.get(EntityKind::Client, &cara).await.unwrap().unwrap();
    assert_eq!(m.state, MappingState::Skipped);

    // The salon adds an email: the next (incremental) run creates the contact and then the
    // appointments and the check-in note of the earlier run, and the loyalty points.
    sb.phorest.update_client(&cara, |c| {
        c.email = Some("cara@example.com".into());
    });
    let second = run(&sb, &store).await;
    assert_eq!(second.status, RunStatus::Completed, "{}", second.to_table());
    let contact = contact_of(&sb, &cara).expect("contact created");
    let contact_id = contact["id"].as_str().unwrap();
    let mine: Vec<Value> = sb
        .ghl
        .appointments()
        .into_iter()
        .filter(|a| a["contactId"] == contact_id)
        .collect();
    assert_eq!(mine.len(), 2, "{mine:?}");
    for id in [&past, &future] {
        assert!(
            mine.iter().any(|a| a["description"]
                .as_str()
                .is_some_and(|d| d.contains(&format!("phorest-appointment:{id}")))),
            "appointment {id} missing"
        );
    }
    let checkins: Vec<Value> = sb
        .ghl
        .notes(contact_id)
        .into_iter()
        .filter(|n| n["body"].as_str().is_some_and(|b| b.contains(&past)))
        .collect();
    assert_eq!(checkins.len(), 1, "one check-in note");
    assert!(
        contact["customFields"]
            .as_array()
            .is_some_and(|f| f.iter().any(|v| v["value"] == 420.0 || v["value"] == "420")),
        "loyalty points set: {contact}"
    );
    // Nothing left to do, nothing duplicated.
    sb.ghl.reset_counters();
    run(&sb, &store).await;
    assert_eq!(sb.ghl.write_count(), 0);
}

#[tokio::test]
async fn a_client_freed_from_a_shared_email_is_synced_without_being_edited() {
    let sb = Sandboxes::start(SalonSpec::small(33), SandboxSetup::default()).await;
    let store = MemoryStore::new();
    let dee = add_client(&sb, "Dee", Some("shared.family@example.com"));
    let eve = add_client(&sb, "Eve", Some("shared.family@example.com"));
    run(&sb, &store).await;
    // The shared-identity policy decides who (if anyone) gets the address; whoever is left out
    // is remembered as skipped.
    let skipped: Vec<String> = [&dee, &eve]
        .into_iter()
        .filter(|id| contact_of(&sb, id).is_none())
        .cloned()
        .collect();
    assert!(!skipped.is_empty(), "the shared email kept someone out");
    // The *other* client gets their own address; the skipped one is not edited in Phorest.
    for id in [&dee, &eve] {
        if !skipped.contains(id) {
            sb.phorest.update_client(id, |c| {
                c.email = Some(format!("{}@example.com", c.first_name))
            });
        }
    }
    if skipped.len() == 2 {
        sb.phorest
            .update_client(&eve, |c| c.email = Some("eve@example.com".into()));
    }
    let second = run(&sb, &store).await;
    eprintln!(
        "{skipped:?} {:#?}",
        second
            .issues
            .iter()
            .filter(|i| i.phorest_id == dee || i.phorest_id == eve)
            .collect::<Vec<_>>()
    );
    for id in [&dee, &eve] {
        assert!(contact_of(&sb, id).is_some(), "client {id} synced");
    }
}

#[tokio::test]
async fn staff_without_a_ghl_user_are_named_in_the_report_with_the_preflight_note() {
    let setup = SandboxSetup {
        staff_with_users: 2,
        ..SandboxSetup::default()
    };
    let sb = Sandboxes::start(SalonSpec::small(34), setup).await;
    let store = MemoryStore::new();
    let report = run(&sb, &store).await;
    let users = sb.ghl.users().len();
    assert_eq!(users, 2);
    let unmatched: Vec<_> = report
        .issues
        .iter()
        .filter(|i| {
            i.entity == EntityKind::Staff && i.reason.starts_with("no GHL user for appointments")
        })
        .collect();
    // Every staff member of the salon is either matched to one of the two users or named here.
    let staff = sb.phorest.salon().staff().len();
    assert_eq!(unmatched.len(), staff - users, "{unmatched:#?}");
    assert!(unmatched.iter().all(|i| i.label.is_some() && i.actionable));
    let note = &report.entity(EntityKind::Appointment).unwrap().notes;
    assert_eq!(note.len(), 1, "{note:?}");
    assert!(note[0].starts_with(&format!("{} staff have no GHL user", staff - users)));
    assert!(
        report
            .to_table()
            .contains(&format!("Appointments: {}", note[0]))
    );
}
