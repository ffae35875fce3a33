//! User-facing problems found in config and campaign files, and how they are shown.
//!
//! Owns the [`Diagnostic`] type (severity, file, byte span, message, help, notes), the conversion of a byte span
//! to `line:col`, rendering as rustc/cargo-style snippets (through `annotate-snippets`) or as JSON, and the
//! "did you mean" suggestions used by every validation. Validation code never prints: it returns
//! diagnostics, and the CLI prints them once.
//!
//! A rendered diagnostic is safe on a terminal: its message, help and path go through
//! [`crate::terminal::visible`], and each control or bidirectional character in the source line shown is
//! replaced by one visible stand-in (`␛`, `�`), so the caret still points at it. The JSON form keeps
//! the exact text.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::ops::Range;
use std::sync::Arc;

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};
use serde::Serialize;

use crate::terminal::{stand_in, visible, visible_line};

/// How serious a problem is. Errors stop a campaign from being scheduled; warnings do not (unless
/// `--deny-warnings`); notes say something worth knowing that is not a problem to fix (a post whose
/// date has gone by, which may simply have gone out) and never fail `check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Note,
}

/// A source file as the user wrote it: its display path and its text.
#[derive(Debug, Clone)]
pub struct Source {
    /// The path as shown to the user (relative to the project directory when possible).
    pub path: Arc<str>,
    pub text: Arc<str>,
}

impl Source {
    pub fn new(path: impl Into<Arc<str>>, text: impl Into<Arc<str>>) -> Self {
        Self { path: path.into(), text: text.into() }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = floor_char_boundary(&self.text, offset.min(self.text.len()));
        let before = &self.text[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let col = before[line_start..].chars().count() + 1;
        (line, col)
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// One problem, with where it is and how to fix it.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    pub severity: Severity,
    /// The file the problem is in; `None` for problems that belong to no file (e.g. an empty project).
    pub source: Option<Source>,
    /// Byte range in `source` of the offending text.
    pub span: Option<Range<usize>>,
    pub message: String,
    pub help: Option<String>,
    /// Facts that explain the problem (`note:` lines under it), e.g. the errors elsewhere that follow
    /// from it.
    pub notes: Vec<String>,
    /// A span of `config/herald.toml` whose mistake causes this problem (a channel left out because its
    /// table has an error): such problems are folded under that error as a note, not listed on their own.
    pub caused_by: Option<Range<usize>>,
    /// The source line may hold a credential pasted by mistake: show only `file:line:col`.
    pub sensitive: bool,
}

impl Diagnostic {
    pub fn error(message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Error,
            source: None,
            span: None,
            message: message.into(),
            help: None,
            notes: Vec::new(),
            caused_by: None,
            sensitive: false,
        }
    }

    pub fn warning(message: impl Into<String>) -> Self {
        Self { severity: Severity::Warning, ..Self::error(message) }
    }

    pub fn notice(message: impl Into<String>) -> Self {
        Self { severity: Severity::Note, ..Self::error(message) }
    }

    /// Points the diagnostic at `span` in `source`.
    #[must_use]
    pub fn at(mut self, source: &Source, span: Range<usize>) -> Self {
        self.source = Some(source.clone());
        self.span = Some(span);
        self
    }

    /// Names the file without a position.
    #[must_use]
    pub fn in_file(mut self, source: &Source) -> Self {
        self.source = Some(source.clone());
        self
    }

    #[must_use]
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    #[must_use]
    pub fn help_opt(mut self, help: Option<String>) -> Self {
        self.help = help;
        self
    }

    #[must_use]
    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// `(line, column)`, 1-based, when the diagnostic has a position.
    pub fn line_col(&self) -> Option<(usize, usize)> {
        let source = self.source.as_ref()?;
        let span = self.span.as_ref()?;
        Some(source.line_col(span.start))
    }

    /// `file:line:col`, or as much of it as is known.
    pub fn location(&self) -> Option<String> {
        let source = self.source.as_ref()?;
        Some(match self.line_col() {
            Some((line, col)) => format!("{}:{line}:{col}", source.path),
            None => source.path.to_string(),
        })
    }

    /// Renders like rustc: title, `--> file:line:col`, source line, caret, `help:`.
    pub fn render(&self, color: bool) -> String {
        let level = match self.severity {
            Severity::Error => Level::ERROR,
            Severity::Warning => Level::WARNING,
            Severity::Note => Level::NOTE,
        };
        // What the files and platforms say is shown, never acted on by the terminal.
        let message = visible(&self.message);
        let mut group = Group::with_title(level.primary_title(&*message));
        let path = self.source.as_ref().map(|s| visible_line(&s.path));
        match (&self.source, &self.span, &path) {
            (Some(source), Some(span), Some(path)) if self.sensitive => {
                let (line, col) = source.line_col(span.start);
                group = group.element(annotate_snippets::Origin::path(&**path).line(line).char_column(col));
            }
            (Some(source), Some(span), Some(path)) => {
                let (text, span) = shown(&source.text, &clamp_span(&source.text, span));
                group =
                    group.element(Snippet::source(text).path(&**path).annotation(AnnotationKind::Primary.span(span)));
            }
            (Some(_), None, Some(path)) => {
                group = group.element(annotate_snippets::Origin::path(&**path));
            }
            _ => {}
        }
        let help = self.help.as_deref().map(visible);
        if let Some(help) = &help {
            group = group.element(Level::HELP.message(&**help));
        }
        let notes: Vec<_> = self.notes.iter().map(|n| visible(n)).collect();
        for note in &notes {
            group = group.element(Level::NOTE.message(&**note));
        }
        let renderer = if color { Renderer::styled() } else { Renderer::plain() };
        renderer.render(&[group])
    }

    fn to_json(&self) -> JsonDiagnostic<'_> {
        let (line, column) = self.line_col().unzip();
        JsonDiagnostic {
            severity: self.severity,
            file: self.source.as_ref().map(|s| &*s.path),
            line,
            column,
            message: &self.message,
            help: self.help.as_deref(),
            notes: &self.notes,
        }
    }
}

/// Keeps a span inside the text and on character boundaries, and at least one character wide when the
/// text allows, so a caret always shows.
fn clamp_span(text: &str, span: &Range<usize>) -> Range<usize> {
    let start = floor_char_boundary(text, span.start.min(text.len()));
    let mut end = floor_char_boundary(text, span.end.min(text.len())).max(start);
    if end == start {
        end = text[start..].chars().next().map_or(start, |c| start + c.len_utf8());
    }
    start..end
}

/// The source text as shown under a diagnostic, and `span` in it: each [`crate::terminal::hostile`]
/// character is replaced by one visible [`stand_in`], so every column (and the `-->` line's) stays what
/// it is in the file.
fn shown<'a>(text: &'a str, span: &Range<usize>) -> (Cow<'a, str>, Range<usize>) {
    if !text.chars().any(crate::terminal::hostile) {
        return (Cow::Borrowed(text), span.clone());
    }
    let moved = |offset: usize| -> usize { text[..offset].chars().map(|c| stand_in(c).len_utf8()).sum() };
    (Cow::Owned(text.chars().map(stand_in).collect()), moved(span.start)..moved(span.end))
}

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    severity: Severity,
    file: Option<&'a str>,
    line: Option<usize>,
    column: Option<usize>,
    message: &'a str,
    help: Option<&'a str>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    notes: &'a [String],
}

/// Sorts diagnostics by file, position, then severity, so output is stable, and drops exact repeats
/// (the same problem found once per channel is reported once). Problems in `config/herald.toml` come
/// first: the campaign files depend on it, so its mistakes are often the root cause of theirs.
pub fn sort(diagnostics: &mut Vec<Diagnostic>) {
    diagnostics.sort_by(|a, b| {
        let key = |d: &Diagnostic| {
            let path = d.source.as_ref().map(|s| s.path.clone());
            let config_first = path.as_deref() != Some(crate::config::CONFIG_PATH);
            (config_first, path, d.span.as_ref().map(|s| s.start), d.severity)
        };
        key(a).cmp(&key(b)).then_with(|| a.message.cmp(&b.message))
    });
    diagnostics.dedup_by(|a, b| {
        a.message == b.message
            && a.span == b.span
            && a.severity == b.severity
            && a.source.as_ref().map(|s| &s.path) == b.source.as_ref().map(|s| &s.path)
    });
}

/// How many errors, warnings and notes there are.
pub fn counts(diagnostics: &[Diagnostic]) -> (usize, usize, usize) {
    let of = |s: Severity| diagnostics.iter().filter(|d| d.severity == s).count();
    (of(Severity::Error), of(Severity::Warning), of(Severity::Note))
}

/// Renders all diagnostics followed by a one-line summary (`error: 2 errors, 1 warning`, `, 1 note`
/// when there are notes).
pub fn render_all(diagnostics: &[Diagnostic], color: bool) -> String {
    let mut out = String::new();
    for d in diagnostics {
        out.push_str(&d.render(color));
        out.push_str("\n\n");
    }
    let (errors, warnings, notes) = counts(diagnostics);
    if errors + warnings > 0 {
        let _ = write!(
            out,
            "{}: {}, {}",
            if errors > 0 { "error" } else { "warning" },
            plural(errors, "error"),
            plural(warnings, "warning")
        );
        if notes > 0 {
            let _ = write!(out, ", {}", plural(notes, "note"));
        }
        out.push('\n');
    } else if notes > 0 {
        let _ = writeln!(out, "ok: no problems, {}", plural(notes, "note"));
    }
    out
}

/// JSON array of `{severity, file, line, column, message, help}`.
pub fn to_json(diagnostics: &[Diagnostic]) -> String {
    let items: Vec<_> = diagnostics.iter().map(Diagnostic::to_json).collect();
    serde_json::to_string_pretty(&items).expect("diagnostics always serialize")
}

/// GitHub Actions workflow commands, one line per diagnostic: `::error file=F,line=L,endLine=L,col=C,
/// endColumn=E,title=T::MESSAGE` (or `::warning`), so a workflow's run shows each problem on its line
/// of the pull request. `prefix` is the project folder's path inside the repository (`""` at its
/// root), put before each file's path. The help is folded into the message after a line break. As
/// GitHub's runner reads them: `%`, CR and LF are written `%25`, `%0D`, `%0A` in the message, and `:`
/// and `,` also as `%3A` and `%2C` in the properties; a terminal's hostile characters are written
/// visibly (the runner's log is shown as it is).
pub fn to_github(diagnostics: &[Diagnostic], prefix: &str) -> String {
    let mut out = String::new();
    for d in diagnostics {
        let command = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "notice",
        };
        let mut properties = Vec::new();
        if let Some(source) = &d.source {
            let path = if prefix.is_empty() { source.path.to_string() } else { format!("{prefix}/{}", source.path) };
            properties.push(format!("file={}", github_property(&path)));
            if let Some(span) = &d.span {
                let span = clamp_span(&source.text, span);
                let (line, col) = source.line_col(span.start);
                let last = floor_char_boundary(&source.text, span.end.saturating_sub(1)).max(span.start);
                let (end_line, end_col) = source.line_col(last);
                properties.push(format!("line={line}"));
                properties.push(format!("endLine={end_line}"));
                // GitHub takes columns only for a span on one line.
                if end_line == line {
                    properties.push(format!("col={col}"));
                    properties.push(format!("endColumn={end_col}"));
                }
            }
        }
        properties.push(format!("title={}", github_property(&format!("herald check: {command}"))));
        let mut message = d.message.clone();
        if let Some(help) = &d.help {
            message.push_str("\nhelp: ");
            message.push_str(help);
        }
        // The notes say what else follows from the problem (errors folded under it): the annotation is
        // then the only place those show.
        for note in &d.notes {
            message.push_str("\nnote: ");
            message.push_str(note);
        }
        let _ = writeln!(out, "::{command} {}::{}", properties.join(","), github_data(&message));
    }
    out
}

/// A workflow command's message: `%`, CR and LF escaped, hostile characters visible.
fn github_data(s: &str) -> String {
    visible(s).replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// A workflow command's property value: as [`github_data`], and `:` and `,` escaped.
fn github_property(s: &str) -> String {
    github_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// `1 error`, `2 warnings`.
pub fn plural(n: usize, word: &str) -> String {
    if n == 1 { format!("{n} {word}") } else { format!("{n} {word}s") }
}

/// The candidates closest to `wrong` (by edit distance, case-insensitive), best first, at most three.
pub fn closest<'a>(wrong: &str, candidates: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    let wrong_lower = wrong.to_lowercase();
    let mut scored: Vec<(f64, &str)> = candidates
        .into_iter()
        .filter_map(|c| {
            let lower = c.to_lowercase();
            let mut score = strsim::jaro_winkler(&wrong_lower, &lower);
            if lower.contains(&wrong_lower) || wrong_lower.contains(&lower) {
                score = score.max(0.85);
            }
            (score >= 0.75).then_some((score, c))
        })
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(b.1)));
    scored.dedup_by(|a, b| a.1 == b.1);
    // Only the candidates nearly as close as the best one: a clear winner is suggested alone.
    let best = scored.first().map_or(0.0, |s| s.0);
    scored.into_iter().take_while(|(s, _)| best - s < 0.04).take(3).map(|(_, c)| c).collect()
}

/// "did you mean `x`?" / "did you mean `x`, `y` or `z`?" help text, if there is any close candidate.
pub fn did_you_mean<'a>(wrong: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
    let found = closest(wrong, candidates);
    match found.as_slice() {
        [] => None,
        [one] => Some(format!("did you mean `{one}`?")),
        [init @ .., last] => {
            let init: Vec<String> = init.iter().map(|c| format!("`{c}`")).collect();
            Some(format!("did you mean {} or `{last}`?", init.join(", ")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_characters_not_bytes() {
        let src = Source::new("a.toml", "x = 1\ny = \"é\" z\n");
        let z = src.text.find('z').unwrap();
        assert_eq!(src.line_col(z), (2, 9));
        assert_eq!(src.line_col(0), (1, 1));
    }

    #[test]
    fn render_shows_location_caret_and_help() {
        let src = Source::new("campaigns/a.toml", "[campaign]\ntimezone = \"Mars/Base\"\n");
        let start = src.text.find("\"Mars").unwrap();
        let d = Diagnostic::error("unknown time zone `Mars/Base`")
            .at(&src, start..start + 11)
            .help("use an IANA name such as `Europe/Paris`");
        let out = d.render(false);
        assert!(out.contains("error: unknown time zone `Mars/Base`"), "{out}");
        assert!(out.contains("--> campaigns/a.toml:2:12"), "{out}");
        assert!(out.contains("^^^^^^^^^^^"), "{out}");
        assert!(out.contains("help: use an IANA name"), "{out}");
    }

    #[test]
    fn empty_span_at_end_of_file_still_renders() {
        let src = Source::new("a.toml", "x = ");
        let d = Diagnostic::error("boom").at(&src, 10..12);
        assert!(d.render(false).contains("a.toml:1:5"));
    }

    #[test]
    fn hostile_text_is_shown_visibly_and_the_caret_still_points_at_it() {
        let src = Source::new("a\u{1b}[2J.toml", "text = \"abc\u{202e}def\u{9b}2J\"\n");
        let start = src.text.find('\u{202e}').unwrap();
        let d = Diagnostic::warning("bad \u{1b}]8;;https://evil.example\u{7}link")
            .at(&src, start..start + 3)
            .help("see \u{202e}here");
        let out = d.render(false);
        assert!(!out.chars().any(crate::terminal::hostile), "{out:?}");
        assert!(out.contains("warning: bad <U+001B>]8;;https://evil.example<U+0007>link"), "{out}");
        assert!(out.contains("--> a<U+001B>[2J.toml:1:12"), "{out}");
        assert!(out.contains("1 | text = \"abc\u{fffd}def\u{fffd}2J\""), "{out}");
        assert!(out.contains("  |            ^"), "{out}");
        assert!(out.contains("help: see <U+202E>here"), "{out}");
        // The JSON form keeps the exact text.
        assert!(to_json(&[d]).contains("\\u001b]8;;https://evil.example\\u0007link"));
    }

    #[test]
    fn suggestions_find_typos() {
        let keys = ["text", "time", "timezone", "thread"];
        assert_eq!(closest("tetx", keys), vec!["text"]);
        assert_eq!(did_you_mean("timzone", keys).as_deref(), Some("did you mean `timezone`?"));
        assert!(did_you_mean("zzzzzz", keys).is_none());
    }

    #[test]
    fn github_commands_keep_the_notes_under_a_problem() {
        let src = Source::new("config/herald.toml", "[channels.x]\nplatform = \"twiter\"\n");
        let start = src.text.find("\"twiter").unwrap();
        let d = Diagnostic::error("unknown platform `twiter`")
            .at(&src, start..start + 8)
            .help("did you mean `twitter`?")
            .note("2 errors in campaign files follow from this: campaigns/a.toml:5:13, campaigns/b.toml:5:13");
        assert_eq!(
            to_github(&[d], ""),
            "::error file=config/herald.toml,line=2,endLine=2,col=12,endColumn=19,title=herald check%3A error::\
             unknown platform `twiter`%0Ahelp: did you mean `twitter`?%0Anote: 2 errors in campaign files follow \
             from this: campaigns/a.toml:5:13, campaigns/b.toml:5:13\n"
        );
    }

    #[test]
    fn github_commands_locate_each_problem_and_escape_what_the_runner_reads() {
        let src = Source::new("campaigns/a,b.toml", "[campaign]\ntimezone = \"Mars/Base\"\ntext = \"50%\"\n");
        let start = src.text.find("\"Mars").unwrap();
        let pct = src.text.find("50%").unwrap();
        let d = [
            Diagnostic::error("unknown time zone `Mars/Base`")
                .at(&src, start..start + 11)
                .help("use an IANA name: `Europe/Paris`, `America/New_York`"),
            Diagnostic::warning("50% off\r\n::error::forged \u{1b}[2J").at(&src, pct..pct + 3),
            Diagnostic::warning("spans two lines").at(&src, 0..start + 2),
            Diagnostic::warning("no campaign files in campaigns/"),
        ];
        assert_eq!(
            to_github(&d, "calendar"),
            "::error file=calendar/campaigns/a%2Cb.toml,line=2,endLine=2,col=12,endColumn=22,title=herald check%3A error::unknown time zone `Mars/Base`%0Ahelp: use an IANA name: `Europe/Paris`, `America/New_York`
::warning file=calendar/campaigns/a%2Cb.toml,line=3,endLine=3,col=9,endColumn=11,title=herald check%3A warning::50%25 off<U+000D>%0A::error::forged <U+001B>[2J
::warning file=calendar/campaigns/a%2Cb.toml,line=1,endLine=2,title=herald check%3A warning::spans two lines
::warning title=herald check%3A warning::no campaign files in campaigns/
"
        );
        assert_eq!(
            to_github(&d[..1], "").lines().next().unwrap().split(',').next(),
            Some("::error file=campaigns/a%2Cb.toml")
        );
    }

    #[test]
    fn json_has_stable_fields() {
        let src = Source::new("a.toml", "a = 1\n");
        let d = [Diagnostic::warning("w").at(&src, 4..5).help("h")];
        let v: serde_json::Value = serde_json::from_str(&to_json(&d)).unwrap();
        assert_eq!(
            v,
            serde_json::json!([{"severity":"warning","file":"a.toml","line":1,"column":5,"message":"w","help":"h"}])
        );
    }
}
