//! Loading a project directory: `config/herald.toml` and the campaign files in `campaigns/`.
//!
//! Owns the file-system side of configuration (finding and reading files, naming them relative to the
//! project) and the order of validation: the config first (channels and custom days), then each campaign
//! against it. Parsing lives in [`schema`] (raw `Toml*` types, read through [`reader`]), checking in
//! [`validate`], and the result is the [`model`]. Files with errors are left out of the [`Project`] and
//! their problems returned beside it, so one broken campaign never hides the others. Files are read with
//! CRLF line endings made LF ([`lf_line_endings`]), and problems a broken `config/herald.toml` causes in
//! campaign files are folded under it as a note (`fold_under_root_cause`).

pub mod model;
pub mod names;
pub mod reader;
pub mod schema;
pub mod time;
pub mod validate;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use thiserror::Error;

pub use model::{Campaign, Channel, Config, Media, Post, Project, Target, When, create_state_dir};

use crate::days::Calendar;
use crate::diagnostic::{Diagnostic, Source};
use crate::render::template::Templates;

/// Where the daemon config lives inside a project directory.
pub const CONFIG_PATH: &str = "config/herald.toml";
/// Where campaign files live inside a project directory.
pub const CAMPAIGNS_DIR: &str = "campaigns";
/// The environment variable that gives the state folder, over the config's `state_dir`: a service can
/// keep its state outside a read-only checkout without editing the calendar repository.
pub const STATE_DIR_ENV: &str = "HERALD_STATE_DIR";

/// A failure to read the project at all (as opposed to problems in its files, which are diagnostics).
#[derive(Debug, Error)]
pub enum ConfigError {
    #[error(
        "{dir} is not a herald project: there is no {CONFIG_PATH} in it\n  help: run herald in the folder that holds config/ and campaigns/, or pass -C DIR"
    )]
    NotAProject { dir: String },
    #[error("cannot read {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("cannot write the output: {source}")]
    Write { source: std::io::Error },
}

/// A loaded project and every problem found while loading it.
#[derive(Debug)]
pub struct Loaded {
    pub project: Project,
    pub diagnostics: Vec<Diagnostic>,
}

/// Validates a config file's text; used by [`load_project`] and by tests.
pub fn load_config(source: &Source, calendar: &Calendar) -> (Config, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let mut calendar = calendar.clone();
    let raw = schema::read_config(source, &mut diags);
    let config = validate::config(source, raw, &mut calendar, &mut diags);
    (config, diags)
}

/// Loads the project at `root`: its config and either every campaign file or only `only`.
pub fn load_project(root: &Path, only: Option<&[PathBuf]>) -> Result<Loaded, ConfigError> {
    load_project_with(root, only, &BTreeMap::new())
}

/// [`load_project`], reading the campaign files named in `replaced` (by their path relative to the
/// project, as diagnostics show it) from the given text instead of from disk: the daemon keeps running
/// the last good version of a file that now has errors.
pub fn load_project_with(
    root: &Path,
    only: Option<&[PathBuf]>,
    replaced: &BTreeMap<String, String>,
) -> Result<Loaded, ConfigError> {
    // Absolute paths, so that file names are shown relative to the project and media folders are
    // never empty paths.
    let root = &std::path::absolute(root).unwrap_or_else(|_| root.to_path_buf());
    let config_path = root.join(CONFIG_PATH);
    if !config_path.is_file() {
        return Err(ConfigError::NotAProject { dir: root.display().to_string() });
    }
    let mut diagnostics = Vec::new();
    let config_source = read_source(root, &config_path)?;
    if let Some(d) = invalid_utf8(&config_source) {
        diagnostics.push(d);
    }
    let mut calendar = Calendar::builtin();
    let before = diagnostics.len();
    let raw = schema::read_config(&config_source, &mut diagnostics);
    // A config that cannot be read has no channels: each campaign's channels follow from its errors.
    let unreadable = raw.channels.is_empty() && diagnostics[before..].iter().any(Diagnostic::is_error);
    let mut config = validate::config(&config_source, raw, &mut calendar, &mut diagnostics);
    if unreadable {
        config.unreadable = Some(0..config_source.text.len() + 1);
    }
    if let Some(dir) = state_dir_from_env(std::env::var_os(STATE_DIR_ENV)) {
        config.state_dir = Some(dir);
    }

    let files = match only {
        Some(files) => files.to_vec(),
        None => campaign_files(&root.join(CAMPAIGNS_DIR))?,
    };
    if files.is_empty() && only.is_none() {
        diagnostics.push(
            Diagnostic::warning(format!("no campaign files in {CAMPAIGNS_DIR}/"))
                .help("add a campaign file such as campaigns/my-campaign.toml (see README.md)"),
        );
    }
    let mut templates = Templates::default();
    let mut campaigns: Vec<Campaign> = Vec::new();
    let mut ids: HashMap<String, String> = HashMap::new();
    let cx = validate::Context { config: &config, calendar: &calendar };
    for path in files {
        let path = std::path::absolute(&path).unwrap_or(path);
        let mut source = read_source(root, &path)?;
        if let Some(text) = replaced.get(&*source.path) {
            source = Source::new(source.path.to_string(), lf_line_endings(text.clone()));
        }
        if let Some(d) = invalid_utf8(&source) {
            diagnostics.push(d);
            continue;
        }
        let Some(raw) = schema::read_campaign(&source, &mut diagnostics) else { continue };
        let header = raw.campaign.as_ref().map(|c| c.header.clone());
        let Some(campaign) = validate::campaign(&source, &path, raw, &cx, &mut templates, &mut diagnostics) else {
            continue;
        };
        if let Some(first) = ids.get(&campaign.id) {
            diagnostics.push(
                Diagnostic::error(format!("campaign id `{}` is already used by {first}", campaign.id))
                    .at(&source, header.unwrap_or(0..0))
                    .help("give each campaign file its own `id` in `[campaign]`"),
            );
            continue;
        }
        ids.insert(campaign.id.clone(), source.path.to_string());
        campaigns.push(campaign);
    }
    campaigns.sort_by(|a, b| a.id.cmp(&b.id));
    fold_under_root_cause(&mut diagnostics);
    Ok(Loaded { project: Project { root: root.to_path_buf(), config, calendar, campaigns, templates }, diagnostics })
}

/// Folds each problem caused by a mistake in `config/herald.toml` (a campaign naming a channel whose
/// table has an error) under that mistake's error, as a note: the root cause is reported once, first,
/// with where it has effects, instead of as many unrelated-looking errors.
fn fold_under_root_cause(diagnostics: &mut Vec<Diagnostic>) {
    let is_config = |d: &Diagnostic| d.source.as_ref().is_some_and(|s| &*s.path == CONFIG_PATH);
    let mut caused: Vec<(usize, Vec<String>)> = Vec::new();
    let mut folded = vec![false; diagnostics.len()];
    for (i, d) in diagnostics.iter().enumerate() {
        let Some(table) = &d.caused_by else { continue };
        let root = diagnostics
            .iter()
            .position(|r| r.is_error() && is_config(r) && r.span.as_ref().is_some_and(|s| table.contains(&s.start)));
        let Some(root) = root else { continue };
        let at = d.location().unwrap_or_default();
        match caused.iter_mut().find(|(r, _)| *r == root) {
            Some((_, places)) => places.push(at),
            None => caused.push((root, vec![at])),
        }
        folded[i] = true;
    }
    for (root, places) in caused {
        let n = places.len();
        let shown: Vec<&str> = places.iter().take(5).map(String::as_str).collect();
        let more = if n > 5 { format!(" and {} more", n - 5) } else { String::new() };
        let note = format!(
            "{} in campaign files {} from this (a channel it leaves out is used there): {}{more}",
            crate::diagnostic::plural(n, "error"),
            if n == 1 { "follows" } else { "follow" },
            shown.join(", ")
        );
        diagnostics[root].notes.push(note);
    }
    let mut i = 0;
    diagnostics.retain(|_| {
        i += 1;
        !folded[i - 1]
    });
}

/// The state folder [`STATE_DIR_ENV`] gives, when it is set and not empty; a relative path is taken
/// from the current directory (as a shell user means it), not from the project.
fn state_dir_from_env(value: Option<std::ffi::OsString>) -> Option<PathBuf> {
    let value = PathBuf::from(value.filter(|v| !v.is_empty())?);
    Some(std::path::absolute(&value).unwrap_or(value))
}

/// Reads a file into a [`Source`] named relative to the project root.
fn read_source(root: &Path, path: &Path) -> Result<Source, ConfigError> {
    let shown = path.strip_prefix(root).unwrap_or(path).display().to_string();
    let bytes = std::fs::read(path).map_err(|source| ConfigError::Read { path: shown.clone(), source })?;
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        // Kept readable (invalid bytes become U+FFFD) so the problem can be shown in place; see
        // [`invalid_utf8`].
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    };
    Ok(Source::new(shown, lf_line_endings(text)))
}

/// The text with Windows line endings (CRLF) made plain line feeds.
///
/// What: a file saved with CRLF line endings reads exactly as the same file with LF. Why: TOML keeps
/// the line endings inside a multi-line `"""` text, so each line of a post would carry a carriage
/// return to the platform (and count against its limit). Lines and columns do not change, as the
/// carriage return ends the line. Example: `text = """\r\nWater\r\n"""` is `"Water\n"`.
pub fn lf_line_endings(text: String) -> String {
    if text.contains("\r\n") { text.replace("\r\n", "\n") } else { text }
}

/// A diagnostic for a file that is not UTF-8 text, at its first invalid byte, or `None` if it is text.
fn invalid_utf8(source: &Source) -> Option<Diagnostic> {
    let at = source.text.find('\u{FFFD}')?;
    Some(
        Diagnostic::error("this file is not UTF-8 text")
            .at(source, at..at + '\u{FFFD}'.len_utf8())
            .help("save the file as UTF-8 (every editor has this option); herald reads no other encoding"),
    )
}

/// Every `*.toml` under `dir`, recursively, sorted; hidden folders are skipped.
fn campaign_files(dir: &Path) -> Result<Vec<PathBuf>, ConfigError> {
    let mut out = Vec::new();
    if !dir.is_dir() {
        return Ok(out);
    }
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries =
            std::fs::read_dir(&d).map_err(|source| ConfigError::Read { path: d.display().to_string(), source })?;
        for entry in entries {
            let entry = entry.map_err(|source| ConfigError::Read { path: d.display().to_string(), source })?;
            let path = entry.path();
            let hidden = entry.file_name().to_string_lossy().starts_with('.');
            if path.is_dir() && !hidden {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "toml") && !hidden {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_dir_from_env_ignores_unset_and_empty_and_makes_relative_paths_absolute() {
        assert_eq!(state_dir_from_env(None), None);
        assert_eq!(state_dir_from_env(Some("".into())), None);
        assert_eq!(state_dir_from_env(Some("/var/lib/herald".into())), Some(PathBuf::from("/var/lib/herald")));
        let relative = state_dir_from_env(Some("state".into())).unwrap();
        assert_eq!(relative, std::env::current_dir().unwrap().join("state"));
    }
}
