//! How the Graph API's answers map to [`Outcome`]s (Facebook Pages here; the Instagram adapter reuses
//! it, since both speak the same error envelope). Meta puts the cause in the body's `error.code` (often
//! with HTTP 400 or 403 whatever the cause), so the code decides, not the status; the usage headers
//! (`X-Business-Use-Case-Usage`, `X-Page-Usage`, `X-App-Usage`) say how long a throttle lasts.

use crate::dispatch::http::Response;
use crate::dispatch::limits::meta_usage_wait;
use crate::dispatch::outcome::Outcome;

/// `error_subcode` / `code` Meta uses when it could not fetch the `link` of a post.
const LINK_FETCH_FAILED: i64 = 1_609_005;

/// Classifies a response to a publishing request (`POST /{page-id}/feed`, `/{page-id}/photos`).
pub fn classify(response: &Response) -> Outcome {
    let body = response.json();
    if response.is_success() {
        // `/feed` answers `{"id": "PAGE_POST"}`; `/photos` also gives `post_id`, the post's id.
        let id = body["post_id"].as_str().or_else(|| body["id"].as_str());
        return match id {
            Some(id) => Outcome::Published { remote_id: id.to_string(), url: Some(post_url(id)) },
            None => Outcome::Rejected {
                platform_message: String::from_utf8_lossy(&response.body).into_owned(),
                explanation: "Facebook answered without a post id; nothing was published".into(),
            },
        };
    }
    let error = &body["error"];
    let message = platform_message(response);
    let code = error["code"].as_i64();
    let subcode = error["error_subcode"].as_i64();
    if code == Some(LINK_FETCH_FAILED) || subcode == Some(LINK_FETCH_FAILED) {
        return Outcome::Rejected {
            platform_message: message,
            explanation: "Facebook could not fetch the post's link to build its preview: check that the address is \
                          public and answers quickly (no login, no redirect loop), then send again"
                .into(),
        };
    }
    if let Some(outcome) = graph_rules(response, &message, "Facebook") {
        return outcome;
    }
    match code {
        Some(506) => Outcome::Duplicate { platform_message: message },
        Some(10 | 200..=299) => Outcome::Rejected {
            platform_message: message,
            explanation: "the Page access token lacks a permission: it needs pages_manage_posts (and pages_read_engagement) for this Page".into(),
        },
        Some(368) => Outcome::Rejected {
            platform_message: message,
            explanation: "Facebook has temporarily blocked this Page from posting for a policy reason; check the Page's notifications".into(),
        },
        _ => Outcome::Rejected { platform_message: message, explanation: format!("Facebook refused the post (HTTP {})", response.status) },
    }
}

/// The Graph API's rules shared by Facebook and Instagram (`platform` names it in the reasons): an
/// expired or revoked token, app/user/page rate limits (with the wait from the usage headers),
/// transient and server errors. `None` for anything else, which each platform reads its own way.
pub fn graph_rules(response: &Response, message: &str, platform: &str) -> Option<Outcome> {
    let error = &response.json()["error"];
    Some(match error["code"].as_i64() {
        Some(190 | 102) => Outcome::NeedsReauth { platform_message: message.to_string() },
        Some(4 | 17 | 32 | 341 | 613 | 80001) => Outcome::RetryLater {
            after: meta_usage_wait(response),
            reason: format!("{platform} rate limit: {message}"),
        },
        Some(1 | 2) => Outcome::RetryLater { after: None, reason: format!("{platform} temporary error: {message}") },
        _ if error["is_transient"].as_bool() == Some(true) => {
            Outcome::RetryLater { after: None, reason: format!("{platform} temporary error: {message}") }
        }
        _ if response.status >= 500 || response.status == 408 => Outcome::RetryLater {
            after: None,
            reason: format!("{platform} server error {}: {message}", response.status),
        },
        _ => return None,
    })
}

/// A Page post's public address.
pub fn post_url(id: &str) -> String {
    format!("https://www.facebook.com/{id}")
}

/// The platform's own words: `error.message`, with `error_user_msg` (written for people) when given.
fn platform_message(response: &Response) -> String {
    let error = &response.json()["error"];
    let message = error["message"].as_str().map(str::to_string).unwrap_or_else(|| {
        let raw = String::from_utf8_lossy(&response.body);
        if raw.trim().is_empty() { "no details given".to_string() } else { raw.chars().take(300).collect() }
    });
    match error["error_user_msg"].as_str() {
        Some(user) if !user.is_empty() && user != message => format!("{message} ({user})"),
        _ => message,
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

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
        assert!(matches!(classify(&Response::new(200, "{}")), Outcome::Rejected { .. }));
    }

    #[test]
    fn error_codes_decide_the_outcome() {
        let expired = Response::new(
            400,
            r#"{"error":{"message":"Error validating access token: Session has expired on Thursday, 20-Nov-25 10:00:00 PST. The current time is Friday, 21-Nov-25 03:12:45 PST.","type":"OAuthException","code":190,"error_subcode":463,"fbtrace_id":"A1b2C3d4E5f"}}"#,
        );
        assert!(
            matches!(classify(&expired), Outcome::NeedsReauth { platform_message } if platform_message.contains("Session has expired"))
        );
        assert!(matches!(classify(&err(403, 4, "(#4) Application request limit reached")), Outcome::RetryLater { .. }));
        assert!(matches!(classify(&err(400, 17, "(#17) User request limit reached")), Outcome::RetryLater { .. }));
        assert!(matches!(classify(&err(400, 32, "(#32) Page request limit reached")), Outcome::RetryLater { .. }));
        assert!(matches!(
            classify(&err(400, 613, "(#613) Calls to this api have exceeded the rate limit.")),
            Outcome::RetryLater { .. }
        ));
        assert!(matches!(classify(&err(400, 506, "(#506) Duplicate status message")), Outcome::Duplicate { .. }));
        let permission = err(
            403,
            200,
            "(#200) If posting to a page, requires both pages_read_engagement and pages_manage_posts as an admin with sufficient administrative permission",
        );
        assert!(
            matches!(classify(&permission), Outcome::Rejected { explanation, .. } if explanation.contains("pages_manage_posts"))
        );
        assert!(matches!(
            classify(&err(403, 10, "(#10) Application does not have permission for this action")),
            Outcome::Rejected { .. }
        ));
        assert!(matches!(
            classify(&err(500, 2, "An unexpected error has occurred. Please retry your request later.")),
            Outcome::RetryLater { .. }
        ));
        assert!(matches!(
            classify(&err(400, 368, "The action attempted has been deemed abusive or is otherwise disallowed")),
            Outcome::Rejected { explanation, .. } if explanation.contains("policy")
        ));
        let invalid = err(400, 100, "(#100) Invalid parameter");
        assert!(
            matches!(classify(&invalid), Outcome::Rejected { explanation, .. } if explanation.contains("HTTP 400"))
        );
    }

    #[test]
    fn transient_errors_and_server_errors_are_retried() {
        let transient = Response::new(
            400,
            r#"{"error":{"message":"Please reduce the amount of data you're asking for, then retry your request","type":"OAuthException","code":1,"is_transient":true,"fbtrace_id":"Xy"}}"#,
        );
        assert!(classify(&transient).is_retryable());
        let flagged = Response::new(
            400,
            r#"{"error":{"message":"Service temporarily unavailable","type":"OAuthException","code":9007,"is_transient":true}}"#,
        );
        assert!(classify(&flagged).is_retryable());
        let timeout = Response::new(408, "Request Timeout");
        assert!(classify(&timeout).is_retryable(), "a 408 is a server that gave up, not a refusal");
        let gateway = Response::new(502, "<html>Bad Gateway</html>");
        assert!(
            matches!(classify(&gateway), Outcome::RetryLater { reason, .. } if reason.contains("502") && reason.contains("Bad Gateway"))
        );
    }

    #[test]
    fn a_link_facebook_cannot_fetch_is_explained() {
        let by_subcode = Response::new(
            400,
            r#"{"error":{"message":"Invalid parameter","type":"OAuthException","code":100,"error_subcode":1609005,"is_transient":false,"error_user_title":"Error Posting Link","error_user_msg":"There was a problem scraping data from the provided link.","fbtrace_id":"AzQ"}}"#,
        );
        match classify(&by_subcode) {
            Outcome::Rejected { platform_message, explanation } => {
                assert_eq!(
                    platform_message,
                    "Invalid parameter (There was a problem scraping data from the provided link.)"
                );
                assert!(explanation.contains("could not fetch the post's link"), "{explanation}");
            }
            other => panic!("{other:?}"),
        }
        let by_code = err(400, 1_609_005, "Error Posting Link");
        assert!(matches!(classify(&by_code), Outcome::Rejected { explanation, .. } if explanation.contains("link")));
    }

    #[test]
    fn business_use_case_headers_give_the_wait() {
        let r = err(400, 80001, "(#80001) There have been too many calls to this Page account. Wait a bit and try again.")
            .with_header(
                "x-business-use-case-usage",
                r#"{"1234567890":[{"type":"pages","call_count":100,"total_cputime":20,"total_time":30,"estimated_time_to_regain_access":7}]}"#,
            );
        assert_eq!(
            classify(&r),
            Outcome::RetryLater {
                after: Some(Duration::from_secs(420)),
                reason: "Facebook rate limit: (#80001) There have been too many calls to this Page account. Wait a bit and try again.".into()
            }
        );
    }

    #[test]
    fn page_and_app_usage_at_full_give_a_wait_and_below_full_none() {
        let page = err(400, 32, "(#32) Page request limit reached")
            .with_header("x-page-usage", r#"{"call_count":100,"total_cputime":12,"total_time":15}"#);
        assert_eq!(
            classify(&page),
            Outcome::RetryLater {
                after: Some(crate::dispatch::limits::META_FULL_USAGE_PAUSE),
                reason: "Facebook rate limit: (#32) Page request limit reached".into()
            }
        );
        let page_with_time = err(400, 32, "(#32) Page request limit reached").with_header(
            "x-page-usage",
            r#"{"call_count":100,"total_cputime":12,"total_time":15,"estimated_time_to_regain_access":3}"#,
        );
        assert!(matches!(classify(&page_with_time), Outcome::RetryLater { after: Some(d), .. } if d.as_secs() == 180));
        let app = err(403, 4, "(#4) Application request limit reached")
            .with_header("x-app-usage", r#"{"call_count":42,"total_cputime":100,"total_time":61}"#);
        assert!(
            matches!(classify(&app), Outcome::RetryLater { after: Some(d), .. } if d == crate::dispatch::limits::META_FULL_USAGE_PAUSE)
        );
        let quiet = err(403, 4, "(#4) Application request limit reached")
            .with_header("x-app-usage", r#"{"call_count":42,"total_cputime":10,"total_time":11}"#);
        assert!(matches!(classify(&quiet), Outcome::RetryLater { after: None, .. }));
        let garbled = err(403, 4, "(#4) Application request limit reached").with_header("x-app-usage", "not json");
        assert!(matches!(classify(&garbled), Outcome::RetryLater { after: None, .. }));
    }
}
