//! From a configured channel to a working adapter: resolving its credentials and choosing its
//! platform's client. A closed enum, one variant per platform that can publish.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::config::Channel;
use crate::dispatch::boundary::Boundary;
use crate::dispatch::outcome::Outcome;
use crate::secrets::{self, Secret, SecretsError, SecretsFile};
use crate::tokens::TokenStore;

use super::Platform;
use super::adapter::{Adapter, Journal, Lookup, Outgoing, Upkeep};
use super::{facebook, instagram, linkedin, twitter};

/// A ready adapter for one channel.
#[derive(Debug)]
pub enum AnyAdapter {
    Twitter(twitter::client::Client),
    Facebook(facebook::client::Client),
    Linkedin(linkedin::client::Client),
    Instagram(instagram::client::Client),
}

impl AnyAdapter {
    pub async fn publish(&self, post: &Outgoing<'_>, journal: &mut Journal<'_>, http: &Boundary) -> Outcome {
        match self {
            AnyAdapter::Twitter(c) => c.publish(post, journal, http).await,
            AnyAdapter::Facebook(c) => c.publish(post, journal, http).await,
            AnyAdapter::Linkedin(c) => c.publish(post, journal, http).await,
            AnyAdapter::Instagram(c) => c.publish(post, journal, http).await,
        }
    }

    pub async fn find_existing(
        &self,
        post: &Outgoing<'_>,
        journal: &mut Journal<'_>,
        since: DateTime<Utc>,
        http: &Boundary,
    ) -> Lookup {
        match self {
            AnyAdapter::Twitter(c) => c.find_existing(post, journal, since, http).await,
            AnyAdapter::Facebook(c) => c.find_existing(post, journal, since, http).await,
            AnyAdapter::Linkedin(c) => c.find_existing(post, journal, since, http).await,
            AnyAdapter::Instagram(c) => c.find_existing(post, journal, since, http).await,
        }
    }

    pub async fn probe(&self, http: &Boundary) -> Result<String, Outcome> {
        match self {
            AnyAdapter::Twitter(c) => c.probe(http).await,
            AnyAdapter::Facebook(c) => c.probe(http).await,
            AnyAdapter::Linkedin(c) => c.probe(http).await,
            AnyAdapter::Instagram(c) => c.probe(http).await,
        }
    }

    pub async fn upkeep(&self, http: &Boundary) -> Upkeep {
        match self {
            AnyAdapter::Twitter(c) => c.upkeep(http).await,
            AnyAdapter::Facebook(c) => c.upkeep(http).await,
            AnyAdapter::Linkedin(c) => c.upkeep(http).await,
            AnyAdapter::Instagram(c) => c.upkeep(http).await,
        }
    }
}

/// Resolves every credential of `channel`; the errors name each missing one (never a value).
pub fn credentials(
    channel: &Channel,
    file: Option<&SecretsFile>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<BTreeMap<String, Secret>, Vec<(String, SecretsError)>> {
    let mut found = BTreeMap::new();
    let mut missing = Vec::new();
    for (name, r) in &channel.credentials {
        match secrets::resolve(r, file, env) {
            Ok(s) => {
                found.insert(name.clone(), s);
            }
            Err(e) => missing.push((name.clone(), e)),
        }
    }
    if channel.credentials.is_empty() {
        for name in channel.auth.required {
            missing.push(((*name).to_string(), SecretsError::NotConfigured(channel.name.clone())));
        }
    }
    if missing.is_empty() { Ok(found) } else { Err(missing) }
}

/// The adapter for `channel` with `secrets` (missing ones are empty placeholders, which only a dry
/// run may use: they are never shown, and a live platform refuses them). Refreshed tokens are kept in
/// `tokens`.
pub fn build(channel: &Channel, secrets: &BTreeMap<String, Secret>, tokens: &TokenStore) -> Result<AnyAdapter, String> {
    let get = |k: &str| secrets.get(k).cloned().unwrap_or_else(|| Secret::new(""));
    match channel.platform {
        Platform::Twitter => {
            let base_url = channel.base_url.clone().unwrap_or_else(|| twitter::client::DEFAULT_BASE_URL.to_string());
            let auth = match channel.auth.name {
                "oauth2" => twitter::client::Auth::OAuth2(twitter::oauth2::Session::new(
                    &channel.name,
                    &base_url,
                    get("client_id"),
                    secrets.get("client_secret").cloned(),
                    get("refresh_token"),
                    tokens.clone(),
                )),
                _ => twitter::client::Auth::OAuth1(twitter::oauth1::Credentials {
                    consumer_key: get("consumer_key"),
                    consumer_secret: get("consumer_secret"),
                    token: get("access_token"),
                    token_secret: get("access_token_secret"),
                }),
            };
            Ok(AnyAdapter::Twitter(twitter::client::Client { base_url, auth, handle: channel.handle.clone() }))
        }
        Platform::Facebook => Ok(AnyAdapter::Facebook(facebook::client::Client {
            base_url: channel.base_url.clone().unwrap_or_else(|| facebook::client::DEFAULT_BASE_URL.to_string()),
            api_version: channel.api_version().to_string(),
            page_id: channel.account.clone().unwrap_or_else(|| facebook::client::PAGE_FROM_TOKEN.to_string()),
            token: get("page_access_token"),
        })),
        // A bad author URN is refused here, before any request, with what to write instead.
        Platform::Linkedin => {
            linkedin::client::Client::for_channel(channel, get("access_token")).map(AnyAdapter::Linkedin)
        }
        Platform::Instagram => {
            Ok(AnyAdapter::Instagram(instagram::client::Client::for_channel(channel, get("access_token"), tokens)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::channels::PLATFORMS;

    /// A channel as a valid config gives it: with the platform's example `account` when it needs one.
    fn tokens() -> TokenStore {
        TokenStore::new(std::path::Path::new(".herald"))
    }

    fn channel(platform: Platform) -> Channel {
        let mut ch = Channel::new(platform.name(), platform, "hs4a");
        ch.account = platform.rules().account.as_ref().map(|s| s.example.to_string());
        ch
    }

    #[test]
    fn every_platform_names_its_credentials_and_builds_an_adapter_of_its_own() {
        for p in PLATFORMS {
            assert!(!p.rules().credentials().is_empty(), "{p}");
            let adapter = build(&channel(*p), &BTreeMap::new(), &tokens());
            let built = match adapter {
                Ok(AnyAdapter::Twitter(_)) => Platform::Twitter,
                Ok(AnyAdapter::Instagram(_)) => Platform::Instagram,
                Ok(AnyAdapter::Linkedin(_)) => Platform::Linkedin,
                Ok(AnyAdapter::Facebook(_)) => Platform::Facebook,
                Err(why) => panic!("{p}: {why}"),
            };
            assert_eq!(built, *p);
        }
    }

    #[test]
    fn a_facebook_channel_publishes_as_its_page_with_its_version_and_token() {
        let mut ch = channel(Platform::Facebook);
        ch.account = Some("104729380012345".into());
        ch.api_version = Some("v24.0".into());
        let secrets = BTreeMap::from([("page_access_token".to_string(), Secret::new("EAAGtoken"))]);
        let Ok(AnyAdapter::Facebook(c)) = build(&ch, &secrets, &tokens()) else { panic!("a Facebook adapter") };
        assert_eq!(c.base_url, "https://graph.facebook.com");
        assert_eq!((c.page_id.as_str(), c.api_version.as_str()), ("104729380012345", "v24.0"));
        assert_eq!(c.token.expose(), "EAAGtoken");
        let mut ch = channel(Platform::Facebook);
        ch.account = None;
        let Ok(AnyAdapter::Facebook(c)) = build(&ch, &BTreeMap::new(), &tokens()) else { panic!() };
        assert_eq!((c.page_id.as_str(), c.api_version.as_str()), ("me", "v25.0"));
    }

    #[test]
    fn a_linkedin_channel_with_a_bad_author_is_refused_before_any_request() {
        let mut ch = channel(Platform::Linkedin);
        ch.account = Some("humansecurityforall".into());
        let why = build(&ch, &BTreeMap::new(), &tokens()).unwrap_err();
        assert!(why.starts_with("channel `linkedin`: `humansecurityforall` is not a LinkedIn author"), "{why}");
        assert!(why.contains("urn:li:organization:<number>"), "{why}");
        ch.account = None;
        assert!(build(&ch, &BTreeMap::new(), &tokens()).unwrap_err().contains("needs `account`"));
    }

    #[test]
    fn an_instagram_channel_builds_for_its_sign_in_with_its_token() {
        let mut ch = channel(Platform::Instagram);
        ch.account = Some("17841400000000000".into());
        let secrets = BTreeMap::from([("access_token".to_string(), Secret::new("IGQVJ-token"))]);
        let Ok(AnyAdapter::Instagram(c)) = build(&ch, &secrets, &tokens()) else { panic!("Instagram must build") };
        assert_eq!(c.base_url, "https://graph.facebook.com");
        assert_eq!((c.account.as_str(), c.token.expose()), ("17841400000000000", "IGQVJ-token"));
        ch.auth = &Platform::Instagram.rules().auth[1];
        let Ok(AnyAdapter::Instagram(c)) = build(&ch, &secrets, &tokens()) else { panic!("Instagram must build") };
        assert_eq!(c.base_url, "https://graph.instagram.com");
    }

    #[test]
    fn a_channel_without_credentials_lists_every_one_it_needs() {
        let missing = credentials(&channel(Platform::Twitter), None, &|_| None).unwrap_err();
        let names: Vec<&str> = missing.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["consumer_key", "consumer_secret", "access_token", "access_token_secret"]);
        assert_eq!(
            missing[0].1.to_string(),
            "not configured: add `[channels.twitter.credentials]` to config/herald.toml"
        );
    }
}
