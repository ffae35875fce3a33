//! The scheduler with tokio's paused clock: it sleeps until deadlines (never ticks), publishes on time,
//! catches up or marks missed, holds paused posts, and reloads edits keeping the last good version.
//! Dry runs: no network, so the paused clock is exact.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use tokio::sync::mpsc;

use super::*;
use crate::ledger::sqlite::SqliteStore;

const CONFIG: &str = r#"
[channels.x]
platform = "twitter"
handle = "@humansecurityFA"

[channels.linkedin]
platform = "linkedin"
handle = "@humansecurityforall"

[daemon]
max_sleep = "10m"
"#;

fn campaign(posts: &str) -> String {
    format!(
        r#"[campaign]
id = "c"
name = "Test"
timezone = "UTC"
channels = ["x"]
starts = 2027-01-01
ends = 2027-12-31

{posts}"#
    )
}

fn post(id: &str, time: &str) -> String {
    format!("[[post]]\nid = \"{id}\"\ndate = 2027-03-08\ntime = \"{time}\"\ntext = \"Post {id}: water is life.\"\n\n")
}

fn at(hm: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(&format!("2027-03-08T{hm}:00Z")).unwrap().with_timezone(&Utc)
}

struct Running {
    dir: tempfile::TempDir,
    store: Arc<SqliteStore>,
    control: mpsc::Sender<Control>,
    metrics: Arc<Metrics>,
    task: tokio::task::JoinHandle<()>,
}

/// A project folder with [`CONFIG`] and `campaigns/c.toml` holding `campaign_text`.
fn project_dir(campaign_text: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("config")).unwrap();
    std::fs::create_dir_all(dir.path().join("campaigns")).unwrap();
    std::fs::write(dir.path().join("config/herald.toml"), CONFIG).unwrap();
    std::fs::write(dir.path().join("campaigns/c.toml"), campaign_text).unwrap();
    dir
}

impl Running {
    /// A dry-run daemon on `posts` at `now`, with a new ledger.
    async fn start(posts: &str, now: &str) -> Self {
        Self::start_on(Arc::new(SqliteStore::in_memory().unwrap()), posts, now).await
    }

    /// A dry-run daemon on `posts` at `now`, with the ledger `store` (a restart).
    async fn start_on(store: Arc<SqliteStore>, posts: &str, now: &str) -> Self {
        let dir = project_dir(&campaign(posts));
        let options =
            Options { root: dir.path().to_path_buf(), dry_run: true, state_dir: None, clock: Clock::tokio(at(now)) };
        let daemon = Daemon::start(options, store.clone()).await.unwrap();
        let metrics = daemon.metrics();
        let (control, rx) = mpsc::channel(8);
        let task = tokio::spawn(daemon.run(rx));
        Self { dir, store, control, metrics, task }
    }

    /// The status of post `id` at `time` on `x`; `None` when the ledger has no record of it.
    fn status(&self, id: &str, time: &str) -> Option<Status> {
        let key = OccurrenceKey::new("c", id, "x", at(time)).unwrap();
        self.store.get(&key).unwrap().map(|r| r.status)
    }

    fn edit(&self, text: &str) {
        std::fs::write(self.dir.path().join("campaigns/c.toml"), text).unwrap();
    }

    async fn stop(self) {
        self.control.send(Control::Shutdown).await.unwrap();
        self.task.await.unwrap();
    }
}

/// Lets the daemon run until the paused clock reaches `hm`, plus a moment for the tasks.
async fn until(start: &str, hm: &str) {
    let wait = (at(hm) - at(start)).to_std().unwrap();
    tokio::time::sleep(wait).await;
    for _ in 0..50 {
        tokio::task::yield_now().await;
    }
}

#[tokio::test(start_paused = true)]
async fn posts_go_out_at_their_time_and_the_scheduler_sleeps_in_between() {
    let d = Running::start(&(post("a", "08:30") + &post("b", "10:00")), "08:00").await;
    until("08:00", "08:29").await;
    assert_eq!(d.status("a", "08:30"), Some(Status::Scheduled));
    let wakes_before = d.metrics.wakes();
    assert!(wakes_before <= 6, "29 minutes with max_sleep 10m: at most a few wakes, not a tick ({wakes_before})");
    until("08:29", "08:31").await;
    assert_eq!(d.status("a", "08:30"), Some(Status::Sent));
    assert_eq!(d.status("b", "10:00"), Some(Status::Scheduled));
    let (samples, total) = d.metrics.lateness_total();
    assert_eq!(samples, 1);
    assert!(total < 0.001, "published at its deadline, {total}s late");
    until("08:31", "10:01").await;
    assert_eq!(d.status("b", "10:00"), Some(Status::Sent));
    assert!(d.metrics.wakes() <= 20, "{} wakes over two hours", d.metrics.wakes());
    d.stop().await;
}

#[tokio::test(start_paused = true)]
async fn late_posts_are_caught_up_within_the_window_and_missed_beyond_it() {
    let d = Running::start(&(post("old", "08:00") + &post("recent", "09:30")), "10:00").await;
    until("10:00", "10:01").await;
    // A first start: 2 h late is beyond the 1 h window, and reported missed (herald accounts for the
    // day before its ledger began), not left out of the ledger.
    assert_eq!(d.status("old", "08:00"), Some(Status::Missed));
    assert_eq!(d.metrics.counts("x").missed, 1);
    assert_eq!(d.status("recent", "09:30"), Some(Status::Sent), "30 minutes late, within the window");
    d.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_post_scheduled_earlier_is_reported_missed_when_the_daemon_comes_back_too_late() {
    let d = Running::start(&post("a", "09:00"), "08:00").await;
    let store = d.store.clone();
    d.stop().await; // herald stops before 09:00…
    // …and starts again at 11:00 with the same ledger.
    let d = Running::start_on(store, &post("a", "09:00"), "11:00").await;
    until("11:00", "11:01").await;
    let key = OccurrenceKey::new("c", "a", "x", at("09:00")).unwrap();
    let record = d.store.get(&key).unwrap().unwrap();
    assert_eq!(record.status, Status::Missed);
    assert!(record.last_error.unwrap_or_default().contains("2h late"), "the reason says how late");
    d.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_pause_holds_posts_at_once_and_a_resume_within_the_window_sends_them() {
    let d = Running::start(&(post("a", "08:30") + &post("b", "09:40")), "08:00").await;
    let scope = PauseScope { campaign: Some("c".into()), channel: None };
    d.store.set_paused(&scope, true).unwrap();
    d.control.send(Control::LedgerChanged).await.unwrap();
    until("08:00", "08:45").await;
    assert_eq!(d.status("a", "08:30"), Some(Status::Scheduled), "held by the pause");
    d.store.set_paused(&scope, false).unwrap();
    d.control.send(Control::LedgerChanged).await.unwrap();
    until("08:45", "08:46").await;
    assert_eq!(d.status("a", "08:30"), Some(Status::Sent), "15 minutes late: still within the window");
    // A pause found only by the sleep cap (no event) still applies before the next post.
    d.store.set_paused(&PauseScope::default(), true).unwrap();
    until("08:46", "10:00").await;
    assert_eq!(d.status("b", "09:40"), Some(Status::Scheduled));
    d.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_broken_edit_keeps_the_last_good_version_and_a_deleted_post_is_cancelled() {
    let d = Running::start(&(post("a", "09:00") + &post("b", "09:30")), "08:00").await;
    // A syntax error: the file's last good version keeps running.
    d.edit(&(campaign(&post("a", "09:00")) + "this is not toml ="));
    d.control.send(Control::Reload).await.unwrap();
    until("08:00", "09:01").await;
    assert_eq!(d.status("a", "09:00"), Some(Status::Sent));
    // A valid edit that removes `b` and adds `c`.
    d.edit(&campaign(&(post("a", "09:00") + &post("c", "09:45"))));
    d.control.send(Control::Reload).await.unwrap();
    until("09:01", "09:50").await;
    assert_eq!(d.status("b", "09:30"), Some(Status::Cancelled));
    assert_eq!(d.status("c", "09:45"), Some(Status::Sent));
    let b = d.store.get(&OccurrenceKey::new("c", "b", "x", at("09:30")).unwrap()).unwrap().unwrap();
    assert_eq!(b.attempts, 0, "never attempted");
    d.stop().await;
}

#[tokio::test(start_paused = true)]
async fn an_edit_to_a_post_already_sent_never_sends_it_again() {
    let d = Running::start(&post("a", "08:30"), "08:00").await;
    until("08:00", "08:31").await;
    assert_eq!(d.status("a", "08:30"), Some(Status::Sent));
    d.edit(&campaign(&post("a", "08:30").replace("water is life", "water is a right")));
    d.control.send(Control::Reload).await.unwrap();
    until("08:31", "08:40").await;
    let r = d.store.get(&OccurrenceKey::new("c", "a", "x", at("08:30")).unwrap()).unwrap().unwrap();
    assert_eq!((r.status, r.attempts), (Status::Sent, 1));
    d.stop().await;
}

/// Runs a dry-run daemon at 08:00 on `campaign_text` and `store`, its alerts going to a webhook, its
/// config `CONFIG` changed by `edit`, for a moment; the alerts the webhook received.
async fn alerts_at_start(
    edit: impl Fn(&str) -> String,
    campaign_text: &str,
    store: Arc<SqliteStore>,
) -> Vec<serde_json::Value> {
    alerts_with_reload(edit, campaign_text, store, None).await
}

/// [`alerts_at_start`], with `change` made to the project folder once the daemon runs, then a reload.
async fn alerts_with_reload(
    edit: impl Fn(&str) -> String,
    campaign_text: &str,
    store: Arc<SqliteStore>,
    change: Option<&dyn Fn(&std::path::Path)>,
) -> Vec<serde_json::Value> {
    let hook = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::method("POST"))
        .respond_with(wiremock::ResponseTemplate::new(200))
        .mount(&hook)
        .await;
    let dir = project_dir(campaign_text);
    std::fs::write(dir.path().join("campaigns/card.jpg"), crate::channels::media::SMALLEST_JPEG).unwrap();
    let config = edit(CONFIG) + "alert_webhook = \"file:webhook\"\n";
    std::fs::write(dir.path().join("config/herald.toml"), format!("secrets_file = \"secrets.toml\"\n{config}"))
        .unwrap();
    std::fs::write(dir.path().join("secrets.toml"), format!("webhook = \"{}/hooks/secret-path\"\n", hook.uri()))
        .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(dir.path().join("secrets.toml"), std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let options =
        Options { root: dir.path().to_path_buf(), dry_run: true, state_dir: None, clock: Clock::tokio(at("08:00")) };
    let daemon = Daemon::start(options, store).await.unwrap();
    let (control, rx) = mpsc::channel(1);
    let task = tokio::spawn(daemon.run(rx));
    if let Some(change) = change {
        change(dir.path());
        control.send(Control::Reload).await.unwrap();
    }
    // Alerts go out on their own task, so a slow webhook never delays the scheduler.
    for _ in 0..50 {
        if !hook.received_requests().await.unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    // A moment more, for a second alert that should not come.
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    control.send(Control::Shutdown).await.unwrap();
    task.await.unwrap();
    let got = hook.received_requests().await.unwrap();
    got.iter().map(|r| serde_json::from_slice(&r.body).unwrap()).collect()
}

/// The alerts of a daemon whose channel `x` notes `token_expires = 2027-03-01` before a post on
/// 2027-03-08, its config with `extra_channel` added.
async fn token_alerts(extra_channel: &str) -> Vec<serde_json::Value> {
    let mut text = campaign(&post("a", "09:00"));
    if !extra_channel.is_empty() {
        // On Instagram too, which needs an image.
        text = text
            .replace("channels = [\"x\"]", "channels = [\"x\", \"instagram\"]")
            .replace("water is life.\"\n", "water is life.\"\nmedia = [{ file = \"card.jpg\", alt = \"A well\" }]\n");
    }
    let edit = |config: &str| {
        config
            .replace("handle = \"@humansecurityFA\"", "handle = \"@humansecurityFA\"\ntoken_expires = 2027-03-01")
            .replace("[daemon]", &format!("{extra_channel}\n[daemon]"))
    };
    alerts_at_start(edit, &text, Arc::new(SqliteStore::in_memory().unwrap())).await
}

/// A ledger holding post `gone` (no longer in the files) on `x` at 07:30, claimed, then left as
/// `finish` makes it (`None`: still `sending`, as a crash leaves it).
fn ledger_with_gone_post(finish: Option<Finish>) -> (Arc<SqliteStore>, OccurrenceKey) {
    let store = Arc::new(SqliteStore::in_memory().unwrap());
    let key = OccurrenceKey::new("c", "gone", "x", at("07:30")).unwrap();
    store.sync_plan(&[crate::ledger::Planned { key: key.clone(), text_hash: String::new() }], at("07:00")).unwrap();
    store.claim(&key, at("07:30")).unwrap();
    if let Some(f) = finish {
        store.finish(&key, f, at("07:31")).unwrap();
    }
    (store, key)
}

#[tokio::test]
async fn a_post_gone_from_the_files_while_in_flight_or_waiting_for_a_retry_is_reported() {
    let (store, key) = ledger_with_gone_post(None);
    let alerts = alerts_at_start(str::to_string, &campaign(&post("a", "09:00")), store.clone()).await;
    assert_eq!(store.get(&key).unwrap().unwrap().status, Status::Unknown);
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert_eq!(alerts[0]["herald"]["kind"], "unknown");
    assert_eq!(alerts[0]["herald"]["key"], key.to_string());

    let (store, key) = ledger_with_gone_post(Some(Finish::Retry { at: at("07:40"), error: "HTTP 503".into() }));
    let alerts = alerts_at_start(str::to_string, &campaign(&post("a", "09:00")), store.clone()).await;
    assert_eq!(store.get(&key).unwrap().unwrap().status, Status::Missed);
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert_eq!(alerts[0]["herald"]["kind"], "missed");
    assert!(alerts[0]["text"].as_str().unwrap().contains("no longer in the campaign files"), "{alerts:?}");
}

#[tokio::test]
async fn a_token_expiring_before_a_scheduled_post_is_reported_to_the_webhook() {
    let got = token_alerts("").await;
    assert_eq!(got.len(), 1, "one alert");
    let body = &got[0];
    assert_eq!(body["herald"]["kind"], "token_expires");
    let text = body["text"].as_str().unwrap();
    assert!(text.contains("channel `x` expires on 2027-03-01, before 1 scheduled post(s)"), "{text}");
    assert!(text.contains("2027-03-08 09:00 UTC"), "{text}");
}

#[tokio::test]
async fn a_token_herald_refreshes_itself_is_not_reported_as_expiring() {
    let instagram = "[channels.instagram]\nplatform = \"instagram\"\nauth = \"instagram-login\"\nhandle = \"@humansecurityforall\"\ntoken_expires = 2027-03-01\n";
    let got = token_alerts(instagram).await;
    let texts: Vec<String> = got.iter().map(|a| a["text"].as_str().unwrap_or("").to_string()).collect();
    assert_eq!(texts.len(), 1, "only channel `x`: {texts:?}");
    assert!(texts[0].contains("channel `x`"), "{texts:?}");
}

#[tokio::test(start_paused = true)]
async fn a_post_moved_after_it_went_out_is_not_sent_again() {
    let d = Running::start(&post("a", "08:30"), "08:00").await;
    until("08:00", "08:31").await;
    assert_eq!(d.status("a", "08:30"), Some(Status::Sent));
    d.edit(&campaign(&post("a", "08:45")));
    d.control.send(Control::Reload).await.unwrap();
    until("08:31", "08:50").await;
    let moved = d.store.get(&OccurrenceKey::new("c", "a", "x", at("08:45")).unwrap()).unwrap().unwrap();
    assert_eq!((moved.status, moved.attempts), (Status::Missed, 0), "{moved:?}");
    assert!(moved.last_error.unwrap_or_default().contains("already published at its earlier time"));
    d.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_missed_post_resolved_for_a_retry_goes_out_even_hours_later() {
    let d = Running::start(&post("a", "09:00"), "08:00").await;
    let store = d.store.clone();
    d.stop().await;
    let d = Running::start_on(store, &post("a", "09:00"), "12:00").await;
    let key = OccurrenceKey::new("c", "a", "x", at("09:00")).unwrap();
    until("12:00", "12:01").await;
    assert_eq!(d.store.get(&key).unwrap().unwrap().status, Status::Missed);
    // A person checks the account, finds nothing, and asks for it to go out after all.
    d.store.resolve(&key, crate::ledger::Resolution::Retry, at("12:01")).unwrap();
    d.control.send(Control::LedgerChanged).await.unwrap();
    until("12:01", "12:02").await;
    assert_eq!(d.store.get(&key).unwrap().unwrap().status, Status::Sent, "3 hours late, outside the plan's window");
    d.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_post_added_while_herald_was_stopped_and_now_too_late_is_reported_missed() {
    let d = Running::start(&post("a", "08:30"), "08:00").await;
    until("08:00", "08:31").await;
    let store = d.store.clone();
    d.stop().await;
    // While herald is stopped, an editor adds a post for 09:00; herald comes back at 11:00.
    let d = Running::start_on(store, &(post("a", "08:30") + &post("b", "09:00")), "11:00").await;
    let b = d.store.get(&OccurrenceKey::new("c", "b", "x", at("09:00")).unwrap()).unwrap().unwrap();
    assert_eq!(b.status, Status::Missed);
    let a = d.store.get(&OccurrenceKey::new("c", "a", "x", at("08:30")).unwrap()).unwrap().unwrap();
    assert_eq!(a.status, Status::Sent, "history already settled is untouched");
    d.stop().await;
}

#[test]
fn a_ledger_key_finds_its_place_in_the_plan_among_posts_at_the_same_time() {
    let text = campaign(&(post("a", "08:30") + &post("b", "08:30") + &post("c", "09:00")))
        .replace("channels = [\"x\"]", "channels = [\"x\", \"linkedin\"]");
    let dir = project_dir(&text);
    let project = crate::config::load_project(dir.path(), None).unwrap().project;
    let plan = Plan::new(Arc::new(project), at("08:00"));
    assert_eq!(plan.occurrences.len(), 6);
    for (i, occ) in plan.occurrences.iter().enumerate() {
        assert_eq!(plan.index_of(&plan.key(occ).unwrap()), Some(i));
    }
    assert_eq!(plan.index_of(&OccurrenceKey::new("c", "a", "x", at("08:31")).unwrap()), None);
    assert_eq!(plan.index_of(&OccurrenceKey::new("c", "z", "x", at("08:30")).unwrap()), None);
}

#[tokio::test(start_paused = true)]
async fn daemon_settings_edited_in_the_config_apply_at_the_reload() {
    let d = Running::start(&post("a", "11:00"), "08:00").await;
    until("08:00", "08:01").await;
    std::fs::write(
        d.dir.path().join("config/herald.toml"),
        CONFIG.replace("max_sleep = \"10m\"", "max_sleep = \"1m\""),
    )
    .unwrap();
    d.control.send(Control::Reload).await.unwrap();
    until("08:01", "08:02").await;
    let before = d.metrics.wakes();
    until("08:02", "08:32").await;
    let wakes = d.metrics.wakes() - before;
    assert!((25..=35).contains(&wakes), "30 minutes with max_sleep 1m: about 30 wakes, not 3 ({wakes})");
    d.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_post_added_while_herald_runs_after_its_window_is_reported_missed() {
    let d = Running::start(&post("a", "12:00"), "10:00").await;
    until("10:00", "10:01").await;
    // An editor adds a post for 08:00 today, two hours late: beyond the 1 h catch-up window.
    d.edit(&campaign(&(post("a", "12:00") + &post("early", "08:00"))));
    d.control.send(Control::Reload).await.unwrap();
    until("10:01", "10:02").await;
    let record = d.store.get(&OccurrenceKey::new("c", "early", "x", at("08:00")).unwrap()).unwrap();
    let record = record.expect("in the ledger: every occurrence the files schedule is accounted for");
    assert_eq!(record.status, Status::Missed);
    let reason = record.last_error.unwrap_or_default();
    assert!(reason.contains("reached herald only at 2027-03-08 10:01 UTC") && reason.contains("2h1m late"), "{reason}");
    assert_eq!(d.metrics.counts("x").missed, 1, "counted in /metrics");
    assert_eq!(d.status("a", "12:00"), Some(Status::Scheduled));
    d.stop().await;
}

/// A ledger whose reads of record lists can be made to fail (a disk error, a damaged page), and whose
/// claims can be made to fail (a read-only disk), the rest passing through to SQLite.
struct Flaky {
    inner: SqliteStore,
    fail_reads: std::sync::atomic::AtomicBool,
    fail_writes: std::sync::atomic::AtomicBool,
}

impl Flaky {
    fn new(inner: SqliteStore, fail_reads: bool) -> Self {
        Self { inner, fail_reads: fail_reads.into(), fail_writes: false.into() }
    }

    fn failing(&self, fail: bool) {
        self.fail_reads.store(fail, std::sync::atomic::Ordering::SeqCst);
    }

    fn failing_writes(&self, fail: bool) {
        self.fail_writes.store(fail, std::sync::atomic::Ordering::SeqCst);
    }

    fn check_write(&self) -> crate::ledger::Result<()> {
        if self.fail_writes.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(LedgerError::ReadOnly {
                path: "ledger.sqlite".into(),
                why: "attempt to write a readonly database".into(),
            });
        }
        Ok(())
    }

    fn check(&self) -> crate::ledger::Result<()> {
        if self.fail_reads.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(LedgerError::Database {
                path: "ledger.sqlite".into(),
                doing: "reading records",
                source: rusqlite::Error::SqliteFailure(
                    rusqlite::ffi::Error::new(11),
                    Some("database disk image is malformed".into()),
                ),
            });
        }
        Ok(())
    }
}

impl Store for Flaky {
    fn sync_plan(
        &self,
        p: &[crate::ledger::Planned],
        now: DateTime<Utc>,
    ) -> crate::ledger::Result<crate::ledger::SyncReport> {
        self.inner.sync_plan(p, now)
    }
    fn claim(&self, k: &OccurrenceKey, now: DateTime<Utc>) -> crate::ledger::Result<Record> {
        self.check_write()?;
        self.inner.claim(k, now)
    }
    fn claim_with(
        &self,
        k: &OccurrenceKey,
        now: DateTime<Utc>,
        s: &[(String, String)],
    ) -> crate::ledger::Result<Record> {
        self.check_write()?;
        self.inner.claim_with(k, now, s)
    }
    fn save_journal(
        &self,
        k: &OccurrenceKey,
        j: &std::collections::BTreeMap<String, String>,
        now: DateTime<Utc>,
    ) -> crate::ledger::Result<()> {
        self.inner.save_journal(k, j, now)
    }
    fn finish(&self, k: &OccurrenceKey, f: Finish, now: DateTime<Utc>) -> crate::ledger::Result<Record> {
        self.inner.finish(k, f, now)
    }
    fn in_flight(&self) -> crate::ledger::Result<Vec<Record>> {
        self.check()?;
        self.inner.in_flight()
    }
    fn get(&self, k: &OccurrenceKey) -> crate::ledger::Result<Option<Record>> {
        self.check()?;
        self.inner.get(k)
    }
    fn records(&self, f: &RecordFilter) -> crate::ledger::Result<Vec<Record>> {
        self.check()?;
        self.inner.records(f)
    }
    fn counts(&self) -> crate::ledger::Result<Vec<crate::ledger::Count>> {
        self.inner.counts()
    }
    fn resolve(
        &self,
        k: &OccurrenceKey,
        r: crate::ledger::Resolution,
        now: DateTime<Utc>,
    ) -> crate::ledger::Result<Record> {
        self.inner.resolve(k, r, now)
    }
    fn set_paused(&self, s: &PauseScope, p: bool) -> crate::ledger::Result<bool> {
        self.inner.set_paused(s, p)
    }
    fn pauses(&self) -> crate::ledger::Result<Vec<PauseScope>> {
        self.inner.pauses()
    }
    fn is_paused(&self, c: &str, ch: &str) -> crate::ledger::Result<bool> {
        self.inner.is_paused(c, ch)
    }
    fn changes(&self) -> crate::ledger::Result<u64> {
        self.inner.changes()
    }
    fn first_planned(&self) -> crate::ledger::Result<Option<DateTime<Utc>>> {
        self.inner.first_planned()
    }
    fn check_writable(&self) -> crate::ledger::Result<()> {
        self.check_write()?;
        self.inner.check_writable()
    }
}

#[tokio::test(start_paused = true)]
async fn a_post_moved_after_it_went_out_is_held_while_the_ledger_cannot_say_so() {
    let store = Arc::new(Flaky::new(SqliteStore::in_memory().unwrap(), false));
    let dir = project_dir(&campaign(&post("a", "08:30")));
    let options =
        Options { root: dir.path().to_path_buf(), dry_run: true, state_dir: None, clock: Clock::tokio(at("08:00")) };
    let daemon = Daemon::start(options, store.clone()).await.unwrap();
    let (control, rx) = mpsc::channel(8);
    let task = tokio::spawn(daemon.run(rx));
    until("08:00", "08:31").await;
    let status =
        |hm: &str| store.inner.get(&OccurrenceKey::new("c", "a", "x", at(hm)).unwrap()).unwrap().map(|r| r.status);
    assert_eq!(status("08:30"), Some(Status::Sent));
    // The post is moved to 08:45 while the ledger cannot list what was sent: it must not go out.
    store.failing(true);
    std::fs::write(dir.path().join("campaigns/c.toml"), campaign(&post("a", "08:45"))).unwrap();
    control.send(Control::Reload).await.unwrap();
    until("08:31", "08:50").await;
    assert_eq!(status("08:45"), Some(Status::Scheduled), "held, not published");
    // The ledger answers again: the recheck finds it already out at 08:30.
    store.failing(false);
    until("08:50", "08:52").await;
    let moved = store.inner.get(&OccurrenceKey::new("c", "a", "x", at("08:45")).unwrap()).unwrap().unwrap();
    assert_eq!((moved.status, moved.attempts), (Status::Missed, 0), "{moved:?}");
    assert!(moved.last_error.unwrap_or_default().contains("already published at its earlier time"));
    control.send(Control::Shutdown).await.unwrap();
    task.await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn posts_past_their_window_are_reported_once_the_ledger_can_be_read() {
    let first = Running::start(&post("a", "09:00"), "08:00").await;
    let inner = {
        let s = first.store.clone();
        first.stop().await;
        Arc::try_unwrap(s).unwrap_or_else(|_| panic!("the daemon has stopped: the test owns the ledger"))
    };
    let store = Arc::new(Flaky::new(inner, true));
    // herald comes back at 11:00, two hours after `a`, with a ledger that cannot list records.
    let dir = project_dir(&campaign(&post("a", "09:00")));
    let options =
        Options { root: dir.path().to_path_buf(), dry_run: true, state_dir: None, clock: Clock::tokio(at("11:00")) };
    let daemon = Daemon::start(options, store.clone()).await.unwrap();
    let metrics = daemon.metrics();
    let (control, rx) = mpsc::channel(8);
    let task = tokio::spawn(daemon.run(rx));
    until("11:00", "11:01").await;
    let key = OccurrenceKey::new("c", "a", "x", at("09:00")).unwrap();
    assert_eq!(store.inner.get(&key).unwrap().unwrap().status, Status::Scheduled);
    store.failing(false);
    until("11:01", "11:02").await;
    assert_eq!(store.inner.get(&key).unwrap().unwrap().status, Status::Missed, "the recheck's sweep reports it");
    assert_eq!(metrics.counts("x").missed, 1);
    control.send(Control::Shutdown).await.unwrap();
    task.await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_post_cut_off_by_a_crash_is_looked_for_until_it_can_no_longer_land_before_it_is_sent_again() {
    // herald claimed `a` at 08:30:00 and was killed with the request on its way. It starts again at
    // once. The platform may still be creating the post: "not on the account" (all a dry run's lookup
    // can say) is not believed until the request timeout (30 s) and twice that again have passed.
    let store = Arc::new(SqliteStore::in_memory().unwrap());
    let key = OccurrenceKey::new("c", "a", "x", at("08:30")).unwrap();
    store.sync_plan(&[crate::ledger::Planned { key: key.clone(), text_hash: String::new() }], at("08:00")).unwrap();
    store.claim(&key, at("08:30")).unwrap();
    let d = Running::start_on(store, &post("a", "08:30"), "08:30").await;
    let record = |d: &Running| d.store.get(&key).unwrap().unwrap();
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    let r = record(&d);
    assert_eq!(r.status, Status::Retrying, "not sent again at once: {r:?}");
    assert_eq!(r.next_attempt_at, Some(at("08:31") + chrono::Duration::seconds(30)), "claim + 30 s timeout + 60 s");
    assert!(r.journal.contains_key(crate::channels::adapter::UNCLEAR), "the next attempt looks first");
    tokio::time::sleep(std::time::Duration::from_secs(85)).await;
    assert_eq!(record(&d).status, Status::Retrying, "still looking at 08:31:26");
    tokio::time::sleep(std::time::Duration::from_secs(10)).await;
    let r = record(&d);
    assert_eq!(r.status, Status::Sent, "certainly absent once it can no longer land: sent: {r:?}");
    d.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_claim_the_ledger_refuses_fails_health_until_a_write_goes_through_and_the_post_then_goes_out() {
    let store = Arc::new(Flaky::new(SqliteStore::in_memory().unwrap(), false));
    let dir = project_dir(&campaign(&post("a", "08:30")));
    let options =
        Options { root: dir.path().to_path_buf(), dry_run: true, state_dir: None, clock: Clock::tokio(at("08:00")) };
    let daemon = Daemon::start(options, store.clone()).await.unwrap();
    let metrics = daemon.metrics();
    let (control, rx) = mpsc::channel(8);
    let task = tokio::spawn(daemon.run(rx));
    let key = OccurrenceKey::new("c", "a", "x", at("08:30")).unwrap();
    assert_eq!(metrics.ledger_trouble(), None, "healthy at start");
    // The disk turns read-only before `a` is due: its claim fails.
    store.failing_writes(true);
    until("08:00", "08:30").await;
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    let why = metrics.ledger_trouble().expect("/healthz fails while the claim cannot be written");
    assert!(why.contains("claim the due post c/a/x/2027-03-08T08:30:00Z") && why.contains("readonly"), "{why}");
    assert_eq!(store.inner.get(&key).unwrap().unwrap().status, Status::Scheduled, "held, not lost");
    // Reads pass at the recheck, but the write probe does not: still unhealthy a minute on.
    tokio::time::sleep(std::time::Duration::from_secs(65)).await;
    assert!(metrics.ledger_trouble().is_some(), "reads alone do not make a read-only ledger usable");
    assert_eq!(store.inner.get(&key).unwrap().unwrap().status, Status::Scheduled);
    // Writable again: the next recheck clears the trouble and the post goes out, late but in its window.
    store.failing_writes(false);
    tokio::time::sleep(std::time::Duration::from_secs(35)).await;
    for _ in 0..50 {
        tokio::task::yield_now().await;
    }
    assert_eq!(metrics.ledger_trouble(), None, "/healthz passes again");
    assert_eq!(store.inner.get(&key).unwrap().unwrap().status, Status::Sent);
    assert_eq!(metrics.counts("x").sent, 1);
    control.send(Control::Shutdown).await.unwrap();
    task.await.unwrap();
}

#[tokio::test]
async fn a_refused_config_edit_is_alerted_at_the_config_not_at_a_campaign_it_breaks() {
    let store = Arc::new(SqliteStore::in_memory().unwrap());
    // A typo in the platform of `x` leaves channel `x` out, which the campaign uses: the alert names
    // the config, where the fix is.
    let alerts = alerts_with_reload(
        str::to_string,
        &campaign(&post("a", "11:00")),
        store,
        Some(&|dir| {
            let path = dir.join("config/herald.toml");
            let text = std::fs::read_to_string(&path).unwrap();
            std::fs::write(&path, text.replace("platform = \"twitter\"", "platform = \"twiter\"")).unwrap();
        }),
    )
    .await;
    let refused: Vec<_> = alerts.iter().filter(|a| a["herald"]["kind"] == "edit_refused").collect();
    assert_eq!(refused.len(), 1, "{alerts:?}");
    assert_eq!(refused[0]["herald"]["location"], "config/herald.toml:4:12", "{alerts:?}");
    assert_eq!(refused[0]["herald"]["message"], "invalid `platform`: unknown platform `twiter`");
}

#[tokio::test]
async fn a_post_added_after_its_catch_up_window_is_alerted_as_missed() {
    let store = Arc::new(SqliteStore::in_memory().unwrap());
    // Herald runs at 08:00; an editor adds a post for 06:00 today, two hours late (the window is 1 h).
    let alerts = alerts_with_reload(
        str::to_string,
        &campaign(&post("a", "11:00")),
        store.clone(),
        Some(&|dir| {
            std::fs::write(dir.join("campaigns/c.toml"), campaign(&(post("a", "11:00") + &post("early", "06:00"))))
                .unwrap();
        }),
    )
    .await;
    let key = OccurrenceKey::new("c", "early", "x", at("06:00")).unwrap();
    assert_eq!(store.get(&key).unwrap().unwrap().status, Status::Missed);
    let missed: Vec<_> = alerts.iter().filter(|a| a["herald"]["kind"] == "missed").collect();
    assert_eq!(missed.len(), 1, "{alerts:?}");
    assert_eq!(missed[0]["herald"]["key"], key.to_string(), "{alerts:?}");
}
