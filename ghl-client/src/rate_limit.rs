//! A per-location sliding-window rate limiter fed by GHL's `X-RateLimit-*` headers.
//!
//! GHL allows a burst of 100 requests per 10 s per location (and 200,000 a day). Every request
//! first [`acquire`](RateLimiter::acquire)s a [`Permit`]; its answer's headers are handed back
//! with [`complete`](RateLimiter::complete). The limiter then:
//! - adopts `X-RateLimit-Max` and `X-RateLimit-Interval-Milliseconds` (unless told not to),
//! - counts requests the server saw but this client did not (another process on the same
//!   location) from `X-RateLimit-Remaining`, by reserving the missing slots,
//! - stops with [`Error::DailyLimitExhausted`] once `X-RateLimit-Daily-Remaining` reaches 0,
//! - pauses every request after a 429 until `Retry-After` (or one interval) has passed.
//!
//! It uses tokio's clock, so it can be tested with paused time.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

use reqwest::header::HeaderMap;
use tokio::time::Instant;

use crate::error::Error;

/// Pacing settings. Built with [`RateLimitConfig::new`] (or `default`) and the setters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RateLimitConfig {
    /// Requests allowed per `interval` (GHL: 100).
    pub max_requests: u32,
    /// The window length (GHL: 10 s).
    pub interval: Duration,
    /// Adopt the server's `X-RateLimit-Max` and `X-RateLimit-Interval-Milliseconds` when sent.
    pub follow_headers: bool,
}

impl RateLimitConfig {
    /// `max_requests` per `interval`, following the server's headers.
    pub fn new(max_requests: u32, interval: Duration) -> Self {
        Self {
            max_requests: max_requests.max(1),
            interval,
            follow_headers: true,
        }
    }

    /// Whether to adopt the server's limit headers (default `true`).
    pub fn follow_headers(mut self, follow: bool) -> Self {
        self.follow_headers = follow;
        self
    }
}

impl Default for RateLimitConfig {
    /// GHL's burst limit: 100 requests per 10 s.
    fn default() -> Self {
        Self::new(100, Duration::from_secs(10))
    }
}

/// Leave to send one request, handed back to [`RateLimiter::complete`] with the answer.
///
/// A permit dropped without being completed (a cancelled request) counts as completed when
/// dropped.
#[derive(Debug)]
#[must_use = "hand the permit back with RateLimiter::complete"]
pub struct Permit<'a> {
    limiter: &'a RateLimiter,
    open: bool,
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        if self.open {
            self.open = false;
            self.limiter.finish(&mut self.limiter.lock());
        }
    }
}

/// The window's bookkeeping.
///
/// A request counts from the moment its permit is issued until `interval` after its answer
/// arrived. The server counts it at some instant in between, so any window of `interval`
/// length, sliding or fixed, sees at most `max` of this client's requests, whatever the
/// latency.
#[derive(Debug)]
struct State {
    max: u32,
    interval: Duration,
    in_flight: u32,
    /// Completion times of the requests still counted, oldest first.
    completed: VecDeque<Instant>,
    paused_until: Option<Instant>,
    daily_remaining: Option<u64>,
    /// Whether an answer has told the limiter where the location's window stands. Until one
    /// has, requests go one at a time: another program may have spent the window just before
    /// this client started, and a burst sent blind would be answered 429.
    calibrated: bool,
}

impl State {
    fn prune(&mut self, now: Instant) {
        while let Some(&oldest) = self.completed.front() {
            if oldest + self.interval <= now {
                self.completed.pop_front();
            } else {
                break;
            }
        }
    }

    fn used(&self) -> u64 {
        u64::from(self.in_flight) + self.completed.len() as u64
    }
}

/// What the limiter learned from one answer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RateLimitHeaders {
    /// `X-RateLimit-Max`.
    pub max: Option<u32>,
    /// `X-RateLimit-Remaining`.
    pub remaining: Option<u32>,
    /// `X-RateLimit-Interval-Milliseconds`.
    pub interval: Option<Duration>,
    /// `X-RateLimit-Daily-Remaining`.
    pub daily_remaining: Option<u64>,
    /// `Retry-After` (seconds).
    pub retry_after: Option<Duration>,
}

impl RateLimitHeaders {
    /// Reads the headers; absent or malformed values are `None`.
    pub fn from_headers(headers: &HeaderMap) -> Self {
        fn num<T: std::str::FromStr>(headers: &HeaderMap, name: &str) -> Option<T> {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse().ok())
        }
        Self {
            max: num(headers, "x-ratelimit-max"),
            remaining: num(headers, "x-ratelimit-remaining"),
            interval: num::<u64>(headers, "x-ratelimit-interval-milliseconds")
                .filter(|ms| *ms > 0)
                .map(Duration::from_millis),
            daily_remaining: num(headers, "x-ratelimit-daily-remaining"),
            retry_after: num::<f64>(headers, "retry-after")
                .filter(|s| s.is_finite() && *s >= 0.0)
                .map(|s| Duration::from_secs_f64(s.min(86_400.0))),
        }
    }
}

/// The per-location limiter. Shared (through the client's `Arc`) by every clone of a client.
#[derive(Debug)]
pub struct RateLimiter {
    config: RateLimitConfig,
    state: Mutex<State>,
    completion: tokio::sync::Notify,
}

impl RateLimiter {
    /// A limiter with `config`.
    pub fn new(config: RateLimitConfig) -> Self {
        Self {
            config,
            state: Mutex::new(State {
                max: config.max_requests.max(1),
                interval: config.interval,
                in_flight: 0,
                completed: VecDeque::new(),
                paused_until: None,
                daily_remaining: None,
                calibrated: !config.follow_headers,
            }),
            completion: tokio::sync::Notify::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while holding this lock cannot leave the state inconsistent.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits until a request may be sent and counts it.
    ///
    /// Fails with [`Error::DailyLimitExhausted`] once the daily budget is spent.
    pub async fn acquire(&self) -> Result<Permit<'_>, Error> {
        loop {
            let completion = self.completion.notified();
            tokio::pin!(completion);
            let wait_until = {
                let mut state = self.lock();
                if state.daily_remaining == Some(0) {
                    return Err(Error::DailyLimitExhausted);
                }
                let now = Instant::now();
                match state.paused_until {
                    Some(until) if until > now => Some(until),
                    _ => {
                        state.paused_until = None;
                        state.prune(now);
                        let probing = !state.calibrated && state.in_flight > 0;
                        if !probing && state.used() < u64::from(state.max) {
                            state.in_flight += 1;
                            return Ok(Permit {
                                limiter: self,
                                open: true,
                            });
                        }
                        // Full: a slot frees when the oldest completion leaves the window, or
                        // (when every slot is in flight) once a request completes. Still
                        // calibrating: the first answer says how much of the window is left.
                        completion.as_mut().enable();
                        if probing {
                            None
                        } else {
                            state
                                .completed
                                .front()
                                .map(|oldest| *oldest + state.interval)
                        }
                    }
                }
            };
            match wait_until {
                Some(until) => {
                    tokio::select! {
                        _ = tokio::time::sleep_until(until) => {}
                        _ = &mut completion => {}
                    }
                }
                None => completion.await,
            }
        }
    }

    /// Counts a request as answered now.
    fn finish(&self, state: &mut State) {
        state.in_flight = state.in_flight.saturating_sub(1);
        state.completed.push_back(Instant::now());
        self.completion.notify_waiters();
    }

    /// Feeds the answer's headers back. `status` is the HTTP status (429 pauses everyone).
    /// Returns the wait a 429 asked for.
    pub fn complete(
        &self,
        mut permit: Permit<'_>,
        status: u16,
        headers: &HeaderMap,
    ) -> Option<Duration> {
        permit.open = false;
        let seen = RateLimitHeaders::from_headers(headers);
        let mut state = self.lock();
        state.calibrated = true;
        self.finish(&mut state);
        let now = Instant::now();
        if self.config.follow_headers {
            if let Some(max) = seen.max.filter(|m| *m > 0) {
                state.max = max;
            }
            if let Some(interval) = seen.interval {
                state.interval = interval;
            }
        }
        if let Some(daily) = seen.daily_remaining {
            state.daily_remaining = Some(daily);
        }
        state.prune(now);
        if let Some(remaining) = seen.remaining {
            // The server counted more than this client sent: another process shares the
            // location's budget. Reserve the difference for one interval.
            let server_used = u64::from(state.max.saturating_sub(remaining));
            let missing = server_used.saturating_sub(state.used());
            if missing > 0 {
                tracing::debug!(missing, "rate limit: server counted requests of others");
                for _ in 0..missing {
                    state.completed.push_back(now);
                }
            }
        }
        if status == 429 {
            let wait = seen.retry_after.unwrap_or(state.interval);
            let until = now + wait;
            if state.paused_until.is_none_or(|p| p < until) {
                state.paused_until = Some(until);
            }
            tracing::warn!(
                wait_ms = wait.as_millis() as u64,
                "rate limited (429): pausing"
            );
            return Some(wait);
        }
        None
    }

    /// The current limit (requests, window), after header adaptation.
    pub fn current_limit(&self) -> (u32, Duration) {
        let state = self.lock();
        (state.max, state.interval)
    }

    /// The last daily budget the server reported, if any.
    pub fn daily_remaining(&self) -> Option<u64> {
        self.lock().daily_remaining
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[tokio::test(start_paused = true)]
    async fn burst_then_waits_for_the_window() {
        let limiter = RateLimiter::new(RateLimitConfig::default());
        let start = Instant::now();
        for _ in 0..100 {
            let permit = limiter.acquire().await.unwrap();
            limiter.complete(permit, 200, &HeaderMap::new());
        }
        assert_eq!(Instant::now(), start, "the first 100 need no wait");
        let permit = limiter.acquire().await.unwrap();
        assert_eq!(Instant::now() - start, Duration::from_secs(10));
        limiter.complete(permit, 200, &HeaderMap::new());
    }

    #[tokio::test(start_paused = true)]
    async fn a_request_counts_until_an_interval_after_its_answer() {
        // Without headers to follow, two requests may be in flight from the start.
        let limiter = RateLimiter::new(
            RateLimitConfig::new(2, Duration::from_secs(10)).follow_headers(false),
        );
        let start = Instant::now();
        let slow = limiter.acquire().await.unwrap();
        let dropped = limiter.acquire().await.unwrap();
        tokio::time::sleep(Duration::from_secs(5)).await;
        // A cancelled request (permit dropped) counts as answered now.
        drop(dropped);
        tokio::time::sleep(Duration::from_secs(3)).await;
        limiter.complete(slow, 200, &HeaderMap::new());
        // Both slots are held until 10 s after the answers (5 s and 8 s), not after the sends.
        let third = limiter.acquire().await.unwrap();
        assert_eq!(Instant::now() - start, Duration::from_secs(15));
        let fourth = limiter.acquire().await.unwrap();
        assert_eq!(Instant::now() - start, Duration::from_secs(18));
        drop((third, fourth));
    }

    #[tokio::test(start_paused = true)]
    async fn three_hundred_requests_take_two_windows() {
        let limiter = std::sync::Arc::new(RateLimiter::new(RateLimitConfig::default()));
        let start = Instant::now();
        let tasks: Vec<_> = (0..300)
            .map(|_| {
                let limiter = limiter.clone();
                tokio::spawn(async move {
                    let permit = limiter.acquire().await.unwrap();
                    limiter.complete(permit, 200, &HeaderMap::new());
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        assert_eq!(Instant::now() - start, Duration::from_secs(20));
    }

    #[tokio::test(start_paused = true)]
    async fn a_cold_start_waits_for_the_first_answer_before_bursting() {
        let limiter = std::sync::Arc::new(RateLimiter::new(RateLimitConfig::new(
            10,
            Duration::from_secs(10),
        )));
        let first = limiter.acquire().await.unwrap();
        // Until the first answer, a second request waits (it may not be sent blind).
        let waiting = {
            let limiter = limiter.clone();
            tokio::spawn(async move {
                let p = limiter.acquire().await.unwrap();
                limiter.complete(p, 200, &HeaderMap::new());
            })
        };
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished());
        assert_eq!(limiter.lock().in_flight, 1);
        // Another program already used 8 of the 10 slots: the answer says 1 remains after ours.
        limiter.complete(first, 200, &headers(&[("x-ratelimit-remaining", "1")]));
        waiting.await.unwrap();
        // The window is now full (ours: 2, others: 8): the next request waits for it.
        let start = Instant::now();
        let p = limiter.acquire().await.unwrap();
        assert_eq!(Instant::now() - start, Duration::from_secs(10));
        limiter.complete(p, 200, &HeaderMap::new());
    }

    #[tokio::test(start_paused = true)]
    async fn adopts_server_limit_headers() {
        let limiter = RateLimiter::new(RateLimitConfig::default());
        let permit = limiter.acquire().await.unwrap();
        limiter.complete(
            permit,
            200,
            &headers(&[
                ("x-ratelimit-max", "3"),
                ("x-ratelimit-interval-milliseconds", "1000"),
                ("x-ratelimit-remaining", "2"),
                ("x-ratelimit-daily-remaining", "199999"),
            ]),
        );
        assert_eq!(limiter.current_limit(), (3, Duration::from_secs(1)));
        assert_eq!(limiter.daily_remaining(), Some(199_999));
        let start = Instant::now();
        let a = limiter.acquire().await.unwrap();
        let b = limiter.acquire().await.unwrap();
        assert_eq!(Instant::now(), start);
        let c = limiter.acquire().await.unwrap();
        assert_eq!(Instant::now() - start, Duration::from_secs(1));
        for permit in [a, b, c] {
            limiter.complete(permit, 200, &HeaderMap::new());
        }
    }

    #[tokio::test(start_paused = true)]
    async fn ignores_headers_when_told_to() {
        let limiter =
            RateLimiter::new(RateLimitConfig::new(5, Duration::from_secs(2)).follow_headers(false));
        let permit = limiter.acquire().await.unwrap();
        limiter.complete(permit, 200, &headers(&[("x-ratelimit-max", "100")]));
        assert_eq!(limiter.current_limit(), (5, Duration::from_secs(2)));
    }

    #[tokio::test(start_paused = true)]
    async fn remaining_lower_than_local_count_reserves_the_difference() {
        // Another process used 98 of the 100 requests of this window.
        let limiter = RateLimiter::new(RateLimitConfig::default());
        let start = Instant::now();
        let permit = limiter.acquire().await.unwrap();
        limiter.complete(permit, 200, &headers(&[("x-ratelimit-remaining", "1")]));
        let permit = limiter.acquire().await.unwrap();
        limiter.complete(permit, 200, &HeaderMap::new());
        assert_eq!(Instant::now(), start);
        let permit = limiter.acquire().await.unwrap();
        assert_eq!(Instant::now() - start, Duration::from_secs(10));
        limiter.complete(permit, 200, &HeaderMap::new());
    }

    #[tokio::test(start_paused = true)]
    async fn a_429_pauses_everyone_until_retry_after() {
        let limiter = RateLimiter::new(RateLimitConfig::default());
        let start = Instant::now();
        let permit = limiter.acquire().await.unwrap();
        let wait = limiter.complete(permit, 429, &headers(&[("retry-after", "3")]));
        assert_eq!(wait, Some(Duration::from_secs(3)));
        let permit = limiter.acquire().await.unwrap();
        assert_eq!(Instant::now() - start, Duration::from_secs(3));
        // Without Retry-After, the interval header decides.
        let wait = limiter.complete(
            permit,
            429,
            &headers(&[("x-ratelimit-interval-milliseconds", "500")]),
        );
        assert_eq!(wait, Some(Duration::from_millis(500)));
        let permit = limiter.acquire().await.unwrap();
        assert_eq!(Instant::now() - start, Duration::from_millis(3500));
        limiter.complete(permit, 200, &HeaderMap::new());
    }

    #[tokio::test(start_paused = true)]
    async fn spent_daily_budget_stops_with_a_typed_error() {
        let limiter = RateLimiter::new(RateLimitConfig::default());
        let permit = limiter.acquire().await.unwrap();
        limiter.complete(
            permit,
            200,
            &headers(&[("x-ratelimit-daily-remaining", "0")]),
        );
        assert!(matches!(
            limiter.acquire().await,
            Err(Error::DailyLimitExhausted)
        ));
    }

    #[test]
    fn malformed_headers_are_ignored() {
        let seen = RateLimitHeaders::from_headers(&headers(&[
            ("x-ratelimit-max", "lots"),
            ("x-ratelimit-interval-milliseconds", "0"),
            ("retry-after", "-5"),
            ("x-ratelimit-remaining", " 7 "),
        ]));
        assert_eq!(
            seen,
            RateLimitHeaders {
                remaining: Some(7),
                ..Default::default()
            }
        );
    }
}
