//! A change's review: what the working tree's files change against another version of them (a git
//! ref), publication by publication, with no ledger.
//!
//! Owns [`Publication`] (one post, to one channel, at one instant, with what it would publish), the
//! expansion of a loaded project into its publications over every campaign's whole span
//! ([`publications`]), and their comparison ([`compare`]) into a [`Review`] of [`Change`]s: added,
//! removed, moved (the same publication at another instant) and changed (another text, link or images).
//! The other version's files are read with git ([`git`]); the review is shown as text for a terminal,
//! as JSON, or as Markdown for a comment on a pull request ([`output`]), with word diffs ([`words`]).
//!
//! Which publications are "the same": those of one campaign, post and channel are paired first at the
//! same instant, then on the same day (the day a `day` post is tied to, else the local date: an edit of
//! `time`, `offset` or the time zone moves it), then — when what is left on both sides has the same
//! count, as after an edit of a one-off `date` or of a cron rule — in time order. The rest are added
//! or removed. A post renamed is removed under its old id and added under its new one.

pub mod git;
pub mod output;
pub mod words;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, Utc};

use crate::config::{Project, When};
use crate::render::RenderError;
use crate::schedule::{Filter, Occurrence};

/// What one publication would send: the text as composed (before any thread split), a link sent in its
/// own field, and the images with their alt text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Content {
    pub text: String,
    pub link: Option<String>,
    pub media: Vec<Image>,
}

/// An image a publication sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    /// The file as written in the campaign.
    pub file: String,
    pub alt: Option<String>,
    /// The SHA-256 of the file's bytes (lower-case hex), so that a picture replaced under the same name
    /// is a change; `None` when the file cannot be read (`check` reports that).
    pub sha256: Option<String>,
}

/// One post, to one channel, at one instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Publication {
    pub campaign: String,
    pub post: String,
    pub channel: String,
    pub platform: &'static str,
    pub at_utc: DateTime<Utc>,
    pub tz: chrono_tz::Tz,
    /// The day it belongs to: the day a `day` post is tied to, else its local date.
    pub day: NaiveDate,
    pub content: Content,
}

impl Publication {
    /// `2027-03-08 09:00 EST`, on the campaign's clock.
    pub fn local_time(&self) -> String {
        self.at_utc.with_timezone(&self.tz).format("%Y-%m-%d %H:%M %Z").to_string()
    }

    fn group(&self) -> (&str, &str, &str) {
        (&self.campaign, &self.post, &self.channel)
    }
}

/// Every publication of `project`'s campaigns over their whole span, in time order; or the render errors
/// that stop some of them (so the caller can show `check`'s located diagnostics instead of a wrong plan).
pub fn publications(project: &Project) -> Result<Vec<Publication>, Vec<RenderError>> {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    // Each file is hashed once, however many publications send it.
    let mut digests: BTreeMap<PathBuf, Option<String>> = BTreeMap::new();
    for occ in project.occurrences(&Filter::default()) {
        match crate::render::render(project, &occ) {
            Ok(rendered) => out.push(publication(project, &occ, rendered, &mut digests)),
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() { Ok(out) } else { Err(errors) }
}

fn publication(
    project: &Project,
    occ: &Occurrence,
    rendered: crate::render::Rendered,
    digests: &mut BTreeMap<PathBuf, Option<String>>,
) -> Publication {
    let campaign = &project.campaigns[occ.campaign];
    let post = &campaign.posts[occ.post];
    let channel = &project.config.channels[occ.channel];
    let day = match post.when {
        When::Day { .. } => occ.day_date.unwrap_or(occ.at_local.date()),
        _ => occ.at_local.date(),
    };
    Publication {
        campaign: campaign.id.clone(),
        post: post.id.clone(),
        channel: channel.name.clone(),
        platform: channel.platform.name(),
        at_utc: occ.at_utc,
        tz: campaign.tz,
        day,
        content: Content {
            text: rendered.text,
            link: rendered.link_field,
            media: rendered
                .media
                .into_iter()
                .map(|m| {
                    let sha256 = digests.entry(m.path.clone()).or_insert_with(|| sha256(&m.path)).clone();
                    Image { file: m.file, alt: m.alt, sha256 }
                })
                .collect(),
        },
    }
}

/// The SHA-256 of the file at `path`, in lower-case hex; `None` when it cannot be read.
fn sha256(path: &Path) -> Option<String> {
    use sha2::{Digest as _, Sha256};
    let mut file = std::fs::File::open(path).ok()?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut file, &mut hasher).ok()?;
    Some(hasher.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// What happened to one publication.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    Added,
    Removed,
    /// At another instant (its content may have changed too: see [`Change::edited`]).
    Moved,
    /// At the same instant, with another text, link or images.
    Changed,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Added => "added",
            Kind::Removed => "removed",
            Kind::Moved => "moved",
            Kind::Changed => "changed",
        }
    }
}

/// One publication's change: `old` is the ref's version, `new` the working tree's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub kind: Kind,
    pub old: Option<Publication>,
    pub new: Option<Publication>,
}

impl Change {
    /// The publication as it is now, or as it was for a removed one.
    pub fn current(&self) -> &Publication {
        self.new.as_ref().or(self.old.as_ref()).expect("a change has at least one side")
    }

    /// Whether what is published changed (text, link or images), for a pair.
    pub fn edited(&self) -> bool {
        matches!((&self.old, &self.new), (Some(o), Some(n)) if o.content != n.content)
    }

    /// The word diff of the text, when both sides exist and their texts differ.
    pub fn text_diff(&self) -> Option<Vec<words::Run>> {
        match (&self.old, &self.new) {
            (Some(o), Some(n)) if o.content.text != n.content.text => {
                Some(words::diff(&o.content.text, &n.content.text))
            }
            _ => None,
        }
    }
}

/// Every change, sorted by campaign, then time, post and channel; and the count of publications left
/// as they were.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Review {
    pub changes: Vec<Change>,
    pub unchanged: usize,
}

impl Review {
    pub fn count(&self, kind: Kind) -> usize {
        self.changes.iter().filter(|c| c.kind == kind).count()
    }

    /// The campaigns with changes, in order.
    pub fn campaigns(&self) -> Vec<&str> {
        let mut ids: Vec<&str> = self.changes.iter().map(|c| c.current().campaign.as_str()).collect();
        ids.dedup();
        ids
    }

    /// "3 added, 1 removed, 2 moved, 4 changed across 2 campaigns" (kinds with none left out), or "no
    /// changes".
    pub fn summary(&self) -> String {
        summary_of(&self.changes, true)
    }
}

/// The counts line of `changes`, with "across N campaigns" when `across`.
pub fn summary_of(changes: &[Change], across: bool) -> String {
    let counts: Vec<String> = [Kind::Added, Kind::Removed, Kind::Moved, Kind::Changed]
        .into_iter()
        .filter_map(|k| {
            let n = changes.iter().filter(|c| c.kind == k).count();
            (n > 0).then(|| format!("{n} {}", k.as_str()))
        })
        .collect();
    if counts.is_empty() {
        return "no changes".into();
    }
    let mut line = counts.join(", ");
    if across {
        let mut ids: Vec<&str> = changes.iter().map(|c| c.current().campaign.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        line.push_str(&format!(" across {}", crate::diagnostic::plural(ids.len(), "campaign")));
    }
    line
}

/// Compares the publications of the ref (`old`) with the working tree's (`new`).
pub fn compare(old: Vec<Publication>, new: Vec<Publication>) -> Review {
    type Key = (String, String, String);
    let mut groups: BTreeMap<Key, (Vec<Publication>, Vec<Publication>)> = BTreeMap::new();
    let key = |p: &Publication| {
        let (c, p, ch) = p.group();
        (c.to_string(), p.to_string(), ch.to_string())
    };
    for p in old {
        groups.entry(key(&p)).or_default().0.push(p);
    }
    for p in new {
        groups.entry(key(&p)).or_default().1.push(p);
    }
    let mut review = Review::default();
    for (_, (old, new)) in groups {
        pair_group(old, new, &mut review);
    }
    review.changes.sort_by(|a, b| {
        let (x, y) = (a.current(), b.current());
        (&x.campaign, x.at_utc, &x.post, &x.channel, a.kind).cmp(&(&y.campaign, y.at_utc, &y.post, &y.channel, b.kind))
    });
    review
}

/// Pairs one post's publications on one channel (see the module's doc) and records the changes.
fn pair_group(old: Vec<Publication>, new: Vec<Publication>, review: &mut Review) {
    let mut old: Vec<Option<Publication>> = old.into_iter().map(Some).collect();
    let mut new: Vec<Option<Publication>> = new.into_iter().map(Some).collect();
    let mut pairs: Vec<(Publication, Publication)> = Vec::new();
    let mut take_pairs = |old: &mut [Option<Publication>],
                          new: &mut [Option<Publication>],
                          same: &dyn Fn(&Publication, &Publication) -> bool| {
        for o in old.iter_mut() {
            let Some(op) = o.as_ref() else { continue };
            if let Some(n) = new.iter_mut().find(|n| n.as_ref().is_some_and(|np| same(op, np)))
                && let (Some(op), Some(np)) = (o.take(), n.take())
            {
                pairs.push((op, np));
            }
        }
    };
    take_pairs(&mut old, &mut new, &|o, n| o.at_utc == n.at_utc);
    take_pairs(&mut old, &mut new, &|o, n| o.day == n.day);
    let left_old: Vec<Publication> = old.into_iter().flatten().collect();
    let left_new: Vec<Publication> = new.into_iter().flatten().collect();
    if left_old.len() == left_new.len() {
        pairs.extend(left_old.into_iter().zip(left_new));
    } else {
        for p in left_old {
            review.changes.push(Change { kind: Kind::Removed, old: Some(p), new: None });
        }
        for p in left_new {
            review.changes.push(Change { kind: Kind::Added, old: None, new: Some(p) });
        }
    }
    for (o, n) in pairs {
        let kind = if o.at_utc != n.at_utc {
            Kind::Moved
        } else if o.content != n.content {
            Kind::Changed
        } else {
            review.unchanged += 1;
            continue;
        };
        review.changes.push(Change { kind, old: Some(o), new: Some(n) });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn publication(post: &str, at: &str, text: &str) -> Publication {
        let at_utc: DateTime<Utc> = at.parse().unwrap();
        Publication {
            campaign: "c".into(),
            post: post.into(),
            channel: "x".into(),
            platform: "twitter",
            at_utc,
            tz: chrono_tz::UTC,
            day: at_utc.date_naive(),
            content: Content { text: text.into(), link: None, media: vec![] },
        }
    }

    fn kinds(review: &Review) -> Vec<(Kind, &str)> {
        review.changes.iter().map(|c| (c.kind, c.current().post.as_str())).collect()
    }

    #[test]
    fn the_same_instant_pairs_first_then_the_same_day_then_in_order() {
        let old = vec![
            publication("same", "2027-03-01T09:00:00Z", "a"),
            publication("edited", "2027-03-02T09:00:00Z", "a"),
            publication("later", "2027-03-03T09:00:00Z", "a"),
            publication("redated", "2027-03-04T09:00:00Z", "a"),
            publication("gone", "2027-03-05T09:00:00Z", "a"),
        ];
        let new = vec![
            publication("same", "2027-03-01T09:00:00Z", "a"),
            publication("edited", "2027-03-02T09:00:00Z", "b"),
            publication("later", "2027-03-03T11:00:00Z", "a"),
            publication("redated", "2027-03-09T09:00:00Z", "a"),
            publication("fresh", "2027-03-10T09:00:00Z", "a"),
        ];
        let review = compare(old, new);
        assert_eq!(
            kinds(&review),
            vec![
                (Kind::Changed, "edited"),
                (Kind::Moved, "later"),
                (Kind::Removed, "gone"),
                (Kind::Moved, "redated"),
                (Kind::Added, "fresh"),
            ]
        );
        assert_eq!(review.unchanged, 1);
        assert_eq!(review.summary(), "1 added, 1 removed, 2 moved, 1 changed across 1 campaign");
    }

    #[test]
    fn a_post_with_more_occurrences_than_before_keeps_the_old_ones_and_adds_the_rest() {
        let old = vec![publication("weekly", "2027-03-01T09:00:00Z", "a")];
        let new = vec![
            publication("weekly", "2027-03-01T09:00:00Z", "a"),
            publication("weekly", "2027-03-08T09:00:00Z", "a"),
        ];
        let review = compare(old, new);
        assert_eq!(kinds(&review), vec![(Kind::Added, "weekly")]);
        assert_eq!(review.changes[0].new.as_ref().unwrap().at_utc.to_rfc3339(), "2027-03-08T09:00:00+00:00");
    }

    #[test]
    fn a_move_that_also_edits_the_text_is_a_move_with_a_diff() {
        let review = compare(
            vec![publication("p", "2027-03-01T09:00:00Z", "at 09:00")],
            vec![publication("p", "2027-03-01T10:00:00Z", "at 10:00")],
        );
        assert_eq!(kinds(&review), vec![(Kind::Moved, "p")]);
        assert!(review.changes[0].edited());
        assert!(review.changes[0].text_diff().is_some());
        assert_eq!(compare(vec![], vec![]).summary(), "no changes");
    }
}
