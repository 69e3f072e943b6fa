//! The PostgreSQL store (feature `postgres`).
//!
//! Every store trait in one PostgreSQL schema, shared by any number of processes: one owner per
//! GHL object is a (deferred) unique constraint, leases are conditional upserts on the
//! database's clock, and batches are single statements over arrays (`unnest`), so a page of
//! mappings costs one round trip, not one per record.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use deadpool_postgres::{Hook, HookError, Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use tokio_postgres::Row;
use tokio_postgres::error::SqlState;

use super::{
    Checkpoint, CheckpointStore, Claim, IdentityClaims, IdentityStore, KvStore, Lease, LeaseGrant,
    LeaseStore, Mapping, MappingState, MappingStore, StoreError, check_claims,
};
use crate::entity::{EntityKind, GhlObject};

/// The schema version this library writes (the highest row of `schema_version`).
pub const POSTGRES_SCHEMA_VERSION: i32 = 1;

/// The schema a store uses when none is given.
pub const POSTGRES_DEFAULT_SCHEMA: &str = "phorest_ghl";

/// Migrations: index `i` upgrades version `i` to `i + 1`. `{s}` is the quoted schema name.
const MIGRATIONS: &[(&str, &str)] = &[(
    "mappings, checkpoints, kv, leases, identity claims",
    // Ids and ranks sort byte-wise (COLLATE "C"), like the other stores. `updated_at_ns` keeps
    // the nanoseconds below timestamptz's microsecond so a mapping reads back exactly.
    // One owner per GHL object is a unique constraint checked at commit, so a batch may move
    // an object from one record to another.
    r#"CREATE TABLE {s}.mappings (
        entity        text COLLATE "C" NOT NULL,
        phorest_id    text COLLATE "C" NOT NULL,
        ghl_object    text COLLATE "C",
        ghl_id        text COLLATE "C",
        state         text NOT NULL,
        content_hash  text,
        owned_tags    json NOT NULL,
        last_written  json,
        attempts      bigint NOT NULL,
        last_error    text,
        updated_at    timestamptz NOT NULL,
        updated_at_ns smallint NOT NULL DEFAULT 0,
        PRIMARY KEY (entity, phorest_id),
        CONSTRAINT mappings_one_owner UNIQUE (ghl_object, ghl_id) DEFERRABLE INITIALLY DEFERRED
    );
    CREATE INDEX mappings_by_state ON {s}.mappings (entity, state, phorest_id);
    CREATE TABLE {s}.checkpoints (
        stage text COLLATE "C" PRIMARY KEY,
        data  json NOT NULL
    );
    CREATE TABLE {s}.kv (
        key   text COLLATE "C" PRIMARY KEY,
        value json NOT NULL
    );
    CREATE TABLE {s}.leases (
        key        text COLLATE "C" PRIMARY KEY,
        holder     text NOT NULL,
        token      text NOT NULL,
        expires_at timestamptz NOT NULL
    );
    CREATE TABLE {s}.identity_claims (
        owner text COLLATE "C" NOT NULL,
        value text COLLATE "C" NOT NULL,
        rank  text COLLATE "C" NOT NULL,
        PRIMARY KEY (owner, value)
    );
    CREATE INDEX identity_claims_by_value ON {s}.identity_claims (value, owner);"#,
)];

/// How often a transaction that lost a race (deadlock, a concurrent claim of one GHL object)
/// is tried again before its error is returned.
const ATTEMPTS: u32 = 5;

const MAPPING_COLUMNS: &str = "m.entity, m.phorest_id, m.ghl_id, m.state, m.content_hash, m.owned_tags, m.last_written, m.attempts, m.last_error, m.updated_at, m.updated_at_ns";

/// The SQL of every operation, with the schema name filled in once.
#[derive(Debug)]
struct Sql {
    get: String,
    get_many: String,
    upsert: String,
    owners: String,
    delete: String,
    list: String,
    list_after: String,
    list_state: String,
    list_state_after: String,
    count: String,
    count_state: String,
    load: String,
    save: String,
    clear: String,
    get_value: String,
    set_value: String,
    delete_value: String,
    acquire: String,
    lease_holder: String,
    renew: String,
    release: String,
    claims_of_values: String,
    claims_of_owners: String,
    delete_claims: String,
    insert_claims: String,
    version: String,
}

impl Sql {
    fn new(s: &str) -> Self {
        let from = format!("FROM {s}.mappings m");
        Sql {
            get: format!(
                "SELECT {MAPPING_COLUMNS} {from} WHERE m.entity = $1 AND m.phorest_id = $2"
            ),
            get_many: format!(
                "SELECT {MAPPING_COLUMNS} {from} WHERE m.entity = $1 AND m.phorest_id = ANY($2::text[])"
            ),
            upsert: format!(
                "INSERT INTO {s}.mappings AS m (entity, phorest_id, ghl_object, ghl_id, state, content_hash, owned_tags, last_written, attempts, last_error, updated_at, updated_at_ns)
                 SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::json[], $8::json[], $9::int8[], $10::text[], $11::timestamptz[], $12::int2[])
                 ON CONFLICT (entity, phorest_id) DO UPDATE SET
                    ghl_object = EXCLUDED.ghl_object, ghl_id = EXCLUDED.ghl_id, state = EXCLUDED.state,
                    content_hash = EXCLUDED.content_hash, owned_tags = EXCLUDED.owned_tags,
                    last_written = EXCLUDED.last_written, attempts = EXCLUDED.attempts,
                    last_error = EXCLUDED.last_error, updated_at = EXCLUDED.updated_at,
                    updated_at_ns = EXCLUDED.updated_at_ns"
            ),
            owners: format!(
                "SELECT {MAPPING_COLUMNS} {from}
                 JOIN unnest($1::text[], $2::text[]) AS k(object, ghl_id)
                   ON m.ghl_object = k.object AND m.ghl_id = k.ghl_id
                 ORDER BY m.entity, m.phorest_id"
            ),
            delete: format!("DELETE FROM {s}.mappings WHERE entity = $1 AND phorest_id = $2"),
            list: format!(
                "SELECT {MAPPING_COLUMNS} {from} WHERE m.entity = $1 ORDER BY m.phorest_id LIMIT $2"
            ),
            list_after: format!(
                "SELECT {MAPPING_COLUMNS} {from} WHERE m.entity = $1 AND m.phorest_id > $2 ORDER BY m.phorest_id LIMIT $3"
            ),
            list_state: format!(
                "SELECT {MAPPING_COLUMNS} {from} WHERE m.entity = $1 AND m.state = $2 ORDER BY m.phorest_id LIMIT $3"
            ),
            list_state_after: format!(
                "SELECT {MAPPING_COLUMNS} {from} WHERE m.entity = $1 AND m.state = $2 AND m.phorest_id > $3 ORDER BY m.phorest_id LIMIT $4"
            ),
            count: format!("SELECT count(*) FROM {s}.mappings WHERE entity = $1"),
            count_state: format!(
                "SELECT count(*) FROM {s}.mappings WHERE entity = $1 AND state = $2"
            ),
            load: format!("SELECT data FROM {s}.checkpoints WHERE stage = $1"),
            save: format!(
                "INSERT INTO {s}.checkpoints (stage, data) VALUES ($1, $2)
                 ON CONFLICT (stage) DO UPDATE SET data = EXCLUDED.data"
            ),
            clear: format!("DELETE FROM {s}.checkpoints WHERE stage = $1"),
            get_value: format!("SELECT value FROM {s}.kv WHERE key = $1"),
            delete_value: format!("DELETE FROM {s}.kv WHERE key = $1"),
            set_value: format!(
                "INSERT INTO {s}.kv (key, value) VALUES ($1, $2)
                 ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value"
            ),
            // Taken when free or expired, on the database's clock (one clock for every worker).
            acquire: format!(
                "INSERT INTO {s}.leases AS l (key, holder, token, expires_at)
                 VALUES ($1, $2, $3, now() + $4::int8 * interval '1 microsecond')
                 ON CONFLICT (key) DO UPDATE SET
                    holder = EXCLUDED.holder, token = EXCLUDED.token, expires_at = EXCLUDED.expires_at
                 WHERE l.expires_at <= now()
                 RETURNING expires_at"
            ),
            lease_holder: format!("SELECT holder, expires_at FROM {s}.leases WHERE key = $1"),
            renew: format!(
                "UPDATE {s}.leases SET expires_at = now() + $3::int8 * interval '1 microsecond'
                 WHERE key = $1 AND token = $2 AND expires_at > now()
                 RETURNING expires_at"
            ),
            release: format!("DELETE FROM {s}.leases WHERE key = $1 AND token = $2"),
            claims_of_values: format!(
                "SELECT owner, rank, value FROM {s}.identity_claims WHERE value = ANY($1::text[]) ORDER BY owner"
            ),
            claims_of_owners: format!(
                "SELECT owner, value, rank FROM {s}.identity_claims WHERE owner = ANY($1::text[])
                 ORDER BY owner, value FOR UPDATE"
            ),
            delete_claims: format!(
                "DELETE FROM {s}.identity_claims WHERE owner = ANY($1::text[])"
            ),
            insert_claims: format!(
                "INSERT INTO {s}.identity_claims (owner, value, rank)
                 SELECT * FROM unnest($1::text[], $2::text[], $3::text[])
                 ON CONFLICT (owner, value) DO UPDATE SET rank = EXCLUDED.rank"
            ),
            version: format!("SELECT coalesce(max(version), 0) FROM {s}.schema_version"),
        }
    }
}

/// A PostgreSQL error with its server message (tokio-postgres' own `Display` says only
/// "db error").
#[derive(Debug)]
struct PgError {
    message: String,
    source: tokio_postgres::Error,
}

impl fmt::Display for PgError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for PgError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

fn pg_err(source: tokio_postgres::Error) -> StoreError {
    let message = match source.as_db_error() {
        // The message names the constraint or column, never the row's values.
        Some(db) => format!(
            "postgres {} {}: {}",
            db.severity(),
            db.code().code(),
            db.message()
        ),
        None => match std::error::Error::source(&source) {
            // E.g. why a TLS handshake or a connection failed.
            Some(cause) => format!("postgres: {source}: {cause}"),
            None => format!("postgres: {source}"),
        },
    };
    StoreError::backend(PgError { message, source })
}

fn pool_err(err: deadpool_postgres::PoolError) -> StoreError {
    match err {
        deadpool_postgres::PoolError::Backend(e)
        | deadpool_postgres::PoolError::PostCreateHook(HookError::Backend(e)) => pg_err(e),
        other => StoreError::backend(other),
    }
}

/// True for the errors of a transaction that lost a race and may simply run again.
fn retryable(err: &StoreError) -> bool {
    let StoreError::Backend(inner) = err else {
        return false;
    };
    let Some(pg) = inner.downcast_ref::<PgError>() else {
        return false;
    };
    match pg.source.as_db_error() {
        Some(db) => {
            *db.code() == SqlState::T_R_DEADLOCK_DETECTED
                || *db.code() == SqlState::T_R_SERIALIZATION_FAILURE
                // Another transaction claimed the same GHL object between our check and our
                // commit: run again, and the check names the new owner.
                || (*db.code() == SqlState::UNIQUE_VIOLATION
                    && db.constraint() == Some("mappings_one_owner"))
                // Two first writers of one identity claim.
                || (*db.code() == SqlState::UNIQUE_VIOLATION
                    && db.constraint() == Some("identity_claims_pkey"))
        }
        None => false,
    }
}

fn json_err(e: serde_json::Error) -> StoreError {
    StoreError::Corrupt(format!("bad JSON: {e}"))
}

fn col<'a, T: tokio_postgres::types::FromSql<'a>>(
    row: &'a Row,
    idx: usize,
) -> Result<T, StoreError> {
    row.try_get(idx)
        .map_err(|e| StoreError::Corrupt(format!("column {idx}: {e}")))
}

fn decode_mapping(row: &Row) -> Result<Mapping, StoreError> {
    let entity: String = col(row, 0)?;
    let entity = entity
        .parse::<EntityKind>()
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let mut m = Mapping::new(entity, col::<String>(row, 1)?);
    m.ghl_id = col(row, 2)?;
    m.state = col::<String>(row, 3)?.parse::<MappingState>()?;
    m.content_hash = col(row, 4)?;
    m.owned_tags = serde_json::from_value(col(row, 5)?).map_err(json_err)?;
    m.last_written = col(row, 6)?;
    let attempts: i64 = col(row, 7)?;
    m.attempts = u32::try_from(attempts)
        .map_err(|_| StoreError::Corrupt(format!("bad attempts {attempts}")))?;
    m.last_error = col(row, 8)?;
    let at: DateTime<Utc> = col(row, 9)?;
    let ns: i16 = col(row, 10)?;
    if !(0..1000).contains(&ns) {
        return Err(StoreError::Corrupt(format!("bad updated_at_ns {ns}")));
    }
    m.updated_at = at + chrono::Duration::nanoseconds(i64::from(ns));
    Ok(m)
}

/// `t` split into what timestamptz keeps (microseconds) and the nanoseconds below.
fn split_ts(t: &DateTime<Utc>) -> (DateTime<Utc>, i16) {
    let below = t.timestamp_subsec_nanos() % 1000;
    (
        *t - chrono::Duration::nanoseconds(i64::from(below)),
        i16::try_from(below).unwrap_or(0),
    )
}

/// The columns of a batch of mappings, as arrays for one `unnest` statement.
#[derive(Default)]
struct Columns {
    entity: Vec<&'static str>,
    phorest_id: Vec<String>,
    ghl_object: Vec<Option<&'static str>>,
    ghl_id: Vec<Option<String>>,
    state: Vec<&'static str>,
    content_hash: Vec<Option<String>>,
    owned_tags: Vec<serde_json::Value>,
    last_written: Vec<Option<serde_json::Value>>,
    attempts: Vec<i64>,
    last_error: Vec<Option<String>>,
    updated_at: Vec<DateTime<Utc>>,
    updated_at_ns: Vec<i16>,
}

impl Columns {
    /// The last mapping of each `(entity, phorest_id)` (a batch that names a record twice
    /// stores the later one), sorted by key so concurrent batches lock rows in one order.
    fn of(batch: &[Mapping]) -> Self {
        let mut last: BTreeMap<(&str, &str), &Mapping> = BTreeMap::new();
        for m in batch {
            last.insert((m.entity.as_str(), m.phorest_id.as_str()), m);
        }
        let mut c = Columns::default();
        for m in last.into_values() {
            let (at, ns) = split_ts(&m.updated_at);
            c.entity.push(m.entity.as_str());
            c.phorest_id.push(m.phorest_id.clone());
            c.ghl_object
                .push(m.entity.ghl_object().map(GhlObject::as_str));
            c.ghl_id.push(m.ghl_id.clone());
            c.state.push(m.state.as_str());
            c.content_hash.push(m.content_hash.clone());
            c.owned_tags
                .push(serde_json::Value::from(m.owned_tags.clone()));
            c.last_written.push(m.last_written.clone());
            c.attempts.push(i64::from(m.attempts));
            c.last_error.push(m.last_error.clone());
            c.updated_at.push(at);
            c.updated_at_ns.push(ns);
        }
        c
    }

    fn params(&self) -> [&(dyn tokio_postgres::types::ToSql + Sync); 12] {
        [
            &self.entity,
            &self.phorest_id,
            &self.ghl_object,
            &self.ghl_id,
            &self.state,
            &self.content_hash,
            &self.owned_tags,
            &self.last_written,
            &self.attempts,
            &self.last_error,
            &self.updated_at,
            &self.updated_at_ns,
        ]
    }
}

/// How to reach PostgreSQL and where to keep the tables; [`PostgresStore::builder`] makes one.
///
/// ```no_run
/// use sync_core::store::PostgresStore;
/// # async fn demo() -> Result<(), sync_core::store::StoreError> {
/// let store = PostgresStore::builder("postgres://sync:secret@db.internal/phorest_ghl?sslmode=require")
///     .schema("salon_aurora")
///     .max_connections(4)
///     .connect()
///     .await?;
/// # Ok(()) }
/// ```
#[must_use = "a builder does nothing until `connect` is called"]
pub struct PostgresStoreBuilder {
    url: String,
    schema: String,
    max_connections: usize,
    tls: Option<Arc<rustls::ClientConfig>>,
    synchronous_commit: bool,
}

impl fmt::Debug for PostgresStoreBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The URL may carry a password.
        f.debug_struct("PostgresStoreBuilder")
            .field("schema", &self.schema)
            .field("max_connections", &self.max_connections)
            .field("custom_tls", &self.tls.is_some())
            .field("synchronous_commit", &self.synchronous_commit)
            .finish_non_exhaustive()
    }
}

impl PostgresStoreBuilder {
    /// The PostgreSQL schema holding this store's tables (default [`POSTGRES_DEFAULT_SCHEMA`]); created
    /// on connect. Stores in different schemas of one database are independent, so many
    /// salons (or tests) can share a database. Letters, digits and `_`, not starting with a
    /// digit, at most 63 bytes; checked by [`connect`](Self::connect).
    pub fn schema(mut self, schema: impl Into<String>) -> Self {
        self.schema = schema.into();
        self
    }

    /// The most connections the pool opens (default 8; at least 1).
    pub fn max_connections(mut self, n: usize) -> Self {
        self.max_connections = n.max(1);
        self
    }

    /// The rustls configuration for TLS connections (e.g. with a private CA). By default the
    /// platform's verifier and ring. Whether TLS is used follows the URL's `sslmode`
    /// (`disable`, `prefer` — the default — or `require`); certificates are always verified.
    pub fn tls_config(mut self, config: Arc<rustls::ClientConfig>) -> Self {
        self.tls = Some(config);
        self
    }

    /// Whether each commit waits for the server to flush it to disk (PostgreSQL's
    /// `synchronous_commit`, set on this store's connections). Default `false`: the durability
    /// of `SqliteStore` (WAL, `synchronous=NORMAL`) — a crash of the database server can lose
    /// the last fraction of a second of commits but never corrupts anything, and a crash of
    /// the sync loses nothing it was told was stored. A flush per commit costs milliseconds
    /// per single-record write on ordinary disks. Set `true` when the server must not lose an
    /// acknowledged write even when it crashes.
    pub fn synchronous_commit(mut self, on: bool) -> Self {
        self.synchronous_commit = on;
        self
    }

    /// Connects, creates the schema if needed and migrates it (under an advisory lock, so
    /// workers starting together migrate once).
    ///
    /// Fails with [`StoreError::Corrupt`] when the schema was written by a newer version of this
    /// library, and with [`StoreError::Backend`] when the URL is invalid or the server cannot
    /// be reached.
    pub async fn connect(self) -> Result<PostgresStore, StoreError> {
        validate_schema(&self.schema)?;
        let mut config: tokio_postgres::Config = self.url.parse().map_err(pg_err)?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(StdDuration::from_secs(10));
        }
        if config.get_application_name().is_none() {
            config.application_name("phorest-ghl");
        }
        let tls = match self.tls {
            Some(tls) => tls,
            None => Arc::new(default_tls()?),
        };
        let manager = Manager::from_config(
            config,
            tls::MakeRustls::new(tls),
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let setup: &'static str = if self.synchronous_commit {
            "SET synchronous_commit TO on"
        } else {
            "SET synchronous_commit TO off"
        };
        let pool = Pool::builder(manager)
            .post_create(Hook::async_fn(move |client, _| {
                Box::pin(async move {
                    client
                        .batch_execute(setup)
                        .await
                        .map_err(HookError::Backend)
                })
            }))
            .max_size(self.max_connections)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(StdDuration::from_secs(60)))
            .create_timeout(Some(StdDuration::from_secs(30)))
            .build()
            .map_err(StoreError::backend)?;
        let quoted = format!("\"{}\"", self.schema);
        let store = PostgresStore {
            pool,
            sql: Arc::new(Sql::new(&quoted)),
            schema: Arc::from(self.schema.as_str()),
        };
        store.migrate(&quoted).await?;
        Ok(store)
    }
}

fn validate_schema(schema: &str) -> Result<(), StoreError> {
    let ok = !schema.is_empty()
        && schema.len() <= 63
        && schema
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_')
        && !schema.as_bytes()[0].is_ascii_digit();
    if ok {
        Ok(())
    } else {
        Err(StoreError::backend(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!(
                "invalid PostgreSQL schema name {schema:?}: use letters, digits and _, not starting with a digit, at most 63 bytes"
            ),
        )))
    }
}

fn default_tls() -> Result<rustls::ClientConfig, StoreError> {
    use rustls_platform_verifier::BuilderVerifierExt;
    rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .and_then(|b| b.with_platform_verifier())
        .map(|b| b.with_no_client_auth())
        .map_err(StoreError::backend)
}

/// Every store trait ([`MappingStore`], [`CheckpointStore`], [`KvStore`], [`LeaseStore`],
/// [`IdentityStore`]) in one PostgreSQL schema, for many processes at once.
///
/// - A pool of connections (deadpool); clones share it.
/// - A versioned schema (`<schema>.schema_version`, one row per applied migration) migrated on
///   connect; a schema newer than this library is refused.
/// - One owner per GHL object is a unique constraint, so two workers cannot both claim one
///   object; leases are taken and renewed with conditional upserts on the database's clock.
/// - Batches (`put_many`, `get_many`, identity claims) are single statements over arrays, and
///   a write without conflict is one round trip.
/// - Commits do not wait for the disk flush by default, like `SqliteStore`; see
///   [`PostgresStoreBuilder::synchronous_commit`].
///
/// Ids must not contain NUL characters (PostgreSQL text cannot hold them). Behind a
/// transaction-pooling proxy (PgBouncer), it needs prepared-statement support (PgBouncer
/// 1.21 or later with `max_prepared_statements`).
///
/// ```no_run
/// use sync_core::store::PostgresStore;
/// # async fn demo() -> Result<(), sync_core::store::StoreError> {
/// let store = PostgresStore::connect("postgres://sync:secret@localhost/phorest_ghl").await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct PostgresStore {
    pool: Pool,
    sql: Arc<Sql>,
    schema: Arc<str>,
}

impl fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresStore")
            .field("schema", &self.schema)
            .finish_non_exhaustive()
    }
}

type PooledClient = deadpool_postgres::Object;

impl PostgresStore {
    /// Connects to `url` (a `postgres://` URL or a `key=value` string) with the defaults:
    /// schema [`POSTGRES_DEFAULT_SCHEMA`], up to 8 connections. See [`builder`](Self::builder).
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        Self::builder(url).connect().await
    }

    /// A builder for a store at `url` (a `postgres://` URL or a `key=value` string).
    pub fn builder(url: impl Into<String>) -> PostgresStoreBuilder {
        PostgresStoreBuilder {
            url: url.into(),
            schema: POSTGRES_DEFAULT_SCHEMA.to_owned(),
            max_connections: 8,
            tls: None,
            synchronous_commit: false,
        }
    }

    /// The PostgreSQL schema holding this store's tables.
    pub fn schema(&self) -> &str {
        &self.schema
    }

    /// The schema version of the store's tables.
    pub async fn schema_version(&self) -> Result<i32, StoreError> {
        let client = self.client().await?;
        let row = client
            .query_one(&self.sql.version, &[])
            .await
            .map_err(pg_err)?;
        col(&row, 0)
    }

    async fn client(&self) -> Result<PooledClient, StoreError> {
        self.pool.get().await.map_err(pool_err)
    }

    async fn migrate(&self, quoted: &str) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(pg_err)?;
        // One migrator per schema at a time; the lock ends with the transaction.
        tx.execute(
            "SELECT pg_advisory_xact_lock(hashtext($1))",
            &[&format!("phorest-ghl migrate {}", self.schema)],
        )
        .await
        .map_err(pg_err)?;
        tx.batch_execute(&format!(
            "CREATE SCHEMA IF NOT EXISTS {quoted};
             CREATE TABLE IF NOT EXISTS {quoted}.schema_version (
                version     integer PRIMARY KEY,
                description text NOT NULL,
                applied_at  timestamptz NOT NULL DEFAULT now()
             );"
        ))
        .await
        .map_err(pg_err)?;
        let current: i32 = col(
            &tx.query_one(&self.sql.version, &[]).await.map_err(pg_err)?,
            0,
        )?;
        if current > POSTGRES_SCHEMA_VERSION {
            return Err(StoreError::Corrupt(format!(
                "schema {} is at version {current}, newer than this library's {POSTGRES_SCHEMA_VERSION}; upgrade sync-core",
                self.schema
            )));
        }
        let start = usize::try_from(current).unwrap_or(0);
        for (i, (description, sql)) in MIGRATIONS.iter().enumerate().skip(start) {
            tx.batch_execute(&sql.replace("{s}", quoted))
                .await
                .map_err(pg_err)?;
            let version = i32::try_from(i + 1).unwrap_or(i32::MAX);
            tx.execute(
                &format!(
                    "INSERT INTO {quoted}.schema_version (version, description) VALUES ($1, $2)"
                ),
                &[&version, description],
            )
            .await
            .map_err(pg_err)?;
            tracing::info!(schema = %self.schema, version, "postgres store migrated");
        }
        tx.commit().await.map_err(pg_err)
    }

    async fn query_mappings(
        &self,
        sql: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> Result<Vec<Mapping>, StoreError> {
        let client = self.client().await?;
        let stmt = client.prepare_cached(sql).await.map_err(pg_err)?;
        let rows = client.query(&stmt, params).await.map_err(pg_err)?;
        rows.iter().map(decode_mapping).collect()
    }

    /// Writes `batch` unless it takes a GHL object from another record.
    ///
    /// The common case costs one round trip: a batch that names each record once and has no
    /// conflict within itself is written by one statement, and the one-owner constraint,
    /// checked at its commit, refuses it if it takes someone else's object. Only then (or for
    /// a batch naming a record twice) the owners are read and the batch checked like the other
    /// stores do, in one transaction, again when it lost a race.
    async fn put_checked(&self, batch: &[Mapping]) -> Result<(), StoreError> {
        let mut keys = HashSet::with_capacity(batch.len());
        let distinct = batch
            .iter()
            .all(|m| keys.insert((m.entity, m.phorest_id.as_str())));
        if distinct && check_claims(batch, |_, _| Ok(None)).is_ok() {
            match self.upsert(batch).await {
                Err(e) if retryable(&e) => {}
                other => return other,
            }
        }
        let mut attempt = 1;
        loop {
            match self.try_put_checked(batch).await {
                Err(e) if attempt < ATTEMPTS && retryable(&e) => {
                    tracing::debug!(attempt, error = %e, "postgres store: mapping write retried");
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    async fn try_put_checked(&self, batch: &[Mapping]) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(pg_err)?;

        // The current owners of every object the batch claims, in one query.
        let (objects, ghl_ids): (Vec<&str>, Vec<&str>) = batch
            .iter()
            .filter_map(Mapping::owned_object)
            .map(|(o, id)| (o.as_str(), id))
            .unzip();
        let mut owners: HashMap<(GhlObject, String), Mapping> = HashMap::new();
        if !objects.is_empty() {
            let stmt = tx.prepare_cached(&self.sql.owners).await.map_err(pg_err)?;
            for row in tx
                .query(&stmt, &[&objects, &ghl_ids])
                .await
                .map_err(pg_err)?
            {
                let m = decode_mapping(&row)?;
                if let Some((object, id)) = m.owned_object() {
                    let key = (object, id.to_owned());
                    owners.entry(key).or_insert(m);
                }
            }
        }
        check_claims(batch, |object, ghl_id| {
            Ok(owners.get(&(object, ghl_id.to_owned())).cloned())
        })?;

        let c = Columns::of(batch);
        let stmt = tx.prepare_cached(&self.sql.upsert).await.map_err(pg_err)?;
        tx.execute(&stmt, &c.params()).await.map_err(pg_err)?;
        // The one-owner constraint is checked here.
        tx.commit().await.map_err(pg_err)
    }

    /// Writes `batch` in one statement (its own transaction).
    async fn upsert(&self, batch: &[Mapping]) -> Result<(), StoreError> {
        let c = Columns::of(batch);
        self.execute(&self.sql.upsert, &c.params()).await?;
        Ok(())
    }

    async fn try_replace_identity_claims(
        &self,
        claims: &[IdentityClaims],
    ) -> Result<Vec<IdentityClaims>, StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(pg_err)?;
        let select = tx
            .prepare_cached(&self.sql.claims_of_owners)
            .await
            .map_err(pg_err)?;
        let delete = tx
            .prepare_cached(&self.sql.delete_claims)
            .await
            .map_err(pg_err)?;
        let insert = tx
            .prepare_cached(&self.sql.insert_claims)
            .await
            .map_err(pg_err)?;
        let mut previous = Vec::new();
        // Claims are applied in order; a client named twice sees its first replacement, so
        // the batch is cut where an owner repeats.
        let mut rest = claims;
        while !rest.is_empty() {
            let mut seen = HashSet::new();
            let n = rest
                .iter()
                .take_while(|c| seen.insert(c.owner.as_str()))
                .count();
            let (group, tail) = rest.split_at(n);
            rest = tail;

            let owners: Vec<&str> = group.iter().map(|c| c.owner.as_str()).collect();
            let mut old: HashMap<String, IdentityClaims> = HashMap::new();
            for row in tx.query(&select, &[&owners]).await.map_err(pg_err)? {
                let owner: String = col(&row, 0)?;
                let value: String = col(&row, 1)?;
                let rank: String = col(&row, 2)?;
                old.entry(owner.clone())
                    .or_insert_with(|| IdentityClaims::new(owner, rank, Vec::new()))
                    .values
                    .push(value);
            }
            for c in group {
                if let Some(prev) = old.remove(&c.owner) {
                    previous.push(prev);
                }
            }
            tx.execute(&delete, &[&owners]).await.map_err(pg_err)?;
            let mut rows: BTreeMap<(&str, &str), &str> = BTreeMap::new();
            for c in group {
                for v in &c.values {
                    rows.insert((c.owner.as_str(), v.as_str()), c.rank.as_str());
                }
            }
            if !rows.is_empty() {
                let (keys, ranks): (Vec<(&str, &str)>, Vec<&str>) = rows.into_iter().unzip();
                let (owners, values): (Vec<&str>, Vec<&str>) = keys.into_iter().unzip();
                tx.execute(&insert, &[&owners, &values, &ranks])
                    .await
                    .map_err(pg_err)?;
            }
        }
        tx.commit().await.map_err(pg_err)?;
        Ok(previous)
    }
}

#[async_trait]
impl MappingStore for PostgresStore {
    async fn get(
        &self,
        entity: EntityKind,
        phorest_id: &str,
    ) -> Result<Option<Mapping>, StoreError> {
        Ok(self
            .query_mappings(&self.sql.get, &[&entity.as_str(), &phorest_id])
            .await?
            .pop())
    }

    async fn get_many(
        &self,
        entity: EntityKind,
        phorest_ids: &[String],
    ) -> Result<HashMap<String, Mapping>, StoreError> {
        if phorest_ids.is_empty() {
            return Ok(HashMap::new());
        }
        Ok(self
            .query_mappings(&self.sql.get_many, &[&entity.as_str(), &phorest_ids])
            .await?
            .into_iter()
            .map(|m| (m.phorest_id.clone(), m))
            .collect())
    }

    async fn put(&self, mapping: &Mapping) -> Result<(), StoreError> {
        self.put_checked(std::slice::from_ref(mapping)).await
    }

    async fn put_many(&self, mappings: &[Mapping]) -> Result<(), StoreError> {
        if mappings.is_empty() {
            return Ok(());
        }
        self.put_checked(mappings).await
    }

    async fn claim(&self, mapping: &Mapping) -> Result<Claim, StoreError> {
        match self.put_checked(std::slice::from_ref(mapping)).await {
            Ok(()) => Ok(Claim::Claimed),
            Err(StoreError::Conflict { owner, .. }) => Ok(Claim::Taken { owner }),
            Err(other) => Err(other),
        }
    }

    async fn delete(&self, entity: EntityKind, phorest_id: &str) -> Result<(), StoreError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(&self.sql.delete)
            .await
            .map_err(pg_err)?;
        client
            .execute(&stmt, &[&entity.as_str(), &phorest_id])
            .await
            .map_err(pg_err)?;
        Ok(())
    }

    async fn owner_of(
        &self,
        object: GhlObject,
        ghl_id: &str,
    ) -> Result<Option<Mapping>, StoreError> {
        let objects = [object.as_str()];
        let ids = [ghl_id];
        Ok(self
            .query_mappings(&self.sql.owners, &[&&objects[..], &&ids[..]])
            .await?
            .into_iter()
            .next())
    }

    async fn list(
        &self,
        entity: EntityKind,
        state: Option<MappingState>,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Mapping>, StoreError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let e = entity.as_str();
        match (state, after) {
            (None, None) => self.query_mappings(&self.sql.list, &[&e, &limit]).await,
            (None, Some(after)) => {
                self.query_mappings(&self.sql.list_after, &[&e, &after, &limit])
                    .await
            }
            (Some(state), None) => {
                self.query_mappings(&self.sql.list_state, &[&e, &state.as_str(), &limit])
                    .await
            }
            (Some(state), Some(after)) => {
                self.query_mappings(
                    &self.sql.list_state_after,
                    &[&e, &state.as_str(), &after, &limit],
                )
                .await
            }
        }
    }

    async fn count(
        &self,
        entity: EntityKind,
        state: Option<MappingState>,
    ) -> Result<u64, StoreError> {
        let client = self.client().await?;
        let row = match state {
            None => {
                let stmt = client
                    .prepare_cached(&self.sql.count)
                    .await
                    .map_err(pg_err)?;
                client.query_one(&stmt, &[&entity.as_str()]).await
            }
            Some(state) => {
                let stmt = client
                    .prepare_cached(&self.sql.count_state)
                    .await
                    .map_err(pg_err)?;
                client
                    .query_one(&stmt, &[&entity.as_str(), &state.as_str()])
                    .await
            }
        }
        .map_err(pg_err)?;
        let n: i64 = col(&row, 0)?;
        Ok(u64::try_from(n).unwrap_or(0))
    }
}

impl PostgresStore {
    async fn query_opt_json(
        &self,
        sql: &str,
        key: &str,
    ) -> Result<Option<serde_json::Value>, StoreError> {
        let client = self.client().await?;
        let stmt = client.prepare_cached(sql).await.map_err(pg_err)?;
        let row = client.query_opt(&stmt, &[&key]).await.map_err(pg_err)?;
        row.map(|r| col(&r, 0)).transpose()
    }

    async fn execute(
        &self,
        sql: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> Result<u64, StoreError> {
        let client = self.client().await?;
        let stmt = client.prepare_cached(sql).await.map_err(pg_err)?;
        client.execute(&stmt, params).await.map_err(pg_err)
    }
}

#[async_trait]
impl CheckpointStore for PostgresStore {
    async fn load(&self, stage: &str) -> Result<Option<Checkpoint>, StoreError> {
        self.query_opt_json(&self.sql.load, stage)
            .await?
            .map(|v| serde_json::from_value(v).map_err(json_err))
            .transpose()
    }

    async fn save(&self, checkpoint: &Checkpoint) -> Result<(), StoreError> {
        let data = serde_json::to_value(checkpoint).map_err(json_err)?;
        self.execute(&self.sql.save, &[&checkpoint.stage, &data])
            .await?;
        Ok(())
    }

    async fn clear(&self, stage: &str) -> Result<(), StoreError> {
        self.execute(&self.sql.clear, &[&stage]).await?;
        Ok(())
    }
}

#[async_trait]
impl KvStore for PostgresStore {
    async fn get_value(&self, key: &str) -> Result<Option<serde_json::Value>, StoreError> {
        self.query_opt_json(&self.sql.get_value, key).await
    }

    async fn set_value(&self, key: &str, value: &serde_json::Value) -> Result<(), StoreError> {
        self.execute(&self.sql.set_value, &[&key, value]).await?;
        Ok(())
    }

    async fn delete_value(&self, key: &str) -> Result<(), StoreError> {
        self.execute(&self.sql.delete_value, &[&key]).await?;
        Ok(())
    }
}

fn micros(ttl: chrono::Duration) -> i64 {
    ttl.num_microseconds()
        .unwrap_or(if ttl < chrono::Duration::zero() {
            i64::MIN / 2
        } else {
            i64::MAX / 2
        })
}

#[async_trait]
impl LeaseStore for PostgresStore {
    async fn acquire_lease(
        &self,
        key: &str,
        holder: &str,
        ttl: chrono::Duration,
    ) -> Result<LeaseGrant, StoreError> {
        let client = self.client().await?;
        let acquire = client
            .prepare_cached(&self.sql.acquire)
            .await
            .map_err(pg_err)?;
        let current = client
            .prepare_cached(&self.sql.lease_holder)
            .await
            .map_err(pg_err)?;
        let ttl = micros(ttl);
        loop {
            let token = uuid::Uuid::new_v4().to_string();
            if let Some(row) = client
                .query_opt(&acquire, &[&key, &holder, &token, &ttl])
                .await
                .map_err(pg_err)?
            {
                return Ok(LeaseGrant::Acquired(Lease::new(
                    key,
                    holder,
                    token,
                    col(&row, 0)?,
                )));
            }
            // Held: say by whom. Released in between? Then try again.
            if let Some(row) = client.query_opt(&current, &[&key]).await.map_err(pg_err)? {
                return Ok(LeaseGrant::Held {
                    holder: col(&row, 0)?,
                    expires_at: col(&row, 1)?,
                });
            }
        }
    }

    async fn renew_lease(
        &self,
        lease: &Lease,
        ttl: chrono::Duration,
    ) -> Result<Option<Lease>, StoreError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(&self.sql.renew)
            .await
            .map_err(pg_err)?;
        let row = client
            .query_opt(&stmt, &[&lease.key, &lease.token, &micros(ttl)])
            .await
            .map_err(pg_err)?;
        row.map(|r| {
            let mut renewed = lease.clone();
            renewed.expires_at = col(&r, 0)?;
            Ok(renewed)
        })
        .transpose()
    }

    async fn release_lease(&self, lease: &Lease) -> Result<(), StoreError> {
        self.execute(&self.sql.release, &[&lease.key, &lease.token])
            .await?;
        Ok(())
    }
}

#[async_trait]
impl IdentityStore for PostgresStore {
    async fn identity_claims(&self, values: &[String]) -> Result<Vec<IdentityClaims>, StoreError> {
        if values.is_empty() {
            return Ok(Vec::new());
        }
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(&self.sql.claims_of_values)
            .await
            .map_err(pg_err)?;
        let rows = client.query(&stmt, &[&values]).await.map_err(pg_err)?;
        // Claimants per value, then one entry per owner holding the requested values it
        // claims, in request order.
        let mut by_value: HashMap<String, Vec<(String, String)>> = HashMap::new();
        for row in &rows {
            let owner: String = col(row, 0)?;
            let rank: String = col(row, 1)?;
            let value: String = col(row, 2)?;
            by_value.entry(value).or_default().push((owner, rank));
        }
        let mut by_owner: BTreeMap<String, IdentityClaims> = BTreeMap::new();
        for value in values {
            for (owner, rank) in by_value.get(value).into_iter().flatten() {
                let entry = by_owner
                    .entry(owner.clone())
                    .or_insert_with(|| IdentityClaims::new(owner.clone(), rank.clone(), vec![]));
                if !entry.values.contains(value) {
                    entry.values.push(value.clone());
                }
            }
        }
        Ok(by_owner.into_values().collect())
    }

    async fn replace_identity_claims(
        &self,
        claims: &[IdentityClaims],
    ) -> Result<Vec<IdentityClaims>, StoreError> {
        if claims.is_empty() {
            return Ok(Vec::new());
        }
        let mut attempt = 1;
        loop {
            match self.try_replace_identity_claims(claims).await {
                Err(e) if attempt < ATTEMPTS && retryable(&e) => {
                    tracing::debug!(attempt, error = %e, "postgres store: identity write retried");
                    attempt += 1;
                }
                other => return other,
            }
        }
    }
}

/// rustls for tokio-postgres: verified TLS with the configured roots, no channel binding
/// (SCRAM authenticates without it).
mod tls {
    use std::future::Future;
    use std::io;
    use std::pin::Pin;
    use std::sync::Arc;
    use std::task::{Context, Poll};

    use rustls::pki_types::ServerName;
    use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
    use tokio_postgres::tls::{ChannelBinding, MakeTlsConnect, TlsConnect, TlsStream};

    #[derive(Clone)]
    pub(super) struct MakeRustls(Arc<rustls::ClientConfig>);

    impl MakeRustls {
        pub(super) fn new(config: Arc<rustls::ClientConfig>) -> Self {
            MakeRustls(config)
        }
    }

    impl<S> MakeTlsConnect<S> for MakeRustls
    where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        type Stream = RustlsStream<S>;
        type TlsConnect = RustlsConnect;
        type Error = rustls::pki_types::InvalidDnsNameError;

        fn make_tls_connect(&mut self, domain: &str) -> Result<RustlsConnect, Self::Error> {
            Ok(RustlsConnect {
                config: Arc::clone(&self.0),
                name: ServerName::try_from(domain.to_owned())?,
            })
        }
    }

    pub(super) struct RustlsConnect {
        config: Arc<rustls::ClientConfig>,
        name: ServerName<'static>,
    }

    impl<S> TlsConnect<S> for RustlsConnect
    where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        type Stream = RustlsStream<S>;
        type Error = io::Error;
        type Future = Pin<Box<dyn Future<Output = io::Result<RustlsStream<S>>> + Send>>;

        fn connect(self, stream: S) -> Self::Future {
            Box::pin(async move {
                let stream = tokio_rustls::TlsConnector::from(self.config)
                    .connect(self.name, stream)
                    .await?;
                Ok(RustlsStream(Box::new(stream)))
            })
        }
    }

    pub(super) struct RustlsStream<S>(Box<tokio_rustls::client::TlsStream<S>>);

    impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for RustlsStream<S> {
        fn poll_read(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &mut ReadBuf<'_>,
        ) -> Poll<io::Result<()>> {
            Pin::new(&mut *self.0).poll_read(cx, buf)
        }
    }

    impl<S: AsyncRead + AsyncWrite + Unpin> AsyncWrite for RustlsStream<S> {
        fn poll_write(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &[u8],
        ) -> Poll<io::Result<usize>> {
            Pin::new(&mut *self.0).poll_write(cx, buf)
        }

        fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            Pin::new(&mut *self.0).poll_flush(cx)
        }

        fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            Pin::new(&mut *self.0).poll_shutdown(cx)
        }
    }

    impl<S: AsyncRead + AsyncWrite + Unpin> TlsStream for RustlsStream<S> {
        fn channel_binding(&self) -> ChannelBinding {
            ChannelBinding::none()
        }
    }
}
