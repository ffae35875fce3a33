//! `herald plan --against REF`: what the working tree's files change against the files at a git ref,
//! publication by publication, with no ledger (see [`crate::review`]).
//!
//! Both sides are loaded and checked as `herald check` would; a side with errors stops the plan with
//! its diagnostics (exit code 1), the ref's files named `REF:path` as git names them, since a plan from
//! broken files would be wrong. git's failures (no repository, an unknown ref) are exit code 2.

use std::path::Path;

use super::{EXIT_FAILURE, EXIT_PROBLEMS, Output};
use crate::config::{CONFIG_PATH, ConfigError, load_project};
use crate::diagnostic::{self, Diagnostic, Source};
use crate::review::{self, Publication, git, output};

/// How `plan` shows its result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum PlanFormat {
    #[default]
    Text,
    Json,
    /// For a comment on a pull request (with `--against`).
    Markdown,
}

fn fail(message: impl std::fmt::Display) -> Output {
    Output {
        stderr: crate::terminal::visible(&format!("error: {message}\n")).into_owned(),
        code: EXIT_FAILURE,
        ..Output::default()
    }
}

/// One side's publications, or the errors (already named for the reader) that stop it.
enum Side {
    Publications(Vec<Publication>),
    Problems(Vec<Diagnostic>),
}

/// Loads the project in `dir` and expands it. `reference` names the ref for the ref's side: its files
/// are shown as `REF:path`, and a ref with no herald project yet has no publications (everything is
/// added).
fn side(dir: &Path, reference: Option<&str>) -> Result<Side, ConfigError> {
    if reference.is_some() && !dir.join(CONFIG_PATH).is_file() {
        return Ok(Side::Publications(Vec::new()));
    }
    let loaded = load_project(dir, None)?;
    if !loaded.diagnostics.iter().any(Diagnostic::is_error)
        && let Ok(p) = review::publications(&loaded.project)
    {
        return Ok(Side::Publications(p));
    }
    // Every error `check` would report: those found reading the files and those found rendering the
    // posts, each where it is.
    let errors = crate::check::errors(&loaded.project, loaded.diagnostics).into_iter();
    Ok(Side::Problems(match reference {
        Some(reference) => errors.map(|d| at_ref(d, reference)).collect(),
        None => errors.collect(),
    }))
}

/// The diagnostic with its file named as git names a file at a ref (`origin/main:campaigns/a.toml`).
fn at_ref(mut d: Diagnostic, reference: &str) -> Diagnostic {
    if let Some(source) = &d.source {
        d.source = Some(Source::new(format!("{reference}:{}", source.path), source.text.clone()));
    }
    d
}

/// `herald plan --against REF [--format text|json|markdown]`.
pub fn run(dir: &Path, reference: &str, format: PlanFormat) -> Output {
    let snapshot = match git::snapshot(dir, reference) {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    let (old, new) = match (side(snapshot.path(), Some(reference)), side(dir, None)) {
        (Ok(old), Ok(new)) => (old, new),
        (Err(e), _) | (_, Err(e)) => return fail(e),
    };
    let (old, new) = match (old, new) {
        (Side::Publications(old), Side::Publications(new)) => (old, new),
        (old, new) => {
            let mut stderr = String::new();
            for (side, what) in [(old, format!("the files at {reference}")), (new, "the working tree's files".into())] {
                if let Side::Problems(mut errors) = side {
                    diagnostic::sort(&mut errors);
                    if !stderr.is_empty() && !stderr.ends_with("\n\n") {
                        stderr.push('\n');
                    }
                    stderr.push_str(&diagnostic::render_all(&errors, false));
                    stderr.push_str(&crate::terminal::visible(&format!(
                        "plan stopped: {what} have errors\n  help: fix them (`herald check` lists them) and run the plan again\n"
                    )));
                }
            }
            return Output { stderr, code: EXIT_PROBLEMS, ..Output::default() };
        }
    };
    let review = review::compare(old, new);
    let stdout = match format {
        PlanFormat::Text => output::text(&review, reference),
        PlanFormat::Json => format!("{:#}\n", output::json(&review, reference, &snapshot.commit)),
        PlanFormat::Markdown => output::markdown(&review, reference),
    };
    Output { stdout, ..Output::default() }
}
