//! A stateful fake of LinkedIn's Posts and Images APIs on 127.0.0.1 that checks requests the way
//! LinkedIn does: the Bearer token, `LinkedIn-Version` (present, `YYYYMM`, not retired: 426 with
//! LinkedIn's body otherwise), `X-Restli-Protocol-Version: 2.0.0`, the post body's fields and types,
//! that the token may act for the author, that every image was initialized and then uploaded by its
//! one `PUT` before use, and that its owner is the post's author. Like LinkedIn, it silently cuts a
//! commentary at its first unescaped reserved character, and refuses the same text twice within a
//! window (422 `DUPLICATE_POST`). It records what was published and can be scripted to fail.
//!
//! The author finder pages as LinkedIn's does: `start` and `count` (10 when not given, at most
//! [`MAX_COUNT`]), newest-modified first, with `paging` (`start`, `count`, `total`, a `next` link).
//! Other people can post on the account ([`FakeLinkedIn::post_by_others`]), and creates can be slow
//! ([`FakeLinkedIn::set_create_latency`]): the answer comes late and the post is listed only then.
//!
//! Self-contained (no other support module), so `examples/fake-platforms.rs` can include it.

#![allow(dead_code)]

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use herald::secrets::Secret;
use serde_json::{Value, json};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Respond, ResponseTemplate};

/// The access token the fake accepts.
pub const TOKEN: &str = "fake-linkedin-token-0005";
/// The member the token belongs to (the OpenID Connect `sub`).
pub const PERSON_ID: &str = "x7Qm2bTq9L";
pub const PERSON_NAME: &str = "Amina Diallo";
/// The organization the member administers.
pub const ORGANIZATION: &str = "urn:li:organization:2414183";
pub const ORGANIZATION_NAME: &str = "Human Security for All";
/// Versions older than this are retired (426), unless [`FakeLinkedIn::set_oldest_version`] says otherwise.
pub const OLDEST_VERSION: &str = "202601";
/// The most posts one page of the author finder holds, whatever `count` asks.
pub const MAX_COUNT: usize = 100;

pub fn token() -> Secret {
    Secret::new(TOKEN)
}

/// The member's author URN.
pub fn person() -> String {
    format!("urn:li:person:{PERSON_ID}")
}

/// A failure to answer the next `POST /rest/posts` with (after the request passed every check).
#[derive(Debug, Clone)]
pub enum Script {
    /// 429, with a `Retry-After` header when given (LinkedIn documents none).
    RateLimited {
        retry_after: Option<u64>,
    },
    ServerError,
    /// Accept and store the post, then answer only after this long (longer than the client waits).
    Hang(Duration),
    /// Store the post, then answer 504 (a gateway that gave up waiting).
    ServerErrorAfterCreating,
    /// 401: the 60-day token has expired.
    ExpiredToken,
    /// 422 `DUPLICATE_POST`, naming the latest post (or a URN that no longer exists).
    Duplicate,
}

/// A post as LinkedIn keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Posted {
    pub urn: String,
    pub author: String,
    /// The commentary as sent (little text).
    pub commentary: String,
    /// What people read on LinkedIn (escapes resolved, cut at an unescaped reserved character).
    pub text: String,
    /// The attached images with their alt text, in order.
    pub images: Vec<(String, Option<String>)>,
    /// `media` (one image) or `multiImage`, when the post has images.
    pub content_kind: Option<String>,
    /// Epoch milliseconds.
    pub created_at: i64,
    /// When the finder starts listing it (epoch milliseconds): later than `created_at` while a slow
    /// create is still being processed.
    pub visible_at: i64,
}

#[derive(Debug, Clone)]
pub struct Image {
    pub urn: String,
    pub owner: String,
    /// The last path segment of its upload address.
    key: String,
    /// How many `PUT`s it received.
    pub puts: u32,
    pub bytes: usize,
}

struct State {
    /// The fake's own address, for upload URLs.
    base: String,
    posts: Vec<Posted>,
    images: Vec<Image>,
    script: VecDeque<Script>,
    rejected: Vec<String>,
    /// Every request received, as `METHOD /path?query`.
    requests: Vec<String>,
    oldest_version: String,
    duplicate_window: Duration,
    /// Whether the token has `r_organization_social` / `r_member_social` (the post finder).
    can_read_posts: bool,
    admin_of: Vec<String>,
    /// How long a create takes: its answer is delayed, and the post listed, only after it.
    create_latency: Duration,
}

pub struct FakeLinkedIn {
    pub server: MockServer,
    state: Arc<Mutex<State>>,
}

impl FakeLinkedIn {
    pub async fn start() -> Self {
        let server = MockServer::start().await;
        let state = Arc::new(Mutex::new(State {
            base: server.uri(),
            posts: Vec::new(),
            images: Vec::new(),
            script: VecDeque::new(),
            rejected: Vec::new(),
            requests: Vec::new(),
            oldest_version: OLDEST_VERSION.to_string(),
            duplicate_window: Duration::from_secs(24 * 3600),
            can_read_posts: true,
            admin_of: vec![ORGANIZATION.to_string()],
            create_latency: Duration::ZERO,
        }));
        Mock::given(any()).respond_with(Responder { state: state.clone() }).mount(&server).await;
        Self { server, state }
    }

    pub fn uri(&self) -> String {
        self.server.uri()
    }

    pub fn script(&self, s: Script) {
        self.lock().script.push_back(s);
    }

    pub fn posts(&self) -> Vec<Posted> {
        self.lock().posts.clone()
    }

    pub fn images(&self) -> Vec<Image> {
        self.lock().images.clone()
    }

    /// Why requests were refused as malformed or unauthorised (should stay empty on good paths).
    pub fn rejected(&self) -> Vec<String> {
        self.lock().rejected.clone()
    }

    /// Every request received, as `METHOD /path?query`, in order.
    pub fn requests(&self) -> Vec<String> {
        self.lock().requests.clone()
    }

    /// Versions before `version` (`YYYYMM`) answer 426.
    pub fn set_oldest_version(&self, version: &str) {
        self.lock().oldest_version = version.to_string();
    }

    pub fn set_duplicate_window(&self, window: Duration) {
        self.lock().duplicate_window = window;
    }

    /// Makes every later `POST /rest/posts` take `latency`: the post is stored at once (a client
    /// that gives up still made it), answered after `latency`, and listed only from then on.
    pub fn set_create_latency(&self, latency: Duration) {
        self.lock().create_latency = latency;
    }

    /// `n` posts made on the organization's Page by its staff (by hand, not through herald), newer
    /// than everything before; their URNs, oldest first.
    pub fn post_by_others(&self, n: usize) -> Vec<String> {
        let mut state = self.lock();
        let now = chrono::Utc::now().timestamp_millis();
        (0..n)
            .map(|_| {
                let urn = format!("urn:li:share:{}", 7_300_000_000_000_000_000u64 + state.posts.len() as u64);
                let text = format!("Staff update {} from the Page's own tools", state.posts.len());
                state.posts.push(Posted {
                    urn: urn.clone(),
                    author: ORGANIZATION.to_string(),
                    commentary: text.clone(),
                    text,
                    images: Vec::new(),
                    content_kind: None,
                    created_at: now,
                    visible_at: now,
                });
                urn
            })
            .collect()
    }

    /// Whether the token may list the author's posts.
    pub fn set_can_read_posts(&self, yes: bool) {
        self.lock().can_read_posts = yes;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

struct Responder {
    state: Arc<Mutex<State>>,
}

/// LinkedIn's error body: `status`, `message`, and a `code` when given.
fn error(status: u16, code: Option<&str>, message: &str) -> ResponseTemplate {
    let mut body = json!({ "status": status, "message": message });
    if let Some(code) = code {
        body["code"] = json!(code);
    }
    ResponseTemplate::new(status).set_body_json(body)
}

/// A refusal naming one input error, as LinkedIn reports duplicates and ownership problems.
fn input_error(status: u16, message: &str, code: &str, description: &str, field: Option<&str>) -> ResponseTemplate {
    let input = match field {
        Some(f) => json!({ "inputPath": { "fieldPath": f } }),
        None => json!({}),
    };
    ResponseTemplate::new(status).set_body_json(json!({
        "errorDetailType": "com.linkedin.common.error.BadRequest",
        "message": message,
        "errorDetails": { "inputErrors": [{ "description": description, "input": input, "code": code }] },
        "status": status
    }))
}

/// A Rest.li validation failure (422), in LinkedIn's `ERROR :: /path :: reason` form.
fn invalid(path: &str, reason: &str) -> Refusal {
    refuse(
        format!("{path}: {reason}"),
        ResponseTemplate::new(422)
            .set_body_json(json!({ "status": 422, "message": format!("ERROR :: {path} :: {reason}\n") })),
    )
}

/// Why a request was refused (kept for tests), and LinkedIn's answer.
struct Refusal(String, Box<ResponseTemplate>);

fn refuse(why: impl Into<String>, answer: ResponseTemplate) -> Refusal {
    Refusal(why.into(), Box::new(answer))
}

impl Respond for Responder {
    fn respond(&self, req: &wiremock::Request) -> ResponseTemplate {
        let mut state = self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let target = match req.url.query() {
            Some(q) => format!("{} {}?{q}", req.method, req.url.path()),
            None => format!("{} {}", req.method, req.url.path()),
        };
        state.requests.push(target);
        match handle(&mut state, req) {
            Ok(answer) => answer,
            Err(Refusal(why, answer)) => {
                state.rejected.push(why);
                *answer
            }
        }
    }
}

fn handle(state: &mut State, req: &wiremock::Request) -> Result<ResponseTemplate, Refusal> {
    check_token(req)?;
    let path = req.url.path().to_string();
    let method = req.method.as_str();
    if path.starts_with("/rest/") {
        check_rest_headers(state, req)?;
    }
    match (method, path.as_str()) {
        ("GET", "/v2/userinfo") => Ok(ResponseTemplate::new(200).set_body_json(json!({
            "sub": PERSON_ID,
            "email_verified": true,
            "name": PERSON_NAME,
            "locale": { "country": "US", "language": "en" },
            "given_name": "Amina",
            "family_name": "Diallo"
        }))),
        ("GET", p) if p.starts_with("/rest/organizations/") => organization(state, &p["/rest/organizations/".len()..]),
        ("POST", "/rest/images") => initialize_upload(state, req),
        ("PUT", p) if p.starts_with("/dms-uploads/") => upload(state, req, &p["/dms-uploads/".len()..]),
        ("POST", "/rest/posts") => create_post(state, req),
        ("GET", "/rest/posts") => find_posts(state, req),
        _ => Err(refuse(format!("no such resource: {method} {path}"), error(404, Some("NOT_FOUND"), "Not Found"))),
    }
}

fn header<'r>(req: &'r wiremock::Request, name: &str) -> Option<&'r str> {
    req.headers.get(name).and_then(|v| v.to_str().ok())
}

fn check_token(req: &wiremock::Request) -> Result<(), Refusal> {
    if header(req, "authorization") == Some(format!("Bearer {TOKEN}").as_str()) {
        return Ok(());
    }
    Err(refuse(
        "invalid access token",
        ResponseTemplate::new(401).set_body_json(json!({
            "status": 401, "serviceErrorCode": 65600, "code": "INVALID_ACCESS_TOKEN", "message": "Invalid access token"
        })),
    ))
}

/// `LinkedIn-Version` and `X-Restli-Protocol-Version`, required on every `/rest` call.
fn check_rest_headers(state: &State, req: &wiremock::Request) -> Result<(), Refusal> {
    let Some(version) = header(req, "linkedin-version") else {
        return Err(refuse(
            "no LinkedIn-Version",
            error(
                400,
                Some("VERSION_MISSING"),
                "A version must be present. Please specify a version by adding the LinkedIn-Version header.",
            ),
        ));
    };
    let month = version.split_once('.').map_or(version, |(m, _)| m);
    if month.len() != 6 || !month.chars().all(|c| c.is_ascii_digit()) || !("01"..="12").contains(&&month[4..]) {
        return Err(refuse(
            format!("bad LinkedIn-Version {version}"),
            error(400, Some("INVALID_VERSION"), &format!("Invalid version format: {version}")),
        ));
    }
    if month < state.oldest_version.as_str() {
        return Err(refuse(
            format!("retired LinkedIn-Version {version}"),
            error(426, Some("NONEXISTENT_VERSION"), &format!("Requested version {month}01 is not active")),
        ));
    }
    if header(req, "x-restli-protocol-version") != Some("2.0.0") {
        return Err(refuse(
            "no X-Restli-Protocol-Version: 2.0.0",
            error(400, None, "X-Restli-Protocol-Version 2.0.0 is required for this resource"),
        ));
    }
    if req.method.as_str() == "POST" && !header(req, "content-type").is_some_and(|c| c.starts_with("application/json"))
    {
        return Err(refuse("content-type is not application/json", error(415, None, "Unsupported Media Type")));
    }
    Ok(())
}

/// Whether the token may act as `author`: the member, or an organization the member administers.
fn may_act_as(state: &State, author: &str) -> bool {
    author == person() || state.admin_of.iter().any(|o| o == author)
}

fn denied(what: &str) -> Refusal {
    refuse(
        format!("not allowed: {what}"),
        ResponseTemplate::new(403).set_body_json(json!({
            "status": 403, "serviceErrorCode": 100, "code": "ACCESS_DENIED",
            "message": format!("Not enough permissions to access: {what}")
        })),
    )
}

fn organization(state: &State, id: &str) -> Result<ResponseTemplate, Refusal> {
    let urn = format!("urn:li:organization:{id}");
    if !state.admin_of.contains(&urn) {
        return Err(denied("organizationsLookup.GET.20260701"));
    }
    Ok(ResponseTemplate::new(200).set_body_json(json!({
        "id": id.parse::<u64>().unwrap_or_default(),
        "localizedName": ORGANIZATION_NAME,
        "vanityName": "humansecurityforall"
    })))
}

fn json_body(req: &wiremock::Request) -> Result<Value, Refusal> {
    serde_json::from_slice(&req.body).map_err(|e| {
        refuse(format!("body is not JSON: {e}"), error(400, None, "Unable to parse the request body as JSON"))
    })
}

fn is_author_urn(s: &str) -> bool {
    let digits = |id: &str| !id.is_empty() && id.chars().all(|c| c.is_ascii_digit());
    s.strip_prefix("urn:li:organization:").is_some_and(digits)
        || s.strip_prefix("urn:li:person:").is_some_and(|id| !id.is_empty())
}

/// `POST /rest/images?action=initializeUpload`.
fn initialize_upload(state: &mut State, req: &wiremock::Request) -> Result<ResponseTemplate, Refusal> {
    if !req.url.query_pairs().any(|(k, v)| k == "action" && v == "initializeUpload") {
        return Err(refuse("images call without action=initializeUpload", error(400, None, "Invalid action")));
    }
    let body = json_body(req)?;
    let request = body.get("initializeUploadRequest").ok_or_else(|| {
        invalid("/initializeUploadRequest", "field is required but not found and has no default value")
    })?;
    for key in body.as_object().into_iter().flat_map(|o| o.keys()) {
        if key != "initializeUploadRequest" {
            return Err(invalid(&format!("/{key}"), "unrecognized field found but not allowed"));
        }
    }
    let owner = request["owner"].as_str().ok_or_else(|| {
        invalid("/initializeUploadRequest/owner", "field is required but not found and has no default value")
    })?;
    if !is_author_urn(owner) {
        return Err(invalid("/initializeUploadRequest/owner", &format!("{owner} is not a valid owner URN")));
    }
    if !may_act_as(state, owner) {
        return Err(denied("partnerApiImages.ACTION-initializeUpload.20260701"));
    }
    let n = state.images.len() + 1;
    let key = format!("D4E10AQ{n:06}");
    let urn = format!("urn:li:image:{key}");
    state.images.push(Image { urn: urn.clone(), owner: owner.to_string(), key: key.clone(), puts: 0, bytes: 0 });
    let now_ms = chrono::Utc::now().timestamp_millis();
    Ok(ResponseTemplate::new(200).set_body_json(json!({
        "value": {
            "uploadUrlExpiresAt": now_ms + 86_400_000,
            "uploadUrl": format!("{}/dms-uploads/{key}?ca=vector_feedshare&cn=uploads&m=AQJ&app=201&sync=0&v=beta", state.base),
            "image": urn
        }
    })))
}

/// `PUT <uploadUrl>`: the whole file, once.
fn upload(state: &mut State, req: &wiremock::Request, key: &str) -> Result<ResponseTemplate, Refusal> {
    let Some(image) = state.images.iter_mut().find(|i| i.key == key) else {
        return Err(refuse(format!("upload to unknown address {key}"), error(404, None, "Not Found")));
    };
    if herald::channels::MediaType::sniff(&req.body).is_none() {
        return Err(refuse(format!("upload of {key} is not an image"), error(400, None, "Invalid image")));
    }
    image.puts += 1;
    image.bytes = req.body.len();
    Ok(ResponseTemplate::new(201))
}

/// What LinkedIn shows for `commentary`: escapes resolved, hashtag templates and plain `#tags` as
/// hashtags, and everything after the first other unescaped reserved character silently dropped.
/// Returns the text and the length of the commentary kept.
pub fn as_published(commentary: &str) -> (String, usize) {
    const RESERVED: &str = "\\|{}@[]()<>#*_~";
    const HASHTAG: &str = "{hashtag|\\#|";
    let mut out = String::new();
    let mut i = 0;
    while let Some(c) = commentary[i..].chars().next() {
        let rest = &commentary[i..];
        if c == '\\' {
            match rest[1..].chars().next() {
                Some(next) => {
                    out.push(next);
                    i += 1 + next.len_utf8();
                }
                None => return (out, i),
            }
        } else if let Some(tag) = rest.strip_prefix(HASHTAG).and_then(|t| t.split_once('}')).map(|(tag, _)| tag) {
            out.push('#');
            out.push_str(&tag.replace('\\', ""));
            i += HASHTAG.len() + tag.len() + 1;
        } else if c == '#' && rest[1..].starts_with(|n: char| n.is_alphanumeric()) {
            let word: String = rest[1..].chars().take_while(|n| n.is_alphanumeric()).collect();
            out.push('#');
            out.push_str(&word);
            i += 1 + word.len();
        } else if RESERVED.contains(c) {
            return (out, i);
        } else {
            out.push(c);
            i += c.len_utf8();
        }
    }
    (out, i)
}

const POST_KEYS: &[&str] = &[
    "author",
    "commentary",
    "visibility",
    "distribution",
    "lifecycleState",
    "isReshareDisabledByAuthor",
    "content",
    "contentLandingPage",
    "contentCallToActionLabel",
    "reshareContext",
    "container",
    "adContext",
];

/// A post body that passed every check.
struct Checked {
    author: String,
    commentary: String,
    images: Vec<(String, Option<String>)>,
    content_kind: Option<String>,
}

/// Checks the body of `POST /rest/posts` as LinkedIn does.
fn check_post(state: &State, body: &Value) -> Result<Checked, Refusal> {
    let obj = body.as_object().ok_or_else(|| invalid("", "the body is not a record"))?;
    for key in obj.keys() {
        if !POST_KEYS.contains(&key.as_str()) {
            return Err(invalid(&format!("/{key}"), "unrecognized field found but not allowed"));
        }
    }
    let required = |k: &str| {
        obj.get(k).ok_or_else(|| invalid(&format!("/{k}"), "field is required but not found and has no default value"))
    };
    let string = |k: &str| -> Result<String, Refusal> {
        required(k)?.as_str().map(str::to_string).ok_or_else(|| invalid(&format!("/{k}"), "is not a string"))
    };
    let author = string("author")?;
    if !is_author_urn(&author) {
        return Err(invalid("/author", &format!("{author} is not a person or organization URN")));
    }
    let commentary = string("commentary")?;
    let visibility = string("visibility")?;
    if !["PUBLIC", "CONNECTIONS", "LOGGED_IN", "CONTAINER"].contains(&visibility.as_str()) {
        return Err(invalid("/visibility", &format!("\"{visibility}\" is not an enum symbol")));
    }
    let lifecycle = string("lifecycleState")?;
    if !["PUBLISHED", "DRAFT", "PUBLISH_REQUESTED", "PUBLISH_FAILED"].contains(&lifecycle.as_str()) {
        return Err(invalid("/lifecycleState", &format!("\"{lifecycle}\" is not an enum symbol")));
    }
    let distribution = required("distribution")?;
    match distribution["feedDistribution"].as_str() {
        Some("MAIN_FEED" | "NONE") => {}
        _ => return Err(invalid("/distribution/feedDistribution", "is not an enum symbol")),
    }
    for k in ["targetEntities", "thirdPartyDistributionChannels"] {
        if distribution.get(k).is_some_and(|v| !v.is_array()) {
            return Err(invalid(&format!("/distribution/{k}"), "is not an array"));
        }
    }
    if obj.get("isReshareDisabledByAuthor").is_some_and(|v| !v.is_boolean()) {
        return Err(invalid("/isReshareDisabledByAuthor", "is not a boolean"));
    }
    if !may_act_as(state, &author) {
        return Err(denied("partnerApiPostsExternal.CREATE.20260701"));
    }
    let (images, kind) = match obj.get("content") {
        None => (Vec::new(), None),
        Some(content) => {
            let refs: Vec<(&Value, String)> = if let Some(media) = content.get("media") {
                vec![(media, "/content/media".to_string())]
            } else if let Some(multi) = content.get("multiImage") {
                let list = multi["images"]
                    .as_array()
                    .ok_or_else(|| invalid("/content/multiImage/images", "is not an array"))?;
                if !(2..=20).contains(&list.len()) {
                    return Err(invalid("/content/multiImage/images", "a multi-image post has 2 to 20 images"));
                }
                list.iter().enumerate().map(|(i, v)| (v, format!("/content/multiImage/images/{i}"))).collect()
            } else {
                return Err(invalid("/content", "only media and multiImage are supported by this fake"));
            };
            let mut images = Vec::new();
            for (v, at) in refs {
                let id =
                    v["id"].as_str().ok_or_else(|| invalid(&format!("{at}/id"), "field is required but not found"))?;
                if v.get("altText").is_some_and(|a| !a.is_string()) {
                    return Err(invalid(&format!("{at}/altText"), "is not a string"));
                }
                let image = state.images.iter().find(|i| i.urn == id).ok_or_else(|| {
                    refuse(format!("unknown image {id}"), error(400, None, &format!("Image {id} does not exist")))
                })?;
                if image.puts == 0 {
                    return Err(refuse(
                        format!("image {id} used before its upload"),
                        error(400, None, &format!("Image {id} is not AVAILABLE (status WAITING_UPLOAD)")),
                    ));
                }
                if image.owner != author {
                    return Err(refuse(
                        format!("image {id} owned by {} used by {author}", image.owner),
                        input_error(
                            400,
                            &format!("Invalid content ownership for content {id}"),
                            "INVALID_CONTENT_OWNERSHIP",
                            "Invalid content ownership",
                            Some(&format!("{at}/id")),
                        ),
                    ));
                }
                images.push((id.to_string(), v["altText"].as_str().map(str::to_string)));
            }
            let kind = if content.get("media").is_some() { "media" } else { "multiImage" };
            (images, Some(kind.to_string()))
        }
    };
    Ok(Checked { author, commentary, images, content_kind: kind })
}

fn duplicate(of: &str) -> ResponseTemplate {
    input_error(422, &format!("Content is a duplicate of {of}"), "DUPLICATE_POST", "Duplicate post is detected", None)
}

/// `POST /rest/posts`.
fn create_post(state: &mut State, req: &wiremock::Request) -> Result<ResponseTemplate, Refusal> {
    let body = json_body(req)?;
    let Checked { author, commentary, images, content_kind } = check_post(state, &body)?;
    let (text, _) = as_published(&commentary);
    let now = chrono::Utc::now().timestamp_millis();
    let latency = state.create_latency;
    let visible_at = now + i64::try_from(latency.as_millis()).unwrap_or(i64::MAX);
    let store = |state: &mut State| {
        let urn = format!("urn:li:share:{}", 7_300_000_000_000_000_000u64 + state.posts.len() as u64);
        state.posts.push(Posted {
            urn: urn.clone(),
            author: author.clone(),
            commentary: commentary.clone(),
            text: text.clone(),
            images: images.clone(),
            content_kind: content_kind.clone(),
            created_at: now,
            visible_at,
        });
        ResponseTemplate::new(201).insert_header("x-restli-id", urn.as_str()).set_delay(latency)
    };
    if let Some(s) = state.script.pop_front() {
        return Ok(match s {
            Script::RateLimited { retry_after } => {
                let answer = ResponseTemplate::new(429).set_body_json(json!({
                    "status": 429, "serviceErrorCode": 101, "code": "TOO_MANY_REQUESTS",
                    "message": "Resource level throttle APPLICATION DAY limit for calls to this resource is reached."
                }));
                match retry_after {
                    Some(s) => answer.insert_header("retry-after", s.to_string().as_str()),
                    None => answer,
                }
            }
            Script::ServerError => error(500, Some("INTERNAL_SERVER_ERROR"), "Internal Server Error"),
            Script::ExpiredToken => ResponseTemplate::new(401).set_body_json(json!({
                "status": 401, "serviceErrorCode": 65602, "code": "EXPIRED_ACCESS_TOKEN",
                "message": "The token used in the request has expired"
            })),
            Script::Duplicate => {
                let of = state.posts.last().map_or("urn:li:share:7000000000000000000".to_string(), |p| p.urn.clone());
                duplicate(&of)
            }
            // The post is made, but the answer comes too late: the client cannot know.
            Script::Hang(d) => store(state).set_delay(latency + d),
            Script::ServerErrorAfterCreating => {
                store(state);
                error(504, None, "Gateway Timeout")
            }
        });
    }
    let window = i64::try_from(state.duplicate_window.as_millis()).unwrap_or(i64::MAX);
    if let Some(earlier) =
        state.posts.iter().rev().find(|p| p.author == author && p.text == text && now - p.created_at < window)
    {
        return Ok(duplicate(&earlier.urn));
    }
    Ok(store(state))
}

/// `GET /rest/posts?q=author&author=…`: the author's posts, newest first.
fn find_posts(state: &State, req: &wiremock::Request) -> Result<ResponseTemplate, Refusal> {
    let query: Vec<(String, String)> = req.url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
    let get = |k: &str| query.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    if get("q") != Some("author") {
        return Err(refuse("post finder without q=author", error(400, None, "Invalid finder")));
    }
    let author = get("author").unwrap_or_default();
    if !is_author_urn(author) {
        return Err(refuse(format!("finder author {author:?}"), error(400, None, "Invalid author")));
    }
    if !state.can_read_posts || !may_act_as(state, author) {
        return Err(denied("partnerApiPostsExternal.FINDER-author.20260701"));
    }
    let number = |k: &str, default: usize| match get(k) {
        None => Ok(default),
        Some(v) => v.parse::<usize>().map_err(|_| {
            refuse(format!("finder {k}={v}"), error(400, None, &format!("Invalid value {v} for parameter {k}")))
        }),
    };
    let start = number("start", 0)?;
    let count = number("count", 10)?.min(MAX_COUNT);
    if get("sortBy").is_some_and(|s| s != "LAST_MODIFIED" && s != "CREATED") {
        return Err(refuse("finder sortBy", error(400, None, "Invalid value for parameter sortBy")));
    }
    let now = chrono::Utc::now().timestamp_millis();
    // Newest first; posts are never edited here, so last modified is created.
    let listed: Vec<&Posted> = state.posts.iter().rev().filter(|p| p.author == author && p.visible_at <= now).collect();
    let total = listed.len();
    let elements: Vec<Value> = listed
        .iter()
        .skip(start)
        .take(count)
        .map(|p| {
            // LinkedIn keeps the commentary only up to where it cut it.
            let (_, kept) = as_published(&p.commentary);
            let mut element = json!({
                "id": p.urn,
                "author": p.author,
                "commentary": &p.commentary[..kept],
                "visibility": "PUBLIC",
                "lifecycleState": "PUBLISHED",
                "createdAt": p.created_at,
                "publishedAt": p.created_at,
                "lastModifiedAt": p.created_at,
                "isReshareDisabledByAuthor": false,
                "distribution": { "feedDistribution": "MAIN_FEED", "targetEntities": [], "thirdPartyDistributionChannels": [] }
            });
            let image = |(id, alt): &(String, Option<String>)| match alt {
                Some(alt) => json!({ "id": id, "altText": alt }),
                None => json!({ "id": id }),
            };
            match (p.content_kind.as_deref(), p.images.as_slice()) {
                (Some("media"), [one]) => element["content"] = json!({ "media": image(one) }),
                (Some("multiImage"), many) => {
                    element["content"] =
                        json!({ "multiImage": { "images": many.iter().map(image).collect::<Vec<_>>() } })
                }
                _ => {}
            }
            element
        })
        .collect();
    let mut links = Vec::new();
    if start + elements.len() < total {
        let next = format!(
            "/rest/posts?author={}&count={count}&q=author&start={}",
            author.replace(':', "%3A"),
            start + elements.len()
        );
        links.push(json!({ "rel": "next", "type": "application/json", "href": next }));
    }
    Ok(ResponseTemplate::new(200).set_body_json(json!({
        "paging": { "start": start, "count": count, "links": links, "total": total },
        "elements": elements
    })))
}
