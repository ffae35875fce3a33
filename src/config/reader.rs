//! Reading a parsed TOML document key by key, collecting every problem instead of stopping at the first.
//!
//! Owns [`TableReader`]: it takes keys out of a spanned TOML table, deserializes each value with serde into
//! its (validating) type, turns each failure into a [`Diagnostic`] that points at the value, and at the end
//! reports every key nobody asked for as "unknown key, did you mean …". This is how the `Toml*` schema types
//! in [`super::schema`] are filled: field by field, so that one bad value never hides another. TOML syntax
//! errors the parser describes in its own terms are said in plain words where the source shows what
//! happened (curly quotes, a `03/05/2027` date, a `"""` never closed: shown where it opens, also when
//! the next text's opening quotes closed it); so are values of the wrong kind (`channels = "x"`).

use std::ops::Range;

use serde::Deserialize as _;
use serde::de::DeserializeOwned;
use toml::Spanned;
use toml::de::{DeString, DeTable, DeValue, ValueDeserializer};

use crate::diagnostic::{Diagnostic, Source, did_you_mean};

/// A spanned value taken from the document.
pub type Value<'i> = Spanned<DeValue<'i>>;

/// Parses `source` as TOML. Syntax errors (all of them, thanks to the recovering parser) become
/// diagnostics; the root table is returned only when there were none.
pub fn parse<'i>(source: &'i Source, diags: &mut Vec<Diagnostic>) -> Option<Spanned<DeTable<'i>>> {
    let (root, errors) = DeTable::parse_recoverable(&source.text);
    if errors.is_empty() {
        return Some(root);
    }
    // Everything after a multi-line string that is never closed is read as part of it: one problem,
    // shown where the string opened.
    let unclosed = unclosed_multi_line(&source.text);
    for e in errors {
        let span = e.span().unwrap_or(0..0);
        if unclosed.is_some_and(|(at, ..)| span.start >= at) {
            continue;
        }
        diags.push(match plain_words(&source.text, span.start) {
            Some((message, help, span)) => Diagnostic::error(message).at(source, span).help(help),
            None => {
                let message = first_line(e.message());
                Diagnostic::error(format!("invalid TOML: {message}")).at(source, span).help(syntax_help(message))
            }
        });
    }
    if let Some((at, quote, next)) = unclosed {
        let help = match next {
            Some(next) => {
                let line_start = source.text[..next].rfind('\n').map_or(0, |i| i + 1);
                format!(
                    "end the text with {quote} before line {} (`{} {quote}`), where another text opens",
                    source.text[..next].matches('\n').count() + 1,
                    source.text[line_start..next].trim()
                )
            }
            None => format!("end the text with {quote}; until then, everything after this line is read as part of it"),
        };
        diags.push(
            Diagnostic::error(format!("this text opens with {quote} and is never closed"))
                .at(source, at..at + quote.len())
                .help(help),
        );
    }
    None
}

/// A syntax error the parser describes in its own terms, said in plain words when the source at `at`
/// shows what happened: the message, the fix and where to point.
///
/// What: a value in curly quotes (`“…”`, `‘…’`, as word processors write them) and a date written
/// `03/05/2027`. Why: the parser only says that the value is not quoted. Example: `text = “Hello”` says
/// to use straight quotes; `date = 03/05/2027` asks which of 5 March and 3 May is meant.
fn plain_words(text: &str, at: usize) -> Option<(String, String, Range<usize>)> {
    let rest = text.get(at..)?;
    let skipped = rest.len() - rest.trim_start_matches([' ', '\t']).len();
    let (at, rest) = (at + skipped, &rest[skipped..]);
    let first = rest.chars().next()?;
    if matches!(first, '\u{201c}' | '\u{201d}' | '\u{2018}' | '\u{2019}') {
        let straight = if matches!(first, '\u{2018}' | '\u{2019}') { "'…'" } else { "\"…\"" };
        return Some((
            format!("`{first}` is a curly quote: TOML needs straight quotes around text"),
            format!(
                "write {straight} with straight quotes (word processors and some editors turn them curly); curly quotes inside the text are fine"
            ),
            at..at + first.len_utf8(),
        ));
    }
    let (written, help) = slash_date_help(rest)?;
    Some((format!("`{written}` is not a date herald can read"), help, at..at + written.len()))
}

/// A date written with slashes or dots at the start of `text` (see [`slash_date`]): what was written,
/// and a help that names the date (or both dates it could be) as YYYY-MM-DD. Also used for a date
/// written in quotes (`"03/05/2027"`), which parses as text.
pub(crate) fn slash_date_help(text: &str) -> Option<(&str, String)> {
    let (written, month_first, day_first) = slash_date(text)?;
    let iso = |d: chrono::NaiveDate| d.format("%Y-%m-%d").to_string();
    let help = match (month_first, day_first) {
        (Some(a), Some(b)) if a != b => format!(
            "it could be {} or {}: write the one you mean as YYYY-MM-DD, `{}` or `{}`",
            a.format("%-d %B"),
            b.format("%-d %B"),
            iso(a),
            iso(b)
        ),
        (Some(d), _) | (None, Some(d)) => format!("write dates as YYYY-MM-DD: `{}`", iso(d)),
        (None, None) => "write dates as YYYY-MM-DD, e.g. `2027-03-05`".to_string(),
    };
    Some((written, help))
}

/// A date written `MM/DD/YYYY`, `DD/MM/YYYY` (or with dots, `05.03.2027`) or `YYYY/MM/DD` at the start of
/// `text`: what was written, and the date it is when read month first and when read day first (each
/// when it exists; both the same for year first).
fn slash_date(text: &str) -> Option<(&str, Option<chrono::NaiveDate>, Option<chrono::NaiveDate>)> {
    let len = text.find(|c: char| !(c.is_ascii_digit() || c == '/' || c == '.')).unwrap_or(text.len());
    let written = &text[..len];
    let separator = if written.contains('/') { '/' } else { '.' };
    let parts: Vec<&str> = written.split(separator).collect();
    let [a, b, c] = parts.as_slice() else { return None };
    let short = |p: &str| (1..=2).contains(&p.len());
    let number = |p: &str| p.parse::<u32>().ok();
    let date = |y: &str, m: &str, d: &str| chrono::NaiveDate::from_ymd_opt(y.parse().ok()?, number(m)?, number(d)?);
    if short(a) && short(b) && c.len() == 4 {
        Some((written, date(c, a, b), date(c, b, a)))
    } else if a.len() == 4 && short(b) && short(c) {
        let d = date(a, b, c);
        Some((written, d, d))
    } else {
        None
    }
}

/// Where a multi-line string (`"""` or `'''`) opens that is never closed, its quotes, and where the
/// next text opens when that is what closed it. Comments and one-line strings are skipped, so quotes
/// inside them do not count.
///
/// A string whose closing quotes end a line such as `text = """` was not closed by its writer: those
/// quotes open the next text, and the parser reads that text as TOML, an error on each of its lines.
fn unclosed_multi_line(text: &str) -> Option<(usize, &'static str, Option<usize>)> {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let rest = &text.as_bytes()[i..];
        if rest[0] == b'#' {
            i += rest.iter().position(|b| *b == b'\n').unwrap_or(rest.len());
        } else if let Some(quote) = ["\"\"\"", "'''"].into_iter().find(|q| rest.starts_with(q.as_bytes())) {
            let q = quote.as_bytes()[0];
            let mut j = i + 3;
            loop {
                if j >= bytes.len() {
                    return Some((i, quote, None));
                }
                if q == b'"' && bytes[j] == b'\\' {
                    j += 2;
                } else if bytes[j..].starts_with(quote.as_bytes()) {
                    if opens_a_value(text, j) {
                        return Some((i, quote, Some(j)));
                    }
                    // The closing quotes may follow one or two quotes of the text's own.
                    j += 3;
                    let mut extra = 0;
                    while extra < 2 && bytes.get(j) == Some(&q) {
                        j += 1;
                        extra += 1;
                    }
                    break;
                } else {
                    j += 1;
                }
            }
            i = j;
        } else if rest[0] == b'"' || rest[0] == b'\'' {
            // A one-line string ends at its quote, or at the end of the line (a mistake reported as such).
            let q = rest[0];
            let mut j = i + 1;
            while j < bytes.len() && bytes[j] != q && bytes[j] != b'\n' {
                j += if q == b'"' && bytes[j] == b'\\' { 2 } else { 1 };
            }
            i = j + 1;
        } else {
            i += 1;
        }
    }
    None
}

/// Whether the line holding `at` reads `key =` up to `at`: quotes there open a value, they do not close
/// a text.
fn opens_a_value(text: &str, at: usize) -> bool {
    let line = &text[text[..at].rfind('\n').map_or(0, |i| i + 1)..at];
    line.trim_end().strip_suffix('=').is_some_and(|key| {
        let key = key.trim();
        !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
    })
}

/// A fix for a TOML syntax error, by what the parser said.
fn syntax_help(message: &str) -> &'static str {
    let m = message.to_ascii_lowercase();
    if m.contains("date") || m.contains("time") {
        "write a real date as YYYY-MM-DD (e.g. 2027-02-28), or a time in quotes (\"09:00\")"
    } else if m.contains("string") || m.contains("quote") {
        "close the string with the same quote it opened with; multi-line text goes between \"\"\" and \"\"\""
    } else if m.contains("duplicate key") {
        "each key may appear once per table; remove or rename the second one"
    } else {
        "check the TOML syntax near here: text needs quotes, tables are `[name]`, lists `[a, b]`"
    }
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or(s).trim_end()
}

/// Takes keys out of one TOML table. Create it with [`TableReader::new`], read each known key, then call
/// [`TableReader::finish`] to report the leftovers as unknown keys.
pub struct TableReader<'i, 's> {
    source: &'s Source,
    /// What this table is called in messages, e.g. "`[campaign]`".
    what: String,
    span: Range<usize>,
    entries: Vec<(Spanned<DeString<'i>>, Value<'i>)>,
    asked: Vec<&'static str>,
    invalid: Vec<&'static str>,
}

impl<'i, 's> TableReader<'i, 's> {
    pub fn new(source: &'s Source, what: impl Into<String>, table: Spanned<DeTable<'i>>) -> Self {
        let span = table.span();
        Self {
            source,
            what: what.into(),
            span,
            entries: table.into_inner().into_iter().collect(),
            asked: Vec::new(),
            invalid: Vec::new(),
        }
    }

    /// Reads `value` as a table, or reports that it should be one.
    pub fn from_value(
        source: &'s Source,
        what: impl Into<String>,
        value: Value<'i>,
        diags: &mut Vec<Diagnostic>,
    ) -> Option<Self> {
        let what = what.into();
        let span = value.span();
        match value.into_inner() {
            DeValue::Table(t) => Some(Self::new(source, what, Spanned::new(span, t))),
            other => {
                diags.push(
                    Diagnostic::error(format!("{what} must be a table, found {}", other.type_str())).at(source, span),
                );
                None
            }
        }
    }

    pub fn source(&self) -> &'s Source {
        self.source
    }

    /// The span of the whole table (its header to its last value).
    pub fn span(&self) -> Range<usize> {
        self.span.clone()
    }

    /// Removes `key` and returns its raw value, remembering that the key is known.
    pub fn take_raw(&mut self, key: &'static str) -> Option<(Range<usize>, Value<'i>)> {
        self.asked.push(key);
        let i = self.entries.iter().position(|(k, _)| k.get_ref() == key)?;
        let (k, v) = self.entries.remove(i);
        Some((k.span(), v))
    }

    /// Reads an optional key into `T`. A value of the wrong shape is reported (pointing at the value) and
    /// read as absent, so validation can go on.
    pub fn optional<T: DeserializeOwned>(
        &mut self,
        key: &'static str,
        diags: &mut Vec<Diagnostic>,
    ) -> Option<Spanned<T>> {
        let (_, value) = self.take_raw(key)?;
        let read = deserialize(self.source, key, value, diags);
        if read.is_none() {
            self.invalid.push(key);
        }
        read
    }

    /// Keys that were present but had an invalid value (already reported). Checks for a missing key
    /// skip these, so one mistake is reported once.
    pub fn invalid_keys(&self) -> Vec<&'static str> {
        self.invalid.clone()
    }

    /// Reads a required key; a missing key is reported at the table.
    pub fn required<T: DeserializeOwned>(
        &mut self,
        key: &'static str,
        example: &str,
        diags: &mut Vec<Diagnostic>,
    ) -> Option<Spanned<T>> {
        let present = self.entries.iter().any(|(k, _)| k.get_ref() == key);
        if !present {
            self.asked.push(key);
            diags.push(
                Diagnostic::error(format!("{} is missing `{key}`", self.what))
                    .at(self.source, self.header_span())
                    .help(format!("add it, e.g. `{key} = {example}`")),
            );
            return None;
        }
        self.optional(key, diags)
    }

    /// Reads a key holding an array of tables (`[[post]]`), or a single table for `single_ok`.
    pub fn array_of_tables(
        &mut self,
        key: &'static str,
        diags: &mut Vec<Diagnostic>,
    ) -> Vec<(Range<usize>, Value<'i>)> {
        let Some((key_span, value)) = self.take_raw(key) else {
            return Vec::new();
        };
        let span = value.span();
        match value.into_inner() {
            DeValue::Array(items) => items.into_iter().map(|item| (item.span(), item)).collect(),
            other => {
                diags.push(
                    Diagnostic::error(format!(
                        "`{key}` must be a list of tables written `[[{key}]]`, found {}",
                        other.type_str()
                    ))
                    .at(self.source, key_span.start..span.end)
                    .help(format!("write `[[{key}]]`, with two brackets, above each one")),
                );
                Vec::new()
            }
        }
    }

    /// The span to point at when the table itself is the problem: its first line.
    pub fn header_span(&self) -> Range<usize> {
        let text = &self.source.text;
        let start = self.span.start.min(text.len());
        let end = text[start..].find('\n').map_or(text.len(), |i| start + i);
        start..end.max(start)
    }

    /// Hands back the keys nobody asked for, for tables whose keys are names (`[channels.NAME]`).
    pub fn take_rest(&mut self) -> Vec<(Spanned<DeString<'i>>, Value<'i>)> {
        std::mem::take(&mut self.entries)
    }

    /// Hands back the unread keys whose values are tables (per-platform overrides in a post), leaving
    /// the others for [`TableReader::finish`] to report.
    pub fn take_tables(&mut self) -> Vec<(Spanned<DeString<'i>>, Value<'i>)> {
        let (tables, rest) = std::mem::take(&mut self.entries).into_iter().partition(|(_, v)| v.get_ref().is_table());
        self.entries = rest;
        tables
    }

    /// The known keys that the unknown keys left so far are probably typos of (`tetx` → `text`): a check
    /// for a missing key skips these, as the typo is already reported.
    pub fn misspelled(&self) -> Vec<&'static str> {
        self.entries
            .iter()
            .filter_map(|(key, _)| {
                let best = crate::diagnostic::closest(key.get_ref(), self.asked.iter().copied());
                let best = best.first()?;
                self.asked.iter().copied().find(|k| k == best)
            })
            .collect()
    }

    /// The tables under an unread key that is probably a typo of `known` (`[channel.x]` for
    /// `[channels.x]`): each table's name, the misspelt key and the table. [`TableReader::finish`]
    /// still reports the key.
    pub fn misspelt_tables(&self, known: &'static str) -> Vec<(String, Range<usize>, Range<usize>)> {
        self.entries
            .iter()
            .filter(|(key, _)| {
                crate::diagnostic::closest(key.get_ref(), self.asked.iter().copied()).first() == Some(&known)
            })
            .filter_map(|(key, value)| match value.get_ref() {
                DeValue::Table(t) => Some(
                    t.iter()
                        .filter(|(_, v)| v.get_ref().is_table())
                        .map(|(name, v)| (name.get_ref().to_string(), key.span(), v.span()))
                        .collect::<Vec<_>>(),
                ),
                _ => None,
            })
            .flatten()
            .collect()
    }

    /// Reports every key that was not read as unknown, with the closest known key as a suggestion.
    pub fn finish(self, diags: &mut Vec<Diagnostic>) {
        self.finish_with(diags, &[]);
    }

    /// Like [`TableReader::finish`], with extra names to suggest (e.g. channel names for overrides).
    pub fn finish_with(self, diags: &mut Vec<Diagnostic>, extra: &[&str]) {
        for (key, _) in self.entries {
            let name = key.get_ref();
            let candidates = self.asked.iter().copied().chain(extra.iter().copied());
            let help = did_you_mean(name, candidates).unwrap_or_else(|| {
                format!(
                    "{} accepts: {}",
                    self.what,
                    self.asked.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ")
                )
            });
            diags.push(
                Diagnostic::error(format!("unknown key `{name}` in {}", self.what))
                    .at(self.source, key.span())
                    .help(help),
            );
        }
    }
}

/// Deserializes one value into `T`, reporting a failure as a diagnostic at the value.
///
/// Validating newtypes put a fix in their error message after a line `help: …`; it becomes the
/// diagnostic's help.
pub fn deserialize<T: DeserializeOwned>(
    source: &Source,
    key: &str,
    value: Value<'_>,
    diags: &mut Vec<Diagnostic>,
) -> Option<Spanned<T>> {
    let span = value.span();
    let found = value.get_ref().type_str();
    let text = match value.get_ref() {
        DeValue::String(t) => Some(t.to_string()),
        _ => None,
    };
    match Spanned::<T>::deserialize(ValueDeserializer::from(value)) {
        Ok(v) => Some(v),
        Err(e) => {
            let error_span = e.span().unwrap_or(span);
            let (message, help) = match wrong_kind(key, e.message(), found, text.as_deref()) {
                Some((message, help)) => (message, Some(help)),
                None => split_help(e.message()),
            };
            diags.push(Diagnostic::error(format!("invalid `{key}`: {message}")).at(source, error_span).help_opt(help));
            None
        }
    }
}

/// serde's "invalid type: string \"x\", expected a sequence" in plain words, with the fix: the message
/// and the help. `found` is the TOML type of the value written (its text when it is a string). `None`
/// for other errors (the validating types write their own).
fn wrong_kind(key: &str, message: &str, found: &str, text: Option<&str>) -> Option<(String, String)> {
    let (_, expected) = message.strip_prefix("invalid type: ")?.split_once(", expected ")?;
    let found = match found {
        "string" => "text",
        "integer" | "float" => "a number",
        "boolean" => "true or false",
        "datetime" => "a date or time",
        "array" => "a list",
        _ => "a table",
    };
    let (expected, help) = match expected {
        "a sequence" => (
            "a list",
            match text.filter(|t| !t.contains(['"', '\\']) && !t.chars().any(char::is_control)) {
                Some(t) => format!("write a list in brackets, even of one: `{key} = [\"{t}\"]`"),
                None => format!("write a list in brackets, even of one: `{key} = [\"…\"]`"),
            },
        ),
        "a string" => ("text", format!("put the value in quotes: `{key} = \"…\"`")),
        "a boolean" => ("true or false", format!("write `{key} = true` or `{key} = false`, without quotes")),
        e if e.contains("integer") => ("a number", format!("write a whole number without quotes: `{key} = 2`")),
        _ => return None,
    };
    Some((format!("expected {expected}, found {found}"), help))
}

/// Splits "message\nhelp: fix" into its two halves.
pub fn split_help(message: &str) -> (String, Option<String>) {
    match message.split_once("\nhelp: ") {
        Some((m, h)) => (m.trim().to_string(), Some(h.trim().to_string())),
        None => (message.trim().to_string(), None),
    }
}

/// The span of `range` (bytes within `text`, the value of a TOML string) in the file, when the string
/// literal holds the text verbatim (no escapes); otherwise the whole literal.
pub fn span_in_string(file: &str, literal: Range<usize>, text: &str, range: Option<Range<usize>>) -> Range<usize> {
    let Some(raw) = file.get(literal.clone()) else { return literal };
    let Some(range) = range else { return literal };
    let Some(at) =
        raw.find(text).or_else(|| (!text.is_empty()).then(|| raw.find(text.lines().next().unwrap_or(text))).flatten())
    else {
        return literal;
    };
    let start = literal.start + at + range.start;
    let end = literal.start + at + range.end;
    if end <= literal.end { start..end } else { literal }
}

/// The byte range in the file of the character at byte `at` of `value`, the string written at
/// `literal` (a TOML string literal with its quotes): the escape that wrote it (`\u001b`, `\e`) or the
/// character itself. The whole literal when the two cannot be matched up.
pub fn char_span(file: &str, literal: Range<usize>, value: &str, at: usize) -> Range<usize> {
    let Some(raw) = file.get(literal.clone()) else { return literal };
    let Some(decoded) = decode_literal(raw) else { return literal };
    let mut chars = value.char_indices();
    let matched = decoded.len() == value.chars().count()
        && decoded.iter().all(|(_, c)| chars.next().is_some_and(|(_, v)| v == *c));
    let index = value.get(..at).map(|before| before.chars().count());
    match (matched, index.and_then(|i| decoded.get(i))) {
        (true, Some((range, _))) => literal.start + range.start..literal.start + range.end,
        _ => literal,
    }
}

/// Each character of a TOML string literal's value with the bytes of `raw` that wrote it; `None` for
/// what is not a string literal this reader understands.
fn decode_literal(raw: &str) -> Option<Vec<(Range<usize>, char)>> {
    let (quote, basic) = if raw.starts_with("\"\"\"") {
        ("\"\"\"", true)
    } else if raw.starts_with("'''") {
        ("'''", false)
    } else if raw.starts_with('"') {
        ("\"", true)
    } else if raw.starts_with('\'') {
        ("'", false)
    } else {
        return None;
    };
    let multi = quote.len() == 3;
    let end = raw.len().checked_sub(quote.len()).filter(|e| *e >= quote.len() && raw.ends_with(quote))?;
    let mut i = quote.len();
    // A multi-line string drops the line break right after its opening quotes.
    if multi {
        i += if raw[i..].starts_with("\r\n") { 2 } else { usize::from(raw[i..].starts_with('\n')) };
    }
    let mut out = Vec::new();
    while i < end {
        let c = raw[i..].chars().next()?;
        if !(basic && c == '\\') {
            out.push((i..i + c.len_utf8(), c));
            i += c.len_utf8();
            continue;
        }
        let next = raw[i + 1..].chars().next()?;
        let simple = match next {
            'b' => Some('\u{8}'),
            't' => Some('\t'),
            'n' => Some('\n'),
            'f' => Some('\u{c}'),
            'r' => Some('\r'),
            'e' => Some('\u{1b}'),
            '"' => Some('"'),
            '\\' => Some('\\'),
            _ => None,
        };
        if let Some(decoded) = simple {
            out.push((i..i + 2, decoded));
            i += 2;
            continue;
        }
        let digits = match next {
            'x' => 2,
            'u' => 4,
            'U' => 8,
            // A line-ending backslash: the line break and the white space after it are dropped.
            ' ' | '\t' | '\r' | '\n' if multi => {
                i += 1;
                while let Some(w) = raw[i..end].chars().next().filter(|w| w.is_ascii_whitespace()) {
                    i += w.len_utf8();
                }
                continue;
            }
            _ => return None,
        };
        let hex = raw.get(i + 2..i + 2 + digits)?;
        let decoded = u32::from_str_radix(hex, 16).ok().and_then(char::from_u32)?;
        out.push((i..i + 2 + digits, decoded));
        i += 2 + digits;
    }
    Some(out)
}

/// The span of the string literal given to `key` inside `region` of `file` (an inline table such as
/// `{ file = "…", alt = "…" }`), when it can be found.
pub fn literal_of_key(file: &str, region: Range<usize>, key: &str) -> Option<Range<usize>> {
    let text = file.get(region.clone())?;
    let is_word = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-');
    for (at, _) in text.match_indices(key) {
        let before = text[..at].chars().next_back();
        if before.is_some_and(is_word) || before.is_some_and(|c| c == '.') {
            continue;
        }
        let rest = text[at + key.len()..].trim_start_matches([' ', '\t']);
        let Some(value) = rest.strip_prefix('=') else { continue };
        let value = value.trim_start_matches([' ', '\t']);
        let start = text.len() - value.len();
        let len = literal_len(value)?;
        return Some(region.start + start..region.start + start + len);
    }
    None
}

/// The length in bytes of the string literal `text` starts with.
fn literal_len(text: &str) -> Option<usize> {
    for quote in ["\"\"\"", "'''", "\"", "'"] {
        let Some(body) = text.strip_prefix(quote) else { continue };
        let basic = quote.starts_with('"');
        let mut i = 0;
        while i < body.len() {
            if body[i..].starts_with(quote) {
                // A multi-line string may end with one or two quotes of its own before its closing three.
                let extra = body[i + quote.len()..].chars().take(2).take_while(|c| quote.starts_with(*c)).count();
                return Some(quote.len() + i + extra + quote.len());
            }
            let c = body[i..].chars().next()?;
            i += if basic && c == '\\' { 1 + body[i + 1..].chars().next()?.len_utf8() } else { c.len_utf8() };
        }
        return None;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> (Vec<Diagnostic>, Option<String>, Option<i64>) {
        let source = Source::new("t.toml", text);
        let mut diags = Vec::new();
        let Some(root) = parse(&source, &mut diags) else {
            return (diags, None, None);
        };
        let mut t = TableReader::new(&source, "`[campaign]`", root);
        let name = t.optional::<String>("name", &mut diags);
        let n = t.optional::<i64>("count", &mut diags);
        t.finish(&mut diags);
        (diags, name.map(Spanned::into_inner), n.map(Spanned::into_inner))
    }

    #[test]
    fn char_span_finds_the_escape_that_wrote_a_character() {
        let file = "text = \"a\\u001b[2J\\eb\\U0000202Ec\u{202e}d\"\nx = 1\n";
        let start = file.find('"').unwrap();
        let end = file.find("\nx").unwrap();
        let value = "a\u{1b}[2J\u{1b}b\u{202e}c\u{202e}d";
        let at = |i: usize| {
            let r = char_span(file, start..end, value, i);
            &file[r]
        };
        assert_eq!(at(1), "\\u001b");
        assert_eq!(at(value.find("\u{1b}b").unwrap()), "\\e");
        assert_eq!(at(value.find("\u{202e}c").unwrap()), "\\U0000202E");
        assert_eq!(at(value.find("\u{202e}d").unwrap()), "\u{202e}");
        // A value that is not what the literal says: the whole literal.
        assert_eq!(char_span(file, start..end, "other", 1), start..end);
    }

    #[test]
    fn char_span_reads_multi_line_and_literal_strings() {
        let file = "t = \"\"\"\nab \\\n   c\\u0007\"\"\"\nu = 'x\u{202e}'\n";
        let lit = file.find("\"\"\"").unwrap()..file.find("\nu").unwrap();
        let value = "ab c\u{7}";
        assert_eq!(&file[char_span(file, lit, value, 4)], "\\u0007");
        let lit = file.find('\'').unwrap()..file.len() - 1;
        assert_eq!(&file[char_span(file, lit, "x\u{202e}", 1)], "\u{202e}");
    }

    #[test]
    fn literal_of_key_finds_a_value_in_an_inline_table() {
        let file = "media = [{ file = \"a.jpg\", alt = \"say \\\"hi\\\"\\u0007\" }]\n";
        let region = file.find('{').unwrap()..file.find('}').unwrap() + 1;
        let lit = literal_of_key(file, region.clone(), "alt").unwrap();
        assert_eq!(&file[lit], "\"say \\\"hi\\\"\\u0007\"");
        assert_eq!(&file[literal_of_key(file, region.clone(), "file").unwrap()], "\"a.jpg\"");
        assert_eq!(literal_of_key(file, region, "nothing"), None);
    }

    #[test]
    fn reports_every_unknown_key_and_every_bad_value() {
        let (diags, name, n) = read("nmae = \"x\"\ncount = \"three\"\nzzz = 1\n");
        assert_eq!(name, None);
        assert_eq!(n, None);
        let msgs: Vec<_> = diags.iter().map(|d| (d.location().unwrap(), d.message.clone(), d.help.clone())).collect();
        assert_eq!(msgs.len(), 3, "{msgs:?}");
        assert!(msgs[0].1.starts_with("invalid `count`"), "{msgs:?}");
        assert_eq!(msgs[0].0, "t.toml:2:9");
        assert_eq!(msgs[1].1, "unknown key `nmae` in `[campaign]`");
        assert_eq!(msgs[1].2.as_deref(), Some("did you mean `name`?"));
        assert_eq!(msgs[1].0, "t.toml:1:1");
        assert_eq!(msgs[2].0, "t.toml:3:1");
    }

    #[test]
    fn reports_all_syntax_errors() {
        let (diags, ..) = read("a = \nb = [1, \n");
        assert!(!diags.is_empty());
        assert!(diags.iter().all(|d| d.message.starts_with("invalid TOML")));
    }

    #[test]
    fn syntax_help_fits_the_mistake() {
        let (diags, ..) = read("starts = 2027-02-30\n");
        assert_eq!(diags[0].help.as_deref(), Some(syntax_help("invalid date")));
        assert!(diags[0].help.as_deref().unwrap().contains("YYYY-MM-DD"));
        let (diags, ..) = read("name = \"open\n");
        assert!(diags[0].help.as_deref().unwrap().contains("close the string"), "{:?}", diags[0]);
    }

    fn syntax(text: &str) -> Vec<(String, String, Option<String>)> {
        let (diags, ..) = read(text);
        diags.iter().map(|d| (d.location().unwrap(), d.message.clone(), d.help.clone())).collect()
    }

    #[test]
    fn curly_quotes_are_named_and_straight_ones_asked_for() {
        let found = syntax("name = \u{201c}Hello\u{201d}\n");
        assert_eq!(
            found,
            vec![(
                "t.toml:1:8".to_string(),
                "`\u{201c}` is a curly quote: TOML needs straight quotes around text".to_string(),
                Some("write \"…\" with straight quotes (word processors and some editors turn them curly); curly quotes inside the text are fine".to_string()),
            )]
        );
        let found = syntax("name = \u{2018}Hello\u{2019}\n");
        assert_eq!(found[0].1, "`\u{2018}` is a curly quote: TOML needs straight quotes around text");
        assert!(found[0].2.as_deref().unwrap().starts_with("write '…' with straight quotes"), "{found:?}");
    }

    #[test]
    fn a_slash_date_asks_which_date_is_meant() {
        let found = syntax("count = 03/05/2027\n");
        assert_eq!(
            found,
            vec![(
                "t.toml:1:9".to_string(),
                "`03/05/2027` is not a date herald can read".to_string(),
                Some(
                    "it could be 5 March or 3 May: write the one you mean as YYYY-MM-DD, `2027-03-05` or `2027-05-03`"
                        .to_string()
                ),
            )]
        );
        let found = syntax("count = 05.03.2027\n");
        assert_eq!(found[0].1, "`05.03.2027` is not a date herald can read");
        assert!(found[0].2.as_deref().unwrap().ends_with("`2027-05-03` or `2027-03-05`"), "{found:?}");
        let found = syntax("count = 2027/03/05\n");
        assert_eq!(found[0].2.as_deref(), Some("write dates as YYYY-MM-DD: `2027-03-05`"));
        // Only one reading is a date: it is the one suggested.
        let found = syntax("count = 25/03/2027\n");
        assert_eq!(found[0].2.as_deref(), Some("write dates as YYYY-MM-DD: `2027-03-25`"));
        let found = syntax("count = 4/4/2027\n");
        assert_eq!(found[0].2.as_deref(), Some("write dates as YYYY-MM-DD: `2027-04-04`"));
    }

    #[test]
    fn an_unclosed_multi_line_string_is_shown_where_it_opens() {
        let text = "name = \"\"\"\nHello\n\ncount = 1\nzzz = \"x\"\n";
        let found = syntax(text);
        assert_eq!(
            found,
            vec![(
                "t.toml:1:8".to_string(),
                "this text opens with \"\"\" and is never closed".to_string(),
                Some(
                    "end the text with \"\"\"; until then, everything after this line is read as part of it"
                        .to_string()
                ),
            )]
        );
        let found = syntax("count = 1\nname = '''\nHello\n");
        assert_eq!(found[0].0, "t.toml:2:8");
        assert_eq!(found[0].1, "this text opens with ''' and is never closed");
    }

    #[test]
    fn a_multi_line_string_closed_only_by_the_next_texts_opening_is_unclosed() {
        // The first text lacks its closing quotes: the parser takes the second text's opening quotes as
        // the end of the first and reads the second text as TOML, one error per line.
        let text = "[[post]]\nid = \"a\"\ntext = \"\"\"\nHello\n\n[[post]]\nid = \"b\"\ntext = \"\"\"\nSecond text, read as keys.\nMore of it.\n\"\"\"\n";
        let found = syntax(text);
        assert_eq!(
            found,
            vec![(
                "t.toml:3:8".to_string(),
                "this text opens with \"\"\" and is never closed".to_string(),
                Some("end the text with \"\"\" before line 8 (`text = \"\"\"`), where another text opens".to_string()),
            )]
        );
    }

    #[test]
    fn closed_multi_line_strings_and_quotes_in_comments_are_not_unclosed() {
        assert_eq!(unclosed_multi_line("a = \"\"\"x \\\"\"\" y\"\"\"\"\n# \"\"\" in a comment\nb = '\"\"\"'\n"), None);
        assert_eq!(
            unclosed_multi_line("a = '''it's'''\nb = \"\"\"x\"\"\"\"\"\nc = \"\"\"\n"),
            Some((33, "\"\"\"", None))
        );
    }

    #[test]
    fn help_is_split_from_message() {
        assert_eq!(
            split_help("bad time `25:00`\nhelp: write HH:MM"),
            ("bad time `25:00`".into(), Some("write HH:MM".into()))
        );
    }
}
