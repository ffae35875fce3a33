//! `herald days`: the international days and their dates, as a table (names shown through
//! [`crate::terminal::visible_line`]), as JSON (exact names) or as an iCalendar feed of all-day events
//! ([`crate::ics`]).

use std::fmt::Write as _;
use std::path::Path;

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use super::{DaysFormat, EXIT_OK, Output};
use crate::config::{ConfigError, load_project};
use crate::days::Calendar;
use crate::terminal::visible_line;

#[derive(Serialize)]
struct Day<'a> {
    id: &'a str,
    name: &'a str,
    date: String,
    rule: String,
}

pub fn run(
    dir: &Path,
    year: Option<i32>,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    format: DaysFormat,
    today: NaiveDate,
) -> Result<Output, ConfigError> {
    // Inside a project, the user's own days count too; elsewhere the built-in calendar is listed.
    let (calendar, problems) = match load_project(dir, Some(&[])) {
        Ok(loaded) => {
            let mut problems: Vec<_> = loaded.diagnostics.into_iter().filter(|d| d.is_error()).collect();
            crate::diagnostic::sort(&mut problems);
            (loaded.project.calendar, problems)
        }
        Err(ConfigError::NotAProject { .. }) => (Calendar::builtin(), Vec::new()),
        Err(e) => return Err(e),
    };
    let (from, to) = match (from, to) {
        (Some(f), Some(t)) => (f, t),
        _ => {
            let y = year.unwrap_or(today.year());
            match (NaiveDate::from_ymd_opt(y, 1, 1), NaiveDate::from_ymd_opt(y, 12, 31)) {
                (Some(f), Some(t)) => (f, t),
                _ => {
                    return Ok(Output {
                        stderr: format!("error: {y} is not a year herald can list\n"),
                        code: super::EXIT_FAILURE,
                        ..Output::default()
                    });
                }
            }
        }
    };
    let days: Vec<Day<'_>> = calendar
        .between(from, to)
        .into_iter()
        .map(|(date, d)| Day { id: &d.id, name: &d.name, date: date.to_string(), rule: d.rule.to_string() })
        .collect();
    let stdout = match format {
        DaysFormat::Json => format!("{}\n", serde_json::to_string_pretty(&days).expect("days serialize")),
        DaysFormat::Ics => {
            let mut out = crate::ics::begin("International days");
            for (date, d) in calendar.between(from, to) {
                out.push_str(&crate::ics::day(&d.id, &d.name, date, &d.rule.to_string()));
            }
            out.push_str(crate::ics::end());
            out
        }
        DaysFormat::Text => {
            let mut out = String::new();
            let width = days.iter().map(|d| d.id.len()).max().unwrap_or(0);
            for d in &days {
                let weekday = NaiveDate::parse_from_str(&d.date, "%Y-%m-%d")
                    .map(|x| x.format("%a").to_string())
                    .unwrap_or_default();
                // A `[[day]]` name is the user's text: shown, never acted on by the terminal.
                let _ = writeln!(out, "{} {weekday}  {:width$}  {}", d.date, d.id, visible_line(d.name));
            }
            let _ = writeln!(out, "{} from {from} to {to}", crate::diagnostic::plural(days.len(), "day"));
            out
        }
    };
    // Days from a broken `[[day]]` are missing from the list: say so, and fail.
    let code = if problems.is_empty() { EXIT_OK } else { super::EXIT_PROBLEMS };
    let stderr = if problems.is_empty() { String::new() } else { crate::diagnostic::render_all(&problems, false) };
    Ok(Output { stdout, stderr, code })
}
