//! `herald run [--dry-run]`: start the daemon, with logging, signals, file watching and the optional
//! HTTP listener; only one daemon per state folder.

use std::path::Path;
use std::sync::Arc;

use super::{EXIT_FAILURE, EXIT_OK, Output};
use crate::daemon::clock::Clock;
use crate::daemon::{Daemon, Options, watch};
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

/// Sets up `tracing`: human-readable or JSON lines on stderr; `RUST_LOG` overrides the level (`info`).
pub fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    use std::io::IsTerminal as _;
    let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(colour);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}

pub fn run(dir: &Path, dry_run: bool, log_format: LogFormat) -> Output {
    init_logging(log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => return fail(format!("cannot start: {e}")),
    };
    runtime.block_on(serve(dir, dry_run))
}

async fn serve(dir: &Path, dry_run: bool) -> Output {
    let probe = match crate::config::load_project(dir, None) {
        Ok(l) => l,
        Err(e) => return fail(e.to_string()),
    };
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
        match SqliteStore::open(project.config.ledger_path(&project.root)) {
            Ok(s) => Arc::new(s),
            Err(e) => return fail(e.to_string()),
        }
    };
    let (tx, rx) = tokio::sync::mpsc::channel(16);
    if let Err(e) = watch::signals(tx.clone()) {
        return fail(format!("cannot listen for signals: {e}"));
    }
    let root = project.root.clone();
    let options = Options { root: root.clone(), dry_run, state_dir: Some(state_dir.clone()), clock: Clock::System };
    let daemon = match Daemon::start(options, store).await {
        Ok(d) => d,
        Err(e) => return fail(e.to_string()),
    };
    let watched_state = if dry_run { None } else { Some(state_dir.as_path()) };
    let _watch = match watch::files(&root, watched_state, tx.clone()) {
        Ok(w) => Some(w),
        Err(e) => {
            tracing::warn!(error = %e, "cannot watch the files; reload with SIGHUP (systemctl reload herald)");
            None
        }
    };
    let _listener = match listen {
        Some(addr) => match crate::daemon::metrics::serve(addr, daemon.metrics()).await {
            Ok((bound, task)) => {
                tracing::info!(%bound, "serving /healthz and /metrics");
                Some(task)
            }
            Err(e) => return fail(format!("cannot listen on {addr}: {e}")),
        },
        None => None,
    };
    tracing::info!(dry_run, root = %root.display(), "herald is running");
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
