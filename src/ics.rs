//! Calendar feeds: the preview and the international days as iCalendar (RFC 5545), to subscribe to in
//! any calendar app.
//!
//! Owns the writer: pure functions from a preview [`Entry`] or a day to the text of one `VEVENT`, and
//! the lines that open and close a `VCALENDAR`. The format's rules are kept here in one place: lines end
//! with CRLF; a content line longer than 75 octets is folded (CRLF and a space), never inside a UTF-8
//! sequence ([`fold`]); TEXT values escape `\`, `;`, `,` and line breaks ([`text`]); times are UTC
//! (`…Z`), and a day is an all-day event (`DTSTART;VALUE=DATE`, `DTEND` the next day).
//!
//! The output is byte-identical from run to run, so a feed regenerated in CI changes only where the
//! calendar does: each event's `UID` is its occurrence key (`campaign/post/channel/time@herald`, the key
//! `herald status` and `herald resolve` use; a day's is `day/id/date@herald`), and its `DTSTAMP`, which
//! RFC 5545 requires on every event, is the event's own start rather than the time of the run.
//!
//! RFC 5545 allows no control character but the tab in a value. What a post, a day's name or the ledger
//! says goes through [`crate::terminal::visible`] first, as on the terminal: control characters, escape
//! sequences and bidirectional controls are written `<U+XXXX>`; line breaks and tabs are kept.

use std::fmt::Write as _;

use chrono::NaiveDate;

use crate::preview::Entry;

/// The `PRODID` of every feed herald writes (no version: the bytes stay the same across upgrades).
pub const PRODID: &str = "-//herald//herald campaign calendar//EN";

/// The longest a line may be, in octets, without its CRLF (RFC 5545, 3.1).
const LINE_OCTETS: usize = 75;

/// The lines that open a calendar named `name` (shown by the apps that read `X-WR-CALNAME`).
#[must_use]
pub fn begin(name: &str) -> String {
    let mut out = String::new();
    line(&mut out, "BEGIN", "VCALENDAR");
    line(&mut out, "VERSION", "2.0");
    line(&mut out, "PRODID", PRODID);
    line(&mut out, "CALSCALE", "GREGORIAN");
    line(&mut out, "X-WR-CALNAME", &text(name));
    out
}

/// The line that closes a calendar.
#[must_use]
pub fn end() -> &'static str {
    "END:VCALENDAR\r\n"
}

/// One publication as an event: at its UTC time, titled with its channel and post, the text as sent in
/// the description, followed by where it goes, its images' alt text, its link field, notes, warnings
/// and what the ledger says of it.
#[must_use]
pub fn publication(e: &Entry<'_>) -> String {
    let at = utc_stamp(&e.at_utc);
    let mut out = String::new();
    line(&mut out, "BEGIN", "VEVENT");
    line(&mut out, "UID", &text(&format!("{}/{}/{}/{}@herald", e.campaign, e.post, e.channel, e.at_utc)));
    line(&mut out, "DTSTAMP", &at);
    line(&mut out, "DTSTART", &at);
    let cannot = if e.error.is_some() { "(cannot be published) " } else { "" };
    line(&mut out, "SUMMARY", &text(&format!("{cannot}{}: {}/{}", e.channel, e.campaign, e.post)));
    line(&mut out, "DESCRIPTION", &text(&description(e)));
    line(&mut out, "CATEGORIES", &text(e.platform));
    // What the ledger holds may have been typed by a person (`herald resolve --sent URL`), and a calendar
    // app opens `URL`: only an `http:` or `https:` address becomes it, as the parser serializes it (a URI
    // value is not TEXT: nothing to escape). Any other stays in the description, as text.
    if let (Some("sent"), Some(url)) = (e.status, e.url.as_deref().and_then(crate::preview_html::text::web_link)) {
        line(&mut out, "URL", &url);
    }
    line(&mut out, "TRANSP", "TRANSPARENT");
    line(&mut out, "END", "VEVENT");
    out
}

/// The description of a publication: the text exactly as composed, a blank line, then one line per
/// fact.
#[must_use]
pub fn description(e: &Entry<'_>) -> String {
    let mut d = e.text.clone();
    d.push_str("\n\n");
    let local = e.at_local.get(..16).unwrap_or(&e.at_local).replacen('T', " ", 1);
    let _ = writeln!(d, "Channel: {} ({} {})", e.channel, e.platform, e.handle);
    let _ = writeln!(d, "Local time: {local} {}", e.timezone);
    if let Some(how) = e.dst {
        let _ = writeln!(d, "DST: {how}");
    }
    if let Some(day) = &e.day {
        let _ = writeln!(d, "Day: {} ({})", day.name, day.date);
    }
    if e.parts.len() > 1 {
        let _ = writeln!(d, "Sent as a thread of {} parts", e.parts.len());
    }
    if let Some(link) = &e.link {
        let _ = writeln!(d, "Link: {link}");
    }
    for m in &e.media {
        match &m.alt {
            Some(alt) => _ = writeln!(d, "Image: {} (alt: {alt})", m.file),
            None => _ = writeln!(d, "Image: {} (no alt text)", m.file),
        }
    }
    for n in &e.notes {
        let _ = writeln!(d, "Note: {n}");
    }
    for w in &e.warnings {
        let _ = writeln!(d, "Warning: {w}");
    }
    if let Some(err) = &e.error {
        let _ = writeln!(d, "Error: {err}");
    }
    match (e.status, &e.url) {
        (Some("sent"), Some(url)) => _ = writeln!(d, "Sent: {url}"),
        (Some(status), _) => _ = writeln!(d, "Ledger: {status}"),
        (None, _) => {}
    }
    let _ = write!(d, "Key: {}/{}/{}/{}", e.campaign, e.post, e.channel, e.at_utc);
    d
}

/// One international day as an all-day event.
#[must_use]
pub fn day(id: &str, name: &str, date: NaiveDate, rule: &str) -> String {
    let mut out = String::new();
    let start = date.format("%Y%m%d").to_string();
    // The last representable date has no next day; no calendar herald lists reaches it.
    let end = date.succ_opt().map_or_else(|| start.clone(), |d| d.format("%Y%m%d").to_string());
    line(&mut out, "BEGIN", "VEVENT");
    line(&mut out, "UID", &text(&format!("day/{id}/{date}@herald")));
    line(&mut out, "DTSTAMP", &format!("{start}T000000Z"));
    line(&mut out, "DTSTART;VALUE=DATE", &start);
    line(&mut out, "DTEND;VALUE=DATE", &end);
    line(&mut out, "SUMMARY", &text(name));
    line(&mut out, "DESCRIPTION", &text(&format!("Day id: {id}\nRule: {rule}")));
    line(&mut out, "TRANSP", "TRANSPARENT");
    line(&mut out, "END", "VEVENT");
    out
}

/// `2027-03-08T14:00:00Z` (RFC 3339 in UTC, as the preview writes it) → `20270308T140000Z`.
fn utc_stamp(rfc3339: &str) -> String {
    rfc3339.chars().filter(|c| !matches!(c, '-' | ':')).collect()
}

/// Appends the content line `name:value`, folded, with its CRLF.
fn line(out: &mut String, name: &str, value: &str) {
    out.push_str(&fold(&format!("{name}:{value}")));
}

/// A TEXT value (RFC 5545, 3.3.11): hostile characters written visibly, then `\` → `\\`, `;` → `\;`,
/// `,` → `\,` and each line break → `\n`.
#[must_use]
pub fn text(value: &str) -> String {
    let value = crate::terminal::visible(value);
    let mut out = String::with_capacity(value.len() + 8);
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            _ => out.push(c),
        }
    }
    out
}

/// One content line (without a line break) as physical lines of at most 75 octets each, every one
/// ending with CRLF; a continuation line starts with a space, which counts in its 75. A line is cut only
/// between characters, never inside a UTF-8 sequence.
#[must_use]
pub fn fold(content: &str) -> String {
    let mut out = String::with_capacity(content.len() + content.len() / 64 * 3 + 2);
    let mut used = 0;
    for c in content.chars() {
        if used + c.len_utf8() > LINE_OCTETS {
            out.push_str("\r\n ");
            used = 1;
        }
        out.push(c);
        used += c.len_utf8();
    }
    out.push_str("\r\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_escapes_backslash_semicolon_comma_and_line_breaks() {
        assert_eq!(text(r"a\b;c,d"), r"a\\b\;c\,d");
        assert_eq!(text("one\ntwo\n"), r"one\ntwo\n");
        assert_eq!(text("a: b \"c\"\td"), "a: b \"c\"\td", "colons, quotes and tabs stay");
        assert_eq!(text(r"\n"), r"\\n", "a written backslash-n is not a line break");
    }

    #[test]
    fn text_writes_control_and_bidi_characters_visibly() {
        assert_eq!(text("a\u{1b}[2Jb"), "a<U+001B>[2Jb");
        assert_eq!(text("x\ry"), "x<U+000D>y");
        assert_eq!(text("\u{7}\u{0}\u{7f}\u{9b}"), "<U+0007><U+0000><U+007F><U+009B>");
        assert_eq!(text("abc\u{202e}def"), "abc<U+202E>def");
    }

    #[test]
    fn short_lines_are_not_folded() {
        assert_eq!(fold("SUMMARY:hello"), "SUMMARY:hello\r\n");
        let exact = format!("X:{}", "a".repeat(73));
        assert_eq!(exact.len(), 75);
        assert_eq!(fold(&exact), format!("{exact}\r\n"));
    }

    #[test]
    fn long_lines_fold_at_75_octets_with_a_leading_space() {
        let content = format!("X:{}", "a".repeat(74 + 74 + 10));
        let folded = fold(&content);
        let lines: Vec<&str> = folded.split("\r\n").collect();
        assert_eq!(
            lines,
            vec![
                format!("X:{}", "a".repeat(73)).as_str(),
                format!(" {}", "a".repeat(74)).as_str(),
                format!(" {}", "a".repeat(11)).as_str(),
                ""
            ]
        );
    }

    #[test]
    fn folding_never_cuts_a_utf8_sequence() {
        // "é" is 2 octets: 37 of them after "X:" reach 76 octets, so the last moves to the next line
        // whole rather than being cut after its first octet.
        let content = format!("X:{}", "é".repeat(37));
        assert_eq!(fold(&content), format!("X:{}\r\n é\r\n", "é".repeat(36)));
        // A 4-octet emoji at the boundary: 72 octets + 4 > 75, so it starts the next line.
        let content = format!("X:{}😷😷", "a".repeat(70));
        assert_eq!(fold(&content), format!("X:{}\r\n 😷😷\r\n", "a".repeat(70)));
        for line in fold(&"Ω😷ab".repeat(100)).split("\r\n") {
            assert!(line.len() <= 75, "{line:?} is {} octets", line.len());
        }
    }

    #[test]
    fn a_day_is_an_all_day_event_until_the_next_day() {
        let date = NaiveDate::from_ymd_opt(2027, 12, 31).unwrap();
        assert_eq!(
            day("hs4a-day", "Human Security Day; ours, really", date, "December 31"),
            "BEGIN:VEVENT\r\n\
             UID:day/hs4a-day/2027-12-31@herald\r\n\
             DTSTAMP:20271231T000000Z\r\n\
             DTSTART;VALUE=DATE:20271231\r\n\
             DTEND;VALUE=DATE:20280101\r\n\
             SUMMARY:Human Security Day\\; ours\\, really\r\n\
             DESCRIPTION:Day id: hs4a-day\\nRule: December 31\r\n\
             TRANSP:TRANSPARENT\r\n\
             END:VEVENT\r\n"
        );
    }

    #[test]
    fn a_calendar_opens_with_version_prodid_and_scale() {
        assert_eq!(
            begin("herald, preview"),
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//herald//herald campaign calendar//EN\r\n\
             CALSCALE:GREGORIAN\r\nX-WR-CALNAME:herald\\, preview\r\n"
        );
        assert_eq!(end(), "END:VCALENDAR\r\n");
    }

    #[test]
    fn a_publication_carries_its_facts_and_what_the_ledger_says() {
        let e = Entry {
            campaign: "c",
            post: "p",
            channel: "facebook",
            platform: "facebook",
            handle: "@page",
            at_utc: "2027-11-07T06:30:00Z".into(),
            at_local: "2027-11-07T01:30:00-05:00".into(),
            timezone: "America/New_York",
            dst: Some("first of two (DST ends)"),
            day: None,
            text: "Hi".into(),
            parts: vec!["1/2 Hi".into(), "2/2 there".into()],
            length: 2,
            limit: 63_206,
            link: Some("https://example.org/a,b".into()),
            media: vec![crate::preview::MediaInfo {
                file: "m.png".into(),
                alt: None,
                mime: "image/png",
                path: "m.png".into(),
            }],
            language: "en",
            direction: "ltr",
            warnings: vec!["w".into()],
            notes: vec!["n".into()],
            error: Some("too long".into()),
            status: Some("sent"),
            url: Some("https://facebook.com/1_2".into()),
        };
        assert_eq!(
            publication(&e),
            "BEGIN:VEVENT\r\n\
             UID:c/p/facebook/2027-11-07T06:30:00Z@herald\r\n\
             DTSTAMP:20271107T063000Z\r\n\
             DTSTART:20271107T063000Z\r\n\
             SUMMARY:(cannot be published) facebook: c/p\r\n\
             DESCRIPTION:Hi\\n\\nChannel: facebook (facebook @page)\\nLocal time: 2027-11-0\r\n \
             7 01:30 America/New_York\\nDST: first of two (DST ends)\\nSent as a thread o\r\n \
             f 2 parts\\nLink: https://example.org/a\\,b\\nImage: m.png (no alt text)\\nNot\r\n \
             e: n\\nWarning: w\\nError: too long\\nSent: https://facebook.com/1_2\\nKey: c/\r\n \
             p/facebook/2027-11-07T06:30:00Z\r\n\
             CATEGORIES:facebook\r\n\
             URL:https://facebook.com/1_2\r\n\
             TRANSP:TRANSPARENT\r\n\
             END:VEVENT\r\n"
        );
    }

    #[test]
    fn only_a_web_address_from_the_ledger_becomes_the_events_url() {
        // `herald resolve KEY --sent URL` stores what a person typed: a calendar app may open `URL`.
        let event = |url: &str| {
            publication(&Entry {
                campaign: "c",
                post: "p",
                channel: "x",
                platform: "twitter",
                handle: "@a",
                at_utc: "2027-03-08T14:00:00Z".into(),
                at_local: "2027-03-08T09:00:00-05:00".into(),
                timezone: "America/New_York",
                dst: None,
                day: None,
                text: "Hi".into(),
                parts: vec!["Hi".into()],
                length: 2,
                limit: 280,
                link: None,
                media: vec![],
                language: "en",
                direction: "ltr",
                warnings: vec![],
                notes: vec![],
                error: None,
                status: Some("sent"),
                url: Some(url.into()),
            })
        };
        let url_line = |e: &str| e.split("\r\n").find(|l| l.starts_with("URL:")).map(str::to_string);
        assert_eq!(url_line(&event("https://x.com/a/status/1")).as_deref(), Some("URL:https://x.com/a/status/1"));
        for hostile in ["javascript:alert(1)", "file:///etc/passwd", "data:text/html,<script>"] {
            let e = event(hostile);
            assert_eq!(url_line(&e), None, "{hostile}");
            // Still said, as text, in the description.
            assert!(e.contains("\\nSent: "), "{e}");
        }
    }

    #[test]
    fn utc_stamps_are_basic_format() {
        assert_eq!(utc_stamp("2027-03-08T14:00:00Z"), "20270308T140000Z");
    }
}
