//! The international-days calendar: which observance falls on which date.
//!
//! Owns the built-in list of UN international days (`config/international-days.toml`, compiled in and
//! parsed once), the rule language for fixed and movable days (`March 8`, `first Monday of October`,
//! `last Thursday of September`, or dates set year by year; see [`DayRule`]) and the resolution of a day
//! to its date in a given year. The user's config can add days and override any built-in day; that
//! merging happens in [`Calendar::insert`].

#[cfg(test)]
mod data_tests;
mod rule;
#[cfg(test)]
mod rule_tests;
#[cfg(test)]
mod tests;

pub use rule::{DayRule, Nth};

use chrono::{Datelike, NaiveDate};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, LazyLock};
use toml::{Table, Value};

/// The built-in days file, compiled in.
pub const BUILTIN_DAYS_FILE: &str = include_str!("../../config/international-days.toml");

static BUILTIN: LazyLock<Calendar> = LazyLock::new(|| {
    let days = parse_days_file(BUILTIN_DAYS_FILE)
        .unwrap_or_else(|e| panic!("bug: the built-in config/international-days.toml is invalid: {e}"));
    days.into_iter().collect()
});

/// One observance on the calendar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observance {
    /// Stable kebab-case id, e.g. `international-womens-day`.
    pub id: String,
    /// Official English name, e.g. `International Women's Day`.
    pub name: String,
    /// How its date is found each year.
    pub rule: DayRule,
    /// The first year it is observed: earlier years have no date. `None` means no limit.
    pub since: Option<i32>,
    /// Its official name in other languages, by language tag (`fr`, `es`, `ar`, `zh`, `ru`…).
    pub names: BTreeMap<String, String>,
}

impl Observance {
    /// An observance with no first year.
    #[must_use]
    pub fn new(id: impl Into<String>, name: impl Into<String>, rule: DayRule) -> Observance {
        Observance { id: id.into(), name: name.into(), rule, since: None, names: BTreeMap::new() }
    }

    /// Its name in `language` (a tag such as `fr` or `pt-BR`: the whole tag, then its primary
    /// subtag): the English name for English, `None` when the list has no name in that language.
    #[must_use]
    pub fn name_in(&self, language: &str) -> Option<&str> {
        let primary = language.split('-').next().unwrap_or(language);
        if primary == "en" {
            return Some(&self.name);
        }
        self.names.get(language).or_else(|| self.names.get(primary)).map(String::as_str)
    }

    /// Its date in `year`, or `None` if it has none that year (before [`Observance::since`], or its rule
    /// gives none, see [`DayRule::date_in`]).
    #[must_use]
    pub fn date_in(&self, year: i32) -> Option<NaiveDate> {
        if self.since.is_some_and(|since| year < since) {
            return None;
        }
        self.rule.date_in(year)
    }
}

/// The resolved calendar: built-in days plus the user's additions and overrides.
///
/// Cloning is cheap (the days are shared until a clone is changed). Days keep the order they were
/// inserted in; an override keeps the place of the day it replaces.
#[derive(Debug, Clone, Default)]
pub struct Calendar {
    inner: Arc<Inner>,
}

#[derive(Debug, Clone, Default)]
struct Inner {
    days: Vec<Observance>,
    /// Id → position in `days`.
    index: HashMap<String, usize>,
}

impl Calendar {
    /// The built-in UN international days (`config/international-days.toml`), parsed on first use.
    ///
    /// # Panics
    /// Only if the compiled-in file is invalid, which is a bug (a test proves it parses).
    #[must_use]
    pub fn builtin() -> Calendar {
        BUILTIN.clone()
    }

    /// The day with this id.
    #[must_use]
    pub fn get(&self, id: &str) -> Option<&Observance> {
        self.inner.index.get(id).map(|&i| &self.inner.days[i])
    }

    /// Whether a day has this id.
    #[must_use]
    pub fn contains(&self, id: &str) -> bool {
        self.inner.index.contains_key(id)
    }

    /// Adds `day`, or replaces the day with the same id (a user override).
    pub fn insert(&mut self, day: Observance) {
        let inner = Arc::make_mut(&mut self.inner);
        if let Some(&i) = inner.index.get(&day.id) {
            inner.days[i] = day;
        } else {
            inner.index.insert(day.id.clone(), inner.days.len());
            inner.days.push(day);
        }
    }

    /// Removes the day with this id, returning it.
    pub fn remove(&mut self, id: &str) -> Option<Observance> {
        let inner = Arc::make_mut(&mut self.inner);
        let i = inner.index.remove(id)?;
        let day = inner.days.remove(i);
        for (j, later) in inner.days.iter().enumerate().skip(i) {
            inner.index.insert(later.id.clone(), j);
        }
        Some(day)
    }

    /// Every day, in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = &Observance> {
        self.inner.days.iter()
    }

    /// Every day's id, in insertion order.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.iter().map(|day| day.id.as_str())
    }

    /// Every (date, observance) with `from <= date <= to`, sorted by date then id. Empty if `from > to`.
    #[must_use]
    pub fn between(&self, from: NaiveDate, to: NaiveDate) -> Vec<(NaiveDate, &Observance)> {
        let mut found = Vec::new();
        if from > to {
            return found;
        }
        for year in from.year()..=to.year() {
            for day in self.iter() {
                if let Some(date) = day.date_in(year)
                    && from <= date
                    && date <= to
                {
                    found.push((date, day));
                }
            }
        }
        found.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.id.cmp(&b.1.id)));
        found
    }

    /// The days that fall on `date`, sorted by id.
    #[must_use]
    pub fn on(&self, date: NaiveDate) -> Vec<&Observance> {
        self.between(date, date).into_iter().map(|(_, day)| day).collect()
    }

    /// How many days there are.
    #[must_use]
    pub fn len(&self) -> usize {
        self.inner.days.len()
    }

    /// Whether there are no days.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.inner.days.is_empty()
    }
}

impl FromIterator<Observance> for Calendar {
    /// A calendar of these days; a later day replaces an earlier one with the same id.
    fn from_iter<I: IntoIterator<Item = Observance>>(days: I) -> Calendar {
        let mut calendar = Calendar::default();
        calendar.extend(days);
        calendar
    }
}

impl Extend<Observance> for Calendar {
    /// Inserts each day (see [`Calendar::insert`]).
    fn extend<I: IntoIterator<Item = Observance>>(&mut self, days: I) {
        for day in days {
            self.insert(day);
        }
    }
}

/// Whether `id` is a valid day id: lower-case ASCII letters and digits in words joined by single hyphens,
/// e.g. `world-habitat-day`.
#[must_use]
pub fn is_valid_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .split('-')
            .all(|word| !word.is_empty() && word.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()))
}

const KEYS: &str = "id, name, names, rule, dates, since";
const ID_HELP: &str =
    "help: use lower-case ASCII letters and digits joined by single hyphens, e.g. `world-habitat-day`";
const RULE_HELP: &str =
    "help: give a `rule` such as \"March 8\" or \"first Monday of October\", or `dates` such as [2026-05-01]";
const DATES_HELP: &str = "help: write plain dates, without quotes or times, e.g. dates = [2026-05-01, 2027-05-20]";
const SINCE_HELP: &str = "help: give the first year the day is observed, e.g. since = 2025";
const TABLE_HELP: &str = "help: write each day as a `[[day]]` table";
const NAMES_HELP: &str = "help: write the names by language tag, e.g. names = { fr = \"Journée mondiale de l'eau\" }";

/// `Err("{message}\n{help}")`.
fn fail<T>(message: impl std::fmt::Display, help: &str) -> Result<T, String> {
    Err(format!("{message}\n{help}"))
}

/// Parse a days file in the format of `config/international-days.toml` (`[[day]]` tables with `id`,
/// `name`, one of `rule` or `dates`, and optionally `since`).
///
/// # Errors
/// A message naming the entry (its position and id) and saying what is wrong, then a line `help: …` with
/// the fix where there is one: invalid TOML, an unknown or missing key, a bad id, rule or date, both or
/// neither of `rule` and `dates`, or a repeated id.
pub fn parse_days_file(src: &str) -> Result<Vec<Observance>, String> {
    let mut table: Table = toml::from_str(src).map_err(|e| format!("the days file is not valid TOML: {e}"))?;
    let entries = match table.remove("day") {
        None => Vec::new(),
        Some(Value::Array(entries)) => entries,
        Some(_) => return fail("`day` must be an array of tables", TABLE_HELP),
    };
    if let Some(key) = table.keys().next() {
        return fail(format_args!("unknown top-level key `{key}`"), TABLE_HELP);
    }
    let mut days: Vec<Observance> = Vec::with_capacity(entries.len());
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (n, entry) in (1..).zip(entries) {
        let Value::Table(entry) = entry else {
            return fail(format_args!("day #{n} is not a table"), TABLE_HELP);
        };
        let day = parse_entry(&entry).map_err(|e| match entry.get("id").and_then(Value::as_str) {
            Some(id) => format!("day #{n} (\"{id}\"): {e}"),
            None => format!("day #{n}: {e}"),
        })?;
        if let Some(first) = seen.insert(day.id.clone(), n) {
            return fail(
                format_args!("day #{n} repeats the id \"{}\" of day #{first}", day.id),
                "help: give each day its own id",
            );
        }
        days.push(day);
    }
    Ok(days)
}

/// One `[[day]]` table.
fn parse_entry(entry: &Table) -> Result<Observance, String> {
    let known = |key: &str| KEYS.split(", ").any(|k| k == key);
    if let Some(key) = entry.keys().find(|key| !known(key)) {
        return fail(format_args!("unknown key `{key}`"), &format!("help: a day has {KEYS}"));
    }
    let text = |key: &str| match entry.get(key) {
        None => Err(format!("`{key}` is missing")),
        Some(Value::String(s)) if s.trim().is_empty() => Err(format!("`{key}` is empty")),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(_) => Err(format!("`{key}` must be a string")),
    };
    let id = text("id")?;
    if !is_valid_id(&id) {
        return fail(format_args!("the id `{id}` is not kebab-case"), ID_HELP);
    }
    let name = text("name")?;
    let rule = match (entry.get("rule"), entry.get("dates")) {
        (Some(_), Some(_)) => {
            return fail("both `rule` and `dates` are given", "help: give one of them");
        }
        (None, None) => return fail("`rule` is missing", RULE_HELP),
        (Some(Value::String(rule)), None) => rule.parse::<DayRule>().map_err(|e| format!("rule `{rule}`: {e}"))?,
        (Some(_), None) => return fail("`rule` must be a string", RULE_HELP),
        (None, Some(Value::Array(dates))) if dates.is_empty() => {
            return fail("`dates` is empty", DATES_HELP);
        }
        (None, Some(Value::Array(dates))) => {
            let dates = dates.iter().map(local_date).collect::<Result<Vec<_>, _>>()?;
            DayRule::from_dates(dates).map_err(|e| format!("`dates`: {e}"))?
        }
        (None, Some(_)) => return fail("`dates` must be an array of dates", DATES_HELP),
    };
    let since = match entry.get("since") {
        None => None,
        Some(Value::Integer(year)) => match i32::try_from(*year) {
            Ok(year) => Some(year),
            Err(_) => {
                return fail(format_args!("`since = {year}` is not a plausible year"), SINCE_HELP);
            }
        },
        Some(_) => return fail("`since` must be a year", SINCE_HELP),
    };
    let names = match entry.get("names") {
        None => BTreeMap::new(),
        Some(Value::Table(names)) => {
            let mut out = BTreeMap::new();
            for (language, name) in names {
                if crate::config::names::Language::try_from(language.clone()).is_err() {
                    return fail(format_args!("`names.{language}`: not a language tag"), NAMES_HELP);
                }
                match name {
                    Value::String(s) if !s.trim().is_empty() => out.insert(language.clone(), s.clone()),
                    _ => return fail(format_args!("`names.{language}` must be a name"), NAMES_HELP),
                };
            }
            out
        }
        Some(_) => return fail("`names` must be a table", NAMES_HELP),
    };
    Ok(Observance { id, name, rule, since, names })
}

/// A TOML local date (`2026-05-01`, no time or offset) as a `NaiveDate`.
fn local_date(value: &Value) -> Result<NaiveDate, String> {
    let Value::Datetime(dt) = value else {
        return fail(format_args!("`{value}` is not a plain date"), DATES_HELP);
    };
    let (Some(date), None, None) = (dt.date, dt.time, dt.offset) else {
        return fail(format_args!("`{value}` is not a plain date"), DATES_HELP);
    };
    let (year, month, day) = (i32::from(date.year), u32::from(date.month), u32::from(date.day));
    NaiveDate::from_ymd_opt(year, month, day).ok_or_else(|| format!("`{dt}` is not a date"))
}
