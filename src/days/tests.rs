//! Tests of the calendar and the days-file parser.

use super::*;
use chrono::Weekday;

fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn day_date(calendar: &Calendar, id: &str, year: i32) -> Option<NaiveDate> {
    calendar.get(id).unwrap_or_else(|| panic!("no day {id}")).date_in(year)
}

#[test]
fn insert_overrides_and_adds() {
    let builtin = Calendar::builtin();
    let mut calendar = builtin.clone();
    let len = calendar.len();
    let position = calendar.ids().position(|id| id == "world-habitat-day");
    calendar.insert(Observance::new("world-habitat-day", "Habitat Day", DayRule::Fixed { month: 10, day: 1 }));
    assert_eq!(calendar.len(), len);
    assert_eq!(calendar.ids().position(|id| id == "world-habitat-day"), position);
    assert_eq!(calendar.get("world-habitat-day").unwrap().name, "Habitat Day");
    assert_eq!(day_date(&calendar, "world-habitat-day", 2026), Some(ymd(2026, 10, 1)));
    assert_eq!(day_date(&builtin, "world-habitat-day", 2026), Some(ymd(2026, 10, 5)), "the original is untouched");

    calendar.insert(Observance::new("hs4a-founding-day", "HS4A Founding Day", "June 2".parse().unwrap()));
    assert_eq!(calendar.len(), len + 1);
    assert_eq!(calendar.ids().last(), Some("hs4a-founding-day"));
    assert!(calendar.contains("hs4a-founding-day") && !builtin.contains("hs4a-founding-day"));
    assert_eq!(calendar.on(ymd(2026, 6, 2)).iter().map(|d| d.id.as_str()).collect::<Vec<_>>(), ["hs4a-founding-day"]);

    let removed = calendar.remove("world-water-day").unwrap();
    assert_eq!(removed.id, "world-water-day");
    assert_eq!(calendar.len(), len);
    assert!(calendar.get("world-water-day").is_none() && calendar.remove("world-water-day").is_none());
    for id in calendar.ids().collect::<Vec<_>>() {
        assert_eq!(calendar.get(id).unwrap().id, id, "the index follows the removal");
    }
}

#[test]
fn between_is_inclusive_and_sorted_by_date_then_id() {
    let calendar = Calendar::builtin();
    let found = calendar.between(ymd(2026, 3, 20), ymd(2026, 3, 22));
    let dates: Vec<_> = found.iter().map(|(d, _)| *d).collect();
    assert_eq!(dates.first(), Some(&ymd(2026, 3, 20)));
    assert_eq!(dates.last(), Some(&ymd(2026, 3, 22)));
    assert!(found.windows(2).all(|w| (w[0].0, &w[0].1.id) < (w[1].0, &w[1].1.id)), "{found:?}");
    let on_21: Vec<_> = found.iter().filter(|(d, _)| *d == ymd(2026, 3, 21)).map(|(_, o)| o.id.as_str()).collect();
    assert_eq!(on_21.len(), 7, "{on_21:?}");
    assert!(on_21.contains(&"world-day-for-glaciers") && on_21.contains(&"world-poetry-day"));

    let across = calendar.between(ymd(2026, 12, 27), ymd(2027, 1, 4));
    let ids: Vec<_> = across.iter().map(|(d, o)| (*d, o.id.as_str())).collect();
    assert_eq!(
        ids,
        [(ymd(2026, 12, 27), "international-day-of-epidemic-preparedness"), (ymd(2027, 1, 4), "world-braille-day")]
    );
    assert!(calendar.between(ymd(2026, 3, 22), ymd(2026, 3, 20)).is_empty());
    let year = calendar.between(ymd(2026, 1, 1), ymd(2026, 12, 31));
    assert!(year.len() > 200 && year.iter().all(|(d, o)| o.date_in(2026) == Some(*d)));
}

#[test]
fn february_29_only_in_leap_years() {
    let leap = Observance::new("leap-day", "Leap Day", "February 29".parse().unwrap());
    let calendar: Calendar = [leap].into_iter().collect();
    let found = calendar.between(ymd(2025, 1, 1), ymd(2029, 12, 31));
    assert_eq!(found.iter().map(|(d, _)| *d).collect::<Vec<_>>(), [ymd(2028, 2, 29)]);
    assert_eq!(calendar.get("leap-day").unwrap().date_in(2100), None);
    assert_eq!(calendar.get("leap-day").unwrap().date_in(2000), Some(ymd(2000, 2, 29)));
}

#[test]
fn parses_a_small_days_file() {
    let src = r#"
        [[day]] # a comment
        id = "a-day"
        name = "A Day"
        rule = "last Monday of May"

        [[day]]
        id = "b-day"
        name = "B Day"
        dates = [2026-05-01, 2027-05-20]
        since = 2026
    "#;
    let days = parse_days_file(src).unwrap();
    assert_eq!(days[0].rule, DayRule::NthWeekday { nth: Nth::Last, weekday: Weekday::Mon, month: 5 });
    assert_eq!(days[1].date_in(2027), Some(ymd(2027, 5, 20)));
    assert_eq!(days[1].since, Some(2026));
    assert_eq!(days[1].rule.to_string(), "set year by year (2026, 2027)");
    assert!(parse_days_file("").unwrap().is_empty());
}

#[test]
fn days_file_errors_name_the_entry_and_the_problem() {
    let one = |body: &str| parse_days_file(&format!("[[day]]\n{body}")).unwrap_err();
    let ok = "id = \"a-day\"\nname = \"A\"\n";
    let cases = [
        (format!("{ok}rule = \"Mar 8\""), "day #1 (\"a-day\"): rule `Mar 8`: `Mar` is not a month name\nhelp: "),
        (format!("{ok}rule = \"March 8\"\ndates = [2026-03-08]"), "both `rule` and `dates` are given"),
        (ok.to_owned(), "day #1 (\"a-day\"): `rule` is missing"),
        (format!("{ok}rule = 8"), "`rule` must be a string"),
        (format!("{ok}dates = []"), "`dates` is empty"),
        (format!("{ok}dates = [2026-05-01T10:00:00]"), "is not a plain date\nhelp: "),
        (format!("{ok}dates = [\"2026-05-01\"]"), "is not a plain date\nhelp: "),
        (format!("{ok}dates = [2026-05-01, 2026-05-31]"), "are in the same year"),
        (format!("{ok}rule = \"March 8\"\nsince = \"2025\""), "`since` must be a year"),
        (format!("{ok}rule = \"March 8\"\nsince = 99999999999"), "not a plausible year"),
        (format!("{ok}rule = \"March 8\"\nyear = 2025"), "unknown key `year`\nhelp: a day has id, name"),
        ("id = \"A_Day\"\nname = \"A\"\nrule = \"March 8\"".to_owned(), "the id `A_Day` is not kebab-case\nhelp: "),
        ("id = \"a-day\"\nrule = \"March 8\"".to_owned(), "`name` is missing"),
        ("id = \"a-day\"\nname = \" \"\nrule = \"March 8\"".to_owned(), "`name` is empty"),
        ("name = \"A\"\nrule = \"March 8\"".to_owned(), "day #1: `id` is missing"),
    ];
    for (body, want) in cases {
        let e = one(&body);
        assert!(e.contains(want), "{body:?}: {e:?} should contain {want:?}");
    }
    let twice = "[[day]]\nid = \"x\"\nname = \"X\"\nrule = \"May 1\"\n".repeat(2);
    assert_eq!(
        parse_days_file(&twice).unwrap_err(),
        "day #2 repeats the id \"x\" of day #1\nhelp: give each day its own id"
    );
    assert!(parse_days_file("[[day]\n").unwrap_err().starts_with("the days file is not valid TOML"));
    assert!(parse_days_file("title = \"x\"").unwrap_err().contains("unknown top-level key `title`"));
    assert!(parse_days_file("day = 1").unwrap_err().contains("`day` must be an array of tables"));
}

#[test]
fn ids_are_validated() {
    for good in ["a", "world-habitat-day", "day-2", "2026-day"] {
        assert!(is_valid_id(good), "{good}");
    }
    for bad in ["", "-a", "a-", "a--b", "A", "a_b", "a b", "é"] {
        assert!(!is_valid_id(bad), "{bad}");
    }
}

#[test]
fn a_day_is_named_in_a_language_by_its_whole_tag_then_its_primary_subtag() {
    let water = Calendar::builtin().get("world-water-day").cloned().unwrap();
    assert_eq!(water.name_in("en"), Some("World Water Day"));
    assert_eq!(water.name_in("en-GB"), Some("World Water Day"));
    assert_eq!(water.name_in("fr"), Some("Journée mondiale de l'eau"));
    assert_eq!(water.name_in("fr-CA"), Some("Journée mondiale de l'eau"));
    assert_eq!(water.name_in("es"), Some("Día Mundial del Agua"));
    assert_eq!(water.name_in("ru"), Some("Всемирный день водных ресурсов"));
    assert_eq!(water.name_in("ar"), Some("اليوم العالمي للمياه"));
    assert_eq!(water.name_in("zh"), Some("世界水日"));
    assert_eq!(water.name_in("pt"), None);
    let mut own = Observance::new("d", "Our Day", "June 2".parse().unwrap());
    own.names.insert("pt-BR".into(), "Nosso Dia".into());
    assert_eq!(own.name_in("pt-BR"), Some("Nosso Dia"));
    assert_eq!(own.name_in("pt"), None);
}

#[test]
fn builtin_names_are_in_un_languages_and_not_empty() {
    let mut named = 0;
    for day in Calendar::builtin().iter() {
        for (language, name) in &day.names {
            assert!(["fr", "es", "ru", "ar", "zh"].contains(&language.as_str()), "{}: `{language}`", day.id);
            assert!(!name.trim().is_empty() && name.trim() == name, "{}: `{name}`", day.id);
            named += 1;
        }
    }
    assert!(named >= 30, "only {named} names");
}

#[test]
fn names_in_a_days_file_must_be_a_table_of_names_by_language() {
    let file = |names: &str| format!("[[day]]\nid = \"d\"\nname = \"D\"\nrule = \"June 2\"\n{names}\n");
    let days = parse_days_file(&file("names = { fr = \"Journée D\" }")).unwrap();
    assert_eq!(days[0].names.get("fr").map(String::as_str), Some("Journée D"));
    let e = parse_days_file(&file("names = \"Journée D\"")).unwrap_err();
    assert!(e.contains("`names` must be a table"), "{e}");
    let e = parse_days_file(&file("names = { French = \"Journée D\" }")).unwrap_err();
    assert!(e.contains("`names.French`: not a language tag"), "{e}");
    let e = parse_days_file(&file("names = { fr = \"\" }")).unwrap_err();
    assert!(e.contains("`names.fr` must be a name"), "{e}");
}
