//! `herald run` and the commands around it, as an operator uses them: the real binary on a project in a
//! temporary folder, publishing to the fake platforms on 127.0.0.1, stopped and reloaded with real
//! signals, steered with `pause`, `resume` and `resolve`, watched with `status`, `plan`, `preview`,
//! `/healthz` and `/metrics`.
//!
//! Every test waits for what it expects by polling the ledger or the log up to a deadline, never by a
//! fixed sleep that a slow machine could outrun; and every byte any process printed (stdout, stderr,
//! the daemon's log) is checked at the end for the fakes' credentials, which must never appear.

use std::cell::RefCell;
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus};
use std::time::{Duration, Instant};

use chrono::{DateTime, SubsecRound as _, Utc};
use herald::ledger::sqlite::SqliteStore;
use herald::ledger::{Finish, OccurrenceKey, Record, Status, Store as _};

use crate::support::fake_instagram::{self, FakeInstagram};
use crate::support::fake_platforms::FakePlatforms;
use crate::support::fake_x::{self, FakeX, Script};
use crate::support::{JPEG, Run};

/// The campaign every test writes (`campaigns/launch.toml`).
const CAMPAIGN: &str = "launch";
const CAMPAIGN_FILE: &str = "campaigns/launch.toml";
/// How long a test waits for something the daemon should do within a second or two.
const DEADLINE: Duration = Duration::from_secs(20);
/// The handle the fake X's posts are addressed under.
const X_URL: &str = "https://x.com/humansecurityFA/status/";

// ---------------------------------------------------------------------------------------------------
// Times, posts and campaign files

/// Now plus `secs`, rounded up to a whole second (occurrence keys are whole seconds).
fn in_secs(secs: i64) -> DateTime<Utc> {
    (Utc::now() + chrono::Duration::seconds(secs)).trunc_subsecs(0) + chrono::Duration::seconds(1)
}

/// A `[[post]]` at `at` (UTC, to the second).
fn post(id: &str, at: DateTime<Utc>, text: &str) -> String {
    format!(
        "[[post]]\nid = \"{id}\"\ndate = {}\ntime = \"{}\"\ntext = \"{text}\"\n\n",
        at.format("%Y-%m-%d"),
        at.format("%H:%M:%S")
    )
}

/// Like [`post`], with an image (Instagram needs one).
fn post_with_image(id: &str, at: DateTime<Utc>, text: &str) -> String {
    let mut p = post(id, at, text);
    p.truncate(p.len() - 1);
    p.push_str("media = [{ file = \"media/card.jpg\", alt = \"The HS4A launch card\" }]\n\n");
    p
}

/// The campaign file, in UTC, running from three days ago to three days ahead, on `channels`.
fn campaign(channels: &[&str], posts: &[String]) -> String {
    let today = Utc::now().date_naive();
    let list: Vec<String> = channels.iter().map(|c| format!("\"{c}\"")).collect();
    format!(
        "[campaign]\nid = \"{CAMPAIGN}\"\nname = \"Launch\"\ntimezone = \"UTC\"\nchannels = [{}]\nstarts = {}\nends = {}\n\n{}",
        list.join(", "),
        today - chrono::Duration::days(3),
        today + chrono::Duration::days(3),
        posts.concat()
    )
}

fn key(id: &str, channel: &str, at: DateTime<Utc>) -> OccurrenceKey {
    OccurrenceKey::new(CAMPAIGN, id, channel, at).expect("a valid key")
}

// ---------------------------------------------------------------------------------------------------
// The project, its processes and what they printed

/// The `[channels.x]` table pointing at the fake X, with credentials from the environment.
fn x_channel(x: &FakeX) -> String {
    format!(
        r#"
[channels.x]
platform = "twitter"
handle = "@humansecurityFA"
base_url = "{}"
[channels.x.credentials]
consumer_key = "env:HERALD_T_X_CK"
consumer_secret = "env:HERALD_T_X_CS"
access_token = "env:HERALD_T_X_AT"
access_token_secret = "env:HERALD_T_X_ATS"
"#,
        x.uri()
    )
}

fn x_environment() -> Vec<(&'static str, String)> {
    let x = fake_x::credentials();
    vec![
        ("HERALD_T_X_CK", x.consumer_key.expose().to_string()),
        ("HERALD_T_X_CS", x.consumer_secret.expose().to_string()),
        ("HERALD_T_X_AT", x.token.expose().to_string()),
        ("HERALD_T_X_ATS", x.token_secret.expose().to_string()),
    ]
}

/// A project in a temporary folder, the environment its processes get (credentials), and everything
/// they printed.
struct Site {
    dir: tempfile::TempDir,
    env: Vec<(&'static str, String)>,
    /// stdout and stderr of every command run.
    transcript: RefCell<String>,
    /// The log file of every daemon started.
    logs: RefCell<Vec<PathBuf>>,
}

impl Site {
    /// A project whose only channel is `x` on the fake X; `daemon` is the `[daemon]` table's body.
    fn on_x(x: &FakeX, daemon: &str, campaign_text: &str) -> Self {
        let config = format!("{}\n[daemon]\n{daemon}\n", x_channel(x));
        Self::new(&config, x_environment(), campaign_text)
    }

    fn new(config: &str, env: Vec<(&'static str, String)>, campaign_text: &str) -> Self {
        let site = Self {
            dir: tempfile::tempdir().expect("temp dir"),
            env,
            transcript: RefCell::new(String::new()),
            logs: RefCell::new(Vec::new()),
        };
        std::fs::create_dir_all(site.path().join("config")).expect("config dir");
        std::fs::create_dir_all(site.path().join("campaigns/media")).expect("campaigns dir");
        std::fs::write(site.path().join("config/herald.toml"), config).expect("write config");
        std::fs::write(site.path().join("campaigns/media/card.jpg"), JPEG).expect("write image");
        site.edit(campaign_text);
        site
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Replaces the campaign file the way an editor saves: a whole new file renamed into place.
    fn edit(&self, text: &str) {
        let tmp = self.path().join("launch.toml.tmp");
        std::fs::write(&tmp, text).expect("write the campaign");
        std::fs::rename(&tmp, self.path().join(CAMPAIGN_FILE)).expect("save the campaign");
    }

    fn campaign_text(&self) -> String {
        std::fs::read_to_string(self.path().join(CAMPAIGN_FILE)).expect("read the campaign")
    }

    /// Runs `herald -C DIR --color never ARGS` to its end, keeping what it printed.
    fn run(&self, args: &[&str]) -> Run {
        let out = Command::new(env!("CARGO_BIN_EXE_herald"))
            .arg("-C")
            .arg(self.path())
            .args(["--color", "never"])
            .args(args)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .env_remove("NO_COLOR")
            .env("RUST_LOG", "info")
            .output()
            .expect("run herald");
        let run = Run {
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            code: out.status.code().unwrap_or(-1),
        };
        let mut t = self.transcript.borrow_mut();
        t.push_str(&format!("$ herald {}\n{}{}\n", args.join(" "), run.stdout, run.stderr));
        run
    }

    /// Starts `herald run --log-format json` (plus `extra`), its log in a file of its own.
    fn start(&self, extra: &[&str]) -> Daemon {
        let log_path = self.path().join(format!("daemon-{}.log", self.logs.borrow().len()));
        let log = std::fs::File::create(&log_path).expect("create the log");
        let child = Command::new(env!("CARGO_BIN_EXE_herald"))
            .arg("-C")
            .arg(self.path())
            .args(["run", "--log-format", "json"])
            .args(extra)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .env("RUST_LOG", "herald=debug,info")
            .stdout(log.try_clone().expect("log handle"))
            .stderr(log)
            .spawn()
            .expect("start herald run");
        self.logs.borrow_mut().push(log_path.clone());
        Daemon { child, log: log_path }
    }

    fn ledger(&self) -> SqliteStore {
        SqliteStore::open(self.path().join(".herald/ledger.sqlite")).expect("open the ledger")
    }

    fn record(&self, key: &OccurrenceKey) -> Option<Record> {
        self.ledger().get(key).expect("read the ledger")
    }

    fn status_of(&self, key: &OccurrenceKey) -> Option<Status> {
        self.record(key).map(|r| r.status)
    }

    /// Waits until the ledger has `key` in `status`.
    async fn wait_status(&self, key: &OccurrenceKey, status: Status) -> Record {
        let found =
            wait_for(|| self.path().join(".herald/ledger.sqlite").is_file() && self.status_of(key) == Some(status))
                .await;
        assert!(found, "{key} is {:?}, not {status}\n{}", self.status_of(key), self.log_tail());
        self.record(key).expect("the record")
    }

    /// The last lines of the latest daemon's log, for failure messages.
    fn log_tail(&self) -> String {
        let Some(path) = self.logs.borrow().last().cloned() else { return String::new() };
        let log = std::fs::read_to_string(path).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        format!("last lines of the daemon's log:\n{}", lines[lines.len().saturating_sub(25)..].join("\n"))
    }

    /// Everything every process printed: commands and daemons.
    fn everything(&self) -> String {
        let mut all = self.transcript.borrow().clone();
        for path in self.logs.borrow().iter() {
            all.push_str(&std::fs::read_to_string(path).unwrap_or_default());
        }
        all
    }

    /// No credential value appears in anything printed.
    fn assert_no_secrets(&self) {
        let all = self.everything();
        assert!(!all.is_empty(), "nothing was printed: the check would prove nothing");
        for (name, value) in &self.env {
            assert!(!all.contains(value.as_str()), "the credential {name} appears in the output:\n{all}");
        }
    }
}

/// Polls `ready` every 50 ms up to [`DEADLINE`]; whether it became true.
async fn wait_for(mut ready: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + DEADLINE;
    loop {
        if ready() {
            return true;
        }
        if Instant::now() > end {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A running `herald run`, killed if the test ends without stopping it.
struct Daemon {
    child: Child,
    log: PathBuf,
}

impl Daemon {
    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The log's JSON lines (a line that is not JSON fails the test: `--log-format json` promised JSON).
    fn lines(&self) -> Vec<serde_json::Value> {
        self.log()
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("a log line is not JSON ({e}): {l}")))
            .collect()
    }

    /// How many log lines have a message containing `text`.
    fn count(&self, text: &str) -> usize {
        self.lines().iter().filter(|l| l["message"].as_str().is_some_and(|m| m.contains(text))).count()
    }

    /// Waits for the `n`th log line whose message contains `text`.
    async fn wait_log(&self, text: &str, n: usize) {
        let found = wait_for(|| self.count(text) >= n).await;
        assert!(found, "no log line {n} saying `{text}`:\n{}", self.log());
    }

    /// Waits until the daemon is up (signals, file watching and the ledger ready).
    async fn wait_running(&self) {
        self.wait_log("herald is running", 1).await;
    }

    fn signal(&self, name: &str) {
        let status =
            Command::new("kill").args([format!("-{name}"), self.child.id().to_string()]).status().expect("run kill");
        assert!(status.success(), "kill -{name} failed");
    }

    /// Waits up to `within` for the process to end.
    async fn wait_exit(&mut self, within: Duration) -> Option<ExitStatus> {
        let end = Instant::now() + within;
        loop {
            if let Some(status) = self.child.try_wait().expect("wait for herald") {
                return Some(status);
            }
            if Instant::now() > end {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// SIGTERM, and the clean exit that must follow.
    async fn stop(&mut self) {
        self.signal("TERM");
        let status = self.wait_exit(DEADLINE).await;
        assert!(status.is_some_and(|s| s.success()), "herald run did not stop cleanly ({status:?}):\n{}", self.log());
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

// ---------------------------------------------------------------------------------------------------
// 1. SIGTERM

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_the_post_in_flight_finish_and_exits_zero() {
    let x = FakeX::start().await;
    // The platform takes its time answering the first post.
    x.script(Script::Hang(Duration::from_millis(2500)));
    let slow = in_secs(-20);
    let next = in_secs(4);
    let site = Site::on_x(
        &x,
        "max_sleep = \"1s\"\nshutdown_grace = \"10s\"",
        &campaign(
            &["x"],
            &[
                post("slow", slow, "The launch of the HS4A report, live now."),
                post("next", next, "Read the HS4A report's first chapter."),
            ],
        ),
    );
    let (slow_key, next_key) = (key("slow", "x", slow), key("next", "x", next));
    let mut daemon = site.start(&[]);
    site.wait_status(&slow_key, Status::Sending).await;
    let stopped_at = Utc::now();
    let asked = Instant::now();
    daemon.signal("TERM");
    let status = daemon.wait_exit(Duration::from_secs(10)).await;
    let took = asked.elapsed();
    assert!(status.is_some_and(|s| s.success()), "herald run must exit 0 on SIGTERM, got {status:?}\n{}", daemon.log());
    assert!(took < Duration::from_secs(10), "it took {took:?}, longer than the 10 s grace period");
    daemon.wait_log("letting posts in flight finish", 1).await;

    // The post in flight was answered and recorded, not left `sending`.
    let record = site.record(&slow_key).expect("the slow post");
    assert_eq!(record.status, Status::Sent, "{}", site.log_tail());
    assert!(record.url.as_deref().is_some_and(|u| u.starts_with(X_URL)), "{record:?}");
    assert_eq!(x.posts().len(), 1, "{:?}", x.posts());
    // Nothing new was started after the signal.
    if stopped_at < next - chrono::Duration::milliseconds(300) {
        assert_eq!(site.status_of(&next_key), Some(Status::Scheduled), "{}", site.log_tail());
    }
    assert!(x.rejected().is_empty(), "{:?}", x.rejected());
    site.assert_no_secrets();
}

// ---------------------------------------------------------------------------------------------------
// 2. Editing while running, SIGHUP

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edits_are_picked_up_a_broken_file_keeps_its_last_good_version_and_sighup_reloads() {
    let x = FakeX::start().await;
    let later = in_secs(3600);
    let first = post("later", later, "Save the date: HS4A forum next hour.");
    let site =
        Site::on_x(&x, "max_sleep = \"1s\"\nshutdown_grace = \"5s\"", &campaign(&["x"], std::slice::from_ref(&first)));
    let daemon = site.start(&[]);
    daemon.wait_running().await;

    // A post added while running goes out at its time, without a restart.
    let added = in_secs(3);
    let keep = in_secs(9);
    let posts = [
        first.clone(),
        post("added", added, "Added while running: the HS4A forum opens."),
        post("keep", keep, "Scheduled before the file broke: day two of the forum."),
    ];
    site.edit(&campaign(&["x"], &posts));
    let (added_key, keep_key, later_key) = (key("added", "x", added), key("keep", "x", keep), key("later", "x", later));
    let record = site.wait_status(&added_key, Status::Sent).await;
    assert!(record.url.as_deref().is_some_and(|u| u.starts_with(X_URL)), "{record:?}");

    // A broken save: reported with file:line:col; the file's last good version keeps running.
    let broken = format!("{}\n[[post]]\nid = \"typo\n", site.campaign_text());
    let line = broken.lines().position(|l| l.contains("typo")).expect("the broken line") + 1;
    site.edit(&broken);
    daemon.wait_log("this file has errors: its last good version keeps running", 1).await;
    let errors: Vec<String> = daemon
        .lines()
        .iter()
        .filter(|l| l["level"] == "ERROR")
        .filter_map(|l| l["message"].as_str().map(String::from))
        .collect();
    let location = format!("{CAMPAIGN_FILE}:{line}:");
    assert!(
        errors.iter().any(|m| m.contains(&location)),
        "the error must name {location}COL; errors logged: {errors:#?}"
    );
    assert_eq!(
        site.status_of(&keep_key),
        Some(Status::Scheduled),
        "`keep` must still be waiting when the file breaks (is the machine very slow?)"
    );
    let record = site.wait_status(&keep_key, Status::Sent).await;
    assert!(record.url.is_some(), "{record:?}");
    assert_eq!(site.status_of(&later_key), Some(Status::Scheduled), "the broken save must not cancel anything");

    // SIGHUP reloads (the file is still broken: the same report, the same last good version).
    let reloads = daemon.count("reloaded");
    daemon.signal("HUP");
    daemon.wait_log("reloaded", reloads + 1).await;
    assert_eq!(site.status_of(&later_key), Some(Status::Scheduled));

    // Fixed, with a sent post's text edited and a future post deleted: the edit is only a warning (never
    // re-sent), the deleted post is cancelled.
    let fixed = [
        post("added", added, "Added while running: the HS4A forum opens today."),
        post("keep", keep, "Scheduled before the file broke: day two of the forum."),
    ];
    site.edit(&campaign(&["x"], &fixed));
    site.wait_status(&later_key, Status::Cancelled).await;
    daemon.wait_log("the text of a post already sent was edited; it is not sent again", 1).await;
    assert_eq!(site.status_of(&added_key), Some(Status::Sent));

    let texts: Vec<String> = x.posts().into_iter().map(|p| p.text).collect();
    for wanted in ["Added while running", "Scheduled before the file broke"] {
        assert_eq!(texts.iter().filter(|t| t.contains(wanted)).count(), 1, "{texts:#?}");
    }
    assert_eq!(texts.len(), 2, "{texts:#?}");
    drop(daemon);
    site.assert_no_secrets();
}

// ---------------------------------------------------------------------------------------------------
// 3. Pause and resume

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pause_holds_an_imminent_post_through_a_restart_until_resume() {
    let x = FakeX::start().await;
    let soon = in_secs(5);
    let site = Site::on_x(
        &x,
        "max_sleep = \"1s\"\nshutdown_grace = \"5s\"",
        &campaign(&["x"], &[post("soon", soon, "Breaking: the HS4A statement, embargoed.")]),
    );
    let soon_key = key("soon", "x", soon);
    let mut daemon = site.start(&[]);
    daemon.wait_running().await;

    let paused = site.run(&["pause", "--channel", "x"]);
    assert_eq!(paused.code, 0, "{}{}", paused.stdout, paused.stderr);
    assert!(paused.stdout.contains("paused: channel `x`"), "{}", paused.stdout);
    assert!(
        Utc::now() < soon - chrono::Duration::milliseconds(500),
        "the pause came too late to test anything (is the machine very slow?)"
    );
    let status = site.run(&["status"]);
    assert!(status.stdout.contains("PAUSED: channel `x`"), "{}", status.stdout);
    let json = site.run(&["status", "--format", "json"]).json();
    assert_eq!(json["paused"], serde_json::json!([{"campaign": null, "channel": "x"}]), "{json:#}");

    // Its time comes: the daemon considers it and holds it (said in the log), and nothing is published.
    daemon.wait_log("held by a pause", 1).await;
    assert_eq!(site.status_of(&soon_key), Some(Status::Scheduled), "{}", site.log_tail());
    assert!(x.posts().is_empty(), "{:?}", x.posts());

    // The pause survives a restart.
    daemon.stop().await;
    let daemon = site.start(&[]);
    daemon.wait_running().await;
    // After the restart it is due again (within its catch-up window), and held again.
    daemon.wait_log("held by a pause", 1).await;
    assert_eq!(site.status_of(&soon_key), Some(Status::Scheduled), "{}", site.log_tail());
    assert!(x.posts().is_empty(), "{:?}", x.posts());
    assert!(site.run(&["status"]).stdout.contains("PAUSED: channel `x`"));

    // Resume: still within the one-hour catch-up, so it goes out now.
    let resumed = site.run(&["resume", "--channel", "x"]);
    assert_eq!(resumed.code, 0, "{}{}", resumed.stdout, resumed.stderr);
    let record = site.wait_status(&soon_key, Status::Sent).await;
    assert!(record.url.as_deref().is_some_and(|u| u.starts_with(X_URL)), "{record:?}");
    assert_eq!(x.posts().len(), 1);
    assert!(!site.run(&["status"]).stdout.contains("PAUSED"));
    drop(daemon);
    site.assert_no_secrets();
}

// ---------------------------------------------------------------------------------------------------
// 4. Status and resolve

/// Marks `key` as the daemon would after a request whose answer never came.
fn make_unknown(site: &Site, key: &OccurrenceKey) {
    let ledger = site.ledger();
    ledger.claim(key, Utc::now()).expect("claim");
    let error = "no answer within 30s: the post may or may not be live".to_string();
    ledger.finish(key, Finish::Unknown { error }, Utc::now()).expect("finish");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_lists_sent_next_and_unknown_posts_and_resolve_settles_them() {
    let x = FakeX::start().await;
    let (a, b) = (in_secs(-60), in_secs(-30));
    let (u1, u2, u3, later) = (in_secs(3600), in_secs(7200), in_secs(10800), in_secs(14400));
    let posts = [
        post("a", a, "HS4A: first post of the day."),
        post("b", b, "HS4A: second post of the day."),
        post("u1", u1, "Unknown one: did it go out?"),
        post("u2", u2, "Unknown two: it did not go out."),
        post("u3", u3, "Unknown three: better not."),
        post("later", later, "HS4A: the evening post."),
    ];
    let site = Site::on_x(&x, "max_sleep = \"1s\"\nshutdown_grace = \"5s\"", &campaign(&["x"], &posts));
    let daemon = site.start(&[]);
    let sent_a = site.wait_status(&key("a", "x", a), Status::Sent).await;
    let sent_b = site.wait_status(&key("b", "x", b), Status::Sent).await;
    let (k1, k2, k3) = (key("u1", "x", u1), key("u2", "x", u2), key("u3", "x", u3));
    for k in [&k1, &k2, &k3] {
        make_unknown(&site, k);
    }

    let status = site.run(&["status"]);
    assert_eq!(status.code, 1, "something is unknown: exit 1\n{}{}", status.stdout, status.stderr);
    let out = &status.stdout;
    for url in [&sent_a.url, &sent_b.url] {
        let url = url.as_deref().expect("a URL");
        assert!(url.starts_with(X_URL) && out.contains(url), "{url} missing:\n{out}");
    }
    assert!(out.contains("launch/later → x"), "the next post is listed:\n{out}");
    let attention = out.split("Next:").next().unwrap_or_default();
    for k in [&k1, &k2, &k3] {
        let hint = format!("herald resolve {k} --sent URL | --retry | --skip");
        assert!(attention.contains(&hint), "{hint} missing:\n{out}");
    }
    assert!(attention.contains("unknown: no answer within 30s"), "{out}");

    let json = site.run(&["status", "--format", "json"]);
    assert_eq!(json.code, 1);
    let json = json.json();
    let keys = |section: &str| -> Vec<String> {
        json[section].as_array().expect(section).iter().map(|r| r["key"].as_str().unwrap_or("").to_string()).collect()
    };
    assert_eq!(keys("attention"), [k1.to_string(), k2.to_string(), k3.to_string()], "{json:#}");
    assert!(json["attention"].as_array().unwrap().iter().all(|r| r["status"] == "unknown"));
    let sent: Vec<_> = json["sent"].as_array().unwrap().iter().map(|r| (r["post"].clone(), r["url"].clone())).collect();
    assert_eq!(
        sent,
        [
            (serde_json::json!("b"), serde_json::json!(sent_b.url)),
            (serde_json::json!("a"), serde_json::json!(sent_a.url))
        ],
        "latest first, with URLs: {json:#}"
    );
    assert!(keys("next").contains(&key("later", "x", later).to_string()), "{json:#}");

    // --sent: it is live; nothing needs it any more.
    let live = "https://x.com/humansecurityFA/status/1999999999999999999";
    let r = site.run(&["resolve", &k1.to_string(), "--sent", live]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(site.record(&k1).map(|r| (r.status, r.url)), Some((Status::Sent, Some(live.to_string()))));
    let out = site.run(&["status"]).stdout;
    assert!(!out.contains(&format!("herald resolve {k1}")), "{out}");

    // --retry: the running daemon publishes it now.
    let r = site.run(&["resolve", &k2.to_string(), "--retry"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let record = site.wait_status(&k2, Status::Sent).await;
    assert!(record.url.as_deref().is_some_and(|u| u.starts_with(X_URL)), "{record:?}");
    assert_eq!(x.posts().iter().filter(|p| p.text.contains("Unknown two")).count(), 1);

    // --skip: never published; nothing unknown is left, so status exits 0.
    let r = site.run(&["resolve", &k3.to_string(), "--skip"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(site.status_of(&k3), Some(Status::Skipped));
    let status = site.run(&["status"]);
    assert_eq!(status.code, 0, "{}{}", status.stdout, status.stderr);
    assert!(!status.stdout.contains("herald resolve"), "{}", status.stdout);
    assert!(x.posts().iter().all(|p| !p.text.contains("Unknown one") && !p.text.contains("Unknown three")));

    // A key that is not a key, and one the ledger does not have: exit 2, with a way forward.
    let bad = site.run(&["resolve", "not-a-key", "--skip"]);
    assert_eq!(bad.code, 2, "{}{}", bad.stdout, bad.stderr);
    assert!(bad.stderr.contains("help:") && bad.stderr.contains("herald status"), "{}", bad.stderr);
    let absent = format!("{CAMPAIGN}/nope/x/{}", later.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
    let bad = site.run(&["resolve", &absent, "--retry"]);
    assert_eq!(bad.code, 2, "{}{}", bad.stdout, bad.stderr);
    assert!(bad.stderr.contains("help:"), "{}", bad.stderr);
    drop(daemon);
    site.assert_no_secrets();
}

// ---------------------------------------------------------------------------------------------------
// 5. Plan

fn changes(json: &serde_json::Value) -> Vec<(String, String)> {
    json["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .map(|c| (c["change"].as_str().unwrap_or("").to_string(), c["key"].as_str().unwrap_or("").to_string()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plan_shows_new_cancelled_and_edited_after_sent_occurrences() {
    let x = FakeX::start().await;
    let (sent_at, gone_at, stays_at) = (in_secs(-30), in_secs(3600), in_secs(7200));
    let sent_post = post("sent", sent_at, "HS4A: the report is out.");
    let stays = post("stays", stays_at, "HS4A: the report, one more time.");
    let site = Site::on_x(
        &x,
        "max_sleep = \"1s\"\nshutdown_grace = \"5s\"",
        &campaign(&["x"], &[sent_post.clone(), post("gone", gone_at, "HS4A: to be deleted."), stays.clone()]),
    );
    let (sent_key, gone_key, stays_key) =
        (key("sent", "x", sent_at), key("gone", "x", gone_at), key("stays", "x", stays_at));

    // A fresh project: everything is new.
    let plan = site.run(&["plan"]);
    assert_eq!(plan.code, 0, "{}{}", plan.stdout, plan.stderr);
    for k in [&sent_key, &gone_key, &stays_key] {
        assert!(plan.stdout.contains(&format!("+ {k}  (new:")), "{k}:\n{}", plan.stdout);
    }
    let json = site.run(&["plan", "--format", "json"]).json();
    let new: Vec<(String, String)> =
        [&sent_key, &gone_key, &stays_key].iter().map(|k| ("new".to_string(), k.to_string())).collect();
    assert_eq!(changes(&json), new, "{json:#}");

    let mut daemon = site.start(&[]);
    let record = site.wait_status(&sent_key, Status::Sent).await;
    site.wait_status(&gone_key, Status::Scheduled).await;
    daemon.stop().await;
    let json = site.run(&["plan", "--format", "json"]).json();
    assert_eq!(changes(&json), [], "in step with the ledger: {json:#}");

    // Delete one post, edit the text of the one already sent.
    site.edit(&campaign(&["x"], &[sent_post.replace("is out", "is out, read it"), stays]));
    let plan = site.run(&["plan"]);
    assert_eq!(plan.code, 0, "{}{}", plan.stdout, plan.stderr);
    let url = record.url.expect("a URL");
    assert!(plan.stdout.contains(&format!("- {gone_key}  (cancelled:")), "{}", plan.stdout);
    assert!(plan.stdout.contains(&format!("~ {sent_key}  (edited after sent: sent as {url};")), "{}", plan.stdout);
    assert!(!plan.stdout.contains(&stays_key.to_string()), "unchanged: {}", plan.stdout);
    let json = site.run(&["plan", "--format", "json"]).json();
    assert_eq!(
        changes(&json),
        [("edited after sent".to_string(), sent_key.to_string()), ("cancelled".to_string(), gone_key.to_string())],
        "{json:#}"
    );
    site.assert_no_secrets();
}

// ---------------------------------------------------------------------------------------------------
// 6. Preview

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn preview_marks_a_sent_post_with_its_url() {
    let x = FakeX::start().await;
    let (sent_at, next_at) = (in_secs(-30), in_secs(60));
    let site = Site::on_x(
        &x,
        "max_sleep = \"1s\"\nshutdown_grace = \"5s\"",
        &campaign(&["x"], &[post("sent", sent_at, "HS4A: already out."), post("next", next_at, "HS4A: not yet out.")]),
    );
    let mut daemon = site.start(&[]);
    let record = site.wait_status(&key("sent", "x", sent_at), Status::Sent).await;
    daemon.stop().await;
    let url = record.url.expect("a URL");

    let (from, to) = (sent_at.format("%Y-%m-%d").to_string(), next_at.format("%Y-%m-%d").to_string());
    let text = site.run(&["preview", "--from", &from, "--to", &to]);
    assert_eq!(text.code, 0, "{}{}", text.stdout, text.stderr);
    assert_eq!(text.stdout.matches("✓ sent:").count(), 1, "{}", text.stdout);
    assert!(text.stdout.contains(&format!("✓ sent: {url}")), "{}", text.stdout);
    let json = site.run(&["preview", "--from", &from, "--to", &to, "--format", "json"]).json();
    let entries = json.as_array().expect("entries");
    let by_post = |id: &str| entries.iter().find(|e| e["post"] == id).unwrap_or_else(|| panic!("{id}: {json:#}"));
    assert_eq!(by_post("sent")["status"], "sent", "{json:#}");
    assert_eq!(by_post("sent")["url"], url.as_str(), "{json:#}");
    assert!(by_post("next")["status"].is_null(), "not published yet: {json:#}");
    assert!(by_post("next")["url"].is_null(), "{json:#}");
    site.assert_no_secrets();
}

// ---------------------------------------------------------------------------------------------------
// 7. /healthz and /metrics

/// A port nothing listens on now.
fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("address").port()
}

/// `GET path` on 127.0.0.1:port, the request written in two pieces a moment apart (as a slow client or
/// a split TCP segment delivers it): the whole answer.
fn get(port: u16, path: &str) -> std::io::Result<String> {
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let request = format!("GET {path} HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n\r\n");
    let (head, rest) = request.split_at(7);
    stream.write_all(head.as_bytes())?;
    stream.flush()?;
    std::thread::sleep(Duration::from_millis(100));
    stream.write_all(rest.as_bytes())?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer)?;
    Ok(answer)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthz_and_metrics_report_a_send() {
    let x = FakeX::start().await;
    let port = free_port();
    let due = in_secs(-10);
    let site = Site::on_x(
        &x,
        &format!("max_sleep = \"1s\"\nshutdown_grace = \"5s\"\nlisten = \"127.0.0.1:{port}\""),
        &campaign(&["x"], &[post("now", due, "HS4A: counted in the metrics.")]),
    );
    let daemon = site.start(&[]);
    site.wait_status(&key("now", "x", due), Status::Sent).await;
    daemon.wait_log("serving /healthz and /metrics", 1).await;

    let health = get(port, "/healthz").unwrap_or_else(|e| panic!("GET /healthz: {e}"));
    assert!(health.starts_with("HTTP/1.1 200 OK"), "{health}");
    assert!(health.ends_with("\r\n\r\nok\n"), "{health}");
    let mut metrics = String::new();
    let counted = wait_for(|| {
        metrics = get(port, "/metrics").unwrap_or_else(|e| format!("GET /metrics: {e}"));
        metrics.contains("herald_posts_sent_total{channel=\"x\"} 1")
    })
    .await;
    assert!(counted, "{metrics}");
    assert!(metrics.starts_with("HTTP/1.1 200 OK"), "{metrics}");
    assert!(metrics.contains("herald_publish_lateness_seconds_count 1"), "{metrics}");
    assert!(metrics.contains("herald_posts_unknown_total{channel=\"x\"} 0"), "{metrics}");
    drop(daemon);
    site.assert_no_secrets();
}

// ---------------------------------------------------------------------------------------------------
// 8. Secrets, on the four platforms

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_command_ever_prints_a_credential() {
    let fakes = FakePlatforms::start().await;
    let config = format!("{}\n[daemon]\nmax_sleep = \"1s\"\nshutdown_grace = \"5s\"\n", fakes.channels());
    let env = FakePlatforms::environment();
    let channels = ["x", "instagram", "linkedin", "facebook"];
    let (now, next) = (in_secs(-20), in_secs(3600));
    let site = Site::new(
        &config,
        env,
        &campaign(
            &channels,
            &[
                post_with_image("now", now, "HS4A: on every platform at once."),
                post_with_image("next", next, "HS4A: on every platform, later."),
            ],
        ),
    );

    for args in [&["check"][..], &["check", "--online"], &["send", "launch/next", "--dry-run"], &["plan"]] {
        let r = site.run(args);
        assert_eq!(r.code, 0, "herald {args:?}:\n{}{}", r.stdout, r.stderr);
    }
    let mut daemon = site.start(&[]);
    for channel in channels {
        let record = site.wait_status(&key("now", channel, now), Status::Sent).await;
        assert!(record.url.is_some(), "{record:?}");
    }
    for args in [
        &["status"][..],
        &["status", "--format", "json"],
        &["plan", "--format", "json"],
        &["preview", "--from", &now.format("%Y-%m-%d").to_string()],
        &["preview", "--from", &now.format("%Y-%m-%d").to_string(), "--format", "json"],
        &["pause", "--channel", "linkedin"],
        &["resume", "--all"],
    ] {
        let r = site.run(args);
        assert_eq!(r.code, 0, "herald {args:?}:\n{}{}", r.stdout, r.stderr);
    }
    daemon.stop().await;
    // A dry run of the daemon logs every request it would make (redacted).
    let mut dry = site.start(&["--dry-run"]);
    dry.wait_log("dry run, not sent", channels.len()).await;
    dry.stop().await;

    for channel in channels {
        assert_eq!(fakes.published(channel, "HS4A: on every platform at once."), 1, "{channel}");
    }
    site.assert_no_secrets();
}

// ---------------------------------------------------------------------------------------------------
// 9. One daemon per project

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_daemon_on_the_same_project_refuses_to_start() {
    let x = FakeX::start().await;
    let site = Site::on_x(
        &x,
        "max_sleep = \"1s\"\nshutdown_grace = \"5s\"",
        &campaign(&["x"], &[post("later", in_secs(3600), "HS4A: only once.")]),
    );
    let mut first = site.start(&[]);
    first.wait_running().await;

    let mut second = site.start(&[]);
    let status = second.wait_exit(DEADLINE).await;
    let log = second.log();
    assert_eq!(status.and_then(|s| s.code()), Some(2), "the second `herald run` must exit 2:\n{log}");
    assert!(log.contains("another `herald run` is already using"), "{log}");
    assert!(log.contains("help: stop it first"), "{log}");
    // The first one is unaffected.
    assert!(first.child.try_wait().expect("wait").is_none(), "the first daemon stopped:\n{}", first.log());
    first.stop().await;
    site.assert_no_secrets();
}

// ---------------------------------------------------------------------------------------------------
// 10. An Instagram Login token kept alive

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_daemon_refreshes_an_instagram_login_token_before_it_runs_out_and_keeps_it_across_restarts() {
    let instagram = FakeInstagram::start().await;
    let expires = Utc::now().date_naive() + chrono::Duration::days(12);
    let config = format!(
        r#"
[channels.instagram]
platform = "instagram"
auth = "instagram-login"
handle = "@humansecurityforall"
base_url = "{}"
account = "{}"
media_base_url = "https://media.example.org/herald"
token_expires = {expires}
[channels.instagram.credentials]
access_token = "env:HERALD_T_IG"

[daemon]
max_sleep = "1s"
shutdown_grace = "5s"
"#,
        instagram.uri(),
        fake_instagram::ACCOUNT,
    );
    let env = vec![("HERALD_T_IG", fake_instagram::TOKEN.to_string())];
    // Nothing due for an hour: the refresh comes from the upkeep, not from a post.
    let later = in_secs(3600);
    let site = Site::new(&config, env, &campaign(&["instagram"], &[post_with_image("later", later, "HS4A: later.")]));
    let mut daemon = site.start(&[]);
    daemon.wait_log("access token refreshed and stored", 1).await;
    assert_eq!(instagram.refreshes(), 1);
    let refreshed = instagram.current_token();
    let stored = std::fs::read_to_string(site.path().join(".herald/tokens.json")).expect("tokens.json");
    assert!(stored.contains(&refreshed), "the new token is stored before it is used");
    // A post now goes out with the new token (the fake no longer takes the old one).
    let now = in_secs(2);
    site.edit(&campaign(
        &["instagram"],
        &[post_with_image("now", now, "HS4A: with a fresh token."), post_with_image("later", later, "HS4A: later.")],
    ));
    site.wait_status(&key("now", "instagram", now), Status::Sent).await;
    daemon.stop().await;
    // After a restart the stored token is used: no second refresh, and posting still works.
    let soon = in_secs(2);
    site.edit(&campaign(
        &["instagram"],
        &[
            post_with_image("now", now, "HS4A: with a fresh token."),
            post_with_image("soon", soon, "HS4A: after a restart."),
            post_with_image("later", later, "HS4A: later."),
        ],
    ));
    let mut again = site.start(&[]);
    site.wait_status(&key("soon", "instagram", soon), Status::Sent).await;
    again.stop().await;
    assert_eq!(instagram.refreshes(), 1);
    assert_eq!(instagram.posts().len(), 2);
    assert!(instagram.rejected().is_empty(), "{:?}", instagram.rejected());
    site.assert_no_secrets();
    assert!(!site.everything().contains(&refreshed), "the refreshed token appears in the output");
}
