//! Validated names: ids, hashtags, handles, languages, links.
//!
//! Each type checks its value when it is deserialized, so a bad value is reported at its exact place in
//! the file, and code past the schema never sees an unchecked string. Error messages carry their fix after
//! a `help:` line (see [`super::reader::deserialize`]).

use std::fmt;

use serde::Deserialize;

/// Declares a string newtype whose `Deserialize` runs `$check`.
macro_rules! str_newtype {
    ($(#[$doc:meta])* $name:ident, $check:path) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
        #[serde(try_from = "String")]
        pub struct $name(String);

        impl TryFrom<String> for $name {
            type Error = String;
            fn try_from(s: String) -> Result<Self, String> {
                $check(&s).map(Self)
            }
        }

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

str_newtype!(
    /// An id for a campaign, post, channel or day: lowercase letters, digits, `-` and `_`.
    Id,
    check_id
);

fn check_id(s: &str) -> Result<String, String> {
    let ok = !s.is_empty()
        && s.len() <= 64
        && s.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if ok {
        Ok(s.to_string())
    } else {
        let suggestion = slug(s);
        Err(format!(
            "`{s}` is not a valid id\nhelp: ids use lowercase letters, digits, `-` and `_` (at most 64), e.g. `{}`",
            if suggestion.is_empty() { "iwd-countdown".into() } else { suggestion }
        ))
    }
}

/// A kebab-case rendering of any text, used to suggest a valid id.
pub fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').chars().take(64).collect()
}

impl Id {
    /// Builds an id from a value already known to be valid (e.g. a file stem that passed the check).
    pub fn parse(s: &str) -> Result<Self, String> {
        check_id(s).map(Self)
    }
}

str_newtype!(
    /// A hashtag, stored without its `#`: letters, digits and `_`, not only digits.
    Hashtag,
    check_hashtag
);

fn check_hashtag(s: &str) -> Result<String, String> {
    let tag = s.strip_prefix('#').unwrap_or(s);
    let ok = !tag.is_empty()
        && tag.chars().all(|c| c.is_alphanumeric() || c == '_')
        && !tag.chars().all(|c| c.is_ascii_digit());
    if ok {
        Ok(tag.to_string())
    } else {
        Err(format!(
            "`{s}` is not a hashtag platforms accept\nhelp: use letters, digits and `_` only, without spaces, e.g. `HumanSecurity`"
        ))
    }
}

str_newtype!(
    /// An account handle, stored without its `@`.
    Handle,
    check_handle
);

fn check_handle(s: &str) -> Result<String, String> {
    let h = s.strip_prefix('@').unwrap_or(s);
    let ok =
        !h.is_empty() && h.len() <= 100 && h.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    if ok {
        Ok(h.to_string())
    } else {
        Err(format!(
            "`{s}` is not a valid handle\nhelp: write the account's handle as it appears on the platform, e.g. `@humansecurityFA`"
        ))
    }
}

str_newtype!(
    /// A language tag such as `en`, `fr`, `ar` or `pt-BR`.
    Language,
    check_language
);

fn check_language(s: &str) -> Result<String, String> {
    let mut parts = s.split('-');
    let primary = parts.next().unwrap_or_default();
    let ok = (2..=3).contains(&primary.len())
        && primary.chars().all(|c| c.is_ascii_lowercase())
        && parts.all(|p| (2..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()));
    if ok {
        Ok(s.to_string())
    } else {
        Err(format!(
            "`{s}` is not a language tag\nhelp: use a lowercase ISO 639 code such as `en`, `fr`, `es` or `ar` (optionally with a region, `pt-BR`)"
        ))
    }
}

impl Language {
    /// English, the default language of campaigns and channels.
    pub fn english() -> Self {
        Self("en".into())
    }

    /// Whether the language is written right to left.
    pub fn is_rtl(&self) -> bool {
        let primary = self.0.split('-').next().unwrap_or_default();
        matches!(primary, "ar" | "he" | "fa" | "ur" | "ps" | "sd" | "ug" | "yi" | "dv" | "ckb")
    }
}

str_newtype!(
    /// An absolute `http(s)` link.
    Link,
    check_link
);

fn check_link(s: &str) -> Result<String, String> {
    let rest = s.strip_prefix("https://").or_else(|| s.strip_prefix("http://"));
    let host = rest.map(|r| r.split(['/', '?', '#']).next().unwrap_or_default());
    match host {
        Some(h) if h.contains('.') && !s.chars().any(char::is_whitespace) => Ok(s.to_string()),
        _ => Err(format!(
            "`{s}` is not a web link\nhelp: write the full address with `https://`, e.g. `https://www.humansecurity.world`"
        )),
    }
}

impl Link {
    /// The link with `utm_source`, `utm_medium=social` and `utm_campaign` added to its query string
    /// (before any `#fragment`); parameters already present are kept, not duplicated.
    pub fn with_utm(&self, source: &str, campaign: &str) -> String {
        let (base, fragment) = match self.0.split_once('#') {
            Some((b, f)) => (b, Some(f)),
            None => (self.0.as_str(), None),
        };
        let existing: Vec<&str> = base
            .split_once('?')
            .map(|(_, q)| q.split('&').filter_map(|kv| kv.split('=').next()).collect())
            .unwrap_or_default();
        let mut out = base.to_string();
        // `https://host?x` is legal but unusual; write the root path explicitly: `https://host/?x`.
        let after_scheme = out.find("://").map_or(0, |i| i + 3);
        if !out[after_scheme..].contains(['/', '?']) {
            out.push('/');
        }
        for (k, v) in [("utm_source", source), ("utm_medium", "social"), ("utm_campaign", campaign)] {
            if existing.contains(&k) {
                continue;
            }
            out.push(if out.contains('?') { '&' } else { '?' });
            out.push_str(k);
            out.push('=');
            out.push_str(&crate::dispatch::http::percent_encode(v));
        }
        if let Some(f) = fragment {
            out.push('#');
            out.push_str(f);
        }
        out
    }
}

/// A post's link setting: a link of its own, or `false` for no link at all.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged, expecting = "a link such as \"https://example.org\", or false for no link")]
pub enum LinkSetting {
    Url(Link),
    Off(OffFlag),
}

/// Accepts only `false` (`link = true` means nothing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OffFlag;

impl<'de> Deserialize<'de> for OffFlag {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        if bool::deserialize(d)? {
            Err(serde::de::Error::custom("`true` is not a link\nhelp: write the link itself, or `false` for no link"))
        } else {
            Ok(OffFlag)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_checked_and_slugs_suggested() {
        assert!(Id::parse("iwd-countdown").is_ok());
        assert!(Id::parse("hs4a_2027").is_ok());
        let e = Id::parse("IWD Countdown!").unwrap_err();
        assert!(e.contains("e.g. `iwd-countdown`"), "{e}");
        assert!(Id::parse("").is_err());
        assert!(Id::parse("-x").is_err());
    }

    #[test]
    fn hashtags_and_handles_drop_their_sigil() {
        assert_eq!(Hashtag::try_from("#HS4A".to_string()).unwrap().as_str(), "HS4A");
        assert!(Hashtag::try_from("Human Security".to_string()).is_err());
        assert!(Hashtag::try_from("2027".to_string()).is_err());
        assert!(Hashtag::try_from("السلام".to_string()).is_ok());
        assert_eq!(Handle::try_from("@humansecurityFA".to_string()).unwrap().as_str(), "humansecurityFA");
        assert!(Handle::try_from("@bad handle".to_string()).is_err());
    }

    #[test]
    fn languages_know_their_direction() {
        let ar = Language::try_from("ar".to_string()).unwrap();
        assert!(ar.is_rtl());
        assert!(!Language::english().is_rtl());
        assert!(Language::try_from("French".to_string()).is_err());
        assert!(Language::try_from("pt-BR".to_string()).is_ok());
    }

    #[test]
    fn utm_parameters_are_added_once_and_before_the_fragment() {
        let l = Link::try_from("https://www.humansecurity.world/join#form".to_string()).unwrap();
        assert_eq!(
            l.with_utm("twitter", "hs4a-2027"),
            "https://www.humansecurity.world/join?utm_source=twitter&utm_medium=social&utm_campaign=hs4a-2027#form"
        );
        let l = Link::try_from("https://www.humansecurity.world".to_string()).unwrap();
        assert_eq!(
            l.with_utm("facebook", "hs4a"),
            "https://www.humansecurity.world/?utm_source=facebook&utm_medium=social&utm_campaign=hs4a"
        );
        let l = Link::try_from("https://a.org/?utm_source=x&ref=1".to_string()).unwrap();
        assert_eq!(
            l.with_utm("linkedin", "c 1"),
            "https://a.org/?utm_source=x&ref=1&utm_medium=social&utm_campaign=c%201"
        );
        assert!(Link::try_from("www.example.org".to_string()).is_err());
    }
}
