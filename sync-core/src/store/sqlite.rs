//! The embedded SQLite store (feature `sqlite`).

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;
use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::{
    Checkpoint, CheckpointStore, KvStore, Mapping, MappingState, MappingStore, StoreError,
};
use crate::entity::EntityKind;

/// The schema version this library writes (`PRAGMA user_version`).
const SCHEMA_VERSION: i64 = 1;

/// Migrations, index `i` upgrades version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[
    // 0 -> 1
    "CREATE TABLE mappings (
        entity       TEXT NOT NULL,
        phorest_id   TEXT NOT NULL,
        ghl_id       TEXT,
        state        TEXT NOT NULL,
        content_hash TEXT,
        owned_tags   TEXT NOT NULL DEFAULT '[]',
        attempts     INTEGER NOT NULL DEFAULT 0,
        last_error   TEXT,
        updated_at   TEXT NOT NULL,
        PRIMARY KEY (entity, phorest_id)
    ) WITHOUT ROWID;
    CREATE INDEX mappings_by_ghl_id ON mappings (entity, ghl_id);
    CREATE INDEX mappings_by_state ON mappings (entity, state);
    CREATE TABLE checkpoints (
        stage TEXT PRIMARY KEY NOT NULL,
        data  TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE kv (
        key   TEXT PRIMARY KEY NOT NULL,
        value TEXT NOT NULL
    ) WITHOUT ROWID;",
];

const MAPPING_COLUMNS: &str =
    "entity, phorest_id, ghl_id, state, content_hash, owned_tags, attempts, last_error, updated_at";

/// A [`MappingStore`], [`CheckpointStore`] and [`KvStore`] in one SQLite file.
///
/// WAL journal, `synchronous=NORMAL` (a crash can lose the last transactions
/// but never corrupts the file), a versioned schema migrated on open. rusqlite
/// is synchronous, so every trait call runs on tokio's blocking pool; a tokio
/// runtime is required for them. Clones share one connection.
///
/// ```no_run
/// use sync_core::store::SqliteStore;
/// # async fn demo() -> Result<(), sync_core::store::StoreError> {
/// let store = SqliteStore::open("phorest-ghl.sqlite3")?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct SqliteStore {
    conn: Arc<Mutex<Connection>>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore").finish_non_exhaustive()
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(err: rusqlite::Error) -> Self {
        StoreError::backend(err)
    }
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path` and migrates it.
    ///
    /// Fails with [`StoreError::Corrupt`] if the file was written by a newer
    /// schema version.
    ///
    /// Opening is synchronous (a file open and a few pragmas), so it can run
    /// before a runtime exists; every later call is async.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        Self::init(Connection::open(path)?)
    }

    /// A private in-memory database (lost when the store is dropped).
    pub fn open_in_memory() -> Result<Self, StoreError> {
        Self::init(Connection::open_in_memory()?)
    }

    fn init(mut conn: Connection) -> Result<Self, StoreError> {
        // journal_mode returns the resulting mode as a row.
        let _mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        migrate(&mut conn)?;
        Ok(SqliteStore {
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    /// The schema version of the open database.
    pub async fn schema_version(&self) -> Result<i64, StoreError> {
        self.with_conn(|c| Ok(c.query_row("PRAGMA user_version", [], |r| r.get(0))?))
            .await
    }

    async fn with_conn<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let conn = Arc::clone(&self.conn);
        run_blocking(move || {
            // A panic inside a closure aborts its transaction (rusqlite rolls
            // back on drop), so a poisoned connection is still consistent.
            let mut guard = conn.lock().unwrap_or_else(PoisonError::into_inner);
            f(&mut guard)
        })
        .await
    }
}

async fn run_blocking<T, F>(f: F) -> Result<T, StoreError>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, StoreError> + Send + 'static,
{
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| StoreError::Task(e.to_string()))?
}

fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let current: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if current > SCHEMA_VERSION {
        return Err(StoreError::Corrupt(format!(
            "database schema version {current} is newer than this library's {SCHEMA_VERSION}; upgrade sync-core"
        )));
    }
    let start = usize::try_from(current).unwrap_or(0);
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(start) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(
            None,
            "user_version",
            i64::try_from(i + 1).unwrap_or(i64::MAX),
        )?;
        tx.commit()?;
        tracing::debug!(version = i + 1, "sqlite store migrated");
    }
    Ok(())
}

fn ts(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

fn parse_ts(s: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| StoreError::Corrupt(format!("bad timestamp {s:?}: {e}")))
}

fn json_err(e: serde_json::Error) -> StoreError {
    StoreError::Corrupt(format!("bad JSON: {e}"))
}

/// The raw columns of a mapping row, decoded outside rusqlite's closure so
/// that decoding errors keep their own type.
struct RawMapping {
    entity: String,
    phorest_id: String,
    ghl_id: Option<String>,
    state: String,
    content_hash: Option<String>,
    owned_tags: String,
    attempts: i64,
    last_error: Option<String>,
    updated_at: String,
}

impl RawMapping {
    fn from_row(r: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(RawMapping {
            entity: r.get(0)?,
            phorest_id: r.get(1)?,
            ghl_id: r.get(2)?,
            state: r.get(3)?,
            content_hash: r.get(4)?,
            owned_tags: r.get(5)?,
            attempts: r.get(6)?,
            last_error: r.get(7)?,
            updated_at: r.get(8)?,
        })
    }

    fn decode(self) -> Result<Mapping, StoreError> {
        Ok(Mapping {
            entity: self
                .entity
                .parse::<EntityKind>()
                .map_err(|e| StoreError::Corrupt(e.to_string()))?,
            phorest_id: self.phorest_id,
            ghl_id: self.ghl_id,
            state: self.state.parse::<MappingState>()?,
            content_hash: self.content_hash,
            owned_tags: serde_json::from_str(&self.owned_tags).map_err(json_err)?,
            attempts: u32::try_from(self.attempts)
                .map_err(|_| StoreError::Corrupt(format!("bad attempts {}", self.attempts)))?,
            last_error: self.last_error,
            updated_at: parse_ts(&self.updated_at)?,
        })
    }
}

fn query_mappings(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> Result<Vec<Mapping>, StoreError> {
    let mut stmt = conn.prepare_cached(sql)?;
    let raws = stmt
        .query_map(params, RawMapping::from_row)?
        .collect::<Result<Vec<_>, _>>()?;
    raws.into_iter().map(RawMapping::decode).collect()
}

fn upsert_mapping(conn: &Connection, m: &Mapping) -> Result<(), StoreError> {
    let tags = serde_json::to_string(&m.owned_tags).map_err(json_err)?;
    let mut stmt = conn.prepare_cached(&format!(
        "INSERT OR REPLACE INTO mappings ({MAPPING_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
    ))?;
    stmt.execute(params![
        m.entity.as_str(),
        m.phorest_id,
        m.ghl_id,
        m.state.as_str(),
        m.content_hash,
        tags,
        i64::from(m.attempts),
        m.last_error,
        ts(&m.updated_at),
    ])?;
    Ok(())
}

#[async_trait]
impl MappingStore for SqliteStore {
    async fn get(
        &self,
        entity: EntityKind,
        phorest_id: &str,
    ) -> Result<Option<Mapping>, StoreError> {
        let id = phorest_id.to_owned();
        self.with_conn(move |c| {
            let raw = c
                .prepare_cached(&format!(
                    "SELECT {MAPPING_COLUMNS} FROM mappings WHERE entity = ?1 AND phorest_id = ?2"
                ))?
                .query_row(params![entity.as_str(), id], RawMapping::from_row)
                .optional()?;
            raw.map(RawMapping::decode).transpose()
        })
        .await
    }

    async fn get_many(
        &self,
        entity: EntityKind,
        phorest_ids: &[String],
    ) -> Result<HashMap<String, Mapping>, StoreError> {
        let ids = phorest_ids.to_vec();
        self.with_conn(move |c| {
            let tx = c.transaction()?;
            let mut out = HashMap::with_capacity(ids.len());
            {
                let mut stmt = tx.prepare_cached(&format!(
                    "SELECT {MAPPING_COLUMNS} FROM mappings WHERE entity = ?1 AND phorest_id = ?2"
                ))?;
                for id in ids {
                    if let Some(raw) = stmt
                        .query_row(params![entity.as_str(), id], RawMapping::from_row)
                        .optional()?
                    {
                        out.insert(id, raw.decode()?);
                    }
                }
            }
            tx.commit()?;
            Ok(out)
        })
        .await
    }

    async fn put(&self, mapping: &Mapping) -> Result<(), StoreError> {
        let m = mapping.clone();
        self.with_conn(move |c| upsert_mapping(c, &m)).await
    }

    async fn put_many(&self, mappings: &[Mapping]) -> Result<(), StoreError> {
        let ms = mappings.to_vec();
        self.with_conn(move |c| {
            let tx = c.transaction()?;
            for m in &ms {
                upsert_mapping(&tx, m)?;
            }
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn delete(&self, entity: EntityKind, phorest_id: &str) -> Result<(), StoreError> {
        let id = phorest_id.to_owned();
        self.with_conn(move |c| {
            c.prepare_cached("DELETE FROM mappings WHERE entity = ?1 AND phorest_id = ?2")?
                .execute(params![entity.as_str(), id])?;
            Ok(())
        })
        .await
    }

    async fn find_by_ghl_id(
        &self,
        entity: EntityKind,
        ghl_id: &str,
    ) -> Result<Vec<Mapping>, StoreError> {
        let ghl = ghl_id.to_owned();
        self.with_conn(move |c| {
            query_mappings(
                c,
                &format!(
                    "SELECT {MAPPING_COLUMNS} FROM mappings INDEXED BY mappings_by_ghl_id WHERE entity = ?1 AND ghl_id = ?2 ORDER BY phorest_id"
                ),
                params![entity.as_str(), ghl],
            )
        })
        .await
    }

    async fn list_by_state(
        &self,
        entity: EntityKind,
        state: MappingState,
        limit: usize,
    ) -> Result<Vec<Mapping>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.with_conn(move |c| {
            query_mappings(
                c,
                &format!(
                    "SELECT {MAPPING_COLUMNS} FROM mappings INDEXED BY mappings_by_state WHERE entity = ?1 AND state = ?2 ORDER BY phorest_id LIMIT ?3"
                ),
                params![entity.as_str(), state.as_str(), limit],
            )
        })
        .await
    }

    async fn count(
        &self,
        entity: EntityKind,
        state: Option<MappingState>,
    ) -> Result<u64, StoreError> {
        self.with_conn(move |c| {
            let n: i64 = c
                .prepare_cached(
                    "SELECT COUNT(*) FROM mappings WHERE entity = ?1 AND (?2 IS NULL OR state = ?2)",
                )?
                .query_row(params![entity.as_str(), state.map(|s| s.as_str())], |r| {
                    r.get(0)
                })?;
            Ok(u64::try_from(n).unwrap_or(0))
        })
        .await
    }
}

#[async_trait]
impl CheckpointStore for SqliteStore {
    async fn load(&self, stage: &str) -> Result<Option<Checkpoint>, StoreError> {
        let stage = stage.to_owned();
        self.with_conn(move |c| {
            let data: Option<String> = c
                .prepare_cached("SELECT data FROM checkpoints WHERE stage = ?1")?
                .query_row(params![stage], |r| r.get(0))
                .optional()?;
            data.map(|d| serde_json::from_str(&d).map_err(json_err))
                .transpose()
        })
        .await
    }

    async fn save(&self, checkpoint: &Checkpoint) -> Result<(), StoreError> {
        let stage = checkpoint.stage.clone();
        let data = serde_json::to_string(checkpoint).map_err(json_err)?;
        self.with_conn(move |c| {
            c.prepare_cached("INSERT OR REPLACE INTO checkpoints (stage, data) VALUES (?1, ?2)")?
                .execute(params![stage, data])?;
            Ok(())
        })
        .await
    }

    async fn clear(&self, stage: &str) -> Result<(), StoreError> {
        let stage = stage.to_owned();
        self.with_conn(move |c| {
            c.prepare_cached("DELETE FROM checkpoints WHERE stage = ?1")?
                .execute(params![stage])?;
            Ok(())
        })
        .await
    }
}

#[async_trait]
impl KvStore for SqliteStore {
    async fn get_value(&self, key: &str) -> Result<Option<serde_json::Value>, StoreError> {
        let key = key.to_owned();
        self.with_conn(move |c| {
            let v: Option<String> = c
                .prepare_cached("SELECT value FROM kv WHERE key = ?1")?
                .query_row(params![key], |r| r.get(0))
                .optional()?;
            v.map(|v| serde_json::from_str(&v).map_err(json_err))
                .transpose()
        })
        .await
    }

    async fn set_value(&self, key: &str, value: &serde_json::Value) -> Result<(), StoreError> {
        let key = key.to_owned();
        let v = serde_json::to_string(value).map_err(json_err)?;
        self.with_conn(move |c| {
            c.prepare_cached("INSERT OR REPLACE INTO kv (key, value) VALUES (?1, ?2)")?
                .execute(params![key, v])?;
            Ok(())
        })
        .await
    }
}
