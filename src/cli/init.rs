//! `herald init [DIR]`: a new project that passes `herald check` as it is.
//!
//! Writes `config/herald.toml` (one X channel, the other platforms as commented examples),
//! `campaigns/first-campaign.toml` (one post on World Water Day, in a campaign that runs a year from
//! today, so the day falls inside it) and a `.gitignore` that keeps the state folder out of git. It
//! never overwrites: a folder that already has `config/` or `campaigns/` is refused (exit 2) and left as
//! it was. An existing `.gitignore` gets the state folder's line appended, once.

use std::path::Path;

use chrono::NaiveDate;

use super::{EXIT_FAILURE, Output};
use crate::config::{CAMPAIGNS_DIR, CONFIG_PATH};
use crate::terminal::visible;

/// Where the example campaign is written.
pub const CAMPAIGN_PATH: &str = "campaigns/first-campaign.toml";
/// The `.gitignore` line for the default state folder.
const IGNORE_LINE: &str = "/.herald/";

const CONFIG: &str = r#"# herald's configuration: the accounts campaigns publish to ("channels"), and days of your own.
# Credentials never go here or in campaign files: a channel names where each one is, `env:NAME` (an
# environment variable) or `file:key` (a key of `secrets_file`). See README.md, "Credentials".

# The state folder (the daemon's ledger and refreshed tokens): .herald/ here by default, kept out of
# git by .gitignore. On a server, set HERALD_STATE_DIR=/var/lib/herald instead (it wins over this).
# state_dir = "/var/lib/herald"

[channels.x]
platform = "twitter"              # twitter (or x), instagram, linkedin, facebook
handle = "@your_account"          # the account's handle
language = "en"                   # the language it publishes in
# To publish (herald send, herald run), uncomment and set these environment variables:
# [channels.x.credentials]
# consumer_key = "env:HERALD_X_CONSUMER_KEY"
# consumer_secret = "env:HERALD_X_CONSUMER_SECRET"
# access_token = "env:HERALD_X_ACCESS_TOKEN"
# access_token_secret = "env:HERALD_X_ACCESS_TOKEN_SECRET"

# [channels.instagram]
# platform = "instagram"
# handle = "@your_account"
# account = "17841400000000000"                      # the Instagram user id
# media_base_url = "https://media.example.org/herald" # where campaigns/ is published (Meta fetches images)
# token_expires = 2027-01-20
# [channels.instagram.credentials]
# access_token = "env:HERALD_INSTAGRAM_TOKEN"

# [channels.linkedin]
# platform = "linkedin"
# handle = "@your_page"
# account = "urn:li:organization:12345678"
# token_expires = 2027-01-20
# [channels.linkedin.credentials]
# access_token = "env:HERALD_LINKEDIN_TOKEN"

# [channels.facebook]
# platform = "facebook"
# handle = "@your_page"
# account = "100000000000000"                         # the Page id
# [channels.facebook.credentials]
# page_access_token = "env:HERALD_FACEBOOK_TOKEN"

# A channel in another language gets the posts' translations:
# [channels.x-fr]
# platform = "twitter"
# handle = "@your_account_fr"
# language = "fr"

# A day of your own (`herald days` lists the built-in international days):
# [[day]]
# id = "our-anniversary"
# name = "Our Anniversary"
# rule = "June 5"                   # or "first Monday of October", "last Thursday of September"…
"#;

/// The example campaign, running from `starts` to `ends`.
fn campaign(starts: NaiveDate, ends: NaiveDate) -> String {
    format!(
        r#"# A campaign: its dates, channels and posts. `herald check` validates it, `herald preview` shows
# what goes out. See README.md, "Campaign files".

[campaign]
id = "first-campaign"
name = "Our first campaign"
timezone = "UTC"                  # an IANA name, e.g. "America/New_York"; every time here is local to it
channels = ["x"]                  # names from config/herald.toml
hashtags = ["WorldWaterDay"]
link = "https://www.un.org/en/observances/water-day"
starts = {starts}
ends = {ends}
time = "09:00"                    # the default time of day for posts

[[post]]
id = "world-water-day"
day = "world-water-day"           # 22 March: `herald days` lists every day and its id
time = "10:00"
text = """
Today is {{{{ day.name }}}}. Safe water is part of everyone's security.
"""

# Other languages, for channels with another `language`:
# [post.translations]
# fr = "Aujourd'hui, c'est la {{{{ day.name }}}}."
"#
    )
}

/// Creates the project in `dir` (relative to the current folder or `-C`).
pub fn run(dir: &Path, today: NaiveDate) -> Output {
    let fail = |message: String| Output {
        stderr: visible(&format!("error: {message}\n")).into_owned(),
        code: EXIT_FAILURE,
        ..Output::default()
    };
    let shown = dir.display().to_string();
    for existing in ["config", CAMPAIGNS_DIR] {
        if std::fs::symlink_metadata(dir.join(existing)).is_ok() {
            return fail(format!(
                "{shown} already has {existing}/: herald init writes only into a new project and changed nothing\n  help: run `herald check` there, or `herald init NEW_FOLDER` for a new project"
            ));
        }
    }
    if dir.exists() && !dir.is_dir() {
        return fail(format!("{shown} exists and is not a folder; nothing was written"));
    }
    let ends = today + chrono::Duration::days(364);
    let write = |rel: &str, text: &str| -> Result<(), String> {
        let path = dir.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        }
        std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
    };
    let result = write(CONFIG_PATH, CONFIG)
        .and_then(|()| write(CAMPAIGN_PATH, &campaign(today, ends)))
        .and_then(|()| gitignore(dir));
    if let Err(e) = result {
        return fail(e);
    }
    // Commands to paste: no `-C` for the current folder, and a folder name quoted when a shell needs it.
    let herald = if dir == Path::new(".") { "herald".to_string() } else { format!("herald -C {}", shell_word(&shown)) };
    let stdout = format!(
        "Created a herald project in {shown}:
  {:<31}the channels: one X account (the other platforms are commented examples)
  {:<31}a campaign with one post, on World Water Day
  {:<31}keeps the state folder (.herald/) out of git

Next:
  {herald} check
  {herald} preview --to {ends}
  {herald} days
Then set the channel's handle, and its credentials to publish, in {CONFIG_PATH} (see README.md,
\"Publishing\").
",
        CONFIG_PATH, CAMPAIGN_PATH, ".gitignore"
    );
    Output { stdout: visible(&stdout).into_owned(), ..Output::default() }
}

/// `word` as one shell word: as it is when it needs no quoting, else in single quotes.
fn shell_word(word: &str) -> String {
    if !word.is_empty() && word.chars().all(|c| c.is_ascii_alphanumeric() || "/._-+,:@%=".contains(c)) {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

/// Adds the state folder's line to `dir/.gitignore` (created if missing), unless it is there.
fn gitignore(dir: &Path) -> Result<(), String> {
    let path = dir.join(".gitignore");
    let current = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    };
    if current.lines().any(|l| l.trim() == IGNORE_LINE) {
        return Ok(());
    }
    let mut text = current;
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str("# herald's state: the daemon's ledger and refreshed tokens. Never commit it.\n");
    text.push_str(IGNORE_LINE);
    text.push('\n');
    std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}
