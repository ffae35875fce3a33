//! `herald send` is run by a person waiting at a terminal: a platform that asks for a long wait (X's
//! 15-minute rate-limit window, a Meta throttle of an hour) is reported at once — the channel, the
//! wait and when to try again — with exit 1, never waited out in silence.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::fake_facebook::{self, FakeFacebook};
use crate::support::fake_x::{self, FakeX};

/// Runs `herald send` in `dir` with `env`; `None` if it is still running after `limit` (it is killed).
fn send_within(dir: &std::path::Path, env: &[(&str, String)], limit: Duration) -> Option<(i32, String)> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_herald"))
        .arg("-C")
        .arg(dir)
        .args(["--color", "never", "send", "c/water"])
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start herald send");
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if child.try_wait().expect("wait").is_some() {
            let out = child.wait_with_output().expect("output");
            let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
            for (name, value) in env {
                assert!(!text.contains(value.as_str()), "the credential {name} was printed:\n{text}");
            }
            return Some((out.status.code().unwrap_or(-1), text));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill().ok();
    child.wait().ok();
    None
}

fn project(config: String) -> crate::support::TestProject {
    crate::support::TestProject::new().file("config/herald.toml", &config).campaign_on(
        "c.toml",
        &[if config.contains("[channels.x]") { "x" } else { "facebook" }],
        "\n[[post]]\nid = \"water\"\ndate = 2027-03-22\ntext = \"Water is life.\"\n",
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn x_rate_limited_for_fifteen_minutes_is_reported_at_once_with_when_to_try_again() {
    let fake = FakeX::start().await;
    fake.script(fake_x::Script::RateLimited { reset_in: 15 * 60 });
    let p = project(format!(
        "[channels.x]\nplatform = \"twitter\"\nhandle = \"@humansecurityFA\"\nbase_url = \"{}\"\n[channels.x.credentials]\nconsumer_key = \"env:HERALD_X_CK\"\nconsumer_secret = \"env:HERALD_X_CS\"\naccess_token = \"env:HERALD_X_AT\"\naccess_token_secret = \"env:HERALD_X_ATS\"\n",
        fake.uri()
    ));
    let c = fake_x::credentials();
    let env = [
        ("HERALD_X_CK", c.consumer_key.expose().to_string()),
        ("HERALD_X_CS", c.consumer_secret.expose().to_string()),
        ("HERALD_X_AT", c.token.expose().to_string()),
        ("HERALD_X_ATS", c.token_secret.expose().to_string()),
    ];
    let (code, out) = send_within(p.path(), &env, Duration::from_secs(20)).expect("herald send hung on a rate limit");
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("not sent") && out.contains("x"), "{out}");
    assert!(out.contains("15 min") && out.contains("try `herald send c/water --channel x` again"), "{out}");
    assert!(fake.posts().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_meta_throttle_of_an_hour_is_reported_at_once() {
    let fake = FakeFacebook::start().await;
    fake.script(fake_facebook::Script::Throttled { code: 80001, regain_minutes: Some(60) });
    let p = project(format!(
        "[channels.facebook]\nplatform = \"facebook\"\nhandle = \"@HS4Aglobal\"\naccount = \"{}\"\nbase_url = \"{}\"\n[channels.facebook.credentials]\npage_access_token = \"env:HERALD_FB_TOKEN\"\n",
        fake_facebook::PAGE_ID,
        fake.uri()
    ));
    let env = [("HERALD_FB_TOKEN", fake_facebook::page_token().expose().to_string())];
    let (code, out) = send_within(p.path(), &env, Duration::from_secs(20)).expect("herald send hung on a throttle");
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("1 h") && out.contains("--channel facebook"), "{out}");
    assert!(fake.posts().is_empty());
}
