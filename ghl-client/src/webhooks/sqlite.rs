//! [`SqliteReplayStore`]: seen webhook ids in a SQLite table (feature `webhooks-sqlite`).

use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Utc};
use rusqlite::{Connection, params};

use super::error::ReplayStoreError;
use super::replay::{InsertOutcome, ReplayStore};
use crate::ids::WebhookId;

/// Expired rows are deleted once every this many inserts.
const PURGE_EVERY: u32 = 256;

const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS ghl_webhook_replay (
    webhook_id TEXT PRIMARY KEY NOT NULL,
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS ghl_webhook_replay_by_expiry ON ghl_webhook_replay (expires_at);";

/// A [`ReplayStore`] in one SQLite table (`ghl_webhook_replay`), so seen ids survive restarts
/// and can be shared by processes on one host. The table may live in a database file used
/// for other things; it is created if missing. Opening switches the file to WAL journaling
/// (as `sync-core`'s store does) with `synchronous=NORMAL`: a crash can lose the ids of the
/// last moments (whose deliveries then pass once more), never corrupt the file.
///
/// rusqlite is synchronous: every insert runs on tokio's blocking pool (a tokio runtime is
/// required), never on the async workers. One statement decides atomically: insert the id,
/// or replace its row if that row has expired, else report it seen. Expired rows are purged
/// every 256 inserts. Clones share one connection.
///
/// ```no_run
/// use ghl_client::webhooks::{SqliteReplayStore, WebhookVerifier};
/// # fn demo() -> Result<(), ghl_client::webhooks::ReplayStoreError> {
/// let verifier = WebhookVerifier::builder()
///     .replay_store(SqliteReplayStore::open("webhooks.sqlite3")?)
///     .build();
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct SqliteReplayStore {
    conn: Arc<Mutex<Connection>>,
    inserts: Arc<AtomicU32>,
}

impl std::fmt::Debug for SqliteReplayStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteReplayStore").finish_non_exhaustive()
    }
}

fn store_error(context: &str) -> impl FnOnce(rusqlite::Error) -> ReplayStoreError + '_ {
    move |e| ReplayStoreError::with_source(format!("sqlite replay store: {context}"), e)
}

impl SqliteReplayStore {
    /// Opens (creating if needed) the database at `path` and its table. Synchronous (a file
    /// open and one statement), so it can run before a runtime exists.
    ///
    /// # Errors
    ///
    /// [`ReplayStoreError`] when the file cannot be opened or the table created.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, ReplayStoreError> {
        Self::init(Connection::open(path).map_err(store_error("open"))?)
    }

    /// A private in-memory database (lost when the store is dropped).
    ///
    /// # Errors
    ///
    /// [`ReplayStoreError`] when SQLite cannot create it.
    pub fn open_in_memory() -> Result<Self, ReplayStoreError> {
        Self::init(Connection::open_in_memory().map_err(store_error("open"))?)
    }

    fn init(conn: Connection) -> Result<Self, ReplayStoreError> {
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(store_error("busy timeout"))?;
        // WAL with synchronous=NORMAL: a commit is a write to the log, not an fsync (about
        // 40 inserts/s with the default rollback journal on a busy disk). A crash may forget
        // the last ids, never corrupt the file. (In-memory databases stay in `memory` mode.)
        let _mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .map_err(store_error("journal mode"))?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(store_error("synchronous"))?;
        conn.execute_batch(SCHEMA)
            .map_err(store_error("create table"))?;
        Ok(Self {
            conn: Arc::new(Mutex::new(conn)),
            inserts: Arc::new(AtomicU32::new(0)),
        })
    }

    /// How many ids are recorded, expired ones included until they are purged.
    ///
    /// # Errors
    ///
    /// [`ReplayStoreError`] when the query fails.
    pub async fn count(&self) -> Result<u64, ReplayStoreError> {
        let conn = Arc::clone(&self.conn);
        run_blocking(move || {
            let conn = conn.lock().unwrap_or_else(PoisonError::into_inner);
            conn.query_row("SELECT COUNT(*) FROM ghl_webhook_replay", [], |r| {
                r.get::<_, i64>(0)
            })
            .map(|n| u64::try_from(n).unwrap_or_default())
            .map_err(store_error("count"))
        })
        .await
    }
}

async fn run_blocking<T, F>(f: F) -> Result<T, ReplayStoreError>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, ReplayStoreError> + Send + 'static,
{
    tokio::task::spawn_blocking(f).await.map_err(|e| {
        ReplayStoreError::with_source("sqlite replay store: blocking task failed", e)
    })?
}

#[async_trait::async_trait]
impl ReplayStore for SqliteReplayStore {
    async fn insert_if_absent(
        &self,
        webhook_id: &WebhookId,
        expires_at: DateTime<Utc>,
    ) -> Result<InsertOutcome, ReplayStoreError> {
        let conn = Arc::clone(&self.conn);
        let id = webhook_id.as_str().to_owned();
        let expiry = expires_at.timestamp_millis();
        let purge = self.inserts.fetch_add(1, Ordering::Relaxed) % PURGE_EVERY == PURGE_EVERY - 1;
        run_blocking(move || {
            let conn = conn.lock().unwrap_or_else(PoisonError::into_inner);
            let now = Utc::now().timestamp_millis();
            if purge {
                conn.execute(
                    "DELETE FROM ghl_webhook_replay WHERE expires_at <= ?1",
                    params![now],
                )
                .map_err(store_error("purge"))?;
            }
            let changed = conn
                .execute(
                    "INSERT INTO ghl_webhook_replay (webhook_id, expires_at) VALUES (?1, ?2)
                     ON CONFLICT (webhook_id) DO UPDATE SET expires_at = excluded.expires_at
                     WHERE ghl_webhook_replay.expires_at <= ?3",
                    params![id, expiry, now],
                )
                .map_err(store_error("insert"))?;
            Ok(if changed == 0 {
                InsertOutcome::AlreadySeen
            } else {
                InsertOutcome::Inserted
            })
        })
        .await
    }
}
