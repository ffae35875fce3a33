//! `herald init`: a new project that passes `check` as written, and never a write into an existing one.

use std::collections::BTreeMap;
use std::path::Path;

use crate::support::{TestProject, run_in};

/// Every file under `dir` with its bytes: a project's whole state, to compare before and after.
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("read dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path.strip_prefix(dir).expect("inside").display().to_string();
                out.insert(rel, std::fs::read(&path).expect("read file"));
            }
        }
    }
    out
}

#[test]
fn init_creates_a_project_that_passes_check_without_warnings() {
    let parent = tempfile::tempdir().expect("temp dir");
    let dir = parent.path().join("calendar");
    let init = run_in(parent.path(), &["init", "calendar"]);
    assert_eq!(init.code, 0, "{}", init.all());
    assert!(init.stdout.starts_with(&format!("Created a herald project in {}:\n", dir.display())), "{}", init.stdout);
    assert!(init.stdout.contains(&format!("herald -C {} check\n", dir.display())), "{}", init.stdout);
    let files: Vec<String> = tree(&dir).into_keys().collect();
    assert_eq!(files, [".gitignore", "campaigns/first-campaign.toml", "config/herald.toml"]);
    assert_eq!(
        std::fs::read_to_string(dir.join(".gitignore")).expect("read .gitignore"),
        "# herald's state: the daemon's ledger and refreshed tokens. Never commit it.\n/.herald/\n"
    );

    let check = run_in(&dir, &["check", "--deny-warnings", "--format", "json"]);
    assert_eq!(check.code, 0, "{}", check.all());
    assert_eq!(check.json(), serde_json::json!([]));

    // The example post goes out once, on World Water Day, within the campaign's year.
    let preview = run_in(&dir, &["preview", "--to", "2100-01-01", "--format", "json"]);
    assert_eq!(preview.code, 0, "{}", preview.all());
    let entries = preview.json();
    let entries = entries.as_array().expect("an array");
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0]["day"]["id"], "world-water-day");
    assert!(entries[0]["at_utc"].as_str().expect("at_utc").contains("-03-22T10:00:00"), "{entries:?}");
    assert_eq!(
        entries[0]["text"].as_str().expect("text").lines().next(),
        Some("Today is World Water Day. Safe water is part of everyone's security.")
    );
}

#[test]
fn init_refuses_an_existing_project_and_changes_nothing() {
    let project = TestProject::new().file("campaigns/c.toml", "# mine\n").file(".gitignore", "target/\n");
    let before = tree(project.path());
    for args in [&["init"][..], &["init", "."][..]] {
        let r = project.run(args);
        assert_eq!(r.code, 2, "{}", r.all());
        assert!(
            r.stderr.contains("already has config/: herald init writes only into a new project and changed nothing"),
            "{}",
            r.stderr
        );
        assert!(r.stderr.contains("help: "), "{}", r.stderr);
        assert_eq!(tree(project.path()), before, "herald init changed the project");
    }
}

#[test]
fn init_refuses_a_folder_with_campaigns_only() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir_all(dir.path().join("campaigns")).expect("mkdir");
    std::fs::write(dir.path().join("campaigns/old.toml"), "x = 1\n").expect("write");
    let r = run_in(dir.path(), &["init"]);
    assert_eq!(r.code, 2, "{}", r.all());
    assert!(r.stderr.contains("already has campaigns/"), "{}", r.stderr);
    assert!(!dir.path().join("config").exists());
}

#[test]
fn init_in_a_repository_appends_the_state_folder_to_its_gitignore_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join(".gitignore"), "target").expect("write");
    std::fs::write(dir.path().join("README.md"), "# ours\n").expect("write");
    let r = run_in(dir.path(), &["init"]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(
        std::fs::read_to_string(dir.path().join(".gitignore")).expect("read"),
        "target\n# herald's state: the daemon's ledger and refreshed tokens. Never commit it.\n/.herald/\n"
    );
    assert_eq!(std::fs::read_to_string(dir.path().join("README.md")).expect("read"), "# ours\n");
    assert_eq!(run_in(dir.path(), &["check"]).code, 0);
}

#[test]
fn the_next_commands_init_prints_can_be_pasted_into_a_shell() {
    let parent = tempfile::tempdir().expect("temp dir");
    // A folder name with a space: the commands quote it.
    let init = run_in(parent.path(), &["init", "My Calendar"]);
    assert_eq!(init.code, 0, "{}", init.all());
    let quoted = format!("'{}'", parent.path().join("My Calendar").display());
    assert!(init.stdout.contains(&format!("\n  herald -C {quoted} check\n")), "{}", init.stdout);
    // The current folder: no -C at all.
    let here = parent.path().join("here");
    std::fs::create_dir(&here).expect("mkdir");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_herald"))
        .arg("init")
        .current_dir(&here)
        .output()
        .expect("run herald init");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.contains("\n  herald check\n  herald preview --to "), "{stdout}");
}

#[test]
fn init_s_commented_channel_examples_are_valid_once_uncommented() {
    let parent = tempfile::tempdir().expect("temp dir");
    let dir = parent.path().join("calendar");
    assert_eq!(run_in(parent.path(), &["init", "calendar"]).code, 0);
    let config = std::fs::read_to_string(dir.join("config/herald.toml")).expect("read the config");
    // Uncomment every block that starts with a commented `[channels.…]` table, up to its blank line.
    let mut out = String::new();
    let mut in_block = false;
    let mut blocks = 0;
    for line in config.lines() {
        if line.starts_with("# [channels.") {
            in_block = true;
            blocks += 1;
        } else if line.trim().is_empty() {
            in_block = false;
        }
        out.push_str(if in_block { line.strip_prefix("# ").unwrap_or(line) } else { line });
        out.push('\n');
    }
    assert_eq!(blocks, 8, "x's credentials; instagram, linkedin, facebook and theirs; x-fr:\n{config}");
    std::fs::write(dir.join("config/herald.toml"), &out).expect("write the config");
    let check = run_in(&dir, &["check", "--format", "json"]);
    assert_eq!(check.code, 0, "{}\n{out}", check.all());
    let errors: Vec<_> =
        check.json().as_array().expect("an array").iter().filter(|d| d["severity"] == "error").cloned().collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let days = run_in(&dir, &["days", "--format", "json"]);
    assert_eq!(days.code, 0, "{}", days.all());
}
