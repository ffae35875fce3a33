//! The X adapter against the fake X: text, threads, failures, the lookup after a lost answer, dry run, redaction.

use std::time::Duration;

use herald::channels::adapter::{Adapter, Journal, Outgoing};
use herald::channels::twitter::client::Client;
use herald::config::Channel;
use herald::dispatch::boundary::Boundary;
use herald::dispatch::outcome::Outcome;

use crate::support::fake_x::{FakeX, Script, credentials};

fn channel() -> Channel {
    Channel::new("x", herald::channels::Platform::Twitter, "humansecurityFA")
}

async fn publish(fake: &FakeX, parts: &[&str], timeout: Duration) -> Outcome {
    let client = Client::oauth1(fake.uri(), credentials(), "humansecurityFA");
    let parts: Vec<String> = parts.iter().map(|s| s.to_string()).collect();
    let ch = channel();
    let post = crate::support::text_post(&parts, &ch);
    client.publish(&post, &mut Journal::in_memory(), &Boundary::live(timeout).unwrap()).await
}

#[tokio::test]
async fn a_text_post_is_signed_published_and_linked() {
    let fake = FakeX::start().await;
    let o = publish(&fake, &["Water is life. #HumanSecurity"], Duration::from_secs(5)).await;
    let posts = fake.posts();
    assert_eq!(fake.rejected(), Vec::<String>::new());
    assert_eq!(posts.len(), 1);
    assert_eq!(posts[0].text, "Water is life. #HumanSecurity");
    assert_eq!(
        o,
        Outcome::Published {
            remote_id: posts[0].id.clone(),
            url: Some(format!("https://x.com/humansecurityFA/status/{}", posts[0].id))
        }
    );
}

#[tokio::test]
async fn a_thread_replies_to_the_part_before() {
    let fake = FakeX::start().await;
    let o = publish(&fake, &["one 1/3", "two 2/3", "three 3/3"], Duration::from_secs(5)).await;
    let posts = fake.posts();
    assert!(matches!(o, Outcome::Published { ref remote_id, .. } if *remote_id == posts[0].id));
    assert_eq!(posts.len(), 3);
    assert_eq!(posts[0].reply_to, None);
    assert_eq!(posts[1].reply_to.as_deref(), Some(posts[0].id.as_str()));
    assert_eq!(posts[2].reply_to.as_deref(), Some(posts[1].id.as_str()));
}

#[tokio::test]
async fn failures_are_classified() {
    let fake = FakeX::start().await;
    fake.script(Script::RateLimited { reset_in: 90 });
    let o = publish(&fake, &["a"], Duration::from_secs(5)).await;
    assert!(matches!(o, Outcome::RetryLater { after: Some(d), .. } if (85..=91).contains(&d.as_secs())), "{o:?}");
    fake.script(Script::UsageCapped);
    assert!(matches!(publish(&fake, &["b"], Duration::from_secs(5)).await, Outcome::Rejected { .. }));
    fake.script(Script::ServerError);
    assert!(publish(&fake, &["c"], Duration::from_secs(5)).await.is_retryable());
    fake.script(Script::Unauthorized);
    assert!(matches!(publish(&fake, &["d"], Duration::from_secs(5)).await, Outcome::NeedsReauth { .. }));
    assert!(fake.posts().is_empty());
    // The same text twice: X's duplicate rule.
    assert!(matches!(publish(&fake, &["same"], Duration::from_secs(5)).await, Outcome::Published { .. }));
    assert!(matches!(publish(&fake, &["same"], Duration::from_secs(5)).await, Outcome::Duplicate { .. }));
}

#[tokio::test]
async fn a_timeout_after_sending_is_an_unknown_outcome_not_a_retry() {
    let fake = FakeX::start().await;
    fake.script(Script::Hang(Duration::from_secs(3)));
    let o = publish(&fake, &["maybe"], Duration::from_millis(300)).await;
    assert!(matches!(o, Outcome::Unknown { .. }), "{o:?}");
    assert_eq!(fake.posts().len(), 1, "the fake did publish it: only reconciliation can tell");
}

#[tokio::test]
async fn a_dry_run_shows_every_request_with_secrets_redacted_and_sends_nothing() {
    let fake = FakeX::start().await;
    let client = Client::oauth1(fake.uri(), credentials(), "humansecurityFA");
    let parts = vec!["one 1/2".to_string(), "two 2/2".to_string()];
    let ch = channel();
    let dry = Boundary::dry_run();
    let o = client.publish(&crate::support::text_post(&parts, &ch), &mut Journal::in_memory(), &dry).await;
    assert!(matches!(o, Outcome::Published { .. }));
    assert!(fake.posts().is_empty(), "nothing reached the platform");
    let shown: Vec<String> = dry.transcript().iter().map(|r| r.redacted()).collect();
    assert_eq!(shown.len(), 2);
    assert!(shown[0].starts_with(&format!("POST {}/2/tweets\n", fake.uri())), "{}", shown[0]);
    assert!(shown[1].contains("\"in_reply_to_tweet_id\": \"1000000\""), "{}", shown[1]);
    let creds = credentials();
    for s in &shown {
        assert!(s.contains("authorization: ***"), "{s}");
        for secret in [&creds.consumer_key, &creds.consumer_secret, &creds.token, &creds.token_secret] {
            assert!(!s.contains(secret.expose()), "a secret leaked into the dry run: {s}");
        }
    }
}

#[tokio::test]
async fn the_fake_refuses_a_wrong_signature_as_x_does() {
    let fake = FakeX::start().await;
    let mut creds = credentials();
    creds.consumer_secret = herald::secrets::Secret::new("not-the-secret");
    let client = Client::oauth1(fake.uri(), creds, "humansecurityFA");
    let parts = vec!["hello".to_string()];
    let ch = channel();
    let o = client
        .publish(
            &crate::support::text_post(&parts, &ch),
            &mut Journal::in_memory(),
            &Boundary::live(Duration::from_secs(5)).unwrap(),
        )
        .await;
    assert!(matches!(o, Outcome::NeedsReauth { .. }), "{o:?}");
    assert_eq!(fake.rejected().len(), 1);
    assert!(fake.rejected()[0].starts_with("signature mismatch"));
    assert!(fake.posts().is_empty());
}

#[test]
fn the_spec_check_catches_what_x_would_refuse() {
    let Some(spec) = crate::support::openapi::x_spec() else {
        return; // said visibly by `shared_data`
    };
    use crate::support::openapi::validate;
    assert_eq!(validate(spec, "CreatePostsRequest", &serde_json::json!({"text": "hi"})), Ok(()));
    assert_eq!(
        validate(
            spec,
            "CreatePostsRequest",
            &serde_json::json!({"text": "hi", "reply": {"in_reply_to_tweet_id": "123"}})
        ),
        Ok(())
    );
    assert!(
        validate(spec, "CreatePostsRequest", &serde_json::json!({"text": "hi", "link": "x"}))
            .unwrap_err()
            .contains("unknown property link")
    );
    assert!(
        validate(
            spec,
            "CreatePostsRequest",
            &serde_json::json!({"text": "hi", "reply": {"in_reply_to_tweet_id": "12a"}})
        )
        .is_err()
    );
    assert!(validate(spec, "CreatePostsRequest", &serde_json::json!({"text": 5})).is_err());
    assert!(
        validate(spec, "CreatePostsRequest", &serde_json::json!({"media": {"media_ids": ["1", "2", "3", "4", "5"]}}))
            .is_err()
    );
}

/// A project whose `x` channel points at the fake X, with credentials from the environment.
fn project_on(fake: &FakeX) -> crate::support::TestProject {
    let config = format!(
        "[channels.x]\nplatform = \"twitter\"\nhandle = \"@humansecurityFA\"\nbase_url = \"{}\"\n[channels.x.credentials]\nconsumer_key = \"env:HERALD_X_CK\"\nconsumer_secret = \"env:HERALD_X_CS\"\naccess_token = \"env:HERALD_X_AT\"\naccess_token_secret = \"env:HERALD_X_ATS\"\n",
        fake.uri()
    );
    crate::support::TestProject::new().file("config/herald.toml", &config).campaign_on(
        "c.toml",
        &["x"],
        "\n[[post]]\nid = \"water\"\ndate = 2027-03-22\ntext = \"Water is life.\"\n",
    )
}

fn send(p: &crate::support::TestProject, args: &[&str]) -> (i32, String) {
    let c = credentials();
    let env = [
        ("HERALD_X_CK", c.consumer_key.expose()),
        ("HERALD_X_CS", c.consumer_secret.expose()),
        ("HERALD_X_AT", c.token.expose()),
        ("HERALD_X_ATS", c.token_secret.expose()),
    ];
    let r = crate::support::run_with_secrets(p.path(), &env, args);
    (r.code, r.all())
}

#[tokio::test(flavor = "multi_thread")]
async fn herald_send_publishes_through_the_same_pipeline_and_a_dry_run_sends_nothing() {
    let fake = FakeX::start().await;
    let p = project_on(&fake);
    let (code, out) = send(&p, &["send", "c/water", "--dry-run"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains(&format!("POST {}/2/tweets", fake.uri())), "{out}");
    assert!(out.contains("authorization: ***"), "{out}");
    assert!(fake.posts().is_empty());
    let (code, out) = send(&p, &["send", "c/water"]);
    assert_eq!(code, 0, "{out}");
    let posts = fake.posts();
    assert_eq!(posts.len(), 1, "{out}");
    assert!(posts[0].text.starts_with("Water is life."));
    assert!(out.contains(&format!("published: https://x.com/humansecurityFA/status/{}", posts[0].id)), "{out}");
    let c = credentials();
    for secret in [&c.consumer_key, &c.consumer_secret, &c.token, &c.token_secret] {
        assert!(!out.contains(secret.expose()), "a secret leaked: {out}");
    }
    // Sending again is refused by X as a duplicate, and said so.
    let (code, out) = send(&p, &["send", "c/water"]);
    assert_eq!(code, 1);
    assert!(out.contains("refused as a duplicate"), "{out}");
}

#[tokio::test]
async fn images_are_uploaded_with_their_alt_text_and_attached_to_the_first_part() {
    let fake = FakeX::start().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("card.jpg");
    std::fs::write(&path, crate::support::JPEG).unwrap();
    let media = vec![herald::config::Media {
        file: "media/card.jpg".into(),
        path: path.clone(),
        alt: Some("Women farmers in Barbados".into()),
        kind: herald::channels::MediaType::Jpeg,
    }];
    let client = Client::oauth1(fake.uri(), credentials(), "humansecurityFA");
    let parts = vec!["with an image 1/2".to_string(), "second 2/2".to_string()];
    let ch = channel();
    let post = Outgoing {
        parts: &parts,
        link: None,
        media: &media,
        channel: &ch,
        campaigns_dir: std::path::Path::new("campaigns"),
    };
    let o = client.publish(&post, &mut Journal::in_memory(), &Boundary::live(Duration::from_secs(5)).unwrap()).await;
    assert!(matches!(o, Outcome::Published { .. }), "{o:?} {:?}", fake.rejected());
    let posts = fake.posts();
    assert_eq!(posts[0].media.len(), 1);
    assert_eq!(posts[0].media[0].1.as_deref(), Some("Women farmers in Barbados"));
    assert!(posts[1].media.is_empty(), "images go with the first part only");
    // The dry run shows the upload by size, not as a wall of base64.
    let dry = Boundary::dry_run();
    client.publish(&post, &mut Journal::in_memory(), &dry).await;
    let shown: Vec<String> = dry.transcript().iter().map(|r| r.redacted()).collect();
    assert!(
        shown[0].contains("/2/media/upload") && shown[0].contains("\"media_category\": \"tweet_image\""),
        "{}",
        shown[0]
    );
    assert!(shown[1].contains("/2/media/metadata") && shown[1].contains("Women farmers in Barbados"), "{}", shown[1]);
    assert!(shown[2].contains("\"media_ids\": [\n      \"2000000\"\n    ]"), "{}", shown[2]);
}

#[tokio::test(flavor = "multi_thread")]
async fn check_online_runs_each_channels_probe_without_posting() {
    let fake = FakeX::start().await;
    let p = project_on(&fake);
    let (code, out) = send(&p, &["check", "--online"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("x: ok, authenticated as @humansecurityFA"), "{out}");
    assert!(fake.posts().is_empty(), "a probe never posts");
    assert!(fake.rejected().is_empty(), "{:?}", fake.rejected());
    // Wrong credentials: the probe says so.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_herald"))
        .arg("-C")
        .arg(p.path())
        .args(["--color", "never", "check", "--online"])
        .env("HERALD_X_CK", "wrong")
        .env("HERALD_X_CS", "wrong")
        .env("HERALD_X_AT", "wrong")
        .env("HERALD_X_ATS", "wrong")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("error: channel `x` failed its online check: the channel must be re-authorised"),
        "{stderr}"
    );
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn check_online_says_when_the_secrets_file_is_refused() {
    use std::os::unix::fs::PermissionsExt as _;
    let fake = FakeX::start().await;
    let p = project_on(&fake);
    let config = std::fs::read_to_string(p.path().join("config/herald.toml")).unwrap();
    let config = format!("secrets_file = \"secrets.toml\"\n{}", config.replace("env:HERALD_X_ATS", "file:x.ats"));
    let p = p.file("config/herald.toml", &config).file("secrets.toml", "[x]\nats = \"whatever\"\n");
    std::fs::set_permissions(p.path().join("secrets.toml"), std::fs::Permissions::from_mode(0o644)).unwrap();
    let (code, out) = send(&p, &["check", "--online"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("can be read by other users (mode 644); herald refuses it"), "{out}");
    assert!(out.contains("chmod 600"), "{out}");
}

fn oauth2_client(fake: &FakeX, state: &std::path::Path, refresh: &str) -> Client {
    use herald::secrets::Secret;
    let session = herald::channels::twitter::oauth2::Session::new(
        "x",
        &fake.uri(),
        Secret::new(crate::support::fake_x::OAUTH2_CLIENT_ID),
        None,
        Secret::new(refresh),
        herald::tokens::TokenStore::new(state),
    );
    Client {
        base_url: fake.uri(),
        auth: herald::channels::twitter::client::Auth::OAuth2(session),
        handle: "humansecurityFA".into(),
    }
}

async fn publish_with(client: &Client, parts: &[&str], journal: &mut Journal<'_>) -> Outcome {
    let parts: Vec<String> = parts.iter().map(|s| s.to_string()).collect();
    let ch = channel();
    let post = crate::support::text_post(&parts, &ch);
    client.publish(&post, journal, &Boundary::live(Duration::from_millis(500)).unwrap()).await
}

#[tokio::test]
async fn oauth2_tokens_are_refreshed_and_the_rotated_refresh_token_is_stored_before_use() {
    use crate::support::fake_x::OAUTH2_FIRST_REFRESH;
    let fake = FakeX::start().await;
    let state = tempfile::tempdir().unwrap();
    let client = oauth2_client(&fake, state.path(), OAUTH2_FIRST_REFRESH);
    assert!(matches!(publish_with(&client, &["first"], &mut Journal::in_memory()).await, Outcome::Published { .. }));
    assert_eq!(fake.refreshes(), 1);
    assert_eq!(fake.rejected(), Vec::<String>::new());
    let stored = std::fs::read_to_string(state.path().join("tokens.json")).unwrap();
    assert!(stored.contains(&fake.current_refresh_token()), "the rotated token is on disk");
    // A fresh token is reused, not refreshed again.
    assert!(matches!(publish_with(&client, &["second"], &mut Journal::in_memory()).await, Outcome::Published { .. }));
    assert_eq!(fake.refreshes(), 1);
    // A restarted herald (a new client, same configuration) continues from the stored token: the
    // configured one was used up by the first refresh, so using it would fail.
    fake.expire_access_tokens();
    let restarted = oauth2_client(&fake, state.path(), OAUTH2_FIRST_REFRESH);
    assert!(matches!(publish_with(&restarted, &["third"], &mut Journal::in_memory()).await, Outcome::Published { .. }));
    assert_eq!(fake.refreshes(), 2);
    assert_eq!(fake.posts().len(), 3);
    // The token files never show in a transcript: a dry run redacts the bearer.
    let dry = Boundary::dry_run();
    let parts = vec!["dry".to_string()];
    let ch = channel();
    let post = crate::support::text_post(&parts, &ch);
    let o = restarted.publish(&post, &mut Journal::in_memory(), &dry).await;
    assert!(matches!(o, Outcome::Published { .. }), "{o:?}");
    assert!(!dry.transcript().is_empty());
    for r in dry.transcript() {
        let shown = r.redacted();
        assert!(!shown.contains("fake-access-token") && !shown.contains("fake-refresh-token"), "{shown}");
    }
}

#[tokio::test]
async fn an_access_token_refused_early_is_refreshed_once_and_the_post_still_goes() {
    use crate::support::fake_x::OAUTH2_FIRST_REFRESH;
    let fake = FakeX::start().await;
    let state = tempfile::tempdir().unwrap();
    let client = oauth2_client(&fake, state.path(), OAUTH2_FIRST_REFRESH);
    assert!(matches!(publish_with(&client, &["one"], &mut Journal::in_memory()).await, Outcome::Published { .. }));
    fake.expire_access_tokens(); // revoked early: herald still thinks it fresh
    assert!(matches!(publish_with(&client, &["two"], &mut Journal::in_memory()).await, Outcome::Published { .. }));
    assert_eq!(fake.refreshes(), 2);
    assert_eq!(fake.posts().len(), 2);
}

#[tokio::test]
async fn a_refused_refresh_token_needs_reauthorisation_and_a_newly_configured_one_wins() {
    let fake = FakeX::start().await;
    let state = tempfile::tempdir().unwrap();
    let client = oauth2_client(&fake, state.path(), "revoked-refresh-token");
    let o = publish_with(&client, &["one"], &mut Journal::in_memory()).await;
    match &o {
        Outcome::NeedsReauth { platform_message } => {
            assert!(platform_message.contains("authorise the channel again"), "{platform_message}");
            assert!(!platform_message.contains("revoked-refresh-token"));
        }
        other => panic!("{other:?}"),
    }
    assert!(fake.posts().is_empty());
    // The operator authorises again and configures the new refresh token: it replaces the store's.
    let client = oauth2_client(&fake, state.path(), &fake.current_refresh_token());
    assert!(matches!(publish_with(&client, &["one"], &mut Journal::in_memory()).await, Outcome::Published { .. }));
}

#[tokio::test]
async fn the_upkeep_keeps_an_idle_oauth2_refresh_token_alive_and_finds_a_revoked_one_early() {
    use crate::support::fake_x::OAUTH2_FIRST_REFRESH;
    use herald::channels::adapter::Upkeep;
    let fake = FakeX::start().await;
    let state = tempfile::tempdir().unwrap();
    let http = Boundary::live(Duration::from_secs(5)).unwrap();
    // Never refreshed: the first upkeep refreshes (and so checks the authorisation before any post).
    let client = oauth2_client(&fake, state.path(), OAUTH2_FIRST_REFRESH);
    assert!(matches!(client.upkeep(&http).await, Upkeep::Refreshed { .. }));
    assert_eq!(fake.refreshes(), 1);
    // Refreshed lately: nothing to do, now or after a restart.
    assert_eq!(client.upkeep(&http).await, Upkeep::Nothing);
    assert_eq!(oauth2_client(&fake, state.path(), OAUTH2_FIRST_REFRESH).upkeep(&http).await, Upkeep::Nothing);
    assert_eq!(fake.refreshes(), 1);
    // A month without posts: refreshed again, and the new refresh token stored.
    let store = herald::tokens::TokenStore::new(state.path());
    let mut tokens = store.load("x").unwrap().unwrap();
    tokens.expires_at -= chrono::Duration::days(31);
    let lock = store.lock("x").unwrap();
    store.save(&tokens, &lock).unwrap();
    drop(lock);
    let idle = oauth2_client(&fake, state.path(), OAUTH2_FIRST_REFRESH);
    assert!(matches!(idle.upkeep(&http).await, Upkeep::Refreshed { .. }));
    assert_eq!(fake.refreshes(), 2);
    assert_eq!(store.load("x").unwrap().unwrap().refresh_token.expose(), fake.current_refresh_token());
    // A revoked authorisation is found by the upkeep, before a post is due.
    let elsewhere = tempfile::tempdir().unwrap();
    let revoked = oauth2_client(&fake, elsewhere.path(), "revoked-refresh-token");
    match revoked.upkeep(&http).await {
        Upkeep::Failed { reason, needs_person: true } => {
            assert!(
                reason.contains("authorise the channel again") && !reason.contains("revoked-refresh-token"),
                "{reason}"
            );
        }
        other => panic!("{other:?}"),
    }
    // OAuth 1.0a tokens do not expire.
    assert_eq!(Client::oauth1(fake.uri(), credentials(), "humansecurityFA").upkeep(&http).await, Upkeep::Nothing);
}

#[tokio::test]
async fn a_thread_cut_short_resumes_after_its_live_parts() {
    let fake = FakeX::start().await;
    let client = Client::oauth1(fake.uri(), credentials(), "humansecurityFA");
    let steps = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = steps.clone();
    let mut journal = Journal::new(Default::default(), move |e| seen.lock().unwrap().push(e.clone()));
    // Part 1 goes out, part 2 meets a server error.
    fake.script(Script::Hang(Duration::ZERO)); // part 1: answered normally (recorded, no delay)
    fake.script(Script::ServerError);
    let o = publish_with(&client, &["one 1/3", "two 2/3", "three 3/3"], &mut journal).await;
    assert!(o.is_retryable(), "{o:?}");
    assert_eq!(fake.posts().len(), 1);
    assert_eq!(steps.lock().unwrap().last().unwrap().get("part.0"), Some(&fake.posts()[0].id), "stored at once");
    // The retry resumes at part 2, replying to part 1: nothing is posted twice.
    let o = publish_with(&client, &["one 1/3", "two 2/3", "three 3/3"], &mut journal).await;
    let posts = fake.posts();
    assert!(matches!(o, Outcome::Published { ref remote_id, .. } if *remote_id == posts[0].id), "{o:?}");
    assert_eq!(posts.iter().map(|p| p.text.as_str()).collect::<Vec<_>>(), ["one 1/3", "two 2/3", "three 3/3"]);
    assert_eq!(posts[1].reply_to.as_deref(), Some(posts[0].id.as_str()));
}

#[tokio::test]
async fn after_a_lost_answer_the_lookup_finds_the_post_instead_of_posting_twice() {
    let fake = FakeX::start().await;
    let client = Client::oauth1(fake.uri(), credentials(), "humansecurityFA");
    let text = "Clean water & sanitation https://www.humansecurity.world/water?utm_source=x";
    fake.script(Script::Hang(Duration::from_secs(3)));
    let since = chrono::Utc::now();
    let mut journal = Journal::in_memory();
    let o = publish_with(&client, &[text], &mut journal).await;
    assert!(matches!(o, Outcome::Unknown { .. }), "{o:?}");
    let parts = vec![text.to_string()];
    let ch = channel();
    let post = crate::support::text_post(&parts, &ch);
    let http = Boundary::live(Duration::from_secs(5)).unwrap();
    let found = client.find_existing(&post, &mut journal, since, &http).await;
    let id = fake.posts()[0].id.clone();
    assert_eq!(
        found,
        herald::channels::adapter::Lookup::Found {
            remote_id: id.clone(),
            url: Some(format!("https://x.com/humansecurityFA/status/{id}"))
        }
    );
    // A post that never went out is not found: publishing is safe.
    let other = vec!["never sent".to_string()];
    let post = Outgoing { parts: &other, ..post };
    assert_eq!(
        client.find_existing(&post, &mut Journal::in_memory(), since, &http).await,
        herald::channels::adapter::Lookup::NotFound
    );
    assert_eq!(fake.posts().len(), 1);
    assert!(fake.rejected().is_empty(), "{:?}", fake.rejected());
}

#[tokio::test]
async fn delivery_retries_what_may_be_retried_and_settles_a_lost_answer_by_looking() {
    use herald::channels::registry::AnyAdapter;
    use herald::dispatch::deliver::deliver;
    use herald::dispatch::limits::ChannelLimits;
    use herald::dispatch::retry::RetryPolicy;
    let fake = FakeX::start().await;
    let adapter = AnyAdapter::Twitter(Client::oauth1(fake.uri(), credentials(), "humansecurityFA"));
    let policy = RetryPolicy {
        max_attempts: 3,
        base: Duration::from_millis(10),
        cap: Duration::from_millis(50),
        unclear_wait: Duration::from_millis(20),
        request_timeout: Duration::from_millis(700),
    };
    let limits = std::sync::Arc::new(ChannelLimits::new(1));
    let http = Boundary::live(Duration::from_millis(700)).unwrap().for_channel(limits.clone());
    let ch = channel();
    let deliver_text = |text: &'static str| {
        let (adapter, policy, limits, http, ch) = (&adapter, &policy, &limits, &http, &ch);
        async move {
            let parts = vec![text.to_string()];
            let post = crate::support::text_post(&parts, ch);
            let mut waits = 0;
            let max_wait = Duration::from_secs(5);
            let d =
                deliver(adapter, &post, &mut Journal::in_memory(), http, limits, policy, max_wait, |_, _| waits += 1)
                    .await;
            (d, waits)
        }
    };
    fake.script(Script::ServerError);
    let (d, waits) = deliver_text("after a 503").await;
    assert!(matches!(d.outcome, Outcome::Published { .. }), "{d:?}");
    assert_eq!((d.attempts, waits), (2, 1));
    // The answer is lost: the account is read, the post found, and nothing is sent twice.
    fake.script(Script::Hang(Duration::from_secs(2)));
    let (d, _) = deliver_text("lost answer").await;
    assert!(matches!(d.outcome, Outcome::Published { .. }), "{d:?}");
    assert_eq!(d.attempts, 1);
    // Failures that retrying cannot mend are not retried.
    fake.script(Script::UsageCapped);
    let (d, waits) = deliver_text("capped").await;
    assert!(matches!(d.outcome, Outcome::Rejected { .. }), "{d:?}");
    assert_eq!((d.attempts, waits), (1, 0));
    // Retries are bounded; after a last 503 on the request that publishes, the post may be live:
    // unknown, for a person, not failed.
    for _ in 0..3 {
        fake.script(Script::ServerError);
    }
    let (d, _) = deliver_text("down").await;
    assert!(matches!(&d.outcome, Outcome::Unknown { reason } if reason.contains("may be live")), "{d:?}");
    assert_eq!(d.attempts, 3);
    let texts: Vec<String> = fake.posts().into_iter().map(|p| p.text).collect();
    assert_eq!(texts, ["after a 503", "lost answer"]);
}

#[tokio::test]
async fn the_lookup_follows_next_tokens_past_posts_by_others_and_is_unsure_past_its_last_page() {
    use herald::channels::adapter::{LOOKUP_MAX_PAGES, Lookup};
    let fake = FakeX::start().await;
    let client = Client::oauth1(fake.uri(), credentials(), "humansecurityFA");
    let text = "Lost among the staff's posts";
    fake.script(Script::Hang(Duration::from_secs(3)));
    let since = chrono::Utc::now();
    let o = publish_with(&client, &[text], &mut Journal::in_memory()).await;
    assert!(matches!(o, Outcome::Unknown { .. }), "{o:?}");
    let id = fake.posts()[0].id.clone();
    // 150 posts from X's own apps before herald looks: its post is past the first page of 100.
    fake.post_by_others(150);
    let parts = vec![text.to_string()];
    let ch = channel();
    let post = crate::support::text_post(&parts, &ch);
    let http = Boundary::live(Duration::from_secs(5)).unwrap();
    let found = client.find_existing(&post, &mut Journal::in_memory(), since, &http).await;
    assert_eq!(
        found,
        Lookup::Found { remote_id: id.clone(), url: Some(format!("https://x.com/humansecurityFA/status/{id}")) }
    );
    let queries = fake.timeline_queries();
    assert_eq!(queries.len(), 2, "{queries:#?}");
    assert!(queries[1].contains("pagination_token="), "{}", queries[1]);
    // With more posts since the attempt than the lookup reads, absent is not certain.
    fake.post_by_others(LOOKUP_MAX_PAGES * 100);
    match client.find_existing(&post, &mut Journal::in_memory(), since, &http).await {
        Lookup::Unavailable { reason } => assert!(reason.starts_with("more than 2000 posts since "), "{reason}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(fake.timeline_queries().len(), 2 + LOOKUP_MAX_PAGES);
    assert!(fake.rejected().is_empty(), "{:?}", fake.rejected());
}
