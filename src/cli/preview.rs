//! `herald preview`.

use std::fmt::Write as _;
use std::path::Path;

use chrono::NaiveDate;

use super::{EXIT_OK, EXIT_PROBLEMS, Format, Output};
use crate::config::{ConfigError, load_project};
use crate::diagnostic;
use crate::preview;
use crate::schedule::Filter;

pub fn run(
    dir: &Path,
    from: NaiveDate,
    to: NaiveDate,
    campaigns: &[String],
    channels: &[String],
    format: Format,
    color: (bool, bool),
) -> Result<Output, ConfigError> {
    let loaded = load_project(dir, None)?;
    let project = &loaded.project;
    let mut stderr = String::new();
    let errors: Vec<_> = loaded.diagnostics.iter().filter(|d| d.is_error()).cloned().collect();
    if !errors.is_empty() {
        stderr.push_str(&diagnostic::render_all(&errors, color.1));
        stderr.push_str("preview stopped: fix these problems first (`herald check` lists warnings too)\n");
        return Ok(Output { stdout: String::new(), stderr, code: EXIT_PROBLEMS });
    }
    for (what, wanted, known) in [
        ("campaign", campaigns, project.campaigns.iter().map(|c| c.id.as_str()).collect::<Vec<_>>()),
        ("channel", channels, project.config.channels.iter().map(|c| c.name.as_str()).collect()),
    ] {
        for w in wanted {
            if !known.contains(&w.as_str()) {
                let help = diagnostic::did_you_mean(w, known.iter().copied()).unwrap_or_else(|| format!("known: {}", known.join(", ")));
                stderr.push_str(&format!("error: unknown {what} `{w}`\n  help: {help}\n"));
                return Ok(Output { stdout: String::new(), stderr, code: super::EXIT_FAILURE });
            }
        }
    }
    let filter = Filter { from: Some(from), to: Some(to), campaigns: campaigns.to_vec(), channels: channels.to_vec() };
    let entries = preview::entries(project, &filter);
    let failed = entries.iter().filter(|e| e.error.is_some()).count();
    let code = if failed > 0 { EXIT_PROBLEMS } else { EXIT_OK };
    let stdout = match format {
        Format::Json => format!("{}\n", preview::to_json(&entries)),
        Format::Text => {
            let mut out = preview::to_text(&entries, color.0);
            let warnings: usize = entries.iter().map(|e| e.warnings.len()).sum();
            if entries.is_empty() {
                let _ = writeln!(out, "Nothing is scheduled from {from} to {to}.");
                for c in &project.campaigns {
                    let _ = writeln!(out, "  campaign {} runs from {} to {} (try --from {})", c.id, c.starts, c.ends, c.starts);
                }
            } else {
                let _ = writeln!(
                    out,
                    "{} from {from} to {to}{}{}",
                    diagnostic::plural(entries.len(), "post"),
                    if warnings > 0 { format!(", {}", diagnostic::plural(warnings, "warning")) } else { String::new() },
                    if failed > 0 { format!(", {failed} that cannot be published") } else { String::new() },
                );
            }
            out
        }
    };
    Ok(Output { stdout, stderr, code })
}
