//! One catch-all `wiremock` responder: routing, auth, scopes, versions, limits and faults.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde_json::{Map, Value};
use wiremock::{Request, Respond, ResponseTemplate};

use super::reply::{self, Body, Outcome, Reply};
use super::state::{Limits, RecordedRequest, State};
use super::{calendars, catalog, contacts, location, oauth};

/// `Version` header of contacts, users, locations, custom fields and products.
pub(crate) const V_CONTACTS: &str = "2021-07-28";
/// `Version` header of calendars and calendar events.
pub(crate) const V_CALENDARS: &str = "2021-04-15";

/// Every route the sandbox serves, with its path parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Route {
    ContactCreate,
    ContactUpsert,
    ContactSearch,
    ContactDuplicate,
    ContactGet(String),
    ContactUpdate(String),
    ContactDelete(String),
    ContactAppointments(String),
    TagsAdd(String),
    TagsRemove(String),
    TagsBulk(String),
    NoteCreate(String),
    NoteList(String),
    NoteUpdate(String, String),
    NoteDelete(String, String),
    CalendarList,
    CalendarGet(String),
    AppointmentCreate,
    AppointmentUpdate(String),
    AppointmentGet(String),
    EventDelete(String),
    EventList,
    UserList,
    UserSearch,
    LocationGet(String),
    CustomFieldList(String),
    CustomFieldCreate(String),
    ProductCreate,
    ProductList,
    ProductGet(String),
    ProductUpdate(String),
    ProductDelete(String),
    PriceCreate(String),
    PriceUpdate(String, String),
    PriceList(String),
    OAuthToken,
}

impl Route {
    pub(crate) fn parse(method: &str, path: &str) -> Option<Self> {
        let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        let id = |s: &&str| (*s).to_owned();
        Some(match (method, segs.as_slice()) {
            ("POST", ["oauth", "token"]) => Self::OAuthToken,
            ("POST", ["contacts"]) => Self::ContactCreate,
            ("POST", ["contacts", "upsert"]) => Self::ContactUpsert,
            ("POST", ["contacts", "search"]) => Self::ContactSearch,
            ("POST", ["contacts", "bulk", "tags", "update", t]) => Self::TagsBulk(id(t)),
            ("GET", ["contacts", "search", "duplicate"]) => Self::ContactDuplicate,
            ("GET", ["contacts", c]) => Self::ContactGet(id(c)),
            ("PUT", ["contacts", c]) => Self::ContactUpdate(id(c)),
            ("DELETE", ["contacts", c]) => Self::ContactDelete(id(c)),
            ("GET", ["contacts", c, "appointments"]) => Self::ContactAppointments(id(c)),
            ("POST", ["contacts", c, "tags"]) => Self::TagsAdd(id(c)),
            ("DELETE", ["contacts", c, "tags"]) => Self::TagsRemove(id(c)),
            ("POST", ["contacts", c, "notes"]) => Self::NoteCreate(id(c)),
            ("GET", ["contacts", c, "notes"]) => Self::NoteList(id(c)),
            ("PUT", ["contacts", c, "notes", n]) => Self::NoteUpdate(id(c), id(n)),
            ("DELETE", ["contacts", c, "notes", n]) => Self::NoteDelete(id(c), id(n)),
            ("GET", ["calendars"]) => Self::CalendarList,
            ("GET", ["calendars", "events"]) => Self::EventList,
            ("POST", ["calendars", "events", "appointments"]) => Self::AppointmentCreate,
            ("PUT", ["calendars", "events", "appointments", a]) => Self::AppointmentUpdate(id(a)),
            ("GET", ["calendars", "events", "appointments", a]) => Self::AppointmentGet(id(a)),
            ("DELETE", ["calendars", "events", e]) => Self::EventDelete(id(e)),
            ("GET", ["calendars", c]) => Self::CalendarGet(id(c)),
            ("GET", ["users"]) => Self::UserList,
            ("GET", ["users", "search"]) => Self::UserSearch,
            ("GET", ["locations", l]) => Self::LocationGet(id(l)),
            ("GET", ["locations", l, "customFields"]) => Self::CustomFieldList(id(l)),
            ("POST", ["locations", l, "customFields"]) => Self::CustomFieldCreate(id(l)),
            ("POST", ["products"]) => Self::ProductCreate,
            ("GET", ["products"]) => Self::ProductList,
            ("GET", ["products", p]) => Self::ProductGet(id(p)),
            ("PUT", ["products", p]) => Self::ProductUpdate(id(p)),
            ("DELETE", ["products", p]) => Self::ProductDelete(id(p)),
            ("POST", ["products", p, "price"]) => Self::PriceCreate(id(p)),
            ("GET", ["products", p, "price"]) => Self::PriceList(id(p)),
            ("PUT", ["products", p, "price", pr]) => Self::PriceUpdate(id(p), id(pr)),
            _ => return None,
        })
    }

    /// The scope a token needs for this route.
    pub(crate) fn scope(&self) -> &'static str {
        use Route::*;
        match self {
            ContactCreate | ContactUpsert | ContactUpdate(_) | ContactDelete(_) | TagsAdd(_)
            | TagsRemove(_) | TagsBulk(_) | NoteCreate(_) | NoteUpdate(..) | NoteDelete(..) => {
                "contacts.write"
            }
            ContactSearch
            | ContactDuplicate
            | ContactGet(_)
            | NoteList(_)
            | ContactAppointments(_) => "contacts.readonly",
            CalendarList | CalendarGet(_) => "calendars.readonly",
            AppointmentCreate | AppointmentUpdate(_) | EventDelete(_) => "calendars/events.write",
            AppointmentGet(_) | EventList => "calendars/events.readonly",
            UserList | UserSearch => "users.readonly",
            LocationGet(_) => "locations.readonly",
            CustomFieldList(_) => "locations/customFields.readonly",
            CustomFieldCreate(_) => "locations/customFields.write",
            ProductCreate | ProductUpdate(_) | ProductDelete(_) => "products.write",
            ProductList | ProductGet(_) => "products.readonly",
            PriceCreate(_) | PriceUpdate(..) => "products/prices.write",
            PriceList(_) => "products/prices.readonly",
            OAuthToken => "",
        }
    }

    /// The `Version` header this route requires.
    pub(crate) fn version(&self) -> &'static str {
        use Route::*;
        match self {
            CalendarList | CalendarGet(_) | AppointmentCreate | AppointmentUpdate(_)
            | AppointmentGet(_) | EventDelete(_) | EventList => V_CALENDARS,
            _ => V_CONTACTS,
        }
    }

    /// The query parameters the route declares in GHL's OpenAPI; any other one is refused with
    /// 422 "property X should not exist", as GHL is reported to do.
    pub(crate) fn query_params(&self) -> &'static [&'static str] {
        use Route::*;
        match self {
            ContactDuplicate => &["locationId", "number", "email"],
            CalendarList => &["locationId", "groupId", "showDrafted"],
            EventList => &[
                "locationId",
                "userId",
                "calendarId",
                "groupId",
                "startTime",
                "endTime",
            ],
            UserList => &["locationId"],
            UserSearch => &[
                "companyId",
                "query",
                "skip",
                "limit",
                "locationId",
                "type",
                "role",
                "ids",
                "sort",
                "sortDirection",
                "enabled2waySync",
            ],
            CustomFieldList(_) => &["model"],
            ProductList => &[
                "limit",
                "offset",
                "locationId",
                "search",
                "collectionIds",
                "collectionSlug",
                "expand",
                "productIds",
                "storeId",
                "includedInStore",
                "availableInStore",
                "sortOrder",
            ],
            ProductGet(_) | ProductDelete(_) => &["locationId", "sendWishlistStatus"],
            PriceList(_) => &["limit", "offset", "locationId", "ids"],
            _ => &[],
        }
    }

    /// Whether the route changes state.
    pub(crate) fn is_write(&self) -> bool {
        use Route::*;
        !matches!(
            self,
            ContactSearch
                | ContactDuplicate
                | ContactGet(_)
                | ContactAppointments(_)
                | NoteList(_)
                | CalendarList
                | CalendarGet(_)
                | AppointmentGet(_)
                | EventList
                | UserList
                | UserSearch
                | LocationGet(_)
                | CustomFieldList(_)
                | ProductList
                | ProductGet(_)
                | PriceList(_)
                | OAuthToken
        )
    }
}

/// What a handler gets besides the state: the caller's location, the query and the JSON body.
#[derive(Debug)]
pub(crate) struct Ctx {
    pub(crate) location_id: String,
    pub(crate) query: Vec<(String, String)>,
    body: Option<Value>,
}

impl Ctx {
    /// A context for direct (non-HTTP) calls such as seeding.
    pub(crate) fn new(location_id: String, body: Value) -> Self {
        Self {
            location_id,
            query: Vec::new(),
            body: Some(body),
        }
    }

    /// A query parameter.
    pub(crate) fn query(&self, key: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The body as a JSON object, or a 400 like NestJS's body parser.
    pub(crate) fn body(&self) -> Result<&Map<String, Value>, Reply> {
        match &self.body {
            Some(Value::Object(map)) => Ok(map),
            Some(_) => Err(reply::error(400, "Request body must be a JSON object")),
            None => Err(reply::error(
                400,
                "Request body is missing or is not valid JSON",
            )),
        }
    }

    /// Checks a `locationId` the caller sent against the token's location.
    pub(crate) fn check_location(&self, sent: Option<&str>) -> Result<(), Reply> {
        match sent {
            None | Some("") => Err(reply::invalid("locationId should not be empty")),
            Some(loc) if loc == self.location_id => Ok(()),
            Some(_) => Err(reply::forbidden_location()),
        }
    }

    /// `locationId` from the query, checked.
    pub(crate) fn query_location(&self) -> Result<(), Reply> {
        self.check_location(self.query("locationId"))
    }

    /// `locationId` from the body, checked.
    pub(crate) fn body_location(&self) -> Result<(), Reply> {
        self.check_location(self.body()?.get("locationId").and_then(Value::as_str))
    }
}

/// The responder mounted on the mock server.
pub(crate) struct Router {
    pub(crate) state: Arc<Mutex<State>>,
}

/// Locks the state, recovering from a poisoned lock (a panicking test must not wedge others).
pub(crate) fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Respond for Router {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let mut state = lock(&self.state);
        let (reply, delay) = state.process(request);
        drop(state);
        let mut template = ResponseTemplate::new(reply.status);
        for (name, value) in &reply.headers {
            template = template.insert_header(*name, value.as_str());
        }
        template = match reply.body {
            Body::Json(value) => template.set_body_json(value),
            Body::Html(html) => template.set_body_raw(html, "text/html"),
        };
        match delay {
            Some(delay) => template.set_delay(delay),
            None => template,
        }
    }
}

fn header<'r>(request: &'r Request, name: &str) -> Option<&'r str> {
    request.headers.get(name).and_then(|v| v.to_str().ok())
}

impl State {
    /// Handles one request end to end and records it.
    fn process(&mut self, request: &Request) -> (Reply, Option<Duration>) {
        let now = Instant::now();
        let method = request.method.as_str().to_owned();
        let path = request.url.path().to_owned();
        let route = Route::parse(&method, &path);
        // Like NestJS, only a JSON content type gets its body parsed.
        let body = header(request, "content-type")
            .filter(|ct| ct.starts_with("application/json"))
            .and_then(|_| serde_json::from_slice::<Value>(&request.body).ok());
        let (reply, location) = match &route {
            None => match super::generic::find(&method, &path) {
                Some(matched) => self.generic(&matched, request, body.as_ref(), now),
                None => (reply::error(404, format!("Cannot {method} {path}")), None),
            },
            Some(Route::OAuthToken) => (oauth::token(self, request), None),
            Some(route) => self.api(route, request, body.clone(), now),
        };
        let mut reply = reply;
        let headers_location = location
            .clone()
            .unwrap_or_else(|| self.default_location().to_owned());
        let limits = Limits::of(&self.config);
        if let Some(loc) = self.location_mut(&headers_location) {
            reply.headers.extend(loc.limiter.headers(now, limits));
        }
        if reply.status == 429 {
            self.rate_limited += 1;
        }
        let delay = (self.faults.slow_rate > 0.0 && self.draw() < self.faults.slow_rate)
            .then_some(self.faults.slow_delay);
        tracing::debug!(
            method = %method,
            path = %path,
            status = reply.status,
            "GHL sandbox request"
        );
        self.requests.push(RecordedRequest {
            method,
            path,
            query: request.url.query().map(str::to_owned),
            status: reply.status,
            write: route
                .as_ref()
                .map_or(request.method.as_str() != "GET", Route::is_write),
            location_id: location,
            body: body.filter(|_| self.config.record_bodies),
        });
        (reply, delay)
    }

    /// The API pipeline: faults, token, rate limit, version, scope, handler.
    fn api(
        &mut self,
        route: &Route,
        request: &Request,
        body: Option<Value>,
        now: Instant,
    ) -> (Reply, Option<String>) {
        if let Some(left) = self.expire_countdown {
            if left == 0 {
                self.expire_all_tokens();
                self.expire_countdown = None;
            } else {
                self.expire_countdown = Some(left - 1);
            }
        }
        if self.storm_left > 0 {
            self.storm_left -= 1;
            let interval = self.config.rate_limit_interval.as_millis();
            return (reply::too_many(interval), None);
        }
        let bearer = header(request, "authorization")
            .and_then(|h| h.strip_prefix("Bearer "))
            .map(str::trim);
        let Some(token) = bearer.and_then(|t| self.tokens.get(t)).cloned() else {
            return (reply::invalid_jwt(), None);
        };
        if token.expires_at.is_some_and(|at| Instant::now() >= at) {
            return (reply::invalid_jwt(), None);
        }
        let location = token.location_id.clone();
        let limits = Limits::of(&self.config);
        if let Some(loc) = self.location_mut(&location)
            && let Err(wait_ms) = loc.limiter.admit(now, limits)
        {
            return (reply::too_many(wait_ms), Some(location));
        }
        let expected = route.version();
        match header(request, "version") {
            Some(v) if v == expected => {}
            Some(_) => {
                return (
                    reply::error(
                        400,
                        format!(
                            "Invalid version header; this endpoint expects Version: {expected}"
                        ),
                    ),
                    Some(location),
                );
            }
            None => {
                return (
                    reply::error(400, "version header was not found"),
                    Some(location),
                );
            }
        }
        if !token.scopes.contains(route.scope()) {
            return (reply::missing_scope(), Some(location));
        }
        let declared = route.query_params();
        let mut undeclared: Vec<String> = Vec::new();
        for (key, _) in request.url.query_pairs() {
            let message = format!("property {key} should not exist");
            if !declared.contains(&key.as_ref()) && !undeclared.contains(&message) {
                undeclared.push(message);
            }
        }
        if !undeclared.is_empty() {
            return (reply::validation(undeclared), Some(location));
        }
        if self.faults.server_error_rate > 0.0
            && (route.is_write() || !self.faults.writes_only)
            && self.draw() < self.faults.server_error_rate
        {
            let kind = super::ids::splitmix(&mut self.fault_rng);
            return (reply::server_error(kind), Some(location));
        }
        let ctx = Ctx {
            location_id: location.clone(),
            query: request.url.query_pairs().into_owned().collect(),
            body,
        };
        let before = super::webhooks::before(self, route, &ctx);
        let outcome = self.dispatch(route, &ctx);
        if let Ok(reply) = &outcome {
            // Applied writes send their webhooks, even when answered with an injected 500.
            super::webhooks::after(self, route, &ctx, before, reply);
        }
        let reply = match outcome {
            Ok(reply) if route.is_write() && self.fail_after_apply_left > 0 => {
                self.fail_after_apply_left -= 1;
                drop(reply);
                reply::error(500, "Internal server error")
            }
            Ok(reply) | Err(reply) => reply,
        };
        (reply, Some(location))
    }

    /// An operation of the facts files without a hand-written route: the same token, rate
    /// limit, `Version` and scope checks, then the spec's 422s or its success answer.
    fn generic(
        &mut self,
        matched: &super::generic::Matched,
        request: &Request,
        body: Option<&Value>,
        now: Instant,
    ) -> (Reply, Option<String>) {
        let bearer = header(request, "authorization")
            .and_then(|h| h.strip_prefix("Bearer "))
            .map(str::trim);
        let Some(token) = bearer.and_then(|t| self.tokens.get(t)).cloned() else {
            return (reply::invalid_jwt(), None);
        };
        if token.expires_at.is_some_and(|at| Instant::now() >= at) {
            return (reply::invalid_jwt(), None);
        }
        let location = token.location_id.clone();
        let limits = Limits::of(&self.config);
        if let Some(loc) = self.location_mut(&location)
            && let Err(wait_ms) = loc.limiter.admit(now, limits)
        {
            return (reply::too_many(wait_ms), Some(location));
        }
        if let Some(expected) = matched.version() {
            let message = match header(request, "version") {
                Some(v) if v == expected => None,
                Some(_) => Some(format!(
                    "Invalid version header; this endpoint expects Version: {expected}"
                )),
                None => Some("version header was not found".to_owned()),
            };
            if let Some(message) = message {
                return (reply::error(400, message), Some(location));
            }
        }
        if !matched.allows(&token.scopes) {
            return (reply::missing_scope(), Some(location));
        }
        let query: Vec<(String, String)> = request.url.query_pairs().into_owned().collect();
        let problems = matched.problems(&query, body);
        if !problems.is_empty() {
            return (reply::validation(problems), Some(location));
        }
        let (status, answer) = matched.answer();
        (Reply::json(status, answer), Some(location))
    }

    fn dispatch(&mut self, route: &Route, ctx: &Ctx) -> Outcome {
        use Route::*;
        match route {
            ContactCreate => contacts::create(self, ctx),
            ContactUpsert => contacts::upsert(self, ctx),
            ContactSearch => contacts::search(self, ctx),
            ContactDuplicate => contacts::duplicate(self, ctx),
            ContactGet(id) => contacts::get(self, ctx, id),
            ContactUpdate(id) => contacts::update(self, ctx, id),
            ContactDelete(id) => contacts::delete(self, ctx, id),
            ContactAppointments(id) => calendars::of_contact(self, ctx, id),
            TagsAdd(id) => contacts::tags(self, ctx, id, true),
            TagsRemove(id) => contacts::tags(self, ctx, id, false),
            TagsBulk(kind) => contacts::bulk_tags(self, ctx, kind),
            NoteCreate(id) => contacts::note_create(self, ctx, id),
            NoteList(id) => contacts::note_list(self, ctx, id),
            NoteUpdate(id, note) => contacts::note_update(self, ctx, id, note),
            NoteDelete(id, note) => contacts::note_delete(self, ctx, id, note),
            CalendarList => calendars::list(self, ctx),
            CalendarGet(id) => calendars::get(self, ctx, id),
            AppointmentCreate => calendars::create(self, ctx),
            AppointmentUpdate(id) => calendars::update(self, ctx, id),
            AppointmentGet(id) => calendars::get_appointment(self, ctx, id),
            EventDelete(id) => calendars::delete(self, ctx, id),
            EventList => calendars::events(self, ctx),
            UserList => location::users(self, ctx),
            UserSearch => location::search_users(self, ctx),
            LocationGet(id) => location::get(self, ctx, id),
            CustomFieldList(loc) => location::custom_fields(self, ctx, loc),
            CustomFieldCreate(loc) => location::create_custom_field(self, ctx, loc),
            ProductCreate => catalog::create(self, ctx),
            ProductList => catalog::list(self, ctx),
            ProductGet(id) => catalog::get(self, ctx, id),
            ProductUpdate(id) => catalog::update(self, ctx, id),
            ProductDelete(id) => catalog::delete(self, ctx, id),
            PriceCreate(id) => catalog::create_price(self, ctx, id),
            PriceUpdate(id, price) => catalog::update_price(self, ctx, id, price),
            PriceList(id) => catalog::prices(self, ctx, id),
            OAuthToken => Err(reply::error(500, "unreachable route")),
        }
    }
}
