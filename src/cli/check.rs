//! `herald check [FILE…]`.

use std::path::{Path, PathBuf};

use super::{EXIT_OK, EXIT_PROBLEMS, Output};
use crate::config::{ConfigError, load_project};
use crate::diagnostic;

/// How `check` reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum CheckFormat {
    #[default]
    Text,
    Json,
    /// GitHub Actions workflow commands (`::error file=…,line=…::…`), one per problem.
    Github,
}

/// The project folder's path inside its git repository (`""` at the root, or outside a repository),
/// found by looking for `.git` upwards, so GitHub annotations name files as the repository does.
fn repository_prefix(dir: &Path) -> String {
    let Ok(dir) = std::fs::canonicalize(dir) else { return String::new() };
    for root in dir.ancestors() {
        if root.join(".git").exists() {
            let inside = dir.strip_prefix(root).unwrap_or(Path::new(""));
            return inside.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/");
        }
    }
    String::new()
}

pub fn run(
    dir: &Path,
    files: &[PathBuf],
    deny_warnings: bool,
    online: bool,
    format: CheckFormat,
    color: bool,
    today: chrono::NaiveDate,
) -> Result<Output, ConfigError> {
    // Like `git -C`, relative paths are relative to the project directory.
    let only: Vec<PathBuf> = files.iter().map(|f| dir.join(f)).collect();
    for f in &only {
        if !f.is_file() {
            let why = if f.is_dir() { "it is a directory, not a campaign file" } else { "no such file" };
            return Err(ConfigError::Read {
                path: f.display().to_string(),
                source: std::io::Error::new(std::io::ErrorKind::NotFound, why),
            });
        }
    }
    // Posts whose dates are all before today are noted as past.
    let now = today.and_time(chrono::NaiveTime::MIN).and_utc();
    let loaded = load_project(dir, (!only.is_empty()).then_some(only.as_slice()))?;
    let mut diags = crate::check::check_at(&loaded.project, loaded.diagnostics, now);
    let mut probed = Vec::new();
    if online {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|source| ConfigError::Write { source })?;
        let (lines, more) = rt.block_on(crate::check::probe_channels(&loaded.project, &|n| std::env::var(n).ok()));
        probed = lines;
        diags.extend(more);
        diagnostic::sort(&mut diags);
    }
    let (errors, warnings, _notes) = diagnostic::counts(&diags);
    let code = if errors > 0 || (deny_warnings && warnings > 0) { EXIT_PROBLEMS } else { EXIT_OK };
    Ok(match format {
        CheckFormat::Json => {
            Output { stdout: format!("{}\n", diagnostic::to_json(&diags)), stderr: String::new(), code }
        }
        CheckFormat::Github => {
            Output { stdout: diagnostic::to_github(&diags, &repository_prefix(dir)), stderr: String::new(), code }
        }
        CheckFormat::Text => {
            let mut stderr: String = probed.iter().map(|l| format!("{l}\n")).collect();
            stderr.push_str(&diagnostic::render_all(&diags, color));
            if diags.is_empty() {
                let probes: String = probed.iter().map(|l| format!("{l}\n")).collect();
                let p = &loaded.project;
                let posts: usize = p.campaigns.iter().map(|c| c.posts.len()).sum();
                stderr = probes
                    + &format!(
                        "ok: {} checked ({} in {}), no problems\n",
                        diagnostic::plural(p.campaigns.len(), "campaign"),
                        diagnostic::plural(posts, "post"),
                        diagnostic::plural(p.config.channels.len(), "channel")
                    );
            }
            Output { stdout: String::new(), stderr, code }
        }
    })
}
