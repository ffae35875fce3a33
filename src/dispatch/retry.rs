//! When to try again: bounded exponential backoff with full jitter, honouring the platform's own delay.

use std::time::Duration;

/// How many attempts, and how far apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    pub base: Duration,
    pub cap: Duration,
    /// How long after the last moment a request that may have created the post was on its way (a
    /// server error's or lost answer's time; a crash's last step plus [`RetryPolicy::request_timeout`])
    /// "not on the account" is believed: a platform may take seconds to create a post, and its
    /// listing a moment more to show it. Until then the post is looked for again, never sent again.
    pub unclear_wait: Duration,
    /// How long one request may take before herald gives up waiting for its answer.
    pub request_timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 5,
            base: Duration::from_secs(2),
            cap: Duration::from_secs(15 * 60),
            unclear_wait: Duration::from_secs(60),
            request_timeout: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// The daemon's policy for a request timeout (`[daemon] request_timeout`): "not on the account" is
    /// believed twice that long after the request could last have been on its way.
    pub fn with_request_timeout(self, request_timeout: Duration) -> Self {
        Self { request_timeout, unclear_wait: request_timeout.saturating_mul(2), ..self }
    }
}

impl RetryPolicy {
    /// The wait before attempt `attempt + 1` after attempt `attempt` (1-based) asked to retry, or `None`
    /// when the attempts are used up. `hint` is the platform's own delay (`Retry-After`, a reset time):
    /// it is a floor. `unit` is a random number in `[0, 1)` (full jitter), passed in so tests are exact.
    pub fn delay(&self, attempt: u32, hint: Option<Duration>, unit: f64) -> Option<Duration> {
        if attempt >= self.max_attempts {
            return None;
        }
        let exp = self.base.saturating_mul(2u32.saturating_pow(attempt.saturating_sub(1)));
        let ceiling = exp.min(self.cap);
        let jittered = ceiling.mul_f64(unit.clamp(0.0, 1.0));
        Some(hint.map_or(jittered, |h| h.max(jittered)).min(self.cap.max(hint.unwrap_or_default())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_is_jittered_capped_and_bounded() {
        let p = RetryPolicy {
            max_attempts: 4,
            base: Duration::from_secs(1),
            cap: Duration::from_secs(3),
            ..RetryPolicy::default()
        };
        assert_eq!(p.delay(1, None, 0.999_999).map(|d| d.as_secs()), Some(0)); // up to 1 s
        assert_eq!(p.delay(2, None, 0.5), Some(Duration::from_secs(1))); // half of 2 s
        assert_eq!(p.delay(3, None, 0.5), Some(Duration::from_millis(1500))); // half of min(4, 3) s
        assert_eq!(p.delay(4, None, 0.5), None, "attempts used up");
        assert_eq!(p.delay(1, None, 0.0), Some(Duration::ZERO));
    }

    #[test]
    fn the_platforms_delay_is_a_floor() {
        let p = RetryPolicy::default();
        assert_eq!(p.delay(1, Some(Duration::from_secs(900)), 0.1), Some(Duration::from_secs(900)));
        assert_eq!(p.delay(1, Some(Duration::from_secs(3600)), 0.1), Some(Duration::from_secs(3600)));
    }
}
