//! How LinkedIn's answers map to [`Outcome`]s: a table of rules checked in order, each tested
//! against a response body of the shape LinkedIn sends (`status`, `message`, sometimes `code` and
//! `errorDetails.inputErrors[].code`).
//!
//! A created post answers 201 with an empty body and the post's URN in the `x-restli-id` header.

use std::time::Duration;

use crate::dispatch::http::Response;
use crate::dispatch::outcome::{Outcome, retry_after};

use super::client::Author;

/// Classifies a response to `POST /rest/posts` (and the failures of the other calls). `now` is the
/// current Unix time, for the wait after a rate limit.
pub fn classify(response: &Response, author: &Author, now: i64) -> Outcome {
    let problem = Problem::of(response);
    let message = problem.message.clone();
    match response.status {
        200..=299 => match response.header("x-restli-id").map(str::trim).filter(|id| !id.is_empty()) {
            Some(urn) => Outcome::Published { remote_id: urn.to_string(), url: Some(post_url(urn)) },
            // Created, but without its URN: the post may well be live; the lookup finds it.
            None => Outcome::Unknown {
                reason: format!(
                    "LinkedIn answered {} without the new post's URN (x-restli-id)",
                    response.status
                ),
            },
        },
        401 => Outcome::NeedsReauth {
            platform_message: format!(
                "{message} (LinkedIn access tokens last 60 days: sign in to LinkedIn again and store the new access_token)"
            ),
        },
        _ if problem.has_code("DUPLICATE_POST") => Outcome::Duplicate { platform_message: message },
        _ if problem.has_code("INVALID_CONTENT_OWNERSHIP") => Outcome::Rejected {
            platform_message: message,
            explanation: format!(
                "the images were uploaded for another owner than the post's author {}: LinkedIn requires the image owner to be the author; sending again uploads them anew for this author",
                author.urn()
            ),
        },
        426 => Outcome::Rejected {
            platform_message: message,
            explanation: "this LinkedIn-Version is retired: set api_version to a recent month (e.g. api_version = \"202607\" in the channel); LinkedIn retires each monthly version after about a year".into(),
        },
        403 => Outcome::Rejected { platform_message: message, explanation: forbidden(author) },
        // LinkedIn documents daily limits only (per application and per member), reset at midnight
        // UTC, and no rate-limit headers. An earlier retry would meet the same spent quota, so
        // without a `Retry-After` herald waits for the reset. A 429 may also be a short
        // infrastructure throttle; waiting until midnight is then longer than needed, and a person
        // can send the post by hand sooner.
        429 => Outcome::RetryLater {
            after: retry_after(response.header("retry-after")).or_else(|| Some(until_midnight_utc(now))),
            reason: format!(
                "LinkedIn rate limit (daily limits reset at midnight UTC): {message}"
            ),
        },
        408 | 500..=599 => Outcome::RetryLater {
            after: retry_after(response.header("retry-after")),
            reason: format!("LinkedIn server error {}: {message}", response.status),
        },
        // UNCONFIRMED: LinkedIn's exact answer for an image still being processed is not documented;
        // a refusal naming that state is worth a later try (the uploaded images are kept).
        400 | 422 if problem.mentions_processing() => Outcome::RetryLater {
            after: Some(Duration::from_secs(60)),
            reason: format!("LinkedIn is still processing an image: {message}"),
        },
        422 => Outcome::Rejected {
            platform_message: message,
            explanation: "LinkedIn refused the post's content (HTTP 422)".into(),
        },
        status => Outcome::Rejected {
            platform_message: message,
            explanation: format!("LinkedIn refused the request (HTTP {status})"),
        },
    }
}

/// Whether the answer names `code` (the body's `code`, or one of its input errors).
pub fn has_code(response: &Response, code: &str) -> bool {
    Problem::of(response).has_code(code)
}

/// The public address of a post: `https://www.linkedin.com/feed/update/{urn}/`.
pub fn post_url(urn: &str) -> String {
    format!("https://www.linkedin.com/feed/update/{urn}/")
}

/// What a 403 means for this author.
pub fn forbidden(author: &Author) -> String {
    match author {
        Author::Person(_) => "LinkedIn refused: the access token lacks the w_member_social permission (\"Share on LinkedIn\"), or belongs to another member than the channel's account".into(),
        Author::Organization(_) => format!(
            "LinkedIn refused: the access token lacks the w_organization_social permission, or the member who signed in is not an administrator (or content admin) of {}",
            author.urn()
        ),
    }
}

/// The time until the next midnight UTC, when LinkedIn's daily limits reset (at least a minute).
fn until_midnight_utc(now: i64) -> Duration {
    let left = 86_400 - now.rem_euclid(86_400);
    Duration::from_secs(u64::try_from(left).unwrap_or(86_400).max(60))
}

/// LinkedIn's error body, read leniently.
struct Problem {
    message: String,
    codes: Vec<String>,
}

impl Problem {
    fn of(response: &Response) -> Self {
        let body = response.json();
        let message = body["message"].as_str().map(str::to_string).unwrap_or_else(|| {
            let text = String::from_utf8_lossy(&response.body);
            let text = text.trim();
            if text.is_empty() { "no details given".to_string() } else { text.chars().take(300).collect() }
        });
        let mut codes: Vec<String> = body["code"].as_str().map(str::to_string).into_iter().collect();
        codes.extend(
            body["errorDetails"]["inputErrors"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|e| e["code"].as_str().map(str::to_string)),
        );
        // Some answers carry the code only in the message.
        for code in ["DUPLICATE_POST", "INVALID_CONTENT_OWNERSHIP"] {
            if message.contains(code) && !codes.iter().any(|c| c == code) {
                codes.push(code.to_string());
            }
        }
        Self { message, codes }
    }

    fn has_code(&self, code: &str) -> bool {
        self.codes.iter().any(|c| c == code)
    }

    fn mentions_processing(&self) -> bool {
        self.message.contains("PROCESSING")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000; // 2027-01-15 08:00:00 UTC

    fn org() -> Author {
        Author::Organization("2414183".into())
    }

    fn person() -> Author {
        Author::Person("x7Qm2bTq9L".into())
    }

    fn r(status: u16, body: &str) -> Response {
        Response::new(status, body)
    }

    #[test]
    fn a_created_post_carries_its_urn_and_url() {
        let created = Response::new(201, "").with_header("x-restli-id", "urn:li:share:7300000000000000001");
        assert_eq!(
            classify(&created, &org(), NOW),
            Outcome::Published {
                remote_id: "urn:li:share:7300000000000000001".into(),
                url: Some("https://www.linkedin.com/feed/update/urn:li:share:7300000000000000001/".into())
            }
        );
        assert!(
            matches!(classify(&Response::new(201, ""), &org(), NOW), Outcome::Unknown { .. }),
            "created without a URN: maybe live, the lookup decides"
        );
    }

    #[test]
    fn an_expired_token_needs_reauthorisation_and_says_tokens_last_60_days() {
        let body = r#"{"serviceErrorCode":65601,"code":"REVOKED_ACCESS_TOKEN","message":"The token used in the request has been revoked by the user","status":401}"#;
        match classify(&r(401, body), &person(), NOW) {
            Outcome::NeedsReauth { platform_message } => {
                assert!(
                    platform_message.starts_with("The token used in the request has been revoked"),
                    "{platform_message}"
                );
                assert!(platform_message.contains("60 days"), "{platform_message}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_duplicate_keeps_the_post_it_duplicates() {
        let body = r#"{"errorDetailType":"com.linkedin.common.error.BadRequest","message":"Content is a duplicate of urn:li:share:7299999999999999999","errorDetails":{"inputErrors":[{"description":"Duplicate post is detected","input":{},"code":"DUPLICATE_POST"}]},"status":422}"#;
        assert_eq!(
            classify(&r(422, body), &org(), NOW),
            Outcome::Duplicate {
                platform_message: "Content is a duplicate of urn:li:share:7299999999999999999".into()
            }
        );
        let ugc = r#"{"status":422,"message":"Content is a duplicate of urn:li:ugcPost:7111","errorDetails":{"inputErrors":[{"code":"DUPLICATE_POST"}]}}"#;
        assert!(
            matches!(classify(&r(422, ugc), &org(), NOW), Outcome::Duplicate { platform_message } if platform_message.contains("urn:li:ugcPost:7111"))
        );
        let other = r#"{"status":422,"message":"ERROR :: /commentary :: field is required but not found and has no default value\n"}"#;
        assert!(matches!(classify(&r(422, other), &org(), NOW), Outcome::Rejected { .. }));
    }

    #[test]
    fn images_of_another_owner_are_rejected_with_the_reason() {
        let body = r#"{"errorDetailType":"com.linkedin.common.error.BadRequest","message":"Invalid content ownership for content urn:li:image:D4E10AQF","errorDetails":{"inputErrors":[{"description":"Invalid content ownership","input":{"inputPath":{"fieldPath":"/content/media/id"}},"code":"INVALID_CONTENT_OWNERSHIP"}]},"status":400}"#;
        match classify(&r(400, body), &org(), NOW) {
            Outcome::Rejected { platform_message, explanation } => {
                assert!(platform_message.contains("urn:li:image:D4E10AQF"));
                assert!(explanation.contains("image owner to be the author"), "{explanation}");
                assert!(explanation.contains("urn:li:organization:2414183"), "{explanation}");
            }
            other => panic!("{other:?}"),
        }
        assert!(has_code(&r(400, body), "INVALID_CONTENT_OWNERSHIP"));
        assert!(!has_code(&r(400, body), "DUPLICATE_POST"));
    }

    #[test]
    fn a_retired_version_says_to_set_a_recent_api_version() {
        let body =
            r#"{"status":426,"code":"NONEXISTENT_VERSION","message":"Requested version 20240401 is not active"}"#;
        match classify(&r(426, body), &org(), NOW) {
            Outcome::Rejected { platform_message, explanation } => {
                assert_eq!(platform_message, "Requested version 20240401 is not active");
                assert!(explanation.starts_with("this LinkedIn-Version is retired: set api_version to a recent month"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn forbidden_names_the_missing_permission_for_the_author() {
        let body = r#"{"status":403,"serviceErrorCode":100,"code":"ACCESS_DENIED","message":"Not enough permissions to access: partnerApiPostsExternal.CREATE.20260701"}"#;
        assert!(
            matches!(classify(&r(403, body), &org(), NOW), Outcome::Rejected { explanation, .. } if explanation.contains("w_organization_social") && explanation.contains("administrator"))
        );
        assert!(
            matches!(classify(&r(403, body), &person(), NOW), Outcome::Rejected { explanation, .. } if explanation.contains("w_member_social"))
        );
    }

    #[test]
    fn rate_limits_wait_for_retry_after_or_for_midnight_utc() {
        let body = r#"{"status":429,"serviceErrorCode":101,"code":"TOO_MANY_REQUESTS","message":"Resource level throttle APPLICATION DAY limit for calls to this resource is reached."}"#;
        // NOW is 08:00 UTC: 16 hours to the reset.
        assert_eq!(
            classify(&r(429, body), &org(), NOW),
            Outcome::RetryLater {
                after: Some(Duration::from_secs(16 * 3600)),
                reason: "LinkedIn rate limit (daily limits reset at midnight UTC): Resource level throttle APPLICATION DAY limit for calls to this resource is reached.".into()
            }
        );
        let with_header = r(429, body).with_header("Retry-After", "120");
        assert!(
            matches!(classify(&with_header, &org(), NOW), Outcome::RetryLater { after: Some(d), .. } if d == Duration::from_secs(120))
        );
        assert_eq!(until_midnight_utc(86_400 * 20_000 - 5), Duration::from_secs(60), "never less than a minute");
    }

    #[test]
    fn server_errors_retry_and_other_refusals_do_not() {
        let body = r#"{"status":500,"code":"INTERNAL_SERVER_ERROR","message":"Internal Server Error"}"#;
        assert_eq!(
            classify(&r(500, body), &org(), NOW),
            Outcome::RetryLater { after: None, reason: "LinkedIn server error 500: Internal Server Error".into() }
        );
        assert!(classify(&r(503, "<html>Service Unavailable</html>"), &org(), NOW).is_retryable());
        let processing = r#"{"status":400,"message":"Image urn:li:image:C4E10AQ is in PROCESSING state"}"#;
        assert!(classify(&r(400, processing), &org(), NOW).is_retryable());
        let missing = r#"{"status":400,"code":"VERSION_MISSING","message":"A version must be present. Please specify a version by adding the LinkedIn-Version header."}"#;
        assert!(
            matches!(classify(&r(400, missing), &org(), NOW), Outcome::Rejected { platform_message, .. } if platform_message.starts_with("A version must be present"))
        );
        assert!(
            matches!(classify(&r(404, ""), &org(), NOW), Outcome::Rejected { platform_message, .. } if platform_message == "no details given")
        );
    }
}
