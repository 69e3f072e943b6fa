//! Custom fields of a location. `Version: 2021-07-28`.

use std::collections::HashMap;

use reqwest::Method;
use serde::{Deserialize, Serialize};

use crate::client::{Call, GhlClient};
use crate::error::Error;
use crate::ids::CustomFieldId;
use crate::open_enum::open_enum;
use crate::pagination::Listed;
use crate::scope::Scope;

/// The `Version` header of the custom fields API.
pub const VERSION: &str = "2021-07-28";

open_enum!(
    /// A custom field's data type: the values GHL's custom fields API (`custom-fields.json`)
    /// lists. Other values (older or newer kinds) decode as `Unknown`.
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
        /// `DATE`
        Date => "DATE",
        /// `TEXTBOX_LIST`
        TextboxList => "TEXTBOX_LIST",
        /// `FILE_UPLOAD`
        FileUpload => "FILE_UPLOAD",
        /// `RADIO`
        Radio => "RADIO",
        /// `EMAIL`
        Email => "EMAIL",
    }
);

open_enum!(
    /// The record type a custom field belongs to.
    CustomFieldModel {
        /// `contact`
        Contact => "contact",
        /// `opportunity`
        Opportunity => "opportunity",
    }
);

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
    /// The model it belongs to.
    #[serde(default)]
    pub model: Option<CustomFieldModel>,
    /// Placeholder text.
    #[serde(default)]
    pub placeholder: Option<String>,
    /// Position in the form.
    #[serde(default)]
    pub position: Option<f64>,
}

/// The body of `POST /locations/{locationId}/customFields`. Required: `name`, `dataType`.
///
/// ```
/// use ghl_client::custom_fields::{CreateCustomField, CustomFieldDataType};
///
/// let request = CreateCustomField::new("Loyalty points", CustomFieldDataType::Numerical)
///     .placeholder("0");
/// assert_eq!(
///     serde_json::to_value(&request).unwrap(),
///     serde_json::json!({
///         "name": "Loyalty points",
///         "dataType": "NUMERICAL",
///         "model": "contact",
///         "placeholder": "0",
///     }),
/// );
/// ```
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateCustomField {
    name: String,
    data_type: CustomFieldDataType,
    model: CustomFieldModel,
    #[serde(skip_serializing_if = "Option::is_none")]
    placeholder: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    position: Option<f64>,
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
            model: CustomFieldModel::Contact,
            placeholder: None,
            position: None,
        }
    }

    /// The model the field belongs to (default `contact`).
    pub fn model(mut self, model: CustomFieldModel) -> Self {
        self.model = model;
        self
    }

    /// Placeholder text.
    pub fn placeholder(mut self, text: impl Into<String>) -> Self {
        self.placeholder = Some(text.into());
        self
    }

    /// Position in the form.
    pub fn position(mut self, position: f64) -> Self {
        self.position = Some(position);
        self
    }

    /// The name.
    pub fn get_name(&self) -> &str {
        &self.name
    }

    /// The data type.
    pub fn get_data_type(&self) -> &CustomFieldDataType {
        &self.data_type
    }
}

/// A key as GHL writes it (`contact.` + the snake-case key), for cache lookups.
fn canonical_key(key: &str) -> String {
    let key = key.trim();
    if key.contains('.') {
        key.to_owned()
    } else {
        format!("contact.{key}")
    }
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
    /// (all models when `None`). Needs `locations/customFields.readonly`. A field that does not
    /// decode (no `id`) is reported in [`Listed::rejected`], the others are kept.
    pub async fn list(&self, model: Option<&str>) -> Result<Listed<CustomField>, Error> {
        let location = self.client.location_id();
        let call = Call::new(
            Method::GET,
            "/locations/{id}/customFields",
            &["locations", location.as_str(), "customFields"],
            VERSION,
            Scope::CustomFieldsReadonly,
        )
        .query_opt("model", model);
        let fields: Listed<CustomField> =
            self.client.send_json(call).await?.list("customFields")?;
        self.remember(&fields).await;
        Ok(fields)
    }

    async fn remember(&self, fields: &[CustomField]) {
        let mut cache = self.client.field_keys().lock().await;
        let map = cache.get_or_insert_with(HashMap::new);
        for field in fields {
            if let Some(key) = &field.field_key {
                map.insert(canonical_key(key), field.id.clone());
            }
        }
    }

    /// The id of the contact field with this key (`contact.loyalty_points` or
    /// `loyalty_points`), from the client's cache of the fields list; the list is loaded on the
    /// first lookup and reloaded once when a key is not in it. A key no field has is
    /// [`Error::InvalidRequest`]. Needs `locations/customFields.readonly`.
    pub async fn id_for_key(&self, key: &str) -> Result<CustomFieldId, Error> {
        let wanted = canonical_key(key);
        if let Some(id) = self
            .client
            .field_keys()
            .lock()
            .await
            .as_ref()
            .and_then(|m| m.get(&wanted))
        {
            return Ok(id.clone());
        }
        self.list(Some("contact")).await?;
        self.client
            .field_keys()
            .lock()
            .await
            .as_ref()
            .and_then(|m| m.get(&wanted))
            .cloned()
            .ok_or_else(|| {
                Error::InvalidRequest(format!(
                    "no custom field of the location has the key `{wanted}`"
                ))
            })
    }

    /// `POST /locations/{locationId}/customFields`. Needs `locations/customFields.write`.
    /// **Not idempotent**: retried only on 429 and connect errors; list the fields before
    /// creating again after an ambiguous failure.
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
        let mut answer = self.client.send_json(call).await?;
        // The spec wraps it as `{customField}`; the bare object is accepted too.
        let field: CustomField = if answer.body().get("customField").is_some() {
            answer.field("customField")?
        } else {
            answer.whole()?
        };
        self.remember(std::slice::from_ref(&field)).await;
        Ok(field)
    }
}
