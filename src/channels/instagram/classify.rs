//! How the Instagram Graph API's answers map to [`Outcome`]s.
//!
//! Instagram speaks the Graph API's error envelope (`{"error": {"code", "error_subcode", ...}}`), so
//! the shared rules (expired tokens, app and user rate limits, transient errors) come from
//! [`crate::channels::facebook::classify`]. This module owns what is Instagram's own: the `2207xxx`
//! subcodes of content publishing, the `80002` throttle of Instagram accounts, the permissions an
//! Instagram token needs, and the text of a container whose `status_code` is `ERROR`.
//!
//! The subcode meanings come from public client code (Postiz's Instagram provider) and public issue
//! threads, not from an official Meta table: they are UNCONFIRMED as a contract, and an unknown
//! subcode falls back to the code's own rule.

use crate::channels::facebook;
use crate::dispatch::http::Response;
use crate::dispatch::limits::meta_usage_wait;
use crate::dispatch::outcome::Outcome;

/// The account reached its cap of API-published posts in a rolling 24 hours.
pub const PUBLISH_LIMIT: i64 = 2_207_042;
/// Meta timed out fetching the image from its public URL.
pub const DOWNLOAD_TIMEOUT: i64 = 2_207_003;
/// The container was not published within 24 hours.
pub const EXPIRED: i64 = 2_207_020;
/// The container is not ready yet ("Media ID is not available", code 9007).
pub const NOT_READY: i64 = 2_207_027;
pub const ASPECT_RATIO: i64 = 2_207_009;
pub const TOO_LARGE: i64 = 2_207_004;
pub const CAPTION_TOO_LONG: i64 = 2_207_010;
pub const UNSUPPORTED_FORMAT: i64 = 2_207_026;

/// Classifies an answer of the Instagram Graph API. A success with an `id` (what `media_publish` and
/// `/media` return) is `Published` without a URL (the permalink is a separate read).
pub fn classify(response: &Response) -> Outcome {
    let body = response.json();
    if response.is_success() {
        return match body["id"].as_str() {
            Some(id) => Outcome::Published { remote_id: id.to_string(), url: None },
            None => Outcome::Rejected {
                platform_message: String::from_utf8_lossy(&response.body).into_owned(),
                explanation: "Instagram answered without an id; nothing was published".into(),
            },
        };
    }
    let error = &body["error"];
    let message = platform_message(error);
    if let Some(outcome) = error_subcode(response).and_then(|s| by_subcode(s, &message)) {
        return outcome;
    }
    match error["code"].as_i64() {
        Some(80002) => Outcome::RetryLater {
            after: meta_usage_wait(response),
            reason: format!("Instagram rate limit (too many calls for this Instagram account): {message}"),
        },
        Some(9007) => not_ready(message),
        Some(10 | 200..=299) => Outcome::Rejected {
            platform_message: message,
            explanation: "the access token lacks a permission: with Facebook Login it needs instagram_basic, \
                          instagram_content_publish and pages_read_engagement; with Instagram Login \
                          instagram_business_basic and instagram_business_content_publish"
                .into(),
        },
        None if response.status == 429 => Outcome::RetryLater {
            after: meta_usage_wait(response),
            reason: format!("Instagram rate limit (HTTP 429): {message}"),
        },
        // The Graph API's shared rules: expired token, app/user/page rate limits, transient errors.
        _ => match facebook::classify::graph_rules(response, &message, "Instagram") {
            Some(outcome) => outcome,
            None => Outcome::Rejected {
                platform_message: message,
                explanation: format!("Instagram refused the request (HTTP {})", response.status),
            },
        },
    }
}

/// `error.error_subcode` of an error answer.
pub fn error_subcode(response: &Response) -> Option<i64> {
    response.json()["error"]["error_subcode"].as_i64()
}

/// The outcome of a container whose `status_code` is `ERROR`: its `status` text carries the subcode
/// (e.g. `Error: 2207003`); an unknown one means the image cannot be published as it is.
pub fn container_error(status: &str) -> Outcome {
    let subcode = status
        .split(|c: char| !c.is_ascii_digit())
        .filter(|digits| digits.len() == 7 && digits.starts_with("2207"))
        .find_map(|digits| digits.parse().ok());
    subcode.and_then(|s| by_subcode(s, status)).unwrap_or_else(|| Outcome::Rejected {
        platform_message: status.to_string(),
        explanation: "Instagram could not prepare the post from its image(s)".into(),
    })
}

/// Instagram's own publishing subcodes, in plain words.
fn by_subcode(subcode: i64, message: &str) -> Option<Outcome> {
    let rejected = |explanation: &str| Outcome::Rejected {
        platform_message: message.to_string(),
        explanation: explanation.to_string(),
    };
    let later = |reason: &str| Outcome::RetryLater { after: None, reason: format!("{reason} ({message})") };
    Some(match subcode {
        PUBLISH_LIMIT => later("the account reached Instagram's limit of posts published through the API in 24 hours"),
        DOWNLOAD_TIMEOUT => later(
            "Instagram timed out downloading the image from its public address; check that the media_base_url host answers quickly",
        ),
        EXPIRED => {
            later("the media container expired (not published within 24 hours); the next attempt makes a new one")
        }
        NOT_READY => return Some(not_ready(message.to_string())),
        ASPECT_RATIO => rejected(
            "Instagram accepts images with an aspect ratio between 4:5 (portrait) and 1.91:1 (landscape): crop the image",
        ),
        TOO_LARGE => rejected("the image is too large for Instagram (at most 8 MB): export it smaller"),
        CAPTION_TOO_LONG => {
            rejected("the caption is too long for Instagram: at most 2,200 characters, 30 hashtags and 20 @-mentions")
        }
        UNSUPPORTED_FORMAT => {
            rejected("Instagram does not accept this media format: feed images must be JPEG (videos MP4 or MOV)")
        }
        _ => return None,
    })
}

fn not_ready(message: String) -> Outcome {
    Outcome::RetryLater { after: None, reason: format!("Instagram has not finished preparing the media: {message}") }
}

/// Meta's words: the message, and the user-facing text when there is one.
fn platform_message(error: &serde_json::Value) -> String {
    let message = error["message"].as_str().unwrap_or("no details given");
    match error["error_user_msg"].as_str() {
        Some(user) if !user.is_empty() && user != message => format!("{message}: {user}"),
        _ => message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    /// A Graph API error body shaped like Meta's (`is_transient`, `fbtrace_id` included).
    fn graph_error(status: u16, code: i64, subcode: Option<i64>, message: &str, user_msg: Option<&str>) -> Response {
        let mut error = serde_json::json!({
            "message": message,
            "type": "OAuthException",
            "is_transient": false,
            "code": code,
            "fbtrace_id": "A1b2C3d4E5f6G7h8"
        });
        if let Some(s) = subcode {
            error["error_subcode"] = s.into();
        }
        if let Some(m) = user_msg {
            error["error_user_title"] = "Cannot publish".into();
            error["error_user_msg"] = m.into();
        }
        Response::new(status, serde_json::json!({ "error": error }).to_string())
    }

    #[test]
    fn a_publish_answer_carries_the_media_id() {
        assert_eq!(
            classify(&Response::new(200, r#"{"id":"17920238422030506"}"#)),
            Outcome::Published { remote_id: "17920238422030506".into(), url: None }
        );
        assert!(matches!(classify(&Response::new(200, "{}")), Outcome::Rejected { .. }));
    }

    #[test]
    fn the_daily_publishing_cap_is_worth_retrying_later() {
        let r = graph_error(
            400,
            9,
            Some(2_207_042),
            "Application request limit reached",
            Some("You reached the maximum number of posts that can be published through the API in 24 hours."),
        );
        let o = classify(&r);
        assert!(
            matches!(&o, Outcome::RetryLater { reason, .. } if reason.contains("limit of posts") && reason.contains("maximum number of posts")),
            "{o:?}"
        );
    }

    #[test]
    fn download_timeouts_and_expired_containers_are_retried_with_an_explanation() {
        let timeout = graph_error(
            400,
            -2,
            Some(2_207_003),
            "Timeout",
            Some("It took too long to download the media from the URI provided."),
        );
        assert!(matches!(classify(&timeout), Outcome::RetryLater { reason, .. } if reason.contains("media_base_url")));
        let expired = graph_error(
            400,
            -1,
            Some(2_207_020),
            "Media expired",
            Some("The media you are trying to access has expired. Please try to upload again."),
        );
        assert!(matches!(classify(&expired), Outcome::RetryLater { reason, .. } if reason.contains("expired")));
        let not_ready = graph_error(400, 9007, Some(2_207_027), "Media ID is not available", None);
        assert!(classify(&not_ready).is_retryable());
    }

    #[test]
    fn image_and_caption_problems_are_rejected_in_plain_words() {
        let cases = [
            (36003, 2_207_009, "The submitted image with aspect ratio ('0.5') cannot be published.", "4:5"),
            (36001, 2_207_004, "The image is too large to download.", "8 MB"),
            (100, 2_207_010, "The caption is too long.", "2,200 characters"),
            (352, 2_207_026, "The video format is not supported.", "JPEG"),
        ];
        for (code, subcode, message, says) in cases {
            let o = classify(&graph_error(400, code, Some(subcode), "Invalid parameter", Some(message)));
            match o {
                Outcome::Rejected { platform_message, explanation } => {
                    assert!(explanation.contains(says), "{subcode}: {explanation}");
                    assert!(platform_message.contains(message), "{subcode}: {platform_message}");
                }
                other => panic!("{subcode}: {other:?}"),
            }
        }
    }

    #[test]
    fn a_transient_error_of_any_code_is_retried_and_named_for_instagram() {
        let mut body: serde_json::Value =
            serde_json::from_str(&String::from_utf8(graph_error(400, 9004, None, "Please retry", None).body).unwrap())
                .unwrap();
        body["error"]["is_transient"] = true.into();
        let o = classify(&Response::new(400, body.to_string()));
        assert!(
            matches!(&o, Outcome::RetryLater { reason, .. } if reason.starts_with("Instagram temporary error")),
            "{o:?}"
        );
        let o = classify(&graph_error(400, 4, None, "(#4) Application request limit reached", None));
        assert!(
            matches!(&o, Outcome::RetryLater { reason, .. } if reason.starts_with("Instagram rate limit")),
            "{o:?}"
        );
    }

    #[test]
    fn an_instagram_throttle_waits_for_the_time_meta_gives() {
        let r = graph_error(
            400,
            80002,
            None,
            "There have been too many calls to this Instagram account. Wait a bit and try again.",
            None,
        )
        .with_header(
            "X-Business-Use-Case-Usage",
            r#"{"17841400000000000":[{"type":"instagram","call_count":100,"total_cputime":12,"total_time":14,"estimated_time_to_regain_access":12}]}"#,
        );
        assert!(
            matches!(classify(&r), Outcome::RetryLater { after: Some(d), ref reason } if d == Duration::from_secs(720) && reason.contains("too many calls")),
            "{:?}",
            classify(&r)
        );
        // Without the header the wait is left to the retry policy.
        let bare = graph_error(429, 80002, None, "Too many calls", None);
        assert!(matches!(classify(&bare), Outcome::RetryLater { after: None, .. }));
    }

    #[test]
    fn graph_rules_shared_with_facebook_still_apply() {
        let expired = graph_error(
            400,
            190,
            Some(463),
            "Error validating access token: Session has expired on Friday, 19-Mar-27 09:00:00 PDT.",
            None,
        );
        assert!(matches!(classify(&expired), Outcome::NeedsReauth { .. }));
        let app_limit = graph_error(403, 4, None, "(#4) Application request limit reached", None);
        assert!(classify(&app_limit).is_retryable());
        let transient =
            graph_error(500, 2, None, "An unexpected error has occurred. Please retry your request later.", None);
        assert!(classify(&transient).is_retryable());
        assert!(classify(&Response::new(502, "<html>Bad Gateway</html>")).is_retryable());
    }

    #[test]
    fn permissions_and_unknown_errors_name_instagram() {
        let permission = graph_error(403, 10, None, "(#10) Application does not have permission for this action", None);
        assert!(
            matches!(classify(&permission), Outcome::Rejected { explanation, .. } if explanation.contains("instagram_content_publish"))
        );
        let unknown = graph_error(400, 100, Some(33), "Unsupported post request.", None);
        assert!(
            matches!(classify(&unknown), Outcome::Rejected { explanation, .. } if explanation.contains("Instagram refused"))
        );
    }

    #[test]
    fn a_container_in_error_is_explained_from_its_status_text() {
        assert!(matches!(container_error("Error: 2207003"), Outcome::RetryLater { .. }));
        assert!(
            matches!(container_error("ERROR: 2207009 aspect ratio"), Outcome::Rejected { explanation, .. } if explanation.contains("4:5"))
        );
        let unknown = container_error("Media upload has failed with error code 2207052");
        assert!(
            matches!(&unknown, Outcome::Rejected { platform_message, .. } if platform_message.contains("2207052")),
            "{unknown:?}"
        );
    }
}
