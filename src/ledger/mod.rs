//! The ledger: herald's durable record of every occurrence it schedules and publishes.
//!
//! The ledger owns the *state* of publishing, never the decisions: for every occurrence (one post, on
//! one channel, at one time) it keeps a [`Record`] — its [`Status`], attempts, last error, the
//! platform's post id and URL, the hash of the rendered text, the adapter's journal of finished
//! steps, and timestamps — plus the pause switches of `herald pause`. The scheduler (the daemon)
//! decides *when* to publish and *what* an outcome means; the ledger refuses any change that would
//! break "exactly once", with a typed [`LedgerError`].
//!
//! Storage sits behind the [`Store`] trait so another database can be added without touching the
//! scheduler; [`sqlite::SqliteStore`] is the embedded default.
//!
//! # Every change is committed before the method returns
//!
//! Each [`Store`] method that changes something is one committed transaction by the time it returns
//! `Ok`. The caller takes the side effect only *after*: [`Store::claim`] (durably `sending`) before
//! the first byte goes to the platform, [`Store::save_journal`] before the adapter's next request,
//! [`Store::finish`] right after the answer.
//!
//! # Life of an occurrence
//!
//! ```text
//!  sync_plan ──► scheduled ──claim──► sending ──finish(Sent)──────► sent
//!                  ▲   │ ▲               │ ──finish(Retry)─────► retrying ──claim──► sending
//!   (planned again)│   │ │               │ ──finish(Failed)────► failed
//!                  │   ▼ │ (not planned) │ ──finish(Unknown)───► unknown
//!               cancelled                │ ──finish(Missed)────► missed
//!  scheduled, retrying ──finish(Missed)──► missed   (too late to publish, never claimed)
//!  unknown, failed, missed, retrying ──resolve──► sent | retrying (now) | skipped
//! ```
//!
//! - `sent`, `failed`, `unknown`, `missed` and `skipped` are never changed by [`Store::sync_plan`]:
//!   editing or deleting a file cannot re-send a post.
//! - `sending` is left only by [`Store::finish`]. After a crash, [`Store::in_flight`] lists the
//!   records still `sending`; the daemon must not re-send them blindly. It asks the adapter
//!   (`find_existing`, with the record's `journal` and `attempt_started_at`) and then calls
//!   `finish(Sent)` if the post is live, `finish(Unknown)` if it cannot tell, or
//!   `finish(Retry { at: now })` followed by [`Store::claim`] when it is certainly not there.
//! - `retrying` (distinct from `failed`, so `herald status` and alerts never call a post that will
//!   still go out a failure) is due at its `next_attempt_at`, regardless of any catch-up window: the
//!   decision to publish late was already taken. `failed` is final until a person resolves it.
//! - `skipped` is a person's decision ([`Resolution::Skip`]): final, unlike `cancelled`, which
//!   [`Store::sync_plan`] restores when the files plan the occurrence again.
//! - A pause switch ([`Store::set_paused`], from any process) makes [`Store::claim`] refuse with
//!   [`LedgerError::Paused`], checked in the claim's own transaction. `herald pause` and
//!   `herald resolve` bump [`Store::changes`]; the daemon re-reads pauses and records when it moves.
//!
//! The methods are synchronous and quick (one small transaction each, except `sync_plan`); from async
//! code, call them directly for single records or through `spawn_blocking` for `sync_plan`.

pub mod sqlite;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use chrono::{DateTime, SecondsFormat, Timelike, Utc};
use sha1::{Digest, Sha1};

use crate::config::names::Id;

/// The ledger's result: [`LedgerError`] unless told otherwise.
pub type Result<T, E = LedgerError> = std::result::Result<T, E>;

/// One occurrence's stable identity: campaign id, post id, channel name and scheduled time (UTC, whole
/// seconds). Editing a file does not change the key of an occurrence it did not move.
///
/// Written as `campaign/post/channel/2027-03-08T09:00:00Z` ([`fmt::Display`]) and parsed back from
/// that form ([`FromStr`], for `herald resolve KEY`). Ordered by time first, then campaign, post,
/// channel.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OccurrenceKey {
    campaign: String,
    post: String,
    channel: String,
    at: DateTime<Utc>,
}

impl OccurrenceKey {
    /// A key from ids as the config validates them (lowercase letters, digits, `-`, `_`) and a time in
    /// whole seconds; anything else is refused, so every key can be written and read back unchanged.
    pub fn new(
        campaign: impl Into<String>,
        post: impl Into<String>,
        channel: impl Into<String>,
        at: DateTime<Utc>,
    ) -> Result<Self, KeyError> {
        let key = Self { campaign: campaign.into(), post: post.into(), channel: channel.into(), at };
        for (part, value) in [("campaign", &key.campaign), ("post", &key.post), ("channel", &key.channel)] {
            if Id::parse(value).is_err() {
                return Err(KeyError::BadId { part, value: value.clone() });
            }
        }
        if at.nanosecond() != 0 {
            return Err(KeyError::SubSecond { at });
        }
        Ok(key)
    }

    pub fn campaign(&self) -> &str {
        &self.campaign
    }

    pub fn post(&self) -> &str {
        &self.post
    }

    pub fn channel(&self) -> &str {
        &self.channel
    }

    /// The scheduled time, in UTC.
    pub fn at(&self) -> DateTime<Utc> {
        self.at
    }
}

impl Ord for OccurrenceKey {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.at, &self.campaign, &self.post, &self.channel).cmp(&(
            other.at,
            &other.campaign,
            &other.post,
            &other.channel,
        ))
    }
}

impl PartialOrd for OccurrenceKey {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for OccurrenceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = self.at.to_rfc3339_opts(SecondsFormat::Secs, true);
        write!(f, "{}/{}/{}/{at}", self.campaign, self.post, self.channel)
    }
}

impl FromStr for OccurrenceKey {
    type Err = KeyError;

    fn from_str(s: &str) -> Result<Self, KeyError> {
        let malformed = || KeyError::Malformed { key: s.to_string() };
        let mut parts = s.trim().splitn(4, '/');
        let (Some(campaign), Some(post), Some(channel), Some(at)) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(malformed());
        };
        let at = DateTime::parse_from_rfc3339(at)
            .map_err(|_| KeyError::BadTime { key: s.to_string(), at: at.to_string() })?
            .with_timezone(&Utc);
        Self::new(campaign, post, channel, at)
    }
}

/// Why a text is not an [`OccurrenceKey`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error(
        "`{key}` is not an occurrence key\nhelp: write it as CAMPAIGN/POST/CHANNEL/TIME, e.g. `iwd-2027/countdown/x-main/2027-03-08T09:00:00Z` (`herald status` lists them)"
    )]
    Malformed { key: String },
    #[error(
        "`{at}` in `{key}` is not a UTC time\nhelp: write the time as `herald status` shows it, e.g. `2027-03-08T09:00:00Z`"
    )]
    BadTime { key: String, at: String },
    #[error("the {part} `{value}` in an occurrence key is not an id (lowercase letters, digits, `-` and `_`)")]
    BadId { part: &'static str, value: String },
    #[error("occurrence times are whole seconds, not `{at}`")]
    SubSecond { at: DateTime<Utc> },
}

/// Where an occurrence is in its life (see the [module docs](self) for the transitions). Written in
/// lowercase (`scheduled`, `sending`, …) in the database, [`fmt::Display`] and [`FromStr`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Status {
    /// Planned by the files, not yet attempted (or put back by a resolve).
    Scheduled,
    /// Claimed: a request may be on its way to the platform.
    Sending,
    /// Live on the platform.
    Sent,
    /// An attempt failed in a way worth retrying; due again at `next_attempt_at`.
    Retrying,
    /// Refused for good (rejected, credentials revoked, retries exhausted): a person must act.
    Failed,
    /// Too late to publish (past the catch-up window): reported, never sent.
    Missed,
    /// The platform may or may not have published it: a person resolves it.
    Unknown,
    /// A future occurrence its files no longer plan (post deleted or moved); restored if planned again.
    Cancelled,
    /// A person decided it will not be published (`herald resolve KEY --skip`): final.
    Skipped,
}

impl Status {
    pub const ALL: [Status; 9] = [
        Status::Scheduled,
        Status::Sending,
        Status::Sent,
        Status::Retrying,
        Status::Failed,
        Status::Missed,
        Status::Unknown,
        Status::Cancelled,
        Status::Skipped,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Scheduled => "scheduled",
            Status::Sending => "sending",
            Status::Sent => "sent",
            Status::Retrying => "retrying",
            Status::Failed => "failed",
            Status::Missed => "missed",
            Status::Unknown => "unknown",
            Status::Cancelled => "cancelled",
            Status::Skipped => "skipped",
        }
    }

    /// Whether a person should look at it (and alerts fire): `failed`, `missed` or `unknown`.
    pub fn needs_attention(self) -> bool {
        matches!(self, Status::Failed | Status::Missed | Status::Unknown)
    }

    /// Whether the daemon may still publish it: `scheduled` or `retrying`.
    pub fn is_pending(self) -> bool {
        matches!(self, Status::Scheduled | Status::Retrying)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Status {
    type Err = UnknownStatus;

    fn from_str(s: &str) -> Result<Self, UnknownStatus> {
        Status::ALL.into_iter().find(|st| st.as_str() == s).ok_or_else(|| UnknownStatus(s.to_string()))
    }
}

/// A status name that is not one of [`Status::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not a status\nhelp: use one of scheduled, sending, sent, retrying, failed, missed, unknown, cancelled, skipped"
)]
pub struct UnknownStatus(pub String);

/// Everything the ledger knows about one occurrence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub key: OccurrenceKey,
    pub status: Status,
    /// Attempts started (claims), including one that is in flight.
    pub attempts: u32,
    /// The most recent error, in the platform's or herald's words; kept after a later success.
    pub last_error: Option<String>,
    /// The platform's id of the published post.
    pub remote_id: Option<String>,
    /// The published post's address.
    pub url: Option<String>,
    /// [`text_hash`] of the rendered text: the text planned while pending, the text sent once `sent`.
    pub text_hash: String,
    /// The adapter's finished steps (see `channels::adapter::Journal`), kept across attempts so a
    /// later attempt resumes instead of repeating a public side effect.
    pub journal: BTreeMap<String, String>,
    /// When a `retrying` record is due.
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// When the latest attempt was claimed (the `since` of an adapter's lookup).
    pub attempt_started_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

impl Record {
    /// When the daemon should publish it: `next_attempt_at` for a retry, else the scheduled time.
    pub fn due_at(&self) -> DateTime<Utc> {
        match self.status {
            Status::Retrying => self.next_attempt_at.unwrap_or(self.key.at),
            _ => self.key.at,
        }
    }
}

/// The hex SHA-1 of a rendered text, as stored in [`Record::text_hash`] and [`Planned::text_hash`].
pub fn text_hash(text: &str) -> String {
    hex(&Sha1::digest(text.as_bytes()))
}

/// [`text_hash`] of a thread's parts (joined by U+001E, the record separator); one part hashes as
/// [`text_hash`] of that part alone.
pub fn text_hash_parts<S: AsRef<str>>(parts: &[S]) -> String {
    let mut hasher = Sha1::new();
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            hasher.update("\u{1e}".as_bytes());
        }
        hasher.update(part.as_ref().as_bytes());
    }
    hex(&hasher.finalize())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// An occurrence the files plan now, with the hash of its rendered text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    pub key: OccurrenceKey,
    /// Empty when the text is not known yet (the daemon renders a post only when it is due, and
    /// compares what was sent then): a sync then leaves hashes alone and reports no edit.
    pub text_hash: String,
}

/// What [`Store::sync_plan`] changed, each list ordered by key (time first).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// New occurrences, now `scheduled`.
    pub inserted: Vec<OccurrenceKey>,
    /// Pending occurrences whose planned text changed (their `text_hash` was updated).
    pub edited: Vec<OccurrenceKey>,
    /// Future `scheduled` occurrences no longer planned, now `cancelled`.
    pub cancelled: Vec<OccurrenceKey>,
    /// `cancelled` occurrences planned again, now `scheduled`.
    pub restored: Vec<OccurrenceKey>,
    /// `sent` occurrences whose planned text differs from what was sent: left alone (never re-sent);
    /// the daemon logs a warning.
    pub edited_after_sent: Vec<OccurrenceKey>,
}

impl SyncReport {
    /// Whether the sync changed nothing and found nothing to warn about.
    pub fn is_empty(&self) -> bool {
        self.inserted.is_empty()
            && self.edited.is_empty()
            && self.cancelled.is_empty()
            && self.restored.is_empty()
            && self.edited_after_sent.is_empty()
    }
}

/// How an attempt ended, for [`Store::finish`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finish {
    /// Live on the platform → `sent`; `text_hash` is the hash of the text actually sent.
    Sent { remote_id: String, url: Option<String>, text_hash: String },
    /// Not published, try again at `at` → `retrying`.
    Retry { at: DateTime<Utc>, error: String },
    /// Refused for good → `failed`.
    Failed { error: String },
    /// The request may have been published → `unknown`, for a person to resolve.
    Unknown { error: String },
    /// Too late to publish → `missed`. Also accepted from `scheduled` and `retrying` (never claimed).
    Missed { reason: String },
}

impl Finish {
    /// The status the record ends in.
    pub fn status(&self) -> Status {
        match self {
            Finish::Sent { .. } => Status::Sent,
            Finish::Retry { .. } => Status::Retrying,
            Finish::Failed { .. } => Status::Failed,
            Finish::Unknown { .. } => Status::Unknown,
            Finish::Missed { .. } => Status::Missed,
        }
    }
}

/// A person's settlement of an `unknown`, `failed`, `missed` or `retrying` record (`herald resolve`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    /// The post is live at `url` → `sent`.
    Sent { url: String },
    /// Publish it again, now → `retrying` with `next_attempt_at` = now (no catch-up limit applies).
    Retry,
    /// Do not publish it → `skipped` (final; `sync_plan` never restores it).
    Skip,
}

/// What a pause switch covers: one campaign, one channel, one channel of one campaign, or everything
/// (both `None`).
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PauseScope {
    pub campaign: Option<String>,
    pub channel: Option<String>,
}

impl PauseScope {
    /// Whether this switch covers an occurrence of `campaign` on `channel`.
    pub fn covers(&self, campaign: &str, channel: &str) -> bool {
        self.campaign.as_deref().is_none_or(|c| c == campaign) && self.channel.as_deref().is_none_or(|c| c == channel)
    }
}

impl fmt::Display for PauseScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.campaign, &self.channel) {
            (None, None) => f.write_str("everything"),
            (Some(c), None) => write!(f, "campaign `{c}`"),
            (None, Some(ch)) => write!(f, "channel `{ch}`"),
            (Some(c), Some(ch)) => write!(f, "campaign `{c}` on channel `{ch}`"),
        }
    }
}

/// Which records [`Store::records`] returns; the default is all of them, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecordFilter {
    pub campaign: Option<String>,
    pub post: Option<String>,
    pub channel: Option<String>,
    /// Any of these statuses; empty = any status.
    pub statuses: Vec<Status>,
    /// Scheduled at or after.
    pub from: Option<DateTime<Utc>>,
    /// Scheduled strictly before.
    pub until: Option<DateTime<Utc>>,
    /// Latest first (e.g. "the last 20 sent").
    pub newest_first: bool,
    pub limit: Option<usize>,
}

/// How many records one campaign has on one channel in one status ([`Store::counts`]).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Count {
    pub campaign: String,
    pub channel: String,
    pub status: Status,
    pub count: u64,
}

/// Why the ledger refused or failed; every message says what to do.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error(
        "cannot open the ledger at {path}: {source}\nhelp: check that the folder exists or can be created and that herald's user may read and write it"
    )]
    Open { path: PathBuf, source: std::io::Error },
    #[error(
        "{path} is not a herald ledger: {reason}\nhelp: point `ledger` in config/herald.toml at another file, or move this one away; herald did not change it"
    )]
    NotALedger { path: PathBuf, reason: String },
    #[error(
        "the ledger at {path} was written by a newer herald (schema version {found}; this herald knows up to {supported})\nhelp: upgrade herald, or point `ledger` in config/herald.toml at another file; herald did not change it"
    )]
    TooNew { path: PathBuf, found: i64, supported: i64 },
    #[error(
        "the ledger at {path} was written by an older herald (schema version {found}; this herald writes {supported})\nhelp: `herald run` upgrades it; commands that only read the ledger never change it"
    )]
    NeedsUpgrade { path: PathBuf, found: i64, supported: i64 },
    #[error(
        "herald cannot write the ledger at {path}: {why}\nhelp: let herald's user write the file and its folder (SQLite keeps `-wal` and `-shm` files beside it), or point `ledger` in config/herald.toml at a writable place; herald did not change it"
    )]
    ReadOnly { path: PathBuf, why: String },
    #[error(
        "the ledger at {path} is damaged: {detail}\nhelp: stop herald and restore the file from a backup; herald did not change it (moving it away starts an empty ledger, which no longer knows what was already sent)"
    )]
    Damaged { path: PathBuf, detail: String },
    #[error(
        "the ledger at {path} stayed locked by another process\nhelp: another herald command is writing to it; try again, and check that only one `herald run` uses this ledger"
    )]
    Locked { path: PathBuf },
    #[error("the ledger at {path} failed while {doing}: {source}")]
    Database { path: PathBuf, doing: &'static str, source: rusqlite::Error },
    #[error(
        "the ledger at {path} holds an unreadable {what} for {key}: {detail}\nhelp: the file may have been edited by hand; restore it from a backup"
    )]
    Corrupt { path: PathBuf, key: String, what: &'static str, detail: String },
    #[error("no occurrence {key} in the ledger\nhelp: `herald status` lists the keys")]
    NotFound { key: OccurrenceKey },
    #[error("{key} was already sent; it is never sent twice")]
    AlreadySent { key: OccurrenceKey },
    #[error("{key} cannot be claimed while it is {status}")]
    NotClaimable { key: OccurrenceKey, status: Status },
    #[error(
        "{key} is paused ({scope})\nhelp: `herald resume` lifts the pause; the post is then published if it is still on time"
    )]
    Paused { key: OccurrenceKey, scope: Box<PauseScope> },
    #[error("{key} is not due before {due}")]
    NotDue { key: OccurrenceKey, due: DateTime<Utc> },
    #[error("{key} is {status}, not sending: only an attempt in flight can record its journal or its outcome")]
    NotSending { key: OccurrenceKey, status: Status },
    #[error("{key} is {status}: only an unknown, failed, missed or retrying occurrence can be resolved")]
    NotResolvable { key: OccurrenceKey, status: Status },
    #[error(
        "{key}: a sent post needs its address\nhelp: pass the post's URL, e.g. `--sent https://x.com/account/status/123`"
    )]
    MissingUrl { key: OccurrenceKey },
}

/// herald's state store. Every method that changes something commits one transaction before it
/// returns `Ok`: the caller takes the side effect (a request, a log line saying "sent") only after.
/// Several stores (processes) may use the same storage at once.
pub trait Store: Send + Sync {
    /// Brings the ledger in line with `planned`, every occurrence the files schedule now (from now on,
    /// plus past ones still within a catch-up window), in one transaction:
    /// - a new key is inserted as `scheduled`;
    /// - a `scheduled` or `retrying` record takes the planned `text_hash` (reported as `edited`);
    /// - a `cancelled` record planned again becomes `scheduled` (`restored`);
    /// - a `scheduled` record due after `now` whose key is not planned becomes `cancelled`;
    /// - `sent`, `sending`, `failed`, `missed`, `unknown` and `skipped` records are never changed; a
    ///   `sent` one whose planned hash differs is reported in `edited_after_sent`.
    ///
    /// A key planned twice keeps the last `text_hash`.
    fn sync_plan(&self, planned: &[Planned], now: DateTime<Utc>) -> Result<SyncReport>;

    /// Marks an occurrence `sending` before its first request: `scheduled`, or `retrying` whose
    /// `next_attempt_at` ≤ `now` → `sending`, `attempts` + 1, `attempt_started_at` = `now`. The
    /// journal is kept, for the adapter to resume from. Refused: [`LedgerError::AlreadySent`],
    /// [`LedgerError::NotClaimable`], [`LedgerError::NotDue`], [`LedgerError::NotFound`], and
    /// [`LedgerError::Paused`] when a pause switch covers it (checked in the same transaction, so a
    /// `herald pause` committed before the claim always wins).
    fn claim(&self, key: &OccurrenceKey, now: DateTime<Utc>) -> Result<Record>;

    /// [`Store::claim`], recording `steps` in the journal (where it has none of that name yet) in the
    /// same transaction: the text about to be sent, say, at no extra commit.
    fn claim_with(&self, key: &OccurrenceKey, now: DateTime<Utc>, steps: &[(String, String)]) -> Result<Record>;

    /// Stores the adapter's journal of finished steps (replacing the previous one), only while the
    /// record is `sending` ([`LedgerError::NotSending`] otherwise). `updated_at` becomes `now`: after a
    /// crash it says when the last step was taken (a request may have left as late as that).
    fn save_journal(&self, key: &OccurrenceKey, journal: &BTreeMap<String, String>, now: DateTime<Utc>) -> Result<()>;

    /// Records how an attempt ended; only from `sending` (and, for [`Finish::Missed`], from
    /// `scheduled` or `retrying` too). Returns the updated record.
    fn finish(&self, key: &OccurrenceKey, finish: Finish, now: DateTime<Utc>) -> Result<Record>;

    /// Records left `sending` (after a crash: reconcile each before anything else), oldest first.
    fn in_flight(&self) -> Result<Vec<Record>>;

    /// One record, if the ledger has it.
    fn get(&self, key: &OccurrenceKey) -> Result<Option<Record>>;

    /// Records matching `filter`, ordered by scheduled time (then campaign, post, channel).
    fn records(&self, filter: &RecordFilter) -> Result<Vec<Record>>;

    /// Number of records per campaign, channel and status (only non-zero counts), ordered.
    fn counts(&self) -> Result<Vec<Count>>;

    /// A person settles an `unknown`, `failed`, `missed` or `retrying` record (see [`Resolution`]);
    /// the last error is kept. Bumps [`Store::changes`].
    fn resolve(&self, key: &OccurrenceKey, resolution: Resolution, now: DateTime<Utc>) -> Result<Record>;

    /// Turns a pause switch on or off (it survives restarts); `false` removes exactly that scope's
    /// switch, not narrower or wider ones. Returns whether anything changed; a change bumps
    /// [`Store::changes`].
    fn set_paused(&self, scope: &PauseScope, paused: bool) -> Result<bool>;

    /// The pause switches that are on.
    fn pauses(&self) -> Result<Vec<PauseScope>>;

    /// Whether any pause switch covers `campaign` on `channel`.
    fn is_paused(&self, campaign: &str, channel: &str) -> Result<bool>;

    /// A counter bumped by every pause and resolve, from any process: when it moves, re-read pauses
    /// and records. Cheap to read.
    fn changes(&self) -> Result<u64>;

    /// When this ledger first planned an occurrence (the earliest record's creation), `None` while it
    /// is empty: herald accounts for what the files schedule from about then on.
    fn first_planned(&self) -> Result<Option<DateTime<Utc>>>;

    /// Proves the ledger can be written now: one committed write that changes nothing a reader sees.
    /// The daemon asks it before it believes a ledger that failed is usable again (reads alone can
    /// succeed on a ledger every write fails on).
    fn check_writable(&self) -> Result<()>;
}
