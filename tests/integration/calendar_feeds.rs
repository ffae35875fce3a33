//! `herald preview --format ics` and `herald days --format ics`: RFC 5545 feeds, read back with an
//! independent parser (the `icalendar` crate) and checked line by line against the format's rules.

use std::collections::HashSet;

use chrono::{DateTime, NaiveDate, Utc};
use icalendar::{CalendarComponent, CalendarDateTime, Component as _, DatePerhapsTime, Event};

use crate::support::{JPEG, TestProject, repo_root, run_in};

/// The rules a reader cannot check for us: every line ends with CRLF and is at most 75 octets, no
/// control character but the tab (and the line's own CRLF), and a folded line continues with a space.
fn assert_well_formed(ics: &str) {
    assert!(ics.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:"), "{ics}");
    assert!(ics.ends_with("END:VCALENDAR\r\n"), "{ics}");
    let body = ics.strip_suffix("\r\n").unwrap();
    for line in body.split("\r\n") {
        assert!(line.len() <= 75, "a line of {} octets: {line:?}", line.len());
        assert!(!line.chars().any(|c| c.is_control() && c != '\t'), "a control character in {line:?}");
    }
}

/// The events of a feed, parsed by the `icalendar` crate.
fn events(ics: &str) -> Vec<Event> {
    let calendar: icalendar::Calendar = ics.parse().unwrap_or_else(|e| panic!("not iCalendar ({e}):\n{ics}"));
    calendar
        .components
        .into_iter()
        .filter_map(|c| match c {
            CalendarComponent::Event(e) => Some(e),
            _ => None,
        })
        .collect()
}

fn utc_start(e: &Event) -> DateTime<Utc> {
    match e.get_start() {
        Some(DatePerhapsTime::DateTime(CalendarDateTime::Utc(t))) => t,
        other => panic!("DTSTART is not a UTC time: {other:?}"),
    }
}

fn date(e: &Event, end: bool) -> NaiveDate {
    match if end { e.get_end() } else { e.get_start() } {
        Some(DatePerhapsTime::Date(d)) => d,
        other => panic!("not a date: {other:?}"),
    }
}

/// A post's text as the feed shows it: what a terminal would act on written `<U+XXXX>`.
fn shown(text: &str) -> String {
    text.chars()
        .map(|c| {
            let hostile = (c.is_control() && c != '\n' && c != '\t')
                || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{61c}');
            if hostile { format!("<U+{:04X}>", u32::from(c)) } else { c.to_string() }
        })
        .collect()
}

/// Checks a preview's feed against its JSON: one event per publication, in the same order, with the
/// key as UID, the UTC time as DTSTART, and the text exactly (as shown) at the head of the description.
fn assert_feed_matches_json(ics: &str, json: &[serde_json::Value]) {
    assert_well_formed(ics);
    let events = events(ics);
    assert_eq!(events.len(), json.len(), "one event per publication");
    let uids: HashSet<&str> = events.iter().map(|e| e.get_uid().expect("a UID")).collect();
    assert_eq!(uids.len(), events.len(), "UIDs are unique");
    for (event, entry) in events.iter().zip(json) {
        let s = |k: &str| entry[k].as_str().unwrap_or_else(|| panic!("{k} in {entry}"));
        let key = format!("{}/{}/{}/{}", s("campaign"), s("post"), s("channel"), s("at_utc"));
        assert_eq!(event.get_uid(), Some(format!("{key}@herald").as_str()));
        assert_eq!(utc_start(event), DateTime::parse_from_rfc3339(s("at_utc")).unwrap().with_timezone(&Utc));
        assert_eq!(event.get_timestamp(), Some(utc_start(event)), "DTSTAMP is the publication's own time");
        assert_eq!(event.get_summary(), Some(format!("{}: {}/{}", s("channel"), s("campaign"), s("post")).as_str()));
        let description = event.get_description().expect("a description");
        let facts = description
            .strip_prefix(shown(s("text")).as_str())
            .unwrap_or_else(|| panic!("the description does not start with the text:\n{description}"));
        assert!(
            facts.starts_with(&format!("\n\nChannel: {} ({} @", s("channel"), s("platform"))),
            "after the text, the facts: {facts}"
        );
        assert!(facts.ends_with(&format!("Key: {key}")), "{facts}");
    }
}

#[test]
fn the_bundled_calendars_feed_has_one_event_per_publication_with_stable_uids() {
    let args = ["preview", "--from", "2027-01-01", "--to", "2027-12-31"];
    let json = run_in(&repo_root(), &[&args[..], &["--format", "json"]].concat());
    assert_eq!(json.code, 0, "{}", json.stderr);
    let entries = json.json().as_array().cloned().unwrap();
    assert!(entries.len() > 200, "the whole year: {}", entries.len());
    let first = run_in(&repo_root(), &[&args[..], &["--format", "ics"]].concat());
    assert_eq!(first.code, 0, "{}", first.stderr);
    assert_feed_matches_json(&first.stdout, &entries);
    // A thread is one event, and says so.
    let thread = entries.iter().position(|e| e["parts"].as_array().unwrap().len() > 1).expect("a thread on X");
    let description = events(&first.stdout)[thread].get_description().unwrap().to_string();
    assert!(description.contains("\nSent as a thread of "), "{description}");
    // Regenerated, the feed is the same to the byte (a subscribed calendar sees no change).
    let second = run_in(&repo_root(), &[&args[..], &["--format", "ics"]].concat());
    assert_eq!(first.stdout, second.stdout);
}

#[test]
fn a_small_feed_is_exactly_as_documented() {
    let p = TestProject::new().campaign_on(
        "hs4a.toml",
        &["x", "facebook"],
        r#"
[[post]]
id = "water"
day = "world-water-day"
text = "Water is life; water is security, for everyone."
media = [{ file = "media/water.jpg", alt = "A girl carries water" }]
"#,
    );
    let p = p.bytes("campaigns/media/water.jpg", JPEG);
    let r = p.run(&["preview", "--from", "2027-03-22", "--to", "2027-03-22", "--channel", "x", "--format", "ics"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.stdout,
        "BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//herald//herald campaign calendar//EN\r
CALSCALE:GREGORIAN\r
X-WR-CALNAME:herald: what goes out\r
BEGIN:VEVENT\r
UID:hs4a/water/x/2027-03-22T13:00:00Z@herald\r
DTSTAMP:20270322T130000Z\r
DTSTART:20270322T130000Z\r
SUMMARY:x: hs4a/water\r
DESCRIPTION:Water is life\\; water is security\\, for everyone.\\n\\nhttps://ww\r
 w.humansecurity.world\\n#HumanSecurity #HS4A\\n\\nChannel: x (twitter @humans\r
 ecurityFA)\\nLocal time: 2027-03-22 09:00 America/New_York\\nDay: World Wate\r
 r Day (2027-03-22)\\nImage: media/water.jpg (alt: A girl carries water)\\nKe\r
 y: hs4a/water/x/2027-03-22T13:00:00Z\r
CATEGORIES:twitter\r
TRANSP:TRANSPARENT\r
END:VEVENT\r
END:VCALENDAR\r
"
    );
    assert_well_formed(&r.stdout);
}

#[test]
fn a_hostile_post_cannot_break_the_feed() {
    // Escape sequences, a bell, a carriage return, a bidirectional override, the characters TEXT
    // escapes, a backslash-n written out, and long lines of multi-octet characters to fold.
    let text = "Clear\u{1b}[2J\u{7} the screen\r\nand \u{202e}reverse\u{202c}; a, b \\ c \\n d\\\\n\n\
                END:VEVENT\nBEGIN:VEVENT\nUID:forged@evil\n"
        .to_string()
        + &"Ωμέγα 😷 ".repeat(40);
    let posts = format!(
        "\n[[post]]\nid = \"hostile\"\ndate = 2027-03-08\nthread = true\ntext = {}\n",
        serde_json::to_string(&text).unwrap()
    );
    let p = TestProject::new().campaign_on("c.toml", &["x", "linkedin"], &posts);
    let json = p.preview_json("2027-03-08", "2027-03-08", &[]);
    assert_eq!(json.len(), 2);
    assert!(json[0]["text"].as_str().unwrap().contains('\u{1b}'), "JSON keeps the exact text");
    let r = p.run(&["preview", "--from", "2027-03-08", "--to", "2027-03-08", "--format", "ics"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(!r.stdout.contains('\u{1b}') && !r.stdout.contains('\u{7}') && !r.stdout.contains('\u{202e}'));
    assert_feed_matches_json(&r.stdout, &json);
    let events = events(&r.stdout);
    assert_eq!(events.len(), 2, "the text's own END/BEGIN lines stay inside its description");
    assert!(events.iter().all(|e| e.get_uid() != Some("forged@evil")));
    assert!(
        events[0].get_description().unwrap().starts_with(
            "Clear<U+001B>[2J<U+0007> the screen<U+000D>\nand <U+202E>reverse<U+202C>; a, b \\ c \\n d\\\\n\nEND:VEVENT"
        ),
        "{:?}",
        events[0].get_description()
    );
}

#[test]
fn a_feed_says_what_the_ledger_says_and_links_only_web_addresses() {
    use chrono::TimeZone as _;
    use herald::ledger::{Finish, Resolution, Store as _};

    let p = TestProject::new().campaign_on(
        "c.toml",
        &["x"],
        "\n[[post]]\nid = \"water\"\ndate = 2027-03-22\ntext = \"Water is life.\"\n\n[[post]]\nid = \"peace\"\ndate = 2027-03-23\ntext = \"Peace.\"\n\n[[post]]\nid = \"typed\"\ndate = 2027-03-24\ntext = \"Typed.\"\n",
    );
    let url = "https://x.com/humansecurityFA/status/1";
    let (store, keys) =
        crate::support::ledger_with_sent_and_failed(p.path(), &[("water", 22), ("peace", 23), ("typed", 24)], url);
    let typed = &keys[2];
    let at = |d: u32| Utc.with_ymd_and_hms(2027, 3, d, 13, 0, 0).unwrap();
    // A person settles one by hand, with an address that is not a web page.
    store.claim(typed, at(24)).unwrap();
    store.finish(typed, Finish::Failed { error: "refused".into() }, at(24)).unwrap();
    store.resolve(typed, Resolution::Sent { url: "javascript:alert(1)".into() }, at(25)).unwrap();
    drop(store);
    for output in [None, Some("feed.ics")] {
        let mut args = vec!["preview", "--from", "2027-03-01", "--to", "2027-03-31", "--format", "ics"];
        args.extend(output.iter().flat_map(|o| ["-o", *o]));
        let r = p.run(&args);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let ics = match output {
            None => r.stdout,
            Some(file) => std::fs::read_to_string(p.path().join(file)).expect("the feed file"),
        };
        assert_well_formed(&ics);
        let events = events(&ics);
        assert_eq!(events.len(), 3);
        let description = |i: usize| events[i].get_description().unwrap().to_string();
        assert_eq!(events[0].property_value("URL"), Some(url));
        assert!(description(0).contains(&format!("\nSent: {url}\n")), "{}", description(0));
        assert_eq!(events[1].property_value("URL"), None);
        assert!(description(1).contains("\nLedger: failed\n"), "{}", description(1));
        assert_eq!(events[2].property_value("URL"), None, "a calendar app would open it");
        assert!(description(2).contains("\nSent: javascript:alert(1)\n"), "{}", description(2));
    }
}

#[test]
fn days_feed_is_all_day_events_matching_the_json_list() {
    let p = TestProject::new().file(
        "config/herald.toml",
        &format!(
            "{}\n[[day]]\nid = \"hs4a-day\"\nname = \"HS4A Day, ours; \\u001b[31mreally\"\nrule = \"December 31\"\n",
            crate::support::CONFIG
        ),
    );
    let json = p.run(&["days", "--year", "2027", "--format", "json"]);
    assert_eq!(json.code, 0, "{}", json.stderr);
    let days = json.json().as_array().cloned().unwrap();
    assert!(days.len() > 200, "{}", days.len());
    let r = p.run(&["days", "--year", "2027", "--format", "ics"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_well_formed(&r.stdout);
    let events = events(&r.stdout);
    assert_eq!(events.len(), days.len());
    let uids: HashSet<&str> = events.iter().map(|e| e.get_uid().unwrap()).collect();
    assert_eq!(uids.len(), events.len(), "UIDs are unique");
    for (event, day) in events.iter().zip(&days) {
        let d = NaiveDate::parse_from_str(day["date"].as_str().unwrap(), "%Y-%m-%d").unwrap();
        assert_eq!(date(event, false), d);
        assert_eq!(date(event, true), d.succ_opt().unwrap(), "an all-day event ends the next day");
        assert_eq!(event.get_summary(), Some(shown(day["name"].as_str().unwrap()).as_str()));
        assert_eq!(event.get_uid(), Some(format!("day/{}/{d}@herald", day["id"].as_str().unwrap()).as_str()));
    }
    let ours = events.iter().find(|e| e.get_uid() == Some("day/hs4a-day/2027-12-31@herald")).expect("our own day");
    assert_eq!(ours.get_summary(), Some("HS4A Day, ours; <U+001B>[31mreally"));
    assert_eq!(r.stdout, p.run(&["days", "--year", "2027", "--format", "ics"]).stdout, "the same bytes every run");
}
