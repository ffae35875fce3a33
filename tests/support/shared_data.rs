//! The reference data in `../shared/data/` (the twitter-text conformance suite, X's OpenAPI spec).
//!
//! CI always has that folder; a fresh clone does not. A test that needs a file from it calls
//! [`shared_data`]: when the file is missing, the test **fails** if the `CI` environment variable is
//! set (a CI run that silently skips its reference checks would count them as passed), and otherwise
//! says on the terminal that it skipped. The note is written to stderr directly, not through
//! `eprintln!`, which the test harness captures and shows only for failing tests.
//!
//! Used by the integration tests (`tests/support`) and, through `#[path]`, by the library's unit tests.

use std::io::Write as _;
use std::path::PathBuf;

/// `../shared/data/REL` beside the project, when it exists; `None` after a visible "skipped" note.
///
/// # Panics
///
/// When the file is missing and `CI` is set (to anything but `""`, `0` or `false`).
pub fn shared_data(rel: &str) -> Option<PathBuf> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data").join(rel);
    if path.is_file() {
        return Some(path);
    }
    let in_ci = std::env::var("CI").is_ok_and(|v| !matches!(v.trim(), "" | "0" | "false"));
    assert!(!in_ci, "{} is missing, and CI is set: CI must provide ../shared/data (see its README.md)", path.display());
    let test = std::thread::current().name().unwrap_or("a test").to_owned();
    let _ = writeln!(std::io::stderr(), "SKIPPED {test}: {} is not present (CI has it)", path.display());
    None
}

#[cfg(test)]
mod tests {
    /// A missing file fails the test under CI and is skipped (None) elsewhere.
    #[test]
    fn a_missing_file_fails_under_ci_and_is_skipped_elsewhere() {
        let in_ci = std::env::var("CI").is_ok_and(|v| !matches!(v.trim(), "" | "0" | "false"));
        let got = std::panic::catch_unwind(|| super::shared_data("no-such-file.json"));
        match got {
            Err(_) => assert!(in_ci, "panicked outside CI"),
            Ok(found) => {
                assert!(!in_ci, "CI is set, yet a missing file did not fail");
                assert!(found.is_none());
            }
        }
        assert!(super::shared_data("x-openapi.json").is_some() || !in_ci);
    }
}
