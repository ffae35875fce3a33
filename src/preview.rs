//! `herald preview`: the timeline of what would be published, where and when.
//!
//! Owns the [`Entry`] (one post on one channel at one time, rendered) and its presentations: a
//! terminal view meant for people reviewing a calendar, a JSON array that is a stable interface
//! (documented in README.md; fields are only ever added), and an iCalendar feed (written by
//! [`crate::ics`]).
//!
//! An entry shows the [`Rendered`] value the adapters send, unchanged: its parts, link field and images
//! with their alt text are what each platform receives (as people read it: transport encoding such as
//! LinkedIn's little-text escaping is not shown; see [`crate::render`]).
//!
//! The terminal view shows every text from the files, the ledger and the renderer through
//! [`crate::terminal::visible`]: a control character, an escape sequence or a bidirectional control
//! in a post is shown as `<U+XXXX>`, never acted on. The JSON array keeps the exact text.

use std::fmt::Write as _;
use std::io::Write;

use serde::Serialize;

use crate::config::Project;
use crate::config::time::Localized;
use crate::render::{self, Rendered};
use crate::schedule::{Filter, Occurrence};
use crate::terminal::{visible, visible_line};

/// One post on one channel at one instant, as it would go out.
#[derive(Debug, Serialize)]
pub struct Entry<'a> {
    pub campaign: &'a str,
    pub post: &'a str,
    pub channel: &'a str,
    pub platform: &'static str,
    /// The channel's handle, with `@`.
    pub handle: &'a str,
    /// RFC 3339 in UTC.
    pub at_utc: String,
    /// RFC 3339 with the campaign time zone's offset.
    pub at_local: String,
    pub timezone: &'static str,
    /// Set when the local time did not exist or happened twice (DST): how it was resolved.
    pub dst: Option<&'static str>,
    pub day: Option<DayInfo<'a>>,
    /// The whole text, before any thread split.
    pub text: String,
    /// What is sent: one element, or the numbered parts of a thread.
    pub parts: Vec<String>,
    /// The first part's length as the platform counts it.
    pub length: usize,
    pub limit: usize,
    /// A link sent in its own API field (Facebook posts without images).
    pub link: Option<String>,
    /// The images, with the alt text sent; on an X thread they go with the first part.
    pub media: Vec<MediaInfo>,
    pub language: &'a str,
    /// `ltr` or `rtl`.
    pub direction: &'static str,
    pub warnings: Vec<String>,
    pub notes: Vec<String>,
    /// Why this post cannot be rendered (then `parts` is empty).
    pub error: Option<String>,
    /// What the daemon's ledger says of it, when there is a ledger: `sent`, `failed`, `unknown`,
    /// `missed`, `skipped`, `retrying`, `sending` (absent: not published yet).
    pub status: Option<&'static str>,
    /// The published post's address, once sent.
    pub url: Option<String>,
}

/// What the ledger knows of an occurrence: its status and, once sent, its address.
pub type LedgerView = dyn Fn(&Project, &Occurrence) -> Option<(&'static str, Option<String>)>;

#[derive(Debug, Serialize)]
pub struct DayInfo<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub date: String,
}

#[derive(Debug, Serialize)]
pub struct MediaInfo {
    pub file: String,
    pub alt: Option<String>,
    #[serde(rename = "type")]
    pub mime: &'static str,
    /// Where the file is on disk (for the HTML preview, which embeds it); not in the JSON.
    #[serde(skip)]
    pub path: std::path::PathBuf,
}

impl MediaInfo {
    fn list(media: &[crate::config::Media]) -> Vec<Self> {
        media
            .iter()
            .map(|m| MediaInfo { file: m.file.clone(), alt: m.alt.clone(), mime: m.kind.mime(), path: m.path.clone() })
            .collect()
    }
}

/// Counts of what a preview showed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    pub posts: usize,
    pub warnings: usize,
    /// Entries that cannot be published (render errors).
    pub failed: usize,
}

impl Summary {
    fn add(&mut self, e: &Entry<'_>) {
        self.posts += 1;
        self.warnings += e.warnings.len();
        self.failed += usize::from(e.error.is_some());
    }
}

/// Writes the JSON array, one entry per line, rendering as it goes (memory stays flat however long
/// the window).
pub fn write_json(
    project: &Project,
    filter: &Filter,
    ledger: &LedgerView,
    w: &mut dyn Write,
) -> std::io::Result<Summary> {
    let mut summary = Summary::default();
    w.write_all(b"[")?;
    for (i, occ) in project.occurrences(filter).iter().enumerate() {
        let e = entry_with_status(project, occ, ledger);
        summary.add(&e);
        w.write_all(if i == 0 { b"\n" } else { b",\n" })?;
        serde_json::to_writer(&mut *w, &e).map_err(std::io::Error::other)?;
    }
    w.write_all(b"\n]\n")?;
    Ok(summary)
}

/// Writes the iCalendar feed (see [`crate::ics`]), one event per entry, rendering as it goes.
pub fn write_ics(
    project: &Project,
    filter: &Filter,
    ledger: &LedgerView,
    w: &mut dyn Write,
) -> std::io::Result<Summary> {
    let mut summary = Summary::default();
    w.write_all(crate::ics::begin("herald: what goes out").as_bytes())?;
    for occ in project.occurrences(filter) {
        let e = entry_with_status(project, &occ, ledger);
        summary.add(&e);
        w.write_all(crate::ics::publication(&e).as_bytes())?;
    }
    w.write_all(crate::ics::end().as_bytes())?;
    Ok(summary)
}

/// Writes the terminal timeline, rendering as it goes.
pub fn write_text(
    project: &Project,
    filter: &Filter,
    ledger: &LedgerView,
    color: bool,
    w: &mut dyn Write,
) -> std::io::Result<Summary> {
    let mut summary = Summary::default();
    let mut last_date = String::new();
    for occ in project.occurrences(filter) {
        let e = entry_with_status(project, &occ, ledger);
        summary.add(&e);
        w.write_all(text_block(&e, &mut last_date, color).as_bytes())?;
    }
    Ok(summary)
}

/// One post on one channel, rendered.
pub fn entry<'a>(project: &'a Project, occ: &Occurrence) -> Entry<'a> {
    build_entry(project, occ, render::render(project, occ))
}

/// [`entry`], with what the ledger says of it (its status and the live post's address).
pub fn entry_with_status<'a>(project: &'a Project, occ: &Occurrence, ledger: &LedgerView) -> Entry<'a> {
    let mut e = entry(project, occ);
    (e.status, e.url) = ledger(project, occ).map_or((None, None), |(s, u)| (Some(s), u));
    e
}

fn build_entry<'a>(
    project: &'a Project,
    occ: &Occurrence,
    rendered: Result<Rendered, render::RenderError>,
) -> Entry<'a> {
    let campaign = &project.campaigns[occ.campaign];
    let post = &campaign.posts[occ.post];
    let target = &post.targets[occ.target];
    let channel = &project.config.channels[target.channel];
    let local = occ.at_utc.with_timezone(&campaign.tz);
    let day = occ.day_date.and_then(|date| match &post.when {
        crate::config::When::Day { id } => {
            project.calendar.get(id).map(|d| DayInfo { id: &d.id, name: &d.name, date: date.to_string() })
        }
        _ => None,
    });
    let mut e = Entry {
        campaign: &campaign.id,
        post: &post.id,
        channel: &channel.name,
        platform: channel.platform.name(),
        handle: &target.handle,
        at_utc: occ.at_utc.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        at_local: local.to_rfc3339_opts(chrono::SecondsFormat::Secs, false),
        timezone: campaign.tz.name(),
        dst: match occ.localized {
            Localized::Exact => None,
            Localized::ShiftedForward => Some("moved forward past the DST gap"),
            Localized::FirstOfTwo => Some("first of two (DST ends)"),
        },
        day,
        text: String::new(),
        parts: Vec::new(),
        length: 0,
        limit: channel.platform.rules().text_limit,
        link: None,
        media: MediaInfo::list(&target.media),
        language: target.language.as_str(),
        direction: if target.language.is_rtl() { "rtl" } else { "ltr" },
        warnings: Vec::new(),
        notes: Vec::new(),
        error: None,
        status: None,
        url: None,
    };
    match rendered {
        Ok(r) => {
            e.text = r.text;
            e.parts = r.parts;
            e.length = r.length;
            e.limit = r.limit;
            e.link = r.link_field;
            e.media = MediaInfo::list(&r.media);
            e.warnings = r.warnings.into_iter().map(|w| w.message).collect();
            e.notes = r.notes;
        }
        Err(err) => {
            e.text = err.text().unwrap_or_default().to_string();
            e.error = Some(err.to_string());
        }
    }
    e
}

/// ANSI styles, or nothing when colour is off.
struct Style {
    on: bool,
}

impl Style {
    fn paint(&self, code: &str, s: &str) -> String {
        if self.on { format!("\x1b[{code}m{s}\x1b[0m") } else { s.to_string() }
    }
}

/// One entry's block, preceded by a date heading when the local date changes.
fn text_block(e: &Entry<'_>, last_date: &mut String, color: bool) -> String {
    let st = Style { on: color };
    let mut out = String::new();
    {
        let date = &e.at_local[..10];
        if date != last_date.as_str() {
            let heading = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d")
                .map(|d| d.format("%A %-d %B %Y").to_string())
                .unwrap_or_else(|_| date.to_string());
            let _ = writeln!(out, "{}", st.paint("1;4", &heading));
            *last_date = date.to_string();
        }
        let time = &e.at_local[11..16];
        let utc = &e.at_utc[11..16];
        let length = if e.error.is_some() {
            String::new()
        } else {
            let s = format!("{}/{}", e.length, e.limit);
            st.paint(if e.length > e.limit { "31" } else { "32" }, &s)
        };
        let _ = writeln!(
            out,
            "  {} {}  {} → {} {}  {}",
            st.paint("1", time),
            st.paint("2", &format!("({} · {utc} UTC)", e.timezone)),
            st.paint("1", &format!("{}/{}", e.campaign, e.post)),
            st.paint("1;36", e.channel),
            st.paint("2", &format!("({} {})", e.platform, e.handle)),
            length
        );
        if let Some(day) = &e.day {
            let _ = writeln!(out, "    {}", st.paint("2", &format!("for {} ({})", visible_line(day.name), day.date)));
        }
        match (e.status, &e.url) {
            (Some("sent"), Some(url)) => {
                let _ = writeln!(out, "    {}", st.paint("32", &format!("✓ sent: {}", visible_line(url))));
            }
            (Some(status), _) => {
                let code = if matches!(status, "failed" | "unknown" | "missed") { "31" } else { "33" };
                let _ = writeln!(out, "    {}", st.paint(code, &format!("ledger: {status}")));
            }
            (None, _) => {}
        }
        if let Some(how) = e.dst {
            let _ = writeln!(out, "    {}", st.paint("33", &format!("DST: {how}")));
        }
        let images = |out: &mut String| {
            for m in &e.media {
                let alt = m
                    .alt
                    .as_ref()
                    .map_or_else(|| st.paint("33", "(no alt text)"), |a| format!("alt: \"{}\"", visible_line(a)));
                let _ = writeln!(out, "    image: {}  {alt}", visible_line(&m.file));
            }
        };
        let many = e.parts.len() > 1;
        for (i, part) in e.parts.iter().enumerate() {
            if many {
                let _ = writeln!(out, "    {}", st.paint("2", &format!("── part {} of {} ──", i + 1, e.parts.len())));
            }
            for line in part.lines() {
                let line = visible(line);
                // Right-to-left text is isolated so mixed-direction lines display in order (its own
                // bidirectional controls are shown visibly: they cannot undo the isolation).
                let line = if e.direction == "rtl" { format!("\u{2067}{line}\u{2069}") } else { line.to_string() };
                let _ = writeln!(out, "    │ {line}");
            }
            // A thread's images go with its first part.
            if many && i == 0 {
                images(&mut out);
            }
        }
        if e.parts.is_empty() {
            for line in e.text.lines() {
                let _ = writeln!(out, "    {} {}", st.paint("31", "│"), visible(line));
            }
        }
        if let Some(link) = &e.link {
            let _ = writeln!(out, "    link: {}", visible_line(link));
        }
        if !many {
            images(&mut out);
        }
        for n in &e.notes {
            let _ = writeln!(out, "    {}", st.paint("2", &format!("note: {}", visible(n))));
        }
        for w in &e.warnings {
            let _ = writeln!(out, "    {}", st.paint("33", &format!("warning: {}", visible(w))));
        }
        if let Some(err) = &e.error {
            let _ = writeln!(out, "    {}", st.paint("31", &format!("error: {}", visible(err))));
        }
        out.push('\n');
    }
    out
}
