//! `herald check` over a channel's whole calendar: warnings when a day's posts exceed the platform's
//! publishing cap, and when the same text goes to a channel twice within a week.

use crate::support::{JPEG, TestProject};

/// `n` posts on `date`, `minutes` apart from `start` (local time), each with its own text and an image.
fn posts_on(date: &str, start_minute: u32, minutes: u32, n: u32) -> String {
    (0..n)
        .map(|i| {
            let t = start_minute + i * minutes;
            format!(
                "\n[[post]]\nid = \"p{i}\"\ndate = {date}\ntime = \"{:02}:{:02}\"\ntext = \"Post number {i}.\"\nmedia = [{{ file = \"media/card.jpg\", alt = \"A card\" }}]\n",
                t / 60,
                t % 60
            )
        })
        .collect()
}

fn project(channels: &[&str], posts: &str) -> TestProject {
    TestProject::new().campaign_on("c.toml", channels, posts).bytes("campaigns/media/card.jpg", JPEG)
}

#[test]
fn the_51st_instagram_post_in_24_hours_is_warned_at_its_post() {
    // 51 posts 20 minutes apart: 00:00 to 16:40 on one day.
    let r = project(&["instagram"], &posts_on("2027-03-08", 0, 20, 51)).run(&["check"]);
    assert_eq!(r.code, 0, "warnings only: {}", r.stderr);
    assert_eq!(
        r.stderr,
        "warning: post `p50` is channel `instagram`'s 51st post in the 24 hours up to 2027-03-08 16:40, over Instagram's cap of 50
   --> campaigns/c.toml:361:1
    |
361 | [[post]]
    | ^^^^^^^^
    |
    = help: Meta's `media_publish` reference: 50 posts in any 24 hours (a carousel counts as one; other Meta pages say 100, older ones 25); the platform refuses posts over it until the earliest are 24 hours old (herald tries again later, so they go out late or fail): spread these posts over more days, or send fewer

warning: 0 errors, 1 warning
"
    );
}

#[test]
fn the_51st_x_post_in_24_hours_is_warned_with_the_lower_cap_for_unverified_accounts() {
    let r = project(&["x"], &posts_on("2027-03-08", 0, 20, 51)).run(&["check"]);
    assert_eq!(r.code, 0, "warnings only: {}", r.stderr);
    assert!(
        r.stderr.starts_with("warning: post `p50` is channel `x`'s 51st post in the 24 hours up to 2027-03-08 16:40, over X/Twitter's cap of 50\n"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("50 original posts a day for unverified accounts, 2,400 for verified ones"),
        "{}",
        r.stderr
    );
    assert_eq!(r.stderr.matches("warning: post").count(), 1, "{}", r.stderr);
    // Fifty pass.
    let r = project(&["x"], &posts_on("2027-03-08", 0, 20, 50)).run(&["check"]);
    assert_eq!(r.stderr, "ok: 1 campaign checked (50 posts in 6 channels), no problems\n");
}

#[test]
fn fifty_instagram_posts_a_day_and_a_rolling_window_that_moves_on_pass() {
    // 50 posts on 8 March from 00:00, then one at 00:00 on 9 March: exactly 24 hours after the first,
    // which has left the window.
    let mut posts = posts_on("2027-03-08", 0, 20, 50);
    posts.push_str(
        "\n[[post]]\nid = \"next-day\"\ndate = 2027-03-09\ntime = \"00:00\"\ntext = \"The next day.\"\nmedia = [{ file = \"media/card.jpg\", alt = \"A card\" }]\n",
    );
    let r = project(&["instagram"], &posts).run(&["check"]);
    assert_eq!(r.stderr, "ok: 1 campaign checked (51 posts in 6 channels), no problems\n");
    // One minute earlier, it is the 51st in 24 hours.
    let r = project(
        &["instagram"],
        &posts.replace(
            "time = \"00:00\"\ntext = \"The next day.",
            "time = \"00:00\"\noffset = \"-1m\"\ntext = \"The next day.",
        ),
    )
    .run(&["check"]);
    assert!(r.stderr.starts_with("warning: post `next-day` is channel `instagram`'s 51st post in the 24 hours up to 2027-03-08 23:59, over Instagram's cap of 50\n"), "{}", r.stderr);
}

#[test]
fn linkedin_counts_its_reported_cap_per_utc_day_and_says_it_is_unconfirmed() {
    // 151 posts five minutes apart from 00:00 New York time (05:00 UTC) run to 12:30, inside one UTC
    // day; 151 posts four minutes apart from 12:00 cross midnight UTC (19:00 New York) and pass.
    let r = project(&["linkedin"], &posts_on("2027-03-08", 0, 5, 151)).run(&["check"]);
    assert_eq!(r.code, 0);
    let first = r.stderr.lines().next().unwrap();
    assert_eq!(
        first,
        "warning: post `p150` is channel `linkedin`'s 151st post on 2027-03-08 (UTC), counting 2027-03-08 12:30, over LinkedIn's cap of 150"
    );
    assert!(
        r.stderr.contains("= help: LinkedIn does not publish its daily limits (they reset at midnight UTC); 150 posts a day is a publishing tool's figure, unconfirmed; the platform refuses posts over it until midnight UTC"),
        "{}",
        r.stderr
    );
    assert_eq!(r.stderr.matches("warning: post").count(), 1, "{}", r.stderr);
    let r = project(&["linkedin"], &posts_on("2027-03-08", 12 * 60, 4, 151)).run(&["check"]);
    assert_eq!(r.stderr, "ok: 1 campaign checked (151 posts in 6 channels), no problems\n");
}

#[test]
fn the_same_text_on_x_within_a_week_is_warned_at_the_later_post_naming_the_earlier() {
    let posts = r#"
[[post]]
id = "launch"
date = 2027-03-01
text = "Human security is about people."
media = [{ file = "media/card.jpg", alt = "A card" }]

[[post]]
id = "reminder"
date = 2027-03-08
text = "Human security is about people."
media = [{ file = "media/card.jpg", alt = "A card" }]

[[post]]
id = "much-later"
date = 2027-03-16
text = "Human security is about people."
media = [{ file = "media/card.jpg", alt = "A card" }]
"#;
    let r = project(&["x", "instagram"], posts).run(&["check"]);
    assert_eq!(r.code, 0);
    assert_eq!(
        r.stderr,
        r#"warning: post `reminder` on channel `x` (2027-03-08 09:00) repeats the text of post `launch` of 2027-03-01 09:00, 7 days earlier
  --> campaigns/c.toml:20:8
   |
20 | text = "Human security is about people."
   |        ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
   |
   = help: X refuses a post whose text repeats a recent post of the account (403 "duplicate content"; X does not say how recent); herald warns about a repeat within 7 days. Make the texts differ (a date, a detail) or move one post; the earlier one is at campaigns/c.toml:14:8

warning: 0 errors, 1 warning
"#,
        "Instagram refuses no repeat; 16 March is 8 days after 8 March"
    );
}

#[test]
fn a_daily_post_with_a_fixed_text_is_warned_once_and_a_dated_one_not_at_all() {
    let fixed = r#"
[[post]]
id = "daily"
cron = "0 0 9 * * *"
text = "Read the report."
"#;
    let r = project(&["x", "linkedin", "facebook"], fixed).run(&["check"]);
    assert_eq!(r.code, 0);
    let warnings: Vec<&str> = r.stderr.lines().filter(|l| l.starts_with("warning: post")).collect();
    assert_eq!(
        warnings,
        [
            "warning: post `daily` on channel `facebook` (2027-01-02 09:00) repeats its own text of 2027-01-01 09:00, 1 day earlier",
            "warning: post `daily` on channel `linkedin` (2027-01-02 09:00) repeats its own text of 2027-01-01 09:00, 1 day earlier",
            "warning: post `daily` on channel `x` (2027-01-02 09:00) repeats its own text of 2027-01-01 09:00, 1 day earlier",
        ],
        "{}",
        r.stderr
    );
    let dated = fixed.replace("Read the report.", "{{ post.date }}: read the report.");
    let r = project(&["x", "linkedin", "facebook"], &dated).run(&["check"]);
    assert_eq!(r.stderr, "ok: 1 campaign checked (1 post in 6 channels), no problems\n");
}

#[test]
fn check_json_carries_the_pacing_warnings() {
    let r = project(&["instagram"], &posts_on("2027-03-08", 0, 1, 52)).run(&["check", "--format", "json"]);
    assert_eq!(r.code, 0);
    let v = r.json();
    let warnings: Vec<(&str, u64)> =
        v.as_array().unwrap().iter().map(|d| (d["message"].as_str().unwrap(), d["line"].as_u64().unwrap())).collect();
    assert_eq!(
        warnings,
        [
            (
                "post `p50` is channel `instagram`'s 51st post in the 24 hours up to 2027-03-08 00:50, over Instagram's cap of 50",
                361
            ),
            (
                "post `p51` is channel `instagram`'s 52nd post in the 24 hours up to 2027-03-08 00:51, over Instagram's cap of 50",
                368
            ),
        ]
    );
    let r = project(&["instagram"], &posts_on("2027-03-08", 0, 1, 52)).run(&["check", "--deny-warnings"]);
    assert_eq!(r.code, 1, "--deny-warnings fails on a cap exceeded");
}
