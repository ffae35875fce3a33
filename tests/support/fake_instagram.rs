//! A stateful fake of Instagram's content publishing API (Graph API) on 127.0.0.1.
//!
//! It checks requests the way Meta does: the `/{version}/` prefix, the `Authorization: Bearer` token,
//! the account id in the path, form-encoded bodies with only known fields, an absolute `image_url`,
//! a caption of at most 2,200 characters, carousel children that exist, are carousel items and are
//! ready, and `media_publish` only for a `FINISHED` container, once. Errors come in the Graph API
//! envelope. It records what was published, and can be scripted: throttling with
//! `X-Business-Use-Case-Usage`, server errors, a hang after accepting, an expired token, a container
//! stuck `IN_PROGRESS`, a used-up publishing quota, expired containers.
//!
//! It also serves Instagram Login's `GET /refresh_access_token` (unversioned, the token in the query,
//! as Meta documents it): only a working token at least 24 hours old is refreshed, and the answer is
//! a new token good for 60 days. The fake is stricter than Meta may be: the old token stops working
//! at once, so a client that keeps using it is caught.
//!
//! Self-contained (no `super::`), so `examples/fake-platforms.rs` can include it by path.

#![allow(dead_code)]

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use herald::channels::instagram::client::Client;
use herald::secrets::Secret;
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Respond, ResponseTemplate};

/// The professional account's Instagram user id.
pub const ACCOUNT: &str = "17841400000000000";
/// The only token the fake accepts.
pub const TOKEN: &str = "IGQVJfake-instagram-token-0005";
pub const USERNAME: &str = "humansecurityforall";
/// The API version the fake serves.
pub const VERSION: &str = "v25.0";
/// Meta's cap of API-published posts per rolling 24 hours (the content_publishing_limit reference
/// says "currently 50").
pub const QUOTA_TOTAL: u64 = 50;
/// A caption's maximum length, in characters.
pub const CAPTION_LIMIT: usize = 2200;

/// Which requests a scripted failure applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum At {
    Any,
    /// `GET /{ig-user-id}/content_publishing_limit`
    Limit,
    /// `POST /{ig-user-id}/media`
    Create,
    /// `GET /{container-id}?fields=status_code,...`
    Status,
    /// `POST /{ig-user-id}/media_publish`
    Publish,
    /// `GET /refresh_access_token`
    Refresh,
}

/// A failure to answer the next matching request with.
#[derive(Debug, Clone)]
pub enum Script {
    /// Code 80002 (too many calls to this Instagram account) with `X-Business-Use-Case-Usage`
    /// giving `estimated_time_to_regain_access`; Meta sends it with HTTP 400 (observed) or 429.
    Throttled { status: u16, regain_minutes: u64 },
    /// HTTP 500, code 2 ("An unexpected error has occurred").
    ServerError,
    /// Do the request, then answer only after this long (longer than the client waits).
    Hang(Duration),
}

/// A post made by `media_publish`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Posted {
    pub id: String,
    pub caption: String,
    pub image_urls: Vec<String>,
    pub alt_texts: Vec<Option<String>>,
    /// The container that was published.
    pub container: String,
    pub permalink: String,
    pub published_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    Finished,
    Published,
    Expired,
}

#[derive(Debug, Clone)]
struct Container {
    id: String,
    image_url: Option<String>,
    alt_text: Option<String>,
    caption: String,
    carousel_item: bool,
    children: Vec<String>,
    /// Status reads left before the container is FINISHED.
    in_progress: u32,
    state: State,
}

#[derive(Default)]
struct Inner {
    containers: Vec<Container>,
    posts: Vec<Posted>,
    script: VecDeque<(At, Script)>,
    rejected: Vec<String>,
    requests: Vec<String>,
    quota_used: u64,
    /// `None`: [`QUOTA_TOTAL`].
    quota_total: Option<u64>,
    token_expired: bool,
    next_in_progress: u32,
    /// The token that works now (`None`: [`TOKEN`]) and when it was issued.
    token: Option<String>,
    token_issued: Option<chrono::DateTime<chrono::Utc>>,
    refreshes: u32,
}

impl Inner {
    fn token(&self) -> &str {
        self.token.as_deref().unwrap_or(TOKEN)
    }
}

pub struct FakeInstagram {
    pub server: MockServer,
    state: Arc<Mutex<Inner>>,
}

impl FakeInstagram {
    pub async fn start() -> Self {
        let server = MockServer::start().await;
        let state = Arc::new(Mutex::new(Inner::default()));
        Mock::given(any()).respond_with(Router { state: state.clone() }).mount(&server).await;
        Self { server, state }
    }

    pub fn uri(&self) -> String {
        self.server.uri()
    }

    /// A client for the fake's account, polling every few milliseconds.
    pub fn client(&self) -> Client {
        Client {
            base_url: self.uri(),
            api_version: VERSION.into(),
            account: ACCOUNT.into(),
            token: Secret::new(TOKEN),
            refresh: None,
            poll_interval: Duration::from_millis(5),
            max_polls: 3,
        }
    }

    /// The `config/herald.toml` channel that points a project at the fake, with the token read from
    /// `env_var`. The fake never downloads images, so any public-looking `media_base_url` does.
    pub fn channel_config(&self, name: &str, env_var: &str) -> String {
        format!(
            "[channels.{name}]\nplatform = \"instagram\"\nhandle = \"@{USERNAME}\"\naccount = \"{ACCOUNT}\"\nbase_url = \"{}\"\nmedia_base_url = \"https://media.example.org/campaigns\"\n[channels.{name}.credentials]\naccess_token = \"env:{env_var}\"\n",
            self.uri()
        )
    }

    pub fn script(&self, at: At, s: Script) {
        self.lock().script.push_back((at, s));
    }

    /// The token expires: every request from now on is refused with code 190.
    pub fn expire_token(&self) {
        self.lock().token_expired = true;
    }

    /// The working token was issued just now: Meta refuses to refresh it for 24 hours.
    pub fn token_issued_now(&self) {
        self.lock().token_issued = Some(chrono::Utc::now());
    }

    /// The token that works now ([`TOKEN`] until a refresh).
    pub fn current_token(&self) -> String {
        self.lock().token().to_string()
    }

    /// How many times a token was refreshed.
    pub fn refreshes(&self) -> u32 {
        self.lock().refreshes
    }

    /// The next container created stays `IN_PROGRESS` for this many status reads.
    pub fn next_container_in_progress_for(&self, reads: u32) {
        self.lock().next_in_progress = reads;
    }

    /// Sets the 24-hour publishing quota (benchmarks publish more than Meta's 50 a day).
    pub fn set_quota_total(&self, n: u64) {
        self.lock().quota_total = Some(n);
    }

    /// Counts `n` more posts against the 24-hour publishing quota.
    pub fn use_quota(&self, n: u64) {
        self.lock().quota_used += n;
    }

    /// Every container not yet published expires (as after 24 hours).
    pub fn expire_containers(&self) {
        for c in &mut self.lock().containers {
            if c.state == State::Finished {
                c.state = State::Expired;
                c.in_progress = 0;
            }
        }
    }

    pub fn posts(&self) -> Vec<Posted> {
        self.lock().posts.clone()
    }

    /// How many containers were created (images, carousel items and carousels).
    pub fn containers_created(&self) -> usize {
        self.lock().containers.len()
    }

    /// Every request received, as `METHOD /path?query`.
    pub fn requests(&self) -> Vec<String> {
        self.lock().requests.clone()
    }

    /// Why requests were refused as malformed (should stay empty).
    pub fn rejected(&self) -> Vec<String> {
        self.lock().rejected.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A Graph API error, in Meta's envelope.
fn graph_error(
    status: u16,
    code: i64,
    subcode: Option<i64>,
    message: &str,
    user_msg: Option<&str>,
) -> ResponseTemplate {
    let mut error = serde_json::json!({
        "message": message,
        "type": "OAuthException",
        "is_transient": false,
        "code": code,
        "fbtrace_id": "AzFakeTrace0123456789"
    });
    if let Some(s) = subcode {
        error["error_subcode"] = s.into();
    }
    if let Some(m) = user_msg {
        error["error_user_msg"] = m.into();
    }
    ResponseTemplate::new(status).set_body_json(serde_json::json!({ "error": error }))
}

fn ok(body: serde_json::Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(body)
}

/// A request refused as malformed: recorded, answered with code 100 (Invalid parameter).
fn malformed(inner: &mut Inner, why: String) -> ResponseTemplate {
    inner.rejected.push(why.clone());
    graph_error(400, 100, None, "(#100) Invalid parameter", Some(&why))
}

fn no_object(id: &str, method: &str) -> ResponseTemplate {
    graph_error(
        400,
        100,
        Some(33),
        &format!(
            "Unsupported {method} request. Object with ID '{id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation."
        ),
        None,
    )
}

/// `application/x-www-form-urlencoded` pairs.
fn parse_form(body: &[u8]) -> Vec<(String, String)> {
    let text = String::from_utf8_lossy(body);
    text.split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(k), decode(v))
        })
        .collect()
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match s.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(h, 16).ok()) {
                Some(b) => {
                    out.push(b);
                    i += 2;
                }
                None => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// An absolute `http(s)://host/...` address, as Meta needs to fetch the image.
fn is_absolute_url(url: &str) -> bool {
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"));
    match rest {
        Some(rest) => {
            let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
            !host.is_empty() && !url.contains(char::is_whitespace)
        }
        None => false,
    }
}

struct Router {
    state: Arc<Mutex<Inner>>,
}

impl Respond for Router {
    fn respond(&self, req: &wiremock::Request) -> ResponseTemplate {
        let mut inner = self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let query = req.url.query().map(|q| format!("?{q}")).unwrap_or_default();
        inner.requests.push(format!("{} {}{query}", req.method, req.url.path()));
        if req.url.path() == "/refresh_access_token" {
            if let Some(i) = inner.script.iter().position(|(at, _)| *at == At::Refresh) {
                inner.script.remove(i);
                return ResponseTemplate::new(500).set_body_json(serde_json::json!({"error": {
                    "message": "An unexpected error has occurred. Please retry your request later.",
                    "type": "OAuthException", "is_transient": true, "code": 2, "fbtrace_id": "AzFakeTrace0123456789"
                }}));
            }
            return refresh(&mut inner, req);
        }
        if let Some(refusal) = authenticate(&mut inner, req) {
            return refusal;
        }
        let segments: Vec<String> = req.url.path().trim_start_matches('/').split('/').map(decode).collect();
        let Some((version, rest)) = segments.split_first() else {
            return malformed(&mut inner, "empty path".into());
        };
        if version != VERSION {
            inner.rejected.push(format!("version {version}"));
            return graph_error(400, 2500, None, &format!("Unknown path components: /{version}"), None);
        }
        let method = req.method.as_str();
        let endpoint = match (method, rest.iter().map(String::as_str).collect::<Vec<_>>().as_slice()) {
            ("GET", [_, "content_publishing_limit"]) => At::Limit,
            ("POST", [_, "media"]) => At::Create,
            ("POST", [_, "media_publish"]) => At::Publish,
            ("GET", [id]) if inner.containers.iter().any(|c| c.id == *id) => At::Status,
            _ => At::Any,
        };
        let mut delay = None;
        if let Some(i) = inner.script.iter().position(|(at, _)| *at == At::Any || *at == endpoint) {
            let (_, script) = inner.script.remove(i).unwrap_or((At::Any, Script::ServerError));
            match script {
                Script::Throttled { status, regain_minutes } => {
                    let usage = serde_json::json!({ ACCOUNT: [{
                        "type": "instagram", "call_count": 100, "total_cputime": 14, "total_time": 17,
                        "estimated_time_to_regain_access": regain_minutes
                    }]});
                    return graph_error(
                        status,
                        80002,
                        None,
                        "There have been too many calls to this Instagram account. Wait a bit and try again. For more info, please refer to https://developers.facebook.com/docs/graph-api/overview/rate-limiting.",
                        None,
                    )
                    .insert_header("x-business-use-case-usage", usage.to_string().as_str());
                }
                Script::ServerError => {
                    return ResponseTemplate::new(500).set_body_json(serde_json::json!({"error": {
                        "message": "An unexpected error has occurred. Please retry your request later.",
                        "type": "OAuthException", "is_transient": true, "code": 2, "fbtrace_id": "AzFakeTrace0123456789"
                    }}));
                }
                Script::Hang(d) => delay = Some(d),
            }
        }
        let answer = route(&mut inner, req, method, rest);
        match delay {
            Some(d) => answer.set_delay(d),
            None => answer,
        }
    }
}

/// The token: only in the `Authorization: Bearer` header (a token in the URL is refused here, though
/// Meta would take it: herald must never put one there), and not expired. `Some` is the refusal.
fn authenticate(inner: &mut Inner, req: &wiremock::Request) -> Option<ResponseTemplate> {
    if req.url.query_pairs().any(|(k, _)| k == "access_token") {
        inner.rejected.push("access_token in the query string".into());
        return Some(graph_error(400, 100, None, "(#100) access_token in the URL is refused by this fake", None));
    }
    let header = req.headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or_default();
    let Some(token) = header.strip_prefix("Bearer ") else {
        inner.rejected.push(format!("no Bearer token (Authorization: {:?})", header.split(' ').next()));
        return Some(graph_error(
            400,
            2500,
            None,
            "An active access token must be used to query information about the current user.",
            None,
        ));
    };
    if token != inner.token() {
        inner.rejected.push("unknown token".into());
        return Some(graph_error(400, 190, None, "Invalid OAuth access token - Cannot parse access token", None));
    }
    if inner.token_expired {
        return Some(graph_error(
            400,
            190,
            Some(463),
            "Error validating access token: Session has expired on Monday, 22-Mar-27 09:00:00 PDT. The current time is Monday, 22-Mar-27 10:00:00 PDT.",
            None,
        ));
    }
    None
}

/// `GET /refresh_access_token?grant_type=ig_refresh_token&access_token=…`.
fn refresh(inner: &mut Inner, req: &wiremock::Request) -> ResponseTemplate {
    let query: Vec<(String, String)> = req.url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
    let get = |k: &str| query.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    if req.method.as_str() != "GET" || get("grant_type") != Some("ig_refresh_token") {
        return malformed(inner, format!("refresh: {} with grant_type {:?}", req.method, get("grant_type")));
    }
    if get("access_token") != Some(inner.token()) {
        inner.rejected.push("refresh with an unknown token".into());
        return graph_error(400, 190, None, "Invalid OAuth access token - Cannot parse access token", None);
    }
    if inner.token_expired {
        return graph_error(400, 190, Some(463), "Error validating access token: Session has expired.", None);
    }
    // Meta does not document the error for a token under 24 hours old; the fake refuses it so.
    if inner.token_issued.is_some_and(|at| chrono::Utc::now() - at < chrono::Duration::hours(24)) {
        return graph_error(
            400,
            10,
            None,
            "(#10) The access token must be at least 24 hours old to be refreshed.",
            None,
        );
    }
    inner.refreshes += 1;
    let new = format!("IGQVJfake-refreshed-{:04}", inner.refreshes);
    inner.token = Some(new.clone());
    inner.token_issued = Some(chrono::Utc::now());
    ok(serde_json::json!({"access_token": new, "token_type": "bearer", "expires_in": 5_184_000}))
}

fn route(inner: &mut Inner, req: &wiremock::Request, method: &str, rest: &[String]) -> ResponseTemplate {
    let fields: Vec<String> = req
        .url
        .query_pairs()
        .filter(|(k, _)| k == "fields")
        .flat_map(|(_, v)| v.split(',').map(str::to_string).collect::<Vec<_>>())
        .collect();
    let path: Vec<&str> = rest.iter().map(String::as_str).collect();
    match (method, path.as_slice()) {
        (_, [user, ..]) if path.len() <= 2 && *user != ACCOUNT && !is_object(inner, user) => no_object(user, method),
        ("GET", [_]) if path[0] == ACCOUNT => {
            if !fields.iter().any(|f| f == "username") {
                return malformed(inner, "profile read without fields=username".into());
            }
            ok(serde_json::json!({"username": USERNAME, "id": ACCOUNT}))
        }
        ("GET", [_, "content_publishing_limit"]) => {
            if !(fields.iter().any(|f| f == "quota_usage") && fields.iter().any(|f| f == "config")) {
                return malformed(inner, "content_publishing_limit without fields=quota_usage,config".into());
            }
            ok(serde_json::json!({"data": [{
                "quota_usage": inner.quota_used,
                "config": {"quota_total": inner.quota_total.unwrap_or(QUOTA_TOTAL), "quota_duration": 86400}
            }]}))
        }
        ("POST", [_, "media"]) => create(inner, req),
        ("GET", [_, "media"]) => {
            let data: Vec<serde_json::Value> = inner
                .posts
                .iter()
                .rev()
                .map(|p| {
                    serde_json::json!({
                        "id": p.id, "caption": p.caption, "permalink": p.permalink,
                        "timestamp": p.published_at.format("%Y-%m-%dT%H:%M:%S+0000").to_string()
                    })
                })
                .collect();
            ok(serde_json::json!({ "data": data }))
        }
        ("POST", [_, "media_publish"]) => publish(inner, req),
        ("GET", [id]) => read_object(inner, id, &fields),
        _ => malformed(inner, format!("unknown endpoint {method} /{}", path.join("/"))),
    }
}

fn is_object(inner: &Inner, id: &str) -> bool {
    inner.containers.iter().any(|c| c.id == id) || inner.posts.iter().any(|p| p.id == id)
}

/// `GET /{id}`: a container's status, or a published media's permalink.
fn read_object(inner: &mut Inner, id: &str, fields: &[String]) -> ResponseTemplate {
    if let Some(c) = inner.containers.iter_mut().find(|c| c.id == id) {
        if !fields.iter().any(|f| f == "status_code") {
            let why = format!("container {id} read without fields=status_code");
            return malformed(inner, why);
        }
        let (code, text) = if c.in_progress > 0 {
            c.in_progress -= 1;
            ("IN_PROGRESS", "In Progress: Media is still being processed.")
        } else {
            match c.state {
                State::Finished => ("FINISHED", "Finished: Media has been uploaded and it is ready to be published."),
                State::Published => ("PUBLISHED", "Published: Media has been published."),
                State::Expired => ("EXPIRED", "Expired: Media was not published within 24 hours."),
            }
        };
        return ok(serde_json::json!({"status_code": code, "status": text, "id": id}));
    }
    if let Some(p) = inner.posts.iter().find(|p| p.id == id) {
        if !fields.iter().any(|f| f == "permalink") {
            let why = format!("media {id} read without fields=permalink");
            return malformed(inner, why);
        }
        return ok(serde_json::json!({"permalink": p.permalink, "id": id}));
    }
    no_object(id, "get")
}

/// The form fields of a `POST`, or why Meta would refuse them.
fn form_of(req: &wiremock::Request, allowed: &[&str]) -> Result<Vec<(String, String)>, String> {
    let content_type = req.headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default();
    if !content_type.starts_with("application/x-www-form-urlencoded") {
        return Err(format!("content-type {content_type}"));
    }
    let form = parse_form(&req.body);
    for (k, _) in &form {
        if !allowed.contains(&k.as_str()) {
            return Err(format!("unexpected field {k}"));
        }
    }
    Ok(form)
}

/// `POST /{ig-user-id}/media`: an image container, a carousel item, or a carousel.
fn create(inner: &mut Inner, req: &wiremock::Request) -> ResponseTemplate {
    let form = match form_of(req, &["image_url", "caption", "alt_text", "is_carousel_item", "media_type", "children"]) {
        Ok(f) => f,
        Err(why) => return malformed(inner, why),
    };
    let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let caption = get("caption").unwrap_or_default();
    if caption.chars().count() > CAPTION_LIMIT {
        inner.rejected.push(format!("caption of {} characters", caption.chars().count()));
        return graph_error(
            400,
            100,
            Some(2_207_010),
            "Invalid parameter",
            Some("The caption is too long. Captions can be up to 2,200 characters."),
        );
    }
    let id = (17_900_000_000_000_000u64 + inner.containers.len() as u64).to_string();
    let in_progress = std::mem::take(&mut inner.next_in_progress);
    let mut container = Container {
        id: id.clone(),
        image_url: None,
        alt_text: get("alt_text"),
        caption,
        carousel_item: false,
        children: Vec::new(),
        in_progress,
        state: State::Finished,
    };
    match get("media_type").as_deref() {
        Some("CAROUSEL") => {
            let children: Vec<String> = get("children").unwrap_or_default().split(',').map(str::to_string).collect();
            if get("image_url").is_some() {
                return malformed(inner, "a carousel takes children, not image_url".into());
            }
            if !(2..=10).contains(&children.len()) {
                return malformed(inner, format!("a carousel needs 2 to 10 children, got {}", children.len()));
            }
            for child in &children {
                let Some(c) = inner.containers.iter().find(|c| c.id == *child) else {
                    return malformed(inner, format!("carousel child {child} does not exist"));
                };
                if !c.carousel_item {
                    return malformed(inner, format!("carousel child {child} was not made with is_carousel_item=true"));
                }
                if c.in_progress > 0 || c.state != State::Finished {
                    return graph_error(
                        400,
                        9007,
                        Some(2_207_027),
                        "Media ID is not available",
                        Some("The media is not ready for publishing, please wait for a moment"),
                    );
                }
            }
            container.children = children;
        }
        None | Some("IMAGE") => {
            let Some(url) = get("image_url") else {
                return malformed(inner, "image_url is required".into());
            };
            if !is_absolute_url(&url) {
                return malformed(inner, format!("image_url {url:?} is not an absolute http(s) URL"));
            }
            match get("is_carousel_item").as_deref() {
                None | Some("false") => {}
                Some("true") => container.carousel_item = true,
                Some(other) => return malformed(inner, format!("is_carousel_item={other}")),
            }
            container.image_url = Some(url);
        }
        Some(other) => return malformed(inner, format!("media_type={other} (the fake serves images)")),
    }
    inner.containers.push(container);
    ok(serde_json::json!({ "id": id }))
}

/// `POST /{ig-user-id}/media_publish`.
fn publish(inner: &mut Inner, req: &wiremock::Request) -> ResponseTemplate {
    let form = match form_of(req, &["creation_id"]) {
        Ok(f) => f,
        Err(why) => return malformed(inner, why),
    };
    let Some(creation_id) = form.into_iter().find(|(k, _)| k == "creation_id").map(|(_, v)| v) else {
        return malformed(inner, "creation_id is required".into());
    };
    let Some(index) = inner.containers.iter().position(|c| c.id == creation_id) else {
        return no_object(&creation_id, "post");
    };
    let c = inner.containers[index].clone();
    if c.carousel_item {
        return malformed(inner, format!("container {creation_id} is a carousel item: publish its carousel"));
    }
    if c.in_progress > 0 {
        return graph_error(
            400,
            9007,
            Some(2_207_027),
            "Media ID is not available",
            Some("The media is not ready for publishing, please wait for a moment"),
        );
    }
    match c.state {
        State::Finished => {}
        // What Meta answers for a second publish of one container is UNCONFIRMED; the fake refuses it
        // with the generic invalid-parameter shape.
        State::Published => {
            inner.rejected.push(format!("container {creation_id} published twice"));
            return graph_error(400, 100, None, "Invalid parameter", Some("This media has already been published."));
        }
        State::Expired => {
            return graph_error(
                400,
                -1,
                Some(2_207_020),
                "Media expired",
                Some("The media you are trying to access has expired. Please try to upload again."),
            );
        }
    }
    if inner.quota_used + inner.posts.len() as u64 >= inner.quota_total.unwrap_or(QUOTA_TOTAL) {
        return graph_error(
            400,
            9,
            Some(2_207_042),
            "Application request limit reached",
            Some("You reached the maximum number of posts that can be published through the API in 24 hours."),
        );
    }
    let items: Vec<Container> = if c.children.is_empty() {
        vec![c.clone()]
    } else {
        c.children.iter().filter_map(|id| inner.containers.iter().find(|x| x.id == *id).cloned()).collect()
    };
    let id = (17_950_000_000_000_000u64 + inner.posts.len() as u64).to_string();
    inner.containers[index].state = State::Published;
    inner.posts.push(Posted {
        id: id.clone(),
        caption: c.caption.clone(),
        image_urls: items.iter().filter_map(|i| i.image_url.clone()).collect(),
        alt_texts: items.iter().map(|i| i.alt_text.clone()).collect(),
        container: creation_id,
        permalink: format!("https://www.instagram.com/p/FAKE{}/", inner.posts.len()),
        published_at: chrono::Utc::now(),
    });
    ok(serde_json::json!({ "id": id }))
}
