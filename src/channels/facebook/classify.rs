//! How the Graph API's answers for a Page map to [`Outcome`]s. Meta puts the cause in the body's
//! `error.code` (often with HTTP 400 or 403 whatever the cause), so the code decides, not the status.

use std::time::Duration;

use crate::dispatch::http::Response;
use crate::dispatch::outcome::Outcome;

/// Classifies a response to `POST /{page-id}/feed` or `/{page-id}/photos`.
pub fn classify(response: &Response) -> Outcome {
    let body = response.json();
    if response.is_success() {
        // `/feed` answers `{"id": "PAGE_POST"}`; `/photos` also gives `post_id`.
        let id = body["post_id"].as_str().or_else(|| body["id"].as_str());
        return match id {
            Some(id) => {
                Outcome::Published { remote_id: id.to_string(), url: Some(format!("https://www.facebook.com/{id}")) }
            }
            None => Outcome::Rejected {
                platform_message: String::from_utf8_lossy(&response.body).into_owned(),
                explanation: "Facebook answered without a post id; nothing was published".into(),
            },
        };
    }
    let error = &body["error"];
    let message = error["message"].as_str().unwrap_or("no details given").to_string();
    let code = error["code"].as_i64();
    match code {
        Some(190 | 102) => Outcome::NeedsReauth { platform_message: message },
        Some(4 | 17 | 32 | 341 | 613 | 80001) => Outcome::RetryLater { after: regain_access(response), reason: format!("Facebook rate limit: {message}") },
        Some(1 | 2) => Outcome::RetryLater { after: None, reason: format!("Facebook temporary error: {message}") },
        Some(506) => Outcome::Duplicate { platform_message: message },
        Some(10 | 200..=299) => Outcome::Rejected {
            platform_message: message,
            explanation: "the Page access token lacks a permission: it needs pages_manage_posts (and pages_read_engagement) for this Page".into(),
        },
        Some(368) => Outcome::Rejected {
            platform_message: message,
            explanation: "Facebook has temporarily blocked this Page from posting for a policy reason; check the Page's notifications".into(),
        },
        _ if response.status >= 500 => Outcome::RetryLater { after: None, reason: format!("Facebook server error {}: {message}", response.status) },
        _ => Outcome::Rejected { platform_message: message, explanation: format!("Facebook refused the post (HTTP {})", response.status) },
    }
}

/// `estimated_time_to_regain_access` (minutes) from `X-Business-Use-Case-Usage`, the longest given.
fn regain_access(response: &Response) -> Option<Duration> {
    let usage: serde_json::Value = serde_json::from_str(response.header("x-business-use-case-usage")?).ok()?;
    usage
        .as_object()?
        .values()
        .flat_map(|entries| entries.as_array().into_iter().flatten())
        .filter_map(|e| e["estimated_time_to_regain_access"].as_u64())
        .max()
        .map(|minutes| Duration::from_secs(minutes * 60))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(status: u16, code: i64, message: &str) -> Response {
        Response::new(
            status,
            serde_json::json!({"error": {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "AbCdEf"}}).to_string(),
        )
    }

    #[test]
    fn published_posts_carry_their_id_and_url() {
        let o = classify(&Response::new(200, r#"{"id":"1234567890_9876543210"}"#));
        assert_eq!(
            o,
            Outcome::Published {
                remote_id: "1234567890_9876543210".into(),
                url: Some("https://www.facebook.com/1234567890_9876543210".into())
            }
        );
        let photo = classify(&Response::new(200, r#"{"id":"555","post_id":"1234567890_555"}"#));
        assert!(matches!(photo, Outcome::Published { remote_id, .. } if remote_id == "1234567890_555"));
    }

    #[test]
    fn error_codes_decide_the_outcome() {
        let expired =
            err(400, 190, "Error validating access token: Session has expired on Thursday, 20-Nov-25 10:00:00 PST.");
        assert!(matches!(classify(&expired), Outcome::NeedsReauth { .. }));
        assert!(matches!(classify(&err(403, 4, "(#4) Application request limit reached")), Outcome::RetryLater { .. }));
        assert!(matches!(classify(&err(400, 32, "(#32) Page request limit reached")), Outcome::RetryLater { .. }));
        assert!(matches!(classify(&err(400, 506, "Duplicate status message")), Outcome::Duplicate { .. }));
        let permission = err(403, 200, "(#200) The user hasn't authorized the application to perform this action");
        assert!(
            matches!(classify(&permission), Outcome::Rejected { explanation, .. } if explanation.contains("pages_manage_posts"))
        );
        assert!(matches!(
            classify(&err(500, 2, "An unexpected error has occurred. Please retry your request later.")),
            Outcome::RetryLater { .. }
        ));
    }

    #[test]
    fn business_use_case_headers_give_the_wait() {
        let r = err(400, 80001, "(#80001) There have been too many calls to this Page account.").with_header(
            "x-business-use-case-usage",
            r#"{"1234567890":[{"type":"pages","call_count":100,"total_cputime":20,"total_time":30,"estimated_time_to_regain_access":7}]}"#,
        );
        assert_eq!(
            classify(&r),
            Outcome::RetryLater {
                after: Some(Duration::from_secs(420)),
                reason: "Facebook rate limit: (#80001) There have been too many calls to this Page account.".into()
            }
        );
    }
}
