//! `herald days`.

use std::fmt::Write as _;
use std::path::Path;

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use super::{EXIT_OK, Format, Output};
use crate::config::{ConfigError, load_project};
use crate::days::Calendar;

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
    format: Format,
    today: NaiveDate,
) -> Result<Output, ConfigError> {
    // Inside a project, the user's own days count too; elsewhere the built-in calendar is listed.
    let calendar = match load_project(dir, Some(&[])) {
        Ok(loaded) => loaded.project.calendar,
        Err(ConfigError::NotAProject { .. }) => Calendar::builtin(),
        Err(e) => return Err(e),
    };
    let (from, to) = match (from, to) {
        (Some(f), Some(t)) => (f, t),
        _ => {
            let y = year.unwrap_or(today.year());
            (NaiveDate::from_ymd_opt(y, 1, 1).unwrap_or(today), NaiveDate::from_ymd_opt(y, 12, 31).unwrap_or(today))
        }
    };
    let days: Vec<Day<'_>> = calendar
        .between(from, to)
        .into_iter()
        .map(|(date, d)| Day { id: &d.id, name: &d.name, date: date.to_string(), rule: d.rule.to_string() })
        .collect();
    let stdout = match format {
        Format::Json => format!("{}\n", serde_json::to_string_pretty(&days).expect("days serialize")),
        Format::Text => {
            let mut out = String::new();
            let width = days.iter().map(|d| d.id.len()).max().unwrap_or(0);
            for d in &days {
                let weekday = NaiveDate::parse_from_str(&d.date, "%Y-%m-%d")
                    .map(|x| x.format("%a").to_string())
                    .unwrap_or_default();
                let _ = writeln!(out, "{} {weekday}  {:width$}  {}", d.date, d.id, d.name);
            }
            let _ = writeln!(out, "{} from {from} to {to}", crate::diagnostic::plural(days.len(), "day"));
            out
        }
    };
    Ok(Output { stdout, stderr: String::new(), code: EXIT_OK })
}
