//! LinkedIn: publishing rules.
//!
//! Post commentary up to 3,000 characters; images JPEG, PNG or GIF, up to 20 per post, at most 5 MB each
//! (LinkedIn documents no file size: see `max_image_bytes`).

pub mod classify;
pub mod client;
pub mod little_text;

use super::{Auth, CapWindow, Counting, LinkPlacement, MediaByUrl, MediaType, PublishCap, Rules, Setting};

pub const RULES: Rules = Rules {
    name: "linkedin",
    display: "LinkedIn",
    text_limit: 3000,
    counting: Counting::Characters,
    max_hashtags: None,
    max_mentions: None,
    requires_image: false,
    link: LinkPlacement::InText,
    media_types: &[MediaType::Jpeg, MediaType::Png, MediaType::Gif],
    max_media: 20,
    // LinkedIn's Images API documents formats and a pixel cap (36,152,320 pixels), not a file size;
    // 5 MB is what publishing tools document (Ayrshare's media guidelines), read as 5,000,000 bytes.
    max_image_bytes: 5_000_000,
    max_alt: None,
    threads: false,
    auth: &[Auth { name: "oauth2", required: &["access_token"], optional: &[], refreshed: false }],
    account: Some(Setting {
        meaning: "the author: a person or organization URN",
        example: "urn:li:organization:12345678",
    }),
    media_by_url: MediaByUrl::Never,
    default_api_version: Some("202607"),
    concurrency: 2,
    // LinkedIn counts calls per member and per app a day, resetting at midnight UTC, and does not
    // publish the numbers ("Standard rate limits are not published in documentation",
    // learn.microsoft.com/linkedin/shared/api-guide/concepts/rate-limits). 150 posts a day per account
    // is a publishing tool's figure (Ayrshare), not LinkedIn's: unconfirmed.
    publish_cap: Some(PublishCap {
        posts: 150,
        window: CapWindow::UtcDay,
        source: "LinkedIn does not publish its daily limits (they reset at midnight UTC); 150 posts a day is a publishing tool's figure, unconfirmed",
        confirmed: false,
    }),
    // Observed: 422 "Content is a duplicate of urn:li:share:…" (`DUPLICATE_POST`); the block has been
    // seen to last 24–48 hours, even after the first post is deleted.
    refuses_duplicates: Some(
        "LinkedIn refuses a post whose text repeats a recent post of the account (422 `DUPLICATE_POST`, seen to last 24 to 48 hours)",
    ),
    example_channel: "platform = \"linkedin\"\nhandle = \"humansecurityforall\"\nlanguage = \"en\"\n",
};
