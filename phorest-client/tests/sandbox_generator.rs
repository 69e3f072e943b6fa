//! The seeded salon generator: determinism and the shape of the generated data.
#![cfg(feature = "mock")]

use std::collections::{HashMap, HashSet};

use chrono::{LocalResult, TimeZone, Utc};
use phorest_client::mock::{Salon, SalonSpec};

/// A strict-enough email check for the test: one `@`, a dotted domain, no
/// spaces, no empty labels.
fn email_ok(email: &str) -> bool {
    let e = email.trim();
    let Some((local, domain)) = e.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && !e.contains(' ')
        && domain.split('.').count() >= 2
        && domain.split('.').all(|label| !label.is_empty())
}

fn fingerprint(salon: &Salon) -> String {
    format!(
        "{}|{}|{}|{}|{}|{}|{:?}",
        serde_json::to_string(salon.clients()).unwrap(),
        serde_json::to_string(salon.staff()).unwrap(),
        serde_json::to_string(salon.appointments()).unwrap(),
        serde_json::to_string(salon.products()).unwrap(),
        serde_json::to_string(salon.branches()).unwrap(),
        serde_json::to_string(salon.client_categories()).unwrap(),
        salon.sales(),
    )
}

#[test]
fn same_seed_same_salon_and_other_seed_differs() {
    let a = SalonSpec::small(42).generate();
    let b = SalonSpec::small(42).generate();
    let c = SalonSpec::small(43).generate();
    assert_eq!(fingerprint(&a), fingerprint(&b));
    assert_eq!(a.business_id(), b.business_id());
    assert_ne!(fingerprint(&a), fingerprint(&c));
    assert_ne!(a.business_id(), c.business_id());
}

#[test]
fn ids_look_like_phorest_ids_and_are_unique() {
    let salon = SalonSpec::small(1).generate();
    let ids: Vec<&str> = salon
        .clients()
        .iter()
        .map(|c| c.client_id.as_str())
        .chain(salon.staff().iter().map(|s| s.staff_id.as_str()))
        .chain(
            salon
                .appointments()
                .iter()
                .map(|a| a.appointment_id.as_str()),
        )
        .chain(salon.products().iter().map(|p| p.product_id.as_str()))
        .chain([salon.business_id(), salon.branch_id()])
        .collect();
    for id in &ids {
        assert_eq!(id.len(), 22, "{id}");
        assert!(
            id.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
            "{id}"
        );
    }
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), ids.len());
}

#[test]
fn seed_report_shape_matches_the_real_salon() {
    let salon = SalonSpec::seed_report(7).generate();
    let clients = salon.clients();
    let n = clients.len() as f64;
    assert_eq!(clients.len(), 14_806);
    assert_eq!(salon.branches().len(), 1);
    assert_eq!(salon.branches()[0].time_zone, "Europe/Dublin");
    assert_eq!(salon.branches()[0].country, "IE");
    assert_eq!(salon.branches()[0].currency_code, "EUR");

    let with_email = clients.iter().filter(|c| c.has_email()).count() as f64;
    let with_phone = clients.iter().filter(|c| c.has_phone()).count() as f64;
    let neither = clients
        .iter()
        .filter(|c| !c.has_email() && !c.has_phone())
        .count() as f64;
    assert!(
        (with_email / n - 0.145).abs() < 0.005,
        "email {}",
        with_email / n
    );
    assert!(
        (with_phone / n - 0.656).abs() < 0.01,
        "phone {}",
        with_phone / n
    );
    assert!((neither / n - 0.28).abs() < 0.01, "neither {}", neither / n);
    // The counts are exact by construction, whatever the seed.
    assert_eq!(with_email as usize, 2_150);
    assert_eq!(with_phone as usize, 9_720);
    assert_eq!(neither as usize, 4_143);
    assert_eq!((n - neither) as usize, 10_663, "syncable");

    // The walk-in placeholder: one client, no contact data.
    let walk_in = salon.client(salon.walk_in_client_id()).unwrap();
    assert!(!walk_in.has_email() && !walk_in.has_phone());
    assert_eq!(walk_in.first_name, "Walk-in");

    let invalid = clients
        .iter()
        .filter_map(|c| c.email.as_deref())
        .filter(|e| !email_ok(e))
        .count();
    assert!(invalid > 20, "invalid emails {invalid}");
    let local = clients
        .iter()
        .filter_map(|c| c.mobile.as_deref())
        .filter(|m| m.starts_with("08"))
        .count();
    assert!(local > 100, "local phones {local}");
    let international = clients
        .iter()
        .filter_map(|c| c.mobile.as_deref())
        .filter(|m| m.starts_with("3538") && m.len() == 12)
        .count();
    assert!(international > 8_000);

    let mut by_email: HashMap<String, usize> = HashMap::new();
    for e in clients.iter().filter_map(|c| c.email.as_deref()) {
        *by_email.entry(e.trim().to_lowercase()).or_default() += 1;
    }
    assert!(by_email.values().filter(|&&k| k > 1).count() >= 50);

    let linked: Vec<_> = clients
        .iter()
        .filter(|c| c.linked_client_id.is_some())
        .collect();
    assert!(linked.len() >= 100);
    for child in linked {
        let parent = salon
            .client(child.linked_client_id.as_deref().unwrap())
            .unwrap();
        assert_eq!(child.linked_client_mobile, parent.mobile);
        assert_eq!(child.mobile, parent.mobile);
    }
    let merged: Vec<_> = clients
        .iter()
        .filter(|c| c.merged_to_client_id.is_some())
        .collect();
    assert!(!merged.is_empty());
    for m in merged {
        let target = m.merged_to_client_id.as_deref().unwrap();
        assert!(salon.client(target).is_some());
        assert_ne!(target, m.client_id);
        assert!(m.deleted);
    }
    assert!(clients.iter().filter(|c| c.archived).count() > 100);
    assert!(clients.iter().filter(|c| c.deleted).count() > 100);
    assert!(clients.iter().any(|c| c.banned));
    assert!(clients.iter().any(|c| c.last_name.is_empty()));
    assert!(clients.iter().any(|c| c.first_name.starts_with("  ")));
    assert!(
        clients
            .iter()
            .any(|c| !c.first_name.is_ascii() || !c.last_name.is_ascii())
    );
    assert!(clients.iter().any(|c| c.last_name.contains('\'')));

    let cards = clients.iter().filter(|c| c.loyalty_card.is_some()).count();
    assert_eq!(cards, 10_600);
    let zero = clients
        .iter()
        .filter_map(|c| c.loyalty_card.as_ref())
        .filter(|l| l.points == 0.0)
        .count();
    assert!(zero > 1_000 && zero < cards);

    assert_eq!(salon.client_categories().len(), 10);
    assert_eq!(salon.products().len(), 1_206);

    let staff = salon.staff();
    assert_eq!(staff.len(), 25);
    let malformed = staff
        .iter()
        .filter(|s| s.email.as_deref().is_some_and(|e| !email_ok(e)))
        .count();
    assert_eq!(malformed, 3);
    let no_contact = staff
        .iter()
        .filter(|s| s.email.is_none() && s.mobile.is_none())
        .count();
    assert!((4..=5).contains(&no_contact));
}

#[test]
fn seed_report_appointments_cover_every_state_and_dst() {
    let salon = SalonSpec::seed_report(7).generate();
    let rows = salon.appointments();
    assert_eq!(rows.len(), 849);
    let first = rows.iter().map(|a| a.appointment_date).min().unwrap();
    let last = rows.iter().map(|a| a.appointment_date).max().unwrap();
    assert!((last - first).num_days() > 150, "{first}..{last}");

    let mut per_booking: HashMap<&str, Vec<_>> = HashMap::new();
    for a in rows {
        per_booking
            .entry(a.booking_id.as_str())
            .or_default()
            .push(a);
    }
    let multi: Vec<_> = per_booking.values().filter(|v| v.len() > 1).collect();
    assert!(multi.len() > 20);
    for booking in multi {
        // A multi-service booking is one client on one day.
        assert!(booking.iter().all(|a| a.client_id == booking[0].client_id));
        assert!(
            booking
                .iter()
                .all(|a| a.appointment_date == booking[0].appointment_date)
        );
    }
    for (state, min) in [("PAID", 100), ("CHECKED_IN", 10), ("BOOKED", 50)] {
        let count = rows.iter().filter(|a| a.state == state).count();
        assert!(count >= min, "{state}: {count}");
    }
    assert!(
        rows.iter()
            .filter(|a| a.activation_state == "CANCELED")
            .count()
            > 20
    );
    assert!(rows.iter().any(|a| a.activation_state == "ARCHIVED"));
    assert!(rows.iter().filter(|a| a.deleted).count() > 3);
    assert!(
        rows.iter()
            .any(|a| a.client_id == salon.walk_in_client_id())
    );
    assert!(rows.iter().all(|a| a.end_time > a.start_time));
    assert!(rows.iter().all(|a| a.updated_at >= a.created_at));

    // One booking sits in the spring-forward gap and one in the autumn overlap.
    let tz = salon.time_zone();
    let resolved: Vec<_> = rows
        .iter()
        .map(|a| tz.from_local_datetime(&a.appointment_date.and_time(a.start_time)))
        .collect();
    assert!(resolved.iter().any(|r| matches!(r, LocalResult::None)));
    assert!(
        resolved
            .iter()
            .any(|r| matches!(r, LocalResult::Ambiguous(..)))
    );

    let sales = salon.sales();
    assert!(sales.iter().any(|l| l.item_type == "PRODUCT"));
    assert!(sales.iter().any(|l| l.item_type == "SERVICE"));
    assert!(
        sales
            .iter()
            .any(|l| l.client_id != salon.walk_in_client_id())
    );
}

#[test]
fn small_salon_still_has_every_quirk() {
    let salon = SalonSpec::small(3).generate();
    let clients = salon.clients();
    assert_eq!(clients.len(), 60);
    assert_eq!(salon.staff().len(), 8);
    assert_eq!(salon.appointments().len(), 40);
    assert!(clients.iter().any(|c| c.archived));
    assert!(clients.iter().any(|c| c.deleted));
    assert!(clients.iter().any(|c| c.banned));
    assert!(clients.iter().any(|c| c.merged_to_client_id.is_some()));
    assert!(clients.iter().any(|c| c.linked_client_id.is_some()));
    assert!(
        clients
            .iter()
            .any(|c| c.mobile.as_deref().is_some_and(|m| m.starts_with("08")))
    );
    assert!(
        clients
            .iter()
            .any(|c| c.email.as_deref().is_some_and(|e| !email_ok(e)))
    );
    assert!(clients.iter().any(|c| !c.has_email() && !c.has_phone()));
    assert!(salon.staff().iter().any(|s| s.archived));
    assert!(salon.client_categories().iter().any(|c| c.archived));
    assert!(salon.services().iter().any(|s| s.is_addon_only));
    let tz = salon.time_zone();
    let edge = salon
        .appointments()
        .iter()
        .filter(|a| {
            !matches!(
                tz.from_local_datetime(&a.appointment_date.and_time(a.start_time)),
                LocalResult::Single(_)
            )
        })
        .count();
    assert_eq!(edge, 2);
}

#[test]
fn large_salon_has_150k_unique_clients() {
    let salon = SalonSpec::large(11).generate();
    assert_eq!(salon.clients().len(), 150_000);
    assert_eq!(salon.branches().len(), 2);
    let ids: HashSet<&str> = salon
        .clients()
        .iter()
        .map(|c| c.client_id.as_str())
        .collect();
    assert_eq!(ids.len(), 150_000);
    // Served in creation order.
    assert!(
        salon
            .clients()
            .windows(2)
            .all(|w| w[0].created_at <= w[1].created_at)
    );
    // Both branches get staff, products and appointments.
    for branch in salon.branch_ids() {
        assert!(salon.staff().iter().any(|s| s.branch_id == branch));
        assert!(salon.products().iter().any(|p| p.branch_id == branch));
        assert!(salon.appointments().iter().any(|a| a.branch_id == branch));
    }
}

#[test]
fn serialised_shapes_are_phorest_camel_case() {
    let salon = SalonSpec::small(5).generate();
    let client = serde_json::to_value(&salon.clients()[1]).unwrap();
    for key in [
        "clientId",
        "version",
        "firstName",
        "lastName",
        "mobile",
        "linkedClientMobile",
        "clientCategoryIds",
        "mergedToClientId",
        "createdAt",
        "updatedAt",
        "loyaltyCard",
        "smsMarketingConsent",
    ] {
        assert!(client.get(key).is_some(), "client.{key}");
    }
    let created = client["createdAt"].as_str().unwrap();
    assert_eq!(created.len(), "2021-08-01T14:21:48.487Z".len(), "{created}");
    assert!(created.ends_with('Z'));

    let appointment = serde_json::to_value(&salon.appointments()[0]).unwrap();
    let start = appointment["startTime"].as_str().unwrap();
    assert_eq!(start.len(), "10:30:00.000".len(), "{start}");
    assert_eq!(appointment["appointmentDate"].as_str().unwrap().len(), 10);
    for key in [
        "bookingId",
        "activationState",
        "state",
        "staffId",
        "serviceName",
    ] {
        assert!(appointment.get(key).is_some(), "appointment.{key}");
    }
    let branch = serde_json::to_value(&salon.branches()[0]).unwrap();
    assert_eq!(branch["timeZone"], "Europe/Dublin");
    assert!(branch["name"].as_str().unwrap().ends_with(' '));
    let product = serde_json::to_value(&salon.products()[0]).unwrap();
    assert!(product.get("type").is_some() && product.get("branchId").is_none());
}

#[test]
fn degenerate_specs_do_not_panic() {
    let empty = SalonSpec {
        branches: 0,
        staff: 0,
        staff_malformed_email: 0,
        staff_without_contact: 0,
        staff_archived: 0,
        clients: 0,
        loyalty_cards: 0,
        client_categories: 0,
        services: 0,
        products: 0,
        appointments: 5,
        appointment_days: 0,
        sales_transactions: 3,
        reviews: 2,
        vouchers: 2,
        ..SalonSpec::default()
    };
    let salon = empty.generate();
    assert_eq!(salon.branches().len(), 1);
    assert_eq!(
        salon.clients().len(),
        1,
        "the walk-in client is always there"
    );
    assert!(salon.appointments().is_empty());
    assert!(salon.sales().is_empty());

    // Counts larger than the population are clamped.
    let overfull = SalonSpec {
        clients: 3,
        loyalty_cards: 50,
        staff: 2,
        staff_malformed_email: 5,
        ..SalonSpec::small(1)
    };
    let salon = overfull.generate();
    assert_eq!(salon.clients().len(), 3);
    assert_eq!(salon.staff().len(), 2);
}

#[test]
fn anchored_salons_move_in_time_and_stay_in_the_past() {
    let now = Utc.with_ymd_and_hms(2027, 6, 1, 9, 30, 0).unwrap();
    let spec = SalonSpec::small(9).anchored_at(now);
    assert_eq!(spec.now, now);
    let salon = spec.generate();
    assert_eq!(
        fingerprint(&salon),
        fingerprint(&SalonSpec::small(9).anchored_at(now).generate())
    );
    let first = salon
        .appointments()
        .iter()
        .map(|a| a.appointment_date)
        .min()
        .unwrap();
    let last = salon
        .appointments()
        .iter()
        .map(|a| a.appointment_date)
        .max()
        .unwrap();
    let today = now.date_naive();
    assert!(first < today && last > today, "{first}..{last}");
    assert!(first >= today - chrono::Duration::days(200));
    assert!(salon.clients().iter().all(|c| c.updated_at <= now));
    assert!(salon.appointments().iter().all(|a| a.updated_at <= now));
    assert!(salon.staff().iter().all(|s| s.updated_at <= now));
    // Past appointments are settled, future ones only booked.
    assert!(
        salon
            .appointments()
            .iter()
            .filter(|a| a.appointment_date >= today)
            .all(|a| a.state == "BOOKED")
    );
}
