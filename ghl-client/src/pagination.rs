//! Pages and cursor guards shared by the paged endpoints.

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
}

impl<T, C> Page<T, C> {
    pub(crate) fn new(items: Vec<T>, next: Option<C>, total: Option<u64>) -> Self {
        Self { items, next, total }
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
