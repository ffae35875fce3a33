//! The single place where herald's requests leave the process, and where a dry run stops.
//!
//! Adapters build complete [`Request`]s and hand them to [`Boundary::send`]. A live boundary sends them
//! with reqwest; a dry-run boundary records them (to be shown with secrets redacted) and answers with the
//! placeholder response the adapter supplies, so multi-step flows (upload, then post) can be shown whole.
//! No other code checks for dry runs.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use thiserror::Error;

use super::http::{Body, HeaderValue, Part, Request, Response, percent_encode};
use super::limits::ChannelLimits;

/// Why a request got no response.
#[derive(Debug, Clone, Error, PartialEq, Eq)]
pub enum SendError {
    /// The request never reached the platform (no connection): safe to retry.
    #[error("could not reach the platform: {0}")]
    NotSent(String),
    /// The request may have reached the platform but no answer came back (timeout, dropped
    /// connection): the outcome is unknown and must be reconciled, not blindly retried.
    #[error("the platform did not answer in time; the request may have been received: {0}")]
    Lost(String),
}

#[derive(Clone)]
enum Mode {
    Live(reqwest::Client),
    DryRun(Arc<Mutex<Vec<Request>>>),
}

/// Sends requests, or in a dry run records them. A boundary for one channel
/// ([`Boundary::for_channel`]) also waits out the quiet time the platform's rate-limit headers ask for,
/// and reads those headers on every answer.
#[derive(Clone)]
pub struct Boundary {
    mode: Mode,
    limits: Option<Arc<ChannelLimits>>,
}

impl Boundary {
    /// A live boundary with a per-request timeout.
    pub fn live(timeout: Duration) -> Result<Self, String> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .user_agent(concat!("herald/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        Ok(Self { mode: Mode::Live(client), limits: None })
    }

    /// A dry-run boundary: nothing is sent.
    pub fn dry_run() -> Self {
        Self { mode: Mode::DryRun(Arc::new(Mutex::new(Vec::new()))), limits: None }
    }

    /// The same boundary (same connections, same transcript) for one channel's requests, under its limits.
    pub fn for_channel(&self, limits: Arc<ChannelLimits>) -> Self {
        Self { mode: self.mode.clone(), limits: Some(limits) }
    }

    pub fn is_dry_run(&self) -> bool {
        matches!(self.mode, Mode::DryRun(_))
    }

    /// Sends `req` (live), or records it and returns `placeholder(&req)` (dry run).
    pub async fn send(
        &self,
        req: Request,
        placeholder: impl FnOnce(&Request) -> Response,
    ) -> Result<Response, SendError> {
        match &self.mode {
            Mode::DryRun(log) => {
                let reply = placeholder(&req);
                log.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(req);
                Ok(reply)
            }
            Mode::Live(client) => {
                if let Some(limits) = &self.limits {
                    limits.wait_clear().await;
                }
                let response = send_live(client, req).await?;
                if let Some(limits) = &self.limits {
                    limits.observe(&response, chrono::Utc::now().timestamp());
                }
                Ok(response)
            }
        }
    }

    /// Every request a dry run stopped, in order.
    pub fn transcript(&self) -> Vec<Request> {
        match &self.mode {
            Mode::DryRun(log) => log.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone(),
            Mode::Live(_) => Vec::new(),
        }
    }
}

async fn send_live(client: &reqwest::Client, req: Request) -> Result<Response, SendError> {
    let method = match req.method {
        super::http::Method::Get => reqwest::Method::GET,
        super::http::Method::Post => reqwest::Method::POST,
        super::http::Method::Put => reqwest::Method::PUT,
    };
    let shown = format!("{} {}", req.method.as_str(), req.shown_url());
    let mut builder = client.request(method, req.full_url());
    for (name, value) in &req.headers {
        builder = builder.header(name, value_of(value));
    }
    builder = match req.body {
        Body::Empty => builder,
        Body::Json(v) => {
            builder.header("content-type", "application/json").body(serde_json::to_vec(&*v).unwrap_or_default())
        }
        Body::Form(fields) => {
            let encoded: Vec<String> =
                fields.iter().map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(value_of(v)))).collect();
            builder.header("content-type", "application/x-www-form-urlencoded").body(encoded.join("&"))
        }
        Body::Bytes { content_type, bytes } => builder.header("content-type", content_type).body(bytes),
        // reqwest sets the content type with its boundary.
        Body::Multipart(parts) => builder.multipart(multipart_form(parts)?),
    };
    let response = builder.send().await.map_err(|e| classify(e, &shown))?;
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_ascii_lowercase(), v.to_str().unwrap_or_default().to_string()))
        .collect();
    let body = response.bytes().await.map_err(|e| SendError::Lost(format!("{} ({shown})", e.without_url())))?.to_vec();
    Ok(Response { status, headers, body })
}

/// The parts as reqwest's form; a file part whose content type is not a valid MIME type is a
/// request that was never sent.
fn multipart_form(parts: Vec<Part>) -> Result<reqwest::multipart::Form, SendError> {
    let mut form = reqwest::multipart::Form::new();
    for part in parts {
        form = match part {
            Part::Text { name, value } => form.text(name, value),
            Part::Secret { name, value } => form.text(name, value.expose().to_string()),
            Part::File { name, filename, content_type, bytes } => {
                // The shared bytes themselves, not a copy.
                let length = bytes.len() as u64;
                let file = reqwest::multipart::Part::stream_with_length(reqwest::Body::from(bytes), length)
                    .file_name(filename)
                    .mime_str(&content_type)
                    .map_err(|e| SendError::NotSent(format!("invalid content type {content_type}: {e}")))?;
                form.part(name, file)
            }
        };
    }
    Ok(form)
}

fn value_of(v: &HeaderValue) -> &str {
    match v {
        HeaderValue::Plain(s) => s,
        HeaderValue::Secret(s) => s.expose(),
    }
}

/// A failure before the connection was made means nothing was sent; any later failure may have
/// delivered the request.
fn classify(e: reqwest::Error, shown: &str) -> SendError {
    // reqwest's messages carry the URL, which may hold a secret query parameter: the redacted one is
    // shown instead.
    let not_sent = e.is_connect() || e.is_builder();
    let message = format!("{} ({shown})", e.without_url());
    if not_sent { SendError::NotSent(message) } else { SendError::Lost(message) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dispatch::http::Method;
    use crate::secrets::Secret;

    #[tokio::test]
    async fn a_dry_run_records_the_request_and_sends_nothing() {
        let b = Boundary::dry_run();
        let req =
            Request::new(Method::Post, "http://127.0.0.1:9/never").secret_header("authorization", Secret::new("tok"));
        let reply = b.send(req.clone(), |_| Response::new(201, r#"{"data":{"id":"dry-run"}}"#)).await.unwrap();
        assert_eq!(reply.json()["data"]["id"], "dry-run");
        assert_eq!(b.transcript(), vec![req]);
        assert!(!b.transcript()[0].redacted().contains("tok"));
    }

    #[tokio::test]
    async fn an_unreachable_host_is_not_sent() {
        // Port 9 (discard) on loopback is closed here: the connection is refused before anything is sent.
        let b = Boundary::live(Duration::from_secs(2)).unwrap();
        let e = b.send(Request::new(Method::Get, "http://127.0.0.1:9/"), |_| unreachable!()).await.unwrap_err();
        assert!(matches!(e, SendError::NotSent(_)), "{e:?}");
    }

    #[tokio::test]
    async fn a_failed_request_never_repeats_a_token_from_its_url() {
        let b = Boundary::live(Duration::from_millis(300)).unwrap();
        let req = Request::new(Method::Get, "http://127.0.0.1:9/refresh_access_token")
            .secret_query("access_token", Secret::new("IGQsecret123"));
        let e = b.send(req, |_| unreachable!()).await.unwrap_err();
        assert!(!format!("{e} {e:?}").contains("IGQsecret123"), "{e:?}");
        assert!(e.to_string().contains("(GET http://127.0.0.1:9/refresh_access_token?access_token=***)"), "{e}");
        // Lost after sending, too.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            let (socket, _) = listener.accept().await.unwrap();
            tokio::time::sleep(Duration::from_secs(5)).await;
            drop(socket);
        });
        let req = Request::new(Method::Get, format!("http://{addr}/refresh_access_token"))
            .secret_query("access_token", Secret::new("IGQsecret123"));
        let e = b.send(req, |_| unreachable!()).await.unwrap_err();
        assert!(matches!(e, SendError::Lost(_)), "{e:?}");
        assert!(!format!("{e} {e:?}").contains("IGQsecret123"), "{e:?}");
        server.abort();
    }

    #[tokio::test]
    async fn a_server_that_accepts_then_hangs_is_an_unknown_outcome() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            let (socket, _) = listener.accept().await.unwrap();
            tokio::time::sleep(Duration::from_secs(5)).await;
            drop(socket);
        });
        let b = Boundary::live(Duration::from_millis(300)).unwrap();
        let e = b
            .send(Request::new(Method::Post, format!("http://{addr}/2/tweets")), |_| unreachable!())
            .await
            .unwrap_err();
        assert!(matches!(e, SendError::Lost(_)), "{e:?}");
        server.abort();
    }

    #[tokio::test]
    async fn a_channels_boundary_keeps_quiet_after_the_platform_says_its_window_is_used_up() {
        let server = wiremock::MockServer::start().await;
        let reset = chrono::Utc::now().timestamp() + 2;
        wiremock::Mock::given(wiremock::matchers::method("GET"))
            .respond_with(
                wiremock::ResponseTemplate::new(200)
                    .insert_header("x-rate-limit-remaining", "0")
                    .insert_header("x-rate-limit-reset", reset.to_string().as_str()),
            )
            .mount(&server)
            .await;
        let limits = Arc::new(ChannelLimits::new(1));
        let b = Boundary::live(Duration::from_secs(5)).unwrap().for_channel(limits.clone());
        b.send(Request::new(Method::Get, server.uri()), |_| unreachable!()).await.unwrap();
        assert!(limits.quiet_until().is_some(), "the last call of the window silences the channel");
        let other = Boundary::live(Duration::from_secs(5)).unwrap();
        other.send(Request::new(Method::Get, server.uri()), |_| unreachable!()).await.unwrap();
        assert_eq!(server.received_requests().await.unwrap().len(), 2, "other channels are not held back");
        let start = std::time::Instant::now();
        b.send(Request::new(Method::Get, server.uri()), |_| unreachable!()).await.unwrap();
        assert!(start.elapsed() >= Duration::from_millis(900), "waited for the reset: {:?}", start.elapsed());
    }

    #[tokio::test]
    async fn multipart_bodies_go_out_as_form_data_with_their_files_and_secrets() {
        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut received = Vec::new();
            let mut buf = [0u8; 4096];
            // Read until the closing boundary (`--\r\n` at the end of the body).
            while !received.ends_with(b"--\r\n") {
                let n = socket.read(&mut buf).await.unwrap();
                if n == 0 {
                    break;
                }
                received.extend_from_slice(&buf[..n]);
            }
            socket.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}").await.unwrap();
            received
        });
        let req = Request::new(Method::Post, format!("http://{addr}/v25.0/1/photos")).multipart(vec![
            Part::text("caption", "Hi"),
            Part::Secret { name: "access_token".into(), value: Secret::new("tok-123") },
            Part::File {
                name: "source".into(),
                filename: "card.jpg".into(),
                content_type: "image/jpeg".into(),
                bytes: vec![0xFF, 0xD8, 0xFF, 0xE0].into(),
            },
        ]);
        let b = Boundary::live(Duration::from_secs(5)).unwrap();
        let reply = b.send(req, |_| unreachable!()).await.unwrap();
        assert_eq!(reply.status, 200);
        let received = server.await.unwrap();
        let text = String::from_utf8_lossy(&received);
        assert!(text.to_ascii_lowercase().contains("content-type: multipart/form-data; boundary="), "{text}");
        assert!(text.contains("name=\"caption\"\r\n\r\nHi\r\n"), "{text}");
        assert!(text.contains("name=\"access_token\"\r\n\r\ntok-123\r\n"), "{text}");
        assert!(text.contains("name=\"source\"; filename=\"card.jpg\"\r\nContent-Type: image/jpeg"), "{text}");
        assert!(received.windows(4).any(|w| w == [0xFF, 0xD8, 0xFF, 0xE0]), "the file's bytes are sent as they are");
    }

    #[tokio::test]
    async fn a_file_part_with_a_bad_content_type_is_not_sent() {
        let req = Request::new(Method::Post, "http://127.0.0.1:9/").multipart(vec![Part::File {
            name: "source".into(),
            filename: "x".into(),
            content_type: "not a type".into(),
            bytes: vec![1].into(),
        }]);
        let e = Boundary::live(Duration::from_secs(2)).unwrap().send(req, |_| unreachable!()).await.unwrap_err();
        assert!(matches!(e, SendError::NotSent(ref m) if m.contains("not a type")), "{e:?}");
    }
}
