//! Test support: a fluent builder that writes a herald project into a temporary directory and runs the
//! real `herald` binary on it, capturing stdout, stderr and the exit code.

#![allow(dead_code)]

pub mod fake_facebook;
pub mod fake_instagram;
pub mod fake_linkedin;
pub mod fake_platforms;
pub mod fake_x;
pub mod openapi;
pub mod shared_data;

use std::path::{Path, PathBuf};
use std::process::Command;

/// The channels most tests use; `x-fr` and `x-ar` exercise translations and right-to-left text.
pub const CONFIG: &str = r#"
[channels.x]
platform = "twitter"
handle = "@humansecurityFA"

[channels.instagram]
platform = "instagram"
handle = "@humansecurityforall"

[channels.linkedin]
platform = "linkedin"
handle = "@humansecurityforall"

[channels.facebook]
platform = "facebook"
handle = "@HS4Aglobal"

[channels.x-fr]
platform = "twitter"
handle = "@humansecurityFA_fr"
language = "fr"

[channels.x-ar]
platform = "twitter"
handle = "@humansecurityFA_ar"
language = "ar"
"#;

/// The start of a valid campaign; tests append `[[post]]` tables.
pub const CAMPAIGN_HEAD: &str = r#"[campaign]
name = "Human Security for All 2027"
timezone = "America/New_York"
channels = ["x", "linkedin", "facebook"]
hashtags = ["HumanSecurity", "HS4A"]
link = "https://www.humansecurity.world"
starts = 2027-01-01
ends = 2027-12-31
time = "09:00"
"#;

/// The smallest files herald reads as a JPEG and a PNG (well-formed by structure, not only by their
/// first bytes).
pub const JPEG: &[u8] = herald::channels::media::SMALLEST_JPEG;
pub const PNG: &[u8] = herald::channels::media::SMALLEST_PNG;

pub struct TestProject {
    dir: tempfile::TempDir,
}

/// The result of one run of the binary.
#[derive(Debug)]
pub struct Run {
    pub stdout: String,
    pub stderr: String,
    pub code: i32,
}

impl Run {
    /// stdout then stderr.
    pub fn all(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout))
    }
}

impl TestProject {
    /// A project with [`CONFIG`] and no campaigns.
    pub fn new() -> Self {
        let p = Self { dir: tempfile::tempdir().expect("temp dir") };
        p.write("config/herald.toml", CONFIG.as_bytes());
        std::fs::create_dir_all(p.path().join("campaigns")).expect("campaigns dir");
        p
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    fn write(&self, rel: &str, contents: &[u8]) {
        let path = self.path().join(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, contents).expect("write");
    }

    #[must_use]
    pub fn file(self, rel: &str, contents: &str) -> Self {
        self.write(rel, contents.as_bytes());
        self
    }

    #[must_use]
    pub fn bytes(self, rel: &str, contents: &[u8]) -> Self {
        self.write(rel, contents);
        self
    }

    /// A campaign file `campaigns/NAME` made of [`CAMPAIGN_HEAD`] and `posts`.
    #[must_use]
    pub fn campaign(self, name: &str, posts: &str) -> Self {
        self.file(&format!("campaigns/{name}"), &format!("{CAMPAIGN_HEAD}{posts}"))
    }

    /// Like [`TestProject::campaign`], with the campaign's channel list replaced by `channels`.
    #[must_use]
    pub fn campaign_on(self, name: &str, channels: &[&str], posts: &str) -> Self {
        let list = channels.iter().map(|c| format!("\"{c}\"")).collect::<Vec<_>>().join(", ");
        let head =
            CAMPAIGN_HEAD.replace("channels = [\"x\", \"linkedin\", \"facebook\"]", &format!("channels = [{list}]"));
        self.file(&format!("campaigns/{name}"), &format!("{head}{posts}"))
    }

    /// `preview --format json` from `from` to `to` (plus `extra` arguments), which must succeed: the
    /// entries.
    pub fn preview_json(&self, from: &str, to: &str, extra: &[&str]) -> Vec<serde_json::Value> {
        let mut args = vec!["preview", "--from", from, "--to", to, "--format", "json"];
        args.extend_from_slice(extra);
        let r = self.run(&args);
        assert_eq!(r.code, 0, "{}", r.stderr);
        r.json().as_array().cloned().unwrap_or_default()
    }

    /// Runs `herald -C <project> --color never ARGS`.
    pub fn run(&self, args: &[&str]) -> Run {
        run_in(self.path(), args)
    }
}

/// The day the tests' `herald check` takes as today (`HERALD_TODAY`): before every test calendar.
pub const TODAY: &str = "2026-12-01";

pub fn run_in(dir: &Path, args: &[&str]) -> Run {
    run_with_secrets(dir, &[], args)
}

/// Runs `herald -C DIR --color never ARGS` with the credentials `secrets` in its environment, and
/// fails the test if any of their values appears in anything it printed (a dry run's requests, an
/// error, a log line).
pub fn run_with_secrets(dir: &Path, secrets: &[(&str, &str)], args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_herald"))
        .arg("-C")
        .arg(dir)
        .args(["--color", "never"])
        .args(args)
        // `check` warns about posts already past: the test calendars (2027) are checked as of a fixed day,
        // so they pass the same way every year.
        .env("HERALD_TODAY", TODAY)
        .envs(secrets.iter().copied())
        .env_remove("NO_COLOR")
        .output()
        .expect("run herald");
    let run = Run {
        stdout: String::from_utf8(out.stdout).expect("utf-8 stdout"),
        stderr: String::from_utf8(out.stderr).expect("utf-8 stderr"),
        code: out.status.code().unwrap_or(-1),
    };
    for (name, value) in secrets.iter().filter(|(_, v)| !v.is_empty()) {
        let all = format!("{}{}", run.stdout, run.stderr);
        assert!(!all.contains(value), "herald {args:?} printed the credential {name}:\n{all}");
    }
    run
}

/// A text post (no link, no image) for `channel`, as the adapters get it.
pub fn text_post<'a>(
    parts: &'a [String],
    channel: &'a herald::config::Channel,
) -> herald::channels::adapter::Outgoing<'a> {
    herald::channels::adapter::Outgoing {
        parts,
        link: None,
        media: &[],
        channel,
        campaigns_dir: Path::new("campaigns"),
    }
}

/// The repository root (where the bundled example lives).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A ledger at `dir/.herald/ledger.sqlite` in which the `x` posts of campaign `c` named in `posts`
/// (`(post, date)`, at 13:00 UTC) are scheduled, the first then published at `url` and the second failed
/// (`refused`); the store is returned for more.
pub fn ledger_with_sent_and_failed(
    dir: &Path,
    posts: &[(&str, u32)],
    url: &str,
) -> (herald::ledger::sqlite::SqliteStore, Vec<herald::ledger::OccurrenceKey>) {
    use chrono::TimeZone as _;
    use herald::ledger::{Finish, OccurrenceKey, Planned, Store as _};
    let store = herald::ledger::sqlite::SqliteStore::open(dir.join(".herald/ledger.sqlite")).expect("a ledger");
    let at = |d: u32| chrono::Utc.with_ymd_and_hms(2027, 3, d, 13, 0, 0).unwrap();
    let keys: Vec<OccurrenceKey> =
        posts.iter().map(|(post, d)| OccurrenceKey::new("c", *post, "x", at(*d)).unwrap()).collect();
    let planned: Vec<Planned> = keys.iter().map(|k| Planned { key: k.clone(), text_hash: String::new() }).collect();
    store.sync_plan(&planned, at(1)).unwrap();
    let (sent, failed) = (&keys[0], &keys[1]);
    store.claim(sent, sent.at()).unwrap();
    store
        .finish(sent, Finish::Sent { remote_id: "1".into(), url: Some(url.into()), text_hash: "h".into() }, sent.at())
        .unwrap();
    store.claim(failed, failed.at()).unwrap();
    store.finish(failed, Finish::Failed { error: "refused".into() }, failed.at()).unwrap();
    (store, keys)
}
