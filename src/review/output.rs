//! A [`Review`] shown three ways: text for a terminal, JSON (a stable interface), and Markdown for a
//! comment on a pull request.
//!
//! Text goes through [`crate::terminal::visible`] like every text output; JSON keeps the exact text.
//! In Markdown, what a post says is put inside `<pre>` with HTML escaped (`&`, `<`, `>`) and the
//! terminal's hostile characters written visibly, so a post cannot close the block, inject HTML or
//! Markdown, mention a GitHub user (`@name` in a `<pre>` does not notify) or reorder what reviewers
//! read; names and ids are escaped too. The comment stays under GitHub's 65,536-character limit: past
//! [`MARKDOWN_BUDGET`] the remaining changes are counted, not shown.

use std::fmt::Write as _;

use chrono::SecondsFormat;
use serde_json::{Value, json};

use super::words::{Op, Run};
use super::{Change, Image, Kind, Publication, Review, summary_of};
use crate::terminal::visible;

/// Roughly how many bytes of changes a Markdown comment shows (GitHub refuses comments over 65,536
/// characters).
pub const MARKDOWN_BUDGET: usize = 60_000;

fn marker(kind: Kind) -> char {
    match kind {
        Kind::Added => '+',
        Kind::Removed => '-',
        Kind::Moved => '>',
        Kind::Changed => '~',
    }
}

fn when(change: &Change) -> String {
    match (&change.old, &change.new) {
        (Some(o), Some(n)) if o.at_utc != n.at_utc => format!("{} → {}", o.local_time(), n.local_time()),
        _ => change.current().local_time(),
    }
}

/// Changes of one post on one channel that are the same change (same kind, same move, same words
/// deleted and inserted, or the same new text): a weekly post whose text changed is one entry, not 52,
/// shown with its first publication's text.
struct Group<'a> {
    changes: Vec<&'a Change>,
    body: String,
}

impl<'a> Group<'a> {
    fn first(&self) -> &'a Change {
        self.changes[0]
    }

    /// When: one publication's time, or `N publications: FIRST … LAST`.
    fn when(&self) -> String {
        match self.changes.as_slice() {
            [one] => when(one),
            [first, .., last] => {
                let shown = if self.body.is_empty() { "" } else { ", the first shown" };
                format!("{} publications: {} … {}{shown}", self.changes.len(), when(first), when(last))
            }
            [] => String::new(),
        }
    }
}

/// What makes two changes of a post on a channel the same change: the new text of an added one; the
/// words deleted and inserted (not the unchanged text around them, which may hold the date) and any
/// changed link or images of a moved or changed one.
fn sameness(change: &Change) -> String {
    match change.kind {
        Kind::Added => change.current().content.text.clone(),
        Kind::Removed => String::new(),
        Kind::Moved | Kind::Changed => {
            let runs = change.text_diff().unwrap_or_default();
            let edits = runs.iter().filter(|r| r.op != Op::Equal).map(|r| format!("{}{}\0", r.op.as_str(), r.text));
            edits.chain(other_edits(change)).collect()
        }
    }
}

/// `changes` (in order) gathered into [`Group`]s by campaign, post, channel, kind, move and
/// [`sameness`]; each group where its first change was, with its first change's `body`.
fn groups<'a>(changes: impl IntoIterator<Item = &'a Change>, body: impl Fn(&Change) -> String) -> Vec<Group<'a>> {
    let mut out: Vec<Group<'a>> = Vec::new();
    /// Campaign, post, channel, kind, the move in seconds, [`sameness`].
    type Key = (String, String, String, Kind, Option<i64>, String);
    let mut index: std::collections::HashMap<Key, usize> = std::collections::HashMap::new();
    for change in changes {
        let p = change.current();
        let shift = match (&change.old, &change.new) {
            (Some(o), Some(n)) => Some((n.at_utc - o.at_utc).num_seconds()),
            _ => None,
        };
        let key = (p.campaign.clone(), p.post.clone(), p.channel.clone(), change.kind, shift, sameness(change));
        match index.get(&key) {
            Some(&i) => out[i].changes.push(change),
            None => {
                index.insert(key, out.len());
                out.push(Group { changes: vec![change], body: body(change) });
            }
        }
    }
    out
}

/// The text below a change's line: the new text (added), the word diff (`[-gone-]{+come+}`), a changed
/// link or images.
fn text_body(change: &Change) -> String {
    let mut lines: Vec<String> = Vec::new();
    let body = match change.kind {
        Kind::Added => Some(change.current().content.text.clone()),
        Kind::Removed => None,
        Kind::Moved | Kind::Changed => change.text_diff().map(|runs| super::words::plain(&runs)),
    };
    if let Some(body) = body {
        lines.extend(body.lines().map(|l| if l.is_empty() { String::new() } else { format!("      {l}") }));
    }
    lines.extend(other_edits(change).into_iter().map(|l| format!("      {l}")));
    lines.iter().map(|l| format!("{l}\n")).collect()
}

/// The text form: a summary line, then per campaign one line per change (`+` added, `-` removed, `>`
/// moved, `~` changed) with the new text (added) or the word diff indented below; changes that read the
/// same are one entry ([`Group`]).
pub fn text(review: &Review, against: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "Plan against {against}: {} ({} unchanged)", review.summary(), review.unchanged);
    let mut campaign = "";
    for group in groups(&review.changes, text_body) {
        let p = group.first().current();
        if p.campaign != campaign {
            campaign = &p.campaign;
            let _ = writeln!(out, "\n{campaign}");
        }
        let _ = writeln!(out, "  {} {}  {} → {}", marker(group.first().kind), group.when(), p.post, p.channel);
        out.push_str(&group.body);
    }
    visible(&out).into_owned()
}

/// Lines for a changed link or changed images (the text has its own diff).
fn other_edits(change: &Change) -> Vec<String> {
    let (Some(o), Some(n)) = (&change.old, &change.new) else { return Vec::new() };
    let mut lines = Vec::new();
    if o.content.link != n.content.link {
        let show = |l: &Option<String>| l.clone().unwrap_or_else(|| "none".into());
        lines.push(format!("link: {} → {}", show(&o.content.link), show(&n.content.link)));
    }
    let named = |m: &[Image]| m.iter().map(|i| (i.file.clone(), i.alt.clone())).collect::<Vec<_>>();
    if named(&o.content.media) != named(&n.content.media) {
        let show = |m: &[Image]| {
            if m.is_empty() {
                return "none".to_string();
            }
            m.iter()
                .map(|i| match &i.alt {
                    Some(alt) => format!("{} ({alt})", i.file),
                    None => i.file.clone(),
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        lines.push(format!("images: {} → {}", show(&o.content.media), show(&n.content.media)));
    } else if o.content.media != n.content.media {
        // The same names and alt texts: some files were replaced by other pictures.
        let replaced: Vec<&str> = o
            .content
            .media
            .iter()
            .zip(&n.content.media)
            .filter(|(a, b)| a.sha256 != b.sha256)
            .map(|(_, b)| b.file.as_str())
            .collect();
        lines.push(format!("images: {} replaced (the same name, another file)", replaced.join(", ")));
    }
    lines
}

fn publication_json(p: &Publication) -> Value {
    json!({
        "at_utc": p.at_utc.to_rfc3339_opts(SecondsFormat::Secs, true),
        "at_local": p.at_utc.with_timezone(&p.tz).to_rfc3339_opts(SecondsFormat::Secs, true),
        "timezone": p.tz.name(),
        "text": p.content.text,
        "link": p.content.link,
        "media": p
            .content
            .media
            .iter()
            .map(|i| json!({"file": i.file, "alt": i.alt, "sha256": i.sha256}))
            .collect::<Vec<_>>(),
    })
}

/// The JSON form (documented in README.md, "`plan --against --format json`"): fields are only ever
/// added.
pub fn json(review: &Review, against: &str, commit: &str) -> Value {
    let changes: Vec<Value> = review
        .changes
        .iter()
        .map(|c| {
            let p = c.current();
            json!({
                "change": c.kind.as_str(),
                "campaign": p.campaign,
                "post": p.post,
                "channel": p.channel,
                "platform": p.platform,
                "old": c.old.as_ref().map(publication_json),
                "new": c.new.as_ref().map(publication_json),
                "edited": c.edited(),
                "text_diff": c.text_diff().map(|runs| runs.iter().map(|r| json!({"op": r.op.as_str(), "text": r.text})).collect::<Vec<_>>()),
            })
        })
        .collect();
    json!({
        "against": against,
        "commit": commit,
        "summary": {
            "added": review.count(Kind::Added),
            "removed": review.count(Kind::Removed),
            "moved": review.count(Kind::Moved),
            "changed": review.count(Kind::Changed),
            "unchanged": review.unchanged,
            "campaigns": review.campaigns().len(),
        },
        "changes": changes,
    })
}

/// `s` safe inside HTML elements (and so inside Markdown's HTML blocks; it is never put in an
/// attribute), with the terminal's hostile characters (which would hide or reorder text for a
/// reviewer) written visibly.
pub fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in visible(s).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            _ => out.push(c),
        }
    }
    out
}

/// `s` as an inline code span that no backtick in it can close (ids and names are plain already; this
/// is the second line of defence).
fn code(s: &str) -> String {
    let s = visible(s).replace(['\n', '\r'], " ");
    let longest = s.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let pad = if s.starts_with('`') || s.ends_with('`') { " " } else { "" };
    format!("{fence}{pad}{s}{pad}{fence}")
}

/// A `<pre>` block: the whole text (added), or the word diff with `<del>` and `<ins>`.
fn pre(body: &str) -> String {
    format!("<pre>{body}</pre>\n\n")
}

fn html_diff(runs: &[Run]) -> String {
    runs.iter()
        .map(|r| match r.op {
            Op::Equal => html_escape(&r.text),
            Op::Delete => format!("<del>{}</del>", html_escape(&r.text)),
            Op::Insert => format!("<ins>{}</ins>", html_escape(&r.text)),
        })
        .collect()
}

/// The `<pre>` blocks under a change: the new text (added), the word diff, a changed link or images.
fn markdown_body(change: &Change) -> String {
    let p = change.current();
    let mut out = String::new();
    match change.kind {
        Kind::Added => out.push_str(&pre(&html_escape(&p.content.text))),
        Kind::Removed => {}
        Kind::Moved | Kind::Changed => {
            if let Some(runs) = change.text_diff() {
                out.push_str(&pre(&html_diff(&runs)));
            }
        }
    }
    for line in other_edits(change) {
        out.push_str(&pre(&html_escape(&line)));
    }
    out
}

fn markdown_group(group: &Group) -> String {
    let label = match group.first().kind {
        Kind::Added => "➕ added",
        Kind::Removed => "➖ removed",
        Kind::Moved => "🕑 moved",
        Kind::Changed => "✏️ changed",
    };
    let post = &group.first().current().post;
    format!("**{label}** {} · {}\n\n{}", code(post), html_escape(&group.when()), group.body)
}

/// The Markdown form: a summary line, then a folded `<details>` section per campaign with its changes
/// per channel (changes that read the same are one entry).
pub fn markdown(review: &Review, against: &str) -> String {
    let mut out =
        format!("**herald plan** against {}: {} ({} unchanged)\n\n", code(against), review.summary(), review.unchanged);
    let mut used = 0;
    let mut left_out = 0;
    for campaign in review.campaigns() {
        let changes: Vec<&Change> = review.changes.iter().filter(|c| c.current().campaign == campaign).collect();
        let owned: Vec<Change> = changes.iter().map(|c| (*c).clone()).collect();
        let mut section =
            format!("<details><summary><b>{}</b>: {}</summary>\n\n", html_escape(campaign), summary_of(&owned, false));
        let mut channels: Vec<&str> = changes.iter().map(|c| c.current().channel.as_str()).collect();
        channels.sort_unstable();
        channels.dedup();
        for channel in channels {
            let mut shown = 0;
            let mut block = String::new();
            let on_channel = changes.iter().copied().filter(|c| c.current().channel == channel);
            for group in groups(on_channel, markdown_body) {
                let text = markdown_group(&group);
                if used + block.len() + text.len() > MARKDOWN_BUDGET {
                    left_out += group.changes.len();
                    continue;
                }
                block.push_str(&text);
                shown += 1;
            }
            if shown > 0 {
                let platform =
                    changes.iter().find(|c| c.current().channel == channel).map_or("", |c| c.current().platform);
                let on = if platform == channel { String::new() } else { format!(" ({platform})") };
                let _ = write!(section, "#### {}{on}\n\n{block}", html_escape(channel));
                used += block.len();
            }
        }
        section.push_str("</details>\n\n");
        out.push_str(&section);
    }
    if left_out > 0 {
        let _ = writeln!(
            out,
            "{left_out} more changes are not shown here (a comment holds 65,536 characters): run `herald plan --against {}` to see them all.",
            html_escape(against)
        );
    }
    if review.changes.is_empty() {
        out.push_str("Nothing that is published changes.\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::review::{Content, compare};

    fn publication(post: &str, at: &str, text: &str) -> Publication {
        let at_utc: chrono::DateTime<chrono::Utc> = at.parse().unwrap();
        Publication {
            campaign: "hs4a".into(),
            post: post.into(),
            channel: "x".into(),
            platform: "twitter",
            at_utc,
            tz: chrono_tz::America::New_York,
            day: at_utc.date_naive(),
            content: Content { text: text.into(), link: None, media: vec![] },
        }
    }

    fn review() -> Review {
        compare(
            vec![
                publication("water", "2027-03-22T13:00:00Z", "Water is life."),
                publication("gone", "2027-04-01T13:00:00Z", "Bye."),
                publication("peace", "2027-09-21T13:00:00Z", "Peace."),
            ],
            vec![
                publication("water", "2027-03-22T13:00:00Z", "Water is everything."),
                publication("new", "2027-05-01T13:00:00Z", "Hello <b>@octocat</b> </pre> & `x`\u{1b}[2J"),
                publication("peace", "2027-09-21T15:00:00Z", "Peace."),
            ],
        )
    }

    #[test]
    fn text_shows_each_change_with_its_marker_and_diff() {
        assert_eq!(
            text(&review(), "origin/main"),
            "Plan against origin/main: 1 added, 1 removed, 1 moved, 1 changed across 1 campaign (0 unchanged)

hs4a
  ~ 2027-03-22 09:00 EDT  water → x
      Water is [-life.-]{+everything.+}
  - 2027-04-01 09:00 EDT  gone → x
  + 2027-05-01 09:00 EDT  new → x
      Hello <b>@octocat</b> </pre> & `x`<U+001B>[2J
  > 2027-09-21 09:00 EDT → 2027-09-21 11:00 EDT  peace → x
"
        );
    }

    #[test]
    fn markdown_folds_each_campaign_and_escapes_what_posts_say() {
        assert_eq!(
            markdown(&review(), "origin/main"),
            "**herald plan** against `origin/main`: 1 added, 1 removed, 1 moved, 1 changed across 1 campaign (0 unchanged)

<details><summary><b>hs4a</b>: 1 added, 1 removed, 1 moved, 1 changed</summary>

#### x (twitter)

**✏️ changed** `water` · 2027-03-22 09:00 EDT

<pre>Water is <del>life.</del><ins>everything.</ins></pre>

**➖ removed** `gone` · 2027-04-01 09:00 EDT

**➕ added** `new` · 2027-05-01 09:00 EDT

<pre>Hello &lt;b&gt;@octocat&lt;/b&gt; &lt;/pre&gt; &amp; `x`&lt;U+001B&gt;[2J</pre>

**🕑 moved** `peace` · 2027-09-21 09:00 EDT → 2027-09-21 11:00 EDT

</details>

"
        );
    }

    #[test]
    fn the_same_change_to_a_recurring_post_is_one_entry() {
        let weeks = ["2027-01-06", "2027-01-13", "2027-01-20"];
        let old: Vec<Publication> = weeks
            .iter()
            .map(|d| publication("weekly", &format!("{d}T16:00:00Z"), &format!("{d}: a story from the field.")))
            .collect();
        let mut new: Vec<Publication> = weeks
            .iter()
            .map(|d| publication("weekly", &format!("{d}T17:00:00Z"), &format!("{d}: a story from the field.")))
            .collect();
        // The last one also changes a word: it is its own entry.
        new[2].content.text = "2027-01-20: a story from the city.".into();
        let review = compare(old.clone(), new);
        assert_eq!(
            text(&review, "main"),
            "Plan against main: 3 moved across 1 campaign (0 unchanged)

hs4a
  > 2 publications: 2027-01-06 11:00 EST → 2027-01-06 12:00 EST … 2027-01-13 11:00 EST → 2027-01-13 12:00 EST  weekly → x
  > 2027-01-20 11:00 EST → 2027-01-20 12:00 EST  weekly → x
      2027-01-20: a story from the [-field.-]{+city.+}
"
        );
        let edited: Vec<Publication> = old
            .iter()
            .map(|p| {
                let mut p = p.clone();
                p.content.text = p.content.text.replace("story", "film");
                p
            })
            .collect();
        let md = markdown(&compare(old, edited), "main");
        assert!(
            md.contains("**✏\u{fe0f} changed** `weekly` · 3 publications: 2027-01-06 11:00 EST … 2027-01-20 11:00 EST, the first shown\n\n<pre>2027-01-06: a <del>story</del><ins>film</ins> from the field.</pre>"),
            "{md}"
        );
    }

    #[test]
    fn markdown_stays_under_githubs_limit_and_says_what_it_left_out() {
        let long = "word ".repeat(2_000);
        let new: Vec<Publication> = (0..40)
            .map(|i| publication(&format!("p{i:02}"), &format!("2027-05-{:02}T13:00:00Z", i % 28 + 1), &long))
            .collect();
        let md = markdown(&compare(vec![], new), "main");
        assert!(md.len() < 65_536, "{}", md.len());
        assert!(md.contains("more changes are not shown here"), "{md}");
        assert!(md.trim_end().ends_with("to see them all."), "{md}");
        assert_eq!(md.matches("<details>").count(), md.matches("</details>").count());
    }

    #[test]
    fn json_keeps_exact_text_and_a_word_diff() {
        let v = json(&review(), "origin/main", "abc123");
        assert_eq!(
            v["summary"],
            serde_json::json!({"added":1,"removed":1,"moved":1,"changed":1,"unchanged":0,"campaigns":1})
        );
        let changed = &v["changes"][0];
        assert_eq!(changed["change"], "changed");
        assert_eq!(
            changed["text_diff"],
            serde_json::json!([
                {"op":"equal","text":"Water is "},
                {"op":"delete","text":"life."},
                {"op":"insert","text":"everything."}
            ])
        );
        assert_eq!(changed["old"]["at_local"], "2027-03-22T09:00:00-04:00");
        assert_eq!(v["changes"][2]["new"]["text"], "Hello <b>@octocat</b> </pre> & `x`\u{1b}[2J");
        assert_eq!(v["changes"][3]["text_diff"], Value::Null);
    }
}
