//! Hostile text never reaches the terminal raw: escape sequences (a screen clear, an OSC 8 hyperlink),
//! BEL, backspace, CR, C1 controls and bidirectional overrides written in a campaign file, a `[[day]]`
//! name, a ledger or a platform's answer are shown as `<U+XXXX>` by every text output, while the JSON
//! outputs keep the exact text.

use chrono::TimeZone as _;
use herald::ledger::sqlite::SqliteStore;
use herald::ledger::{Finish, OccurrenceKey, Planned, Store as _};

use crate::support::{CONFIG, JPEG, TestProject};

/// ESC[2J (clear the screen), BEL, backspace, CR, CSI as a C1 control, a right-to-left override, an
/// isolate, and an OSC 8 hyperlink to another address.
const HOSTILE: &str = "Water\u{1b}[2J is\u{7}\u{8} life\r\u{9b}31m \u{202e}evil\u{2066} \u{1b}]8;;https://evil.example\u{1b}\\click\u{1b}]8;;\u{1b}\\";
/// [`HOSTILE`] as an editor's TOML file carries it: escapes in a basic string.
const HOSTILE_TOML: &str =
    r"Water\u001b[2J is\u0007\b life\r\u009b31m \u202Eevil\u2066 \e]8;;https://evil.example\e\\click\e]8;;\e\\";
/// [`HOSTILE`] as herald shows it.
const SHOWN: &str = "Water<U+001B>[2J is<U+0007><U+0008> life<U+000D><U+009B>31m <U+202E>evil<U+2066> <U+001B>]8;;https://evil.example<U+001B>\\click<U+001B>]8;;<U+001B>\\";

/// Fails with the offending character when `out` holds anything a terminal would act on.
#[track_caller]
fn assert_safe(out: &str) {
    if let Some((i, c)) = out.char_indices().find(|(_, c)| herald::terminal::hostile(*c)) {
        panic!("U+{:04X} reached the terminal raw at byte {i}:\n{out:?}", u32::from(c));
    }
}

fn hostile_project() -> TestProject {
    TestProject::new().bytes("campaigns/media/water.jpg", JPEG).campaign_on(
        "c.toml",
        &["x"],
        &format!(
            "\n[[post]]\nid = \"water\"\ndate = 2027-03-22\ntext = \"{HOSTILE_TOML}\"\nmedia = [{{ file = \"media/water.jpg\", alt = \"{HOSTILE_TOML}\" }}]\n"
        ),
    )
}

#[test]
fn preview_shows_hostile_text_visibly_and_json_keeps_it_exact() {
    let p = hostile_project();
    let r = p.run(&["preview", "--from", "2027-03-22", "--to", "2027-03-22"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_safe(&r.all());
    assert!(r.stdout.contains(&format!("    │ {SHOWN}\n")), "{}", r.stdout);
    assert!(r.stdout.contains(&format!("    image: media/water.jpg  alt: \"{SHOWN}\"\n")), "{}", r.stdout);
    let entries = p.preview_json("2027-03-22", "2027-03-22", &[]);
    assert_eq!(
        entries[0]["parts"][0].as_str().unwrap(),
        format!("{HOSTILE}\n\nhttps://www.humansecurity.world\n#HumanSecurity #HS4A")
    );
    assert_eq!(entries[0]["media"][0]["alt"].as_str().unwrap(), HOSTILE);
}

#[test]
fn days_shows_a_hostile_day_name_visibly_and_json_keeps_it_exact() {
    let config = format!("{CONFIG}\n[[day]]\nid = \"evil-day\"\nname = \"{HOSTILE_TOML}\"\ndates = [2027-05-20]\n");
    let p = TestProject::new().file("config/herald.toml", &config);
    let r = p.run(&["days", "--from", "2027-05-20", "--to", "2027-05-20"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_safe(&r.all());
    assert!(r.stdout.contains(&format!("2027-05-20 Thu  evil-day       {SHOWN}\n")), "{}", r.stdout);
    let r = p.run(&["days", "--from", "2027-05-20", "--to", "2027-05-20", "--format", "json"]);
    let days = r.json();
    let evil = days.as_array().unwrap().iter().find(|d| d["id"] == "evil-day").expect("the day");
    assert_eq!(evil["name"].as_str().unwrap(), HOSTILE);
}

#[test]
fn status_shows_the_ledger_s_errors_and_addresses_visibly_and_json_keeps_them_exact() {
    let p = TestProject::new().campaign_on(
        "c.toml",
        &["x"],
        "\n[[post]]\nid = \"water\"\ndate = 2027-03-22\ntext = \"Water is life.\"\n\n[[post]]\nid = \"peace\"\ndate = 2027-09-21\ntext = \"Peace.\"\n",
    );
    let store = SqliteStore::open(p.path().join(".herald/ledger.sqlite")).expect("a ledger");
    let at = |m: u32, d: u32| chrono::Utc.with_ymd_and_hms(2027, m, d, 13, 0, 0).unwrap();
    let failed = OccurrenceKey::new("c", "water", "x", at(3, 22)).unwrap();
    let sent = OccurrenceKey::new("c", "peace", "x", at(9, 21)).unwrap();
    let planned: Vec<Planned> =
        [&failed, &sent].iter().map(|k| Planned { key: (*k).clone(), text_hash: String::new() }).collect();
    store.sync_plan(&planned, at(3, 1)).unwrap();
    store.claim(&failed, at(3, 22)).unwrap();
    store
        .finish(&failed, Finish::Failed { error: format!("the platform said: {HOSTILE}\nsecond line") }, at(3, 22))
        .unwrap();
    store.claim(&sent, at(9, 21)).unwrap();
    let url = format!("https://x.com/{HOSTILE}");
    store
        .finish(&sent, Finish::Sent { remote_id: "1".into(), url: Some(url.clone()), text_hash: "h".into() }, at(9, 21))
        .unwrap();
    drop(store);
    let r = p.run(&["status"]);
    assert_safe(&r.all());
    assert!(r.stdout.contains(&format!("failed: the platform said: {SHOWN}<U+000A>second line\n")), "{}", r.stdout);
    assert!(r.stdout.contains(&format!("c/peace → x  https://x.com/{SHOWN}\n")), "{}", r.stdout);
    let json = p.run(&["status", "--format", "json"]).json();
    assert_eq!(json["attention"][0]["error"].as_str().unwrap(), format!("the platform said: {HOSTILE}\nsecond line"));
    assert_eq!(json["sent"][0]["url"].as_str().unwrap(), url);
    let r = p.run(&["plan"]);
    assert_safe(&r.all());
}

#[tokio::test(flavor = "multi_thread")]
async fn send_shows_a_platform_s_hostile_message_visibly() {
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(403).set_body_json(serde_json::json!({
            "title": "Forbidden", "type": "about:blank", "status": 403, "detail": HOSTILE,
        })))
        .mount(&server)
        .await;
    let config = format!(
        "[channels.x]\nplatform = \"twitter\"\nhandle = \"@humansecurityFA\"\nbase_url = \"{}\"\n[channels.x.credentials]\nconsumer_key = \"env:HERALD_X_CK\"\nconsumer_secret = \"env:HERALD_X_CS\"\naccess_token = \"env:HERALD_X_AT\"\naccess_token_secret = \"env:HERALD_X_ATS\"\n",
        server.uri()
    );
    let p = TestProject::new().file("config/herald.toml", &config).campaign_on(
        "c.toml",
        &["x"],
        "\n[[post]]\nid = \"water\"\ndate = 2027-03-22\ntext = \"Water is life.\"\n",
    );
    let secrets =
        [("HERALD_X_CK", "ck-1"), ("HERALD_X_CS", "cs-1"), ("HERALD_X_AT", "at-1"), ("HERALD_X_ATS", "ats-1")];
    let dir = p.path().to_path_buf();
    let r = tokio::task::spawn_blocking(move || crate::support::run_with_secrets(&dir, &secrets, &["send", "c/water"]))
        .await
        .unwrap();
    assert_eq!(r.code, 1, "{}", r.all());
    assert_safe(&r.all());
    assert!(r.stdout.contains(&format!("(the platform said: {SHOWN})")), "{}", r.stdout);
}

#[test]
fn check_s_diagnostics_show_hostile_source_lines_and_messages_visibly() {
    // A raw right-to-left override is legal TOML: the source line under the warning shows a stand-in.
    let p = TestProject::new().bytes("campaigns/media/\u{1b}[2J.jpg", JPEG).campaign_on(
        "c.toml",
        &["x"],
        "\n[[post]]\nid = \"water\"\ndate = 2027-03-22\ntext = \"Water \u{202e}is life.\"\nmedia = [{ file = \"media/\\u001b[2J.jpg\" }]\n",
    );
    let r = p.run(&["check"]);
    assert_safe(&r.all());
    assert!(r.stderr.contains("14 | text = \"Water \u{fffd}is life.\"\n   |               ^\n"), "{}", r.stderr);
    assert!(r.stderr.contains("warning: image `media/<U+001B>[2J.jpg` has no alt text"), "{}", r.stderr);
    let json = p.run(&["check", "--format", "json"]).json();
    assert!(json.as_array().unwrap().iter().any(|d| d["message"] == "image `media/\u{1b}[2J.jpg` has no alt text"));
}
