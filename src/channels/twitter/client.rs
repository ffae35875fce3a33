//! X's API calls: images through `POST /2/media/upload` (with alt text through `POST /2/media/metadata`),
//! then `POST /2/tweets` for each part of a post, each part after the first replying to the one before
//! (a thread). Requests are signed with OAuth 1.0a and go through the boundary.

use base64::Engine as _;

use crate::channels::MediaType;
use crate::channels::adapter::{Adapter, Outgoing};
use crate::config::Media;
use crate::dispatch::boundary::{Boundary, SendError};
use crate::dispatch::http::{Method, Request, Response};
use crate::dispatch::outcome::Outcome;

use super::classify::classify;
use super::oauth1::{self, Credentials};

/// The default API host.
pub const DEFAULT_BASE_URL: &str = "https://api.x.com";

/// An X account, ready to publish.
#[derive(Debug, Clone)]
pub struct Client {
    /// `https://api.x.com`, or a fake's address in tests.
    pub base_url: String,
    pub credentials: Credentials,
    /// The account's handle, for post URLs.
    pub handle: String,
}

impl Client {
    /// The signed request for one part (`reply_to`: the previous part's id).
    pub fn post_request(&self, text: &str, reply_to: Option<&str>, nonce: &str, timestamp: i64) -> Request {
        let url = format!("{}/2/tweets", self.base_url.trim_end_matches('/'));
        let mut body = serde_json::json!({ "text": text });
        if let Some(id) = reply_to {
            body["reply"] = serde_json::json!({ "in_reply_to_tweet_id": id });
        }
        // A JSON body is not part of the OAuth 1.0a signature.
        let auth = oauth1::authorization(&self.credentials, "POST", &url, &[], nonce, timestamp);
        Request::new(Method::Post, url).secret_header("authorization", auth).json(body)
    }
}

impl Client {
    fn signed(&self, method: Method, path: &str, body: serde_json::Value) -> Request {
        let url = format!("{}{path}", self.base_url.trim_end_matches('/'));
        let auth = oauth1::authorization(
            &self.credentials,
            method.as_str(),
            &url,
            &[],
            &oauth1::nonce(),
            chrono::Utc::now().timestamp(),
        );
        Request::new(method, url).secret_header("authorization", auth).json(body)
    }

    /// Uploads one image (`POST /2/media/upload`, base64 in JSON) and sets its alt text
    /// (`POST /2/media/metadata`). Returns the media id, or the outcome that stops the post.
    async fn upload(&self, media: &Media, index: usize, http: &Boundary) -> Result<String, Outcome> {
        let bytes = std::fs::read(&media.path).map_err(|e| Outcome::Rejected {
            platform_message: String::new(),
            explanation: format!("cannot read the image {}: {e}", media.file),
        })?;
        let category = if media.kind == MediaType::Gif { "tweet_gif" } else { "tweet_image" };
        let body = serde_json::json!({ "media": base64::engine::general_purpose::STANDARD.encode(&bytes), "media_category": category });
        let req = self.signed(Method::Post, "/2/media/upload", body);
        let placeholder = |_: &Request| Response::new(200, format!(r#"{{"data":{{"id":"{}"}}}}"#, 2_000_000 + index));
        let response = self.send_step(http, req, placeholder).await?;
        let data = &response.json()["data"];
        let id = data["id"].as_str().unwrap_or_default().to_string();
        match data["processing_info"]["state"].as_str() {
            Some("failed") => {
                return Err(Outcome::Rejected {
                    platform_message: data["processing_info"]["error"]["message"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string(),
                    explanation: format!("X could not process the image {}", media.file),
                });
            }
            Some("pending" | "in_progress") => {
                let after = data["processing_info"]["check_after_secs"].as_u64().map(std::time::Duration::from_secs);
                return Err(Outcome::RetryLater {
                    after,
                    reason: format!("X is still processing the image {}", media.file),
                });
            }
            _ => {}
        }
        if let Some(alt) = &media.alt {
            let body = serde_json::json!({ "id": id, "metadata": { "alt_text": { "text": alt.chars().take(1000).collect::<String>() } } });
            let req = self.signed(Method::Post, "/2/media/metadata", body);
            self.send_step(http, req, |_| Response::new(200, r#"{"data":{"associated_metadata":true}}"#)).await?;
        }
        Ok(id)
    }

    /// Sends a preparatory request (upload, metadata): any failure is an outcome that stops the post;
    /// a lost answer is safe to retry, since nothing is public yet.
    async fn send_step(
        &self,
        http: &Boundary,
        req: Request,
        placeholder: impl FnOnce(&Request) -> Response,
    ) -> Result<Response, Outcome> {
        let now = chrono::Utc::now().timestamp();
        match http.send(req, placeholder).await {
            Ok(r) if r.is_success() && r.json()["data"].is_object() => Ok(r),
            Ok(r) => Err(match classify(&r, &self.handle, now) {
                Outcome::Published { .. } | Outcome::Duplicate { .. } => Outcome::Rejected {
                    platform_message: String::from_utf8_lossy(&r.body).into_owned(),
                    explanation: "X answered the image upload without a media id".into(),
                },
                other => other,
            }),
            Err(SendError::NotSent(reason) | SendError::Lost(reason)) => {
                Err(Outcome::RetryLater { after: None, reason })
            }
        }
    }
}

impl Adapter for Client {
    async fn probe(&self, http: &Boundary) -> Result<String, Outcome> {
        let url = format!("{}/2/users/me", self.base_url.trim_end_matches('/'));
        let now = chrono::Utc::now().timestamp();
        let auth = oauth1::authorization(&self.credentials, "GET", &url, &[], &oauth1::nonce(), now);
        let req = Request::new(Method::Get, url).secret_header("authorization", auth);
        let placeholder = |_: &Request| Response::new(200, r#"{"data":{"id":"1","username":"dry-run"}}"#);
        match http.send(req, placeholder).await {
            Ok(r) if r.is_success() => {
                Ok(format!("authenticated as @{}", r.json()["data"]["username"].as_str().unwrap_or("?")))
            }
            Ok(r) => Err(classify(&r, &self.handle, now)),
            Err(SendError::NotSent(reason) | SendError::Lost(reason)) => {
                Err(Outcome::RetryLater { after: None, reason })
            }
        }
    }

    async fn publish(&self, post: &Outgoing<'_>, http: &Boundary) -> Outcome {
        // Images first: nothing is public until the post itself is created, so any failure here is
        // safe to retry.
        let mut media_ids = Vec::new();
        for (i, m) in post.media.iter().enumerate() {
            match self.upload(m, i, http).await {
                Ok(id) => media_ids.push(id),
                Err(outcome) => return outcome,
            }
        }
        let mut first: Option<(String, Option<String>)> = None;
        let mut previous: Option<String> = None;
        let n = post.parts.len();
        for (i, part) in post.parts.iter().enumerate() {
            let now = chrono::Utc::now().timestamp();
            let mut req = self.post_request(part, previous.as_deref(), &oauth1::nonce(), now);
            if i == 0
                && !media_ids.is_empty()
                && let crate::dispatch::http::Body::Json(body) = &mut req.body
            {
                body["media"] = serde_json::json!({ "media_ids": media_ids });
            }
            // In a dry run, each part "gets" a numeric id so the next part's reply can be shown.
            let placeholder = |_: &Request| Response::new(201, format!(r#"{{"data":{{"id":"{}"}}}}"#, 1_000_000 + i));
            let outcome = match http.send(req, placeholder).await {
                Ok(response) => classify(&response, &self.handle, now),
                Err(SendError::NotSent(reason)) => Outcome::RetryLater { after: None, reason },
                Err(SendError::Lost(reason)) => Outcome::Unknown { reason },
            };
            match outcome {
                Outcome::Published { remote_id, url } => {
                    first.get_or_insert((remote_id.clone(), url));
                    previous = Some(remote_id);
                }
                other if i == 0 => return other,
                // A thread cut short: its first parts are live, so it must not be retried whole.
                other => {
                    let live = first.as_ref().and_then(|f| f.1.clone()).unwrap_or_default();
                    return Outcome::Unknown {
                        reason: format!(
                            "the thread stopped at part {} of {n} ({other:?}); parts 1–{i} are live at {live}",
                            i + 1
                        ),
                    };
                }
            }
        }
        match first {
            Some((remote_id, url)) => Outcome::Published { remote_id, url },
            None => Outcome::Rejected {
                platform_message: String::new(),
                explanation: "the post has no text to publish".into(),
            },
        }
    }
}
