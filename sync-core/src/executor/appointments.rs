//! Appointments, check-ins and group bookings, from one read of Phorest's appointments.
//!
//! Phorest allows one month per request, so the horizon (`appointment_days_back` ..
//! `appointment_days_ahead` around today) is read month window by month window. An incremental
//! run reads only the windows from `appointment_recent_days` before today on (changed
//! appointments only), and the whole horizon once per `appointment_full_read_every`; always with the
//! `fetch_canceled`/`fetch_deleted`/`fetch_archived` flags so cancellations are seen. A window is
//! read whole (a booking's appointments must be grouped) and checkpointed when every appointment
//! in it is accounted for; an interrupted run re-reads at most that one window.
//!
//! Exactly once: an appointment create first stores its intent; if the process dies before the
//! mapping is written, the next run finds the appointment by the `phorest-appointment:{id}` marker
//! in its description (events listed around its start time) instead of creating it again. Check-in
//! and booking notes work the same way with their own markers in the note body.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{Duration, Utc};
use futures::StreamExt;
use ghl_client::calendars::{EventOwner, ListEvents, UpdateAppointment};
use ghl_client::contacts::CreateNote;
use ghl_client::{AppointmentId, ContactId, NoteId};
use phorest_client::{Appointment, AppointmentQuery, MonthWindow};
use serde::{Deserialize, Serialize};

use super::cursor::StageCursor;
use super::facts::BranchFacts;
use super::walk::PageChecker;
use super::{Abort, RecordError, RunCtx, read_abort};
use crate::entity::EntityKind;
use crate::hash::content_hash;
use crate::mappers::{
    self, AppointmentContext, BookingSummary, appointment_marker, booking_marker, checkin_marker,
};
use crate::observer::SyncEvent;
use crate::report::{Outcome, StageStatus};
use crate::store::{Mapping, MappingState};

/// Resume position: the next window (index into the horizon's windows) and page.
#[derive(Debug, Serialize, Deserialize)]
struct Position {
    /// Index of the next window (kept for checkpoints written before `next_from`).
    window: usize,
    /// First day of the next window to read: the resume point, whatever the windows of the
    /// resuming run are.
    #[serde(default)]
    next_from: Option<chrono::NaiveDate>,
}

/// The mapping key of an appointment (appointment ids are looked up per branch).
fn key(branch: &str, appointment: &Appointment) -> String {
    format!("{branch}:{}", appointment.appointment_id)
}

/// The checkpoint name of each appointment-derived entity.
fn stage_name(entity: EntityKind) -> &'static str {
    match entity {
        EntityKind::CheckIn => "check_ins",
        EntityKind::Booking => "bookings",
        _ => "appointments",
    }
}

pub(crate) async fn run(ctx: &RunCtx<'_>, blocked: &[EntityKind]) -> Result<(), Abort> {
    let config = &ctx.plan.config;
    let on = |e: EntityKind| config.enabled(e) && !blocked.contains(&e);
    let select = Selection {
        appointments: on(EntityKind::Appointment),
        checkins: on(EntityKind::CheckIn),
        bookings: on(EntityKind::Booking),
    };
    let entities = select.entities();
    if entities.is_empty() {
        return Ok(());
    }
    // Anything left failed or in flight last time forces a full re-read of the horizon (the
    // incremental `updated_from` filter would not return those appointments again).
    let outstanding = ctx.has_outstanding(&entities).await?;

    let mut unusable: Vec<String> = Vec::new();
    let mut incomplete: Vec<String> = Vec::new();
    for branch in &ctx.facts.branches {
        // Times are wall-clock in the branch's zone: without a usable zone this branch's
        // appointments cannot be placed (the other branches and stages go on).
        let tz = match &branch.tz {
            Ok(tz) => *tz,
            Err(reason) => {
                unusable.push(format!("branch {}: {reason}", branch.id));
                continue;
            }
        };
        if let Some(reason) = sync_branch(ctx, branch, tz, select, &entities, outstanding).await? {
            incomplete.push(reason);
        }
    }
    if !unusable.is_empty() && unusable.len() == ctx.facts.branches.len() {
        return Err(Abort::Blocked(format!(
            "no usable time zone: {}; fix the branch's time zone in Phorest",
            unusable.join("; ")
        )));
    }
    let mut problems = unusable;
    problems.extend(incomplete);
    if !problems.is_empty() {
        for entity in &entities {
            ctx.stage(*entity, StageStatus::Incomplete(problems.join("; ")));
        }
    }
    Ok(())
}

/// Which appointment-derived entities this run writes.
#[derive(Clone, Copy, Debug)]
struct Selection {
    appointments: bool,
    checkins: bool,
    bookings: bool,
}

impl Selection {
    fn entities(self) -> Vec<EntityKind> {
        [
            (EntityKind::Appointment, self.appointments),
            (EntityKind::CheckIn, self.checkins),
            (EntityKind::Booking, self.bookings),
        ]
        .into_iter()
        .filter_map(|(e, on)| on.then_some(e))
        .collect()
    }
}

/// What one branch's read covers: its checkpoints, the lower bound, whether the whole horizon
/// is read, the month windows and where to resume.
struct BranchRead<'c> {
    cursors: Vec<StageCursor<'c>>,
    since: Option<chrono::DateTime<Utc>>,
    full_key: String,
    full_due: bool,
    query: AppointmentQuery,
    windows: Vec<MonthWindow>,
    start: usize,
}

impl<'c> BranchRead<'c> {
    async fn begin(
        ctx: &'c RunCtx<'_>,
        branch: &BranchFacts,
        entities: &[EntityKind],
        outstanding: bool,
    ) -> Result<Self, Abort> {
        let config = &ctx.plan.config;
        let today = Utc::now().date_naive();
        let from = today - Duration::days(i64::from(config.appointment_days_back));
        let to = today + Duration::days(i64::from(config.appointment_days_ahead));
        // One checkpoint per entity (each bound to the location; appointments also to the
        // calendar): only the entities that run here advance, and a new calendar re-reads.
        let mut cursors = Vec::new();
        for entity in entities {
            let stage = format!("{}:{}", stage_name(*entity), branch.id);
            cursors.push(
                ctx.cursor(
                    &stage,
                    config.watermark_overlap,
                    *entity == EntityKind::Appointment,
                )
                .await?,
            );
        }
        let since = if outstanding {
            None
        } else {
            super::clients::oldest(cursors.iter().map(|c| c.since()))
        };
        // An incremental read covers the recent and future windows, unless the whole horizon
        // is due (or this run resumes one that started as such).
        let full_key = format!("appointments.full_read:{}", branch.id);
        let full_due = since.is_none() || full_read_due(ctx, &full_key).await?;
        let first_day = if full_due {
            from
        } else {
            from.max(today - Duration::days(i64::from(config.appointment_recent_days)))
        };
        let query = AppointmentQuery::for_sync(first_day, to).updated_from(since);
        let windows = query.windows();
        // Resume at the earliest window any of the entities has not settled.
        let start = cursors
            .iter()
            .map(|c| match c.resume_position::<Position>() {
                Some(Position {
                    next_from: Some(day),
                    ..
                }) => windows
                    .iter()
                    .position(|w| w.from >= day)
                    .unwrap_or(windows.len()),
                Some(p) => p.window,
                None => 0,
            })
            .min()
            .unwrap_or(0);
        Ok(BranchRead {
            cursors,
            since,
            full_key,
            full_due,
            query,
            windows,
            start,
        })
    }
}

/// One branch's horizon, window by window, checkpointed after each window. Answers why the
/// read cannot be trusted to be complete, if it cannot (its checkpoints then keep their
/// watermarks).
async fn sync_branch(
    ctx: &RunCtx<'_>,
    branch: &BranchFacts,
    tz: chrono_tz::Tz,
    select: Selection,
    entities: &[EntityKind],
    outstanding: bool,
) -> Result<Option<String>, Abort> {
    let plan = ctx.plan;
    let config = &plan.config;
    let fallback = config.fallback_user_id.clone();
    let calendar = config.calendar_id.clone().unwrap_or_default();
    let BranchRead {
        mut cursors,
        since,
        full_key,
        full_due,
        query,
        windows,
        start,
    } = BranchRead::begin(ctx, branch, entities, outstanding).await?;
    let actx = AppointmentContext {
        calendar_id: &calendar,
        location_id: None,
        time_zone: tz,
        staff_users: &ctx.facts.staff_users,
        staff_names: &ctx.facts.staff_names,
        fallback_user: fallback.as_ref(),
    };
    let mut anomalies: Vec<String> = Vec::new();
    // Records that did not decode: failed in the report, read again next run.
    let mut rejected = 0;
    for (i, window) in windows.iter().enumerate().skip(start) {
        let (mut items, mut found, mut bad) = read_window(ctx, branch, &query, *window).await?;
        // An incremental read holds only the changed appointments of a booking; its
        // summary (appointment descriptions, booking notes) needs all of them, and Phorest
        // has no booking read. Read such a window whole: unchanged appointments hash equal
        // and cost no GHL write.
        if since.is_some()
            && (select.appointments || select.bookings)
            && items.iter().any(|a| a.booking_id.is_some())
        {
            let full = query.clone().updated_from(None);
            (items, found, bad) = read_window(ctx, branch, &full, *window).await?;
        }
        anomalies.extend(found);
        rejected += bad;
        process_window(
            ctx,
            branch,
            &actx,
            items,
            select.appointments,
            select.checkins,
            select.bookings,
        )
        .await?;
        for cursor in &mut cursors {
            cursor
                .advance(&Position {
                    window: i + 1,
                    next_from: windows.get(i + 1).map(|w| w.from),
                })
                .await?;
        }
        ctx.event(SyncEvent::PageDone {
            entity: EntityKind::Appointment,
            page: u32::try_from(i).unwrap_or(u32::MAX),
            total_pages: u32::try_from(windows.len()).ok(),
        });
    }
    let walk = super::walk::WalkOutcome {
        anomalies,
        rejected,
    };
    // The stage's status is set once for every branch by the caller (from the reason answered).
    for cursor in cursors {
        if walk.settled() {
            cursor.complete().await?;
        } else {
            cursor.abandon().await?;
        }
    }
    if full_due && walk.settled() && !ctx.dry_run() {
        plan.store
            .set_value(&full_key, &serde_json::json!(Utc::now()))
            .await?;
    }
    Ok((!walk.anomalies.is_empty()).then(|| walk.reason()))
}

/// Whether the whole appointment horizon is due for a read (see
/// [`SyncConfig::appointment_full_read_every`](crate::SyncConfig::appointment_full_read_every)).
async fn full_read_due(ctx: &RunCtx<'_>, key: &str) -> Result<bool, Abort> {
    let Some(every) = ctx.plan.config.appointment_full_read_every else {
        return Ok(true);
    };
    let last: Option<chrono::DateTime<Utc>> = ctx
        .plan
        .store
        .get_value(key)
        .await?
        .and_then(|v| serde_json::from_value(v).ok());
    Ok(last.is_none_or(|t| Utc::now() - t >= every))
}

/// Every appointment of one month window, each once, with what the paging check found and how
/// many records did not decode (each failed: its id and the bad field in the reason).
async fn read_window(
    ctx: &RunCtx<'_>,
    branch: &BranchFacts,
    query: &AppointmentQuery,
    window: MonthWindow,
) -> Result<(Vec<Appointment>, Vec<String>, usize), Abort> {
    let mut items: Vec<Appointment> = Vec::new();
    let mut checker = PageChecker::new();
    let mut pages = ctx
        .plan
        .phorest
        .appointments(branch.id.as_str())
        .window_pages(query, window, 0);
    let what = format!("appointments {}..{}", window.from, window.to);
    while let Some(page) = pages.next().await {
        let mut page = page.map_err(|e| read_abort("appointments", &e))?;
        checker.check(&what, &mut page);
        for r in &page.rejected {
            ctx.reject(EntityKind::Appointment, r);
        }
        items.append(&mut page.items);
    }
    checker.finish(&what, true);
    Ok((items, checker.anomalies, checker.rejected))
}

async fn process_window(
    ctx: &RunCtx<'_>,
    branch: &BranchFacts,
    actx: &AppointmentContext<'_>,
    items: Vec<Appointment>,
    do_appointments: bool,
    do_checkins: bool,
    do_bookings: bool,
) -> Result<(), Abort> {
    let plan = ctx.plan;
    let bookings: HashMap<String, BookingSummary> =
        mappers::group_bookings(items.iter(), &ctx.facts.staff_names)
            .into_iter()
            .map(|b| (b.booking_id.clone(), b))
            .collect();
    // Every client of every booking, cancelled appointments included: a booking that stopped
    // being a group still has notes to bring up to date.
    let mut members: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for a in &items {
        if let (Some(booking), Some(client)) = (&a.booking_id, &a.client_id) {
            members
                .entry(booking.as_str().to_owned())
                .or_default()
                .insert(client.as_str().to_owned());
        }
    }
    let client_ids: Vec<String> = items
        .iter()
        .filter_map(|a| a.client_id.as_ref().map(|c| c.to_string()))
        .collect();
    let contacts = plan.store.get_many(EntityKind::Client, &client_ids).await?;
    let keys: Vec<String> = items.iter().map(|a| key(&branch.id, a)).collect();
    let existing = plan.store.get_many(EntityKind::Appointment, &keys).await?;
    let existing_checkins = plan.store.get_many(EntityKind::CheckIn, &keys).await?;
    let contacts = &contacts;
    let bookings_ref = &bookings;
    let complete = ctx
        .process_page(items, |appointment| {
            let k = key(&branch.id, &appointment);
            let existing = existing.get(&k).cloned();
            let existing_checkin = existing_checkins.get(&k).cloned();
            async move {
                let contact = resolve_contact(ctx, contacts, &appointment);
                if do_appointments {
                    sync_appointment(
                        ctx,
                        actx,
                        bookings_ref,
                        &appointment,
                        &k,
                        &contact,
                        existing,
                    )
                    .await?;
                }
                if do_checkins && appointment.is_checked_in() {
                    sync_checkin(
                        ctx,
                        actx.time_zone,
                        &appointment,
                        &k,
                        &contact,
                        existing_checkin,
                    )
                    .await?;
                }
                Ok(())
            }
        })
        .await?;
    if !complete {
        return Err(Abort::Cancelled);
    }
    if do_bookings {
        sync_bookings(ctx, &bookings, members, contacts).await?;
    }
    Ok(())
}

/// Why an `ARCHIVED` appointment is kept out of GHL.
const ARCHIVED_REASON: &str = "ARCHIVED in Phorest: what this state means is unconfirmed, so the \
     appointment is kept out of GHL (one synced earlier is left as it was)";

/// `activationState = ARCHIVED` and neither cancelled nor deleted: the state's meaning is
/// unconfirmed (see `../shared/reference/phorest-fidelity.md`), so it is neither created nor
/// shown as cancelled.
fn is_only_archived(appointment: &Appointment) -> bool {
    matches!(
        appointment.activation_state,
        Some(phorest_client::ActivationState::Archived)
    ) && !appointment.deleted
}

/// Where an appointment's contact stands.
enum ContactRef {
    Synced(String),
    /// Not syncable (walk-in, no contact point...): the appointment is skipped.
    Skip(String),
    /// The client's own sync failed or is pending: the appointment fails and is retried.
    Retry(String),
}

fn resolve_contact(
    ctx: &RunCtx<'_>,
    contacts: &HashMap<String, Mapping>,
    appointment: &Appointment,
) -> ContactRef {
    let Some(client) = appointment.client_id.as_ref().map(|c| c.to_string()) else {
        return ContactRef::Skip("appointment has no client".into());
    };
    if ctx.facts.walk_in_client_id.as_deref() == Some(client.as_str()) {
        return ContactRef::Skip("walk-in client (no contact)".into());
    }
    match contacts.get(&client) {
        Some(m) if m.ghl_id.is_some() && m.state == MappingState::Synced => {
            ContactRef::Synced(m.ghl_id.clone().unwrap_or_default())
        }
        Some(m) if matches!(m.state, MappingState::Failed | MappingState::Pending) => {
            ContactRef::Retry(format!(
                "client {client} is not synced yet (its last sync failed)"
            ))
        }
        _ if ctx.would_have_contact(&client) => {
            ContactRef::Synced(format!("(contact of client {client})"))
        }
        // Never settled by a client stage that read everything: the client may simply not have
        // been read (an untrusted page, a blocked or unselected client stage). Skipping would
        // let the checkpoint move past the appointment for good; fail it and retry instead.
        None if !ctx.clients_read_all() => ContactRef::Retry(format!(
            "client {client} has not been read yet (the client stage did not complete)"
        )),
        _ => ContactRef::Skip(format!(
            "client {client} has no GHL contact (skipped in the client stage, see its reason)"
        )),
    }
}

async fn sync_appointment(
    ctx: &RunCtx<'_>,
    actx: &AppointmentContext<'_>,
    bookings: &HashMap<String, BookingSummary>,
    appointment: &Appointment,
    k: &str,
    contact: &ContactRef,
    existing: Option<Mapping>,
) -> Result<(), Abort> {
    let entity = EntityKind::Appointment;
    let mapped_id = existing.as_ref().and_then(|m| m.ghl_id.clone());
    if is_only_archived(appointment) {
        ctx.record(entity, k, None, Outcome::skipped_expected(ARCHIVED_REASON));
        return Ok(());
    }
    if appointment.is_cancelled() && mapped_id.is_none() {
        ctx.record(
            entity,
            k,
            None,
            Outcome::skipped_expected("cancelled or deleted before it was synced (nothing to do)"),
        );
        return Ok(());
    }
    let contact_id = match contact {
        ContactRef::Synced(id) => id,
        ContactRef::Skip(reason) => {
            ctx.record(entity, k, None, Outcome::skipped_expected(reason.clone()));
            return Ok(());
        }
        ContactRef::Retry(reason) => {
            return ctx
                .fail_record(
                    existing,
                    entity,
                    k,
                    None,
                    None,
                    RecordError::Record(reason.clone()),
                )
                .await;
        }
    };
    let booking = appointment
        .booking_id
        .as_ref()
        .and_then(|b| bookings.get(b.as_str()))
        .filter(|b| b.items.len() > 1);
    let mut mapped = match mappers::map_appointment(
        appointment,
        &ContactId::from(contact_id.as_str()),
        booking,
        actx,
    ) {
        Ok(m) => m,
        Err(skip) => {
            ctx.record(entity, k, None, Outcome::skipped(&skip));
            return Ok(());
        }
    };
    mapped.request = mapped.request.description(mapped.description.clone());
    for w in &mapped.warnings {
        ctx.warn(entity, k, w.clone());
    }
    if mapped.used_fallback_user {
        ctx.warn(
            entity,
            k,
            "staff has no GHL user: assigned to the fallback user",
        );
    }
    let hash = content_hash(&mapped.request);
    if let Some(m) = &existing
        && m.state == MappingState::Synced
        && m.content_hash.as_deref() == Some(hash.as_str())
    {
        ctx.record(entity, k, None, Outcome::Unchanged);
        return Ok(());
    }
    if ctx.dry_run() {
        ctx.count_writes(entity, 1);
        ctx.record(
            entity,
            k,
            None,
            if mapped_id.is_some() {
                Outcome::Updated
            } else {
                Outcome::Created
            },
        );
        return Ok(());
    }
    let calendars = ctx.plan.ghl.calendars();
    let request = &mapped.request;
    let marker = appointment_marker(appointment.appointment_id.as_str());

    // An intent without an id: an earlier create may have gone through.
    let mut target = mapped_id.clone();
    if target.is_none()
        && existing
            .as_ref()
            .is_some_and(|m| m.state == MappingState::Pending)
    {
        let start = request.get_start_time().with_timezone(&Utc);
        let query = ListEvents::new(
            EventOwner::Calendar(request.get_calendar_id().clone()),
            start - Duration::hours(1),
            start + Duration::hours(1),
        );
        match calendars.list_events(&query).await {
            Ok(events) => {
                target = events
                    .iter()
                    .find(|e| {
                        e.description
                            .as_deref()
                            .is_some_and(|d| d.contains(&marker))
                    })
                    .map(|e| e.id.to_string());
            }
            Err(err) => {
                return ctx
                    .fail_record(existing, entity, k, None, None, RecordError::from_ghl(&err))
                    .await;
            }
        }
    }

    let result = match &target {
        Some(id) => calendars
            .update_appointment(
                &AppointmentId::from(id.as_str()),
                &UpdateAppointment::from(request),
            )
            .await
            .map(|_| (id.clone(), false)),
        None => {
            let mut intent = existing.clone().unwrap_or_else(|| Mapping::new(entity, k));
            intent.state = MappingState::Pending;
            intent.updated_at = Utc::now();
            ctx.save_mapping(&intent).await?;
            calendars
                .create_appointment(request)
                .await
                .map(|a| (a.id.to_string(), true))
        }
    };
    ctx.count_writes(entity, 1);
    match result {
        Ok((id, created)) => {
            let mut mapping = existing.unwrap_or_else(|| Mapping::new(entity, k));
            mapping.mark_synced(id);
            mapping.content_hash = Some(hash);
            ctx.save_mapping(&mapping).await?;
            let outcome = if created && mapped_id.is_none() {
                Outcome::Created
            } else {
                Outcome::Updated
            };
            ctx.record(entity, k, None, outcome);
            Ok(())
        }
        Err(err) => {
            let existing = if target.is_none() {
                // Keep the intent (Pending → looked up next run) when the create may have
                // been applied; otherwise a plain failure.
                let mut m = existing.unwrap_or_else(|| Mapping::new(entity, k));
                if err.may_have_been_applied() {
                    m.state = MappingState::Pending;
                    m.last_error = Some(err.to_string());
                    ctx.save_mapping(&m).await?;
                    ctx.record(
                        entity,
                        k,
                        None,
                        Outcome::Failed(format!("{err}; checked again on the next run")),
                    );
                    return Ok(());
                }
                Some(m)
            } else {
                existing
            };
            ctx.fail_record(
                existing,
                entity,
                k,
                None,
                target,
                RecordError::from_ghl(&err),
            )
            .await
        }
    }
}

async fn sync_checkin(
    ctx: &RunCtx<'_>,
    tz: chrono_tz::Tz,
    appointment: &Appointment,
    k: &str,
    contact: &ContactRef,
    existing: Option<Mapping>,
) -> Result<(), Abort> {
    let entity = EntityKind::CheckIn;
    let contact_id = match contact {
        ContactRef::Synced(id) => id,
        ContactRef::Skip(reason) => {
            ctx.record(entity, k, None, Outcome::skipped_expected(reason.clone()));
            return Ok(());
        }
        ContactRef::Retry(reason) => {
            return ctx
                .fail_record(
                    existing,
                    entity,
                    k,
                    None,
                    None,
                    RecordError::Record(reason.clone()),
                )
                .await;
        }
    };
    let note = match mappers::map_checkin(appointment, tz, &ctx.facts.staff_names) {
        Ok(n) => n,
        Err(skip) => {
            ctx.record(entity, k, None, Outcome::skipped(&skip));
            return Ok(());
        }
    };
    let marker = checkin_marker(appointment.appointment_id.as_str());
    ledger_note(
        ctx,
        entity,
        k,
        contact_id,
        note,
        &marker,
        existing,
        NoteKind::WriteOnce,
    )
    .await
}

/// The ledger key of one client's note about one booking.
fn booking_key(booking_id: &str, client_id: &str) -> String {
    format!("{booking_id}:{client_id}")
}

/// One note per client of each group booking, kept up to date: written when the booking first
/// has more than one live service, updated when its services or times change (including when it
/// stops being a group), never duplicated.
async fn sync_bookings(
    ctx: &RunCtx<'_>,
    bookings: &HashMap<String, BookingSummary>,
    members: BTreeMap<String, BTreeSet<String>>,
    contacts: &HashMap<String, Mapping>,
) -> Result<(), Abort> {
    let entity = EntityKind::Booking;
    let keys: Vec<String> = members
        .iter()
        .flat_map(|(b, clients)| clients.iter().map(move |c| booking_key(b, c)))
        .collect();
    let existing = ctx.plan.store.get_many(entity, &keys).await?;
    for (booking_id, clients) in members {
        let summary = bookings.get(&booking_id);
        let is_group = summary.is_some_and(BookingSummary::is_group);
        let note = match summary {
            Some(s) => s.note(),
            None => BookingSummary {
                booking_id: booking_id.clone(),
                items: Vec::new(),
            }
            .note(),
        };
        let marker = booking_marker(&booking_id);
        let mut noted: HashMap<String, String> = HashMap::new();
        for client in clients {
            let k = booking_key(&booking_id, &client);
            let prior = existing.get(&k).cloned();
            if !is_group && prior.is_none() {
                // Never a group booking: nothing to say about it.
                continue;
            }
            let contact = contacts
                .get(&client)
                .filter(|m| m.state == MappingState::Synced)
                .and_then(|m| m.ghl_id.clone())
                .or_else(|| {
                    ctx.would_have_contact(&client)
                        .then(|| format!("(contact of client {client})"))
                });
            let Some(contact) = contact else {
                ctx.record(
                    entity,
                    &k,
                    None,
                    Outcome::skipped_expected(format!(
                        "client {client} has no GHL contact (see the client stage)"
                    )),
                );
                continue;
            };
            // Family members of one booking may share one GHL contact: one note is enough.
            if let Some(first) = noted.get(&contact) {
                ctx.record(
                    entity,
                    &k,
                    None,
                    Outcome::skipped_expected(format!(
                        "same GHL contact as client {first} of the booking (one note)"
                    )),
                );
                continue;
            }
            noted.insert(contact.clone(), client.clone());
            ledger_note(
                ctx,
                entity,
                &k,
                &contact,
                note.clone(),
                &marker,
                prior,
                NoteKind::KeptCurrent,
            )
            .await?;
        }
    }
    Ok(())
}

/// Whether a ledger note follows later changes of its record.
#[derive(Clone, Copy, PartialEq, Eq)]
enum NoteKind {
    /// Written once (a check-in happened; later edits do not rewrite history).
    WriteOnce,
    /// Updated in place when its body changes (a booking's services and times).
    KeptCurrent,
}

/// A note written at most once per ledger key; its body carries `marker` so an interrupted
/// write is found again instead of posted twice. A [`NoteKind::KeptCurrent`] note is updated in
/// place when its body changes (and written again if someone deleted it in GHL).
#[allow(clippy::too_many_arguments)]
async fn ledger_note(
    ctx: &RunCtx<'_>,
    entity: EntityKind,
    k: &str,
    contact_id: &str,
    note: CreateNote,
    marker: &str,
    existing: Option<Mapping>,
    kind: NoteKind,
) -> Result<(), Abort> {
    let hash = content_hash(note.get_body());
    let synced = existing
        .as_ref()
        .filter(|m| m.state == MappingState::Synced && m.ghl_id.is_some());
    if let Some(m) = synced
        && (kind == NoteKind::WriteOnce || m.content_hash.as_deref() == Some(hash.as_str()))
    {
        ctx.record(entity, k, None, Outcome::Unchanged);
        return Ok(());
    }
    let was_written = synced.is_some();
    if ctx.dry_run() {
        ctx.count_writes(entity, 1);
        let outcome = if was_written {
            Outcome::Updated
        } else {
            Outcome::Created
        };
        ctx.record(entity, k, None, outcome);
        return Ok(());
    }
    let contacts = ctx.plan.ghl.contacts();
    let cid = ContactId::from(contact_id);
    // The note to update: the one we wrote, or (pending or failed before) one that may exist.
    let mut target: Option<(NoteId, bool)> =
        synced.and_then(|m| m.ghl_id.as_deref().map(|id| (NoteId::from(id), false)));
    if target.is_none() && existing.is_some() {
        match contacts.list_notes(&cid).await {
            Ok(notes) => {
                target = notes
                    .iter()
                    .find(|n| n.body.as_deref().is_some_and(|b| b.contains(marker)))
                    .map(|n| {
                        let current = kind == NoteKind::WriteOnce
                            || n.body.as_deref() == Some(note.get_body());
                        (n.id.clone(), current)
                    });
            }
            Err(err) => {
                return ctx
                    .fail_record(existing, entity, k, None, None, RecordError::from_ghl(&err))
                    .await;
            }
        }
    }
    let mut intent = existing.unwrap_or_else(|| Mapping::new(entity, k));
    if let Some((note_id, current)) = target {
        let result = if current {
            Ok(())
        } else {
            ctx.count_writes(entity, 1);
            contacts
                .update_note(&cid, &note_id, &note)
                .await
                .map(|_| ())
        };
        match result {
            Ok(()) => {
                intent.mark_synced(note_id.to_string());
                intent.content_hash = Some(hash);
                ctx.save_mapping(&intent).await?;
                let outcome = if was_written {
                    Outcome::Updated
                } else {
                    Outcome::Created
                };
                ctx.record(entity, k, None, outcome);
                return Ok(());
            }
            // Deleted in GHL: write it again below.
            Err(ghl_client::Error::NotFound { .. }) => {}
            Err(err) => {
                return ctx
                    .fail_record(
                        Some(intent),
                        entity,
                        k,
                        None,
                        Some(note_id.to_string()),
                        RecordError::from_ghl(&err),
                    )
                    .await;
            }
        }
    }
    intent.ghl_id = None;
    intent.state = MappingState::Pending;
    intent.content_hash = Some(hash);
    intent.updated_at = Utc::now();
    ctx.save_mapping(&intent).await?;
    ctx.count_writes(entity, 1);
    match contacts.create_note(&cid, &note).await {
        Ok(created) => {
            let mut m = intent;
            m.mark_synced(created.id.to_string());
            ctx.save_mapping(&m).await?;
            ctx.record(entity, k, None, Outcome::Created);
            Ok(())
        }
        Err(err) => {
            // The intent stays Pending (or becomes Failed): the next run looks for the marker
            // before writing again, so the note is never duplicated.
            ctx.fail_record(
                Some(intent),
                entity,
                k,
                None,
                None,
                RecordError::from_ghl(&err),
            )
            .await
        }
    }
}
