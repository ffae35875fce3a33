//! Post text templates: compiling them once, checking their variables, rendering them.
//!
//! Owns [`Templates`], a minijinja environment holding every post text of a project (identical texts
//! share one compiled template), and the list of variables a text may use ([`VARIABLES`]). Variables are
//! checked when the template is added, so a typo such as `{{ dya.name }}` is a `herald check` error, not a
//! failure at publish time; rendering is strict as a second line of defence.

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
    ("day.id", "the day's id (posts with `day` only)"),
    ("day.name", "the day's official name, e.g. `World Water Day`"),
    ("day.date", "the day's date, YYYY-MM-DD"),
    ("day.year", "the day's year"),
    ("channel.name", "the channel name from `config/herald.toml`"),
    ("channel.platform", "`twitter`, `instagram`, `linkedin` or `facebook`"),
    ("channel.handle", "the channel's handle, with `@`"),
    ("link", "the post's link, with UTM parameters when `utm = true`"),
    ("hashtags", "the post's hashtags, e.g. `#HumanSecurity #HS4A`"),
];

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
    pub name: String,
    /// Whether the text places `{{ link }}` itself.
    pub uses_link: bool,
}

/// The compiled templates of a project.
pub struct Templates {
    env: Environment<'static>,
    by_text: HashMap<String, String>,
    sources: HashMap<String, String>,
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
        Self {
            env,
            by_text: HashMap::new(),
            sources: HashMap::new(),
        }
    }
}

/// `{{ day.date | format_date("%-d %B") }}` → `8 March`.
fn format_date(value: &str, format: &str) -> Result<String, minijinja::Error> {
    let date = chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d").map_err(|_| {
        minijinja::Error::new(
            minijinja::ErrorKind::InvalidOperation,
            format!("format_date needs a YYYY-MM-DD date, got `{value}`"),
        )
    })?;
    let mut out = String::new();
    use std::fmt::Write as _;
    write!(out, "{}", date.format_with_items(chrono::format::StrftimeItems::new(format)))
        .map_err(|_| {
            minijinja::Error::new(
                minijinja::ErrorKind::InvalidOperation,
                format!("`{format}` is not a date format (use strftime codes such as %-d %B %Y)"),
            )
        })?;
    Ok(out)
}

impl Templates {
    /// Compiles `text` (or reuses an identical one) and checks its variables against `scope`.
    /// Returns the template's name and the root names of the variables it uses.
    pub fn add(&mut self, text: &str, scope: Scope) -> Result<Compiled, TemplateError> {
        let name = match self.by_text.get(text) {
            Some(name) => name.clone(),
            None => {
                let name = format!("t{}", self.by_text.len());
                self.env
                    .add_template_owned(name.clone(), text.to_string())
                    .map_err(|e| TemplateError {
                        message: format!("the text is not a valid template: {}", e.detail().unwrap_or("syntax error")),
                        help: Some("variables are written `{{ day.name }}`; to write braces literally use `{{ '{{' }}`".into()),
                        range: e.range(),
                    })?;
                self.by_text.insert(text.to_string(), name.clone());
                self.sources.insert(name.clone(), text.to_string());
                name
            }
        };
        let template = self.env.get_template(&name).map_err(|e| TemplateError {
            message: format!("internal error (a bug in herald): compiled template vanished: {e}"),
            help: None,
            range: None,
        })?;
        let mut used: Vec<String> = template.undeclared_variables(true).into_iter().collect();
        used.sort();
        for var in &used {
            check_variable(text, var, scope)?;
        }
        let uses_link = used.iter().any(|v| v == "link");
        Ok(Compiled { name, uses_link })
    }

    /// The text a compiled template was made from.
    pub fn source(&self, name: &str) -> Option<&str> {
        self.sources.get(name).map(String::as_str)
    }

    /// Renders a compiled template.
    pub fn render(&self, name: &str, context: &Value) -> Result<String, TemplateError> {
        self.env
            .get_template(name)
            .and_then(|t| t.render(context))
            .map_err(|e| TemplateError {
                message: format!("the text could not be rendered: {}", e.detail().unwrap_or("error")),
                help: None,
                range: e.range(),
            })
    }
}

fn check_variable(text: &str, var: &str, scope: Scope) -> Result<(), TemplateError> {
    let known = VARIABLES.iter().any(|(name, _)| {
        *name == var || name.split('.').next() == Some(var)
    });
    let range = text.find(var).map(|i| i..i + var.len());
    if !known {
        let names = VARIABLES.iter().map(|(n, _)| *n);
        return Err(TemplateError {
            message: format!("unknown variable `{var}` in the text"),
            help: Some(crate::diagnostic::did_you_mean(var, names).unwrap_or_else(|| {
                format!(
                    "available: {}",
                    VARIABLES.iter().map(|(n, _)| format!("`{n}`")).collect::<Vec<_>>().join(", ")
                )
            })),
            range,
        });
    }
    let root = var.split('.').next().unwrap_or(var);
    if root == "day" && !scope.has_day {
        return Err(TemplateError {
            message: format!("`{var}` is only defined for posts tied to a day"),
            help: Some("use `day = \"…\"` for this post, or `post.date` for its date".into()),
            range,
        });
    }
    if root == "link" && !scope.has_link {
        return Err(TemplateError {
            message: "the text uses `{{ link }}` but this post has no link".into(),
            help: Some("set `link` in `[campaign]` or in the post".into()),
            range,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: Scope = Scope {
        has_day: true,
        has_link: true,
    };

    #[test]
    fn renders_and_reuses_identical_texts() {
        let mut t = Templates::default();
        let a = t.add("Today is {{ day.name }}.", ALL).unwrap().name;
        let b = t.add("Today is {{ day.name }}.", ALL).unwrap().name;
        assert_eq!(a, b);
        let ctx = minijinja::context! { day => minijinja::context! { name => "World Water Day" } };
        assert_eq!(t.render(&a, &ctx).unwrap(), "Today is World Water Day.");
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
    fn dates_can_be_formatted() {
        let mut t = Templates::default();
        let n = t.add("{{ day.date | format_date('%-d %B') }}", ALL).unwrap().name;
        let ctx = minijinja::context! { day => minijinja::context! { date => "2027-03-08" } };
        assert_eq!(t.render(&n, &ctx).unwrap(), "8 March");
    }
}
