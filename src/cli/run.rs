//! `herald run [--dry-run]`: start the daemon, with logging, signals, file watching and the optional
//! HTTP listener; only one daemon per state folder.
//!
//! It refuses to start rather than run on something it cannot use: a config with errors prints every
//! problem as `herald check` does (file:line:col, the line, a caret, the help) and exits 1; a ledger
//! it cannot write (a read-only file or folder), that is not a SQLite file, or that is damaged
//! (`PRAGMA quick_check`, bounded in time) exits 2 with what, where and a `help:` line. Nothing is
//! published before these checks pass.

use std::path::Path;
use std::sync::Arc;

use super::{EXIT_FAILURE, EXIT_OK, EXIT_PROBLEMS, Output};
use crate::daemon::StartError;
use chrono::{DateTime, Datelike as _, LocalResult, NaiveDate, NaiveDateTime, TimeZone as _, Utc};

use crate::daemon::clock::{Clock, LogTime, Rehearsal};
use crate::daemon::load::LoadError;
use crate::daemon::{Daemon, Options, watch};
use crate::diagnostic::Diagnostic;
use crate::ledger::Store;
use crate::ledger::sqlite::SqliteStore;

/// How logs are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

fn fail(message: String) -> Output {
    Output { stderr: format!("error: {message}\n"), code: EXIT_FAILURE, ..Output::default() }
}

/// How long the start-up check of the ledger file may read it (a damaged page is found in
/// milliseconds in a ledger of any usual size; a huge one is checked only this long).
const LEDGER_CHECK_BUDGET: std::time::Duration = std::time::Duration::from_secs(10);

/// The config has errors: every problem, located as `herald check` shows them, and no start.
fn config_errors(diagnostics: &[Diagnostic]) -> Output {
    let errors: Vec<Diagnostic> = diagnostics.iter().filter(|d| d.is_error()).cloned().collect();
    Output {
        stderr: crate::diagnostic::render_all(&errors, false)
            + &format!(
                "error: herald did not start: {} has errors\n  help: fix them (`herald check` shows the same list), then start it again\n",
                crate::config::CONFIG_PATH
            ),
        code: EXIT_PROBLEMS,
        ..Output::default()
    }
}

fn in_config(d: &Diagnostic) -> bool {
    d.is_error() && d.source.as_ref().is_some_and(|s| &*s.path == crate::config::CONFIG_PATH)
}

/// Sets up `tracing`: human-readable or JSON lines on stderr, each through the redactor
/// ([`crate::secrets::Redacting`]); `RUST_LOG` overrides the level (`info`).
/// Each line is stamped with `clock`'s time when given (a rehearsal's virtual moment).
fn init_logging(format: LogFormat, clock: Option<Clock>) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    use std::io::IsTerminal as _;
    let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(|| crate::secrets::Redacting(std::io::stderr()))
        .with_ansi(colour);
    let _ = match (format, clock) {
        (LogFormat::Text, None) => builder.try_init(),
        (LogFormat::Json, None) => builder.json().flatten_event(true).try_init(),
        (LogFormat::Text, Some(clock)) => builder.with_timer(LogTime(clock)).try_init(),
        (LogFormat::Json, Some(clock)) => builder.with_timer(LogTime(clock)).json().flatten_event(true).try_init(),
    };
}

/// A rehearsal: `herald run --dry-run --from DATETIME [--to DATETIME] [--speed N]`.
#[derive(Debug, Clone, Copy)]
pub struct Rehearse {
    pub from: DateTime<Utc>,
    pub to: Option<DateTime<Utc>>,
    pub speed: Option<u32>,
}

/// Reads `--from`/`--to`: RFC 3339 with its offset, or a date and time (or a date: midnight) in this
/// machine's time zone (`TZ`).
pub fn parse_moment(s: &str) -> Result<DateTime<Utc>, String> {
    let moment = if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        t.with_timezone(&Utc)
    } else {
        let naive = ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"]
            .iter()
            .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
            .or_else(|| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok().and_then(|d| d.and_hms_opt(0, 0, 0)))
            .ok_or_else(|| {
                "expected RFC 3339 (2027-03-01T09:00:00Z, 2027-03-01T09:00:00-05:00) or YYYY-MM-DD[THH:MM[:SS]] in this machine's time zone".to_string()
            })?;
        match chrono::Local.from_local_datetime(&naive) {
            LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => t.with_timezone(&Utc),
            LocalResult::None => {
                return Err(format!(
                    "{naive} does not exist in this machine's time zone (the clocks jump forward then); give an offset, e.g. {}Z",
                    naive.format("%Y-%m-%dT%H:%M:%S")
                ));
            }
        }
    };
    if !(1970..=2100).contains(&moment.year()) {
        return Err("the year must be between 1970 and 2100".to_string());
    }
    Ok(moment)
}

/// `herald run`; with `rehearsal` (which clap allows only with `--dry-run`), on its virtual clock.
pub fn run(dir: &Path, dry_run: bool, log_format: LogFormat, rehearsal: Option<Rehearse>) -> Output {
    let clock = match rehearsal {
        Some(r) => Clock::Rehearsal(Rehearsal::start(r.from, r.to, r.speed)),
        None => Clock::System,
    };
    init_logging(log_format, rehearsal.map(|_| clock));
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => return fail(format!("cannot start: {e}")),
    };
    runtime.block_on(serve(dir, dry_run || rehearsal.is_some(), clock))
}

async fn serve(dir: &Path, dry_run: bool, clock: Clock) -> Output {
    let rehearsal = clock.rehearsal();
    let probe = match crate::config::load_project(dir, None) {
        Ok(l) => l,
        Err(e) => return fail(e.to_string()),
    };
    if probe.diagnostics.iter().any(in_config) {
        return config_errors(&probe.diagnostics);
    }
    let project = &probe.project;
    let state_dir = project.config.state_dir(&project.root);
    let listen = project.config.daemon.listen;
    // One daemon per state folder: two would publish everything twice.
    let _lock = if dry_run {
        None
    } else {
        match lock(&state_dir) {
            Ok(l) => Some(l),
            Err(e) => return fail(e),
        }
    };
    let store: Arc<dyn Store> = if dry_run {
        match SqliteStore::in_memory() {
            Ok(s) => Arc::new(s),
            Err(e) => return fail(e.to_string()),
        }
    } else {
        let store = match SqliteStore::open(project.config.ledger_path(&project.root)) {
            Ok(s) => s,
            Err(e) => return fail(e.to_string()),
        };
        match store.check_usable(LEDGER_CHECK_BUDGET) {
            Ok(true) => {}
            Ok(false) => tracing::warn!(
                ledger = %store.path().display(),
                "the ledger is too large to check for damage in {} s at start; checked that it can be written",
                LEDGER_CHECK_BUDGET.as_secs()
            ),
            Err(e) => return fail(e.to_string()),
        }
        Arc::new(store)
    };
    let (tx, rx) = tokio::sync::mpsc::channel(16);
    if let Err(e) = watch::signals(tx.clone()) {
        return fail(format!("cannot listen for signals: {e}"));
    }
    let root = project.root.clone();
    let options = Options { root: root.clone(), dry_run, state_dir: Some(state_dir.clone()), clock };
    let daemon = match Daemon::start(options, store).await {
        Ok(d) => d,
        Err(StartError::Load(LoadError::Config(diagnostics))) => return config_errors(&diagnostics),
        Err(e) => return fail(e.to_string()),
    };
    let watched_state = if dry_run { None } else { Some(state_dir.as_path()) };
    // A rehearsal plays the files as they are when it starts, and serves nothing (a daemon may be
    // running beside it on the same address).
    let _watch = if rehearsal.is_some() {
        None
    } else {
        match watch::files(&root, watched_state, tx.clone()) {
            Ok(w) => Some(w),
            Err(e) => {
                tracing::warn!(error = %e, "cannot watch the files; reload with SIGHUP (systemctl reload herald)");
                None
            }
        }
    };
    let _listener = match listen {
        _ if rehearsal.is_some() => None,
        Some(addr) => match crate::daemon::metrics::serve(addr, daemon.metrics()).await {
            Ok((bound, task)) => {
                tracing::info!(%bound, "serving /healthz and /metrics");
                Some(task)
            }
            Err(e) => return fail(format!("cannot listen on {addr}: {e}")),
        },
        None => None,
    };
    match rehearsal {
        Some(r) => tracing::info!(
            root = %root.display(),
            to = r.to.map_or_else(|| "the end of the schedule".to_string(), |t| t.to_rfc3339()),
            speed = r.speed.map_or_else(|| "jump to each post".to_string(), |s| format!("{s}x")),
            "rehearsing: nothing is sent, each publication is logged at its moment"
        ),
        None => tracing::info!(dry_run, root = %root.display(), "herald is running"),
    }
    daemon.run(rx).await;
    drop(tx);
    Output { code: EXIT_OK, ..Output::default() }
}

/// Takes `state_dir/daemon.lock` for as long as the daemon runs.
fn lock(state_dir: &Path) -> Result<std::fs::File, String> {
    crate::config::create_state_dir(state_dir)
        .map_err(|e| format!("cannot create the state folder {}: {e}", state_dir.display()))?;
    let path = state_dir.join("daemon.lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(format!(
            "another `herald run` is already using {}\n  help: stop it first (two daemons would publish everything twice)",
            state_dir.display()
        )),
        Err(std::fs::TryLockError::Error(e)) => Err(format!("cannot lock {}: {e}", path.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moments_are_read_as_rfc_3339_with_their_offset() {
        let t = |s: &str| parse_moment(s).unwrap().to_rfc3339();
        assert_eq!(t("2027-03-01T09:00:00Z"), "2027-03-01T09:00:00+00:00");
        assert_eq!(t("2027-03-01T09:00:00-05:00"), "2027-03-01T14:00:00+00:00");
        assert!(parse_moment("2027-13-01").unwrap_err().contains("expected RFC 3339"));
        assert!(parse_moment("2101-01-01T00:00:00Z").unwrap_err().contains("between 1970 and 2100"));
    }
}
