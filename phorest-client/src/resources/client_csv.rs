//! The `CLIENT_CSV` export: every client (or those updated since a watermark) in one file,
//! the way the production puller (DH) reads clients incrementally.
//!
//! Column names are those DH reads by header (`clients_csv_reader.go`); dates and instants
//! are parsed leniently (format UNCONFIRMED). Columns the crate does not model are kept in
//! [`ClientCsvRow::other`].

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::de;
use crate::ids::{BranchId, CategoryId, ClientId, StaffId};
use crate::resources::csv_export::{CsvRowError, bad, parse_csv_date, parse_rows};

/// One line of the `CLIENT_CSV` export. Every column is optional.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[non_exhaustive]
pub struct ClientCsvRow {
    /// 1-based line number in the file (the header is line 1).
    pub line: u64,
    /// `client_id`.
    pub client_id: Option<ClientId>,
    /// `version`.
    pub version: Option<i64>,
    /// `first_name`.
    pub first_name: Option<String>,
    /// `last_name`.
    pub last_name: Option<String>,
    /// `mobile`.
    pub mobile: Option<String>,
    /// `linked_client_mobile`.
    pub linked_client_mobile: Option<String>,
    /// `land_line`.
    pub land_line: Option<String>,
    /// `email`.
    pub email: Option<String>,
    /// `birth_date`.
    pub birth_date: Option<NaiveDate>,
    /// `gender` (verbatim).
    pub gender: Option<String>,
    /// `sms_marketing_consent`.
    pub sms_marketing_consent: Option<bool>,
    /// `email_marketing_consent`.
    pub email_marketing_consent: Option<bool>,
    /// `sms_reminder_consent`.
    pub sms_reminder_consent: Option<bool>,
    /// `email_reminder_consent`.
    pub email_reminder_consent: Option<bool>,
    /// `archived`.
    pub archived: Option<bool>,
    /// `deleted`.
    pub deleted: Option<bool>,
    /// `banned`.
    pub banned: Option<bool>,
    /// `merged_to_client_id`.
    pub merged_to_client_id: Option<ClientId>,
    /// `street_address_1`.
    pub street_address_1: Option<String>,
    /// `street_address_2`.
    pub street_address_2: Option<String>,
    /// `city`.
    pub city: Option<String>,
    /// `state`.
    pub state: Option<String>,
    /// `postal_code`.
    pub postal_code: Option<String>,
    /// `country`.
    pub country: Option<String>,
    /// `client_since` (date part).
    pub client_since: Option<NaiveDate>,
    /// `first_visit` (date part).
    pub first_visit: Option<NaiveDate>,
    /// `last_visit` (date part).
    pub last_visit: Option<NaiveDate>,
    /// `notes`.
    pub notes: Option<String>,
    /// `preferred_staff_id`.
    pub preferred_staff_id: Option<StaffId>,
    /// `loyalty_card_serial_number`.
    pub loyalty_card_serial_number: Option<String>,
    /// `external_id`.
    pub external_id: Option<String>,
    /// `creating_branch_id`.
    pub creating_branch_id: Option<BranchId>,
    /// `client_category_ids` (split on `,`, `;` or `|`; the separator is UNCONFIRMED).
    pub client_category_ids: Vec<CategoryId>,
    /// `created_at`.
    pub created_at: Option<DateTime<Utc>>,
    /// `updated_at` (the incremental watermark).
    pub updated_at: Option<DateTime<Utc>>,
    /// Every other non-empty column, by header name.
    pub other: BTreeMap<String, String>,
}

/// Parses a `CLIENT_CSV` file. Each line gives a row or a [`CsvRowError`]; a bad line never
/// fails the whole file. Extra and missing columns are tolerated.
pub fn parse_clients(csv_bytes: &[u8]) -> Vec<Result<ClientCsvRow, CsvRowError>> {
    parse_rows(csv_bytes, client_row)
}

fn boolean(line: u64, name: &str, v: Option<String>) -> Result<Option<bool>, CsvRowError> {
    v.map(|s| match s.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "y" | "t" => Ok(true),
        "false" | "0" | "no" | "n" | "f" => Ok(false),
        _ => Err(bad(line, name, "not a boolean")),
    })
    .transpose()
}

fn client_row(
    headers: &[String],
    record: &csv::StringRecord,
    line: u64,
) -> Result<ClientCsvRow, CsvRowError> {
    let mut cells: HashMap<&str, &str> = headers
        .iter()
        .map(String::as_str)
        .zip(record.iter())
        .filter(|(_, v)| !v.is_empty())
        .collect();
    let mut take = |name: &str| cells.remove(name).map(str::to_owned);
    let date = |name: &str, v: Option<String>| {
        v.map(|s| parse_csv_date(&s).ok_or_else(|| bad(line, name, "not a date")))
            .transpose()
    };
    let instant = |name: &str, v: Option<String>| {
        v.map(|s| de::parse_instant(&s).ok_or_else(|| bad(line, name, "not an instant")))
            .transpose()
    };
    let row = ClientCsvRow {
        line,
        client_id: take("client_id").map(Into::into),
        version: take("version")
            .map(|s| {
                s.trim()
                    .parse::<i64>()
                    .map_err(|_| bad(line, "version", "not a number"))
            })
            .transpose()?,
        first_name: take("first_name"),
        last_name: take("last_name"),
        mobile: take("mobile"),
        linked_client_mobile: take("linked_client_mobile"),
        land_line: take("land_line"),
        email: take("email"),
        birth_date: date("birth_date", take("birth_date"))?,
        gender: take("gender"),
        sms_marketing_consent: boolean(
            line,
            "sms_marketing_consent",
            take("sms_marketing_consent"),
        )?,
        email_marketing_consent: boolean(
            line,
            "email_marketing_consent",
            take("email_marketing_consent"),
        )?,
        sms_reminder_consent: boolean(line, "sms_reminder_consent", take("sms_reminder_consent"))?,
        email_reminder_consent: boolean(
            line,
            "email_reminder_consent",
            take("email_reminder_consent"),
        )?,
        archived: boolean(line, "archived", take("archived"))?,
        deleted: boolean(line, "deleted", take("deleted"))?,
        banned: boolean(line, "banned", take("banned"))?,
        merged_to_client_id: take("merged_to_client_id").map(Into::into),
        street_address_1: take("street_address_1"),
        street_address_2: take("street_address_2"),
        city: take("city"),
        state: take("state"),
        postal_code: take("postal_code"),
        country: take("country"),
        client_since: date("client_since", take("client_since"))?,
        first_visit: date("first_visit", take("first_visit"))?,
        last_visit: date("last_visit", take("last_visit"))?,
        notes: take("notes"),
        preferred_staff_id: take("preferred_staff_id").map(Into::into),
        loyalty_card_serial_number: take("loyalty_card_serial_number"),
        external_id: take("external_id"),
        creating_branch_id: take("creating_branch_id").map(Into::into),
        client_category_ids: take("client_category_ids")
            .map(|s| {
                s.split([',', ';', '|'])
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(CategoryId::from)
                    .collect()
            })
            .unwrap_or_default(),
        created_at: instant("created_at", take("created_at"))?,
        updated_at: instant("updated_at", take("updated_at"))?,
        other: BTreeMap::new(),
    };
    Ok(ClientCsvRow {
        other: cells
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
        ..row
    })
}
