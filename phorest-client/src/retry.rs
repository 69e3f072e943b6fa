//! Retry policy and backoff (the same names and meaning as ghl-client's `RetryPolicy`).

use std::time::Duration;

use rand::Rng;

/// How many times, and how long, to retry.
///
/// What is retried:
/// - **reads** (every `GET`) on 429, 500/502/503/504, transport failures (timeouts included),
///   and a 200 whose body is not JSON at all (an HTML page, a body cut short, an empty body);
/// - **writes** (the CSV export job's `POST`) only when the request certainly was not applied:
///   a 429 or a failed connection. A 5xx, a timeout, a connection broken after sending or an
///   undecodable answer is returned at once with
///   [`Error::may_have_been_applied`](crate::Error::may_have_been_applied) `== true`.
///
/// A 429's `Retry-After` is honoured (every clone of the client pauses until then, see
/// [`Pacing`](crate::Pacing)); one asking for longer than [`RetryPolicy::max_delay`] is returned
/// as [`Error::RateLimited`](crate::Error::RateLimited) instead of being waited out.
///
/// ```
/// use std::time::Duration;
/// use phorest_client::RetryPolicy;
///
/// let policy = RetryPolicy::default()
///     .max_attempts(3)
///     .base_delay(Duration::from_millis(200))
///     .max_delay(Duration::from_secs(5));
/// assert_eq!(policy.max_attempts, 3);
/// assert_eq!(RetryPolicy::none().max_attempts, 1);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Attempts in total, the first included (1 disables retries).
    pub max_attempts: u32,
    /// The backoff after the first failure; each further failure doubles it.
    pub base_delay: Duration,
    /// The largest single backoff, and the longest `Retry-After` that is waited out.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    /// 5 attempts, 0.5 s doubling backoff up to 30 s, with jitter.
    fn default() -> Self {
        Self {
            max_attempts: 5,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// No retries at all (one attempt).
    pub fn none() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// Sets the total number of attempts (at least 1).
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// Sets the first backoff.
    pub fn base_delay(mut self, delay: Duration) -> Self {
        self.base_delay = delay;
        self.max_delay = self.max_delay.max(delay);
        self
    }

    /// Sets the largest backoff (and the longest `Retry-After` waited out).
    pub fn max_delay(mut self, delay: Duration) -> Self {
        self.max_delay = delay.max(self.base_delay);
        self
    }

    /// The backoff before attempt `failures + 1`, given that `failures` attempts (≥ 1) failed:
    /// `base_delay · 2^(failures-1)` capped at `max_delay`, then jittered uniformly into
    /// `[ceiling/2, ceiling]` so clients do not retry in lockstep.
    pub fn backoff_for(&self, failures: u32) -> Duration {
        let exp = failures.saturating_sub(1).min(20);
        let ceiling = self
            .base_delay
            .saturating_mul(1u32 << exp)
            .min(self.max_delay);
        let millis = u64::try_from(ceiling.as_millis()).unwrap_or(u64::MAX);
        if millis == 0 {
            return ceiling;
        }
        Duration::from_millis(rand::rng().random_range(millis / 2..=millis))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_is_capped_and_jittered_into_the_upper_half() {
        let policy = RetryPolicy::default()
            .base_delay(Duration::from_millis(100))
            .max_delay(Duration::from_millis(350));
        for failures in 1..=8 {
            let ceiling = Duration::from_millis(100 * (1 << (failures - 1))).min(policy.max_delay);
            let wait = policy.backoff_for(failures);
            assert!(
                wait >= ceiling / 2 && wait <= ceiling,
                "{failures}: {wait:?}"
            );
        }
        assert!(policy.backoff_for(u32::MAX) <= Duration::from_millis(350));
        assert_eq!(
            RetryPolicy::default()
                .base_delay(Duration::ZERO)
                .backoff_for(3),
            Duration::ZERO
        );
    }

    #[test]
    fn setters_keep_the_policy_consistent() {
        assert_eq!(RetryPolicy::none().max_attempts, 1);
        assert_eq!(RetryPolicy::default().max_attempts(0).max_attempts, 1);
        let p = RetryPolicy::default()
            .max_delay(Duration::from_millis(10))
            .base_delay(Duration::from_secs(1));
        assert!(p.max_delay >= p.base_delay);
    }
}
