//! `herald preview`: the timeline, exactly.

use crate::support::{JPEG, TestProject};

const POSTS: &str = r#"
[[post]]
id = "water"
date = 2027-03-22
text = "Water is life. #HumanSecurity starts with people."
utm = true
media = [{ file = "media/water.jpg", alt = "A girl carries water in Timor-Leste" }]

[post.instagram]
text = "Water is life. Link in bio."
"#;

fn project() -> TestProject {
    TestProject::new()
        .campaign_on("hs4a.toml", &["x", "instagram", "facebook"], POSTS)
        .bytes("campaigns/media/water.jpg", JPEG)
}

#[test]
fn text_timeline_shows_time_channel_text_length_media_and_notes() {
    let r = project().run(&["preview", "--from", "2027-03-22", "--to", "2027-03-22"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.stdout,
        "Monday 22 March 2027
  09:00 (America/New_York · 13:00 UTC)  hs4a/water → facebook (facebook @HS4Aglobal)  146/63206
    │ Water is life. #HumanSecurity starts with people.
    │ 
    │ #HS4A
    │ 
    │ https://www.humansecurity.world/?utm_source=facebook&utm_medium=social&utm_campaign=hs4a
    image: media/water.jpg  alt: \"A girl carries water in Timor-Leste\"

  09:00 (America/New_York · 13:00 UTC)  hs4a/water → instagram (instagram @humansecurityforall)  49/2200
    │ Water is life. Link in bio.
    │ 
    │ #HumanSecurity #HS4A
    image: media/water.jpg  alt: \"A girl carries water in Timor-Leste\"
    note: link left out: Instagram captions have no clickable links (https://www.humansecurity.world/?utm_source=instagram&utm_medium=social&utm_campaign=hs4a)

  09:00 (America/New_York · 13:00 UTC)  hs4a/water → x (twitter @humansecurityFA)  80/280
    │ Water is life. #HumanSecurity starts with people.
    │ 
    │ https://www.humansecurity.world/?utm_source=twitter&utm_medium=social&utm_campaign=hs4a
    │ #HS4A
    image: media/water.jpg  alt: \"A girl carries water in Timor-Leste\"

3 scheduled publications from 2027-03-22 to 2027-03-22
"
    );
}

#[test]
fn a_threads_images_are_shown_with_its_first_part() {
    let long = "Human security means freedom from fear and freedom from want, for every person. ".repeat(5);
    let posts = format!(
        "\n[[post]]\nid = \"long\"\ndate = 2027-03-08\nthread = true\ntext = \"{}\"\nmedia = [{{ file = \"media/water.jpg\", alt = \"Water\" }}]\n",
        long.trim()
    );
    let p = TestProject::new().campaign_on("c.toml", &["x"], &posts).bytes("campaigns/media/water.jpg", JPEG);
    let r = p.run(&["preview", "--from", "2027-03-08", "--to", "2027-03-08"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let image = r.stdout.find("image: media/water.jpg").expect("the image is shown");
    let second = r.stdout.find("── part 2 of").expect("a thread");
    assert!(image < second, "{}", r.stdout);
}

#[test]
fn json_entries_have_the_documented_fields() {
    let r =
        project().run(&["preview", "--from", "2027-03-01", "--to", "2027-03-31", "--channel", "x", "--format", "json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v = r.json();
    let entries = v.as_array().unwrap();
    assert_eq!(entries.len(), 1);
    let e = &entries[0];
    assert_eq!(e["campaign"], "hs4a");
    assert_eq!(e["post"], "water");
    assert_eq!(e["channel"], "x");
    assert_eq!(e["platform"], "twitter");
    assert_eq!(e["at_utc"], "2027-03-22T13:00:00Z");
    assert_eq!(e["at_local"], "2027-03-22T09:00:00-04:00");
    assert_eq!(e["parts"].as_array().unwrap().len(), 1);
    assert_eq!(e["parts"][0], e["text"]);
    assert_eq!(e["length"], 80);
    assert_eq!(e["limit"], 280);
    assert_eq!(
        e["media"],
        serde_json::json!([{"file": "media/water.jpg", "alt": "A girl carries water in Timor-Leste", "type": "image/jpeg"}])
    );
    assert_eq!(e["warnings"], serde_json::json!([]));
    assert_eq!(e["direction"], "ltr");
}

#[test]
fn filters_by_campaign_and_channel_and_rejects_unknown_names() {
    let p = project();
    let r = p.run(&[
        "preview",
        "--from",
        "2027-01-01",
        "--to",
        "2027-12-31",
        "--campaign",
        "hs4a",
        "--channel",
        "instagram",
        "--format",
        "json",
    ]);
    assert_eq!(r.json().as_array().unwrap().len(), 1);
    let r = p.run(&["preview", "--channel", "instagran"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("unknown channel `instagran`"), "{}", r.stderr);
    assert!(r.stderr.contains("did you mean `instagram`?"), "{}", r.stderr);
}

#[test]
fn an_empty_window_says_when_campaigns_run() {
    let r = project().run(&["preview", "--from", "2026-11-01", "--to", "2026-11-30"]);
    assert_eq!(r.code, 0);
    assert!(r.stdout.contains("Nothing is scheduled from 2026-11-01 to 2026-11-30."), "{}", r.stdout);
    assert!(
        r.stdout.contains("campaign hs4a runs from 2027-01-01 to 2027-12-31 (try --from 2027-01-01)"),
        "{}",
        r.stdout
    );
}

#[test]
fn a_time_in_the_dst_gap_moves_forward_and_says_so() {
    let p = TestProject::new().campaign_on(
        "c.toml",
        &["x"],
        "\n[[post]]\nid = \"night\"\ndate = 2027-03-14\ntime = \"02:30\"\ntext = \"a\"\n",
    );
    let r = p.run(&["preview", "--from", "2027-03-14", "--to", "2027-03-14", "--format", "json"]);
    let e = &r.json()[0];
    assert_eq!(e["at_utc"], "2027-03-14T07:30:00Z");
    assert_eq!(e["at_local"], "2027-03-14T03:30:00-04:00");
    assert_eq!(e["dst"], "moved forward past the DST gap");
}

#[test]
fn a_long_x_post_with_thread_is_split_into_numbered_parts() {
    let long = "Human security means freedom from fear and freedom from want. ".repeat(6);
    let posts = format!("\n[[post]]\nid = \"long\"\ndate = 2027-03-08\nthread = true\ntext = \"{long}\"\n");
    let p = TestProject::new().campaign_on("c.toml", &["x", "linkedin"], &posts);
    let r = p.run(&["preview", "--from", "2027-03-08", "--to", "2027-03-08", "--format", "json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v = r.json();
    let x = v.as_array().unwrap().iter().find(|e| e["channel"] == "x").unwrap();
    let parts = x["parts"].as_array().unwrap();
    assert!(parts.len() >= 2, "{parts:?}");
    for (i, part) in parts.iter().enumerate() {
        let part = part.as_str().unwrap();
        assert!(part.ends_with(&format!("{}/{}", i + 1, parts.len())), "{part}");
        assert!(herald::channels::Platform::Twitter.measure(part) <= 280, "{part}");
    }
    let linkedin = v.as_array().unwrap().iter().find(|e| e["channel"] == "linkedin").unwrap();
    assert_eq!(linkedin["parts"].as_array().unwrap().len(), 1, "only X threads");
}

#[test]
fn translations_go_to_channels_in_their_language_and_rtl_is_marked() {
    let posts = "\n[[post]]\nid = \"peace\"\ndate = 2027-09-21\ntext = \"Peace starts with people.\"\n[post.translations]\nfr = \"La paix commence par les personnes.\"\nar = \"السلام يبدأ بالناس.\"\n";
    let p = TestProject::new().campaign_on("c.toml", &["x", "x-fr", "x-ar"], posts);
    let r = p.run(&["preview", "--from", "2027-09-21", "--to", "2027-09-21", "--format", "json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v = r.json();
    let by = |ch: &str| v.as_array().unwrap().iter().find(|e| e["channel"] == ch).unwrap().clone();
    assert!(by("x-fr")["text"].as_str().unwrap().starts_with("La paix commence"));
    assert_eq!(by("x-fr")["language"], "fr");
    let ar = by("x-ar");
    assert!(ar["text"].as_str().unwrap().starts_with("السلام يبدأ بالناس."));
    assert_eq!(ar["direction"], "rtl");
    let text = p.run(&["preview", "--from", "2027-09-21", "--to", "2027-09-21", "--channel", "x-ar"]);
    assert!(text.stdout.contains("│ \u{2067}السلام يبدأ بالناس.\u{2069}"), "{}", text.stdout);
}

#[test]
fn preview_refuses_a_project_with_errors() {
    let p = TestProject::new().file("campaigns/bad.toml", "[campaign]\nname = 3\n");
    let r = p.run(&["preview"]);
    assert_eq!(r.code, 1);
    assert!(r.stdout.is_empty());
    assert!(r.stderr.contains("preview stopped: fix these problems first"), "{}", r.stderr);
}

#[test]
fn cron_posts_recur_weekly_in_local_time_across_dst() {
    let p = TestProject::new().campaign_on(
        "c.toml",
        &["x"],
        "\n[[post]]\nid = \"weekly\"\ncron = \"0 0 10 * * Wed\"\ntext = \"Weekly story {{ post.date }}\"\n",
    );
    let v = p.preview_json("2027-03-01", "2027-03-31", &[]);
    let times: Vec<(&str, &str)> =
        v.iter().map(|e| (e["at_local"].as_str().unwrap(), e["at_utc"].as_str().unwrap())).collect();
    assert_eq!(
        times,
        vec![
            ("2027-03-03T10:00:00-05:00", "2027-03-03T15:00:00Z"),
            ("2027-03-10T10:00:00-05:00", "2027-03-10T15:00:00Z"),
            ("2027-03-17T10:00:00-04:00", "2027-03-17T14:00:00Z"),
            ("2027-03-24T10:00:00-04:00", "2027-03-24T14:00:00Z"),
            ("2027-03-31T10:00:00-04:00", "2027-03-31T14:00:00Z"),
        ]
    );
    assert!(v[0]["text"].as_str().unwrap().starts_with("Weekly story 2027-03-03"));
}

#[test]
fn day_posts_use_the_days_date_each_year_with_their_offset() {
    let p = TestProject::new().file(
        "campaigns/c.toml",
        &(crate::support::CAMPAIGN_HEAD
            .replace("ends = 2027-12-31", "ends = 2028-12-31")
            .replace("channels = [\"x\", \"linkedin\", \"facebook\"]", "channels = [\"x\"]")
            + "\n[[post]]\nid = \"habitat\"\nday = \"world-habitat-day\"\noffset = \"-1d\"\ntext = \"Tomorrow: {{ day.name }}, {{ day.date | format_date('%A %-d %B') }}.\"\n"),
    );
    let v = p.preview_json("2027-01-01", "2028-12-31", &[]);
    let got: Vec<(&str, &str)> =
        v.iter().map(|e| (e["at_local"].as_str().unwrap(), e["day"]["date"].as_str().unwrap())).collect();
    // World Habitat Day is the first Monday of October.
    assert_eq!(got, vec![("2027-10-03T09:00:00-04:00", "2027-10-04"), ("2028-10-01T09:00:00-04:00", "2028-10-02")]);
    assert!(
        v[0]["text"].as_str().unwrap().starts_with("Tomorrow: World Habitat Day, Monday 4 October."),
        "{}",
        v[0]["text"]
    );
}

#[test]
fn a_post_that_breaks_a_rule_shows_its_text_and_the_error() {
    let long = "Human security means freedom from fear and freedom from want. ".repeat(6);
    let p = TestProject::new().campaign_on(
        "c.toml",
        &["x"],
        &format!("\n[[post]]\nid = \"long\"\ndate = 2027-03-08\ntext = \"{long}\"\n"),
    );
    let r = p.run(&["preview", "--from", "2027-03-08", "--to", "2027-03-08"]);
    assert_eq!(r.code, 1);
    assert!(r.stdout.contains("    │ Human security means freedom from fear"), "{}", r.stdout);
    assert!(r.stdout.contains("error: the text is 417 characters on X/Twitter, over its limit of 280"), "{}", r.stdout);
    assert!(
        r.stdout.contains("1 scheduled publication from 2027-03-08 to 2027-03-08, 1 that cannot be published"),
        "{}",
        r.stdout
    );
    let r = p.run(&["preview", "--from", "2027-03-08", "--to", "2027-03-08", "--format", "json"]);
    let e = &r.json()[0];
    assert!(e["text"].as_str().unwrap().starts_with("Human security means"));
    assert_eq!(e["parts"], serde_json::json!([]));
}

#[test]
fn cron_posts_in_the_dst_gap_move_forward_instead_of_vanishing() {
    let p = TestProject::new().campaign_on(
        "c.toml",
        &["x"],
        "\n[[post]]\nid = \"night\"\ncron = \"0 30 2 * * *\"\ntext = \"Out at {{ post.time }}\"\n",
    );
    let v = p.preview_json("2027-03-13", "2027-03-15", &[]);
    let got: Vec<(&str, &str)> = v
        .iter()
        .map(|e| (e["at_local"].as_str().unwrap(), e["text"].as_str().unwrap().lines().next().unwrap()))
        .collect();
    assert_eq!(
        got,
        vec![
            ("2027-03-13T02:30:00-05:00", "Out at 02:30"),
            ("2027-03-14T03:30:00-04:00", "Out at 03:30"),
            ("2027-03-15T02:30:00-04:00", "Out at 02:30"),
        ]
    );
    assert_eq!(v[1]["dst"], "moved forward past the DST gap");
}

#[test]
fn a_cron_time_that_happens_twice_is_published_once() {
    let p = TestProject::new().campaign_on(
        "c.toml",
        &["x"],
        "\n[[post]]\nid = \"night\"\ncron = \"0 30 1 * * *\"\ntext = \"a\"\n",
    );
    let r = p.run(&["preview", "--from", "2027-11-07", "--to", "2027-11-07", "--format", "json"]);
    let v = r.json();
    assert_eq!(v.as_array().unwrap().len(), 1);
    assert_eq!(v[0]["at_utc"], "2027-11-07T05:30:00Z");
}
