//! Rendering a post for one channel: pure, deterministic, no I/O.
//!
//! Owns the pipeline from an [`Occurrence`] to the exact text a platform receives: the template is
//! rendered with the occurrence's variables, the link is placed as the platform wants it for the post's
//! shape (in the text, in a separate field, or left out where links are not clickable; a Facebook photo
//! post has no link field, so its link ends the text), missing hashtags are appended, the length is
//! measured as the platform measures it, and an over-long X post with `thread = true` is split into a
//! numbered thread. Everything that can go wrong here is a [`RenderError`].
//!
//! A [`Rendered`] is final: the adapters send its parts, link field and media as they are, and
//! `herald preview` and `herald check` show and measure the same value, so what people review is what
//! is published. Only transport encoding happens later, and it changes nothing people read: JSON and
//! form encoding, and LinkedIn's "little text" escaping of its reserved characters
//! ([`crate::channels::linkedin::little_text`]), which LinkedIn shows as the plain text rendered here.

pub mod locale;
pub mod template;
pub mod thread;

use thiserror::Error;

use crate::channels::LinkPlacement;
use crate::config::{Media, Project, When};
use crate::schedule::Occurrence;
use chrono::Timelike as _;
use template::{DayVars, Vars};

/// A post exactly as it would be published on one channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// The whole text, before any thread split.
    pub text: String,
    /// The text, split into thread parts when needed (one element otherwise).
    pub parts: Vec<String>,
    /// The first part's length, as the platform counts it.
    pub length: usize,
    pub limit: usize,
    /// A link sent in a separate API field (Facebook's `link`, on posts without images); `None` when
    /// the link is in `text` or left out.
    pub link_field: Option<String>,
    /// The images, with their alt text as sent (cut to the platform's limit).
    pub media: Vec<Media>,
    /// Whether the text is in a right-to-left language.
    pub rtl: bool,
    /// Things worth knowing that do not stop the post.
    pub warnings: Vec<Warning>,
    /// Plain facts about how the post was adapted (e.g. a link left out on Instagram).
    pub notes: Vec<String>,
}

/// Something worth fixing that does not stop a post, with how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    pub message: String,
    pub help: std::borrow::Cow<'static, str>,
}

/// Why a post cannot be rendered for a channel.
#[derive(Debug, Clone, Error, PartialEq, Eq)]
pub enum RenderError {
    #[error("{message}")]
    Template { message: String, help: Option<String>, range: Option<std::ops::Range<usize>> },
    #[error("the text is {length} characters on {platform}, over its limit of {limit}")]
    TooLong { length: usize, limit: usize, platform: &'static str, can_thread: bool, text: String },
    #[error("the text cannot be split into a thread: {reason}")]
    Thread { reason: String, text: String },
    #[error("the text has {count} {what}; {platform} allows at most {max}")]
    TooMany { count: usize, max: usize, what: &'static str, platform: &'static str, text: String },
}

impl RenderError {
    /// The composed text that broke a platform rule, so it can be shown with the error.
    pub fn text(&self) -> Option<&str> {
        match self {
            RenderError::Template { .. } => None,
            RenderError::TooLong { text, .. }
            | RenderError::Thread { text, .. }
            | RenderError::TooMany { text, .. } => Some(text),
        }
    }

    /// How to fix it, in plain words.
    pub fn help(&self) -> Option<String> {
        match self {
            RenderError::Template { help, .. } => Some(help.clone().unwrap_or_else(|| {
                "check the template here; the variables are listed in README.md (\"Template variables\")".into()
            })),
            RenderError::TooLong { can_thread: true, length, limit, .. } => Some(format!(
                "shorten it by {} characters, give X a shorter `text` in `[post.twitter]`, or set `thread = true` to publish it as a numbered thread",
                length - limit
            )),
            RenderError::TooLong { platform, length, limit, .. } => Some(format!(
                "shorten it by {} characters, or give {platform} a shorter `text` in its own override table",
                length - limit
            )),
            RenderError::Thread { .. } => Some("break the long word or link, or shorten the text".into()),
            RenderError::TooMany { what, .. } => Some(format!("remove some {what}")),
        }
    }
}

/// Renders one occurrence for its channel.
pub fn render(project: &Project, occ: &Occurrence) -> Result<Rendered, RenderError> {
    let campaign = &project.campaigns[occ.campaign];
    let post = &campaign.posts[occ.post];
    let target = &post.targets[occ.target];
    let channel = &project.config.channels[target.channel];
    let platform = channel.platform;
    let rules = platform.rules();

    // The time the post really goes out (after any DST shift), on the campaign's clock.
    let sent_at = occ.at_utc.with_timezone(&campaign.tz);
    let post_date = sent_at.date_naive().to_string();
    let post_time = format!("{:02}:{:02}", sent_at.hour(), sent_at.minute());
    let day_date = occ.day_date.map(|d| d.to_string());
    let day = match (&post.when, &day_date) {
        (When::Day { id }, Some(date)) => project.calendar.get(id).map(|d| DayVars {
            id: &d.id,
            name: d.name_in(target.language.as_str()).unwrap_or(&d.name),
            date,
            year: occ.day_date.map_or(0, |d| chrono::Datelike::year(&d)),
        }),
        _ => None,
    };
    let vars = Vars {
        campaign_id: &campaign.id,
        campaign_name: &campaign.name,
        post_id: &post.id,
        post_date: &post_date,
        post_time: &post_time,
        post_language: target.language.as_str(),
        day,
        channel_name: &channel.name,
        channel_platform: platform.name(),
        channel_handle: &target.handle,
        link: target.link.as_deref(),
        hashtags: &target.hashtags_line,
    };
    let body = project.templates.render(target.template, &vars).map_err(|e| RenderError::Template {
        message: e.message,
        help: e.help,
        range: e.range,
    })?;
    let mut text = body.trim().to_string();
    let mut notes = Vec::new();
    let mut warnings = Vec::new();
    let mut link_field = None;
    if let When::Day { id } = &post.when
        && let Some(day) = project.calendar.get(id)
        && day.name_in(target.language.as_str()).is_none()
        && project.templates.uses(target.template, "day.name")
    {
        let language = locale::english_name(&target.language);
        warnings.push(Warning {
            message: format!("no {language} name for `{id}` in the days list: `{{{{ day.name }}}}` is English here"),
            help: format!(
                "add it in config/herald.toml: `[[day]]` with `id = \"{id}\"` and `names.{} = \"…\"` (a built-in day keeps its date)",
                target.language.as_str()
            )
            .into(),
        });
    }

    if let Some(link) = &target.link {
        match rules.link {
            LinkPlacement::InText if !target.link_in_text => {
                text.push_str("\n\n");
                text.push_str(link);
            }
            LinkPlacement::InText => {}
            LinkPlacement::Field if target.media.is_empty() => link_field = Some(link.clone()),
            // A photo post has no link field: the link ends its text, after the hashtags (below).
            LinkPlacement::Field => {}
            LinkPlacement::NotClickable if target.link_in_text => {}
            LinkPlacement::NotClickable => {
                notes.push(format!("link left out: {} captions have no clickable links ({link})", rules.display))
            }
        }
    }
    let missing: Vec<&str> = target.hashtags.iter().filter(|h| !has_hashtag(&text, h)).map(String::as_str).collect();
    if !missing.is_empty() {
        let appended_link = text.ends_with(target.link.as_deref().unwrap_or("\0"));
        text.push_str(if appended_link { "\n" } else { "\n\n" });
        for (i, tag) in missing.iter().enumerate() {
            text.push_str(if i == 0 { "#" } else { " #" });
            text.push_str(tag);
        }
    }
    if let Some(link) = &target.link
        && rules.link == LinkPlacement::Field
        && !target.media.is_empty()
        && !text.contains(link.as_str())
    {
        if !text.is_empty() {
            text.push_str("\n\n");
        }
        text.push_str(link);
    }
    if rules.link == LinkPlacement::NotClickable && contains_url(&text) {
        warnings.push(Warning {
            message: format!("the text contains a web address, which is not clickable on {}", rules.display),
            help: "write \"link in bio\" instead, or give this platform its own `text`".into(),
        });
    }
    for (max, what, sigil) in [(rules.max_hashtags, "hashtags", '#'), (rules.max_mentions, "mentions", '@')] {
        if let Some(max) = max {
            let count = count_tags(&text, sigil);
            if count > max {
                return Err(RenderError::TooMany { count, max, what, platform: rules.display, text });
            }
        }
    }
    let measure = |s: &str| platform.measure(s);
    let length = measure(&text);
    let parts = if length <= rules.text_limit {
        vec![text.clone()]
    } else if rules.threads && target.thread {
        match thread::split_thread(&text, rules.text_limit, &measure) {
            Ok(parts) => parts,
            Err(e) => return Err(RenderError::Thread { reason: e.to_string(), text }),
        }
    } else {
        return Err(RenderError::TooLong {
            length,
            limit: rules.text_limit,
            platform: rules.display,
            can_thread: rules.threads,
            text,
        });
    };
    let length = if parts.len() == 1 { length } else { measure(&parts[0]) };
    let mut media = target.media.clone();
    for m in &mut media {
        if let (Some(alt), Some(max)) = (&mut m.alt, rules.max_alt)
            && alt.chars().count() > max
        {
            warnings.push(Warning {
                message: format!(
                    "the alt text of `{}` is {} characters; {} takes {max}, so the rest is cut",
                    m.file,
                    alt.chars().count(),
                    rules.display
                ),
                help: "shorten the alt text, or give this platform its own `media` in its override table".into(),
            });
            *alt = alt.chars().take(max).collect();
        }
    }
    Ok(Rendered {
        text,
        length,
        limit: rules.text_limit,
        rtl: target.language.is_rtl(),
        parts,
        link_field,
        media,
        warnings,
        notes,
    })
}

/// Whether `text` already has `#tag`, compared case-insensitively, as a whole tag (not the start of a
/// longer one).
fn has_hashtag(text: &str, tag: &str) -> bool {
    let is_tag_char = |c: char| c.is_alphanumeric() || c == '_';
    text.match_indices('#').any(|(i, _)| {
        let rest = &text[i + 1..];
        let end = rest.find(|c: char| !is_tag_char(c)).unwrap_or(rest.len());
        let found = &rest[..end];
        found.len() == tag.len() && found.eq_ignore_ascii_case(tag)
            || (!tag.is_ascii() && found.to_lowercase() == tag.to_lowercase())
    })
}

/// Number of `#tags` or `@mentions` in `text`.
fn count_tags(text: &str, sigil: char) -> usize {
    let mut prev: Option<char> = None;
    let mut count = 0;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == sigil
            && !prev.is_some_and(|p| p.is_alphanumeric() || p == '_')
            && chars.peek().is_some_and(|n| n.is_alphanumeric() || *n == '_')
        {
            count += 1;
        }
        prev = Some(c);
    }
    count
}

fn contains_url(text: &str) -> bool {
    text.contains("http://") || text.contains("https://") || text.contains("www.")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashtags_are_found_whole_and_case_insensitively() {
        assert!(has_hashtag("Join us #humansecurity today", "HumanSecurity"));
        assert!(!has_hashtag("Join us #HumanSecurityForAll", "HumanSecurity"));
        assert!(has_hashtag("end #HS4A", "hs4a"));
        assert!(has_hashtag("#HS4A, and more", "HS4A"));
        assert!(has_hashtag("Συμμετοχή #ΑΣΦΆΛΕΙΑ", "ασφάλεια"));
        assert!(!has_hashtag("no tags here", "HS4A"));
    }

    /// The one post of a Facebook campaign, rendered (`media` is its `media = …` line, or "").
    fn facebook_rendered(text: &str, media: &str) -> Rendered {
        let dir = tempfile::tempdir().expect("temp dir");
        let write = |rel: &str, contents: &[u8]| {
            let path = dir.path().join(rel);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(path, contents).expect("write");
        };
        write("config/herald.toml", b"[channels.facebook]\nplatform = \"facebook\"\nhandle = \"@HS4Aglobal\"\n");
        write("campaigns/media/a.jpg", crate::channels::media::SMALLEST_JPEG);
        let campaign = format!(
            "[campaign]\nname = \"C\"\ntimezone = \"UTC\"\nchannels = [\"facebook\"]\nhashtags = [\"HS4A\"]\n\
             link = \"https://hs4a.org\"\nstarts = 2027-01-01\nends = 2027-12-31\ntime = \"09:00\"\n\n\
             [[post]]\nid = \"p\"\ndate = 2027-03-22\ntext = \"{text}\"\n{media}\n"
        );
        write("campaigns/c.toml", campaign.as_bytes());
        let loaded = crate::config::load_project(dir.path(), None).expect("project");
        assert!(loaded.diagnostics.iter().all(|d| !d.is_error()), "{:?}", loaded.diagnostics);
        let project = loaded.project;
        let occ = project.occurrences(&crate::schedule::Filter::default()).pop().expect("one occurrence");
        render(&project, &occ).expect("renders")
    }

    #[test]
    fn a_facebook_text_post_sends_its_link_in_the_link_field() {
        let r = facebook_rendered("Water is life.", "");
        assert_eq!(r.parts, ["Water is life.\n\n#HS4A"]);
        assert_eq!(r.link_field.as_deref(), Some("https://hs4a.org"));
    }

    #[test]
    fn a_facebook_photo_post_ends_its_text_with_the_link_and_counts_it() {
        let one = r#"media = [{ file = "media/a.jpg", alt = "A" }]"#;
        let r = facebook_rendered("Water is life.", one);
        assert_eq!(r.parts, ["Water is life.\n\n#HS4A\n\nhttps://hs4a.org"]);
        assert_eq!((r.text.as_str(), r.length), (r.parts[0].as_str(), r.parts[0].chars().count()));
        assert_eq!(r.link_field, None, "photo posts have no link field");
        let r = facebook_rendered("Read {{ link }} today.", one);
        assert_eq!(r.parts, ["Read https://hs4a.org today.\n\n#HS4A"], "a link already in the text stays once");
    }

    #[test]
    fn tags_are_counted_like_platforms_do() {
        assert_eq!(count_tags("#a #b c#d #", '#'), 2);
        assert_eq!(count_tags("mail me@x.org or @hs4a", '@'), 1);
    }
}
