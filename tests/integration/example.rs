//! The bundled HS4A calendar in `campaigns/` stays valid and complete.

use crate::support::{repo_root, run_in};

#[test]
fn bundled_calendar_checks_with_zero_warnings() {
    let r = run_in(&repo_root(), &["check", "--deny-warnings"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
}

#[test]
fn bundled_calendar_previews_the_whole_year_with_the_campaign_days() {
    let r = run_in(&repo_root(), &["preview", "--from", "2027-01-01", "--to", "2027-12-31", "--format", "json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let entries = r.json();
    let entries = entries.as_array().unwrap();
    assert!(entries.len() > 100, "{}", entries.len());
    let days: std::collections::BTreeSet<&str> = entries.iter().filter_map(|e| e["day"]["id"].as_str()).collect();
    for day in ["international-womens-day", "world-water-day", "international-day-of-peace"] {
        assert!(days.contains(day), "{day} missing from {days:?}");
    }
    assert!(days.len() >= 10, "the three campaign days and seven dimension days: {days:?}");
    for platform in ["twitter", "instagram", "linkedin", "facebook"] {
        assert!(entries.iter().any(|e| e["platform"] == platform), "{platform}");
    }
    assert!(entries.iter().any(|e| e["parts"].as_array().unwrap().len() > 1), "a thread on X");
    assert!(entries.iter().all(|e| e["warnings"].as_array().unwrap().is_empty()));
    let handles: std::collections::BTreeSet<&str> = entries.iter().filter_map(|e| e["handle"].as_str()).collect();
    assert!(handles.contains("@humansecurityFA") && handles.contains("@HS4Aglobal"), "{handles:?}");
}
