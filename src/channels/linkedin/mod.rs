//! LinkedIn: publishing rules.
//!
//! Post commentary up to 3,000 characters; images JPEG, PNG or GIF, up to 20 per post.

pub mod little_text;

use super::{Counting, LinkPlacement, MediaType, Rules};

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
    threads: false,
    credentials: &["access_token"],
    example_channel: "platform = \"linkedin\"\nhandle = \"humansecurityforall\"\nlanguage = \"en\"\n",
};
