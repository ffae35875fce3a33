//! When posts go out: expanding each post's rule into dated occurrences.
//!
//! Owns [`Occurrence`] (one post, to one channel, at one instant) and the expansion of `day`, `date` and
//! `cron` rules inside a campaign's window, with the DST policy of [`crate::config::time::localize`]. The
//! result is sorted by time and is the single source for `check`, `preview` and (later) the daemon.

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, NaiveTime, TimeZone as _, Utc};

use crate::config::time::{Localized, localize};
use crate::config::{Campaign, Post, Project, When};

/// One post going to one channel at one instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Occurrence {
    /// Index into [`Project::campaigns`].
    pub campaign: usize,
    /// Index into the campaign's posts.
    pub post: usize,
    /// Index into the post's targets.
    pub target: usize,
    /// Index into the config's channels (the target's channel).
    pub channel: usize,
    pub at_utc: DateTime<Utc>,
    /// Wall-clock time in the campaign's time zone, as scheduled (before any DST shift).
    pub at_local: NaiveDateTime,
    pub localized: Localized,
    /// The calendar day the post is tied to, for `day` posts.
    pub day_date: Option<NaiveDate>,
}

/// Which occurrences to list: local dates from `from` to `to` inclusive, optionally only some campaigns
/// and channels.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub campaigns: Vec<String>,
    pub channels: Vec<String>,
    /// Include campaigns whose files have errors (only `check` does, to report every problem at once).
    pub include_broken: bool,
}

impl Project {
    /// Every occurrence that matches `filter`, sorted by time, then campaign, post and channel.
    pub fn occurrences(&self, filter: &Filter) -> Vec<Occurrence> {
        let mut out = Vec::new();
        for (ci, campaign) in self.campaigns.iter().enumerate() {
            if (campaign.broken && !filter.include_broken)
                || (!filter.campaigns.is_empty() && !filter.campaigns.contains(&campaign.id))
            {
                continue;
            }
            let from = filter.from.map_or(campaign.starts, |f| f.max(campaign.starts));
            let to = filter.to.map_or(campaign.ends, |t| t.min(campaign.ends));
            if from > to {
                continue;
            }
            for (pi, post) in campaign.posts.iter().enumerate() {
                for (ti, target) in post.targets.iter().enumerate() {
                    let channel = &self.config.channels[target.channel];
                    if !filter.channels.is_empty() && !filter.channels.contains(&channel.name) {
                        continue;
                    }
                    for (local, day_date) in self.local_times(post, ti, from, to, campaign) {
                        let (at_utc, localized) = localize(campaign.tz, local);
                        out.push(Occurrence {
                            campaign: ci,
                            post: pi,
                            target: ti,
                            channel: target.channel,
                            at_utc,
                            at_local: local,
                            localized,
                            day_date,
                        });
                    }
                }
            }
        }
        // Channels sort by name; rank them once instead of comparing names in the sort.
        let mut by_name: Vec<usize> = (0..self.config.channels.len()).collect();
        by_name.sort_by(|&a, &b| self.config.channels[a].name.cmp(&self.config.channels[b].name));
        let mut rank = vec![0; by_name.len()];
        for (r, &i) in by_name.iter().enumerate() {
            rank[i] = r;
        }
        out.sort_unstable_by_key(|o| (o.at_utc.timestamp(), o.campaign, o.post, rank[o.channel]));
        out
    }

    /// Local times of one post's target whose local date is within `from..=to`.
    fn local_times(
        &self,
        post: &Post,
        target: usize,
        from: NaiveDate,
        to: NaiveDate,
        campaign: &Campaign,
    ) -> Vec<(NaiveDateTime, Option<NaiveDate>)> {
        let t = &post.targets[target];
        let in_window = |dt: &NaiveDateTime| (from..=to).contains(&dt.date());
        match &post.when {
            When::Date(date) => {
                let local = date.and_time(t.time) + t.offset;
                if in_window(&local) { vec![(local, None)] } else { vec![] }
            }
            When::Day { id } => {
                let Some(day) = self.calendar.get(id) else { return vec![] };
                // The day as it falls in the campaign, moved by the offset (possibly into the window from
                // the year before or after); a day outside the campaign is not the campaign's, however
                // far its offset moves it (`check` says when the offset moves a day out).
                (from.year() - 1..=to.year() + 1)
                    .filter_map(|year| day.date_in(year))
                    .filter(|date| (campaign.starts..=campaign.ends).contains(date))
                    .map(|date| (date.and_time(t.time) + t.offset, Some(date)))
                    .filter(|(local, _)| in_window(local))
                    .collect()
            }
            When::Cron(rule) => {
                // The rule is matched against wall-clock times: iterating it in UTC (which has no DST)
                // yields each local time exactly once, including those a DST gap skips, which
                // `localize` then moves forward like any other post.
                let start = Utc.from_utc_datetime(&from.and_time(NaiveTime::MIN)) - chrono::Duration::seconds(1);
                rule.schedule
                    .after(&start)
                    .map(|dt| dt.naive_utc())
                    .take_while(|local| local.date() <= to)
                    .filter(|local| in_window(local))
                    .map(|local| (local, None))
                    .collect()
            }
        }
    }
}
