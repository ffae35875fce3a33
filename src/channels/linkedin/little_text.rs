//! LinkedIn's "little text" format for post commentary.
//!
//! LinkedIn reads `\ | { } @ [ ] ( ) < > # * _ ~` as markup. Left unescaped, any of them silently cuts
//! the published post at that character (the API still answers success), so every one is escaped with a
//! backslash, the backslash itself first. Hashtags become LinkedIn's hashtag template
//! `{hashtag|\#|Tag}`, so they stay clickable. [`unescape`] reads a commentary back as people see it
//! (to recognise a post already published).

/// The reserved characters.
pub const RESERVED: &[char] = &['\\', '|', '{', '}', '@', '[', ']', '(', ')', '<', '>', '#', '*', '_', '~'];

/// Escapes `text` for the `commentary` field.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let mut chars = text.char_indices().peekable();
    let mut prev: Option<char> = None;
    while let Some((i, c)) = chars.next() {
        let starts_tag = c == '#'
            && !prev.is_some_and(|p| p.is_alphanumeric() || p == '_')
            && chars.peek().is_some_and(|(_, n)| n.is_alphanumeric() || *n == '_');
        if starts_tag {
            let rest = &text[i + 1..];
            let end = rest.find(|ch: char| !(ch.is_alphanumeric() || ch == '_')).unwrap_or(rest.len());
            let tag = &rest[..end];
            out.push_str("{hashtag|\\#|");
            out.push_str(&tag.replace('_', "\\_"));
            out.push('}');
            for _ in 0..tag.chars().count() {
                prev = chars.next().map(|(_, ch)| ch);
            }
            continue;
        }
        if RESERVED.contains(&c) {
            out.push('\\');
        }
        out.push(c);
        prev = Some(c);
    }
    out
}

/// The text people read from a `commentary` LinkedIn returns: escapes removed, hashtag templates
/// shown as `#Tag`, mention templates `@[Name](urn:li:…)` shown as the name.
pub fn unescape(commentary: &str) -> String {
    let mut out = String::with_capacity(commentary.len());
    let mut rest = commentary;
    while let Some(c) = rest.chars().next() {
        rest = &rest[c.len_utf8()..];
        match c {
            '\\' => {
                if let Some(next) = rest.chars().next() {
                    out.push(next);
                    rest = &rest[next.len_utf8()..];
                }
            }
            '{' if rest.starts_with("hashtag|") => match template_end(rest) {
                Some(end) => {
                    let tag = rest[..end].rsplit('|').next().unwrap_or_default();
                    out.push('#');
                    out.push_str(&unescape(tag));
                    rest = &rest[end + 1..];
                }
                None => out.push(c),
            },
            '@' if rest.starts_with('[') => match mention(rest) {
                Some((name, len)) => {
                    out.push_str(&unescape(name));
                    rest = &rest[len..];
                }
                None => out.push(c),
            },
            c => out.push(c),
        }
    }
    out
}

/// The index of the unescaped `}` closing a template that starts at `s`.
fn template_end(s: &str) -> Option<usize> {
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '}' => return Some(i),
            _ => {}
        }
    }
    None
}

/// `[Name](urn:li:…)` at the start of `s`: the name and the template's length.
fn mention(s: &str) -> Option<(&str, usize)> {
    let close = s.find("](")?;
    let end = s[close..].find(')')? + close;
    s[close + 2..end].starts_with("urn:li:").then(|| (&s[1..close], end + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What LinkedIn publishes from a commentary: the text up to the first unescaped reserved
    /// character outside a hashtag template, with escapes removed (the silent truncation the API does).
    fn as_published(commentary: &str) -> String {
        let mut out = String::new();
        let mut chars = commentary.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => out.extend(chars.next()),
                '{' if chars.as_str().starts_with("hashtag|\\#|") => {
                    let rest: String = chars.by_ref().skip("hashtag|\\#|".len()).take_while(|c| *c != '}').collect();
                    out.push('#');
                    out.push_str(&rest.replace("\\_", "_"));
                }
                c if RESERVED.contains(&c) => return out,
                c => out.push(c),
            }
        }
        out
    }

    #[test]
    fn every_reserved_character_is_escaped_and_the_text_survives_whole() {
        let text = r"Human security (for all) is <people>-centred: a\b | {x} [y] *z* ~w~ snake_case @someone";
        assert!(as_published(text).len() < text.len(), "unescaped, LinkedIn would cut the text");
        assert_eq!(as_published(&escape(text)), text);
        for c in RESERVED {
            let s = format!("before {c} after");
            assert_eq!(as_published(&escape(&s)), s, "{c:?}");
        }
    }

    #[test]
    fn hashtags_stay_clickable() {
        assert_eq!(
            escape("Join #HumanSecurity #HS4A_2027!"),
            "Join {hashtag|\\#|HumanSecurity} {hashtag|\\#|HS4A\\_2027}!"
        );
        assert_eq!(as_published(&escape("Join #HumanSecurity #HS4A_2027!")), "Join #HumanSecurity #HS4A_2027!");
        assert_eq!(escape("C# and #"), "C\\# and \\#");
    }

    #[test]
    fn unescaping_gives_back_the_text() {
        for text in [
            "Human security (for all) — 50% of people_ #HS4A",
            r"a\b | {x} [y] *z* ~w~ <p> @someone C# and # #HS4A_2027!",
            "",
        ] {
            assert_eq!(unescape(&escape(text)), text);
        }
        assert_eq!(unescape("Thanks @[HS4A](urn:li:organization:2414183)!"), "Thanks HS4A!");
        assert_eq!(unescape("{hashtag|#|Water}"), "#Water", "LinkedIn may return the template without the escape");
        assert_eq!(unescape("broken {hashtag|\\#|open"), "broken {hashtag|#|open");
    }
}
