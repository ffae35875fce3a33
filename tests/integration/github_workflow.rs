//! `examples/github-workflow.yml` cannot rot: it is valid YAML with the steps README.md describes, and
//! every `herald` command line in it parses with herald's own argument definitions.

use clap::{CommandFactory as _, Parser as _};
use herald::cli::Cli;

use crate::support::repo_root;

fn workflow() -> serde_yaml_ng::Value {
    let text = std::fs::read_to_string(repo_root().join("examples/github-workflow.yml")).expect("the example");
    serde_yaml_ng::from_str(&text).expect("valid YAML")
}

/// Every step of every job.
fn steps(workflow: &serde_yaml_ng::Value) -> Vec<&serde_yaml_ng::Value> {
    let jobs = workflow["jobs"].as_mapping().expect("jobs");
    jobs.values().flat_map(|job| job["steps"].as_sequence().expect("steps").iter()).collect()
}

/// The words of each `herald …` command in a shell script, as the shell would pass them: quotes
/// removed, `${{ … }}` expressions and `$VARIABLES` kept as one word, and the command ending at a
/// redirection, a pipe, `;`, `&&`, `||` or the end of the line.
fn herald_commands(script: &str) -> Vec<Vec<String>> {
    let mut commands = Vec::new();
    for line in script.replace("\\\n", " ").lines() {
        let words = shell_words(line);
        // `herald` where a command starts (not `cargo install … herald`).
        let Some(start) = words.iter().enumerate().position(|(i, w)| {
            w == "herald"
                && (i == 0 || matches!(words[i - 1].as_str(), "!" | "if" | "then" | "do" | ";" | "&&" | "||" | "|"))
        }) else {
            continue;
        };
        let end = words[start..]
            .iter()
            .position(|w| matches!(w.as_str(), ">" | ">>" | "2>" | "|" | ";" | "&&" | "||" | "then"))
            .map_or(words.len(), |i| start + i);
        commands.push(words[start..end].to_vec());
    }
    commands
}

fn shell_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quote: Option<char> = None;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.push(c),
            (None, '"' | '\'') => quote = Some(c),
            (None, '$') if chars.peek() == Some(&'{') => {
                // A GitHub expression, `${{ … }}`: one word whatever its spaces.
                word.push(c);
                for c in chars.by_ref() {
                    word.push(c);
                    if word.ends_with("}}") {
                        break;
                    }
                }
            }
            (None, c) if c.is_whitespace() => {
                if !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
            }
            (None, ';') => {
                if !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
                words.push(";".into());
            }
            (None, c) => word.push(c),
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

#[test]
fn the_workflow_has_the_steps_the_readme_describes() {
    let w = workflow();
    assert!(w["on"]["pull_request"].is_mapping(), "runs on pull requests");
    assert_eq!(w["permissions"]["pull-requests"].as_str(), Some("write"));
    let steps = steps(&w);
    let uses = |name: &str| steps.iter().find(|s| s["uses"].as_str().is_some_and(|u| u.starts_with(name))).copied();
    let checkout = uses("actions/checkout@").expect("a checkout");
    assert_eq!(checkout["with"]["fetch-depth"].as_u64(), Some(0), "the base branch's history is needed");
    let script = uses("actions/github-script@").expect("the comment step")["with"]["script"].as_str().unwrap();
    for needed in ["<!-- herald-plan -->", "updateComment", "createComment", "plan.md", "paginate"] {
        assert!(script.contains(needed), "the comment step lacks {needed}");
    }
    assert_eq!(uses("actions/upload-artifact@").expect("the artifact")["with"]["path"].as_str(), Some("preview.html"));
    let runs: String = steps.iter().filter_map(|s| s["run"].as_str()).collect::<Vec<_>>().join("\n");
    for needed in ["herald check --format github", "herald plan --against", "--format markdown > plan.md"] {
        assert!(runs.contains(needed), "no `{needed}` in the workflow");
    }
}

#[test]
fn every_herald_command_in_the_workflow_parses() {
    let w = workflow();
    let commands: Vec<Vec<String>> =
        steps(&w).iter().filter_map(|s| s["run"].as_str()).flat_map(herald_commands).collect();
    assert!(commands.len() >= 3, "check, plan and preview: {commands:?}");
    // `preview --format html` comes with the HTML preview; until this build has it, that one line is
    // skipped visibly (and checked as soon as the build has it).
    let cli = Cli::command();
    let preview_formats: Vec<String> = cli
        .find_subcommand("preview")
        .and_then(|p| p.get_arguments().find(|a| a.get_id() == "format"))
        .map(|a| a.get_possible_values().iter().map(|v| v.get_name().to_string()).collect())
        .unwrap_or_default();
    for words in &commands {
        if words.get(1).map(String::as_str) == Some("preview")
            && words.iter().any(|w| w == "html")
            && !preview_formats.iter().any(|f| f == "html")
        {
            eprintln!("SKIPPED: {words:?} needs `preview --format html`, which this build does not have yet");
            continue;
        }
        if let Err(e) = Cli::try_parse_from(words) {
            panic!("the workflow's {words:?} does not parse:\n{e}");
        }
    }
}

#[test]
fn the_command_finder_reads_shell_lines_as_the_shell_would() {
    assert_eq!(
        herald_commands(
            "if ! herald plan --against \"origin/$BASE_REF\" --format markdown > plan.md; then\n  herald check --format github\nexit 1"
        ),
        vec![
            vec!["herald", "plan", "--against", "origin/$BASE_REF", "--format", "markdown"],
            vec!["herald", "check", "--format", "github"],
        ]
    );
    assert!(herald_commands("cargo install --locked --git \"$HERALD_REPO\" herald").is_empty());
    assert_eq!(
        herald_commands("herald plan --against origin/${{ github.base_ref }} | tee x"),
        vec![vec!["herald", "plan", "--against", "origin/${{ github.base_ref }}"]]
    );
    // A command the finder reads must also be refused when it is wrong.
    assert!(Cli::try_parse_from(["herald", "plan", "--againts", "main"]).is_err());
}

#[test]
fn the_workflows_check_passes_a_production_project_on_a_machine_without_its_credentials() {
    // A calendar set up to publish (README, "Running as a service"): a secrets file on the server and
    // a credential in the environment there. A CI runner has neither.
    let config = format!(
        "secrets_file = \"/etc/herald-test-no-such-dir/secrets.toml\"\n{}\n[channels.x.credentials]\n\
         consumer_key = \"env:HERALD_TEST_UNSET_1\"\nconsumer_secret = \"env:HERALD_TEST_UNSET_2\"\n\
         access_token = \"env:HERALD_TEST_UNSET_3\"\naccess_token_secret = \"env:HERALD_TEST_UNSET_4\"\n\n[channels.linkedin.credentials]\naccess_token = \"file:linkedin\"\n",
        crate::support::CONFIG
            .replace("[channels.linkedin]\n", "[channels.linkedin]\naccount = \"urn:li:organization:1\"\n")
    );
    let p = crate::support::TestProject::new()
        .file("config/herald.toml", &config)
        .campaign("hs4a.toml", "\n[[post]]\nid = \"water\"\ndate = 2027-03-22\ntext = \"Water is life.\"\n");
    let w = workflow();
    let check = steps(&w)
        .iter()
        .filter_map(|s| s["run"].as_str())
        .flat_map(herald_commands)
        .find(|words| words.get(1).map(String::as_str) == Some("check"))
        .expect("the workflow runs check");
    let args: Vec<&str> = check.iter().skip(1).map(String::as_str).collect();
    let r = p.run(&args);
    assert_eq!(r.code, 0, "the workflow's {check:?} fails on every pull request:\n{}", r.all());
    // What the server lacks is still said, as warnings on config/herald.toml.
    assert!(r.stdout.contains("::warning file=config/herald.toml"), "{}", r.stdout);
    assert!(r.stdout.contains("secrets file /etc/herald-test-no-such-dir/secrets.toml"), "{}", r.stdout);
    assert!(!r.stdout.contains("::error"), "{}", r.stdout);
}
