//! Custom object events: associations, relations, records and object schemas.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::ids::{AssociationId, LocationId, RecordId, UserId};
use crate::open_enum::open_enum;
use crate::webhooks::de;

open_enum!(
    /// Who defined an association.
    AssociationType {
        /// `USER_DEFINED`.
        UserDefined => "USER_DEFINED",
        /// `SYSTEM_DEFINED`.
        SystemDefined => "SYSTEM_DEFINED",
    }
);

open_enum!(
    /// How many records of one side an association links to the other side.
    Cardinality {
        /// `ONE_TO_ONE`.
        OneToOne => "ONE_TO_ONE",
        /// `ONE_TO_MANY`.
        OneToMany => "ONE_TO_MANY",
        /// `MANY_TO_ONE`.
        ManyToOne => "MANY_TO_ONE",
        /// `MANY_TO_MANY`.
        ManyToMany => "MANY_TO_MANY",
    }
);

/// Payload of the three association events: the definition of a link between two object
/// kinds ([AssociationCreate](https://marketplace.gohighlevel.com/docs/webhook/AssociationCreate)).
/// The pages' examples carry no `type`; the cardinalities are documented on update and delete
/// only.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct AssociationEvent {
    /// The association id.
    #[serde(default, deserialize_with = "de::opt_id")]
    pub id: Option<AssociationId>,
    /// Who defined it.
    #[serde(default)]
    pub association_type: Option<AssociationType>,
    /// First object kind (`custom_objects.real_estate_buyer`, `contact`).
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub first_object_key: Option<String>,
    /// Label of the first side.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub first_object_label: Option<String>,
    /// Cardinality from the first side.
    #[serde(default)]
    pub first_object_to_second_object_cardinality: Option<Cardinality>,
    /// Second object kind.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub second_object_key: Option<String>,
    /// Label of the second side.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub second_object_label: Option<String>,
    /// Cardinality from the second side.
    #[serde(default)]
    pub second_object_to_first_object_cardinality: Option<Cardinality>,
    /// The association's key (`buyer_property_interest`).
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub key: Option<String>,
    /// The location.
    #[serde(default, deserialize_with = "de::opt_id")]
    pub location_id: Option<LocationId>,
}

/// Payload of `AssociationCreate`.
pub type AssociationCreateEvent = AssociationEvent;
/// Payload of `AssociationUpdate`.
pub type AssociationUpdateEvent = AssociationEvent;
/// Payload of `AssociationDelete`.
pub type AssociationDeleteEvent = AssociationEvent;

/// Payload of `RelationCreate` and `RelationDelete`: two records linked (or unlinked) under an
/// association ([RelationCreate](https://marketplace.gohighlevel.com/docs/webhook/RelationCreate)).
/// Record ids are plain strings: a side may be a contact or a custom object record.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct RelationEvent {
    /// The relation id.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub id: Option<String>,
    /// First object kind.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub first_object_key: Option<String>,
    /// First record.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub first_record_id: Option<String>,
    /// Second object kind.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub second_object_key: Option<String>,
    /// Second record.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub second_record_id: Option<String>,
    /// The association the relation belongs to.
    #[serde(default, deserialize_with = "de::opt_id")]
    pub association_id: Option<AssociationId>,
    /// The location.
    #[serde(default, deserialize_with = "de::opt_id")]
    pub location_id: Option<LocationId>,
}

/// Payload of `RelationCreate`.
pub type RelationCreateEvent = RelationEvent;
/// Payload of `RelationDelete`.
pub type RelationDeleteEvent = RelationEvent;

/// Payload of the three record events: a custom object record or business
/// ([RecordCreate](https://marketplace.gohighlevel.com/docs/webhook/RecordCreate)). The
/// record's `timestamp` is the envelope's
/// ([`WebhookEnvelope::timestamp`](crate::webhooks::WebhookEnvelope::timestamp)).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct RecordEvent {
    /// The location.
    #[serde(default, deserialize_with = "de::opt_id")]
    pub location_id: Option<LocationId>,
    /// The record id.
    #[serde(default, deserialize_with = "de::opt_id")]
    pub id: Option<RecordId>,
    /// Owning users.
    #[serde(default, deserialize_with = "de::id_list")]
    pub owners: Vec<UserId>,
    /// Following users.
    #[serde(default, deserialize_with = "de::id_list")]
    pub followers: Vec<UserId>,
    /// Property values.
    #[serde(default, deserialize_with = "de::list")]
    pub properties: Vec<RecordProperty>,
}

/// Payload of `RecordCreate`.
pub type RecordCreateEvent = RecordEvent;
/// Payload of `RecordUpdate`.
pub type RecordUpdateEvent = RecordEvent;
/// Payload of `RecordDelete`: the record as it was.
pub type RecordDeleteEvent = RecordEvent;

/// One property value of a record.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct RecordProperty {
    /// Property key (`pet_name`).
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub key: Option<String>,
    /// The value as text.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub value_string: Option<String>,
}

/// Payload of `ObjectSchemaCreate` and `ObjectSchemaUpdate`: a custom object definition
/// ([ObjectSchemaCreate](https://marketplace.gohighlevel.com/docs/webhook/ObjectSchemaCreate)).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ObjectSchemaEvent {
    /// The schema id.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub id: Option<String>,
    /// Singular and plural names.
    #[serde(default)]
    pub labels: Option<ObjectLabels>,
    /// Description.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub description: Option<String>,
    /// Properties indexed for search.
    #[serde(default, deserialize_with = "de::string_list")]
    pub searchable_properties: Vec<String>,
    /// The property shown as the record's name.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub primary_display_property: Option<String>,
    /// The object's key (`custom_objects.pets`).
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub key: Option<String>,
    /// The location.
    #[serde(default, deserialize_with = "de::opt_id")]
    pub location_id: Option<LocationId>,
    /// Who created it, as sent.
    #[serde(default)]
    pub created_by: Option<Value>,
    /// Who last updated it, as sent.
    #[serde(default)]
    pub updated_by: Option<Value>,
    /// Created at.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub created_at: Option<String>,
    /// Updated at.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub updated_at: Option<String>,
    /// Kind (`USER_DEFINED`).
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub object_type: Option<String>,
}

/// Payload of `ObjectSchemaCreate`.
pub type ObjectSchemaCreateEvent = ObjectSchemaEvent;
/// Payload of `ObjectSchemaUpdate`.
pub type ObjectSchemaUpdateEvent = ObjectSchemaEvent;

/// Names of a custom object.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ObjectLabels {
    /// Singular (`pet`).
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub singular: Option<String>,
    /// Plural (`pets`).
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub plural: Option<String>,
}
