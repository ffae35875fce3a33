//! `herald preview --format html`: the page loaded in a real browser (Chromium, headless), with a
//! hostile post in it; the page with the ledger's status; `-o FILE` for every format.
//!
//! The browser tests need `chromium` (the Debian package; `.ci/run` installs it). Without it they
//! fail under CI (`CI` set) and otherwise print "SKIPPED: chromium not installed" and pass.

use std::io::{Read as _, Write as _};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::{CONFIG, JPEG, TestProject};

/// A post that tries everything: markup, an event handler, `javascript:` links and a right-to-left
/// override (written as TOML escapes), tied to a day whose name is markup, with a hostile alt text.
const HOSTILE_POSTS: &str = r#"
[[post]]
id = "hostile"
day = "hostile-day"
text = "<script>alert(1)</script><img src=x onerror=alert(2)> javascript:alert(3) [click](javascript:alert(4)) \u202Eevil"
media = [{ file = "media/water.jpg", alt = "\"><script>alert(5)</script>\u202E" }]

[[post]]
id = "water"
date = 2027-03-22
text = "Water is life. #HumanSecurity starts with people."
media = [{ file = "media/water.jpg", alt = "A girl carries water in Timor-Leste" }]
"#;

const HOSTILE_DAY: &str =
    "\n[[day]]\nid = \"hostile-day\"\nname = \"<script>alert(6)</script> Day\"\nrule = \"March 9\"\n";

fn hostile_project() -> TestProject {
    TestProject::new()
        .file("config/herald.toml", &format!("{CONFIG}{HOSTILE_DAY}"))
        .bytes("campaigns/media/water.jpg", JPEG)
        .campaign_on("hs4a.toml", &["x", "instagram", "linkedin", "facebook"], HOSTILE_POSTS)
}

/// Writes March 2027's page to `page.html` in the project and returns its path.
fn write_page(p: &TestProject) -> PathBuf {
    let page = p.path().join("page.html");
    let r = p.run(&["preview", "--format", "html", "--from", "2027-03-01", "--to", "2027-03-31", "-o", "page.html"]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(r.stdout, "Wrote 8 scheduled publications from 2027-03-01 to 2027-03-31 to page.html\n", "{}", r.stderr);
    page
}

/// The browser, or `None` (after saying so) when it is not installed and this is not CI.
fn chromium() -> Option<PathBuf> {
    let found = ["chromium", "chromium-browser"].iter().find_map(|name| {
        std::env::var_os("PATH")
            .map(|path| std::env::split_paths(&path).map(|dir| dir.join(name)).collect::<Vec<_>>())
            .unwrap_or_default()
            .into_iter()
            .find(|candidate| candidate.is_file())
    });
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "chromium is not installed: CI must have it (.ci/run installs the Debian package)"
        );
        // Straight to the process's stderr, past the test harness's capture, so it is seen.
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED: chromium not installed (apt-get install chromium): the HTML page was not loaded in a browser"
        );
    }
    found
}

/// What the browser printed.
struct Browsed {
    stdout: String,
    stderr: String,
}

/// Runs headless Chromium on `url` with `args`, with its own profile, nothing from the network, and
/// a deadline (the whole process group is killed past it).
fn headless(chromium: &Path, profile: &Path, args: &[&str], url: &str) -> Browsed {
    let mut child = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            // The page's console (a Content-Security-Policy refusal is reported there) on stderr.
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .expect("start chromium");
    let mut out = child.stdout.take().expect("stdout");
    let mut err = child.stderr.take().expect("stderr");
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let deadline = Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for chromium") {
            break status;
        }
        if Instant::now() > deadline {
            let group = i32::try_from(child.id()).expect("pid");
            // SAFETY: kill(2) on the process group this test started; no memory is involved.
            unsafe { libc::kill(-group, libc::SIGKILL) };
            let _ = child.wait();
            panic!("chromium did not finish within 120 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let browsed = Browsed { stdout: out.join().unwrap_or_default(), stderr: err.join().unwrap_or_default() };
    assert!(status.success(), "chromium failed ({status}):\n{}", browsed.stderr);
    browsed
}

fn file_url(path: &Path, fragment: &str) -> String {
    format!("file://{}{fragment}", path.display())
}

/// The `article` elements with a `data-key`, and how many of them are not hidden.
fn publications(dom: &str) -> (usize, usize) {
    let articles: Vec<&str> =
        dom.match_indices("<article ").map(|(i, _)| &dom[i..i + dom[i..].find('>').unwrap()]).collect();
    assert!(articles.iter().all(|a| a.contains(" data-key=\"hs4a/")), "{articles:?}");
    (articles.len(), articles.iter().filter(|a| !a.contains(" hidden")).count())
}

#[test]
fn the_page_in_a_browser_shows_every_post_with_hostile_text_as_text() {
    let Some(chromium) = chromium() else { return };
    let p = hostile_project();
    let page = write_page(&p);
    let profile = tempfile::tempdir().expect("profile dir");
    let r = headless(&chromium, profile.path(), &["--dump-dom"], &file_url(&page, ""));
    let dom = &r.stdout;
    // Every publication, once, and the script ran (it counts them): its hash in the policy is right.
    assert_eq!(publications(dom), (8, 8), "{dom}");
    assert!(dom.contains("<output id=\"shown\">8 of 8 publications shown</output>"), "{dom}");
    for key in [
        "hs4a/hostile/x/2027-03-09T14:00:00Z",
        "hs4a/hostile/instagram/2027-03-09T14:00:00Z",
        "hs4a/water/facebook/2027-03-22T13:00:00Z",
    ] {
        assert!(dom.contains(&format!("data-key=\"{key}\"")), "{key}");
    }
    // Nothing in the page broke the policy (the style's hash is right too).
    assert!(!r.stderr.contains("Content Security Policy"), "{}", r.stderr);
    // The hostile post is text: no element, no handler, no javascript: link, no override applied.
    assert_eq!(dom.matches("<script").count(), 1, "only the page's own script");
    assert!(!dom.contains("<img"), "an element from a post's text");
    assert!(!dom.contains("href=\"javascript"), "a javascript: link");
    assert!(!dom.contains('\u{202e}'), "the override reached the page");
    assert!(dom.contains(
        "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt; javascript:alert(3) \
         [click](javascript:alert(4)) <span class=\"ctl\">&lt;U+202E&gt;</span>evil"
    ));
    assert!(dom.contains("&lt;script&gt;alert(6)&lt;/script&gt; Day"), "the day's name, as text");
    assert!(dom.contains("aria-label=\"&quot;&gt;&lt;script&gt;alert(5)&lt;/script&gt;&lt;U+202E&gt;\""));
    // The ordinary post reads as written.
    assert!(dom.contains("Water is life. <span class=\"tag\">#HumanSecurity</span> starts with people."));
}

#[test]
fn the_filters_work_in_the_browser_from_the_address() {
    let Some(chromium) = chromium() else { return };
    let p = hostile_project();
    let page = write_page(&p);
    let profile = tempfile::tempdir().expect("profile dir");
    let dom = headless(&chromium, profile.path(), &["--dump-dom"], &file_url(&page, "#channel=x,instagram")).stdout;
    assert_eq!(publications(&dom), (8, 4), "{dom}");
    assert!(dom.contains("<output id=\"shown\">4 of 8 publications shown</output>"), "{dom}");
    // The calendar's pins follow the filter too.
    let pins: Vec<&str> =
        dom.match_indices("<a class=\"pin ").map(|(i, _)| &dom[i..i + dom[i..].find('>').unwrap()]).collect();
    assert_eq!(pins.len(), 8, "{dom}");
    assert_eq!(pins.iter().filter(|p| !p.contains(" hidden")).count(), 4, "{pins:?}");
    assert!(dom.contains("value=\"x\" checked=\"\"") || dom.contains("value=\"x\" checked"), "{dom}");
    let dom = headless(&chromium, profile.path(), &["--dump-dom"], &file_url(&page, "#campaign=none")).stdout;
    assert!(dom.contains("<output id=\"shown\">0 of 8 publications shown</output>"), "{dom}");
}

#[test]
fn the_page_in_a_browser_makes_a_screenshot() {
    let Some(chromium) = chromium() else { return };
    let p = hostile_project();
    let page = write_page(&p);
    let profile = tempfile::tempdir().expect("profile dir");
    let shot = p.path().join("shot.png");
    let screenshot = format!("--screenshot={}", shot.display());
    headless(&chromium, profile.path(), &[&screenshot, "--window-size=1280,1600"], &file_url(&page, ""));
    let png = std::fs::read(&shot).expect("a screenshot was written");
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    // The IHDR chunk: 1280 pixels wide, as asked.
    assert_eq!(u32::from_be_bytes(png[16..20].try_into().unwrap()), 1280);
    assert!(png.len() > 20_000, "a blank page? {} bytes", png.len());
}

#[test]
fn the_page_is_one_file_with_the_images_embedded_once() {
    let p = hostile_project();
    let page = std::fs::read_to_string(write_page(&p)).expect("the page");
    use base64::Engine as _;
    let image = base64::engine::general_purpose::STANDARD.encode(JPEG);
    assert_eq!(page.matches(&format!("url(\"data:image/jpeg;base64,{image}\")")).count(), 1);
    // Used by both posts on four channels: eight image elements share it.
    assert_eq!(page.matches("<div class=\"img im0\" role=\"img\"").count(), 8);
    // Nothing is fetched: no address in an attribute the browser would load.
    for loader in ["src=\"", "<link", "@import", "url(http", "url(//"] {
        assert!(!page.contains(loader), "{loader}");
    }
}

#[test]
fn the_page_shows_the_ledger_s_status_and_url() {
    let p = TestProject::new().campaign_on(
        "c.toml",
        &["x"],
        "\n[[post]]\nid = \"water\"\ndate = 2027-03-22\ntext = \"Water is life.\"\n\n[[post]]\nid = \"peace\"\ndate = 2027-03-23\ntext = \"Peace.\"\n\n[[post]]\nid = \"later\"\ndate = 2027-03-24\ntext = \"Later.\"\n",
    );
    let html = |p: &TestProject| {
        let r = p.run(&["preview", "--format", "html", "--from", "2027-03-01", "--to", "2027-03-31"]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        r.stdout
    };
    assert!(!html(&p).contains("<span class=\"k\">Ledger</span>"), "no ledger, no status");
    let url = "https://x.com/humansecurityFA/status/1";
    let (store, keys) =
        crate::support::ledger_with_sent_and_failed(p.path(), &[("water", 22), ("peace", 23), ("later", 24)], url);
    assert_eq!(keys.len(), 3);
    drop(store);
    let page = html(&p);
    assert!(page.contains(&format!(
        "<span class=\"k\">Ledger</span><span class=\"st sent\">sent</span> <a href=\"{url}\" \
         rel=\"noopener noreferrer\" target=\"_blank\"><bdi>{url}</bdi></a>"
    )));
    assert!(page.contains("<span class=\"k\">Ledger</span><span class=\"st failed\">failed</span></div>"));
    assert_eq!(page.matches("<span class=\"k\">Ledger</span>").count(), 2, "a scheduled post has no status yet");
}

#[test]
fn output_goes_to_a_file_in_every_format() {
    let p = hostile_project();
    let args = ["preview", "--from", "2027-03-22", "--to", "2027-03-22", "--channel", "x"];
    for format in ["text", "json", "html", "ics"] {
        let on_stdout = p.run(&[&args[..], &["--format", format]].concat());
        assert_eq!(on_stdout.code, 0, "{}", on_stdout.stderr);
        let file = format!("out.{format}");
        let r = p.run(&[&args[..], &["--format", format, "-o", &file]].concat());
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert_eq!(r.stdout, format!("Wrote 1 scheduled publication from 2027-03-22 to 2027-03-22 to {file}\n"));
        let written = std::fs::read_to_string(p.path().join(&file)).expect("the file");
        assert_eq!(written, on_stdout.stdout, "{format}");
    }
    // A file herald cannot create: exit 2, saying where and why.
    let r = p.run(&[&args[..], &["--format", "html", "-o", "no/such/folder/page.html"]].concat());
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.starts_with("error: cannot write `no/such/folder/page.html`: No such file or directory"),
        "{}",
        r.stderr
    );
}
