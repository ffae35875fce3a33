//! Dates and day names in each channel's language: `format_date` writes month and weekday names in
//! the text's language, `{{ day.name }}` is the day's name in it where the days list has one, and
//! `check` warns, at the post, where it falls back to English.

use crate::support::{Run, TestProject};

const CONFIG: &str = r#"
[channels.x]
platform = "twitter"
handle = "@humansecurityFA"

[channels.x-fr]
platform = "twitter"
handle = "@humansecurityFA_fr"
language = "fr"

[channels.x-es]
platform = "twitter"
handle = "@humansecurityFA_es"
language = "es"

[channels.x-ru]
platform = "twitter"
handle = "@humansecurityFA_ru"
language = "ru"

[channels.x-ar]
platform = "twitter"
handle = "@humansecurityFA_ar"
language = "ar"

[channels.x-zh]
platform = "twitter"
handle = "@humansecurityFA_zh"
language = "zh"
"#;

const HEAD: &str = r#"[campaign]
id = "c"
name = "Languages"
timezone = "UTC"
channels = ["x", "x-fr", "x-es", "x-ru", "x-ar", "x-zh"]
starts = 2027-01-01
ends = 2027-12-31
time = "09:00"
"#;

const WOMEN: &str = r#"
[[post]]
id = "women"
day = "international-womens-day"
text = "{{ day.name }}: {{ post.date | format_date('%A %-d %B') }}"

[post.translations]
fr = "{{ day.name }} : {{ post.date | format_date('%A %-d %B') }}"
es = "{{ day.name }}: {{ post.date | format_date('%A %-d de %B') }}"
ru = "{{ day.name }}: {{ post.date | format_date('%A, %-d %B') }}"
ar = "{{ day.name }}: {{ post.date | format_date('%A %-d %B') }}"
zh = "{{ day.name }}：{{ post.date | format_date('%-m月%-d日 %A') }}"
"#;

const JUSTICE: &str = r#"
[[post]]
id = "justice"
day = "world-day-of-social-justice"
channels = ["x-es"]
text = "{{ day.name }}"

[post.translations]
es = "Hoy: {{ day.name }}."
"#;

fn project(config_extra: &str, posts: &str) -> TestProject {
    TestProject::new()
        .file("config/herald.toml", &format!("{CONFIG}{config_extra}"))
        .file("campaigns/c.toml", &format!("{HEAD}{posts}"))
}

/// The text each channel gets, in channel order.
fn texts(project: &TestProject) -> Vec<(String, String)> {
    project
        .preview_json("2027-01-01", "2027-12-31", &[])
        .iter()
        .map(|e| {
            (e["channel"].as_str().unwrap_or_default().to_string(), e["text"].as_str().unwrap_or_default().to_string())
        })
        .collect()
}

fn check_json(project: &TestProject) -> (Run, Vec<serde_json::Value>) {
    let r = project.run(&["check", "--format", "json"]);
    let list = r.json().as_array().cloned().unwrap_or_default();
    (r, list)
}

fn pair(channel: &str, text: &str) -> (String, String) {
    (channel.to_string(), text.to_string())
}

#[test]
fn each_un_language_gets_the_date_and_the_day_name_in_its_own_words() {
    let project = project("", WOMEN);
    let (r, problems) = check_json(&project);
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(problems, Vec::<serde_json::Value>::new());
    let mut got = texts(&project);
    got.sort();
    assert_eq!(
        got,
        [
            pair("x", "International Women's Day: Monday 8 March"),
            pair("x-ar", "اليوم الدولي للمرأة: الاثنين 8 مارس"),
            pair("x-es", "Día Internacional de la Mujer: lunes 8 de marzo"),
            pair("x-fr", "Journée internationale des femmes : lundi 8 mars"),
            pair("x-ru", "Международный женский день: понедельник, 8 марта"),
            pair("x-zh", "国际妇女节：3月8日 星期一"),
        ]
    );
}

#[test]
fn check_warns_at_the_post_where_a_day_name_falls_back_to_english() {
    let project = project("", JUSTICE);
    let (r, problems) = check_json(&project);
    assert_eq!(r.code, 0, "a fallback is a warning, not an error:\n{}", r.all());
    assert_eq!(problems.len(), 1, "{problems:?}");
    let w = &problems[0];
    assert_eq!(w["severity"], "warning");
    assert_eq!(w["file"], "campaigns/c.toml");
    assert_eq!((&w["line"], &w["column"]), (&serde_json::json!(17), &serde_json::json!(6)), "{w}");
    assert_eq!(
        w["message"],
        "post `justice` on channel `x-es`: no Spanish name for `world-day-of-social-justice` in the days list: `{{ day.name }}` is English here"
    );
    assert_eq!(
        w["help"],
        "add it in config/herald.toml: `[[day]]` with `id = \"world-day-of-social-justice\"` and `names.es = \"…\"` (a built-in day keeps its date)"
    );
    assert_eq!(texts(&project), [pair("x-es", "Hoy: World Day of Social Justice.")]);

    // The text mode says the same, at the Spanish text, with its help line.
    let text = project.run(&["check"]);
    assert!(text.stderr.contains("--> campaigns/c.toml:17:6"), "{}", text.stderr);
    assert!(text.stderr.contains("= help: add it in config/herald.toml"), "{}", text.stderr);
}

#[test]
fn a_name_added_in_the_config_is_used_and_the_day_keeps_its_date_and_other_names() {
    let extra = "\n[[day]]\nid = \"world-day-of-social-justice\"\nnames.es = \"Día Mundial de la Justicia Social\"\n";
    let project = project(extra, JUSTICE);
    let (r, problems) = check_json(&project);
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(problems, Vec::<serde_json::Value>::new());
    let entries = project.preview_json("2027-01-01", "2027-12-31", &[]);
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["text"], "Hoy: Día Mundial de la Justicia Social.");
    assert_eq!(entries[0]["day"]["date"], "2027-02-20");
    assert_eq!(entries[0]["day"]["name"], "World Day of Social Justice");
}

#[test]
fn a_day_of_our_own_still_needs_its_name_and_a_bad_names_key_is_located() {
    let extra = "\n[[day]]\nid = \"our-day\"\nrule = \"June 2\"\n\n[[day]]\nid = \"world-water-day\"\nnames = { French = \"x\" }\n";
    let project = project(extra, "");
    let r = project.run(&["check"]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(r.stderr.contains("error: `[[day]]` is missing `name`"), "{}", r.stderr);
    assert!(r.stderr.contains("--> config/herald.toml:31:1"), "{}", r.stderr);
    assert!(r.stderr.contains("only a built-in day's id may leave it out"), "{}", r.stderr);
    assert!(r.stderr.contains("error: invalid `names`: `French` is not a language tag"), "{}", r.stderr);
    assert!(r.stderr.contains("--> config/herald.toml:37:11"), "{}", r.stderr);
}
