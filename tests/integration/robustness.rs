//! No input a user can write makes herald panic: truncated, mutated and hostile campaign files are
//! reported as diagnostics.

use proptest::prelude::*;

use crate::support::{CAMPAIGN_HEAD, JPEG, TestProject};

const POSTS: &str = r#"
[[post]]
id = "iwd"
day = "international-womens-day"
offset = "-2d"
text = """
In two days, {{ day.name }} ({{ day.date | format_date("%-d %B") }}). {{ hashtags }}
"""
thread = true
media = [{ file = "media/a.jpg", alt = "A card" }]
[post.translations]
fr = "Dans deux jours : {{ day.name }}."
[post.instagram]
text = "Link in bio."

[[post]]
id = "weekly"
cron = "0 0 10 * * Wed"
text = "Every Wednesday: {{ post.date }} {{ link }}"
"#;

/// Loads and checks a project whose campaign file is `text`, in process.
fn check_text(p: &TestProject, text: &str) {
    std::fs::write(p.path().join("campaigns/c.toml"), text).unwrap();
    let loaded = herald::config::load_project(p.path(), None).expect("the project folder is readable");
    let diags = herald::check::check(&loaded.project, loaded.diagnostics);
    for d in &diags {
        let _ = d.render(false);
    }
    let _ = herald::diagnostic::to_json(&diags);
}

fn project() -> TestProject {
    TestProject::new().bytes("campaigns/media/a.jpg", JPEG)
}

#[test]
fn every_truncation_of_a_campaign_file_is_handled() {
    let p = project();
    let full = format!("{CAMPAIGN_HEAD}{POSTS}");
    for end in (0..full.len()).filter(|i| full.is_char_boundary(*i)) {
        check_text(&p, &full[..end]);
    }
}

#[test]
fn hostile_values_are_diagnostics() {
    let p = project();
    for posts in [
        "\n[[post]]\nid = \"a\"\ndate = 2027-02-30\ntext = \"x\"\n",
        "\n[[post]]\nid = \"a\"\ndate = 2027-03-01T10:00:00Z\ntext = \"x\"\n",
        "\n[[post]]\nid = \"a\"\ndate = 2027-03-01\noffset = \"-99999999999999999999d\"\ntext = \"x\"\n",
        "\n[[post]]\nid = \"a\"\ncron = \"* * * * * * * * *\"\ntext = \"x\"\n",
        "\n[[post]]\nid = \"a\"\ndate = 2027-03-01\ntext = \"{{ '{{' }}{% for i in range(100000000) %}{% endfor %}\"\n",
        "\n[[post]]\nid = \"a\"\ndate = 2027-03-01\ntext = \"x\"\nmedia = [{ file = \"/etc/passwd\", alt = \"x\" }]\n",
        "\n[[post]]\nid = \"a\"\ndate = 2027-03-01\ntext = \"x\"\nmedia = \"oops\"\n",
        "\n[[post]]\nid = \"a\"\ndate = 2027-03-01\ntext = 5\n[post.x]\n[post.x.y]\nz = 1\n",
        "\npost = 3\n",
        "\n[[post]]\n[[post]]\n",
    ] {
        check_text(&p, &format!("{CAMPAIGN_HEAD}{posts}"));
    }
    check_text(&p, "\u{feff}[campaign]\0\u{202e}");
    check_text(&p, "campaign = []\n");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Random edits anywhere in a valid file.
    #[test]
    fn mutated_campaign_files_never_panic(
        edits in proptest::collection::vec((any::<prop::sample::Index>(), "[\\[\\]{}\"'=#\\n a-z0-9.:-]{0,4}"), 1..6)
    ) {
        let p = project();
        let mut text = format!("{CAMPAIGN_HEAD}{POSTS}");
        for (at, insert) in edits {
            let mut i = at.index(text.len() + 1);
            while !text.is_char_boundary(i) { i -= 1; }
            let end = (i + insert.len()).min(text.len());
            let mut end = end;
            while !text.is_char_boundary(end) { end -= 1; }
            text.replace_range(i..end, &insert);
        }
        check_text(&p, &text);
    }
}

#[test]
fn a_file_that_is_not_utf8_is_located_and_the_others_still_checked() {
    let p = TestProject::new()
        .bytes("campaigns/latin1.toml", b"[campaign]\nname = \"Caf\xe9\"\n")
        .file("campaigns/other.toml", "[campaign]\nnmae = \"x\"\n");
    let r = p.run(&["check"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("error: this file is not UTF-8 text\n --> campaigns/latin1.toml:2:12"), "{}", r.stderr);
    assert!(r.stderr.contains("unknown key `nmae`"), "the other file is checked too: {}", r.stderr);
}

#[test]
fn preview_into_a_closed_pipe_ends_quietly() {
    use std::io::Read as _;
    // A daily post on three channels for a year: far more output than a pipe buffers.
    let p = project().file(
        "campaigns/c.toml",
        &format!("{CAMPAIGN_HEAD}\n[[post]]\nid = \"daily\"\ncron = \"0 0 9 * * *\"\ntext = \"Every day: {{{{ post.date }}}}\"\n"),
    );
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_herald"))
        .args(["-C"])
        .arg(p.path())
        .args(["preview", "--from", "2027-01-01", "--to", "2027-12-31"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 16];
    child.stdout.as_mut().unwrap().read_exact(&mut first).unwrap();
    drop(child.stdout.take());
    let mut stderr = String::new();
    child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(stderr.is_empty(), "{stderr}");
}
