//! The embedded SQLite store (feature `sqlite`).

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;
use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::{
    Checkpoint, CheckpointStore, Claim, IdentityClaims, IdentityStore, KvStore, Lease, LeaseGrant,
    LeaseStore, Mapping, MappingState, MappingStore, StoreError, check_claims,
};
use crate::entity::{EntityKind, GhlObject};

/// The schema version this library writes (`PRAGMA user_version`).
const SCHEMA_VERSION: i64 = 2;

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
    // 1 -> 2: the GHL object a mapping owns (one owner per object), the last written payload,
    // leases, the shared-identity index.
    "ALTER TABLE mappings ADD COLUMN ghl_object TEXT;
    ALTER TABLE mappings ADD COLUMN last_written TEXT;
    UPDATE mappings SET ghl_object = CASE entity
        WHEN 'staff' THEN 'contact' WHEN 'client' THEN 'contact'
        WHEN 'appointment' THEN 'appointment'
        WHEN 'check_in' THEN 'note' WHEN 'booking' THEN 'note'
        WHEN 'product' THEN 'product' ELSE NULL END;
    DROP INDEX mappings_by_ghl_id;
    CREATE INDEX mappings_by_object ON mappings (ghl_object, ghl_id);
    CREATE TABLE leases (
        key        TEXT PRIMARY KEY NOT NULL,
        holder     TEXT NOT NULL,
        token      TEXT NOT NULL,
        expires_at TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE identity_claims (
        owner TEXT NOT NULL,
        value TEXT NOT NULL,
        rank  TEXT NOT NULL,
        PRIMARY KEY (owner, value)
    ) WITHOUT ROWID;
    CREATE INDEX identity_claims_by_value ON identity_claims (value, owner);",
];

const MAPPING_COLUMNS: &str = "entity, phorest_id, ghl_id, state, content_hash, owned_tags, attempts, last_error, updated_at, last_written";

/// Every store trait ([`MappingStore`], [`CheckpointStore`], [`KvStore`], [`LeaseStore`],
/// [`IdentityStore`]) in one SQLite file.
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
    last_written: Option<String>,
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
            last_written: r.get(9)?,
        })
    }

    fn decode(self) -> Result<Mapping, StoreError> {
        let entity = self
            .entity
            .parse::<EntityKind>()
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let mut m = Mapping::new(entity, self.phorest_id);
        m.ghl_id = self.ghl_id;
        m.state = self.state.parse::<MappingState>()?;
        m.content_hash = self.content_hash;
        m.owned_tags = serde_json::from_str(&self.owned_tags).map_err(json_err)?;
        m.last_written = self
            .last_written
            .map(|v| serde_json::from_str(&v).map_err(json_err))
            .transpose()?;
        m.attempts = u32::try_from(self.attempts)
            .map_err(|_| StoreError::Corrupt(format!("bad attempts {}", self.attempts)))?;
        m.last_error = self.last_error;
        m.updated_at = parse_ts(&self.updated_at)?;
        Ok(m)
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
    let written = m
        .last_written
        .as_ref()
        .map(serde_json::to_string)
        .transpose()
        .map_err(json_err)?;
    let mut stmt = conn.prepare_cached(&format!(
        "INSERT OR REPLACE INTO mappings ({MAPPING_COLUMNS}, ghl_object) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
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
        written,
        m.entity.ghl_object().map(GhlObject::as_str),
    ])?;
    Ok(())
}

fn owner_of(
    conn: &Connection,
    object: GhlObject,
    ghl_id: &str,
) -> Result<Option<Mapping>, StoreError> {
    Ok(query_mappings(
        conn,
        &format!(
            "SELECT {MAPPING_COLUMNS} FROM mappings INDEXED BY mappings_by_object WHERE ghl_object = ?1 AND ghl_id = ?2 ORDER BY entity, phorest_id LIMIT 1"
        ),
        params![object.as_str(), ghl_id],
    )?
    .pop())
}

/// Checks the claims of `batch` and writes it, in one transaction.
fn put_checked(conn: &mut Connection, batch: &[Mapping]) -> Result<(), StoreError> {
    let tx = conn.transaction()?;
    check_claims(batch, |object, ghl_id| owner_of(&tx, object, ghl_id))?;
    for m in batch {
        upsert_mapping(&tx, m)?;
    }
    tx.commit()?;
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
        self.with_conn(move |c| put_checked(c, std::slice::from_ref(&m)))
            .await
    }

    async fn put_many(&self, mappings: &[Mapping]) -> Result<(), StoreError> {
        if mappings.is_empty() {
            return Ok(());
        }
        let ms = mappings.to_vec();
        self.with_conn(move |c| put_checked(c, &ms)).await
    }

    async fn claim(&self, mapping: &Mapping) -> Result<Claim, StoreError> {
        let m = mapping.clone();
        match self
            .with_conn(move |c| put_checked(c, std::slice::from_ref(&m)))
            .await
        {
            Ok(()) => Ok(Claim::Claimed),
            Err(StoreError::Conflict { owner, .. }) => Ok(Claim::Taken { owner }),
            Err(other) => Err(other),
        }
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

    async fn owner_of(
        &self,
        object: GhlObject,
        ghl_id: &str,
    ) -> Result<Option<Mapping>, StoreError> {
        let ghl = ghl_id.to_owned();
        self.with_conn(move |c| owner_of(c, object, &ghl)).await
    }

    async fn list(
        &self,
        entity: EntityKind,
        state: Option<MappingState>,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Mapping>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let after = after.map(str::to_owned);
        self.with_conn(move |c| match state {
            Some(state) => query_mappings(
                c,
                &format!(
                    "SELECT {MAPPING_COLUMNS} FROM mappings INDEXED BY mappings_by_state WHERE entity = ?1 AND state = ?2 AND (?3 IS NULL OR phorest_id > ?3) ORDER BY phorest_id LIMIT ?4"
                ),
                params![entity.as_str(), state.as_str(), after, limit],
            ),
            None => query_mappings(
                c,
                &format!(
                    "SELECT {MAPPING_COLUMNS} FROM mappings WHERE entity = ?1 AND (?2 IS NULL OR phorest_id > ?2) ORDER BY phorest_id LIMIT ?3"
                ),
                params![entity.as_str(), after, limit],
            ),
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

    async fn delete_value(&self, key: &str) -> Result<(), StoreError> {
        let key = key.to_owned();
        self.with_conn(move |c| {
            c.prepare_cached("DELETE FROM kv WHERE key = ?1")?
                .execute(params![key])?;
            Ok(())
        })
        .await
    }
}

#[async_trait]
impl LeaseStore for SqliteStore {
    async fn acquire_lease(
        &self,
        key: &str,
        holder: &str,
        ttl: chrono::Duration,
    ) -> Result<LeaseGrant, StoreError> {
        let (key, holder) = (key.to_owned(), holder.to_owned());
        self.with_conn(move |c| {
            // IMMEDIATE: take the write lock first, so two processes on one file cannot both
            // see the lease free.
            let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let now = Utc::now();
            let current: Option<(String, String)> = tx
                .prepare_cached("SELECT holder, expires_at FROM leases WHERE key = ?1")?
                .query_row(params![key], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?;
            if let Some((current_holder, expires)) = current {
                let expires_at = parse_ts(&expires)?;
                if expires_at > now {
                    return Ok(LeaseGrant::Held {
                        holder: current_holder,
                        expires_at,
                    });
                }
            }
            let lease = Lease::new(key, holder, uuid::Uuid::new_v4().to_string(), now + ttl);
            tx.prepare_cached(
                "INSERT OR REPLACE INTO leases (key, holder, token, expires_at) VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![lease.key, lease.holder, lease.token, ts(&lease.expires_at)])?;
            tx.commit()?;
            Ok(LeaseGrant::Acquired(lease))
        })
        .await
    }

    async fn renew_lease(
        &self,
        lease: &Lease,
        ttl: chrono::Duration,
    ) -> Result<Option<Lease>, StoreError> {
        let lease = lease.clone();
        self.with_conn(move |c| {
            let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let now = Utc::now();
            let current: Option<(String, String)> = tx
                .prepare_cached("SELECT token, expires_at FROM leases WHERE key = ?1")?
                .query_row(params![lease.key], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?;
            match current {
                Some((token, expires)) if token == lease.token && parse_ts(&expires)? > now => {
                    let mut renewed = lease;
                    renewed.expires_at = now + ttl;
                    tx.prepare_cached("UPDATE leases SET expires_at = ?2 WHERE key = ?1")?
                        .execute(params![renewed.key, ts(&renewed.expires_at)])?;
                    tx.commit()?;
                    Ok(Some(renewed))
                }
                _ => Ok(None),
            }
        })
        .await
    }

    async fn release_lease(&self, lease: &Lease) -> Result<(), StoreError> {
        let lease = lease.clone();
        self.with_conn(move |c| {
            c.prepare_cached("DELETE FROM leases WHERE key = ?1 AND token = ?2")?
                .execute(params![lease.key, lease.token])?;
            Ok(())
        })
        .await
    }
}

#[async_trait]
impl IdentityStore for SqliteStore {
    async fn identity_claims(&self, values: &[String]) -> Result<Vec<IdentityClaims>, StoreError> {
        let values = values.to_vec();
        self.with_conn(move |c| {
            let mut by_owner: std::collections::BTreeMap<String, IdentityClaims> =
                std::collections::BTreeMap::new();
            let mut stmt = c.prepare_cached(
                "SELECT owner, rank FROM identity_claims INDEXED BY identity_claims_by_value WHERE value = ?1",
            )?;
            for value in values {
                let rows = stmt
                    .query_map(params![value], |r| {
                        Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
                    })?
                    .collect::<Result<Vec<_>, _>>()?;
                for (owner, rank) in rows {
                    let entry = by_owner
                        .entry(owner.clone())
                        .or_insert_with(|| IdentityClaims::new(owner, rank, Vec::new()));
                    if !entry.values.contains(&value) {
                        entry.values.push(value.clone());
                    }
                }
            }
            Ok(by_owner.into_values().collect())
        })
        .await
    }

    async fn replace_identity_claims(
        &self,
        claims: &[IdentityClaims],
    ) -> Result<Vec<IdentityClaims>, StoreError> {
        let claims = claims.to_vec();
        self.with_conn(move |c| {
            let tx = c.transaction()?;
            let mut previous = Vec::new();
            {
                let mut select =
                    tx.prepare_cached("SELECT value, rank FROM identity_claims WHERE owner = ?1 ORDER BY value")?;
                let mut delete = tx.prepare_cached("DELETE FROM identity_claims WHERE owner = ?1")?;
                let mut insert = tx.prepare_cached(
                    "INSERT OR REPLACE INTO identity_claims (owner, value, rank) VALUES (?1, ?2, ?3)",
                )?;
                for new in &claims {
                    let old = select
                        .query_map(params![new.owner], |r| {
                            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
                        })?
                        .collect::<Result<Vec<_>, _>>()?;
                    if let Some((_, rank)) = old.first() {
                        let rank = rank.clone();
                        previous.push(IdentityClaims::new(
                            new.owner.clone(),
                            rank,
                            old.into_iter().map(|(v, _)| v).collect(),
                        ));
                        delete.execute(params![new.owner])?;
                    }
                    for value in &new.values {
                        insert.execute(params![new.owner, value, new.rank])?;
                    }
                }
            }
            tx.commit()?;
            Ok(previous)
        })
        .await
    }
}
