//! One publication's card: a label (channel, platform, handle, a link to the card itself), a mock-up
//! that looks like the platform's post, and the facts a reviewer checks (length against the limit,
//! images and alt text, the ledger's status and URL, DST, notes, warnings, an error).
//!
//! The mock-ups follow each platform's feed: X shows a thread as replies under one another, each part
//! with its own length, the images with the first part; Instagram a square image (a carousel's first,
//! with its count), the caption after the handle, and no clickable address; LinkedIn the text above
//! the images; Facebook the text and, for a link sent in its own field, a link card. The text in them
//! is the entry's, exactly as sent.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::PathBuf;

use chrono::NaiveDate;

use super::text::{anchor, attr, one_line, rich, text, web_link};
use crate::channels::Platform;
use crate::preview::{Entry, MediaInfo};

/// The icons the mock-ups use, defined once (`<use href="#i-like">`).
pub(super) const ICONS: &str = concat!(
    "<svg hidden aria-hidden=\"true\" xmlns=\"http://www.w3.org/2000/svg\">",
    "<symbol id=\"i-reply\" viewBox=\"0 0 24 24\"><path d=\"M4 5h16v11H10l-6 4z\"/></symbol>",
    "<symbol id=\"i-repost\" viewBox=\"0 0 24 24\"><path d=\"M7 17V8h11M15 5l3 3-3 3M17 7v9H6M9 19l-3-3 3-3\"/></symbol>",
    "<symbol id=\"i-like\" viewBox=\"0 0 24 24\"><path d=\"M12 20s-8-4.6-8-10.2A4.3 4.3 0 0 1 12 7a4.3 4.3 0 0 1 8 2.8C20 15.4 12 20 12 20z\"/></symbol>",
    "<symbol id=\"i-views\" viewBox=\"0 0 24 24\"><path d=\"M5 20v-8M10 20V5M15 20v-6M20 20V9\"/></symbol>",
    "<symbol id=\"i-comment\" viewBox=\"0 0 24 24\"><path d=\"M20.5 12a8.5 8.5 0 1 1-3.6-6.9A8.5 8.5 0 0 1 20.5 12zM20.5 12l.5 8-5-2.4\"/></symbol>",
    "<symbol id=\"i-send\" viewBox=\"0 0 24 24\"><path d=\"M21 3 10 14M21 3l-6.5 18-4.5-7-7-4.5z\"/></symbol>",
    "<symbol id=\"i-save\" viewBox=\"0 0 24 24\"><path d=\"M6 3h12v18l-6-5-6 5z\"/></symbol>",
    "<symbol id=\"i-thumb\" viewBox=\"0 0 24 24\"><path d=\"M7 10v10H3V10zM7 10l4-7c1.6 0 2.6 1.2 2.2 3L12.5 10H19a2 2 0 0 1 2 2.4l-1.4 6A2 2 0 0 1 17.6 20H7\"/></symbol>",
    "<symbol id=\"i-share\" viewBox=\"0 0 24 24\"><path d=\"M14 5l7 7-7 7M21 12H10a7 7 0 0 0-7 7\"/></symbol>",
    "<symbol id=\"i-globe\" viewBox=\"0 0 24 24\"><circle cx=\"12\" cy=\"12\" r=\"9\"/><path d=\"M3 12h18M12 3c3 3.5 3 14.5 0 18M12 3c-3 3.5-3 14.5 0 18\"/></symbol>",
    "</svg>\n"
);

fn icon(name: &str) -> String {
    format!("<svg class=\"ico\" aria-hidden=\"true\"><use href=\"#i-{name}\"/></svg>")
}

/// The platform's name as people know it ("X", "Instagram"…), or the entry's platform as written.
pub(super) fn platform_name(platform: &str) -> String {
    platform.parse::<Platform>().map_or_else(|_| text(platform), |p| p.rules().display.to_string())
}

/// One publication's card.
pub(super) fn card(out: &mut String, e: &Entry<'_>, colour: usize, images: &HashMap<PathBuf, usize>) {
    let key = attr(&super::key(e));
    let _ = write!(
        out,
        "<article class=\"pub c{colour}\" id=\"{key}\" data-key=\"{key}\" data-campaign=\"{}\" data-channel=\"{}\">\
         <div class=\"plabel\"><i class=\"dot\"></i><b>{}</b> {}\
         <a class=\"perma\" href=\"#{key}\" title=\"link to this publication\">#</a></div>",
        attr(e.campaign),
        attr(e.channel),
        one_line(e.channel),
        one_line(e.handle),
    );
    let post = Post { e, images };
    if e.parts.is_empty() {
        post.broken(out);
    } else {
        match e.platform.parse::<Platform>() {
            Ok(Platform::Twitter) => post.x(out),
            Ok(Platform::Instagram) => post.instagram(out),
            Ok(Platform::Linkedin) => post.linkedin(out),
            Ok(Platform::Facebook) | Err(_) => post.facebook(out),
        }
    }
    facts(out, e);
    out.push_str("</article>\n");
}

struct Post<'e, 'a> {
    e: &'e Entry<'a>,
    images: &'e HashMap<PathBuf, usize>,
}

impl Post<'_, '_> {
    fn date(&self) -> Option<NaiveDate> {
        NaiveDate::parse_from_str(self.e.at_local.get(..10)?, "%Y-%m-%d").ok()
    }

    fn name(&self) -> &str {
        self.e.handle.trim_start_matches('@')
    }

    /// The avatar: the account's initial on the channel's colour.
    fn avatar(&self) -> String {
        let initial = self.name().chars().find(|c| c.is_alphanumeric()).map(|c| c.to_uppercase().to_string());
        format!("<div class=\"av\">{}</div>", text(&initial.unwrap_or_default()))
    }

    fn body(&self, s: &str, links: bool) -> String {
        format!(
            "<div class=\"body\" lang=\"{}\" dir=\"{}\">{}</div>",
            attr(self.e.language),
            self.dir(),
            rich(s, links)
        )
    }

    fn dir(&self) -> &'static str {
        if self.e.direction == "rtl" { "rtl" } else { "ltr" }
    }

    /// Up to four images in a grid (a platform with more shows the first four in its feed too).
    fn grid(&self, out: &mut String) {
        let shown = &self.e.media[..self.e.media.len().min(4)];
        if shown.is_empty() {
            return;
        }
        let _ = write!(out, "<div class=\"grid g{}\">", shown.len());
        for m in shown {
            out.push_str(&image(m, self.images));
        }
        out.push_str("</div>");
    }

    fn x(&self, out: &mut String) {
        let e = self.e;
        let date = self.date().map(|d| d.format("%-d %b").to_string()).unwrap_or_default();
        let platform = e.platform.parse::<Platform>().ok();
        out.push_str("<div class=\"mock mx\">");
        for (i, part) in e.parts.iter().enumerate() {
            let more = if i + 1 < e.parts.len() { " more" } else { "" };
            let _ = write!(
                out,
                "<div class=\"tw{more}\">{}<div class=\"twb\"><div class=\"who\"><b>{}</b> <span class=\"mute\">{} · {}</span></div>{}",
                self.avatar(),
                one_line(self.name()),
                one_line(e.handle),
                date,
                self.body(part, true)
            );
            if i == 0 {
                self.grid(out);
            }
            if e.parts.len() > 1 {
                let length = platform.map_or(0, |p| p.measure(part));
                let over = if length > e.limit { " over" } else { "" };
                let _ = write!(
                    out,
                    "<div class=\"plen{over}\">part {} of {} · {length}/{}</div>",
                    i + 1,
                    e.parts.len(),
                    e.limit
                );
            }
            let _ = write!(
                out,
                "<div class=\"acts\"><span>{}</span><span>{}</span><span>{}</span><span>{}</span></div></div></div>",
                icon("reply"),
                icon("repost"),
                icon("like"),
                icon("views")
            );
        }
        out.push_str("</div>");
    }

    fn instagram(&self, out: &mut String) {
        let e = self.e;
        let _ = write!(
            out,
            "<div class=\"mock mi\"><div class=\"ighead\">{}<b>{}</b><span class=\"dots\">•••</span></div>",
            self.avatar(),
            one_line(self.name())
        );
        if let Some(first) = e.media.first() {
            out.push_str("<div class=\"carousel\">");
            out.push_str(&image(first, self.images));
            if e.media.len() > 1 {
                let _ = write!(out, "<span class=\"count\">1/{}</span>", e.media.len());
            }
            out.push_str("</div>");
        }
        if e.media.len() > 1 {
            out.push_str("<div class=\"pager\">");
            out.push_str(&"<i></i>".repeat(e.media.len()));
            out.push_str("</div>");
        }
        let _ = write!(
            out,
            "<div class=\"acts\"><span>{}</span><span>{}</span><span>{}</span><span class=\"save\">{}</span></div>",
            icon("like"),
            icon("comment"),
            icon("send"),
            icon("save")
        );
        let _ = write!(
            out,
            "<div class=\"cap\"><div class=\"body\" lang=\"{}\" dir=\"{}\"><b>{}</b> {}</div></div>",
            attr(e.language),
            self.dir(),
            one_line(self.name()),
            rich(&e.parts[0], false)
        );
        out.push_str(
            "<div class=\"bio\">Links in captions cannot be clicked: the caption points to the link in bio.</div>",
        );
        let date = self.date().map(|d| d.format("%-d %B").to_string()).unwrap_or_default();
        let _ = write!(out, "<div class=\"igdate\">{date}</div></div>");
    }

    fn linkedin(&self, out: &mut String) {
        let date = self.date().map(|d| d.format("%-d %b").to_string()).unwrap_or_default();
        let _ = write!(
            out,
            "<div class=\"mock ml\"><div class=\"lihead\">{}<div><b>{}</b><div class=\"sub\">{} · {date} · {}</div></div></div>{}",
            self.avatar(),
            one_line(self.name()),
            one_line(self.e.handle),
            icon("globe"),
            self.body(&self.e.parts[0], true)
        );
        self.grid(out);
        let _ = write!(
            out,
            "<div class=\"liacts\"><span>{}Like</span><span>{}Comment</span><span>{}Repost</span><span>{}Send</span></div></div>",
            icon("thumb"),
            icon("comment"),
            icon("repost"),
            icon("send")
        );
    }

    fn facebook(&self, out: &mut String) {
        let e = self.e;
        let when = self.date().map(|d| d.format("%-d %B").to_string()).unwrap_or_default();
        let _ = write!(
            out,
            "<div class=\"mock mf\"><div class=\"fbhead\">{}<div><b>{}</b><div class=\"sub\">{when} at {} · {}</div></div></div>{}",
            self.avatar(),
            one_line(self.name()),
            text(e.at_local.get(11..16).unwrap_or("")),
            icon("globe"),
            self.body(&e.parts[0], true)
        );
        self.grid(out);
        if let Some(link) = &e.link {
            let host = web_link(link)
                .and_then(|l| reqwest::Url::parse(&l).ok())
                .and_then(|u| u.host_str().map(str::to_string))
                .unwrap_or_default();
            let card = format!(
                "<div class=\"ph\">the page's own image</div><div class=\"cd\"><div class=\"dom\">{}</div><div class=\"ttl\">{}</div></div>",
                text(&host),
                one_line(link)
            );
            match web_link(link) {
                Some(href) => {
                    let _ = write!(
                        out,
                        "<a class=\"card\" href=\"{}\" rel=\"noopener noreferrer\" target=\"_blank\">{card}</a>",
                        attr(&href)
                    );
                }
                None => {
                    let _ = write!(out, "<div class=\"card\">{card}</div>");
                }
            }
        }
        let _ = write!(
            out,
            "<div class=\"fbacts\"><span>{}Like</span><span>{}Comment</span><span>{}Share</span></div></div>",
            icon("thumb"),
            icon("comment"),
            icon("share")
        );
    }

    /// A post that cannot be published: the composed text (when it got that far), no mock-up.
    fn broken(&self, out: &mut String) {
        out.push_str("<div class=\"broken\">");
        if !self.e.text.is_empty() {
            out.push_str(&self.body(&self.e.text, false));
        }
        out.push_str("</div>");
    }
}

/// An embedded image (`role="img"`, its alt text as label), or a placeholder naming the file.
fn image(m: &MediaInfo, images: &HashMap<PathBuf, usize>) -> String {
    let alt = attr(m.alt.as_deref().unwrap_or(""));
    match images.get(&m.path) {
        Some(n) => format!("<div class=\"img im{n}\" role=\"img\" aria-label=\"{alt}\" title=\"{alt}\"></div>"),
        None => format!(
            "<div class=\"img missing\" role=\"img\" aria-label=\"{alt}\">{} (not embedded)</div>",
            one_line(&m.file)
        ),
    }
}

/// What a reviewer checks besides the look: length, images and alt text, ledger, DST, notes,
/// warnings, error.
fn facts(out: &mut String, e: &Entry<'_>) {
    out.push_str("<div class=\"facts\">");
    if e.error.is_none() {
        let over = if e.length > e.limit { " over" } else { "" };
        let which = if e.parts.len() > 1 { format!(" (first of {} parts)", e.parts.len()) } else { String::new() };
        let _ = write!(
            out,
            "<div class=\"len{over}\"><span class=\"k\">Length</span><meter min=\"0\" max=\"{}\" value=\"{}\"></meter>\
             <span>{}/{}{which}</span></div>",
            e.limit,
            e.length.min(e.limit),
            e.length,
            e.limit
        );
    }
    for m in &e.media {
        match &m.alt {
            Some(alt) => {
                let _ = write!(out, "<div class=\"alt\"><span><b>ALT</b>{}</span></div>", one_line(alt));
            }
            None => {
                let _ = write!(
                    out,
                    "<div class=\"alt none\"><span><b>ALT</b>no alt text: {}</span></div>",
                    one_line(&m.file)
                );
            }
        }
    }
    if let Some(status) = e.status {
        let _ = write!(
            out,
            "<div><span class=\"k\">Ledger</span><span class=\"st {}\">{}</span>",
            attr(status),
            text(status)
        );
        if let Some(url) = &e.url {
            let _ = write!(out, " {}", anchor(url, &one_line(url)));
        }
        out.push_str("</div>");
    }
    if let Some(dst) = e.dst {
        let _ = write!(out, "<div class=\"dst\"><span class=\"k\">DST</span><span>{}</span></div>", text(dst));
    }
    for n in &e.notes {
        let _ = write!(out, "<div class=\"note\"><span class=\"k\">Note</span><span>{}</span></div>", text(n));
    }
    for w in &e.warnings {
        let _ = write!(out, "<div class=\"warn\">warning: {}</div>", text(w));
    }
    if let Some(err) = &e.error {
        let _ = write!(out, "<div class=\"err\">error: {}</div>", text(err));
    }
    out.push_str("</div>");
}
