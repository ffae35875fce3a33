//! A stateful fake of the Graph API for one Facebook Page, on 127.0.0.1. It checks requests the way
//! Graph does: the version prefix, the Page id, the Page access token, the fields each edge needs
//! (`message` or `link` or `attached_media` on `/feed`; a `url` or a multipart `source` image on
//! `/photos`), and that `attached_media` names this Page's unpublished photos, each used once. It
//! answers with Graph's error envelope, refuses the same message twice in a row (code 506), records
//! what was published, lists it on `GET /{page-id}/posts`, and can be scripted to fail.
//!
//! The token is taken only from the `Authorization` header: Graph also reads an `access_token`
//! parameter, which herald never uses (a token never goes in a URL), so the fake refuses a request
//! that relies on it.
//!
//! `GET /{page-id}/posts` pages as Graph does: `limit` (25 when not given, at most [`MAX_LIMIT`]),
//! `paging.cursors` and a `paging.next` address that, like Graph's, carries an `access_token`
//! parameter (a client must strip it before following). Other people can post on the Page
//! ([`FakeFacebook::post_by_others`]), and creates can be slow ([`FakeFacebook::set_create_latency`]):
//! the answer comes late and the post is listed only then.

#![allow(dead_code)]

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use herald::secrets::Secret;
use wiremock::{Mock, MockServer, Respond, ResponseTemplate};

/// The fake Page.
pub const PAGE_ID: &str = "104729380012345";
pub const PAGE_NAME: &str = "Human Security for All";
/// The only Graph version the fake serves.
pub const VERSION: &str = "v25.0";
/// The most posts one page of `/{page-id}/posts` holds, whatever `limit` asks.
pub const MAX_LIMIT: usize = 100;

/// The fake Page access token (known to the fake only).
pub fn page_token() -> Secret {
    Secret::new("EAAFakePageToken0005ZZ")
}

/// How the next publishing request (`POST` to `/feed` or `/photos`) is answered.
#[derive(Debug, Clone)]
pub enum Script {
    /// Answered normally (to let a request through and script the one after).
    Accept,
    /// A rate limit: code 80001 (Page token, with `X-Business-Use-Case-Usage`), 32 (`X-Page-Usage`)
    /// or 4 (`X-App-Usage`); `regain_minutes` is the announced `estimated_time_to_regain_access`.
    Throttled { code: i64, regain_minutes: Option<u64> },
    /// HTTP 500, code 2.
    ServerError,
    /// Accept the request (it takes effect), then answer only after this long.
    Hang(Duration),
    /// The request takes effect, then the answer is HTTP 500, code 2.
    ServerErrorAfterCreating,
    /// Code 190, subcode 463: the token has expired.
    ExpiredToken,
    /// Code 200: the token lacks `pages_manage_posts`.
    Permission,
}

/// Where a photo came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PhotoSource {
    /// Fetched by "Facebook" from this address.
    Url(String),
    /// Uploaded as a multipart `source` part.
    Upload { filename: String, content_type: String, size: usize },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Photo {
    pub id: String,
    pub source: PhotoSource,
    pub alt: Option<String>,
    pub caption: Option<String>,
    pub published: bool,
    /// Attached to a post already (an unpublished photo is usable once).
    pub used: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Posted {
    /// `{page-id}_{post}`.
    pub id: String,
    pub message: Option<String>,
    pub link: Option<String>,
    pub photos: Vec<Photo>,
    /// Unix seconds.
    pub created_time: i64,
    /// From when it is listed (Unix milliseconds): later than `created_time` while a slow create is
    /// still being processed.
    pub visible_at: i64,
}

/// A request as it arrived, for tests that check what travelled where.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    /// Path and query.
    pub url: String,
    pub content_type: String,
    pub body: Vec<u8>,
}

#[derive(Default)]
struct State {
    /// The fake's own address, for `paging.next`.
    base: String,
    /// How long a create takes: its answer is delayed, and the post listed, only after it.
    create_latency: Duration,
    posts: Vec<Posted>,
    photos: Vec<Photo>,
    script: VecDeque<Script>,
    rejected: Vec<String>,
    seen: Vec<Seen>,
    next_id: u64,
}

pub struct FakeFacebook {
    pub server: MockServer,
    state: Arc<Mutex<State>>,
}

impl FakeFacebook {
    pub async fn start() -> Self {
        let server = MockServer::start().await;
        let state = Arc::new(Mutex::new(State { next_id: 1, base: server.uri(), ..State::default() }));
        // One responder for every request: Graph's own routing and errors, not wiremock's 404.
        Mock::given(wiremock::matchers::any()).respond_with(Responder { state: state.clone() }).mount(&server).await;
        Self { server, state }
    }

    pub fn uri(&self) -> String {
        self.server.uri()
    }

    pub fn script(&self, s: Script) {
        self.state.lock().unwrap().script.push_back(s);
    }

    pub fn posts(&self) -> Vec<Posted> {
        self.state.lock().unwrap().posts.clone()
    }

    /// Every photo received, published or not.
    pub fn photos(&self) -> Vec<Photo> {
        self.state.lock().unwrap().photos.clone()
    }

    /// Why requests were refused as malformed (should stay empty).
    pub fn rejected(&self) -> Vec<String> {
        self.state.lock().unwrap().rejected.clone()
    }

    /// Every request received, in order.
    pub fn requests(&self) -> Vec<Seen> {
        self.state.lock().unwrap().seen.clone()
    }

    /// Makes every later publishing request take `latency`: it takes effect at once (a client that
    /// gives up still made the post), is answered after `latency`, and listed only from then on.
    pub fn set_create_latency(&self, latency: Duration) {
        self.state.lock().unwrap().create_latency = latency;
    }

    /// `n` posts made on the Page by its staff (in the Page's own tools), newer than everything
    /// before; their ids, oldest first.
    pub fn post_by_others(&self, n: usize) -> Vec<String> {
        (0..n).map(|i| self.post_elsewhere(&format!("Staff update {i} from the Page's own tools"), 0)).collect()
    }

    /// A post made on the Page by someone else (in the Page's own tools), `ago` seconds ago.
    pub fn post_elsewhere(&self, message: &str, ago: i64) -> String {
        let mut state = self.state.lock().unwrap();
        let id = format!("{PAGE_ID}_{}", state.fresh_id());
        let created_time = chrono::Utc::now().timestamp() - ago;
        state.posts.push(Posted {
            id: id.clone(),
            message: Some(message.into()),
            link: None,
            photos: vec![],
            created_time,
            visible_at: created_time * 1000,
        });
        id
    }
}

impl State {
    /// When a post created now is listed: after the create latency.
    fn visible_at(&self) -> i64 {
        chrono::Utc::now().timestamp_millis() + i64::try_from(self.create_latency.as_millis()).unwrap_or(i64::MAX)
    }

    fn fresh_id(&mut self) -> u64 {
        self.next_id += 1;
        900_000_000_000_000 + self.next_id
    }
}

/// A refusal in Graph's envelope (`error.code` decides; the HTTP status is mostly 400).
#[derive(Debug, Clone)]
struct GraphError {
    status: u16,
    code: i64,
    subcode: Option<i64>,
    message: String,
    /// Usage headers sent along (throttles).
    headers: Vec<(&'static str, String)>,
}

fn refuse(status: u16, code: i64, subcode: Option<i64>, message: impl Into<String>) -> GraphError {
    GraphError { status, code, subcode, message: message.into(), headers: Vec::new() }
}

impl GraphError {
    fn template(&self, trace: u64) -> ResponseTemplate {
        let mut error = serde_json::json!({
            "message": self.message,
            "type": "OAuthException",
            "code": self.code,
            "is_transient": matches!(self.code, 1 | 2),
            "fbtrace_id": format!("A{trace:010X}fake"),
        });
        if let Some(sub) = self.subcode {
            error["error_subcode"] = sub.into();
        }
        let mut t = ResponseTemplate::new(self.status).set_body_json(serde_json::json!({ "error": error }));
        for (name, value) in &self.headers {
            t = t.insert_header(*name, value.as_str());
        }
        if self.code == 190 {
            t = t.insert_header(
                "www-authenticate",
                format!("OAuth \"Facebook Platform\" \"invalid_token\" \"{}\"", self.message).as_str(),
            );
        }
        t
    }
}

struct Responder {
    state: Arc<Mutex<State>>,
}

/// What the request is for, once its version, Page and token are checked.
enum Route {
    Page,
    Posts,
    Feed,
    Photos,
}

impl Respond for Responder {
    fn respond(&self, req: &wiremock::Request) -> ResponseTemplate {
        let mut state = self.state.lock().unwrap();
        let content_type = header(req, "content-type").unwrap_or_default().to_string();
        let path_and_query = match req.url.query() {
            Some(q) => format!("{}?{q}", req.url.path()),
            None => req.url.path().to_string(),
        };
        state.seen.push(Seen {
            method: req.method.to_string(),
            url: path_and_query,
            content_type: content_type.clone(),
            body: req.body.clone(),
        });
        let trace = state.fresh_id();
        let route = match route(req) {
            Ok(r) => r,
            Err(e) => {
                state.rejected.push(e.message.clone());
                return e.template(trace);
            }
        };
        let fields = match Fields::parse(&content_type, &req.body) {
            Ok(f) => f,
            Err(e) => {
                state.rejected.push(e.message.clone());
                return e.template(trace);
            }
        };
        let query: BTreeMap<String, String> =
            req.url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
        let answer = match route {
            Route::Page => {
                Ok(ResponseTemplate::new(200).set_body_json(serde_json::json!({"name": PAGE_NAME, "id": PAGE_ID})))
            }
            Route::Posts => Ok(list_posts(&state, &query)),
            Route::Feed | Route::Photos => {
                let checked = match route {
                    Route::Feed => check_feed(&state, &fields),
                    _ => check_photo(&fields),
                };
                match checked {
                    Err(e) => {
                        state.rejected.push(e.message.clone());
                        Err(e)
                    }
                    Ok(()) => publish(&mut state, &route, &fields),
                }
            }
        };
        match answer {
            Ok(t) => t.insert_header("x-app-usage", r#"{"call_count":1,"total_cputime":1,"total_time":1}"#),
            Err(e) => e.template(trace),
        }
    }
}

fn header<'a>(req: &'a wiremock::Request, name: &str) -> Option<&'a str> {
    req.headers.get(name).and_then(|v| v.to_str().ok())
}

/// Checks the version, the token and the Page; says which edge is asked for.
fn route(req: &wiremock::Request) -> Result<Route, GraphError> {
    let segments: Vec<&str> = req.url.path().trim_start_matches('/').split('/').collect();
    let (version, rest) = segments.split_first().ok_or_else(|| refuse(400, 100, None, "Unknown path components"))?;
    if *version != VERSION {
        let looks_versioned = version.starts_with('v') && version[1..].parse::<f64>().is_ok();
        return Err(if looks_versioned {
            refuse(
                400,
                2635,
                None,
                format!(
                    "(#2635) You are calling a deprecated version of the Graph API. Please update to the latest version: {VERSION}."
                ),
            )
        } else {
            refuse(400, 2500, None, format!("Unknown path components: /{version}"))
        });
    }
    if req.url.query_pairs().any(|(k, _)| k == "access_token") {
        return Err(refuse(400, 104, None, "fake: herald must never put the access token in a URL"));
    }
    let expected = format!("Bearer {}", page_token().expose());
    match header(req, "authorization") {
        None => return Err(refuse(400, 104, None, "An access token is required to request this resource.")),
        Some(h) if h != expected => {
            return Err(refuse(400, 190, None, "Invalid OAuth access token - Cannot parse access token"));
        }
        Some(_) => {}
    }
    let unsupported = |what: &str| {
        refuse(
            400,
            100,
            Some(33),
            format!(
                "Unsupported {what} request. Object with ID '{}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.",
                rest.first().copied().unwrap_or_default()
            ),
        )
    };
    let method = req.method.as_str();
    match (method, rest) {
        (_, [page, ..]) if *page != PAGE_ID => Err(unsupported(if method == "GET" { "get" } else { "post" })),
        ("GET", [_]) => Ok(Route::Page),
        ("GET", [_, "posts"]) => Ok(Route::Posts),
        ("POST", [_, "feed"]) => Ok(Route::Feed),
        ("POST", [_, "photos"]) => Ok(Route::Photos),
        ("GET", _) => Err(refuse(
            400,
            2500,
            None,
            format!("Unknown path components: /{}", rest.get(1..).unwrap_or_default().join("/")),
        )),
        _ => Err(unsupported("post")),
    }
}

/// A request's parameters: `application/x-www-form-urlencoded` or `multipart/form-data` fields, and
/// multipart files.
#[derive(Default)]
struct Fields {
    values: BTreeMap<String, String>,
    files: BTreeMap<String, (String, String, Vec<u8>)>,
}

impl Fields {
    fn parse(content_type: &str, body: &[u8]) -> Result<Self, GraphError> {
        let mut fields = Fields::default();
        if body.is_empty() {
            return Ok(fields);
        }
        if content_type.starts_with("application/x-www-form-urlencoded") {
            for pair in String::from_utf8_lossy(body).split('&').filter(|p| !p.is_empty()) {
                let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                fields.values.insert(form_decode(k), form_decode(v));
            }
        } else if let Some(boundary) = content_type.strip_prefix("multipart/form-data; boundary=") {
            for part in multipart_parts(body, boundary.trim_matches('"'))? {
                match part.filename {
                    Some(filename) => {
                        fields.files.insert(part.name, (filename, part.content_type.unwrap_or_default(), part.data));
                    }
                    None => {
                        fields.values.insert(part.name, String::from_utf8_lossy(&part.data).into_owned());
                    }
                }
            }
        } else {
            return Err(refuse(400, 100, None, format!("fake: unexpected content type `{content_type}`")));
        }
        Ok(fields)
    }

    fn get(&self, k: &str) -> Option<&str> {
        self.values.get(k).map(String::as_str)
    }

    /// Refuses parameters the edge does not take (Graph ignores some, but herald should not send them).
    fn only(&self, known: &[&str]) -> Result<(), GraphError> {
        for k in self.values.keys().chain(self.files.keys()) {
            let base = k.split('[').next().unwrap_or(k);
            if !known.contains(&base) {
                return Err(refuse(400, 100, None, format!("(#100) fake: unexpected parameter {k}")));
            }
        }
        Ok(())
    }
}

fn form_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                match std::str::from_utf8(&bytes[i + 1..i + 3]).ok().and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

struct MultipartPart {
    name: String,
    filename: Option<String>,
    content_type: Option<String>,
    data: Vec<u8>,
}

/// Splits a `multipart/form-data` body (RFC 7578) into its parts.
fn multipart_parts(body: &[u8], boundary: &str) -> Result<Vec<MultipartPart>, GraphError> {
    let malformed = |why: &str| refuse(400, 100, None, format!("fake: malformed multipart body: {why}"));
    let delimiter = format!("--{boundary}").into_bytes();
    let chunks = split(body, &delimiter);
    if chunks.len() < 2 || !chunks.last().is_some_and(|c| c.starts_with(b"--")) {
        return Err(malformed("no closing boundary"));
    }
    let mut parts = Vec::new();
    for chunk in &chunks[1..chunks.len() - 1] {
        let chunk = chunk.strip_prefix(b"\r\n").ok_or_else(|| malformed("no CRLF after a boundary"))?;
        let chunk = chunk.strip_suffix(b"\r\n").ok_or_else(|| malformed("no CRLF before a boundary"))?;
        let at = chunk.windows(4).position(|w| w == b"\r\n\r\n").ok_or_else(|| malformed("part without headers"))?;
        let head = String::from_utf8_lossy(&chunk[..at]).into_owned();
        let data = chunk[at + 4..].to_vec();
        let mut part = MultipartPart { name: String::new(), filename: None, content_type: None, data };
        for line in head.split("\r\n") {
            let Some((k, v)) = line.split_once(':') else { continue };
            match k.trim().to_ascii_lowercase().as_str() {
                "content-disposition" => {
                    for item in v.split(';').map(str::trim) {
                        if let Some(n) = item.strip_prefix("name=") {
                            part.name = n.trim_matches('"').to_string();
                        } else if let Some(f) = item.strip_prefix("filename=") {
                            part.filename = Some(f.trim_matches('"').to_string());
                        }
                    }
                }
                "content-type" => part.content_type = Some(v.trim().to_string()),
                _ => {}
            }
        }
        if part.name.is_empty() {
            return Err(malformed("part without a name"));
        }
        parts.push(part);
    }
    Ok(parts)
}

fn split<'a>(hay: &'a [u8], needle: &[u8]) -> Vec<&'a [u8]> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i + needle.len() <= hay.len() {
        if &hay[i..i + needle.len()] == needle {
            out.push(&hay[start..i]);
            i += needle.len();
            start = i;
        } else {
            i += 1;
        }
    }
    out.push(&hay[start..]);
    out
}

/// `attached_media[N]` values, in order; they must be numbered from 0 without gaps.
fn attached(fields: &Fields) -> Result<Vec<String>, GraphError> {
    let mut found = BTreeMap::new();
    for (k, v) in &fields.values {
        let Some(n) = k.strip_prefix("attached_media[").and_then(|r| r.strip_suffix(']')) else { continue };
        let n: usize =
            n.parse().map_err(|_| refuse(400, 100, None, format!("(#100) param {k} is not a valid array index")))?;
        let spec: serde_json::Value = serde_json::from_str(v)
            .map_err(|_| refuse(400, 100, None, format!("(#100) param {k} must be a JSON object")))?;
        let id = spec["media_fbid"]
            .as_str()
            .ok_or_else(|| refuse(400, 100, None, format!("(#100) param {k} must have a media_fbid")))?;
        found.insert(n, id.to_string());
    }
    if found.keys().enumerate().any(|(i, n)| i != *n) {
        return Err(refuse(400, 100, None, "(#100) attached_media must be numbered from 0"));
    }
    Ok(found.into_values().collect())
}

fn is_web_url(s: &str) -> bool {
    (s.starts_with("https://") || s.starts_with("http://"))
        && s.len() > "https://".len()
        && !s.contains(char::is_whitespace)
}

/// Checks `POST /{page-id}/feed` as Graph does.
fn check_feed(state: &State, fields: &Fields) -> Result<(), GraphError> {
    fields.only(&["message", "link", "attached_media", "published"])?;
    if !fields.files.is_empty() {
        return Err(refuse(400, 100, None, "(#100) fake: /feed takes no files"));
    }
    let ids = attached(fields)?;
    let message = fields.get("message").filter(|m| !m.trim().is_empty());
    if message.is_none() && fields.get("link").is_none() && ids.is_empty() {
        return Err(refuse(400, 100, None, "(#100) Missing message or attachment"));
    }
    if let Some(link) = fields.get("link")
        && !is_web_url(link)
    {
        return Err(refuse(400, 100, None, "(#100) The parameter link must be a valid URL"));
    }
    for (i, id) in ids.iter().enumerate() {
        let usable = state.photos.iter().any(|p| p.id == *id && !p.published && !p.used);
        if !usable {
            return Err(refuse(
                400,
                100,
                None,
                format!("(#100) param attached_media[{i}] has invalid media_fbid {id}"),
            ));
        }
    }
    Ok(())
}

/// Checks `POST /{page-id}/photos` as Graph does.
fn check_photo(fields: &Fields) -> Result<(), GraphError> {
    fields.only(&["url", "source", "caption", "message", "published", "alt_text_custom", "no_story"])?;
    match (fields.get("url"), fields.files.get("source")) {
        (None, None) => return Err(refuse(400, 324, None, "(#324) Requires upload file")),
        (Some(url), _) if !is_web_url(url) => {
            return Err(refuse(400, 100, None, "(#100) url should represent a valid URL"));
        }
        (_, Some((_, _, bytes))) if herald::channels::MediaType::sniff(bytes).is_none() => {
            return Err(refuse(400, 324, None, "(#324) Missing or invalid image file"));
        }
        _ => {}
    }
    if let Some(p) = fields.get("published")
        && !["true", "false"].contains(&p)
    {
        return Err(refuse(400, 100, None, "(#100) param published must be a boolean"));
    }
    Ok(())
}

/// Answers a checked publishing request: the script first, else it takes effect.
fn publish(state: &mut State, route: &Route, fields: &Fields) -> Result<ResponseTemplate, GraphError> {
    let mut delay = None;
    let mut fail_after = false;
    match state.script.pop_front() {
        None | Some(Script::Accept) => {}
        Some(Script::Hang(d)) => delay = Some(d),
        Some(Script::ServerErrorAfterCreating) => fail_after = true,
        Some(Script::Throttled { code, regain_minutes }) => return Err(throttled(code, regain_minutes)),
        Some(Script::ServerError) => {
            return Err(refuse(500, 2, None, "An unexpected error has occurred. Please retry your request later."));
        }
        Some(Script::ExpiredToken) => {
            return Err(refuse(
                400,
                190,
                Some(463),
                "Error validating access token: Session has expired on Thursday, 20-Nov-25 10:00:00 PST. The current time is Friday, 21-Nov-25 03:12:45 PST.",
            ));
        }
        Some(Script::Permission) => {
            return Err(refuse(
                403,
                200,
                None,
                "(#200) If posting to a page, requires both pages_read_engagement and pages_manage_posts as an admin with sufficient administrative permission",
            ));
        }
    }
    let body = match route {
        Route::Feed => create_post(state, fields)?,
        _ => create_photo(state, fields),
    };
    if fail_after {
        return Err(refuse(500, 2, None, "An unexpected error has occurred. Please retry your request later."));
    }
    let latency = state.create_latency;
    Ok(ResponseTemplate::new(200).set_body_json(body).set_delay(latency + delay.unwrap_or_default()))
}

/// A rate-limit refusal with the usage header Graph sends for that kind of limit.
fn throttled(code: i64, regain_minutes: Option<u64>) -> GraphError {
    let message = match code {
        80001 => {
            "(#80001) There have been too many calls to this Page account. Wait a bit and try again. For more info, please refer to https://developers.facebook.com/docs/graph-api/overview/rate-limiting."
        }
        32 => "(#32) Page request limit reached",
        17 => "(#17) User request limit reached",
        _ => "(#4) Application request limit reached",
    };
    let mut usage = serde_json::json!({"call_count": 100, "total_cputime": 23, "total_time": 31});
    if let Some(m) = regain_minutes {
        usage["estimated_time_to_regain_access"] = m.into();
    }
    let header = match code {
        80001 => {
            usage["type"] = "pages".into();
            ("x-business-use-case-usage", serde_json::json!({ PAGE_ID: [usage] }).to_string())
        }
        32 => ("x-page-usage", usage.to_string()),
        _ => ("x-app-usage", usage.to_string()),
    };
    let status = if code == 4 { 403 } else { 400 };
    GraphError { headers: vec![header], ..refuse(status, code, None, message) }
}

fn create_post(state: &mut State, fields: &Fields) -> Result<serde_json::Value, GraphError> {
    let message = fields.get("message").map(str::to_string);
    // Graph's 506: the same status message as the Page's previous post.
    if message.is_some() && state.posts.last().and_then(|p| p.message.as_ref()) == message.as_ref() {
        return Err(refuse(400, 506, None, "(#506) Duplicate status message"));
    }
    let mut photos = Vec::new();
    for id in attached(fields)? {
        if let Some(p) = state.photos.iter_mut().find(|p| p.id == id) {
            p.used = true;
            photos.push(p.clone());
        }
    }
    let id = format!("{PAGE_ID}_{}", state.fresh_id());
    state.posts.push(Posted {
        id: id.clone(),
        message,
        link: fields.get("link").map(str::to_string),
        photos,
        created_time: chrono::Utc::now().timestamp(),
        visible_at: state.visible_at(),
    });
    Ok(serde_json::json!({ "id": id }))
}

fn create_photo(state: &mut State, fields: &Fields) -> serde_json::Value {
    let source = match (fields.get("url"), fields.files.get("source")) {
        (Some(url), _) => PhotoSource::Url(url.to_string()),
        (None, Some((filename, content_type, bytes))) => {
            PhotoSource::Upload { filename: filename.clone(), content_type: content_type.clone(), size: bytes.len() }
        }
        (None, None) => unreachable!("checked before"),
    };
    let published = fields.get("published") != Some("false");
    let photo = Photo {
        id: state.fresh_id().to_string(),
        source,
        alt: fields.get("alt_text_custom").map(str::to_string),
        caption: fields.get("caption").or_else(|| fields.get("message")).map(str::to_string),
        published,
        used: published,
    };
    state.photos.push(photo.clone());
    if !published {
        return serde_json::json!({ "id": photo.id });
    }
    let post_id = format!("{PAGE_ID}_{}", photo.id);
    state.posts.push(Posted {
        id: post_id.clone(),
        message: photo.caption.clone(),
        link: None,
        photos: vec![photo.clone()],
        created_time: chrono::Utc::now().timestamp(),
        visible_at: state.visible_at(),
    });
    serde_json::json!({ "id": photo.id, "post_id": post_id })
}

/// `GET /{page-id}/posts?fields=…&since=…&limit=…&after=…`: the Page's posts, newest first, a page at
/// a time. The cursor is the position in that list (Graph's are opaque; herald must not read them).
fn list_posts(state: &State, query: &BTreeMap<String, String>) -> ResponseTemplate {
    let since: i64 = query.get("since").and_then(|s| s.parse().ok()).unwrap_or(i64::MIN);
    let limit = query.get("limit").and_then(|l| l.parse::<usize>().ok()).unwrap_or(25).clamp(1, MAX_LIMIT);
    let offset = query.get("after").and_then(|c| decode_cursor(c)).unwrap_or(0);
    let fields: Vec<&str> =
        query.get("fields").map(|f| f.split(',').collect()).unwrap_or_else(|| vec!["id", "message", "created_time"]);
    let now = chrono::Utc::now().timestamp_millis();
    let listed: Vec<&Posted> =
        state.posts.iter().rev().filter(|p| p.created_time >= since && p.visible_at <= now).collect();
    let data: Vec<serde_json::Value> = listed
        .iter()
        .skip(offset)
        .take(limit)
        .map(|p| {
            let mut o = serde_json::Map::new();
            o.insert("id".into(), p.id.clone().into());
            if fields.contains(&"message")
                && let Some(m) = &p.message
            {
                o.insert("message".into(), m.clone().into());
            }
            if fields.contains(&"created_time") {
                let t = chrono::DateTime::from_timestamp(p.created_time, 0).unwrap_or_default();
                o.insert("created_time".into(), t.format("%Y-%m-%dT%H:%M:%S+0000").to_string().into());
            }
            serde_json::Value::Object(o)
        })
        .collect();
    let mut body = serde_json::json!({ "data": data });
    if !data.is_empty() {
        let end = offset + data.len();
        body["paging"] = serde_json::json!({
            "cursors": { "before": encode_cursor(offset), "after": encode_cursor(end) }
        });
        if end < listed.len() {
            // As Graph writes it: the request's parameters, the token among them, and the cursor.
            let mut params: Vec<(String, String)> = query
                .iter()
                .filter(|(k, _)| !["after", "limit", "access_token"].contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            params.push(("access_token".into(), page_token().expose().to_string()));
            params.push(("limit".into(), limit.to_string()));
            params.push(("after".into(), encode_cursor(end)));
            params.sort();
            let q: Vec<String> = params.iter().map(|(k, v)| format!("{k}={}", form_encode(v))).collect();
            body["paging"]["next"] = format!("{}/{VERSION}/{PAGE_ID}/posts?{}", state.base, q.join("&")).into();
        }
    }
    ResponseTemplate::new(200).set_body_json(body)
}

/// A cursor for position `n` (opaque-looking, as Graph's are).
fn encode_cursor(n: usize) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("fake-cursor:{n}"))
}

fn decode_cursor(c: &str) -> Option<usize> {
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(c).ok()?;
    String::from_utf8(bytes).ok()?.strip_prefix("fake-cursor:")?.parse().ok()
}

fn form_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
