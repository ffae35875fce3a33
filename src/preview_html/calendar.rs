//! The page's calendar: one month grid (Monday first) for every month the window touches, each day
//! with the international days that fall on it and a chip per publication (its local time and
//! channel, in the channel's colour) that links to the publication's mock-up. Days outside the window
//! are shaded.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use chrono::{Datelike as _, Days, Months, NaiveDate};

use super::text::{attr, one_line};
use super::{Page, international_days, local_date};
use crate::preview::Entry;

/// Every month from `p.from`'s to `p.to`'s.
pub(super) fn months(out: &mut String, p: &Page<'_>, colour: &dyn Fn(&str) -> usize) {
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
            cell(out, p, day, day.month() == month.month(), &by_date, &days, colour);
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

fn cell(
    out: &mut String,
    p: &Page<'_>,
    day: NaiveDate,
    in_month: bool,
    by_date: &BTreeMap<&str, Vec<&Entry<'_>>>,
    days: &BTreeMap<&str, std::collections::BTreeSet<&str>>,
    colour: &dyn Fn(&str) -> usize,
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
    if !posts.is_empty() {
        out.push_str("<div class=\"chips\">");
        for e in posts {
            let key = super::key(e);
            let state = if e.error.is_some() {
                " bad"
            } else if e.warnings.is_empty() {
                ""
            } else {
                " warn"
            };
            let _ = write!(
                out,
                "<a class=\"chip c{}{state}\" href=\"#{}\" data-campaign=\"{}\" data-channel=\"{}\" title=\"{}\">\
                 <i class=\"dot\"></i>{} {}</a>",
                colour(e.channel),
                attr(&key),
                attr(e.campaign),
                attr(e.channel),
                attr(&format!(
                    "{}/{} on {} at {}",
                    e.campaign,
                    e.post,
                    e.channel,
                    e.at_local.get(11..16).unwrap_or("")
                )),
                e.at_local.get(11..16).unwrap_or(""),
                one_line(e.channel)
            );
        }
        out.push_str("</div>");
    }
    out.push_str("</td>");
}
