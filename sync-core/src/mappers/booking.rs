//! Group bookings → booking metadata.
//!
//! Phorest groups the appointments booked together under one `bookingId` and
//! has no booking read endpoint. [`group_bookings`] collects, per booking,
//! the services and branch-local times in it. The summary is written as one
//! line in each appointment's description ([`BookingSummary::appointment_line`])
//! and as a contact note starting with `[phorest-booking:{bookingId}]`
//! ([`booking_marker`], [`BookingSummary::note`]) on the contact of each client of
//! the booking, updated when the booking changes. Cancelled and deleted
//! appointments are left out of the summary.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveTime};
use ghl_client::contacts::CreateNote;
use phorest_client::{Appointment, group_by_booking};

/// The marker at the start of a booking note.
pub fn booking_marker(booking_id: &str) -> String {
    format!("[phorest-booking:{booking_id}]")
}

/// One service of a booking.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct BookingItem {
    /// Branch-local date.
    pub date: Option<NaiveDate>,
    /// Branch-local start.
    pub start: Option<NaiveTime>,
    /// Branch-local end.
    pub end: Option<NaiveTime>,
    /// The Phorest appointment id.
    pub appointment_id: String,
    /// The service name.
    pub service: String,
    /// The staff member's name, if known.
    pub staff: Option<String>,
    /// The Phorest client id.
    pub client_id: Option<String>,
}

/// The services and times of one booking, in time order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BookingSummary {
    /// The Phorest booking id.
    pub booking_id: String,
    /// Its live appointments, sorted by date, start and id.
    pub items: Vec<BookingItem>,
}

impl BookingSummary {
    /// The distinct clients of the booking, sorted.
    pub fn client_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self
            .items
            .iter()
            .filter_map(|i| i.client_id.clone())
            .collect();
        ids.sort();
        ids.dedup();
        ids
    }

    /// Whether the booking groups several services (only those get notes).
    pub fn is_group(&self) -> bool {
        self.items.len() > 1
    }

    fn item_text(item: &BookingItem) -> String {
        let time = match (item.start, item.end) {
            (Some(s), Some(e)) => format!("{}–{} ", s.format("%H:%M"), e.format("%H:%M")),
            (Some(s), None) => format!("{} ", s.format("%H:%M")),
            _ => String::new(),
        };
        match &item.staff {
            Some(staff) => format!("{time}{} ({staff})", item.service),
            None => format!("{time}{}", item.service),
        }
    }

    /// One line for an appointment description:
    /// `Booking {id}: 10:00–10:45 Cut; 11:00–12:00 Colour`.
    pub fn appointment_line(&self) -> String {
        let items: Vec<String> = self.items.iter().map(Self::item_text).collect();
        format!("Booking {}: {}", self.booking_id, items.join("; "))
    }

    /// The contact note: marker, date and one line per service. A booking whose services were
    /// all cancelled says so (the note of an earlier group booking is kept up to date).
    pub fn note(&self) -> CreateNote {
        let mut lines = vec![booking_marker(&self.booking_id)];
        let date = self
            .items
            .iter()
            .find_map(|i| i.date)
            .map(|d| format!(" on {}", d.format("%a %-d %b %Y")))
            .unwrap_or_default();
        lines.push(match self.items.len() {
            0 => "Group booking: cancelled in Phorest".to_owned(),
            1 => format!("Group booking{date}: 1 service (the others were cancelled)"),
            n => format!("Group booking{date}: {n} services"),
        });
        lines.extend(
            self.items
                .iter()
                .map(|i| format!("- {}", Self::item_text(i))),
        );
        CreateNote::new(lines.join("\n"))
    }
}

/// Groups appointments by booking (cancelled and deleted ones left out),
/// sorted by booking id. `staff_names` maps staff id → display name.
pub fn group_bookings<'a>(
    appointments: impl IntoIterator<Item = &'a Appointment>,
    staff_names: &HashMap<String, String>,
) -> Vec<BookingSummary> {
    group_by_booking(appointments.into_iter().filter(|a| !a.is_cancelled()))
        .into_iter()
        .map(|(booking_id, list)| {
            let mut items: Vec<BookingItem> = list
                .into_iter()
                .map(|a| BookingItem {
                    date: a.appointment_date,
                    start: a.start_time,
                    end: a.end_time,
                    appointment_id: a.appointment_id.as_str().to_owned(),
                    service: a
                        .service_name
                        .as_deref()
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .unwrap_or("Appointment")
                        .to_owned(),
                    staff: a
                        .staff_id
                        .as_ref()
                        .and_then(|s| staff_names.get(s.as_str()))
                        .cloned(),
                    client_id: a.client_id.as_ref().map(|c| c.as_str().to_owned()),
                })
                .collect();
            items.sort();
            BookingSummary {
                booking_id: booking_id.as_str().to_owned(),
                items,
            }
        })
        .collect()
}
