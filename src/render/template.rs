//! Post text templates: compiling them once, checking their variables, rendering them.
//!
//! Owns [`Templates`], a minijinja environment holding every post text of a project (identical texts
//! share one compiled template), and the list of variables a text may use ([`VARIABLES`]). Variables are
//! checked when the template is added, so a typo such as `{{ dya.name }}` is a `herald check` error, not a
//! failure at publish time; rendering is strict as a second line of defence.
//!
//! A post text can reach nothing but its own variables: `debug()` (which dumps the engine's state) is
//! removed, `include`, `import`, `from` and `extends` (which would reach other posts' texts, held in
//! the same environment) are refused when the text is added, a render stops at [`MAX_STEPS`] steps
//! and at [`MAX_RENDERED`] bytes of output, and every failure is said in an editor's words
//! ([`explain`]) at its place in the text.
//!
//! Most post texts are plain text with `{{ name.attr }}` substitutions. Those are rendered by direct
//! substitution ([`Segment`]), which gives exactly minijinja's output (a property test holds the two
//! together) at a fraction of the cost; every other template goes through minijinja.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::ops::Range;

use minijinja::{Environment, UndefinedBehavior, Value};

/// Every variable a post text can use, with what it holds (this list is the reference in README.md).
pub const VARIABLES: &[(&str, &str)] = &[
    ("campaign.id", "the campaign id, e.g. `hs4a-2027`"),
    ("campaign.name", "the campaign name"),
    ("post.id", "the post id"),
    ("post.date", "the local date the post goes out, YYYY-MM-DD"),
    ("post.time", "the local time the post goes out, HH:MM"),
    ("post.language", "the language of the text on this channel, e.g. `fr`"),
    ("day.id", "the day's id (posts with `day` only)"),
    ("day.name", "the day's official name in the text's language, e.g. `World Water Day`"),
    ("day.date", "the day's date, YYYY-MM-DD"),
    ("day.year", "the day's year"),
    ("channel.name", "the channel name from `config/herald.toml`"),
    ("channel.platform", "`twitter`, `instagram`, `linkedin` or `facebook`"),
    ("channel.handle", "the channel's handle, with `@`"),
    ("link", "the post's link, with UTM parameters when `utm = true`"),
    ("hashtags", "the post's hashtags, e.g. `#HumanSecurity #HS4A`"),
];

/// The most steps a post text's template may take to render (minijinja's fuel): far more than any post
/// needs, so only a runaway loop or repetition reaches it.
pub const MAX_STEPS: u64 = 100_000;

/// The most a post text may grow to when rendered, in bytes: many times the longest post any platform
/// takes (Facebook's 63,206 characters), so only a runaway repetition reaches it.
pub const MAX_RENDERED: usize = 256 * 1024;

/// Template tags that would reach other templates in the environment (other posts' texts).
const FOREIGN_TAGS: [&str; 4] = ["include", "import", "from", "extends"];

/// What the context of a given post provides (some variables exist only for some posts).
#[derive(Debug, Clone, Copy)]
pub struct Scope {
    pub has_day: bool,
    pub has_link: bool,
}

/// A problem in a text template, with its place inside the text when known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateError {
    pub message: String,
    pub help: Option<String>,
    /// Byte range within the template text.
    pub range: Option<Range<usize>>,
}

impl fmt::Display for TemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// A template added to [`Templates`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Compiled {
    /// Its handle in [`Templates`].
    pub index: usize,
    /// Whether the text places `{{ link }}` itself.
    pub uses_link: bool,
}

/// The values of the variables for one post, on one date, for one channel.
#[derive(Debug, Clone, Copy)]
pub struct Vars<'a> {
    pub campaign_id: &'a str,
    pub campaign_name: &'a str,
    pub post_id: &'a str,
    pub post_date: &'a str,
    pub post_time: &'a str,
    /// The language of the text (`format_date` writes month and weekday names in it).
    pub post_language: &'a str,
    pub day: Option<DayVars<'a>>,
    pub channel_name: &'a str,
    pub channel_platform: &'a str,
    /// With `@`.
    pub channel_handle: &'a str,
    pub link: Option<&'a str>,
    pub hashtags: &'a str,
}

/// The `day` variables.
#[derive(Debug, Clone, Copy)]
pub struct DayVars<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub date: &'a str,
    pub year: i32,
}

impl<'a> Vars<'a> {
    /// The value of a dotted variable as it prints, or `None` when it is not defined.
    fn get(&self, path: &str) -> Option<Cow<'a, str>> {
        let day = |f: fn(DayVars<'a>) -> Cow<'a, str>| self.day.map(f);
        Some(Cow::Borrowed(match path {
            "campaign.id" => self.campaign_id,
            "campaign.name" => self.campaign_name,
            "post.id" => self.post_id,
            "post.date" => self.post_date,
            "post.time" => self.post_time,
            "post.language" => self.post_language,
            "day.id" => return day(|d| Cow::Borrowed(d.id)),
            "day.name" => return day(|d| Cow::Borrowed(d.name)),
            "day.date" => return day(|d| Cow::Borrowed(d.date)),
            "day.year" => return day(|d| Cow::Owned(d.year.to_string())),
            "channel.name" => self.channel_name,
            "channel.platform" => self.channel_platform,
            "channel.handle" => self.channel_handle,
            "link" => return self.link.map(Cow::Borrowed),
            "hashtags" => self.hashtags,
            _ => return None,
        }))
    }

    /// The variables as a minijinja context, for templates that need the full engine.
    fn to_value(self) -> Value {
        minijinja::context! {
            campaign => minijinja::context! { id => self.campaign_id, name => self.campaign_name },
            post => minijinja::context! { id => self.post_id, date => self.post_date, time => self.post_time, language => self.post_language },
            day => self.day.map(|d| minijinja::context! { id => d.id, name => d.name, date => d.date, year => d.year }),
            channel => minijinja::context! { name => self.channel_name, platform => self.channel_platform, handle => self.channel_handle },
            link => self.link,
            hashtags => self.hashtags,
        }
    }
}

/// A piece of a plain template: literal text, or a `{{ variable }}` to substitute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    Text(String),
    Var(String),
}

/// Splits a template into segments when it is only text and `{{ dotted.name }}` expressions (no
/// blocks, comments, filters or whitespace control); `None` means "use minijinja".
pub fn plain_segments(text: &str) -> Option<Vec<Segment>> {
    if text.contains("{%") || text.contains("{#") {
        return None;
    }
    let mut segments = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find("{{") {
        if open > 0 {
            segments.push(Segment::Text(rest[..open].to_string()));
        }
        let after = &rest[open + 2..];
        let close = after.find("}}")?;
        let expr = after[..close].trim_matches([' ', '\t']);
        let is_ident = |s: &str| {
            s.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
                && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        };
        if !expr.split('.').all(is_ident) || after[..close].contains('\n') {
            return None;
        }
        segments.push(Segment::Var(expr.to_string()));
        rest = &after[close + 2..];
    }
    // minijinja drops one trailing newline (keep_trailing_newline is off).
    let rest = rest.strip_suffix('\n').map_or(rest, |r| r.strip_suffix('\r').unwrap_or(r));
    if !rest.is_empty() {
        segments.push(Segment::Text(rest.to_string()));
    }
    Some(segments)
}

/// One template: its minijinja name, the variables it uses, and its plain form when it has one.
#[derive(Debug)]
struct Entry {
    name: String,
    used: Vec<String>,
    plain: Option<Vec<Segment>>,
    /// The first unknown variable, if any.
    unknown: Option<TemplateError>,
}

/// The compiled templates of a project.
pub struct Templates {
    env: Environment<'static>,
    /// Templates by text.
    by_text: HashMap<String, usize>,
    entries: Vec<Entry>,
    sources: Vec<String>,
}

impl fmt::Debug for Templates {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Templates({} compiled)", self.by_text.len())
    }
}

impl Default for Templates {
    fn default() -> Self {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
        env.add_filter("format_date", format_date);
        // `debug()` prints the engine's internals (every template's name, the context): never a post.
        env.remove_global("debug");
        // A post text is small; a template that runs longer than this is a mistake (a runaway loop),
        // reported as an error instead of hanging `check` or the daemon.
        env.set_fuel(Some(MAX_STEPS));
        Self { env, by_text: HashMap::new(), entries: Vec::new(), sources: Vec::new() }
    }
}

/// `{{ day.date | format_date("%-d %B") }}` → `8 March`; month and weekday names in the text's
/// language (`post.language`), see [`super::locale`].
fn format_date(state: &minijinja::State<'_, '_>, value: &str, format: &str) -> Result<String, minijinja::Error> {
    let date = chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d").map_err(|_| {
        minijinja::Error::new(
            minijinja::ErrorKind::InvalidOperation,
            format!("format_date needs a YYYY-MM-DD date, got `{value}`"),
        )
    })?;
    let language = state
        .lookup("post")
        .and_then(|post| post.get_attr("language").ok())
        .and_then(|l| l.as_str().map(str::to_string))
        .unwrap_or_default();
    super::locale::format_date(date, format, &language).map_err(|_| {
        minijinja::Error::new(
            minijinja::ErrorKind::InvalidOperation,
            format!("`{format}` is not a date format (use strftime codes such as %-d %B %Y)"),
        )
    })
}

impl Templates {
    /// Whether the compiled template `index` uses `var` (in a `{{ … }}` or `{% … %}` tag).
    pub fn uses(&self, index: usize, var: &str) -> bool {
        self.source(index).is_some_and(|text| find_in_tags(text, var).is_some())
    }

    /// Compiles `text` (or reuses an identical one) and checks its variables against `scope`.
    /// Returns the template's handle and whether it places the link itself.
    pub fn add(&mut self, text: &str, scope: Scope) -> Result<Compiled, TemplateError> {
        let index = match self.by_text.get(text) {
            Some(&i) => i,
            None => {
                let index = self.entries.len();
                let name = format!("t{index}");
                let plain = plain_segments(text);
                if let Some(segments) = plain {
                    // Plain text with substitutions: no engine needed.
                    let mut used: Vec<String> = segments
                        .iter()
                        .filter_map(|s| match s {
                            Segment::Var(v) => Some(v.clone()),
                            Segment::Text(_) => None,
                        })
                        .collect();
                    used.sort();
                    used.dedup();
                    let unknown = used.iter().find_map(|v| check_known(text, v).err());
                    self.entries.push(Entry { name, used, plain: Some(segments), unknown });
                    self.sources.push(text.to_string());
                    self.by_text.insert(text.to_string(), index);
                    return self.finish_add(index, text, scope);
                }
                if let Some((tag, range)) = foreign_tag(text) {
                    return Err(TemplateError {
                        message: format!("`{{% {tag} %}}` is not available in a post's text"),
                        help: Some(
                            "a post's text is written in the post itself; to share words between posts, use a campaign-wide variable such as `{{ hashtags }}` or repeat them".into(),
                        ),
                        range: Some(range),
                    });
                }
                self.env.add_template_owned(name.clone(), text.to_string()).map_err(|e| TemplateError {
                    message: format!("the text is not a valid template: {}", e.detail().unwrap_or("syntax error")),
                    help: Some(
                        "variables are written `{{ day.name }}`; to write braces literally use `{{ '{{' }}`".into(),
                    ),
                    range: e.range(),
                })?;
                let template = self.env.get_template(&name).map_err(|e| TemplateError {
                    message: format!("internal error (a bug in herald): compiled template vanished: {e}"),
                    help: None,
                    range: None,
                })?;
                // Functions such as `range` are globals of the engine, not post variables.
                let mut used: Vec<String> = template
                    .undeclared_variables(true)
                    .into_iter()
                    .filter(|v| {
                        let root = v.split('.').next().unwrap_or(v);
                        !self.env.globals().any(|(name, _)| name == root)
                    })
                    .collect();
                used.sort();
                let unknown = used.iter().find_map(|v| check_known(text, v).err());
                self.entries.push(Entry { name, used, plain: None, unknown });
                self.sources.push(text.to_string());
                self.by_text.insert(text.to_string(), index);
                index
            }
        };
        self.finish_add(index, text, scope)
    }

    fn finish_add(&self, index: usize, text: &str, scope: Scope) -> Result<Compiled, TemplateError> {
        let used = &self.entries[index].used;
        // Names are checked once per template; what the post's scope provides, per use.
        if let Some(e) = &self.entries[index].unknown {
            return Err(e.clone());
        }
        for var in used {
            check_scope(text, var, scope)?;
        }
        Ok(Compiled { index, uses_link: used.iter().any(|v| v == "link") })
    }

    /// The text a compiled template was made from.
    pub fn source(&self, index: usize) -> Option<&str> {
        self.sources.get(index).map(String::as_str)
    }

    /// Renders a compiled template with `vars`.
    pub fn render(&self, index: usize, vars: &Vars<'_>) -> Result<String, TemplateError> {
        let entry = self.entries.get(index).ok_or_else(|| TemplateError {
            message: format!("internal error (a bug in herald): no template {index}"),
            help: None,
            range: None,
        })?;
        if let Some(segments) = &entry.plain {
            let mut out = String::with_capacity(256);
            for s in segments {
                match s {
                    Segment::Text(t) => out.push_str(t),
                    Segment::Var(v) => out.push_str(&vars.get(v).ok_or_else(|| TemplateError {
                        message: format!("the text could not be rendered: `{v}` is not defined for this post"),
                        help: None,
                        range: None,
                    })?),
                }
            }
            return Ok(out);
        }
        let mut out = Bounded { text: Vec::with_capacity(256), over: false };
        let rendered =
            self.env.get_template(&entry.name).and_then(|t| t.render_captured_to(vars.to_value(), &mut out).map(drop));
        if out.over {
            return Err(TemplateError {
                message: format!(
                    "the text could not be rendered: it grows past {} KiB (a loop or a repetition that runs away)",
                    MAX_RENDERED / 1024
                ),
                help: Some("shorten the repetition; no platform takes a post this long".into()),
                range: None,
            });
        }
        match rendered {
            Ok(_) => String::from_utf8(out.text).map_err(|_| TemplateError {
                message: "internal error (a bug in herald): the rendered text is not UTF-8".into(),
                help: None,
                range: None,
            }),
            Err(e) => {
                let (message, help) = explain(&e);
                Err(TemplateError {
                    message: format!("the text could not be rendered: {message}"),
                    help,
                    range: e.range(),
                })
            }
        }
    }
}

/// The rendered text, refusing to grow past [`MAX_RENDERED`].
struct Bounded {
    text: Vec<u8>,
    over: bool,
}

impl std::io::Write for Bounded {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.text.len() + buf.len() > MAX_RENDERED {
            self.over = true;
            return Err(std::io::Error::other("the rendered text is too long"));
        }
        self.text.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A template failure in an editor's words, and how to fix it.
fn explain(e: &minijinja::Error) -> (String, Option<String>) {
    use minijinja::ErrorKind as K;
    let detail = e.detail().map(str::to_string);
    let detail_or = |fallback: &str| detail.clone().unwrap_or_else(|| fallback.to_string());
    match e.kind() {
        K::OutOfFuel => (
            format!("it takes more than {MAX_STEPS} steps (a loop or a repetition that runs away)"),
            Some("make the loop or repetition smaller; a post's text needs only a few steps".into()),
        ),
        K::MissingArgument => (
            format!("a filter or function is missing an argument ({})", detail_or("an argument is needed")),
            Some("e.g. `{{ day.date | format_date(\"%-d %B\") }}` gives the format `format_date` needs".into()),
        ),
        K::TooManyArguments => (
            format!("a filter or function is given too many arguments ({})", detail_or("too many")),
            Some("check the filter's arguments".into()),
        ),
        K::UnknownFilter | K::UnknownFunction | K::UnknownTest | K::UnknownMethod => (
            format!("{} is not available in post texts", detail_or("this name")),
            Some("the filters of the template language (upper, lower, title, trim, replace, join…) and `format_date` are".into()),
        ),
        K::UndefinedError => (
            format!("a value used here is not defined ({})", detail_or("undefined")),
            Some("the variables are listed in README.md (\"Template variables\")".into()),
        ),
        K::InvalidOperation => (
            detail_or("an operation that cannot be done"),
            Some("a value is of the wrong kind here (a number where a text is needed, say), or too large".into()),
        ),
        K::TemplateNotFound | K::BadInclude => (
            "a post's text cannot include another template".into(),
            Some("write the words in the post itself".into()),
        ),
        _ => (detail_or("the template failed"), None),
    }
}

/// The first tag of `text` that reaches other templates (`{% include … %}`…), with its range.
fn foreign_tag(text: &str) -> Option<(&'static str, Range<usize>)> {
    let mut from = 0;
    while let Some(open) = text[from..].find("{%").map(|i| from + i) {
        let inner = text[open + 2..].trim_start_matches(['-', '+', '~']).trim_start();
        let word: String = inner.chars().take_while(|c| c.is_ascii_alphabetic()).collect();
        if let Some(tag) = FOREIGN_TAGS.iter().find(|t| **t == word) {
            let close = text[open..].find("%}").map_or(text.len(), |i| open + i + 2);
            return Some((tag, open..close));
        }
        from = open + 2;
    }
    None
}

/// Where `var` is used inside a `{{ … }}` or `{% … %}` tag (not in the surrounding prose).
fn find_in_tags(text: &str, var: &str) -> Option<usize> {
    text.match_indices(var).map(|(i, _)| i).find(|&i| {
        let before = &text[..i];
        let open = before.rfind("{{").max(before.rfind("{%"));
        let close = before.rfind("}}").max(before.rfind("%}"));
        open.is_some() && open > close
    })
}

/// Whether `var` is one of [`VARIABLES`] (or the object holding some of them).
fn check_known(text: &str, var: &str) -> Result<(), TemplateError> {
    let known = VARIABLES.iter().any(|(name, _)| *name == var || name.split('.').next() == Some(var));
    let range = || find_in_tags(text, var).map(|i| i..i + var.len());
    if !known {
        let names = VARIABLES.iter().map(|(n, _)| *n);
        return Err(TemplateError {
            message: format!("unknown variable `{var}` in the text"),
            help: Some(crate::diagnostic::did_you_mean(var, names).unwrap_or_else(|| {
                format!("available: {}", VARIABLES.iter().map(|(n, _)| format!("`{n}`")).collect::<Vec<_>>().join(", "))
            })),
            range: range(),
        });
    }
    Ok(())
}

/// Whether the post's scope provides `var` (`day` only for day posts, `link` only with a link).
fn check_scope(text: &str, var: &str, scope: Scope) -> Result<(), TemplateError> {
    let range = || find_in_tags(text, var).map(|i| i..i + var.len());
    let root = var.split('.').next().unwrap_or(var);
    if root == "day" && !scope.has_day {
        return Err(TemplateError {
            message: format!("`{var}` is only defined for posts tied to a day"),
            help: Some("use `day = \"…\"` for this post, or `post.date` for its date".into()),
            range: range(),
        });
    }
    if root == "link" && !scope.has_link {
        return Err(TemplateError {
            message: "the text uses `{{ link }}` but this post has no link".into(),
            help: Some("set `link` in `[campaign]` or in the post".into()),
            range: range(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const ALL: Scope = Scope { has_day: true, has_link: true };

    fn vars() -> Vars<'static> {
        Vars {
            campaign_id: "hs4a-2027",
            campaign_name: "Human Security for All",
            post_id: "water",
            post_date: "2027-03-22",
            post_time: "09:00",
            post_language: "en",
            day: Some(DayVars { id: "world-water-day", name: "World Water Day", date: "2027-03-22", year: 2027 }),
            channel_name: "x",
            channel_platform: "twitter",
            channel_handle: "@humansecurityFA",
            link: Some("https://www.humansecurity.world"),
            hashtags: "#HumanSecurity #HS4A",
        }
    }

    #[test]
    fn renders_and_reuses_identical_texts() {
        let mut t = Templates::default();
        let a = t.add("Today is {{ day.name }}.", ALL).unwrap().index;
        let b = t.add("Today is {{ day.name }}.", ALL).unwrap().index;
        assert_eq!(a, b);
        assert_eq!(t.render(a, &vars()).unwrap(), "Today is World Water Day.");
    }

    #[test]
    fn unknown_variables_are_found_before_rendering() {
        let mut t = Templates::default();
        let e = t.add("Hello {{ dya.name }}", ALL).unwrap_err();
        assert_eq!(e.message, "unknown variable `dya.name` in the text");
        assert_eq!(e.help.as_deref(), Some("did you mean `day.name`?"));
        assert_eq!(e.range, Some(9..17));
        let e = t.add("{{ day.name }}", Scope { has_day: false, has_link: true }).unwrap_err();
        assert!(e.message.contains("only defined for posts tied to a day"));
        let e = t.add("{{ link }}", Scope { has_day: true, has_link: false }).unwrap_err();
        assert!(e.message.contains("no link"));
    }

    #[test]
    fn errors_point_at_the_variable_not_at_the_same_word_in_prose() {
        let mut t = Templates::default();
        let text = "Our link in bio is not {{ link }}";
        let e = t.add(text, Scope { has_day: true, has_link: false }).unwrap_err();
        assert_eq!(e.range, Some(26..30));
        assert_eq!(&text[26..30], "link");
    }

    /// Adds `text` and renders it with [`vars`]: the error's message and help, whichever step failed.
    fn failure(text: &str) -> (String, String) {
        let mut t = Templates::default();
        let e = match t.add(text, ALL) {
            Err(e) => e,
            Ok(c) => t.render(c.index, &vars()).expect_err(text),
        };
        (e.message, e.help.unwrap_or_default())
    }

    #[test]
    fn a_post_text_cannot_reach_the_engine_or_other_posts() {
        let (message, _) = failure("{{ debug() }}");
        assert!(message.contains("`debug`"), "{message}");
        let mut t = Templates::default();
        t.add("The other post's text", ALL).unwrap();
        for tag in ["{% include 't0' %}", "{%- import 't0' as x %}", "{% from 't0' import y %}", "{% extends 't0' %}"] {
            let e = t.add(&format!("Hi {tag}"), ALL).unwrap_err();
            assert!(e.message.contains("is not available in a post's text"), "{tag}: {}", e.message);
            assert_eq!(e.range, Some(3..3 + tag.len()), "{tag}");
        }
    }

    #[test]
    fn template_limits_are_said_in_an_editors_words() {
        let cases = [
            ("{{ 'x' * 10**9 }}", "steps"),
            ("{% set s = 'x' * 5000 %}{% for i in range(100) %}{{ s }}{{ s }}{% endfor %}", "grows past 256 KiB"),
            ("{{ 'ab' | indent(1000000000) }}", "steps"),
            ("{% for i in range(1000) %}{% for j in range(1000) %}x{% endfor %}{% endfor %}", "steps"),
            ("{{ day.date | format_date }}", "missing an argument"),
            ("{{ day.name | shout }}", "not available in post texts"),
        ];
        for (text, expected) in cases {
            let (message, help) = failure(text);
            assert!(message.contains(expected), "{text}: {message}");
            assert!(!message.ends_with(": error") && !help.is_empty(), "{text}: {message} / {help}");
        }
    }

    #[test]
    fn knows_whether_the_text_places_the_link() {
        let mut t = Templates::default();
        assert!(t.add("Read more: {{ link }}", ALL).unwrap().uses_link);
        assert!(!t.add("Follow the link in our bio", ALL).unwrap().uses_link);
    }

    #[test]
    fn syntax_errors_are_located() {
        let mut t = Templates::default();
        let e = t.add("Hello {{ day.name ", ALL).unwrap_err();
        assert!(e.message.starts_with("the text is not a valid template"), "{e:?}");
    }

    #[test]
    fn full_templates_go_through_minijinja() {
        let mut t = Templates::default();
        let n = t.add("{{ day.date | format_date('%-d %B') }}{% if link %} {{ link }}{% endif %}", ALL).unwrap().index;
        assert_eq!(t.render(n, &vars()).unwrap(), "22 March https://www.humansecurity.world");
        assert!(plain_segments("{% if x %}y{% endif %}").is_none());
        assert!(plain_segments("{{ a | upper }}").is_none());
        assert!(plain_segments("{{- a }}").is_none());
    }

    #[test]
    fn runaway_templates_stop_with_an_error() {
        let mut t = Templates::default();
        let n =
            t.add("{% for a in range(1000) %}{% for b in range(1000) %}x{% endfor %}{% endfor %}", ALL).unwrap().index;
        let e = t.render(n, &vars()).unwrap_err();
        assert!(e.message.contains("could not be rendered"), "{e:?}");
    }

    #[test]
    fn plain_templates_are_split_into_text_and_variables() {
        assert_eq!(
            plain_segments("Hi {{ campaign.name }}!\n").unwrap(),
            vec![Segment::Text("Hi ".into()), Segment::Var("campaign.name".into()), Segment::Text("!".into())]
        );
    }

    proptest! {
        /// The plain fast path prints exactly what minijinja prints.
        #[test]
        fn plain_rendering_equals_minijinja(
            pieces in proptest::collection::vec(
                prop_oneof![
                    "[a-zA-Z0-9 .,!?#@:/\n\\-]{0,12}".prop_map(|s| s),
                    proptest::sample::select(VARIABLES.iter().map(|(n, _)| *n).collect::<Vec<_>>())
                        .prop_map(|v| format!("{{{{ {v} }}}}")),
                    Just("}}".to_string()),
                    Just("{ x }".to_string()),
                ],
                0..8,
            ),
            trailing_newline in any::<bool>(),
        ) {
            let mut text = pieces.concat();
            if trailing_newline { text.push('\n'); }
            prop_assume!(plain_segments(&text).is_some());
            let mut env = Environment::new();
            env.set_undefined_behavior(UndefinedBehavior::Strict);
            prop_assert!(env.add_template_owned("t", text.clone()).is_ok(), "a plain template must be valid for minijinja too");
            let expected = env.get_template("t").unwrap().render(vars().to_value()).unwrap();
            let mut t = Templates::default();
            let index = t.add(&text, ALL).unwrap().index;
            prop_assert!(t.entries[index].plain.is_some());
            prop_assert_eq!(t.render(index, &vars()).unwrap(), expected);
        }
    }
}
