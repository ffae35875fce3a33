//! Instagram: publishing rules.
//!
//! Captions up to 2,200 characters with at most 30 hashtags and 20 @-mentions; every post needs an
//! image (feed images are JPEG only, at most 8 MB); links in captions are not clickable, so the post's
//! link is left out.

pub mod classify;
pub mod client;
pub mod token;

use super::{Auth, CapWindow, Counting, LinkPlacement, MediaByUrl, MediaType, PublishCap, Rules, Setting};

pub const RULES: Rules = Rules {
    name: "instagram",
    display: "Instagram",
    text_limit: 2200,
    counting: Counting::Characters,
    max_hashtags: Some(30),
    max_mentions: Some(20),
    requires_image: true,
    link: LinkPlacement::NotClickable,
    media_types: &[MediaType::Jpeg],
    max_media: 10,
    // Feed images: JPEG, at most 8 MB (the IG User Media reference's image specifications, as
    // quoted by third parties; the official page text was not retrieved): 8 MB read as 8,000,000
    // bytes, the stricter reading.
    max_image_bytes: 8_000_000,
    max_alt: None,
    threads: false,
    auth: &[
        Auth { name: "facebook-login", required: &["access_token"], optional: &[], refreshed: false },
        Auth { name: "instagram-login", required: &["access_token"], optional: &[], refreshed: true },
    ],
    account: Some(Setting { meaning: "the Instagram professional account's user id", example: "17841400000000000" }),
    media_by_url: MediaByUrl::Required,
    default_api_version: Some("v25.0"),
    concurrency: 2,
    // Meta's pages disagree: the `media_publish` reference says "an Instagram professional account can
    // only publish 50 posts within a 24 hour moving period", `content_publishing_limit` says its
    // `quota_total` is "currently 50", the Content Publishing guide says 100, and older pages said 25.
    // The daemon reads the account's real quota before it publishes; `check` warns at 50.
    publish_cap: Some(PublishCap {
        posts: 50,
        window: CapWindow::Rolling24h,
        source: "Meta's `media_publish` reference: 50 posts in any 24 hours (a carousel counts as one; other Meta pages say 100, older ones 25)",
        confirmed: true,
    }),
    // Meta documents no duplicate refusal for Instagram.
    refuses_duplicates: None,
    example_channel: "platform = \"instagram\"\nhandle = \"@humansecurityforall\"\n",
};
