//! What the files schedule, as the daemon works with it: every occurrence from a point in time on,
//! sorted by time, with its stable ledger key.
//!
//! The plan holds occurrences by index (campaign, post, target) into one loaded [`Project`]; keys
//! (strings) are made only when the ledger needs them, so 100,000 future posts stay small in memory.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::config::Project;
use crate::ledger::{OccurrenceKey, Planned, Record, RecordFilter, Status, Store};
use crate::schedule::{Filter, Occurrence};

/// How long before a ledger's first plan its accounting starts: posts of the day before herald first
/// ran, added late or never sent, are reported missed rather than ignored.
pub const ACCOUNTED_BEFORE_START: chrono::Duration = chrono::Duration::days(1);

/// A loaded project and its occurrences.
#[derive(Debug)]
pub struct Plan {
    pub project: Arc<Project>,
    /// Sorted by time (then campaign, post, channel).
    pub occurrences: Vec<Occurrence>,
}

impl Plan {
    /// Every occurrence of `project`'s good campaigns from `from` on (`from` is now minus the longest
    /// catch-up window, so late posts are still seen).
    pub fn new(project: Arc<Project>, from: DateTime<Utc>) -> Self {
        let filter = Filter { from: Some(from.date_naive() - chrono::Duration::days(1)), ..Filter::default() };
        let mut occurrences = project.occurrences(&filter);
        occurrences.retain(|o| o.at_utc >= from);
        occurrences.shrink_to_fit();
        Self { project, occurrences }
    }

    /// The ledger key of `occ` (`None` only if an id were not a valid id, which validation prevents).
    pub fn key(&self, occ: &Occurrence) -> Option<OccurrenceKey> {
        let campaign = &self.project.campaigns[occ.campaign];
        let channel = &self.project.config.channels[occ.channel];
        OccurrenceKey::new(&campaign.id, &campaign.posts[occ.post].id, &channel.name, occ.at_utc).ok()
    }

    /// What the ledger should hold as planned (texts are hashed when sent, not here).
    pub fn planned(&self) -> Vec<Planned> {
        self.occurrences.iter().filter_map(|o| Some(Planned { key: self.key(o)?, text_hash: String::new() })).collect()
    }

    /// The occurrence with `key`, if the files still schedule it.
    pub fn find(&self, key: &OccurrenceKey) -> Option<&Occurrence> {
        self.index_of(key).map(|i| &self.occurrences[i])
    }

    /// Where the occurrence with `key` is in the plan, if the files still schedule it.
    pub fn index_of(&self, key: &OccurrenceKey) -> Option<usize> {
        let start = self.position_at(key.at());
        let mut same_time = self.occurrences[start..].iter().take_while(|o| o.at_utc == key.at());
        same_time
            .position(|o| {
                let campaign = &self.project.campaigns[o.campaign];
                campaign.id == key.campaign()
                    && campaign.posts[o.post].id == key.post()
                    && self.project.config.channels[o.channel].name == key.channel()
            })
            .map(|i| start + i)
    }

    /// The occurrence with `key`, also outside the plan's window (an old retry, a post resolved for a
    /// retry, a post left in flight long ago), if the files still schedule it.
    pub fn find_any(&self, key: &OccurrenceKey) -> Option<Occurrence> {
        if let Some(o) = self.find(key) {
            return Some(o.clone());
        }
        let day = key.at().date_naive();
        let filter = Filter {
            from: Some(day - chrono::Duration::days(1)),
            to: Some(day + chrono::Duration::days(1)),
            campaigns: vec![key.campaign().to_string()],
            channels: vec![key.channel().to_string()],
            include_broken: false,
        };
        self.project
            .occurrences(&filter)
            .into_iter()
            .find(|o| o.at_utc == key.at() && self.project.campaigns[o.campaign].posts[o.post].id == key.post())
    }

    /// The local date an occurrence belongs to, for posts tied to a day or a date (`None` for cron
    /// posts): a post moved in time on the same day is the same publication.
    pub fn local_day(&self, occ: &Occurrence) -> Option<chrono::NaiveDate> {
        let post = &self.project.campaigns[occ.campaign].posts[occ.post];
        match post.when {
            crate::config::When::Cron(_) => None,
            _ => Some(occ.day_date.unwrap_or(occ.at_local.date())),
        }
    }

    /// The index of the first occurrence at or after `t`.
    pub fn position_at(&self, t: DateTime<Utc>) -> usize {
        self.occurrences.partition_point(|o| o.at_utc < t)
    }

    /// How often a post is tried and how long a request may take, from the config's `[daemon]
    /// max_attempts` and `request_timeout` (so a reload applies them).
    pub fn retry_policy(&self) -> crate::dispatch::retry::RetryPolicy {
        let daemon = &self.project.config.daemon;
        crate::dispatch::retry::RetryPolicy { max_attempts: daemon.max_attempts, ..Default::default() }
            .with_request_timeout(daemon.request_timeout)
    }

    /// How late an occurrence of this campaign may still go out.
    pub fn catch_up(&self, occ: &Occurrence) -> std::time::Duration {
        self.project.campaigns[occ.campaign].catch_up.unwrap_or(self.project.config.daemon.catch_up)
    }

    /// The start of the catch-up window at `now`: the earliest a due post of any campaign may be and
    /// still go out (the longest campaign window counts).
    pub fn window_start(project: &Project, now: DateTime<Utc>) -> DateTime<Utc> {
        let longest =
            project.campaigns.iter().filter_map(|c| c.catch_up).fold(project.config.daemon.catch_up, std::cmp::max);
        now - chrono::Duration::from_std(longest).unwrap_or_default()
    }

    /// Where the daemon's accounting starts at `now` with a ledger that began planning at
    /// `first_planned` (`None`: an empty ledger): [`ACCOUNTED_BEFORE_START`] before that, so every
    /// occurrence from then on is published or reported, whenever it was added to the files.
    pub fn accounted_from(first_planned: Option<DateTime<Utc>>, now: DateTime<Utc>) -> DateTime<Utc> {
        first_planned.unwrap_or(now).min(now) - ACCOUNTED_BEFORE_START
    }

    /// The plan the daemon works with at `now` (and `herald plan` shows): from the catch-up window's
    /// start, or earlier, from where the ledger's accounting starts ([`Plan::accounted_from`]) and from
    /// its first record. So a post added to the files late — while herald runs or while it was
    /// stopped — is in the plan, and reported missed when its catch-up window is over.
    pub fn for_ledger(project: Arc<Project>, store: Option<&dyn Store>, now: DateTime<Utc>) -> Self {
        let window = Self::window_start(&project, now);
        let Some(store) = store else { return Self::new(project, window) };
        let first = RecordFilter { limit: Some(1), ..RecordFilter::default() };
        let first_record = match store.records(&first) {
            Ok(records) => records.first().map(|r| r.key.at()),
            Err(e) => {
                tracing::error!(error = %e, "cannot read the ledger's first record; the plan starts at the catch-up window");
                None
            }
        };
        let first_planned = store.first_planned().unwrap_or_else(|e| {
            tracing::error!(error = %e, "cannot read when the ledger began");
            None
        });
        let from = [Some(window), first_record, Some(Self::accounted_from(first_planned, now))]
            .into_iter()
            .flatten()
            .min()
            .unwrap_or(window);
        Self::new(project, from)
    }

    /// Whether `record`, sent, has been edited in the files since: its post still renders, to a text
    /// other than the one sent (it is never sent again; the daemon and `herald plan` say so).
    pub fn edited_since_sent(&self, record: &Record) -> bool {
        record.status == Status::Sent
            && !record.text_hash.is_empty()
            && self
                .find(&record.key)
                .and_then(|occ| crate::render::render(&self.project, occ).ok())
                .is_some_and(|rendered| crate::ledger::text_hash_parts(&rendered.parts) != record.text_hash)
    }
}
