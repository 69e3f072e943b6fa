//! Contacts: create, upsert, get, update, delete, search, duplicate lookup, tags, notes and
//! custom field values. `Version: 2021-07-28`.

use futures::Stream;
use reqwest::Method;
use serde::{Deserialize, Serialize};

use crate::client::{Call, GhlClient};
use crate::error::Error;
use crate::ids::{ContactId, CustomFieldId, LocationId, NoteId, UserId};
use crate::pagination::{CursorGuard, Page};
use crate::scope::Scope;

/// The `Version` header of the contacts API.
pub const VERSION: &str = "2021-07-28";

/// A contact as GHL returns it. Unknown fields are ignored.
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
    /// Date of birth, as sent by GHL.
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
    /// Source.
    #[serde(default)]
    pub source: Option<String>,
    /// Company name.
    #[serde(default)]
    pub company_name: Option<String>,
    /// Assigned user.
    #[serde(default)]
    pub assigned_to: Option<UserId>,
    /// Time zone.
    #[serde(default)]
    pub timezone: Option<String>,
    /// Do-not-disturb flag.
    #[serde(default)]
    pub dnd: Option<bool>,
    /// When it was created (ISO 8601).
    #[serde(default, deserialize_with = "crate::de::lenient_string")]
    pub date_added: Option<String>,
    /// When it was last updated (ISO 8601).
    #[serde(default, deserialize_with = "crate::de::lenient_string")]
    pub date_updated: Option<String>,
    /// The search cursor of this contact (search answers only).
    #[serde(default)]
    pub search_after: Option<Vec<serde_json::Value>>,
}

impl Contact {
    /// The contact's full name, from `name` or else `contactName`.
    pub fn full_name(&self) -> Option<&str> {
        self.name.as_deref().or(self.contact_name.as_deref())
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

/// A custom field value to write, by field `id` or by `key`.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct CustomFieldInput {
    /// The field id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<CustomFieldId>,
    /// The field key (such as `contact.loyalty_points`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// The value.
    pub field_value: serde_json::Value,
}

impl CustomFieldInput {
    /// A value for the field with this id.
    pub fn by_id(id: impl Into<CustomFieldId>, value: impl Into<serde_json::Value>) -> Self {
        Self {
            id: Some(id.into()),
            key: None,
            field_value: value.into(),
        }
    }

    /// A value for the field with this key.
    pub fn by_key(key: impl Into<String>, value: impl Into<serde_json::Value>) -> Self {
        Self {
            id: None,
            key: Some(key.into()),
            field_value: value.into(),
        }
    }
}

/// One channel's do-not-disturb setting.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DndChannel {
    /// `active`, `inactive` or `permanent`.
    pub status: String,
    /// Optional message.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub message: Option<String>,
}

/// Do-not-disturb settings per channel.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
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

/// The body of `POST /contacts/upsert` (and of `POST /contacts/`, see [`CreateContact`]).
///
/// `location_id` may stay `None`: the client fills in its own location.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UpsertContact {
    /// The location; the client's when `None`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location_id: Option<LocationId>,
    /// First name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    /// Last name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    /// Full name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Email.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Phone, E.164.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// Street address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address1: Option<String>,
    /// City.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// State or county.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// Postal code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    /// Country, ISO alpha-2.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// Date of birth, `YYYY-MM-DD`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date_of_birth: Option<chrono::NaiveDate>,
    /// Gender.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gender: Option<String>,
    /// Source.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Tags. **On an existing contact this replaces the whole tag set**; prefer
    /// [`ContactsHandler::add_tags`] / [`ContactsHandler::remove_tags`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
    /// Custom field values.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub custom_fields: Vec<CustomFieldInput>,
    /// Do-not-disturb on every channel.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dnd: Option<bool>,
    /// Do-not-disturb per channel.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dnd_settings: Option<DndSettings>,
    /// Company name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub company_name: Option<String>,
    /// Assigned user.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assigned_to: Option<UserId>,
    /// Time zone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
}

/// The body of `POST /contacts/`: the same fields as an upsert.
pub type CreateContact = UpsertContact;

/// The body of `PUT /contacts/{id}`: a partial update; `None` fields are not sent.
///
/// **`tags` replaces the whole tag set** (wiping tags set by the salon or its workflows). It is
/// `None` by default and then never sent; use [`ContactsHandler::add_tags`] and
/// [`ContactsHandler::remove_tags`] to manage tags safely.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateContact {
    /// First name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    /// Last name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    /// Full name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Email.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Phone, E.164.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// Street address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address1: Option<String>,
    /// City.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// State or county.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// Postal code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    /// Country, ISO alpha-2.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// Date of birth.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date_of_birth: Option<chrono::NaiveDate>,
    /// Gender.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gender: Option<String>,
    /// Source.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// **Replaces the whole tag set.** Leave `None` unless that is what you want.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
    /// Custom field values (only the listed fields change).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub custom_fields: Vec<CustomFieldInput>,
    /// Do-not-disturb on every channel.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dnd: Option<bool>,
    /// Do-not-disturb per channel.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dnd_settings: Option<DndSettings>,
    /// Company name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub company_name: Option<String>,
    /// Assigned user.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assigned_to: Option<UserId>,
    /// Time zone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
}

/// What an upsert did.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct UpsertOutcome {
    /// `true` when a contact was created, `false` when an existing one was updated.
    pub created: bool,
    /// The contact after the upsert.
    pub contact: Contact,
}

/// The query of `POST /contacts/search`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchContacts {
    /// The location; the client's when `None`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location_id: Option<LocationId>,
    /// Contacts per page (GHL allows up to 100).
    pub page_limit: u32,
    /// Free-text query.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
    /// Filters, in GHL's filter syntax.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub filters: Vec<serde_json::Value>,
    /// Sort order, in GHL's syntax.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sort: Vec<serde_json::Value>,
    /// Start after this cursor (the `searchAfter` of the last contact of a page).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub search_after: Option<SearchCursor>,
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

/// A contact search cursor (`searchAfter`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SearchCursor(pub Vec<serde_json::Value>);

/// A page of a contact search.
pub type ContactPage = Page<Contact, SearchCursor>;

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

/// The body of `POST /contacts/{id}/notes`.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateNote {
    /// The text.
    pub body: String,
    /// The author.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<UserId>,
}

#[derive(Deserialize)]
struct ContactEnvelope {
    contact: Contact,
}

#[derive(Deserialize)]
struct MaybeContactEnvelope {
    #[serde(default)]
    contact: Option<Contact>,
}

#[derive(Deserialize)]
struct UpsertEnvelope {
    #[serde(default)]
    new: bool,
    contact: Contact,
}

#[derive(Deserialize)]
struct SearchEnvelope {
    #[serde(default)]
    contacts: Vec<Contact>,
    #[serde(default)]
    total: Option<u64>,
}

#[derive(Serialize)]
struct TagsBody<'a> {
    tags: &'a [String],
}

#[derive(Deserialize)]
struct TagsEnvelope {
    #[serde(default)]
    tags: Vec<String>,
}

#[derive(Deserialize)]
struct NoteEnvelope {
    note: Note,
}

#[derive(Deserialize)]
struct NotesEnvelope {
    #[serde(default)]
    notes: Vec<Note>,
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

    fn with_location(&self, request: &UpsertContact) -> UpsertContact {
        let mut request = request.clone();
        if request.location_id.is_none() {
            request.location_id = Some(self.client.location_id().clone());
        }
        request
    }

    /// `POST /contacts/`: creates a contact.
    ///
    /// **Not idempotent**: retried only on 429 and connect errors. After a 5xx or timeout the
    /// error's [`may_have_been_applied`](Error::may_have_been_applied) is `true`; search or
    /// upsert before creating again. A duplicate email/phone gives
    /// [`Error::DuplicateContact`] with the existing contact's id. Prefer
    /// [`upsert`](Self::upsert).
    pub async fn create(&self, request: &CreateContact) -> Result<Contact, Error> {
        let call = Call::new(
            Method::POST,
            "/contacts/",
            &["contacts", ""],
            VERSION,
            Scope::ContactsWrite,
        )
        .json(&self.with_location(request))?;
        let envelope: ContactEnvelope = self.client.send(call).await?;
        Ok(envelope.contact)
    }

    /// `POST /contacts/upsert`: updates the contact the location's duplicate rule matches (email,
    /// then phone) or creates one; [`UpsertOutcome::created`] tells which. Idempotent, so it is
    /// retried on 5xx and timeouts too.
    ///
    /// Sending `tags` replaces an existing contact's tags: leave it `None` and use
    /// [`add_tags`](Self::add_tags) for an existing contact.
    pub async fn upsert(&self, request: &UpsertContact) -> Result<UpsertOutcome, Error> {
        let call = Call::new(
            Method::POST,
            "/contacts/upsert",
            &["contacts", "upsert"],
            VERSION,
            Scope::ContactsWrite,
        )
        .idempotent()
        .json(&self.with_location(request))?;
        let envelope: UpsertEnvelope = self.client.send(call).await?;
        Ok(UpsertOutcome {
            created: envelope.new,
            contact: envelope.contact,
        })
    }

    /// `GET /contacts/{id}`.
    pub async fn get(&self, id: &ContactId) -> Result<Contact, Error> {
        let call = Call::new(
            Method::GET,
            "/contacts/{id}",
            &["contacts", id.as_str()],
            VERSION,
            Scope::ContactsReadonly,
        );
        let envelope: ContactEnvelope = self.client.send(call).await?;
        Ok(envelope.contact)
    }

    /// `PUT /contacts/{id}`: partial update. Fields left `None` are not sent; in particular
    /// `tags` is never sent unless set, because it **replaces the whole tag set**. Use
    /// [`add_tags`](Self::add_tags) / [`remove_tags`](Self::remove_tags) instead.
    pub async fn update(&self, id: &ContactId, request: &UpdateContact) -> Result<Contact, Error> {
        let call = Call::new(
            Method::PUT,
            "/contacts/{id}",
            &["contacts", id.as_str()],
            VERSION,
            Scope::ContactsWrite,
        )
        .json(request)?;
        let envelope: ContactEnvelope = self.client.send(call).await?;
        Ok(envelope.contact)
    }

    /// `PUT /contacts/{id}` with only `customFields`: writes these custom field values and
    /// nothing else.
    pub async fn set_custom_fields(
        &self,
        id: &ContactId,
        values: &[CustomFieldInput],
    ) -> Result<Contact, Error> {
        let call = Call::new(
            Method::PUT,
            "/contacts/{id}",
            &["contacts", id.as_str()],
            VERSION,
            Scope::ContactsWrite,
        )
        .json(&CustomFieldsOnly {
            custom_fields: values,
        })?;
        let envelope: ContactEnvelope = self.client.send(call).await?;
        Ok(envelope.contact)
    }

    /// `DELETE /contacts/{id}`.
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
    /// email and/or phone, or `None`.
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
        let envelope: MaybeContactEnvelope = self.client.send(call).await?;
        Ok(envelope.contact)
    }

    /// `POST /contacts/{id}/tags`: adds tags, leaving the others alone. Returns the tags the
    /// server reports.
    pub async fn add_tags(&self, id: &ContactId, tags: &[String]) -> Result<Vec<String>, Error> {
        self.tags_call(Method::POST, id, tags).await
    }

    /// `DELETE /contacts/{id}/tags`: removes these tags only.
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
        let envelope: TagsEnvelope = self.client.send(call).await?;
        Ok(envelope.tags)
    }

    /// `POST /contacts/{id}/notes`. **Not idempotent** (see [`create`](Self::create)).
    pub async fn create_note(&self, id: &ContactId, note: &CreateNote) -> Result<Note, Error> {
        let call = Call::new(
            Method::POST,
            "/contacts/{id}/notes",
            &["contacts", id.as_str(), "notes"],
            VERSION,
            Scope::ContactsWrite,
        )
        .json(note)?;
        let envelope: NoteEnvelope = self.client.send(call).await?;
        Ok(envelope.note)
    }

    /// `PUT /contacts/{id}/notes/{noteId}`: replaces the note's body (and author, if given).
    /// Idempotent, so retried like any other update.
    pub async fn update_note(
        &self,
        id: &ContactId,
        note: &NoteId,
        update: &CreateNote,
    ) -> Result<Note, Error> {
        let call = Call::new(
            Method::PUT,
            "/contacts/{id}/notes/{noteId}",
            &["contacts", id.as_str(), "notes", note.as_str()],
            VERSION,
            Scope::ContactsWrite,
        )
        .idempotent()
        .json(update)?;
        let envelope: NoteEnvelope = self.client.send(call).await?;
        Ok(envelope.note)
    }

    /// `GET /contacts/{id}/notes`.
    pub async fn list_notes(&self, id: &ContactId) -> Result<Vec<Note>, Error> {
        let call = Call::new(
            Method::GET,
            "/contacts/{id}/notes",
            &["contacts", id.as_str(), "notes"],
            VERSION,
            Scope::ContactsReadonly,
        );
        let envelope: NotesEnvelope = self.client.send(call).await?;
        Ok(envelope.notes)
    }

    /// `POST /contacts/search`: one page. The next cursor is the last contact's `searchAfter`.
    pub async fn search_page(&self, query: &SearchContacts) -> Result<ContactPage, Error> {
        let mut query = query.clone();
        if query.location_id.is_none() {
            query.location_id = Some(self.client.location_id().clone());
        }
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
        let envelope: SearchEnvelope = self.client.send(call).await?;
        let next = envelope
            .contacts
            .last()
            .and_then(|c| c.search_after.clone())
            .map(SearchCursor);
        Ok(Page::new(envelope.contacts, next, envelope.total))
    }

    /// Every page of a search, as a stream. Stops on an empty page, a page without a cursor
    /// and a repeated cursor.
    pub fn search_pages(
        &self,
        query: SearchContacts,
    ) -> impl Stream<Item = Result<ContactPage, Error>> + Send + 'c {
        let handler = *self;
        futures::stream::try_unfold(
            (Some(query), CursorGuard::new()),
            move |(query, mut guard)| async move {
                let Some(query) = query else {
                    return Ok(None);
                };
                let page = handler.search_page(&query).await?;
                let next = guard
                    .next(page.items.len(), page.next.as_ref())
                    .map(|cursor| SearchContacts {
                        search_after: Some(cursor),
                        ..query
                    });
                if page.items.is_empty() {
                    return Ok(None);
                }
                Ok(Some((page, (next, guard))))
            },
        )
    }

    /// Every contact of a search, as a stream (see [`search_pages`](Self::search_pages)).
    ///
    /// ```no_run
    /// # async fn demo(client: ghl_client::GhlClient) -> Result<(), ghl_client::Error> {
    /// use futures::TryStreamExt;
    /// use ghl_client::contacts::SearchContacts;
    ///
    /// let contacts: Vec<_> = client
    ///     .contacts()
    ///     .search(SearchContacts::default())
    ///     .try_collect()
    ///     .await?;
    /// println!("{} contacts", contacts.len());
    /// # Ok(())
    /// # }
    /// ```
    pub fn search(
        &self,
        query: SearchContacts,
    ) -> impl Stream<Item = Result<Contact, Error>> + Send + 'c {
        use futures::TryStreamExt;
        self.search_pages(query)
            .map_ok(|page| futures::stream::iter(page.items.into_iter().map(Ok)))
            .try_flatten()
    }
}
