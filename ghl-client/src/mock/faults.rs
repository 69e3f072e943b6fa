//! Fault injection settings.

use std::time::Duration;

/// Faults the sandbox injects, changeable while it runs with
/// [`GhlSandbox::set_faults`](super::GhlSandbox::set_faults). `Default` injects nothing.
///
/// Random decisions are drawn from a generator seeded with [`Faults::seed`] each time the
/// faults are set, so a given request sequence always meets the same faults.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Faults {
    /// Fraction (0.0–1.0) of authenticated requests answered with a 5xx *without* being
    /// applied: a JSON 500, a JSON 503 or a Cloudflare-style HTML 502, chosen at random.
    pub server_error_rate: f64,
    /// Fraction (0.0–1.0) of requests whose response is delayed by [`Faults::slow_delay`]
    /// (the request is still applied, as a real server would, so a client timeout means
    /// "may have been applied").
    pub slow_rate: f64,
    /// Delay of a slow response.
    pub slow_delay: Duration,
    /// The next N requests answer 429 (a storm), counted in
    /// [`GhlSandbox::rate_limited_count`](super::GhlSandbox::rate_limited_count).
    pub rate_limit_storm: u32,
    /// After N more requests every issued access token expires (401 "Invalid JWT"); refresh
    /// tokens stay valid, so an OAuth client can recover and a private token cannot.
    pub expire_tokens_after: Option<u32>,
    /// The next N successful writes are applied but answered with a 500, to exercise
    /// "may have been applied" handling.
    pub fail_after_apply: u32,
    /// Limit [`Faults::server_error_rate`] to writes (POST, PUT, DELETE): reads keep
    /// answering, as when one GHL service fails behind a healthy gateway.
    pub writes_only: bool,
    /// Seed of the fault decisions.
    pub seed: u64,
}
