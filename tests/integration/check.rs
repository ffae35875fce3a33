//! `herald check`: exact diagnostics for bad files, exit codes, JSON.

use crate::support::{JPEG, PNG, TestProject};

#[test]
fn a_valid_project_passes_with_a_summary() {
    let p = TestProject::new().campaign(
        "hs4a.toml",
        r#"
[[post]]
id = "water"
date = 2027-03-22
text = "Water is life. Human security starts with people."
"#,
    );
    let r = p.run(&["check"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stderr, "ok: 1 campaign checked (1 post in 6 channels), no problems\n");
}

#[test]
fn every_problem_in_a_file_is_reported_at_once_with_location_and_help() {
    let p = TestProject::new().file(
        "campaigns/bad.toml",
        r#"[campaign]
name = "Bad"
timezone = "Europe/Pariss"
channels = ["x", "linkdin"]
starts = 2027-01-01
ends = 2027-12-31

[[post]]
id = "one"
date = 2027-03-08
time = "9h"
tetx = "Hello"

[[post]]
id = "one"
date = 2027-03-09
time = "09:00"
text = "Again"
"#,
    );
    let r = p.run(&["check"]);
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr,
        r#"error: invalid `timezone`: unknown time zone `Europe/Pariss`
 --> campaigns/bad.toml:3:12
  |
3 | timezone = "Europe/Pariss"
  |            ^^^^^^^^^^^^^^^
  |
  = help: did you mean `Europe/Paris`?

error: unknown channel `linkdin`
 --> campaigns/bad.toml:4:18
  |
4 | channels = ["x", "linkdin"]
  |                  ^^^^^^^^^
  |
  = help: did you mean `linkedin`?

error: invalid `time`: `9h` is not a time of day
  --> campaigns/bad.toml:11:8
   |
11 | time = "9h"
   |        ^^^^
   |
   = help: write 24-hour time as HH:MM, e.g. "09:00" or "17:30"

error: unknown key `tetx` in `[[post]]`
  --> campaigns/bad.toml:12:1
   |
12 | tetx = "Hello"
   | ^^^^
   |
   = help: did you mean `text`?

error: duplicate post id `one`
  --> campaigns/bad.toml:15:6
   |
15 | id = "one"
   |      ^^^^^
   |
   = help: post ids must be unique in a campaign; the first is on line 9

error: 5 errors, 0 warnings
"#
    );
}

#[test]
fn toml_syntax_errors_point_at_the_mistake() {
    let p = TestProject::new().file("campaigns/syntax.toml", "[campaign]\nname = \"Oops\nchannels = [\"x\"]\n");
    let r = p.run(&["check"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("error: invalid TOML"), "{}", r.stderr);
    assert!(r.stderr.contains("--> campaigns/syntax.toml:2:"), "{}", r.stderr);
}

#[test]
fn json_format_lists_every_diagnostic_with_stable_fields() {
    let p = TestProject::new()
        .campaign(
            "c.toml",
            "\n[[post]]\nid = \"p\"\ndate = 2027-03-08\ntext = \"Hi\"\nmedia = [{ file = \"media/a.jpg\" }]\n",
        )
        .bytes("campaigns/media/a.jpg", JPEG);
    let r = p.run(&["check", "--format", "json"]);
    assert_eq!(r.code, 0, "warnings alone do not fail: {}", r.stdout);
    let v = r.json();
    assert_eq!(
        v,
        serde_json::json!([{
            "severity": "warning",
            "file": "campaigns/c.toml",
            "line": 15,
            "column": 10,
            "message": "image `media/a.jpg` has no alt text",
            "help": "add `alt = \"…\"` describing the image, so people using screen readers get it too"
        }])
    );
    let r = p.run(&["check", "--deny-warnings"]);
    assert_eq!(r.code, 1, "--deny-warnings turns warnings into failure");
}

#[test]
fn an_x_post_over_280_is_an_error_unless_threaded() {
    let long = "Human security means freedom from fear and freedom from want. ".repeat(6);
    let posts = format!("\n[[post]]\nid = \"long\"\ndate = 2027-03-08\nchannels = [\"x\"]\ntext = \"{long}\"\n");
    let p = TestProject::new().campaign("c.toml", &posts);
    let r = p.run(&["check"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("error: post `long` on channel `x` (2027-03-08 09:00): the text is 417 characters on X/Twitter, over its limit of 280"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("set `thread = true`"), "{}", r.stderr);
    let p = p.campaign("c.toml", &posts.replace("channels = [\"x\"]", "channels = [\"x\"]\nthread = true"));
    let r = p.run(&["check"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
}

#[test]
fn unknown_template_variables_are_check_errors_at_the_variable() {
    let p = TestProject::new()
        .campaign("c.toml", "\n[[post]]\nid = \"p\"\ndate = 2027-03-08\ntext = \"Today: {{ campaing.name }}\"\n");
    let r = p.run(&["check"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("error: unknown variable `campaing.name` in the text\n  --> campaigns/c.toml:14:19"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("help: did you mean `campaign.name`?"), "{}", r.stderr);
}

#[test]
fn day_variables_are_only_for_day_posts() {
    let p =
        TestProject::new().campaign("c.toml", "\n[[post]]\nid = \"p\"\ndate = 2027-03-08\ntext = \"{{ day.name }}\"\n");
    let r = p.run(&["check"]);
    assert!(r.stderr.contains("`day.name` is only defined for posts tied to a day"), "{}", r.stderr);
}

#[test]
fn media_must_exist_stay_inside_and_suit_the_platform() {
    let posts = r#"
[[post]]
id = "escape"
date = 2027-03-08
text = "a"
media = [{ file = "../config/herald.toml", alt = "x" }]

[[post]]
id = "missing"
date = 2027-03-09
text = "b"
media = [{ file = "media/nope.jpg", alt = "x" }]

[[post]]
id = "fake"
date = 2027-03-10
text = "c"
media = [{ file = "media/fake.jpg", alt = "x" }]

[[post]]
id = "png-on-instagram"
date = 2027-03-11
text = "d"
channels = ["instagram"]
media = [{ file = "media/card.png", alt = "x" }]

[[post]]
id = "no-image"
date = 2027-03-12
text = "e"
channels = ["instagram"]
"#;
    let p = TestProject::new()
        .campaign_on("c.toml", &["x", "linkedin", "facebook", "instagram"], posts)
        .bytes("campaigns/media/fake.jpg", PNG)
        .bytes("campaigns/media/card.png", PNG);
    let r = p.run(&["check"]);
    assert_eq!(r.code, 1);
    for expected in [
        "error: media file `../config/herald.toml` is outside the campaign folder",
        "error: media file `media/nope.jpg` does not exist",
        "error: `media/fake.jpg` is named like a JPEG image but is a PNG",
        "error: Instagram does not accept PNG images (`media/card.png` for channel `instagram`)",
        "error: post `no-image` has no image, and Instagram posts need one (channel `instagram`)",
    ] {
        assert!(r.stderr.contains(expected), "missing {expected:?} in:\n{}", r.stderr);
    }
}

#[test]
fn overrides_must_name_a_platform_or_channel() {
    let p = TestProject::new()
        .campaign("c.toml", "\n[[post]]\nid = \"p\"\ndate = 2027-03-08\ntext = \"a\"\n[post.linkdin]\ntext = \"b\"\n");
    let r = p.run(&["check"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("error: `[post.linkdin]` is neither a platform nor a channel"), "{}", r.stderr);
    assert!(r.stderr.contains("help: did you mean `linkedin`?"), "{}", r.stderr);
}

#[test]
fn a_post_outside_the_campaign_window_is_reported() {
    let p = TestProject::new().campaign("c.toml", "\n[[post]]\nid = \"late\"\ndate = 2028-01-05\ntext = \"a\"\n");
    let r = p.run(&["check"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .contains("error: post `late` never goes out: its date is outside the campaign (2027-01-01 to 2027-12-31)"),
        "{}",
        r.stderr
    );
}

#[test]
fn missing_translation_is_an_error_or_with_fallback_a_warning() {
    let posts = "\n[[post]]\nid = \"p\"\ndate = 2027-03-08\nchannels = [\"x-fr\"]\ntext = \"Hello\"\n";
    let p = TestProject::new().campaign_on("c.toml", &["x", "x-fr"], posts);
    let r = p.run(&["check"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("error: post `p` has no `fr` translation for channel `x-fr`"), "{}", r.stderr);
    let text = std::fs::read_to_string(p.path().join("campaigns/c.toml"))
        .unwrap()
        .replace("time = \"09:00\"", "time = \"09:00\"\nmissing_translation = \"fallback\"");
    let p = p.file("campaigns/c.toml", &text);
    let r = p.run(&["check"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("warning: post `p` has no `fr` translation"), "{}", r.stderr);
    // The help does not ask for the setting the campaign already has.
    assert!(
        r.stderr.contains(
            "= help: add `[post.translations]` with `fr = \"…\"`; until then the `en` text goes out (`missing_translation = \"fallback\"`)\n"
        ),
        "{}",
        r.stderr
    );
}

#[test]
fn outside_a_project_is_an_operational_failure() {
    let dir = tempfile::tempdir().unwrap();
    let r = crate::support::run_in(dir.path(), &["check"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("is not a herald project: there is no config/herald.toml in it"), "{}", r.stderr);
}

#[test]
fn check_can_be_limited_to_named_files() {
    let p = TestProject::new()
        .campaign("good.toml", "\n[[post]]\nid = \"p\"\ndate = 2027-03-08\ntext = \"a\"\n")
        .file("campaigns/bad.toml", "[campaign]\nname = 1\n");
    assert_eq!(p.run(&["check"]).code, 1);
    let r = p.run(&["check", "campaigns/good.toml"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
}

#[test]
fn config_errors_are_located_too() {
    let p = TestProject::new()
        .file("config/herald.toml", "[channels.x]\nplatform = \"twiter\"\nhandle = \"@a\"\nlanguge = \"en\"\n");
    let r = p.run(&["check"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("error: invalid `platform`: unknown platform `twiter`\n --> config/herald.toml:2:12"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("help: did you mean `twitter`?"), "{}", r.stderr);
    assert!(r.stderr.contains("error: unknown key `languge` in `[channels.x]`"), "{}", r.stderr);
}

#[test]
fn unknown_days_suggest_the_nearest_ids() {
    let p = TestProject::new().campaign("c.toml", "\n[[post]]\nid = \"p\"\nday = \"world-watter-day\"\ntext = \"a\"\n");
    let r = p.run(&["check"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("error: unknown day `world-watter-day`\n  --> campaigns/c.toml:13:7"), "{}", r.stderr);
    assert!(r.stderr.contains("help: did you mean `world-water-day`?"), "{}", r.stderr);
}

#[test]
fn bad_offsets_and_cron_rules_are_explained() {
    let p = TestProject::new().campaign(
        "c.toml",
        "\n[[post]]\nid = \"a\"\nday = \"world-water-day\"\noffset = \"two days before\"\ntext = \"a\"\n\n[[post]]\nid = \"b\"\ncron = \"every monday\"\ntext = \"b\"\n\n[[post]]\nid = \"c\"\ncron = \"0 0 10 * * Mon\"\ntime = \"09:00\"\ntext = \"c\"\n",
    );
    let r = p.run(&["check"]);
    assert_eq!(r.code, 1);
    for expected in [
        "error: invalid `offset`: `two days before` is not an offset",
        "help: write a number of days, hours or minutes with an optional sign, e.g. \"-2d\", \"+3h\" or \"-1d12h\"",
        "error: invalid `cron`: `every monday` is not a cron rule",
        "error: a post with `cron` cannot have `time`",
    ] {
        assert!(r.stderr.contains(expected), "missing {expected:?} in:\n{}", r.stderr);
    }
}

#[test]
fn instagram_caps_hashtags_at_thirty() {
    let tags: Vec<String> = (0..31).map(|i| format!("#tag{i}")).collect();
    let posts = format!(
        "\n[[post]]\nid = \"tags\"\ndate = 2027-03-08\ntext = \"{}\"\nmedia = [{{ file = \"media/a.jpg\", alt = \"a\" }}]\n",
        tags.join(" ")
    );
    let p = TestProject::new().campaign_on("c.toml", &["instagram"], &posts).bytes("campaigns/media/a.jpg", JPEG);
    let r = p.run(&["check"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("the text has 33 hashtags; Instagram allows at most 30"), "{}", r.stderr);
}

#[test]
fn named_files_are_relative_to_the_project_directory_like_git_c() {
    let p = TestProject::new()
        .campaign_on(
            "good.toml",
            &["instagram"],
            "\n[[post]]\nid = \"p\"\ndate = 2027-03-08\ntext = \"a\"\nmedia = [{ file = \"media/a.jpg\", alt = \"a\" }]\n",
        )
        .bytes("campaigns/media/a.jpg", JPEG);
    // Run from inside campaigns/, pointing -C at the project: the file is named from the project.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_herald"))
        .current_dir(p.path().join("campaigns"))
        .args(["-C", "..", "--color", "never", "check", "campaigns/good.toml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let r = crate::support::run_in(p.path(), &["check", "campaigns"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("it is a directory, not a campaign file"), "{}", r.stderr);
}

#[test]
fn one_mistake_is_reported_once() {
    // A missing Instagram image is "does not exist", not also "has no image".
    let p = TestProject::new().campaign_on(
        "c.toml",
        &["instagram"],
        "\n[[post]]\nid = \"p\"\ndate = 2027-03-08\ntext = \"a\"\nmedia = [{ file = \"media/nope.jpg\", alt = \"a\" }]\n",
    );
    let r = p.run(&["check"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("media file `media/nope.jpg` does not exist"), "{}", r.stderr);
    assert!(!r.stderr.contains("has no image"), "{}", r.stderr);
    assert!(r.stderr.contains("error: 1 error, 0 warnings"), "{}", r.stderr);
}

#[test]
fn cron_posts_reject_times_in_override_tables_too() {
    let p = TestProject::new().campaign(
        "c.toml",
        "\n[[post]]\nid = \"w\"\ncron = \"0 0 10 * * Wed\"\ntext = \"a\"\n[post.linkedin]\ntime = \"12:00\"\n",
    );
    let r = p.run(&["check"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("error: a post with `cron` cannot have `time`"), "{}", r.stderr);
    assert!(r.stderr.contains("campaigns/c.toml:16:8"), "{}", r.stderr);
}

#[test]
fn a_channel_table_text_is_used_in_that_channels_language() {
    let p = TestProject::new().campaign_on(
        "c.toml",
        &["x", "x-fr"],
        "\n[[post]]\nid = \"p\"\ndate = 2027-03-08\ntext = \"Hello\"\n[post.x-fr]\ntext = \"Bonjour\"\n",
    );
    let r = p.run(&["preview", "--from", "2027-03-08", "--to", "2027-03-08", "--channel", "x-fr", "--format", "json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.json()[0]["text"].as_str().unwrap().starts_with("Bonjour"));
    assert_eq!(r.json()[0]["language"], "fr");
}

#[test]
fn a_template_error_at_render_time_is_reported_once_per_post() {
    let p = TestProject::new().campaign(
        "c.toml",
        "\n[[post]]\nid = \"p\"\nday = \"world-water-day\"\ntext = \"{{ day.date | format_date(5) }}\"\n",
    );
    let r = p.run(&["check"]);
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr.matches("error: post `p` (2027-03-22 09:00): the text could not be rendered").count(),
        1,
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("value is not a string") && r.stderr.contains("help: a value is of the wrong kind here"),
        "{}",
        r.stderr
    );
}

#[test]
fn never_going_out_names_the_real_cause() {
    let p = TestProject::new().campaign(
        "c.toml",
        "\n[[post]]\nid = \"vesak\"\nday = \"day-of-vesak\"\ntext = \"a\"\n\n[[post]]\nid = \"feb30\"\ncron = \"0 0 9 30 2 *\"\ntext = \"b\"\n",
    );
    let r = p.run(&["check"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("error: post `vesak` never goes out: day `day-of-vesak` has no date in 2027"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("error: post `feb30` never goes out: the cron rule `0 0 9 30 2 *` matches no time from 2027-01-01 to 2027-12-31"), "{}", r.stderr);
}

#[test]
fn a_post_with_a_bad_day_or_text_still_gets_its_other_mistakes_reported() {
    let p = TestProject::new().campaign_on(
        "c.toml",
        &["x", "instagram"],
        "\n[[post]]\nid = \"a\"\nday = \"world-watter-day\"\ntext = \"{{ dya.name }}\"\n\n[[post]]\nid = \"a\"\ndate = 2027-03-01\ntext = \"{{ nope }}\"\nmedia = [{ file = \"media/missing.jpg\", alt = \"x\" }]\n",
    );
    let r = p.run(&["check"]);
    assert_eq!(r.code, 1);
    for expected in [
        "error: unknown day `world-watter-day`",
        "error: unknown variable `dya.name` in the text",
        "error: duplicate post id `a`",
        "error: unknown variable `nope` in the text",
        "error: media file `media/missing.jpg` does not exist",
    ] {
        assert!(r.stderr.contains(expected), "missing {expected:?} in:\n{}", r.stderr);
    }
}

#[test]
fn missing_credentials_are_named_without_their_values() {
    let config = format!(
        "{}\n[channels.x.credentials]\nconsumer_key = \"env:HERALD_TEST_CK\"\nconsumer_secret = \"env:HERALD_TEST_CS\"\naccess_token = \"env:HERALD_TEST_AT\"\naccess_token_secret = \"env:HERALD_TEST_ATS\"\n",
        crate::support::CONFIG
    );
    let p = TestProject::new()
        .file("config/herald.toml", &config)
        .campaign("c.toml", "\n[[post]]\nid = \"p\"\ndate = 2027-03-08\ntext = \"a\"\n");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_herald"))
        .args(["-C"])
        .arg(p.path())
        .args(["--color", "never", "check"])
        .env("HERALD_TEST_CK", "ck-value-visible-nowhere")
        .env("HERALD_TEST_CS", "cs-value-visible-nowhere")
        .env("HERALD_TEST_AT", "at-value-visible-nowhere")
        .env_remove("HERALD_TEST_ATS")
        .output()
        .unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(0), "a warning: {stderr}");
    assert!(stderr.contains("warning: channel `x` cannot publish: credential `access_token_secret` is missing (environment variable HERALD_TEST_ATS is not set or is empty)"), "{stderr}");
    assert!(!stderr.contains("visible-nowhere"), "a secret value leaked: {stderr}");
    let pasted = config.replace("env:HERALD_TEST_CK", "ck-pasted-by-mistake");
    let r = p.file("config/herald.toml", &pasted).run(&["check"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("this value does not say where the credential is"), "{}", r.stderr);
    assert!(r.stderr.contains("config/herald.toml:29:16"), "{}", r.stderr);
    assert!(
        !r.stderr.contains("ck-pasted-by-mistake"),
        "the line holding a pasted credential is not shown: {}",
        r.stderr
    );
    let typo = config.replace("consumer_secret =", "consumer_secrett =");
    let r = TestProject::new().file("config/herald.toml", &typo).run(&["check"]);
    assert!(r.stderr.contains("error: unknown credential `consumer_secrett` for an X/Twitter channel"), "{}", r.stderr);
    assert!(r.stderr.contains("help: did you mean `consumer_secret`?"), "{}", r.stderr);
}

#[test]
fn a_file_with_errors_still_gets_its_valid_posts_length_checked() {
    let long = "Human security means freedom from fear and freedom from want. ".repeat(6);
    let p = TestProject::new().campaign(
        "c.toml",
        &format!("\n[[post]]\nid = \"typo\"\nday = \"world-watter-day\"\ntext = \"a\"\n\n[[post]]\nid = \"long\"\ndate = 2027-03-08\ntext = \"{long}\"\n"),
    );
    let r = p.run(&["check"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("error: unknown day `world-watter-day`"), "{}", r.stderr);
    assert!(
        r.stderr.contains("error: post `long` on channel `x` (2027-03-08 09:00): the text is 417 characters"),
        "all at once: {}",
        r.stderr
    );
    // …and a broken file is never previewed.
    let r = p.run(&["preview", "--from", "2027-03-01", "--to", "2027-03-31"]);
    assert_eq!(r.code, 1);
    assert!(r.stdout.is_empty(), "{}", r.stdout);
}

#[test]
fn daemon_and_channel_settings_are_checked_with_a_hint() {
    let config = format!(
        "{}\n[daemon]\ncatch_up = \"1 hour\"\nlisten = \"0.0.0.0:9464\"\nmax_attempts = 0\nrequest_timeout = \"0s\"\nmax_sleep = \"0s\"\n",
        crate::support::CONFIG.replace(
            "[channels.instagram]\nplatform = \"instagram\"",
            "[channels.instagram]\nplatform = \"instagram\"\nauth = \"facebok-login\""
        )
    );
    let r = TestProject::new().file("config/herald.toml", &config).run(&["check"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    for expected in [
        "`1 hour` is not a length of time",
        "herald serves /healthz and /metrics on this machine only, not on 0.0.0.0",
        "help: write \"127.0.0.1:9464\"",
        "`max_attempts` must be at least 1",
        "`request_timeout` must be at least 1s",
        "the default is \"30s\"",
        "`max_sleep` must be at least 1s",
        "unknown sign-in `facebok-login` for an Instagram channel",
        "did you mean `facebook-login`?",
    ] {
        assert!(r.stderr.contains(expected), "missing {expected:?} in:\n{}", r.stderr);
    }
    // A channel with credentials must say which account it publishes as.
    let config = crate::support::CONFIG.replace(
        "[channels.linkedin]\nplatform = \"linkedin\"\nhandle = \"@humansecurityforall\"",
        "[channels.linkedin]\nplatform = \"linkedin\"\nhandle = \"@humansecurityforall\"\n[channels.linkedin.credentials]\naccess_token = \"env:HERALD_LI\"",
    );
    let r = TestProject::new().file("config/herald.toml", &config).run(&["check"]);
    assert!(r.stderr.contains("channel `linkedin` has credentials but no `account`"), "{}", r.stderr);
    assert!(r.stderr.contains("add `account = \"urn:li:organization:12345678\"`"), "{}", r.stderr);
}

#[test]
fn online_check_of_a_channel_without_credentials_points_at_the_channel() {
    let p = TestProject::new().campaign("c.toml", "\n[[post]]\nid = \"p\"\ndate = 2027-03-08\ntext = \"a\"\n");
    let r = p.run(&["check", "--online"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("error: channel `x` cannot be checked online: missing credentials `consumer_key`"),
        "{}",
        r.stderr
    );
    let config = std::fs::read_to_string(p.path().join("config/herald.toml")).unwrap();
    let line = config.lines().position(|l| l.trim() == "[channels.x]").expect("the x channel") + 1;
    assert!(r.stderr.contains(&format!("--> config/herald.toml:{line}:11")), "{}", r.stderr);
}

#[test]
fn sending_from_a_channel_without_credentials_says_what_to_add_in_one_line() {
    let p = TestProject::new().campaign("c.toml", "\n[[post]]\nid = \"p\"\ndate = 2027-03-08\ntext = \"a\"\n");
    let r = p.run(&["send", "c/p", "--channel", "x"]);
    assert_ne!(r.code, 0, "{}", r.stdout);
    let lines: Vec<&str> = r.stdout.lines().filter(|l| l.contains("not sent")).collect();
    assert_eq!(
        lines,
        [
            "  not sent: channel `x` has no credentials: add `[channels.x.credentials]` with consumer_key, consumer_secret, access_token, access_token_secret to config/herald.toml (see README.md, \"Publishing\")"
        ],
        "{}",
        r.stdout
    );
}

#[test]
fn dates_outside_the_years_herald_schedules_in_are_errors_not_cut() {
    let posts = "\n[[post]]\nid = \"far\"\ncron = \"0 0 10 * * Mon\"\ntext = \"Every Monday.\"\n";
    let p = TestProject::new().file(
        "campaigns/c.toml",
        &format!(
            "{}{posts}",
            crate::support::CAMPAIGN_HEAD
                .replace("starts = 2027-01-01", "starts = 1900-01-01")
                .replace("ends = 2027-12-31", "ends = 9999-12-31")
        ),
    );
    let r = p.run(&["check"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    for expected in [
        "1900-01-01 is outside the years herald schedules posts in (1970 to 2100)",
        "9999-12-31 is outside",
        "campaigns/c.toml:",
    ] {
        assert!(r.stderr.contains(expected), "missing {expected:?} in:\n{}", r.stderr);
    }
}

/// `[channels.x]` at `base_url`, with `[channels.x.credentials]` when `credentials`.
fn x_at(base_url: &str, credentials: bool) -> String {
    let mut config =
        format!("[channels.x]\nplatform = \"twitter\"\nhandle = \"@humansecurityFA\"\nbase_url = \"{base_url}\"\n");
    if credentials {
        config.push_str(
            "\n[channels.x.credentials]\nconsumer_key = \"env:HERALD_TEST_CK\"\nconsumer_secret = \"env:HERALD_TEST_CS\"\naccess_token = \"env:HERALD_TEST_AT\"\naccess_token_secret = \"env:HERALD_TEST_ATS\"\n",
        );
    }
    config
}

#[test]
fn credentials_are_never_sent_over_plain_http_to_another_machine() {
    let r = TestProject::new().file("config/herald.toml", &x_at("http://api.example.org", true)).run(&["check"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains(
            r#"error: channel `x` would send its credentials in clear text: `base_url` is plain http to `api.example.org`
 --> config/herald.toml:4:12
  |
4 | base_url = "http://api.example.org"
  |            ^^^^^^^^^^^^^^^^^^^^^^^^
  |
  = help: write `https://`; plain `http://` is allowed only to this machine (127.0.0.1, ::1, localhost)
"#
        ),
        "{}",
        r.stderr
    );
    // This machine (the tests' fakes, a local proxy), https anywhere, and no credentials at all pass.
    for (url, credentials) in [
        ("http://127.0.0.1:8080", true),
        ("http://127.10.0.1", true),
        ("https://api.example.org", true),
        ("http://api.example.org", false),
    ] {
        let r = TestProject::new().file("config/herald.toml", &x_at(url, credentials)).run(&["check"]);
        assert!(!r.stderr.contains("clear text"), "{url} (credentials: {credentials}):\n{}", r.stderr);
    }
}

#[test]
fn a_media_address_over_plain_http_is_a_warning() {
    let config = "[channels.facebook]\nplatform = \"facebook\"\nhandle = \"@HS4Aglobal\"\nmedia_base_url = \"http://media.example.org/herald\"\n";
    let r = TestProject::new().file("config/herald.toml", config).run(&["check"]);
    assert_eq!(r.code, 0, "a warning only:\n{}", r.stderr);
    assert!(r.stderr.contains("warning: `media_base_url` of channel `facebook` is plain http"), "{}", r.stderr);
    assert!(r.stderr.contains(" --> config/herald.toml:4:18"), "{}", r.stderr);
    assert!(r.stderr.contains("help: serve the `campaigns/` folder over `https://`"), "{}", r.stderr);
}

#[test]
fn control_and_bidi_characters_in_published_text_are_warnings_at_the_character() {
    let p = TestProject::new().bytes("campaigns/media/water.jpg", JPEG).campaign_on(
        "c.toml",
        &["x", "x-fr"],
        r#"
[[post]]
id = "water"
date = 2027-03-22
text = "Water is life.\u001b[2J\u0007"
link = "https://www.humansecurity.world/\u009b2J"
media = [{ file = "media/water.jpg", alt = "A girl \u202Ecarries water" }]

[post.translations]
fr = "L'eau, c'est la vie.\r"
"#,
    );
    let r = p.run(&["check"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.stderr,
        r#"warning: post `water`: its `text` has an escape character (U+001B) and 1 more such character
  --> campaigns/c.toml:14:23
   |
14 | text = "Water is life.\u001b[2J\u0007"
   |                       ^^^^^^
   |
   = help: it would be published as is; remove it or write it visibly

warning: post `water`: its `link` has a C1 control character (U+009B)
  --> campaigns/c.toml:15:41
   |
15 | link = "https://www.humansecurity.world/\u009b2J"
   |                                         ^^^^^^
   |
   = help: it would be published as is; remove it or write it visibly

warning: post `water`: its alt text of `media/water.jpg` has a bidirectional control character (U+202E)
  --> campaigns/c.toml:16:52
   |
16 | media = [{ file = "media/water.jpg", alt = "A girl \u202Ecarries water" }]
   |                                                    ^^^^^^
   |
   = help: it would be published as is; remove it or write it visibly

warning: post `water`: its `fr` translation has a carriage return (U+000D)
  --> campaigns/c.toml:19:27
   |
19 | fr = "L'eau, c'est la vie.\r"
   |                           ^^
   |
   = help: it would be published as is; remove it or write it visibly

warning: 0 errors, 4 warnings
"#
    );
    assert_eq!(p.run(&["check", "--deny-warnings"]).code, 1);
}

#[test]
fn a_nul_in_published_text_is_an_error_and_so_is_one_a_template_renders() {
    let config = format!(
        "{}\n[[day]]\nid = \"evil-day\"\nname = \"Evil\\u001b[2J Day\\u0000\"\ndates = [2027-05-20]\n",
        crate::support::CONFIG
    );
    let p = TestProject::new().file("config/herald.toml", &config).campaign_on(
        "c.toml",
        &["x"],
        r#"
[[post]]
id = "water"
date = 2027-03-22
text = "Water\u0000 is life."

[[post]]
id = "evil"
day = "evil-day"
text = "Today is {{ day.name }}."
"#,
    );
    let r = p.run(&["check"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(
        r.stderr,
        r#"error: post `water`: its `text` has a NUL character (U+0000)
  --> campaigns/c.toml:14:14
   |
14 | text = "Water\u0000 is life."
   |              ^^^^^^
   |
   = help: a NUL cannot be published (platforms cut the text there or refuse it); remove it

error: post `evil`: its rendered text has a NUL character (U+0000)
  --> campaigns/c.toml:19:8
   |
19 | text = "Today is {{ day.name }}."
   |        ^^^^^^^^^^^^^^^^^^^^^^^^^^
   |
   = help: a NUL cannot be published; remove what puts it there

warning: post `evil`: its rendered text has an escape character (U+001B)
  --> campaigns/c.toml:19:8
   |
19 | text = "Today is {{ day.name }}."
   |        ^^^^^^^^^^^^^^^^^^^^^^^^^^
   |
   = help: a template puts it there (a `[[day]]` name, an escape in a template string): it would be published as is; remove it

error: 2 errors, 1 warning
"#
    );
}
