//! The embedded ledger: one SQLite file, shared by the daemon and the `herald status`, `pause` and
//! `resolve` commands running beside it.
//!
//! Owns the file's life: creating it (folder too, file mode 0600) on first run, refusing a file that
//! is not a herald ledger or was written by a newer herald (before changing a byte of it), the schema
//! and its ordered migrations (`PRAGMA user_version`), and the settings that make every commit
//! durable and several processes safe: WAL journal, `synchronous=FULL`, a busy timeout, and write
//! transactions that take the write lock up front (`BEGIN IMMEDIATE`).
//!
//! Times are stored as fixed-width UTC text to the millisecond (`2027-03-08T09:00:00.000Z`), so the
//! file reads well in the `sqlite3` shell and text order is time order.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::types::Value;
use rusqlite::{Connection, ErrorCode, OpenFlags, OptionalExtension, Transaction, TransactionBehavior, params};

use super::{
    Count, Finish, LedgerError, OccurrenceKey, PauseScope, Planned, Record, RecordFilter, Resolution, Result, Status,
    Store, SyncReport,
};

/// `PRAGMA application_id` of a herald ledger ("HRLD").
const APPLICATION_ID: i64 = 0x4852_4c44;

/// How long a command waits for another process's write to finish.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// The schema, one step per version: `MIGRATIONS[n]` takes a ledger from version `n` to `n + 1`.
/// Steps are only ever appended, never edited.
const MIGRATIONS: &[&str] = &[
    // 1: occurrences, pause switches, the change counter.
    "CREATE TABLE occurrence (
        campaign TEXT NOT NULL,
        post TEXT NOT NULL,
        channel TEXT NOT NULL,
        at TEXT NOT NULL,
        status TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        remote_id TEXT,
        url TEXT,
        text_hash TEXT NOT NULL,
        journal TEXT NOT NULL DEFAULT '{}',
        next_attempt_at TEXT,
        attempt_started_at TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        sent_at TEXT,
        PRIMARY KEY (campaign, post, channel, at)
    ) WITHOUT ROWID;
    CREATE INDEX occurrence_by_time ON occurrence (at);
    CREATE INDEX occurrence_by_status ON occurrence (status, at);
    -- An empty campaign or channel means \"any\" (ids are never empty).
    CREATE TABLE pause (
        campaign TEXT NOT NULL,
        channel TEXT NOT NULL,
        since TEXT NOT NULL,
        PRIMARY KEY (campaign, channel)
    ) WITHOUT ROWID;
    CREATE TABLE meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
    INSERT INTO meta (name, value) VALUES ('changes', 0);",
];

/// The schema version this herald writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// The columns of a [`Record`], in [`RawRecord::read`]'s order.
const COLUMNS: &str = "campaign, post, channel, at, status, attempts, last_error, remote_id, url, text_hash, journal, \
     next_attempt_at, attempt_started_at, created_at, updated_at, sent_at";

/// The pending occurrences a sync is comparing against, per connection.
const PLANNED_TABLE: &str = "CREATE TEMP TABLE IF NOT EXISTS planned (
        campaign TEXT NOT NULL,
        post TEXT NOT NULL,
        channel TEXT NOT NULL,
        at TEXT NOT NULL,
        text_hash TEXT NOT NULL,
        -- The position in the caller's plan, to report keys without reading them back.
        idx INTEGER NOT NULL,
        PRIMARY KEY (campaign, post, channel, at)
    ) WITHOUT ROWID";

/// Matches `o` (the ledger) to `p` (the plan) on the key.
const SAME_KEY: &str = "o.campaign = p.campaign AND o.post = p.post AND o.channel = p.channel AND o.at = p.at";

/// A ledger in one SQLite file (or in memory, for tests).
pub struct SqliteStore {
    conn: Mutex<Connection>,
    path: PathBuf,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore").field("path", &self.path).finish_non_exhaustive()
    }
}

impl SqliteStore {
    /// Opens the ledger at `path`, creating the folder and an empty file (mode 0600) on first run and
    /// bringing the schema up to date. A file that is not a herald ledger, or is from a newer herald,
    /// is refused unchanged, and so is anything at `path` that is not a regular file (a folder, a
    /// named pipe, a symbolic link to nothing): SQLite is never handed it.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        if inspect(&path)? == Found::Missing {
            create_file(&path)?;
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(&path, flags)
            .map_err(|source| database_error(&path, "opening the file", source))?;
        Self::prepare(conn, path)
    }

    /// The ledger at `path` when there is one (`None` before the daemon first ran), opened read-write:
    /// for commands that change it only when it exists (`herald resolve`). Anything at `path` that
    /// is not a regular file is refused, as by [`SqliteStore::open`].
    pub fn open_if_exists(path: impl AsRef<Path>) -> Result<Option<Self>> {
        let path = path.as_ref();
        if inspect(path)? == Found::Missing { Ok(None) } else { Self::open(path).map(Some) }
    }

    /// The ledger at `path` for a command that only reads it (`herald status`, `plan`, `preview`):
    /// opened `SQLITE_OPEN_READ_ONLY` and `query_only`, never created, migrated or written. (SQLite may
    /// still create the `-shm` and `-wal` files beside a WAL ledger, to read it safely while the
    /// daemon writes; the ledger itself is not changed.)
    ///
    /// `None` means "no ledger yet": nothing at `path`, an empty file (what a daemon leaves when it
    /// stopped between creating the file and its first commit; `herald run` makes it a ledger), or a
    /// SQLite database with no tables at all. Anything else that is not a readable herald ledger of
    /// this schema version is an error: a folder, a named pipe (never opened, so never waited on), a
    /// symbolic link to nothing, another file, another program's database, a damaged file.
    pub fn open_read_only(path: impl AsRef<Path>) -> Result<Option<Self>> {
        let path = path.as_ref().to_path_buf();
        if inspect(&path)? != Found::File {
            return Ok(None);
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(&path, flags)
            .map_err(|source| database_error(&path, "opening the file to read it", source))?;
        let p = path.as_path();
        let err = |doing| move |source| database_error(p, doing, source);
        conn.busy_timeout(BUSY_TIMEOUT).map_err(err("setting the busy timeout"))?;
        conn.execute_batch("PRAGMA query_only = ON;").map_err(err("opening the file to read it"))?;
        refuse_foreign(&conn, p)?;
        let version: i64 =
            conn.query_row("PRAGMA user_version", [], |r| r.get(0)).map_err(err("reading the schema version"))?;
        if version == 0 {
            return Ok(None); // an empty SQLite database: refuse_foreign found no tables in it
        }
        if version < SCHEMA_VERSION {
            return Err(LedgerError::NeedsUpgrade { path, found: version, supported: SCHEMA_VERSION });
        }
        Ok(Some(Self { conn: Mutex::new(conn), path }))
    }

    /// A ledger that lives as long as the value (tests, dry runs).
    pub fn in_memory() -> Result<Self> {
        let path = PathBuf::from(":memory:");
        let conn = Connection::open_in_memory().map_err(|source| database_error(&path, "opening in memory", source))?;
        Self::prepare(conn, path)
    }

    /// The file, as given to [`SqliteStore::open`].
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What `herald run` asks before it starts: can the ledger be written, and is the file whole?
    ///
    /// Refuses a ledger SQLite could open only read-only (the file's mode, a read-only mount) and one
    /// a real committed write fails on (a folder where SQLite cannot create its `-wal` and `-shm`
    /// files): [`LedgerError::ReadOnly`]. Then runs `PRAGMA quick_check`, interrupted after `budget`
    /// so a huge file cannot hold up the start; a damaged page is [`LedgerError::Damaged`]. Returns
    /// whether the check got through the whole file in time.
    pub fn check_usable(&self, budget: Duration) -> Result<bool> {
        let read_only =
            self.lock().is_readonly(rusqlite::MAIN_DB).map_err(self.db("asking whether it is read-only"))?;
        if read_only {
            return Err(LedgerError::ReadOnly {
                path: self.path.clone(),
                why: "SQLite could open the file only read-only".into(),
            });
        }
        self.check_writable().map_err(|e| match e {
            LedgerError::Database { path, source, .. } => match source.sqlite_error_code() {
                Some(ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase) => {
                    LedgerError::Damaged { path, detail: source.to_string() }
                }
                _ => LedgerError::ReadOnly { path, why: source.to_string() },
            },
            other => other,
        })?;
        let conn = self.lock();
        let interrupt = conn.get_interrupt_handle();
        let (done, finished) = std::sync::mpsc::channel::<()>();
        let watchdog = std::thread::spawn(move || {
            if finished.recv_timeout(budget) == Err(std::sync::mpsc::RecvTimeoutError::Timeout) {
                interrupt.interrupt();
            }
        });
        let rows: rusqlite::Result<Vec<String>> =
            conn.prepare("PRAGMA quick_check(10)").and_then(|mut stmt| stmt.query_map([], |r| r.get(0))?.collect());
        let _ = done.send(());
        let _ = watchdog.join();
        match rows {
            Ok(rows) if rows.iter().all(|r| r == "ok") => Ok(true),
            Ok(rows) => Err(LedgerError::Damaged { path: self.path.clone(), detail: rows.join("; ") }),
            Err(e) => match e.sqlite_error_code() {
                Some(ErrorCode::OperationInterrupted) => Ok(false),
                Some(ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase) => {
                    Err(LedgerError::Damaged { path: self.path.clone(), detail: e.to_string() })
                }
                _ => Err(database_error(&self.path, "checking the file for damage", e)),
            },
        }
    }

    fn prepare(mut conn: Connection, path: PathBuf) -> Result<Self> {
        let p = path.as_path();
        let err = |doing| move |source| database_error(p, doing, source);
        conn.busy_timeout(BUSY_TIMEOUT).map_err(err("setting the busy timeout"))?;
        refuse_foreign(&conn, p)?;
        // Only now may the file change: WAL is recorded in the file's header.
        conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get::<_, String>(0))
            .map_err(err("switching to the WAL journal"))?;
        conn.execute_batch("PRAGMA synchronous = FULL; PRAGMA temp_store = MEMORY;")
            .map_err(err("setting durability"))?;
        migrate(&mut conn, p)?;
        conn.execute_batch(PLANNED_TABLE).map_err(err("preparing"))?;
        Ok(Self { conn: Mutex::new(conn), path })
    }

    /// The connection; a panic elsewhere while it was held left no transaction open (a dropped
    /// transaction rolls back), so a poisoned lock is still usable.
    fn lock(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn db(&self, doing: &'static str) -> impl Fn(rusqlite::Error) -> LedgerError + '_ {
        move |source| database_error(&self.path, doing, source)
    }

    /// Runs `f` in one write transaction (taking the write lock up front, so two processes never
    /// deadlock upgrading a read) and commits it before returning.
    fn write<T>(&self, doing: &'static str, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(self.db(doing))?;
        let out = f(&tx)?;
        tx.commit().map_err(self.db(doing))?;
        Ok(out)
    }

    fn load(&self, conn: &Connection, key: &OccurrenceKey) -> Result<Option<Record>> {
        let sql =
            format!("SELECT {COLUMNS} FROM occurrence WHERE campaign = ?1 AND post = ?2 AND channel = ?3 AND at = ?4");
        let raw = conn
            .prepare_cached(&sql)
            .and_then(|mut stmt| stmt.query_row(key_params(key), RawRecord::read).optional())
            .map_err(self.db("reading an occurrence"))?;
        raw.map(|r| r.into_record(&self.path)).transpose()
    }

    fn load_existing(&self, conn: &Connection, key: &OccurrenceKey) -> Result<Record> {
        self.load(conn, key)?.ok_or_else(|| LedgerError::NotFound { key: key.clone() })
    }

    /// Writes the fields a transition may change.
    fn save(&self, conn: &Connection, r: &Record) -> Result<()> {
        let journal = serde_json::to_string(&r.journal).map_err(|e| LedgerError::Corrupt {
            path: self.path.clone(),
            key: r.key.to_string(),
            what: "journal",
            detail: e.to_string(),
        })?;
        conn.prepare_cached(
            "UPDATE occurrence SET status = ?5, attempts = ?6, last_error = ?7, remote_id = ?8, url = ?9,
                text_hash = ?10, journal = ?11, next_attempt_at = ?12, attempt_started_at = ?13,
                updated_at = ?14, sent_at = ?15
             WHERE campaign = ?1 AND post = ?2 AND channel = ?3 AND at = ?4",
        )
        .and_then(|mut stmt| {
            stmt.execute(params![
                r.key.campaign(),
                r.key.post(),
                r.key.channel(),
                ts(r.key.at()),
                r.status.as_str(),
                i64::from(r.attempts),
                r.last_error,
                r.remote_id,
                r.url,
                r.text_hash,
                journal,
                r.next_attempt_at.map(ts),
                r.attempt_started_at.map(ts),
                ts(r.updated_at),
                r.sent_at.map(ts),
            ])
        })
        .map_err(self.db("saving an occurrence"))?;
        Ok(())
    }

    /// Loads `key`, lets `change` check and apply a transition, saves it, and commits.
    fn transition(
        &self,
        doing: &'static str,
        key: &OccurrenceKey,
        now: DateTime<Utc>,
        change: impl FnOnce(&Connection, &mut Record) -> Result<()>,
    ) -> Result<Record> {
        self.write(doing, |tx| {
            let mut record = self.load_existing(tx, key)?;
            change(tx, &mut record)?;
            record.updated_at = truncate(now);
            self.save(tx, &record)?;
            Ok(record)
        })
    }

    /// The first pause switch covering `campaign` on `channel`, if any.
    fn pause_covering(&self, conn: &Connection, campaign: &str, channel: &str) -> Result<Option<PauseScope>> {
        conn.prepare_cached(
            "SELECT campaign, channel FROM pause WHERE campaign IN ('', ?1) AND channel IN ('', ?2)
             ORDER BY campaign, channel LIMIT 1",
        )
        .and_then(|mut stmt| stmt.query_row([campaign, channel], read_scope).optional())
        .map_err(self.db("reading pauses"))
    }

    fn bump_changes(&self, conn: &Connection) -> Result<()> {
        conn.execute("UPDATE meta SET value = value + 1 WHERE name = 'changes'", [])
            .map_err(self.db("counting a change"))?;
        Ok(())
    }

    /// Runs a statement that returns keys (`RETURNING campaign, post, channel, at`), sorted.
    fn keys(&self, conn: &Connection, sql: &str, params: impl rusqlite::Params) -> Result<Vec<OccurrenceKey>> {
        let raw: Vec<[String; 4]> = conn
            .prepare_cached(sql)
            .and_then(|mut stmt| {
                stmt.query_map(params, |r| Ok([r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?]))?.collect()
            })
            .map_err(self.db("syncing the plan"))?;
        let mut keys =
            raw.into_iter().map(|[c, p, ch, at]| parse_key(&self.path, c, p, ch, &at)).collect::<Result<Vec<_>>>()?;
        keys.sort();
        Ok(keys)
    }

    /// The plan goes into a temporary table in one pass; one join with the ledger finds what
    /// differs; the writes touch only those rows (plus one set-based insert and one cancel).
    fn sync_in(&self, tx: &Transaction<'_>, planned: &[Planned], now: DateTime<Utc>) -> Result<SyncReport> {
        let db = self.db("syncing the plan");
        tx.execute("DELETE FROM temp.planned", []).map_err(&db)?;
        {
            let mut insert = tx
                .prepare_cached("INSERT OR REPLACE INTO temp.planned VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
                .map_err(&db)?;
            for (i, p) in planned.iter().enumerate() {
                let k = &p.key;
                let index = i64::try_from(i).unwrap_or(i64::MAX);
                insert
                    .execute(params![k.campaign(), k.post(), k.channel(), ts(k.at()), p.text_hash, index])
                    .map_err(&db)?;
            }
        }
        let differing: Vec<(i64, Option<String>)> = tx
            .prepare_cached(&format!(
                "SELECT p.idx, o.status FROM temp.planned AS p LEFT JOIN occurrence AS o ON {SAME_KEY}
                 WHERE o.status IS NULL OR o.status = 'cancelled'
                    OR (p.text_hash <> '' AND o.status IN ('scheduled', 'retrying', 'sent')
                        AND o.text_hash <> p.text_hash)"
            ))
            .and_then(|mut stmt| stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect())
            .map_err(&db)?;

        let mut report = SyncReport::default();
        let mut rewrite = Vec::new();
        for (index, status) in differing {
            let Some(p) = usize::try_from(index).ok().and_then(|i| planned.get(i)) else { continue };
            let list = match status.as_deref() {
                None => &mut report.inserted,
                Some("sent") => &mut report.edited_after_sent,
                Some("cancelled") => &mut report.restored,
                Some(_) => &mut report.edited,
            };
            list.push(p.key.clone());
            if matches!(status.as_deref(), Some(s) if s != "sent") {
                rewrite.push(p);
            }
        }
        let now = ts(now);
        // Restores a cancelled record; a pending one keeps its status.
        let mut retext = tx
            .prepare_cached(
                "UPDATE occurrence SET status = CASE status WHEN 'cancelled' THEN 'scheduled' ELSE status END,
                    text_hash = ?5, updated_at = ?6
                 WHERE campaign = ?1 AND post = ?2 AND channel = ?3 AND at = ?4",
            )
            .map_err(&db)?;
        for p in rewrite {
            let k = &p.key;
            retext.execute(params![k.campaign(), k.post(), k.channel(), ts(k.at()), p.text_hash, now]).map_err(&db)?;
        }
        if !report.inserted.is_empty() {
            tx.execute(
                &format!(
                    "INSERT INTO occurrence (campaign, post, channel, at, status, text_hash, created_at, updated_at)
                     SELECT p.campaign, p.post, p.channel, p.at, 'scheduled', p.text_hash, ?1, ?1
                     FROM temp.planned AS p WHERE NOT EXISTS (SELECT 1 FROM occurrence AS o WHERE {SAME_KEY})"
                ),
                [&now],
            )
            .map_err(&db)?;
        }
        report.cancelled = self.keys(
            tx,
            &format!(
                "UPDATE occurrence AS o SET status = 'cancelled', updated_at = ?1
                 WHERE o.status = 'scheduled' AND o.at > ?1
                   AND NOT EXISTS (SELECT 1 FROM temp.planned AS p WHERE {SAME_KEY})
                 RETURNING campaign, post, channel, at"
            ),
            [&now],
        )?;
        tx.execute("DELETE FROM temp.planned", []).map_err(&db)?;
        for list in [&mut report.inserted, &mut report.edited, &mut report.restored, &mut report.edited_after_sent] {
            list.sort();
        }
        Ok(report)
    }

    fn query_records(&self, sql: &str, values: Vec<Value>) -> Result<Vec<Record>> {
        let conn = self.lock();
        let raw: Vec<RawRecord> = conn
            .prepare_cached(sql)
            .and_then(|mut stmt| stmt.query_map(rusqlite::params_from_iter(values), RawRecord::read)?.collect())
            .map_err(self.db("listing occurrences"))?;
        drop(conn);
        raw.into_iter().map(|r| r.into_record(&self.path)).collect()
    }
}

impl Store for SqliteStore {
    fn sync_plan(&self, planned: &[Planned], now: DateTime<Utc>) -> Result<SyncReport> {
        self.write("syncing the plan", |tx| self.sync_in(tx, planned, now))
    }

    fn claim(&self, key: &OccurrenceKey, now: DateTime<Utc>) -> Result<Record> {
        self.claim_with(key, now, &[])
    }

    fn claim_with(&self, key: &OccurrenceKey, now: DateTime<Utc>, steps: &[(String, String)]) -> Result<Record> {
        self.transition("claiming an occurrence", key, now, |tx, r| {
            match r.status {
                Status::Scheduled => {}
                Status::Retrying => {
                    if let Some(due) = r.next_attempt_at.filter(|due| *due > now) {
                        return Err(LedgerError::NotDue { key: key.clone(), due });
                    }
                }
                Status::Sent => return Err(LedgerError::AlreadySent { key: key.clone() }),
                status => return Err(LedgerError::NotClaimable { key: key.clone(), status }),
            }
            if let Some(scope) = self.pause_covering(tx, key.campaign(), key.channel())? {
                return Err(LedgerError::Paused { key: key.clone(), scope: Box::new(scope) });
            }
            r.status = Status::Sending;
            r.attempts = r.attempts.saturating_add(1);
            r.attempt_started_at = Some(truncate(now));
            r.next_attempt_at = None;
            for (k, v) in steps {
                r.journal.entry(k.clone()).or_insert_with(|| v.clone());
            }
            Ok(())
        })
    }

    fn save_journal(&self, key: &OccurrenceKey, journal: &BTreeMap<String, String>, now: DateTime<Utc>) -> Result<()> {
        self.transition("saving a journal", key, now, |_, record| {
            if record.status != Status::Sending {
                return Err(LedgerError::NotSending { key: key.clone(), status: record.status });
            }
            record.journal = journal.clone();
            Ok(())
        })
        .map(drop)
    }

    fn finish(&self, key: &OccurrenceKey, finish: Finish, now: DateTime<Utc>) -> Result<Record> {
        self.transition("recording an outcome", key, now, |_, r| {
            let allowed =
                r.status == Status::Sending || (matches!(finish, Finish::Missed { .. }) && r.status.is_pending());
            if !allowed {
                return Err(LedgerError::NotSending { key: key.clone(), status: r.status });
            }
            r.status = finish.status();
            r.next_attempt_at = None;
            match finish {
                Finish::Sent { remote_id, url, text_hash } => {
                    r.remote_id = Some(remote_id);
                    r.url = url;
                    r.text_hash = text_hash;
                    r.sent_at = Some(truncate(now));
                }
                Finish::Retry { at, error } => {
                    r.next_attempt_at = Some(truncate(at));
                    r.last_error = Some(crate::secrets::excerpt(&error));
                }
                Finish::Failed { error } | Finish::Unknown { error } | Finish::Missed { reason: error } => {
                    r.last_error = Some(crate::secrets::excerpt(&error));
                }
            }
            Ok(())
        })
    }

    fn in_flight(&self) -> Result<Vec<Record>> {
        self.records(&RecordFilter { statuses: vec![Status::Sending], ..RecordFilter::default() })
    }

    fn get(&self, key: &OccurrenceKey) -> Result<Option<Record>> {
        let conn = self.lock();
        self.load(&conn, key)
    }

    fn records(&self, filter: &RecordFilter) -> Result<Vec<Record>> {
        let (sql, values) = select_records(filter);
        self.query_records(&sql, values)
    }

    fn counts(&self) -> Result<Vec<Count>> {
        let conn = self.lock();
        let raw: Vec<(String, String, String, i64)> = conn
            .prepare_cached(
                "SELECT campaign, channel, status, COUNT(*) FROM occurrence GROUP BY campaign, channel, status",
            )
            .and_then(|mut stmt| stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?.collect())
            .map_err(self.db("counting occurrences"))?;
        drop(conn);
        let mut counts = raw
            .into_iter()
            .map(|(campaign, channel, status, count)| {
                let status = status.parse().map_err(|e: super::UnknownStatus| LedgerError::Corrupt {
                    path: self.path.clone(),
                    key: format!("{campaign}/*/{channel}"),
                    what: "status",
                    detail: e.0,
                })?;
                Ok(Count { campaign, channel, status, count: u64::try_from(count).unwrap_or(0) })
            })
            .collect::<Result<Vec<_>>>()?;
        counts.sort();
        Ok(counts)
    }

    fn resolve(&self, key: &OccurrenceKey, resolution: Resolution, now: DateTime<Utc>) -> Result<Record> {
        self.transition("resolving an occurrence", key, now, |tx, r| {
            let resolvable = matches!(r.status, Status::Unknown | Status::Failed | Status::Missed | Status::Retrying);
            if !resolvable {
                return Err(LedgerError::NotResolvable { key: key.clone(), status: r.status });
            }
            let now = truncate(now);
            r.next_attempt_at = None;
            match resolution {
                Resolution::Sent { url } => {
                    if url.trim().is_empty() {
                        return Err(LedgerError::MissingUrl { key: key.clone() });
                    }
                    r.status = Status::Sent;
                    r.url = Some(url.trim().to_string());
                    r.sent_at = Some(now);
                }
                Resolution::Retry => {
                    r.status = Status::Retrying;
                    r.next_attempt_at = Some(now);
                }
                Resolution::Skip => r.status = Status::Skipped,
            }
            self.bump_changes(tx)
        })
    }

    fn set_paused(&self, scope: &PauseScope, paused: bool) -> Result<bool> {
        let campaign = scope.campaign.as_deref().unwrap_or_default();
        let channel = scope.channel.as_deref().unwrap_or_default();
        self.write("switching a pause", |tx| {
            let changed = if paused {
                tx.execute(
                    "INSERT OR IGNORE INTO pause (campaign, channel, since) VALUES (?1, ?2, ?3)",
                    params![campaign, channel, ts(Utc::now())],
                )
            } else {
                tx.execute("DELETE FROM pause WHERE campaign = ?1 AND channel = ?2", params![campaign, channel])
            }
            .map_err(self.db("switching a pause"))?;
            if changed > 0 {
                self.bump_changes(tx)?;
            }
            Ok(changed > 0)
        })
    }

    fn pauses(&self) -> Result<Vec<PauseScope>> {
        let conn = self.lock();
        conn.prepare_cached("SELECT campaign, channel FROM pause ORDER BY campaign, channel")
            .and_then(|mut stmt| stmt.query_map([], read_scope)?.collect())
            .map_err(self.db("reading pauses"))
    }

    fn is_paused(&self, campaign: &str, channel: &str) -> Result<bool> {
        let conn = self.lock();
        Ok(self.pause_covering(&conn, campaign, channel)?.is_some())
    }

    fn changes(&self) -> Result<u64> {
        let conn = self.lock();
        let n: i64 = conn
            .prepare_cached("SELECT value FROM meta WHERE name = 'changes'")
            .and_then(|mut stmt| stmt.query_row([], |r| r.get(0)))
            .map_err(self.db("reading the change counter"))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    fn check_writable(&self) -> Result<()> {
        // Rewrites the change counter with its own value: a real page written and fsynced, nothing a
        // reader sees changed.
        self.write("writing to the ledger", |tx| {
            tx.execute("UPDATE meta SET value = value WHERE name = 'changes'", [])
                .map_err(self.db("writing to the ledger"))?;
            Ok(())
        })
    }

    fn first_planned(&self) -> Result<Option<DateTime<Utc>>> {
        let conn = self.lock();
        let first: Option<String> = conn
            .prepare_cached("SELECT MIN(created_at) FROM occurrence")
            .and_then(|mut stmt| stmt.query_row([], |r| r.get(0)))
            .map_err(self.db("reading when the ledger began"))?;
        first
            .map(|t| {
                parse_time(&t).ok_or_else(|| LedgerError::Corrupt {
                    path: self.path.clone(),
                    key: String::new(),
                    what: "creation time",
                    detail: format!("`{t}` is not a time"),
                })
            })
            .transpose()
    }
}

/// A `pause` row (an empty campaign or channel means any).
fn read_scope(r: &rusqlite::Row<'_>) -> rusqlite::Result<PauseScope> {
    let some = |s: String| Some(s).filter(|s| !s.is_empty());
    Ok(PauseScope { campaign: some(r.get(0)?), channel: some(r.get(1)?) })
}

/// What is at a ledger's path, found without opening it (opening a named pipe would wait for a writer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Found {
    /// Nothing: no ledger yet.
    Missing,
    /// An empty regular file: SQLite reads it as a database with nothing in it.
    Empty,
    /// A regular file with something in it (through a symbolic link or not).
    File,
}

/// Looks at `path` (following a symbolic link) and refuses anything that is not a regular file.
fn inspect(path: &Path) -> Result<Found> {
    let not_a_ledger = |reason: String| LedgerError::NotALedger { path: path.to_path_buf(), reason };
    let io = |source| LedgerError::Open { path: path.to_path_buf(), source };
    let meta = match std::fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Found::Missing),
        Err(e) => return Err(io(e)),
    };
    let meta = if meta.file_type().is_symlink() {
        match std::fs::metadata(path) {
            Ok(meta) => meta,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let target = std::fs::read_link(path).map(|t| t.display().to_string()).unwrap_or_default();
                return Err(not_a_ledger(format!(
                    "it is a symbolic link to `{target}`, which does not exist (herald creates no file through a link)"
                )));
            }
            Err(e) => return Err(io(e)),
        }
    } else {
        meta
    };
    let kind = meta.file_type();
    if kind.is_file() {
        return Ok(if meta.len() == 0 { Found::Empty } else { Found::File });
    }
    let what = if kind.is_dir() {
        "a folder"
    } else {
        #[cfg(unix)]
        {
            use std::os::unix::fs::FileTypeExt as _;
            if kind.is_fifo() {
                "a named pipe (FIFO)"
            } else if kind.is_socket() {
                "a socket"
            } else if kind.is_block_device() || kind.is_char_device() {
                "a device"
            } else {
                "a special file"
            }
        }
        #[cfg(not(unix))]
        "a special file"
    };
    Err(not_a_ledger(format!("it is {what}, not a regular file")))
}

/// Creates `path`'s folder (mode 0700) and the file itself (mode 0600) when missing.
fn create_file(path: &Path) -> Result<()> {
    let open_err = |source| LedgerError::Open { path: path.to_path_buf(), source };
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        let mut dir = std::fs::DirBuilder::new();
        dir.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut dir, 0o700);
        dir.create(parent).map_err(open_err)?;
    }
    let mut file = std::fs::OpenOptions::new();
    file.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut file, 0o600);
    match file.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(open_err(e)),
    }
}

/// Refuses, before anything is written, a file that is not a SQLite database, another program's
/// database, or a ledger from a newer herald.
fn refuse_foreign(conn: &Connection, path: &Path) -> Result<()> {
    let not_a_ledger = |reason: &str| LedgerError::NotALedger { path: path.to_path_buf(), reason: reason.into() };
    let pragma = |name: &str| conn.query_row(&format!("PRAGMA {name}"), [], |r| r.get::<_, i64>(0));
    let version = pragma("user_version").map_err(|e| match e.sqlite_error_code() {
        Some(ErrorCode::NotADatabase) => not_a_ledger("it is not a SQLite database"),
        Some(ErrorCode::DatabaseCorrupt) => not_a_ledger("the SQLite file is damaged"),
        _ => database_error(path, "reading the schema version", e),
    })?;
    let application = pragma("application_id").map_err(|e| database_error(path, "reading the file's owner", e))?;
    if application != 0 && application != APPLICATION_ID {
        return Err(not_a_ledger("it is another program's SQLite database"));
    }
    if version > SCHEMA_VERSION {
        return Err(LedgerError::TooNew { path: path.to_path_buf(), found: version, supported: SCHEMA_VERSION });
    }
    if application == 0 {
        let tables: i64 = conn
            .query_row("SELECT COUNT(*) FROM sqlite_master", [], |r| r.get(0))
            .map_err(|e| database_error(path, "reading the schema", e))?;
        if tables > 0 {
            return Err(not_a_ledger("it is a SQLite database with tables herald did not create"));
        }
    }
    Ok(())
}

/// Applies the migrations the file lacks, in order, in one transaction.
fn migrate(conn: &mut Connection, path: &Path) -> Result<()> {
    let err = |doing| move |source| database_error(path, doing, source);
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(err("upgrading the schema"))?;
    // Read again under the write lock: another process may have migrated meanwhile.
    let version: i64 =
        tx.query_row("PRAGMA user_version", [], |r| r.get(0)).map_err(err("reading the schema version"))?;
    if version > SCHEMA_VERSION {
        return Err(LedgerError::TooNew { path: path.to_path_buf(), found: version, supported: SCHEMA_VERSION });
    }
    let start = usize::try_from(version).unwrap_or(0);
    for step in MIGRATIONS.iter().skip(start) {
        tx.execute_batch(step).map_err(err("upgrading the schema"))?;
    }
    if version < SCHEMA_VERSION {
        tx.execute_batch(&format!("PRAGMA application_id = {APPLICATION_ID}; PRAGMA user_version = {SCHEMA_VERSION};"))
            .map_err(err("upgrading the schema"))?;
    }
    tx.commit().map_err(err("upgrading the schema"))
}

fn database_error(path: &Path, doing: &'static str, source: rusqlite::Error) -> LedgerError {
    match source.sqlite_error_code() {
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => LedgerError::Locked { path: path.to_path_buf() },
        Some(ErrorCode::ReadOnly) => {
            LedgerError::ReadOnly { path: path.to_path_buf(), why: format!("{source} (while {doing})") }
        }
        Some(ErrorCode::DatabaseCorrupt) => {
            LedgerError::Damaged { path: path.to_path_buf(), detail: format!("{source} (while {doing})") }
        }
        _ => LedgerError::Database { path: path.to_path_buf(), doing, source },
    }
}

/// The SQL and parameters of [`Store::records`].
fn select_records(filter: &RecordFilter) -> (String, Vec<Value>) {
    let mut clauses = Vec::new();
    let mut values = Vec::new();
    let mut add = |clause: &str, value: Value| {
        values.push(value);
        clauses.push(clause.replace('?', &format!("?{}", values.len())));
    };
    for (column, value) in [("campaign", &filter.campaign), ("post", &filter.post), ("channel", &filter.channel)] {
        if let Some(v) = value {
            add(&format!("{column} = ?"), Value::Text(v.clone()));
        }
    }
    if let Some(from) = filter.from {
        add("at >= ?", Value::Text(ts(from)));
    }
    if let Some(until) = filter.until {
        add("at < ?", Value::Text(ts(until)));
    }
    if !filter.statuses.is_empty() {
        let first = values.len() + 1;
        let marks: Vec<String> = (first..first + filter.statuses.len()).map(|i| format!("?{i}")).collect();
        clauses.push(format!("status IN ({})", marks.join(", ")));
        values.extend(filter.statuses.iter().map(|s| Value::Text(s.as_str().to_string())));
    }
    let mut sql = format!("SELECT {COLUMNS} FROM occurrence");
    if !clauses.is_empty() {
        sql.push_str(" WHERE ");
        sql.push_str(&clauses.join(" AND "));
    }
    let order = if filter.newest_first { "DESC" } else { "ASC" };
    sql.push_str(&format!(" ORDER BY at {order}, campaign {order}, post {order}, channel {order}"));
    if let Some(limit) = filter.limit {
        sql.push_str(&format!(" LIMIT {}", i64::try_from(limit).unwrap_or(i64::MAX)));
    }
    (sql, values)
}

fn key_params(key: &OccurrenceKey) -> (&str, &str, &str, String) {
    (key.campaign(), key.post(), key.channel(), ts(key.at()))
}

/// Stored times: fixed-width UTC to the millisecond (`2027-03-08T09:00:00.000Z`), so text order is
/// time order.
fn ts(t: DateTime<Utc>) -> String {
    // Fixed width for years 0000 to 9999.
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// `t` as the ledger keeps it (to the millisecond).
fn truncate(t: DateTime<Utc>) -> DateTime<Utc> {
    use chrono::DurationRound;
    t.duration_trunc(chrono::TimeDelta::milliseconds(1)).unwrap_or(t)
}

fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s).ok().map(|t| t.with_timezone(&Utc))
}

fn parse_key(path: &Path, campaign: String, post: String, channel: String, at: &str) -> Result<OccurrenceKey> {
    let shown = format!("{campaign}/{post}/{channel}/{at}");
    let corrupt =
        |detail: String| LedgerError::Corrupt { path: path.to_path_buf(), key: shown.clone(), what: "key", detail };
    let at = parse_time(at).ok_or_else(|| corrupt(format!("`{at}` is not a time")))?;
    OccurrenceKey::new(campaign, post, channel, at).map_err(|e| corrupt(e.to_string()))
}

/// One row of `occurrence`, before its text is checked.
struct RawRecord {
    campaign: String,
    post: String,
    channel: String,
    at: String,
    status: String,
    attempts: i64,
    last_error: Option<String>,
    remote_id: Option<String>,
    url: Option<String>,
    text_hash: String,
    journal: String,
    next_attempt_at: Option<String>,
    attempt_started_at: Option<String>,
    created_at: String,
    updated_at: String,
    sent_at: Option<String>,
}

impl RawRecord {
    fn read(r: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            campaign: r.get(0)?,
            post: r.get(1)?,
            channel: r.get(2)?,
            at: r.get(3)?,
            status: r.get(4)?,
            attempts: r.get(5)?,
            last_error: r.get(6)?,
            remote_id: r.get(7)?,
            url: r.get(8)?,
            text_hash: r.get(9)?,
            journal: r.get(10)?,
            next_attempt_at: r.get(11)?,
            attempt_started_at: r.get(12)?,
            created_at: r.get(13)?,
            updated_at: r.get(14)?,
            sent_at: r.get(15)?,
        })
    }

    fn into_record(self, path: &Path) -> Result<Record> {
        let key = parse_key(path, self.campaign, self.post, self.channel, &self.at)?;
        let corrupt = |what, detail: String| LedgerError::Corrupt {
            path: path.to_path_buf(),
            key: key.to_string(),
            what,
            detail,
        };
        let time = |what, s: &str| parse_time(s).ok_or_else(|| corrupt(what, format!("`{s}` is not a time")));
        let optional_time = |what, s: Option<String>| s.map(|s| time(what, &s)).transpose();
        Ok(Record {
            status: self.status.parse().map_err(|e: super::UnknownStatus| corrupt("status", e.0))?,
            attempts: u32::try_from(self.attempts).map_err(|_| corrupt("attempt count", self.attempts.to_string()))?,
            last_error: self.last_error,
            remote_id: self.remote_id,
            url: self.url,
            text_hash: self.text_hash,
            journal: serde_json::from_str(&self.journal).map_err(|e| corrupt("journal", e.to_string()))?,
            next_attempt_at: optional_time("retry time", self.next_attempt_at)?,
            attempt_started_at: optional_time("attempt time", self.attempt_started_at)?,
            created_at: time("creation time", &self.created_at)?,
            updated_at: time("update time", &self.updated_at)?,
            sent_at: optional_time("sending time", self.sent_at)?,
            key,
        })
    }
}
