//! The commands that read or settle the daemon's ledger: `status`, `plan`, `pause`, `resume` and
//! `resolve`. They work while the daemon runs (the ledger takes several processes) and tell a running
//! daemon about a change by touching the state folder's control file.
//!
//! Their text output shows what the ledger holds (the platforms' error messages, addresses) through
//! [`crate::terminal::visible`]; `--format json` keeps the exact text.
//!
//! `status` and `plan` only read: they open the ledger with
//! [`SqliteStore::open_read_only`], so they never create, migrate or write it. No ledger yet (nothing
//! at its path, or an empty file the daemon never committed to) is said plainly and exits 0; anything
//! else at that path that is not a readable herald ledger (a folder, a named pipe, a symbolic link to
//! nothing, another file, a damaged file) is an error, exit 2.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

use chrono::{DateTime, Utc};

use super::{EXIT_FAILURE, EXIT_OK, EXIT_PROBLEMS, Format, Output};
use crate::config::{Project, load_project};
use crate::daemon::plan::Plan;
use crate::daemon::watch;
use crate::ledger::sqlite::SqliteStore;
use crate::ledger::{OccurrenceKey, PauseScope, Record, RecordFilter, Resolution, Status, Store};
use crate::terminal::{visible, visible_line};

fn fail(message: impl std::fmt::Display) -> Output {
    Output { stderr: visible(&format!("error: {message}\n")).into_owned(), code: EXIT_FAILURE, ..Output::default() }
}

/// The project and its ledger (created if missing only when `create`).
fn open(dir: &Path, create: bool) -> Result<(Project, Option<SqliteStore>), Output> {
    let loaded = load_project(dir, None).map_err(fail)?;
    let project = loaded.project;
    let path = project.config.ledger_path(&project.root);
    let store = if create { SqliteStore::open(&path).map(Some) } else { SqliteStore::open_if_exists(&path) };
    Ok((project, store.map_err(fail)?))
}

fn tell_daemon(project: &Project) {
    let _ = watch::poke(&project.config.state_dir(&project.root));
}

fn record_json(r: &Record) -> serde_json::Value {
    serde_json::json!({
        "key": r.key.to_string(),
        "campaign": r.key.campaign(),
        "post": r.key.post(),
        "channel": r.key.channel(),
        "scheduled": r.key.at().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "status": r.status.as_str(),
        "attempts": r.attempts,
        "url": r.url,
        "remote_id": r.remote_id,
        "error": r.last_error,
        "next_attempt": r.next_attempt_at.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
        "sent_at": r.sent_at.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
    })
}

/// One record on one line (two when it needs a decision); the platform's words and addresses are
/// shown through [`visible_line`], so a line break or control character in them cannot break or
/// rewrite the table.
fn line(r: &Record) -> String {
    let error = r.last_error.as_deref().map(visible_line).unwrap_or_default();
    let at = r.key.at().format("%Y-%m-%d %H:%M UTC");
    let what = format!("{}/{} → {}", r.key.campaign(), r.key.post(), r.key.channel());
    match r.status {
        Status::Sent => {
            format!("  {at}  {what}  {}", visible_line(r.url.as_deref().or(r.remote_id.as_deref()).unwrap_or("")))
        }
        Status::Retrying => format!(
            "  {at}  {what}  retrying at {} ({error})",
            r.next_attempt_at.map(|t| t.format("%H:%M:%S").to_string()).unwrap_or_default(),
        ),
        Status::Scheduled | Status::Sending => format!("  {at}  {what}  {}", r.status),
        _ => format!(
            "  {at}  {what}  {}: {error}\n      herald resolve {} --sent URL | --retry | --skip",
            r.status, r.key
        ),
    }
}

/// `herald status`.
pub fn status(dir: &Path, format: Format, now: DateTime<Utc>) -> Output {
    let project = match load_project(dir, None) {
        Ok(loaded) => loaded.project,
        Err(e) => return fail(e),
    };
    let store = match SqliteStore::open_read_only(project.config.ledger_path(&project.root)) {
        Ok(store) => store,
        Err(e) => return fail(e),
    };
    let Some(store) = store else {
        let mut stdout = format!(
            "No ledger yet at {}: the daemon has not run here.\n  help: start it with `herald run` (or try `herald run --dry-run`)\n",
            project.config.ledger_path(&project.root).display()
        );
        // The usual reason on a server: the service's state folder is given by the environment.
        if std::env::var_os(crate::config::STATE_DIR_ENV).is_none_or(|v| v.is_empty()) {
            stdout.push_str(&format!(
                "  help: a daemon run as a service keeps its ledger where {env} says (the systemd unit: /var/lib/herald): set the same {env} for this command\n",
                env = crate::config::STATE_DIR_ENV
            ));
        }
        return Output { stdout, ..Output::default() };
    };
    let get = |f: RecordFilter| store.records(&f);
    let result = (|| -> Result<_, crate::ledger::LedgerError> {
        let next = get(RecordFilter {
            statuses: vec![Status::Scheduled, Status::Retrying, Status::Sending],
            from: Some(now - chrono::Duration::hours(1)),
            limit: Some(10),
            ..RecordFilter::default()
        })?;
        let sent = get(RecordFilter {
            statuses: vec![Status::Sent],
            newest_first: true,
            limit: Some(20),
            ..RecordFilter::default()
        })?;
        let attention = get(RecordFilter {
            statuses: Status::ALL.into_iter().filter(|s| s.needs_attention()).collect(),
            ..RecordFilter::default()
        })?;
        Ok((next, sent, attention, store.pauses()?, store.counts()?))
    })();
    let (next, sent, attention, pauses, counts) = match result {
        Ok(x) => x,
        Err(e) => return fail(e),
    };
    let code = if attention.iter().any(|r| r.status == Status::Unknown) { EXIT_PROBLEMS } else { EXIT_OK };
    if format == Format::Json {
        let json = serde_json::json!({
            "next": next.iter().map(record_json).collect::<Vec<_>>(),
            "sent": sent.iter().map(record_json).collect::<Vec<_>>(),
            "attention": attention.iter().map(record_json).collect::<Vec<_>>(),
            "paused": pauses.iter().map(|p| serde_json::json!({"campaign": p.campaign, "channel": p.channel})).collect::<Vec<_>>(),
            "counts": counts.iter().map(|c| serde_json::json!({"campaign": c.campaign, "channel": c.channel, "status": c.status.as_str(), "count": c.count})).collect::<Vec<_>>(),
        });
        return Output { stdout: format!("{json:#}\n"), code, ..Output::default() };
    }
    let mut out = String::new();
    for p in &pauses {
        let _ = writeln!(out, "PAUSED: {p} (herald resume to lift it)");
    }
    if !pauses.is_empty() {
        out.push('\n');
    }
    let mut section = |title: &str, records: &[Record]| {
        let _ = writeln!(out, "{title}");
        if records.is_empty() {
            let _ = writeln!(out, "  (none)");
        }
        for r in records {
            let _ = writeln!(out, "{}", line(r));
        }
        out.push('\n');
    };
    section("Needs attention (unknown, failed, missed):", &attention);
    section("Next:", &next);
    section("Sent (latest first):", &sent);
    let mut table: BTreeMap<(String, String), BTreeMap<&str, u64>> = BTreeMap::new();
    for c in &counts {
        *table.entry((c.campaign.clone(), c.channel.clone())).or_default().entry(c.status.as_str()).or_default() +=
            c.count;
    }
    let _ = writeln!(out, "Per campaign and channel:");
    for ((campaign, channel), by_status) in &table {
        let parts: Vec<String> = by_status.iter().map(|(s, n)| format!("{n} {s}")).collect();
        let _ = writeln!(out, "  {campaign} on {channel}: {}", parts.join(", "));
    }
    // The ledger is a file like any other: what it holds is shown, never acted on by the terminal.
    Output { stdout: visible(&out).into_owned(), code, ..Output::default() }
}

/// `herald pause` / `herald resume`.
pub fn pause(dir: &Path, campaign: Option<String>, channel: Option<String>, paused: bool, all: bool) -> Output {
    let (project, store) = match open(dir, true) {
        Ok((p, Some(s))) => (p, s),
        Ok((_, None)) => return fail("no ledger"),
        Err(out) => return out,
    };
    if let Some(c) = &campaign
        && !project.campaigns.iter().any(|x| &x.id == c)
    {
        let help =
            crate::diagnostic::did_you_mean(c, project.campaigns.iter().map(|x| x.id.as_str())).unwrap_or_default();
        return fail(format!("unknown campaign `{c}`\n  help: {help}"));
    }
    if let Some(c) = &channel
        && project.config.channel(c).is_none()
    {
        let help = crate::diagnostic::did_you_mean(c, project.config.channels.iter().map(|x| x.name.as_str()))
            .unwrap_or_default();
        return fail(format!("unknown channel `{c}`\n  help: {help}"));
    }
    let scope = PauseScope { campaign, channel };
    let result = if !paused && all {
        store.pauses().and_then(|ps| ps.iter().try_fold(false, |changed, p| Ok(store.set_paused(p, false)? || changed)))
    } else {
        store.set_paused(&scope, paused)
    };
    let changed = match result {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    tell_daemon(&project);
    let stdout = match (paused, changed, all) {
        (true, true, _) => format!("paused: {scope}; nothing of it is published until `herald resume`\n"),
        (true, false, _) => format!("{scope} was already paused\n"),
        (false, true, true) => "every pause is lifted\n".to_string(),
        (false, true, false) => format!("resumed: {scope}; posts still within their catch-up window go out now\n"),
        (false, false, _) => {
            let left = store.pauses().unwrap_or_default();
            let mut s = format!("{scope} was not paused\n");
            if !left.is_empty() {
                let names: Vec<String> = left.iter().map(ToString::to_string).collect();
                let _ = writeln!(
                    s,
                    "  paused now: {}\n  help: resume with the same --campaign/--channel, or `herald resume --all`",
                    names.join("; ")
                );
            }
            s
        }
    };
    Output { stdout, ..Output::default() }
}

/// `herald resolve KEY --sent URL | --retry | --skip`.
pub fn resolve(dir: &Path, key: &str, resolution: Resolution, now: DateTime<Utc>) -> Output {
    let key: OccurrenceKey = match key.parse() {
        Ok(k) => k,
        Err(e) => return fail(format!("{e}\n  help: `herald status` lists the keys of posts that need a decision")),
    };
    let (project, store) = match open(dir, false) {
        Ok((p, Some(s))) => (p, s),
        Ok((p, None)) => return fail(format!("no ledger at {}", p.config.ledger_path(&p.root).display())),
        Err(out) => return out,
    };
    match store.resolve(&key, resolution, now) {
        Ok(r) => {
            tell_daemon(&project);
            Output { stdout: format!("{key}: {}\n", r.status), ..Output::default() }
        }
        Err(e) => fail(e),
    }
}

/// `herald plan`: what the files change against what the ledger has scheduled or sent.
pub fn plan(dir: &Path, format: Format, now: DateTime<Utc>) -> Output {
    let loaded = match load_project(dir, None) {
        Ok(l) => l,
        Err(e) => return fail(e),
    };
    let errors: Vec<_> = loaded.diagnostics.iter().filter(|d| d.is_error()).cloned().collect();
    if !errors.is_empty() {
        return Output {
            stderr: crate::diagnostic::render_all(&errors, false) + "plan stopped: fix these problems first\n",
            code: EXIT_PROBLEMS,
            ..Output::default()
        };
    }
    let project = std::sync::Arc::new(loaded.project);
    let path = project.config.ledger_path(&project.root);
    let (records, no_ledger) = match SqliteStore::open_read_only(&path) {
        Ok(Some(store)) => match store.records(&RecordFilter::default()) {
            Ok(r) => (r, false),
            Err(e) => return fail(e),
        },
        Ok(None) => (Vec::new(), true),
        Err(e) => return fail(e),
    };
    let window = Plan::window_start(&project, now);
    let earliest = records.iter().map(|r| r.key.at()).min().unwrap_or(window).min(window);
    let plan = Plan::new(project.clone(), earliest);
    let planned: BTreeSet<OccurrenceKey> =
        plan.occurrences.iter().filter(|o| o.at_utc >= window).filter_map(|o| plan.key(o)).collect();
    let by_key: BTreeMap<&OccurrenceKey, &Record> = records.iter().map(|r| (&r.key, r)).collect();
    let mut changes: Vec<(char, &str, OccurrenceKey, String)> = Vec::new();
    let mut unchanged = 0;
    for key in &planned {
        match by_key.get(key).map(|r| r.status) {
            None => changes.push(('+', "new", key.clone(), "will be scheduled".into())),
            Some(Status::Cancelled) => changes.push(('+', "restored", key.clone(), "planned again".into())),
            Some(_) => unchanged += 1,
        }
    }
    for r in &records {
        if r.status == Status::Scheduled && r.key.at() > now && !planned.contains(&r.key) {
            changes.push(('-', "cancelled", r.key.clone(), "no longer in the files".into()));
        }
        if plan.edited_since_sent(r) {
            let url = r.url.clone().unwrap_or_default();
            changes.push((
                '~',
                "edited after sent",
                r.key.clone(),
                format!("sent as {url}; the edit is NOT published"),
            ));
        }
    }
    changes.sort_by(|a, b| a.2.cmp(&b.2));
    if format == Format::Json {
        let json = serde_json::json!({
            "changes": changes.iter().map(|(_, kind, key, note)| serde_json::json!({"change": kind, "key": key.to_string(), "note": note})).collect::<Vec<_>>(),
            "unchanged": unchanged,
        });
        return Output { stdout: format!("{json:#}\n"), ..Output::default() };
    }
    let mut out = String::new();
    for (sign, kind, key, note) in &changes {
        let _ = writeln!(out, "{sign} {key}  ({kind}: {note})");
    }
    let count = |k: &str| changes.iter().filter(|c| c.1 == k).count();
    let _ = writeln!(
        out,
        "\nPlan: {} to schedule, {} to cancel, {} edited after sending (not re-sent), {unchanged} unchanged.",
        count("new") + count("restored"),
        count("cancelled"),
        count("edited after sent")
    );
    if no_ledger {
        let _ = writeln!(out, "(no ledger yet at {}: everything is new)", path.display());
    }
    Output { stdout: visible(&out).into_owned(), ..Output::default() }
}
