//! A fuzzer for the campaign reader: campaign files generated from the schema's own keys — every key
//! of `[campaign]`, `[[post]]` and a channel's override table, in the right place or the wrong one —
//! with values of every TOML type, valid ones and hostile ones (control characters, bidi overrides,
//! NUL, huge numbers, dates at and past the edges, templates that run away, paths out of the project).
//! Whatever it writes, `check` answers with diagnostics, never a panic, and every error says where it
//! is (file:line:col).
//!
//! `cargo test` runs a fixed number of cases. With `HERALD_FUZZ_SECONDS=N` (as `.ci/run` does) it runs
//! new cases for N seconds and says how many it ran.

use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

use crate::support::{JPEG, TestProject};

const CAMPAIGN_KEYS: &[&str] = &[
    "id",
    "name",
    "timezone",
    "channels",
    "hashtags",
    "link",
    "utm",
    "starts",
    "ends",
    "time",
    "language",
    "missing_translation",
    "catch_up",
];
const POST_KEYS: &[&str] =
    &["id", "day", "date", "cron", "time", "offset", "text", "link", "utm", "hashtags", "media", "thread", "channels"];
const OVERRIDE_TABLES: &[&str] = &["twitter", "x", "linkedin", "facebook", "instagram", "translations"];

/// A TOML value, valid for some key or hostile to all.
fn value() -> impl Strategy<Value = String> {
    let text = prop_oneof![
        Just("Human security for all".to_string()),
        Just("{{ day.name }} {{ hashtags }} {{ link }}".to_string()),
        Just("\\u001b[2J\\u0007\\u009b\\u202e\\u0000".to_string()),
        Just("{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}".to_string()),
        Just("{{ debug() }}{% include 't0' %}".to_string()),
        Just("{{ 'x' * 10**9 }}".to_string()),
        Just("America/New_York".to_string()),
        Just("Mars/Olympus_Mons".to_string()),
        Just("international-womens-day".to_string()),
        Just("0 0 10 * * Mon".to_string()),
        Just("* * * * * *".to_string()),
        Just("-2d".to_string()),
        Just("25:61".to_string()),
        Just("09:00".to_string()),
        Just("https://www.humansecurity.world".to_string()),
        Just("javascript:alert(1)".to_string()),
        Just("../../etc/passwd".to_string()),
        "[a-z0-9 #@:/._-]{0,24}",
        "\\PC{0,12}",
    ];
    prop_oneof![
        text.clone().prop_map(|t| format!("\"{t}\"")),
        text.prop_map(|t| format!("'''{t}'''")),
        any::<i64>().prop_map(|n| n.to_string()),
        Just("1e400".to_string()),
        any::<bool>().prop_map(|b| b.to_string()),
        Just("2027-03-08".to_string()),
        Just("0000-01-01".to_string()),
        Just("9999-12-31".to_string()),
        Just("1969-12-31".to_string()),
        Just("2027-03-08T10:00:00Z".to_string()),
        Just("[\"x\", \"linkedin\", \"nowhere\"]".to_string()),
        Just("[{ file = \"media/a.jpg\", alt = \"A card\" }, { file = \"/dev/zero\" }]".to_string()),
        Just("{ nested = { deeper = [1, \"two\", 3.0] } }".to_string()),
        Just("[]".to_string()),
    ]
}

/// `key = value` lines for some of `keys` (and now and then a key that does not exist).
fn table(keys: &'static [&'static str]) -> impl Strategy<Value = String> {
    let key = prop_oneof![9 => proptest::sample::select(keys), 1 => Just("nmae")];
    proptest::collection::vec((key, value()), 0..8)
        .prop_map(|pairs| pairs.into_iter().map(|(k, v)| format!("{k} = {v}\n")).collect())
}

/// A whole campaign file: `[campaign]`, posts, override tables, sometimes in the wrong order.
fn campaign_file() -> impl Strategy<Value = String> {
    let post = (table(POST_KEYS), proptest::option::of((proptest::sample::select(OVERRIDE_TABLES), table(POST_KEYS))))
        .prop_map(|(body, over)| {
            let mut s = format!("\n[[post]]\n{body}");
            if let Some((name, over)) = over {
                s.push_str(&format!("[post.{name}]\n{over}"));
            }
            s
        });
    (table(CAMPAIGN_KEYS), proptest::collection::vec(post, 0..5), any::<bool>()).prop_map(|(head, posts, swap)| {
        let head = format!("[campaign]\n{head}");
        let posts: String = posts.concat();
        if swap { format!("{posts}\n{head}") } else { format!("{head}{posts}") }
    })
}

/// Checks one generated file in process: no panic, and every error located.
fn check_one(p: &TestProject, text: &str) -> Result<(), TestCaseError> {
    std::fs::write(p.path().join("campaigns/c.toml"), text).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let loaded = herald::config::load_project(p.path(), None).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let diags = herald::check::check(&loaded.project, loaded.diagnostics);
    for d in diags.iter().filter(|d| d.is_error()) {
        let shown = d.render(false);
        prop_assert!(d.location().is_some(), "an error without a place:\n{shown}\nin:\n{text}");
    }
    let _ = herald::diagnostic::to_json(&diags);
    Ok(())
}

#[test]
fn generated_campaign_files_are_answered_with_located_diagnostics() {
    let p = TestProject::new().bytes("campaigns/media/a.jpg", JPEG);
    let seconds: u64 = std::env::var("HERALD_FUZZ_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(0);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(seconds);
    let mut rounds = 0u64;
    let mut cases = 0u64;
    loop {
        // A new seed each round when fuzzing for a time; the same cases every plain `cargo test`.
        let config = Config { cases: 48, failure_persistence: None, ..Config::default() };
        let mut runner = match seconds {
            0 => TestRunner::new_with_rng(config, TestRng::deterministic_rng(RngAlgorithm::ChaCha)),
            _ => TestRunner::new(config),
        };
        if let Err(e) = runner.run(&campaign_file(), |text| check_one(&p, &text)) {
            panic!("{e}");
        }
        rounds += 1;
        cases += 48;
        if seconds == 0 || std::time::Instant::now() >= deadline {
            break;
        }
    }
    if seconds > 0 {
        println!(
            "fuzzed the campaign reader for {seconds} s: {cases} generated files in {rounds} rounds, all answered"
        );
    }
}
