//! `herald days`.

use crate::support::TestProject;

#[test]
fn lists_fixed_and_movable_days_with_dates_as_json() {
    let r = TestProject::new().run(&["days", "--year", "2027", "--format", "json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let days = r.json();
    let date_of = |id: &str| {
        days.as_array().unwrap().iter().find(|d| d["id"] == id).unwrap_or_else(|| panic!("{id} missing"))["date"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(date_of("international-womens-day"), "2027-03-08");
    assert_eq!(date_of("world-water-day"), "2027-03-22");
    assert_eq!(date_of("international-day-of-peace"), "2027-09-21");
    assert_eq!(date_of("world-habitat-day"), "2027-10-04");
    assert!(days.as_array().unwrap().len() > 150);
    for d in days.as_array().unwrap() {
        assert!(d["name"].as_str().is_some_and(|n| !n.is_empty()));
    }
}

#[test]
fn config_days_are_added_and_override_builtin_ones() {
    let config = format!(
        "{}\n[[day]]\nid = \"hs4a-day\"\nname = \"Human Security for All Day\"\nrule = \"May 19\"\n\n[[day]]\nid = \"world-water-day\"\nname = \"World Water Day (observed)\"\ndates = [2027-03-23]\n",
        crate::support::CONFIG
    );
    let p = TestProject::new().file("config/herald.toml", &config);
    let r = p.run(&["days", "--from", "2027-03-01", "--to", "2027-05-31"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("2027-05-19 Wed  hs4a-day"), "{}", r.stdout);
    assert!(r.stdout.contains("2027-03-23 Tue  world-water-day"), "{}", r.stdout);
    assert!(!r.stdout.contains("2027-03-22 Mon  world-water-day"), "{}", r.stdout);
}

#[test]
fn a_bad_rule_in_config_is_reported_with_its_location() {
    let config =
        format!("{}\n[[day]]\nid = \"x-day\"\nname = \"X\"\nrule = \"fist Monday of May\"\n", crate::support::CONFIG);
    let p = TestProject::new().file("config/herald.toml", &config);
    let r = p.run(&["check"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("error: invalid `rule`"), "{}", r.stderr);
    assert!(r.stderr.contains("--> config/herald.toml:"), "{}", r.stderr);
}

#[test]
fn days_reports_config_problems_instead_of_hiding_days() {
    let config = format!(
        "{}\n[[day]]\nid = \"a-day\"\nname = \"A\"\nrule = \"Janury 5\"\n\n[[day]]\nid = \"b-day\"\nname = \"B\"\ndates = [2027-05-01, 2027-06-01]\n\n[[day]]\nid = \"b-day\"\nname = \"B again\"\nrule = \"May 2\"\n",
        crate::support::CONFIG
    );
    let p = TestProject::new().file("config/herald.toml", &config);
    let r = p.run(&["days", "--year", "2027"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("error: invalid `rule`"), "{}", r.stderr);
    assert_eq!(
        r.stderr.matches("help:").count(),
        r.stderr.matches("error: ").count() - 1,
        "one help per error, none nested: {}",
        r.stderr
    );
    assert!(r.stderr.contains("error: invalid `dates`"), "{}", r.stderr);
    assert!(r.stderr.contains("error: day `b-day` is defined twice"), "{}", r.stderr);
    let r = p.run(&["days", "--year", "300000"]);
    assert_eq!(r.code, 2);
}

#[test]
fn a_config_day_can_start_in_a_given_year() {
    let config = format!(
        "{}\n[[day]]\nid = \"new-day\"\nname = \"New\"\nrule = \"May 2\"\nsince = 2028\n",
        crate::support::CONFIG
    );
    let p = TestProject::new().file("config/herald.toml", &config);
    assert!(!p.run(&["days", "--year", "2027"]).stdout.contains("new-day"));
    assert!(p.run(&["days", "--year", "2028"]).stdout.contains("2028-05-02 Tue  new-day"));
}

#[test]
fn a_year_and_a_range_together_are_refused_not_one_silently_dropped() {
    let r = TestProject::new().run(&[
        "days",
        "--year",
        "2027",
        "--from",
        "2028-01-01",
        "--to",
        "2028-01-31",
        "--format",
        "ics",
    ]);
    assert_eq!(r.code, 2, "{}", r.all());
    assert!(r.stdout.is_empty(), "{}", r.stdout);
    assert!(r.stderr.contains("'--year <YEAR>' cannot be used with"), "{}", r.stderr);
}
