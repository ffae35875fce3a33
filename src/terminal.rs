//! Text safe to show on a terminal: what a campaign file, a config file, a ledger or a platform says is
//! shown as it is, except the characters a terminal would act on instead of showing.
//!
//! Owns [`visible`] (and [`visible_line`], for one-line fields), used by every text output that shows
//! user or platform text (`preview`, `days`, `send`, `status`, `plan`, `check`'s diagnostics and
//! `check --online`), and [`hostile`], the one list of those characters, which `check` also uses to
//! warn about them in posts ([`crate::config::validate`]).
//!
//! The characters are the C0 controls (ESC starts the sequences that clear a screen, set a window
//! title or make an OSC 8 hyperlink to any address; BEL, backspace and CR move or overwrite what is
//! shown), DEL, the C1 controls (U+0080–U+009F: U+009B is a one-character CSI on some terminals) and
//! the bidirectional controls (U+202A–U+202E overrides and embeddings, U+2066–U+2069 isolates, the
//! U+200E/U+200F/U+061C marks), which reorder what is shown so it reads differently from what is there.
//! Each is written `<U+XXXX>`, which no terminal interprets. Line breaks and tabs are kept by
//! [`visible`] where an output has several lines of text; [`visible_line`] writes them visibly too.
//!
//! JSON outputs keep the exact text (serde_json escapes the C0 controls itself); only what is meant
//! for people reading a terminal goes through here.

use std::borrow::Cow;
use std::fmt::Write as _;

/// A hostile character in words, with its code point: "an escape character (U+001B)" (for `check`'s
/// messages).
pub fn describe(c: char) -> String {
    let what = match c {
        '\0' => "a NUL character",
        '\u{1b}' => "an escape character",
        '\u{7}' => "a bell character",
        '\u{8}' => "a backspace character",
        '\r' => "a carriage return",
        '\u{80}'..='\u{9f}' => "a C1 control character",
        '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{61c}' => {
            "a bidirectional control character"
        }
        _ => "a control character",
    };
    format!("{what} (U+{:04X})", u32::from(c))
}

/// Whether a terminal would act on `c` rather than show it (line breaks and tabs aside: see
/// [`visible`]).
pub fn hostile(c: char) -> bool {
    matches!(
        c,
        '\0'..='\u{8}'
            | '\u{b}'..='\u{1f}'
            | '\u{7f}'..='\u{9f}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2066}'..='\u{2069}'
            | '\u{200e}'
            | '\u{200f}'
            | '\u{61c}'
    )
}

/// `s` with every [`hostile`] character written `<U+XXXX>`; line breaks and tabs are kept. Borrowed
/// when there is nothing to change.
pub fn visible(s: &str) -> Cow<'_, str> {
    escape(s, hostile)
}

/// Like [`visible`], for text shown on one line: line breaks and tabs are written visibly too.
pub fn visible_line(s: &str) -> Cow<'_, str> {
    escape(s, |c| hostile(c) || matches!(c, '\n' | '\t'))
}

fn escape(s: &str, bad: impl Fn(char) -> bool) -> Cow<'_, str> {
    if !s.chars().any(&bad) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        if bad(c) {
            let _ = write!(out, "<U+{:04X}>", u32::from(c));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// One visible character in place of a hostile one (`␛` for ESC, `�` for a C1 or bidirectional
/// control), or `c` itself: for a source line shown under a diagnostic, where each character must keep
/// its column so the caret points at it.
pub fn stand_in(c: char) -> char {
    match c {
        // The Control Pictures block has one picture per C0 control, and one for DEL.
        '\0'..='\u{1f}' if hostile(c) => char::from_u32(0x2400 + u32::from(c)).unwrap_or('\u{fffd}'),
        '\u{7f}' => '\u{2421}',
        _ if hostile(c) => '\u{fffd}',
        _ => c,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_escapes_and_bidi_are_shown_visibly() {
        let hostile = "a\u{1b}[2Jb\u{7}\u{8}\r\u{9b}31m\u{202e}evil\u{2066}x\u{200f}\u{61c}\u{7f}\0";
        assert_eq!(
            visible(hostile),
            "a<U+001B>[2Jb<U+0007><U+0008><U+000D><U+009B>31m<U+202E>evil<U+2066>x<U+200F><U+061C><U+007F><U+0000>"
        );
        let osc8 = "\u{1b}]8;;https://evil.example\u{1b}\\click\u{1b}]8;;\u{1b}\\";
        assert_eq!(visible(osc8), "<U+001B>]8;;https://evil.example<U+001B>\\click<U+001B>]8;;<U+001B>\\");
    }

    #[test]
    fn descriptions_name_the_character_and_its_code_point() {
        assert_eq!(describe('\u{1b}'), "an escape character (U+001B)");
        assert_eq!(describe('\u{202e}'), "a bidirectional control character (U+202E)");
        assert_eq!(describe('\u{9b}'), "a C1 control character (U+009B)");
        assert_eq!(describe('\0'), "a NUL character (U+0000)");
    }

    #[test]
    fn ordinary_text_is_borrowed_unchanged() {
        for s in ["Water is life.", "مرحبا بالعالم", "line one\nline two\twith a tab", "émoji 🌍 #HS4A", ""]
        {
            assert!(matches!(visible(s), Cow::Borrowed(_)), "{s}");
        }
    }

    #[test]
    fn one_line_fields_show_line_breaks_and_tabs_too() {
        assert_eq!(visible_line("a\nb\tc"), "a<U+000A>b<U+0009>c");
        assert_eq!(visible("a\nb\tc"), "a\nb\tc");
    }

    #[test]
    fn stand_ins_keep_one_character_per_character() {
        assert_eq!(stand_in('\u{1b}'), '␛');
        assert_eq!(stand_in('\u{7}'), '␇');
        assert_eq!(stand_in('\u{7f}'), '␡');
        assert_eq!(stand_in('\u{9b}'), '\u{fffd}');
        assert_eq!(stand_in('\u{202e}'), '\u{fffd}');
        assert_eq!(stand_in('\n'), '\n');
        assert_eq!(stand_in('é'), 'é');
    }

    #[test]
    fn every_output_is_free_of_what_a_terminal_acts_on() {
        let all: String = (0..=0x2070).filter_map(char::from_u32).collect();
        assert!(!visible(&all).chars().any(hostile));
        assert!(!visible_line(&all).chars().any(|c| hostile(c) || c == '\n'));
        assert!(!all.chars().map(stand_in).any(hostile));
    }
}
