//! Contacts: create, upsert, get, update, delete, search, duplicate lookup, tags (one contact or
//! in bulk), notes and custom field values. `Version: 2021-07-28`.
//!
//! Request bodies share one set of fields, [`ContactFields`]: [`CreateContact`],
//! [`UpsertContact`] and [`UpdateContact`] are built from it and each writes exactly the
//! properties its operation declares in GHL's OpenAPI (see [`fields`](self) for the rule).

mod fields;

use futures::StreamExt;
use futures::stream::BoxStream;
use reqwest::Method;
use serde::{Deserialize, Serialize};

use crate::client::{Call, GhlClient};
use crate::error::Error;
use crate::ids::{ContactId, CustomFieldId, LocationId, NoteId, UserId};
use crate::open_enum::open_enum;
use crate::pagination::{CursorGuard, Listed, Page};
use crate::scope::Scope;

pub use fields::{ContactFields, CreateContact, UpdateContact, UpsertContact};

/// The `Version` header of the contacts API.
pub const VERSION: &str = "2021-07-28";

/// A contact as GHL returns it. Unknown fields are ignored; every field but `id` may be absent.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Contact {
    /// The contact id.
    pub id: ContactId,
    /// Its location.
    #[serde(default)]
    pub location_id: Option<LocationId>,
    /// First name.
    #[serde(default)]
    pub first_name: Option<String>,
    /// Last name.
    #[serde(default)]
    pub last_name: Option<String>,
    /// Full name as `name` (some answers carry `contactName` instead, or both: see
    /// [`Contact::contact_name`] and [`Contact::full_name`]).
    #[serde(default)]
    pub name: Option<String>,
    /// Full name as `contactName` (GHL sends it on some answers, alongside or instead of `name`).
    #[serde(default)]
    pub contact_name: Option<String>,
    /// Email.
    #[serde(default)]
    pub email: Option<String>,
    /// Phone (E.164).
    #[serde(default)]
    pub phone: Option<String>,
    /// Tags.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Custom field values.
    #[serde(default)]
    pub custom_fields: Vec<CustomFieldValue>,
    /// Date of birth, as sent by GHL (its OpenAPI does not type it).
    #[serde(default)]
    pub date_of_birth: Option<serde_json::Value>,
    /// Street address.
    #[serde(default)]
    pub address1: Option<String>,
    /// City.
    #[serde(default)]
    pub city: Option<String>,
    /// State or county.
    #[serde(default)]
    pub state: Option<String>,
    /// Postal code.
    #[serde(default)]
    pub postal_code: Option<String>,
    /// Country (ISO alpha-2).
    #[serde(default)]
    pub country: Option<String>,
    /// Website.
    #[serde(default)]
    pub website: Option<String>,
    /// Source.
    #[serde(default)]
    pub source: Option<String>,
    /// Company name.
    #[serde(default)]
    pub company_name: Option<String>,
    /// Gender.
    #[serde(default)]
    pub gender: Option<String>,
    /// Assigned user.
    #[serde(default)]
    pub assigned_to: Option<UserId>,
    /// Time zone.
    #[serde(default)]
    pub timezone: Option<String>,
    /// Do-not-disturb flag.
    #[serde(default)]
    pub dnd: Option<bool>,
    /// Do-not-disturb per channel (`None` too when GHL sent it in an unexpected shape).
    #[serde(default, deserialize_with = "crate::de::or_none")]
    pub dnd_settings: Option<DndSettings>,
    /// When it was created (ISO 8601).
    #[serde(default, deserialize_with = "crate::de::lenient_string")]
    pub date_added: Option<String>,
    /// When it was last updated (ISO 8601).
    #[serde(default, deserialize_with = "crate::de::lenient_string")]
    pub date_updated: Option<String>,
    /// The search cursor of this contact (search answers only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    search_after: Option<SearchCursor>,
}

impl Contact {
    /// The contact's full name, from `name` or else `contactName`.
    pub fn full_name(&self) -> Option<&str> {
        self.name.as_deref().or(self.contact_name.as_deref())
    }

    /// The search cursor GHL attached to this contact (search answers only): pass it to
    /// [`SearchContacts::search_after`] to go on after it.
    pub fn search_cursor(&self) -> Option<&SearchCursor> {
        self.search_after.as_ref()
    }
}

/// A custom field value on a contact, as GHL returns it.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct CustomFieldValue {
    /// The field id.
    #[serde(default)]
    pub id: Option<CustomFieldId>,
    /// The value (`value` in answers, `field_value` in some).
    #[serde(default, alias = "field_value", alias = "fieldValue")]
    pub value: Option<serde_json::Value>,
}

/// A custom field value to write: by field id, or by field key (resolved to the id before
/// sending).
///
/// - **Ids.** Every branch of GHL's `customFields[]` schema requires `id`. A value made
///   [`by_key`](Self::by_key) is resolved to its field's id through the location's custom
///   fields list (`GET /locations/{id}/customFields`, needs `locations/customFields.readonly`),
///   which the client caches and reloads once when a key is not in it; a key no field has fails
///   with [`Error::InvalidRequest`] before anything is sent. A key matches a field's `fieldKey`
///   with or without its `contact.` prefix.
/// - **Numbers** are written as their decimal text (`250`, `99.5`). GHL's schema types the value
///   of text and option fields as a string and that of numeric and monetary fields as `object`
///   (with numeric examples), which no JSON value can satisfy; the text form matches the string
///   branch and is what numeric fields accept. Strings, booleans and lists (checkbox and
///   multiple-option fields) are sent as they are.
///
/// ```
/// use ghl_client::contacts::CustomFieldInput;
///
/// let points = CustomFieldInput::by_id("cf-1", 250);
/// assert_eq!(
///     serde_json::to_value(&points).unwrap(),
///     serde_json::json!({"id": "cf-1", "field_value": "250"}),
/// );
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct CustomFieldInput {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<CustomFieldId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    key: Option<String>,
    field_value: serde_json::Value,
}

/// A number as the text GHL's custom fields take; other values unchanged.
fn field_value(value: serde_json::Value) -> serde_json::Value {
    match value {
        serde_json::Value::Number(n) => serde_json::Value::String(n.to_string()),
        other => other,
    }
}

impl CustomFieldInput {
    /// A value for the field with this id.
    pub fn by_id(id: impl Into<CustomFieldId>, value: impl Into<serde_json::Value>) -> Self {
        Self {
            id: Some(id.into()),
            key: None,
            field_value: field_value(value.into()),
        }
    }

    /// A value for the field with this key (such as `contact.loyalty_points`), resolved to the
    /// field's id before sending.
    pub fn by_key(key: impl Into<String>, value: impl Into<serde_json::Value>) -> Self {
        Self {
            id: None,
            key: Some(key.into()),
            field_value: field_value(value.into()),
        }
    }

    /// The field id, when known.
    pub fn id(&self) -> Option<&CustomFieldId> {
        self.id.as_ref()
    }

    /// The field key, for a value made by key.
    pub fn key(&self) -> Option<&str> {
        self.key.as_deref()
    }

    /// The value as it is sent.
    pub fn value(&self) -> &serde_json::Value {
        &self.field_value
    }
}

open_enum!(
    /// A do-not-disturb status.
    DndStatus {
        /// `active`: do not disturb.
        Active => "active",
        /// `inactive`: messages allowed.
        Inactive => "inactive",
        /// `permanent` (outbound channels only).
        Permanent => "permanent",
    }
);

/// One channel's do-not-disturb setting.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DndChannel {
    /// The status.
    pub status: DndStatus,
    /// Optional message.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub message: Option<String>,
}

impl DndChannel {
    /// A setting with this status.
    pub fn new(status: DndStatus) -> Self {
        Self {
            status,
            message: None,
        }
    }

    /// Adds a message.
    pub fn message(mut self, message: impl Into<String>) -> Self {
        self.message = Some(message.into());
        self
    }
}

/// Do-not-disturb settings per outbound channel (`dndSettings`).
///
/// ```
/// use ghl_client::contacts::{DndChannel, DndSettings, DndStatus};
///
/// let settings = DndSettings::new().sms(DndChannel::new(DndStatus::Active));
/// assert_eq!(
///     serde_json::to_value(&settings).unwrap(),
///     serde_json::json!({"SMS": {"status": "active"}}),
/// );
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DndSettings {
    /// Calls.
    #[serde(rename = "Call", skip_serializing_if = "Option::is_none", default)]
    pub call: Option<DndChannel>,
    /// Email.
    #[serde(rename = "Email", skip_serializing_if = "Option::is_none", default)]
    pub email: Option<DndChannel>,
    /// SMS.
    #[serde(rename = "SMS", skip_serializing_if = "Option::is_none", default)]
    pub sms: Option<DndChannel>,
    /// WhatsApp.
    #[serde(rename = "WhatsApp", skip_serializing_if = "Option::is_none", default)]
    pub whatsapp: Option<DndChannel>,
    /// Google My Business.
    #[serde(rename = "GMB", skip_serializing_if = "Option::is_none", default)]
    pub gmb: Option<DndChannel>,
    /// Facebook.
    #[serde(rename = "FB", skip_serializing_if = "Option::is_none", default)]
    pub fb: Option<DndChannel>,
}

impl DndSettings {
    /// No channel set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Calls.
    pub fn call(mut self, channel: DndChannel) -> Self {
        self.call = Some(channel);
        self
    }

    /// Email.
    pub fn email(mut self, channel: DndChannel) -> Self {
        self.email = Some(channel);
        self
    }

    /// SMS.
    pub fn sms(mut self, channel: DndChannel) -> Self {
        self.sms = Some(channel);
        self
    }

    /// WhatsApp.
    pub fn whatsapp(mut self, channel: DndChannel) -> Self {
        self.whatsapp = Some(channel);
        self
    }

    /// Google My Business.
    pub fn gmb(mut self, channel: DndChannel) -> Self {
        self.gmb = Some(channel);
        self
    }

    /// Facebook.
    pub fn fb(mut self, channel: DndChannel) -> Self {
        self.fb = Some(channel);
        self
    }

    /// Whether no channel is set.
    pub fn is_empty(&self) -> bool {
        self == &Self::default()
    }
}

/// Inbound do-not-disturb (`inboundDndSettings`): one setting for every channel (`active` or
/// `inactive`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct InboundDndSettings {
    /// Every inbound channel.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub all: Option<DndChannel>,
}

impl InboundDndSettings {
    /// Every inbound channel set to `channel`.
    pub fn all(channel: DndChannel) -> Self {
        Self { all: Some(channel) }
    }
}

/// What an upsert did.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct UpsertOutcome {
    /// GHL's `new`: `Some(true)` when a contact was created, `Some(false)` when an existing one
    /// was updated, `None` when the answer did not say (the spec marks it optional).
    pub created: Option<bool>,
    /// The contact after the upsert.
    pub contact: Contact,
}

open_enum!(
    /// A contact search filter operator (GHL's "Contacts Search" syntax).
    FilterOperator {
        /// `eq`: equals (on a list such as `tags`: contains every value).
        Eq => "eq",
        /// `not_eq`
        NotEq => "not_eq",
        /// `contains`
        Contains => "contains",
        /// `not_contains`
        NotContains => "not_contains",
        /// `exists`
        Exists => "exists",
        /// `not_exists`
        NotExists => "not_exists",
        /// `range`
        Range => "range",
    }
);

/// One contact search filter, `{field, operator, value}`, or a raw filter (groups and other
/// shapes GHL accepts).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(transparent)]
pub struct SearchFilter(serde_json::Value);

impl SearchFilter {
    /// `{field, operator, value}`.
    pub fn new(
        field: impl Into<String>,
        operator: FilterOperator,
        value: impl Into<serde_json::Value>,
    ) -> Self {
        Self(serde_json::json!({
            "field": field.into(),
            "operator": operator.as_str(),
            "value": value.into(),
        }))
    }

    /// `{field, operator: eq, value}`.
    pub fn eq(field: impl Into<String>, value: impl Into<serde_json::Value>) -> Self {
        Self::new(field, FilterOperator::Eq, value)
    }

    /// `{field, operator: contains, value}` (on `tags`: the contact carries the tag).
    pub fn contains(field: impl Into<String>, value: impl Into<serde_json::Value>) -> Self {
        Self::new(field, FilterOperator::Contains, value)
    }

    /// A filter written in GHL's JSON syntax as it is (such as a `{group, filters}` group).
    pub fn raw(filter: serde_json::Value) -> Self {
        Self(filter)
    }
}

/// The body of `POST /contacts/search` (GHL's OpenAPI leaves this body and its answer
/// untyped; the shape here is the one GHL's "Contacts Search" documentation describes).
///
/// `pageLimit` defaults to 100 (GHL allows up to 500); `page` reaches the first 10,000 records
/// only, so the streams page with `searchAfter`.
///
/// ```
/// use ghl_client::contacts::{SearchContacts, SearchFilter};
///
/// let query = SearchContacts::new()
///     .page_limit(50)
///     .filter(SearchFilter::contains("tags", "vip"));
/// assert_eq!(query.get_page_limit(), 50);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchContacts {
    #[serde(skip_serializing_if = "Option::is_none")]
    location_id: Option<LocationId>,
    page_limit: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    query: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    filters: Vec<SearchFilter>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    sort: Vec<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    search_after: Option<SearchCursor>,
}

impl Default for SearchContacts {
    fn default() -> Self {
        Self {
            location_id: None,
            page_limit: 100,
            query: None,
            filters: Vec::new(),
            sort: Vec::new(),
            search_after: None,
        }
    }
}

impl SearchContacts {
    /// Every contact of the client's location, 100 per page.
    pub fn new() -> Self {
        Self::default()
    }

    /// The location (default: the client's).
    pub fn location_id(mut self, id: impl Into<LocationId>) -> Self {
        self.location_id = Some(id.into());
        self
    }

    /// Contacts per page (1..=500).
    pub fn page_limit(mut self, limit: u32) -> Self {
        self.page_limit = limit;
        self
    }

    /// The page size set.
    pub fn get_page_limit(&self) -> u32 {
        self.page_limit
    }

    /// Free-text query (name, email, phone, company).
    pub fn query(mut self, text: impl Into<String>) -> Self {
        self.query = Some(text.into());
        self
    }

    /// Adds a filter (filters are combined with AND).
    pub fn filter(mut self, filter: SearchFilter) -> Self {
        self.filters.push(filter);
        self
    }

    /// Adds a sort key: `{field, direction}` with direction `asc` or `desc`.
    pub fn sort(mut self, field: impl Into<String>, descending: bool) -> Self {
        self.sort.push(serde_json::json!({
            "field": field.into(),
            "direction": if descending { "desc" } else { "asc" },
        }));
        self
    }

    /// Starts after this cursor (the [`Contact::search_cursor`] of the last contact seen).
    pub fn search_after(mut self, cursor: SearchCursor) -> Self {
        self.search_after = Some(cursor);
        self
    }
}

/// A contact search cursor (`searchAfter`): opaque; serialisable, so a host can store it and
/// resume a search later.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SearchCursor(Vec<serde_json::Value>);

/// A page of a contact search.
pub type ContactPage = Page<Contact, SearchCursor>;

/// The page stream of a contact search ([`ContactsHandler::search_pages`]).
pub type ContactPageStream = BoxStream<'static, Result<ContactPage, Error>>;

/// The item stream of a contact search ([`ContactsHandler::search`]).
pub type ContactStream = BoxStream<'static, Result<Contact, Error>>;

/// A note on a contact.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Note {
    /// The note id.
    pub id: NoteId,
    /// The text.
    #[serde(default)]
    pub body: Option<String>,
    /// The author.
    #[serde(default)]
    pub user_id: Option<UserId>,
    /// The contact.
    #[serde(default)]
    pub contact_id: Option<ContactId>,
    /// When it was added.
    #[serde(default, deserialize_with = "crate::de::lenient_string")]
    pub date_added: Option<String>,
}

/// The body of `POST /contacts/{id}/notes` and `PUT /contacts/{id}/notes/{noteId}`. Required:
/// `body`.
///
/// ```
/// use ghl_client::contacts::CreateNote;
///
/// let note = CreateNote::new("Visited on Monday").user_id("u-1");
/// assert_eq!(note.get_body(), "Visited on Monday");
/// ```
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateNote {
    body: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_id: Option<UserId>,
}

impl CreateNote {
    /// A note with this text.
    pub fn new(body: impl Into<String>) -> Self {
        Self {
            body: body.into(),
            user_id: None,
        }
    }

    /// The author.
    pub fn user_id(mut self, user: impl Into<UserId>) -> Self {
        self.user_id = Some(user.into());
        self
    }

    /// Sets or clears the author.
    pub fn set_user_id(mut self, user: Option<UserId>) -> Self {
        self.user_id = user;
        self
    }

    /// The text.
    pub fn get_body(&self) -> &str {
        &self.body
    }

    /// The author, if set.
    pub fn get_user_id(&self) -> Option<&UserId> {
        self.user_id.as_ref()
    }
}

/// The body of `PUT /contacts/{id}/notes/{noteId}`: the same fields as a create.
pub type UpdateNote = CreateNote;

/// Whether a bulk tag update adds or removes (the `{type}` of
/// `POST /contacts/bulk/tags/update/{type}`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BulkTagAction {
    /// `add`
    Add,
    /// `remove`
    Remove,
}

impl BulkTagAction {
    /// The path segment.
    pub fn as_str(self) -> &'static str {
        match self {
            BulkTagAction::Add => "add",
            BulkTagAction::Remove => "remove",
        }
    }
}

/// The body of `POST /contacts/bulk/tags/update/{type}` (`UpdateTagsDTO`): the same tags added
/// to, or removed from, many contacts in one request. Required: `contacts`, `tags`,
/// `locationId` (the client's when unset).
///
/// ```
/// use ghl_client::contacts::BulkUpdateTags;
///
/// let request = BulkUpdateTags::add(["c-1", "c-2"], ["vip"]);
/// assert_eq!(request.get_contacts().len(), 2);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BulkUpdateTags {
    #[serde(skip)]
    action: BulkTagAction,
    contacts: Vec<ContactId>,
    tags: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    location_id: Option<LocationId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    remove_all_tags: Option<bool>,
}

impl BulkUpdateTags {
    fn new<C: Into<ContactId>, T: Into<String>>(
        action: BulkTagAction,
        contacts: impl IntoIterator<Item = C>,
        tags: impl IntoIterator<Item = T>,
    ) -> Self {
        Self {
            action,
            contacts: contacts.into_iter().map(Into::into).collect(),
            tags: tags.into_iter().map(Into::into).collect(),
            location_id: None,
            remove_all_tags: None,
        }
    }

    /// Adds `tags` to every contact of `contacts`.
    pub fn add<C: Into<ContactId>, T: Into<String>>(
        contacts: impl IntoIterator<Item = C>,
        tags: impl IntoIterator<Item = T>,
    ) -> Self {
        Self::new(BulkTagAction::Add, contacts, tags)
    }

    /// Removes `tags` from every contact of `contacts`.
    pub fn remove<C: Into<ContactId>, T: Into<String>>(
        contacts: impl IntoIterator<Item = C>,
        tags: impl IntoIterator<Item = T>,
    ) -> Self {
        Self::new(BulkTagAction::Remove, contacts, tags)
    }

    /// The location (default: the client's).
    pub fn location_id(mut self, id: impl Into<LocationId>) -> Self {
        self.location_id = Some(id.into());
        self
    }

    /// `removeAllTags`: with `true`, a remove takes every tag off the contacts (GHL accepts it
    /// with the remove action only).
    pub fn remove_all_tags(mut self, all: bool) -> Self {
        self.remove_all_tags = Some(all);
        self
    }

    /// Add or remove.
    pub fn get_action(&self) -> BulkTagAction {
        self.action
    }

    /// The contacts.
    pub fn get_contacts(&self) -> &[ContactId] {
        &self.contacts
    }

    /// The tags.
    pub fn get_tags(&self) -> &[String] {
        &self.tags
    }
}

/// The answer of a bulk tag update.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct BulkTagsOutcome {
    /// GHL's `succeded` (sic).
    #[serde(default, alias = "succeded")]
    pub succeeded: Option<bool>,
    /// How many contacts failed.
    #[serde(default)]
    pub error_count: Option<u64>,
    /// One result per contact (as decoded; items GHL sends in another shape keep their raw JSON
    /// in [`BulkTagResult::raw`]).
    #[serde(default)]
    pub responses: Vec<BulkTagResult>,
}

impl BulkTagsOutcome {
    /// The contacts GHL reported an error for.
    pub fn failures(&self) -> impl Iterator<Item = &BulkTagResult> {
        self.responses.iter().filter(|r| r.is_error())
    }
}

/// One contact's result in a [`BulkTagsOutcome`]. GHL's OpenAPI types these items as strings
/// while its example shows objects; both decode.
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct BulkTagResult {
    /// The contact.
    pub contact_id: Option<ContactId>,
    /// GHL's message (such as `Tags updated`, `contact is deleted`).
    pub message: Option<String>,
    /// `success` or `error`.
    pub kind: Option<String>,
    /// The item as GHL sent it.
    pub raw: serde_json::Value,
}

impl BulkTagResult {
    /// Whether GHL reported an error for this contact.
    pub fn is_error(&self) -> bool {
        self.kind.as_deref() == Some("error")
    }
}

impl<'de> Deserialize<'de> for BulkTagResult {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = serde_json::Value::deserialize(deserializer)?;
        let text = |key: &str| raw.get(key).and_then(serde_json::Value::as_str);
        Ok(match &raw {
            serde_json::Value::String(message) => Self {
                message: Some(message.clone()),
                raw: raw.clone(),
                ..Self::default()
            },
            _ => Self {
                contact_id: text("contactId").map(ContactId::from),
                message: text("message").map(str::to_owned),
                kind: text("type").map(str::to_owned),
                raw: raw.clone(),
            },
        })
    }
}

#[derive(Serialize)]
struct TagsBody<'a> {
    tags: &'a [String],
}

#[derive(Serialize)]
struct CustomFieldsOnly<'a> {
    #[serde(rename = "customFields")]
    custom_fields: &'a [CustomFieldInput],
}

/// `client.contacts()`.
#[derive(Debug, Clone, Copy)]
pub struct ContactsHandler<'c> {
    client: &'c GhlClient,
}

impl<'c> ContactsHandler<'c> {
    pub(crate) fn new(client: &'c GhlClient) -> Self {
        Self { client }
    }

    /// Resolves custom field values given by key to their field ids (see [`CustomFieldInput`]).
    async fn resolve_keys(&self, values: &mut [CustomFieldInput]) -> Result<(), Error> {
        for value in values.iter_mut().filter(|v| v.id.is_none()) {
            let Some(key) = value.key.take() else {
                return Err(Error::InvalidRequest(
                    "a custom field value has neither an id nor a key".to_owned(),
                ));
            };
            value.id = Some(self.client.custom_fields().id_for_key(&key).await?);
        }
        Ok(())
    }

    /// `POST /contacts/`: creates a contact. Needs `contacts.write`.
    /// [Reference](https://marketplace.gohighlevel.com/docs/ghl/contacts/create-contact).
    ///
    /// **Not idempotent**: retried only on 429 and connect errors. After a 5xx or timeout the
    /// error's [`may_have_been_applied`](Error::may_have_been_applied) is `true`; search or
    /// upsert before creating again. When the location does not allow duplicate contacts, an
    /// existing email or phone gives [`Error::DuplicateContact`] with the existing contact's id
    /// (GHL's `meta.contactId`, observed rather than documented); when it allows them, a second
    /// contact is created. Prefer [`upsert`](Self::upsert).
    pub async fn create(&self, request: &CreateContact) -> Result<Contact, Error> {
        let mut body = request.located(self.client.location_id());
        self.resolve_keys(body.fields_mut().custom_fields_mut())
            .await?;
        let call = Call::new(
            Method::POST,
            "/contacts/",
            &["contacts", ""],
            VERSION,
            Scope::ContactsWrite,
        )
        .json(&body)?;
        // The spec marks `contact` optional; without it the new contact's id is unknown, so
        // its absence is a decode error naming the field.
        self.client.send_json(call).await?.field("contact")
    }

    /// `POST /contacts/upsert`: updates the contact the location's duplicate rule matches, or
    /// creates one; [`UpsertOutcome::created`] tells which. Needs `contacts.write`.
    /// [Reference](https://marketplace.gohighlevel.com/docs/ghl/contacts/upsert-contact).
    ///
    /// Matching follows the location's "Allow Duplicate Contact" setting: GHL looks for an
    /// existing contact by email and phone in the priority order configured there, and when
    /// the email and the phone match two different contacts it updates the one matching the
    /// first field of that order and ignores the second field. Idempotent, so it is retried on
    /// 5xx and timeouts too.
    ///
    /// Sending `tags` replaces an existing contact's tags: leave them unset and use
    /// [`add_tags`](Self::add_tags) for an existing contact.
    pub async fn upsert(&self, request: &UpsertContact) -> Result<UpsertOutcome, Error> {
        let mut body = request.located(self.client.location_id());
        self.resolve_keys(body.fields_mut().custom_fields_mut())
            .await?;
        let call = Call::new(
            Method::POST,
            "/contacts/upsert",
            &["contacts", "upsert"],
            VERSION,
            Scope::ContactsWrite,
        )
        .idempotent()
        .json(&body)?;
        let mut answer = self.client.send_json(call).await?;
        let created = answer.opt_field("new")?;
        // Optional in the spec, but the only way to learn the contact's id: required here.
        let contact = answer.field("contact")?;
        Ok(UpsertOutcome { created, contact })
    }

    /// `GET /contacts/{id}`. Needs `contacts.readonly`.
    ///
    /// An unknown id is [`Error::NotFound`]: GHL declares no 404 here and answers 400 with a
    /// "… not found" message (observed), which the client classifies as not found.
    pub async fn get(&self, id: &ContactId) -> Result<Contact, Error> {
        let call = Call::new(
            Method::GET,
            "/contacts/{id}",
            &["contacts", id.as_str()],
            VERSION,
            Scope::ContactsReadonly,
        );
        self.client.send_json(call).await?.field("contact")
    }

    /// `PUT /contacts/{id}`: partial update. Needs `contacts.write`.
    /// [Reference](https://marketplace.gohighlevel.com/docs/ghl/contacts/update-contact).
    ///
    /// Unset fields are not sent; `gender` and `companyName` are never sent (the operation
    /// does not declare them), and `tags` only when set, because it **replaces the whole tag
    /// set** (use [`add_tags`](Self::add_tags) / [`remove_tags`](Self::remove_tags)).
    /// Answers the updated contact when GHL includes it (`{succeded, contact}`; the spec makes
    /// `contact` optional), else `None`. An unknown id is [`Error::NotFound`] (see
    /// [`get`](Self::get)).
    pub async fn update(
        &self,
        id: &ContactId,
        request: &UpdateContact,
    ) -> Result<Option<Contact>, Error> {
        let mut body = request.clone();
        self.resolve_keys(body.fields_mut().custom_fields_mut())
            .await?;
        let call = Call::new(
            Method::PUT,
            "/contacts/{id}",
            &["contacts", id.as_str()],
            VERSION,
            Scope::ContactsWrite,
        )
        .json(&body)?;
        self.client.send_json(call).await?.opt_field("contact")
    }

    /// `PUT /contacts/{id}` with only `customFields`: writes these custom field values and
    /// nothing else (see [`update`](Self::update) for the answer).
    pub async fn set_custom_fields(
        &self,
        id: &ContactId,
        values: &[CustomFieldInput],
    ) -> Result<Option<Contact>, Error> {
        let mut values = values.to_vec();
        self.resolve_keys(&mut values).await?;
        let call = Call::new(
            Method::PUT,
            "/contacts/{id}",
            &["contacts", id.as_str()],
            VERSION,
            Scope::ContactsWrite,
        )
        .json(&CustomFieldsOnly {
            custom_fields: &values,
        })?;
        self.client.send_json(call).await?.opt_field("contact")
    }

    /// `DELETE /contacts/{id}`. Needs `contacts.write`.
    pub async fn delete(&self, id: &ContactId) -> Result<(), Error> {
        let call = Call::new(
            Method::DELETE,
            "/contacts/{id}",
            &["contacts", id.as_str()],
            VERSION,
            Scope::ContactsWrite,
        );
        self.client.send_unit(call).await
    }

    /// `GET /contacts/search/duplicate`: the contact the duplicate rule would match for this
    /// email and/or phone, or `None`. Needs `contacts.readonly`. The answer's shape,
    /// `{contact: … | null}`, is observed (the spec gives none).
    pub async fn find_duplicate(
        &self,
        email: Option<&str>,
        phone: Option<&str>,
    ) -> Result<Option<Contact>, Error> {
        if email.is_none() && phone.is_none() {
            return Err(Error::InvalidRequest(
                "find_duplicate needs an email or a phone".to_owned(),
            ));
        }
        let call = Call::new(
            Method::GET,
            "/contacts/search/duplicate",
            &["contacts", "search", "duplicate"],
            VERSION,
            Scope::ContactsReadonly,
        )
        .query("locationId", self.client.location_id())
        .query_opt("email", email)
        .query_opt("number", phone);
        self.client.send_json(call).await?.opt_field("contact")
    }

    /// `POST /contacts/{id}/tags`: adds tags, leaving the others alone. Returns the tags the
    /// server reports. Needs `contacts.write`.
    pub async fn add_tags(&self, id: &ContactId, tags: &[String]) -> Result<Vec<String>, Error> {
        self.tags_call(Method::POST, id, tags).await
    }

    /// `DELETE /contacts/{id}/tags`: removes these tags only. Needs `contacts.write`.
    pub async fn remove_tags(&self, id: &ContactId, tags: &[String]) -> Result<Vec<String>, Error> {
        self.tags_call(Method::DELETE, id, tags).await
    }

    async fn tags_call(
        &self,
        method: Method,
        id: &ContactId,
        tags: &[String],
    ) -> Result<Vec<String>, Error> {
        // Adding a tag twice is harmless, so both directions may be retried.
        let call = Call::new(
            method,
            "/contacts/{id}/tags",
            &["contacts", id.as_str(), "tags"],
            VERSION,
            Scope::ContactsWrite,
        )
        .idempotent()
        .json(&TagsBody { tags })?;
        Ok(self
            .client
            .send_json(call)
            .await?
            .opt_field("tags")?
            .unwrap_or_default())
    }

    /// `POST /contacts/bulk/tags/update/{type}`: adds (or removes) the same tags on many
    /// contacts in one request. Per-contact failures (a deleted contact, one of another
    /// location) do not fail the request: see [`BulkTagsOutcome::failures`]. Retried like any
    /// idempotent write (adding or removing a tag twice is harmless).
    /// [Reference](https://marketplace.gohighlevel.com/docs/ghl/contacts/create-association).
    ///
    /// GHL's OpenAPI names no scope for this operation; `contacts.write` is assumed.
    pub async fn bulk_update_tags(
        &self,
        request: &BulkUpdateTags,
    ) -> Result<BulkTagsOutcome, Error> {
        let mut body = request.clone();
        body.location_id
            .get_or_insert_with(|| self.client.location_id().clone());
        let call = Call::new(
            Method::POST,
            "/contacts/bulk/tags/update/{type}",
            &["contacts", "bulk", "tags", "update", body.action.as_str()],
            VERSION,
            Scope::ContactsWrite,
        )
        .idempotent()
        .json(&body)?;
        self.client.send(call).await
    }

    /// `POST /contacts/{id}/notes`. **Not idempotent** (see [`create`](Self::create)). Needs
    /// `contacts.write`.
    pub async fn create_note(&self, id: &ContactId, note: &CreateNote) -> Result<Note, Error> {
        let call = Call::new(
            Method::POST,
            "/contacts/{id}/notes",
            &["contacts", id.as_str(), "notes"],
            VERSION,
            Scope::ContactsWrite,
        )
        .json(note)?;
        self.client.send_json(call).await?.field("note")
    }

    /// `PUT /contacts/{id}/notes/{noteId}`: replaces the note's body (and author, if given).
    /// Idempotent, so retried like any other update. Answers the note when GHL includes it.
    pub async fn update_note(
        &self,
        id: &ContactId,
        note: &NoteId,
        update: &UpdateNote,
    ) -> Result<Option<Note>, Error> {
        let call = Call::new(
            Method::PUT,
            "/contacts/{id}/notes/{noteId}",
            &["contacts", id.as_str(), "notes", note.as_str()],
            VERSION,
            Scope::ContactsWrite,
        )
        .idempotent()
        .json(update)?;
        self.client.send_json(call).await?.opt_field("note")
    }

    /// `GET /contacts/{id}/notes`. Needs `contacts.readonly`. A note that does not decode (no
    /// `id`) is reported in [`Listed::rejected`], the others are kept.
    pub async fn list_notes(&self, id: &ContactId) -> Result<Listed<Note>, Error> {
        let call = Call::new(
            Method::GET,
            "/contacts/{id}/notes",
            &["contacts", id.as_str(), "notes"],
            VERSION,
            Scope::ContactsReadonly,
        );
        self.client.send_json(call).await?.list("notes")
    }

    /// `POST /contacts/search`: one page. Needs `contacts.readonly`. The next cursor is the
    /// last contact's `searchAfter`; contacts that do not decode are in [`Page::rejected`].
    pub async fn search_page(&self, query: &SearchContacts) -> Result<ContactPage, Error> {
        search_page(self.client, query).await
    }

    /// Every page of a search, as a `'static` stream. Stops on an empty page, a page without a
    /// cursor and a repeated cursor.
    pub fn search_pages(&self, query: SearchContacts) -> ContactPageStream {
        let client = self.client.clone();
        futures::stream::try_unfold(
            (Some(query), CursorGuard::new(), client),
            |(query, mut guard, client)| async move {
                let Some(query) = query else {
                    return Ok(None);
                };
                let page = search_page(&client, &query).await?;
                if page.items.is_empty() && page.rejected.is_empty() {
                    return Ok(None);
                }
                let count = page.items.len() + page.rejected.len();
                let next = guard
                    .next(count, page.next.as_ref())
                    .map(|cursor| query.search_after(cursor));
                Ok(Some((page, (next, guard, client))))
            },
        )
        .boxed()
    }

    /// Every contact of a search, as a `'static` stream (see
    /// [`search_pages`](Self::search_pages)). Contacts that do not decode are logged and
    /// skipped; use the page stream to see them.
    ///
    /// ```no_run
    /// # async fn demo(client: ghl_client::GhlClient) -> Result<(), ghl_client::Error> {
    /// use futures::TryStreamExt;
    /// use ghl_client::contacts::SearchContacts;
    ///
    /// let contacts: Vec<_> = client
    ///     .contacts()
    ///     .search(SearchContacts::new())
    ///     .try_collect()
    ///     .await?;
    /// println!("{} contacts", contacts.len());
    /// # Ok(())
    /// # }
    /// ```
    pub fn search(&self, query: SearchContacts) -> ContactStream {
        use futures::TryStreamExt;
        self.search_pages(query)
            .map_ok(|page| futures::stream::iter(page.items.into_iter().map(Ok)))
            .try_flatten()
            .boxed()
    }
}

async fn search_page(client: &GhlClient, query: &SearchContacts) -> Result<ContactPage, Error> {
    let mut query = query.clone();
    query
        .location_id
        .get_or_insert_with(|| client.location_id().clone());
    // Searching does not change anything: safe to replay.
    let call = Call::new(
        Method::POST,
        "/contacts/search",
        &["contacts", "search"],
        VERSION,
        Scope::ContactsReadonly,
    )
    .idempotent()
    .json(&query)?;
    let mut answer = client.send_json(call).await?;
    let total = answer.opt_field("total")?;
    let listed: Listed<Contact> = answer.list("contacts")?;
    let next = listed.items.last().and_then(|c| c.search_after.clone());
    Ok(Page::new(listed.items, next, total, listed.rejected))
}
