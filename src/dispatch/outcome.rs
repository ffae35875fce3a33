//! What a publish attempt ends as. Classification of platform answers into these outcomes is data,
//! written per platform and unit-tested from real error bodies.

use std::time::Duration;

/// The end of one publish attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Live on the platform.
    Published { remote_id: String, url: Option<String> },
    /// Not published, and worth trying again after `after` (rate limit, server error, no connection).
    RetryLater { after: Option<Duration>, reason: String },
    /// Refused for good: retrying the same post cannot help. `platform_message` is the platform's own
    /// words; `explanation` says in plain words what to do.
    Rejected { platform_message: String, explanation: String },
    /// The platform refused the post as a duplicate of one already published: after an unknown
    /// outcome this means the earlier attempt went through.
    Duplicate { platform_message: String },
    /// The credentials are expired or revoked: a person must re-authorise the channel.
    NeedsReauth { platform_message: String },
    /// The request may or may not have been published (timeout or dropped connection after sending).
    /// Never retried blindly: the adapter's lookup decides.
    Unknown { reason: String },
}

/// The outcome in plain words, for people (`send`, `check --online`, logs).
impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Outcome::Published { url, remote_id } => write!(f, "published: {}", url.as_deref().unwrap_or(remote_id)),
            Outcome::RetryLater { after, reason } => match after {
                Some(d) => write!(f, "not done, try again in {} s: {reason}", d.as_secs()),
                None => write!(f, "not done, try again: {reason}"),
            },
            // A refusal herald makes before any request (no image, no `account`) has no platform words.
            Outcome::Rejected { platform_message, explanation } if platform_message.is_empty() => {
                write!(f, "rejected: {explanation}")
            }
            Outcome::Rejected { platform_message, explanation } => {
                write!(f, "rejected: {explanation} (the platform said: {platform_message})")
            }
            Outcome::Duplicate { platform_message } => {
                write!(f, "refused as a duplicate of a post already published: {platform_message}")
            }
            Outcome::NeedsReauth { platform_message } => {
                write!(f, "the channel must be re-authorised: {platform_message}")
            }
            Outcome::Unknown { reason } => {
                write!(f, "outcome unknown, check the account before sending again: {reason}")
            }
        }
    }
}

impl Outcome {
    /// Whether a retry may be scheduled.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Outcome::RetryLater { .. })
    }
}

/// Parses `Retry-After` as seconds (the HTTP-date form is rare on these APIs and is ignored).
pub fn retry_after(value: Option<&str>) -> Option<Duration> {
    value?.trim().parse::<u64>().ok().map(Duration::from_secs)
}

/// The delay until a Unix-epoch reset time (`x-rate-limit-reset`), from `now` (epoch seconds).
pub fn until_reset(reset_epoch: Option<&str>, now: i64) -> Option<Duration> {
    let reset: i64 = reset_epoch?.trim().parse().ok()?;
    Some(Duration::from_secs(u64::try_from(reset - now).unwrap_or(0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_herald_made_itself_does_not_quote_the_platform() {
        let own = Outcome::Rejected { platform_message: String::new(), explanation: "add an image".into() };
        assert_eq!(own.to_string(), "rejected: add an image");
        let platform = Outcome::Rejected { platform_message: "Bad request".into(), explanation: "fix it".into() };
        assert_eq!(platform.to_string(), "rejected: fix it (the platform said: Bad request)");
    }

    #[test]
    fn reset_headers_become_delays() {
        assert_eq!(retry_after(Some("30")), Some(Duration::from_secs(30)));
        assert_eq!(retry_after(Some("Wed, 21 Oct 2015 07:28:00 GMT")), None);
        assert_eq!(until_reset(Some("1700000060"), 1_700_000_000), Some(Duration::from_secs(60)));
        assert_eq!(until_reset(Some("1699999990"), 1_700_000_000), Some(Duration::ZERO));
        assert!(Outcome::RetryLater { after: None, reason: String::new() }.is_retryable());
        assert!(!Outcome::Unknown { reason: String::new() }.is_retryable());
    }
}
