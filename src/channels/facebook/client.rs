//! The Graph API calls that publish to a Facebook Page: a text or link post through
//! `POST /{page-id}/feed`, one photo through `POST /{page-id}/photos` (fetched by Facebook from its
//! public URL, or uploaded as a multipart `source`), several photos uploaded unpublished and then
//! attached to one `/feed` post. Also the lookup after a lost answer (`GET /{page-id}/posts`, paged
//! through `paging.next` on the configured host, at most [`LOOKUP_MAX_PAGES`] pages) and the probe
//! (`GET /{page-id}`). Every request carries the Page access token in the `Authorization`
//! header and goes through the boundary.
//!
//! Journal steps: `photo.N` (an unpublished photo's id, several-photo posts only) and `post` (the
//! published post's id).

use crate::channels::adapter::{
    Adapter, Journal, LOOKUP_MAX_PAGES, Lookup, Outgoing, read_media, same_text_key, too_many_posts,
};
use crate::config::Media;
use crate::dispatch::boundary::{Boundary, SendError};
use crate::dispatch::http::{HeaderValue, Method, Part, Request, Response, percent_encode};
use crate::dispatch::outcome::Outcome;
use crate::secrets::Secret;

use super::classify::{classify, post_url};

/// The default API host.
pub const DEFAULT_BASE_URL: &str = "https://graph.facebook.com";

/// The Page used when a channel names none: with a Page access token, Graph's `me` is that Page.
/// (Configuration requires `account` as soon as a channel has credentials; this only serves dry runs.)
pub const PAGE_FROM_TOKEN: &str = "me";

/// A Facebook Page, ready to publish.
#[derive(Debug, Clone)]
pub struct Client {
    /// `https://graph.facebook.com`, or a fake's address in tests.
    pub base_url: String,
    /// `v25.0`.
    pub api_version: String,
    /// The Page id (the channel's `account`).
    pub page_id: String,
    /// The Page access token.
    pub token: Secret,
}

/// How a photo reaches Facebook.
enum Source {
    /// Facebook fetches it from this public address (`url`).
    Url(String),
    /// Its bytes travel in the request (`source`, multipart).
    Bytes { filename: String, content_type: String, bytes: bytes::Bytes },
}

impl Client {
    /// `{base}/{version}/{path}`.
    fn url(&self, path: &str) -> String {
        format!("{}/{}/{path}", self.base_url.trim_end_matches('/'), self.api_version.trim_matches('/'))
    }

    /// The page's own path segment, encoded.
    fn page(&self) -> String {
        percent_encode(&self.page_id)
    }

    /// A request carrying the token. Graph accepts it as `Authorization: Bearer` (the form used on the
    /// same host by Meta's WhatsApp Cloud API docs, and by Graph clients such as huandu/facebook);
    /// Meta's Pages reference pages only show the `access_token` parameter, so the header form for
    /// Pages endpoints is UNCONFIRMED there. Never a query parameter: URLs end up in logs.
    fn authorized(&self, method: Method, url: String) -> Request {
        Request::new(method, url).secret_header("authorization", self.token.bearer())
    }

    /// The text of the post, as rendered (Facebook has no threads, so one part): a feed post's
    /// `message`, a photo's `caption`. A photo post's link is already at its end: photo posts have no
    /// `link` field, so rendering puts it there (and the preview shows it).
    fn message(post: &Outgoing<'_>) -> String {
        post.full_text()
    }

    /// Where the photo comes from: its public URL when the channel has a `media_base_url`, else its bytes.
    async fn source(post: &Outgoing<'_>, media: &Media) -> Result<Source, Outcome> {
        if let Some(url) = post.media_url(media) {
            return Ok(Source::Url(url));
        }
        let bytes = read_media(media, &super::RULES).await?;
        let filename = media.path.file_name().map_or_else(|| media.file.clone(), |n| n.to_string_lossy().into_owned());
        Ok(Source::Bytes { filename, content_type: media.kind.mime().to_string(), bytes })
    }

    /// `POST /{page-id}/photos` for one photo, with `fields` (caption, `published`, alt text).
    fn photo_request(&self, source: Source, fields: Vec<(&str, String)>) -> Request {
        let req = self.authorized(Method::Post, self.url(&format!("{}/photos", self.page())));
        match source {
            Source::Url(url) => {
                let mut form = vec![("url".to_string(), HeaderValue::Plain(url))];
                form.extend(fields.into_iter().map(|(k, v)| (k.to_string(), HeaderValue::Plain(v))));
                req.form(form)
            }
            Source::Bytes { filename, content_type, bytes } => {
                let mut parts: Vec<Part> = fields.into_iter().map(|(k, v)| Part::text(k, v)).collect();
                parts.push(Part::File { name: "source".into(), filename, content_type, bytes });
                req.multipart(parts)
            }
        }
    }

    /// The fields every photo carries: its alt text. `alt_text_custom` is listed among the parameters
    /// for creating a Photo in Meta's Photo reference (and as a field of the Page photo); that the
    /// `/{page-id}/photos` edge honours it is UNCONFIRMED (client code only).
    fn alt_field(media: &Media) -> Vec<(&'static str, String)> {
        media.alt.iter().map(|alt| ("alt_text_custom", alt.clone())).collect()
    }

    /// Sends the request that makes the post public and records its id: a lost answer is
    /// [`Outcome::Unknown`], the lookup decides.
    async fn create(
        &self,
        http: &Boundary,
        req: Request,
        journal: &mut Journal<'_>,
        placeholder: impl FnOnce(&Request) -> Response,
    ) -> Outcome {
        let outcome = match http.send(req, placeholder).await {
            Ok(response) => {
                journal.note_public_answer(&response);
                classify(&response)
            }
            Err(SendError::NotSent(reason)) => Outcome::RetryLater { after: None, reason },
            Err(SendError::Lost(reason)) => Outcome::Unknown { reason },
        };
        if let Outcome::Published { remote_id, .. } = &outcome {
            journal.record("post", remote_id.clone());
        }
        outcome
    }

    /// A text or link post: `POST /{page-id}/feed` with `message` and `link`.
    async fn publish_feed(&self, post: &Outgoing<'_>, journal: &mut Journal<'_>, http: &Boundary) -> Outcome {
        let message = Self::message(post);
        let mut form = Vec::new();
        if !message.trim().is_empty() {
            form.push(("message".to_string(), HeaderValue::Plain(message)));
        }
        if let Some(link) = post.link {
            form.push(("link".to_string(), HeaderValue::Plain(link.to_string())));
        }
        if form.is_empty() {
            return Outcome::Rejected {
                platform_message: String::new(),
                explanation: "the post has neither text, link nor image to publish".into(),
            };
        }
        let req = self.authorized(Method::Post, self.url(&format!("{}/feed", self.page()))).form(form);
        let page = self.page_id.clone();
        self.create(http, req, journal, move |_| Response::new(200, format!(r#"{{"id":"{page}_1000000"}}"#))).await
    }

    /// One photo: `POST /{page-id}/photos` with the caption; the answer's `post_id` is the post.
    async fn publish_photo(
        &self,
        post: &Outgoing<'_>,
        media: &Media,
        journal: &mut Journal<'_>,
        http: &Boundary,
    ) -> Outcome {
        let source = match Self::source(post, media).await {
            Ok(s) => s,
            Err(outcome) => return outcome,
        };
        let mut fields = Vec::new();
        let caption = Self::message(post);
        if !caption.trim().is_empty() {
            // `caption`: Meta's Photo reference marks `message` deprecated in favour of it.
            fields.push(("caption", caption));
        }
        fields.extend(Self::alt_field(media));
        let req = self.photo_request(source, fields);
        let page = self.page_id.clone();
        let placeholder =
            move |_: &Request| Response::new(200, format!(r#"{{"id":"2000000","post_id":"{page}_2000000"}}"#));
        self.create(http, req, journal, placeholder).await
    }

    /// Uploads one photo unpublished (`published=false`) for a several-photo post: its id, or the
    /// outcome that stops the post. Nothing is public yet, so a lost answer is safe to retry.
    async fn upload_unpublished(
        &self,
        post: &Outgoing<'_>,
        media: &Media,
        index: usize,
        http: &Boundary,
    ) -> Result<String, Outcome> {
        let source = Self::source(post, media).await?;
        let mut fields = vec![("published", "false".to_string())];
        fields.extend(Self::alt_field(media));
        let req = self.photo_request(source, fields);
        let placeholder = move |_: &Request| Response::new(200, format!(r#"{{"id":"{}"}}"#, 3_000_000 + index));
        let response = match http.send(req, placeholder).await {
            Ok(r) => r,
            Err(SendError::NotSent(reason) | SendError::Lost(reason)) => {
                return Err(Outcome::RetryLater {
                    after: None,
                    reason: format!("uploading the image {}: {reason}", media.file),
                });
            }
        };
        match (response.is_success(), response.json()["id"].as_str()) {
            (true, Some(id)) => Ok(id.to_string()),
            (true, None) => Err(Outcome::Rejected {
                platform_message: String::from_utf8_lossy(&response.body).into_owned(),
                explanation: format!("Facebook answered the upload of {} without a photo id", media.file),
            }),
            (false, _) => Err(match classify(&response) {
                // A refused upload is never a published post: a 506 here cannot mean the post is live.
                Outcome::Duplicate { platform_message } => Outcome::Rejected {
                    platform_message,
                    explanation: format!("Facebook refused the image {}", media.file),
                },
                other => other,
            }),
        }
    }

    /// Several photos: each uploaded unpublished (ids kept in the journal as `photo.N`, reused by a
    /// later attempt), then `POST /{page-id}/feed` with `message` and `attached_media[N]`.
    async fn publish_album(&self, post: &Outgoing<'_>, journal: &mut Journal<'_>, http: &Boundary) -> Outcome {
        let mut ids = Vec::new();
        for (i, media) in post.media.iter().enumerate() {
            let step = format!("photo.{i}");
            if let Some(id) = journal.get(&step) {
                ids.push(id.to_string());
                continue;
            }
            match self.upload_unpublished(post, media, i, http).await {
                Ok(id) => {
                    journal.record(&step, &id);
                    ids.push(id);
                }
                Err(outcome) => return outcome,
            }
        }
        let mut form = Vec::new();
        let message = Self::message(post);
        if !message.trim().is_empty() {
            form.push(("message".to_string(), HeaderValue::Plain(message)));
        }
        for (i, id) in ids.iter().enumerate() {
            let attached = serde_json::json!({ "media_fbid": id }).to_string();
            form.push((format!("attached_media[{i}]"), HeaderValue::Plain(attached)));
        }
        let req = self.authorized(Method::Post, self.url(&format!("{}/feed", self.page()))).form(form);
        let page = self.page_id.clone();
        self.create(http, req, journal, move |_| Response::new(200, format!(r#"{{"id":"{page}_1000000"}}"#))).await
    }
}

impl Adapter for Client {
    async fn probe(&self, http: &Boundary) -> Result<String, Outcome> {
        let req = self.authorized(Method::Get, self.url(&format!("{}?fields=name", self.page())));
        let page = self.page_id.clone();
        let placeholder =
            move |_: &Request| Response::new(200, serde_json::json!({"name": "dry run", "id": page}).to_string());
        match http.send(req, placeholder).await {
            Ok(r) if r.is_success() => {
                let body = r.json();
                let name = body["name"].as_str().unwrap_or("?");
                let id = body["id"].as_str().unwrap_or(&self.page_id);
                Ok(format!("authenticated for the Page {name} ({id})"))
            }
            Ok(r) => Err(classify(&r)),
            Err(SendError::NotSent(reason) | SendError::Lost(reason)) => {
                Err(Outcome::RetryLater { after: None, reason })
            }
        }
    }

    async fn publish(&self, post: &Outgoing<'_>, journal: &mut Journal<'_>, http: &Boundary) -> Outcome {
        // Published by an earlier attempt (or found by the lookup): never post again.
        if let Some(id) = journal.get("post") {
            return Outcome::Published { remote_id: id.to_string(), url: Some(post_url(id)) };
        }
        match post.media {
            [] => self.publish_feed(post, journal, http).await,
            [one] => self.publish_photo(post, one, journal, http).await,
            _ => self.publish_album(post, journal, http).await,
        }
    }

    /// Reads the Page's posts since the lost attempt (`GET /{page-id}/posts?since=…`, newest first)
    /// and matches the message. Graph's `since` ends the list, so the lookup follows `paging.next`
    /// until it stops coming, for at most [`LOOKUP_MAX_PAGES`] pages; past that it cannot be sure.
    /// A `next` address is followed only on the configured host, and without the `access_token`
    /// parameter Graph writes into it (the token travels in the header).
    async fn find_existing(
        &self,
        post: &Outgoing<'_>,
        journal: &mut Journal<'_>,
        since: chrono::DateTime<chrono::Utc>,
        http: &Boundary,
    ) -> Lookup {
        if let Some(id) = journal.get("post") {
            return Lookup::Found { remote_id: id.to_string(), url: Some(post_url(id)) };
        }
        let wanted = same_text_key(&Self::message(post));
        if wanted.is_empty() {
            return Lookup::Unavailable {
                reason: "the post has no text to recognise it by among the Page's posts".into(),
            };
        }
        // A little before the attempt started: the clocks of herald and Facebook differ.
        let start = (since - chrono::Duration::minutes(2)).timestamp();
        let mut url =
            self.url(&format!("{}/posts?fields=id,message,created_time&since={start}&limit={PAGE_SIZE}", self.page()));
        for _ in 0..LOOKUP_MAX_PAGES {
            let placeholder = |_: &Request| Response::new(200, r#"{"data":[]}"#);
            let listing = match http.send(self.authorized(Method::Get, url), placeholder).await {
                Ok(r) if r.is_success() => r.json(),
                Ok(r) => return Lookup::Unavailable { reason: classify(&r).to_string() },
                Err(e) => return Lookup::Unavailable { reason: e.to_string() },
            };
            let Some(posts) = listing["data"].as_array() else {
                return Lookup::Unavailable { reason: "Facebook answered the lookup without a list of posts".into() };
            };
            let found = posts.iter().find_map(|p| {
                let id = p["id"].as_str()?;
                let created = p["created_time"]
                    .as_str()
                    .and_then(|t| chrono::DateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S%z").ok());
                let recent = created.is_none_or(|t| t.timestamp() >= start);
                (recent && same_text_key(p["message"].as_str().unwrap_or_default()) == wanted).then(|| id.to_string())
            });
            if let Some(id) = found {
                journal.record("post", &id);
                return Lookup::Found { url: Some(post_url(&id)), remote_id: id };
            }
            match listing["paging"]["next"].as_str() {
                Some(next) if !posts.is_empty() => match next_page(next, &self.base_url) {
                    Ok(next) => url = next,
                    Err(reason) => return Lookup::Unavailable { reason },
                },
                _ => return Lookup::NotFound,
            }
        }
        too_many_posts("Facebook", PAGE_SIZE, since)
    }
}

/// Posts per page of the lookup: Graph's largest `limit` for a Page's posts.
const PAGE_SIZE: usize = 100;

/// The address to read the next page of posts from, given Graph's `paging.next`: only on the
/// configured host (same scheme, host and port as `base_url`, the one the token is meant for), and
/// with the `access_token` parameter Graph puts in it removed.
fn next_page(next: &str, base_url: &str) -> Result<String, String> {
    let host = origin(next);
    if host.is_none() || host != origin(base_url) {
        return Err(format!(
            "Facebook pointed the next page of the Page's posts at another host ({}): herald does not send the Page token there; check the account by hand",
            host.as_deref().unwrap_or("an address it cannot read")
        ));
    }
    let next = next.split('#').next().unwrap_or(next);
    let Some((path, query)) = next.split_once('?') else { return Ok(next.to_string()) };
    let kept: Vec<&str> = query
        .split('&')
        .filter(|kv| !kv.is_empty() && !kv.split('=').next().unwrap_or_default().eq_ignore_ascii_case("access_token"))
        .collect();
    Ok(if kept.is_empty() { path.to_string() } else { format!("{path}?{}", kept.join("&")) })
}

/// `scheme://host[:port]` of an absolute address, lowercased; `None` without one, or with user
/// information in it.
fn origin(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if scheme.is_empty() || authority.is_empty() || authority.contains('@') {
        return None;
    }
    Some(format!("{}://{}", scheme.to_ascii_lowercase(), authority.to_ascii_lowercase()))
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::*;
    use crate::channels::{MediaType, Platform};
    use crate::config::Channel;

    fn client() -> Client {
        Client {
            base_url: "https://graph.facebook.com/".into(),
            api_version: "v25.0".into(),
            page_id: "104729380012345".into(),
            token: Secret::new("EAAGpagetoken"),
        }
    }

    #[test]
    fn urls_carry_the_version_and_never_the_token() {
        let c = client();
        assert_eq!(c.url("104729380012345/feed"), "https://graph.facebook.com/v25.0/104729380012345/feed");
        let req = c.authorized(Method::Get, c.url("me"));
        assert!(!req.url.contains("EAAG"));
        assert!(req.redacted().contains("authorization: ***"), "{}", req.redacted());
        assert!(matches!(&req.headers[0].1, HeaderValue::Secret(s) if s.expose() == "Bearer EAAGpagetoken"));
    }

    #[test]
    fn photo_posts_send_the_rendered_text_as_is() {
        let ch = Channel::new("facebook", Platform::Facebook, "HS4Aglobal");
        let parts = ["Water is life.\n\n#HS4A\n\nhttps://hs4a.org".to_string()];
        let media = [Media {
            file: "media/a.jpg".into(),
            path: PathBuf::from("/p/campaigns/media/a.jpg"),
            alt: None,
            kind: MediaType::Jpeg,
        }];
        let post = Outgoing {
            parts: &parts,
            link: None,
            media: &media,
            channel: &ch,
            campaigns_dir: Path::new("/p/campaigns"),
        };
        assert_eq!(Client::message(&post), parts[0]);
        assert_eq!(same_text_key("a  b\n\nc "), same_text_key("a b c"));
    }

    #[test]
    fn next_pages_stay_on_the_configured_host_and_never_carry_the_token_in_the_url() {
        let base = "https://graph.facebook.com/";
        assert_eq!(
            next_page(
                "https://graph.facebook.com/v25.0/1/posts?access_token=EAAG&fields=id&limit=100&after=QVFI",
                base
            ),
            Ok("https://graph.facebook.com/v25.0/1/posts?fields=id&limit=100&after=QVFI".into())
        );
        assert_eq!(
            next_page("https://Graph.Facebook.com/v25.0/1/posts?after=x&ACCESS_TOKEN=EAAG", base),
            Ok("https://Graph.Facebook.com/v25.0/1/posts?after=x".into())
        );
        for elsewhere in [
            "https://graph.facebook.com.evil.example/v25.0/1/posts?after=x",
            "http://graph.facebook.com/v25.0/1/posts?after=x",
            "https://graph.facebook.com@evil.example/v25.0/1/posts",
            "/v25.0/1/posts?after=x",
        ] {
            let refused = next_page(elsewhere, base).unwrap_err();
            assert!(refused.contains("another host"), "{refused}");
        }
        assert!(next_page("http://127.0.0.1:4000/v25.0/1/posts?after=x", "http://127.0.0.1:4000").is_ok());
        assert!(next_page("http://127.0.0.1:4001/v25.0/1/posts?after=x", "http://127.0.0.1:4000").is_err());
    }
}
