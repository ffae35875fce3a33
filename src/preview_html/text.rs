//! User and platform text made safe to place in the page: every character that HTML gives a meaning
//! (`&`, `<`, `>`, quotes) is escaped, and the characters [`crate::terminal::hostile`] names (controls,
//! bidirectional overrides, embeddings, isolates and marks) are written visibly as `<U+XXXX>`, exactly
//! as the terminal preview shows them, so a U+202E in a post cannot reorder what a reviewer reads.
//!
//! [`rich`] also marks what a platform shows as links, hashtags and mentions. Only an `http://` or
//! `https://` address that parses as a URL becomes an anchor, and its `href` is the parsed address
//! (percent-encoded), never the raw text: a `javascript:` or `data:` link stays plain text.

use std::fmt::Write as _;

use crate::terminal::hostile;

/// `s` as HTML element content: escaped, with hostile characters shown visibly (in a `ctl` span, so
/// the page can tell them apart from text that happens to read `<U+…>`). Line breaks and tabs are
/// kept (post bodies are shown with `white-space: pre-wrap`).
pub fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    push_text(&mut out, s);
    out
}

/// Appends `s` as element content to `out` (see [`text`]).
pub fn push_text(out: &mut String, s: &str) {
    push_escaped(out, s, false);
}

/// `s` as an attribute value (to be placed between double quotes): escaped, every hostile character,
/// line break and tab written `<U+XXXX>` (an attribute is one line: a title, a label, an id).
pub fn attr(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    push_escaped(&mut out, s, true);
    out
}

/// The one escaper: HTML's special characters as entities; hostile characters (and, in an
/// attribute, line breaks and tabs) as `<U+XXXX>`, in a `ctl` span in element content.
fn push_escaped(out: &mut String, s: &str, in_attribute: bool) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\n' | '\t' if !in_attribute => out.push(c),
            c if in_attribute && (hostile(c) || c == '\n' || c == '\t') => {
                let _ = write!(out, "&lt;U+{:04X}&gt;", u32::from(c));
            }
            c if hostile(c) => {
                let _ = write!(out, "<span class=\"ctl\">&lt;U+{:04X}&gt;</span>", u32::from(c));
            }
            c => out.push(c),
        }
    }
}

/// `s` on one line, isolated from the text around it (`<bdi>`), for a handle, a file name, an alt
/// text or a day's name shown inside a sentence. Line breaks and tabs are written visibly.
pub fn one_line(s: &str) -> String {
    let mut out = String::from("<bdi>");
    for c in s.chars() {
        if c == '\n' || c == '\t' {
            let _ = write!(out, "<span class=\"ctl\">&lt;U+{:04X}&gt;</span>", u32::from(c));
        } else {
            let mut buf = [0u8; 4];
            push_text(&mut out, c.encode_utf8(&mut buf));
        }
    }
    out.push_str("</bdi>");
    out
}

/// The address to link to when `s` is an `http:` or `https:` URL, serialized by the URL parser (so
/// quotes, spaces and controls are percent-encoded); `None` for anything else.
pub fn web_link(s: &str) -> Option<String> {
    let url = reqwest::Url::parse(s).ok()?;
    (matches!(url.scheme(), "http" | "https") && url.host().is_some()).then(|| url.to_string())
}

/// An anchor to `s` when it is a web link (see [`web_link`]), with `shown` as its content; else `shown`.
pub fn anchor(s: &str, shown: &str) -> String {
    match web_link(s) {
        Some(href) => format!("<a href=\"{}\" rel=\"noopener noreferrer\" target=\"_blank\">{shown}</a>", attr(&href)),
        None => shown.to_string(),
    }
}

/// A post's text as the platform displays it: escaped (see [`text`]), hashtags and mentions marked
/// (`tag`, `at` spans), and web addresses made anchors when `links` (Instagram captions have no
/// clickable links: there an address stays plain text, as people will see it).
pub fn rich(s: &str, links: bool) -> String {
    let mut out = String::with_capacity(s.len() + 32);
    let mut rest = s;
    let mut prev: Option<char> = None;
    while let Some(c) = rest.chars().next() {
        let boundary = prev.is_none_or(|p| !(p.is_alphanumeric() || p == '_' || p == '/' || p == '&'));
        if boundary && let Some(len) = url_len(rest) {
            let (url, tail) = rest.split_at(len);
            match links.then(|| web_link(url)).flatten() {
                Some(href) => {
                    let _ = write!(
                        out,
                        "<a href=\"{}\" rel=\"noopener noreferrer\" target=\"_blank\">{}</a>",
                        attr(&href),
                        text(url)
                    );
                }
                None => push_text(&mut out, url),
            }
            prev = url.chars().next_back();
            rest = tail;
            continue;
        }
        if boundary && (c == '#' || c == '@') {
            let body = &rest[1..];
            let len: usize = body
                .char_indices()
                .find(|&(_, ch)| !(ch.is_alphanumeric() || ch == '_'))
                .map_or(body.len(), |(i, _)| i);
            if len > 0 {
                let (word, tail) = rest.split_at(1 + len);
                out.push_str(if c == '#' { "<span class=\"tag\">" } else { "<span class=\"at\">" });
                push_text(&mut out, word);
                out.push_str("</span>");
                prev = word.chars().next_back();
                rest = tail;
                continue;
            }
        }
        let mut buf = [0u8; 4];
        push_text(&mut out, c.encode_utf8(&mut buf));
        prev = Some(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// The length of the web address `s` starts with: up to white space, a quote or angle bracket or a
/// hostile character, without trailing punctuation (a closing parenthesis only when unbalanced).
fn url_len(s: &str) -> Option<usize> {
    let starts = |scheme: &[u8]| s.as_bytes().get(..scheme.len()).is_some_and(|b| b.eq_ignore_ascii_case(scheme));
    if !(starts(b"https://") || starts(b"http://")) {
        return None;
    }
    let mut end = s
        .char_indices()
        .find(|&(_, c)| c.is_whitespace() || matches!(c, '<' | '>' | '"') || hostile(c))
        .map_or(s.len(), |(i, _)| i);
    loop {
        let url = &s[..end];
        let Some(last) = url.chars().next_back() else { break };
        let unbalanced = last == ')' && url.matches('(').count() < url.matches(')').count();
        if matches!(last, '.' | ',' | ';' | ':' | '!' | '?' | '\'' | '…') || unbalanced {
            end -= last.len_utf8();
        } else {
            break;
        }
    }
    (end > "http://".len()).then_some(end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_in_text_is_escaped_and_controls_are_shown() {
        assert_eq!(
            text("<script>alert('x')</script> & \"q\"\n\u{202e}evil"),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;\n\
             <span class=\"ctl\">&lt;U+202E&gt;</span>evil"
        );
        assert_eq!(attr("a\"b\n\u{1b}[2J"), "a&quot;b&lt;U+000A&gt;&lt;U+001B&gt;[2J");
        assert_eq!(one_line("@x\n<b>"), "<bdi>@x<span class=\"ctl\">&lt;U+000A&gt;</span>&lt;b&gt;</bdi>");
    }

    #[test]
    fn only_web_addresses_become_links() {
        assert_eq!(web_link("https://example.org/a b\"c"), Some("https://example.org/a%20b%22c".into()));
        assert_eq!(web_link("http://example.org"), Some("http://example.org/".into()));
        for hostile in [
            "javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            "data:text/html,<script>",
            "vbscript:x",
            "file:///etc/passwd",
            "https://",
        ] {
            assert_eq!(web_link(hostile), None, "{hostile}");
        }
        assert_eq!(anchor("javascript:alert(1)", "x"), "x");
    }

    #[test]
    fn rich_text_marks_links_hashtags_and_mentions() {
        assert_eq!(
            rich("See https://humansecurity.world/a?b=1&c=2. #HS4A with @UN (https://un.org/x_(y)).", true),
            "See <a href=\"https://humansecurity.world/a?b=1&amp;c=2\" rel=\"noopener noreferrer\" target=\"_blank\">\
             https://humansecurity.world/a?b=1&amp;c=2</a>. <span class=\"tag\">#HS4A</span> with \
             <span class=\"at\">@UN</span> (<a href=\"https://un.org/x_(y)\" rel=\"noopener noreferrer\" \
             target=\"_blank\">https://un.org/x_(y)</a>)."
        );
        // Instagram: the address stays text; an e-mail address is not a mention; C# is not a hashtag.
        assert_eq!(rich("https://a.org me@x.org C#", false), "https://a.org me@x.org C#");
    }

    #[test]
    fn hostile_links_in_text_stay_text() {
        let html = rich("click javascript:alert(1) or [x](javascript:alert(2)) or https://a.org/\u{202e}gpj.exe", true);
        assert!(!html.contains("href=\"javascript"), "{html}");
        assert!(!html.contains('\u{202e}'), "{html}");
        assert!(html.contains("<a href=\"https://a.org/\""), "{html}");
        assert!(html.contains("<span class=\"ctl\">&lt;U+202E&gt;</span>gpj.exe"), "{html}");
        // An address broken by a quote cannot close the attribute.
        let html = rich("https://a.org/\"onmouseover=alert(1)", true);
        assert!(html.starts_with("<a href=\"https://a.org/\""), "{html}");
        assert!(html.contains("&quot;onmouseover=alert(1)"), "{html}");
    }
}
