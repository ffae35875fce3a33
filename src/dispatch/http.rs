//! Requests and responses as plain values: built by adapters, sent by the boundary, shown (with
//! secrets redacted) by a dry run.
//!
//! Bodies that may be large share their contents instead of copying them: a JSON body is an
//! `Arc<Value>` and file bytes are [`Bytes`], so the retries of a request and a dry run's transcript
//! of it hold one copy of an image, however often the request is cloned.

use std::fmt::Write as _;
use std::sync::Arc;

use bytes::Bytes;

use crate::secrets::Secret;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Put,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
        }
    }
}

/// A header value: plain, or a credential that is redacted wherever the request is shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderValue {
    Plain(String),
    Secret(Secret),
}

/// A request body.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    Empty,
    /// Shared: cloning the request does not copy it (X's image upload is base64 in JSON).
    Json(Arc<serde_json::Value>),
    /// `application/x-www-form-urlencoded`; values may be secrets (e.g. an access token parameter).
    Form(Vec<(String, HeaderValue)>),
    /// Raw bytes (an image upload).
    Bytes {
        content_type: String,
        bytes: Bytes,
    },
    /// `multipart/form-data`: text fields, secret fields and files (an image sent with its post).
    Multipart(Vec<Part>),
}

/// One part of a [`Body::Multipart`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    Text {
        name: String,
        value: String,
    },
    /// A credential sent as a field, redacted wherever the request is shown.
    Secret {
        name: String,
        value: Secret,
    },
    File {
        name: String,
        filename: String,
        content_type: String,
        bytes: Bytes,
    },
}

impl Part {
    pub fn text(name: &str, value: impl Into<String>) -> Self {
        Part::Text { name: name.to_string(), value: value.into() }
    }

    pub fn name(&self) -> &str {
        match self {
            Part::Text { name, .. } | Part::Secret { name, .. } | Part::File { name, .. } => name,
        }
    }

    /// The part as a person reads it: files by name, size and type, secrets as `***`.
    fn shown(&self) -> String {
        match self {
            Part::Text { name, value } => format!("{name}={value}"),
            Part::Secret { name, .. } => format!("{name}=***"),
            Part::File { name, filename, content_type, bytes } => {
                format!("{name}=<file {filename}: {} bytes of {content_type}>", bytes.len())
            }
        }
    }
}

/// An HTTP request, complete: what the dry run shows is exactly what a live run sends.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub method: Method,
    pub url: String,
    /// Query parameters added to `url` when sent; a secret one (a token some endpoint only takes in
    /// the URL) is shown as `***`.
    pub query: Vec<(String, HeaderValue)>,
    pub headers: Vec<(String, HeaderValue)>,
    pub body: Body,
}

impl Request {
    pub fn new(method: Method, url: impl Into<String>) -> Self {
        Self { method, url: url.into(), query: Vec::new(), headers: Vec::new(), body: Body::Empty }
    }

    #[must_use]
    pub fn query(mut self, name: &str, value: impl Into<String>) -> Self {
        self.query.push((name.to_string(), HeaderValue::Plain(value.into())));
        self
    }

    #[must_use]
    pub fn secret_query(mut self, name: &str, value: Secret) -> Self {
        self.query.push((name.to_string(), HeaderValue::Secret(value)));
        self
    }

    /// The URL with its query parameters, percent-encoded, secrets included: only for sending.
    pub fn full_url(&self) -> String {
        self.url_with(|v| match v {
            HeaderValue::Plain(s) => percent_encode(s),
            HeaderValue::Secret(s) => percent_encode(s.expose()),
        })
    }

    fn url_with(&self, value: impl Fn(&HeaderValue) -> String) -> String {
        let mut url = self.url.clone();
        for (i, (name, v)) in self.query.iter().enumerate() {
            let sep = if i == 0 && !self.url.contains('?') { '?' } else { '&' };
            let _ = write!(url, "{sep}{}={}", percent_encode(name), value(v));
        }
        url
    }

    #[must_use]
    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_string(), HeaderValue::Plain(value.into())));
        self
    }

    #[must_use]
    pub fn secret_header(mut self, name: &str, value: Secret) -> Self {
        self.headers.push((name.to_string(), HeaderValue::Secret(value)));
        self
    }

    #[must_use]
    pub fn json(self, body: serde_json::Value) -> Self {
        self.json_shared(Arc::new(body))
    }

    /// A JSON body shared with the caller (who may send it again), not copied.
    #[must_use]
    pub fn json_shared(mut self, body: Arc<serde_json::Value>) -> Self {
        self.body = Body::Json(body);
        self
    }

    #[must_use]
    pub fn form(mut self, fields: Vec<(String, HeaderValue)>) -> Self {
        self.body = Body::Form(fields);
        self
    }

    #[must_use]
    pub fn multipart(mut self, parts: Vec<Part>) -> Self {
        self.body = Body::Multipart(parts);
        self
    }

    /// The URL as a person reads it: a secret query parameter shows as `***`.
    pub fn shown_url(&self) -> String {
        self.url_with(|v| match v {
            HeaderValue::Plain(s) => percent_encode(s),
            HeaderValue::Secret(_) => "***".to_string(),
        })
    }

    /// The request as a person reads it, with every secret shown as `***`: method and URL, headers,
    /// then the body (JSON pretty-printed, form fields one per line, bytes summarised).
    pub fn redacted(&self) -> String {
        let mut out = format!("{} {}\n", self.method.as_str(), self.shown_url());
        for (name, value) in &self.headers {
            let _ = writeln!(out, "{name}: {}", shown(value));
        }
        match &self.body {
            Body::Empty => {}
            Body::Json(v) => {
                let _ = writeln!(out, "\n{}", serde_json::to_string_pretty(&summarise_blobs(v)).unwrap_or_default());
            }
            Body::Form(fields) => {
                out.push('\n');
                for (k, v) in fields {
                    let _ = writeln!(out, "{k}={}", shown(v));
                }
            }
            Body::Bytes { content_type, bytes } => {
                let _ = writeln!(out, "\n<{} bytes of {content_type}>", bytes.len());
            }
            Body::Multipart(parts) => {
                out.push_str("\n(multipart/form-data)\n");
                for part in parts {
                    let _ = writeln!(out, "{}", part.shown());
                }
            }
        }
        out
    }
}

/// Long unbroken strings (base64 file contents) are shown by size: the request is complete, but a
/// person reads `<base64: 84,120 characters>`, not the image.
fn summarise_blobs(v: &serde_json::Value) -> serde_json::Value {
    match v {
        serde_json::Value::String(s) if s.len() > 1000 && !s.contains(char::is_whitespace) => {
            serde_json::Value::String(format!("<base64: {} characters>", s.len()))
        }
        serde_json::Value::Array(items) => items.iter().map(summarise_blobs).collect(),
        serde_json::Value::Object(map) => map.iter().map(|(k, v)| (k.clone(), summarise_blobs(v))).collect(),
        other => other.clone(),
    }
}

fn shown(v: &HeaderValue) -> String {
    match v {
        HeaderValue::Plain(s) => s.clone(),
        HeaderValue::Secret(_) => "***".to_string(),
    }
}

/// A response as adapters read it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Response {
    pub status: u16,
    /// Header names in lowercase.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn new(status: u16, body: impl Into<Vec<u8>>) -> Self {
        Self { status, headers: Vec::new(), body: body.into() }
    }

    #[must_use]
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_ascii_lowercase(), value.to_string()));
        self
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers.iter().find(|(k, _)| *k == name).map(|(_, v)| v.as_str())
    }

    /// The body as JSON (`Null` when it is not JSON).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }

    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// RFC 3986 percent-encoding: every byte but the unreserved characters (`A–Z a–z 0–9 - . _ ~`).
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => out.push(b as char),
            _ => {
                let _ = write!(out, "%{b:02X}");
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacted_requests_hide_secret_headers_and_fields() {
        let req = Request::new(Method::Post, "https://api.x.com/2/tweets")
            .secret_header("authorization", Secret::new("Bearer abc123secret"))
            .header("content-type", "application/json")
            .json(serde_json::json!({"text": "Hello"}));
        let shown = req.redacted();
        assert!(shown.starts_with("POST https://api.x.com/2/tweets\n"), "{shown}");
        assert!(shown.contains("authorization: ***"), "{shown}");
        assert!(!shown.contains("abc123secret"), "{shown}");
        assert!(shown.contains("\"text\": \"Hello\""), "{shown}");
        let form = Request::new(Method::Post, "https://graph.facebook.com/v23.0/1/feed").form(vec![
            ("message".into(), HeaderValue::Plain("Hi".into())),
            ("access_token".into(), HeaderValue::Secret(Secret::new("EAAGtoken"))),
        ]);
        let shown = form.redacted();
        assert!(
            shown.contains("message=Hi") && shown.contains("access_token=***") && !shown.contains("EAAG"),
            "{shown}"
        );
    }

    #[test]
    fn secret_query_parameters_are_sent_encoded_and_shown_redacted() {
        let req = Request::new(Method::Get, "https://graph.instagram.com/refresh_access_token")
            .query("grant_type", "ig_refresh_token")
            .secret_query("access_token", Secret::new("IGQ+token/1"));
        assert_eq!(
            req.full_url(),
            "https://graph.instagram.com/refresh_access_token?grant_type=ig_refresh_token&access_token=IGQ%2Btoken%2F1"
        );
        let shown = req.redacted();
        assert!(
            shown.starts_with(
                "GET https://graph.instagram.com/refresh_access_token?grant_type=ig_refresh_token&access_token=***\n"
            ),
            "{shown}"
        );
        assert!(!shown.contains("IGQ"), "{shown}");
        let more = Request::new(Method::Get, "https://h/p?fields=id").query("limit", "5");
        assert_eq!(more.full_url(), "https://h/p?fields=id&limit=5");
    }

    #[test]
    fn file_contents_are_shown_by_size_and_texts_in_full() {
        let blob = "A".repeat(5000);
        let text = "word ".repeat(400);
        let req = Request::new(Method::Post, "https://api.x.com/2/media/upload")
            .json(serde_json::json!({"media": blob, "text": text}));
        let shown = req.redacted();
        assert!(shown.contains("\"media\": \"<base64: 5000 characters>\""), "{shown}");
        assert!(shown.contains(text.trim_end()), "post texts are never shortened");
    }

    #[test]
    fn multipart_bodies_show_fields_files_by_size_and_hide_secrets() {
        let req = Request::new(Method::Post, "https://graph.facebook.com/v25.0/1/photos").multipart(vec![
            Part::text("caption", "Women farmers in Barbados"),
            Part::Secret { name: "access_token".into(), value: Secret::new("EAAGsecret") },
            Part::File {
                name: "source".into(),
                filename: "card.jpg".into(),
                content_type: "image/jpeg".into(),
                bytes: vec![0xFF; 2048].into(),
            },
        ]);
        let shown = req.redacted();
        assert!(shown.contains("(multipart/form-data)\ncaption=Women farmers in Barbados\n"), "{shown}");
        assert!(shown.contains("access_token=***") && !shown.contains("EAAG"), "{shown}");
        assert!(shown.contains("source=<file card.jpg: 2048 bytes of image/jpeg>"), "{shown}");
        assert!(!shown.contains('\u{FFFD}'), "file bytes are never printed: {shown}");
        assert_eq!(
            match &req.body {
                Body::Multipart(parts) => parts.iter().map(Part::name).collect::<Vec<_>>(),
                _ => Vec::new(),
            },
            ["caption", "access_token", "source"]
        );
    }

    #[test]
    fn response_headers_are_case_insensitive() {
        let r = Response::new(429, "{}").with_header("Retry-After", "30");
        assert_eq!(r.header("retry-after"), Some("30"));
        assert!(!r.is_success());
    }
}
