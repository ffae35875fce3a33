//! How X's answers to `POST /2/tweets` map to [`Outcome`]s: a table of rules checked in order, each
//! tested against a real response body.

use std::time::Duration;

use crate::dispatch::http::Response;
use crate::dispatch::outcome::{Outcome, retry_after, until_reset};

/// Classifies a response to `POST /2/tweets`. `now` is the current Unix time, for reset headers.
pub fn classify(response: &Response, handle: &str, now: i64) -> Outcome {
    let body = response.json();
    let detail = problem_text(&body);
    match response.status {
        200 | 201 => match body["data"]["id"].as_str() {
            Some(id) => Outcome::Published { remote_id: id.to_string(), url: Some(post_url(handle, id)) },
            None => Outcome::Rejected {
                platform_message: detail,
                explanation: "X answered without a post id; nothing was published".into(),
            },
        },
        401 => Outcome::NeedsReauth { platform_message: detail },
        403 if detail.to_ascii_lowercase().contains("duplicate content") => Outcome::Duplicate { platform_message: detail },
        403 => Outcome::Rejected {
            platform_message: detail,
            explanation: "X refused the post: check that the app has Read and Write permission and that the account may post (replies are limited to threads the account started)".into(),
        },
        429 if problem_type(&body).ends_with("/usage-capped") => Outcome::Rejected {
            platform_message: detail,
            explanation: "the X API usage cap of this app is reached: retrying does not help until the cap is raised or the billing period renews".into(),
        },
        429 => Outcome::RetryLater {
            after: rate_limit_delay(response, now),
            reason: format!("X rate limit: {detail}"),
        },
        408 | 500..=599 => Outcome::RetryLater {
            after: retry_after(response.header("retry-after")),
            reason: format!("X server error {}: {detail}", response.status),
        },
        _ => Outcome::Rejected {
            platform_message: detail,
            explanation: format!("X refused the request (HTTP {})", response.status),
        },
    }
}

/// The public URL of a post: `https://x.com/<handle>/status/<id>`.
pub fn post_url(handle: &str, id: &str) -> String {
    format!("https://x.com/{}/status/{id}", handle.trim_start_matches('@'))
}

/// The latest of the reset times X announces (per-15-minute window and per-24-hours caps), or
/// `Retry-After`.
fn rate_limit_delay(response: &Response, now: i64) -> Option<Duration> {
    ["x-rate-limit-reset", "x-user-limit-24hour-reset", "x-app-limit-24hour-reset"]
        .iter()
        .filter(|h| {
            // A 24-hour cap only matters when it is the one exhausted.
            let remaining = h.replace("-reset", "-remaining");
            **h == "x-rate-limit-reset" || response.header(&remaining) == Some("0")
        })
        .filter_map(|h| until_reset(response.header(h), now))
        .max()
        .or_else(|| retry_after(response.header("retry-after")))
}

fn problem_type(body: &serde_json::Value) -> &str {
    body["type"].as_str().unwrap_or_default()
}

/// X's own words: `detail` (problem JSON), `title`, or the legacy `errors[0].message`.
fn problem_text(body: &serde_json::Value) -> String {
    body["detail"]
        .as_str()
        .or_else(|| body["title"].as_str())
        .or_else(|| body["errors"][0]["message"].as_str())
        .unwrap_or("no details given")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000;

    fn r(status: u16, body: &str) -> Response {
        Response::new(status, body)
    }

    #[test]
    fn created_posts_carry_their_id_and_url() {
        let o = classify(&r(201, r#"{"data":{"id":"1445880548472328192","text":"Hello"}}"#), "@humansecurityFA", NOW);
        assert_eq!(
            o,
            Outcome::Published {
                remote_id: "1445880548472328192".into(),
                url: Some("https://x.com/humansecurityFA/status/1445880548472328192".into())
            }
        );
    }

    #[test]
    fn duplicate_content_is_recognised() {
        let body = r#"{"detail":"You are not allowed to create a Tweet with duplicate content.","type":"about:blank","title":"Forbidden","status":403}"#;
        assert!(matches!(classify(&r(403, body), "a", NOW), Outcome::Duplicate { .. }));
        let other = r#"{"title":"Forbidden","type":"about:blank","status":403,"detail":"You are not permitted to perform this action."}"#;
        assert!(matches!(classify(&r(403, other), "a", NOW), Outcome::Rejected { .. }));
    }

    #[test]
    fn usage_cap_is_not_retried_but_rate_limits_are_with_the_reset_delay() {
        let capped = r#"{"title":"UsageCapExceeded","detail":"Usage cap exceeded: Monthly product cap","type":"https://api.x.com/2/problems/usage-capped","status":429}"#;
        assert!(matches!(classify(&r(429, capped), "a", NOW), Outcome::Rejected { .. }));
        let limited =
            r(429, r#"{"title":"Too Many Requests","detail":"Too Many Requests","type":"about:blank","status":429}"#)
                .with_header("x-rate-limit-remaining", "0")
                .with_header("x-rate-limit-reset", &(NOW + 120).to_string());
        assert_eq!(
            classify(&limited, "a", NOW),
            Outcome::RetryLater {
                after: Some(Duration::from_secs(120)),
                reason: "X rate limit: Too Many Requests".into()
            }
        );
        let daily = limited
            .clone()
            .with_header("x-user-limit-24hour-remaining", "0")
            .with_header("x-user-limit-24hour-reset", &(NOW + 3600).to_string());
        assert!(
            matches!(classify(&daily, "a", NOW), Outcome::RetryLater { after: Some(d), .. } if d == Duration::from_secs(3600))
        );
        let legacy =
            r(429, r#"{"errors":[{"code":88,"message":"Rate limit exceeded"}]}"#).with_header("retry-after", "30");
        assert_eq!(
            classify(&legacy, "a", NOW),
            Outcome::RetryLater {
                after: Some(Duration::from_secs(30)),
                reason: "X rate limit: Rate limit exceeded".into()
            }
        );
    }

    #[test]
    fn expired_credentials_need_reauthorisation_and_server_errors_retry() {
        let unauthorized = r#"{"title":"Unauthorized","type":"about:blank","status":401,"detail":"Unauthorized"}"#;
        assert_eq!(
            classify(&r(401, unauthorized), "a", NOW),
            Outcome::NeedsReauth { platform_message: "Unauthorized".into() }
        );
        assert!(classify(&r(503, "Service Unavailable"), "a", NOW).is_retryable());
        let invalid = r#"{"errors":[{"parameters":{"text":[""]},"message":"Invalid text"}],"title":"Invalid Request","detail":"One or more parameters to your request was invalid.","type":"https://api.x.com/2/problems/invalid-request"}"#;
        assert!(
            matches!(classify(&r(400, invalid), "a", NOW), Outcome::Rejected { platform_message, .. } if platform_message.starts_with("One or more parameters"))
        );
    }
}
