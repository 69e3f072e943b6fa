//! Pages, lists decoded item by item, and the cursor guard shared by the paged endpoints.

/// One page of results.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Page<T, C> {
    /// The items of this page.
    pub items: Vec<T>,
    /// The cursor of the next page; `None` on the last page.
    pub next: Option<C>,
    /// The total the server reported, if any.
    pub total: Option<u64>,
    /// Items of this page that did not decode (see [`Listed`]).
    pub rejected: Vec<RejectedItem>,
}

impl<T, C> Page<T, C> {
    pub(crate) fn new(
        items: Vec<T>,
        next: Option<C>,
        total: Option<u64>,
        rejected: Vec<RejectedItem>,
    ) -> Self {
        Self {
            items,
            next,
            total,
            rejected,
        }
    }
}

/// Decides whether a page stream goes on: stops on an empty page, a missing cursor or a cursor
/// already seen (a server bug that would otherwise loop forever).
#[derive(Debug)]
pub(crate) struct CursorGuard<C> {
    seen: Vec<C>,
}

impl<C: PartialEq + Clone> CursorGuard<C> {
    pub fn new() -> Self {
        Self { seen: Vec::new() }
    }

    /// The cursor to fetch next, or `None` to stop after this page.
    pub fn next(&mut self, item_count: usize, cursor: Option<&C>) -> Option<C> {
        if item_count == 0 {
            return None;
        }
        let cursor = cursor?;
        if self.seen.contains(cursor) {
            tracing::warn!("pagination: the server repeated a cursor; stopping");
            return None;
        }
        self.seen.push(cursor.clone());
        Some(cursor.clone())
    }
}

/// A list answer, decoded item by item: the items that decoded and the ones that did not.
///
/// GHL's list answers occasionally carry an item the crate cannot decode (a custom field, user
/// or note without an `id`, a value of the wrong JSON type). Instead of failing the whole list,
/// such an item is left out of [`items`](Self::items) and reported in
/// [`rejected`](Self::rejected) (and logged at `warn`, without its values). Check
/// [`is_complete`](Self::is_complete) when a missing item matters.
///
/// `Listed<T>` dereferences to `[T]`, so `listed.iter()`, `listed.len()` and `&listed` as a
/// slice work directly.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Listed<T> {
    /// The items that decoded, in answer order.
    pub items: Vec<T>,
    /// The items that did not decode.
    pub rejected: Vec<RejectedItem>,
}

impl<T> Listed<T> {
    pub(crate) fn new(items: Vec<T>, rejected: Vec<RejectedItem>) -> Self {
        Self { items, rejected }
    }

    /// Whether every item of the answer decoded.
    pub fn is_complete(&self) -> bool {
        self.rejected.is_empty()
    }

    /// The items, dropping what was rejected.
    pub fn into_items(self) -> Vec<T> {
        self.items
    }
}

impl<T> Default for Listed<T> {
    fn default() -> Self {
        Self::new(Vec::new(), Vec::new())
    }
}

impl<T> std::ops::Deref for Listed<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        &self.items
    }
}

impl<T> IntoIterator for Listed<T> {
    type Item = T;
    type IntoIter = std::vec::IntoIter<T>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter()
    }
}

impl<'a, T> IntoIterator for &'a Listed<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.iter()
    }
}

/// One item of a list answer that did not decode.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RejectedItem {
    /// Its position in the answer's list (0-based).
    pub index: usize,
    /// Its `id` (or `_id`), when it has a string one.
    pub id: Option<String>,
    /// The JSON path of the value that did not decode, from the body's root (such as
    /// `customFields[3].id`).
    pub path: String,
    /// What was wrong with it.
    pub message: String,
}

impl std::fmt::Display for RejectedItem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "item {} at `{}`: {}",
            self.index, self.path, self.message
        )
    }
}
