//! From raw `Toml*` values to the validated model, collecting every problem.
//!
//! Owns the meaning checks: channels exist, days exist, one schedule per post, ids unique, a time for
//! every post, templates compile with known variables, translations exist for every channel language,
//! texts are not empty, overrides name a platform or channel (a channel's name means that channel, even
//! when it is also a platform's: `override_platform`), media files exist inside the campaign folder, are
//! regular files (a pipe or device is refused without being opened for a blocking read), are well-formed
//! images of a type the platform accepts, and are no larger than the platform's `max_image_bytes` (the
//! size comes from the file system: only the headers are read), published texts hold no control or
//! bidirectional characters ([`published_text`]). Checks that need a rendered text (length limits,
//! hashtag caps) are in [`crate::check`].

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;
use std::path::{Component, Path, PathBuf};

use chrono::{Duration, NaiveDate, NaiveTime};
use toml::Spanned;

use super::model::{Campaign, Channel, Config, Daemon, Media, Post, Target, When};
use super::names::{Hashtag, Id, Language, LinkSetting};
use super::schema::{TomlCampaign, TomlCampaignFile, TomlConfig, TomlContent, TomlDaemon, TomlMedia, TomlPost};
use super::time::Interval;
use crate::channels::media::{self, MediaError};
use crate::channels::{MediaByUrl, MediaType, PLATFORMS, Platform};
use crate::days::{Calendar, DayRule, Observance};
use crate::diagnostic::{Diagnostic, Source, did_you_mean};
use crate::render::template::{Scope, Templates};
use crate::terminal::{describe, hostile};

/// Validates `config/herald.toml` and adds its days to `calendar`.
pub fn config(source: &Source, raw: TomlConfig, calendar: &mut Calendar, diags: &mut Vec<Diagnostic>) -> Config {
    let mut channels = Vec::new();
    let mut broken_channels: Vec<(String, Range<usize>)> = raw
        .misplaced_channels
        .iter()
        .map(|(name, key, table)| (name.clone(), table_region(source, key.clone(), table.clone())))
        .collect();
    for (name, ch) in raw.channels {
        let (Some(platform), Some(handle)) = (ch.platform, ch.handle) else {
            broken_channels.push((name.get_ref().to_string(), table_region(source, name.span(), ch.span.clone())));
            continue;
        };
        let platform = platform.into_inner();
        let rules = platform.rules();
        let auth = match &ch.auth {
            None => &rules.auth[0],
            Some(a) => match rules.auth(Some(a.get_ref())) {
                Some(found) => found,
                None => {
                    let names = rules.auth.iter().map(|a| a.name);
                    let help = did_you_mean(a.get_ref(), names.clone()).unwrap_or_else(|| {
                        format!(
                            "{} channels sign in with: {}",
                            rules.display,
                            names.map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
                        )
                    });
                    diags.push(
                        Diagnostic::error(format!(
                            "unknown sign-in `{}` for {} channel",
                            a.get_ref(),
                            a_channel(rules.display)
                        ))
                        .at(source, a.span())
                        .help(help),
                    );
                    broken_channels
                        .push((name.get_ref().to_string(), table_region(source, name.span(), ch.span.clone())));
                    continue;
                }
            },
        };
        let auth: &'static crate::channels::Auth = auth;
        if let Some(a) = &ch.account
            && rules.account.is_none()
        {
            diags.push(
                Diagnostic::error(format!("{} channels take no `account`", rules.display))
                    .at(source, a.span())
                    .help("remove it: the credentials say which account posts"),
            );
        }
        if let Some(u) = &ch.media_base_url
            && rules.media_by_url == MediaByUrl::Never
        {
            diags.push(
                Diagnostic::warning(format!(
                    "{} channels upload images as bytes: `media_base_url` is not used",
                    rules.display
                ))
                .at(source, u.span())
                .help("remove it"),
            );
        }
        if let Some(u) = &ch.media_base_url
            && rules.media_by_url != MediaByUrl::Never
            && plain_http_host(u.get_ref().as_str()).is_some()
        {
            diags.push(
                Diagnostic::warning(format!(
                    "`media_base_url` of channel `{}` is plain http: {} fetches the images over the open internet, where anyone on the way can swap them",
                    name.get_ref(),
                    rules.display
                ))
                .at(source, u.span())
                .help("serve the `campaigns/` folder over `https://`"),
            );
        }
        if let (Some(u), Some(_)) = (&ch.base_url, &ch.credentials)
            && let Some(host) = plain_http_host(u.get_ref().as_str())
            && !is_loopback(&host)
        {
            diags.push(
                Diagnostic::error(format!(
                    "channel `{}` would send its credentials in clear text: `base_url` is plain http to `{host}`",
                    name.get_ref()
                ))
                .at(source, u.span())
                .help("write `https://`; plain `http://` is allowed only to this machine (127.0.0.1, ::1, localhost)"),
            );
        }
        let mut credentials = BTreeMap::new();
        let credentials_span = ch.credentials.as_ref().map_or_else(|| name.span(), |(span, _)| span.clone());
        if let Some((span, refs)) = ch.credentials {
            // A channel ready to publish needs what its API addresses, not only credentials.
            if let (Some(setting), None) = (&rules.account, &ch.account) {
                diags.push(
                    Diagnostic::error(format!("channel `{}` has credentials but no `account`", name.get_ref()))
                        .at(source, span.clone())
                        .help(format!("add `account = \"{}\"`: {}", setting.example, setting.meaning)),
                );
            }
            if rules.media_by_url == MediaByUrl::Required && ch.media_base_url.is_none() {
                diags.push(
                    Diagnostic::error(format!(
                        "channel `{}` needs `media_base_url`: {} fetches images from a public address",
                        name.get_ref(),
                        rules.display
                    ))
                    .at(source, span.clone())
                    .help("add e.g. `media_base_url = \"https://media.example.org/herald\"`, where the `campaigns/` folder is served"),
                );
            }
            let wanted: Vec<&str> = auth.required.iter().chain(auth.optional).copied().collect();
            for (key, r) in refs {
                if wanted.contains(&key.as_str()) {
                    credentials.insert(key, r.into_inner());
                } else {
                    let help = did_you_mean(&key, wanted.iter().copied()).unwrap_or_else(|| {
                        format!(
                            "{} channels with `auth = \"{}\"` take: {}",
                            rules.display,
                            auth.name,
                            wanted.join(", ")
                        )
                    });
                    diags.push(
                        Diagnostic::error(format!(
                            "unknown credential `{key}` for {} channel",
                            a_channel(platform.rules().display)
                        ))
                        .at(source, r.span())
                        .help(help),
                    );
                }
            }
            let missing: Vec<&str> = auth.required.iter().copied().filter(|k| !credentials.contains_key(*k)).collect();
            if !missing.is_empty() {
                diags.push(
                    Diagnostic::error(format!(
                        "channel `{}` is missing credentials: {}",
                        name.get_ref(),
                        missing.join(", ")
                    ))
                    .at(source, span)
                    .help(format!(
                        "add e.g. `{} = \"env:HERALD_{}_{}\"`",
                        missing[0],
                        name.get_ref().as_str().to_uppercase().replace('-', "_"),
                        missing[0].to_uppercase()
                    )),
                );
            }
        }
        channels.push(Channel {
            name: name.into_inner().to_string(),
            platform,
            handle: handle.into_inner().to_string(),
            language: ch.language.map_or_else(Language::english, Spanned::into_inner),
            base_url: ch.base_url.map(|u| u.into_inner().to_string()),
            auth,
            account: ch.account.map(Spanned::into_inner),
            api_version: ch.api_version.map(Spanned::into_inner),
            media_base_url: ch.media_base_url.map(|u| u.into_inner().to_string().trim_end_matches('/').to_string()),
            token_expires: ch.token_expires.map(|d| d.into_inner().0),
            concurrency: match ch.concurrency {
                Some(n) if !(1..=64).contains(n.get_ref()) => {
                    diags.push(
                        Diagnostic::error("`concurrency` must be between 1 and 64")
                            .at(source, n.span())
                            .help(format!("the {} default is {}", rules.display, rules.concurrency)),
                    );
                    None
                }
                n => n.map(|n| n.into_inner() as usize),
            },
            credentials,
            credentials_span,
        });
    }
    let mut seen_days: HashMap<String, Range<usize>> = HashMap::new();
    for day in raw.days {
        let Some(id) = day.id else {
            continue;
        };
        // A built-in day's id changes only what the table gives (its names, say); a day of our own
        // needs its name and its date.
        let builtin = Calendar::builtin().get(id.get_ref().as_str()).cloned();
        let name =
            match (day.name, &builtin) {
                (Some(name), _) => name.into_inner(),
                (None, Some(b)) => b.name.clone(),
                (None, None) => {
                    diags.push(Diagnostic::error("`[[day]]` is missing `name`").at(source, day.header.clone()).help(
                        "add it, e.g. `name = \"HS4A Founding Day\"` (only a built-in day's id may leave it out)",
                    ));
                    continue;
                }
            };
        let mut names = builtin.as_ref().map(|b| b.names.clone()).unwrap_or_default();
        for (language, text) in day.names.map(Spanned::into_inner).unwrap_or_default() {
            names.insert(language.as_str().to_string(), text);
        }
        if let Some(first) = seen_days.insert(id.get_ref().to_string(), id.span()) {
            let (line, _) = source.line_col(first.start);
            diags.push(
                Diagnostic::error(format!("day `{}` is defined twice", id.get_ref()))
                    .at(source, id.span())
                    .help(format!("keep one `[[day]]` with this id; the first is on line {line}")),
            );
            continue;
        }
        let rule = match (day.rule, day.dates) {
            (Some(rule), None) => rule.into_inner(),
            (None, Some(dates)) => {
                let span = dates.span();
                match DayRule::from_dates(dates.into_inner().into_iter().map(|d| d.0)) {
                    Ok(rule) => rule,
                    Err(e) => {
                        let (message, help) = super::reader::split_help(&e);
                        diags.push(
                            Diagnostic::error(format!("invalid `dates`: {message}")).at(source, span).help_opt(help),
                        );
                        continue;
                    }
                }
            }
            (Some(_), Some(dates)) => {
                diags.push(
                    Diagnostic::error("a day has either `rule` or `dates`, not both")
                        .at(source, dates.span())
                        .help("use `rule` for a day that follows a rule, `dates` for one set year by year"),
                );
                continue;
            }
            (None, None) if day.invalid_rule => continue,
            (None, None) => match &builtin {
                Some(b) => b.rule.clone(),
                None => {
                    diags.push(
                        Diagnostic::error(format!("day `{}` has no date", id.get_ref())).at(source, id.span()).help(
                            "add `rule = \"March 8\"` (or \"first Monday of October\"), or `dates = [2027-05-20]`",
                        ),
                    );
                    continue;
                }
            },
        };
        let inherited_since = builtin.as_ref().and_then(|b| b.since);
        calendar.insert(Observance {
            id: id.into_inner().to_string(),
            name,
            rule,
            since: day.since.map(Spanned::into_inner).or(inherited_since),
            names,
        });
    }
    Config {
        source: Some(source.clone()),
        channels,
        secrets_file: raw.secrets_file.map(|f| std::path::PathBuf::from(f.into_inner())),
        state_dir: raw.state_dir.map(|f| std::path::PathBuf::from(f.into_inner())),
        ledger: raw.ledger.map(|f| std::path::PathBuf::from(f.into_inner())),
        daemon: daemon(source, raw.daemon, diags),
        broken_channels,
        unreadable: None,
    }
}

/// The bytes a `[channels.NAME]` table covers: from its name in the header to the next table's header
/// (the parser's span of a table may cover only its header).
fn table_region(source: &Source, name: Range<usize>, table: Range<usize>) -> Range<usize> {
    let start = name.start.min(table.start);
    let after = table.end.max(name.end).min(source.text.len());
    let next = source.text.get(after..).and_then(|rest| rest.find("\n[")).map_or(source.text.len(), |i| after + i);
    start..next.max(table.end)
}

/// Everything campaign validation needs to look things up.
pub struct Context<'a> {
    pub config: &'a Config,
    pub calendar: &'a Calendar,
}

/// Validates one campaign file. Returns `None` when it has errors (they are in `diags`).
pub fn campaign(
    source: &Source,
    path: &Path,
    raw: TomlCampaignFile,
    cx: &Context<'_>,
    templates: &mut Templates,
    diags: &mut Vec<Diagnostic>,
) -> Option<Campaign> {
    let errors_before = diags.iter().filter(|d| d.is_error()).count();
    let Some(c) = raw.campaign else {
        diags.push(
            Diagnostic::error("this campaign file has no `[campaign]` table")
                .at(source, 0..0)
                .help("start the file with `[campaign]` and its `name`, `timezone`, `channels`, `starts` and `ends`"),
        );
        return None;
    };
    let id = match &c.id {
        Some(id) => id.get_ref().to_string(),
        None => {
            let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
            match Id::parse(stem) {
                Ok(id) => id.to_string(),
                Err(_) => {
                    diags.push(
                        Diagnostic::error(format!("the file name `{stem}` cannot be a campaign id"))
                            .at(source, c.header.clone())
                            .help(format!("add `id = \"{}\"` to `[campaign]`", super::names::slug(stem))),
                    );
                    String::new()
                }
            }
        }
    };
    let channel_ids = campaign_channels(source, &c, cx.config, diags);
    if let Some(l) = &c.link
        && let LinkSetting::Url(url) = l.get_ref()
    {
        published_text(source, "the campaign", "`link`", l.span(), url.as_str(), diags);
    }
    if let (Some(s), Some(e)) = (&c.starts, &c.ends)
        && e.get_ref() < s.get_ref()
    {
        diags.push(
            Diagnostic::error(format!("the campaign ends ({}) before it starts ({})", e.get_ref().0, s.get_ref().0))
                .at(source, e.span())
                .help("`ends` is the last day of the campaign and must not be before `starts`"),
        );
    }
    let fallback = match c.missing_translation.as_ref().map(|m| (m.get_ref().as_str(), m.span())) {
        None | Some(("error", _)) => false,
        Some(("fallback", _)) => true,
        Some((other, span)) => {
            diags.push(
                Diagnostic::error(format!("invalid `missing_translation`: `{other}`"))
                    .at(source, span)
                    .help("use \"error\" (a missing translation stops the campaign) or \"fallback\" (warn and send the default text)"),
            );
            false
        }
    };
    let defaults = Defaults {
        language: c.language.as_ref().map_or_else(Language::english, |l| l.get_ref().clone()),
        hashtags: c.hashtags.as_ref().map(|h| h.get_ref().clone()).unwrap_or_default(),
        link: c.link.as_ref().map(|l| l.get_ref().clone()),
        utm: c.utm.as_ref().is_some_and(|u| *u.get_ref()),
        time: c.time.as_ref().map(|t| t.get_ref().0),
        fallback,
        campaign_id: id.clone(),
    };
    let dir = path.parent().unwrap_or(Path::new(".")).to_path_buf();
    let mut seen: HashMap<String, Range<usize>> = HashMap::new();
    let mut media_cache = MediaCache::default();
    let mut utm_links = HashMap::new();
    let mut posts = Vec::new();
    for p in raw.posts {
        // A duplicate is still checked (its other mistakes are reported too), then left out.
        let mut duplicate = false;
        if let Some(post_id) = &p.id {
            if let Some(first) = seen.get(post_id.get_ref().as_str()) {
                let (line, _) = source.line_col(first.start);
                diags.push(
                    Diagnostic::error(format!("duplicate post id `{}`", post_id.get_ref()))
                        .at(source, post_id.span())
                        .help(format!("post ids must be unique in a campaign; the first is on line {line}")),
                );
                duplicate = true;
            } else {
                seen.insert(post_id.get_ref().to_string(), post_id.span());
            }
        }
        let mut pv = PostValidation {
            source,
            cx,
            defaults: &defaults,
            dir: &dir,
            templates,
            media_cache: &mut media_cache,
            utm_links: &mut utm_links,
            diags,
            skipped: 0,
        };
        if let Some(post) = pv.post(p, &channel_ids).filter(|_| !duplicate) {
            posts.push(post);
        }
    }
    // A file with errors keeps its valid posts, marked broken: `check` still renders them (so every
    // problem shows at once), and nothing else ever schedules them.
    let broken = diags.iter().filter(|d| d.is_error()).count() > errors_before;
    Some(Campaign {
        id,
        name: c.name?.into_inner(),
        source: source.clone(),
        dir,
        tz: c.timezone?.into_inner().0,
        language: defaults.language,
        starts: c.starts?.into_inner().0,
        ends: c.ends?.into_inner().0,
        catch_up: c.catch_up.map(|i| i.into_inner().0),
        posts,
        broken,
    })
}

/// Control characters in a text that is published.
///
/// What: a post's text, translation, link or alt text holding a control character (ESC, BEL, backspace,
/// CR, DEL, a C1 control) or a bidirectional control (U+202A–U+202E, U+2066–U+2069, U+200E, U+200F,
/// U+061C) is a warning at that character; a NUL (U+0000) is an error.
///
/// Why: herald publishes the text as it is. An escape sequence rewrites the terminal of whoever reads
/// it raw, a bidirectional override makes the post read differently from what was reviewed, and none of
/// them is visible in an editor; platforms cut the text at a NUL or refuse it.
///
/// Example: `text = "Water is life.\u001b[2J"` warns at the `\u001b`, "it would be published as is".
pub fn published_text(
    source: &Source,
    owner: &str,
    field: &str,
    literal: Range<usize>,
    value: &str,
    diags: &mut Vec<Diagnostic>,
) {
    let at = |i: usize| super::reader::char_span(&source.text, literal.clone(), value, i);
    if let Some(i) = value.find('\0') {
        diags.push(
            Diagnostic::error(format!("{owner}: its {field} has {}", describe('\0')))
                .at(source, at(i))
                .help("a NUL cannot be published (platforms cut the text there or refuse it); remove it"),
        );
    }
    let mut found = value.char_indices().filter(|(_, c)| *c != '\0' && hostile(*c));
    if let Some((i, c)) = found.next() {
        let more = match found.count() {
            0 => String::new(),
            n => format!(" and {}", crate::diagnostic::plural(n, "more such character")),
        };
        diags.push(
            Diagnostic::warning(format!("{owner}: its {field} has {}{more}", describe(c)))
                .at(source, at(i))
                .help("it would be published as is; remove it or write it visibly"),
        );
    }
}

/// The platform a `[post.NAME]` table overrides, if it is a platform's table: `NAME` is a platform's name
/// (`twitter`, or its alias `x`) and not a configured channel's. A configured channel's name means that
/// channel only, even when it is also a platform's name.
///
/// What: with channels `x`, `x-fr` and `x-ar` on X/Twitter, `[post.x]` changes channel `x` only;
/// `[post.twitter]` changes all three. Why: an editor writing `[post.x]` under a channel called `x`
/// means that account, not the French and Arabic ones too.
fn override_platform(config: &Config, key: &str) -> Option<Platform> {
    if config.channel(key).is_some() || config.broken_channel(key).is_some() {
        return None;
    }
    key.parse::<Platform>().ok()
}

/// "a LinkedIn", "an Instagram", "an X/Twitter": the platform's name with its article, as it is read.
fn a_channel(display: &str) -> String {
    let an = display.starts_with(['A', 'E', 'I', 'O', 'U', 'X']);
    format!("{} {display}", if an { "an" } else { "a" })
}

/// `[daemon]`, with defaults for what it leaves out.
fn daemon(source: &Source, raw: Option<TomlDaemon>, diags: &mut Vec<Diagnostic>) -> Daemon {
    let mut d = Daemon::default();
    let Some(raw) = raw else { return d };
    let secs = |i: Option<Spanned<Interval>>| i.map(|i| i.into_inner().0);
    d.catch_up = secs(raw.catch_up).unwrap_or(d.catch_up);
    d.shutdown_grace = secs(raw.shutdown_grace).unwrap_or(d.shutdown_grace);
    // An interval of at least a second, or an error at its place.
    let mut at_least_a_second = |i: Option<Spanned<Interval>>, name: &str, help: &str| {
        let i = i?;
        if i.get_ref().0 < std::time::Duration::from_secs(1) {
            diags.push(Diagnostic::error(format!("`{name}` must be at least 1s")).at(source, i.span()).help(help));
            return None;
        }
        Some(i.into_inner().0)
    };
    let help = "platforms can take seconds to answer; the default is \"30s\"";
    d.request_timeout = at_least_a_second(raw.request_timeout, "request_timeout", help).unwrap_or(d.request_timeout);
    let help = "it caps each sleep so a clock jump is noticed; \"60s\" is a good value";
    d.max_sleep = at_least_a_second(raw.max_sleep, "max_sleep", help).unwrap_or(d.max_sleep);
    if let Some(n) = raw.max_attempts {
        if *n.get_ref() == 0 {
            diags.push(
                Diagnostic::error("`max_attempts` must be at least 1").at(source, n.span()).help("the default is 5"),
            );
        } else {
            d.max_attempts = n.into_inner();
        }
    }
    if let Some(l) = raw.listen {
        match l.get_ref().parse::<std::net::SocketAddr>() {
            Ok(addr) if !addr.ip().is_loopback() => diags.push(
                Diagnostic::error(format!(
                    "herald serves /healthz and /metrics on this machine only, not on {}",
                    addr.ip()
                ))
                .at(source, l.span())
                .help(format!(
                    "write \"127.0.0.1:{}\" and let a reverse proxy or the metrics agent reach it",
                    addr.port()
                )),
            ),
            Ok(addr) => d.listen = Some(addr),
            Err(_) => diags.push(
                Diagnostic::error(format!("`{}` is not an address to listen on", l.get_ref()))
                    .at(source, l.span())
                    .help("write an IP address and a port, e.g. \"127.0.0.1:9464\""),
            ),
        }
    }
    d.alert_webhook = raw.alert_webhook.map(Spanned::into_inner);
    d
}

/// The campaign's channels, as indexes into the config; unknown names are reported.
fn campaign_channels(source: &Source, c: &TomlCampaign, config: &Config, diags: &mut Vec<Diagnostic>) -> Vec<usize> {
    let Some(list) = &c.channels else { return Vec::new() };
    if list.get_ref().is_empty() {
        diags.push(Diagnostic::error("the campaign has no channels").at(source, list.span()).help(format!(
            "list channel names from config/herald.toml, e.g. [{}]",
            channel_names(config).map(|n| format!("\"{n}\"")).collect::<Vec<_>>().join(", ")
        )));
    }
    let mut out = Vec::new();
    for name in list.get_ref() {
        match config.channel(name.get_ref().as_str()) {
            Some((i, _)) if !out.contains(&i) => out.push(i),
            Some(_) => diags.push(
                Diagnostic::warning(format!("channel `{}` is listed twice", name.get_ref()))
                    .at(source, name.span())
                    .help("remove the second one"),
            ),
            None => diags.push(unknown_channel(source, name, config)),
        }
    }
    out
}

fn channel_names(config: &Config) -> impl Iterator<Item = &str> + Clone {
    config.channels.iter().map(|c| c.name.as_str())
}

fn unknown_channel(source: &Source, name: &Spanned<Id>, config: &Config) -> Diagnostic {
    if let Some(table) = config.broken_channel(name.get_ref().as_str()) {
        let mut d = Diagnostic::error(format!(
            "channel `{}` is left out: its table in config/herald.toml has an error",
            name.get_ref()
        ))
        .at(source, name.span())
        .help("fix the error in config/herald.toml");
        d.caused_by = Some(table);
        return d;
    }
    let help = did_you_mean(name.get_ref().as_str(), channel_names(config)).unwrap_or_else(|| {
        format!(
            "channels are defined in config/herald.toml as `[channels.NAME]`; defined: {}",
            channel_names(config).map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
        )
    });
    Diagnostic::error(format!("unknown channel `{}`", name.get_ref())).at(source, name.span()).help(help)
}

/// Campaign-wide defaults a post inherits.
struct Defaults {
    language: Language,
    hashtags: Vec<Hashtag>,
    link: Option<LinkSetting>,
    utm: bool,
    time: Option<NaiveTime>,
    fallback: bool,
    campaign_id: String,
}

struct PostValidation<'a, 'b> {
    source: &'a Source,
    cx: &'a Context<'b>,
    defaults: &'a Defaults,
    dir: &'a Path,
    templates: &'a mut Templates,
    media_cache: &'a mut MediaCache,
    /// Links with UTM parameters, built once per link and platform.
    utm_links: &'a mut HashMap<(String, Platform), String>,
    diags: &'a mut Vec<Diagnostic>,
    /// Channels the post leaves out with `skip = true`.
    skipped: usize,
}

impl PostValidation<'_, '_> {
    fn error(&mut self, span: Range<usize>, message: impl Into<String>, help: impl Into<String>) {
        self.diags.push(Diagnostic::error(message).at(self.source, span).help(help));
    }

    fn post(&mut self, p: TomlPost, campaign_channels: &[usize]) -> Option<Post> {
        let id = p.id.as_ref()?.get_ref().to_string();
        let errors_before = self.diags.iter().filter(|d| d.is_error()).count();
        self.check_published_texts(&p, &id);
        // When the date is wrong the rest of the post is still checked (against a stand-in date of the
        // same kind), so every mistake shows at once; the post is then left out.
        let checked_when = self.when(&p, &id);
        let when = checked_when.clone().unwrap_or_else(|| {
            if p.day.is_some() { When::Day { id: String::new() } } else { When::Date(NaiveDate::MIN) }
        });
        let channels = match &p.channels {
            None => campaign_channels.to_vec(),
            Some(list) => list
                .get_ref()
                .iter()
                .filter_map(|name| match self.cx.config.channel(name.get_ref().as_str()) {
                    Some((i, _)) if campaign_channels.contains(&i) => Some(i),
                    Some(_) => {
                        self.error(
                            name.span(),
                            format!("channel `{}` is not one of the campaign's channels", name.get_ref()),
                            "add it to `channels` in `[campaign]`, or remove it here",
                        );
                        None
                    }
                    None => {
                        self.diags.push(unknown_channel(self.source, name, self.cx.config));
                        None
                    }
                })
                .collect(),
        };
        self.check_override_names(&p, &channels);
        let mut targets = Vec::new();
        let channel_count = channels.len();
        for ch in channels {
            if let Some(t) = self.target(&p, &id, &when, ch) {
                targets.push(t);
            }
        }
        // A post goes to no channel by choice when each of its channels is skipped; a post whose text or
        // time is wrong has no channel because of that, which is reported on its own.
        let errors = self.diags.iter().filter(|d| d.is_error()).count();
        if targets.is_empty() && self.skipped == channel_count && errors == errors_before {
            self.diags.push(
                Diagnostic::warning(format!("post `{id}` goes to no channel"))
                    .at(self.source, p.header.clone())
                    .help("every channel is skipped for this post; remove the post or a `skip = true`"),
            );
        }
        checked_when?;
        let when_span =
            [p.day.as_ref().map(Spanned::span), p.date.as_ref().map(Spanned::span), p.cron.as_ref().map(Spanned::span)]
                .into_iter()
                .flatten()
                .next()
                .unwrap_or_else(|| p.header.clone());
        Some(Post { id, header: p.header, when_span, when, targets })
    }

    fn when(&mut self, p: &TomlPost, id: &str) -> Option<When> {
        let mut rules: Vec<(Range<usize>, When)> = Vec::new();
        if let Some(day) = &p.day {
            match self.cx.calendar.get(day.get_ref().as_str()) {
                Some(_) => rules.push((day.span(), When::Day { id: day.get_ref().to_string() })),
                None => {
                    let help = did_you_mean(day.get_ref().as_str(), self.cx.calendar.ids())
                        .unwrap_or_else(|| "run `herald days` to list every day and its id, or add your own `[[day]]` in config/herald.toml".into());
                    self.error(day.span(), format!("unknown day `{}`", day.get_ref()), help);
                    return None;
                }
            }
        }
        if let Some(date) = &p.date {
            rules.push((date.span(), When::Date(date.get_ref().0)));
        }
        if let Some(cron) = &p.cron {
            rules.push((cron.span(), When::Cron(Box::new(cron.get_ref().clone()))));
            let layers = std::iter::once(&p.content).chain(p.overrides.iter().map(|(_, c)| c));
            let spans: Vec<(&str, Option<Range<usize>>)> = layers
                .flat_map(|l| {
                    [("time", l.time.as_ref().map(Spanned::span)), ("offset", l.offset.as_ref().map(Spanned::span))]
                })
                .collect();
            for (what, span) in spans {
                if let Some(span) = span {
                    self.error(
                        span,
                        format!("a post with `cron` cannot have `{what}`"),
                        "the cron rule already sets the time: put the hour and minute in it, e.g. \"0 30 9 * * Mon\"",
                    );
                }
            }
        }
        match rules.len() {
            0 if p.content.invalid.iter().any(|k| matches!(*k, "day" | "date" | "cron")) => None,
            0 => {
                self.error(
                    p.header.clone(),
                    format!("post `{id}` has no date"),
                    "add `day = \"world-water-day\"`, `date = 2027-03-22` or `cron = \"0 0 10 * * Mon\"`",
                );
                None
            }
            1 => rules.pop().map(|(_, w)| w),
            _ => {
                self.error(
                    rules[1].0.clone(),
                    format!("post `{id}` has more than one of `day`, `date` and `cron`"),
                    "keep exactly one; make separate posts for separate dates",
                );
                None
            }
        }
    }

    /// Control and bidirectional characters in everything of the post that is published: its texts and
    /// translations (templates: what they render is checked in [`crate::check`]), links and alt texts,
    /// in the post and in each `[post.NAME]`.
    fn check_published_texts(&mut self, p: &TomlPost, id: &str) {
        let owner = format!("post `{id}`");
        for layer in std::iter::once(&p.content).chain(p.overrides.iter().map(|(_, c)| c)) {
            let mut fields: Vec<(String, Range<usize>, &str)> = Vec::new();
            if let Some(t) = &layer.text {
                fields.push(("`text`".into(), t.span(), t.get_ref()));
            }
            for (language, t) in &layer.translations {
                fields.push((format!("`{language}` translation"), t.span(), t.get_ref()));
            }
            if let Some(l) = &layer.link
                && let LinkSetting::Url(url) = l.get_ref()
            {
                fields.push(("`link`".into(), l.span(), url.as_str()));
            }
            for m in layer.media.as_ref().map(|m| m.get_ref().as_slice()).unwrap_or_default() {
                if let Some(alt) = &m.get_ref().alt {
                    let span = super::reader::literal_of_key(&self.source.text, m.span(), "alt").unwrap_or(m.span());
                    fields.push((format!("alt text of `{}`", m.get_ref().file), span, alt));
                }
            }
            for (field, span, value) in fields {
                published_text(self.source, &owner, &field, span, value, self.diags);
            }
        }
    }

    /// Every `[post.NAME]` must name a platform or a channel; an override nobody receives is a warning.
    fn check_override_names(&mut self, p: &TomlPost, channels: &[usize]) {
        let config = self.cx.config;
        for (name, _) in &p.overrides {
            let key = name.get_ref().as_str();
            let platform = key.parse::<Platform>().ok();
            let is_channel = config.channel(key).is_some();
            if let Some(table) = config.broken_channel(key) {
                let mut d = Diagnostic::error(format!(
                    "`[post.{key}]`: channel `{key}` is left out, its table in config/herald.toml has an error"
                ))
                .at(self.source, name.span())
                .help("fix the error in config/herald.toml");
                d.caused_by = Some(table);
                self.diags.push(d);
                continue;
            }
            if platform.is_none() && !is_channel {
                let candidates: Vec<&str> = PLATFORMS
                    .iter()
                    .map(|p| p.name())
                    .chain(channel_names(config))
                    .chain(["translations", "media"])
                    .collect();
                let help = did_you_mean(key, candidates.iter().copied()).unwrap_or_else(|| "a table inside a post overrides its fields for a platform (`[post.instagram]`) or a channel (`[post.x-fr]`)".into());
                self.error(name.span(), format!("`[post.{key}]` is neither a platform nor a channel"), help);
                continue;
            }
            let used = channels.iter().any(|&i| {
                let c = &config.channels[i];
                c.name == key || (!is_channel && Some(c.platform) == platform)
            });
            if let (true, Some(platform)) = (is_channel, platform) {
                let others: Vec<&str> = channels
                    .iter()
                    .map(|&i| &config.channels[i])
                    .filter(|c| c.platform == platform && c.name != key)
                    .filter(|c| !p.overrides.iter().any(|(k, _)| *k.get_ref() == c.name))
                    .map(|c| c.name.as_str())
                    .collect();
                if !others.is_empty() {
                    let display = platform.rules().display;
                    let list = others.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ");
                    let help = if key == platform.name() {
                        format!(
                            "to change every {display} channel of this post, rename channel `{key}` in config/herald.toml; then `[post.{}]` means the platform",
                            platform.name()
                        )
                    } else {
                        format!(
                            "if it is meant for every {display} channel of this post (also {list}), write `[post.{}]`",
                            platform.name()
                        )
                    };
                    self.diags.push(
                        Diagnostic::warning(format!(
                            "`[post.{key}]` applies to channel `{key}` only, not to {list}: `{key}` is both a channel and a name of the {display} platform"
                        ))
                        .at(self.source, name.span())
                        .help(help),
                    );
                }
            }
            if !used {
                self.diags.push(
                    Diagnostic::warning(format!("`[post.{key}]` is never used: this post goes to no such channel"))
                        .at(self.source, name.span())
                        .help("remove it, or add the channel to the post's or campaign's `channels`"),
                );
            }
        }
    }

    /// The post as it goes to channel `ch`: base fields, then the platform override, then the channel's.
    fn target(&mut self, p: &TomlPost, id: &str, when: &When, ch: usize) -> Option<Target> {
        let channel = &self.cx.config.channels[ch];
        let layers: Vec<&TomlContent> = std::iter::once(&p.content)
            .chain(
                p.overrides
                    .iter()
                    .filter(|(k, _)| override_platform(self.cx.config, k.get_ref()) == Some(channel.platform))
                    .map(|(_, c)| c),
            )
            .chain(p.overrides.iter().filter(|(k, _)| k.get_ref() == &channel.name).map(|(_, c)| c))
            .collect();
        let pick = |f: fn(&TomlContent) -> bool| layers.iter().rev().copied().find(|l| f(l));
        if pick(|l| l.skip.is_some()).and_then(|l| l.skip.as_ref()).is_some_and(|s| *s.get_ref()) {
            self.skipped += 1;
            return None;
        }
        let d = self.defaults;
        let offset =
            pick(|l| l.offset.is_some()).and_then(|l| l.offset.as_ref()).map_or(Duration::zero(), |o| o.get_ref().0);
        let time = match pick(|l| l.time.is_some()).and_then(|l| l.time.as_ref()).map(|t| t.get_ref().0).or(d.time) {
            Some(t) => t,
            None if matches!(when, When::Cron(_)) => NaiveTime::MIN,
            None if layers.iter().any(|l| l.invalid.contains(&"time")) => return None,
            None => {
                self.error(
                    p.header.clone(),
                    format!("post `{id}` has no time"),
                    "add `time = \"09:00\"` to the post, or a default `time` to `[campaign]`",
                );
                return None;
            }
        };
        // The text in the channel's language.
        let (text, language) = self.text_for(&layers, id, channel, p)?;
        if text.get_ref().trim().is_empty() {
            self.error(
                text.span(),
                format!("post `{id}` has an empty text"),
                format!(
                    "write the text; to leave a channel out of this post, write `skip = true` in `[post.{}]`",
                    channel.name
                ),
            );
            return None;
        }
        let link_setting = pick(|l| l.link.is_some())
            .and_then(|l| l.link.as_ref())
            .map(|l| l.get_ref().clone())
            .or_else(|| d.link.clone());
        let utm = pick(|l| l.utm.is_some()).and_then(|l| l.utm.as_ref()).map_or(d.utm, |u| *u.get_ref());
        let link = match link_setting {
            Some(LinkSetting::Url(l)) if utm => Some(
                self.utm_links
                    .entry((l.to_string(), channel.platform))
                    .or_insert_with(|| l.with_utm(channel.platform.name(), &d.campaign_id))
                    .clone(),
            ),
            Some(LinkSetting::Url(l)) => Some(l.to_string()),
            _ => None,
        };
        let scope = Scope { has_day: matches!(when, When::Day { .. }), has_link: link.is_some() };
        let compiled = match self.templates.add(text.get_ref(), scope) {
            Ok(c) => Some(c),
            Err(e) => {
                let span =
                    super::reader::span_in_string(&self.source.text, text.span(), text.get_ref(), e.range.clone());
                self.diags.push(Diagnostic::error(e.message).at(self.source, span).help_opt(e.help));
                None
            }
        };
        let hashtags = pick(|l| l.hashtags.is_some())
            .and_then(|l| l.hashtags.as_ref())
            .map_or_else(|| d.hashtags.clone(), |h| h.get_ref().clone());
        let media_layer = pick(|l| l.media.is_some());
        let media = media_layer.and_then(|l| l.media.as_ref()).map(|m| m.get_ref().clone()).unwrap_or_default();
        let media = self.media(&media, channel, id);
        // Only when no media was written at all: a listed file that failed is reported on its own.
        let media_written = media_layer.is_some() || layers.iter().any(|l| l.invalid.contains(&"media"));
        if channel.platform.rules().requires_image && media.is_empty() && !media_written {
            let span = media_layer.map_or(p.header.clone(), |l| l.span.clone());
            self.error(span, format!("post `{id}` has no image, and {} posts need one (channel `{}`)", channel.platform.rules().display, channel.name), "add `media = [{ file = \"media/….jpg\", alt = \"…\" }]` to the post or to `[post.instagram]`, or skip Instagram with `[post.instagram] skip = true`");
        }
        // The text's problem was reported; the media checks above still ran.
        let compiled = compiled?;
        let thread = pick(|l| l.thread.is_some()).and_then(|l| l.thread.as_ref()).is_some_and(|t| *t.get_ref());
        let hashtags: Vec<String> = hashtags.iter().map(|h| h.as_str().to_string()).collect();
        let hashtags_line = hashtags.iter().map(|h| format!("#{h}")).collect::<Vec<_>>().join(" ");
        Some(Target {
            channel: ch,
            offset,
            time,
            template: compiled.index,
            link_in_text: compiled.uses_link,
            text_span: text.span(),
            language,
            link,
            hashtags,
            media,
            thread,
            handle: format!("@{}", channel.handle),
            hashtags_line,
        })
    }

    fn text_for(
        &mut self,
        layers: &[&TomlContent],
        id: &str,
        channel: &Channel,
        p: &TomlPost,
    ) -> Option<(Spanned<String>, Language)> {
        let d = self.defaults;
        // A channel's own table speaks that channel's language: its `text` is used as written.
        let own =
            p.overrides.iter().rev().filter(|(k, _)| *k.get_ref() == channel.name).find_map(|(_, c)| c.text.clone());
        if let Some(text) = own {
            return Some((text, channel.language.clone()));
        }
        if channel.language == d.language {
            let text = layers.iter().rev().find_map(|l| l.text.clone());
            if text.is_none() && !layers.iter().any(|l| l.invalid.contains(&"text")) {
                self.error(p.header.clone(), format!("post `{id}` has no `text`"), "add `text = \"…\"`");
            }
            return text.map(|t| (t, d.language.clone()));
        }
        let translations: BTreeMap<&Language, &Spanned<String>> =
            layers.iter().flat_map(|l| l.translations.iter()).collect();
        if let Some(t) = translations.get(&channel.language) {
            return Some(((*t).clone(), channel.language.clone()));
        }
        let default_text = layers.iter().rev().find_map(|l| l.text.clone());
        let message = format!("post `{id}` has no `{}` translation for channel `{}`", channel.language, channel.name);
        if d.fallback {
            let help = format!(
                "add `[post.translations]` with `{} = \"…\"`; until then the `{}` text goes out (`missing_translation = \"fallback\"`)",
                channel.language, d.language
            );
            self.diags.push(Diagnostic::warning(message).at(self.source, p.header.clone()).help(help));
            default_text.map(|t| (t, d.language.clone()))
        } else {
            let help = format!(
                "add `[post.translations]` with `{} = \"…\"`, or set `missing_translation = \"fallback\"` in `[campaign]` to send the `{}` text",
                channel.language, d.language
            );
            self.error(p.header.clone(), message, help);
            None
        }
    }

    fn media(&mut self, media: &[Spanned<TomlMedia>], channel: &Channel, id: &str) -> Vec<Media> {
        let rules = channel.platform.rules();
        if media.len() > rules.max_media {
            self.error(
                media[rules.max_media].span(),
                format!(
                    "{} posts take at most {} images; post `{id}` has {}",
                    rules.display,
                    rules.max_media,
                    media.len()
                ),
                format!(
                    "keep {} images, or give `[post.{}]` its own `media`",
                    rules.max_media,
                    channel.platform.name()
                ),
            );
        }
        let mut out = Vec::new();
        for m in media {
            let span = m.span();
            let item = m.get_ref();
            let Some(file) = self.media_cache.check(self.dir, &item.file, span.clone(), self.source, self.diags) else {
                continue;
            };
            if !rules.media_types.contains(&file.kind) {
                let accepted: Vec<String> = rules.media_types.iter().map(ToString::to_string).collect();
                self.error(
                    span.clone(),
                    format!(
                        "{} does not accept {} images (`{}` for channel `{}`)",
                        rules.display, file.kind, item.file, channel.name
                    ),
                    format!(
                        "{} accepts {}; convert the image, or give `[post.{}]` its own `media`",
                        rules.display,
                        accepted.join(", "),
                        channel.platform.name()
                    ),
                );
                continue;
            }
            if file.size > rules.max_image_bytes {
                self.error(
                    span.clone(),
                    format!(
                        "`{}` is {}, over {}'s limit of {} for an image (channel `{}`)",
                        item.file,
                        media::size_in_words(file.size),
                        rules.display,
                        media::size_in_words(rules.max_image_bytes),
                        channel.name
                    ),
                    format!(
                        "make the image smaller (fewer pixels or a lower export quality), or give `[post.{}]` its own `media`",
                        channel.platform.name()
                    ),
                );
                continue;
            }
            let alt = item.alt.as_ref().filter(|a| !a.trim().is_empty()).cloned();
            if alt.is_none() && self.media_cache.warn_alt(&item.file) {
                self.diags.push(
                    Diagnostic::warning(format!("image `{}` has no alt text", item.file))
                        .at(self.source, span.clone())
                        .help("add `alt = \"…\"` describing the image, so people using screen readers get it too"),
                );
            }
            out.push(Media { file: item.file.clone(), path: file.path.clone(), alt, kind: file.kind });
        }
        out
    }
}

/// Media files checked once per campaign, however many channels use them.
#[derive(Default)]
struct MediaCache {
    checked: HashMap<String, Option<CheckedFile>>,
    alt_warned: Vec<String>,
}

#[derive(Clone)]
struct CheckedFile {
    path: PathBuf,
    kind: MediaType,
    /// In bytes, from the file system (the file is not read to find it).
    size: u64,
}

impl MediaCache {
    fn warn_alt(&mut self, file: &str) -> bool {
        if self.alt_warned.iter().any(|f| f == file) {
            return false;
        }
        self.alt_warned.push(file.to_string());
        true
    }

    fn check(
        &mut self,
        dir: &Path,
        file: &str,
        span: Range<usize>,
        source: &Source,
        diags: &mut Vec<Diagnostic>,
    ) -> Option<CheckedFile> {
        if let Some(done) = self.checked.get(file) {
            return done.clone();
        }
        let result = check_media_file(dir, file)
            .map_err(|(message, help)| diags.push(Diagnostic::error(message).at(source, span).help(help)));
        let result = result.ok();
        self.checked.insert(file.to_string(), result.clone());
        result
    }
}

fn check_media_file(dir: &Path, file: &str) -> Result<CheckedFile, (String, String)> {
    let rel = Path::new(file);
    let escapes = rel.is_absolute()
        || rel
            .components()
            .try_fold(0i32, |depth, c| match c {
                Component::Normal(_) => Some(depth + 1),
                Component::CurDir => Some(depth),
                Component::ParentDir if depth > 0 => Some(depth - 1),
                _ => None,
            })
            .is_none();
    let keep_inside =
        "media paths are relative to the campaign file's folder and must stay inside it, e.g. \"media/iwd.jpg\""
            .to_string();
    if escapes {
        return Err((format!("media file `{file}` is outside the campaign folder"), keep_inside));
    }
    let path = dir.join(rel);
    let (Ok(real), Ok(root)) = (path.canonicalize(), dir.canonicalize()) else {
        return Err((
            format!("media file `{file}` does not exist"),
            format!("put the file at `{}`, or fix the path", path.display()),
        ));
    };
    if !real.starts_with(&root) {
        return Err((format!("media file `{file}` links outside the campaign folder"), keep_inside));
    }
    let Some(claimed) = MediaType::from_extension(file) else {
        return Err((
            format!("`{file}` is not an image herald can publish"),
            "use a .jpg, .png, .gif or .webp image".into(),
        ));
    };
    // Only a regular file is opened (a named pipe would block `check` forever), and only its headers
    // are read: its size comes from the file system, and each channel compares it with its limit.
    let (file_handle, size) = match media::open_regular(&real) {
        Ok(opened) => opened,
        Err(MediaError::NotRegular(what)) => {
            return Err((
                format!("media file `{file}` is {what}, not a regular file"),
                "media must be ordinary image files; herald does not read pipes, devices, sockets or folders".into(),
            ));
        }
        Err(e) => {
            return Err((format!("media file `{file}` {e}"), "check the file's permissions".to_string()));
        }
    };
    let found = MediaType::identify(&mut std::io::BufReader::new(file_handle)).map_err(|e| {
        (format!("media file `{file}` cannot be read: {e}"), "check the file's permissions".to_string())
    })?;
    match found {
        Some(real_kind) if real_kind == claimed => Ok(CheckedFile { path: real, kind: claimed, size }),
        Some(real_kind) => Err((
            format!("`{file}` is named like a {claimed} image but is a {real_kind}"),
            format!("rename it with the right extension for a {real_kind} file, or convert it"),
        )),
        None => Err((
            format!("`{file}` is not a well-formed {claimed} image"),
            "export the image again from an image editor (as JPEG or PNG); the file may be damaged or cut short".into(),
        )),
    }
}

/// The host of a plain `http://` address (lowercase, without user, port or IPv6 brackets); `None` for
/// any other scheme.
///
/// What: a channel's `base_url` with credentials must be `https://` unless it is this machine.
/// Why: the token (or the OAuth signature's inputs) travels in every request; over plain http anyone
/// on the path reads it. Example: `base_url = "http://api.example.org"` is refused,
/// `base_url = "http://127.0.0.1:8080"` (a local fake or proxy) is not.
fn plain_http_host(url: &str) -> Option<String> {
    let rest = url.get(..7).filter(|s| s.eq_ignore_ascii_case("http://")).map(|_| &url[7..])?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = match host_port.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => host_port.split(':').next().unwrap_or_default(),
    };
    Some(host.to_ascii_lowercase())
}

/// Whether `host` is this machine: `localhost`, `127.0.0.0/8` or `::1`.
fn is_loopback(host: &str) -> bool {
    host == "localhost" || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::{is_loopback, plain_http_host};

    #[test]
    fn plain_http_hosts_are_found_without_user_port_or_brackets() {
        assert_eq!(plain_http_host("http://api.example.org/2"), Some("api.example.org".into()));
        assert_eq!(plain_http_host("HTTP://User:pw@API.example.org:8080"), Some("api.example.org".into()));
        assert_eq!(plain_http_host("http://[::1]:9000/x"), Some("::1".into()));
        assert_eq!(plain_http_host("https://api.example.org"), None);
        for local in ["127.0.0.1", "127.1.2.3", "::1", "localhost"] {
            assert!(is_loopback(local), "{local}");
        }
        for remote in ["10.0.0.1", "api.example.org", "128.0.0.1", "localhost.example.org", "::2"] {
            assert!(!is_loopback(remote), "{remote}");
        }
    }
}
