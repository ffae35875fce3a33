//! Splitting an over-long post into a numbered thread.
//!
//! This module owns cutting a text that does not fit one post into parts that each do, as
//! measured by the platform's own measuring function, with a `"\n\n{i}/{n}"` number at the end
//! of every part. It cuts at paragraph and sentence ends first, then between words, and only as
//! a last resort inside a word; a web address is never cut. A trailing run of hashtags stays
//! together in the last part when it can.

use std::ops::Range;

/// Why a text could not be split into a thread.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ThreadError {
    /// A web address that, even alone in a part, is longer than one post can hold.
    #[error("a single web address is longer than one post can hold (and a web address cannot be split): {0}")]
    UrlTooLong(String),
    /// The limit cannot hold a single character together with its part number.
    #[error("a limit of {0} is too small to hold any text together with its part number")]
    LimitTooSmall(usize),
    /// The text is too long for one post, yet it has nothing but blank space.
    #[error("the text is too long for one post but has nothing but blank space")]
    Blank,
}

/// Split `text` into numbered parts, each at most `limit` as measured by `measure` (suffix included).
///
/// A text that fits is returned unchanged as the only part, without a number. Otherwise every
/// part is trimmed, non-empty and ends with `"\n\n{i}/{n}"`.
pub fn split_thread(text: &str, limit: usize, measure: &dyn Fn(&str) -> usize) -> Result<Vec<String>, ThreadError> {
    if measure(text) <= limit {
        return Ok(vec![text.to_string()]);
    }
    let mut atoms = atoms(text);
    if atoms.is_empty() {
        return Err(ThreadError::Blank);
    }
    keep_trailing_hashtags_together(text, &mut atoms, limit, measure);
    // The number's width depends on the count of parts: pack for a guessed count `n` until the
    // packing needs no more than `n` parts, then number with the real count (never wider).
    let mut n = 1;
    // Every part holds at least one byte, so more parts than bytes means `measure` is erratic.
    while n <= text.len() {
        let ranges = pack(text, &atoms, limit, n, measure)?;
        let count = ranges.len();
        let parts: Vec<String> =
            ranges.into_iter().enumerate().map(|(i, r)| format!("{}{}", &text[r], suffix(i + 1, count))).collect();
        if count <= n && parts.iter().all(|part| measure(part) <= limit) {
            return Ok(parts);
        }
        n = count.max(n + 1);
    }
    Err(ThreadError::LimitTooSmall(limit))
}

fn suffix(i: usize, n: usize) -> String {
    format!("\n\n{i}/{n}")
}

/// How strongly the text breaks before an atom: cutting there is better the stronger it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Break {
    Word,
    Sentence,
    Paragraph,
}

/// A run of text that is cut only as a last resort, with the break before it.
#[derive(Debug, Clone)]
struct Atom {
    span: Range<usize>,
    before: Break,
}

/// The atoms of `text`: its whitespace-separated words, further cut after full-width sentence
/// ends (CJK writing needs no space after them).
fn atoms(text: &str) -> Vec<Atom> {
    let mut atoms: Vec<Atom> = Vec::new();
    let mut gap_start = 0;
    for (start, word) in words(text) {
        let gap = &text[gap_start..start];
        // A list marker ("2.", "b)") belongs to the word after it: never cut between them.
        if let Some(last) = atoms.last_mut()
            && !gap.contains('\n')
            && is_list_marker(&text[last.span.clone()])
        {
            last.span.end = start + word.len();
            gap_start = start + word.len();
            continue;
        }
        let before = match atoms.last() {
            _ if gap.matches('\n').count() >= 2 => Break::Paragraph,
            Some(last) if gap.contains('\n') || ends_sentence(&text[last.span.clone()]) => Break::Sentence,
            _ => Break::Word,
        };
        // Cut after a full-width sentence end and its closing brackets, if more text follows.
        let (mut piece_start, mut ending) = (0, false);
        for (i, c) in word.char_indices() {
            let end = i + c.len_utf8();
            ending = is_full_width_end(c) || (ending && is_closing(c));
            let next = word[end..].chars().next();
            if ending && next.is_some_and(|n| !is_full_width_end(n) && !is_closing(n)) {
                let before = if piece_start == 0 { before } else { Break::Sentence };
                atoms.push(Atom { span: start + piece_start..start + end, before });
                piece_start = end;
            }
        }
        let before = if piece_start == 0 { before } else { Break::Sentence };
        atoms.push(Atom { span: start + piece_start..start + word.len(), before });
        gap_start = start + word.len();
    }
    atoms
}

/// The whitespace-separated words of `text` with their byte offsets.
fn words(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.split(char::is_whitespace)
        .filter(|w| !w.is_empty())
        .map(move |w| (w.as_ptr() as usize - text.as_ptr() as usize, w))
}

/// Whether `word` is a list marker such as `2.`, `10)` or `b.`, which ends no sentence.
fn is_list_marker(word: &str) -> bool {
    let Some(body) = word.strip_suffix(['.', ')']) else { return false };
    (!body.is_empty() && body.len() <= 3 && body.chars().all(|c| c.is_ascii_digit()))
        || (body.chars().count() == 1 && body.chars().all(char::is_alphabetic))
}

/// Whether `word` ends a sentence: its last character, past closing quotes and brackets, is a
/// sentence end (Latin, CJK, Arabic, Devanagari, …). List markers (`2.`) do not.
fn ends_sentence(word: &str) -> bool {
    if is_list_marker(word) {
        return false;
    }
    let last = word.trim_end_matches(is_closing).chars().last();
    last.is_some_and(|c| {
        matches!(c, '.' | '!' | '?' | '…' | '。' | '！' | '？' | '｡' | '؟' | '۔' | '।' | '‼' | '⁉' | '⁈' | '⁇')
    })
}

fn is_full_width_end(c: char) -> bool {
    matches!(c, '。' | '！' | '？' | '｡')
}

fn is_closing(c: char) -> bool {
    matches!(c, '"' | '\'' | ')' | ']' | '}' | '”' | '’' | '»' | '」' | '』' | '）' | '】')
}

/// Makes a trailing run of hashtags one atom, so that it is never cut apart, when that run fits
/// in a part on its own.
fn keep_trailing_hashtags_together(text: &str, atoms: &mut Vec<Atom>, limit: usize, measure: &dyn Fn(&str) -> usize) {
    let is_tag = |a: &Atom| text[a.span.clone()].starts_with(['#', '＃']);
    let run = atoms.iter().rev().take_while(|a| is_tag(a)).count();
    if run < 2 {
        return;
    }
    let first = atoms.len() - run;
    let span = atoms[first].span.start..atoms[atoms.len() - 1].span.end;
    // Room for the widest number this text could plausibly need (one part per atom).
    if measure(&format!("{}{}", &text[span.clone()], suffix(atoms.len(), atoms.len()))) <= limit {
        let before = atoms[first].before;
        atoms.truncate(first);
        atoms.push(Atom { span, before });
    }
}

/// Greedy packing of `atoms` into parts numbered `i/n`: each part takes as many whole sentences
/// as fit, else as many words as fit, else the longest piece of its first word that fits.
fn pack(
    text: &str,
    atoms: &[Atom],
    limit: usize,
    n: usize,
    measure: &dyn Fn(&str) -> usize,
) -> Result<Vec<Range<usize>>, ThreadError> {
    let (mut parts, mut a, mut start) = (Vec::new(), 0, atoms[0].span.start);
    while a < atoms.len() {
        let suffix = suffix(parts.len() + 1, n);
        let fits = |end: usize| measure(&format!("{}{}", &text[start..end], suffix)) <= limit;
        let (mut words, mut sentences) = (None, None);
        for b in a + 1..=atoms.len() {
            if !fits(atoms[b - 1].span.end) {
                break;
            }
            words = Some(b);
            if atoms.get(b).is_none_or(|next| next.before >= Break::Sentence) {
                sentences = Some(b);
            }
        }
        if let Some(b) = sentences.or(words) {
            parts.push(start..atoms[b - 1].span.end);
            a = b;
            start = atoms.get(b).map_or(text.len(), |next| next.span.start);
            continue;
        }
        // Not even the first word fits: cut inside it, unless it is a web address.
        let word = &text[start..atoms[a].span.end];
        if looks_like_url(word) {
            return Err(ThreadError::UrlTooLong(word.to_string()));
        }
        let cut = cut_points(word).map(|p| start + p).take_while(|&end| fits(end)).last();
        let cut = cut.ok_or(ThreadError::LimitTooSmall(limit))?;
        parts.push(start..cut);
        start = cut;
    }
    Ok(parts)
}

/// Byte offsets inside `word` (and its end) where it may be cut: not before a combining mark,
/// variation selector, skin tone, keycap or tag character, and not next to a zero-width joiner.
fn cut_points(word: &str) -> impl Iterator<Item = usize> + '_ {
    let extends = |c: char| {
        matches!(c, '\u{300}'..='\u{36F}' | '\u{1AB0}'..='\u{1AFF}' | '\u{1DC0}'..='\u{1DFF}' | '\u{20D0}'..='\u{20FF}')
            || matches!(c, '\u{FE00}'..='\u{FE0F}' | '\u{FE20}'..='\u{FE2F}' | '\u{200D}' | '\u{1F3FB}'..='\u{1F3FF}')
            || matches!(c, '\u{E0020}'..='\u{E007F}')
    };
    word.char_indices().skip(1).map(|(i, _)| i).chain([word.len()]).filter(move |&i| {
        let next = word[i..].chars().next();
        !word[..i].ends_with('\u{200D}') && !next.is_some_and(extends)
    })
}

/// Whether an over-long word holds a web address (a scheme, `www.`, or a dotted host with a path).
fn looks_like_url(word: &str) -> bool {
    let lower = word.to_ascii_lowercase();
    let host = lower.trim_start_matches(|c: char| !c.is_alphanumeric()).split(['/', '?', '#']).next().unwrap_or("");
    let dotted = host.split('.').count() >= 2 && host.split('.').all(|label| !label.is_empty());
    lower.contains("://") || lower.contains("www.") || (dotted && lower.contains('/'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn chars(text: &str) -> usize {
        text.chars().count()
    }

    /// X's weighted length, the measure threads are cut with on X.
    fn x(text: &str) -> usize {
        crate::channels::twitter::text::weighted_length(text)
    }

    /// Checks what every thread must satisfy and returns the parts' bodies.
    fn check(text: &str, limit: usize, measure: &dyn Fn(&str) -> usize, parts: &[String]) -> Vec<String> {
        assert!(!parts.is_empty());
        if parts.len() == 1 && measure(text) <= limit {
            assert_eq!(parts[0], text, "a fitting text comes back unchanged");
            return vec![text.to_string()];
        }
        let n = parts.len();
        let mut bodies = Vec::new();
        for (i, part) in parts.iter().enumerate() {
            assert!(measure(part) <= limit, "part {} of {n} measures {} > {limit}: {part:?}", i + 1, measure(part));
            let number = format!("\n\n{}/{n}", i + 1);
            assert!(part.ends_with(&number), "part {} lacks {number:?}: {part:?}", i + 1);
            let body = &part[..part.len() - number.len()];
            assert!(!body.trim().is_empty() && body == body.trim(), "bad part body {body:?}");
            bodies.push(body.to_string());
        }
        let squeeze = |s: &str| s.split_whitespace().collect::<String>();
        assert_eq!(squeeze(&bodies.concat()), squeeze(text), "the parts must hold the text, in order");
        bodies
    }

    fn split_ok(text: &str, limit: usize, measure: &dyn Fn(&str) -> usize) -> Vec<String> {
        let parts = split_thread(text, limit, measure).expect("splits");
        check(text, limit, measure, &parts)
    }

    const CAMPAIGN: &str = "Spring sale starts today! Every plan is 20% off for the next 48 hours, and yearly plans get \
        two extra months free on top. Upgrade in two clicks at https://example.com/pricing?utm_source=x&utm_campaign=spring \
        before Sunday night. Questions? Our support team answers within the hour, every day of the week, in English, \
        French and German. Tell your friends and share this post!\n\n#SpringSale #SaaS #Deals #Productivity";

    #[test]
    fn a_fitting_text_comes_back_unchanged() {
        let text = "  Short post with a link https://example.com #tag\n";
        assert_eq!(split_thread(text, 280, &x).unwrap(), [text]);
    }

    #[test]
    fn cuts_at_sentence_ends_and_keeps_trailing_hashtags_together() {
        let bodies = split_ok(CAMPAIGN, 280, &x);
        assert_eq!(bodies.len(), 2);
        assert!(bodies[0].ends_with(['.', '!', '?']), "{:?}", bodies[0]);
        assert!(bodies[1].ends_with("#SpringSale #SaaS #Deals #Productivity"));
        assert!(bodies.iter().any(|b| b.contains("https://example.com/pricing?utm_source=x&utm_campaign=spring")));
    }

    #[test]
    fn hashtags_stay_together_in_the_last_part_even_when_tight() {
        let text = format!("{} #One #Two #Three #Four #Five", "word ".repeat(60).trim());
        let bodies = split_ok(&text, 100, &chars);
        assert!(bodies.last().unwrap().ends_with("#One #Two #Three #Four #Five"));
    }

    #[test]
    fn falls_back_to_words_then_inside_words() {
        let text = "one two three four five six seven eight nine ten eleven twelve";
        let bodies = split_ok(text, 20, &chars);
        assert!(bodies.iter().all(|b| text.contains(b.as_str())), "whole words only: {bodies:?}");
        let bodies = split_ok(&"a".repeat(500), 100, &chars);
        assert!(bodies.len() >= 6);
    }

    #[test]
    fn never_cuts_a_web_address() {
        let url = format!("https://example.com/{}", "very-long-path/".repeat(20));
        let text = format!("Read this: {url} now");
        assert_eq!(split_thread(&text, 100, &chars), Err(ThreadError::UrlTooLong(url.clone())));
        // On X a URL counts 23 however long it is, so the same text splits fine.
        let bodies = split_ok(&format!("{} {url}", "Read this. ".repeat(30)), 280, &x);
        assert!(bodies.iter().any(|b| b.contains(&url)));
    }

    #[test]
    fn the_number_can_grow_a_digit() {
        let text = "This is a sentence of about forty chars. ".repeat(30);
        let parts = split_thread(&text, 50, &chars).unwrap();
        assert!(parts.len() >= 10, "{} parts", parts.len());
        check(&text, 50, &chars, &parts);
        assert!(parts[0].ends_with(&format!("\n\n1/{}", parts.len())));
    }

    #[test]
    fn cjk_and_arabic_sentences() {
        let japanese = "春のセールが始まりました。全プランが二十パーセントオフです。詳しくはサイトをご覧ください。「お早めに。」ありがとう！";
        let bodies = split_ok(japanese, 50, &x);
        assert!(bodies[..bodies.len() - 1].iter().all(|b| b.ends_with(['。', '」', '！'])), "{bodies:?}");
        let arabic = "هل جربت التطبيق الجديد؟ إنه أسرع بكثير من قبل. سجل اليوم واحصل على شهر مجاني! ".repeat(4);
        let bodies = split_ok(&arabic, 100, &x);
        assert!(bodies.iter().all(|b| b.ends_with(['؟', '.', '!'])), "{bodies:?}");
    }

    #[test]
    fn paragraphs_and_line_breaks_are_kept_inside_parts() {
        let text = "First line\nsecond line.\n\nNew paragraph here. ".repeat(8);
        let bodies = split_ok(&text, 120, &chars);
        assert!(bodies.iter().any(|b| b.contains('\n')));
    }

    #[test]
    fn emoji_sequences_are_not_cut() {
        let text = "👩\u{200D}👩\u{200D}👧\u{200D}👦👍🏽".repeat(40);
        for body in split_ok(&text, 60, &chars) {
            assert!(!body.starts_with(['\u{200D}', '\u{1F3FD}']) && !body.ends_with('\u{200D}'), "{body:?}");
        }
    }

    #[test]
    fn numbered_list_items_are_never_cut_after_their_number() {
        let text = "Human security has seven dimensions, and each of them matters to people everywhere:\n\n\
                    1. Economic security: an assured basic income and livelihood from work.\n\
                    2. Food security: physical and affordable access to basic food.\n\
                    3. Health security: access to healthcare and protection against infectious diseases.";
        for limit in [90, 110, 130, 150, 200] {
            let parts = split_ok(text, limit, &x);
            for p in &parts {
                let body = p.rsplit_once("\n\n").map_or(p.as_str(), |(b, _)| b);
                for marker in ["1.", "2.", "3."] {
                    assert!(!body.ends_with(marker), "part ends with a list marker at limit {limit}: {p:?}");
                }
                assert!(!body.starts_with("Food") && !body.starts_with("Health"), "{p:?}");
            }
        }
        assert!(!ends_sentence("2."));
        assert!(ends_sentence("dimensions."));
        assert!(is_list_marker("b)") && !is_list_marker("2027.") && !is_list_marker("end."));
    }

    #[test]
    fn errors_in_plain_words() {
        assert_eq!(split_thread(&" ".repeat(300), 280, &chars), Err(ThreadError::Blank));
        assert_eq!(split_thread(&"word ".repeat(100), 5, &chars), Err(ThreadError::LimitTooSmall(5)));
        let message = ThreadError::UrlTooLong("https://example.com/x".into()).to_string();
        assert!(message.starts_with("a single web address is longer than one post can hold"));
    }

    /// Campaign-like text: words, web addresses, hashtags, emoji, CJK and punctuation.
    fn campaign_text() -> impl Strategy<Value = String> {
        const WORDS: &[&str] = &[
            "sale",
            "today",
            "the",
            "a",
            "plan",
            "Join",
            "us",
            "off",
            "café",
            "naïve",
            "привет",
            "مرحبا",
            "こんにちは。",
            "你好！",
            "e.g.",
            "end.",
            "really?",
            "wow!",
            "so…",
            "\"quoted.\"",
            "(see)",
            "20%",
            "#Sale",
            "#SaaS",
            "@herald",
            "https://example.com/pricing?utm=x",
            "example.com/webinar",
            "www.example.org",
            "🚀",
            "👍🏽",
            "❤\u{FE0F}",
            "👩\u{200D}💻",
            "supercalifragilisticexpialidocious",
            "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz",
        ];
        const GAPS: &[&str] = &[" ", " ", " ", " ", "  ", "\n", "\n\n", " \n "];
        let word = proptest::sample::select(WORDS);
        let gap = proptest::sample::select(GAPS);
        proptest::collection::vec((word, gap), 1..120)
            .prop_map(|pieces| pieces.into_iter().map(|(w, g)| format!("{w}{g}")).collect())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        #[test]
        fn campaign_texts_split_within_the_limit(text in campaign_text(), limit in 30usize..300, on_x in any::<bool>()) {
            let measure: &dyn Fn(&str) -> usize = if on_x { &x } else { &chars };
            match split_thread(&text, limit, measure) {
                Ok(parts) => {
                    check(&text, limit, measure, &parts);
                }
                Err(ThreadError::UrlTooLong(url)) => prop_assert!(!on_x && chars(&url) + 8 > limit, "{url}"),
                Err(e) => prop_assert!(false, "unexpected error: {e}"),
            }
        }

        #[test]
        fn any_text_and_limit_never_panics(text in any::<String>(), limit in 0usize..60, on_x in any::<bool>()) {
            let measure: &dyn Fn(&str) -> usize = if on_x { &x } else { &chars };
            if let Ok(parts) = split_thread(&text, limit, measure) {
                check(&text, limit, measure, &parts);
            }
        }
    }
}
