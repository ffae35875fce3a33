//! `herald run`: the long-running service that publishes every post on time, exactly once.
//!
//! Owns the scheduler loop and its wiring: the plan (what the files schedule, [`plan`]), the ledger
//! ([`crate::ledger`], where every step is committed before the next), the channels' adapters and
//! limits, reloads that keep the last good version of a broken file ([`load`]), alerts ([`alert`]) and
//! metrics ([`metrics`]).
//!
//! The loop sleeps until the next due post, a retry, a task's end or a control event (reload, pause,
//! shutdown) — never on a fixed tick — and caps each sleep at `max_sleep` so a wall-clock jump is
//! noticed. Each due post runs as a [`task`]: claim in the ledger (`sending`, durable), render,
//! publish through [`crate::dispatch::deliver::attempt`] (which looks the post up after a lost
//! answer), then record the outcome. After a crash, posts left `sending` are looked up on the platform before
//! anything else; they are never sent again blindly, and not before the cut-off request can no longer
//! land. Every occurrence from a day before the ledger began is accounted for: one that reaches herald
//! after its catch-up window is recorded missed and reported. A ledger read that decides what must not
//! go out fails closed: the posts it decides are held, and the ledger is read again
//! ([`Daemon::recheck`]); a claim or an outcome the ledger does not take is the same trouble. While it
//! lasts, `/healthz` answers 503 with the reason and a person is alerted once (`state_unusable`); it
//! ends when the recheck's reads and a write go through. Once an hour, the channels' credentials get their [`upkeep`] (long-lived
//! tokens refreshed before they run out).

pub mod alert;
pub mod clock;
pub mod load;
pub mod metrics;
pub mod plan;
mod task;
mod upkeep;
pub mod watch;

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use crate::channels::registry::{self, AnyAdapter};
use crate::config::Project;
use crate::dispatch::boundary::Boundary;
use crate::dispatch::limits::ChannelLimits;
use crate::ledger::{Finish, LedgerError, OccurrenceKey, PauseScope, Record, RecordFilter, Status, Store};
use crate::schedule::Occurrence;

use alert::{Alert, Alerter, Kind};
use clock::Clock;
use load::{LastGood, LoadError};
use metrics::{Event, Metrics};
use plan::Plan;
use task::{mark_missed, publish, reconcile};

/// What can wake the loop besides time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    /// Files changed, or SIGHUP: load them again.
    Reload,
    /// The ledger changed from another process (`herald pause`, `resume`, `resolve`).
    LedgerChanged,
    /// SIGTERM or SIGINT: finish what is in flight and stop.
    Shutdown,
}

/// How the daemon runs.
pub struct Options {
    pub root: PathBuf,
    /// Publish nothing: every request is built and logged (redacted), nothing is sent, and the ledger
    /// is kept in memory only.
    pub dry_run: bool,
    /// Where the last good version of each file is kept across restarts (the config's `state_dir`);
    /// `None`: in memory only, as in a dry run.
    pub state_dir: Option<PathBuf>,
    pub clock: Clock,
}

/// Why the daemon could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Load(#[from] LoadError),
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error("{0}")]
    Other(String),
}

/// What every task shares.
struct Shared {
    store: Arc<dyn Store>,
    metrics: Arc<Metrics>,
    alerter: Alerter,
    http: Boundary,
    clock: Clock,
    /// Set on shutdown: posts waiting for a slot are not started.
    stopping: std::sync::atomic::AtomicBool,
    /// Set when a ledger call that decides what must not go out failed (in a task, say): the loop
    /// reads the ledger again soon ([`Daemon::recheck`]).
    trouble: std::sync::atomic::AtomicBool,
}

impl Shared {
    /// A ledger read or write failed where its answer decides what must not go out (or what to
    /// report): logged, and the loop is told to read again. What it guarded stays unsent meanwhile.
    fn ledger_failed(&self, doing: &str, error: &LedgerError) {
        tracing::error!(error = %error, "cannot {doing}; the posts it decides are held until the ledger answers");
        self.ledger_unusable(doing, error);
    }

    /// Like [`Shared::ledger_failed`], for a caller that logged the failure its own way: `/healthz`
    /// fails with the reason, the loop reads again and alerts, until the ledger takes a write.
    fn ledger_unusable(&self, doing: &str, error: &LedgerError) {
        self.metrics.set_ledger_trouble(Some(format!("cannot {doing}: {error}")));
        self.trouble.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

/// How soon the ledger is read again after a read that decides what must not go out failed.
const RECHECK_AFTER: chrono::Duration = chrono::Duration::seconds(30);

/// The adapters of the configured channels, and why a channel cannot publish.
#[derive(Default)]
struct Channels {
    adapters: HashMap<String, Arc<AnyAdapter>>,
    limits: HashMap<String, Arc<ChannelLimits>>,
    problems: HashMap<String, String>,
}

/// What a finished task tells the loop.
struct Done {
    key: OccurrenceKey,
    /// When to try again, for a post that will be retried.
    retry_at: Option<DateTime<Utc>>,
}

/// The running daemon.
pub struct Daemon {
    root: PathBuf,
    shared: Arc<Shared>,
    plan: Arc<Plan>,
    channels: Arc<Channels>,
    last_good: LastGood,
    /// Index in the plan of the next occurrence not yet considered.
    cursor: usize,
    /// Posts to try again, by when.
    retries: BTreeSet<(DateTime<Utc>, OccurrenceKey)>,
    /// Due posts to consider again (plan indices): after a ledger change or a reload, those the ledger
    /// still has as `scheduled` within the catch-up window (held by a pause, or waiting).
    due_again: Vec<usize>,
    pauses: Vec<PauseScope>,
    /// Posts that must not start yet: the check that they were not already published at another time
    /// could not read the ledger. Released by [`Daemon::recheck`].
    held: BTreeSet<OccurrenceKey>,
    /// When to read the ledger again after a failed read ([`Daemon::recheck`]), and whether that
    /// trouble has been alerted (once until the ledger answers again).
    recheck_at: Option<DateTime<Utc>>,
    trouble_alerted: bool,
    /// The posts left in flight by a crash could not be read: looked up at the next recheck.
    recover_pending: bool,
    changes: u64,
    tasks: JoinSet<Done>,
    /// The channels' next upkeep round, and the one running.
    next_upkeep: DateTime<Utc>,
    upkeep: Option<tokio::task::JoinHandle<()>>,
}

impl Daemon {
    /// Loads the project, opens the ledger and reconciles what a crash left half-done.
    pub async fn start(options: Options, store: Arc<dyn Store>) -> Result<Self, StartError> {
        let mut last_good = match &options.state_dir {
            Some(dir) if !options.dry_run => LastGood::open(dir),
            _ => LastGood::in_memory(),
        };
        let loaded = load::load(&options.root, &mut last_good)?;
        report_load(&loaded);
        let project = loaded.project;
        let http = if options.dry_run {
            Boundary::dry_run()
        } else {
            Boundary::live(project.config.daemon.request_timeout).map_err(StartError::Other)?
        };
        let daemon_cfg = project.config.daemon.clone();
        let webhook = match &daemon_cfg.alert_webhook {
            None => None,
            Some(r) => {
                let file = project.config.secrets(&project.root).map_err(|e| StartError::Other(e.to_string()))?;
                Some(
                    crate::secrets::resolve(r, file.as_ref(), &|n| std::env::var(n).ok())
                        .map_err(|e| StartError::Other(format!("the alert webhook: {e}")))?,
                )
            }
        };
        let shared = Arc::new(Shared {
            store,
            metrics: Arc::new(Metrics::default()),
            alerter: Alerter::new(webhook),
            http,
            clock: options.clock,
            stopping: std::sync::atomic::AtomicBool::new(false),
            trouble: std::sync::atomic::AtomicBool::new(false),
        });
        let channels = Arc::new(build_channels(&project, options.dry_run));
        let now = shared.clock.now();
        let plan = Arc::new(Plan::for_ledger(Arc::new(project), Some(shared.store.as_ref()), now));
        let mut daemon = Self {
            root: options.root,
            shared,
            plan,
            channels,
            last_good,
            cursor: 0,
            retries: BTreeSet::new(),
            due_again: Vec::new(),
            pauses: Vec::new(),
            held: BTreeSet::new(),
            recheck_at: None,
            trouble_alerted: false,
            recover_pending: false,
            changes: 0,
            tasks: JoinSet::new(),
            next_upkeep: now,
            upkeep: None,
        };
        if let Some(why) = daemon.last_good.damaged.take() {
            tracing::error!("{why}");
            daemon.alert_later(Alert::about_file(Kind::StateUnusable, None, why));
        }
        daemon.recover().await;
        daemon.sync();
        daemon.sweep_missed();
        daemon.refresh_from_ledger();
        daemon.warn_expiring_tokens();
        release_freed_memory();
        Ok(daemon)
    }

    /// The metrics, for the HTTP listener.
    pub fn metrics(&self) -> Arc<Metrics> {
        self.shared.metrics.clone()
    }

    /// Runs until [`Control::Shutdown`] (or until `control` closes), then lets in-flight posts finish
    /// for up to `shutdown_grace`.
    pub async fn run(mut self, mut control: mpsc::Receiver<Control>) {
        self.announce_next();
        loop {
            self.shared.metrics.woke();
            self.notice_trouble();
            if self.recheck_at.is_some_and(|t| t <= self.shared.clock.now()) {
                self.recheck().await;
            }
            self.dispatch_due();
            self.upkeep_if_due();
            let next = self.next_deadline();
            self.shared.metrics.set_next_due(next);
            let clock = self.shared.clock;
            // A rehearsal ends when nothing is left to play (or the rest is after its `--to`) and
            // nothing is in flight.
            let played = clock.rehearsal().is_some_and(|r| next.is_none_or(|t| r.to.is_some_and(|to| t > to)));
            if played && self.tasks.is_empty() {
                match next {
                    None => tracing::info!("rehearsal over: nothing more is scheduled"),
                    Some(t) => tracing::info!(next = %t.to_rfc3339(), "rehearsal over: the next post is after --to"),
                }
                break;
            }
            // A clock that jumps waits for the posts in flight first, so each is played at its moment.
            let hold = played || (clock.jumps() && !self.tasks.is_empty());
            let max_sleep = self.plan.project.config.daemon.max_sleep;
            // A wake at the cap (not at a deadline) also looks for ledger changes the control file's
            // event did not bring (a missed notification): the fallback that keeps a pause effective.
            let capped = next.is_none_or(|t| (t - clock.now()).to_std().unwrap_or_default() >= max_sleep);
            let sleep = async move {
                if hold {
                    return std::future::pending().await;
                }
                match next {
                    Some(t) => clock.sleep_until(t, max_sleep).await,
                    None => tokio::time::sleep(max_sleep).await,
                }
            };
            tokio::select! {
                () = sleep => if capped { self.notice_ledger_changes() },
                event = control.recv() => match event {
                    Some(Control::Reload) => self.reload(),
                    Some(Control::LedgerChanged) => self.notice_ledger_changes(),
                    Some(Control::Shutdown) | None => break,
                },
                Some(done) = self.tasks.join_next(), if !self.tasks.is_empty() => self.task_done(done),
            }
        }
        self.shared.stopping.store(true, std::sync::atomic::Ordering::SeqCst);
        let grace = self.plan.project.config.daemon.shutdown_grace;
        let in_flight = self.tasks.len();
        if in_flight > 0 {
            tracing::info!(in_flight, grace = ?grace, "stopping: letting posts in flight finish");
        }
        let finished = tokio::time::timeout(grace, async {
            while let Some(done) = self.tasks.join_next().await {
                self.task_done(done);
            }
        })
        .await;
        // A token refresh in progress is let finish: the new token must reach the store.
        if let Some(round) = self.upkeep.take() {
            let _ = tokio::time::timeout(grace, round).await;
        }
        if finished.is_err() {
            tracing::warn!(
                left = self.tasks.len(),
                "posts still in flight after the grace period stay `sending`; the next start looks them up on the platform"
            );
            self.tasks.abort_all();
        }
        tracing::info!("herald stopped");
    }

    /// Starts the channels' upkeep round when an hour has passed since the last (one at a time).
    fn upkeep_if_due(&mut self) {
        let now = self.shared.clock.now();
        if now < self.next_upkeep || self.upkeep.as_ref().is_some_and(|h| !h.is_finished()) {
            return;
        }
        self.next_upkeep = now + upkeep::EVERY;
        self.upkeep = Some(tokio::spawn(upkeep::round(self.shared.clone(), self.channels.clone())));
    }

    /// Sends an alert without holding up the loop (a slow webhook must not delay due posts).
    fn alert_later(&self, alert: Alert) {
        let alerter = self.shared.alerter.clone();
        tokio::spawn(async move { alerter.send(alert).await });
    }

    /// Says what comes next, so an operator starting herald sees it is waiting for something.
    fn announce_next(&self) {
        let now = self.shared.clock.now();
        match self.plan.occurrences.iter().find(|o| o.at_utc >= now) {
            Some(o) => {
                let campaign = &self.plan.project.campaigns[o.campaign];
                tracing::info!(
                    campaign = %campaign.id,
                    post = %campaign.posts[o.post].id,
                    channel = %self.plan.project.config.channels[o.channel].name,
                    at = %o.at_utc.to_rfc3339(),
                    "next post due in {}",
                    human((o.at_utc - now).to_std().unwrap_or_default())
                );
            }
            None => tracing::info!("nothing is scheduled: waiting for the files to change"),
        }
    }

    fn task_done(&mut self, done: Result<Done, tokio::task::JoinError>) {
        match done {
            Ok(Done { key, retry_at: Some(at) }) => {
                self.retries.insert((at, key));
            }
            Ok(_) => {}
            Err(e) if e.is_cancelled() => {}
            Err(e) => tracing::error!(error = %e, "a publishing task failed"),
        }
    }

    /// The earliest of the next planned post, the next retry and the next read of a failing ledger.
    fn next_deadline(&self) -> Option<DateTime<Utc>> {
        let planned = self.plan.occurrences.get(self.cursor).map(|o| o.at_utc);
        let retry = self.retries.first().map(|(t, _)| *t);
        planned.into_iter().chain(retry).chain(self.recheck_at).min()
    }

    /// A ledger read that decides what must not go out failed (here or in a task): read again in
    /// [`RECHECK_AFTER`], and tell a person once.
    fn ledger_trouble(&mut self, doing: &str, error: Option<&LedgerError>) {
        if let Some(e) = error {
            self.shared.ledger_failed(doing, e);
        }
        self.shared.trouble.store(false, std::sync::atomic::Ordering::SeqCst);
        let at = self.shared.clock.now() + RECHECK_AFTER;
        self.recheck_at = Some(self.recheck_at.map_or(at, |t| t.min(at)));
        if !self.trouble_alerted {
            self.trouble_alerted = true;
            let message = match error {
                Some(e) => format!(
                    "cannot {doing} in the ledger ({e}); the posts it decides are held and it is read again every {} s",
                    RECHECK_AFTER.num_seconds()
                ),
                None => format!(
                    "{}; the posts it decides are held and it is read again every {} s",
                    self.shared
                        .metrics
                        .ledger_trouble()
                        .unwrap_or_else(|| format!("a ledger call failed while {doing}")),
                    RECHECK_AFTER.num_seconds()
                ),
            };
            self.alert_later(Alert::about_file(Kind::StateUnusable, None, message));
        }
    }

    /// Picks up a failure a task met (see [`Shared::ledger_failed`]).
    fn notice_trouble(&mut self) {
        if self.shared.trouble.load(std::sync::atomic::Ordering::SeqCst) {
            self.ledger_trouble("publishing", None);
        }
    }

    /// Reads the ledger again after a failed read or write: posts left in flight, posts held by the
    /// moved-post check, the missed sweep, retries and pauses (posts whose claim failed are due again
    /// from there). Whatever fails again stays held. The trouble is over (`/healthz` passes again)
    /// only once all of that read and a write went through: reads alone pass on a ledger that every
    /// write fails on.
    async fn recheck(&mut self) {
        self.recheck_at = None;
        if self.recover_pending {
            self.recover_pending = false;
            self.recover().await;
        }
        let held: Vec<OccurrenceKey> = std::mem::take(&mut self.held).into_iter().collect();
        self.hold_moved_posts(&held);
        self.sweep_missed();
        self.refresh_from_ledger();
        if self.recheck_at.is_none() && !self.shared.trouble.load(std::sync::atomic::Ordering::SeqCst) {
            if let Err(e) = self.shared.store.check_writable() {
                return self.ledger_trouble("write to the ledger", Some(&e));
            }
            if self.trouble_alerted {
                tracing::info!("the ledger answers again: held posts are considered again");
            }
            self.trouble_alerted = false;
            self.shared.metrics.set_ledger_trouble(None);
        }
    }

    /// Considers every occurrence and retry that is due now.
    fn dispatch_due(&mut self) {
        let now = self.shared.clock.now();
        for index in std::mem::take(&mut self.due_again) {
            self.consider(index, now);
        }
        while let Some(occ) = self.plan.occurrences.get(self.cursor) {
            if occ.at_utc > now {
                break;
            }
            let index = self.cursor;
            self.cursor += 1;
            self.consider(index, now);
        }
        while let Some((at, _)) = self.retries.first() {
            if *at > now {
                break;
            }
            let Some((_, key)) = self.retries.pop_first() else { break };
            match self.plan.find_any(&key) {
                Some(occ) if !self.paused(&occ) => self.spawn(occ, key, true),
                Some(_) => {} // held: the ledger keeps it `retrying`; a resume picks it up again
                None => {
                    let reason =
                        "it was to be tried again, but the post is no longer in the campaign files".to_string();
                    finish_for_a_person(&self.shared, &self.plan, &key, Kind::Missed, reason);
                }
            }
        }
    }

    fn paused(&self, occ: &Occurrence) -> bool {
        let campaign = &self.plan.project.campaigns[occ.campaign].id;
        let channel = &self.plan.project.config.channels[occ.channel].name;
        self.pauses.iter().any(|p| p.covers(campaign, channel))
    }

    /// A planned occurrence that is due: held, missed, or published.
    fn consider(&mut self, index: usize, now: DateTime<Utc>) {
        let occ = self.plan.occurrences[index].clone();
        let Some(key) = self.plan.key(&occ) else { return };
        if self.held.contains(&key) {
            return; // a recheck considers it again
        }
        if self.paused(&occ) {
            // Still `scheduled` in the ledger: a resume (or a restart) considers it again.
            tracing::info!(key = %key, "due, but held by a pause: it goes out when resumed within its catch-up window");
            return;
        }
        let late = (now - occ.at_utc).to_std().unwrap_or_default();
        if late > self.plan.catch_up(&occ) {
            let reason = format!(
                "herald was not running or was paused when it was due ({} late; the catch-up window is {})",
                human(late),
                human(self.plan.catch_up(&occ))
            );
            // Only a post still waiting becomes missed; a retry, or one already sent or settled, is
            // left alone.
            let (shared, plan) = (self.shared.clone(), self.plan.clone());
            tokio::task::spawn_blocking(move || mark_missed(&shared, &plan, &key, reason));
            return;
        }
        self.spawn(occ, key, false);
    }

    /// Starts publishing a due post (`retry`: one the ledger has as `retrying`, due whatever its
    /// lateness).
    fn spawn(&mut self, occ: Occurrence, key: OccurrenceKey, retry: bool) {
        let (shared, plan, channels) = (self.shared.clone(), self.plan.clone(), self.channels.clone());
        self.tasks.spawn(publish(shared, plan, channels, occ, key, retry));
    }

    /// Posts left `sending` by a crash: looked up on the platform, never re-sent blindly.
    async fn recover(&mut self) {
        let in_flight = match self.shared.store.in_flight() {
            Ok(r) => r,
            Err(e) => {
                self.recover_pending = true;
                self.ledger_trouble("read the posts left in flight", Some(&e));
                return;
            }
        };
        for record in in_flight {
            tracing::info!(key = %record.key, "a post was in flight when herald stopped: looking it up on the platform");
            let done = reconcile(self.shared.clone(), self.plan.clone(), self.channels.clone(), record).await;
            if let Some(at) = done.retry_at {
                self.retries.insert((at, done.key));
            }
        }
    }

    /// Posts the ledger still has as scheduled but whose time is before every catch-up window (herald
    /// was stopped, the machine was off, or the post was added to the files late): marked missed and
    /// reported.
    fn sweep_missed(&mut self) {
        let now = self.shared.clock.now();
        let window = Plan::window_start(&self.plan.project, now);
        let filter = RecordFilter { statuses: vec![Status::Scheduled], until: Some(window), ..RecordFilter::default() };
        let late = match self.shared.store.records(&filter) {
            Ok(late) => late,
            Err(e) => return self.ledger_trouble("read the posts whose time has passed", Some(&e)),
        };
        let began = self.shared.store.first_planned().ok().flatten();
        for record in late {
            let late_by = (now - record.key.at()).to_std().unwrap_or_default();
            // A record made after its time, by a later load than the ledger's first: the post reached
            // herald late (added to the files late, or while herald was stopped).
            let reason = if record.created_at > record.key.at() && began.is_some_and(|b| record.created_at > b) {
                format!(
                    "it reached herald only at {}, after its time and beyond the catch-up window ({} late): it was added to the files late, or while herald was stopped",
                    record.created_at.format("%Y-%m-%d %H:%M UTC"),
                    human(late_by)
                )
            } else {
                format!("herald was not running when it was due ({} late)", human(late_by))
            };
            finish_for_a_person(&self.shared, &self.plan, &record.key, Kind::Missed, reason);
        }
    }

    /// Channels whose noted token expiry (`token_expires`) comes before some of their scheduled posts.
    /// Not those herald refreshes itself (`Auth::refreshed`): a refresh that fails alerts on its own.
    fn warn_expiring_tokens(&self) {
        let project = &self.plan.project;
        for (index, channel) in project.config.channels.iter().enumerate() {
            let Some(expires) = channel.token_expires else { continue };
            if channel.auth.refreshed {
                continue;
            }
            let after: Vec<&Occurrence> = self
                .plan
                .occurrences
                .iter()
                .filter(|o| o.channel == index && o.at_utc.date_naive() >= expires)
                .collect();
            let Some(first) = after.first() else { continue };
            let message = format!(
                "the access token of channel `{}` expires on {expires}, before {} scheduled post(s), the first on {}: authorise the channel again, update its credential and `token_expires`",
                channel.name,
                after.len(),
                first.at_utc.format("%Y-%m-%d %H:%M UTC")
            );
            let key = self.plan.key(first);
            let mut alert = match &key {
                Some(k) => alert_for(&self.plan, Kind::TokenExpires, k, message.clone()),
                None => continue,
            };
            alert.location = Some(crate::config::CONFIG_PATH.to_string());
            self.alert_later(alert);
        }
    }

    /// Brings the ledger in line with the plan, and reports edits to posts already sent.
    fn sync(&mut self) {
        let planned = self.plan.planned();
        // One transaction; run on the loop itself (it is quick, and nothing else is due meanwhile).
        let report = match self.shared.store.sync_plan(&planned, self.shared.clock.now()) {
            Ok(r) => r,
            Err(e) => return self.ledger_trouble("record the schedule", Some(&e)),
        };
        self.hold_moved_posts(&report.inserted);
        if !report.inserted.is_empty() || !report.cancelled.is_empty() || !report.restored.is_empty() {
            tracing::info!(
                new = report.inserted.len(),
                cancelled = report.cancelled.len(),
                restored = report.restored.len(),
                "schedule updated"
            );
        }
        self.warn_edits_after_sent();
    }

    /// New occurrences that are an earlier publication moved in time (the same post on the same channel
    /// already sent, in flight or unknown on the same local day, at another time: an edit of its time,
    /// a new time-zone rule) are marked missed with the reason, never sent again. Cron posts are exempt:
    /// they may fire several times a day.
    fn hold_moved_posts(&mut self, inserted: &[OccurrenceKey]) {
        if inserted.is_empty() {
            return;
        }
        let filter =
            RecordFilter { statuses: vec![Status::Sent, Status::Sending, Status::Unknown], ..RecordFilter::default() };
        let out = match self.shared.store.records(&filter) {
            Ok(out) => out,
            Err(e) => {
                // Fail closed: a new occurrence may be a post already live at its old time.
                self.held.extend(inserted.iter().cloned());
                return self
                    .ledger_trouble("check that new posts were not already published at another time", Some(&e));
            }
        };
        if out.is_empty() {
            return;
        }
        let project = &self.plan.project;
        let tz_of = |campaign: &str| project.campaigns.iter().find(|c| c.id == campaign).map(|c| c.tz);
        // (campaign, post, channel) → the local days it is already out on.
        type Days<'a> = HashMap<(&'a str, &'a str, &'a str), Vec<(chrono::NaiveDate, &'a Record)>>;
        let mut days: Days<'_> = HashMap::new();
        for r in &out {
            if let Some(tz) = tz_of(r.key.campaign()) {
                let day = r.key.at().with_timezone(&tz).date_naive();
                days.entry((r.key.campaign(), r.key.post(), r.key.channel())).or_default().push((day, r));
            }
        }
        for key in inserted {
            let Some(earlier) = days.get(&(key.campaign(), key.post(), key.channel())) else { continue };
            let Some(occ) = self.plan.find(key) else { continue };
            if self.plan.local_day(occ).is_none() {
                continue;
            }
            let Some(tz) = tz_of(key.campaign()) else { continue };
            let day = key.at().with_timezone(&tz).date_naive();
            let Some((_, earlier)) = earlier.iter().find(|(d, r)| *d == day && r.key != *key) else { continue };
            let reason = format!(
                "already published at its earlier time ({}{}); a post moved after it went out is not sent again",
                earlier.key.at().format("%Y-%m-%d %H:%M UTC"),
                earlier.url.as_deref().map(|u| format!(", {u}")).unwrap_or_default()
            );
            tracing::warn!(key = %key, "{reason}");
            mark_missed(&self.shared, &self.plan, key, reason);
        }
    }

    /// A sent post whose text was edited since: never re-sent, but worth a warning.
    fn warn_edits_after_sent(&self) {
        let filter = RecordFilter { statuses: vec![Status::Sent], ..RecordFilter::default() };
        let sent = match self.shared.store.records(&filter) {
            Ok(sent) => sent,
            Err(e) => return tracing::error!(error = %e, "cannot read the posts already sent to look for edits"),
        };
        for record in sent {
            if self.plan.edited_since_sent(&record) {
                tracing::warn!(key = %record.key, url = record.url.as_deref().unwrap_or(""), "the text of a post already sent was edited; it is not sent again");
            }
        }
    }

    /// Re-reads pauses and retries from the ledger, and considers the window again (a resumed
    /// channel's held posts go out if still within catch-up; a resolved post is retried).
    fn refresh_from_ledger(&mut self) {
        match self.shared.store.pauses() {
            Ok(p) => self.pauses = p,
            Err(e) => self.ledger_trouble("read the pause switches", Some(&e)),
        }
        if let Ok(c) = self.shared.store.changes() {
            self.changes = c;
        }
        let filter = RecordFilter { statuses: vec![Status::Retrying], ..RecordFilter::default() };
        match self.shared.store.records(&filter) {
            Ok(records) => self.retries = records.into_iter().map(|r| (r.due_at(), r.key)).collect(),
            // The retries already known are kept; the others are read again at the recheck.
            Err(e) => self.ledger_trouble("read the posts waiting to be tried again", Some(&e)),
        }
        // Only posts still waiting are considered again: one already sent or settled is not worth a
        // task (each would wait for its channel's slot before finding out).
        let now = self.shared.clock.now();
        let window = Plan::window_start(&self.plan.project, now);
        self.cursor = self.plan.position_at(now);
        let filter = RecordFilter {
            statuses: vec![Status::Scheduled],
            from: Some(window),
            until: Some(now),
            ..RecordFilter::default()
        };
        self.due_again = match self.shared.store.records(&filter) {
            Ok(waiting) => waiting.iter().filter_map(|r| self.plan.index_of(&r.key)).collect(),
            Err(e) => {
                tracing::error!(error = %e, "cannot read the posts waiting in the ledger; considering the whole window again");
                (self.plan.position_at(window)..self.cursor).collect()
            }
        };
        self.due_again.sort_unstable();
    }

    fn notice_ledger_changes(&mut self) {
        match self.shared.store.changes() {
            Ok(c) if c != self.changes => {
                tracing::info!("the ledger changed (pause, resume or resolve): applying");
                self.refresh_from_ledger();
            }
            _ => {}
        }
    }

    /// Loads the files again; a broken file keeps its last good version, a broken config keeps all.
    fn reload(&mut self) {
        match load::load(&self.root, &mut self.last_good) {
            Err(LoadError::Config(diagnostics)) => {
                self.shared.metrics.reload_failed();
                tracing::error!(
                    "config/herald.toml has errors; the previous version keeps running:\n{}",
                    crate::diagnostic::render_all(&diagnostics, false)
                );
                // The config's own error, not one it causes in a campaign file: the alert names the file to fix.
                let in_config = |d: &&crate::diagnostic::Diagnostic| {
                    d.source.as_ref().is_some_and(|s| &*s.path == crate::config::CONFIG_PATH)
                };
                let first = diagnostics.iter().filter(|d| d.is_error()).find(in_config);
                self.alert_later(Alert::edit_refused(first, Some(crate::config::CONFIG_PATH.to_string())));
            }
            Err(LoadError::Read(e)) => {
                tracing::error!(error = %e, "cannot read the project; the previous version keeps running")
            }
            Ok(loaded) => {
                report_load(&loaded);
                for file in &loaded.kept {
                    let first = loaded
                        .diagnostics
                        .iter()
                        .find(|d| d.is_error() && d.source.as_ref().is_some_and(|s| &*s.path == file));
                    self.alert_later(Alert::edit_refused(first, Some(file.clone())));
                }
                let project = loaded.project;
                let text = |p: &Project| p.config.source.as_ref().map(|s| s.text.clone());
                let config_changed = text(&project) != text(&self.plan.project);
                if config_changed {
                    self.channels = Arc::new(build_channels(&project, self.shared.http.is_dry_run()));
                }
                let now = self.shared.clock.now();
                self.plan = Arc::new(Plan::for_ledger(Arc::new(project), Some(self.shared.store.as_ref()), now));
                self.sync();
                // A post added after its catch-up window is over is reported, not left scheduled.
                self.sweep_missed();
                self.refresh_from_ledger();
                tracing::info!(occurrences = self.plan.occurrences.len(), "reloaded");
                if config_changed {
                    self.warn_expiring_tokens();
                }
                release_freed_memory();
            }
        }
    }
}

/// Logs what a load found: errors (with file:line:col, as `herald check` shows them) and the files
/// running their last good version or not running.
fn report_load(loaded: &load::Loaded) {
    let errors: Vec<_> = loaded.diagnostics.iter().filter(|d| d.is_error()).cloned().collect();
    if !errors.is_empty() {
        tracing::error!("the campaign files have errors:\n{}", crate::diagnostic::render_all(&errors, false));
    }
    for f in &loaded.kept {
        tracing::warn!(file = %f, "this file has errors: its last good version keeps running");
    }
    for f in &loaded.dropped {
        tracing::warn!(file = %f, "this file has errors and no earlier good version: none of its posts are scheduled");
    }
}

/// An alert about the post with `key`, pointing at where it is written when it is still in the files.
fn alert_for(plan: &Plan, kind: Kind, key: &OccurrenceKey, message: String) -> Alert {
    let location = plan.project.campaigns.iter().find(|c| c.id == key.campaign()).and_then(|c| {
        let post = c.posts.iter().find(|p| p.id == key.post())?;
        Some(format!("{}:{}", c.source.path, c.source.line_col(post.header.start).0))
    });
    Alert {
        kind,
        campaign: Some(key.campaign().to_string()),
        post: Some(key.post().to_string()),
        channel: Some(key.channel().to_string()),
        location,
        scheduled: Some(key.at()),
        key: Some(key.to_string()),
        message,
    }
}

/// Records that a post was missed (`Kind::Missed`) or its outcome is unknown (`Kind::Unknown`), counts
/// it and alerts a person (the alert goes out on its own task). False when the ledger refused it.
fn finish_for_a_person(shared: &Shared, plan: &Plan, key: &OccurrenceKey, kind: Kind, message: String) -> bool {
    let (finish, event) = match kind {
        Kind::Unknown => (Finish::Unknown { error: message.clone() }, Event::Unknown),
        _ => (Finish::Missed { reason: message.clone() }, Event::Missed),
    };
    if let Err(e) = shared.store.finish(key, finish, shared.clock.now()) {
        shared.ledger_failed(&format!("record that {key} is {}", kind_word(kind)), &e);
        return false;
    }
    shared.metrics.count(key.channel(), event);
    let (alerter, alert) = (shared.alerter.clone(), alert_for(plan, kind, key, message));
    tokio::spawn(async move { alerter.send(alert).await });
    true
}

fn kind_word(kind: Kind) -> &'static str {
    match kind {
        Kind::Unknown => "unknown",
        _ => "missed",
    }
}

fn human(d: std::time::Duration) -> String {
    let s = d.as_secs();
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m", s / 60),
        86_400.. => format!("{}d{}h", s / 86_400, s % 86_400 / 3600),
        _ if s.is_multiple_of(3600) => format!("{}h", s / 3600),
        _ => format!("{}h{}m", s / 3600, s % 3600 / 60),
    }
}

/// Builds every channel's adapter. A channel that cannot publish (missing credentials, an unusable
/// secrets file) is reported once and its posts fail with that reason; a dry run needs no credentials.
fn build_channels(project: &Project, dry_run: bool) -> Channels {
    let mut channels = Channels::default();
    let tokens = crate::tokens::TokenStore::new(&project.config.state_dir(&project.root));
    let file = match project.config.secrets(&project.root) {
        Ok(f) => f,
        Err(e) => {
            if !dry_run {
                tracing::error!(error = %e, "the secrets file cannot be used");
            }
            None
        }
    };
    for channel in &project.config.channels {
        let secrets = match registry::credentials(channel, file.as_ref(), &|n| std::env::var(n).ok()) {
            Ok(s) => s,
            Err(_) if dry_run => Default::default(),
            Err(missing) => {
                let why: Vec<String> = missing.iter().map(|(n, e)| format!("`{n}`: {e}")).collect();
                let message = format!("channel `{}` cannot publish: {}", channel.name, why.join("; "));
                tracing::error!("{message}");
                channels.problems.insert(channel.name.clone(), message);
                continue;
            }
        };
        match registry::build(channel, &secrets, &tokens) {
            Ok(adapter) => {
                // Every Instagram post has an image, which Meta fetches from `media_base_url`.
                if channel.platform == crate::channels::Platform::Instagram && channel.media_base_url.is_none() {
                    cannot_publish(
                        channel,
                        "it has no `media_base_url`, and Instagram fetches images from a public web address: set it to where the campaigns folder is served",
                    );
                }
                channels.adapters.insert(channel.name.clone(), Arc::new(adapter));
            }
            Err(why) => {
                let prefix = format!("channel `{}`: ", channel.name);
                cannot_publish(channel, why.strip_prefix(&prefix).unwrap_or(&why));
                channels.problems.insert(channel.name.clone(), why);
            }
        }
        channels.limits.insert(channel.name.clone(), Arc::new(ChannelLimits::new(channel.concurrency())));
    }
    channels
}

/// Says once, when the channels are built (at start and when the config changes), that a channel's
/// settings refuse all of its posts: the operator learns it before the first post, not post by post.
fn cannot_publish(channel: &crate::config::Channel, why: &str) {
    tracing::error!("channel `{}` cannot publish ({}): {why}", channel.name, crate::config::CONFIG_PATH);
}

/// Hands the memory freed after a load (every post rendered by the checks, the plan handed to the
/// ledger) back to the operating system, so an idle daemon's footprint is what it keeps, not what a
/// load briefly needed. glibc keeps freed memory otherwise.
fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        unsafe extern "C" {
            fn malloc_trim(pad: usize) -> i32;
        }
        // SAFETY: malloc_trim only returns free pages of glibc's heap to the kernel; it takes no
        // pointers and is safe to call at any time from any thread.
        unsafe {
            malloc_trim(0);
        }
    }
}

#[cfg(test)]
mod tests;
