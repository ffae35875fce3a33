//! Tests of the built-in data: it parses, and its days fall on their real dates.

use super::*;

fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn day_date(calendar: &Calendar, id: &str, year: i32) -> Option<NaiveDate> {
    calendar.get(id).unwrap_or_else(|| panic!("no day {id}")).date_in(year)
}

#[test]
fn the_builtin_file_parses_into_well_formed_days() {
    let days = parse_days_file(BUILTIN_DAYS_FILE).unwrap();
    assert!(days.len() >= 190, "only {} days", days.len());
    let calendar = Calendar::builtin();
    assert_eq!(calendar.len(), days.len(), "ids are unique");
    for day in &days {
        assert!(is_valid_id(&day.id), "{}", day.id);
        assert!(day.id.len() <= 60, "{} is too long", day.id);
        assert!(!day.name.trim().is_empty() && day.name.trim() == day.name, "{:?}", day.name);
        assert!(day.name.is_ascii(), "{:?} should use plain ASCII quotes", day.name);
        if let Some(since) = day.since {
            assert!((1945..=2030).contains(&since), "{}: since {since}", day.id);
        }
        if day.name.ends_with("Week") {
            assert!(day.id.ends_with("-week"), "{}", day.id);
        }
    }
}

#[test]
fn fixed_days_fall_on_their_dates() {
    let calendar = Calendar::builtin();
    let cases = [
        ("international-womens-day", 3, 8),
        ("world-water-day", 3, 22),
        ("international-day-of-peace", 9, 21),
        ("human-rights-day", 12, 10),
        ("united-nations-day", 10, 24),
        ("world-environment-day", 6, 5),
        ("international-mother-language-day", 2, 21),
        ("world-health-day", 4, 7),
        ("world-press-freedom-day", 5, 3),
        ("international-day-of-yoga", 6, 21),
        ("nelson-mandela-international-day", 7, 18),
        ("world-day-for-glaciers", 3, 21),
        ("world-meditation-day", 12, 21),
        ("world-basketball-day", 12, 21),
        ("international-day-of-clean-energy", 1, 26),
        ("world-aids-day", 12, 1),
        ("world-interfaith-harmony-week", 2, 1),
        ("world-space-week", 10, 4),
    ];
    for (id, month, day) in cases {
        for year in 2026..=2030 {
            assert_eq!(day_date(&calendar, id, year), Some(ymd(year, month, day)), "{id} in {year}");
        }
    }
}

/// Every movable day and its dates in 2024–2030, read off a real calendar.
const MOVABLE: [(&str, &str); 9] = [
    ("international-girls-in-ict-day", "2024-04-25 2025-04-24 2026-04-23 2027-04-22 2028-04-27 2029-04-26 2030-04-25"),
    ("world-migratory-bird-day-may", "2024-05-11 2025-05-10 2026-05-09 2027-05-08 2028-05-13 2029-05-12 2030-05-11"),
    (
        "international-day-of-cooperatives",
        "2024-07-06 2025-07-05 2026-07-04 2027-07-03 2028-07-01 2029-07-07 2030-07-06",
    ),
    ("world-maritime-day", "2024-09-26 2025-09-25 2026-09-24 2027-09-30 2028-09-28 2029-09-27 2030-09-26"),
    ("world-habitat-day", "2024-10-07 2025-10-06 2026-10-05 2027-10-04 2028-10-02 2029-10-01 2030-10-07"),
    (
        "world-migratory-bird-day-october",
        "2024-10-12 2025-10-11 2026-10-10 2027-10-09 2028-10-14 2029-10-13 2030-10-12",
    ),
    (
        "violence-and-bullying-at-school-day",
        "2024-11-07 2025-11-06 2026-11-05 2027-11-04 2028-11-02 2029-11-01 2030-11-07",
    ),
    (
        "world-day-of-remembrance-for-road-traffic-victims",
        "2024-11-17 2025-11-16 2026-11-15 2027-11-21 2028-11-19 2029-11-18 2030-11-17",
    ),
    ("world-philosophy-day", "2024-11-21 2025-11-20 2026-11-19 2027-11-18 2028-11-16 2029-11-15 2030-11-21"),
];

#[test]
fn movable_days_fall_on_their_real_dates() {
    let calendar = Calendar::builtin();
    for (id, dates) in MOVABLE {
        for (year, date) in (2024..).zip(dates.split(' ')) {
            let date = NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap();
            assert_eq!(day_date(&calendar, id, year), Some(date), "{id} in {year}");
        }
    }
    let rule = |id| calendar.get(id).unwrap().rule.to_string();
    assert_eq!(rule("world-habitat-day"), "first Monday of October");
    assert_eq!(rule("world-maritime-day"), "last Thursday of September");
    assert_eq!(rule("world-philosophy-day"), "third Thursday of November");
    assert_eq!(rule("world-day-of-remembrance-for-road-traffic-victims"), "third Sunday of November");
    assert_eq!(rule("international-day-of-cooperatives"), "first Saturday of July");
    assert_eq!(rule("international-girls-in-ict-day"), "fourth Thursday of April");
    assert_eq!(rule("violence-and-bullying-at-school-day"), "first Thursday of November");
}

#[test]
fn every_weekday_rule_in_the_builtin_file_is_verified_above() {
    for day in Calendar::builtin().iter() {
        if matches!(day.rule, DayRule::NthWeekday { .. }) {
            assert!(MOVABLE.iter().any(|(id, _)| *id == day.id), "{} is not checked against real dates", day.id);
        }
    }
}

#[test]
fn days_set_year_by_year_have_only_their_dates() {
    let calendar = Calendar::builtin();
    assert_eq!(day_date(&calendar, "day-of-vesak", 2025), Some(ymd(2025, 5, 12)));
    assert_eq!(day_date(&calendar, "day-of-vesak", 2026), Some(ymd(2026, 5, 1)));
    assert_eq!(day_date(&calendar, "day-of-vesak", 2031), None);
    assert_eq!(day_date(&calendar, "world-statistics-day", 2025), Some(ymd(2025, 10, 20)));
    assert_eq!(day_date(&calendar, "world-statistics-day", 2030), Some(ymd(2030, 10, 20)));
    assert_eq!(day_date(&calendar, "world-statistics-day", 2026), None);
}

#[test]
fn since_hides_earlier_years() {
    let calendar = Calendar::builtin();
    assert_eq!(day_date(&calendar, "international-day-of-peaceful-coexistence", 2025), None);
    assert_eq!(day_date(&calendar, "international-day-of-peaceful-coexistence", 2026), Some(ymd(2026, 1, 28)));
    assert_eq!(day_date(&calendar, "world-day-for-glaciers", 2024), None);
    assert_eq!(day_date(&calendar, "world-day-for-glaciers", 2025), Some(ymd(2025, 3, 21)));
    let mut day = Observance::new("x", "X", DayRule::Fixed { month: 1, day: 1 });
    assert_eq!(day.date_in(1900), Some(ymd(1900, 1, 1)));
    day.since = Some(2027);
    assert_eq!(day.date_in(2026), None);
    assert_eq!(day.date_in(2027), Some(ymd(2027, 1, 1)));
    let ids = |from, to| calendar.between(from, to).into_iter().map(|(_, d)| d.id.clone()).collect::<Vec<_>>();
    assert!(!ids(ymd(2025, 1, 28), ymd(2025, 1, 28)).contains(&"international-day-of-peaceful-coexistence".into()));
    assert!(ids(ymd(2026, 1, 28), ymd(2026, 1, 28)).contains(&"international-day-of-peaceful-coexistence".into()));
}

#[test]
fn every_builtin_rule_round_trips_through_its_display() {
    for day in Calendar::builtin().iter() {
        if !matches!(day.rule, DayRule::Dates(_)) {
            let shown = day.rule.to_string();
            assert_eq!(shown.parse::<DayRule>().as_ref(), Ok(&day.rule), "{}: {shown}", day.id);
        }
    }
}
