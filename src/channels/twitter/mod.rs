//! X/Twitter: publishing rules (this file) and text measurement ([`text`]).
//!
//! Limits: 280 weighted characters per post (twitter-text v3), up to 4 images (JPEG, PNG, GIF, WEBP) of
//! at most 5 MB (5,242,880 bytes) each.
//! Over-long posts can go out as a numbered thread (`thread = true`).

pub mod classify;
pub mod client;
pub mod oauth1;
pub mod oauth2;
pub mod text;

use super::{Auth, CapWindow, Counting, LinkPlacement, MediaByUrl, MediaType, PublishCap, Rules};

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
    // X: "Image: 5 MB" (docs.x.com/x-api/media, "Size restrictions for uploading via API"); X's
    // own refusal names the bytes: "Image file size must be <= 5242880 bytes" (error 324). Animated
    // GIFs may be 15 MB there, but only through the chunked upload, which herald does not use.
    max_image_bytes: 5 * 1024 * 1024,
    max_alt: Some(1000),
    threads: true,
    auth: &[
        Auth {
            name: "oauth1",
            required: &["consumer_key", "consumer_secret", "access_token", "access_token_secret"],
            optional: &[],
            refreshed: false,
        },
        // OAuth 2.0 user context: the refresh token rotates, herald keeps the newest in its state folder.
        Auth {
            name: "oauth2",
            required: &["client_id", "refresh_token"],
            optional: &["client_secret"],
            refreshed: true,
        },
    ],
    account: None,
    media_by_url: MediaByUrl::Never,
    default_api_version: None,
    concurrency: 4,
    // X's Help Center ("X limits", as updated in May 2026 and quoted by the press; the page itself was
    // not read): unverified accounts may publish 50 original posts (and 200 replies) a day, verified
    // accounts 2,400, across every app, "further broken down into smaller limits for semi-hourly
    // intervals". herald cannot tell whether an account is verified, so it warns at the lower figure.
    // X does not say whether "a day" is a calendar day: any 24 hours is checked, the stricter reading.
    // The API's own per-user limit on `POST /2/tweets` (100 per 15 minutes, docs.x.com rate-limit
    // table) is looser.
    publish_cap: Some(PublishCap {
        posts: 50,
        window: CapWindow::Rolling24h,
        source: "X's Help Center (\"X limits\"): 50 original posts a day for unverified accounts, 2,400 for verified ones, counted across every app",
        confirmed: true,
    }),
    // Observed: 403 "You are not allowed to create a Tweet with duplicate content." X does not say how
    // far back it compares (see `crate::pacing::DUPLICATE_WINDOW`).
    refuses_duplicates: Some(
        "X refuses a post whose text repeats a recent post of the account (403 \"duplicate content\"; X does not say how recent)",
    ),
    example_channel: "platform = \"twitter\"\nhandle = \"@humansecurityFA\"\nlanguage = \"en\"\n",
};
