//! GHL → Phorest: contact edits made in GHL flow back to the mapped Phorest client, with no
//! echo in either direction.
//!
//! Phorest has no webhooks, so Phorest → GHL stays the polling [`SyncPlan`](crate::SyncPlan);
//! this module is the other direction, driven by GHL's verified contact webhooks
//! (`ContactCreate`, `ContactUpdate`, `ContactDndUpdate`; verify them with
//! [`ghl_client::webhooks::WebhookVerifier`]).
//!
//! # How an event is applied
//!
//! 1. **Stored first.** [`TwoWaySync::enqueue`] writes the event to the store's
//!    [`KvStore`] and queues it; a known webhook id is not stored twice.
//!    [`TwoWaySync::apply_pending`] applies the queue in order and records each outcome; a
//!    crash between the two leaves the event queued, and the next `apply_pending` applies it
//!    (once: applying is idempotent, see 4).
//! 2. **Mapped clients only.** The GHL contact must be the contact of a Phorest client (its
//!    [`Mapping`] owns it). Staff contacts and unmapped contacts are ignored; contacts created
//!    in GHL become clients only under [`CreatePolicy::InBranch`], never when they carry a
//!    staff tag ([`TwoWayConfig::staff_tags`]), came from Phorest, or lack both email and
//!    phone.
//! 3. **Per field** ([`ReverseField`]), with the forward sync's normalisation: GHL's value is
//!    compared with what the sync last wrote to GHL (`Mapping::last_written`) and with the
//!    client as Phorest has it now.
//!    - GHL's value equals the last written one: nothing changed in GHL. This is how the
//!      webhooks caused by the sync's own writes (the echo) are recognised and dropped.
//!    - GHL's value equals Phorest's: nothing to write (a late echo, a replay).
//!    - the field is owned by Phorest ([`FieldOwner::Phorest`]): reported as ignored.
//!    - Phorest changed the field too since the last sync: a conflict, resolved by
//!      [`ConflictRule`] and reported ([`TwoWayOutcome::Conflict`] or in
//!      [`TwoWayOutcome::Applied::overwritten`]).
//!    - otherwise the change is written to Phorest.
//!
//!    Clearing a field in GHL never clears it in Phorest. Marketing consent follows DND: DND
//!    turned on for SMS / email withdraws that consent; DND lifted grants it only with
//!    [`TwoWayConfig::consent_grants_flow_back`].
//! 4. **One write.** The changed fields go out in one `PUT` with the client's `version`; a stale
//!    version re-reads the client and decides again once, then reports a conflict.
//! 5. **No echo back.** What was written to Phorest is recorded in the client's mapping as
//!    written to GHL too (`last_written` and the payload part of the content hash, in the
//!    forward sync's own shape), so the next forward run finds the client unchanged and does not
//!    push GHL's edit back to GHL. Changes Phorest made to other fields still go forward.
//!
//! The forward run and this direction share the mappings: run them against one store.

mod inbox;
mod policy;

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use ghl_client::webhooks::{DndStatus, VerifiedWebhook, WebhookContact, WebhookEvent};
use phorest_client::{Address, ClientId, ClientUpdate, NewClient, PhorestClient};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub use inbox::StoredEvent;
pub use policy::{
    ConflictRule, CreatePolicy, FieldOwner, FieldOwnership, ReverseField, TwoWayConfig,
};

use crate::entity::{EntityKind, GhlObject};
use crate::hash::content_hash;
use crate::mappers::{self, ClientContext, clean};
use crate::normalize::{normalize_email, normalize_phone};
use crate::store::{KvStore, Mapping, MappingStore, StoreError};

/// A verified GHL contact event, as stored in the inbox.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct InboundEvent {
    /// The delivery's `webhookId` (the inbox key).
    pub webhook_id: String,
    /// `ContactCreate`, `ContactUpdate`, `ContactDndUpdate`, …
    pub event_type: String,
    /// The location the event came from.
    pub location_id: Option<String>,
    /// When HighLevel sent it.
    pub timestamp: Option<DateTime<Utc>>,
    /// The contact as the event carries it.
    pub contact: WebhookContact,
}

impl InboundEvent {
    /// The event of a verified delivery, when it is a contact event this direction uses
    /// (`ContactCreate`, `ContactUpdate`, `ContactDndUpdate`) and has a webhook id.
    pub fn from_verified(delivery: &VerifiedWebhook) -> Option<InboundEvent> {
        let contact = match &delivery.event {
            WebhookEvent::ContactCreate(c)
            | WebhookEvent::ContactUpdate(c)
            | WebhookEvent::ContactDndUpdate(c) => c.clone(),
            _ => return None,
        };
        Some(InboundEvent {
            webhook_id: delivery.envelope.webhook_id.as_ref()?.to_string(),
            event_type: delivery.envelope.event_type.as_str().to_owned(),
            location_id: delivery
                .envelope
                .location_id
                .as_ref()
                .map(ToString::to_string),
            timestamp: delivery.envelope.timestamp,
            contact,
        })
    }

    /// An event built by hand (tests, replays from another queue).
    pub fn new(
        webhook_id: impl Into<String>,
        event_type: impl Into<String>,
        contact: WebhookContact,
    ) -> InboundEvent {
        InboundEvent {
            webhook_id: webhook_id.into(),
            event_type: event_type.into(),
            location_id: None,
            timestamp: None,
            contact,
        }
    }
}

/// A field edited on both sides between two syncs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct FieldConflict {
    /// The field.
    pub field: ReverseField,
    /// Which side's value was kept.
    pub kept: ConflictRule,
}

/// What applying one event did.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
#[non_exhaustive]
pub enum TwoWayOutcome {
    /// Fields were written to the Phorest client.
    Applied {
        /// The Phorest client.
        client_id: String,
        /// The fields written.
        fields: Vec<ReverseField>,
        /// Fields also edited in Phorest whose Phorest value was overwritten
        /// ([`ConflictRule::GhlWins`]).
        overwritten: Vec<ReverseField>,
        /// Fields edited in GHL that Phorest owns (not written).
        ignored: Vec<ReverseField>,
    },
    /// Nothing changed in GHL that Phorest does not already have: the webhook of the sync's own
    /// write, a replay, or an edit of fields this direction does not carry.
    NoChange {
        /// The Phorest client.
        client_id: String,
    },
    /// Edits in GHL of fields Phorest owns only ([`FieldOwner::Phorest`]): nothing written.
    Ignored {
        /// The Phorest client, when the contact is mapped to one.
        client_id: Option<String>,
        /// Why.
        reason: String,
        /// The fields, when the reason is ownership.
        fields: Vec<ReverseField>,
    },
    /// Some fields were edited on both sides; [`ConflictRule::PhorestWins`] kept Phorest's
    /// values (the next forward run writes them to GHL). Other fields may have been written.
    Conflict {
        /// The Phorest client.
        client_id: String,
        /// The conflicting fields.
        conflicts: Vec<FieldConflict>,
        /// Fields written all the same (no conflict on them).
        applied: Vec<ReverseField>,
        /// Set when Phorest's version kept moving: nothing was written.
        stale_version: bool,
    },
    /// A Phorest client was created for a contact made in GHL ([`CreatePolicy::InBranch`]).
    Created {
        /// The new client.
        client_id: String,
    },
    /// Writing to Phorest failed (kept in the outcome; not retried automatically).
    Failed {
        /// The Phorest client, when known.
        client_id: Option<String>,
        /// The reason (no PII).
        reason: String,
    },
}

impl TwoWayOutcome {
    /// Whether this outcome wrote to Phorest.
    pub fn wrote(&self) -> bool {
        match self {
            TwoWayOutcome::Applied { .. } | TwoWayOutcome::Created { .. } => true,
            TwoWayOutcome::Conflict { applied, .. } => !applied.is_empty(),
            _ => false,
        }
    }
}

/// An error that stops applying (the store failed). Phorest errors are outcomes, not errors.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TwoWayError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Counters of [`TwoWaySync::apply_pending`] calls, for reports.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TwoWayTotals {
    /// Events applied with at least one field written.
    pub applied: u64,
    /// Events that changed nothing (echoes, replays).
    pub no_change: u64,
    /// Events ignored (unmapped, staff, Phorest-owned fields).
    pub ignored: u64,
    /// Events with a conflict.
    pub conflicts: u64,
    /// Clients created.
    pub created: u64,
    /// Failed writes.
    pub failed: u64,
}

impl TwoWayTotals {
    fn add(&mut self, outcome: &TwoWayOutcome) {
        match outcome {
            TwoWayOutcome::Applied { .. } => self.applied += 1,
            TwoWayOutcome::NoChange { .. } => self.no_change += 1,
            TwoWayOutcome::Ignored { .. } => self.ignored += 1,
            TwoWayOutcome::Conflict { .. } => self.conflicts += 1,
            TwoWayOutcome::Created { .. } => self.created += 1,
            TwoWayOutcome::Failed { .. } => self.failed += 1,
        }
    }
}

/// The store this direction needs: the forward sync's mappings and its key-value store.
pub trait TwoWayStore: MappingStore + KvStore {}
impl<T: MappingStore + KvStore + ?Sized> TwoWayStore for T {}

/// GHL → Phorest (see the module docs). Cheap to share behind an `Arc`.
pub struct TwoWaySync<S: ?Sized> {
    phorest: PhorestClient,
    store: Arc<S>,
    config: TwoWayConfig,
    inbox: inbox::Inbox,
    totals: std::sync::Mutex<TwoWayTotals>,
    apply_lock: tokio::sync::Mutex<()>,
}

impl<S: ?Sized> std::fmt::Debug for TwoWaySync<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TwoWaySync")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// The forward payload's view of one side: payload key → value (absent keys are empty).
type View = Map<String, Value>;

impl<S: TwoWayStore + ?Sized> TwoWaySync<S> {
    /// A GHL → Phorest applier over the forward sync's store.
    pub fn new(phorest: PhorestClient, store: Arc<S>, config: TwoWayConfig) -> Self {
        TwoWaySync {
            phorest,
            store,
            inbox: inbox::Inbox::new(chrono::Duration::days(i64::from(
                config.event_retention_days,
            ))),
            config,
            totals: std::sync::Mutex::new(TwoWayTotals::default()),
            apply_lock: tokio::sync::Mutex::new(()),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &TwoWayConfig {
        &self.config
    }

    /// Totals of the outcomes applied by this instance.
    pub fn totals(&self) -> TwoWayTotals {
        self.totals
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Stores `event` in the inbox (before anything is applied); `false` when an event with
    /// the same webhook id was stored before (nothing stored).
    pub async fn enqueue(&self, event: &InboundEvent) -> Result<bool, TwoWayError> {
        Ok(self.inbox.push(&*self.store, event).await?)
    }

    /// The events stored and not applied yet, oldest first.
    pub async fn pending(&self) -> Result<Vec<StoredEvent>, TwoWayError> {
        Ok(self.inbox.pending(&*self.store).await?)
    }

    /// A stored event and its outcome, if any.
    pub async fn stored(&self, webhook_id: &str) -> Result<Option<StoredEvent>, TwoWayError> {
        Ok(inbox::Inbox::get(&*self.store, webhook_id).await?)
    }

    /// Applies every pending event in order, recording each outcome; answers them. Calls are
    /// serialised (one applier at a time per instance).
    pub async fn apply_pending(&self) -> Result<Vec<(String, TwoWayOutcome)>, TwoWayError> {
        let _guard = self.apply_lock.lock().await;
        let mut out = Vec::new();
        for stored in self.inbox.pending(&*self.store).await? {
            let outcome = self.apply(&stored.event).await?;
            self.inbox
                .settle(&*self.store, &stored.event, &outcome)
                .await?;
            self.totals
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .add(&outcome);
            match &outcome {
                TwoWayOutcome::Conflict { client_id, .. } => {
                    tracing::warn!(client_id = %client_id, ?outcome, "GHL → Phorest conflict");
                }
                TwoWayOutcome::Failed { reason, .. } => {
                    tracing::warn!(%reason, "GHL → Phorest write failed");
                }
                _ => tracing::debug!(?outcome, "GHL → Phorest event applied"),
            }
            out.push((stored.event.webhook_id.clone(), outcome));
        }
        Ok(out)
    }

    /// Applies one event now (without the inbox). Idempotent: applying it again writes nothing.
    pub async fn apply(&self, event: &InboundEvent) -> Result<TwoWayOutcome, TwoWayError> {
        let Some(contact_id) = event.contact.id.as_ref().map(ToString::to_string) else {
            return Ok(ignored(None, "event without a contact id"));
        };
        let Some(mapping) = self.store.owner_of(GhlObject::Contact, &contact_id).await? else {
            return self.maybe_create(&contact_id, &event.contact).await;
        };
        if mapping.entity != EntityKind::Client {
            return Ok(ignored(
                None,
                &format!("the contact belongs to a Phorest {}", mapping.entity),
            ));
        }
        let client_id = mapping.phorest_id.clone();
        let Some(Value::Object(written)) = mapping.last_written.clone() else {
            return Ok(ignored(
                Some(client_id),
                "the sync has no record of what it wrote to this contact (run the forward sync)",
            ));
        };
        let ghl = self.ghl_view(&event.contact);
        if !ghl_changed(&ghl, &written) && consent_of(&event.contact).is_none() {
            // Nothing changed in GHL since the sync wrote it (the echo of the sync's own
            // write): not even a read.
            return Ok(TwoWayOutcome::NoChange { client_id });
        }
        for attempt in 0..2 {
            let current = match self
                .phorest
                .clients()
                .get(&ClientId::from(client_id.as_str()))
                .await
            {
                Ok(c) => c,
                Err(err) => return Ok(failed(Some(&client_id), "reading the client", &err)),
            };
            let phorest = self.phorest_view(&current);
            let plan = self.decide(&ghl, &written, &phorest, &current, &event.contact);
            if plan.write.is_empty() {
                if !plan.settled.is_empty() {
                    self.record(&mapping, &written, &phorest, &plan.settled)
                        .await?;
                }
                return Ok(plan.outcome(client_id, Vec::new(), false));
            }
            let update = self.update_body(&current, &event.contact, &plan.write);
            match self.phorest.clients().update(&update).await {
                Ok(updated) => {
                    let after = self.phorest_view(&updated);
                    let mut recorded = plan.settled.clone();
                    recorded.extend(plan.write.iter().copied());
                    self.record(&mapping, &written, &after, &recorded).await?;
                    return Ok(plan.outcome(client_id, plan.write.clone(), false));
                }
                Err(phorest_client::Error::Conflict { .. }) if attempt == 0 => {
                    tracing::info!(client_id = %client_id, "stale Phorest version; reading again");
                }
                Err(phorest_client::Error::Conflict { .. }) => break,
                Err(err) => return Ok(failed(Some(&client_id), "updating the client", &err)),
            }
        }
        Ok(TwoWayOutcome::Conflict {
            client_id,
            conflicts: Vec::new(),
            applied: Vec::new(),
            stale_version: true,
        })
    }

    /// GHL's contact in the forward payload's shape and normalisation.
    fn ghl_view(&self, c: &WebhookContact) -> View {
        let mut v = View::new();
        let mut put = |k: &str, val: Option<String>| {
            if let Some(val) = val {
                v.insert(k.to_owned(), Value::String(val));
            }
        };
        put("firstName", clean(c.first_name.as_deref()));
        put("lastName", clean(c.last_name.as_deref()));
        put(
            "email",
            c.email.as_deref().and_then(|e| normalize_email(e).ok()),
        );
        put(
            "phone",
            c.phone
                .as_deref()
                .and_then(|p| normalize_phone(p, self.config.region.as_deref()).ok()),
        );
        put("address1", clean(c.address1.as_deref()));
        put("city", clean(c.city.as_deref()));
        put("state", clean(c.state.as_deref()));
        put("postalCode", clean(c.postal_code.as_deref()));
        put(
            "country",
            clean(c.country.as_deref())
                .filter(|c| c.len() == 2 && c.chars().all(|ch| ch.is_ascii_alphabetic()))
                .map(|c| c.to_ascii_uppercase()),
        );
        put(
            "dateOfBirth",
            c.date_of_birth
                .as_deref()
                .and_then(parse_birthday)
                .map(|d| d.to_string()),
        );
        v
    }

    /// The Phorest client in the forward payload's shape (what the forward sync would write).
    fn phorest_view(&self, client: &phorest_client::Client) -> View {
        let categories = std::collections::HashMap::new();
        let ctx = ClientContext {
            options: &self.config.mapping,
            region: self.config.region.as_deref(),
            categories: &categories,
            walk_in_id: None,
            identities: None,
        };
        match mappers::map_client(client, &ctx) {
            Ok(mapped) => match serde_json::to_value(mapped.request.fields()) {
                Ok(Value::Object(map)) => map,
                _ => View::new(),
            },
            Err(_) => View::new(),
        }
    }

    /// Per field: what to write, what is settled already, what is ignored or in conflict.
    fn decide(
        &self,
        ghl: &View,
        written: &View,
        phorest: &View,
        current: &phorest_client::Client,
        contact: &WebhookContact,
    ) -> Plan {
        let mut plan = Plan::default();
        for field in ReverseField::ALL {
            if field == ReverseField::MarketingConsent {
                continue;
            }
            let part = |view: &View| part(view, field);
            let g = part(ghl);
            if g.is_empty() {
                // Cleared (or never set) in GHL: never clears Phorest.
                continue;
            }
            let w = part(written);
            if g == w {
                continue; // nothing changed in GHL (the sync's own write, or no edit)
            }
            let p = part(phorest);
            if g == p {
                plan.settled.push(field); // Phorest has it already
                continue;
            }
            if self.config.ownership.owner(field) == FieldOwner::Phorest {
                plan.ignored.push(field);
                continue;
            }
            if p != w {
                // Edited in Phorest too since the last sync.
                match self.config.conflicts {
                    ConflictRule::PhorestWins => {
                        plan.conflicts.push(FieldConflict {
                            field,
                            kept: ConflictRule::PhorestWins,
                        });
                        continue;
                    }
                    ConflictRule::GhlWins => plan.overwritten.push(field),
                }
            }
            plan.write.push(field);
        }
        if self.config.ownership.marketing_consent == FieldOwner::Shared
            && self.consent_change(&consent_of(contact), current).is_some()
        {
            plan.write.push(ReverseField::MarketingConsent);
        }
        plan
    }

    /// The consent values to write, if GHL's DND asks for a change.
    fn consent_change(
        &self,
        wanted: &Option<(Option<bool>, Option<bool>)>,
        current: &phorest_client::Client,
    ) -> Option<(Option<bool>, Option<bool>)> {
        let (sms, email) = (*wanted)?;
        let pick = |want: Option<bool>, have: bool| -> Option<bool> {
            match want {
                Some(false) if have => Some(false),
                Some(true) if !have && self.config.consent_grants_flow_back => Some(true),
                _ => None,
            }
        };
        let sms = pick(sms, current.sms_marketing_consent);
        let email = pick(email, current.email_marketing_consent);
        (sms.is_some() || email.is_some()).then_some((sms, email))
    }

    /// The `PUT` body: the client as read, with the written fields set from GHL.
    fn update_body(
        &self,
        current: &phorest_client::Client,
        contact: &WebhookContact,
        fields: &[ReverseField],
    ) -> ClientUpdate {
        let mut update = ClientUpdate::from_client(current);
        let ghl = self.ghl_view(contact);
        let text = |k: &str| ghl.get(k).and_then(Value::as_str).map(str::to_owned);
        for field in fields {
            match field {
                ReverseField::FirstName => {
                    if let Some(v) = text("firstName") {
                        update = update.first_name(v);
                    }
                }
                ReverseField::LastName => {
                    if let Some(v) = text("lastName") {
                        update = update.last_name(v);
                    }
                }
                ReverseField::Email => {
                    if let Some(v) = text("email") {
                        update = update.email(v);
                    }
                }
                ReverseField::Phone => {
                    if let Some(v) = text("phone") {
                        update = update.mobile(v.trim_start_matches('+').to_owned());
                    }
                }
                ReverseField::Address => {
                    let mut a = Address::new();
                    if let Some(v) = text("address1") {
                        a = a.street_address1(v);
                    }
                    if let Some(v) = text("city") {
                        a = a.city(v);
                    }
                    if let Some(v) = text("state") {
                        a = a.state(v);
                    }
                    if let Some(v) = text("postalCode") {
                        a = a.postal_code(v);
                    }
                    if let Some(v) = text("country") {
                        a = a.country(v);
                    }
                    update = update.address(a);
                }
                ReverseField::Birthday => {
                    if let Some(d) = text("dateOfBirth").and_then(|d| parse_birthday(&d)) {
                        update = update.birth_date(d);
                    }
                }
                ReverseField::MarketingConsent => {
                    if let Some((sms, email)) = self.consent_change(&consent_of(contact), current) {
                        if let Some(v) = sms {
                            update = update.sms_marketing_consent(v);
                        }
                        if let Some(v) = email {
                            update = update.email_marketing_consent(v);
                        }
                    }
                }
            }
        }
        update
    }

    /// Records `fields` of `phorest` (the client after the write) as written to GHL too, so the
    /// next forward run finds them unchanged.
    async fn record(
        &self,
        mapping: &Mapping,
        written: &View,
        phorest: &View,
        fields: &[ReverseField],
    ) -> Result<(), StoreError> {
        let mut next = written.clone();
        let mut names = false;
        for field in fields {
            names |= matches!(field, ReverseField::FirstName | ReverseField::LastName);
            for key in field.payload_keys() {
                match phorest.get(*key) {
                    Some(v) => next.insert((*key).to_owned(), v.clone()),
                    None => next.remove(*key),
                };
            }
        }
        if names {
            match phorest.get("name") {
                Some(v) => next.insert("name".to_owned(), v.clone()),
                None => next.remove("name"),
            };
        }
        if &next == written {
            return Ok(());
        }
        // Read again: the forward run may have moved the mapping meanwhile.
        let Some(mut fresh) = self.store.get(mapping.entity, &mapping.phorest_id).await? else {
            return Ok(());
        };
        if fresh.last_written.as_ref() != mapping.last_written.as_ref() {
            // The forward sync wrote since: its record is newer than ours.
            return Ok(());
        }
        let next = Value::Object(next);
        if let Some(hash) = fresh.content_hash.as_deref()
            && let Some((_, tags)) = hash.split_once('|')
        {
            fresh.content_hash = Some(format!("{}|{tags}", content_hash(&Some(&next))));
        }
        fresh.last_written = Some(next);
        fresh.updated_at = Utc::now();
        self.store.put(&fresh).await
    }

    /// A contact with no mapping: created as a client only when the policy allows it.
    async fn maybe_create(
        &self,
        contact_id: &str,
        c: &WebhookContact,
    ) -> Result<TwoWayOutcome, TwoWayError> {
        let CreatePolicy::InBranch { branch_id } = &self.config.create_clients else {
            return Ok(ignored(
                None,
                "the contact is not mapped to a Phorest client",
            ));
        };
        let tags: Vec<String> = c.tags.iter().map(|t| t.trim().to_lowercase()).collect();
        if tags.iter().any(|t| {
            self.config
                .staff_tags
                .iter()
                .any(|s| s.eq_ignore_ascii_case(t))
        }) {
            return Ok(ignored(None, "staff contact: never created as a client"));
        }
        let marker = self.config.mapping.tags.client_id_tag("");
        if tags.iter().any(|t| t.starts_with(&marker))
            || c.source.as_deref() == Some(self.config.mapping.source.as_str())
        {
            return Ok(ignored(None, "the contact came from Phorest"));
        }
        let view = self.ghl_view(c);
        let text = |k: &str| view.get(k).and_then(Value::as_str).map(str::to_owned);
        let (email, phone) = (text("email"), text("phone"));
        if email.is_none() && phone.is_none() {
            return Ok(ignored(
                None,
                "no usable email or phone: not created as a client",
            ));
        }
        let (first, last) = (text("firstName"), text("lastName"));
        if first.is_none() && last.is_none() {
            return Ok(ignored(None, "no name: not created as a client"));
        }
        let mut new = NewClient::new(
            branch_id.as_str(),
            first.unwrap_or_default(),
            last.unwrap_or_default(),
        );
        if let Some(e) = email {
            new = new.email(e);
        }
        if let Some(p) = phone {
            new = new.mobile(p.trim_start_matches('+').to_owned());
        }
        let created = match self.phorest.clients().create(&new).await {
            Ok(c) => c,
            Err(err) => return Ok(failed(None, "creating the client", &err)),
        };
        let id = created.client_id.to_string();
        let payload = Value::Object(self.phorest_view(&created));
        let mut mapping = Mapping::new(EntityKind::Client, id.clone());
        mapping.mark_synced(contact_id);
        mapping.content_hash = Some(format!(
            "{}|{}",
            content_hash(&Some(&payload)),
            content_hash(&Vec::<String>::new())
        ));
        mapping.last_written = Some(payload);
        match self.store.claim(&mapping).await? {
            crate::store::Claim::Claimed => Ok(TwoWayOutcome::Created { client_id: id }),
            _ => Ok(TwoWayOutcome::Failed {
                client_id: Some(id),
                reason: "the contact was claimed by another client meanwhile".to_owned(),
            }),
        }
    }
}

/// The per-field decision for one event.
#[derive(Debug, Default)]
struct Plan {
    write: Vec<ReverseField>,
    settled: Vec<ReverseField>,
    ignored: Vec<ReverseField>,
    conflicts: Vec<FieldConflict>,
    overwritten: Vec<ReverseField>,
}

impl Plan {
    fn outcome(&self, client_id: String, written: Vec<ReverseField>, stale: bool) -> TwoWayOutcome {
        if !self.conflicts.is_empty() {
            return TwoWayOutcome::Conflict {
                client_id,
                conflicts: self.conflicts.clone(),
                applied: written,
                stale_version: stale,
            };
        }
        if !written.is_empty() {
            return TwoWayOutcome::Applied {
                client_id,
                fields: written,
                overwritten: self.overwritten.clone(),
                ignored: self.ignored.clone(),
            };
        }
        if !self.ignored.is_empty() {
            return TwoWayOutcome::Ignored {
                client_id: Some(client_id),
                reason: "Phorest owns the fields edited in GHL".to_owned(),
                fields: self.ignored.clone(),
            };
        }
        TwoWayOutcome::NoChange { client_id }
    }
}

/// The keys of `field` that `view` holds (not null).
fn part(view: &View, field: ReverseField) -> BTreeMap<&'static str, Value> {
    field
        .payload_keys()
        .iter()
        .filter_map(|k| {
            view.get(*k)
                .filter(|v| !v.is_null())
                .map(|v| (*k, v.clone()))
        })
        .collect()
}

/// Whether GHL's view differs from what was last written in any field GHL has a value for.
fn ghl_changed(ghl: &View, written: &View) -> bool {
    ReverseField::ALL.into_iter().any(|f| {
        let g = part(ghl, f);
        !g.is_empty() && g != part(written, f)
    })
}

/// The consent GHL's DND asks for: `(sms, email)`, `Some(false)` = withdrawn.
fn consent_of(c: &WebhookContact) -> Option<(Option<bool>, Option<bool>)> {
    let from = |ch: Option<&ghl_client::webhooks::DndChannel>| -> Option<bool> {
        let status = ch?.status.as_ref()?;
        if *status == DndStatus::Active || *status == DndStatus::Permanent {
            Some(false)
        } else if *status == DndStatus::Inactive {
            Some(true)
        } else {
            None
        }
    };
    let settings = c.dnd_settings.as_ref();
    let mut sms = settings.and_then(|s| from(s.sms.as_ref()));
    let mut email = settings.and_then(|s| from(s.email.as_ref()));
    if c.dnd == Some(true) {
        sms = sms.or(Some(false));
        email = email.or(Some(false));
    }
    (sms.is_some() || email.is_some()).then_some((sms, email))
}

/// `YYYY-MM-DD`, with or without a time after it.
fn parse_birthday(raw: &str) -> Option<NaiveDate> {
    let day = raw.get(..10)?;
    NaiveDate::parse_from_str(day, "%Y-%m-%d").ok()
}

fn ignored(client_id: Option<String>, reason: &str) -> TwoWayOutcome {
    TwoWayOutcome::Ignored {
        client_id,
        reason: reason.to_owned(),
        fields: Vec::new(),
    }
}

fn failed(client_id: Option<&str>, what: &str, err: &phorest_client::Error) -> TwoWayOutcome {
    TwoWayOutcome::Failed {
        client_id: client_id.map(str::to_owned),
        reason: format!(
            "{what}: {}",
            err.status()
                .map_or_else(|| err.to_string(), |s| format!("Phorest answered {s}"))
        ),
    }
}
