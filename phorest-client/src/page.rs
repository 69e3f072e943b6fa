//! HAL pages, per-record decoding, and the page/item streams built on them.
//!
//! See [`PageStream`] for what the streams guarantee.

use futures::stream::{self, BoxStream, StreamExt, TryStreamExt};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::client::{Call, PhorestClient};
use crate::error::{Error, Operation, Result};
use crate::query::{Query, params};

/// One record of a list page that could not be decoded. The rest of the page was delivered.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
#[error(
    "record {index} of page {page} of {operation}{} rejected at `{path}`: {message}",
    id.as_deref().map(|id| format!(" (id {id})")).unwrap_or_default()
)]
pub struct RejectedRecord {
    /// The list operation, e.g. `GET /{businessId}/client`.
    pub operation: Operation,
    /// The page it was on (0-based).
    pub page: u32,
    /// Its position in the page's list (0-based).
    pub index: usize,
    /// Its id (`clientId`, `staffId`, `appointmentId`, …) when that field was readable.
    pub id: Option<String>,
    /// JSON path of the value that failed, from the envelope root
    /// (`_embedded.clients[3].birthDate`).
    pub path: String,
    /// What went wrong; may quote the offending value (e.g. `invalid date \`1985-02-30\``).
    pub message: String,
}

#[cfg(feature = "test-util")]
impl RejectedRecord {
    /// A rejected record, for tests of code that handles them (feature `test-util`).
    pub fn for_test(page: u32, index: usize, id: Option<&str>, path: &str, message: &str) -> Self {
        Self {
            operation: Operation::new("GET", "/{businessId}/test"),
            page,
            index,
            id: id.map(str::to_owned),
            path: path.to_owned(),
            message: message.to_owned(),
        }
    }
}

/// One page of a Phorest list.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Page<T> {
    /// The records of this page that decoded (empty when `_embedded` was absent).
    pub items: Vec<T>,
    /// The records of this page that did not decode, in page order.
    pub rejected: Vec<RejectedRecord>,
    /// 0-based page number (always the page asked for).
    pub number: u32,
    /// The page size asked for.
    pub size: u32,
    /// Total number of pages, as this answer states it.
    pub total_pages: u32,
    /// Total number of records across pages, as this answer states it.
    pub total_elements: u64,
}

impl<T> Page<T> {
    /// Records on this page as served: decoded plus rejected.
    pub fn record_count(&self) -> usize {
        self.items.len() + self.rejected.len()
    }

    /// Whether the page holds as many records as were asked for.
    pub fn is_full(&self) -> bool {
        self.record_count() >= self.size as usize
    }

    /// Whether this answer's own metadata calls it the last page (`number + 1 >=
    /// total_pages`). The page stream may still go on (see [`PageStream`]).
    pub fn is_last(&self) -> bool {
        self.number.saturating_add(1) >= self.total_pages
    }

    /// A page built from its parts, for tests of code that consumes pages (feature
    /// `test-util`).
    #[cfg(feature = "test-util")]
    pub fn for_test(
        items: Vec<T>,
        number: u32,
        size: u32,
        total_pages: u32,
        total_elements: u64,
    ) -> Self {
        Self {
            items,
            rejected: Vec::new(),
            number,
            size,
            total_pages,
            total_elements,
        }
    }

    /// Adds rejected records to a test page (feature `test-util`).
    #[cfg(feature = "test-util")]
    pub fn with_rejected(mut self, rejected: Vec<RejectedRecord>) -> Self {
        self.rejected = rejected;
        self
    }
}

/// A stream of pages.
///
/// # What the streams guarantee
///
/// A [`PageStream`] asks for pages `start, start+1, …` in order and yields each page as it
/// arrives:
///
/// - **Every page is the page asked for**: an answer whose `page.number` differs fails the
///   stream with [`Error::UnexpectedPage`] (a server ignoring `page` would otherwise loop).
/// - **It never ends early on the server's word alone**: it follows the *largest* `totalPages`
///   seen so far (a count that shrinks mid-walk does not cut the walk short); an empty page
///   before that end does not stop it; and when the page that should be the last is full
///   while fewer records than the largest `totalElements` have been seen, it asks for one more
///   page (a server understating `totalPages`), and goes on while such probes come back full.
///   The walk ends after the last page by that rule, or after an empty or short probe.
/// - **One bad record fails only itself**: a record that does not decode is left out of
///   [`Page::items`] and reported in [`Page::rejected`] (index, id when readable, JSON path,
///   message); the rest of the page is delivered. A page whose envelope does not decode (a
///   `page` block of the wrong shape, `_embedded.<key>` not a list) fails the stream with
///   [`Error::Decode`]; a body that is not JSON at all is retried first (see
///   [`RetryPolicy`](crate::RetryPolicy)).
///
/// What it leaves to the caller: records are **not** de-duplicated (a record edited or
/// inserted while the walk runs can shift between pages and be served twice, or be missed),
/// and the number of records seen is **not** checked against `totalElements`. A caller that
/// needs either check has what it takes on every page: [`Page::number`], [`Page::size`] (the
/// size asked for), [`Page::total_pages`], [`Page::total_elements`],
/// [`Page::record_count`] (delivered plus rejected) and the ids of both.
///
/// An [`ItemStream`] flattens a page stream: it yields every record as `Ok`, and every
/// rejected record as `Err(`[`Error::Rejected`]`)` **after which it goes on**; any other error
/// ends it. A caller collecting with `try_collect` therefore stops at the first rejected
/// record (nothing is lost silently); one that wants to skip them matches on
/// [`Error::rejected_record`] (or uses [`collect_items`]).
pub type PageStream<T> = BoxStream<'static, Result<Page<T>>>;

/// A stream of records across pages: `Ok` for each record, `Err(Error::Rejected)` for each
/// record that did not decode (the stream goes on after it), any other `Err` ends it.
pub type ItemStream<T> = BoxStream<'static, Result<T>>;

/// Collects an item stream, setting rejected records aside instead of stopping at them. Any
/// other error is returned.
///
/// ```no_run
/// # async fn demo(phorest: phorest_client::PhorestClient) -> Result<(), phorest_client::Error> {
/// use phorest_client::{ClientQuery, collect_items};
///
/// let (clients, rejected) = collect_items(phorest.clients().list(&ClientQuery::all())).await?;
/// for r in &rejected {
///     eprintln!("skipped {:?} at {}: {}", r.id, r.path, r.message);
/// }
/// # Ok(()) }
/// ```
pub async fn collect_items<T>(mut items: ItemStream<T>) -> Result<(Vec<T>, Vec<RejectedRecord>)> {
    let (mut ok, mut rejected) = (Vec::new(), Vec::new());
    while let Some(item) = items.next().await {
        match item {
            Ok(item) => ok.push(item),
            Err(Error::Rejected(record)) => rejected.push(*record),
            Err(e) => return Err(e),
        }
    }
    Ok((ok, rejected))
}

/// A record type served in list pages: where its id lives, for [`RejectedRecord::id`].
pub(crate) trait Listed: DeserializeOwned + Send + 'static {
    /// The fields that may hold the record's id, in order of preference.
    const ID_FIELDS: &'static [&'static str];
}

#[derive(serde::Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct PageMeta {
    #[serde(default)]
    size: Option<u32>,
    #[serde(default)]
    number: Option<u32>,
    #[serde(default)]
    total_pages: Option<u32>,
    #[serde(default)]
    total_elements: Option<u64>,
}

/// A decoded page plus the page size the server said it used (for the fullness test).
struct Decoded<T> {
    page: Page<T>,
    served_size: Option<u32>,
}

/// Reads a record's id from the first of `fields` holding a string or a number.
fn record_id(value: &Value, fields: &[&str]) -> Option<String> {
    fields.iter().find_map(|f| match value.get(f)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    })
}

/// Decodes a HAL envelope: `_embedded.<key>` record by record (missing → empty; an array
/// `_embedded` and a single list under another key are also accepted) and the `page` metadata
/// (missing → a single page).
fn decode_page<T: Listed>(
    mut value: Value,
    operation: Operation,
    key: &str,
    requested: u32,
    size: u32,
) -> Result<Decoded<T>> {
    let envelope_error = |path: String, message: String| Error::Decode {
        operation,
        path,
        message,
        body_excerpt: String::new(),
    };
    let (list_key, embedded) = match value.get_mut("_embedded") {
        Some(Value::Object(map)) => match map.remove(key) {
            Some(list) => (key.to_owned(), Some(list)),
            None if map.is_empty() => (key.to_owned(), None),
            // Several keys are UNCONFIRMED (vouchers, client batch): a single list under
            // another name is taken rather than silently dropped.
            None if map.len() == 1 => {
                let (other, list) = map
                    .iter_mut()
                    .next()
                    .map(|(k, v)| (k.clone(), v.take()))
                    .unzip();
                tracing::debug!(
                    expected = key,
                    found = other.as_deref(),
                    "unexpected _embedded key"
                );
                (other.unwrap_or_default(), list)
            }
            None => {
                return Err(envelope_error(
                    format!("_embedded.{key}"),
                    "missing list (other keys present)".into(),
                ));
            }
        },
        Some(v @ Value::Array(_)) => (String::new(), Some(v.take())),
        _ => (key.to_owned(), None),
    };
    let prefix = if list_key.is_empty() {
        "_embedded".to_owned()
    } else {
        format!("_embedded.{list_key}")
    };
    let records = match embedded {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(records)) => records,
        Some(other) => {
            return Err(envelope_error(
                prefix,
                format!("expected a list, found {}", json_kind(&other)),
            ));
        }
    };
    let meta: PageMeta = match value.get_mut("page").map(Value::take) {
        None | Some(Value::Null) => PageMeta::default(),
        Some(meta) => serde_path_to_error::deserialize(meta).map_err(|e| {
            envelope_error(format!("page.{}", e.path()), e.into_inner().to_string())
        })?,
    };
    let number = meta.number.unwrap_or(requested);
    let mut items = Vec::with_capacity(records.len());
    let mut rejected = Vec::new();
    let served = records.len();
    for (index, record) in records.into_iter().enumerate() {
        let id = record_id(&record, T::ID_FIELDS);
        match serde_path_to_error::deserialize::<_, T>(record) {
            Ok(item) => items.push(item),
            Err(e) => {
                let inner = e.path().to_string();
                let path = if inner == "." {
                    format!("{prefix}[{index}]")
                } else if inner.starts_with('[') {
                    format!("{prefix}[{index}]{inner}")
                } else {
                    format!("{prefix}[{index}].{inner}")
                };
                let record = RejectedRecord {
                    operation,
                    page: number,
                    index,
                    id,
                    path,
                    message: e.into_inner().to_string(),
                };
                tracing::warn!(
                    operation = %operation,
                    page = number,
                    index,
                    path = %record.path,
                    "Phorest record rejected"
                );
                rejected.push(record);
            }
        }
    }
    Ok(Decoded {
        page: Page {
            number,
            size,
            total_pages: meta.total_pages.unwrap_or(number.saturating_add(1)),
            total_elements: meta.total_elements.unwrap_or(served as u64),
            items,
            rejected,
        },
        served_size: meta.size,
    })
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// What to list: the route, its query and the `_embedded` key.
#[derive(Clone, Debug)]
pub(crate) struct ListSpec {
    pub(crate) operation: Operation,
    pub(crate) segments: Vec<String>,
    pub(crate) query: Query,
    pub(crate) key: &'static str,
    pub(crate) size: u32,
}

/// Where a page walk stands.
#[derive(Clone, Copy, Debug)]
struct Walk {
    next: Option<u32>,
    /// The largest `totalPages` seen.
    total_pages: u32,
    /// The largest `totalElements` seen.
    total_elements: u64,
    /// Records seen so far (pages before the start page count as full).
    seen: u64,
}

impl ListSpec {
    /// Fetches one page.
    async fn fetch<T: Listed>(&self, client: &PhorestClient, page: u32) -> Result<Decoded<T>> {
        let mut query = self.query.clone();
        query.push(params::PAGE, page).push(params::SIZE, self.size);
        let segments: Vec<&str> = self.segments.iter().map(String::as_str).collect();
        let answer = client
            .send_json(Call {
                operation: self.operation,
                segments: &segments,
                query: &query,
                body: None,
            })
            .await?;
        decode_page(answer.json, self.operation, self.key, page, self.size).map_err(|e| match e {
            Error::Decode {
                operation,
                path,
                message,
                ..
            } => Error::Decode {
                operation,
                path,
                message,
                body_excerpt: client.excerpt(&answer.bytes),
            },
            other => other,
        })
    }

    /// Pages from `start_page` to the end; see [`PageStream`].
    pub(crate) fn pages<T: Listed>(self, client: PhorestClient, start_page: u32) -> PageStream<T> {
        let walk = Walk {
            next: Some(start_page),
            total_pages: 0,
            total_elements: 0,
            seen: u64::from(start_page) * u64::from(self.size),
        };
        stream::try_unfold(walk, move |walk| {
            let client = client.clone();
            let spec = self.clone();
            async move {
                let Some(requested) = walk.next else {
                    return Ok(None);
                };
                let Decoded { page, served_size } = spec.fetch::<T>(&client, requested).await?;
                if page.number != requested {
                    return Err(Error::UnexpectedPage {
                        requested,
                        returned: page.number,
                    });
                }
                let walk = spec.advance(walk, &page, served_size);
                Ok(Some((page, walk)))
            }
        })
        .boxed()
    }

    /// The walk after `page`: the next page to ask for, if any.
    fn advance<T>(&self, walk: Walk, page: &Page<T>, served_size: Option<u32>) -> Walk {
        let requested = page.number;
        let total_pages = walk.total_pages.max(page.total_pages);
        let total_elements = walk.total_elements.max(page.total_elements);
        let seen = walk.seen + page.record_count() as u64;
        let following = requested.checked_add(1);
        let next = if following.is_some_and(|n| n < total_pages) {
            if page.record_count() == 0 {
                tracing::debug!(
                    operation = %self.operation,
                    page = requested,
                    total_pages,
                    "empty page before the last: going on"
                );
            }
            following
        } else {
            // A server capping the size below what was asked says so in `page.size`.
            let full_size = served_size
                .filter(|&s| s > 0)
                .map_or(self.size, |s| s.min(self.size));
            let full = page.record_count() >= full_size as usize && full_size > 0;
            if full && seen < total_elements {
                tracing::warn!(
                    operation = %self.operation,
                    page = requested,
                    total_pages,
                    total_elements,
                    seen,
                    "the last page is full but records are missing: asking for one more"
                );
                following
            } else {
                None
            }
        };
        Walk {
            next,
            total_pages,
            total_elements,
            seen,
        }
    }

    /// Records of every page from page 0.
    pub(crate) fn items<T: Listed>(self, client: PhorestClient) -> ItemStream<T> {
        flatten(self.pages(client, 0))
    }
}

/// Flattens a page stream into its records, then its rejected records as
/// [`Error::Rejected`] items.
pub(crate) fn flatten<T: Send + 'static>(pages: PageStream<T>) -> ItemStream<T> {
    pages
        .map_ok(|page| {
            stream::iter(
                page.items.into_iter().map(Ok).chain(
                    page.rejected
                        .into_iter()
                        .map(|r| Err(Error::Rejected(Box::new(r)))),
                ),
            )
        })
        .try_flatten()
        .boxed()
}

#[cfg(test)]
mod tests {
    use super::*;

    const OP: Operation = Operation::new("GET", "/{businessId}/xs");

    #[derive(Debug, PartialEq, serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct X {
        x_id: String,
        n: u32,
    }

    impl Listed for X {
        const ID_FIELDS: &'static [&'static str] = &["xId"];
    }

    impl Listed for u32 {
        const ID_FIELDS: &'static [&'static str] = &[];
    }

    fn page<T: Listed>(json: &str, requested: u32) -> Result<Page<T>> {
        decode_page(serde_json::from_str(json).unwrap(), OP, "xs", requested, 20).map(|d| d.page)
    }

    #[test]
    fn envelope_variants() {
        let p: Page<u32> = page(
            r#"{"_embedded":{"xs":[1,2]},"page":{"size":2,"totalElements":5,"totalPages":3,"number":1}}"#,
            1,
        )
        .unwrap();
        assert_eq!(
            (p.items, p.number, p.total_pages, p.total_elements, p.size),
            (vec![1, 2], 1, 3, 5, 20)
        );
        let p: Page<u32> = page(
            r#"{"page":{"totalElements":0,"totalPages":0,"number":0}}"#,
            0,
        )
        .unwrap();
        assert!(p.items.is_empty() && p.is_last());
        let p: Page<u32> = page(r#"{"_embedded":[7]}"#, 4).unwrap();
        assert_eq!((p.items, p.number, p.total_pages), (vec![7], 4, 5));
        let p: Page<u32> = page(r#"{"_embedded":{"other":[3]}}"#, 0).unwrap();
        assert_eq!(p.items, vec![3], "a single list under another key is kept");
        let two = page::<u32>(r#"{"_embedded":{"a":[1],"b":[2]}}"#, 0);
        assert!(
            matches!(two, Err(Error::Decode { .. })),
            "never silently empty"
        );
        match page::<u32>(r#"{"_embedded":{"xs":{"a":1}}}"#, 0) {
            Err(Error::Decode { path, message, .. }) => {
                assert_eq!(path, "_embedded.xs");
                assert_eq!(message, "expected a list, found an object");
            }
            other => panic!("{other:?}"),
        }
        match page::<u32>(r#"{"_embedded":{"xs":[]},"page":{"totalPages":"many"}}"#, 0) {
            Err(Error::Decode { path, .. }) => assert_eq!(path, "page.totalPages"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_bad_record_is_rejected_alone_with_its_index_id_and_path() {
        let p: Page<X> = page(
            r#"{"_embedded":{"xs":[
                {"xId":"a","n":1},
                {"xId":"b","n":"two"},
                7,
                {"xId":"d","n":4},
                {"xId":42}
            ]},"page":{"size":20,"totalElements":5,"totalPages":1,"number":0}}"#,
            0,
        )
        .unwrap();
        let ids: Vec<_> = p.items.iter().map(|x| x.x_id.as_str()).collect();
        assert_eq!(ids, ["a", "d"]);
        assert_eq!(p.record_count(), 5);
        let rejected: Vec<_> = p
            .rejected
            .iter()
            .map(|r| (r.index, r.id.as_deref(), r.path.as_str()))
            .collect();
        assert_eq!(
            rejected,
            [
                (1, Some("b"), "_embedded.xs[1].n"),
                (2, None, "_embedded.xs[2]"),
                (4, Some("42"), "_embedded.xs[4].xId"),
            ]
        );
        let text = p.rejected[0].to_string();
        assert!(
            text.contains("record 1 of page 0 of GET /{businessId}/xs (id b)"),
            "{text}"
        );
        let p: Page<u32> = page(r#"{"_embedded":[1,"x"]}"#, 0).unwrap();
        assert_eq!(p.rejected[0].path, "_embedded[1]");
    }

    fn spec(size: u32) -> ListSpec {
        ListSpec {
            operation: OP,
            segments: Vec::new(),
            query: Query::default(),
            key: "xs",
            size,
        }
    }

    fn meta(number: u32, records: usize, total_pages: u32, total_elements: u64) -> Page<u32> {
        Page {
            items: vec![0; records],
            rejected: Vec::new(),
            number,
            size: 2,
            total_pages,
            total_elements,
        }
    }

    /// Runs the walk rule over scripted pages; returns the pages asked for.
    fn walk(size: u32, script: impl Fn(u32) -> Page<u32>) -> Vec<u32> {
        let spec = spec(size);
        let mut w = Walk {
            next: Some(0),
            total_pages: 0,
            total_elements: 0,
            seen: 0,
        };
        let mut asked = Vec::new();
        while let Some(n) = w.next {
            asked.push(n);
            assert!(asked.len() < 50, "runaway walk");
            w = spec.advance(w, &script(n), None);
        }
        asked
    }

    #[test]
    fn the_walk_follows_the_largest_total_and_probes_understated_ends() {
        // Plain: 5 records in pages of 2.
        assert_eq!(walk(2, |n| meta(n, [2, 2, 1][n as usize], 3, 5)), [0, 1, 2]);
        // An empty page in the middle does not end the walk.
        assert_eq!(walk(2, |n| meta(n, [2, 0, 1][n as usize], 3, 5)), [0, 1, 2]);
        // totalPages shrinking mid-walk: the largest seen wins.
        assert_eq!(
            walk(2, |n| meta(
                n,
                [2, 2, 1][n as usize],
                [3, 2, 2][n as usize],
                5
            )),
            [0, 1, 2]
        );
        // totalPages understated by one: page 1 is full and 4 < 5 seen, so page 2 is probed;
        // the probe is short, so the walk ends.
        assert_eq!(walk(2, |n| meta(n, [2, 2, 1][n as usize], 2, 5)), [0, 1, 2]);
        // A full probe that still leaves records missing asks again; an empty one ends it.
        assert_eq!(
            walk(2, |n| meta(n, [2, 2, 2, 0][n as usize], 2, 7)),
            [0, 1, 2, 3]
        );
        // Exactly full last page with every record seen: no probe.
        assert_eq!(walk(2, |n| meta(n, 2, 2, 4)), [0, 1]);
        // No metadata: a single page.
        assert_eq!(walk(2, |n| meta(n, 2, n + 1, 2)), [0]);
        // Empty list.
        assert_eq!(walk(2, |n| meta(n, 0, 0, 0)), [0]);
    }

    #[test]
    fn a_server_capping_the_size_is_judged_by_the_size_it_served() {
        let spec = spec(200);
        let w = Walk {
            next: Some(0),
            total_pages: 0,
            total_elements: 0,
            seen: 0,
        };
        // Asked 200, served 100 (said so), totalPages understated: probe.
        let p = Page {
            size: 200,
            ..meta(0, 100, 1, 250)
        };
        assert_eq!(spec.advance(w, &p, Some(100)).next, Some(1));
        // Without the served size, 100 of 200 is a short page: the end.
        assert_eq!(spec.advance(w, &p, None).next, None);
    }
}
