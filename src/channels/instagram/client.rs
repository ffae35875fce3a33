//! Instagram's content publishing calls, through the boundary: the account's publishing quota
//! (`GET /{ig-user-id}/content_publishing_limit`), one media container per image
//! (`POST /{ig-user-id}/media`, with a `CAROUSEL` parent for several), the container's status until
//! `FINISHED` (`GET /{container-id}?fields=status_code,status`), then `POST /{ig-user-id}/media_publish`
//! and the post's permalink.
//!
//! Every container id goes into the journal as soon as it exists (`container.N`, `carousel`), and the
//! published media id as `published`, so a later attempt resumes with the same containers. Instagram
//! has no idempotency key; a container whose status is `PUBLISHED` is the proof that an earlier
//! `media_publish` went through, so it is read before anything is published again.
//!
//! The access token travels in the `Authorization: Bearer` header on both hosts (never in a URL; the
//! one exception is Instagram Login's token refresh, in [`super::token`], whose endpoint takes it there).
//! For graph.facebook.com this is established Graph API behaviour (client libraries such as restfb
//! and huandu/facebook send it so); for graph.instagram.com Meta's own samples show it on the
//! Instagram Login messaging endpoints, and the publishing endpoints are assumed to accept it the
//! same way (UNCONFIRMED for publishing specifically).

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::channels::adapter::{Adapter, Journal, Lookup, Outgoing, Upkeep, same_text_key};
use crate::config::Channel;
use crate::dispatch::boundary::{Boundary, SendError};
use crate::dispatch::http::{HeaderValue, Method, Request, Response, percent_encode};
use crate::dispatch::outcome::Outcome;
use crate::secrets::Secret;
use crate::tokens::TokenStore;

use super::classify::{self, classify};
use super::token::Session;

/// The host of the Instagram API with Facebook Login (`auth = "facebook-login"`, the default).
pub const FACEBOOK_LOGIN_HOST: &str = "https://graph.facebook.com";
/// The host of the Instagram API with Instagram Login (`auth = "instagram-login"`).
pub const INSTAGRAM_LOGIN_HOST: &str = "https://graph.instagram.com";
/// Shown in the URLs of a dry run whose channel has no `account` yet (a channel with credentials
/// always has one: the configuration check requires it).
pub const MISSING_ACCOUNT: &str = "IG_USER_ID";

/// An Instagram carousel holds at most this many items.
const MAX_ITEMS: usize = 10;
/// Journal step: the published media id.
const PUBLISHED: &str = "published";
/// Journal step: the carousel's parent container.
const CAROUSEL: &str = "carousel";

/// An Instagram professional account, ready to publish.
#[derive(Debug, Clone)]
pub struct Client {
    /// The API host (no version), or a fake's address in tests.
    pub base_url: String,
    /// The Graph API version in every path (`v25.0`).
    pub api_version: String,
    /// The Instagram user id of the professional account.
    pub account: String,
    pub token: Secret,
    /// With Instagram Login: the token in use, refreshed before it runs out (then `token` is only
    /// the configured one).
    pub refresh: Option<Arc<Session>>,
    /// How long to wait between two reads of a container's status.
    pub poll_interval: Duration,
    /// How many times a container's status is read before the attempt gives up (the container is
    /// kept, and the next attempt continues with it).
    pub max_polls: u32,
}

/// A container's `status_code`.
#[derive(Debug, Clone, PartialEq, Eq)]
enum ContainerState {
    Finished,
    Published,
    InProgress,
    /// `ERROR`, with the `status` text (which carries the subcode).
    Error(String),
    Expired,
    Other(String),
}

impl Client {
    /// The client for `channel`: the host follows its `auth` unless `base_url` overrides it.
    /// With Instagram Login, refreshed tokens are kept in `tokens`.
    pub fn for_channel(channel: &Channel, token: Secret, tokens: &TokenStore) -> Self {
        let instagram_login = channel.auth.name == "instagram-login";
        let host = if instagram_login { INSTAGRAM_LOGIN_HOST } else { FACEBOOK_LOGIN_HOST };
        let base_url = channel.base_url.clone().unwrap_or_else(|| host.to_string());
        let refresh = instagram_login.then(|| {
            Arc::new(Session::new(&channel.name, &base_url, token.clone(), channel.token_expires, tokens.clone()))
        });
        Self {
            base_url,
            api_version: channel.api_version().to_string(),
            account: channel.account.clone().unwrap_or_else(|| MISSING_ACCOUNT.to_string()),
            token,
            refresh,
            poll_interval: Duration::from_secs(60),
            max_polls: 5,
        }
    }

    /// `{base}/{version}/{path}`.
    fn url(&self, path: &str) -> String {
        format!("{}/{}/{path}", self.base_url.trim_end_matches('/'), self.api_version)
    }

    /// The account's id as a path segment.
    fn user(&self) -> String {
        percent_encode(&self.account)
    }

    fn authorized(&self, method: Method, path: &str) -> Request {
        let token = self.refresh.as_ref().map_or_else(|| self.token.clone(), |s| s.current());
        Request::new(method, self.url(path)).secret_header("authorization", token.bearer())
    }

    /// A `POST` with its parameters as form fields.
    fn form(&self, path: &str, fields: Vec<(&str, String)>) -> Request {
        let fields = fields.into_iter().map(|(k, v)| (k.to_string(), HeaderValue::Plain(v))).collect();
        self.authorized(Method::Post, path).form(fields)
    }

    /// Sends a request that changes nothing public (a read, or a container, which stays private until
    /// published): an error answer is classified, and no answer at all is worth a retry.
    async fn step(
        &self,
        http: &Boundary,
        req: Request,
        placeholder: impl FnOnce(&Request) -> Response,
    ) -> Result<serde_json::Value, Outcome> {
        match http.send(req, placeholder).await {
            Ok(r) if r.is_success() => Ok(r.json()),
            Ok(r) => Err(classify(&r)),
            Err(e) => Err(Outcome::RetryLater { after: None, reason: e.to_string() }),
        }
    }

    /// Whether the account may publish now (`content_publishing_limit`). An answer without the
    /// numbers does not stop the post: `media_publish` enforces the cap anyway.
    async fn check_quota(&self, http: &Boundary) -> Result<(), Outcome> {
        let req = self
            .authorized(Method::Get, &format!("{}/content_publishing_limit?fields=quota_usage,config", self.user()));
        let placeholder = |_: &Request| {
            Response::new(200, r#"{"data":[{"quota_usage":0,"config":{"quota_total":50,"quota_duration":86400}}]}"#)
        };
        let body = self.step(http, req, placeholder).await?;
        let limit = &body["data"][0];
        if let (Some(used), Some(total)) = (limit["quota_usage"].as_u64(), limit["config"]["quota_total"].as_u64())
            && used >= total
        {
            let hours = limit["config"]["quota_duration"].as_u64().unwrap_or(86_400) / 3600;
            return Err(Outcome::RetryLater {
                after: None,
                reason: format!(
                    "the account has used its Instagram publishing limit ({used} of {total} posts published through the API in the last {hours} hours); it frees up as the oldest of those posts leave the window"
                ),
            });
        }
        Ok(())
    }

    /// Creates one container; returns its id.
    async fn create_container(
        &self,
        http: &Boundary,
        fields: Vec<(&str, String)>,
        placeholder_id: u64,
    ) -> Result<String, Outcome> {
        let req = self.form(&format!("{}/media", self.user()), fields);
        let body = self.step(http, req, |_| Response::new(200, format!(r#"{{"id":"{placeholder_id}"}}"#))).await?;
        body["id"].as_str().map(str::to_string).ok_or_else(|| Outcome::Rejected {
            platform_message: body.to_string(),
            explanation: "Instagram answered the container request without an id".into(),
        })
    }

    /// Reads a container's status once.
    async fn status(&self, container: &str, http: &Boundary) -> Result<ContainerState, Outcome> {
        let req = self.authorized(Method::Get, &format!("{}?fields=status_code,status", percent_encode(container)));
        let placeholder = |_: &Request| {
            Response::new(
                200,
                format!(
                    r#"{{"status_code":"FINISHED","status":"Finished: Media has been uploaded and it is ready to be published.","id":"{container}"}}"#
                ),
            )
        };
        let body = self.step(http, req, placeholder).await?;
        let text = body["status"].as_str().unwrap_or_default().to_string();
        Ok(match body["status_code"].as_str().unwrap_or_default() {
            "FINISHED" => ContainerState::Finished,
            "PUBLISHED" => ContainerState::Published,
            "IN_PROGRESS" => ContainerState::InProgress,
            "ERROR" => ContainerState::Error(text),
            "EXPIRED" => ContainerState::Expired,
            other => ContainerState::Other(other.to_string()),
        })
    }

    /// Reads a container's status until it is no longer `IN_PROGRESS`, at most `max_polls` times.
    async fn wait(&self, container: &str, http: &Boundary) -> Result<ContainerState, Outcome> {
        let mut state = ContainerState::InProgress;
        for poll in 0..self.max_polls.max(1) {
            if poll > 0 {
                tokio::time::sleep(self.poll_interval).await;
            }
            state = self.status(container, http).await?;
            if state != ContainerState::InProgress {
                break;
            }
        }
        Ok(state)
    }

    /// Waits for `container` to be ready to publish (or to be part of a carousel). `PUBLISHED` is
    /// answered as `Ok(true)`. Containers that can no longer be published are forgotten.
    async fn ready(
        &self,
        container: &str,
        journal: &mut Journal<'_>,
        items: usize,
        http: &Boundary,
    ) -> Result<bool, Outcome> {
        match self.wait(container, http).await? {
            ContainerState::Finished => Ok(false),
            ContainerState::Published => Ok(true),
            ContainerState::InProgress => Err(Outcome::RetryLater {
                after: Some(self.poll_interval),
                reason: format!(
                    "Instagram is still preparing the post (container {container} was IN_PROGRESS at each of {} checks); the next attempt continues with the same container",
                    self.max_polls.max(1)
                ),
            }),
            ContainerState::Error(text) => {
                forget_containers(journal, items);
                Err(classify::container_error(&text))
            }
            ContainerState::Expired => {
                forget_containers(journal, items);
                Err(Outcome::RetryLater {
                    after: None,
                    reason: format!(
                        "the Instagram container {container} expired before it was published (containers last 24 hours); the next attempt makes a new one"
                    ),
                })
            }
            ContainerState::Other(code) => Err(Outcome::Rejected {
                platform_message: code,
                explanation: format!("Instagram gave container {container} a status herald does not know"),
            }),
        }
    }

    /// Creates (or takes from the journal) every container of the post, waits for them, and returns
    /// the container to publish with whether it is already `PUBLISHED`.
    async fn containers(
        &self,
        images: &[(String, Option<String>)],
        caption: &str,
        journal: &mut Journal<'_>,
        http: &Boundary,
    ) -> Result<(String, bool), Outcome> {
        let carousel = images.len() > 1;
        let mut ids = Vec::new();
        for (i, (url, alt)) in images.iter().enumerate() {
            let step = format!("container.{i}");
            if let Some(id) = journal.get(&step) {
                ids.push(id.to_string());
                continue;
            }
            let mut fields = vec![("image_url", url.clone())];
            if carousel {
                fields.push(("is_carousel_item", "true".into()));
            } else {
                fields.push(("caption", caption.to_string()));
            }
            if let Some(alt) = alt.as_deref().filter(|a| !a.trim().is_empty()) {
                fields.push(("alt_text", alt.to_string()));
            }
            let id = self.create_container(http, fields, 17_900_000_000_000_000 + i as u64).await?;
            journal.record(&step, &id);
            ids.push(id);
        }
        if !carousel {
            let id = ids.swap_remove(0);
            let published = self.ready(&id, journal, images.len(), http).await?;
            return Ok((id, published));
        }
        let parent = match journal.get(CAROUSEL) {
            Some(id) => id.to_string(),
            None => {
                // The carousel refers to its items: each must be ready first ("Media ID is not available").
                for id in &ids {
                    self.ready(id, journal, images.len(), http).await?;
                }
                let fields = vec![
                    ("media_type", "CAROUSEL".into()),
                    ("children", ids.join(",")),
                    ("caption", caption.to_string()),
                ];
                let id = self.create_container(http, fields, 17_900_000_000_000_100).await?;
                journal.record(CAROUSEL, &id);
                id
            }
        };
        let published = self.ready(&parent, journal, images.len(), http).await?;
        Ok((parent, published))
    }

    /// `POST /{ig-user-id}/media_publish`: the one public step.
    async fn media_publish(
        &self,
        container: &str,
        journal: &mut Journal<'_>,
        items: usize,
        http: &Boundary,
    ) -> Outcome {
        let req = self.form(&format!("{}/media_publish", self.user()), vec![("creation_id", container.to_string())]);
        let placeholder = |_: &Request| Response::new(200, r#"{"id":"17950000000000000"}"#);
        match http.send(req, placeholder).await {
            Ok(r) if r.is_success() => match r.json()["id"].as_str() {
                Some(id) => {
                    journal.record(PUBLISHED, id);
                    self.published(id, http).await
                }
                None => Outcome::Unknown {
                    reason: format!(
                        "Instagram accepted the publish of container {container} without giving the post's id"
                    ),
                },
            },
            Ok(r) => {
                journal.note_public_answer(&r);
                if classify::error_subcode(&r) == Some(classify::EXPIRED) {
                    forget_containers(journal, items);
                }
                classify(&r)
            }
            Err(SendError::NotSent(reason)) => Outcome::RetryLater { after: None, reason },
            Err(e @ SendError::Lost(_)) => Outcome::Unknown {
                reason: format!("{e} (container {container}: its status tells whether the post went out)"),
            },
        }
    }

    /// The outcome for a published media id, with its permalink when Instagram gives it (a failed
    /// read leaves the URL out: the post is live all the same).
    async fn published(&self, media_id: &str, http: &Boundary) -> Outcome {
        Outcome::Published { remote_id: media_id.to_string(), url: self.permalink(media_id, http).await }
    }

    async fn permalink(&self, media_id: &str, http: &Boundary) -> Option<String> {
        let req = self.authorized(Method::Get, &format!("{}?fields=permalink", percent_encode(media_id)));
        let placeholder = |_: &Request| {
            Response::new(200, format!(r#"{{"permalink":"https://www.instagram.com/p/DRYRUN/","id":"{media_id}"}}"#))
        };
        let body = self.step(http, req, placeholder).await.ok()?;
        body["permalink"].as_str().map(str::to_string)
    }

    /// Finds the post of a `PUBLISHED` container on the account: the newest media since `since` (two
    /// minutes of clock skew allowed) whose caption is the post's. Records it as `published`.
    async fn locate(
        &self,
        post: &Outgoing<'_>,
        journal: &mut Journal<'_>,
        since: DateTime<Utc>,
        http: &Boundary,
    ) -> Lookup {
        let req = self.authorized(Method::Get, &format!("{}/media?fields=id,caption,permalink,timestamp", self.user()));
        let body = match self.step(http, req, |_| Response::new(200, r#"{"data":[]}"#)).await {
            Ok(b) => b,
            Err(o) => return Lookup::Unavailable { reason: o.to_string() },
        };
        let wanted = same_text_key(&post.full_text());
        let earliest = since - chrono::Duration::minutes(2);
        let found = body["data"].as_array().into_iter().flatten().find(|m| {
            // A media without a readable timestamp is judged by its caption alone.
            let recent = m["timestamp"].as_str().and_then(parse_timestamp).is_none_or(|at| at >= earliest);
            recent && m["caption"].as_str().map(same_text_key).as_deref() == Some(wanted.as_str())
        });
        match found.and_then(|m| Some((m["id"].as_str()?.to_string(), m["permalink"].as_str().map(str::to_string)))) {
            Some((id, url)) => {
                journal.record(PUBLISHED, &id);
                Lookup::Found { remote_id: id, url }
            }
            None => Lookup::NotFound,
        }
    }
}

/// Each image's public URL with its alt text, or why the post cannot go to Instagram.
fn images(post: &Outgoing<'_>) -> Result<Vec<(String, Option<String>)>, Outcome> {
    let refuse = |explanation: String| Outcome::Rejected { platform_message: String::new(), explanation };
    if post.media.is_empty() {
        return Err(refuse("every Instagram post needs an image: add one to the post".into()));
    }
    if post.media.len() > MAX_ITEMS {
        return Err(refuse(format!(
            "Instagram carousels hold at most {MAX_ITEMS} images; this post has {}",
            post.media.len()
        )));
    }
    post.media
        .iter()
        .map(|m| match post.media_url(m) {
            Some(url) => Ok((url, m.alt.clone())),
            None => Err(refuse(format!(
                "Instagram fetches images from a public web address, and channel `{}` has no `media_base_url`: set it to the address where the campaigns folder is served (e.g. media_base_url = \"https://media.example.org/campaigns\")",
                post.channel.name
            ))),
        })
        .collect()
}

/// The journal step of the container that is published: the image's, or the carousel's.
fn publish_step(items: usize) -> String {
    if items > 1 { CAROUSEL.to_string() } else { "container.0".to_string() }
}

/// Forgets the containers of a post (expired, or failed): the next attempt makes new ones.
fn forget_containers(journal: &mut Journal<'_>, items: usize) {
    for i in 0..items {
        journal.forget(&format!("container.{i}"));
    }
    journal.forget(CAROUSEL);
}

/// Graph API timestamps: `2027-03-22T13:00:00+0000`.
fn parse_timestamp(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%z")
        .or_else(|_| DateTime::parse_from_rfc3339(s))
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

impl Adapter for Client {
    /// Refreshes an Instagram Login token when it is due. Facebook Login has nothing to do: its
    /// token is refreshed by the person who made it (see the README).
    async fn upkeep(&self, http: &Boundary) -> Upkeep {
        let Some(session) = &self.refresh else { return Upkeep::Nothing };
        let done = session.keep_fresh(http).await;
        // Also a failure met by a publish since the last round: a person hears of it once.
        match session.take_alert() {
            Some(reason) => Upkeep::Failed { reason, needs_person: true },
            None => done,
        }
    }

    async fn probe(&self, http: &Boundary) -> Result<String, Outcome> {
        let req = self.authorized(Method::Get, &format!("{}?fields=username", self.user()));
        let account = self.account.clone();
        let placeholder =
            move |_: &Request| Response::new(200, format!(r#"{{"username":"dry-run","id":"{account}"}}"#));
        let body = self.step(http, req, placeholder).await?;
        Ok(format!("authenticated as @{}", body["username"].as_str().unwrap_or("?")))
    }

    async fn publish(&self, post: &Outgoing<'_>, journal: &mut Journal<'_>, http: &Boundary) -> Outcome {
        if let Some(id) = journal.get(PUBLISHED).map(str::to_string) {
            return self.published(&id, http).await;
        }
        // A refresh that is due goes first; one that fails leaves the current token in use (and an
        // alert for the daemon's upkeep to report).
        if let Some(session) = &self.refresh
            && let Upkeep::Failed { reason, .. } = session.keep_fresh(http).await
        {
            tracing::warn!(account = %self.account, "{reason}");
        }
        let _token_in_use = match &self.refresh {
            Some(session) => Some(session.hold().await),
            None => None,
        };
        let images = match images(post) {
            Ok(i) => i,
            Err(o) => return o,
        };
        // An earlier attempt's container may have been published already (its answer lost): then
        // nothing is sent again.
        if let Some(container) = journal.get(&publish_step(images.len())).map(str::to_string)
            && let Ok(ContainerState::Published) = self.status(&container, http).await
        {
            return self.published_container(post, journal, &container, http).await;
        }
        if let Err(o) = self.check_quota(http).await {
            return o;
        }
        let (container, already) = match self.containers(&images, &post.full_text(), journal, http).await {
            Ok(c) => c,
            Err(o) => return o,
        };
        if already {
            return self.published_container(post, journal, &container, http).await;
        }
        self.media_publish(&container, journal, images.len(), http).await
    }

    /// Reads the status of the container the lost attempt published: `PUBLISHED` means the post is
    /// live (found on the account by its caption); any other status means it is not, and publishing
    /// again (with the same containers) is safe.
    async fn find_existing(
        &self,
        post: &Outgoing<'_>,
        journal: &mut Journal<'_>,
        since: DateTime<Utc>,
        http: &Boundary,
    ) -> Lookup {
        if let Some(id) = journal.get(PUBLISHED).map(str::to_string) {
            let url = self.permalink(&id, http).await;
            return Lookup::Found { remote_id: id, url };
        }
        let Some(container) = journal.get(&publish_step(post.media.len())).map(str::to_string) else {
            // No container to publish was ever made: media_publish was never sent.
            return Lookup::NotFound;
        };
        match self.status(&container, http).await {
            Ok(ContainerState::Published) => match self.locate(post, journal, since, http).await {
                Lookup::NotFound => Lookup::Unavailable {
                    reason: format!(
                        "Instagram says container {container} is published, but no post with this caption was found on the account"
                    ),
                },
                other => other,
            },
            Ok(ContainerState::Other(code)) => {
                Lookup::Unavailable { reason: format!("container {container} has an unknown status {code}") }
            }
            Ok(_) => Lookup::NotFound,
            Err(o) => Lookup::Unavailable { reason: o.to_string() },
        }
    }
}

impl Client {
    /// The outcome of a container found `PUBLISHED` by a later attempt.
    async fn published_container(
        &self,
        post: &Outgoing<'_>,
        journal: &mut Journal<'_>,
        container: &str,
        http: &Boundary,
    ) -> Outcome {
        // The post is at most as old as its container, and containers live 24 hours unless published:
        // an older post with the same caption (a yearly repeat) is not this one.
        let since = Utc::now() - chrono::Duration::hours(24);
        match self.locate(post, journal, since, http).await {
            Lookup::Found { remote_id, url } => Outcome::Published { remote_id, url },
            Lookup::NotFound => Outcome::Unknown {
                reason: format!(
                    "Instagram says container {container} is already published, but no post with this caption was found on the account"
                ),
            },
            Lookup::Unavailable { reason } => Outcome::Unknown {
                reason: format!("container {container} is already published; its post could not be read: {reason}"),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::channels::Platform;

    fn store() -> TokenStore {
        TokenStore::new(std::path::Path::new(".herald"))
    }

    #[test]
    fn the_host_follows_the_sign_in_unless_the_channel_overrides_it() {
        let mut ch = Channel::new("instagram", Platform::Instagram, "@hs4a");
        ch.account = Some("17841400000000000".into());
        let c = Client::for_channel(&ch, Secret::new("t"), &store());
        assert_eq!(c.base_url, FACEBOOK_LOGIN_HOST);
        assert_eq!(c.url("17841400000000000/media"), "https://graph.facebook.com/v25.0/17841400000000000/media");
        ch.auth = &Platform::Instagram.rules().auth[1];
        assert_eq!(ch.auth.name, "instagram-login");
        assert_eq!(Client::for_channel(&ch, Secret::new("t"), &store()).base_url, INSTAGRAM_LOGIN_HOST);
        ch.base_url = Some("http://127.0.0.1:9/".into());
        ch.api_version = Some("v26.0".into());
        let c = Client::for_channel(&ch, Secret::new("t"), &store());
        assert_eq!(c.url("me"), "http://127.0.0.1:9/v26.0/me");
        assert_eq!((c.poll_interval, c.max_polls), (Duration::from_secs(60), 5));
    }

    #[test]
    fn the_token_is_a_secret_header_never_in_the_url() {
        let ch = Channel::new("instagram", Platform::Instagram, "@hs4a");
        let c = Client::for_channel(&ch, Secret::new("IGQVJ-token"), &store());
        let req = c.form("IG_USER_ID/media", vec![("caption", "hi".into())]);
        assert!(!req.url.contains("IGQVJ"));
        assert_eq!(req.headers, vec![("authorization".into(), HeaderValue::Secret(Secret::new("Bearer IGQVJ-token")))]);
        assert!(req.redacted().contains("authorization: ***") && !req.redacted().contains("IGQVJ"));
    }

    #[test]
    fn captions_match_whatever_the_whitespace_and_graph_timestamps_parse() {
        assert_eq!(same_text_key("Water is life.\n\n#HS4A "), same_text_key("Water is life. #HS4A"));
        assert_ne!(same_text_key("Water is life."), same_text_key("Water is peace."));
        let t = parse_timestamp("2027-03-22T13:00:00+0000").unwrap();
        assert_eq!(t.to_rfc3339(), "2027-03-22T13:00:00+00:00");
        assert!(parse_timestamp("yesterday").is_none());
    }
}
