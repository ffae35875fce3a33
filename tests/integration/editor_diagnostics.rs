//! `herald check` for a new comms editor: syntax errors in plain words, the root cause first, no
//! cascading noise, CRLF files, past dates, offsets out of the campaign, empty texts, and which channels
//! a `[post.NAME]` table reaches. Each test asserts the exact output.

use crate::support::{CAMPAIGN_HEAD, CONFIG, TestProject};

#[test]
fn a_curly_quoted_text_asks_for_straight_quotes() {
    let p = TestProject::new()
        .campaign("c.toml", "\n[[post]]\nid = \"a\"\ndate = 2027-03-08\ntext = \u{201c}Water is life.\u{201d}\n");
    let r = p.run(&["check"]);
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr,
        r#"error: `“` is a curly quote: TOML needs straight quotes around text
  --> campaigns/c.toml:14:8
   |
14 | text = “Water is life.”
   |        ^
   |
   = help: write "…" with straight quotes (word processors and some editors turn them curly); curly quotes inside the text are fine

error: 1 error, 0 warnings
"#
    );
}

#[test]
fn a_slash_date_says_it_is_ambiguous_and_asks_for_yyyy_mm_dd() {
    let p =
        TestProject::new().campaign("c.toml", "\n[[post]]\nid = \"a\"\ndate = 03/05/2027\ntext = \"Water is life.\"\n");
    let r = p.run(&["check"]);
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr,
        r#"error: `03/05/2027` is not a date herald can read
  --> campaigns/c.toml:13:8
   |
13 | date = 03/05/2027
   |        ^^^^^^^^^^
   |
   = help: it could be 5 March or 3 May: write the one you mean as YYYY-MM-DD, `2027-03-05` or `2027-05-03`

error: 1 error, 0 warnings
"#
    );
}

#[test]
fn an_unclosed_triple_quote_is_shown_where_it_opens_not_at_the_end_of_the_file() {
    let p = TestProject::new().campaign(
        "c.toml",
        "\n[[post]]\nid = \"a\"\ndate = 2027-03-08\ntext = \"\"\"\nWater is life.\n\n[[post]]\nid = \"b\"\ndate = 2027-03-09\ntext = \"Again.\"\n",
    );
    let r = p.run(&["check"]);
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr,
        r#"error: this text opens with """ and is never closed
  --> campaigns/c.toml:14:8
   |
14 | text = """
   |        ^^^
   |
   = help: end the text with """; until then, everything after this line is read as part of it

error: 1 error, 0 warnings
"#
    );
}

#[test]
fn a_platform_typo_in_the_config_comes_first_with_the_campaign_errors_it_causes_folded_under_it() {
    let p = TestProject::new()
        .file("config/herald.toml", &CONFIG.replacen("platform = \"twitter\"", "platform = \"twiter\"", 1))
        .campaign(
            "c.toml",
            "\n[[post]]\nid = \"a\"\ndate = 2027-03-08\nchannels = [\"x\", \"linkedin\"]\ntext = \"Water is life.\"\n[post.x]\ntime = \"12:00\"\n",
        )
        .file(
            "campaigns/d.toml",
            &format!(
                "{}\n[[post]]\nid = \"b\"\ndate = 2027-03-08\ntext = \"Water is life.\"\n",
                CAMPAIGN_HEAD.replace("[campaign]\n", "[campaign]\nid = \"d\"\n")
            ),
        );
    let r = p.run(&["check"]);
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr,
        r#"error: invalid `platform`: unknown platform `twiter`
 --> config/herald.toml:3:12
  |
3 | platform = "twiter"
  |            ^^^^^^^^
  |
  = help: did you mean `twitter`?
  = note: 4 errors in campaign files follow from this (a channel it leaves out is used there): campaigns/c.toml:4:13, campaigns/c.toml:14:13, campaigns/c.toml:16:7, campaigns/d.toml:5:13

error: 1 error, 0 warnings
"#
    );
    // The JSON keeps the folded places as a note of the root cause.
    let v = p.run(&["check", "--format", "json"]).json();
    assert_eq!(v.as_array().map(Vec::len), Some(1), "{v}");
    assert_eq!(v[0]["file"], "config/herald.toml");
    assert_eq!(v[0]["notes"][0].as_str().map(|n| n.starts_with("4 errors in campaign files")), Some(true), "{v}");
}

#[test]
fn a_channels_table_typo_in_the_config_comes_first_with_the_campaign_errors_it_causes_folded_under_it() {
    // `[channel.x]` for `[channels.x]`: channel `x` is left out, as with a typo inside its table.
    let p = TestProject::new()
        .file("config/herald.toml", &CONFIG.replacen("[channels.x]", "[channel.x]", 1))
        .campaign(
            "c.toml",
            "\n[[post]]\nid = \"a\"\ndate = 2027-03-08\nchannels = [\"x\", \"linkedin\"]\ntext = \"Water is life.\"\n[post.x]\ntime = \"12:00\"\n",
        );
    let r = p.run(&["check"]);
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr,
        r#"error: unknown key `channel` in `config/herald.toml`
 --> config/herald.toml:2:2
  |
2 | [channel.x]
  |  ^^^^^^^
  |
  = help: did you mean `channels`?
  = note: 3 errors in campaign files follow from this (a channel it leaves out is used there): campaigns/c.toml:4:13, campaigns/c.toml:14:13, campaigns/c.toml:16:7

error: 1 error, 0 warnings
"#
    );
}

#[test]
fn a_syntax_error_in_the_config_comes_first_with_the_campaign_errors_it_causes_folded_under_it() {
    let p = TestProject::new()
        .file("config/herald.toml", &CONFIG.replacen("platform = \"linkedin\"", "platform = \u{201c}linkedin\u{201d}", 1))
        .campaign(
            "c.toml",
            "\n[[post]]\nid = \"a\"\ndate = 2027-03-08\ntext = \"Water is life.\"\n[post.linkedin]\ntext = \"Water is life, on LinkedIn.\"\n",
        );
    let r = p.run(&["check"]);
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr,
        r#"error: `“` is a curly quote: TOML needs straight quotes around text
  --> config/herald.toml:11:12
   |
11 | platform = “linkedin”
   |            ^
   |
   = help: write "…" with straight quotes (word processors and some editors turn them curly); curly quotes inside the text are fine
   = note: 4 errors in campaign files follow from this (a channel it leaves out is used there): campaigns/c.toml:4:13, campaigns/c.toml:4:18, campaigns/c.toml:4:30, campaigns/c.toml:15:7

error: 1 error, 0 warnings
"#
    );
}

#[test]
fn a_key_typo_is_not_also_a_missing_key_and_no_mistake_is_also_a_post_that_goes_to_no_channel() {
    let head = CAMPAIGN_HEAD.replace("time = \"09:00\"\n", "");
    let p = TestProject::new().file(
        "campaigns/c.toml",
        &format!(
            "{head}\n[[post]]\nid = \"typo\"\ndate = 2027-03-08\ntime = \"09:00\"\ntetx = \"Hello\"\n\n[[post]]\nid = \"template\"\ndate = 2027-03-08\ntime = \"09:00\"\ntext = \"{{{{ day.name }}}}\"\n\n[[post]]\nid = \"no-time\"\ndate = 2027-03-08\ntext = \"Hello\"\n"
        ),
    );
    let r = p.run(&["check"]);
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr,
        r#"error: unknown key `tetx` in `[[post]]`
  --> campaigns/c.toml:14:1
   |
14 | tetx = "Hello"
   | ^^^^
   |
   = help: did you mean `text`?

error: `day.name` is only defined for posts tied to a day
  --> campaigns/c.toml:20:12
   |
20 | text = "{{ day.name }}"
   |            ^^^^^^^^
   |
   = help: use `day = "…"` for this post, or `post.date` for its date

error: post `no-time` has no time
  --> campaigns/c.toml:22:1
   |
22 | [[post]]
   | ^^^^^^^^
   |
   = help: add `time = "09:00"` to the post, or a default `time` to `[campaign]`

error: 3 errors, 0 warnings
"#
    );
}

#[test]
fn a_post_whose_every_channel_is_skipped_still_goes_to_no_channel() {
    let p = TestProject::new().campaign_on(
        "c.toml",
        &["x", "linkedin"],
        "\n[[post]]\nid = \"a\"\ndate = 2027-03-08\ntext = \"Hello\"\n[post.x]\nskip = true\n[post.linkedin]\nskip = true\n",
    );
    let r = p.run(&["check"]);
    assert_eq!(r.code, 0);
    assert!(
        r.stderr.starts_with("warning: post `a` goes to no channel\n  --> campaigns/c.toml:11:1\n"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_crlf_file_sends_no_carriage_return_and_counts_like_the_lf_file() {
    let posts = "\n[[post]]\nid = \"a\"\ndate = 2027-03-08\nchannels = [\"x\"]\ntext = \"\"\"\nWater is life.\nHuman security starts with people.\n\"\"\"\n";
    let lf = TestProject::new().campaign("c.toml", posts);
    let crlf = TestProject::new().file("campaigns/c.toml", &format!("{CAMPAIGN_HEAD}{posts}").replace('\n', "\r\n"));
    let from_lf = lf.preview_json("2027-03-08", "2027-03-08", &[]);
    let from_crlf = crlf.preview_json("2027-03-08", "2027-03-08", &[]);
    assert_eq!(from_crlf, from_lf);
    assert_eq!(
        from_crlf[0]["text"],
        "Water is life.\nHuman security starts with people.\n\nhttps://www.humansecurity.world\n#HumanSecurity #HS4A"
    );
    assert_eq!(from_crlf[0]["length"], 95);
    let r = crlf.run(&["check"]);
    assert_eq!((r.code, r.stderr.as_str()), (0, "ok: 1 campaign checked (1 post in 6 channels), no problems\n"));
}

#[test]
fn a_date_in_the_past_passes_check_with_a_note_that_deny_warnings_does_not_count() {
    let p = TestProject::new().file(
        "campaigns/c.toml",
        &format!(
            "{}\n[[post]]\nid = \"old\"\ndate = 2020-03-08\ntext = \"Water is life.\"\n\n[[post]]\nid = \"new\"\ndate = 2027-03-08\ntext = \"Water is life.\"\n",
            CAMPAIGN_HEAD.replace("starts = 2027-01-01", "starts = 2020-01-01")
        ),
    );
    let r = p.run(&["check"]);
    assert_eq!(r.code, 0);
    assert_eq!(
        r.stderr,
        r#"note: post `old` is dated in the past (2020-03-08 09:00): herald will not send it
  --> campaigns/c.toml:13:8
   |
13 | date = 2020-03-08
   |        ^^^^^^^^^^
   |
   = help: if it has not gone out yet, give it a date to come; a post that has gone out can stay

ok: no problems, 1 note
"#
    );
    // A post that has gone out is not a mistake: a calendar repository's CI (`--deny-warnings`) passes.
    assert_eq!(p.run(&["check", "--deny-warnings"]).code, 0);
    let json = p.run(&["check", "--format", "json"]).json();
    assert_eq!(json[0]["severity"], "note", "{json:#}");
    let github = p.run(&["check", "--format", "github"]);
    assert!(github.stdout.starts_with("::notice file=campaigns/c.toml,line=13,"), "{}", github.stdout);
    // As of a later day (HERALD_TODAY), the 2027 post is past too; a day that is not a date is refused.
    let as_of = |day: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_herald"))
            .args(["--color", "never", "check"])
            .current_dir(p.path())
            .env("HERALD_TODAY", day)
            .output()
            .expect("run herald")
    };
    let later = as_of("2027-03-09");
    let stderr = String::from_utf8_lossy(&later.stderr);
    assert_eq!(later.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("note: post `new` is dated in the past (2027-03-08 09:00)"), "{stderr}");
    assert!(stderr.ends_with("ok: no problems, 2 notes\n"), "{stderr}");
    let bad = as_of("tomorrow");
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("HERALD_TODAY is `tomorrow`, not a date"));
}

#[test]
fn a_day_moved_out_of_the_campaign_by_its_offset_says_so_at_the_day_line() {
    let posts = "\n[[post]]\nid = \"early\"\nday = \"world-water-day\"\noffset = \"-100d\"\ntext = \"In 100 days, {{ day.name }}.\"\n";
    let p = TestProject::new().file(
        "campaigns/c.toml",
        &format!("{}{posts}", CAMPAIGN_HEAD.replace("starts = 2027-01-01", "starts = 2027-03-01")),
    );
    let r = p.run(&["check"]);
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr,
        r#"error: post `early` never goes out: World Water Day (2027-03-22) moved by its `offset` is on 2026-12-12, outside the campaign (2027-03-01 to 2027-12-31)
  --> campaigns/c.toml:13:7
   |
13 | day = "world-water-day"
   |       ^^^^^^^^^^^^^^^^^
   |
   = help: change the `offset`, or widen `starts`/`ends` in `[campaign]`: herald takes the day's dates inside the campaign, never the year before or after

error: 1 error, 0 warnings
"#
    );
    // Not the next year's World Water Day, 100 days early (2027-12-13): nothing at all.
    let p = TestProject::new().file(
        "campaigns/c.toml",
        &format!("{}{posts}", CAMPAIGN_HEAD.replace("starts = 2027-01-01", "starts = 2026-03-01")),
    );
    assert_eq!(p.preview_json("2027-12-01", "2027-12-31", &[]), Vec::<serde_json::Value>::new());
    let r = p.run(&["check"]);
    assert_eq!(r.code, 0, "one of the two years goes out: a warning for the other");
    assert!(
        r.stderr.starts_with("warning: post `early` does not go out that year: World Water Day (2026-03-22) moved by its `offset` is on 2025-12-12, outside the campaign (2026-03-01 to 2027-12-31)\n  --> campaigns/c.toml:13:7\n"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_date_outside_the_campaign_is_shown_at_the_date_line() {
    let p = TestProject::new()
        .campaign("c.toml", "\n[[post]]\nid = \"late\"\ndate = 2028-03-08\ntext = \"Water is life.\"\n");
    let r = p.run(&["check"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.starts_with(
            "error: post `late` never goes out: its date is outside the campaign (2027-01-01 to 2027-12-31)\n  --> campaigns/c.toml:13:8\n   |\n13 | date = 2028-03-08\n"
        ),
        "{}",
        r.stderr
    );
}

#[test]
fn an_empty_text_or_translation_is_an_error() {
    let p = TestProject::new().campaign_on(
        "c.toml",
        &["x", "x-fr"],
        "\n[[post]]\nid = \"empty\"\ndate = 2027-03-08\ntext = \"\"\ntranslations.fr = \"Bonjour\"\n\n[[post]]\nid = \"blank-fr\"\ndate = 2027-03-09\nchannels = [\"x-fr\"]\ntext = \"Hello\"\ntranslations.fr = \"\"\"\n   \n\"\"\"\n",
    );
    let r = p.run(&["check"]);
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr,
        r#"error: post `empty` has an empty text
  --> campaigns/c.toml:14:8
   |
14 | text = ""
   |        ^^
   |
   = help: write the text; to leave a channel out of this post, write `skip = true` in `[post.x]`

error: post `blank-fr` has an empty text
  --> campaigns/c.toml:22:19
   |
22 |   translations.fr = """
   |  ___________________^
23 | |    
24 | | """
   | |___^
   |
   = help: write the text; to leave a channel out of this post, write `skip = true` in `[post.x-fr]`

error: 2 errors, 0 warnings
"#
    );
}

#[test]
fn a_channel_override_means_that_channel_and_a_platform_table_means_every_channel_of_it() {
    let p = TestProject::new().campaign_on(
        "c.toml",
        &["x", "x-fr", "linkedin"],
        "\n[[post]]\nid = \"a\"\ndate = 2027-03-08\ntext = \"Water is life.\"\ntranslations.fr = \"L'eau, c'est la vie.\"\n[post.x]\ntime = \"12:00\"\n\n[[post]]\nid = \"b\"\ndate = 2027-03-09\ntext = \"Water is peace.\"\ntranslations.fr = \"L'eau, c'est la paix.\"\n[post.twitter]\ntime = \"12:00\"\n",
    );
    let at: Vec<(String, String, String)> = p
        .preview_json("2027-03-08", "2027-03-09", &[])
        .iter()
        .map(|e| (e["post"].to_string(), e["channel"].to_string(), e["at_utc"].to_string()))
        .collect();
    let want = [
        ("a", "linkedin", "2027-03-08T14:00:00Z"),
        ("a", "x-fr", "2027-03-08T14:00:00Z"),
        ("a", "x", "2027-03-08T17:00:00Z"),
        ("b", "linkedin", "2027-03-09T14:00:00Z"),
        ("b", "x", "2027-03-09T17:00:00Z"),
        ("b", "x-fr", "2027-03-09T17:00:00Z"),
    ];
    let want: Vec<(String, String, String)> =
        want.iter().map(|(p, c, t)| (format!("\"{p}\""), format!("\"{c}\""), format!("\"{t}\""))).collect();
    assert_eq!(at, want);
    let r = p.run(&["check"]);
    assert_eq!(r.code, 0);
    assert_eq!(
        r.stderr,
        r#"warning: `[post.x]` applies to channel `x` only, not to `x-fr`: `x` is both a channel and a name of the X/Twitter platform
  --> campaigns/c.toml:16:7
   |
16 | [post.x]
   |       ^
   |
   = help: if it is meant for every X/Twitter channel of this post (also `x-fr`), write `[post.twitter]`

warning: 0 errors, 1 warning
"#
    );
}

#[test]
fn a_quoted_slash_date_also_asks_which_date_is_meant() {
    let p = TestProject::new()
        .campaign("c.toml", "\n[[post]]\nid = \"a\"\ndate = \"03/05/2027\"\ntext = \"Water is life.\"\n");
    let r = p.run(&["check"]);
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr,
        r#"error: invalid `date`: `03/05/2027` is not a date
  --> campaigns/c.toml:13:8
   |
13 | date = "03/05/2027"
   |        ^^^^^^^^^^^^
   |
   = help: it could be 5 March or 3 May: write the one you mean as YYYY-MM-DD, `2027-03-05` or `2027-05-03`

error: 1 error, 0 warnings
"#
    );
}

#[test]
fn a_time_without_quotes_asks_for_quotes() {
    let p = TestProject::new()
        .campaign("c.toml", "\n[[post]]\nid = \"a\"\ndate = 2027-03-08\ntime = 14:30\ntext = \"Water is life.\"\n");
    let r = p.run(&["check"]);
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr,
        r#"error: invalid `time`: `14:30` needs quotes
  --> campaigns/c.toml:14:8
   |
14 | time = 14:30
   |        ^^^^^
   |
   = help: write `"14:30"`: herald reads a time of day as text, HH:MM

error: 1 error, 0 warnings
"#
    );
    let p = p.campaign("c.toml", "\n[[post]]\nid = \"a\"\ndate = 2027-03-08\ntime = 9\ntext = \"Water is life.\"\n");
    let r = p.run(&["check"]);
    assert!(r.stderr.starts_with("error: invalid `time`: expected a time of day\n"), "{}", r.stderr);
    assert!(
        r.stderr.contains("= help: write 24-hour time as HH:MM in quotes, e.g. \"09:00\" or \"17:30\"\n"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_value_of_the_wrong_kind_is_said_in_plain_words_with_the_fix() {
    let p = TestProject::new().file(
        "campaigns/c.toml",
        &format!(
            "{}\n[post]\nid = \"a\"\ndate = 2027-03-08\ntext = \"Water is life.\"\n",
            CAMPAIGN_HEAD
                .replace("[campaign]\n", "[campaign]\nid = \"c\"\n")
                .replace("channels = [\"x\", \"linkedin\", \"facebook\"]", "channels = \"x\"")
        ),
    );
    let r = p.run(&["check"]);
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr,
        r#"error: invalid `channels`: expected a list, found text
 --> campaigns/c.toml:5:12
  |
5 | channels = "x"
  |            ^^^
  |
  = help: write a list in brackets, even of one: `channels = ["x"]`

error: `post` must be a list of tables written `[[post]]`, found table
  --> campaigns/c.toml:12:2
   |
12 | [post]
   |  ^^^^^
   |
   = help: write `[[post]]`, with two brackets, above each one

error: 2 errors, 0 warnings
"#
    );
    let p = p.file(
        "campaigns/c.toml",
        &format!("{}utm = \"yes\"\n", CAMPAIGN_HEAD.replace("[campaign]\n", "[campaign]\nid = \"c\"\n")),
    );
    let r = p.run(&["check"]);
    assert!(r.stderr.starts_with("error: invalid `utm`: expected true or false, found text\n"), "{}", r.stderr);
    assert!(r.stderr.contains("= help: write `utm = true` or `utm = false`, without quotes\n"), "{}", r.stderr);
    let head = CAMPAIGN_HEAD.replace("[campaign]\n", "[campaign]\nid = \"c\"\n");
    let p = p.file(
        "campaigns/c.toml",
        &head.replace("channels = [\"x\", \"linkedin\", \"facebook\"]", "channels = 2027-03-01"),
    );
    let r = p.run(&["check"]);
    assert!(r.stderr.starts_with("error: invalid `channels`: expected a list, found a date or time\n"), "{}", r.stderr);
    assert!(r.stderr.contains("= help: write a list in brackets, even of one: `channels = [\"…\"]`\n"), "{}", r.stderr);
}
