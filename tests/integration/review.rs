//! A pull request's review: `plan --against REF` on a real git repository (a temporary one, committed
//! and then edited), and `check --format github`.
//!
//! These tests need the `git` binary: without it they say so and pass, except in CI (`CI` set), where
//! they fail.

use std::path::Path;
use std::process::Command;

use crate::support::{TestProject, run_in};

/// Whether git can be run; prints why a test is skipped, and fails in CI.
fn have_git() -> bool {
    let ok = Command::new("git").arg("--version").output().is_ok_and(|o| o.status.success());
    if !ok {
        assert!(std::env::var_os("CI").is_none(), "git is needed by the review tests and CI must have it");
        eprintln!("SKIPPED: git is not installed, so `plan --against` cannot be tested here");
    }
    ok
}

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "user.name=Herald Test", "-c", "user.email=test@example.org", "-c", "commit.gpgsign=false"])
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .expect("run git");
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// Makes `dir` a repository on branch `main` with everything in it committed.
fn commit_all(dir: &Path) {
    if !dir.join(".git").exists() {
        git(dir, &["init", "-q", "-b", "main"]);
    }
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", "calendar"]);
}

const BEFORE: &str = r#"
[[post]]
id = "water"
date = 2027-03-22
text = "Water is life."

[[post]]
id = "gone"
date = 2027-04-01
text = "A post that will be deleted."

[[post]]
id = "peace"
date = 2027-09-21
text = "Peace is human security."
"#;

/// `BEFORE` edited: one channel's text changed, one post removed, one moved, one added.
const AFTER: &str = r#"
[[post]]
id = "water"
date = 2027-03-22
text = "Water is life."

[post.linkedin]
text = "Water is life, and peace."

[[post]]
id = "peace"
date = 2027-09-21
time = "11:00"
text = "Peace is human security."

[[post]]
id = "youth"
date = 2027-08-12
channels = ["x"]
link = false
text = "Young people build peace."
"#;

fn edited_project() -> TestProject {
    let p = TestProject::new().campaign("hs4a.toml", BEFORE);
    commit_all(p.path());
    p.campaign("hs4a.toml", AFTER)
}

#[test]
fn each_change_is_shown_with_its_kind_per_channel() {
    if !have_git() {
        return;
    }
    let p = edited_project();
    let r = p.run(&["plan", "--against", "main"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.stdout,
        "Plan against main: 1 added, 3 removed, 3 moved, 1 changed across 1 campaign (2 unchanged)

hs4a
  ~ 2027-03-22 09:00 EDT  water → linkedin
      Water is [-life.-]{+life, and peace.+}

      https://www.humansecurity.world
      #HumanSecurity #HS4A
  - 2027-04-01 09:00 EDT  gone → facebook
  - 2027-04-01 09:00 EDT  gone → linkedin
  - 2027-04-01 09:00 EDT  gone → x
  + 2027-08-12 09:00 EDT  youth → x
      Young people build peace.

      #HumanSecurity #HS4A
  > 2027-09-21 09:00 EDT → 2027-09-21 11:00 EDT  peace → facebook
  > 2027-09-21 09:00 EDT → 2027-09-21 11:00 EDT  peace → linkedin
  > 2027-09-21 09:00 EDT → 2027-09-21 11:00 EDT  peace → x
"
    );
    // The same files as the ref: nothing changes.
    git(p.path(), &["stash", "-q"]);
    let same = p.run(&["plan", "--against", "main"]);
    assert_eq!(same.stdout, "Plan against main: no changes (9 unchanged)\n");
}

#[test]
fn markdown_is_a_summary_then_a_folded_section_per_campaign() {
    if !have_git() {
        return;
    }
    let p = TestProject::new().campaign_on("hs4a.toml", &["x"], BEFORE);
    commit_all(p.path());
    let p = p.campaign_on(
        "hs4a.toml",
        &["x"],
        &BEFORE.replace("Water is life.", "Water is life. <script>@octocat</script> | `x`"),
    );
    let r = p.run(&["plan", "--against", "main", "--format", "markdown"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.stdout,
        "**herald plan** against `main`: 1 changed across 1 campaign (2 unchanged)

<details><summary><b>hs4a</b>: 1 changed</summary>

#### x (twitter)

**✏️ changed** `water` · 2027-03-22 09:00 EDT

<pre>Water is life.<ins> &lt;script&gt;@octocat&lt;/script&gt; | `x`</ins>

https://www.humansecurity.world
#HumanSecurity #HS4A</pre>

</details>

"
    );
}

#[test]
fn json_has_the_documented_shape_and_the_exact_texts() {
    if !have_git() {
        return;
    }
    let p = edited_project();
    let r = p.run(&["plan", "--against", "main", "--format", "json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v = r.json();
    assert_eq!(v["against"], "main");
    assert_eq!(v["commit"].as_str().map(str::len), Some(40), "{v}");
    assert_eq!(
        v["summary"],
        serde_json::json!({"added": 1, "removed": 3, "moved": 3, "changed": 1, "unchanged": 2, "campaigns": 1})
    );
    let changed = &v["changes"][0];
    assert_eq!(
        changed["text_diff"],
        serde_json::json!([
            {"op": "equal", "text": "Water is "},
            {"op": "delete", "text": "life."},
            {"op": "insert", "text": "life, and peace."},
            {"op": "equal", "text": "\n\nhttps://www.humansecurity.world\n#HumanSecurity #HS4A"},
        ])
    );
    let moved = v["changes"].as_array().unwrap().iter().find(|c| c["change"] == "moved").unwrap();
    assert_eq!(
        (moved["old"]["at_utc"].as_str(), moved["new"]["at_utc"].as_str(), moved["new"]["at_local"].as_str()),
        (Some("2027-09-21T13:00:00Z"), Some("2027-09-21T15:00:00Z"), Some("2027-09-21T11:00:00-04:00"))
    );
    assert_eq!(moved["edited"], false);
    let removed = v["changes"].as_array().unwrap().iter().find(|c| c["change"] == "removed").unwrap();
    assert_eq!(removed["new"], serde_json::Value::Null);
    assert_eq!(removed["old"]["text"], "A post that will be deleted.\n\n#HumanSecurity #HS4A");
    assert_eq!(removed["old"]["link"], "https://www.humansecurity.world", "Facebook sends the link in its own field");
}

#[test]
fn an_unknown_ref_or_a_folder_outside_git_is_an_operational_failure() {
    if !have_git() {
        return;
    }
    let p = TestProject::new().campaign("hs4a.toml", BEFORE);
    let outside = p.run(&["plan", "--against", "main"]);
    assert_eq!(outside.code, 2, "{}", outside.all());
    assert!(outside.stderr.contains("is not in a git repository"), "{}", outside.stderr);
    commit_all(p.path());
    let r = p.run(&["plan", "--against", "origin/main"]);
    assert_eq!(r.code, 2);
    assert!(r.stdout.is_empty());
    assert!(r.stderr.starts_with("error: unknown git ref `origin/main`: "), "{}", r.stderr);
    assert!(r.stderr.contains("help: fetch it first (`git fetch origin`)"), "{}", r.stderr);
    let option = p.run(&["plan", "--against=--output=/tmp/herald-x"]);
    assert_eq!(option.code, 2);
    assert!(option.stderr.contains("is not a git ref (it starts with `-`)"), "{}", option.stderr);
    let markdown = p.run(&["plan", "--format", "markdown"]);
    assert_eq!(markdown.code, 2);
    assert!(markdown.stderr.contains("--format markdown needs --against REF"), "{}", markdown.stderr);
}

#[test]
fn a_broken_file_on_either_side_stops_the_plan_with_its_diagnostics() {
    if !have_git() {
        return;
    }
    // Broken at the ref, fixed in the working tree.
    let p =
        TestProject::new().campaign("hs4a.toml", &BEFORE.replace("id = \"gone\"", "id = \"gone\"\ntiem = \"10:00\""));
    commit_all(p.path());
    let p = p.campaign("hs4a.toml", BEFORE);
    let r = p.run(&["plan", "--against", "main"]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(r.stdout.is_empty(), "{}", r.stdout);
    assert!(r.stderr.contains("error: unknown key `tiem`"), "{}", r.stderr);
    assert!(r.stderr.contains("--> main:campaigns/hs4a.toml:18:1"), "{}", r.stderr);
    assert!(r.stderr.contains("plan stopped: the files at main have errors"), "{}", r.stderr);
    assert!(!r.stderr.contains("working tree"), "{}", r.stderr);

    // Fine at the ref, broken in the working tree (a post too long for X).
    commit_all(p.path());
    let p = p.campaign("hs4a.toml", &BEFORE.replace("Water is life.", &"Water is life. ".repeat(30)));
    let r = p.run(&["plan", "--against", "main"]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(r.stderr.contains("over its limit of 280"), "{}", r.stderr);
    assert!(r.stderr.contains("--> campaigns/hs4a.toml:"), "{}", r.stderr);
    assert!(r.stderr.contains("plan stopped: the working tree's files have errors"), "{}", r.stderr);
}

#[test]
fn a_project_in_a_subfolder_and_a_ref_before_the_project_existed() {
    if !have_git() {
        return;
    }
    let repo = tempfile::tempdir().unwrap();
    std::fs::write(repo.path().join("README.md"), "the calendar\n").unwrap();
    commit_all(repo.path());
    git(repo.path(), &["tag", "before"]);
    let project = repo.path().join("calendar");
    std::fs::create_dir_all(project.join("config")).unwrap();
    std::fs::create_dir_all(project.join("campaigns/media")).unwrap();
    std::fs::write(project.join("config/herald.toml"), crate::support::CONFIG).unwrap();
    std::fs::write(project.join("campaigns/media/card.jpg"), crate::support::JPEG).unwrap();
    let campaign = format!(
        "{}{}",
        crate::support::CAMPAIGN_HEAD.replace("channels = [\"x\", \"linkedin\", \"facebook\"]", "channels = [\"x\"]"),
        "\n[[post]]\nid = \"water\"\ndate = 2027-03-22\ntext = \"Water.\"\nmedia = [{ file = \"media/card.jpg\", alt = \"A card\" }]\n"
    );
    std::fs::write(project.join("campaigns/hs4a.toml"), &campaign).unwrap();
    // Before the project: everything is added.
    let r = run_in(&project, &["plan", "--against", "before"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.starts_with("Plan against before: 1 added across 1 campaign (0 unchanged)\n"), "{}", r.stdout);
    // Committed with its image (read from the ref, so the image is checked there too); then the alt text
    // is edited.
    commit_all(repo.path());
    std::fs::write(project.join("campaigns/hs4a.toml"), campaign.replace("A card", "A blue card")).unwrap();
    let r = run_in(&project, &["plan", "--against", "main"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.stdout,
        "Plan against main: 1 changed across 1 campaign (0 unchanged)

hs4a
  ~ 2027-03-22 09:00 EDT  water → x
      images: media/card.jpg (A card) → media/card.jpg (A blue card)
"
    );
}

#[test]
fn check_for_github_names_files_from_the_repository_root() {
    let repo = tempfile::tempdir().unwrap();
    std::fs::create_dir(repo.path().join(".git")).unwrap();
    let project = repo.path().join("calendar");
    std::fs::create_dir_all(project.join("config")).unwrap();
    std::fs::create_dir_all(project.join("campaigns")).unwrap();
    std::fs::write(project.join("config/herald.toml"), crate::support::CONFIG).unwrap();
    std::fs::write(
        project.join("campaigns/hs4a.toml"),
        format!(
            "{}\n[[post]]\nid = \"water\"\ndate = 2027-03-22\ntetx = \"Water, 100%\"\n",
            crate::support::CAMPAIGN_HEAD
        ),
    )
    .unwrap();
    let r = run_in(&project, &["check", "--format", "github"]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert_eq!(
        r.stdout,
        "::error file=calendar/campaigns/hs4a.toml,line=14,endLine=14,col=1,endColumn=4,title=herald check%3A error::unknown key `tetx` in `[[post]]`%0Ahelp: did you mean `text`?
"
    );
}

#[test]
fn an_image_replaced_under_the_same_name_is_a_change() {
    if !have_git() {
        return;
    }
    let post = "\n[[post]]\nid = \"water\"\ndate = 2027-03-22\ntext = \"Water.\"\nmedia = [{ file = \"media/card.jpg\", alt = \"A card\" }]\n";
    let p = TestProject::new().bytes("campaigns/media/card.jpg", crate::support::JPEG).campaign_on(
        "hs4a.toml",
        &["x"],
        post,
    );
    commit_all(p.path());
    // The same file name and alt text, another picture.
    let p = p.bytes("campaigns/media/card.jpg", &[crate::support::JPEG, b"another picture"].concat());
    let r = p.run(&["plan", "--against", "main"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.stdout,
        "Plan against main: 1 changed across 1 campaign (0 unchanged)

hs4a
  ~ 2027-03-22 09:00 EDT  water → x
      images: media/card.jpg replaced (the same name, another file)
"
    );
    let json = p.run(&["plan", "--against", "main", "--format", "json"]).json();
    let (old, new) = (&json["changes"][0]["old"]["media"][0], &json["changes"][0]["new"]["media"][0]);
    assert_eq!((&old["file"], &new["file"]), (&"media/card.jpg".into(), &"media/card.jpg".into()));
    assert_eq!(new["sha256"].as_str().map(str::len), Some(64), "{new}");
    assert_ne!(old["sha256"], new["sha256"]);
    // Put back as it was: nothing changes.
    let p = p.bytes("campaigns/media/card.jpg", crate::support::JPEG);
    assert_eq!(p.run(&["plan", "--against", "main"]).stdout, "Plan against main: no changes (1 unchanged)\n");
}

#[test]
fn a_stopped_plan_lists_every_error_as_check_does() {
    if !have_git() {
        return;
    }
    let p = TestProject::new().campaign("hs4a.toml", BEFORE);
    commit_all(p.path());
    // A key typo (found when the file is read) and a text too long for X (found when it is rendered).
    let broken = BEFORE
        .replace("id = \"gone\"", "id = \"gone\"\ntiem = \"10:00\"")
        .replace("Peace is human security.", &"Peace is human security. ".repeat(15));
    let p = p.campaign("hs4a.toml", &broken);
    let r = p.run(&["plan", "--against", "main"]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(r.stdout.is_empty(), "{}", r.stdout);
    assert!(r.stderr.contains("error: unknown key `tiem`"), "{}", r.stderr);
    assert!(r.stderr.contains("over its limit of 280"), "{}", r.stderr);
    let check = p.run(&["check"]);
    assert_eq!(check.code, 1);
    let count = |s: &str| s.lines().filter(|l| l.starts_with("error: ") && !l.contains(" errors, ")).count();
    assert_eq!(count(&r.stderr), count(&check.stderr), "plan:\n{}\ncheck:\n{}", r.stderr, check.stderr);
}
