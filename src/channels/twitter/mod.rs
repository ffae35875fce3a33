//! X/Twitter: publishing rules (this file) and text measurement ([`text`]).
//!
//! Limits: 280 weighted characters per post (twitter-text v3), up to 4 images (JPEG, PNG, GIF, WEBP).
//! Over-long posts can go out as a numbered thread (`thread = true`).

pub mod classify;
pub mod client;
pub mod oauth1;
pub mod text;

use super::{Counting, LinkPlacement, MediaType, Rules};

pub const RULES: Rules = Rules {
    name: "twitter",
    display: "X/Twitter",
    text_limit: 280,
    counting: Counting::TwitterWeighted,
    max_hashtags: None,
    max_mentions: None,
    requires_image: false,
    link: LinkPlacement::InText,
    media_types: &[MediaType::Jpeg, MediaType::Png, MediaType::Gif, MediaType::Webp],
    max_media: 4,
    threads: true,
    credentials: &["consumer_key", "consumer_secret", "access_token", "access_token_secret"],
    example_channel: "platform = \"twitter\"\nhandle = \"@humansecurityFA\"\nlanguage = \"en\"\n",
};
