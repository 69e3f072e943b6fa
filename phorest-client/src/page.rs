//! HAL pages and the page/item streams built on them.

use futures::stream::{self, BoxStream, StreamExt, TryStreamExt};
use serde::de::DeserializeOwned;

use crate::client::{PhorestClient, decode_json};
use crate::error::{Error, Result};
use crate::query::{Query, params};

/// One page of a Phorest list.
#[derive(Clone, Debug, PartialEq)]
pub struct Page<T> {
    /// The records of this page (empty when `_embedded` was absent).
    pub items: Vec<T>,
    /// 0-based page number.
    pub number: u32,
    /// Total number of pages.
    pub total_pages: u32,
    /// Total number of records across pages.
    pub total_elements: u64,
}

impl<T> Page<T> {
    /// Whether this is the last page (`number + 1 >= total_pages`, or empty).
    pub fn is_last(&self) -> bool {
        self.items.is_empty() || self.number.saturating_add(1) >= self.total_pages
    }
}

/// A stream of pages; see [`Page`].
pub type PageStream<T> = BoxStream<'static, Result<Page<T>>>;
/// A stream of records across pages.
pub type ItemStream<T> = BoxStream<'static, Result<T>>;

#[derive(serde::Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct PageMeta {
    #[serde(default)]
    number: Option<u32>,
    #[serde(default)]
    total_pages: Option<u32>,
    #[serde(default)]
    total_elements: Option<u64>,
}

/// Decodes a HAL envelope: `_embedded.<key>` (missing → empty; an array `_embedded` is also
/// accepted) and the `page` metadata (missing → a single page).
pub(crate) fn decode_page<T: DeserializeOwned>(
    body: &[u8],
    key: &str,
    requested: u32,
) -> Result<Page<T>> {
    let mut value: serde_json::Value = decode_json(body)?;
    let embedded = match value.get_mut("_embedded") {
        Some(serde_json::Value::Object(map)) => match map.remove(key) {
            Some(list) => Some(list),
            None if map.is_empty() => None,
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
                list
            }
            None => {
                return Err(Error::decode(
                    format!("_embedded.{key}"),
                    "missing list (other keys present)",
                    body,
                ));
            }
        },
        Some(v @ serde_json::Value::Array(_)) => Some(v.take()),
        _ => None,
    };
    let items: Vec<T> = match embedded {
        None | Some(serde_json::Value::Null) => Vec::new(),
        Some(list) => serde_path_to_error::deserialize(list).map_err(|e| {
            Error::decode(
                format!("_embedded.{key}{}", path_suffix(&e)),
                e.into_inner(),
                body,
            )
        })?,
    };
    let meta: PageMeta = match value.get_mut("page").map(serde_json::Value::take) {
        None | Some(serde_json::Value::Null) => PageMeta::default(),
        Some(meta) => serde_path_to_error::deserialize(meta)
            .map_err(|e| Error::decode(format!("page.{}", e.path()), e.into_inner(), body))?,
    };
    let number = meta.number.unwrap_or(requested);
    Ok(Page {
        number,
        total_pages: meta.total_pages.unwrap_or(number.saturating_add(1)),
        total_elements: meta.total_elements.unwrap_or(items.len() as u64),
        items,
    })
}

fn path_suffix<E>(e: &serde_path_to_error::Error<E>) -> String {
    let p = e.path().to_string();
    if p == "." {
        String::new()
    } else if p.starts_with('[') {
        p
    } else {
        format!(".{p}")
    }
}

/// What to list: the route, its query and the `_embedded` key.
#[derive(Clone, Debug)]
pub(crate) struct ListSpec {
    pub(crate) template: &'static str,
    pub(crate) segments: Vec<String>,
    pub(crate) query: Query,
    pub(crate) key: &'static str,
    pub(crate) size: u32,
}

impl ListSpec {
    /// Fetches one page.
    pub(crate) async fn fetch<T: DeserializeOwned>(
        &self,
        client: &PhorestClient,
        page: u32,
    ) -> Result<Page<T>> {
        let mut query = self.query.clone();
        query.push(params::PAGE, page).push(params::SIZE, self.size);
        let segments: Vec<&str> = self.segments.iter().map(String::as_str).collect();
        let body = client
            .send(crate::client::Call {
                method: reqwest::Method::GET,
                template: self.template,
                segments: &segments,
                query: &query,
                body: None,
                idempotent: true,
            })
            .await?;
        decode_page(&body, self.key, page)
    }

    /// Pages from `start_page` to the end. Stops after the last page or an empty page; fails
    /// with [`Error::UnexpectedPage`] if the server answers with another page than asked (a
    /// server ignoring `page` would otherwise loop forever).
    pub(crate) fn pages<T: DeserializeOwned + Send + 'static>(
        self,
        client: PhorestClient,
        start_page: u32,
    ) -> PageStream<T> {
        stream::try_unfold(Some(start_page), move |next| {
            let client = client.clone();
            let spec = self.clone();
            async move {
                let Some(requested) = next else {
                    return Ok(None);
                };
                let page: Page<T> = spec.fetch(&client, requested).await?;
                if page.number != requested {
                    return Err(Error::UnexpectedPage {
                        requested,
                        returned: page.number,
                    });
                }
                let next = (!page.is_last()).then(|| requested.saturating_add(1));
                Ok(Some((page, next)))
            }
        })
        .boxed()
    }

    /// Records of every page from page 0.
    pub(crate) fn items<T: DeserializeOwned + Send + 'static>(
        self,
        client: PhorestClient,
    ) -> ItemStream<T> {
        flatten(self.pages(client, 0))
    }
}

/// Flattens a page stream into its records.
pub(crate) fn flatten<T: Send + 'static>(pages: PageStream<T>) -> ItemStream<T> {
    pages
        .map_ok(|page| stream::iter(page.items.into_iter().map(Ok)))
        .try_flatten()
        .boxed()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_variants() {
        let p: Page<u32> = decode_page(
            br#"{"_embedded":{"xs":[1,2]},"page":{"size":2,"totalElements":5,"totalPages":3,"number":1}}"#,
            "xs",
            1,
        )
        .unwrap();
        assert_eq!(
            (p.items, p.number, p.total_pages, p.total_elements),
            (vec![1, 2], 1, 3, 5)
        );
        let p: Page<u32> = decode_page(
            br#"{"page":{"totalElements":0,"totalPages":0,"number":0}}"#,
            "xs",
            0,
        )
        .unwrap();
        assert!(p.items.is_empty() && p.is_last());
        let p: Page<u32> = decode_page(br#"{"_embedded":[7]}"#, "xs", 4).unwrap();
        assert_eq!((p.items, p.number, p.total_pages), (vec![7], 4, 5));
        let p: Page<u32> = decode_page(br#"{"_embedded":{"other":[3]}}"#, "xs", 0).unwrap();
        assert_eq!(p.items, vec![3], "a single list under another key is kept");
        let two = decode_page::<u32>(br#"{"_embedded":{"a":[1],"b":[2]}}"#, "xs", 0);
        assert!(
            matches!(two, Err(Error::Decode { .. })),
            "never silently empty"
        );
        let err = decode_page::<u32>(br#"{"_embedded":{"xs":[1,"x"]}}"#, "xs", 0).unwrap_err();
        match err {
            Error::Decode { path, .. } => assert_eq!(path, "_embedded.xs[1]"),
            other => panic!("{other:?}"),
        }
    }
}
