//! `herald preview --format html`: the visual preview, one self-contained HTML page.
//!
//! Owns [`page`], a pure function from the preview's [`Entry`] values (the same entries, with the same
//! texts exactly as sent, that the text and JSON formats show, including the ledger's status and URL
//! when the project has a ledger) and the images they use ([`Images`], read by the caller) to the
//! page's text. The page has a month-by-month calendar of every publication (a colour per channel,
//! the international days named on their dates) and, for each publication, a mock-up that looks like
//! the platform's post ([`mockup`]), with its images and alt text, its length against the limit,
//! warnings, notes, DST notes and the ledger's status. Filters by campaign and by channel work in the
//! page without a server (`page.js`); the filter state lives in the address's fragment
//! (`#channel=x,linkedin&campaign=hs4a-2027`). Each publication's element carries its occurrence key
//! (`data-key="campaign/post/channel/2027-03-08T14:00:00Z"`, also its `id`, so `#KEY` links to it).
//!
//! Safety: every user or platform text goes through [`text`] (HTML-escaped; control and bidirectional
//! characters shown as `<U+XXXX>`; one-line fields isolated in `<bdi>`), only `http:`/`https:`
//! addresses become anchors, and the page carries a Content-Security-Policy that allows nothing but
//! its own inline style and script (by their SHA-256) and `data:` images: no network, no other
//! script, no inline event handler can run even if some text escaped escaping.
//!
//! Images are embedded once each, as `data:` URIs in the style sheet (one class per image, with its
//! shape from its header), and shown as CSS backgrounds with `role="img"` and the alt text as label:
//! the page stays one file however often an image is used.

mod calendar;
mod mockup;
pub mod text;

#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use chrono::NaiveDate;
use sha2::{Digest as _, Sha256};

use crate::preview::Entry;
use text::{attr, one_line};

/// The page's script, filters only (hashed into the Content-Security-Policy).
const SCRIPT: &str = include_str!("page.js");
/// The page's fixed style (the images' classes are appended per page).
const STYLE: &str = include_str!("page.css");
/// How many channel colours the style sheet defines (`.c0` … `.c9`); more channels reuse them.
const COLOURS: usize = 10;

/// An image to embed: its type, its bytes as base64, and its shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    pub mime: &'static str,
    pub base64: String,
    pub width: usize,
    pub height: usize,
}

impl Image {
    /// An image from its bytes; the shape is read from its header (`None` when the header does not
    /// give it: the page then shows the image without its shape).
    pub fn from_bytes(mime: &'static str, bytes: &[u8]) -> Self {
        let (width, height) = imagesize::blob_size(bytes).map_or((0, 0), |s| (s.width, s.height));
        Image { mime, base64: base64::engine::general_purpose::STANDARD.encode(bytes), width, height }
    }
}

/// The images the entries use, by their path on disk ([`crate::preview::MediaInfo::path`]). An image
/// missing here is shown as a placeholder with its file name and alt text.
pub type Images = HashMap<PathBuf, Image>;

/// What the page shows.
#[derive(Debug)]
pub struct Page<'a> {
    /// The window, in local dates: the calendar shows every month it touches.
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// The publications, in time order (as the preview lists them).
    pub entries: &'a [Entry<'a>],
    /// Every channel of the project: channels get their colours from this list (not from the
    /// entries), so a channel has the same colour on every page of the project.
    pub channels: &'a [ChannelInfo],
    /// Campaign names by id, for the filters (an id without a name is shown as itself).
    pub campaign_names: &'a BTreeMap<String, String>,
    pub images: &'a Images,
}

/// A channel of the project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelInfo {
    pub name: String,
    /// Its platform's name (`twitter`, `instagram`, `linkedin`, `facebook`).
    pub platform: &'static str,
}

/// The channels in the order the page shows them (by platform as the registry lists them, then as
/// given) and their colours: the first channel of each platform gets that platform's colour (X
/// black, Instagram magenta, LinkedIn blue, Facebook green), the others the next free one.
struct Channels {
    order: Vec<String>,
    colours: HashMap<String, usize>,
}

impl Channels {
    fn new(p: &Page<'_>) -> Self {
        let platform_index =
            |platform: &str| crate::channels::PLATFORMS.iter().position(|x| x.name() == platform).unwrap_or(usize::MAX);
        let mut all: Vec<(usize, usize, &str)> =
            p.channels.iter().enumerate().map(|(i, c)| (platform_index(c.platform), i, c.name.as_str())).collect();
        for e in p.entries {
            if !all.iter().any(|(_, _, name)| *name == e.channel) {
                all.push((platform_index(e.platform), all.len(), e.channel));
            }
        }
        all.sort_unstable();
        let mut colours = HashMap::new();
        let mut taken = [false; COLOURS];
        for &(platform, _, name) in &all {
            if platform < crate::channels::PLATFORMS.len() && !taken[platform] {
                taken[platform] = true;
                colours.insert(name.to_string(), platform);
            }
        }
        let mut next = crate::channels::PLATFORMS.len();
        for &(_, _, name) in &all {
            if !colours.contains_key(name) {
                let free = (0..COLOURS).map(|k| (next + k) % COLOURS).find(|&k| !taken[k]);
                let slot = free.unwrap_or(next % COLOURS);
                taken[slot] = true;
                next = slot + 1;
                colours.insert(name.to_string(), slot);
            }
        }
        Channels { order: all.into_iter().map(|(_, _, name)| name.to_string()).collect(), colours }
    }

    fn colour(&self, name: &str) -> usize {
        self.colours.get(name).copied().unwrap_or(0)
    }

    fn position(&self, name: &str) -> usize {
        self.order.iter().position(|c| c == name).unwrap_or(usize::MAX)
    }
}

/// The page's HTML.
pub fn page(p: &Page<'_>) -> String {
    let channels = Channels::new(p);
    let colour = |name: &str| channels.colour(name);
    let image_class = image_classes(p.entries, p.images);
    let style = format!("{STYLE}{}", image_style(&image_class, p.images));
    let mut out = String::with_capacity(64 * 1024 + style.len());
    let title = format!("herald preview, {} to {}", p.from, p.to);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{}\">\n\
         <meta name=\"referrer\" content=\"no-referrer\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title}</title>\n<style>{style}</style>\n</head>\n<body>\n",
        csp(&style, SCRIPT)
    );
    out.push_str(mockup::ICONS);
    header(&mut out, p);
    filters(&mut out, p, &channels.order, &colour);
    out.push_str("<main class=\"wrap\">\n");
    legend(&mut out, p, &channels.order, &colour);
    calendar::months(&mut out, p, &channels);
    timeline(&mut out, p, &channels, &image_class);
    out.push_str("</main>\n<footer class=\"end wrap\">Made by <code>herald preview --format html</code>. Nothing here was sent.</footer>\n");
    let _ = write!(out, "<script>{SCRIPT}</script>\n</body>\n</html>\n");
    out
}

/// The policy: nothing from anywhere, except this page's style and script (by hash) and embedded
/// images.
fn csp(style: &str, script: &str) -> String {
    let hash = |s: &str| base64::engine::general_purpose::STANDARD.encode(Sha256::digest(s.as_bytes()));
    format!(
        "default-src 'none'; img-src data:; style-src 'sha256-{}'; script-src 'sha256-{}'; base-uri 'none'; form-action 'none'",
        hash(style),
        hash(script)
    )
}

/// A class number for each distinct embedded image the entries use, in order of first use.
fn image_classes(entries: &[Entry<'_>], images: &Images) -> HashMap<PathBuf, usize> {
    let mut classes = HashMap::new();
    for m in entries.iter().flat_map(|e| &e.media) {
        if images.contains_key(&m.path) && !classes.contains_key(&m.path) {
            let n = classes.len();
            classes.insert(m.path.clone(), n);
        }
    }
    classes
}

fn image_style(classes: &HashMap<PathBuf, usize>, images: &Images) -> String {
    let mut by_class: Vec<(&usize, &Path)> = classes.iter().map(|(p, n)| (n, p.as_path())).collect();
    by_class.sort_unstable();
    let mut out = String::new();
    for (n, path) in by_class {
        let Some(img) = images.get(path) else { continue };
        // A mime type is one of herald's constants and base64 has no quote: the URL cannot end early.
        let _ = write!(out, "\n.im{n}{{background-image:url(\"data:{};base64,{}\")", img.mime, img.base64);
        if img.width > 0 && img.height > 0 {
            let _ = write!(out, ";aspect-ratio:{}/{}", img.width, img.height);
        }
        out.push('}');
    }
    out.push('\n');
    out
}

fn header(out: &mut String, p: &Page<'_>) {
    let warnings: usize = p.entries.iter().map(|e| e.warnings.len()).sum();
    let broken = p.entries.iter().filter(|e| e.error.is_some()).count();
    let _ = write!(
        out,
        "<header class=\"top\"><div class=\"wrap\"><h1>herald preview <span>{} to {}</span></h1>\
         <p class=\"counts\"><b>{}</b>",
        long_date(p.from),
        long_date(p.to),
        crate::diagnostic::plural(p.entries.len(), "publication"),
    );
    if warnings > 0 {
        let _ = write!(out, " · <span class=\"w\">{}</span>", crate::diagnostic::plural(warnings, "warning"));
    }
    if broken > 0 {
        let _ = write!(out, " · <span class=\"e\">{broken} cannot be published</span>");
    }
    out.push_str(" · what each platform will show, exactly as it will be sent</p></div></header>\n");
}

/// The filter bar (hidden until the script shows it: without the script every post is shown).
fn filters(out: &mut String, p: &Page<'_>, channels: &[String], colour: &dyn Fn(&str) -> usize) {
    let campaigns: BTreeSet<&str> = p.entries.iter().map(|e| e.campaign).collect();
    let used: BTreeSet<&str> = p.entries.iter().map(|e| e.channel).collect();
    out.push_str("<form id=\"filters\" hidden><div class=\"wrap\"><fieldset><legend>Campaigns</legend>");
    for c in &campaigns {
        let name = p.campaign_names.get(*c).map_or(*c, String::as_str);
        let _ = write!(
            out,
            "<label title=\"{}\"><input type=\"checkbox\" name=\"campaign\" value=\"{}\" checked>{}</label>",
            attr(c),
            attr(c),
            one_line(name)
        );
    }
    out.push_str("</fieldset><fieldset><legend>Channels</legend>");
    for c in channels.iter().filter(|c| used.contains(c.as_str())) {
        let _ = write!(
            out,
            "<label class=\"c{}\"><input type=\"checkbox\" name=\"channel\" value=\"{}\" checked><i class=\"dot\"></i>{}</label>",
            colour(c),
            attr(c),
            one_line(c)
        );
    }
    let _ = writeln!(
        out,
        "</fieldset><output id=\"shown\">{} shown</output></div></form>",
        crate::diagnostic::plural(p.entries.len(), "publication")
    );
}

/// The channels and their colours, with their platform and handle.
fn legend(out: &mut String, p: &Page<'_>, channels: &[String], colour: &dyn Fn(&str) -> usize) {
    out.push_str("<div class=\"legend\">");
    for c in channels {
        let Some(e) = p.entries.iter().find(|e| e.channel == c) else { continue };
        let _ = write!(
            out,
            "<span class=\"c{}\"><i class=\"dot\"></i><b>{}</b> {} {}</span>",
            colour(c),
            one_line(c),
            mockup::platform_name(e.platform),
            one_line(e.handle)
        );
    }
    out.push_str("</div>\n");
}

/// Every publication, by local date, then by post and instant: one card per channel, side by side.
fn timeline(out: &mut String, p: &Page<'_>, channels: &Channels, images: &HashMap<PathBuf, usize>) {
    let colour = |name: &str| channels.colour(name);
    let days = international_days(p.entries);
    if p.entries.is_empty() {
        let _ = writeln!(
            out,
            "<p class=\"none\">Nothing is scheduled from {} to {}.</p>",
            long_date(p.from),
            long_date(p.to)
        );
    }
    let mut i = 0;
    while i < p.entries.len() {
        let date = local_date(&p.entries[i]);
        let end = p.entries[i..].iter().position(|e| local_date(e) != date).map_or(p.entries.len(), |n| i + n);
        let _ = write!(out, "<section class=\"date\" id=\"d-{}\"><h2>{}", attr(date), heading_date(date));
        for name in days.get(date).into_iter().flatten() {
            let _ = write!(out, "<span class=\"iday\">{}</span>", one_line(name));
        }
        out.push_str("</h2>\n");
        let mut groups: Vec<Vec<&Entry<'_>>> = Vec::new();
        for e in &p.entries[i..end] {
            match groups
                .iter_mut()
                .find(|g| g[0].campaign == e.campaign && g[0].post == e.post && g[0].at_utc == e.at_utc)
            {
                Some(g) => g.push(e),
                None => groups.push(vec![e]),
            }
        }
        for mut group in groups {
            group.sort_by_key(|e| channels.position(e.channel));
            group_block(out, &group, &colour, images);
        }
        out.push_str("</section>\n");
        i = end;
    }
}

fn group_block(
    out: &mut String,
    group: &[&Entry<'_>],
    colour: &dyn Fn(&str) -> usize,
    images: &HashMap<PathBuf, usize>,
) {
    let first = group[0];
    let _ = write!(
        out,
        "<div class=\"group\"><div class=\"ghead\"><span class=\"t\">{}</span><span>{} · {} UTC</span>\
         <span class=\"id\">{}/{}</span>",
        &first.at_local[11..16],
        one_line(first.timezone),
        &first.at_utc[11..16],
        text::text(first.campaign),
        text::text(first.post),
    );
    if let Some(day) = &first.day {
        let _ = write!(out, "<span class=\"for\">for {} ({})</span>", one_line(day.name), text::text(&day.date));
    }
    out.push_str("</div><div class=\"cards\">\n");
    for e in group {
        mockup::card(out, e, colour(e.channel), images);
    }
    out.push_str("</div></div>\n");
}

/// The international days the entries are tied to, by their date.
fn international_days<'e>(entries: &'e [Entry<'_>]) -> BTreeMap<&'e str, BTreeSet<&'e str>> {
    let mut days: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for d in entries.iter().filter_map(|e| e.day.as_ref()) {
        days.entry(d.date.as_str()).or_default().insert(d.name);
    }
    days
}

/// The publication's occurrence key, as the ledger, `herald status` and `herald resolve` write it:
/// `campaign/post/channel/2027-03-08T14:00:00Z`.
pub fn key(e: &Entry<'_>) -> String {
    format!("{}/{}/{}/{}", e.campaign, e.post, e.channel, e.at_utc)
}

/// An entry's local date, `YYYY-MM-DD`.
fn local_date<'e>(e: &'e Entry<'_>) -> &'e str {
    e.at_local.get(..10).unwrap_or("")
}

/// "Monday 8 March 2027".
fn heading_date(date: &str) -> String {
    NaiveDate::parse_from_str(date, "%Y-%m-%d")
        .map_or_else(|_| date.to_string(), |d| d.format("%A %-d %B %Y").to_string())
}

/// "1 March 2027".
fn long_date(d: NaiveDate) -> String {
    d.format("%-d %B %Y").to_string()
}
