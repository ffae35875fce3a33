//! The Facebook Page adapter against the fake Graph API: text, link and photo posts (by URL, by
//! upload, several), failures, the lookup after a lost answer, dry run, redaction, `herald send`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use herald::channels::adapter::{Adapter, Journal, Lookup, Outgoing};
use herald::channels::facebook::client::Client;
use herald::channels::{MediaType, Platform};
use herald::config::{Channel, Media};
use herald::dispatch::boundary::Boundary;
use herald::dispatch::outcome::Outcome;
use herald::secrets::Secret;

use crate::support::fake_facebook::{FakeFacebook, PAGE_ID, PhotoSource, Script, VERSION, page_token};

const FIVE_SECONDS: Duration = Duration::from_secs(5);

fn client(fake: &FakeFacebook) -> Client {
    Client { base_url: fake.uri(), api_version: VERSION.into(), page_id: PAGE_ID.into(), token: page_token() }
}

/// A post's pieces, with its images written below a temporary `campaigns/` folder.
struct Post {
    dir: tempfile::TempDir,
    parts: Vec<String>,
    link: Option<String>,
    media: Vec<Media>,
    channel: Channel,
}

impl Post {
    fn new(text: &str) -> Self {
        let mut channel = Channel::new("facebook", Platform::Facebook, "HS4Aglobal");
        channel.account = Some(PAGE_ID.into());
        Post { dir: tempfile::tempdir().unwrap(), parts: vec![text.to_string()], link: None, media: vec![], channel }
    }

    fn link(mut self, link: &str) -> Self {
        self.link = Some(link.into());
        self
    }

    /// Adds an image `campaigns/media/NAME` (a JPEG) with its alt text.
    fn image(mut self, name: &str, alt: Option<&str>) -> Self {
        let path = self.campaigns().join("media").join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, crate::support::JPEG).unwrap();
        self.media.push(Media {
            file: format!("media/{name}"),
            path,
            alt: alt.map(String::from),
            kind: MediaType::Jpeg,
        });
        self
    }

    /// Images are served publicly from here (Facebook fetches them by URL).
    fn served_from(mut self, base: &str) -> Self {
        self.channel.media_base_url = Some(base.into());
        self
    }

    fn campaigns(&self) -> PathBuf {
        self.dir.path().join("campaigns")
    }

    fn outgoing<'a>(&'a self, campaigns: &'a Path) -> Outgoing<'a> {
        Outgoing {
            parts: &self.parts,
            link: self.link.as_deref(),
            media: &self.media,
            channel: &self.channel,
            campaigns_dir: campaigns,
        }
    }

    async fn publish_with(&self, c: &Client, journal: &mut Journal<'_>, http: &Boundary) -> Outcome {
        let campaigns = self.campaigns();
        c.publish(&self.outgoing(&campaigns), journal, http).await
    }

    async fn publish(&self, fake: &FakeFacebook) -> Outcome {
        self.publish_with(&client(fake), &mut Journal::in_memory(), &Boundary::live(FIVE_SECONDS).unwrap()).await
    }
}

/// No request carried the token anywhere but its header.
fn assert_token_only_in_headers(fake: &FakeFacebook) {
    let token = page_token();
    for r in fake.requests() {
        assert!(!r.url.contains(token.expose()), "the token travelled in a URL: {}", r.url);
        assert!(!String::from_utf8_lossy(&r.body).contains(token.expose()), "the token travelled in a body");
    }
}

#[tokio::test]
async fn a_text_post_goes_to_the_page_feed() {
    let fake = FakeFacebook::start().await;
    let seen = Arc::new(Mutex::new(BTreeMap::new()));
    let s = seen.clone();
    let mut journal = Journal::new(BTreeMap::new(), move |e| *s.lock().unwrap() = e.clone());
    let post = Post::new("Water is life. #HumanSecurity");
    let o = post.publish_with(&client(&fake), &mut journal, &Boundary::live(FIVE_SECONDS).unwrap()).await;
    assert_eq!(fake.rejected(), Vec::<String>::new());
    let posts = fake.posts();
    assert_eq!(posts.len(), 1);
    assert_eq!(posts[0].message.as_deref(), Some("Water is life. #HumanSecurity"));
    assert_eq!((posts[0].link.as_deref(), posts[0].photos.len()), (None, 0));
    assert_eq!(
        o,
        Outcome::Published {
            remote_id: posts[0].id.clone(),
            url: Some(format!("https://www.facebook.com/{}", posts[0].id))
        }
    );
    assert_eq!(seen.lock().unwrap().get("post"), Some(&posts[0].id), "the post is journaled");
    let requests = fake.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(
        (requests[0].method.as_str(), requests[0].url.as_str()),
        ("POST", &*format!("/{VERSION}/{PAGE_ID}/feed"))
    );
    assert!(requests[0].content_type.starts_with("application/x-www-form-urlencoded"));
    assert_token_only_in_headers(&fake);
}

#[tokio::test]
async fn a_link_travels_in_its_own_field() {
    let fake = FakeFacebook::start().await;
    let link = "https://www.humansecurity.world/?utm_source=facebook&utm_medium=social";
    let o = Post::new("Read the 2027 report").link(link).publish(&fake).await;
    assert!(matches!(o, Outcome::Published { .. }), "{o:?} {:?}", fake.rejected());
    let posts = fake.posts();
    assert_eq!(posts[0].link.as_deref(), Some(link), "the link arrives whole, & and ? included");
    assert_eq!(posts[0].message.as_deref(), Some("Read the 2027 report"), "the link is not repeated in the text");
}

#[tokio::test]
async fn one_photo_by_url_is_fetched_by_facebook_with_its_caption_and_alt_text() {
    let fake = FakeFacebook::start().await;
    // Rendering ends a photo post's text with its link (photo posts have no link field).
    let post = Post::new("Women farmers in Barbados\n\nhttps://www.humansecurity.world")
        .image("water day.jpg", Some("Three women harvesting sweet potatoes"))
        .served_from("https://media.example.org/herald/");
    let o = post.publish(&fake).await;
    assert_eq!(fake.rejected(), Vec::<String>::new());
    let posts = fake.posts();
    assert_eq!(posts.len(), 1);
    let photo = &posts[0].photos[0];
    assert_eq!(photo.source, PhotoSource::Url("https://media.example.org/herald/media/water%20day.jpg".into()));
    assert_eq!(photo.alt.as_deref(), Some("Three women harvesting sweet potatoes"));
    assert_eq!(
        posts[0].message.as_deref(),
        Some("Women farmers in Barbados\n\nhttps://www.humansecurity.world"),
        "the caption is the rendered text, link included"
    );
    // The post is the photo's `post_id`, not the photo's own id.
    assert!(
        matches!(&o, Outcome::Published { remote_id, .. } if *remote_id == posts[0].id && *remote_id != photo.id),
        "{o:?}"
    );
    assert_eq!(fake.requests()[0].url, format!("/{VERSION}/{PAGE_ID}/photos"));
}

#[tokio::test]
async fn one_photo_without_a_public_host_is_uploaded_as_a_multipart_source() {
    let fake = FakeFacebook::start().await;
    let post = Post::new("Water is life.").image("card.jpg", Some("A well in Turkana"));
    let o = post.publish(&fake).await;
    assert!(matches!(o, Outcome::Published { .. }), "{o:?} {:?}", fake.rejected());
    let posts = fake.posts();
    let photo = &posts[0].photos[0];
    assert_eq!(
        photo.source,
        PhotoSource::Upload {
            filename: "card.jpg".into(),
            content_type: "image/jpeg".into(),
            size: crate::support::JPEG.len()
        }
    );
    assert_eq!(
        (photo.alt.as_deref(), posts[0].message.as_deref()),
        (Some("A well in Turkana"), Some("Water is life."))
    );
    assert!(fake.requests()[0].content_type.starts_with("multipart/form-data; boundary="));
    assert_token_only_in_headers(&fake);
}

#[tokio::test]
async fn several_photos_are_uploaded_unpublished_then_attached_in_order_to_one_post() {
    let fake = FakeFacebook::start().await;
    let seen = Arc::new(Mutex::new(BTreeMap::new()));
    let s = seen.clone();
    let mut journal = Journal::new(BTreeMap::new(), move |e| *s.lock().unwrap() = e.clone());
    let post = Post::new("Three faces of human security")
        .image("a.jpg", Some("first"))
        .image("b.jpg", None)
        .image("c.jpg", Some("third"))
        .served_from("https://media.example.org/herald");
    let o = post.publish_with(&client(&fake), &mut journal, &Boundary::live(FIVE_SECONDS).unwrap()).await;
    assert_eq!(fake.rejected(), Vec::<String>::new());
    let posts = fake.posts();
    assert_eq!(posts.len(), 1, "one post, not one per photo");
    assert!(matches!(&o, Outcome::Published { remote_id, .. } if *remote_id == posts[0].id));
    assert_eq!(posts[0].message.as_deref(), Some("Three faces of human security"));
    let alts: Vec<Option<&str>> = posts[0].photos.iter().map(|p| p.alt.as_deref()).collect();
    assert_eq!(alts, [Some("first"), None, Some("third")], "in the order of the campaign file");
    let journal = seen.lock().unwrap().clone();
    for (i, photo) in posts[0].photos.iter().enumerate() {
        assert!(!photo.published && photo.used);
        assert_eq!(journal.get(&format!("photo.{i}")), Some(&photo.id));
    }
    assert_eq!(journal.get("post"), Some(&posts[0].id));
    let urls: Vec<String> = fake.requests().iter().map(|r| r.url.clone()).collect();
    let photos = format!("/{VERSION}/{PAGE_ID}/photos");
    assert_eq!(urls, [photos.clone(), photos.clone(), photos, format!("/{VERSION}/{PAGE_ID}/feed")]);
}

#[tokio::test]
async fn a_retry_reuses_the_photos_already_uploaded_and_a_published_post_is_never_sent_again() {
    let fake = FakeFacebook::start().await;
    let saved = Arc::new(Mutex::new(BTreeMap::new()));
    let post = Post::new("Two photos").image("a.jpg", None).image("b.jpg", None);
    let c = client(&fake);
    let http = Boundary::live(FIVE_SECONDS).unwrap();
    fake.script(Script::Accept);
    fake.script(Script::ServerError);
    let s = saved.clone();
    let mut first = Journal::new(BTreeMap::new(), move |e| *s.lock().unwrap() = e.clone());
    let o = post.publish_with(&c, &mut first, &http).await;
    assert!(o.is_retryable(), "{o:?}");
    let after_first = saved.lock().unwrap().clone();
    assert!(after_first.contains_key("photo.0") && !after_first.contains_key("photo.1"), "{after_first:?}");
    // The next attempt resumes from the stored journal.
    let s = saved.clone();
    let mut second = Journal::new(after_first.clone(), move |e| *s.lock().unwrap() = e.clone());
    let o = post.publish_with(&c, &mut second, &http).await;
    assert!(matches!(o, Outcome::Published { .. }), "{o:?} {:?}", fake.rejected());
    assert_eq!(fake.photos().len(), 2, "the first photo was not uploaded twice");
    assert_eq!(fake.posts()[0].photos[0].id, after_first["photo.0"]);
    // Once the post is journaled, another attempt sends nothing.
    let requests = fake.requests().len();
    let stored = saved.lock().unwrap().clone();
    let o = post.publish_with(&c, &mut Journal::new(stored, |_| {}), &http).await;
    assert!(matches!(o, Outcome::Published { .. }));
    assert_eq!(fake.requests().len(), requests);
    assert_eq!(fake.posts().len(), 1);
}

#[tokio::test]
async fn the_fake_refuses_photos_attached_twice_as_graph_does() {
    let fake = FakeFacebook::start().await;
    let post = Post::new("Two photos").image("a.jpg", None).image("b.jpg", None);
    let saved = Arc::new(Mutex::new(BTreeMap::new()));
    let s = saved.clone();
    let mut journal = Journal::new(BTreeMap::new(), move |e| *s.lock().unwrap() = e.clone());
    let http = Boundary::live(FIVE_SECONDS).unwrap();
    assert!(matches!(post.publish_with(&client(&fake), &mut journal, &http).await, Outcome::Published { .. }));
    // The same photo ids for a different post: each unpublished photo is usable once.
    let mut reused = saved.lock().unwrap().clone();
    reused.remove("post");
    let other = Post::new("Other text").image("a.jpg", None).image("b.jpg", None);
    let o = other.publish_with(&client(&fake), &mut Journal::new(reused, |_| {}), &http).await;
    assert!(
        matches!(&o, Outcome::Rejected { platform_message, .. } if platform_message.contains("attached_media[0]")),
        "{o:?}"
    );
    assert_eq!(fake.posts().len(), 1);
}

#[tokio::test]
async fn the_same_message_twice_in_a_row_is_a_duplicate() {
    let fake = FakeFacebook::start().await;
    assert!(matches!(Post::new("same").publish(&fake).await, Outcome::Published { .. }));
    let o = Post::new("same").publish(&fake).await;
    assert!(matches!(&o, Outcome::Duplicate { platform_message } if platform_message.contains("#506")), "{o:?}");
    assert_eq!(fake.posts().len(), 1);
}

#[tokio::test]
async fn throttling_says_when_to_try_again() {
    let fake = FakeFacebook::start().await;
    fake.script(Script::Throttled { code: 80001, regain_minutes: Some(7) });
    let o = Post::new("a").publish(&fake).await;
    assert!(
        matches!(&o, Outcome::RetryLater { after: Some(d), reason } if d.as_secs() == 420 && reason.contains("#80001")),
        "{o:?}"
    );
    // A Page limit at 100% with no announced time: a wait all the same.
    fake.script(Script::Throttled { code: 32, regain_minutes: None });
    let o = Post::new("b").publish(&fake).await;
    assert!(
        matches!(&o, Outcome::RetryLater { after: Some(d), .. } if *d == herald::dispatch::limits::META_FULL_USAGE_PAUSE),
        "the same wait as the channel's quiet time: {o:?}"
    );
    fake.script(Script::ServerError);
    assert!(Post::new("c").publish(&fake).await.is_retryable());
    assert!(fake.posts().is_empty());
}

#[tokio::test]
async fn an_expired_token_needs_reauthorisation_and_a_missing_permission_is_explained() {
    let fake = FakeFacebook::start().await;
    fake.script(Script::ExpiredToken);
    let o = Post::new("a").publish(&fake).await;
    assert!(
        matches!(&o, Outcome::NeedsReauth { platform_message } if platform_message.contains("Session has expired")),
        "{o:?}"
    );
    fake.script(Script::Permission);
    let o = Post::new("b").publish(&fake).await;
    assert!(matches!(&o, Outcome::Rejected { explanation, .. } if explanation.contains("pages_manage_posts")), "{o:?}");
    // A wrong token: Graph's 190 as well.
    let mut c = client(&fake);
    c.token = Secret::new("EAAnot-the-token");
    let o = Post::new("c").publish_with(&c, &mut Journal::in_memory(), &Boundary::live(FIVE_SECONDS).unwrap()).await;
    assert!(matches!(o, Outcome::NeedsReauth { .. }), "{o:?}");
    assert!(fake.posts().is_empty());
}

#[tokio::test]
async fn the_fake_checks_the_version_and_the_page() {
    let fake = FakeFacebook::start().await;
    let mut c = client(&fake);
    c.api_version = "v19.0".into();
    let http = Boundary::live(FIVE_SECONDS).unwrap();
    let o = Post::new("a").publish_with(&c, &mut Journal::in_memory(), &http).await;
    assert!(matches!(&o, Outcome::Rejected { platform_message, .. } if platform_message.contains("#2635")), "{o:?}");
    let mut c = client(&fake);
    c.page_id = "999".into();
    let o = Post::new("a").publish_with(&c, &mut Journal::in_memory(), &http).await;
    assert!(
        matches!(&o, Outcome::Rejected { platform_message, .. } if platform_message.contains("'999' does not exist")),
        "{o:?}"
    );
    assert!(fake.posts().is_empty());
}

#[tokio::test]
async fn a_lost_answer_is_unknown_and_the_lookup_finds_the_post() {
    let fake = FakeFacebook::start().await;
    let started = chrono::Utc::now();
    fake.script(Script::Hang(Duration::from_secs(3)));
    let post = Post::new("Maybe published");
    let c = client(&fake);
    let slow = Boundary::live(Duration::from_millis(300)).unwrap();
    let mut journal = Journal::in_memory();
    let o = post.publish_with(&c, &mut journal, &slow).await;
    assert!(matches!(o, Outcome::Unknown { .. }), "{o:?}");
    assert_eq!(fake.posts().len(), 1, "the fake did publish it: only the lookup can tell");
    fake.post_elsewhere("An older post by the Page's team", 3600);
    let campaigns = post.campaigns();
    let http = Boundary::live(FIVE_SECONDS).unwrap();
    let found = c.find_existing(&post.outgoing(&campaigns), &mut journal, started, &http).await;
    let id = fake.posts()[0].id.clone();
    assert_eq!(found, Lookup::Found { remote_id: id.clone(), url: Some(format!("https://www.facebook.com/{id}")) });
    assert_eq!(journal.get("post"), Some(id.as_str()));
    let lookup = fake.requests().last().unwrap().url.clone();
    assert!(
        lookup.starts_with(&format!("/{VERSION}/{PAGE_ID}/posts?fields=id,message,created_time&since=")),
        "{lookup}"
    );
    // With the post journaled, publishing again sends nothing.
    let before = fake.requests().len();
    assert!(matches!(post.publish_with(&c, &mut journal, &http).await, Outcome::Published { .. }));
    assert_eq!(fake.requests().len(), before);
}

#[tokio::test]
async fn the_lookup_says_not_found_only_when_it_could_look() {
    let fake = FakeFacebook::start().await;
    let started = chrono::Utc::now();
    fake.post_elsewhere("Something else", 10);
    let post = Post::new("Never sent");
    let campaigns = post.campaigns();
    let http = Boundary::live(FIVE_SECONDS).unwrap();
    let found =
        client(&fake).find_existing(&post.outgoing(&campaigns), &mut Journal::in_memory(), started, &http).await;
    assert_eq!(found, Lookup::NotFound);
    let mut c = client(&fake);
    c.token = Secret::new("EAAexpired");
    let found = c.find_existing(&post.outgoing(&campaigns), &mut Journal::in_memory(), started, &http).await;
    assert!(matches!(&found, Lookup::Unavailable { reason } if reason.contains("re-authorised")), "{found:?}");
}

#[tokio::test]
async fn a_lost_photo_post_is_found_by_its_caption() {
    let fake = FakeFacebook::start().await;
    let started = chrono::Utc::now();
    fake.script(Script::Hang(Duration::from_secs(3)));
    let post = Post::new("A photo\n\nhttps://hs4a.org").image("a.jpg", None);
    let c = client(&fake);
    let mut journal = Journal::in_memory();
    let o = post.publish_with(&c, &mut journal, &Boundary::live(Duration::from_millis(300)).unwrap()).await;
    assert!(matches!(o, Outcome::Unknown { .. }), "{o:?}");
    let campaigns = post.campaigns();
    let found = c
        .find_existing(&post.outgoing(&campaigns), &mut journal, started, &Boundary::live(FIVE_SECONDS).unwrap())
        .await;
    assert!(matches!(&found, Lookup::Found { remote_id, .. } if *remote_id == fake.posts()[0].id), "{found:?}");
}

#[tokio::test]
async fn probe_names_the_page_and_never_posts() {
    let fake = FakeFacebook::start().await;
    let who = client(&fake).probe(&Boundary::live(FIVE_SECONDS).unwrap()).await;
    assert_eq!(who, Ok(format!("authenticated for the Page Human Security for All ({PAGE_ID})")));
    assert_eq!(fake.requests()[0].url, format!("/{VERSION}/{PAGE_ID}?fields=name"));
    assert!(fake.posts().is_empty());
}

#[tokio::test]
async fn a_dry_run_shows_the_whole_flow_sends_nothing_and_hides_the_token() {
    let fake = FakeFacebook::start().await;
    let post = Post::new("Three faces\n\nhttps://hs4a.org").image("a.jpg", Some("first")).image("b.jpg", None);
    let dry = Boundary::dry_run();
    let o = post.publish_with(&client(&fake), &mut Journal::in_memory(), &dry).await;
    assert!(matches!(o, Outcome::Published { .. }), "{o:?}");
    assert!(fake.requests().is_empty(), "nothing reached the platform");
    let shown: Vec<String> = dry.transcript().iter().map(|r| r.redacted()).collect();
    assert_eq!(shown.len(), 3, "{shown:#?}");
    let photos = format!("POST {}/{VERSION}/{PAGE_ID}/photos\n", fake.uri());
    assert!(shown[0].starts_with(&photos) && shown[1].starts_with(&photos), "{}", shown[0]);
    assert!(shown[0].contains("published=false") && shown[0].contains("alt_text_custom=first"), "{}", shown[0]);
    let size = crate::support::JPEG.len();
    assert!(shown[0].contains(&format!("source=<file a.jpg: {size} bytes of image/jpeg>")), "{}", shown[0]);
    assert!(shown[2].starts_with(&format!("POST {}/{VERSION}/{PAGE_ID}/feed\n", fake.uri())), "{}", shown[2]);
    assert!(shown[2].contains("message=Three faces\n\nhttps://hs4a.org\n"), "{}", shown[2]);
    assert!(shown[2].contains(r#"attached_media[0]={"media_fbid":"3000000"}"#), "{}", shown[2]);
    assert!(shown[2].contains(r#"attached_media[1]={"media_fbid":"3000001"}"#), "{}", shown[2]);
    for s in &shown {
        assert!(s.contains("authorization: ***"), "{s}");
        assert!(!s.contains(page_token().expose()), "the token leaked into the dry run: {s}");
    }
}

/// A project whose `facebook` channel points at the fake, with its token from the environment.
fn project_on(fake: &FakeFacebook) -> crate::support::TestProject {
    let config = format!(
        "[channels.facebook]\nplatform = \"facebook\"\nhandle = \"@HS4Aglobal\"\naccount = \"{PAGE_ID}\"\nbase_url = \"{}\"\n[channels.facebook.credentials]\npage_access_token = \"env:HERALD_FB_TOKEN\"\n",
        fake.uri()
    );
    crate::support::TestProject::new().file("config/herald.toml", &config).campaign_on(
        "c.toml",
        &["facebook"],
        "\n[[post]]\nid = \"water\"\ndate = 2027-03-22\ntext = \"Water is life.\"\n",
    )
}

fn herald(p: &crate::support::TestProject, args: &[&str]) -> (i32, String) {
    let r = crate::support::run_with_secrets(p.path(), &[("HERALD_FB_TOKEN", page_token().expose())], args);
    (r.code, r.all())
}

#[tokio::test(flavor = "multi_thread")]
async fn herald_send_and_check_online_work_on_a_facebook_channel() {
    let fake = FakeFacebook::start().await;
    let p = project_on(&fake);
    let (code, out) = herald(&p, &["send", "c/water", "--dry-run"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains(&format!("POST {}/{VERSION}/{PAGE_ID}/feed", fake.uri())), "{out}");
    assert!(out.contains("authorization: ***") && out.contains("link=https://www.humansecurity.world"), "{out}");
    assert!(fake.requests().is_empty());
    let (code, out) = herald(&p, &["send", "c/water"]);
    assert_eq!(code, 0, "{out}");
    let posts = fake.posts();
    assert_eq!(posts.len(), 1, "{out} {:?}", fake.rejected());
    assert!(posts[0].message.as_deref().is_some_and(|m| m.starts_with("Water is life.")), "{:?}", posts[0]);
    assert!(posts[0].link.as_deref().is_some_and(|l| l.starts_with("https://www.humansecurity.world")));
    assert!(out.contains(&format!("published: https://www.facebook.com/{}", posts[0].id)), "{out}");
    let (code, out) = herald(&p, &["send", "c/water"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("refused as a duplicate"), "{out}");
    let (code, out) = herald(&p, &["check", "--online"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains(&format!("facebook: ok, authenticated for the Page Human Security for All ({PAGE_ID})")),
        "{out}"
    );
    assert_token_only_in_headers(&fake);
}

#[tokio::test]
async fn the_lookup_follows_graph_next_pages_without_their_token_and_is_unsure_past_its_last_page() {
    let fake = FakeFacebook::start().await;
    let started = chrono::Utc::now();
    let post = Post::new("Lost among the staff's posts");
    let c = client(&fake);
    let http = Boundary::live(FIVE_SECONDS).unwrap();
    fake.script(Script::ServerErrorAfterCreating);
    let o = post.publish_with(&c, &mut Journal::in_memory(), &http).await;
    assert!(!matches!(o, Outcome::Published { .. }), "{o:?}");
    let id = fake.posts()[0].id.clone();
    // The Page's team posts 105 times before herald looks: its post is past Graph's page of 100.
    fake.post_by_others(105);
    let campaigns = post.campaigns();
    let before = fake.requests().len();
    let found = c.find_existing(&post.outgoing(&campaigns), &mut Journal::in_memory(), started, &http).await;
    assert_eq!(found, Lookup::Found { remote_id: id.clone(), url: Some(format!("https://www.facebook.com/{id}")) });
    let lookups: Vec<String> = fake.requests()[before..].iter().map(|r| r.url.clone()).collect();
    assert_eq!(lookups.len(), 2, "{lookups:#?}");
    assert!(lookups[1].contains("after="), "the second page is Graph's next: {}", lookups[1]);
    assert!(lookups.iter().all(|u| !u.contains("access_token")), "{lookups:#?}");
    assert_eq!(fake.rejected(), Vec::<String>::new());
    assert_token_only_in_headers(&fake);
    // With more posts since the attempt than the lookup reads, absent is not certain.
    fake.post_by_others(herald::channels::adapter::LOOKUP_MAX_PAGES * crate::support::fake_facebook::MAX_LIMIT);
    match c.find_existing(&post.outgoing(&campaigns), &mut Journal::in_memory(), started, &http).await {
        Lookup::Unavailable { reason } => assert!(reason.starts_with("more than 2000 posts since "), "{reason}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(fake.rejected(), Vec::<String>::new());
    assert_token_only_in_headers(&fake);
}

#[tokio::test]
async fn a_next_page_on_another_host_is_not_followed_with_the_token() {
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let graph = MockServer::start().await;
    let elsewhere = MockServer::start().await;
    let listing = serde_json::json!({
        "data": [{ "id": format!("{PAGE_ID}_1"), "message": "Someone else's", "created_time": "2099-01-01T00:00:00+0000" }],
        "paging": { "next": format!("{}/{VERSION}/{PAGE_ID}/posts?after=QQ", elsewhere.uri()) }
    });
    Mock::given(method("GET"))
        .and(path(format!("/{VERSION}/{PAGE_ID}/posts")))
        .respond_with(ResponseTemplate::new(200).set_body_json(listing))
        .mount(&graph)
        .await;
    let c = Client { base_url: graph.uri(), api_version: VERSION.into(), page_id: PAGE_ID.into(), token: page_token() };
    let post = Post::new("Mine");
    let campaigns = post.campaigns();
    let http = Boundary::live(FIVE_SECONDS).unwrap();
    let found = c.find_existing(&post.outgoing(&campaigns), &mut Journal::in_memory(), chrono::Utc::now(), &http).await;
    assert!(matches!(&found, Lookup::Unavailable { reason } if reason.contains("another host")), "{found:?}");
    assert!(elsewhere.received_requests().await.unwrap_or_default().is_empty());
}
