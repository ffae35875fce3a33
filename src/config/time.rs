//! Validated time values: zones, dates, local times, offsets and cron rules, and the one function that
//! turns a local wall-clock time into an instant.
//!
//! DST policy (documented in README.md): a local time that does not exist because clocks jump forward
//! (e.g. 02:30 on the night summer time starts) is moved forward by the length of the gap (03:30); a local
//! time that happens twice because clocks go back is the first of the two (summer time).

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike as _, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone as _, Utc};
use chrono_tz::Tz;
use serde::Deserialize;

use crate::diagnostic::did_you_mean;

/// Implements `Deserialize` through `FromStr` (whose error is the message, with an optional
/// `\nhelp: …` line), so a value is validated where it is read.
#[macro_export]
macro_rules! deserialize_from_str {
    ($($t:ty),* $(,)?) => {$(
        impl<'de> serde::Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <String as serde::Deserialize>::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    )*};
}

deserialize_from_str!(TimeZone, Offset, CronRule, Interval);

/// An IANA time zone such as `America/New_York`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeZone(pub Tz);

impl FromStr for TimeZone {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        s.parse::<Tz>().map(TimeZone).map_err(|_| {
            let names = chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name());
            // A city as people write it (`New York`, `paris`): the zone named after it.
            let city = s.trim().replace(' ', "_");
            let by_city = names
                .clone()
                .find(|n| n.rsplit('/').next().is_some_and(|last| n.contains('/') && last.eq_ignore_ascii_case(&city)));
            let help = by_city
                .map(|n| format!("did you mean `{n}`?"))
                .or_else(|| did_you_mean(s, names))
                .unwrap_or_else(|| "use an IANA time zone name such as `America/New_York` or `Europe/Zurich`".into());
            format!("unknown time zone `{s}`\nhelp: {help}")
        })
    }
}

/// The years herald schedules posts in: the recurring rules (cron) and the international days are
/// computed for these years only, so a date outside them is an error, never silently cut.
pub const YEARS: std::ops::RangeInclusive<i32> = 1970..=2100;

/// A calendar date, written as a TOML date (`2027-03-08`) or a string in that form, in [`YEARS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date(pub NaiveDate);

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Toml(toml::value::Datetime),
            Text(String),
        }
        let help = "\nhelp: write a date as YYYY-MM-DD, e.g. 2027-03-08";
        let raw = Raw::deserialize(d).map_err(|_| serde::de::Error::custom(format!("expected a date{help}")))?;
        let (text, only_date) = match raw {
            Raw::Toml(dt) => (dt.to_string(), dt.time.is_none() && dt.offset.is_none()),
            Raw::Text(s) => (s, true),
        };
        match NaiveDate::parse_from_str(&text, "%Y-%m-%d") {
            Ok(date) if only_date && YEARS.contains(&date.year()) => Ok(Date(date)),
            Ok(_) if only_date => Err(serde::de::Error::custom(format!(
                "{text} is outside the years herald schedules posts in ({} to {})\nhelp: campaigns and posts are dated from {}-01-01 to {}-12-31",
                YEARS.start(),
                YEARS.end(),
                YEARS.start(),
                YEARS.end(),
            ))),
            _ => {
                // `"03/05/2027"`: which date is meant, as for the same date written without quotes.
                let help = match super::reader::slash_date_help(text.trim()) {
                    Some((written, slash)) if written == text.trim() => format!("\nhelp: {slash}"),
                    _ => help.to_string(),
                };
                Err(serde::de::Error::custom(format!("`{text}` is not a date{help}")))
            }
        }
    }
}

/// A wall-clock time, `HH:MM` (or `HH:MM:SS`), local to the campaign's time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct LocalTime(pub NaiveTime);

impl FromStr for LocalTime {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        NaiveTime::parse_from_str(s, "%H:%M")
            .or_else(|_| NaiveTime::parse_from_str(s, "%H:%M:%S"))
            .map(LocalTime)
            .map_err(|_| {
                format!("`{s}` is not a time of day\nhelp: write 24-hour time as HH:MM, e.g. \"09:00\" or \"17:30\"")
            })
    }
}

/// Text (`"09:00"`); a TOML time written without quotes (`09:00`) is refused with the fix, rather than
/// with serde's "invalid type: map".
impl<'de> Deserialize<'de> for LocalTime {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Text(String),
            Toml(toml::value::Datetime),
        }
        match Raw::deserialize(d) {
            Ok(Raw::Text(s)) => s.parse().map_err(serde::de::Error::custom),
            Ok(Raw::Toml(dt)) if dt.date.is_none() && dt.offset.is_none() => {
                let written = dt.to_string();
                let written = written.strip_suffix(":00").filter(|_| written.len() == 8).unwrap_or(&written);
                Err(serde::de::Error::custom(format!(
                    "`{written}` needs quotes\nhelp: write `\"{written}\"`: herald reads a time of day as text, HH:MM"
                )))
            }
            _ => Err(serde::de::Error::custom(
                "expected a time of day\nhelp: write 24-hour time as HH:MM in quotes, e.g. \"09:00\" or \"17:30\"",
            )),
        }
    }
}

impl fmt::Display for LocalTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.format("%H:%M"))
    }
}

/// A shift relative to a day, e.g. `-2d`, `+3h`, `-1d12h`, `90m`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Offset(pub Duration);

impl FromStr for Offset {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let err = || {
            format!(
                "`{s}` is not an offset\nhelp: write a number of days, hours or minutes with an optional sign, e.g. \"-2d\", \"+3h\" or \"-1d12h\""
            )
        };
        let t = s.trim();
        let (sign, body) = match t.as_bytes().first() {
            Some(b'-') => (-1, &t[1..]),
            Some(b'+') => (1, &t[1..]),
            _ => (1, t),
        };
        let seconds = seconds_in(body, &[('d', 86_400), ('h', 3_600), ('m', 60)]).ok_or_else(err)?;
        // Bounded so that any offset stays within a year of its day.
        if seconds > 366 * 86_400 {
            return Err(err());
        }
        let total = Duration::seconds(seconds as i64);
        Ok(Offset(total * sign))
    }
}

/// A length of time for the daemon's settings, e.g. `1h`, `30m`, `90s`, `1h30m`, `2d` (up to 30 days).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interval(pub std::time::Duration);

impl FromStr for Interval {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let err = || format!("`{s}` is not a length of time\nhelp: write e.g. \"1h\", \"30m\", \"90s\" or \"1h30m\"");
        let total = seconds_in(s.trim(), &[('d', 86_400), ('h', 3_600), ('m', 60), ('s', 1)]).ok_or_else(err)?;
        if total > 30 * 86_400 {
            return Err(err());
        }
        Ok(Interval(std::time::Duration::from_secs(total)))
    }
}

/// The seconds in `1d12h`-style text: numbers each followed by one of `units` (its letter and
/// seconds), or a lone `0`. `None` when malformed or beyond `u64`.
fn seconds_in(text: &str, units: &[(char, u64)]) -> Option<u64> {
    if text == "0" {
        return Some(0);
    }
    let (mut total, mut digits, mut seen_unit) = (0u64, String::new(), false);
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let n: u64 = digits.parse().ok()?;
        let (_, unit) = units.iter().find(|(letter, _)| *letter == c)?;
        total = n.checked_mul(*unit).and_then(|v| total.checked_add(v))?;
        digits.clear();
        seen_unit = true;
    }
    (digits.is_empty() && seen_unit).then_some(total)
}

/// A recurring schedule in the `cron` crate's syntax: `sec min hour day-of-month month day-of-week
/// [year]`. A five-field crontab line (`min hour dom month dow`) is accepted too and runs at second 0.
#[derive(Debug, Clone)]
pub struct CronRule {
    pub schedule: cron::Schedule,
    pub text: String,
}

impl FromStr for CronRule {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let fields = s.split_whitespace().count();
        let full = if fields == 5 { format!("0 {s}") } else { s.to_string() };
        let help = "\nhelp: write seconds minutes hours day-of-month month day-of-week, e.g. \"0 0 10 * * Mon\" for every Monday at 10:00";
        let schedule = cron::Schedule::from_str(&full).map_err(|e| {
            // The crate's message may span several lines with its own caret; its last line says why.
            let why = e.to_string();
            let why = why.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("invalid").trim().to_string();
            format!("`{s}` is not a cron rule ({why}){help}")
        })?;
        // A campaign post rule that fires every second or minute is a slip of the pen that would flood
        // the channel (and herald's memory): more than 24 a day is refused.
        let probe = chrono::Utc.with_ymd_and_hms(2027, 1, 4, 0, 0, 0).single().unwrap_or_default();
        let per_day = schedule.after(&probe).take_while(|t| *t < probe + chrono::Duration::days(1)).take(25).count();
        if per_day > 24 {
            return Err(format!(
                "`{s}` fires more than 24 times a day\nhelp: the first field is seconds and the second minutes: \"0 0 10 * * *\" is every day at 10:00"
            ));
        }
        Ok(CronRule { schedule, text: s.to_string() })
    }
}

/// How a local time was turned into an instant (shown in previews when it was not plain).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Localized {
    /// The local time exists once.
    Exact,
    /// The local time fell in a DST gap and was moved forward by the gap.
    ShiftedForward,
    /// The local time happened twice; the first was taken.
    FirstOfTwo,
}

/// The instant at which `local` happens in `tz`, following the DST policy in the module docs.
pub fn localize(tz: Tz, local: NaiveDateTime) -> (DateTime<Utc>, Localized) {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => (t.with_timezone(&Utc), Localized::Exact),
        LocalResult::Ambiguous(first, _) => (first.with_timezone(&Utc), Localized::FirstOfTwo),
        LocalResult::None => {
            // Walk forward minute by minute to the end of the gap (gaps are at most a few hours), then
            // keep the same distance past the gap's start as the requested time had.
            for minutes in 1..=24 * 60 {
                let probe = local + Duration::minutes(minutes);
                if let LocalResult::Single(t) | LocalResult::Ambiguous(t, _) = tz.from_local_datetime(&probe) {
                    // `t` is the first valid minute after the gap; the UTC offset before the gap is
                    // the one the wall clock meant, so apply it.
                    let before = tz.offset_from_utc_datetime(&(t.naive_utc() - Duration::minutes(minutes + 1)));
                    use chrono::Offset as _;
                    let utc = local - Duration::seconds(i64::from(before.fix().local_minus_utc()));
                    return (Utc.from_utc_datetime(&utc), Localized::ShiftedForward);
                }
            }
            (Utc.from_utc_datetime(&local), Localized::ShiftedForward)
        }
    }
}

#[cfg(test)]
mod interval_tests {
    use super::*;

    #[test]
    fn intervals_read_like_people_write_them() {
        let secs = |s: &str| s.parse::<Interval>().map(|i| i.0.as_secs());
        assert_eq!(secs("1h"), Ok(3600));
        assert_eq!(secs("1h30m"), Ok(5400));
        assert_eq!(secs("90s"), Ok(90));
        assert_eq!(secs("0"), Ok(0));
        assert_eq!(secs("2d"), Ok(172_800));
        for bad in ["", "1", "h", "1x", "-1h", "31d", "99999999999999999999h"] {
            assert!(secs(bad).unwrap_err().contains("not a length of time"), "{bad}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dt(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    #[test]
    fn offsets_parse_with_sign_and_units() {
        assert_eq!("-2d".parse::<Offset>().unwrap().0, Duration::days(-2));
        assert_eq!("+3h".parse::<Offset>().unwrap().0, Duration::hours(3));
        assert_eq!("-1d12h".parse::<Offset>().unwrap().0, -(Duration::days(1) + Duration::hours(12)));
        assert_eq!("90m".parse::<Offset>().unwrap().0, Duration::minutes(90));
        assert_eq!("0".parse::<Offset>().unwrap().0, Duration::zero());
        for bad in ["", "2", "-d", "2 days", "3w", "1d-2h", "99999d", "367d", "-400d", "90s"] {
            assert!(bad.parse::<Offset>().is_err(), "{bad}");
        }
    }

    #[test]
    fn a_city_written_as_people_write_it_suggests_its_zone() {
        let e = "New York".parse::<TimeZone>().unwrap_err();
        assert!(e.ends_with("help: did you mean `America/New_York`?"), "{e}");
        let e = "paris".parse::<TimeZone>().unwrap_err();
        assert!(e.ends_with("help: did you mean `Europe/Paris`?"), "{e}");
        // The example in the help is a zone herald accepts.
        let e = "Nowhere".parse::<TimeZone>().unwrap_err();
        for example in [e.split('`').nth(3).unwrap(), e.split('`').nth(5).unwrap()] {
            assert!(example.parse::<TimeZone>().is_ok(), "{example}: {e}");
        }
    }

    #[test]
    fn times_and_zones_parse_with_helpful_errors() {
        assert_eq!("09:00".parse::<LocalTime>().unwrap().to_string(), "09:00");
        assert!("25:00".parse::<LocalTime>().unwrap_err().contains("HH:MM"));
        let e = "America/New_Yrok".parse::<TimeZone>().unwrap_err();
        assert!(e.contains("did you mean `America/New_York`"), "{e}");
    }

    #[test]
    fn five_field_cron_runs_at_second_zero() {
        let c: CronRule = "0 10 * * Mon".parse().unwrap();
        let from = Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap();
        let next = c.schedule.after(&from).next().unwrap();
        assert_eq!(next.to_rfc3339(), "2027-01-04T10:00:00+00:00");
        assert!("every monday".parse::<CronRule>().is_err());
        let e = "* * * * * *".parse::<CronRule>().unwrap_err();
        assert!(e.contains("fires more than 24 times a day"), "{e}");
        assert!("* * * * *".parse::<CronRule>().is_err(), "every minute");
        assert!("0 0 * * * *".parse::<CronRule>().is_ok(), "hourly is 24 a day");
        let e = "0 0 25 * * *".parse::<CronRule>().unwrap_err();
        assert_eq!(e.lines().count(), 2, "one line of message, one of help: {e}");
    }

    #[test]
    fn dst_gap_moves_forward_by_the_gap() {
        // 2027-03-14 02:30 does not exist in New York (clocks jump 02:00 -> 03:00).
        let (utc, how) = localize(chrono_tz::America::New_York, dt("2027-03-14 02:30"));
        assert_eq!(how, Localized::ShiftedForward);
        assert_eq!(utc.to_rfc3339(), "2027-03-14T07:30:00+00:00"); // 03:30 EDT
    }

    #[test]
    fn dst_overlap_takes_the_first() {
        // 2027-11-07 01:30 happens twice in New York.
        let (utc, how) = localize(chrono_tz::America::New_York, dt("2027-11-07 01:30"));
        assert_eq!(how, Localized::FirstOfTwo);
        assert_eq!(utc.to_rfc3339(), "2027-11-07T05:30:00+00:00"); // 01:30 EDT
        let (utc, how) = localize(chrono_tz::America::New_York, dt("2027-07-01 09:00"));
        assert_eq!(how, Localized::Exact);
        assert_eq!(utc.to_rfc3339(), "2027-07-01T13:00:00+00:00");
    }
}
