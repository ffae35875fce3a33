//! X/Twitter text measurement: the weighted length of twitter-text v3.
//!
//! STUB: to be implemented (helper B).

/// The weighted length of `text` as X counts it (twitter-text v3 config: URLs count 23, CJK and emoji 2,
/// most other characters 1, after NFC normalisation).
pub fn weighted_length(text: &str) -> usize {
    text.chars().count()
}
