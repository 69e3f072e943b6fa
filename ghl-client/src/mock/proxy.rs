//! A TCP proxy in front of the sandbox that resets connections (feature `mock`).
//!
//! `wiremock` can delay an answer but cannot break a connection, so [`ResetProxy`] sits between
//! a client and a [`GhlSandbox`](super::GhlSandbox) and, for a seeded fraction of requests,
//! aborts the client's connection with a TCP reset (`SO_LINGER` 0):
//!
//! - **before** forwarding the request: the sandbox never sees it (not applied);
//! - **after** the sandbox answered, before relaying the answer: the request *was* applied but
//!   the client only sees a broken connection (the "may have been applied" case).
//!
//! A request is recognised by a chunk read from the client that starts with an HTTP method
//! (`GET `, `POST `, …), which on a keep-alive connection is one chunk per request; body chunks
//! that arrive separately are forwarded as they are.
//!
//! ```no_run
//! use ghl_client::mock::{GhlSandbox, ResetProxy, SandboxConfig};
//!
//! # async fn demo() -> std::io::Result<()> {
//! let sandbox = GhlSandbox::start(SandboxConfig::default()).await;
//! let proxy = ResetProxy::start(&sandbox.base_url(), 0.05, 7).await?;
//! let token = sandbox.issue_private_token(["calendars.readonly"]);
//! let client = sandbox
//!     .client_builder(&token)
//!     .base_url(proxy.base_url())
//!     .build()
//!     .expect("a valid URL");
//! let _ = client.calendars().list().await;
//! println!("resets so far: {}", proxy.resets());
//! # Ok(())
//! # }
//! ```

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

use super::ids::unit;

const METHODS: &[&[u8]] = &[
    b"GET ",
    b"POST ",
    b"PUT ",
    b"DELETE ",
    b"PATCH ",
    b"HEAD ",
    b"OPTIONS ",
];

#[derive(Debug, Default)]
struct Counters {
    requests: AtomicU64,
    reset_before: AtomicU64,
    reset_after: AtomicU64,
}

#[derive(Debug)]
struct Shared {
    upstream: SocketAddr,
    /// `f64` bits of the reset rate.
    rate: AtomicU64,
    rng: Mutex<u64>,
    counters: Counters,
}

/// What happens to one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Decision {
    Forward,
    ResetBefore,
    ResetAfter,
}

impl Shared {
    fn decide(&self) -> Decision {
        self.counters.requests.fetch_add(1, Ordering::Relaxed);
        let rate = f64::from_bits(self.rate.load(Ordering::Relaxed));
        if rate <= 0.0 {
            return Decision::Forward;
        }
        let (hit, before) = {
            let mut rng = self.rng.lock().unwrap_or_else(|e| e.into_inner());
            (unit(&mut rng) < rate, unit(&mut rng) < 0.5)
        };
        match (hit, before) {
            (false, _) => Decision::Forward,
            (true, true) => {
                self.counters.reset_before.fetch_add(1, Ordering::Relaxed);
                Decision::ResetBefore
            }
            (true, false) => {
                self.counters.reset_after.fetch_add(1, Ordering::Relaxed);
                Decision::ResetAfter
            }
        }
    }
}

/// A running connection-resetting proxy; it stops (and drops every open connection) when
/// dropped.
///
/// Decisions are drawn from a generator seeded at [`ResetProxy::start`] (and again by
/// [`ResetProxy::set_reset_rate`]), half of the resets before forwarding and half after the
/// answer. With concurrent connections the order in which requests meet the draws follows
/// their arrival, so the *number* of resets is what a test should rely on, not which request
/// got one.
pub struct ResetProxy {
    shared: Arc<Shared>,
    addr: SocketAddr,
    task: JoinHandle<()>,
}

impl fmt::Debug for ResetProxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResetProxy")
            .field("addr", &self.addr)
            .field("upstream", &self.shared.upstream)
            .field("reset_rate", &self.reset_rate())
            .finish_non_exhaustive()
    }
}

impl Drop for ResetProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl ResetProxy {
    /// Starts a proxy on a random local port in front of `upstream_base_url` (an
    /// `http://host:port` URL such as [`GhlSandbox::base_url`](super::GhlSandbox::base_url)),
    /// resetting a `rate` (0.0–1.0) of requests, decisions seeded with `seed`.
    ///
    /// # Errors
    ///
    /// The URL has no resolvable host and port, or no local port could be bound.
    pub async fn start(upstream_base_url: &str, rate: f64, seed: u64) -> io::Result<ResetProxy> {
        let authority = upstream_base_url
            .strip_prefix("http://")
            .unwrap_or(upstream_base_url)
            .split('/')
            .next()
            .unwrap_or_default();
        let upstream = tokio::net::lookup_host(authority)
            .await?
            .next()
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no upstream address"))?;
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            upstream,
            rate: AtomicU64::new(rate.to_bits()),
            rng: Mutex::new(seed),
            counters: Counters::default(),
        });
        let task = tokio::spawn(accept_loop(listener, Arc::clone(&shared)));
        tracing::debug!(%addr, %upstream, rate, "reset proxy started");
        Ok(ResetProxy { shared, addr, task })
    }

    /// Base URL to point a client at (`http://127.0.0.1:<port>`).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The fraction of requests currently reset.
    pub fn reset_rate(&self) -> f64 {
        f64::from_bits(self.shared.rate.load(Ordering::Relaxed))
    }

    /// Changes the fraction of requests reset (0.0 turns resets off) and reseeds the draws.
    pub fn set_reset_rate(&self, rate: f64, seed: u64) {
        *self.shared.rng.lock().unwrap_or_else(|e| e.into_inner()) = seed;
        self.shared.rate.store(rate.to_bits(), Ordering::Relaxed);
    }

    /// Requests seen (reset or not).
    pub fn requests(&self) -> u64 {
        self.shared.counters.requests.load(Ordering::Relaxed)
    }

    /// Connections reset before the request was forwarded (not applied).
    pub fn resets_before(&self) -> u64 {
        self.shared.counters.reset_before.load(Ordering::Relaxed)
    }

    /// Connections reset after the sandbox answered (applied, answer lost).
    pub fn resets_after(&self) -> u64 {
        self.shared.counters.reset_after.load(Ordering::Relaxed)
    }

    /// All resets.
    pub fn resets(&self) -> u64 {
        self.resets_before() + self.resets_after()
    }
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    // Dropping the set (when this task is aborted) aborts every connection task.
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((client, _)) => {
                    connections.spawn(relay(client, Arc::clone(&shared)));
                }
                Err(error) => {
                    tracing::debug!(%error, "reset proxy accept failed");
                    tokio::task::yield_now().await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

/// Aborts the client's connection with a TCP reset.
fn reset(client: TcpStream) {
    if let Err(error) = client.set_zero_linger() {
        tracing::debug!(%error, "SO_LINGER 0 failed; closing normally");
    }
    drop(client);
}

async fn relay(mut client: TcpStream, shared: Arc<Shared>) {
    let mut upstream = match TcpStream::connect(shared.upstream).await {
        Ok(upstream) => upstream,
        Err(error) => {
            tracing::debug!(%error, "reset proxy could not reach the sandbox");
            return reset(client);
        }
    };
    let _ = client.set_nodelay(true);
    let _ = upstream.set_nodelay(true);
    let mut from_client = vec![0u8; 64 * 1024];
    let mut from_upstream = vec![0u8; 64 * 1024];
    // A request was forwarded whose answer must not reach the client.
    let mut swallow_answer = false;
    loop {
        tokio::select! {
            read = client.read(&mut from_client) => {
                let n = match read {
                    Ok(0) | Err(_) => return,
                    Ok(n) => n,
                };
                let chunk = &from_client[..n];
                if METHODS.iter().any(|m| chunk.starts_with(m)) {
                    match shared.decide() {
                        Decision::Forward => {}
                        Decision::ResetBefore => return reset(client),
                        Decision::ResetAfter => swallow_answer = true,
                    }
                }
                if upstream.write_all(chunk).await.is_err() {
                    return reset(client);
                }
            }
            read = upstream.read(&mut from_upstream) => {
                let n = match read {
                    Ok(0) | Err(_) => return,
                    Ok(n) => n,
                };
                if swallow_answer {
                    return reset(client);
                }
                if client.write_all(&from_upstream[..n]).await.is_err() {
                    return;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::RetryPolicy;
    use crate::mock::{GhlSandbox, SandboxConfig};

    #[tokio::test]
    async fn forwards_untouched_at_rate_zero() {
        let sandbox = GhlSandbox::start(SandboxConfig::default()).await;
        let proxy = ResetProxy::start(&sandbox.base_url(), 0.0, 1)
            .await
            .unwrap();
        let token = sandbox.issue_private_token(["calendars.readonly"]);
        let client = sandbox
            .client_builder(&token)
            .base_url(proxy.base_url())
            .build()
            .unwrap();
        for _ in 0..3 {
            client.calendars().list().await.unwrap();
        }
        assert_eq!(sandbox.count("GET", "/calendars"), 3);
        assert_eq!(proxy.requests(), 3);
        assert_eq!(proxy.resets(), 0);
    }

    #[tokio::test]
    async fn resets_before_are_not_applied_and_resets_after_are() {
        let sandbox = GhlSandbox::start(SandboxConfig::default()).await;
        let proxy = ResetProxy::start(&sandbox.base_url(), 1.0, 3)
            .await
            .unwrap();
        let token = sandbox.issue_private_token(["contacts.write", "contacts.readonly"]);
        let client = sandbox
            .client_builder(&token)
            .base_url(proxy.base_url())
            .retry_policy(RetryPolicy::none())
            .build()
            .unwrap();
        for i in 0..20 {
            let body = crate::contacts::CreateContact::new().email(format!("c{i}@example.com"));
            let err = client.contacts().create(&body).await.unwrap_err();
            assert!(err.may_have_been_applied(), "{err:?}");
        }
        assert_eq!(proxy.requests(), 20);
        assert_eq!(proxy.resets(), 20);
        assert!(proxy.resets_before() > 0 && proxy.resets_after() > 0);
        // Exactly the requests reset after forwarding reached the sandbox, and were applied.
        assert_eq!(
            sandbox.count("POST", "/contacts"),
            proxy.resets_after() as usize
        );
        assert_eq!(sandbox.contacts().len(), proxy.resets_after() as usize);

        // Turned off, the same proxy relays again.
        proxy.set_reset_rate(0.0, 0);
        let body = crate::contacts::CreateContact::new().email("ok@example.com");
        client.contacts().create(&body).await.unwrap();
        assert_eq!(proxy.resets(), 20);
    }
}
