//! Sales transactions through the CSV export job: start, poll, download, parse.
//!
//! Phorest has no list endpoint for purchases; the `TRANSACTIONS_CSV` export is the way to read
//! sales (and so product purchases per client and loyalty points awarded per line).

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use serde::{Deserialize, Serialize};

use crate::PhorestClient;
use crate::client::Call;
use crate::de;
use crate::error::{Error, Operation, Result};
use crate::ids::{BranchId, ClientId, JobId, ProductId, ServiceId, StaffId, TransactionId};
use crate::macros::open_enum;
use crate::query::Query;

open_enum! {
    /// Kind of CSV export (`jobType`).
    CsvJobType {
        /// `TRANSACTIONS_CSV`: the sales transactions report.
        TransactionsCsv => "TRANSACTIONS_CSV",
        /// `SUNDRIES_CSV`: petty cash.
        SundriesCsv => "SUNDRIES_CSV",
        /// `DATEV_CSV`: German accounting.
        DatevCsv => "DATEV_CSV",
        /// `CLIENT_COURSES_CSV`.
        ClientCoursesCsv => "CLIENT_COURSES_CSV",
        /// `CLIENT_COURSE_TRANSACTIONS_CSV`.
        ClientCourseTransactionsCsv => "CLIENT_COURSE_TRANSACTIONS_CSV",
        /// `CLIENT_CSV`.
        ClientCsv => "CLIENT_CSV",
    }
}

/// The sales transactions export.
pub const TRANSACTIONS_CSV: CsvJobType = CsvJobType::TransactionsCsv;

open_enum! {
    /// State of an export job (`jobStatus`). Values other than `DONE`/`FAILED` are UNCONFIRMED;
    /// anything else is treated as "still running".
    CsvJobStatus {
        /// `DONE`: `tempCsvExternalUrl` is ready.
        Done => "DONE",
        /// `FAILED`: see `failureReason`.
        Failed => "FAILED",
        /// `PENDING` (UNCONFIRMED value).
        Pending => "PENDING",
        /// `IN_PROGRESS` (UNCONFIRMED value).
        InProgress => "IN_PROGRESS",
    }
}

/// A CSV export job.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct CsvExportJob {
    /// Job id.
    pub job_id: JobId,
    /// Kind.
    pub job_type: Option<CsvJobType>,
    /// State.
    pub job_status: Option<CsvJobStatus>,
    /// Started.
    #[serde(
        deserialize_with = "de::opt_instant",
        serialize_with = "de::ser_opt_instant"
    )]
    pub started: Option<DateTime<Utc>>,
    /// Finished.
    #[serde(
        deserialize_with = "de::opt_instant",
        serialize_with = "de::ser_opt_instant"
    )]
    pub finished: Option<DateTime<Utc>>,
    /// First day exported.
    #[serde(deserialize_with = "de::opt_date")]
    pub start_filter: Option<NaiveDate>,
    /// Last day exported.
    #[serde(deserialize_with = "de::opt_date")]
    pub finish_filter: Option<NaiveDate>,
    /// Extra filter.
    pub filter_expression: Option<String>,
    /// Rows in the export.
    pub total_rows: Option<u64>,
    /// Rows exported successfully.
    pub succeeded_rows: Option<u64>,
    /// Temporary presigned download URL (when `DONE`).
    pub temp_csv_external_url: Option<String>,
    /// Why the job failed.
    pub failure_reason: Option<String>,
}

/// How to poll a job: backoff from `initial` doubling up to `max`, at most `max_polls` polls.
///
/// ```
/// use std::time::Duration;
/// use phorest_client::PollPolicy;
///
/// let quick = PollPolicy::default().initial(Duration::from_millis(100)).max_polls(10);
/// assert_eq!(quick.max_polls, 10);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PollPolicy {
    /// First wait.
    pub initial: Duration,
    /// Longest wait.
    pub max: Duration,
    /// Polls before giving up with [`Error::ExportTimedOut`].
    pub max_polls: u32,
}

impl PollPolicy {
    /// Sets the first wait.
    pub fn initial(mut self, wait: Duration) -> Self {
        self.initial = wait;
        self.max = self.max.max(wait);
        self
    }

    /// Sets the longest wait.
    pub fn max(mut self, wait: Duration) -> Self {
        self.max = wait.max(self.initial);
        self
    }

    /// Sets how many polls are made before giving up (at least 1).
    pub fn max_polls(mut self, polls: u32) -> Self {
        self.max_polls = polls.max(1);
        self
    }
}

impl Default for PollPolicy {
    /// 2 s doubling to 10 s, 90 polls (about 15 minutes).
    fn default() -> Self {
        Self {
            initial: Duration::from_secs(2),
            max: Duration::from_secs(10),
            max_polls: 90,
        }
    }
}

open_enum! {
    /// What a transaction line sold (`item_type`); values beyond `PRODUCT` are UNCONFIRMED.
    ItemType {
        /// `PRODUCT`.
        Product => "PRODUCT",
        /// `SERVICE`.
        Service => "SERVICE",
        /// `COURSE`.
        Course => "COURSE",
        /// `VOUCHER`.
        Voucher => "VOUCHER",
        /// `PACKAGE`.
        Package => "PACKAGE",
        /// `SPECIAL_OFFER`.
        SpecialOffer => "SPECIAL_OFFER",
    }
}

/// One line of the `TRANSACTIONS_CSV` export. Every column is optional; columns the crate
/// does not model are kept in [`TransactionRow::other`].
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[non_exhaustive]
pub struct TransactionRow {
    /// 1-based line number in the file (the header is line 1).
    pub line: u64,
    /// `transaction_id` (unique per branch only).
    pub transaction_id: Option<TransactionId>,
    /// `transaction_item_id`.
    pub transaction_item_id: Option<String>,
    /// `branch_id`.
    pub branch_id: Option<BranchId>,
    /// `branch_name`.
    pub branch_name: Option<String>,
    /// `client_id` (may be the walk-in client).
    pub client_id: Option<ClientId>,
    /// `staff_id` (UNCONFIRMED column).
    pub staff_id: Option<StaffId>,
    /// `purchased_date`.
    pub purchased_date: Option<NaiveDate>,
    /// `purchase_time`.
    pub purchase_time: Option<NaiveTime>,
    /// `item_type`.
    pub item_type: Option<ItemType>,
    /// `description`.
    pub description: Option<String>,
    /// `quantity`.
    pub quantity: Option<f64>,
    /// `service_id`.
    pub service_id: Option<ServiceId>,
    /// `service_name`.
    pub service_name: Option<String>,
    /// `product_id`.
    pub product_id: Option<ProductId>,
    /// `product_name`.
    pub product_name: Option<String>,
    /// `product_barcode`.
    pub product_barcode: Option<String>,
    /// `product_code`.
    pub product_code: Option<String>,
    /// `unit_price`.
    pub unit_price: Option<f64>,
    /// `original_price`.
    pub original_price: Option<f64>,
    /// `total_amount`.
    pub total_amount: Option<f64>,
    /// `net_total_amount`.
    pub net_total_amount: Option<f64>,
    /// `gross_total_amount`.
    pub gross_total_amount: Option<f64>,
    /// `tax_amount`.
    pub tax_amount: Option<f64>,
    /// `loyalty_points_awarded`.
    pub loyalty_points_awarded: Option<f64>,
    /// `payment_type`.
    pub payment_type: Option<String>,
    /// Every other non-empty column, by header name.
    pub other: BTreeMap<String, String>,
}

/// A CSV line that could not be read; the other lines are unaffected.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
#[error("CSV line {line}: {message}")]
pub struct CsvRowError {
    /// 1-based line number.
    pub line: u64,
    /// The column at fault, if one.
    pub column: Option<String>,
    /// What went wrong (never the cell's content).
    pub message: String,
}

/// Parses a `TRANSACTIONS_CSV` file. Each line gives a row or a [`CsvRowError`]; a bad line
/// never fails the whole file, and is never dropped silently: it is returned as an error and
/// logged as a `tracing` warning (line, column and reason, never the cell's content).
///
/// Header columns the parser does not know, and rows that end early (missing trailing cells),
/// are tolerated. A row with more cells than the header has is an error (an unquoted comma
/// would shift its values into the wrong columns), as is a cell that does not parse as its
/// column's type. A line the CSV reader cannot read at all ends the file: the error says from
/// which line on nothing was read.
pub fn parse_transactions(csv_bytes: &[u8]) -> Vec<Result<TransactionRow, CsvRowError>> {
    let rows = parse_rows(csv_bytes, row_from_record);
    for err in rows.iter().filter_map(|r| r.as_ref().err()) {
        tracing::warn!(
            line = err.line,
            column = err.column.as_deref().unwrap_or(""),
            "unreadable sales CSV row: {}",
            err.message
        );
    }
    rows
}

/// Reads a Phorest CSV export line by line: headers lower-cased (BOM dropped), empty lines
/// skipped, a bad line reported and the rest read on.
pub(crate) fn parse_rows<T>(
    csv_bytes: &[u8],
    row: impl Fn(&[String], &csv::StringRecord, u64) -> Result<T, CsvRowError>,
) -> Vec<Result<T, CsvRowError>> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(csv_bytes);
    let headers: Vec<String> = match reader.headers() {
        Ok(h) => h
            .iter()
            .map(|h| h.trim_start_matches('\u{feff}').to_ascii_lowercase())
            .collect(),
        Err(e) => {
            return vec![Err(CsvRowError {
                line: 1,
                column: None,
                message: format!("unreadable header: {}", csv_error_kind(&e)),
            })];
        }
    };
    let mut out = Vec::new();
    let mut record = csv::StringRecord::new();
    loop {
        let line = reader.position().line();
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                let line = record.position().map_or(line, csv::Position::line);
                if record.iter().all(str::is_empty) {
                    continue;
                }
                if record.len() > headers.len() {
                    out.push(Err(CsvRowError {
                        line,
                        column: None,
                        message: format!(
                            "{} cells but the header has {} columns (an unquoted comma?)",
                            record.len(),
                            headers.len()
                        ),
                    }));
                    continue;
                }
                out.push(row(&headers, &record, line));
            }
            Err(e) => {
                let recoverable = matches!(
                    e.kind(),
                    csv::ErrorKind::Utf8 { .. } | csv::ErrorKind::UnequalLengths { .. }
                );
                let line = e.position().map_or(line, csv::Position::line);
                let mut message = csv_error_kind(&e);
                if !recoverable {
                    message.push_str(&format!("; nothing from line {line} on was read"));
                }
                out.push(Err(CsvRowError {
                    line,
                    column: None,
                    message,
                }));
                if !recoverable {
                    break;
                }
            }
        }
    }
    out
}

fn csv_error_kind(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::Utf8 { .. } => "invalid UTF-8".into(),
        csv::ErrorKind::UnequalLengths { .. } => "wrong number of fields".into(),
        csv::ErrorKind::Io(_) => "I/O error".into(),
        _ => "malformed CSV".into(),
    }
}

fn row_from_record(
    headers: &[String],
    record: &csv::StringRecord,
    line: u64,
) -> Result<TransactionRow, CsvRowError> {
    let mut cells: HashMap<&str, &str> = headers
        .iter()
        .map(String::as_str)
        .zip(record.iter())
        .filter(|(_, v)| !v.is_empty())
        .collect();
    let mut take = |name: &str| cells.remove(name).map(str::to_owned);
    let number = |name: &'static str, v: Option<String>| -> Result<Option<f64>, CsvRowError> {
        v.map(|s| {
            s.replace(',', "")
                .parse::<f64>()
                .map_err(|_| bad(line, name, "not a number"))
        })
        .transpose()
    };
    let row = TransactionRow {
        line,
        transaction_id: take("transaction_id").map(Into::into),
        transaction_item_id: take("transaction_item_id"),
        branch_id: take("branch_id").map(Into::into),
        branch_name: take("branch_name"),
        client_id: take("client_id").map(Into::into),
        staff_id: take("staff_id").map(Into::into),
        purchased_date: take("purchased_date")
            .map(|s| parse_csv_date(&s).ok_or_else(|| bad(line, "purchased_date", "not a date")))
            .transpose()?,
        purchase_time: take("purchase_time")
            .map(|s| de::parse_time(&s).ok_or_else(|| bad(line, "purchase_time", "not a time")))
            .transpose()?,
        item_type: take("item_type").map(|s| ItemType::from(s.as_str())),
        description: take("description"),
        quantity: number("quantity", take("quantity"))?,
        service_id: take("service_id").map(Into::into),
        service_name: take("service_name"),
        product_id: take("product_id").map(Into::into),
        product_name: take("product_name"),
        product_barcode: take("product_barcode"),
        product_code: take("product_code"),
        unit_price: number("unit_price", take("unit_price"))?,
        original_price: number("original_price", take("original_price"))?,
        total_amount: number("total_amount", take("total_amount"))?,
        net_total_amount: number("net_total_amount", take("net_total_amount"))?,
        gross_total_amount: number("gross_total_amount", take("gross_total_amount"))?,
        tax_amount: number("tax_amount", take("tax_amount"))?,
        loyalty_points_awarded: number("loyalty_points_awarded", take("loyalty_points_awarded"))?,
        payment_type: take("payment_type"),
        other: BTreeMap::new(),
    };
    Ok(TransactionRow {
        other: cells
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
        ..row
    })
}

pub(crate) fn bad(line: u64, column: &str, message: &str) -> CsvRowError {
    CsvRowError {
        line,
        column: Some(column.to_owned()),
        message: format!("column `{column}`: {message}"),
    }
}

/// Dates in the export: `yyyy-MM-dd` (optionally followed by a time) or `dd/MM/yyyy`
/// (format UNCONFIRMED).
pub(crate) fn parse_csv_date(s: &str) -> Option<NaiveDate> {
    de::parse_date(s)
        .or_else(|| s.get(..10).and_then(de::parse_date))
        .or_else(|| NaiveDate::parse_from_str(s, "%d/%m/%Y").ok())
}

/// An export job to start (`POST …/csvexportjob`): its type, the day range
/// (`startFilter`/`finishFilter`, required for `TRANSACTIONS_CSV`, not for `CLIENT_CSV`) and
/// an optional `filterExpression`.
///
/// `filterExpression` is how the production puller (DH, "per Phorest docs") re-exports
/// records *edited* in a window: `updated=<{to}&updated=>{from}` on `TRANSACTIONS_CSV` picks
/// up edited and voided older sales, `updated=>{from}` on `CLIENT_CSV` gives the clients
/// changed since a watermark. Instants are sent as `yyyy-MM-ddTHH:mm:ss.SSSZ`.
///
/// ```
/// use chrono::{NaiveDate, TimeZone, Utc};
/// use phorest_client::{CsvExportRequest, CsvJobType};
///
/// let day = |d| NaiveDate::from_ymd_opt(2026, 1, d).unwrap();
/// let since = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
/// let until = Utc.with_ymd_and_hms(2026, 1, 31, 23, 59, 59).unwrap();
/// let edited_sales = CsvExportRequest::new(CsvJobType::TransactionsCsv)
///     .dates(day(1), day(31))
///     .updated_between(since, until);
/// let changed_clients = CsvExportRequest::new(CsvJobType::ClientCsv).updated_after(since);
/// # let _ = (edited_sales, changed_clients);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CsvExportRequest {
    job_type: CsvJobType,
    #[serde(skip_serializing_if = "Option::is_none")]
    start_filter: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    finish_filter: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    filter_expression: Option<String>,
}

impl CsvExportRequest {
    /// An export of `job_type` with no range or filter.
    pub fn new(job_type: CsvJobType) -> Self {
        Self {
            job_type,
            start_filter: None,
            finish_filter: None,
            filter_expression: None,
        }
    }

    /// `startFilter`/`finishFilter`: the days `from..=to` (`yyyy-MM-dd`).
    pub fn dates(mut self, from: NaiveDate, to: NaiveDate) -> Self {
        self.start_filter = Some(from.format("%Y-%m-%d").to_string());
        self.finish_filter = Some(to.format("%Y-%m-%d").to_string());
        self
    }

    /// `filterExpression`, verbatim (replaces any set before).
    pub fn filter_expression(mut self, expression: impl Into<String>) -> Self {
        self.filter_expression = Some(expression.into());
        self
    }

    /// `filterExpression=updated=<{to}&updated=>{from}`: records updated in `from..to`, the
    /// form DH sends for `TRANSACTIONS_CSV`.
    pub fn updated_between(self, from: DateTime<Utc>, to: DateTime<Utc>) -> Self {
        let expression = format!(
            "updated=<{}&updated=>{}",
            de::format_instant(&to),
            de::format_instant(&from)
        );
        self.filter_expression(expression)
    }

    /// `filterExpression=updated=>{from}`: records updated since `from`, the form DH sends
    /// for `CLIENT_CSV`.
    pub fn updated_after(self, from: DateTime<Utc>) -> Self {
        let expression = format!("updated=>{}", de::format_instant(&from));
        self.filter_expression(expression)
    }

    /// The job type.
    pub fn job_type(&self) -> &CsvJobType {
        &self.job_type
    }
}

/// Starting an export job.
const START_JOB: Operation = Operation::new("POST", "/{businessId}/branch/{branchId}/csvexportjob");
/// Polling an export job.
const GET_JOB: Operation = Operation::get("/{businessId}/branch/{branchId}/csvexportjob/{jobId}");
/// Downloading a finished export from its presigned URL.
const DOWNLOAD: Operation = Operation::get("{tempCsvExternalUrl}");

/// A finished job whose download URL is missing or unusable.
fn bad_url(message: String) -> Error {
    Error::Decode {
        operation: GET_JOB,
        path: "tempCsvExternalUrl".into(),
        message,
        body_excerpt: String::new(),
    }
}

/// Handler for one branch's CSV export jobs; see [`PhorestClient::csv_exports`].
#[derive(Clone, Debug)]
pub struct CsvExportsHandler {
    client: PhorestClient,
    branch: BranchId,
}

impl CsvExportsHandler {
    pub(crate) fn new(client: PhorestClient, branch: BranchId) -> Self {
        Self { client, branch }
    }

    /// Starts an export of `from..=to` (`POST …/csvexportjob`); see
    /// [`start_request`](Self::start_request) for a `filterExpression` or a `CLIENT_CSV`
    /// without dates.
    pub async fn start(
        &self,
        job_type: CsvJobType,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<CsvExportJob> {
        self.start_request(&CsvExportRequest::new(job_type).dates(from, to))
            .await
    }

    /// Starts an export job (`POST …/csvexportjob`). Not replayed after an ambiguous
    /// failure (a job may have been started; starting another is harmless but costs an
    /// export).
    pub async fn start_request(&self, request: &CsvExportRequest) -> Result<CsvExportJob> {
        let body = crate::resources::clients::to_body(request);
        let answer = self
            .client
            .send_json(Call {
                operation: START_JOB,
                segments: &["branch", self.branch.as_str(), "csvexportjob"],
                query: &Query::default(),
                body: Some(&body),
            })
            .await?;
        self.client.decode(START_JOB, answer)
    }

    /// The job's current state.
    pub async fn get(&self, job_id: &JobId) -> Result<CsvExportJob> {
        self.client
            .get_json(
                Operation::get("/{businessId}/branch/{branchId}/csvexportjob/{jobId}"),
                &[
                    "branch",
                    self.branch.as_str(),
                    "csvexportjob",
                    job_id.as_str(),
                ],
                &Query::default(),
            )
            .await
    }

    /// Polls until `DONE` (returned) or `FAILED` ([`Error::ExportFailed`]), backing off per
    /// `poll`; [`Error::ExportTimedOut`] after `poll.max_polls` polls.
    pub async fn wait(&self, job_id: &JobId, poll: PollPolicy) -> Result<CsvExportJob> {
        let mut delay = poll.initial;
        let mut last = String::new();
        for polls in 1..=poll.max_polls {
            let job = self.get(job_id).await?;
            match &job.job_status {
                Some(CsvJobStatus::Done) => return Ok(job),
                Some(CsvJobStatus::Failed) => {
                    return Err(Error::ExportFailed {
                        job_id: job_id.to_string(),
                        reason: job.failure_reason,
                    });
                }
                other => {
                    last = other
                        .as_ref()
                        .map(|s| s.as_str().to_owned())
                        .unwrap_or_default();
                    tracing::debug!(polls, status = %last, "export job not ready");
                }
            }
            if polls < poll.max_polls {
                tokio::time::sleep(delay).await;
                delay = delay.saturating_mul(2).min(poll.max);
            }
        }
        Err(Error::ExportTimedOut {
            job_id: job_id.to_string(),
            status: last,
            polls: poll.max_polls,
        })
    }

    /// Downloads a finished job's CSV from `tempCsvExternalUrl`. The presigned URL gets no
    /// `Authorization` header unless it is on the API's own origin.
    pub async fn download(&self, job: &CsvExportJob) -> Result<Vec<u8>> {
        let raw = job
            .temp_csv_external_url
            .as_deref()
            .filter(|u| !u.trim().is_empty())
            .ok_or_else(|| bad_url("missing download URL".into()))?;
        let url = url::Url::parse(raw.trim()).map_err(|e| bad_url(format!("not a URL ({e})")))?;
        self.client.download(DOWNLOAD, url).await
    }

    /// Start, wait and download an export; `None` when the job fails with "No records
    /// found".
    pub async fn run(
        &self,
        request: &CsvExportRequest,
        poll: PollPolicy,
    ) -> Result<Option<Vec<u8>>> {
        let job = self.start_request(request).await?;
        let job = match self.wait(&job.job_id, poll).await {
            Ok(job) => job,
            Err(Error::ExportFailed {
                reason: Some(r), ..
            }) if r.to_ascii_lowercase().contains("no records") => {
                return Ok(None);
            }
            Err(e) => return Err(e),
        };
        self.download(&job).await.map(Some)
    }

    /// Runs a `TRANSACTIONS_CSV` request (e.g. with
    /// [`CsvExportRequest::updated_between`] to pick up edited and voided sales) and parses
    /// it; "No records found" gives an empty list.
    pub async fn transactions_with(
        &self,
        request: &CsvExportRequest,
        poll: PollPolicy,
    ) -> Result<Vec<Result<TransactionRow, CsvRowError>>> {
        Ok(self
            .run(request, poll)
            .await?
            .map(|bytes| parse_transactions(&bytes))
            .unwrap_or_default())
    }

    /// Runs a `CLIENT_CSV` export (every client, or those updated since `updated_after`,
    /// DH's incremental form) and parses it; "No records found" gives an empty list.
    pub async fn clients_csv(
        &self,
        updated_after: Option<DateTime<Utc>>,
        poll: PollPolicy,
    ) -> Result<Vec<Result<crate::ClientCsvRow, CsvRowError>>> {
        let mut request = CsvExportRequest::new(CsvJobType::ClientCsv);
        if let Some(since) = updated_after {
            request = request.updated_after(since);
        }
        Ok(self
            .run(&request, poll)
            .await?
            .map(|bytes| crate::resources::client_csv::parse_clients(&bytes))
            .unwrap_or_default())
    }

    /// Start, wait, download and parse a `TRANSACTIONS_CSV` export of `from..=to`. A job that
    /// fails with "No records found" gives an empty list.
    pub async fn transactions(
        &self,
        from: NaiveDate,
        to: NaiveDate,
        poll: PollPolicy,
    ) -> Result<Vec<Result<TransactionRow, CsvRowError>>> {
        self.transactions_with(
            &CsvExportRequest::new(TRANSACTIONS_CSV).dates(from, to),
            poll,
        )
        .await
    }
}
