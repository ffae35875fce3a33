//! LinkedIn's "little text" format for post commentary.
//!
//! LinkedIn reads `\ | { } @ [ ] ( ) < > # * _ ~` as markup. Left unescaped, any of them silently cuts
//! the published post at that character (the API still answers success), so every one is escaped with a
//! backslash, the backslash itself first. Hashtags become LinkedIn's hashtag template
//! `{hashtag|\#|Tag}`, so they stay clickable.

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
}
