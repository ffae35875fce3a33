//! The platforms herald publishes to, as a closed registry.
//!
//! Owns [`Platform`] (the names accepted in `config/herald.toml`), the per-platform [`Rules`] that
//! rendering and `herald check` apply (length limits and how length is counted, hashtag and mention caps,
//! where the link goes, which media types are accepted and how large an image may be, how many posts a
//! day an account may publish and whether a repeated text is refused), and [`PLATFORMS`], the list that
//! tests walk.
//! Each platform lives in its own folder (`twitter/`, `instagram/`, `linkedin/`, `facebook/`); adding a
//! platform is one folder plus one line in [`PLATFORMS`] and in [`Platform::rules`].

pub mod adapter;
pub mod facebook;
pub mod instagram;
pub mod linkedin;
pub mod media;
pub mod registry;
pub mod twitter;

use std::fmt;
use std::str::FromStr;

pub use media::MediaType;

use crate::diagnostic::did_you_mean;

/// A social platform herald can publish to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Platform {
    Twitter,
    Instagram,
    Linkedin,
    Facebook,
}

/// Every platform, in the order they are shown.
pub const PLATFORMS: &[Platform] = &[Platform::Twitter, Platform::Instagram, Platform::Linkedin, Platform::Facebook];

/// How a platform measures text length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counting {
    /// twitter-text v3 weighted length (URLs 23, CJK and emoji 2).
    TwitterWeighted,
    /// Unicode characters (code points).
    Characters,
}

/// Where a post's link goes on a platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkPlacement {
    /// Appended to the text, on its own line, unless the text already uses `{{ link }}`.
    InText,
    /// Sent in a separate field of the API (Facebook's `link`), which makes the link preview card. A
    /// post with images has no such field (Facebook's photo endpoints): there the link is appended to
    /// the text, after the hashtags, unless the text already has it.
    Field,
    /// Not clickable on the platform: left out (Instagram captions).
    NotClickable,
}

/// The publishing rules of one platform, as rendering and `herald check` apply them.
#[derive(Debug)]
pub struct Rules {
    /// The name used in `config/herald.toml` (`platform = "twitter"`).
    pub name: &'static str,
    /// The name shown to people.
    pub display: &'static str,
    pub text_limit: usize,
    pub counting: Counting,
    pub max_hashtags: Option<usize>,
    pub max_mentions: Option<usize>,
    /// Whether every post needs at least one image.
    pub requires_image: bool,
    pub link: LinkPlacement,
    pub media_types: &'static [MediaType],
    pub max_media: usize,
    /// The largest image file the platform takes, in bytes. `herald check` refuses a bigger file, and
    /// uploads never read more than this (plus one byte, to notice a file that grew): see
    /// [`media::read_bounded`]. Each platform's value says where it comes from.
    pub max_image_bytes: u64,
    /// The longest alt text the platform takes, in characters, when it has a limit: rendering cuts a
    /// longer one (with a warning), so the preview shows the alt text sent.
    pub max_alt: Option<usize>,
    /// Whether an over-long post can be published as a thread (`thread = true`).
    pub threads: bool,
    /// An example channel for this platform, as written in `config/herald.toml`.
    pub example_channel: &'static str,
    /// The ways a channel of this platform can sign in (`auth = "…"`); the first is the default.
    pub auth: &'static [Auth],
    /// What `account = "…"` names on this platform (e.g. the Page id), when the API needs it.
    pub account: Option<Setting>,
    /// Whether the platform fetches media from a public URL (`media_base_url`) instead of taking bytes.
    pub media_by_url: MediaByUrl,
    /// The API version used when the channel sets no `api_version`.
    pub default_api_version: Option<&'static str>,
    /// How many posts of one channel may be in flight at once (the daemon's cap; rate-limit headers
    /// slow it further).
    pub concurrency: usize,
    /// How many posts one account may publish in a day, where the platform caps it: `herald check`
    /// warns at the post that goes over. Each platform's value says where it comes from.
    pub publish_cap: Option<PublishCap>,
    /// How the platform answers a post whose text repeats a recent post of the account, where it
    /// refuses one (with the source): `herald check` warns when a channel gets the same text twice
    /// within [`crate::pacing::DUPLICATE_WINDOW`].
    pub refuses_duplicates: Option<&'static str>,
}

/// A platform's cap on the posts one account may publish in a day.
#[derive(Debug)]
pub struct PublishCap {
    /// The most posts (a thread or a carousel counts as one) in one window.
    pub posts: usize,
    pub window: CapWindow,
    /// Where the number comes from, as `herald check`'s help line says it.
    pub source: &'static str,
    /// Whether the platform's own documentation states the number (otherwise it comes from reports of
    /// publishing tools, and the warning says so).
    pub confirmed: bool,
}

/// The period a [`PublishCap`] counts over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CapWindow {
    /// Any 24 hours (a moving window).
    Rolling24h,
    /// A calendar day in UTC (the count resets at midnight UTC).
    UtcDay,
}

/// One way of signing in to a platform, and the credentials it takes (`[channels.NAME.credentials]`).
#[derive(Debug)]
pub struct Auth {
    /// The value of `auth = "…"` in the channel.
    pub name: &'static str,
    /// Credentials that must be configured.
    pub required: &'static [&'static str],
    /// Credentials that may be configured.
    pub optional: &'static [&'static str],
    /// herald refreshes this sign-in's tokens itself (so a noted `token_expires` needs no warning).
    pub refreshed: bool,
}

/// A platform-specific channel setting, described for error messages.
#[derive(Debug)]
pub struct Setting {
    /// What the value is, in plain words.
    pub meaning: &'static str,
    /// An example value.
    pub example: &'static str,
}

/// How a platform gets a post's images.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaByUrl {
    /// Uploaded as bytes; `media_base_url` is not used.
    Never,
    /// Fetched from `media_base_url` when it is set, uploaded as bytes otherwise.
    Optional,
    /// Always fetched by the platform: `media_base_url` is required.
    Required,
}

impl Rules {
    /// The sign-in named `name` (the default when `None`).
    pub fn auth(&self, name: Option<&str>) -> Option<&'static Auth> {
        match name {
            None => self.auth.first(),
            Some(n) => self.auth.iter().find(|a| a.name == n),
        }
    }

    /// The credentials of the default sign-in, for messages.
    pub fn credentials(&self) -> &'static [&'static str] {
        self.auth.first().map_or(&[], |a| a.required)
    }
}

impl Platform {
    pub fn rules(self) -> &'static Rules {
        match self {
            Platform::Twitter => &twitter::RULES,
            Platform::Instagram => &instagram::RULES,
            Platform::Linkedin => &linkedin::RULES,
            Platform::Facebook => &facebook::RULES,
        }
    }

    pub fn name(self) -> &'static str {
        self.rules().name
    }

    /// Measures `text` as this platform counts it.
    pub fn measure(self, text: &str) -> usize {
        match self.rules().counting {
            Counting::TwitterWeighted => twitter::text::weighted_length(text),
            Counting::Characters => text.chars().count(),
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Platform {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        if s == "x" {
            return Ok(Platform::Twitter);
        }
        PLATFORMS.iter().copied().find(|p| p.name() == s).ok_or_else(|| {
            let names = PLATFORMS.iter().map(|p| p.name());
            let help = did_you_mean(s, names.clone()).unwrap_or_else(|| {
                format!("herald publishes to: {}", names.map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", "))
            });
            format!("unknown platform `{s}`\nhelp: {help}")
        })
    }
}

crate::deserialize_from_str!(Platform);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_names_are_unique_and_round_trip() {
        let mut names: Vec<_> = PLATFORMS.iter().map(|p| p.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), PLATFORMS.len());
        for p in PLATFORMS {
            assert_eq!(p.name().parse::<Platform>().unwrap(), *p);
        }
        assert_eq!("x".parse::<Platform>().unwrap(), Platform::Twitter);
        assert!("twiter".parse::<Platform>().unwrap_err().contains("did you mean `twitter`"));
    }

    #[test]
    fn every_platform_declares_limits_and_media() {
        for p in PLATFORMS {
            let r = p.rules();
            assert!(r.text_limit > 0, "{p}");
            assert!(!r.media_types.is_empty(), "{p}");
            assert!(r.max_media > 0, "{p}");
            assert!(r.max_image_bytes >= 1_000_000, "{p}: a limit in bytes, not in MB");
            assert!(!r.display.is_empty(), "{p}");
        }
    }

    #[test]
    fn every_example_channel_is_valid_config() {
        for p in PLATFORMS {
            let src = format!("[channels.example]\n{}", p.rules().example_channel);
            let source = crate::diagnostic::Source::new("herald.toml", src);
            let (config, diags) = crate::config::load_config(&source, &crate::days::Calendar::default());
            assert!(diags.is_empty(), "{p}: {diags:?}");
            assert_eq!(config.channels[0].platform, *p);
        }
    }

    #[test]
    fn every_publishing_cap_is_sourced_and_nonzero() {
        for p in PLATFORMS {
            let r = p.rules();
            if let Some(cap) = &r.publish_cap {
                assert!(cap.posts > 0, "{p}");
                assert!(!cap.source.is_empty(), "{p}: a cap names its source");
            }
            if let Some(how) = r.refuses_duplicates {
                assert!(!how.is_empty(), "{p}");
            }
        }
        let x = Platform::Twitter.rules();
        assert_eq!(x.publish_cap.as_ref().map(|c| (c.posts, c.window)), Some((50, CapWindow::Rolling24h)));
        assert!(x.refuses_duplicates.is_some(), "X refuses exact duplicates");
        let ig = Platform::Instagram.rules();
        assert_eq!(ig.publish_cap.as_ref().map(|c| (c.posts, c.window)), Some((50, CapWindow::Rolling24h)));
        let li = Platform::Linkedin.rules().publish_cap.as_ref().expect("LinkedIn's reported cap");
        assert_eq!((li.posts, li.window, li.confirmed), (150, CapWindow::UtcDay, false));
        assert!(Platform::Facebook.rules().publish_cap.is_none(), "Meta documents no count of Page posts");
    }

    #[test]
    fn known_limits() {
        assert_eq!(Platform::Twitter.rules().text_limit, 280);
        assert_eq!(Platform::Instagram.rules().text_limit, 2200);
        assert_eq!(Platform::Instagram.rules().max_hashtags, Some(30));
        assert_eq!(Platform::Instagram.rules().max_mentions, Some(20));
        assert_eq!(Platform::Linkedin.rules().text_limit, 3000);
        assert_eq!(Platform::Facebook.rules().text_limit, 63_206);
        assert_eq!(Platform::Twitter.rules().max_image_bytes, 5 * 1024 * 1024);
        assert_eq!(Platform::Instagram.rules().max_image_bytes, 8_000_000);
        assert_eq!(Platform::Linkedin.rules().max_image_bytes, 5_000_000);
        assert_eq!(Platform::Facebook.rules().max_image_bytes, 4_000_000);
        assert_eq!(Platform::Twitter.measure("https://www.humansecurity.world is here"), 23 + 8);
    }
}
