//! `herald preview --format json` shows what is sent: for every post shape (text only, text and link,
//! one image, several images, and an X thread) on every platform, the preview's parts, link and images
//! (alt text included) are compared with what each fake platform recorded after `herald send` published
//! the same post.
//!
//! LinkedIn's commentary is compared as people read it (its little-text escaping is transport
//! encoding, like JSON); every other text is compared byte for byte.

use serde_json::Value;

use crate::support::fake_platforms::FakePlatforms;
use crate::support::{JPEG, TestProject, run_with_secrets};

/// Instagram takes no post without an image, so it skips the text and link posts.
const CAMPAIGN: &str = r#"[campaign]
id = "shapes"
name = "Post shapes"
timezone = "Europe/Paris"
channels = ["x", "instagram", "linkedin", "facebook"]
hashtags = ["HS4A"]
starts = 2027-01-01
ends = 2027-12-31
time = "09:00"

[[post]]
id = "text"
date = 2027-03-22
text = "Only words (no link) today: human security starts with people."
[post.instagram]
skip = true

[[post]]
id = "link"
date = 2027-03-22
time = "10:00"
text = "Read the report on water & safety [2027]."
link = "https://www.humansecurity.world/report"
[post.instagram]
skip = true

[[post]]
id = "photo"
date = 2027-03-22
time = "11:00"
text = "Water is life. #HumanSecurity starts with people."
link = "https://www.humansecurity.world/water"
utm = true
media = [{ file = "media/water.jpg", alt = "A girl carries water in Timor-Leste" }]

[[post]]
id = "album"
date = 2027-03-22
time = "12:00"
text = "Three faces of human security (a series)."
link = "https://www.humansecurity.world/faces"
media = [
  { file = "media/water.jpg", alt = "A girl carries water" },
  { file = "media/school.jpg", alt = "A school in Dili" },
]
[post.twitter]
media = [
  { file = "media/water.jpg", alt = "A girl carries water" },
  { file = "media/school.jpg", alt = "LONG_ALT" },
]

[[post]]
id = "thread"
date = 2027-03-22
time = "13:00"
channels = ["x"]
thread = true
link = "https://www.humansecurity.world/thread"
media = [{ file = "media/water.jpg", alt = "A girl carries water" }]
text = "LONG"
"#;

fn long_text() -> String {
    "Human security means freedom from fear and freedom from want, for every person. ".repeat(6).trim().to_string()
}

/// The alt texts of the preview entry's images, in order.
fn preview_alts(entry: &Value) -> Vec<Option<String>> {
    entry["media"].as_array().expect("media").iter().map(|m| m["alt"].as_str().map(str::to_string)).collect()
}

fn parts(entry: &Value) -> Vec<String> {
    entry["parts"].as_array().expect("parts").iter().map(|p| p.as_str().expect("part").to_string()).collect()
}

/// What each fake has recorded so far: X tweets, Instagram posts, LinkedIn posts, Facebook posts.
fn counts(f: &FakePlatforms) -> [usize; 4] {
    [f.x.posts().len(), f.instagram.posts().len(), f.linkedin.posts().len(), f.facebook.posts().len()]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn preview_json_is_what_every_adapter_sends_for_every_post_shape() {
    let fakes = FakePlatforms::start().await;
    let p = TestProject::new()
        .file("config/herald.toml", &fakes.channels())
        .file(
            "campaigns/shapes.toml",
            &CAMPAIGN.replace("LONG_ALT", &"A school in Dili. ".repeat(70)).replace("LONG", &long_text()),
        )
        .bytes("campaigns/media/water.jpg", JPEG)
        .bytes("campaigns/media/school.jpg", JPEG);
    let env = FakePlatforms::environment();
    let secrets: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let entries = p.preview_json("2027-03-22", "2027-03-22", &[]);
    assert_eq!(entries.len(), 4 + 4 + 3 + 3 + 1, "{entries:#?}");
    let mut compared = Vec::new();
    for post in ["text", "link", "photo", "album", "thread"] {
        let before = counts(&fakes);
        let r = run_with_secrets(p.path(), &secrets, &["send", &format!("shapes/{post}")]);
        assert_eq!(r.code, 0, "herald send shapes/{post}:\n{}", r.all());
        for entry in entries.iter().filter(|e| e["post"] == post) {
            let channel = entry["channel"].as_str().expect("channel");
            let what = format!("{post} on {channel}");
            assert!(entry["error"].is_null(), "{what}: {}", entry["error"]);
            let (shown, alts) = (parts(entry), preview_alts(entry));
            match channel {
                "x" => {
                    let tweets = fakes.x.posts()[before[0]..].to_vec();
                    let texts: Vec<String> = tweets.iter().map(|t| t.text.clone()).collect();
                    assert_eq!(texts, shown, "{what}: the tweets are the preview's parts");
                    let sent_alts: Vec<Option<String>> = tweets[0].media.iter().map(|(_, alt)| alt.clone()).collect();
                    assert_eq!(sent_alts, alts, "{what}: the images (on the first part)");
                    assert!(tweets[1..].iter().all(|t| t.media.is_empty()), "{what}: images on a later part");
                    assert!(entry["link"].is_null(), "{what}: X has no link field");
                }
                "instagram" => {
                    let posts = fakes.instagram.posts()[before[1]..].to_vec();
                    assert_eq!(posts.len(), 1, "{what}");
                    assert_eq!(vec![posts[0].caption.clone()], shown, "{what}: the caption");
                    assert_eq!(posts[0].alt_texts, alts, "{what}: the images");
                    assert!(entry["link"].is_null(), "{what}: Instagram has no link field");
                }
                "linkedin" => {
                    let posts = fakes.linkedin.posts()[before[2]..].to_vec();
                    assert_eq!(posts.len(), 1, "{what}");
                    assert_eq!(vec![posts[0].text.clone()], shown, "{what}: the commentary as people read it");
                    let sent_alts: Vec<Option<String>> = posts[0].images.iter().map(|(_, alt)| alt.clone()).collect();
                    assert_eq!(sent_alts, alts, "{what}: the images");
                    assert!(entry["link"].is_null(), "{what}: LinkedIn has no link field");
                }
                "facebook" => {
                    let posts = fakes.facebook.posts()[before[3]..].to_vec();
                    assert_eq!(posts.len(), 1, "{what}");
                    assert_eq!(vec![posts[0].message.clone().unwrap_or_default()], shown, "{what}: the message");
                    assert_eq!(posts[0].link.as_deref(), entry["link"].as_str(), "{what}: the link field");
                    let sent_alts: Vec<Option<String>> = posts[0].photos.iter().map(|ph| ph.alt.clone()).collect();
                    assert_eq!(sent_alts, alts, "{what}: the photos");
                }
                other => panic!("unexpected channel {other}"),
            }
            // The length shown is the first part's, as the platform counts it.
            let first = &shown[0];
            let length = entry["length"].as_u64().expect("length") as usize;
            if channel == "x" {
                assert!(length <= 280, "{what}: {length}");
            } else {
                assert_eq!(length, first.chars().count(), "{what}: the length of the text sent");
            }
            compared.push(what);
        }
    }
    assert_eq!(compared.len(), entries.len(), "every entry was compared: {compared:?}");
    assert!(entries.iter().any(|e| e["post"] == "thread" && parts(e).len() > 1), "the thread post is a thread");
    let album_on_x = entries.iter().find(|e| e["post"] == "album" && e["channel"] == "x").expect("album on x");
    assert_eq!(preview_alts(album_on_x)[1].as_deref().map(|a| a.chars().count()), Some(1000), "X's alt text limit");
    assert!(album_on_x["warnings"][0].as_str().is_some_and(|w| w.contains("1260 characters")), "{album_on_x}");
    for rejected in
        [fakes.x.rejected(), fakes.instagram.rejected(), fakes.linkedin.rejected(), fakes.facebook.rejected()]
    {
        assert!(rejected.is_empty(), "a fake refused a request: {rejected:?}");
    }
}
