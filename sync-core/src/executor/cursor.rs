//! Per-stage checkpoints: watermarks for incremental reads and resume positions.
//!
//! The rules (Singer/Airbyte lessons, see `docs/architecture.md`):
//! - a stage's **watermark** is the start of its last *completed* run; the next run reads records
//!   updated at or after `watermark - overlap` (closed comparison, at-least-once; the content hash
//!   makes re-reads free of GHL writes);
//! - while a run is in progress its **cursor** is saved after every fully accounted-for page, so
//!   an interrupted run resumes at the first page not yet accounted for (re-reading at most one);
//! - a resumed run keeps the original `run_started_at`, so nothing updated while the first attempt
//!   was running is missed;
//! - a checkpoint belongs to what it was made for (its **target**: the GHL location, and the
//!   calendar for appointment stages); a run with another target ignores it and reads
//!   everything again;
//! - a stage that could not settle everything it read ([`StageCursor::abandon`]) keeps its old
//!   watermark, so the next run reads those records again;
//! - a dry run reads checkpoints but never writes them.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::store::{Checkpoint, CheckpointStore, StoreError};

/// The checkpoint of one stage during a run.
pub(crate) struct StageCursor<'a> {
    store: &'a dyn CheckpointStore,
    checkpoint: Checkpoint,
    dry_run: bool,
    overlap: chrono::Duration,
}

impl<'a> StageCursor<'a> {
    /// Load (or start) the checkpoint of `stage`.
    pub(crate) async fn begin(
        store: &'a dyn CheckpointStore,
        stage: &str,
        target: &str,
        overlap: chrono::Duration,
        dry_run: bool,
        full_refresh: bool,
    ) -> Result<StageCursor<'a>, StoreError> {
        let mut checkpoint = match store.load(stage).await? {
            Some(cp) if !full_refresh && cp.target.as_deref() == Some(target) => cp,
            // A checkpoint written before targets were kept is trusted once and stamped: the
            // state store is bound to its location, so only the calendar could differ.
            Some(cp) if !full_refresh && cp.target.is_none() => cp,
            Some(cp) if !full_refresh => {
                tracing::info!(
                    stage,
                    was = cp.target.as_deref().unwrap_or(""),
                    now = target,
                    "the stage's target changed: reading everything again"
                );
                Checkpoint::new(stage)
            }
            _ => Checkpoint::new(stage),
        };
        checkpoint.target = Some(target.to_owned());
        let resuming = !checkpoint.completed && checkpoint.run_started_at.is_some();
        if !resuming {
            checkpoint.run_started_at = Some(Utc::now());
            checkpoint.cursor = None;
            checkpoint.completed = false;
        }
        let cursor = StageCursor {
            store,
            checkpoint,
            dry_run,
            overlap,
        };
        cursor.persist().await?;
        Ok(cursor)
    }

    /// The lower bound for an incremental read (`watermark - overlap`), `None` for a full read.
    pub(crate) fn since(&self) -> Option<DateTime<Utc>> {
        self.checkpoint.watermark.map(|w| w - self.overlap)
    }

    /// The saved resume position of an interrupted run, if any and if it decodes as `T`.
    pub(crate) fn resume_position<T: DeserializeOwned>(&self) -> Option<T> {
        self.checkpoint
            .cursor
            .clone()
            .and_then(|v| serde_json::from_value(v).ok())
    }

    /// Record that everything before `position` is accounted for.
    pub(crate) async fn advance<T: Serialize>(&mut self, position: &T) -> Result<(), StoreError> {
        self.checkpoint.cursor =
            Some(serde_json::to_value(position).map_err(|e| StoreError::Corrupt(e.to_string()))?);
        self.persist().await
    }

    /// The stage read records it could not settle (paging anomalies): keep the watermark where
    /// it was and forget the position, so the next run reads from the old watermark again. The
    /// run's start is kept, so when a later run completes the watermark never passes a record
    /// this run missed.
    pub(crate) async fn abandon(mut self) -> Result<(), StoreError> {
        self.checkpoint.cursor = None;
        self.checkpoint.completed = false;
        self.persist().await
    }

    /// The stage finished: move the watermark to this run's start and clear the cursor.
    pub(crate) async fn complete(mut self) -> Result<(), StoreError> {
        self.checkpoint.watermark = self.checkpoint.run_started_at;
        self.checkpoint.cursor = None;
        self.checkpoint.completed = true;
        self.persist().await
    }

    async fn persist(&self) -> Result<(), StoreError> {
        if self.dry_run {
            return Ok(());
        }
        let mut checkpoint = self.checkpoint.clone();
        checkpoint.updated_at = Utc::now();
        self.store.save(&checkpoint).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::MemoryStore;

    #[tokio::test]
    async fn fresh_stage_reads_everything_then_moves_watermark_to_run_start() {
        let store = MemoryStore::new();
        let cursor = StageCursor::begin(
            &store,
            "clients",
            "location=L1",
            chrono::Duration::minutes(2),
            false,
            false,
        )
        .await
        .unwrap();
        assert_eq!(cursor.since(), None);
        let started = cursor.checkpoint.run_started_at.unwrap();
        cursor.complete().await.unwrap();
        let cp = store.load("clients").await.unwrap().unwrap();
        assert_eq!(cp.watermark, Some(started));
        assert!(cp.completed);
        assert_eq!(cp.cursor, None);

        let next = StageCursor::begin(
            &store,
            "clients",
            "location=L1",
            chrono::Duration::minutes(2),
            false,
            false,
        )
        .await
        .unwrap();
        assert_eq!(next.since(), Some(started - chrono::Duration::minutes(2)));
    }

    #[tokio::test]
    async fn interrupted_stage_resumes_at_saved_position_with_original_start() {
        let store = MemoryStore::new();
        let mut cursor = StageCursor::begin(
            &store,
            "staff",
            "location=L1",
            chrono::Duration::zero(),
            false,
            false,
        )
        .await
        .unwrap();
        let started = cursor.checkpoint.run_started_at;
        cursor.advance(&7u32).await.unwrap();
        drop(cursor); // killed here

        let resumed = StageCursor::begin(
            &store,
            "staff",
            "location=L1",
            chrono::Duration::zero(),
            false,
            false,
        )
        .await
        .unwrap();
        assert_eq!(resumed.resume_position::<u32>(), Some(7));
        assert_eq!(resumed.checkpoint.run_started_at, started);
    }

    #[tokio::test]
    async fn another_target_reads_everything_again() {
        let store = MemoryStore::new();
        let begin = |target: &'static str| {
            let store = store.clone();
            async move {
                let cursor = StageCursor::begin(
                    &store,
                    "appointments:b1",
                    target,
                    chrono::Duration::zero(),
                    false,
                    false,
                )
                .await
                .unwrap();
                let since = cursor.since();
                cursor.complete().await.unwrap();
                since
            }
        };
        assert_eq!(begin("location=L1;calendar=C1").await, None);
        assert!(begin("location=L1;calendar=C1").await.is_some());
        assert_eq!(
            begin("location=L1;calendar=C2").await,
            None,
            "a new calendar re-reads everything"
        );
    }

    #[tokio::test]
    async fn an_abandoned_stage_keeps_its_watermark() {
        let store = MemoryStore::new();
        let first = StageCursor::begin(
            &store,
            "clients",
            "t",
            chrono::Duration::zero(),
            false,
            false,
        )
        .await
        .unwrap();
        first.complete().await.unwrap();
        let watermark = store.load("clients").await.unwrap().unwrap().watermark;
        let mut second = StageCursor::begin(
            &store,
            "clients",
            "t",
            chrono::Duration::zero(),
            false,
            false,
        )
        .await
        .unwrap();
        second.advance(&4u32).await.unwrap();
        second.abandon().await.unwrap();
        let cp = store.load("clients").await.unwrap().unwrap();
        assert_eq!(cp.watermark, watermark, "the watermark did not move");
        assert_eq!(cp.cursor, None, "the next run starts from the first page");
        assert!(!cp.completed);
        let third = StageCursor::begin(
            &store,
            "clients",
            "t",
            chrono::Duration::zero(),
            false,
            false,
        )
        .await
        .unwrap();
        assert_eq!(third.since(), watermark);
        assert_eq!(third.resume_position::<u32>(), None);
    }

    #[tokio::test]
    async fn dry_run_never_writes_checkpoints() {
        let store = MemoryStore::new();
        let mut cursor = StageCursor::begin(
            &store,
            "staff",
            "location=L1",
            chrono::Duration::zero(),
            true,
            false,
        )
        .await
        .unwrap();
        cursor.advance(&3u32).await.unwrap();
        cursor.complete().await.unwrap();
        assert_eq!(store.load("staff").await.unwrap(), None);
    }
}
