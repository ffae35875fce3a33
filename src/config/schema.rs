//! The raw file formats: `Toml*` types that mirror `config/herald.toml` and campaign files key for key.
//!
//! Every field is optional and spanned, so the validation in [`super::validate`] can point at it. The
//! types are filled through [`TableReader`], which reports unknown keys and values of the wrong shape;
//! meaning (does this day exist? is this channel configured?) is checked later, in one place. The doc
//! comments on fields are the reference for the file format in README.md.

use std::collections::BTreeMap;
use std::ops::Range;

use toml::Spanned;

use super::names::{Handle, Hashtag, Id, Language, Link, LinkSetting};
use super::reader::{self, TableReader, Value};
use super::time::{CronRule, Date, Interval, LocalTime, Offset, TimeZone};
use crate::channels::Platform;
use crate::days::DayRule;
use crate::diagnostic::{Diagnostic, Source};
use crate::secrets::SecretRef;

type S<T> = Option<Spanned<T>>;

/// `config/herald.toml`.
#[derive(Debug, Default)]
pub struct TomlConfig {
    /// `secrets_file = "/etc/herald/secrets.toml"`: where `file:` credentials are read from.
    pub secrets_file: S<String>,
    /// `state_dir = "/var/lib/herald"`: where the daemon keeps its ledger and refreshed tokens
    /// (default `.herald/` in the project folder; keep it out of git).
    pub state_dir: S<String>,
    /// `ledger = "/var/lib/herald/ledger.sqlite"`: the daemon's record of every post (default
    /// `ledger.sqlite` in the state folder).
    pub ledger: S<String>,
    /// `[daemon]`: how `herald run` behaves.
    pub daemon: Option<TomlDaemon>,
    /// `[channels.NAME]`: the accounts herald publishes to, by name.
    pub channels: Vec<(Spanned<Id>, TomlChannel)>,
    /// `[[day]]`: days added to the calendar, or overriding a built-in day with the same id.
    pub days: Vec<TomlDay>,
    /// Channels written under a misspelt `[channels]` (`[channel.x]`), already reported as an unknown
    /// key: each name, the misspelt key and the channel's table. The campaigns' errors about them
    /// are folded under that report.
    pub misplaced_channels: Vec<(String, Range<usize>, Range<usize>)>,
}

/// `[channels.NAME]`.
#[derive(Debug)]
pub struct TomlChannel {
    pub span: Range<usize>,
    /// `twitter` (or `x`), `instagram`, `linkedin` or `facebook`.
    pub platform: S<Platform>,
    /// The account's handle, e.g. `@humansecurityFA`.
    pub handle: S<Handle>,
    /// The language this channel publishes in (default `en`).
    pub language: S<Language>,
    /// The API's address (the platform's real host by default; a fake's in tests).
    pub base_url: S<Link>,
    /// How the channel signs in, when the platform offers several (`oauth1` or `oauth2` on X,
    /// `facebook-login` or `instagram-login` on Instagram).
    pub auth: S<String>,
    /// The account the API publishes as: the Instagram user id, the Facebook Page id, the LinkedIn
    /// author URN (`urn:li:organization:…` or `urn:li:person:…`).
    pub account: S<String>,
    /// The API version (`v25.0` on Meta's Graph API, `202607` on LinkedIn); a recent one by default.
    pub api_version: S<String>,
    /// The public web address where the campaign folders are served, for platforms that fetch images
    /// themselves (Instagram; Facebook when set): `media/iwd.jpg` of campaign `hs4a-2027` is fetched from
    /// `{media_base_url}/hs4a-2027/media/iwd.jpg`... see README.md.
    pub media_base_url: S<Link>,
    /// When the channel's access token stops working (e.g. 60 days after a LinkedIn or Meta
    /// authorisation): the daemon warns when a post is scheduled after it.
    pub token_expires: S<Date>,
    /// How many of this channel's posts may be in flight at once (the platform's cap by default).
    pub concurrency: S<u32>,
    /// `[channels.NAME.credentials]`: where each credential is (`env:VAR` or `file:key`), never the
    /// credential itself.
    pub credentials: Option<(Range<usize>, TomlCredentials)>,
}

/// `[daemon]` in `config/herald.toml`.
#[derive(Debug, Default)]
pub struct TomlDaemon {
    /// How late a post may still go out when the daemon starts or wakes after its time (default `1h`);
    /// later ones are marked `missed`. A campaign can set its own.
    pub catch_up: S<Interval>,
    /// How long in-flight posts may take to finish on SIGTERM (default `30s`).
    pub shutdown_grace: S<Interval>,
    /// The longest the scheduler sleeps at once, so a wall-clock jump is noticed (default `60s`).
    pub max_sleep: S<Interval>,
    /// Attempts per post for "retry later" answers, the first included (default 5).
    pub max_attempts: S<u32>,
    /// How long one request to a platform may take before herald stops waiting for its answer
    /// (default `30s`); "not on the account" is believed twice that long after a request was last on
    /// its way.
    pub request_timeout: S<Interval>,
    /// `127.0.0.1:9464`: serve `/healthz` and `/metrics` (off when absent).
    pub listen: S<String>,
    /// Where alerts are posted as JSON (Slack-compatible): `env:VAR` or `file:key`, since a webhook
    /// address is itself a credential.
    pub alert_webhook: S<SecretRef>,
}

/// `[channels.NAME.credentials]`: credential name → where it is.
pub type TomlCredentials = BTreeMap<String, Spanned<SecretRef>>;

/// `[[day]]` in `config/herald.toml`.
#[derive(Debug)]
pub struct TomlDay {
    pub span: Range<usize>,
    /// The table's first line, where a missing key is reported.
    pub header: Range<usize>,
    pub id: S<Id>,
    /// Required for a day of your own; a built-in day's id may leave it out (it keeps its name).
    pub name: S<String>,
    /// `names = { fr = "Journée mondiale de l'eau" }`: the day's name in other languages, for
    /// `{{ day.name }}` on channels in those languages.
    pub names: S<BTreeMap<Language, String>>,
    /// `March 8`, `first Monday of October`, `last Thursday of September`…
    pub rule: S<DayRule>,
    /// Explicit dates, for a day whose date is set year by year.
    pub dates: S<Vec<Date>>,
    /// The first year the day is observed.
    pub since: S<i32>,
    /// Whether `rule` was present but invalid (already reported).
    pub invalid_rule: bool,
}

/// A campaign file in `campaigns/`.
#[derive(Debug)]
pub struct TomlCampaignFile {
    pub campaign: Option<TomlCampaign>,
    pub posts: Vec<TomlPost>,
}

/// `[campaign]`.
#[derive(Debug)]
pub struct TomlCampaign {
    pub span: Range<usize>,
    pub header: Range<usize>,
    /// Defaults to the file name without `.toml`.
    pub id: S<Id>,
    pub name: S<String>,
    /// IANA time zone; every date and time in the file is local to it.
    pub timezone: S<TimeZone>,
    /// The language the posts' `text` is written in (default `en`).
    pub language: S<Language>,
    /// Channel names from `config/herald.toml`.
    pub channels: S<Vec<Spanned<Id>>>,
    pub hashtags: S<Vec<Hashtag>>,
    pub link: S<LinkSetting>,
    /// Add `utm_source`, `utm_medium=social` and `utm_campaign` to links.
    pub utm: S<bool>,
    /// First and last day of the campaign (inclusive).
    pub starts: S<Date>,
    pub ends: S<Date>,
    /// The default time of day for posts that give none.
    pub time: S<LocalTime>,
    /// `error` (default): a channel in another language needs a translation of every post.
    /// `fallback`: a missing translation is a warning and the default text is used.
    pub missing_translation: S<String>,
    /// How late this campaign's posts may still go out (the daemon's `catch_up` by default).
    pub catch_up: S<Interval>,
}

/// `[[post]]`.
#[derive(Debug)]
pub struct TomlPost {
    pub span: Range<usize>,
    pub header: Range<usize>,
    pub id: S<Id>,
    /// A day id from the calendar; the post recurs on it every year of the campaign.
    pub day: S<Id>,
    /// One date.
    pub date: S<Date>,
    /// A recurring schedule (cron syntax, local time).
    pub cron: S<CronRule>,
    /// Narrows the campaign's channels for this post.
    pub channels: S<Vec<Spanned<Id>>>,
    pub content: TomlContent,
    /// `[post.NAME]`: overrides for a platform (`twitter`, `instagram`, …) or a channel name.
    pub overrides: Vec<(Spanned<String>, TomlContent)>,
}

/// The fields a post shares with its per-platform and per-channel overrides.
#[derive(Debug, Default)]
pub struct TomlContent {
    pub span: Range<usize>,
    /// Shift from the day: `-2d`, `+3h`.
    pub offset: S<Offset>,
    /// Local time of day, `HH:MM`.
    pub time: S<LocalTime>,
    /// The post's text, a template (`{{ day.name }}`, `{{ link }}`…).
    pub text: S<String>,
    /// Translations of `text` by language: `[post.translations] fr = "…"`.
    pub translations: BTreeMap<Language, Spanned<String>>,
    pub link: S<LinkSetting>,
    pub hashtags: S<Vec<Hashtag>>,
    pub utm: S<bool>,
    pub media: S<Vec<Spanned<TomlMedia>>>,
    /// Split an over-long X post into a numbered thread.
    pub thread: S<bool>,
    /// Leave this platform or channel out for this post.
    pub skip: S<bool>,
    /// Keys of this table (and, for a post, of the post) whose values were invalid and reported.
    pub invalid: Vec<&'static str>,
}

/// `media = [{ file = "media/iwd.jpg", alt = "…" }]`.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TomlMedia {
    /// Path relative to the campaign file's folder.
    pub file: String,
    /// Alt text read aloud by screen readers.
    pub alt: Option<String>,
}

/// Reads `config/herald.toml`.
pub fn read_config(source: &Source, diags: &mut Vec<Diagnostic>) -> TomlConfig {
    let Some(root) = reader::parse(source, diags) else {
        return TomlConfig::default();
    };
    let mut top = TableReader::new(source, "`config/herald.toml`", root);
    let mut config = TomlConfig {
        secrets_file: top.optional("secrets_file", diags),
        state_dir: top.optional("state_dir", diags),
        ledger: top.optional("ledger", diags),
        ..TomlConfig::default()
    };
    if let Some((_, daemon)) = top.take_raw("daemon")
        && let Some(mut t) = TableReader::from_value(source, "`[daemon]`", daemon, diags)
    {
        config.daemon = Some(TomlDaemon {
            catch_up: t.optional("catch_up", diags),
            shutdown_grace: t.optional("shutdown_grace", diags),
            max_sleep: t.optional("max_sleep", diags),
            max_attempts: t.optional("max_attempts", diags),
            request_timeout: t.optional("request_timeout", diags),
            listen: t.optional("listen", diags),
            alert_webhook: {
                let before = diags.len();
                let read = t.optional("alert_webhook", diags);
                // Never echo the line: a webhook address pasted here is a credential.
                diags[before..].iter_mut().for_each(|d| d.sensitive = true);
                read
            },
        });
        t.finish(diags);
    }
    if let Some((_, channels)) = top.take_raw("channels")
        && let Some(mut t) = TableReader::from_value(source, "`[channels]`", channels, diags)
    {
        for (name, value) in t.take_rest() {
            let id = reader::deserialize::<Id>(
                source,
                "channel name",
                Spanned::new(name.span(), toml::de::DeValue::String(name.get_ref().clone())),
                diags,
            );
            let what = format!("`[channels.{}]`", name.get_ref());
            if let (Some(id), Some(mut t)) = (id, TableReader::from_value(source, what, value, diags)) {
                let channel = TomlChannel {
                    span: t.span(),
                    platform: t.required("platform", "\"twitter\"", diags),
                    handle: t.required("handle", "\"@humansecurityFA\"", diags),
                    language: t.optional("language", diags),
                    base_url: t.optional("base_url", diags),
                    auth: t.optional("auth", diags),
                    account: t.optional("account", diags),
                    api_version: t.optional("api_version", diags),
                    media_base_url: t.optional("media_base_url", diags),
                    token_expires: t.optional("token_expires", diags),
                    concurrency: t.optional("concurrency", diags),
                    credentials: {
                        let before = diags.len();
                        let read = t.optional::<TomlCredentials>("credentials", diags);
                        // Never echo these lines: a value there may be a real credential.
                        diags[before..].iter_mut().for_each(|d| d.sensitive = true);
                        read.map(|c| (c.span(), c.into_inner()))
                    },
                };
                t.finish(diags);
                config.channels.push((id, channel));
            }
        }
        t.finish(diags);
    }
    for (_, value) in top.array_of_tables("day", diags) {
        if let Some(mut t) = TableReader::from_value(source, "`[[day]]`", value, diags) {
            let day = TomlDay {
                span: t.span(),
                header: t.header_span(),
                id: t.required("id", "\"hs4a-founding-day\"", diags),
                name: t.optional("name", diags),
                names: t.optional("names", diags),
                rule: t.optional("rule", diags),
                dates: t.optional("dates", diags),
                since: t.optional("since", diags),
                invalid_rule: t.invalid_keys().contains(&"rule"),
            };
            t.finish(diags);
            config.days.push(day);
        }
    }
    config.misplaced_channels = top.misspelt_tables("channels");
    top.finish(diags);
    config
}

/// Reads a campaign file. `platform_and_channel_names` are offered as suggestions for unknown keys in a
/// post (where an unknown table is taken as an override).
pub fn read_campaign(source: &Source, diags: &mut Vec<Diagnostic>) -> Option<TomlCampaignFile> {
    let root = reader::parse(source, diags)?;
    let mut top = TableReader::new(source, "a campaign file", root);
    let campaign = top.take_raw("campaign").and_then(|(key_span, value)| {
        let mut t = TableReader::from_value(source, "`[campaign]`", value, diags)?;
        let campaign = TomlCampaign {
            span: t.span(),
            header: key_span,
            id: t.optional("id", diags),
            name: t.required("name", "\"Human Security for All 2027\"", diags),
            timezone: t.required("timezone", "\"America/New_York\"", diags),
            language: t.optional("language", diags),
            channels: t.required("channels", "[\"x\", \"linkedin\"]", diags),
            hashtags: t.optional("hashtags", diags),
            link: t.optional("link", diags),
            utm: t.optional("utm", diags),
            starts: t.required("starts", "2027-01-01", diags),
            ends: t.required("ends", "2027-12-31", diags),
            time: t.optional("time", diags),
            missing_translation: t.optional("missing_translation", diags),
            catch_up: t.optional("catch_up", diags),
        };
        t.finish(diags);
        Some(campaign)
    });
    let posts = top
        .array_of_tables("post", diags)
        .into_iter()
        .filter_map(|(_, value)| read_post(source, value, diags))
        .collect();
    top.finish(diags);
    Some(TomlCampaignFile { campaign, posts })
}

fn read_post(source: &Source, value: Value<'_>, diags: &mut Vec<Diagnostic>) -> Option<TomlPost> {
    let mut t = TableReader::from_value(source, "`[[post]]`", value, diags)?;
    let header = t.header_span();
    let id = t.required("id", "\"iwd-countdown\"", diags);
    let day = t.optional("day", diags);
    let date = t.optional("date", diags);
    let cron = t.optional("cron", diags);
    let channels = t.optional("channels", diags);
    let content = read_content(&mut t, diags);
    // Tables left over are overrides (`[post.instagram]`); anything else is an unknown key.
    let mut overrides = Vec::new();
    for (key, value) in t.take_tables() {
        let what = format!("`[post.{}]`", key.get_ref());
        if let Some(mut o) = TableReader::from_value(source, what, value, diags) {
            let mut content = read_content(&mut o, diags);
            content.invalid.extend(o.misspelled());
            o.finish(diags);
            overrides.push((Spanned::new(key.span(), key.get_ref().to_string()), content));
        }
    }
    let mut post = TomlPost { span: t.span(), header, id, day, date, cron, channels, content, overrides };
    // A typo of a key (`tetx`) is reported as such, not also as that key missing.
    post.content.invalid.extend(t.misspelled());
    t.finish(diags);
    Some(post)
}

/// Keys shared by a post and its overrides.
fn read_content(t: &mut TableReader<'_, '_>, diags: &mut Vec<Diagnostic>) -> TomlContent {
    let span = t.span();
    let offset = t.optional("offset", diags);
    let time = t.optional("time", diags);
    let text = t.optional("text", diags);
    let translations = t
        .optional::<BTreeMap<String, Spanned<String>>>("translations", diags)
        .map(|m| {
            let source = t.source();
            m.into_inner()
                .into_iter()
                .filter_map(|(lang, text)| match Language::try_from(lang) {
                    Ok(l) => Some((l, text)),
                    Err(e) => {
                        let (msg, help) = e.split_once("\nhelp: ").unwrap_or((&e, ""));
                        diags.push(
                            Diagnostic::error(format!("invalid translation language: {msg}"))
                                .at(source, text.span())
                                .help(help),
                        );
                        None
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    TomlContent {
        span,
        offset,
        time,
        text,
        translations,
        link: t.optional("link", diags),
        hashtags: t.optional("hashtags", diags),
        utm: t.optional("utm", diags),
        media: t.optional("media", diags),
        thread: t.optional("thread", diags),
        skip: t.optional("skip", diags),
        invalid: t.invalid_keys(),
    }
}
