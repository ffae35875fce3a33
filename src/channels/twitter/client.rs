//! X's API calls: `POST /2/tweets` for each part of a post, each part after the first replying to the
//! one before (a thread). Requests are signed with OAuth 1.0a and go through the boundary.

use crate::channels::adapter::{Adapter, Outgoing};
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

impl Adapter for Client {
    async fn publish(&self, post: &Outgoing<'_>, http: &Boundary) -> Outcome {
        // Said plainly rather than dropping the images without a word.
        if !post.media.is_empty() {
            return Outcome::Rejected {
                platform_message: String::new(),
                explanation: "this version of herald cannot upload images to X yet; send the post without media or wait for the upload support".into(),
            };
        }
        let mut first: Option<(String, Option<String>)> = None;
        let mut previous: Option<String> = None;
        let n = post.parts.len();
        for (i, part) in post.parts.iter().enumerate() {
            let now = chrono::Utc::now().timestamp();
            let req = self.post_request(part, previous.as_deref(), &oauth1::nonce(), now);
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
