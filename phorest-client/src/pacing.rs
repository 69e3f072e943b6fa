//! Client-side pacing that adapts to 429s.
//!
//! Phorest documents a limit of 100 requests per second per API user and answers 429 above it
//! (the rate-limit figure is repeated by every reference page; one production integration caps
//! itself at 95). The default pacing stays just below that, at
//! [`DEFAULT_REQUESTS_PER_SECOND`], and adapts:
//!
//! - a 429 halves the current rate (never below 1 request/s) and, when the answer carried
//!   `Retry-After`, pauses every request of the client (and its clones) until then;
//! - every second without a 429 then gives back a tenth of the configured rate, until the
//!   configured rate is reached again.
//!
//! The pacer uses tokio's clock, so it can be tested with paused time.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// The default pacing: requests per second, just below Phorest's documented 100/s.
pub const DEFAULT_REQUESTS_PER_SECOND: u32 = 90;

/// The slowest an adaptive pacing goes after repeated 429s.
const MIN_RATE: f64 = 1.0;
/// How often the rate recovers after a 429.
const RECOVERY_INTERVAL: Duration = Duration::from_secs(1);
/// The configured rate divided by this is given back per [`RECOVERY_INTERVAL`].
const RECOVERY_PARTS: f64 = 10.0;

/// Client-side pacing: the maximum request rate of one client (shared by its clones), and
/// whether it adapts to 429s.
///
/// Phorest documents a limit of 100 requests per second and answers 429 above it. The default
/// stays just below, at [`DEFAULT_REQUESTS_PER_SECOND`], and adapts: a 429 halves the current
/// rate (never below 1 request/s) and, when it carried `Retry-After`, pauses every request of
/// the client and its clones until then; each second without a 429 then gives back a tenth of
/// the configured rate, until it is reached again.
///
/// ```
/// use phorest_client::Pacing;
///
/// assert_eq!(Pacing::default(), Pacing::per_second(90));
/// let fixed = Pacing::per_second(20).adaptive(false);
/// assert_eq!(fixed.requests_per_second(), Some(20));
/// assert!(!fixed.is_adaptive());
/// assert_eq!(Pacing::unlimited().requests_per_second(), None);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pacing {
    per_second: Option<u32>,
    adaptive: bool,
}

impl Pacing {
    /// At most `requests` per second (values below 1 are treated as 1), adapting to 429s.
    pub fn per_second(requests: u32) -> Self {
        Self {
            per_second: Some(requests.max(1)),
            adaptive: true,
        }
    }

    /// No client-side spacing (sandboxes and tests). A 429's `Retry-After` still pauses the
    /// client.
    pub fn unlimited() -> Self {
        Self {
            per_second: None,
            adaptive: false,
        }
    }

    /// Whether a 429 slows the client down (halving its rate, then recovering); default on.
    pub fn adaptive(mut self, adaptive: bool) -> Self {
        self.adaptive = adaptive && self.per_second.is_some();
        self
    }

    /// The configured rate, `None` when unlimited.
    pub fn requests_per_second(&self) -> Option<u32> {
        self.per_second
    }

    /// Whether the pacing adapts to 429s.
    pub fn is_adaptive(&self) -> bool {
        self.adaptive
    }

    /// The minimum spacing between request starts at the configured rate.
    pub fn min_interval(&self) -> Duration {
        self.per_second
            .map_or(Duration::ZERO, |n| Duration::from_secs(1) / n)
    }
}

impl Default for Pacing {
    /// [`DEFAULT_REQUESTS_PER_SECOND`] requests per second, adaptive.
    fn default() -> Self {
        Self::per_second(DEFAULT_REQUESTS_PER_SECOND)
    }
}

/// The shared pacing state of a client and its clones.
#[derive(Debug)]
pub(crate) struct Pacer {
    pacing: Pacing,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    /// Current rate in requests per second (the configured one unless slowed by 429s).
    rate: f64,
    /// The earliest start of the next request.
    next_slot: Option<Instant>,
    /// No request starts before this (a 429's `Retry-After`).
    paused_until: Option<Instant>,
    /// Start of the current 429-free stretch (for recovery).
    calm_since: Instant,
}

impl Pacer {
    pub(crate) fn new(pacing: Pacing) -> Self {
        Self {
            pacing,
            state: Mutex::new(State {
                rate: pacing.per_second.map_or(f64::INFINITY, f64::from),
                next_slot: None,
                paused_until: None,
                calm_since: Instant::now(),
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Waits until the next request may start.
    pub(crate) async fn wait(&self) {
        let slot = self.reserve(Instant::now());
        if slot > Instant::now() {
            tokio::time::sleep_until(slot).await;
        }
    }

    /// Reserves the next start slot at or after `now`.
    fn reserve(&self, now: Instant) -> Instant {
        let mut state = self.lock();
        self.recover(&mut state, now);
        let mut slot = now;
        if let Some(paused) = state.paused_until {
            slot = slot.max(paused);
        }
        if state.rate.is_finite() {
            if let Some(next) = state.next_slot {
                slot = slot.max(next);
            }
            state.next_slot = Some(slot + Duration::from_secs_f64(1.0 / state.rate));
        }
        slot
    }

    /// Gives back part of the configured rate for every calm interval since the last 429.
    fn recover(&self, state: &mut State, now: Instant) {
        let Some(target) = self.pacing.per_second.map(f64::from) else {
            return;
        };
        if !self.pacing.adaptive || state.rate >= target {
            state.calm_since = now;
            return;
        }
        let calm = now.saturating_duration_since(state.calm_since);
        let steps = (calm.as_secs_f64() / RECOVERY_INTERVAL.as_secs_f64()).floor();
        if steps >= 1.0 {
            state.rate = (state.rate + steps * target / RECOVERY_PARTS).min(target);
            state.calm_since += RECOVERY_INTERVAL.mul_f64(steps);
        }
    }

    /// A 429 arrived: halve the rate (adaptive pacing) and pause every request for `pause`.
    pub(crate) fn rate_limited(&self, pause: Option<Duration>) {
        let now = Instant::now();
        let mut state = self.lock();
        if self.pacing.adaptive && state.rate.is_finite() {
            state.rate = (state.rate / 2.0).max(MIN_RATE);
            tracing::debug!(
                requests_per_second = state.rate,
                "Phorest answered 429: slowing down"
            );
        }
        state.calm_since = now;
        if let Some(pause) = pause {
            let until = now + pause;
            state.paused_until = Some(state.paused_until.map_or(until, |p| p.max(until)));
        }
    }

    /// The current rate in requests per second (`None` when unlimited).
    pub(crate) fn current_rate(&self) -> Option<f64> {
        let mut state = self.lock();
        self.recover(&mut state, Instant::now());
        state.rate.is_finite().then_some(state.rate)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Starts of `n` requests, relative to the first call.
    async fn starts(pacer: &Pacer, n: usize) -> Vec<Duration> {
        let origin = Instant::now();
        let mut out = Vec::new();
        for _ in 0..n {
            pacer.wait().await;
            out.push(origin.elapsed());
        }
        out
    }

    #[tokio::test(start_paused = true)]
    async fn fixed_pacing_spaces_request_starts_and_keeps_no_debt() {
        let pacer = Pacer::new(Pacing::per_second(10).adaptive(false));
        let ms = |v: &[u64]| {
            v.iter()
                .map(|m| Duration::from_millis(*m))
                .collect::<Vec<_>>()
        };
        assert_eq!(starts(&pacer, 5).await, ms(&[0, 100, 200, 300, 400]));
        tokio::time::advance(Duration::from_secs(5)).await;
        assert_eq!(starts(&pacer, 1).await, ms(&[0]), "no debt after idling");
        pacer.rate_limited(None);
        assert_eq!(pacer.current_rate(), Some(10.0), "not adaptive");
    }

    #[tokio::test(start_paused = true)]
    async fn a_429_halves_the_rate_and_calm_seconds_bring_it_back() {
        let pacer = Pacer::new(Pacing::per_second(90));
        assert_eq!(pacer.current_rate(), Some(90.0));
        pacer.rate_limited(None);
        assert_eq!(pacer.current_rate(), Some(45.0));
        pacer.rate_limited(None);
        let last_429 = Instant::now();
        assert_eq!(pacer.current_rate(), Some(22.5));
        // Spacing follows the slowed rate.
        let s = starts(&pacer, 3).await;
        let gap = s[2] - s[1];
        assert!(
            gap >= Duration::from_millis(44) && gap <= Duration::from_millis(45),
            "{gap:?}"
        );
        // A tenth of the configured 90/s comes back per calm second.
        tokio::time::advance(last_429 + Duration::from_millis(999) - Instant::now()).await;
        assert_eq!(pacer.current_rate(), Some(22.5), "not a full second yet");
        tokio::time::advance(Duration::from_millis(1)).await;
        assert_eq!(pacer.current_rate(), Some(31.5));
        tokio::time::advance(Duration::from_secs(2)).await;
        assert_eq!(pacer.current_rate(), Some(49.5));
        tokio::time::advance(Duration::from_secs(60)).await;
        assert_eq!(
            pacer.current_rate(),
            Some(90.0),
            "capped at the configured rate"
        );
        // Repeated 429s never go below 1 request per second.
        for _ in 0..20 {
            pacer.rate_limited(None);
        }
        assert_eq!(pacer.current_rate(), Some(1.0));
    }

    #[tokio::test(start_paused = true)]
    async fn retry_after_pauses_every_request_even_when_unlimited() {
        for pacing in [Pacing::unlimited(), Pacing::per_second(90)] {
            let pacer = Pacer::new(pacing);
            let origin = Instant::now();
            pacer.rate_limited(Some(Duration::from_secs(3)));
            pacer.wait().await;
            assert_eq!(origin.elapsed(), Duration::from_secs(3), "{pacing:?}");
            // A shorter pause later does not shorten a longer one in force.
            pacer.rate_limited(Some(Duration::from_secs(5)));
            pacer.rate_limited(Some(Duration::from_secs(1)));
            pacer.wait().await;
            assert_eq!(origin.elapsed(), Duration::from_secs(8), "{pacing:?}");
        }
        assert_eq!(Pacer::new(Pacing::unlimited()).current_rate(), None);
    }

    #[test]
    fn defaults() {
        assert_eq!(
            Pacing::default(),
            Pacing::per_second(DEFAULT_REQUESTS_PER_SECOND)
        );
        assert!(Pacing::default().is_adaptive());
        assert!(!Pacing::unlimited().adaptive(true).is_adaptive());
        assert_eq!(Pacing::per_second(0).min_interval(), Duration::from_secs(1));
        assert_eq!(Pacing::unlimited().min_interval(), Duration::ZERO);
    }
}
