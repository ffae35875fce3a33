//! Tests of the rule language: parsing, display and resolution.
use super::{DayRule, Nth};
use chrono::{Datelike, Days, NaiveDate, Weekday};
use std::collections::BTreeMap;

fn rule(s: &str) -> DayRule {
    s.parse().unwrap_or_else(|e| panic!("{s:?} should parse: {e}"))
}

fn err(s: &str) -> String {
    s.parse::<DayRule>().expect_err(s)
}

#[test]
fn parses_fixed_dates() {
    assert_eq!(rule("March 8"), DayRule::Fixed { month: 3, day: 8 });
    assert_eq!(rule("  march   08 "), DayRule::Fixed { month: 3, day: 8 });
    assert_eq!(rule("DECEMBER 31"), DayRule::Fixed { month: 12, day: 31 });
    assert_eq!(rule("8 March"), DayRule::Fixed { month: 3, day: 8 });
    assert_eq!(rule("February 29"), DayRule::Fixed { month: 2, day: 29 });
}

#[test]
fn parses_weekday_rules() {
    let want = DayRule::NthWeekday { nth: Nth::First, weekday: Weekday::Mon, month: 10 };
    assert_eq!(rule("first Monday of October"), want);
    assert_eq!(rule("First MONDAY of october"), want);
    assert_eq!(rule("the first Monday of October"), want);
    assert_eq!(
        rule("last Thursday of September"),
        DayRule::NthWeekday { nth: Nth::Last, weekday: Weekday::Thu, month: 9 }
    );
    assert_eq!(
        rule("fourth Thursday of April"),
        DayRule::NthWeekday { nth: Nth::Fourth, weekday: Weekday::Thu, month: 4 }
    );
}

#[test]
fn rejects_bad_rules_with_a_helpful_message() {
    let e = err("Mar 8");
    assert!(e.starts_with("`Mar` is not a month name\nhelp: write the month in full (`March`)"), "{e}");
    assert!(e.contains("first Monday of October"), "the forms are named: {e}");
    let e = err("February 30");
    assert!(e == "`February 30` is not a date\nhelp: February has 29 days at most", "{e}");
    assert!(err("April 31").contains("April has 30 days at most"));
    assert!(err("March 0").contains("is not a date"));
    assert!(err("March 8th").starts_with("`8th` is not a day of the month\nhelp: "));
    assert!(err("March").starts_with("`March` is not a rule\nhelp: a rule is"));
    assert!(err("").starts_with("the rule is empty\nhelp: "));
    assert!(err("   ").starts_with("the rule is empty\nhelp: "));
    let e = err("fifth Monday of May");
    assert!(e.starts_with("`fifth` is not a position in the month\nhelp: ") && e.contains("fourth or last"), "{e}");
    assert!(
        err("first Mon of October").contains("`Mon` is not a weekday name\nhelp: write the weekday in full (`Monday`)")
    );
    assert!(err("first Funday of October").starts_with("`Funday` is not a weekday\nhelp: "));
    assert!(err("first Monday in October").starts_with("`first Monday in October` is not a rule"));
    assert!(err("first Monday of Oct").contains("(`October`)"));
    assert!(err("Smarch 8").starts_with("`Smarch` is not a month\nhelp: "));
    assert!(err("every day").starts_with("`every` is not a month\n"));
}

#[test]
fn displays_canonically() {
    assert_eq!(rule("march 8").to_string(), "March 8");
    assert_eq!(rule("8 March").to_string(), "March 8");
    assert_eq!(rule("THE LAST sunday OF november").to_string(), "last Sunday of November");
    let dates = DayRule::from_dates([
        NaiveDate::from_ymd_opt(2027, 5, 20).unwrap(),
        NaiveDate::from_ymd_opt(2026, 5, 1).unwrap(),
    ])
    .unwrap();
    assert_eq!(dates.to_string(), "set year by year (2026, 2027)");
    assert_eq!(DayRule::Dates(BTreeMap::new()).to_string(), "set year by year (no dates)");
}

#[test]
fn from_dates_rejects_two_dates_in_one_year() {
    let d = |m, d| NaiveDate::from_ymd_opt(2026, m, d).unwrap();
    let e = DayRule::from_dates([d(5, 1), d(5, 31)]).unwrap_err();
    assert!(e == "`2026-05-01` and `2026-05-31` are in the same year\nhelp: give one date per year", "{e}");
}

#[test]
fn resolves_dates() {
    let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d);
    assert_eq!(rule("March 8").date_in(2026), d(2026, 3, 8));
    assert_eq!(rule("February 29").date_in(2028), d(2028, 2, 29));
    assert_eq!(rule("February 29").date_in(2026), None);
    assert_eq!(rule("February 29").date_in(2100), None);
    assert_eq!(rule("last Friday of December").date_in(2026), d(2026, 12, 25));
    assert_eq!(rule("last Thursday of December").date_in(2026), d(2026, 12, 31));
    assert_eq!(rule("first Tuesday of December").date_in(2026), d(2026, 12, 1));
    assert_eq!(rule("last Sunday of February").date_in(2032), d(2032, 2, 29));
    assert_eq!(rule("fourth Sunday of February").date_in(2026), d(2026, 2, 22));
    assert!(!rule("March 8").is_movable());
    assert!(rule("first Monday of October").is_movable());
    assert_eq!(DayRule::Fixed { month: 13, day: 1 }.date_in(2026), None);
}

/// Every rule the language can express (dates set year by year aside): each month and day, February 29
/// included, and each position, weekday and month.
fn every_rule() -> Vec<DayRule> {
    let fixed = (1..=12u32).flat_map(|month| {
        (1..=31u32)
            .filter(move |&day| NaiveDate::from_ymd_opt(2024, month, day).is_some())
            .map(move |day| DayRule::Fixed { month, day })
    });
    let weekday = Nth::ALL.into_iter().flat_map(|nth| {
        (0..7u8).flat_map(move |w| {
            let weekday = Weekday::try_from(w).unwrap();
            (1..=12u32).map(move |month| DayRule::NthWeekday { nth, weekday, month })
        })
    });
    fixed.chain(weekday).collect()
}

#[test]
fn every_rule_round_trips_through_its_display() {
    let rules = every_rule();
    assert_eq!(rules.len(), 366 + 5 * 7 * 12);
    for r in rules {
        let shown = r.to_string();
        assert_eq!(shown.parse::<DayRule>().as_ref(), Ok(&r), "{shown}");
        assert_eq!(shown.to_uppercase().parse::<DayRule>().as_ref(), Ok(&r), "{shown}");
    }
}

#[test]
fn weekday_rules_land_on_their_weekday_in_their_month_every_year() {
    for r in every_rule() {
        let DayRule::NthWeekday { nth, weekday, month } = r else {
            continue;
        };
        for year in 1900..=2200 {
            let date = r.date_in(year).expect("a weekday rule has a date every year");
            assert_eq!((date.weekday(), date.month()), (weekday, month), "{r} in {year}");
            let next_week = date.checked_add_days(Days::new(7)).unwrap();
            match nth {
                Nth::Last => assert_ne!(next_week.month(), month, "{r} in {year}"),
                n => assert_eq!(Nth::ALL[((date.day() - 1) / 7) as usize], n, "{r} in {year}"),
            }
        }
    }
}

#[test]
fn odd_input_is_an_error_not_a_panic() {
    let odd = [
        "0",
        "-1 March",
        "March -1",
        "March 999999999999",
        "March 8 8",
        "of of of of",
        "first of of of",
        "\u{0}",
        "März 8",
        "first Monday of Octobre",
        "🎉 8",
        "8",
        "March\t8\n",
        "the",
        "the the March 8",
    ];
    for s in odd {
        let _ = s.parse::<DayRule>();
    }
    assert_eq!("March\t8\n".parse::<DayRule>(), Ok(DayRule::Fixed { month: 3, day: 8 }));
    assert!("the".parse::<DayRule>().is_err() && "März 8".parse::<DayRule>().is_err());
}
