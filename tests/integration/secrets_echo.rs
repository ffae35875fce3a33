//! No credential in any output, even when a platform's error echoes the request it received (some
//! APIs and proxies do): every channel of every platform and sign-in points at a server that answers
//! 401 with the whole request — method, address, every header, the body — in its error message.
//! `check --online`, `send`, `herald run` (text and JSON logs), `status` (the ledger's last error),
//! the ledger file itself and the alert webhook must show none of the credentials, in any of the forms
//! a request carries them (as they are, percent-encoded, base64, the `Basic` pair).

use std::process::{Command, Stdio};
use std::time::Duration;

use base64::Engine as _;
use chrono::{Timelike as _, Utc};
use wiremock::{Mock, MockServer, Respond, ResponseTemplate};

use crate::support::fake_platforms::FakePlatforms;
use crate::support::{JPEG, TestProject};

/// Answers every request with 401 and the request itself in every field a platform's error has.
struct Echo;

impl Respond for Echo {
    fn respond(&self, req: &wiremock::Request) -> ResponseTemplate {
        let headers: Vec<String> =
            req.headers.iter().map(|(k, v)| format!("'{k}': '{}'", v.to_str().unwrap_or(""))).collect();
        let echo = format!(
            "denied {} {} {{{}}} body={}",
            req.method,
            req.url,
            headers.join(", "),
            String::from_utf8_lossy(&req.body)
        );
        ResponseTemplate::new(401).set_body_json(serde_json::json!({
            "title": "Unauthorized", "detail": echo, "message": echo, "status": 401,
            "error": { "message": echo, "type": "OAuthException", "code": 190, "error_description": echo },
            "errors": [{ "message": echo }]
        }))
    }
}

/// Every credential herald will load, with its name.
fn credentials() -> Vec<(&'static str, String)> {
    let mut env = FakePlatforms::environment();
    env.extend([
        ("HERALD_ECHO_X2_ID", "echo-client-id-9f3k2".to_string()),
        ("HERALD_ECHO_X2_SECRET", "echo-client-secret/+=7Hq".to_string()),
        ("HERALD_ECHO_X2_REFRESH", "echo-refresh-token-Zx81".to_string()),
        ("HERALD_ECHO_IGL_TOKEN", "IGQVJecho-instagram-login-token".to_string()),
    ]);
    env
}

/// Every form of every credential that must never be shown.
fn forbidden() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (name, value) in credentials() {
        let b64 = base64::engine::general_purpose::STANDARD.encode(&value);
        let pct: String = value
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                    char::from(b).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
        out.extend([
            (name.to_string(), value),
            (format!("{name} (base64)"), b64),
            (format!("{name} (percent-encoded)"), pct),
        ]);
    }
    let pair = base64::engine::general_purpose::STANDARD.encode("echo-client-id-9f3k2:echo-client-secret/+=7Hq");
    out.push(("the Basic client pair".to_string(), pair));
    out
}

fn config(echo: &str) -> String {
    let four = FakePlatforms::channels_at(&[echo.to_string(), echo.to_string(), echo.to_string(), echo.to_string()]);
    format!(
        r#"{four}
[channels.x2]
platform = "twitter"
handle = "@humansecurityFA"
auth = "oauth2"
base_url = "{echo}"
[channels.x2.credentials]
client_id = "env:HERALD_ECHO_X2_ID"
client_secret = "env:HERALD_ECHO_X2_SECRET"
refresh_token = "env:HERALD_ECHO_X2_REFRESH"

[channels.ig2]
platform = "instagram"
handle = "@humansecurityforall"
auth = "instagram-login"
base_url = "{echo}"
account = "17841400000000001"
media_base_url = "https://media.example.org/herald"
[channels.ig2.credentials]
access_token = "env:HERALD_ECHO_IGL_TOKEN"

[daemon]
shutdown_grace = "1s"
request_timeout = "2s"
max_attempts = 1
alert_webhook = "env:HERALD_ECHO_HOOK"
"#
    )
}

fn project(echo: &str) -> TestProject {
    let due = Utc::now() - chrono::Duration::minutes(1);
    let campaign = format!(
        "[campaign]\nid = \"c\"\nname = \"Echo\"\ntimezone = \"UTC\"\nchannels = [\"x\", \"instagram\", \"linkedin\", \"facebook\", \"x2\", \"ig2\"]\nstarts = {y}-01-01\nends = {y}-12-31\n\n[[post]]\nid = \"p\"\ndate = {d}\ntime = \"{h:02}:{m:02}\"\ntext = \"Human security for all.\"\nmedia = [{{ file = \"media/card.jpg\", alt = \"An HS4A card\" }}]\n",
        y = due.format("%Y"),
        d = due.format("%Y-%m-%d"),
        h = due.hour(),
        m = due.minute()
    );
    TestProject::new()
        .file("config/herald.toml", &config(echo))
        .bytes("campaigns/media/card.jpg", JPEG)
        .file("campaigns/c.toml", &campaign)
}

/// Runs herald with every credential and the webhook in its environment; stdout and stderr.
fn herald(p: &TestProject, hook: &str, args: &[&str], for_at_most: Option<Duration>) -> String {
    let mut child = Command::new(env!("CARGO_BIN_EXE_herald"))
        .arg("-C")
        .arg(p.path())
        .args(["--color", "never"])
        .args(args)
        .envs(credentials())
        .env("HERALD_ECHO_HOOK", hook)
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start herald");
    if let Some(d) = for_at_most {
        let deadline = std::time::Instant::now() + d;
        while std::time::Instant::now() < deadline && child.try_wait().ok().flatten().is_none() {
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status();
    }
    let out = child.wait_with_output().expect("herald output");
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

#[tokio::test(flavor = "multi_thread")]
async fn no_credential_reaches_any_output_when_every_platform_echoes_the_request() {
    let echo = MockServer::start().await;
    Mock::given(wiremock::matchers::any()).respond_with(Echo).mount(&echo).await;
    let hook = MockServer::start().await;
    Mock::given(wiremock::matchers::any()).respond_with(ResponseTemplate::new(200)).mount(&hook).await;
    let hook_url = format!("{}/hooks/T0/B0/echo-webhook-secret-path", hook.uri());
    let mut outputs = Vec::new();
    for log in ["text", "json"] {
        let p = project(&echo.uri());
        outputs.push((format!("check --online ({log})"), herald(&p, &hook_url, &["check", "--online"], None)));
        outputs.push((format!("send ({log})"), herald(&p, &hook_url, &["send", "c/p"], None)));
        let run = herald(&p, &hook_url, &["run", "--log-format", log], Some(Duration::from_secs(6)));
        outputs.push((format!("run --log-format {log}"), run));
        outputs.push((format!("status ({log})"), herald(&p, &hook_url, &["status"], None)));
        let ledger = std::fs::read(p.path().join(".herald/ledger.sqlite")).unwrap_or_default();
        outputs.push((format!("the ledger file ({log})"), String::from_utf8_lossy(&ledger).into_owned()));
    }
    let received = hook.received_requests().await.unwrap_or_default();
    assert!(!received.is_empty(), "the daemon alerted nothing: {outputs:#?}");
    for (i, r) in received.iter().enumerate() {
        outputs.push((format!("alert {i}"), String::from_utf8_lossy(&r.body).into_owned()));
    }
    // The echo really carried the credentials back (the test proves something)…
    let echoed = echo.received_requests().await.unwrap_or_default();
    assert!(echoed.len() >= 12, "every channel reached the echo: {}", echoed.len());
    let all: String = outputs.iter().map(|(_, o)| o.as_str()).collect();
    assert!(all.contains("denied GET") || all.contains("denied POST"), "no echo reached an output:\n{all}");
    // …and no output shows one.
    let mut leaks = Vec::new();
    for (what, value) in forbidden() {
        for (output, text) in &outputs {
            if text.contains(&value) {
                leaks.push(format!("{what} in {output}"));
            }
        }
    }
    assert!(!all.contains("echo-webhook-secret-path"), "the webhook address was shown");
    assert!(leaks.is_empty(), "credentials shown:\n{}", leaks.join("\n"));
}
