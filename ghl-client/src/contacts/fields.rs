//! The one set of contact fields shared by create, upsert and update, and the three bodies
//! built from it.
//!
//! [`ContactFields`] holds every contact property GHL's contact DTOs declare. The bodies are
//! derived from it by one rule: each body writes exactly the properties its DTO in GHL's
//! OpenAPI (`apps/contacts.json`) declares ([`CREATE_CONTACT_DTO`], [`UPSERT_CONTACT_DTO`],
//! [`UPDATE_CONTACT_DTO`]). A property `UpdateContactDto` does not declare (`gender`,
//! `companyName`) is therefore never sent on `PUT /contacts/{id}`, whatever the caller set, and
//! a field added to [`ContactFields`] reaches update exactly when the spec declares it there
//! (the unit tests below hold the lists and the bodies to each other).

use serde::{Serialize, Serializer};
use serde_json::{Map, Value};

use super::{CustomFieldInput, DndSettings, InboundDndSettings};
use crate::ids::{LocationId, UserId};

/// Properties of `CreateContactDto` (`POST /contacts/`), from GHL's OpenAPI `apps/contacts.json`
/// (commit 0af86a4). Checked in once; the generated facts file will replace it.
pub(crate) const CREATE_CONTACT_DTO: &[&str] = &[
    "firstName",
    "lastName",
    "name",
    "email",
    "locationId",
    "gender",
    "phone",
    "address1",
    "city",
    "state",
    "postalCode",
    "website",
    "timezone",
    "dnd",
    "dndSettings",
    "inboundDndSettings",
    "tags",
    "customFields",
    "source",
    "dateOfBirth",
    "country",
    "companyName",
    "assignedTo",
];

/// Properties of `UpsertContactDto` (`POST /contacts/upsert`), same source.
pub(crate) const UPSERT_CONTACT_DTO: &[&str] = &[
    "firstName",
    "lastName",
    "name",
    "email",
    "locationId",
    "gender",
    "phone",
    "address1",
    "city",
    "state",
    "postalCode",
    "website",
    "timezone",
    "dnd",
    "dndSettings",
    "inboundDndSettings",
    "tags",
    "customFields",
    "source",
    "dateOfBirth",
    "country",
    "companyName",
    "assignedTo",
    "createNewIfDuplicateAllowed",
];

/// Properties of `UpdateContactDto` (`PUT /contacts/{contactId}`), same source. No `locationId`,
/// `gender` or `companyName`.
pub(crate) const UPDATE_CONTACT_DTO: &[&str] = &[
    "firstName",
    "lastName",
    "name",
    "email",
    "phone",
    "address1",
    "city",
    "state",
    "postalCode",
    "website",
    "timezone",
    "dnd",
    "dndSettings",
    "inboundDndSettings",
    "tags",
    "customFields",
    "source",
    "dateOfBirth",
    "country",
    "assignedTo",
];

/// The contact properties, in one list: `setter / set_setter / getter: Type = "wireName", "doc"`.
/// Every type that carries contact fields is generated from it.
macro_rules! contact_fields {
    ($callback:ident [$($args:tt)*]) => {
        $callback! {
            [$($args)*]
            first_name / set_first_name / get_first_name: String = "firstName", "First name.";
            last_name / set_last_name / get_last_name: String = "lastName", "Last name.";
            name / set_name / get_name: String = "name", "Full name.";
            email / set_email / get_email: String = "email", "Email address.";
            phone / set_phone / get_phone: String =
                "phone", "Phone number, E.164 (such as `+353871234567`).";
            address1 / set_address1 / get_address1: String = "address1", "Street address.";
            city / set_city / get_city: String = "city", "City.";
            state / set_state / get_state: String = "state", "State, county or region.";
            postal_code / set_postal_code / get_postal_code: String =
                "postalCode", "Postal code.";
            country / set_country / get_country: String =
                "country", "Country, ISO 3166 alpha-2 (such as `IE`).";
            website / set_website / get_website: String = "website", "Website URL.";
            timezone / set_timezone / get_timezone: String =
                "timezone", "IANA time zone (such as `Europe/Dublin`).";
            date_of_birth / set_date_of_birth / get_date_of_birth: chrono::NaiveDate =
                "dateOfBirth",
                "Date of birth, sent as `YYYY-MM-DD` (a format GHL documents; its OpenAPI types \
                 the property `object`, a spec defect).";
            gender / set_gender / get_gender: String =
                "gender", "Gender (such as `male`). Create and upsert only: never sent on update.";
            source / set_source / get_source: String = "source", "Where the contact comes from.";
            company_name / set_company_name / get_company_name: String =
                "companyName", "Company name. Create and upsert only: never sent on update.";
            assigned_to / set_assigned_to / get_assigned_to: UserId =
                "assignedTo", "The user the contact is assigned to.";
            dnd / set_dnd / get_dnd: bool = "dnd", "Do-not-disturb on every channel.";
            dnd_settings / set_dnd_settings / get_dnd_settings: DndSettings =
                "dndSettings", "Do-not-disturb per channel.";
            inbound_dnd_settings / set_inbound_dnd_settings / get_inbound_dnd_settings:
                InboundDndSettings = "inboundDndSettings", "Inbound do-not-disturb.";
        }
    };
}

macro_rules! define_contact_fields {
    ([] $( $field:ident / $set:ident / $get:ident : $ty:ty = $wire:literal, $doc:literal; )*) => {
        /// The contact properties shared by [`CreateContact`], [`UpsertContact`] and
        /// [`UpdateContact`]: build them once, then turn them into the body you need
        /// (`CreateContact::from(fields)`, …). Every field is optional and unset fields are not
        /// sent.
        ///
        /// ```
        /// use ghl_client::contacts::{ContactFields, UpdateContact, UpsertContact};
        ///
        /// let fields = ContactFields::new()
        ///     .first_name("Ann")
        ///     .email("ann@example.com")
        ///     .gender("female");
        /// let upsert = UpsertContact::from(fields.clone());
        /// let update = UpdateContact::from(fields);
        /// let put = serde_json::to_value(&update).unwrap();
        /// assert!(put.get("gender").is_none(), "PUT /contacts/{{id}} does not declare gender");
        /// assert_eq!(serde_json::to_value(&upsert).unwrap()["gender"], "female");
        /// ```
        #[derive(Clone, Debug, Default, PartialEq, Serialize)]
        pub struct ContactFields {
            $(
                #[serde(rename = $wire, skip_serializing_if = "Option::is_none")]
                $field: Option<$ty>,
            )*
            #[serde(rename = "customFields", skip_serializing_if = "Vec::is_empty")]
            custom_fields: Vec<CustomFieldInput>,
        }

        impl ContactFields {
            /// No field set.
            pub fn new() -> Self {
                Self::default()
            }

            $(
                #[doc = $doc]
                pub fn $field(mut self, value: impl Into<$ty>) -> Self {
                    self.$field = Some(value.into());
                    self
                }

                #[doc = concat!("Sets or clears `", $wire, "` (`None`: not sent).")]
                pub fn $set(mut self, value: Option<$ty>) -> Self {
                    self.$field = value;
                    self
                }

                #[doc = concat!("The `", $wire, "` set, if any.")]
                pub fn $get(&self) -> Option<&$ty> {
                    self.$field.as_ref()
                }
            )*

            /// Adds a custom field value (see [`CustomFieldInput`]).
            pub fn custom_field(mut self, value: CustomFieldInput) -> Self {
                self.custom_fields.push(value);
                self
            }

            /// Replaces the custom field values.
            pub fn custom_fields(mut self, values: impl IntoIterator<Item = CustomFieldInput>) -> Self {
                self.custom_fields = values.into_iter().collect();
                self
            }

            /// The custom field values set.
            pub fn get_custom_fields(&self) -> &[CustomFieldInput] {
                &self.custom_fields
            }

            pub(crate) fn custom_fields_mut(&mut self) -> &mut Vec<CustomFieldInput> {
                &mut self.custom_fields
            }

            /// Every field set to a default value (for the DTO tests).
            #[cfg(test)]
            pub(crate) fn every_field_set() -> Self {
                Self {
                    $( $field: Some(Default::default()), )*
                    custom_fields: vec![CustomFieldInput::by_id("cf", "v")],
                }
            }
        }
    };
}

contact_fields!(define_contact_fields[]);

/// Setters and getters of [`ContactFields`] on a body that holds them in `self.fields`.
macro_rules! forward_contact_fields {
    ([$body:ident] $( $field:ident / $set:ident / $get:ident : $ty:ty = $wire:literal, $doc:literal; )*) => {
        impl $body {
            $(
                #[doc = $doc]
                pub fn $field(mut self, value: impl Into<$ty>) -> Self {
                    self.fields = self.fields.$field(value);
                    self
                }

                #[doc = concat!("Sets or clears `", $wire, "` (`None`: not sent).")]
                pub fn $set(mut self, value: Option<$ty>) -> Self {
                    self.fields = self.fields.$set(value);
                    self
                }

                #[doc = concat!("The `", $wire, "` set, if any.")]
                pub fn $get(&self) -> Option<&$ty> {
                    self.fields.$get()
                }
            )*

            /// Adds a custom field value (see [`CustomFieldInput`]).
            pub fn custom_field(mut self, value: CustomFieldInput) -> Self {
                self.fields = self.fields.custom_field(value);
                self
            }

            /// Replaces the custom field values.
            pub fn custom_fields(mut self, values: impl IntoIterator<Item = CustomFieldInput>) -> Self {
                self.fields = self.fields.custom_fields(values);
                self
            }

            /// The custom field values set.
            pub fn get_custom_fields(&self) -> &[CustomFieldInput] {
                self.fields.get_custom_fields()
            }

            /// Replaces every contact field at once.
            pub fn with_fields(mut self, fields: ContactFields) -> Self {
                self.fields = fields;
                self
            }

            /// The contact fields.
            pub fn fields(&self) -> &ContactFields {
                &self.fields
            }

            pub(crate) fn fields_mut(&mut self) -> &mut ContactFields {
                &mut self.fields
            }
        }

        impl From<ContactFields> for $body {
            fn from(fields: ContactFields) -> Self {
                Self::new().with_fields(fields)
            }
        }
    };
}

/// Serialises `fields` plus `extra` properties, keeping only the properties `dto` declares.
fn dto_body<S: Serializer>(
    serializer: S,
    fields: &ContactFields,
    extra: Vec<(&'static str, Option<Value>)>,
    dto: &[&str],
) -> Result<S::Ok, S::Error> {
    use serde::ser::Error as _;
    let mut map = match serde_json::to_value(fields).map_err(S::Error::custom)? {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    for (key, value) in extra {
        if let Some(value) = value {
            map.insert(key.to_owned(), value);
        }
    }
    map.retain(|key, _| {
        let declared = dto.contains(&key.as_str());
        if !declared {
            tracing::debug!(property = %key, "left out: the operation does not declare it");
        }
        declared
    });
    map.serialize(serializer)
}

fn json<T: Serialize>(value: &Option<T>) -> Option<Value> {
    value.as_ref().and_then(|v| serde_json::to_value(v).ok())
}

/// The body of `POST /contacts/` ([create](super::ContactsHandler::create)): [`ContactFields`]
/// plus `locationId` and `tags`. Required: `locationId` (the client's when unset).
///
/// ```
/// use ghl_client::contacts::CreateContact;
///
/// let request = CreateContact::new().email("ann@example.com").tags(["vip"]);
/// assert_eq!(request.get_email().map(String::as_str), Some("ann@example.com"));
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CreateContact {
    location_id: Option<LocationId>,
    fields: ContactFields,
    tags: Option<Vec<String>>,
}

impl CreateContact {
    /// An empty body (set at least an email, a phone or a name).
    pub fn new() -> Self {
        Self::default()
    }

    /// The location (default: the client's).
    pub fn location_id(mut self, id: impl Into<LocationId>) -> Self {
        self.location_id = Some(id.into());
        self
    }

    /// The contact's tags.
    pub fn tags<T: Into<String>>(mut self, tags: impl IntoIterator<Item = T>) -> Self {
        self.tags = Some(tags.into_iter().map(Into::into).collect());
        self
    }

    /// Sets or clears the tags (`None`: not sent).
    pub fn set_tags(mut self, tags: Option<Vec<String>>) -> Self {
        self.tags = tags;
        self
    }

    /// The tags set, if any.
    pub fn get_tags(&self) -> Option<&[String]> {
        self.tags.as_deref()
    }

    pub(crate) fn located(&self, location: &LocationId) -> Self {
        let mut body = self.clone();
        body.location_id.get_or_insert_with(|| location.clone());
        body
    }
}

contact_fields!(forward_contact_fields[CreateContact]);

impl Serialize for CreateContact {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        dto_body(
            serializer,
            &self.fields,
            vec![
                ("locationId", json(&self.location_id)),
                ("tags", json(&self.tags)),
            ],
            CREATE_CONTACT_DTO,
        )
    }
}

/// The body of `POST /contacts/upsert` ([upsert](super::ContactsHandler::upsert)):
/// [`ContactFields`] plus `locationId`, `tags` and `createNewIfDuplicateAllowed`. Required:
/// `locationId` (the client's when unset).
///
/// **`tags` replaces an existing contact's whole tag set**; leave it unset and use
/// [`add_tags`](super::ContactsHandler::add_tags) /
/// [`remove_tags`](super::ContactsHandler::remove_tags) instead.
///
/// ```
/// use ghl_client::contacts::UpsertContact;
///
/// let request = UpsertContact::new()
///     .email("ann@example.com")
///     .first_name("Ann")
///     .set_phone(None);
/// let body = serde_json::to_value(&request).unwrap();
/// assert_eq!(body, serde_json::json!({"email": "ann@example.com", "firstName": "Ann"}));
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct UpsertContact {
    location_id: Option<LocationId>,
    fields: ContactFields,
    tags: Option<Vec<String>>,
    create_new_if_duplicate_allowed: Option<bool>,
}

impl UpsertContact {
    /// An empty body (set at least an email or a phone, which the upsert matches on).
    pub fn new() -> Self {
        Self::default()
    }

    /// The location (default: the client's).
    pub fn location_id(mut self, id: impl Into<LocationId>) -> Self {
        self.location_id = Some(id.into());
        self
    }

    /// **Replaces an existing contact's whole tag set.**
    pub fn tags<T: Into<String>>(mut self, tags: impl IntoIterator<Item = T>) -> Self {
        self.tags = Some(tags.into_iter().map(Into::into).collect());
        self
    }

    /// Sets or clears the tags (`None`: not sent).
    pub fn set_tags(mut self, tags: Option<Vec<String>>) -> Self {
        self.tags = tags;
        self
    }

    /// The tags set, if any.
    pub fn get_tags(&self) -> Option<&[String]> {
        self.tags.as_deref()
    }

    /// `createNewIfDuplicateAllowed`: with `true`, a location that allows duplicate contacts
    /// always creates a new contact instead of updating the match.
    pub fn create_new_if_duplicate_allowed(mut self, create: bool) -> Self {
        self.create_new_if_duplicate_allowed = Some(create);
        self
    }

    pub(crate) fn located(&self, location: &LocationId) -> Self {
        let mut body = self.clone();
        body.location_id.get_or_insert_with(|| location.clone());
        body
    }
}

contact_fields!(forward_contact_fields[UpsertContact]);

impl Serialize for UpsertContact {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        dto_body(
            serializer,
            &self.fields,
            vec![
                ("locationId", json(&self.location_id)),
                ("tags", json(&self.tags)),
                (
                    "createNewIfDuplicateAllowed",
                    json(&self.create_new_if_duplicate_allowed),
                ),
            ],
            UPSERT_CONTACT_DTO,
        )
    }
}

impl From<&UpsertContact> for CreateContact {
    /// The same fields, location and tags as a create body.
    fn from(upsert: &UpsertContact) -> Self {
        Self {
            location_id: upsert.location_id.clone(),
            fields: upsert.fields.clone(),
            tags: upsert.tags.clone(),
        }
    }
}

/// The body of `PUT /contacts/{contactId}` ([update](super::ContactsHandler::update)): a
/// partial update; unset fields are not sent (and so not changed).
///
/// It carries [`ContactFields`] but writes only what `UpdateContactDto` declares: `gender` and
/// `companyName` are left out even when set (build one set of fields and use it for upsert and
/// update alike). **`tags` replaces the whole tag set**; it is unset by default, use
/// [`add_tags`](super::ContactsHandler::add_tags) /
/// [`remove_tags`](super::ContactsHandler::remove_tags) to manage tags safely.
///
/// ```
/// use ghl_client::contacts::{ContactFields, UpdateContact, UpsertContact};
///
/// let upsert = UpsertContact::new().email("ann@example.com").company_name("Salon");
/// let update = UpdateContact::from(&upsert);
/// assert_eq!(
///     serde_json::to_value(&update).unwrap(),
///     serde_json::json!({"email": "ann@example.com"}),
/// );
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct UpdateContact {
    fields: ContactFields,
    tags: Option<Vec<String>>,
    cleared: Vec<&'static str>,
}

/// Properties of `UpdateContactDto` that GHL's OpenAPI marks `nullable`: the ones an update may
/// clear by sending `null` ([`UpdateContact::clear_email`], …).
const UPDATE_NULLABLE: &[&str] = &[
    "firstName",
    "lastName",
    "name",
    "email",
    "phone",
    "address1",
    "city",
    "state",
    "website",
    "timezone",
];

impl UpdateContact {
    /// An empty update (sends `{}`).
    pub fn new() -> Self {
        Self::default()
    }

    /// **Replaces the whole tag set.** Leave unset unless that is what you want.
    pub fn tags<T: Into<String>>(mut self, tags: impl IntoIterator<Item = T>) -> Self {
        self.tags = Some(tags.into_iter().map(Into::into).collect());
        self
    }

    /// Sets or clears the tags (`None`: not sent).
    pub fn set_tags(mut self, tags: Option<Vec<String>>) -> Self {
        self.tags = tags;
        self
    }

    /// The tags set, if any.
    pub fn get_tags(&self) -> Option<&[String]> {
        self.tags.as_deref()
    }

    /// Clears the email: sends `"email": null` (unset fields are simply not sent, which leaves
    /// them as they are). A value set with [`email`](Self::email) wins.
    pub fn clear_email(self) -> Self {
        self.clear("email")
    }

    /// Clears the phone: sends `"phone": null`. A value set with [`phone`](Self::phone) wins.
    pub fn clear_phone(self) -> Self {
        self.clear("phone")
    }

    fn clear(mut self, property: &'static str) -> Self {
        debug_assert!(UPDATE_NULLABLE.contains(&property));
        if !self.cleared.contains(&property) {
            self.cleared.push(property);
        }
        self
    }

    /// The properties this update clears.
    pub fn get_cleared(&self) -> &[&'static str] {
        &self.cleared
    }
}

contact_fields!(forward_contact_fields[UpdateContact]);

impl From<&UpsertContact> for UpdateContact {
    /// The upsert's contact fields as an update (no location, no tags: a `PUT` must not replace
    /// the tag set by accident). Fields `PUT` does not declare are left out when sent.
    fn from(upsert: &UpsertContact) -> Self {
        Self::from(upsert.fields.clone())
    }
}

impl From<&CreateContact> for UpdateContact {
    /// The create's contact fields as an update (no location, no tags).
    fn from(create: &CreateContact) -> Self {
        Self::from(create.fields.clone())
    }
}

impl Serialize for UpdateContact {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut extra = vec![("tags", json(&self.tags))];
        let set = serde_json::to_value(&self.fields).unwrap_or(Value::Null);
        for property in &self.cleared {
            if set.get(property).is_none() {
                extra.push((property, Some(Value::Null)));
            }
        }
        dto_body(serializer, &self.fields, extra, UPDATE_CONTACT_DTO)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    fn keys<T: Serialize>(body: &T) -> BTreeSet<String> {
        match serde_json::to_value(body).unwrap() {
            Value::Object(map) => map.keys().cloned().collect(),
            other => panic!("not an object: {other}"),
        }
    }

    fn set(list: &[&str]) -> BTreeSet<String> {
        list.iter().map(|k| (*k).to_owned()).collect()
    }

    #[test]
    fn an_update_clears_a_property_with_null_unless_it_is_set() {
        let body = UpdateContact::new()
            .first_name("Ann")
            .clear_email()
            .clear_phone()
            .phone("+15551234567");
        assert_eq!(
            serde_json::to_value(&body).unwrap(),
            serde_json::json!({"firstName": "Ann", "email": null, "phone": "+15551234567"})
        );
        assert_eq!(body.get_cleared(), ["email", "phone"]);
    }

    #[test]
    fn every_contact_field_is_declared_by_create_and_upsert() {
        let fields = keys(&ContactFields::every_field_set());
        let create = set(CREATE_CONTACT_DTO);
        let upsert = set(UPSERT_CONTACT_DTO);
        let undeclared: Vec<_> = fields.difference(&create).collect();
        assert!(
            undeclared.is_empty(),
            "not in CreateContactDto: {undeclared:?}"
        );
        let undeclared: Vec<_> = fields.difference(&upsert).collect();
        assert!(
            undeclared.is_empty(),
            "not in UpsertContactDto: {undeclared:?}"
        );
    }

    #[test]
    fn each_body_emits_exactly_the_properties_of_its_dto() {
        let fields = ContactFields::every_field_set();
        let create = CreateContact::from(fields.clone())
            .location_id("loc")
            .tags(["t"]);
        assert_eq!(keys(&create), set(CREATE_CONTACT_DTO));
        let upsert = UpsertContact::from(fields.clone())
            .location_id("loc")
            .tags(["t"])
            .create_new_if_duplicate_allowed(false);
        assert_eq!(keys(&upsert), set(UPSERT_CONTACT_DTO));
        let update = UpdateContact::from(fields).tags(["t"]);
        assert_eq!(keys(&update), set(UPDATE_CONTACT_DTO));
    }

    #[test]
    fn update_reaches_exactly_the_fields_the_spec_declares_for_it() {
        let fields = keys(&ContactFields::every_field_set());
        let update = keys(&UpdateContact::from(ContactFields::every_field_set()));
        let expected: BTreeSet<String> = fields
            .intersection(&set(UPDATE_CONTACT_DTO))
            .cloned()
            .collect();
        assert_eq!(update, expected);
        for left_out in ["gender", "companyName", "locationId", "tags"] {
            assert!(!update.contains(left_out), "{left_out}");
        }
    }

    /// Re-derives the three lists from GHL's OpenAPI when a copy is at hand
    /// (`GHL_OPENAPI_DIR=…/ghl-openapi cargo test -p ghl-client -- --ignored dto_lists`).
    #[test]
    #[ignore = "needs GHL's OpenAPI files (GHL_OPENAPI_DIR)"]
    fn dto_lists_match_the_openapi_file() {
        let dir = std::env::var("GHL_OPENAPI_DIR").expect("GHL_OPENAPI_DIR");
        let text = std::fs::read_to_string(format!("{dir}/apps/contacts.json")).unwrap();
        let spec: Value = serde_json::from_str(&text).unwrap();
        for (dto, list) in [
            ("CreateContactDto", CREATE_CONTACT_DTO),
            ("UpsertContactDto", UPSERT_CONTACT_DTO),
            ("UpdateContactDto", UPDATE_CONTACT_DTO),
        ] {
            let declared: BTreeSet<String> = spec["components"]["schemas"][dto]["properties"]
                .as_object()
                .unwrap()
                .keys()
                .cloned()
                .collect();
            assert_eq!(declared, set(list), "{dto}");
        }
    }

    #[test]
    fn unset_fields_are_not_sent() {
        assert_eq!(
            serde_json::to_value(UpsertContact::new()).unwrap(),
            serde_json::json!({})
        );
        assert_eq!(
            serde_json::to_value(UpdateContact::new()).unwrap(),
            serde_json::json!({})
        );
    }
}
