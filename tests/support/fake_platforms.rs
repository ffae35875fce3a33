//! The four platform fakes together, with the `config/herald.toml` channels and the environment that
//! point a herald project at them: shared by the SIGKILL harness and `cargo run --example
//! fake-platforms`.

#![allow(dead_code)]

use super::fake_facebook::{self, FakeFacebook};
use super::fake_instagram::{self, FakeInstagram};
use super::fake_linkedin::{self, FakeLinkedIn};
use super::fake_x::{self, FakeX};

pub struct FakePlatforms {
    pub x: FakeX,
    pub instagram: FakeInstagram,
    pub linkedin: FakeLinkedIn,
    pub facebook: FakeFacebook,
}

impl FakePlatforms {
    pub async fn start() -> Self {
        Self {
            x: FakeX::start().await,
            instagram: FakeInstagram::start().await,
            linkedin: FakeLinkedIn::start().await,
            facebook: FakeFacebook::start().await,
        }
    }

    /// Channels `x`, `instagram`, `linkedin` and `facebook` on the fakes, their credentials read from
    /// the variables of [`FakePlatforms::environment`].
    pub fn channels(&self) -> String {
        Self::channels_at(&self.uris())
    }

    /// The fakes' addresses: X, Instagram, LinkedIn, Facebook.
    pub fn uris(&self) -> [String; 4] {
        [self.x.uri(), self.instagram.uri(), self.linkedin.uri(), self.facebook.uri()]
    }

    /// [`FakePlatforms::channels`] with the platforms at `uris` (X, Instagram, LinkedIn, Facebook):
    /// a proxy in front of each, say.
    pub fn channels_at(uris: &[String; 4]) -> String {
        format!(
            r#"[channels.x]
platform = "twitter"
handle = "@humansecurityFA"
base_url = "{x}"
[channels.x.credentials]
consumer_key = "env:HERALD_FAKE_X_CK"
consumer_secret = "env:HERALD_FAKE_X_CS"
access_token = "env:HERALD_FAKE_X_AT"
access_token_secret = "env:HERALD_FAKE_X_ATS"

[channels.instagram]
platform = "instagram"
handle = "@humansecurityforall"
base_url = "{ig}"
account = "{ig_account}"
media_base_url = "https://media.example.org/herald"
[channels.instagram.credentials]
access_token = "env:HERALD_FAKE_IG_TOKEN"

[channels.linkedin]
platform = "linkedin"
handle = "@humansecurityforall"
base_url = "{li}"
account = "{li_org}"
[channels.linkedin.credentials]
access_token = "env:HERALD_FAKE_LI_TOKEN"

[channels.facebook]
platform = "facebook"
handle = "@HS4Aglobal"
base_url = "{fb}"
account = "{fb_page}"
media_base_url = "https://media.example.org/herald"
[channels.facebook.credentials]
page_access_token = "env:HERALD_FAKE_FB_TOKEN"
"#,
            x = uris[0],
            ig = uris[1],
            ig_account = fake_instagram::ACCOUNT,
            li = uris[2],
            li_org = fake_linkedin::ORGANIZATION,
            fb = uris[3],
            fb_page = fake_facebook::PAGE_ID,
        )
    }

    /// The fake credentials, as the environment [`FakePlatforms::channels`] reads.
    pub fn environment() -> Vec<(&'static str, String)> {
        let x = fake_x::credentials();
        vec![
            ("HERALD_FAKE_X_CK", x.consumer_key.expose().to_string()),
            ("HERALD_FAKE_X_CS", x.consumer_secret.expose().to_string()),
            ("HERALD_FAKE_X_AT", x.token.expose().to_string()),
            ("HERALD_FAKE_X_ATS", x.token_secret.expose().to_string()),
            ("HERALD_FAKE_IG_TOKEN", fake_instagram::TOKEN.to_string()),
            ("HERALD_FAKE_LI_TOKEN", fake_linkedin::token().expose().to_string()),
            ("HERALD_FAKE_FB_TOKEN", fake_facebook::page_token().expose().to_string()),
        ]
    }

    /// How many times the platform behind `channel` published a post containing `marker`.
    pub fn published(&self, channel: &str, marker: &str) -> usize {
        match channel {
            "x" => self.x.posts().iter().filter(|p| p.text.contains(marker)).count(),
            "instagram" => self.instagram.posts().iter().filter(|p| p.caption.contains(marker)).count(),
            "linkedin" => self.linkedin.posts().iter().filter(|p| p.text.contains(marker)).count(),
            _ => self.facebook.posts().iter().filter(|p| p.message.as_deref().unwrap_or("").contains(marker)).count(),
        }
    }
}
