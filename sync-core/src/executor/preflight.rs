//! Preflight: everything checked before the first write.
//!
//! - the GHL scopes each enabled stage needs (one blocked stage with every missing scope named,
//!   never one 401 per record);
//! - the calendar for appointments exists, and which staff have a GHL user on it;
//! - the loyalty custom field exists (it is created here when missing, unless dry run);
//! - the Phorest side answers: branches (time zones, countries), walk-in client, categories.

use std::collections::HashMap;

use futures::TryStreamExt;
use ghl_client::{CalendarId, Scope, UserId};

use super::facts::{BranchFacts, Facts};
use crate::entity::EntityKind;
use crate::mappers;
use crate::outcome::{RunFailure, System};
use crate::plan::SyncPlan;

/// The result of [`SyncPlan::preflight`].
#[derive(Debug)]
pub struct Preflight {
    /// One check per enabled entity, in stage order.
    pub stages: Vec<StageCheck>,
    pub(crate) facts: Result<Facts, RunFailure>,
}

impl Preflight {
    /// Whether every enabled stage may run.
    pub fn all_clear(&self) -> bool {
        self.facts.is_ok() && self.stages.iter().all(|s| s.blocked.is_none())
    }

    /// The reason the run cannot start at all (Phorest or GHL unreachable, bad credentials, a
    /// GHL location the token cannot reach, a calendar that is not in the location).
    pub fn fatal(&self) -> Option<&RunFailure> {
        self.facts.as_ref().err()
    }
}

/// The preflight verdict for one entity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageCheck {
    /// The entity.
    pub entity: EntityKind,
    /// Why the stage cannot run, with the action that fixes it; `None` when it may run.
    pub blocked: Option<String>,
    /// Things worth knowing that do not block the stage (e.g. staff without a GHL user).
    pub notes: Vec<String>,
}

/// The GHL scopes a stage needs.
pub fn required_scopes(entity: EntityKind) -> &'static [Scope] {
    use EntityKind as E;
    match entity {
        E::Staff | E::Client | E::ClientCategory | E::CheckIn | E::Purchase => {
            // contacts.readonly: search/list notes to recover an interrupted create.
            &[Scope::ContactsReadonly, Scope::ContactsWrite]
        }
        E::Loyalty => &[
            Scope::ContactsWrite,
            Scope::CustomFieldsReadonly,
            Scope::CustomFieldsWrite,
        ],
        // locations.readonly is optional: with it the preflight checks the location and uses
        // `GET /users/search`; without it the deprecated `GET /users/`.
        E::StaffUser => &[Scope::UsersReadonly],
        E::Appointment => &[
            Scope::CalendarsReadonly,
            Scope::CalendarEventsReadonly,
            Scope::CalendarEventsWrite,
            Scope::UsersReadonly,
        ],
        E::Booking => &[Scope::ContactsReadonly, Scope::ContactsWrite],
        E::Product => &[
            Scope::ProductsReadonly,
            Scope::ProductsWrite,
            Scope::PricesReadonly,
            Scope::PricesWrite,
        ],
    }
}

impl SyncPlan {
    /// Check everything the enabled stages need, before any write.
    ///
    /// Reads both APIs (and, outside a dry run, creates the loyalty custom field if it is
    /// missing). A stage that cannot run is reported once with an actionable reason; the others
    /// still run.
    pub async fn preflight(&self) -> Preflight {
        let config = &self.config;
        let mut stages: Vec<StageCheck> = EntityKind::ALL
            .iter()
            .copied()
            .filter(|e| config.enabled(*e))
            .map(|entity| {
                let blocked = match self.ghl.require_scopes(required_scopes(entity)) {
                    Ok(()) => None,
                    Err(err) => Some(format!(
                        "{err}. Re-authorise the GHL app (or re-create the private integration \
                         token) with these scopes, then run again."
                    )),
                };
                StageCheck {
                    entity,
                    blocked,
                    notes: Vec::new(),
                }
            })
            .collect();

        let facts = self.gather_facts(&mut stages).await;
        Preflight { stages, facts }
    }

    async fn gather_facts(&self, stages: &mut [StageCheck]) -> Result<Facts, RunFailure> {
        let config = &self.config;
        // GHL: the token reaches the configured location (before any write).
        let location = self.check_location().await?;
        let mut facts = Facts {
            location_refuses_duplicates: location
                .as_ref()
                .and_then(|l| l.settings.as_ref())
                .and_then(|s| s.allow_duplicate_contact)
                .map(|allowed| !allowed),
            location,
            ..Facts::default()
        };

        // Phorest: branches (time zone, country, currency).
        let branches: Vec<phorest_client::Branch> = self
            .phorest
            .branches()
            .list()
            .try_collect()
            .await
            .map_err(|e| phorest_failure("branches", &e))?;
        for branch in branches {
            let id = branch.branch_id.to_string();
            if let Some(wanted) = &config.branches
                && !wanted.contains(&branch.branch_id)
            {
                continue;
            }
            // A zone that cannot be used blocks only this branch's time-dependent stages.
            let tz = branch.time_zone().map_err(|e| e.to_string());
            if let Err(reason) = &tz {
                for entity in [
                    EntityKind::Appointment,
                    EntityKind::CheckIn,
                    EntityKind::Booking,
                ] {
                    note(
                        stages,
                        entity,
                        format!(
                            "branch {id}: {reason}; its appointments are not synced until \
                                 the branch's time zone is fixed in Phorest"
                        ),
                    );
                }
            }
            facts.branches.push(BranchFacts {
                id,
                tz,
                country: branch.country.clone().filter(|c| !c.trim().is_empty()),
                currency: branch
                    .currency_code
                    .clone()
                    .filter(|c| !c.trim().is_empty()),
            });
        }
        if facts.branches.is_empty() {
            return Err(RunFailure::config(
                "branches",
                "no Phorest branch to sync: none of the configured branch ids exists in this \
                 business",
            ));
        }

        // The walk-in placeholder client is never a contact (its id is kept for a day).
        facts.walk_in_client_id = self.walk_in_client().await;

        // Client categories (business level), for category tags.
        let needs_categories =
            config.enabled(EntityKind::Client) || config.enabled(EntityKind::ClientCategory);
        if needs_categories {
            let categories: Vec<phorest_client::ClientCategory> = self
                .phorest
                .client_categories()
                // Archived categories still name the clients that carry them.
                .list(&phorest_client::ClientCategoryQuery::all())
                .try_collect()
                .await
                .map_err(|e| phorest_failure("client categories", &e))?;
            for c in categories {
                if let Some(name) = c.name.as_deref() {
                    facts
                        .categories
                        .insert(c.client_category_id.to_string(), name.trim().to_owned());
                }
            }
        }

        let appointments_enabled = config.enabled(EntityKind::Appointment);
        if appointments_enabled && stage_open(stages, EntityKind::Appointment) {
            self.check_calendar(&mut facts, stages).await?;
        }
        if appointments_enabled && stage_open(stages, EntityKind::Appointment) {
            self.map_staff_users(&mut facts, stages).await?;
        }
        if config.enabled(EntityKind::Loyalty) && stage_open(stages, EntityKind::Loyalty) {
            self.resolve_loyalty_field(&mut facts, stages).await;
        }
        Ok(facts)
    }

    /// The business's walk-in client id: from the store when read in the last day, else from
    /// Phorest (and stored).
    async fn walk_in_client(&self) -> Option<String> {
        const KEY: &str = "phorest.walk_in_client";
        if let Ok(Some(cached)) = self.store.get_value(KEY).await
            && let (Some(id), Some(at)) = (
                cached.get("id").and_then(|v| v.as_str()),
                cached.get("at").and_then(|v| {
                    serde_json::from_value::<chrono::DateTime<chrono::Utc>>(v.clone()).ok()
                }),
            )
            && chrono::Utc::now() - at < chrono::Duration::hours(24)
        {
            return Some(id.to_owned());
        }
        match self.phorest.clients().walk_in().await {
            Ok(client) => {
                let id = client.client_id.to_string();
                if !self.config.dry_run {
                    let value = serde_json::json!({"id": id, "at": chrono::Utc::now()});
                    if let Err(err) = self.store.set_value(KEY, &value).await {
                        tracing::warn!(error = %err, "could not keep the walk-in client id");
                    }
                }
                Some(id)
            }
            Err(err) => {
                tracing::warn!(error = %err, "could not read the walk-in client");
                None
            }
        }
    }

    /// The token reaches the configured GHL location: `GET /locations/{id}` when the token may
    /// read locations, else one contact search (every contact stage needs `contacts.readonly`).
    /// A token GHL refuses is [`RunFailure::TokenInvalid`]; a location it cannot reach is a
    /// configuration error in `location_id`; a network failure is
    /// [`RunFailure::TargetUnreachable`]. With neither scope nothing is checked here (the first
    /// write would say it).
    async fn check_location(&self) -> Result<Option<ghl_client::locations::Location>, RunFailure> {
        use ghl_client::Scope;
        let location = self.ghl.location_id().clone();
        let result = if self.ghl.require_scopes(&[Scope::LocationsReadonly]).is_ok() {
            self.ghl.locations().get(&location).await.map(Some)
        } else if self.ghl.require_scopes(&[Scope::ContactsReadonly]).is_ok() {
            let query = ghl_client::contacts::SearchContacts::new().page_limit(1);
            self.ghl.contacts().search_page(&query).await.map(|_| None)
        } else {
            return Ok(None);
        };
        match result {
            Ok(found) => Ok(found),
            Err(ghl_client::Error::Unauthorized { message, .. }) => {
                Err(RunFailure::TokenInvalid { message })
            }
            Err(
                err @ (ghl_client::Error::Forbidden { .. } | ghl_client::Error::NotFound { .. }),
            ) => Err(RunFailure::config(
                "location_id",
                format!("the GHL token cannot reach location {location}: {err}"),
            )),
            Err(err) if err.status().is_some_and(|s| (400..500).contains(&s)) => {
                Err(RunFailure::config(
                    "location_id",
                    format!("GHL refused a read of location {location}: {err}"),
                ))
            }
            Err(err) => Err(RunFailure::TargetUnreachable {
                system: System::Ghl,
                message: err.to_string(),
            }),
        }
    }

    async fn check_calendar(
        &self,
        facts: &mut Facts,
        stages: &mut [StageCheck],
    ) -> Result<(), RunFailure> {
        let Some(calendar_id) = self.config.calendar_id.as_ref().map(CalendarId::as_str) else {
            block(
                stages,
                EntityKind::Appointment,
                "no GHL calendar configured: set `calendar_id` to the calendar that receives \
                 Phorest appointments"
                    .into(),
            );
            return Ok(());
        };
        match self.ghl.calendars().list().await {
            Ok(calendars) => match calendars.iter().find(|c| c.id.as_str() == calendar_id) {
                Some(cal) => {
                    facts.calendar_members = cal
                        .team_members
                        .iter()
                        .map(|m| m.user_id.to_string())
                        .collect();
                }
                None => {
                    return Err(RunFailure::config(
                        "calendar_id",
                        format!(
                            "GHL calendar {calendar_id} is not a calendar of location {}: fix \
                             `calendar_id` (or the location)",
                            self.ghl.location_id()
                        ),
                    ));
                }
            },
            Err(err) => block(
                stages,
                EntityKind::Appointment,
                format!("cannot list GHL calendars: {err}"),
            ),
        }
        Ok(())
    }

    /// Staff → GHL user: explicit overrides first, then the same email (case-insensitive).
    async fn map_staff_users(
        &self,
        facts: &mut Facts,
        stages: &mut [StageCheck],
    ) -> Result<(), RunFailure> {
        let users = match self.location_users(facts.location.clone()).await {
            Ok(users) => users,
            Err(err) => {
                block(
                    stages,
                    EntityKind::Appointment,
                    format!("cannot list GHL users: {err}"),
                );
                return Ok(());
            }
        };
        let mut staff: Vec<phorest_client::Staff> = Vec::new();
        for branch in &facts.branches {
            let (list, rejected) = phorest_client::collect_items(
                self.phorest
                    .staff(branch.id.as_str())
                    .list(&phorest_client::StaffQuery::all()),
            )
            .await
            .map_err(|e| phorest_failure("staff", &e))?;
            staff.extend(list.iter().cloned());
            // The staff stage uses this read instead of reading the staff again.
            facts.staff_read.insert(branch.id.clone(), (list, rejected));
        }
        for member in &staff {
            if let Some(name) = crate::mappers::display_name(
                member.first_name.as_deref(),
                member.last_name.as_deref(),
            ) {
                facts.staff_names.insert(member.staff_id.to_string(), name);
            }
        }
        let overrides: HashMap<String, UserId> = self
            .config
            .staff_user_overrides
            .iter()
            .map(|(staff, user)| (staff.to_string(), user.clone()))
            .collect();
        // One matcher for preflight and mapping: overrides first, then a unique email; an email
        // shared by two GHL users is reported, never guessed.
        let matched = mappers::match_staff_users(&staff, &users, &overrides);
        facts.staff_users = matched
            .matched
            .iter()
            .map(|(id, m)| (id.clone(), m.user_id.clone()))
            .collect();
        facts.unmatched_staff = matched.unmatched.into_iter().collect();
        if !facts.unmatched_staff.is_empty() {
            let fallback = match &self.config.fallback_user_id {
                Some(u) => format!("their appointments go to the fallback user {u}"),
                None => "their appointments are created unassigned".to_owned(),
            };
            note(
                stages,
                EntityKind::Appointment,
                format!(
                    "{} staff have no GHL user (match by email, or set staff_user_overrides); {fallback}",
                    facts.unmatched_staff.len()
                ),
            );
        }
        Ok(())
    }

    /// The location's GHL users, through `GET /users/search` with the company id that
    /// `GET /locations/{id}` names (GHL deprecated `GET /users/`).
    /// The location's users: `GET /users/search` (needs the location's company, read with
    /// `locations.readonly`); without that scope, the deprecated `GET /users/`, which still
    /// answers, so an install without `locations.readonly` keeps its appointment stage.
    /// The location's users; `known` is the location preflight already read, if it did.
    async fn location_users(
        &self,
        known: Option<ghl_client::locations::Location>,
    ) -> Result<Vec<ghl_client::users::User>, String> {
        if self
            .ghl
            .require_scopes(&[ghl_client::Scope::LocationsReadonly])
            .is_err()
        {
            #[allow(deprecated)]
            let listed = self.ghl.users().list().await.map_err(|e| e.to_string())?;
            return Ok(listed.into_iter().collect());
        }
        let location = match known {
            Some(location) => location,
            None => self
                .ghl
                .locations()
                .get_current()
                .await
                .map_err(|e| e.to_string())?,
        };
        let company = location
            .company_id
            .ok_or_else(|| "GHL does not name the location's company".to_owned())?;
        let query = ghl_client::users::SearchUsers::new(company)
            .location_id(location.id)
            .limit(100);
        self.ghl
            .users()
            .search(query)
            .try_collect()
            .await
            .map_err(|e| e.to_string())
    }

    async fn resolve_loyalty_field(&self, facts: &mut Facts, stages: &mut [StageCheck]) {
        let name = self.config.loyalty_field_name.clone();
        let key = crate::tags::slug(&name).replace('-', "_");
        match self.ghl.custom_fields().list(Some("contact")).await {
            Ok(fields) => {
                let found = fields.iter().find(|f| {
                    f.name.as_deref() == Some(name.as_str())
                        || f.field_key.as_deref() == Some(format!("contact.{key}").as_str())
                });
                if let Some(field) = found {
                    facts.loyalty_field_id = Some(field.id.to_string());
                    return;
                }
            }
            Err(err) => {
                block(
                    stages,
                    EntityKind::Loyalty,
                    format!("cannot list GHL custom fields: {err}"),
                );
                return;
            }
        }
        if self.config.dry_run {
            note(
                stages,
                EntityKind::Loyalty,
                format!("custom field {name:?} would be created"),
            );
            facts.loyalty_field_created = true;
            return;
        }
        let request = ghl_client::custom_fields::CreateCustomField::new(
            name.clone(),
            ghl_client::custom_fields::CustomFieldDataType::Numerical,
        );
        match self.ghl.custom_fields().create(&request).await {
            Ok(field) => {
                facts.loyalty_field_id = Some(field.id.to_string());
                facts.loyalty_field_created = true;
            }
            Err(err) => block(
                stages,
                EntityKind::Loyalty,
                format!("cannot create the GHL custom field {name:?}: {err}"),
            ),
        }
    }
}

fn stage_open(stages: &[StageCheck], entity: EntityKind) -> bool {
    stages
        .iter()
        .any(|s| s.entity == entity && s.blocked.is_none())
}

fn block(stages: &mut [StageCheck], entity: EntityKind, reason: String) {
    if let Some(s) = stages.iter_mut().find(|s| s.entity == entity)
        && s.blocked.is_none()
    {
        s.blocked = Some(reason);
    }
}

fn note(stages: &mut [StageCheck], entity: EntityKind, text: String) {
    if let Some(s) = stages.iter_mut().find(|s| s.entity == entity) {
        s.notes.push(text);
    }
}

/// A Phorest read in preflight failed: refused credentials are a configuration error; anything
/// else means Phorest cannot be reached.
fn phorest_failure(what: &str, err: &phorest_client::Error) -> RunFailure {
    if matches!(err.status(), Some(401 | 403)) {
        return RunFailure::config(
            "phorest credentials",
            format!("Phorest refused the credentials while reading {what}: {err}"),
        );
    }
    RunFailure::TargetUnreachable {
        system: System::Phorest,
        message: format!("cannot read Phorest {what}: {err}"),
    }
}
