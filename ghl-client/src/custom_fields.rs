//! Custom fields of a location. `Version: 2021-07-28`.

use reqwest::Method;
use serde::{Deserialize, Serialize};

use crate::client::{Call, GhlClient};
use crate::error::Error;
use crate::ids::CustomFieldId;
use crate::open_enum::open_enum;
use crate::scope::Scope;

/// The `Version` header of the custom fields API.
pub const VERSION: &str = "2021-07-28";

open_enum!(
    /// A custom field's data type.
    CustomFieldDataType {
        /// `TEXT`
        Text => "TEXT",
        /// `LARGE_TEXT`
        LargeText => "LARGE_TEXT",
        /// `NUMERICAL`
        Numerical => "NUMERICAL",
        /// `PHONE`
        Phone => "PHONE",
        /// `MONETORY` (GHL's spelling)
        Monetary => "MONETORY",
        /// `CHECKBOX`
        Checkbox => "CHECKBOX",
        /// `SINGLE_OPTIONS`
        SingleOptions => "SINGLE_OPTIONS",
        /// `MULTIPLE_OPTIONS`
        MultipleOptions => "MULTIPLE_OPTIONS",
        /// `FLOAT`
        Float => "FLOAT",
        /// `TIME`
        Time => "TIME",
        /// `DATE`
        Date => "DATE",
        /// `TEXTBOX_LIST`
        TextboxList => "TEXTBOX_LIST",
        /// `FILE_UPLOAD`
        FileUpload => "FILE_UPLOAD",
        /// `SIGNATURE`
        Signature => "SIGNATURE",
        /// `RADIO`
        Radio => "RADIO",
    }
);

/// Short name of [`CustomFieldDataType`].
pub type DataType = CustomFieldDataType;

/// A custom field definition.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct CustomField {
    /// The field id.
    pub id: CustomFieldId,
    /// Its name.
    #[serde(default)]
    pub name: Option<String>,
    /// Its key, such as `contact.loyalty_points`.
    #[serde(default)]
    pub field_key: Option<String>,
    /// Its data type.
    #[serde(default)]
    pub data_type: Option<CustomFieldDataType>,
    /// The model it belongs to (`contact`, `opportunity`).
    #[serde(default)]
    pub model: Option<String>,
    /// Placeholder text.
    #[serde(default)]
    pub placeholder: Option<String>,
}

/// The body of `POST /locations/{id}/customFields`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateCustomField {
    /// The name.
    pub name: String,
    /// The data type.
    pub data_type: CustomFieldDataType,
    /// The model (default `contact`).
    pub model: String,
    /// Placeholder text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub placeholder: Option<String>,
}

impl CreateCustomField {
    /// A contact field (the same as [`contact`](Self::contact)).
    pub fn new(name: impl Into<String>, data_type: CustomFieldDataType) -> Self {
        Self::contact(name, data_type)
    }

    /// A contact field.
    pub fn contact(name: impl Into<String>, data_type: CustomFieldDataType) -> Self {
        Self {
            name: name.into(),
            data_type,
            model: "contact".to_owned(),
            placeholder: None,
        }
    }
}

#[derive(Deserialize)]
struct FieldsEnvelope {
    #[serde(default, rename = "customFields")]
    custom_fields: Vec<CustomField>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum FieldAnswer {
    Wrapped {
        #[serde(rename = "customField")]
        custom_field: CustomField,
    },
    Bare(CustomField),
}

/// `client.custom_fields()`.
#[derive(Debug, Clone, Copy)]
pub struct CustomFieldsHandler<'c> {
    client: &'c GhlClient,
}

impl<'c> CustomFieldsHandler<'c> {
    pub(crate) fn new(client: &'c GhlClient) -> Self {
        Self { client }
    }

    /// `GET /locations/{locationId}/customFields?model=`: the location's fields of `model`
    /// (such as `contact`; all models when `None`).
    pub async fn list(&self, model: Option<&str>) -> Result<Vec<CustomField>, Error> {
        let location = self.client.location_id();
        let call = Call::new(
            Method::GET,
            "/locations/{id}/customFields",
            &["locations", location.as_str(), "customFields"],
            VERSION,
            Scope::CustomFieldsReadonly,
        )
        .query_opt("model", model);
        let envelope: FieldsEnvelope = self.client.send(call).await?;
        Ok(envelope.custom_fields)
    }

    /// `POST /locations/{locationId}/customFields`. **Not idempotent**: retried only on 429 and
    /// connect errors; list the fields before creating again after an ambiguous failure.
    pub async fn create(&self, request: &CreateCustomField) -> Result<CustomField, Error> {
        let location = self.client.location_id();
        let call = Call::new(
            Method::POST,
            "/locations/{id}/customFields",
            &["locations", location.as_str(), "customFields"],
            VERSION,
            Scope::CustomFieldsWrite,
        )
        .json(request)?;
        let answer: FieldAnswer = self.client.send(call).await?;
        Ok(match answer {
            FieldAnswer::Wrapped { custom_field } | FieldAnswer::Bare(custom_field) => custom_field,
        })
    }
}
