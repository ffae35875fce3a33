//! Pacing: the limits a reviewer should see before launch, across every post a channel gets.
//!
//! Owns two `herald check` warnings that need the whole calendar of one channel rather than one post:
//!
//! - **Publishing caps.** A channel whose posts exceed its platform's daily cap
//!   ([`crate::channels::Rules::publish_cap`]: in any 24 hours, or per UTC day where the platform
//!   counts that way) gets a warning at the post that goes over, with the cap and its source.
//! - **Repeated texts.** A channel that gets the same text twice within [`DUPLICATE_WINDOW`], on a
//!   platform that refuses a repeat ([`crate::channels::Rules::refuses_duplicates`]), gets a warning at
//!   the later post that names the earlier one and where it is.
//!
//! `check` renders every occurrence once and hands each rendered one to a [`Tracker`]; the tracker
//! keeps a hash of each part sent, not the text, and renders again only the few posts whose hashes
//! match, to compare their texts exactly. Posts of campaign files with errors are left out: they are
//! not published as they are.

use std::collections::{HashMap, HashSet};
use std::hash::{DefaultHasher, Hash as _, Hasher as _};

use chrono::Duration;

use crate::channels::CapWindow;
use crate::config::Project;
use crate::diagnostic::{Diagnostic, plural};
use crate::schedule::Occurrence;

/// How far apart two posts with the same text on one channel are still warned about. X does not say
/// how far back it compares a new post with the account's earlier ones; LinkedIn's refusal has been seen
/// to last up to 48 hours. A week also covers the most common way a calendar repeats itself: a weekly
/// series with a fixed text.
pub const DUPLICATE_WINDOW: Duration = Duration::days(7);

/// The rendered occurrences of a project, as `check` finds them.
#[derive(Debug, Default)]
pub struct Tracker {
    sent: Vec<Sent>,
}

#[derive(Debug)]
struct Sent {
    occ: Occurrence,
    /// A hash of each part sent (one, or a thread's parts).
    parts: Vec<u64>,
}

impl Tracker {
    /// Records one occurrence that renders, with the parts it sends.
    pub fn record(&mut self, project: &Project, occ: &Occurrence, parts: &[String]) {
        if project.campaigns[occ.campaign].broken {
            return;
        }
        let parts = parts
            .iter()
            .map(|p| {
                let mut h = DefaultHasher::new();
                p.hash(&mut h);
                h.finish()
            })
            .collect();
        self.sent.push(Sent { occ: occ.clone(), parts });
    }

    /// The warnings over everything recorded: caps exceeded and texts repeated.
    #[must_use]
    pub fn finish(mut self, project: &Project) -> Vec<Diagnostic> {
        self.sent.sort_by_key(|s| s.occ.at_utc);
        let mut by_channel: HashMap<usize, Vec<&Sent>> = HashMap::new();
        for s in &self.sent {
            by_channel.entry(s.occ.channel).or_default().push(s);
        }
        let mut channels: Vec<_> = by_channel.into_iter().collect();
        channels.sort_by_key(|(c, _)| *c);
        let mut out = Vec::new();
        for (channel, sent) in channels {
            caps(project, channel, &sent, &mut out);
            repeats(project, channel, &sent, &mut out);
        }
        out
    }
}

/// Warns at each post that takes `channel` over its platform's cap (once per post).
fn caps(project: &Project, channel: usize, sent: &[&Sent], out: &mut Vec<Diagnostic>) {
    let ch = &project.config.channels[channel];
    let rules = ch.platform.rules();
    let Some(cap) = &rules.publish_cap else { return };
    let mut reported = HashSet::new();
    let mut first = 0;
    for (i, s) in sent.iter().enumerate() {
        let at = s.occ.at_utc;
        let count = match cap.window {
            CapWindow::Rolling24h => {
                while sent[first].occ.at_utc <= at - Duration::hours(24) {
                    first += 1;
                }
                i - first + 1
            }
            CapWindow::UtcDay => {
                while sent[first].occ.at_utc.date_naive() < at.date_naive() {
                    first += 1;
                }
                i - first + 1
            }
        };
        if count <= cap.posts || !reported.insert((s.occ.campaign, s.occ.post)) {
            continue;
        }
        let campaign = &project.campaigns[s.occ.campaign];
        let post = &campaign.posts[s.occ.post];
        let period = match cap.window {
            CapWindow::Rolling24h => format!("in the 24 hours up to {}", local(s)),
            CapWindow::UtcDay => format!("on {} (UTC), counting {}", at.date_naive(), local(s)),
        };
        out.push(
            Diagnostic::warning(format!(
                "post `{}` is channel `{}`'s {} post {period}, over {}'s cap of {}",
                post.id,
                ch.name,
                ordinal(count),
                rules.display,
                cap.posts
            ))
            .at(&campaign.source, post.header.clone())
            .help(format!(
                "{}; the platform refuses posts over it {} (herald tries again later, so they go out late or fail): spread these posts over more days, or send fewer",
                cap.source,
                match cap.window {
                    CapWindow::Rolling24h => "until the earliest are 24 hours old",
                    CapWindow::UtcDay => "until midnight UTC",
                }
            )),
        );
    }
}

/// Warns at each post whose text repeats a post of the same channel less than [`DUPLICATE_WINDOW`]
/// before, where the platform refuses repeats (once per pair of posts).
fn repeats(project: &Project, channel: usize, sent: &[&Sent], out: &mut Vec<Diagnostic>) {
    let ch = &project.config.channels[channel];
    let Some(refusal) = ch.platform.rules().refuses_duplicates else { return };
    // Each part's hash → the (post, part) that sent it last.
    let mut last: HashMap<u64, (usize, usize)> = HashMap::new();
    let mut reported = HashSet::new();
    for (i, s) in sent.iter().enumerate() {
        for (part, hash) in s.parts.iter().enumerate() {
            if let Some(&(j, earlier_part)) = last.get(hash)
                && j != i
                && s.occ.at_utc - sent[j].occ.at_utc <= DUPLICATE_WINDOW
                && !reported.contains(&(s.occ.campaign, s.occ.post, sent[j].occ.campaign, sent[j].occ.post))
                && same_text(project, &sent[j].occ, earlier_part, &s.occ, part)
            {
                reported.insert((s.occ.campaign, s.occ.post, sent[j].occ.campaign, sent[j].occ.post));
                out.push(repeat_warning(project, refusal, sent[j], s));
            }
            last.insert(*hash, (i, part));
        }
    }
}

fn repeat_warning(project: &Project, refusal: &str, earlier: &Sent, later: &Sent) -> Diagnostic {
    let ch = &project.config.channels[later.occ.channel];
    let campaign = &project.campaigns[later.occ.campaign];
    let post = &campaign.posts[later.occ.post];
    let target = &post.targets[later.occ.target];
    let before_campaign = &project.campaigns[earlier.occ.campaign];
    let before_post = &before_campaign.posts[earlier.occ.post];
    let before_target = &before_post.targets[earlier.occ.target];
    let (line, col) = before_campaign.source.line_col(before_target.text_span.start);
    let gap = gap(later.occ.at_utc - earlier.occ.at_utc);
    let whose = if (earlier.occ.campaign, earlier.occ.post) == (later.occ.campaign, later.occ.post) {
        "its own text".to_string()
    } else {
        format!("the text of post `{}`", before_post.id)
    };
    Diagnostic::warning(format!(
        "post `{}` on channel `{}` ({}) repeats {whose} of {}, {gap} earlier",
        post.id,
        ch.name,
        local(later),
        local(earlier),
    ))
    .at(&campaign.source, target.text_span.clone())
    .help(format!(
        "{refusal}; herald warns about a repeat within {} days. Make the texts differ (a date, a detail) or move one post; the earlier one is at {}:{line}:{col}",
        DUPLICATE_WINDOW.num_days(),
        before_campaign.source.path,
    ))
}

/// Whether part `a_part` of `a` and part `b_part` of `b` are the same text (their hashes matched).
fn same_text(project: &Project, a: &Occurrence, a_part: usize, b: &Occurrence, b_part: usize) -> bool {
    let part =
        |occ: &Occurrence, i: usize| crate::render::render(project, occ).ok().and_then(|r| r.parts.into_iter().nth(i));
    match (part(a, a_part), part(b, b_part)) {
        (Some(x), Some(y)) => x == y,
        _ => false,
    }
}

/// When an occurrence goes out, on its campaign's clock, as `check` shows it.
fn local(s: &Sent) -> String {
    s.occ.at_local.format("%Y-%m-%d %H:%M").to_string()
}

/// `1st`, `2nd`, `51st`, `112th`…
fn ordinal(n: usize) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

/// A time between two posts in words: `3 days`, `1 day 2 hours`, `5 hours`, `20 minutes`.
fn gap(d: Duration) -> String {
    let minutes = usize::try_from(d.num_minutes()).unwrap_or(0);
    let (days, hours, minutes) = (minutes / (24 * 60), minutes / 60 % 24, minutes % 60);
    match (days, hours) {
        (0, 0) => plural(minutes, "minute"),
        (0, h) => plural(h, "hour"),
        (d, 0) => plural(d, "day"),
        (d, h) => format!("{} {}", plural(d, "day"), plural(h, "hour")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinals_read_as_english() {
        let got: Vec<String> = [1, 2, 3, 4, 11, 12, 13, 21, 22, 51, 101, 111, 112, 151].map(ordinal).into();
        assert_eq!(
            got,
            [
                "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "51st", "101st", "111th", "112th",
                "151st"
            ]
        );
    }

    #[test]
    fn gaps_read_in_the_largest_units() {
        assert_eq!(gap(Duration::minutes(0)), "0 minutes");
        assert_eq!(gap(Duration::minutes(20)), "20 minutes");
        assert_eq!(gap(Duration::hours(5) + Duration::minutes(10)), "5 hours");
        assert_eq!(gap(Duration::days(1)), "1 day");
        assert_eq!(gap(Duration::days(6) + Duration::hours(23)), "6 days 23 hours");
        assert_eq!(gap(Duration::days(7)), "7 days");
    }
}
