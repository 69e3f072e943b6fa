//! The SDK's writes against the stateful sandbox: a write is visible to later reads,
//! `version` and `updatedAt` move, and a stale version is a typed conflict.
#![cfg(feature = "mock")]

use std::time::Duration;

use futures::TryStreamExt as _;
use phorest_client::mock::{PhorestSandbox, SalonSpec};
use phorest_client::{
    BranchId, ClientQuery, ClientUpdate, Error, NewClient, PhorestClient, RetryPolicy,
};

fn fast_retries(max_attempts: u32) -> RetryPolicy {
    RetryPolicy::default()
        .max_attempts(max_attempts)
        .base_delay(Duration::from_millis(5))
        .max_delay(Duration::from_millis(20))
}

async fn setup(seed: u64) -> (PhorestSandbox, PhorestClient) {
    let sb = PhorestSandbox::start(SalonSpec::small(seed)).await;
    let client = sb
        .client_builder()
        .retry_policy(fast_retries(3))
        .build()
        .unwrap();
    (sb, client)
}

#[tokio::test]
async fn created_client_is_visible_and_updates_move_version_and_updated_at() {
    let (sb, phorest) = setup(31).await;
    let before = sb.with_salon(|s| s.listed_clients().count());
    let created = phorest
        .clients()
        .create(
            &NewClient::new(sb.branch_id(), "Ann", "Byrne")
                .mobile("16135550142")
                .email("ann.byrne@example.com")
                .external_id("ghl-1"),
        )
        .await
        .unwrap();
    assert_eq!(created.version, Some(1));
    assert_eq!(
        created.creating_branch_id.as_ref().map(BranchId::as_str),
        Some(sb.branch_id())
    );
    let created_at = created.updated_at.unwrap();

    // Visible to the list (count and filter) and to get.
    let all: Vec<_> = phorest
        .clients()
        .list(&ClientQuery::new())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all.len(), before + 1);
    let found: Vec<_> = phorest
        .clients()
        .list(&ClientQuery::new().external_id("ghl-1"))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].client_id, created.client_id);

    // Update: version and updatedAt move, the change is read back.
    let got = phorest.clients().get(&created.client_id).await.unwrap();
    let updated = phorest
        .clients()
        .update(&ClientUpdate::from_client(&got).email("ann@new.example"))
        .await
        .unwrap();
    assert_eq!(updated.version, Some(2));
    assert!(updated.updated_at.unwrap() > created_at);
    let since: Vec<_> = phorest
        .clients()
        .list(&ClientQuery::new().updated_after(updated.updated_at.unwrap()))
        .try_collect()
        .await
        .unwrap();
    assert!(
        since
            .iter()
            .any(|c| c.client_id == created.client_id
                && c.email.as_deref() == Some("ann@new.example"))
    );
    assert_eq!(
        sb.with_salon(|s| s.client(created.client_id.as_str()).map(|c| c.version)),
        Some(2)
    );

    // The stale version (1) conflicts, and nothing changes.
    let stale = ClientUpdate::from_client(&got).email("lost@example.com");
    let err = phorest.clients().update(&stale).await.unwrap_err();
    assert!(matches!(err, Error::Conflict { .. }), "{err:?}");
    let now = phorest.clients().get(&created.client_id).await.unwrap();
    assert_eq!(now.version, Some(2));
    assert_eq!(now.email.as_deref(), Some("ann@new.example"));
    // An edit made in Phorest meanwhile also makes a held version stale.
    assert!(sb.update_client(created.client_id.as_str(), |c| c.notes = Some("x".into())));
    let err = phorest
        .clients()
        .update(&ClientUpdate::from_client(&now).notes("y"))
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(409));
}

#[tokio::test]
async fn create_without_a_known_branch_is_a_bad_request() {
    let (_sb, phorest) = setup(32).await;
    let err = phorest
        .clients()
        .create(&NewClient::new("no-such-branch", "Ann", "Byrne"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::BadRequest { .. }), "{err:?}");
    let err = phorest
        .clients()
        .update(&ClientUpdate::new("no-such-client", 1).notes("x"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
}

#[tokio::test]
async fn diary_reads_follow_the_salon() {
    use chrono::{Datelike, NaiveDate, Weekday};
    use phorest_client::{BreakQuery, ClientId, StaffQuery, WorkTimetableQuery};

    let (sb, phorest) = setup(33).await;
    // Service history follows the client's appointments, including one added later.
    let (client_id, before) = sb.with_salon(|s| {
        let a = s.appointments().iter().find(|a| !a.deleted).unwrap();
        let n = s
            .appointments()
            .iter()
            .filter(|x| x.client_id == a.client_id && !x.deleted)
            .count();
        (a.client_id.clone(), n)
    });
    let history = |phorest: PhorestClient, id: String| async move {
        phorest
            .clients()
            .service_history(&ClientId::from(id))
            .try_collect::<Vec<_>>()
            .await
            .unwrap()
    };
    let visits = history(phorest.clone(), client_id.clone()).await;
    assert_eq!(
        visits.iter().map(|v| v.services.len()).sum::<usize>(),
        before
    );
    assert!(
        visits.windows(2).all(|w| w[0].date >= w[1].date),
        "newest first"
    );
    let day = NaiveDate::from_ymd_opt(2030, 1, 8).unwrap();
    let new_id = sb.add_appointment(|a| {
        a.client_id = client_id.clone();
        a.appointment_date = day;
        a.start_time = chrono::NaiveTime::from_hms_opt(10, 0, 0).unwrap();
        a.end_time = chrono::NaiveTime::from_hms_opt(10, 45, 0).unwrap();
    });
    let visits = history(phorest.clone(), client_id).await;
    assert_eq!(visits[0].date, Some(day));
    assert_eq!(
        visits[0].services[0]
            .appointment_id
            .as_ref()
            .map(|a| a.as_str()),
        Some(new_id.as_str())
    );
    assert_eq!(visits[0].services[0].duration, Some(45));

    // Breaks and rota: one lunch break and one slot per working day per listed staff member,
    // across a two-month range (month windows).
    let staff: Vec<_> = phorest
        .staff(sb.branch_id())
        .list(&StaffQuery::new())
        .try_collect()
        .await
        .unwrap();
    let (from, to) = (
        NaiveDate::from_ymd_opt(2026, 1, 20).unwrap(),
        NaiveDate::from_ymd_opt(2026, 2, 10).unwrap(),
    );
    let working = from
        .iter_days()
        .take_while(|d| *d <= to)
        .filter(|d| !matches!(d.weekday(), Weekday::Sun | Weekday::Mon))
        .count();
    let breaks: Vec<_> = phorest
        .breaks(sb.branch_id())
        .list(&BreakQuery::new(from, to))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(breaks.len(), staff.len() * working);
    assert!(breaks.iter().all(|b| b.label.as_deref() == Some("Lunch")));
    let one: Vec<_> = phorest
        .breaks(sb.branch_id())
        .list(&BreakQuery::new(from, to).staff_id(staff[0].staff_id.clone()))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(one.len(), working);
    let rota: Vec<_> = phorest
        .staff(sb.branch_id())
        .work_timetables(&WorkTimetableQuery::new(from, to))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(
        rota.len(),
        staff.len() * 2,
        "one timetable per staff member per month"
    );
    assert_eq!(
        rota.iter().map(|t| t.time_slots.len()).sum::<usize>(),
        staff.len() * working
    );
}

#[tokio::test]
async fn booking_flow_reserve_activate_update_cancel_is_visible_in_reads() {
    use chrono::{Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
    use phorest_client::{
        ActivationState, AppointmentId, AppointmentQuery, AppointmentUpdate, AvailabilityQuery,
        BookingStatus, NewBooking, ServiceBooking, StaffQuery,
    };

    let (sb, phorest) = setup(34).await;
    let tz = sb.with_salon(|s| s.time_zone());
    let branch = sb.branch_id().to_owned();
    // A far-future Tuesday: nothing is booked yet.
    let mut day = NaiveDate::from_ymd_opt(2031, 3, 4).unwrap();
    while day.weekday() != Weekday::Tue {
        day = day.succ_opt().unwrap();
    }
    let (service, minutes) = sb.with_salon(|s| {
        let sv = s
            .services()
            .iter()
            .find(|x| x.duration <= 60 && !x.is_addon_only)
            .unwrap();
        (sv.service_id.clone(), sv.duration)
    });
    let client_id = sb.with_salon(|s| s.listed_clients().nth(3).unwrap().client_id.clone());
    let staff: Vec<_> = phorest
        .staff(branch.as_str())
        .list(&StaffQuery::new())
        .try_collect()
        .await
        .unwrap();
    let staff_id = staff[0].staff_id.clone();
    let local = |h, m| {
        tz.from_local_datetime(&day.and_time(NaiveTime::from_hms_opt(h, m, 0).unwrap()))
            .unwrap()
            .with_timezone(&Utc)
    };

    // Availability for the day: 10:00 is free with this staff member.
    let appts = phorest.appointments(branch.as_str());
    let free = appts
        .availability(
            &AvailabilityQuery::new(local(9, 0), local(18, 0), service.as_str())
                .staff_id(staff_id.clone()),
        )
        .await
        .unwrap();
    assert!(free.iter().any(|s| s.start_time == Some(local(10, 0))));
    assert!(free.iter().all(|s| s.start_time.unwrap() < local(17, 30)));

    // Reserve, see it RESERVED in the list, activate, see it ACTIVE.
    let made = phorest
        .bookings(branch.as_str())
        .create(
            &NewBooking::new(client_id.as_str())
                .reserved()
                .service(ServiceBooking::new(
                    service.as_str(),
                    staff_id.clone(),
                    local(10, 0),
                )),
        )
        .await
        .unwrap();
    assert_eq!(made.booking_status, Some(BookingStatus::Reserved));
    let ids = made.appointment_ids();
    assert_eq!(ids.len(), 1);
    let read = |id: AppointmentId| {
        let appts = appts.clone();
        async move { appts.get(&id).await.unwrap() }
    };
    let a = read(ids[0].clone()).await;
    assert_eq!(a.activation_state, Some(ActivationState::Reserved));
    assert_eq!(
        a.start_time,
        NaiveTime::from_hms_opt(10, 0, 0),
        "branch-local"
    );
    assert_eq!(
        a.end_utc(tz).unwrap(),
        local(10, 0) + Duration::minutes(minutes)
    );
    assert_eq!(a.booking_id.as_ref(), Some(&made.booking_id));

    // The slot is gone from availability, and booking it again is refused.
    let free = appts
        .availability(
            &AvailabilityQuery::new(local(9, 0), local(18, 0), service.as_str())
                .staff_id(staff_id.clone()),
        )
        .await
        .unwrap();
    assert!(!free.iter().any(|s| s.start_time == Some(local(10, 0))));
    let err = phorest
        .bookings(branch.as_str())
        .create(
            &NewBooking::new(client_id.as_str()).service(ServiceBooking::new(
                service.as_str(),
                staff_id.clone(),
                local(10, 0),
            )),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::BadRequest { .. }), "{err:?}");

    phorest
        .bookings(branch.as_str())
        .activate(&made.booking_id)
        .await
        .unwrap();
    let a = read(ids[0].clone()).await;
    assert_eq!(a.activation_state, Some(ActivationState::Active));

    // Confirm, then reschedule with the current version; a stale version conflicts.
    appts.confirm(&ids).await.unwrap();
    let a = read(ids[0].clone()).await;
    assert!(a.confirmed);
    let t = |h, m| NaiveTime::from_hms_opt(h, m, 0).unwrap();
    let moved = appts
        .update(&AppointmentUpdate::new(&a).reschedule(day, t(15, 0), t(15, 30)))
        .await
        .unwrap();
    assert_eq!(moved.version, Some(a.version.unwrap() + 1));
    assert!(moved.updated_at > a.updated_at);
    assert_eq!(moved.start_time, Some(t(15, 0)));
    let err = appts
        .update(&AppointmentUpdate::new(&a).reschedule(day, t(16, 0), t(16, 30)))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Conflict { .. }), "{err:?}");

    // An incremental read sees the changes; cancelling hides it unless asked.
    let listed: Vec<_> = appts
        .list(&AppointmentQuery::new(day, day).updated_from(a.updated_at.unwrap()))
        .try_collect()
        .await
        .unwrap();
    assert!(listed.iter().any(|x| x.appointment_id == ids[0]));
    appts.cancel(&ids).await.unwrap();
    let visible: Vec<_> = appts
        .list(&AppointmentQuery::new(day, day))
        .try_collect()
        .await
        .unwrap();
    assert!(!visible.iter().any(|x| x.appointment_id == ids[0]));
    let all: Vec<_> = appts
        .list(&AppointmentQuery::for_sync(day, day))
        .try_collect()
        .await
        .unwrap();
    assert!(
        all.iter()
            .any(|x| x.appointment_id == ids[0] && x.is_cancelled())
    );

    // Booking cancel on a second booking.
    let second = phorest
        .bookings(branch.as_str())
        .create(
            &NewBooking::new(client_id.as_str()).service(ServiceBooking::new(
                service.as_str(),
                staff_id.clone(),
                local(11, 0),
            )),
        )
        .await
        .unwrap();
    phorest
        .bookings(branch.as_str())
        .cancel(&second.booking_id)
        .await
        .unwrap();
    let b = read(second.appointment_ids()[0].clone()).await;
    assert!(b.is_cancelled());
}

#[tokio::test]
async fn sales_stock_vouchers_and_points_are_visible_in_reads() {
    use chrono::Utc;
    use phorest_client::{
        AppointmentId, DepositLinkRequest, LoyaltyPointsChange, NewPurchase, NewVoucher,
        PaymentType, PollPolicy, ProductQuery, PurchaseItem, PurchasePayment, StockAdjustment,
        VoucherQuery,
    };

    let (sb, phorest) = setup(35).await;
    let branch = sb.branch_id().to_owned();
    let (product, barcode, stock) = sb.with_salon(|s| {
        let p = s
            .products()
            .iter()
            .find(|p| p.branch_id == branch && !p.archived && p.barcode.is_some())
            .unwrap();
        (
            p.product_id.clone(),
            p.barcode.clone().unwrap(),
            p.quantity_in_stock,
        )
    });
    let client_id = sb.with_salon(|s| s.listed_clients().nth(5).unwrap().client_id.clone());
    let stock_of = |phorest: PhorestClient, branch: String, id: String| async move {
        phorest
            .products(branch.as_str())
            .get(&id.as_str().into())
            .await
            .unwrap()
    };

    // Purchase: stock drops, updatedAt moves, and the sale is in today's export.
    let before = stock_of(phorest.clone(), branch.clone(), product.clone()).await;
    let receipt = phorest
        .purchases(branch.as_str())
        .create(
            &NewPurchase::new()
                .client_id(client_id.as_str())
                .item(PurchaseItem::product(product.as_str(), 2, 10.0))
                .payment(PurchasePayment::new(PaymentType::Credit, 20.0)),
        )
        .await
        .unwrap();
    let tx = receipt.transaction_number.clone().unwrap();
    let after = stock_of(phorest.clone(), branch.clone(), product.clone()).await;
    assert_eq!(after.quantity_in_stock, Some(stock - 2.0));
    assert!(after.updated_at > before.updated_at);
    let changed: Vec<_> = phorest
        .products(branch.as_str())
        .list(
            &ProductQuery::new()
                .updated_after(before.updated_at.unwrap() + chrono::Duration::milliseconds(1)),
        )
        .try_collect()
        .await
        .unwrap();
    assert!(changed.iter().any(|p| p.product_id.as_str() == product));
    let today = Utc::now()
        .with_timezone(&sb.with_salon(|s| s.time_zone()))
        .date_naive();
    let poll = PollPolicy::default()
        .initial(Duration::from_millis(5))
        .max(Duration::from_millis(10))
        .max_polls(10);
    let rows = phorest
        .csv_exports(branch.as_str())
        .transactions(today, today, poll)
        .await
        .unwrap();
    let ours: Vec<_> = rows
        .into_iter()
        .filter_map(Result::ok)
        .filter(|r| r.transaction_id.as_ref().map(|t| t.as_str()) == Some(tx.as_str()))
        .collect();
    assert_eq!(ours.len(), 1);
    assert_eq!(ours[0].quantity, Some(2.0));
    assert_eq!(
        ours[0].client_id.as_ref().map(|c| c.as_str()),
        Some(client_id.as_str())
    );
    // Payments must add up.
    let err = phorest
        .purchases(branch.as_str())
        .create(
            &NewPurchase::new()
                .item(PurchaseItem::product(product.as_str(), 1, 10.0))
                .payment(PurchasePayment::new(PaymentType::Credit, 5.0)),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::BadRequest { .. }));

    // Stock adjustment by barcode.
    phorest
        .products(branch.as_str())
        .adjust_stock(&StockAdjustment::new().increase(barcode.as_str(), 10))
        .await
        .unwrap();
    let adjusted = stock_of(phorest.clone(), branch.clone(), product.clone()).await;
    assert_eq!(adjusted.quantity_in_stock, Some(stock + 8.0));
    let err = phorest
        .products(branch.as_str())
        .adjust_stock(&StockAdjustment::new().deduct("no-such-barcode", 1))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::BadRequest { .. }));

    // Voucher: issued, listed for its owner, duplicate serial refused.
    let voucher = phorest
        .vouchers()
        .create(
            &NewVoucher::new(branch.as_str(), 40.0, Utc::now())
                .client_id(client_id.as_str())
                .serial_number("GIFT-777"),
        )
        .await
        .unwrap();
    assert_eq!(voucher.remaining_balance, Some(40.0));
    let listed: Vec<_> = phorest
        .vouchers()
        .list(&VoucherQuery::new().serial_number("GIFT-777"))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].voucher_id, voucher.voucher_id);
    let err = phorest
        .vouchers()
        .create(&NewVoucher::new(branch.as_str(), 10.0, Utc::now()).serial_number("GIFT-777"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("DUPLICATE_SERIAL"));

    // Loyalty points: the balance moves and so does updatedAt.
    let before = phorest
        .clients()
        .get(&client_id.as_str().into())
        .await
        .unwrap();
    let points = before
        .loyalty_card
        .as_ref()
        .and_then(|c| c.points)
        .unwrap_or(0.0);
    phorest
        .clients()
        .change_loyalty_points(&LoyaltyPointsChange::add(
            client_id.as_str(),
            branch.as_str(),
            25,
            "bonus",
        ))
        .await
        .unwrap();
    let after = phorest
        .clients()
        .get(&client_id.as_str().into())
        .await
        .unwrap();
    assert_eq!(
        after.loyalty_card.and_then(|c| c.points),
        Some(points + 25.0)
    );
    assert!(after.updated_at > before.updated_at);
    assert_eq!(after.version, before.version.map(|v| v + 1));
    let err = phorest
        .clients()
        .change_loyalty_points(&LoyaltyPointsChange::deduct(
            client_id.as_str(),
            branch.as_str(),
            1_000_000,
            "too many",
        ))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::BadRequest { .. }));

    // Deposit link for existing appointments; unknown ones are 404.
    let appt = sb.with_salon(|s| s.appointments()[0].appointment_id.clone());
    let link = phorest
        .appointments(branch.as_str())
        .deposit_payment_link(&DepositLinkRequest::new([AppointmentId::from(
            appt.as_str(),
        )]))
        .await
        .unwrap();
    assert!(link.url.unwrap().starts_with("https://"));
    let err = phorest
        .appointments(branch.as_str())
        .deposit_payment_link(&DepositLinkRequest::new([AppointmentId::from("nope")]))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }));
}

#[tokio::test]
async fn courses_and_client_csv_follow_the_salon() {
    use phorest_client::{BranchId, ClientCourseQuery, CsvExportRequest, CsvJobType, PollPolicy};

    let (sb, phorest) = setup(36).await;
    let branch = BranchId::from(sb.branch_id());
    let courses: Vec<_> = phorest.courses().list(&branch).try_collect().await.unwrap();
    assert_eq!(courses.len(), 3);
    let all: Vec<_> = phorest
        .courses()
        .client_courses(&ClientCourseQuery::new().include_used_course_items(true))
        .try_collect()
        .await
        .unwrap();
    assert!(!all.is_empty());
    let owner = all[0].client_id.clone().unwrap();
    let units = all[0].remaining_units();
    // Redeem one unit: a PAID appointment of the course's service.
    let service = all[0].client_course_items[0].service_id.clone().unwrap();
    if units > 0 {
        sb.add_appointment(|a| {
            a.client_id = owner.to_string();
            a.service_id = service.to_string();
            a.state = "PAID".to_owned();
        });
        let mine: Vec<_> = phorest
            .courses()
            .client_courses(
                &ClientCourseQuery::new()
                    .client_id(owner.clone())
                    .include_used_course_items(true),
            )
            .try_collect()
            .await
            .unwrap();
        assert_eq!(mine.len(), 1);
        assert_eq!(mine[0].remaining_units(), units - 1);
    }

    // CLIENT_CSV: the full export lists every client but the walk-in; the incremental one
    // only the client edited after the watermark.
    let poll = PollPolicy::default()
        .initial(Duration::from_millis(5))
        .max(Duration::from_millis(10))
        .max_polls(10);
    let exports = phorest.csv_exports(branch.clone());
    let full = exports.clients_csv(None, poll).await.unwrap();
    let expected = sb.with_salon(|s| s.clients().len() - 1);
    assert_eq!(full.iter().filter(|r| r.is_ok()).count(), expected);
    let edited = sb.with_salon(|s| s.listed_clients().nth(2).unwrap().client_id.clone());
    assert!(sb.update_client(&edited, |c| c.notes = Some("late edit".into())));
    let since = sb.with_salon(|s| s.client(&edited).unwrap().updated_at);
    let changed = exports.clients_csv(Some(since), poll).await.unwrap();
    let ids: Vec<_> = changed
        .iter()
        .filter_map(|r| r.as_ref().ok())
        .filter_map(|r| r.client_id.clone())
        .collect();
    assert!(ids.iter().any(|id| id.as_str() == edited));
    assert!(ids.len() < expected);
    // An unsupported expression is refused.
    let err = exports
        .start_request(&CsvExportRequest::new(CsvJobType::ClientCsv).filter_expression("name=Ann"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::BadRequest { .. }));
}

#[tokio::test]
async fn transactions_filter_expression_narrows_the_export_to_the_updated_window() {
    use chrono::{Duration as Span, TimeZone};
    use phorest_client::{CsvExportRequest, CsvJobType, PollPolicy, TransactionId};

    let (sb, phorest) = setup(37).await;
    let branch = sb.branch_id().to_owned();
    let tz = sb.with_salon(|s| s.time_zone());
    // The busiest sale day of the branch, and the instant of its middle line.
    let (day, lines) = sb.with_salon(|s| {
        let mut per_day = std::collections::BTreeMap::new();
        for l in s.sales().iter().filter(|l| l.branch_id == branch) {
            per_day
                .entry(l.purchased_date)
                .or_insert_with(Vec::new)
                .push((l.purchase_time, l.transaction_id.clone()));
        }
        per_day.into_iter().max_by_key(|(_, v)| v.len()).unwrap()
    });
    assert!(lines.len() >= 2);
    let mut times: Vec<_> = lines.iter().map(|(t, _)| *t).collect();
    times.sort();
    let cut = times[times.len() / 2];
    let cut_utc = tz
        .from_local_datetime(&day.and_time(cut))
        .earliest()
        .unwrap()
        .with_timezone(&chrono::Utc);
    let poll = PollPolicy::default()
        .initial(Duration::from_millis(5))
        .max(Duration::from_millis(10))
        .max_polls(10);
    let exports = phorest.csv_exports(branch.as_str());
    let whole = exports
        .transactions_with(
            &CsvExportRequest::new(CsvJobType::TransactionsCsv).dates(day, day),
            poll,
        )
        .await
        .unwrap();
    let late = exports
        .transactions_with(
            &CsvExportRequest::new(CsvJobType::TransactionsCsv)
                .dates(day, day)
                .updated_between(cut_utc, cut_utc + Span::days(1)),
            poll,
        )
        .await
        .unwrap();
    let expected: std::collections::BTreeSet<TransactionId> = lines
        .iter()
        .filter(|(t, _)| *t >= cut)
        .map(|(_, id)| TransactionId::from(id.as_str()))
        .collect();
    let got: std::collections::BTreeSet<TransactionId> = late
        .iter()
        .filter_map(|r| r.as_ref().ok())
        .filter_map(|r| r.transaction_id.clone())
        .collect();
    assert_eq!(got, expected);
    assert!(late.len() < whole.len());
}
