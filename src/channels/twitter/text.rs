//! X (Twitter) post length: the weighted length of twitter-text v3.
//!
//! This module owns measuring a post exactly as X counts it, following the official twitter-text
//! `parseTweet` with the v3 configuration: the text is NFC-normalised; every URL (with or without
//! a scheme, TLD-validated) counts [`URL_WEIGHT`]; every emoji sequence counts 2; code points in
//! the light ranges of the v3 config (Latin, Greek, Cyrillic, Hebrew, Arabic, … up to U+10FF and
//! some general punctuation) count 1 and all others (CJK, most symbols) count 2.
//!
//! URL finding mirrors twitter-text's `extractUrlsWithIndices` regex step by step (preceding
//! character, sub-domains, TLD with its look-ahead, port, path with balanced parentheses, query,
//! t.co slugs, ASCII-only domains for scheme-less URLs, IDNA label lengths). The TLD list is the
//! one of the `twitter-text` crate and emoji sequences are recognised with the `emojis` crate.
//! Emoji follow Twemoji (which X uses) on top of the current emoji list.
//!
//! The `twitter-text` crate's own `parse` is not used: it counts scheme-less URLs such as
//! `example.com/x` by their characters (X counts 23), misses `example.com.` at a sentence end,
//! takes two flags in a row for one bad emoji, and is several times slower. This module matches
//! the reference JavaScript implementation on the conformance suite and on large generated corpora.

use std::borrow::Cow;
use std::ops::Range;

use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfc_quick};

/// The most weighted characters one X post may hold.
pub const MAX_WEIGHTED_LENGTH: usize = 280;
/// What every URL counts, whatever its length (X shortens it to a t.co link).
pub const URL_WEIGHT: usize = 23;
/// What an emoji sequence counts, and any code point outside [`LIGHT_RANGES`].
const HEAVY: usize = 2;
/// Code point ranges weighing 1 in the v3 (and v2) configuration.
const LIGHT_RANGES: [(u32, u32); 4] = [(0, 0x10FF), (0x2000, 0x200D), (0x2010, 0x201F), (0x2032, 0x2037)];
const MAX_URL_LENGTH: usize = 4096;
const MAX_TCO_SLUG_LENGTH: usize = 40;
const MAX_LABEL_LENGTH: usize = 63;
/// Longest TLD in bytes worth looking up (the longest real one is 33 bytes).
const MAX_TLD_BYTES: usize = 64;
/// Most code points one candidate emoji sequence may span.
const MAX_EMOJI_CHARS: usize = 16;

/// The weighted length of `text` as X counts it (twitter-text v3).
///
/// A post is accepted by X when this is at most [`MAX_WEIGHTED_LENGTH`].
pub fn weighted_length(text: &str) -> usize {
    // Fast path: ASCII without a '.' can hold neither a URL (a domain needs a dot) nor an emoji
    // (ASCII keycap bases need U+20E3/U+FE0F after them), is already NFC, and weighs 1 per byte.
    if text.is_ascii() && !text.contains('.') {
        return text.len();
    }
    measure(text, true)
}

/// Whether `text` fits in one X post.
pub fn fits(text: &str) -> bool {
    weighted_length(text) <= MAX_WEIGHTED_LENGTH
}

/// The URLs X would find (and count [`URL_WEIGHT`] each) in `text`, in order, as found in its NFC form.
pub fn extract_urls(text: &str) -> Vec<String> {
    let text = nfc(text);
    find_urls(&text).iter().map(|u| u.to_string(&text)).collect()
}

fn nfc(text: &str) -> Cow<'_, str> {
    if text.is_ascii() || text.chars().all(nfc_stable) {
        return Cow::Borrowed(text);
    }
    match is_nfc_quick(text.chars()) {
        IsNormalized::Yes => Cow::Borrowed(text),
        _ => Cow::Owned(text.nfc().collect()),
    }
}

/// Characters that are NFC on their own and never combine with a neighbour (NFC quick check
/// "yes", combining class 0): text made only of them is already NFC.
#[rustfmt::skip]
fn nfc_stable(c: char) -> bool {
    matches!(c, '\0'..='\u{2FF}' | '\u{200B}'..='\u{200F}' | '\u{2010}'..='\u{2027}' | '\u{2030}'..='\u{205E}')
        || matches!(c, '\u{20E3}' | '\u{2190}'..='\u{2328}' | '\u{232B}'..='\u{2ADB}' | '\u{2ADD}'..='\u{2BFF}')
        || matches!(c, '\u{3000}'..='\u{3029}' | '\u{3040}'..='\u{3098}' | '\u{309B}'..='\u{30FF}' | '\u{4E00}'..='\u{9FFF}')
        || matches!(c, '\u{AC00}'..='\u{D7A3}' | '\u{FE00}'..='\u{FE0F}' | '\u{FF01}'..='\u{FFEF}')
        || matches!(c, '\u{1F000}'..='\u{1FAFF}' | '\u{E0020}'..='\u{E007F}')
}

/// The weighted length, with emoji sequences counted as one heavy unit or (v2) code point by code point.
fn measure(text: &str, emoji_parsing: bool) -> usize {
    let text = nfc(text);
    let urls = find_urls(&text);
    let mut urls = urls.iter().peekable();
    let mut emoji = EmojiScan { text: &text, cursor: 0, next: None, done: !emoji_parsing };
    let (mut total, mut i, len) = (0, 0, text.len());
    while i < len {
        // Plain text up to the next URL or emoji, then that entity (a URL wins a tie).
        while urls.next_if(|u| u.head.start < i).is_some() {}
        let url_start = urls.peek().map_or(len, |u| u.head.start);
        let (emoji_start, emoji_end) = emoji.next_from(i).unwrap_or((len, len));
        let stop = url_start.min(emoji_start);
        let plain = &text[i..stop];
        total += if plain.is_ascii() { plain.len() } else { plain.chars().map(char_weight).sum() };
        i = stop;
        if let Some(url) = urls.next_if(|u| u.head.start == i) {
            // Like the reference loop: skip as many UTF-16 units as the URL string has (its
            // own span, unless only an ASCII part of a wider domain counts).
            total += URL_WEIGHT;
            if url.tail.is_empty() || url.tail.start == url.head.end {
                i = if url.tail.is_empty() { url.head.end } else { url.tail.end };
                continue;
            }
            let (mut left, mut rest) = (url.len_utf16(&text), text[i..].chars());
            while left > 0 {
                let Some(c) = rest.next() else { break };
                if c.len_utf16() > left {
                    total += HEAVY; // half a surrogate pair, counted on its own
                }
                left = left.saturating_sub(c.len_utf16());
                i += c.len_utf8();
            }
        } else if i < len {
            total += HEAVY;
            i = emoji_end;
        }
    }
    total
}

fn char_weight(c: char) -> usize {
    let cp = u32::from(c);
    if LIGHT_RANGES.iter().any(|&(lo, hi)| (lo..=hi).contains(&cp)) { 1 } else { HEAVY }
}

/// One URL: its string is `text[head]` followed by `text[tail]` (the tail is the path and query
/// that follow a scheme-less URL's whole domain when only an ASCII part of that domain counts).
struct Url {
    head: Range<usize>,
    tail: Range<usize>,
}

impl Url {
    fn to_string(&self, text: &str) -> String {
        [&text[self.head.clone()], &text[self.tail.clone()]].concat()
    }
    fn len_utf16(&self, text: &str) -> usize {
        utf16_len(&text[self.head.clone()]) + utf16_len(&text[self.tail.clone()])
    }
}

fn utf16_len(s: &str) -> usize {
    s.chars().map(char::len_utf16).sum()
}

/// One match of the reference URL regex, before its post-checks.
struct UrlMatch {
    start: usize,
    protocol_len: usize,
    domain: Range<usize>,
    has_path: bool,
    end: usize,
    /// Starts at the low surrogate of the domain's first (astral) character.
    mid_char: bool,
}

/// All URLs of an NFC `text`, like twitter-text's `extractUrlsWithIndices` (scheme-less included).
fn find_urls(t: &str) -> Vec<Url> {
    let mut urls = Vec::new();
    // `s` is where the regex tries to match its preceding character; no domain starts before
    // `dead_end`; positions before `horizon` have been cleared against the next dot.
    let (mut s, mut dead_end, mut horizon) = (0, 0, 0);
    while s < t.len() {
        if s >= horizon {
            // A domain's first label runs up to a dot that a label or the TLD follows: no match
            // begins before the label run ending at the next such dot, less room for a scheme
            // and a preceding character.
            let dots = t[s..].match_indices('.').map(|(d, _)| s + d);
            let Some(dot) = dots.into_iter().find(|&d| t[d + 1..].starts_with(is_domain_char)) else {
                break;
            };
            let run: usize = t[..dot].chars().rev().take_while(|&c| is_label_char(c)).map(char::len_utf8).sum();
            let mut earliest = (dot - run).saturating_sub("https://".len() + 4);
            while !t.is_char_boundary(earliest) {
                earliest -= 1;
            }
            (s, horizon) = (s.max(earliest), dot + 1);
        }
        let Some(c) = t[s..].chars().next() else {
            break;
        };
        let after = s + c.len_utf8();
        // The reference regex works on UTF-16: after the high surrogate of an astral character
        // it tries a URL that starts at the low surrogate (a domain character), i.e. "inside" `c`.
        let astral = c.len_utf16() == 2;
        let mut found = None;
        if astral {
            found = match_url(t, s, &mut dead_end).map(|m| (UrlMatch { mid_char: true, ..m }, Some(c)));
        }
        if found.is_none() && is_preceding(c) {
            found = match_url(t, after, &mut dead_end).map(|m| (m, Some(c)));
        }
        if found.is_none() && s == 0 && !astral {
            found = match_url(t, 0, &mut dead_end).map(|m| (m, None));
        }
        match found {
            Some((m, before)) => {
                s = m.end;
                accept(t, &m, before, &mut urls);
            }
            None => s = after,
        }
    }
    urls
}

/// The reference URL regex anchored at `u`: optional scheme, domain, port, path, query.
fn match_url(t: &str, u: usize, dead_end: &mut usize) -> Option<UrlMatch> {
    let protocol_len = ["https://", "http://"]
        .into_iter()
        .find(|p| t.get(u..u + p.len()).is_some_and(|s| s.eq_ignore_ascii_case(p)))
        .map_or(0, str::len);
    if protocol_len == 0 && u < *dead_end {
        return None;
    }
    let domain_start = u + protocol_len;
    let domain_end = match match_domain(t, domain_start) {
        Ok(end) => end,
        Err(fails_before) => {
            *dead_end = (*dead_end).max(fails_before);
            return None;
        }
    };
    let mut end = domain_end;
    let digits = t[end..].bytes().skip(1).take_while(u8::is_ascii_digit).count();
    if t[end..].starts_with(':') && digits > 0 {
        end += 1 + digits;
    }
    let has_path = t[end..].starts_with('/');
    if has_path {
        end = path_end(t, end + 1);
    }
    if t[end..].starts_with('?') {
        end = query_end(t, end + 1).unwrap_or(end);
    }
    Some(UrlMatch { start: u, protocol_len, domain: domain_start..domain_end, has_path, end, mid_char: false })
}

/// `(sub-domain.)* domain-name. TLD` at `p`, greedy with backtracking: the last label whose
/// following text starts with a TLD wins. On failure, `Err(q)`: every start in `p..q` fails too
/// (a later start inside the first label keeps the rest of the domain and fails the same way).
fn match_domain(t: &str, p: usize) -> Result<usize, usize> {
    let (mut pos, mut best, mut fails_before) = (p, None, 0);
    loop {
        let (mut run_end, mut first, mut last, mut underscore) = (pos, None, None, None);
        for c in t[pos..].chars() {
            if !is_label_char(c) {
                break;
            }
            first = first.or(Some(c));
            last = Some(c);
            underscore = if c == '_' { Some(run_end) } else { underscore };
            run_end += c.len_utf8();
        }
        let dotted = t[run_end..].starts_with('.');
        let label_ok = first.is_some_and(is_domain_char) && last.is_some_and(is_domain_char);
        if pos == p {
            if !dotted {
                return Err(run_end);
            }
            if label_ok {
                // A start past the label's last '_' could still make it a domain name.
                fails_before = underscore.map_or(run_end, |q| q + 1);
            }
        }
        if !label_ok || !dotted {
            break;
        }
        pos = run_end + 1;
        if underscore.is_none() {
            best = tld_end(t, pos, t.len()).or(best);
        }
    }
    best.ok_or(fails_before)
}

/// End of the TLD starting at `s` in `t[..limit]`: a known TLD followed by neither an ASCII
/// letter or digit nor `@+-` (the reference look-ahead), else a punycode TLD `xn--…`.
fn tld_end(t: &str, s: usize, limit: usize) -> Option<usize> {
    let lookahead_ok =
        |e: usize| !t[e..limit].starts_with(|n: char| n.is_ascii_alphanumeric() || matches!(n, '@' | '+' | '-'));
    // Fast path: TLDs are all-ASCII or all-non-ASCII, and the look-ahead forbids a following
    // ASCII letter or digit, so the only ASCII candidate is a whole run of them (unless `-` follows).
    let run = t.as_bytes()[s..limit].iter().take_while(|b| b.is_ascii_alphanumeric()).count();
    if run > 0 && !t[s + run..limit].starts_with('-') {
        let ok = !t[s + run..limit].starts_with(['@', '+']) && run <= MAX_TLD_BYTES;
        return (ok && twitter_text::tlds::is_valid_tld_case_insensitive(&t[s..s + run])).then_some(s + run);
    }
    let mut best = None;
    for (off, c) in t[s..limit].char_indices() {
        let e = s + off + c.len_utf8();
        if !(is_domain_char(c) || c == '-') || e - s > MAX_TLD_BYTES {
            break;
        }
        if lookahead_ok(e) && twitter_text::tlds::is_valid_tld_case_insensitive(&t[s..e]) {
            best = Some(e);
        }
    }
    let rest = &t[s..limit];
    if best.is_none() && rest.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("xn--")) {
        let run = rest[4..].bytes().take_while(|b| b.is_ascii_alphanumeric() || *b == b'-').count();
        best = (run > 0).then_some(s + 4 + run);
    }
    best
}

/// End of a URL path whose leading `/` ends just before `p`: the longest run of path characters
/// and balanced parentheses that ends on a path-ending character or a parenthesised group.
fn path_end(t: &str, p: usize) -> usize {
    let (mut pos, mut end) = (p, p);
    while let Some(c) = t[pos..].chars().next() {
        if c == '(' {
            let Some(close) = balanced_parens(t, pos) else {
                break;
            };
            pos = close;
            end = pos;
        } else if is_path_char(c) {
            pos += c.len_utf8();
            if is_path_ending_char(c) {
                end = pos;
            }
        } else {
            break;
        }
    }
    end
}

/// `\((G+|G*\(G+\)G*)\)` at `p` (G = path characters): the end of the group if it matches.
fn balanced_parens(t: &str, p: usize) -> Option<usize> {
    let run =
        |from: usize| from + t[from..].chars().take_while(|&c| is_path_char(c)).map(char::len_utf8).sum::<usize>();
    let first = run(p + 1);
    if first > p + 1 && t[first..].starts_with(')') {
        return Some(first + 1);
    }
    if !t[first..].starts_with('(') {
        return None;
    }
    let inner = run(first + 1);
    if inner == first + 1 || !t[inner..].starts_with(')') {
        return None;
    }
    let after = run(inner + 1);
    t[after..].starts_with(')').then_some(after + 1)
}

/// End of a query whose `?` ends just before `p`: the longest run of query characters cut back
/// to its last query-ending character; `None` if it has none.
fn query_end(t: &str, p: usize) -> Option<usize> {
    let (mut end, mut pos) = (None, p);
    for b in t[p..].bytes() {
        let ending = b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'&' | b'=' | b'#' | b'/');
        if !ending && !is_other_query_byte(b) {
            break;
        }
        pos += 1;
        if ending {
            end = Some(pos);
        }
    }
    end
}

/// Query characters that cannot end a query.
#[rustfmt::skip]
fn is_other_query_byte(b: u8) -> bool {
    matches!(b, b'!' | b'?' | b'*' | b'\'' | b'@' | b'(' | b')' | b';' | b':' | b'+' | b'$' | b'%' | b'[' | b']' | b'.' | b',' | b'~' | b'|')
}

/// The post-checks of `extractUrlsWithIndices` for one regex match; pushes the URLs it yields.
fn accept(t: &str, m: &UrlMatch, before: Option<char>, urls: &mut Vec<Url>) {
    let domain = &t[m.domain.clone()];
    let protocol_len = if m.protocol_len == 0 { "https://".len() } else { m.protocol_len };
    let url = &t[m.start..m.end];
    let too_long = protocol_len + url.len() > MAX_URL_LENGTH && protocol_len + utf16_len(url) > MAX_URL_LENGTH;
    if too_long || !idna_ok(domain, m.mid_char) {
        return;
    }
    if m.protocol_len > 0 {
        let mut end = m.end;
        let rest = &t[m.start + m.protocol_len..m.end];
        if rest.get(..5).is_some_and(|p| p.eq_ignore_ascii_case("t.co/")) {
            // t.co links end after their slug (and query); over-long slugs are no URL at all.
            let slug = rest[5..].bytes().take_while(u8::is_ascii_alphanumeric).count();
            if slug > MAX_TCO_SLUG_LENGTH {
                return;
            }
            if slug > 0 {
                end = m.start + m.protocol_len + 5 + slug;
                if t[end..m.end].starts_with('?') {
                    end = query_end(&t[..m.end], end + 1).unwrap_or(end);
                }
            }
        }
        urls.push(Url { head: m.start..end, tail: end..end });
        return;
    }
    if matches!(before, Some('-' | '_' | '.' | '/')) {
        return;
    }
    // Scheme-less: only the ASCII-only domains inside the matched domain count.
    let (mut from, mut last) = (0, None);
    while let Some((a, b)) = ascii_domain(domain, from) {
        let start = m.domain.start;
        urls.push(Url { head: start + a..start + b, tail: m.end..m.end });
        last = Some(urls.len() - 1);
        from = b;
    }
    if let (Some(i), true) = (last, m.has_path) {
        urls[i].tail = m.domain.end..m.end;
    }
}

/// First match at or after `from` of `([-a-z0-9 latin-accents]+\.)+TLD` inside `domain`.
fn ascii_domain(domain: &str, from: usize) -> Option<(usize, usize)> {
    let mut p = from;
    while let Some(c) = domain[p..].chars().next() {
        if !is_ascii_domain_char(c) {
            p += c.len_utf8();
            continue;
        }
        let run = |from: usize| {
            from + domain[from..].chars().take_while(|&c| is_ascii_domain_char(c)).map(char::len_utf8).sum::<usize>()
        };
        let (mut pos, mut best) = (p, None);
        loop {
            let run_end = run(pos);
            if run_end == pos || !domain[run_end..].starts_with('.') {
                break;
            }
            pos = run_end + 1;
            best = tld_end(domain, pos, domain.len()).or(best);
        }
        if let Some(end) = best {
            return Some((p, end));
        }
        // Every later start inside the same first label fails the same way.
        p = run(p);
    }
    None
}

/// The reference `idna.toAscii` check: every label, punycode-encoded, has 1 to 63 characters
/// (`mid_char`: the domain really starts with the low surrogate of its first character).
fn idna_ok(domain: &str, mid_char: bool) -> bool {
    if domain.starts_with("xn--") && ascii_domain(domain, 0).is_none() {
        return false;
    }
    domain.split('.').enumerate().all(|(i, label)| {
        let parts = label.split(['\u{3002}', '\u{FF0E}', '\u{FF61}']).enumerate();
        let encoded = parts.map(|(j, part)| match part.chars().any(|c| c > '\u{7E}') {
            false => Some(part.len()),
            true => {
                let mut cps: Vec<u32> = part.chars().map(u32::from).collect();
                if let (true, 0, 0, Some(cp)) = (mid_char, i, j, cps.first_mut()) {
                    *cp = (*cp).checked_sub(0x10000).map_or(*cp, |v| 0xDC00 + (v & 0x3FF));
                }
                punycode_len(&cps).map(|n| "xn--".len() + n)
            }
        });
        let len =
            encoded.sum::<Option<usize>>().map(|n| n + label.matches(['\u{3002}', '\u{FF0E}', '\u{FF61}']).count());
        len.is_some_and(|n| (1..=MAX_LABEL_LENGTH).contains(&n))
    })
}

/// Length of the RFC 3492 punycode encoding of `cps` (without `xn--`); `None` on overflow.
fn punycode_len(cps: &[u32]) -> Option<usize> {
    const BASE: u32 = 36;
    let adapt = |delta: u32, points: u32, first: bool| {
        let mut delta = if first { delta / 700 } else { delta / 2 };
        delta += delta / points;
        let mut k = 0;
        while delta > (BASE - 1) * 26 / 2 {
            delta /= BASE - 1;
            k += BASE;
        }
        k + BASE * delta / (delta + 38)
    };
    let basic = cps.iter().filter(|&&c| c < 0x80).count();
    let mut len = basic + usize::from(basic > 0);
    let (mut n, mut delta, mut bias, mut handled) = (0x80u32, 0u32, 72u32, basic);
    while handled < cps.len() {
        let m = cps.iter().copied().filter(|&c| c >= n).min()?;
        let points = u32::try_from(handled + 1).ok()?;
        delta = delta.checked_add((m - n).checked_mul(points)?).filter(|&d| d <= i32::MAX as u32)?;
        n = m;
        for &c in cps {
            if c < n {
                delta = delta.checked_add(1)?;
            } else if c == n {
                let (mut q, mut k) = (delta, BASE);
                loop {
                    let t = k.saturating_sub(bias).clamp(1, 26);
                    if q < t {
                        break;
                    }
                    len += 1;
                    q = (q - t) / (BASE - t);
                    k += BASE;
                }
                len += 1;
                bias = adapt(delta, u32::try_from(handled + 1).ok()?, handled == basic);
                delta = 0;
                handled += 1;
            }
        }
        delta = delta.checked_add(1)?;
        n = n.checked_add(1)?;
    }
    Some(len)
}

/// A character allowed before a URL: anything but ASCII letters and digits, `@$#` (and their
/// full-width forms) and the invalid characters; directional marks are allowed.
fn is_preceding(c: char) -> bool {
    !(c.is_ascii_alphanumeric() || matches!(c, '@' | '\u{FF20}' | '$' | '#' | '\u{FF03}') || is_invalid(c))
        || is_directional(c)
}

/// A character of a domain label: a domain character, `-` or `_`.
fn is_label_char(c: char) -> bool {
    is_domain_char(c) || c == '-' || c == '_'
}

/// A domain character: anything but ASCII punctuation (except `"` and `` ` ``), spaces, invalid
/// characters and directional marks.
#[rustfmt::skip]
fn is_domain_char(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphanumeric() || matches!(c, '"' | '`') || (c.is_ascii_control() && !matches!(c, '\t'..='\r'));
    }
    let space = matches!(c, '\u{85}' | '\u{A0}' | '\u{1680}' | '\u{180E}' | '\u{2000}'..='\u{200A}')
        || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202F}' | '\u{205F}' | '\u{3000}');
    !(space || is_invalid(c) || is_directional(c))
}

fn is_invalid(c: char) -> bool {
    matches!(c, '\u{FFFE}' | '\u{FEFF}' | '\u{FFFF}')
}

fn is_directional(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{2066}'..='\u{2069}')
}

#[rustfmt::skip]
fn is_latin_accent(c: char) -> bool {
    matches!(c, '\u{C0}'..='\u{D6}' | '\u{D8}'..='\u{F6}' | '\u{F8}'..='\u{24F}' | '\u{253}' | '\u{254}' | '\u{256}')
        || matches!(c, '\u{257}' | '\u{259}' | '\u{25B}' | '\u{263}' | '\u{268}' | '\u{26F}' | '\u{272}' | '\u{289}')
        || matches!(c, '\u{28B}' | '\u{2BB}' | '\u{300}'..='\u{36F}' | '\u{1E00}'..='\u{1EFF}')
}

fn is_ascii_domain_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || is_latin_accent(c)
}

#[rustfmt::skip]
fn is_path_char(c: char) -> bool {
    is_path_ending_char(c) || matches!(c, '!' | '*' | '\'' | ';' | ':' | ',' | '.' | '$' | '%' | '[' | ']' | '~' | '@' | '|' | '&' | '\u{2013}')
}

#[rustfmt::skip]
fn is_path_ending_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '=' | '_' | '#' | '/')
        || (!c.is_ascii() && (('\u{400}'..='\u{4FF}').contains(&c) || is_latin_accent(c)))
}

/// The reference's global, non-overlapping emoji scan, advanced lazily as the measuring loop moves on.
struct EmojiScan<'a> {
    text: &'a str,
    cursor: usize,
    next: Option<(usize, usize)>,
    done: bool,
}

impl EmojiScan<'_> {
    /// The first emoji sequence of the scan that starts at or after `i`.
    fn next_from(&mut self, i: usize) -> Option<(usize, usize)> {
        loop {
            match self.next {
                Some((start, end)) if start >= i => return Some((start, end)),
                Some((_, end)) => (self.cursor, self.next) = (end, None),
                None if self.done => return None,
                None => {
                    self.next = find_emoji(self.text, self.cursor);
                    self.done = self.next.is_none();
                }
            }
        }
    }
}

/// The first emoji sequence at or after `from`. Only a non-ASCII character or an ASCII keycap
/// base right before one (U+FE0F or U+20E3) can begin one.
fn find_emoji(t: &str, from: usize) -> Option<(usize, usize)> {
    let bytes = t.as_bytes();
    let mut p = from;
    loop {
        let lead = p + bytes.get(p..)?.iter().position(|&b| b >= 0xC0)?;
        let base = lead.checked_sub(1).filter(|&b| b >= p && matches!(bytes[b], b'#' | b'*' | b'0'..=b'9'));
        if let Some(found) = base.and_then(|b| emoji_at(t, b).map(|end| (b, end))) {
            return Some(found);
        }
        if t[lead..].starts_with(may_start_emoji)
            && let Some(end) = emoji_at(t, lead)
        {
            return Some((lead, end));
        }
        p = lead + 1;
    }
}

/// Whether `c` can begin an emoji sequence (a cheap superset of the first characters of all emoji).
#[rustfmt::skip]
fn may_start_emoji(c: char) -> bool {
    matches!(c, '#' | '*' | '0'..='9' | '\u{A9}' | '\u{AE}' | '\u{203C}' | '\u{2049}' | '\u{2122}' | '\u{2139}')
        || matches!(c, '\u{2194}'..='\u{21AA}' | '\u{231A}'..='\u{23FA}' | '\u{24C2}' | '\u{25AA}'..='\u{27BF}')
        || matches!(c, '\u{2934}' | '\u{2935}' | '\u{2B05}'..='\u{2B55}' | '\u{3030}' | '\u{303D}' | '\u{3297}')
        || matches!(c, '\u{3299}' | '\u{1F000}'..='\u{1FAFF}')
}

/// The end of the longest emoji sequence starting at `i`: the candidate (a base, its modifiers,
/// variation selectors, keycap and tags, ZWJ-joined bases, or a pair of regional indicators) is
/// cut back until the `emojis` database knows it.
fn emoji_at(t: &str, i: usize) -> Option<usize> {
    let is_ri = |c: char| ('\u{1F1E6}'..='\u{1F1FF}').contains(&c);
    let is_modifier = |c: char| matches!(c, '\u{FE0E}' | '\u{FE0F}' | '\u{20E3}' | '\u{1F3FB}'..='\u{1F3FF}' | '\u{E0020}'..='\u{E007F}');
    let mut chars = t[i..].char_indices().map(|(o, c)| (i + o + c.len_utf8(), c)).peekable();
    let (first_end, first) = chars.next()?;
    if first.is_ascii() && !chars.peek().is_some_and(|&(_, c)| c == '\u{FE0F}' || c == '\u{20E3}') {
        return None;
    }
    let (mut ends, mut n) = ([first_end; MAX_EMOJI_CHARS], 1);
    while n < MAX_EMOJI_CHARS {
        let next = if is_ri(first) {
            // A flag is exactly two regional indicators.
            chars.next_if(|&(_, c)| n == 1 && is_ri(c))
        } else if let Some(m) = chars.next_if(|&(_, c)| is_modifier(c)) {
            Some(m)
        } else if chars.next_if(|&(_, c)| c == '\u{200D}').is_some() {
            chars.next_if(|&(_, c)| may_start_emoji(c) && !c.is_ascii())
        } else {
            None
        };
        let Some((end, _)) = next else { break };
        ends[n] = end;
        n += 1;
    }
    ends[..n].iter().rev().copied().find(|&end| is_known_emoji(&t[i..end]))
}

/// Whether `s` is one emoji as Twemoji (which X uses) matches them: a fully-qualified sequence;
/// without a ZWJ, also one with some U+FE0F left out or with a redundant U+FE0F after a
/// character that has an emoji variation sequence (as in U+2B50 U+FE0F or U+261D U+FE0F U+1F3FD).
/// Bare (C), (R) and TM stay text.
fn is_known_emoji(s: &str) -> bool {
    const VS16: char = '\u{FE0F}';
    if matches!(s, "\u{A9}" | "\u{AE}" | "\u{2122}") {
        return false;
    }
    if s == "\u{1F441}\u{200D}\u{1F5E8}" {
        return true; // Twemoji lists the eye in a speech bubble without its selectors
    }
    // Drop a redundant U+FE0F (two in a row never belong to one emoji); keep the rest.
    let (mut key, mut len, mut prev, mut zwj) = ([0u8; 64], 0, None, false);
    for c in s.chars() {
        if c == VS16 && prev == Some(VS16) {
            return false;
        }
        zwj |= c == '\u{200D}';
        if !(c == VS16 && prev.is_some_and(takes_vs16)) {
            let Some(slot) = key.get_mut(len..len + c.len_utf8()) else {
                return false;
            };
            len += c.encode_utf8(slot).len();
        }
        prev = Some(c);
    }
    if zwj {
        return emojis::get(s).is_some_and(|e| e.as_str() == s);
    }
    let Some(emoji) = std::str::from_utf8(&key[..len]).ok().and_then(emojis::get) else {
        return false;
    };
    let mut canonical = emoji.as_str().chars().peekable();
    let dropped_vs16_only = std::str::from_utf8(&key[..len]).is_ok_and(|key| {
        key.chars().all(|c| {
            canonical.next_if_eq(&c).is_some()
                || (canonical.next_if_eq(&VS16).is_some() && canonical.next_if_eq(&c).is_some())
        })
    });
    dropped_vs16_only && canonical.all(|k| k == VS16)
}

/// Whether U+FE0F after `c` selects its emoji presentation: text-style emoji, and the
/// emoji-style characters that have a standardized emoji variation sequence.
#[rustfmt::skip]
fn takes_vs16(c: char) -> bool {
    let (mut buf, ascii) = ([0u8; 4], c.is_ascii());
    let c_str = &*c.encode_utf8(&mut buf);
    matches!(c, '\u{231A}'..='\u{231B}' | '\u{25FD}'..='\u{25FE}' | '\u{2614}'..='\u{2615}' | '\u{2648}'..='\u{2653}')
        || matches!(c, '\u{267F}' | '\u{2693}' | '\u{26A1}' | '\u{26AA}'..='\u{26AB}' | '\u{26BD}'..='\u{26BE}')
        || matches!(c, '\u{26C4}'..='\u{26C5}' | '\u{26D4}' | '\u{26EA}' | '\u{26F2}'..='\u{26F3}' | '\u{26F5}')
        || matches!(c, '\u{26FA}' | '\u{26FD}' | '\u{2757}' | '\u{2B1B}'..='\u{2B1C}' | '\u{2B50}' | '\u{2B55}')
        || matches!(c, '\u{1F004}' | '\u{1F21A}' | '\u{1F22F}')
        || (!ascii && emojis::get(c_str).is_some_and(|e| e.as_str().strip_prefix(c_str) == Some("\u{FE0F}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The shared reference data (`shared/data/twitter-text/` beside the project): fails under CI
    /// when it is missing, says it skipped elsewhere.
    fn reference_file(name: &str) -> Option<String> {
        let path = crate::shared_data::shared_data(&format!("twitter-text/{name}"))?;
        Some(std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
    }

    #[derive(serde::Deserialize)]
    struct Case {
        description: String,
        text: String,
        expected: Expected,
    }

    #[derive(serde::Deserialize)]
    struct Expected {
        #[serde(rename = "weightedLength")]
        weighted_length: usize,
    }

    /// Runs every case of one `validate.yml` section and reports each failure by its description.
    fn conformance(section: &str, measure: fn(&str) -> usize) {
        let Some(yaml) = reference_file("validate.yml") else {
            return;
        };
        let yaml: serde_yaml_ng::Value = serde_yaml_ng::from_str(&yaml).expect("validate.yml parses");
        let cases: Vec<Case> = serde_yaml_ng::from_value(yaml["tests"][section].clone()).expect(section);
        assert!(!cases.is_empty(), "{section} has no cases");
        let failures: Vec<String> = cases
            .iter()
            .filter_map(|case| {
                let (got, want) = (measure(&case.text), case.expected.weighted_length);
                (got != want).then(|| format!("  {:?}: got {got}, expected {want}", case.description))
            })
            .collect();
        assert!(
            failures.is_empty(),
            "{section}: {} of {} cases failed:\n{}",
            failures.len(),
            cases.len(),
            failures.join("\n")
        );
        eprintln!("{section}: all {} cases passed", cases.len());
    }

    #[test]
    fn conformance_v3_weighted_tweets_with_discounted_emoji() {
        conformance("WeightedTweetsWithDiscountedEmojiCounterTest", weighted_length);
    }

    #[test]
    fn conformance_v3_unicode_directional_markers() {
        conformance("UnicodeDirectionalMarkerCounterTest", weighted_length);
    }

    #[test]
    fn conformance_v2_weighted_tweets() {
        // v2 has the same weights as v3 but no emoji parsing (see `built_in_weights_match_the_configs`).
        conformance("WeightedTweetsCounterTest", |text| measure(text, false));
    }

    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Config {
        max_weighted_tweet_length: usize,
        scale: usize,
        default_weight: usize,
        #[serde(rename = "transformedURLLength")]
        transformed_url_length: usize,
        #[serde(default)]
        emoji_parsing_enabled: bool,
        ranges: Vec<WeightRange>,
    }

    #[derive(serde::Deserialize)]
    struct WeightRange {
        start: u32,
        end: u32,
        weight: usize,
    }

    #[test]
    fn built_in_weights_match_the_configs() {
        for (name, emoji_parsing) in [("v3.json", true), ("v2.json", false)] {
            let Some(json) = reference_file(name) else {
                return;
            };
            let config: Config = serde_json::from_str(&json).expect(name);
            assert_eq!(config.max_weighted_tweet_length, MAX_WEIGHTED_LENGTH, "{name}");
            assert_eq!(config.transformed_url_length, URL_WEIGHT, "{name}");
            assert_eq!(config.default_weight, HEAVY * config.scale, "{name}");
            assert_eq!(config.emoji_parsing_enabled, emoji_parsing, "{name}");
            let ranges: Vec<(u32, u32)> = config.ranges.iter().map(|r| (r.start, r.end)).collect();
            assert_eq!(ranges, LIGHT_RANGES, "{name}");
            assert!(config.ranges.iter().all(|r| r.weight == config.scale), "{name}");
        }
    }

    /// Cases whose expected values come from the reference JavaScript implementation
    /// (twitter-text 3.1.0 `parseTweet` and `extractUrls`).
    #[test]
    fn matches_the_reference_implementation() {
        let cases: &[(&str, usize, &[&str])] = &[
            ("see example.com.", 28, &["example.com"]),
            ("Register: example.com/webinar #Webinar", 42, &["example.com/webinar"]),
            ("Go: https://ex.com/a?b=c#frag!", 28, &["https://ex.com/a?b=c#frag"]),
            ("user@example.com", 16, &[]),
            ("a.b", 3, &[]),
            ("3.14 and e.g. this", 18, &[]),
            ("example.com?x=1", 27, &["example.com"]),
            ("example.com:8080/x", 23, &["example.com:8080/x"]),
            ("example.com:8080", 28, &["example.com"]),
            ("中example.com", 25, &["example.com"]),
            ("http://t.co/abc/def", 27, &["http://t.co/abc"]),
            ("https://T.CO/abc?x=1!", 24, &["https://T.CO/abc?x=1"]),
            ("www.EXAMPLE.COM/Path_(foo)", 23, &["www.EXAMPLE.COM/Path_(foo)"]),
            (
                "https://en.wikipedia.org/wiki/Foo_(bar_(baz)) ok",
                26,
                &["https://en.wikipedia.org/wiki/Foo_(bar_(baz))"],
            ),
            ("a_b.com", 7, &[]),
            ("-foo.com", 8, &[]),
            ("/foo.com", 8, &[]),
            ("foo.com/a.b.", 24, &["foo.com/a.b"]),
            ("http://example.com/@user/", 23, &["http://example.com/@user/"]),
            ("example.com.au.", 24, &["example.com.au"]),
            ("Ünïcödé.com", 24, &["nïcödé.com"]),
            ("例え.jp", 7, &[]),
            ("http://例え.jp", 23, &["http://例え.jp"]),
            ("$example.com", 12, &[]),
            ("#example.com", 12, &[]),
            ("@example.com", 12, &[]),
            ("example.comé", 24, &["example.com"]),
            ("example.com-x", 13, &[]),
            ("сайт.рф", 7, &[]),
            ("http://сайт.рф/путь", 23, &["http://сайт.рф/путь"]),
            ("🇸-t.co/", 25, &["-t.co/"]),
            ("(example.com)", 25, &["example.com"]),
            ("a.com,b.org", 47, &["a.com", "b.org"]),
            ("example.xn--p1ai", 23, &["example.xn--p1ai"]),
            ("https://t.co/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 54, &[]),
            (
                "https://t.co/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                23,
                &["https://t.co/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"],
            ),
            ("café.com/menu", 23, &["café.com/menu"]),
            ("© 2025 Herald", 13, &[]),
            ("©\u{FE0F}", 2, &[]),
            ("☺\u{FE0E}", 4, &[]),
            ("❤\u{FE0F} it", 5, &[]),
            ("🇺🇸🇬🇧", 4, &[]),
            ("👍🏽👍", 4, &[]),
            ("1\u{20E3}", 2, &[]),
            ("1\u{FE0F}\u{20E3} 2\u{FE0F}\u{20E3}", 5, &[]),
            ("😀\u{FE0F}", 4, &[]),
            ("⭐\u{FE0F}⭐\u{FE0F}", 4, &[]),
            ("✅\u{FE0F}", 4, &[]),
            ("☝\u{FE0F}🏽", 2, &[]),
            ("👩\u{200D}⚕", 5, &[]),
            ("👩\u{200D}⚕\u{FE0F}", 2, &[]),
            ("8\u{FE0F}", 3, &[]),
            ("💻\u{FE0F}", 4, &[]),
            ("🏳\u{FE0F}\u{200D}🌈 pride", 8, &[]),
            ("Ｈｅｌｌｏ", 10, &[]),
            ("Cafe\u{301}", 4, &[]),
            ("e\u{301}.com", 23, &["é.com"]),
            ("Hi\u{202A}http://x.com\u{202C}", 29, &["http://x.com"]),
        ];
        for &(text, length, urls) in cases {
            assert_eq!(weighted_length(text), length, "length of {text:?}");
            assert_eq!(extract_urls(text), urls, "URLs of {text:?}");
        }
    }

    #[test]
    fn campaign_texts() {
        let sale = "Spring sale starts today! Get 20% off every plan for the next 48 hours. Upgrade now at \
                    https://example.com/pricing?utm_source=x&utm_campaign=spring #SpringSale #SaaS";
        let url = "https://example.com/pricing?utm_source=x&utm_campaign=spring";
        assert_eq!(weighted_length(sale), sale.chars().count() - url.len() + URL_WEIGHT);
        assert_eq!(extract_urls(sale), [url]);
        assert_eq!(weighted_length("Join us: example.com/webinar"), 9 + URL_WEIGHT);
        assert_eq!(weighted_length("春のセール開始！"), 16);
        assert_eq!(weighted_length("🚀 Launch day! ⭐\u{FE0F}⭐\u{FE0F}"), 2 + 13 + 2 + 2);
        assert!(fits(&"x".repeat(MAX_WEIGHTED_LENGTH)));
        assert!(!fits(&"x".repeat(MAX_WEIGHTED_LENGTH + 1)));
        assert_eq!(weighted_length(""), 0);
    }

    #[test]
    fn every_emoji_counts_two() {
        let all = emojis::iter().flat_map(|e| std::iter::once(e).chain(e.skin_tones().into_iter().flatten()));
        for emoji in all {
            let text = emoji.as_str();
            assert_eq!(weighted_length(text), HEAVY, "{text:?} ({})", emoji.name());
            // The cheap pre-checks must let every emoji through.
            let mut chars = text.chars();
            assert!(chars.next().is_some_and(may_start_emoji), "{text:?} starts outside may_start_emoji");
            let joined = text.split('\u{200D}').skip(1).filter_map(|part| part.chars().next());
            assert!(joined.into_iter().all(|c| may_start_emoji(c) && !c.is_ascii()), "{text:?}");
        }
    }

    #[test]
    fn nfc_stable_characters_are_nfc_alone_and_never_combine() {
        use unicode_normalization::char::canonical_combining_class;
        for c in (0..=0x10FFFF).filter_map(char::from_u32).filter(|&c| nfc_stable(c)) {
            assert_eq!(is_nfc_quick(std::iter::once(c)), IsNormalized::Yes, "U+{:04X}", u32::from(c));
            assert_eq!(canonical_combining_class(c), 0, "U+{:04X}", u32::from(c));
        }
    }

    #[test]
    fn punycode_lengths() {
        let encoded = |s: &str| punycode_len(&s.chars().map(u32::from).collect::<Vec<_>>());
        assert_eq!(encoded("bücher"), Some("bcher-kva".len()));
        assert_eq!(encoded("例え"), Some("r8jz45g".len()));
        assert_eq!(encoded("пример"), Some("e1afmkfd".len()));
    }

    /// Text made of the pieces URL finding and emoji matching care about.
    fn tricky_text() -> impl Strategy<Value = String> {
        const PIECES: &[&str] = &[
            "a", "b", "co", "com", "jp", "org", "t.co/", "www.", "https://", "http://", "xn--", ".", ".", "/", "-",
            "_", "(", ")", "?", "#", "@", "$", ":", "=", "&", "!", ",", "1", "0", " ", " ", "\n", "中", "é", "п", "ф",
            "\u{301}", "\u{200D}", "\u{FE0F}", "\u{FE0E}", "\u{20E3}", "🏽", "🇺", "🇸", "👩", "⚕", "⭐", "©", "😀",
            "\u{202A}", "\u{FEFF}", "\u{FFFF}", "。", "'", "\"", "–",
        ];
        proptest::collection::vec(proptest::sample::select(PIECES), 0..60).prop_map(|p| p.concat())
    }

    proptest! {
        #[test]
        fn ascii_fast_path_equals_the_full_measure(text in "[ -\\-/-~\t\n]{0,300}") {
            prop_assert_eq!(weighted_length(&text), measure(&text, true));
            prop_assert_eq!(weighted_length(&text), text.len());
        }

        #[test]
        fn never_panics_and_stays_bounded(text in any::<String>()) {
            let (length, urls) = (weighted_length(&text), extract_urls(&text).len());
            let nfc: String = text.nfc().collect();
            prop_assert!(length <= HEAVY * nfc.chars().count() + URL_WEIGHT * urls);
            prop_assert_eq!(length, weighted_length(&nfc));
        }

        #[test]
        fn tricky_text_never_panics(text in tricky_text()) {
            let (length, urls) = (weighted_length(&text), extract_urls(&text));
            prop_assert!(length <= HEAVY * text.nfc().count() + URL_WEIGHT * urls.len());
            prop_assert!(urls.iter().all(|url| url.contains('.')));
        }
    }
}
