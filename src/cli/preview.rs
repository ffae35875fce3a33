//! `herald preview`.

use std::fmt::Write as _;
use std::io::Write;
use std::path::Path;

use super::{EXIT_OK, EXIT_PROBLEMS, Format, Output};
use crate::config::{ConfigError, load_project};
use crate::diagnostic;
use crate::preview;
use crate::schedule::Filter;

/// Previews `filter` (whose `from` and `to` are set) in `format`; `color` is for (stdout, stderr).
pub fn run(
    dir: &Path,
    filter: &Filter,
    format: Format,
    color: (bool, bool),
    out: &mut dyn Write,
) -> Result<Output, ConfigError> {
    let (campaigns, channels) = (&filter.campaigns, &filter.channels);
    let from = filter.from.unwrap_or_default();
    let to = filter.to.unwrap_or_default();
    let loaded = load_project(dir, None)?;
    let project = &loaded.project;
    let mut stderr = String::new();
    let mut errors: Vec<_> = loaded.diagnostics.iter().filter(|d| d.is_error()).cloned().collect();
    diagnostic::sort(&mut errors);
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
                let help = diagnostic::did_you_mean(w, known.iter().copied())
                    .unwrap_or_else(|| format!("known: {}", known.join(", ")));
                stderr.push_str(&format!("error: unknown {what} `{w}`\n  help: {help}\n"));
                return Ok(Output { stdout: String::new(), stderr, code: super::EXIT_FAILURE });
            }
        }
    }
    let summary = match format {
        Format::Json => preview::write_json(project, filter, out),
        Format::Text => preview::write_text(project, filter, color.0, out),
    }
    .map_err(|source| ConfigError::Write { source })?;
    if format == Format::Text {
        let mut tail = String::new();
        if summary.posts == 0 {
            let _ = writeln!(tail, "Nothing is scheduled from {from} to {to}.");
            for c in &project.campaigns {
                let _ = writeln!(
                    tail,
                    "  campaign {} runs from {} to {} (try --from {})",
                    c.id, c.starts, c.ends, c.starts
                );
            }
        } else {
            let _ = writeln!(
                tail,
                "{} from {from} to {to}{}{}",
                diagnostic::plural(summary.posts, "scheduled publication"),
                if summary.warnings > 0 {
                    format!(", {}", diagnostic::plural(summary.warnings, "warning"))
                } else {
                    String::new()
                },
                if summary.failed > 0 {
                    format!(", {} that cannot be published", summary.failed)
                } else {
                    String::new()
                },
            );
        }
        out.write_all(tail.as_bytes()).map_err(|source| ConfigError::Write { source })?;
    }
    let code = if summary.failed > 0 { EXIT_PROBLEMS } else { EXIT_OK };
    Ok(Output { stdout: String::new(), stderr, code })
}
