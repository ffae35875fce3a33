//! X's API calls: images through `POST /2/media/upload` (with alt text through `POST /2/media/metadata`),
//! then `POST /2/tweets` for each part of a post, each part after the first replying to the one before
//! (a thread). Requests are signed with OAuth 1.0a, or carry an OAuth 2.0 user token that is refreshed
//! before it expires ([`super::oauth2`]); all go through the boundary. After a lost answer, the
//! lookup pages through the account's posts since the attempt (`pagination_token`), at most
//! [`LOOKUP_MAX_PAGES`] pages.

use std::sync::Arc;

use crate::channels::MediaType;
use crate::channels::adapter::{
    Adapter, Journal, LOOKUP_MAX_PAGES, Lookup, Outgoing, Upkeep, read_media_base64, too_many_posts,
};
use crate::config::Media;
use crate::dispatch::boundary::{Boundary, SendError};
use crate::dispatch::http::{Method, Request, Response};
use crate::dispatch::outcome::Outcome;

use super::classify::{classify, post_url};
use super::oauth1::{self, Credentials};
use super::oauth2::Session;

/// The default API host.
pub const DEFAULT_BASE_URL: &str = "https://api.x.com";

/// How requests are authorised.
#[derive(Debug, Clone)]
pub enum Auth {
    /// OAuth 1.0a user context: every request signed (HMAC-SHA1).
    OAuth1(Credentials),
    /// OAuth 2.0 user token, refreshed (and its rotating refresh token stored) as needed.
    OAuth2(Arc<Session>),
}

/// An X account, ready to publish.
#[derive(Debug, Clone)]
pub struct Client {
    /// `https://api.x.com`, or a fake's address in tests.
    pub base_url: String,
    pub auth: Auth,
    /// The account's handle, for post URLs.
    pub handle: String,
}

/// Why a request got no usable answer.
enum Failure {
    /// The authorisation itself failed (token refresh refused, store unusable).
    Auth(Outcome),
    Send(SendError),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Auth(outcome) => outcome.fmt(f),
            Failure::Send(e) => e.fmt(f),
        }
    }
}

impl Client {
    /// A client signing with OAuth 1.0a.
    pub fn oauth1(base_url: impl Into<String>, credentials: Credentials, handle: impl Into<String>) -> Self {
        Self { base_url: base_url.into(), auth: Auth::OAuth1(credentials), handle: handle.into() }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url.trim_end_matches('/'))
    }

    /// Sends `method url` with `body`, authorised. Under OAuth 2.0 a 401 refreshes the token and the
    /// request is sent once more (the token may have been revoked early or rotated elsewhere).
    async fn send(
        &self,
        http: &Boundary,
        method: Method,
        url: &str,
        body: Option<&Arc<serde_json::Value>>,
        placeholder: &(dyn Fn(&Request) -> Response + Sync),
    ) -> Result<Response, Failure> {
        let mut refused = false;
        loop {
            let authorization = match &self.auth {
                // A JSON body is not part of the OAuth 1.0a signature; the URL's query is.
                Auth::OAuth1(c) => oauth1::authorization(
                    c,
                    method.as_str(),
                    url,
                    &[],
                    &oauth1::nonce(),
                    chrono::Utc::now().timestamp(),
                ),
                Auth::OAuth2(session) => session.authorization(http, refused).await.map_err(Failure::Auth)?,
            };
            let mut req = Request::new(method, url).secret_header("authorization", authorization);
            if let Some(b) = body {
                // Shared, not copied: an image upload's body is the image.
                req = req.json_shared(Arc::clone(b));
            }
            let response = http.send(req, placeholder).await.map_err(Failure::Send)?;
            if response.status == 401 && matches!(self.auth, Auth::OAuth2(_)) && !refused {
                refused = true;
                continue;
            }
            return Ok(response);
        }
    }

    /// Uploads one image (`POST /2/media/upload`, base64 in JSON) and sets its alt text
    /// (`POST /2/media/metadata`). Returns the media id, or the outcome that stops the post.
    async fn upload(&self, media: &Media, index: usize, http: &Boundary) -> Result<String, Outcome> {
        // Encoded while read, never more than X's limit: the request holds the only copy.
        let media_base64 = read_media_base64(media, &super::RULES).await?;
        let category = if media.kind == MediaType::Gif { "tweet_gif" } else { "tweet_image" };
        // Built by hand: `json!` would serialise a copy of the text.
        let mut fields = serde_json::Map::new();
        fields.insert("media".into(), serde_json::Value::String(media_base64));
        fields.insert("media_category".into(), category.into());
        let body = Arc::new(serde_json::Value::Object(fields));
        let placeholder = |_: &Request| Response::new(200, format!(r#"{{"data":{{"id":"{}"}}}}"#, 2_000_000 + index));
        let response = self.send_step(http, "/2/media/upload", &body, &placeholder).await?;
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
            // Already cut to X's 1,000 characters when rendered (`Rules::max_alt`).
            let body = Arc::new(serde_json::json!({ "id": id, "metadata": { "alt_text": { "text": alt } } }));
            let placeholder = |_: &Request| Response::new(200, r#"{"data":{"associated_metadata":true}}"#);
            self.send_step(http, "/2/media/metadata", &body, &placeholder).await?;
        }
        Ok(id)
    }

    /// Sends a preparatory request (upload, metadata): any failure is an outcome that stops the post;
    /// a lost answer is safe to retry, since nothing is public yet.
    async fn send_step(
        &self,
        http: &Boundary,
        path: &str,
        body: &Arc<serde_json::Value>,
        placeholder: &(dyn Fn(&Request) -> Response + Sync),
    ) -> Result<Response, Outcome> {
        let now = chrono::Utc::now().timestamp();
        match self.send(http, Method::Post, &self.url(path), Some(body), placeholder).await {
            Ok(r) if r.is_success() && r.json()["data"].is_object() => Ok(r),
            Ok(r) => Err(match classify(&r, &self.handle, now) {
                Outcome::Published { .. } | Outcome::Duplicate { .. } => Outcome::Rejected {
                    platform_message: String::from_utf8_lossy(&r.body).into_owned(),
                    explanation: "X answered the image upload without a media id".into(),
                },
                other => other,
            }),
            Err(Failure::Auth(outcome)) => Err(outcome),
            Err(Failure::Send(SendError::NotSent(reason) | SendError::Lost(reason))) => {
                Err(Outcome::RetryLater { after: None, reason })
            }
        }
    }
}

/// Posts per page of the lookup: X's largest `max_results` for a user's posts.
const PAGE_SIZE: usize = 100;

/// The `POST /2/tweets` body (`CreatePostsRequest`).
fn post_body(text: &str, reply_to: Option<&str>, media_ids: &[String]) -> serde_json::Value {
    let mut body = serde_json::json!({ "text": text });
    if let Some(id) = reply_to {
        body["reply"] = serde_json::json!({ "in_reply_to_tweet_id": id });
    }
    if !media_ids.is_empty() {
        body["media"] = serde_json::json!({ "media_ids": media_ids });
    }
    body
}

impl Adapter for Client {
    /// OAuth 2.0: keeps the rotating refresh token from idling (see [`super::oauth2::KEEP_ALIVE`]).
    /// OAuth 1.0a tokens do not expire.
    async fn upkeep(&self, http: &Boundary) -> Upkeep {
        match &self.auth {
            Auth::OAuth2(session) => session.keep_alive(http).await,
            Auth::OAuth1(_) => Upkeep::Nothing,
        }
    }

    async fn probe(&self, http: &Boundary) -> Result<String, Outcome> {
        let now = chrono::Utc::now().timestamp();
        let placeholder = |_: &Request| Response::new(200, r#"{"data":{"id":"1","username":"dry-run"}}"#);
        match self.send(http, Method::Get, &self.url("/2/users/me"), None, &placeholder).await {
            Ok(r) if r.is_success() => {
                Ok(format!("authenticated as @{}", r.json()["data"]["username"].as_str().unwrap_or("?")))
            }
            Ok(r) => Err(classify(&r, &self.handle, now)),
            Err(Failure::Auth(outcome)) => Err(outcome),
            Err(Failure::Send(SendError::NotSent(reason) | SendError::Lost(reason))) => {
                Err(Outcome::RetryLater { after: None, reason })
            }
        }
    }

    async fn publish(&self, post: &Outgoing<'_>, journal: &mut Journal<'_>, http: &Boundary) -> Outcome {
        // Images first: nothing is public until the post itself is created, so any failure here is
        // safe to retry; uploaded ids are kept (X keeps them 24 hours) so a retry does not upload again.
        let mut media_ids = Vec::new();
        for (i, m) in post.media.iter().enumerate() {
            let step = format!("media.{i}");
            if let Some(id) = journal.get(&step) {
                media_ids.push(id.to_string());
                continue;
            }
            match self.upload(m, i, http).await {
                Ok(id) => {
                    journal.record(&step, &id);
                    media_ids.push(id);
                }
                Err(outcome) => return outcome,
            }
        }
        let n = post.parts.len();
        for (i, part) in post.parts.iter().enumerate() {
            let step = format!("part.{i}");
            if journal.get(&step).is_some() {
                continue; // published by an earlier attempt
            }
            let previous = i.checked_sub(1).and_then(|p| journal.get(&format!("part.{p}"))).map(str::to_string);
            let now = chrono::Utc::now().timestamp();
            let body = Arc::new(post_body(part, previous.as_deref(), if i == 0 { &media_ids } else { &[] }));
            // In a dry run, each part "gets" a numeric id so the next part's reply can be shown.
            let placeholder = |_: &Request| Response::new(201, format!(r#"{{"data":{{"id":"{}"}}}}"#, 1_000_000 + i));
            let outcome = match self.send(http, Method::Post, &self.url("/2/tweets"), Some(&body), &placeholder).await {
                Ok(response) => {
                    journal.note_public_answer(&response);
                    classify(&response, &self.handle, now)
                }
                Err(Failure::Auth(outcome)) => outcome,
                Err(Failure::Send(SendError::NotSent(reason))) => Outcome::RetryLater { after: None, reason },
                Err(Failure::Send(SendError::Lost(reason))) => Outcome::Unknown { reason },
            };
            match outcome {
                Outcome::Published { remote_id, .. } => journal.record(&step, remote_id),
                // A later part refused as a duplicate went out before, but its id is unknown: the
                // lookup finds it.
                Outcome::Duplicate { platform_message } if i > 0 => {
                    return Outcome::Unknown {
                        reason: format!("part {} of {n} was refused as a duplicate: {platform_message}", i + 1),
                    };
                }
                other if i == 0 => return other,
                // The parts before are live and in the journal: the next attempt resumes here.
                other => {
                    let live = journal.get("part.0").map(|id| post_url(&self.handle, id)).unwrap_or_default();
                    return match other {
                        Outcome::Rejected { platform_message, explanation } => Outcome::Rejected {
                            platform_message,
                            explanation: format!(
                                "{explanation}; the thread stopped at part {} of {n} (parts 1–{i} are live at {live})",
                                i + 1
                            ),
                        },
                        other => other,
                    };
                }
            }
        }
        match journal.get("part.0") {
            Some(id) => Outcome::Published { remote_id: id.to_string(), url: Some(post_url(&self.handle, id)) },
            None => Outcome::Rejected {
                platform_message: String::new(),
                explanation: "the post has no text to publish".into(),
            },
        }
    }

    /// Reads the account's posts since the lost attempt (`GET /2/users/{id}/tweets?start_time=…`,
    /// newest first, following `meta.next_token` as `pagination_token` for at most
    /// [`LOOKUP_MAX_PAGES`] pages) and matches each missing part by its text (links compared as
    /// links: X shortens them to t.co). Past the last page it cannot be sure, and says so.
    async fn find_existing(
        &self,
        post: &Outgoing<'_>,
        journal: &mut Journal<'_>,
        since: chrono::DateTime<chrono::Utc>,
        http: &Boundary,
    ) -> Lookup {
        let user_id = match journal.get("user_id") {
            Some(id) => id.to_string(),
            None => {
                let placeholder = |_: &Request| Response::new(200, r#"{"data":{"id":"1","username":"dry-run"}}"#);
                match self.send(http, Method::Get, &self.url("/2/users/me"), None, &placeholder).await {
                    Ok(r) if r.is_success() && r.json()["data"]["id"].is_string() => {
                        let id = r.json()["data"]["id"].as_str().unwrap_or_default().to_string();
                        journal.record("user_id", &id);
                        id
                    }
                    Ok(r) => return Lookup::Unavailable { reason: classify(&r, &self.handle, 0).to_string() },
                    Err(e) => return Lookup::Unavailable { reason: e.to_string() },
                }
            }
        };
        // A little before the attempt started: the clocks of herald and X differ.
        let earliest = since - chrono::Duration::minutes(2);
        let start = earliest.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let first = format!(
            "{}?max_results={PAGE_SIZE}&start_time={}&tweet.fields=created_at",
            self.url(&format!("/2/users/{}/tweets", crate::dispatch::http::percent_encode(&user_id))),
            crate::dispatch::http::percent_encode(&start)
        );
        let missing: Vec<String> = post
            .parts
            .iter()
            .enumerate()
            .filter(|(i, _)| journal.get(&format!("part.{i}")).is_none())
            .map(|(_, part)| same_text_key(part))
            .collect();
        let mut found: Vec<(String, String)> = Vec::new();
        let mut url = first.clone();
        let mut pages = 0;
        loop {
            if pages == LOOKUP_MAX_PAGES {
                return too_many_posts("X", PAGE_SIZE, since);
            }
            pages += 1;
            let placeholder = |_: &Request| Response::new(200, r#"{"meta":{"result_count":0}}"#);
            let timeline = match self.send(http, Method::Get, &url, None, &placeholder).await {
                Ok(r) if r.is_success() => r.json(),
                Ok(r) => return Lookup::Unavailable { reason: classify(&r, &self.handle, 0).to_string() },
                Err(e) => return Lookup::Unavailable { reason: e.to_string() },
            };
            found.extend(timeline["data"].as_array().into_iter().flatten().filter_map(|t| {
                let created = t["created_at"].as_str().and_then(|c| chrono::DateTime::parse_from_rfc3339(c).ok());
                if created.is_some_and(|c| c < earliest) {
                    return None;
                }
                Some((t["id"].as_str()?.to_string(), same_text_key(t["text"].as_str()?)))
            }));
            if missing.iter().all(|key| found.iter().any(|(_, text)| text == key)) {
                break;
            }
            // `start_time` ends the list: no `next_token`, no older posts to read.
            match timeline["meta"]["next_token"].as_str() {
                Some(token) => {
                    url = format!("{first}&pagination_token={}", crate::dispatch::http::percent_encode(token));
                }
                None => break,
            }
        }
        for (i, part) in post.parts.iter().enumerate() {
            let step = format!("part.{i}");
            if journal.get(&step).is_some() {
                continue;
            }
            let key = same_text_key(part);
            match found.iter().find(|(_, text)| *text == key) {
                Some((id, _)) => journal.record(&step, id),
                None => return Lookup::NotFound,
            }
        }
        match journal.get("part.0") {
            Some(id) => Lookup::Found { remote_id: id.to_string(), url: Some(post_url(&self.handle, id)) },
            None => Lookup::NotFound,
        }
    }
}

/// A post's text as compared with what X returns: links replaced by a marker (X rewrites them to
/// t.co), HTML entities decoded (X returns `&amp;`), whitespace collapsed.
fn same_text_key(text: &str) -> String {
    let decoded = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&");
    decoded
        .split_whitespace()
        .map(|w| if w.starts_with("http://") || w.starts_with("https://") { "<link>" } else { w })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::same_text_key;

    #[test]
    fn texts_match_after_x_shortens_links_and_escapes_entities() {
        assert_eq!(
            same_text_key("Water & peace\nhttps://www.humansecurity.world/?utm_source=x"),
            same_text_key("Water &amp; peace https://t.co/AbC123")
        );
        assert_ne!(same_text_key("Water & peace"), same_text_key("Water & war"));
    }
}
