//! The rule language for an observance's date: a fixed date (`March 8`), a weekday counted within a month
//! (`first Monday of October`, `last Thursday of September`), or dates set year by year.
//!
//! [`DayRule`] parses from and displays as that language; [`DayRule::date_in`] resolves a rule to its date
//! in a given year.

use chrono::{Datelike, Days, NaiveDate, Weekday};
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

/// How an observance's date is found each year.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DayRule {
    /// The same month and day every year, e.g. `March 8`. `February 29` has no date in common years.
    Fixed { month: u32, day: u32 },
    /// A weekday counted within a month, e.g. `first Monday of October`, `last Thursday of September`.
    NthWeekday { nth: Nth, weekday: Weekday, month: u32 },
    /// Dates set year by year (e.g. a day tied to the lunar calendar): only listed years have a date.
    /// Keyed by year; each date lies in its key's year.
    Dates(BTreeMap<i32, NaiveDate>),
}

/// Which occurrence of a weekday in a month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Nth {
    First,
    Second,
    Third,
    Fourth,
    Last,
}

/// What the accepted forms are, for error messages.
const FORMS: &str = "a rule is a date such as \"March 8\" or a weekday in a month such as \"first Monday of October\" \
     (first, second, third, fourth or last), with months and weekdays written in full";

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// The most days each month can have (February 29 is a valid rule).
const MONTH_DAYS: [u32; 12] = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

const WEEKDAYS: [(Weekday, &str); 7] = [
    (Weekday::Mon, "Monday"),
    (Weekday::Tue, "Tuesday"),
    (Weekday::Wed, "Wednesday"),
    (Weekday::Thu, "Thursday"),
    (Weekday::Fri, "Friday"),
    (Weekday::Sat, "Saturday"),
    (Weekday::Sun, "Sunday"),
];

impl Nth {
    /// Every position, in order.
    pub const ALL: [Nth; 5] = [Nth::First, Nth::Second, Nth::Third, Nth::Fourth, Nth::Last];

    /// The lower-case English word, as written in a rule: `first` … `fourth`, `last`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Nth::First => "first",
            Nth::Second => "second",
            Nth::Third => "third",
            Nth::Fourth => "fourth",
            Nth::Last => "last",
        }
    }
}

impl fmt::Display for Nth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The English name of a month (1–12), or `None`.
fn month_name(month: u32) -> Option<&'static str> {
    MONTHS.get(usize::try_from(month).ok()?.checked_sub(1)?).copied()
}

/// The English name of a weekday, e.g. `Monday`.
fn weekday_name(weekday: Weekday) -> &'static str {
    WEEKDAYS.iter().find(|(w, _)| *w == weekday).map_or("?", |(_, name)| name)
}

fn parse_month(word: &str) -> Result<u32, String> {
    if let Some(i) = MONTHS.iter().position(|m| m.eq_ignore_ascii_case(word)) {
        return Ok(u32::try_from(i).map_or(0, |i| i + 1));
    }
    let lower = word.to_ascii_lowercase();
    if lower.len() >= 3
        && let Some(full) = MONTHS.iter().find(|m| m.to_ascii_lowercase().starts_with(&lower))
    {
        return Err(format!("`{word}` is not a month name\nhelp: write the month in full (`{full}`); {FORMS}"));
    }
    Err(format!("`{word}` is not a month\nhelp: {FORMS}"))
}

fn parse_weekday(word: &str) -> Result<Weekday, String> {
    if let Some((weekday, _)) = WEEKDAYS.iter().find(|(_, name)| name.eq_ignore_ascii_case(word)) {
        return Ok(*weekday);
    }
    let lower = word.to_ascii_lowercase();
    if lower.len() >= 2
        && let Some((_, full)) = WEEKDAYS.iter().find(|(_, n)| n.to_ascii_lowercase().starts_with(&lower))
    {
        return Err(format!("`{word}` is not a weekday name\nhelp: write the weekday in full (`{full}`); {FORMS}"));
    }
    Err(format!("`{word}` is not a weekday\nhelp: {FORMS}"))
}

fn parse_nth(word: &str) -> Result<Nth, String> {
    Nth::ALL
        .into_iter()
        .find(|n| n.as_str().eq_ignore_ascii_case(word))
        .ok_or_else(|| {
            format!("`{word}` is not a position in the month\nhelp: use first, second, third, fourth or last, e.g. \"first Monday of October\"")
        })
}

/// A day of the month written as a plain number (`8`, `08`).
fn parse_day_number(word: &str) -> Option<u32> {
    if word.is_empty() || word.len() > 2 || !word.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    word.parse().ok()
}

fn is_number_like(word: &str) -> bool {
    word.bytes().next().is_some_and(|b| b.is_ascii_digit())
}

/// `<Month> <day>` or `<day> <Month>`.
fn parse_fixed(a: &str, b: &str) -> Result<DayRule, String> {
    let (month_word, day_word) = if is_number_like(a) && !is_number_like(b) { (b, a) } else { (a, b) };
    let month = parse_month(month_word)?;
    let Some(day) = parse_day_number(day_word) else {
        return Err(format!(
            "`{day_word}` is not a day of the month\nhelp: write the day as a plain number, e.g. \"March 8\""
        ));
    };
    let max = MONTH_DAYS[usize::try_from(month - 1).unwrap_or(0)];
    if day == 0 || day > max {
        let name = month_name(month).unwrap_or("that month");
        return Err(format!("`{name} {day}` is not a date\nhelp: {name} has {max} days at most"));
    }
    Ok(DayRule::Fixed { month, day })
}

impl FromStr for DayRule {
    type Err = String;

    /// Parses `March 8` (also `8 March`) or `first Monday of October`; case-insensitive, with an optional
    /// leading `the`. The error says what is wrong and what the accepted forms are.
    fn from_str(s: &str) -> Result<Self, String> {
        let mut words: Vec<&str> = s.split_whitespace().collect();
        if words.len() > 1 && words[0].eq_ignore_ascii_case("the") {
            words.remove(0);
        }
        match words.as_slice() {
            [] => Err(format!("the rule is empty\nhelp: {FORMS}")),
            [a, b] => parse_fixed(a, b),
            [nth, weekday, of, month] if of.eq_ignore_ascii_case("of") => Ok(DayRule::NthWeekday {
                nth: parse_nth(nth)?,
                weekday: parse_weekday(weekday)?,
                month: parse_month(month)?,
            }),
            _ => Err(format!("`{}` is not a rule\nhelp: {FORMS}", s.trim())),
        }
    }
}

impl fmt::Display for DayRule {
    /// The canonical form, which parses back to the same rule: `March 8`, `first Monday of October`.
    /// Dates set year by year display as `set year by year (2026, 2027)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DayRule::Fixed { month, day } => match month_name(*month) {
                Some(name) => write!(f, "{name} {day}"),
                None => write!(f, "month {month} day {day}"),
            },
            DayRule::NthWeekday { nth, weekday, month } => {
                let weekday = weekday_name(*weekday);
                match month_name(*month) {
                    Some(name) => write!(f, "{nth} {weekday} of {name}"),
                    None => write!(f, "{nth} {weekday} of month {month}"),
                }
            }
            DayRule::Dates(dates) if dates.is_empty() => f.write_str("set year by year (no dates)"),
            DayRule::Dates(dates) => {
                f.write_str("set year by year (")?;
                for (i, year) in dates.keys().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{year}")?;
                }
                f.write_str(")")
            }
        }
    }
}

impl DayRule {
    /// A rule of explicit dates, one per year at most.
    ///
    /// # Errors
    /// If two dates fall in the same year (the error names both).
    pub fn from_dates(dates: impl IntoIterator<Item = NaiveDate>) -> Result<DayRule, String> {
        let mut map = BTreeMap::new();
        for date in dates {
            if let Some(other) = map.insert(date.year(), date) {
                return Err(format!("`{other}` and `{date}` are in the same year\nhelp: give one date per year"));
            }
        }
        Ok(DayRule::Dates(map))
    }

    /// Whether the date moves from year to year (a weekday rule or dates set year by year).
    #[must_use]
    pub fn is_movable(&self) -> bool {
        !matches!(self, DayRule::Fixed { .. })
    }

    /// The date this rule gives in `year`, or `None` if it has none that year (`February 29` in a common
    /// year, a year missing from [`DayRule::Dates`], an out-of-range month).
    #[must_use]
    pub fn date_in(&self, year: i32) -> Option<NaiveDate> {
        match self {
            DayRule::Fixed { month, day } => NaiveDate::from_ymd_opt(year, *month, *day),
            DayRule::NthWeekday { nth, weekday, month } => nth_weekday(year, *month, *nth, *weekday),
            DayRule::Dates(dates) => dates.get(&year).copied(),
        }
    }
}

/// The `nth` `weekday` of `month` in `year`.
fn nth_weekday(year: i32, month: u32, nth: Nth, weekday: Weekday) -> Option<NaiveDate> {
    let first = NaiveDate::from_ymd_opt(year, month, 1)?;
    let weeks = match nth {
        Nth::First => 0,
        Nth::Second => 1,
        Nth::Third => 2,
        Nth::Fourth => 3,
        Nth::Last => {
            let last = if month == 12 {
                NaiveDate::from_ymd_opt(year, 12, 31)?
            } else {
                NaiveDate::from_ymd_opt(year, month + 1, 1)?.pred_opt()?
            };
            let back = (7 + last.weekday().num_days_from_monday() - weekday.num_days_from_monday()) % 7;
            return last.checked_sub_days(Days::new(u64::from(back)));
        }
    };
    let ahead = (7 + weekday.num_days_from_monday() - first.weekday().num_days_from_monday()) % 7;
    first.checked_add_days(Days::new(u64::from(ahead + 7 * weeks)))
}

crate::deserialize_from_str!(DayRule);
