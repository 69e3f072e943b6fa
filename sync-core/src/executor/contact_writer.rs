//! Writing contacts: each contact's whole owned state, composed from every stage's facts, in as
//! few requests as the API allows.
//!
//! A contact is owned by one Phorest record (a staff member or a client: its *owner facet*) and
//! may carry facts from other entities (a client's loyalty points and tier, its purchases: the
//! *side facets*). The stages no longer write contacts themselves: they build a [`ContactJob`]
//! per contact and hand a page of them to [`write_contacts`], which
//!
//! 1. compares each facet with what it last wrote (content hash, owned tags): unchanged facets
//!    cost nothing;
//! 2. writes each contact once:
//!    - **known contact**: one `PUT` without tags, only when a field or custom field changed;
//!    - **new record**: finds whether the person is already in GHL (see [`Matcher`]); if not,
//!      **one `POST /contacts/` carrying fields, tags and custom fields** (the create intent is
//!      stored first, so a lost answer is found again instead of created twice); if so, the
//!      existing contact is **claimed** for this record in the store (atomic: a contact another
//!      record owns is never changed, the record fails naming both) and updated;
//! 3. applies the tag changes of the whole page together: contacts that gain (or lose) the same
//!    tags share one `POST /contacts/bulk/tags/update/{add|remove}`; a lone change uses the
//!    per-contact tag call. Tags are only ever added or removed, never sent as a set, so the
//!    salon's own tags survive, and only tags the sync owns are removed;
//! 4. stores every facet's mapping in one transaction and reports each facet's outcome.
//!
//! The per-client `phorest-client-id:` tag marks contacts the sync **creates** (it is what finds
//! a create whose answer was lost); a contact the sync adopts is linked in the store instead and
//! gets no per-client tag, so the tag changes of adopted contacts can share bulk requests.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use futures::StreamExt;
use ghl_client::contacts::{
    BulkUpdateTags, Contact, ContactFields, CreateContact, CustomFieldInput, SearchContacts,
    SearchFilter, UpdateContact,
};
use ghl_client::{ContactId, Error as GhlError};
use serde_json::Value;
use tokio::sync::OnceCell;

use super::{Abort, RecordError, RunCtx};
use crate::entity::{EntityKind, GhlObject};
use crate::hash::content_hash;
use crate::report::Outcome;
use crate::store::{Claim, Mapping, MappingState};

/// Contacts per bulk tag request (GHL documents no maximum; this stays well inside any).
const BULK_CHUNK: usize = 100;
/// Contacts per page of the location scan.
const SCAN_PAGE: u32 = 100;

/// One part of a contact's state, owned by one entity.
#[derive(Debug, Clone)]
pub(crate) struct Facet {
    /// The entity (the owner's, or a side facet's: loyalty, purchases).
    pub(crate) entity: EntityKind,
    /// Its mapping, if it was written before.
    pub(crate) existing: Option<Mapping>,
    /// The owned tags this facet wants on the contact.
    pub(crate) tags: Vec<String>,
    /// Custom field values this facet writes (loyalty points).
    pub(crate) custom_fields: Vec<CustomFieldInput>,
    /// What the facet writes besides tags, for change detection and audits (`None`: nothing).
    pub(crate) payload: Option<Value>,
    /// Whether this facet's state is written at all this run (a side facet whose stage did not
    /// run keeps its tags as they are).
    pub(crate) active: bool,
}

impl Facet {
    /// A facet that writes `payload` (hashed) and `tags`.
    pub(crate) fn new(entity: EntityKind, existing: Option<Mapping>) -> Facet {
        Facet {
            entity,
            existing,
            tags: Vec::new(),
            custom_fields: Vec::new(),
            payload: None,
            active: true,
        }
    }

    fn payload_hash(&self) -> String {
        content_hash(&self.payload)
    }

    /// `payload hash|tags hash`: the stored content hash of a facet (each part is a versioned
    /// [`content_hash`], which never contains `|`).
    fn hash(&self) -> String {
        let mut tags = self.tags.clone();
        tags.sort();
        tags.dedup();
        format!("{}|{}", self.payload_hash(), content_hash(&tags))
    }

    fn stored_payload_hash(&self) -> Option<&str> {
        self.existing
            .as_ref()
            .and_then(|m| m.content_hash.as_deref())
            .and_then(|h| h.split_once('|'))
            .map(|(p, _)| p)
    }

    /// Whether the facet's payload (not its tags) differs from what was last written to
    /// `contact`.
    fn payload_changed(&self, contact: &str) -> bool {
        let written_here = self.existing.as_ref().is_some_and(|m| {
            m.ghl_id.as_deref() == Some(contact) && m.state == MappingState::Synced
        });
        self.payload.is_some()
            && !(written_here && self.stored_payload_hash() == Some(self.payload_hash().as_str()))
    }

    /// Whether nothing about the facet changed since it was written to `contact`.
    fn unchanged(&self, contact: &str) -> bool {
        !self.active
            || self.existing.as_ref().is_some_and(|m| {
                m.state == MappingState::Synced
                    && m.ghl_id.as_deref() == Some(contact)
                    && m.content_hash.as_deref() == Some(self.hash().as_str())
            })
    }

    /// The tags this facet set on `contact` last time.
    fn previous_tags(&self, contact: &str) -> Vec<String> {
        self.existing
            .as_ref()
            .filter(|m| m.ghl_id.as_deref() == Some(contact))
            .map(|m| m.owned_tags.clone())
            .unwrap_or_default()
    }
}

/// One contact to write: its owner and every facet.
#[derive(Debug, Clone)]
pub(crate) struct ContactJob {
    /// The Phorest record that owns the contact (staff or client) and its id.
    pub(crate) owner: EntityKind,
    pub(crate) phorest_id: String,
    /// A human label for the report.
    pub(crate) label: Option<String>,
    /// The contact fields, when the owner facet writes them this run.
    pub(crate) fields: Option<ContactFields>,
    /// The per-record marker tag set on contacts the sync creates.
    pub(crate) marker_tag: Option<String>,
    /// The owner facet first, then side facets.
    pub(crate) facets: Vec<Facet>,
    /// Only update an existing contact: never create or adopt one (side facets of a record
    /// whose owner stage did not run, tombstones).
    pub(crate) update_only: bool,
    /// Report each facet's outcome (a clean-up write on behalf of a skipped record reports
    /// nothing: the record's skip says what happened to it).
    pub(crate) report: bool,
}

impl ContactJob {
    fn owner_mapping(&self) -> Option<&Mapping> {
        self.facets.first().and_then(|f| f.existing.as_ref())
    }

    fn known_contact(&self) -> Option<String> {
        self.owner_mapping().and_then(|m| m.ghl_id.clone())
    }

    /// An earlier create may have reached GHL without its answer coming back.
    fn create_in_doubt(&self) -> bool {
        self.owner_mapping()
            .is_some_and(|m| m.ghl_id.is_none() && m.state == MappingState::Pending)
    }

    fn email(&self) -> Option<&str> {
        self.fields
            .as_ref()
            .and_then(|f| f.get_email())
            .map(String::as_str)
    }

    fn phone(&self) -> Option<&str> {
        self.fields
            .as_ref()
            .and_then(|f| f.get_phone())
            .map(String::as_str)
    }

    fn custom_fields(&self) -> Vec<CustomFieldInput> {
        self.facets
            .iter()
            .filter(|f| f.active)
            .flat_map(|f| f.custom_fields.iter().cloned())
            .collect()
    }

    /// Every owned tag the contact should carry (marker included for creates).
    fn desired_tags(&self, with_marker: bool) -> BTreeSet<String> {
        let mut tags: BTreeSet<String> = self
            .facets
            .iter()
            .flat_map(|f| {
                if f.active {
                    f.tags.clone()
                } else {
                    // An inactive facet keeps what it set.
                    f.existing
                        .as_ref()
                        .map(|m| m.owned_tags.clone())
                        .unwrap_or_default()
                }
            })
            .collect();
        if with_marker && let Some(marker) = &self.marker_tag {
            tags.insert(marker.clone());
        }
        tags
    }

    /// The entity a write of this contact is counted under: the owner when its facet changed,
    /// else the first side facet that did.
    fn counted_as(&self, contact: Option<&str>) -> EntityKind {
        self.facets
            .iter()
            .find(|f| contact.is_none_or(|c| !f.unchanged(c)))
            .map_or(self.owner, |f| f.entity)
    }
}

/// How the sync finds out whether a new record's person is already a contact of the location
/// (decided once per run, cheapest first):
///
/// - [`Scan`](Matcher::Scan): read every contact of the location once (⌈contacts / 100⌉
///   requests) and match in memory — chosen when that costs fewer requests than one look-up per
///   new record (a first sync), and always for an empty location (one request);
/// - [`CreateFirst`](Matcher::CreateFirst): when the location refuses duplicate contacts, a
///   create that matches an existing person answers 400 naming it: no look-up needed;
/// - [`Lookup`](Matcher::Lookup): otherwise one `GET /contacts/search/duplicate` per new record.
#[derive(Debug)]
pub(crate) enum Matcher {
    Scan(Box<std::sync::Mutex<ScanIndex>>),
    CreateFirst,
    Lookup,
}

impl Matcher {
    /// Keeps the scan current with the sync's own writes: a contact created, or whose email or
    /// phone the sync changed, is matched by its new identifiers from now on.
    fn wrote(&self, contact: &str, email: Option<&str>, phone: Option<&str>, marker: Option<&str>) {
        if let Matcher::Scan(index) = self {
            let mut index = index.lock().unwrap_or_else(|e| e.into_inner());
            index.wrote(contact, email, phone, marker);
        }
    }
}

/// The location's contacts by email and phone, from one scan.
#[derive(Debug, Default)]
pub(crate) struct ScanIndex {
    contacts: Vec<Contact>,
    by_id: HashMap<String, usize>,
    by_email: HashMap<String, usize>,
    by_phone: HashMap<String, usize>,
    by_tag: HashMap<String, usize>,
}

impl ScanIndex {
    /// The sync wrote `contact` with these identifiers: the old ones no longer lead to it.
    fn wrote(
        &mut self,
        contact: &str,
        email: Option<&str>,
        phone: Option<&str>,
        marker: Option<&str>,
    ) {
        let i = match self.by_id.get(contact) {
            Some(i) => *i,
            None => {
                let mut c = Contact::default();
                c.id = ContactId::from(contact);
                self.contacts.push(c);
                let i = self.contacts.len() - 1;
                self.by_id.insert(contact.to_owned(), i);
                i
            }
        };
        self.by_email.retain(|_, v| *v != i);
        self.by_phone.retain(|_, v| *v != i);
        let entry = &mut self.contacts[i];
        if let Some(email) = email {
            entry.email = Some(email.to_owned());
            self.by_email.insert(email.to_lowercase(), i);
        }
        if let Some(phone) = phone {
            entry.phone = Some(phone.to_owned());
            self.by_phone.insert(phone.to_owned(), i);
        }
        if let Some(marker) = marker {
            self.by_tag.insert(marker.to_lowercase(), i);
        }
    }

    fn add(&mut self, contact: Contact) {
        let i = self.contacts.len();
        self.by_id.insert(contact.id.to_string(), i);
        if let Some(email) = contact.email.as_deref() {
            self.by_email.entry(email.to_lowercase()).or_insert(i);
        }
        if let Some(phone) = contact.phone.as_deref() {
            self.by_phone.entry(phone.to_owned()).or_insert(i);
        }
        for tag in &contact.tags {
            if tag.starts_with("phorest-client-id:") || tag.starts_with("phorest-staff-id:") {
                self.by_tag.entry(tag.to_lowercase()).or_insert(i);
            }
        }
        self.contacts.push(contact);
    }

    /// The contact GHL's duplicate rule would match: email first, then phone, then the marker.
    fn find(
        &self,
        email: Option<&str>,
        phone: Option<&str>,
        marker: Option<&str>,
    ) -> Option<Contact> {
        email
            .and_then(|e| self.by_email.get(&e.to_lowercase()))
            .or_else(|| phone.and_then(|p| self.by_phone.get(p)))
            .or_else(|| marker.and_then(|t| self.by_tag.get(&t.to_lowercase())))
            .map(|i| self.contacts[*i].clone())
    }
}

/// What the run knows about matching, shared by the contact stages.
#[derive(Default)]
pub(crate) struct MatchState {
    matcher: OnceCell<Arc<Matcher>>,
}

impl MatchState {
    /// The matcher, if this run decided it already.
    fn current(&self) -> Option<Arc<Matcher>> {
        self.matcher.get().cloned()
    }

    /// The matcher, deciding it on first use (for about as many new records as
    /// [`RunCtx::expected_new_contacts`] estimates).
    async fn get(&self, ctx: &RunCtx<'_>) -> Result<Arc<Matcher>, Abort> {
        self.matcher
            .get_or_try_init(|| async {
                let expected_new = ctx.expected_new_contacts().await?;
                decide(ctx, expected_new).await.map(Arc::new)
            })
            .await
            .cloned()
    }
}

async fn decide(ctx: &RunCtx<'_>, expected_new: u64) -> Result<Matcher, Abort> {
    let contacts = ctx.plan.ghl.contacts();
    let probe = contacts
        .search_page(&SearchContacts::new().page_limit(1))
        .await
        .map_err(|e| match RecordError::from_ghl(&e) {
            RecordError::Abort(abort) => abort,
            RecordError::Record(reason) => Abort::Blocked(format!(
                "cannot search the location's contacts to avoid duplicates: {reason}"
            )),
        })?;
    let total = probe
        .total
        .unwrap_or(u64::try_from(probe.items.len()).unwrap_or(0));
    let scan_cost = total.div_ceil(u64::from(SCAN_PAGE));
    let refuses_duplicates = ctx.facts.location_refuses_duplicates;
    let matcher = if total == 0 || scan_cost <= expected_new {
        let mut index = ScanIndex::default();
        if total > 0 {
            let mut pages = contacts.search_pages(SearchContacts::new().page_limit(SCAN_PAGE));
            while let Some(page) = pages.next().await {
                let page = page.map_err(|e| match RecordError::from_ghl(&e) {
                    RecordError::Abort(abort) => abort,
                    RecordError::Record(reason) => {
                        Abort::Blocked(format!("cannot scan the location's contacts: {reason}"))
                    }
                })?;
                for contact in page.items {
                    index.add(contact);
                }
            }
        }
        Matcher::Scan(Box::new(std::sync::Mutex::new(index)))
    } else if refuses_duplicates == Some(true) {
        Matcher::CreateFirst
    } else {
        Matcher::Lookup
    };
    tracing::info!(
        location_contacts = total,
        expected_new,
        matcher = match &matcher {
            Matcher::Scan(_) => "scan",
            Matcher::CreateFirst => "create-first",
            Matcher::Lookup => "lookup",
        },
        "how new records are matched with existing contacts"
    );
    Ok(matcher)
}

/// A contact found in GHL for a new record: its id and, when known, its current state.
struct Found {
    id: String,
    contact: Option<Contact>,
}

/// What writing one contact produced, before tags.
enum Written {
    /// Nothing to do.
    Unchanged { contact: String },
    /// The contact exists (created, adopted or known) and its body is written; tags to apply.
    Ok {
        contact: String,
        created: bool,
        add: Vec<String>,
        remove: Vec<String>,
        /// The marker was set (created by the sync).
        marked: bool,
        requests: u64,
    },
    /// The record failed (the mapping keeps what is known).
    Failed {
        reason: String,
        contact: Option<String>,
        requests: u64,
        /// The create may have been applied: keep the intent for a look-up next run.
        in_doubt: bool,
        /// The person's contact belongs to another record (worth one more try later in the
        /// run: that record may be giving up the shared email or phone).
        conflict: bool,
    },
}

/// What writing a page of contacts did.
#[derive(Debug, Default)]
pub(crate) struct PageResult {
    /// Every contact was accounted for (`false`: the run was cancelled first).
    pub(crate) complete: bool,
    /// The records whose contact is now synced.
    pub(crate) synced: Vec<String>,
}

/// Writes a page of contacts (see the module docs) and reports every facet.
pub(crate) async fn write_contacts(
    ctx: &RunCtx<'_>,
    jobs: Vec<ContactJob>,
) -> Result<PageResult, Abort> {
    if jobs.is_empty() {
        return Ok(PageResult {
            complete: true,
            synced: Vec::new(),
        });
    }
    let needs_matcher = jobs
        .iter()
        .any(|j| j.known_contact().is_none() && !j.update_only && j.fields.is_some());
    // Pages without new records still keep an existing scan current with their writes.
    let matcher = if needs_matcher {
        Some(ctx.matching.get(ctx).await?)
    } else {
        ctx.matching.current()
    };
    let matcher = matcher.as_deref();

    // 1. Bodies, concurrently: contacts the sync knows first (an email or phone they give up
    //    may be the one a new record brings), then new records.
    let cancel = &ctx.cancel;
    let (known, new): (Vec<ContactJob>, Vec<ContactJob>) =
        jobs.into_iter().partition(|j| j.known_contact().is_some());
    let mut results: Vec<(ContactJob, Result<Option<Written>, Abort>)> = Vec::new();
    for batch in [known, new] {
        let mut part: Vec<(ContactJob, Result<Option<Written>, Abort>)> =
            futures::stream::iter(batch)
                .map(|job| async move {
                    if cancel.is_cancelled() {
                        return (job, Ok(None));
                    }
                    let written = write_one(ctx, &job, matcher).await.map(Some);
                    if let (Ok(Some(Written::Ok { contact, .. })), Some(m)) = (&written, matcher)
                        && job.fields.is_some()
                    {
                        m.wrote(contact, job.email(), job.phone(), job.marker_tag.as_deref());
                    }
                    (job, written)
                })
                .buffer_unordered(ctx.plan.config.concurrency)
                .collect()
                .await;
        results.append(&mut part);
    }

    let mut complete = true;
    let mut first_abort: Option<Abort> = None;
    let mut done: Vec<(ContactJob, Written)> = Vec::new();
    for (job, result) in results {
        match result {
            Ok(Some(w)) => done.push((job, w)),
            Ok(None) => complete = false,
            Err(abort) => {
                first_abort = Some(match first_abort {
                    Some(first) => first.worst(abort),
                    None => abort,
                })
            }
        }
    }

    // 2. Tags, grouped across the page.
    let tag_failures = apply_tags(ctx, &mut done).await?;

    // 3. Mappings and outcomes.
    let synced = settle(ctx, done, tag_failures).await?;
    match first_abort {
        Some(abort) => Err(abort),
        None => Ok(PageResult { complete, synced }),
    }
}

/// Writes one contact's body (create, adopt or update); tags come later.
async fn write_one(
    ctx: &RunCtx<'_>,
    job: &ContactJob,
    matcher: Option<&Matcher>,
) -> Result<Written, Abort> {
    if let Some(contact) = job.known_contact() {
        return update_known(ctx, job, &contact, None).await;
    }
    if job.update_only || job.fields.is_none() {
        return Ok(Written::Failed {
            reason: "no GHL contact yet (its record has not been written)".into(),
            contact: None,
            requests: 0,
            in_doubt: false,
            conflict: false,
        });
    }
    // A new record: is the person already in GHL?
    let mut requests = 0;
    let marker = job.marker_tag.as_deref();
    let found = match matcher {
        Some(Matcher::Scan(index)) => index
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .find(job.email(), job.phone(), marker)
            .map(|c| Found {
                id: c.id.to_string(),
                contact: Some(c),
            }),
        _ if job.create_in_doubt() || matches!(matcher, Some(Matcher::Lookup)) => {
            let (found, reads) = look_up(ctx, job).await?;
            requests += reads;
            found
        }
        _ => None,
    };
    if let Some(found) = found {
        return adopt(ctx, job, found, requests).await;
    }
    create(ctx, job, requests).await
}

/// Finds the contact of a new record by its email or phone (the location's duplicate rule), or
/// by its marker tag when it has neither. Answers the contact and the reads made.
async fn look_up(ctx: &RunCtx<'_>, job: &ContactJob) -> Result<(Option<Found>, u64), Abort> {
    let contacts = ctx.plan.ghl.contacts();
    let result = if job.email().is_some() || job.phone().is_some() {
        contacts.find_duplicate(job.email(), job.phone()).await
    } else if let Some(marker) = &job.marker_tag {
        contacts
            .search_page(
                &SearchContacts::new()
                    .page_limit(2)
                    .filter(SearchFilter::contains("tags", marker.as_str())),
            )
            .await
            .map(|page| page.items.into_iter().next())
    } else {
        return Ok((None, 0));
    };
    match result {
        Ok(found) => Ok((
            found.map(|c| Found {
                id: c.id.to_string(),
                contact: Some(c),
            }),
            1,
        )),
        Err(err) => match RecordError::from_ghl(&err) {
            RecordError::Abort(abort) => Err(abort),
            // A failed look-up is not an answer: do not create blindly.
            RecordError::Record(reason) => Err(Abort::Blocked(format!(
                "cannot look up existing contacts: {reason}"
            ))),
        },
    }
}

/// The body of a create: fields, every tag (marker included), custom fields.
fn create_body(job: &ContactJob) -> CreateContact {
    let fields = job
        .fields
        .clone()
        .unwrap_or_default()
        .custom_fields(job.custom_fields());
    CreateContact::from(fields).tags(job.desired_tags(true))
}

/// Creates the contact in one request; the intent is stored first.
async fn create(ctx: &RunCtx<'_>, job: &ContactJob, mut requests: u64) -> Result<Written, Abort> {
    let body = create_body(job);
    if ctx.dry_run() {
        return Ok(Written::Ok {
            contact: format!("(new contact of {} {})", job.owner, job.phorest_id),
            created: true,
            add: Vec::new(),
            remove: Vec::new(),
            marked: true,
            requests: requests + 1,
        });
    }
    let mut intent = job
        .owner_mapping()
        .cloned()
        .unwrap_or_else(|| Mapping::new(job.owner, job.phorest_id.as_str()));
    intent.state = MappingState::Pending;
    intent.updated_at = chrono::Utc::now();
    ctx.plan.store.put(&intent).await?;
    requests += 1;
    match ctx.plan.ghl.contacts().create(&body).await {
        Ok(contact) => Ok(Written::Ok {
            contact: contact.id.to_string(),
            created: true,
            add: Vec::new(),
            remove: Vec::new(),
            marked: true,
            requests,
        }),
        Err(GhlError::DuplicateContact {
            existing_contact_id: Some(existing),
            ..
        }) => {
            adopt(
                ctx,
                job,
                Found {
                    id: existing.to_string(),
                    contact: None,
                },
                requests,
            )
            .await
        }
        Err(err) => failed_write(err, None, requests),
    }
}

/// A GHL error on a contact write: the record fails (or the stage/run stops).
fn failed_write(err: GhlError, contact: Option<String>, requests: u64) -> Result<Written, Abort> {
    let in_doubt = contact.is_none() && err.may_have_been_applied();
    match RecordError::from_ghl(&err) {
        RecordError::Abort(abort) => Err(abort),
        RecordError::Record(reason) => Ok(Written::Failed {
            reason: if in_doubt {
                format!("{reason}; the create may have gone through: checked on the next run")
            } else {
                reason
            },
            contact,
            requests,
            in_doubt,
            conflict: false,
        }),
    }
}

/// Takes over a contact GHL already has for this person: claim it for the record (never a
/// contact another record owns), then bring its fields and tags to what the record wants.
async fn adopt(
    ctx: &RunCtx<'_>,
    job: &ContactJob,
    found: Found,
    requests: u64,
) -> Result<Written, Abort> {
    let mut claim = job
        .owner_mapping()
        .cloned()
        .unwrap_or_else(|| Mapping::new(job.owner, job.phorest_id.as_str()));
    claim.ghl_id = Some(found.id.clone());
    claim.state = MappingState::Pending;
    claim.content_hash = None;
    claim.updated_at = chrono::Utc::now();
    let taken = if ctx.dry_run() {
        ctx.plan
            .store
            .owner_of(GhlObject::Contact, &found.id)
            .await?
            .filter(|m| (m.entity, m.phorest_id.as_str()) != (job.owner, job.phorest_id.as_str()))
    } else {
        match ctx.plan.store.claim(&claim).await? {
            Claim::Claimed => None,
            Claim::Taken { owner } => Some(*owner),
        }
    };
    if let Some(owner) = taken {
        return Ok(Written::Failed {
            reason: format!(
                "its email or phone matches GHL contact {} of {} {}: nothing was changed on \
                 that contact; give each record its own email and phone in Phorest",
                found.id,
                owner.entity.label().to_lowercase(),
                owner.phorest_id
            ),
            contact: None,
            requests,
            in_doubt: false,
            conflict: true,
        });
    }
    update_known(ctx, job, &found.id, Some((found.contact, requests))).await
}

/// Whether `desired` (a serialised body) would change `contact`.
fn differs(desired: &Value, contact: &Contact) -> bool {
    let Ok(Value::Object(current)) = serde_json::to_value(contact) else {
        return true;
    };
    let Value::Object(wanted) = desired else {
        return true;
    };
    wanted.iter().any(|(key, value)| {
        if key == "customFields" {
            let Some(list) = value.as_array() else {
                return true;
            };
            return list.iter().any(|item| {
                let id = item.get("id").and_then(Value::as_str);
                let want = item.get("field_value").or_else(|| item.get("value"));
                !contact.custom_fields.iter().any(|f| {
                    f.id.as_ref().map(|i| i.as_str()) == id
                        && want.is_some_and(|w| {
                            f.value
                                .as_ref()
                                .is_some_and(|v| value_text(w) == value_text(v))
                        })
                })
            });
        }
        match (current.get(key), value) {
            (Some(Value::String(a)), Value::String(b)) if key == "email" => {
                !a.eq_ignore_ascii_case(b)
            }
            (Some(a), b) => a != b,
            (None, _) => true,
        }
    })
}

fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Updates a contact the record owns (known, or just adopted with its current state when the
/// scan or look-up gave it): one `PUT` when fields or custom fields changed; tags by diff.
async fn update_known(
    ctx: &RunCtx<'_>,
    job: &ContactJob,
    contact: &str,
    adopted: Option<(Option<Contact>, u64)>,
) -> Result<Written, Abort> {
    let mut requests = adopted.as_ref().map_or(0, |(_, r)| *r);
    let current = adopted.as_ref().and_then(|(c, _)| c.as_ref());
    let is_adoption = adopted.is_some();
    let owner_facet_active = job.facets.first().is_some_and(|f| f.active);
    let payload_changed = is_adoption
        || job
            .facets
            .iter()
            .any(|f| f.active && f.payload_changed(contact));
    let mut body = UpdateContact::new();
    if owner_facet_active && let Some(fields) = &job.fields {
        body = UpdateContact::from(fields.clone());
        // An email or phone the sync wrote before and no longer wants (removed in Phorest, or
        // given up to the client who keeps a shared one) is cleared, so it stops matching this
        // contact. Other fields left out are left as they are.
        if !is_adoption
            && let Some(Value::Object(written)) = job.facets[0]
                .existing
                .as_ref()
                .filter(|m| m.ghl_id.as_deref() == Some(contact))
                .and_then(|m| m.last_written.as_ref())
        {
            let had = |key: &str| written.get(key).is_some_and(|v| !v.is_null());
            if had("email") && fields.get_email().is_none() {
                body = body.clear_email();
            }
            if had("phone") && fields.get_phone().is_none() {
                body = body.clear_phone();
            }
        }
    }
    body = body.custom_fields(job.custom_fields());
    let body_json = serde_json::to_value(&body).unwrap_or(Value::Null);
    let body_empty = body_json.as_object().is_none_or(|o| o.is_empty());
    let put = payload_changed && !body_empty && current.is_none_or(|c| differs(&body_json, c));

    // Tags: what the contact should carry vs what the sync set before (or, for an adopted
    // contact we know, what it carries now).
    let desired = job.desired_tags(false);
    let previous: BTreeSet<String> = if is_adoption {
        current
            .map(|c| c.tags.iter().map(|t| t.to_lowercase()).collect())
            .unwrap_or_default()
    } else {
        job.facets
            .iter()
            .flat_map(|f| f.previous_tags(contact))
            .collect()
    };
    let marked = previous.iter().any(|t| Some(t) == job.marker_tag.as_ref());
    let mut desired: Vec<String> = desired.into_iter().collect();
    if marked && let Some(marker) = &job.marker_tag {
        // A contact the sync created keeps its marker.
        desired.push(marker.clone());
    }
    let policy = &ctx.plan.config.mapping.tags;
    let mut diff = policy.diff(&previous.into_iter().collect::<Vec<_>>(), &desired);
    // An adopted contact's own tags are not ours: never remove them.
    let mut remove = if is_adoption {
        Vec::new()
    } else {
        std::mem::take(&mut diff.remove)
    };
    if !put && diff.add.is_empty() && remove.is_empty() && !is_adoption {
        return Ok(Written::Unchanged {
            contact: contact.to_owned(),
        });
    }
    if put {
        requests += 1;
        if !ctx.dry_run() {
            match ctx
                .plan
                .ghl
                .contacts()
                .update(&ContactId::from(contact), &body)
                .await
            {
                Ok(Some(answer)) if !is_adoption && !answer.tags.is_empty() => {
                    // The answer shows the tags the contact really carries: someone may have
                    // removed or added owned tags in GHL behind the sync's back. Diff against
                    // them, so an owned tag removed by hand comes back and a stale one goes.
                    let actual: Vec<String> =
                        answer.tags.iter().map(|t| t.to_lowercase()).collect();
                    let healed = policy.diff(&actual, &desired);
                    diff.add = healed.add;
                    remove = healed.remove;
                }
                Ok(_) => {}
                Err(GhlError::NotFound { .. }) if !is_adoption => {
                    // Deleted in GHL behind the sync's back: write it again as a new contact.
                    tracing::info!(
                        entity = job.owner.as_str(),
                        phorest_id = %job.phorest_id,
                        "mapped GHL contact no longer exists; writing it again"
                    );
                    return Box::pin(recreate(ctx, job, requests)).await;
                }
                Err(GhlError::DuplicateContact {
                    existing_contact_id,
                    ..
                }) => {
                    let other = existing_contact_id
                        .map(|id| id.to_string())
                        .unwrap_or_else(|| "another contact".into());
                    let owner = ctx
                        .plan
                        .store
                        .owner_of(GhlObject::Contact, &other)
                        .await?
                        .map(|m| {
                            format!(" (of {} {})", m.entity.label().to_lowercase(), m.phorest_id)
                        })
                        .unwrap_or_default();
                    return Ok(Written::Failed {
                        reason: format!(
                            "GHL refused the update: its email or phone belongs to GHL contact \
                             {other}{owner}; give each record its own email and phone in Phorest"
                        ),
                        contact: Some(contact.to_owned()),
                        requests,
                        in_doubt: false,
                        conflict: true,
                    });
                }
                Err(err) => return failed_write(err, Some(contact.to_owned()), requests),
            }
        }
    }
    Ok(Written::Ok {
        contact: contact.to_owned(),
        created: false,
        add: diff.add,
        remove,
        marked,
        requests,
    })
}

/// The mapped contact is gone from GHL: forget it and write the record as new.
async fn recreate(ctx: &RunCtx<'_>, job: &ContactJob, requests: u64) -> Result<Written, Abort> {
    let mut fresh = job.clone();
    for facet in &mut fresh.facets {
        if let Some(m) = &mut facet.existing {
            m.ghl_id = None;
            m.state = MappingState::Failed;
            m.owned_tags.clear();
            m.content_hash = None;
        }
    }
    if let Some(m) = fresh.facets.first().and_then(|f| f.existing.clone()) {
        ctx.plan.store.put(&m).await?;
    }
    let (found, reads) = look_up(ctx, &fresh).await?;
    match found {
        Some(found) => adopt(ctx, &fresh, found, requests + reads).await,
        None => create(ctx, &fresh, requests + reads).await,
    }
}

/// Contacts (their index in the page and id) that get one tag change.
type Members = Vec<(usize, String)>;

/// Applies the tag changes of a page: identical changes share a bulk request. Answers the
/// reason of each contact whose tag change failed.
async fn apply_tags(
    ctx: &RunCtx<'_>,
    done: &mut [(ContactJob, Written)],
) -> Result<HashMap<String, String>, Abort> {
    // (add?, tags) → contacts
    let mut groups: BTreeMap<(bool, Vec<String>), Members> = BTreeMap::new();
    for (i, (_, written)) in done.iter().enumerate() {
        if let Written::Ok {
            contact,
            add,
            remove,
            ..
        } = written
        {
            if !add.is_empty() {
                groups
                    .entry((true, add.clone()))
                    .or_default()
                    .push((i, contact.clone()));
            }
            if !remove.is_empty() {
                groups
                    .entry((false, remove.clone()))
                    .or_default()
                    .push((i, contact.clone()));
            }
        }
    }
    let mut requests: Vec<(bool, Vec<String>, Members)> = Vec::new();
    for ((add, tags), members) in groups {
        for chunk in members.chunks(BULK_CHUNK) {
            requests.push((add, tags.clone(), chunk.to_vec()));
        }
    }
    // Count each request on the first member's record.
    for (_, _, members) in &requests {
        if let Some((i, _)) = members.first()
            && let Written::Ok { requests, .. } = &mut done[*i].1
        {
            *requests += 1;
        }
    }
    if ctx.dry_run() {
        return Ok(HashMap::new());
    }
    let contacts = ctx.plan.ghl.contacts();
    let results: Vec<Result<Vec<(String, String)>, Abort>> = futures::stream::iter(requests)
        .map(|(add, tags, members)| {
            let contacts = &contacts;
            async move {
                let mut failures = Vec::new();
                if members.len() == 1 {
                    let (_, contact) = &members[0];
                    let id = ContactId::from(contact.as_str());
                    let result = if add {
                        contacts.add_tags(&id, &tags).await.map(|_| ())
                    } else {
                        contacts.remove_tags(&id, &tags).await.map(|_| ())
                    };
                    if let Err(err) = result {
                        match RecordError::from_ghl(&err) {
                            RecordError::Abort(abort) => return Err(abort),
                            RecordError::Record(reason) => failures.push((contact.clone(), reason)),
                        }
                    }
                    return Ok(failures);
                }
                let ids: Vec<ContactId> = members
                    .iter()
                    .map(|(_, c)| ContactId::from(c.as_str()))
                    .collect();
                let request = if add {
                    BulkUpdateTags::add(ids, tags.iter().cloned())
                } else {
                    BulkUpdateTags::remove(ids, tags.iter().cloned())
                };
                match contacts.bulk_update_tags(&request).await {
                    Ok(outcome) => {
                        for failure in outcome.failures() {
                            if let Some(id) = &failure.contact_id {
                                failures.push((
                                    id.to_string(),
                                    failure
                                        .message
                                        .clone()
                                        .unwrap_or_else(|| "tag update failed".into()),
                                ));
                            }
                        }
                    }
                    Err(err) => match RecordError::from_ghl(&err) {
                        RecordError::Abort(abort) => return Err(abort),
                        RecordError::Record(reason) => {
                            for (_, c) in &members {
                                failures.push((c.clone(), reason.clone()));
                            }
                        }
                    },
                }
                Ok(failures)
            }
        })
        .buffer_unordered(ctx.plan.config.concurrency)
        .collect()
        .await;
    let mut failed = HashMap::new();
    for r in results {
        for (contact, reason) in r? {
            failed.entry(contact).or_insert(reason);
        }
    }
    Ok(failed)
}

/// One facet's bookkeeping at the end of a page: the mapping to store and the outcome to
/// report.
struct Entry {
    mapping: Option<Mapping>,
    entity: EntityKind,
    id: String,
    label: Option<String>,
    outcome: Outcome,
}

/// Stores every facet's mapping (one transaction) and reports each facet's outcome. Answers the
/// records whose contact is now synced.
async fn settle(
    ctx: &RunCtx<'_>,
    done: Vec<(ContactJob, Written)>,
    tag_failures: HashMap<String, String>,
) -> Result<Vec<String>, Abort> {
    let mut entries: Vec<Entry> = Vec::new();
    let mut synced: Vec<String> = Vec::new();
    let silent: std::collections::HashSet<(EntityKind, String)> = done
        .iter()
        .filter(|(job, _)| !job.report)
        .flat_map(|(job, _)| {
            job.facets
                .iter()
                .map(|f| (f.entity, job.phorest_id.clone()))
        })
        .collect();
    for (job, written) in done {
        let counted = job.counted_as(match &written {
            Written::Unchanged { contact } | Written::Ok { contact, .. } => Some(contact.as_str()),
            Written::Failed { .. } => None,
        });
        match written {
            Written::Unchanged { contact } => {
                for facet in job.facets.iter().filter(|f| f.active) {
                    // A facet written before with another layout of its hash: store the new
                    // one, no request (the contact already holds it).
                    let mapping = (!facet.unchanged(&contact)).then(|| {
                        let mut m = facet
                            .existing
                            .clone()
                            .unwrap_or_else(|| Mapping::new(facet.entity, job.phorest_id.as_str()));
                        m.mark_synced(contact.clone());
                        m.content_hash = Some(facet.hash());
                        m.owned_tags = facet.tags.clone();
                        m.last_written = facet.payload.clone();
                        m
                    });
                    entries.push(Entry {
                        mapping,
                        entity: facet.entity,
                        id: job.phorest_id.clone(),
                        label: job.label.clone(),
                        outcome: Outcome::Unchanged,
                    });
                }
                synced.push(job.phorest_id.clone());
            }
            Written::Ok {
                contact,
                created,
                marked,
                requests,
                ..
            } => {
                ctx.count_writes(counted, requests);
                if let Some(reason) = tag_failures.get(&contact) {
                    fail_facets(&job, Some(&contact), reason, &mut entries);
                    continue;
                }
                for (i, facet) in job.facets.iter().enumerate() {
                    if !facet.active {
                        continue;
                    }
                    let was_synced = facet
                        .existing
                        .as_ref()
                        .is_some_and(|m| m.content_hash.is_some() && m.ghl_id.is_some());
                    let outcome = if facet.unchanged(&contact) {
                        Outcome::Unchanged
                    } else if created || !was_synced {
                        Outcome::Created
                    } else {
                        Outcome::Updated
                    };
                    let mut m = facet
                        .existing
                        .clone()
                        .unwrap_or_else(|| Mapping::new(facet.entity, job.phorest_id.as_str()));
                    m.mark_synced(contact.clone());
                    m.content_hash = Some(facet.hash());
                    m.owned_tags = facet.tags.clone();
                    if i == 0
                        && marked
                        && let Some(marker) = &job.marker_tag
                        && !m.owned_tags.contains(marker)
                    {
                        m.owned_tags.push(marker.clone());
                        m.owned_tags.sort();
                    }
                    m.last_written = facet.payload.clone();
                    entries.push(Entry {
                        mapping: Some(m),
                        entity: facet.entity,
                        id: job.phorest_id.clone(),
                        label: job.label.clone(),
                        outcome,
                    });
                }
                synced.push(job.phorest_id.clone());
            }
            Written::Failed {
                reason,
                contact,
                requests,
                in_doubt,
                conflict,
            } => {
                ctx.count_writes(counted, requests);
                if conflict {
                    ctx.conflicted
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .insert((job.owner, job.phorest_id.clone()));
                }
                if in_doubt {
                    // Keep the intent: the next run looks the contact up before creating.
                    for facet in job.facets.iter().filter(|f| f.active) {
                        entries.push(Entry {
                            mapping: None,
                            entity: facet.entity,
                            id: job.phorest_id.clone(),
                            label: job.label.clone(),
                            outcome: Outcome::Failed(reason.clone()),
                        });
                    }
                    continue;
                }
                fail_facets(&job, contact.as_deref(), &reason, &mut entries);
            }
        }
    }
    if !ctx.dry_run() {
        let batch: Vec<Mapping> = entries.iter().filter_map(|e| e.mapping.clone()).collect();
        match ctx.plan.store.put_many(&batch).await {
            Ok(()) => {}
            Err(crate::store::StoreError::Conflict { .. }) => {
                // A mapping of this page points at a contact another record owns (state written
                // by an older version, or a race the claims did not see): store the others and
                // fail those records, naming the owner.
                for entry in &mut entries {
                    let Some(m) = &entry.mapping else { continue };
                    if let Err(crate::store::StoreError::Conflict { ghl_id, owner, .. }) =
                        ctx.plan.store.put(m).await
                    {
                        let reason = format!(
                            "GHL contact {ghl_id} already belongs to {} {}: nothing more is \
                             written to it for this record; give each record its own email and \
                             phone in Phorest",
                            owner.entity.label().to_lowercase(),
                            owner.phorest_id
                        );
                        synced.retain(|id| *id != entry.id);
                        entry.outcome = Outcome::Failed(reason);
                    }
                }
            }
            Err(other) => return Err(other.into()),
        }
    }
    for entry in entries {
        if silent.contains(&(entry.entity, entry.id.clone())) {
            continue;
        }
        ctx.record(
            entry.entity,
            &entry.id,
            entry.label.as_deref(),
            entry.outcome,
        );
    }
    Ok(synced)
}

/// Every active facet of `job` failed with `reason` (kept for a retry next run).
fn fail_facets(job: &ContactJob, contact: Option<&str>, reason: &str, entries: &mut Vec<Entry>) {
    for facet in job.facets.iter().filter(|f| f.active) {
        let mut m = facet
            .existing
            .clone()
            .unwrap_or_else(|| Mapping::new(facet.entity, job.phorest_id.as_str()));
        // The contact is kept when the record owns it; a record that never got one keeps none.
        m.ghl_id = match contact {
            Some(c) => Some(c.to_owned()),
            None => facet.existing.as_ref().and_then(|e| e.ghl_id.clone()),
        };
        m.state = MappingState::Failed;
        m.content_hash = None;
        m.attempts = m.attempts.saturating_add(1);
        m.last_error = Some(super::ctx::truncate(reason, 500));
        m.updated_at = chrono::Utc::now();
        entries.push(Entry {
            mapping: Some(m),
            entity: facet.entity,
            id: job.phorest_id.clone(),
            label: job.label.clone(),
            outcome: Outcome::Failed(reason.to_owned()),
        });
    }
}
