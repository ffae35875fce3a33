//! `HERALD_STATE_DIR`: the state folder given by the environment wins over the config's `state_dir`,
//! for every command that touches state, so a service can run from a read-only checkout.

use std::path::Path;
use std::process::Command;

use crate::support::{CAMPAIGN_HEAD, Run};

/// Runs `herald -C DIR --color never ARGS` with `HERALD_STATE_DIR` set to `state` (or unset).
fn herald(dir: &Path, state: Option<&Path>, args: &[&str]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_herald"));
    cmd.arg("-C").arg(dir).args(["--color", "never"]).args(args).env_remove("HERALD_STATE_DIR");
    if let Some(state) = state {
        cmd.env("HERALD_STATE_DIR", state);
    }
    let out = cmd.output().expect("run herald");
    Run {
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        code: out.status.code().unwrap_or(-1),
    }
}

/// A project whose config names a `state_dir` of its own (inside the project), with one post.
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir_all(dir.path().join("config")).expect("config dir");
    std::fs::create_dir_all(dir.path().join("campaigns")).expect("campaigns dir");
    std::fs::write(
        dir.path().join("config/herald.toml"),
        "state_dir = \"from-config\"\n\n[channels.x]\nplatform = \"twitter\"\nhandle = \"@humansecurityFA\"\n",
    )
    .expect("write config");
    let campaign = CAMPAIGN_HEAD.replace("channels = [\"x\", \"linkedin\", \"facebook\"]", "channels = [\"x\"]")
        + "\n[[post]]\nid = \"water\"\ndate = 2027-03-22\ntext = \"Water is life.\"\n";
    std::fs::write(dir.path().join("campaigns/c.toml"), campaign).expect("write campaign");
    dir
}

#[test]
fn the_environment_state_dir_wins_over_the_config_for_pause_and_status() {
    let project = project();
    let elsewhere = tempfile::tempdir().expect("temp dir");
    let state = elsewhere.path().join("state");

    let paused = herald(project.path(), Some(&state), &["pause", "--channel", "x"]);
    assert_eq!(paused.code, 0, "{}", paused.all());
    assert!(state.join("ledger.sqlite").is_file(), "the ledger is not in HERALD_STATE_DIR");
    assert!(!project.path().join("from-config").exists(), "the config's state_dir was used");
    assert!(!project.path().join(".herald").exists(), "the default state folder was used");

    let status = herald(project.path(), Some(&state), &["status", "--format", "json"]);
    assert_eq!(status.code, 0, "{}", status.all());
    assert_eq!(status.json()["paused"], serde_json::json!([{"campaign": null, "channel": "x"}]));

    // Without the variable, the config's folder is used, and it has no ledger.
    let status = herald(project.path(), None, &["status"]);
    assert_eq!(status.code, 0, "{}", status.all());
    assert!(status.all().contains("No ledger yet"), "{}", status.all());
    assert!(status.all().contains("from-config"), "{}", status.all());
    // An operator who forgot the variable the service runs with is told about it.
    assert!(
        status.stdout.ends_with(
            "  help: a daemon run as a service keeps its ledger where HERALD_STATE_DIR says (the systemd unit: /var/lib/herald): set the same HERALD_STATE_DIR for this command\n"
        ),
        "{}",
        status.all()
    );
    let status = herald(project.path(), Some(&elsewhere.path().join("empty")), &["status"]);
    assert!(status.stdout.starts_with("No ledger yet"), "{}", status.all());
    assert!(!status.stdout.contains("set the same HERALD_STATE_DIR"), "it is set:\n{}", status.all());
}

#[test]
fn an_empty_environment_state_dir_is_ignored() {
    let project = project();
    let paused = herald(project.path(), Some(Path::new("")), &["pause"]);
    assert_eq!(paused.code, 0, "{}", paused.all());
    assert!(project.path().join("from-config/ledger.sqlite").is_file());
}

/// A post recorded missed (added to the files after its catch-up window) is shown by `status` with its
/// reason and the command that settles it.
#[test]
fn status_shows_a_missed_post_with_its_reason_and_how_to_settle_it() {
    use chrono::TimeZone as _;
    use herald::ledger::{Finish, OccurrenceKey, Planned, Store as _};
    let p = crate::support::TestProject::new()
        .campaign("c.toml", "\n[[post]]\nid = \"early\"\ndate = 2027-03-08\ntext = \"a\"\n");
    let store = herald::ledger::sqlite::SqliteStore::open(p.path().join(".herald/ledger.sqlite")).expect("a ledger");
    let at = chrono::Utc.with_ymd_and_hms(2027, 3, 8, 14, 0, 0).unwrap();
    let key = OccurrenceKey::new("c", "early", "x", at).unwrap();
    store.sync_plan(&[Planned { key: key.clone(), text_hash: String::new() }], at).unwrap();
    let reason =
        "added to the files after its catch-up window: it reached herald only at 2027-03-08 16:01 UTC, 2h1m late";
    store.finish(&key, Finish::Missed { reason: reason.into() }, at + chrono::Duration::hours(2)).unwrap();
    drop(store);
    let r = p.run(&["status"]);
    assert_eq!(r.code, 0, "{}", r.all());
    let attention = r.stdout.split("Next:").next().unwrap_or_default();
    assert!(attention.starts_with("Needs attention (unknown, failed, missed):\n"), "{}", r.stdout);
    assert!(attention.contains(&key.to_string()) && attention.contains("missed"), "{}", r.stdout);
    assert!(attention.contains("2h1m late"), "{}", r.stdout);
    assert!(attention.contains("herald resolve"), "{}", r.stdout);
}
