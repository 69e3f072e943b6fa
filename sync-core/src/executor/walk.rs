//! The checkpointed walk over a Phorest list, and what it refuses to take on trust.
//!
//! Phorest pages by number over a list that can change while it is read, and a server can
//! answer oddly. The walk never lets that lose a record silently:
//!
//! - **Read ahead.** The next pages are fetched while the current one is written to GHL (two
//!   pages in flight), so GHL never waits on Phorest.
//! - **One record, one write.** A record served twice (on one page or across pages) is
//!   processed once; the repeat is an anomaly.
//! - **Bad records fail alone.** A record phorest-client could not decode is reported as failed
//!   with its id (when readable) and the JSON path of the bad field; the rest of the page goes on.
//!   It is not settled, though: the id in a malformed record cannot be trusted (and the record may
//!   decode on the next read), so the stage keeps its watermark and the next run reads it again.
//! - **Counts must agree.** An empty or short page before the last one, a repeated record, or
//!   fewer distinct records than the list said it holds are anomalies. The stage then settles
//!   what it read, is reported incomplete, and keeps its watermark ([`StageCursor::abandon`]),
//!   so the next run reads those records again.
//!
//! A page's position is checkpointed once every record of it is accounted for.

use std::collections::HashSet;
use std::future::Future;

use futures::StreamExt;
use phorest_client::{Appointment, Client, Page, PageStream, Product, RejectedRecord, Staff};

use super::cursor::StageCursor;
use super::{Abort, RunCtx, read_abort};
use crate::entity::EntityKind;
use crate::observer::SyncEvent;
use crate::report::{Outcome, StageStatus};

/// A Phorest record with an id.
pub(crate) trait Keyed {
    /// The record's Phorest id.
    fn key(&self) -> &str;
}

impl Keyed for Client {
    fn key(&self) -> &str {
        self.client_id.as_str()
    }
}

impl Keyed for Staff {
    fn key(&self) -> &str {
        self.staff_id.as_str()
    }
}

impl Keyed for Product {
    fn key(&self) -> &str {
        self.product_id.as_str()
    }
}

impl Keyed for Appointment {
    fn key(&self) -> &str {
        self.appointment_id.as_str()
    }
}

/// What a walk found beyond its records.
#[derive(Debug, Default)]
pub(crate) struct WalkOutcome {
    /// Why the walk cannot be trusted to have seen everything (empty when it can).
    pub(crate) anomalies: Vec<String>,
    /// Records served in a shape that does not decode (each failed in the report).
    pub(crate) rejected: usize,
}

impl WalkOutcome {
    /// Whether every record the walk was served is settled: no anomaly and no record that
    /// failed to decode. Otherwise the stage keeps its watermark ([`StageCursor::abandon`]).
    pub(crate) fn settled(&self) -> bool {
        self.anomalies.is_empty() && self.rejected == 0
    }

    /// One line for the report.
    pub(crate) fn reason(&self) -> String {
        let mut text = self
            .anomalies
            .iter()
            .take(3)
            .cloned()
            .collect::<Vec<_>>()
            .join("; ");
        if self.anomalies.len() > 3 {
            text.push_str(&format!(" (+{} more)", self.anomalies.len() - 3));
        }
        format!("{text}; the records are read again next run")
    }
}

/// Checks one page against what the walk has seen: drops repeats (recording anomalies) and
/// returns the records to process.
pub(crate) struct PageChecker {
    seen: HashSet<String>,
    rejected_without_id: usize,
    /// Records that did not decode (with or without a readable id).
    pub(crate) rejected: usize,
    max_total: u64,
    max_pages: u32,
    /// Pages before the last that held fewer records than asked: `(page, records, asked)`.
    /// An anomaly, unless they show a consistent server cap (see [`PageChecker::finish`]).
    short: Vec<(u32, usize, u32)>,
    /// The page size the server silently caps at, when the walk showed one.
    pub(crate) cap: Option<usize>,
    pub(crate) anomalies: Vec<String>,
}

impl PageChecker {
    pub(crate) fn new() -> Self {
        PageChecker {
            seen: HashSet::new(),
            rejected_without_id: 0,
            rejected: 0,
            max_total: 0,
            max_pages: 0,
            short: Vec::new(),
            cap: None,
            anomalies: Vec::new(),
        }
    }

    /// Takes a page: repeated records are removed (and noted), empty or short pages before the
    /// last one are noted.
    pub(crate) fn check<T: Keyed>(&mut self, what: &str, page: &mut Page<T>) {
        self.max_total = self.max_total.max(page.total_elements);
        self.max_pages = self.max_pages.max(page.total_pages);
        self.rejected += page.rejected.len();
        for r in &page.rejected {
            match &r.id {
                Some(id) => {
                    self.seen.insert(id.clone());
                }
                None => self.rejected_without_id += 1,
            }
        }
        let served = page.record_count();
        let before_end = page.number.saturating_add(1) < self.max_pages;
        if served == 0 && before_end {
            self.anomalies.push(format!(
                "{what}: page {} was empty but the list has {} pages",
                page.number, self.max_pages
            ));
        } else if before_end && served < page.size as usize {
            self.short.push((page.number, served, page.size));
        }
        let mut repeats = Vec::new();
        page.items.retain(|item| {
            let fresh = self.seen.insert(item.key().to_owned());
            if !fresh {
                repeats.push(item.key().to_owned());
            }
            fresh
        });
        if !repeats.is_empty() {
            let shown: Vec<&str> = repeats.iter().take(3).map(String::as_str).collect();
            self.anomalies.push(format!(
                "{what}: page {} repeated {} record(s) already read ({})",
                page.number,
                repeats.len(),
                shown.join(", ")
            ));
        }
    }

    /// At the end of a walk that started on the first page: fewer distinct records than the
    /// list said it holds is an anomaly.
    ///
    /// Short pages before the last are anomalies too, unless they show a **silent page-size
    /// cap**: a walk from the first page whose short pages all held the same number of records
    /// and that read every record the list said it holds (the server pages by its own size and
    /// counts pages by it). That is noted in [`cap`](Self::cap) and logged, and the walk is
    /// trusted.
    pub(crate) fn finish(&mut self, what: &str, from_start: bool) {
        let read = (self.seen.len() + self.rejected_without_id) as u64;
        if let Some(&(_, first, _)) = self.short.first() {
            let consistent = self.short.iter().all(|&(_, n, _)| n == first && n > 0);
            if from_start && consistent && read >= self.max_total {
                self.cap = Some(first);
                tracing::warn!(
                    list = what,
                    cap = first,
                    asked = self.short[0].2,
                    "Phorest serves fewer records per page than asked, consistently: a page-size \
                     cap; every record was read"
                );
            } else {
                for (number, served, asked) in std::mem::take(&mut self.short) {
                    self.anomalies.push(format!(
                        "{what}: page {number} held {served} records, not {asked}, before the \
                         last page"
                    ));
                }
            }
        }
        if from_start && read < self.max_total {
            self.anomalies.push(format!(
                "{what}: Phorest said {} records, {read} were read",
                self.max_total
            ));
        }
    }
}

impl RunCtx<'_> {
    /// Closes a stage's checkpoint after `walk`: completed when the walk settled every record,
    /// otherwise kept ([`StageCursor::abandon`]) so the next run reads those records again, and
    /// the stage reported incomplete when the walk saw anomalies (records that did not decode
    /// are already failed in the report). Answers whether the walk settled.
    pub(crate) async fn close_walk(
        &self,
        entity: EntityKind,
        cursor: StageCursor<'_>,
        walk: &WalkOutcome,
    ) -> Result<bool, Abort> {
        if walk.settled() {
            cursor.complete().await?;
            return Ok(true);
        }
        if !walk.anomalies.is_empty() {
            self.stage(entity, StageStatus::Incomplete(walk.reason()));
        }
        cursor.abandon().await?;
        Ok(false)
    }

    /// Fails one record Phorest sent in a shape that does not decode (its id and the JSON path
    /// of the bad field in the reason). Without a readable id it is reported under its place in
    /// the list.
    pub(crate) fn reject(&self, entity: EntityKind, record: &RejectedRecord) {
        let id = record
            .id
            .clone()
            .unwrap_or_else(|| format!("(page {} record {})", record.page, record.index));
        self.record(
            entity,
            &id,
            None,
            Outcome::Failed(format!(
                "Phorest sent this record in a shape that cannot be read: `{}`: {}; it is read \
                 again on the next run (fix it in Phorest if it stays unreadable)",
                record.path, record.message
            )),
        );
    }

    /// Walks a checkpointed Phorest page stream (see the module docs): hands each page's new
    /// records to `on_page` (which answers whether every record was accounted for), then
    /// advances the stage's checkpoint past the page. Records that did not decode are failed
    /// (when `fail_rejected`) and left out. A failed read stops the run with the checkpoint
    /// intact; a page left incomplete by cancellation is not checkpointed.
    ///
    /// Several stages may share one walk (clients and loyalty read the same clients): every
    /// cursor in `cursors` advances with each page.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn walk_pages<T, F, Fut>(
        &self,
        entity: EntityKind,
        what: &str,
        cursors: &mut [StageCursor<'_>],
        start: u32,
        pages: PageStream<T>,
        fail_rejected: bool,
        mut on_page: F,
    ) -> Result<WalkOutcome, Abort>
    where
        T: Keyed + Send + 'static,
        F: FnMut(Vec<T>) -> Fut,
        Fut: Future<Output = Result<bool, Abort>>,
    {
        let from_start = start == 0;
        let mut pages = read_ahead(pages);
        let mut checker = PageChecker::new();
        while let Some(page) = pages.recv().await {
            let mut page = page.map_err(|e| read_abort(what, &e))?;
            checker.check(what, &mut page);
            if fail_rejected {
                for r in &page.rejected {
                    self.reject(entity, r);
                }
            }
            let (number, total_pages) = (page.number, page.total_pages);
            if !on_page(std::mem::take(&mut page.items)).await? {
                return Err(Abort::Cancelled);
            }
            for cursor in cursors.iter_mut() {
                cursor.advance(&(number + 1)).await?;
            }
            self.event(SyncEvent::PageDone {
                entity,
                page: number,
                total_pages: Some(total_pages),
            });
        }
        checker.finish(what, from_start);
        Ok(WalkOutcome {
            anomalies: checker.anomalies,
            rejected: checker.rejected,
        })
    }
}

/// Pulls pages on a task of their own, two ahead of the consumer.
pub(crate) fn read_ahead<T: Send + 'static>(
    mut pages: PageStream<T>,
) -> tokio::sync::mpsc::Receiver<phorest_client::Result<Page<T>>> {
    let (tx, rx) = tokio::sync::mpsc::channel(2);
    tokio::spawn(async move {
        while let Some(page) = pages.next().await {
            let failed = page.is_err();
            if tx.send(page).await.is_err() || failed {
                break;
            }
        }
    });
    rx
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Rec(&'static str);

    impl Keyed for Rec {
        fn key(&self) -> &str {
            self.0
        }
    }

    fn page(items: Vec<&'static str>, number: u32, size: u32, pages: u32, total: u64) -> Page<Rec> {
        Page::for_test(
            items.into_iter().map(Rec).collect(),
            number,
            size,
            pages,
            total,
        )
    }

    #[test]
    fn a_clean_walk_has_no_anomaly() {
        let mut c = PageChecker::new();
        let mut p0 = page(vec!["a", "b"], 0, 2, 2, 3);
        let mut p1 = page(vec!["c"], 1, 2, 2, 3);
        c.check("clients", &mut p0);
        c.check("clients", &mut p1);
        c.finish("clients", true);
        assert!(c.anomalies.is_empty(), "{:?}", c.anomalies);
        assert_eq!(p0.items.len() + p1.items.len(), 3);
    }

    #[test]
    fn repeats_are_dropped_and_reported() {
        let mut c = PageChecker::new();
        let mut p0 = page(vec!["a", "b", "b"], 0, 3, 2, 5);
        let mut p1 = page(vec!["b", "c"], 1, 3, 2, 5);
        c.check("clients", &mut p0);
        c.check("clients", &mut p1);
        let kept: Vec<&str> = p0.items.iter().chain(&p1.items).map(|r| r.0).collect();
        assert_eq!(kept, ["a", "b", "c"], "each record once");
        assert_eq!(c.anomalies.len(), 2, "{:?}", c.anomalies);
        c.finish("clients", true);
        assert!(c.anomalies[2].contains("Phorest said 5 records, 3 were read"));
    }

    #[test]
    fn empty_and_short_pages_before_the_end_are_anomalies() {
        let mut c = PageChecker::new();
        c.check("staff", &mut page(vec!["a", "b"], 0, 2, 4, 7));
        c.check("staff", &mut page(vec![], 1, 2, 4, 7));
        c.check("staff", &mut page(vec!["c"], 2, 2, 4, 7));
        c.check("staff", &mut page(vec!["d"], 3, 2, 4, 7));
        c.finish("staff", true);
        assert!(
            c.anomalies[0].contains("page 1 was empty"),
            "{:?}",
            c.anomalies
        );
        assert!(
            c.anomalies
                .iter()
                .any(|a| a.contains("page 2 held 1 records")),
            "{:?}",
            c.anomalies
        );
        assert_eq!(c.cap, None);
    }

    #[test]
    fn a_consistent_page_size_cap_that_reads_everything_is_trusted() {
        // Asked for 3 per page; the server serves 2 and counts its pages by 2.
        let mut c = PageChecker::new();
        c.check("clients", &mut page(vec!["a", "b"], 0, 3, 3, 5));
        c.check("clients", &mut page(vec!["c", "d"], 1, 3, 3, 5));
        c.check("clients", &mut page(vec!["e"], 2, 3, 3, 5));
        c.finish("clients", true);
        assert!(c.anomalies.is_empty(), "{:?}", c.anomalies);
        assert_eq!(c.cap, Some(2));
    }

    #[test]
    fn short_pages_that_lose_records_stay_anomalies() {
        // Served 2 of 3 per page, but pages are counted by 3: records were skipped.
        let mut c = PageChecker::new();
        c.check("clients", &mut page(vec!["a", "b"], 0, 3, 2, 6));
        c.check("clients", &mut page(vec!["d", "e", "f"], 1, 3, 2, 6));
        c.finish("clients", true);
        assert_eq!(c.cap, None);
        assert!(
            c.anomalies
                .iter()
                .any(|a| a.contains("page 0 held 2 records")),
            "{:?}",
            c.anomalies
        );
        // A resumed walk cannot check totals: short pages stay anomalies.
        let mut c = PageChecker::new();
        c.check("clients", &mut page(vec!["a", "b"], 3, 3, 6, 17));
        c.finish("clients", false);
        assert_eq!(c.anomalies.len(), 1, "{:?}", c.anomalies);
    }

    #[test]
    fn counts_are_only_checked_for_walks_from_the_first_page() {
        let mut c = PageChecker::new();
        c.check("clients", &mut page(vec!["x"], 5, 1, 6, 6));
        c.finish("clients", false);
        assert!(c.anomalies.is_empty());
    }
}
