//! Loading the project for the daemon, file by file: a campaign file with errors never runs; its last
//! good version keeps running instead, and other files are unaffected.
//!
//! A load runs the same checks as `herald check` (files, then every rendered post). A file with errors
//! is replaced by the last version of it that had none, kept in `state_dir/last-good.json` so it
//! survives restarts; a file with errors and no good version does not run at all. Errors in
//! `config/herald.toml` keep the whole previous project running (the config affects every file).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::config::{CONFIG_PATH, ConfigError, Project, load_project_with};
use crate::diagnostic::Diagnostic;

/// The last good text of each campaign file, by its path relative to the project.
#[derive(Debug, Default)]
pub struct LastGood {
    path: Option<PathBuf>,
    files: BTreeMap<String, String>,
    /// Why the kept versions could not be read, when they could not: the daemon reports it.
    pub damaged: Option<String>,
}

impl LastGood {
    /// The versions kept in `state_dir` (none yet on a first run). A file that cannot be read or is
    /// not what herald wrote is moved aside (`last-good.json.damaged`, for a person to look at) and
    /// said in [`LastGood::damaged`]: its files start with no good version.
    pub fn open(state_dir: &Path) -> Self {
        let path = state_dir.join("last-good.json");
        let read = match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| e.to_string()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BTreeMap::new()),
            Err(e) => Err(e.to_string()),
        };
        let (files, damaged) = match read {
            Ok(files) => (files, None),
            Err(why) => {
                let aside = path.with_extension("json.damaged");
                let moved = match std::fs::rename(&path, &aside) {
                    Ok(()) => format!("; it was moved to {}", aside.display()),
                    Err(_) => String::new(),
                };
                let why = format!(
                    "the last good versions of the campaign files ({}) cannot be read ({why}){moved}: a file with errors now runs no version until it is fixed",
                    path.display()
                );
                (BTreeMap::new(), Some(why))
            }
        };
        Self { path: Some(path), files, damaged }
    }

    /// Versions kept in memory only (a dry run).
    pub fn in_memory() -> Self {
        Self::default()
    }

    fn save(&self) -> std::io::Result<()> {
        let Some(path) = &self.path else { return Ok(()) };
        let tmp = path.with_extension("json.tmp");
        let bytes = serde_json::to_vec(&self.files).map_err(std::io::Error::other)?;
        let mut file = std::fs::File::create(&tmp)?;
        std::io::Write::write_all(&mut file, &bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    }
}

/// A project as the daemon runs it.
#[derive(Debug)]
pub struct Loaded {
    pub project: Project,
    /// Every problem found (as `herald check` reports them), in the files as they are on disk.
    pub diagnostics: Vec<Diagnostic>,
    /// Files with errors running their last good version.
    pub kept: Vec<String>,
    /// Files with errors and no good version: not running.
    pub dropped: Vec<String>,
}

/// Why the project could not be loaded at all.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error(transparent)]
    Read(#[from] ConfigError),
    #[error("{CONFIG_PATH} has errors")]
    Config(Vec<Diagnostic>),
}

/// Loads the project at `root`, replacing each campaign file that has errors by its last good version.
pub fn load(root: &Path, last_good: &mut LastGood) -> Result<Loaded, LoadError> {
    let first = load_project_with(root, None, &BTreeMap::new())?;
    let diagnostics = crate::check::errors(&first.project, first.diagnostics);
    if diagnostics.iter().any(|d| d.is_error() && file_of(d) == Some(CONFIG_PATH)) {
        return Err(LoadError::Config(diagnostics));
    }
    let bad = files_with_errors(&diagnostics);
    let replaced: BTreeMap<String, String> =
        bad.iter().filter_map(|f| Some((f.clone(), last_good.files.get(f)?.clone()))).collect();
    let (mut project, still_bad) = if replaced.is_empty() {
        (first.project, bad.clone())
    } else {
        let second = load_project_with(root, None, &replaced)?;
        let again = crate::check::errors(&second.project, second.diagnostics);
        (second.project, files_with_errors(&again))
    };
    for campaign in &mut project.campaigns {
        if still_bad.contains(&*campaign.source.path) {
            campaign.broken = true;
        }
    }
    // Remember every file that is good as it is on disk; forget files that are gone.
    let mut good: BTreeMap<String, String> = project
        .campaigns
        .iter()
        .filter(|c| !bad.contains(&*c.source.path))
        .map(|c| (c.source.path.to_string(), c.source.text.to_string()))
        .collect();
    for f in &bad {
        if let Some(text) = last_good.files.get(f) {
            good.insert(f.clone(), text.clone());
        }
    }
    if good != last_good.files {
        last_good.files = good;
        if let Err(e) = last_good.save() {
            tracing::warn!(error = %e, "the last good versions of the campaign files could not be saved");
        }
    }
    let kept = replaced.keys().filter(|f| !still_bad.contains(*f)).cloned().collect();
    let dropped = still_bad.into_iter().collect();
    Ok(Loaded { project, diagnostics, kept, dropped })
}

fn file_of(d: &Diagnostic) -> Option<&str> {
    d.source.as_ref().map(|s| &*s.path)
}

fn files_with_errors(diagnostics: &[Diagnostic]) -> BTreeSet<String> {
    diagnostics.iter().filter(|d| d.is_error()).filter_map(file_of).map(str::to_string).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_damaged_last_good_file_is_reported_and_moved_aside_not_ignored() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(LastGood::open(dir.path()).damaged, None, "no file yet is a first run, not damage");
        let path = dir.path().join("last-good.json");
        std::fs::write(&path, b"{\"campaigns/c.toml\": \"[campaign]\\n").unwrap();
        let opened = LastGood::open(dir.path());
        let why = opened.damaged.expect("reported");
        assert!(why.contains("last-good.json") && why.contains("cannot be read"), "{why}");
        assert!(opened.files.is_empty());
        assert!(!path.exists() && dir.path().join("last-good.json.damaged").exists(), "kept for a person to look at");
    }
}
