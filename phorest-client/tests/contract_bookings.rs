//! Bookings, availability and appointment writes: exact method, path, headers and body
//! (UTC instants for bookings and availability, branch-local times for the appointment
//! update), typed decoding of U3's captured answers, empty answers accepted, the
//! availability search retried as a read and the writes not replayed.

mod common;

use chrono::{NaiveDate, NaiveTime, TimeZone, Utc};
use common::*;
use phorest_client::*;
use serde_json::json;
use wiremock::{Mock, MockServer, ResponseTemplate, matchers};

fn bp(rel: &str) -> String {
    p(&format!("/branch/{BRANCH}{rel}"))
}

/// U3's captured `BookingResponse`.
fn booking_response() -> serde_json::Value {
    json!({
        "bookingStatus": "CONFIRMED", "clientId": "cli1", "bookingId": "bk1",
        "schedules": [{"startTime": "2026-07-20T22:00:00Z", "endTime": "2026-07-20T22:45:00Z"}],
        "clientAppointmentSchedules": [{
            "clientId": "cli1",
            "serviceSchedules": [{"serviceId": "svc1", "staffId": "staff1", "appointmentId": "ap123"}]
        }],
        "links": []
    })
}

#[tokio::test]
async fn create_booking_posts_utc_instants_and_decodes_the_appointment_ids() {
    let server = MockServer::start().await;
    Mock::given(matchers::method("POST"))
        .and(matchers::path(bp("/booking")))
        .and(matchers::header("authorization", AUTH))
        .and(matchers::header("content-type", "application/json"))
        .and(matchers::body_json(json!({
            "clientId": "cli1",
            "bookingStatus": "RESERVED",
            "clientAppointmentSchedules": [{
                "clientId": "cli1",
                "serviceSchedules": [
                    {"serviceId": "svc1", "staffId": "staff1", "startTime": "2026-07-20T22:00:00.000Z"},
                    {"serviceId": "svc2", "staffId": "staff1", "startTime": "2026-07-20T22:45:00.000Z",
                     "duration": 30, "notes": "toner"}
                ]
            }],
            "note": "Booked by the website."
        })))
        .respond_with(ResponseTemplate::new(201).set_body_json(booking_response()))
        .expect(1)
        .mount(&server)
        .await;
    let at = Utc.with_ymd_and_hms(2026, 7, 20, 22, 0, 0).unwrap();
    let booking = NewBooking::new("cli1")
        .reserved()
        .service(ServiceBooking::new("svc1", "staff1", at))
        .service(
            ServiceBooking::new("svc2", "staff1", at + chrono::Duration::minutes(45))
                .duration(30)
                .notes("toner"),
        )
        .note("Booked by the website.");
    let made = client(&server)
        .bookings(BRANCH)
        .create(&booking)
        .await
        .unwrap();
    assert_eq!(made.booking_id.as_str(), "bk1");
    assert_eq!(made.booking_status, Some(BookingStatus::Confirmed));
    assert_eq!(made.appointment_ids(), vec![AppointmentId::from("ap123")]);
}

#[tokio::test]
async fn activate_and_cancel_accept_empty_answers() {
    let server = MockServer::start().await;
    Mock::given(matchers::method("POST"))
        .and(matchers::path(bp("/booking/bk1/activate")))
        .and(matchers::header("authorization", AUTH))
        .and(matchers::body_json(json!({})))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(matchers::method("POST"))
        .and(matchers::path(bp("/booking/bk1/cancel")))
        .and(matchers::header("authorization", AUTH))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"bookingId": "bk1"})))
        .expect(1)
        .mount(&server)
        .await;
    let bookings = client(&server).bookings(BRANCH);
    bookings.activate(&BookingId::from("bk1")).await.unwrap();
    bookings.cancel(&BookingId::from("bk1")).await.unwrap();
    let reqs = requests(&server).await;
    assert!(reqs[1].body.is_empty(), "cancel sends no body");
}

#[tokio::test]
async fn availability_posts_the_selection_and_is_retried_as_a_read() {
    let server = MockServer::start().await;
    Mock::given(matchers::method("POST"))
        .and(matchers::path(bp("/appointments/availability")))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    // U3's captured answer.
    Mock::given(matchers::method("POST"))
        .and(matchers::path(bp("/appointments/availability")))
        .and(matchers::header("authorization", AUTH))
        .and(matchers::body_json(json!({
            "startTime": "2026-07-20T22:00:00.000Z",
            "endTime": "2026-07-20T22:45:00.000Z",
            "isOnlineAvailability": true,
            "clientServiceSelections": [{
                "clientId": "cli1",
                "serviceSelections": [{"serviceId": "svc1", "staffId": "staff1"}]
            }]
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": [{
                "startTime": "2026-07-20T22:00:00Z",
                "clientSchedules": [{
                    "clientId": "cli1",
                    "serviceSchedules": [
                        {"serviceId": "svc1", "staffId": "staff1",
                         "startTime": "2026-07-20T22:00:00Z", "endTime": "2026-07-20T22:45:00Z"},
                        {"serviceId": "svc1", "staffId": "staff2", "alternativeStaffMember": true,
                         "startTime": "2026-07-20T22:00:00Z", "endTime": "2026-07-20T23:00:00Z"}
                    ]
                }]
            }],
            "links": []
        })))
        .expect(1)
        .mount(&server)
        .await;
    let start = Utc.with_ymd_and_hms(2026, 7, 20, 22, 0, 0).unwrap();
    let query = AvailabilityQuery::new(start, start + chrono::Duration::minutes(45), "svc1")
        .staff_id("staff1")
        .client_id("cli1")
        .online(true);
    let slots = client(&server)
        .appointments(BRANCH)
        .availability(&query)
        .await
        .unwrap();
    assert_eq!(slots.len(), 1);
    assert_eq!(slots[0].start_time, Some(start));
    let services = &slots[0].client_schedules[0].service_schedules;
    assert_eq!(services.len(), 2);
    assert_eq!(
        services[1].end_time,
        Some(Utc.with_ymd_and_hms(2026, 7, 20, 23, 0, 0).unwrap())
    );
    assert!(services[1].alternative_staff_member && !services[0].alternative_staff_member);
}

/// U3's appointment fixture.
fn appointment(version: i64) -> serde_json::Value {
    json!({
        "appointmentId": "ap123", "version": version, "appointmentDate": "2026-07-20",
        "startTime": "10:00:00", "endTime": "10:45:00", "staffId": "staff1", "serviceId": "svc1",
        "serviceName": "Haircut", "clientId": "cli1", "state": "BOOKED",
        "activationState": "ACTIVE", "confirmed": true, "deleted": false, "bookingId": "bk1",
        "createdAt": "2026-07-01T00:00:00Z", "updatedAt": "2026-07-01T00:00:00Z"
    })
}

#[tokio::test]
async fn appointment_update_puts_local_times_with_the_version() {
    let server = MockServer::start().await;
    Mock::given(matchers::method("PUT"))
        .and(matchers::path(bp("/appointment/ap123")))
        .and(matchers::header("authorization", AUTH))
        .and(matchers::body_json(json!({
            "appointmentId": "ap123", "version": 3, "staffId": "staff2", "serviceId": "svc1",
            "appointmentDate": "2026-07-21", "startTime": "14:00:00.000", "endTime": "14:45:00.000"
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(appointment(4)))
        .expect(1)
        .mount(&server)
        .await;
    let current: Appointment = serde_json::from_value(appointment(3)).unwrap();
    let t = |h, m| NaiveTime::from_hms_opt(h, m, 0).unwrap();
    let change = AppointmentUpdate::new(&current)
        .reschedule(
            NaiveDate::from_ymd_opt(2026, 7, 21).unwrap(),
            t(14, 0),
            t(14, 45),
        )
        .staff_id("staff2");
    let updated = client(&server)
        .appointments(BRANCH)
        .update(&change)
        .await
        .unwrap();
    assert_eq!(updated.version, Some(4));
    assert_eq!(updated.appointment_id.as_str(), "ap123");
}

#[tokio::test]
async fn appointment_cancel_and_confirm_post_the_ids_and_are_not_replayed() {
    let server = MockServer::start().await;
    for verb in ["cancel", "confirm"] {
        Mock::given(matchers::method("POST"))
            .and(matchers::path(bp(&format!("/appointment/{verb}"))))
            .and(matchers::header("authorization", AUTH))
            .and(matchers::body_json(
                json!({"appointmentIds": ["ap1", "ap2"]}),
            ))
            .respond_with(ResponseTemplate::new(if verb == "cancel" {
                200
            } else {
                502
            }))
            .expect(1)
            .mount(&server)
            .await;
    }
    let ids = [AppointmentId::from("ap1"), AppointmentId::from("ap2")];
    let handler = client_with(&server, fast_retries(4)).appointments(BRANCH);
    handler.cancel(&ids).await.unwrap();
    let err = handler.confirm(&ids).await.unwrap_err();
    assert_eq!(err.status(), Some(502));
    assert!(err.may_have_been_applied());
}

#[tokio::test]
async fn stale_appointment_version_is_a_conflict() {
    let server = MockServer::start().await;
    Mock::given(matchers::method("PUT"))
        .and(matchers::path(bp("/appointment/ap123")))
        .respond_with(ResponseTemplate::new(409).set_body_json(json!({"message": "stale"})))
        .expect(1)
        .mount(&server)
        .await;
    let current: Appointment = serde_json::from_value(appointment(1)).unwrap();
    let err = client(&server)
        .appointments(BRANCH)
        .update(&AppointmentUpdate::new(&current).notes("x"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Conflict { .. }), "{err:?}");
}
