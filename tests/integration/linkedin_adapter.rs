//! The LinkedIn adapter against the fake LinkedIn: text, little-text escaping, images, lost answers
//! and the lookup, failures, dry run, redaction, and `herald send` / `check --online` end to end.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use herald::channels::Platform;
use herald::channels::adapter::{Adapter, Journal, Lookup, Outgoing};
use herald::channels::linkedin::client::{Client, check_author};
use herald::config::{Channel, Media};
use herald::dispatch::boundary::Boundary;
use herald::dispatch::http::{Method, Request};
use herald::dispatch::outcome::Outcome;
use herald::secrets::Secret;

use crate::support::fake_linkedin::{self, FakeLinkedIn, ORGANIZATION, Script, TOKEN, person, token};

fn channel(fake: &FakeLinkedIn, account: &str) -> Channel {
    let mut ch = Channel::new("linkedin", Platform::Linkedin, "humansecurityforall");
    ch.base_url = Some(fake.uri());
    ch.account = Some(account.to_string());
    ch
}

fn client(ch: &Channel) -> Client {
    Client::for_channel(ch, token()).expect("a valid author")
}

fn live(timeout: Duration) -> Boundary {
    Boundary::live(timeout).expect("http client")
}

/// Publishes `text` with `media` to `ch` with a fresh journal.
async fn publish(ch: &Channel, text: &str, media: &[Media], http: &Boundary) -> Outcome {
    publish_with(ch, text, media, &mut Journal::in_memory(), http).await
}

async fn publish_with(
    ch: &Channel,
    text: &str,
    media: &[Media],
    journal: &mut Journal<'_>,
    http: &Boundary,
) -> Outcome {
    let parts = [text.to_string()];
    let post = Outgoing { parts: &parts, link: None, media, channel: ch, campaigns_dir: Path::new("campaigns") };
    client(ch).publish(&post, journal, http).await
}

/// Image files in a temporary folder, with alt texts.
fn images(dir: &Path, alts: &[Option<&str>]) -> Vec<Media> {
    alts.iter()
        .enumerate()
        .map(|(i, alt)| {
            let (name, bytes, kind) = if i % 2 == 0 {
                (format!("card{i}.jpg"), crate::support::JPEG, herald::channels::MediaType::Jpeg)
            } else {
                (format!("card{i}.png"), crate::support::PNG, herald::channels::MediaType::Png)
            };
            let path: PathBuf = dir.join(&name);
            std::fs::write(&path, bytes).unwrap();
            Media { file: format!("media/{name}"), path, alt: alt.map(String::from), kind }
        })
        .collect()
}

#[tokio::test]
async fn a_text_post_is_published_as_the_organization_and_linked() {
    let fake = FakeLinkedIn::start().await;
    let ch = channel(&fake, ORGANIZATION);
    let entries = std::sync::Arc::new(std::sync::Mutex::new(BTreeMap::new()));
    let seen = entries.clone();
    let mut journal = Journal::new(BTreeMap::new(), move |e| *seen.lock().unwrap() = e.clone());
    let o = publish_with(&ch, "Water is life.", &[], &mut journal, &live(Duration::from_secs(5))).await;
    assert_eq!(fake.rejected(), Vec::<String>::new());
    let posts = fake.posts();
    assert_eq!(posts.len(), 1);
    assert_eq!(posts[0].author, ORGANIZATION);
    assert_eq!(posts[0].text, "Water is life.");
    assert_eq!(posts[0].content_kind, None);
    assert_eq!(
        o,
        Outcome::Published {
            remote_id: posts[0].urn.clone(),
            url: Some(format!("https://www.linkedin.com/feed/update/{}/", posts[0].urn))
        }
    );
    assert_eq!(entries.lock().unwrap().get("post"), Some(&posts[0].urn), "the post is in the journal");
    assert_eq!(fake.requests(), ["POST /rest/posts"]);
}

#[tokio::test]
async fn reserved_characters_are_escaped_so_linkedin_keeps_the_whole_text() {
    let fake = FakeLinkedIn::start().await;
    let ch = channel(&fake, ORGANIZATION);
    let http = live(Duration::from_secs(5));
    let text = "Human security (for all) — 50% of people_ #HS4A";
    let o = publish(&ch, text, &[], &http).await;
    assert!(matches!(o, Outcome::Published { .. }), "{o:?} {:?}", fake.rejected());
    assert_eq!(fake.posts()[0].text, text, "the whole text arrives");
    assert!(fake.posts()[0].commentary.contains("\\(for all\\)"), "{}", fake.posts()[0].commentary);
    // The fake cuts unescaped text as LinkedIn does: the same text sent raw loses everything after "(".
    let raw = Request::new(Method::Post, format!("{}/rest/posts", fake.uri()))
        .secret_header("authorization", Secret::new(format!("Bearer {TOKEN}")))
        .header("linkedin-version", "202607")
        .header("x-restli-protocol-version", "2.0.0")
        .json(serde_json::json!({
            "author": ORGANIZATION, "commentary": format!("Again: {text}"), "visibility": "PUBLIC",
            "distribution": {"feedDistribution": "MAIN_FEED", "targetEntities": [], "thirdPartyDistributionChannels": []},
            "lifecycleState": "PUBLISHED", "isReshareDisabledByAuthor": false
        }));
    let answer = http.send(raw, |_| unreachable!()).await.unwrap();
    assert_eq!(answer.status, 201, "LinkedIn says nothing about the cut");
    assert_eq!(fake.posts()[1].text, "Again: Human security ");
}

#[tokio::test]
async fn one_image_is_uploaded_once_and_attached_with_its_alt_text() {
    let fake = FakeLinkedIn::start().await;
    let ch = channel(&fake, ORGANIZATION);
    let dir = tempfile::tempdir().unwrap();
    let media = images(dir.path(), &[Some("Women farmers in Barbados")]);
    let entries = std::sync::Arc::new(std::sync::Mutex::new(BTreeMap::new()));
    let seen = entries.clone();
    let mut journal = Journal::new(BTreeMap::new(), move |e| *seen.lock().unwrap() = e.clone());
    let o = publish_with(&ch, "Food security", &media, &mut journal, &live(Duration::from_secs(5))).await;
    assert!(matches!(o, Outcome::Published { .. }), "{o:?} {:?}", fake.rejected());
    let uploaded = fake.images();
    assert_eq!(uploaded.len(), 1);
    assert_eq!(uploaded[0].puts, 1, "one PUT of the whole file");
    assert_eq!(uploaded[0].bytes, crate::support::JPEG.len());
    assert_eq!(uploaded[0].owner, ORGANIZATION);
    let posts = fake.posts();
    assert_eq!(posts[0].content_kind.as_deref(), Some("media"));
    assert_eq!(posts[0].images, [(uploaded[0].urn.clone(), Some("Women farmers in Barbados".to_string()))]);
    assert_eq!(entries.lock().unwrap().get("image.0"), Some(&uploaded[0].urn));
    let requests = fake.requests();
    assert_eq!(requests[0], "POST /rest/images?action=initializeUpload");
    assert!(requests[1].starts_with("PUT /dms-uploads/"), "{requests:?}");
    assert_eq!(requests[2], "POST /rest/posts");
}

#[tokio::test]
async fn several_images_make_a_multi_image_post_in_order() {
    let fake = FakeLinkedIn::start().await;
    let ch = channel(&fake, &person());
    let dir = tempfile::tempdir().unwrap();
    let media = images(dir.path(), &[Some("one"), None, Some("three")]);
    let o = publish(&ch, "Three pictures", &media, &live(Duration::from_secs(5))).await;
    assert!(matches!(o, Outcome::Published { .. }), "{o:?} {:?}", fake.rejected());
    let uploaded = fake.images();
    assert_eq!(uploaded.len(), 3);
    assert!(uploaded.iter().all(|i| i.puts == 1 && i.owner == person()));
    let post = &fake.posts()[0];
    assert_eq!(post.content_kind.as_deref(), Some("multiImage"));
    let attached: Vec<(&str, Option<&str>)> = post.images.iter().map(|(u, a)| (u.as_str(), a.as_deref())).collect();
    assert_eq!(
        attached,
        [
            (uploaded[0].urn.as_str(), Some("one")),
            (uploaded[1].urn.as_str(), None),
            (uploaded[2].urn.as_str(), Some("three"))
        ]
    );
}

#[tokio::test]
async fn a_retry_reuses_the_uploaded_images_and_a_foreign_owner_makes_them_upload_anew() {
    let fake = FakeLinkedIn::start().await;
    let dir = tempfile::tempdir().unwrap();
    let media = images(dir.path(), &[Some("a")]);
    let http = live(Duration::from_secs(5));
    // The member's attempt uploads the image, then the post fails.
    let as_member = channel(&fake, &person());
    let mut journal = Journal::in_memory();
    fake.script(Script::ServerError);
    assert!(publish_with(&as_member, "Resumed", &media, &mut journal, &http).await.is_retryable());
    let first = journal.get("image.0").expect("the upload is kept").to_string();
    // The next attempt attaches it without uploading again.
    let mut resumed = Journal::new(journal.entries().clone(), |_| {});
    let o = publish_with(&as_member, "Resumed", &media, &mut resumed, &http).await;
    assert!(matches!(o, Outcome::Published { .. }), "{o:?}");
    assert_eq!(fake.images().len(), 1, "no second upload");
    assert_eq!(fake.posts()[0].images[0].0, first);
    // The same journal used for the organization: LinkedIn refuses another owner's image...
    let as_org = channel(&fake, ORGANIZATION);
    let mut foreign = Journal::new(journal.entries().clone(), |_| {});
    match publish_with(&as_org, "Org post", &media, &mut foreign, &http).await {
        Outcome::Rejected { platform_message, explanation } => {
            assert!(platform_message.contains(&first), "{platform_message}");
            assert!(explanation.contains("image owner to be the author"), "{explanation}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(foreign.get("image.0"), None, "the foreign image is forgotten");
    // ...and sending again uploads it for the organization.
    let o = publish_with(&as_org, "Org post", &media, &mut foreign, &http).await;
    assert!(matches!(o, Outcome::Published { .. }), "{o:?}");
    assert_eq!(fake.images()[1].owner, ORGANIZATION);
}

#[tokio::test]
async fn a_lost_answer_is_unknown_and_the_lookup_finds_the_post() {
    let fake = FakeLinkedIn::start().await;
    let ch = channel(&fake, ORGANIZATION);
    let text = "Maybe published (who knows) #HS4A";
    let since = chrono::Utc::now();
    fake.script(Script::Hang(Duration::from_secs(3)));
    let mut journal = Journal::in_memory();
    let o = publish_with(&ch, text, &[], &mut journal, &live(Duration::from_millis(300))).await;
    assert!(matches!(o, Outcome::Unknown { .. }), "{o:?}");
    assert_eq!(fake.posts().len(), 1, "the fake did publish it: only the lookup can tell");
    let parts = [text.to_string()];
    let post = crate::support::text_post(&parts, &ch);
    let found = client(&ch).find_existing(&post, &mut journal, since, &live(Duration::from_secs(5))).await;
    let urn = fake.posts()[0].urn.clone();
    assert_eq!(
        found,
        Lookup::Found { remote_id: urn.clone(), url: Some(format!("https://www.linkedin.com/feed/update/{urn}/")) }
    );
    assert!(
        fake.requests()
            .iter()
            .any(|r| r.starts_with("GET /rest/posts?author=urn%3Ali%3Aorganization%3A2414183&q=author"))
    );
    // The journal now says it is live: publishing again does not post twice.
    let again = publish_with(&ch, text, &[], &mut journal, &live(Duration::from_secs(5))).await;
    assert!(matches!(again, Outcome::Published { ref remote_id, .. } if *remote_id == urn), "{again:?}");
    assert_eq!(fake.posts().len(), 1);
}

#[tokio::test]
async fn the_lookup_finds_nothing_older_than_the_attempt_and_says_when_it_may_not_look() {
    let fake = FakeLinkedIn::start().await;
    let ch = channel(&fake, ORGANIZATION);
    let http = live(Duration::from_secs(5));
    assert!(matches!(publish(&ch, "An old post", &[], &http).await, Outcome::Published { .. }));
    let parts = ["An old post".to_string()];
    let post = crate::support::text_post(&parts, &ch);
    let later = chrono::Utc::now() + chrono::Duration::hours(1);
    let c = client(&ch);
    assert_eq!(c.find_existing(&post, &mut Journal::in_memory(), later, &http).await, Lookup::NotFound);
    let other = ["Never sent".to_string()];
    let never = Outgoing { parts: &other, ..post };
    let since = chrono::Utc::now() - chrono::Duration::hours(1);
    assert_eq!(c.find_existing(&never, &mut Journal::in_memory(), since, &http).await, Lookup::NotFound);
    fake.set_can_read_posts(false);
    match c.find_existing(&post, &mut Journal::in_memory(), since, &http).await {
        Lookup::Unavailable { reason } => assert!(reason.contains("r_organization_social"), "{reason}"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn the_same_text_twice_is_a_duplicate_naming_the_first_post() {
    let fake = FakeLinkedIn::start().await;
    let ch = channel(&fake, ORGANIZATION);
    let http = live(Duration::from_secs(5));
    assert!(matches!(publish(&ch, "Same words", &[], &http).await, Outcome::Published { .. }));
    let first = fake.posts()[0].urn.clone();
    match publish(&ch, "Same words", &[], &http).await {
        Outcome::Duplicate { platform_message } => {
            assert_eq!(platform_message, format!("Content is a duplicate of {first}"));
        }
        other => panic!("{other:?}"),
    }
    fake.script(Script::Duplicate);
    assert!(matches!(publish(&ch, "Other words", &[], &http).await, Outcome::Duplicate { .. }));
    assert_eq!(fake.posts().len(), 1);
}

#[tokio::test]
async fn an_expired_or_wrong_token_needs_reauthorisation() {
    let fake = FakeLinkedIn::start().await;
    let ch = channel(&fake, ORGANIZATION);
    let http = live(Duration::from_secs(5));
    fake.script(Script::ExpiredToken);
    match publish(&ch, "Expired", &[], &http).await {
        Outcome::NeedsReauth { platform_message } => {
            assert!(
                platform_message.contains("has expired") && platform_message.contains("60 days"),
                "{platform_message}"
            );
        }
        other => panic!("{other:?}"),
    }
    let wrong = Client { token: Secret::new("not-the-token"), ..client(&ch) };
    let parts = ["Wrong".to_string()];
    let post = crate::support::text_post(&parts, &ch);
    let o = wrong.publish(&post, &mut Journal::in_memory(), &http).await;
    assert!(matches!(o, Outcome::NeedsReauth { .. }), "{o:?}");
    assert!(fake.posts().is_empty());
}

#[tokio::test]
async fn a_retired_version_is_refused_with_what_to_change() {
    let fake = FakeLinkedIn::start().await;
    let mut ch = channel(&fake, ORGANIZATION);
    ch.api_version = Some("202401".into());
    match publish(&ch, "Old version", &[], &live(Duration::from_secs(5))).await {
        Outcome::Rejected { platform_message, explanation } => {
            assert_eq!(platform_message, "Requested version 20240101 is not active");
            assert!(explanation.contains("set api_version to a recent month"), "{explanation}");
        }
        other => panic!("{other:?}"),
    }
    assert!(fake.posts().is_empty());
    // The default version is current for the fake.
    ch.api_version = None;
    assert!(matches!(
        publish(&ch, "Current version", &[], &live(Duration::from_secs(5))).await,
        Outcome::Published { .. }
    ));
    fake.set_oldest_version("209901");
    assert!(matches!(publish(&ch, "Later", &[], &live(Duration::from_secs(5))).await, Outcome::Rejected { .. }));
}

#[tokio::test]
async fn rate_limits_and_server_errors_are_retried_later() {
    let fake = FakeLinkedIn::start().await;
    let ch = channel(&fake, ORGANIZATION);
    let http = live(Duration::from_secs(5));
    fake.script(Script::RateLimited { retry_after: Some(120) });
    let o = publish(&ch, "a", &[], &http).await;
    assert!(matches!(o, Outcome::RetryLater { after: Some(d), .. } if d == Duration::from_secs(120)), "{o:?}");
    fake.script(Script::RateLimited { retry_after: None });
    match publish(&ch, "b", &[], &http).await {
        Outcome::RetryLater { after: Some(d), reason } => {
            let now = chrono::Utc::now().timestamp();
            let to_midnight = 86_400 - now.rem_euclid(86_400);
            assert!(d.as_secs().abs_diff(to_midnight.max(60) as u64) <= 5, "{d:?} vs {to_midnight}");
            assert!(reason.contains("midnight UTC"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    fake.script(Script::ServerError);
    assert!(publish(&ch, "c", &[], &http).await.is_retryable());
    assert!(fake.posts().is_empty());
}

#[tokio::test]
async fn an_author_without_the_right_is_refused_and_a_bad_urn_never_leaves() {
    let fake = FakeLinkedIn::start().await;
    let http = live(Duration::from_secs(5));
    let other_org = channel(&fake, "urn:li:organization:99");
    match publish(&other_org, "Not ours", &[], &http).await {
        Outcome::Rejected { explanation, .. } => {
            assert!(
                explanation.contains("w_organization_social") && explanation.contains("administrator"),
                "{explanation}"
            );
        }
        other => panic!("{other:?}"),
    }
    let ch = channel(&fake, ORGANIZATION);
    let bad = Client { author: "humansecurityforall".into(), ..client(&ch) };
    let parts = ["x".to_string()];
    let post = crate::support::text_post(&parts, &ch);
    let o = bad.publish(&post, &mut Journal::in_memory(), &http).await;
    assert!(
        matches!(&o, Outcome::Rejected { explanation, .. } if explanation.contains("is not a LinkedIn author")),
        "{o:?}"
    );
    assert_eq!(fake.requests().len(), 1, "only the permitted-author attempt reached LinkedIn");
    assert!(check_author(Some("urn:li:person:abc")).is_ok());
    let why = Client::for_channel(&channel(&fake, "@humansecurityforall"), token()).unwrap_err();
    assert!(why.contains("urn:li:organization:<number>"), "{why}");
}

#[tokio::test]
async fn a_dry_run_shows_every_step_with_the_token_hidden_and_sends_nothing() {
    let fake = FakeLinkedIn::start().await;
    let ch = channel(&fake, ORGANIZATION);
    let dir = tempfile::tempdir().unwrap();
    let media = images(dir.path(), &[Some("Alt")]);
    let dry = Boundary::dry_run();
    let o = publish(&ch, "Dry (run)", &media, &dry).await;
    assert!(matches!(o, Outcome::Published { ref remote_id, .. } if remote_id == "urn:li:share:dry-run"), "{o:?}");
    assert!(fake.requests().is_empty(), "nothing reached the platform");
    let shown: Vec<String> = dry.transcript().iter().map(|r| r.redacted()).collect();
    assert_eq!(shown.len(), 3, "{shown:?}");
    assert!(
        shown[0].starts_with(&format!("POST {}/rest/images?action=initializeUpload\n", fake.uri())),
        "{}",
        shown[0]
    );
    assert!(shown[0].contains(&format!("\"owner\": \"{ORGANIZATION}\"")), "{}", shown[0]);
    assert!(shown[1].starts_with("PUT https://www.linkedin.com/dms-uploads/dry-run-image-1\n"), "{}", shown[1]);
    assert!(shown[1].contains(&format!("<{} bytes of image/jpeg>", crate::support::JPEG.len())), "{}", shown[1]);
    assert!(shown[2].starts_with(&format!("POST {}/rest/posts\n", fake.uri())), "{}", shown[2]);
    assert!(shown[2].contains("\"id\": \"urn:li:image:dry-run-1\""), "{}", shown[2]);
    assert!(shown[2].contains("\"commentary\": \"Dry \\\\(run\\\\)\""), "{}", shown[2]);
    for s in [&shown[0], &shown[2]] {
        assert!(s.contains("linkedin-version: 202607") && s.contains("x-restli-protocol-version: 2.0.0"), "{s}");
    }
    for s in &shown {
        assert!(s.contains("authorization: ***"), "{s}");
        assert!(!s.contains(TOKEN), "the token leaked into the dry run: {s}");
    }
}

#[tokio::test]
async fn the_probe_says_who_the_token_belongs_to() {
    let fake = FakeLinkedIn::start().await;
    let http = live(Duration::from_secs(5));
    let member = client(&channel(&fake, &person())).probe(&http).await;
    assert_eq!(member, Ok(format!("authenticated as {} ({})", fake_linkedin::PERSON_NAME, person())));
    let org = client(&channel(&fake, ORGANIZATION)).probe(&http).await.unwrap();
    assert!(org.starts_with("authenticated as") && org.contains(fake_linkedin::ORGANIZATION_NAME), "{org}");
    let someone_else = client(&channel(&fake, "urn:li:person:someoneElse")).probe(&http).await;
    assert!(
        matches!(&someone_else, Err(Outcome::Rejected { explanation, .. }) if explanation.contains(&format!("belongs to {}", person()))),
        "{someone_else:?}"
    );
    assert!(fake.posts().is_empty(), "a probe never posts");
    assert_eq!(fake.rejected(), Vec::<String>::new());
}

/// A project whose `linkedin` channel points at the fake, with the token from the environment.
fn project_on(fake: &FakeLinkedIn) -> crate::support::TestProject {
    let config = format!(
        "[channels.linkedin]\nplatform = \"linkedin\"\nhandle = \"@humansecurityforall\"\naccount = \"{ORGANIZATION}\"\nbase_url = \"{}\"\n[channels.linkedin.credentials]\naccess_token = \"env:HERALD_LI_AT\"\n",
        fake.uri()
    );
    crate::support::TestProject::new().file("config/herald.toml", &config).campaign_on(
        "c.toml",
        &["linkedin"],
        "\n[[post]]\nid = \"water\"\ndate = 2027-03-22\ntext = \"Water is life (for all_of us).\"\n",
    )
}

fn herald(p: &crate::support::TestProject, args: &[&str], token: &str) -> (i32, String) {
    let r = crate::support::run_with_secrets(p.path(), &[("HERALD_LI_AT", token)], args);
    (r.code, r.all())
}

#[tokio::test(flavor = "multi_thread")]
async fn herald_send_and_check_online_reach_linkedin_and_never_show_the_token() {
    let fake = FakeLinkedIn::start().await;
    let p = project_on(&fake);
    let (code, out) = herald(&p, &["send", "c/water", "--dry-run"], TOKEN);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains(&format!("POST {}/rest/posts", fake.uri())), "{out}");
    assert!(out.contains("authorization: ***"), "{out}");
    assert!(fake.requests().is_empty(), "a dry run sends nothing");
    let (code, out) = herald(&p, &["send", "c/water"], TOKEN);
    assert_eq!(code, 0, "{out}");
    let posts = fake.posts();
    assert_eq!(posts.len(), 1, "{out}");
    assert!(posts[0].text.starts_with("Water is life (for all_of us)."), "{:?}", posts[0].text);
    assert!(posts[0].text.contains("#HumanSecurity"), "hashtags stay clickable: {:?}", posts[0].text);
    assert!(out.contains(&format!("published: https://www.linkedin.com/feed/update/{}/", posts[0].urn)), "{out}");
    let (code, out2) = herald(&p, &["send", "c/water"], TOKEN);
    assert_eq!(code, 1);
    assert!(out2.contains("refused as a duplicate"), "{out2}");
    let (code, out3) = herald(&p, &["check", "--online"], TOKEN);
    assert_eq!(code, 0, "{out3}");
    assert!(out3.contains("linkedin: ok, authenticated as"), "{out3}");
    let (code, out4) = herald(&p, &["check", "--online"], "wrong-token");
    assert_eq!(code, 1, "{out4}");
    assert!(out4.contains("must be re-authorised") && out4.contains("60 days"), "{out4}");
    for o in [&out, &out2, &out3, &out4] {
        assert!(!o.contains(TOKEN), "the token leaked: {o}");
    }
    assert_eq!(fake.posts().len(), 1);
}

#[tokio::test]
async fn the_lookup_pages_past_posts_by_others_and_is_unsure_past_its_last_page() {
    let fake = FakeLinkedIn::start().await;
    let ch = channel(&fake, ORGANIZATION);
    let text = "Lost among the staff's posts";
    let since = chrono::Utc::now();
    fake.script(Script::Hang(Duration::from_secs(3)));
    let o = publish_with(&ch, text, &[], &mut Journal::in_memory(), &live(Duration::from_millis(300))).await;
    assert!(matches!(o, Outcome::Unknown { .. }), "{o:?}");
    let urn = fake.posts()[0].urn.clone();
    // The Page's staff post 25 times before herald looks: its post is past the first page of 20.
    fake.post_by_others(25);
    let parts = [text.to_string()];
    let post = crate::support::text_post(&parts, &ch);
    let http = live(Duration::from_secs(5));
    let c = client(&ch);
    let found = c.find_existing(&post, &mut Journal::in_memory(), since, &http).await;
    assert_eq!(
        found,
        Lookup::Found { remote_id: urn.clone(), url: Some(format!("https://www.linkedin.com/feed/update/{urn}/")) }
    );
    // With more posts since the attempt than the lookup reads, absent is not certain.
    fake.post_by_others(herald::channels::adapter::LOOKUP_MAX_PAGES * fake_linkedin::MAX_COUNT);
    let before = fake.requests().len();
    match c.find_existing(&post, &mut Journal::in_memory(), since, &http).await {
        Lookup::Unavailable { reason } => {
            assert!(reason.starts_with("more than 2000 posts since "), "{reason}");
            assert!(reason.contains("cannot be sure"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    let pages: Vec<String> = fake.requests()[before..].to_vec();
    assert_eq!(pages.len(), herald::channels::adapter::LOOKUP_MAX_PAGES, "{pages:#?}");
    assert!(pages[1].contains("&start=100&"), "{}", pages[1]);
    assert_eq!(fake.rejected(), Vec::<String>::new());
}

#[tokio::test]
async fn the_lookup_stops_at_the_first_page_that_reaches_older_posts() {
    let fake = FakeLinkedIn::start().await;
    let ch = channel(&fake, ORGANIZATION);
    let http = live(Duration::from_secs(5));
    assert!(matches!(publish(&ch, "Before the attempt", &[], &http).await, Outcome::Published { .. }));
    tokio::time::sleep(Duration::from_millis(20)).await;
    let since = chrono::Utc::now() + chrono::Duration::minutes(3); // past the lookup's clock slack
    let parts = ["Never sent".to_string()];
    let post = crate::support::text_post(&parts, &ch);
    let before = fake.requests().len();
    assert_eq!(client(&ch).find_existing(&post, &mut Journal::in_memory(), since, &http).await, Lookup::NotFound);
    assert_eq!(fake.requests().len() - before, 1, "one page reached a post older than the attempt");
}

#[tokio::test]
async fn a_slow_create_is_listed_only_once_linkedin_has_made_it() {
    let fake = FakeLinkedIn::start().await;
    let ch = channel(&fake, ORGANIZATION);
    fake.set_create_latency(Duration::from_millis(800));
    let since = chrono::Utc::now();
    let mut journal = Journal::in_memory();
    let o = publish_with(&ch, "Still being processed", &[], &mut journal, &live(Duration::from_millis(200))).await;
    assert!(matches!(o, Outcome::Unknown { .. }), "{o:?}");
    let parts = ["Still being processed".to_string()];
    let post = crate::support::text_post(&parts, &ch);
    let http = live(Duration::from_secs(5));
    let c = client(&ch);
    assert_eq!(c.find_existing(&post, &mut Journal::in_memory(), since, &http).await, Lookup::NotFound);
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert!(matches!(c.find_existing(&post, &mut journal, since, &http).await, Lookup::Found { .. }));
}
