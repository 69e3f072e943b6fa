//! The request handler: routing, auth, filters, paging, the CSV export job
//! and fault injection, all behind one `wiremock` responder.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;
use serde_json::{Value, json};
use wiremock::{Request, Respond, ResponseTemplate};

use super::generate::{Salon, millis};
use super::hostile::{Hostile, HostileStats, ListAnomalies, ListKind, faulty_body};
use super::model::{Appointment, SaleLine};
use super::{Faults, RequestRecord};

/// Path prefix of every API route (the `Region::Custom` base URL ends here).
pub(crate) const API_PREFIX: &str = "/third-party-api-server/api/business";
/// Path prefix of the unauthenticated CSV downloads.
pub(crate) const EXPORT_PREFIX: &str = "/temp-exports/";

/// A CSV export job.
struct Job {
    body: Value,
    polls_left: u32,
    csv: String,
    rows: usize,
}

/// Everything the sandbox mutates, behind one mutex (never held across an await).
pub(crate) struct State {
    pub(crate) salon: Salon,
    /// Bumped by every mutation; invalidates the client filter cache.
    pub(crate) generation: u64,
    client_cache: Option<(String, u64, Arc<Vec<u32>>)>,
    faults: Faults,
    fault_rng: StdRng,
    rate_limited_left: u32,
    pub(crate) log: Vec<RequestRecord>,
    jobs: HashMap<String, Job>,
    job_seq: u64,
    pub(crate) hostile: Hostile,
    hostile_rng: StdRng,
    /// Matching requests seen per request-targeted body fault.
    nth_seen: Vec<usize>,
    pub(crate) hostile_stats: HostileStats,
    hooks: Vec<PageHook>,
    /// List pages corrupted by [`Faults::corrupt_rate`] since start.
    pub(crate) corrupted_pages: usize,
}

/// A closure run on the salon after the n-th page of a list is served.
pub(crate) struct PageHook {
    pub(crate) list: ListKind,
    /// Pages of `list` still to be served before the hook runs.
    pub(crate) remaining: usize,
    pub(crate) run: Box<dyn FnOnce(&mut Salon) + Send>,
}

impl State {
    pub(crate) fn new(salon: Salon) -> Self {
        Self {
            salon,
            generation: 0,
            client_cache: None,
            faults: Faults::default(),
            fault_rng: StdRng::seed_from_u64(0),
            rate_limited_left: 0,
            log: Vec::new(),
            jobs: HashMap::new(),
            job_seq: 0,
            hostile: Hostile::default(),
            hostile_rng: StdRng::seed_from_u64(0),
            nth_seen: Vec::new(),
            hostile_stats: HostileStats::default(),
            hooks: Vec::new(),
            corrupted_pages: 0,
        }
    }

    pub(crate) fn set_hostile(&mut self, hostile: Hostile) {
        self.hostile_rng = StdRng::seed_from_u64(hostile.seed);
        self.nth_seen = vec![0; hostile.nth_faults.len()];
        self.hostile_stats = HostileStats::default();
        self.salon
            .set_loyalty_changes_keep_updated_at(hostile.loyalty_changes_keep_updated_at);
        self.hostile = hostile;
        // Filters may answer differently now (ignored flags): drop the client filter cache.
        self.generation += 1;
    }

    pub(crate) fn add_hook(&mut self, hook: PageHook) {
        self.hooks.push(hook);
    }

    /// A flag of the request, or `false` when the hostile modes ignore it.
    fn archived_deleted_flag(&self, q: &Query, name: &str) -> Result<bool, String> {
        let value = q.flag(name)?;
        Ok(value && !self.hostile.ignore_archived_deleted_flags)
    }

    pub(crate) fn set_faults(&mut self, faults: Faults) {
        self.fault_rng = StdRng::seed_from_u64(faults.seed);
        self.rate_limited_left = faults.rate_limit_requests;
        self.faults = faults;
    }
}

/// Locks the state, recovering from a poisoned mutex (a panicking test
/// closure must not take the whole sandbox down).
pub(crate) fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The single responder mounted on the mock server.
pub(crate) struct Handler {
    pub(crate) state: Arc<Mutex<State>>,
    /// The expected `Authorization` header value.
    pub(crate) authorization: String,
    /// The server's root URI (for `tempCsvExternalUrl`).
    pub(crate) uri: String,
}

/// A finished response before faults are applied.
pub(super) struct Reply {
    status: u16,
    body: Vec<u8>,
    content_type: &'static str,
    /// A list page (eligible for corruption).
    list: bool,
    /// The kind of records in the body (a list page or one record), for hostile rewrites.
    kind: Option<ListKind>,
    /// What hostile modes bent in this answer.
    hits: HostileStats,
}

impl Reply {
    /// A success with an empty body (some Phorest actions answer nothing).
    pub(super) fn empty(status: u16) -> Self {
        Self {
            body: Vec::new(),
            ..Self::json(status, &())
        }
    }

    pub(super) fn json(status: u16, value: &impl Serialize) -> Self {
        Self {
            status,
            body: serde_json::to_vec(value).unwrap_or_default(),
            content_type: "application/json",
            list: false,
            kind: None,
            hits: HostileStats::default(),
        }
    }
}

/// A Spring-style error body with Phorest's `errorCode`.
pub(super) fn error(status: u16, code: &str, message: &str, path: &str) -> Reply {
    let reason = match status {
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        405 => "Method Not Allowed",
        409 => "Conflict",
        429 => "Too Many Requests",
        503 => "Service Unavailable",
        _ => "Internal Server Error",
    };
    Reply::json(
        status,
        &json!({
            "timestamp": Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true),
            "status": status,
            "error": reason,
            "errorCode": code,
            "message": message,
            "path": path,
        }),
    )
}

pub(super) fn bad_request(message: &str, path: &str) -> Reply {
    error(400, "BAD_REQUEST", message, path)
}

/// Query parameters, as Spring sees them: unknown names are ignored.
pub(super) struct Query(Vec<(String, String)>);

impl Query {
    pub(super) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of a repeated (or comma-joined) parameter.
    pub(super) fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .flat_map(|(_, v)| v.split(','))
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .collect()
    }

    /// A boolean flag; absent → false; unparsable → error message.
    pub(super) fn flag(&self, name: &str) -> Result<bool, String> {
        match self.get(name).map(str::to_ascii_lowercase).as_deref() {
            None => Ok(false),
            Some("true" | "1" | "yes" | "on") => Ok(true),
            Some("false" | "0" | "no" | "off" | "") => Ok(false),
            Some(other) => Err(format!(
                "Invalid boolean value '{other}' for parameter '{name}'"
            )),
        }
    }

    pub(super) fn instant(&self, name: &str) -> Result<Option<DateTime<Utc>>, String> {
        self.get(name)
            .map(|v| {
                DateTime::parse_from_rfc3339(v)
                    .or_else(|_| DateTime::parse_from_str(v, "%Y-%m-%dT%H:%M:%S%.f%z"))
                    .map(|t| t.with_timezone(&Utc))
                    .map_err(|_| format!("Invalid date-time value '{v}' for parameter '{name}'"))
            })
            .transpose()
    }

    pub(super) fn date(&self, name: &str) -> Result<Option<NaiveDate>, String> {
        self.get(name)
            .map(|v| {
                NaiveDate::parse_from_str(v, "%Y-%m-%d")
                    .map_err(|_| format!("Invalid date value '{v}' for parameter '{name}'"))
            })
            .transpose()
    }

    /// `(page, size)` with Spring's rules: negative page → 0, size < 1 →
    /// default 20, size above the endpoint max → max.
    pub(super) fn paging(&self, max: usize) -> Result<(usize, usize), String> {
        let num = |name: &str| -> Result<Option<i64>, String> {
            self.get(name)
                .map(|v| {
                    v.parse::<i64>()
                        .map_err(|_| format!("Invalid value '{v}' for parameter '{name}'"))
                })
                .transpose()
        };
        let page = usize::try_from(num("page")?.unwrap_or(0).max(0)).unwrap_or(0);
        let size = match num("size")? {
            Some(s) if s >= 1 => usize::try_from(s).unwrap_or(max).min(max),
            _ => 20.min(max),
        };
        Ok((page, size))
    }

    /// The filter part (no paging) as a canonical cache key.
    fn filter_key(&self) -> String {
        let mut pairs: Vec<String> = self
            .0
            .iter()
            .filter(|(k, _)| k != "page" && k != "size")
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        pairs.sort();
        pairs.join("&")
    }
}

/// One page of the HAL envelope, after the list's hostile anomalies. `_embedded` is omitted
/// on empty pages, as Phorest does.
fn paged_by<'a, T: Serialize + 'a>(
    state: &State,
    kind: ListKind,
    len: usize,
    get: impl Fn(usize) -> Option<&'a T>,
    page: usize,
    size: usize,
) -> Reply {
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Meta {
        size: usize,
        total_elements: usize,
        total_pages: usize,
        number: usize,
    }
    #[derive(Serialize)]
    struct Envelope<'a, T> {
        #[serde(rename = "_embedded", skip_serializing_if = "Option::is_none")]
        embedded: Option<BTreeMap<&'a str, &'a [&'a T]>>,
        page: Meta,
    }
    let size = state
        .hostile
        .page_size_cap
        .map_or(size, |cap| size.min(cap));
    let plan = state.hostile.lists.get(&kind).map_or_else(
        || ListAnomalies::default().plan(len, page, size),
        |a| a.plan(len, page, size),
    );
    let items: Vec<&T> = plan.offsets.iter().filter_map(|&i| get(i)).collect();
    let envelope = Envelope {
        embedded: (!items.is_empty()).then(|| BTreeMap::from([(kind.key(), items.as_slice())])),
        page: Meta {
            size,
            total_elements: plan.total,
            total_pages: plan.total_pages,
            number: page,
        },
    };
    Reply {
        list: true,
        kind: Some(kind),
        hits: plan.hits,
        ..Reply::json(200, &envelope)
    }
}

/// Pages a fully filtered list.
pub(super) fn paged<T: Serialize>(
    state: &State,
    kind: ListKind,
    items: &[&T],
    page: usize,
    size: usize,
) -> Reply {
    paged_by(
        state,
        kind,
        items.len(),
        |i| items.get(i).copied(),
        page,
        size,
    )
}

/// `a <= t` and `t < b` for optional bounds.
fn within(t: DateTime<Utc>, from: Option<DateTime<Utc>>, to: Option<DateTime<Utc>>) -> bool {
    from.is_none_or(|f| t >= f) && to.is_none_or(|b| t < b)
}

impl Respond for Handler {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let path = request.url.path().to_owned();
        let method = request.method.as_str().to_owned();
        let query = Query(request.url.query_pairs().into_owned().collect());
        let mut state = lock(&self.state);

        let authorized = request
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v == self.authorization);
        let is_export = path.starts_with(EXPORT_PREFIX);
        let applies = state
            .faults
            .path_contains
            .as_deref()
            .is_none_or(|p| path.contains(p));

        let mut retry_after = None;
        let reply = if !is_export && !authorized {
            error(
                401,
                "UNAUTHORIZED",
                "Full authentication is required to access this resource",
                &path,
            )
        } else if applies && state.rate_limited_left > 0 {
            state.rate_limited_left -= 1;
            retry_after = state.faults.retry_after;
            error(
                429,
                "TOO_MANY_REQUESTS",
                "Request rate limit exceeded",
                &path,
            )
        } else if applies && chance(&mut state, |f| f.server_error_rate) {
            let status = if state.fault_rng.random_bool(0.5) {
                503
            } else {
                500
            };
            error(
                status,
                "INTERNAL_ERROR",
                "Unexpected error, please retry",
                &path,
            )
        } else if is_export {
            download(&state, &path)
        } else {
            route(&mut state, self, &method, &path, &query, &request.body)
        };
        let reply = if applies
            && reply.list
            && reply.status == 200
            && chance(&mut state, |f| f.corrupt_rate)
        {
            corrupt(&mut state, reply)
        } else {
            reply
        };
        let reply = hostile(&mut state, &path, reply);
        let delay =
            (applies && chance(&mut state, |f| f.slow_rate)).then_some(state.faults.slow_delay);

        tracing::trace!(%method, %path, status = reply.status, "phorest sandbox request");
        state.log.push(RequestRecord {
            method,
            path,
            query: request.url.query().map(str::to_owned),
            status: reply.status,
        });
        drop(state);

        let mut template =
            ResponseTemplate::new(reply.status).set_body_raw(reply.body, reply.content_type);
        if let Some(secs) = retry_after {
            template = template.insert_header("Retry-After", secs.to_string().as_str());
        }
        if let Some(delay) = delay {
            template = template.set_delay(delay);
        }
        template
    }
}

/// Applies the hostile modes to a finished answer: record rewrites, body faults, page hooks.
fn hostile(state: &mut State, path: &str, mut reply: Reply) -> Reply {
    let mut hits = std::mem::take(&mut reply.hits);
    if reply.status == 200
        && let Some(kind) = reply.kind
        && state.hostile.bends_records()
        && let Ok(mut value) = serde_json::from_slice::<Value>(&reply.body)
    {
        let mut bent = 0;
        if reply.list {
            let records = value
                .get_mut("_embedded")
                .and_then(Value::as_object_mut)
                .and_then(|m| m.values_mut().next())
                .and_then(Value::as_array_mut);
            for record in records.into_iter().flatten() {
                bent += u32::from(state.hostile.bend(kind, record));
            }
        } else {
            bent += u32::from(state.hostile.bend(kind, &mut value));
        }
        if bent > 0 {
            hits.records_bent += bent;
            reply.body = serde_json::to_vec(&value).unwrap_or_default();
        }
    }
    if reply.status == 200 && reply.content_type == "application/json" {
        let mut fault = None;
        for (i, rule) in state.hostile.nth_faults.iter().enumerate() {
            if path.contains(&rule.path_contains)
                && let Some(seen) = state.nth_seen.get_mut(i)
            {
                *seen += 1;
                if *seen == rule.nth {
                    fault = Some(rule.fault);
                }
            }
        }
        if fault.is_none()
            && let Some((filter, rate, rate_fault)) = state.hostile.fault_rate.clone()
            && filter.as_deref().is_none_or(|f| path.contains(f))
            && rate > 0.0
            && state.hostile_rng.random_bool(rate)
        {
            fault = Some(rate_fault);
        }
        if let Some(fault) = fault {
            let (body, content_type) = faulty_body(fault, &reply.body);
            reply.body = body;
            reply.content_type = content_type;
            hits.body_faults += 1;
        }
    }
    if reply.status == 200
        && reply.list
        && let Some(kind) = reply.kind
        && !state.hooks.is_empty()
    {
        let mut due = Vec::new();
        for (i, hook) in state.hooks.iter_mut().enumerate() {
            if hook.list == kind {
                hook.remaining = hook.remaining.saturating_sub(1);
                if hook.remaining == 0 {
                    due.push(i);
                }
            }
        }
        for i in due.into_iter().rev() {
            let hook = state.hooks.remove(i);
            (hook.run)(&mut state.salon);
            state.generation += 1;
            hits.hooks_run += 1;
        }
    }
    state.hostile_stats.add(&hits);
    reply
}

/// Draws the fault RNG against the fraction chosen by `rate`.
fn chance(state: &mut State, rate: impl Fn(&Faults) -> f64) -> bool {
    let p = rate(&state.faults).clamp(0.0, 1.0);
    p > 0.0 && state.fault_rng.random_bool(p)
}

/// Corrupts a list page: truncated JSON, a wrong field type, or an HTML body.
fn corrupt(state: &mut State, reply: Reply) -> Reply {
    state.corrupted_pages += 1;
    match state.fault_rng.random_range(0..3) {
        0 => {
            let cut = reply.body.len() / 2;
            Reply {
                body: reply.body.get(..cut).unwrap_or_default().to_vec(),
                ..reply
            }
        }
        1 => {
            let mut value: Value = serde_json::from_slice(&reply.body).unwrap_or(Value::Null);
            let first_item = value
                .get_mut("_embedded")
                .and_then(Value::as_object_mut)
                .and_then(|m| m.values_mut().next())
                .and_then(Value::as_array_mut)
                .and_then(|a| a.first_mut())
                .and_then(Value::as_object_mut);
            match first_item {
                // The id (first `…Id` field) becomes a number.
                Some(item) => {
                    if let Some((_, v)) = item.iter_mut().find(|(k, _)| k.ends_with("Id")) {
                        *v = json!(4711);
                    }
                }
                None => {
                    if let Some(page) = value.get_mut("page").and_then(Value::as_object_mut) {
                        page.insert("totalPages".to_owned(), json!("many"));
                    }
                }
            }
            Reply::json(200, &value)
        }
        _ => Reply {
            body: b"<html><body><h1>502 Bad Gateway</h1></body></html>".to_vec(),
            content_type: "text/html",
            ..reply
        },
    }
}

/// Serves a finished CSV export (no auth, like a pre-signed S3 URL).
fn download(state: &State, path: &str) -> Reply {
    let job_id = path
        .strip_prefix(EXPORT_PREFIX)
        .and_then(|rest| rest.split('/').next())
        .unwrap_or_default();
    match state.jobs.get(job_id) {
        Some(job) if job.body["jobStatus"] == "DONE" => Reply {
            body: job.csv.clone().into_bytes(),
            content_type: "text/csv",
            ..Reply::json(200, &())
        },
        _ => error(404, "NOT_FOUND", "The specified key does not exist.", path),
    }
}

fn route(
    state: &mut State,
    handler: &Handler,
    method: &str,
    path: &str,
    q: &Query,
    body: &[u8],
) -> Reply {
    let Some(rest) = path.strip_prefix(API_PREFIX) else {
        return error(404, "NOT_FOUND", "No handler found", path);
    };
    let segments: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
    let Some((&business, segments)) = segments.split_first() else {
        return error(404, "NOT_FOUND", "No handler found", path);
    };
    if business != state.salon.business_id() {
        return error(
            404,
            "BUSINESS_NOT_FOUND",
            "Business with a given id doesn't exist",
            path,
        );
    }
    let post = method == "POST";
    if method == "PUT" {
        return super::writes::route_put(state, segments, body, path);
    }
    if !post && method != "GET" {
        return error(
            405,
            "METHOD_NOT_ALLOWED",
            &format!("Request method '{method}' is not supported"),
            path,
        );
    }
    let result = match segments {
        ["branch", branch, tail @ ..] if !tail.is_empty() => {
            if !state
                .salon
                .branches()
                .iter()
                .any(|b| b.branch_id == *branch)
            {
                return error(
                    404,
                    "BRANCH_NOT_FOUND",
                    "Branch with a given id doesn't exist",
                    path,
                );
            }
            match (post, tail) {
                (false, ["staff"]) => staff(state, branch, q),
                (false, ["staff", "worktimetable"]) => {
                    super::diary::work_timetables(state, branch, q)
                }
                (false, ["break"]) => super::diary::breaks(state, branch, q),
                (false, ["course"]) => super::diary::courses(state, q),
                (false, ["staff", id]) => one(
                    ListKind::Staff,
                    state
                        .salon
                        .staff()
                        .iter()
                        .find(|s| s.staff_id == *id && s.branch_id == *branch),
                    "Staff with a given id doesn't exist",
                    path,
                ),
                (false, ["appointment"]) => appointments(state, branch, q),
                (false, ["appointment", id]) => one(
                    ListKind::Appointments,
                    state
                        .salon
                        .appointments()
                        .iter()
                        .find(|a| a.appointment_id == *id && a.branch_id == *branch),
                    "Appointment with a given id doesn't exist",
                    path,
                ),
                (false, ["service"]) => services(state, q),
                (false, ["service-category"]) => q.paging(200).map(|(page, size)| {
                    let all: Vec<_> = state.salon.service_categories().iter().collect();
                    paged(state, ListKind::ServiceCategories, &all, page, size)
                }),
                (false, ["product"]) => products(state, branch, q),
                (false, ["product", id]) => one(
                    ListKind::Products,
                    state
                        .salon
                        .products()
                        .iter()
                        .find(|p| p.product_id == *id && p.branch_id == *branch),
                    "Product with a given id doesn't exist",
                    path,
                ),
                (false, ["service", id]) => one(
                    ListKind::Services,
                    state.salon.services().iter().find(|s| s.service_id == *id),
                    "Service with a given id doesn't exist",
                    path,
                ),
                (false, ["review", id]) => one(
                    ListKind::Reviews,
                    state
                        .salon
                        .reviews()
                        .iter()
                        .find(|r| r.review_id == *id && r.branch_id == *branch),
                    "Review with a given id doesn't exist",
                    path,
                ),
                (false, ["review"]) => reviews(state, branch, q),
                (true, ["csvexportjob"]) => Ok(start_job(state, branch, body, path)),
                (false, ["csvexportjob", id]) => Ok(poll_job(state, handler, id, path)),
                (true, tail) => {
                    let branch = (*branch).to_owned();
                    return super::writes::route_branch_post(state, &branch, tail, body, path);
                }
                _ => return not_found(path),
            }
        }
        _ if post => return super::writes::route_business_post(state, segments, body, path),
        ["branch"] => q.paging(200).map(|(page, size)| {
            let all: Vec<_> = state.salon.branches().iter().collect();
            paged(state, ListKind::Branches, &all, page, size)
        }),
        ["client"] => clients(state, q),
        ["client", "walk-in"] => one(
            ListKind::Clients,
            state.salon.client(state.salon.walk_in_client_id()),
            "Client with a given id doesn't exist",
            path,
        ),
        ["client", id] => one(
            ListKind::Clients,
            state.salon.client(id),
            "Client with a given id doesn't exist",
            path,
        ),
        ["client-batch"] => client_batch(state, q),
        ["clientcourse"] => super::diary::client_courses(state, q),
        ["client", id, "service-history"] => {
            return super::diary::service_history(state, id, q, path);
        }
        ["category", "client"] => {
            state
                .archived_deleted_flag(q, "includeArchived")
                .and_then(|archived| {
                    let (page, size) = q.paging(200)?;
                    let all: Vec<_> = state
                        .salon
                        .client_categories()
                        .iter()
                        .filter(|c| archived || !c.archived)
                        .collect();
                    Ok(paged(state, ListKind::ClientCategories, &all, page, size))
                })
        }
        ["voucher"] => vouchers(state, q),
        ["voucher", id] => one(
            ListKind::Vouchers,
            state.salon.vouchers().iter().find(|v| v.voucher_id == *id),
            "Voucher with a given id doesn't exist",
            path,
        ),
        ["category", "client", id] => one(
            ListKind::ClientCategories,
            state
                .salon
                .client_categories()
                .iter()
                .find(|c| c.client_category_id == *id),
            "Client category with a given id doesn't exist",
            path,
        ),
        _ => return not_found(path),
    };
    result.unwrap_or_else(|message| bad_request(&message, path))
}

pub(super) fn not_found(path: &str) -> Reply {
    error(404, "NOT_FOUND", "No handler found", path)
}

pub(super) fn one<T: Serialize>(
    kind: ListKind,
    item: Option<&T>,
    missing: &str,
    path: &str,
) -> Result<Reply, String> {
    Ok(match item {
        Some(item) => Reply {
            kind: Some(kind),
            ..Reply::json(200, item)
        },
        None => error(404, "NOT_FOUND", missing, path),
    })
}

fn staff(state: &State, branch: &str, q: &Query) -> Result<Reply, String> {
    let archived = q.flag("fetch_archived")?;
    let (after, before) = (q.instant("updatedAfter")?, q.instant("updatedBefore")?);
    let (page, size) = q.paging(200)?;
    let all: Vec<_> = state
        .salon
        .staff()
        .iter()
        .filter(|s| s.branch_id == branch && !s.deleted && (archived || !s.archived))
        .filter(|s| within(s.updated_at, after, before))
        .collect();
    Ok(paged(state, ListKind::Staff, &all, page, size))
}

fn clients(state: &mut State, q: &Query) -> Result<Reply, String> {
    let archived = state.archived_deleted_flag(q, "includeArchived")?;
    let deleted = state.archived_deleted_flag(q, "includeDeleted")?;
    let (after, before) = (q.instant("updatedAfter")?, q.instant("updatedBefore")?);
    let email = q.get("email").map(|e| e.trim().to_lowercase());
    let phone = q.get("phone").map(str::trim);
    let (first, last) = (q.get("firstName"), q.get("lastName"));
    let external = q.get("externalId");
    let (page, size) = q.paging(200)?;
    let key = q.filter_key();
    let cached = state
        .client_cache
        .as_ref()
        .filter(|(k, generation, _)| *k == key && *generation == state.generation)
        .map(|(_, _, ids)| Arc::clone(ids));
    let ids = match cached {
        Some(ids) => ids,
        None => {
            let ids: Vec<u32> = state
                .salon
                .clients()
                .iter()
                .enumerate()
                .filter(|(_, c)| (archived || !c.archived) && (deleted || !c.deleted))
                .filter(|(_, c)| within(c.updated_at, after, before))
                .filter(|(_, c)| {
                    email.as_deref().is_none_or(|e| {
                        c.email
                            .as_deref()
                            .is_some_and(|ce| ce.trim().to_lowercase() == e)
                    })
                })
                .filter(|(_, c)| phone.is_none_or(|p| c.mobile.as_deref() == Some(p)))
                .filter(|(_, c)| first.is_none_or(|f| name_matches(f, &c.first_name)))
                .filter(|(_, c)| last.is_none_or(|l| name_matches(l, &c.last_name)))
                .filter(|(_, c)| external.is_none_or(|e| c.external_id.as_deref() == Some(e)))
                .filter_map(|(i, _)| u32::try_from(i).ok())
                .collect();
            let ids = Arc::new(ids);
            state.client_cache = Some((key, state.generation, Arc::clone(&ids)));
            ids
        }
    };
    let all = state.salon.clients();
    Ok(paged_by(
        state,
        ListKind::Clients,
        ids.len(),
        |i| ids.get(i).and_then(|&j| all.get(j as usize)),
        page,
        size,
    ))
}

fn client_batch(state: &State, q: &Query) -> Result<Reply, String> {
    let ids = q.all("client_id");
    if ids.is_empty() || ids.len() > 100 {
        return Err("client_id must hold between 1 and 100 ids".to_owned());
    }
    let found: Vec<_> = ids.iter().filter_map(|id| state.salon.client(id)).collect();
    let (page, size) = q.paging(100)?;
    Ok(paged(state, ListKind::ClientBatch, &found, page, size))
}

fn appointments(state: &State, branch: &str, q: &Query) -> Result<Reply, String> {
    let (Some(from), Some(to)) = (q.date("from_date")?, q.date("to_date")?) else {
        return Err("Parameters from_date and to_date are required".to_owned());
    };
    if to < from {
        return Err("to_date must not be before from_date".to_owned());
    }
    if (to - from).num_days() > 30 {
        return Err("Maximum one month date range is allowed".to_owned());
    }
    let canceled = q.flag("fetch_canceled")?;
    let deleted = q.flag("fetch_deleted")?;
    let archived = q.flag("fetch_archived")?;
    let (updated_from, updated_to) = (q.instant("updated_from")?, q.instant("updated_to")?);
    let (staff_id, client_id) = (q.get("staff_id"), q.get("client_id"));
    let (page, size) = q.paging(100)?;
    let mut all: Vec<_> = state
        .salon
        .appointments()
        .iter()
        .filter(|a| a.branch_id == branch && a.appointment_date >= from && a.appointment_date <= to)
        .filter(|a| canceled || a.activation_state != "CANCELED")
        .filter(|a| archived || a.activation_state != "ARCHIVED")
        .filter(|a| deleted || !a.deleted)
        .filter(|a| within(a.updated_at, updated_from, updated_to))
        .filter(|a| staff_id.is_none_or(|s| a.staff_id == s))
        .filter(|a| client_id.is_none_or(|c| a.client_id == c))
        .collect();
    sort_appointments(
        &mut all,
        q.get("sort"),
        updated_from.or(updated_to).is_some(),
    )?;
    Ok(paged(state, ListKind::Appointments, &all, page, size))
}

/// Spring's `sort=property[,asc|desc]`; without it, creation order, or
/// update order for updated-range queries (as Phorest documents).
fn sort_appointments(
    rows: &mut [&Appointment],
    sort: Option<&str>,
    updated_range: bool,
) -> Result<(), String> {
    let Some(sort) = sort else {
        if updated_range {
            rows.sort_by_key(|a| a.updated_at);
        }
        return Ok(());
    };
    let (property, direction) = sort.split_once(',').unwrap_or((sort, "asc"));
    match property.trim() {
        "appointmentDate" | "startTime" => rows.sort_by_key(|a| (a.appointment_date, a.start_time)),
        "createdAt" => rows.sort_by_key(|a| a.created_at),
        "updatedAt" => rows.sort_by_key(|a| a.updated_at),
        other => {
            return Err(format!(
                "No property '{other}' found for type 'Appointment'"
            ));
        }
    }
    match direction.trim().to_ascii_lowercase().as_str() {
        "asc" => Ok(()),
        "desc" => {
            rows.reverse();
            Ok(())
        }
        other => Err(format!("Invalid sort direction '{other}'")),
    }
}

fn services(state: &State, q: &Query) -> Result<Reply, String> {
    let (plain, addons) = match q.get("service_type") {
        None | Some("services_only") => (true, false),
        Some("addons_only") => (false, true),
        Some("services_and_addons") => (true, true),
        Some(other) => {
            return Err(format!(
                "Invalid value '{other}' for parameter 'service_type'"
            ));
        }
    };
    let category = q.get("category_id");
    let (page, size) = q.paging(200)?;
    let all: Vec<_> = state
        .salon
        .services()
        .iter()
        .filter(|s| if s.is_addon_only { addons } else { plain })
        .filter(|s| category.is_none_or(|c| s.category_id == c))
        .collect();
    Ok(paged(state, ListKind::Services, &all, page, size))
}

fn products(state: &State, branch: &str, q: &Query) -> Result<Reply, String> {
    let archived = state.archived_deleted_flag(q, "includeArchived")?;
    let (after, before) = match (q.instant("updatedAfter")?, q.instant("updatedBefore")?) {
        (Some(a), Some(b)) => (Some(a), Some(b)),
        (None, None) => (None, None),
        _ => return Err("Both updatedAfter and updatedBefore must be provided".to_owned()),
    };
    let product_type = q.get("productType");
    let search = q.get("searchQuery").map(|s| s.trim().to_lowercase());
    let (page, size) = q.paging(200)?;
    let all: Vec<_> = state
        .salon
        .products()
        .iter()
        .filter(|p| p.branch_id == branch && (archived || !p.archived))
        .filter(|p| within(p.updated_at, after, before))
        .filter(|p| product_type.is_none_or(|t| p.product_type == t))
        .filter(|p| {
            search.as_deref().is_none_or(|s| {
                p.name.to_lowercase().contains(s) || p.barcode.as_deref() == Some(s)
            })
        })
        .collect();
    Ok(paged(state, ListKind::Products, &all, page, size))
}

fn reviews(state: &State, branch: &str, q: &Query) -> Result<Reply, String> {
    let client = q.get("clientId");
    let day = q.date("reviewDate")?;
    let (page, size) = q.paging(200)?;
    let all: Vec<_> = state
        .salon
        .reviews()
        .iter()
        .filter(|r| r.branch_id == branch)
        .filter(|r| client.is_none_or(|c| r.client_id == c))
        .filter(|r| day.is_none_or(|d| r.review_date == d))
        .collect();
    Ok(paged(state, ListKind::Reviews, &all, page, size))
}

fn vouchers(state: &State, q: &Query) -> Result<Reply, String> {
    let used = q.flag("includeUsed")?;
    let client = q.get("clientId");
    let serial = q.get("serialNumber");
    let (page, size) = q.paging(200)?;
    let all: Vec<_> = state
        .salon
        .vouchers()
        .iter()
        .filter(|v| used || v.remaining_balance > 0.0)
        .filter(|v| client.is_none_or(|c| v.client_id.as_deref() == Some(c)))
        .filter(|v| serial.is_none_or(|s| v.serial_number == s))
        .collect();
    Ok(paged(state, ListKind::Vouchers, &all, page, size))
}

/// Phorest's name filter: exact (case-insensitive, trimmed), or a prefix
/// with the `~Jo%` syntax.
fn name_matches(pattern: &str, value: &str) -> bool {
    let value = value.trim().to_lowercase();
    match pattern.strip_prefix('~').and_then(|p| p.strip_suffix('%')) {
        Some(prefix) => value.starts_with(&prefix.trim().to_lowercase()),
        None => value == pattern.trim().to_lowercase(),
    }
}

/// The `TRANSACTIONS_CSV` columns the sandbox fills (a subset of Phorest's).
const CSV_COLUMNS: &[&str] = &[
    "transaction_id",
    "transaction_item_id",
    "branch_id",
    "branch_name",
    "client_id",
    "client_first_name",
    "client_last_name",
    "client_source",
    "purchased_date",
    "purchase_time",
    "item_type",
    "description",
    "quantity",
    "service_id",
    "service_name",
    "service_category_id",
    "service_category_name",
    "product_id",
    "product_name",
    "product_brand_id",
    "product_brand_name",
    "product_category_id",
    "product_category_name",
    "product_barcode",
    "product_code",
    "voucher_serial",
    "unit_price",
    "original_price",
    "discount_amount",
    "loyalty_points_awarded",
    "tax_rate",
    "total_amount",
    "net_total_amount",
    "gross_total_amount",
    "tax_amount",
    "staff_tips",
    "payment_type",
    "staff_id",
    "staff_first_name",
    "staff_last_name",
];

fn money(v: f64) -> String {
    format!("{v:.2}")
}

/// One CSV record for a sale line, joined with the salon's names.
fn csv_record(salon: &Salon, line: &SaleLine) -> Vec<String> {
    let branch = salon
        .branches()
        .iter()
        .find(|b| b.branch_id == line.branch_id);
    let client = salon.client(&line.client_id);
    let product = line
        .product_id
        .as_deref()
        .and_then(|id| salon.products().iter().find(|p| p.product_id == id));
    let service = line
        .service_id
        .as_deref()
        .and_then(|id| salon.services().iter().find(|s| s.service_id == id));
    let category = service.and_then(|s| {
        salon
            .service_categories()
            .iter()
            .find(|c| c.category_id == s.category_id)
    });
    let staff = line
        .staff_id
        .as_deref()
        .and_then(|id| salon.staff().iter().find(|s| s.staff_id == id));
    let opt = |v: Option<&String>| v.cloned().unwrap_or_default();
    let tax_rate = 0.23;
    let net = line.total_amount / (1.0 + tax_rate);
    vec![
        line.transaction_id.clone(),
        line.transaction_item_id.clone(),
        line.branch_id.clone(),
        branch.map(|b| b.name.clone()).unwrap_or_default(),
        line.client_id.clone(),
        client.map(|c| c.first_name.clone()).unwrap_or_default(),
        client.map(|c| c.last_name.clone()).unwrap_or_default(),
        "EXISTING".to_owned(),
        line.purchased_date.format("%Y-%m-%d").to_string(),
        line.purchase_time.format("%H:%M:%S").to_string(),
        line.item_type.clone(),
        line.description.clone(),
        format!("{}", line.quantity),
        opt(line.service_id.as_ref()),
        service.map(|s| s.name.clone()).unwrap_or_default(),
        category.map(|c| c.category_id.clone()).unwrap_or_default(),
        category.map(|c| c.name.clone()).unwrap_or_default(),
        opt(line.product_id.as_ref()),
        product.map(|p| p.name.clone()).unwrap_or_default(),
        opt(product.and_then(|p| p.brand_id.as_ref())),
        opt(product.and_then(|p| p.brand_name.as_ref())),
        opt(product.and_then(|p| p.category_id.as_ref())),
        opt(product.and_then(|p| p.category_name.as_ref())),
        opt(product.and_then(|p| p.barcode.as_ref())),
        opt(product.and_then(|p| p.code.as_ref())),
        String::new(),
        money(line.unit_price),
        money(line.unit_price),
        money(0.0),
        format!("{}", line.loyalty_points_awarded),
        money(tax_rate * 100.0),
        money(line.total_amount),
        money(net),
        money(line.total_amount),
        money(line.total_amount - net),
        money(0.0),
        line.payment_type.clone(),
        opt(line.staff_id.as_ref()),
        staff.map(|s| s.first_name.clone()).unwrap_or_default(),
        staff.map(|s| s.last_name.clone()).unwrap_or_default(),
    ]
}

/// The CSV text of a branch's sale lines between two dates (inclusive) whose sale instant
/// (a line's only time: the sandbox does not model edits) is within the `filterExpression`
/// bounds.
fn transactions_csv(
    salon: &Salon,
    branch: &str,
    from: NaiveDate,
    to: NaiveDate,
    (after, before): (Option<DateTime<Utc>>, Option<DateTime<Utc>>),
) -> (String, usize) {
    use chrono::TimeZone as _;
    let tz = salon.time_zone();
    let instant = |l: &SaleLine| {
        tz.from_local_datetime(&l.purchased_date.and_time(l.purchase_time))
            .earliest()
            .map(|t| t.with_timezone(&Utc))
    };
    let in_bounds = |l: &SaleLine| {
        instant(l).is_none_or(|t| after.is_none_or(|a| t >= a) && before.is_none_or(|b| t <= b))
    };
    let mut writer = csv::Writer::from_writer(Vec::new());
    let mut rows = 0;
    let mut ok = writer.write_record(CSV_COLUMNS).is_ok();
    for line in salon
        .sales()
        .iter()
        .filter(|l| l.branch_id == branch && l.purchased_date >= from && l.purchased_date <= to)
        .filter(|l| in_bounds(l))
    {
        ok &= writer.write_record(csv_record(salon, line)).is_ok();
        rows += 1;
    }
    let bytes = writer.into_inner().unwrap_or_default();
    if !ok {
        tracing::warn!("sandbox: failed to write a CSV record");
    }
    (String::from_utf8(bytes).unwrap_or_default(), rows)
}

fn start_job(state: &mut State, branch: &str, body: &[u8], path: &str) -> Reply {
    let Ok(request) = serde_json::from_slice::<Value>(body) else {
        return bad_request("Malformed JSON request body", path);
    };
    let job_type = request
        .get("jobType")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let date = |key: &str| {
        request
            .get(key)
            .and_then(Value::as_str)
            .and_then(|v| NaiveDate::parse_from_str(v, "%Y-%m-%d").ok())
    };
    let (from, to) = (date("startFilter"), date("finishFilter"));
    let expression = request
        .get("filterExpression")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let bounds = match expression.as_deref().map(super::diary::updated_bounds) {
        None => (None, None),
        Some(Ok(b)) => b,
        Some(Err(message)) => return bad_request(&message, path),
    };
    let (csv, rows) = match job_type.as_str() {
        "TRANSACTIONS_CSV" => {
            let (Some(from), Some(to)) = (from, to) else {
                return bad_request(
                    "startFilter and finishFilter (yyyy-MM-dd) are required",
                    path,
                );
            };
            if to < from {
                return bad_request("finishFilter must not be before startFilter", path);
            }
            let (mut csv, rows) = transactions_csv(&state.salon, branch, from, to, bounds);
            if state.hostile.malformed_sales_rows {
                let width = CSV_COLUMNS.len();
                let quantity = CSV_COLUMNS.iter().position(|c| *c == "quantity");
                // One cell too many, then a quantity that is not a number.
                csv.push_str(&vec!["x"; width + 1].join(","));
                csv.push('\n');
                let bad: Vec<&str> = (0..width)
                    .map(|i| if Some(i) == quantity { "lots" } else { "" })
                    .collect();
                csv.push_str(&bad.join(","));
                csv.push('\n');
            }
            (csv, rows)
        }
        "CLIENT_CSV" => super::diary::clients_csv(&state.salon, bounds),
        other => return bad_request(&format!("Unsupported jobType '{other}'"), path),
    };
    state.job_seq += 1;
    let job_id = format!("job-{}-{}", state.salon.business_id(), state.job_seq);
    let body = json!({
        "jobId": job_id,
        "jobType": job_type,
        "jobStatus": "IN_PROGRESS",
        "started": millis(Utc::now()).to_rfc3339_opts(SecondsFormat::Millis, true),
        "finished": null,
        "startFilter": from.map(|d| d.to_string()),
        "finishFilter": to.map(|d| d.to_string()),
        "filterExpression": request.get("filterExpression").cloned().unwrap_or(Value::Null),
        "totalRows": null,
        "succeededRows": null,
        "tempCsvExternalUrl": null,
        "failureReason": null,
    });
    let reply = Reply::json(201, &body);
    // IN_PROGRESS once or twice (alternating), then DONE.
    let polls_left = 1 + u32::from(state.job_seq.is_multiple_of(2));
    state.jobs.insert(
        job_id,
        Job {
            body,
            polls_left,
            csv,
            rows,
        },
    );
    reply
}

fn poll_job(state: &mut State, handler: &Handler, job_id: &str, path: &str) -> Reply {
    let Some(job) = state.jobs.get_mut(job_id) else {
        return error(
            404,
            "NOT_FOUND",
            "Csv export job with a given id doesn't exist",
            path,
        );
    };
    if job.polls_left > 0 {
        job.polls_left -= 1;
    } else if job.body["jobStatus"] == "IN_PROGRESS" {
        let finished = millis(Utc::now()).to_rfc3339_opts(SecondsFormat::Millis, true);
        job.body["finished"] = json!(finished);
        job.body["totalRows"] = json!(job.rows);
        if job.rows == 0 {
            job.body["jobStatus"] = json!("FAILED");
            job.body["failureReason"] = json!("No records found");
        } else {
            job.body["jobStatus"] = json!("DONE");
            job.body["succeededRows"] = json!(job.rows);
            job.body["tempCsvExternalUrl"] = json!(format!(
                "{}{EXPORT_PREFIX}{job_id}/transactions.csv?X-Amz-Expires=3600&X-Amz-Signature=sandbox",
                handler.uri
            ));
        }
    }
    Reply::json(200, &job.body)
}
