//! Delivering one post to one channel: an attempt, what an unclear answer turns out to be, and what to
//! do next — the pipeline `herald send` and the daemon share.
//!
//! [`attempt`] publishes under the channel's cap, and lets the adapter's lookup decide whenever it is
//! unclear whether the post went out: the answer was lost, the platform answered with a server error,
//! herald stopped while the request was on its way ([`recover`]), or the platform refused the post
//! as a duplicate. Found on the account means published. "Not there" is believed only once no request
//! that may create the post can still land ([`Unclear::at`] plus [`RetryPolicy::unclear_wait`]):
//! platforms take seconds to create a post, so until then the post is looked for again, never sent
//! again. A lookup that cannot answer leaves the post to be looked for later, and a post whose
//! attempts run out that way is unknown, for a person, not failed ([`after_attempt`]). A duplicate
//! refusal is never a failure: the post is recorded from the account, or unknown.
//! [`next`] is the retry decision as data: given an outcome and the attempt number it says stop or
//! wait how long, and never retries anything but "retry later". [`deliver`] loops the two with real
//! waits (for `herald send`); the daemon records each step in its ledger instead of waiting in memory.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::boundary::Boundary;
use super::limits::ChannelLimits;
use super::outcome::Outcome;
use super::retry::RetryPolicy;
use crate::channels::adapter::{Journal, Lookup, Outgoing, UNCLEAR, Unclear};
use crate::channels::registry::AnyAdapter;

/// The clock an attempt reads (the daemon's, which tests control; the wall clock for `herald send`).
pub type Now<'a> = &'a (dyn Fn() -> DateTime<Utc> + Send + Sync);

/// How far back a lookup after a duplicate refusal reads the account: platforms refuse the same text
/// within about a day.
pub const DUPLICATE_LOOKBACK: chrono::Duration = chrono::Duration::hours(24);

/// What to do after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// The outcome is final: record it.
    Done,
    /// Not published yet: try again after this wait.
    RetryAfter(Duration),
    /// Not published, and the attempts are used up: record it as failed.
    GiveUp,
}

/// The retry decision for `outcome` after attempt number `attempt` (1-based). `unit` is a random
/// number in `[0, 1)` for the jitter.
pub fn next(outcome: &Outcome, attempt: u32, policy: &RetryPolicy, unit: f64) -> Next {
    match outcome {
        Outcome::RetryLater { after, .. } => match policy.delay(attempt, *after, unit) {
            Some(wait) => Next::RetryAfter(wait),
            None => Next::GiveUp,
        },
        // Unknown is never retried blindly: `attempt` already asked the platform and could not tell.
        Outcome::Published { .. }
        | Outcome::Rejected { .. }
        | Outcome::Duplicate { .. }
        | Outcome::NeedsReauth { .. }
        | Outcome::Unknown { .. } => Next::Done,
    }
}

/// One attempt: the lookup first when an earlier attempt may have gone out, then the publish, and
/// the lookup again when its answer is unclear. The caller holds a slot under the channel's cap
/// ([`ChannelLimits::start`]).
pub async fn attempt(
    adapter: &AnyAdapter,
    post: &Outgoing<'_>,
    journal: &mut Journal<'_>,
    http: &Boundary,
    policy: &RetryPolicy,
    now: Now<'_>,
) -> Outcome {
    let started = now();
    if let Some(unclear) = journal.unclear()
        && let Some(outcome) = look_before_sending(adapter, post, journal, http, unclear, policy, now).await
    {
        return outcome;
    }
    let outcome = adapter.publish(post, journal, http).await;
    settle(adapter, post, journal, http, outcome, started, policy, now).await
}

/// After a crash, for a post found half-sent (`sending` in the ledger): is it on the account? Marks
/// it unclear (see [`Unclear`]) and looks. `None` when it is certainly not there and may be sent.
pub async fn recover(
    adapter: &AnyAdapter,
    post: &Outgoing<'_>,
    journal: &mut Journal<'_>,
    http: &Boundary,
    unclear: Unclear,
    policy: &RetryPolicy,
    now: Now<'_>,
) -> Option<Outcome> {
    journal.mark_unclear(unclear);
    look_before_sending(adapter, post, journal, http, unclear, policy, now).await
}

/// The lookup for a post that may have gone out already: `Some(outcome)` to record (published, or
/// look again later), or `None` when it is certainly not on the account, so sending it is safe.
async fn look_before_sending(
    adapter: &AnyAdapter,
    post: &Outgoing<'_>,
    journal: &mut Journal<'_>,
    http: &Boundary,
    unclear: Unclear,
    policy: &RetryPolicy,
    now: Now<'_>,
) -> Option<Outcome> {
    match adapter.find_existing(post, journal, unclear.since, http).await {
        Lookup::Found { remote_id, url } => {
            journal.forget(UNCLEAR);
            Some(Outcome::Published { remote_id, url })
        }
        Lookup::NotFound => {
            let sure = unclear.at + chrono::Duration::from_std(policy.unclear_wait).unwrap_or_default();
            let t = now();
            if t >= sure {
                journal.forget(UNCLEAR);
                return None;
            }
            let wait = (sure - t).to_std().unwrap_or_default();
            Some(Outcome::RetryLater {
                after: Some(wait.max(Duration::from_secs(1))),
                reason: format!(
                    "it may have gone out already and is not on the account yet; a platform can take a while to show a new post, so it is looked for again at {} before it is sent again",
                    sure.format("%H:%M:%S UTC")
                ),
            })
        }
        Lookup::Unavailable { reason } => Some(Outcome::RetryLater {
            after: None,
            reason: format!("it may have gone out already, and the account cannot be checked yet ({reason})"),
        }),
    }
}

/// The outcome of attempt number `attempt` (1-based) while it is unclear whether the post went out
/// (the journal's [`UNCLEAR`]): retried no sooner than the lookup can be believed, and, when the
/// attempts are used up, unknown (a person checks), not failed. Any other outcome is unchanged.
pub fn after_attempt(
    outcome: Outcome,
    journal: &Journal<'_>,
    attempt: u32,
    policy: &RetryPolicy,
    now: DateTime<Utc>,
) -> Outcome {
    let Some(unclear) = journal.unclear() else { return outcome };
    match outcome {
        Outcome::RetryLater { after, reason } => {
            if policy.delay(attempt, None, 0.0).is_none() {
                Outcome::Unknown {
                    reason: format!(
                        "{reason}; an earlier attempt may have gone out, so the post may be live: check the account before sending it again"
                    ),
                }
            } else {
                let sure = unclear.at + chrono::Duration::from_std(policy.unclear_wait).unwrap_or_default();
                let floor = (sure - now).to_std().unwrap_or_default().max(Duration::from_secs(1));
                Outcome::RetryLater { after: Some(after.unwrap_or_default().max(floor)), reason }
            }
        }
        other => other,
    }
}

/// Turns an unclear outcome of a publish that started at `started` into a clear one where the
/// platform can tell: a lost answer is looked up (and, if not there yet, looked for again later); a
/// duplicate refusal is looked up over the last day and recorded as published, or unknown.
#[allow(clippy::too_many_arguments)] // the attempt's whole context
pub async fn settle(
    adapter: &AnyAdapter,
    post: &Outgoing<'_>,
    journal: &mut Journal<'_>,
    http: &Boundary,
    outcome: Outcome,
    started: DateTime<Utc>,
    policy: &RetryPolicy,
    now: Now<'_>,
) -> Outcome {
    match outcome {
        Outcome::Unknown { reason } => {
            let unclear = Unclear { since: started, at: now() };
            match recover(adapter, post, journal, http, unclear, policy, now).await {
                Some(Outcome::RetryLater { after, reason: why }) => {
                    Outcome::RetryLater { after, reason: format!("{reason}; {why}") }
                }
                Some(other) => other,
                None => Outcome::RetryLater {
                    after: None,
                    reason: format!("{reason}; the account was checked and the post is not there, so it is sent again"),
                },
            }
        }
        // A duplicate refusal once an attempt of this publication has done something (the daemon's
        // claim journals the text first; a lost answer marks it unclear): that attempt may be the
        // copy the platform found. A fresh `herald send` of a text already out stays a refusal.
        Outcome::Duplicate { platform_message } if !journal.entries().is_empty() => {
            let since = journal.unclear().map_or(started, |u| u.since.min(started)) - DUPLICATE_LOOKBACK;
            match adapter.find_existing(post, journal, since, http).await {
                Lookup::Found { remote_id, url } => {
                    journal.forget(UNCLEAR);
                    Outcome::Published { remote_id, url }
                }
                Lookup::NotFound => Outcome::Unknown {
                    reason: format!(
                        "the platform refused it as a duplicate ({platform_message}): the same text is on the account already, but herald did not find that post; check the account"
                    ),
                },
                Lookup::Unavailable { reason } => Outcome::Unknown {
                    reason: format!(
                        "the platform refused it as a duplicate ({platform_message}), and the account could not be checked ({reason}); check the account"
                    ),
                },
            }
        }
        other => other,
    }
}

/// The end of a delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivered {
    pub outcome: Outcome,
    pub attempts: u32,
    /// Set when the delivery stopped rather than wait this long (longer than `max_wait`) for the
    /// platform: the outcome says why, and the post can be tried again after the wait.
    pub stopped_before: Option<Duration>,
}

/// Delivers `post` with retries, waiting in between (`herald send`). `on_retry` hears of each wait. A
/// wait longer than `max_wait` (a rate-limit window, a channel kept quiet by the platform) is not
/// waited out: the delivery stops and says how long it would have been.
#[allow(clippy::too_many_arguments)] // the delivery's whole context
pub async fn deliver(
    adapter: &AnyAdapter,
    post: &Outgoing<'_>,
    journal: &mut Journal<'_>,
    http: &Boundary,
    limits: &ChannelLimits,
    policy: &RetryPolicy,
    max_wait: Duration,
    mut on_retry: impl FnMut(&Outcome, Duration),
) -> Delivered {
    let clock = Utc::now;
    let mut attempts = 0;
    loop {
        attempts += 1;
        let outcome = {
            let _slot = limits.start().await;
            attempt(adapter, post, journal, http, policy, &clock).await
        };
        let outcome = after_attempt(outcome, journal, attempts, policy, Utc::now());
        match next(&outcome, attempts, policy, rand::random::<f64>()) {
            Next::RetryAfter(wait) => {
                // The channel may also be kept quiet (rate-limit headers) beyond the retry's own wait.
                let quiet = limits
                    .quiet_until()
                    .map(|t| t.saturating_duration_since(tokio::time::Instant::now()))
                    .unwrap_or_default();
                let wait = wait.max(quiet);
                if wait > max_wait {
                    return Delivered { outcome, attempts, stopped_before: Some(wait) };
                }
                on_retry(&outcome, wait);
                tokio::time::sleep(wait).await;
            }
            Next::Done | Next::GiveUp => return Delivered { outcome, attempts, stopped_before: None },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn retry(after: Option<u64>) -> Outcome {
        Outcome::RetryLater { after: after.map(Duration::from_secs), reason: "busy".into() }
    }

    #[test]
    fn only_retry_later_is_retried_and_only_so_many_times() {
        let p = RetryPolicy {
            max_attempts: 3,
            base: Duration::from_secs(2),
            cap: Duration::from_secs(60),
            ..RetryPolicy::default()
        };
        assert_eq!(next(&retry(None), 1, &p, 0.5), Next::RetryAfter(Duration::from_secs(1)));
        assert_eq!(
            next(&retry(Some(30)), 2, &p, 0.5),
            Next::RetryAfter(Duration::from_secs(30)),
            "the platform's wait"
        );
        assert_eq!(next(&retry(None), 3, &p, 0.5), Next::GiveUp);
        for final_outcome in [
            Outcome::Published { remote_id: "1".into(), url: None },
            Outcome::Rejected { platform_message: String::new(), explanation: String::new() },
            Outcome::Duplicate { platform_message: String::new() },
            Outcome::NeedsReauth { platform_message: String::new() },
            Outcome::Unknown { reason: String::new() },
        ] {
            assert_eq!(next(&final_outcome, 1, &p, 0.5), Next::Done, "{final_outcome:?}");
        }
    }
}
