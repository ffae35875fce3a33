//! Word diffs of a publication's text, for a reviewer: which words went and which came.
//!
//! Owns [`diff`], which splits both texts into words and the whitespace between them (the `similar`
//! crate's Myers diff over words) and merges the result into [`Run`]s. The whitespace between two
//! changed words is kept inside the change, so "the old words" → "the new text" reads as one deletion
//! and one insertion (`the [-old words-]{+new text+}`), not as a patchwork.

use similar::{ChangeTag, TextDiff};

/// What a run of text is in the diff.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Equal,
    Delete,
    Insert,
}

impl Op {
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Equal => "equal",
            Op::Delete => "delete",
            Op::Insert => "insert",
        }
    }
}

/// A run of text that the diff keeps, deletes or inserts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    pub op: Op,
    pub text: String,
}

/// The word diff from `old` to `new`: equal runs, and in each changed stretch its deletion before its
/// insertion. Joining the equal and deleted runs gives `old`; the equal and inserted ones give `new`.
pub fn diff(old: &str, new: &str) -> Vec<Run> {
    let diff = TextDiff::from_words(old, new);
    let mut runs: Vec<Run> = Vec::new();
    // A changed stretch being gathered, and whitespace seen after it that may belong to it.
    let (mut deleted, mut inserted, mut gap) = (String::new(), String::new(), String::new());
    let flush = |runs: &mut Vec<Run>, deleted: &mut String, inserted: &mut String| {
        for (op, text) in [(Op::Delete, deleted), (Op::Insert, inserted)] {
            if !text.is_empty() {
                runs.push(Run { op, text: std::mem::take(text) });
            }
        }
    };
    let push_equal = |runs: &mut Vec<Run>, text: &str| match runs.last_mut() {
        Some(last) if last.op == Op::Equal => last.text.push_str(text),
        _ => runs.push(Run { op: Op::Equal, text: text.to_string() }),
    };
    for change in diff.iter_all_changes() {
        let value = change.value();
        let in_stretch = !deleted.is_empty() || !inserted.is_empty();
        match change.tag() {
            ChangeTag::Equal if in_stretch && value.chars().all(char::is_whitespace) => gap.push_str(value),
            ChangeTag::Equal => {
                flush(&mut runs, &mut deleted, &mut inserted);
                push_equal(&mut runs, &std::mem::take(&mut gap));
                push_equal(&mut runs, value);
            }
            tag => {
                if !gap.is_empty() {
                    deleted.push_str(&gap);
                    inserted.push_str(&std::mem::take(&mut gap));
                }
                if tag == ChangeTag::Delete { deleted.push_str(value) } else { inserted.push_str(value) }
            }
        }
    }
    flush(&mut runs, &mut deleted, &mut inserted);
    if !gap.is_empty() {
        push_equal(&mut runs, &gap);
    }
    runs.retain(|r| !r.text.is_empty());
    runs
}

/// `[-deleted-]{+inserted+}`, as `git diff --word-diff=plain` writes it.
pub fn plain(runs: &[Run]) -> String {
    runs.iter()
        .map(|r| match r.op {
            Op::Equal => r.text.clone(),
            Op::Delete => format!("[-{}-]", r.text),
            Op::Insert => format!("{{+{}+}}", r.text),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn side(runs: &[Run], skip: Op) -> String {
        runs.iter().filter(|r| r.op != skip).map(|r| r.text.as_str()).collect()
    }

    #[test]
    fn one_changed_word_is_one_deletion_and_one_insertion() {
        let runs = diff("Water is life. #HS4A", "Water is everything. #HS4A");
        assert_eq!(plain(&runs), "Water is [-life.-]{+everything.+} #HS4A");
    }

    #[test]
    fn neighbouring_changed_words_read_as_one_change() {
        let runs = diff("the old words here", "the new text here");
        assert_eq!(plain(&runs), "the [-old words-]{+new text+} here");
    }

    #[test]
    fn both_texts_are_rebuilt_from_the_runs() {
        for (old, new) in [
            ("a b c", "a c"),
            ("", "new text"),
            ("old text", ""),
            ("line one\n\nline two", "line one\nline 2\n"),
            ("  spaced   out ", "spaced out"),
        ] {
            let runs = diff(old, new);
            assert_eq!(side(&runs, Op::Insert), old, "{runs:?}");
            assert_eq!(side(&runs, Op::Delete), new, "{runs:?}");
        }
    }
}
