//! A stateful fake of X's `POST /2/tweets` on 127.0.0.1 that checks requests the way X does: the
//! OAuth 1.0a signature (recomputed from the known secrets), the JSON body's shape
//! (`CreatePostsRequest`: only known keys, ids as digit strings, replies to existing posts), and
//! duplicate content; it records what was published and can be scripted to fail.
//!
//! `GET /2/users/{id}/tweets` pages as X does: `max_results` (5 to 100, 10 when not given; 400
//! otherwise), `start_time`, and `meta.next_token` to send back as `pagination_token`. Other people
//! can post on the account ([`FakeX::post_by_others`]), and creates can be slow
//! ([`FakeX::set_create_latency`]): the answer comes late and the post is listed only then.

#![allow(dead_code)]

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use herald::channels::twitter::oauth1::{self, Credentials};
use herald::secrets::Secret;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Respond, ResponseTemplate};

pub fn credentials() -> Credentials {
    Credentials {
        consumer_key: Secret::new("fake-consumer-key-0001"),
        consumer_secret: Secret::new("fake-consumer-secret-0002"),
        token: Secret::new("fake-token-0003"),
        token_secret: Secret::new("fake-token-secret-0004"),
    }
}

/// The OAuth 2.0 client of the fake X, and the first refresh token it issued.
pub const OAUTH2_CLIENT_ID: &str = "fake-oauth2-client-id";
pub const OAUTH2_FIRST_REFRESH: &str = "fake-refresh-token-0";

/// A failure to answer the next request with.
#[derive(Debug, Clone)]
pub enum Script {
    RateLimited {
        reset_in: i64,
    },
    UsageCapped,
    ServerError,
    Unauthorized,
    /// Accept the request, then answer only after this long (longer than the client waits).
    Hang(Duration),
    /// Make the post, then answer 503 (an overloaded front end that lost the answer).
    ServerErrorAfterCreating,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Posted {
    pub id: String,
    pub text: String,
    pub reply_to: Option<String>,
    /// The uploaded images attached, with their alt text.
    pub media: Vec<(String, Option<String>)>,
    /// Unix milliseconds.
    pub created_at: i64,
    /// From when it is listed (Unix milliseconds): later than `created_at` while a slow create is
    /// still being processed.
    pub visible_at: i64,
}

struct OAuth2 {
    /// The one refresh token that works now (each refresh rotates it).
    refresh: String,
    /// Access tokens issued, with their expiry (Unix seconds).
    access: Vec<(String, i64)>,
    refreshes: u32,
    lifetime: i64,
}

impl Default for OAuth2 {
    fn default() -> Self {
        Self { refresh: OAUTH2_FIRST_REFRESH.into(), access: Vec::new(), refreshes: 0, lifetime: 7200 }
    }
}

#[derive(Default)]
struct State {
    oauth2: OAuth2,
    posts: Vec<Posted>,
    /// Uploaded media ids, with alt text once set.
    media: Vec<(String, Option<String>)>,
    script: VecDeque<Script>,
    rejected: Vec<String>,
    /// How long a create takes: its answer is delayed, and the post listed, only after it.
    create_latency: Duration,
    /// Every query string the timeline received, in order.
    timeline_queries: Vec<String>,
}

pub struct FakeX {
    pub server: MockServer,
    state: Arc<Mutex<State>>,
}

impl FakeX {
    pub async fn start() -> Self {
        let server = MockServer::start().await;
        let state = Arc::new(Mutex::new(State::default()));
        for (p, endpoint) in [
            ("/2/tweets", Endpoint::Tweets),
            ("/2/media/upload", Endpoint::Upload),
            ("/2/media/metadata", Endpoint::Metadata),
        ] {
            Mock::given(method("POST"))
                .and(path(p))
                .respond_with(Responder { state: state.clone(), endpoint })
                .mount(&server)
                .await;
        }
        Mock::given(method("GET"))
            .and(path("/2/users/me"))
            .respond_with(Responder { state: state.clone(), endpoint: Endpoint::Me })
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(wiremock::matchers::path_regex(r"^/2/users/[0-9]+/tweets$"))
            .respond_with(Responder { state: state.clone(), endpoint: Endpoint::Timeline })
            .mount(&server)
            .await;
        Mock::given(method("POST"))
            .and(path("/2/oauth2/token"))
            .respond_with(TokenResponder { state: state.clone() })
            .mount(&server)
            .await;
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

    /// Makes every later `POST /2/tweets` take `latency`: the post is made at once (a client that
    /// gives up still made it), answered after `latency`, and listed only from then on.
    pub fn set_create_latency(&self, latency: Duration) {
        self.state.lock().unwrap().create_latency = latency;
    }

    /// `n` posts made on the account by its staff (in X's own apps), newer than everything before;
    /// their ids, oldest first.
    pub fn post_by_others(&self, n: usize) -> Vec<String> {
        let mut state = self.state.lock().unwrap();
        let now = chrono::Utc::now().timestamp_millis();
        (0..n)
            .map(|_| {
                let id = (1_800_000_000_000_000_000u64 + state.posts.len() as u64).to_string();
                let text = format!("Staff update {} from the X app", state.posts.len());
                state.posts.push(Posted {
                    id: id.clone(),
                    text,
                    reply_to: None,
                    media: Vec::new(),
                    created_at: now,
                    visible_at: now,
                });
                id
            })
            .collect()
    }

    /// The query strings of every `GET /2/users/{id}/tweets`, in order.
    pub fn timeline_queries(&self) -> Vec<String> {
        self.state.lock().unwrap().timeline_queries.clone()
    }

    /// How many times an OAuth 2.0 token was refreshed.
    pub fn refreshes(&self) -> u32 {
        self.state.lock().unwrap().oauth2.refreshes
    }

    /// The refresh token that works now.
    pub fn current_refresh_token(&self) -> String {
        self.state.lock().unwrap().oauth2.refresh.clone()
    }

    /// Makes every OAuth 2.0 access token issued so far expire now (as after two hours).
    pub fn expire_access_tokens(&self) {
        for t in &mut self.state.lock().unwrap().oauth2.access {
            t.1 = 0;
        }
    }

    /// Sets how long new access tokens last.
    pub fn set_access_lifetime(&self, seconds: i64) {
        self.state.lock().unwrap().oauth2.lifetime = seconds;
    }

    /// Why requests were refused as malformed (should stay empty).
    pub fn rejected(&self) -> Vec<String> {
        self.state.lock().unwrap().rejected.clone()
    }
}

#[derive(Clone, Copy)]
enum Endpoint {
    Tweets,
    Upload,
    Metadata,
    /// `GET /2/users/me`, the probe.
    Me,
    /// `GET /2/users/{id}/tweets`, the account's recent posts.
    Timeline,
}

/// `POST /2/oauth2/token` with `grant_type=refresh_token`: rotates the refresh token.
struct TokenResponder {
    state: Arc<Mutex<State>>,
}

impl Respond for TokenResponder {
    fn respond(&self, req: &wiremock::Request) -> ResponseTemplate {
        let mut state = self.state.lock().unwrap();
        let content_type = req.headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default();
        let form: Vec<(String, String)> = url_decode_form(&String::from_utf8_lossy(&req.body));
        let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        let invalid = |why: &str| {
            ResponseTemplate::new(400)
                .set_body_json(serde_json::json!({"error": "invalid_request", "error_description": why}))
        };
        if !content_type.starts_with("application/x-www-form-urlencoded") {
            state.rejected.push(format!("token: content-type {content_type}"));
            return invalid("Missing required parameter [grant_type].");
        }
        if get("grant_type") != Some("refresh_token") || get("client_id") != Some(OAUTH2_CLIENT_ID) {
            state.rejected.push(format!("token: bad grant or client {form:?}"));
            return invalid("Missing required parameter [client_id].");
        }
        if get("refresh_token") != Some(state.oauth2.refresh.as_str()) {
            // A used (rotated) or unknown refresh token: what X answers.
            return invalid("Value passed for the token was invalid.");
        }
        state.oauth2.refreshes += 1;
        let n = state.oauth2.refreshes;
        let access = format!("fake-access-token-{n}");
        state.oauth2.refresh = format!("fake-refresh-token-{n}");
        let lifetime = state.oauth2.lifetime;
        state.oauth2.access.push((access.clone(), chrono::Utc::now().timestamp() + lifetime));
        ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "token_type": "bearer", "expires_in": lifetime, "access_token": access,
            "scope": "tweet.read tweet.write users.read media.write offline.access",
            "refresh_token": state.oauth2.refresh,
        }))
    }
}

fn url_decode_form(body: &str) -> Vec<(String, String)> {
    body.split('&')
        .filter(|kv| !kv.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            let decode = |s: &str| {
                let bytes = s.replace('+', " ");
                let mut out = Vec::new();
                let b = bytes.as_bytes();
                let mut i = 0;
                while i < b.len() {
                    if b[i] == b'%'
                        && let Some(h) = bytes.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(h, 16).ok())
                    {
                        out.push(h);
                        i += 3;
                    } else {
                        out.push(b[i]);
                        i += 1;
                    }
                }
                String::from_utf8_lossy(&out).into_owned()
            };
            (decode(k), decode(v))
        })
        .collect()
}

struct Responder {
    state: Arc<Mutex<State>>,
    endpoint: Endpoint,
}

fn problem(status: u16, title: &str, detail: &str, kind: &str) -> ResponseTemplate {
    ResponseTemplate::new(status)
        .set_body_json(serde_json::json!({"title": title, "detail": detail, "type": kind, "status": status}))
}

impl Respond for Responder {
    fn respond(&self, req: &wiremock::Request) -> ResponseTemplate {
        let mut state = self.state.lock().unwrap();
        if let Err(why) = verify(req, &state, self.endpoint) {
            state.rejected.push(why.clone());
            let status =
                if why.starts_with("signature") || why.starts_with("unknown consumer") || why.starts_with("bearer") {
                    401
                } else {
                    400
                };
            return problem(status, "Invalid Request", &why, "about:blank");
        }
        let body: serde_json::Value = serde_json::from_slice(&req.body).unwrap_or_default();
        match self.endpoint {
            Endpoint::Timeline => {
                let query = req.url.query().unwrap_or_default().to_string();
                state.timeline_queries.push(query);
                return match timeline(&state, req) {
                    Ok(page) => ResponseTemplate::new(200).set_body_json(page),
                    Err(why) => {
                        state.rejected.push(why.clone());
                        problem(400, "Invalid Request", &why, "https://api.x.com/2/problems/invalid-request")
                    }
                };
            }
            Endpoint::Me => {
                return ResponseTemplate::new(200).set_body_json(
                    serde_json::json!({"data": {"id": "2244994945", "name": "HS4A", "username": "humansecurityFA"}}),
                );
            }
            Endpoint::Upload => {
                let id = (1_700_000_000_000_000_000u64 + state.media.len() as u64).to_string();
                state.media.push((id.clone(), None));
                return ResponseTemplate::new(200).set_body_json(serde_json::json!({"data": {"id": id, "media_key": format!("3_{id}"), "expires_after_secs": 86400}}));
            }
            Endpoint::Metadata => {
                let id = body["id"].as_str().unwrap_or_default();
                let alt = body["metadata"]["alt_text"]["text"].as_str().map(String::from);
                if let Some(m) = state.media.iter_mut().find(|(m, _)| m == id) {
                    m.1 = alt;
                }
                return ResponseTemplate::new(200)
                    .set_body_json(serde_json::json!({"data": {"associated_metadata": true}}));
            }
            Endpoint::Tweets => {}
        }
        let now = chrono::Utc::now().timestamp();
        let latency = state.create_latency;
        if let Some(s) = state.script.pop_front() {
            return match s {
                Script::RateLimited { reset_in } => {
                    problem(429, "Too Many Requests", "Too Many Requests", "about:blank")
                        .insert_header("x-rate-limit-remaining", "0")
                        .insert_header("x-rate-limit-reset", (now + reset_in).to_string().as_str())
                }
                Script::UsageCapped => problem(
                    429,
                    "UsageCapExceeded",
                    "Usage cap exceeded: Monthly product cap",
                    "https://api.x.com/2/problems/usage-capped",
                ),
                Script::ServerError => ResponseTemplate::new(503).set_body_string("Service Unavailable"),
                Script::Unauthorized => problem(401, "Unauthorized", "Unauthorized", "about:blank"),
                Script::Hang(d) => {
                    // The post is made, but the answer comes too late: the client cannot know.
                    let posted = record(&mut state, req);
                    ResponseTemplate::new(201).set_body_json(posted).set_delay(latency + d)
                }
                Script::ServerErrorAfterCreating => {
                    record(&mut state, req);
                    ResponseTemplate::new(503).set_body_string("Service Unavailable")
                }
            };
        }
        let text = body["text"].as_str().unwrap_or_default();
        if state.posts.iter().any(|p| p.text == text) {
            return problem(
                403,
                "Forbidden",
                "You are not allowed to create a Tweet with duplicate content.",
                "about:blank",
            );
        }
        ResponseTemplate::new(201).set_body_json(record(&mut state, req)).set_delay(latency)
    }
}

/// One page of `GET /2/users/{id}/tweets`: newest first, links shortened and `&` escaped as X
/// returns texts; the pagination token is the position in the list (X's are opaque).
fn timeline(state: &State, req: &wiremock::Request) -> Result<serde_json::Value, String> {
    let get = |k: &str| req.url.query_pairs().find(|(n, _)| n == k).map(|(_, v)| v.into_owned());
    let max_results = match get("max_results") {
        None => 10,
        Some(v) => match v.parse::<usize>() {
            Ok(n) if (5..=100).contains(&n) => n,
            _ => return Err(format!("The `max_results` query parameter value [{v}] is not between 5 and 100")),
        },
    };
    let start_time = match get("start_time") {
        None => i64::MIN,
        Some(t) => chrono::DateTime::parse_from_rfc3339(&t)
            .map_err(|_| format!("Invalid start_time [{t}]: not an RFC 3339 date-time"))?
            .timestamp_millis(),
    };
    let offset = match get("pagination_token") {
        None => 0,
        Some(t) => t
            .strip_prefix("7140dibdnow9c7btw4")
            .and_then(|n| n.parse::<usize>().ok())
            .ok_or_else(|| format!("The `pagination_token` query parameter value [{t}] is not valid"))?,
    };
    let now = chrono::Utc::now().timestamp_millis();
    let listed: Vec<&Posted> =
        state.posts.iter().rev().filter(|p| p.created_at >= start_time && p.visible_at <= now).collect();
    let data: Vec<serde_json::Value> = listed
        .iter()
        .skip(offset)
        .take(max_results)
        .map(|p| {
            let text: Vec<String> = p
                .text
                .replace('&', "&amp;")
                .split(' ')
                .map(|w| if w.starts_with("http") { "https://t.co/fAkE1234".to_string() } else { w.to_string() })
                .collect();
            let created = chrono::DateTime::from_timestamp_millis(p.created_at).unwrap_or_default();
            serde_json::json!({
                "id": p.id,
                "text": text.join(" "),
                "created_at": created.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                "edit_history_tweet_ids": [p.id]
            })
        })
        .collect();
    let mut meta = serde_json::json!({ "result_count": data.len() });
    if let (Some(newest), Some(oldest)) = (data.first(), data.last()) {
        meta["newest_id"] = newest["id"].clone();
        meta["oldest_id"] = oldest["id"].clone();
    }
    let end = offset + data.len();
    if end < listed.len() {
        meta["next_token"] = format!("7140dibdnow9c7btw4{end}").into();
    }
    let mut page = serde_json::json!({ "meta": meta });
    if !data.is_empty() {
        page["data"] = data.into();
    }
    Ok(page)
}

fn record(state: &mut State, req: &wiremock::Request) -> serde_json::Value {
    let body: serde_json::Value = serde_json::from_slice(&req.body).unwrap_or_default();
    let id = (1_800_000_000_000_000_000u64 + state.posts.len() as u64).to_string();
    let text = body["text"].as_str().unwrap_or_default().to_string();
    let media = body["media"]["media_ids"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| state.media.iter().find(|(id, _)| Some(id.as_str()) == m.as_str()).cloned())
        .collect();
    let now = chrono::Utc::now().timestamp_millis();
    let visible_at = now + i64::try_from(state.create_latency.as_millis()).unwrap_or(i64::MAX);
    state.posts.push(Posted {
        id: id.clone(),
        text: text.clone(),
        reply_to: body["reply"]["in_reply_to_tweet_id"].as_str().map(String::from),
        media,
        created_at: now,
        visible_at,
    });
    serde_json::json!({"data": {"id": id, "text": text, "edit_history_tweet_ids": [id]}})
}

/// Checks a request as X would; the error says what X would object to.
fn verify(req: &wiremock::Request, state: &State, endpoint: Endpoint) -> Result<(), String> {
    let posts = &state.posts;
    let creds = credentials();
    let header = req.headers.get("authorization").and_then(|v| v.to_str().ok()).ok_or("no Authorization header")?;
    if let Some(token) = header.strip_prefix("Bearer ") {
        let now = chrono::Utc::now().timestamp();
        if !state.oauth2.access.iter().any(|(t, exp)| t == token && *exp > now) {
            return Err("bearer token invalid or expired".into());
        }
    } else {
        verify_oauth1(req, &creds, header)?;
    }
    if matches!(endpoint, Endpoint::Me | Endpoint::Timeline) {
        return Ok(());
    }
    verify_body(req, state, endpoint, posts)
}

/// The OAuth 1.0a signature, recomputed from the known secrets as X does.
fn verify_oauth1(req: &wiremock::Request, creds: &Credentials, header: &str) -> Result<(), String> {
    let params = oauth1::parse_header(header).ok_or("Authorization is not OAuth")?;
    let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    if get("oauth_consumer_key").as_deref() != Some(creds.consumer_key.expose())
        || get("oauth_token").as_deref() != Some(creds.token.expose())
    {
        return Err("unknown consumer key or token".into());
    }
    let ts: i64 = get("oauth_timestamp").and_then(|t| t.parse().ok()).ok_or("no timestamp")?;
    if (chrono::Utc::now().timestamp() - ts).abs() > 300 {
        return Err("timestamp out of bounds".into());
    }
    let mut signed: Vec<(String, String)> = params.iter().filter(|(k, _)| k != "oauth_signature").cloned().collect();
    // Query parameters are signed along (decoded here, encoded again by the base string).
    signed.extend(req.url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())));
    // The URL the client addressed, as X rebuilds it: scheme, the Host header, the path.
    let host = req.headers.get("host").and_then(|v| v.to_str().ok()).unwrap_or_default();
    let url = format!("http://{host}{}", req.url.path());
    let expected = oauth1::sign(
        &oauth1::base_string(req.method.as_str(), &url, &signed),
        creds.consumer_secret.expose(),
        creds.token_secret.expose(),
    );
    if get("oauth_signature").as_deref() != Some(expected.as_str()) {
        return Err(format!("signature mismatch for {url}"));
    }
    Ok(())
}

fn verify_body(req: &wiremock::Request, state: &State, endpoint: Endpoint, posts: &[Posted]) -> Result<(), String> {
    let content_type = req.headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default();
    if !content_type.starts_with("application/json") {
        return Err(format!("content-type {content_type}"));
    }
    let body: serde_json::Value = serde_json::from_slice(&req.body).map_err(|e| format!("body is not JSON: {e}"))?;
    // X's own contract, from its official OpenAPI spec when the shared data is present.
    let schema = match endpoint {
        Endpoint::Tweets => "CreatePostsRequest",
        Endpoint::Upload => "MediaUploadRequest",
        Endpoint::Metadata => "CreateMediaMetadataRequest",
        Endpoint::Me | Endpoint::Timeline => return Ok(()),
    };
    if let Some(spec) = super::openapi::x_spec() {
        super::openapi::validate(spec, schema, &body)?;
    }
    match endpoint {
        Endpoint::Upload => {
            use base64::Engine as _;
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(body["media"].as_str().unwrap_or_default())
                .map_err(|_| "media is not base64")?;
            if herald::channels::MediaType::sniff(&bytes).is_none() {
                return Err("media is not an image".into());
            }
            return Ok(());
        }
        Endpoint::Metadata => {
            let id = body["id"].as_str().unwrap_or_default();
            return if state.media.iter().any(|(m, _)| m == id) {
                Ok(())
            } else {
                Err(format!("metadata for unknown media {id}"))
            };
        }
        Endpoint::Tweets | Endpoint::Me | Endpoint::Timeline => {}
    }
    for m in body["media"]["media_ids"].as_array().into_iter().flatten() {
        if !state.media.iter().any(|(id, _)| Some(id.as_str()) == m.as_str()) {
            return Err(format!("unknown media id {m}"));
        }
    }
    let obj = body.as_object().ok_or("body is not an object")?;
    for key in obj.keys() {
        if !["text", "reply", "media"].contains(&key.as_str()) {
            return Err(format!("unexpected key {key}"));
        }
    }
    if !body["text"].is_string() {
        return Err("text must be a string".into());
    }
    if let Some(reply) = body.get("reply") {
        let id = reply["in_reply_to_tweet_id"].as_str().ok_or("reply without in_reply_to_tweet_id")?;
        if id.is_empty() || id.len() > 19 || !id.chars().all(|c| c.is_ascii_digit()) {
            return Err(format!("bad reply id {id}"));
        }
        if !posts.iter().any(|p| p.id == id) {
            return Err(format!("reply to unknown post {id}"));
        }
    }
    Ok(())
}
