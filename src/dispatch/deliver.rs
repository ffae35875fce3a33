//! Delivering one post to one channel: an attempt, what an unclear answer turns out to be, and what to
//! do next — the pipeline `herald send` and the daemon share.
//!
//! [`attempt`] takes a slot under the channel's concurrency cap, publishes, and, when the outcome is
//! unknown (the answer was lost after sending) or a duplicate refusal, lets the adapter's lookup
//! decide: found on the account means published; certainly absent means safe to try again; no way to
//! tell stays unknown for a person. A server error on the request that publishes is retried later,
//! but the next attempt looks on the account first (the journal's `UNCLEAR` step), and a post whose
//! attempts run out that way is unknown, not failed ([`after_attempt`]). [`next`] is the retry
//! decision as data: given an outcome and the attempt number it says stop or wait how long, and never
//! retries anything but "retry later".
//! [`deliver`] loops the two with real waits (for `herald send`); the daemon records each step in its
//! ledger instead of waiting in memory.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::boundary::Boundary;
use super::limits::ChannelLimits;
use super::outcome::Outcome;
use super::retry::RetryPolicy;
use crate::channels::adapter::{Journal, Lookup, Outgoing, UNCLEAR};
use crate::channels::registry::AnyAdapter;

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

/// One attempt: the publish, and the lookup when the answer is unclear. The caller holds a slot under
/// the channel's cap ([`ChannelLimits::start`]). `started` is when this attempt began (the lookup
/// searches from there).
pub async fn attempt(
    adapter: &AnyAdapter,
    post: &Outgoing<'_>,
    journal: &mut Journal<'_>,
    http: &Boundary,
    started: DateTime<Utc>,
) -> Outcome {
    // An earlier attempt got a server error on the request that publishes: the post may be live.
    // It is looked for first (by now the platform has had time to show it), and sent again only if
    // certainly absent.
    if let Some(at) = journal.unclear_since() {
        match adapter.find_existing(post, journal, at - chrono::Duration::minutes(5), http).await {
            Lookup::Found { remote_id, url } => {
                journal.forget(UNCLEAR);
                return Outcome::Published { remote_id, url };
            }
            Lookup::NotFound => journal.forget(UNCLEAR),
            Lookup::Unavailable { reason } => {
                return Outcome::RetryLater {
                    after: None,
                    reason: format!(
                        "an earlier attempt got a server error, which does not say whether the post went out, and the account cannot be checked yet ({reason})"
                    ),
                };
            }
        }
    }
    let outcome = adapter.publish(post, journal, http).await;
    settle(adapter, post, journal, http, outcome, started).await
}

/// The outcome of attempt number `attempt` (1-based) after a server error on the request that
/// publishes (the journal's [`UNCLEAR`]): retried no sooner than `policy.unclear_wait`, so the account
/// shows the post if it went out; and, when the attempts are used up, unknown (a person checks), not
/// failed. Any other outcome is unchanged.
pub fn after_attempt(outcome: Outcome, journal: &Journal<'_>, attempt: u32, policy: &RetryPolicy) -> Outcome {
    match outcome {
        Outcome::RetryLater { after, reason } if journal.unclear_since().is_some() => {
            if policy.delay(attempt, None, 0.0).is_none() {
                Outcome::Unknown {
                    reason: format!(
                        "{reason}; an earlier attempt got a server error, so the post may be live: check the account before sending it again"
                    ),
                }
            } else {
                Outcome::RetryLater { after: Some(after.unwrap_or_default().max(policy.unclear_wait)), reason }
            }
        }
        other => other,
    }
}

/// Turns an unclear outcome into a clear one where the platform can tell. Also used after a crash,
/// for a post found half-sent: call it with `Outcome::Unknown`.
pub async fn settle(
    adapter: &AnyAdapter,
    post: &Outgoing<'_>,
    journal: &mut Journal<'_>,
    http: &Boundary,
    outcome: Outcome,
    since: DateTime<Utc>,
) -> Outcome {
    let unclear = match &outcome {
        Outcome::Unknown { reason } => reason.clone(),
        // A duplicate refusal after an earlier attempt of ours did something (its journal has steps):
        // that attempt may have gone through. Without one, the text was simply posted before.
        Outcome::Duplicate { platform_message } if !journal.entries().is_empty() => platform_message.clone(),
        _ => return outcome,
    };
    match adapter.find_existing(post, journal, since, http).await {
        Lookup::Found { remote_id, url } => Outcome::Published { remote_id, url },
        Lookup::NotFound if matches!(outcome, Outcome::Duplicate { .. }) => outcome,
        Lookup::NotFound => Outcome::RetryLater {
            after: None,
            reason: format!("{unclear}; the account was checked and the post is not there, so it is sent again"),
        },
        Lookup::Unavailable { .. } if matches!(outcome, Outcome::Duplicate { .. }) => outcome,
        Lookup::Unavailable { reason } => Outcome::Unknown {
            reason: format!(
                "{unclear}; the account could not be checked ({reason}): check it before sending the post again"
            ),
        },
    }
}

/// The end of a delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivered {
    pub outcome: Outcome,
    pub attempts: u32,
}

/// Delivers `post` with retries, waiting in between (`herald send`). `on_retry` hears of each wait.
pub async fn deliver(
    adapter: &AnyAdapter,
    post: &Outgoing<'_>,
    journal: &mut Journal<'_>,
    http: &Boundary,
    limits: &ChannelLimits,
    policy: &RetryPolicy,
    mut on_retry: impl FnMut(&Outcome, Duration),
) -> Delivered {
    let mut attempts = 0;
    loop {
        attempts += 1;
        let outcome = {
            let _slot = limits.start().await;
            attempt(adapter, post, journal, http, Utc::now()).await
        };
        let outcome = after_attempt(outcome, journal, attempts, policy);
        match next(&outcome, attempts, policy, rand::random::<f64>()) {
            Next::RetryAfter(wait) => {
                on_retry(&outcome, wait);
                tokio::time::sleep(wait).await;
            }
            Next::Done | Next::GiveUp => return Delivered { outcome, attempts },
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
