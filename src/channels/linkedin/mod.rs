//! LinkedIn: publishing rules.
//!
//! Post commentary up to 3,000 characters; images JPEG, PNG or GIF, up to 20 per post, at most 5 MB each
//! (LinkedIn documents no file size: see `max_image_bytes`).

pub mod classify;
pub mod client;
pub mod little_text;

use super::{Auth, Counting, LinkPlacement, MediaByUrl, MediaType, Rules, Setting};

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
    example_channel: "platform = \"linkedin\"\nhandle = \"humansecurityforall\"\nlanguage = \"en\"\n",
};
