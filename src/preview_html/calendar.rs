//! The page's calendar: one month grid (Monday first) for every month the window touches, each day
//! with the international days its posts are tied to and a line per post and instant: its local time, a
//! pin per channel in the channel's colour that links to that publication's mock-up, and the post's
//! id. Days outside the window are shaded.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use chrono::{Datelike as _, Days, Months, NaiveDate};

use super::text::{attr, one_line, text};
use super::{Channels, Page, international_days, local_date};
use crate::preview::Entry;

/// Every month from `p.from`'s to `p.to`'s.
pub(super) fn months(out: &mut String, p: &Page<'_>, channels: &Channels) {
    let mut by_date: BTreeMap<&str, Vec<&Entry<'_>>> = BTreeMap::new();
    for e in p.entries {
        by_date.entry(local_date(e)).or_default().push(e);
    }
    let days = international_days(p.entries);
    let Some(mut month) = p.from.with_day(1) else { return };
    while month <= p.to {
        let _ = write!(
            out,
            "<section class=\"month\"><h2>{}</h2><table class=\"cal\"><thead><tr>\
             <th>Mon</th><th>Tue</th><th>Wed</th><th>Thu</th><th>Fri</th><th>Sat</th><th>Sun</th></tr></thead><tbody>",
            month.format("%B %Y")
        );
        // From the Monday on or before the 1st to the Sunday on or after the month's last day.
        let next = month.checked_add_months(Months::new(1)).unwrap_or(month);
        let first = month - Days::new(u64::from(month.weekday().num_days_from_monday()));
        let last_of_month = next.pred_opt().unwrap_or(month);
        let last = last_of_month + Days::new(u64::from(6 - last_of_month.weekday().num_days_from_monday()));
        let mut day = first;
        while day <= last {
            if day.weekday().num_days_from_monday() == 0 {
                out.push_str("<tr>");
            }
            cell(out, p, day, day.month() == month.month(), &by_date, &days, channels);
            if day.weekday().num_days_from_monday() == 6 {
                out.push_str("</tr>");
            }
            day = day.succ_opt().unwrap_or(last + Days::new(1));
        }
        out.push_str("</tbody></table></section>\n");
        if next == month {
            break;
        }
        month = next;
    }
}

/// What a pin's mark means, for its title.
fn state_words(state: &str) -> &'static str {
    if state == " bad" { " (cannot be published)" } else { " (with a warning)" }
}

fn cell(
    out: &mut String,
    p: &Page<'_>,
    day: NaiveDate,
    in_month: bool,
    by_date: &BTreeMap<&str, Vec<&Entry<'_>>>,
    days: &BTreeMap<&str, std::collections::BTreeSet<&str>>,
    channels: &Channels,
) {
    if !in_month {
        out.push_str("<td class=\"out\"></td>");
        return;
    }
    let date = day.to_string();
    let in_window = (p.from..=p.to).contains(&day);
    let weekend = day.weekday().num_days_from_monday() >= 5;
    let class = match (in_window, weekend) {
        (false, _) => " class=\"out\"",
        (true, true) => " class=\"we\"",
        (true, false) => "",
    };
    let posts = by_date.get(date.as_str()).map_or(&[][..], Vec::as_slice);
    if posts.is_empty() {
        let _ = write!(out, "<td{class}><span class=\"num\">{}</span>", day.day());
    } else {
        let _ = write!(out, "<td{class}><a class=\"num\" href=\"#d-{date}\">{}</a>", day.day());
    }
    for name in days.get(date.as_str()).into_iter().flatten() {
        let _ = write!(out, "<div class=\"iday\">{}</div>", one_line(name));
    }
    // One line per post and instant: its time, its id, and a pin per channel in the channel's colour
    // (the pins are what the filters hide; a line with no pin left is hidden with them).
    let mut slots: Vec<Vec<&Entry<'_>>> = Vec::new();
    for e in posts {
        match slots.iter_mut().find(|s| s[0].campaign == e.campaign && s[0].post == e.post && s[0].at_utc == e.at_utc) {
            Some(s) => s.push(e),
            None => slots.push(vec![e]),
        }
    }
    for mut slot in slots {
        slot.sort_by_key(|e| channels.position(e.channel));
        let _ = write!(
            out,
            "<div class=\"slot\"><span class=\"tm\">{}</span><span class=\"pins\">",
            text(slot[0].at_local.get(11..16).unwrap_or(""))
        );
        for e in &slot {
            let state = if e.error.is_some() {
                " bad"
            } else if e.warnings.is_empty() {
                ""
            } else {
                " warn"
            };
            let label =
                attr(&format!("{} on {}{}", e.post, e.channel, if state.is_empty() { "" } else { state_words(state) }));
            let _ = write!(
                out,
                "<a class=\"pin c{}{state}\" href=\"#{}\" data-campaign=\"{}\" data-channel=\"{}\" title=\"{label}\" \
                 aria-label=\"{label}\"></a>",
                channels.colour(e.channel),
                attr(&super::key(e)),
                attr(e.campaign),
                attr(e.channel),
            );
        }
        let _ = write!(
            out,
            "</span><span class=\"pid\" title=\"{}\">{}</span></div>",
            attr(&format!("{}/{}", slot[0].campaign, slot[0].post)),
            text(slot[0].post)
        );
    }
    out.push_str("</td>");
}
