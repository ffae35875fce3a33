//! The Instagram adapter against the fake Instagram: single images and carousels with alt text, the
//! publishing quota, containers still processing or expired, a lost publish answer reconciled by the
//! container's status, failures, dry runs, and the token kept out of every output.

use std::path::{Path, PathBuf};
use std::time::Duration;

use herald::channels::adapter::{Adapter, Journal, Lookup, Outgoing, Upkeep};
use herald::channels::instagram::client::Client;
use herald::channels::{MediaType, Platform};
use herald::config::{Channel, Media};
use herald::dispatch::boundary::Boundary;
use herald::dispatch::outcome::Outcome;
use herald::secrets::Secret;
use herald::tokens::TokenStore;

use crate::support::fake_instagram::{ACCOUNT, At, FakeInstagram, Script, TOKEN, USERNAME, VERSION};

const MEDIA_BASE: &str = "https://media.example.org/campaigns";
const CAPTION: &str = "Water is life. #HumanSecurity #HS4A";

fn channel(media_base_url: Option<&str>) -> Channel {
    let mut ch = Channel::new("instagram", Platform::Instagram, "@humansecurityforall");
    ch.account = Some(ACCOUNT.into());
    ch.media_base_url = media_base_url.map(String::from);
    ch
}

/// `n` JPEG images below `campaigns/2027/media/`, the first ones with alt text as given.
fn images(alts: &[Option<&str>]) -> Vec<Media> {
    alts.iter()
        .enumerate()
        .map(|(i, alt)| Media {
            file: format!("media/photo {i}.jpg"),
            path: PathBuf::from(format!("/srv/hs4a/campaigns/2027/media/photo {i}.jpg")),
            alt: alt.map(String::from),
            kind: MediaType::Jpeg,
        })
        .collect()
}

fn live(timeout: Duration) -> Boundary {
    Boundary::live(timeout).unwrap()
}

/// Publishes `CAPTION` with `media` on a channel with a media host.
async fn publish_with(client: &Client, media: &[Media], journal: &mut Journal<'_>, http: &Boundary) -> Outcome {
    let parts = vec![CAPTION.to_string()];
    let ch = channel(Some(MEDIA_BASE));
    let post =
        Outgoing { parts: &parts, link: None, media, channel: &ch, campaigns_dir: Path::new("/srv/hs4a/campaigns") };
    client.publish(&post, journal, http).await
}

async fn find_with(client: &Client, media: &[Media], journal: &mut Journal<'_>) -> Lookup {
    let parts = vec![CAPTION.to_string()];
    let ch = channel(Some(MEDIA_BASE));
    let post =
        Outgoing { parts: &parts, link: None, media, channel: &ch, campaigns_dir: Path::new("/srv/hs4a/campaigns") };
    let since = chrono::Utc::now() - chrono::Duration::minutes(1);
    client.find_existing(&post, journal, since, &live(Duration::from_secs(5))).await
}

/// The requests the fake saw, as `METHOD path` without queries.
fn paths(fake: &FakeInstagram) -> Vec<String> {
    fake.requests().iter().map(|r| r.split('?').next().unwrap_or_default().to_string()).collect()
}

#[tokio::test]
async fn a_single_image_is_checked_against_the_quota_prepared_published_and_linked() {
    let fake = FakeInstagram::start().await;
    let mut journal = Journal::in_memory();
    let media = images(&[Some("Women farmers in Barbados at the water pump")]);
    let o = publish_with(&fake.client(), &media, &mut journal, &live(Duration::from_secs(5))).await;
    assert_eq!(fake.rejected(), Vec::<String>::new());
    let posts = fake.posts();
    assert_eq!(posts.len(), 1);
    assert_eq!(posts[0].caption, CAPTION);
    assert_eq!(posts[0].image_urls, vec![format!("{MEDIA_BASE}/2027/media/photo%200.jpg")]);
    assert_eq!(posts[0].alt_texts, vec![Some("Women farmers in Barbados at the water pump".to_string())]);
    assert_eq!(o, Outcome::Published { remote_id: posts[0].id.clone(), url: Some(posts[0].permalink.clone()) });
    let v = format!("/{VERSION}");
    assert_eq!(
        paths(&fake),
        vec![
            format!("GET {v}/{ACCOUNT}/content_publishing_limit"),
            format!("POST {v}/{ACCOUNT}/media"),
            format!("GET {v}/{}", posts[0].container),
            format!("POST {v}/{ACCOUNT}/media_publish"),
            format!("GET {v}/{}", posts[0].id),
        ]
    );
    assert_eq!(journal.get("container.0"), Some(posts[0].container.as_str()));
    assert_eq!(journal.get("published"), Some(posts[0].id.as_str()));
}

#[tokio::test]
async fn several_images_make_a_carousel_of_items_with_their_alt_texts() {
    let fake = FakeInstagram::start().await;
    let mut journal = Journal::in_memory();
    let media = images(&[Some("A well"), None, Some("Children at school")]);
    let o = publish_with(&fake.client(), &media, &mut journal, &live(Duration::from_secs(5))).await;
    assert!(matches!(o, Outcome::Published { .. }), "{o:?} {:?}", fake.rejected());
    assert_eq!(fake.rejected(), Vec::<String>::new());
    let posts = fake.posts();
    assert_eq!(posts.len(), 1, "a carousel is one post");
    assert_eq!(posts[0].caption, CAPTION);
    assert_eq!(posts[0].image_urls.len(), 3);
    assert!(posts[0].image_urls[2].ends_with("/2027/media/photo%202.jpg"));
    assert_eq!(posts[0].alt_texts, vec![Some("A well".to_string()), None, Some("Children at school".to_string())]);
    assert_eq!(fake.containers_created(), 4, "three items and their carousel");
    assert_eq!(journal.get("carousel"), Some(posts[0].container.as_str()));
    for i in 0..3 {
        assert!(journal.get(&format!("container.{i}")).is_some(), "item {i} is in the journal");
    }
}

#[tokio::test]
async fn alt_text_is_sent_only_when_there_is_one() {
    let fake = FakeInstagram::start().await;
    let dry = Boundary::dry_run();
    publish_with(&fake.client(), &images(&[Some("A well"), Some("  ")]), &mut Journal::in_memory(), &dry).await;
    let shown: Vec<String> = dry.transcript().iter().map(|r| r.redacted()).collect();
    assert!(shown[1].contains("alt_text=A well") && shown[1].contains("is_carousel_item=true"), "{}", shown[1]);
    assert!(!shown[2].contains("alt_text"), "a blank alt text is left out: {}", shown[2]);
    assert!(!shown[1].contains("caption="), "the caption goes on the carousel: {}", shown[1]);
}

#[tokio::test]
async fn a_used_up_publishing_quota_waits_and_creates_nothing() {
    let fake = FakeInstagram::start().await;
    fake.use_quota(50);
    let o =
        publish_with(&fake.client(), &images(&[Some("x")]), &mut Journal::in_memory(), &live(Duration::from_secs(5)))
            .await;
    assert!(
        matches!(&o, Outcome::RetryLater { reason, .. } if reason.contains("publishing limit") && reason.contains("50 of 50")),
        "{o:?}"
    );
    assert_eq!(fake.containers_created(), 0);
    assert!(fake.posts().is_empty());
}

#[tokio::test]
async fn a_container_still_in_progress_is_resumed_on_the_next_attempt_not_made_again() {
    let fake = FakeInstagram::start().await;
    let client = fake.client(); // three status reads per attempt
    fake.next_container_in_progress_for(4);
    let mut journal = Journal::in_memory();
    let media = images(&[Some("x")]);
    let first = publish_with(&client, &media, &mut journal, &live(Duration::from_secs(5))).await;
    assert!(
        matches!(&first, Outcome::RetryLater { after: Some(_), reason } if reason.contains("IN_PROGRESS")),
        "{first:?}"
    );
    let container = journal.get("container.0").map(str::to_string);
    assert!(container.is_some(), "the container is kept for the next attempt");
    // Before the post goes out, a lookup says it is not there: publishing again is safe.
    assert_eq!(find_with(&client, &media, &mut journal).await, Lookup::NotFound);
    let second = publish_with(&client, &media, &mut journal, &live(Duration::from_secs(5))).await;
    assert!(matches!(second, Outcome::Published { .. }), "{second:?} {:?}", fake.rejected());
    assert_eq!(fake.containers_created(), 1, "the same container was published");
    assert_eq!(Some(fake.posts()[0].container.clone()), container);
}

#[tokio::test]
async fn a_lost_publish_answer_is_unknown_and_the_container_status_finds_the_post() {
    let fake = FakeInstagram::start().await;
    let client = fake.client();
    fake.script(At::Publish, Script::Hang(Duration::from_secs(3)));
    let mut journal = Journal::in_memory();
    let media = images(&[Some("x")]);
    let o = publish_with(&client, &media, &mut journal, &live(Duration::from_millis(400))).await;
    assert!(matches!(&o, Outcome::Unknown { reason } if reason.contains("container")), "{o:?}");
    assert_eq!(fake.posts().len(), 1, "Instagram did publish it: only the container's status can tell");
    assert_eq!(journal.get("published"), None);
    let found = find_with(&client, &media, &mut journal).await;
    let post = &fake.posts()[0];
    assert_eq!(found, Lookup::Found { remote_id: post.id.clone(), url: Some(post.permalink.clone()) });
    assert_eq!(journal.get("published"), Some(post.id.as_str()));
    // A later attempt with that journal publishes nothing again.
    let again = publish_with(&client, &media, &mut journal, &live(Duration::from_secs(5))).await;
    assert_eq!(again, Outcome::Published { remote_id: post.id.clone(), url: Some(post.permalink.clone()) });
    assert_eq!(fake.posts().len(), 1);
    assert!(fake.rejected().is_empty(), "no second media_publish: {:?}", fake.rejected());
}

#[tokio::test]
async fn a_publish_retried_after_a_crash_reads_the_container_before_sending_again() {
    let fake = FakeInstagram::start().await;
    let client = fake.client();
    fake.script(At::Publish, Script::Hang(Duration::from_secs(3)));
    let media = images(&[Some("x")]);
    // The lost attempt's journal, without the lookup in between (as after a crash).
    let mut journal = Journal::in_memory();
    publish_with(&client, &media, &mut journal, &live(Duration::from_millis(400))).await;
    let before = fake.requests().len();
    let o = publish_with(&client, &media, &mut journal, &live(Duration::from_secs(5))).await;
    assert!(matches!(o, Outcome::Published { ref remote_id, .. } if *remote_id == fake.posts()[0].id), "{o:?}");
    assert_eq!(fake.posts().len(), 1);
    assert!(!fake.requests()[before..].iter().any(|r| r.contains("media_publish")), "{:?}", fake.requests());
}

#[tokio::test]
async fn find_existing_without_a_container_or_with_an_unpublished_one_is_not_found() {
    let fake = FakeInstagram::start().await;
    let client = fake.client();
    let media = images(&[Some("x")]);
    assert_eq!(find_with(&client, &media, &mut Journal::in_memory()).await, Lookup::NotFound);
    assert!(fake.requests().is_empty(), "nothing to ask without a container");
    fake.script(At::Publish, Script::ServerError);
    let mut journal = Journal::in_memory();
    let o = publish_with(&client, &media, &mut journal, &live(Duration::from_secs(5))).await;
    assert!(o.is_retryable(), "{o:?}");
    assert_eq!(find_with(&client, &media, &mut journal).await, Lookup::NotFound);
    fake.expire_token();
    assert!(matches!(find_with(&client, &media, &mut journal).await, Lookup::Unavailable { .. }));
}

#[tokio::test]
async fn an_expired_container_is_forgotten_and_the_next_attempt_makes_a_new_one() {
    let fake = FakeInstagram::start().await;
    let client = fake.client();
    fake.next_container_in_progress_for(10);
    let media = images(&[Some("x")]);
    let mut journal = Journal::in_memory();
    assert!(publish_with(&client, &media, &mut journal, &live(Duration::from_secs(5))).await.is_retryable());
    fake.expire_containers();
    let o = publish_with(&client, &media, &mut journal, &live(Duration::from_secs(5))).await;
    assert!(matches!(&o, Outcome::RetryLater { reason, .. } if reason.contains("expired")), "{o:?}");
    assert_eq!(journal.get("container.0"), None);
    // The expired container had stopped being in progress only because it expired; a fresh one is ready.
    let o = publish_with(&client, &media, &mut journal, &live(Duration::from_secs(5))).await;
    assert!(matches!(o, Outcome::Published { .. }), "{o:?} {:?}", fake.rejected());
    assert_eq!(fake.containers_created(), 2);
}

#[tokio::test]
async fn an_expired_token_needs_reauthorisation() {
    let fake = FakeInstagram::start().await;
    fake.expire_token();
    let o =
        publish_with(&fake.client(), &images(&[Some("x")]), &mut Journal::in_memory(), &live(Duration::from_secs(5)))
            .await;
    assert!(matches!(&o, Outcome::NeedsReauth { platform_message } if platform_message.contains("expired")), "{o:?}");
    assert!(fake.posts().is_empty());
    assert!(!o.to_string().contains(TOKEN));
}

#[tokio::test]
async fn throttling_waits_for_the_time_meta_gives_and_server_errors_are_retried() {
    let fake = FakeInstagram::start().await;
    fake.script(At::Any, Script::Throttled { status: 429, regain_minutes: 12 });
    let media = images(&[Some("x")]);
    let o = publish_with(&fake.client(), &media, &mut Journal::in_memory(), &live(Duration::from_secs(5))).await;
    assert!(matches!(&o, Outcome::RetryLater { after: Some(d), .. } if *d == Duration::from_secs(12 * 60)), "{o:?}");
    fake.script(At::Create, Script::Throttled { status: 400, regain_minutes: 3 });
    let o = publish_with(&fake.client(), &media, &mut Journal::in_memory(), &live(Duration::from_secs(5))).await;
    assert!(matches!(&o, Outcome::RetryLater { after: Some(d), .. } if *d == Duration::from_secs(180)), "{o:?}");
    fake.script(At::Create, Script::ServerError);
    let o = publish_with(&fake.client(), &media, &mut Journal::in_memory(), &live(Duration::from_secs(5))).await;
    assert!(o.is_retryable(), "{o:?}");
    assert!(fake.posts().is_empty());
}

#[tokio::test]
async fn a_post_without_a_public_media_address_is_refused_before_anything_is_sent() {
    let fake = FakeInstagram::start().await;
    let parts = vec![CAPTION.to_string()];
    let ch = channel(None);
    let media = images(&[Some("x")]);
    let post = Outgoing {
        parts: &parts,
        link: None,
        media: &media,
        channel: &ch,
        campaigns_dir: Path::new("/srv/hs4a/campaigns"),
    };
    let o = fake.client().publish(&post, &mut Journal::in_memory(), &live(Duration::from_secs(5))).await;
    assert!(
        matches!(&o, Outcome::Rejected { explanation, .. } if explanation.contains("media_base_url") && explanation.contains("`instagram`")),
        "{o:?}"
    );
    let none = Outgoing { media: &[], ..post };
    let o = fake.client().publish(&none, &mut Journal::in_memory(), &live(Duration::from_secs(5))).await;
    assert!(matches!(&o, Outcome::Rejected { explanation, .. } if explanation.contains("needs an image")), "{o:?}");
    assert!(fake.requests().is_empty());
}

#[tokio::test]
async fn the_fake_refuses_what_instagram_refuses() {
    let fake = FakeInstagram::start().await;
    // A caption over 2,200 characters.
    let parts = vec!["a".repeat(2201)];
    let ch = channel(Some(MEDIA_BASE));
    let media = images(&[Some("x")]);
    let post = Outgoing {
        parts: &parts,
        link: None,
        media: &media,
        channel: &ch,
        campaigns_dir: Path::new("/srv/hs4a/campaigns"),
    };
    let o = fake.client().publish(&post, &mut Journal::in_memory(), &live(Duration::from_secs(5))).await;
    assert!(matches!(&o, Outcome::Rejected { explanation, .. } if explanation.contains("2,200")), "{o:?}");
    // An image address that is not absolute.
    let ch = channel(Some("media.example.org"));
    let post = Outgoing { parts: &[CAPTION.to_string()], channel: &ch, ..post };
    let o = fake.client().publish(&post, &mut Journal::in_memory(), &live(Duration::from_secs(5))).await;
    assert!(matches!(o, Outcome::Rejected { .. }), "{o:?}");
    assert!(fake.rejected().iter().any(|r| r.contains("not an absolute")), "{:?}", fake.rejected());
    // A wrong token, and another API version.
    let mut client = fake.client();
    client.token = herald::secrets::Secret::new("EAAG-someone-else");
    assert!(matches!(client.probe(&live(Duration::from_secs(5))).await, Err(Outcome::NeedsReauth { .. })));
    let mut client = fake.client();
    client.api_version = "v19.0".into();
    assert!(client.probe(&live(Duration::from_secs(5))).await.is_err());
    assert!(fake.posts().is_empty());
}

#[tokio::test]
async fn a_dry_run_shows_the_whole_flow_with_the_token_hidden_and_sends_nothing() {
    let fake = FakeInstagram::start().await;
    let dry = Boundary::dry_run();
    let o = publish_with(&fake.client(), &images(&[Some("A well"), Some("A school")]), &mut Journal::in_memory(), &dry)
        .await;
    assert!(matches!(o, Outcome::Published { .. }), "{o:?}");
    assert!(fake.requests().is_empty(), "nothing reached the platform");
    let shown: Vec<String> = dry.transcript().iter().map(|r| r.redacted()).collect();
    let first_lines: Vec<&str> = shown.iter().map(|s| s.lines().next().unwrap_or_default()).collect();
    let base = format!("{}/{VERSION}", fake.uri());
    assert_eq!(
        first_lines,
        vec![
            format!("GET {base}/{ACCOUNT}/content_publishing_limit?fields=quota_usage,config"),
            format!("POST {base}/{ACCOUNT}/media"),
            format!("POST {base}/{ACCOUNT}/media"),
            format!("GET {base}/17900000000000000?fields=status_code,status"),
            format!("GET {base}/17900000000000001?fields=status_code,status"),
            format!("POST {base}/{ACCOUNT}/media"),
            format!("GET {base}/17900000000000100?fields=status_code,status"),
            format!("POST {base}/{ACCOUNT}/media_publish"),
            format!("GET {base}/17950000000000000?fields=permalink"),
        ]
    );
    assert!(
        shown[5].contains("media_type=CAROUSEL") && shown[5].contains("children=17900000000000000,17900000000000001")
    );
    assert!(shown[5].contains(&format!("caption={CAPTION}")), "{}", shown[5]);
    assert!(shown[7].contains("creation_id=17900000000000100"), "{}", shown[7]);
    for s in &shown {
        assert!(s.contains("authorization: ***"), "{s}");
        assert!(!s.contains(TOKEN) && !s.contains("access_token"), "the token leaked: {s}");
    }
}

#[tokio::test]
async fn the_probe_names_the_account() {
    let fake = FakeInstagram::start().await;
    assert_eq!(fake.client().probe(&live(Duration::from_secs(5))).await, Ok(format!("authenticated as @{USERNAME}")));
    fake.expire_token();
    assert!(matches!(fake.client().probe(&live(Duration::from_secs(5))).await, Err(Outcome::NeedsReauth { .. })));
    assert!(fake.posts().is_empty());
}

/// A project whose `instagram` channel points at the fake, the token from the environment.
fn project_on(fake: &FakeInstagram) -> crate::support::TestProject {
    crate::support::TestProject::new()
        .file("config/herald.toml", &fake.channel_config("instagram", "HERALD_IG_TOKEN"))
        .bytes("campaigns/media/well.jpg", crate::support::JPEG)
        .campaign_on(
            "c.toml",
            &["instagram"],
            "\n[[post]]\nid = \"water\"\ndate = 2027-03-22\ntext = \"Water is life.\"\nmedia = [{ file = \"media/well.jpg\", alt = \"A village well\" }]\n",
        )
}

fn herald(p: &crate::support::TestProject, args: &[&str], token: &str) -> (i32, String) {
    let r = crate::support::run_with_secrets(p.path(), &[("HERALD_IG_TOKEN", token)], args);
    (r.code, r.all())
}

#[tokio::test(flavor = "multi_thread")]
async fn herald_send_and_check_online_reach_the_fake_and_never_show_the_token() {
    let fake = FakeInstagram::start().await;
    let p = project_on(&fake);
    let (code, out) = herald(&p, &["send", "c/water", "--dry-run"], TOKEN);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("/media_publish"), "{out}");
    assert!(out.contains("alt_text=A village well") && out.contains("authorization: ***"), "{out}");
    assert!(fake.requests().is_empty());
    let (code, out) = herald(&p, &["send", "c/water"], TOKEN);
    assert_eq!(code, 0, "{out}");
    let posts = fake.posts();
    assert_eq!(posts.len(), 1, "{out}");
    assert!(posts[0].caption.starts_with("Water is life."), "{:?}", posts[0].caption);
    assert_eq!(posts[0].image_urls, vec!["https://media.example.org/campaigns/media/well.jpg".to_string()]);
    assert!(out.contains(&format!("published: {}", posts[0].permalink)), "{out}");
    let (code, out_check) = herald(&p, &["check", "--online"], TOKEN);
    assert_eq!(code, 0, "{out_check}");
    assert!(out_check.contains(&format!("instagram: ok, authenticated as @{USERNAME}")), "{out_check}");
    fake.expire_token();
    let (code, out_expired) = herald(&p, &["send", "c/water"], TOKEN);
    assert_ne!(code, 0);
    assert!(out_expired.contains("re-authorised"), "{out_expired}");
    for o in [&out, &out_check, &out_expired] {
        assert!(!o.contains(TOKEN), "the token leaked: {o}");
    }
    assert_eq!(fake.posts().len(), 1);
}

// ---------------------------------------------------------------------------------------------------
// Instagram Login: the long-lived token refreshed before it runs out

/// A client for an `instagram-login` channel on the fake, its refreshed tokens kept in `store`, its
/// configured token expiring in `days` (unknown: `None`).
fn login_client(fake: &FakeInstagram, store: &TokenStore, days: Option<i64>) -> Client {
    let mut ch = channel(Some(MEDIA_BASE));
    ch.auth = &Platform::Instagram.rules().auth[1];
    ch.base_url = Some(fake.uri());
    ch.token_expires = days.map(|d| (chrono::Utc::now() + chrono::Duration::days(d)).date_naive());
    let mut c = Client::for_channel(&ch, Secret::new(TOKEN), store);
    c.poll_interval = Duration::from_millis(5);
    c.max_polls = 3;
    c
}

fn refresh_requests(fake: &FakeInstagram) -> usize {
    paths(fake).iter().filter(|p| p.ends_with("/refresh_access_token")).count()
}

#[tokio::test]
async fn a_token_in_its_last_month_is_refreshed_stored_privately_and_used_from_then_on() {
    let fake = FakeInstagram::start().await;
    let dir = tempfile::tempdir().unwrap();
    let store = TokenStore::new(&dir.path().join(".herald"));
    let client = login_client(&fake, &store, Some(10));
    let http = live(Duration::from_secs(5));
    let o = publish_with(&client, &images(&[Some("x")]), &mut Journal::in_memory(), &http).await;
    assert!(matches!(o, Outcome::Published { .. }), "{o:?} {:?}", fake.rejected());
    assert_eq!(fake.refreshes(), 1);
    assert_eq!(paths(&fake)[0], "GET /refresh_access_token", "the refresh comes first");
    assert!(fake.rejected().is_empty(), "the old token is never used after the refresh: {:?}", fake.rejected());
    let new = fake.current_token();
    let stored = store.load("instagram").unwrap().expect("the new token is stored");
    assert_eq!(stored.access_token.expose(), new);
    let left = stored.expires_at - chrono::Utc::now();
    assert!(left > chrono::Duration::days(59) && left <= chrono::Duration::days(60), "{left}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(dir.path().join(".herald/tokens.json")).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "tokens.json is private: {mode:o}");
    }
    // A second post, and a restart (a new client on the same store): no new refresh, the new token.
    let o = publish_with(&client, &images(&[Some("y")]), &mut Journal::in_memory(), &http).await;
    assert!(matches!(o, Outcome::Published { .. }), "{o:?}");
    let restarted = login_client(&fake, &store, Some(10));
    assert_eq!(restarted.upkeep(&http).await, Upkeep::Nothing);
    assert!(restarted.probe(&http).await.is_ok(), "{:?}", fake.rejected());
    assert_eq!(fake.refreshes(), 1);
    assert_eq!(fake.posts().len(), 2);
}

#[tokio::test]
async fn a_token_with_months_left_is_not_refreshed_and_facebook_login_never_is() {
    let fake = FakeInstagram::start().await;
    let dir = tempfile::tempdir().unwrap();
    let store = TokenStore::new(dir.path());
    let http = live(Duration::from_secs(5));
    let client = login_client(&fake, &store, Some(50));
    assert_eq!(client.upkeep(&http).await, Upkeep::Nothing);
    let o = publish_with(&client, &images(&[Some("x")]), &mut Journal::in_memory(), &http).await;
    assert!(matches!(o, Outcome::Published { .. }), "{o:?}");
    let mut ch = channel(Some(MEDIA_BASE));
    ch.base_url = Some(fake.uri());
    ch.token_expires = Some((chrono::Utc::now() + chrono::Duration::days(2)).date_naive());
    let facebook_login = Client::for_channel(&ch, Secret::new(TOKEN), &store);
    assert_eq!(facebook_login.upkeep(&http).await, Upkeep::Nothing);
    assert_eq!(refresh_requests(&fake), 0);
    assert!(store.load("instagram").unwrap().is_none());
}

#[tokio::test]
async fn a_token_too_new_to_refresh_is_used_as_it_is_and_tried_again_a_day_later() {
    let fake = FakeInstagram::start().await;
    fake.token_issued_now();
    let dir = tempfile::tempdir().unwrap();
    let store = TokenStore::new(dir.path());
    let http = live(Duration::from_secs(5));
    // No `token_expires`: herald learns the expiry by refreshing, which Meta refuses for a day.
    let client = login_client(&fake, &store, None);
    let o = publish_with(&client, &images(&[Some("x")]), &mut Journal::in_memory(), &http).await;
    assert!(matches!(o, Outcome::Published { .. }), "a refused refresh never stops a post: {o:?}");
    assert_eq!(refresh_requests(&fake), 1);
    let o = publish_with(&client, &images(&[Some("y")]), &mut Journal::in_memory(), &http).await;
    assert!(matches!(o, Outcome::Published { .. }), "{o:?}");
    assert_eq!(client.upkeep(&http).await, Upkeep::Nothing, "not again within the day");
    assert_eq!(refresh_requests(&fake), 1);
    assert_eq!(fake.refreshes(), 0);
    assert!(store.load("instagram").unwrap().is_none());
}

#[tokio::test]
async fn a_refused_refresh_of_a_token_about_to_run_out_needs_a_person_and_an_outage_does_not() {
    let fake = FakeInstagram::start().await;
    let dir = tempfile::tempdir().unwrap();
    let store = TokenStore::new(dir.path());
    let http = live(Duration::from_secs(5));
    fake.script(At::Refresh, Script::ServerError);
    match login_client(&fake, &store, Some(3)).upkeep(&http).await {
        Upkeep::Failed { reason, needs_person } => {
            assert!(!needs_person, "an outage is tried again soon: {reason}");
            assert!(reason.contains("tries again later") && reason.contains("temporary error"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    fake.token_issued_now();
    match login_client(&fake, &store, Some(3)).upkeep(&http).await {
        Upkeep::Failed { reason, needs_person } => {
            assert!(needs_person, "refused, with three days left: {reason}");
            assert!(reason.contains("24 hours old") && reason.contains("tomorrow"), "{reason}");
            assert!(!reason.contains(TOKEN), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    // Past its noted expiry, Meta is still asked (the date may be stale); refused, a person is told.
    match login_client(&fake, &store, Some(-1)).upkeep(&http).await {
        Upkeep::Failed { reason, needs_person: true } => assert!(reason.contains("it has expired"), "{reason}"),
        other => panic!("{other:?}"),
    }
    assert_eq!((refresh_requests(&fake), fake.refreshes()), (3, 0));
}

#[tokio::test]
async fn a_revoked_token_needs_a_person_whatever_time_is_left() {
    let fake = FakeInstagram::start().await;
    let dir = tempfile::tempdir().unwrap();
    let http = live(Duration::from_secs(5));
    fake.expire_token();
    match login_client(&fake, &TokenStore::new(dir.path()), Some(20)).upkeep(&http).await {
        Upkeep::Failed { reason, needs_person: true } => {
            assert!(
                reason.contains("Session has expired") && reason.contains("authorise the channel again"),
                "{reason}"
            );
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_stale_token_expires_date_does_not_stop_the_refresh() {
    let fake = FakeInstagram::start().await;
    let dir = tempfile::tempdir().unwrap();
    let http = live(Duration::from_secs(5));
    // The operator pasted a new token but left last season's date.
    let client = login_client(&fake, &TokenStore::new(dir.path()), Some(-30));
    assert!(matches!(client.upkeep(&http).await, Upkeep::Refreshed { .. }));
    assert_eq!(fake.refreshes(), 1);
}

#[tokio::test]
async fn a_failure_a_publish_meets_is_still_reported_by_the_next_upkeep_once() {
    let fake = FakeInstagram::start().await;
    fake.token_issued_now();
    let dir = tempfile::tempdir().unwrap();
    let http = live(Duration::from_secs(5));
    let client = login_client(&fake, &TokenStore::new(dir.path()), Some(5));
    let o = publish_with(&client, &images(&[Some("x")]), &mut Journal::in_memory(), &http).await;
    assert!(matches!(o, Outcome::Published { .. }), "{o:?}");
    assert_eq!(refresh_requests(&fake), 1, "the publish tried the refresh");
    // The next upkeep round sends nothing (tomorrow), but a person hears of it, once.
    assert!(matches!(client.upkeep(&http).await, Upkeep::Failed { needs_person: true, .. }));
    assert_eq!(client.upkeep(&http).await, Upkeep::Nothing);
    assert_eq!(refresh_requests(&fake), 1);
}

#[tokio::test]
async fn a_dry_run_shows_the_refresh_with_the_token_hidden_and_stores_nothing() {
    let fake = FakeInstagram::start().await;
    let dir = tempfile::tempdir().unwrap();
    let store = TokenStore::new(dir.path());
    let http = Boundary::dry_run();
    let client = login_client(&fake, &store, Some(5));
    let o = publish_with(&client, &images(&[Some("x")]), &mut Journal::in_memory(), &http).await;
    assert!(matches!(o, Outcome::Published { .. }), "{o:?}");
    let shown: Vec<String> = http.transcript().iter().map(|r| r.redacted()).collect();
    assert!(
        shown[0].starts_with(&format!(
            "GET {}/refresh_access_token?grant_type=ig_refresh_token&access_token=***\n",
            fake.uri()
        )),
        "{shown:?}"
    );
    assert!(shown.iter().all(|s| !s.contains(TOKEN)), "{shown:?}");
    assert!(fake.requests().is_empty() && store.load("instagram").unwrap().is_none());
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "a dry run writes nothing, not even a lock");
}

#[tokio::test]
async fn a_server_error_on_media_publish_is_retried_after_the_container_is_read() {
    let fake = FakeInstagram::start().await;
    let adapter = herald::channels::registry::AnyAdapter::Instagram(fake.client());
    let media = images(&[Some("x")]);
    let parts = vec![CAPTION.to_string()];
    let ch = channel(Some(MEDIA_BASE));
    let post = Outgoing {
        parts: &parts,
        link: None,
        media: &media,
        channel: &ch,
        campaigns_dir: Path::new("/srv/hs4a/campaigns"),
    };
    let http = live(Duration::from_secs(5));
    let mut journal = Journal::in_memory();
    fake.script(At::Publish, Script::ServerError);
    let policy = herald::dispatch::retry::RetryPolicy {
        unclear_wait: Duration::from_millis(20),
        ..herald::dispatch::retry::RetryPolicy::default()
    };
    use herald::dispatch::deliver::attempt;
    let first = attempt(&adapter, &post, &mut journal, &http, &policy, &chrono::Utc::now).await;
    assert!(first.is_retryable() && journal.unclear().is_some(), "{first:?}");
    tokio::time::sleep(policy.unclear_wait).await;
    let before = paths(&fake).len();
    let second = attempt(&adapter, &post, &mut journal, &http, &policy, &chrono::Utc::now).await;
    assert!(matches!(second, Outcome::Published { .. }), "{second:?}");
    assert_eq!(fake.posts().len(), 1);
    assert_eq!(fake.containers_created(), 1, "the same container is published");
    let after: Vec<String> = paths(&fake)[before..].to_vec();
    assert!(after[0].starts_with("GET /v25.0/17"), "the container is read first: {after:?}");
}

#[tokio::test]
async fn a_refresh_waits_for_the_posts_using_the_token_to_finish() {
    let fake = FakeInstagram::start().await;
    let dir = tempfile::tempdir().unwrap();
    let client = login_client(&fake, &TokenStore::new(dir.path()), Some(10));
    let session = client.refresh.clone().expect("an Instagram Login session");
    let in_flight = session.hold().await;
    let refresher = {
        let session = session.clone();
        tokio::spawn(async move { session.keep_fresh(&live(Duration::from_secs(5))).await })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(refresh_requests(&fake), 0, "no refresh while a post uses the token");
    drop(in_flight);
    assert!(matches!(refresher.await.unwrap(), Upkeep::Refreshed { .. }));
    assert_eq!(fake.refreshes(), 1);
}
