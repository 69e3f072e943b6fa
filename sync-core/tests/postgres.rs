//! `PostgresStore` against a real PostgreSQL: the conformance suite the other stores pass, plus
//! what only a shared database has (many stores on one schema, schema isolation, migrations).
//!
//! The database comes from `PHOREST_GHL_TEST_POSTGRES` (a connection URL; `.ci/run` starts a
//! local server and sets it). Unset outside CI, each test prints why it is skipped and passes;
//! unset in CI (`CI` set), each test fails. Every test works in its own fresh schema and drops
//! it at the end.
#![cfg(feature = "postgres")]

use std::collections::HashSet;

use chrono::Duration;
use serde_json::json;
use sync_core::entity::{EntityKind, GhlObject};
use sync_core::store::{
    Checkpoint, CheckpointStore, Claim, KvStore, LeaseGrant, LeaseStore, MappingState,
    MappingStore, POSTGRES_SCHEMA_VERSION, PostgresStore, StoreError, testing,
};

const URL_VAR: &str = "PHOREST_GHL_TEST_POSTGRES";

/// The test database URL; `None` (after saying so) when the test should be skipped.
fn database_url(test: &str) -> Option<String> {
    match std::env::var(URL_VAR) {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ if std::env::var_os("CI").is_some() => panic!(
            "{URL_VAR} is not set in CI: .ci/run must start PostgreSQL and export it ({test})"
        ),
        _ => {
            eprintln!(
                "SKIPPED {test}: set {URL_VAR}=postgres://user:password@host/db to run the PostgreSQL store tests (CI always runs them)"
            );
            None
        }
    }
}

/// A fresh schema name, unique per test and run (within PostgreSQL's 63 bytes).
fn fresh_schema(test: &str) -> String {
    let id = uuid::Uuid::new_v4().simple().to_string();
    let test = test.trim_start_matches("postgres_");
    format!("t_{}_{}", &test[..test.len().min(40)], &id[..12])
}

/// Drops a test's schema (the store has no API for that: a test concern). Best effort: a
/// server that insists on TLS keeps the schema, and says so.
async fn drop_schema(url: &str, schema: &str) {
    let (client, conn) = match tokio_postgres::connect(url, tokio_postgres::NoTls).await {
        Ok(c) => c,
        Err(e) => {
            eprintln!("left schema {schema} behind: {e}");
            return;
        }
    };
    let task = tokio::spawn(conn);
    if let Err(e) = client
        .batch_execute(&format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"))
        .await
    {
        eprintln!("left schema {schema} behind: {e}");
    }
    drop(client);
    let _ = task.await;
}

/// Runs `body` against a store in a fresh schema, then drops the schema.
macro_rules! with_store {
    ($test:literal, |$store:ident, $url:ident, $schema:ident| $body:block) => {{
        let Some($url) = database_url($test) else {
            return;
        };
        let $schema = fresh_schema($test);
        let $store = PostgresStore::builder($url.clone())
            .schema($schema.clone())
            .connect()
            .await
            .expect("connect to the test database");
        $body
        drop_schema(&$url, &$schema).await;
    }};
}

#[tokio::test]
async fn postgres_store_conforms() {
    with_store!("postgres_store_conforms", |store, url, schema| {
        testing::conformance(store).await;
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_store_conforms_on_a_multi_thread_runtime() {
    with_store!(
        "postgres_store_conforms_on_a_multi_thread_runtime",
        |store, url, schema| {
            testing::conformance(store).await;
        }
    );
}

#[tokio::test]
async fn postgres_schema_is_versioned_and_reconnect_keeps_data() {
    with_store!(
        "postgres_schema_is_versioned_and_reconnect_keeps_data",
        |store, url, schema| {
            assert_eq!(
                store.schema_version().await.unwrap(),
                POSTGRES_SCHEMA_VERSION
            );
            assert_eq!(store.schema(), schema);
            let m = testing::sample_mapping(
                EntityKind::Appointment,
                "a1",
                Some("evt1"),
                MappingState::Synced,
            );
            store.put(&m).await.unwrap();
            store.save(&Checkpoint::new("appointments")).await.unwrap();
            store.set_value("k", &json!(1)).await.unwrap();
            drop(store);

            // A second connect migrates nothing and sees the data.
            let again = PostgresStore::builder(url.clone())
                .schema(schema.clone())
                .connect()
                .await
                .unwrap();
            assert_eq!(
                again.schema_version().await.unwrap(),
                POSTGRES_SCHEMA_VERSION
            );
            assert_eq!(
                again.get(EntityKind::Appointment, "a1").await.unwrap(),
                Some(m)
            );
            assert!(again.load("appointments").await.unwrap().is_some());
            assert_eq!(again.get_value("k").await.unwrap(), Some(json!(1)));

            // One row per applied migration.
            let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
                .await
                .unwrap();
            tokio::spawn(conn);
            let versions: Vec<i32> = client
                .query(
                    &format!("SELECT version FROM \"{schema}\".schema_version ORDER BY version"),
                    &[],
                )
                .await
                .unwrap()
                .iter()
                .map(|r| r.get(0))
                .collect();
            assert_eq!(versions, (1..=POSTGRES_SCHEMA_VERSION).collect::<Vec<_>>());
        }
    );
}

#[tokio::test]
async fn postgres_workers_starting_together_migrate_once() {
    let Some(url) = database_url("postgres_workers_starting_together_migrate_once") else {
        return;
    };
    let schema = fresh_schema("postgres_workers_starting_together_migrate_once");
    let connects: Vec<_> = (0..6)
        .map(|_| {
            let (url, schema) = (url.clone(), schema.clone());
            tokio::spawn(async move {
                PostgresStore::builder(url)
                    .schema(schema)
                    .max_connections(2)
                    .connect()
                    .await
            })
        })
        .collect();
    for c in connects {
        let store = c.await.unwrap().expect("every concurrent connect succeeds");
        assert_eq!(
            store.schema_version().await.unwrap(),
            POSTGRES_SCHEMA_VERSION
        );
    }
    drop_schema(&url, &schema).await;
}

#[tokio::test]
async fn postgres_refuses_a_newer_schema() {
    with_store!("postgres_refuses_a_newer_schema", |store, url, schema| {
        let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
            .await
            .unwrap();
        tokio::spawn(conn);
        client
            .execute(
                &format!(
                    "INSERT INTO \"{schema}\".schema_version (version, description) VALUES ($1, 'from the future')"
                ),
                &[&(POSTGRES_SCHEMA_VERSION + 1)],
            )
            .await
            .unwrap();
        drop(store);
        match PostgresStore::builder(url.clone())
            .schema(schema.clone())
            .connect()
            .await
        {
            Err(StoreError::Corrupt(msg)) => assert!(msg.contains("newer"), "{msg}"),
            other => panic!("expected Corrupt for a newer schema, got {other:?}"),
        }
    });
}

#[tokio::test]
async fn postgres_schemas_are_independent() {
    with_store!("postgres_schemas_are_independent", |a, url, schema_a| {
        let schema_b = fresh_schema("iso_b");
        let b = PostgresStore::builder(url.clone())
            .schema(schema_b.clone())
            .connect()
            .await
            .unwrap();
        let m = testing::sample_mapping(
            EntityKind::Client,
            "c1",
            Some("contact-1"),
            MappingState::Synced,
        );
        a.put(&m).await.unwrap();
        assert_eq!(b.get(EntityKind::Client, "c1").await.unwrap(), None);
        // The same GHL object in another schema (another location) is no conflict.
        let other = testing::sample_mapping(
            EntityKind::Client,
            "c2",
            Some("contact-1"),
            MappingState::Synced,
        );
        assert_eq!(b.claim(&other).await.unwrap(), Claim::Claimed);
        // Leases are per schema too.
        assert!(matches!(
            a.acquire_lease("location:L1", "w1", Duration::seconds(30))
                .await
                .unwrap(),
            LeaseGrant::Acquired(_)
        ));
        assert!(matches!(
            b.acquire_lease("location:L1", "w2", Duration::seconds(30))
                .await
                .unwrap(),
            LeaseGrant::Acquired(_)
        ));
        drop_schema(&url, &schema_b).await;
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_separate_stores_on_one_schema_keep_one_owner_and_one_lease_holder() {
    // Like several worker processes: each its own store (own pool) on the same schema.
    with_store!(
        "postgres_separate_stores_on_one_schema_keep_one_owner_and_one_lease_holder",
        |first, url, schema| {
            let mut stores = vec![first];
            for _ in 0..3 {
                stores.push(
                    PostgresStore::builder(url.clone())
                        .schema(schema.clone())
                        .max_connections(4)
                        .connect()
                        .await
                        .unwrap(),
                );
            }
            // 40 claims of 10 objects across 4 stores: exactly one owner per object.
            let tasks: Vec<_> = (0..40)
                .map(|i| {
                    let store = stores[i % 4].clone();
                    tokio::spawn(async move {
                        let m = testing::sample_mapping(
                            if i % 3 == 0 {
                                EntityKind::Staff
                            } else {
                                EntityKind::Client
                            },
                            &format!("racer-{i}"),
                            Some(&format!("contact-{}", i % 10)),
                            MappingState::Synced,
                        );
                        (i % 10, store.claim(&m).await.unwrap())
                    })
                })
                .collect();
            let mut winners = HashSet::new();
            for t in tasks {
                let (object, claim) = t.await.unwrap();
                if claim == Claim::Claimed {
                    assert!(winners.insert(object), "contact-{object} claimed twice");
                }
            }
            assert_eq!(winners.len(), 10, "every object has exactly one owner");
            for object in 0..10 {
                assert!(
                    stores[0]
                        .owner_of(GhlObject::Contact, &format!("contact-{object}"))
                        .await
                        .unwrap()
                        .is_some()
                );
            }

            // 12 workers race for one lease: one holder.
            let tasks: Vec<_> = (0..12)
                .map(|i| {
                    let store = stores[i % 4].clone();
                    tokio::spawn(async move {
                        store
                            .acquire_lease(
                                "location:L1",
                                &format!("worker-{i}"),
                                Duration::minutes(1),
                            )
                            .await
                            .unwrap()
                    })
                })
                .collect();
            let mut held = Vec::new();
            for t in tasks {
                if let LeaseGrant::Acquired(lease) = t.await.unwrap() {
                    held.push(lease);
                }
            }
            assert_eq!(held.len(), 1, "one lease holder among 12 racing workers");
            // Another store sees the holder; renewing through another store works with the token.
            match stores[3]
                .acquire_lease("location:L1", "late", Duration::minutes(1))
                .await
                .unwrap()
            {
                LeaseGrant::Held { holder, .. } => assert_eq!(holder, held[0].holder),
                other => panic!("the lease was granted twice: {other:?}"),
            }
            assert!(
                stores[2]
                    .renew_lease(&held[0], Duration::minutes(1))
                    .await
                    .unwrap()
                    .is_some()
            );
        }
    );
}

#[tokio::test]
async fn postgres_batches_with_repeats_and_moves() {
    with_store!(
        "postgres_batches_with_repeats_and_moves",
        |store, url, schema| {
            use EntityKind::Client;
            use MappingState::{Pending, Synced};
            // A batch naming one record twice stores the later one (as the other stores do).
            let first = testing::sample_mapping(Client, "c1", None, Pending);
            let second = testing::sample_mapping(Client, "c1", Some("g1"), Synced);
            store.put_many(&[first, second.clone()]).await.unwrap();
            assert_eq!(store.get(Client, "c1").await.unwrap(), Some(second));

            // One batch moves c1 to g2 and gives g1 to c2 (checked at commit, not row by row).
            let c2 = testing::sample_mapping(Client, "c2", Some("g1"), Synced);
            let moved = testing::sample_mapping(Client, "c1", Some("g2"), Synced);
            store.put_many(&[c2.clone(), moved.clone()]).await.unwrap();
            assert_eq!(
                store.owner_of(GhlObject::Contact, "g1").await.unwrap(),
                Some(c2)
            );
            assert_eq!(
                store.owner_of(GhlObject::Contact, "g2").await.unwrap(),
                Some(moved)
            );

            // A large batch in one statement.
            let many: Vec<_> = (0..5000)
                .map(|i| {
                    testing::sample_mapping(
                        Client,
                        &format!("bulk-{i:05}"),
                        Some(&format!("bulk-g{i}")),
                        Synced,
                    )
                })
                .collect();
            store.put_many(&many).await.unwrap();
            assert_eq!(store.count(Client, Some(Synced)).await.unwrap(), 5002);
            let ids: Vec<String> = many.iter().map(|m| m.phorest_id.clone()).collect();
            let got = store.get_many(Client, &ids).await.unwrap();
            assert_eq!(got.len(), 5000);
            assert_eq!(got["bulk-04999"], many[4999]);
        }
    );
}

#[tokio::test]
async fn postgres_rejects_a_bad_schema_name_and_an_unreachable_server() {
    let Some(url) = database_url("postgres_rejects_a_bad_schema_name_and_an_unreachable_server")
    else {
        return;
    };
    for bad in [
        "",
        "1abc",
        "a-b",
        "a\"; DROP SCHEMA public; --",
        &"x".repeat(64),
    ] {
        match PostgresStore::builder(url.clone())
            .schema(bad)
            .connect()
            .await
        {
            Err(StoreError::Backend(e)) => {
                assert!(e.to_string().contains("schema name"), "{e}")
            }
            other => panic!("schema {bad:?} must be refused, got {other:?}"),
        }
    }
    // A closed port: a backend error, and the password is not in it.
    let err =
        PostgresStore::connect("postgres://someone:s3cret-pw@127.0.0.1:1/db?connect_timeout=2")
            .await
            .expect_err("nothing listens on port 1");
    assert!(matches!(err, StoreError::Backend(_)), "{err:?}");
    assert!(!format!("{err} {err:?}").contains("s3cret-pw"));
}

#[tokio::test]
async fn postgres_debug_output_hides_the_url() {
    let builder = PostgresStore::builder("postgres://someone:s3cret-pw@db.internal/x");
    let shown = format!("{builder:?}");
    assert!(!shown.contains("s3cret-pw"), "{shown}");
    assert!(shown.contains("phorest_ghl"), "{shown}");
}

/// `url` with TLS required (and the host replaced by `host`, when given).
fn require_tls(url: &str, host: Option<&str>) -> String {
    let url = match host {
        Some(host) => url
            .replace("@127.0.0.1:", &format!("@{host}:"))
            .replace("@localhost:", &format!("@{host}:")),
        None => url.to_owned(),
    };
    if url.contains("sslmode=") {
        url.replace("sslmode=disable", "sslmode=require")
            .replace("sslmode=prefer", "sslmode=require")
    } else if url.contains('?') {
        format!("{url}&sslmode=require")
    } else {
        format!("{url}?sslmode=require")
    }
}

#[tokio::test]
async fn postgres_tls_verifies_the_server_certificate() {
    let Some(url) = database_url("postgres_tls_verifies_the_server_certificate") else {
        return;
    };
    if !url.contains("@127.0.0.1:") && !url.contains("@localhost:") {
        eprintln!("SKIPPED the TLS checks: the test server is not local");
        return;
    }
    // Debian's cluster offers TLS with a self-signed certificate issued for `localhost`.
    // Reached as 127.0.0.1, the name does not match: refused, not encrypted to anyway.
    match PostgresStore::builder(require_tls(&url, Some("127.0.0.1")))
        .schema(fresh_schema("tls_name"))
        .connect()
        .await
    {
        Err(StoreError::Backend(e)) if e.to_string().contains("server does not support TLS") => {
            eprintln!("SKIPPED the TLS checks: the test server does not offer TLS");
            return;
        }
        Err(StoreError::Backend(e)) => {
            let msg = e.to_string();
            assert!(
                msg.contains("TLS") && msg.contains("not valid for name"),
                "a certificate name error, got {msg}"
            );
        }
        Ok(store) => {
            eprintln!("the test server's certificate is valid for 127.0.0.1: nothing to refuse");
            drop_schema(&url, store.schema()).await;
        }
        Err(other) => panic!("expected a backend error, got {other:?}"),
    }
    // Under the right name but with roots that do not include its issuer: refused too.
    let unrelated = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(rustls::RootCertStore::empty())
    .with_no_client_auth();
    match PostgresStore::builder(require_tls(&url, Some("localhost")))
        .schema(fresh_schema("tls_issuer"))
        .tls_config(std::sync::Arc::new(unrelated))
        .connect()
        .await
    {
        Err(StoreError::Backend(e)) => {
            let msg = e.to_string();
            assert!(
                msg.contains("TLS") && msg.to_lowercase().contains("certificate"),
                "a certificate error, got {msg}"
            );
        }
        other => panic!("a certificate from an untrusted issuer must be refused, got {other:?}"),
    }
}

#[tokio::test]
async fn postgres_tls_connects_with_a_trusted_certificate() {
    let Some(url) = database_url("postgres_tls_connects_with_a_trusted_certificate") else {
        return;
    };
    // Trust Debian's self-signed certificate of the local cluster (issued for `localhost`) and
    // connect over TLS: the whole store works through the rustls stream.
    use rustls::pki_types::{CertificateDer, pem::PemObject};
    const SNAKEOIL: &str = "/etc/ssl/certs/ssl-cert-snakeoil.pem";
    if !url.contains("@127.0.0.1:") && !url.contains("@localhost:") {
        eprintln!("SKIPPED the TLS round trip: the test server is not local");
        return;
    }
    let Ok(cert) = CertificateDer::from_pem_file(SNAKEOIL) else {
        eprintln!("SKIPPED the TLS round trip: no {SNAKEOIL}");
        return;
    };
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert).expect("the certificate is a usable root");
    let config = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let tls_url = require_tls(&url, Some("localhost"));
    let schema = fresh_schema("tls_ok");
    match PostgresStore::builder(tls_url)
        .schema(schema.clone())
        .tls_config(std::sync::Arc::new(config))
        .connect()
        .await
    {
        Ok(store) => {
            testing::conformance(store).await;
            drop_schema(&url, &schema).await;
        }
        Err(StoreError::Backend(e))
            if e.to_string().contains("server does not support TLS")
                || e.to_string().contains("not valid for name") =>
        {
            eprintln!("SKIPPED the TLS round trip: {e}");
        }
        Err(e) => panic!("TLS with a trusted certificate must connect: {e}"),
    }
}
