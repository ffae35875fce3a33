//! `herald check`: every problem in a project, found by validating the files and rendering every post
//! for every channel on every date of its campaign.
//!
//! Owns the checks that need rendered text (length limits, hashtag and mention caps, template runtime
//! errors, control characters a template puts in the text), the "this post never goes out" check (with a
//! `day` moved out of the campaign by its offset), and posts whose dates are all past; file-level checks
//! are in [`crate::config`].
//! Checks over a channel's whole calendar (publishing caps, repeated texts) are in [`crate::pacing`].

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Datelike as _, NaiveDate, Utc};

use crate::channels::registry;
use crate::config::reader::span_in_string;
use crate::config::{Campaign, Post, Project, When};
use crate::diagnostic::Diagnostic;
use crate::render::{self, RenderError};
use crate::schedule::Filter;
use crate::terminal::{describe, hostile};

/// Renders every occurrence in every campaign's window and returns the problems found, added to
/// `diagnostics` (the problems found while loading); posts whose dates are all before now are warned.
pub fn check(project: &Project, diagnostics: Vec<Diagnostic>) -> Vec<Diagnostic> {
    check_at(project, diagnostics, chrono::Utc::now())
}

/// [`check`], taking `now` as the present moment (for posts already past).
pub fn check_at(project: &Project, diagnostics: Vec<Diagnostic>, now: DateTime<Utc>) -> Vec<Diagnostic> {
    run(project, diagnostics, Some(now))
}

/// Only the errors [`check`] finds: what decides whether a file can run (the daemon's loads, `plan
/// --against`). The checks over a channel's whole calendar (caps, repeated texts) and the note on past
/// posts, which can only warn, are not run: they would cost every reload and be thrown away.
pub fn errors(project: &Project, diagnostics: Vec<Diagnostic>) -> Vec<Diagnostic> {
    let mut found = run(project, diagnostics, None);
    found.retain(Diagnostic::is_error);
    found
}

/// The checks; `now` is `None` for errors only (see [`errors`]).
fn run(project: &Project, mut diagnostics: Vec<Diagnostic>, now: Option<DateTime<Utc>>) -> Vec<Diagnostic> {
    check_credentials(project, &|name| std::env::var(name).ok(), &mut diagnostics);
    let occurrences = project.occurrences(&Filter { include_broken: true, ..Filter::default() });
    let mut seen_posts = HashSet::new();
    let mut reported = HashSet::new();
    let mut pacing = now.map(|_| crate::pacing::Tracker::default());
    for occ in &occurrences {
        seen_posts.insert((occ.campaign, occ.post));
        let campaign = &project.campaigns[occ.campaign];
        let post = &campaign.posts[occ.post];
        let target = &post.targets[occ.target];
        let channel = &project.config.channels[target.channel];
        let when = occ.at_local.format("%Y-%m-%d %H:%M");
        match render::render(project, occ) {
            Ok(r) => {
                if let Some(pacing) = &mut pacing {
                    pacing.record(project, occ, &r.parts);
                }
                // What a template adds (a `[[day]]` name, an escape in a template string) is checked as
                // rendered; what the file holds was checked where it is written.
                let template = project.templates.source(target.template).unwrap_or_default();
                let written = |c: char| template.contains(c) || target.link.as_ref().is_some_and(|l| l.contains(c));
                let rendered = r.parts.join("\n");
                for c in rendered.chars().filter(|c| hostile(*c) && !written(*c)) {
                    if !reported.insert((occ.campaign, occ.post, usize::MAX - 1, c.to_string())) {
                        continue;
                    }
                    let message = format!("post `{}`: its rendered text has {}", post.id, describe(c));
                    let d = if c == '\0' {
                        Diagnostic::error(message).help("a NUL cannot be published; remove what puts it there")
                    } else {
                        Diagnostic::warning(message)
                            .help("a template puts it there (a `[[day]]` name, an escape in a template string): it would be published as is; remove it")
                    };
                    diagnostics.push(d.at(&campaign.source, target.text_span.clone()));
                }
                for w in r.warnings {
                    if reported.insert((occ.campaign, occ.post, occ.target, w.message.clone())) {
                        diagnostics.push(
                            Diagnostic::warning(format!(
                                "post `{}` on channel `{}`: {}",
                                post.id, channel.name, w.message
                            ))
                            .at(&campaign.source, target.text_span.clone())
                            .help(w.help),
                        );
                    }
                }
            }
            Err(e) => {
                // A template error is the same on every channel: report it once per post.
                let is_template = matches!(e, RenderError::Template { .. });
                let target_key = if is_template { usize::MAX } else { occ.target };
                let kind = std::mem::discriminant(&e);
                if !reported.insert((occ.campaign, occ.post, target_key, format!("{kind:?}"))) {
                    continue;
                }
                let on = if is_template { String::new() } else { format!(" on channel `{}`", channel.name) };
                let span = match (&e, project.templates.source(target.template)) {
                    (RenderError::Template { range, .. }, Some(text)) => {
                        span_in_string(&campaign.source.text, target.text_span.clone(), text, range.clone())
                    }
                    _ => target.text_span.clone(),
                };
                diagnostics.push(
                    Diagnostic::error(format!("post `{}`{on} ({when}): {e}", post.id))
                        .at(&campaign.source, span)
                        .help_opt(e.help()),
                );
            }
        }
    }
    // A post that goes to no channel was reported when its file was read (or its mistakes were).
    for (ci, campaign) in project.campaigns.iter().enumerate() {
        for (pi, post) in campaign.posts.iter().enumerate() {
            if post.targets.is_empty() {
                continue;
            }
            let shifted_out = shifted_out(project, campaign, post);
            if !seen_posts.contains(&(ci, pi)) {
                let (message, help) = match shifted_out.first() {
                    Some(out) => (format!("post `{}` never goes out: {out}", post.id), SHIFTED_HELP.to_string()),
                    None => never_out(project, campaign, post),
                };
                diagnostics.push(Diagnostic::error(message).at(&campaign.source, post.when_span.clone()).help(help));
            } else {
                for out in shifted_out {
                    diagnostics.push(
                        Diagnostic::warning(format!("post `{}` does not go out that year: {out}", post.id))
                            .at(&campaign.source, post.when_span.clone())
                            .help(SHIFTED_HELP.to_string()),
                    );
                }
            }
        }
    }
    if let (Some(now), Some(pacing)) = (now, pacing) {
        past(project, &occurrences, now, &mut diagnostics);
        diagnostics.extend(pacing.finish(project));
    }
    crate::diagnostic::sort(&mut diagnostics);
    diagnostics
}

/// Posts all of whose occurrences are before `now`: a note, not a warning. Why: a date copied from
/// last year's calendar or a year typed wrong would otherwise be left out in silence; but a post that
/// has simply gone out is not a mistake, so the note never fails `check` (not even with
/// `--deny-warnings`, which a calendar repository's CI uses for months). Example: `date = 2020-03-08`
/// says "post `a` is dated in the past (2020-03-08 09:00): herald will not send it".
fn past(project: &Project, occurrences: &[crate::schedule::Occurrence], now: DateTime<Utc>, out: &mut Vec<Diagnostic>) {
    let mut last: HashMap<(usize, usize), DateTime<Utc>> = HashMap::new();
    let mut local = HashMap::new();
    for occ in occurrences {
        let at = last.entry((occ.campaign, occ.post)).or_insert(occ.at_utc);
        if occ.at_utc >= *at {
            *at = occ.at_utc;
            local.insert((occ.campaign, occ.post), occ.at_local);
        }
    }
    for ((ci, pi), at) in last {
        if at >= now {
            continue;
        }
        let campaign = &project.campaigns[ci];
        let post = &campaign.posts[pi];
        let when = local.get(&(ci, pi)).map(|l| l.format("%Y-%m-%d %H:%M").to_string()).unwrap_or_default();
        let what =
            if matches!(post.when, When::Date(_)) { "is dated in the past" } else { "has its last date in the past" };
        out.push(
            Diagnostic::notice(format!("post `{}` {what} ({when}): herald will not send it", post.id))
                .at(&campaign.source, post.when_span.clone())
                .help("if it has not gone out yet, give it a date to come; a post that has gone out can stay"),
        );
    }
}

/// Each date of a `day` post that its offset moves out of the campaign, in words: "World Water Day
/// (2027-03-22) moved by its `offset` is on 2026-12-12, outside the campaign (2027-03-01 to 2027-12-31)".
fn shifted_out(project: &Project, campaign: &Campaign, post: &Post) -> Vec<String> {
    let When::Day { id } = &post.when else { return Vec::new() };
    let Some(day) = project.calendar.get(id) else { return Vec::new() };
    let window = campaign.starts..=campaign.ends;
    let mut out = Vec::new();
    for year in campaign.starts.year()..=campaign.ends.year() {
        let Some(date) = day.date_in(year).filter(|d| window.contains(d)) else { continue };
        let moved: Vec<NaiveDate> = post
            .targets
            .iter()
            .map(|t| (date.and_time(t.time) + t.offset).date())
            .filter(|d| !window.contains(d))
            .collect();
        if let Some(moved) = moved.first() {
            out.push(format!(
                "{} ({date}) moved by its `offset` is on {moved}, outside the campaign ({} to {})",
                day.name, campaign.starts, campaign.ends
            ));
        }
    }
    out
}

const SHIFTED_HELP: &str = "change the `offset`, or widen `starts`/`ends` in `[campaign]`: herald takes the day's dates inside the campaign, never the year before or after";

/// Channels whose configured credentials cannot be found (a warning: previews and checks need none, the
/// daemon and `send` do). Only where each credential was looked for is said, never a value.
pub fn check_credentials(project: &Project, env: &dyn Fn(&str) -> Option<String>, diagnostics: &mut Vec<Diagnostic>) {
    let Some(source) = &project.config.source else { return };
    let configured: Vec<_> = project.config.channels.iter().filter(|c| !c.credentials.is_empty()).collect();
    if configured.is_empty() {
        return;
    }
    // A secrets file that is not on this machine (a reviewer's clone, a CI runner: it lives on the
    // server) is a warning like a credential missing from the environment; one that is there but
    // unusable is an error.
    let mut absent = false;
    let file = match project.config.secrets(&project.root) {
        Ok(f) => f,
        Err(e) => {
            absent = matches!(&e, crate::secrets::SecretsError::Read { .. })
                && project.config.secrets_file.as_ref().is_some_and(|p| !project.root.join(p).exists());
            let d = if absent {
                Diagnostic::warning(e.to_string())
                    .help("`file:` credentials cannot be read here; the daemon and `herald send` need the file, `check`, `preview` and `plan` do not")
            } else {
                Diagnostic::error(e.to_string())
            };
            diagnostics.push(d.in_file(source));
            None
        }
    };
    for channel in configured {
        if let Err(missing) = registry::credentials(channel, file.as_ref(), env) {
            for (name, why) in missing {
                let why = match why {
                    crate::secrets::SecretsError::NoFile if absent => {
                        "the secrets file is not on this machine".to_string()
                    }
                    why => why.to_string(),
                };
                diagnostics.push(
                    Diagnostic::warning(format!(
                        "channel `{}` cannot publish: credential `{name}` is missing ({why})",
                        channel.name
                    ))
                    .at(source, channel.credentials_span.clone())
                    .help("set it before running the daemon or `herald send`; `check` and `preview` work without it"),
                );
            }
        }
    }
}

/// Why a post has no occurrence in its campaign, and what to do about it.
fn never_out(project: &Project, campaign: &Campaign, post: &Post) -> (String, String) {
    let window = format!("{} to {}", campaign.starts, campaign.ends);
    match &post.when {
        When::Day { id } => {
            let years = campaign.starts.year()..=campaign.ends.year();
            let dated = project.calendar.get(id).is_some_and(|d| years.clone().any(|y| d.date_in(y).is_some()));
            if !dated {
                return (
                    format!("post `{}` never goes out: day `{id}` has no date in {}", post.id, years_text(years)),
                    format!(
                        "this day's date is set year by year or it starts later; add its dates in config/herald.toml: `[[day]] id = \"{id}\"`, `name = …`, `dates = [YYYY-MM-DD]`"
                    ),
                );
            }
        }
        When::Cron(rule) => {
            return (
                format!(
                    "post `{}` never goes out: the cron rule `{}` matches no time from {window}",
                    post.id, rule.text
                ),
                "check the day-of-month, month and day-of-week fields: they must all match on some day".into(),
            );
        }
        When::Date(_) => {}
    }
    (
        format!("post `{}` never goes out: its date is outside the campaign ({window})", post.id),
        "move the post's date inside the campaign, or widen `starts`/`ends` in `[campaign]`".into(),
    )
}

fn years_text(years: std::ops::RangeInclusive<i32>) -> String {
    if years.start() == years.end() {
        years.start().to_string()
    } else {
        format!("{}–{}", years.start(), years.end())
    }
}

/// `check --online`: each channel's harmless authenticated probe (it reads the account, never posts).
/// Returns a line per channel that answered, and a diagnostic per channel that did not.
pub async fn probe_channels(project: &Project, env: &dyn Fn(&str) -> Option<String>) -> (Vec<String>, Vec<Diagnostic>) {
    let (mut lines, mut diagnostics) = (Vec::new(), Vec::new());
    let Some(source) = &project.config.source else { return (lines, diagnostics) };
    // A secrets file that cannot be used was already reported by `check_credentials`.
    let file = project.config.secrets(&project.root).ok().flatten();
    let Ok(http) = crate::dispatch::boundary::Boundary::live(std::time::Duration::from_secs(20)) else {
        return (lines, diagnostics);
    };
    let tokens = crate::tokens::TokenStore::new(&project.config.state_dir(&project.root));
    for channel in &project.config.channels {
        let span = channel.credentials_span.clone();
        let fail =
            |message: String, help: &str| Diagnostic::error(message).at(source, span.clone()).help(help.to_string());
        let secrets = match registry::credentials(channel, file.as_ref(), env) {
            Ok(s) => s,
            Err(missing) => {
                let names: Vec<String> = missing.iter().map(|(n, _)| format!("`{n}`")).collect();
                diagnostics.push(fail(
                    format!(
                        "channel `{}` cannot be checked online: missing credentials {}",
                        channel.name,
                        names.join(", ")
                    ),
                    "configure `[channels.NAME.credentials]` and set them (see README.md, \"Publishing\")",
                ));
                continue;
            }
        };
        let adapter = match registry::build(channel, &secrets, &tokens) {
            Ok(a) => a,
            Err(why) => {
                diagnostics.push(Diagnostic::warning(why).at(source, span.clone()));
                continue;
            }
        };
        match adapter.probe(&http).await {
            // The account's name is the platform's text: shown, never acted on by the terminal.
            Ok(who) => lines.push(format!("{}: ok, {}", channel.name, crate::terminal::visible_line(&who))),
            Err(outcome) => diagnostics.push(fail(
                format!("channel `{}` failed its online check: {}", channel.name, outcome),
                "check the credentials and the app's permissions on the platform",
            )),
        }
    }
    (lines, diagnostics)
}
