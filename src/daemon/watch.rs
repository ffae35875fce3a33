//! What wakes the daemon besides time: edits to `campaigns/` and `config/`, a touch of the state
//! folder's `control` file (written by `herald pause`, `resume` and `resolve`), and signals (SIGHUP
//! reloads, SIGTERM and SIGINT stop).
//!
//! File events are debounced (an editor's save is several events) and turned into [`Control`] values
//! on the daemon's channel. The watcher uses the operating system's notifications (inotify on
//! Linux), so an idle daemon does not wake to look at files.

use std::path::{Path, PathBuf};
use std::time::Duration;

use notify::{RecursiveMode, Watcher as _};
use tokio::sync::mpsc;

use super::Control;

/// The file `herald pause`, `resume` and `resolve` touch after changing the ledger.
pub const CONTROL_FILE: &str = "control";

/// How long to wait for an editor's burst of events to end.
const DEBOUNCE: Duration = Duration::from_millis(300);

/// Keeps the watcher alive; dropping it stops watching.
pub struct Watch {
    _watcher: notify::RecommendedWatcher,
}

/// Watches `root/campaigns`, `root/config` and `state_dir/control` (no state folder in a dry run),
/// sending [`Control::Reload`] or [`Control::LedgerChanged`] on `tx`.
pub fn files(root: &Path, state_dir: Option<&Path>, tx: mpsc::Sender<Control>) -> notify::Result<Watch> {
    let (raw_tx, mut raw_rx) = mpsc::unbounded_channel::<Control>();
    let control = state_dir.map(|d| d.join(CONTROL_FILE));
    let state_dir_owned = state_dir.map(Path::to_path_buf);
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        let Ok(event) = event else { return };
        if matches!(event.kind, notify::EventKind::Access(_)) {
            return;
        }
        for path in &event.paths {
            let kind = if let (Some(dir), Some(control)) = (&state_dir_owned, &control)
                && path.starts_with(dir)
            {
                if path.file_name() == control.file_name() { Some(Control::LedgerChanged) } else { None }
            } else if path.extension().is_some_and(|e| e == "toml") {
                Some(Control::Reload)
            } else {
                None
            };
            if let Some(k) = kind {
                let _ = raw_tx.send(k);
            }
        }
    })?;
    for dir in [root.join(crate::config::CAMPAIGNS_DIR), root.join("config")] {
        if dir.is_dir() {
            watcher.watch(&dir, RecursiveMode::Recursive)?;
        }
    }
    if let Some(dir) = state_dir {
        std::fs::create_dir_all(dir).map_err(notify::Error::io)?;
        watcher.watch(dir, RecursiveMode::NonRecursive)?;
    }
    tokio::spawn(async move {
        while let Some(first) = raw_rx.recv().await {
            let (mut reload, mut changed) = (first == Control::Reload, first == Control::LedgerChanged);
            // Collect the rest of the burst.
            while let Ok(Some(next)) = tokio::time::timeout(DEBOUNCE, raw_rx.recv()).await {
                reload |= next == Control::Reload;
                changed |= next == Control::LedgerChanged;
            }
            for (wanted, event) in [(reload, Control::Reload), (changed, Control::LedgerChanged)] {
                if wanted && tx.send(event).await.is_err() {
                    return;
                }
            }
        }
    });
    Ok(Watch { _watcher: watcher })
}

/// Turns SIGHUP into [`Control::Reload`] and SIGTERM / SIGINT into [`Control::Shutdown`].
pub fn signals(tx: mpsc::Sender<Control>) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut hup = signal(SignalKind::hangup())?;
        let mut term = signal(SignalKind::terminate())?;
        let mut int = signal(SignalKind::interrupt())?;
        tokio::spawn(async move {
            loop {
                let event = tokio::select! {
                    _ = hup.recv() => Control::Reload,
                    _ = term.recv() => Control::Shutdown,
                    _ = int.recv() => Control::Shutdown,
                };
                if tx.send(event).await.is_err() {
                    return;
                }
            }
        });
    }
    #[cfg(not(unix))]
    {
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                let _ = tx.send(Control::Shutdown).await;
            }
        });
    }
    Ok(())
}

/// Tells a running daemon that the ledger changed (after `herald pause`, `resume`, `resolve`).
pub fn poke(state_dir: &Path) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(state_dir)?;
    let path = state_dir.join(CONTROL_FILE);
    std::fs::write(&path, chrono::Utc::now().to_rfc3339())?;
    Ok(path)
}
