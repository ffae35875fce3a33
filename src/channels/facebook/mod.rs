//! Facebook Pages: publishing rules.
//!
//! Messages up to 63,206 characters; the link of a text post goes in the API's `link` field (which
//! builds the preview card) rather than in the text, while a photo post, which has no such field, ends
//! its text with the link (placed when rendering, so the preview shows it); photos JPEG, PNG, GIF or
//! WEBP, at most 4 MB each.

pub mod classify;
pub mod client;

use super::{Auth, Counting, LinkPlacement, MediaByUrl, MediaType, Rules, Setting};

pub const RULES: Rules = Rules {
    name: "facebook",
    display: "Facebook",
    text_limit: 63_206,
    counting: Counting::Characters,
    max_hashtags: None,
    max_mentions: None,
    requires_image: false,
    link: LinkPlacement::Field,
    media_types: &[MediaType::Jpeg, MediaType::Png, MediaType::Gif, MediaType::Webp],
    max_media: 10,
    // "We recommend uploading photos under 4MB" (developers.facebook.com/docs/graph-api/photo-uploads);
    // larger ones fail with subcode 1366046 in client code. Read as 4,000,000 bytes.
    max_image_bytes: 4_000_000,
    max_alt: None,
    threads: false,
    auth: &[Auth { name: "page-token", required: &["page_access_token"], optional: &[], refreshed: false }],
    account: Some(Setting { meaning: "the Facebook Page id", example: "100000000000000" }),
    media_by_url: MediaByUrl::Optional,
    default_api_version: Some("v25.0"),
    concurrency: 4,
    // Meta documents no number of posts a Page may publish: its Pages limits count API calls (Business
    // Use Case limits, 4,800 calls × engaged users), not posts. A "25 posts a day" figure seen in
    // publishing tools' docs is their own cap, not Meta's.
    publish_cap: None,
    // Meta's error reference: code 506, "Duplicate Post" (the same content posted consecutively).
    refuses_duplicates: Some(
        "Facebook refuses the same content posted twice in a row on a Page (error 506 \"Duplicate Post\")",
    ),
    example_channel: "platform = \"facebook\"\nhandle = \"HS4Aglobal\"\n",
};
