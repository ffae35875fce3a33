//! LinkedIn's API calls: images through the Images API (`POST /rest/images?action=initializeUpload`,
//! then one `PUT` of the file to the upload address it gives), then `POST /rest/posts` with the
//! commentary in little text. Every call carries the Bearer token (a secret header), the
//! `LinkedIn-Version` of the channel and `X-Restli-Protocol-Version: 2.0.0`, and goes through the
//! boundary. After a lost answer, the lookup pages through the author's posts (`start`/`count`,
//! newest-modified first) until it reaches posts older than the attempt, for at most
//! [`LOOKUP_MAX_PAGES`] pages.

use crate::channels::adapter::{
    Adapter, Journal, LOOKUP_MAX_PAGES, Lookup, Outgoing, read_media, same_text_key, too_many_posts,
};
use crate::config::{Channel, Media};
use crate::dispatch::boundary::{Boundary, SendError};
use crate::dispatch::http::{Body, Method, Request, Response, percent_encode};
use crate::dispatch::outcome::Outcome;
use crate::secrets::Secret;

use super::classify::{self, classify, post_url};
use super::little_text;

/// The default API host.
pub const DEFAULT_BASE_URL: &str = "https://api.linkedin.com";

/// Posts per page of the lookup (`count` of the author finder). LinkedIn's documented maximum for
/// this finder is UNCONFIRMED (client code uses up to 100); the lookup does not rely on getting
/// that many per page.
const PAGE_SIZE: usize = 100;

/// Who a post is published as: a member or an organization (a LinkedIn Page).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Author {
    /// `urn:li:person:{id}` (the OpenID Connect `sub` of the member).
    Person(String),
    /// `urn:li:organization:{id}` (a number).
    Organization(String),
}

impl Author {
    /// Reads an author URN; the error says in plain words what to write instead.
    pub fn parse(urn: &str) -> Result<Self, String> {
        let urn = urn.trim();
        let bad = |why: &str| {
            format!(
                "`{urn}` is not a LinkedIn author: `account` must be `urn:li:organization:<number>` (a LinkedIn Page) or `urn:li:person:<id>` (a member){why}"
            )
        };
        if let Some(id) = urn.strip_prefix("urn:li:organization:") {
            return if !id.is_empty() && id.chars().all(|c| c.is_ascii_digit()) {
                Ok(Author::Organization(id.to_string()))
            } else {
                Err(bad(
                    "; an organization id is a number, as in the Page's admin address linkedin.com/company/<number>/admin",
                ))
            };
        }
        if let Some(id) = urn.strip_prefix("urn:li:person:") {
            return if !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
                Ok(Author::Person(id.to_string()))
            } else {
                Err(bad("; a member id is the `sub` that LinkedIn's /v2/userinfo returns for the member"))
            };
        }
        if urn.starts_with("urn:li:company:") {
            return Err(bad("; the Posts API names companies `urn:li:organization:` with the same number"));
        }
        Err(bad(""))
    }

    pub fn urn(&self) -> String {
        match self {
            Author::Person(id) => format!("urn:li:person:{id}"),
            Author::Organization(id) => format!("urn:li:organization:{id}"),
        }
    }
}

/// Checks a channel's `account` without any request: the author URN a LinkedIn channel publishes as.
pub fn check_author(account: Option<&str>) -> Result<Author, String> {
    match account {
        Some(a) => Author::parse(a),
        None => Err(
            "a LinkedIn channel needs `account`: the author URN, e.g. `account = \"urn:li:organization:12345678\"` for a LinkedIn Page or `account = \"urn:li:person:<id>\"` for a member".into(),
        ),
    }
}

/// A LinkedIn author, ready to publish.
#[derive(Debug, Clone)]
pub struct Client {
    /// `https://api.linkedin.com`, or a fake's address in tests.
    pub base_url: String,
    /// The OAuth 2.0 access token (member token, 60 days).
    pub token: Secret,
    /// The author URN as configured (`account`); checked again before each use.
    pub author: String,
    /// The `LinkedIn-Version` header (`YYYYMM`).
    pub version: String,
}

impl Client {
    /// The client for `channel` (its `base_url`, `account` and `api_version`), refusing an author that
    /// is not a person or organization URN.
    pub fn for_channel(channel: &Channel, token: Secret) -> Result<Self, String> {
        let author =
            check_author(channel.account.as_deref()).map_err(|why| format!("channel `{}`: {why}", channel.name))?;
        Ok(Self {
            base_url: channel.base_url.clone().unwrap_or_else(|| DEFAULT_BASE_URL.to_string()),
            token,
            author: author.urn(),
            version: channel.api_version().to_string(),
        })
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url.trim_end_matches('/'))
    }

    /// A request to the API with the three headers every call carries.
    fn api(&self, method: Method, path: &str) -> Request {
        Request::new(method, self.url(path))
            .secret_header("authorization", self.token.bearer())
            .header("linkedin-version", &self.version)
            .header("x-restli-protocol-version", "2.0.0")
    }

    /// The body of `POST /rest/posts`: `images` are (URN, alt text) pairs, in order.
    pub fn post_body(author: &Author, text: &str, images: &[(String, Option<String>)]) -> serde_json::Value {
        let mut body = serde_json::json!({
            "author": author.urn(),
            "commentary": little_text::escape(text),
            "visibility": "PUBLIC",
            "distribution": {
                "feedDistribution": "MAIN_FEED",
                "targetEntities": [],
                "thirdPartyDistributionChannels": []
            },
            "lifecycleState": "PUBLISHED",
            "isReshareDisabledByAuthor": false
        });
        let image = |(id, alt): &(String, Option<String>)| {
            let mut v = serde_json::json!({ "id": id });
            if let Some(alt) = alt {
                v["altText"] = serde_json::Value::String(alt.clone());
            }
            v
        };
        match images {
            [] => {}
            [one] => body["content"] = serde_json::json!({ "media": image(one) }),
            many => {
                body["content"] =
                    serde_json::json!({ "multiImage": { "images": many.iter().map(image).collect::<Vec<_>>() } })
            }
        }
        body
    }

    /// Uploads one image: `initializeUpload` for `author`, then one `PUT` of the whole file. Returns
    /// the image URN, or the outcome that stops the post (nothing is public yet: safe to retry).
    async fn upload(&self, author: &Author, media: &Media, index: usize, http: &Boundary) -> Result<String, Outcome> {
        let bytes = read_media(media, &super::RULES).await?;
        let init = self
            .api(Method::Post, "/rest/images?action=initializeUpload")
            .json(serde_json::json!({ "initializeUploadRequest": { "owner": author.urn() } }));
        let n = index + 1;
        let placeholder = move |_: &Request| {
            Response::new(
                200,
                serde_json::json!({ "value": {
                    "uploadUrlExpiresAt": 0,
                    "uploadUrl": format!("https://www.linkedin.com/dms-uploads/dry-run-image-{n}"),
                    "image": format!("urn:li:image:dry-run-{n}")
                }})
                .to_string(),
            )
        };
        let answer = self.send_step(http, init, placeholder, author).await?.json();
        let (Some(upload_url), Some(image)) =
            (answer["value"]["uploadUrl"].as_str(), answer["value"]["image"].as_str())
        else {
            return Err(Outcome::Rejected {
                platform_message: answer.to_string(),
                explanation: format!("LinkedIn answered the upload of {} without an upload address", media.file),
            });
        };
        if !may_carry_token(upload_url, &self.base_url) {
            return Err(Outcome::Rejected {
                platform_message: upload_url.to_string(),
                explanation:
                    "LinkedIn gave an upload address outside linkedin.com: herald does not send the access token there"
                        .into(),
            });
        }
        // One PUT of the whole file: repeated PUTs to the same address overwrite each other. The
        // upload address is not a Rest.li resource; it takes the Bearer token only.
        let mut put = Request::new(Method::Put, upload_url).secret_header("authorization", self.token.bearer());
        put.body = Body::Bytes { content_type: media.kind.mime().to_string(), bytes };
        self.send_step(http, put, |_| Response::new(201, ""), author).await?;
        Ok(image.to_string())
    }

    /// Sends a preparatory request (an image step): any failure stops the post; a lost answer is
    /// safe to retry, since nothing is public yet.
    async fn send_step(
        &self,
        http: &Boundary,
        req: Request,
        placeholder: impl FnOnce(&Request) -> Response,
        author: &Author,
    ) -> Result<Response, Outcome> {
        match http.send(req, placeholder).await {
            Ok(r) if r.is_success() => Ok(r),
            Ok(r) => Err(match classify(&r, author, chrono::Utc::now().timestamp()) {
                Outcome::Published { .. } | Outcome::Duplicate { .. } | Outcome::Unknown { .. } => Outcome::Rejected {
                    platform_message: String::from_utf8_lossy(&r.body).into_owned(),
                    explanation: format!("LinkedIn refused the image upload (HTTP {})", r.status),
                },
                other => other,
            }),
            Err(SendError::NotSent(reason) | SendError::Lost(reason)) => {
                Err(Outcome::RetryLater { after: None, reason })
            }
        }
    }

    /// Who the token belongs to, for a member author: `GET /v2/userinfo` (OpenID Connect).
    async fn probe_person(&self, id: &str, http: &Boundary) -> Result<String, Outcome> {
        let placeholder =
            |_: &Request| Response::new(200, serde_json::json!({ "sub": id, "name": "dry run" }).to_string());
        let r = self.send_read(http, self.api(Method::Get, "/v2/userinfo"), placeholder).await?;
        if r.status == 403 {
            return Err(Outcome::Rejected {
                platform_message: classify_message(&r),
                explanation: "reading the member's identity (/v2/userinfo) needs the `openid` and `profile` scopes"
                    .into(),
            });
        }
        let author = Author::Person(id.to_string());
        if !r.is_success() {
            return Err(classify(&r, &author, chrono::Utc::now().timestamp()));
        }
        let info = r.json();
        let name = info["name"].as_str().unwrap_or("?");
        match info["sub"].as_str() {
            Some(sub) if sub == id => Ok(format!("authenticated as {name} ({})", author.urn())),
            sub => Err(Outcome::Rejected {
                platform_message: String::new(),
                explanation: format!(
                    "the access token belongs to urn:li:person:{} ({name}), not to the channel's account {}",
                    sub.unwrap_or("?"),
                    author.urn()
                ),
            }),
        }
    }

    /// For an organization author: `GET /rest/organizations/{id}`.
    async fn probe_organization(&self, id: &str, http: &Boundary) -> Result<String, Outcome> {
        let author = Author::Organization(id.to_string());
        let placeholder =
            |_: &Request| Response::new(200, serde_json::json!({ "id": 0, "localizedName": "dry run" }).to_string());
        let req = self.api(Method::Get, &format!("/rest/organizations/{}", percent_encode(id)));
        let r = self.send_read(http, req, placeholder).await?;
        if !r.is_success() {
            return Err(classify(&r, &author, chrono::Utc::now().timestamp()));
        }
        let name = r.json()["localizedName"].as_str().unwrap_or("?").to_string();
        Ok(format!("authenticated as a member who can read organization {name} ({})", author.urn()))
    }

    /// One page of the author's posts, from `start`: the listing, or the lookup's answer when
    /// LinkedIn would not list them.
    async fn list_posts(&self, author: &Author, start: usize, http: &Boundary) -> Result<serde_json::Value, Lookup> {
        let path = format!(
            "/rest/posts?author={}&q=author&count={PAGE_SIZE}&start={start}&sortBy=LAST_MODIFIED",
            percent_encode(&author.urn())
        );
        let req = self.api(Method::Get, &path).header("x-restli-method", "FINDER");
        let placeholder = move |_: &Request| {
            Response::new(200, format!(r#"{{"elements":[],"paging":{{"start":{start},"count":{PAGE_SIZE}}}}}"#))
        };
        match http.send(req, placeholder).await {
            Ok(r) if r.is_success() => Ok(r.json()),
            Ok(r) if r.status == 403 => {
                let scope = match author {
                    Author::Organization(_) => "r_organization_social",
                    Author::Person(_) => "r_member_social (granted to approved LinkedIn partners only)",
                };
                Err(Lookup::Unavailable {
                    reason: format!(
                        "LinkedIn refused to list the author's posts ({}): that needs the {scope} permission; check the account by hand",
                        classify_message(&r)
                    ),
                })
            }
            Ok(r) => Err(Lookup::Unavailable { reason: classify(&r, author, 0).to_string() }),
            Err(e) => Err(Lookup::Unavailable { reason: e.to_string() }),
        }
    }

    async fn send_read(
        &self,
        http: &Boundary,
        req: Request,
        placeholder: impl FnOnce(&Request) -> Response,
    ) -> Result<Response, Outcome> {
        http.send(req, placeholder).await.map_err(|e| Outcome::RetryLater { after: None, reason: e.to_string() })
    }
}

/// How many images a listed post carries, when the listing shows it (`content.media` is one,
/// `content.multiImage` several); `None` for other content (an article, a poll) or none at all.
fn image_count(post: &serde_json::Value) -> Option<usize> {
    let content = post.get("content")?;
    if content.get("media").is_some() {
        return Some(1);
    }
    content["multiImage"]["images"].as_array().map(Vec::len)
}

fn classify_message(r: &Response) -> String {
    r.json()["message"].as_str().unwrap_or("no details given").to_string()
}

/// Whether the access token may go to `url` (an upload address LinkedIn handed out): an https
/// address on linkedin.com, or the configured API host itself (a fake, a proxy).
fn may_carry_token(url: &str, base_url: &str) -> bool {
    let base = base_url.trim_end_matches('/');
    if url.strip_prefix(base).is_some_and(|rest| rest.starts_with('/')) {
        return true;
    }
    let Some(rest) = url.strip_prefix("https://") else { return false };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.contains('@') {
        return false;
    }
    let host = authority.split(':').next().unwrap_or_default().to_ascii_lowercase();
    host == "linkedin.com" || host.ends_with(".linkedin.com")
}

impl Adapter for Client {
    async fn publish(&self, post: &Outgoing<'_>, journal: &mut Journal<'_>, http: &Boundary) -> Outcome {
        let author = match Author::parse(&self.author) {
            Ok(a) => a,
            Err(why) => return Outcome::Rejected { platform_message: String::new(), explanation: why },
        };
        if let Some(urn) = journal.get("post") {
            // Published by an earlier attempt.
            return Outcome::Published { remote_id: urn.to_string(), url: Some(post_url(urn)) };
        }
        // Images first: nothing is public until the post is created. Each uploaded image is kept in
        // the journal, so a later attempt attaches it instead of uploading again.
        let mut images = Vec::new();
        for (i, m) in post.media.iter().enumerate() {
            let step = format!("image.{i}");
            let urn = match journal.get(&step) {
                Some(urn) => urn.to_string(),
                None => match self.upload(&author, m, i, http).await {
                    Ok(urn) => {
                        journal.record(&step, &urn);
                        urn
                    }
                    Err(outcome) => return outcome,
                },
            };
            images.push((urn, m.alt.clone()));
        }
        let req = self.api(Method::Post, "/rest/posts").json(Self::post_body(&author, &post.full_text(), &images));
        let placeholder = |_: &Request| Response::new(201, "").with_header("x-restli-id", "urn:li:share:dry-run");
        let now = chrono::Utc::now().timestamp();
        match http.send(req, placeholder).await {
            Ok(response) => {
                journal.note_public_answer(&response);
                let outcome = classify(&response, &author, now);
                if let Outcome::Published { remote_id, .. } = &outcome {
                    journal.record("post", remote_id);
                }
                if classify::has_code(&response, "INVALID_CONTENT_OWNERSHIP") {
                    // Uploaded for another owner: the next attempt uploads them for this author.
                    for i in 0..post.media.len() {
                        journal.forget(&format!("image.{i}"));
                    }
                }
                outcome
            }
            Err(SendError::NotSent(reason)) => Outcome::RetryLater { after: None, reason },
            Err(SendError::Lost(reason)) => Outcome::Unknown { reason },
        }
    }

    /// Reads the author's posts newest-modified first (`GET /rest/posts?q=author&sortBy=LAST_MODIFIED`,
    /// which needs `r_organization_social` for a Page or `r_member_social` for a member), page after
    /// page (`start`, `count`), and looks for one with the same text (and as many images, where the
    /// listing shows them) created since the lost attempt. It stops at the first page that reaches a
    /// post last modified before the attempt: every later one is older still. After
    /// [`LOOKUP_MAX_PAGES`] pages it cannot be sure, and says so.
    async fn find_existing(
        &self,
        post: &Outgoing<'_>,
        journal: &mut Journal<'_>,
        since: chrono::DateTime<chrono::Utc>,
        http: &Boundary,
    ) -> Lookup {
        if let Some(urn) = journal.get("post") {
            return Lookup::Found { remote_id: urn.to_string(), url: Some(post_url(urn)) };
        }
        let author = match Author::parse(&self.author) {
            Ok(a) => a,
            Err(why) => return Lookup::Unavailable { reason: why },
        };
        let wanted = same_text_key(&post.full_text());
        // A little slack for the difference between LinkedIn's clock and ours.
        let since_ms = (since - chrono::Duration::minutes(2)).timestamp_millis();
        let mut start = 0;
        for _ in 0..LOOKUP_MAX_PAGES {
            let listing = match self.list_posts(&author, start, http).await {
                Ok(listing) => listing,
                Err(lookup) => return lookup,
            };
            let elements = listing["elements"].as_array().map(Vec::as_slice).unwrap_or_default();
            let found = elements.iter().find(|p| {
                let created = p["createdAt"].as_i64().or_else(|| p["publishedAt"].as_i64());
                let text = p["commentary"].as_str().map(|c| same_text_key(&little_text::unescape(c)));
                created.is_some_and(|t| t >= since_ms)
                    && text.as_deref() == Some(wanted.as_str())
                    && image_count(p).is_none_or(|n| n == post.media.len())
            });
            if let Some(urn) = found.and_then(|p| p["id"].as_str()) {
                journal.record("post", urn);
                return Lookup::Found { remote_id: urn.to_string(), url: Some(post_url(urn)) };
            }
            let reached_older = elements.iter().any(|p| {
                let modified = p["lastModifiedAt"].as_i64().or_else(|| p["createdAt"].as_i64());
                modified.is_some_and(|t| t < since_ms)
            });
            start += elements.len();
            let total = listing["paging"]["total"].as_u64().and_then(|t| usize::try_from(t).ok());
            // LinkedIn may send fewer than `count` without being at the end: only an empty page,
            // the total, or an older post ends the list.
            if elements.is_empty() || reached_older || total.is_some_and(|t| start >= t) {
                return Lookup::NotFound;
            }
        }
        too_many_posts("LinkedIn", PAGE_SIZE, since)
    }

    async fn probe(&self, http: &Boundary) -> Result<String, Outcome> {
        match Author::parse(&self.author) {
            Ok(Author::Person(id)) => self.probe_person(&id, http).await,
            Ok(Author::Organization(id)) => self.probe_organization(&id, http).await,
            Err(why) => Err(Outcome::Rejected { platform_message: String::new(), explanation: why }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authors_are_person_or_organization_urns() {
        assert_eq!(Author::parse("urn:li:organization:2414183"), Ok(Author::Organization("2414183".into())));
        assert_eq!(Author::parse(" urn:li:person:x7Qm2bTq9L "), Ok(Author::Person("x7Qm2bTq9L".into())));
        assert!(Author::parse("urn:li:organization:hs4a").unwrap_err().contains("is a number"));
        assert!(Author::parse("urn:li:company:2414183").unwrap_err().contains("urn:li:organization:"));
        let plain = Author::parse("humansecurityforall").unwrap_err();
        assert!(plain.starts_with("`humansecurityforall` is not a LinkedIn author"), "{plain}");
        assert!(check_author(None).unwrap_err().contains("needs `account`"));
    }

    #[test]
    fn one_image_is_media_and_several_are_a_multi_image() {
        let author = Author::Organization("1".into());
        let text = Client::post_body(&author, "Hi (all)", &[]);
        assert_eq!(text["commentary"], "Hi \\(all\\)");
        assert_eq!(text["distribution"]["feedDistribution"], "MAIN_FEED");
        assert!(text.get("content").is_none());
        let one = Client::post_body(&author, "x", &[("urn:li:image:A".into(), Some("alt A".into()))]);
        assert_eq!(one["content"], serde_json::json!({"media": {"id": "urn:li:image:A", "altText": "alt A"}}));
        let two = Client::post_body(
            &author,
            "x",
            &[("urn:li:image:A".into(), None), ("urn:li:image:B".into(), Some("b".into()))],
        );
        assert_eq!(
            two["content"],
            serde_json::json!({"multiImage": {"images": [{"id": "urn:li:image:A"}, {"id": "urn:li:image:B", "altText": "b"}]}})
        );
    }

    #[test]
    fn the_token_only_goes_to_linkedin_or_the_configured_host() {
        let base = "https://api.linkedin.com";
        assert!(may_carry_token("https://www.linkedin.com/dms-uploads/sp/v2/D4E10AQ/x?ca=1", base));
        assert!(may_carry_token("http://127.0.0.1:4000/dms-uploads/1", "http://127.0.0.1:4000/"));
        assert!(!may_carry_token("http://www.linkedin.com/dms-uploads/1", base), "not over plain http");
        assert!(!may_carry_token("https://linkedin.com.evil.example/x", base));
        assert!(!may_carry_token("https://www.linkedin.com@evil.example/x", base));
        assert!(!may_carry_token("http://127.0.0.1:40001/x", "http://127.0.0.1:4000"));
    }
}
