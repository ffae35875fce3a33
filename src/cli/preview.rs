//! `herald preview`: the terminal timeline, the JSON array or the HTML page ([`crate::preview_html`]),
//! to the terminal or, with `-o FILE`, to a file (through the same redactor as the terminal).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::Write;
use std::path::Path;

use super::{EXIT_OK, EXIT_PROBLEMS, Output, PreviewFormat};
use crate::channels::media::MediaType;
use crate::config::{ConfigError, load_project};
use crate::diagnostic;
use crate::ledger::{OccurrenceKey, RecordFilter, Status, Store as _};
use crate::preview;
use crate::preview_html;
use crate::schedule::Filter;

/// What the daemon's ledger says of the posts in the window, when the project has a ledger (opened
/// read-only: nothing is written). Posts not yet published are left out.
fn ledger_view(
    project: &crate::config::Project,
    filter: &Filter,
) -> HashMap<OccurrenceKey, (&'static str, Option<String>)> {
    let path = project.config.ledger_path(&project.root);
    let Ok(Some(store)) = crate::ledger::sqlite::SqliteStore::open_read_only(&path) else { return HashMap::new() };
    let day = |d: Option<chrono::NaiveDate>| d.and_then(|d| d.and_hms_opt(0, 0, 0)).map(|t| t.and_utc());
    let records = store
        .records(&RecordFilter {
            from: day(filter.from).map(|t| t - chrono::Duration::days(1)),
            until: day(filter.to).map(|t| t + chrono::Duration::days(2)),
            ..RecordFilter::default()
        })
        .unwrap_or_default();
    records
        .into_iter()
        .filter(|r| !matches!(r.status, Status::Scheduled | Status::Cancelled))
        .map(|r| (r.key, (r.status.as_str(), r.url)))
        .collect()
}

/// The images `entries` use, read for embedding in the HTML page (each once, with the largest
/// platform limit as bound: every image passed `check`'s limits for its channels). An image that
/// cannot be read is left out (the page shows a placeholder) with a warning in `warnings`.
fn read_images(entries: &[preview::Entry<'_>], warnings: &mut String) -> preview_html::Images {
    let limit = crate::channels::PLATFORMS.iter().map(|p| p.rules().max_image_bytes).max().unwrap_or(0);
    let mut images = preview_html::Images::new();
    for m in entries.iter().flat_map(|e| &e.media) {
        if images.contains_key(&m.path) {
            continue;
        }
        let Some(kind) = MediaType::from_extension(&m.file) else { continue };
        match crate::channels::media::read_bounded(&m.path, kind, limit) {
            Ok(bytes) => {
                images.insert(m.path.clone(), preview_html::Image::from_bytes(kind.mime(), &bytes));
            }
            Err(e) => {
                let file = crate::terminal::visible_line(&m.file);
                let why = crate::terminal::visible_line(&e.to_string()).into_owned();
                let _ = writeln!(warnings, "warning: image `{file}` is not in the page: {why}");
            }
        }
    }
    images
}

/// Writes the HTML page of `filter`'s publications.
fn write_html(
    project: &crate::config::Project,
    filter: &Filter,
    ledger: &preview::LedgerView,
    stderr: &mut String,
    out: &mut dyn Write,
) -> std::io::Result<preview::Summary> {
    let entries: Vec<preview::Entry<'_>> =
        project.occurrences(filter).iter().map(|occ| preview::entry_with_status(project, occ, ledger)).collect();
    let images = read_images(&entries, stderr);
    let channels: Vec<preview_html::ChannelInfo> = project
        .config
        .channels
        .iter()
        .map(|c| preview_html::ChannelInfo { name: c.name.clone(), platform: c.platform.name() })
        .collect();
    let campaign_names = project.campaigns.iter().map(|c| (c.id.clone(), c.name.clone())).collect();
    let page = preview_html::Page {
        from: filter.from.unwrap_or_default(),
        to: filter.to.unwrap_or_default(),
        entries: &entries,
        channels: &channels,
        campaign_names: &campaign_names,
        images: &images,
    };
    out.write_all(preview_html::page(&page).as_bytes())?;
    Ok(preview::Summary {
        posts: entries.len(),
        warnings: entries.iter().map(|e| e.warnings.len()).sum(),
        failed: entries.iter().filter(|e| e.error.is_some()).count(),
    })
}

/// Previews `filter` (whose `from` and `to` are set) in `format`, to `output` or else `out`; `color`
/// is for (stdout, stderr).
pub fn run(
    dir: &Path,
    filter: &Filter,
    format: PreviewFormat,
    output: Option<&Path>,
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
                let w = crate::terminal::visible_line(w);
                stderr.push_str(&format!("error: unknown {what} `{w}`\n  help: {help}\n"));
                return Ok(Output { stdout: String::new(), stderr, code: super::EXIT_FAILURE });
            }
        }
    }
    let ledger = ledger_view(project, filter);
    let view = move |p: &crate::config::Project, o: &crate::schedule::Occurrence| {
        let campaign = &p.campaigns[o.campaign];
        let key = crate::ledger::OccurrenceKey::new(
            &campaign.id,
            &campaign.posts[o.post].id,
            &p.config.channels[o.channel].name,
            o.at_utc,
        )
        .ok()?;
        ledger.get(&key).cloned()
    };
    // A file gets the same bytes as the terminal would (through the same redactor), without colour.
    let mut file;
    let (out, color_out): (&mut dyn Write, bool) = match output {
        None => (out, color.0),
        // Relative to the project folder, as every path herald is given (`-C DIR` works like git's).
        Some(path) => match std::fs::File::create(dir.join(path)) {
            Ok(f) => {
                file = crate::secrets::Redacting(std::io::BufWriter::new(f));
                (&mut file, false)
            }
            Err(e) => {
                let shown = crate::terminal::visible_line(&path.display().to_string()).into_owned();
                stderr.push_str(&format!(
                    "error: cannot write `{shown}`: {e}\n  help: check that its folder exists and is writable\n"
                ));
                return Ok(Output { stdout: String::new(), stderr, code: super::EXIT_FAILURE });
            }
        },
    };
    let summary = match format {
        PreviewFormat::Json => preview::write_json(project, filter, &view, out),
        PreviewFormat::Ics => preview::write_ics(project, filter, &view, out),
        PreviewFormat::Text => preview::write_text(project, filter, &view, color_out, out),
        PreviewFormat::Html => write_html(project, filter, &view, &mut stderr, out),
    }
    .map_err(|source| ConfigError::Write { source })?;
    if format == PreviewFormat::Text {
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
    out.flush().map_err(|source| ConfigError::Write { source })?;
    let mut stdout = String::new();
    if let Some(path) = output {
        let shown = crate::terminal::visible_line(&path.display().to_string()).into_owned();
        let _ = writeln!(
            stdout,
            "Wrote {} from {from} to {to} to {shown}",
            diagnostic::plural(summary.posts, "scheduled publication")
        );
    }
    let code = if summary.failed > 0 { EXIT_PROBLEMS } else { EXIT_OK };
    Ok(Output { stdout, stderr, code })
}
