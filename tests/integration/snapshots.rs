//! Exact output that people read, kept as snapshots (`tests/integration/snapshots/`): `check`'s
//! diagnostics for the mistakes editors make, and the text preview of the bundled calendar. A change to
//! either shows in review as a diff of the `.snap` file; accept an intended one with `cargo insta
//! review` (cargo-insta) or `INSTA_UPDATE=always cargo test --test integration snapshots`. Under CI a
//! mismatch fails and nothing is written.

use crate::support::{TestProject, repo_root, run_in};

/// One campaign file with the mistakes a comms editor makes most, and one that does not parse.
fn mistakes() -> TestProject {
    TestProject::new()
        .campaign(
            "typos.toml",
            r#"
[[post]]
id = "mother-language"
day = "international-mother-languge-day"
time = "10:00"
text = "Our languages are part of our security."

[[post]]
id = "too-long"
date = 2027-03-08
time = "09:00"
text = """
Human security means freedom from fear, freedom from want and freedom to live in dignity, for every person, in every community, in every country. On International Women's Day we stand with the women who build it every day, in their homes, their fields, their councils and their parliaments.
"""

[[post]]
id = "card"
date = 2027-03-22
time = "09:00"
tetx = "Water is life."
media = [{ file = "media/nope.jpg" }]
"#,
        )
        .file(
            "campaigns/quotes.toml",
            "[campaign]\nid = \"quotes\"\nname = \"Quotes\"\nstarts = 2027-01-01\nends = 2027-12-31\ntimezone = \"UTC\"\nchannels = [\"x\"]\n\n[[post]]\nid = \"q\"\ndate = 2027-03-08\ntext = \u{201c}Peace\u{201d}\n",
        )
}

#[test]
fn check_diagnostics_of_common_mistakes() {
    let r = mistakes().run(&["check"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    insta::assert_snapshot!("check_common_mistakes", r.stderr);
}

#[test]
fn check_json_of_common_mistakes() {
    let r = mistakes().run(&["check", "--format", "json"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    insta::assert_snapshot!("check_common_mistakes_json", r.stdout);
}

#[test]
fn preview_text_of_the_bundled_calendar_in_march_2027() {
    let r = run_in(&repo_root(), &["preview", "--from", "2027-03-01", "--to", "2027-03-31"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    insta::assert_snapshot!("preview_bundled_march_2027", r.stdout);
}
