//! Retry policy and backoff, separate from the rate limiter.
//!
//! Which failures are retried depends on whether the request is idempotent:
//! - **Idempotent** requests (GET, PUT, DELETE and `POST /contacts/upsert`) are retried on 429,
//!   5xx, timeouts and transport errors.
//! - **Plain creates** (`POST /contacts/`, notes, appointments, products, prices, custom fields)
//!   are retried only on 429 (not applied) and on connect errors (certainly not sent). A 5xx, a
//!   timeout or a broken connection after sending is returned at once, with
//!   [`Error::may_have_been_applied`](crate::Error::may_have_been_applied) `== true`, so the
//!   caller can reconcile (search or upsert) instead of creating a duplicate.

use std::time::Duration;

use rand::Rng;

/// Whether replaying a request is harmless.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Idempotency {
    /// Replaying cannot create duplicates (GET, PUT, DELETE, upsert).
    Idempotent,
    /// Replaying may create a duplicate (plain POST creates).
    NonIdempotent,
}

/// How many times, and how long, to retry. Built from [`RetryPolicy::default`] or
/// [`RetryPolicy::none`] and the setters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Attempts in total, the first included (1 disables retries).
    pub max_attempts: u32,
    /// The first backoff; each retry doubles it.
    pub base_delay: Duration,
    /// The largest single backoff.
    pub max_delay: Duration,
    /// Give up retrying once this much time has passed since the first attempt.
    pub max_elapsed: Duration,
    /// A 429 asking for a longer wait than this is returned as
    /// [`Error::RateLimited`](crate::Error::RateLimited) instead of waited out.
    pub max_rate_limit_wait: Duration,
    /// Randomise backoffs ("full jitter") so clients do not retry in lockstep.
    pub jitter: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(20),
            max_elapsed: Duration::from_secs(120),
            max_rate_limit_wait: Duration::from_secs(60),
            jitter: true,
        }
    }
}

impl RetryPolicy {
    /// No retries at all.
    pub fn none() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// Sets the total number of attempts.
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// Sets the first backoff (each retry doubles it, up to [`max_delay`](Self::max_delay)).
    pub fn base_delay(mut self, delay: Duration) -> Self {
        self.base_delay = delay;
        self.max_delay = self.max_delay.max(delay);
        self
    }

    /// Sets the largest single backoff (never below the base delay).
    pub fn max_delay(mut self, delay: Duration) -> Self {
        self.max_delay = delay.max(self.base_delay);
        self
    }

    /// Sets the first backoff and the largest one.
    #[deprecated(
        since = "0.1.0",
        note = "use `base_delay` and `max_delay`, named as in phorest-client"
    )]
    pub fn backoff(self, initial: Duration, max: Duration) -> Self {
        self.base_delay(initial).max_delay(max)
    }

    /// Sets the total time budget for retries.
    pub fn max_elapsed(mut self, elapsed: Duration) -> Self {
        self.max_elapsed = elapsed;
        self
    }

    /// Sets the longest 429 wait that is waited out.
    pub fn max_rate_limit_wait(mut self, wait: Duration) -> Self {
        self.max_rate_limit_wait = wait;
        self
    }

    /// Turns jitter on or off.
    pub fn jitter(mut self, jitter: bool) -> Self {
        self.jitter = jitter;
        self
    }

    /// The backoff before attempt `attempt + 1`, given that `attempt` attempts (≥ 1) failed.
    pub fn backoff_for(&self, attempt: u32) -> Duration {
        let exp = attempt.saturating_sub(1).min(20);
        let ceiling = self
            .base_delay
            .saturating_mul(1u32 << exp)
            .min(self.max_delay);
        if self.jitter && !ceiling.is_zero() {
            let millis = u64::try_from(ceiling.as_millis()).unwrap_or(u64::MAX);
            // Full jitter, but never less than half the ceiling so retries stay spread out.
            Duration::from_millis(rand::rng().random_range(millis / 2..=millis))
        } else {
            ceiling
        }
    }
}

/// What went wrong in one attempt, as far as retrying is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Failure {
    /// 429: not applied.
    RateLimited,
    /// The connection could not be made: not sent.
    Connect,
    /// 5xx, timeout or a transport error after sending: may have been applied.
    Ambiguous,
}

impl Idempotency {
    /// Whether a failure of this kind may be retried for a request of this idempotency.
    pub(crate) fn may_retry(self, failure: Failure) -> bool {
        match failure {
            Failure::RateLimited | Failure::Connect => true,
            Failure::Ambiguous => self == Idempotency::Idempotent,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap_without_jitter() {
        let policy = RetryPolicy::default()
            .base_delay(Duration::from_millis(100))
            .max_delay(Duration::from_millis(350))
            .jitter(false);
        let waits: Vec<_> = (1..=4).map(|n| policy.backoff_for(n)).collect();
        assert_eq!(
            waits,
            [100, 200, 350, 350].map(Duration::from_millis).to_vec()
        );
    }

    #[test]
    fn jitter_stays_between_half_and_the_ceiling() {
        let policy = RetryPolicy::default()
            .base_delay(Duration::from_millis(100))
            .max_delay(Duration::from_secs(1));
        for attempt in 1..=6 {
            let ceiling =
                Duration::from_millis(100 * (1 << (attempt - 1))).min(Duration::from_secs(1));
            let wait = policy.backoff_for(attempt);
            assert!(
                wait >= ceiling / 2 && wait <= ceiling,
                "{wait:?} vs {ceiling:?}"
            );
        }
        // Huge attempt numbers neither overflow nor panic.
        assert!(policy.backoff_for(u32::MAX) <= Duration::from_secs(1));
    }

    #[test]
    fn creates_retry_only_when_not_applied() {
        use Failure::*;
        assert!(Idempotency::NonIdempotent.may_retry(RateLimited));
        assert!(Idempotency::NonIdempotent.may_retry(Connect));
        assert!(!Idempotency::NonIdempotent.may_retry(Ambiguous));
        assert!(Idempotency::Idempotent.may_retry(Ambiguous));
        assert_eq!(RetryPolicy::none().max_attempts, 1);
    }
}
