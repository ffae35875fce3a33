//! The command line: argument definitions and the dispatch to each subcommand.
//!
//! Owns [`Cli`] (clap), the exit codes ([`ExitCode`]-compatible numbers: 0 ok, 1 problems found in the
//! files, 2 herald could not do its job) and colour choice. Each subcommand is one file; none of them
//! prints errors itself except through the value it returns to `main`.

mod check;
mod days;
mod init;
mod ledger;
mod preview;
mod review;
mod run;
mod send;

pub use check::CheckFormat;
pub use review::PlanFormat;
pub use run::LogFormat;

use std::io::IsTerminal as _;
use std::path::PathBuf;

use chrono::NaiveDate;
use clap::{Parser, Subcommand, ValueEnum};

/// Exit code: everything is fine (warnings alone do not fail).
pub const EXIT_OK: u8 = 0;
/// Exit code: problems were found in the config or campaign files.
pub const EXIT_PROBLEMS: u8 = 1;
/// Exit code: herald could not do its job (unreadable project, bad arguments, I/O failure).
pub const EXIT_FAILURE: u8 = 2;

/// herald — campaign calendars in TOML, checked, previewed and published on time.
#[derive(Debug, Parser)]
#[command(name = "herald", version, about, long_about = None)]
pub struct Cli {
    /// Run in DIR instead of the current directory (the folder holding config/ and campaigns/).
    #[arg(short = 'C', value_name = "DIR", global = true, default_value = ".")]
    pub dir: PathBuf,
    /// When to use colour.
    #[arg(long, value_enum, global = true, default_value_t = Color::Auto)]
    pub color: Color,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Color {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Format {
    #[default]
    Text,
    Json,
}

/// What `herald preview` writes: the terminal timeline, the JSON array, the visual page, or an
/// iCalendar feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum PreviewFormat {
    #[default]
    Text,
    Json,
    /// One self-contained HTML page: a calendar and a mock-up of every post (see README.md).
    Html,
    /// iCalendar (RFC 5545): one event per publication, to subscribe to in a calendar app.
    Ics,
}

/// `days --format`: the shared text and JSON, or an iCalendar feed of all-day events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum DaysFormat {
    #[default]
    Text,
    Json,
    /// iCalendar (RFC 5545): one all-day event per day.
    Ics,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check config and campaign files; report every problem with file:line:col.
    Check {
        /// Only these campaign files (default: every file in campaigns/).
        files: Vec<PathBuf>,
        /// Fail (exit 1) on warnings too.
        #[arg(long)]
        deny_warnings: bool,
        /// Also run each channel's harmless authenticated probe (reads the account, never posts).
        #[arg(long)]
        online: bool,
        /// `github`: one workflow command per problem, so GitHub Actions shows it on the line.
        #[arg(long, value_enum, default_value_t)]
        format: CheckFormat,
    },
    /// Show what would be published, where and when (nothing is sent).
    Preview {
        /// First local date to show (default: today).
        #[arg(long, value_name = "YYYY-MM-DD")]
        from: Option<NaiveDate>,
        /// Last local date to show (default: 30 days after --from).
        #[arg(long, value_name = "YYYY-MM-DD")]
        to: Option<NaiveDate>,
        /// Only this campaign (repeatable).
        #[arg(long = "campaign", value_name = "ID")]
        campaigns: Vec<String>,
        /// Only this channel (repeatable).
        #[arg(long = "channel", value_name = "NAME")]
        channels: Vec<String>,
        #[arg(long, value_enum, default_value_t)]
        format: PreviewFormat,
        /// Write the preview to FILE instead of the terminal (any format).
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Publish one post now (for a launch check), through the same pipeline as the daemon.
    Send {
        /// The post, as CAMPAIGN/POST (e.g. hs4a-2027/iwd).
        post: String,
        /// Only this channel (repeatable; default: every channel of the post).
        #[arg(long = "channel", value_name = "NAME")]
        channels: Vec<String>,
        /// Build and show every request (secrets redacted) without sending anything.
        #[arg(long)]
        dry_run: bool,
    },
    /// Run the daemon: publish every post at its time, exactly once (stop with SIGTERM or Ctrl-C).
    Run {
        /// Build and log every request (secrets redacted) without sending anything; the ledger is kept
        /// in memory only.
        #[arg(long)]
        dry_run: bool,
        #[arg(long, value_enum, default_value_t)]
        log_format: LogFormat,
        /// Rehearse (with --dry-run): play the schedule from this moment on a virtual clock. RFC 3339
        /// (2027-03-01T09:00:00Z), or YYYY-MM-DD[THH:MM[:SS]] in this machine's time zone.
        #[arg(long, value_name = "DATETIME", requires = "dry_run", value_parser = run::parse_moment)]
        from: Option<chrono::DateTime<chrono::Utc>>,
        /// End the rehearsal after this moment (default: when nothing more is scheduled).
        #[arg(long, value_name = "DATETIME", requires = "from", value_parser = run::parse_moment)]
        to: Option<chrono::DateTime<chrono::Utc>>,
        /// Play N times faster than real time (default: jump straight to each next post).
        #[arg(long, value_name = "N", requires = "from", value_parser = clap::value_parser!(u32).range(1..))]
        speed: Option<u32>,
    },
    /// What the daemon has sent, what is next, and what needs a person (read from the ledger).
    Status {
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// What the files change against what is scheduled or sent (like `terraform plan`), or with
    /// `--against REF` against the files at a git ref (for a pull request's review).
    Plan {
        /// Compare with the files at this git ref (e.g. origin/main) instead of with the ledger.
        #[arg(long, value_name = "REF")]
        against: Option<String>,
        /// `markdown` (with --against): for a comment on a pull request.
        #[arg(long, value_enum, default_value_t)]
        format: PlanFormat,
    },
    /// Stop publishing at once (everything, a campaign, a channel, or a campaign on a channel); it
    /// survives restarts.
    Pause {
        #[arg(long, value_name = "ID")]
        campaign: Option<String>,
        #[arg(long, value_name = "NAME")]
        channel: Option<String>,
    },
    /// Lift a pause (the same --campaign/--channel as the pause, or --all).
    Resume {
        #[arg(long, value_name = "ID")]
        campaign: Option<String>,
        #[arg(long, value_name = "NAME")]
        channel: Option<String>,
        /// Lift every pause.
        #[arg(long, conflicts_with_all = ["campaign", "channel"])]
        all: bool,
    },
    /// Settle a post whose outcome is unknown (or that failed or was missed).
    Resolve {
        /// The post's key, as `herald status` shows it (campaign/post/channel/time).
        key: String,
        /// It is live: record it as sent, at this address.
        #[arg(long, value_name = "URL", group = "how")]
        sent: Option<String>,
        /// It is not live: publish it again now.
        #[arg(long, group = "how")]
        retry: bool,
        /// Do not publish it.
        #[arg(long, group = "how")]
        skip: bool,
    },
    /// Create a new project (config, an example campaign, a .gitignore) that passes `herald check`.
    Init {
        /// The folder to create it in (default: the current folder, or -C DIR); it must not have
        /// config/ or campaigns/ yet.
        #[arg(value_name = "DIR")]
        folder: Option<PathBuf>,
    },
    /// List international days and their dates.
    Days {
        /// The year to list (default: this year).
        #[arg(long, conflicts_with = "from")]
        year: Option<i32>,
        #[arg(long, value_name = "YYYY-MM-DD", requires = "to")]
        from: Option<NaiveDate>,
        #[arg(long, value_name = "YYYY-MM-DD", requires = "from")]
        to: Option<NaiveDate>,
        #[arg(long, value_enum, default_value_t)]
        format: DaysFormat,
    },
}

/// What a command produced: text for stdout (besides what it streamed), text for stderr, and the exit
/// code.
#[derive(Debug, Default)]
pub struct Output {
    pub stdout: String,
    pub stderr: String,
    pub code: u8,
}

/// The environment variable that sets the day herald takes as today (`YYYY-MM-DD`): `check`'s note on
/// posts already past, `preview`'s default window, `days`' default year, `init`'s example campaign.
/// The same answer on any day: tests, a CI job checking an old commit again.
pub const TODAY_ENV: &str = "HERALD_TODAY";

/// Today: the day `HERALD_TODAY` gives, else `now`'s (unset or empty); an error message (to print, exit
/// 2) for anything that is not a date.
pub fn today(value: Option<std::ffi::OsString>, now: NaiveDate) -> Result<NaiveDate, String> {
    let Some(value) = value.filter(|v| !v.is_empty()) else { return Ok(now) };
    let text = value.to_string_lossy();
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").map_err(|_| {
        format!(
            "error: {TODAY_ENV} is `{}`, not a date\n  help: write it as YYYY-MM-DD (2027-03-08), or unset it to use today\n",
            crate::terminal::visible_line(&text)
        )
    })
}

/// Runs the parsed command line. `today` is injected so output is reproducible in tests; long output
/// (the preview timeline) is streamed to `stdout` as it is produced.
pub fn run(cli: &Cli, today: NaiveDate, stdout: &mut dyn std::io::Write) -> Output {
    let color = match cli.color {
        Color::Always => (true, true),
        Color::Never => (false, false),
        Color::Auto => {
            let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
            (!no_color && std::io::stdout().is_terminal(), !no_color && std::io::stderr().is_terminal())
        }
    };
    let result = match &cli.command {
        Command::Check { files, deny_warnings, online, format } => {
            check::run(&cli.dir, files, *deny_warnings, *online, *format, color.1, today)
        }
        Command::Preview { from, to, campaigns, channels, format, output } => {
            let from = from.unwrap_or(today);
            let to = to.unwrap_or(from + chrono::Duration::days(30));
            if to < from {
                return Output {
                    stderr: format!("error: --to {to} is before --from {from}\n  help: swap the two dates\n"),
                    code: EXIT_FAILURE,
                    ..Output::default()
                };
            }
            let filter = crate::schedule::Filter {
                from: Some(from),
                to: Some(to),
                campaigns: campaigns.clone(),
                channels: channels.clone(),
                include_broken: false,
            };
            preview::run(&cli.dir, &filter, *format, output.as_deref(), color, stdout)
        }
        Command::Init { folder } => {
            let dir = match folder {
                Some(d) if cli.dir != std::path::Path::new(".") => cli.dir.join(d),
                Some(d) => d.clone(),
                None => cli.dir.clone(),
            };
            Ok(init::run(&dir, today))
        }
        Command::Days { year, from, to, format } => days::run(&cli.dir, *year, *from, *to, *format, today),
        Command::Run { dry_run, log_format, from, to, speed } => {
            if let (Some(from), Some(to)) = (from, to)
                && to < from
            {
                return Output {
                    stderr: format!("error: --to {to} is before --from {from}\n  help: swap the two moments\n"),
                    code: EXIT_FAILURE,
                    ..Output::default()
                };
            }
            let rehearsal = from.map(|from| run::Rehearse { from, to: *to, speed: *speed });
            Ok(run::run(&cli.dir, *dry_run, *log_format, rehearsal))
        }
        Command::Status { format } => Ok(ledger::status(&cli.dir, *format, chrono::Utc::now())),
        Command::Plan { against: Some(reference), format } => Ok(review::run(&cli.dir, reference, *format)),
        Command::Plan { against: None, format } => match format {
            PlanFormat::Text => Ok(ledger::plan(&cli.dir, Format::Text, chrono::Utc::now())),
            PlanFormat::Json => Ok(ledger::plan(&cli.dir, Format::Json, chrono::Utc::now())),
            PlanFormat::Markdown => {
                return Output {
                    stderr: "error: --format markdown needs --against REF\n  help: herald plan --against origin/main --format markdown\n".into(),
                    code: EXIT_FAILURE,
                    ..Output::default()
                };
            }
        },
        Command::Pause { campaign, channel } => {
            Ok(ledger::pause(&cli.dir, campaign.clone(), channel.clone(), true, false))
        }
        Command::Resume { campaign, channel, all } => {
            Ok(ledger::pause(&cli.dir, campaign.clone(), channel.clone(), false, *all))
        }
        Command::Resolve { key, sent, retry, skip } => {
            let resolution = match (sent, retry, skip) {
                (Some(url), _, _) => crate::ledger::Resolution::Sent { url: url.clone() },
                (None, true, _) => crate::ledger::Resolution::Retry,
                (None, false, true) => crate::ledger::Resolution::Skip,
                (None, false, false) => {
                    return Output {
                        stderr: "error: say how: --sent URL, --retry or --skip
"
                        .into(),
                        code: EXIT_FAILURE,
                        ..Output::default()
                    };
                }
            };
            Ok(ledger::resolve(&cli.dir, key, resolution, chrono::Utc::now()))
        }
        Command::Send { post, channels, dry_run } => {
            let args = send::SendArgs { what: post, channels, dry_run: *dry_run };
            match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                Ok(rt) => rt.block_on(send::run(&cli.dir, &args, chrono::Utc::now())),
                Err(e) => Err(crate::config::ConfigError::Write { source: e }),
            }
        }
    };
    match result {
        Ok(out) => out,
        // The reader went away (`herald preview | head`): that is how such output ends, not an error.
        Err(crate::config::ConfigError::Write { source }) if source.kind() == std::io::ErrorKind::BrokenPipe => {
            Output::default()
        }
        Err(e) => Output { stdout: String::new(), stderr: format!("error: {e}\n"), code: EXIT_FAILURE },
    }
}

#[cfg(test)]
mod today_tests {
    use super::*;

    #[test]
    fn herald_today_is_a_date_or_unset() {
        let now = NaiveDate::from_ymd_opt(2026, 12, 8).unwrap();
        assert_eq!(today(None, now), Ok(now));
        assert_eq!(today(Some("".into()), now), Ok(now));
        assert_eq!(today(Some("2027-03-08".into()), now).unwrap().to_string(), "2027-03-08");
        let err = today(Some("08/03/2027\u{1b}[2J".into()), now).unwrap_err();
        assert!(err.starts_with("error: HERALD_TODAY is `08/03/2027<U+001B>[2J`, not a date"), "{err}");
    }
}
