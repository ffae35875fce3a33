//! The single place where herald's requests leave the process, and where a dry run stops.
//!
//! Adapters build complete [`Request`]s and hand them to [`Boundary::send`]. A live boundary sends them
//! with reqwest; a dry-run boundary records them (to be shown with secrets redacted) and answers with the
//! placeholder response the adapter supplies, so multi-step flows (upload, then post) can be shown whole.
//! No other code checks for dry runs.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use thiserror::Error;

use super::http::{Body, HeaderValue, Request, Response};
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
    let mut builder = client.request(method, &req.url);
    for (name, value) in &req.headers {
        builder = builder.header(name, value_of(value));
    }
    builder = match req.body {
        Body::Empty => builder,
        Body::Json(v) => builder.header("content-type", "application/json").body(v.to_string()),
        Body::Form(fields) => {
            let encoded: Vec<String> =
                fields.iter().map(|(k, v)| format!("{}={}", form_encode(k), form_encode(value_of(v)))).collect();
            builder.header("content-type", "application/x-www-form-urlencoded").body(encoded.join("&"))
        }
        Body::Bytes { content_type, bytes } => builder.header("content-type", content_type).body(bytes),
    };
    let response = builder.send().await.map_err(classify)?;
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_ascii_lowercase(), v.to_str().unwrap_or_default().to_string()))
        .collect();
    let body = response.bytes().await.map_err(|e| SendError::Lost(e.to_string()))?.to_vec();
    Ok(Response { status, headers, body })
}

fn value_of(v: &HeaderValue) -> &str {
    match v {
        HeaderValue::Plain(s) => s,
        HeaderValue::Secret(s) => s.expose(),
    }
}

/// A failure before the connection was made means nothing was sent; any later failure may have
/// delivered the request.
fn classify(e: reqwest::Error) -> SendError {
    // reqwest's messages carry the URL (never a credential: those travel in headers and bodies).
    if e.is_connect() || e.is_builder() { SendError::NotSent(e.to_string()) } else { SendError::Lost(e.to_string()) }
}

/// `application/x-www-form-urlencoded` encoding of one key or value (RFC 3986: spaces as `%20`).
pub fn form_encode(s: &str) -> String {
    super::http::percent_encode(s)
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

    #[test]
    fn form_encoding_is_rfc3986() {
        assert_eq!(form_encode("Ladies + Gentlemen"), "Ladies%20%2B%20Gentlemen");
        assert_eq!(form_encode("☃"), "%E2%98%83");
    }
}
