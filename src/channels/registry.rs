//! From a configured channel to a working adapter: resolving its credentials and choosing its
//! platform's client. A closed enum, one variant per platform that can publish.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::config::Channel;
use crate::dispatch::boundary::Boundary;
use crate::dispatch::outcome::Outcome;
use crate::secrets::{self, Secret, SecretsError, SecretsFile};

use super::Platform;
use super::adapter::{Adapter, Journal, Lookup, Outgoing};
use super::instagram;
use super::twitter;

/// A ready adapter for one channel.
#[derive(Debug)]
pub enum AnyAdapter {
    Twitter(twitter::client::Client),
    Instagram(instagram::client::Client),
}

impl AnyAdapter {
    pub async fn publish(&self, post: &Outgoing<'_>, journal: &mut Journal<'_>, http: &Boundary) -> Outcome {
        match self {
            AnyAdapter::Twitter(c) => c.publish(post, journal, http).await,
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
            AnyAdapter::Instagram(c) => c.find_existing(post, journal, since, http).await,
        }
    }

    pub async fn probe(&self, http: &Boundary) -> Result<String, Outcome> {
        match self {
            AnyAdapter::Twitter(c) => c.probe(http).await,
            AnyAdapter::Instagram(c) => c.probe(http).await,
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
/// run may use: they are never shown, and a live platform refuses them).
pub fn build(channel: &Channel, secrets: &BTreeMap<String, Secret>) -> Result<AnyAdapter, String> {
    let get = |k: &str| secrets.get(k).cloned().unwrap_or_else(|| Secret::new(""));
    match channel.platform {
        Platform::Twitter => Ok(AnyAdapter::Twitter(twitter::client::Client {
            base_url: channel.base_url.clone().unwrap_or_else(|| twitter::client::DEFAULT_BASE_URL.to_string()),
            credentials: twitter::oauth1::Credentials {
                consumer_key: get("consumer_key"),
                consumer_secret: get("consumer_secret"),
                token: get("access_token"),
                token_secret: get("access_token_secret"),
            },
            handle: channel.handle.clone(),
        })),
        Platform::Instagram => {
            Ok(AnyAdapter::Instagram(instagram::client::Client::for_channel(channel, get("access_token"))))
        }
        other => Err(format!(
            "publishing to {} is not available yet in this version of herald (channel `{}`); preview and check work",
            other.rules().display,
            channel.name
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::channels::PLATFORMS;

    fn channel(platform: Platform) -> Channel {
        Channel::new(platform.name(), platform, "hs4a")
    }

    #[test]
    fn every_platform_names_its_credentials_and_builds_or_says_why_not() {
        for p in PLATFORMS {
            assert!(!p.rules().credentials().is_empty(), "{p}");
            match build(&channel(*p), &BTreeMap::new()) {
                Ok(_) => {}
                Err(why) => assert!(why.contains("not available yet") && why.contains(p.rules().display), "{p}: {why}"),
            }
        }
        assert!(build(&channel(Platform::Twitter), &BTreeMap::new()).is_ok());
    }

    #[test]
    fn an_instagram_channel_builds_for_its_sign_in_with_its_token() {
        let mut ch = channel(Platform::Instagram);
        ch.account = Some("17841400000000000".into());
        let secrets = BTreeMap::from([("access_token".to_string(), Secret::new("IGQVJ-token"))]);
        let Ok(AnyAdapter::Instagram(c)) = build(&ch, &secrets) else { panic!("Instagram must build") };
        assert_eq!(c.base_url, "https://graph.facebook.com");
        assert_eq!((c.account.as_str(), c.token.expose()), ("17841400000000000", "IGQVJ-token"));
        ch.auth = &Platform::Instagram.rules().auth[1];
        let Ok(AnyAdapter::Instagram(c)) = build(&ch, &secrets) else { panic!("Instagram must build") };
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
