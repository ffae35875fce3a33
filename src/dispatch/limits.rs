//! Per-channel limits: how many posts may be in flight at once, and when the platform has asked for
//! quiet.
//!
//! The cap is a semaphore per channel ([`ChannelLimits::start`]). The quiet time follows the headers
//! the platform returns on *every* answer, not only on a refusal: X's `x-rate-limit-remaining: 0` with
//! `x-rate-limit-reset` (and the 24-hour caps), Meta's `X-Business-Use-Case-Usage` /
//! `X-App-Usage` at 100 %, `Retry-After`. Reading those headers is data ([`quiet_for`]), unit-tested;
//! the boundary feeds every live response of a channel to [`ChannelLimits::observe`], and waits out the
//! quiet time before the channel's next request.

use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::{Semaphore, SemaphorePermit};
use tokio::time::Instant;

use super::http::Response;
use super::outcome::{retry_after, until_reset};

/// How long to stay quiet when Meta reports 100 % usage without saying for how long: its windows
/// roll over an hour, so usage falls back within minutes (the retry policy backs off further if not).
pub const META_FULL_USAGE_PAUSE: Duration = Duration::from_secs(5 * 60);

/// The longest quiet time herald accepts from headers (a bogus reset far in the future must not
/// silence a channel for days).
const MAX_QUIET: Duration = Duration::from_secs(24 * 3600);

/// The limits of one channel.
#[derive(Debug)]
pub struct ChannelLimits {
    in_flight: Semaphore,
    cap: usize,
    quiet_until: Mutex<Option<Instant>>,
}

impl ChannelLimits {
    /// Limits allowing `cap` posts in flight (at least one).
    pub fn new(cap: usize) -> Self {
        let cap = cap.max(1);
        Self { in_flight: Semaphore::new(cap), cap, quiet_until: Mutex::new(None) }
    }

    pub fn cap(&self) -> usize {
        self.cap
    }

    /// Waits for a free slot: a post holds it from its first request to its outcome.
    pub async fn start(&self) -> SemaphorePermit<'_> {
        // The semaphore is never closed, so acquiring cannot fail; a closed one would mean no limit.
        match self.in_flight.acquire().await {
            Ok(permit) => permit,
            Err(_) => unreachable!("the semaphore of a channel is never closed"),
        }
    }

    /// Waits until the platform's quiet time (if any) is over.
    pub async fn wait_clear(&self) {
        loop {
            let until = *self.quiet_until.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            match until {
                Some(t) if t > Instant::now() => tokio::time::sleep_until(t).await,
                _ => return,
            }
        }
    }

    /// When the channel may send again, if it must wait.
    pub fn quiet_until(&self) -> Option<Instant> {
        let until = *self.quiet_until.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        until.filter(|t| *t > Instant::now())
    }

    /// Reads a response's rate-limit headers; `now_epoch` is the current Unix time.
    pub fn observe(&self, response: &Response, now_epoch: i64) {
        if let Some(d) = quiet_for(response, now_epoch) {
            self.quiet(d);
        }
    }

    /// Stays quiet for `d` (the longest of all requests wins).
    pub fn quiet(&self, d: Duration) {
        let until = Instant::now() + d.min(MAX_QUIET);
        let mut q = self.quiet_until.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if q.is_none_or(|current| current < until) {
            *q = Some(until);
        }
    }
}

/// How long a channel must stay quiet after `response`, if its headers say so.
pub fn quiet_for(response: &Response, now_epoch: i64) -> Option<Duration> {
    let mut waits = Vec::new();
    // X: the endpoint's window, and the 24-hour caps, when exhausted.
    for prefix in ["x-rate-limit", "x-user-limit-24hour", "x-app-limit-24hour"] {
        if response.header(&format!("{prefix}-remaining")).map(str::trim) == Some("0")
            && let Some(d) = until_reset(response.header(&format!("{prefix}-reset")), now_epoch)
        {
            waits.push(d);
        }
    }
    if matches!(response.status, 429 | 503)
        && let Some(d) = retry_after(response.header("retry-after"))
    {
        waits.push(d);
    }
    waits.extend(meta_usage_wait(response));
    waits.into_iter().max().filter(|d| !d.is_zero())
}

/// How long Meta asks for quiet in its usage headers (`X-Business-Use-Case-Usage`, `X-App-Usage`,
/// `X-Page-Usage`): the longest `estimated_time_to_regain_access`, or [`META_FULL_USAGE_PAUSE`] when a
/// usage is at 100 % without a time. The one reader of those headers: the channel's quiet time and
/// the Facebook and Instagram classifiers' retry delays both come from here.
pub fn meta_usage_wait(response: &Response) -> Option<Duration> {
    ["x-business-use-case-usage", "x-app-usage", "x-page-usage"]
        .iter()
        .filter_map(|h| response.header(h).and_then(meta_usage_pause))
        .max()
}

/// Meta's usage headers: percentages of the quota used (`call_count`, `total_time`, `total_cputime`);
/// at 100 % the app is throttled. `X-Business-Use-Case-Usage` nests entries by business id and says
/// `estimated_time_to_regain_access` (minutes).
fn meta_usage_pause(value: &str) -> Option<Duration> {
    let json: serde_json::Value = serde_json::from_str(value).ok()?;
    // `X-App-Usage`/`X-Page-Usage` are one flat object; `X-Business-Use-Case-Usage` maps each
    // business object id to a list of them.
    let entries: Vec<&serde_json::Value> = match json.as_object()? {
        map if !map.is_empty() && map.values().all(serde_json::Value::is_array) => {
            map.values().flat_map(|v| v.as_array().into_iter().flatten()).collect()
        }
        _ => vec![&json],
    };
    entries
        .into_iter()
        .filter_map(|e| {
            let regain = e["estimated_time_to_regain_access"].as_u64().filter(|m| *m > 0);
            let full =
                ["call_count", "total_time", "total_cputime"].iter().any(|k| e[k].as_f64().is_some_and(|p| p >= 100.0));
            match (regain, full) {
                (Some(minutes), _) => Some(Duration::from_secs(minutes * 60)),
                (None, true) => Some(META_FULL_USAGE_PAUSE),
                (None, false) => None,
            }
        })
        .max()
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000;

    #[test]
    fn x_headers_silence_a_channel_only_when_a_window_is_used_up() {
        let ok = Response::new(201, "{}")
            .with_header("x-rate-limit-limit", "100")
            .with_header("x-rate-limit-remaining", "57")
            .with_header("x-rate-limit-reset", &(NOW + 600).to_string());
        assert_eq!(quiet_for(&ok, NOW), None);
        let last = Response::new(201, "{}")
            .with_header("x-rate-limit-remaining", "0")
            .with_header("x-rate-limit-reset", &(NOW + 600).to_string())
            .with_header("x-user-limit-24hour-remaining", "0")
            .with_header("x-user-limit-24hour-reset", &(NOW + 7200).to_string());
        assert_eq!(quiet_for(&last, NOW), Some(Duration::from_secs(7200)), "the longest wait wins");
    }

    #[test]
    fn retry_after_counts_on_refusals() {
        let r = Response::new(429, "").with_header("Retry-After", "30");
        assert_eq!(quiet_for(&r, NOW), Some(Duration::from_secs(30)));
        let ok = Response::new(200, "").with_header("Retry-After", "30");
        assert_eq!(quiet_for(&ok, NOW), None);
    }

    #[test]
    fn meta_usage_at_full_quota_pauses() {
        let buc = r#"{"112233":[{"type":"pages","call_count":100,"total_cputime":20,"total_time":30,"estimated_time_to_regain_access":12}]}"#;
        let r = Response::new(200, "").with_header("X-Business-Use-Case-Usage", buc);
        assert_eq!(quiet_for(&r, NOW), Some(Duration::from_secs(12 * 60)));
        let app = r#"{"call_count":100,"total_cputime":3,"total_time":4}"#;
        let r = Response::new(200, "").with_header("X-App-Usage", app);
        assert_eq!(quiet_for(&r, NOW), Some(META_FULL_USAGE_PAUSE));
        let calm = r#"{"call_count":28,"total_cputime":3,"total_time":4}"#;
        assert_eq!(quiet_for(&Response::new(200, "").with_header("X-App-Usage", calm), NOW), None);
        assert_eq!(quiet_for(&Response::new(200, "").with_header("X-App-Usage", "not json"), NOW), None);
    }

    #[tokio::test(start_paused = true)]
    async fn a_quiet_channel_waits_and_the_longest_quiet_wins() {
        let limits = ChannelLimits::new(2);
        limits.quiet(Duration::from_secs(60));
        limits.quiet(Duration::from_secs(10));
        let start = Instant::now();
        limits.wait_clear().await;
        assert_eq!(start.elapsed().as_secs(), 60);
        assert_eq!(limits.quiet_until(), None);
        limits.quiet(Duration::from_secs(999_999));
        assert!(limits.quiet_until().unwrap() - Instant::now() <= MAX_QUIET);
    }

    #[tokio::test]
    async fn the_cap_bounds_posts_in_flight() {
        let limits = ChannelLimits::new(2);
        let a = limits.start().await;
        let _b = limits.start().await;
        assert!(limits.in_flight.try_acquire().is_err(), "a third post waits");
        drop(a);
        assert!(limits.in_flight.try_acquire().is_ok());
        assert_eq!(ChannelLimits::new(0).cap(), 1);
    }
}
