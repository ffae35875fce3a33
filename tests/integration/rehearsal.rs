//! `herald run --dry-run --from DATETIME [--to DATETIME] [--speed N]`: the real daemon played on a
//! virtual clock. Each publication is logged, stamped with the moment it would happen, in order; the
//! run ends by itself when the schedule (or `--to`) is over. No assertion depends on the wall clock:
//! the only real-time bound is a generous deadline that turns a hang into a failure.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::{Run, TestProject};

const POSTS: &str = r#"
[[post]]
id = "before"
date = 2027-02-20
time = "09:00"
text = "Before the rehearsal starts."

[[post]]
id = "first"
date = 2027-03-02
time = "09:00"
text = "First."

[[post]]
id = "women"
day = "international-womens-day"
time = "14:30"
text = "Today is {{ day.name }}."

[[post]]
id = "water"
day = "world-water-day"
time = "08:00"
text = "Today is {{ day.name }}."

[[post]]
id = "april"
date = 2027-04-15
time = "12:00"
text = "After --to."
"#;

fn project() -> TestProject {
    TestProject::new().file(
        "campaigns/c.toml",
        &format!(
            "[campaign]\nid = \"c\"\nname = \"Rehearsal\"\ntimezone = \"UTC\"\nchannels = [\"x\"]\nstarts = 2027-01-01\nends = 2027-12-31\n{POSTS}"
        ),
    )
}

/// Runs `herald -C DIR run ARGS` to its end, failing the test if it has not ended within a minute.
fn run(project: &TestProject, args: &[&str]) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_herald"))
        .arg("-C")
        .arg(project.path())
        .arg("run")
        .args(args)
        .env("RUST_LOG", "info")
        .env("TZ", "UTC")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start herald run");
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().expect("wait").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let out = child.wait_with_output().expect("output");
            panic!("the rehearsal did not end within 60 s:\n{}", String::from_utf8_lossy(&out.stderr));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().expect("output");
    Run {
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        code: out.status.code().unwrap_or(-1),
    }
}

/// The JSON log's publications: (the line's timestamp, post, channel, scheduled time).
fn publications(log: &str) -> Vec<(String, String, String, String)> {
    log.lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .filter(|l| l["message"].as_str().is_some_and(|m| m.starts_with("published: ")))
        .map(|l| {
            let s = |k: &str| l[k].as_str().unwrap_or_default().to_string();
            (s("timestamp"), s("post"), s("channel"), s("scheduled"))
        })
        .collect()
}

fn publication(stamp: &str, post: &str, scheduled: &str) -> (String, String, String, String) {
    (stamp.to_string(), post.to_string(), "x".to_string(), scheduled.to_string())
}

#[test]
fn a_rehearsal_logs_each_publication_at_its_moment_in_order_and_stops_after_to() {
    let project = project();
    let r = run(
        &project,
        &["--dry-run", "--log-format", "json", "--from", "2027-03-01T00:00:00Z", "--to", "2027-04-01T00:00"],
    );
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(
        publications(&r.stderr),
        [
            publication("2027-03-02T09:00:00.000Z", "first", "2027-03-02T09:00:00+00:00"),
            publication("2027-03-08T14:30:00.000Z", "women", "2027-03-08T14:30:00+00:00"),
            publication("2027-03-22T08:00:00.000Z", "water", "2027-03-22T08:00:00+00:00"),
        ]
    );
    assert!(r.stderr.contains("rehearsal over: the next post is after --to"), "{}", r.stderr);
    // Nothing was written: the ledger is in memory.
    assert!(!project.path().join(".herald").exists());
}

#[test]
fn a_rehearsal_without_to_plays_until_the_schedule_is_exhausted() {
    let project = project();
    let r = run(&project, &["--dry-run", "--log-format", "json", "--from", "2027-03-08"]);
    assert_eq!(r.code, 0, "{}", r.all());
    let posts: Vec<String> = publications(&r.stderr).into_iter().map(|p| p.1).collect();
    assert_eq!(posts, ["women", "water", "april"]);
    assert!(r.stderr.contains("rehearsal over: nothing more is scheduled"), "{}", r.stderr);
    assert!(r.stderr.contains(r#""to":"the end of the schedule""#), "{}", r.stderr);
}

#[test]
fn a_rehearsal_with_a_speed_plays_the_same_publications_in_order() {
    let project = project();
    // A virtual week a real second: the three weeks take about three seconds.
    let r = run(
        &project,
        &[
            "--dry-run",
            "--log-format",
            "json",
            "--from",
            "2027-03-01T00:00:00Z",
            "--to",
            "2027-03-23",
            "--speed",
            "604800",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.all());
    let played: Vec<(String, String)> = publications(&r.stderr).into_iter().map(|p| (p.1, p.3)).collect();
    assert_eq!(
        played,
        [
            ("first".to_string(), "2027-03-02T09:00:00+00:00".to_string()),
            ("women".to_string(), "2027-03-08T14:30:00+00:00".to_string()),
            ("water".to_string(), "2027-03-22T08:00:00+00:00".to_string()),
        ]
    );
}

#[test]
fn from_without_dry_run_and_to_before_from_are_refused() {
    let project = project();
    let r = run(&project, &["--from", "2027-03-01T00:00:00Z"]);
    assert_eq!(r.code, 2, "{}", r.all());
    assert!(r.stderr.contains("--dry-run"), "{}", r.stderr);
    assert!(!project.path().join(".herald").exists(), "the daemon started");

    let r = run(&project, &["--dry-run", "--from", "2027-03-08", "--to", "2027-03-01"]);
    assert_eq!(r.code, 2, "{}", r.all());
    assert!(r.stderr.contains("is before --from"), "{}", r.stderr);

    let r = run(&project, &["--dry-run", "--from", "next tuesday"]);
    assert_eq!(r.code, 2, "{}", r.all());
    assert!(r.stderr.contains("expected RFC 3339"), "{}", r.stderr);
}

#[test]
fn a_rehearsal_says_at_the_start_which_channels_cannot_publish_and_why() {
    // The test config's `linkedin` has no `account` and its `instagram` no `media_base_url`: every post
    // to them is refused. The operator learns it once, before the first post, with the file to fix; a
    // refusal herald makes itself does not claim that the platform said anything.
    let project = TestProject::new().file(
        "campaigns/c.toml",
        "[campaign]\nid = \"c\"\nname = \"Rehearsal\"\ntimezone = \"UTC\"\nchannels = [\"x\", \"linkedin\"]\nstarts = 2027-01-01\nends = 2027-12-31\n\n[[post]]\nid = \"first\"\ndate = 2027-03-02\ntime = \"09:00\"\ntext = \"First.\"\n",
    );
    let r = run(&project, &["--dry-run", "--from", "2027-03-01T00:00:00Z"]);
    assert_eq!(r.code, 0, "{}", r.all());
    let first_post = r.stderr.find("published: ").expect(&r.stderr);
    for problem in [
        "channel `linkedin` cannot publish (config/herald.toml): a LinkedIn channel needs `account`",
        "channel `instagram` cannot publish (config/herald.toml): it has no `media_base_url`",
    ] {
        let at = r.stderr.find(problem).unwrap_or_else(|| panic!("no `{problem}` in:\n{}", r.stderr));
        assert!(at < first_post, "said after the first post:\n{}", r.stderr);
    }
    assert!(r.stderr.contains("rejected: channel `linkedin`: a LinkedIn channel needs `account`"), "{}", r.stderr);
    assert!(!r.stderr.contains("the platform said: )"), "{}", r.stderr);
}
