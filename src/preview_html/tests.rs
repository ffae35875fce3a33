//! The page, from entries written by hand: structure, platform mock-ups, escaping, the policy's
//! hashes, the calendar and the embedded images.

use std::collections::BTreeMap;
use std::path::PathBuf;

use base64::Engine as _;
use chrono::NaiveDate;
use sha2::{Digest as _, Sha256};

use super::*;
use crate::preview::{DayInfo, MediaInfo};

fn entry<'a>(channel: &'a str, platform: &'static str, at: &str, parts: &[&str]) -> Entry<'a> {
    let text = parts.join("\n");
    Entry {
        campaign: "hs4a",
        post: "iwd",
        channel,
        platform,
        handle: "@humansecurityFA",
        at_utc: format!("{at}:00Z"),
        at_local: format!("{}T{}:00-05:00", &at[..10], "09:00"),
        timezone: "America/New_York",
        dst: None,
        day: None,
        length: text.chars().count(),
        limit: 280,
        text,
        parts: parts.iter().map(ToString::to_string).collect(),
        link: None,
        media: Vec::new(),
        language: "en",
        direction: "ltr",
        warnings: Vec::new(),
        notes: Vec::new(),
        error: None,
        status: None,
        url: None,
    }
}

fn media(file: &str, alt: Option<&str>) -> MediaInfo {
    MediaInfo {
        file: file.to_string(),
        alt: alt.map(ToString::to_string),
        mime: "image/jpeg",
        path: PathBuf::from("/project/campaigns").join(file),
    }
}

fn channels() -> Vec<ChannelInfo> {
    [("facebook", "facebook"), ("instagram", "instagram"), ("linkedin", "linkedin"), ("x", "twitter")]
        .into_iter()
        .map(|(name, platform)| ChannelInfo { name: name.to_string(), platform })
        .collect()
}

fn render(entries: &[Entry<'_>], images: &Images) -> String {
    let names = BTreeMap::from([("hs4a".to_string(), "Human Security for All".to_string())]);
    let channels = channels();
    page(&Page {
        from: NaiveDate::from_ymd_opt(2027, 3, 1).unwrap(),
        to: NaiveDate::from_ymd_opt(2027, 3, 31).unwrap(),
        entries,
        channels: &channels,
        campaign_names: &names,
        images,
    })
}

/// The text between `start` and the next `end` after it.
fn between<'h>(html: &'h str, start: &str, end: &str) -> &'h str {
    let from = html.find(start).unwrap_or_else(|| panic!("no {start}")) + start.len();
    let len = html[from..].find(end).unwrap_or_else(|| panic!("no {end} after {start}"));
    &html[from..from + len]
}

#[test]
fn each_publication_is_one_element_with_its_key_and_its_platforms_look() {
    let mut fb = entry("facebook", "facebook", "2027-03-08T14:00", &["Today is International Women's Day."]);
    fb.link = Some("https://www.humansecurity.world/?utm_source=facebook".into());
    let mut ig = entry("instagram", "instagram", "2027-03-08T14:00", &["Read more: https://a.org (link in bio)"]);
    ig.media = vec![media("media/iwd.jpg", Some("Purple card")), media("media/iwd-2.jpg", None)];
    let entries = [
        fb,
        ig,
        entry("linkedin", "linkedin", "2027-03-08T14:00", &["On LinkedIn #HS4A"]),
        entry("x", "twitter", "2027-03-08T14:00", &["1/2 The first part.", "2/2 The second part @UN"]),
    ];
    let html = render(&entries, &Images::new());
    for (channel, mock) in [("facebook", "mf"), ("instagram", "mi"), ("linkedin", "ml"), ("x", "mx")] {
        let key = format!("hs4a/iwd/{channel}/2027-03-08T14:00:00Z");
        assert_eq!(html.matches(&format!("data-key=\"{key}\"")).count(), 1, "{key}");
        let card = between(&html, &format!("data-key=\"{key}\""), "</article>");
        assert!(card.contains(&format!("<div class=\"mock {mock}\">")), "{channel}: {card}");
        // The calendar's pin links to it.
        assert!(html.contains(&format!("href=\"#{key}\" data-campaign=\"hs4a\" data-channel=\"{channel}\"")));
    }
    assert_eq!(html.matches("<article ").count(), 4);
    // X: a thread's parts one under the other, each measured.
    let x = between(&html, "data-key=\"hs4a/iwd/x/", "</article>");
    assert!(x.contains("part 1 of 2 · 19/280"), "{x}");
    assert!(x.contains("part 2 of 2 · 23/280"), "{x}");
    assert!(x.contains("<span class=\"at\">@UN</span>"), "{x}");
    // Instagram: the first image square with the carousel's count, no clickable address, the bio note.
    let ig = between(&html, "data-key=\"hs4a/iwd/instagram/", "</article>");
    assert!(ig.contains("<span class=\"count\">1/2</span>"), "{ig}");
    assert!(ig.contains("Read more: https://a.org (link in bio)"), "{ig}");
    assert!(!ig.contains("href=\"https://a.org"), "{ig}");
    assert!(ig.contains("the caption points to the link in bio"), "{ig}");
    assert!(ig.contains("<b>ALT</b><bdi>Purple card</bdi>"), "{ig}");
    assert!(ig.contains("<b>ALT</b>no alt text: <bdi>media/iwd-2.jpg</bdi>"), "{ig}");
    // Facebook: the link sent in its own field is a link card.
    let fb = between(&html, "data-key=\"hs4a/iwd/facebook/", "</article>");
    assert!(
        fb.contains(
            "<a class=\"card\" href=\"https://www.humansecurity.world/?utm_source=facebook\" rel=\"noopener noreferrer\" \
             target=\"_blank\"><div class=\"ph\">the page's own image</div><div class=\"cd\"><div class=\"dom\">\
             www.humansecurity.world</div>"
        ),
        "{fb}"
    );
    // The four cards of one post at one instant are one group, in platform order.
    let group = between(&html, "<div class=\"group\">", "</div></div>\n</section>");
    let order: Vec<usize> =
        ["data-channel=\"x\"", "data-channel=\"instagram\"", "data-channel=\"linkedin\"", "data-channel=\"facebook\""]
            .iter()
            .map(|c| group.find(c).unwrap())
            .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}");
}

#[test]
fn a_simple_x_card_is_exactly_this() {
    let mut e = entry("x", "twitter", "2027-03-22T13:00", &["Water is life. https://un.org #HS4A"]);
    e.status = Some("sent");
    e.url = Some("https://x.com/humansecurityFA/status/1".into());
    e.dst = Some("moved forward past the DST gap");
    e.notes = vec!["a note".into()];
    e.warnings = vec!["a warning".into()];
    let html = render(std::slice::from_ref(&e), &Images::new());
    let card = between(&html, "<article ", "</article>");
    assert_eq!(
        card,
        "class=\"pub c0\" id=\"hs4a/iwd/x/2027-03-22T13:00:00Z\" data-key=\"hs4a/iwd/x/2027-03-22T13:00:00Z\" \
         data-campaign=\"hs4a\" data-channel=\"x\"><div class=\"plabel\"><i class=\"dot\"></i><b><bdi>x</bdi></b> \
         <bdi>@humansecurityFA</bdi><a class=\"perma\" href=\"#hs4a/iwd/x/2027-03-22T13:00:00Z\" \
         title=\"link to this publication\">#</a></div><div class=\"mock mx\"><div class=\"tw\"><div class=\"av\">H</div>\
         <div class=\"twb\"><div class=\"who\"><b><bdi>humansecurityFA</bdi></b> <span class=\"mute\">\
         <bdi>@humansecurityFA</bdi> · 22 Mar</span></div><div class=\"body\" lang=\"en\" dir=\"ltr\">Water is life. \
         <a href=\"https://un.org/\" rel=\"noopener noreferrer\" target=\"_blank\">https://un.org</a> \
         <span class=\"tag\">#HS4A</span></div><div class=\"acts\"><span><svg class=\"ico\" aria-hidden=\"true\">\
         <use href=\"#i-reply\"/></svg></span><span><svg class=\"ico\" aria-hidden=\"true\"><use href=\"#i-repost\"/>\
         </svg></span><span><svg class=\"ico\" aria-hidden=\"true\"><use href=\"#i-like\"/></svg></span><span>\
         <svg class=\"ico\" aria-hidden=\"true\"><use href=\"#i-views\"/></svg></span></div></div></div></div>\
         <div class=\"facts\"><div class=\"len\"><span class=\"k\">Length</span><meter min=\"0\" max=\"280\" value=\"35\">\
         </meter><span>35/280</span></div><div><span class=\"k\">Ledger</span><span class=\"st sent\">sent</span> \
         <a href=\"https://x.com/humansecurityFA/status/1\" rel=\"noopener noreferrer\" target=\"_blank\">\
         <bdi>https://x.com/humansecurityFA/status/1</bdi></a></div><div class=\"dst\"><span class=\"k\">DST</span>\
         <span>moved forward past the DST gap</span></div><div class=\"note\"><span class=\"k\">Note</span>\
         <span>a note</span></div><div class=\"warn\">warning: a warning</div></div>"
    );
}

#[test]
fn hostile_text_is_shown_as_text_and_never_acted_on() {
    let hostile = "<script>alert(1)</script><img src=x onerror=alert(2)> javascript:alert(3) \u{202e}evil \"'&";
    let mut e = entry("x", "twitter", "2027-03-08T14:00", &[hostile]);
    e.day = Some(DayInfo { id: "d", name: "<script>alert(4)</script>\u{202e}", date: "2027-03-08".into() });
    e.media = vec![media("media/a.jpg", Some("\"><script>alert(5)</script>\u{202e}"))];
    e.status = Some("sent");
    e.url = Some("javascript:alert(6)".into());
    e.warnings = vec!["<script>alert(7)</script>".into()];
    e.error = None;
    let mut fb = entry("facebook", "facebook", "2027-03-08T14:00", &[hostile]);
    fb.link = Some("javascript:alert(8)".into());
    let mut broken = entry("linkedin", "linkedin", "2027-03-08T14:00", &[]);
    broken.text = hostile.into();
    broken.error = Some("<script>alert(9)</script>".into());
    let mut images = Images::new();
    images.insert(PathBuf::from("/project/campaigns/media/a.jpg"), Image::from_bytes("image/jpeg", b"not an image"));
    let html = render(&[e, fb, broken], &images);
    assert_eq!(html.matches("<script").count(), 1, "only the page's own script");
    for n in 1..=9 {
        assert!(!html.contains(&format!("<script>alert({n})")), "alert({n}) as markup");
    }
    assert!(!html.contains("<img"), "no element from a text");
    assert!(!html.contains("href=\"javascript"), "no javascript: link");
    assert!(!html.contains("\"><script"), "no attribute closed by a text");
    assert!(!html.contains('\u{202e}'), "the override is shown, not applied");
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt; javascript:alert(3) ")
    );
    assert!(html.contains("<span class=\"ctl\">&lt;U+202E&gt;</span>evil &quot;&#39;&amp;"));
    assert!(html.contains("aria-label=\"&quot;&gt;&lt;script&gt;alert(5)&lt;/script&gt;&lt;U+202E&gt;\""));
    assert!(html.contains("<div class=\"err\">error: &lt;script&gt;alert(9)&lt;/script&gt;</div>"));
    assert!(html.contains("<div class=\"card\"><div class=\"ph\">"), "a link card without a link");
}

#[test]
fn the_policy_allows_exactly_the_inline_style_and_script() {
    let html = render(&[entry("x", "twitter", "2027-03-08T14:00", &["hi"])], &Images::new());
    let policy = between(&html, "<meta http-equiv=\"Content-Security-Policy\" content=\"", "\"");
    let hash = |s: &str| base64::engine::general_purpose::STANDARD.encode(Sha256::digest(s.as_bytes()));
    let style = between(&html, "<style>", "</style>");
    let script = between(&html, "<script>", "</script>");
    assert_eq!(
        policy,
        format!(
            "default-src 'none'; img-src data:; style-src 'sha256-{}'; script-src 'sha256-{}'; base-uri 'none'; \
             form-action 'none'",
            hash(style),
            hash(script)
        )
    );
    assert!(!html.contains("style=\""), "inline style attributes would need 'unsafe-inline'");
    // The policy comes before anything it governs.
    assert!(html.find("Content-Security-Policy").unwrap() < html.find("<style>").unwrap());
}

#[test]
fn the_calendar_has_every_month_of_the_window_and_names_the_days() {
    let mut e = entry("x", "twitter", "2027-03-08T14:00", &["IWD"]);
    e.day =
        Some(DayInfo { id: "international-womens-day", name: "International Women's Day", date: "2027-03-08".into() });
    let mut early = entry("linkedin", "linkedin", "2027-03-06T14:00", &["In two days"]);
    early.day = e.day.as_ref().map(|d| DayInfo { id: d.id, name: d.name, date: d.date.clone() });
    early.warnings = vec!["check this".into()];
    let channels = channels();
    let names = BTreeMap::new();
    let entries = [early, e];
    let html = page(&Page {
        from: NaiveDate::from_ymd_opt(2027, 2, 20).unwrap(),
        to: NaiveDate::from_ymd_opt(2027, 4, 2).unwrap(),
        entries: &entries,
        channels: &channels,
        campaign_names: &names,
        images: &Images::new(),
    });
    assert_eq!(html.matches("<section class=\"month\">").count(), 3);
    assert!(html.contains("<h2>February 2027</h2>") && html.contains("<h2>April 2027</h2>"));
    // 8 March: the day named once on its date, and its chip.
    let cell = between(&html, "<a class=\"num\" href=\"#d-2027-03-08\">8</a>", "</td>");
    assert_eq!(
        cell,
        "<div class=\"iday\"><bdi>International Women&#39;s Day</bdi></div><div class=\"slot\"><span class=\"tm\">\
         09:00</span><span class=\"pins\"><a class=\"pin c0\" href=\"#hs4a/iwd/x/2027-03-08T14:00:00Z\" \
         data-campaign=\"hs4a\" data-channel=\"x\" title=\"iwd on x\" aria-label=\"iwd on x\"></a></span><span class=\"pid\" \
         title=\"hs4a/iwd\">iwd</span></div>"
    );
    // A pin with a warning is marked; days outside the window are shaded.
    assert!(html.contains(
        "<a class=\"pin c2 warn\" href=\"#hs4a/iwd/linkedin/2027-03-06T14:00:00Z\" data-campaign=\"hs4a\" \
         data-channel=\"linkedin\" title=\"iwd on linkedin (with a warning)\" aria-label=\"iwd on linkedin (with a \
         warning)\"></a>"
    ));
    assert!(html.contains("<td class=\"out\"><span class=\"num\">19</span>"), "19 February is before the window");
    assert!(html.contains("<td class=\"we\"><span class=\"num\">20</span>"), "20 February is a Saturday in it");
}

#[test]
fn each_image_is_embedded_once_with_its_shape() {
    let mut a = entry("x", "twitter", "2027-03-08T14:00", &["one"]);
    a.media = vec![media("media/iwd.jpg", Some("Purple card"))];
    let mut b = entry("linkedin", "linkedin", "2027-03-08T14:00", &["two"]);
    b.media = vec![media("media/iwd.jpg", Some("Purple card")), media("media/gone.jpg", Some("Gone"))];
    let mut images = Images::new();
    let png = crate::channels::media::SMALLEST_PNG;
    images.insert(PathBuf::from("/project/campaigns/media/iwd.jpg"), Image::from_bytes("image/png", png));
    let html = render(&[a, b], &images);
    let data = base64::engine::general_purpose::STANDARD.encode(png);
    assert_eq!(html.matches(&data).count(), 1, "embedded once");
    assert!(html.contains(&format!(".im0{{background-image:url(\"data:image/png;base64,{data}\");aspect-ratio:1/1}}")));
    assert_eq!(html.matches("<div class=\"img im0\" role=\"img\" aria-label=\"Purple card\"").count(), 2);
    assert!(html.contains(
        "<div class=\"img missing\" role=\"img\" aria-label=\"Gone\"><bdi>media/gone.jpg</bdi> (not embedded)</div>"
    ));
}

#[test]
fn channels_keep_their_platforms_colour_and_extra_channels_get_others() {
    let all = vec![
        ChannelInfo { name: "x-fr".into(), platform: "twitter" },
        ChannelInfo { name: "facebook".into(), platform: "facebook" },
        ChannelInfo { name: "x".into(), platform: "twitter" },
        ChannelInfo { name: "instagram".into(), platform: "instagram" },
    ];
    let names = BTreeMap::new();
    let images = Images::new();
    let p = Page {
        from: NaiveDate::from_ymd_opt(2027, 3, 1).unwrap(),
        to: NaiveDate::from_ymd_opt(2027, 3, 1).unwrap(),
        entries: &[],
        channels: &all,
        campaign_names: &names,
        images: &images,
    };
    let c = Channels::new(&p);
    assert_eq!(c.order, ["x-fr", "x", "instagram", "facebook"]);
    assert_eq!([c.colour("x-fr"), c.colour("x"), c.colour("instagram"), c.colour("facebook")], [0, 4, 1, 3]);
}

#[test]
fn an_empty_window_is_a_page_that_says_so() {
    let html = render(&[], &Images::new());
    assert!(html.contains("<b>0 publications</b>"), "{html}");
    assert!(html.contains("<p class=\"none\">Nothing is scheduled from 1 March 2027 to 31 March 2027.</p>"));
    assert_eq!(html.matches("<section class=\"month\">").count(), 1);
    assert!(html.ends_with("</html>\n"));
}

#[test]
fn right_to_left_posts_are_laid_out_right_to_left_in_their_language() {
    let mut e = entry("x-ar", "twitter", "2027-03-08T14:00", &["الأمن الإنساني للجميع #HS4A"]);
    e.language = "ar";
    e.direction = "rtl";
    let mut ig = entry("instagram", "instagram", "2027-03-08T14:00", &["الأمن الإنساني"]);
    ig.language = "ar";
    ig.direction = "rtl";
    let html = render(&[e, ig], &Images::new());
    assert!(html.contains(
        "<div class=\"body\" lang=\"ar\" dir=\"rtl\">الأمن الإنساني للجميع <span class=\"tag\">#HS4A</span></div>"
    ));
    assert!(
        html.contains(
            "<div class=\"body\" lang=\"ar\" dir=\"rtl\"><b><bdi>humansecurityFA</bdi></b> الأمن الإنساني</div>"
        )
    );
}
