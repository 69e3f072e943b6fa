//! CRM events: opportunities, tasks, notes and campaigns.

use serde::{Deserialize, Serialize};

use crate::ids::{ContactId, LocationId, NoteId, OpportunityId, PipelineId, PipelineStageId};
use crate::ids::{TaskId, UserId};
use crate::open_enum::open_enum;
use crate::webhooks::de;

open_enum!(
    /// An opportunity's status.
    OpportunityStatus {
        /// `open`.
        Open => "open",
        /// `won`.
        Won => "won",
        /// `lost`.
        Lost => "lost",
        /// `abandoned`.
        Abandoned => "abandoned",
    }
);

/// Payload of the seven opportunity events
/// ([OpportunityCreate](https://marketplace.gohighlevel.com/docs/webhook/OpportunityCreate);
/// scope `opportunities.readonly`): the opportunity after the change.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct OpportunityEvent {
    /// The location.
    #[serde(default, deserialize_with = "de::opt_id")]
    pub location_id: Option<LocationId>,
    /// The opportunity id.
    #[serde(default, deserialize_with = "de::opt_id")]
    pub id: Option<OpportunityId>,
    /// The assigned user.
    #[serde(default, deserialize_with = "de::opt_id")]
    pub assigned_to: Option<UserId>,
    /// The contact.
    #[serde(default, deserialize_with = "de::opt_id")]
    pub contact_id: Option<ContactId>,
    /// Monetary value.
    #[serde(default, deserialize_with = "de::lenient_f64")]
    pub monetary_value: Option<f64>,
    /// Name.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub name: Option<String>,
    /// The pipeline.
    #[serde(default, deserialize_with = "de::opt_id")]
    pub pipeline_id: Option<PipelineId>,
    /// The pipeline stage.
    #[serde(default, deserialize_with = "de::opt_id")]
    pub pipeline_stage_id: Option<PipelineStageId>,
    /// Source.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub source: Option<String>,
    /// Status.
    #[serde(default)]
    pub status: Option<OpportunityStatus>,
    /// When it was added.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub date_added: Option<String>,
}

/// Payload of `OpportunityCreate`.
pub type OpportunityCreateEvent = OpportunityEvent;
/// Payload of `OpportunityUpdate`.
pub type OpportunityUpdateEvent = OpportunityEvent;
/// Payload of `OpportunityDelete`.
pub type OpportunityDeleteEvent = OpportunityEvent;
/// Payload of `OpportunityStageUpdate`.
pub type OpportunityStageUpdateEvent = OpportunityEvent;
/// Payload of `OpportunityStatusUpdate`.
pub type OpportunityStatusUpdateEvent = OpportunityEvent;
/// Payload of `OpportunityMonetaryValueUpdate`.
pub type OpportunityMonetaryValueUpdateEvent = OpportunityEvent;
/// Payload of `OpportunityAssignedToUpdate`.
pub type OpportunityAssignedToUpdateEvent = OpportunityEvent;

/// Payload of the three task events
/// ([TaskCreate](https://marketplace.gohighlevel.com/docs/webhook/TaskCreate); scope
/// `contacts.readonly`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct TaskEvent {
    /// The location.
    #[serde(default, deserialize_with = "de::opt_id")]
    pub location_id: Option<LocationId>,
    /// The task id.
    #[serde(default, deserialize_with = "de::opt_id")]
    pub id: Option<TaskId>,
    /// The assigned user.
    #[serde(default, deserialize_with = "de::opt_id")]
    pub assigned_to: Option<UserId>,
    /// Description.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub body: Option<String>,
    /// The contact.
    #[serde(default, deserialize_with = "de::opt_id")]
    pub contact_id: Option<ContactId>,
    /// Title.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub title: Option<String>,
    /// When it was added.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub date_added: Option<String>,
    /// When it is due.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub due_date: Option<String>,
}

/// Payload of `TaskCreate`.
pub type TaskCreateEvent = TaskEvent;
/// Payload of `TaskComplete`.
pub type TaskCompleteEvent = TaskEvent;
/// Payload of `TaskDelete`.
pub type TaskDeleteEvent = TaskEvent;

/// Payload of the three note events
/// ([NoteCreate](https://marketplace.gohighlevel.com/docs/webhook/NoteCreate); scope
/// `contacts.readonly`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct NoteEvent {
    /// The location.
    #[serde(default, deserialize_with = "de::opt_id")]
    pub location_id: Option<LocationId>,
    /// The note id.
    #[serde(default, deserialize_with = "de::opt_id")]
    pub id: Option<NoteId>,
    /// The note text.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub body: Option<String>,
    /// The contact.
    #[serde(default, deserialize_with = "de::opt_id")]
    pub contact_id: Option<ContactId>,
    /// When it was added.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub date_added: Option<String>,
}

/// Payload of `NoteCreate`.
pub type NoteCreateEvent = NoteEvent;
/// Payload of `NoteUpdate`.
pub type NoteUpdateEvent = NoteEvent;
/// Payload of `NoteDelete`: the note as it was.
pub type NoteDeleteEvent = NoteEvent;

/// Payload of `CampaignStatusUpdate`
/// ([page](https://marketplace.gohighlevel.com/docs/webhook/CampaignStatusUpdate); scope
/// `campaigns.readonly`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct CampaignStatusUpdateEvent {
    /// The location.
    #[serde(default, deserialize_with = "de::opt_id")]
    pub location_id: Option<LocationId>,
    /// The campaign status record id (the page does not say more).
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub id: Option<String>,
    /// The contact.
    #[serde(default, deserialize_with = "de::opt_id")]
    pub contact_id: Option<ContactId>,
    /// The contact's status in the campaign (`paused`, …).
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub status: Option<String>,
    /// The campaign template.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub template_id: Option<String>,
    /// The contact's reply, if any.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub replied: Option<String>,
    /// When it was added.
    #[serde(default, deserialize_with = "de::lenient_string")]
    pub date_added: Option<String>,
}
