//! `herald send CAMPAIGN/POST [--channel NAME]… [--dry-run]`: publish one post now, through the same
//! pipeline the daemon uses (render, adapter, boundary). A dry run shows every request, redacted.
//! What it prints (the platforms' messages, the requests' texts) goes through
//! [`crate::terminal::visible`].

use std::fmt::Write as _;
use std::path::Path;

use super::{EXIT_FAILURE, EXIT_OK, EXIT_PROBLEMS, Output};
use crate::channels::adapter::{Journal, Outgoing};
use crate::channels::registry;
use crate::config::{ConfigError, load_project};
use crate::diagnostic::{self, did_you_mean};
use crate::dispatch::boundary::Boundary;
use crate::dispatch::deliver::deliver;
use crate::dispatch::limits::ChannelLimits;
use crate::dispatch::outcome::Outcome;
use crate::dispatch::retry::RetryPolicy;
use crate::schedule::Filter;
use crate::terminal::visible;

/// The longest `herald send` waits before trying again: a person is waiting for the answer, so a
/// longer rate-limit window is reported (with when to try again) instead of waited out in silence.
const MAX_WAIT: std::time::Duration = std::time::Duration::from_secs(30);

/// `herald send` is run by a person waiting for the answer: a few quick retries, then it says why.
const SEND_POLICY: RetryPolicy = RetryPolicy {
    max_attempts: 3,
    base: std::time::Duration::from_secs(2),
    cap: std::time::Duration::from_secs(60),
    unclear_wait: std::time::Duration::from_secs(60),
    request_timeout: std::time::Duration::from_secs(30),
};

/// What to send.
#[derive(Debug)]
pub struct SendArgs<'a> {
    /// `CAMPAIGN/POST`.
    pub what: &'a str,
    pub channels: &'a [String],
    pub dry_run: bool,
}

/// A wait in words: "45 s", "15 min", "1 h 5 min".
fn human_wait(wait: std::time::Duration) -> String {
    let s = wait.as_secs();
    match s {
        0..120 => format!("{s} s"),
        120..3600 => format!("{} min", (s + 30) / 60),
        _ if (s / 60).is_multiple_of(60) => format!("{} h", s / 3600),
        _ => format!("{} h {} min", s / 3600, s % 3600 / 60),
    }
}

fn fail(message: String) -> Output {
    Output { stderr: visible(&message).into_owned(), code: EXIT_FAILURE, ..Output::default() }
}

pub async fn run(dir: &Path, args: &SendArgs<'_>, now: chrono::DateTime<chrono::Utc>) -> Result<Output, ConfigError> {
    let loaded = load_project(dir, None)?;
    let project = &loaded.project;
    let mut errors: Vec<_> = loaded.diagnostics.into_iter().filter(|d| d.is_error()).collect();
    if !errors.is_empty() {
        diagnostic::sort(&mut errors);
        let stderr = diagnostic::render_all(&errors, false) + "send stopped: fix these problems first\n";
        return Ok(Output { stderr, code: EXIT_PROBLEMS, ..Output::default() });
    }
    let Some((campaign_id, post_id)) = args.what.split_once('/') else {
        return Ok(fail(format!(
            "error: `{}` is not CAMPAIGN/POST\n  help: e.g. `herald send hs4a-2027/iwd`\n",
            args.what
        )));
    };
    let Some((ci, campaign)) = project.campaigns.iter().enumerate().find(|(_, c)| c.id == campaign_id) else {
        let help = did_you_mean(campaign_id, project.campaigns.iter().map(|c| c.id.as_str())).unwrap_or_default();
        return Ok(fail(format!("error: unknown campaign `{campaign_id}`\n  help: {help}\n")));
    };
    let Some(pi) = campaign.posts.iter().position(|p| p.id == post_id) else {
        let help = did_you_mean(post_id, campaign.posts.iter().map(|p| p.id.as_str())).unwrap_or_default();
        return Ok(fail(format!("error: unknown post `{post_id}` in campaign `{campaign_id}`\n  help: {help}\n")));
    };
    // The post's next occurrence on each channel (or its last, when all are past).
    let filter = Filter { campaigns: vec![campaign.id.clone()], channels: args.channels.to_vec(), ..Filter::default() };
    let all: Vec<_> = project.occurrences(&filter).into_iter().filter(|o| o.campaign == ci && o.post == pi).collect();
    let mut chosen = Vec::new();
    for target in 0..campaign.posts[pi].targets.len() {
        let mut mine = all.iter().filter(|o| o.target == target);
        if let Some(o) = mine.clone().find(|o| o.at_utc >= now).or_else(|| mine.next_back()) {
            chosen.push(o.clone());
        }
    }
    if chosen.is_empty() {
        return Ok(fail(format!("error: post `{}` has nothing to send on the channels asked for\n", args.what)));
    }
    let file = match project.config.secrets(&project.root) {
        Ok(f) => f,
        // A dry run shows the requests even without credentials (they are redacted anyway).
        Err(_) if args.dry_run => None,
        Err(e) => return Ok(fail(format!("error: {e}\n"))),
    };
    let boundary = if args.dry_run {
        Boundary::dry_run()
    } else {
        Boundary::live(std::time::Duration::from_secs(30))
            .map_err(|e| ConfigError::Write { source: std::io::Error::other(e) })?
    };
    let (mut stdout, mut code) = (String::new(), EXIT_OK);
    // The pause switches live in the ledger, when the project has one.
    let ledger =
        crate::ledger::sqlite::SqliteStore::open_read_only(project.config.ledger_path(&project.root)).ok().flatten();
    let paused = |channel: &str| {
        use crate::ledger::Store as _;
        ledger.as_ref().is_some_and(|s| s.is_paused(&campaign.id, channel).unwrap_or(false))
    };
    let tokens = crate::tokens::TokenStore::new(&project.config.state_dir(&project.root));
    for occ in &chosen {
        let target = &campaign.posts[pi].targets[occ.target];
        let channel = &project.config.channels[target.channel];
        let _ = writeln!(
            stdout,
            "{} → {} ({} @{}), for {}",
            args.what,
            channel.name,
            channel.platform,
            channel.handle,
            occ.at_local.format("%Y-%m-%d %H:%M")
        );
        if !args.dry_run && paused(&channel.name) {
            let _ = writeln!(stdout, "  not sent: paused (`herald resume` lifts the pause)");
            code = EXIT_FAILURE;
            continue;
        }
        let rendered = match crate::render::render(project, occ) {
            Ok(r) => r,
            Err(e) => {
                let _ = writeln!(stdout, "  cannot be published: {e}");
                code = EXIT_PROBLEMS;
                continue;
            }
        };
        let secrets = match registry::credentials(channel, file.as_ref(), &|n| std::env::var(n).ok()) {
            Ok(s) => s,
            Err(_) if args.dry_run => Default::default(),
            Err(missing) => {
                if channel.credentials.is_empty() {
                    let names: Vec<&str> = channel.auth.required.to_vec();
                    let _ = writeln!(
                        stdout,
                        "  not sent: channel `{}` has no credentials: add `[channels.{}.credentials]` with {} to config/herald.toml (see README.md, \"Publishing\")",
                        channel.name,
                        channel.name,
                        names.join(", ")
                    );
                } else {
                    for (name, why) in missing {
                        let _ = writeln!(stdout, "  not sent: credential `{name}` is missing ({why})");
                    }
                }
                code = EXIT_FAILURE;
                continue;
            }
        };
        let adapter = match registry::build(channel, &secrets, &tokens) {
            Ok(a) => a,
            Err(why) => {
                let _ = writeln!(stdout, "  not sent: {why}");
                code = EXIT_FAILURE;
                continue;
            }
        };
        let before = boundary.transcript().len();
        let campaigns_dir = project.root.join(crate::config::CAMPAIGNS_DIR);
        let outgoing = Outgoing {
            parts: &rendered.parts,
            link: rendered.link_field.as_deref(),
            media: &rendered.media,
            channel,
            campaigns_dir: &campaigns_dir,
        };
        let limits = std::sync::Arc::new(ChannelLimits::new(1));
        let http = boundary.for_channel(limits.clone());
        let mut retries = Vec::new();
        let mut journal = Journal::in_memory();
        let delivered =
            deliver(&adapter, &outgoing, &mut journal, &http, &limits, &SEND_POLICY, MAX_WAIT, |o, wait| {
                retries.push(format!("  {o}; trying again in {} s", wait.as_secs().max(1)));
            })
            .await;
        let outcome = delivered.outcome;
        for line in retries {
            let _ = writeln!(stdout, "{line}");
        }
        if let Some(wait) = delivered.stopped_before {
            let when = now + chrono::Duration::from_std(wait).unwrap_or_default();
            let _ = writeln!(
                stdout,
                "  not sent: {outcome}\n  the platform asks channel `{}` to wait {} (until {}): try `herald send {}{}` again then",
                channel.name,
                human_wait(wait),
                when.with_timezone(&campaign.tz).format("%H:%M %Z"),
                args.what,
                format_args!(" --channel {}", channel.name),
            );
            code = EXIT_PROBLEMS;
            continue;
        }
        if args.dry_run {
            let _ = writeln!(stdout, "  dry run: nothing was sent; the requests would be:");
            for req in &boundary.transcript()[before..] {
                for line in req.redacted().lines() {
                    let _ = writeln!(stdout, "    {line}");
                }
                stdout.push('\n');
            }
            continue;
        }
        let line = outcome.to_string();
        if !matches!(outcome, Outcome::Published { .. }) {
            code = EXIT_PROBLEMS;
        }
        let _ = writeln!(stdout, "  {line}");
    }
    // Outcomes carry the platforms' own words, and a dry run shows the texts: all of it is shown, never
    // acted on by the terminal.
    Ok(Output { stdout: visible(&stdout).into_owned(), stderr: String::new(), code })
}
