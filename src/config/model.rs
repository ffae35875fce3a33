//! The validated model: what the rest of herald works with.
//!
//! A [`Project`] can only be built by [`super::load_project`], which validates every file; so a
//! [`Campaign`] here always has a real time zone, configured channels, known days, compiled templates and
//! media files that exist. Each [`Post`] is resolved into one [`Target`] per channel it goes to, with the
//! per-platform and per-channel overrides and the translation already applied.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::PathBuf;

use chrono::{Duration, NaiveDate, NaiveTime};
use chrono_tz::Tz;

use super::names::Language;
use super::time::CronRule;
use crate::channels::{MediaType, Platform};
use crate::days::Calendar;
use crate::diagnostic::Source;
use crate::render::template::Templates;
use crate::secrets::SecretRef;

/// A project directory: its config, calendar and campaigns.
#[derive(Debug)]
pub struct Project {
    pub root: PathBuf,
    pub config: Config,
    pub calendar: Calendar,
    /// Campaigns, sorted by id (those with errors are marked `broken`).
    pub campaigns: Vec<Campaign>,
    pub templates: Templates,
}

/// The state folder when the config names none, relative to the project.
pub const DEFAULT_STATE_DIR: &str = ".herald";

/// Creates the state folder if needed: readable by its owner only (it holds the ledger and refreshed
/// tokens), with a `.gitignore` that keeps it out of git when it sits inside the project (the default).
pub fn create_state_dir(dir: &std::path::Path) -> std::io::Result<()> {
    if !dir.is_dir() {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(dir)?;
    }
    let ignore = dir.join(".gitignore");
    if !ignore.exists() {
        std::fs::write(ignore, "# herald's state: the ledger and refreshed tokens. Never commit it.\n*\n")?;
    }
    Ok(())
}

/// `config/herald.toml`, validated.
#[derive(Debug, Default)]
pub struct Config {
    pub source: Option<Source>,
    pub channels: Vec<Channel>,
    /// Where `file:` credentials are read from.
    pub secrets_file: Option<PathBuf>,
    /// Where the ledger and refreshed tokens live (relative paths are relative to the project):
    /// `HERALD_STATE_DIR` when set ([`super::STATE_DIR_ENV`], applied by [`super::load_project`]), else
    /// the file's `state_dir`.
    pub state_dir: Option<PathBuf>,
    /// The ledger file, when not `ledger.sqlite` in the state folder.
    pub ledger: Option<PathBuf>,
    pub daemon: Daemon,
    /// Channels left out because their `[channels.NAME]` table has an error: name and table span.
    pub broken_channels: Vec<(String, Range<usize>)>,
    /// The whole file, when it could not be read at all (a syntax error): every channel is left out.
    pub unreadable: Option<Range<usize>>,
}

/// `[daemon]`, with defaults filled in.
#[derive(Debug, Clone)]
pub struct Daemon {
    pub catch_up: std::time::Duration,
    pub shutdown_grace: std::time::Duration,
    pub max_sleep: std::time::Duration,
    pub max_attempts: u32,
    pub request_timeout: std::time::Duration,
    pub listen: Option<std::net::SocketAddr>,
    pub alert_webhook: Option<SecretRef>,
}

impl Default for Daemon {
    fn default() -> Self {
        Self {
            catch_up: std::time::Duration::from_secs(3600),
            shutdown_grace: std::time::Duration::from_secs(30),
            max_sleep: std::time::Duration::from_secs(60),
            max_attempts: 5,
            request_timeout: std::time::Duration::from_secs(30),
            listen: None,
            alert_webhook: None,
        }
    }
}

impl Channel {
    /// A channel with the platform's defaults and no credentials (as a config with only `platform`
    /// and `handle` gives); tests and tools fill in the rest.
    pub fn new(name: &str, platform: Platform, handle: &str) -> Self {
        Self {
            name: name.to_string(),
            platform,
            handle: handle.trim_start_matches('@').to_string(),
            language: Language::english(),
            base_url: None,
            auth: &platform.rules().auth[0],
            account: None,
            api_version: None,
            media_base_url: None,
            token_expires: None,
            concurrency: None,
            credentials: BTreeMap::new(),
            credentials_span: 0..0,
        }
    }

    /// How many posts may be in flight at once: the channel's `concurrency`, or the platform's cap.
    pub fn concurrency(&self) -> usize {
        self.concurrency.unwrap_or(self.platform.rules().concurrency)
    }

    /// The API version in use: the channel's own, or the platform's default.
    pub fn api_version(&self) -> &str {
        self.api_version.as_deref().or(self.platform.rules().default_api_version).unwrap_or_default()
    }
}

impl Config {
    /// The secrets file, when one is configured (relative paths are relative to the project).
    pub fn secrets(
        &self,
        root: &std::path::Path,
    ) -> Result<Option<crate::secrets::SecretsFile>, crate::secrets::SecretsError> {
        self.secrets_file.as_ref().map(|p| crate::secrets::SecretsFile::load(&root.join(p))).transpose()
    }

    /// The state folder: `HERALD_STATE_DIR`, else `state_dir`, else `.herald/` in the project.
    pub fn state_dir(&self, root: &std::path::Path) -> PathBuf {
        root.join(self.state_dir.as_deref().unwrap_or(std::path::Path::new(DEFAULT_STATE_DIR)))
    }

    /// The ledger file: `ledger`, or `ledger.sqlite` in the state folder.
    pub fn ledger_path(&self, root: &std::path::Path) -> PathBuf {
        match &self.ledger {
            Some(p) => root.join(p),
            None => self.state_dir(root).join("ledger.sqlite"),
        }
    }

    pub fn channel(&self, name: &str) -> Option<(usize, &Channel)> {
        self.channels.iter().enumerate().find(|(_, c)| c.name == name)
    }

    /// The table of a channel left out because of an error in it.
    pub fn broken_channel(&self, name: &str) -> Option<Range<usize>> {
        let broken = self.broken_channels.iter().find(|(n, _)| n == name).map(|(_, span)| span.clone());
        broken.or_else(|| self.unreadable.clone())
    }
}

/// An account herald publishes to.
#[derive(Debug, Clone)]
pub struct Channel {
    pub name: String,
    pub platform: Platform,
    /// Without the leading `@`.
    pub handle: String,
    pub language: Language,
    /// The API's address, when not the platform's real host.
    pub base_url: Option<String>,
    /// How the channel signs in (one of the platform's [`crate::channels::Rules::auth`]).
    pub auth: &'static crate::channels::Auth,
    /// The account published as (Instagram user id, Page id, LinkedIn author URN), when the platform needs one.
    pub account: Option<String>,
    /// The API version, when not the platform's default.
    pub api_version: Option<String>,
    /// Where the campaigns folder is served publicly (for platforms that fetch images by URL).
    pub media_base_url: Option<String>,
    /// When the channel's access token expires, if the operator noted it.
    pub token_expires: Option<NaiveDate>,
    /// Posts in flight at once, when not the platform's cap.
    pub concurrency: Option<usize>,
    /// Where each credential is, by name; empty when the channel has none configured.
    pub credentials: BTreeMap<String, SecretRef>,
    /// Where diagnostics about the channel's credentials point: its `[channels.NAME.credentials]`
    /// table, or the channel's name when it has none.
    pub credentials_span: Range<usize>,
}

/// A validated campaign file.
#[derive(Debug)]
pub struct Campaign {
    pub id: String,
    pub name: String,
    pub source: Source,
    /// The folder holding the campaign file; media paths are relative to it.
    pub dir: PathBuf,
    pub tz: Tz,
    pub language: Language,
    pub starts: NaiveDate,
    pub ends: NaiveDate,
    /// How late its posts may still go out, when the campaign sets it.
    pub catch_up: Option<std::time::Duration>,
    pub posts: Vec<Post>,
    /// The file has errors. Its valid posts are kept only so `check` can check them too; they are
    /// never previewed, sent or published ([`crate::schedule::Filter::include_broken`]).
    pub broken: bool,
}

/// A validated post.
#[derive(Debug)]
pub struct Post {
    pub id: String,
    /// The `[[post]]` header, for diagnostics.
    pub header: Range<usize>,
    /// The post's `day`, `date` or `cron` value, for diagnostics about when it goes out.
    pub when_span: Range<usize>,
    pub when: When,
    /// One per channel the post goes to, in the campaign's channel order.
    pub targets: Vec<Target>,
}

/// What a post's date follows.
#[derive(Debug, Clone)]
pub enum When {
    /// A day from the calendar, every year of the campaign.
    Day { id: String },
    /// One date.
    Date(NaiveDate),
    /// A cron schedule in the campaign's time zone.
    Cron(Box<CronRule>),
}

/// A post as it goes to one channel: overrides and translation applied.
#[derive(Debug, Clone)]
pub struct Target {
    /// Index into [`Config::channels`].
    pub channel: usize,
    pub offset: Duration,
    /// Local time of day (unused for cron posts).
    pub time: NaiveTime,
    /// Handle of the compiled text template in [`Project::templates`].
    pub template: usize,
    /// Where the text is in the campaign file.
    pub text_span: Range<usize>,
    /// The language of the text that is sent.
    pub language: Language,
    /// The link with UTM parameters applied, if the post has one.
    pub link: Option<String>,
    /// Whether the text places the link itself with `{{ link }}`.
    pub link_in_text: bool,
    /// Hashtags without `#`, added unless the text has them.
    pub hashtags: Vec<String>,
    pub media: Vec<Media>,
    pub thread: bool,
    /// The channel's handle with `@`, as templates print it.
    pub handle: String,
    /// The hashtags as templates print them (`#HumanSecurity #HS4A`).
    pub hashtags_line: String,
}

/// A media file attached to a post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Media {
    /// The path as written in the campaign file (relative to its folder).
    pub file: String,
    pub path: PathBuf,
    pub alt: Option<String>,
    pub kind: MediaType,
}
